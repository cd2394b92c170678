/*
 * Tests for matchers/blockkey: candidate pairs from blocking keys. Records
 * are synthetic: blocking reads only tags, so the tests set tags to small
 * numbers directly (tag value v stands for "the v-th distinct value"),
 * and one test goes through compare_rec_build for a nickname pair.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matchers/blockkey.h"
#include "matchers/compare.h"
#include "matchers/normalize.h"

static void
set(struct compare_rec *r, enum compare_tag t, uint64_t v)
{
	r->tag[t] = v;
	r->have |= 1u << t;
}

/*
 * A record whose every blocking tag is unique to 'id' (values id * 100 +
 * tag), so it shares no key with another such record.
 */
static void
lonely(struct compare_rec *r, uint32_t id)
{
	int t;

	memset(r, 0, sizeof(*r));
	r->index = id;
	for (t = 0; t < COMPARE_TAG_COUNT; t++)
		if (t != COMPARE_T_SURNAME_DM_ALT &&
		    (t < COMPARE_T_NICK1 || t > COMPARE_T_NICK3))
			set(r, (enum compare_tag)t, (uint64_t)id * 100 + t);
	r->account = (uint64_t)id * 100 + 99;
	r->nrefs = 1;
	r->refs[0] = (uint64_t)id * 100 + 98;
}

static uint64_t *
run(const struct compare_rec *recs, size_t n, unsigned kinds, size_t cap,
    size_t *np, struct blockkey_stats *st)
{
	struct blockkey_opts o;
	uint64_t *pairs;
	struct err e;

	blockkey_opts_init(&o);
	o.kinds = kinds;
	o.max_block = cap;
	err_clear(&e);
	assert_int_equal(blockkey_pairs(recs, n, &o, &pairs, np, st, &e), 0);
	assert_non_null(pairs);
	return pairs;
}

/* Make records 0 and 1 share only what kind k needs. */
static void
share_kind(struct compare_rec r[2], enum blockkey_kind k)
{
	switch (k) {
	case BLOCKKEY_SURNAME_DM_YEAR:
		set(&r[1], COMPARE_T_SURNAME_DM, r[0].tag[COMPARE_T_SURNAME_DM]);
		set(&r[1], COMPARE_T_DOB_YEAR, r[0].tag[COMPARE_T_DOB_YEAR]);
		break;
	case BLOCKKEY_DOB:
		set(&r[1], COMPARE_T_DOB, r[0].tag[COMPARE_T_DOB]);
		break;
	case BLOCKKEY_POSTCODE_INITIAL:
		set(&r[1], COMPARE_T_POSTCODE, r[0].tag[COMPARE_T_POSTCODE]);
		set(&r[1], COMPARE_T_INITIAL, r[0].tag[COMPARE_T_INITIAL]);
		break;
	case BLOCKKEY_NINO:
		set(&r[1], COMPARE_T_NINO, r[0].tag[COMPARE_T_NINO]);
		break;
	case BLOCKKEY_UPRN:
		set(&r[1], COMPARE_T_UPRN, r[0].tag[COMPARE_T_UPRN]);
		break;
	case BLOCKKEY_NICKNAME_SURNAME:
		set(&r[1], COMPARE_T_NICK0, r[0].tag[COMPARE_T_NICK0]);
		set(&r[1], COMPARE_T_SURNAME, r[0].tag[COMPARE_T_SURNAME]);
		break;
	case BLOCKKEY_ACCOUNT:
		r[1].account = r[0].account;
		break;
	case BLOCKKEY_DEBT_REF:
		/* A notice naming the other's debt among others. */
		r[1].refs[r[1].nrefs++] = r[0].refs[0];
		break;
	default:
		fail();
	}
}

/* Each kind finds its pair alone, and only that kind does. */
static void
test_each_kind_finds_pair(void **state)
{
	struct compare_rec r[3];
	struct blockkey_stats st;
	uint64_t *p;
	size_t np;
	int k;

	(void)state;
	for (k = 0; k < BLOCKKEY_KINDS; k++) {
		lonely(&r[0], 0);
		lonely(&r[1], 1);
		lonely(&r[2], 2);
		share_kind(r, (enum blockkey_kind)k);
		p = run(r, 3, 1u << k, 200, &np, &st);
		assert_int_equal(np, 1);
		assert_true(p[0] == ((uint64_t)0 << 32 | 1));
		assert_int_equal(blockkey_pair_a(p[0]), 0);
		assert_int_equal(blockkey_pair_b(p[0]), 1);
		assert_int_equal(st.kind[k].blocks, 1);
		assert_int_equal(st.kind[k].pairs, 1);
		free(p);
		p = run(r, 3, BLOCKKEY_ALL & ~(1u << k), 200, &np, &st);
		assert_int_equal(np, 0);
		free(p);
		p = run(r, 3, BLOCKKEY_ALL, 200, &np, &st);
		assert_int_equal(np, 1);
		free(p);
		assert_string_not_equal(blockkey_kind_name(
		    (enum blockkey_kind)k), "?");
	}
	assert_string_equal(blockkey_kind_name(BLOCKKEY_KINDS), "?");
}

