/*
 * Tests for etl/xmlin, the streaming XML feed reader. Inputs live in
 * fixtures/xml/ (read from the repository root, where tests run) with two
 * small XSDs matching the adult_social_care and breathing_space layouts;
 * inputs that are large or repetitive (too many items, too deep, too long)
 * are written to temporary files by the test. Bad files must fail with an
 * exact message, and an invalid value must never appear in it.
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
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/feed.h"
#include "etl/reader.h"
#include "etl/xmlin.h"

#define DIR	"fixtures/xml/"
#define ASC_XSD	DIR "asc.xsd"
#define BS_XSD	DIR "bs.xsd"

/* A feed configuration as config.c would build it, all paths default. */
struct feed_fixture {
	struct config_feed cf;
	char	*source[64];
	char	 paths[64][64];	/* storage for overridden paths */
};

static void
fixture_init(struct feed_fixture *fx, enum feed_id id, const char *schema)
{
	memset(fx, 0, sizeof(*fx));
	fx->cf.desc = feed_get(id);
	fx->cf.enabled = true;
	fx->cf.schema = (char *)schema;
	fx->cf.source = fx->source;
	assert_true(fx->cf.desc->nfields <= 64);
}

static int
field(const struct feed_fixture *fx, const char *name)
{
	int i = feed_field_index(fx->cf.desc, name);

	assert_true(i >= 0);
	return i;
}

/* Override the XML path of one field, as a [columns] line would. */
static void
set_source(struct feed_fixture *fx, const char *name, const char *path)
{
	int i = field(fx, name);

	snprintf(fx->paths[i], sizeof(fx->paths[i]), "%s", path);
	fx->source[i] = fx->paths[i];
}

/* Assert that value v holds exactly the string want (NULL: absent). */
static void
assert_value(const struct raw_value *v, const char *want)
{
	if (want == NULL) {
		assert_null(v->p);
		return;
	}
	assert_non_null(v->p);
	assert_int_equal(v->n, strlen(want));
	assert_memory_equal(v->p, want, v->n);
}

static void
assert_field(const struct feed_fixture *fx, const struct raw_record *rec,
    const char *name, const char *want)
{
	assert_value(&rec->f[field(fx, name)], want);
}

static void
assert_item(const struct feed_fixture *fx, const struct raw_record *rec,
    size_t k, const char *name, const char *want)
{
	assert_true(k < rec->nitems);
	assert_value(&rec->items[k].f[field(fx, name)], want);
}

/* Open and read every record; returns 0 or the first failure. */
static int
read_all(const struct feed_fixture *fx, const char *path, size_t *nrec,
    struct err *e)
{
	struct reader *rd = NULL;
	struct raw_record rec;
	struct err again;
	int rc;

	*nrec = 0;
	err_clear(e);
	if ((rc = xmlin_open(&fx->cf, path, &rd, e)) != 0) {
		assert_null(rd);
		return rc;
	}
	while ((rc = reader_next(rd, &rec, e)) > 0)
		(*nrec)++;
	/* The end, or a failure, repeats on the next call. */
	if (rc == 0) {
		assert_int_equal(reader_next(rd, &rec, &again), 0);
	} else {
		assert_int_equal(reader_next(rd, &rec, &again), rc);
		assert_non_null(strstr(again.msg, "earlier error"));
	}
	reader_close(rd);
	return rc;
}

static void
expect_failure(const struct feed_fixture *fx, const char *path, int code,
    const char *msg)
{
	struct err e;
	size_t n;

	assert_int_equal(read_all(fx, path, &n, &e), code);
	assert_string_equal(e.msg, msg);
}

/* Write text to a new temporary file; the caller unlinks and frees it. */
static char *
temp_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/test_xmlin_XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static const char asc_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ascDebts extracted=\"2026-11-29\">\n";
static const char asc_invoice[] =
    "<invoice ref=\"I\" type=\"RESIDENTIAL\" issued=\"2026-01-01\" "
    "due=\"2026-01-31\"><amount>1</amount><balance>1</balance></invoice>\n";

