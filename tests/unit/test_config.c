/*
 * Tests for etl/config. The configurations live in fixtures/config/ (read
 * from the repository root, where tests run): good_*.ini load, and each
 * bad_*.ini holds one mistake whose exact message, file and line are in
 * bad_cases[] below, so a change to a bad file means a change here too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/feed.h"
#include "etl/fields.h"

#define DIR "fixtures/config/"

/* The same default as etl/config.c; the Makefile may pass another. */
#ifndef SVOD_SCHEMA_DIR
#define SVOD_SCHEMA_DIR "schemas/feeds"
#endif

struct bad_case {
	const char *file;	/* under DIR */
	int	 code;		/* enum err_code */
	const char *msg;	/* exact e.msg */
	const char *detail;	/* exact e.detail, or NULL: not checked */
};

static const struct bad_case bad_cases[] = {
	{ "bad_unknown_section.ini", ERR_CONFIG,
	    DIR "bad_unknown_section.ini:5: unknown section '[jobs]'", NULL },
	{ "bad_unknown_feed.ini", ERR_CONFIG,
	    DIR "bad_unknown_feed.ini:4: unknown section '[feed water]'",
	    NULL },
	{ "bad_unknown_key.ini", ERR_CONFIG,
	    DIR "bad_unknown_key.ini:4: unknown key 'Inbox' in section "
	    "'[job]'", NULL },
	{ "bad_unknown_feed_key.ini", ERR_CONFIG,
	    DIR "bad_unknown_feed_key.ini:7: unknown key 'delimiter' in "
	    "section '[feed rent]'", NULL },
	{ "bad_schema_csv.ini", ERR_CONFIG,
	    DIR "bad_schema_csv.ini:5: unknown key 'schema' in section "
	    "'[feed rent]'", NULL },
	{ "bad_duplicate_key.ini", ERR_CONFIG,
	    DIR "bad_duplicate_key.ini:4: key 'inbox' given twice in section "
	    "'[job]'", "first given on line 2" },
	{ "bad_section_twice.ini", ERR_CONFIG,
	    DIR "bad_section_twice.ini:6: section '[feed rent]' given twice",
	    "first given on line 4" },
	{ "bad_key_before_section.ini", ERR_CONFIG,
	    DIR "bad_key_before_section.ini:1: key 'inbox' before the first "
	    "section", NULL },
	{ "bad_missing_inbox.ini", ERR_CONFIG,
	    DIR "bad_missing_inbox.ini:5: missing required key 'inbox' in "
	    "section '[job]'", NULL },
	{ "bad_missing_key_file.ini", ERR_CONFIG,
	    DIR "bad_missing_key_file.ini:1: missing required key 'key_file' "
	    "in section '[job]'", NULL },
	{ "bad_no_job.ini", ERR_CONFIG,
	    DIR "bad_no_job.ini: missing required section '[job]'", NULL },
	{ "bad_boolean.ini", ERR_CONFIG,
	    DIR "bad_boolean.ini:6: bad value for key 'enabled' in section "
	    "'[feed rent]': expected true, false, yes, no, 1 or 0",
	    "value: 'maybe'" },
	{ "bad_integer.ini", ERR_CONFIG,
	    DIR "bad_integer.ini:6: bad value for key 'max_rejects' in "
	    "section '[feed rent]': expected a whole number from 0",
	    "value: 'ten'" },
	{ "bad_negative.ini", ERR_CONFIG,
	    DIR "bad_negative.ini:4: bad value for key 'max_rejects' in "
	    "section '[job]': expected a whole number from 0", NULL },
	{ "bad_range.ini", ERR_CONFIG,
	    DIR "bad_range.ini:4: bad value for key 'keep_runs' in section "
	    "'[job]': expected a whole number from 1 to 1000",
	    "value: '1001'" },
	{ "bad_pct.ini", ERR_CONFIG,
	    DIR "bad_pct.ini:4: bad value for key 'max_reject_pct' in "
	    "section '[job]': expected a number from 0 to 100", NULL },
	{ "bad_date.ini", ERR_CONFIG,
	    DIR "bad_date.ini:4: bad value for key 'as_of' in section "
	    "'[job]': expected a real date as YYYY-MM-DD",
	    "value: '2023-02-29'" },
	{ "bad_date_format.ini", ERR_CONFIG,
	    DIR "bad_date_format.ini:6: bad value for key 'date_formats' in "
	    "section '[feed council_tax]': expected a list of iso, dmy or "
	    "dmy_dash", NULL },
	{ "bad_money_format.ini", ERR_CONFIG,
	    DIR "bad_money_format.ini:4: bad value for key 'money_formats' in "
	    "section '[job]': expected a list of plain, pound or thousands",
	    NULL },
	{ "bad_empty_path.ini", ERR_CONFIG,
	    DIR "bad_empty_path.ini:2: bad value for key 'inbox' in section "
	    "'[job]': expected a non-empty value", NULL },
	{ "bad_column_field.ini", ERR_CONFIG,
	    DIR "bad_column_field.ini:7: unknown field 'tenant_ref' for feed "
	    "'rent'", NULL },
	{ "bad_column_duplicate.ini", ERR_CONFIG,
	    DIR "bad_column_duplicate.ini:8: fields 'address_1' and "
	    "'address_2' both read source 'address' in section "
	    "'[columns council_tax]'", "'address_1' is mapped on line 7" },
	{ "bad_column_default.ini", ERR_CONFIG,
	    DIR "bad_column_default.ini:7: fields 'forename' and 'surname' "
	    "both read source 'Forename' in section '[columns rent]'", NULL },
	{ "bad_xml_path.ini", ERR_CONFIG,
	    DIR "bad_xml_path.ini:6: bad value for key 'surname' in section "
	    "'[columns breathing_space]': expected an XML path of letters, "
	    "digits and _ - / @ [ ]", "value: 'debtor/family name'" },
	{ "bad_syntax.ini", ERR_CONFIG,
	    DIR "bad_syntax.ini:4: cannot parse line", NULL },
	{ "bad_syntax_first.ini", ERR_CONFIG,
	    DIR "bad_syntax_first.ini:4: cannot parse line", NULL },
	{ "bad_unclosed_section.ini", ERR_CONFIG,
	    DIR "bad_unclosed_section.ini:4: cannot parse line", NULL },
	{ "bad_continuation.ini", ERR_CONFIG,
	    DIR "bad_continuation.ini:5: continuation lines are not supported",
	    NULL },
	{ "bad_long_line.ini", ERR_CONFIG,
	    DIR "bad_long_line.ini:4: line longer than 198 bytes", NULL },
	{ "bad_matcher.ini", ERR_CONFIG,
	    DIR "bad_matcher.ini:4: bad value for key 'matcher' in section "
	    "'[job]': expected deterministic or probabilistic",
	    "value: 'fuzzy'" },
	{ "bad_review_above_match.ini", ERR_CONFIG,
	    DIR "bad_review_above_match.ini:6: review_probability (95) is "
	    "above match_probability (90) in section '[job]'", NULL },
	{ "does_not_exist.ini", ERR_NOINPUT,
	    "cannot open configuration file '" DIR "does_not_exist.ini': "
	    "No such file or directory", NULL },
};

