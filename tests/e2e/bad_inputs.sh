#!/bin/sh
# Bad inputs: run 'svod check' on every case under fixtures/bad/ and
# compare the exit status and output with the case's 'expected' file.
# usage: sh tests/e2e/bad_inputs.sh BUILD_DIR   (from the repository root)
# Prints TAP; exits 0 only if every assertion passed.
#
# Each case directory is copied to a private temporary tree laid out like
# fixtures/ (bad/CASE next to keys/test.key), so that the relative paths
# of its svod.ini work, nothing is written into the source tree, and the
# restricted rejects files land in the copy. The output file lies outside
# the case directory, which is the feed's inbox.
#
# 'expected': the exit status on line 1, then one assertion per line:
#   TEXT               a whole line of stdout+stderr is TEXT
#   @prefix TEXT       some line of stdout+stderr starts with TEXT
#   @absent TEXT       TEXT appears nowhere in stdout+stderr
#   @private TEXT      the same, for personal data from the input
#   @counts FEED FILES READ ACCEPTED REJECTED WARNED
#                      the feed's row of the summary table
#   @rejects FEED N    rejects/FEED.rejects.csv holds N records, mode
#                      0600, in a directory of mode 0700
#   @raw TEXT          the restricted rejects file(s) hold TEXT
#   @norejects         no rejects directory was created
#   @args ARGS         extra arguments for 'svod check'
#   @keymode MODE      chmod the copied key file to MODE (default 600)
# In every line @DIR@ stands for the case directory (as svod prints it:
# physical, absolute).

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

n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

# not_ok DESCRIPTION [DIAGNOSTIC LINE...]
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do
		printf '#   %s\n' "$l"
	done
}

# Replace every @DIR@ in $1 by $dir.
subst() {
	s=$1
	r=
	while :; do
		case $s in
		*@DIR@*)
			r=$r${s%%@DIR@*}$dir
			s=${s#*@DIR@}
			;;
		*)
			break
			;;
		esac
	done
	printf '%s' "$r$s"
}

# Show the output after a failed assertion.
show_output() {
	sed 's/^/#   | /' "$out"
}

