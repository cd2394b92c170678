/*
 * Tests for matchers/cluster: linking by shared tokens, the same-feed
 * constraint, determinism under input order, stable resident ids, and
 * the probabilistic matcher's scored links and cannot-links.
 * Tokens here are not HMACs: a token is its label's bytes, zero-padded to
 * 16, so "N1" under NINO_STEM stands for one NINO stem. The clusterer
 * only compares tokens, so this is all it can see anyway.
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
#include "etl/feed.h"
#include "matchers/cluster.h"
#include "matchers/pseudonym.h"

_Static_assert(CLUSTER_FEEDS == FEED_COUNT, "one constraint slot a feed");

#define CT	FEED_COUNCIL_TAX
#define HB	FEED_HOUSING_BENEFIT
#define RENT	FEED_RENT
#define ASC	FEED_ADULT_SOCIAL_CARE

/* A test record: labels of its tokens, NULL when absent. */
struct trec {
	uint8_t	 feed;
	const char *key;
	const char *nino;	/* NINO_STEM */
	const char *dob;	/* DOB */
	const char *name_dob;	/* NAME_DOB */
	const char *sidp;	/* SURNAME_INITIAL_DOB_POSTCODE */
	const char *nhs;	/* NHS_NUMBER */
	const char *usd;	/* UPRN_SURNAME_DOB */
};

/* The same shape as struct identity in jobs/pipeline.h. */
struct ident {
	uint32_t have;
	unsigned char tok[PSEUDONYM_PURPOSE_COUNT][PSEUDONYM_TOKEN_LEN];
};

static void
set_tok(struct ident *id, enum pseudonym_purpose p, const char *label)
{
	size_t len;

	if (label == NULL)
		return;
	len = strlen(label);
	assert_true(len <= PSEUDONYM_TOKEN_LEN);
	id->have |= 1u << p;
	memset(id->tok[p], 0, PSEUDONYM_TOKEN_LEN);
	memcpy(id->tok[p], label, len);
}

static void
add(struct cluster *c, const struct trec *t)
{
	struct ident id;
	struct err e;

	memset(&id, 0xA5, sizeof id);	/* absent tokens hold garbage */
	id.have = 0;
	set_tok(&id, PSEUDONYM_NINO_STEM, t->nino);
	set_tok(&id, PSEUDONYM_DOB, t->dob);
	set_tok(&id, PSEUDONYM_NAME_DOB, t->name_dob);
	set_tok(&id, PSEUDONYM_SURNAME_INITIAL_DOB_POSTCODE, t->sidp);
	set_tok(&id, PSEUDONYM_NHS_NUMBER, t->nhs);
	set_tok(&id, PSEUDONYM_UPRN_SURNAME_DOB, t->usd);
	/* A purpose the clusterer ignores. */
	set_tok(&id, PSEUDONYM_POSTCODE, "P");
	err_clear(&e);
	assert_int_equal(cluster_add(c, &(struct cluster_rec){ t->feed,
	    t->key, id.have, id.tok }, &e), 0);
}

static struct cluster *
run(const struct trec *t, size_t n)
{
	struct cluster *c = cluster_new(n);
	struct err e;
	size_t i;

	for (i = 0; i < n; i++)
		add(c, &t[i]);
	err_clear(&e);
	assert_int_equal(cluster_run(c, &e), 0);
	return c;
}

/* The index of the record (feed, key). */
static size_t
rec(const struct cluster *c, int feed, const char *key)
{
	size_t i;

	for (i = 0; i < cluster_nrecords(c); i++)
		if (cluster_feed(c, i) == feed &&
		    strcmp(cluster_key(c, i), key) == 0)
			return i;
	fail_msg("no record %d/%s", feed, key);
	return 0;
}

static bool
together(const struct cluster *c, int fa, const char *ka, int fb,
    const char *kb)
{
	return cluster_of(c, rec(c, fa, ka)) == cluster_of(c, rec(c, fb, kb));
}

static const char *
rule_of(const struct cluster *c, int feed, const char *key)
{
	return cluster_rule_name(cluster_rule(c, rec(c, feed, key)));
}

static void
test_nino_across_feeds(void **state)
{
	static const struct trec t[] = {
		{ CT, "CT1", "N1", "D1", NULL, NULL, NULL, NULL },
		{ HB, "HB1", "N1", "D1", NULL, NULL, NULL, NULL },
		{ RENT, "R1", "N2", "D1", NULL, NULL, NULL, NULL },
	};
	struct cluster *c = run(t, 3);
	const struct cluster_link *l;
	size_t n;

	(void)state;
	assert_int_equal(cluster_count(c), 2);
	assert_true(together(c, CT, "CT1", HB, "HB1"));
	assert_false(together(c, CT, "CT1", RENT, "R1"));
	assert_string_equal(rule_of(c, CT, "CT1"), "nino_stem");
	assert_string_equal(rule_of(c, HB, "HB1"), "nino_stem");
	assert_string_equal(rule_of(c, RENT, "R1"), "none");
	l = cluster_links(c, cluster_of(c, rec(c, CT, "CT1")), &n);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].a, rec(c, CT, "CT1"));
	assert_int_equal(l[0].b, rec(c, HB, "HB1"));
	assert_int_equal(l[0].rule, PSEUDONYM_NINO_STEM);
	l = cluster_links(c, cluster_of(c, rec(c, RENT, "R1")), &n);
	assert_int_equal(n, 0);
	cluster_free(c);
}

/*
 * A skipped rule joins nothing: twins sharing UPRN, surname and DOB stay
 * apart; the other rules still apply; errors for a purpose that is not a
 * rule's and after the run.
 */
static void
test_skip_rule(void **state)
{
	static const struct trec t[] = {
		{ CT, "C1", NULL, "D1", NULL, NULL, NULL, "U1-KOW-D1" },
		{ CT, "C2", NULL, "D1", NULL, NULL, NULL, "U1-KOW-D1" },
		{ RENT, "R1", NULL, "D1", "KOW-OLIVIA-D1", NULL, NULL, NULL },
		{ ASC, "A1", NULL, "D1", "KOW-OLIVIA-D1", NULL, NULL, NULL },
	};
	struct cluster *c;
	struct err e;
	size_t i;

	(void)state;
	c = cluster_new(4);
	for (i = 0; i < 4; i++)
		add(c, &t[i]);
	err_clear(&e);
	assert_int_equal(cluster_skip_rule(c, PSEUDONYM_UPRN_SURNAME_DOB,
	    &e), 0);
	assert_int_equal(cluster_skip_rule(c, PSEUDONYM_POSTCODE, &e),
	    ERR_DATA);
	err_clear(&e);
	assert_int_equal(cluster_run(c, &e), 0);
	assert_false(together(c, CT, "C1", CT, "C2"));
	assert_true(together(c, RENT, "R1", ASC, "A1"));
	assert_int_equal(cluster_count(c), 3);
	assert_int_equal(cluster_skip_rule(c, PSEUDONYM_NAME_DOB, &e),
	    ERR_DATA);
	cluster_free(c);

	/* Without the call the rule joins them. */
	c = run(t, 4);
	assert_true(together(c, CT, "C1", CT, "C2"));
	cluster_free(c);
}

static void
test_name_dob(void **state)
{
	static const struct trec t[] = {
		{ RENT, "R7", NULL, "D1", "SMITH-JOHN-D1", NULL, NULL, NULL },
		{ ASC, "A3", NULL, "D1", "SMITH-JOHN-D1", NULL, "H1", NULL },
	};
	struct cluster *c = run(t, 2);

	(void)state;
	assert_int_equal(cluster_count(c), 1);
	assert_string_equal(rule_of(c, ASC, "A3"), "name_dob");
	assert_false(cluster_is_no_identity(c, 0));
	cluster_free(c);
}

