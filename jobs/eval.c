/*
 * svod eval --config FILE --truth truth.csv [--run RUN_ID] [--json]
 * [--worst K]: score a run's linkage against ground truth, for the
 * synthetic borough (fixtures/synth) or any hand-labelled sample. It reads
 * the run's links (feed, source_key, resident_id, rule, weight) in one
 * read-only snapshot, joins them with the truth file on (feed,
 * source_key), and prints pairwise and B-cubed precision, recall and F1
 * (matchers/metrics.h) and the worst false and missed links. Records on
 * one side only are counted, never scored. For a run of the
 * probabilistic matcher it also reads the run's scored pairs
 * (match_pair: every candidate pair blocking gave) in the same snapshot,
 * for the blocking recall and for what the matcher made of each false
 * and missed link listed. Only tokens are shown: feeds, source keys
 * (council references), resident ids, link rules, scores and the truth
 * file's person ids as opaque labels; nothing raw is read at all.
 */
#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/feed.h"
#include "etl/log.h"
#include "etl/pgconn.h"
#include "etl/xalloc.h"
#include "jobs/jobs.h"
#include "matchers/cluster.h"
#include "matchers/metrics.h"

static const char eval_usage[] =
    "usage: svod eval --config FILE --truth TRUTH.csv [--run RUN_ID]\n"
    "                 [--json] [--worst K]\n"
    "Score a run's linkage of records into residents against ground truth.\n"
    "  --config FILE   the job configuration: 'database' to read\n"
    "  --truth FILE    CSV with the header feed,source_key,person_id[,...]:\n"
    "                  the true person of each source record (the synthetic\n"
    "                  borough's truth.csv); person ids are opaque labels\n"
    "  --run RUN_ID    score this run's schema (default: the published run)\n"
    "  --json          print JSON instead of text\n"
    "  --worst K       list at most K false and K missed links (default 10)\n"
    "Prints pairwise precision, recall and F1 (pairs of records put in one\n"
    "resident against pairs of one true person), B-cubed precision, recall\n"
    "and F1, the records evaluated and those found on one side only, and\n"
    "the worst false links (records of different persons in one resident,\n"
    "strongest link rule first) and missed links (one person's records in\n"
    "different residents, most record pairs first), with one line for each\n"
    "person wrongly joined or split off. Only feeds, source keys, resident\n"
    "ids, link rules and the truth file's person ids are shown; no name,\n"
    "date of birth or identifier.\n"
    "Blocking recall, for a run of the probabilistic matcher: the true\n"
    "pairs that blocking made candidate pairs (any row of the run's\n"
    "match_pair, whatever its decision) over the true pairs among the\n"
    "records evaluated, with both counts; each false and missed link\n"
    "listed then shows the strongest scored pair between its two groups\n"
    "of records (decision and why, weight in bits, probability), or 'not\n"
    "compared (blocking)' when blocking paired none of them. For a\n"
    "deterministic run, blocking recall: not applicable. That matcher has\n"
    "no blocking stage (records link on equal keyed tokens only), so every\n"
    "pair is, in effect, compared; the line says so.\n"
    "Evidence ceiling: the share of true pairs whose records share more\n"
    "than names, directly or through the same person's other records: a\n"
    "keyed token of the NINO stem, NHS number, date of birth, UPRN or\n"
    "postcode, or a debt a breathing-space notice names. The rest (a move\n"
    "with no date of birth on one record, say) look just like two\n"
    "namesakes; a matcher that never links on names alone cannot find\n"
    "them, so its recall stays near or below this.\n"
    "Exit status: 0 scored; 64 usage; 65 a malformed truth file, or no\n"
    "record in both; 66 the truth file, the run or its schema is missing;\n"
    "69 database unavailable or access refused; 78 bad configuration.\n";

#define EVAL_WORST_DEFAULT	10
#define EVAL_BLOCKING_NOTE	"not applicable (no blocking stage)"
#define EVAL_BLOCKING_SCORED	"true pairs among the candidate pairs " \
	"(match_pair) over true pairs"
#define EVAL_BLOCKING_NONE	"not recorded (the run has no match_pair " \
	"table)"

/* One row of the truth file; strings are owned. */
struct truth_row {
	char	*feed;
	char	*key;
	char	*person;
	long	 line;		/* in the truth file, for messages */
};

/* One row of the run's link table; strings borrowed from the PGresult. */
struct link_row {
	const char *feed;
	const char *key;
	const char *rule;
	uint64_t resident;
	bool	 has_weight;
	double	 weight;
};

/* A record in both: what the report shows. */
struct eval_rec {
	const struct link_row *l;
	const struct truth_row *t;
};

/*
 * What the matcher made of a reported pair: of the record pairs between
 * its two groups (cells), those that were candidate pairs, and the
 * strongest of them.
 */
struct eval_cmp {
	uint64_t compared;	/* record pairs found in match_pair */
	size_t	 a, b;		/* the strongest's records (ev->recs) */
	double	 weight;	/* its weight, bits */
	double	 probability;
	char	 decision[8];	/* "link", "review", "cannot", "none" */
	char	 reason[160];	/* why: "match", "dob,forename", ... */
};

/* Records on one side only, by feed (FEED_COUNT: an unknown feed name). */
struct eval_missing {
	size_t	 total;
	size_t	 by_feed[FEED_COUNT + 1];
};

struct eval {
	struct config *cfg;
	PGconn	*conn;
	PGresult *links;	/* the link table's rows */
	bool	 json;
	size_t	 worst;
	const char *truth_path;
	long long run_id;	/* 0 until known */
	char	 schema[64];
	struct truth_row *truth;
	size_t	 ntruth;
	struct link_row *lrows;
	size_t	 nlinks;
	struct eval_rec *recs;
	size_t	 nrecs;
	struct eval_missing run_only;	/* links with no truth row */
	struct eval_missing truth_only;	/* truth rows with no link */
	struct metrics m;
	uint64_t *person;	/* [nrecs]: each record's person number */
	/* A probabilistic run (its manifest says so), and its match_pair. */
	bool	 scored;
	bool	 has_pairs;
	uint64_t true_compared;	/* true pairs among the candidate pairs */
	/* [nfalse_links], [nmissed_links] of m, when has_pairs. */
	struct eval_cmp *false_cmp, *missed_cmp;
	/*
	 * True pairs that evidence beyond the names can reach: the two
	 * records, or a chain of one person's records between them, share
	 * a keyed token of an identifier, the date of birth, the UPRN or
	 * the postcode (eval_evidence).
	 */
	uint64_t evidence_pairs;
};

