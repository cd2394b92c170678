/*
 * reader: the record-reader interface that csvin (CSV, libcsv) and xmlin
 * (XML, libxml2's xmlTextReader) implement. A reader streams one feed
 * file and hands out one raw record at a time: the source text of each
 * canonical field (feed.h), unvalidated, with its location. Memory is
 * bounded by the caps below, never by the file's size.
 *
 * A record is one CSV row, or one XML entity element (<client>,
 * <notification>) with its repeated item elements (<invoice>, <debt>).
 * A malformed *row* (wrong field count, a stray quote) comes back as a
 * record with 'bad' set, so the caller rejects it and carries on; a
 * malformed *file* (missing column, not UTF-8, truncated XML, invalid
 * against the XSD, a DOCTYPE, empty) makes reader_next() fail with
 * ERR_PARSE and a message naming the file and position.
 */
#ifndef SVOD_READER_H
#define SVOD_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl/config.h"
#include "etl/err.h"

#define READER_MAX_RECORD  (1u << 20)	/* bytes of one record's text */
#define READER_MAX_ITEMS   1000		/* items in one XML entity */
#define READER_MAX_DEPTH   32		/* XML element nesting */

/* The source text of one field; p == NULL when the field is absent. */
struct raw_value {
	const char *p;		/* borrowed until the next reader_next() */
	size_t	 n;		/* bytes, not NUL-terminated */
};

struct raw_item {
	struct raw_value *f;	/* [nfields]; only FEED_F_ITEM fields set */
	unsigned long line;	/* line of the item's start tag */
};

struct raw_record {
	struct raw_value *f;	/* [nfields]; header, entity fields */
	size_t	 nitems;
	struct raw_item *items;	/* [nitems] */
	unsigned long line;	/* first line of the record */
	const char *bad;	/* NULL, or the reason code of a malformed
				   row ("field_count", "bad_quote") */
	unsigned bad_column;	/* 1-based column of the problem, or 0 */
	const char *raw;	/* the row's source text (CSV) for the
				   restricted rejects file, or NULL */
	size_t	 rawlen;
};

struct reader;

/*
 * Open 'path' as feed 'cf' (its layout decides CSV or XML), reading the
 * CSV header or preparing XSD validation. On failure returns ERR_NOINPUT
 * (missing file), ERR_IO or ERR_PARSE with e filled and *out NULL.
 */
int	 reader_open(const struct config_feed *cf, const char *path,
	    struct reader **out, struct err *e);
/*
 * Read the next record into *rec (its pointers borrowed until the next
 * call). Returns 1 for a record, 0 at the end of the file, or a negative
 * enum err_code with e filled when the file itself is bad.
 */
int	 reader_next(struct reader *rd, struct raw_record *rec,
	    struct err *e);
/* Bytes of the file consumed so far (for MB/s). */
uint64_t reader_bytes(const struct reader *rd);
/*
 * Where field 'i' of the current record comes from, for reject messages:
 * a CSV column number and header name, or an XML path.
 */
const char *reader_field_source(const struct reader *rd, size_t i,
	    unsigned *column);
/* Close and free. Accepts NULL. */
void	 reader_close(struct reader *rd);

/* Implementations, called by reader_open(). */
int	 csvin_open(const struct config_feed *cf, const char *path,
	    struct reader **out, struct err *e);
int	 xmlin_open(const struct config_feed *cf, const char *path,
	    struct reader **out, struct err *e);

/* What an implementation provides; the struct reader is its first member. */
struct reader_ops {
	int	 (*next)(struct reader *, struct raw_record *, struct err *);
	const char *(*field_source)(const struct reader *, size_t,
		    unsigned *);
	void	 (*close)(struct reader *);
};

struct reader {
	const struct reader_ops *ops;
	const struct config_feed *cf;
	const char *path;	/* as given to reader_open; borrowed */
	uint64_t bytes;		/* consumed so far */
};

#endif
