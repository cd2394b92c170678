# Shared set-up for the end-to-end scripts that need a private PostgreSQL
# server (tests/e2e/*.sh). Not a test itself: a script sources it, from
# the repository root, after setting top to that root:
#	top=$(pwd)
#	. "$top/tests/lib/e2e.sh"
# It reads the script's first argument, BUILD_DIR (default build), and
# sets:
#	build, svod	the build directory and the absolute path of svod
#	n, fails	the TAP counters used by ok
#	tmp		a fresh directory /tmp/svod-NAME-XXXXXX (mode 755, so
#			that the server's user reaches $tmp/pg), NAME being
#			the script's name; removed on any exit
#	pg		$tmp/pg, the server's directory (started by start_db)
# and defines the functions below. On exit, cleanup calls cleanup_hook
# (a no-op here: a script with background jobs of its own redefines it
# to stop them), then stops the server and removes $tmp.
# ok prints the last 20 lines of $tmp/out under a failure; a script may
# set ok_tail to another number, ok_err_tail to also print that many last
# lines of $tmp/err, and ok_clear=1 to empty $tmp/out after every ok.

build=${1:-build}
case $build in /*) svod=$build/svod ;; *) svod=$(pwd)/$build/svod ;; esac
n=0
fails=0
ok_tail=20
ok_err_tail=
ok_clear=0
tmp=$(mktemp -d "/tmp/svod-$(basename "$0" .sh)-XXXXXX")
chmod 755 "$tmp"
pg="$tmp/pg"

cleanup_hook() { :; }
cleanup() {
	cleanup_hook
	sh "$top/tests/db/pg.sh" stop "$pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

# ok STATUS DESCRIPTION: one TAP line, "ok" when STATUS is 0.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
		[ -f "$tmp/out" ] &&
		    sed 's/^/#   | /' "$tmp/out" | tail -n "$ok_tail"
		[ -n "$ok_err_tail" ] && [ -f "$tmp/err" ] &&
		    sed 's/^/#   ! /' "$tmp/err" | tail -n "$ok_err_tail"
	fi
	[ "$ok_clear" = 1 ] && : >"$tmp/out"
}

# sql QUERY: run QUERY as postgres on the private server (unaligned,
# tuples only), its errors on stdout.
sql() { psql -X -q -At -h "$pg/run" -U postgres -d svod -c "$1" 2>&1; }

# start_db [DIR...]: start the private server (TAP: "private PostgreSQL
# starts"), make $tmp/state, $tmp/keys and any DIRs, and copy the test key
# to $tmp/keys/test.key with mode 0600.
start_db() {
	sh "$top/tests/db/pg.sh" --no-fsync start "$pg" >"$tmp/out" 2>&1
	ok $? "private PostgreSQL starts"
	mkdir -p "$tmp/state" "$tmp/keys" "$@"
	cp "$top/fixtures/keys/test.key" "$tmp/keys/test.key"
	chmod 600 "$tmp/keys/test.key"
}

# write_config FILE [INBOX [KEY_FILE [LINE...]]]: a job configuration for
# the private server, as of 2026-11-30, rejects under $tmp/state; INBOX is
# fixtures/borough and KEY_FILE the test key when empty or not given; each
# LINE is appended as it is.
write_config() {
	cat >"$1" <<INI
[job]
inbox = ${2:-$top/fixtures/borough}
key_file = ${3:-$tmp/keys/test.key}
rejects_dir = $tmp/state/rejects
database = host=$pg/run dbname=svod user=postgres
as_of = 2026-11-30
INI
	[ $# -gt 3 ] || return 0
	_e2e_file=$1
	shift 3
	printf '%s\n' "$@" >>"$_e2e_file"
}

# init_db [CONFIG]: svod init with CONFIG ($tmp/svod.ini); TAP "svod init".
init_db() {
	"$svod" init --config "${1:-$tmp/svod.ini}" >"$tmp/out" 2>&1
	ok $? "svod init"
}

# hard_cases TRUTH: the hard cases of the published run by TRUTH's tags,
# one line per tag, "tag joined linkable wrongly_merged persons" (see
# tests/lib/hard_cases.py).
hard_cases() {
	_e2e_schema=$(sql "SELECT schema_name FROM svod.published")
	psql -X -q -At -F '	' -h "$pg/run" -U postgres -d svod -c "SELECT
	    feed || ':' || source_key, resident_id FROM auditor.link" \
	    >"$tmp/hard.links"
	psql -X -q -At -F '	' -h "$pg/run" -U postgres -d svod -c "$(
		for _e2e_f in council_tax housing_benefit rent \
		    adult_social_care breathing_space; do
			echo "SELECT DISTINCT '$_e2e_f:' || source_key,"
			echo "  coalesce(tok_nino_stem::text, ''),"
			echo "  coalesce(tok_nhs_number::text, ''),"
			echo "  coalesce(tok_dob::text, ''),"
			echo "  coalesce(tok_uprn::text, ''),"
			echo "  coalesce(tok_postcode::text, '')"
			echo "FROM $_e2e_schema.$_e2e_f"
			[ "$_e2e_f" = breathing_space ] || echo "UNION ALL"
		done)" >"$tmp/hard.tokens" &&
	    python3 "$top/tests/lib/hard_cases.py" "$1" "$tmp/hard.links" \
	    "$tmp/hard.tokens"
}
