#!/bin/sh
# End-to-end tests of svod lookup against a private PostgreSQL (TAP): load
# and publish the committed borough, then look residents up by a council
# tax reference, by a NINO, by name and date of birth, and by the
# reference of a breathing space active on the as-of date; --json and its
# totals against adviser.resident_debt; not found, bad input and a wrong
# key; and that no NINO or name given on the command line reaches the
# server's log, with every statement logged while the token look-ups ran.
# Expected residents come from SQL on the link table, never by hand.
# usage: tests/e2e/lookup.sh BUILD_DIR
# requires: postgresql
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"
fx="$top/fixtures/borough"

ok_err_tail=5

lookup() {
	"$svod" lookup --config "$tmp/svod.ini" "$@" >"$tmp/out" 2>"$tmp/err"
}

start_db
write_config "$tmp/svod.ini" "$fx"
init_db
"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "svod nightly publishes the borough"

# Log every statement from here on: the look-ups below must send tokens
# only, so neither a NINO nor a name may reach the log even then.
sql "ALTER SYSTEM SET log_statement = 'all'" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null

"$svod" lookup --help >"$tmp/out" 2>&1 && grep -q 'Exit status' "$tmp/out"
ok $? "lookup --help prints the options and exit codes"
lookup --ref x --nino y
[ $? -eq 64 ]
ok $? "two kinds of look-up at once: exit 64"

