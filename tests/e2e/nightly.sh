#!/bin/sh
# End-to-end tests of svod nightly against a private PostgreSQL (TAP):
# load and publish the committed borough, reproducibility across two runs,
# overlapping runs refused (host lock and database lock), and runs killed
# with SIGKILL during load and during publish leaving the previous night
# published and intact, with a rerun that succeeds.
# usage: tests/e2e/nightly.sh BUILD_DIR
# requires: postgresql
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"

start_db
write_config "$tmp/svod.ini" "" "" "keep_runs = 3"
init_db

"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "first nightly run publishes"
r1=$(sql "SELECT max(run_id) FROM svod.run WHERE status = 'published'")
[ "$(sql "SELECT count(*) FROM adviser.debt_line")" = 298 ]
ok $? "adviser.debt_line has the 298 debt lines of the borough"
[ "$(sql "SELECT count(DISTINCT resident_id) > 100 FROM adviser.debt_line")" = t ]
ok $? "debt lines belong to residents"
[ -f "$tmp/state/manifests/run-$r1.json" ]
ok $? "the run's manifest is written as JSON"
[ -z "$(ls "$tmp/state" | grep '^tmp-')" ]
ok $? "no private run files are left behind"

"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "second nightly run publishes"
r2=$(sql "SELECT max(run_id) FROM svod.run WHERE status = 'published'")
d1=$(sql "SELECT manifest->'digests' FROM svod.run WHERE run_id = $r1")
d2=$(sql "SELECT manifest->'digests' FROM svod.run WHERE run_id = $r2")
[ -n "$d1" ] && [ "$d1" = "$d2" ]
ok $? "same inputs, key and as-of date: identical table digests"
[ "$(sql "SELECT count(*) FROM run_$r1.link a JOIN run_$r2.link b USING (feed, source_key) WHERE a.resident_id <> b.resident_id")" = 0 ]
ok $? "resident ids are stable across nights"

# Overlapping runs: the host lock.
flock "$tmp/state/svod.lock" sleep 3 &
holder=$!
sleep 0.5
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 75 ] && grep -q 'another run holds the lock' "$tmp/out"
ok $? "a second run while the host lock is held exits 75 (EX_TEMPFAIL)"
# Killing flock would leave its sleep holding the lock: wait instead.
wait $holder 2>/dev/null

# Overlapping runs: the database advisory lock.
psql -X -q -h "$pg/run" -U postgres -d svod -c \
    "SET application_name = 'other svod'; SELECT pg_advisory_lock(1937141604); SELECT pg_sleep(5)" \
    >/dev/null 2>&1 &
holder=$!
sleep 1
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 75 ] && grep -q 'other svod' "$tmp/out"
ok $? "a second run while the database lock is held exits 75, naming the holder"
wait $holder 2>/dev/null

before=$(sql "SELECT count(*), sum(balance) FROM adviser.debt_line")
published=$(sql "SELECT schema_name FROM svod.published")

# Killed during load: block the load's insert into run_input, then kill.
psql -X -q -h "$pg/run" -U postgres -d svod -c \
    "BEGIN; LOCK TABLE svod.run_input IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT" \
    >/dev/null 2>&1 &
blocker=$!
sleep 0.5
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1 &
victim=$!
sleep 2
kill -9 $victim 2>/dev/null
wait $victim 2>/dev/null
wait $blocker 2>/dev/null
[ "$(sql "SELECT count(*), sum(balance) FROM adviser.debt_line")" = "$before" ] &&
    [ "$(sql "SELECT schema_name FROM svod.published")" = "$published" ]
ok $? "killed during load: the previous night is still published and intact"
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "after a kill during load, a rerun publishes"
[ "$(sql "SELECT count(*) FROM svod.run WHERE status = 'loading'")" = 0 ]
ok $? "the killed run is marked failed, none left loading"

before=$(sql "SELECT count(*), sum(balance) FROM adviser.debt_line")
published=$(sql "SELECT schema_name FROM svod.published")
# Killed during publish: a reader holds the adviser view in a long
# transaction, so publishing must wait for it.
psql -X -q -h "$pg/run" -U postgres -d svod -c \
    "BEGIN; SELECT count(*) FROM adviser.debt_line; SELECT pg_sleep(6); COMMIT" \
    >/dev/null 2>&1 &
