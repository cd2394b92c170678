#include "etl/err.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->msg[0] = e->detail[0] = e->hint[0] = '\0';
}

int
err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	e->detail[0] = e->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
err_detail(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return e->code;
}

int
err_hint(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
	return e->code;
}

int
err_exit_status(int code)
{
	switch (code) {
	case ERR_OK:
		return EX_OK;
	case ERR_IO:
		return EX_IOERR;
	case ERR_PARSE:
	case ERR_LIMIT:
	case ERR_DATA:
		return EX_DATAERR;
	case ERR_DB:
		return EX_UNAVAILABLE;
	case ERR_CONFIG:
		return EX_CONFIG;
	case ERR_NOINPUT:
		return EX_NOINPUT;
	case ERR_CRYPTO:
		return EX_CONFIG;
	case ERR_USAGE:
		return EX_USAGE;
	case ERR_TEMPFAIL:
		return EX_TEMPFAIL;
	default:
		return EX_SOFTWARE;
	}
}

void
err_print(const struct err *e)
{
	fprintf(stderr, "svod: error: %s\n", e->msg[0] ? e->msg : "unknown");
	if (e->detail[0])
		fprintf(stderr, "svod: detail: %s\n", e->detail);
	if (e->hint[0])
		fprintf(stderr, "svod: hint: %s\n", e->hint);
}
