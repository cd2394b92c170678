/*
 * normalize: identity fields in the canonical form that matching and
 * pseudonymisation compare. Pure functions, no I/O, no allocation. Names
 * are Unicode-normalised (NFKC), case-folded, stripped of diacritics (via
 * libutf8proc) and upper-cased: "Zoë" and "ZOE" normalise alike. Every
 * output is a NUL-terminated, valid UTF-8 string within a fixed buffer;
 * overlong input is truncated at a character boundary, never overflowed.
 * Invalid UTF-8 bytes are dropped (the reader rejects such rows earlier;
 * this only keeps the functions safe).
 */
#ifndef SVOD_NORMALIZE_H
#define SVOD_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of each input field considered; the rest is ignored. */
#define NORM_INPUT_MAX		256

/* Buffer sizes in bytes, including the NUL. */
#define NORM_TITLE_MAX		16
#define NORM_NAME_MAX		64	/* forename, surname and derived */
#define NORM_MIDDLES_MAX	128
#define NORM_SUFFIX_MAX		16
#define NORM_INITIAL_MAX	5	/* one character: up to 4 bytes */

/*
 * A person's name, normalised. Strings are upper case, words separated by
 * one space, no leading or trailing space; "" when missing.
 */
struct name_norm {
	char	 title[NORM_TITLE_MAX];		/* MR, MRS, DR, ... */
	char	 forename[NORM_NAME_MAX];	/* first given name */
	char	 middles[NORM_MIDDLES_MAX];	/* other given names */
	char	 surname[NORM_NAME_MAX];	/* may hold '-' and ' ' */
	char	 suffix[NORM_SUFFIX_MAX];	/* JR, SR, II, III, IV */
	char	 forename_initial[NORM_INITIAL_MAX]; /* first character */
	bool	 forename_is_initial;		/* forename is one character */
	char	 surname_nospace[NORM_NAME_MAX]; /* without ' ' and '-' */
	/* Halves of a hyphenated or double-barrelled surname, else "". */
	char	 surname_parts[2][NORM_NAME_MAX];
};

/* Derived forms of a canonical postcode such as "WS1 2AB". */
struct postcode_parts {
	char	 area[4];	/* leading letters: "WS" */
	char	 district[8];	/* outward code: "WS1" */
	char	 sector[8];	/* outward, space, first inward digit: "WS1 2" */
	char	 compact[8];	/* no space: "WS12AB" */
};

/* A date of birth taken apart. */
struct dob_parts {
	int	 year;		/* 1..9999 */
	int	 month;		/* 1..12 */
	int	 day;		/* 1..31 */
	char	 iso[11];	/* "YYYY-MM-DD" */
	/*
	 * The same date with day and month exchanged, "YYYY-MM-DD", when
	 * that is another valid date (day <= 12 and day != month), else "".
	 * Matching a record's swapped form against another's iso form finds
	 * day/month transpositions.
	 */
	char	 swapped[11];
};

/*
 * Normalise a name from its source fields (NUL-terminated, borrowed; NULL
 * or "" when missing) into 'out', which is fully overwritten.
 *  - Titles are recognised in the title field, or at the start of the
 *    forename field ("Mr John"), or at the start of the surname field
 *    when more words follow ("Mr Smith"); known ones are canonicalised
 *    (Mister -> MR, Revd -> REV, Doctor -> DR). An unknown word in the
 *    title field is kept as the title.
 *  - Suffixes (Jr, Jnr, Junior, Sr, Snr, Senior, II, III, IV) are taken
 *    from the end of the surname field, or else from the end of the given
 *    names, when another word remains.
 *  - Apostrophes are removed (O'Brien -> OBRIEN), full stops removed in
 *    the surname and treated as spaces in given names ("J.A." -> forename
 *    J, middles A). Hyphens stay, without spaces around them; other
 *    punctuation becomes a space; spaces are collapsed. Mc/Mac prefixes
 *    are left alone. Letters of any script are kept; letters with a
 *    stroke (Ł, Ø, Đ, Ħ), which Unicode does not decompose, become their
 *    base letter.
 * Cannot fail. Fields longer than their buffer are cut at a character
 * boundary; more than 32 words in a field are dropped.
 */
void	 normalize_name(const char *title, const char *forename,
	    const char *middle, const char *surname, struct name_norm *out);

/* True when 'n' has no forename, middle names or surname. */
bool	 name_norm_is_empty(const struct name_norm *n);

/*
 * Normalise one free-text name-like field (e.g. an alias) the same way as
 * a surname into 'out' of 'cap' bytes (cap >= 1). Returns the length.
 */
size_t	 normalize_text(const char *in, char *out, size_t cap);

/*
 * The premises of an address, for telling dwellings of one postcode
 * apart: the numbers of its 'n' lines (NULL lines skipped) in order, at
 * most NORM_PREMISES_NUMBERS of them, each digits with at most one
 * letter after them ("FLAT 2, 33 NEW LANE" gives "2 33", "12A HIGH
 * STREET" gives "12A"); a line with no number adds nothing. When no line
 * has a number, the first line folded like a surname ("ROSE COTTAGE").
 * Into 'out' of 'cap' bytes (cap >= 1); returns the length, 0 when the
 * address has neither.
 */
#define NORM_PREMISES_NUMBERS	3
size_t	 normalize_premises(const char *const *lines, size_t n, char *out,
	    size_t cap);

/*
 * Take apart a canonical postcode ("WS1 2AB", as etl/fields produces:
 * upper case, one space, inward code of digit and two letters). Returns 0,
 * or ERR_PARSE with 'out' all "" when 'canon' does not have that shape.
 */
int	 normalize_postcode_parts(const char *canon, struct postcode_parts *out);

/*
 * Copy the first eight characters (two letters, six digits) of a
 * canonical NINO into 'out': a NINO is unique without its suffix. Returns
 * 0, or ERR_PARSE with out "" when 'canon' does not start that way.
 */
int	 normalize_nino_stem(const char *canon, char out[9]);

/*
 * Take apart a date given as days since 1970-01-01. Returns 0, or
 * ERR_PARSE with 'out' zeroed when the year is outside 1..9999.
 */
int	 normalize_dob_parts(int32_t days, struct dob_parts *out);

#endif
