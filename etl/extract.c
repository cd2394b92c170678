#include "etl/extract.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "etl/arena.h"
#include "etl/fields.h"
#include "etl/reader.h"
#include "etl/xalloc.h"

_Static_assert(CONFIG_DATE_ISO == FIELD_DATE_ISO &&
    CONFIG_DATE_DMY == FIELD_DATE_DMY &&
    CONFIG_DATE_DMY_DASH == FIELD_DATE_DMY_DASH, "date flags differ");
_Static_assert(CONFIG_MONEY_POUND == FIELD_MONEY_POUND &&
    CONFIG_MONEY_THOUSANDS == FIELD_MONEY_THOUSANDS, "money flags differ");

#define EXTRACT_DEFAULT_MAX_LEN 200

/* A set of 128-bit hashes of unique references, open addressing. */
struct refset {
	XXH128_hash_t *slot;	/* [cap]; {0,0} is empty */
	size_t	 cap, len;
};

struct extract {
	const struct config *cfg;
	const struct config_feed *cf;
	const struct feed_desc *desc;
	struct reader *rd;
	struct rejects *rj;
	const char *path;
	struct arena mem;		/* the current record's values */
	struct arena keep;		/* reject locations, run lifetime */
	struct raw_record raw;
	struct record rec;
	size_t	 next_item;		/* flattened items: next to hand out */
	struct value *entity;		/* flattened items: the entity's values */
	unsigned entity_warned;		/* flattened items: entity warnings */
	const char *entity_bad_reason;	/* entity-level reject for its items */
	size_t	 entity_bad_field;
	bool	 at_end;
	int	 keyidx[4];		/* the source key's fields, -1 ends */
	struct refset unique;
	struct extract_stats st;
	/* Warnings of the record being validated, tallied only if it is
	 * accepted: a rejected record counts once, as a reject. */
	struct {
		const char *field, *reason;
		unsigned long line;
	} pend[64];
	size_t	 npend;
	char	 msg[256];
};

static bool
refset_add(struct refset *s, const char *p, size_t n)
{
	XXH128_hash_t h = XXH3_128bits(p, n);
	size_t i;

	if (h.low64 == 0 && h.high64 == 0)
		h.low64 = 1;
	if (s->len * 2 >= s->cap) {
		struct refset t = { NULL, s->cap ? s->cap * 2 : 1024, 0 };

		t.slot = xcalloc(t.cap, sizeof(*t.slot));
		for (i = 0; i < s->cap; i++) {
			XXH128_hash_t v = s->slot[i];
			size_t j;

			if (v.low64 == 0 && v.high64 == 0)
				continue;
			for (j = v.low64 & (t.cap - 1);
			    t.slot[j].low64 || t.slot[j].high64;
			    j = (j + 1) & (t.cap - 1))
				;
			t.slot[j] = v;
			t.len++;
		}
		free(s->slot);
		*s = t;
	}
	for (i = h.low64 & (s->cap - 1); s->slot[i].low64 || s->slot[i].high64;
	    i = (i + 1) & (s->cap - 1))
		if (XXH128_isEqual(s->slot[i], h))
			return false;
	s->slot[i] = h;
	s->len++;
	return true;
}

static void
extract_tally(struct extract_count *tab, size_t *ntab, const char *field,
    const char *reason, unsigned long line)
{
	size_t i;

	for (i = 0; i < *ntab; i++)
		if (tab[i].field == field && tab[i].reason == reason) {
			tab[i].n++;
			return;
		}
	if (*ntab == EXTRACT_MAX_COUNTS) {
		/* The table is full: the last entry counts every other kind,
		 * under a name of its own rather than the first kind's. */
		i = EXTRACT_MAX_COUNTS - 1;
		field = "";
		reason = "other";
	} else {
		(*ntab)++;
	}
	tab[i].field = field;
	tab[i].reason = reason;
	tab[i].n++;
	if (tab[i].first_line == 0)
		tab[i].first_line = line;
}

/*
 * Validate one raw field into *v. Returns FIELD_OK (v->present tells
 * whether it had a value) or the reason it failed.
 */
