/*
 * csvin: the CSV record reader, over libcsv in strict mode.
 *
 * The file is read in large blocks and handed to libcsv one physical line
 * at a time, so that every record knows the line it starts on and a
 * quoted newline simply continues the record on the next line. Only LF
 * ends a line (a CR before it is trimmed as space), so exactly one record
 * can end per line. Each line is checked for UTF-8 before parsing. A stray
 * quote makes that row a bad record (libcsv is reset and the rest of the
 * line skipped); an unterminated quote at the end of the file, a missing
 * or duplicate column or a non-UTF-8 byte fails the whole file.
 */
#include "etl/reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "etl/arena.h"
#include "etl/xalloc.h"

#define CSVIN_BLOCK  (1u << 20)		/* bytes per read() */
#define CSVIN_OPTS   (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

struct csvin {
	struct reader base;		/* first: csvin is a reader */
	int	 fd;
	struct csv_parser parser;
	bool	 parser_live;		/* csv_init() done */
	char	*buf;			/* read buffer, CSVIN_BLOCK + 1 */
	size_t	 buflen;		/* bytes in buf */
	size_t	 bufpos;		/* next unread byte */
	bool	 eof;			/* read() returned 0 */
	bool	 finished;		/* csv_fini() done, no more rows */
	unsigned long line;		/* physical lines consumed */

	/* The header. */
	bool	 in_header;		/* reading the header row */
	size_t	 ncols;			/* columns in the header */
	char	**colnames;		/* [ncols], header names as given */
	int	*colmap;		/* [ncols] -> field index or -1 */
	unsigned *fieldcol;		/* [nfields] -> 1-based column or 0 */

	/* The row being assembled. */
	struct arena mem;		/* row values, reset per record */
	struct raw_value *vals;		/* [nfields] */
	size_t	 col;			/* fields seen so far in the row */
	unsigned long row_line;		/* line the row started on */
	bool	 row_open;		/* some text of the row was seen */
	bool	 row_done;		/* libcsv ended the row */
	const char *bad;		/* reason code of a malformed row */
	unsigned bad_column;
	char	*raw;			/* the row's text */
	size_t	 rawlen, rawcap;
};

static const char *
csvin_source(const struct reader *rd, size_t i, unsigned *column)
{
	const struct csvin *c = (const struct csvin *)rd;

	*column = c->fieldcol[i];
	return config_source(rd->cf, i);
}

static void
csvin_free(struct csvin *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->parser_live)
		csv_free(&c->parser);
	for (size_t i = 0; i < c->ncols; i++)
		free(c->colnames[i]);
	free(c->colnames);
	free(c->colmap);
	free(c->fieldcol);
	free(c->vals);
	free(c->raw);
	free(c->buf);
	arena_release(&c->mem);
	free(c);
}

static void
csvin_close(struct reader *rd)
{
	csvin_free((struct csvin *)rd);
}

/* Only LF ends a record; CR, space and tab around a field are trimmed. */
static int
csvin_is_term(unsigned char ch)
{
	return ch == '\n';
}

static int
csvin_is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static void
csvin_parser_init(struct csvin *c)
{
	if (c->parser_live)
		csv_free(&c->parser);
	csv_init(&c->parser, CSVIN_OPTS);
	csv_set_term_func(&c->parser, csvin_is_term);
	csv_set_space_func(&c->parser, csvin_is_space);
	c->parser_live = true;
}

/* libcsv callback: one field of the current row. */
static void
csvin_field(void *s, size_t len, void *data)
{
	struct csvin *c = data;
	size_t col = c->col++;

	if (c->in_header) {
		c->colnames = xreallocarray(c->colnames, c->ncols + 1,
		    sizeof(*c->colnames));
		c->colnames[c->ncols++] = xstrndup(s ? s : "", len);
		return;
	}
	if (col < c->ncols && c->colmap[col] >= 0) {
		c->vals[c->colmap[col]].p = s ? arena_strndup(&c->mem, s, len)
					      : "";
		c->vals[c->colmap[col]].n = s ? len : 0;
	}
}

/* libcsv callback: the end of the current row. */
static void
csvin_row(int term, void *data)
{
	struct csvin *c = data;

	(void)term;
	c->row_done = true;
	if (!c->in_header && c->col != c->ncols && c->bad == NULL) {
		c->bad = "field_count";
		c->bad_column = (unsigned)(c->col < c->ncols ? c->col + 1
							      : c->ncols + 1);
	}
}