static void
test_transitive_chain(void **state)
{
	/* A-B by NINO, B-C by name and DOB: one resident of three. */
	static const struct trec t[] = {
		{ CT, "A", "N1", NULL, NULL, NULL, NULL, NULL },
		{ HB, "B", "N1", "D1", "T1", NULL, NULL, NULL },
		{ ASC, "C", NULL, "D1", "T1", NULL, "H9", NULL },
	};
	struct cluster *c = run(t, 3);
	const struct cluster_link *l;
	size_t n;

	(void)state;
	assert_int_equal(cluster_count(c), 1);
	l = cluster_links(c, 0, &n);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].rule, PSEUDONYM_NINO_STEM);
	assert_int_equal(l[1].rule, PSEUDONYM_NAME_DOB);
	assert_int_equal(l[1].a, rec(c, HB, "B"));
	assert_int_equal(l[1].b, rec(c, ASC, "C"));
	/* B's strongest link is the NINO one. */
	assert_string_equal(rule_of(c, HB, "B"), "nino_stem");
	assert_string_equal(rule_of(c, ASC, "C"), "name_dob");
	cluster_free(c);
}

static void
test_same_feed_different_nino(void **state)
{
	/* Two council tax records, one name and DOB, different NINOs. */
	static const struct trec t[] = {
		{ CT, "CT1", "N1", "D1", "T1", "S1", NULL, NULL },
		{ CT, "CT2", "N2", "D1", "T1", "S1", NULL, NULL },
	};
	struct cluster *c = run(t, 2);
	const struct cluster_refusal *rf;
	struct cluster_stats st;
	size_t n;

	(void)state;
	assert_int_equal(cluster_count(c), 2);
	rf = cluster_refusals(c, &n);
	/* Refused under NAME_DOB, then again under the postcode rule. */
	assert_int_equal(n, 2);
	assert_int_equal(rf[0].a, rec(c, CT, "CT1"));
	assert_int_equal(rf[0].b, rec(c, CT, "CT2"));
	assert_int_equal(rf[0].rule, PSEUDONYM_NAME_DOB);
	assert_int_equal(rf[0].conflict, CLUSTER_CONFLICT_NINO);
	assert_int_equal(rf[0].feed, CT);
	assert_int_equal(rf[1].rule, PSEUDONYM_SURNAME_INITIAL_DOB_POSTCODE);
	cluster_stats(c, &st);
	assert_int_equal(st.refused, 2);
	cluster_free(c);
}

static void
test_different_nino_other_feeds(void **state)
{
	/* The constraint is per feed: CT and HB may disagree on a NINO. */
	static const struct trec t[] = {
		{ CT, "CT1", "N1", "D1", "T1", NULL, NULL, NULL },
		{ HB, "HB1", "N2", "D1", "T1", NULL, NULL, NULL },
	};
	struct cluster *c = run(t, 2);
	size_t n;

	(void)state;
	assert_int_equal(cluster_count(c), 1);
	cluster_refusals(c, &n);
	assert_int_equal(n, 0);
	cluster_free(c);
}

static void
test_twins_and_father_son(void **state)
{
	/*
	 * Twins: one surname, DOB and postcode, forenames with different
	 * initials, so every composite token differs. Father and son: one
	 * name, different DOBs. Nothing links, and nothing is refused
	 * either: they never even became candidates.
	 */
	static const struct trec t[] = {
		{ CT, "TW1", NULL, "D1", "ANNA-X-D1", "X-A-D1-P", NULL, NULL },
		{ HB, "TW2", NULL, "D1", "BETH-X-D1", "X-B-D1-P", NULL, NULL },
		{ CT, "SR", NULL, "D2", "JOHN-Y-D2", "Y-J-D2-P", NULL,
		    "U1-Y-D2" },
		{ RENT, "JR", NULL, "D3", "JOHN-Y-D3", "Y-J-D3-P", NULL,
		    "U1-Y-D3" },
	};
	struct cluster *c = run(t, 4);
	size_t n;

	(void)state;
	assert_int_equal(cluster_count(c), 4);
	cluster_refusals(c, &n);
	assert_int_equal(n, 0);
	cluster_free(c);
}

