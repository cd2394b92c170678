#!/bin/sh
# End-to-end tests of svod eval against a private PostgreSQL (TAP): run
# the nightly job on the committed borough, then score it against the
# borough's truth.csv: the figures are printed, precision is high, recall
# is a number in [0, 1], a truth file with one record's person changed
# scores lower, --json parses, no surname of the borough is printed, and
# the usage, missing-truth and no-published-run exits.
# usage: tests/e2e/eval.sh BUILD_DIR
# requires: postgresql
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"
truth="$top/fixtures/borough/truth.csv"

# The value after "LABEL:" in a text report.
figure() { sed -n "s/^$1: *\([0-9.]*\).*/\1/p" "$2" | head -n 1; }
# awk test on numbers: e.g. check "$p >= 0.99".
check() { awk "BEGIN { exit !($1) }"; }

start_db
write_config "$tmp/svod.ini" "" "" "keep_runs = 3" "matcher = deterministic"
init_db

"$svod" eval --config "$tmp/svod.ini" --truth "$truth" >"$tmp/out" 2>&1
[ $? -eq 66 ] && grep -q 'no run is published' "$tmp/out"
ok $? "before any run: exit 66, no run is published"

"$svod" nightly --config "$tmp/svod.ini" >"$tmp/out" 2>&1
ok $? "nightly run on the borough publishes"

"$svod" eval --config "$tmp/svod.ini" --truth "$truth" >"$tmp/eval.txt" \
    2>"$tmp/eval.err"
rc=$?
cp "$tmp/eval.txt" "$tmp/out"
cat "$tmp/eval.err" >>"$tmp/out"
[ $rc -eq 0 ]
ok $? "svod eval --truth exits 0"
sed 's/^/# /' "$tmp/eval.txt" | sed -n '1,40p'

p=$(figure 'pairwise precision' "$tmp/eval.txt")
r=$(figure 'pairwise recall' "$tmp/eval.txt")
f=$(figure 'pairwise F1' "$tmp/eval.txt")
bp=$(figure 'B-cubed precision' "$tmp/eval.txt")
br=$(figure 'B-cubed recall' "$tmp/eval.txt")
bf=$(figure 'B-cubed F1' "$tmp/eval.txt")
recs=$(figure 'records evaluated' "$tmp/eval.txt")
[ -n "$p" ] && [ -n "$r" ] && [ -n "$f" ] && [ -n "$bp" ] &&
    [ -n "$br" ] && [ -n "$bf" ] && [ -n "$recs" ]
ok $? "prints pairwise and B-cubed precision, recall, F1 and records"
echo "# pairwise P=$p R=$r F1=$f; B-cubed P=$bp R=$br F1=$bf; records=$recs"
rows=$(($(wc -l <"$truth") - 1))
[ "$recs" = "$rows" ]
ok $? "every record of truth.csv is evaluated ($recs of $rows)"
grep -q '^blocking recall: *not applicable (no blocking stage)$' \
    "$tmp/eval.txt"
ok $? "blocking recall: not applicable (no blocking stage)"
ec=$(figure 'evidence ceiling' "$tmp/eval.txt")
[ -n "$ec" ] && check "$ec >= $r && $ec <= 1" &&
    grep -q '^evidence ceiling: *[0-9.]* ([0-9]* of [0-9]* true pairs share more than names)$' "$tmp/eval.txt"
ok $? "the evidence ceiling ($ec) is printed, at least the rules' recall ($r)"
check "$p >= 0.99"
ok $? "pairwise precision is at least 0.99 ($p)"
check "$bp >= 0.99"
ok $? "B-cubed precision is at least 0.99 ($bp)"
check "$r >= 0 && $r <= 1 && $br > 0 && $br <= 1"
ok $? "recall is a number between 0 and 1 ($r, B-cubed $br)"
grep -q '^missed links' "$tmp/eval.txt" &&
    grep -q '^false links' "$tmp/eval.txt"
ok $? "false and missed links are listed"

# No raw data: no surname of the council tax feed anywhere in the output.
col=$(head -n 1 "$top/fixtures/borough/council_tax.csv" | tr ',' '\n' |
    grep -n -i -x 'surname' | cut -d: -f1)
cut -d, -f"$col" "$top/fixtures/borough/council_tax.csv" | sed 1d |
    tr -d '"' | tr '[:upper:]' '[:lower:]' | sort -u |
    awk 'length($0) >= 3' >"$tmp/surnames"
"$svod" eval --config "$tmp/svod.ini" --truth "$truth" --json --worst 1000 \
    >"$tmp/eval.json" 2>"$tmp/json.err"
cat "$tmp/eval.txt" "$tmp/eval.err" "$tmp/eval.json" "$tmp/json.err" |
    tr '[:upper:]' '[:lower:]' >"$tmp/all.txt"
# (The check itself must find the surnames in the feed it took them from.)
[ -n "$col" ] && [ -s "$tmp/surnames" ] && [ -s "$tmp/eval.json" ] &&
    tr '[:upper:]' '[:lower:]' <"$top/fixtures/borough/council_tax.csv" |
    grep -q -F -w -f "$tmp/surnames" &&
    ! grep -F -w -f "$tmp/surnames" "$tmp/all.txt" >"$tmp/out"
ok $? "no surname of council_tax.csv appears in the output ($(wc -l <"$tmp/surnames") checked)"

