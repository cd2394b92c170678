/*
 * Tests for matchers/pseudonym under the test-only key in
 * fixtures/keys/test.key (run from the repository root).
 *
 * The expected tokens were computed once, outside svod, with the OpenSSL
 * command line, and checked again with Python's hmac module:
 *
 *   K=$(cat fixtures/keys/test.key)
 *   DK=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:$K \
 *       -kdfopt 'salt:svod pseudonym hkdf salt 2025' \
 *       -kdfopt info:svod/surname/v1 HKDF | tr -d : | tr A-F a-f)
 *   printf 'SMITH' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$DK
 *
 * and the first 32 hex characters kept. The composite case feeds the
 * length-prefixed encoding by hand:
 *   printf '\0\0\0\4JOHN\0\0\0\5SMITH\0\0\0\n1980-03-05'
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "etl/keyfile.h"
#include "matchers/pseudonym.h"

#define TEST_KEY_PATH "fixtures/keys/test.key"

/*
 * Load the test key. Git does not keep mode 0600, so copy the fixture to
 * a private temporary file first; keyfile_load then checks it as usual.
 */
static void
load_test_key(unsigned char key[KEYFILE_KEY_LEN])
{
	char tmp[] = "/tmp/svod-testkey-XXXXXX";
	char buf[256];
	struct err e;
	FILE *in;
	size_t n;
	int fd;

	in = fopen(TEST_KEY_PATH, "rb");
	if (in == NULL)
		fail_msg("cannot open %s (run from the repository root)",
		    TEST_KEY_PATH);
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
	err_clear(&e);
	assert_int_equal(keyfile_load(tmp, key, &e), 0);
	unlink(tmp);
}

static int
setup(void **state)
{
	unsigned char key[KEYFILE_KEY_LEN];
	struct err e;

	load_test_key(key);
	err_clear(&e);
	*state = pseudonym_new(key, &e);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	pseudonym_free(*state);
	return 0;
}

static void
tok_hex(struct pseudonym *ps, enum pseudonym_purpose p, const char *s,
    char hex[PSEUDONYM_HEX_LEN + 1])
{
	unsigned char tok[PSEUDONYM_TOKEN_LEN];

	assert_int_equal(pseudonym_token(ps, p, s, strlen(s), tok), 0);
	pseudonym_hex(tok, hex);
}

static void
test_known_vectors(void **state)
{
	struct pseudonym *ps = *state;
	char hex[PSEUDONYM_HEX_LEN + 1];
	int pass;

	/* Twice: once computed, once (for cached purposes) from the cache. */
	for (pass = 0; pass < 2; pass++) {
		tok_hex(ps, PSEUDONYM_SURNAME, "SMITH", hex);
		assert_string_equal(hex, "0d885217e28db251a223fe491674552e");
		tok_hex(ps, PSEUDONYM_NINO_STEM, "AB123456", hex);
		assert_string_equal(hex, "a4a4444f39f1661ec63c5e004c5f7eba");
		tok_hex(ps, PSEUDONYM_SURNAME, "", hex);
		assert_string_equal(hex, "f4b0d7b202c4f39bf4abbe7ee818059d");
	}
}

static void
test_known_composite(void **state)
{
	struct pseudonym *ps = *state;
	struct pseudonym_part parts[3] = {
		{ "JOHN", 4 }, { "SMITH", 5 }, { "1980-03-05", 10 }
	};
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
	char hex[PSEUDONYM_HEX_LEN + 1];

	assert_int_equal(pseudonym_token_parts(ps, PSEUDONYM_NAME_DOB, parts,
	    3, tok), 0);
	pseudonym_hex(tok, hex);
	assert_string_equal(hex, "72660abe7157e334b705e9fe1d2aa4d7");
}

static void
test_same_input_same_token(void **state)
{
	struct pseudonym *ps = *state;
	char a[PSEUDONYM_HEX_LEN + 1], b[PSEUDONYM_HEX_LEN + 1];
	unsigned char key[KEYFILE_KEY_LEN];
	struct pseudonym *ps2;
	struct err e;

	tok_hex(ps, PSEUDONYM_NHS_NUMBER, "9434765919", a);
	tok_hex(ps, PSEUDONYM_NHS_NUMBER, "9434765919", b);
	assert_string_equal(a, b);
	/* A second object from the same key agrees. */
	load_test_key(key);
	ps2 = pseudonym_new(key, &e);
	assert_non_null(ps2);
	tok_hex(ps2, PSEUDONYM_NHS_NUMBER, "9434765919", b);
	assert_string_equal(a, b);
	/* A different key does not. */
	key[0] ^= 0x80;
	pseudonym_free(ps2);
	ps2 = pseudonym_new(key, &e);
	assert_non_null(ps2);
	tok_hex(ps2, PSEUDONYM_NHS_NUMBER, "9434765919", b);
	assert_string_not_equal(a, b);
	pseudonym_free(ps2);
}