# By a council tax account reference (a row without quoted fields).
line=$(grep -v '"' "$fx/council_tax.csv" | sed -n 2p)
ctref=$(echo "$line" | cut -d, -f1)
ctbal=$(echo "$line" | cut -d, -f15)
money=$(sql "SELECT to_char(balance / 100.0, 'FM999,999,990.00')
    FROM adviser.debt_line WHERE creditor_ref = '$ctref'
    AND service = 'council_tax' AND balance = round($ctbal * 100)
    ORDER BY source_key LIMIT 1")
lookup --ref "$ctref"
rc=$?
[ $rc -eq 0 ] && [ -n "$money" ] &&
    grep "council_tax  *$ctref [0-9/]* .*£$money " "$tmp/out" >/dev/null
ok $? "--ref: a council tax account shows its debt line with its balance"
rid=$(sql "SELECT resident_id FROM auditor.link
    WHERE feed = 'council_tax' AND source_key LIKE '$ctref:%'
    ORDER BY resident_id LIMIT 1")
[ -n "$rid" ] && grep -q "^resident $rid\$" "$tmp/out"
ok $? "--ref: the account's residents from the link table are shown"
grep -q 'linked by' "$tmp/out" && ! grep -q ', p[=>]0\.' "$tmp/out"
ok $? "--ref: a deterministic night shows rules and no match probability"

tref=$(grep -v '"' "$fx/rent.csv" | sed -n 2p | cut -d, -f1)
lookup --ref "$(echo "$tref" | tr 'A-Z' 'a-z')"
[ $? -eq 0 ] && grep -q "rent  *$tref " "$tmp/out"
ok $? "--ref ignores case: a tenancy reference in lower case"

# By NINO: the first housing benefit claim that has one.
row=$(grep -v '"' "$fx/housing_benefit.csv" |
    awk -F, 'NR > 1 && $3 != "" { print $1 "," $3; exit }')
hbkey=${row%%,*}
nino=${row#*,}
rid=$(sql "SELECT resident_id FROM auditor.link
    WHERE feed = 'housing_benefit' AND source_key = '$hbkey'")
lookup --nino "$nino"
rc=$?
[ $rc -eq 0 ] && [ -n "$rid" ] && grep -q "^resident $rid\$" "$tmp/out"
ok $? "--nino: finds the resident the link table holds for that claim"
echo "$nino" | lookup --nino - --json
[ $? -eq 0 ] && grep -q "\"resident_id\": $rid," "$tmp/out"
ok $? "--nino -: the NINO read from standard input finds them too"

# By name and date of birth: a tenant with a full forename and a DOB.
row=$(grep -v '"' "$fx/rent.csv" |
    awk -F, 'NR > 1 && $6 != "" && length($4) > 1 && $4 !~ / / {
	print $1 ":" $2 "," $4 "," $5 "," $6; exit }')
rkey=$(echo "$row" | cut -d, -f1)
fore=$(echo "$row" | cut -d, -f2)
sur=$(echo "$row" | cut -d, -f3)
dob=$(echo "$row" | cut -d, -f4)
rid=$(sql "SELECT resident_id FROM auditor.link
    WHERE feed = 'rent' AND source_key = '$rkey'")
lookup --name "$fore $sur" --dob "$dob"
rc=$?
[ $rc -eq 0 ] && [ -n "$rid" ] && grep -q "^resident $rid\$" "$tmp/out"
ok $? "--name --dob: finds the tenant's resident by the name + DOB token"
lookup --name "$sur, $fore" --dob "$dob"
[ $? -eq 0 ] && grep -q "^resident $rid\$" "$tmp/out"
ok $? "--name 'SURNAME, FORENAME' finds the same resident"

# Nothing raw reached the server, though every statement was logged.
grep -q 'adviser.residents_by_token' "$pg/log" &&
    ! grep -qi "$nino" "$pg/log" &&
    ! grep -qi "$(echo "$nino" | cut -c1-8)" "$pg/log" &&
    ! grep -qi "$sur" "$pg/log" && ! grep -qi "$fore" "$pg/log"
ok $? "the server log has the token look-ups but never the NINO or the name"

# A breathing space active on the as-of date, by its reference.
bsref=
for r in $(grep -o 'ref="BS[0-9]*"' "$fx/breathing_space.xml" |
    cut -d'"' -f2 | sort -u); do
	st=$(sql "SELECT status FROM adviser.moratorium
	    WHERE ref = '$r' AND state = 'active'")
	if [ -n "$st" ]; then
		bsref=$r
		break
	fi
done
[ -n "$bsref" ]
ok $? "the borough has a breathing space active on 2026-11-30"
bsrid=$(sql "SELECT resident_id FROM adviser.moratorium WHERE ref = '$bsref'")
want=$(sql "SELECT bs_status || '|' || bs_ref || '|' ||
    CASE WHEN hold_recovery THEN 'YES' ELSE 'no' END
    FROM adviser.resident_debt WHERE resident_id = '$bsrid'")
lookup --ref "$bsref"
[ $? -eq 0 ] && [ -n "$want" ] &&
    grep -q "breathing space: ${want%%|*}  ref $bsref " "$tmp/out" &&
    grep -q "hold recovery: ${want##*|}" "$tmp/out"
ok $? "--ref BS...: shows the breathing-space status, reference and hold"
# Each of its debt lines shows its breathing-space status.
want=$(sql "SELECT count(*) FROM adviser.debt_line
    WHERE resident_id = '$bsrid' AND moratorium_ref = '$bsref'")
got=$(grep -c "($bsref" "$tmp/out")
[ "$want" -ge 1 ] && [ "$got" -ge "$want" ]
ok $? "its debt lines name the moratorium that governs them"

# --json parses and its totals are those of adviser.resident_debt.
lookup --ref "$bsref" --json
rc=$?
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; json.load(sys.stdin)' <"$tmp/out"
	parsed=$?
	got=$(python3 -c '
import json, sys
for r in json.load(sys.stdin)["residents"]:
    t = r["totals"]
    print("%d|%d|%d|%d|%s" % (r["resident_id"], t["total"], t["priority"],
        t["protected"], str(r["breathing_space"]["hold_recovery"]).lower()))
' <"$tmp/out")
else
	grep -q '"residents": \[' "$tmp/out"
	parsed=$?
	got=$(grep -o '"resident_id": [0-9]*' "$tmp/out" | head -n 1 |
	    cut -d' ' -f2)
	got="$got|$(grep -o '"total": [0-9-]*' "$tmp/out" | tail -n 1 |
	    cut -d' ' -f2)"
	want=
fi
[ $rc -eq 0 ] && [ $parsed -eq 0 ]
ok $? "--json output parses"
if command -v python3 >/dev/null 2>&1; then
	want=$(sql "SELECT resident_id || '|' || total || '|' ||
	    priority_total || '|' || protected_total || '|' || hold_recovery
	    FROM adviser.resident_debt WHERE resident_id = '$bsrid'")
else
	want=$(sql "SELECT resident_id || '|' || total
	    FROM adviser.resident_debt WHERE resident_id = '$bsrid'")
fi
[ -n "$got" ] && [ "$got" = "$want" ]
ok $? "--json totals equal adviser.resident_debt's"

lookup --ref NO-SUCH-REF-0000
rc=$?
[ $rc -eq 1 ] && grep -q 'no resident found' "$tmp/err" && [ ! -s "$tmp/out" ]
ok $? "not found: exit 1, 'no resident found' on stderr"
lookup --name "Nobody Atall" --dob 1950-01-01
[ $? -eq 1 ]
ok $? "a name and DOB nobody has: exit 1"

bad=QQ123456C
lookup --nino "$bad"
rc=$?
[ $rc -eq 64 ] && [ -s "$tmp/err" ] && ! grep -q "$bad" "$tmp/err" "$tmp/out"
ok $? "an invalid NINO: exit 64, and the message does not echo it"
lookup --name "$fore $sur" --dob 1979-02-30
rc=$?
[ $rc -eq 64 ] && ! grep -q '1979-02-30' "$tmp/err" &&
    ! grep -qi "$sur" "$tmp/err"
ok $? "an impossible date of birth: exit 64, and nothing echoed"

"$svod" keygen "$tmp/keys/other.key" >/dev/null 2>&1
sed "s|$tmp/keys/test.key|$tmp/keys/other.key|" "$tmp/svod.ini" \
    >"$tmp/other.ini"
"$svod" lookup --config "$tmp/other.ini" --nino "$nino" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 78 ] && grep -q 'not the key of the published night' "$tmp/out"
ok $? "a key other than the night's: exit 78, not a silent 'not found'"
chmod 644 "$tmp/keys/other.key"
"$svod" lookup --config "$tmp/other.ini" --nino "$nino" >"$tmp/out" 2>&1
[ $? -eq 78 ]
ok $? "an unsafe key file: exit 78"
sed 's|host=[^ ]*|host=/nonexistent|' "$tmp/svod.ini" >"$tmp/nodb.ini"
"$svod" lookup --config "$tmp/nodb.ini" --ref "$ctref" >"$tmp/out" 2>&1
[ $? -eq 69 ]
ok $? "no database: exit 69"

# An adviser resolves a token to residents but may not read tokens.
sql "SET ROLE svod_adviser; SELECT count(*) FROM adviser.residents_by_token('nino_stem', '\\x00000000000000000000000000000000')" >"$tmp/out"
[ "$(tail -n 1 "$tmp/out")" = 0 ]
ok $? "the adviser role may resolve a token (none matches a zero token)"
sql "SET ROLE svod_adviser; SELECT count(*) FROM auditor.source_record" >"$tmp/out"
grep -q 'permission denied' "$tmp/out"
ok $? "the adviser role may not read the tokens themselves"
sql "SET ROLE svod_adviser; SELECT count(*) FROM adviser.residents_by_token('dob', '\\x00000000000000000000000000000000')" >"$tmp/out"
grep -q 'not for look-ups' "$tmp/out"
ok $? "a purpose other than NINO, NHS number or name + DOB is refused"

echo "1..$n"
[ $fails -eq 0 ]