static void
test_asc_good(void **state)
{
	struct feed_fixture fx;
	struct reader *rd = NULL;
	struct raw_record rec;
	struct err e;
	struct stat st;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	assert_int_equal(xmlin_open(&fx.cf, DIR "asc_good.xml", &rd, &e), 0);

	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_int_equal(rec.line, 3);
	assert_null(rec.raw);
	assert_null(rec.bad);
	assert_field(&fx, &rec, "extracted", "2026-11-29");
	assert_field(&fx, &rec, "client_id", "ASC001");
	assert_field(&fx, &rec, "nhs_number", "943 476 5919");
	assert_field(&fx, &rec, "title", "Mrs");
	assert_field(&fx, &rec, "forename", "Ada");
	/* Entities and CDATA arrive decoded. */
	assert_field(&fx, &rec, "surname", "O'Brien & Co");
	assert_field(&fx, &rec, "date_of_birth", "1950-03-14");
	assert_field(&fx, &rec, "uprn", "100023336956");
	assert_field(&fx, &rec, "postcode", "BN17 5AB");
	assert_int_equal(rec.nitems, 1);
	assert_int_equal(rec.items[0].line, 18);
	assert_item(&fx, &rec, 0, "invoice_ref", "INV-1");
	assert_item(&fx, &rec, 0, "invoice_type", "RESIDENTIAL");
	assert_item(&fx, &rec, 0, "issued", "2026-10-01");
	assert_item(&fx, &rec, 0, "due", "2026-10-31");
	assert_item(&fx, &rec, 0, "amount", "1200.00");
	assert_item(&fx, &rec, 0, "balance", "800.50");
	/* Item fields stay out of the record, entity fields out of items. */
	assert_field(&fx, &rec, "amount", NULL);
	assert_item(&fx, &rec, 0, "client_id", NULL);

	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_int_equal(rec.line, 23);
	assert_field(&fx, &rec, "extracted", "2026-11-29");
	assert_field(&fx, &rec, "client_id", "ASC002");
	assert_field(&fx, &rec, "nhs_number", NULL);
	assert_field(&fx, &rec, "title", NULL);
	assert_field(&fx, &rec, "uprn", NULL);
	assert_field(&fx, &rec, "address_1", "1 High St");
	assert_field(&fx, &rec, "address_2", NULL);

	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_int_equal(rec.line, 35);
	assert_field(&fx, &rec, "client_id", "ASC003");
	assert_int_equal(rec.nitems, 1);
	assert_int_equal(rec.items[0].line, 35);
	assert_item(&fx, &rec, 0, "invoice_ref", "INV-4");

	assert_int_equal(reader_next(rd, &rec, &e), 0);
	assert_int_equal(reader_next(rd, &rec, &e), 0);
	assert_int_equal(stat(DIR "asc_good.xml", &st), 0);
	assert_int_equal(reader_bytes(rd), (uint64_t)st.st_size);
	reader_close(rd);
}

static void
test_asc_two_invoices(void **state)
{
	struct feed_fixture fx;
	struct reader *rd = NULL;
	struct raw_record rec;
	struct err e;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	assert_int_equal(xmlin_open(&fx.cf, DIR "asc_good.xml", &rd, &e), 0);
	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_int_equal(rec.nitems, 2);
	assert_int_equal(rec.items[0].line, 26);
	assert_int_equal(rec.items[1].line, 30);
	assert_item(&fx, &rec, 0, "invoice_ref", "INV-2");
	assert_item(&fx, &rec, 0, "invoice_type", "NON_RESIDENTIAL");
	assert_item(&fx, &rec, 0, "amount", "50");
	assert_item(&fx, &rec, 1, "invoice_ref", "INV-3");
	assert_item(&fx, &rec, 1, "invoice_type", "DEFERRED_PAYMENT");
	assert_item(&fx, &rec, 1, "due", "2026-10-31");
	assert_item(&fx, &rec, 1, "amount", "75.25");
	assert_item(&fx, &rec, 1, "balance", "0");
	reader_close(rd);
}

static void
test_asc_address_lines(void **state)
{
	struct feed_fixture fx;
	struct reader *rd = NULL;
	struct raw_record rec;
	struct err e;
	const struct raw_value *v;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	assert_int_equal(xmlin_open(&fx.cf, DIR "asc_good.xml", &rd, &e), 0);
	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_field(&fx, &rec, "address_1", "Flat 2");
	assert_field(&fx, &rec, "address_2", "14 Mill Lane");
	assert_field(&fx, &rec, "address_3", "Little <Hampton>");
	/* <line/> is present but empty. */
	v = &rec.f[field(&fx, "address_4")];
	assert_non_null(v->p);
	assert_int_equal(v->n, 0);
	reader_close(rd);
}

