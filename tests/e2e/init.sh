#!/bin/sh
# svod init against a private PostgreSQL server: the repository's
# migrations apply and a second run applies nothing; throwaway migrations
# show that a broken file is rolled back alone and named with its line and
# SQLSTATE, that gaps and duplicates are configuration errors, that an
# unreachable database is exit 69, and that a concurrent init is refused.
# requires: postgresql
# usage: sh tests/e2e/init.sh BUILD_DIR   (from the repository root)
# Prints TAP; exits 0 only if every assertion passed.

build=${1:-build}
if [ ! -x "$build/svod" ]; then
	echo "1..0 # SKIP no $build/svod: build it first"
	exit 1
fi
svod=$(cd "$build" && pwd -P)/svod
root=$(pwd -P)
tmp=$(mktemp -d) || exit 1
chmod 755 "$tmp"	# the server's user must reach $tmp/pg
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	sh "$root/tests/db/pg.sh" stop "$tmp/pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
out=$tmp/out
err=$tmp/err

n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do
		printf '#   %s\n' "$l"
	done
	for f in "$out" "$err"; do
		[ -s "$f" ] && sed "s/^/#   $(basename "$f")| /" "$f"
	done
	return 0
}

# run ARGS...: run svod with stdout in $out, stderr in $err, status in $rc.
run() {
	"$svod" "$@" >"$out" 2>"$err"
	rc=$?
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $3" "got:      $2"
	fi
}

# has DESCRIPTION FILE TEXT: FILE holds TEXT somewhere
has() {
	if grep -F -q -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "expected to find: $3"
	fi
}

# sql DBNAME QUERY: one value, unaligned
sql() {
	psql -X -q -tA -v ON_ERROR_STOP=1 \
	    -d "host=$tmp/pg/run port=5432 user=postgres dbname=$1" -c "$2"
}

if ! sh tests/db/pg.sh --no-fsync start "$tmp/pg" >"$err" 2>&1; then
	not_ok "a private server starts"
	echo "1..$n"
	exit 1
fi
ok "a private server starts"
db() { echo "host=$tmp/pg/run port=5432 user=postgres dbname=$1"; }

# The repository's migrations, on the database 'svod'.
nfiles=$(ls schemas/[0-9][0-9][0-9]_*.sql 2>/dev/null | wc -l)
if [ "$nfiles" -eq 0 ]; then
	ok "# SKIP no migrations in schemas/ yet"
else
	run init --db "$(db svod)" --sql-dir schemas
	is "init: exit 0" "$rc" 0
	is "init: one 'applied' line per file" \
	    "$(grep -c '^applied [0-9][0-9][0-9]_.*\.sql$' "$out")" "$nfiles"
	has "init: reports the version" "$out" \
	    "schema at version $((nfiles))"
	is "init: schema_version has one row per file" \
	    "$(sql svod 'SELECT count(*) FROM svod.schema_version')" "$nfiles"
	run init --db "$(db svod)" --sql-dir schemas
	is "second init: exit 0" "$rc" 0
	has "second init: nothing to apply" "$out" "nothing to apply"
	is "second init: still one row per file" \
	    "$(sql svod 'SELECT count(*) FROM svod.schema_version')" "$nfiles"
fi

# Throwaway migrations, each set on a database of its own.
for d in scratch broken; do
	sql postgres "CREATE DATABASE $d" >/dev/null
done
mkdir "$tmp/good" "$tmp/bad" "$tmp/gap" "$tmp/dup"
cat >"$tmp/good/001_first.sql" <<'EOF'
-- a comment, then two statements
CREATE TABLE svod.first (id integer PRIMARY KEY, label text);
INSERT INTO svod.first VALUES (1, 'café');
EOF
cat >"$tmp/good/002_second.sql" <<'EOF'
CREATE TABLE svod.second (id integer REFERENCES svod.first);
EOF
cp "$tmp/good/001_first.sql" "$tmp/bad/"
printf 'CREATE TABLE svod.second (id integer);\nCRATE TABLE oops (id int);\n' \
    >"$tmp/bad/002_second.sql"