/* Truth file */

/* The fields of one truth-file line, as libcsv hands them over. */
struct truth_fields {
	char	*f[32];		/* owned copies */
	int	 n;
	bool	 over;		/* more fields than f[] holds */
};

static void
truth_field(void *s, size_t len, void *data)
{
	struct truth_fields *tf = data;

	if (tf->n == (int)(sizeof(tf->f) / sizeof(tf->f[0]))) {
		tf->over = true;
		return;
	}
	tf->f[tf->n++] = xstrndup(s ? s : "", s ? len : 0);
}

static void
truth_fields_clear(struct truth_fields *tf)
{
	for (int i = 0; i < tf->n; i++)
		free(tf->f[i]);
	tf->n = 0;
	tf->over = false;
}

/*
 * Split one line (RFC 4180 quoting, no newline inside a field) with
 * libcsv in strict mode. Returns the field count, or -1 for bad quoting
 * or too many fields.
 */
static int
csv_split(const char *line, size_t len, struct truth_fields *tf)
{
	struct csv_parser p;
	int rc;

	truth_fields_clear(tf);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return -1;
	rc = csv_parse(&p, line, len, truth_field, NULL, tf) == len &&
	    csv_fini(&p, truth_field, NULL, tf) == 0 && !tf->over ? tf->n : -1;
	csv_free(&p);
	return rc;
}

static int
truth_cmp(const void *pa, const void *pb)
{
	const struct truth_row *a = pa, *b = pb;
	int c = strcmp(a->feed, b->feed);

	return c != 0 ? c : strcmp(a->key, b->key);
}

/*
 * Read the truth file, sorted by (feed, key). ERR_NOINPUT when it cannot
 * be opened, ERR_PARSE for a bad header, line or duplicate (feed, key).
 */
static int
eval_truth_load(struct eval *ev, struct err *e)
{
	FILE *fp = fopen(ev->truth_path, "r");
	struct truth_fields tf = { .n = 0 };
	char *line = NULL, **f = tf.f;
	size_t cap = 0, alloc = 0;
	ssize_t len;
	long lineno = 0;
	int cf = -1, ck = -1, cp = -1, nf, rc = 0;

	if (fp == NULL)
		return err_set(e, ERR_NOINPUT, "cannot open truth file '%s': "
		    "%s", ev->truth_path, strerror(errno));
	while ((len = getline(&line, &cap, fp)) != -1) {
		struct truth_row *t;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (lineno == 1 && (unsigned char)line[0] == 0xef &&
		    (unsigned char)line[1] == 0xbb &&
		    (unsigned char)line[2] == 0xbf)
			memmove(line, line + 3, (size_t)len - 2);
		if (line[0] == '\0')
			continue;
		if ((nf = csv_split(line, (size_t)len, &tf)) < 0) {
			rc = err_set(e, ERR_PARSE, "%s:%ld: bad CSV quoting or "
			    "too many columns", ev->truth_path, lineno);
			goto out;
		}
		if (cf < 0) {
			for (int i = 0; i < nf; i++) {
				if (strcasecmp(f[i], "feed") == 0)
					cf = i;
				else if (strcasecmp(f[i], "source_key") == 0)
					ck = i;
				else if (strcasecmp(f[i], "person_id") == 0)
					cp = i;
			}
			if (cf < 0 || ck < 0 || cp < 0) {
				rc = err_set(e, ERR_PARSE, "%s:%ld: the header "
				    "lacks 'feed', 'source_key' or 'person_id'",
				    ev->truth_path, lineno);
				err_hint(e, "the header of the synthetic "
				    "borough's truth.csv is "
				    "feed,source_key,person_id,tags");
				cf = -1;
				goto out;
			}
			continue;
		}
		if (nf <= cf || nf <= ck || nf <= cp || f[cf][0] == '\0' ||
		    f[ck][0] == '\0' || f[cp][0] == '\0') {
			rc = err_set(e, ERR_PARSE, "%s:%ld: empty or missing "
			    "feed, source_key or person_id", ev->truth_path,
			    lineno);
			goto out;
		}
		if (ev->ntruth == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			ev->truth = xreallocarray(ev->truth, alloc,
			    sizeof(*ev->truth));
		}
		t = &ev->truth[ev->ntruth++];
		t->feed = xstrdup(f[cf]);
		t->key = xstrdup(f[ck]);
		t->person = xstrdup(f[cp]);
		t->line = lineno;
	}
	if (ferror(fp)) {
		rc = err_set(e, ERR_IO, "cannot read truth file '%s'",
		    ev->truth_path);
		goto out;
	}
	if (cf < 0) {
		rc = err_set(e, ERR_PARSE, "%s: empty truth file",
		    ev->truth_path);
		goto out;
	}
	if (ev->ntruth > 1)
		qsort(ev->truth, ev->ntruth, sizeof(*ev->truth), truth_cmp);
	for (size_t i = 1; i < ev->ntruth; i++)
		if (truth_cmp(&ev->truth[i - 1], &ev->truth[i]) == 0) {
			rc = err_set(e, ERR_PARSE, "%s:%ld: record given twice "
			    "(also on line %ld)", ev->truth_path,
			    ev->truth[i].line, ev->truth[i - 1].line);
			goto out;
		}
out:
	truth_fields_clear(&tf);
	free(line);
	fclose(fp);
	return rc;
}

/* Database */

