/*
 * Tests for matchers/model: pattern packing, the tally, the EM fit (it
 * must recover known m, u and lambda from patterns simulated with a
 * fixed-seed generator), weights with term frequencies, and the
 * classification boundaries. No ground truth reaches the fit: the
 * simulation's match flags are thrown away once a pattern is drawn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/err.h"
#include "matchers/model.h"

/* splitmix64: a fixed seed gives the same stream on every machine. */
struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

/* Draw a level from p[0..n-1] (summing to 1), skipping 'skip'. */
static int
draw(struct rng *r, const double *p, int n, int skip)
{
	double x = rng_unit(r), acc = 0;
	int l, last = 0;

	for (l = 0; l < n; l++) {
		if (l == skip)
			continue;
		acc += p[l];
		last = l;
		if (x < acc)
			return l;
	}
	return last;
}

/*
 * The truth to simulate from: a layout with m, u (over the levels other
 * than missing), lambda and each field's chance of being missing.
 */
struct truth {
	const struct model_field *fields;
	size_t	 nfields;
	double	 lambda;
	double	 m[MODEL_FIELDS_MAX][MODEL_LEVELS_MAX];
	double	 u[MODEL_FIELDS_MAX][MODEL_LEVELS_MAX];
	double	 missing[MODEL_FIELDS_MAX];
};

/* One simulated pair's pattern; a match when 'match' (else random). */
static uint64_t
sim_pattern(struct rng *r, const struct truth *t, int match)
{
	uint8_t lv[MODEL_FIELDS_MAX];
	const struct model_field *fd;
	size_t f;

	for (f = 0; f < t->nfields; f++) {
		fd = &t->fields[f];
		if (fd->missing >= 0 && rng_unit(r) < t->missing[f])
			lv[f] = (uint8_t)fd->missing;
		else
			lv[f] = (uint8_t)draw(r, match ? t->m[f] : t->u[f],
			    fd->nlevels, fd->missing);
	}
	return model_pattern_encode(lv, t->nfields);
}

/* Tally 'npairs' candidate pairs, a share lambda of them matches. */
static struct model_tally *
sim_candidates(const struct truth *t, uint64_t seed, size_t npairs)
{
	struct model_tally *tl = model_tally_new();
	struct rng r = { seed };
	size_t i;
	int match;

	for (i = 0; i < npairs; i++) {
		match = rng_unit(&r) < t->lambda;
		model_tally_add(tl, sim_pattern(&r, t, match), 1);
	}
	return tl;
}

/* Set u of every field from 'npairs' simulated random pairs. */
static void
sim_random_u(struct model *md, const struct truth *t, uint64_t seed,
    size_t npairs)
{
	uint64_t counts[MODEL_FIELDS_MAX][MODEL_LEVELS_MAX];
	struct rng r = { seed };
	struct err e;
	uint64_t p;
	size_t i, f;

	memset(counts, 0, sizeof(counts));
	for (i = 0; i < npairs; i++) {
		p = sim_pattern(&r, t, 0);
		for (f = 0; f < t->nfields; f++)
			counts[f][model_pattern_level(p, f)]++;
	}
	for (f = 0; f < t->nfields; f++)
		assert_int_equal(model_set_u(md, f, counts[f],
		    (size_t)t->fields[f].nlevels, &e), 0);
}

/* Five fields of 2 to 4 levels; all but f3 may be missing (last level). */
static const struct model_field five_fields[5] = {
	{ "f0", 5, 4, 0, 0, NULL },
	{ "f1", 4, 3, 0, 0, NULL },
	{ "f2", 3, 2, 0, 0, NULL },
	{ "f3", 3, MODEL_NO_LEVEL, MODEL_NO_LEVEL, 0, NULL },
	{ "f4", 3, 2, MODEL_NO_LEVEL, 0, NULL },
};

