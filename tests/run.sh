#!/bin/sh
# Run every test suite and end with the line "N passed, N failed".
# usage: tests/run.sh BUILD_DIR
# Unit tests are cmocka programs (TAP output); the command-line tests in
# tests/e2e/*.sh print TAP lines too. A suite that dies without reporting
# counts as one failure.
build=${1:-build}
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {
	# $1: suite name; $2: exit status; TAP lines in $log
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 exited with status $2"
	fi
	grep '^not ok ' "$log"
	pass=$((pass + p))
	fail=$((fail + f))
	printf '%-28s %4d passed, %d failed\n' "$1" "$p" "$f"
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
	count "$(basename "$t")" $?
done
for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	sh "$t" "$build" >"$log" 2>&1
	count "$(basename "$t" .sh)" $?
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
