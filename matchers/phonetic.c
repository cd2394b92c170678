/*
 * Double Metaphone, written from the rules Lawrence Philips published
 * with the algorithm (C/C++ Users Journal, June 2000). Each case below
 * keeps his order of tests and his example names, so the code can be
 * read against the description. Two details:
 *  - Spanish "LL" (CABRILLO, GALLEGOS) and a final "J" (HAJ) add their
 *    letter to the primary code only. That is the evident intent and what
 *    most ports do; the original's helper kept the L in both codes.
 *  - The name is padded with spaces, as in the original, so that a test
 *    for " " (or "IER ") one past the last letter means "at the end".
 * No code was copied from a port. The codes were cross-checked on 30,000
 * generated names against the JavaScript package double-metaphone 2.0.1
 * (Titus Wormer, MIT). It differs from the published rules, and this file
 * follows the rules, for: ACH as the second to fourth letters (ACHAM: AXM,
 * alternate AKM), a doubled J, -GY- after O or R, a final -IER, MCC, and
 * CIA (GARCIA: KRS, alternate KRX).
 */
#include "matchers/phonetic.h"

#include <stdbool.h>
#include <string.h>

#define PAD	6	/* spaces after the name */

/* Working state for one name. */
struct dm {
	char	 s[PHONETIC_INPUT_MAX + PAD + 1]; /* name, padding, NUL */
	int	 len;		/* characters of the name, without padding */
	int	 last;		/* len - 1 */
	bool	 slavo;		/* Slavo-Germanic spelling */
	char	 pri[PHONETIC_DM_LEN_MAX + 4];
	char	 alt[PHONETIC_DM_LEN_MAX + 4];
	size_t	 plen;		/* characters in pri */
	size_t	 alen;		/* characters in alt */
};

/* The character at 'i', '\0' outside the padded name. */
static char
at(const struct dm *d, int i)
{
	if (i < 0 || i >= d->len + PAD)
		return '\0';
	return d->s[i];
}

/*
 * True when one of the '|'-separated strings in 'list' occurs at 'start'
 * (which may lie in the padding, never before the name).
 */
static bool
at_any(const struct dm *d, int start, const char *list)
{
	const char *p = list;

	if (start < 0)
		return false;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);

		if ((size_t)start + n <= (size_t)(d->len + PAD) &&
		    memcmp(d->s + start, p, n) == 0)
			return true;
		if (bar == NULL)
			return false;
		p = bar + 1;
	}
}

/* Vowels, including Y, inside the name only. */
static bool
is_vowel(const struct dm *d, int i)
{
	if (i < 0 || i >= d->len)
		return false;
	return strchr("AEIOUY", d->s[i]) != NULL;
}

static void
append(char *buf, size_t *lenp, const char *code)
{
	/* Room for maxlen plus one step; the result is cut to maxlen. */
	while (*code != '\0' && *lenp < PHONETIC_DM_LEN_MAX + 2)
		buf[(*lenp)++] = *code++;
	buf[*lenp] = '\0';
}

/* Add 'code' to both codes. */
static void
add(struct dm *d, const char *code)
{
	append(d->pri, &d->plen, code);
	append(d->alt, &d->alen, code);
}

/* Add 'p' to the primary code and 'a' to the alternate. */
static void
add2(struct dm *d, const char *p, const char *a)
{
	append(d->pri, &d->plen, p);
	append(d->alt, &d->alen, a);
}

/* Load 'name': upper case, non-letters as spaces, leading ones skipped. */
static void
dm_load(struct dm *d, const char *name)
{
	const char *p = name != NULL ? name : "";
	int n = 0, i;

	while (*p != '\0' && !((*p >= 'A' && *p <= 'Z') ||
	    (*p >= 'a' && *p <= 'z')))
		p++;
	for (; *p != '\0' && n < PHONETIC_INPUT_MAX; p++) {
		char c = *p;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c < 'A' || c > 'Z')
			c = ' ';
		d->s[n++] = c;
	}
	while (n > 0 && d->s[n - 1] == ' ')
		n--;
	d->len = n;
	d->last = n - 1;
	for (i = 0; i < PAD; i++)
		d->s[n + i] = ' ';
	d->s[n + PAD] = '\0';
	d->pri[0] = d->alt[0] = '\0';
	d->plen = d->alen = 0;
	/* The original's test, on the name only. */
	d->s[n] = '\0';
	d->slavo = strchr(d->s, 'W') != NULL || strchr(d->s, 'K') != NULL ||
	    strstr(d->s, "CZ") != NULL || strstr(d->s, "WITZ") != NULL;
	d->s[n] = ' ';
}

