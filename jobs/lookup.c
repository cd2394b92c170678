/*
 * svod lookup --config FILE (--ref REF | --nino NINO | --name NAME --dob
 * DATE) [--json]: an adviser's look-up of one resident in the published
 * night. A reference is searched as it is; a NINO, or a name with a date
 * of birth, is normalised and turned into its keyed token here, in this
 * process, exactly as the nightly pipeline does (jobs/pipeline.c), so
 * that only the 16-byte token reaches the database, as a binary
 * parameter. Every query runs in one read-only repeatable-read
 * transaction: a publish between two queries cannot mix two nights.
 * Names and addresses are printed for the adviser but never logged;
 * error messages never repeat a NINO, name or date given on the command
 * line.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/fields.h"
#include "etl/keyfile.h"
#include "etl/log.h"
#include "etl/pgconn.h"
#include "etl/xalloc.h"
#include "jobs/jobs.h"
#include "matchers/normalize.h"
#include "matchers/pseudonym.h"

static const char lookup_usage[] =
    "usage: svod lookup --config FILE (--ref REF | --nino NINO |\n"
    "                   --name \"FORENAME SURNAME\" --dob YYYY-MM-DD)\n"
    "                   [--json]\n"
    "Look up one resident in the published night and print their debts,\n"
    "recovery stages, breathing-space protection and open review items.\n"
    "  --config FILE  the job configuration: 'database' to read, 'key_file'\n"
    "                 for --nino and --name\n"
    "  --ref REF      any source reference, ignoring case: council tax\n"
    "                 account (with or without ' 2026/27' or ':party'),\n"
    "                 housing benefit claim or overpayment, tenancy, adult\n"
    "                 social care client or invoice, breathing-space ref\n"
    "  --nino NINO    a National Insurance number (the suffix is ignored)\n"
    "  --name NAME    the first forename and the surname:\n"
    "                 \"FORENAME SURNAME\" (later words are the surname)\n"
    "                 or \"SURNAME, FORENAME\";\n"
    "                 no title or middle names. Needs --dob.\n"
    "  --dob DATE     the date of birth, YYYY-MM-DD\n"
    "  --json         print JSON (money in integer pence) instead of tables\n"
    "Give '-' as NINO or NAME to read it from the first line of standard\n"
    "input, which keeps it out of the process list. A NINO or a name with\n"
    "date of birth is turned into its keyed token in this process and\n"
    "matched EXACTLY against the night's tokens (no fuzzy or partial\n"
    "matching; a spelling the source systems do not share finds no one).\n"
    "The database resolves the token to residents without showing any\n"
    "token (adviser.residents_by_token). Where a notice withheld a\n"
    "resident's address, no address is shown. 'linked by' gives the rule\n"
    "that joined each record to the resident and, for a link the\n"
    "probabilistic matcher scored, its match probability\n"
    "(\"scored, p=0.9987\"; link_probability in JSON).\n"
    "Exit status: 0 found; 1 no resident found; 64 usage, or an invalid\n"
    "NINO, name or date; 69 database unavailable or access refused;\n"
    "78 bad configuration, or a key file that is unsafe, unreadable or not\n"
    "the key of the published night.\n";

/* Type OIDs of the result columns that JSON gives as numbers or booleans. */
#define LOOKUP_BOOLOID	16
#define LOOKUP_INT8OID	20
#define LOOKUP_INT2OID	21
#define LOOKUP_INT4OID	23
#define LOOKUP_FLOAT4OID 700
#define LOOKUP_FLOAT8OID 701

/* Exit status when no resident matches. */
#define LOOKUP_NOT_FOUND 1

/* The services, in the column names of adviser.resident_debt. */
static const char *const lookup_services[] = {
	"council_tax", "housing_benefit", "rent", "adult_social_care" };
#define LOOKUP_NSERVICES (sizeof(lookup_services) / sizeof(lookup_services[0]))

enum lookup_by { BY_REF, BY_NINO, BY_NAME_DOB };

struct lookup {
	struct config *cfg;
	PGconn	*conn;
	bool	 json;
	enum lookup_by by;
	const char *ref;			/* BY_REF: borrowed from argv */
	enum pseudonym_purpose purpose;		/* token lookups */
	char	 stem[9];			/* BY_NINO: the NINO's stem */
	struct name_norm nm;			/* BY_NAME_DOB */
	struct dob_parts dp;			/* BY_NAME_DOB */
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
	PGresult *rules;			/* auditor.link_rule, or NULL */
	char	 as_of[16];			/* of the published night */
};

/* Table printing: cells are owned strings, widths by display columns. */
#define TABLE_MAXCOLS 10

struct table {
	int	 ncols;
	const char *head[TABLE_MAXCOLS];
	bool	 right[TABLE_MAXCOLS];	/* right-aligned (money) */
	char	**cells;		/* [nrows * ncols] */
	int	 nrows;
};