static PGresult *
eval_query(struct eval *ev, const char *what, const char *sql, int nparams,
    const char *const *params, struct err *e)
{
	PGresult *res = PQexecParams(ev->conn, sql, nparams, NULL, params,
	    NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	pgconn_fail(ev->conn, res, what, e);
	if (strcmp(pgconn_sqlstate(res), "42501") == 0)
		err_hint(e, "connect as a role granted svod_auditor "
		    "('database' in the configuration)");
	PQclear(res);
	return NULL;
}

/*
 * The run to score: --run, or the published one; its schema must still
 * exist. ERR_NOINPUT when there is none.
 */
static int
eval_find_run(struct eval *ev, struct err *e)
{
	PGresult *res;
	char id[24];
	const char *p[1];
	int rc = 0;

	if (ev->run_id > 0) {
		snprintf(id, sizeof(id), "%lld", ev->run_id);
		p[0] = id;
		res = eval_query(ev, "reading the run", "SELECT run_id, "
		    "schema_name, manifest->'scoring'->>'matcher' FROM "
		    "auditor.run WHERE run_id = $1", 1, p, e);
	} else
		res = eval_query(ev, "reading the published run", "SELECT "
		    "p.run_id, p.schema_name, "
		    "r.manifest->'scoring'->>'matcher' FROM auditor.published "
		    "p LEFT JOIN auditor.run r ON r.run_id = p.run_id", 0,
		    NULL, e);
	if (res == NULL)
		return ERR_DB;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 1)) {
		rc = ev->run_id > 0
		    ? err_set(e, ERR_NOINPUT, "no run %lld", ev->run_id)
		    : err_set(e, ERR_NOINPUT, "no run is published");
		if (ev->run_id == 0)
			err_hint(e, "run 'svod nightly' first, or give --run");
		goto out;
	}
	ev->run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(ev->schema, sizeof(ev->schema), "%s", PQgetvalue(res, 0, 1));
	ev->scored = strcmp(PQgetvalue(res, 0, 2), "probabilistic") == 0;
	PQclear(res);
	p[0] = ev->schema;
	res = eval_query(ev, "finding the run's link table", "SELECT "
	    "to_regclass(quote_ident($1) || '.link') IS NOT NULL, "
	    "to_regclass(quote_ident($1) || '.match_pair') IS NOT NULL", 1, p,
	    e);
	if (res == NULL)
		return ERR_DB;
	ev->has_pairs = ev->scored && PQgetvalue(res, 0, 1)[0] == 't';
	if (PQgetvalue(res, 0, 0)[0] != 't') {
		rc = err_set(e, ERR_NOINPUT, "run %lld has no link table: "
		    "schema '%s' is gone", ev->run_id, ev->schema);
		err_hint(e, "only the last 'keep_runs' runs are kept");
	}
out:
	PQclear(res);
	return rc;
}

static int
link_cmp(const void *pa, const void *pb)
{
	const struct link_row *a = pa, *b = pb;
	int c = strcmp(a->feed, b->feed);

	return c != 0 ? c : strcmp(a->key, b->key);
}

/* Read the run's links, sorted by (feed, key) bytewise. */
static int
eval_read_links(struct eval *ev, struct err *e)
{
	char *ident = PQescapeIdentifier(ev->conn, ev->schema,
	    strlen(ev->schema));
	char sql[256];

	if (ident == NULL)
		return pgconn_fail(ev->conn, NULL, "quoting the schema", e);
	snprintf(sql, sizeof(sql), "SELECT feed, source_key, "
	    "resident_id::text, rule, weight FROM %s.link", ident);
	PQfreemem(ident);
	ev->links = eval_query(ev, "reading the run's links", sql, 0, NULL,
	    e);
	if (ev->links == NULL)
		return ERR_DB;
	ev->nlinks = (size_t)PQntuples(ev->links);
	ev->lrows = xcalloc(ev->nlinks ? ev->nlinks : 1, sizeof(*ev->lrows));
	for (size_t i = 0; i < ev->nlinks; i++) {
		struct link_row *l = &ev->lrows[i];
		int r = (int)i;

		l->feed = PQgetvalue(ev->links, r, 0);
		l->key = PQgetvalue(ev->links, r, 1);
		l->resident = strtoull(PQgetvalue(ev->links, r, 2), NULL, 10);
		l->rule = PQgetvalue(ev->links, r, 3);
		l->has_weight = !PQgetisnull(ev->links, r, 4);
		if (l->has_weight)
			l->weight = strtod(PQgetvalue(ev->links, r, 4), NULL);
	}
	if (ev->nlinks > 1)
		qsort(ev->lrows, ev->nlinks, sizeof(*ev->lrows), link_cmp);
	return 0;
}

/* Scoring */

static void
missing_add(struct eval_missing *ms, const char *feed)
{
	const struct feed_desc *fd = feed_by_name(feed);

	ms->total++;
	ms->by_feed[fd ? (size_t)fd->id : FEED_COUNT]++;
}

/*
 * A link's strength, to order the reported pairs: its weight when the
 * matcher gave one, else the rule's rank (the strongest rule scores
 * CLUSTER_RULES, the weakest 1, a record that joined nothing 0).
 */
static double
eval_score(const struct link_row *l)
{
	if (l->has_weight)
		return l->weight;
	for (size_t i = 0; i < CLUSTER_RULES; i++)
		if (strcmp(l->rule, cluster_rule_name(cluster_rule_at(i))) == 0)
			return (double)(CLUSTER_RULES - i);
	return 0.0;
}

struct person_ref {
	const char *person;
	size_t	 j;		/* index into ev->recs */
};

static int
person_cmp(const void *pa, const void *pb)
{
	const struct person_ref *a = pa, *b = pb;
	int c = strcmp(a->person, b->person);

	return c != 0 ? c : (a->j > b->j) - (a->j < b->j);
}

