#include "etl/fields.h"

#include <assert.h>
#include <string.h>

/*
 * Every validator works on bytes with explicit ASCII tests, never on the
 * <ctype.h> functions: those depend on the locale and are undefined for
 * negative char values, and the input is raw feed text.
 */

static const struct {
	const char *name;
	const char *text;
} reasons[FIELD_NREASONS] = {
	[FIELD_OK] = { "ok", "valid" },
	[FIELD_MISSING] = { "missing", "value is empty" },
	[FIELD_BAD_MONEY] = { "bad_money",
	    "not an amount in pounds with at most two decimals" },
	[FIELD_MONEY_PRECISION] = { "money_precision",
	    "amount has more than two decimal places" },
	[FIELD_MONEY_OVERFLOW] = { "money_overflow",
	    "amount is too large to hold in pence" },
	[FIELD_BAD_DATE] = { "bad_date", "not a date in an accepted format" },
	[FIELD_IMPOSSIBLE_DATE] = { "impossible_date",
	    "date does not exist in the calendar" },
	[FIELD_PLACEHOLDER_DATE] = { "placeholder_date",
	    "date is a placeholder that means unknown" },
	[FIELD_DOB_FUTURE] = { "dob_future",
	    "date of birth is after the as-of date" },
	[FIELD_DOB_BEFORE_1900] = { "dob_before_1900",
	    "date of birth is before 1900" },
	[FIELD_BAD_NINO] = { "bad_nino",
	    "not a national insurance number" },
	[FIELD_NINO_PREFIX] = { "nino_prefix",
	    "national insurance number has a prefix that is never issued" },
	[FIELD_BAD_NHS] = { "bad_nhs", "not a ten-digit nhs number" },
	[FIELD_NHS_CHECK] = { "nhs_check",
	    "nhs number fails its check digit" },
	[FIELD_BAD_POSTCODE] = { "bad_postcode", "not a uk postcode" },
	[FIELD_BAD_UPRN] = { "bad_uprn",
	    "not a uprn of one to twelve digits" },
	[FIELD_BAD_ENUM] = { "bad_enum", "not one of the allowed values" },
	[FIELD_BAD_INT] = { "bad_int", "not a whole number" },
	[FIELD_INT_RANGE] = { "int_range", "number is out of range" },
	[FIELD_BAD_FY] = { "bad_fy",
	    "not a financial year such as 2024/25" },
	[FIELD_TOO_LONG] = { "too_long", "text is longer than allowed" },
};

const char *
field_reason_name(enum field_reason r)
{
	if ((unsigned)r >= FIELD_NREASONS)
		return "unknown";
	return reasons[r].name;
}

