/*
 * compare: the matcher's view of a record, and the comparison of two
 * records into one level per field of the Fellegi-Sunter layout
 * (matchers/model.h, model_svod_fields). A struct compare_rec holds only
 * keyed material: 64-bit tags cut from keyed tokens (matchers/
 * pseudonym.h) and keyed Bloom filters of the names (matchers/encode.h);
 * no raw name, date or identifier. Pure functions: no I/O, no clock.
 *
 * Invariants: tag t of two records is equal exactly when the values it
 * stands for are equal (up to a 2^-64 chance per comparison); a tag whose
 * bit in 'have' is clear is 0 and never compared. compare_pair depends
 * only on the two records and the parameters, and is symmetric: swapping
 * the records gives the same pattern.
 *
 * Typical use:
 *
 *	compare_params_default(&cp);
 *	in the pseudonymise step, per record:
 *	    compare_rec_build(ps, en, &(struct compare_source){ feed, i,
 *	        id->have, id->tok, &nm, &dp }, &recs[i], e);
 *	blockkey_pairs(recs, n, &bo, &pairs, &np, &bst, e);
 *	for each pair (a, b): pattern = compare_pair(&recs[a], &recs[b],
 *	    &cp, NULL);
 */
#ifndef SVOD_COMPARE_H
#define SVOD_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl/err.h"
#include "matchers/encode.h"
#include "matchers/model.h"
#include "matchers/nickname.h"
#include "matchers/normalize.h"
#include "matchers/pseudonym.h"

/*
 * Words of one name filter held in a record: the default name encoding
 * (balanced, m = 512: 1,024 bits). compare_rec_build refuses an encoding
 * with more words, so records stay flat and small.
 */
#define COMPARE_BLOOM_WORDS	(2 * ENCODE_NAME_BITS / 64)

/*
 * Default Dice thresholds for the two similarity levels of a name, on the
 * balanced default name encoding. Balanced filters put one edit at about
 * 0.85..0.98 whatever the name's length, and pairs of different names at
 * 0.62..0.84 (mean 0.72), so the plain-filter habit of 0.9 and 0.7 would
 * drop a quarter of one-edit typos from the top level and put every
 * second unrelated pair in the lower one. Measured on 150 UK names (1,188
 * one-edit and 1,156 two-edit typo pairs against 11,322 pairs of
 * different names, the typo generator of tests/unit/test_encode.c):
 *   >= 0.845: 99.8% of one-edit typos, 59.7% of two-edit, 0.72% of others;
 *   >= 0.78:  100% of one-edit, 95.6% of two-edit, 7.4% of others.
 * The enums keep "DICE90" and "DICE70" (the model's level names are
 * "dice-high" and "dice-low"): they name the higher and the lower
 * similarity level, not the threshold.
 */
#define COMPARE_NAME_HIGH	0.845
#define COMPARE_DOB_DIGITS	8	/* YYYYMMDD */
/* Forename letters whose deletion is hashed (longer names: the first). */
#define COMPARE_FORENAME_DEL	12
/* Debt references a match record holds; more are left out. */
#define COMPARE_REFS_MAX	8
#define COMPARE_NAME_LOW	0.78

/*
 * The tags of a record. Each is the first 8 bytes of a keyed token (an
 * HMAC output, so already uniform); the purpose it is taken under is
 * given. Tags with a "#" input are in-process only: the builder feeds
 * the token function a string starting with '#', which no normalised
 * name holds, so they never equal a name's token of the same purpose.
 */
