#include "matchers/normalize.h"

#include <ctype.h>
#include <string.h>

#include <utf8proc.h>

#include "etl/err.h"

/*
 * How a name is normalised, in two steps:
 *
 * 1. fold() turns one source field into words: upper case, diacritics
 *    gone, punctuation applied, single spaces. Plain ASCII (the great
 *    majority of names) takes a table-driven byte loop and never calls
 *    utf8proc. Anything else goes through utf8proc_decompose_custom into a
 *    stack buffer (no malloc): NFKC with case folding and marks stripped,
 *    dashes and quotes lumped to ASCII; then each code point is classed by
 *    its Unicode category and upper-cased.
 * 2. normalize_name() splits the words into title, given names, surname
 *    and suffix, moving titles and suffixes out of the wrong field.
 */

/* Most words kept per field; more are dropped. */
#define NORM_MAX_WORDS		32
/* Bytes of a folded field, including the NUL. */
#define FOLD_MAX		(NORM_INPUT_MAX + 1)
/* Code points decoded at once; longer input is shortened and retried. */
#define FOLD_CODEPOINTS		(2 * NORM_INPUT_MAX)

/* Byte classes for the ASCII path. */
enum fold_class {
	FC_SPACE = 0,	/* separator: space, control, most punctuation */
	FC_KEEP,	/* letter or digit: kept, upper-cased */
	FC_DROP,	/* apostrophe, backquote: removed */
	FC_DOT,		/* full stop: removed, or a space in given names */
	FC_HYPHEN	/* hyphen: kept inside a name */
};

/* Whether a full stop separates words (given names) or vanishes. */
enum fold_mode {
	FOLD_SURNAME,
	FOLD_GIVEN
};

/*
 * Class of each ASCII byte: S separator (space, control, most
 * punctuation), K kept (letters, digits), X dropped (' and `), D full
 * stop, H hyphen. Rows of 16 from 0x00.
 */
#define S FC_SPACE
#define K FC_KEEP
#define X FC_DROP
#define D FC_DOT
#define H FC_HYPHEN
static const unsigned char ascii_class[128] = {
	S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
	S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
	S, S, S, S, S, S, S, X, S, S, S, S, S, H, D, S,
	K, K, K, K, K, K, K, K, K, K, S, S, S, S, S, S,
	S, K, K, K, K, K, K, K, K, K, K, K, K, K, K, K,
	K, K, K, K, K, K, K, K, K, K, K, S, S, S, S, S,
	X, K, K, K, K, K, K, K, K, K, K, K, K, K, K, K,
	K, K, K, K, K, K, K, K, K, K, K, S, S, S, S, S,
};
#undef S
#undef K
#undef X
#undef D
#undef H

/* Output under construction: words, single separators, a byte cap. */
struct fold_out {
	char	*buf;
	size_t	 cap;		/* bytes including the NUL */
	size_t	 len;
	bool	 space;		/* a space is pending before the next char */
	bool	 hyphen;	/* a hyphen is pending (wins over a space) */
	bool	 full;		/* stop: the next char did not fit */
};

static const utf8proc_option_t fold_options = UTF8PROC_STABLE |
    UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_IGNORE |
    UTF8PROC_CASEFOLD | UTF8PROC_LUMP | UTF8PROC_STRIPMARK;

/* Append one character of n bytes, with any pending separator first. */
static void
fold_put(struct fold_out *o, const char *p, size_t n)
{
	size_t sep;

	if (o->full)
		return;
	sep = (o->len > 0 && (o->hyphen || o->space)) ? 1 : 0;
	if (o->len + sep + n + 1 > o->cap) {
		o->full = true;
		return;
	}
	if (sep)
		o->buf[o->len++] = o->hyphen ? '-' : ' ';
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->space = o->hyphen = false;
}

static void
fold_class_apply(struct fold_out *o, int cls, enum fold_mode mode)
{
	switch (cls) {
	case FC_HYPHEN:
		o->hyphen = true;
		break;
	case FC_DOT:
		if (mode == FOLD_GIVEN)
			o->space = true;
		break;
	case FC_DROP:
		break;
	default:
		o->space = true;
		break;
	}
}

