#!/bin/sh
# Run every test suite and end with the line "N passed, N failed".
# usage: tests/run.sh [--no-db] BUILD_DIR
# Unit tests are cmocka programs (TAP output); the command-line tests in
# tests/e2e/*.sh print TAP lines too. A suite that dies without reporting
# counts as one failure. The database tests, tests/db/*.sql (pgTAP), run
# last against a private PostgreSQL server in a temporary directory, with
# the schema applied by 'svod init'; the server is stopped and removed on
# any exit. --no-db skips them and every e2e script that needs a server:
# one holding the line "# requires: postgresql" or naming tests/db/pg.sh.
nodb=0
if [ "${1:-}" = --no-db ]; then
	nodb=1
	shift
fi
build=${1:-build}
pass=0
fail=0
log=$(mktemp)
pgtmp=
cleanup() {
	if [ -n "$pgtmp" ]; then
		sh tests/db/pg.sh stop "$pgtmp/pg" >/dev/null 2>&1
		rm -rf "$pgtmp"
	fi
	rm -f "$log"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

count() {
	# $1: suite name; $2: exit status; TAP lines in $log
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 exited with status $2"
	fi
	grep '^not ok ' "$log"
	pass=$((pass + p))
	fail=$((fail + f))
	printf '%-28s %4d passed, %d failed\n' "$1" "$p" "$f"
}

# The pgTAP suite: one server, one 'svod init', one pg_prove per file.
db_suite() {
	set -- tests/db/*.sql
	[ -f "$1" ] || return 0
	pgtmp=$(mktemp -d) || return 1
	chmod 755 "$pgtmp"	# the server's user must reach $pgtmp/pg
	host=$pgtmp/pg/run
	conn="host=$host port=5432 dbname=svod user=postgres"
	if ! { sh tests/db/pg.sh --no-fsync start "$pgtmp/pg" &&
	    "$build/svod" init --db "$conn" --sql-dir schemas &&
	    psql -X -q -v ON_ERROR_STOP=1 -d "$conn" \
		-c 'CREATE EXTENSION IF NOT EXISTS pgtap'; } >"$log" 2>&1; then
		sed 's/^/#   /' "$log"
		: >"$log"
		count "db (server, svod init)" 1
		return
	fi
	for f in "$@"; do
		pg_prove --verbose -h "$host" -p 5432 -U postgres -d svod \
		    "$f" >"$log" 2>&1
		count "db/$(basename "$f" .sql)" $?
	done
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
	count "$(basename "$t")" $?
done
for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	if [ "$nodb" = 1 ] && grep -q -e '^# requires: postgresql' \
	    -e 'tests/db/pg\.sh' "$t"; then
		continue
	fi
	sh "$t" "$build" >"$log" 2>&1
	count "$(basename "$t" .sh)" $?
done
[ "$nodb" = 1 ] || db_suite
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
