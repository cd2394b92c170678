/*
 * linker: blocking, comparison, u from random pairs, EM, scoring and
 * classing in one call. See linker.h.
 *
 * Order independence: candidate pairs come sorted from blockkey_pairs
 * (which depends on tags only) and the EM runs on the sorted tally, so
 * only the random pairs could depend on the input's order. They are drawn
 * over a canonical order of the records: by 'index', then by a hash of
 * the record's contents, so two records that tie are identical and give
 * the same comparisons.
 */
#include "matchers/linker.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "etl/xalloc.h"

void
linker_opts_init(struct linker_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_block = BLOCKKEY_MAX_BLOCK;
	o->u_pairs = LINKER_U_PAIRS;
	o->seed = LINKER_SEED;
	o->match_probability = LINKER_MATCH_P;
	o->review_probability = LINKER_REVIEW_P;
	o->cannot_weight = LINKER_CANNOT_WEIGHT;
	o->max_iter = 1000;
}

int
linker_opts_check(const struct linker_opts *o, struct err *e)
{
	struct model_thresholds t;

	t.review = o->review_probability;
	t.match = o->match_probability;
	if (model_thresholds_check(&t, e) != 0)
		return ERR_CONFIG;
	if (o->max_block == 1)
		return err_set(e, ERR_CONFIG, "block cap 1: it must be 0 "
		    "(the default) or at least 2");
	if (!isfinite(o->cannot_weight))
		return err_set(e, ERR_CONFIG, "cannot-link weight is not a "
		    "finite number");
	if (o->max_iter < 1)
		return err_set(e, ERR_CONFIG, "EM iterations %d: at least 1 "
		    "needed", o->max_iter);
	return 0;
}

void
linker_result_free(struct linker_result *r)
{
	if (r == NULL)
		return;
	free(r->links);
	free(r->review);
	free(r->cannot);
	free(r->candidates);
	memset(r, 0, sizeof(*r));
}

static const char *const why_names[LINKER_WHY_BITS] = {
	"match", "band", "rules", "ambiguous", "namesake", "below",
	"names_only", "nino", "nhs", "dob", "forename", "account", "suffix",
	"age", "weight"
};

size_t
linker_why_text(unsigned why, char *buf, size_t cap)
{
	size_t len = 0;
	int got;

	if (cap > 0)
		buf[0] = '\0';
	for (int b = 0; b < LINKER_WHY_BITS; b++) {
		if (!((why >> b) & 1u))
			continue;
		got = snprintf(buf + len, cap > len ? cap - len : 0, "%s%s",
		    len ? "," : "", why_names[b]);
		if (got < 0 || (size_t)got >= (cap > len ? cap - len : 0))
			return len;
		len += (size_t)got;
	}
	return len;
}

