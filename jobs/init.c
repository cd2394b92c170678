/*
 * svod init: create or upgrade the database schema. The migrations are
 * the files NNN_name.sql of the SQL directory, numbered 001, 002, ...
 * without gaps; svod.schema_version records those applied. Each missing
 * one is applied in numeric order in its own transaction together with
 * its schema_version row, so a failing file is rolled back whole and the
 * schema stays at the previous version. A session advisory lock keeps
 * two inits from racing. Running it again applies nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include <libpq-fe.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/log.h"
#include "etl/pgconn.h"
#include "etl/xalloc.h"
#include "jobs/jobs.h"

#ifndef SVOD_SQL_DIR
#define SVOD_SQL_DIR "schemas"
#endif

/* The advisory lock of svod init: "svodinit" in ASCII. */
#define INIT_LOCK_KEY	((int64_t)0x73766f64696e6974)
/* Migrations are small; anything bigger is a mistake. */
#define INIT_MAX_FILE	(16 * 1024 * 1024)

static const char init_usage[] =
    "usage: svod init [--config FILE] [--db CONNINFO] [--sql-dir DIR]\n"
    "Create or upgrade the database schema: apply, in numeric order, each\n"
    "migration NNN_name.sql of the SQL directory that svod.schema_version\n"
    "does not record yet, each file in one transaction with its version\n"
    "row; a failing file is rolled back whole. A second run applies\n"
    "nothing. The migrations create the schema, its tables and the roles.\n"
    "  --config FILE   take the database from the configuration's 'database'\n"
    "  --db CONNINFO   the database, as a libpq conninfo or URI (overrides\n"
    "                  --config); without either, the PG* variables\n"
    "  --sql-dir DIR   the migrations (default: " SVOD_SQL_DIR ")\n"
    "Exit status: 0 the schema is current; 64 usage; 69 the database is\n"
    "unreachable or a migration failed (and was rolled back); 75 another\n"
    "svod init is running; 78 bad configuration, or a gap or a duplicate\n"
    "in the migration numbers.\n";

struct migration {
	int	 version;	/* NNN */
	char	*file;		/* "001_core.sql"; owned */
	char	*name;		/* "core"; owned */
};

struct migrations {
	struct migration *v;	/* sorted by version; owned */
	size_t	 n;
};

static void
migrations_release(struct migrations *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->v[i].file);
		free(ms->v[i].name);
	}
	free(ms->v);
	ms->v = NULL;
	ms->n = 0;
}

/* "NNN_name.sql" with a non-empty name: its version, else -1. */
static int
migration_version(const char *file)
{
	size_t len = strlen(file);

	if (len < 9 || file[3] != '_' ||
	    strcmp(file + len - 4, ".sql") != 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (file[i] < '0' || file[i] > '9')
			return -1;
	return (file[0] - '0') * 100 + (file[1] - '0') * 10 + (file[2] - '0');
}

static int
migration_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->file, y->file);
}

/*
 * Collect the migrations of 'dir', sorted. Numbers must run 001, 002, ...
 * with no gap and no duplicate: anything else is ERR_CONFIG, because
 * applying around a hole would give databases that differ.
 */
static int
migrations_scan(const char *dir, struct migrations *ms, struct err *e)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		err_set(e, ERR_CONFIG, "cannot open the SQL directory '%s': %s",
		    dir, strerror(errno));
		return err_hint(e, "point --sql-dir at the schemas folder");
	}
	while ((de = readdir(d)) != NULL) {
		int v = migration_version(de->d_name);
		size_t len = strlen(de->d_name);

		if (v < 0)
			continue;
		if (ms->n == cap) {
			cap = cap ? 2 * cap : 16;
			ms->v = xreallocarray(ms->v, cap, sizeof(*ms->v));
		}
		ms->v[ms->n].version = v;
		ms->v[ms->n].file = xstrdup(de->d_name);
		ms->v[ms->n].name = xstrndup(de->d_name + 4, len - 8);
		ms->n++;
	}
	closedir(d);
	if (ms->n == 0) {
		err_set(e, ERR_CONFIG, "no migrations (NNN_name.sql) in '%s'",
		    dir);
		return err_hint(e, "point --sql-dir at the schemas folder");
	}
	qsort(ms->v, ms->n, sizeof(*ms->v), migration_cmp);
	for (size_t i = 0; i < ms->n && rc == 0; i++) {
		const struct migration *m = &ms->v[i];

		if (i > 0 && m->version == ms->v[i - 1].version)
			rc = err_set(e, ERR_CONFIG, "duplicate migration "
			    "number %03d: '%s' and '%s' in '%s'", m->version,
			    ms->v[i - 1].file, m->file, dir);
		else if (i == 0 && m->version != 1)
			rc = err_set(e, ERR_CONFIG, "gap in the migrations: "
			    "'%s' is the first in '%s', expected 001",
			    m->file, dir);
		else if (i > 0 && m->version != ms->v[i - 1].version + 1)
			rc = err_set(e, ERR_CONFIG, "gap in the migrations: "
			    "no %03d between '%s' and '%s' in '%s'",
			    ms->v[i - 1].version + 1, ms->v[i - 1].file,
			    m->file, dir);
	}
	if (rc != 0)
		err_hint(e, "number the files 001, 002, ... without gaps");
	return rc;
}

