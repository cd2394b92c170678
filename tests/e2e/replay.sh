#!/bin/sh
# End-to-end tests of svod replay against a private PostgreSQL (TAP):
# two nights on the committed borough (the second inherits its resident
# ids from the first), replays of both reporting identical digests, a
# replay never touching what is published nor the residents, the scratch
# schema dropped (or kept with --keep), a changed or missing input making
# replay fail naming the feed, a different key refused, and ids reported
# as not replayable once the previous night's schema is gone.
# usage: tests/e2e/replay.sh BUILD_DIR
# requires: postgresql
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"

ok_tail=25

# The state a replay must never change.
published() {
	sql "SELECT p.run_id, p.schema_name, p.published_at,
	    (SELECT count(*) || ':' || sum(balance) FROM adviser.debt_line),
	    (SELECT count(*) || ':' || max(resident_id) || ':' || max(last_run)
	     FROM svod.resident),
	    (SELECT count(*) FROM svod.resident_history),
	    (SELECT count(*) FROM svod.review_queue),
	    (SELECT string_agg(run_id || status, ',' ORDER BY run_id)
	     FROM svod.run WHERE status <> 'replay')
	FROM svod.published p"
}

start_db "$tmp/inbox"
cp "$top"/fixtures/borough/*.csv "$top"/fixtures/borough/*.xml "$tmp/inbox/"
config() {
	# $1: file, $2: inbox, $3: key file, $4: an extra line
	write_config "$1" "$2" "$3" "keep_runs = 5" "${4:-}"
}
config "$tmp/svod.ini" "$top/fixtures/borough" "$tmp/keys/test.key"
config "$tmp/inbox.ini" "$tmp/inbox" "$tmp/keys/test.key"
init_db

"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "first nightly run publishes"
r1=$(sql "SELECT max(run_id) FROM svod.run WHERE status = 'published'")
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "second nightly run publishes"
r2=$(sql "SELECT max(run_id) FROM svod.run WHERE status = 'published'")
[ "$(sql "SELECT manifest->>'prev_run' FROM svod.run WHERE run_id = $r2")" = "$r1" ] &&
    [ -z "$(sql "SELECT manifest->>'prev_run' FROM svod.run WHERE run_id = $r1")" ]
ok $? "the manifest records the run whose ids each night inherited"
[ "$(sql "SELECT count(*) FROM run_$r2.link l JOIN svod.resident r USING (resident_id) WHERE r.first_run = $r1")" = \
    "$(sql "SELECT count(*) FROM run_$r2.link")" ]
ok $? "the second night inherited every resident id from the first"

before=$(published)
"$svod" replay --config "$tmp/svod.ini" "$r2" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "identical" "$tmp/out" &&
    ! grep -q "DIFFERENT" "$tmp/out" &&
    grep -q "^link .* same$" "$tmp/out" &&
    grep -q "^resident_debt .* same$" "$tmp/out"
ok $? "replay of run $r2 (inherited ids) reports identical digests, exit 0"
[ -n "${SVOD_TEST_VERBOSE:-}" ] && sed "s/^/# /" "$tmp/out"
[ "$(published)" = "$before" ]
ok $? "a replay changes nothing published, no resident, no history"
[ "$(sql "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'replay\_%'")" = 0 ]
ok $? "the scratch schema is dropped afterwards"
[ "$(sql "SELECT status || ' ' || (manifest->>'replay_of') || ' ' || (manifest->>'replay_result') || ' ' || (finished_at IS NOT NULL) FROM svod.run WHERE schema_name = 'replay_${r2}_1'")" = "replay $r2 identical true" ]
ok $? "the replay is recorded in svod.run with status 'replay' and its result"

"$svod" replay --config "$tmp/svod.ini" "$r1" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ! grep -q "DIFFERENT" "$tmp/out"
ok $? "replay of run $r1 (the first night) reports identical digests"

"$svod" replay --config "$tmp/svod.ini" --keep "$r2" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] &&
    [ "$(sql "SELECT count(*) FROM replay_${r2}_2.debt_line")" = "$(sql "SELECT count(*) FROM adviser.debt_line")" ]
ok $? "--keep leaves the scratch schema replay_${r2}_2 to inspect"
sql "SELECT svod.publish('replay_${r2}_2')" >"$tmp/out" 2>&1
grep -q "not publishable" "$tmp/out" && [ "$(published)" = "$before" ]
ok $? "a replay's schema cannot be published"
sql "DROP SCHEMA replay_${r2}_2 CASCADE" >/dev/null

# A night from an inbox of our own, then that inbox changed.
"$svod" nightly --config "$tmp/inbox.ini" >"$tmp/out" 2>&1
ok $? "a night from a copied inbox publishes"
r3=$(sql "SELECT max(run_id) FROM svod.run WHERE status = 'published'")
"$svod" replay --config "$tmp/svod.ini" "$r3" >"$tmp/out" 2>&1
ok $? "replay reads the inputs the manifest names, not the configured inbox"
before=$(published)
# Change one balance: the first data row's balance column.
awk -F, 'BEGIN { OFS = "," }
    NR == 1 { for (i = 1; i <= NF; i++) if (tolower($i) ~ /balance/) c = i }
    NR == 2 { $c = $c + 1 } { print }' "$tmp/inbox/council_tax.csv" \
    >"$tmp/ct.csv" && cat "$tmp/ct.csv" >"$tmp/inbox/council_tax.csv"
! cmp -s "$tmp/inbox/council_tax.csv" "$top/fixtures/borough/council_tax.csv"
ok $? "one council tax balance is changed in the copied inbox"
"$svod" replay --config "$tmp/svod.ini" "$r3" >"$tmp/out" 2>&1
rc=$?
want=$(sql "SELECT sha256 FROM svod.run_input WHERE run_id = $r3 AND feed = 'council_tax'")
[ $rc -eq 65 ] && grep -q "input council_tax: changed" "$tmp/out" &&
    grep -q "expected sha256 $want" "$tmp/out" &&
    ! grep -q "input rent" "$tmp/out"
ok $? "a changed input makes replay fail with exit 65, naming the feed and both digests"
[ "$(published)" = "$before" ] &&
    [ "$(sql "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'replay\_%'")" = 0 ]
ok $? "after the failed replay nothing published changed, no scratch schema left"
rm "$tmp/inbox/rent.csv"
"$svod" replay --config "$tmp/svod.ini" "$r3" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 65 ] && grep -q "input rent: missing" "$tmp/out"
ok $? "a missing input makes replay fail with exit 65, naming the feed"

# A night that carried a missing feed forward replays carrying it from
# the same run.
config "$tmp/carry.ini" "$tmp/inbox" "$tmp/keys/test.key" "carry_forward = true"
"$svod" nightly --config "$tmp/carry.ini" >"$tmp/out" 2>&1
ok $? "a night with rent missing publishes, carrying rent forward"
r4=$(sql "SELECT max(run_id) FROM svod.run WHERE status = 'published'")
"$svod" replay --config "$tmp/svod.ini" "$r4" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "^rent .* same$" "$tmp/out"
ok $? "replay of a night that carried a feed forward is identical"

# A different key cannot reproduce the tokens.
"$svod" keygen "$tmp/keys/other.key" >/dev/null 2>&1
config "$tmp/other.ini" "$top/fixtures/borough" "$tmp/keys/other.key"
"$svod" replay --config "$tmp/other.ini" "$r2" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 78 ] && grep -q "was made with key" "$tmp/out"
ok $? "a replay with another key is refused with exit 78"

"$svod" replay --config "$tmp/svod.ini" 999999 >"$tmp/out" 2>&1
[ $? -eq 64 ]
ok $? "a replay of a run that does not exist exits 64"

# Once the night a run took its ids from is gone, the ids cannot be
# replayed: the rest is still compared.
sql "DROP SCHEMA run_$r1 CASCADE" >/dev/null
"$svod" replay --config "$tmp/svod.ini" "$r2" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "ids cannot be replayed" "$tmp/out" &&
    grep -q "^link .* not compared (ids)$" "$tmp/out" &&
    grep -q "^council_tax .* same$" "$tmp/out" &&
    ! grep -q "DIFFERENT" "$tmp/out"
ok $? "previous night dropped: ids reported not replayable, the rest same, exit 1"
[ -z "$(ls "$tmp/state" | grep -e '^tmp-' -e '-rejects$')" ]
ok $? "no private run files or replay rejects are left behind"

echo "1..$n"
[ $fails -eq 0 ]