static void
test_bs_good(void **state)
{
	struct feed_fixture fx;
	struct reader *rd = NULL;
	struct raw_record rec;
	struct err e;

	(void)state;
	fixture_init(&fx, FEED_BREATHING_SPACE, BS_XSD);
	assert_int_equal(xmlin_open(&fx.cf, DIR "bs_good.xml", &rd, &e), 0);

	/* No debts. */
	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_int_equal(rec.line, 3);
	assert_int_equal(rec.nitems, 0);
	assert_field(&fx, &rec, "generated", "2026-11-29T02:00:00Z");
	assert_field(&fx, &rec, "ref", "BS-1");
	assert_field(&fx, &rec, "kind", "STANDARD");
	assert_field(&fx, &rec, "event", "START");
	assert_field(&fx, &rec, "registered", "2026-11-01");
	assert_field(&fx, &rec, "start_date", "2026-11-02");
	assert_field(&fx, &rec, "end_date", NULL);
	assert_field(&fx, &rec, "effective_date", NULL);
	assert_field(&fx, &rec, "forename", "Carol");
	assert_field(&fx, &rec, "middle_names", NULL);
	assert_field(&fx, &rec, "surname", "Jones");
	assert_field(&fx, &rec, "date_of_birth", "1980-01-02");
	assert_field(&fx, &rec, "address_withheld", "false");
	assert_field(&fx, &rec, "address_1", "3 Park Road");
	assert_field(&fx, &rec, "address_2", NULL);
	assert_field(&fx, &rec, "postcode", "BN1 1AA");
	assert_field(&fx, &rec, "nino", "QQ123456C");
	assert_field(&fx, &rec, "adviser_organisation", "Money Advice Trust");
	assert_field(&fx, &rec, "adviser_reference", "MAT-77");
	assert_field(&fx, &rec, "adviser_phone", "0800 000 000");
	assert_field(&fx, &rec, "reason", NULL);

	/* One debt, a withheld address. */
	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_int_equal(rec.line, 20);
	assert_field(&fx, &rec, "kind", "MENTAL_HEALTH_CRISIS");
	assert_field(&fx, &rec, "middle_names", "Eric Fred");
	assert_field(&fx, &rec, "address_withheld", "true");
	assert_field(&fx, &rec, "address_1", NULL);
	assert_field(&fx, &rec, "nino", NULL);
	assert_int_equal(rec.nitems, 1);
	assert_int_equal(rec.items[0].line, 28);
	assert_item(&fx, &rec, 0, "creditor_ref", "CT-9");
	assert_item(&fx, &rec, 0, "debt_type", "COUNCIL_TAX");
	assert_item(&fx, &rec, 0, "debt_amount", "310.00");

	/* Several debts, cancelled with a reason. */
	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_int_equal(rec.line, 35);
	assert_field(&fx, &rec, "event", "CANCELLED");
	assert_field(&fx, &rec, "end_date", "2026-11-20");
	assert_field(&fx, &rec, "effective_date", "2026-11-20");
	assert_field(&fx, &rec, "address_1", "9 Sea View");
	assert_field(&fx, &rec, "address_2", "Hove");
	assert_field(&fx, &rec, "reason", "Debtor's request");
	assert_int_equal(rec.nitems, 3);
	assert_int_equal(rec.items[0].line, 46);
	assert_int_equal(rec.items[2].line, 48);
	assert_item(&fx, &rec, 0, "creditor_ref", "CT-1");
	assert_item(&fx, &rec, 1, "creditor_ref", "RENT-2");
	assert_item(&fx, &rec, 1, "debt_type", "RENT");
	assert_item(&fx, &rec, 1, "debt_amount", "250.50");
	assert_item(&fx, &rec, 2, "debt_type", "HOUSING_BENEFIT");
	assert_item(&fx, &rec, 2, "debt_amount", "75");

	assert_int_equal(reader_next(rd, &rec, &e), 0);
	reader_close(rd);
}