/* A pair found by several kinds is returned once. */
static void
test_repeats_removed(void **state)
{
	struct compare_rec r[2];
	struct blockkey_stats st;
	uint64_t *p;
	size_t np;
	int k;

	(void)state;
	lonely(&r[0], 0);
	lonely(&r[1], 1);
	for (k = 0; k < BLOCKKEY_KINDS; k++)
		share_kind(r, (enum blockkey_kind)k);
	p = run(r, 2, BLOCKKEY_ALL, 200, &np, &st);
	assert_int_equal(np, 1);
	assert_int_equal(st.pairs, 1);
	assert_int_equal(st.pairs_raw, BLOCKKEY_KINDS);
	free(p);
}

/* Alternate phonetic codes and every nickname form meet. */
static void
test_multi_keys(void **state)
{
	struct compare_rec r[2];
	struct blockkey_stats st;
	uint64_t keys[BLOCKKEY_KEYS_MAX], *p;
	size_t np;

	(void)state;
	lonely(&r[0], 0);
	lonely(&r[1], 1);
	set(&r[0], COMPARE_T_SURNAME_DM_ALT, 777);
	set(&r[1], COMPARE_T_SURNAME_DM, 777);
	set(&r[1], COMPARE_T_DOB_YEAR, r[0].tag[COMPARE_T_DOB_YEAR]);
	assert_int_equal(blockkey_keys(&r[0], BLOCKKEY_SURNAME_DM_YEAR, keys),
	    2);
	p = run(r, 2, 1u << BLOCKKEY_SURNAME_DM_YEAR, 200, &np, &st);
	assert_int_equal(np, 1);
	free(p);

	lonely(&r[0], 0);
	lonely(&r[1], 1);
	set(&r[0], COMPARE_T_NICK2, 555);
	set(&r[1], COMPARE_T_NICK0, 555);
	set(&r[1], COMPARE_T_SURNAME, r[0].tag[COMPARE_T_SURNAME]);
	assert_int_equal(blockkey_keys(&r[0], BLOCKKEY_NICKNAME_SURNAME,
	    keys), 2);
	p = run(r, 2, 1u << BLOCKKEY_NICKNAME_SURNAME, 200, &np, &st);
	assert_int_equal(np, 1);
	free(p);
	/* A record without a surname has no nickname key. */
	r[0].have &= ~(1u << COMPARE_T_SURNAME);
	assert_int_equal(blockkey_keys(&r[0], BLOCKKEY_NICKNAME_SURNAME,
	    keys), 0);
}

/* A block over the cap is skipped and counted; smaller ones are kept. */
static void
test_cap(void **state)
{
	enum { BIG = 250, SMALL = 5 };
	struct compare_rec *r;
	struct blockkey_stats st;
	struct blockkey_kind_stats *ks = &st.kind[BLOCKKEY_DOB];
	uint64_t *p;
	size_t i, np;

	(void)state;
	r = calloc(BIG + SMALL, sizeof(*r));
	for (i = 0; i < BIG + SMALL; i++) {
		lonely(&r[i], (uint32_t)i);
		set(&r[i], COMPARE_T_DOB, i < BIG ? 1 : 2);
	}
	p = run(r, BIG + SMALL, BLOCKKEY_ALL, 200, &np, &st);
	assert_int_equal(np, SMALL * (SMALL - 1) / 2);
	assert_int_equal(ks->blocks, 1);
	assert_int_equal(ks->pairs, SMALL * (SMALL - 1) / 2);
	assert_int_equal(ks->capped_blocks, 1);
	assert_int_equal(ks->capped_pairs, BIG * (BIG - 1) / 2);
	assert_int_equal(ks->largest, BIG);
	assert_int_equal(ks->keys, BIG + SMALL);
	for (i = 0; i < np; i++)
		assert_true(blockkey_pair_a(p[i]) >= BIG);
	free(p);
	/* At the cap exactly, the block is kept. */
	p = run(r, BIG + SMALL, BLOCKKEY_ALL, BIG, &np, &st);
	assert_int_equal(np, BIG * (BIG - 1) / 2 + SMALL * (SMALL - 1) / 2);
	assert_int_equal(ks->capped_blocks, 0);
	free(p);
	free(r);
}

/*
 * Against brute force: random records over small value sets; the result
 * is sorted, without repeats, a < b, and exactly the pairs sharing a key
 * of some kind.
 */
