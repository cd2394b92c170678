#include "matchers/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "etl/xalloc.h"

/*
 * A record under one of the two orders: 'outer' is the cluster being
 * judged (pred for precision, truth for recall), 'inner' the other one.
 */
struct mkey {
	uint64_t outer;
	uint64_t inner;
	uint32_t i;		/* record index */
};

/* What one walk over the sorted keys finds. */
struct mwalk {
	size_t	 clusters;	/* outer clusters */
	uint64_t outer_pairs;	/* sum of C(|outer|, 2) */
	uint64_t cell_pairs;	/* sum of C(|cell|, 2) */
	double	 b3;		/* sum over records of |cell| / |outer| */
	struct metrics_pair *cand;	/* one pair per extra cell */
	size_t	 ncand;
};

static int
mkey_cmp(const void *pa, const void *pb)
{
	const struct mkey *a = pa, *b = pb;

	if (a->outer != b->outer)
		return a->outer < b->outer ? -1 : 1;
	if (a->inner != b->inner)
		return a->inner < b->inner ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static uint64_t
choose2(uint64_t c)
{
	return c * (c - (c > 0)) / 2;
}

/*
 * Walk keys sorted by (outer, inner, i). Within an outer cluster the
 * cells are runs of one inner value, and a cell's first key holds its
 * smallest index. Every cell other than the largest becomes a candidate
 * pair with the largest.
 */
static void
metrics_walk(const struct mkey *k, size_t n, const struct metrics_rec *recs,
    struct mwalk *w)
{
	size_t s = 0;

	memset(w, 0, sizeof(*w));
	w->cand = xcalloc(n ? n : 1, sizeof(*w->cand));
	while (s < n) {
		size_t end = s, main_at = s, main_len = 0, c;
		uint64_t sq = 0;

		while (end < n && k[end].outer == k[s].outer)
			end++;
		w->clusters++;
		w->outer_pairs += choose2(end - s);
		/* Pass 1: cell sizes, and the largest cell. */
		for (c = s; c < end;) {
			size_t ce = c;

			while (ce < end && k[ce].inner == k[c].inner)
				ce++;
			w->cell_pairs += choose2(ce - c);
			sq += (uint64_t)(ce - c) * (ce - c);
			if (ce - c > main_len || (ce - c == main_len &&
			    k[c].i < k[main_at].i)) {
				main_at = c;
				main_len = ce - c;
			}
			c = ce;
		}
		/* Sum over records of |cell| / |outer|: sum |cell|^2 / |outer|. */
		w->b3 += (double)sq / (double)(end - s);
		/* Pass 2: the other cells against the largest. */
		for (c = s; c < end;) {
			size_t ce = c;

			while (ce < end && k[ce].inner == k[c].inner)
				ce++;
			if (c != main_at) {
				struct metrics_pair *p = &w->cand[w->ncand++];
				uint32_t x = k[main_at].i, y = k[c].i;
				double sx = recs[x].score, sy = recs[y].score;

				p->a = x < y ? x : y;
				p->b = x < y ? y : x;
				p->pairs = (uint64_t)main_len * (ce - c);
				p->score = sx < sy ? sx : sy;
			}
			c = ce;
		}
		s = end;
	}
}

static int
pair_ab_cmp(const struct metrics_pair *a, const struct metrics_pair *b)
{
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

/* False links: strongest score first, then most pairs, then (a, b). */
static int
false_cmp(const void *pa, const void *pb)
{
	const struct metrics_pair *a = pa, *b = pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->pairs != b->pairs)
		return a->pairs > b->pairs ? -1 : 1;
	return pair_ab_cmp(a, b);
}

/* Missed links: most pairs first, then weakest score, then (a, b). */
static int
missed_cmp(const void *pa, const void *pb)
{
	const struct metrics_pair *a = pa, *b = pb;

	if (a->pairs != b->pairs)
		return a->pairs > b->pairs ? -1 : 1;
	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	return pair_ab_cmp(a, b);
}

/* Sort the candidates and keep the first 'worst'; hand them over. */
static void
metrics_keep(struct mwalk *w, int (*cmp)(const void *, const void *),
    size_t worst, struct metrics_pair **out, size_t *np, size_t *totalp)
{
	*totalp = w->ncand;
	if (w->ncand > 1)
		qsort(w->cand, w->ncand, sizeof(*w->cand), cmp);
	*np = w->ncand < worst ? w->ncand : worst;
	if (*np == 0) {
		free(w->cand);
		*out = NULL;
	} else
		*out = xreallocarray(w->cand, *np, sizeof(**out));
	w->cand = NULL;
}

static double
ratio(uint64_t num, uint64_t den)
{
	return den == 0 ? 1.0 : (double)num / (double)den;
}

double
metrics_f1(double precision, double recall)
{
	if (precision + recall <= 0.0)
		return 0.0;
	return 2.0 * precision * recall / (precision + recall);
}

void
metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
}

void
metrics_release(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->false_links);
	free(m->missed_links);
	metrics_init(m);
}

int
metrics_compute(struct metrics *m, const struct metrics_rec *recs, size_t n,
    size_t worst, struct err *e)
{
	struct mkey *k;
	struct mwalk wp, wt;

	metrics_release(m);
	if (n >= METRICS_MAX_RECORDS)
		return err_set(e, ERR_LIMIT, "too many records to score: %zu",
		    n);
	k = xcalloc(n ? n : 1, sizeof(*k));

	/* Precision side: predicted clusters, split by true person. */
	for (size_t i = 0; i < n; i++)
		k[i] = (struct mkey){ recs[i].pred, recs[i].truth,
			(uint32_t)i };
	qsort(k, n, sizeof(*k), mkey_cmp);
	metrics_walk(k, n, recs, &wp);

	/* Recall side: true persons, split by predicted cluster. */
	for (size_t i = 0; i < n; i++)
		k[i] = (struct mkey){ recs[i].truth, recs[i].pred,
			(uint32_t)i };
	qsort(k, n, sizeof(*k), mkey_cmp);
	metrics_walk(k, n, recs, &wt);
	free(k);

	/* Both walks count the same cells. */
	m->records = n;
	m->pred_clusters = wp.clusters;
	m->true_clusters = wt.clusters;
	m->pred_pairs = wp.outer_pairs;
	m->true_pairs = wt.outer_pairs;
	m->correct_pairs = wp.cell_pairs;
	m->false_pairs = m->pred_pairs - m->correct_pairs;
	m->missed_pairs = m->true_pairs - m->correct_pairs;
	m->pair_precision = ratio(m->correct_pairs, m->pred_pairs);
	m->pair_recall = ratio(m->correct_pairs, m->true_pairs);
	m->pair_f1 = metrics_f1(m->pair_precision, m->pair_recall);
	m->bcubed_precision = n ? wp.b3 / (double)n : 1.0;
	m->bcubed_recall = n ? wt.b3 / (double)n : 1.0;
	m->bcubed_f1 = metrics_f1(m->bcubed_precision, m->bcubed_recall);
	metrics_keep(&wp, false_cmp, worst, &m->false_links, &m->nfalse_links,
	    &m->false_links_total);
	metrics_keep(&wt, missed_cmp, worst, &m->missed_links,
	    &m->nmissed_links, &m->missed_links_total);
	return 0;
}
