/*
 * model: the Fellegi-Sunter model over comparison vectors. A candidate
 * pair is compared field by field into one small comparison level per
 * field (exact, nickname, Dice >= 0.9, ..., disagree, missing); the tuple
 * of levels is the pair's agreement pattern, packed into a uint64_t with
 * MODEL_LEVEL_BITS per field. Each field has m (P(level | match)) and u
 * (P(level | non-match)) probabilities; a pair's match weight is the sum
 * over fields of log2(m / u), and with the match proportion lambda it
 * gives a match probability. Pure functions: no I/O, no clock, no
 * randomness, so a fit on the same patterns gives the same bits.
 *
 * Invariants: the field layout is data (a table of struct model_field),
 * not code; a field's "missing" level has no m or u and contributes a
 * weight of exactly 0, to both the score and the EM fit. Levels are
 * numbered from 0 (the strongest agreement) up; missing is one of them,
 * conventionally the last. m and u over a field's other levels sum to 1
 * and stay at or above (about) the floor, so no weight is infinite.
 *
 * Typical use, once per night:
 *
 *	model_init(&md, model_svod_fields, MODEL_SVOD_NFIELDS, &e);
 *	for each field f: model_set_u(&md, f, random_pair_counts[f], n, &e);
 *	t = model_tally_new();
 *	for each candidate pair: model_tally_add(t, pattern, 1);
 *	pats = model_tally_patterns(t, &np);
 *	model_fit_opts_init(&o);
 *	model_fit(&md, pats, np, &o, &st, &e);
 *	for each pair: w = model_weight(&md, pattern, &tf, contrib);
 *	    model_classify(model_probability(w, md.lambda), &thresholds);
 *	free(pats); model_tally_free(t);
 */
#ifndef SVOD_MODEL_H
#define SVOD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl/err.h"

#define MODEL_LEVEL_BITS	4	/* bits of one field in a pattern */
#define MODEL_FIELDS_MAX	16	/* 64 / MODEL_LEVEL_BITS */
/*
 * Levels of one field, missing included. The nibble 0xF is never a level,
 * so UINT64_MAX is never a pattern (the tally uses it as "empty").
 */
#define MODEL_LEVELS_MAX	15
#define MODEL_NO_LEVEL		(-1)	/* no missing level, no TF level */
#define MODEL_FLOOR		1e-6	/* default floor on m, u and lambda */

/*
 * One field of the comparison vector. A table of these is the layout;
 * model_init checks it. The table is borrowed by the model: keep it alive
 * (a static table is the usual case).
 */
struct model_field {
	const char *name;	/* stable name, e.g. "surname" (evidence) */
	int	 nlevels;	/* 2..MODEL_LEVELS_MAX, missing included */
	int	 missing;	/* the level meaning "no value", or -1 */
	/*
	 * The exact-agreement level that term frequencies adjust, or -1: on
	 * it, u is replaced by the agreeing value's frequency / N.
	 */
	int	 tf_level;
	/*
	 * Least u a term frequency may give (0: the model's floor). Caps the
	 * weight of agreeing on a value that only these two records hold.
	 */
	double	 tf_min_u;
	const char *const *level_names;	/* nlevels names, or NULL */
};

/*
 * The model. Plain data owned by the caller: copy it, store it, restore it
 * (then call model_prepare). After editing lambda, m or u by hand, call
 * model_prepare so that the weights follow.
 */
struct model {
	const struct model_field *fields;	/* borrowed, see above */
	size_t	 nfields;
	double	 floor;		/* least m, u, lambda (MODEL_FLOOR) */
	double	 lambda;	/* P(match) among candidate pairs */
	/* m[f][l], u[f][l]: level l of field f; 0 at the missing level. */
	double	 m[MODEL_FIELDS_MAX][MODEL_LEVELS_MAX];
	double	 u[MODEL_FIELDS_MAX][MODEL_LEVELS_MAX];
	/* w[f][l] = log2(m / u), 0 at missing; set by model_prepare. */
	double	 w[MODEL_FIELDS_MAX][MODEL_LEVELS_MAX];
};

/* A distinct agreement pattern and how many pairs have it. */
struct model_pattern {
	uint64_t pattern;
	uint64_t count;
};

