#!/bin/sh
# The command-line surface of svod: version, help, usage errors, keygen,
# and 'svod check' on a tiny good configuration.
# usage: sh tests/e2e/cli.sh BUILD_DIR   (from the repository root)
# Prints TAP; exits 0 only if every assertion passed.

build=${1:-build}
if [ ! -x "$build/svod" ]; then
	echo "1..0 # SKIP no $build/svod: build it first"
	exit 1
fi
svod=$(cd "$build" && pwd -P)/svod
root=$(pwd -P)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
out=$tmp/out
err=$tmp/err

n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do
		printf '#   %s\n' "$l"
	done
	for f in "$out" "$err"; do
		[ -s "$f" ] && sed "s/^/#   $(basename "$f")| /" "$f"
	done
	return 0
}

# run ARGS...: run svod with stdout in $out, stderr in $err, status in $rc.
run() {
	"$svod" "$@" >"$out" 2>"$err"
	rc=$?
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $3" "got:      $2"
	fi
}

# has DESCRIPTION FILE TEXT: FILE holds the line TEXT
has_line() {
	if grep -F -x -q -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "expected the line: $3"
	fi
}

# has DESCRIPTION FILE TEXT: FILE holds TEXT somewhere
has() {
	if grep -F -q -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "expected to find: $3"
	fi
}

version=$(cat "$root/VERSION")

# --version
run --version
is "--version: exit 0" "$rc" 0
has_line "--version: prints 'svod $version'" "$out" "svod $version"

# help
run help
is "help: exit 0" "$rc" 0
has "help: usage on stdout" "$out" "usage: svod"
has "help: lists check" "$out" "  check "
has "help: lists keygen" "$out" "  keygen "
run --help
is "--help: exit 0" "$rc" 0
has "--help: usage on stdout" "$out" "usage: svod"
run help check
is "help check: exit 0" "$rc" 0
has "help check: check usage" "$out" "usage: svod check --config FILE"

# check --help
run check --help
is "check --help: exit 0" "$rc" 0
has "check --help: usage on stdout" "$out" "usage: svod check --config FILE"
has "check --help: documents the exit statuses" "$out" "Exit status:"

# Usage errors: EX_USAGE (64), usage on stderr.
run frobnicate
is "unknown command: exit 64" "$rc" 64
has_line "unknown command: named on stderr" "$err" \
    "svod: unknown command 'frobnicate'"
run
is "no command: exit 64" "$rc" 64
has "no command: usage on stderr" "$err" "usage: svod"
run --frobnicate
is "unknown global option: exit 64" "$rc" 64
run check
is "check without --config: exit 64" "$rc" 64
has "check without --config: usage on stderr" "$err" \
    "usage: svod check --config FILE"
run check --config "$tmp/x.ini" extra
is "check with a stray argument: exit 64" "$rc" 64
run check --frobnicate
is "check with an unknown option: exit 64" "$rc" 64
run check --config "$tmp/no-such.ini"
is "check with a missing configuration: exit 66" "$rc" 66
has "check with a missing configuration: names the file" "$err" \
    "$tmp/no-such.ini"
run keygen
is "keygen without FILE: exit 64" "$rc" 64

# keygen
key=$tmp/new.key
run keygen "$key"
is "keygen: exit 0" "$rc" 0
if [ -f "$key" ]; then
	ok "keygen: creates the file"
else
	not_ok "keygen: creates the file" "expected: $key"
fi
is "keygen: mode 0600" "$(stat -c %a "$key" 2>/dev/null)" 600
is "keygen: 65 bytes" "$(wc -c <"$key" 2>/dev/null | tr -d ' ')" 65
if LC_ALL=C grep -E -x -q '[0-9a-f]{64}' "$key" 2>/dev/null &&
    [ "$(wc -l <"$key" | tr -d ' ')" = 1 ]; then
	ok "keygen: 64 hex characters and a newline"
else
	not_ok "keygen: 64 hex characters and a newline"
fi
has "keygen: prints the fingerprint" "$out" "fingerprint"
if grep -F -q -- "$(cat "$key")" "$out" "$err"; then
	not_ok "keygen: never prints the key"
else
	ok "keygen: never prints the key"
fi
cp "$key" "$tmp/before.key"
run keygen "$key"
if [ "$rc" -ne 0 ]; then
	ok "keygen on an existing file: fails (exit $rc)"
else
	not_ok "keygen on an existing file: fails" "got: exit 0"