static void
test_remapped_paths(void **state)
{
	struct feed_fixture fx;
	struct reader *rd = NULL;
	struct raw_record rec;
	struct err e;
	unsigned column = 99;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	/* Each path maps to one field, so a swap moves both values. */
	set_source(&fx, "title", "address/postcode");
	set_source(&fx, "postcode", "name/title");
	set_source(&fx, "address_1", "address/line[3]");
	set_source(&fx, "address_3", "address/line");
	set_source(&fx, "nhs_number", "nhsNumber[1]");
	set_source(&fx, "amount", "invoice[1]/balance");
	set_source(&fx, "balance", "invoice/amount");
	assert_int_equal(xmlin_open(&fx.cf, DIR "asc_good.xml", &rd, &e), 0);
	assert_string_equal(reader_field_source(rd, field(&fx, "address_1"),
	    &column), "address/line[3]");
	assert_int_equal(column, 0);
	assert_string_equal(reader_field_source(rd, field(&fx, "surname"),
	    &column), "name/surname");

	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_field(&fx, &rec, "title", "BN17 5AB");
	assert_field(&fx, &rec, "address_1", "Little <Hampton>");
	assert_field(&fx, &rec, "address_3", "Flat 2");
	assert_field(&fx, &rec, "nhs_number", "943 476 5919");
	assert_field(&fx, &rec, "postcode", "Mrs");
	assert_item(&fx, &rec, 0, "amount", "800.50");
	assert_item(&fx, &rec, 0, "balance", "1200.00");
	assert_int_equal(reader_next(rd, &rec, &e), 1);
	assert_item(&fx, &rec, 1, "amount", "0");
	assert_item(&fx, &rec, 1, "balance", "75.25");
	reader_close(rd);
}

static void
test_missing_file(void **state)
{
	struct feed_fixture fx;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "no_such.xml", ERR_NOINPUT,
	    "cannot open '" DIR "no_such.xml': No such file or directory");
}

static void
test_empty_file(void **state)
{
	struct feed_fixture fx;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "empty.xml", ERR_PARSE,
	    "empty file '" DIR "empty.xml'");
	expect_failure(&fx, DIR "blank.xml", ERR_PARSE,
	    "empty file '" DIR "blank.xml'");
}

static void
test_truncated(void **state)
{
	struct feed_fixture fx;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "asc_truncated.xml", ERR_PARSE,
	    DIR "asc_truncated.xml:19: malformed xml: "
	    "file ends inside element 'amount'");
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, NULL);
	expect_failure(&fx, DIR "asc_truncated.xml", ERR_PARSE,
	    DIR "asc_truncated.xml:19: malformed xml: "
	    "file ends inside element 'amount'");
}

static void
test_not_utf8(void **state)
{
	struct feed_fixture fx;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "asc_latin1.xml", ERR_PARSE,
	    DIR "asc_latin1.xml:4: not UTF-8");
	expect_failure(&fx, DIR "asc_latin1_attr.xml", ERR_PARSE,
	    DIR "asc_latin1_attr.xml:3: not UTF-8");
}

static void
test_doctype(void **state)
{
	struct feed_fixture fx;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "asc_doctype.xml", ERR_PARSE,
	    DIR "asc_doctype.xml:2: DOCTYPE not allowed");
	expect_failure(&fx, DIR "asc_doctype_comment.xml", ERR_PARSE,
	    DIR "asc_doctype_comment.xml:6: DOCTYPE not allowed");
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, NULL);
	expect_failure(&fx, DIR "asc_doctype.xml", ERR_PARSE,
	    DIR "asc_doctype.xml:2: DOCTYPE not allowed");
}

static void
test_billion_laughs(void **state)
{
	struct feed_fixture fx;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "billion_laughs.xml", ERR_PARSE,
	    DIR "billion_laughs.xml:2: DOCTYPE not allowed");
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, NULL);
	expect_failure(&fx, DIR "billion_laughs.xml", ERR_PARSE,
	    DIR "billion_laughs.xml:2: DOCTYPE not allowed");
}

static void
test_external_entity(void **state)
{
	struct feed_fixture fx;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "external_entity.xml", ERR_PARSE,
	    DIR "external_entity.xml:2: DOCTYPE not allowed");
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, NULL);
	expect_failure(&fx, DIR "external_entity.xml", ERR_PARSE,
	    DIR "external_entity.xml:2: DOCTYPE not allowed");
}