/* How model_fit runs. Set the defaults with model_fit_opts_init. */
struct model_fit_opts {
	int	 max_iter;	/* EM iterations at most (default 1000) */
	/*
	 * Stop when no parameter moves more than this in one iteration:
	 * m and u absolutely, lambda relative to itself (default 1e-7).
	 * 0 turns the test off.
	 */
	double	 tol_param;
	/*
	 * Stop when the log-likelihood (natural log) rises by less than this
	 * per pair (default 0: off). EM never lowers it.
	 */
	double	 tol_loglik;
	/*
	 * Keep u as set by model_set_u (from random pairs) and estimate only
	 * m and lambda (default true). With false, u is fitted as well,
	 * starting from its current value.
	 */
	bool	 fix_u;
};

/* What model_fit did. */
struct model_fit_stats {
	int	 iterations;	/* EM iterations run */
	bool	 converged;	/* a tolerance was met before max_iter */
	double	 loglik;	/* natural log-likelihood at the end */
	double	 delta_param;	/* largest move in the last iteration */
	uint64_t pairs;		/* sum of the patterns' counts */
};

/*
 * Term frequencies for one pair: freq[f] is how many of the N records hold
 * the value the two records agree on in field f (0: unknown, no
 * adjustment). Only a field's tf_level uses it. Borrowed for the call.
 */
struct model_tf {
	const uint64_t *freq;	/* nfields counts, or NULL: none */
	uint64_t nrecords;	/* N, the records the counts are among */
};

enum model_class {
	MODEL_NONMATCH = 0,
	MODEL_REVIEW = 1,	/* uncertain: a person decides */
	MODEL_MATCH = 2
};

/*
 * Thresholds as match probabilities, from the configuration: p >= match
 * is a match, review <= p < match goes to review, lower is a non-match.
 * review == match means no review band.
 */
struct model_thresholds {
	double	 review;
	double	 match;
};

/*
 * The svod layout: nine fields, levels strongest first, missing last.
 * SWAPPED on a name means forename and surname agree crosswise.
 */
enum model_svod_field {
	MODEL_F_FORENAME, MODEL_F_SURNAME, MODEL_F_DOB, MODEL_F_POSTCODE,
	MODEL_F_UPRN, MODEL_F_NINO, MODEL_F_NHS,
	MODEL_F_SUFFIX,		/* generational: Jr, Sr, III */
	MODEL_F_DEBT_REF,	/* a notice names a debt the other holds */
	MODEL_SVOD_NFIELDS
};
enum model_forename_level {
	MODEL_FN_EXACT, MODEL_FN_NICKNAME, MODEL_FN_SWAPPED,
	MODEL_FN_EDIT1,		/* one letter added, dropped, changed or moved */
	MODEL_FN_DICE90, MODEL_FN_DICE70, MODEL_FN_INITIAL, MODEL_FN_DISAGREE,
	MODEL_FN_MISSING
};
enum model_surname_level {
	MODEL_SN_EXACT, MODEL_SN_SWAPPED, MODEL_SN_PART, MODEL_SN_DICE90,
	MODEL_SN_DICE70, MODEL_SN_DISAGREE, MODEL_SN_MISSING
};
enum model_dob_level {
	MODEL_DOB_EXACT, MODEL_DOB_SWAPPED,	/* day and month swapped */
	MODEL_DOB_ONE_DIGIT, MODEL_DOB_YEAR_NEAR,	/* year within one */
	MODEL_DOB_DISAGREE, MODEL_DOB_MISSING
};
enum model_postcode_level {
	MODEL_PC_PREMISES,	/* one postcode, one dwelling */
	MODEL_PC_FULL,		/* one postcode, premises unknown */
	MODEL_PC_OTHER,		/* one postcode, different premises */
	MODEL_PC_SECTOR, MODEL_PC_DISTRICT, MODEL_PC_DISAGREE,
	MODEL_PC_MISSING
};
/*
 * UPRN, NINO stem, NHS number, the generational suffix and the debt
 * reference (compare_debt_ref).
 */
enum model_id_level {
	MODEL_ID_AGREE, MODEL_ID_DISAGREE, MODEL_ID_MISSING
};
extern const struct model_field model_svod_fields[MODEL_SVOD_NFIELDS];

/* Lifecycle */

/*
 * Check the layout ('nfields' rows at 'fields', borrowed) and set 'md' to
 * starting values: lambda 0.01, m falling and u rising by a factor of 4
 * a level. Returns 0, or ERR_CONFIG naming the bad field ('md' is then
 * zeroed).
 */
int	 model_init(struct model *md, const struct model_field *fields,
	    size_t nfields, struct err *e);
