/*
 * model: Fellegi-Sunter weights and the EM fit over agreement patterns.
 * See model.h for the interface. EM here is the textbook one for a
 * two-class mixture of independent categorical fields: the E step gives
 * each distinct pattern its posterior match probability g, the M step
 * sets lambda to the count-weighted mean of g, m of each level to its
 * share of the g-weighted pairs and u to its share of the (1 - g)-weighted
 * ones, counting only pairs where the field is not missing. One pass over the patterns does
 * both steps, so an iteration costs O(patterns x fields).
 */
#include "matchers/model.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "etl/xalloc.h"

#define TALLY_EMPTY	UINT64_MAX	/* never a pattern: 0xF is no level */
#define TALLY_BITS0	10		/* 1024 slots to start */

static const char *const forename_levels[] = {
	"exact", "nickname", "swapped", "one-edit", "dice-high", "dice-low",
	"initial", "disagree", "missing"
};
static const char *const surname_levels[] = {
	"exact", "swapped", "part", "dice-high", "dice-low", "disagree",
	"missing"
};
static const char *const dob_levels[] = {
	"exact", "day-month-swapped", "one-digit", "year-within-one",
	"disagree", "missing"
};
static const char *const postcode_levels[] = {
	"premises", "full", "other-premises", "sector", "district",
	"disagree", "missing"
};
static const char *const id_levels[] = {
	"agree", "disagree", "missing"
};

const struct model_field model_svod_fields[MODEL_SVOD_NFIELDS] = {
	[MODEL_F_FORENAME] = { "forename", 9, MODEL_FN_MISSING,
	    MODEL_FN_EXACT, 0, forename_levels },
	[MODEL_F_SURNAME] = { "surname", 7, MODEL_SN_MISSING,
	    MODEL_SN_EXACT, 0, surname_levels },
	[MODEL_F_DOB] = { "dob", 6, MODEL_DOB_MISSING,
	    MODEL_DOB_EXACT, 0, dob_levels },
	[MODEL_F_POSTCODE] = { "postcode", 7, MODEL_PC_MISSING,
	    MODEL_PC_FULL, 0, postcode_levels },
	[MODEL_F_UPRN] = { "uprn", 3, MODEL_ID_MISSING,
	    MODEL_ID_AGREE, 0, id_levels },
	[MODEL_F_NINO] = { "nino", 3, MODEL_ID_MISSING,
	    MODEL_NO_LEVEL, 0, id_levels },
	[MODEL_F_NHS] = { "nhs", 3, MODEL_ID_MISSING,
	    MODEL_NO_LEVEL, 0, id_levels },
	[MODEL_F_SUFFIX] = { "suffix", 3, MODEL_ID_MISSING,
	    MODEL_NO_LEVEL, 0, id_levels },
	[MODEL_F_DEBT_REF] = { "debt_ref", 3, MODEL_ID_MISSING,
	    MODEL_NO_LEVEL, 0, id_levels },
};

_Static_assert(sizeof(forename_levels) / sizeof(char *) == 9, "forename");
_Static_assert(sizeof(surname_levels) / sizeof(char *) == 7, "surname");
_Static_assert(sizeof(dob_levels) / sizeof(char *) == 6, "dob");
_Static_assert(sizeof(postcode_levels) / sizeof(char *) == 7,
    "postcode");
_Static_assert(sizeof(id_levels) / sizeof(char *) == 3, "id");
_Static_assert(MODEL_FIELDS_MAX * MODEL_LEVEL_BITS == 64, "pattern bits");

struct model_tally {
	uint64_t *key;		/* pattern, or TALLY_EMPTY */
	uint64_t *count;
	size_t	 bits;		/* 2^bits slots */
	size_t	 used;		/* distinct patterns */
};

/* Lifecycle */

