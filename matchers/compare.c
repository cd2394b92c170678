/*
 * compare: building match records and comparing pairs. See compare.h.
 */
#include "matchers/compare.h"

#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "matchers/phonetic.h"

_Static_assert(COMPARE_TAG_COUNT <= 32, "tags must fit in 'have'");
_Static_assert(COMPARE_T_NICK3 - COMPARE_T_NICK0 + 1 == NICKNAME_VARIANTS_MAX,
    "one tag per nickname form");
_Static_assert(COMPARE_BLOOM_WORDS * 64 <= UINT16_MAX,
    "popcounts fit in 16 bits");

/* Tokens of the identity copied one to one, and their tags. */
static const struct {
	enum pseudonym_purpose p;
	enum compare_tag t;
} copied[] = {
	{ PSEUDONYM_NINO_STEM, COMPARE_T_NINO },
	{ PSEUDONYM_NHS_NUMBER, COMPARE_T_NHS },
	{ PSEUDONYM_UPRN, COMPARE_T_UPRN },
	{ PSEUDONYM_DOB, COMPARE_T_DOB },
	{ PSEUDONYM_DOB_SWAPPED, COMPARE_T_DOB_SWAPPED },
	{ PSEUDONYM_DOB_DAY, COMPARE_T_DOB_DAY },
	{ PSEUDONYM_DOB_MONTH, COMPARE_T_DOB_MONTH },
	{ PSEUDONYM_DOB_YEAR, COMPARE_T_DOB_YEAR },
	{ PSEUDONYM_POSTCODE, COMPARE_T_POSTCODE },
	{ PSEUDONYM_POSTCODE_SECTOR, COMPARE_T_SECTOR },
	{ PSEUDONYM_POSTCODE_DISTRICT, COMPARE_T_DISTRICT },
	{ PSEUDONYM_SURNAME, COMPARE_T_SURNAME },
	{ PSEUDONYM_FORENAME, COMPARE_T_FORENAME },
	{ PSEUDONYM_FORENAME_INITIAL, COMPARE_T_INITIAL },
};

void
compare_params_default(struct compare_params *p)
{
	p->name_high = COMPARE_NAME_HIGH;
	p->name_low = COMPARE_NAME_LOW;
}

int
compare_params_check(const struct compare_params *p, struct err *e)
{
	if (!(p->name_low > 0 && p->name_low <= p->name_high &&
	    p->name_high <= 1))
		return err_set(e, ERR_CONFIG, "name Dice thresholds %g and "
		    "%g are not 0 < low <= high <= 1", p->name_low,
		    p->name_high);
	return 0;
}

/* The tag of a token: its first 8 bytes, as an HMAC output is uniform. */
static uint64_t
tag_of(const unsigned char tok[PSEUDONYM_TOKEN_LEN])
{
	uint64_t v;

	memcpy(&v, tok, sizeof(v));
	return v;
}

static void
set_tag(struct compare_rec *r, enum compare_tag t,
    const unsigned char tok[PSEUDONYM_TOKEN_LEN])
{
	r->tag[t] = tag_of(tok);
	r->have |= 1u << t;
}

/* Token 's' under 'p' into tag 't'; an empty 's' leaves it unset. */
static int
derive(struct pseudonym *ps, struct compare_rec *r, enum compare_tag t,
    enum pseudonym_purpose p, const char *s)
{
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
	int rc;

	if (s == NULL || *s == '\0')
		return 0;
	if ((rc = pseudonym_token(ps, p, s, strlen(s), tok)) != 0)
		return rc;
	set_tag(r, t, tok);
	return 0;
}

/* Tags of the Double Metaphone codes of 'name' as "#DM:code". */
static int
derive_dm(struct pseudonym *ps, struct compare_rec *r, enum compare_tag t,
    enum compare_tag alt, enum pseudonym_purpose p, const char *name)
{
	char pri[PHONETIC_DM_CAP], sec[PHONETIC_DM_CAP];
	char buf[4 + PHONETIC_DM_CAP];
	int rc;

