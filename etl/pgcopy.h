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

#include <libpq-fe.h>

#include "etl/err.h"

/*
 * COPY the file at 'path' into 'table' (an already quoted, qualified
 * name, e.g. run_42.rent). On success *rows is the server's count.
 * Returns 0, ERR_IO (the file) or ERR_DB (the message names the table and
 * SQLSTATE).
 */
int	 pgcopy_file(PGconn *conn, const char *table, const char *path,
	    uint64_t *rows, struct err *e);

#endif