static enum field_reason
extract_field(struct extract *x, const struct feed_field *ff,
    const struct raw_value *rv, struct value *v)
{
	const char *s = rv->p, *t;
	size_t n = rv->n, tn;
	enum field_reason r;
	char buf[16];
	int32_t days = 0;
	int idx = 0;

	memset(v, 0, sizeof(*v));
	if (s == NULL)
		return FIELD_OK;
	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_OK;
	switch (ff->type) {
	case FEED_T_TEXT:
	case FEED_T_REF:
	case FEED_T_DATETIME:
		r = fields_text(s, n, ff->max_len ? ff->max_len
						  : EXTRACT_DEFAULT_MAX_LEN,
		    &t, &tn);
		if (r == FIELD_OK) {
			v->s = arena_strndup(&x->mem, t, tn);
			v->n = tn;
		}
		break;
	case FEED_T_INT:
		r = fields_int(s, n, 1, 999999, &v->i);
		break;
	case FEED_T_MONEY:
		r = fields_money(s, n, x->cf->money_formats, &v->i);
		break;
	case FEED_T_DATE:
		r = fields_date(s, n, x->cf->date_formats, &days);
		v->i = days;
		break;
	case FEED_T_DOB:
		r = fields_dob(s, n, x->cf->date_formats, x->cfg->as_of, &days);
		v->i = days;
		break;
	case FEED_T_NINO:
		if ((r = fields_nino(s, n, buf)) == FIELD_OK)
			v->s = arena_strdup(&x->mem, buf);
		break;
	case FEED_T_NHS:
		if ((r = fields_nhs(s, n, buf)) == FIELD_OK)
			v->s = arena_strdup(&x->mem, buf);
		break;
	case FEED_T_POSTCODE:
		if ((r = fields_postcode(s, n, buf)) == FIELD_OK)
			v->s = arena_strdup(&x->mem, buf);
		break;
	case FEED_T_UPRN: {
		uint64_t u;

		if ((r = fields_uprn(s, n, &u)) == FIELD_OK)
			v->i = (int64_t)u;
		break;
	}
	case FEED_T_FY:
		r = fields_fy(s, n, &idx);
		v->i = idx;
		break;
	case FEED_T_ENUM:
		r = fields_enum(s, n, ff->values, ff->nvalues, &idx);
		v->i = idx;
		if (r == FIELD_OK)
			v->s = ff->values[idx];
		break;
	case FEED_T_BOOL: {
		static const char *const tf[] = { "false", "true" };

		r = fields_enum(s, n, tf, 2, &idx);
		v->i = idx;
		break;
	}
	default:
		r = FIELD_BAD_ENUM;
		break;
	}
	if (r == FIELD_OK) {
		v->present = true;
		if (v->s != NULL && v->n == 0)
			v->n = strlen(v->s);
	}
	return r;
}

/* Record a reject; returns 0, ERR_DATA past the budget, or ERR_IO. */
static int
extract_reject(struct extract *x, unsigned long line, size_t field,
    const char *reason, const char *text, struct err *e)
{
	const struct feed_field *ff = field < x->desc->nfields
	    ? &x->desc->fields[field] : NULL;
	struct reject r;
	unsigned column = 0;
	int rc;

	x->npend = 0;
	memset(&r, 0, sizeof(r));
	r.feed = x->desc->name;
	r.file = x->path;
	r.line = line;
	r.reason = reason;
	if (ff != NULL)
		r.field = reader_field_source(x->rd, field, &column);
	else if (x->raw.bad_column)
		column = x->raw.bad_column;
	r.column = column;
	snprintf(x->msg, sizeof(x->msg), "%s%s%s", text,
	    ff ? " in field " : "", ff ? ff->name : "");
	r.message = x->msg;
	x->st.rejected++;
	x->st.read++;
	extract_tally(x->st.rejects, &x->st.nreject_kinds,
	    ff ? ff->name : "", reason, line);
	if (x->st.nlocs < EXTRACT_MAX_LOCS) {
		struct reject *l = &x->st.locs[x->st.nlocs++];

		*l = r;
		l->message = arena_strdup(&x->keep, x->msg);
		/* reason, field, feed and file are static or outlive us. */
		if (l->field != NULL)
			l->field = arena_strdup(&x->keep, l->field);
	}
	if (x->rj != NULL && (rc = rejects_add(x->rj, x->desc->id, &r,
	    x->raw.raw, x->raw.rawlen, e)) != 0)
		return rc;
	if (x->cf->max_rejects >= 0 &&
	    x->st.rejected > (uint64_t)x->cf->max_rejects)
		return err_set(e, ERR_DATA, "%s: reject budget spent: %llu "
		    "rejects, budget %lld", x->path,
		    (unsigned long long)x->st.rejected,
		    (long long)x->cf->max_rejects);
	return 0;
}

/*
 * Validate the fields of 'raw' whose item flag equals 'item' into 'v'.
 * Returns FIELD_OK, or the reason a required field failed (with the
 * field's index in *bad); identity fails become warnings.
 */