# --json parses, with the same figures.
cp "$tmp/eval.json" "$tmp/out"
jp=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.6f" % d["pairwise"]["precision"]); assert d["blocking_recall"] is None; assert 0 <= d["bcubed"]["recall"] <= 1' "$tmp/eval.json" 2>>"$tmp/out")
ok $? "--json parses"
[ -n "$jp" ] && [ "$jp" = "$p" ]
ok $? "--json gives the same pairwise precision ($jp)"

# One record's person changed: a record that shares its resident with
# others now belongs to a person of its own, so precision drops.
# Pick a record in a resident of two or more records (rule not "none").
schema=$(psql -X -q -At -h "$pg/run" -U postgres -d svod -c \
    "SELECT schema_name FROM svod.published" 2>&1)
run=${schema#run_}
key=$(psql -X -q -At -h "$pg/run" -U postgres -d svod -c "SELECT l.feed || ',' || l.source_key FROM $schema.link l WHERE l.rule <> 'none' ORDER BY 1 LIMIT 1" 2>&1)
awk -F, -v OFS=, -v k="$key" '$1 "," $2 == k { $3 = "PX999999" } { print }' \
    "$truth" >"$tmp/truth1.csv"
"$svod" eval --config "$tmp/svod.ini" --truth "$tmp/truth1.csv" \
    >"$tmp/out" 2>&1
p1=$(figure 'pairwise precision' "$tmp/out")
[ -n "$key" ] && ! cmp -s "$truth" "$tmp/truth1.csv" && check "$p1 < $p"
ok $? "one linked record moved to a new person lowers precision ($p -> $p1)"

# The record's person set to that of another resident's record: recall
# drops (a true pair the run did not make).
other=$(psql -X -q -At -h "$pg/run" -U postgres -d svod -c "SELECT l.feed || ',' || l.source_key FROM $schema.link l WHERE l.rule = 'none' ORDER BY 1 LIMIT 1" 2>&1)
operson=$(awk -F, -v k="$other" '$1 "," $2 == k { print $3 }' "$truth")
awk -F, -v OFS=, -v k="$key" -v q="$operson" \
    '$1 "," $2 == k { $3 = q } { print }' "$truth" >"$tmp/truth2.csv"
"$svod" eval --config "$tmp/svod.ini" --truth "$tmp/truth2.csv" \
    >"$tmp/out" 2>&1
r2=$(figure 'pairwise recall' "$tmp/out")
p2=$(figure 'pairwise precision' "$tmp/out")
[ -n "$operson" ] && check "$r2 < $r || $p2 < $p"
ok $? "one record given another resident's person lowers recall or precision (R $r -> $r2, P $p -> $p2)"

# Records on one side only are counted, not scored.
{ cat "$truth"; echo "rent,NO-SUCH-TENANCY:1,P9999999,"; } |
    grep -v "^$key," >"$tmp/truth3.csv"
"$svod" eval --config "$tmp/svod.ini" --truth "$tmp/truth3.csv" \
    >"$tmp/out" 2>&1
grep -q '^in the run, not in truth: *1 ' "$tmp/out" &&
    grep -q '^in truth, not in the run: *1 (rent 1)' "$tmp/out" &&
    [ "$(figure 'records evaluated' "$tmp/out")" = $((rows - 1)) ]
ok $? "records missing from either side are counted and reported"

"$svod" eval --config "$tmp/svod.ini" --truth "$truth" --run "$run" \
    >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q "^run $run " "$tmp/out"
ok $? "--run $run scores that run"

"$svod" eval --config "$tmp/svod.ini" --truth "$truth" --run 999 \
    >"$tmp/out" 2>&1
[ $? -eq 66 ]
ok $? "--run of an unknown run exits 66"

"$svod" eval --config "$tmp/svod.ini" --truth "$tmp/nonexistent.csv" \
    >"$tmp/out" 2>&1
[ $? -eq 66 ]
ok $? "a missing truth file exits 66"

printf 'feed,key,person\nrent,a,b\n' >"$tmp/bad.csv"
"$svod" eval --config "$tmp/svod.ini" --truth "$tmp/bad.csv" \
    >"$tmp/out" 2>&1
[ $? -eq 65 ]
ok $? "a truth file without the expected header exits 65"

"$svod" eval --truth "$truth" >"$tmp/out" 2>&1
[ $? -eq 64 ]
ok $? "no --config: exit 64"
"$svod" eval --config "$tmp/svod.ini" --truth "$truth" --worst x \
    >"$tmp/out" 2>&1
[ $? -eq 64 ]
ok $? "a bad --worst: exit 64"
"$svod" eval --help >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q 'run, blocking recall: not applicable' "$tmp/out" &&
    grep -q '^Blocking recall, for a run of the probabilistic matcher' \
    "$tmp/out"
ok $? "--help explains blocking recall, not applicable to a deterministic run"

sed "s|^database = .*|database = host=$tmp/nowhere dbname=svod user=postgres connect_timeout=2|" \
    "$tmp/svod.ini" >"$tmp/down.ini"
"$svod" eval --config "$tmp/down.ini" --truth "$truth" >"$tmp/out" 2>&1
[ $? -eq 69 ]
ok $? "database unreachable: exit 69"

echo "1..$n"
[ "$fails" -eq 0 ]