/*
 * The ASCII path, inlined by hand because it runs for nearly every name.
 * Returns false, with 'o' in an unspecified state, on meeting a byte of
 * 0x80 or more: the caller then starts again on the Unicode path.
 */
static bool
fold_ascii(const char *in, enum fold_mode mode, struct fold_out *o)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i, len = 0, lim = o->cap - 1;
	bool space = false, hyphen = false;
	unsigned char c;

	for (i = 0; i < NORM_INPUT_MAX && (c = s[i]) != '\0'; i++) {
		if (c >= 0x80)
			return false;
		switch (ascii_class[c]) {
		case FC_KEEP:
			if (len > 0 && (space || hyphen)) {
				if (len + 2 > lim)
					goto full;
				o->buf[len++] = hyphen ? '-' : ' ';
			} else if (len + 1 > lim) {
				goto full;
			}
			o->buf[len++] = (char)(c >= 'a' && c <= 'z' ?
			    c - 'a' + 'A' : c);
			space = hyphen = false;
			break;
		case FC_HYPHEN:
			hyphen = true;
			break;
		case FC_DOT:
			if (mode == FOLD_GIVEN)
				space = true;
			break;
		case FC_DROP:
			break;
		default:
			space = true;
			break;
		}
	}
	o->len = len;
	return true;
full:
	/* Output is full; the rest only matters if it is not ASCII. */
	for (; i < NORM_INPUT_MAX && s[i] != '\0'; i++)
		if (s[i] >= 0x80)
			return false;
	o->len = len;
	o->full = true;
	return true;
}

/*
 * Applied to each code point before utf8proc's own mappings. Quote-like
 * characters become an apostrophe, so O’Brien and O´Brien lose it like
 * O'Brien (U+00B4 would otherwise decompose to a space and an accent).
 * Letters with a stroke have no Unicode decomposition, so STRIPMARK keeps
 * them; these few are mapped to their base letter, as people typing
 * Łukasz or Đức on an English keyboard write Lukasz and Duc.
 */
static utf8proc_int32_t
fold_custom(utf8proc_int32_t cp, void *data)
{
	(void)data;
	switch (cp) {
	case 0x0141:	/* L with stroke */
	case 0x0142:
		return 'L';
	case 0x00D8:	/* O with stroke */
	case 0x00F8:
		return 'O';
	case 0x0110:	/* D with stroke */
	case 0x0111:
		return 'D';
	case 0x0126:	/* H with stroke */
	case 0x0127:
		return 'H';
	case 0x00B4:	/* acute accent */
	case 0x02B9:	/* modifier letter prime */
	case 0x02BB:	/* modifier letter turned comma */
	case 0x02BC:	/* modifier letter apostrophe */
	case 0x2018:	/* left single quotation mark */
	case 0x2019:	/* right single quotation mark */
	case 0x201B:	/* single high-reversed-9 quotation mark */
	case 0x2032:	/* prime */
		return '\'';
	default:
		return cp;
	}
}

/*
 * Copy the valid UTF-8 sequences of in[0..n) to 'dst' (at least n bytes),
 * dropping bytes that do not start one. Returns the bytes copied.
 */
static size_t
utf8_sanitise(const char *in, size_t n, utf8proc_uint8_t *dst)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)in;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;
	size_t i = 0, len = 0;

	while (i < n) {
		if (s[i] < 0x80) {
			dst[len++] = s[i++];
			continue;
		}
		k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0) {
			i++;
			continue;
		}
		memcpy(dst + len, s + i, (size_t)k);
		len += (size_t)k;
		i += (size_t)k;
	}
	return len;
}