fi
has "keygen on an existing file: says why" "$err" "refusing to overwrite"
if cmp -s "$key" "$tmp/before.key"; then
	ok "keygen on an existing file: leaves it unchanged"
else
	not_ok "keygen on an existing file: leaves it unchanged"
fi
is "keygen on an existing file: keeps mode 0600" \
    "$(stat -c %a "$key")" 600
run keygen "$tmp/k2.key"
if ! cmp -s "$key" "$tmp/k2.key"; then
	ok "keygen: two keys differ"
else
	not_ok "keygen: two keys differ"
fi

# check on a tiny good configuration: two CSV rows, two XML invoices.
good=$tmp/good
mkdir "$good"
cp "$key" "$good/test.key"
chmod 600 "$good/test.key"
cat >"$good/svod.ini" <<'EOF'
[job]
inbox = .
key_file = test.key
as_of = 2026-11-30

[feed housing_benefit]
enabled = false

[feed rent]
enabled = false

[feed breathing_space]
enabled = false
EOF
cat >"$good/council_tax.csv" <<'EOF'
account_ref,party_no,title,forename,middle_names,surname,date_of_birth,uprn,address_1,address_2,address_3,address_4,postcode,financial_year,balance,recovery_stage,reminder_date,last_payment_date
CT1001,1,Mr,Alaric,,Penhallow,1961-07-23,100023336956,1 Quay St,,,,BN1 1AA,2024/25,120.00,NONE,,
CT1002,1,Mrs,Brigid,,Trevithick,1958-02-11,100023336957,2 Quay St,,,,BN1 1AB,2025/26,80.00,REMINDER,2026-10-01,2026-09-15
EOF
cat >"$good/adult_social_care.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<ascDebts extracted="2026-11-29">
  <client id="ASC001">
    <nhsNumber>9434765919</nhsNumber>
    <name><title>Mrs</title><forename>Isolde</forename><surname>Carnforth</surname></name>
    <dateOfBirth>1949-05-17</dateOfBirth>
    <address uprn="100023336956"><line>4 Mill Lane</line><postcode>BN17 5AB</postcode></address>
    <invoice ref="INV-1" type="RESIDENTIAL" issued="2026-10-01" due="2026-10-31">
      <amount>1200.00</amount>
      <balance>800.50</balance>
    </invoice>
    <invoice ref="INV-2" type="NON_RESIDENTIAL" issued="2026-11-01" due="2026-11-30">
      <amount>50</amount>
      <balance>50</balance>
    </invoice>
  </client>
</ascDebts>
EOF

# counts FEED WANT: "files read accepted rejected warned" of FEED's row.
counts() {
	awk -v f="$1" '$1 == f && /^[a-z]/ { print $2, $3, $4, $5, $6; exit }' \
	    "$out"
}

for tokens in "" --tokens; do
	what="check${tokens:+ $tokens} on a good configuration"
	(cd "$tmp" && "$svod" check --config "$good/svod.ini" $tokens) \
	    >"$out" 2>"$err"
	rc=$?
	is "$what: exit 0" "$rc" 0
	is "$what: council_tax 1 file, 2 read, 2 accepted" \
	    "$(counts council_tax)" "1 2 2 0 0"
	is "$what: adult_social_care 1 file, 2 read, 2 accepted" \
	    "$(counts adult_social_care)" "1 2 2 0 0"
	is "$what: total 4 read, 4 accepted" \
	    "$(awk '$1 == "total" { print $2, $3, $4, $5; exit }' "$out")" \
	    "4 4 0 0"
	if grep -q -e '^rejects by reason' -e '^failed feeds' "$out"; then
		not_ok "$what: no rejects, no failed feeds"
	else
		ok "$what: no rejects, no failed feeds"
	fi
	if [ -e "$good/rejects" ]; then
		not_ok "$what: no rejects directory"
	else
		ok "$what: no rejects directory"
	fi
	if grep -F -q -e Penhallow -e Carnforth -e 1961-07-23 "$out" "$err"
	then
		not_ok "$what: personal data kept out of the output"
	else
		ok "$what: personal data kept out of the output"
	fi
done

# --as-of
run check --config "$good/svod.ini" --as-of 2026-02-30
is "check --as-of with an impossible date: exit 64" "$rc" 64

echo "1..$n"
[ "$failed" -eq 0 ] && [ "$n" -gt 0 ]
