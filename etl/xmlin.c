#include "etl/xmlin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include "etl/arena.h"
#include "etl/config.h"
#include "etl/feed.h"
#include "etl/xalloc.h"

/* One open element inside the current entity; frames[0] is the entity. */
struct xmlin_frame {
	size_t	 pathlen;	/* strlen(path) while this element is open */
	size_t	 sib;		/* first sibs[] entry counting its children */
	int	 field;		/* field its text goes to, or -1 */
	bool	 item;		/* it is an item element (<invoice>) */
};

/* How many children of one name an open element has seen so far. */
struct xmlin_sib {
	const xmlChar *name;	/* interned in the reader's dictionary */
	unsigned count;
};

/* A field's configured path, normalised ("[1]" dropped) and hashed. */
struct xmlin_path {
	char	*s;		/* xmalloc'd */
	size_t	 len;
	uint32_t hash;
};

struct xmlin {
	struct reader rd;		/* first: the reader ops cast back */
	xmlTextReaderPtr xr;
	const struct feed_desc *desc;
	size_t	 nfields;
	struct xmlin_path *paths;	/* [nfields] */
	const xmlChar *root;		/* names interned in xr's dictionary */
	const xmlChar *entity;
	const xmlChar *item;
	struct arena run;		/* header values */
	struct arena row;		/* one record's values, reset per call */
	struct raw_value *header;	/* [nfields]; FEED_F_HEADER fields */
	struct raw_value *f;		/* [nfields] of the current record */
	struct raw_item *items;		/* xrealloc'd, reused per record */
	size_t	 nitems;
	size_t	 capitems;
	struct xmlin_sib *sibs;		/* stack of sibling counters */
	size_t	 nsib;
	size_t	 capsib;
	struct xmlin_frame frames[READER_MAX_DEPTH + 1];
	size_t	 depth;			/* open frames minus one */
	char	 path[XMLIN_MAX_PATH + 64];	/* current element path */
	size_t	 text;			/* text bytes in the current record */
	unsigned long line;		/* line of the current record */
	unsigned long text_line;	/* where the last text node ended */
	bool	 cur_text;		/* the current node is text */
	bool	 after_text;		/* the previous node was text */
	bool	 empty;			/* the file is blank */
	unsigned long doctype_line;	/* line of a DOCTYPE, or 0 */
	bool	 started;		/* the root element has been read */
	bool	 done;			/* end of file reached */
	int	 stuck;			/* the error that stopped reading */
	/* The first error libxml2 reported, kept by xmlin_on_error(). */
	bool	 failed;
	int	 xdomain;
	int	 xcode;
	int	 xline;
	char	 xmsg[384];		/* redacted, no trailing newline */
};

static const char xmlin_blank[] = "";

static int	 xmlin_next(struct reader *, struct raw_record *,
		    struct err *);
static const char *xmlin_field_source(const struct reader *, size_t,
		    unsigned *);
static void	 xmlin_close(struct reader *);
static int	 xmlin_next_record(struct xmlin *, struct raw_record *,
		    struct err *);

static const struct reader_ops xmlin_ops = {
	xmlin_next, xmlin_field_source, xmlin_close
};

/* libxml2 must never print; svod reports errors itself. */
static void
xmlin_silent(void *ctx, xmlErrorPtr error)
{
	(void)ctx;
	(void)error;
}

static void
xmlin_silent_generic(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static bool
xmlin_name_eq(const xmlChar *a, const xmlChar *b)
{
	/* Names come from one dictionary, so equal names are one pointer;
	 * strcmp covers a name that bypassed it. */
	return a == b || (a != NULL && b != NULL && a[0] == b[0] &&
	    strcmp((const char *)a, (const char *)b) == 0);
}

static uint32_t
xmlin_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static bool
xmlin_is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	    c == ':' || c == '{' || c == '}' || c == '/' || c >= 0x80;
}

static bool
xmlin_opens_quote(const char *msg, size_t i)
{
	return i == 0 || strchr(" ([{,", msg[i - 1]) != NULL;
}

static bool
xmlin_closes_quote(const char *msg, size_t i)
{
	return msg[i + 1] == '\0' || strchr(" .,:;)]}\n", msg[i + 1]) != NULL;
}

