/*
 * Unit tests for etl/fields. Most cases live in fixtures/cases/fields_*.txt
 * (read from the repository root, where tests run), three lines each: the
 * input, the expected result, a blank line. See the comment at the top of
 * each file for its options. Each input is copied into a buffer of exactly
 * its length, so a validator reading past 'n' shows up under ASan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/fields.h"

#define CASES_DIR	"fixtures/cases/"
#define TEXT_MAX	512

struct fcase {
	int	 line;			/* line of the input */
	char	 opts[128];		/* inside "[...]", or "" */
	char	 in[TEXT_MAX];		/* input, unescaped */
	size_t	 inlen;
	char	 want[TEXT_MAX];	/* expected line, unescaped */
	size_t	 wantlen;
};

struct result {
	char	 s[TEXT_MAX];
	size_t	 len;
};

typedef void check_fn(const struct fcase *c, const char *in, size_t inlen,
    struct result *got);

static const char *const topics[] = {
	"money", "date", "dob", "days", "int", "fy", "enum", "nino", "nhs",
	"postcode", "uprn", "text",
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the case-file escapes: \s space, \t tab, \\ backslash, \xHH a
 * byte, \e nothing. Returns the length, or -1 for a bad escape or
 * overflow.
 */
static long
unescape(const char *s, char *out, size_t cap)
{
	size_t len = 0;
	unsigned v;
	char c;

	while (*s != '\0') {
		c = *s++;
		if (c == '\\') {
			switch (*s++) {
			case 's':
				c = ' ';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
				c = '\\';
				break;
			case 'e':
				continue;
			case 'x':
				if (hexval(s[0]) < 0 || hexval(s[1]) < 0)
					return -1;
				v = (unsigned)hexval(s[0]) * 16 +
				    (unsigned)hexval(s[1]);
				s += 2;
				c = (char)v;
				break;
			default:
				return -1;
			}
		}
		if (len == cap)
			return -1;
		out[len++] = c;
	}
	return (long)len;
}

/*
 * Read fields_<topic>.txt into a malloc'd array. Returns the number of
 * cases, or -1 after printing why (missing file, broken triple).
 */
static long
load_cases(const char *topic, struct fcase **casesp)
{
	char path[256], *line = NULL, *p, *q;
	struct fcase *cases = NULL, *c;
	size_t cap = 0, ncases = 0, lcap = 0;
	ssize_t got;
	long n, rc = -1;
	int lineno = 0, state = 0;
	FILE *f;

	snprintf(path, sizeof(path), CASES_DIR "fields_%s.txt", topic);
	if ((f = fopen(path, "r")) == NULL) {
		print_error("cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	c = NULL;
	while ((got = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		if (got > 0 && line[got - 1] == '\n')
			line[--got] = '\0';
		if (strchr(line, '\r') != NULL) {
			print_error("%s:%d: carriage return\n", path, lineno);
			goto out;
		}
		if (state == 0) {
			/* Between cases: skip blank lines and comments. */
			if (line[0] == '\0' || line[0] == '#')
				continue;
			if (ncases == cap) {
				cap = cap ? cap * 2 : 64;
				cases = realloc(cases, cap * sizeof(*cases));
				assert_non_null(cases);
			}
			c = &cases[ncases++];
			memset(c, 0, sizeof(*c));
			c->line = lineno;
			p = line;
			if (*p == '[') {
				if ((q = strchr(p, ']')) == NULL ||
				    (size_t)(q - p) > sizeof(c->opts)) {
					print_error("%s:%d: bad options\n",
					    path, lineno);
					goto out;
				}
				memcpy(c->opts, p + 1, (size_t)(q - p - 1));
				p = q + 1;
				if (*p == ' ')
					p++;
			}
			if ((n = unescape(p, c->in, sizeof(c->in))) < 0) {
				print_error("%s:%d: bad escape\n", path,
				    lineno);
				goto out;
			}
			c->inlen = (size_t)n;
			state = 1;
		} else if (state == 1) {
			n = unescape(line, c->want, sizeof(c->want));
			if (line[0] == '\0' || n < 0) {
				print_error("%s:%d: bad expected line\n", path,
				    lineno);
				goto out;
			}
			c->wantlen = (size_t)n;
			state = 2;
		} else {
			if (line[0] != '\0') {
				print_error("%s:%d: expected a blank line\n",
				    path, lineno);
				goto out;
			}
			state = 0;
		}
	}
	if (state == 1) {
		print_error("%s: last case has no expected line\n", path);
		goto out;
	}
	if (ncases == 0) {
		print_error("%s: no cases\n", path);
		goto out;
	}
	*casesp = cases;
	cases = NULL;
	rc = (long)ncases;
out:
	free(cases);
	free(line);
	fclose(f);
	return rc;
}

/* Whether word 'w' stands alone in the case's options. */
static bool
opt_has(const struct fcase *c, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = c->opts; (p = strstr(p, w)) != NULL; p += n)
		if ((p == c->opts || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

/* The value after "key=" in the options, or NULL. */
static const char *
opt_value(const struct fcase *c, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = c->opts; (p = strstr(p, key)) != NULL; p += n)
		if ((p == c->opts || p[-1] == ' ') && p[n] == '=')
			return p + n + 1;
	return NULL;
}

/* Whether every option word is in 'known' (keys written "min="). */
static bool
opts_known(const struct fcase *c, const char *const *known)
{
	char buf[sizeof(c->opts)], *w, *save = NULL, *eq;
	size_t i;

	memcpy(buf, c->opts, sizeof(buf));
	for (w = strtok_r(buf, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if ((eq = strchr(w, '=')) != NULL)
			eq[1] = '\0';
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], w) == 0)
				break;
		if (known[i] == NULL)
			return false;
	}
	return true;
}

static int64_t
opt_int(const struct fcase *c, const char *key, int64_t dflt)
{
	const char *v = opt_value(c, key);
	char *end;
	long long x;

	if (v == NULL)
		return dflt;
	errno = 0;
	x = strtoll(v, &end, 10);
	assert_true(errno == 0 && end != v && (*end == '\0' || *end == ' '));
	return (int64_t)x;
}

static void
got_str(struct result *got, const char *s, size_t n)
{
	assert_true(n < sizeof(got->s));
	memcpy(got->s, s, n);
	got->s[n] = '\0';
	got->len = n;
}

static void
got_fmt(struct result *got, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
got_fmt(struct result *got, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(got->s, sizeof(got->s), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(got->s));
	got->len = (size_t)n;
}

/* A reason, or a marker when a validator wrote its output on failure. */
static void
got_reason(struct result *got, enum field_reason r, bool untouched)
{
	const char *name = untouched ? field_reason_name(r) : "output_written";

	got_str(got, name, strlen(name));
}

/* Print bytes with the case-file escapes, for failure messages. */
static void
print_escaped(const char *label, const char *s, size_t n)
{
	char buf[4 * TEXT_MAX + 1];
	size_t i, len = 0;
	unsigned char ch;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == ' ')
			len += (size_t)sprintf(buf + len, "\\s");
		else if (ch < 0x21 || ch > 0x7e)
			len += (size_t)sprintf(buf + len, "\\x%02x", ch);
		else
			buf[len++] = (char)ch;
	}
	buf[len] = '\0';
	print_error("  %s %s\n", label, buf);
}

/* Run every case of one topic; report each mismatch, then fail once. */
static void
run_topic(const char *topic, const char *const *known, check_fn *check)
{
	struct fcase *cases = NULL;
	struct result got;
	char *in;
	long n, i, failed = 0;

	n = load_cases(topic, &cases);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		const struct fcase *c = &cases[i];

		if (!opts_known(c, known)) {
			print_error("fields_%s.txt:%d: unknown option "
			    "in '%s'\n", topic, c->line, c->opts);
			failed++;
			continue;
		}
		/* Exactly inlen bytes, no NUL: over-reads are ASan errors. */
		in = malloc(c->inlen ? c->inlen : 1);
		assert_non_null(in);
		memcpy(in, c->in, c->inlen);
		memset(&got, 0, sizeof(got));
		check(c, in, c->inlen, &got);
		free(in);
		if (got.len != c->wantlen ||
		    memcmp(got.s, c->want, got.len) != 0) {
			print_error("fields_%s.txt:%d: mismatch\n", topic,
			    c->line);
			print_escaped("input:   ", c->in, c->inlen);
			print_escaped("expected:", c->want, c->wantlen);
			print_escaped("got:     ", got.s, got.len);
			failed++;
		}
	}
	print_message("fields_%s: %ld cases, %ld failed\n", topic, n, failed);
	free(cases);
	assert_int_equal(failed, 0);
}

/* Sentinels: a validator must leave its output alone on failure. */
#define SENTINEL64	INT64_C(0x5a5a5a5a5a5a5a5a)
#define SENTINEL32	INT32_C(0x5a5a5a5a)

static void
check_money(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	unsigned flags = 0;
	int64_t pence = SENTINEL64;
	enum field_reason r;

	if (opt_has(c, "pound"))
		flags |= FIELD_MONEY_POUND;
	if (opt_has(c, "thousands"))
		flags |= FIELD_MONEY_THOUSANDS;
	r = fields_money(in, n, flags, &pence);
	if (r != FIELD_OK)
		got_reason(got, r, pence == SENTINEL64);
	else
		got_fmt(got, "%" PRId64, pence);
}

static unsigned
date_formats(const struct fcase *c)
{
	unsigned f = 0;

	if (opt_has(c, "iso"))
		f |= FIELD_DATE_ISO;
	if (opt_has(c, "dmy"))
		f |= FIELD_DATE_DMY;
	if (opt_has(c, "dash"))
		f |= FIELD_DATE_DMY_DASH;
	return f ? f : FIELD_DATE_ANY;
}

/* Print an accepted date, checking that its ISO form reads back. */
static void
got_date(struct result *got, int32_t days)
{
	char iso[11];
	int32_t back = SENTINEL32;

	if (!fields_date_format(days, iso) ||
	    fields_date(iso, 10, FIELD_DATE_ISO, &back) != FIELD_OK ||
	    back != days) {
		got_str(got, "round_trip_failed", 17);
		return;
	}
	got_str(got, iso, 10);
}

static void
check_date(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	int32_t days = SENTINEL32;
	enum field_reason r;

	r = fields_date(in, n, date_formats(c), &days);
	if (r != FIELD_OK)
		got_reason(got, r, days == SENTINEL32);
	else
		got_date(got, days);
}

static void
check_dob(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	const char *asof = opt_value(c, "asof");
	int32_t asof_days = 0, days = SENTINEL32;
	enum field_reason r;

	if (asof == NULL)
		asof = "2025-01-31";
	assert_int_equal(fields_date(asof, 10, FIELD_DATE_ISO, &asof_days),
	    FIELD_OK);
	r = fields_dob(in, n, date_formats(c), asof_days, &days);
	if (r != FIELD_OK)
		got_reason(got, r, days == SENTINEL32);
	else
		got_date(got, days);
}

static void
check_days(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	int y, m, d, y2, m2, d2;
	int32_t days;

	(void)c;
	(void)n;
	assert_int_equal(sscanf(in, "%d %d %d", &y, &m, &d), 3);
	if (!fields_ymd_is_valid(y, m, d)) {
		got_str(got, "invalid", 7);
		return;
	}
	days = fields_days_from_ymd(y, m, d);
	fields_ymd_from_days(days, &y2, &m2, &d2);
	if (y2 != y || m2 != m || d2 != d) {
		got_str(got, "round_trip_failed", 17);
		return;
	}
	got_fmt(got, "%" PRId32, days);
}

static void
check_int(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	int64_t v = SENTINEL64;
	enum field_reason r;

	r = fields_int(in, n, opt_int(c, "min", INT64_MIN),
	    opt_int(c, "max", INT64_MAX), &v);
	if (r != FIELD_OK)
		got_reason(got, r, v == SENTINEL64);
	else
		got_fmt(got, "%" PRId64, v);
}

static void
check_fy(const struct fcase *c, const char *in, size_t n, struct result *got)
{
	int y = -1;
	enum field_reason r;

	(void)c;
	r = fields_fy(in, n, &y);
	if (r != FIELD_OK)
		got_reason(got, r, y == -1);
	else
		got_fmt(got, "%d", y);
}

static void
check_enum(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	static const char *const values[] = {
		"council_tax", "housing_benefit", "rent", "adult_social_care",
	};
	int idx = -1;
	enum field_reason r;

	(void)c;
	r = fields_enum(in, n, values, sizeof(values) / sizeof(values[0]),
	    &idx);
	if (r != FIELD_OK)
		got_reason(got, r, idx == -1);
	else
		got_fmt(got, "%d", idx);
}

/*
 * For the validators with a string output: fill 'out' with a marker,
 * and on success require a NUL within the buffer.
 */
static void
got_string_out(struct result *got, enum field_reason r, const char *out,
    size_t cap)
{
	size_t i;

	if (r != FIELD_OK) {
		for (i = 0; i < cap; i++)
			if (out[i] != '~')
				break;
		got_reason(got, r, i == cap);
		return;
	}
	assert_non_null(memchr(out, '\0', cap));
	got_str(got, out, strlen(out));
}

static void
check_nino(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	char out[10];

	(void)c;
	memset(out, '~', sizeof(out));
	got_string_out(got, fields_nino(in, n, out), out, sizeof(out));
}

static void
check_nhs(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	char out[11];

	(void)c;
	memset(out, '~', sizeof(out));
	got_string_out(got, fields_nhs(in, n, out), out, sizeof(out));
}

static void
check_postcode(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	char out[9];

	(void)c;
	memset(out, '~', sizeof(out));
	got_string_out(got, fields_postcode(in, n, out), out, sizeof(out));
}

static void
check_uprn(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	uint64_t v = UINT64_MAX;
	enum field_reason r;

	(void)c;
	r = fields_uprn(in, n, &v);
	if (r != FIELD_OK)
		got_reason(got, r, v == UINT64_MAX);
	else
		got_fmt(got, "%" PRIu64, v);
}

static void
check_text(const struct fcase *c, const char *in, size_t n,
    struct result *got)
{
	const char *out = NULL;
	size_t outlen = SIZE_MAX;
	enum field_reason r;

	r = fields_text(in, n, (size_t)opt_int(c, "max", 10), &out, &outlen);
	if (r != FIELD_OK) {
		got_reason(got, r, out == NULL && outlen == SIZE_MAX);
		return;
	}
	/* The result is a slice of the input, never a copy. */
	assert_true(out >= in && outlen <= n && out + outlen <= in + n);
	got_str(got, out, outlen);
}

static const char *const no_opts[] = { NULL };

static void
test_money(void **state)
{
	static const char *const known[] = { "pound", "thousands", NULL };

	(void)state;
	run_topic("money", known, check_money);
}

static void
test_date(void **state)
{
	static const char *const known[] = { "iso", "dmy", "dash", NULL };

	(void)state;
	run_topic("date", known, check_date);
}

static void
test_dob(void **state)
{
	static const char *const known[] = {
		"iso", "dmy", "dash", "asof=", NULL
	};

	(void)state;
	run_topic("dob", known, check_dob);
}

static void
test_days(void **state)
{
	(void)state;
	run_topic("days", no_opts, check_days);
}

static void
test_int(void **state)
{
	static const char *const known[] = { "min=", "max=", NULL };

	(void)state;
	run_topic("int", known, check_int);
}

static void
test_fy(void **state)
{
	(void)state;
	run_topic("fy", no_opts, check_fy);
}

static void
test_enum(void **state)
{
	(void)state;
	run_topic("enum", no_opts, check_enum);
}

static void
test_nino(void **state)
{
	(void)state;
	run_topic("nino", no_opts, check_nino);
}

static void
test_nhs(void **state)
{
	(void)state;
	run_topic("nhs", no_opts, check_nhs);
}

static void
test_postcode(void **state)
{
	(void)state;
	run_topic("postcode", no_opts, check_postcode);
}

static void
test_uprn(void **state)
{
	(void)state;
	run_topic("uprn", no_opts, check_uprn);
}

static void
test_text(void **state)
{
	static const char *const known[] = { "max=", NULL };

	(void)state;
	run_topic("text", known, check_text);
}

/* Every reason code is the expected result of at least one case. */
static void
test_every_reason_has_a_case(void **state)
{
	bool seen[FIELD_NREASONS] = { false };
	struct fcase *cases;
	const char *name;
	size_t t;
	long n, i;
	int r, missing = 0;

	(void)state;
	for (t = 0; t < sizeof(topics) / sizeof(topics[0]); t++) {
		n = load_cases(topics[t], &cases);
		assert_true(n > 0);
		for (i = 0; i < n; i++) {
			for (r = 1; r < FIELD_NREASONS; r++) {
				name = field_reason_name((enum field_reason)r);
				if (strcmp(cases[i].want, name) == 0)
					seen[r] = true;
			}
		}
		free(cases);
	}
	for (r = 1; r < FIELD_NREASONS; r++)
		if (!seen[r]) {
			print_error("no case expects '%s'\n",
			    field_reason_name((enum field_reason)r));
			missing++;
		}
	assert_int_equal(missing, 0);
}

/* Names are unique snake_case; texts are lower case and non-empty. */
static void
test_reason_names(void **state)
{
	const char *name, *text, *p;
	int r, q;

	(void)state;
	assert_string_equal(field_reason_name(FIELD_OK), "ok");
	for (r = 0; r < FIELD_NREASONS; r++) {
		name = field_reason_name((enum field_reason)r);
		text = field_reason_text((enum field_reason)r);
		assert_non_null(name);
		assert_non_null(text);
		assert_true(name[0] != '\0' && text[0] != '\0');
		for (p = name; *p != '\0'; p++)
			assert_true((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '_');
		for (p = text; *p != '\0'; p++)
			assert_false(*p >= 'A' && *p <= 'Z');
		assert_true(text[strlen(text) - 1] != '.');
		for (q = 0; q < r; q++)
			assert_string_not_equal(name,
			    field_reason_name((enum field_reason)q));
	}
	assert_string_equal(field_reason_name(FIELD_NREASONS), "unknown");
	assert_string_equal(field_reason_name((enum field_reason)-1),
	    "unknown");
	assert_non_null(field_reason_text(FIELD_NREASONS));
}

/*
 * Every day of years 0000 to 9999: the conversions are inverse, days
 * follow each other, and the ISO text reads back (placeholders and year
 * 0000 aside, which fields_date() refuses on purpose).
 */
static void
test_days_every_day(void **state)
{
	int32_t days, back;
	int y, m, d, py = 0, pm = 1, pd = 0;
	char iso[11];
	enum field_reason r;

	(void)state;
	assert_int_equal(fields_days_from_ymd(0, 1, 1), FIELDS_DAYS_0000_01_01);
	assert_int_equal(fields_days_from_ymd(9999, 12, 31),
	    FIELDS_DAYS_9999_12_31);
	for (days = FIELDS_DAYS_0000_01_01; days <= FIELDS_DAYS_9999_12_31;
	    days++) {
		fields_ymd_from_days(days, &y, &m, &d);
		if (!fields_ymd_is_valid(y, m, d) ||
		    fields_days_from_ymd(y, m, d) != days)
			fail_msg("day %" PRId32 " does not round-trip", days);
		if (days > FIELDS_DAYS_0000_01_01 &&
		    !((y == py && m == pm && d == pd + 1) ||
		    (y == py && m == pm + 1 && d == 1) ||
		    (y == py + 1 && m == 1 && d == 1 && pm == 12)))
			fail_msg("day %" PRId32 " does not follow", days);
		py = y;
		pm = m;
		pd = d;
		assert_true(fields_date_format(days, iso));
		back = SENTINEL32;
		r = fields_date(iso, 10, FIELD_DATE_ISO, &back);
		if (r == FIELD_OK && back == days)
			continue;
		if (y == 0 && r == FIELD_IMPOSSIBLE_DATE)
			continue;
		if (r == FIELD_PLACEHOLDER_DATE)
			continue;
		fail_msg("%s does not read back", iso);
	}
	assert_int_equal(py, 9999);
}

/* The ends of int32_t still convert both ways. */
static void
test_days_extremes(void **state)
{
	static const int32_t ends[] = { INT32_MIN, INT32_MIN + 1, -1, 0,
	    INT32_MAX - 1, INT32_MAX };
	size_t i;
	int y, m, d;

	(void)state;
	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		fields_ymd_from_days(ends[i], &y, &m, &d);
		assert_true(fields_ymd_is_valid(y, m, d));
		assert_int_equal(fields_days_from_ymd(y, m, d), ends[i]);
	}
}

static void
test_date_format_range(void **state)
{
	char out[11];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_true(fields_date_format(0, out));
	assert_string_equal(out, "1970-01-01");
	assert_true(fields_date_format(FIELDS_DAYS_0000_01_01, out));
	assert_string_equal(out, "0000-01-01");
	assert_true(fields_date_format(FIELDS_DAYS_9999_12_31, out));
	assert_string_equal(out, "9999-12-31");
	assert_false(fields_date_format(FIELDS_DAYS_0000_01_01 - 1, out));
	assert_string_equal(out, "");
	assert_false(fields_date_format(FIELDS_DAYS_9999_12_31 + 1, out));
	assert_string_equal(out, "");
	assert_false(fields_date_format(INT32_MIN, out));
}

static void
test_trim(void **state)
{
	const char *s = " \t a b \t ", *p;
	size_t n;

	(void)state;
	p = s;
	n = strlen(s);
	fields_trim(&p, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "a b", 3);
	p = s;
	n = 3;
	fields_trim(&p, &n);
	assert_int_equal(n, 0);
	p = "";
	n = 0;
	fields_trim(&p, &n);
	assert_int_equal(n, 0);
}

/* Only the first n bytes count: what follows them is never looked at. */
static void
test_length_not_nul(void **state)
{
	int64_t pence = 0;
	int32_t days = 0;
	char pc[9], nino[10];
	uint64_t uprn = 0;

	(void)state;
	assert_int_equal(fields_money("12345", 3, 0, &pence), FIELD_OK);
	assert_int_equal(pence, 12300);
	assert_int_equal(fields_money("12.345", 5, 0, &pence), FIELD_OK);
	assert_int_equal(pence, 1234);
	assert_int_equal(fields_date("2024-01-31junk", 10, FIELD_DATE_ISO,
	    &days), FIELD_OK);
	assert_int_equal(fields_postcode("WS1 2ABC", 7, pc), FIELD_OK);
	assert_string_equal(pc, "WS1 2AB");
	assert_int_equal(fields_nino("AB123456CD", 9, nino), FIELD_OK);
	assert_string_equal(nino, "AB123456C");
	assert_int_equal(fields_uprn("1234", 2, &uprn), FIELD_OK);
	assert_int_equal(uprn, 12);
	assert_int_equal(fields_money("12", 0, 0, &pence), FIELD_MISSING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_every_reason_has_a_case),
		cmocka_unit_test(test_money),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_dob),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_fy),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_nino),
		cmocka_unit_test(test_nhs),
		cmocka_unit_test(test_postcode),
		cmocka_unit_test(test_uprn),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_days_every_day),
		cmocka_unit_test(test_days_extremes),
		cmocka_unit_test(test_date_format_range),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_length_not_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
