#include "matchers/encode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "etl/xalloc.h"

/*
 * MAC inputs, part of the encoding format. Positions of bigram (a, b):
 * tokens of the 4 bytes 'B' a b j, for blocks j = 0, 1, ..., each token's
 * 16 bytes read as four 32-bit big-endian words, each word mod m one
 * position. The permutation of a balanced filter: tokens of 'P' and a
 * 32-bit big-endian block number, read the same way, drive a Fisher-Yates
 * shuffle. The two input forms differ in the first byte, so they never
 * meet. A symbol enters a MAC input as its canonical byte: '_' for the
 * boundary, the upper-case letter or digit, 0x80 + bucket for the others.
 *
 * Positions are independent random values per bigram ("random hashing"),
 * not the double hashing g1 + i * g2 of Schnell et al. 2009: the
 * arithmetic progressions of double hashing are what Niedermeyer et al.
 * 2014 used to peel bigrams out of filters. As the table is built once,
 * independence costs nothing at encoding time.
 */
#define WORDS_PER_TOKEN	(PSEUDONYM_TOKEN_LEN / 4)

#define SYM_BOUNDARY	0
#define SYM_LETTER0	1
#define SYM_DIGIT0	27
#define SYM_HIGH0	37

struct encode {
	struct encode_params p;		/* as given to encode_new */
	size_t	 fwords;	/* words of the plain m-bit filter */
	size_t	 owords;	/* words of the output filter */
	/*
	 * k positions per bigram, at [(a * ENCODE_SYMBOLS + b) * k]: in the
	 * plain filter, or for a balanced one in the permuted 2m bits.
	 */
	uint16_t *set;
	/* Balanced only: the k permuted positions of the negated bits. */
	uint16_t *clear;
	/* Balanced only: the encoding of nothing, all negated bits set. */
	uint64_t *base;
	unsigned long macs;	/* MACs computed by encode_new */
};

/* The symbol of byte 'c'; see ENCODE_SYMBOLS in the header. */
static unsigned
sym_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return SYM_LETTER0 + (unsigned)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return SYM_LETTER0 + (unsigned)(c - 'a');
	if (c >= '0' && c <= '9')
		return SYM_DIGIT0 + (unsigned)(c - '0');
	if (c >= 0x80)
		return SYM_HIGH0 + (c & 0x3f);
	return SYM_BOUNDARY;
}

/* The byte that stands for symbol 's' in MAC inputs. */
static unsigned char
sym_byte(unsigned s)
{
	if (s == SYM_BOUNDARY)
		return '_';
	if (s < SYM_DIGIT0)
		return (unsigned char)('A' + s - SYM_LETTER0);
	if (s < SYM_HIGH0)
		return (unsigned char)('0' + s - SYM_DIGIT0);
	return (unsigned char)(0x80 + s - SYM_HIGH0);
}

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One MAC of 'in' under the field's key, as four 32-bit words. */
static int
mac_words(struct encode *en, struct pseudonym *ps,
    enum pseudonym_purpose purpose, const unsigned char *in, size_t len,
    uint32_t w[WORDS_PER_TOKEN], struct err *e)
{
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
	int i;

	if (pseudonym_token(ps, purpose, in, len, tok) != 0)
		return pseudonym_last_error(ps, e);
	en->macs++;
	for (i = 0; i < WORDS_PER_TOKEN; i++)
		w[i] = get_be32(tok + 4 * i);
	OPENSSL_cleanse(tok, sizeof(tok));
	return 0;
}

/*
 * Keyed permutation of 0..n-1 into 'perm' (Fisher-Yates). The modulo bias
 * is below n / 2^32, under 2e-6 for n = 8192: irrelevant here.
 */
static int
make_permutation(struct encode *en, struct pseudonym *ps,
    enum pseudonym_purpose purpose, uint16_t *perm, unsigned n,
    struct err *e)
{
	unsigned char in[5];
	uint32_t w[WORDS_PER_TOKEN];
	uint32_t block = 0;
	unsigned i, j, used = WORDS_PER_TOKEN;
	uint16_t t;
	int rc;

	for (i = 0; i < n; i++)
		perm[i] = (uint16_t)i;
	in[0] = 'P';
	for (i = n - 1; i > 0; i--) {
		if (used == WORDS_PER_TOKEN) {
			in[1] = (unsigned char)(block >> 24);
			in[2] = (unsigned char)(block >> 16);
			in[3] = (unsigned char)(block >> 8);
			in[4] = (unsigned char)block;
			block++;
			if ((rc = mac_words(en, ps, purpose, in, sizeof(in), w,
			    e)) != 0)
				return rc;
			used = 0;
		}
		j = w[used++] % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	return 0;
}

/* The k positions of every bigram in the plain m-bit filter. */
static int
make_positions(struct encode *en, struct pseudonym *ps,
    enum pseudonym_purpose purpose, struct err *e)
{
	unsigned char in[4];
	uint32_t w[WORDS_PER_TOKEN];
	unsigned a, b, j, k = en->p.k;
	uint16_t *pos;
	int rc;

