/*
 * pseudonym: keyed tokens for identity fields. One secret key (see
 * etl/keyfile.h) yields one derived key per purpose via HKDF-SHA-256, and a
 * token is HMAC-SHA-256 under that purpose key, truncated to 16 bytes. So
 * the same NINO stem always gives the same token within a purpose, tokens
 * of different purposes cannot be joined, and nobody without the key can
 * recompute a token by trying every NINO or postcode.
 *
 * Why 16 bytes: for n distinct values the chance that any two collide is
 * about n^2 / 2^129. For ten million values that is 1e14 / 6.8e38, about
 * 1.5e-25: a false link by collision will not happen, and 128 bits keep
 * inverting the HMAC as hard as guessing the key.
 *
 * Tokens are stable across runs and machines: the derivation (salt,
 * "svod/<purpose>/v1" info strings, encodings) is part of the stored data
 * format. Never rename a purpose or change an encoding; add a new purpose
 * (or a "/v2") instead.
 *
 * A struct pseudonym is not thread-safe: it reuses its MAC contexts and
 * caches. Create one per thread. The caches hold raw inputs (postcodes,
 * surnames, dates) in memory until pseudonym_free, which wipes them.
 */
#ifndef SVOD_PSEUDONYM_H
#define SVOD_PSEUDONYM_H

#include <stdbool.h>
#include <stddef.h>

#include "etl/err.h"

#define PSEUDONYM_KEY_LEN	32	/* bytes of the secret key */
#define PSEUDONYM_TOKEN_LEN	16	/* bytes of a token */
#define PSEUDONYM_HEX_LEN	32	/* hex characters of a token */

/*
 * The purposes: X(ENUM_SUFFIX, "name", cache_bits). Adding a purpose is
 * one line at the end. The name enters the HKDF info string, so it must
 * never change. cache_bits > 0 gives a low-cardinality purpose (few
 * distinct values, many repeats) a token cache of 2^cache_bits entries of
 * 64 bytes, allocated on first use; 0 means no cache.
 */
#define PSEUDONYM_PURPOSES(X)						\
	X(NINO_STEM,		"nino_stem",		0)		\
	X(NHS_NUMBER,		"nhs_number",		0)		\
	X(UPRN,			"uprn",			0)		\
	X(DOB,			"dob",			15)		\
	X(DOB_DAY,		"dob_day",		7)		\
	X(DOB_MONTH,		"dob_month",		6)		\
	X(DOB_YEAR,		"dob_year",		9)		\
	X(DOB_SWAPPED,		"dob_swapped",		14)		\
	X(POSTCODE,		"postcode",		14)		\
	X(POSTCODE_SECTOR,	"postcode_sector",	12)		\
	X(POSTCODE_DISTRICT,	"postcode_district",	10)		\
	X(SURNAME,		"surname",		15)		\
	X(FORENAME,		"forename",		14)		\
	X(FORENAME_INITIAL,	"forename_initial",	8)		\
	X(NAME_DOB,		"name_dob",		0)		\
	X(SURNAME_INITIAL_DOB_POSTCODE,					\
				"surname_initial_dob_postcode",	0)	\
	X(UPRN_SURNAME_DOB,	"uprn_surname_dob",	0)		\
	X(RECORD,		"record",		0)		\
	X(BLOOM_NAME,		"bloom_name",		0)		\
	X(BLOOM_ADDRESS,	"bloom_address",	0)

#define PSEUDONYM_ENUM_(id, name, cached) PSEUDONYM_##id,
enum pseudonym_purpose {
	PSEUDONYM_PURPOSES(PSEUDONYM_ENUM_)
	PSEUDONYM_PURPOSE_COUNT		/* not a purpose: the count */
};
#undef PSEUDONYM_ENUM_

/*
 * The purposes up to RECORD are tokens of a record, stored in the run's
 * tok_<purpose> columns; the later ones only key other encodings
 * (matchers/encode.h) and never appear in stored data. A new record token
 * purpose is a change of the stored format: add it with a new column.
 */
#define PSEUDONYM_RECORD_COUNT	(PSEUDONYM_RECORD + 1)

/* One part of a composite token: 'len' bytes at 'data' (borrowed). */
struct pseudonym_part {
	const void *data;	/* may be NULL when len is 0 */
	size_t	 len;
};

struct pseudonym;

/*
 * Derive the per-purpose keys from 'key' (copied; the caller may wipe its
 * copy) and prepare one MAC context per purpose. Returns a new object (the
 * caller frees it with pseudonym_free), or NULL with ERR_CRYPTO in 'e' and
 * the OpenSSL error text in its detail.
 */
struct pseudonym *pseudonym_new(const unsigned char key[PSEUDONYM_KEY_LEN],
	    struct err *e);
/* Wipe the keys and cache and free everything. Accepts NULL. */
void	 pseudonym_free(struct pseudonym *ps);

/*
 * Token of 'len' bytes at 'data' under purpose 'p' into 'out'. Returns 0,
 * or ERR_CRYPTO if OpenSSL fails (the object stays usable; no error text
 * is kept, as this is the hot path: use pseudonym_last_error). The input
 * bytes are hashed as they are: normalise first (matchers/normalize.h).
 */
int	 pseudonym_token(struct pseudonym *ps, enum pseudonym_purpose p,
	    const void *data, size_t len,
	    unsigned char out[PSEUDONYM_TOKEN_LEN]);

/*
 * Token of several parts, encoded without ambiguity: each part is its
 * length as 4 bytes big-endian and then its bytes, so ("AB","C") and
 * ("A","BC") differ. A one-part composite differs from pseudonym_token on
 * the same bytes; use one form per purpose. Returns 0, ERR_LIMIT if a part
 * is 4 GiB or more, or ERR_CRYPTO.
 */
int	 pseudonym_token_parts(struct pseudonym *ps, enum pseudonym_purpose p,
	    const struct pseudonym_part *parts, size_t nparts,
	    unsigned char out[PSEUDONYM_TOKEN_LEN]);

/*
 * Turn the cache of the cached purposes on or off (on after
 * pseudonym_new). Tokens are the same either way; this exists for tests
 * and benchmarks. Turning it off wipes it.
 */
void	 pseudonym_set_cache(struct pseudonym *ps, bool on);

/*
 * After a token function returned ERR_CRYPTO, copy the OpenSSL error text
 * into 'e' (message and detail) and return ERR_CRYPTO.
 */
int	 pseudonym_last_error(struct pseudonym *ps, struct err *e);

/* Write 32 lower-case hex characters and a NUL for token 'tok' to 'out'. */
void	 pseudonym_hex(const unsigned char tok[PSEUDONYM_TOKEN_LEN],
	    char out[PSEUDONYM_HEX_LEN + 1]);
/* The stable name of a purpose ("nino_stem"), or "?" when out of range. */
const char *pseudonym_purpose_name(enum pseudonym_purpose p);

#endif