/* Each letter's rule returns the position after what it consumed. */

static int
dm_c(struct dm *d, int cur)
{
	/* Various Germanic: ACH not followed by I or E (BACHER, MACHER do). */
	if (cur > 1 && !is_vowel(d, cur - 2) && at_any(d, cur - 1, "ACH") &&
	    at(d, cur + 2) != 'I' && (at(d, cur + 2) != 'E' ||
	    at_any(d, cur - 2, "BACHER|MACHER"))) {
		add(d, "K");
		return cur + 2;
	}
	if (cur == 0 && at_any(d, cur, "CAESAR")) {
		add(d, "S");
		return cur + 2;
	}
	if (at_any(d, cur, "CHIA")) {	/* Italian CHIANTI */
		add(d, "K");
		return cur + 2;
	}
	if (at_any(d, cur, "CH")) {
		if (cur > 0 && at_any(d, cur, "CHAE")) {	/* MICHAEL */
			add2(d, "K", "X");
			return cur + 2;
		}
		/* Greek roots at the start: CHARACTER, CHARISMA, CHORUS. */
		if (cur == 0 && (at_any(d, cur + 1, "HARAC|HARIS") ||
		    at_any(d, cur + 1, "HOR|HYM|HIA|HEM")) &&
		    !at_any(d, 0, "CHORE")) {
			add(d, "K");
			return cur + 2;
		}
		/* Germanic, Greek, or CH sounding as KH: ORCHESTRA, ACHT. */
		if (at_any(d, 0, "VAN |VON |SCH") ||
		    at_any(d, cur - 2, "ORCHES|ARCHIT|ORCHID") ||
		    at_any(d, cur + 2, "T|S") ||
		    ((at_any(d, cur - 1, "A|O|U|E") || cur == 0) &&
		    at_any(d, cur + 2, "L|R|N|M|B|H|F|V|W| "))) {
			add(d, "K");
		} else if (cur > 0) {
			if (at_any(d, 0, "MC"))		/* MCHUGH */
				add(d, "K");
			else
				add2(d, "X", "K");
		} else {
			add(d, "X");
		}
		return cur + 2;
	}
	if (at_any(d, cur, "CZ") && !at_any(d, cur - 2, "WICZ")) {
		add2(d, "S", "X");	/* CZERNY */
		return cur + 2;
	}
	if (at_any(d, cur + 1, "CIA")) {	/* FOCACCIA */
		add(d, "X");
		return cur + 3;
	}
	/* Double C, but not MCCLELLAN. */
	if (at_any(d, cur, "CC") && !(cur == 1 && at(d, 0) == 'M')) {
		/* BELLOCCHIO, but not BACCHUS. */
		if (at_any(d, cur + 2, "I|E|H") && !at_any(d, cur + 2, "HU")) {
			/* ACCIDENT, ACCEDE, SUCCEED */
			if ((cur == 1 && at(d, cur - 1) == 'A') ||
			    at_any(d, cur - 1, "UCCEE|UCCES"))
				add(d, "KS");
			else				/* BACCI, BERTUCCI */
				add(d, "X");
			return cur + 3;
		}
		add(d, "K");		/* Pierce's rule */
		return cur + 2;
	}
	if (at_any(d, cur, "CK|CG|CQ")) {
		add(d, "K");
		return cur + 2;
	}
	if (at_any(d, cur, "CI|CE|CY")) {
		if (at_any(d, cur, "CIO|CIE|CIA"))	/* Italian */
			add2(d, "S", "X");
		else
			add(d, "S");
		return cur + 2;
	}
	add(d, "K");
	if (at_any(d, cur + 1, " C| Q| G"))	/* MAC CAFFREY, MAC GREGOR */
		return cur + 3;
	if (at_any(d, cur + 1, "C|K|Q") && !at_any(d, cur + 1, "CE|CI"))
		return cur + 2;
	return cur + 1;
}

static int
dm_d(struct dm *d, int cur)
{
	if (at_any(d, cur, "DG")) {
		if (at_any(d, cur + 2, "I|E|Y")) {	/* EDGE */
			add(d, "J");
			return cur + 3;
		}
		add(d, "TK");				/* EDGAR */
		return cur + 2;
	}
	add(d, "T");
	if (at_any(d, cur, "DT|DD"))
		return cur + 2;
	return cur + 1;
}