static void
test_invalid_against_schema(void **state)
{
	struct feed_fixture fx;
	struct err e;
	size_t n;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "asc_invalid.xml", ERR_PARSE,
	    DIR "asc_invalid.xml:4: xml not valid against schema 'asc.xsd': "
	    "Element 'nhsNumber': [facet '\xe2\x80\xa6'] The value "
	    "'\xe2\x80\xa6' is not accepted by the pattern '\xe2\x80\xa6'.");
	/* A value with quotes of its own must not leak either. */
	assert_int_equal(read_all(&fx, DIR "asc_invalid_quotes.xml", &n, &e),
	    ERR_PARSE);
	assert_non_null(strstr(e.msg, "asc_invalid_quotes.xml:4: xml not "
	    "valid against schema 'asc.xsd': Element 'nhsNumber': "));
	assert_null(strstr(e.msg, "Zebedee"));
	assert_null(strstr(e.msg, "Quixote"));
	assert_null(strstr(e.msg, "Leary"));
	/* An invalid header attribute: names kept, the value not. */
	assert_int_equal(read_all(&fx, DIR "asc_invalid_attr.xml", &n, &e),
	    ERR_PARSE);
	assert_non_null(strstr(e.msg, "asc_invalid_attr.xml:2: xml not valid "
	    "against schema 'asc.xsd': Element 'ascDebts', attribute "
	    "'extracted': "));
	assert_null(strstr(e.msg, "Zebedee"));
	assert_int_equal(n, 0);
}

static void
test_wrong_root(void **state)
{
	struct feed_fixture fx;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	expect_failure(&fx, DIR "bs_good.xml", ERR_PARSE,
	    DIR "bs_good.xml:2: root element is not <ascDebts>");
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, NULL);
	expect_failure(&fx, DIR "bs_good.xml", ERR_PARSE,
	    DIR "bs_good.xml:2: root element is not <ascDebts>");
}

static void
test_bad_schema(void **state)
{
	struct feed_fixture fx;
	struct reader *rd = NULL;
	struct err e;

	(void)state;
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, DIR "no_such.xsd");
	assert_int_equal(xmlin_open(&fx.cf, DIR "asc_good.xml", &rd, &e),
	    ERR_CONFIG);
	assert_null(rd);
	assert_string_equal(e.msg, "cannot read schema '" DIR "no_such.xsd': "
	    "No such file or directory");
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, DIR "asc_good.xml");
	assert_int_equal(xmlin_open(&fx.cf, DIR "asc_good.xml", &rd, &e),
	    ERR_CONFIG);
	assert_null(rd);
	assert_string_equal(e.msg, "cannot load schema '" DIR
	    "asc_good.xml'");
}

static void
test_too_many_items(void **state)
{
	struct feed_fixture fx;
	size_t cap = 200 * (READER_MAX_ITEMS + 10), len, n, i;
	char *text = malloc(cap), *path, want[256];
	struct err e;

	(void)state;
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "%s<client id=\"C1\">\n", asc_head);
	for (i = 0; i < READER_MAX_ITEMS + 1; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s",
		    asc_invoice);
	len += (size_t)snprintf(text + len, cap - len,
	    "</client>\n</ascDebts>\n");
	path = temp_file(text, len);
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	snprintf(want, sizeof(want), "%s:%d: more than %d <invoice> items in "
	    "one <client>", path, READER_MAX_ITEMS + 4, READER_MAX_ITEMS);
	assert_int_equal(read_all(&fx, path, &n, &e), ERR_LIMIT);
	assert_string_equal(e.msg, want);
	unlink(path);
	free(path);

	/* Exactly the cap is fine. */
	len = (size_t)snprintf(text, cap, "%s<client id=\"C1\">\n", asc_head);
	for (i = 0; i < READER_MAX_ITEMS; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s",
		    asc_invoice);
	len += (size_t)snprintf(text + len, cap - len,
	    "</client>\n</ascDebts>\n");
	path = temp_file(text, len);
	assert_int_equal(read_all(&fx, path, &n, &e), 0);
	assert_int_equal(n, 1);
	unlink(path);
	free(path);
	free(text);
}

static void
test_too_deep(void **state)
{
	struct feed_fixture fx;
	char text[4096], *path, want[256];
	size_t len, n;
	int i;

	(void)state;
	/* No schema: the depth cap holds on its own. */
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, NULL);
	len = (size_t)snprintf(text, sizeof(text), "%s<client id=\"C1\">\n",
	    asc_head);
	for (i = 0; i < READER_MAX_DEPTH; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "<d>\n");
	for (i = 0; i < READER_MAX_DEPTH; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "</d>");
	len += (size_t)snprintf(text + len, sizeof(text) - len,
	    "</client>\n</ascDebts>\n");
	path = temp_file(text, len);
	/* Root and client are two levels; the 31st <d> is level 33. */
	snprintf(want, sizeof(want), "%s:%d: xml nested deeper than %d "
	    "elements", path, 3 + READER_MAX_DEPTH - 1, READER_MAX_DEPTH);
	{
		struct err e;

		assert_int_equal(read_all(&fx, path, &n, &e), ERR_LIMIT);
		assert_string_equal(e.msg, want);
	}
	unlink(path);
	free(path);
}

