/*
 * Tests for matchers/normalize, driven by case tables in fixtures/cases/
 * (run from the repository root). A table holds cases in threes: an input
 * line, an expected line, a blank line. Lines starting with '#' before a
 * case are comments.
 *
 * normalize_names.txt
 *   input:    title|forename|middle|surname
 *             \N as a whole field is NULL (missing); \xHH is a byte,
 *             \\ a backslash, \| a bar.
 *   expected: the non-empty fields, as key=value joined by '|', in this
 *             order: title forename middles surname suffix initial
 *             is_initial (bare word, when true) nospace (only when it
 *             differs from surname) parts (as FIRST,SECOND). "(empty)"
 *             when nothing is set. Every field is checked: a field not
 *             listed must be empty.
 * normalize_postcode.txt
 *   input:    a canonical postcode
 *   expected: area=..|district=..|sector=..|compact=.. or "error"
 * normalize_nino.txt
 *   input:    a canonical NINO;  expected: the stem, or "error"
 * normalize_dob.txt
 *   input:    days since 1970-01-01
 *   expected: iso=YYYY-MM-DD[|swapped=YYYY-MM-DD], or "error"
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/err.h"
#include "matchers/normalize.h"
#include "cases.h"

static int
hexval(int c)
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
 * Split 'line' in place into 'n' fields at unescaped '|', decoding
 * escapes. A field that is exactly \N becomes NULL.
 */