/* Join links and truth by (feed, key), number the persons, score. */
static int
eval_score_all(struct eval *ev, struct err *e)
{
	struct metrics_rec *mr;
	struct person_ref *pr;
	size_t i = 0, k = 0;
	uint64_t pnum = 0;
	int rc;

	ev->recs = xcalloc(ev->nlinks ? ev->nlinks : 1, sizeof(*ev->recs));
	while (i < ev->nlinks || k < ev->ntruth) {
		int c = i == ev->nlinks ? 1 : k == ev->ntruth ? -1
		    : strcmp(ev->lrows[i].feed, ev->truth[k].feed);

		if (c == 0 && i < ev->nlinks && k < ev->ntruth)
			c = strcmp(ev->lrows[i].key, ev->truth[k].key);
		if (c < 0)
			missing_add(&ev->run_only, ev->lrows[i++].feed);
		else if (c > 0)
			missing_add(&ev->truth_only, ev->truth[k++].feed);
		else
			ev->recs[ev->nrecs++] = (struct eval_rec){
				&ev->lrows[i++], &ev->truth[k++] };
	}
	if (ev->nrecs == 0) {
		err_set(e, ERR_DATA, "no record of run %lld is in the truth "
		    "file '%s'", ev->run_id, ev->truth_path);
		return err_detail(e, "%zu links in the run, %zu rows in the "
		    "truth file", ev->nlinks, ev->ntruth);
	}
	/* Person ids are opaque: number them in byte order. */
	mr = xcalloc(ev->nrecs, sizeof(*mr));
	pr = xcalloc(ev->nrecs, sizeof(*pr));
	for (size_t j = 0; j < ev->nrecs; j++)
		pr[j] = (struct person_ref){ ev->recs[j].t->person, j };
	qsort(pr, ev->nrecs, sizeof(*pr), person_cmp);
	ev->person = xcalloc(ev->nrecs, sizeof(*ev->person));
	for (size_t j = 0; j < ev->nrecs; j++) {
		if (j > 0 && strcmp(pr[j].person, pr[j - 1].person) != 0)
			pnum++;
		mr[pr[j].j].truth = pnum;
		ev->person[pr[j].j] = pnum;
	}
	for (size_t j = 0; j < ev->nrecs; j++) {
		mr[j].pred = ev->recs[j].l->resident;
		mr[j].score = eval_score(ev->recs[j].l);
	}
	rc = metrics_compute(&ev->m, mr, ev->nrecs, ev->worst, e);
	free(pr);
	free(mr);
	return rc;
}

/* Scored pairs (a probabilistic run) */