/*
 * Each purpose has its own derived key: the same bytes under every
 * purpose give pairwise different tokens (for both the empty input and a
 * typical one).
 */
static void
test_purposes_differ(void **state)
{
	static const char *const inputs[] = { "", "WS1 2AB" };
	struct pseudonym *ps = *state;
	char hex[PSEUDONYM_PURPOSE_COUNT][PSEUDONYM_HEX_LEN + 1];
	size_t k;
	int i, j;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < PSEUDONYM_PURPOSE_COUNT; i++)
			tok_hex(ps, (enum pseudonym_purpose)i, inputs[k],
			    hex[i]);
		for (i = 0; i < PSEUDONYM_PURPOSE_COUNT; i++)
			for (j = i + 1; j < PSEUDONYM_PURPOSE_COUNT; j++)
				assert_string_not_equal(hex[i], hex[j]);
	}
}

static void
test_purpose_names(void **state)
{
	int i, j;

	(void)state;
	assert_string_equal(pseudonym_purpose_name(PSEUDONYM_NINO_STEM),
	    "nino_stem");
	assert_string_equal(pseudonym_purpose_name(PSEUDONYM_RECORD),
	    "record");
	assert_string_equal(pseudonym_purpose_name(PSEUDONYM_PURPOSE_COUNT),
	    "?");
	for (i = 0; i < PSEUDONYM_PURPOSE_COUNT; i++)
		for (j = i + 1; j < PSEUDONYM_PURPOSE_COUNT; j++)
			assert_string_not_equal(
			    pseudonym_purpose_name((enum pseudonym_purpose)i),
			    pseudonym_purpose_name((enum pseudonym_purpose)j));
}

static void
parts_hex(struct pseudonym *ps, const char *a, const char *b,
    char hex[PSEUDONYM_HEX_LEN + 1])
{
	struct pseudonym_part parts[2];
	unsigned char tok[PSEUDONYM_TOKEN_LEN];

	parts[0].data = a;
	parts[0].len = strlen(a);
	parts[1].data = b;
	parts[1].len = strlen(b);
	assert_int_equal(pseudonym_token_parts(ps, PSEUDONYM_RECORD, parts, 2,
	    tok), 0);
	pseudonym_hex(tok, hex);
}

static void
test_composite_unambiguous(void **state)
{
	struct pseudonym *ps = *state;
	char h1[PSEUDONYM_HEX_LEN + 1], h2[PSEUDONYM_HEX_LEN + 1];
	char h3[PSEUDONYM_HEX_LEN + 1], h4[PSEUDONYM_HEX_LEN + 1];
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
	struct pseudonym_part one = { "ABC", 3 };

	parts_hex(ps, "AB", "C", h1);
	parts_hex(ps, "A", "BC", h2);
	parts_hex(ps, "ABC", "", h3);
	parts_hex(ps, "", "ABC", h4);
	assert_string_not_equal(h1, h2);
	assert_string_not_equal(h1, h3);
	assert_string_not_equal(h3, h4);
	assert_string_not_equal(h2, h4);
	/* A one-part composite is not the plain token of the same bytes. */
	assert_int_equal(pseudonym_token_parts(ps, PSEUDONYM_RECORD, &one, 1,
	    tok), 0);
	pseudonym_hex(tok, h1);
	tok_hex(ps, PSEUDONYM_RECORD, "ABC", h2);
	assert_string_not_equal(h1, h2);
}

