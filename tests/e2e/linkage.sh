#!/bin/sh
# Linkage quality of the probabilistic matcher on the synthetic borough of
# issue 4: 100,000 residents (seed 7, default noise, regenerated here by
# fixtures/synth: the same bytes on every machine), one nightly run with
# matcher = probabilistic, then svod eval and the hard cases against the
# generator's truth.csv and its tags (TAP).
#
# The figures asserted are floors and ceilings at today's measurement, so
# that a change which loses links or makes false ones fails here. They
# are not the targets (precision 0.999, recall 0.995): recall
# cannot reach 0.995 on this data, for 16% of its true pairs share
# nothing but names (svod eval's evidence ceiling is 0.84), and a father
# and son of one name and address whose records give no date of birth,
# suffix or identifier apart are not told apart (see the closing note of
# issue 4 and schemas/views.md).
# usage: tests/e2e/linkage.sh BUILD_DIR
# requires: postgresql, python3
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
data=$tmp/b100k

figure() { sed -n "s/^$1: *\([0-9.]*\).*/\1/p" "$2" | head -n 1; }
check() { awk "BEGIN { exit !($1) }"; }

"$build/svod-synth" --seed 7 --residents 100000 --out "$data" >"$tmp/out" 2>&1
ok $? "the 100,000-resident borough is generated (seed 7)"
start_db
write_config "$tmp/prob.ini" "$data" "" "matcher = probabilistic" \
    "max_rejects = 1000000"
init_db "$tmp/prob.ini"
"$svod" nightly --config "$tmp/prob.ini" >"$tmp/out" 2>&1
ok $? "a probabilistic night publishes"
"$svod" -q eval --config "$tmp/prob.ini" --truth "$data/truth.csv" \
    >"$tmp/eval.txt" 2>"$tmp/err"
ok $? "svod eval scores it"
p=$(figure 'pairwise precision' "$tmp/eval.txt")
r=$(figure 'pairwise recall' "$tmp/eval.txt")
bp=$(figure 'B-cubed precision' "$tmp/eval.txt")
br=$(figure 'blocking recall' "$tmp/eval.txt")
ec=$(figure 'evidence ceiling' "$tmp/eval.txt")
echo "# pairwise precision $p, recall $r; B-cubed precision $bp;" \
    "blocking recall $br; evidence ceiling $ec"
cp "$tmp/eval.txt" "$tmp/out"
[ -n "$p" ] && check "$p >= 0.997"
ok $? "pairwise precision is at least 0.997 ($p)"
[ -n "$bp" ] && check "$bp >= 0.999"
ok $? "B-cubed precision is at least 0.999 ($bp)"
[ -n "$r" ] && check "$r >= 0.78"
ok $? "pairwise recall is at least 0.78 ($r)"
[ -n "$ec" ] && check "$r >= $ec - 0.05 && $ec < 0.9"
ok $? "recall is within 0.05 of the evidence ceiling ($ec), which is below 0.9"
[ -n "$br" ] && check "$br >= 0.95"
ok $? "blocking recall is at least 0.95 ($br)"

# The hard cases, by the truth file's tags: each line of hard.txt is
# "tag joined linkable wrongly_merged persons". A person is linkable when
# their records are joined by shared keyed tokens of an identifier, the
# date of birth, the UPRN or the postcode (more than names); joined when
# all their records are in one resident; wrongly merged when a resident
# holding one of their records holds another person's too.
hard_cases "$data/truth.csv" >"$tmp/hard.txt"
ok $? "the hard cases are counted"
sed 's/^/# /' "$tmp/hard.txt"
cp "$tmp/hard.txt" "$tmp/out"
hard() { awk -v t="$1" '$1 == t { print $'"$2"' }' "$tmp/hard.txt"; }

[ "$(hard twin 3)" -ge 50 ] && [ "$(hard twin 4)" = 0 ]
ok $? "twins: no resident holds both twins ($(hard twin 3) with linkable records)"
[ -n "$(hard twin 2)" ] && [ "$(hard twin 2)" = "$(hard twin 3)" ]
ok $? "twins: each twin's own linkable records are one resident"
# Measured: 4 of 168 father-son persons, in 2 families where the father's
# records carry no date of birth, suffix or identifier to tell them from
# the son's (one has typos on both of the father's records); one more is
# a regression.
[ "$(hard father_son 3)" -ge 50 ] && [ "$(hard father_son 4)" -le 4 ]
ok $? "father and son: at most 4 persons in a merged resident ($(hard father_son 4))"
# Breathing-space notices (their creditor references are evidence):
# measured 96 of 98 people with a notice and another record are one
# resident, none merged with another person.
[ "$(hard notice 3)" -ge 50 ] && check "$(hard notice 2) >= 0.95 * $(hard notice 3)" &&
    [ "$(hard notice 4)" = 0 ]
ok $? "notices: at least 95% of their people are one resident ($(hard notice 2) of $(hard notice 3)), none merged"
for tag in nickname marriage moved; do
	j=$(hard "$tag" 2)
	a=$(hard "$tag" 3)
	[ "$a" -ge 40 ] && check "$j >= 0.8 * $a"
	ok $? "$tag: at least 80% of linkable persons are one resident ($j of $a)"
done

echo "1..$n"
[ $fails -eq 0 ]
