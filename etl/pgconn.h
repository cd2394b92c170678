/*
 * pgconn: the few libpq calls every job needs, with svod's error rules.
 * A database is named the libpq way: a conninfo string or URI, or NULL
 * for the PG* environment variables. Every failure is ERR_DB with a
 * message "<what> failed: <server message> (SQLSTATE 42P01)", the
 * server's detail and hint on the detail and hint lines, and never a
 * password. Server notices go to the debug log, not to stderr.
 *
 * To branch on a SQLSTATE (a lock_timeout to retry, say), call PQexec
 * yourself, test pgconn_sqlstate(res), and report with pgconn_fail().
 */
#ifndef SVOD_PGCONN_H
#define SVOD_PGCONN_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "etl/err.h"

/* Lifecycle */

/*
 * Connect to 'conninfo' (NULL or "" = the PG* environment and libpq's
 * defaults), with application_name "svod" unless the conninfo sets one,
 * and a 10 s connect_timeout unless it or PGCONNECT_TIMEOUT sets one. On
 * success *out is the connection (caller owns, close with pgconn_close).
 * Returns 0; ERR_CONFIG when the conninfo cannot be parsed; ERR_DB when
 * the server cannot be reached or refuses us (libpq's message; the hint
 * names the conninfo setting). *out is NULL on failure.
 */
int	 pgconn_open(const char *conninfo, PGconn **out, struct err *e);
/* Close a connection, releasing its session locks. Accepts NULL. */
void	 pgconn_close(PGconn *conn);

/* Operations */

/*
 * Run 'sql' (one or more statements, no parameters) and discard any rows.
 * Returns 0, or ERR_DB naming the start of the statement and the
 * SQLSTATE. A failure inside a transaction leaves it aborted: the caller
 * rolls back.
 */
int	 pgconn_exec(PGconn *conn, const char *sql, struct err *e);
/*
 * Run one statement with 'nparams' text parameters ($1, $2, ...; a NULL
 * entry is SQL NULL). When 'valuep' is not NULL it receives the first
 * column of the first row as a new string (caller frees with free()), or
 * NULL when there is no row or the value is NULL. Returns 0 or ERR_DB;
 * *valuep is NULL on failure.
 */
int	 pgconn_exec_params(PGconn *conn, const char *sql, int nparams,
	    const char *const *params, char **valuep, struct err *e);
/*
 * Try to take the session-level advisory lock 'key' without waiting
 * (pg_try_advisory_lock). *got is true when this session now holds it;
 * it is held until the connection closes. Returns 0 or ERR_DB.
 */
int	 pgconn_try_advisory_lock(PGconn *conn, int64_t key, bool *got,
	    struct err *e);
/*
 * Describe who holds advisory lock 'key', e.g. "pid 4242 (svod init)",
 * in a new string (caller frees), or NULL when no session holds it or the
 * catalogue cannot be read. For "another run holds the lock" messages.
 */
char	*pgconn_lock_holder(PGconn *conn, int64_t key);

/* Queries */

/*
 * The five-character SQLSTATE of a failed result, or "" when there is
 * none (res is NULL, succeeded, or the connection broke). Borrowed from
 * res: valid until PQclear(res).
 */
const char *pgconn_sqlstate(const PGresult *res);
/*
 * Fill 'e' with ERR_DB: "<what> failed: <message> (SQLSTATE <code>)",
 * using res's error fields, or conn's error message when res is NULL.
 * Either may be NULL. Does not clear res. Returns ERR_DB.
 */
int	 pgconn_fail(PGconn *conn, const PGresult *res, const char *what,
	    struct err *e);

#endif
