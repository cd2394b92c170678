/*
 * Tests for matchers/nickname, driven by case tables in fixtures/cases/
 * (run from the repository root). A table holds cases in threes: an input
 * line, an expected line, a blank line. Lines starting with '#' before a
 * case are comments.
 *
 * nickname_canonical.txt
 *   input:    a forename;  expected: nickname_canonical() of it
 * nickname_variants.txt
 *   input:    a forename;  expected: nickname_variants() of it, with
 *             room for NICKNAME_VARIANTS_MAX, joined by one space
 *
 * The table itself is checked too: sorted, unique, upper case, and every
 * canonical form a fixed point.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matchers/nickname.h"
#include "cases.h"

/* Render nickname_variants() of 'name' as the expected line does. */
static void
render_variants(const char *name, char *buf, size_t cap)
{
	const char *v[NICKNAME_VARIANTS_MAX];
	size_t i, n, len = 0;

	n = nickname_variants(name, v, NICKNAME_VARIANTS_MAX);
	buf[0] = '\0';
	for (i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
		    i > 0 ? " " : "", v[i]);
}

static void
test_canonical_cases(void **state)
{
	static char in[LINE_MAX_BYTES], exp[LINE_MAX_BYTES];
	struct case_file cf;
	const char *got;
	int cases = 0, failed = 0;

	(void)state;
	case_open(&cf, "fixtures/cases/nickname_canonical.txt");
	while (case_next(&cf, in, exp)) {
		got = nickname_canonical(in);
		cases++;
		if (strcmp(got, exp) != 0) {
			print_error("%s:%d:\n  expected %s\n  got      %s\n",
			    cf.path, cf.input_line, exp, got);
			failed++;
		}
	}
	case_close(&cf);
	assert_true(cases >= 100);
	assert_int_equal(failed, 0);
}

static void
test_variants_cases(void **state)
{
	static char in[LINE_MAX_BYTES], exp[LINE_MAX_BYTES];
	static char got[LINE_MAX_BYTES];
	struct case_file cf;
	int cases = 0, failed = 0;

	(void)state;
	case_open(&cf, "fixtures/cases/nickname_variants.txt");
	while (case_next(&cf, in, exp)) {
		render_variants(in, got, sizeof(got));
		cases++;
		if (strcmp(got, exp) != 0) {
			print_error("%s:%d:\n  expected %s\n  got      %s\n",
			    cf.path, cf.input_line, exp, got);
			failed++;
		}
	}
	case_close(&cf);
	assert_true(cases >= 20);
	assert_int_equal(failed, 0);
}

static bool
is_upper_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < 'A' || *s > 'Z')
			return false;
	return true;
}

/*
 * Every row: sorted and unique (binary search depends on it), upper case
 * within NICKNAME_NAME_MAX, found by lookup, and every reading a fixed
 * point whose own first reading is itself.
 */
static void
test_table_sound(void **state)
{
	const char *v[NICKNAME_VARIANTS_MAX], *w[NICKNAME_VARIANTS_MAX];
	const char *name, *prev = NULL;
	size_t i, j, k, n, size = nickname_table_size();

	(void)state;
	assert_true(size >= 300);
	assert_null(nickname_at(size));
	for (i = 0; i < size; i++) {
		name = nickname_at(i);
		assert_non_null(name);
		if (!is_upper_name(name) || strlen(name) > NICKNAME_NAME_MAX)
			fail_msg("row %zu '%s': not an upper-case name", i,
			    name);
		if (prev != NULL && strcmp(prev, name) >= 0)
			fail_msg("row %zu '%s' not after '%s'", i, name, prev);
		prev = name;
		n = nickname_variants(name, v, NICKNAME_VARIANTS_MAX);
		assert_true(n >= 1);
		assert_string_equal(v[0], nickname_canonical(name));
		/* A row that maps a name to itself alone is useless. */
		if (n == 1 && strcmp(v[0], name) == 0)
			fail_msg("row '%s' maps only to itself", name);
		for (j = 0; j < n; j++) {
			if (!is_upper_name(v[j]))
				fail_msg("row '%s': bad reading '%s'", name,
				    v[j]);
			if (strcmp(nickname_canonical(v[j]), v[j]) != 0)
				fail_msg("row '%s': reading '%s' is not "
				    "canonical (-> %s)", name, v[j],
				    nickname_canonical(v[j]));
			assert_true(nickname_variants(v[j], w, 1) == 1);
			assert_string_equal(w[0], v[j]);
			for (k = 0; k < j; k++)
				if (strcmp(v[k], v[j]) == 0)
					fail_msg("row '%s': '%s' twice", name,
					    v[j]);
		}
	}
}

/* Unknown names come back as the very pointer given; NULL and "". */
static void
test_unknown_and_edges(void **state)
{
	const char *v[NICKNAME_VARIANTS_MAX];
	char longname[64];
	const char *name = "ZEBEDEE";

	(void)state;
	assert_ptr_equal(nickname_canonical(name), name);
	assert_string_equal(nickname_canonical(NULL), "");
	assert_string_equal(nickname_canonical(""), "");
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_ptr_equal(nickname_canonical(longname), longname);
	/* A known name that is a prefix of the input is not matched. */
	assert_string_equal(nickname_canonical("BILLX"), "BILLX");
	assert_string_equal(nickname_canonical("BILL "), "BILL ");

	assert_int_equal(nickname_variants("SANDY", v, 0), 0);
	assert_int_equal(nickname_variants("SANDY", v, 2), 2);
	assert_string_equal(v[0], "ALEXANDER");
	assert_string_equal(v[1], "ALEXANDRA");
	assert_int_equal(nickname_variants(NULL, v, 4), 1);
	assert_string_equal(v[0], "");
	assert_int_equal(nickname_variants(name, v, 4), 1);
	assert_ptr_equal(v[0], name);
}

/* Names that must meet, and must not, through the readings. */
static bool
may_be_same(const char *a, const char *b)
{
	const char *va[NICKNAME_VARIANTS_MAX], *vb[NICKNAME_VARIANTS_MAX];
	size_t i, j, na, nb;

	na = nickname_variants(a, va, NICKNAME_VARIANTS_MAX);
	nb = nickname_variants(b, vb, NICKNAME_VARIANTS_MAX);
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (strcmp(va[i], vb[j]) == 0)
				return true;
	return false;
}

static void
test_may_be_same(void **state)
{
	(void)state;
	assert_true(may_be_same("BILL", "WILLIAM"));
	assert_true(may_be_same("BILL", "LIAM"));
	assert_true(may_be_same("KATE", "KATHRYN"));
	assert_true(may_be_same("TED", "THEO"));
	assert_true(may_be_same("TED", "EDDIE"));
	assert_true(may_be_same("SANDY", "SANDRA"));
	assert_true(may_be_same("HARRY", "HAROLD"));
	assert_true(may_be_same("MO", "MOHAMED"));
	assert_true(may_be_same("DAFYDD", "DAI"));
	assert_true(may_be_same("CHRISSIE", "CHRIS"));
	assert_false(may_be_same("BILL", "ROBERT"));
	assert_false(may_be_same("JOHN", "JONATHAN"));
	assert_false(may_be_same("SIAN", "JANE"));
	assert_false(may_be_same("FRANCIS", "FRANCES"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_cases),
		cmocka_unit_test(test_variants_cases),
		cmocka_unit_test(test_table_sound),
		cmocka_unit_test(test_unknown_and_edges),
		cmocka_unit_test(test_may_be_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