/* Columns a string takes on a terminal: UTF-8 continuation bytes take none. */
static int
dispw(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
table_row(struct table *t, const char *const *cells)
{
	t->cells = xreallocarray(t->cells, (size_t)(t->nrows + 1) *
	    (size_t)t->ncols, sizeof(*t->cells));
	for (int i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ? cells[i]
		    : "");
	t->nrows++;
}

/* Print under 'indent' spaces, then free the cells. */
static void
table_print(struct table *t, FILE *fp, int indent)
{
	int w[TABLE_MAXCOLS];

	for (int i = 0; i < t->ncols; i++) {
		w[i] = dispw(t->head[i]);
		for (int r = 0; r < t->nrows; r++) {
			int cw = dispw(t->cells[r * t->ncols + i]);

			if (cw > w[i])
				w[i] = cw;
		}
	}
	for (int r = -1; r < t->nrows; r++) {
		fprintf(fp, "%*s", indent, "");
		for (int i = 0; i < t->ncols; i++) {
			const char *s = r < 0 ? t->head[i]
					      : t->cells[r * t->ncols + i];
			int pad = w[i] - dispw(s);
			bool last = i == t->ncols - 1;

			if (t->right[i])
				fprintf(fp, "%*s%s", pad, "", s);
			else if (last)
				fputs(s, fp);
			else
				fprintf(fp, "%s%*s", s, pad, "");
			if (!last)
				fputs("  ", fp);
		}
		fputc('\n', fp);
	}
	for (int k = 0; k < t->nrows * t->ncols; k++)
		free(t->cells[k]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/*
 * Pence as pounds, "£1,234.56" or "-£12.30", with integer arithmetic
 * only. 'out' holds at least 40 bytes.
 */
static const char *
lookup_money(int64_t pence, char *out)
{
	uint64_t u = pence < 0 ? (uint64_t)0 - (uint64_t)pence
			       : (uint64_t)pence;
	uint64_t pounds = u / 100;
	char rev[32];
	size_t n = 0, k = 0;

	do {
		if (n > 0 && n % 4 == 3)
			rev[n++] = ',';
		rev[n++] = (char)('0' + pounds % 10);
		pounds /= 10;
	} while (pounds != 0);
	if (pence < 0)
		out[k++] = '-';
	out[k++] = '\xc2';	/* U+00A3 POUND SIGN in UTF-8 */
	out[k++] = '\xa3';
	while (n > 0)
		out[k++] = rev[--n];
	out[k++] = '.';
	out[k++] = (char)('0' + u % 100 / 10);
	out[k++] = (char)('0' + u % 10);
	out[k] = '\0';
	return out;
}

/* A column of row 'r' by name: its text, or NULL when SQL NULL. */
static const char *
col(const PGresult *res, int r, const char *name)
{
	int c = PQfnumber(res, name);

	if (c < 0 || r >= PQntuples(res) || PQgetisnull(res, r, c))
		return NULL;
	return PQgetvalue(res, r, c);
}

static int64_t
col_i64(const PGresult *res, int r, const char *name)
{
	const char *s = col(res, r, name);

	return s ? strtoll(s, NULL, 10) : 0;
}

static bool
col_bool(const PGresult *res, int r, const char *name)
{
	const char *s = col(res, r, name);

	return s != NULL && s[0] == 't';
}

static const char *
col_or(const PGresult *res, int r, const char *name, const char *dflt)
{
	const char *s = col(res, r, name);

	return s && *s ? s : dflt;
}

/* A financial year as "2026/27". 'out' holds 16 bytes. */
static const char *
lookup_fy(const char *start, char *out)
{
	long y;

	if (start == NULL)
		return "-";
	y = strtol(start, NULL, 10);
	snprintf(out, 16, "%ld/%02ld", y, (y + 1) % 100);
	return out;
}

/*
 * Run one query with text parameters (NULL = SQL NULL). Returns its rows,
 * or NULL with ERR_DB in 'e'; a refused privilege gets a hint.
 */
static PGresult *
lookup_query(struct lookup *lk, const char *what, const char *sql,
    int nparams, const char *const *params, struct err *e)
{
	PGresult *res = PQexecParams(lk->conn, sql, nparams, NULL, params,
	    NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	pgconn_fail(lk->conn, res, what, e);
	if (strcmp(pgconn_sqlstate(res), "42501") == 0)
		err_hint(e, "connect as a role that may read the adviser "
		    "views%s ('database' in the configuration)",
		    lk->by == BY_REF ? "" : ", auditor.source_record and "
		    "auditor.link");
	PQclear(res);
	return NULL;
}

/* Run a statement that returns no rows. */
static int
lookup_exec(struct lookup *lk, const char *sql, struct err *e)
{
	return pgconn_exec(lk->conn, sql, e);
}

/*
 * The link rules with their confidence, for display. Only roles that may
 * read auditor.link_rule get them: a refusal is not an error, so the
 * query runs under a savepoint.
 */
static void
lookup_rules(struct lookup *lk)
{
	PGresult *res;

	if (lookup_exec(lk, "SAVEPOINT rules", NULL) != 0)
		return;
	res = PQexec(lk->conn, "SELECT rule, low_confidence, description "
	    "FROM auditor.link_rule");
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		lk->rules = res;
		lookup_exec(lk, "RELEASE SAVEPOINT rules", NULL);
		return;
	}
	log_debug("link rules not readable: %s", pgconn_sqlstate(res));
	PQclear(res);
	lookup_exec(lk, "ROLLBACK TO SAVEPOINT rules", NULL);
}

/* The row of auditor.link_rule for 'rule', or -1. */
static int
lookup_rule_row(const struct lookup *lk, const char *rule)
{
	if (lk->rules == NULL || rule == NULL)
		return -1;
	for (int r = 0; r < PQntuples(lk->rules); r++)
		if (strcmp(PQgetvalue(lk->rules, r, 0), rule) == 0)
			return r;
	return -1;
}

/* "name_dob (high)", "uprn_surname_dob (low)", or the bare rule. */
static const char *
lookup_rule_text(const struct lookup *lk, const char *rule, char *out,
    size_t cap)
{
	int r = lookup_rule_row(lk, rule);

	if (rule == NULL)
		return "unlinked";
	/* Records that joined no other: nothing to be confident about. */
	if (strcmp(rule, "none") == 0 || strcmp(rule, "no_identity") == 0)
		snprintf(out, cap, "%s (own record)", rule);
	else if (r < 0)
		snprintf(out, cap, "%s", rule);
	else
		snprintf(out, cap, "%s (%s)", rule,
		    PQgetvalue(lk->rules, r, 1)[0] == 't' ? "low" : "high");
	return out;
}

/*
 * How a record joined its resident: the rule as lookup_rule_text gives
 * it and, for a scored link, its match probability 'p' (text, or NULL):
 * "scored, p=0.9987" ("p>0.9999" when it would print as 1.0000).
 */
static const char *
lookup_link_text(const struct lookup *lk, const char *rule, const char *p,
    char *out, size_t cap)
{
	char buf[96];
	const char *base = lookup_rule_text(lk, rule, buf, sizeof(buf));
	double v;

	if (p == NULL) {
		snprintf(out, cap, "%s", base);
		return out;
	}
	v = strtod(p, NULL);
	if (v >= 0.99995)
		snprintf(out, cap, "%s, p>0.9999", base);
	else
		snprintf(out, cap, "%s, p=%.4f", base, v);
	return out;
}

/*
 * Find the residents: one row each, in id order, the last column the id
 * as text. Returns NULL with ERR_DB in 'e' on failure.
 */
static PGresult *
lookup_find(struct lookup *lk, struct err *e)
{
	static const char by_ref[] =
	    "SELECT resident_id::text FROM ("
	    " SELECT resident_id FROM adviser.debt_line"
	    "  WHERE upper(source_ref) = upper($1)"
	    "     OR upper(source_key) = upper($1)"
	    "     OR upper(creditor_ref) = upper($1)"
	    " UNION SELECT resident_id FROM adviser.contact"
	    "  WHERE upper(source_key) = upper($1)"
	    " UNION SELECT resident_id FROM adviser.moratorium"
	    "  WHERE upper(ref) = upper($1)"
	    ") f WHERE resident_id IS NOT NULL ORDER BY f.resident_id";
	/* Advisers resolve a token without reading any (005_*.sql). */
	static const char by_token[] =
	    "SELECT r.resident_id, r.resident_id::text"
	    " FROM adviser.residents_by_token($1, $2) r"
	    " ORDER BY r.resident_id";
	const Oid types[2] = { 25, 17 };	/* text, bytea */
	const char *values[2];
	const int lengths[2] = { 0, PSEUDONYM_TOKEN_LEN };
	const int formats[2] = { 0, 1 };	/* the token in binary */
	PGresult *res;
	char ref[256];
	size_t n;

	if (lk->by == BY_REF) {
		const char *s = lk->ref;

		n = strlen(s);
		fields_trim(&s, &n);
		snprintf(ref, sizeof(ref), "%.*s", (int)n, s);
		values[0] = ref;
		return lookup_query(lk, "finding the reference", by_ref, 1,
		    values, e);
	}
	values[0] = pseudonym_purpose_name(lk->purpose);
	values[1] = (const char *)lk->tok;
	res = PQexecParams(lk->conn, by_token, 2, types, values, lengths,
	    formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pgconn_fail(lk->conn, res, "matching the token", e);
		if (strcmp(pgconn_sqlstate(res), "42501") == 0)
			err_hint(e, "connect as a role granted "
			    "svod_adviser");
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * Tokens only match tokens made with the same key: a key file other than
 * the published night's would find no one and say nothing. Refuse it.
 */
static int
lookup_check_key(struct lookup *lk, const char *fingerprint, bool *published,
    struct err *e)
{
	PGresult *res;
	const char *fp;
	int rc = 0;

	res = lookup_query(lk, "reading the published run",
	    "SELECT r.key_fingerprint FROM auditor.published p"
	    " JOIN auditor.run r ON r.run_id = p.run_id", 0, NULL, e);
	if (res == NULL)
		return ERR_DB;
	*published = PQntuples(res) > 0;
	fp = col(res, 0, "key_fingerprint");
	if (*published && fp != NULL && strcmp(fp, fingerprint) != 0) {
		rc = err_set(e, ERR_CONFIG, "the key file (fingerprint %s) is "
		    "not the key of the published night (fingerprint %s)",
		    fingerprint, fp);
		err_hint(e, "set 'key_file' in the configuration to the "
		    "council's key that the nightly run used");
	}
	PQclear(res);
	return rc;
}

/* The rows about one resident, from one snapshot. */
struct lookup_resident {
	const char *id;
	PGresult *sum;		/* adviser.resident_debt: 0 or 1 row */
	PGresult *mor;		/* adviser.moratorium */
	PGresult *debts;	/* adviser.debt_line */
	PGresult *contacts;	/* adviser.contact */
	PGresult *reviews;	/* adviser.review_queue, open items */
};

static void
lookup_resident_release(struct lookup_resident *rs)
{
	PQclear(rs->sum);
	PQclear(rs->mor);
	PQclear(rs->debts);
	PQclear(rs->contacts);
	PQclear(rs->reviews);
	memset(rs, 0, sizeof(*rs));
}

static int
lookup_resident_load(struct lookup *lk, const char *id,
    struct lookup_resident *rs, struct err *e)
{
	const char *p[1] = { id };

	memset(rs, 0, sizeof(*rs));
	rs->id = id;
	rs->sum = lookup_query(lk, "reading adviser.resident_debt",
	    "SELECT * FROM adviser.resident_debt WHERE resident_id = $1",
	    1, p, e);
	if (rs->sum == NULL)
		return ERR_DB;
	/* A scored link's probability: adviser.resident_links (006_*.sql). */
	rs->mor = lookup_query(lk, "reading adviser.moratorium",
	    "SELECT m.ref, m.kind, m.status, m.state, m.registered,"
	    " m.start_date, m.end_date, m.cancelled_from, m.address_withheld,"
	    " m.link_rule, m.low_confidence, m.matched,"
	    " l.probability AS link_probability"
	    " FROM adviser.moratorium m"
	    " LEFT JOIN adviser.resident_links($1) l"
	    "  ON l.feed = 'breathing_space' AND l.source_key = m.ref"
	    " WHERE m.resident_id = $1"
	    " ORDER BY m.start_date DESC, m.ref", 1, p, e);
	if (rs->mor == NULL)
		return ERR_DB;
	rs->debts = lookup_query(lk, "reading adviser.debt_line",
	    "SELECT d.service, d.source_ref, d.source_key, d.creditor_ref,"
	    " d.financial_year, d.balance, d.recovery_stage, d.severity,"
	    " d.priority, d.origin_date, d.ongoing_weekly, d.bs_status,"
	    " d.bs_reason, d.moratorium_ref, d.protected_from, d.hold,"
	    " d.link_rule, l.probability AS link_probability"
	    " FROM adviser.debt_line d"
	    " LEFT JOIN adviser.resident_links($1) l"
	    "  ON l.feed = d.service AND l.source_key = d.source_key"
	    " WHERE d.resident_id = $1"
	    " ORDER BY d.priority DESC, d.service,"
	    " d.financial_year DESC NULLS LAST, d.source_ref, d.line",
	    1, p, e);
	if (rs->debts == NULL)
		return ERR_DB;
	rs->contacts = lookup_query(lk, "reading adviser.contact",
	    "SELECT feed, source_key, title, forename, middle_names, surname,"
	    " address_withheld,"
	    " CASE WHEN NOT address_withheld THEN address_1 END AS address_1,"
	    " CASE WHEN NOT address_withheld THEN address_2 END AS address_2,"
	    " CASE WHEN NOT address_withheld THEN address_3 END AS address_3,"
	    " CASE WHEN NOT address_withheld THEN address_4 END AS address_4,"
	    " CASE WHEN NOT address_withheld THEN postcode END AS postcode,"
	    " adviser_organisation, adviser_reference, adviser_phone"
	    " FROM adviser.contact WHERE resident_id = $1"
	    " ORDER BY feed, source_key", 1, p, e);
	if (rs->contacts == NULL)
		return ERR_DB;
	/* Open items raised about the resident, or about one of their
	 * references before a resident was known. */
	rs->reviews = lookup_query(lk, "reading adviser.review_queue",
	    "SELECT review_id, origin, run_id, kind, reason, reference,"
	    " to_char(raised_at AT TIME ZONE 'UTC',"
	    "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS raised_at"
	    " FROM adviser.review_queue q"
	    " WHERE q.resolved_at IS NULL AND (q.resident_id = $1"
	    "  OR q.reference IN (SELECT m.ref FROM adviser.moratorium m"
	    "   WHERE m.resident_id = $1)"
	    "  OR q.reference IN (SELECT d.creditor_ref"
	    "   FROM adviser.debt_line d WHERE d.resident_id = $1))"
	    " ORDER BY q.raised_at, q.review_id", 1, p, e);
	if (rs->reviews == NULL)
		return ERR_DB;
	return 0;
}

/*
 * The non-empty columns 'parts' of row r joined by 'sep' into 'out' (cap
 * bytes, cut short rather than overflowed); NULL when all are empty.
 */
static const char *
lookup_join(const PGresult *res, int r, const char *const *parts,
    size_t nparts, const char *sep, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < nparts; i++) {
		const char *s = col(res, r, parts[i]);

		if (s == NULL || *s == '\0' || len + strlen(sep) + 1 >= cap)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s%s",
		    len ? sep : "", s);
		if (len >= cap)
			len = cap - 1;
	}
	return out[0] ? out : NULL;
}

/* "Mr John A Smith" from a contact row into 'out'. */
static const char *
lookup_name(const PGresult *res, int r, char *out, size_t cap)
{
	static const char *const parts[] = { "title", "forename",
	    "middle_names", "surname" };
	const char *name = lookup_join(res, r, parts, 4, " ", out, cap);

	return name ? name : "(no name)";
}

/* Address lines and postcode joined by ", ", or NULL when none. */
static const char *
lookup_address(const PGresult *res, int r, char *out, size_t cap)
{
	static const char *const parts[] = { "address_1", "address_2",
	    "address_3", "address_4", "postcode" };

	return lookup_join(res, r, parts, 5, ", ", out, cap);
}

static void
lookup_print_resident(const struct lookup *lk,
    const struct lookup_resident *rs, FILE *fp)
{
	const PGresult *s = rs->sum;
	struct table t;
	char m1[40], m2[40], m3[40], buf[512], buf2[512], fy[16], rule[128];
	const char *stale;

	fprintf(fp, "resident %s\n", rs->id);
	if (PQntuples(s) == 0) {
		fprintf(fp, "  (no summary row in adviser.resident_debt)\n");
	} else {
		const char *st = col_or(s, 0, "bs_status", "none");

		if (strcmp(st, "none") == 0) {
			fprintf(fp, "  breathing space: none\n");
		} else {
			fprintf(fp, "  breathing space: %s  ref %s  kind %s  "
			    "start %s  end %s", st,
			    col_or(s, 0, "bs_ref", "-"),
			    col_or(s, 0, "bs_kind", "-"),
			    col_or(s, 0, "bs_start", "-"),
			    col_or(s, 0, "bs_end", "open"));
			if (col(s, 0, "bs_cancelled_from") != NULL)
				fprintf(fp, "  cancelled from %s",
				    col(s, 0, "bs_cancelled_from"));
			fputc('\n', fp);
		}
		fprintf(fp, "  hold recovery: %s\n",
		    col_bool(s, 0, "hold_recovery")
			? "YES - stop recovery of protected debts"
			: "no");
		fprintf(fp, "  totals: overall %s  priority %s  protected %s  "
		    "(%lld debt line%s, %lld for review)\n",
		    lookup_money(col_i64(s, 0, "total"), m1),
		    lookup_money(col_i64(s, 0, "priority_total"), m2),
		    lookup_money(col_i64(s, 0, "protected_total"), m3),
		    (long long)col_i64(s, 0, "debt_lines"),
		    col_i64(s, 0, "debt_lines") == 1 ? "" : "s",
		    (long long)col_i64(s, 0, "review_lines"));
		if (col(s, 0, "highest_stage") != NULL)
			fprintf(fp, "  highest stage: %s %s (%s)\n",
			    col_or(s, 0, "highest_stage_service", "-"),
			    col(s, 0, "highest_stage"),
			    col_or(s, 0, "highest_severity_name", "-"));
		memset(&t, 0, sizeof(t));
		t.ncols = 3;
		t.head[0] = "service";
		t.head[1] = "total";
		t.head[2] = "data as of";
		t.right[1] = true;
		stale = col_or(s, 0, "stale_feeds", "");
		for (size_t i = 0; i < LOOKUP_NSERVICES; i++) {
			char tc[64], dc[64], as[64];
			const char *cells[3];
			const char *svc = lookup_services[i];

			snprintf(tc, sizeof(tc), "%s_total", svc);
			snprintf(dc, sizeof(dc), "%s_data_as_of", svc);
			snprintf(as, sizeof(as), "%s%s", col_or(s, 0, dc, "-"),
			    strstr(stale, svc) ? " (STALE)" : "");
			cells[0] = svc;
			cells[1] = lookup_money(col_i64(s, 0, tc), m1);
			cells[2] = as;
			table_row(&t, cells);
		}
		table_print(&t, fp, 4);
		fprintf(fp, "  breathing-space data as of %s; "
		    "stale feeds: %s\n",
		    col_or(s, 0, "breathing_space_data_as_of", "-"),
		    *stale ? stale : "none");
	}

	fprintf(fp, "  contact (%d record%s):\n", PQntuples(rs->contacts),
	    PQntuples(rs->contacts) == 1 ? "" : "s");
	for (int r = 0; r < PQntuples(rs->contacts); r++) {
		const PGresult *c = rs->contacts;
		const char *addr = lookup_address(c, r, buf2, sizeof(buf2));

		fprintf(fp, "    %s %s: %s; ", col_or(c, r, "feed", "-"),
		    col_or(c, r, "source_key", "-"),
		    lookup_name(c, r, buf, sizeof(buf)));
		if (col_bool(c, r, "address_withheld"))
			fputs("ADDRESS WITHHELD for safety: do not write to "
			    "any address", fp);
		else
			fputs(addr ? addr : "no address", fp);
		if (col(c, r, "adviser_organisation") != NULL)
			fprintf(fp, "; debt adviser %s, ref %s, tel %s",
			    col(c, r, "adviser_organisation"),
			    col_or(c, r, "adviser_reference", "-"),
			    col_or(c, r, "adviser_phone", "-"));
		fputc('\n', fp);
	}

	if (PQntuples(rs->mor) > 0) {
		fprintf(fp, "  breathing-space notices:\n");
		memset(&t, 0, sizeof(t));
		t.ncols = 7;
		t.head[0] = "ref";
		t.head[1] = "kind";
		t.head[2] = "status";
		t.head[3] = "start";
		t.head[4] = "end";
		t.head[5] = "cancelled from";
		t.head[6] = "linked by";
		for (int r = 0; r < PQntuples(rs->mor); r++) {
			const PGresult *m = rs->mor;
			const char *cells[7];

			snprintf(buf, sizeof(buf), "%s%s%s",
			    col(m, r, "link_rule") == NULL ? "-" :
			    lookup_link_text(lk, col(m, r, "link_rule"),
			    col(m, r, "link_probability"), rule,
			    sizeof(rule)),
			    col_bool(m, r, "low_confidence")
				? " (LOW confidence)" : "",
			    col_bool(m, r, "matched") ? ""
			    : " (matched no debt record)");
			snprintf(buf2, sizeof(buf2), "%s%s",
			    col_or(m, r, "status", "-"),
			    col_bool(m, r, "address_withheld")
				? ", address withheld" : "");
			cells[0] = col_or(m, r, "ref", "-");
			cells[1] = col_or(m, r, "kind", "-");
			cells[2] = buf2;
			cells[3] = col_or(m, r, "start_date", "-");
			cells[4] = col_or(m, r, "end_date", "open");
			cells[5] = col_or(m, r, "cancelled_from", "-");
			cells[6] = buf;
			table_row(&t, cells);
		}
		table_print(&t, fp, 4);
	}

	fprintf(fp, "  debts (%d):\n", PQntuples(rs->debts));
	if (PQntuples(rs->debts) > 0) {
		memset(&t, 0, sizeof(t));
		t.ncols = 8;
		t.head[0] = "service";
		t.head[1] = "source ref";
		t.head[2] = "year";
		t.head[3] = "balance";
		t.head[4] = "stage";
		t.head[5] = "priority";
		t.head[6] = "breathing space";
		t.head[7] = "linked by";
		t.right[3] = true;
		for (int r = 0; r < PQntuples(rs->debts); r++) {
			const PGresult *d = rs->debts;
			const char *cells[8];
			const char *reason = col(d, r, "bs_reason");
			const char *mref = col(d, r, "moratorium_ref");
			const char *from = col(d, r, "protected_from");
			int len;

			len = snprintf(buf, sizeof(buf), "%s%s%s",
			    col_or(d, r, "bs_status", "none"),
			    reason ? ": " : "", reason ? reason : "");
			if (mref != NULL && len > 0 &&
			    (size_t)len < sizeof(buf))
				len += snprintf(buf + len,
				    sizeof(buf) - (size_t)len, " (%s%s%s)",
				    mref, from ? " from " : "",
				    from ? from : "");
			if (col_bool(d, r, "hold") && len > 0 &&
			    (size_t)len < sizeof(buf))
				snprintf(buf + len, sizeof(buf) - (size_t)len,
				    " HOLD");
			cells[0] = col_or(d, r, "service", "-");
			cells[1] = col_or(d, r, "source_ref", "-");
			cells[2] = lookup_fy(col(d, r, "financial_year"), fy);
			cells[3] = lookup_money(col_i64(d, r, "balance"), m1);
			cells[4] = col_or(d, r, "recovery_stage", "-");
			cells[5] = col_bool(d, r, "priority") ? "yes" : "no";
			cells[6] = buf;
			cells[7] = lookup_link_text(lk, col(d, r, "link_rule"),
			    col(d, r, "link_probability"), rule, sizeof(rule));
			table_row(&t, cells);
		}
		table_print(&t, fp, 4);
	}

	if (PQntuples(rs->reviews) == 0) {
		fprintf(fp, "  open review items: none\n");
	} else {
		fprintf(fp, "  open review items (%d):\n",
		    PQntuples(rs->reviews));
		memset(&t, 0, sizeof(t));
		t.ncols = 5;
		t.head[0] = "id";
		t.head[1] = "raised";
		t.head[2] = "kind";
		t.head[3] = "reason";
		t.head[4] = "reference";
		for (int r = 0; r < PQntuples(rs->reviews); r++) {
			const PGresult *q = rs->reviews;
			const char *cells[5] = {
				col_or(q, r, "review_id", "-"),
				col_or(q, r, "raised_at", "-"),
				col_or(q, r, "kind", "-"),
				col_or(q, r, "reason", "-"),
				col_or(q, r, "reference", "-") };

			table_row(&t, cells);
		}
		table_print(&t, fp, 4);
	}
}

/* A result value as JSON: integers, booleans and reals typed, else text. */
static json_t *
lookup_json_value(const PGresult *res, int r, int c)
{
	const char *v;

	if (PQgetisnull(res, r, c))
		return json_null();
	v = PQgetvalue(res, r, c);
	switch (PQftype(res, c)) {
	case LOOKUP_INT2OID:
	case LOOKUP_INT4OID:
	case LOOKUP_INT8OID:
		return json_integer((json_int_t)strtoll(v, NULL, 10));
	case LOOKUP_BOOLOID:
		return json_boolean(v[0] == 't');
	case LOOKUP_FLOAT4OID:
	case LOOKUP_FLOAT8OID:
		return json_real(strtod(v, NULL));
	default:
		return json_string(v);
	}
}

/* Every row of 'res' as an array of objects keyed by column name. */
static json_t *
lookup_json_rows(const PGresult *res)
{
	json_t *a = json_array();

	for (int r = 0; r < PQntuples(res); r++) {
		json_t *o = json_object();

		for (int c = 0; c < PQnfields(res); c++)
			json_object_set_new(o, PQfname(res, c),
			    lookup_json_value(res, r, c));
		json_array_append_new(a, o);
	}
	return a;
}

/* Column 'name' of row 0 as JSON (null when absent). */
static json_t *
lookup_json_col(const PGresult *res, const char *name)
{
	int c = PQfnumber(res, name);

	if (c < 0 || PQntuples(res) == 0)
		return json_null();
	return lookup_json_value(res, 0, c);
}

static json_t *
lookup_json_resident(const struct lookup *lk,
    const struct lookup_resident *rs)
{
	const PGresult *s = rs->sum;
	json_t *o = json_object(), *bs, *tot, *by, *stale, *top, *debts;
	const char *st = col_or(s, 0, "stale_feeds", "");

	json_object_set_new(o, "resident_id",
	    json_integer((json_int_t)strtoll(rs->id, NULL, 10)));
	bs = json_object();
	json_object_set_new(bs, "status",
	    json_string(col_or(s, 0, "bs_status", "none")));
	json_object_set_new(bs, "ref", lookup_json_col(s, "bs_ref"));
	json_object_set_new(bs, "kind", lookup_json_col(s, "bs_kind"));
	json_object_set_new(bs, "start", lookup_json_col(s, "bs_start"));
	json_object_set_new(bs, "end", lookup_json_col(s, "bs_end"));
	json_object_set_new(bs, "cancelled_from",
	    lookup_json_col(s, "bs_cancelled_from"));
	json_object_set_new(bs, "hold_recovery",
	    json_boolean(col_bool(s, 0, "hold_recovery")));
	json_object_set_new(o, "breathing_space", bs);

	tot = json_object();
	json_object_set_new(tot, "total", lookup_json_col(s, "total"));
	json_object_set_new(tot, "priority",
	    lookup_json_col(s, "priority_total"));
	json_object_set_new(tot, "protected",
	    lookup_json_col(s, "protected_total"));
	json_object_set_new(tot, "debt_lines",
	    lookup_json_col(s, "debt_lines"));
	json_object_set_new(tot, "review_lines",
	    lookup_json_col(s, "review_lines"));
	by = json_object();
	for (size_t i = 0; i < LOOKUP_NSERVICES; i++) {
		json_t *sv = json_object();
		char tc[64], dc[64];

		snprintf(tc, sizeof(tc), "%s_total", lookup_services[i]);
		snprintf(dc, sizeof(dc), "%s_data_as_of", lookup_services[i]);
		json_object_set_new(sv, "total", lookup_json_col(s, tc));
		json_object_set_new(sv, "data_as_of", lookup_json_col(s, dc));
		json_object_set_new(sv, "stale",
		    json_boolean(strstr(st, lookup_services[i]) != NULL));
		json_object_set_new(by, lookup_services[i], sv);
	}
	json_object_set_new(tot, "by_service", by);
	json_object_set_new(o, "totals", tot);
	json_object_set_new(o, "breathing_space_data_as_of",
	    lookup_json_col(s, "breathing_space_data_as_of"));
	stale = json_array();
	for (const char *p = st; *p;) {
		size_t n = strcspn(p, ",");

		if (n > 0)
			json_array_append_new(stale, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	json_object_set_new(o, "stale_feeds", stale);
	top = json_object();
	json_object_set_new(top, "service",
	    lookup_json_col(s, "highest_stage_service"));
	json_object_set_new(top, "stage", lookup_json_col(s, "highest_stage"));
	json_object_set_new(top, "severity",
	    lookup_json_col(s, "highest_severity"));
	json_object_set_new(top, "severity_name",
	    lookup_json_col(s, "highest_severity_name"));
	json_object_set_new(o, "highest_stage", top);

	json_object_set_new(o, "contacts", lookup_json_rows(rs->contacts));
	json_object_set_new(o, "moratoria", lookup_json_rows(rs->mor));
	debts = lookup_json_rows(rs->debts);
	for (size_t i = 0; i < json_array_size(debts); i++) {
		json_t *d = json_array_get(debts, i);
		const char *rule = json_string_value(json_object_get(d,
		    "link_rule"));
		int r = lookup_rule_row(lk, rule);

		json_object_set_new(d, "link_low_confidence", r < 0
		    ? json_null() : json_boolean(PQgetvalue(lk->rules, r,
		    1)[0] == 't'));
		json_object_set_new(d, "link_description", r < 0
		    ? json_null() : json_string(PQgetvalue(lk->rules, r, 2)));
	}
	json_object_set_new(o, "debts", debts);
	json_object_set_new(o, "review_items", lookup_json_rows(rs->reviews));
	return o;
}

/* Look up and print. Returns 0, LOOKUP_NOT_FOUND, or an enum err_code. */
static int
lookup_run(struct lookup *lk, const char *fingerprint, struct err *e)
{
	static const char *const by_name[] = { "ref", "nino", "name_dob" };
	PGresult *found = NULL, *asof;
	json_t *root = NULL, *arr = NULL;
	bool published = true;
	int rc, n;

	if ((rc = pgconn_open(lk->cfg->database, &lk->conn, e)) != 0)
		return rc;
	/* JIT costs more than it saves on the views' one-resident plans. */
	if ((rc = lookup_exec(lk, "SET jit = off", e)) != 0)
		return rc;
	/* One snapshot for every query: a publish cannot fall between. */
	if ((rc = lookup_exec(lk, "BEGIN ISOLATION LEVEL REPEATABLE READ "
	    "READ ONLY", e)) != 0)
		return rc;
	if (lk->by != BY_REF &&
	    (rc = lookup_check_key(lk, fingerprint, &published, e)) != 0)
		return rc;
	if ((found = lookup_find(lk, e)) == NULL)
		return ERR_DB;
	n = PQntuples(found);
	log_debug("%d resident(s) found by %s", n, by_name[lk->by]);
	asof = lookup_query(lk, "reading the as-of date",
	    "SELECT as_of::text FROM adviser.resident_debt LIMIT 1", 0, NULL,
	    e);
	if (asof == NULL) {
		PQclear(found);
		return ERR_DB;
	}
	snprintf(lk->as_of, sizeof(lk->as_of), "%s",
	    PQntuples(asof) > 0 ? PQgetvalue(asof, 0, 0) : "");
	PQclear(asof);
	lookup_rules(lk);

	if (lk->json) {
		root = json_object();
		json_object_set_new(root, "as_of", lk->as_of[0]
		    ? json_string(lk->as_of) : json_null());
		json_object_set_new(root, "by", json_string(by_name[lk->by]));
		arr = json_array();
		json_object_set_new(root, "residents", arr);
	} else if (n > 0) {
		printf("%d resident%s found in the night published as of %s\n",
		    n, n == 1 ? "" : "s", lk->as_of);
	}
	for (int i = 0; i < n && rc == 0; i++) {
		struct lookup_resident rs;
		const char *id = PQgetvalue(found, i, PQnfields(found) - 1);

		if ((rc = lookup_resident_load(lk, id, &rs, e)) == 0) {
			if (lk->json) {
				json_array_append_new(arr,
				    lookup_json_resident(lk, &rs));
			} else {
				putchar('\n');
				lookup_print_resident(lk, &rs, stdout);
			}
		}
		lookup_resident_release(&rs);
	}
	PQclear(found);
	if (rc == 0 && root != NULL) {
		if (json_dumpf(root, stdout, JSON_INDENT(2)) != 0 ||
		    fputc('\n', stdout) == EOF)
			rc = err_set(e, ERR_IO, "cannot write the JSON to "
			    "standard output");
	}
	json_decref(root);
	if (rc == 0 && fflush(stdout) != 0)
		rc = err_set(e, ERR_IO, "cannot write to standard output");
	lookup_exec(lk, "COMMIT", NULL);
	if (rc == 0 && n == 0) {
		fprintf(stderr, "svod: no resident found%s\n", published ? ""
		    : " (no night is published yet)");
		return LOOKUP_NOT_FOUND;
	}
	return rc;
}

/*
 * An option's value, or with "-" the first line of standard input, into
 * 'out'; the argv copy is wiped so that the process list no longer shows
 * it. Returns 0 or ERR_USAGE (a message that does not repeat the value).
 */
static int
lookup_secret_arg(char *arg, const char *opt, char *out, size_t cap,
    struct err *e)
{
	size_t n;

	if (strcmp(arg, "-") == 0) {
		if (fgets(out, (int)cap, stdin) == NULL)
			return err_set(e, ERR_USAGE, "%s -: nothing on "
			    "standard input", opt);
		out[strcspn(out, "\r\n")] = '\0';
		return 0;
	}
	n = strlen(arg);
	if (n >= cap) {
		OPENSSL_cleanse(arg, n);
		return err_set(e, ERR_USAGE, "%s: the value is too long "
		    "(%zu bytes at most)", opt, cap - 1);
	}
	memcpy(out, arg, n + 1);
	OPENSSL_cleanse(arg, n);
	return 0;
}

/*
 * Check a NINO and keep its stem for lk_token. Returns 0 or ERR_USAGE,
 * with a message that does not repeat the value.
 */
static int
lookup_nino(struct lookup *lk, const char *nino, struct err *e)
{
	char canon[10];
	enum field_reason fr;
	int rc = 0;

	fr = fields_nino(nino, strlen(nino), canon);
	if (fr != FIELD_OK)
		return err_set(e, ERR_USAGE, "--nino: not a valid National "
		    "Insurance number (%s)", field_reason_text(fr));
	if (normalize_nino_stem(canon, lk->stem) != 0)
		rc = err_set(e, ERR_USAGE, "--nino: not a valid National "
		    "Insurance number");
	lk->purpose = PSEUDONYM_NINO_STEM;
	OPENSSL_cleanse(canon, sizeof(canon));
	return rc;
}

/*
 * Split "FORENAME SURNAME" (first word; the rest) or "SURNAME, FORENAME"
 * in place. Returns 0 or ERR_USAGE.
 */
static int
lookup_split_name(char *name, char **fore, char **sur, struct err *e)
{
	char *comma = strchr(name, ','), *sp;

	if (comma != NULL) {
		*comma = '\0';
		*sur = name;
		*fore = comma + 1;
	} else {
		*fore = name + strspn(name, " \t");
		sp = strpbrk(*fore, " \t");
		if (sp == NULL)
			return err_set(e, ERR_USAGE, "--name: give a forename "
			    "and a surname");
		*sp = '\0';
		*sur = sp + 1;
	}
	return 0;
}

/*
 * Check and normalise a name and date of birth for the NAME_DOB token,
 * with the same functions and conditions as pipeline_tokens. Returns 0
 * or ERR_USAGE, with a message that does not repeat either.
 */
static int
lookup_name_dob(struct lookup *lk, char *name, const char *dob,
    struct err *e)
{
	enum field_reason fr;
	char *fore = NULL, *sur = NULL;
	int32_t days;
	int rc;

	lk->purpose = PSEUDONYM_NAME_DOB;
	fr = fields_date(dob, strlen(dob), FIELD_DATE_ISO, &days);
	if (fr != FIELD_OK)
		return err_set(e, ERR_USAGE, "--dob: not a valid date of "
		    "birth (%s); give YYYY-MM-DD", field_reason_text(fr));
	if (normalize_dob_parts(days, &lk->dp) != 0)
		return err_set(e, ERR_USAGE, "--dob: not a valid date of "
		    "birth");
	if ((rc = lookup_split_name(name, &fore, &sur, e)) != 0)
		return rc;
	normalize_name(NULL, fore, NULL, sur, &lk->nm);
	if (lk->nm.forename[0] == '\0' || lk->nm.surname_nospace[0] == '\0')
		return err_set(e, ERR_USAGE, "--name: give a forename and a "
		    "surname");
	if (lk->nm.forename_is_initial)
		return err_set(e, ERR_USAGE, "--name: give the forename in "
		    "full, not an initial");
	return 0;
}

/* The token of what lookup_nino or lookup_name_dob kept, into lk->tok. */
static int
lookup_token(struct lookup *lk, struct pseudonym *ps, struct err *e)
{
	int rc;

	if (lk->purpose == PSEUDONYM_NINO_STEM) {
		rc = pseudonym_token(ps, PSEUDONYM_NINO_STEM, lk->stem,
		    strlen(lk->stem), lk->tok);
	} else {
		/* The parts and their order of pipeline_tokens. */
		struct pseudonym_part parts[3] = {
			{ lk->nm.forename, strlen(lk->nm.forename) },
			{ lk->nm.surname_nospace,
			    strlen(lk->nm.surname_nospace) },
			{ lk->dp.iso, 10 } };

		rc = pseudonym_token_parts(ps, PSEUDONYM_NAME_DOB, parts, 3,
		    lk->tok);
	}
	return rc != 0 ? pseudonym_last_error(ps, e) : 0;
}

int
cmd_lookup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ref", required_argument, NULL, 'r' },
		{ "nino", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'N' },
		{ "dob", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL;
	char *nino_arg = NULL, *name_arg = NULL, *dob_arg = NULL;
	char nino[64], name[NORM_INPUT_MAX * 2], dob[32], fp[17];
	unsigned char key[KEYFILE_KEY_LEN];
	struct pseudonym *ps = NULL;
	struct lookup lk;
	struct err e;
	int c, rc = 0, nby;

	err_clear(&e);
	memset(&lk, 0, sizeof(lk));
	fp[0] = '\0';
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:r:n:N:d:jh", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'r':
			lk.ref = optarg;
			break;
		case 'n':
			nino_arg = optarg;
			break;
		case 'N':
			name_arg = optarg;
			break;
		case 'd':
			dob_arg = optarg;
			break;
		case 'j':
			lk.json = true;
			break;
		case 'h':
			fputs(lookup_usage, stdout);
			return EX_OK;
		default:
			fputs(lookup_usage, stderr);
			return EX_USAGE;
		}
	}
	nby = (lk.ref != NULL) + (nino_arg != NULL) +
	    (name_arg != NULL || dob_arg != NULL);
	if (path == NULL || optind != argc || nby != 1 ||
	    (name_arg != NULL) != (dob_arg != NULL)) {
		fputs(lookup_usage, stderr);
		return EX_USAGE;
	}
	lk.by = lk.ref ? BY_REF : nino_arg ? BY_NINO : BY_NAME_DOB;
	if (lk.by == BY_NINO)
		rc = lookup_secret_arg(nino_arg, "--nino", nino, sizeof(nino),
		    &e);
	if (lk.by == BY_NAME_DOB) {
		rc = lookup_secret_arg(name_arg, "--name", name, sizeof(name),
		    &e);
		if (rc == 0)
			rc = lookup_secret_arg(dob_arg, "--dob", dob,
			    sizeof(dob), &e);
	}
	if (rc == 0 && lk.by == BY_REF && lk.ref[0] == '\0')
		rc = err_set(&e, ERR_USAGE, "--ref: empty reference");
	/* Check the values before anything else, then drop the raw text. */
	if (rc == 0 && lk.by == BY_NINO)
		rc = lookup_nino(&lk, nino, &e);
	if (rc == 0 && lk.by == BY_NAME_DOB)
		rc = lookup_name_dob(&lk, name, dob, &e);
	OPENSSL_cleanse(nino, sizeof(nino));
	OPENSSL_cleanse(name, sizeof(name));
	OPENSSL_cleanse(dob, sizeof(dob));
	if (rc != 0)
		goto out;

	if ((rc = config_load(path, &lk.cfg, &e)) != 0) {
		rc = ERR_CONFIG;	/* a missing file too: exit 78 */
		goto out;
	}
	if (lk.by != BY_REF) {
		if ((rc = keyfile_load(lk.cfg->key_file, key, &e)) != 0) {
			/* Missing, unsafe or unreadable: exit 78. */
			rc = ERR_CONFIG;
			goto out;
		}
		keyfile_fingerprint(key, fp);
		ps = pseudonym_new(key, &e);
		OPENSSL_cleanse(key, sizeof(key));
		if (ps == NULL) {
			rc = ERR_CRYPTO;
			goto out;
		}
		rc = lookup_token(&lk, ps, &e);
		/* The cache holds the normalised inputs: wipe it now. */
		pseudonym_free(ps);
		ps = NULL;
		OPENSSL_cleanse(lk.stem, sizeof(lk.stem));
		OPENSSL_cleanse(&lk.nm, sizeof(lk.nm));
		OPENSSL_cleanse(&lk.dp, sizeof(lk.dp));
		if (rc != 0)
			goto out;
	}
	rc = lookup_run(&lk, fp, &e);
out:
	OPENSSL_cleanse(lk.stem, sizeof(lk.stem));
	OPENSSL_cleanse(&lk.nm, sizeof(lk.nm));
	OPENSSL_cleanse(&lk.dp, sizeof(lk.dp));
	OPENSSL_cleanse(lk.tok, sizeof(lk.tok));
	pseudonym_free(ps);
	PQclear(lk.rules);
	if (lk.conn != NULL)
		pgconn_close(lk.conn);
	config_free(lk.cfg);
	if (rc == LOOKUP_NOT_FOUND)
		return LOOKUP_NOT_FOUND;
	if (rc != 0) {
		err_print(&e);
		return err_exit_status(rc);
	}
	return EX_OK;
}