static void
test_record_too_long(void **state)
{
	struct feed_fixture fx;
	size_t big = READER_MAX_RECORD + 10, cap = big + 1024, len, n;
	char *text = malloc(cap), *path, want[256];
	struct err e;

	(void)state;
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "%s<client id=\"C1\">\n<name>"
	    "<surname>", asc_head);
	memset(text + len, 'x', big);
	len += big;
	len += (size_t)snprintf(text + len, cap - len, "</surname></name>\n"
	    "%s</client>\n</ascDebts>\n", asc_invoice);
	path = temp_file(text, len);
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	snprintf(want, sizeof(want), "%s:3: record longer than %u bytes",
	    path, READER_MAX_RECORD);
	assert_int_equal(read_all(&fx, path, &n, &e), ERR_LIMIT);
	assert_string_equal(e.msg, want);
	unlink(path);
	free(path);
	free(text);
}

/* libxml2 keeps element lines only up to 65535; records go far beyond. */
static void
test_big_line_numbers(void **state)
{
	struct feed_fixture fx;
	size_t nclients = 24000, cap = nclients * 200 + 1024, len, i;
	char *text = malloc(cap), *path;
	struct reader *rd = NULL;
	struct raw_record rec;
	struct err e;
	unsigned long line = 0, item_line = 0;
	int rc;

	(void)state;
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "%s", asc_head);
	for (i = 0; i < nclients; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "  <client\n    id=\"C%zu\">\n%s  </client>\n", i,
		    asc_invoice);
	len += (size_t)snprintf(text + len, cap - len, "</ascDebts>\n");
	path = temp_file(text, len);
	fixture_init(&fx, FEED_ADULT_SOCIAL_CARE, ASC_XSD);
	assert_int_equal(xmlin_open(&fx.cf, path, &rd, &e), 0);
	for (i = 0; (rc = reader_next(rd, &rec, &e)) > 0; i++) {
		/* Client i starts on line 3 + 4i, its invoice two lines on. */
		line = rec.line;
		item_line = rec.items[0].line;
		if (line != 3 + 4 * i || item_line != line + 2)
			break;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, nclients);
	assert_int_equal(line, 3 + 4 * (nclients - 1));
	assert_int_equal(item_line, line + 2);
	reader_close(rd);
	unlink(path);
	free(path);
	free(text);
}

static void
test_close_null(void **state)
{
	(void)state;
	reader_close(NULL);
}

/* The real schemas and generated files, once they exist. */
static void
test_borough_fixtures(void **state)
{
	static const struct {
		enum feed_id id;
		const char *xsd;
		const char *xml;
	} sets[] = {
		{ FEED_ADULT_SOCIAL_CARE, "schemas/feeds/adult_social_care.xsd",
		    "fixtures/borough/adult_social_care.xml" },
		{ FEED_BREATHING_SPACE, "schemas/feeds/breathing_space.xsd",
		    "fixtures/borough/breathing_space.xml" },
	};
	struct feed_fixture fx;
	struct err e;
	size_t i, n, ran = 0;

	(void)state;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		if (access(sets[i].xsd, R_OK) != 0 ||
		    access(sets[i].xml, R_OK) != 0)
			continue;
		fixture_init(&fx, sets[i].id, sets[i].xsd);
		assert_int_equal(read_all(&fx, sets[i].xml, &n, &e), 0);
		assert_true(n > 0);
		ran++;
	}
	if (ran == 0)
		skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asc_good),
		cmocka_unit_test(test_asc_two_invoices),
		cmocka_unit_test(test_asc_address_lines),
		cmocka_unit_test(test_bs_good),
		cmocka_unit_test(test_remapped_paths),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_doctype),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_external_entity),
		cmocka_unit_test(test_invalid_against_schema),
		cmocka_unit_test(test_wrong_root),
		cmocka_unit_test(test_bad_schema),
		cmocka_unit_test(test_too_many_items),
		cmocka_unit_test(test_too_deep),
		cmocka_unit_test(test_record_too_long),
		cmocka_unit_test(test_big_line_numbers),
		cmocka_unit_test(test_close_null),
		cmocka_unit_test(test_borough_fixtures),
	};
	int failed;

	failed = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return failed;
}