/* A quoted string right after "Element " or "attribute " is a name. */
static bool
xmlin_names_follow(const char *msg, size_t i)
{
	static const char *const keep[] = { "Element ", "element ",
		"Attribute ", "attribute " };
	size_t k, n;

	for (k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
		n = strlen(keep[k]);
		if (i >= n && memcmp(msg + i - n, keep[k], n) == 0)
			return true;
	}
	return false;
}

static bool
xmlin_is_name_span(const char *msg, size_t i, size_t j)
{
	size_t k;

	if (!xmlin_names_follow(msg, i) || j == i + 1)
		return false;
	for (k = i + 1; k < j; k++)
		if (!xmlin_is_name_char((unsigned char)msg[k]))
			return false;
	return true;
}

/*
 * Copy a libxml2 message into out, replacing every quoted string that is
 * not an element or attribute name by '…'. Values may hold quotes
 * themselves (O'Brien), so when the quotes do not pair up cleanly, or a
 * substituted argument holds a quote, everything from the first redacted
 * quote to the last quote is replaced: every value lies in that span.
 */
static void
xmlin_redact(const char *msg, const xmlError *xe, char *out, size_t cap)
{
	static const char dots[] = "'\xe2\x80\xa6'";
	size_t i, j, n, o = 0, first = SIZE_MAX, last = SIZE_MAX;
	bool clean = true;

	if (xe != NULL && ((xe->str1 != NULL && strchr(xe->str1, '\'')) ||
	    (xe->str2 != NULL && strchr(xe->str2, '\'')) ||
	    (xe->str3 != NULL && strchr(xe->str3, '\''))))
		clean = false;
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	/* First pass: where the quoted strings are, and do they pair up. */
	for (i = 0; i < n; i = j + 1) {
		for (j = i; j < n && msg[j] != '\''; j++)
			;
		if (j >= n)
			break;
		last = j;
		i = j;
		for (j = i + 1; j < n && msg[j] != '\''; j++)
			;
		if (j >= n) {
			/* An unpaired quote: redact to the end. */
			clean = false;
			if (first == SIZE_MAX)
				first = i;
			last = n - 1;
			break;
		}
		last = j;
		if (!xmlin_opens_quote(msg, i) || !xmlin_closes_quote(msg, j))
			clean = false;
		if (first == SIZE_MAX && !xmlin_is_name_span(msg, i, j))
			first = i;
	}
	/* Second pass: copy, redacting. */
	for (i = 0; i < n && o + sizeof(dots) < cap; i++) {
		if (msg[i] != '\'') {
			out[o++] = msg[i] == '\n' ? ' ' : msg[i];
			continue;
		}
		if (!clean && i == first) {
			memcpy(out + o, dots, sizeof(dots) - 1);
			o += sizeof(dots) - 1;
			i = last;
			continue;
		}
		for (j = i + 1; j < n && msg[j] != '\''; j++)
			;
		if (xmlin_is_name_span(msg, i, j) && o + (j - i) + 2 < cap) {
			memcpy(out + o, msg + i, j - i + 1);
			o += j - i + 1;
		} else {
			memcpy(out + o, dots, sizeof(dots) - 1);
			o += sizeof(dots) - 1;
		}
		i = j;
	}
	out[o] = '\0';
}

/* Keep the first error; the reader stops at it. */
static void
xmlin_on_error(void *arg, xmlErrorPtr xe)
{
	struct xmlin *x = arg;
	xmlParserCtxtPtr ctxt;

	if (xe == NULL || xe->level < XML_ERR_ERROR || x->failed)
		return;
	x->failed = true;
	x->xdomain = xe->domain;
	x->xcode = xe->code;
	x->xline = xe->line;
	/* At the end of input, libxml2's push parser calls elements still
	 * open "extra content": say what happened instead. */
	ctxt = xe->domain == XML_FROM_PARSER ? xe->ctxt : NULL;
	if (xe->code == XML_ERR_DOCUMENT_END && ctxt != NULL &&
	    ctxt->nameNr > 0 && ctxt->name != NULL) {
		snprintf(x->xmsg, sizeof(x->xmsg),
		    "file ends inside element '%s'", ctxt->name);
		return;
	}
	xmlin_redact(xe->message != NULL ? xe->message : "unknown error", xe,
	    x->xmsg, sizeof(x->xmsg));
}