static int
check_field(const struct model_field *fd, size_t f, struct err *e)
{
	int other;

	if (fd->name == NULL)
		return err_set(e, ERR_CONFIG, "field %zu of the model has "
		    "no name", f);
	if (fd->nlevels < 2 || fd->nlevels > MODEL_LEVELS_MAX)
		return err_set(e, ERR_CONFIG, "field '%s' has %d comparison "
		    "levels, not 2 to %d", fd->name, fd->nlevels,
		    MODEL_LEVELS_MAX);
	if (fd->missing < MODEL_NO_LEVEL || fd->missing >= fd->nlevels)
		return err_set(e, ERR_CONFIG, "field '%s' has missing level "
		    "%d, out of range", fd->name, fd->missing);
	other = fd->nlevels - (fd->missing >= 0);
	if (other < 2)
		return err_set(e, ERR_CONFIG, "field '%s' needs two levels "
		    "besides missing", fd->name);
	if (fd->tf_level < MODEL_NO_LEVEL || fd->tf_level >= fd->nlevels ||
	    (fd->tf_level >= 0 && fd->tf_level == fd->missing))
		return err_set(e, ERR_CONFIG, "field '%s' has term-frequency "
		    "level %d, out of range or missing", fd->name,
		    fd->tf_level);
	if (!(fd->tf_min_u >= 0 && fd->tf_min_u < 1))
		return err_set(e, ERR_CONFIG, "field '%s' has tf_min_u %g, "
		    "not in [0, 1)", fd->name, fd->tf_min_u);
	return 0;
}

int
model_init(struct model *md, const struct model_field *fields,
    size_t nfields, struct err *e)
{
	size_t f;
	int l, k, nother, rc;
	double sm, su;

	memset(md, 0, sizeof(*md));
	if (fields == NULL || nfields == 0 || nfields > MODEL_FIELDS_MAX)
		return err_set(e, ERR_CONFIG, "the model has %zu fields, not "
		    "1 to %d", fields == NULL ? 0 : nfields, MODEL_FIELDS_MAX);
	for (f = 0; f < nfields; f++)
		if ((rc = check_field(&fields[f], f, e)) != 0)
			return rc;

	md->fields = fields;
	md->nfields = nfields;
	md->floor = MODEL_FLOOR;
	md->lambda = 0.01;
	for (f = 0; f < nfields; f++) {
		/* k counts the levels other than missing, strongest first. */
		nother = fields[f].nlevels - (fields[f].missing >= 0);
		sm = su = 0;
		for (l = 0, k = 0; l < fields[f].nlevels; l++) {
			if (l == fields[f].missing)
				continue;
			md->m[f][l] = ldexp(1, -2 * k);
			md->u[f][l] = ldexp(1, -2 * (nother - 1 - k));
			sm += md->m[f][l];
			su += md->u[f][l];
			k++;
		}
		for (l = 0; l < fields[f].nlevels; l++) {
			md->m[f][l] /= sm;
			md->u[f][l] /= su;
		}
	}
	model_prepare(md);
	return 0;
}

void
model_prepare(struct model *md)
{
	size_t f;
	int l;

	memset(md->w, 0, sizeof(md->w));
	for (f = 0; f < md->nfields; f++)
		for (l = 0; l < md->fields[f].nlevels; l++)
			if (l != md->fields[f].missing)
				md->w[f][l] = log2(md->m[f][l] / md->u[f][l]);
}

void
model_fit_opts_init(struct model_fit_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_iter = 1000;
	o->tol_param = 1e-7;
	o->tol_loglik = 0;
	o->fix_u = true;
}

/* Patterns */

uint64_t
model_pattern_encode(const uint8_t *levels, size_t nfields)
{
	uint64_t p = 0;
	size_t f;

	assert(nfields <= MODEL_FIELDS_MAX);
	for (f = 0; f < nfields; f++) {
		assert(levels[f] < MODEL_LEVELS_MAX);
		p |= (uint64_t)(levels[f] & 0xF) << (f * MODEL_LEVEL_BITS);
	}
	return p;
}

void
model_pattern_decode(uint64_t pattern, size_t nfields, uint8_t *levels)
{
	size_t f;

	assert(nfields <= MODEL_FIELDS_MAX);
	for (f = 0; f < nfields; f++)
		levels[f] = (uint8_t)model_pattern_level(pattern, f);
}

/* Tally */

/* Spread the few busy low bits of a pattern over the whole word. */
static size_t
tally_slot(uint64_t x, size_t bits)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (size_t)(x >> (64 - bits));
}

static void
tally_alloc(struct model_tally *t, size_t bits)
{
	size_t i, n = (size_t)1 << bits;

	t->bits = bits;
	t->key = xreallocarray(NULL, n, sizeof(*t->key));
	t->count = xcalloc(n, sizeof(*t->count));
	for (i = 0; i < n; i++)
		t->key[i] = TALLY_EMPTY;
}