const char *
linker_decision_name(int decision)
{
	switch (decision) {
	case LINKER_NONE:
		return "none";
	case LINKER_LINK:
		return "link";
	case LINKER_REVIEW:
		return "review";
	case LINKER_CANNOT:
		return "cannot";
	default:
		return "?";
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: the next value of the state at *s. */
static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z;

	z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A uniform value below 'bound' (> 0), without modulo bias. */
static uint64_t
below(uint64_t *s, uint64_t bound)
{
	uint64_t r, lim = -bound % bound;	/* 2^64 mod bound */

	do
		r = splitmix64(s);
	while (r < lim);
	return r % bound;
}

/* A record's place in the canonical order. */
struct canon {
	uint32_t index;
	uint32_t pos;
	uint64_t hash;
};

/* A hash of everything of a record but its index (no padding bytes). */
static uint64_t
rec_hash(const struct compare_rec *r)
{
	uint64_t h;
	uint32_t misc[3];

	misc[0] = r->have;
	misc[1] = (uint32_t)r->feed << 8 | r->flags;
	misc[2] = (uint32_t)r->forename_pop << 16 | r->surname_pop;
	h = XXH3_64bits(r->tag, sizeof(r->tag));
	h = XXH3_64bits_withSeed(misc, sizeof(misc), h);
	h = XXH3_64bits_withSeed(r->forename_bloom, sizeof(r->forename_bloom),
	    h);
	return XXH3_64bits_withSeed(r->surname_bloom, sizeof(r->surname_bloom),
	    h);
}

static int
canon_cmp(const void *x, const void *y)
{
	const struct canon *a = x, *b = y;

	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return 0;	/* identical records: either order gives the same */
}

/*
 * A pair's pattern as the linker scores it: when the UPRNs agree, the
 * postcode is set to missing, as it then adds nothing (one address is
 * one piece of evidence, not two, and members of a household share it).
 */
static uint64_t
address_once(uint64_t pat)
{
	const uint64_t shift = MODEL_F_POSTCODE * MODEL_LEVEL_BITS;

	if (model_pattern_level(pat, MODEL_F_UPRN) != MODEL_ID_AGREE)
		return pat;
	return (pat & ~((uint64_t)0xF << shift)) |
	    (uint64_t)MODEL_PC_MISSING << shift;
}

/* Add the levels of one pair to the per-field counts. */
static void
count_levels(uint64_t counts[MODEL_SVOD_NFIELDS][MODEL_LEVELS_MAX],
    const uint8_t *lv)
{
	size_t f;

	for (f = 0; f < MODEL_SVOD_NFIELDS; f++)
		if (f != MODEL_F_POSTCODE || lv[MODEL_F_UPRN] != MODEL_ID_AGREE)
			counts[f][lv[f]]++;
}

/*
 * Step 3: u of every field from random pairs of distinct records, or
 * from every pair when there are no more than the sample asks for.
 */
static void
fit_u(const struct compare_rec *recs, size_t n, const struct linker_opts *o,
    const struct compare_params *cp, struct model *md,
    struct linker_stats *st)
{
	uint64_t counts[MODEL_SVOD_NFIELDS][MODEL_LEVELS_MAX];
	uint8_t lv[MODEL_SVOD_NFIELDS];
	uint64_t total, k, s, a, b;
	struct canon *cn;
	struct err ue;
	size_t i, j, f;

	memset(counts, 0, sizeof(counts));
	total = (uint64_t)n * (n - 1) / 2;
	if (total <= o->u_pairs) {
		/* Every pair: the counts are sums, so order does not matter. */
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++) {
				compare_pair(&recs[i], &recs[j], cp, lv);
				count_levels(counts, lv);
			}
		st->random_pairs = total;
		st->u_all_pairs = true;
	} else {
		cn = xreallocarray(NULL, n, sizeof(*cn));
		for (i = 0; i < n; i++) {
			cn[i].index = recs[i].index;
			cn[i].pos = (uint32_t)i;
			cn[i].hash = rec_hash(&recs[i]);
		}
		qsort(cn, n, sizeof(*cn), canon_cmp);
		s = o->seed;
		for (k = 0; k < o->u_pairs; k++) {
			a = below(&s, n);
			b = below(&s, n - 1);
			if (b >= a)
				b++;
			compare_pair(&recs[cn[a].pos], &recs[cn[b].pos], cp,
			    lv);
			count_levels(counts, lv);
		}
		free(cn);
		st->random_pairs = o->u_pairs;
	}
	st->comparisons += st->random_pairs;
	for (f = 0; f < MODEL_SVOD_NFIELDS; f++) {
		err_clear(&ue);
		/* ERR_DATA only when no pair had the field: keep the start. */
		if (model_set_u(md, f, counts[f],
		    (size_t)model_svod_fields[f].nlevels, &ue) != 0)
			st->u_unset |= 1u << f;
	}
}

/*
 * One training session: EM on the candidate patterns that agree exactly
 * on the fields of 'rule' (bits by field), with those fields set to
 * missing so that the agreement blocking forced on them does not pass
 * for evidence. Adds the fitted m of every other field, weighted by the
 * pairs the session had, to msum; wsum[f] gets the weights. Returns the
 * session's pairs (0: none, nothing fitted).
 */
static uint64_t
train_session(const struct model *start, const struct model_pattern *pats,
    size_t npats, unsigned rule, const struct model_fit_opts *fo,
    double msum[MODEL_SVOD_NFIELDS][MODEL_LEVELS_MAX],
    double wsum[MODEL_SVOD_NFIELDS], struct model_fit_stats *fs)
{
	struct model_tally *t;
	struct model_pattern *sub;
	struct model md = *start;
	uint64_t pat, pairs = 0;
	size_t i, f, nsub;
	struct err fe;
	int l;
	bool in;

	t = model_tally_new();
	for (i = 0; i < npats; i++) {
		pat = pats[i].pattern;
		in = true;
		for (f = 0; f < MODEL_SVOD_NFIELDS && in; f++)
			if ((rule >> f) & 1u)
				in = model_pattern_level(pat, f) == 0;
		if (!in)
			continue;
		for (f = 0; f < MODEL_SVOD_NFIELDS; f++)
			if ((rule >> f) & 1u) {
				pat &= ~((uint64_t)0xF <<
				    (f * MODEL_LEVEL_BITS));
				pat |= (uint64_t)model_svod_fields[f].missing <<
				    (f * MODEL_LEVEL_BITS);
			}
		model_tally_add(t, pat, pats[i].count);
		pairs += pats[i].count;
	}
	sub = model_tally_patterns(t, &nsub);
	model_tally_free(t);
	err_clear(&fe);
	if (pairs == 0 || model_fit(&md, sub, nsub, fo, fs, &fe) != 0) {
		free(sub);
		return 0;
	}
	free(sub);
	for (f = 0; f < MODEL_SVOD_NFIELDS; f++) {
		if ((rule >> f) & 1u)
			continue;
		for (l = 0; l < model_svod_fields[f].nlevels; l++)
			msum[f][l] += (double)pairs * md.m[f][l];
		wsum[f] += (double)pairs;
	}
	return pairs;
}

static bool discriminates(uint64_t pat);

/*
 * lambda alone by EM over every candidate pattern, m and u fixed: the
 * mean posterior match probability, iterated. Returns the iterations.
 */
static int
fit_lambda(struct model *md, const struct model_pattern *pats, size_t npats,
    int max_iter)
{
	double lam = md->lambda, next, g, total, q;
	size_t i;
	int it;

	for (it = 1; it <= max_iter; it++) {
		g = total = 0;
		for (i = 0; i < npats; i++) {
			q = !discriminates(pats[i].pattern) ? 0 :
			    model_probability(model_weight(md,
			    pats[i].pattern, NULL, NULL), lam);
			g += (double)pats[i].count * q;
			total += (double)pats[i].count;
		}
		next = fmin(fmax(g / total, md->floor), 1 - md->floor);
		if (fabs(next - lam) <= 1e-9 * lam) {
			lam = next;
			break;
		}
		lam = next;
	}
	md->lambda = lam;
	return it > max_iter ? max_iter : it;
}

/* Training rules: exact date of birth; exact forename and surname. */
static const unsigned session_rules[LINKER_SESSIONS] = {
	1u << MODEL_F_DOB,
	1u << MODEL_F_FORENAME | 1u << MODEL_F_SURNAME,
};

/*
 * Step 4 by sessions: m of each field from the sessions that did not
 * block on it, lambda over every candidate. Returns false when some
 * field got no m (then the caller fits on every candidate).
 */
static bool
fit_sessions(struct model *md, const struct model_pattern *pats,
    size_t npats, const struct model_fit_opts *fo, struct linker_stats *st)
{
	double msum[MODEL_SVOD_NFIELDS][MODEL_LEVELS_MAX];
	double wsum[MODEL_SVOD_NFIELDS];
	struct model_fit_stats fs;
	size_t k, f;
	int l;

	memset(msum, 0, sizeof(msum));
	memset(wsum, 0, sizeof(wsum));
	for (k = 0; k < LINKER_SESSIONS; k++) {
		memset(&fs, 0, sizeof(fs));
		st->session_pairs[k] = train_session(md, pats, npats,
		    session_rules[k], fo, msum, wsum, &fs);
		st->session_iterations[k] = fs.iterations;
		st->em_iterations += fs.iterations;
	}
	for (f = 0; f < MODEL_SVOD_NFIELDS; f++)
		if (wsum[f] <= 0)
			return false;
	for (f = 0; f < MODEL_SVOD_NFIELDS; f++)
		for (l = 0; l < model_svod_fields[f].nlevels; l++)
			md->m[f][l] = l == model_svod_fields[f].missing ? 0 :
			    msum[f][l] / wsum[f];
	model_prepare(md);
	st->lambda_iterations = fit_lambda(md, pats, npats, fo->max_iter);
	st->em_converged = true;
	return true;
}

/*
 * The prior of m: what a council's records of one person usually look
 * like, field by field (levels in enum order, missing last and unused).
 * Rough shares, not fitted: most names agree exactly, one in seven
 * surnames differs (marriage), a third of people moved house. They
 * weigh LINKER_PRIOR_PAIRS anchor pairs, so with thousands of anchors
 * the data decide and with a few dozen (a small borough) no level seen
 * by no anchor gets an m near zero and a weight of -20 bits.
 */
static const double m_prior[MODEL_SVOD_NFIELDS][MODEL_LEVELS_MAX] = {
	[MODEL_F_FORENAME] = { 0.85, 0.05, 0.005, 0.02, 0.01, 0.005, 0.03,
	    0.03 },
	[MODEL_F_SURNAME] = { 0.80, 0.005, 0.03, 0.02, 0.005, 0.14 },
	[MODEL_F_DOB] = { 0.96, 0.01, 0.02, 0.005, 0.005 },
	[MODEL_F_POSTCODE] = { 0.55, 0.10, 0.02, 0.05, 0.08, 0.20 },
	[MODEL_F_UPRN] = { 0.70, 0.30 },
	[MODEL_F_NINO] = { 0.99, 0.01 },
	[MODEL_F_NHS] = { 0.99, 0.01 },
	[MODEL_F_SUFFIX] = { 0.99, 0.01 },
	[MODEL_F_DEBT_REF] = { 0.6, 0.4 },
};

/*
 * Starting m from anchor pairs: candidates that share a NINO stem or an
 * NHS number, or agree exactly on both names and the date of birth, are
 * near-certain matches (the strong tokens of the deterministic rules).
 * Field f's m is its level shares among the anchors whose anchor does
 * not involve f, with m_prior added as LINKER_PRIOR_PAIRS pairs. With
 * at least LINKER_ANCHOR_MIN anchors in all, every field is set (*set
 * all ones); with fewer, none is (the sessions run). Returns the anchor
 * pairs.
 */
static uint64_t
anchor_m(struct model *md, const struct model_pattern *pats, size_t npats,
    unsigned *set)
{
	double cnt[MODEL_SVOD_NFIELDS][MODEL_LEVELS_MAX], tot;
	uint64_t pat, anchors = 0;
	const unsigned name_bits = 1u << MODEL_F_FORENAME |
	    1u << MODEL_F_SURNAME | 1u << MODEL_F_DOB;
	unsigned why, own;
	size_t i, f;
	int l, miss;

	memset(cnt, 0, sizeof(cnt));
	*set = 0;
	for (i = 0; i < npats; i++) {
		pat = pats[i].pattern;
		why = 0;
		if (model_pattern_level(pat, MODEL_F_NINO) == MODEL_ID_AGREE)
			why |= 1u << MODEL_F_NINO;
		if (model_pattern_level(pat, MODEL_F_NHS) == MODEL_ID_AGREE)
			why |= 1u << MODEL_F_NHS;
		if (model_pattern_level(pat, MODEL_F_FORENAME) ==
		    MODEL_FN_EXACT &&
		    model_pattern_level(pat, MODEL_F_SURNAME) ==
		    MODEL_SN_EXACT &&
		    model_pattern_level(pat, MODEL_F_DOB) == MODEL_DOB_EXACT)
			why |= name_bits;
		if (why == 0)
			continue;
		anchors += pats[i].count;
		for (f = 0; f < MODEL_SVOD_NFIELDS; f++) {
			/* Only an anchor that does not rest on f counts. */
			own = f == MODEL_F_NINO || f == MODEL_F_NHS ?
			    1u << f : (why >> f) & 1u ? name_bits : 0;
			if ((why & ~own) == 0)
				continue;
			cnt[f][model_pattern_level(pat, f)] +=
			    (double)pats[i].count;
		}
	}
	if (anchors < LINKER_ANCHOR_MIN)
		return anchors;
	for (f = 0; f < MODEL_SVOD_NFIELDS; f++) {
		miss = model_svod_fields[f].missing;
		tot = LINKER_PRIOR_PAIRS;
		for (l = 0; l < model_svod_fields[f].nlevels; l++)
			if (l != miss)
				tot += cnt[f][l];
		*set |= 1u << f;
		for (l = 0; l < model_svod_fields[f].nlevels; l++)
			md->m[f][l] = l == miss ? 0 : fmax((cnt[f][l] +
			    LINKER_PRIOR_PAIRS * m_prior[f][l]) / tot,
			    md->floor);
	}
	model_prepare(md);
	return anchors;
}

/* Append to a growable array of 'size'-byte items. */
static void *
push(void *v, size_t *np, size_t *cap, size_t size)
{
	if (*np == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		v = xreallocarray(v, *cap, size);
	}
	(*np)++;
	return v;
}

static int
u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* The tags 'tag' of the records that have one, sorted; *nv the count. */
static uint64_t *
tf_table(const struct compare_rec *recs, size_t n, int tag, size_t *nv)
{
	uint64_t *v = xreallocarray(NULL, n ? n : 1, sizeof(*v));
	size_t i;

	*nv = 0;
	for (i = 0; i < n; i++)
		if ((recs[i].have >> tag) & 1u)
			v[(*nv)++] = recs[i].tag[tag];
	qsort(v, *nv, sizeof(*v), u64_cmp);
	return v;
}

/* The full name's key: forename and surname tags together. */
static uint64_t
fullname_key(const struct compare_rec *r)
{
	return XXH3_64bits_withSeed(&r->tag[COMPARE_T_SURNAME],
	    sizeof(uint64_t), r->tag[COMPARE_T_FORENAME]);
}

/* The sorted full-name keys of the records holding both names. */
static uint64_t *
tf_table_fullname(const struct compare_rec *recs, size_t n, size_t *nv)
{
	uint64_t *v = xreallocarray(NULL, n ? n : 1, sizeof(*v));
	size_t i;

	*nv = 0;
	for (i = 0; i < n; i++)
		if (compare_has(&recs[i], COMPARE_T_FORENAME) &&
		    compare_has(&recs[i], COMPARE_T_SURNAME))
			v[(*nv)++] = fullname_key(&recs[i]);
	qsort(v, *nv, sizeof(*v), u64_cmp);
	return v;
}

/* How many of the sorted 'v' equal 'x'. */
static uint64_t
tf_count(const uint64_t *v, size_t nv, uint64_t x)
{
	size_t lo = 0, hi = nv, mid, first;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	hi = nv;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - first;
}

/*
 * Both names agree exactly: the weight 'w' holds each name's part after
 * its own term frequency ('contrib'), as if forename and surname were
 * chosen independently. They are not (a borough's John Smiths, families
 * of one naming custom), so when the full name is commoner than the two
 * frequencies together say, the names count as the full name's
 * frequency: log2(m_forename * m_surname / (count / N)).
 */
static double
fullname_weight(const struct model *md, double w, double *contrib,
    uint64_t count, size_t n)
{
	double names = contrib[MODEL_F_FORENAME] + contrib[MODEL_F_SURNAME];
	double joint, sum = 0;

	if (count == 0 || n == 0 || names <= 0)
		return w;
	joint = log2(md->m[MODEL_F_FORENAME][MODEL_FN_EXACT] *
	    md->m[MODEL_F_SURNAME][MODEL_SN_EXACT] * (double)n /
	    (double)count);
	if (joint >= names)
		return w;
	/* The two names share the full name's weight as they shared theirs. */
	contrib[MODEL_F_FORENAME] *= joint / names;
	contrib[MODEL_F_SURNAME] *= joint / names;
	for (size_t f = 0; f < md->nfields; f++)
		sum += contrib[f];
	return sum;
}

/*
 * The weight of a pattern with the frequencies the linker found for its
 * exact names ('ff' forename, 'fs' surname, 'fn' full name; 0: none),
 * among 'n' records; each field's part into 'contrib'. The one place
 * both scoring and linker_contributions compute it, so the parts add up
 * to the weight stored.
 */
static double
score(const struct model *md, uint64_t pat, uint32_t ff, uint32_t fs,
    uint32_t fn, size_t n, double *contrib)
{
	uint64_t freq[MODEL_SVOD_NFIELDS] = { 0 };
	struct model_tf tf = { freq, n };
	double w;

	freq[MODEL_F_FORENAME] = ff;
	freq[MODEL_F_SURNAME] = fs;
	w = model_weight(md, pat, &tf, contrib);
	if (ff > 0 && fs > 0)
		w = fullname_weight(md, w, contrib, fn, n);
	return w;
}

/* A notice names a debt the other record holds. */
static bool
debt_named(uint64_t pat)
{
	return model_pattern_level(pat, MODEL_F_DEBT_REF) == MODEL_ID_AGREE;
}

/*
 * The pair agrees on nothing but names: no identifier, no date of birth
 * (exact, swapped or a digit off), no UPRN, no postcode. A person asked
 * to review it would see two names at two addresses and know no more
 * than the model; in a borough of a million there are tens of thousands
 * of such pairs (a namesake, or someone who moved with no date of birth
 * on one record). Never a link, and not queued for review either.
 */
static bool
names_only(uint64_t pat)
{
	int dob = model_pattern_level(pat, MODEL_F_DOB);
	int pc = model_pattern_level(pat, MODEL_F_POSTCODE);

	return model_pattern_level(pat, MODEL_F_NINO) != MODEL_ID_AGREE &&
	    model_pattern_level(pat, MODEL_F_NHS) != MODEL_ID_AGREE &&
	    model_pattern_level(pat, MODEL_F_UPRN) != MODEL_ID_AGREE &&
	    !debt_named(pat) &&
	    dob != MODEL_DOB_EXACT && dob != MODEL_DOB_SWAPPED &&
	    dob != MODEL_DOB_ONE_DIGIT && pc != MODEL_PC_PREMISES &&
	    pc != MODEL_PC_FULL && pc != MODEL_PC_OTHER;
}

/*
 * One record has a generational suffix (Jr, Sr) and the other none: the
 * suffix says a namesake relative exists, often at the same address, so
 * the other record may be either of them. Unless the date of birth
 * (exact or swapped) or an identifier settles it, not a link.
 */
static bool
namesake_risk(const struct compare_rec *a, const struct compare_rec *b,
    uint64_t pat)
{
	int dob = model_pattern_level(pat, MODEL_F_DOB);

	if ((a->suffix == COMPARE_SUFFIX_NONE) ==
	    (b->suffix == COMPARE_SUFFIX_NONE))
		return false;
	return dob != MODEL_DOB_EXACT && dob != MODEL_DOB_SWAPPED &&
	    model_pattern_level(pat, MODEL_F_NINO) != MODEL_ID_AGREE &&
	    model_pattern_level(pat, MODEL_F_NHS) != MODEL_ID_AGREE;
}

/* One dwelling: the UPRN, or the postcode and premises, agree. */
static bool
dwelling(uint64_t pat)
{
	return model_pattern_level(pat, MODEL_F_UPRN) == MODEL_ID_AGREE ||
	    model_pattern_level(pat, MODEL_F_POSTCODE) == MODEL_PC_PREMISES;
}

/*
 * May the pair be a link at all? Rules over the pattern, for the fields
 * are not independent given a non-match (twins, a father and son, a
 * household share most of them), so some pairs are never links however
 * much they weigh; they go to review instead:
 *  - It must agree on a field that tells people apart, not just on a
 *    household: the forename (exact, nickname, swapped with the
 *    surname, one edit), the date of birth (exact or day and month
 *    swapped), the NINO stem or the NHS number. An initial counts only
 *    with the surname exact at one dwelling.
 *  - A forename that disagrees, or is only alike by Dice (more than one
 *    edit: Lucy and Lily), needs the NINO stem or NHS number: twins
 *    share surname, date of birth and address.
 *  - Another surname needs an identifier, or the forename (exact or
 *    nickname) at one dwelling or on a debt the notice names: a
 *    marriage at one address is the usual case, the next tenant of one
 *    forename the rare one. Forename and
 *    date of birth alone are not enough: in a borough of a million, two
 *    women of one forename and birthday are commoner than a marriage
 *    and a move seen in two systems (measured: 167 false links against
 *    55 true ones).
 *  - Names must not stand alone: the date of birth (exact or swapped),
 *    an identifier, the address (UPRN, or postcode with premises the
 *    same or unknown), or a debt a breathing-space notice names must
 *    agree as well; two people of a common name
 *    agree on nothing else, and a date one digit off at another address
 *    is as often another person born that week. (A common full name
 *    weighs little: see fullname_weight.)
 */
static bool
discriminates(uint64_t pat)
{
	int fn = model_pattern_level(pat, MODEL_F_FORENAME);
	int dob = model_pattern_level(pat, MODEL_F_DOB);
	bool id = model_pattern_level(pat, MODEL_F_NINO) == MODEL_ID_AGREE ||
	    model_pattern_level(pat, MODEL_F_NHS) == MODEL_ID_AGREE;

	/*
	 * A forename that disagrees outright, with no identifier agreeing:
	 * two people of one surname, date of birth and address (twins)
	 * look just like this, however much the rest weighs.
	 */
	if (fn == MODEL_FN_DISAGREE && !id)
		return false;
	/*
	 * Forenames alike but more than one edit apart are as often two
	 * people (twins: Lucy and Lily) as a typo.
	 */
	if ((fn == MODEL_FN_DICE90 || fn == MODEL_FN_DICE70) && !id)
		return false;
	/*
	 * An initial tells people apart only at one dwelling under one
	 * surname (J Fisher and John Fisher, one flat); a rival of the
	 * same initial there is a cannot-link (its forename disagrees),
	 * and the ambiguity rule sends both to review.
	 */
	if (fn == MODEL_FN_INITIAL && dwelling(pat) &&
	    model_pattern_level(pat, MODEL_F_SURNAME) == MODEL_SN_EXACT)
		return true;
	if (!(fn == MODEL_FN_EXACT || fn == MODEL_FN_NICKNAME ||
	    fn == MODEL_FN_SWAPPED || fn == MODEL_FN_EDIT1 ||
	    dob == MODEL_DOB_EXACT || dob == MODEL_DOB_SWAPPED || id))
		return false;
	/*
	 * Another surname (a marriage, or the next tenant of the flat of
	 * the same forename) needs an identifier, or the forename at one
	 * dwelling.
	 */
	if (model_pattern_level(pat, MODEL_F_SURNAME) == MODEL_SN_DISAGREE &&
	    !id && !((fn == MODEL_FN_EXACT || fn == MODEL_FN_NICKNAME) &&
	    (dwelling(pat) || debt_named(pat))))
		return false;
	return id || dob == MODEL_DOB_EXACT || dob == MODEL_DOB_SWAPPED ||
	    debt_named(pat) ||
	    model_pattern_level(pat, MODEL_F_UPRN) == MODEL_ID_AGREE ||
	    model_pattern_level(pat, MODEL_F_POSTCODE) == MODEL_PC_PREMISES ||
	    model_pattern_level(pat, MODEL_F_POSTCODE) == MODEL_PC_FULL;
}

/*
 * The forenames say two people: they disagree outright (not a nickname,
 * an initial of the other, a near spelling or a swap) and no NINO stem
 * or NHS number agrees. Twins of one surname, date of birth and address
 * are such a pair, and so are two people of one household. (The caller
 * spares an initial: W against Bill disagrees, yet may be William.)
 */
static bool
forename_differs(uint64_t pat)
{
	return model_pattern_level(pat, MODEL_F_FORENAME) ==
	    MODEL_FN_DISAGREE &&
	    model_pattern_level(pat, MODEL_F_NINO) != MODEL_ID_AGREE &&
	    model_pattern_level(pat, MODEL_F_NHS) != MODEL_ID_AGREE;
}

static int
pair_cmp(const void *x, const void *y)
{
	const struct linker_pair *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return 0;
}

static int
link_cmp(const void *x, const void *y)
{
	return pair_cmp(&(struct linker_pair){ ((const struct linker_link *)
	    x)->a, ((const struct linker_link *)x)->b },
	    &(struct linker_pair){ ((const struct linker_link *)y)->a,
	    ((const struct linker_link *)y)->b });
}

/* One end of a link: the record, the link's place, its weight. */
struct end {
	uint32_t rec;
	uint32_t link;
	double	 weight;
};

/* By record, then weight down, then link: a total order. */
static int
end_cmp(const void *x, const void *y)
{
	const struct end *a = x, *b = y;

	if (a->rec != b->rec)
		return a->rec < b->rec ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	if (a->link != b->link)
		return a->link < b->link ? -1 : 1;
	return 0;
}

/* Is (a, b), in either order, in the sorted cannot-links? */
static bool
is_cannot(const struct linker_result *r, uint32_t a, uint32_t b)
{
	struct linker_pair k = { a < b ? a : b, a < b ? b : a };

	return r->ncannot > 0 && bsearch(&k, r->cannot, r->ncannot,
	    sizeof(k), pair_cmp) != NULL;
}

/* A forename level of a near spelling: one edit, or alike by Dice. */
static bool
spelled_alike(int level)
{
	return level == MODEL_FN_EDIT1 || level == MODEL_FN_DICE90 ||
	    level == MODEL_FN_DICE70;
}

/* The candidate (a, b) in the sorted out->candidates; it must be there. */
static struct linker_candidate *
candidate_of(struct linker_result *out, uint32_t a, uint32_t b)
{
	size_t lo = 0, hi = out->ncandidates, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (out->candidates[mid].a < a ||
		    (out->candidates[mid].a == a &&
		    out->candidates[mid].b < b))
			lo = mid + 1;
		else
			hi = mid;
	}
	assert(lo < out->ncandidates && out->candidates[lo].a == a &&
	    out->candidates[lo].b == b);
	return &out->candidates[lo];
}

