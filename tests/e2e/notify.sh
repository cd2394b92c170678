#!/bin/sh
# End-to-end tests of svod notify against a private PostgreSQL (TAP):
# after a nightly run on the committed borough, a START for a debtor of
# the borough switches that resident's published row to an active
# breathing space with recovery held at once; a notice for someone who
# does not exist goes to the adviser's review queue; re-sending changes
# nothing; a malformed file exits 65 naming file and line and records
# nothing; a missing file 66, a bad configuration 78, no database 69; no
# name, date of birth or NINO reaches stderr; the next night still shows
# the notice and its digests are those of its inputs alone; a notice
# with no NINO matches through a debt it names, held under its forename
# and date of birth (married.xml).
# usage: tests/e2e/notify.sh BUILD_DIR
# requires: postgresql
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"
fx=$top/fixtures/notify

# notify FILE [CONFIG]: run svod notify; stdout in out, stderr kept in
# err (all of it, for the personal-data check) and in out for failures.
notify() {
	"$svod" notify --config "${2:-$tmp/svod.ini}" "$1" >"$tmp/out" \
	    2>"$tmp/err1"
	rc=$?
	cat "$tmp/err1" >>"$tmp/err"
	cat "$tmp/err1" >>"$tmp/out"
	return $rc
}

start_db
: >"$tmp/err"
write_config "$tmp/svod.ini" "" "" "keep_runs = 3"
init_db
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "nightly run publishes the borough"
r1=$(sql "SELECT run_id FROM svod.published")

# The debtor of fixtures/notify/start.xml: tenant 2 of rent T0100115.
rid=$(sql "SELECT resident_id FROM adviser.debt_line WHERE service = 'rent' AND source_key = 'T0100115:2'")
[ -n "$rid" ] &&
    [ "$(sql "SELECT bs_status || ' ' || hold_recovery FROM adviser.resident_debt WHERE resident_id = $rid")" = "none false" ]
ok $? "before the notice the debtor ($rid) is in no breathing space"

notify "$fx/start.xml"
ok $? "svod notify start.xml exits 0"
grep -q "matched resident $rid (nino_stem)" "$tmp/out" &&
    grep -q 'notifications read 1, matched 1, to review 0' "$tmp/out"
ok $? "the START matches the debtor by NINO and says so in the summary"
[ "$(sql "SELECT bs_status || ' ' || bs_ref || ' ' || hold_recovery FROM adviser.resident_debt WHERE resident_id = $rid")" = "active_standard BS90000001 true" ]
ok $? "adviser.resident_debt: active standard breathing space, hold_recovery true, at once"
[ "$(sql "SELECT bs_status || ' ' || protected_from FROM adviser.debt_line WHERE source_key = 'T0100115:2'")" = "protected 2026-11-29" ]
ok $? "the rent arrears are protected from the START's start date"
[ "$(sql "SELECT count(*) FROM adviser.review_queue WHERE origin = 'notify'")" = 0 ]
ok $? "a matched notice raises no review item"

notify "$fx/unknown.xml"
ok $? "svod notify unknown.xml exits 0"
[ "$(sql "SELECT reason || ' ' || kind || ' ' || coalesce(resident_id::text, '-') FROM adviser.review_queue WHERE origin = 'notify' AND reference = 'BS90000002'")" = "unmatched_notification notification -" ]
ok $? "a notice for nobody in the borough is in adviser.review_queue"
[ "$(sql "SELECT count(*) FROM svod.moratorium_intraday WHERE ref = 'BS90000002' AND resident_id IS NULL")" = 1 ]
ok $? "and is recorded with no resident"
[ "$(sql "SELECT status || ' ' || matched FROM adviser.moratorium WHERE ref = 'BS90000002'")" = "active_mhcm false" ]
ok $? "the adviser's moratorium view shows it, unmatched"

before=$(sql "SELECT sum(balance), count(*) FILTER (WHERE hold) FROM adviser.debt_line")
notify "$fx/start.xml" && grep -q 'already recorded' "$tmp/out" &&
    notify "$fx/unknown.xml"