static const struct truth five_truth = {
	five_fields, 5, 0.01,
	{
		{ 0.80, 0.10, 0.06, 0.04 },
		{ 0.85, 0.10, 0.05 },
		{ 0.90, 0.10 },
		{ 0.70, 0.20, 0.10 },
		{ 0.95, 0.05 },
	},
	{
		{ 0.01, 0.04, 0.15, 0.80 },
		{ 0.02, 0.08, 0.90 },
		{ 0.05, 0.95 },
		{ 0.10, 0.30, 0.60 },
		{ 0.003, 0.997 },
	},
	{ 0.05, 0.05, 0.05, 0, 0.05 },
};

/*
 * The fitted model against the truth: every m (and u when 'check_u')
 * within tol_mu, lambda within tol_lambda. Prints the worst errors.
 */
static void
assert_recovers(const struct model *md, const struct truth *t, bool check_u,
    double tol_mu, double tol_lambda)
{
	double dm = 0, du = 0;
	size_t f;
	int l;

	for (f = 0; f < t->nfields; f++)
		for (l = 0; l < t->fields[f].nlevels; l++) {
			if (l == t->fields[f].missing) {
				assert_true(md->m[f][l] == 0);
				continue;
			}
			dm = fmax(dm, fabs(md->m[f][l] - t->m[f][l]));
			du = fmax(du, fabs(md->u[f][l] - t->u[f][l]));
		}
	print_message("max |m^-m| %.4f, max |u^-u| %.4f, lambda^ %.5f "
	    "(true %.5f)\n", dm, du, md->lambda, t->lambda);
	assert_true(dm < tol_mu);
	if (check_u)
		assert_true(du < tol_mu);
	assert_true(fabs(md->lambda - t->lambda) < tol_lambda);
}

/* Fit a model of t's layout on 'npairs' simulated candidates. */
static void
fit_sim(struct model *md, const struct truth *t, bool fix_u, size_t npairs,
    struct model_fit_stats *st)
{
	struct model_tally *tl;
	struct model_pattern *pats;
	struct model_fit_opts o;
	struct err e;
	size_t np;

	assert_int_equal(model_init(md, t->fields, t->nfields, &e), 0);
	if (fix_u)
		sim_random_u(md, t, 7, 1000000);
	tl = sim_candidates(t, 42, npairs);
	pats = model_tally_patterns(tl, &np);
	model_fit_opts_init(&o);
	o.fix_u = fix_u;
	assert_int_equal(model_fit(md, pats, np, &o, st, &e), 0);
	print_message("%zu pairs, %zu patterns: %d iterations, converged %d, "
	    "loglik %.3f\n", npairs, np, st->iterations, st->converged,
	    st->loglik);
	assert_true(st->converged);
	assert_int_equal(st->pairs, npairs);
	free(pats);
	model_tally_free(tl);
}

static void
test_pattern_roundtrip(void **state)
{
	uint8_t lv[MODEL_FIELDS_MAX], back[MODEL_FIELDS_MAX];
	const uint8_t abc[3] = { 1, 2, 3 };
	struct rng r = { 1 };
	size_t i, f, n;

	(void)state;
	assert_true(model_pattern_encode(abc, 3) == 0x321);
	assert_int_equal(model_pattern_level(0x321, 0), 1);
	assert_int_equal(model_pattern_level(0x321, 2), 3);
	assert_int_equal(model_pattern_level(0x321, 3), 0);
	for (i = 0; i < 10000; i++) {
		n = 1 + rng_next(&r) % MODEL_FIELDS_MAX;
		for (f = 0; f < n; f++)
			lv[f] = (uint8_t)(rng_next(&r) % MODEL_LEVELS_MAX);
		model_pattern_decode(model_pattern_encode(lv, n), n, back);
		assert_memory_equal(lv, back, n);
	}
	/* Sixteen fields at the top level use every bit but 0xF nibbles. */
	memset(lv, MODEL_LEVELS_MAX - 1, sizeof(lv));
	assert_true(model_pattern_encode(lv, MODEL_FIELDS_MAX) ==
	    0xEEEEEEEEEEEEEEEEULL);
}