/* The record (feed, key) in ev->recs, which is sorted by them; or -1. */
static long
eval_find_rec(const struct eval *ev, const char *feed, const char *key)
{
	size_t lo = 0, hi = ev->nrecs, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(ev->recs[mid].l->feed, feed);
		if (c == 0)
			c = strcmp(ev->recs[mid].l->key, key);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Evidence beyond the names */

/* The tokens that tell one person's records apart from a namesake's. */
static const char *const evidence_tokens[] = {
	"tok_nino_stem", "tok_nhs_number", "tok_dob", "tok_uprn",
	"tok_postcode"
};
#define EVIDENCE_NTOK (sizeof(evidence_tokens) / sizeof(evidence_tokens[0]))

struct evid_ref {
	uint64_t person;
	size_t	 j;		/* index into ev->recs */
};

static int
evid_cmp(const void *pa, const void *pb)
{
	const struct evid_ref *a = pa, *b = pb;

	if (a->person != b->person)
		return a->person < b->person ? -1 : 1;
	return (a->j > b->j) - (a->j < b->j);
}

static size_t
evid_find(size_t *parent, size_t x)
{
	while (parent[x] != x)
		x = parent[x] = parent[parent[x]];
	return x;
}

/* A debt reference a record holds: its record, by the reference. */
struct evid_debt {
	const char *ref;
	size_t	 j;		/* index into ev->recs */
};

static int
evid_debt_cmp(const void *pa, const void *pb)
{
	const struct evid_debt *a = pa, *b = pb;
	int c = strcmp(a->ref, b->ref);

	return c != 0 ? c : (a->j > b->j) - (a->j < b->j);
}

/*
 * Join, in 'parent', each breathing-space notice to the records of its
 * person that hold a debt it names (by creditor reference): the notice's
 * own evidence besides names, as the matcher's debt_ref field uses it.
 */
static int
evid_debt_refs(struct eval *ev, size_t *parent, struct err *e)
{
	char *id = PQescapeIdentifier(ev->conn, ev->schema,
	    strlen(ev->schema));
	struct evid_debt *held, key;
	PGresult *hres, *nres;
	char sql[1024];
	size_t nheld = 0;

	if (id == NULL)
		return pgconn_fail(ev->conn, NULL, "quoting the schema", e);
	snprintf(sql, sizeof(sql), "SELECT 'council_tax', source_key, "
	    "account_ref FROM %s.council_tax UNION SELECT 'housing_benefit', "
	    "source_key, claim_ref FROM %s.housing_benefit UNION SELECT "
	    "'housing_benefit', source_key, overpayment_ref FROM "
	    "%s.housing_benefit UNION SELECT 'rent', source_key, tenancy_ref "
	    "FROM %s.rent UNION SELECT 'adult_social_care', source_key, "
	    "invoice_ref FROM %s.adult_social_care", id, id, id, id, id);
	hres = eval_query(ev, "reading the debts' references", sql, 0, NULL,
	    e);
	snprintf(sql, sizeof(sql), "SELECT 'breathing_space', ref, "
	    "creditor_ref FROM %s.breathing_space_debt", id);
	PQfreemem(id);
	if (hres == NULL)
		return ERR_DB;
	if ((nres = eval_query(ev, "reading the notices' debts", sql, 0, NULL,
	    e)) == NULL) {
		PQclear(hres);
		return ERR_DB;
	}
	held = xcalloc((size_t)PQntuples(hres) + 1, sizeof(*held));
	for (int r = 0; r < PQntuples(hres); r++) {
		long k = eval_find_rec(ev, PQgetvalue(hres, r, 0),
		    PQgetvalue(hres, r, 1));

		if (k >= 0 && !PQgetisnull(hres, r, 2))
			held[nheld++] = (struct evid_debt){
			    PQgetvalue(hres, r, 2), (size_t)k };
	}
	qsort(held, nheld, sizeof(*held), evid_debt_cmp);
	for (int r = 0; r < PQntuples(nres); r++) {
		long k = eval_find_rec(ev, PQgetvalue(nres, r, 0),
		    PQgetvalue(nres, r, 1));
		size_t lo = 0, hi = nheld, mid;

		if (k < 0 || PQgetisnull(nres, r, 2))
			continue;
		key.ref = PQgetvalue(nres, r, 2);
		key.j = 0;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (strcmp(held[mid].ref, key.ref) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < nheld && strcmp(held[lo].ref, key.ref) == 0; lo++)
			if (ev->person[held[lo].j] == ev->person[k])
				parent[evid_find(parent, held[lo].j)] =
				    evid_find(parent, (size_t)k);
	}
	free(held);
	PQclear(hres);
	PQclear(nres);
	return 0;
}

/*
 * How many true pairs a matcher that never links on names alone could
 * find at best: within each true person, records joined (directly or by
 * a chain) when they share a token of the NINO stem, the NHS number, the
 * date of birth, the UPRN or the postcode, or when a breathing-space
 * notice names a debt the other holds; the pairs inside those groups.
 * The rest of the true pairs agree on names at most: a move with no date
 * of birth on one record, say, which a namesake looks just like.
 */
static int
eval_evidence(struct eval *ev, struct err *e)
{
	char *ident = PQescapeIdentifier(ev->conn, ev->schema,
	    strlen(ev->schema));
	const char **tok;
	struct evid_ref *ref;
	size_t *parent, lo, hi, a, b, t, j;
	PGresult *res;
	char *sql;
	size_t len = 0, cap = 4096;
	int rows, rc;

	if (ident == NULL)
		return pgconn_fail(ev->conn, NULL, "quoting the schema", e);
	sql = xmalloc(cap);
	sql[0] = '\0';
	for (size_t f = 0; f < FEED_COUNT; f++) {
		/* The feed's name as a literal: feed names are ours. */
		len += (size_t)snprintf(sql + len, cap - len, "%sSELECT '%s', "
		    "source_key", f ? " UNION ALL " : "",
		    feed_get((enum feed_id)f)->name);
		for (t = 0; t < EVIDENCE_NTOK; t++)
			len += (size_t)snprintf(sql + len, cap - len,
			    ", %s::text", evidence_tokens[t]);
		len += (size_t)snprintf(sql + len, cap - len, " FROM %s.%s",
		    ident, feed_get((enum feed_id)f)->name);
	}
	PQfreemem(ident);
	res = eval_query(ev, "reading the records' tokens", sql, 0, NULL, e);
	free(sql);
	if (res == NULL)
		return ERR_DB;
	rows = PQntuples(res);
	tok = xcalloc(ev->nrecs * EVIDENCE_NTOK + 1, sizeof(*tok));
	for (int r = 0; r < rows; r++) {
		long k = eval_find_rec(ev, PQgetvalue(res, r, 0),
		    PQgetvalue(res, r, 1));

		if (k < 0)
			continue;
		for (t = 0; t < EVIDENCE_NTOK; t++)
			if (!PQgetisnull(res, r, (int)t + 2))
				tok[(size_t)k * EVIDENCE_NTOK + t] =
				    PQgetvalue(res, r, (int)t + 2);
	}
	ref = xcalloc(ev->nrecs, sizeof(*ref));
	parent = xcalloc(ev->nrecs, sizeof(*parent));
	for (j = 0; j < ev->nrecs; j++) {
		ref[j] = (struct evid_ref){ ev->person[j], j };
		parent[j] = j;
	}
	qsort(ref, ev->nrecs, sizeof(*ref), evid_cmp);
	for (lo = 0; lo < ev->nrecs; lo = hi) {
		for (hi = lo + 1; hi < ev->nrecs &&
		    ref[hi].person == ref[lo].person; hi++)
			;
		for (a = lo; a < hi; a++)
			for (b = a + 1; b < hi; b++)
				for (t = 0; t < EVIDENCE_NTOK; t++) {
					const char *x = tok[ref[a].j *
					    EVIDENCE_NTOK + t];
					const char *y = tok[ref[b].j *
					    EVIDENCE_NTOK + t];

					if (x != NULL && y != NULL &&
					    strcmp(x, y) == 0) {
						parent[evid_find(parent,
						    ref[a].j)] = evid_find(
						    parent, ref[b].j);
						break;
					}
				}
	}
	PQclear(res);
	free(tok);
	if ((rc = evid_debt_refs(ev, parent, e)) != 0) {
		free(parent);
		free(ref);
		return rc;
	}
	ev->evidence_pairs = 0;
	for (lo = 0; lo < ev->nrecs; lo = hi) {
		for (hi = lo + 1; hi < ev->nrecs &&
		    ref[hi].person == ref[lo].person; hi++)
			;
		/* Pairs inside each group: count each record's group. */
		for (a = lo; a < hi; a++) {
			size_t same = 0;

			for (b = lo; b < a; b++)
				same += evid_find(parent, ref[b].j) ==
				    evid_find(parent, ref[a].j);
			ev->evidence_pairs += same;
		}
	}
	free(parent);
	free(ref);
	return 0;
}

/*
 * A cell of the contingency table: the records of one resident and one
 * person. A reported pair joins two cells.
 */
struct eval_cell_pair {
	uint64_t pred1, true1, pred2, true2;	/* the smaller cell first */
	struct eval_cmp *cmp;
};

static int
cell_pair_cmp(const void *pa, const void *pb)
{
	const struct eval_cell_pair *a = pa, *b = pb;

	if (a->pred1 != b->pred1)
		return a->pred1 < b->pred1 ? -1 : 1;
	if (a->true1 != b->true1)
		return a->true1 < b->true1 ? -1 : 1;
	if (a->pred2 != b->pred2)
		return a->pred2 < b->pred2 ? -1 : 1;
	if (a->true2 != b->true2)
		return a->true2 < b->true2 ? -1 : 1;
	return 0;
}

/* The cells of records x and y, the smaller first. */
static struct eval_cell_pair
eval_cells(const struct eval *ev, size_t x, size_t y)
{
	uint64_t px = ev->recs[x].l->resident, tx = ev->person[x];
	uint64_t py = ev->recs[y].l->resident, ty = ev->person[y];

	if (px < py || (px == py && tx < ty))
		return (struct eval_cell_pair){ px, tx, py, ty, NULL };
	return (struct eval_cell_pair){ py, ty, px, tx, NULL };
}

/* One row of match_pair: count it and keep the strongest per cell pair. */
static void
eval_take_pair(struct eval *ev, const PGresult *res,
    const struct eval_cell_pair *keys, size_t nkeys)
{
	struct eval_cell_pair k;
	struct eval_cmp *cmp;
	long x, y;
	size_t lo = 0, hi = nkeys, mid, a, b;
	double w;

	x = eval_find_rec(ev, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	y = eval_find_rec(ev, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
	if (x < 0 || y < 0 || x == y)
		return;		/* a record not evaluated */
	if (ev->person[x] == ev->person[y])
		ev->true_compared++;
	k = eval_cells(ev, (size_t)x, (size_t)y);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cell_pair_cmp(&keys[mid], &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	w = strtod(PQgetvalue(res, 0, 5), NULL);
	a = (size_t)(x < y ? x : y);
	b = (size_t)(x < y ? y : x);
	for (; lo < nkeys && cell_pair_cmp(&keys[lo], &k) == 0; lo++) {
		cmp = keys[lo].cmp;
		/* The strongest; ties to the first records, whatever the
		 * order the rows came in. */
		if (cmp->compared++ > 0 && (w < cmp->weight ||
		    (w == cmp->weight && (a > cmp->a || (a == cmp->a &&
		    b > cmp->b)))))
			continue;
		cmp->a = a;
		cmp->b = b;
		cmp->weight = w;
		cmp->probability = strtod(PQgetvalue(res, 0, 6), NULL);
		snprintf(cmp->decision, sizeof(cmp->decision), "%s",
		    PQgetvalue(res, 0, 4));
		snprintf(cmp->reason, sizeof(cmp->reason), "%s",
		    PQgetvalue(res, 0, 7));
	}
}

/*
 * Read the run's match_pair (streamed a row at a time: a large night has
 * hundreds of thousands) for the blocking recall and the reported pairs'
 * comparisons. After eval_score_all, in the same snapshot.
 */
static int
eval_read_pairs(struct eval *ev, struct err *e)
{
	const struct metrics *m = &ev->m;
	struct eval_cell_pair *keys;
	size_t nkeys = 0, i;
	char *ident, sql[256];
	PGresult *res;
	int rc = 0;

	ev->false_cmp = xcalloc(m->nfalse_links + 1, sizeof(*ev->false_cmp));
	ev->missed_cmp = xcalloc(m->nmissed_links + 1,
	    sizeof(*ev->missed_cmp));
	keys = xcalloc(m->nfalse_links + m->nmissed_links + 1, sizeof(*keys));
	for (i = 0; i < m->nfalse_links; i++) {
		keys[nkeys] = eval_cells(ev, m->false_links[i].a,
		    m->false_links[i].b);
		keys[nkeys++].cmp = &ev->false_cmp[i];
	}
	for (i = 0; i < m->nmissed_links; i++) {
		keys[nkeys] = eval_cells(ev, m->missed_links[i].a,
		    m->missed_links[i].b);
		keys[nkeys++].cmp = &ev->missed_cmp[i];
	}
	qsort(keys, nkeys, sizeof(*keys), cell_pair_cmp);

	if ((ident = PQescapeIdentifier(ev->conn, ev->schema,
	    strlen(ev->schema))) == NULL) {
		free(keys);
		return pgconn_fail(ev->conn, NULL, "quoting the schema", e);
	}
	snprintf(sql, sizeof(sql), "SELECT feed_a, key_a, feed_b, key_b, "
	    "decision, weight, probability, reason FROM %s.match_pair",
	    ident);
	PQfreemem(ident);
	if (PQsendQuery(ev->conn, sql) != 1 ||
	    PQsetSingleRowMode(ev->conn) != 1) {
		free(keys);
		return pgconn_fail(ev->conn, NULL, "reading the run's scored "
		    "pairs", e);
	}
	while ((res = PQgetResult(ev->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_SINGLE_TUPLE)
			eval_take_pair(ev, res, keys, nkeys);
		else if (PQresultStatus(res) != PGRES_TUPLES_OK && rc == 0)
			rc = pgconn_fail(ev->conn, res, "reading the run's "
			    "scored pairs", e);
		PQclear(res);
	}
	free(keys);
	return rc;
}

/* Output */

static void
print_missing(const char *what, const struct eval_missing *ms)
{
	const char *sep = " (";

	printf("%-30s %zu", what, ms->total);
	for (size_t f = 0; f <= FEED_COUNT; f++) {
		if (ms->by_feed[f] == 0)
			continue;
		printf("%s%s %zu", sep, f < FEED_COUNT ?
		    feed_get((enum feed_id)f)->name : "other feeds",
		    ms->by_feed[f]);
		sep = ", ";
	}
	printf("%s\n", ms->total ? ")" : "");
}

static void
print_rec(const struct eval_rec *r)
{
	printf("%s %s [resident %llu, %s, person %s]", r->l->feed, r->l->key,
	    (unsigned long long)r->l->resident, r->l->rule, r->t->person);
}

/* What the matcher made of a reported pair (a probabilistic run). */
static void
print_cmp(const struct eval *ev, const struct eval_cmp *c, uint64_t pairs)
{
	const struct eval_rec *a, *b;

	if (c->compared == 0) {
		if (pairs == 1)
			printf("     not compared (blocking): not a candidate "
			    "pair\n");
		else
			printf("     not compared (blocking): none of its %llu "
			    "record pairs was a candidate pair\n",
			    (unsigned long long)pairs);
		return;
	}
	a = &ev->recs[c->a];
	b = &ev->recs[c->b];
	printf("     compared: %s (%s), weight %.3f bits, p=%.6f (%s %s ~ %s "
	    "%s; %llu of %llu record pairs compared)\n", c->decision,
	    c->reason, c->weight, c->probability, a->l->feed, a->l->key,
	    b->l->feed, b->l->key, (unsigned long long)c->compared,
	    (unsigned long long)pairs);
}

static void
print_pairs(const struct eval *ev, const char *title,
    const struct metrics_pair *p, size_t np, size_t total, uint64_t pairs,
    const struct eval_cmp *cmp)
{
	printf("\n%s: %zu (record pairs: %llu)", title, total,
	    (unsigned long long)pairs);
	if (np < total)
		printf(", the worst %zu shown", np);
	printf("\n");
	for (size_t i = 0; i < np; i++) {
		printf("  %zu. ", i + 1);
		print_rec(&ev->recs[p[i].a]);
		printf("\n     ~ ");
		print_rec(&ev->recs[p[i].b]);
		printf("\n     record pairs: %llu\n",
		    (unsigned long long)p[i].pairs);
		if (cmp != NULL)
			print_cmp(ev, &cmp[i], p[i].pairs);
	}
}

/* Blocking recall: true pairs among the candidates over true pairs. */
static double
eval_blocking_recall(const struct eval *ev)
{
	if (ev->m.true_pairs == 0)
		return 1.0;
	return (double)ev->true_compared / (double)ev->m.true_pairs;
}

static double
eval_evidence_ceiling(const struct eval *ev)
{
	if (ev->m.true_pairs == 0)
		return 1.0;
	return (double)ev->evidence_pairs / (double)ev->m.true_pairs;
}

static void
eval_print_text(const struct eval *ev)
{
	const struct metrics *m = &ev->m;

	printf("run %lld (schema %s) against '%s'\n", ev->run_id, ev->schema,
	    ev->truth_path);
	printf("%-30s %zu\n", "records evaluated:", m->records);
	print_missing("in the run, not in truth:", &ev->run_only);
	print_missing("in truth, not in the run:", &ev->truth_only);
	printf("%-30s %zu\n", "residents (predicted):", m->pred_clusters);
	printf("%-30s %zu\n", "persons (true):", m->true_clusters);
	printf("%-30s %llu predicted, %llu true, %llu both\n", "pairs:",
	    (unsigned long long)m->pred_pairs,
	    (unsigned long long)m->true_pairs,
	    (unsigned long long)m->correct_pairs);
	printf("%-30s %.6f\n", "pairwise precision:", m->pair_precision);
	printf("%-30s %.6f\n", "pairwise recall:", m->pair_recall);
	printf("%-30s %.6f\n", "pairwise F1:", m->pair_f1);
	printf("%-30s %.6f\n", "B-cubed precision:", m->bcubed_precision);
	printf("%-30s %.6f\n", "B-cubed recall:", m->bcubed_recall);
	printf("%-30s %.6f\n", "B-cubed F1:", m->bcubed_f1);
	if (ev->has_pairs)
		printf("%-30s %.6f (%llu of %llu true pairs were candidate "
		    "pairs)\n", "blocking recall:", eval_blocking_recall(ev),
		    (unsigned long long)ev->true_compared,
		    (unsigned long long)m->true_pairs);
	else
		printf("%-30s %s\n", "blocking recall:", ev->scored ?
		    EVAL_BLOCKING_NONE : EVAL_BLOCKING_NOTE);
	printf("%-30s %.6f (%llu of %llu true pairs share more than "
	    "names)\n", "evidence ceiling:", eval_evidence_ceiling(ev),
	    (unsigned long long)ev->evidence_pairs,
	    (unsigned long long)m->true_pairs);
	print_pairs(ev, "false links (one person wrongly joined to another)",
	    m->false_links, m->nfalse_links, m->false_links_total,
	    m->false_pairs, ev->has_pairs ? ev->false_cmp : NULL);
	print_pairs(ev, "missed links (part of a person in another resident)",
	    m->missed_links, m->nmissed_links, m->missed_links_total,
	    m->missed_pairs, ev->has_pairs ? ev->missed_cmp : NULL);
}

static json_t *
json_missing(const struct eval_missing *ms)
{
	json_t *o = json_object(), *by = json_object();

	json_object_set_new(o, "total", json_integer((json_int_t)ms->total));
	for (size_t f = 0; f <= FEED_COUNT; f++)
		if (ms->by_feed[f] != 0)
			json_object_set_new(by, f < FEED_COUNT ?
			    feed_get((enum feed_id)f)->name : "other",
			    json_integer((json_int_t)ms->by_feed[f]));
	json_object_set_new(o, "by_feed", by);
	return o;
}

static json_t *
json_rec(const struct eval_rec *r)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:s}", "feed", r->l->feed,
	    "source_key", r->l->key, "resident_id",
	    (json_int_t)r->l->resident, "rule", r->l->rule, "person",
	    r->t->person);
}

/*
 * A reported pair's comparison: null for a run without scored pairs;
 * else the record pairs compared and the strongest (null when blocking
 * compared none).
 */
static json_t *
json_cmp(const struct eval *ev, const struct eval_cmp *c)
{
	const struct eval_rec *a, *b;

	if (c == NULL)
		return json_null();
	if (c->compared == 0)
		return json_pack("{s:I, s:n}", "compared_pairs", (json_int_t)0,
		    "strongest");
	a = &ev->recs[c->a];
	b = &ev->recs[c->b];
	return json_pack("{s:I, s:{s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:s, "
	    "s:f, s:f}}", "compared_pairs", (json_int_t)c->compared,
	    "strongest", "a", "feed", a->l->feed, "source_key", a->l->key,
	    "b", "feed", b->l->feed, "source_key", b->l->key,
	    "decision", c->decision, "reason", c->reason, "weight", c->weight,
	    "probability", c->probability);
}

static json_t *
json_pairs(const struct eval *ev, const struct metrics_pair *p, size_t np,
    const struct eval_cmp *cmp)
{
	json_t *a = json_array();

	for (size_t i = 0; i < np; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:I, s:o}", "a",
		    json_rec(&ev->recs[p[i].a]), "b",
		    json_rec(&ev->recs[p[i].b]), "record_pairs",
		    (json_int_t)p[i].pairs, "comparison", json_cmp(ev,
		    cmp != NULL ? &cmp[i] : NULL)));
	return a;
}