/*
 * Ambiguity: when two of a record's links go to two records that are a
 * cannot-link pair (two different people: a father and son of one name
 * and address, twins), the record is one of them at most. When one link
 * agrees on the forename exactly and the other only by spelling (Mei
 * against Mei and Wei), the other goes to review; otherwise, when the two
 * weigh within 'margin' bits of each other, or one of them has a
 * namesake risk (a suffix on one side only: namesake_risk), the record
 * could be either: neither link is made, and both go to review. (A link further below its
 * rival is refused by the clusterer, which joins the strongest first.)
 * Links are moved from out->links to out->review, both kept sorted by
 * (a, b).
 * Returns the links moved.
 */
static uint64_t
resolve_ambiguity(struct linker_result *out, const struct compare_rec *recs,
    double margin, size_t *capr)
{
	struct linker_candidate *c;
	struct end *ends;
	bool *drop;
	size_t ne, i, j, k, lo, hi, kept;
	uint64_t moved = 0;
	uint32_t x, y;

	if (out->nlinks < 2 || out->ncannot == 0)
		return 0;
	ne = 2 * out->nlinks;
	ends = xreallocarray(NULL, ne, sizeof(*ends));
	drop = xcalloc(out->nlinks, sizeof(*drop));
	for (i = 0; i < out->nlinks; i++) {
		ends[2 * i] = (struct end){ out->links[i].a, (uint32_t)i,
		    out->links[i].weight };
		ends[2 * i + 1] = (struct end){ out->links[i].b, (uint32_t)i,
		    out->links[i].weight };
	}
	qsort(ends, ne, sizeof(*ends), end_cmp);
	for (lo = 0; lo < ne; lo = hi) {
		for (hi = lo + 1; hi < ne && ends[hi].rec == ends[lo].rec; hi++)
			;
		for (j = lo; j < hi; j++)
			for (k = j + 1; k < hi; k++) {
				const struct linker_link *lj, *lk;
				int fj, fk;

				lj = &out->links[ends[j].link];
				lk = &out->links[ends[k].link];
				x = lj->a == ends[lo].rec ? lj->b : lj->a;
				y = lk->a == ends[lo].rec ? lk->b : lk->a;
				if (!is_cannot(out, x, y))
					continue;
				fj = model_pattern_level(lj->pattern,
				    MODEL_F_FORENAME);
				fk = model_pattern_level(lk->pattern,
				    MODEL_F_FORENAME);
				/*
				 * Mei against Mei and Wei: the same name
				 * beats a spelling one letter off. (Not a
				 * nickname: David against David and Davy
				 * Sr is a father and son.)
				 */
				if (fj == MODEL_FN_EXACT && spelled_alike(fk)) {
					drop[ends[k].link] = true;
					continue;
				}
				if (fk == MODEL_FN_EXACT && spelled_alike(fj)) {
					drop[ends[j].link] = true;
					continue;
				}
				/*
				 * Rivals: within the margin of each other,
				 * or one of them a namesake risk (David
				 * against Davy Sr and David born 2004: a
				 * father and son, whatever the weights).
				 */
				if (ends[j].weight - ends[k].weight <= margin ||
				    namesake_risk(&recs[lj->a], &recs[lj->b],
				    lj->pattern) || namesake_risk(&recs[lk->a],
				    &recs[lk->b], lk->pattern)) {
					drop[ends[j].link] = true;
					drop[ends[k].link] = true;
				}
			}
	}
	kept = 0;
	for (i = 0; i < out->nlinks; i++) {
		if (!drop[i]) {
			out->links[kept++] = out->links[i];
			continue;
		}
		out->review = push(out->review, &out->nreview, capr,
		    sizeof(*out->review));
		out->review[out->nreview - 1] = out->links[i];
		c = candidate_of(out, out->links[i].a, out->links[i].b);
		c->decision = LINKER_REVIEW;
		c->why = LINKER_WHY_AMBIGUOUS;
		moved++;
	}
	out->nlinks = kept;
	if (moved > 0)
		qsort(out->review, out->nreview, sizeof(*out->review),
		    link_cmp);
	free(ends);
	free(drop);
	return moved;
}

