#!/bin/sh
# make demo: run svod over the committed synthetic borough.
# usage: jobs/demo.sh BUILD_DIR
# Makes a demo key under var/demo once (reused afterwards), checks every
# feed, then extracts, validates, normalises and pseudonymises them into
# var/demo/out in COPY format, printing each step's summary.
set -eu
build=${1:-build}
mkdir -p var/demo
chmod 700 var/demo
if [ ! -f var/demo/svod.key ]; then
	"$build/svod" keygen var/demo/svod.key
fi
echo "== svod check --config jobs/demo.ini"
"$build/svod" check --config jobs/demo.ini
echo
echo "== svod extract --config jobs/demo.ini --out var/demo/out"
"$build/svod" extract --config jobs/demo.ini --out var/demo/out
echo
echo "Pseudonymised records are in var/demo/out/<feed>.tsv; contact details"
echo "for advisers (personal data, mode 0600) in var/demo/out/<feed>.contact.tsv."