struct model_tally *
model_tally_new(void)
{
	struct model_tally *t = xcalloc(1, sizeof(*t));

	tally_alloc(t, TALLY_BITS0);
	return t;
}

void
model_tally_free(struct model_tally *t)
{
	if (t == NULL)
		return;
	free(t->key);
	free(t->count);
	free(t);
}

static void
tally_grow(struct model_tally *t)
{
	uint64_t *okey = t->key, *ocount = t->count;
	size_t i, s, n = (size_t)1 << t->bits;
	size_t mask;

	tally_alloc(t, t->bits + 1);
	mask = ((size_t)1 << t->bits) - 1;
	for (i = 0; i < n; i++) {
		if (okey[i] == TALLY_EMPTY)
			continue;
		s = tally_slot(okey[i], t->bits);
		while (t->key[s] != TALLY_EMPTY)
			s = (s + 1) & mask;
		t->key[s] = okey[i];
		t->count[s] = ocount[i];
	}
	free(okey);
	free(ocount);
}

void
model_tally_add(struct model_tally *t, uint64_t pattern, uint64_t count)
{
	size_t s, mask = ((size_t)1 << t->bits) - 1;

	assert(pattern != TALLY_EMPTY);
	s = tally_slot(pattern, t->bits);
	while (t->key[s] != TALLY_EMPTY && t->key[s] != pattern)
		s = (s + 1) & mask;
	if (t->key[s] == pattern) {
		t->count[s] += count;
		return;
	}
	t->key[s] = pattern;
	t->count[s] = count;
	/* Keep the load at most one half: probes stay short. */
	if (++t->used * 2 > mask + 1)
		tally_grow(t);
}

void
model_tally_merge(struct model_tally *dst, const struct model_tally *src)
{
	size_t i, n = (size_t)1 << src->bits;

	for (i = 0; i < n; i++)
		if (src->key[i] != TALLY_EMPTY)
			model_tally_add(dst, src->key[i], src->count[i]);
}

size_t
model_tally_size(const struct model_tally *t)
{
	return t->used;
}

static int
pattern_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct model_pattern *)a)->pattern;
	uint64_t y = ((const struct model_pattern *)b)->pattern;

	return (x > y) - (x < y);
}

struct model_pattern *
model_tally_patterns(const struct model_tally *t, size_t *np)
{
	struct model_pattern *out;
	size_t i, k = 0, n = (size_t)1 << t->bits;

	out = xreallocarray(NULL, t->used + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		if (t->key[i] == TALLY_EMPTY)
			continue;
		out[k].pattern = t->key[i];
		out[k].count = t->count[i];
		k++;
	}
	assert(k == t->used);
	qsort(out, k, sizeof(*out), pattern_cmp);
	*np = k;
	return out;
}

/* Estimation */

/*
 * Make p[] over the field's levels other than missing sum to 1, each at
 * least about 'floor'. Returns false (p untouched) if they sum to 0: no
 * pair had a value, so there is nothing to learn.
 */
static bool
normalise(double *p, const struct model_field *fd, double floor)
{
	double sum = 0;
	int l;

	for (l = 0; l < fd->nlevels; l++)
		if (l != fd->missing)
			sum += p[l];
	if (!(sum > 0))
		return false;
	for (l = 0; l < fd->nlevels; l++)
		p[l] = l == fd->missing ? 0 : fmax(p[l] / sum, floor);
	sum = 0;
	for (l = 0; l < fd->nlevels; l++)
		sum += p[l];
	for (l = 0; l < fd->nlevels; l++)
		p[l] /= sum;
	return true;
}

