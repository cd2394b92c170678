#!/bin/sh
# make demo: the nightly job on the committed synthetic borough, against a
# private PostgreSQL under var/pg, then one adviser's look-up of a
# resident in breathing space.
# usage: jobs/demo.sh BUILD_DIR
# Running it again reuses the server, the schema and the key (a new night
# is loaded and published). `make demo-stop` stops the server.
set -eu
build=${1:-build}
top=$(pwd)
mkdir -p var/demo
chmod 700 var/demo
chmod 755 var
if [ ! -f var/demo/svod.key ]; then
	"$build/svod" keygen var/demo/svod.key
fi

echo "== starting the private PostgreSQL under var/pg"
sh tests/db/pg.sh start "$top/var/pg"
eval "$(sh tests/db/pg.sh env "$top/var/pg")"
export PGHOST PGPORT PGUSER PGDATABASE

echo
echo "== svod init (applies the migrations that are missing)"
"$build/svod" init --config jobs/demo.ini

echo
echo "== svod nightly --config jobs/demo.ini"
"$build/svod" nightly --config jobs/demo.ini

ref=$(psql -X -At -c "SELECT bs_ref FROM adviser.resident_debt WHERE bs_status LIKE 'active%' ORDER BY hold_recovery DESC, protected_total DESC, bs_ref LIMIT 1")
echo
if [ -n "$ref" ]; then
	echo "== an adviser looks up the resident named in breathing-space notification $ref"
	echo "   svod lookup --config jobs/demo.ini --ref $ref"
	"$build/svod" lookup --config jobs/demo.ini --ref "$ref"
else
	echo "== no resident is in an active breathing space tonight"
fi
echo
echo "The server keeps running for more look-ups:"
echo "  eval \"\$(sh tests/db/pg.sh env $top/var/pg)\"; export PGHOST PGPORT PGUSER PGDATABASE"
echo "  $build/svod lookup --config jobs/demo.ini --ref REF"
echo "Stop it with: make demo-stop"