static void
test_init_bad_layout(void **state)
{
	struct model_field bad[2];
	struct model md;
	struct err e;

	(void)state;
	assert_int_equal(model_init(&md, model_svod_fields,
	    MODEL_SVOD_NFIELDS, &e), 0);
	assert_int_equal(model_init(&md, model_svod_fields, 0, &e),
	    ERR_CONFIG);
	assert_int_equal(model_init(&md, model_svod_fields,
	    MODEL_FIELDS_MAX + 1, &e), ERR_CONFIG);

	memcpy(bad, model_svod_fields, sizeof(bad));
	bad[1].nlevels = MODEL_LEVELS_MAX + 1;
	assert_int_equal(model_init(&md, bad, 2, &e), ERR_CONFIG);
	assert_non_null(strstr(e.msg, "surname"));
	memcpy(bad, model_svod_fields, sizeof(bad));
	bad[0].nlevels = 2;	/* one level besides missing */
	bad[0].missing = 1;
	bad[0].tf_level = 0;
	assert_int_equal(model_init(&md, bad, 2, &e), ERR_CONFIG);
	memcpy(bad, model_svod_fields, sizeof(bad));
	bad[0].tf_level = bad[0].missing;
	assert_int_equal(model_init(&md, bad, 2, &e), ERR_CONFIG);
	memcpy(bad, model_svod_fields, sizeof(bad));
	bad[0].missing = bad[0].nlevels;
	assert_int_equal(model_init(&md, bad, 2, &e), ERR_CONFIG);
	memcpy(bad, model_svod_fields, sizeof(bad));
	bad[0].name = NULL;
	assert_int_equal(model_init(&md, bad, 2, &e), ERR_CONFIG);
}

/* Starting values: m falls, u rises, both sum to 1 without missing. */
static void
test_init_start(void **state)
{
	struct model md;
	struct err e;
	double sm = 0, su = 0;
	int l;

	(void)state;
	assert_int_equal(model_init(&md, model_svod_fields,
	    MODEL_SVOD_NFIELDS, &e), 0);
	for (l = 0; l < 6; l++) {
		sm += md.m[MODEL_F_DOB][l];
		su += md.u[MODEL_F_DOB][l];
	}
	assert_true(fabs(sm - 1) < 1e-12 && fabs(su - 1) < 1e-12);
	assert_true(md.m[MODEL_F_DOB][MODEL_DOB_MISSING] == 0);
	assert_true(md.m[MODEL_F_DOB][0] > md.m[MODEL_F_DOB][1]);
	assert_true(md.u[MODEL_F_DOB][0] < md.u[MODEL_F_DOB][1]);
	assert_true(md.w[MODEL_F_NINO][MODEL_ID_AGREE] > 0);
	assert_true(md.w[MODEL_F_NINO][MODEL_ID_DISAGREE] < 0);
}

static void
test_tally(void **state)
{
	struct model_tally *a = model_tally_new(), *b = model_tally_new();
	struct model_tally *c = model_tally_new();
	struct model_pattern *pa, *pb, *pc;
	size_t na, nb, nc, i;

	(void)state;
	/* Enough distinct patterns to grow the table a few times. */
	for (i = 0; i < 5000; i++) {
		model_tally_add(a, (uint64_t)(i % 3000) * 17, 1);
		model_tally_add(b, (uint64_t)((4999 - i) % 3000) * 17, 1);
	}
	model_tally_add(c, 0, 2);
	model_tally_merge(c, a);
	assert_int_equal(model_tally_size(a), 3000);
	pa = model_tally_patterns(a, &na);
	pb = model_tally_patterns(b, &nb);
	pc = model_tally_patterns(c, &nc);
	assert_int_equal(na, 3000);
	assert_int_equal(nb, na);
	assert_int_equal(nc, na);
	assert_memory_equal(pa, pb, na * sizeof(*pa));
	for (i = 0; i < na; i++) {
		assert_true(pa[i].pattern == (uint64_t)i * 17);
		assert_true(pa[i].count == (i < 2000 ? 2u : 1u));
	}
	assert_true(pc[0].pattern == 0 && pc[0].count == 4);
	free(pa);
	free(pb);
	free(pc);
	model_tally_free(a);
	model_tally_free(b);
	model_tally_free(c);
	model_tally_free(NULL);
}