int
model_set_u(struct model *md, size_t f, const uint64_t *counts,
    size_t ncounts, struct err *e)
{
	const struct model_field *fd;
	double p[MODEL_LEVELS_MAX] = { 0 };
	int l;

	if (f >= md->nfields)
		return err_set(e, ERR_DATA, "no field %zu in the model", f);
	fd = &md->fields[f];
	if (ncounts != (size_t)fd->nlevels)
		return err_set(e, ERR_DATA, "%zu random-pair counts for field "
		    "'%s' of %d levels", ncounts, fd->name, fd->nlevels);
	for (l = 0; l < fd->nlevels; l++)
		if (l != fd->missing && counts[l] > 0)
			break;
	if (l == fd->nlevels)
		return err_set(e, ERR_DATA, "no random pair has a value in "
		    "field '%s'", fd->name);
	for (l = 0; l < fd->nlevels; l++)
		if (l != fd->missing)
			p[l] = counts[l] > 0 ? (double)counts[l] : 0.5;
	normalise(p, fd, md->floor);
	memcpy(md->u[f], p, sizeof(p));
	model_prepare(md);
	return 0;
}

/* Per-iteration sums: the E step's output, the M step's input. */
struct em_sums {
	double	 g;		/* sum of count x g */
	double	 loglik;	/* at the parameters the E step used */
	double	 m[MODEL_FIELDS_MAX][MODEL_LEVELS_MAX];
	double	 u[MODEL_FIELDS_MAX][MODEL_LEVELS_MAX];
};

/*
 * One E step over the patterns ('lv': their levels, nfields a row) at
 * md's parameters, summing what the M step needs into 's'.
 */
static void
em_estep(const struct model *md, const struct model_pattern *pats,
    const uint8_t *lv, size_t npats, struct em_sums *s)
{
	size_t i, f, nf = md->nfields;
	const uint8_t *row;
	double pm, pu, num, den, c, cg, cn;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < npats; i++) {
		row = lv + i * nf;
		pm = pu = 1;
		for (f = 0; f < nf; f++) {
			if (row[f] == md->fields[f].missing)
				continue;
			pm *= md->m[f][row[f]];
			pu *= md->u[f][row[f]];
		}
		num = md->lambda * pm;
		den = num + (1 - md->lambda) * pu;
		c = (double)pats[i].count;
		cg = c * (num / den);
		cn = c - cg;
		s->g += cg;
		s->loglik += c * log(den);
		for (f = 0; f < nf; f++) {
			if (row[f] == md->fields[f].missing)
				continue;
			s->m[f][row[f]] += cg;
			s->u[f][row[f]] += cn;
		}
	}
}

/* Decode and check every pattern; lv gets npats x nfields levels. */
static int
fit_levels(const struct model *md, const struct model_pattern *pats,
    size_t npats, uint8_t *lv, uint64_t *totalp, struct err *e)
{
	size_t i, f, nf = md->nfields;
	uint64_t total = 0;

	for (i = 0; i < npats; i++) {
		if (nf < MODEL_FIELDS_MAX &&
		    pats[i].pattern >> (nf * MODEL_LEVEL_BITS) != 0)
			return err_set(e, ERR_DATA, "pattern %zu (%#llx) has "
			    "levels beyond the model's %zu fields", i,
			    (unsigned long long)pats[i].pattern, nf);
		model_pattern_decode(pats[i].pattern, nf, lv + i * nf);
		for (f = 0; f < nf; f++)
			if (lv[i * nf + f] >= md->fields[f].nlevels)
				return err_set(e, ERR_DATA, "pattern %zu has "
				    "level %d for field '%s' of %d levels", i,
				    lv[i * nf + f], md->fields[f].name,
				    md->fields[f].nlevels);
		total += pats[i].count;
	}
	if (total == 0)
		return err_set(e, ERR_DATA, "no pairs to fit the model on");
	*totalp = total;
	return 0;
}

/* Largest move from 'a' to 'b' over lambda (relative), m and u. */
static double
param_delta(const struct model *a, const struct model *b)
{
	double d = fabs(b->lambda - a->lambda) / a->lambda;
	size_t f;
	int l;

	for (f = 0; f < a->nfields; f++)
		for (l = 0; l < a->fields[f].nlevels; l++) {
			d = fmax(d, fabs(b->m[f][l] - a->m[f][l]));
			d = fmax(d, fabs(b->u[f][l] - a->u[f][l]));
		}
	return d;
}

int
model_fit(struct model *md, const struct model_pattern *pats, size_t npats,
    const struct model_fit_opts *o, struct model_fit_stats *st,
    struct err *e)
{
	struct model cur, next;
	struct em_sums *s = NULL;
	struct model_fit_stats out;
	uint8_t *lv = NULL;
	uint64_t total = 0;
	double prev_ll = 0;
	size_t f;
	int it, rc;

