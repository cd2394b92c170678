/*
 * Tests for etl/pgconn that need no server: an unreachable server is
 * ERR_DB, a malformed conninfo is ERR_CONFIG, and no message ever shows a
 * password. The paths that talk to a server are covered by
 * tests/e2e/init.sh against a private PostgreSQL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/pgconn.h"

/* No text of 'e' (message, detail, hint) contains 's'. */
static void
assert_err_lacks(const struct err *e, const char *s)
{
	assert_null(strstr(e->msg, s));
	assert_null(strstr(e->detail, s));
	assert_null(strstr(e->hint, s));
}

static void
test_unreachable_is_err_db(void **state)
{
	PGconn *conn = (PGconn *)1;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(pgconn_open("host=/nonexistent/svod-socket "
	    "dbname=svod password=hunter2", &conn, &e), ERR_DB);
	assert_null(conn);
	assert_int_equal(e.code, ERR_DB);
	assert_non_null(strstr(e.msg, "cannot connect to the database: "));
	assert_non_null(strstr(e.msg, "/nonexistent/svod-socket"));
	assert_string_not_equal(e.hint, "");
	assert_err_lacks(&e, "hunter2");
}

static void
test_bad_conninfo_is_err_config(void **state)
{
	PGconn *conn = NULL;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(pgconn_open("host=x frobnicate=1", &conn, &e),
	    ERR_CONFIG);
	assert_null(conn);
	assert_string_equal(e.msg, "cannot parse the database conninfo");
	assert_non_null(strstr(e.detail, "frobnicate"));
}

static void
test_bad_conninfo_hides_secrets(void **state)
{
	static const char *const bad[] = {
		"host=x password = sec ret",	/* libpq quotes "ret" */
		"password='unterminated",
		"postgresql://user:hunter2@[::1/db",
	};
	PGconn *conn = NULL;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_int_equal(pgconn_open(bad[i], &conn, &e), ERR_CONFIG);
		assert_null(conn);
		assert_err_lacks(&e, "ret");
		assert_err_lacks(&e, "unterminated");
		assert_err_lacks(&e, "hunter2");
	}
}

static void
test_sqlstate_and_fail_without_result(void **state)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
	struct err e;

	(void)state;
	assert_string_equal(pgconn_sqlstate(NULL), "");
	assert_string_equal(pgconn_sqlstate(res), "");
	err_clear(&e);
	assert_int_equal(pgconn_fail(NULL, NULL, "statement 'SELECT 1'", &e),
	    ERR_DB);
	assert_string_equal(e.msg,
	    "statement 'SELECT 1' failed: no result from the server");
	err_clear(&e);
	assert_int_equal(pgconn_fail(NULL, res, "load", &e), ERR_DB);
	assert_string_equal(e.msg,
	    "load failed: unexpected result PGRES_FATAL_ERROR");
	PQclear(res);
	pgconn_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unreachable_is_err_db),
		cmocka_unit_test(test_bad_conninfo_is_err_config),
		cmocka_unit_test(test_bad_conninfo_hides_secrets),
		cmocka_unit_test(test_sqlstate_and_fail_without_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