blocker=$!
sleep 0.5
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1 &
victim=$!
# Wait until it is retrying the publish, then kill it.
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q 'publish waited' "$tmp/out" && break
	sleep 0.5
done
grep -q 'publish waited' "$tmp/out"
ok $? "publish waits for readers' locks with lock_timeout and retries"
kill -9 $victim 2>/dev/null
wait $victim 2>/dev/null
wait $blocker 2>/dev/null
[ "$(sql "SELECT count(*), sum(balance) FROM adviser.debt_line")" = "$before" ] &&
    [ "$(sql "SELECT schema_name FROM svod.published")" = "$published" ]
ok $? "killed during publish: the previous night is still published and intact"
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "after a kill during publish, a rerun publishes"
[ "$(sql "SELECT count(*) FROM svod.run WHERE status = 'published'")" = 1 ]
ok $? "exactly one run is published"
[ "$(sql "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'run\_%'")" -le 4 ]
ok $? "old run schemas are dropped beyond keep_runs"

# A missing feed: EX_NOINPUT by default; carried forward, stale, with the
# switch.
mkdir -p "$tmp/inbox"
cp "$top"/fixtures/borough/*.csv "$top"/fixtures/borough/*.xml "$tmp/inbox/"
rm "$tmp/inbox/rent.csv"
sed "s|^inbox = .*|inbox = $tmp/inbox|" "$tmp/svod.ini" > "$tmp/missing.ini"
"$svod" nightly --config "$tmp/missing.ini" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 66 ] && grep -q "no input for feed 'rent'" "$tmp/out"
ok $? "a missing feed file fails the run with exit 66 (EX_NOINPUT)"
rent=$(sql "SELECT count(*), sum(balance) FROM adviser.debt_line WHERE service = 'rent'")
sed 's|^keep_runs = 3|keep_runs = 3\ncarry_forward = true|' "$tmp/missing.ini" > "$tmp/carry.ini"
"$svod" nightly --config "$tmp/carry.ini" >"$tmp/out" 2>&1
ok $? "with carry_forward, a run with a missing feed publishes"
[ "$(sql "SELECT count(*), sum(balance) FROM adviser.debt_line WHERE service = 'rent'")" = "$rent" ]
ok $? "the missing feed's debts are carried forward"
[ "$(sql "SELECT stale FROM svod.run_input WHERE feed = 'rent' AND run_id = (SELECT run_id FROM svod.published)")" = t ]
ok $? "the carried feed is marked stale in run_input"
[ "$(sql "SELECT count(*) FROM adviser.resident_debt WHERE stale_feeds LIKE '%rent%'")" -gt 0 ]
ok $? "the view shows the stale service"

# Rejects within the budget: the run publishes and records where they are.
mkdir -p "$tmp/inbox2"
cp "$top"/fixtures/borough/*.csv "$top"/fixtures/borough/*.xml "$tmp/inbox2/"
lines=$(wc -l < "$tmp/inbox2/council_tax.csv")
echo 'BADROW1,1,Mr,Zebedee,,Quixote,,,,,,,,2024/25,12.345,NONE,,' >> "$tmp/inbox2/council_tax.csv"
sed -e "s|^inbox = .*|inbox = $tmp/inbox2|" -e 's|^keep_runs = 3|keep_runs = 3\nmax_rejects = 5|' \
    "$tmp/svod.ini" > "$tmp/rejects.ini"
"$svod" nightly --config "$tmp/rejects.ini" >"$tmp/out" 2>&1
ok $? "a run with a reject inside its budget publishes"
[ "$(sql "SELECT line, column_no, field, reason FROM svod.reject WHERE run_id = (SELECT run_id FROM svod.published)")" = "$((lines + 1))|15|balance|money_precision" ]
ok $? "svod.reject records the reject's line, column, field and reason"
! sql "SELECT * FROM svod.reject" | grep -qi 'quixote\|zebedee'
ok $? "svod.reject holds no personal data"

echo "1..$n"
[ $fails -eq 0 ]
