/*
 * svod notify --config FILE NOTIFICATIONS.xml: breathing-space notices
 * as they arrive during the day. The file has the layout and XSD of the
 * nightly breathing_space.xml feed and goes through the same extraction
 * (etl/extract.h with the configuration's breathing_space feed), so
 * validation, rejects and warnings are those of the night. The whole file
 * is read before the database is touched: a bad file records nothing.
 *
 * Each notice's keyed tokens are computed in-process (pipeline_tokens)
 * and matched against the tokens of the PUBLISHED run's records with the
 * strong rules of matchers/cluster.h, strongest first, refusing a
 * resident whose own breathing-space records carry another NINO stem or
 * date of birth (cluster's same-feed constraint). Exactly one resident
 * found by a strong rule: the notice is recorded in
 * svod.moratorium_intraday with that resident and rule, and the
 * published views show it at once (schemas/004_notify.sql). With no
 * strong rule, a debt the notice names (creditor reference) held by one
 * resident under the notice's forename matches too (rule 'debt_ref'): a
 * joint account's parties differ by forename, and a debtor who married
 * since is still found. No one, more than one, or only weak evidence
 * (surname and date of birth; forename, surname and postcode): recorded
 * with no resident and queued for an adviser in svod.review_queue. Re-sending a notice (same ref, event and
 * registered date) changes nothing; a notice the published run's own feed
 * already holds is kept for the record but ignored by the views.
 * Nothing raw leaves the process: names, dates of birth and NINOs are
 * only hashed, and messages name notices by reference and file line.
 */
#include "jobs/jobs.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/extract.h"
#include "etl/feed.h"
#include "etl/fields.h"
#include "etl/log.h"
#include "etl/pgconn.h"
#include "etl/xalloc.h"
#include "jobs/pipeline.h"
#include "matchers/cluster.h"
#include "matchers/pseudonym.h"

static const char notify_usage[] =
    "usage: svod notify --config FILE [--as-of YYYY-MM-DD] NOTIFICATIONS.xml\n"
    "Process breathing-space notifications now: match each debtor against\n"
    "the published run (keyed tokens only), record the notice so that the\n"
    "published view changes at once, and queue for review any notice that\n"
    "matches no one or matches uncertainly. Re-sending a notice is a no-op.\n"
    "The as-of date (default: the configuration's, else today) is the day\n"
    "the notices are seen as of. Exit status: 0 done; 65 bad file or reject\n"
    "budget spent; 66 file missing; 69 database unavailable; 78 bad\n"
    "configuration or key file.\n";

/* Rank of weak evidence: below every strong rule (0..CLUSTER_RULES-1). */
#define NOTIFY_WEAK 100

enum notify_outcome {
	NOTIFY_MATCHED,		/* one resident, by a strong rule */
	NOTIFY_UNMATCHED,	/* no one */
	NOTIFY_AMBIGUOUS,	/* several, a conflict, or weak evidence */
};

/* One notice, copied out of the extractor's record. */
struct notice {
	unsigned long line;	/* of <notification> in the file */
	char	*ref, *kind, *event, *reason;	/* reason may be NULL */
	char	 registered[11], start[11], end[11], effective[11]; /* "" */
	bool	 withheld;
	char	*debts;		/* JSON array of the valid <debt>s */
	struct identity id;
	/* The outcome. */
	enum notify_outcome outcome;
	uint64_t resident;	/* matched resident, or review candidate */
	const char *rule;	/* matching rule, or NULL */
};

struct notify {
	struct config *cfg;
	const char *path;
	struct pipeline pl;
	bool	 pl_live;
	struct extract_stats st;	/* the file's tallies */
	struct notice *v;
	size_t	 n, cap;
	PGconn	*conn;
	char	 schema[64];		/* the published run's, "" if none */
	char	 run_id[24];
	char	 as_of[11];
	uint64_t matched, review, repeated, absorbed;
};

