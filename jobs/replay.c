/*
 * svod replay --config FILE [--keep] RUN_ID: run a past night again from
 * its manifest and compare, for auditors. The manifest in svod.run names
 * the as-of date, the key (by fingerprint), each input's path, size and
 * SHA-256, and the SHA-256 of an ordered dump of every table the run
 * loaded. The replay first checks every input: a missing or changed file
 * stops it (EX_DATAERR), naming the feed with the expected and actual
 * digests. It then runs extract, pseudonymise, match and load through
 * the nightly job's own code (nightly_replay() in jobs/nightly.c) into a
 * scratch schema replay_<run>_<n>, recorded in svod.run with status
 * 'replay' and never published, compares the digests table by table,
 * prints them, and drops the scratch schema unless --keep.
 *
 * Resident ids. A night's ids depend on more than its inputs: a cluster
 * inherits the id of the cluster of the previous published night it
 * overlaps most, and new clusters are numbered from the next free id. The
 * manifest therefore records "prev_run", the run whose links the night
 * inherited from, and "first_new_id", the first id it gave a new
 * resident. The replay inherits from that same run's link table (still
 * in the database while the run is kept) and numbers from that same id,
 * so it reproduces the original's assignment instead of copying it. When
 * the previous run's schema has been dropped, the ids cannot be replayed:
 * the tables that carry them (link, debt_line, resident_debt) are
 * reported "not compared" and everything else is still compared.
 *
 * Exit status: 0 every table of the original was replayed and is
 * identical; 1 a table differs, or could not be compared; 65 an input is
 * missing or changed, or the original has no manifest; otherwise the
 * usual sysexits.h codes (78 a different key, 69 no database, ...).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/feed.h"
#include "etl/keyfile.h"
#include "etl/log.h"
#include "etl/pgconn.h"
#include "etl/xalloc.h"
#include "jobs/jobs.h"

/* Exit status when the replay ran but its result is not identical. */
#define REPLAY_DIFFERENT 1

static const char replay_usage[] =
    "usage: svod replay --config FILE [--keep] RUN_ID\n"
    "Run a past night again from its manifest (inputs, as-of date, key)\n"
    "into a scratch schema replay_<run>_<n>, never published, and compare\n"
    "the SHA-256 of every table with the original's. Every input must\n"
    "still exist with the size and SHA-256 the manifest records. The\n"
    "scratch schema is dropped afterwards unless --keep is given.\n"
    "Exit status: 0 identical; 1 a table differs or could not be\n"
    "compared (resident ids cannot be replayed once the previous run's\n"
    "schema is dropped); 65 an input is missing or changed; 78 a different\n"
    "key or a bad configuration; 69 database unavailable.\n";

/* The tables whose rows carry resident ids. */
static const char *const replay_id_tables[] = { "link", "debt_line",
	"resident_debt" };

struct replay {
	struct config *cfg;
	PGconn	*conn;
	long long run_id;		/* the run replayed */
	long long replay_id;		/* the replay's own run, 0 until made */
	json_t	*orig;			/* the original's manifest */
	json_t	*again;			/* the replay's manifest */
	char	 schema[32];		/* replay_<run>_<n> */
	char	 rejects_dir[PATH_MAX + 64]; /* the replay's own, removed after */
	long long prev_run;		/* the run the original inherited from */
	char	 prev_schema[64];	/* its schema; "" none or dropped */
	bool	 ids;			/* ids can be replayed */
	uint64_t first_new_id;
	bool	 keep;			/* --keep: leave the scratch schema */
};

/* Run a query returning one value as a new string ("" for no row/NULL). */
static int
replay_value(PGconn *c, const char *sql, int nparams,
    const char *const *params, char **out, struct err *e)
{
	int rc;

	*out = NULL;
	if ((rc = pgconn_exec_params(c, sql, nparams, params, out, e)) != 0)
		return rc;
	if (*out == NULL)
		*out = xstrdup("");
	return 0;
}