static void
test_set_u(void **state)
{
	const uint64_t counts[3] = { 0, 999, 7 };	/* agree never seen */
	const uint64_t none[3] = { 0, 0, 5 };
	struct model md;
	struct err e;

	(void)state;
	assert_int_equal(model_init(&md, model_svod_fields,
	    MODEL_SVOD_NFIELDS, &e), 0);
	assert_int_equal(model_set_u(&md, MODEL_F_NINO, counts, 3, &e), 0);
	/* Half a count: 0.5 / 999.5; missing ignored. */
	assert_true(fabs(md.u[MODEL_F_NINO][0] - 0.5 / 999.5) < 1e-12);
	assert_true(md.u[MODEL_F_NINO][MODEL_ID_MISSING] == 0);
	assert_true(md.w[MODEL_F_NINO][0] ==
	    log2(md.m[MODEL_F_NINO][0] / md.u[MODEL_F_NINO][0]));
	assert_int_equal(model_set_u(&md, MODEL_F_NINO, none, 3, &e),
	    ERR_DATA);
	assert_int_equal(model_set_u(&md, MODEL_F_NINO, counts, 2, &e),
	    ERR_DATA);
	assert_int_equal(model_set_u(&md, MODEL_SVOD_NFIELDS, counts, 3, &e),
	    ERR_DATA);
}

/* u from random pairs, m and lambda by EM (the usual run). */
static void
test_em_recovers_m(void **state)
{
	struct model_fit_stats st;
	struct model md;

	(void)state;
	fit_sim(&md, &five_truth, true, 1000000, &st);
	assert_recovers(&md, &five_truth, true, 0.02, 0.002);
}

/* The same on the brief's smaller sample of 200,000 pairs. */
static void
test_em_recovers_m_200k(void **state)
{
	struct model_fit_stats st;
	struct model md;

	(void)state;
	fit_sim(&md, &five_truth, true, 200000, &st);
	assert_recovers(&md, &five_truth, true, 0.02, 0.002);
}

/* m, u and lambda all by EM, from the starting values. */
static void
test_em_recovers_m_and_u(void **state)
{
	struct model_fit_stats st;
	struct model md;

	(void)state;
	fit_sim(&md, &five_truth, false, 1000000, &st);
	assert_recovers(&md, &five_truth, true, 0.02, 0.002);
}

/*
 * The svod layout, with NINO and NHS numbers that almost never disagree
 * for a true match: their disagreement must come out a strong negative.
 */
static const struct truth svod_truth = {
	model_svod_fields, MODEL_SVOD_NFIELDS, 0.05,
	{
		{ 0.80, 0.06, 0.01, 0.02, 0.03, 0.03, 0.03, 0.02 },
		{ 0.84, 0.01, 0.01, 0.05, 0.03, 0.06 },
		{ 0.92, 0.02, 0.03, 0.01, 0.02 },
		{ 0.60, 0.10, 0.05, 0.05, 0.05, 0.15 },
		{ 0.70, 0.30 },
		{ 0.998, 0.002 },
		{ 0.998, 0.002 },
		{ 0.99, 0.01 },
		{ 0.60, 0.40 },
	},
	{
		{ 0.02, 0.005, 0.001, 0.001, 0.009, 0.03, 0.05, 0.884 },
		{ 0.01, 0.001, 0.001, 0.01, 0.02, 0.958 },
		{ 0.002, 0.001, 0.005, 0.01, 0.982 },
		{ 0.01, 0.01, 0.03, 0.10, 0.20, 0.65 },
		{ 0.02, 0.98 },
		{ 0.0001, 0.9999 },
		{ 0.0001, 0.9999 },
		{ 0.30, 0.70 },
		{ 0.001, 0.999 },
	},
	{ 0.01, 0.01, 0.02, 0.05, 0.40, 0.50, 0.70, 0.90, 0.95 },
};

