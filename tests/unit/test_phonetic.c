/*
 * Tests for matchers/phonetic, driven by the case table
 * fixtures/cases/phonetic_dmetaphone.txt (run from the repository root).
 * The table holds cases in threes: an input line, an expected line, a
 * blank line; lines starting with '#' before a case are comments.
 *
 * phonetic_dmetaphone.txt
 *   input:    a name
 *   expected: "PRIMARY ALTERNATE", the codes of phonetic_dmetaphone()
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matchers/phonetic.h"
#include "cases.h"

static void
test_dmetaphone_cases(void **state)
{
	static char in[LINE_MAX_BYTES], exp[LINE_MAX_BYTES];
	char p[PHONETIC_DM_CAP], a[PHONETIC_DM_CAP], got[64];
	struct case_file cf;
	int cases = 0, failed = 0;

	(void)state;
	case_open(&cf, "fixtures/cases/phonetic_dmetaphone.txt");
	while (case_next(&cf, in, exp)) {
		phonetic_dmetaphone(in, p, a, sizeof(p));
		snprintf(got, sizeof(got), "%s %s", p, a);
		cases++;
		if (strcmp(got, exp) != 0) {
			print_error("%s:%d: %s\n  expected %s\n  got      %s\n",
			    cf.path, cf.input_line, in, exp, got);
			failed++;
		}
	}
	case_close(&cf);
	assert_true(cases >= 40);
	assert_int_equal(failed, 0);
}

/* Longer codes on request; the limit is clamped. */
static void
test_code_length(void **state)
{
	char p[PHONETIC_DM_LEN_MAX + 1], a[PHONETIC_DM_LEN_MAX + 1];

	(void)state;
	phonetic_dmetaphone_len("ALEXANDER", 6, p, a, sizeof(p));
	assert_string_equal(p, "ALKSNT");
	assert_string_equal(a, "ALKSNT");
	phonetic_dmetaphone_len("RICHARDSON", 8, p, a, sizeof(p));
	assert_string_equal(p, "RXRTSN");
	assert_string_equal(a, "RKRTSN");
	phonetic_dmetaphone_len("SMITH", 0, p, a, sizeof(p));
	assert_string_equal(p, "S");
	assert_string_equal(a, "X");
	/* Forty consonants, each its own code: cut at the maximum. */
	phonetic_dmetaphone_len("PRSTKLMNPRSTKLMNPRSTKLMNPRSTKLMNPRSTKLMN",
	    1000, p, a, sizeof(p));
	assert_int_equal(strlen(p), PHONETIC_DM_LEN_MAX);
	assert_string_equal(p, "PRSTKLMNPRSTKLMNPRSTKLMNPRSTKLMN");
	assert_string_equal(a, p);
	phonetic_dmetaphone_len("BARTHOLOMEW FITZWILLIAM", 32, p, a,
	    sizeof(p));
	assert_string_equal(p, "PR0LMFTSLM");
	assert_string_equal(a, "PRTLMFTSLM");
}

/* A small buffer cuts the codes; it is never overrun. */
static void
test_small_buffer(void **state)
{
	char p[8], a[8];

	(void)state;
	memset(p, 'Z', sizeof(p));
	memset(a, 'Z', sizeof(a));
	phonetic_dmetaphone("SCHMIDT", p, a, 3);
	assert_string_equal(p, "XM");
	assert_string_equal(a, "SM");
	assert_int_equal(p[3], 'Z');
	assert_int_equal(a[3], 'Z');
	phonetic_dmetaphone("SCHMIDT", p, a, 1);
	assert_string_equal(p, "");
	assert_string_equal(a, "");
	p[0] = a[0] = 'Z';
	phonetic_dmetaphone("SCHMIDT", p, a, 0);
	assert_int_equal(p[0], 'Z');
	assert_int_equal(a[0], 'Z');
}

/* No letters, no code; long and odd input is safe. */
static void
test_edges(void **state)
{
	char p[PHONETIC_DM_CAP], a[PHONETIC_DM_CAP], q[PHONETIC_DM_CAP];
	char b[PHONETIC_DM_CAP], longname[300];
	unsigned c;

	(void)state;
	phonetic_dmetaphone(NULL, p, a, sizeof(p));
	assert_string_equal(p, "");
	assert_string_equal(a, "");
	phonetic_dmetaphone("", p, a, sizeof(p));
	assert_string_equal(p, "");
	phonetic_dmetaphone(" - '", p, a, sizeof(p));
	assert_string_equal(p, "");
	assert_string_equal(a, "");
	/* Leading punctuation is skipped, so the vowel is still first. */
	phonetic_dmetaphone("-OBRIEN", p, a, sizeof(p));
	assert_string_equal(p, "APRN");
	/* Lower case codes as upper case. */
	phonetic_dmetaphone("mcdonald", p, a, sizeof(p));
	phonetic_dmetaphone("MCDONALD", q, b, sizeof(q));
	assert_string_equal(p, q);
	assert_string_equal(a, b);
	memset(longname, 'W', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	phonetic_dmetaphone(longname, p, a, sizeof(p));
	assert_true(strlen(p) <= PHONETIC_DM_LEN);
	/* Every single byte, and every byte after each letter. */
	for (c = 1; c < 256; c++) {
		char s[3] = { (char)c, '\0', '\0' };

		phonetic_dmetaphone(s, p, a, sizeof(p));
		assert_true(strlen(p) <= PHONETIC_DM_LEN);
		s[0] = 'C';
		s[1] = (char)c;
		phonetic_dmetaphone(s, p, a, sizeof(p));
		assert_true(strlen(a) <= PHONETIC_DM_LEN);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dmetaphone_cases),
		cmocka_unit_test(test_code_length),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
