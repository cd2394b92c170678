/*
 * compare: building match records and comparing pairs. See compare.h.
 */
#include "matchers/compare.h"

#include <stdio.h>
#include <string.h>

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
	}
	rc |= derive_dm(ps, r, COMPARE_T_SURNAME_DM, COMPARE_T_SURNAME_DM_ALT,
	    PSEUDONYM_SURNAME, nm->surname_nospace);
	if (rc != 0)
		return rc;
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
	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (src->tok != NULL && (src->have >> copied[i].p) & 1u)
			set_tag(out, copied[i].t, src->tok[copied[i].p]);
	if (src->dob != NULL && compare_has(out, COMPARE_T_DOB_YEAR)) {
		rc |= derive_year(ps, out, COMPARE_T_DOB_YEAR_PREV,
		    src->dob->year - 1);
		rc |= derive_year(ps, out, COMPARE_T_DOB_YEAR_NEXT,
		    src->dob->year + 1);
	}
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
	int differ = 0;

	if (!compare_has(a, COMPARE_T_DOB) || !compare_has(b, COMPARE_T_DOB))
		return MODEL_DOB_MISSING;
	if (a->tag[COMPARE_T_DOB] == b->tag[COMPARE_T_DOB])
		return MODEL_DOB_EXACT;
	/* Swapped tokens live in the DOB purpose's space. */
	if (cross(a, COMPARE_T_DOB_SWAPPED, b, COMPARE_T_DOB) ||
	    cross(b, COMPARE_T_DOB_SWAPPED, a, COMPARE_T_DOB))
		return MODEL_DOB_SWAPPED;
	differ += !same(a, b, COMPARE_T_DOB_DAY);
	differ += !same(a, b, COMPARE_T_DOB_MONTH);
	differ += !same(a, b, COMPARE_T_DOB_YEAR);
	if (differ == 1)
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
	if (a->tag[COMPARE_T_POSTCODE] == b->tag[COMPARE_T_POSTCODE])
		return MODEL_PC_FULL;
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
	if (levels != NULL)
		memcpy(levels, lv, sizeof(lv));
	return model_pattern_encode(lv, MODEL_SVOD_NFIELDS);
}