#define NBAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

static struct config *
load_ok(const char *path)
{
	struct config *cfg = NULL;
	struct err e;
	int rc;

	err_clear(&e);
	rc = config_load(path, &cfg, &e);
	if (rc != 0)
		fail_msg("%s: %s (%s)", path, e.msg, e.detail);
	assert_non_null(cfg);
	return cfg;
}

/* The absolute form of DIR, as config_load() resolves against it. */
static void
fixture_dir(char *out, size_t n, const char *rel)
{
	char buf[PATH_MAX];

	assert_non_null(realpath("fixtures/config", buf));
	snprintf(out, n, "%s/%s", buf, rel);
}

static void
test_bad(void **state)
{
	const struct bad_case *c = *state;
	struct config *cfg = (struct config *)&cfg;	/* must become NULL */
	char path[256];
	struct err e;
	int rc;

	snprintf(path, sizeof(path), DIR "%s", c->file);
	err_clear(&e);
	rc = config_load(path, &cfg, &e);
	assert_int_equal(rc, c->code);
	assert_int_equal(e.code, c->code);
	assert_null(cfg);
	assert_string_equal(e.msg, c->msg);
	if (c->detail != NULL)
		assert_string_equal(e.detail, c->detail);
}

static void
test_full(void **state)
{
	struct config *cfg = load_ok(DIR "good_full.ini");
	const struct config_feed *ct = &cfg->feeds[FEED_COUNCIL_TAX];
	const struct config_feed *hb = &cfg->feeds[FEED_HOUSING_BENEFIT];
	const struct config_feed *rent = &cfg->feeds[FEED_RENT];
	const struct config_feed *asc = &cfg->feeds[FEED_ADULT_SOCIAL_CARE];
	const struct config_feed *bs = &cfg->feeds[FEED_BREATHING_SPACE];
	char want[PATH_MAX + 64];

	(void)state;
	assert_string_equal(cfg->path, DIR "good_full.ini");
	fixture_dir(want, sizeof(want), "");
	want[strlen(want) - 1] = '\0';
	assert_string_equal(cfg->dir, want);
	assert_string_equal(cfg->inbox, "/srv/svod/inbox");
	fixture_dir(want, sizeof(want), "keys/test.key");
	assert_string_equal(cfg->key_file, want);
	assert_string_equal(cfg->database, "dbname=svod_test host=/tmp");
	assert_int_equal(cfg->as_of, fields_days_from_ymd(2026, 11, 30));
	assert_true(cfg->as_of_set);
	assert_string_equal(cfg->rejects_dir, "/var/lib/svod/rejects");
	assert_int_equal(cfg->keep_runs, 30);
	assert_true(cfg->carry_forward);

	assert_ptr_equal(ct->desc, feed_get(FEED_COUNCIL_TAX));
	assert_true(ct->enabled);
	assert_string_equal(ct->file, "ct_*.csv");
	assert_null(ct->schema);
	assert_int_equal(ct->date_formats, CONFIG_DATE_DMY);
	assert_int_equal(ct->money_formats,
	    CONFIG_MONEY_POUND | CONFIG_MONEY_THOUSANDS);
	assert_int_equal(ct->max_rejects, 50);
	assert_true(ct->max_reject_pct == 0.5);
	assert_true(ct->mapped);

	/* Feeds without their own value take the [job] values. */
	assert_false(hb->enabled);
	assert_string_equal(hb->file, "housing_benefit.csv");
	assert_int_equal(hb->date_formats, CONFIG_DATE_ISO | CONFIG_DATE_DMY);
	assert_int_equal(hb->money_formats, CONFIG_MONEY_POUND);
	assert_int_equal(hb->max_rejects, 10);
	assert_true(hb->max_reject_pct == 2.5);
	assert_false(hb->mapped);
	assert_true(rent->enabled);
	assert_string_equal(rent->file, "rent.csv");
	assert_int_equal(rent->max_rejects, 10);

	assert_string_equal(asc->file, "asc.xml");
	fixture_dir(want, sizeof(want), "xsd/asc.xsd");
	assert_string_equal(asc->schema, want);
	assert_int_equal(asc->max_rejects, 10);
	assert_true(asc->max_reject_pct == 0.0);
	assert_true(asc->mapped);

	assert_string_equal(bs->file, "breathing_space.xml");
	assert_string_equal(bs->schema, "/opt/svod/bs.xsd");
	assert_int_equal(bs->date_formats,
	    CONFIG_DATE_ISO | CONFIG_DATE_DMY_DASH);
	config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct config *cfg;
	time_t before, after;
	char want[PATH_MAX + 64];

	(void)state;
	before = time(NULL);
	cfg = load_ok(DIR "good_minimal.ini");
	after = time(NULL);
	assert_null(cfg->database);
	assert_false(cfg->as_of_set);
	assert_in_range(cfg->as_of, before / 86400, after / 86400);
	fixture_dir(want, sizeof(want), "rejects");
	assert_string_equal(cfg->rejects_dir, want);
	assert_int_equal(cfg->keep_runs, 7);
	assert_false(cfg->carry_forward);
	for (size_t i = 0; i < FEED_COUNT; i++) {
		const struct config_feed *cf = &cfg->feeds[i];
		const struct feed_desc *d = feed_get((enum feed_id)i);

		assert_ptr_equal(cf->desc, d);
		assert_true(cf->enabled);
		assert_string_equal(cf->file, d->file);
		if (d->layout == FEED_XML) {
			snprintf(want, sizeof(want), SVOD_SCHEMA_DIR "/%s",
			    d->xsd);
			assert_string_equal(cf->schema, want);
		} else {
			assert_null(cf->schema);
		}
		assert_int_equal(cf->date_formats, CONFIG_DATE_ISO);
		assert_int_equal(cf->money_formats, 0);
		assert_int_equal(cf->max_rejects, 0);
		assert_true(cf->max_reject_pct < 0);
		assert_false(cf->mapped);
		for (size_t j = 0; j < d->nfields; j++)
			assert_string_equal(config_source(cf, j),
			    d->layout == FEED_XML ? d->fields[j].xml_path :
			    d->fields[j].name);
	}
	config_free(cfg);
}