/* Recompute md->w from m and u. Cannot fail. */
void	 model_prepare(struct model *md);
/* Defaults: 1000 iterations, tol_param 1e-7, tol_loglik off, fix_u. */
void	 model_fit_opts_init(struct model_fit_opts *o);

/* Patterns */

/*
 * Pack 'nfields' levels (each below MODEL_LEVELS_MAX) into a pattern:
 * field i in bits 4i..4i+3. Unused high fields are 0.
 */
uint64_t model_pattern_encode(const uint8_t *levels, size_t nfields);
/* Unpack 'nfields' levels of 'pattern' into 'levels'. */
void	 model_pattern_decode(uint64_t pattern, size_t nfields,
	    uint8_t *levels);
/* Level of field f in 'pattern'. */
static inline int
model_pattern_level(uint64_t pattern, size_t f)
{
	return (int)((pattern >> (f * MODEL_LEVEL_BITS)) & 0xF);
}

/*
 * A tally of patterns: a hash table from pattern to count, so EM runs
 * over distinct patterns, not pairs. Never NULL (out of memory exits).
 * Not thread-safe; give each thread its own and merge.
 */
struct model_tally;
struct model_tally *model_tally_new(void);
/* Free it. Accepts NULL. */
void	 model_tally_free(struct model_tally *t);
/* Count 'count' more pairs with 'pattern' (never UINT64_MAX). */
void	 model_tally_add(struct model_tally *t, uint64_t pattern,
	    uint64_t count);
/* Add every pattern of 'src' to 'dst'; 'src' is unchanged. */
void	 model_tally_merge(struct model_tally *dst,
	    const struct model_tally *src);
/* Distinct patterns so far. */
size_t	 model_tally_size(const struct model_tally *t);
/*
 * The distinct patterns sorted by pattern (so the result does not depend
 * on the order pairs came in); *np gets their number. Caller owns the
 * array: free() it. Never NULL, even when empty.
 */
struct model_pattern *model_tally_patterns(const struct model_tally *t,
	    size_t *np);

/* Estimation */

/*
 * Set u of field f from counts of its levels among random pairs (pairs
 * drawn at random from all records, not the candidates): 'counts' has
 * nlevels entries, the missing one ignored. A level never seen counts as
 * half a pair, so no u is 0. Updates the weights. Returns 0, or
 * ERR_DATA if f is out of range, ncounts is not the field's nlevels, or
 * no pair has a value.
 */
int	 model_set_u(struct model *md, size_t f, const uint64_t *counts,
	    size_t ncounts, struct err *e);

/*
 * Fit lambda and m (and u unless o->fix_u) by EM on 'npats' distinct
 * patterns (borrowed), unsupervised, assuming fields independent given
 * match status. Starts from md's current values (model_init's, or last
 * night's model), so set u first when fixing it. Sums run in the order
 * of 'pats': same input, same bits. 'st' may be NULL. Returns 0 (also
 * when max_iter ran out: see st->converged), or ERR_DATA if a pattern has
 * a level out of its field's range or no pairs are given; 'md' is then
 * unchanged.
 */
int	 model_fit(struct model *md, const struct model_pattern *pats,
	    size_t npats, const struct model_fit_opts *o,
	    struct model_fit_stats *st, struct err *e);

/* Scoring */

/*
 * The match weight of a pair: the log2 Bayes factor, summed over fields,
 * without the prior. 'tf' (NULL: none) adjusts the TF level of a field:
 * its u becomes max(freq / N, tf_min_u, floor). 'contrib' (NULL, or
 * nfields doubles) gets each field's part; a missing field's is 0.
 */
double	 model_weight(const struct model *md, uint64_t pattern,
	    const struct model_tf *tf, double *contrib);
/* P(match | weight) for prior lambda: 1 / (1 + 2^-(w + log2 odds)). */
double	 model_probability(double weight, double lambda);
/*
 * The weight at which model_probability reaches 'p' (0 < p < 1): compare
 * weights with it instead of computing probabilities for every pair.
 */
double	 model_weight_for_probability(double p, double lambda);

/*
 * Check thresholds from the configuration: 0 < review <= match < 1.
 * Returns 0, or ERR_CONFIG.
 */
int	 model_thresholds_check(const struct model_thresholds *t,
	    struct err *e);
/* Classify a pair by its match probability. */
enum model_class model_classify(double p, const struct model_thresholds *t);
/* "match", "review" or "non-match"; "?" when out of range. */
const char *model_class_name(enum model_class c);
/* Name of level l of field f, or "?" (no names, or out of range). */
const char *model_level_name(const struct model *md, size_t f, int l);

#endif
