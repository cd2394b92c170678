/*
 * rejects: where rejected records go. Each reject has a location (feed,
 * file, line, column or XML path), a reason code and a message that
 * carries no personal data; the record's raw text, which does, is written
 * only to a restricted file, <dir>/<feed>.rejects.csv, created with mode
 * 0600 in a directory of mode 0700, for the service to correct and
 * resend. Nothing is created until the first reject of a feed.
 */
#ifndef SVOD_REJECTS_H
#define SVOD_REJECTS_H

#include <stdio.h>

#include "etl/err.h"
#include "etl/feed.h"

struct reject {
	const char *feed;	/* feed name */
	const char *file;	/* input file path */
	unsigned long line;	/* 1-based line of the record */
	unsigned column;	/* 1-based CSV column, or 0 */
	const char *field;	/* source column or XML path, or NULL */
	const char *reason;	/* stable reason code ("bad_money") */
	const char *message;	/* lower case, no personal data */
};

struct rejects {
	char	*dir;			/* directory of the restricted files */
	FILE	*fp[FEED_COUNT];	/* open on first reject, else NULL */
	char	*path[FEED_COUNT];	/* their paths, or NULL */
};

/* Prepare to write under 'dir' (created 0700 when first needed). */
void	 rejects_init(struct rejects *rj, const char *dir);
/* Close the files (flushing them) and free. Returns 0 or ERR_IO. */
int	 rejects_release(struct rejects *rj, struct err *e);
/*
 * Record reject 'r' of feed 'feed' with the raw text raw[0..rawlen)
 * (NULL for none: XML entities are identified by line). Returns 0, or
 * ERR_IO when the restricted file cannot be written.
 */
int	 rejects_add(struct rejects *rj, enum feed_id feed,
	    const struct reject *r, const char *raw, size_t rawlen,
	    struct err *e);

#endif
