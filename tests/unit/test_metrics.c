/*
 * Tests for matchers/metrics: pairwise and B-cubed figures on small
 * clusterings worked out by hand (perfect, all singletons, all in one, a
 * mixed case), the reported false and missed links, the cap, a large
 * cluster counted without enumerating pairs, and determinism under input
 * order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "etl/err.h"
#include "matchers/metrics.h"

#define EPS 1e-9

static void
assert_near(double got, double want)
{
	if (fabs(got - want) > EPS)
		fail_msg("got %.12f, want %.12f", got, want);
}

/* Build records from parallel arrays of pred and truth ids; score 0. */
static struct metrics_rec *
recs_of(const uint64_t *pred, const uint64_t *truth, size_t n)
{
	struct metrics_rec *r = calloc(n ? n : 1, sizeof(*r));

	assert_non_null(r);
	for (size_t i = 0; i < n; i++)
		r[i] = (struct metrics_rec){ pred[i], truth[i], 0.0 };
	return r;
}

static void
compute(struct metrics *m, const struct metrics_rec *r, size_t n,
    size_t worst)
{
	struct err e;

	err_clear(&e);
	metrics_init(m);
	assert_int_equal(metrics_compute(m, r, n, worst, &e), 0);
}

static void
assert_pair(const struct metrics_pair *p, uint32_t a, uint32_t b,
    uint64_t pairs)
{
	assert_int_equal(p->a, a);
	assert_int_equal(p->b, b);
	assert_int_equal(p->pairs, pairs);
}

/* Three people of 3, 2 and 1 records, as the truth of most tests. */
static const uint64_t truth6[] = { 1, 1, 1, 2, 2, 3 };

static void
test_perfect(void **state)
{
	const uint64_t pred[] = { 70, 70, 70, 80, 80, 90 };
	struct metrics_rec *r = recs_of(pred, truth6, 6);
	struct metrics m;

	(void)state;
	compute(&m, r, 6, 10);
	assert_int_equal(m.records, 6);
	assert_int_equal(m.pred_clusters, 3);
	assert_int_equal(m.true_clusters, 3);
	assert_int_equal(m.pred_pairs, 4);
	assert_int_equal(m.true_pairs, 4);
	assert_int_equal(m.correct_pairs, 4);
	assert_int_equal(m.false_pairs, 0);
	assert_int_equal(m.missed_pairs, 0);
	assert_near(m.pair_precision, 1.0);
	assert_near(m.pair_recall, 1.0);
	assert_near(m.pair_f1, 1.0);
	assert_near(m.bcubed_precision, 1.0);
	assert_near(m.bcubed_recall, 1.0);
	assert_near(m.bcubed_f1, 1.0);
	assert_int_equal(m.nfalse_links, 0);
	assert_int_equal(m.false_links_total, 0);
	assert_null(m.false_links);
	assert_int_equal(m.nmissed_links, 0);
	metrics_release(&m);
	free(r);
}

static void
test_all_singletons(void **state)
{
	const uint64_t pred[] = { 1, 2, 3, 4, 5, 6 };
	struct metrics_rec *r = recs_of(pred, truth6, 6);
	struct metrics m;

	(void)state;
	compute(&m, r, 6, 10);
	assert_int_equal(m.pred_pairs, 0);
	assert_int_equal(m.true_pairs, 4);
	assert_int_equal(m.correct_pairs, 0);
	assert_int_equal(m.missed_pairs, 4);
	/* No pair claimed: precision is vacuously 1. */
	assert_near(m.pair_precision, 1.0);
	assert_near(m.pair_recall, 0.0);
	assert_near(m.pair_f1, 0.0);
	/* Recall per record: 1/3 three times, 1/2 twice, 1 once: 3/6. */
	assert_near(m.bcubed_precision, 1.0);
	assert_near(m.bcubed_recall, 0.5);
	assert_near(m.bcubed_f1, 2.0 / 3.0);
	assert_int_equal(m.false_links_total, 0);
	/* Person 1: records 1 and 2 against 0; person 2: 4 against 3. */
	assert_int_equal(m.missed_links_total, 3);
	assert_int_equal(m.nmissed_links, 3);
	assert_pair(&m.missed_links[0], 0, 1, 1);
	assert_pair(&m.missed_links[1], 0, 2, 1);
	assert_pair(&m.missed_links[2], 3, 4, 1);
	metrics_release(&m);
	free(r);
}