static void
test_brute_force(void **state)
{
	enum { N = 400 };
	static struct compare_rec r[N];
	uint64_t ka[BLOCKKEY_KEYS_MAX], kb[BLOCKKEY_KEYS_MAX], *p;
	struct blockkey_stats st;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	size_t i, j, na, nb, x, y, np, want = 0, at = 0;
	bool hit;
	int k, t;

	(void)state;
	for (i = 0; i < N; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		for (t = 0; t < COMPARE_TAG_COUNT; t++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			/* Present four times in five, over 40 values. */
			if (rng % 5 != 0)
				set(&r[i], (enum compare_tag)t,
				    (rng >> 8) % 40);
		}
	}
	p = run(r, N, BLOCKKEY_ALL, N, &np, &st);
	for (i = 1; i < np; i++)
		assert_true(p[i - 1] < p[i]);
	for (i = 0; i < N; i++) {
		for (j = i + 1; j < N; j++) {
			hit = false;
			for (k = 0; k < BLOCKKEY_KINDS && !hit; k++) {
				na = blockkey_keys(&r[i], (enum blockkey_kind)k,
				    ka);
				nb = blockkey_keys(&r[j], (enum blockkey_kind)k,
				    kb);
				for (x = 0; x < na && !hit; x++)
					for (y = 0; y < nb && !hit; y++)
						hit = ka[x] == kb[y];
			}
			if (!hit)
				continue;
			want++;
			assert_true(at < np);
			assert_true(p[at] == ((uint64_t)i << 32 | j));
			at++;
		}
	}
	assert_int_equal(np, want);
	assert_int_equal(st.pairs, want);
	assert_true(st.pairs_raw >= want);
	assert_true(want > 1000);
	free(p);
}

/* Options out of range, and no records at all. */
static void
test_options_and_empty(void **state)
{
	struct blockkey_opts o;
	struct compare_rec r;
	uint64_t *p;
	size_t np;
	struct err e;

	(void)state;
	lonely(&r, 0);
	err_clear(&e);
	blockkey_opts_init(&o);
	assert_int_equal(o.max_block, BLOCKKEY_MAX_BLOCK);
	o.max_block = 1;
	assert_int_equal(blockkey_pairs(&r, 1, &o, &p, &np, NULL, &e),
	    ERR_CONFIG);
	blockkey_opts_init(&o);
	o.kinds = 0;
	assert_int_equal(blockkey_pairs(&r, 1, &o, &p, &np, NULL, &e),
	    ERR_CONFIG);
	o.kinds = 1u << BLOCKKEY_KINDS;
	assert_int_equal(blockkey_pairs(&r, 1, &o, &p, &np, NULL, &e),
	    ERR_CONFIG);
	blockkey_opts_init(&o);
	assert_int_equal(blockkey_pairs(NULL, 0, &o, &p, &np, NULL, &e), 0);
	assert_non_null(p);
	assert_int_equal(np, 0);
	free(p);
}

/* Through the builder: Bill and William Brown meet by nickname. */
static void
test_nickname_via_builder(void **state)
{
	static const unsigned char key[PSEUDONYM_KEY_LEN] =
	    "test key A, never used for data";
	static const char *const fn[3] = { "BILL", "WILLIAM", "WALTER" };
	unsigned char tok[PSEUDONYM_PURPOSE_COUNT][PSEUDONYM_TOKEN_LEN];
	struct compare_rec r[3];
	struct compare_source src;
	struct encode_params ep;
	struct pseudonym *ps;
	struct encode *en;
	struct name_norm nm;
	uint64_t *p;
	size_t i, np;
	struct err e;

	(void)state;
	err_clear(&e);
	ps = pseudonym_new(key, &e);
	assert_non_null(ps);
	encode_params_default(ENCODE_NAME, &ep);
	en = encode_new(ps, ENCODE_NAME, &ep, &e);
	assert_non_null(en);
	for (i = 0; i < 3; i++) {
		normalize_name(NULL, fn[i], NULL, "BROWN", &nm);
		memset(tok, 0, sizeof(tok));
		assert_int_equal(pseudonym_token(ps, PSEUDONYM_SURNAME,
		    "BROWN", 5, tok[PSEUDONYM_SURNAME]), 0);
		assert_int_equal(pseudonym_token(ps, PSEUDONYM_FORENAME,
		    fn[i], strlen(fn[i]), tok[PSEUDONYM_FORENAME]), 0);
		src = (struct compare_source){ 0, (uint32_t)i,
		    1u << PSEUDONYM_SURNAME | 1u << PSEUDONYM_FORENAME, tok,
		    &nm, NULL, NULL, 0, 0, NULL, 0, false };
		assert_int_equal(compare_rec_build(ps, en, &src, &r[i], &e),
		    0);
	}
	p = run(r, 3, 1u << BLOCKKEY_NICKNAME_SURNAME, 200, &np, NULL);
	assert_int_equal(np, 1);
	assert_true(p[0] == ((uint64_t)0 << 32 | 1));
	free(p);
	encode_free(en);
	pseudonym_free(ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_kind_finds_pair),
		cmocka_unit_test(test_repeats_removed),
		cmocka_unit_test(test_multi_keys),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_brute_force),
		cmocka_unit_test(test_options_and_empty),
		cmocka_unit_test(test_nickname_via_builder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