/* Read 'path' whole into a new NUL-terminated string (caller frees). */
static int
read_sql(const char *path, const char *file, char **out, struct err *e)
{
	FILE *fp = NULL;
	struct stat st;
	char *buf = NULL;
	size_t n;
	int rc = 0;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &st) != 0) {
		rc = err_set(e, ERR_IO, "cannot read '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (st.st_size > INIT_MAX_FILE) {
		rc = err_set(e, ERR_CONFIG, "migration '%s' is over %d MiB",
		    file, INIT_MAX_FILE / (1024 * 1024));
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	n = fread(buf, 1, (size_t)st.st_size, fp);
	if (ferror(fp) || n != (size_t)st.st_size) {
		rc = err_set(e, ERR_IO, "cannot read '%s'", path);
		goto out;
	}
	buf[n] = '\0';
	/* libpq would silently stop at a NUL byte. */
	if (memchr(buf, '\0', n) != NULL) {
		rc = err_set(e, ERR_CONFIG, "migration '%s' holds a NUL byte",
		    file);
		goto out;
	}
	*out = buf;
	buf = NULL;
out:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

/*
 * Turn the server's error position (1-based, in characters of the text
 * sent) into "FILE:LINE:COL" in 'buf'; just "FILE" without a position.
 */
static void
error_locus(const PGresult *res, const char *text, const char *file,
    char *buf, size_t cap)
{
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	long want, ch = 0, line = 1, col = 1;

	if (pos == NULL || (want = strtol(pos, NULL, 10)) <= 0) {
		snprintf(buf, cap, "%s", file);
		return;
	}
	for (const char *p = text; *p != '\0' && ch < want - 1; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;	/* a UTF-8 continuation byte */
		ch++;
		if (*p == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	snprintf(buf, cap, "%s:%ld:%ld", file, line, col);
}

/* Add "what happens next" to the detail line, after the server's detail. */
static void
add_outcome(struct err *e, const char *file, int at)
{
	char was[sizeof(e->detail)];

	snprintf(was, sizeof(was), "%s", e->detail);
	if (was[0] != '\0')
		err_detail(e, "%s; '%s' was rolled back, the schema stays at "
		    "version %d", was, file, at);
	else
		err_detail(e, "'%s' was rolled back, the schema stays at "
		    "version %d", file, at);
}

/*
 * Apply one migration in one transaction with its schema_version row.
 * On failure the transaction is rolled back and e names the file, the
 * line and the SQLSTATE.
 */
static int
apply_one(PGconn *conn, const char *dir, const struct migration *m,
    int at, struct err *e)
{
	char *path = NULL, *text = NULL, version[16], locus[300];
	char what[320];
	const char *params[2] = { version, m->name };
	PGresult *res = NULL;
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	path = xmalloc(strlen(dir) + strlen(m->file) + 2);
	sprintf(path, "%s/%s", dir, m->file);
	if ((rc = read_sql(path, m->file, &text, e)) != 0)
		goto out;
	if ((rc = pgconn_exec(conn, "BEGIN", e)) != 0)
		goto out;
	res = PQexec(conn, text);
	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY)) {
		error_locus(res, text, m->file, locus, sizeof(locus));
		snprintf(what, sizeof(what), "migration %s", locus);
		rc = pgconn_fail(conn, res, what, e);
		add_outcome(e, m->file, at);
		goto out;
	}
	/* A COMMIT inside the file would split it over transactions. */
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		rc = err_set(e, ERR_CONFIG, "migration '%s' ends the "
		    "transaction itself", m->file);
		err_detail(e, "what ran before its COMMIT or ROLLBACK stays as "
		    "it is; version %d is not recorded", m->version);
		err_hint(e, "remove BEGIN, COMMIT and ROLLBACK from the file: "
		    "svod init wraps each file in one transaction");
		goto out;
	}
	snprintf(version, sizeof(version), "%d", m->version);
	if ((rc = pgconn_exec_params(conn, "INSERT INTO svod.schema_version "
	    "(version, name) VALUES ($1::int, $2)", 2, params, NULL, e)) != 0 ||
	    (rc = pgconn_exec(conn, "COMMIT", e)) != 0) {
		add_outcome(e, m->file, at);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("applied %s\n", m->file);
	fflush(stdout);
	log_debug("applied '%s' in %ld ms", path,
	    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000));
out:
	PQclear(res);
	if (rc != 0 && PQtransactionStatus(conn) != PQTRANS_IDLE) {
		PGresult *rb = PQexec(conn, "ROLLBACK");

		PQclear(rb);
	}
	free(text);
	free(path);
	return rc;
}

/* Make svod.schema_version exist, in a transaction of its own. */
static int
ensure_version_table(PGconn *conn, struct err *e)
{
	static const char sql[] =
	    "BEGIN;"
	    "CREATE SCHEMA IF NOT EXISTS svod;"
	    "CREATE TABLE IF NOT EXISTS svod.schema_version ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now());"
	    "COMMIT";
	int rc = pgconn_exec(conn, sql, e);

	if (rc != 0 && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	return rc;
}

/*
 * Fill applied[v] (v <= max) for the versions recorded, warn about a
 * recorded name that no longer matches its file, and refuse a database
 * newer than the migrations. *at is the highest version recorded.
 */
static int
read_applied(PGconn *conn, const struct migrations *ms, bool *applied,
    int *at, struct err *e)
{
	PGresult *res = PQexec(conn, "SELECT version, name FROM "
	    "svod.schema_version ORDER BY version");
	int max = ms->v[ms->n - 1].version, rc = 0;

	*at = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pgconn_fail(conn, res, "reading svod.schema_version", e);
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		int v = atoi(PQgetvalue(res, i, 0));
		const char *name = PQgetvalue(res, i, 1);

		*at = v;
		if (v < 1 || v > max) {
			rc = err_set(e, ERR_CONFIG, "the database schema is at "
			    "version %d, newer than the migrations here "
			    "(up to %03d)", v, max);
			err_hint(e, "use the svod that made it, or a newer "
			    "--sql-dir");
			goto out;
		}
		applied[v] = true;
		if (strcmp(ms->v[v - 1].name, name) != 0)
			log_warn("migration %03d was applied as '%s' but is "
			    "now '%s'", v, name, ms->v[v - 1].file);
	}
out:
	PQclear(res);
	return rc;
}

static int
init_run(const char *conninfo, const char *dir, struct err *e)
{
	struct migrations ms = { NULL, 0 };
	PGconn *conn = NULL;
	bool *applied = NULL, got;
	char *holder = NULL;
	int rc, at = 0, count = 0;

	if ((rc = migrations_scan(dir, &ms, e)) != 0)
		goto out;
	if ((rc = pgconn_open(conninfo, &conn, e)) != 0)
		goto out;
	if ((rc = pgconn_exec(conn, "SET client_encoding = 'UTF8';"
	    "SET client_min_messages = warning", e)) != 0)
		goto out;
	if ((rc = pgconn_try_advisory_lock(conn, INIT_LOCK_KEY, &got, e)) != 0)
		goto out;
	if (!got) {
		holder = pgconn_lock_holder(conn, INIT_LOCK_KEY);
		rc = err_set(e, ERR_TEMPFAIL, "another svod init is applying "
		    "migrations to this database");
		err_detail(e, "advisory lock %lld is held by %s",
		    (long long)INIT_LOCK_KEY,
		    holder ? holder : "another session");
		err_hint(e, "run svod init again when it has finished");
		goto out;
	}
	if ((rc = ensure_version_table(conn, e)) != 0)
		goto out;
	applied = xcalloc(ms.v[ms.n - 1].version + 1, sizeof(*applied));
	if ((rc = read_applied(conn, &ms, applied, &at, e)) != 0)
		goto out;
	for (size_t i = 0; i < ms.n; i++) {
		if (applied[ms.v[i].version])
			continue;
		if ((rc = apply_one(conn, dir, &ms.v[i], at, e)) != 0)
			goto out;
		at = ms.v[i].version;
		count++;
	}
	if (count == 0)
		printf("nothing to apply\n");
	printf("schema at version %d\n", at);
out:
	free(holder);
	free(applied);
	pgconn_close(conn);
	migrations_release(&ms);
	return rc;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "sql-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL, *db = NULL, *dir = SVOD_SQL_DIR;
	struct config *cfg = NULL;
	struct err e;
	int c, rc = 0;

	err_clear(&e);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 's':
			dir = optarg;
			break;
		case 'h':
			fputs(init_usage, stdout);
			return EX_OK;
		default:
			fputs(init_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(init_usage, stderr);
		return EX_USAGE;
	}
	if (path != NULL && (rc = config_load(path, &cfg, &e)) != 0)
		goto out;
	if (db == NULL && cfg != NULL)
		db = cfg->database;
	rc = init_run(db, dir, &e);
out:
	config_free(cfg);
	if (rc != 0) {
		err_print(&e);
		return err_exit_status(rc);
	}
	return EX_OK;
}