static void
test_all_in_one(void **state)
{
	const uint64_t pred[] = { 5, 5, 5, 5, 5, 5 };
	struct metrics_rec *r = recs_of(pred, truth6, 6);
	struct metrics m;

	(void)state;
	compute(&m, r, 6, 10);
	assert_int_equal(m.pred_clusters, 1);
	assert_int_equal(m.pred_pairs, 15);
	assert_int_equal(m.correct_pairs, 4);
	assert_int_equal(m.false_pairs, 11);
	assert_near(m.pair_precision, 4.0 / 15.0);
	assert_near(m.pair_recall, 1.0);
	assert_near(m.pair_f1, 2.0 * (4.0 / 15.0) / (4.0 / 15.0 + 1.0));
	/* (3*3 + 2*2 + 1*1) / 6 over 6 records. */
	assert_near(m.bcubed_precision, 14.0 / 36.0);
	assert_near(m.bcubed_recall, 1.0);
	/* Person 2 (6 pairs) and person 3 (3 pairs) against person 1. */
	assert_int_equal(m.false_links_total, 2);
	assert_pair(&m.false_links[0], 0, 3, 6);
	assert_pair(&m.false_links[1], 0, 5, 3);
	assert_int_equal(m.missed_links_total, 0);
	metrics_release(&m);
	free(r);
}

/*
 *	record	0  1  2  3  4  5  6
 *	pred	A  A  A  B  B  C  D
 *	truth	X  X  Y  Y  Y  Z  Z
 * Predicted pairs 3 + 1 = 4; true pairs 1 + 3 + 1 = 5; correct: (0,1)
 * and (3,4). B-cubed precision (A: (4 + 1) / 3, B: 4 / 2, C, D: 1) / 7
 * = 17/21; recall (X: 4 / 2, Y: (1 + 4) / 3, Z: (1 + 1) / 2) / 7 = 2/3.
 */
static void
test_mixed(void **state)
{
	const uint64_t pred[] = { 10, 10, 10, 11, 11, 12, 13 };
	const uint64_t truth[] = { 1, 1, 2, 2, 2, 3, 3 };
	struct metrics_rec *r = recs_of(pred, truth, 7);
	struct metrics m;

	(void)state;
	compute(&m, r, 7, 10);
	assert_int_equal(m.pred_clusters, 4);
	assert_int_equal(m.true_clusters, 3);
	assert_int_equal(m.pred_pairs, 4);
	assert_int_equal(m.true_pairs, 5);
	assert_int_equal(m.correct_pairs, 2);
	assert_int_equal(m.false_pairs, 2);
	assert_int_equal(m.missed_pairs, 3);
	assert_near(m.pair_precision, 0.5);
	assert_near(m.pair_recall, 0.4);
	assert_near(m.pair_f1, 0.4 / 0.9);
	assert_near(m.bcubed_precision, 17.0 / 21.0);
	assert_near(m.bcubed_recall, 2.0 / 3.0);
	assert_near(m.bcubed_f1, metrics_f1(17.0 / 21.0, 2.0 / 3.0));
	/* Record 2 (person Y) sits with person X's two records. */
	assert_int_equal(m.false_links_total, 1);
	assert_pair(&m.false_links[0], 0, 2, 2);
	/* Y split 1 + 2 (the larger part first by pairs), Z split 1 + 1. */
	assert_int_equal(m.missed_links_total, 2);
	assert_pair(&m.missed_links[0], 2, 3, 2);
	assert_pair(&m.missed_links[1], 5, 6, 1);
	metrics_release(&m);
	free(r);
}

/* False links come strongest first; the cap keeps the first K. */
static void
test_order_and_cap(void **state)
{
	/* Three clusters, each mixing two people; scores 1, 3, 2. */
	const uint64_t pred[] = { 1, 1, 2, 2, 3, 3 };
	const uint64_t truth[] = { 1, 2, 3, 4, 5, 6 };
	const double score[] = { 1, 1, 3, 3, 2, 5 };
	struct metrics_rec *r = recs_of(pred, truth, 6);
	struct metrics m;

	(void)state;
	for (size_t i = 0; i < 6; i++)
		r[i].score = score[i];
	compute(&m, r, 6, 2);
	assert_int_equal(m.false_links_total, 3);
	assert_int_equal(m.nfalse_links, 2);
	assert_pair(&m.false_links[0], 2, 3, 1);
	assert_near(m.false_links[0].score, 3.0);
	/* The smaller of the two records' scores. */
	assert_pair(&m.false_links[1], 4, 5, 1);
	assert_near(m.false_links[1].score, 2.0);
	metrics_release(&m);

	compute(&m, r, 6, 0);
	assert_int_equal(m.false_links_total, 3);
	assert_int_equal(m.nfalse_links, 0);
	assert_null(m.false_links);
	assert_near(m.pair_precision, 0.0);
	assert_near(m.pair_f1, 0.0);
	metrics_release(&m);
	free(r);
}