static void
test_svod_layout_nino_disagree(void **state)
{
	struct model_fit_stats st;
	struct model md;
	uint8_t lv[MODEL_SVOD_NFIELDS] = {
		MODEL_FN_EXACT, MODEL_SN_EXACT, MODEL_DOB_EXACT, MODEL_PC_FULL,
		MODEL_ID_MISSING, MODEL_ID_DISAGREE, MODEL_ID_MISSING,
		MODEL_ID_MISSING, MODEL_ID_MISSING
	};
	double contrib[MODEL_SVOD_NFIELDS], w;

	(void)state;
	fit_sim(&md, &svod_truth, true, 1000000, &st);
	assert_recovers(&md, &svod_truth, true, 0.02, 0.002);
	print_message("nino: agree %+.2f, disagree %+.2f bits\n",
	    md.w[MODEL_F_NINO][0], md.w[MODEL_F_NINO][1]);
	assert_true(md.w[MODEL_F_NINO][MODEL_ID_DISAGREE] < -7);
	assert_true(md.w[MODEL_F_NINO][MODEL_ID_AGREE] > 10);
	/* Same name, DOB and postcode, different NINO: NINO pulls down. */
	w = model_weight(&md, model_pattern_encode(lv, MODEL_SVOD_NFIELDS),
	    NULL, contrib);
	assert_true(contrib[MODEL_F_NINO] < -7);
	assert_true(w < contrib[MODEL_F_FORENAME] + contrib[MODEL_F_SURNAME] +
	    contrib[MODEL_F_DOB] + contrib[MODEL_F_POSTCODE] - 7);
	assert_string_equal(model_level_name(&md, MODEL_F_NINO, 1),
	    "disagree");
	assert_string_equal(model_level_name(&md, MODEL_F_DOB,
	    MODEL_DOB_SWAPPED), "day-month-swapped");
	assert_string_equal(model_level_name(&md, MODEL_F_DOB, 6), "?");
}