static int
dm_g(struct dm *d, int cur)
{
	char next = at(d, cur + 1);

	if (next == 'H') {
		if (cur > 0 && !is_vowel(d, cur - 1)) {
			add(d, "K");
			return cur + 2;
		}
		if (cur == 0) {		/* GHISLANE, GHIRADELLI */
			add(d, at(d, cur + 2) == 'I' ? "J" : "K");
			return cur + 2;
		}
		/* Parker's rule, with refinements: HUGH, BOUGH, BROUGHTON. */
		if ((cur > 1 && at_any(d, cur - 2, "B|H|D")) ||
		    (cur > 2 && at_any(d, cur - 3, "B|H|D")) ||
		    (cur > 3 && at_any(d, cur - 4, "B|H")))
			return cur + 2;
		/* LAUGH, MCLAUGHLIN, COUGH, GOUGH, ROUGH, TOUGH */
		if (cur > 2 && at(d, cur - 1) == 'U' &&
		    at_any(d, cur - 3, "C|G|L|R|T"))
			add(d, "F");
		else if (cur > 0 && at(d, cur - 1) != 'I')
			add(d, "K");
		return cur + 2;
	}
	if (next == 'N') {
		if (cur == 1 && is_vowel(d, 0) && !d->slavo)
			add2(d, "KN", "N");
		else if (!at_any(d, cur + 2, "EY") && !d->slavo)
			add2(d, "N", "KN");	/* not CAGNEY */
		else
			add(d, "KN");
		return cur + 2;
	}
	if (at_any(d, cur + 1, "LI") && !d->slavo) {	/* TAGLIARO */
		add2(d, "KL", "L");
		return cur + 2;
	}
	/* -GES-, -GEP-, -GEL-, -GIE- at the start */
	if (cur == 0 && (next == 'Y' ||
	    at_any(d, cur + 1, "ES|EP|EB|EL|EY|IB|IL|IN|IE|EI|ER"))) {
		add2(d, "K", "J");
		return cur + 2;
	}
	/* -GER-, -GY- */
	if ((at_any(d, cur + 1, "ER") || next == 'Y') &&
	    !at_any(d, 0, "DANGER|RANGER|MANGER") &&
	    !at_any(d, cur - 1, "E|I") && !at_any(d, cur - 1, "RGY|OGY")) {
		add2(d, "K", "J");
		return cur + 2;
	}
	/* Italian BIAGGI */
	if (at_any(d, cur + 1, "E|I|Y") || at_any(d, cur - 1, "AGGI|OGGI")) {
		if (at_any(d, 0, "VAN |VON |SCH") || at_any(d, cur + 1, "ET"))
			add(d, "K");		/* obviously Germanic */
		else if (at_any(d, cur + 1, "IER "))	/* French ending */
			add(d, "J");
		else
			add2(d, "J", "K");
		return cur + 2;
	}
	add(d, "K");
	return next == 'G' ? cur + 2 : cur + 1;
}

static int
dm_j(struct dm *d, int cur)
{
	/* Obviously Spanish: JOSE, SAN JACINTO. */
	if (at_any(d, cur, "JOSE") || at_any(d, 0, "SAN ")) {
		if ((cur == 0 && at(d, cur + 4) == ' ') || at_any(d, 0, "SAN "))
			add(d, "H");
		else
			add2(d, "J", "H");
		return cur + 1;
	}
	if (cur == 0 && !at_any(d, cur, "JOSE"))
		add2(d, "J", "A");		/* YANKELOVICH, JANKELOWICZ */
	else if (is_vowel(d, cur - 1) && !d->slavo &&
	    (at(d, cur + 1) == 'A' || at(d, cur + 1) == 'O'))
		add2(d, "J", "H");		/* Spanish BAJADOR */
	else if (cur == d->last)
		add2(d, "J", "");
	else if (!at_any(d, cur + 1, "L|T|K|S|N|M|B|Z") &&
	    !at_any(d, cur - 1, "S|K|L"))
		add(d, "J");
	return at(d, cur + 1) == 'J' ? cur + 2 : cur + 1;
}

static int
dm_l(struct dm *d, int cur)
{
	if (at(d, cur + 1) == 'L') {
		/* Spanish: CABRILLO, GALLEGOS */
		if ((cur == d->len - 3 &&
		    at_any(d, cur - 1, "ILLO|ILLA|ALLE")) ||
		    ((at_any(d, d->last - 1, "AS|OS") ||
		    at_any(d, d->last, "A|O")) &&
		    at_any(d, cur - 1, "ALLE"))) {
			add2(d, "L", "");
			return cur + 2;
		}
		add(d, "L");
		return cur + 2;
	}
	add(d, "L");
	return cur + 1;
}

