/*
 * extract: one feed file in, validated canonical records out. It wires a
 * reader (csvin or xmlin) to the field validators (fields.h) following
 * the feed's table (feed.h):
 *   - a required field that is missing or invalid, a malformed row, or a
 *     duplicate unique reference rejects the record (rejects.h) and the
 *     run goes on until the feed's reject budget is spent;
 *   - any other field that fails validation (a bad postcode, NINO, NHS
 *     number, date of birth, ...) is set to missing and counted as a
 *     warning by field and reason; the record is kept, so a debt never
 *     vanishes because an identity field is wrong.
 * A record is one debt line: a CSV row, an ASC invoice (with its client's
 * fields) or a breathing-space notification (its <debt> items attached;
 * a bad <debt> item is dropped with a warning, the notification kept).
 * Memory is bounded: values live in a per-record arena; only the set of
 * unique references seen (16 bytes each) grows with the file.
 */
#ifndef SVOD_EXTRACT_H
#define SVOD_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/rejects.h"

#define EXTRACT_MAX_COUNTS 64	/* distinct (field, reason) tallies kept */
#define EXTRACT_MAX_LOCS   10000	/* reject locations kept (summary, database) */

/* A validated value. */
struct value {
	bool	 present;	/* false: blank, absent, or dropped */
	int64_t	 i;		/* money (pence), date (days since 1970),
				   int, UPRN, enum index, FY start, bool */
	const char *s;		/* text, ref, canonical NINO/NHS/postcode,
				   datetime; NUL-terminated; NULL if absent */
	size_t	 n;		/* strlen(s) */
};

struct record_item {
	struct value *v;	/* [nfields]; FEED_F_ITEM fields set */
	unsigned long line;
};

struct record {
	const struct feed_desc *desc;
	struct value *v;	/* [nfields] */
	const char *file;	/* the input file */
	unsigned long line;	/* line of the row, invoice or notification */
	const char *key;	/* source key ("AC123:1"), NUL-terminated */
	unsigned warnings;	/* fields dropped from this record */
	size_t	 nitems;	/* breathing space: the valid <debt>s */
	struct record_item *items;
};

/* A tally of one (field, reason): rejects or warnings. */
struct extract_count {
	const char *field;	/* canonical field name, or "" (row) */
	const char *reason;	/* reason code */
	uint64_t n;
	unsigned long first_line;
};

struct extract_stats {
	uint64_t read;		/* records read: accepted + rejected */
	uint64_t accepted;
	uint64_t rejected;
	uint64_t warned;	/* accepted records with a warning */
	uint64_t warnings;	/* warnings in all */
	uint64_t bytes;		/* input bytes consumed */
	struct extract_count rejects[EXTRACT_MAX_COUNTS];
	size_t	 nreject_kinds;
	struct extract_count warns[EXTRACT_MAX_COUNTS];
	size_t	 nwarn_kinds;
	struct reject *locs;	/* the first EXTRACT_MAX_LOCS rejects */
	size_t	 nlocs;
};

struct extract;

/*
 * Start extracting 'path' as feed 'cf' of 'cfg', sending rejects to 'rj'
 * (borrowed; may be NULL to keep rejects in memory only). Fails like
 * reader_open().
 */
int	 extract_open(const struct config *cfg, const struct config_feed *cf,
	    const char *path, struct rejects *rj, struct extract **out,
	    struct err *e);
/*
 * The next accepted record (borrowed until the next call). Returns 1, 0
 * at the end, ERR_DATA when the reject budget is spent, or another
 * negative code when the file is bad or a reject cannot be written.
 */
int	 extract_next(struct extract *x, struct record **rec, struct err *e);
/* The tallies so far. */
const struct extract_stats *extract_stats(const struct extract *x);
/* Check the percentage budget at the end: 0 or ERR_DATA. */
int	 extract_finish(struct extract *x, struct err *e);
/* Free. Accepts NULL. */
void	 extract_close(struct extract *x);

#endif
