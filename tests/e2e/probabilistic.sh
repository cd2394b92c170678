#!/bin/sh
# End-to-end tests of the experimental probabilistic matcher (TAP): the
# nightly job with matcher = probabilistic on the committed borough
# publishes, its scored links carry weights, uncertain pairs reach the
# review queue by reference only, and it finds more of the true links than
# the deterministic matcher (svod eval against truth.csv). Its precision
# is reported, not yet asserted: the matcher is not finished (issue 4).
# usage: tests/e2e/probabilistic.sh BUILD_DIR
# requires: postgresql
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"
truth="$top/fixtures/borough/truth.csv"

figure() { sed -n "s/^$1: *\([0-9.]*\).*/\1/p" "$2" | head -n 1; }
check() { awk "BEGIN { exit !($1) }"; }

start_db
write_config "$tmp/det.ini" "" "" "keep_runs = 3"
write_config "$tmp/prob.ini" "" "" "keep_runs = 3" "matcher = probabilistic"
init_db "$tmp/det.ini"

"$svod" nightly --config "$tmp/det.ini" >"$tmp/out" 2>&1
ok $? "deterministic night publishes"
"$svod" eval --config "$tmp/det.ini" --truth "$truth" >"$tmp/det.txt" 2>&1
det_r=$(figure 'pairwise recall' "$tmp/det.txt")

"$svod" nightly --config "$tmp/prob.ini" >"$tmp/out" 2>&1
ok $? "probabilistic night publishes"
grep -q '^probabilistic: [0-9]* candidate pairs' "$tmp/out"
ok $? "the summary reports the scoring"
[ "$(sql "SELECT count(*) FROM adviser.debt_line")" = 298 ]
ok $? "every debt line is still published"
[ "$(sql "SELECT count(*) FROM auditor.link WHERE rule = 'scored' AND weight IS NULL")" = 0 ] &&
    [ "$(sql "SELECT count(*) > 0 FROM auditor.link WHERE rule = 'scored'")" = t ]
ok $? "records joined by a scored link carry its weight"
sql "SELECT reference FROM svod.review_queue WHERE reason = 'uncertain_match'" >"$tmp/out"
! grep -qv '^[a-z_]*:[^ ]* ~ [a-z_]*:[^ ]* (p=[0-9.]*)$' "$tmp/out"
ok $? "uncertain pairs are queued for review by references and score only"
"$svod" eval --config "$tmp/prob.ini" --truth "$truth" >"$tmp/prob.txt" 2>&1
prob_p=$(figure 'pairwise precision' "$tmp/prob.txt")
prob_r=$(figure 'pairwise recall' "$tmp/prob.txt")
echo "# deterministic recall $det_r; probabilistic precision $prob_p, recall $prob_r"
[ -n "$det_r" ] && [ -n "$prob_r" ] && check "$prob_r > $det_r"
ok $? "the probabilistic matcher finds more true links than the deterministic one"
d1=$(sql "SELECT manifest->'digests'->'link' FROM svod.run WHERE schema_name = (SELECT schema_name FROM svod.published)")
"$svod" nightly --config "$tmp/prob.ini" >"$tmp/out" 2>&1
d2=$(sql "SELECT manifest->'digests'->'link' FROM svod.run WHERE schema_name = (SELECT schema_name FROM svod.published)")
[ -n "$d1" ] && [ "$d1" = "$d2" ]
ok $? "the same night scored twice gives the same links"

echo "1..$n"
[ $fails -eq 0 ]
