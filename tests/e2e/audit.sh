#!/bin/sh
# The audit check (TAP): run svod nightly on the committed borough
# (fixtures/borough, as of 2026-11-30, the test key) against a private
# PostgreSQL and compare what it publishes with the committed expected
# output in fixtures/borough/expected/:
#   digests.txt         "table rows sha256" of every table in the run's
#                       manifest (SHA-256 of an ordered dump), sorted;
#   debt_line.tsv, resident_debt.tsv, moratorium.tsv
#                       ordered dumps of the published adviser views
#                       (COPY text format). adviser.contact is never dumped:
#                       contact details stay out of the repository.
# Then svod replay of that run must report identical digests.
# usage: tests/e2e/audit.sh BUILD_DIR [--update]
# --update rewrites the expected files from this run (review the diff
# before committing it: a change there is a change in published output).
# requires: postgresql
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"
update=0
[ "${2:-}" = --update ] && update=1
expected=$top/fixtures/borough/expected
views="debt_line resident_debt moratorium"

ok_clear=1

# Errors to stderr here: the digests query sends them to $tmp/out.
sql() { psql -X -q -At -h "$pg/run" -U postgres -d svod -c "$1"; }

# Compare a produced file with its expected one; on a difference show
# the first differing lines.
same() {
	# $1: produced, $2: expected
	if [ ! -f "$2" ]; then
		echo "missing $2: run 'sh tests/e2e/audit.sh BUILD_DIR --update'" \
		    >"$tmp/out"
		return 1
	fi
	if cmp -s "$1" "$2"; then
		return 0
	fi
	{
		echo "differs from ${2#"$top"/} (- expected, + this run);" \
		    "first differences:"
		diff -u "$2" "$1" | sed -n '3,$p' | grep '^[-+]' | head -n 12
	} >"$tmp/out"
	return 1
}

start_db
write_config "$tmp/svod.ini"
init_db
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "svod nightly publishes the committed borough"
run=$(sql "SELECT run_id FROM svod.published")

sql "SELECT d.key || ' ' || (d.value->>'rows') || ' ' || (d.value->>'sha256')
    FROM svod.run r, jsonb_each(r.manifest->'digests') d
    WHERE r.run_id = $run ORDER BY d.key" >"$tmp/digests.txt" 2>"$tmp/out"
for v in $views; do
	psql -X -q -h "$pg/run" -U postgres -d svod -c \
	    "COPY (SELECT * FROM adviser.$v t ORDER BY t) TO STDOUT" \
	    >"$tmp/$v.tsv" 2>>"$tmp/out"
done
[ -s "$tmp/digests.txt" ] && [ "$(wc -l <"$tmp/digests.txt")" -ge 10 ] &&
    [ -s "$tmp/debt_line.tsv" ]
ok $? "the run's table digests and the adviser views are dumped"

if [ $update -eq 1 ]; then
	mkdir -p "$expected"
	cp "$tmp/digests.txt" "$expected/digests.txt"
	for v in $views; do
		cp "$tmp/$v.tsv" "$expected/$v.tsv"
	done
	echo "# updated ${expected#"$top"/}: review 'git diff' before committing"
fi

same "$tmp/digests.txt" "$expected/digests.txt"
ok $? "table digests equal fixtures/borough/expected/digests.txt"
for v in $views; do
	same "$tmp/$v.tsv" "$expected/$v.tsv"
	ok $? "adviser.$v equals fixtures/borough/expected/$v.tsv"
done

"$svod" replay --config "$tmp/svod.ini" "$run" >"$tmp/out" 2>&1
ok $? "svod replay of the run reports identical digests"

echo "1..$n"
[ $fails -eq 0 ]
