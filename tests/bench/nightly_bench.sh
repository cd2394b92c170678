#!/bin/sh
# make bench, part 2: the whole nightly job on the 1,000,000-resident
# synthetic borough against a private PostgreSQL under var/bench/pg, and
# svod's load stage beside `psql \copy` of the same rows into the same
# tables in the same bench run.
# usage: tests/bench/nightly_bench.sh BUILD_DIR
#        (env: RESIDENTS, NIGHTLY_RUNS (3), COPY_RUNS (3))
#
# - The server keeps fsync ON (pg.sh without --no-fsync): this measures the
#   real thing, commits included. The database 'svod' is dropped and made
#   again at the start so that run 1 is a first night (every resident id
#   new) and runs 2 and 3 inherit ids, as on real nights. A CHECKPOINT is
#   taken before each run so one run's dirty pages are not written during
#   the next.
# - Each `svod nightly` runs under /usr/bin/time -v (wall time, peak RSS).
#   Stage seconds come from svod's summary: extract is the feed table's
#   total seconds, then match, load, publish and "locks held N ms".
# - svod's sessions run with log_min_duration_statement = 0 (PGOPTIONS,
#   only for them), so the server log gives every statement's duration:
#   the COPY part of svod's load stage, a breakdown of the rest, and the
#   stage boundaries used to attribute svod's RSS samples (VmRSS read from
#   /proc every 0.1 s) to stages. svod's "load" stage is more than COPY:
#   CREATE SCHEMA/TABLE, the COPYs, then (after match) index builds,
#   ANALYZE, the run_input rows, the run views, an ordered SHA-256 dump of
#   every table for the manifest, and the COMMIT.
# - \copy: after the last run, each table svod loaded in the published
#   run_<id> (feed, contact and breathing_space_debt tables; link too, but
#   svod copies link in its match stage, so it is reported apart) is
#   dumped once with \copy TO; then COPY_RUNS times, in one psql session
#   and one transaction like svod's: CREATE TABLE bench.<t> (LIKE
#   run_<id>.<t>), \copy bench.<t> FROM file for every table, COMMIT;
#   timed with \timing (and by the server log). Text format, as svod
#   uses; binary format is timed too for reference.
set -eu
export LC_ALL=C
build=${1:-build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
residents=${RESIDENTS:-1000000}
runs=${NIGHTLY_RUNS:-3}
copy_runs=${COPY_RUNS:-3}
dir=var/bench
data=$dir/b$residents
pg=$(pwd)/$dir/pg
state=$(pwd)/$dir/nightly
work=$dir/nightly.work
mkdir -p "$dir"
# var/bench holds the key and contact data: others may pass through it
# (the server runs as 'postgres' when we are root) but not list it.
chmod 711 "$dir"
sampler=""

cleanup() {
	[ -n "$sampler" ] && kill "$sampler" 2>/dev/null
	rm -rf "$work/copy"
	sh tests/db/pg.sh stop "$pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "" }'; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
ms() { date -d "$1" +%s%3N; }

if [ ! -f "$data/truth.csv" ]; then
	echo "== generating $residents residents into $data"
	/usr/bin/time -f 'generator: %e s wall, %M KiB peak RSS' \
	    "$build/svod-synth" --seed 1 --residents "$residents" --out "$data"
fi
[ -f "$dir/svod.key" ] || "$build/svod" keygen "$dir/svod.key" >/dev/null

echo "== private PostgreSQL under $dir/pg (fsync on)"
sh tests/db/pg.sh start "$pg"
export PGHOST="$pg/run" PGUSER=postgres
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS svod WITH (FORCE)"
sh tests/db/pg.sh start "$pg" 2>/dev/null
rm -rf "$state" "$work"
mkdir -p "$state" "$work"
chmod 700 "$state" "$work"
cfg=$work/nightly.ini
cat >"$cfg" <<INI
[job]
inbox = $(cd "$data" && pwd)
key_file = $(pwd)/$dir/svod.key
rejects_dir = $state/rejects
database = host=$pg/run dbname=svod user=postgres
as_of = 2026-11-30
max_rejects = 1000000
keep_runs = 3
INI
"$build/svod" -q init --config "$cfg" >/dev/null
echo "  $(psql -X -At -d svod -c "SELECT 'server ' || version()" | cut -d, -f1)," \
    "fsync $(psql -X -At -d svod -c 'SHOW fsync')," \
    "shared_buffers $(psql -X -At -d svod -c 'SHOW shared_buffers')," \
    "$(nproc) cores"
feeds="council_tax.csv housing_benefit.csv rent.csv adult_social_care.xml breathing_space.xml"
printf '  input: %s, five feeds, %.1f MB\n' "$data" \
    "$(calc "$(cd "$data" && du -cb $feeds | tail -n 1 | cut -f1) / 1e6")"

log=$pg/log
# The statements of svod's session from byte OFFSET of the server log:
# "end timestamp|duration ms|statement".
statements() {
	tail -c +"$(($1 + 1))" "$log" | awk '
	/ LOG:  duration: [0-9.]+ ms  (statement|execute [^:]*): / {
		stamp = $1 " " $2 " " $3
		d = $0; sub(/.* LOG:  duration: /, "", d)
		dur = d; sub(/ ms.*/, "", dur)
		sub(/^[0-9.]+ ms  (statement|execute [^:]*): /, "", d)
		print stamp "|" dur "|" d
	}'
}

# sample PID: "epoch ms<space>VmRSS KiB" every 0.1 s while PID lives.
sample() {
	while [ -r "/proc/$1/status" ]; do
		rss=
		while read -r k v _; do
			[ "$k" = VmRSS: ] && { rss=$v; break; }
		done <"/proc/$1/status" 2>/dev/null || true
		[ -n "$rss" ] && echo "$(date +%s%3N) $rss"
		sleep 0.1
	done
}

echo "== svod nightly, $runs runs (run 1 a first night, then ids inherited)"
i=1
while [ "$i" -le "$runs" ]; do
	psql -X -q -d svod -c CHECKPOINT
	off=$(stat -c %s "$log")
	t0=$(date +%s%3N)
	PGOPTIONS='-c log_min_duration_statement=0' /usr/bin/time -v \
	    -o "$work/time.$i" "$build/svod" nightly --config "$cfg" \
	    >"$work/nightly.$i.txt" 2>"$work/nightly.$i.err" &
	tpid=$!
	spid=""
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		spid=$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null |
		    awk '{ print $1 }') || true
		[ -n "$spid" ] && break
		sleep 0.01
	done
	if [ -n "$spid" ]; then
		sample "$spid" >"$work/rss.$i" &
		sampler=$!
	else
		: >"$work/rss.$i"
	fi
	rc=0
	wait "$tpid" || rc=$?
	[ -n "$sampler" ] && { wait "$sampler" 2>/dev/null || true; sampler=""; }
	if [ "$rc" -ne 0 ]; then
		echo "svod nightly run $i failed (exit $rc):" >&2
		tail -n 20 "$work/nightly.$i.err" "$work/nightly.$i.txt" >&2
		exit 1
	fi
	statements "$off" >"$work/stmts.$i"
	out=$work/nightly.$i.txt
	# Stage seconds from svod's summary.
	ext=$(awk '$1 == "total" { print $NF; exit }' "$out")
	mat=$(awk '$1 == "match" && NF == 4 { print $4 }' "$out")
	lod=$(awk '$1 == "load" && $2 == "(rows)" { print $4 }' "$out")
	pub=$(awk '$1 == "publish" { print $2 }' "$out")
	held=$(sed -n 's/.*(locks held \([0-9.]*\) ms[,)].*/\1/p' "$out")
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":");
	    s = 0; for (k = 1; k <= n; k++) s = s * 60 + p[k]; print s }' \
	    "$work/time.$i")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
	    "$work/time.$i")
	runid=$(sed -n 's/^run \([0-9]*\) published as.*/\1/p' "$out")
	waits=$(grep -c 'publish waited' "$work/nightly.$i.err" || true)
	# The server's time for svod's statements, by kind.
	awk -F'|' -v r="run_$runid" '
	function add(k) { t[k] += $2 }
	$3 ~ /^(CREATE SCHEMA|CREATE TABLE)/ { add("create"); next }
	$3 ~ /^COPY run_[0-9]+\.link FROM STDIN/ { add("copy_link"); next }
	$3 ~ /^COPY run_[0-9]+\.[a-z_]+ FROM STDIN/ { add("copy"); next }
	$3 ~ /^CREATE INDEX/ { add("index"); next }
	$3 ~ /^ANALYZE/ { add("analyze"); next }
	$3 ~ /create_run_views/ { add("views"); next }
	$3 ~ /^COPY \(SELECT \* FROM run_[0-9]+\.(debt_line|resident_debt) / {
		add("digests_views"); next
	}
	$3 ~ /^COPY \(SELECT/ { add("digests"); next }
	$3 ~ /svod\.(run_input|reject)/ { add("inputs"); next }
	$3 ~ /SET manifest/ { add("manifest"); next }
	$3 ~ /^COMMIT/ && !c++ { add("commit"); next }
	$3 ~ /svod\.publish/ { add("publish_fn"); next }
	$3 ~ /^DROP SCHEMA/ { add("retention"); next }
	{ add("other") }
	END { for (k in t) printf "%s %.3f\n", k, t[k] / 1000 }' \
	    "$work/stmts.$i" >"$work/kinds.$i"
	# Stage boundaries (epoch ms) from the server log, for the RSS
	# samples: extract ends when CREATE SCHEMA starts; the COPY part of
	# load ends with the last feed COPY; match ends when the first index
	# build starts; load ends when publish starts.
	b() {
		l=$(awk -F'|' "$1" "$work/stmts.$i")
		[ -n "$l" ] || { echo 0; return; }
		e=$(ms "$(echo "$l" | cut -d'|' -f1)")
		d=$(echo "$l" | cut -d'|' -f2)
		awk -v e="$e" -v d="$d" -v w="$2" \
		    'BEGIN { printf "%.0f", w == "start" ? e - d : e }'
	}
	b1=$(b '$3 ~ /^CREATE SCHEMA/ { print; exit }' start)
	b2=$(b '$3 ~ /^COPY run_[0-9]+\.[a-z_]+ FROM STDIN/ && $3 !~ /\.link / { l = $0 } END { print l }' end)
	b3=$(b '$3 ~ /^CREATE INDEX/ { print; exit }' start)
	b4=$(b '$3 ~ /svod\.publish/ { l = $0 } END { print l }' start)
	awk -v b1="$b1" -v b2="$b2" -v b3="$b3" -v b4="$b4" '
	function put(k, v) { if (v > m[k]) m[k] = v }
	{
		if ($1 < b1) s = "extract"
		else if ($1 < b2) s = "load"
		else if ($1 < b3) s = "match"
		else if ($1 < b4) s = "load"
		else s = "publish"
		put(s, $2)
		last = $2
	}
	# publish lasts milliseconds: if no sample fell in it, the last one.
	END { if (!("publish" in m) && last != "") m["publish"] = last }
	END { for (k in m) print k, m[k] }' "$work/rss.$i" >"$work/stagerss.$i"
	printf '  run %d (run_%s): %.2f s wall, peak RSS %d KiB; extract %s s,' \
	    "$i" "$runid" "$wall" "$rss" "$ext"
	printf ' match %s s, load %s s, publish %s s (locks held %s ms, %d lock waits)\n' \
	    "$mat" "$lod" "$pub" "$held" "$waits"
	awk '{ v[$1] = $2 } END { printf "    load: COPY %.3f s, indexes %.3f s, ANALYZE %.3f s, digests %.3f s (views %.3f s); match: link COPY %.3f s\n", v["copy"], v["index"], v["analyze"], v["digests"] + v["digests_views"], v["digests_views"], v["copy_link"] }' \
	    "$work/kinds.$i"
	{
		echo "extract $ext"
		echo "match $mat"
		echo "load $lod"
		echo "publish $pub"
		echo "held $held"
		echo "wall $wall"
		echo "rss $rss"
		echo "runid $runid"
	} >"$work/fig.$i"
	i=$((i + 1))
done

fig() { # fig NAME [FILE-PREFIX]: median over the runs
	for k in $(seq "$runs"); do
		awk -v n="$1" '$1 == n { print $2 }' "$work/${2:-fig}.$k"
	done | median
}
runid=$(awk '$1 == "runid" { print $2 }' "$work/fig.$runs")
schema=run_$runid

printf '== \\copy of the same rows into the same tables (%s), median of %s\n' "$schema" "$copy_runs"
mkdir -p "$work/copy"
chmod 700 "$work/copy"
tables=$(psql -X -At -d svod -c "SELECT c.relname FROM pg_class c JOIN \
pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = '$schema' AND \
c.relkind = 'r' AND c.relname NOT LIKE 'cfg\\_%' ORDER BY c.relname = 'link', \
c.relname")
rows=$(for t in $tables; do
	[ "$t" = link ] && continue
	psql -X -At -d svod -c "SELECT count(*) FROM $schema.$t"
done | awk '{ s += $1 } END { print s }')
{
	for t in $tables; do
		printf '%s\n' "\\copy $schema.$t TO '$work/copy/$t.tsv'"
		printf '%s\n' "\\copy $schema.$t TO '$work/copy/$t.bin' WITH (FORMAT binary)"
	done
} | psql -X -q -v ON_ERROR_STOP=1 -d svod
bytes=$(cat "$work"/copy/*.tsv | wc -c)
linkrows=$(psql -X -At -d svod -c "SELECT count(*) FROM $schema.link")
# One session: a transaction creating the tables and loading them, like
# svod's; "@ label" lines name the \timing lines that follow.
copy_script() { # FORMAT (text or binary)
	ext=tsv
	with=""
	[ "$1" = binary ] && { ext=bin; with=" WITH (FORMAT binary)"; }
	echo "SET client_min_messages = warning;"
	echo "DROP SCHEMA IF EXISTS bench CASCADE;"
	echo "CREATE SCHEMA bench;"
	echo "CHECKPOINT;"
	printf '%s\n' "\\timing on"
	printf '%s\n' "\\echo @ begin"
	echo "BEGIN;"
	printf '%s\n' "\\echo @ create"
	for t in $tables; do
		echo "CREATE TABLE bench.$t (LIKE $schema.$t);"
	done
	# svod creates link with its primary key before copying into it.
	echo "ALTER TABLE bench.link ADD PRIMARY KEY (feed, source_key);"
	for t in $tables; do
		if [ "$t" = link ]; then
			printf '%s\n' "\\echo @ copy_link"
		else
			printf '%s\n' "\\echo @ copy"
		fi
		printf '%s\n' "\\copy bench.$t FROM '$work/copy/$t.$ext'$with"
	done
	printf '%s\n' "\\echo @ commit"
	echo "COMMIT;"
	printf '%s\n' "\\timing off"
	echo "DROP SCHEMA bench CASCADE;"
}
for fmt in text binary; do
	k=1
	while [ "$k" -le "$copy_runs" ]; do
		off=$(stat -c %s "$log")
		copy_script $fmt | PGOPTIONS='-c log_min_duration_statement=0' \
		    psql -X -q -v ON_ERROR_STOP=1 -d svod >"$work/copy.$fmt.$k"
		awk '/^@ / { c = $2; next }
		/^Time: / { t[c] += $2 }
		END { for (c in t) printf "%s %.3f\n", c, t[c] / 1000 }' \
		    "$work/copy.$fmt.$k" >"$work/copyt.$fmt.$k"
		statements "$off" | awk -F'|' '$3 ~ /^COPY +bench\.[a-z_]+ FROM STDIN/ &&
		    $3 !~ /bench\.link / { s += $2 } END { printf "server_copy %.3f\n", s / 1000 }' \
		    >>"$work/copyt.$fmt.$k"
		k=$((k + 1))
	done
done
cfig() { # cfig FORMAT NAME: median over the \copy runs
	for k in $(seq "$copy_runs"); do
		awk -v n="$2" '$1 == n { print $2 }' "$work/copyt.$1.$k"
	done | median
}
c_copy=$(cfig text copy)
c_create=$(cfig text create)
c_commit=$(cfig text commit)
c_link=$(cfig text copy_link)
c_server=$(cfig text server_copy)
c_all=$(calc "$c_copy + $c_create + ${c_commit:-0}")
b_copy=$(cfig binary copy)
printf '  %s rows in %d tables (%.1f MB as text), link %s rows apart\n' \
    "$rows" "$(($(echo "$tables" | wc -w) - 1))" "$(calc "$bytes / 1e6")" \
    "$linkrows"
printf '  \\copy FROM, text:   %.3f s (server %.3f s); CREATE TABLE %.3f s; COMMIT %.3f s; link %.3f s\n' \
    "$c_copy" "$c_server" "$c_create" "$c_commit" "$c_link"
printf '  \\copy FROM, binary: %.3f s\n' "$b_copy"

# Medians.
m_ext=$(fig extract); m_mat=$(fig match); m_lod=$(fig load)
m_pub=$(fig publish); m_held=$(fig held); m_wall=$(fig wall); m_rss=$(fig rss)
k_copy=$(fig copy kinds); k_create=$(fig create kinds)
k_index=$(fig index kinds); k_analyze=$(fig analyze kinds)
k_views=$(fig views kinds); k_digests=$(fig digests kinds)
k_dviews=$(fig digests_views kinds)
k_inputs=$(fig inputs kinds); k_commit=$(fig commit kinds)
k_manifest=$(fig manifest kinds); k_link=$(fig copy_link kinds)
srss() { fig "$1" stagerss; }

echo
echo "== nightly on $residents residents: medians of $runs runs (fsync on)"
printf '  %-26s %10s %16s\n' stage seconds "peak RSS (KiB)"
printf '  %-26s %10.3f %16s\n' extract "$m_ext" "$(srss extract)"
printf '  %-26s %10.3f %16s\n' match "$m_mat" "$(srss match)"
printf '  %-26s %10.3f %16s\n' load "$m_lod" "$(srss load)"
printf '  %-26s %10.3f %16s\n' publish "$m_pub" "$(srss publish)"
printf '  %-26s %10.3f %16s\n' "whole nightly (wall)" "$m_wall" "$m_rss"
echo "  (peak RSS: svod's process; per stage from VmRSS samples every"
echo "   0.1 s, the whole run from /usr/bin/time -v)"
echo
echo "  load stage, server time by statement (median):"
printf '    %-38s %8.3f s\n' "CREATE SCHEMA/TABLE" "${k_create:-0}" \
    "COPY FROM STDIN (feed tables)" "${k_copy:-0}" \
    "CREATE INDEX" "${k_index:-0}" "ANALYZE" "${k_analyze:-0}" \
    "run_input and rejects" "${k_inputs:-0}" \
    "create_run_views" "${k_views:-0}" \
    "digests of the tables" "${k_digests:-0}" \
    "digests of debt_line, resident_debt" "${k_dviews:-0}" \
    "manifest" "${k_manifest:-0}" "COMMIT" "${k_commit:-0}"
printf '    (the link COPY, %.3f s, is in the match stage)\n' "${k_link:-0}"
echo
echo "== targets"
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo MISSED; }
printf '  whole nightly, median wall           %6.2f s  target < 60 s    %s\n' \
    "$m_wall" "$(verdict "$m_wall < 60")"
printf '  publish locks held, median           %6.1f ms target < 100 ms  %s\n' \
    "$m_held" "$(verdict "$m_held < 100")"
r_copy=$(calc "${k_copy:-0} / $c_server")
r_copyc=$(calc "${k_copy:-0} / $c_copy")
r_load=$(calc "$m_lod / $c_all")
printf '  svod COPY part / \\copy, server-side  %6.2f x  target <= 1.25x  %s\n' \
    "$r_copy" "$(verdict "$r_copy <= 1.25")"
printf '  svod COPY part / \\copy, psql \\timing %6.2f x  target <= 1.25x  %s\n' \
    "$r_copyc" "$(verdict "$r_copyc <= 1.25")"
printf '  svod whole load stage / \\copy        %6.2f x  target <= 1.25x  %s\n' \
    "$r_load" "$(verdict "$r_load <= 1.25")"
printf '    (the load stage also builds indexes, runs ANALYZE, creates the run\n'
printf '    views and digests every table and view for the manifest: see above;\n'
printf '    \\copy side: CREATE TABLE + \\copy + COMMIT, %.3f s)\n' "$c_all"
printf '  (text COPY on both sides; \\copy in binary format takes %s s)\n' "$b_copy"
sh tests/db/pg.sh stop "$pg"
echo "  server stopped ($dir/pg)"