/*
 * The line of the current element's '<'. Right after text, that is where
 * the text ended. Otherwise libxml2's own line (where the start tag ends)
 * is used, which it keeps only up to 65535: past that, only text nodes
 * keep lines (XML_PARSE_BIG_LINES), so the last text's line stands in.
 */
static unsigned long
xmlin_node_line(struct xmlin *x)
{
	xmlNodePtr node = xmlTextReaderCurrentNode(x->xr);
	long line;

	if (x->after_text && x->text_line > 0)
		return x->text_line;
	if (node != NULL && node->line > 0 && node->line < 65535)
		return node->line;
	if (x->text_line > 0)
		return x->text_line;
	line = xmlTextReaderGetParserLineNumber(x->xr);
	return line > 0 ? (unsigned long)line : 0;
}

/* Remember where the current text node ends, for xmlin_node_line(). */
static void
xmlin_text_line(struct xmlin *x)
{
	xmlNodePtr node = xmlTextReaderCurrentNode(x->xr);
	long line = node != NULL ? xmlGetLineNo(node) : -1;

	if (line > 0)
		x->text_line = (unsigned long)line;
	x->cur_text = true;
}

static const char *
xmlin_schema_name(const struct xmlin *x)
{
	const char *s = x->rd.cf->schema, *slash;

	if (s == NULL)
		return "?";
	slash = strrchr(s, '/');
	return slash != NULL ? slash + 1 : s;
}

/* Turn the recorded libxml2 error (or a bare -1) into ERR_PARSE. */
static int
xmlin_fail(struct xmlin *x, struct err *e)
{
	const char *path = x->rd.path;
	int line = x->xline > 0 ? x->xline :
	    xmlTextReaderGetParserLineNumber(x->xr);

	x->done = true;
	if (!x->failed)
		return err_set(e, ERR_PARSE, "%s:%d: malformed xml", path,
		    line);
	switch (x->xcode) {
	case XML_ERR_INVALID_CHAR:
	case XML_ERR_INVALID_ENCODING:
	case XML_ERR_UNKNOWN_ENCODING:
	case XML_ERR_UNSUPPORTED_ENCODING:
	case XML_I18N_CONV_FAILED:
		/* Its message quotes the offending bytes: never show them. */
		if (x->xcode != XML_ERR_INVALID_CHAR ||
		    strstr(x->xmsg, "UTF-8") != NULL)
			return err_set(e, ERR_PARSE, "%s:%d: not UTF-8", path,
			    line);
		break;
	default:
		break;
	}
	if (x->xdomain == XML_FROM_SCHEMASV)
		return err_set(e, ERR_PARSE,
		    "%s:%d: xml not valid against schema '%s': %s", path, line,
		    xmlin_schema_name(x), x->xmsg);
	return err_set(e, ERR_PARSE, "%s:%d: malformed xml: %s", path, line,
	    x->xmsg);
}

/* Read one node: 1, 0 at the end, or ERR_PARSE. */
static int
xmlin_read(struct xmlin *x, struct err *e)
{
	int rc;

	x->after_text = x->cur_text;
	x->cur_text = false;
	rc = xmlTextReaderRead(x->xr);
	if (x->failed || rc < 0)
		return xmlin_fail(x, e);
	if (rc == 0)
		x->done = true;
	return rc;
}

/* Drop "[1]" steps, and the item's own index on item paths. */
static void
xmlin_normalise(const char *src, bool item, struct xmlin_path *p)
{
	char *s = xmalloc(strlen(src) + 1), *o = s;
	bool first = true;

	while (*src != '\0') {
		if (*src == '[' && (first && item)) {
			while (*src != '\0' && *src != ']')
				src++;
			if (*src == ']')
				src++;
			continue;
		}
		if (strncmp(src, "[1]", 3) == 0 &&
		    (src[3] == '/' || src[3] == '\0')) {
			src += 3;
			continue;
		}
		if (*src == '/')
			first = false;
		*o++ = *src++;
	}
	*o = '\0';
	p->s = s;
	p->len = (size_t)(o - s);
	p->hash = xmlin_hash(s, p->len);
}

