/*
 * svod nightly --config FILE: the whole night. Extract, validate and
 * pseudonymise every feed into COPY files in a private temporary
 * directory; link the records into residents (matchers/cluster.h) with
 * ids stable from the last published night; in ONE transaction create a
 * fresh schema run_<id>, COPY every file into it, reconcile the counts,
 * build indexes and the SQL views; then publish by repointing the
 * adviser- and auditor-facing views in a second, short transaction
 * (lock_timeout with retry). A failure or a kill at any point before the
 * publish commit leaves the previous night published: the run's
 * transaction is rolled back (by the server, if we die) and the run is
 * marked failed. Overlapping runs are refused twice over: a lock file on
 * the host and a PostgreSQL advisory lock; the second run exits
 * EX_TEMPFAIL naming the holder. The run's manifest (inputs with sizes,
 * SHA-256 and counts, rejects, matching figures, the fitted model of the
 * probabilistic matcher, table digests) is stored in svod.run and written
 * as JSON beside the rejects. With matcher = probabilistic, every
 * candidate pair the linker scored goes to run_<id>.match_pair, the
 * auditor's evidence of why two records are (or are not) one resident.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "etl/arena.h"
#include "etl/config.h"
#include "etl/err.h"
#include "etl/fields.h"
#include "etl/log.h"
#include "etl/pgconn.h"
#include "etl/pgcopy.h"
#include "etl/xalloc.h"
#include "jobs/jobs.h"
#include "jobs/pipeline.h"
#include "jobs/runfiles.h"
#include "matchers/cluster.h"
#include "matchers/compare.h"
#include "matchers/encode.h"
#include "matchers/linker.h"

static const char nightly_usage[] =
    "usage: svod nightly --config FILE [--as-of YYYY-MM-DD]\n"
    "Run the whole night: extract, validate and pseudonymise every feed,\n"
    "link records into residents, load a new run schema with COPY and\n"
    "publish it atomically. The previous night stays published if\n"
    "anything fails. Exit status: 0 published; 65 bad data; 66 a feed is\n"
    "missing; 69 database unavailable; 75 another run holds the lock;\n"
    "78 bad configuration or key file.\n";

/* What matching needs of one source record (first row of its key). */
struct nightly_rec {
	uint8_t	 feed;
	const char *key;		/* in n->keys */
	uint32_t have;			/* bit per enum pseudonym_purpose */
	unsigned char tok[PSEUDONYM_PURPOSE_COUNT][PSEUDONYM_TOKEN_LEN];
};

struct nightly {
	struct config *cfg;
	int	 as_of_year;		/* of cfg->as_of, for the matcher */
	struct pipeline pl;
	bool	 pl_live;
	struct runfiles rf;
	bool	 rf_live;
	PGconn	*conn;
	int	 lockfd;
	char	 statedir[PATH_MAX];	/* parent of rejects_dir: lock, manifests */
	char	 lockpath[PATH_MAX + 16];
	long long run_id;
	char	 schema[32];
	char	 tmpdir[PATH_MAX + 64];
	struct nightly_rec *recs;
	size_t	 nrecs, caprecs;
	/* matcher = probabilistic: each record's comparison features, kept
	 * in memory only (no Bloom filter is ever stored). */
	struct compare_rec *crecs;	/* [crecs_cap], or NULL */
	size_t	 crecs_cap;
	struct encode *encode;		/* the name filters' positions */
	int	 crec_rc;		/* first failure building one */
	struct linker_result lr;	/* the scored pairs of tonight */
	bool	 scored;		/* lr holds a result */
	struct err crec_err;
	uint32_t *seen;			/* 1 + index in recs, open addressing */
	size_t	 seencap;
	struct arena keys;
	double	 t_extract, t_match, t_load, t_publish;
	double	 t_copy, t_index, t_views, t_digest;	/* parts of load */
	double	 publish_ms;		/* the publish transaction */
	int	 publish_tries;
	uint64_t loaded[FEED_COUNT];
	bool	 carried[FEED_COUNT];	/* missing tonight: last run's data */
	char	 prev_schema[64];	/* the published run, "" if none */
	long long prev_run;		/* its run id, 0 if none */
	uint64_t first_new_id;		/* the first id given to a new resident */
	bool	 replay;		/* svod replay: see nightly_replay() */
	char	 replay_schema[32];	/* replay: the scratch schema */
	char	 replay_prev[64];	/* replay: the original's prev_schema */
	uint64_t residents, links, new_ids, reviews;
	uint64_t pairs;			/* rows of match_pair */
	double	 t_pairs;		/* writing and COPYing them */
	bool	 tty;			/* stderr is a terminal: progress */
	uint64_t seen_records;
};

static double
nightly_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run one SQL statement (printf-formatted; only svod's own identifiers
 * and numbers are formatted in, values go through PQexecParams). With
 * 'out', copy the first column of the first row there ("" for none).
 * Returns 0, ERR_TEMPFAIL for a lock_timeout (the caller may retry), or
 * ERR_DB.
 */
static int qv(PGconn *c, struct err *e, char *out, size_t cap,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static int
qv(PGconn *c, struct err *e, char *out, size_t cap, const char *fmt,
    va_list ap)
{
	char sql[4096];
	PGresult *res;
	int rc = 0;

	vsnprintf(sql, sizeof(sql), fmt, ap);
	res = PQexec(c, sql);
	if (out != NULL)
		out[0] = '\0';
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pgconn_fail(c, res, "database statement", e);
		err_detail(e, "statement: %.200s", sql);
		if (strcmp(pgconn_sqlstate(res), "55P03") == 0)
			rc = e ? (e->code = ERR_TEMPFAIL) : ERR_TEMPFAIL;
	} else if (out != NULL && PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, 0)) {
		snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return rc;
}

