#!/bin/sh
# The synthetic borough generator is reproducible (TAP): the same seed
# and size give the same bytes, whatever the compiler (make asan runs this
# with clang, make test with gcc): the committed borough
# (fixtures/borough, --seed 1 --residents 2000) and the SHA-256 of the
# 100,000-resident borough of tests/e2e/linkage.sh and make bench
# (fixtures/synth/seed7_100000.sha256). C leaves the order of an
# expression's operands open, so a generator that draws twice in one
# expression makes two boroughs from one seed; this catches it.
# usage: tests/e2e/synth.sh BUILD_DIR
set -u
top=$(pwd)
. "$top/tests/lib/e2e.sh"
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
synth=$build/svod-synth
files="council_tax.csv housing_benefit.csv rent.csv adult_social_care.xml breathing_space.xml truth.csv"

"$synth" --seed 1 --residents 2000 --out "$tmp/b2k" >"$tmp/out" 2>&1
ok $? "the committed borough's command runs"
: >"$tmp/out"
for f in $files; do
	cmp "$top/fixtures/borough/$f" "$tmp/b2k/$f" >>"$tmp/out" 2>&1
done
[ ! -s "$tmp/out" ]
ok $? "it gives fixtures/borough byte for byte"

"$synth" --seed 7 --residents 100000 --out "$tmp/b100k" >"$tmp/out" 2>&1
ok $? "the 100,000-resident borough (seed 7) is generated"
(cd "$tmp/b100k" && sha256sum -c "$top/fixtures/synth/seed7_100000.sha256") \
    >"$tmp/out" 2>&1
ok $? "its files have the committed SHA-256 digests"
"$synth" --seed 7 --residents 100000 --out "$tmp/again" >"$tmp/out" 2>&1 &&
    (cd "$tmp/again" && sha256sum -c "$top/fixtures/synth/seed7_100000.sha256") \
    >"$tmp/out" 2>&1
ok $? "a second run gives the same bytes"
"$synth" --seed 8 --residents 2000 --out "$tmp/other" >"$tmp/out" 2>&1 &&
    ! cmp -s "$tmp/other/truth.csv" "$tmp/b2k/truth.csv"
ok $? "another seed gives another borough"
"$synth" --seed 1 --residents 0 --out "$tmp/none" >"$tmp/out" 2>&1
[ $? -eq 64 ]
ok $? "a population of 0 is refused (exit 64)"

echo "1..$n"
[ $fails -eq 0 ]