	phonetic_dmetaphone(name, pri, sec, sizeof(pri));
	if (pri[0] == '\0')
		return 0;
	snprintf(buf, sizeof(buf), "#DM:%s", pri);
	if ((rc = derive(ps, r, t, p, buf)) != 0)
		return rc;
	if (sec[0] == '\0' || strcmp(sec, pri) == 0)
		return 0;
	snprintf(buf, sizeof(buf), "#DM:%s", sec);
	return derive(ps, r, alt, p, buf);
}

/* The year 'y' as the pipeline tokenises it: four digits. */
static int
derive_year(struct pseudonym *ps, struct compare_rec *r, enum compare_tag t,
    int y)
{
	char buf[8];

	if (y < 1 || y > 9999)
		return 0;
	snprintf(buf, sizeof(buf), "%04d", y);
	return derive(ps, r, t, PSEUDONYM_DOB_YEAR, buf);
}

/*
 * The masked-digit hashes of a date of birth. The seed is a keyed token
 * of a constant (one MAC per run, then the DOB purpose's cache), so the
 * hashes are keyed while costing no MAC per record.
 */
static int
build_dob_mask(struct pseudonym *ps, struct compare_rec *r,
    const struct dob_parts *dp)
{
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
	char buf[16];
	uint64_t seed;
	int rc;

	if ((rc = pseudonym_token(ps, PSEUDONYM_DOB, "#MASK", 5, tok)) != 0)
		return rc;
	seed = tag_of(tok);
	if (snprintf(buf, sizeof(buf), "%04d%02d%02d", dp->year, dp->month,
	    dp->day) != COMPARE_DOB_DIGITS)
		return 0;
	for (int i = 0; i < COMPARE_DOB_DIGITS; i++) {
		char c = buf[i];

		buf[i] = '_';
		r->dob_mask[i] = XXH3_64bits_withSeed(buf, COMPARE_DOB_DIGITS,
		    seed + (uint64_t)i);
		buf[i] = c;
	}
	return 0;
}

/*
 * The forename's deletion neighbourhood (struct compare_rec), hashed
 * under the seed of build_dob_mask's kind: a keyed token of a constant.
 */
static int
build_forename_del(struct pseudonym *ps, struct compare_rec *r,
    const char *name)
{
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
	char buf[NORM_NAME_MAX];
	size_t len = strlen(name), n;
	uint64_t seed;
	int rc;

	if (len < 2 || len >= sizeof(buf))
		return 0;
	if ((rc = pseudonym_token(ps, PSEUDONYM_FORENAME, "#DEL", 4,
	    tok)) != 0)
		return rc;
	seed = tag_of(tok);
	r->forename_del[0] = XXH3_64bits_withSeed(name, len, seed);
	n = len < COMPARE_FORENAME_DEL ? len : COMPARE_FORENAME_DEL;
	for (size_t i = 0; i < n; i++) {
		memcpy(buf, name, i);
		memcpy(buf + i, name + i + 1, len - i - 1);
		r->forename_del[1 + i] = XXH3_64bits_withSeed(buf, len - 1,
		    seed);
	}
	r->nforename_del = (uint8_t)(1 + n);
	return 0;
}

static uint8_t
suffix_code(const char *s)
{
	static const char *const codes[] = { "JR", "SR", "II", "III", "IV" };

	if (s[0] == '\0')
		return COMPARE_SUFFIX_NONE;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(s, codes[i]) == 0)
			return (uint8_t)(COMPARE_SUFFIX_JR + i);
	return COMPARE_SUFFIX_OTHER;
}

/*
 * The dwelling's tag: the premises' token mixed with the postcode's tag,
 * so that one premises string in two postcodes gives two tags while the
 * token of a repeated string ("12") comes from the cache.
 */