	memset(&out, 0, sizeof(out));
	lv = xreallocarray(NULL, npats + 1, md->nfields);
	if ((rc = fit_levels(md, pats, npats, lv, &total, e)) != 0)
		goto out;
	s = xmalloc(sizeof(*s));
	cur = *md;
	cur.lambda = fmin(fmax(cur.lambda, cur.floor), 1 - cur.floor);
	out.pairs = total;

	for (it = 1; it <= o->max_iter; it++) {
		em_estep(&cur, pats, lv, npats, s);
		next = cur;
		next.lambda = fmin(fmax(s->g / (double)total, cur.floor),
		    1 - cur.floor);
		for (f = 0; f < cur.nfields; f++) {
			if (!normalise(s->m[f], &cur.fields[f], cur.floor))
				continue;	/* always missing: keep it */
			memcpy(next.m[f], s->m[f], sizeof(next.m[f]));
			if (o->fix_u)
				continue;
			if (normalise(s->u[f], &cur.fields[f], cur.floor))
				memcpy(next.u[f], s->u[f], sizeof(next.u[f]));
		}
		out.iterations = it;
		out.delta_param = param_delta(&cur, &next);
		cur = next;
		if (o->tol_param > 0 && out.delta_param < o->tol_param)
			out.converged = true;
		if (o->tol_loglik > 0 && it > 1 &&
		    s->loglik - prev_ll < o->tol_loglik * (double)total)
			out.converged = true;
		prev_ll = s->loglik;
		if (out.converged)
			break;
	}
	/* The likelihood at the parameters returned, not the last ones. */
	em_estep(&cur, pats, lv, npats, s);
	out.loglik = s->loglik;
	model_prepare(&cur);
	*md = cur;
out:
	if (st != NULL)
		*st = out;
	free(s);
	free(lv);
	return rc;
}

/* Scoring */

double
model_weight(const struct model *md, uint64_t pattern,
    const struct model_tf *tf, double *contrib)
{
	const struct model_field *fd;
	double w, sum = 0, uv;
	size_t f;
	int l;

	for (f = 0; f < md->nfields; f++) {
		fd = &md->fields[f];
		l = model_pattern_level(pattern, f);
		assert(l < fd->nlevels);
		w = md->w[f][l];
		if (l == fd->tf_level && l != fd->missing && tf != NULL &&
		    tf->freq != NULL && tf->freq[f] > 0 && tf->nrecords > 0) {
			uv = (double)tf->freq[f] / (double)tf->nrecords;
			uv = fmin(fmax(uv, fmax(fd->tf_min_u, md->floor)), 1);
			w = log2(md->m[f][l] / uv);
		}
		if (contrib != NULL)
			contrib[f] = w;
		sum += w;
	}
	return sum;
}

double
model_probability(double weight, double lambda)
{
	double lo = weight + log2(lambda / (1 - lambda));

	return 1 / (1 + exp2(-lo));
}

double
model_weight_for_probability(double p, double lambda)
{
	return log2(p / (1 - p)) - log2(lambda / (1 - lambda));
}

int
model_thresholds_check(const struct model_thresholds *t, struct err *e)
{
	if (!(t->review > 0 && t->review <= t->match && t->match < 1))
		return err_set(e, ERR_CONFIG, "match thresholds review=%g "
		    "match=%g are not 0 < review <= match < 1", t->review,
		    t->match);
	return 0;
}

enum model_class
model_classify(double p, const struct model_thresholds *t)
{
	if (p >= t->match)
		return MODEL_MATCH;
	if (p >= t->review)
		return MODEL_REVIEW;
	return MODEL_NONMATCH;
}

const char *
model_class_name(enum model_class c)
{
	switch (c) {
	case MODEL_NONMATCH:
		return "non-match";
	case MODEL_REVIEW:
		return "review";
	case MODEL_MATCH:
		return "match";
	}
	return "?";
}

const char *
model_level_name(const struct model *md, size_t f, int l)
{
	if (f >= md->nfields || l < 0 || l >= md->fields[f].nlevels ||
	    md->fields[f].level_names == NULL)
		return "?";
	return md->fields[f].level_names[l];
}
