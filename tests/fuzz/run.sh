#!/bin/sh
# make fuzz: build each libFuzzer harness in tests/fuzz/ with clang and
# run it for SECONDS (default 60), seeded from the fixtures. Not part of CI.
# usage: tests/fuzz/run.sh [SECONDS]
set -eu
secs=${1:-60}
out=build/fuzz
mkdir -p "$out"
pkgs="libxml-2.0 libpq libcrypto libxxhash inih libutf8proc jansson"
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
 -DSVOD_SCHEMA_DIR=\"$(pwd)/schemas/feeds\" $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lcsv -lm"
status=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	echo "== $name: building"
	# shellcheck disable=SC2086
	clang $cflags -o "$out/$name" "$src" etl/*.c matchers/*.c $libs
	corpus=var/fuzz/$name
	mkdir -p "$corpus"
	case $name in
	fuzz_config) seeds="fixtures/config" ;;
	fuzz_xmlin) seeds="fixtures/xml" ;;
	fuzz_csvin) seeds="fixtures/bad" ;;
	*) seeds="" ;;
	esac
	for s in $seeds; do
		[ -d "$s" ] && find "$s" -type f -size -64k -exec cp {} "$corpus/" \;
	done
	echo "== $name: fuzzing for $secs s"
	if ! "$out/$name" -max_total_time="$secs" -max_len=65536 \
	    -artifact_prefix="$out/$name-" "$corpus" \
	    > "$out/$name.log" 2>&1; then
		echo "$name: FINDING, see $out/$name.log and $out/$name-*"
		status=1
	fi
	tail -n 3 "$out/$name.log"
done
exit $status