static int
build_premises(struct pseudonym *ps, struct compare_rec *r, const char *pr)
{
	char buf[4 + 64];
	int rc;

	if (pr == NULL || pr[0] == '\0' || !compare_has(r, COMPARE_T_POSTCODE))
		return 0;
	snprintf(buf, sizeof(buf), "#PR:%s", pr);
	if ((rc = derive(ps, r, COMPARE_T_PREMISES, PSEUDONYM_POSTCODE,
	    buf)) != 0)
		return rc;
	r->tag[COMPARE_T_PREMISES] = XXH3_64bits_withSeed(
	    &r->tag[COMPARE_T_PREMISES], sizeof(uint64_t),
	    r->tag[COMPARE_T_POSTCODE]);
	return 0;
}

static int
build_name(struct pseudonym *ps, const struct encode *en,
    const struct name_norm *nm, struct compare_rec *r)
{
	const char *forms[NICKNAME_VARIANTS_MAX];
	size_t i, n;
	int rc = 0;

	if (nm->forename_is_initial)
		r->flags |= COMPARE_FORENAME_IS_INITIAL;
	rc |= derive(ps, r, COMPARE_T_SURNAME_X, PSEUDONYM_FORENAME,
	    nm->surname_nospace);
	if (nm->forename[0] != '\0' && !nm->forename_is_initial) {
		n = nickname_variants(nm->forename, forms,
		    NICKNAME_VARIANTS_MAX);
		for (i = 0; i < n; i++)
			rc |= derive(ps, r, (enum compare_tag)(COMPARE_T_NICK0 +
			    i), PSEUDONYM_FORENAME, forms[i]);
		rc |= derive_dm(ps, r, COMPARE_T_FORENAME_DM,
		    COMPARE_T_FORENAME_DM_ALT, PSEUDONYM_FORENAME,
		    nm->forename);
		rc |= build_forename_del(ps, r, nm->forename);
	}
	rc |= derive_dm(ps, r, COMPARE_T_SURNAME_DM, COMPARE_T_SURNAME_DM_ALT,
	    PSEUDONYM_SURNAME, nm->surname_nospace);
	rc |= derive(ps, r, COMPARE_T_SURNAME_P0, PSEUDONYM_SURNAME,
	    nm->surname_parts[0]);
	rc |= derive(ps, r, COMPARE_T_SURNAME_P1, PSEUDONYM_SURNAME,
	    nm->surname_parts[1]);
	if (rc != 0)
		return rc;
	r->suffix = suffix_code(nm->suffix);
	if (encode_string(en, nm->forename, r->forename_bloom) > 0)
		r->forename_pop = (uint16_t)encode_popcount(r->forename_bloom,
		    COMPARE_BLOOM_WORDS);
	if (encode_string(en, nm->surname_nospace, r->surname_bloom) > 0)
		r->surname_pop = (uint16_t)encode_popcount(r->surname_bloom,
		    COMPARE_BLOOM_WORDS);
	return 0;
}

int
compare_rec_build(struct pseudonym *ps, const struct encode *en,
    const struct compare_source *src, struct compare_rec *out,
    struct err *e)
{
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (encode_words(en) > COMPARE_BLOOM_WORDS)
		return err_set(e, ERR_CONFIG, "name filters of %zu words do "
		    "not fit a match record (at most %d)", encode_words(en),
		    COMPARE_BLOOM_WORDS);
	out->feed = src->feed;
	out->index = src->index;
	out->account = src->account;
	if (src->names_refs)
		out->flags |= COMPARE_NAMES_REFS;
	compare_add_refs(out, src->refs, src->nrefs);
	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (src->tok != NULL && (src->have >> copied[i].p) & 1u)
			set_tag(out, copied[i].t, src->tok[copied[i].p]);
	if (src->dob != NULL && compare_has(out, COMPARE_T_DOB)) {
		rc |= build_dob_mask(ps, out, src->dob);
		if (src->as_of_year > 0 && src->dob->year >
		    src->as_of_year - COMPARE_SR_MIN_AGE)
			out->flags |= COMPARE_YOUNG;
	}
	if (src->dob != NULL && compare_has(out, COMPARE_T_DOB_YEAR)) {
		rc |= derive_year(ps, out, COMPARE_T_DOB_YEAR_PREV,
		    src->dob->year - 1);
		rc |= derive_year(ps, out, COMPARE_T_DOB_YEAR_NEXT,
		    src->dob->year + 1);
	}
	if (rc == 0)
		rc = build_premises(ps, out, src->premises);
	if (rc == 0 && src->name != NULL)
		rc = build_name(ps, en, src->name, out);
	if (rc != 0) {
		memset(out, 0, sizeof(*out));
		return pseudonym_last_error(ps, e);
	}
	return 0;
}

