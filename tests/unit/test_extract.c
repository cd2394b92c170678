/*
 * Tests of the CSV reader and the extraction driver together: a feed
 * file is written to a temporary directory, read with a hand-built
 * configuration, and the records, rejects, warnings and errors checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "etl/config.h"
#include "etl/extract.h"
#include "etl/fields.h"
#include "etl/rejects.h"

static const char ct_header[] =
    "account_ref,party_no,title,forename,middle_names,surname,"
    "date_of_birth,uprn,address_1,address_2,address_3,address_4,postcode,"
    "financial_year,balance,recovery_stage,reminder_date,last_payment_date"
    "\n";

struct fx {
	char	 dir[64];
	char	 path[128];
	struct config cfg;
	char	*source[32];
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/svod_test_extract_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/feed.csv", f->dir);
	f->cfg.as_of = fields_days_from_ymd(2026, 11, 30);
	for (size_t i = 0; i < FEED_COUNT; i++) {
		struct config_feed *cf = &f->cfg.feeds[i];

		cf->desc = feed_get((enum feed_id)i);
		cf->enabled = true;
		cf->date_formats = CONFIG_DATE_ISO;
		cf->money_formats = 0;
		cf->max_rejects = 100;
		cf->max_reject_pct = -1;
		cf->source = f->source;
	}
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
fx_write(struct fx *f, const char *text, size_t len)
{
	FILE *fp = fopen(f->path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

/* Read the whole file; return the final status, fill counts. */
static int
fx_run(struct fx *f, enum feed_id id, struct extract_stats *st,
    struct err *e, char *keys, size_t keyslen)
{
	struct extract *x = NULL;
	struct record *rec;
	int rc;

	err_clear(e);
	keys[0] = '\0';
	rc = extract_open(&f->cfg, &f->cfg.feeds[id], f->path, NULL, &x, e);
	if (rc != 0)
		return rc;
	while ((rc = extract_next(x, &rec, e)) > 0) {
		char one[64];

		snprintf(one, sizeof(one), "%s@%lu ", rec->key, rec->line);
		strncat(keys, one, keyslen - strlen(keys) - 1);
	}
	if (rc == 0)
		rc = extract_finish(x, e);
	*st = *extract_stats(x);
	st->locs = NULL;
	extract_close(x);
	return rc;
}

static void
test_good_rows_and_lines(void **state)
{
	struct fx *f = *state;
	struct extract_stats st;
	struct err e;
	char keys[512];
	/* BOM, CRLF, a quoted comma and a quoted newline on row 2. */
	static const char csv[] =
	    "\xEF\xBB\xBF"
	    "ACCOUNT_REF,party_no,title,forename,middle_names,surname,"
	    "date_of_birth,uprn,address_1,address_2,address_3,address_4,"
	    "postcode,financial_year,balance,recovery_stage,reminder_date,"
	    "last_payment_date\r\n"
	    "A1,1,Mr,John,,Smith,1980-02-29,100,\"Flat 2, Rose\",,,,ws12ab,"
	    "2024/25,12.34,REMINDER,,\r\n"
	    "A2,1,,Ann,,Lee,,,\"two\nlines\",,,,,2023/24,5,NONE,,\r\n"
	    "\r\n"
	    "A3,2,,Bo,,Ng,,,,,,,,2023/24,-0.5,none,,\r\n";

	fx_write(f, csv, sizeof(csv) - 1);
	assert_int_equal(fx_run(f, FEED_COUNCIL_TAX, &st, &e, keys,
	    sizeof(keys)), 0);
	assert_string_equal(keys, "A1:1@2 A2:1@3 A3:2@6 ");
	assert_int_equal(st.read, 3);
	assert_int_equal(st.accepted, 3);
	assert_int_equal(st.rejected, 0);
	assert_int_equal(st.warnings, 0);
}

static void
test_rejects_and_warnings(void **state)
{
	struct fx *f = *state;
	struct extract_stats st;
	struct err e;
	char keys[512];
	char csv[2048];

	snprintf(csv, sizeof(csv), "%s"
	    "A1,1,,J,,S,2030-01-01,,,,,,XX1,2024/25,1.234,NONE,,\n"  /* rej */
	    "A2,1,,J,,S,1900-01-01,,,,,,XX1,2024/25,1.23,NONE,,\n"   /* 2 w */
	    "A3,1,,J,,S,,,,,,,,2024/2025,1,NONE,,\n"                 /* rej */
	    "A4,1,,J,,S,,,,,,,,2024/25,1,BAILIFF,,\n"                /* rej */
	    "A5,1,,J,,S,,,,,,,,2024/25,1,NONE\n"                     /* rej */
	    "A6,1,,J,\"x\"y,S,,,,,,,,2024/25,1,NONE,,\n"              /* rej */
	    ",1,,J,,S,,,,,,,,2024/25,1,NONE,,\n"                     /* rej */
	    "A8,1,,J,,S,,,,,,,,2024/25,1,NONE,,\n", ct_header);
	fx_write(f, csv, strlen(csv));
	assert_int_equal(fx_run(f, FEED_COUNCIL_TAX, &st, &e, keys,
	    sizeof(keys)), 0);
	assert_string_equal(keys, "A2:1@3 A8:1@9 ");
	assert_int_equal(st.read, 8);
	assert_int_equal(st.accepted, 2);
	assert_int_equal(st.rejected, 6);
	assert_int_equal(st.warned, 1);
	assert_int_equal(st.warnings, 2);
	/* The rejected first row's bad DOB is not also a warning. */
	for (size_t i = 0; i < st.nwarn_kinds; i++)
		assert_true(strcmp(st.warns[i].reason, "dob_future") != 0);
}