cp "$tmp/good/001_first.sql" "$tmp/gap/"
cp "$tmp/good/002_second.sql" "$tmp/gap/003_third.sql"
cp "$tmp/good/"*.sql "$tmp/dup/"
cp "$tmp/good/002_second.sql" "$tmp/dup/002_again.sql"

run init --db "$(db scratch)" --sql-dir "$tmp/good"
is "throwaway set: exit 0" "$rc" 0
is "throwaway set: applies in order" "$(cat "$out")" \
    "applied 001_first.sql
applied 002_second.sql
schema at version 2"
is "throwaway set: recorded with names" \
    "$(sql scratch "SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM svod.schema_version")" \
    "1:first,2:second"
run init --db "$(db scratch)" --sql-dir "$tmp/good"
is "throwaway set again: nothing to apply" "$(cat "$out")" \
    "nothing to apply
schema at version 2"

run init --db "$(db broken)" --sql-dir "$tmp/bad"
if [ "$rc" -ne 0 ]; then
	ok "broken 002: fails (exit $rc)"
else
	not_ok "broken 002: fails" "got exit 0"
fi
has "broken 002: 001 was applied" "$out" "applied 001_first.sql"
has "broken 002: names the file and line" "$err" "002_second.sql:2:1"
has "broken 002: names the SQLSTATE" "$err" "(SQLSTATE 42601)"
has "broken 002: says it was rolled back" "$err" "rolled back"
is "broken 002: only 001 is recorded" \
    "$(sql broken "SELECT string_agg(version::text, ',') FROM svod.schema_version")" \
    "1"
is "broken 002: its first statement was rolled back too" \
    "$(sql broken "SELECT to_regclass('svod.second') IS NULL")" "t"
is "broken 002: 001's table stays" \
    "$(sql broken "SELECT label FROM svod.first")" "café"
run init --db "$(db broken)" --sql-dir "$tmp/good"
is "fixed 002: applies only 002" "$(cat "$out")" \
    "applied 002_second.sql
schema at version 2"

run init --db "$(db scratch)" --sql-dir "$tmp/gap"
is "a gap in the numbers: exit 78" "$rc" 78
has "a gap: named" "$err" "no 002 between '001_first.sql' and '003_third.sql'"
run init --db "$(db scratch)" --sql-dir "$tmp/dup"
is "a duplicate number: exit 78" "$rc" 78
has "a duplicate: named" "$err" "duplicate migration number 002"
run init --db "$(db scratch)" --sql-dir "$tmp/none"
is "a missing SQL directory: exit 78" "$rc" 78

# The database named by the configuration file.
cat >"$tmp/job.ini" <<EOF
[job]
inbox = inbox
key_file = svod.key
database = $(db scratch)
EOF
run init --config "$tmp/job.ini" --sql-dir "$tmp/good"
is "--config: exit 0" "$rc" 0
has "--config: uses its database" "$out" "schema at version 2"

# An unreachable database: EX_UNAVAILABLE, a clear message, no password.
run init --db "host=$tmp/nowhere dbname=svod password=hunter2" \
    --sql-dir "$tmp/good"
is "unreachable database: exit 69" "$rc" 69
has "unreachable database: says so" "$err" "cannot connect to the database"
if grep -q hunter2 "$out" "$err"; then
	not_ok "unreachable database: the password is not printed"
else
	ok "unreachable database: the password is not printed"
fi

# A concurrent init: another session holds the lock ("svodinit" in ASCII).
key=8319959838669826420
psql -X -q -d "$(db scratch) application_name=other" \
    -c "SELECT pg_advisory_lock($key)" -c "SELECT pg_sleep(60)" \
    >/dev/null 2>&1 &
holder=$!
i=0
while [ "$(sql scratch "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 0 ] &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
run init --db "$(db scratch)" --sql-dir "$tmp/good"
is "a concurrent init: exit 75" "$rc" 75
has "a concurrent init: names the holder" "$err" "(other)"
sql scratch "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'other'" >/dev/null
wait "$holder" 2>/dev/null
holder=
run init --db "$(db scratch)" --sql-dir "$tmp/good"
is "once the other session ends: exit 0" "$rc" 0

echo "1..$n"
[ "$failed" -eq 0 ]