/* Index of a breathing-space field; the names are those of etl/feed.c. */
static int
notify_field(const char *name)
{
	int i = feed_field_index(feed_get(FEED_BREATHING_SPACE), name);

	assert(i >= 0);
	return i;
}

static char *
notify_text(const struct value *v)
{
	return v->present && v->s != NULL ? xstrdup(v->s) : NULL;
}

static void
notify_date(const struct value *v, char out[11])
{
	out[0] = '\0';
	if (v->present)
		fields_date_format((int32_t)v->i, out);
}

/* Copy one accepted record, its debts as JSON, and its tokens. */
static int
notify_take(struct notify *nt, const struct record *rec, struct err *e)
{
	static int f_ref = -1, f_kind, f_event, f_reg, f_start, f_end, f_eff,
	    f_withheld, f_reason, f_cref, f_type, f_amount;
	struct notice *n;
	json_t *debts;
	int rc;

	if (f_ref < 0) {
		f_ref = notify_field("ref");
		f_kind = notify_field("kind");
		f_event = notify_field("event");
		f_reg = notify_field("registered");
		f_start = notify_field("start_date");
		f_end = notify_field("end_date");
		f_eff = notify_field("effective_date");
		f_withheld = notify_field("address_withheld");
		f_reason = notify_field("reason");
		f_cref = notify_field("creditor_ref");
		f_type = notify_field("debt_type");
		f_amount = notify_field("debt_amount");
	}
	if (nt->n == nt->cap) {
		nt->cap = nt->cap ? nt->cap * 2 : 16;
		nt->v = xreallocarray(nt->v, nt->cap, sizeof(*nt->v));
	}
	n = &nt->v[nt->n];
	memset(n, 0, sizeof(*n));
	n->line = rec->line;
	n->ref = notify_text(&rec->v[f_ref]);
	n->kind = notify_text(&rec->v[f_kind]);
	n->event = notify_text(&rec->v[f_event]);
	n->reason = notify_text(&rec->v[f_reason]);
	notify_date(&rec->v[f_reg], n->registered);
	notify_date(&rec->v[f_start], n->start);
	notify_date(&rec->v[f_end], n->end);
	notify_date(&rec->v[f_eff], n->effective);
	n->withheld = rec->v[f_withheld].present && rec->v[f_withheld].i;
	debts = json_array();
	for (size_t k = 0; k < rec->nitems; k++) {
		const struct value *iv = rec->items[k].v;

		json_array_append_new(debts, json_pack("{s:I,s:s,s:s,s:I}",
		    "line", (json_int_t)rec->items[k].line, "creditor_ref",
		    iv[f_cref].s, "debt_type", iv[f_type].s, "debt_amount",
		    (json_int_t)iv[f_amount].i));
	}
	n->debts = json_dumps(debts, JSON_COMPACT);
	json_decref(debts);
	nt->n++;
	if (n->ref == NULL || n->kind == NULL || n->event == NULL ||
	    n->debts == NULL)
		return err_set(e, ERR_SOFTWARE, "notification at line %lu "
		    "lacks a required field after validation", rec->line);
	if ((rc = pipeline_tokens(nt->pl.ps, rec, &n->id, e)) != 0)
		return rc;
	return 0;
}

/* Read and validate the whole file, as the night reads its feed. */
static int
notify_read(struct notify *nt, struct err *e)
{
	const struct config_feed *cf = &nt->cfg->feeds[FEED_BREATHING_SPACE];
	struct extract *x = NULL;
	struct record *rec;
	struct stat sb;
	int rc;

	if (stat(nt->path, &sb) != 0)
		return err_set(e, errno == ENOENT ? ERR_NOINPUT : ERR_IO,
		    "cannot open '%s': %s", nt->path, strerror(errno));
	if ((rc = extract_open(nt->cfg, cf, nt->path, &nt->pl.rejects, &x,
	    e)) != 0)
		goto out;
	while ((rc = extract_next(x, &rec, e)) > 0)
		if ((rc = notify_take(nt, rec, e)) != 0)
			break;
	if (rc == 0)
		rc = extract_finish(x, e);
out:
	if (x != NULL) {
		const struct extract_stats *xs = extract_stats(x);

		nt->st.read = xs->read;
		nt->st.accepted = xs->accepted;
		nt->st.rejected = xs->rejected;
		nt->st.warnings = xs->warnings;
		for (size_t k = 0; k < xs->nlocs; k++) {
			const struct reject *r = &xs->locs[k];

			printf("%s:%lu: %s: %s\n", r->file, r->line,
			    r->reason, r->message);
		}
	}
	extract_close(x);
	return rc;
}