/*
 * Links with a namesake risk (namesake_risk) go to review. Run after
 * resolve_ambiguity, so that they still counted as rivals there.
 * Returns the links moved.
 */
static uint64_t
demote_namesakes(struct linker_result *out, const struct compare_rec *recs,
    size_t *capr)
{
	struct linker_candidate *c;
	size_t i, kept = 0;
	uint64_t moved = 0;

	for (i = 0; i < out->nlinks; i++) {
		const struct linker_link *l = &out->links[i];

		if (!namesake_risk(&recs[l->a], &recs[l->b], l->pattern)) {
			out->links[kept++] = *l;
			continue;
		}
		out->review = push(out->review, &out->nreview, capr,
		    sizeof(*out->review));
		out->review[out->nreview - 1] = *l;
		c = candidate_of(out, l->a, l->b);
		c->decision = LINKER_REVIEW;
		c->why = LINKER_WHY_NAMESAKE;
		moved++;
	}
	out->nlinks = kept;
	if (moved > 0)
		qsort(out->review, out->nreview, sizeof(*out->review),
		    link_cmp);
	return moved;
}

double
linker_contributions(const struct linker_result *r,
    const struct linker_candidate *c, double *contrib)
{
	return score(&r->model, c->pattern, c->freq_forename,
	    c->freq_surname, c->freq_fullname, (size_t)r->stats.records,
	    contrib);
}