/* Shorten a valid UTF-8 string to at most 'max' bytes, whole characters. */
static size_t
utf8_cut(const utf8proc_uint8_t *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && (s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

static void
fold_unicode(const char *in, size_t n, enum fold_mode mode,
    struct fold_out *o)
{
	utf8proc_uint8_t clean[NORM_INPUT_MAX];
	utf8proc_int32_t cps[FOLD_CODEPOINTS];
	utf8proc_uint8_t enc[4];
	utf8proc_ssize_t ncp, i, k;
	utf8proc_int32_t cp;
	size_t len;
	char c;

	len = utf8_sanitise(in, n, clean);
	for (;;) {
		ncp = utf8proc_decompose_custom(clean, (utf8proc_ssize_t)len,
		    cps, FOLD_CODEPOINTS, fold_options, fold_custom, NULL);
		if (ncp < 0)
			return;		/* cannot happen after sanitising */
		if (ncp <= FOLD_CODEPOINTS)
			break;
		/* Pathological expansion: keep the first half and retry. */
		len = utf8_cut(clean, len, len / 2);
	}
	ncp = utf8proc_normalize_utf32(cps, ncp, fold_options);
	if (ncp < 0)
		return;
	for (i = 0; i < ncp && !o->full; i++) {
		cp = cps[i];
		if (cp < 0x80) {
			c = (char)cp;
			if (ascii_class[cp] == FC_KEEP) {
				if (c >= 'a' && c <= 'z')
					c = (char)(c - 'a' + 'A');
				fold_put(o, &c, 1);
			} else {
				fold_class_apply(o, ascii_class[cp], mode);
			}
			continue;
		}
		switch (utf8proc_category(cp)) {
		case UTF8PROC_CATEGORY_LU:
		case UTF8PROC_CATEGORY_LL:
		case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM:
		case UTF8PROC_CATEGORY_LO:
		case UTF8PROC_CATEGORY_MN:
		case UTF8PROC_CATEGORY_MC:
		case UTF8PROC_CATEGORY_ME:
		case UTF8PROC_CATEGORY_ND:
		case UTF8PROC_CATEGORY_NL:
		case UTF8PROC_CATEGORY_NO:
			k = utf8proc_encode_char(utf8proc_toupper(cp), enc);
			if (k > 0)
				fold_put(o, (const char *)enc, (size_t)k);
			break;
		case UTF8PROC_CATEGORY_PD:
			o->hyphen = true;
			break;
		default:
			o->space = true;
			break;
		}
	}
}

/*
 * Fold 'in' (NULL allowed) into out[cap]: words of upper-case letters and
 * digits, joined by single spaces or hyphens. Returns the length.
 */
static size_t
fold(const char *in, enum fold_mode mode, char *out, size_t cap)
{
	struct fold_out o;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (in == NULL)
		return 0;
	o.buf = out;
	o.cap = cap;
	o.len = 0;
	o.space = o.hyphen = o.full = false;
	if (!fold_ascii(in, mode, &o)) {
		o.len = 0;
		o.space = o.hyphen = o.full = false;
		fold_unicode(in, strnlen(in, NORM_INPUT_MAX), mode, &o);
	}
	out[o.len] = '\0';
	return o.len;
}

size_t
normalize_text(const char *in, char *out, size_t cap)
{
	return fold(in, FOLD_SURNAME, out, cap);
}

size_t
normalize_premises(const char *const *lines, size_t n, char *out, size_t cap)
{
	size_t len = 0, nums = 0, i;
	const char *p;

	out[0] = '\0';
	for (i = 0; i < n && nums < NORM_PREMISES_NUMBERS; i++) {
		for (p = lines[i]; p != NULL && *p != '\0' &&
		    nums < NORM_PREMISES_NUMBERS; ) {
			const char *q = p;
			size_t w;

			/* A number starts a word: not the 12 of "B12". */
			if (!isdigit((unsigned char)*p) || (p > lines[i] &&
			    isalnum((unsigned char)p[-1]))) {
				p++;
				continue;
			}
			while (isdigit((unsigned char)*q))
				q++;
			/* "12A" but not the "12" of "12TH": one letter. */
			if (isalpha((unsigned char)q[0]) &&
			    !isalnum((unsigned char)q[1]))
				q++;
			w = (size_t)(q - p);
			if (len + w + 2 > cap)
				return len;
			if (len > 0)
				out[len++] = ' ';
			for (; p < q; p++)
				out[len++] = (char)toupper((unsigned char)*p);
			out[len] = '\0';
			nums++;
		}
	}
	if (nums > 0)
		return len;
	for (i = 0; i < n; i++)
		if (lines[i] != NULL && lines[i][0] != '\0')
			return normalize_text(lines[i], out, cap);
	return 0;
}

/* A word: 'len' bytes at 'p' inside a folded buffer (not NUL-ended). */
struct word {
	const char *p;
	size_t	 len;
};

/* Split a folded string at spaces into at most 'max' words. */
static size_t
split_words(const char *s, size_t len, struct word *w, size_t max)
{
	size_t i = 0, start, n = 0;

	while (i < len && n < max) {
		start = i;
		while (i < len && s[i] != ' ')
			i++;
		w[n].p = s + start;
		w[n].len = i - start;
		n++;
		i++;		/* the space */
	}
	return n;
}

static bool
word_is(const struct word *w, const char *s)
{
	/* The first byte rules out most candidates before strlen. */
	return w->p[0] == s[0] && w->len == strlen(s) &&
	    memcmp(w->p, s, w->len) == 0;
}

/* Look 'w' up in a NULL-ended table of {spelling, canonical} pairs. */
static const char *
word_lookup(const struct word *w, const char *const (*table)[2])
{
	size_t i;

	if (w->len > 9)
		return NULL;
	for (i = 0; table[i][0] != NULL; i++)
		if (word_is(w, table[i][0]))
			return table[i][1];
	return NULL;
}

static const char *const titles[][2] = {
	{ "MR", "MR" }, { "MRS", "MRS" }, { "MS", "MS" }, { "MISS", "MISS" },
	{ "MX", "MX" }, { "DR", "DR" }, { "REV", "REV" }, { "PROF", "PROF" },
	{ "SIR", "SIR" }, { "LADY", "LADY" }, { "DAME", "DAME" },
	{ "LORD", "LORD" }, { "MISTER", "MR" }, { "DOCTOR", "DR" },
	{ "REVD", "REV" }, { "REVEREND", "REV" }, { "PROFESSOR", "PROF" },
	{ NULL, NULL }
};

static const char *const suffixes[][2] = {
	{ "JR", "JR" }, { "JNR", "JR" }, { "JUNIOR", "JR" },
	{ "SR", "SR" }, { "SNR", "SR" }, { "SENIOR", "SR" },
	{ "II", "II" }, { "III", "III" }, { "IV", "IV" },
	{ NULL, NULL }
};

/*
 * Words that begin a surname rather than form one half of a
 * double-barrelled one: "DE SOUZA" is one surname, "BONHAM CARTER" two.
 */
static const char *const particles[] = {
	"AL", "AP", "BEN", "BIN", "DA", "DAS", "DE", "DEL", "DELLA", "DEN",
	"DER", "DI", "DO", "DOS", "DU", "EL", "IBN", "LA", "LE", "LO", "MAC",
	"MC", "NI", "NIC", "O", "SAINT", "ST", "STE", "TEN", "TER", "UA",
	"VAN", "VON", NULL
};

static bool
is_particle(const struct word *w)
{
	size_t i;

	for (i = 0; particles[i] != NULL; i++)
		if (word_is(w, particles[i]))
			return true;
	return false;
}

/*
 * Copy len bytes of valid UTF-8 at 's' into dst[cap], cutting at a
 * character boundary when too long, without a trailing space or hyphen.
 */
static void
copy_cut(char *dst, size_t cap, const char *s, size_t len)
{
	len = utf8_cut((const utf8proc_uint8_t *)s, len, cap - 1);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '-'))
		len--;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/*
 * Join words w[0..n) with spaces into dst[cap]. Whole words only: the
 * first word that does not fit ends the list, except that a first word
 * longer than the buffer is cut as copy_cut does.
 */
static void
join_words(char *dst, size_t cap, const struct word *w, size_t n)
{
	size_t i, len = 0;

	dst[0] = '\0';
	if (n == 0)
		return;
	if (w[0].len >= cap) {
		copy_cut(dst, cap, w[0].p, w[0].len);
		return;
	}
	for (i = 0; i < n; i++) {
		if (len + (len > 0) + w[i].len >= cap)
			break;
		if (len > 0)
			dst[len++] = ' ';
		memcpy(dst + len, w[i].p, w[i].len);
		len += w[i].len;
	}
	dst[len] = '\0';
}

/* Length in bytes of the UTF-8 character starting at 's'. */
static size_t
utf8_charlen(const char *s)
{
	unsigned char c = (unsigned char)s[0];

	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	return 4;
}

static void
set_initial(struct name_norm *out)
{
	size_t n;

	if (out->forename[0] == '\0')
		return;
	n = utf8_charlen(out->forename);
	if (n >= sizeof(out->forename_initial) || n > strlen(out->forename))
		return;
	memcpy(out->forename_initial, out->forename, n);
	out->forename_initial[n] = '\0';
	out->forename_is_initial = out->forename[n] == '\0';
}

/*
 * Fill surname_nospace and surname_parts from the (already cut) surname:
 * parts split at the first hyphen, or at the only space unless the first
 * word is a particle ("DE SOUZA" stays whole).
 */
static void
set_surname_forms(struct name_norm *out)
{
	const char *s = out->surname, *cut;
	struct word first;
	size_t i, j = 0;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] != ' ' && s[i] != '-')
			out->surname_nospace[j++] = s[i];
	out->surname_nospace[j] = '\0';

	if ((cut = strchr(s, '-')) == NULL) {
		cut = strchr(s, ' ');
		if (cut == NULL || strchr(cut + 1, ' ') != NULL)
			return;
		first.p = s;
		first.len = (size_t)(cut - s);
		if (is_particle(&first))
			return;
	}
	copy_cut(out->surname_parts[0], NORM_NAME_MAX, s, (size_t)(cut - s));
	copy_cut(out->surname_parts[1], NORM_NAME_MAX, cut + 1,
	    strlen(cut + 1));
}