/* Both records have tag t and it is equal. */
static bool
same(const struct compare_rec *a, const struct compare_rec *b,
    enum compare_tag t)
{
	return compare_has(a, t) && compare_has(b, t) &&
	    a->tag[t] == b->tag[t];
}

/* Tag ta of a equals tag tb of b, both present. */
static bool
cross(const struct compare_rec *a, enum compare_tag ta,
    const struct compare_rec *b, enum compare_tag tb)
{
	return compare_has(a, ta) && compare_has(b, tb) &&
	    a->tag[ta] == b->tag[tb];
}

/* Each forename is the other's surname. */
static bool
names_swapped(const struct compare_rec *a, const struct compare_rec *b)
{
	return cross(a, COMPARE_T_FORENAME, b, COMPARE_T_SURNAME_X) &&
	    cross(b, COMPARE_T_FORENAME, a, COMPARE_T_SURNAME_X);
}

/* The two forenames share a nickname form. */
static bool
nickname_shared(const struct compare_rec *a, const struct compare_rec *b)
{
	int i, j;

	for (i = COMPARE_T_NICK0; i <= COMPARE_T_NICK3; i++)
		for (j = COMPARE_T_NICK0; j <= COMPARE_T_NICK3; j++)
			if (cross(a, (enum compare_tag)i, b,
			    (enum compare_tag)j))
				return true;
	return false;
}

/*
 * The forenames are one edit apart (Damerau): a deletion of one is the
 * other (a letter added or dropped); they lose letter i alike (a letter
 * changed); or each without i is the other without i + 1 (neighbours
 * exchanged: JACK and JCAK, not JACK and JAKE).
 */
static bool
one_edit(const struct compare_rec *a, const struct compare_rec *b)
{
	const uint64_t *x = a->forename_del + 1, *y = b->forename_del + 1;
	size_t nx, ny, i;

	if (a->nforename_del == 0 || b->nforename_del == 0)
		return false;
	nx = a->nforename_del - 1u;
	ny = b->nforename_del - 1u;
	for (i = 0; i < ny; i++)
		if (y[i] == a->forename_del[0])
			return true;
	for (i = 0; i < nx; i++)
		if (x[i] == b->forename_del[0])
			return true;
	for (i = 0; i < nx && i < ny; i++) {
		if (x[i] == y[i])
			return true;
		if (i + 1 < nx && i + 1 < ny && x[i] == y[i + 1] &&
		    x[i + 1] == y[i])
			return true;
	}
	return false;
}

enum model_forename_level
compare_forename(const struct compare_rec *a, const struct compare_rec *b,
    const struct compare_params *p)
{
	double d;

	if (!compare_has(a, COMPARE_T_FORENAME) ||
	    !compare_has(b, COMPARE_T_FORENAME))
		return MODEL_FN_MISSING;
	if (a->tag[COMPARE_T_FORENAME] == b->tag[COMPARE_T_FORENAME])
		return MODEL_FN_EXACT;
	if ((a->flags | b->flags) & COMPARE_FORENAME_IS_INITIAL)
		return same(a, b, COMPARE_T_INITIAL) ? MODEL_FN_INITIAL :
		    MODEL_FN_DISAGREE;
	if (nickname_shared(a, b))
		return MODEL_FN_NICKNAME;
	if (names_swapped(a, b))
		return MODEL_FN_SWAPPED;
	if (one_edit(a, b))
		return MODEL_FN_EDIT1;
	if (a->forename_pop == 0 || b->forename_pop == 0)
		return MODEL_FN_DISAGREE;
	d = encode_dice_weights(a->forename_bloom, a->forename_pop,
	    b->forename_bloom, b->forename_pop, COMPARE_BLOOM_WORDS);
	if (d >= p->name_high)
		return MODEL_FN_DICE90;
	if (d >= p->name_low)
		return MODEL_FN_DICE70;
	return MODEL_FN_DISAGREE;
}