/* A composite too big for the stack buffer streams, with the same token. */
static void
test_composite_long(void **state)
{
	struct pseudonym *ps = *state;
	static char big[2000];
	struct pseudonym_part parts[2];
	unsigned char t1[PSEUDONYM_TOKEN_LEN], t2[PSEUDONYM_TOKEN_LEN];
	unsigned char *flat;
	size_t n = sizeof(big);

	memset(big, 'Q', n);
	parts[0].data = "X";
	parts[0].len = 1;
	parts[1].data = big;
	parts[1].len = n;
	assert_int_equal(pseudonym_token_parts(ps, PSEUDONYM_RECORD, parts, 2,
	    t1), 0);
	/* The same encoding built by hand and hashed in one piece. */
	flat = malloc(4 + 1 + 4 + n);
	assert_non_null(flat);
	memcpy(flat, "\0\0\0\1X", 5);
	flat[5] = 0;
	flat[6] = 0;
	flat[7] = (unsigned char)(n >> 8);
	flat[8] = (unsigned char)n;
	memcpy(flat + 9, big, n);
	assert_int_equal(pseudonym_token(ps, PSEUDONYM_RECORD, flat, 9 + n,
	    t2), 0);
	assert_memory_equal(t1, t2, PSEUDONYM_TOKEN_LEN);
	free(flat);
}

/*
 * The cache must be invisible: over many inputs (more than the cache
 * holds, so entries are evicted, plus inputs too long to cache), cached
 * and uncached tokens agree, in any order of first and repeated use.
 */
static void
test_cache_transparent(void **state)
{
	struct pseudonym *ps = *state;
	unsigned char t1[PSEUDONYM_TOKEN_LEN], t2[PSEUDONYM_TOKEN_LEN];
	static const enum pseudonym_purpose purposes[] = {
		PSEUDONYM_POSTCODE, PSEUDONYM_SURNAME, PSEUDONYM_DOB_DAY,
		PSEUDONYM_NINO_STEM
	};
	char in[64];
	size_t k;
	int i, pass, len;

	for (pass = 0; pass < 3; pass++) {
		for (k = 0; k < 4; k++) {
			for (i = 0; i < 20000; i++) {
				/* Mostly short; every 97th too long to cache. */
				len = snprintf(in, sizeof(in),
				    i % 97 == 0 ? "LONG-INPUT-%d-%040d" :
				    "V%d", (i * 7919) % 9000, i);
				pseudonym_set_cache(ps, true);
				assert_int_equal(pseudonym_token(ps,
				    purposes[k], in, (size_t)len, t1), 0);
				if (i % 5 == pass) {
					/* Repeat from cache. */
					assert_int_equal(pseudonym_token(ps,
					    purposes[k], in, (size_t)len,
					    t2), 0);
					assert_memory_equal(t1, t2,
					    PSEUDONYM_TOKEN_LEN);
				}
			}
		}
	}
	/* Compare against a fresh uncached pass. */
	for (k = 0; k < 4; k++) {
		for (i = 0; i < 5000; i++) {
			len = snprintf(in, sizeof(in), "V%d", i);
			pseudonym_set_cache(ps, true);
			assert_int_equal(pseudonym_token(ps, purposes[k], in,
			    (size_t)len, t1), 0);
			pseudonym_set_cache(ps, false);
			assert_int_equal(pseudonym_token(ps, purposes[k], in,
			    (size_t)len, t2), 0);
			assert_memory_equal(t1, t2, PSEUDONYM_TOKEN_LEN);
		}
	}
	pseudonym_set_cache(ps, true);
}

static void
test_hex(void **state)
{
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
	char hex[PSEUDONYM_HEX_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tok); i++)
		tok[i] = (unsigned char)(i * 17 + 10);
	pseudonym_hex(tok, hex);
	assert_string_equal(hex, "0a1b2c3d4e5f708192a3b4c5d6e7f809");
}

static void
test_bad_purpose(void **state)
{
	struct pseudonym *ps = *state;
	unsigned char tok[PSEUDONYM_TOKEN_LEN];

	assert_int_equal(pseudonym_token(ps, PSEUDONYM_PURPOSE_COUNT, "x", 1,
	    tok), ERR_SOFTWARE);
	assert_int_equal(pseudonym_token_parts(ps, PSEUDONYM_PURPOSE_COUNT,
	    NULL, 0, tok), ERR_SOFTWARE);
	pseudonym_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_known_composite),
		cmocka_unit_test(test_same_input_same_token),
		cmocka_unit_test(test_purposes_differ),
		cmocka_unit_test(test_purpose_names),
		cmocka_unit_test(test_composite_unambiguous),
		cmocka_unit_test(test_composite_long),
		cmocka_unit_test(test_cache_transparent),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_bad_purpose),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