/* The matcher and its thresholds; probabilistic by default. */
static void
test_matcher(void **state)
{
	struct config *cfg = load_ok(DIR "good_probabilistic.ini");

	(void)state;
	assert_true(cfg->probabilistic);
	assert_true(cfg->match_pct == 99.5);
	assert_true(cfg->review_pct == 40.0);
	config_free(cfg);
	cfg = load_ok(DIR "good_minimal.ini");
	assert_true(cfg->probabilistic);
	assert_true(cfg->match_pct == 99.0);
	assert_true(cfg->review_pct == 50.0);
	config_free(cfg);
	cfg = load_ok(DIR "good_deterministic.ini");
	assert_false(cfg->probabilistic);
	config_free(cfg);
}

/* A percentage budget stands alone unless a count is set too. */
static void
test_pct_only(void **state)
{
	struct config *cfg = load_ok(DIR "good_pct_only.ini");

	(void)state;
	assert_int_equal(cfg->feeds[FEED_RENT].max_rejects, -1);
	assert_true(cfg->feeds[FEED_RENT].max_reject_pct == 1.5);
	assert_int_equal(cfg->feeds[FEED_COUNCIL_TAX].max_rejects, 4);
	assert_int_equal(cfg->feeds[FEED_HOUSING_BENEFIT].max_rejects, 0);
	assert_true(cfg->feeds[FEED_HOUSING_BENEFIT].max_reject_pct < 0);
	config_free(cfg);
}