run_case() {
	case=$1
	src=$root/fixtures/bad/$case
	base=$tmp/$case
	mkdir -p "$base/bad" "$base/keys"
	cp -R "$src" "$base/bad/$case"
	cp "$root/fixtures/keys/test.key" "$base/keys/test.key"
	# git keeps only the executable bit: set the modes here.
	chmod 600 "$base/keys/test.key"
	dir=$(cd "$base/bad/$case" && pwd -P)
	out=$base/out
	exp=$src/expected

	if [ ! -f "$exp" ]; then
		not_ok "$case: has an 'expected' file"
		return
	fi
	status=$(sed -n 1p "$exp")
	args=$(sed -n 's/^@args //p' "$exp")
	keymode=$(sed -n 's/^@keymode //p' "$exp")
	[ -n "$keymode" ] && chmod "$keymode" "$base/keys/test.key"

	# shellcheck disable=SC2086 # args are words
	(cd "$tmp" && "$svod" check --config "$dir/svod.ini" $args) \
	    >"$out" 2>&1
	rc=$?
	if [ "$rc" = "$status" ]; then
		ok "$case: exit status $status"
	else
		not_ok "$case: exit status $status" "expected: $status" \
		    "got:      $rc"
		show_output
	fi

	sed 1d "$exp" | while IFS= read -r line || [ -n "$line" ]; do
		line=$(subst "$line")
		case $line in
		@args\ * | @keymode\ *)
			;;
		@prefix\ *)
			t=${line#@prefix }
			if awk -v t="$t" 'index($0, t) == 1 { f = 1 }
			    END { exit !f }' "$out"; then
				ok "$case: a line starts with: $t"
			else
				not_ok "$case: a line starts with: $t" \
				    "expected a line starting: $t" "got:"
				show_output
			fi
			;;
		@absent\ * | @private\ *)
			kind=${line%% *}
			t=${line#* }
			if grep -F -q -- "$t" "$out"; then
				if [ "$kind" = @private ]; then
					not_ok "$case: personal data kept out of the output" \
					    "found a personal value of the input in:"
				else
					not_ok "$case: no '$t' in the output" \
					    "found it in:"
				fi
				show_output
			elif [ "$kind" = @private ]; then
				ok "$case: personal data kept out of the output"
			else
				ok "$case: no '$t' in the output"
			fi
			;;
		@counts\ *)
			# shellcheck disable=SC2086 # split into words
			set -- ${line#@counts }
			feed=$1
			shift
			want="$*"
			got=$(awk -v f="$feed" '$1 == f && /^[a-z]/ {
			    print $2, $3, $4, $5, $6; exit }' "$out")
			if [ "$got" = "$want" ]; then
				ok "$case: $feed files read accepted rejected warned = $want"
			else
				not_ok "$case: $feed files read accepted rejected warned = $want" \
				    "expected: $want" "got:      ${got:-(no row)}"
				show_output
			fi
			;;
		@rejects\ *)
			# shellcheck disable=SC2086 # split into words
			set -- ${line#@rejects }
			f=$dir/rejects/$1.rejects.csv
			if [ ! -f "$f" ]; then
				not_ok "$case: restricted rejects file $1.rejects.csv" \
				    "expected: $f" "got:      no such file"
				continue
			fi
			fm=$(stat -c %a "$f")
			dm=$(stat -c %a "$dir/rejects")
			recs=$(($(wc -l <"$f") - 1))
			if [ "$fm" = 600 ] && [ "$dm" = 700 ] &&
			    [ "$recs" = "$2" ]; then
				ok "$case: restricted rejects file $1.rejects.csv (0600, $2 records)"
			else
				not_ok "$case: restricted rejects file $1.rejects.csv (0600, $2 records)" \
				    "expected: file mode 600, directory 700, $2 records" \
				    "got:      file mode $fm, directory $dm, $recs records"
			fi
			;;
		@raw\ *)
			t=${line#@raw }
			if cat "$dir"/rejects/*.rejects.csv 2>/dev/null |
			    grep -F -q -- "$t"; then
				ok "$case: the raw row is kept in the restricted file"
			else
				not_ok "$case: the raw row is kept in the restricted file" \
				    "expected it to hold: $t" "got:"
				cat "$dir"/rejects/*.rejects.csv 2>/dev/null |
				    sed 's/^/#   | /'
			fi
			;;
		@norejects)
			if [ -e "$dir/rejects" ]; then
				not_ok "$case: no rejects directory" \
				    "expected: no $dir/rejects" \
				    "got:      $(cd "$dir/rejects" && echo *)"
			else
				ok "$case: no rejects directory"
			fi
			;;
		@*)
			not_ok "$case: unknown assertion in expected" "$line"
			;;
		*)
			if grep -F -x -q -- "$line" "$out"; then
				ok "$case: prints: $line"
			else
				not_ok "$case: prints: $line" \
				    "expected the line: $line" "got:"
				show_output
			fi
			;;
		esac
	done >"$base/tap"
	# The loop ran in a subshell: count its lines here.
	while IFS= read -r t; do
		case $t in
		"not ok "*)
			n=$((n + 1))
			failed=$((failed + 1))
			echo "not ok $n - ${t#not ok * - }"
			;;
		"ok "*)
			n=$((n + 1))
			echo "ok $n - ${t#ok * - }"
			;;
		*)
			echo "$t"
			;;
		esac
	done <"$base/tap"
}

for d in "$root"/fixtures/bad/*/; do
	[ -d "$d" ] || continue
	run_case "$(basename "$d")"
done

echo "1..$n"
[ "$failed" -eq 0 ] && [ "$n" -gt 0 ]