enum model_surname_level
compare_surname(const struct compare_rec *a, const struct compare_rec *b,
    const struct compare_params *p)
{
	double d;

	if (!compare_has(a, COMPARE_T_SURNAME) ||
	    !compare_has(b, COMPARE_T_SURNAME))
		return MODEL_SN_MISSING;
	if (a->tag[COMPARE_T_SURNAME] == b->tag[COMPARE_T_SURNAME])
		return MODEL_SN_EXACT;
	if (names_swapped(a, b))
		return MODEL_SN_SWAPPED;
	if (cross(a, COMPARE_T_SURNAME, b, COMPARE_T_SURNAME_P0) ||
	    cross(a, COMPARE_T_SURNAME, b, COMPARE_T_SURNAME_P1) ||
	    cross(b, COMPARE_T_SURNAME, a, COMPARE_T_SURNAME_P0) ||
	    cross(b, COMPARE_T_SURNAME, a, COMPARE_T_SURNAME_P1))
		return MODEL_SN_PART;
	if (a->surname_pop == 0 || b->surname_pop == 0)
		return MODEL_SN_DISAGREE;
	d = encode_dice_weights(a->surname_bloom, a->surname_pop,
	    b->surname_bloom, b->surname_pop, COMPARE_BLOOM_WORDS);
	if (d >= p->name_high)
		return MODEL_SN_DICE90;
	if (d >= p->name_low)
		return MODEL_SN_DICE70;
	return MODEL_SN_DISAGREE;
}

enum model_dob_level
compare_dob(const struct compare_rec *a, const struct compare_rec *b)
{
	if (!compare_has(a, COMPARE_T_DOB) || !compare_has(b, COMPARE_T_DOB))
		return MODEL_DOB_MISSING;
	if (a->tag[COMPARE_T_DOB] == b->tag[COMPARE_T_DOB])
		return MODEL_DOB_EXACT;
	/* Swapped tokens live in the DOB purpose's space. */
	if (cross(a, COMPARE_T_DOB_SWAPPED, b, COMPARE_T_DOB) ||
	    cross(b, COMPARE_T_DOB_SWAPPED, a, COMPARE_T_DOB))
		return MODEL_DOB_SWAPPED;
	for (int i = 0; i < COMPARE_DOB_DIGITS; i++)
		if (a->dob_mask[i] == b->dob_mask[i] && a->dob_mask[i] != 0)
			return MODEL_DOB_ONE_DIGIT;
	if (same(a, b, COMPARE_T_DOB_YEAR) ||
	    cross(a, COMPARE_T_DOB_YEAR_PREV, b, COMPARE_T_DOB_YEAR) ||
	    cross(a, COMPARE_T_DOB_YEAR_NEXT, b, COMPARE_T_DOB_YEAR))
		return MODEL_DOB_YEAR_NEAR;
	return MODEL_DOB_DISAGREE;
}

enum model_postcode_level
compare_postcode(const struct compare_rec *a, const struct compare_rec *b)
{
	if (!compare_has(a, COMPARE_T_POSTCODE) ||
	    !compare_has(b, COMPARE_T_POSTCODE))
		return MODEL_PC_MISSING;
	if (a->tag[COMPARE_T_POSTCODE] == b->tag[COMPARE_T_POSTCODE]) {
		if (!compare_has(a, COMPARE_T_PREMISES) ||
		    !compare_has(b, COMPARE_T_PREMISES))
			return MODEL_PC_FULL;
		return a->tag[COMPARE_T_PREMISES] ==
		    b->tag[COMPARE_T_PREMISES] ? MODEL_PC_PREMISES :
		    MODEL_PC_OTHER;
	}
	if (same(a, b, COMPARE_T_SECTOR))
		return MODEL_PC_SECTOR;
	if (same(a, b, COMPARE_T_DISTRICT))
		return MODEL_PC_DISTRICT;
	return MODEL_PC_DISAGREE;
}