static enum field_reason
extract_fields(struct extract *x, const struct raw_value *raw,
    struct value *v, bool item, unsigned long line, size_t *bad,
    unsigned *warned)
{
	const struct feed_desc *fd = x->desc;

	for (size_t i = 0; i < fd->nfields; i++) {
		const struct feed_field *ff = &fd->fields[i];
		enum field_reason r;

		if (((ff->flags & FEED_F_ITEM) != 0) != item)
			continue;
		r = extract_field(x, ff, &raw[i], &v[i]);
		if (r == FIELD_OK && !v[i].present &&
		    (ff->flags & FEED_F_REQUIRED))
			r = FIELD_MISSING;
		if (r == FIELD_OK)
			continue;
		if (ff->flags & FEED_F_REQUIRED) {
			*bad = i;
			return r;
		}
		v[i].present = false;
		(*warned)++;
		if (x->npend < sizeof(x->pend) / sizeof(x->pend[0])) {
			x->pend[x->npend].field = ff->name;
			x->pend[x->npend].reason = field_reason_name(r);
			x->pend[x->npend++].line = line;
		}
	}
	return FIELD_OK;
}

/* The record is accepted: tally its pending warnings. */
static void
extract_accept(struct extract *x)
{
	for (size_t i = 0; i < x->npend; i++)
		extract_tally(x->st.warns, &x->st.nwarn_kinds,
		    x->pend[i].field, x->pend[i].reason, x->pend[i].line);
	x->st.warnings += x->npend;
	x->npend = 0;
	x->st.read++;
	x->st.accepted++;
	if (x->rec.warnings)
		x->st.warned++;
}

/* Build the source key from the key fields' canonical values. */
static const char *
extract_key(struct extract *x, const struct value *v)
{
	char buf[256], num[24];
	size_t len = 0;

	for (const int *k = x->keyidx; *k >= 0; k++) {
		const struct value *kv = &v[*k];
		const char *s = kv->s;
		size_t n;

		if (s == NULL) {
			/* Key integers are small and positive (party_no). */
			uint64_t u = (uint64_t)kv->i;
			size_t d = sizeof(num) - 1;

			num[d] = '\0';
			do
				num[--d] = (char)('0' + u % 10);
			while ((u /= 10) != 0 && d > 0);
			s = num + d;
		}
		n = strlen(s);
		if (len > 0 && len < sizeof(buf) - 1)
			buf[len++] = ':';
		if (n > sizeof(buf) - 1 - len)
			n = sizeof(buf) - 1 - len;
		memcpy(buf + len, s, n);
		len += n;
	}
	buf[len] = '\0';
	return arena_strndup(&x->mem, buf, len);
}

/* Check a unique field; false (and a reject) on a repeat. */
static int
extract_unique(struct extract *x, const struct value *v, unsigned long line,
    bool *dup, struct err *e)
{
	*dup = false;
	for (size_t i = 0; i < x->desc->nfields; i++) {
		if (!(x->desc->fields[i].flags & FEED_F_UNIQUE) ||
		    !v[i].present)
			continue;
		if (!refset_add(&x->unique, v[i].s, v[i].n)) {
			*dup = true;
			return extract_reject(x, line, i, "duplicate_ref",
			    "reference already seen in this file", e);
		}
	}
	return 0;
}

/* Hand out the next flattened item of the current entity, if any. */
static int
extract_next_item(struct extract *x, struct record **out, struct err *e)
{
	const struct feed_desc *fd = x->desc;
	int rc;

	while (x->next_item < x->raw.nitems) {
		struct raw_item *it = &x->raw.items[x->next_item++];
		struct value *v = arena_alloc(&x->mem,
		    fd->nfields * sizeof(*v));
		enum field_reason r;
		unsigned warned = 0;
		size_t bad = 0;
		bool dup;

		if (x->entity_bad_reason != NULL) {
			if ((rc = extract_reject(x, it->line,
			    x->entity_bad_field, x->entity_bad_reason,
			    "invalid value", e)) != 0)
				return rc;
			continue;
		}
		memcpy(v, x->entity, fd->nfields * sizeof(*v));
		r = extract_fields(x, it->f, v, true, it->line, &bad, &warned);
		if (r != FIELD_OK) {
			if ((rc = extract_reject(x, it->line, bad,
			    field_reason_name(r), field_reason_text(r), e)))
				return rc;
			continue;
		}
		if ((rc = extract_unique(x, v, it->line, &dup, e)) != 0)
			return rc;
		if (dup)
			continue;
		x->rec.v = v;
		x->rec.line = it->line;
		x->rec.warnings = x->entity_warned + warned;
		x->rec.key = extract_key(x, v);
		extract_accept(x);
		*out = &x->rec;
		return 1;
	}
	return 0;
}

