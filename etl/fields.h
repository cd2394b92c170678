/*
 * fields: typed validation of the raw text of one field. Each validator
 * takes a pointer and a length (the text need not be NUL-terminated and is
 * never read past 'n'), trims leading and trailing ASCII spaces and tabs,
 * and returns an enum field_reason: FIELD_OK, or why the value was
 * rejected. The output is written only on FIELD_OK and is left as it was
 * otherwise. Validators are pure: no allocation, no locale, no global
 * state, safe to call from any thread on the hot path.
 */
#ifndef SVOD_FIELDS_H
#define SVOD_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Why a field was rejected. The values are stable only within one build;
 * what is stored (reject files, summaries) is field_reason_name().
 */
enum field_reason {
	FIELD_OK = 0,
	FIELD_MISSING,		/* empty, or only spaces */
	FIELD_BAD_MONEY,	/* not [-][£]digits[.d[d]] */
	FIELD_MONEY_PRECISION,	/* more than two decimal places */
	FIELD_MONEY_OVERFLOW,	/* beyond int64_t pence */
	FIELD_BAD_DATE,		/* no accepted date format fits */
	FIELD_IMPOSSIBLE_DATE,	/* right shape, no such day: 2023-02-29 */
	FIELD_PLACEHOLDER_DATE,	/* a value that stands for unknown */
	FIELD_DOB_FUTURE,	/* date of birth after the as-of date */
	FIELD_DOB_BEFORE_1900,	/* date of birth before 1900-01-01 */
	FIELD_BAD_NINO,		/* not two letters, six digits, suffix */
	FIELD_NINO_PREFIX,	/* NINO shape, but a prefix never issued */
	FIELD_BAD_NHS,		/* not ten digits in 3-3-4 grouping */
	FIELD_NHS_CHECK,	/* ten digits failing the modulus 11 check */
	FIELD_BAD_POSTCODE,	/* not a UK postcode */
	FIELD_BAD_UPRN,		/* not 1 to 12 significant digits, > 0 */
	FIELD_BAD_ENUM,		/* none of the allowed values */
	FIELD_BAD_INT,		/* not a decimal integer */
	FIELD_INT_RANGE,	/* an integer outside [min, max] */
	FIELD_BAD_FY,		/* not a financial year "2024/25" */
	FIELD_TOO_LONG,		/* text longer than its cap */
	FIELD_NREASONS		/* number of reasons, not a reason */
};

/* Accepted date formats for fields_date() and fields_dob(): OR them. */
#define FIELD_DATE_ISO		(1u << 0)	/* 2024-01-31 */
#define FIELD_DATE_DMY		(1u << 1)	/* 31/01/2024, 31/1/2024 */
#define FIELD_DATE_DMY_DASH	(1u << 2)	/* 31-01-2024 */
#define FIELD_DATE_ANY \
	(FIELD_DATE_ISO | FIELD_DATE_DMY | FIELD_DATE_DMY_DASH)

/* Options for fields_money(): OR them, or pass 0 for plain "-1234.56". */
#define FIELD_MONEY_POUND	(1u << 0)	/* allow one UTF-8 '£' */
#define FIELD_MONEY_THOUSANDS	(1u << 1)	/* allow "1,234,567.89" */

/* Day numbers of the first and last day that fields_date_format() prints. */
#define FIELDS_DAYS_0000_01_01	(-719528)
#define FIELDS_DAYS_9999_12_31	2932896

/*
 * Reason names and descriptions.
 */

/*
 * The stable snake_case name of 'r' ("ok", "missing", "bad_money", ...),
 * as written to reject files and summaries. A static string; "unknown"
 * for a value outside the enum.
 */
const char	*field_reason_name(enum field_reason r);
/*
 * A one-line lower-case description of 'r' for people, without a final
 * period. It never contains the rejected value. A static string.
 */
const char	*field_reason_text(enum field_reason r);

/*
 * Calendar arithmetic. Dates are int32_t days since 1970-01-01 in the
 * proleptic Gregorian calendar (1969-12-31 is -1), so they compare and
 * subtract as integers. Years are astronomical: year 0 is 1 BC.
 */

/* Whether y-m-d is a real day: 1 <= m <= 12 and d within that month. */
bool	 fields_ymd_is_valid(int y, int m, int d);
/*
 * The day number of y-m-d, which must be valid (fields_ymd_is_valid) and
 * within about 5.8 million years of 1970, so that the result fits in an
 * int32_t; both are asserted.
 */
int32_t	 fields_days_from_ymd(int y, int m, int d);
/* The year, month and day of day number 'days'. Any int32_t works. */
void	 fields_ymd_from_days(int32_t days, int *y, int *m, int *d);
/*
 * Write 'days' as "YYYY-MM-DD" plus a NUL into 'out' (11 bytes) and return
 * true. A day outside years 0000 to 9999 (see FIELDS_DAYS_*) cannot be
 * written that way: 'out' becomes "" and the result is false. Every date
 * that fields_date() accepts lies inside.
 */
bool	 fields_date_format(int32_t days, char out[11]);

/*
 * Field validators. Each trims, returns FIELD_MISSING when nothing is
 * left, and writes its output only when it returns FIELD_OK.
 */

/* Trim leading and trailing spaces and tabs from *s, *n in place. */
void	 fields_trim(const char **s, size_t *n);