	in[0] = 'B';
	for (a = 0; a < ENCODE_SYMBOLS; a++) {
		for (b = 0; b < ENCODE_SYMBOLS; b++) {
			pos = en->set + ((size_t)a * ENCODE_SYMBOLS + b) * k;
			in[1] = sym_byte(a);
			in[2] = sym_byte(b);
			for (j = 0; j < k; j++) {
				if (j % WORDS_PER_TOKEN == 0) {
					in[3] = (unsigned char)
					    (j / WORDS_PER_TOKEN);
					if ((rc = mac_words(en, ps, purpose,
					    in, sizeof(in), w, e)) != 0)
						return rc;
				}
				pos[j] = (uint16_t)(w[j % WORDS_PER_TOKEN] %
				    en->p.bits);
			}
		}
	}
	return 0;
}

/*
 * A balanced filter is plain bits 0..m-1 then negated bits m..2m-1, both
 * permuted. Bit p of the plain filter set means permuted bit perm[p] set
 * and perm[m + p] clear; so the encoding of nothing (base) has the
 * perm[m + p] set, and each bigram position p becomes the pair (perm[p],
 * perm[m + p]). A set and a clear never hit the same bit, as perm is a
 * bijection, so encoding stays a sequence of independent bit operations.
 */
static int
make_balanced(struct encode *en, struct pseudonym *ps,
    enum pseudonym_purpose purpose, struct err *e)
{
	size_t i, n = (size_t)ENCODE_SYMBOLS * ENCODE_SYMBOLS * en->p.k;
	unsigned m = en->p.bits, p;
	uint16_t *perm;
	int rc;

