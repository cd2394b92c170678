/*
 * pgcopy: load a file in PostgreSQL's COPY text format into a table with
 * COPY ... FROM STDIN, streaming it in 1 MiB chunks (never row-by-row
 * INSERT). The server's row count is returned so the caller can reconcile
 * it with what the parser wrote. The connection must be idle or in a
 * transaction; on failure the transaction is aborted by the server.
 */
#ifndef SVOD_PGCOPY_H
#define SVOD_PGCOPY_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "etl/err.h"

/*
 * Write n bytes of s to fp as one value of COPY's text format (backslash,
 * tab, newline and carriage return escaped). Cannot fail; check ferror.
 */
void	 pgcopy_text(FILE *fp, const char *s, size_t n);

/*
 * COPY the file at 'path' into 'table' (an already quoted, qualified
 * name, e.g. run_42.rent). On success *rows is the server's count.
 * Returns 0, ERR_IO (the file) or ERR_DB (the message names the table and
 * SQLSTATE).
 */
int	 pgcopy_file(PGconn *conn, const char *table, const char *path,
	    uint64_t *rows, struct err *e);

/*
 * COPY 'len' bytes of COPY text at 'data' into 'target' (a table, or a
 * table and column list: "svod.reject (run_id, feed)"). Same results as
 * pgcopy_file(), without the file.
 */
int	 pgcopy_data(PGconn *conn, const char *target, const char *data,
	    size_t len, uint64_t *rows, struct err *e);

#endif
