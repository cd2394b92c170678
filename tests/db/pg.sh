#!/bin/sh
# A private PostgreSQL server under one directory, for the demo and tests.
# usage: sh tests/db/pg.sh [--no-fsync] start|stop|status|env DIR
#
#   start    create DIR/data with initdb if missing, start the server if it
#            is not running, create the database 'svod' if missing
#   stop     stop the server if it is running (fast shutdown)
#   status   print 'running (pid N)' and exit 0, or 'stopped' and exit 3
#   env      print PGHOST=, PGPORT=, PGUSER= and PGDATABASE= lines, e.g.
#              env $(sh tests/db/pg.sh env var/pg) psql
#              eval "$(sh tests/db/pg.sh env var/pg)"
#              export PGHOST PGPORT PGUSER PGDATABASE
#
# Layout: DIR/data (the cluster, C locale and UTF8 so that sorting is the
# same everywhere), DIR/run (the Unix socket; no TCP: listen_addresses is
# empty), DIR/log (the server log). --no-fsync starts the server with
# fsync=off, for throwaway test servers only. Every command is idempotent.
# As root the server runs as the unprivileged 'postgres' user (PostgreSQL
# refuses root), so DIR must be reachable by that user; otherwise it runs
# as the current user. PGBIN overrides where the server binaries are.
set -eu

PORT=5432
DB=svod
SUPERUSER=postgres

usage() {
	echo "usage: sh tests/db/pg.sh [--no-fsync] start|stop|status|env DIR" >&2
	exit 64
}

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

fsync=on
while [ $# -gt 0 ]; do
	case $1 in
	--no-fsync) fsync=off; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $cmd in start | stop | status | env) ;; *) usage ;; esac
case $dir in *"'"* | *'"'* | *' '*) die "DIR may not hold quotes or spaces: '$dir'" ;; esac

# The newest installed server binaries (Debian keeps them off PATH).
find_bin() {
	if [ -n "${PGBIN:-}" ]; then
		echo "$PGBIN"
		return
	fi
	b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$b" ] && [ -x "$b/pg_ctl" ]; then
		echo "$b"
		return
	fi
	p=$(command -v pg_ctl 2>/dev/null) || die "no PostgreSQL server" \
	    "binaries found: install 'postgresql' (make deps) or set PGBIN"
	dirname "$p"
}

# as_pg CMD...: run CMD as the server's user, from a directory it can
# enter (initdb and pg_ctl complain about an unreadable working directory).
if [ "$(id -u)" = 0 ]; then
	id "$SUPERUSER" >/dev/null 2>&1 ||
		die "no user '$SUPERUSER' to run the server as (install 'postgresql')"
	as_pg() { (cd / && runuser -u "$SUPERUSER" -- "$@"); }
else
	as_pg() { (cd / && "$@"); }
fi

# An absolute DIR, so that the socket path in 'env' works from anywhere.
absdir() {
	case $dir in
	/*) echo "$dir" ;;
	*) echo "$(pwd -P)/$dir" ;;
	esac
}

dir=$(absdir)
data=$dir/data
run=$dir/run
logf=$dir/log

if [ "$cmd" = env ]; then
	echo "PGHOST=$run"
	echo "PGPORT=$PORT"
	echo "PGUSER=$SUPERUSER"
	echo "PGDATABASE=$DB"
	exit 0
fi

bin=$(find_bin)

# is_running: 0 when a server of ours answers on DIR/run. A postmaster.pid
# left by a crash or a reboot is stale when pg_ctl finds no such process,
# or the process with that pid is not a postgres (pids are reused after a
# reboot); it is removed together with the socket lock files.
is_running() {
	[ -f "$data/postmaster.pid" ] || return 1
	if as_pg "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
		pid=$(head -n 1 "$data/postmaster.pid")
		if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		    grep -q postgres; then
			return 0
		fi
	fi
	echo "pg.sh: removing stale $data/postmaster.pid" >&2
	rm -f "$data/postmaster.pid" "$run/.s.PGSQL.$PORT" \
	    "$run/.s.PGSQL.$PORT.lock"
	return 1
}

psql_admin() {
	as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$run" -p "$PORT" \
	    -U "$SUPERUSER" -d postgres "$@"
}

do_init() {
	mkdir -p "$dir"
	chmod 0700 "$dir"
	if [ "$(id -u)" = 0 ]; then
		chown "$SUPERUSER:" "$dir"
		runuser -u "$SUPERUSER" -- test -w "$dir" -a -x "$dir" ||
			die "user '$SUPERUSER' cannot reach '$dir': make its" \
			    "parent directories searchable (chmod o+x)"
	fi
	as_pg mkdir -p "$run"
	# The socket path must fit in sun_path (107 bytes).
	[ ${#run} -le 90 ] || die "socket directory path too long: '$run'"
	echo "pg.sh: initdb $data" >&2
	as_pg "$bin/initdb" -D "$data" -A trust -U "$SUPERUSER" \
	    --locale=C -E UTF8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		rm -rf "$data"
		die "initdb failed"
	}
}

do_start() {
	[ -f "$data/PG_VERSION" ] || do_init
	if ! is_running; then
		as_pg mkdir -p "$run"
		as_pg "$bin/pg_ctl" start -w -t 60 -D "$data" -l "$logf" -o \
		    "-k '$run' -c listen_addresses='' -c port=$PORT -c fsync=$fsync" \
		    >/dev/null || {
			tail -n 20 "$logf" >&2 2>/dev/null || true
			die "cannot start the server in '$data' (log: $logf)"
		}
	fi
	have=$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")
	if [ "$have" != 1 ]; then
		psql_admin -c "CREATE DATABASE $DB"
	fi
	echo "pg.sh: server running on $run (database '$DB')" >&2
}

do_stop() {
	[ -f "$data/PG_VERSION" ] || return 0
	is_running || return 0
	as_pg "$bin/pg_ctl" stop -w -t 60 -m fast -D "$data" >/dev/null
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
status)
	if [ -f "$data/PG_VERSION" ] && is_running; then
		echo "running (pid $(head -n 1 "$data/postmaster.pid"))"
	else
		echo "stopped"
		exit 3
	fi
	;;
esac