/* The field whose path is path[0..len), or -1. */
static int
xmlin_lookup(const struct xmlin *x, size_t len)
{
	uint32_t h = xmlin_hash(x->path, len);
	size_t i;

	for (i = 0; i < x->nfields; i++) {
		if (x->paths[i].hash != h || x->paths[i].len != len)
			continue;
		if (x->desc->fields[i].flags & FEED_F_HEADER)
			continue;
		if (memcmp(x->paths[i].s, x->path, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Where field i goes: the current item, the record, or nowhere. */
static struct raw_value *
xmlin_slot(struct xmlin *x, int i)
{
	bool in_item = x->depth >= 1 && x->frames[1].item;

	if (i < 0)
		return NULL;
	if (x->desc->fields[i].flags & FEED_F_ITEM)
		return in_item ? &x->items[x->nitems - 1].f[i] : NULL;
	return &x->f[i];
}

static int
xmlin_limit_text(struct xmlin *x, size_t n, struct err *e)
{
	x->text += n;
	if (x->text > READER_MAX_RECORD)
		return err_set(e, ERR_LIMIT,
		    "%s:%lu: record longer than %u bytes", x->rd.path,
		    x->line, READER_MAX_RECORD);
	return 0;
}

/* Append n bytes of borrowed text to a field's value in the row arena. */
static void
xmlin_append(struct xmlin *x, struct raw_value *v, const char *s, size_t n)
{
	char *p;

	if (v->p == NULL || v->n == 0) {
		v->p = arena_strndup(&x->row, s, n);
		v->n = n;
		return;
	}
	p = arena_alloc(&x->row, v->n + n + 1);
	memcpy(p, v->p, v->n);
	memcpy(p + v->n, s, n);
	p[v->n + n] = '\0';
	v->p = p;
	v->n += n;
}

/* Store the attributes of the current element under path[0..len). */
static int
xmlin_attributes(struct xmlin *x, size_t len, struct err *e)
{
	const char *name, *val;
	struct raw_value *v;
	size_t n, vn;
	int rc = 0;

	while (xmlTextReaderMoveToNextAttribute(x->xr) == 1) {
		if (xmlTextReaderIsNamespaceDecl(x->xr) == 1)
			continue;
		name = (const char *)xmlTextReaderConstName(x->xr);
		n = strlen(name);
		if (len + 2 + n > XMLIN_MAX_PATH) {
			rc = err_set(e, ERR_LIMIT,
			    "%s:%lu: xml path longer than %d bytes",
			    x->rd.path, xmlin_node_line(x), XMLIN_MAX_PATH);
			break;
		}
		n = (size_t)snprintf(x->path + len, sizeof(x->path) - len,
		    "%s@%s", len > 0 ? "/" : "", name) + len;
		val = (const char *)xmlTextReaderConstValue(x->xr);
		vn = val != NULL ? strlen(val) : 0;
		if ((rc = xmlin_limit_text(x, vn, e)) != 0)
			break;
		if ((v = xmlin_slot(x, xmlin_lookup(x, n))) != NULL) {
			v->p = xmlin_blank;
			v->n = 0;
			if (vn > 0)
				xmlin_append(x, v, val, vn);
		}
	}
	xmlTextReaderMoveToElement(x->xr);
	x->path[len] = '\0';
	return rc;
}

static int
xmlin_new_item(struct xmlin *x, struct err *e)
{
	struct raw_item *it;

	if (x->nitems >= READER_MAX_ITEMS)
		return err_set(e, ERR_LIMIT,
		    "%s:%lu: more than %d <%s> items in one <%s>", x->rd.path,
		    xmlin_node_line(x), READER_MAX_ITEMS, x->desc->item,
		    x->desc->entity);
	if (x->nitems == x->capitems) {
		x->capitems = x->capitems ? 2 * x->capitems : 8;
		x->items = xreallocarray(x->items, x->capitems,
		    sizeof(*x->items));
	}
	it = &x->items[x->nitems++];
	it->f = arena_alloc(&x->row, x->nfields * sizeof(*it->f));
	memset(it->f, 0, x->nfields * sizeof(*it->f));
	it->line = xmlin_node_line(x);
	return 0;
}

/* The k-th child of this name under the current frame (1-based). */
static unsigned
xmlin_sibling(struct xmlin *x, const xmlChar *name)
{
	size_t i;

	for (i = x->frames[x->depth].sib; i < x->nsib; i++)
		if (xmlin_name_eq(x->sibs[i].name, name))
			return ++x->sibs[i].count;
	if (x->nsib == x->capsib) {
		x->capsib = x->capsib ? 2 * x->capsib : 32;
		x->sibs = xreallocarray(x->sibs, x->capsib, sizeof(*x->sibs));
	}
	x->sibs[x->nsib].name = name;
	x->sibs[x->nsib].count = 1;
	x->nsib++;
	return 1;
}

static int
xmlin_too_deep(struct xmlin *x, struct err *e)
{
	return err_set(e, ERR_LIMIT,
	    "%s:%lu: xml nested deeper than %d elements", x->rd.path,
	    xmlin_node_line(x), READER_MAX_DEPTH);
}

/* A start tag inside the entity: push a frame, map it, read attributes. */
static int
xmlin_start_element(struct xmlin *x, struct err *e)
{
	const xmlChar *name = xmlTextReaderConstLocalName(x->xr);
	struct xmlin_frame *parent, *fr;
	struct raw_value *v;
	size_t len, n;
	unsigned k;
	bool item;
	int rc;

	/* The entity is at depth 1; this element one below the frame. */
	if (x->depth + 2 >= READER_MAX_DEPTH)
		return xmlin_too_deep(x, e);
	parent = &x->frames[x->depth];
	k = xmlin_sibling(x, name);
	item = x->depth == 0 && x->item != NULL &&
	    xmlin_name_eq(name, x->item);
	len = parent->pathlen;
	n = strlen((const char *)name);
	if (len + n + 16 > XMLIN_MAX_PATH)
		return err_set(e, ERR_LIMIT,
		    "%s:%lu: xml path longer than %d bytes", x->rd.path,
		    xmlin_node_line(x), XMLIN_MAX_PATH);
	if (len > 0)
		x->path[len++] = '/';
	memcpy(x->path + len, name, n);
	len += n;
	/* Items are matched ignoring their own index (reader.h). */
	if (k >= 2 && !item)
		len += (size_t)snprintf(x->path + len,
		    sizeof(x->path) - len, "[%u]", k);
	x->path[len] = '\0';
	fr = &x->frames[++x->depth];
	fr->pathlen = len;
	fr->sib = x->nsib;
	fr->item = item;
	if (item && (rc = xmlin_new_item(x, e)) != 0)
		return rc;
	fr->field = xmlin_lookup(x, len);
	if ((v = xmlin_slot(x, fr->field)) != NULL) {
		v->p = xmlin_blank;
		v->n = 0;
	} else {
		fr->field = -1;
	}
	if (xmlTextReaderHasAttributes(x->xr) == 1 &&
	    (rc = xmlin_attributes(x, len, e)) != 0)
		return rc;
	return 0;
}

static void
xmlin_end_element(struct xmlin *x)
{
	x->nsib = x->frames[x->depth].sib;
	x->depth--;
}

static int
xmlin_text(struct xmlin *x, struct err *e)
{
	const char *s = (const char *)xmlTextReaderConstValue(x->xr);
	struct raw_value *v;
	size_t n;
	int rc;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if ((rc = xmlin_limit_text(x, n, e)) != 0)
		return rc;
	if ((v = xmlin_slot(x, x->frames[x->depth].field)) != NULL)
		xmlin_append(x, v, s, n);
	return 0;
}

/* Read one entity, from its start tag (the current node) to its end. */
static int
xmlin_entity(struct xmlin *x, struct raw_record *rec, struct err *e)
{
	int rc, type;

	x->line = xmlin_node_line(x);
	x->f = arena_alloc(&x->row, x->nfields * sizeof(*x->f));
	memcpy(x->f, x->header, x->nfields * sizeof(*x->f));
	x->nitems = 0;
	x->nsib = 0;
	x->depth = 0;
	x->text = 0;
	x->path[0] = '\0';
	x->frames[0].pathlen = 0;
	x->frames[0].sib = 0;
	x->frames[0].field = -1;
	x->frames[0].item = false;
	if (xmlTextReaderHasAttributes(x->xr) == 1 &&
	    (rc = xmlin_attributes(x, 0, e)) != 0)
		return rc;
	if (xmlTextReaderIsEmptyElement(x->xr) == 1)
		goto done;
	for (;;) {
		if ((rc = xmlin_read(x, e)) < 0)
			return rc;
		if (rc == 0)
			return err_set(e, ERR_PARSE,
			    "%s:%lu: malformed xml: end of file inside <%s>",
			    x->rd.path, x->line, x->desc->entity);
		type = xmlTextReaderNodeType(x->xr);
		switch (type) {
		case XML_READER_TYPE_ELEMENT:
			if ((rc = xmlin_start_element(x, e)) != 0)
				return rc;
			if (xmlTextReaderIsEmptyElement(x->xr) == 1)
				xmlin_end_element(x);
			break;
		case XML_READER_TYPE_END_ELEMENT:
			if (x->depth == 0)
				goto done;
			xmlin_end_element(x);
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
			xmlin_text_line(x);
			if ((rc = xmlin_text(x, e)) != 0)
				return rc;
			break;
		case XML_READER_TYPE_WHITESPACE:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
			xmlin_text_line(x);
			break;
		default:
			/* Comments and PIs carry no values. */
			break;
		}
	}
done:
	rec->f = x->f;
	rec->nitems = x->nitems;
	rec->items = x->nitems > 0 ? x->items : NULL;
	rec->line = x->line;
	x->rd.bytes = (uint64_t)xmlTextReaderByteConsumed(x->xr);
	return 1;
}

/* Read the prolog and the root's start tag; copy its header fields. */
static int
xmlin_root(struct xmlin *x, struct err *e)
{
	const char *name, *val;
	size_t i, n;
	int rc;

	for (;;) {
		/* The root's name is checked before the schema's verdict on
		 * it, which would only say it is undeclared. */
		rc = xmlTextReaderRead(x->xr);
		if (rc == 1 && xmlTextReaderNodeType(x->xr) ==
		    XML_READER_TYPE_ELEMENT && !xmlin_name_eq(
		    xmlTextReaderConstLocalName(x->xr), x->root)) {
			x->done = true;
			return err_set(e, ERR_PARSE,
			    "%s:%lu: root element is not <%s>", x->rd.path,
			    xmlin_node_line(x), x->desc->root);
		}
		if (x->failed || rc < 0)
			return xmlin_fail(x, e);
		if (rc == 0)
			return err_set(e, ERR_PARSE, "empty file '%s'",
			    x->rd.path);
		switch (xmlTextReaderNodeType(x->xr)) {
		case XML_READER_TYPE_DOCUMENT_TYPE:
			x->done = true;
			return err_set(e, ERR_PARSE,
			    "%s:%lu: DOCTYPE not allowed", x->rd.path,
			    xmlin_node_line(x));
		case XML_READER_TYPE_ELEMENT:
			break;
		default:
			continue;
		}
		break;
	}
	x->started = true;
	while (xmlTextReaderMoveToNextAttribute(x->xr) == 1) {
		name = (const char *)xmlTextReaderConstName(x->xr);
		val = (const char *)xmlTextReaderConstValue(x->xr);
		for (i = 0; i < x->nfields; i++) {
			if (!(x->desc->fields[i].flags & FEED_F_HEADER) ||
			    x->paths[i].s[0] != '@' ||
			    strcmp(x->paths[i].s + 1, name) != 0)
				continue;
			n = val != NULL ? strlen(val) : 0;
			if (n > READER_MAX_RECORD)
				n = READER_MAX_RECORD;
			x->header[i].p = arena_strndup(&x->run,
			    val != NULL ? val : "", n);
			x->header[i].n = n;
		}
	}
	xmlTextReaderMoveToElement(x->xr);
	return 0;
}

static int
xmlin_next(struct reader *rd, struct raw_record *rec, struct err *e)
{
	struct xmlin *x = (struct xmlin *)rd;
	int rc;

	arena_reset(&x->row);
	memset(rec, 0, sizeof(*rec));
	if (x->stuck != 0)
		return err_set(e, x->stuck, "%s: reading stopped at an earlier "
		    "error", rd->path);
	if (x->done)
		return 0;
	if (x->empty) {
		x->stuck = ERR_PARSE;
		return err_set(e, ERR_PARSE, "empty file '%s'", rd->path);
	}
	if (x->doctype_line > 0) {
		x->stuck = ERR_PARSE;
		return err_set(e, ERR_PARSE, "%s:%lu: DOCTYPE not allowed",
		    rd->path, x->doctype_line);
	}
	/* With a schema plugged in, parser errors bypass the reader's own
	 * handler and reach the global one: point it at this reader while
	 * it reads, and back at silence before returning. */
	xmlSetStructuredErrorFunc(x, xmlin_on_error);
	rc = xmlin_next_record(x, rec, e);
	xmlSetStructuredErrorFunc(NULL, xmlin_silent);
	if (rc < 0)
		x->stuck = rc;
	return rc;
}

static int
xmlin_next_record(struct xmlin *x, struct raw_record *rec, struct err *e)
{
	int rc = 0, type;

	if (!x->started && (rc = xmlin_root(x, e)) != 0)
		return rc;
	while (!x->done) {
		if ((rc = xmlin_read(x, e)) <= 0)
			break;
		type = xmlTextReaderNodeType(x->xr);
		if (type == XML_READER_TYPE_WHITESPACE ||
		    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
		    type == XML_READER_TYPE_TEXT)
			xmlin_text_line(x);
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		if (xmlTextReaderDepth(x->xr) >= READER_MAX_DEPTH)
			return xmlin_too_deep(x, e);
		if (xmlTextReaderDepth(x->xr) == 1 &&
		    xmlin_name_eq(xmlTextReaderConstLocalName(x->xr),
		    x->entity)) {
			if ((rc = xmlin_entity(x, rec, e)) < 0)
				x->done = true;
			return rc;
		}
		/* Anything else was checked by the schema, or is ignored. */
	}
	if (rc < 0)
		return rc;
	x->rd.bytes = (uint64_t)xmlTextReaderByteConsumed(x->xr);
	return 0;
}

static const char *
xmlin_field_source(const struct reader *rd, size_t i, unsigned *column)
{
	if (column != NULL)
		*column = 0;
	return config_source(rd->cf, i);
}

static void
xmlin_close(struct reader *rd)
{
	struct xmlin *x = (struct xmlin *)rd;
	size_t i;

	if (x == NULL)
		return;
	if (x->xr != NULL)
		xmlFreeTextReader(x->xr);
	for (i = 0; x->paths != NULL && i < x->nfields; i++)
		free(x->paths[i].s);
	free(x->paths);
	free(x->header);
	free(x->items);
	free(x->sibs);
	arena_release(&x->run);
	arena_release(&x->row);
	free(x);
}

/* Skip a comment or PI in the prolog; returns the last char read. */
static int
xmlin_skip(FILE *fp, const char *end, unsigned long *line)
{
	size_t n = strlen(end), k = 0;
	int c;

	while (k < n && (c = getc(fp)) != EOF) {
		if (c == '\n')
			(*line)++;
		k = c == end[k] ? k + 1 : (c == end[0] ? 1 : 0);
	}
	return k == n ? 0 : EOF;
}

/*
 * Scan the prolog, up to the root's start tag: is the file blank, and
 * does it declare a DOCTYPE? Refusing a DOCTYPE here means libxml2 never
 * parses a DTD, whose entities could otherwise fail first (an entity
 * loop) and hide the real reason.
 */
static void
xmlin_prolog(struct xmlin *x, FILE *fp)
{
	unsigned long line = 1;
	char word[8];
	int c;

	x->empty = true;
	if ((c = getc(fp)) == 0xEF && getc(fp) == 0xBB && getc(fp) == 0xBF)
		c = getc(fp);
	for (; c != EOF; c = getc(fp)) {
		if (c == '\n')
			line++;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		x->empty = false;
		if (c != '<')
			return;
		c = getc(fp);
		if (c == '?') {
			if (xmlin_skip(fp, "?>", &line) == EOF)
				return;
			continue;
		}
		if (c != '!' || fread(word, 1, 2, fp) != 2)
			return;
		if (memcmp(word, "--", 2) == 0) {
			if (xmlin_skip(fp, "-->", &line) == EOF)
				return;
			continue;
		}
		if (fread(word + 2, 1, 5, fp) == 5 &&
		    memcmp(word, "DOCTYPE", 7) == 0)
			x->doctype_line = line;
		return;
	}
}

/* Check the file before libxml2 sees it: its own messages are poor. */
static int
xmlin_stat(struct xmlin *x, const char *path, struct err *e)
{
	struct stat st;
	FILE *fp;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return err_set(e, ERR_NOINPUT, "cannot open '%s': %s",
			    path, strerror(errno));
		return err_set(e, ERR_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return err_set(e, ERR_IO, "cannot open '%s': %s", path,
		    strerror(EISDIR));
	if ((fp = fopen(path, "rb")) == NULL)
		return err_set(e, ERR_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	xmlin_prolog(x, fp);
	fclose(fp);
	return 0;
}

static int
xmlin_schema(struct xmlin *x, struct err *e)
{
	const char *schema = x->rd.cf->schema;
	int rc;

	if (schema == NULL)
		return 0;
	if (access(schema, R_OK) != 0)
		return err_set(e, ERR_CONFIG, "cannot read schema '%s': %s",
		    schema, strerror(errno));
	/* Schema parse errors go to the global handler only. */
	xmlSetStructuredErrorFunc(x, xmlin_on_error);
	rc = xmlTextReaderSchemaValidate(x->xr, schema);
	xmlSetStructuredErrorFunc(NULL, xmlin_silent);
	if (rc != 0) {
		err_set(e, ERR_CONFIG, "cannot load schema '%s'", schema);
		if (x->failed)
			err_detail(e, "line %d: %s", x->xline, x->xmsg);
		return ERR_CONFIG;
	}
	x->failed = false;
	return 0;
}

int
xmlin_open(const struct config_feed *cf, const char *path,
    struct reader **out, struct err *e)
{
	struct xmlin *x;
	size_t i;
	int rc;

	*out = NULL;
	xmlSetStructuredErrorFunc(NULL, xmlin_silent);
	xmlSetGenericErrorFunc(NULL, xmlin_silent_generic);
	x = xcalloc(1, sizeof(*x));
	x->rd.ops = &xmlin_ops;
	x->rd.cf = cf;
	x->rd.path = path;
	x->desc = cf->desc;
	x->nfields = cf->desc->nfields;
	arena_init(&x->run, 4096);
	arena_init(&x->row, 0);
	x->header = xcalloc(x->nfields, sizeof(*x->header));
	x->paths = xcalloc(x->nfields, sizeof(*x->paths));
	for (i = 0; i < x->nfields; i++)
		xmlin_normalise(config_source(cf, i),
		    (x->desc->fields[i].flags & FEED_F_ITEM) != 0,
		    &x->paths[i]);
	if ((rc = xmlin_stat(x, path, e)) != 0)
		goto out;
	/* No option that loads a DTD or substitutes entities, ever;
	 * BIG_LINES keeps line numbers past 65535 on text nodes. */
	x->xr = xmlReaderForFile(path, NULL,
	    XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	if (x->xr == NULL) {
		rc = err_set(e, ERR_IO, "cannot open '%s'", path);
		goto out;
	}
	xmlTextReaderSetStructuredErrorHandler(x->xr, xmlin_on_error, x);
	if ((rc = xmlin_schema(x, e)) != 0)
		goto out;
	x->root = xmlTextReaderConstString(x->xr, BAD_CAST x->desc->root);
	x->entity = xmlTextReaderConstString(x->xr,
	    BAD_CAST x->desc->entity);
	if (x->desc->item != NULL)
		x->item = xmlTextReaderConstString(x->xr,
		    BAD_CAST x->desc->item);
out:
	if (rc != 0) {
		xmlin_close(&x->rd);
		return rc;
	}
	*out = &x->rd;
	return 0;
}