enum compare_tag {
	COMPARE_T_NINO,		/* NINO_STEM, from the identity */
	COMPARE_T_NHS,		/* NHS_NUMBER, from the identity */
	COMPARE_T_UPRN,		/* UPRN, from the identity */
	COMPARE_T_DOB,		/* DOB "YYYY-MM-DD", from the identity */
	/* DOB purpose, day and month exchanged (a valid date only). */
	COMPARE_T_DOB_SWAPPED,
	COMPARE_T_DOB_DAY,	/* DOB_DAY "DD", from the identity */
	COMPARE_T_DOB_MONTH,	/* DOB_MONTH "MM", from the identity */
	COMPARE_T_DOB_YEAR,	/* DOB_YEAR "YYYY", from the identity */
	COMPARE_T_DOB_YEAR_PREV, /* DOB_YEAR of the year before */
	COMPARE_T_DOB_YEAR_NEXT, /* DOB_YEAR of the year after */
	COMPARE_T_POSTCODE,	/* POSTCODE, from the identity */
	COMPARE_T_SECTOR,	/* POSTCODE_SECTOR, from the identity */
	COMPARE_T_DISTRICT,	/* POSTCODE_DISTRICT, from the identity */
	COMPARE_T_SURNAME,	/* SURNAME (no spaces), from the identity */
	COMPARE_T_FORENAME,	/* FORENAME, from the identity */
	COMPARE_T_INITIAL,	/* FORENAME_INITIAL, from the identity */
	/*
	 * The surname under the FORENAME purpose: equal to another record's
	 * COMPARE_T_FORENAME when this surname is that forename, which
	 * finds forename and surname swapped.
	 */
	COMPARE_T_SURNAME_X,
	/*
	 * FORENAME tokens of the canonical forms the forename may stand for
	 * (matchers/nickname.h, nickname_variants), canonical first; NICK0
	 * is set whenever the forename is, the others when they exist.
	 */
	COMPARE_T_NICK0,
	COMPARE_T_NICK1,
	COMPARE_T_NICK2,
	COMPARE_T_NICK3,
	/* Double Metaphone of the surname, SURNAME purpose, "#DM:code". */
	COMPARE_T_SURNAME_DM,
	COMPARE_T_SURNAME_DM_ALT,	/* only when it differs */
	/* Double Metaphone of the forename, FORENAME purpose, "#DM:code". */
	COMPARE_T_FORENAME_DM,
	COMPARE_T_FORENAME_DM_ALT,	/* only when it differs */
	/*
	 * The dwelling: the premises of the address (normalize_premises)
	 * within its postcode, "#PR:premises" under the POSTCODE purpose
	 * mixed with the postcode's tag; set when both are known.
	 */
	COMPARE_T_PREMISES,
	/*
	 * The halves of a hyphenated or double-barrelled surname under the
	 * SURNAME purpose: equal to another record's COMPARE_T_SURNAME when
	 * that surname is one half of this one (Gibson, Howard-Gibson).
	 */
	COMPARE_T_SURNAME_P0,
	COMPARE_T_SURNAME_P1,
	COMPARE_TAG_COUNT	/* not a tag: the count */
};

/* Flags of a struct compare_rec. */
enum {
	/* The forename is a single character (an initial), not a name. */
	COMPARE_FORENAME_IS_INITIAL = 1 << 0,
	/*
	 * Born fewer than COMPARE_SR_MIN_AGE years before the as-of date:
	 * too young to be the "Sr" of an adult of the same name.
	 */
	COMPARE_YOUNG = 1 << 1,
	/*
	 * The record names debts it does not hold (a breathing-space
	 * notice's creditor references); otherwise its refs are its own.
	 */
	COMPARE_NAMES_REFS = 1 << 2
};
/* The least age of a father whose son of the same name is an adult. */
#define COMPARE_SR_MIN_AGE	34

/* A generational suffix of the name (struct name_norm's suffix). */
enum compare_suffix {
	COMPARE_SUFFIX_NONE, COMPARE_SUFFIX_JR, COMPARE_SUFFIX_SR,
	COMPARE_SUFFIX_II, COMPARE_SUFFIX_III, COMPARE_SUFFIX_IV,
	COMPARE_SUFFIX_OTHER
};

/*
 * One record as the matcher sees it: about 680 bytes, no pointers, so an
 * array of them can be copied, sorted or shared read-only by threads.
 */