int
linker_run(const struct compare_rec *recs, size_t n,
    const struct linker_opts *opts, struct linker_result *out,
    struct err *e)
{
	struct linker_opts o;
	struct blockkey_opts bo;
	struct compare_params cp;
	struct model_fit_opts fo;
	struct model_fit_stats fs;
	struct model_thresholds th;
	struct model_tally *t;
	struct model_pattern *pats;
	struct linker_stats *st = &out->stats;
	uint64_t *pairs = NULL, *patt = NULL, pat;
	size_t np = 0, npat, i, f, capl = 0, capr = 0, capc = 0;
	double t0, tc, tcomp = 0, w, p;
	bool nino, nhs, dob, fname, distinct, low;
	const char *why;
	unsigned set;
	enum model_class cls;
	uint64_t *tff, *tfs, *tfn;
	size_t ntff, ntfs, ntfn;
	uint32_t nf, ns, nfull;
	double contrib[MODEL_SVOD_NFIELDS];
	const struct compare_rec *ra;
	int rc;

	memset(out, 0, sizeof(*out));
	t0 = now();
	if (opts == NULL)
		linker_opts_init(&o);
	else
		o = *opts;
	if (o.max_block == 0)
		o.max_block = BLOCKKEY_MAX_BLOCK;
	if (o.u_pairs == 0)
		o.u_pairs = LINKER_U_PAIRS;
	if ((rc = linker_opts_check(&o, e)) != 0)
		return rc;
	if (n > BLOCKKEY_MAX_RECORDS)
		return err_set(e, ERR_LIMIT, "%zu records: at most %zu can be "
		    "linked in one run", n, BLOCKKEY_MAX_RECORDS);
	if ((rc = model_init(&out->model, model_svod_fields,
	    MODEL_SVOD_NFIELDS, e)) != 0)
		return rc;
	compare_params_default(&cp);
	st->records = n;
	out->links = xmalloc(1);
	out->review = xmalloc(1);
	out->cannot = xmalloc(1);
	out->candidates = xmalloc(1);
	if (n < 2)
		goto done;

