/*
 * runfiles: the pseudonymised output of extraction as files in
 * PostgreSQL's COPY text format, one set per feed in a directory:
 *   <feed>.tsv          source key, line, the feed's debt fields (raw
 *                       identity fields are never written), then one
 *                       keyed token per purpose as bytea (\\x + hex) or
 *                       \N when absent;
 *   <feed>.contact.tsv  source key and the display fields advisers need
 *                       (names, address, postcode): personal data, 0600;
 *   breathing_space_debt.tsv  notification ref, line, creditor ref,
 *                       type, amount (pence), one row per <debt>.
 * Files are written under ".tmp" names and renamed by runfiles_finish()
 * only when the run succeeded; a failed run leaves nothing behind. The
 * column lists are those of runfiles_columns(), from which the loader
 * creates its tables, so files and tables cannot disagree.
 */
#ifndef SVOD_RUNFILES_H
#define SVOD_RUNFILES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "etl/err.h"
#include "etl/extract.h"
#include "etl/feed.h"
#include "jobs/pipeline.h"

enum runfiles_kind { RUNFILES_MAIN, RUNFILES_CONTACT, RUNFILES_ITEMS,
	RUNFILES_KINDS };

struct runfiles {
	char	*dir;
	FILE	*fp[FEED_COUNT][RUNFILES_KINDS];
	char	*tmp[FEED_COUNT][RUNFILES_KINDS];
	char	*final[FEED_COUNT][RUNFILES_KINDS];
	uint64_t rows[FEED_COUNT][RUNFILES_KINDS];	/* rows written */
};

/* Start writing into 'dir' (which must exist). Cannot fail. */
void	 runfiles_init(struct runfiles *rf, const char *dir);
/* Write one record and its tokens. A pipeline_fn: 'arg' is the struct. */
int	 runfiles_record(void *arg, const struct record *rec,
	    const struct identity *id, struct err *e);
/*
 * Close every file (fsync'd); with 'ok' rename them into place, else
 * remove them. Returns 0 or ERR_IO (then nothing is kept).
 */
int	 runfiles_finish(struct runfiles *rf, bool ok, struct err *e);
/* Free everything; files still open are removed. */
void	 runfiles_release(struct runfiles *rf);
/* The table name of a kind of file of a feed ("rent_contact"). */
void	 runfiles_table(enum feed_id f, enum runfiles_kind k, char *out,
	    size_t cap);
/* The path written for (f, k) after finish(ok), or NULL if none. */
const char *runfiles_path(const struct runfiles *rf, enum feed_id f,
	    enum runfiles_kind k);
/*
 * The CREATE TABLE column list "(source_key text, line bigint, ...)" of
 * the table for (f, k), into out (cap bytes). Returns 0 or ERR_LIMIT.
 */
int	 runfiles_columns(enum feed_id f, enum runfiles_kind k, char *out,
	    size_t cap);

#endif