/*
 * A date in any of the 'formats' (FIELD_DATE_* flags; 0 accepts none),
 * years always in four digits: "YYYY-MM-DD", "D/M/YYYY" with one or two
 * digits for day and month, "DD-MM-YYYY". The shapes cannot be confused,
 * so the order of trying does not matter. On FIELD_OK *days is the day
 * number.
 * Returns FIELD_BAD_DATE when no allowed shape fits (including times and
 * two-digit years), FIELD_IMPOSSIBLE_DATE for a fitting shape naming no
 * real day (month 13, 2023-02-29, year 0000) and FIELD_PLACEHOLDER_DATE
 * for a value that systems use to mean unknown or never:
 *   0001-01-01, 1753-01-01, 1800-01-01, 1899-12-30, 1899-12-31,
 *   1900-01-01, 1901-01-01, 2099-12-31, 2999-12-31, 9999-12-31.
 * 1970-01-01 is deliberately not in the list: people were born that day.
 */
enum field_reason fields_date(const char *s, size_t n, unsigned formats,
	    int32_t *days);
/*
 * A date of birth: fields_date(), then FIELD_DOB_FUTURE when the date is
 * after 'asof_days' (the run's as-of date; a birth on it is fine) and
 * FIELD_DOB_BEFORE_1900 when it is before 1900-01-01.
 */
enum field_reason fields_dob(const char *s, size_t n, unsigned formats,
	    int32_t asof_days, int32_t *days);

/*
 * An amount in pounds as integer pence: an optional '-', digits, and an
 * optional '.' with one or two digits ("12" is 1200, "12.5" is 1250,
 * "-0.01" is -1). With FIELD_MONEY_POUND one '£' may stand before or
 * after the minus sign ("-£5.00", "£-5.00"); with FIELD_MONEY_THOUSANDS
 * the pounds may be grouped as 1 to 3 digits then ",ddd" groups
 * ("1,234.56"). Leading zeros are fine. Returns FIELD_BAD_MONEY for
 * anything else ('+', inner spaces, "1.", ".5", "1e3", "12,34", a sign
 * alone), FIELD_MONEY_PRECISION for three or more decimals, and
 * FIELD_MONEY_OVERFLOW outside INT64_MIN..INT64_MAX pence
 * (-92233720368547758.08 to 92233720368547758.07), in that order.
 */
enum field_reason fields_money(const char *s, size_t n, unsigned flags,
	    int64_t *pence);

/*
 * A decimal integer in [min, max] (min <= max, asserted): digits only, a
 * leading '-' allowed only when min < 0, never '+'. Returns FIELD_BAD_INT
 * for a malformed value and FIELD_INT_RANGE for a well-formed one outside
 * the range, however many digits it has.
 */
enum field_reason fields_int(const char *s, size_t n, int64_t min,
	    int64_t max, int64_t *out);

/*
 * A financial year (1 April to 31 March) written "2024/25" or "2024-25":
 * the second part is the start year plus one, modulo 100 ("2099/00").
 * *start_year is the first year, 1990 to 2100. Anything else, "2024/2025"
 * included, is FIELD_BAD_FY.
 */
enum field_reason fields_fy(const char *s, size_t n, int *start_year);

/*
 * One of 'nvalues' NUL-terminated 'values' (none NULL; borrowed),
 * compared exactly but ignoring ASCII case. *idx is the index of the
 * first match. Returns FIELD_BAD_ENUM when none matches.
 */
enum field_reason fields_enum(const char *s, size_t n,
	    const char *const *values, size_t nvalues, int *idx);

/*
 * A National Insurance number: two letters, six digits and a suffix A to
 * D or none, in any case, with spaces anywhere ("ab 12 34 56 c"). 'out'
 * (10 bytes) gets the upper-case form without spaces, 8 or 9 characters
 * plus a NUL; match on its first eight. Returns FIELD_NINO_PREFIX when the
 * shape is right but the prefix is never a NINO (D, F, I, Q, U or V as
 * either letter, O as the second; BG, GB, KN, NK, NT, TN, ZZ; the
 * administrative OO, CR, FY, MW, NC, PP, PY, PZ), FIELD_BAD_NINO for any
 * other shape (temporary reference numbers included).
 */
enum field_reason fields_nino(const char *s, size_t n, char out[10]);

/*
 * An NHS number: ten digits, optionally grouped 3-3-4 by one space or
 * dash at each break ("943 476 5919", "943-476-5919"). 'out' (11 bytes)
 * gets the ten digits and a NUL. Returns FIELD_BAD_NHS for another shape
 * and FIELD_NHS_CHECK when the modulus 11 check digit is wrong (weights
 * 10 down to 2 on the first nine digits; check = 11 - sum mod 11, where
 * 11 means 0 and 10 means no number is valid).
 */
enum field_reason fields_nhs(const char *s, size_t n, char out[11]);

/*
 * A UK postcode in any case, with or without spaces (any number, anywhere).
 * The outward code is A9, A99, AA9, AA99, A9A or AA9A (A a letter, 9 a
 * digit); the inward code is 9AA with no C, I, K, M, O or V; GIR 0AA is
 * also accepted. 'out' (9 bytes) gets the upper-case form with one space,
 * "EC1A 1BB", and a NUL. Whether the postcode exists is not checked.
 * Returns FIELD_BAD_POSTCODE otherwise.
 */
enum field_reason fields_postcode(const char *s, size_t n, char out[9]);

/*
 * A UPRN: digits only, any number of leading zeros, then at most 12
 * significant digits, not zero. Compare UPRNs as numbers, never as text.
 * Returns FIELD_BAD_UPRN otherwise.
 */
enum field_reason fields_uprn(const char *s, size_t n, uint64_t *uprn);

/*
 * Free text of at most 'max' bytes after trimming (bytes, not characters;
 * UTF-8 validity is the reader's job). *out and *outlen give the trimmed
 * text, a pointer into 's' (borrowed as 's' is). Returns FIELD_TOO_LONG
 * when longer than 'max'.
 */
enum field_reason fields_text(const char *s, size_t n, size_t max,
	    const char **out, size_t *outlen);

#endif