/* Is s[0..n) valid UTF-8 (no overlongs, no surrogates)? */
static size_t
csvin_utf8_bad(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint64_t w;

		/* Plain ASCII goes eight bytes at a time. */
		if (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ull) == 0) {
				i += 8;
				continue;
			}
		}
		unsigned char b = s[i];
		size_t len;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			continue;
		} else if (b >= 0xC2 && b <= 0xDF) {
			len = 2, cp = b & 0x1F;
		} else if (b >= 0xE0 && b <= 0xEF) {
			len = 3, cp = b & 0x0F;
		} else if (b >= 0xF0 && b <= 0xF4) {
			len = 4, cp = b & 0x07;
		} else {
			return i + 1;
		}
		if (i + len > n)
			return i + 1;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i + 1;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
		    || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return i + 1;
		i += len;
	}
	return 0;
}

/*
 * Point *linep at the next physical line (with its LF, if any). Returns 1,
 * 0 at the end of the file, or a negative error.
 */
static int
csvin_getline(struct csvin *c, const char **linep, size_t *lenp,
    struct err *e)
{
	const char *nl;
	ssize_t got;

	for (;;) {
		size_t avail = c->buflen - c->bufpos;

		nl = memchr(c->buf + c->bufpos, '\n', avail);
		if (nl != NULL || (c->eof && avail > 0)) {
			*linep = c->buf + c->bufpos;
			*lenp = nl ? (size_t)(nl - *linep) + 1 : avail;
			c->bufpos += *lenp;
			c->base.bytes += *lenp;
			return 1;
		}
		if (c->eof)
			return 0;
		if (avail >= CSVIN_BLOCK)
			return err_set(e, ERR_LIMIT,
			    "%s:%lu: line longer than %u bytes",
			    c->base.path, c->line + 1, CSVIN_BLOCK);
		memmove(c->buf, c->buf + c->bufpos, avail);
		c->buflen = avail;
		c->bufpos = 0;
		do
			got = read(c->fd, c->buf + c->buflen,
			    CSVIN_BLOCK - c->buflen);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return err_set(e, ERR_IO, "cannot read '%s': %s",
			    c->base.path, strerror(errno));
		if (got == 0)
			c->eof = true;
		c->buflen += (size_t)got;
	}
}

static void
csvin_raw_add(struct csvin *c, const char *s, size_t n)
{
	if (c->rawlen + n > c->rawcap) {
		c->rawcap = (c->rawlen + n) * 2;
		c->raw = xrealloc(c->raw, c->rawcap);
	}
	memcpy(c->raw + c->rawlen, s, n);
	c->rawlen += n;
}

static void
csvin_row_reset(struct csvin *c, size_t nfields)
{
	arena_reset(&c->mem);
	memset(c->vals, 0, nfields * sizeof(*c->vals));
	c->col = 0;
	c->row_open = c->row_done = false;
	c->bad = NULL;
	c->bad_column = 0;
	c->rawlen = 0;
}

/*
 * Feed lines to libcsv until a row is complete. Returns 1 for a row, 0 at
 * the end of the file, or a negative error (a bad file).
 */
static int
csvin_fill_row(struct csvin *c, struct err *e)
{
	const char *line = NULL;
	size_t len = 0, done;
	int rc;

	while (!c->row_done) {
		if ((rc = csvin_getline(c, &line, &len, e)) < 0)
			return rc;
		if (rc == 0) {
			if (c->finished)
				return 0;
			c->finished = true;
			if (csv_fini(&c->parser, csvin_field, csvin_row, c)
			    != 0)
				return err_set(e, ERR_PARSE,
				    "%s:%lu: unterminated quote at end of "
				    "file (the quoted field starts in the "
				    "record at line %lu)",
				    c->base.path, c->line, c->row_line);
			return c->row_done ? 1 : 0;
		}
		c->line++;
		if (c->line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF",
		    3) == 0) {
			line += 3;
			len -= 3;
		}
		size_t bad = csvin_utf8_bad((const unsigned char *)line, len);
		if (bad)
			return err_set(e, ERR_PARSE,
			    "%s:%lu: not UTF-8 (invalid byte at byte %zu of "
			    "the line)", c->base.path, c->line, bad);
		if (!c->row_open) {
			/* A blank line between records is not a record. */
			if (len == 0 || (len == 1 && line[0] == '\n') ||
			    (len == 2 && line[0] == '\r' && line[1] == '\n'))
				continue;
			c->row_open = true;
			c->row_line = c->line;
		}
		if (c->rawlen + len > READER_MAX_RECORD)
			return err_set(e, ERR_LIMIT,
			    "%s:%lu: record longer than %u bytes (an "
			    "unterminated quote?)", c->base.path,
			    c->row_line, READER_MAX_RECORD);
		if (!c->in_header)
			csvin_raw_add(c, line, len);
		done = csv_parse(&c->parser, line, len, csvin_field,
		    csvin_row, c);
		if (done < len) {
			if (csv_error(&c->parser) != CSV_EPARSE)
				return err_set(e, ERR_IO, "%s:%lu: %s",
				    c->base.path, c->line,
				    csv_strerror(csv_error(&c->parser)));
			if (c->in_header)
				return err_set(e, ERR_PARSE,
				    "%s:%lu: malformed quoting in the header",
				    c->base.path, c->line);
			/* A stray quote: reject the row, skip the line. */
			c->bad = "bad_quote";
			c->bad_column = (unsigned)c->col + 1;
			c->row_done = true;
			csvin_parser_init(c);
		}
	}
	return 1;
}