static void
split_fields(char *line, char **f, int n, const struct case_file *cf)
{
	char *r = line, *w = line;
	int i = 0;

	f[0] = w;
	for (;;) {
		if (*r == '\0' || *r == '|') {
			int end = *r == '\0';

			*w++ = '\0';
			if (strcmp(f[i], "\\N") == 0)
				f[i] = NULL;
			if (end)
				break;
			if (++i >= n)
				fail_msg("%s:%d: more than %d fields",
				    cf->path, cf->input_line, n);
			f[i] = w;
			r++;
		} else if (*r == '\\' && r[1] == 'x' && hexval(r[2]) >= 0 &&
		    hexval(r[3]) >= 0) {
			*w++ = (char)(hexval(r[2]) << 4 | hexval(r[3]));
			r += 4;
		} else if (*r == '\\' && (r[1] == '\\' || r[1] == '|')) {
			*w++ = r[1];
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	if (i != n - 1)
		fail_msg("%s:%d: %d fields, want %d", cf->path,
		    cf->input_line, i + 1, n);
}

static void
add(char *buf, size_t cap, const char *key, const char *val)
{
	size_t len = strlen(buf);

	if (val != NULL && val[0] == '\0')
		return;
	snprintf(buf + len, cap - len, "%s%s%s%s", len > 0 ? "|" : "", key,
	    val != NULL ? "=" : "", val != NULL ? val : "");
}

/* Render a name_norm in the expected-line format. */
static void
render_name(const struct name_norm *n, char *buf, size_t cap)
{
	char parts[2 * NORM_NAME_MAX + 1];

	buf[0] = '\0';
	add(buf, cap, "title", n->title);
	add(buf, cap, "forename", n->forename);
	add(buf, cap, "middles", n->middles);
	add(buf, cap, "surname", n->surname);
	add(buf, cap, "suffix", n->suffix);
	add(buf, cap, "initial", n->forename_initial);
	if (n->forename_is_initial)
		add(buf, cap, "is_initial", NULL);
	if (strcmp(n->surname_nospace, n->surname) != 0)
		add(buf, cap, "nospace", n->surname_nospace);
	if (n->surname_parts[0][0] != '\0' || n->surname_parts[1][0] != '\0') {
		snprintf(parts, sizeof(parts), "%s,%s", n->surname_parts[0],
		    n->surname_parts[1]);
		add(buf, cap, "parts", parts);
	}
	if (buf[0] == '\0')
		snprintf(buf, cap, "(empty)");
}

/* Every string field is NUL-terminated within its buffer and valid. */
static void
check_name_invariants(const struct name_norm *n, const struct case_file *cf)
{
	const char *fields[] = {
		n->title, n->forename, n->middles, n->surname, n->suffix,
		n->forename_initial, n->surname_nospace, n->surname_parts[0],
		n->surname_parts[1]
	};
	const size_t caps[] = {
		sizeof(n->title), sizeof(n->forename), sizeof(n->middles),
		sizeof(n->surname), sizeof(n->suffix),
		sizeof(n->forename_initial), sizeof(n->surname_nospace),
		sizeof(n->surname_parts[0]), sizeof(n->surname_parts[1])
	};
	size_t i, len;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		len = strnlen(fields[i], caps[i]);
		if (len == caps[i])
			fail_msg("%s:%d: field %zu not terminated", cf->path,
			    cf->input_line, i);
		if (len > 0 && (fields[i][0] == ' ' ||
		    fields[i][len - 1] == ' ' || fields[i][len - 1] == '-'))
			fail_msg("%s:%d: field %zu has an edge space or "
			    "hyphen", cf->path, cf->input_line, i);
		if (strstr(fields[i], "  ") != NULL)
			fail_msg("%s:%d: field %zu has a double space",
			    cf->path, cf->input_line, i);
	}
}

static void
test_name_cases(void **state)
{
	static char in[LINE_MAX_BYTES], exp[LINE_MAX_BYTES];
	static char got[LINE_MAX_BYTES];
	struct case_file cf;
	struct name_norm n;
	char *f[4];
	int cases = 0, failed = 0;

	(void)state;
	case_open(&cf, "fixtures/cases/normalize_names.txt");
	while (case_next(&cf, in, exp)) {
		split_fields(in, f, 4, &cf);
		normalize_name(f[0], f[1], f[2], f[3], &n);
		check_name_invariants(&n, &cf);
		render_name(&n, got, sizeof(got));
		cases++;
		if (strcmp(got, exp) != 0) {
			print_error("%s:%d:\n  expected %s\n  got      %s\n",
			    cf.path, cf.input_line, exp, got);
			failed++;
		}
		assert_int_equal(name_norm_is_empty(&n),
		    n.forename[0] == '\0' && n.surname[0] == '\0' &&
		    n.middles[0] == '\0');
	}
	case_close(&cf);
	assert_true(cases >= 40);
	assert_int_equal(failed, 0);
}

static void
test_postcode_cases(void **state)
{
	char in[LINE_MAX_BYTES], exp[LINE_MAX_BYTES], got[256];
	struct postcode_parts p;
	struct case_file cf;
	int failed = 0;

	(void)state;
	case_open(&cf, "fixtures/cases/normalize_postcode.txt");
	while (case_next(&cf, in, exp)) {
		if (normalize_postcode_parts(in, &p) != 0) {
			assert_string_equal(p.district, "");
			snprintf(got, sizeof(got), "error");
		} else {
			snprintf(got, sizeof(got),
			    "area=%s|district=%s|sector=%s|compact=%s",
			    p.area, p.district, p.sector, p.compact);
		}
		if (strcmp(got, exp) != 0) {
			print_error("%s:%d:\n  expected %s\n  got      %s\n",
			    cf.path, cf.input_line, exp, got);
			failed++;
		}
	}
	case_close(&cf);
	assert_int_equal(failed, 0);
}

static void
test_nino_cases(void **state)
{
	char in[LINE_MAX_BYTES], exp[LINE_MAX_BYTES], got[16];
	struct case_file cf;
	int failed = 0;

	(void)state;
	case_open(&cf, "fixtures/cases/normalize_nino.txt");
	while (case_next(&cf, in, exp)) {
		if (normalize_nino_stem(in, got) != 0)
			snprintf(got, sizeof(got), "error");
		if (strcmp(got, exp) != 0) {
			print_error("%s:%d:\n  expected %s\n  got      %s\n",
			    cf.path, cf.input_line, exp, got);
			failed++;
		}
	}
	case_close(&cf);
	assert_int_equal(failed, 0);
}

static void
test_dob_cases(void **state)
{
	char in[LINE_MAX_BYTES], exp[LINE_MAX_BYTES], got[64];
	struct case_file cf;
	struct dob_parts d;
	int failed = 0;

	(void)state;
	case_open(&cf, "fixtures/cases/normalize_dob.txt");
	while (case_next(&cf, in, exp)) {
		if (normalize_dob_parts((int32_t)strtol(in, NULL, 10), &d)
		    != 0)
			snprintf(got, sizeof(got), "error");
		else if (d.swapped[0] != '\0')
			snprintf(got, sizeof(got), "iso=%s|swapped=%s", d.iso,
			    d.swapped);
		else
			snprintf(got, sizeof(got), "iso=%s", d.iso);
		if (strcmp(got, exp) != 0) {
			print_error("%s:%d:\n  expected %s\n  got      %s\n",
			    cf.path, cf.input_line, exp, got);
			failed++;
		}
	}
	case_close(&cf);
	assert_int_equal(failed, 0);
}

/* Every day from 1900 to 2100 round-trips through the civil date. */
static void
test_dob_every_day(void **state)
{
	struct dob_parts d;
	int32_t days;
	int y = 1900, m = 1, dd = 1;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap, ml;

	(void)state;
	for (days = -25567; days <= 47482; days++) {
		assert_int_equal(normalize_dob_parts(days, &d), 0);
		assert_int_equal(d.year, y);
		assert_int_equal(d.month, m);
		assert_int_equal(d.day, dd);
		leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		ml = mdays[m - 1] + (m == 2 && leap);
		if (++dd > ml) {
			dd = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
}

/* normalize_text folds like a surname and respects a tiny buffer. */
static void
test_text(void **state)
{
	char buf[8];

	(void)state;
	/* The hyphen and S do not fit: no dangling hyphen is left. */
	assert_int_equal(normalize_text("  o'Brien-smith ", buf, sizeof(buf)),
	    6);
	assert_string_equal(buf, "OBRIEN");
	assert_int_equal(normalize_text(NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(normalize_text("Zoë", buf, 3), 2);
	assert_string_equal(buf, "ZO");
}

/* The premises of an address: its numbers, else its first line. */
static void
test_premises(void **state)
{
	static const struct {
		const char *lines[4];
		const char *want;
	} cases[] = {
		{ { "46 College Close", "Balsall Heath", "Birmingham", NULL },
		    "46" },
		{ { "Flat 4, Wharf Heights", "Birmingham", NULL, NULL }, "4" },
		/* The same flat written over two lines. */
		{ { "Flat 4", "Wharf Heights", "Birmingham", NULL }, "4" },
		{ { "Flat 2, Jubilee Tower", "33 New Lane", "Moseley", NULL },
		    "2 33" },
		{ { "12a High Street", NULL, NULL, NULL }, "12A" },
		/* "12th" is not a house letter; "B12" is not a number. */
		{ { "12th Floor", "Birmingham B12", NULL, NULL }, "12" },
		{ { "1 2 3 4 Street", NULL, NULL, NULL }, "1 2 3" },
		{ { "Rose Cottage", "Church Lane", NULL, NULL },
		    "ROSE COTTAGE" },
		{ { NULL, "", "Rose Cottage", NULL }, "ROSE COTTAGE" },
		{ { NULL, NULL, NULL, NULL }, "" },
	};
	char buf[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = normalize_premises(cases[i].lines, 4, buf, sizeof(buf));
		print_message("%zu: '%s'\n", i, buf);
		assert_string_equal(buf, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
	}
	/* A small buffer keeps whole numbers only. */
	assert_int_equal(normalize_premises(cases[3].lines, 4, buf, 4), 1);
	assert_string_equal(buf, "2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_cases),
		cmocka_unit_test(test_postcode_cases),
		cmocka_unit_test(test_nino_cases),
		cmocka_unit_test(test_dob_cases),
		cmocka_unit_test(test_dob_every_day),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_premises),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