struct compare_rec {
	uint64_t tag[COMPARE_TAG_COUNT];	/* by enum compare_tag */
	uint32_t have;		/* bit t set when tag[t] holds a value */
	uint32_t index;		/* the record's index in the run */
	uint8_t	 feed;		/* enum feed_id */
	uint8_t	 flags;		/* COMPARE_FORENAME_IS_INITIAL, ... */
	uint8_t	 suffix;	/* enum compare_suffix */
	/*
	 * The account the record is one party of (a council tax account, a
	 * joint tenancy), as a hash of the feed and the source key without
	 * its last part; 0 when the record is not one of several parties.
	 * Not personal data: source keys are stored in clear.
	 */
	uint64_t account;
	/*
	 * The date of birth as YYYYMMDD with digit i masked, hashed with
	 * XXH3 under a seed that is itself a keyed token (so in-process
	 * and keyed); two dates one digit apart share exactly one. All 0
	 * without a date of birth.
	 */
	uint64_t dob_mask[COMPARE_DOB_DIGITS];
	/*
	 * The forename's deletion neighbourhood, hashed the same way: [0]
	 * the whole name, [1 + i] the name without its letter i. Two
	 * names one edit apart (a letter added, dropped, changed, or two
	 * neighbours exchanged) share hashes at known places (see
	 * compare_forename). nforename_del counts them.
	 */
	uint64_t forename_del[1 + COMPARE_FORENAME_DEL];
	uint8_t	 nforename_del;
	/*
	 * Debt references, hashed (XXH3; source references, not personal
	 * data): those the record holds (a council tax account, a claim and
	 * its overpayments, a tenancy, invoices), or with COMPARE_NAMES_REFS
	 * those a notice names. nrefs counts them.
	 */
	uint8_t	 nrefs;
	uint64_t refs[COMPARE_REFS_MAX];
	/* Bits set in each filter; 0 when the name is missing. */
	uint16_t forename_pop;
	uint16_t surname_pop;
	/* Keyed Bloom filters (ENCODE_NAME), all zero when missing. */
	uint64_t forename_bloom[COMPARE_BLOOM_WORDS];
	uint64_t surname_bloom[COMPARE_BLOOM_WORDS];
};

/*
 * What the pseudonymise step hands the builder: the record's tokens (as
 * in struct identity of jobs/pipeline.h, computed from the same name and
 * date) and the normalised parts that only it still holds. Everything is
 * borrowed for the call; nothing of it is kept but tags and filters.
 */
struct compare_source {
	uint8_t	 feed;		/* enum feed_id */
	uint32_t index;		/* the record's index in the run */
	uint32_t have;		/* bit p set when tok[p] holds a token */
	/* Tokens by enum pseudonym_purpose; may be NULL when have is 0. */
	const unsigned char (*tok)[PSEUDONYM_TOKEN_LEN];
	const struct name_norm *name;	/* NULL: no name */
	const struct dob_parts *dob;	/* NULL: no date of birth */
	/* normalize_premises of the address, NULL or "": none. */
	const char *premises;
	uint64_t account;		/* see struct compare_rec */
	int	 as_of_year;		/* of the run, for COMPARE_YOUNG; 0: none */
	/* Debt references (struct compare_rec), hashed; names_refs: named. */
	const uint64_t *refs;
	size_t	 nrefs;
	bool	 names_refs;
};

/* Thresholds of the comparison. Set the defaults with compare_params_default. */
struct compare_params {
	double	 name_high;	/* Dice for the DICE90 levels (0.845) */
	double	 name_low;	/* Dice for the DICE70 levels (0.78) */
};

/* Lifecycle */

/* Fill 'p' with COMPARE_NAME_HIGH and COMPARE_NAME_LOW. */
void	 compare_params_default(struct compare_params *p);
/*
 * Check thresholds from the configuration: 0 < name_low <= name_high <= 1.
 * Returns 0, or ERR_CONFIG.
 */
int	 compare_params_check(const struct compare_params *p, struct err *e);

/*
 * Fill 'out' (fully overwritten) from 'src': copy the tags of the
 * identity's tokens, and derive from the name and date the rest (year
 * before and after, the surname under the forename purpose, nickname
 * forms, Double Metaphone codes; tokens of repeated values come from the
 * caches of 'ps') and the two name filters with 'en' (an ENCODE_NAME
 * encoder under the same key, borrowed). The forename filter is of
 * name->forename, the surname filter of name->surname_nospace, as the
 * tokens are. Returns 0; ERR_CONFIG when 'en' makes filters of more than
 * COMPARE_BLOOM_WORDS words; ERR_CRYPTO with the OpenSSL text in 'e'
 * ('out' is then zeroed).
 */