static void
test_chain_refused(void **state)
{
	/*
	 * A (CT, DOB D1) and B (HB) share a NINO; B and C (CT, DOB D2)
	 * share name and DOB. Joining C would put two council tax records
	 * with different DOBs into one resident: refused and reported.
	 */
	static const struct trec t[] = {
		{ CT, "A", "N1", "D1", NULL, NULL, NULL, NULL },
		{ HB, "B", "N1", "D2", "T2", NULL, NULL, NULL },
		{ CT, "C", NULL, "D2", "T2", NULL, NULL, NULL },
	};
	struct cluster *c = run(t, 3);
	const struct cluster_refusal *rf;
	size_t n;

	(void)state;
	assert_int_equal(cluster_count(c), 2);
	assert_true(together(c, CT, "A", HB, "B"));
	assert_false(together(c, CT, "A", CT, "C"));
	assert_string_equal(rule_of(c, CT, "C"), "none");
	rf = cluster_refusals(c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(rf[0].a, rec(c, CT, "C"));
	assert_int_equal(rf[0].b, rec(c, HB, "B"));
	assert_int_equal(rf[0].rule, PSEUDONYM_NAME_DOB);
	assert_int_equal(rf[0].conflict, CLUSTER_CONFLICT_DOB);
	assert_int_equal(rf[0].feed, CT);
	cluster_free(c);
}

static void
test_group_tries_later_residents(void **state)
{
	/*
	 * One NINO on three CT records: A's DOB differs, B and C agree.
	 * C is refused by A's resident but still joins B's.
	 */
	static const struct trec t[] = {
		{ CT, "A", "N1", "D1", NULL, NULL, NULL, NULL },
		{ CT, "B", "N1", "D2", NULL, NULL, NULL, NULL },
		{ CT, "C", "N1", "D2", NULL, NULL, NULL, NULL },
	};
	struct cluster *c = run(t, 3);
	size_t n;

	(void)state;
	assert_int_equal(cluster_count(c), 2);
	assert_true(together(c, CT, "B", CT, "C"));
	assert_false(together(c, CT, "A", CT, "B"));
	cluster_refusals(c, &n);
	assert_int_equal(n, 2);
	cluster_free(c);
}

static void
test_no_identity(void **state)
{
	static const struct trec t[] = {
		{ CT, "EMPTY", NULL, NULL, NULL, NULL, NULL, NULL },
		{ HB, "DOBONLY", NULL, "D1", NULL, NULL, NULL, NULL },
		{ HB, "FULL", "N1", "D1", NULL, NULL, NULL, NULL },
	};
	struct cluster *c = run(t, 3);
	struct cluster_stats st;
	uint64_t next = 1;
	struct err e;

	(void)state;
	assert_int_equal(cluster_count(c), 3);
	assert_true(cluster_is_no_identity(c,
	    cluster_of(c, rec(c, CT, "EMPTY"))));
	assert_true(cluster_is_no_identity(c,
	    cluster_of(c, rec(c, HB, "DOBONLY"))));
	assert_false(cluster_is_no_identity(c,
	    cluster_of(c, rec(c, HB, "FULL"))));
	assert_string_equal(rule_of(c, CT, "EMPTY"), "none");
	assert_int_equal(cluster_assign_ids(c, NULL, 0, &next, &e), 0);
	assert_int_equal(cluster_resident(c, rec(c, CT, "EMPTY")), 1);
	cluster_stats(c, &st);
	assert_int_equal(st.no_identity, 2);
	cluster_free(c);
}

static void
test_bad_input(void **state)
{
	struct cluster *c = cluster_new(2);
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(cluster_add(c, &(struct cluster_rec){ 9, "K", 0,
	    NULL }, &e), ERR_DATA);
	assert_int_equal(cluster_add(c, &(struct cluster_rec){ CT, NULL, 0,
	    NULL }, &e), ERR_DATA);
	assert_int_equal(cluster_add(c, &(struct cluster_rec){ CT, "K", 0,
	    NULL }, &e), 0);
	assert_int_equal(cluster_add(c, &(struct cluster_rec){ CT, "K", 0,
	    NULL }, &e), 0);
	assert_int_equal(cluster_add(c, &(struct cluster_rec){ CT, "L", 0,
	    NULL }, &e), ERR_LIMIT);
	/* The same key twice in one feed. */
	assert_int_equal(cluster_run(c, &e), ERR_DATA);
	assert_non_null(strstr(e.msg, "same source key"));
	cluster_free(c);
}

/* Keys that tie on long prefixes still come out in byte order. */
static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void
test_key_order(void **state)
{
	enum { N = 300 };
	char buf[N][64];
	const char *sorted[N];
	struct cluster *c = cluster_new(N);
	struct err e;
	size_t i, k;

	(void)state;
	for (i = 0; i < N; i++) {
		/* Shared 20-byte prefix, lengths vary, bytes above 0x7f. */
		snprintf(buf[i], sizeof buf[i], "%s%zu%s",
		    "HOUSING-BENEFIT-REF-", (i * 7919) % 1000,
		    i % 3 == 0 ? "" : i % 3 == 1 ? "\xc3\xa9" : "-X-Y-Z");
		sorted[i] = buf[i];
		assert_int_equal(cluster_add(c, &(struct cluster_rec){ HB,
		    buf[i], 0, NULL }, &e), 0);
	}
	qsort(sorted, N, sizeof sorted[0], cmp_str);
	assert_int_equal(cluster_run(c, &e), 0);
	/* All singletons: cluster k is the k-th record in key order. */
	assert_int_equal(cluster_count(c), N);
	for (k = 0; k < N; k++)
		assert_string_equal(cluster_key(c, cluster_first(c, k)),
		    sorted[k]);
	cluster_free(c);
}

/* Determinism */

static uint64_t
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

struct synth {
	struct trec *t;
	char	(*lab)[6][16];	/* labels, per record */
	char	(*key)[16];
	size_t	 n;
};

/*
 * Records of 'people' people with noise: tokens dropped, a wrong NINO or
 * DOB now and then, and a few shared placeholder values.
 */
static void
synth_make(struct synth *sy, size_t n, size_t people, uint64_t seed)
{
	size_t i, p;
	int f;

	sy->n = n;
	sy->t = calloc(n, sizeof *sy->t);
	sy->lab = calloc(n, sizeof *sy->lab);
	sy->key = calloc(n, sizeof *sy->key);
	for (i = 0; i < n; i++) {
		struct trec *t = &sy->t[i];
		char (*l)[16] = sy->lab[i];

		p = rnd(&seed) % people;
		f = (int)(rnd(&seed) % CLUSTER_FEEDS);
		snprintf(sy->key[i], 16, "K%zu", i);
		t->feed = (uint8_t)f;
		t->key = sy->key[i];
		snprintf(l[0], 16, "N%zu", rnd(&seed) % 50 ? p : p + 1);
		snprintf(l[1], 16, "D%zu", rnd(&seed) % 20 ? p % 97 :
		    p % 89);
		snprintf(l[2], 16, "T%zu", p);
		snprintf(l[3], 16, "S%zu", rnd(&seed) % 30 ? p : p / 2);
		snprintf(l[4], 16, "H%zu", p);
		snprintf(l[5], 16, "U%zu", rnd(&seed) % 100 ? p : 0);
		t->nino = rnd(&seed) % 3 ? l[0] : NULL;
		t->dob = rnd(&seed) % 5 ? l[1] : NULL;
		t->name_dob = rnd(&seed) % 3 ? l[2] : NULL;
		t->sidp = rnd(&seed) % 2 ? l[3] : NULL;
		t->nhs = f == ASC ? l[4] : NULL;
		t->usd = rnd(&seed) % 4 ? NULL : l[5];
	}
}

static void
synth_free(struct synth *sy)
{
	free(sy->t);
	free(sy->lab);
	free(sy->key);
}

static void out(char **, size_t *, size_t *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
out(char **bufp, size_t *lenp, size_t *capp, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*bufp + *lenp, *capp - *lenp, fmt, ap);
		va_end(ap);
		if ((size_t)n < *capp - *lenp)
			break;
		*capp = 2 * *capp + (size_t)n;
		*bufp = realloc(*bufp, *capp);
	}
	*lenp += (size_t)n;
}

/* Everything the clusterer says, by (feed, key) only. */
static char *
describe(const struct cluster *c)
{
	const struct cluster_refusal *rf;
	const struct cluster_link *l;
	const struct cluster_event *ev;
	size_t cap = 1 << 16, len = 0, k, j, n;
	char *s = malloc(cap);
	uint32_t f;

	s[0] = '\0';
	for (k = 0; k < cluster_count(c); k++) {
		f = cluster_first(c, k);
		out(&s, &len, &cap, "cluster %zu first %d/%s id %llu%s\n", k,
		    cluster_feed(c, f), cluster_key(c, f),
		    (unsigned long long)cluster_resident_of(c, k),
		    cluster_is_no_identity(c, k) ? " no_identity" : "");
		l = cluster_links(c, k, &n);
		for (j = 0; j < n; j++)
			out(&s, &len, &cap, " %d/%s %d/%s %s %g\n",
			    cluster_feed(c, l[j].a), cluster_key(c, l[j].a),
			    cluster_feed(c, l[j].b), cluster_key(c, l[j].b),
			    cluster_rule_name(l[j].rule), l[j].weight);
	}
	for (j = 0; j < cluster_nrecords(c); j++)
		out(&s, &len, &cap, "rec %d/%s cluster %u rule %s weight %g\n",
		    cluster_feed(c, j), cluster_key(c, j),
		    cluster_of(c, j), cluster_rule_name(cluster_rule(c, j)),
		    cluster_link_weight(c, j));
	rf = cluster_refusals(c, &n);
	for (j = 0; j < n; j++) {
		out(&s, &len, &cap, "refused %d/%s %d/%s %s %d %u",
		    cluster_feed(c, rf[j].a), cluster_key(c, rf[j].a),
		    cluster_feed(c, rf[j].b), cluster_key(c, rf[j].b),
		    cluster_rule_name(rf[j].rule), rf[j].conflict,
		    rf[j].feed);
		if (rf[j].conflict == CLUSTER_CONFLICT_CANNOT)
			out(&s, &len, &cap, " %d/%s %d/%s",
			    cluster_feed(c, rf[j].x), cluster_key(c, rf[j].x),
			    cluster_feed(c, rf[j].y), cluster_key(c, rf[j].y));
		else {
			assert_int_equal(rf[j].x, UINT32_MAX);
			assert_int_equal(rf[j].y, UINT32_MAX);
		}
		out(&s, &len, &cap, "\n");
	}
	ev = cluster_events(c, &n);
	for (j = 0; j < n; j++)
		out(&s, &len, &cap, "event %d %llu %llu\n", ev[j].kind,
		    (unsigned long long)ev[j].resident_id,
		    (unsigned long long)ev[j].other_id);
	return s;
}

