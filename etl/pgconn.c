#include "etl/pgconn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/log.h"
#include "etl/xalloc.h"

#define LABEL_MAX 40	/* bytes of a statement quoted in a message */

/* Copy the first line of 's' to buf, without a severity prefix. */
static void
first_line(const char *s, char *buf, size_t cap)
{
	size_t n;

	if (strncmp(s, "ERROR:  ", 8) == 0 || strncmp(s, "FATAL:  ", 8) == 0)
		s += 8;
	n = strcspn(s, "\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* Copy the lines after the first of 's' to buf, one space between them. */
static void
other_lines(const char *s, char *buf, size_t cap)
{
	size_t len = 0;
	const char *p = strchr(s, '\n');

	buf[0] = '\0';
	while (p != NULL && *p != '\0') {
		size_t n;

		p += strspn(p, "\n\t ");
		n = strcspn(p, "\n");
		if (n == 0)
			break;
		if (len > 0 && len + 1 < cap)
			buf[len++] = ' ';
		if (n >= cap - len)
			n = cap - len - 1;
		memcpy(buf + len, p, n);
		len += n;
		buf[len] = '\0';
		p += n;
	}
}

/*
 * A conninfo may carry a password ("password=..." or a URI's
 * "user:secret@host"); libpq's parse errors can quote parts of it, so
 * for such a string they are not shown.
 */
static bool
may_hold_secret(const char *conninfo)
{
	const char *uri = strstr(conninfo, "://");

	if (strstr(conninfo, "password") != NULL)
		return true;
	return uri != NULL && strchr(uri, '@') != NULL;
}

/* Server notices (e.g. "schema ... already exists, skipping") are debug. */
static void
notice_to_log(void *arg, const char *message)
{
	char buf[512];

	(void)arg;
	first_line(message, buf, sizeof(buf));
	log_debug("server: %s", buf);
}

int
pgconn_open(const char *conninfo, PGconn **out, struct err *e)
{
	const char *keys[4], *vals[4];
	PGconn *conn;
	PQconninfoOption *opts;
	char *errmsg = NULL;
	char line[400], rest[400];
	int n = 0;

	*out = NULL;
	if (conninfo == NULL)
		conninfo = "";
	if (conninfo[0] != '\0') {
		if ((opts = PQconninfoParse(conninfo, &errmsg)) == NULL) {
			err_set(e, ERR_CONFIG,
			    "cannot parse the database conninfo");
			if (errmsg != NULL && !may_hold_secret(conninfo)) {
				first_line(errmsg, line, sizeof(line));
				err_detail(e, "%s", line);
			}
			PQfreemem(errmsg);
			return err_hint(e, "write it as 'host=... dbname=...'"
			    " or 'postgresql://host/dbname'");
		}
		PQconninfoFree(opts);
	}
	/* Keywords before dbname are overridden by the expanded conninfo. */
	keys[n] = "fallback_application_name";
	vals[n++] = "svod";
	if (getenv("PGCONNECT_TIMEOUT") == NULL) {
		keys[n] = "connect_timeout";
		vals[n++] = "10";
	}
	keys[n] = "dbname";
	vals[n++] = conninfo;
	keys[n] = NULL;
	vals[n] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
		return err_set(e, ERR_DB, "cannot connect to the database: "
		    "out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		first_line(PQerrorMessage(conn), line, sizeof(line));
		other_lines(PQerrorMessage(conn), rest, sizeof(rest));
		PQfinish(conn);
		err_set(e, ERR_DB, "cannot connect to the database: %s", line);
		if (rest[0] != '\0')
			err_detail(e, "%s", rest);
		return err_hint(e, "check the 'database' conninfo of the "
		    "configuration, --db, or the PG* environment variables");
	}
	PQsetNoticeProcessor(conn, notice_to_log, NULL);
	*out = conn;
	return 0;
}

void
pgconn_close(PGconn *conn)
{
	if (conn != NULL)
		PQfinish(conn);
}

const char *
pgconn_sqlstate(const PGresult *res)
{
	const char *s;

	if (res == NULL)
		return "";
	s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s != NULL ? s : "";
}

int
pgconn_fail(PGconn *conn, const PGresult *res, const char *what,
    struct err *e)
{
	const char *primary = NULL, *detail = NULL, *hint = NULL;
	const char *state = pgconn_sqlstate(res);
	char line[400];

	if (res != NULL) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	}
	if (primary != NULL)
		snprintf(line, sizeof(line), "%s", primary);
	else if (res != NULL && PQresultErrorMessage(res)[0] != '\0')
		first_line(PQresultErrorMessage(res), line, sizeof(line));
	else if (res != NULL)
		snprintf(line, sizeof(line), "unexpected result %s",
		    PQresStatus(PQresultStatus(res)));
	else if (conn != NULL && PQerrorMessage(conn)[0] != '\0')
		first_line(PQerrorMessage(conn), line, sizeof(line));
	else
		snprintf(line, sizeof(line), "no result from the server");
	if (state[0] != '\0')
		err_set(e, ERR_DB, "%s failed: %s (SQLSTATE %s)", what, line,
		    state);
	else
		err_set(e, ERR_DB, "%s failed: %s", what, line);
	if (detail != NULL)
		err_detail(e, "%s", detail);
	if (hint != NULL)
		err_hint(e, "%s", hint);
	return ERR_DB;
}

/*
 * "statement 'CREATE TABLE svod.run (...'": the start of 'sql' with runs
 * of white space folded, cut at a character boundary.
 */
static void
statement_label(const char *sql, char *buf, size_t cap)
{
	char s[LABEL_MAX + 4];
	size_t n = 0;
	const char *p = sql + strspn(sql, " \t\r\n");

	while (*p != '\0' && n < LABEL_MAX) {
		if (strchr(" \t\r\n", *p) != NULL) {
			p += strspn(p, " \t\r\n");
			s[n++] = ' ';
			continue;
		}
		s[n++] = *p++;
	}
	if (*p != '\0') {
		/* Do not split a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)s[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)s[n - 1] & 0xc0) == 0xc0)
			n--;
		memcpy(s + n, "...", 3);
		n += 3;
	}
	s[n] = '\0';
	snprintf(buf, cap, "statement '%s'", s);
}

static bool
result_ok(const PGresult *res)
{
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		return true;
	default:
		return false;
	}
}

int
pgconn_exec(PGconn *conn, const char *sql, struct err *e)
{
	PGresult *res = PQexec(conn, sql);
	char what[LABEL_MAX + 32];
	int rc = 0;

	if (res == NULL || !result_ok(res)) {
		statement_label(sql, what, sizeof(what));
		rc = pgconn_fail(conn, res, what, e);
	}
	PQclear(res);
	return rc;
}

int
pgconn_exec_params(PGconn *conn, const char *sql, int nparams,
    const char *const *params, char **valuep, struct err *e)
{
	PGresult *res;
	char what[LABEL_MAX + 32];
	int rc = 0;

	if (valuep != NULL)
		*valuep = NULL;
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (res == NULL || !result_ok(res)) {
		statement_label(sql, what, sizeof(what));
		rc = pgconn_fail(conn, res, what, e);
		goto out;
	}
	if (valuep != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) > 0 && PQnfields(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		*valuep = xstrdup(PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	return rc;
}

int
pgconn_try_advisory_lock(PGconn *conn, int64_t key, bool *got,
    struct err *e)
{
	char keybuf[24], *v = NULL;
	const char *params[1] = { keybuf };
	int rc;

	*got = false;
	snprintf(keybuf, sizeof(keybuf), "%" PRId64, key);
	rc = pgconn_exec_params(conn, "SELECT pg_try_advisory_lock($1::bigint)",
	    1, params, &v, e);
	if (rc == 0)
		*got = v != NULL && strcmp(v, "t") == 0;
	free(v);
	return rc;
}

char *
pgconn_lock_holder(PGconn *conn, int64_t key)
{
	/* A bigint key is stored as classid (high half), objid (low half). */
	static const char sql[] =
	    "SELECT format('pid %s (%s)', l.pid,"
	    "  coalesce(nullif(a.application_name, ''), 'unknown'))"
	    " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
	    " WHERE l.locktype = 'advisory' AND l.granted"
	    "  AND l.objsubid = 1 AND l.classid = $1::oid"
	    "  AND l.objid = $2::oid AND l.pid <> pg_backend_pid()"
	    " ORDER BY l.pid LIMIT 1";
	uint64_t u = (uint64_t)key;
	char hi[16], lo[16], *v = NULL;
	const char *params[2] = { hi, lo };
	struct err e;

	snprintf(hi, sizeof(hi), "%" PRIu64, u >> 32);
	snprintf(lo, sizeof(lo), "%" PRIu64, u & 0xffffffffu);
	if (pgconn_exec_params(conn, sql, 2, params, &v, &e) != 0)
		return NULL;
	return v;
}