/* Same input, same bits; pairs in another order, same tally, same bits. */
static void
test_em_determinism(void **state)
{
	struct model_fit_stats s1, s2;
	struct model a, b;
	struct model_tally *t1, *t2;
	struct model_pattern *p1, *p2;
	struct model_fit_opts o;
	struct err e;
	size_t n1, n2, i;
	uint64_t *pairs;
	struct rng r = { 99 };

	(void)state;
	fit_sim(&a, &five_truth, false, 300000, &s1);
	fit_sim(&b, &five_truth, false, 300000, &s2);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_equal(&s1, &s2, sizeof(s1));

	/* The same pairs, tallied forwards and backwards. */
	pairs = malloc(100000 * sizeof(*pairs));
	assert_non_null(pairs);
	for (i = 0; i < 100000; i++)
		pairs[i] = sim_pattern(&r, &five_truth,
		    rng_unit(&r) < five_truth.lambda);
	t1 = model_tally_new();
	t2 = model_tally_new();
	for (i = 0; i < 100000; i++) {
		model_tally_add(t1, pairs[i], 1);
		model_tally_add(t2, pairs[99999 - i], 1);
	}
	p1 = model_tally_patterns(t1, &n1);
	p2 = model_tally_patterns(t2, &n2);
	model_fit_opts_init(&o);
	assert_int_equal(model_init(&a, five_fields, 5, &e), 0);
	assert_int_equal(model_init(&b, five_fields, 5, &e), 0);
	assert_int_equal(model_fit(&a, p1, n1, &o, NULL, &e), 0);
	assert_int_equal(model_fit(&b, p2, n2, &o, NULL, &e), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(p1);
	free(p2);
	free(pairs);
	model_tally_free(t1);
	model_tally_free(t2);
}

/* Bad patterns are refused and leave the model as it was. */
static void
test_fit_bad_patterns(void **state)
{
	struct model_pattern bad_level = { 0x6, 10 };	/* f0 has 5 levels */
	struct model_pattern beyond = { 1ULL << 20, 10 };	/* field 5 */
	struct model_pattern zero = { 0, 0 };
	struct model_fit_opts o;
	struct model md, before;
	struct model_fit_stats st;
	struct err e;

	(void)state;
	model_fit_opts_init(&o);
	assert_int_equal(model_init(&md, five_fields, 5, &e), 0);
	before = md;
	assert_int_equal(model_fit(&md, &bad_level, 1, &o, &st, &e),
	    ERR_DATA);
	assert_non_null(strstr(e.msg, "'f0'"));
	assert_int_equal(model_fit(&md, &beyond, 1, &o, &st, &e), ERR_DATA);
	assert_int_equal(model_fit(&md, &zero, 1, &o, &st, &e), ERR_DATA);
	assert_int_equal(model_fit(&md, NULL, 0, &o, &st, &e), ERR_DATA);
	assert_memory_equal(&md, &before, sizeof(md));
	assert_int_equal(st.iterations, 0);
}

/*
 * Floors: a level no pair ever shows keeps m at about the floor, not 0,
 * so its weight stays finite; a field always missing keeps its start.
 */
static void
test_fit_floors(void **state)
{
	/* f0 at level 0 or 1, f1 always missing (its level 3). */
	struct model_pattern pats[2] = { { 0x30, 900 }, { 0x31, 100 } };
	struct model_fit_opts o;
	struct model md;
	struct model_fit_stats st;
	struct err e;
	double start_m1;
	size_t f;

	(void)state;
	model_fit_opts_init(&o);
	o.fix_u = false;
	assert_int_equal(model_init(&md, five_fields, 5, &e), 0);
	start_m1 = md.m[1][0];
	assert_int_equal(model_fit(&md, pats, 2, &o, &st, &e), 0);
	assert_true(md.m[1][0] == start_m1);
	for (f = 0; f < 5; f++) {
		int l;

		for (l = 0; l < five_fields[f].nlevels; l++) {
			if (l == five_fields[f].missing)
				continue;
			assert_true(md.m[f][l] >= MODEL_FLOOR * 0.99);
			assert_true(md.u[f][l] >= MODEL_FLOOR * 0.99);
			assert_true(isfinite(md.w[f][l]));
		}
	}
	assert_true(md.lambda >= MODEL_FLOOR && md.lambda <= 1 - MODEL_FLOOR);
}

/* A hand-set model for the weight tests: svod layout, known m and u. */
static void
hand_model(struct model *md)
{
	struct err e;

	assert_int_equal(model_init(md, model_svod_fields, MODEL_SVOD_NFIELDS,
	    &e), 0);
	md->m[MODEL_F_SURNAME][MODEL_SN_EXACT] = 0.9;
	md->u[MODEL_F_SURNAME][MODEL_SN_EXACT] = 0.01;
	md->lambda = 0.1;
	model_prepare(md);
}

static void
test_weight_missing_is_zero(void **state)
{
	uint8_t lv[MODEL_SVOD_NFIELDS] = {
		MODEL_FN_EXACT, MODEL_SN_EXACT, MODEL_DOB_EXACT,
		MODEL_PC_MISSING, MODEL_ID_MISSING, MODEL_ID_MISSING,
		MODEL_ID_MISSING, MODEL_ID_MISSING, MODEL_ID_MISSING
	};
	double c[MODEL_SVOD_NFIELDS], w, w2, sum = 0;
	struct model md;
	size_t f;

	(void)state;
	hand_model(&md);
	w = model_weight(&md, model_pattern_encode(lv, MODEL_SVOD_NFIELDS),
	    NULL, c);
	for (f = 0; f < MODEL_SVOD_NFIELDS; f++)
		sum += c[f];
	assert_true(w == sum);
	assert_true(c[MODEL_F_POSTCODE] == 0);
	assert_true(c[MODEL_F_UPRN] == 0 && c[MODEL_F_NINO] == 0 &&
	    c[MODEL_F_NHS] == 0);
	/* Dropping DOB to missing removes exactly its contribution. */
	lv[MODEL_F_DOB] = MODEL_DOB_MISSING;
	w2 = model_weight(&md, model_pattern_encode(lv, MODEL_SVOD_NFIELDS),
	    NULL, NULL);
	assert_true(fabs(w2 - (w - c[MODEL_F_DOB])) < 1e-12);
	/* Missing TF frequencies change nothing either. */
	{
		const uint64_t freq[MODEL_SVOD_NFIELDS] = { 0 };
		struct model_tf tf = { freq, 1000000 };

		assert_true(model_weight(&md, model_pattern_encode(lv,
		    MODEL_SVOD_NFIELDS), &tf, NULL) == w2);
	}
}

static void
test_weight_tf(void **state)
{
	uint8_t lv[MODEL_SVOD_NFIELDS] = {
		MODEL_FN_MISSING, MODEL_SN_EXACT, MODEL_DOB_MISSING,
		MODEL_PC_MISSING, MODEL_ID_MISSING, MODEL_ID_MISSING,
		MODEL_ID_MISSING, MODEL_ID_MISSING, MODEL_ID_MISSING
	};
	uint64_t rare[MODEL_SVOD_NFIELDS] = { 0 }, common[MODEL_SVOD_NFIELDS];
	struct model_tf tf_rare = { rare, 1000000 }, tf_common;
	struct model_field fields[MODEL_SVOD_NFIELDS];
	double w_plain, w_rare, w_common, c[MODEL_SVOD_NFIELDS];
	struct model md;
	uint64_t p;

	(void)state;
	hand_model(&md);
	p = model_pattern_encode(lv, MODEL_SVOD_NFIELDS);
	rare[MODEL_F_SURNAME] = 3;		/* 3 in a million */
	memcpy(common, rare, sizeof(common));
	common[MODEL_F_SURNAME] = 12000;	/* "Smith": 1.2% */
	tf_common = (struct model_tf){ common, 1000000 };

	w_plain = model_weight(&md, p, NULL, NULL);
	w_rare = model_weight(&md, p, &tf_rare, c);
	w_common = model_weight(&md, p, &tf_common, NULL);
	print_message("surname exact: %.2f bits, rare %.2f, common %.2f\n",
	    w_plain, w_rare, w_common);
	assert_true(fabs(w_plain - log2(0.9 / 0.01)) < 1e-12);
	assert_true(fabs(w_rare - log2(0.9 / 3e-6)) < 1e-9);
	assert_true(fabs(w_common - log2(0.9 / 0.012)) < 1e-9);
	assert_true(w_rare > w_plain && w_plain > w_common);
	assert_true(c[MODEL_F_SURNAME] == w_rare);

	/* TF applies at the exact level only. */
	lv[MODEL_F_SURNAME] = MODEL_SN_DICE90;
	p = model_pattern_encode(lv, MODEL_SVOD_NFIELDS);
	assert_true(model_weight(&md, p, &tf_rare, NULL) ==
	    model_weight(&md, p, NULL, NULL));
	/* NINO has no TF level: a frequency there is ignored. */
	lv[MODEL_F_SURNAME] = MODEL_SN_MISSING;
	lv[MODEL_F_NINO] = MODEL_ID_AGREE;
	rare[MODEL_F_NINO] = 500000;
	p = model_pattern_encode(lv, MODEL_SVOD_NFIELDS);
	assert_true(model_weight(&md, p, &tf_rare, NULL) ==
	    md.w[MODEL_F_NINO][MODEL_ID_AGREE]);

	/* tf_min_u caps the weight of a value unique to the pair. */
	memcpy(fields, model_svod_fields, sizeof(fields));
	fields[MODEL_F_SURNAME].tf_min_u = 1e-4;
	md.fields = fields;
	lv[MODEL_F_NINO] = MODEL_ID_MISSING;
	lv[MODEL_F_SURNAME] = MODEL_SN_EXACT;
	p = model_pattern_encode(lv, MODEL_SVOD_NFIELDS);
	assert_true(fabs(model_weight(&md, p, &tf_rare, NULL) -
	    log2(0.9 / 1e-4)) < 1e-9);
}

static void
test_probability(void **state)
{
	double w;

	(void)state;
	assert_true(fabs(model_probability(0, 0.5) - 0.5) < 1e-15);
	/* Prior odds 1:99 and a Bayes factor of 99: even odds. */
	assert_true(fabs(model_probability(log2(99), 0.01) - 0.5) < 1e-12);
	for (w = -30; w <= 30; w += 0.5)
		assert_true(fabs(model_probability(
		    model_weight_for_probability(model_probability(w, 0.02),
		    0.02), 0.02) - model_probability(w, 0.02)) < 1e-12);
	assert_true(model_probability(1, 0.01) > model_probability(0, 0.01));
	assert_true(model_probability(-2000, 0.01) == 0);
	assert_true(model_probability(2000, 0.01) == 1);
}

static void
test_classify(void **state)
{
	const struct model_thresholds t = { 0.5, 0.99 };
	const struct model_thresholds noband = { 0.9, 0.9 };
	const struct model_thresholds bad1 = { 0.99, 0.5 };
	const struct model_thresholds bad2 = { 0, 0.5 };
	const struct model_thresholds bad3 = { 0.5, 1 };
	double wm;
	struct err e;

	(void)state;
	assert_int_equal(model_thresholds_check(&t, &e), 0);
	assert_int_equal(model_thresholds_check(&noband, &e), 0);
	assert_int_equal(model_thresholds_check(&bad1, &e), ERR_CONFIG);
	assert_int_equal(model_thresholds_check(&bad2, &e), ERR_CONFIG);
	assert_int_equal(model_thresholds_check(&bad3, &e), ERR_CONFIG);

	assert_int_equal(model_classify(0.99, &t), MODEL_MATCH);
	assert_int_equal(model_classify(1, &t), MODEL_MATCH);
	assert_int_equal(model_classify(nextafter(0.99, 0), &t), MODEL_REVIEW);
	assert_int_equal(model_classify(0.5, &t), MODEL_REVIEW);
	assert_int_equal(model_classify(nextafter(0.5, 0), &t),
	    MODEL_NONMATCH);
	assert_int_equal(model_classify(0, &t), MODEL_NONMATCH);
	assert_int_equal(model_classify(NAN, &t), MODEL_NONMATCH);
	assert_int_equal(model_classify(0.9, &noband), MODEL_MATCH);
	assert_int_equal(model_classify(nextafter(0.9, 0), &noband),
	    MODEL_NONMATCH);
	assert_string_equal(model_class_name(MODEL_REVIEW), "review");
	assert_string_equal(model_class_name(MODEL_NONMATCH), "non-match");

	/* The weight threshold agrees with the probability threshold. */
	wm = model_weight_for_probability(0.99, 0.01);
	assert_int_equal(model_classify(model_probability(wm + 1e-9, 0.01),
	    &t), MODEL_MATCH);
	assert_int_equal(model_classify(model_probability(wm - 1e-6, 0.01),
	    &t), MODEL_REVIEW);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_roundtrip),
		cmocka_unit_test(test_init_bad_layout),
		cmocka_unit_test(test_init_start),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_set_u),
		cmocka_unit_test(test_em_recovers_m),
		cmocka_unit_test(test_em_recovers_m_200k),
		cmocka_unit_test(test_em_recovers_m_and_u),
		cmocka_unit_test(test_svod_layout_nino_disagree),
		cmocka_unit_test(test_em_determinism),
		cmocka_unit_test(test_fit_bad_patterns),
		cmocka_unit_test(test_fit_floors),
		cmocka_unit_test(test_weight_missing_is_zero),
		cmocka_unit_test(test_weight_tf),
		cmocka_unit_test(test_probability),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