enum model_id_level
compare_id(const struct compare_rec *a, const struct compare_rec *b,
    enum compare_tag t)
{
	if (!compare_has(a, t) || !compare_has(b, t))
		return MODEL_ID_MISSING;
	return a->tag[t] == b->tag[t] ? MODEL_ID_AGREE : MODEL_ID_DISAGREE;
}

void
compare_add_refs(struct compare_rec *r, const uint64_t *refs, size_t n)
{
	for (size_t i = 0; i < n && r->nrefs < COMPARE_REFS_MAX; i++) {
		size_t j;

		for (j = 0; j < r->nrefs && r->refs[j] != refs[i]; j++)
			;
		if (j == r->nrefs)
			r->refs[r->nrefs++] = refs[i];
	}
}

enum model_id_level
compare_debt_ref(const struct compare_rec *a, const struct compare_rec *b)
{
	if (((a->flags ^ b->flags) & COMPARE_NAMES_REFS) == 0 ||
	    a->nrefs == 0 || b->nrefs == 0)
		return MODEL_ID_MISSING;
	for (size_t i = 0; i < a->nrefs; i++)
		for (size_t j = 0; j < b->nrefs; j++)
			if (a->refs[i] == b->refs[j])
				return MODEL_ID_AGREE;
	return MODEL_ID_DISAGREE;
}

const char *
compare_distinct(const struct compare_rec *a, const struct compare_rec *b)
{
	if (a->account != 0 && a->account == b->account && a->feed == b->feed)
		return "account";
	if (a->suffix != COMPARE_SUFFIX_NONE &&
	    b->suffix != COMPARE_SUFFIX_NONE && a->suffix != b->suffix)
		return "suffix";
	if ((a->suffix == COMPARE_SUFFIX_SR && (b->flags & COMPARE_YOUNG)) ||
	    (b->suffix == COMPARE_SUFFIX_SR && (a->flags & COMPARE_YOUNG)))
		return "age";
	return NULL;
}

uint64_t
compare_pair(const struct compare_rec *a, const struct compare_rec *b,
    const struct compare_params *p, uint8_t *levels)
{
	uint8_t lv[MODEL_SVOD_NFIELDS];

	lv[MODEL_F_FORENAME] = (uint8_t)compare_forename(a, b, p);
	lv[MODEL_F_SURNAME] = (uint8_t)compare_surname(a, b, p);
	lv[MODEL_F_DOB] = (uint8_t)compare_dob(a, b);
	lv[MODEL_F_POSTCODE] = (uint8_t)compare_postcode(a, b);
	lv[MODEL_F_UPRN] = (uint8_t)compare_id(a, b, COMPARE_T_UPRN);
	lv[MODEL_F_NINO] = (uint8_t)compare_id(a, b, COMPARE_T_NINO);
	lv[MODEL_F_NHS] = (uint8_t)compare_id(a, b, COMPARE_T_NHS);
	lv[MODEL_F_DEBT_REF] = (uint8_t)compare_debt_ref(a, b);
	lv[MODEL_F_SUFFIX] = (uint8_t)(a->suffix == COMPARE_SUFFIX_NONE ||
	    b->suffix == COMPARE_SUFFIX_NONE ? MODEL_ID_MISSING :
	    a->suffix == b->suffix ? MODEL_ID_AGREE : MODEL_ID_DISAGREE);
	if (levels != NULL)
		memcpy(levels, lv, sizeof(lv));
	return model_pattern_encode(lv, MODEL_SVOD_NFIELDS);
}