/* A [job] that comes after a [feed] still sets that feed's defaults. */
static void
test_job_after_feed(void **state)
{
	struct config *cfg = load_ok(DIR "good_job_last.ini");
	const struct config_feed *rent = &cfg->feeds[FEED_RENT];
	const struct config_feed *ct = &cfg->feeds[FEED_COUNCIL_TAX];

	(void)state;
	assert_int_equal(rent->max_rejects, 3);
	assert_true(rent->max_reject_pct == 1.0);
	assert_int_equal(ct->max_rejects, 7);
	assert_int_equal(ct->date_formats, CONFIG_DATE_DMY);
	assert_int_equal(ct->money_formats, CONFIG_MONEY_THOUSANDS);
	config_free(cfg);
}

static void
test_columns(void **state)
{
	struct config *cfg = load_ok(DIR "good_full.ini");
	const struct config_feed *ct = &cfg->feeds[FEED_COUNCIL_TAX];
	const struct config_feed *asc = &cfg->feeds[FEED_ADULT_SOCIAL_CARE];
	const struct feed_desc *d = ct->desc;

	(void)state;
	assert_string_equal(config_source(ct,
	    (size_t)feed_field_index(d, "account_ref")), "Account Number");
	assert_string_equal(config_source(ct,
	    (size_t)feed_field_index(d, "party_no")), "Party");
	assert_string_equal(config_source(ct,
	    (size_t)feed_field_index(d, "date_of_birth")), "DOB");
	assert_string_equal(config_source(ct,
	    (size_t)feed_field_index(d, "surname")), "surname");
	assert_null(ct->source[feed_field_index(d, "surname")]);

	d = asc->desc;
	assert_string_equal(config_source(asc,
	    (size_t)feed_field_index(d, "surname")), "person/familyName");
	assert_string_equal(config_source(asc,
	    (size_t)feed_field_index(d, "forename")), "name/forename");
	assert_string_equal(config_source(asc,
	    (size_t)feed_field_index(d, "address_1")), "address/line[1]");
	config_free(cfg);
}