static int
csvin_next(struct reader *rd, struct raw_record *rec, struct err *e)
{
	struct csvin *c = (struct csvin *)rd;
	size_t nfields = rd->cf->desc->nfields;
	int rc;

	csvin_row_reset(c, nfields);
	if ((rc = csvin_fill_row(c, e)) <= 0)
		return rc;
	memset(rec, 0, sizeof(*rec));
	rec->f = c->vals;
	rec->line = c->row_line;
	rec->bad = c->bad;
	rec->bad_column = c->bad_column;
	rec->raw = c->raw;
	rec->rawlen = c->rawlen;
	return 1;
}

/* Map header names to canonical fields, case-insensitively. */
static int
csvin_map_header(struct csvin *c, struct err *e)
{
	const struct feed_desc *fd = c->base.cf->desc;

	c->colmap = xcalloc(c->ncols, sizeof(*c->colmap));
	c->fieldcol = xcalloc(fd->nfields, sizeof(*c->fieldcol));
	for (size_t k = 0; k < c->ncols; k++) {
		c->colmap[k] = -1;
		for (size_t j = 0; j < k; j++)
			if (strcasecmp(c->colnames[j], c->colnames[k]) == 0)
				return err_set(e, ERR_PARSE,
				    "%s:1: duplicate column '%s' (columns "
				    "%zu and %zu)", c->base.path,
				    c->colnames[k], j + 1, k + 1);
	}
	for (size_t i = 0; i < fd->nfields; i++) {
		const char *src = config_source(c->base.cf, i);

		for (size_t k = 0; k < c->ncols; k++) {
			if (strcasecmp(c->colnames[k], src) == 0) {
				c->colmap[k] = (int)i;
				c->fieldcol[i] = (unsigned)k + 1;
				break;
			}
		}
		if (c->fieldcol[i] == 0 &&
		    (fd->fields[i].flags & FEED_F_REQUIRED))
			return err_set(e, ERR_PARSE,
			    "%s:1: missing required column '%s'%s%s%s",
			    c->base.path, src,
			    strcmp(src, fd->fields[i].name) ? " (field '" : "",
			    strcmp(src, fd->fields[i].name)
				? fd->fields[i].name : "",
			    strcmp(src, fd->fields[i].name) ? "')" : "");
	}
	return 0;
}

static const struct reader_ops csvin_ops = {
	csvin_next, csvin_source, csvin_close
};

int
csvin_open(const struct config_feed *cf, const char *path,
    struct reader **out, struct err *e)
{
	struct csvin *c;
	struct stat st;
	int rc;

	*out = NULL;
	c = xcalloc(1, sizeof(*c));
	c->base.ops = &csvin_ops;
	c->base.cf = cf;
	c->base.path = path;
	c->fd = -1;
	arena_init(&c->mem, 64 * 1024);
	c->vals = xcalloc(cf->desc->nfields, sizeof(*c->vals));
	c->buf = xmalloc(CSVIN_BLOCK + 1);
	csvin_parser_init(c);

	if ((c->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = err_set(e, errno == ENOENT ? ERR_NOINPUT : ERR_IO,
		    "cannot open '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(c->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = err_set(e, ERR_IO, "cannot read '%s': is a directory",
		    path);
		goto fail;
	}
	c->in_header = true;
	rc = csvin_fill_row(c, e);
	if (rc < 0)
		goto fail;
	if (rc == 0 || c->ncols == 0) {
		rc = err_set(e, ERR_PARSE, "%s: empty file (no header row)",
		    path);
		goto fail;
	}
	c->in_header = false;
	if ((rc = csvin_map_header(c, e)) != 0)
		goto fail;
	*out = &c->base;
	return 0;
fail:
	csvin_free(c);
	return rc;
}