/* Run a statement with text parameters; 0 or ERR_DB. *resp if wanted. */
static int
notify_exec(struct notify *nt, const char *sql, int np,
    const char *const *vals, PGresult **resp, struct err *e)
{
	PGresult *res = PQexecParams(nt->conn, sql, np, NULL, vals, NULL,
	    NULL, 0);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pgconn_fail(nt->conn, res, "notify", e);
	if (resp != NULL && rc == 0)
		*resp = res;
	else
		PQclear(res);
	return rc;
}

/* Append to a fixed buffer; the caller checks for truncation once. */
static void notify_cat(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
notify_cat(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

/*
 * The condition "record t shares evidence of rank r with the notice" for
 * each rank the notice has tokens for, as "WHEN cond THEN r" arms (or
 * joined with OR when 'or' is set). Parameter $p+1 is token p.
 */
static bool
notify_conditions(const struct identity *id, bool or, char *buf, size_t cap)
{
	static const enum pseudonym_purpose weak[][3] = {
		{ PSEUDONYM_SURNAME, PSEUDONYM_DOB, PSEUDONYM_PURPOSE_COUNT },
		{ PSEUDONYM_FORENAME, PSEUDONYM_SURNAME, PSEUDONYM_POSTCODE } };
	bool any = false;

	for (size_t i = 0; i < CLUSTER_RULES; i++) {
		int p = cluster_rule_at(i);

		if (!(id->have & (1u << p)))
			continue;
		notify_cat(buf, cap, or ? "%s t.tok_%s = $%d" :
		    "%s t.tok_%s = $%d THEN %zu", or ? (any ? " OR" : "") :
		    " WHEN", pseudonym_purpose_name((enum pseudonym_purpose)p),
		    p + 1, i);
		any = true;
	}
	for (size_t w = 0; w < sizeof(weak) / sizeof(weak[0]); w++) {
		bool have = true;

		for (size_t k = 0; k < 3; k++)
			if (weak[w][k] != PSEUDONYM_PURPOSE_COUNT &&
			    !(id->have & (1u << weak[w][k])))
				have = false;
		if (!have)
			continue;
		notify_cat(buf, cap, "%s (", or ? (any ? " OR" : "") :
		    " WHEN");
		for (size_t k = 0; k < 3; k++)
			if (weak[w][k] != PSEUDONYM_PURPOSE_COUNT)
				notify_cat(buf, cap, "%st.tok_%s = $%d",
				    k ? " AND " : "", pseudonym_purpose_name(
				    weak[w][k]), weak[w][k] + 1);
		notify_cat(buf, cap, or ? ")" : ") THEN %d", NOTIFY_WEAK);
		any = true;
	}
	return any;
}

/*
 * The one resident of the published run who holds a debt notice n names
 * (by creditor reference: a council tax account, a claim or overpayment,
 * a tenancy, an invoice) in a record of the notice's forename (keyed
 * token) whose date of birth, if both have one, is the notice's, into
 * *rid; 0 when none or more than one. A joint account's
 * parties are told apart by the forename; a debtor who married since is
 * still found.
 */
static int
notify_by_debt(struct notify *nt, const struct notice *n, uint64_t *rid,
    struct err *e)
{
	bool dob = n->id.have & (1u << PSEUDONYM_DOB);
	const char *vals[3] = { n->debts,
		(const char *)n->id.tok[PSEUDONYM_FORENAME],
		dob ? (const char *)n->id.tok[PSEUDONYM_DOB] : NULL };
	int lens[3] = { 0, PSEUDONYM_TOKEN_LEN, dob ? PSEUDONYM_TOKEN_LEN : 0 };
	int fmts[3] = { 0, 1, 1 };
	Oid types[3] = { 3802, 17, 17 };	/* jsonb, bytea, bytea */
	const char *s = nt->schema;
	char sql[2048];
	PGresult *res;
	int rc = 0;

	*rid = 0;
	if (n->debts == NULL ||
	    !(n->id.have & (1u << PSEUDONYM_FORENAME)))
		return 0;
	snprintf(sql, sizeof(sql), "WITH named AS (SELECT DISTINCT "
	    "d->>'creditor_ref' AS ref FROM jsonb_array_elements($1) d), "
	    "held AS (SELECT 'council_tax' AS feed, source_key, account_ref "
	    "AS ref, tok_forename, tok_dob FROM %s.council_tax UNION ALL "
	    "SELECT 'housing_benefit', source_key, claim_ref, tok_forename, "
	    "tok_dob FROM %s.housing_benefit UNION ALL SELECT "
	    "'housing_benefit', source_key, overpayment_ref, tok_forename, "
	    "tok_dob FROM %s.housing_benefit UNION ALL SELECT 'rent', "
	    "source_key, tenancy_ref, tok_forename, tok_dob FROM %s.rent "
	    "UNION ALL SELECT 'adult_social_care', source_key, invoice_ref, "
	    "tok_forename, tok_dob FROM %s.adult_social_care) SELECT "
	    "DISTINCT l.resident_id FROM held h JOIN named USING (ref) JOIN "
	    "%s.link l ON l.feed = h.feed AND l.source_key = h.source_key "
	    "WHERE h.tok_forename = $2 AND ($3::bytea IS NULL OR h.tok_dob "
	    "IS NULL OR h.tok_dob = $3)", s, s, s, s, s, s);
	res = PQexecParams(nt->conn, sql, 3, types, vals, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pgconn_fail(nt->conn, res, "matching a notice's debts", e);
		PQclear(res);
		return rc;
	}
	if (PQntuples(res) == 1)
		*rid = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/*
 * Match notice n against the published run: fill its outcome, resident
 * and rule. Only keyed tokens are sent, as bytea parameters.
 */
static int
notify_match(struct notify *nt, struct notice *n, struct err *e)
{
	const char *vals[PSEUDONYM_PURPOSE_COUNT + 1];
	int lens[PSEUDONYM_PURPOSE_COUNT + 1], fmts[PSEUDONYM_PURPOSE_COUNT + 1];
	Oid types[PSEUDONYM_PURPOSE_COUNT + 1];
	char sql[16384] = "", arms[2048] = "", where[2048] = "";
	size_t nstrong = 0, nweak = 0, nconflict = 0;
	uint64_t strong = 0, weakr = 0;
	int best = -1;
	PGresult *res;
	int rc = 0;

	n->outcome = NOTIFY_UNMATCHED;
	n->resident = 0;
	n->rule = NULL;
	if (nt->schema[0] == '\0' ||
	    !notify_conditions(&n->id, false, arms, sizeof(arms)))
		return 0;
	notify_conditions(&n->id, true, where, sizeof(where));
	notify_cat(sql, sizeof(sql), "WITH hit AS (");
	for (size_t f = 0; f < FEED_COUNT; f++) {
		const char *name = feed_get((enum feed_id)f)->name;

		notify_cat(sql, sizeof(sql), "%sSELECT l.resident_id, CASE%s "
		    "END AS rank FROM %s.%s t JOIN %s.link l ON l.feed = '%s' "
		    "AND l.source_key = t.source_key WHERE%s", f ? " UNION ALL "
		    : "", arms, nt->schema, name, nt->schema, name, where);
	}
	/* cluster's constraint: one feed never holds two NINOs or DOBs. */
	notify_cat(sql, sizeof(sql), "), best AS (SELECT resident_id, "
	    "min(rank) AS rank FROM hit GROUP BY resident_id) SELECT "
	    "b.resident_id, b.rank, EXISTS (SELECT 1 FROM %s.breathing_space t "
	    "JOIN %s.link l ON l.feed = 'breathing_space' AND l.source_key = "
	    "t.source_key WHERE l.resident_id = b.resident_id AND t.ref <> "
	    "$%d AND (t.tok_nino_stem <> $%d OR t.tok_dob <> $%d)) FROM best b "
	    "ORDER BY b.rank, b.resident_id", nt->schema, nt->schema,
	    PSEUDONYM_PURPOSE_COUNT + 1, PSEUDONYM_NINO_STEM + 1,
	    PSEUDONYM_DOB + 1);
	if (strlen(sql) + 1 >= sizeof(sql))
		return err_set(e, ERR_SOFTWARE, "matching statement too long");
	for (int p = 0; p < PSEUDONYM_PURPOSE_COUNT; p++) {
		bool have = n->id.have & (1u << p);

		vals[p] = have ? (const char *)n->id.tok[p] : NULL;
		lens[p] = have ? PSEUDONYM_TOKEN_LEN : 0;
		fmts[p] = 1;
		types[p] = 17;		/* bytea */
	}
	vals[PSEUDONYM_PURPOSE_COUNT] = n->ref;
	lens[PSEUDONYM_PURPOSE_COUNT] = 0;
	fmts[PSEUDONYM_PURPOSE_COUNT] = 0;
	types[PSEUDONYM_PURPOSE_COUNT] = 25;	/* text */
	res = PQexecParams(nt->conn, sql, PSEUDONYM_PURPOSE_COUNT + 1, types,
	    vals, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pgconn_fail(nt->conn, res, "matching a notification", e);
		PQclear(res);
		return rc;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		uint64_t rid = strtoull(PQgetvalue(res, i, 0), NULL, 10);
		int rank = atoi(PQgetvalue(res, i, 1));
		bool conflict = PQgetvalue(res, i, 2)[0] == 't';

		if (rank < CLUSTER_RULES) {
			nstrong++;
			if (conflict)
				nconflict++;
			else if (best < 0)
				best = rank, strong = rid;
		} else {
			nweak++;
			weakr = rid;
		}
	}
	PQclear(res);
	if (nstrong == 1 && nconflict == 0) {
		n->outcome = NOTIFY_MATCHED;
		n->resident = strong;
		n->rule = cluster_rule_name(cluster_rule_at((size_t)best));
		return 0;
	}
	if (nstrong > 0) {
		n->outcome = NOTIFY_AMBIGUOUS;
		return 0;
	}
	/* No strong rule: a debt the notice names, under its forename. */
	if ((rc = notify_by_debt(nt, n, &strong, e)) != 0)
		return rc;
	if (strong != 0) {
		n->outcome = NOTIFY_MATCHED;
		n->resident = strong;
		n->rule = "debt_ref";
	} else if (nweak > 0) {
		n->outcome = NOTIFY_AMBIGUOUS;
		/* One possible resident: the adviser starts there. */
		n->resident = nweak == 1 ? weakr : 0;
	}
	return 0;
}

/* Is notice n in the published run's own feed (absorbed by the night)? */
static int
notify_in_run(struct notify *nt, const struct notice *n, bool *in,
    struct err *e)
{
	const char *vals[3] = { n->ref, n->event, n->registered };
	char sql[512];
	PGresult *res;
	int rc;

	*in = false;
	if (nt->schema[0] == '\0')
		return 0;
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s.breathing_space WHERE "
	    "ref = $1 AND event = $2 AND registered = $3::date LIMIT 1",
	    nt->schema);
	if ((rc = notify_exec(nt, sql, 3, vals, &res, e)) != 0)
		return rc;
	*in = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* Record notice n, and queue it for review when it needs a person. */
static int
notify_record(struct notify *nt, struct notice *n, struct err *e)
{
	static const char *const reasons[] = { NULL,
		"unmatched_notification", "ambiguous_notification" };
	char rid[24] = "";
	const char *vals[15];
	bool absorbed;
	PGresult *res;
	int rc;

	if ((rc = notify_in_run(nt, n, &absorbed, e)) != 0)
		return rc;
	if (n->resident != 0)
		snprintf(rid, sizeof(rid), "%llu",
		    (unsigned long long)n->resident);
	vals[0] = nt->as_of;
	vals[1] = n->ref;
	vals[2] = n->kind;
	vals[3] = n->event;
	vals[4] = n->registered;
	vals[5] = n->start;
	vals[6] = n->end[0] ? n->end : NULL;
	vals[7] = n->effective[0] ? n->effective : NULL;
	vals[8] = n->withheld ? "true" : "false";
	vals[9] = n->reason;
	vals[10] = n->debts;
	vals[11] = n->outcome == NOTIFY_MATCHED ? rid : NULL;
	vals[12] = n->rule;
	vals[13] = absorbed ? nt->run_id : NULL;
	if ((rc = notify_exec(nt, "INSERT INTO svod.moratorium_intraday "
	    "(received_at, known_on, ref, kind, event, registered, start_date, "
	    "end_date, effective_date, address_withheld, reason, debts, "
	    "resident_id, rule, absorbed_by_run) VALUES (now(), $1, $2, $3, "
	    "$4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14) "
	    "ON CONFLICT (ref, event, registered) DO NOTHING "
	    "RETURNING intraday_id", 14, vals, &res, e)) != 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		nt->repeated++;
		printf("  %-14s %-10s line %-6lu already recorded\n", n->ref,
		    n->event, n->line);
		return 0;
	}
	PQclear(res);
	if (absorbed) {
		/* The night's feed holds it: its moratorium is the night's. */
		nt->absorbed++;
		printf("  %-14s %-10s line %-6lu already in run %s\n", n->ref,
		    n->event, n->line, nt->run_id);
		return 0;
	}
	if (n->outcome == NOTIFY_MATCHED) {
		nt->matched++;
		printf("  %-14s %-10s line %-6lu matched resident %s (%s)\n",
		    n->ref, n->event, n->line, rid, n->rule);
		return 0;
	}
	vals[0] = reasons[n->outcome];
	vals[1] = n->ref;
	vals[2] = rid[0] ? rid : NULL;
	if ((rc = notify_exec(nt, "INSERT INTO svod.review_queue (origin, "
	    "kind, reason, reference, resident_id, raised_at) VALUES "
	    "('notify', 'notification', $1, $2, $3, now())", 3, vals, NULL,
	    e)) != 0)
		return rc;
	nt->review++;
	printf("  %-14s %-10s line %-6lu to review: %s\n", n->ref, n->event,
	    n->line, reasons[n->outcome]);
	return 0;
}

/* Match and record every notice in one transaction. */
static int
notify_store(struct notify *nt, struct err *e)
{
	PGresult *res;
	int rc;

	if ((rc = pgconn_open(nt->cfg->database, &nt->conn, e)) != 0)
		return rc;
	if ((rc = pgconn_exec(nt->conn, "SET application_name = "
	    "'svod notify'; BEGIN", e)) != 0)
		return rc;
	if ((rc = notify_exec(nt, "SELECT run_id, schema_name FROM "
	    "svod.published WHERE run_id IS NOT NULL", 0, NULL, &res, e)))
		return rc;
	if (PQntuples(res) == 1) {
		snprintf(nt->run_id, sizeof(nt->run_id), "%s",
		    PQgetvalue(res, 0, 0));
		snprintf(nt->schema, sizeof(nt->schema), "%s",
		    PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	if (nt->schema[0] != '\0') {
		char sql[512];
		const char *vals[1] = { nt->run_id };

		/* For the record: earlier notices the night has absorbed. */
		snprintf(sql, sizeof(sql), "UPDATE svod.moratorium_intraday i "
		    "SET absorbed_by_run = $1 WHERE i.absorbed_by_run IS NULL "
		    "AND EXISTS (SELECT 1 FROM %s.breathing_space b WHERE "
		    "b.ref = i.ref AND b.event = i.event AND b.registered = "
		    "i.registered)", nt->schema);
		if ((rc = notify_exec(nt, sql, 1, vals, NULL, e)) != 0)
			return rc;
	} else
		log_warn("no run is published yet: every notification goes "
		    "to review");
	for (size_t i = 0; i < nt->n; i++)
		if ((rc = notify_match(nt, &nt->v[i], e)) != 0 ||
		    (rc = notify_record(nt, &nt->v[i], e)) != 0)
			return rc;
	return pgconn_exec(nt->conn, "COMMIT", e);
}

static int
notify_run(struct notify *nt, struct err *e)
{
	int rc;

	fields_date_format(nt->cfg->as_of, nt->as_of);
	if ((rc = pipeline_init(&nt->pl, nt->cfg, true, e)) != 0)
		return rc;
	nt->pl_live = true;
	rc = notify_read(nt, e);
	if (rc == 0 || nt->st.read > 0)
		printf("%s: %llu notifications read, %llu accepted, %llu "
		    "rejected, %llu warnings\n", nt->path,
		    (unsigned long long)nt->st.read,
		    (unsigned long long)nt->st.accepted,
		    (unsigned long long)nt->st.rejected,
		    (unsigned long long)nt->st.warnings);
	if (rc != 0)
		return rc;
	if ((rc = notify_store(nt, e)) != 0)
		return rc;
	printf("notifications read %llu, matched %llu, to review %llu, "
	    "already recorded %llu, already in the published run %llu "
	    "(as of %s)\n", (unsigned long long)nt->st.read,
	    (unsigned long long)nt->matched, (unsigned long long)nt->review,
	    (unsigned long long)nt->repeated,
	    (unsigned long long)nt->absorbed, nt->as_of);
	return 0;
}

int
cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *cfgpath = NULL, *as_of = NULL;
	struct notify nt;
	struct err e;
	int c, rc;

	err_clear(&e);
	memset(&nt, 0, sizeof(nt));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'a':
			as_of = optarg;
			break;
		case 'h':
			fputs(notify_usage, stdout);
			return EX_OK;
		default:
			fputs(notify_usage, stderr);
			return EX_USAGE;
		}
	}
	if (cfgpath == NULL || optind != argc - 1) {
		fputs(notify_usage, stderr);
		return EX_USAGE;
	}
	nt.path = argv[optind];
	if ((rc = config_load(cfgpath, &nt.cfg, &e)) == 0 && as_of != NULL)
		rc = config_set_as_of(nt.cfg, as_of, &e);
	if (rc == 0)
		rc = notify_run(&nt, &e);
	if (rc != 0 && nt.conn != NULL && PQstatus(nt.conn) == CONNECTION_OK)
		pgconn_exec(nt.conn, "ROLLBACK", NULL);
	pgconn_close(nt.conn);
	for (size_t i = 0; i < nt.n; i++) {
		free(nt.v[i].ref);
		free(nt.v[i].kind);
		free(nt.v[i].event);
		free(nt.v[i].reason);
		free(nt.v[i].debts);
	}
	free(nt.v);
	if (nt.pl_live)
		pipeline_release(&nt.pl);
	config_free(nt.cfg);
	if (rc != 0) {
		err_print(&e);
		return err_exit_status(rc);
	}
	return EX_OK;
}