/* Swapping two columns passes through a clash that the next line ends. */
static void
test_columns_swap(void **state)
{
	struct config *cfg = load_ok(DIR "good_swap.ini");
	const struct config_feed *rent = &cfg->feeds[FEED_RENT];
	const struct feed_desc *d = rent->desc;

	(void)state;
	assert_string_equal(config_source(rent,
	    (size_t)feed_field_index(d, "forename")), "SURNAME");
	assert_string_equal(config_source(rent,
	    (size_t)feed_field_index(d, "surname")), "Forename");
	config_free(cfg);
}

/* Relative paths follow the file, not the working directory. */
static void
test_relative_paths(void **state)
{
	struct config *a, *b;
	char cwd[PATH_MAX], want[PATH_MAX + 64];

	(void)state;
	a = load_ok(DIR "good_minimal.ini");
	fixture_dir(want, sizeof(want), "inbox");
	assert_string_equal(a->inbox, want);
	fixture_dir(want, sizeof(want), "../keys/test.key");
	assert_string_equal(a->key_file, want);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("fixtures"), 0);
	b = load_ok("config/good_minimal.ini");
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(b->dir, a->dir);
	assert_string_equal(b->inbox, a->inbox);
	assert_string_equal(b->key_file, a->key_file);
	assert_string_equal(b->rejects_dir, a->rejects_dir);
	config_free(a);
	config_free(b);
}

static void
test_set_as_of(void **state)
{
	struct config *cfg = load_ok(DIR "good_minimal.ini");
	int32_t today = cfg->as_of;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(config_set_as_of(cfg, "2023-02-29", &e), ERR_USAGE);
	assert_string_equal(e.msg, "bad as-of date '2023-02-29': expected a "
	    "real date as YYYY-MM-DD");
	assert_int_equal(config_set_as_of(cfg, "30/11/2026", &e), ERR_USAGE);
	assert_int_equal(cfg->as_of, today);
	assert_false(cfg->as_of_set);
	assert_int_equal(config_set_as_of(cfg, "2024-02-29", &e), 0);
	assert_int_equal(cfg->as_of, fields_days_from_ymd(2024, 2, 29));
	assert_true(cfg->as_of_set);
	config_free(cfg);
}

static void
test_digest(void **state)
{
	static const char text[] = "[job]\ninbox = /in\nkey_file = /key\n";
	char path[] = "/tmp/svod-config-XXXXXX";
	struct config *cfg;
	char hex[65];
	struct err e;
	FILE *fp;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, fp),
	    sizeof(text) - 1);
	assert_int_equal(fclose(fp), 0);
	cfg = load_ok(path);
	err_clear(&e);
	assert_int_equal(config_digest(cfg, hex, &e), 0);
	/* printf '[job]\ninbox = /in\nkey_file = /key\n' | sha256sum */
	assert_string_equal(hex, "f7eec16cf19df4a1fbca763853be5a9e"
	    "7029ccc19d830143a3233cbd96bb0e7f");
	unlink(path);
	assert_int_equal(config_digest(cfg, hex, &e), ERR_IO);
	config_free(cfg);
}

/* The documented example must stay loadable. */
static void
test_example(void **state)
{
	struct config *cfg = load_ok("jobs/svod.example.ini");
	const struct config_feed *rent = &cfg->feeds[FEED_RENT];

	(void)state;
	assert_true(rent->mapped);
	assert_string_equal(config_source(rent,
	    (size_t)feed_field_index(rent->desc, "tenancy_ref")),
	    "Tenancy Reference");
	config_free(cfg);
}

static void
test_free_null(void **state)
{
	(void)state;
	config_free(NULL);
}

#define NGOOD 12

int
main(void)
{
	struct CMUnitTest tests[NGOOD + NBAD] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_job_after_feed),
		cmocka_unit_test(test_pct_only),
		cmocka_unit_test(test_matcher),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_columns_swap),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_set_as_of),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_free_null),
	};
	size_t n = NGOOD;

	/* One test per bad fixture, named after its file. */
	for (size_t i = 0; i < NBAD; i++) {
		tests[n].name = bad_cases[i].file;
		tests[n].test_func = test_bad;
		tests[n].setup_func = NULL;
		tests[n].teardown_func = NULL;
		tests[n].initial_state = (void *)&bad_cases[i];
		n++;
	}
	return _cmocka_run_group_tests("config", tests, n, NULL, NULL);
}
