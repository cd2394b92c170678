#!/bin/sh
# make bench, part 3: the probabilistic matcher (matcher = probabilistic)
# in the whole nightly job, against a private PostgreSQL under
# var/bench/pgm, on two synthetic boroughs:
#   - 100,000 residents (seed 7): linkage quality, `svod eval` against the
#     generator's truth.csv (pairwise and B-cubed precision and recall,
#     blocking recall);
#   - 1,000,000 residents (seed 1, the data of part 2): the match stage's
#     seconds, pairs compared and comparisons per second, the nightly's
#     peak RSS, and the same `svod eval` figures.
# Each size runs one deterministic night first (the reference: its match
# stage in the same command) and then RUNS probabilistic nights (medians).
# usage: tests/bench/match_bench.sh BUILD_DIR
#        (env: MATCH_SIZES ("100000:7 1000000:1"), MATCH_RUNS (3))
#
# The match stage's seconds are the "match" row of svod's stage table:
# linking (blocking, comparing, EM, scoring, clustering) and writing the
# link file. Peak RSS is the whole nightly's (/usr/bin/time -v), which
# bounds the match stage's.
set -eu
export LC_ALL=C
build=${1:-build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
sizes=${MATCH_SIZES:-"100000:7 1000000:1"}
runs=${MATCH_RUNS:-3}
dir=var/bench
pg=$(pwd)/$dir/pgm
work=$dir/match.work
mkdir -p "$dir"
chmod 711 "$dir"

cleanup() {
	sh tests/db/pg.sh stop "$pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "" }'; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
# The figure after "NAME:" in svod eval's text output.
figure() { sed -n "s/^$1: *\([0-9.]*\).*/\1/p" "$2" | head -n 1; }

[ -f "$dir/svod.key" ] || "$build/svod" keygen "$dir/svod.key" >/dev/null
echo "== private PostgreSQL under $dir/pgm (fsync on)"
sh tests/db/pg.sh start "$pg" >/dev/null
export PGHOST="$pg/run" PGUSER=postgres
rm -rf "$work"
mkdir -p "$work"
chmod 700 "$work"

# night CONFIG OUT: one svod nightly; prints "match_s wall_s rss_kib".
night() {
	/usr/bin/time -v -o "$2.time" "$build/svod" nightly --config "$1" \
	    >"$2" 2>"$2.err" || {
		echo "svod nightly failed:" >&2
		tail -n 20 "$2.err" >&2
		exit 1
	}
	m=$(awk '$1 == "match" && NF == 4 { print $4 }' "$2")
	w=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":");
	    s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' \
	    "$2.time")
	r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$2.time")
	echo "$m $w $r"
}

for size in $sizes; do
	residents=${size%%:*}
	seed=${size##*:}
	data=$dir/b$residents
	[ "$seed" = 1 ] || data=$dir/b${residents}s$seed
	if [ ! -f "$data/truth.csv" ]; then
		echo "== generating $residents residents (seed $seed) into $data"
		"$build/svod-synth" --seed "$seed" --residents "$residents" \
		    --out "$data" >/dev/null
	fi
	db=svod_match_$residents
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	psql -X -q -d postgres -c "CREATE DATABASE $db"
	for m in deterministic probabilistic; do
		mkdir -p "$work/state.$m.$residents"
		chmod 700 "$work/state.$m.$residents"
		cat >"$work/$m.$residents.ini" <<INI
[job]
inbox = $(cd "$data" && pwd)
key_file = $(pwd)/$dir/svod.key
rejects_dir = $(pwd)/$work/state.$m.$residents/rejects
database = host=$pg/run dbname=$db user=postgres
as_of = 2026-11-30
max_rejects = 1000000
keep_runs = 2
matcher = $m
INI
	done
	"$build/svod" -q init --config "$work/deterministic.$residents.ini" \
	    >/dev/null
	echo "== $residents residents (seed $seed): $(($(wc -l <"$data/truth.csv") - 1)) records in truth.csv"

	set -- $(night "$work/deterministic.$residents.ini" "$work/det.$residents.txt")
	det_match=$1
	"$build/svod" -q eval --config "$work/deterministic.$residents.ini" \
	    --truth "$data/truth.csv" >"$work/det.$residents.eval"
	printf '  deterministic (reference): match %s s; pairwise precision %s, recall %s\n' \
	    "$det_match" "$(figure 'pairwise precision' "$work/det.$residents.eval")" \
	    "$(figure 'pairwise recall' "$work/det.$residents.eval")"

	: >"$work/prob.$residents.runs"
	i=1
	while [ "$i" -le "$runs" ]; do
		night "$work/probabilistic.$residents.ini" \
		    "$work/prob.$residents.$i.txt" >>"$work/prob.$residents.runs"
		i=$((i + 1))
	done
	out=$work/prob.$residents.$runs.txt
	"$build/svod" -q eval --config "$work/probabilistic.$residents.ini" \
	    --truth "$data/truth.csv" >"$work/prob.$residents.eval"
	mat=$(awk '{ print $1 }' "$work/prob.$residents.runs" | median)
	wall=$(awk '{ print $2 }' "$work/prob.$residents.runs" | median)
	rss=$(awk '{ print $3 }' "$work/prob.$residents.runs" | median)
	echo "  probabilistic, median of $runs nights:"
	printf '    match stage %s s (%.2fx the deterministic match), whole nightly %s s, peak RSS %.1f MB\n' \
	    "$mat" "$(calc "$mat / $det_match")" "$wall" "$(calc "$rss / 1024")"
	sed -n 's/^probabilistic: /    /p' "$out"
	ev=$work/prob.$residents.eval
	printf '    pairwise precision %s, recall %s, F1 %s\n' \
	    "$(figure 'pairwise precision' "$ev")" \
	    "$(figure 'pairwise recall' "$ev")" "$(figure 'pairwise F1' "$ev")"
	printf '    B-cubed precision %s, recall %s\n' \
	    "$(figure 'B-cubed precision' "$ev")" \
	    "$(figure 'B-cubed recall' "$ev")"
	grep -i '^blocking recall\|^evidence' "$ev" | sed 's/^/    /' || true
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
done