/*
 * The files of one manifest input: "path" is the feed's files joined by
 * spaces. A path that is itself one file (spaces and all) is one file.
 */
static char **
replay_split(const char *paths, unsigned *np)
{
	char **v = NULL, *copy, *tok, *save = NULL;
	struct stat st;

	*np = 0;
	if (stat(paths, &st) == 0 || strchr(paths, ' ') == NULL) {
		v = xcalloc(1, sizeof(*v));
		v[(*np)++] = xstrdup(paths);
		return v;
	}
	copy = xstrdup(paths);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		v = xreallocarray(v, *np + 1, sizeof(*v));
		v[(*np)++] = xstrdup(tok);
	}
	free(copy);
	return v;
}

static void
replay_free_split(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * SHA-256 (hex) and size of files read one after another, as the nightly
 * job computes them. Returns 0, or -1 with why in 'why' (missing file).
 */
static int
replay_sha256(char **files, unsigned nfiles, char out[65], uint64_t *size,
    char *why, size_t whycap)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], dig[32];
	unsigned dlen = 0;
	int rc = 0;

	*size = 0;
	out[0] = '\0';
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		snprintf(why, whycap, "cannot start SHA-256");
		EVP_MD_CTX_free(md);
		return -1;
	}
	for (unsigned i = 0; i < nfiles && rc == 0; i++) {
		FILE *fp = fopen(files[i], "rb");
		size_t got;

		if (fp == NULL) {
			snprintf(why, whycap, "'%s': %s", files[i],
			    strerror(errno));
			rc = -1;
			break;
		}
		while ((got = fread(buf, 1, sizeof(buf), fp)) > 0) {
			EVP_DigestUpdate(md, buf, got);
			*size += got;
		}
		if (ferror(fp)) {
			snprintf(why, whycap, "cannot read '%s'", files[i]);
			rc = -1;
		}
		fclose(fp);
	}
	if (rc == 0 && EVP_DigestFinal_ex(md, dig, &dlen) != 1) {
		snprintf(why, whycap, "cannot finish SHA-256");
		rc = -1;
	}
	for (unsigned i = 0; rc == 0 && i < dlen; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * Check every input of the original against its file now. Prints one
 * line per problem; returns how many inputs are missing or changed.
 */
static int
replay_check_inputs(struct replay *r)
{
	json_t *inputs = json_object_get(r->orig, "inputs"), *in;
	size_t i;
	int bad = 0;

	json_array_foreach(inputs, i, in) {
		const char *feed = json_string_value(json_object_get(in,
		    "feed"));
		const char *path = json_string_value(json_object_get(in,
		    "path"));
		const char *want = json_string_value(json_object_get(in,
		    "sha256"));
		json_int_t wsize = json_integer_value(json_object_get(in,
		    "size_bytes"));
		char got[65], why[PATH_MAX + 128];
		uint64_t size;
		unsigned nf;
		char **files;

		if (json_is_true(json_object_get(in, "stale")))
			continue;	/* carried forward: no file */
		if (feed == NULL || path == NULL || want == NULL) {
			printf("input %s: the manifest names no file and "
			    "digest\n", feed ? feed : "?");
			bad++;
			continue;
		}
		files = replay_split(path, &nf);
		if (replay_sha256(files, nf, got, &size, why,
		    sizeof(why)) != 0) {
			printf("input %s: missing: %s (expected sha256 %s, "
			    "%lld bytes)\n", feed, why, want,
			    (long long)wsize);
			bad++;
		} else if (strcmp(got, want) != 0 ||
		    (json_int_t)size != wsize) {
			printf("input %s: changed: %s: expected sha256 %s "
			    "(%lld bytes), actual %s (%llu bytes)\n", feed,
			    path, want, (long long)wsize, got,
			    (unsigned long long)size);
			bad++;
		}
		replay_free_split(files, nf);
	}
	return bad;
}

/*
 * The run the original inherited its ids from, and whether its links are
 * still there. Older manifests lack "prev_run": the run then published
 * was the latest run before it ever to be published (runs never overlap).
 */
static int
replay_prev(struct replay *r, struct err *e)
{
	json_t *pr = json_object_get(r->orig, "prev_run");
	json_t *fn = json_object_get(r->orig, "first_new_id");
	char id[24], *v = NULL;
	const char *p[1] = { id };
	int rc;

	snprintf(id, sizeof(id), "%lld", r->run_id);
	if (pr == NULL) {
		if ((rc = replay_value(r->conn, "SELECT max(run_id) FROM "
		    "svod.run WHERE run_id < $1 AND status IN ('published', "
		    "'superseded')", 1, p, &v, e)) != 0)
			return rc;
		r->prev_run = atoll(v);
		free(v);
		log_warn("run %lld's manifest does not name the run it took "
		    "its ids from; assuming run %lld", r->run_id,
		    r->prev_run);
	} else {
		r->prev_run = json_is_integer(pr) ? json_integer_value(pr) : 0;
	}
	if (json_is_integer(fn)) {
		r->first_new_id = (uint64_t)json_integer_value(fn);
	} else {
		/* Every new id a run hands out is recorded as first seen. */
		if ((rc = replay_value(r->conn, "SELECT coalesce(min("
		    "resident_id), 1) FROM svod.resident WHERE first_run = $1",
		    1, p, &v, e)) != 0)
			return rc;
		r->first_new_id = strtoull(v, NULL, 10);
		free(v);
	}
	r->ids = true;
	r->prev_schema[0] = '\0';
	if (r->prev_run == 0)
		return 0;
	snprintf(id, sizeof(id), "%lld", r->prev_run);
	if ((rc = replay_value(r->conn, "SELECT schema_name FROM svod.run "
	    "WHERE run_id = $1 AND to_regclass(quote_ident(schema_name) || "
	    "'.link') IS NOT NULL", 1, p, &v, e)) != 0)
		return rc;
	snprintf(r->prev_schema, sizeof(r->prev_schema), "%s", v);
	free(v);
	if (r->prev_schema[0] == '\0') {
		r->ids = false;
		printf("note: run %lld took its resident ids from run %lld, "
		    "whose schema has been dropped: ids cannot be replayed; "
		    "%s, %s and %s are not compared\n", r->run_id,
		    r->prev_run, replay_id_tables[0], replay_id_tables[1],
		    replay_id_tables[2]);
	}
	return 0;
}

/* A path as a glob(3) pattern that matches just that path. */
static char *
replay_glob_escape(const char *path)
{
	char *out = xmalloc(2 * strlen(path) + 1), *o = out;

	for (const char *s = path; *s; s++) {
		if (strchr("*?[]\\", *s) != NULL)
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/*
 * Point the configuration at the original's inputs and as-of date: each
 * feed it read is enabled and reads exactly the file the manifest names
 * (a feed of several files keeps its configured pattern; the files read
 * are compared afterwards); a feed it carried forward is carried from the
 * same run; the others are disabled. Raw rejects go to a directory of the
 * replay's own, removed at the end.
 */
static int
replay_config(struct replay *r, struct err *e)
{
	struct config *cfg = r->cfg;
	json_t *inputs = json_object_get(r->orig, "inputs"), *in;
	const char *asof = json_string_value(json_object_get(r->orig,
	    "as_of"));
	char dir[PATH_MAX], *slash;
	bool carried = false;
	size_t i;
	int rc;

	if (asof == NULL)
		return err_set(e, ERR_DATA, "run %lld's manifest has no "
		    "as_of date", r->run_id);
	if ((rc = config_set_as_of(cfg, asof, e)) != 0)
		return rc;
	for (size_t f = 0; f < FEED_COUNT; f++)
		cfg->feeds[f].enabled = false;
	snprintf(dir, sizeof(dir), "%s", cfg->rejects_dir);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	snprintf(r->rejects_dir, sizeof(r->rejects_dir), "%s/%s-rejects", dir,
	    r->schema);
	free(cfg->rejects_dir);
	cfg->rejects_dir = xstrdup(r->rejects_dir);
	json_array_foreach(inputs, i, in) {
		const char *name = json_string_value(json_object_get(in,
		    "feed"));
		const char *path = json_string_value(json_object_get(in,
		    "path"));
		const struct feed_desc *fd = name ? feed_by_name(name) : NULL;
		struct config_feed *cf;
		char buf[PATH_MAX + 128];
		unsigned nf;
		char **files;

		if (fd == NULL)
			return err_set(e, ERR_DATA, "run %lld's manifest names "
			    "an unknown feed '%s'", r->run_id,
			    name ? name : "");
		cf = &cfg->feeds[fd->id];
		cf->enabled = true;
		if (json_is_true(json_object_get(in, "stale"))) {
			const char *from = json_string_value(json_object_get(
			    in, "carried_from"));

			if (!r->ids || from == NULL ||
			    strcmp(from, r->prev_schema) != 0)
				return err_set(e, ERR_DATA, "run %lld carried "
				    "%s forward from %s, which is no longer "
				    "kept: it cannot be replayed", r->run_id,
				    name, from ? from : "an unnamed run");
			/* No such file: the feed is carried, as it was. */
			snprintf(buf, sizeof(buf), "%s/no-input", r->rejects_dir);
			free(cf->file);
			cf->file = xstrdup(buf);
			carried = true;
			continue;
		}
		if (path == NULL)
			return err_set(e, ERR_DATA, "run %lld's manifest names "
			    "no file for %s", r->run_id, name);
		files = replay_split(path, &nf);
		if (nf == 1) {
			free(cf->file);
			cf->file = replay_glob_escape(files[0]);
		}
		replay_free_split(files, nf);
	}
	cfg->carry_forward = carried;
	return 0;
}

/* The scratch schema's name: replay_<run>_<n>, n counting replays. */
static int
replay_name(struct replay *r, struct err *e)
{
	char pat[48], *v = NULL;
	const char *p[1] = { pat };
	int rc;

	snprintf(pat, sizeof(pat), "replay\\_%lld\\_%%", r->run_id);
	if ((rc = replay_value(r->conn, "SELECT count(*) + 1 FROM svod.run "
	    "WHERE schema_name LIKE $1", 1, p, &v, e)) != 0)
		return rc;
	snprintf(r->schema, sizeof(r->schema), "replay_%lld_%lld", r->run_id,
	    atoll(v));
	free(v);
	return 0;
}

/* Read a run's manifest (NULL when it has none) and its status. */
static int
replay_manifest(PGconn *c, long long run, json_t **out, char *status,
    size_t cap, struct err *e)
{
	char id[24];
	const char *p[1] = { id };
	PGresult *res;
	json_error_t je;
	int rc = 0;

	*out = NULL;
	status[0] = '\0';
	snprintf(id, sizeof(id), "%lld", run);
	res = PQexecParams(c, "SELECT status, manifest::text FROM svod.run "
	    "WHERE run_id = $1", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pgconn_fail(c, res, "reading the run's manifest", e);
	} else if (PQntuples(res) == 1) {
		snprintf(status, cap, "%s", PQgetvalue(res, 0, 0));
		if (!PQgetisnull(res, 0, 1) && (*out = json_loads(
		    PQgetvalue(res, 0, 1), 0, &je)) == NULL)
			rc = err_set(e, ERR_DATA, "run %lld's manifest is not "
			    "JSON: %s", run, je.text);
	}
	PQclear(res);
	return rc;
}

static int
replay_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
replay_is_id_table(const char *t)
{
	for (size_t i = 0; i < sizeof(replay_id_tables) /
	    sizeof(replay_id_tables[0]); i++)
		if (strcmp(t, replay_id_tables[i]) == 0)
			return true;
	return false;
}

/*
 * Print the comparison, one line per table of the original, and collect
 * the tables that differ. Returns the number not identical.
 */
static int
replay_compare(struct replay *r, json_t *differ)
{
	json_t *od = json_object_get(r->orig, "digests");
	json_t *rd = json_object_get(r->again, "digests");
	json_t *oi = json_object_get(r->orig, "inputs");
	json_t *ri = json_object_get(r->again, "inputs"), *v, *in;
	const char **names;
	const char *k;
	size_t n = 0, i, j;
	int bad = 0;

	/* The replay read the very files the original did. */
	json_array_foreach(oi, i, in) {
		const char *feed = json_string_value(json_object_get(in,
		    "feed"));
		const char *sha = json_string_value(json_object_get(in,
		    "sha256"));
		const char *path = json_string_value(json_object_get(in,
		    "path"));
		const char *rsha = NULL, *rpath = NULL;
		json_t *rin;

		if (json_is_true(json_object_get(in, "stale")) || feed == NULL)
			continue;
		json_array_foreach(ri, j, rin) {
			const char *f = json_string_value(json_object_get(rin,
			    "feed"));

			if (f != NULL && strcmp(f, feed) == 0) {
				rsha = json_string_value(json_object_get(rin,
				    "sha256"));
				rpath = json_string_value(json_object_get(rin,
				    "path"));
			}
		}
		if (rsha == NULL || sha == NULL || strcmp(rsha, sha) != 0 ||
		    rpath == NULL || path == NULL || strcmp(rpath, path) != 0) {
			printf("input %s: the replay read %s (sha256 %s), the "
			    "original %s (sha256 %s)\n", feed,
			    rpath ? rpath : "nothing", rsha ? rsha : "none",
			    path ? path : "?", sha ? sha : "none");
			json_array_append_new(differ, json_sprintf("input %s",
			    feed));
			bad++;
		}
	}

	names = xcalloc(json_object_size(od) + json_object_size(rd) + 1,
	    sizeof(*names));
	json_object_foreach(od, k, v)
		names[n++] = k;
	json_object_foreach(rd, k, v)
		if (json_object_get(od, k) == NULL)
			names[n++] = k;
	qsort(names, n, sizeof(*names), replay_cmp_str);

	printf("\n%-26s %8s  %-16s  %-16s  %s\n", "table", "rows",
	    "original", "replay", "result");
	for (i = 0; i < n; i++) {
		json_t *o = json_object_get(od, names[i]);
		json_t *a = json_object_get(rd, names[i]);
		const char *os = json_string_value(json_object_get(o,
		    "sha256"));
		const char *as = json_string_value(json_object_get(a,
		    "sha256"));
		json_int_t orows = json_integer_value(json_object_get(o,
		    "rows"));
		json_int_t arows = json_integer_value(json_object_get(a,
		    "rows"));
		const char *result;
		char rows[48];

		if (!r->ids && replay_is_id_table(names[i]))
			result = "not compared (ids)";
		else if (os != NULL && as != NULL && strcmp(os, as) == 0 &&
		    orows == arows)
			result = "same";
		else
			result = "DIFFERENT";
		if (o == NULL || a == NULL || orows == arows)
			snprintf(rows, sizeof(rows), "%lld",
			    (long long)(o ? orows : arows));
		else
			snprintf(rows, sizeof(rows), "%lld/%lld",
			    (long long)orows, (long long)arows);
		printf("%-26s %8s  %-16.16s  %-16.16s  %s\n", names[i], rows,
		    os ? os : "(none)", as ? as : "(none)", result);
		if (strcmp(result, "same") != 0) {
			bad++;
			json_array_append_new(differ, json_string(names[i]));
		}
	}
	/* Full digests of what differs, for the record. */
	for (i = 0; i < n; i++) {
		json_t *o = json_object_get(od, names[i]);
		json_t *a = json_object_get(rd, names[i]);
		const char *os = json_string_value(json_object_get(o,
		    "sha256"));
		const char *as = json_string_value(json_object_get(a,
		    "sha256"));

		if ((os == NULL || as == NULL || strcmp(os, as) != 0) &&
		    (r->ids || !replay_is_id_table(names[i])))
			printf("%s: original sha256 %s, replay sha256 %s\n",
			    names[i], os ? os : "(none)", as ? as : "(none)");
	}
	free(names);
	return bad;
}

/* Remove the replay's raw rejects (personal data) and their directory. */
static void
replay_remove_rejects(const struct replay *r)
{
	char path[PATH_MAX + 160];

	if (r->rejects_dir[0] == '\0')
		return;
	for (size_t f = 0; f < FEED_COUNT; f++) {
		snprintf(path, sizeof(path), "%s/%s.rejects.csv",
		    r->rejects_dir, feed_get((enum feed_id)f)->name);
		unlink(path);
	}
	rmdir(r->rejects_dir);
}

/* Record the outcome in the replay's own svod.run row. */
static void
replay_record(struct replay *r, const char *result, json_t *differ)
{
	json_t *add;
	char id[24], *text;
	const char *p[2];
	struct err e;

	if (r->replay_id == 0)
		return;
	err_clear(&e);
	add = json_pack("{s:I,s:s,s:O,s:b}", "replay_of",
	    (json_int_t)r->run_id, "replay_result", result,
	    "replay_differences", differ, "replay_schema_kept", r->keep);
	text = json_dumps(add, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(id, sizeof(id), "%lld", r->replay_id);
	p[0] = id;
	p[1] = text;
	if (pgconn_exec_params(r->conn, "UPDATE svod.run SET finished_at = "
	    "now(), manifest = coalesce(manifest, '{}'::jsonb) || $2::jsonb "
	    "WHERE run_id = $1 AND status = 'replay'", 2, p, NULL, &e) != 0)
		log_warn("cannot record the replay's result: %s", e.msg);
	free(text);
	json_decref(add);
}

static int
replay_run(struct replay *r, struct err *e)
{
	unsigned char key[KEYFILE_KEY_LEN];
	char fp[KEYFILE_FINGERPRINT_LEN + 1], digest[65], status[32];
	const char *want;
	json_t *differ = json_array();
	int rc, bad;

	if ((rc = pgconn_open(r->cfg->database, &r->conn, e)) != 0)
		goto out;
	if ((rc = replay_manifest(r->conn, r->run_id, &r->orig, status,
	    sizeof(status), e)) != 0)
		goto out;
	if (status[0] == '\0') {
		rc = err_set(e, ERR_USAGE, "there is no run %lld", r->run_id);
		goto out;
	}
	if (strcmp(status, "replay") == 0) {
		rc = err_set(e, ERR_USAGE, "run %lld is itself a replay",
		    r->run_id);
		goto out;
	}
	if (r->orig == NULL || json_object_get(r->orig, "digests") == NULL) {
		rc = err_set(e, ERR_DATA, "run %lld (%s) has no manifest: only "
		    "a run that loaded can be replayed", r->run_id, status);
		goto out;
	}

	/* The same key, or nothing can match. */
	if ((rc = keyfile_load(r->cfg->key_file, key, e)) != 0)
		goto out;
	keyfile_fingerprint(key, fp);
	OPENSSL_cleanse(key, sizeof(key));
	want = json_string_value(json_object_get(r->orig, "key_fingerprint"));
	if (want == NULL || strcmp(want, fp) != 0) {
		rc = err_set(e, ERR_CONFIG, "the key file '%s' is key %s; run "
		    "%lld was made with key %s", r->cfg->key_file, fp,
		    r->run_id, want ? want : "(not recorded)");
		err_hint(e, "replay with the configuration and key file the "
		    "run was made with");
		goto out;
	}
	want = json_string_value(json_object_get(r->orig, "config_digest"));
	if (config_digest(r->cfg, digest, e) == 0 && want != NULL &&
	    strcmp(want, digest) != 0)
		log_warn("the configuration file differs from run %lld's "
		    "(sha256 %.16s, was %.16s): a changed feed mapping would "
		    "change the result", r->run_id, digest, want);
	want = json_string_value(json_object_get(r->orig, "code_version"));
	if (want != NULL && strcmp(want, SVOD_VERSION) != 0)
		log_warn("run %lld was made by svod %s; this is svod %s",
		    r->run_id, want, SVOD_VERSION);

	/* Every input as it was. */
	if ((bad = replay_check_inputs(r)) != 0) {
		rc = err_set(e, ERR_DATA, "%d input%s of run %lld %s missing "
		    "or changed: the run cannot be replayed", bad,
		    bad == 1 ? "" : "s", r->run_id, bad == 1 ? "is" : "are");
		goto out;
	}
	if ((rc = replay_prev(r, e)) != 0 || (rc = replay_name(r, e)) != 0 ||
	    (rc = replay_config(r, e)) != 0)
		goto out;
	printf("replaying run %lld (as of %s, key %s) into %s; resident ids "
	    "from %s\n", r->run_id, json_string_value(json_object_get(
	    r->orig, "as_of")), fp, r->schema, r->prev_run == 0
	    ? "none (the first run)" : r->ids ? r->prev_schema
	    : "nowhere (not replayable)");
	fflush(stdout);

	rc = nightly_replay(r->cfg, r->schema, r->ids ? r->prev_schema : "",
	    r->first_new_id, &r->replay_id, e);
	if (rc != 0)
		goto out;
	if ((rc = replay_manifest(r->conn, r->replay_id, &r->again, status,
	    sizeof(status), e)) != 0)
		goto out;
	if (r->again == NULL) {
		rc = err_set(e, ERR_SOFTWARE, "the replay (run %lld) stored no "
		    "manifest", r->replay_id);
		goto out;
	}
	bad = replay_compare(r, differ);
	if (!r->keep) {
		char sql[96];

		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE",
		    r->schema);
		if (pgconn_exec(r->conn, sql, e) != 0) {
			log_warn("cannot drop %s: %s", r->schema, e->msg);
			err_clear(e);
		}
	}
	replay_record(r, bad == 0 ? "identical" : "different", differ);
	printf("\nreplay of run %lld (run %lld, %s %s): %s\n", r->run_id,
	    r->replay_id, r->schema, r->keep ? "kept" : "dropped",
	    bad == 0 ? "identical" : "NOT identical");
	rc = bad == 0 ? 0 : REPLAY_DIFFERENT;
out:
	if (rc < 0)
		replay_record(r, "failed", differ);
	json_decref(differ);
	return rc;
}

int
cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL;
	struct replay r;
	struct err e;
	char *end;
	int c, rc;

	err_clear(&e);
	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			r.keep = true;
			break;
		case 'h':
			fputs(replay_usage, stdout);
			return EX_OK;
		default:
			fputs(replay_usage, stderr);
			return EX_USAGE;
		}
	}
	if (path == NULL || optind != argc - 1) {
		fputs(replay_usage, stderr);
		return EX_USAGE;
	}
	errno = 0;
	r.run_id = strtoll(argv[optind], &end, 10);
	if (errno != 0 || *end != '\0' || end == argv[optind] ||
	    r.run_id <= 0) {
		fprintf(stderr, "svod replay: '%s' is not a run id\n",
		    argv[optind]);
		return EX_USAGE;
	}
	if ((rc = config_load(path, &r.cfg, &e)) == 0)
		rc = replay_run(&r, &e);
	replay_remove_rejects(&r);
	json_decref(r.orig);
	json_decref(r.again);
	pgconn_close(r.conn);
	config_free(r.cfg);
	if (rc == REPLAY_DIFFERENT)
		return REPLAY_DIFFERENT;
	if (rc != 0) {
		err_print(&e);
		return err_exit_status(rc);
	}
	return EX_OK;
}