const char *
field_reason_text(enum field_reason r)
{
	if ((unsigned)r >= FIELD_NREASONS)
		return "unknown reason";
	return reasons[r].text;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static unsigned char
to_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

/* The value of n (1 to 4) digits at s, or -1 if any is not a digit. */
static int
digits_value(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

void
fields_trim(const char **s, size_t *n)
{
	const char *p = *s;
	size_t len = *n;

	while (len > 0 && (p[0] == ' ' || p[0] == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	*s = p;
	*n = len;
}

/*
 * Calendar. The conversions are Howard Hinnant's days_from_civil and
 * civil_from_days: count from 0000-03-01 so that the leap day ends each
 * year, in 400-year eras of 146097 days. Done in int64_t so that no
 * intermediate overflows for any int32_t day number.
 */

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const unsigned char mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && is_leap(y))
		return 29;
	return mdays[m - 1];
}

bool
fields_ymd_is_valid(int y, int m, int d)
{
	if (m < 1 || m > 12 || d < 1)
		return false;
	return d <= days_in_month(y, m);
}

int32_t
fields_days_from_ymd(int y, int m, int d)
{
	int64_t yy, era, yoe, doy, doe, days;

	assert(fields_ymd_is_valid(y, m, d));
	yy = (int64_t)y - (m <= 2);
	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = yy - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	assert(days >= INT32_MIN && days <= INT32_MAX);
	return (int32_t)days;
}

void
fields_ymd_from_days(int32_t days, int *y, int *m, int *d)
{
	int64_t z, era, doe, yoe, doy, mp, yy;

	z = (int64_t)days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	yy = yoe + era * 400 + (*m <= 2);
	*y = (int)yy;
}

bool
fields_date_format(int32_t days, char out[11])
{
	int y, m, d;

	if (days < FIELDS_DAYS_0000_01_01 || days > FIELDS_DAYS_9999_12_31) {
		out[0] = '\0';
		return false;
	}
	fields_ymd_from_days(days, &y, &m, &d);
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
	return true;
}

/* Values that systems write for unknown or never; see fields.h. */
static const struct {
	short	 y;
	signed char m, d;
} placeholders[] = {
	{ 1, 1, 1 },		/* minimum of .NET, Java and many ORMs */
	{ 1753, 1, 1 },		/* minimum of SQL Server datetime */
	{ 1800, 1, 1 },
	{ 1899, 12, 30 },	/* day zero of OLE Automation dates */
	{ 1899, 12, 31 },	/* day zero of Excel's 1900 date system */
	{ 1900, 1, 1 },
	{ 1901, 1, 1 },
	{ 2099, 12, 31 },	/* "open ended" in many systems */
	{ 2999, 12, 31 },
	{ 9999, 12, 31 },	/* maximum of most databases */
};

static bool
is_placeholder(int y, int m, int d)
{
	size_t i;

	for (i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (placeholders[i].y == y && placeholders[i].m == m &&
		    placeholders[i].d == d)
			return true;
	return false;
}

/*
 * Shape parsers for fields_date(). Each returns FIELD_BAD_DATE when the
 * shape does not fit, else fills y, m, d (not yet checked as a date).
 */

static enum field_reason
shape_iso(const char *s, size_t n, int *y, int *m, int *d)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return FIELD_BAD_DATE;
	*y = digits_value(s, 4);
	*m = digits_value(s + 5, 2);
	*d = digits_value(s + 8, 2);
	if (*y < 0 || *m < 0 || *d < 0)
		return FIELD_BAD_DATE;
	return FIELD_OK;
}

/* Day and month have 1 or 2 digits ('one_digit') or exactly 2. */
static enum field_reason
shape_dmy(const char *s, size_t n, char sep, bool one_digit, int *y, int *m,
    int *d)
{
	const char *end = s + n, *s1, *s2;
	size_t dl, ml, least = one_digit ? 1 : 2;

	if ((s1 = memchr(s, sep, n)) == NULL)
		return FIELD_BAD_DATE;
	if ((s2 = memchr(s1 + 1, sep, (size_t)(end - s1 - 1))) == NULL)
		return FIELD_BAD_DATE;
	dl = (size_t)(s1 - s);
	ml = (size_t)(s2 - s1 - 1);
	if (dl < least || dl > 2 || ml < least || ml > 2 || end - s2 != 5)
		return FIELD_BAD_DATE;
	*d = digits_value(s, dl);
	*m = digits_value(s1 + 1, ml);
	*y = digits_value(s2 + 1, 4);
	if (*y < 0 || *m < 0 || *d < 0)
		return FIELD_BAD_DATE;
	return FIELD_OK;
}

enum field_reason
fields_date(const char *s, size_t n, unsigned formats, int32_t *days)
{
	enum field_reason r = FIELD_BAD_DATE;
	int y = 0, m = 0, d = 0;

	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	/* The shapes differ in separators and lengths: at most one fits. */
	if ((formats & FIELD_DATE_ISO) && r != FIELD_OK)
		r = shape_iso(s, n, &y, &m, &d);
	if ((formats & FIELD_DATE_DMY) && r != FIELD_OK)
		r = shape_dmy(s, n, '/', true, &y, &m, &d);
	if ((formats & FIELD_DATE_DMY_DASH) && r != FIELD_OK)
		r = shape_dmy(s, n, '-', false, &y, &m, &d);
	if (r != FIELD_OK)
		return r;
	/* Year 0000 is 1 BC: no feed means it. */
	if (y == 0 || !fields_ymd_is_valid(y, m, d))
		return FIELD_IMPOSSIBLE_DATE;
	if (is_placeholder(y, m, d))
		return FIELD_PLACEHOLDER_DATE;
	*days = fields_days_from_ymd(y, m, d);
	return FIELD_OK;
}

#define DAYS_1900_01_01	(-25567)

enum field_reason
fields_dob(const char *s, size_t n, unsigned formats, int32_t asof_days,
    int32_t *days)
{
	enum field_reason r;
	int32_t v;

	if ((r = fields_date(s, n, formats, &v)) != FIELD_OK)
		return r;
	if (v > asof_days)
		return FIELD_DOB_FUTURE;
	if (v < DAYS_1900_01_01)
		return FIELD_DOB_BEFORE_1900;
	*days = v;
	return FIELD_OK;
}

/*
 * Digits accumulate in a uint64_t that sticks at UINT64_MAX once the value
 * passes what any int64_t could hold, so a long run of digits is a range
 * error, never undefined behaviour, and the scan still reaches the end to
 * report junk before overflow.
 */

/* Scan digits at *p, adding them to *acc (saturating); return how many. */
static size_t
scan_digits(const char **p, const char *end, uint64_t *acc)
{
	const char *start = *p, *q = *p;
	uint64_t v = *acc;

	while (q < end && is_digit((unsigned char)*q)) {
		if (v > (UINT64_MAX - 9) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + (uint64_t)(*q - '0');
		q++;
	}
	*acc = v;
	*p = q;
	return (size_t)(q - start);
}

enum field_reason
fields_money(const char *s, size_t n, unsigned flags, int64_t *pence)
{
	const char *p, *end;
	uint64_t pounds = 0, frac = 0, mag, limit;
	size_t nd;
	bool neg = false, pound = false;

	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	p = s;
	end = s + n;
	/* At most one '-' and one '£', in either order. */
	for (;;) {
		if (p < end && *p == '-' && !neg) {
			neg = true;
			p++;
		} else if ((flags & FIELD_MONEY_POUND) && !pound &&
		    end - p >= 2 && (unsigned char)p[0] == 0xc2 &&
		    (unsigned char)p[1] == 0xa3) {
			pound = true;
			p += 2;
		} else
			break;
	}
	nd = scan_digits(&p, end, &pounds);
	if (nd == 0)
		return FIELD_BAD_MONEY;
	if ((flags & FIELD_MONEY_THOUSANDS) && p < end && *p == ',') {
		/* The first group has 1 to 3 digits, every later one 3. */
		if (nd > 3)
			return FIELD_BAD_MONEY;
		while (p < end && *p == ',') {
			p++;
			if (scan_digits(&p, end, &pounds) != 3)
				return FIELD_BAD_MONEY;
		}
	}
	if (p < end) {
		if (*p != '.')
			return FIELD_BAD_MONEY;
		p++;
		nd = scan_digits(&p, end, &frac);
		if (nd == 0 || p != end)
			return FIELD_BAD_MONEY;
		if (nd > 2)
			return FIELD_MONEY_PRECISION;
		if (nd == 1)
			frac *= 10;
	}
	/* Checked first so that pounds * 100 cannot wrap. */
	if (pounds > (uint64_t)INT64_MAX / 100 + 1)
		return FIELD_MONEY_OVERFLOW;
	mag = pounds * 100 + frac;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (mag > limit)
		return FIELD_MONEY_OVERFLOW;
	if (!neg)
		*pence = (int64_t)mag;
	else if (mag == (uint64_t)INT64_MAX + 1)
		*pence = INT64_MIN;
	else
		*pence = -(int64_t)mag;
	return FIELD_OK;
}

enum field_reason
fields_int(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	const char *p, *end;
	uint64_t mag = 0;
	int64_t v;
	bool neg = false;

	assert(min <= max);
	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	p = s;
	end = s + n;
	if (*p == '-' && min < 0) {
		neg = true;
		p++;
	}
	if (p == end || scan_digits(&p, end, &mag) == 0 || p != end)
		return FIELD_BAD_INT;
	if (!neg) {
		if (mag > (uint64_t)INT64_MAX)
			return FIELD_INT_RANGE;
		v = (int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX + 1)
			return FIELD_INT_RANGE;
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	}
	if (v < min || v > max)
		return FIELD_INT_RANGE;
	*out = v;
	return FIELD_OK;
}

enum field_reason
fields_fy(const char *s, size_t n, int *start_year)
{
	int y, yy;

	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	if (n != 7 || (s[4] != '/' && s[4] != '-'))
		return FIELD_BAD_FY;
	y = digits_value(s, 4);
	yy = digits_value(s + 5, 2);
	if (y < 1990 || y > 2100 || yy != (y + 1) % 100)
		return FIELD_BAD_FY;
	*start_year = y;
	return FIELD_OK;
}

enum field_reason
fields_enum(const char *s, size_t n, const char *const *values,
    size_t nvalues, int *idx)
{
	size_t i, j;
	const char *v;

	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	for (i = 0; i < nvalues; i++) {
		v = values[i];
		/* Walk both; v ends at its NUL, s at n (it may hold a NUL). */
		for (j = 0; j < n && v[j] != '\0'; j++)
			if (to_upper((unsigned char)s[j]) !=
			    to_upper((unsigned char)v[j]))
				break;
		if (j == n && v[j] == '\0') {
			*idx = (int)i;
			return FIELD_OK;
		}
	}
	return FIELD_BAD_ENUM;
}

/*
 * NINO prefixes that pass the letter rules but are never NINOs: not
 * issued (BG, GB, KN, NK, NT, TN, ZZ) or administrative (CR, FY, MW, NC,
 * PP, PY, PZ, and OO, which the O rule already excludes).
 */
static const char nino_bad_prefixes[][2] = {
	{ 'B', 'G' }, { 'G', 'B' }, { 'K', 'N' }, { 'N', 'K' }, { 'N', 'T' },
	{ 'T', 'N' }, { 'Z', 'Z' }, { 'O', 'O' }, { 'C', 'R' }, { 'F', 'Y' },
	{ 'M', 'W' }, { 'N', 'C' }, { 'P', 'P' }, { 'P', 'Y' }, { 'P', 'Z' },
};
#define NINO_NBAD \
	(sizeof(nino_bad_prefixes) / sizeof(nino_bad_prefixes[0]))

/* Whether c (upper case) is one of D, F, I, Q, U, V. */
static bool
nino_never_letter(unsigned char c)
{
	return c == 'D' || c == 'F' || c == 'I' || c == 'Q' || c == 'U' ||
	    c == 'V';
}

enum field_reason
fields_nino(const char *s, size_t n, char out[10])
{
	char buf[10];
	size_t i, len = 0;
	unsigned char c;

	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == ' ')
			continue;
		if (len == 9)
			return FIELD_BAD_NINO;
		buf[len++] = (char)to_upper(c);
	}
	if (len < 8)
		return FIELD_BAD_NINO;
	if (!is_alpha((unsigned char)buf[0]) ||
	    !is_alpha((unsigned char)buf[1]))
		return FIELD_BAD_NINO;
	for (i = 2; i < 8; i++)
		if (!is_digit((unsigned char)buf[i]))
			return FIELD_BAD_NINO;
	if (len == 9 && (buf[8] < 'A' || buf[8] > 'D'))
		return FIELD_BAD_NINO;
	buf[len] = '\0';
	if (nino_never_letter((unsigned char)buf[0]) ||
	    nino_never_letter((unsigned char)buf[1]) || buf[1] == 'O')
		return FIELD_NINO_PREFIX;
	for (i = 0; i < NINO_NBAD; i++)
		if (buf[0] == nino_bad_prefixes[i][0] &&
		    buf[1] == nino_bad_prefixes[i][1])
			return FIELD_NINO_PREFIX;
	memcpy(out, buf, len + 1);
	return FIELD_OK;
}

enum field_reason
fields_nhs(const char *s, size_t n, char out[11])
{
	char buf[11];
	size_t i, len = 0;
	unsigned sum = 0, check;

	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	for (i = 0; i < n; i++) {
		/* One space or dash may follow the third and sixth digits. */
		if ((s[i] == ' ' || s[i] == '-') && (len == 3 || len == 6) &&
		    i > 0 && is_digit((unsigned char)s[i - 1]))
			continue;
		if (len == 10 || !is_digit((unsigned char)s[i]))
			return FIELD_BAD_NHS;
		buf[len++] = s[i];
	}
	if (len != 10)
		return FIELD_BAD_NHS;
	buf[10] = '\0';
	for (i = 0; i < 9; i++)
		sum += (unsigned)(buf[i] - '0') * (unsigned)(10 - i);
	check = 11 - sum % 11;
	if (check == 11)
		check = 0;
	if (check == 10 || check != (unsigned)(buf[9] - '0'))
		return FIELD_NHS_CHECK;
	memcpy(out, buf, sizeof(buf));
	return FIELD_OK;
}

/* Whether c (upper case) may be an inward-code letter: not C I K M O V. */
static bool
postcode_inward_letter(unsigned char c)
{
	return c >= 'A' && c <= 'Z' && c != 'C' && c != 'I' && c != 'K' &&
	    c != 'M' && c != 'O' && c != 'V';
}

/*
 * Whether the outward code o (upper case, len 2 to 4) has one of the six
 * shapes A9, A99, AA9, AA99, A9A, AA9A.
 */
static bool
postcode_outward_ok(const char *o, size_t len)
{
	char shape[5];
	size_t i;

	for (i = 0; i < len; i++) {
		if (is_alpha((unsigned char)o[i]))
			shape[i] = 'A';
		else if (is_digit((unsigned char)o[i]))
			shape[i] = '9';
		else
			return false;
	}
	shape[len] = '\0';
	return strcmp(shape, "A9") == 0 || strcmp(shape, "A99") == 0 ||
	    strcmp(shape, "AA9") == 0 || strcmp(shape, "AA99") == 0 ||
	    strcmp(shape, "A9A") == 0 || strcmp(shape, "AA9A") == 0;
}

enum field_reason
fields_postcode(const char *s, size_t n, char out[9])
{
	char buf[7];
	size_t i, len = 0, olen;

	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	for (i = 0; i < n; i++) {
		if (s[i] == ' ')
			continue;
		if (len == sizeof(buf))
			return FIELD_BAD_POSTCODE;
		buf[len++] = (char)to_upper((unsigned char)s[i]);
	}
	if (len < 5)
		return FIELD_BAD_POSTCODE;
	olen = len - 3;
	if (!is_digit((unsigned char)buf[olen]) ||
	    !postcode_inward_letter((unsigned char)buf[olen + 1]) ||
	    !postcode_inward_letter((unsigned char)buf[olen + 2]))
		return FIELD_BAD_POSTCODE;
	/* GIR 0AA (once Girobank) breaks the outward rules; it alone does. */
	if (!postcode_outward_ok(buf, olen) &&
	    !(len == 6 && memcmp(buf, "GIR0AA", 6) == 0))
		return FIELD_BAD_POSTCODE;
	memcpy(out, buf, olen);
	out[olen] = ' ';
	memcpy(out + olen + 1, buf + olen, 3);
	out[len + 1] = '\0';
	return FIELD_OK;
}

enum field_reason
fields_uprn(const char *s, size_t n, uint64_t *uprn)
{
	size_t i;
	uint64_t v = 0;
	unsigned sig = 0;

	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return FIELD_BAD_UPRN;
		if (v == 0 && s[i] == '0')
			continue;
		if (++sig > 12)
			return FIELD_BAD_UPRN;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v == 0)
		return FIELD_BAD_UPRN;
	*uprn = v;
	return FIELD_OK;
}

enum field_reason
fields_text(const char *s, size_t n, size_t max, const char **out,
    size_t *outlen)
{
	fields_trim(&s, &n);
	if (n == 0)
		return FIELD_MISSING;
	if (n > max)
		return FIELD_TOO_LONG;
	*out = s;
	*outlen = n;
	return FIELD_OK;
}