	/* 1. Candidate pairs. */
	blockkey_opts_init(&bo);
	bo.max_block = o.max_block;
	if ((rc = blockkey_pairs(recs, n, &bo, &pairs, &np, &st->blocking,
	    e)) != 0)
		goto fail;
	st->candidate_pairs = np;

	/* 2. Compare and tally. */
	tc = now();
	patt = xreallocarray(NULL, np ? np : 1, sizeof(*patt));
	t = model_tally_new();
	for (i = 0; i < np; i++) {
		patt[i] = address_once(compare_pair(
		    &recs[blockkey_pair_a(pairs[i])],
		    &recs[blockkey_pair_b(pairs[i])], &cp, NULL));
		model_tally_add(t, patt[i], 1);
	}
	st->comparisons = np;
	pats = model_tally_patterns(t, &npat);
	model_tally_free(t);
	st->patterns = npat;

	/* 3. u from random pairs. */
	fit_u(recs, n, &o, &cp, &out->model, st);
	tcomp = now() - tc;

	/* 4. m and lambda by EM, u fixed. */
	if (npat > 0) {
		model_fit_opts_init(&fo);
		fo.max_iter = o.max_iter;
		fo.fix_u = !o.fit_u;
		st->anchor_pairs = anchor_m(&out->model, pats, npat, &set);
		if (!o.plain_em && !o.fit_u && set == (1u <<
		    MODEL_SVOD_NFIELDS) - 1) {
			st->em_anchored = true;
			st->em_converged = true;
			st->lambda_iterations = fit_lambda(&out->model, pats,
			    npat, fo.max_iter);
		} else
		if (!o.plain_em && !o.fit_u &&
		    fit_sessions(&out->model, pats, npat, &fo, st)) {
			st->em_sessions = true;
		} else {
			st->em_iterations = 0;
			rc = model_fit(&out->model, pats, npat, &fo, &fs, e);
			if (rc != 0) {
				free(pats);
				goto fail;
			}
			st->em_iterations = fs.iterations;
			st->em_converged = fs.converged;
			st->em_loglik = fs.loglik;
		}
	}
	free(pats);