void
normalize_name(const char *title, const char *forename, const char *middle,
    const char *surname, struct name_norm *out)
{
	char ft[FOLD_MAX], ff[FOLD_MAX], fm[FOLD_MAX], fs[FOLD_MAX];
	struct word tw[NORM_MAX_WORDS], gw[2 * NORM_MAX_WORDS];
	struct word sw[NORM_MAX_WORDS];
	size_t nt, nf, ng, ns, len;
	const char *canon;

	memset(out, 0, sizeof(*out));

	len = fold(title, FOLD_GIVEN, ft, sizeof(ft));
	nt = split_words(ft, len, tw, NORM_MAX_WORDS);
	len = fold(forename, FOLD_GIVEN, ff, sizeof(ff));
	nf = split_words(ff, len, gw, NORM_MAX_WORDS);
	len = fold(middle, FOLD_GIVEN, fm, sizeof(fm));
	ng = nf + split_words(fm, len, gw + nf, NORM_MAX_WORDS);
	len = fold(surname, FOLD_SURNAME, fs, sizeof(fs));
	ns = split_words(fs, len, sw, NORM_MAX_WORDS);

	/* Title field: the first known title, else its first word. */
	if (nt > 0) {
		size_t i;

		canon = NULL;
		for (i = 0; i < nt && canon == NULL; i++)
			canon = word_lookup(&tw[i], titles);
		if (canon != NULL)
			copy_cut(out->title, sizeof(out->title), canon,
			    strlen(canon));
		else
			copy_cut(out->title, sizeof(out->title), tw[0].p,
			    tw[0].len);
	}
	/* Titles at the start of the forename field ("Mr John"). */
	while (nf > 0 && (canon = word_lookup(&gw[0], titles)) != NULL) {
		if (out->title[0] == '\0')
			copy_cut(out->title, sizeof(out->title), canon,
			    strlen(canon));
		memmove(gw, gw + 1, (ng - 1) * sizeof(gw[0]));
		nf--;
		ng--;
	}
	/* A title leading the surname field ("Mr Smith"). */
	if (ns > 1 &&
	    (canon = word_lookup(&sw[0], titles)) != NULL) {
		if (out->title[0] == '\0')
			copy_cut(out->title, sizeof(out->title), canon,
			    strlen(canon));
		memmove(sw, sw + 1, (ns - 1) * sizeof(sw[0]));
		ns--;
	}
	/* Suffix: end of the surname field, else end of the given names. */
	if (ns > 1 && (canon = word_lookup(&sw[ns - 1], suffixes)) != NULL) {
		copy_cut(out->suffix, sizeof(out->suffix), canon,
		    strlen(canon));
		ns--;
	} else if (ng > 1 &&
	    (canon = word_lookup(&gw[ng - 1], suffixes)) != NULL) {
		copy_cut(out->suffix, sizeof(out->suffix), canon,
		    strlen(canon));
		ng--;
	}

	if (ng > 0) {
		copy_cut(out->forename, sizeof(out->forename), gw[0].p,
		    gw[0].len);
		join_words(out->middles, sizeof(out->middles), gw + 1, ng - 1);
	}
	join_words(out->surname, sizeof(out->surname), sw, ns);
	set_initial(out);
	set_surname_forms(out);
}