ok $? "re-sending both notices exits 0, saying they are already recorded"
[ "$(sql "SELECT count(*) FROM svod.moratorium_intraday")" = 2 ] &&
    [ "$(sql "SELECT count(*) FROM adviser.review_queue WHERE origin = 'notify'")" = 1 ] &&
    [ "$(sql "SELECT sum(balance), count(*) FILTER (WHERE hold) FROM adviser.debt_line")" = "$before" ]
ok $? "re-sending is idempotent: same rows, one review item, same view"

notify "$fx/malformed.xml"
rc=$?
[ $rc -eq 65 ] && grep -q 'malformed.xml:10: malformed xml' "$tmp/out"
ok $? "a malformed file exits 65 naming file and line (rc $rc)"
[ "$(sql "SELECT count(*) FROM svod.moratorium_intraday WHERE ref = 'BS90000003'")" = 0 ]
ok $? "a malformed file records nothing"

notify "$fx/no-such-file.xml"
rc=$?
[ $rc -eq 66 ]
ok $? "a missing file exits 66 (rc $rc)"

sed 's/^keep_runs = 3$/keep_runs = many/' "$tmp/svod.ini" >"$tmp/bad.ini"
notify "$fx/start.xml" "$tmp/bad.ini"
rc=$?
[ $rc -eq 78 ]
ok $? "a bad configuration exits 78 (rc $rc)"

sed "s|^database = .*|database = host=$tmp/nowhere dbname=svod user=postgres|" \
    "$tmp/svod.ini" >"$tmp/nodb.ini"
notify "$fx/start.xml" "$tmp/nodb.ini"
rc=$?
[ $rc -eq 69 ]
ok $? "no database exits 69 (rc $rc)"

# A notice with no NINO, under a married name, for a debt it names: the
# joint tenancy T0100115's tenant of that forename and date of birth.
notify "$fx/married.xml"
ok $? "svod notify married.xml exits 0"
grep -q "matched resident $rid (debt_ref)" "$tmp/out" &&
    grep -q 'notifications read 3, matched 1, to review 2' "$tmp/out"
ok $? "the tenancy it names finds her (debt_ref); the other two go to review"
[ "$(sql "SELECT resident_id || ' ' || rule FROM svod.moratorium_intraday WHERE ref = 'BS90000013'")" = "$rid debt_ref" ]
ok $? "recorded with her resident and the rule debt_ref"
[ "$(sql "SELECT count(*) FROM svod.moratorium_intraday WHERE ref IN ('BS90000014', 'BS90000015') AND resident_id IS NULL")" = 2 ] &&
    [ "$(sql "SELECT count(*) FROM adviser.review_queue WHERE reference IN ('BS90000014', 'BS90000015') AND reason = 'unmatched_notification'")" = 2 ]
ok $? "a forename no tenant has, or another date of birth: no one, for review"

# Names, dates of birth and NINOs of the notices never reach stderr.
! grep -i -E 'fatima|begum|okonjo|zelda|1999-02-11|CA945495C|CA 94 54 95|1963-08-17|zebedee|quarrington|vasquez|JT102938A|1958-02-03' \
    "$tmp/err" >"$tmp/out"
ok $? "no name, date of birth or NINO in svod's stderr"

# The next night: its feed does not carry the notices, so the intraday
# rows are still taken in; its digests depend on its inputs alone.
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "the next nightly run publishes"
r2=$(sql "SELECT run_id FROM svod.published")
[ "$(sql "SELECT bs_status || ' ' || hold_recovery FROM adviser.resident_debt WHERE resident_id = $rid")" = "active_standard true" ]
ok $? "the next night still shows the notice the feed has not brought yet"
d1=$(sql "SELECT manifest->'digests' FROM svod.run WHERE run_id = $r1")
d2=$(sql "SELECT manifest->'digests' FROM svod.run WHERE run_id = $r2")
[ -n "$d1" ] && [ "$d1" = "$d2" ]
ok $? "intraday notices leave the run's table digests unchanged"

echo "1..$n"
[ $fails -eq 0 ]
