/*
 * err: one failure, described once. A fallible function returns 0 or a
 * negative enum err_code and fills a caller's struct err; err_set() both
 * stores the message and returns the code, so a failure is one line:
 * `return err_set(e, ERR_IO, "cannot open '%s'", path);`. Messages never
 * carry personal data: name a file, line, column, field and reason code.
 */
#ifndef SVOD_ERR_H
#define SVOD_ERR_H

#include <stdarg.h>

enum err_code {
	ERR_OK = 0,
	ERR_IO = -1,	   /* a file or socket could not be read or written */
	ERR_PARSE = -2,	   /* a file is malformed (bad header, truncated, ...) */
	ERR_LIMIT = -3,	   /* a cap was reached (field, record, depth) */
	ERR_DB = -4,	   /* PostgreSQL refused or failed */
	ERR_CONFIG = -5,   /* the job configuration is wrong */
	ERR_DATA = -6,	   /* the reject budget is spent */
	ERR_NOINPUT = -7,  /* a configured input does not exist */
	ERR_CRYPTO = -8,   /* OpenSSL failed, or the key file is unsafe */
	ERR_USAGE = -9,	   /* bad command-line options */
	ERR_TEMPFAIL = -10, /* another run holds the lock */
	ERR_SOFTWARE = -11 /* an internal error */
};

struct err {
	int	 code;		/* last enum err_code set, 0 when clear */
	char	 msg[512];	/* lower case, no final period */
	char	 detail[512];	/* optional facts, "" when none */
	char	 hint[256];	/* optional advice, "" when none */
};

/* Empty 'e'. Cannot fail. */
void	 err_clear(struct err *e);
/* Store a message (printf-style) and return 'code'. 'e' may be NULL. */
int	 err_set(struct err *e, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Store a detail line (facts). Returns e->code. */
int	 err_detail(struct err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Store a hint line (advice). Returns e->code. */
int	 err_hint(struct err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The sysexits.h exit status for an enum err_code (0 for ERR_OK). */
int	 err_exit_status(int code);
/* Print 'e' to stderr as "svod: error: msg" plus detail and hint lines. */
void	 err_print(const struct err *e);

#endif