static int
dm_s(struct dm *d, int cur)
{
	if (at_any(d, cur - 1, "ISL|YSL"))	/* ISLAND, CARLISLE */
		return cur + 1;
	if (cur == 0 && at_any(d, cur, "SUGAR")) {
		add2(d, "X", "S");
		return cur + 1;
	}
	if (at_any(d, cur, "SH")) {
		if (at_any(d, cur + 1, "HEIM|HOEK|HOLM|HOLZ"))	/* Germanic */
			add(d, "S");
		else
			add(d, "X");
		return cur + 2;
	}
	/* Italian and Armenian */
	if (at_any(d, cur, "SIO|SIA") || at_any(d, cur, "SIAN")) {
		if (!d->slavo)
			add2(d, "S", "X");
		else
			add(d, "S");
		return cur + 3;
	}
	/*
	 * Anglicised German (SMITH matches SCHMIDT, SNIDER SCHNEIDER), and
	 * Slavic SZ.
	 */
	if ((cur == 0 && at_any(d, cur + 1, "M|N|L|W")) ||
	    at_any(d, cur + 1, "Z")) {
		add2(d, "S", "X");
		return at_any(d, cur + 1, "Z") ? cur + 2 : cur + 1;
	}
	if (at_any(d, cur, "SC")) {
		if (at(d, cur + 2) == 'H') {	/* Schlesinger's rule */
			/* Dutch: SCHOOL, SCHOONER */
			if (at_any(d, cur + 3, "OO|ER|EN|UY|ED|EM")) {
				/* SCHERMERHORN, SCHENKER */
				if (at_any(d, cur + 3, "ER|EN"))
					add2(d, "X", "SK");
				else
					add(d, "SK");
				return cur + 3;
			}
			if (cur == 0 && !is_vowel(d, 3) && at(d, 3) != 'W')
				add2(d, "X", "S");
			else
				add(d, "X");
			return cur + 3;
		}
		if (at_any(d, cur + 2, "I|E|Y"))
			add(d, "S");
		else
			add(d, "SK");
		return cur + 3;
	}
	/* French: RESNAIS, ARTOIS */
	if (cur == d->last && at_any(d, cur - 2, "AI|OI"))
		add2(d, "", "S");
	else
		add(d, "S");
	return at_any(d, cur + 1, "S|Z") ? cur + 2 : cur + 1;
}

static int
dm_t(struct dm *d, int cur)
{
	if (at_any(d, cur, "TION")) {
		add(d, "X");
		return cur + 3;
	}
	if (at_any(d, cur, "TIA|TCH")) {
		add(d, "X");
		return cur + 3;
	}
	if (at_any(d, cur, "TH|TTH")) {
		/* THOMAS, THAMES, or Germanic */
		if (at_any(d, cur + 2, "OM|AM") ||
		    at_any(d, 0, "VAN |VON |SCH"))
			add(d, "T");
		else
			add2(d, "0", "T");
		return cur + 2;
	}
	add(d, "T");
	return at_any(d, cur + 1, "T|D") ? cur + 2 : cur + 1;
}

static int
dm_w(struct dm *d, int cur)
{
	if (at_any(d, cur, "WR")) {	/* W can sit mid-word: WR */
		add(d, "R");
		return cur + 2;
	}
	if (cur == 0 && (is_vowel(d, cur + 1) || at_any(d, cur, "WH"))) {
		/* WASSERMAN matches VASSERMAN; UOMO matches WOMO. */
		if (is_vowel(d, cur + 1))
			add2(d, "A", "F");
		else
			add(d, "A");
	}
	/* ARNOW matches ARNOFF */
	if ((cur == d->last && is_vowel(d, cur - 1)) ||
	    at_any(d, cur - 1, "EWSKI|EWSKY|OWSKI|OWSKY") ||
	    at_any(d, 0, "SCH")) {
		add2(d, "", "F");
		return cur + 1;
	}
	if (at_any(d, cur, "WICZ|WITZ")) {	/* Polish FILIPOWICZ */
		add2(d, "TS", "FX");
		return cur + 4;
	}
	return cur + 1;
}

static int
dm_x(struct dm *d, int cur)
{
	/* French: BREAUX */
	if (!(cur == d->last && (at_any(d, cur - 3, "IAU|EAU") ||
	    at_any(d, cur - 2, "AU|OU"))))
		add(d, "KS");
	return at_any(d, cur + 1, "C|X") ? cur + 2 : cur + 1;
}

