/*
 * blockkey: candidate pairs for the matcher. Each record gives a few
 * blocking keys (phonetic surname and birth year, date of birth, postcode
 * and forename initial, NINO stem, UPRN, nickname form and surname, the
 * account of a joint liability), each
 * an XXH3 hash, with a seed per kind, of tags of its struct compare_rec;
 * records sharing a key form a block, and every pair within a block is a
 * candidate. The candidates are the union over all kinds, without
 * duplicates. A block larger than the cap (a placeholder date, a hostel's
 * postcode) is skipped whole and counted, so one common key cannot
 * explode the pair count. Pure functions: no I/O, no clock.
 *
 * Invariants: a pair is (a, b) with a < b, indexes into the caller's
 * array, packed as a << 32 | b; the result is sorted ascending with no
 * repeats, and depends only on the records' tags and the options, never
 * on hash or memory order. Key hashes live in the process only: they are
 * never stored or logged.
 */
#ifndef SVOD_BLOCKKEY_H
#define SVOD_BLOCKKEY_H

#include <stddef.h>
#include <stdint.h>

#include "etl/err.h"
#include "matchers/compare.h"

#define BLOCKKEY_MAX_BLOCK	200	/* default cap on a block's records */
/* Most records one call takes: indexes fit 32 bits. */
#define BLOCKKEY_MAX_RECORDS	((size_t)UINT32_MAX)

/*
 * The key kinds. A record has a key of a kind when it has every tag the
 * kind needs; some kinds give several keys (every phonetic code, every
 * nickname form), and a pair found by two of them counts once.
 */
enum blockkey_kind {
	/* Surname Double Metaphone (primary and alternate) + birth year. */
	BLOCKKEY_SURNAME_DM_YEAR,
	BLOCKKEY_DOB,		/* full date of birth */
	BLOCKKEY_POSTCODE_INITIAL, /* full postcode + forename initial */
	BLOCKKEY_NINO,		/* NINO stem */
	BLOCKKEY_UPRN,		/* UPRN */
	/* Each nickname form of the forename + surname. */
	BLOCKKEY_NICKNAME_SURNAME,
	/*
	 * The parties of one account (struct compare_rec's account): always
	 * compared, so that the rule that they are different people
	 * (compare_distinct) is never lost to blocking.
	 */
	BLOCKKEY_ACCOUNT,
	/*
	 * Each debt reference a record holds or, for a breathing-space
	 * notice, names: the notice meets the records of the debts it
	 * names.
	 */
	BLOCKKEY_DEBT_REF,
	BLOCKKEY_KINDS		/* not a kind: the count */
};
/* Most keys of one kind a record gives. */
#define BLOCKKEY_KEYS_MAX	COMPARE_REFS_MAX

#define BLOCKKEY_ALL	((1u << BLOCKKEY_KINDS) - 1)

/* How to block. Set the defaults with blockkey_opts_init. */
struct blockkey_opts {
	/* Records a block may hold (2..); larger blocks are skipped. */
	size_t	 max_block;
	unsigned kinds;		/* bit k: use enum blockkey_kind k */
};

/* Figures for one key kind. */
struct blockkey_kind_stats {
	uint64_t keys;		/* (record, key) entries */
	uint64_t blocks;	/* blocks of two records or more, kept */
	uint64_t pairs;		/* pairs they gave, repeats included */
	uint64_t capped_blocks;	/* blocks over the cap, skipped */
	uint64_t capped_pairs;	/* pairs those blocks would have given */
	uint64_t largest;	/* records in the largest block, capped or not */
};

struct blockkey_stats {
	struct blockkey_kind_stats kind[BLOCKKEY_KINDS];
	uint64_t pairs_raw;	/* sum of kind[].pairs */
	uint64_t pairs;		/* distinct pairs returned */
};

/* Lifecycle */

/* Defaults: cap BLOCKKEY_MAX_BLOCK, every kind. */
void	 blockkey_opts_init(struct blockkey_opts *o);

/* Operations */

/*
 * The candidate pairs of the 'n' records at 'recs' (borrowed for the
 * call). On success *pairsp gets a sorted array of distinct packed pairs
 * (caller owns it: free() it; never NULL, even when empty) and *npairs
 * its length, and 'st' (may be NULL) the figures. Memory peaks at about
 * 32 bytes per key entry of one kind, or 16 to 24 bytes per pair before
 * repeats are removed, whichever is more.
 * Returns 0; ERR_CONFIG for a cap below 2 or no kind or an unknown kind;
 * ERR_LIMIT for more than BLOCKKEY_MAX_RECORDS records. Out of memory
 * exits (etl/xalloc.h).
 */
int	 blockkey_pairs(const struct compare_rec *recs, size_t n,
	    const struct blockkey_opts *o, uint64_t **pairsp, size_t *npairs,
	    struct blockkey_stats *st, struct err *e);

/* Queries */

/*
 * The keys of kind 'k' of record 'r' into 'out' (BLOCKKEY_KEYS_MAX
 * entries); returns how many (0: the record has no key of this kind).
 */
size_t	 blockkey_keys(const struct compare_rec *r, enum blockkey_kind k,
	    uint64_t out[BLOCKKEY_KEYS_MAX]);
/* A packed pair's halves. */
static inline uint32_t
blockkey_pair_a(uint64_t pair)
{
	return (uint32_t)(pair >> 32);
}
static inline uint32_t
blockkey_pair_b(uint64_t pair)
{
	return (uint32_t)pair;
}
/* Stable name of a kind ("surname_dm_year"), or "?" when out of range. */
const char *blockkey_kind_name(enum blockkey_kind k);

#endif
