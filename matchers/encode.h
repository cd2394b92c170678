/*
 * encode: similarity-preserving encodings of names and address lines as
 * keyed Bloom filters of character bigrams (Schnell, Bachteler and Reiher
 * 2009), compared by the Dice coefficient. Each bigram of the padded
 * string ("SMITH" gives _S SM MI IT TH H_) sets k bits of an m-bit filter;
 * two spellings of one name share most bigrams and so most bits.
 *
 * The bit positions are secret: they come from HMAC-SHA-256 under a key
 * derived for the field (purpose BLOOM_NAME or BLOOM_ADDRESS of
 * matchers/pseudonym.h). encode_new computes the positions of every
 * possible bigram once, into a table; after that, encoding is table look-
 * ups and ORs, with no MAC and no reference to the key, and a struct
 * encode is read-only, so threads may share it. The privacy model, and
 * what the filters still leak, is in docs/privacy.md.
 *
 * The encoding is a data format: the alphabet, the MAC inputs and the
 * parameters decide every bit. Filters made with different parameters or
 * keys cannot be compared. Change any of them only as a new version.
 */
#ifndef SVOD_ENCODE_H
#define SVOD_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl/err.h"
#include "matchers/pseudonym.h"

#define ENCODE_MAX_BITS		4096	/* largest m */
#define ENCODE_MAX_K		32	/* most bits per bigram */
/* Most uint64_t words of an encoded filter (a balanced one is 2m bits). */
#define ENCODE_MAX_WORDS	(2 * ENCODE_MAX_BITS / 64)
/* Bytes of input considered; the rest is ignored. */
#define ENCODE_INPUT_MAX	256

/*
 * Parameters (measurements in docs/privacy.md, "Parameters"). Names: on
 * 300 UK names, 2,400 typo pairs against 23,250 pairs of different names,
 * a balanced 512-bit filter with k = 15 ranked typo pairs above different
 * names as well as a 1024-bit one (AUC 0.9991) at half the memory, and
 * better than any plain filter tried (best 0.9973). Address lines have
 * about three times the bigrams of a name, so they get twice the bits at
 * a similar fill (about a fifth of the plain bits set); not yet measured
 * on addresses.
 */
#define ENCODE_NAME_BITS	512
#define ENCODE_NAME_K		15
#define ENCODE_ADDRESS_BITS	1024
#define ENCODE_ADDRESS_K	10

/*
 * The alphabet, the same for both fields. Letters are folded to upper
 * case; digits are kept; every other ASCII byte (space, hyphen, comma,
 * ...) is a word boundary, and a run of boundaries counts as one, so
 * "MARY-ANN" and "MARY ANN" encode alike. The string is padded with a
 * boundary at both ends. A byte >= 0x80 (a letter of another script that
 * normalisation kept) falls into one of 64 fallback buckets by its low six
 * bits: one bucket alone would give every Cyrillic or Arabic name of the
 * same length the same filter.
 */
#define ENCODE_SYMBOLS		(1 + 26 + 10 + 64)

/* Which field, hence which derived key. */
enum encode_field {
	ENCODE_NAME,		/* forename, surname, middle names, aliases */
	ENCODE_ADDRESS		/* address lines */
};

/* Hardening flags for struct encode_params. */
enum {
	/*
	 * Balanced filter (Schnell and Borgs 2016): the filter followed by
	 * its negation, the 2m bits then shuffled by a keyed permutation.
	 * Every filter has exactly m bits set, so the weight no longer
	 * tells the length of the name.
	 */
	ENCODE_BALANCED = 1 << 0,
	/*
	 * XOR-folding (Schnell, Borgs et al. 2016): bit i of the
	 * m/2-bit result is bit i XOR bit i + m/2 of the filter, so no bit
	 * reliably follows one bigram. Cannot be combined with balancing.
	 */
	ENCODE_XOR_FOLD = 1 << 1
};

/* How to encode one field. */
struct encode_params {
	unsigned bits;		/* m: multiple of 128, 128..ENCODE_MAX_BITS */
	unsigned k;		/* bits per bigram, 1..ENCODE_MAX_K */
	unsigned flags;		/* ENCODE_BALANCED, ENCODE_XOR_FOLD or 0 */
};

struct encode;

/* Fill 'p' with the measured defaults for 'field' (balanced). */
void	 encode_params_default(enum encode_field field,
	    struct encode_params *p);

/*
 * Build the position table for 'field' under the keys of 'ps' (borrowed
 * only during the call: the result keeps no reference to it). Costs
 * ENCODE_SYMBOLS^2 * ceil(k/4) MACs, plus m/2 for a balanced filter's
 * permutation: about 10 ms for the defaults. Returns a new object (free
 * with encode_free), or NULL with ERR_CONFIG in 'e' for parameters out of
 * range, or ERR_CRYPTO with the OpenSSL text in the detail.
 */
struct encode *encode_new(struct pseudonym *ps, enum encode_field field,
	    const struct encode_params *p, struct err *e);
/* Wipe the table and free it. Accepts NULL. */
void	 encode_free(struct encode *en);

/*
 * Encode the 'len' bytes at 's' (normalised first: matchers/normalize.h)
 * into 'out', encode_words(en) words, fully overwritten. Returns the
 * number of bigrams encoded; 0 means the input had no letter or digit,
 * and 'out' is then all zero: treat the field as missing, since two empty
 * filters say nothing about two people. Cannot fail; no MAC is computed.
 */
size_t	 encode_bytes(const struct encode *en, const char *s, size_t len,
	    uint64_t *out);
/* encode_bytes on a NUL-terminated string. */
size_t	 encode_string(const struct encode *en, const char *s,
	    uint64_t *out);

/* Words of uint64_t in one encoded filter. */
size_t	 encode_words(const struct encode *en);
/* The parameters 'en' was built with. */
void	 encode_get_params(const struct encode *en, struct encode_params *p);
/* MACs computed so far by 'en' (all by encode_new): for tests. */
unsigned long encode_mac_count(const struct encode *en);

/* Bits set in the 'nwords' words at 'a'. */
unsigned encode_popcount(const uint64_t *a, size_t nwords);

/*
 * Dice coefficient 2|A and B| / (|A| + |B|) of two filters of 'nwords'
 * words: 1 for equal filters, 0 for disjoint ones, and 0 when both are
 * empty.
 */
double	 encode_dice(const uint64_t *a, const uint64_t *b, size_t nwords);
/*
 * The same with the weights already known (pa = encode_popcount(a, ..)),
 * which a comparison loop computes once per record, not once per pair.
 */
double	 encode_dice_weights(const uint64_t *a, unsigned pa,
	    const uint64_t *b, unsigned pb, size_t nwords);

#endif