static void
test_empty(void **state)
{
	struct metrics m;

	(void)state;
	compute(&m, NULL, 0, 5);
	assert_int_equal(m.records, 0);
	assert_near(m.pair_precision, 1.0);
	assert_near(m.pair_recall, 1.0);
	assert_near(m.bcubed_precision, 1.0);
	assert_near(m.bcubed_recall, 1.0);
	metrics_release(&m);
	metrics_release(NULL);
}

/*
 * 200,000 records in one predicted cluster, true persons of 4: about
 * 2 * 10^10 predicted pairs, counted without enumerating them.
 */
static void
test_large_cluster(void **state)
{
	const size_t n = 200000;
	struct metrics_rec *r = calloc(n, sizeof(*r));
	struct metrics m;

	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < n; i++)
		r[i] = (struct metrics_rec){ 7, i / 4, 0.0 };
	compute(&m, r, n, 3);
	assert_true(m.pred_pairs == (uint64_t)n * (n - 1) / 2);
	assert_true(m.true_pairs == (uint64_t)(n / 4) * 6);
	assert_true(m.correct_pairs == m.true_pairs);
	assert_near(m.pair_recall, 1.0);
	assert_near(m.bcubed_precision, 4.0 / (double)n);
	assert_int_equal(m.false_links_total, n / 4 - 1);
	assert_int_equal(m.nfalse_links, 3);
	metrics_release(&m);
	free(r);
}

/* A small xorshift: the test's own randomness, fixed seed. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * The figures and the counts of reported pairs do not depend on input
 * order, and the same input gives the same lists byte for byte. (Which
 * record shows a cell is its first by index, so input order.)
 */
static void
test_shuffle_determinism(void **state)
{
	const size_t n = 500;
	struct metrics_rec *r = calloc(n, sizeof(*r));
	struct metrics_rec *s = calloc(n, sizeof(*s));
	size_t *perm = calloc(n, sizeof(*perm));
	struct metrics m1, m2, m3;
	uint64_t seed = 42;

	(void)state;
	assert_true(r && s && perm);
	for (size_t i = 0; i < n; i++) {
		r[i].truth = rnd(&seed) % 120;
		/* Mostly right, sometimes merged or split. */
		r[i].pred = rnd(&seed) % 10 == 0 ? rnd(&seed) % 150
						 : r[i].truth;
		r[i].score = (double)i;
		perm[i] = i;
	}
	compute(&m1, r, n, 1000);
	compute(&m3, r, n, 1000);
	assert_memory_equal(m1.false_links, m3.false_links,
	    m1.nfalse_links * sizeof(*m1.false_links));
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd(&seed) % (i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		s[i] = r[perm[i]];
	compute(&m2, s, n, 1000);
	assert_true(m1.pred_pairs == m2.pred_pairs);
	assert_true(m1.true_pairs == m2.true_pairs);
	assert_true(m1.correct_pairs == m2.correct_pairs);
	assert_near(m1.pair_f1, m2.pair_f1);
	assert_near(m1.bcubed_precision, m2.bcubed_precision);
	assert_near(m1.bcubed_recall, m2.bcubed_recall);
	assert_true(m1.false_pairs > 0 && m1.missed_pairs > 0);
	assert_int_equal(m1.false_links_total, m2.false_links_total);
	assert_int_equal(m1.missed_links_total, m2.missed_links_total);
	metrics_release(&m1);
	metrics_release(&m2);
	metrics_release(&m3);
	free(r);
	free(s);
	free(perm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfect),
		cmocka_unit_test(test_all_singletons),
		cmocka_unit_test(test_all_in_one),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_order_and_cap),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_large_cluster),
		cmocka_unit_test(test_shuffle_determinism),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