static int
eval_print_json(const struct eval *ev, struct err *e)
{
	const struct metrics *m = &ev->m;
	json_t *o;
	int rc = 0;

	o = json_pack("{s:I, s:s, s:s, s:{s:I, s:o, s:o}, s:I, s:I,"
	    " s:{s:f, s:f, s:f, s:I, s:I, s:I},"
	    " s:{s:f, s:f, s:f}, s:o, s:s, s:o, s:{s:f, s:I, s:I},"
	    " s:{s:I, s:I, s:o}, s:{s:I, s:I, s:o}}",
	    "run_id", (json_int_t)ev->run_id,
	    "schema", ev->schema,
	    "truth_file", ev->truth_path,
	    "records", "evaluated", (json_int_t)m->records,
	    "run_only", json_missing(&ev->run_only),
	    "truth_only", json_missing(&ev->truth_only),
	    "residents", (json_int_t)m->pred_clusters,
	    "persons", (json_int_t)m->true_clusters,
	    "pairwise", "precision", m->pair_precision,
	    "recall", m->pair_recall, "f1", m->pair_f1,
	    "predicted_pairs", (json_int_t)m->pred_pairs,
	    "true_pairs", (json_int_t)m->true_pairs,
	    "correct_pairs", (json_int_t)m->correct_pairs,
	    "bcubed", "precision", m->bcubed_precision,
	    "recall", m->bcubed_recall, "f1", m->bcubed_f1,
	    "blocking_recall", ev->has_pairs ?
	    json_real(eval_blocking_recall(ev)) : json_null(),
	    "blocking_note", ev->has_pairs ? EVAL_BLOCKING_SCORED :
	    ev->scored ? EVAL_BLOCKING_NONE : EVAL_BLOCKING_NOTE,
	    "blocking", ev->has_pairs ? json_pack("{s:I, s:I}",
	    "true_pairs", (json_int_t)m->true_pairs, "true_pairs_compared",
	    (json_int_t)ev->true_compared) : json_null(),
	    "evidence", "ceiling", eval_evidence_ceiling(ev),
	    "true_pairs", (json_int_t)m->true_pairs,
	    "true_pairs_with_evidence", (json_int_t)ev->evidence_pairs,
	    "false_links", "total", (json_int_t)m->false_links_total,
	    "record_pairs", (json_int_t)m->false_pairs,
	    "worst", json_pairs(ev, m->false_links, m->nfalse_links,
	    ev->has_pairs ? ev->false_cmp : NULL),
	    "missed_links", "total", (json_int_t)m->missed_links_total,
	    "record_pairs", (json_int_t)m->missed_pairs,
	    "worst", json_pairs(ev, m->missed_links, m->nmissed_links,
	    ev->has_pairs ? ev->missed_cmp : NULL));
	if (o == NULL)
		return err_set(e, ERR_SOFTWARE, "cannot build the JSON report");
	if (json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		rc = err_set(e, ERR_IO, "cannot write the report");
	else
		fputc('\n', stdout);
	json_decref(o);
	return rc;
}

int
cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "truth", required_argument, NULL, 't' },
		{ "run", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "worst", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL;
	struct eval ev;
	struct err e;
	char *end;
	int c, rc = 0;

	err_clear(&e);
	memset(&ev, 0, sizeof(ev));
	metrics_init(&ev.m);
	ev.worst = EVAL_WORST_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:r:jw:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			ev.truth_path = optarg;
			break;
		case 'r':
			errno = 0;
			ev.run_id = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    ev.run_id <= 0) {
				fprintf(stderr, "svod eval: --run: not a run "
				    "id: '%s'\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'j':
			ev.json = true;
			break;
		case 'w': {
			long long k;

			errno = 0;
			k = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    k < 0 || k > 1000000) {
				fprintf(stderr, "svod eval: --worst: not a "
				    "count from 0 to 1000000: '%s'\n", optarg);
				return EX_USAGE;
			}
			ev.worst = (size_t)k;
			break;
		}
		case 'h':
			fputs(eval_usage, stdout);
			return EX_OK;
		default:
			fputs(eval_usage, stderr);
			return EX_USAGE;
		}
	}
	if (path == NULL || ev.truth_path == NULL || optind != argc) {
		fputs(eval_usage, stderr);
		return EX_USAGE;
	}
	/* The truth file first: a missing one needs no database. */
	if ((rc = eval_truth_load(&ev, &e)) != 0)
		goto out;
	if ((rc = config_load(path, &ev.cfg, &e)) != 0) {
		rc = ERR_CONFIG;	/* a missing file too: exit 78 */
		goto out;
	}
	if ((rc = pgconn_open(ev.cfg->database, &ev.conn, &e)) != 0)
		goto out;
	/* One snapshot: a publish meanwhile cannot mix two nights. */
	if ((rc = pgconn_exec(ev.conn, "BEGIN ISOLATION LEVEL REPEATABLE READ "
	    "READ ONLY", &e)) != 0)
		goto out;
	if ((rc = eval_find_run(&ev, &e)) != 0)
		goto out;
	if ((rc = eval_read_links(&ev, &e)) != 0)
		goto out;
	if ((rc = eval_score_all(&ev, &e)) != 0 ||
	    (rc = eval_evidence(&ev, &e)) != 0)
		goto out;
	/* The scored pairs need the scores (the reported pairs' cells). */
	if (ev.has_pairs && (rc = eval_read_pairs(&ev, &e)) != 0)
		goto out;
	pgconn_exec(ev.conn, "COMMIT", NULL);
	log_info("run %lld: %zu records evaluated, %zu in the run only, "
	    "%zu in truth only", ev.run_id, ev.m.records, ev.run_only.total,
	    ev.truth_only.total);
	if (ev.json)
		rc = eval_print_json(&ev, &e);
	else
		eval_print_text(&ev);
	if (rc == 0 && fflush(stdout) != 0)
		rc = err_set(&e, ERR_IO, "cannot write the report");
out:
	metrics_release(&ev.m);
	free(ev.person);
	free(ev.false_cmp);
	free(ev.missed_cmp);
	free(ev.recs);
	free(ev.lrows);
	PQclear(ev.links);
	for (size_t i = 0; i < ev.ntruth; i++) {
		free(ev.truth[i].feed);
		free(ev.truth[i].key);
		free(ev.truth[i].person);
	}
	free(ev.truth);
	if (ev.conn != NULL)
		pgconn_close(ev.conn);
	config_free(ev.cfg);
	if (rc != 0) {
		err_print(&e);
		return err_exit_status(rc);
	}
	return EX_OK;
}