static int q(PGconn *c, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
q(PGconn *c, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = qv(c, e, NULL, 0, fmt, ap);
	va_end(ap);
	return rc;
}

/* Run a query returning one value into out (cap bytes); "" for NULL. */
static int q1(PGconn *c, struct err *e, char *out, size_t cap,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
q1(PGconn *c, struct err *e, char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = qv(c, e, out, cap, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * The host lock: an flock()ed file beside the rejects directory, holding
 * the holder's pid, host and start time so that a refused run can say
 * who holds it.
 */
static int
nightly_host_lock(struct nightly *n, struct err *e)
{
	char host[256] = "?", holder[512] = "", *slash;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	ssize_t got;

	snprintf(n->statedir, sizeof(n->statedir), "%s", n->cfg->rejects_dir);
	if ((slash = strrchr(n->statedir, '/')) != NULL && slash != n->statedir)
		*slash = '\0';
	if (mkdir(n->statedir, 0700) != 0 && errno != EEXIST)
		return err_set(e, ERR_IO, "cannot create directory '%s': %s",
		    n->statedir, strerror(errno));
	if (n->replay)
		return 0;	/* a replay must never hold up a night */
	snprintf(n->lockpath, sizeof(n->lockpath), "%s/svod.lock",
	    n->statedir);
	n->lockfd = open(n->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (n->lockfd < 0)
		return err_set(e, ERR_IO, "cannot open lock file '%s': %s",
		    n->lockpath, strerror(errno));
	if (flock(n->lockfd, LOCK_EX | LOCK_NB) != 0) {
		got = pread(n->lockfd, holder, sizeof(holder) - 1, 0);
		holder[got > 0 ? got : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		err_set(e, ERR_TEMPFAIL, "another run holds the lock '%s': %s",
		    n->lockpath, holder[0] ? holder : "holder unknown");
		close(n->lockfd);
		n->lockfd = -1;
		return ERR_TEMPFAIL;
	}
	gethostname(host, sizeof(host) - 1);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(holder, sizeof(holder), "svod nightly pid %ld on %s since %s\n",
	    (long)getpid(), host, stamp);
	if (ftruncate(n->lockfd, 0) != 0 ||
	    pwrite(n->lockfd, holder, strlen(holder), 0) < 0)
		log_warn("cannot record the holder in '%s'", n->lockpath);
	return 0;
}

/* The database lock: a session advisory lock, refused with the holder. */
#define NIGHTLY_LOCK_KEY 0x73766f64 /* "svod" */

static int
nightly_db_lock(struct nightly *n, struct err *e)
{
	char *who;
	bool got;
	int rc;

	if ((rc = pgconn_try_advisory_lock(n->conn, NIGHTLY_LOCK_KEY, &got,
	    e)) != 0 || got)
		return rc;
	who = pgconn_lock_holder(n->conn, NIGHTLY_LOCK_KEY);
	rc = err_set(e, ERR_TEMPFAIL, "another run holds the database "
	    "lock: %s", who ? who : "holder unknown");
	free(who);
	return rc;
}

static void nightly_remember(struct nightly *, const struct record *,
    const struct identity *);

/* Write one record to the run files and remember it for matching. */
static int
nightly_record(void *arg, const struct record *rec, const struct identity *id,
    struct err *e)
{
	struct nightly *n = arg;
	int rc;

	if ((rc = runfiles_record(&n->rf, rec, id, e)) != 0)
		return rc;
	nightly_remember(n, rec, id);
	if (n->tty && (++n->seen_records & 0x3fff) == 0)
		fprintf(stderr, "\r  extracting %-18s %10llu records",
		    rec->desc->name, (unsigned long long)n->seen_records);
	return 0;
}

/* A stage starts: a progress line on a terminal, else a log line. */
static void
nightly_stage(struct nightly *n, const char *what)
{
	if (n->tty)
		fprintf(stderr, "\r%-60s\r  %s ...", "", what);
	else
		log_info("run %lld: %s", n->run_id, what);
}

/* Keep the first row of each (feed, key) with its tokens for matching. */
static void
nightly_remember(struct nightly *n, const struct record *rec,
    const struct identity *id)
{
	size_t klen = strlen(rec->key);
	uint64_t h;
	size_t i;

	h = XXH3_64bits_withSeed(rec->key, klen, rec->desc->id + 1);
	if (n->nrecs * 2 >= n->seencap) {
		size_t cap = n->seencap ? n->seencap * 2 : 4096;
		uint32_t *t = xcalloc(cap, sizeof(*t));

		for (i = 0; i < n->seencap; i++) {
			const struct nightly_rec *o;
			size_t j;

			if (n->seen[i] == 0)
				continue;
			o = &n->recs[n->seen[i] - 1];
			for (j = XXH3_64bits_withSeed(o->key, strlen(o->key),
			    o->feed + 1) & (cap - 1); t[j];
			    j = (j + 1) & (cap - 1))
				;
			t[j] = n->seen[i];
		}
		free(n->seen);
		n->seen = t;
		n->seencap = cap;
	}
	for (i = h & (n->seencap - 1); n->seen[i];
	    i = (i + 1) & (n->seencap - 1)) {
		const struct nightly_rec *o = &n->recs[n->seen[i] - 1];

		if (o->feed == rec->desc->id && strcmp(o->key, rec->key) == 0) {
			/* Another overpayment of a claim, another invoice
			 * of a client: its debt references count too. */
			if (n->encode != NULL && rec->v != NULL) {
				uint64_t refs[COMPARE_REFS_MAX];
				bool named;
				size_t nr = pipeline_debt_refs(rec, refs,
				    COMPARE_REFS_MAX, &named);

				compare_add_refs(&n->crecs[n->seen[i] - 1],
				    refs, nr);
			}
			return;
		}
	}
	n->seen[i] = (uint32_t)n->nrecs + 1;
	if (n->nrecs == n->caprecs) {
		n->caprecs = n->caprecs ? n->caprecs * 2 : 4096;
		n->recs = xreallocarray(n->recs, n->caprecs, sizeof(*n->recs));
	}
	struct nightly_rec *r = &n->recs[n->nrecs++];

	r->feed = (uint8_t)rec->desc->id;
	r->key = arena_strndup(&n->keys, rec->key, klen);
	r->have = id->have;
	memcpy(r->tok, id->tok, sizeof(r->tok));
	if (n->encode != NULL) {
		struct name_norm nm;
		struct dob_parts dp;
		bool dob = rec->v != NULL && pipeline_name_dob(rec, &nm, &dp);
		char premises[64] = "";
		uint64_t refs[COMPARE_REFS_MAX];
		struct compare_source src = { r->feed,
			(uint32_t)(n->nrecs - 1), id->have,
			(const unsigned char (*)[PSEUDONYM_TOKEN_LEN])id->tok,
			rec->v != NULL ? &nm : NULL, dob ? &dp : NULL,
			premises, pipeline_account(rec), n->as_of_year, refs, 0,
			false };
		int rc;

		if (rec->v != NULL) {
			pipeline_premises(rec, premises, sizeof(premises));
			src.nrefs = pipeline_debt_refs(rec, refs,
			    COMPARE_REFS_MAX, &src.names_refs);
		}

		if (n->crecs_cap < n->caprecs) {
			n->crecs_cap = n->caprecs;
			n->crecs = xreallocarray(n->crecs, n->crecs_cap,
			    sizeof(*n->crecs));
		}
		rc = compare_rec_build(n->pl.ps, n->encode, &src,
		    &n->crecs[n->nrecs - 1], &n->crec_err);
		if (rc != 0 && n->crec_rc == 0)
			n->crec_rc = rc;
	}
}

/* COPY one run file into its table; reconcile with what was written. */
static int
nightly_copy(struct nightly *n, enum feed_id f, enum runfiles_kind k,
    struct err *e)
{
	const char *path = runfiles_path(&n->rf, f, k);
	char table[96], qual[160];
	uint64_t rows = 0;
	int rc;

	runfiles_table(f, k, table, sizeof(table));
	snprintf(qual, sizeof(qual), "%s.%s", n->schema, table);
	if (n->carried[f]) {
		char count[32];

		/* Last night's rows, unchanged: the view marks them stale. */
		if ((rc = q(n->conn, e, "INSERT INTO %s SELECT * FROM %s.%s",
		    qual, n->prev_schema, table)) != 0 ||
		    (rc = q1(n->conn, e, count, sizeof(count),
		    "SELECT count(*) FROM %s", qual)) != 0)
			return rc;
		if (k == RUNFILES_MAIN)
			n->loaded[f] = strtoull(count, NULL, 10);
		return 0;
	}
	if (path != NULL && (rc = pgcopy_file(n->conn, qual, path, &rows, e)))
		return rc;
	if (rows != n->rf.rows[f][k])
		return err_set(e, ERR_SOFTWARE, "reconciliation failed for "
		    "%s: wrote %llu rows, COPY loaded %llu", qual,
		    (unsigned long long)n->rf.rows[f][k],
		    (unsigned long long)rows);
	if (k == RUNFILES_MAIN)
		n->loaded[f] = rows;
	return 0;
}

/* Create the run's feed tables, from the same lists the files follow. */
static int
nightly_tables(struct nightly *n, struct err *e)
{
	char table[96], cols[4096];
	int rc;

	for (size_t f = 0; f < FEED_COUNT; f++) {
		for (int k = 0; k < RUNFILES_KINDS; k++) {
			if (k == RUNFILES_ITEMS && (!feed_get(f)->item ||
			    feed_get(f)->item_is_record))
				continue;
			runfiles_table((enum feed_id)f, (enum runfiles_kind)k,
			    table, sizeof(table));
			if ((rc = runfiles_columns((enum feed_id)f,
			    (enum runfiles_kind)k, cols, sizeof(cols))) != 0)
				return err_set(e, rc, "column list too long");
			if ((rc = q(n->conn, e, "CREATE TABLE %s.%s %s",
			    n->schema, table, cols)) != 0)
				return rc;
		}
	}
	if ((rc = q(n->conn, e, "CREATE TABLE %s.link (feed text NOT NULL, "
	    "source_key text NOT NULL, resident_id bigint NOT NULL, "
	    "rule text NOT NULL, weight double precision, "
	    "probability double precision, "
	    "PRIMARY KEY (feed, source_key))", n->schema)) != 0)
		return rc;
	/*
	 * Every run has the table, empty unless scored, so that the views
	 * and svod eval need not ask. Its columns are those of the
	 * placeholder auditor.match_pair in schemas/006_match_pair.sql (and
	 * of the table svod.create_run_views makes for older runs): publish
	 * refuses any other list. No primary key: the linker gives each
	 * pair once, and a third index would cost the load more.
	 */
	return q(n->conn, e, "CREATE TABLE %s.match_pair (feed_a text NOT "
	    "NULL, key_a text NOT NULL, feed_b text NOT NULL, key_b text NOT "
	    "NULL, decision text NOT NULL CHECK (decision IN ('link', "
	    "'review', 'cannot', 'none')), weight double precision NOT NULL, "
	    "probability double precision NOT NULL, evidence jsonb, "
	    "reason text NOT NULL, "
	    "CHECK ((evidence IS NOT NULL) = (decision IN ('link', "
	    "'review'))))", n->schema);
}

/* Indexes after the data: lookups by key and by resident. */
static int
nightly_indexes(struct nightly *n, struct err *e)
{
	char table[96];
	int rc;

	for (size_t f = 0; f < FEED_COUNT; f++) {
		for (int k = 0; k < RUNFILES_KINDS; k++) {
			if (k == RUNFILES_ITEMS && (!feed_get(f)->item ||
			    feed_get(f)->item_is_record))
				continue;
			runfiles_table((enum feed_id)f, (enum runfiles_kind)k,
			    table, sizeof(table));
			if ((rc = q(n->conn, e, "CREATE INDEX ON %s.%s (%s)",
			    n->schema, table, k == RUNFILES_ITEMS
				? feed_get(f)->key[0] : "source_key")) != 0)
				return rc;
		}
	}
	/* The tokens an adviser's look-up resolves (005_*.sql). */
	for (size_t f = 0; f < FEED_COUNT; f++) {
		static const char *const tok[] = { "nino_stem", "nhs_number",
			"name_dob" };

		for (size_t t = 0; t < 3; t++)
			if ((rc = q(n->conn, e, "CREATE INDEX ON %s.%s (tok_%s) "
			    "WHERE tok_%s IS NOT NULL", n->schema,
			    feed_get(f)->name, tok[t], tok[t])) != 0)
				return rc;
	}
	if ((rc = q(n->conn, e, "CREATE INDEX ON %s.link (resident_id)",
	    n->schema)) != 0 ||
	    (rc = q(n->conn, e, "CREATE INDEX ON %s.match_pair (feed_a, "
	    "key_a)", n->schema)) != 0 ||
	    (rc = q(n->conn, e, "CREATE INDEX ON %s.match_pair (feed_b, "
	    "key_b)", n->schema)) != 0)
		return rc;
	/* Statistics for the new tables only, not the whole database. */
	for (size_t f = 0; f < FEED_COUNT; f++) {
		for (int k = 0; k < RUNFILES_KINDS; k++) {
			if (k == RUNFILES_ITEMS && (!feed_get(f)->item ||
			    feed_get(f)->item_is_record))
				continue;
			runfiles_table((enum feed_id)f, (enum runfiles_kind)k,
			    table, sizeof(table));
			if ((rc = q(n->conn, e, "ANALYZE %s.%s", n->schema,
			    table)) != 0)
				return rc;
		}
	}
	if ((rc = q(n->conn, e, "ANALYZE %s.link", n->schema)) != 0)
		return rc;
	/* Not evidence: its statistics help no plan and cost the most. */
	return q(n->conn, e, "ANALYZE %s.match_pair (feed_a, key_a, feed_b, "
	    "key_b, decision, weight, probability)", n->schema);
}

/*
 * The schema of the published run, or "" when none was published; its id
 * in n->prev_run (for the manifest). A replay gets, instead, the schema
 * of the run the original took its ids and carried data from.
 */
static int
nightly_published(struct nightly *n, char *schema, size_t cap, struct err *e)
{
	char id[24];
	int rc;

	if (n->replay) {
		snprintf(schema, cap, "%s", n->replay_prev);
		return 0;
	}
	if ((rc = q1(n->conn, e, id, sizeof(id), "SELECT run_id FROM svod.run "
	    "WHERE status = 'published' ORDER BY run_id DESC LIMIT 1")) != 0)
		return rc;
	n->prev_run = atoll(id);
	return q1(n->conn, e, schema, cap, "SELECT schema_name FROM svod.run "
	    "WHERE run_id = %lld", n->prev_run);
}

/* Last night's (feed, key) -> resident id, for stable ids. */
static int
nightly_prev(struct nightly *n, struct cluster_prev **out, size_t *np,
    PGresult **resp, struct err *e)
{
	char schema[64], sql[256];
	PGresult *res;
	size_t m;
	int rc;

	*out = NULL;
	*np = 0;
	*resp = NULL;
	if ((rc = nightly_published(n, schema, sizeof(schema), e)) != 0)
		return rc;
	if (schema[0] == '\0')
		return 0;
	snprintf(sql, sizeof(sql), "SELECT feed, source_key, resident_id "
	    "FROM %s.link", schema);
	res = PQexec(n->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = err_set(e, ERR_DB, "cannot read last night's links: %s",
		    PQerrorMessage(n->conn));
		PQclear(res);
		return rc;
	}
	m = (size_t)PQntuples(res);
	*out = xcalloc(m ? m : 1, sizeof(**out));
	for (size_t i = 0; i < m; i++) {
		const struct feed_desc *fd = feed_by_name(PQgetvalue(res, i, 0));

		if (fd == NULL)
			continue;
		(*out)[*np].feed = (uint8_t)fd->id;
		(*out)[*np].key = PQgetvalue(res, i, 1);
		(*out)[(*np)++].resident_id = strtoull(PQgetvalue(res, i, 2),
		    NULL, 10);
	}
	*resp = res;
	return 0;
}

/*
 * A feed's file is missing. With carry_forward on and a published run to
 * take it from, the feed keeps last night's data, marked stale; its
 * records join tonight's matching with their stored tokens. Else the run
 * fails with EX_NOINPUT. Returns 0 or the error to fail with.
 */
static int
nightly_carry_decide(struct nightly *n, struct err *e)
{
	int rc;

	if (!n->cfg->carry_forward)
		return ERR_NOINPUT;
	for (size_t f = 0; f < FEED_COUNT; f++) {
		const struct pipeline_feed *pf = &n->pl.feeds[f];

		if (pf->status != 0 && pf->status != ERR_NOINPUT)
			return pf->status;
	}
	if ((rc = nightly_published(n, n->prev_schema,
	    sizeof(n->prev_schema), e)) != 0)
		return rc;
	if (n->prev_schema[0] == '\0')
		return err_set(e, ERR_NOINPUT, "a feed is missing and no run "
		    "was published yet to carry its data forward");
	for (size_t f = 0; f < FEED_COUNT; f++) {
		struct pipeline_feed *pf = &n->pl.feeds[f];
		char sql[512];
		PGresult *res;

		if (pf->status != ERR_NOINPUT)
			continue;
		n->carried[f] = true;
		log_warn("%s: no input tonight; carrying %s's data forward "
		    "(stale)", pf->cf->desc->name, n->prev_schema);
		/* Its records still take part in matching. */
		snprintf(sql, sizeof(sql), "SELECT source_key");
		for (size_t p = 0; p < PSEUDONYM_RECORD_COUNT; p++)
			snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
			    ", tok_%s", pseudonym_purpose_name(
				(enum pseudonym_purpose)p));
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		    " FROM %s.%s", n->prev_schema, pf->cf->desc->name);
		res = PQexecParams(n->conn, sql, 0, NULL, NULL, NULL, NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = err_set(e, ERR_DB, "cannot read %s.%s: %s",
			    n->prev_schema, pf->cf->desc->name,
			    PQerrorMessage(n->conn));
			PQclear(res);
			return rc;
		}
		for (int i = 0; i < PQntuples(res); i++) {
			struct identity id;
			struct record rec;
			char key[256];

			memset(&id, 0, sizeof(id));
			memset(&rec, 0, sizeof(rec));
			snprintf(key, sizeof(key), "%.*s",
			    PQgetlength(res, i, 0), PQgetvalue(res, i, 0));
			for (size_t p = 0; p < PSEUDONYM_RECORD_COUNT; p++) {
				if (PQgetisnull(res, i, (int)p + 1) ||
				    PQgetlength(res, i, (int)p + 1) !=
				    PSEUDONYM_TOKEN_LEN)
					continue;
				memcpy(id.tok[p], PQgetvalue(res, i,
				    (int)p + 1), PSEUDONYM_TOKEN_LEN);
				id.have |= 1u << p;
			}
			rec.desc = pf->cf->desc;
			rec.key = key;
			nightly_remember(n, &rec, &id);
		}
		PQclear(res);
		pf->status = 0;
		pf->error[0] = '\0';
	}
	err_clear(e);
	return 0;
}

/*
 * matcher = probabilistic: score the candidate pairs (blocking, a
 * Fellegi-Sunter model fitted tonight by EM) and hand the clusterer the
 * links above match_probability and the pairs that must never end up in
 * one resident. Positions in crecs are the clusterer's record indexes.
 */
static int
nightly_score(struct nightly *n, struct cluster *c, struct err *e)
{
	struct linker_opts lo;
	int rc;

	/*
	 * UPRN + surname + DOB ignores the forename and joins twins, and
	 * surname + initial + DOB + postcode joins twins of one initial
	 * (Lucy and Lily): the scores weigh that evidence with the whole
	 * forename instead.
	 */
	if ((rc = cluster_skip_rule(c, PSEUDONYM_UPRN_SURNAME_DOB, e)) != 0 ||
	    (rc = cluster_skip_rule(c, PSEUDONYM_SURNAME_INITIAL_DOB_POSTCODE,
	    e)) != 0)
		return rc;
	linker_opts_init(&lo);
	lo.match_probability = n->cfg->match_pct / 100.0;
	lo.review_probability = n->cfg->review_pct / 100.0;
	if ((rc = linker_opts_check(&lo, e)) != 0 ||
	    (rc = linker_run(n->crecs, n->nrecs, &lo, &n->lr, e)) != 0)
		return rc;
	n->scored = true;
	for (size_t i = 0; i < n->lr.nlinks; i++)
		if ((rc = cluster_add_link(c, n->lr.links[i].a,
		    n->lr.links[i].b, n->lr.links[i].weight, e)) != 0)
			return rc;
	for (size_t i = 0; i < n->lr.ncannot; i++)
		if ((rc = cluster_add_cannot_link(c, n->lr.cannot[i].a,
		    n->lr.cannot[i].b, e)) != 0)
			return rc;
	log_info("run %lld: scored %llu candidate pairs (%.0f comparisons/s), "
	    "%zu links, %zu to review (%llu without a discriminating "
	    "agreement, %llu ambiguous), %llu agreeing on names alone (not "
	    "queued), %zu that may not join", n->run_id,
	    (unsigned long long)n->lr.stats.candidate_pairs,
	    n->lr.stats.comparisons_per_second, n->lr.nlinks, n->lr.nreview,
	    (unsigned long long)n->lr.stats.weak_links,
	    (unsigned long long)n->lr.stats.ambiguous_links,
	    (unsigned long long)n->lr.stats.names_only, n->lr.ncannot);
	return 0;
}

/*
 * Queue review items: 'buf' (len bytes) holds COPY text rows of (origin,
 * run_id, kind, reason, reference, resident_id, raised_at). An item is
 * left out while an earlier night's item of the same reason and
 * reference is open (nobody has resolved it): the queue holds a
 * question once, with the night and score it was first raised with. A
 * pair's reference ends in its score, " (p=0.987)", which is not part
 * of the question. Adds the items queued to n->reviews.
 */
static int
nightly_queue(struct nightly *n, const char *buf, size_t len, struct err *e)
{
	char count[32];
	uint64_t rows;
	int rc;

	if ((rc = q(n->conn, e, "CREATE TEMP TABLE IF NOT EXISTS review_new "
	    "(origin text, run_id bigint, kind text, reason text, reference "
	    "text, resident_id bigint, raised_at timestamptz) ON COMMIT "
	    "DROP")) != 0 ||
	    (rc = q(n->conn, e, "TRUNCATE review_new")) != 0 ||
	    (rc = pgcopy_data(n->conn, "review_new (origin, run_id, kind, "
	    "reason, reference, resident_id, raised_at)", buf, len, &rows,
	    e)) != 0 ||
	    (rc = q1(n->conn, e, count, sizeof(count), "WITH ins AS ("
	    "INSERT INTO svod.review_queue (origin, run_id, kind, reason, "
	    "reference, resident_id, raised_at) SELECT r.* FROM review_new r "
	    "WHERE NOT EXISTS (SELECT 1 FROM svod.review_queue q WHERE "
	    "q.resolved_at IS NULL AND q.reason = r.reason AND "
	    "split_part(q.reference, ' (p=', 1) = split_part(r.reference, "
	    "' (p=', 1)) RETURNING 1) SELECT count(*) FROM ins")) != 0)
		return rc;
	n->reviews += strtoull(count, NULL, 10);
	return 0;
}

/* Pairs in the uncertain band go to the advisers' review queue. */
static int
nightly_review_pairs(struct nightly *n, struct cluster *c, struct err *e)
{
	char *buf = NULL, now[64];
	size_t len = 0;
	FILE *fp;
	int rc;

	if (n->lr.nreview == 0)
		return 0;
	if ((rc = q1(n->conn, e, now, sizeof(now), "SELECT now()")) != 0)
		return rc;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return err_set(e, ERR_IO, "cannot buffer reviews: %s",
		    strerror(errno));
	for (size_t i = 0; i < n->lr.nreview; i++) {
		const struct linker_link *l = &n->lr.review[i];
		char ref[2 * CLUSTER_KEY_MAX + 96];

		/* Source references and the score: no personal data. */
		snprintf(ref, sizeof(ref), "%s:%s ~ %s:%s (p=%.3f)",
		    feed_get((enum feed_id)cluster_feed(c, l->a))->name,
		    cluster_key(c, l->a),
		    feed_get((enum feed_id)cluster_feed(c, l->b))->name,
		    cluster_key(c, l->b), l->probability);
		fprintf(fp, "nightly\t%lld\tpair\tuncertain_match\t",
		    n->run_id);
		pgcopy_text(fp, ref, strlen(ref));
		fprintf(fp, "\t%llu\t%s\n",
		    (unsigned long long)cluster_resident(c, l->a), now);
	}
	fclose(fp);
	rc = nightly_queue(n, buf, len, e);
	free(buf);
	return rc;
}

/*
 * A bounded text buffer for one evidence object: appends past 'cap' are
 * counted in 'len' but not written, so len >= cap means it did not fit.
 */
struct nightly_text {
	char	*buf;
	size_t	 cap;
	size_t	 len;
};

static void nightly_text_add(struct nightly_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
nightly_text_add(struct nightly_text *t, const char *fmt, ...)
{
	va_list ap;
	int got;

	va_start(ap, fmt);
	got = vsnprintf(t->len < t->cap ? t->buf + t->len : NULL,
	    t->len < t->cap ? t->cap - t->len : 0, fmt, ap);
	va_end(ap);
	if (got > 0)
		t->len += (size_t)got;
}

/* Append 's' as a JSON string, quoted and escaped. */
static void
nightly_text_json(struct nightly_text *t, const char *s)
{
	nightly_text_add(t, "\"");
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			nightly_text_add(t, "\\%c", ch);
		else if (ch < 0x20)
			nightly_text_add(t, "\\u%04x", ch);
		else
			nightly_text_add(t, "%c", ch);
	}
	nightly_text_add(t, "\"");
}

/*
 * The evidence of a scored pair as a JSON object into buf (cap bytes),
 * one member per field of the model, in its order:
 * {"<field>":{"level":"<level>","weight":<bits, 3 decimals>},...}.
 * The weights are each field's part of the pair's weight, the term
 * frequencies of exact names included (linker_contributions): they add
 * up to the weight stored, but for rounding. Level names and numbers
 * only. *lenp gets the length. Returns 0, or ERR_LIMIT if it does not
 * fit.
 */
static int
nightly_evidence(const struct linker_result *lr,
    const struct linker_candidate *c, char *buf, size_t cap, size_t *lenp,
    struct err *e)
{
	const struct model *md = &lr->model;
	struct nightly_text t = { buf, cap, 0 };
	double contrib[MODEL_FIELDS_MAX], w;
	uint64_t pattern = c->pattern;

	linker_contributions(lr, c, contrib);
	nightly_text_add(&t, "{");
	for (size_t f = 0; f < md->nfields; f++) {
		if (f > 0)
			nightly_text_add(&t, ",");
		nightly_text_json(&t, md->fields[f].name);
		nightly_text_add(&t, ":{\"level\":");
		nightly_text_json(&t, model_level_name(md, f,
		    model_pattern_level(pattern, f)));
		/* Rounded, and never "-0.000". */
		w = round(contrib[f] * 1000.0) / 1000.0;
		nightly_text_add(&t, ",\"weight\":%.3f}", w == 0 ? 0.0 : w);
	}
	nightly_text_add(&t, "}");
	if (t.len >= cap)
		return err_set(e, ERR_LIMIT, "evidence of a scored pair "
		    "longer than %zu bytes", cap);
	*lenp = t.len;
	return 0;
}

/*
 * matcher = probabilistic: every candidate pair the linker compared into
 * run_<id>.match_pair (feed_a, key_a, feed_b, key_b, decision, weight,
 * probability, evidence, reason), a being the lower record position:
 * decision 'link', 'review', 'cannot' or 'none'; evidence
 * (nightly_evidence) for links and review pairs only, NULL otherwise,
 * which keeps the load of a large night cheap; reason, why the decision
 * (linker_why_text: "match", "band", "dob,forename", "names_only", ...). Source references and scores: no token, no
 * personal data. Written to a file in the private directory, then one
 * COPY, reconciled.
 */
static int
nightly_pairs(struct nightly *n, const struct cluster *c, struct err *e)
{
	char path[PATH_MAX + 96], qual[64], ev[4096], why[160];
	double t0 = nightly_now();
	uint64_t rows;
	size_t evlen = 0;
	FILE *fp;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/match_pair.tsv", n->tmpdir);
	if ((fp = fopen(path, "w")) == NULL)
		return err_set(e, ERR_IO, "cannot create '%s': %s", path,
		    strerror(errno));
	for (size_t i = 0; i < n->lr.ncandidates && rc == 0; i++) {
		const struct linker_candidate *p = &n->lr.candidates[i];
		const char *ka = cluster_key(c, p->a), *kb = cluster_key(c,
		    p->b);

		fprintf(fp, "%s\t", feed_get((enum feed_id)cluster_feed(c,
		    p->a))->name);
		pgcopy_text(fp, ka, strlen(ka));
		fprintf(fp, "\t%s\t", feed_get((enum feed_id)cluster_feed(c,
		    p->b))->name);
		pgcopy_text(fp, kb, strlen(kb));
		fprintf(fp, "\t%s\t%.6f\t%.17g\t",
		    linker_decision_name(p->decision), p->weight,
		    p->probability);
		if (p->decision == LINKER_LINK ||
		    p->decision == LINKER_REVIEW) {
			if ((rc = nightly_evidence(&n->lr, p, ev, sizeof(ev),
			    &evlen, e)) != 0)
				break;
			pgcopy_text(fp, ev, evlen);
		} else
			fputs("\\N", fp);
		linker_why_text(p->why, why, sizeof(why));
		fprintf(fp, "\t%s\n", why);
	}
	if (ferror(fp) && rc == 0)
		rc = err_set(e, ERR_IO, "cannot write '%s'", path);
	if (fclose(fp) != 0 && rc == 0)
		rc = err_set(e, ERR_IO, "cannot write '%s'", path);
	if (rc != 0)
		return rc;
	snprintf(qual, sizeof(qual), "%s.match_pair", n->schema);
	if ((rc = pgcopy_file(n->conn, qual, path, &rows, e)) != 0)
		return rc;
	if (rows != n->lr.ncandidates)
		return err_set(e, ERR_SOFTWARE, "reconciliation failed for "
		    "%s: %zu scored pairs, COPY loaded %llu", qual,
		    n->lr.ncandidates, (unsigned long long)rows);
	n->pairs = rows;
	n->t_pairs = nightly_now() - t0;
	log_info("run %lld: %llu scored pairs loaded in %.3f s", n->run_id,
	    (unsigned long long)rows, n->t_pairs);
	return 0;
}

/*
 * Link the records into residents, give them stable ids, write the link
 * file and record new residents and history. Inside the run transaction.
 */
static int
nightly_match(struct nightly *n, struct cluster_stats *cs, struct err *e)
{
	struct cluster *c = cluster_new(n->nrecs);
	struct cluster_prev *prev = NULL;
	PGresult *prevres = NULL;
	const struct cluster_event *ev;
	char path[PATH_MAX + 96], next[32], now[64], *qbuf = NULL;
	uint64_t next_id, first_new;
	size_t nprev = 0, nev, qlen = 0;
	uint64_t rows;
	FILE *fp = NULL, *qfp;
	int rc;

	for (size_t i = 0; i < n->nrecs; i++) {
		struct cluster_rec r = { n->recs[i].feed, n->recs[i].key,
			n->recs[i].have,
			(const unsigned char (*)[PSEUDONYM_TOKEN_LEN])
			    n->recs[i].tok };

		if ((rc = cluster_add(c, &r, e)) != 0)
			goto out;
	}
	if (n->crecs != NULL && (rc = nightly_score(n, c, e)) != 0)
		goto out;
	if ((rc = cluster_run(c, e)) != 0)
		goto out;
	if ((rc = nightly_prev(n, &prev, &nprev, &prevres, e)) != 0)
		goto out;
	/* A replay numbers new residents from where the original did. */
	if (n->replay)
		snprintf(next, sizeof(next), "%llu",
		    (unsigned long long)n->first_new_id);
	else if ((rc = q1(n->conn, e, next, sizeof(next), "SELECT coalesce("
	    "max(resident_id), 0) + 1 FROM svod.resident")) != 0)
		goto out;
	first_new = next_id = strtoull(next, NULL, 10);
	n->first_new_id = first_new;
	if ((rc = cluster_assign_ids(c, prev, nprev, &next_id, e)) != 0)
		goto out;
	cluster_stats(c, cs);
	snprintf(path, sizeof(path), "%s/link.tsv", n->tmpdir);
	if ((fp = fopen(path, "w")) == NULL) {
		rc = err_set(e, ERR_IO, "cannot create '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < cluster_nrecords(c); i++) {
		const char *rule = cluster_rule_name(cluster_rule(c, i));
		double w = cluster_link_weight(c, i);

		fprintf(fp, "%s\t%s\t%llu\t%s\t",
		    feed_get((enum feed_id)cluster_feed(c, i))->name,
		    cluster_key(c, i),
		    (unsigned long long)cluster_resident(c, i), rule);
		/* A scored link's weight and its probability. */
		if (isnan(w))
			fputs("\\N\t\\N\n", fp);
		else
			fprintf(fp, "%.6f\t%.17g\n", w,
			    model_probability(w, n->lr.model.lambda));
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		rc = err_set(e, ERR_IO, "cannot write '%s'", path);
		goto out;
	}
	fp = NULL;
	{
		char qual[64];

		snprintf(qual, sizeof(qual), "%s.link", n->schema);
		if ((rc = pgcopy_file(n->conn, qual, path, &rows, e)) != 0)
			goto out;
		if (rows != cluster_nrecords(c)) {
			rc = err_set(e, ERR_SOFTWARE, "reconciliation failed "
			    "for %s: %zu links, COPY loaded %llu", qual,
			    cluster_nrecords(c), (unsigned long long)rows);
			goto out;
		}
	}
	n->links = rows;
	n->residents = cluster_count(c);
	n->new_ids = next_id - first_new;
	if (n->scored && (rc = nightly_pairs(n, c, e)) != 0)
		goto out;
	/* A replay writes nothing outside its scratch schema. */
	if (n->replay)
		goto out;
	if (n->scored && (rc = nightly_review_pairs(n, c, e)) != 0)
		goto out;
	/* New residents, and every resident seen tonight. */
	if ((rc = q(n->conn, e, "INSERT INTO svod.resident (resident_id, "
	    "first_run, last_run) SELECT DISTINCT resident_id, %lld, %lld "
	    "FROM %s.link WHERE resident_id >= %llu", n->run_id, n->run_id,
	    n->schema, (unsigned long long)first_new)) != 0)
		goto out;
	if ((rc = q(n->conn, e, "UPDATE svod.resident r SET last_run = %lld "
	    "FROM (SELECT DISTINCT resident_id FROM %s.link) l "
	    "WHERE r.resident_id = l.resident_id", n->run_id, n->schema)))
		goto out;
	ev = cluster_events(c, &nev);
	for (size_t i = 0; i < nev; i++)
		if ((rc = q(n->conn, e, "INSERT INTO svod.resident_history "
		    "(run_id, resident_id, event, other_resident_id) VALUES "
		    "(%lld, %llu, '%s', %llu)", n->run_id,
		    (unsigned long long)ev[i].resident_id,
		    ev[i].kind == CLUSTER_EVENT_MERGE ? "merge" : "split",
		    (unsigned long long)ev[i].other_id)) != 0)
			goto out;
	if ((rc = q(n->conn, e, "INSERT INTO svod.resident_history (run_id, "
	    "resident_id, event) SELECT %lld, resident_id, 'new' FROM "
	    "svod.resident WHERE first_run = %lld", n->run_id,
	    n->run_id)) != 0)
		goto out;
	/* A debt with no usable identity at all is a resident of its own,
	 * flagged for an adviser to review. */
	if ((rc = q1(n->conn, e, now, sizeof(now), "SELECT now()")) != 0 ||
	    (qfp = open_memstream(&qbuf, &qlen)) == NULL) {
		if (rc == 0)
			rc = err_set(e, ERR_IO, "cannot buffer reviews: %s",
			    strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < cluster_nrecords(c); i++) {
		const char *key = cluster_key(c, i);

		if (n->recs[i].have != 0)
			continue;
		fprintf(qfp, "nightly\t%lld\tresident\tno_identity\t%s:",
		    n->run_id, feed_get((enum feed_id)cluster_feed(c,
		    i))->name);
		pgcopy_text(qfp, key, strlen(key));
		fprintf(qfp, "\t%llu\t%s\n",
		    (unsigned long long)cluster_resident(c, i), now);
	}
	fclose(qfp);
	if (qlen > 0)
		rc = nightly_queue(n, qbuf, qlen, e);
	free(qbuf);
out:
	if (fp != NULL)
		fclose(fp);
	free(prev);
	PQclear(prevres);
	cluster_free(c);
	return rc;
}

/* SHA-256 (hex) and total size of a feed's files, read in order. */
static int
nightly_sha256(char *const *files, unsigned nfiles, char out[65],
    uint64_t *size, struct err *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], dig[32];
	unsigned dlen = 0;
	int rc = 0;

	*size = 0;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return err_set(e, ERR_CRYPTO, "cannot start SHA-256");
	}
	for (unsigned i = 0; i < nfiles && rc == 0; i++) {
		FILE *fp = fopen(files[i], "rb");
		size_t got;

		if (fp == NULL) {
			rc = err_set(e, ERR_IO, "cannot open '%s': %s",
			    files[i], strerror(errno));
			break;
		}
		while ((got = fread(buf, 1, sizeof(buf), fp)) > 0) {
			EVP_DigestUpdate(md, buf, got);
			*size += got;
		}
		if (ferror(fp))
			rc = err_set(e, ERR_IO, "cannot read '%s'", files[i]);
		fclose(fp);
	}
	if (rc == 0 && EVP_DigestFinal_ex(md, dig, &dlen) != 1)
		rc = err_set(e, ERR_CRYPTO, "cannot finish SHA-256");
	for (unsigned i = 0; rc == 0 && i < dlen; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * SHA-256 of an ordered dump of a table or view: COPY (SELECT * FROM t
 * ORDER BY 'order') TO STDOUT, so equal contents hash equal. 'order' is
 * the whole row when NULL, else columns that are unique in 'rel'
 * (cheaper than comparing whole rows).
 */
static int
nightly_digest(PGconn *c, const char *rel, const char *order, char out[65],
    uint64_t *rows, struct err *e)
{
	char sql[256];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[32];
	unsigned dlen = 0;
	PGresult *res;
	char *buf;
	int len, rc = 0;

	*rows = 0;
	snprintf(sql, sizeof(sql), "COPY (SELECT * FROM %s t ORDER BY %s) TO "
	    "STDOUT", rel, order != NULL ? order : "t");
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		rc = err_set(e, ERR_DB, "cannot dump %s: %s", rel,
		    PQerrorMessage(c));
		PQclear(res);
		EVP_MD_CTX_free(md);
		return rc;
	}
	PQclear(res);
	while ((len = PQgetCopyData(c, &buf, 0)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)len);
		(*rows)++;
		PQfreemem(buf);
	}
	while ((res = PQgetResult(c)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0)
			rc = err_set(e, ERR_DB, "cannot dump %s: %s", rel,
			    PQerrorMessage(c));
		PQclear(res);
	}
	EVP_DigestFinal_ex(md, dig, &dlen);
	for (unsigned i = 0; i < dlen; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	EVP_MD_CTX_free(md);
	return rc;
}

/* A feed's reject locations into svod.reject, with one COPY. */
static int
nightly_rejects(struct nightly *n, const struct pipeline_feed *pf,
    struct err *e)
{
	char *buf = NULL;
	size_t len = 0;
	uint64_t rows;
	FILE *fp;
	int rc;

	if (pf->st.nlocs == 0)
		return 0;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return err_set(e, ERR_IO, "cannot buffer rejects: %s",
		    strerror(errno));
	for (size_t k = 0; k < pf->st.nlocs; k++) {
		const struct reject *r = &pf->st.locs[k];

		fprintf(fp, "%lld\t%s\t", n->run_id, pf->cf->desc->name);
		pgcopy_text(fp, r->file, strlen(r->file));
		fprintf(fp, "\t%lu\t", r->line);
		if (r->column)
			fprintf(fp, "%u", r->column);
		else
			fputs("\\N", fp);
		fputc('\t', fp);
		if (r->field)
			pgcopy_text(fp, r->field, strlen(r->field));
		else
			fputs("\\N", fp);
		fputc('\t', fp);
		pgcopy_text(fp, r->reason, strlen(r->reason));
		fputc('\t', fp);
		pgcopy_text(fp, r->message, strlen(r->message));
		fputc('\n', fp);
	}
	fclose(fp);
	rc = pgcopy_data(n->conn, "svod.reject (run_id, feed, file, line, "
	    "column_no, field, reason, message)", buf, len, &rows, e);
	free(buf);
	if (rc == 0 && rows != pf->st.nlocs)
		rc = err_set(e, ERR_SOFTWARE, "reconciliation failed for "
		    "svod.reject: %zu rejects, COPY loaded %llu", pf->st.nlocs,
		    (unsigned long long)rows);
	return rc;
}

/* Record each feed's input and tallies, and the rejects, in svod. */
static int
nightly_inputs(struct nightly *n, json_t *inputs, json_t *rejects,
    struct err *e)
{
	char asof[11];
	int rc;

	fields_date_format(n->cfg->as_of, asof);
	for (size_t f = 0; f < FEED_COUNT; f++) {
		const struct pipeline_feed *pf = &n->pl.feeds[f];
		char sha[65] = "", *paths;
		const char *vals[9];
		char num[5][24];
		uint64_t size = 0;
		size_t plen = 1;
		PGresult *res;

		if (!pf->cf->enabled)
			continue;
		if (n->carried[f]) {
			/* Last night's data: its date, marked stale. */
			if ((rc = q(n->conn, e, "INSERT INTO svod.run_input "
			    "(run_id, feed, rows_read, rows_loaded, "
			    "rows_rejected, data_as_of, stale) SELECT %lld, "
			    "feed, 0, %llu, 0, data_as_of, true FROM "
			    "svod.run_input WHERE feed = '%s' AND run_id = "
			    "(SELECT run_id FROM svod.run WHERE schema_name "
			    "= '%s')", n->run_id,
			    (unsigned long long)n->loaded[f],
			    pf->cf->desc->name, n->prev_schema)) != 0)
				return rc;
			json_array_append_new(inputs, json_pack("{s:s,s:b,"
			    "s:s,s:I}", "feed", pf->cf->desc->name, "stale",
			    1, "carried_from", n->prev_schema, "rows_loaded",
			    (json_int_t)n->loaded[f]));
			continue;
		}
		if ((rc = nightly_sha256(pf->files, pf->nfiles, sha, &size,
		    e)) != 0)
			return rc;
		for (unsigned i = 0; i < pf->nfiles; i++)
			plen += strlen(pf->files[i]) + 1;
		paths = xcalloc(1, plen);
		for (unsigned i = 0; i < pf->nfiles; i++) {
			if (i)
				strcat(paths, " ");
			strcat(paths, pf->files[i]);
		}
		snprintf(num[0], sizeof(num[0]), "%lld", n->run_id);
		snprintf(num[1], sizeof(num[1]), "%llu",
		    (unsigned long long)size);
		snprintf(num[2], sizeof(num[2]), "%llu",
		    (unsigned long long)pf->st.read);
		snprintf(num[3], sizeof(num[3]), "%llu",
		    (unsigned long long)n->loaded[f]);
		snprintf(num[4], sizeof(num[4]), "%llu",
		    (unsigned long long)pf->st.rejected);
		vals[0] = num[0];
		vals[1] = pf->cf->desc->name;
		vals[2] = paths;
		vals[3] = num[1];
		vals[4] = sha;
		vals[5] = num[2];
		vals[6] = num[3];
		vals[7] = num[4];
		vals[8] = asof;
		res = PQexecParams(n->conn, "INSERT INTO svod.run_input "
		    "(run_id, feed, path, size_bytes, sha256, rows_read, "
		    "rows_loaded, rows_rejected, data_as_of, stale) VALUES "
		    "($1, $2, $3, $4, $5, $6, $7, $8, $9, false)", 9, NULL,
		    vals, NULL, NULL, 0);
		rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0
		    : err_set(e, ERR_DB, "cannot record run input: %s",
			PQerrorMessage(n->conn));
		PQclear(res);
		json_array_append_new(inputs, json_pack("{s:s,s:s,s:I,s:s,"
		    "s:I,s:I,s:I,s:I}", "feed", pf->cf->desc->name, "path",
		    paths, "size_bytes", (json_int_t)size, "sha256", sha,
		    "rows_read", (json_int_t)pf->st.read, "rows_loaded",
		    (json_int_t)n->loaded[f], "rows_rejected",
		    (json_int_t)pf->st.rejected, "warnings",
		    (json_int_t)pf->st.warnings));
		free(paths);
		if (rc != 0)
			return rc;
		if (pf->st.read != pf->st.accepted + pf->st.rejected ||
		    n->loaded[f] != pf->st.accepted)
			return err_set(e, ERR_SOFTWARE, "reconciliation failed "
			    "for %s: read %llu, loaded %llu, rejected %llu",
			    pf->cf->desc->name,
			    (unsigned long long)pf->st.read,
			    (unsigned long long)n->loaded[f],
			    (unsigned long long)pf->st.rejected);
		for (size_t k = 0; k < pf->st.nreject_kinds; k++)
			json_array_append_new(rejects, json_pack("{s:s,s:s,"
			    "s:s,s:I}", "feed", pf->cf->desc->name, "field",
			    pf->st.rejects[k].field, "reason",
			    pf->st.rejects[k].reason, "count",
			    (json_int_t)pf->st.rejects[k].n));
		if ((rc = nightly_rejects(n, pf, e)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Repoint the published views in one short transaction. Readers hold the
 * views while they read, and a reader may take them in another order than
 * svod.publish does, so waiting long for one view while holding another
 * could block both: wait at most 50 ms for each lock, then give all of
 * them back and try again after a short, varied pause.
 */
/*
 * About 3 to 4 minutes of tries at most: readers are never held up by a
 * try for more than 50 ms, so a night may wait long for a quiet moment
 * rather than fail.
 */
#define NIGHTLY_PUBLISH_TRIES 2000

static int
nightly_publish(struct nightly *n, struct err *e)
{
	int rc = 0;

	for (int attempt = 1; attempt <= NIGHTLY_PUBLISH_TRIES; attempt++) {
		double t0 = nightly_now();

		if ((rc = q(n->conn, e, "BEGIN")) != 0)
			return rc;
		if ((rc = q(n->conn, e, "SET LOCAL lock_timeout = '50ms'")) ||
		    /* publish() also moves the run statuses. */
		    (rc = q(n->conn, e, "SELECT svod.publish('%s')",
		    n->schema)) != 0 ||
		    (rc = q(n->conn, e, "UPDATE svod.run SET finished_at = "
		    "now() WHERE run_id = %lld", n->run_id)) != 0 ||
		    (rc = q(n->conn, e, "COMMIT")) != 0) {
			q(n->conn, NULL, "ROLLBACK");
			if (rc != ERR_TEMPFAIL)
				return rc;
			if (attempt == 1 || attempt % 100 == 0)
				log_warn("publish waited too long for a lock "
				    "(attempt %d of %d); retrying", attempt,
				    NIGHTLY_PUBLISH_TRIES);
			/* 20 to 80 ms, varied so retries do not beat in
			 * step with readers. */
			usleep(20000u + 1000u * (unsigned)((attempt * 37 +
			    getpid()) % 61));
			continue;
		}
		n->publish_ms = (nightly_now() - t0) * 1000.0;
		n->publish_tries = attempt;
		return 0;
	}
	return rc;
}

/* Drop the schemas of runs beyond the newest keep_runs. */
static void
nightly_retention(struct nightly *n)
{
	PGresult *res;
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT schema_name FROM svod.run WHERE "
	    "schema_name IS NOT NULL AND status IN ('superseded', 'failed') "
	    "ORDER BY run_id DESC OFFSET %d", n->cfg->keep_runs - 1);
	res = PQexec(n->conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(res); i++) {
			if (q(n->conn, NULL, "DROP SCHEMA IF EXISTS %s CASCADE",
			    PQgetvalue(res, i, 0)) == 0)
				log_info("dropped %s (keep_runs %d)",
				    PQgetvalue(res, i, 0), n->cfg->keep_runs);
		}
	}
	PQclear(res);
}

/* The run's manifest: stored in svod.run and written as JSON. */
static int
nightly_manifest(struct nightly *n, json_t *m, struct err *e)
{
	char path[PATH_MAX + 64], *text;
	const char *vals[2];
	char id[24];
	PGresult *res;
	int rc = 0;

	text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	snprintf(id, sizeof(id), "%lld", n->run_id);
	vals[0] = text;
	vals[1] = id;
	res = PQexecParams(n->conn, "UPDATE svod.run SET manifest = $1::jsonb "
	    "WHERE run_id = $2", 2, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = err_set(e, ERR_DB, "cannot store the manifest: %s",
		    PQerrorMessage(n->conn));
	PQclear(res);
	snprintf(path, sizeof(path), "%s/manifests", n->statedir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/manifests/run-%s.json", n->statedir,
	    id);
	if (rc == 0 && json_dump_file(m, path, JSON_INDENT(2) |
	    JSON_SORT_KEYS) != 0)
		rc = err_set(e, ERR_IO, "cannot write '%s'", path);
	else if (rc == 0)
		log_info("manifest %s", path);
	free(text);
	return rc;
}

static void
nightly_summary(const struct nightly *n, const struct cluster_stats *cs)
{
	pipeline_print(&n->pl, stdout, true);
	printf("\n%-18s %10s %10s %9s\n", "stage", "records", "out",
	    "seconds");
	printf("%-18s %10zu %10llu %9.3f\n", "match", cs->records,
	    (unsigned long long)n->residents, n->t_match);
	uint64_t rows = n->links;

	for (size_t f = 0; f < FEED_COUNT; f++)
		for (int k = 0; k < RUNFILES_KINDS; k++)
			rows += n->rf.rows[f][k];
	printf("%-18s %10llu %10s %9.3f\n", "load (rows)",
	    (unsigned long long)rows, "", n->t_load);
	printf("%-18s %10s %10s %9.3f\n", "  copy", "", "", n->t_copy);
	printf("%-18s %10s %10s %9.3f\n", "  index, analyze", "", "",
	    n->t_index);
	printf("%-18s %10s %10s %9.3f\n", "  inputs, views", "", "",
	    n->t_views);
	printf("%-18s %10s %10s %9.3f\n", "  digests", "", "", n->t_digest);
	printf("%-18s %10s %10s %9.3f  (locks held %.1f ms, %d %s)\n",
	    "publish", "", "", n->t_publish, n->publish_ms, n->publish_tries,
	    n->publish_tries == 1 ? "try" : "tries");
	printf("\nrun %lld published as %s: %zu records, %llu residents "
	    "(%llu new), links by rule:", n->run_id, n->schema, cs->records,
	    (unsigned long long)n->residents,
	    (unsigned long long)n->new_ids);
	for (size_t r = 0; r < CLUSTER_RULES; r++)
		printf(" %s %zu", cluster_rule_name(cluster_rule_at(r)),
		    cs->links[r]);
	printf("; %zu merges refused, %zu without identity\n", cs->refused,
	    cs->no_identity);
	if (n->scored)
		printf("probabilistic: %llu candidate pairs, %.0f comparisons/s, "
		    "lambda %.5f; %zu links (%zu joined), %zu to review, %zu "
		    "that may not join (%zu merges refused by them); %llu "
		    "scored pairs loaded in %.3f s\n",
		    (unsigned long long)n->lr.stats.candidate_pairs,
		    n->lr.stats.comparisons_per_second, n->lr.stats.lambda,
		    n->lr.nlinks, cs->scored_links, n->lr.nreview,
		    n->lr.ncannot, cs->refused_cannot,
		    (unsigned long long)n->pairs, n->t_pairs);
}

/* The digests of the run's tables and views, for the manifest. */
static int
nightly_digests(struct nightly *n, json_t *out, struct err *e)
{
	static const char *const extra[] = { "link", "debt_line",
		"resident_debt" };
	char rel[128], table[96], sha[65];
	uint64_t rows;
	int rc;

	for (size_t f = 0; f < FEED_COUNT + 1; f++) {
		for (int k = 0; k < RUNFILES_KINDS; k++) {
			if (f == FEED_COUNT) {
				if (k >= 3)
					break;
				snprintf(table, sizeof(table), "%s", extra[k]);
			} else {
				if (k == RUNFILES_ITEMS && (!feed_get(f)->item
				    || feed_get(f)->item_is_record))
					continue;
				runfiles_table((enum feed_id)f,
				    (enum runfiles_kind)k, table,
				    sizeof(table));
			}
			snprintf(rel, sizeof(rel), "%s.%s", n->schema, table);
			if ((rc = nightly_digest(n->conn, rel, NULL, sha,
			    &rows, e)))
				return rc;
			json_object_set_new(out, table, json_pack("{s:s,s:I}",
			    "sha256", sha, "rows", (json_int_t)rows));
		}
	}
	/*
	 * The scored pairs (empty for the deterministic matcher), ordered by
	 * the pair, which the linker gives once: half the time of whole rows
	 * with their evidence at a million residents.
	 */
	snprintf(rel, sizeof(rel), "%s.match_pair", n->schema);
	if ((rc = nightly_digest(n->conn, rel, "feed_a, key_a, feed_b, key_b",
	    sha, &rows, e)) != 0)
		return rc;
	json_object_set_new(out, "match_pair", json_pack("{s:s,s:I}",
	    "sha256", sha, "rows", (json_int_t)rows));
	return 0;
}

/*
 * The fitted model for the manifest: lambda, and per field (by name)
 * its levels in order, each with m, u and weight (log2 m/u, bits). The
 * missing level has none (it weighs 0) and is left out.
 */
static json_t *
nightly_model_json(const struct model *md)
{
	json_t *fields = json_object(), *levels;

	for (size_t f = 0; f < md->nfields; f++) {
		levels = json_array();
		for (int l = 0; l < md->fields[f].nlevels; l++) {
			if (l == md->fields[f].missing)
				continue;
			json_array_append_new(levels, json_pack("{s:s,s:f,s:f,"
			    "s:f}", "level", model_level_name(md, f, l), "m",
			    md->m[f][l], "u", md->u[f][l], "weight",
			    md->w[f][l]));
		}
		json_object_set_new(fields, md->fields[f].name, levels);
	}
	return json_pack("{s:f,s:o}", "lambda", md->lambda, "fields", fields);
}

static int
nightly_run(struct nightly *n, struct err *e)
{
	struct cluster_stats cs;
	json_t *m = NULL, *inputs, *rejects, *digests;
	char id[32], asof[11], digest[65];
	double t0;
	int rc;

	memset(&cs, 0, sizeof(cs));
	if ((rc = nightly_host_lock(n, e)) != 0)
		return rc;
	if ((rc = pipeline_init(&n->pl, n->cfg, true, e)) != 0)
		return rc;
	n->pl_live = true;
	if (n->cfg->probabilistic) {
		struct encode_params ep;
		struct dob_parts day;

		if (normalize_dob_parts(n->cfg->as_of, &day) == 0)
			n->as_of_year = day.year;
		encode_params_default(ENCODE_NAME, &ep);
		if ((n->encode = encode_new(n->pl.ps, ENCODE_NAME, &ep, e)) ==
		    NULL)
			return e->code;
	}
	if ((rc = pgconn_open(n->cfg->database, &n->conn, e)) != 0)
		return rc;
	/*
	 * JIT compiling the views' plans costs seconds on a large night
	 * (estimates run far above the real row counts) and saves nothing.
	 */
	if ((rc = q(n->conn, e, "SET jit = off")) != 0 ||
	    (rc = q(n->conn, e, "SET application_name = 'svod nightly pid "
	    "%ld'", (long)getpid())) != 0 ||
	    (!n->replay && (rc = nightly_db_lock(n, e)) != 0))
		return rc;
	/* A run left 'loading' was killed: its transaction is gone. */
	if (!n->replay && (rc = q(n->conn, e, "UPDATE svod.run SET status = "
	    "'failed', finished_at = now() WHERE status = 'loading'")) != 0)
		return rc;
	if ((rc = config_digest(n->cfg, digest, e)) != 0)
		return rc;
	fields_date_format(n->cfg->as_of, asof);
	if ((rc = q1(n->conn, e, id, sizeof(id), "INSERT INTO svod.run "
	    "(status, started_at, as_of, config_digest, key_fingerprint, "
	    "code_version) "
	    "VALUES ('%s', now(), '%s', '%s', '%s', '%s') RETURNING run_id",
	    n->replay ? "replay" : "loading", asof, digest,
	    n->pl.key_fingerprint, SVOD_VERSION)) != 0)
		return rc;
	n->run_id = atoll(id);
	if (n->replay)
		snprintf(n->schema, sizeof(n->schema), "%s", n->replay_schema);
	else
		snprintf(n->schema, sizeof(n->schema), "run_%lld", n->run_id);
	log_info("run %lld: as of %s, key %s", n->run_id, asof,
	    n->pl.key_fingerprint);

	/* Extract into private files (they hold contact details). */
	snprintf(n->tmpdir, sizeof(n->tmpdir), "%s/tmp-%s", n->statedir,
	    n->schema);
	if (mkdir(n->tmpdir, 0700) != 0 && errno != EEXIST)
		return err_set(e, ERR_IO, "cannot create '%s': %s", n->tmpdir,
		    strerror(errno));
	runfiles_init(&n->rf, n->tmpdir);
	n->rf_live = true;
	n->pl.fn = nightly_record;
	n->pl.arg = n;
	n->tty = isatty(STDERR_FILENO) && log_get_level() <= LOG_INFO;
	nightly_stage(n, "extracting");
	t0 = nightly_now();
	rc = pipeline_run(&n->pl, e);
	if (rc == ERR_NOINPUT && (rc = nightly_carry_decide(n, e)) != 0)
		log_error("a feed is missing and carry_forward is off, or "
		    "no earlier run holds its data");
	if (runfiles_finish(&n->rf, rc == 0, rc == 0 ? e : NULL) != 0 &&
	    rc == 0)
		rc = e->code;
	n->t_extract = nightly_now() - t0;
	if (rc != 0)
		return rc;
	if (n->crec_rc != 0) {
		*e = n->crec_err;
		return n->crec_rc;
	}

	/* Load, match and build the views in one transaction. */
	nightly_stage(n, "loading");
	t0 = nightly_now();
	if ((rc = q(n->conn, e, "BEGIN")) != 0 ||
	    (rc = q(n->conn, e, "CREATE SCHEMA %s", n->schema)) != 0 ||
	    (rc = q(n->conn, e, "UPDATE svod.run SET schema_name = '%s' "
	    "WHERE run_id = %lld", n->schema, n->run_id)) != 0 ||
	    (rc = nightly_tables(n, e)) != 0)
		return rc;
	for (size_t f = 0; f < FEED_COUNT; f++)
		for (int k = 0; k < RUNFILES_KINDS; k++) {
			if (k == RUNFILES_ITEMS && (!feed_get(f)->item ||
			    feed_get(f)->item_is_record))
				continue;
			if ((rc = nightly_copy(n, (enum feed_id)f,
			    (enum runfiles_kind)k, e)) != 0)
				return rc;
		}
	n->t_load = n->t_copy = nightly_now() - t0;
	nightly_stage(n, "matching");
	t0 = nightly_now();
	if ((rc = nightly_match(n, &cs, e)) != 0)
		return rc;
	n->t_match = nightly_now() - t0;
	t0 = nightly_now();
	m = json_object();
	inputs = json_array();
	rejects = json_array();
	digests = json_object();
	json_object_set_new(m, "inputs", inputs);
	json_object_set_new(m, "rejects", rejects);
	json_object_set_new(m, "digests", digests);
	{
		double t1 = nightly_now();

		if ((rc = nightly_indexes(n, e)) != 0)
			goto out;
		n->t_index = nightly_now() - t1;
		t1 = nightly_now();
		if ((rc = nightly_inputs(n, inputs, rejects, e)) != 0 ||
		    (rc = q(n->conn, e, "SELECT svod.create_run_views('%s')",
		    n->schema)) != 0)
			goto out;
		n->t_views = nightly_now() - t1;
		t1 = nightly_now();
		if ((rc = nightly_digests(n, digests, e)) != 0)
			goto out;
		n->t_digest = nightly_now() - t1;
	}
	json_object_set_new(m, "run_id", json_integer(n->run_id));
	json_object_set_new(m, "schema", json_string(n->schema));
	json_object_set_new(m, "code_version", json_string(SVOD_VERSION));
	json_object_set_new(m, "config_digest", json_string(digest));
	json_object_set_new(m, "key_fingerprint",
	    json_string(n->pl.key_fingerprint));
	json_object_set_new(m, "as_of", json_string(asof));
	/* What svod replay needs to give the same residents the same ids. */
	json_object_set_new(m, "prev_run", n->prev_run != 0
	    ? json_integer(n->prev_run) : json_null());
	json_object_set_new(m, "first_new_id",
	    json_integer((json_int_t)n->first_new_id));
	json_object_set_new(m, "matching", json_pack("{s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I}", "records", (json_int_t)cs.records, "residents",
	    (json_int_t)cs.clusters, "refused", (json_int_t)cs.refused,
	    "no_identity", (json_int_t)cs.no_identity, "inherited",
	    (json_int_t)cs.inherited, "new_ids", (json_int_t)cs.new_ids,
	    "merges", (json_int_t)cs.merges, "splits", (json_int_t)cs.splits));
	if (n->scored)
		json_object_set_new(m, "scoring", json_pack("{s:s,s:I,s:I,s:I,"
		    "s:I,s:I,s:f,s:f,s:f,s:I}", "matcher", "probabilistic",
		    "candidate_pairs",
		    (json_int_t)n->lr.stats.candidate_pairs, "links",
		    (json_int_t)n->lr.nlinks, "review",
		    (json_int_t)n->lr.nreview, "cannot",
		    (json_int_t)n->lr.ncannot, "em_iterations",
		    (json_int_t)n->lr.stats.em_iterations, "lambda",
		    n->lr.stats.lambda, "match_probability",
		    n->cfg->match_pct / 100.0, "review_probability",
		    n->cfg->review_pct / 100.0, "match_pairs",
		    (json_int_t)n->pairs));
	if (n->scored)
		json_object_set_new(m, "model",
		    nightly_model_json(&n->lr.model));
	if ((rc = nightly_manifest(n, m, e)) != 0 ||
	    (rc = q(n->conn, e, "COMMIT")) != 0)
		goto out;
	n->t_load += nightly_now() - t0;
	if (n->replay)
		goto out;	/* never published */

	nightly_stage(n, "publishing");
	t0 = nightly_now();
	if ((rc = nightly_publish(n, e)) != 0)
		goto out;
	n->t_publish = nightly_now() - t0;
	if (n->tty)
		fprintf(stderr, "\r%-60s\r", "");
	nightly_retention(n);
	nightly_summary(n, &cs);
out:
	json_decref(m);
	return rc;
}

/* After a run, good or failed: roll back, clean up, free. */
static void
nightly_release(struct nightly *n, int rc)
{
	if (rc != 0 && n->run_id != 0 && PQstatus(n->conn) == CONNECTION_OK) {
		/* The load transaction, if open, is rolled back first. */
		q(n->conn, NULL, "ROLLBACK");
		q(n->conn, NULL, "UPDATE svod.run SET status = 'failed', "
		    "finished_at = now() WHERE run_id = %lld AND status = "
		    "'loading'", n->run_id);
	}
	if (n->tmpdir[0] != '\0') {
		/* The run files hold contact details: never leave them. */
		char lp[PATH_MAX + 96];

		for (size_t f = 0; n->rf_live && f < FEED_COUNT; f++)
			for (int k = 0; k < RUNFILES_KINDS; k++)
				if (runfiles_path(&n->rf, (enum feed_id)f,
				    (enum runfiles_kind)k) != NULL)
					unlink(runfiles_path(&n->rf,
					    (enum feed_id)f,
					    (enum runfiles_kind)k));
		snprintf(lp, sizeof(lp), "%s/link.tsv", n->tmpdir);
		unlink(lp);
		snprintf(lp, sizeof(lp), "%s/match_pair.tsv", n->tmpdir);
		unlink(lp);
		rmdir(n->tmpdir);
	}
	if (n->rf_live)
		runfiles_release(&n->rf);
	if (n->pl_live)
		pipeline_release(&n->pl);
	pgconn_close(n->conn);
	if (n->lockfd >= 0)
		close(n->lockfd);
	free(n->recs);
	free(n->crecs);
	encode_free(n->encode);
	if (n->scored)
		linker_result_free(&n->lr);
	free(n->seen);
	arena_release(&n->keys);
}

/* See jobs/jobs.h. */
int
nightly_replay(struct config *cfg, const char *schema,
    const char *prev_schema, uint64_t first_new_id, long long *run_id,
    struct err *e)
{
	struct nightly n;
	int rc;

	memset(&n, 0, sizeof(n));
	n.lockfd = -1;
	arena_init(&n.keys, 1 << 20);
	n.cfg = cfg;
	n.replay = true;
	snprintf(n.replay_schema, sizeof(n.replay_schema), "%s", schema);
	snprintf(n.replay_prev, sizeof(n.replay_prev), "%s", prev_schema);
	n.first_new_id = first_new_id;
	rc = nightly_run(&n, e);
	*run_id = n.run_id;
	nightly_release(&n, rc);
	return rc;
}

int
cmd_nightly(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL, *as_of = NULL;
	struct nightly n;
	struct err e;
	int c, rc;

	err_clear(&e);
	memset(&n, 0, sizeof(n));
	n.lockfd = -1;
	arena_init(&n.keys, 1 << 20);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'a':
			as_of = optarg;
			break;
		case 'h':
			fputs(nightly_usage, stdout);
			return EX_OK;
		default:
			fputs(nightly_usage, stderr);
			return EX_USAGE;
		}
	}
	if (path == NULL || optind != argc) {
		fputs(nightly_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = config_load(path, &n.cfg, &e)) == 0 && as_of != NULL)
		rc = config_set_as_of(n.cfg, as_of, &e);
	if (rc == 0)
		rc = nightly_run(&n, &e);
	nightly_release(&n, rc);
	config_free(n.cfg);
	if (rc != 0) {
		err_print(&e);
		return err_exit_status(rc);
	}
	return EX_OK;
}
