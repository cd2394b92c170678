#include "etl/pgcopy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl/xalloc.h"

#define PGCOPY_CHUNK (1u << 20)

void
pgcopy_text(FILE *fp, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc;

		switch (s[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			continue;
		}
		fwrite(s + start, 1, i - start, fp);
		fputs(esc, fp);
		start = i + 1;
	}
	fwrite(s + start, 1, n - start, fp);
}

/* Drain the results after the COPY ends; the last error wins. */
static int
pgcopy_finish(PGconn *conn, const char *table, uint64_t *rows,
    struct err *e)
{
	PGresult *res;
	int rc = 0;

	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			*rows = strtoull(PQcmdTuples(res), NULL, 10);
		} else if (rc == 0) {
			const char *state = PQresultErrorField(res,
			    PG_DIAG_SQLSTATE);

			rc = err_set(e, ERR_DB, "cannot copy into %s: %s "
			    "(SQLSTATE %s)", table,
			    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
				? PQresultErrorField(res,
				    PG_DIAG_MESSAGE_PRIMARY)
				: PQerrorMessage(conn),
			    state ? state : "none");
		}
		PQclear(res);
	}
	return rc;
}

int
pgcopy_file(PGconn *conn, const char *table, const char *path,
    uint64_t *rows, struct err *e)
{
	char *sql = NULL, *buf = NULL;
	PGresult *res = NULL;
	const char *why = NULL;
	size_t len;
	ssize_t got;
	int fd = -1, rc = 0;

	*rows = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, ERR_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	len = strlen(table) + 32;
	sql = xmalloc(len);
	snprintf(sql, len, "COPY %s FROM STDIN", table);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = err_set(e, ERR_DB, "cannot start COPY into %s: %s", table,
		    PQerrorMessage(conn));
		goto out;
	}
	buf = xmalloc(PGCOPY_CHUNK);
	for (;;) {
		do
			got = read(fd, buf, PGCOPY_CHUNK);
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			break;
		if (PQputCopyData(conn, buf, (int)got) != 1) {
			why = PQerrorMessage(conn);
			break;
		}
	}
	if (got < 0) {
		rc = err_set(e, ERR_IO, "cannot read '%s': %s", path,
		    strerror(errno));
		PQputCopyEnd(conn, "svod: input file unreadable");
	} else if (why != NULL) {
		rc = err_set(e, ERR_DB, "cannot copy into %s: %s", table, why);
	} else if (PQputCopyEnd(conn, NULL) != 1) {
		rc = err_set(e, ERR_DB, "cannot end COPY into %s: %s", table,
		    PQerrorMessage(conn));
	}
	{
		struct err e2;
		int frc = pgcopy_finish(conn, table, rows, &e2);

		if (rc == 0 && frc != 0) {
			rc = frc;
			if (e != NULL)
				*e = e2;
		}
	}
out:
	PQclear(res);
	free(buf);
	free(sql);
	close(fd);
	return rc;
}

int
pgcopy_data(PGconn *conn, const char *target, const char *data, size_t len,
    uint64_t *rows, struct err *e)
{
	size_t sqllen = strlen(target) + 32;
	char *sql = xmalloc(sqllen);
	PGresult *res;
	int rc = 0;

	*rows = 0;
	snprintf(sql, sqllen, "COPY %s FROM STDIN", target);
	res = PQexec(conn, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = err_set(e, ERR_DB, "cannot start COPY into %s: %s", target,
		    PQerrorMessage(conn));
		PQclear(res);
		return rc;
	}
	PQclear(res);
	for (size_t off = 0; off < len && rc == 0; off += PGCOPY_CHUNK) {
		size_t n = len - off < PGCOPY_CHUNK ? len - off : PGCOPY_CHUNK;

		if (PQputCopyData(conn, data + off, (int)n) != 1)
			rc = err_set(e, ERR_DB, "cannot copy into %s: %s",
			    target, PQerrorMessage(conn));
	}
	if (PQputCopyEnd(conn, rc ? "svod: copy failed" : NULL) != 1 &&
	    rc == 0)
		rc = err_set(e, ERR_DB, "cannot end COPY into %s: %s", target,
		    PQerrorMessage(conn));
	{
		struct err e2;
		int frc = pgcopy_finish(conn, target, rows, &e2);

		if (rc == 0 && frc != 0) {
			rc = frc;
			if (e != NULL)
				*e = e2;
		}
	}
	return rc;
}