bool
name_norm_is_empty(const struct name_norm *n)
{
	return n->forename[0] == '\0' && n->middles[0] == '\0' &&
	    n->surname[0] == '\0';
}

static bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
normalize_postcode_parts(const char *canon, struct postcode_parts *out)
{
	const char *sp;
	size_t outlen, i, area;

	memset(out, 0, sizeof(*out));
	if (canon == NULL || (sp = strchr(canon, ' ')) == NULL)
		return ERR_PARSE;
	outlen = (size_t)(sp - canon);
	if (outlen < 2 || outlen > 4 || strlen(sp + 1) != 3 ||
	    !is_digit(sp[1]) || !is_upper(sp[2]) || !is_upper(sp[3]))
		return ERR_PARSE;
	for (area = 0; area < outlen && is_upper(canon[area]); area++)
		;
	if (area < 1 || area > 2 || area == outlen)
		return ERR_PARSE;
	for (i = area; i < outlen; i++)
		if (!is_digit(canon[i]) && !is_upper(canon[i]))
			return ERR_PARSE;
	memcpy(out->area, canon, area);
	memcpy(out->district, canon, outlen);
	memcpy(out->sector, canon, outlen + 2);
	memcpy(out->compact, canon, outlen);
	memcpy(out->compact + outlen, sp + 1, 3);
	return 0;
}

int
normalize_nino_stem(const char *canon, char out[9])
{
	size_t i;

	out[0] = '\0';
	if (canon == NULL || strnlen(canon, 8) < 8)
		return ERR_PARSE;
	if (!is_upper(canon[0]) || !is_upper(canon[1]))
		return ERR_PARSE;
	for (i = 2; i < 8; i++)
		if (!is_digit(canon[i]))
			return ERR_PARSE;
	memcpy(out, canon, 8);
	out[8] = '\0';
	return 0;
}

/*
 * Civil date from days since 1970-01-01 (proleptic Gregorian), after
 * Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
 */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, yoe, doy, mp;
	int64_t doe;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Write "YYYY-MM-DD" and a NUL; y in 1..9999, m and d in 1..99. */
static void
format_ymd(char out[11], int y, int m, int d)
{
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
}

int
normalize_dob_parts(int32_t days, struct dob_parts *out)
{
	int64_t y;
	int m, d;

	memset(out, 0, sizeof(*out));
	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return ERR_PARSE;
	out->year = (int)y;
	out->month = m;
	out->day = d;
	format_ymd(out->iso, out->year, m, d);
	if (d <= 12 && d != m)
		format_ymd(out->swapped, out->year, d, m);
	return 0;
}