	/* 5. Score and class, in pair order: sorted by (a, b). */
	tff = tf_table(recs, n, COMPARE_T_FORENAME, &ntff);
	tfs = tf_table(recs, n, COMPARE_T_SURNAME, &ntfs);
	tfn = tf_table_fullname(recs, n, &ntfn);
	th.review = o.review_probability;
	th.match = o.match_probability;
	free(out->candidates);
	out->candidates = xreallocarray(NULL, np ? np : 1,
	    sizeof(*out->candidates));
	out->ncandidates = np;
	for (i = 0; i < np; i++) {
		pat = patt[i];
		ra = &recs[blockkey_pair_a(pairs[i])];
		nf = ns = nfull = 0;
		if (model_pattern_level(pat, MODEL_F_FORENAME) ==
		    MODEL_FN_EXACT)
			nf = (uint32_t)tf_count(tff, ntff,
			    ra->tag[COMPARE_T_FORENAME]);
		if (model_pattern_level(pat, MODEL_F_SURNAME) ==
		    MODEL_SN_EXACT)
			ns = (uint32_t)tf_count(tfs, ntfs,
			    ra->tag[COMPARE_T_SURNAME]);
		if (nf > 0 && ns > 0)
			nfull = (uint32_t)tf_count(tfn, ntfn, fullname_key(ra));
		w = score(&out->model, pat, nf, ns, nfull, n, contrib);
		p = model_probability(w, out->model.lambda);
		out->candidates[i] = (struct linker_candidate){
		    blockkey_pair_a(pairs[i]), blockkey_pair_b(pairs[i]), pat,
		    w, p, LINKER_NONE, 0, nf, ns, nfull };
		nino = model_pattern_level(pat, MODEL_F_NINO) ==
		    MODEL_ID_DISAGREE;
		nhs = model_pattern_level(pat, MODEL_F_NHS) ==
		    MODEL_ID_DISAGREE;
		dob = model_pattern_level(pat, MODEL_F_DOB) ==
		    MODEL_DOB_DISAGREE;
		fname = forename_differs(pat) &&
		    !((ra->flags | recs[blockkey_pair_b(pairs[i])].flags) &
		    COMPARE_FORENAME_IS_INITIAL);
		why = compare_distinct(ra, &recs[blockkey_pair_b(pairs[i])]);
		distinct = why != NULL;
		low = w < o.cannot_weight;
		if (nino || nhs || dob || fname || distinct || low) {
			unsigned r = (nino ? LINKER_WHY_NINO : 0) |
			    (nhs ? LINKER_WHY_NHS : 0) |
			    (dob ? LINKER_WHY_DOB : 0) |
			    (fname ? LINKER_WHY_FORENAME : 0) |
			    (low ? LINKER_WHY_WEIGHT : 0);

			if (distinct)
				r |= strcmp(why, "account") == 0 ?
				    LINKER_WHY_ACCOUNT : strcmp(why, "age") == 0 ?
				    LINKER_WHY_AGE : LINKER_WHY_SUFFIX;
			out->candidates[i].why = (uint16_t)r;
			out->cannot = push(out->cannot, &out->ncannot, &capc,
			    sizeof(*out->cannot));
			out->cannot[out->ncannot - 1] = (struct linker_pair){
			    blockkey_pair_a(pairs[i]),
			    blockkey_pair_b(pairs[i]) };
			st->cannot_nino += nino;
			st->cannot_nhs += nhs;
			st->cannot_dob += dob;
			st->cannot_forename += fname;
			st->cannot_distinct += distinct;
			st->cannot_weight += low;
			if ((nino || nhs || dob || fname || distinct) &&
			    p >= th.review)
				st->id_overrides++;
			out->candidates[i].decision = LINKER_CANNOT;
			continue;
		}
		cls = model_classify(p, &th);
		out->candidates[i].why = cls == MODEL_MATCH ? LINKER_WHY_MATCH :
		    cls == MODEL_REVIEW ? LINKER_WHY_BAND : LINKER_WHY_BELOW;
		if (cls != MODEL_NONMATCH && names_only(pat)) {
			cls = MODEL_NONMATCH;
			st->names_only++;
			out->candidates[i].why = LINKER_WHY_NAMES_ONLY;
		} else if (cls == MODEL_MATCH && !discriminates(pat)) {
			cls = MODEL_REVIEW;
			st->weak_links++;
			out->candidates[i].why = LINKER_WHY_RULES;
		}
		switch (cls) {
		case MODEL_MATCH:
			out->links = push(out->links, &out->nlinks, &capl,
			    sizeof(*out->links));
			out->links[out->nlinks - 1] = (struct linker_link){
			    blockkey_pair_a(pairs[i]),
			    blockkey_pair_b(pairs[i]), pat, w, p };
			out->candidates[i].decision = LINKER_LINK;
			break;
		case MODEL_REVIEW:
			out->review = push(out->review, &out->nreview, &capr,
			    sizeof(*out->review));
			out->review[out->nreview - 1] = (struct linker_link){
			    blockkey_pair_a(pairs[i]),
			    blockkey_pair_b(pairs[i]), pat, w, p };
			out->candidates[i].decision = LINKER_REVIEW;
			break;
		default:
			break;
		}
	}

	free(tff);
	free(tfs);
	free(tfn);
	st->ambiguous_links = resolve_ambiguity(out, recs,
	    LINKER_AMBIGUITY_BITS, &capr);
	/* After the rivals are known: a demoted link still had its say. */
	st->namesake_links = demote_namesakes(out, recs, &capr);

done:
	/* 6. Figures. */
	st->lambda = out->model.lambda;
	for (f = 0; f < MODEL_SVOD_NFIELDS; f++) {
		memcpy(st->m[f], out->model.m[f], sizeof(st->m[f]));
		memcpy(st->u[f], out->model.u[f], sizeof(st->u[f]));
	}
	st->links = out->nlinks;
	st->review = out->nreview;
	st->cannot = out->ncannot;
	st->compare_seconds = tcomp;
	st->comparisons_per_second = tcomp > 0 ?
	    (double)st->comparisons / tcomp : 0;
	st->seconds = now() - t0;
	free(pairs);
	free(patt);
	return 0;

fail:
	free(pairs);
	free(patt);
	linker_result_free(out);
	return rc;
}