static int
dm_z(struct dm *d, int cur)
{
	if (at(d, cur + 1) == 'H') {	/* Chinese pinyin: ZHAO */
		add(d, "J");
		return cur + 2;
	}
	if (at_any(d, cur + 1, "ZO|ZI|ZA") ||
	    (d->slavo && cur > 0 && at(d, cur - 1) != 'T'))
		add2(d, "S", "TS");
	else
		add(d, "S");
	return at(d, cur + 1) == 'Z' ? cur + 2 : cur + 1;
}

/* A letter that codes as itself, or as 'code', single or doubled. */
static int
dm_simple(struct dm *d, int cur, const char *code)
{
	add(d, code);
	return at(d, cur + 1) == d->s[cur] ? cur + 2 : cur + 1;
}

static int
dm_step(struct dm *d, int cur)
{
	switch (d->s[cur]) {
	case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
		if (cur == 0)	/* all vowels at the start code as A */
			add(d, "A");
		return cur + 1;
	case 'B':
		return dm_simple(d, cur, "P");
	case 'C':
		return dm_c(d, cur);
	case 'D':
		return dm_d(d, cur);
	case 'F':
		return dm_simple(d, cur, "F");
	case 'G':
		return dm_g(d, cur);
	case 'H':
		/* Kept only at the start or between vowels, before a vowel. */
		if ((cur == 0 || is_vowel(d, cur - 1)) &&
		    is_vowel(d, cur + 1)) {
			add(d, "H");
			return cur + 2;
		}
		return cur + 1;
	case 'J':
		return dm_j(d, cur);
	case 'K':
		return dm_simple(d, cur, "K");
	case 'L':
		return dm_l(d, cur);
	case 'M':
		/* DUMB, THUMB, PLUMBER: the B is silent. */
		add(d, "M");
		if ((at_any(d, cur - 1, "UMB") && (cur + 1 == d->last ||
		    at_any(d, cur + 2, "ER"))) || at(d, cur + 1) == 'M')
			return cur + 2;
		return cur + 1;
	case 'N':
		return dm_simple(d, cur, "N");
	case 'P':
		if (at(d, cur + 1) == 'H') {
			add(d, "F");
			return cur + 2;
		}
		add(d, "P");	/* CAMPBELL, RASPBERRY */
		return at_any(d, cur + 1, "P|B") ? cur + 2 : cur + 1;
	case 'Q':
		return dm_simple(d, cur, "K");
	case 'R':
		/* French ROGIER, but not HOCHMEIER */
		if (cur == d->last && !d->slavo && at_any(d, cur - 2, "IE") &&
		    !at_any(d, cur - 4, "ME|MA"))
			add2(d, "", "R");
		else
			add(d, "R");
		return at(d, cur + 1) == 'R' ? cur + 2 : cur + 1;
	case 'S':
		return dm_s(d, cur);
	case 'T':
		return dm_t(d, cur);
	case 'V':
		return dm_simple(d, cur, "F");
	case 'W':
		return dm_w(d, cur);
	case 'X':
		return dm_x(d, cur);
	case 'Z':
		return dm_z(d, cur);
	default:	/* a word break */
		return cur + 1;
	}
}

static void
copy_code(char *out, size_t cap, const char *code, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	memcpy(out, code, n);
	out[n] = '\0';
}

void
phonetic_dmetaphone_len(const char *name, size_t maxlen, char *primary,
    char *alternate, size_t cap)
{
	struct dm d;
	int cur = 0;

	if (cap == 0)
		return;
	if (maxlen < 1)
		maxlen = 1;
	if (maxlen > PHONETIC_DM_LEN_MAX)
		maxlen = PHONETIC_DM_LEN_MAX;
	dm_load(&d, name);
	/* Silent first letters: GNOME, KNIGHT, PNEUMONIA, WRIGHT, PSALM. */
	if (at_any(&d, 0, "GN|KN|PN|WR|PS"))
		cur = 1;
	if (d.len > 0 && d.s[0] == 'X') {	/* XAVIER: S */
		add(&d, "S");
		cur = 1;
	}
	while ((d.plen < maxlen || d.alen < maxlen) && cur < d.len)
		cur = dm_step(&d, cur);
	copy_code(primary, cap, d.pri, d.plen < maxlen ? d.plen : maxlen);
	copy_code(alternate, cap, d.alt, d.alen < maxlen ? d.alen : maxlen);
}

void
phonetic_dmetaphone(const char *name, char *primary, char *alternate,
    size_t cap)
{
	phonetic_dmetaphone_len(name, PHONETIC_DM_LEN, primary, alternate,
	    cap);
}