static int
cmp_line(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Lines of 'text' (freed) in byte order, so input order does not show. */
static char *
sorted_lines(char *text)
{
	char **line = NULL, *p, *res;
	size_t n = 0, cap = 0, i, len = strlen(text), at = 0, l;

	for (p = strtok(text, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		if (n == cap) {
			cap = 2 * cap + 64;
			line = realloc(line, cap * sizeof *line);
		}
		line[n++] = p;
	}
	qsort(line, n, sizeof *line, cmp_line);
	res = malloc(len + 2);
	for (i = 0; i < n; i++) {
		l = strlen(line[i]);
		memcpy(res + at, line[i], l);
		res[at + l] = '\n';
		at += l + 1;
	}
	res[at] = '\0';
	free(line);
	free(text);
	return res;
}

/* No resident holds two records of a feed with different NINOs or DOBs. */
static void
check_constraint(const struct cluster *c, const struct synth *sy,
    const size_t *perm)
{
	size_t i, j;

	for (i = 0; i < sy->n; i++)
		for (j = i + 1; j < sy->n; j++) {
			const struct trec *a = &sy->t[perm[i]];
			const struct trec *b = &sy->t[perm[j]];

			if (a->feed != b->feed || cluster_of(c, i) !=
			    cluster_of(c, j))
				continue;
			assert_false(a->nino && b->nino &&
			    strcmp(a->nino, b->nino) != 0);
			assert_false(a->dob && b->dob &&
			    strcmp(a->dob, b->dob) != 0);
		}
}

static struct cluster *
run_perm(const struct synth *sy, const size_t *perm, uint64_t *next)
{
	struct cluster *c = cluster_new(sy->n);
	struct err e;
	size_t i;

	for (i = 0; i < sy->n; i++)
		add(c, &sy->t[perm[i]]);
	assert_int_equal(cluster_run(c, &e), 0);
	assert_int_equal(cluster_assign_ids(c, NULL, 0, next, &e), 0);
	return c;
}

static void
test_shuffle_determinism(void **state)
{
	enum { N = 1500 };
	struct synth sy;
	size_t perm[N], i, j, t;
	uint64_t seed = 42, next;
	struct cluster *c;
	char *first, *now;
	struct cluster_stats st;
	int round;

	(void)state;
	synth_make(&sy, N, 500, 7);
	for (i = 0; i < N; i++)
		perm[i] = i;
	next = 1;
	c = run_perm(&sy, perm, &next);
	check_constraint(c, &sy, perm);
	cluster_stats(c, &st);
	/* The synthetic noise exercises links, refusals and singletons. */
	assert_true(st.clusters > 400 && st.clusters < N);
	assert_true(st.refused > 0);
	first = sorted_lines(describe(c));
	cluster_free(c);
	for (round = 0; round < 4; round++) {
		for (i = N - 1; i > 0; i--) {
			j = rnd(&seed) % (i + 1);
			t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
		next = 1;
		c = run_perm(&sy, perm, &next);
		check_constraint(c, &sy, perm);
		now = sorted_lines(describe(c));
		assert_string_equal(now, first);
		free(now);
		cluster_free(c);
	}
	free(first);
	synth_free(&sy);
}

/* Stable ids */

/* Run 'prev' lines against records t[0..n-1] in reverse order. */
static struct cluster *
night(const struct trec *t, size_t n, const struct cluster_prev *prev,
    size_t nprev, uint64_t *next)
{
	struct cluster *c = cluster_new(n);
	struct err e;
	size_t i;

	for (i = n; i-- > 0;)
		add(c, &t[i]);
	assert_int_equal(cluster_run(c, &e), 0);
	err_clear(&e);
	assert_int_equal(cluster_assign_ids(c, prev, nprev, next, &e), 0);
	return c;
}

static uint64_t
id_of(const struct cluster *c, int feed, const char *key)
{
	return cluster_resident(c, rec(c, feed, key));
}

static void
test_ids_unchanged(void **state)
{
	static const struct trec t[] = {
		{ CT, "a", "N1", NULL, NULL, NULL, NULL, NULL },
		{ HB, "b", "N1", NULL, NULL, NULL, NULL, NULL },
		{ RENT, "c", NULL, NULL, "T1", NULL, NULL, NULL },
		{ ASC, "d", NULL, NULL, "T1", NULL, NULL, NULL },
		{ CT, "e", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	struct cluster_prev prev[5];
	struct cluster *c;
	uint64_t next = 1, before;
	size_t i, n;

	(void)state;
	c = night(t, 5, NULL, 0, &next);
	assert_int_equal(next, 4);
	for (i = 0; i < 5; i++)
		prev[i] = (struct cluster_prev){ (uint8_t)cluster_feed(c, i),
		    cluster_key(c, i), cluster_resident(c, i) };
	/* Ids follow the first record: CT/a, CT/e, then RENT/c. */
	assert_int_equal(id_of(c, CT, "a"), 1);
	assert_int_equal(id_of(c, HB, "b"), 1);
	assert_int_equal(id_of(c, CT, "e"), 2);
	assert_int_equal(id_of(c, RENT, "c"), 3);

	before = next;
	{
		struct cluster *c2 = night(t, 5, prev, 5, &next);

		assert_int_equal(next, before);
		for (i = 0; i < 5; i++)
			assert_int_equal(id_of(c2, t[i].feed, t[i].key),
			    id_of(c, t[i].feed, t[i].key));
		cluster_events(c2, &n);
		assert_int_equal(n, 0);
		cluster_free(c2);
	}
	cluster_free(c);
}

static void
test_id_new_record_joins(void **state)
{
	static const struct trec t[] = {
		{ CT, "a", "N1", NULL, NULL, NULL, NULL, NULL },
		{ HB, "b", "N2", NULL, NULL, NULL, NULL, NULL },
		{ ASC, "new", "N1", NULL, NULL, NULL, NULL, NULL },
	};
	static const struct cluster_prev prev[] = {
		{ CT, "a", 5 }, { HB, "b", 7 }, { RENT, "gone", 8 },
	};
	struct cluster_stats st;
	struct cluster *c;
	uint64_t next = 10;
	size_t n;

	(void)state;
	c = night(t, 3, prev, 3, &next);
	assert_int_equal(id_of(c, ASC, "new"), 5);
	assert_int_equal(id_of(c, CT, "a"), 5);
	assert_int_equal(id_of(c, HB, "b"), 7);
	assert_int_equal(next, 10);
	cluster_events(c, &n);
	assert_int_equal(n, 0);
	cluster_stats(c, &st);
	assert_int_equal(st.prev_gone, 1);
	assert_int_equal(st.inherited, 2);
	cluster_free(c);
}

static void
test_id_merge(void **state)
{
	/* 3 had two records, 2 had one: the merged resident keeps 3. */
	static const struct trec t[] = {
		{ CT, "a", "N1", NULL, NULL, NULL, NULL, NULL },
		{ HB, "b", "N1", NULL, NULL, NULL, NULL, NULL },
		{ RENT, "c", "N1", NULL, NULL, NULL, NULL, NULL },
	};
	static const struct cluster_prev prev[] = {
		{ CT, "a", 3 }, { HB, "b", 3 }, { RENT, "c", 2 },
	};
	/* A tie: 5 and 3 had one record each; the smaller id wins. */
	static const struct cluster_prev tie[] = {
		{ CT, "a", 5 }, { HB, "b", 3 },
	};
	const struct cluster_event *ev;
	struct cluster *c;
	uint64_t next = 10;
	size_t n;

	(void)state;
	c = night(t, 3, prev, 3, &next);
	assert_int_equal(id_of(c, RENT, "c"), 3);
	ev = cluster_events(c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, CLUSTER_EVENT_MERGE);
	assert_int_equal(ev[0].resident_id, 3);
	assert_int_equal(ev[0].other_id, 2);
	cluster_free(c);

	c = night(t, 2, tie, 2, &next);
	assert_int_equal(id_of(c, CT, "a"), 3);
	ev = cluster_events(c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, CLUSTER_EVENT_MERGE);
	assert_int_equal(ev[0].resident_id, 3);
	assert_int_equal(ev[0].other_id, 5);
	assert_int_equal(next, 10);
	cluster_free(c);
}

static void
test_id_split(void **state)
{
	/* 4 had a, b, c; tonight c stands apart and gets a new id. */
	static const struct trec t[] = {
		{ CT, "a", "N1", NULL, NULL, NULL, NULL, NULL },
		{ HB, "b", "N1", NULL, NULL, NULL, NULL, NULL },
		{ CT, "c", "N2", NULL, NULL, NULL, NULL, NULL },
	};
	static const struct cluster_prev prev[] = {
		{ CT, "a", 4 }, { HB, "b", 4 }, { CT, "c", 4 },
	};
	const struct cluster_event *ev;
	struct cluster_stats st;
	struct cluster *c;
	uint64_t next = 9;
	size_t n;

	(void)state;
	c = night(t, 3, prev, 3, &next);
	assert_int_equal(id_of(c, CT, "a"), 4);
	assert_int_equal(id_of(c, HB, "b"), 4);
	assert_int_equal(id_of(c, CT, "c"), 9);
	assert_int_equal(next, 10);
	ev = cluster_events(c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, CLUSTER_EVENT_SPLIT);
	assert_int_equal(ev[0].resident_id, 4);
	assert_int_equal(ev[0].other_id, 9);
	cluster_stats(c, &st);
	assert_int_equal(st.splits, 1);
	assert_int_equal(st.new_ids, 1);
	cluster_free(c);
}

static void
test_id_split_tie(void **state)
{
	/* An even split: the part with the smaller first record keeps it. */
	static const struct trec t[] = {
		{ HB, "b", NULL, NULL, NULL, NULL, NULL, NULL },
		{ CT, "z", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	static const struct cluster_prev prev[] = {
		{ CT, "z", 6 }, { HB, "b", 6 },
	};
	struct cluster *c;
	uint64_t next = 20;

	(void)state;
	c = night(t, 2, prev, 2, &next);
	assert_int_equal(id_of(c, CT, "z"), 6);
	assert_int_equal(id_of(c, HB, "b"), 20);
	cluster_free(c);
}

static void
test_id_second_choice(void **state)
{
	/*
	 * Previous: 1 = {a, b, c, d}, 2 = {e, f}. Tonight: {a, b, c},
	 * {d, e} and {f}. {a, b, c} takes 1; {d, e} ties between 1 and 2,
	 * loses 1 and keeps 2; {f} is new.
	 */
	static const struct trec t[] = {
		{ CT, "a", NULL, NULL, "T1", NULL, NULL, NULL },
		{ CT, "b", NULL, NULL, "T1", NULL, NULL, NULL },
		{ CT, "c", NULL, NULL, "T1", NULL, NULL, NULL },
		{ CT, "d", NULL, NULL, "T2", NULL, NULL, NULL },
		{ CT, "e", NULL, NULL, "T2", NULL, NULL, NULL },
		{ CT, "f", NULL, NULL, "T3", NULL, NULL, NULL },
	};
	static const struct cluster_prev prev[] = {
		{ CT, "a", 1 }, { CT, "b", 1 }, { CT, "c", 1 },
		{ CT, "d", 1 }, { CT, "e", 2 }, { CT, "f", 2 },
	};
	static const struct cluster_event want[] = {
		{ CLUSTER_EVENT_MERGE, 2, 1 },
		{ CLUSTER_EVENT_SPLIT, 1, 2 },
		{ CLUSTER_EVENT_SPLIT, 2, 3 },
	};
	const struct cluster_event *ev;
	struct cluster *c;
	uint64_t next = 3;
	size_t n, i;

	(void)state;
	c = night(t, 6, prev, 6, &next);
	assert_int_equal(id_of(c, CT, "a"), 1);
	assert_int_equal(id_of(c, CT, "d"), 2);
	assert_int_equal(id_of(c, CT, "f"), 3);
	ev = cluster_events(c, &n);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(ev[i].kind, want[i].kind);
		assert_int_equal(ev[i].resident_id, want[i].resident_id);
		assert_int_equal(ev[i].other_id, want[i].other_id);
	}
	cluster_free(c);
}

static void
test_ids_all_new(void **state)
{
	static const struct trec t[] = {
		{ RENT, "r", NULL, NULL, NULL, NULL, NULL, NULL },
		{ HB, "h", "N1", NULL, NULL, NULL, NULL, NULL },
		{ CT, "q", "N1", NULL, NULL, NULL, NULL, NULL },
		{ CT, "p", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	struct cluster *c;
	uint64_t next = 100;

	(void)state;
	c = night(t, 4, NULL, 0, &next);
	assert_int_equal(id_of(c, CT, "p"), 100);
	assert_int_equal(id_of(c, CT, "q"), 101);
	assert_int_equal(id_of(c, HB, "h"), 101);
	assert_int_equal(id_of(c, RENT, "r"), 102);
	assert_int_equal(next, 103);
	cluster_free(c);
}

static void
test_ids_bad_prev(void **state)
{
	static const struct trec t[] = {
		{ CT, "a", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	static const struct cluster_prev dup[] = {
		{ CT, "a", 1 }, { CT, "a", 2 },
	};
	static const struct cluster_prev high[] = { { CT, "a", 7 } };
	struct cluster *c = cluster_new(1);
	uint64_t next = 5;
	struct err e;

	(void)state;
	add(c, &t[0]);
	assert_int_equal(cluster_run(c, &e), 0);
	assert_int_equal(cluster_assign_ids(c, dup, 2, &next, &e), ERR_DATA);
	assert_int_equal(cluster_assign_ids(c, high, 1, &next, &e), ERR_DATA);
	assert_int_equal(next, 5);
	cluster_free(c);
}

/* Scored links and cannot-links */

/* A pair of records, by their place in the test's array. */
struct tpair {
	uint32_t a, b;
	double	 w;		/* unused for a cannot-link */
};

/*
 * Add t[perm[0]], t[perm[1]], ... (perm NULL: in order), then the links
 * and cannot-links (naming records by their place in t), and run.
 */
static struct cluster *
run_scored(const struct trec *t, size_t n, const size_t *perm,
    const struct tpair *lk, size_t nl, const struct tpair *cl, size_t nc)
{
	struct cluster *c = cluster_new(n);
	uint32_t *at = malloc((n + 1) * sizeof *at);
	struct err e;
	size_t i;

	for (i = 0; i < n; i++) {
		add(c, &t[perm != NULL ? perm[i] : i]);
		at[perm != NULL ? perm[i] : i] = (uint32_t)i;
	}
	err_clear(&e);
	for (i = 0; i < nl; i++)
		assert_int_equal(cluster_add_link(c, at[lk[i].a], at[lk[i].b],
		    lk[i].w, &e), 0);
	for (i = 0; i < nc; i++)
		assert_int_equal(cluster_add_cannot_link(c, at[cl[i].a],
		    at[cl[i].b], &e), 0);
	assert_int_equal(cluster_run(c, &e), 0);
	free(at);
	return c;
}

static double
weight_of(const struct cluster *c, int feed, const char *key)
{
	return cluster_link_weight(c, rec(c, feed, key));
}

static void
test_scored_links_join(void **state)
{
	/*
	 * A, B, C share no token: only the scored links join them. D has
	 * no link. E and F share a NINO; a scored link F-G adds G, and a
	 * scored link E-F between records already together does nothing.
	 */
	static const struct trec t[] = {
		{ CT, "A", NULL, "D1", NULL, NULL, NULL, NULL },
		{ HB, "B", NULL, "D1", NULL, NULL, NULL, NULL },
		{ RENT, "C", NULL, NULL, NULL, NULL, NULL, NULL },
		{ ASC, "D", NULL, "D1", NULL, NULL, NULL, NULL },
		{ CT, "E", "N1", NULL, NULL, NULL, NULL, NULL },
		{ HB, "F", "N1", NULL, NULL, NULL, NULL, NULL },
		{ RENT, "G", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	static const struct tpair lk[] = {
		{ 1, 2, 2.0 }, { 0, 1, 3.5 }, { 6, 5, 7.25 }, { 4, 5, 9.0 },
	};
	const struct cluster_link *l;
	struct cluster_stats st;
	struct cluster *c = run_scored(t, 7, NULL, lk, 4, NULL, 0);
	size_t n;
	int r;

	(void)state;
	assert_int_equal(cluster_count(c), 3);
	assert_true(together(c, CT, "A", HB, "B"));
	assert_true(together(c, CT, "A", RENT, "C"));
	assert_false(together(c, CT, "A", ASC, "D"));
	assert_true(together(c, CT, "E", RENT, "G"));
	assert_string_equal(rule_of(c, CT, "A"), "scored");
	assert_string_equal(rule_of(c, RENT, "C"), "scored");
	assert_string_equal(rule_of(c, ASC, "D"), "none");
	/* A strong rule wins over a scored link that touched F too. */
	assert_string_equal(rule_of(c, HB, "F"), "nino_stem");
	assert_string_equal(rule_of(c, RENT, "G"), "scored");
	assert_true(weight_of(c, HB, "F") == 7.25);
	assert_true(weight_of(c, RENT, "G") == 7.25);
	/* E-F joined nothing: E has no weight. */
	assert_true(isnan(weight_of(c, CT, "E")));
	assert_int_equal(cluster_rule(c, rec(c, RENT, "G")),
	    CLUSTER_RULE_SCORED);

	/* Links in the order made: the stronger A-B first. */
	l = cluster_links(c, cluster_of(c, rec(c, CT, "A")), &n);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].a, rec(c, CT, "A"));
	assert_int_equal(l[0].b, rec(c, HB, "B"));
	assert_int_equal(l[0].rule, CLUSTER_RULE_SCORED);
	assert_true(l[0].weight == 3.5);
	assert_int_equal(l[1].a, rec(c, HB, "B"));
	assert_int_equal(l[1].b, rec(c, RENT, "C"));
	assert_true(l[1].weight == 2.0);
	l = cluster_links(c, cluster_of(c, rec(c, CT, "E")), &n);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].rule, PSEUDONYM_NINO_STEM);
	assert_true(isnan(l[0].weight));
	assert_int_equal(l[1].a, rec(c, HB, "F"));
	assert_int_equal(l[1].b, rec(c, RENT, "G"));
	assert_int_equal(l[1].rule, CLUSTER_RULE_SCORED);

	cluster_stats(c, &st);
	assert_int_equal(st.scored_links, 3);
	assert_int_equal(st.links[0], 1);
	for (r = 1; r < CLUSTER_RULES; r++)
		assert_int_equal(st.links[r], 0);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.refused_cannot, 0);
	cluster_free(c);
}

static void
test_link_weight(void **state)
{
	/*
	 * B is touched by A-B (4) and B-C (1.5): it keeps the stronger. E
	 * joined by a NINO only: no weight. The weight 9 of D-B never
	 * joined (D and B differ in DOB within the housing benefit feed).
	 */
	static const struct trec t[] = {
		{ CT, "A", NULL, NULL, NULL, NULL, NULL, NULL },
		{ HB, "B", NULL, "D1", NULL, NULL, NULL, NULL },
		{ RENT, "C", NULL, NULL, NULL, NULL, NULL, NULL },
		{ HB, "D", NULL, "D2", NULL, NULL, NULL, NULL },
		{ CT, "E", "N1", NULL, NULL, NULL, NULL, NULL },
		{ HB, "F", "N1", NULL, NULL, NULL, NULL, NULL },
	};
	static const struct tpair lk[] = {
		{ 1, 2, 1.5 }, { 0, 1, 4.0 }, { 3, 1, 9.0 },
	};
	struct cluster *c = run_scored(t, 6, NULL, lk, 3, NULL, 0);

	(void)state;
	assert_true(weight_of(c, CT, "A") == 4.0);
	assert_true(weight_of(c, HB, "B") == 4.0);
	assert_true(weight_of(c, RENT, "C") == 1.5);
	assert_true(isnan(weight_of(c, HB, "D")));
	assert_true(isnan(weight_of(c, CT, "E")));
	assert_true(isnan(weight_of(c, HB, "F")));
	assert_string_equal(rule_of(c, HB, "D"), "none");
	cluster_free(c);

	/* No scored link at all: every weight is NAN. */
	c = run_scored(t, 6, NULL, NULL, 0, NULL, 0);
	assert_true(isnan(weight_of(c, CT, "A")));
	assert_true(isnan(weight_of(c, HB, "F")));
	cluster_free(c);
}

static void
test_scored_order(void **state)
{
	/*
	 * Links A-B and A-C cannot both hold: B and C are housing benefit
	 * records with different DOBs. The stronger link wins; on a tie,
	 * the pair first in (feed, key) order, (A, B), whatever the order
	 * the records and links came in.
	 */
	static const struct trec t[] = {
		{ CT, "A", NULL, NULL, NULL, NULL, NULL, NULL },
		{ HB, "B", NULL, "D1", NULL, NULL, NULL, NULL },
		{ HB, "C", NULL, "D2", NULL, NULL, NULL, NULL },
	};
	static const size_t perms[][3] = {
		{ 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 }, { 2, 0, 1 },
	};
	static const struct tpair tie[] = { { 2, 0, 1.0 }, { 0, 1, 1.0 } };
	static const struct tpair tie2[] = { { 0, 1, 1.0 }, { 0, 2, 1.0 } };
	static const struct tpair ac[] = { { 0, 1, 1.0 }, { 2, 0, 1.5 } };
	const struct cluster_refusal *rf;
	struct cluster *c;
	size_t p, n;

	(void)state;
	for (p = 0; p < 4; p++) {
		c = run_scored(t, 3, perms[p], tie, 2, NULL, 0);
		assert_true(together(c, CT, "A", HB, "B"));
		assert_false(together(c, CT, "A", HB, "C"));
		rf = cluster_refusals(c, &n);
		assert_int_equal(n, 1);
		assert_int_equal(rf[0].a, rec(c, CT, "A"));
		assert_int_equal(rf[0].b, rec(c, HB, "C"));
		assert_int_equal(rf[0].rule, CLUSTER_RULE_SCORED);
		assert_int_equal(rf[0].conflict, CLUSTER_CONFLICT_DOB);
		assert_int_equal(rf[0].feed, HB);
		cluster_free(c);

		c = run_scored(t, 3, perms[p], tie2, 2, NULL, 0);
		assert_true(together(c, CT, "A", HB, "B"));
		cluster_free(c);

		c = run_scored(t, 3, perms[p], ac, 2, NULL, 0);
		assert_true(together(c, CT, "A", HB, "C"));
		assert_false(together(c, CT, "A", HB, "B"));
		assert_true(weight_of(c, CT, "A") == 1.5);
		assert_true(isnan(weight_of(c, HB, "B")));
		cluster_free(c);
	}
}

static void
test_scored_same_feed(void **state)
{
	/*
	 * The same-feed constraint holds for scored links: A and C are
	 * council tax records with different DOBs, D and E with different
	 * NINOs; the strong A-B joins, B-C is refused; D-E is refused.
	 */
	static const struct trec t[] = {
		{ CT, "A", NULL, "D1", NULL, NULL, NULL, NULL },
		{ HB, "B", NULL, NULL, NULL, NULL, NULL, NULL },
		{ CT, "C", NULL, "D2", NULL, NULL, NULL, NULL },
		{ RENT, "D", "N1", NULL, NULL, NULL, NULL, NULL },
		{ RENT, "E", "N2", NULL, NULL, NULL, NULL, NULL },
	};
	static const struct tpair lk[] = {
		{ 0, 1, 3.0 }, { 1, 2, 2.0 }, { 3, 4, 8.0 },
	};
	const struct cluster_refusal *rf;
	struct cluster_stats st;
	struct cluster *c = run_scored(t, 5, NULL, lk, 3, NULL, 0);
	size_t n;

	(void)state;
	assert_int_equal(cluster_count(c), 4);
	assert_true(together(c, CT, "A", HB, "B"));
	assert_false(together(c, HB, "B", CT, "C"));
	assert_false(together(c, RENT, "D", RENT, "E"));
	rf = cluster_refusals(c, &n);
	assert_int_equal(n, 2);
	/* Strongest first: D-E (8), then B-C (2). */
	assert_int_equal(rf[0].a, rec(c, RENT, "D"));
	assert_int_equal(rf[0].b, rec(c, RENT, "E"));
	assert_int_equal(rf[0].rule, CLUSTER_RULE_SCORED);
	assert_int_equal(rf[0].conflict, CLUSTER_CONFLICT_NINO);
	assert_int_equal(rf[0].feed, RENT);
	/* (feed, key) order: CT/C before HB/B. */
	assert_int_equal(rf[1].a, rec(c, CT, "C"));
	assert_int_equal(rf[1].b, rec(c, HB, "B"));
	assert_int_equal(rf[1].conflict, CLUSTER_CONFLICT_DOB);
	assert_int_equal(rf[1].feed, CT);
	assert_string_equal(cluster_rule_name(rf[1].rule), "scored");
	cluster_stats(c, &st);
	assert_int_equal(st.refused, 2);
	assert_int_equal(st.refused_cannot, 0);
	assert_int_equal(st.scored_links, 1);
	cluster_free(c);
}

static void
test_cannot_blocks_chain(void **state)
{
	/*
	 * A-B and B-C are scored links, A and C cannot link: the chain
	 * must break, and it breaks at the weaker link.
	 */
	static const struct trec t[] = {
		{ CT, "A", NULL, NULL, NULL, NULL, NULL, NULL },
		{ HB, "B", NULL, NULL, NULL, NULL, NULL, NULL },
		{ RENT, "C", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	static const struct tpair ab_strong[] = { { 0, 1, 5.0 },
	    { 1, 2, 2.0 } };
	static const struct tpair bc_strong[] = { { 0, 1, 2.0 },
	    { 1, 2, 5.0 } };
	static const struct tpair no[] = { { 2, 0, 0 } };
	const struct cluster_refusal *rf;
	struct cluster_stats st;
	struct cluster *c;
	size_t n;

	(void)state;
	/* Without the cannot-link, one resident of three. */
	c = run_scored(t, 3, NULL, ab_strong, 2, NULL, 0);
	assert_int_equal(cluster_count(c), 1);
	cluster_free(c);

	c = run_scored(t, 3, NULL, ab_strong, 2, no, 1);
	assert_int_equal(cluster_count(c), 2);
	assert_true(together(c, CT, "A", HB, "B"));
	assert_false(together(c, HB, "B", RENT, "C"));
	rf = cluster_refusals(c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(rf[0].a, rec(c, HB, "B"));
	assert_int_equal(rf[0].b, rec(c, RENT, "C"));
	assert_int_equal(rf[0].rule, CLUSTER_RULE_SCORED);
	assert_int_equal(rf[0].conflict, CLUSTER_CONFLICT_CANNOT);
	/* The pair that blocked it: A on B's side, C on the other. */
	assert_int_equal(rf[0].x, rec(c, CT, "A"));
	assert_int_equal(rf[0].y, rec(c, RENT, "C"));
	assert_int_equal(rf[0].feed, CT);
	cluster_stats(c, &st);
	assert_int_equal(st.refused_cannot, 1);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.scored_links, 1);
	assert_true(isnan(weight_of(c, RENT, "C")));
	cluster_free(c);

	/* The other link stronger: B goes with C instead. */
	c = run_scored(t, 3, NULL, bc_strong, 2, no, 1);
	assert_int_equal(cluster_count(c), 2);
	assert_true(together(c, HB, "B", RENT, "C"));
	assert_false(together(c, CT, "A", HB, "B"));
	rf = cluster_refusals(c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(rf[0].a, rec(c, CT, "A"));
	assert_int_equal(rf[0].b, rec(c, HB, "B"));
	assert_int_equal(rf[0].x, rec(c, CT, "A"));
	assert_int_equal(rf[0].y, rec(c, RENT, "C"));
	cluster_free(c);
}

static void
test_cannot_blocks_tokens(void **state)
{
	/*
	 * Strong-token unions respect cannot-links too. A, B and C share a
	 * NINO across feeds but A and B cannot link: B starts a resident
	 * of its own and C joins the first one, A's. D-E by NINO, E-F by
	 * name and DOB, D and F cannot link: F stays apart.
	 */
	static const struct trec t[] = {
		{ CT, "A", "N1", NULL, NULL, NULL, NULL, NULL },
		{ HB, "B", "N1", NULL, NULL, NULL, NULL, NULL },
		{ RENT, "C", "N1", NULL, NULL, NULL, NULL, NULL },
		{ CT, "D", "N2", NULL, NULL, NULL, NULL, NULL },
		{ HB, "E", "N2", "D1", "T1", NULL, NULL, NULL },
		{ ASC, "F", NULL, "D1", "T1", NULL, NULL, NULL },
	};
	static const struct tpair no[] = { { 1, 0, 0 }, { 3, 5, 0 },
	    { 5, 3, 0 } };
	static const struct tpair lk[] = { { 1, 2, 6.0 } };
	const struct cluster_refusal *rf;
	struct cluster_stats st;
	struct cluster *c;
	size_t n;

	(void)state;
	c = run_scored(t, 6, NULL, NULL, 0, no, 3);
	assert_int_equal(cluster_count(c), 4);
	assert_true(together(c, CT, "A", RENT, "C"));
	assert_false(together(c, CT, "A", HB, "B"));
	assert_true(together(c, CT, "D", HB, "E"));
	assert_false(together(c, HB, "E", ASC, "F"));
	assert_string_equal(rule_of(c, HB, "B"), "none");
	assert_string_equal(rule_of(c, ASC, "F"), "none");
	rf = cluster_refusals(c, &n);
	assert_int_equal(n, 2);
	assert_int_equal(rf[0].a, rec(c, CT, "A"));
	assert_int_equal(rf[0].b, rec(c, HB, "B"));
	assert_int_equal(rf[0].rule, PSEUDONYM_NINO_STEM);
	assert_int_equal(rf[0].conflict, CLUSTER_CONFLICT_CANNOT);
	assert_int_equal(rf[0].x, rec(c, CT, "A"));
	assert_int_equal(rf[0].y, rec(c, HB, "B"));
	assert_int_equal(rf[1].a, rec(c, HB, "E"));
	assert_int_equal(rf[1].b, rec(c, ASC, "F"));
	assert_int_equal(rf[1].rule, PSEUDONYM_NAME_DOB);
	assert_int_equal(rf[1].x, rec(c, CT, "D"));
	assert_int_equal(rf[1].y, rec(c, ASC, "F"));
	cluster_stats(c, &st);
	/* A repeated cannot-link (D-F, F-D) is one. */
	assert_int_equal(st.refused_cannot, 2);
	assert_int_equal(st.refused, 0);
	cluster_free(c);

	/* A scored link cannot bring B into A's resident either. */
	c = run_scored(t, 6, NULL, lk, 1, no, 3);
	assert_false(together(c, CT, "A", HB, "B"));
	cluster_stats(c, &st);
	assert_int_equal(st.refused_cannot, 3);
	assert_int_equal(st.scored_links, 0);
	cluster_free(c);
}

static void
test_link_bad_input(void **state)
{
	static const struct trec t[] = {
		{ CT, "A", NULL, NULL, NULL, NULL, NULL, NULL },
		{ HB, "B", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	struct cluster *c = cluster_new(3);
	struct err e;

	(void)state;
	add(c, &t[0]);
	add(c, &t[1]);
	err_clear(&e);
	assert_int_equal(cluster_add_link(c, 0, 2, 1.0, &e), ERR_DATA);
	assert_int_equal(cluster_add_link(c, 1, 1, 1.0, &e), ERR_DATA);
	assert_int_equal(cluster_add_link(c, 0, 1, NAN, &e), ERR_DATA);
	assert_int_equal(cluster_add_cannot_link(c, 5, 0, &e), ERR_DATA);
	assert_int_equal(cluster_add_cannot_link(c, 0, 0, &e), ERR_DATA);
	/* Infinite weights are weights; -0.0 is 0.0. */
	assert_int_equal(cluster_add_link(c, 0, 1, -INFINITY, &e), 0);
	assert_int_equal(cluster_add_link(c, 1, 0, -0.0, &e), 0);
	assert_int_equal(cluster_run(c, &e), 0);
	assert_int_equal(cluster_count(c), 1);
	assert_true(cluster_link_weight(c, 0) == 0.0);
	assert_false(signbit(cluster_link_weight(c, 0)));
	cluster_free(c);
}

/* No cannot-link pair shares a resident. */
static void
check_cannot(const struct cluster *c, const struct tpair *cl, size_t nc,
    const size_t *inv)
{
	size_t i;

	for (i = 0; i < nc; i++)
		assert_int_not_equal(cluster_of(c, inv[cl[i].a]),
		    cluster_of(c, inv[cl[i].b]));
}

static void
test_scored_shuffle_determinism(void **state)
{
	/*
	 * The synthetic records, plus scored links (a few weights only,
	 * so many ties) between records of one person and, now and then,
	 * of two, and cannot-links between records of different people.
	 */
	enum { N = 1200, PEOPLE = 400, NL = 2500, NC = 600 };
	static const double wts[] = { 1.0, 2.5, 2.5, 4.0, 7.0, 7.0, 7.0 };
	struct synth sy;
	struct tpair *lk, *cl;
	size_t perm[N], inv[N], who[N], i, j, t;
	uint64_t seed = 99, s2 = 5;
	struct cluster *c;
	struct cluster_stats st;
	char *first = NULL, *now;
	int round;

	(void)state;
	synth_make(&sy, N, PEOPLE, 11);
	/* A record's person: its name label is "T<person>". */
	for (i = 0; i < N; i++)
		who[i] = strtoul(sy.lab[i][2] + 1, NULL, 10);
	lk = calloc(NL, sizeof *lk);
	cl = calloc(NC, sizeof *cl);
	for (i = 0; i < NL; i++) {
		do {
			lk[i].a = (uint32_t)(rnd(&s2) % N);
			lk[i].b = (uint32_t)(rnd(&s2) % N);
		} while (lk[i].a == lk[i].b || (rnd(&s2) % 10 != 0 &&
		    who[lk[i].a] / 2 != who[lk[i].b] / 2));
		lk[i].w = wts[rnd(&s2) % 7];
	}
	for (i = 0; i < NC; i++) {
		do {
			cl[i].a = (uint32_t)(rnd(&s2) % N);
			cl[i].b = (uint32_t)(rnd(&s2) % N);
		} while (cl[i].a == cl[i].b ||
		    who[cl[i].a] == who[cl[i].b] ||
		    who[cl[i].a] / 2 != who[cl[i].b] / 2);
	}
	for (i = 0; i < N; i++)
		perm[i] = i;
	for (round = 0; round < 5; round++) {
		if (round > 0)
			for (i = N - 1; i > 0; i--) {
				j = rnd(&seed) % (i + 1);
				t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
		for (i = 0; i < N; i++)
			inv[perm[i]] = i;
		/* Links come in reverse on odd rounds, with a and b swapped. */
		if (round % 2 == 1) {
			for (i = 0; i < NL / 2; i++) {
				struct tpair x = lk[i];

				lk[i] = lk[NL - 1 - i];
				lk[NL - 1 - i] = x;
			}
			for (i = 0; i < NL; i++) {
				t = lk[i].a;
				lk[i].a = lk[i].b;
				lk[i].b = (uint32_t)t;
			}
		}
		c = run_scored(sy.t, N, perm, lk, NL, cl, NC);
		{
			uint64_t next = 1;
			struct err e;

			assert_int_equal(cluster_assign_ids(c, NULL, 0, &next,
			    &e), 0);
		}
		check_constraint(c, &sy, perm);
		check_cannot(c, cl, NC, inv);
		now = sorted_lines(describe(c));
		if (first == NULL) {
			cluster_stats(c, &st);
			/* The links did work and met resistance. */
			assert_true(st.scored_links > 50);
			assert_true(st.refused_cannot > 0);
			assert_true(st.refused > 0);
			first = now;
		} else {
			assert_string_equal(now, first);
			free(now);
		}
		cluster_free(c);
	}
	free(first);
	free(lk);
	free(cl);
	synth_free(&sy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nino_across_feeds),
		cmocka_unit_test(test_name_dob),
		cmocka_unit_test(test_transitive_chain),
		cmocka_unit_test(test_same_feed_different_nino),
		cmocka_unit_test(test_different_nino_other_feeds),
		cmocka_unit_test(test_twins_and_father_son),
		cmocka_unit_test(test_chain_refused),
		cmocka_unit_test(test_group_tries_later_residents),
		cmocka_unit_test(test_no_identity),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_shuffle_determinism),
		cmocka_unit_test(test_ids_unchanged),
		cmocka_unit_test(test_id_new_record_joins),
		cmocka_unit_test(test_id_merge),
		cmocka_unit_test(test_id_split),
		cmocka_unit_test(test_id_split_tie),
		cmocka_unit_test(test_id_second_choice),
		cmocka_unit_test(test_ids_all_new),
		cmocka_unit_test(test_ids_bad_prev),
		cmocka_unit_test(test_skip_rule),
		cmocka_unit_test(test_scored_links_join),
		cmocka_unit_test(test_link_weight),
		cmocka_unit_test(test_scored_order),
		cmocka_unit_test(test_scored_same_feed),
		cmocka_unit_test(test_cannot_blocks_chain),
		cmocka_unit_test(test_cannot_blocks_tokens),
		cmocka_unit_test(test_link_bad_input),
		cmocka_unit_test(test_scored_shuffle_determinism),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