int	 compare_rec_build(struct pseudonym *ps, const struct encode *en,
	    const struct compare_source *src, struct compare_rec *out,
	    struct err *e);

/* Operations: the level of one field of a pair (model.h enums) */

/*
 * Forename, first match wins: MISSING when either has none; EXACT;
 * when either is only an initial, INITIAL if the initials agree, else
 * DISAGREE (an initial against a name is never compared by Dice, as
 * "J" against "JOHN" scores 0.87); NICKNAME when their nickname forms
 * share one (Bill and William); SWAPPED when each forename is the
 * other's surname; EDIT1 when they share a deletion hash (one edit:
 * JACK and JCAK, SHABANA and SHABANNA); DICE90 and DICE70 by the
 * thresholds; DISAGREE. Dice alone is a weak test of short names: LUCY
 * and LILY, two edits apart, reach the higher threshold.
 */
enum model_forename_level compare_forename(const struct compare_rec *a,
	    const struct compare_rec *b, const struct compare_params *p);
/*
 * Surname: MISSING, EXACT, SWAPPED (each surname is the other's
 * forename), PART (one is a half of the other's hyphenated or
 * double-barrelled surname), DICE90, DICE70, DISAGREE.
 */
enum model_surname_level compare_surname(const struct compare_rec *a,
	    const struct compare_rec *b, const struct compare_params *p);
/*
 * Date of birth, from tokens of the date and of its day, month and year:
 * MISSING; EXACT; SWAPPED (one's day/month-exchanged date is the other's
 * date); ONE_DIGIT, the dates differ in one digit of YYYYMMDD (a shared
 * masked hash: 1980 against 1989 is one digit, 1980 against 2015 is
 * not); YEAR_NEAR, years equal or one apart otherwise; DISAGREE.
 */
enum model_dob_level compare_dob(const struct compare_rec *a,
	    const struct compare_rec *b);
/*
 * Address, by postcode and premises: MISSING (a postcode is missing);
 * PREMISES (one postcode, one dwelling); FULL (one postcode, premises
 * unknown on one side); OTHER (one postcode, different premises: the
 * neighbours); SECTOR; DISTRICT; DISAGREE.
 */
enum model_postcode_level compare_postcode(const struct compare_rec *a,
	    const struct compare_rec *b);
/*
 * An identifier tag (COMPARE_T_UPRN, COMPARE_T_NINO or COMPARE_T_NHS):
 * MISSING when either lacks it, AGREE, DISAGREE.
 */
enum model_id_level compare_id(const struct compare_rec *a,
	    const struct compare_rec *b, enum compare_tag t);

/*
 * Compare a pair on every field of model_svod_fields and return its
 * packed pattern (model_pattern_encode). 'levels' (NULL, or
 * MODEL_SVOD_NFIELDS bytes) gets the levels too. Cannot fail.
 */
uint64_t compare_pair(const struct compare_rec *a,
	    const struct compare_rec *b, const struct compare_params *p,
	    uint8_t *levels);

/*
 * Debt reference, when exactly one of the two names debts (a notice) and
 * both have references: AGREE when one it names is a debt the other
 * holds, else DISAGREE (a notice need not name every debt: weak
 * evidence). MISSING otherwise.
 */
enum model_id_level compare_debt_ref(const struct compare_rec *a,
	    const struct compare_rec *b);
/*
 * Add debt reference hashes to 'r' (a record seen again: another
 * overpayment of a claim, another invoice of a client), up to
 * COMPARE_REFS_MAX in all, without repeats.
 */
void	 compare_add_refs(struct compare_rec *r, const uint64_t *refs,
	    size_t n);

/*
 * Can the two records not be one person, whatever else they agree on?
 * They are two parties of one account ("account"); their generational
 * suffixes differ, Jr and Sr ("suffix"); or one is a Sr and the other
 * too young to be one (COMPARE_YOUNG: "age"). Returns that static
 * reason or NULL.
 */
const char *compare_distinct(const struct compare_rec *a,
	    const struct compare_rec *b);

/* Queries */

/* True when 'r' has tag 't'. */
static inline bool
compare_has(const struct compare_rec *r, enum compare_tag t)
{
	return (r->have >> t) & 1u;
}

#endif