int
extract_next(struct extract *x, struct record **out, struct err *e)
{
	const struct feed_desc *fd = x->desc;
	int rc;

	*out = NULL;
	if (fd->item_is_record && (rc = extract_next_item(x, out, e)) != 0)
		return rc;
	while (!x->at_end) {
		enum field_reason r;
		unsigned warned = 0;
		size_t bad = 0;
		struct value *v;
		bool dup;

		arena_reset(&x->mem);
		x->npend = 0;
		rc = reader_next(x->rd, &x->raw, e);
		x->st.bytes = reader_bytes(x->rd);
		if (rc <= 0) {
			x->at_end = true;
			return rc;
		}
		memset(&x->rec, 0, sizeof(x->rec));
		x->rec.desc = fd;
		x->rec.file = x->path;
		x->rec.line = x->raw.line;
		if (x->raw.bad != NULL) {
			if ((rc = extract_reject(x, x->raw.line, (size_t)-1,
			    x->raw.bad, strcmp(x->raw.bad, "field_count") == 0
				? "wrong number of fields"
				: "malformed quoting", e)) != 0)
				return rc;
			continue;
		}
		v = arena_alloc(&x->mem, fd->nfields * sizeof(*v));
		memset(v, 0, fd->nfields * sizeof(*v));
		r = extract_fields(x, x->raw.f, v, false, x->raw.line, &bad,
		    &warned);
		x->rec.warnings = warned;
		if (fd->item_is_record) {
			/* Each item is a debt line with the entity's fields. */
			x->entity = v;
			x->entity_warned = warned;
			x->next_item = 0;
			x->entity_bad_reason = r != FIELD_OK
			    ? field_reason_name(r) : NULL;
			x->entity_bad_field = bad;
			if ((rc = extract_next_item(x, out, e)) != 0)
				return rc;
			continue;
		}
		if (r != FIELD_OK) {
			if ((rc = extract_reject(x, x->raw.line, bad,
			    field_reason_name(r), field_reason_text(r), e)))
				return rc;
			continue;
		}
		if ((rc = extract_unique(x, v, x->raw.line, &dup, e)) != 0)
			return rc;
		if (dup)
			continue;
		/* Breathing space: keep the notification, drop bad debts. */
		x->rec.items = arena_alloc(&x->mem,
		    (x->raw.nitems + 1) * sizeof(*x->rec.items));
		for (size_t k = 0; k < x->raw.nitems; k++) {
			struct value *iv = arena_alloc(&x->mem,
			    fd->nfields * sizeof(*iv));
			unsigned iw = 0;

			memset(iv, 0, fd->nfields * sizeof(*iv));
			r = extract_fields(x, x->raw.items[k].f, iv, true,
			    x->raw.items[k].line, &bad, &iw);
			if (r != FIELD_OK) {
				x->rec.warnings++;
				x->st.warnings++;
				extract_tally(x->st.warns, &x->st.nwarn_kinds,
				    fd->fields[bad].name, field_reason_name(r),
				    x->raw.items[k].line);
				continue;
			}
			x->rec.warnings += iw;
			x->rec.items[x->rec.nitems].v = iv;
			x->rec.items[x->rec.nitems++].line =
			    x->raw.items[k].line;
		}
		x->rec.v = v;
		x->rec.key = extract_key(x, v);
		extract_accept(x);
		*out = &x->rec;
		return 1;
	}
	return 0;
}

int
extract_open(const struct config *cfg, const struct config_feed *cf,
    const char *path, struct rejects *rj, struct extract **out,
    struct err *e)
{
	struct extract *x;
	int rc;

	*out = NULL;
	x = xcalloc(1, sizeof(*x));
	x->cfg = cfg;
	x->cf = cf;
	x->desc = cf->desc;
	x->rj = rj;
	x->path = path;
	{
		size_t k = 0;

		for (; x->desc->key[k] != NULL && k < 3; k++)
			x->keyidx[k] = feed_field_index(x->desc,
			    x->desc->key[k]);
		x->keyidx[k] = -1;
	}
	arena_init(&x->mem, 64 * 1024);
	arena_init(&x->keep, 64 * 1024);
	x->st.locs = xcalloc(EXTRACT_MAX_LOCS, sizeof(*x->st.locs));
	if ((rc = reader_open(cf, path, &x->rd, e)) != 0) {
		extract_close(x);
		return rc;
	}
	*out = x;
	return 0;
}

const struct extract_stats *
extract_stats(const struct extract *x)
{
	return &x->st;
}

int
extract_finish(struct extract *x, struct err *e)
{
	double pct;

	if (x->cf->max_reject_pct < 0 || x->st.read == 0)
		return 0;
	pct = 100.0 * (double)x->st.rejected / (double)x->st.read;
	if (pct > x->cf->max_reject_pct)
		return err_set(e, ERR_DATA, "%s: reject budget spent: %.2f%% "
		    "of records rejected, budget %.2f%%", x->path, pct,
		    x->cf->max_reject_pct);
	return 0;
}

void
extract_close(struct extract *x)
{
	if (x == NULL)
		return;
	reader_close(x->rd);
	arena_release(&x->mem);
	arena_release(&x->keep);
	free(x->unique.slot);
	free(x->st.locs);
	free(x);
}