	perm = xcalloc(2 * (size_t)m, sizeof(*perm));
	if ((rc = make_permutation(en, ps, purpose, perm, 2 * m, e)) != 0)
		goto out;
	en->clear = xcalloc(n, sizeof(*en->clear));
	en->base = xcalloc(en->owords, sizeof(*en->base));
	for (p = 0; p < m; p++)
		en->base[perm[m + p] / 64] |= (uint64_t)1 << (perm[m + p] % 64);
	for (i = 0; i < n; i++) {
		p = en->set[i];
		en->set[i] = perm[p];
		en->clear[i] = perm[m + p];
	}
out:
	OPENSSL_cleanse(perm, 2 * (size_t)m * sizeof(*perm));
	free(perm);
	return rc;
}

void
encode_params_default(enum encode_field field, struct encode_params *p)
{
	if (field == ENCODE_ADDRESS) {
		p->bits = ENCODE_ADDRESS_BITS;
		p->k = ENCODE_ADDRESS_K;
	} else {
		p->bits = ENCODE_NAME_BITS;
		p->k = ENCODE_NAME_K;
	}
	p->flags = ENCODE_BALANCED;
}

struct encode *
encode_new(struct pseudonym *ps, enum encode_field field,
    const struct encode_params *p, struct err *e)
{
	enum pseudonym_purpose purpose;
	struct encode *en;

	if (field != ENCODE_NAME && field != ENCODE_ADDRESS) {
		err_set(e, ERR_CONFIG, "unknown Bloom filter field %d",
		    (int)field);
		return NULL;
	}
	if (p->bits < 128 || p->bits > ENCODE_MAX_BITS || p->bits % 128 != 0 ||
	    p->k < 1 || p->k > ENCODE_MAX_K ||
	    (p->flags & ~(unsigned)(ENCODE_BALANCED | ENCODE_XOR_FOLD)) != 0 ||
	    p->flags == (ENCODE_BALANCED | ENCODE_XOR_FOLD)) {
		err_set(e, ERR_CONFIG, "bad Bloom filter parameters m=%u k=%u "
		    "flags=%#x", p->bits, p->k, p->flags);
		err_hint(e, "m is a multiple of 128 up to %d, k is 1..%d, and "
		    "balancing and XOR-folding exclude each other",
		    ENCODE_MAX_BITS, ENCODE_MAX_K);
		return NULL;
	}
	purpose = field == ENCODE_ADDRESS ? PSEUDONYM_BLOOM_ADDRESS :
	    PSEUDONYM_BLOOM_NAME;
	en = xcalloc(1, sizeof(*en));
	en->p = *p;
	en->fwords = p->bits / 64;
	if (p->flags & ENCODE_BALANCED)
		en->owords = 2 * en->fwords;
	else if (p->flags & ENCODE_XOR_FOLD)
		en->owords = en->fwords / 2;
	else
		en->owords = en->fwords;
	en->set = xcalloc((size_t)ENCODE_SYMBOLS * ENCODE_SYMBOLS * p->k,
	    sizeof(*en->set));
	if (make_positions(en, ps, purpose, e) != 0)
		goto fail;
	if ((p->flags & ENCODE_BALANCED) &&
	    make_balanced(en, ps, purpose, e) != 0)
		goto fail;
	return en;
fail:
	encode_free(en);
	return NULL;
}

void
encode_free(struct encode *en)
{
	size_t n;

	if (en == NULL)
		return;
	/* The table is as secret as the key it came from. */
	n = (size_t)ENCODE_SYMBOLS * ENCODE_SYMBOLS * en->p.k;
	OPENSSL_cleanse(en->set, n * sizeof(*en->set));
	free(en->set);
	if (en->clear != NULL) {
		OPENSSL_cleanse(en->clear, n * sizeof(*en->clear));
		free(en->clear);
		OPENSSL_cleanse(en->base, en->owords * sizeof(*en->base));
		free(en->base);
	}
	OPENSSL_cleanse(en, sizeof(*en));
	free(en);
}

static void
set_bits(uint64_t *f, const uint16_t *pos, unsigned k)
{
	unsigned j;

	for (j = 0; j < k; j++)
		f[pos[j] / 64] |= (uint64_t)1 << (pos[j] % 64);
}

static void
clear_bits(uint64_t *f, const uint16_t *pos, unsigned k)
{
	unsigned j;

	for (j = 0; j < k; j++)
		f[pos[j] / 64] &= ~((uint64_t)1 << (pos[j] % 64));
}

/* OR in one bigram's positions (and clear its negated ones). Returns 1. */
static size_t
add_bigram(const struct encode *en, uint64_t *f, unsigned a, unsigned b)
{
	size_t at = ((size_t)a * ENCODE_SYMBOLS + b) * en->p.k;

	set_bits(f, en->set + at, en->p.k);
	if (en->clear != NULL)
		clear_bits(f, en->clear + at, en->p.k);
	return 1;
}

size_t
encode_bytes(const struct encode *en, const char *s, size_t len,
    uint64_t *out)
{
	uint64_t plain[ENCODE_MAX_BITS / 64];
	uint64_t *f;
	unsigned prev = SYM_BOUNDARY, cur;
	size_t i, n = 0;

	if (len > ENCODE_INPUT_MAX)
		len = ENCODE_INPUT_MAX;
	/* Folding needs the whole plain filter first; the others write out. */
	f = (en->p.flags & ENCODE_XOR_FOLD) ? plain : out;
	if (en->base != NULL)
		memcpy(f, en->base, en->owords * sizeof(*f));
	else
		memset(f, 0, en->fwords * sizeof(*f));
	for (i = 0; i < len; i++) {
		cur = sym_of((unsigned char)s[i]);
		if (cur == SYM_BOUNDARY && prev == SYM_BOUNDARY)
			continue;
		n += add_bigram(en, f, prev, cur);
		prev = cur;
	}
	if (prev != SYM_BOUNDARY)
		n += add_bigram(en, f, prev, SYM_BOUNDARY);
	if (n == 0) {
		memset(out, 0, en->owords * sizeof(*out));
		return 0;
	}
	if (en->p.flags & ENCODE_XOR_FOLD) {
		for (i = 0; i < en->owords; i++)
			out[i] = plain[i] ^ plain[i + en->owords];
		OPENSSL_cleanse(plain, en->fwords * sizeof(*plain));
	}
	return n;
}

size_t
encode_string(const struct encode *en, const char *s, uint64_t *out)
{
	return encode_bytes(en, s, strlen(s), out);
}

size_t
encode_words(const struct encode *en)
{
	return en->owords;
}

void
encode_get_params(const struct encode *en, struct encode_params *p)
{
	*p = en->p;
}

unsigned long
encode_mac_count(const struct encode *en)
{
	return en->macs;
}

unsigned
encode_popcount(const uint64_t *a, size_t nwords)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < nwords; i++)
		n += (unsigned)__builtin_popcountll(a[i]);
	return n;
}

double
encode_dice_weights(const uint64_t *a, unsigned pa, const uint64_t *b,
    unsigned pb, size_t nwords)
{
	unsigned both = 0;
	size_t i;

	if (pa + pb == 0)
		return 0.0;
	for (i = 0; i < nwords; i++)
		both += (unsigned)__builtin_popcountll(a[i] & b[i]);
	return 2.0 * both / (double)(pa + pb);
}

double
encode_dice(const uint64_t *a, const uint64_t *b, size_t nwords)
{
	return encode_dice_weights(a, encode_popcount(a, nwords), b,
	    encode_popcount(b, nwords), nwords);
}
