#!/bin/sh
# make bench: extraction throughput on a 1,000,000-resident synthetic
# borough, beside `wc -l` on the same files as a reference.
# usage: tests/bench/bench.sh BUILD_DIR   (env: RESIDENTS, RUNS)
# Reports medians of RUNS runs. Peak memory comes from /usr/bin/time -v;
# it is measured on the small committed borough too, to show that it does
# not grow with the input.
set -eu
build=${1:-build}
residents=${RESIDENTS:-1000000}
runs=${RUNS:-5}
dir=var/bench
data=$dir/b$residents
mkdir -p "$dir"
chmod 700 "$dir"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
secs() { awk "BEGIN { printf \"%.6f\", $1 }"; }

if [ ! -f "$data/truth.csv" ]; then
	echo "== generating $residents residents into $data"
	/usr/bin/time -f 'generator: %e s wall, %M KiB peak RSS' \
	    "$build/svod-synth" --seed 1 --residents "$residents" --out "$data"
fi
[ -f "$dir/svod.key" ] || "$build/svod" keygen "$dir/svod.key" >/dev/null
for set in "$data" fixtures/borough; do
	name=$(basename "$set")
	cat > "$dir/$name.ini" <<INI
[job]
inbox = $(cd "$set" && pwd)
key_file = $(pwd)/$dir/svod.key
rejects_dir = $(pwd)/$dir/rejects
as_of = 2026-11-30
max_rejects = 1000000
INI
done
cfg=$dir/$(basename "$data").ini

echo "== input"
for f in council_tax.csv housing_benefit.csv rent.csv adult_social_care.xml \
    breathing_space.xml; do
	printf '  %-24s %8.1f MB %10d lines\n' "$f" \
	    "$(secs "$(stat -c %s "$data/$f") / 1e6")" "$(wc -l < "$data/$f")"
done

echo "== reference: wc -l (hyperfine, median of $runs runs, page cache warm)"
for f in council_tax.csv housing_benefit.csv rent.csv adult_social_care.xml \
    breathing_space.xml; do
	size=$(stat -c %s "$data/$f")
	hyperfine -N --warmup 2 --runs "$runs" --export-csv "$dir/wc.csv" \
	    "wc -l $data/$f" > /dev/null 2>&1
	t=$(awk -F, 'NR == 2 { print $4 }' "$dir/wc.csv")
	printf '  wc -l %-24s %8.4f s %9.1f MB/s\n' "$f" "$t" \
	    "$(secs "$size / 1e6 / $t")"
done

echo "== svod check (parse + validate), median of $runs runs"
for i in $(seq "$runs"); do
	"$build/svod" -q check --config "$cfg" > "$dir/check.$i.txt"
done
# The summary table ends at the first blank line.
col() { awk -v f="$1" -v c="$2" 'NF == 0 { exit } $1 == f { print $c }' "$3"; }
for f in council_tax housing_benefit rent adult_social_care breathing_space; do
	mbs=$(for i in $(seq "$runs"); do col "$f" 7 "$dir/check.$i.txt"; done | median)
	s=$(for i in $(seq "$runs"); do col "$f" 8 "$dir/check.$i.txt"; done | median)
	rec=$(col "$f" 3 "$dir/check.1.txt")
	printf '  %-20s %8d records %8.4f s %8.1f MB/s %10.0f records/s\n' \
	    "$f" "$rec" "$s" "$mbs" "$(secs "$rec / ($s > 0 ? $s : 0.0001)")"
done

echo "== svod check --tokens (parse + validate + normalise + pseudonymise), median of $runs runs"
for i in $(seq "$runs"); do
	"$build/svod" -q check --tokens --config "$cfg" > "$dir/tokens.$i.txt"
done
for f in council_tax housing_benefit rent adult_social_care breathing_space total; do
	c=8; [ "$f" = total ] && c=7
	s=$(for i in $(seq "$runs"); do col "$f" "$c" "$dir/tokens.$i.txt"; done | median)
	rec=$(col "$f" $((c - 5)) "$dir/tokens.1.txt")
	printf '  %-20s %8d records %8.4f s %10.0f records/s\n' \
	    "$f" "$rec" "$s" "$(secs "$rec / ($s > 0 ? $s : 0.0001)")"
done

echo "== svod extract (parse + validate + normalise + pseudonymise + write)"
for i in $(seq "$runs"); do
	rm -rf "$dir/out"
	/usr/bin/time -f '%e %M' -o "$dir/time.$i" \
	    "$build/svod" -q extract --config "$cfg" --out "$dir/out" \
	    > "$dir/extract.$i.txt"
done
total=$(col total 2 "$dir/extract.1.txt")
hyperfine -N --warmup 1 --runs "$runs" --export-csv "$dir/extract.csv" \
    "$build/svod -q extract --config $cfg --out $dir/out" > /dev/null 2>&1
hwall=$(awk -F, 'NR == 2 { print $4 }' "$dir/extract.csv")
wall=$(for i in $(seq "$runs"); do cut -d' ' -f1 "$dir/time.$i"; done | median)
rss=$(for i in $(seq "$runs"); do cut -d' ' -f2 "$dir/time.$i"; done | median)
printf '  %d records, median %.3f s wall (hyperfine), %.0f records/s on one core, peak RSS %d KiB (time -v median %.2f s)\n' \
    "$total" "$hwall" "$(secs "$total / $hwall")" "$rss" "$wall"

echo "== peak memory against input size (svod extract)"
for set in fixtures/borough "$data"; do
	name=$(basename "$set")
	rm -rf "$dir/out.$name"
	/usr/bin/time -f '%M' -o "$dir/rss.$name" "$build/svod" -q extract \
	    --config "$dir/$name.ini" --out "$dir/out.$name" > /dev/null
	printf '  %-12s %8.1f MB input  %8d KiB peak RSS\n' "$name" \
	    "$(secs "$(du -sb "$set" | cut -f1) / 1e6")" "$(cat "$dir/rss.$name")"
done
sh tests/bench/nightly_bench.sh "$build"
sh tests/bench/match_bench.sh "$build"