static void
test_budget(void **state)
{
	struct fx *f = *state;
	struct extract_stats st;
	struct err e;
	char keys[512];
	char csv[1024];

	f->cfg.feeds[FEED_COUNCIL_TAX].max_rejects = 1;
	snprintf(csv, sizeof(csv), "%s"
	    "A1,1,,J,,S,,,,,,,,2024/25,x,NONE,,\n"
	    "A2,1,,J,,S,,,,,,,,2024/25,y,NONE,,\n"
	    "A3,1,,J,,S,,,,,,,,2024/25,1,NONE,,\n", ct_header);
	fx_write(f, csv, strlen(csv));
	assert_int_equal(fx_run(f, FEED_COUNCIL_TAX, &st, &e, keys,
	    sizeof(keys)), ERR_DATA);
	assert_non_null(strstr(e.msg, "reject budget spent"));

	f->cfg.feeds[FEED_COUNCIL_TAX].max_rejects = 100;
	f->cfg.feeds[FEED_COUNCIL_TAX].max_reject_pct = 50;
	assert_int_equal(fx_run(f, FEED_COUNCIL_TAX, &st, &e, keys,
	    sizeof(keys)), ERR_DATA);
	assert_non_null(strstr(e.msg, "66.67%"));
}

static void
test_bad_files(void **state)
{
	static const struct {
		const char *text;
		int	 rc;
		const char *msg;
	} cases[] = {
		{ "", ERR_PARSE, "empty file" },
		{ "account_ref,party_no,financial_year,recovery_stage\n",
		    ERR_PARSE, ":1: missing required column 'balance'" },
		{ "account_ref,party_no,financial_year,balance,"
		  "recovery_stage,Balance\n", ERR_PARSE,
		    ":1: duplicate column 'Balance' (columns 4 and 6)" },
		{ "account_ref,party_no,financial_year,balance,"
		  "recovery_stage\nA,1,2024/25,1,NONE\nB,1,2024/25,\xE9,NONE\n",
		    ERR_PARSE, ":3: not UTF-8" },
		{ "account_ref,party_no,financial_year,balance,"
		  "recovery_stage\nA,1,2024/25,1,NONE\nB,1,\"2024/25,1,NONE\n"
		  "C,1,2024/25,1,NONE\n", ERR_PARSE,
		    "unterminated quote at end of file" },
	};
	struct fx *f = *state;
	struct extract_stats st;
	struct err e;
	char keys[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx_write(f, cases[i].text, strlen(cases[i].text));
		assert_int_equal(fx_run(f, FEED_COUNCIL_TAX, &st, &e, keys,
		    sizeof(keys)), cases[i].rc);
		if (strstr(e.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg,
			    cases[i].msg);
	}
	snprintf(f->path, sizeof(f->path), "%s/missing.csv", f->dir);
	assert_int_equal(fx_run(f, FEED_COUNCIL_TAX, &st, &e, keys,
	    sizeof(keys)), ERR_NOINPUT);
}

static void
test_mapping_and_formats(void **state)
{
	struct fx *f = *state;
	struct config_feed *cf = &f->cfg.feeds[FEED_RENT];
	struct extract_stats st;
	struct err e;
	char keys[512];
	static const char csv[] =
	    "Arrears Owed,Tenancy,Tenant,Status,Stage,Extra,DOB\n"
	    "\"£1,234.56\",T1,1,current,NONE,zzz,31/01/1990\n"
	    "\"-£5\",T2,1,FORMER,EVICTED,zzz,29/02/1991\n";
	char *src[32] = { NULL };

	src[feed_field_index(cf->desc, "arrears")] = (char *)"arrears owed";
	src[feed_field_index(cf->desc, "tenancy_ref")] = (char *)"Tenancy";
	src[feed_field_index(cf->desc, "tenant_no")] = (char *)"TENANT";
	src[feed_field_index(cf->desc, "tenancy_status")] = (char *)"Status";
	src[feed_field_index(cf->desc, "date_of_birth")] = (char *)"dob";
	cf->source = src;
	cf->money_formats = CONFIG_MONEY_POUND | CONFIG_MONEY_THOUSANDS;
	cf->date_formats = CONFIG_DATE_DMY;
	fx_write(f, csv, sizeof(csv) - 1);
	assert_int_equal(fx_run(f, FEED_RENT, &st, &e, keys, sizeof(keys)),
	    0);
	assert_string_equal(keys, "T1:1@2 T2:1@3 ");
	assert_int_equal(st.warnings, 1); /* 29/02/1991 */
	cf->source = f->source;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_rows_and_lines,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rejects_and_warnings,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_budget, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_mapping_and_formats,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
