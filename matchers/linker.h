/*
 * linker: one run of probabilistic record linkage over match records
 * (matchers/compare.h). It ties the stages together:
 *
 *  1. candidate pairs by blocking (matchers/blockkey.h);
 *  2. every candidate pair compared into an agreement pattern, and the
 *     patterns tallied (matchers/model.h);
 *  3. u probabilities from random pairs of distinct records, drawn with
 *     a fixed-seed splitmix64 generator (or every pair, when there are
 *     no more pairs than the sample asks for);
 *  4. m and lambda by EM with u fixed, in training sessions: EM on the
 *     candidates agreeing exactly on the date of birth (that field set
 *     to missing), and on those agreeing exactly on both names (names
 *     set to missing), so the agreement blocking forces is not taken
 *     for evidence; each field's m is the pair-weighted mean over the
 *     sessions that did not fix it; then lambda alone by EM over every
 *     candidate. opts->plain_em gives one EM over all candidates
 *     instead (on a test population it drove lambda to 1);
 *     when the UPRNs agree the postcode is set to missing, in the
 *     patterns and in the u counts (one address, one piece of evidence);
 *  5. every candidate pair scored (weight, match probability) and sorted
 *     into links, review pairs and cannot-link pairs;
 *  6. figures of the run.
 *
 * Before the sessions, m starts from anchor pairs: candidates sharing a
 * NINO stem or NHS number, or agreeing exactly on both names and the
 * date of birth (each field's m from the anchors that do not rest on it,
 * with a prior of how one person's records usually differ worth
 * LINKER_PRIOR_PAIRS pairs). With LINKER_ANCHOR_MIN anchors, that m is
 * kept and lambda alone is fitted (stats.em_anchored); otherwise the
 * sessions run. Lambda's EM counts a pair that may not be a link (below) as a
 * non-match.
 *
 * Scoring adjusts exact forename and surname agreement by term frequency
 * (how many of the records hold the value), and both together by the
 * full name's frequency when that is commoner: a link's weight is
 * model_weight with those frequencies, so a common name counts less.
 * A pair above match_probability is a link only if the rules of
 * discriminates() in linker.c allow it: it agrees on a field that tells
 * people apart (forename exact, nickname, swapped or one edit; DOB exact
 * or swapped; NINO; NHS number), not on names alone, not on a Dice
 * likeness of forenames only (twins), and a different surname needs an
 * identifier or the forename at one dwelling; otherwise it goes to
 * review (stats.weak_links). A pair that agrees on names alone (no
 * identifier, date of birth, UPRN or postcode) is never queued for
 * review: nobody could decide it from what the records hold
 * (stats.names_only).
 * Ambiguity: when two of a record's links go to two records that are a
 * cannot-link pair, the one without an exact forename, or both when
 * within LINKER_AMBIGUITY_BITS, go to review instead
 * (stats.ambiguous_links). Then a link between a record
 * with a generational suffix (Jr, Sr) and one without goes to review
 * unless the date of birth or an identifier agrees: the suffix says a
 * namesake relative exists (stats.namesake_links).
 *
 * Pure apart from reading the monotonic clock for the figures
 * (comparisons per second): the pairs, weights, probabilities and the
 * model never depend on it. No I/O, no global state.
 *
 * Invariants: a pair is (a, b) with a < b, positions in the caller's
 * array; each output array is sorted by (a, b). The output depends only
 * on the records and the options, never on the order of the records: the
 * random pairs are drawn over the records sorted by their 'index' (then
 * their contents), so a shuffled input gives the same pairs by record
 * identity (map positions through recs[a].index), the same weights and
 * the same model. A pair is in at most one of the three arrays.
 * 'candidates' holds every candidate pair, sorted by (a, b), each with
 * its decision: it is the union of the three arrays and the pairs that
 * scored below review_probability (for the auditor's table of scored
 * pairs, run_<id>.match_pair).
 *
 * Typical use:
 *
 *	linker_opts_init(&o);
 *	o.match_probability = cfg->match;
 *	if (linker_run(recs, n, &o, &res, &e) != 0)
 *		return e.code;
 *	for (i = 0; i < res.nlinks; i++)
 *		... res.links[i].a, .b, .weight, .probability ...
 *	linker_result_free(&res);
 */
#ifndef SVOD_LINKER_H
#define SVOD_LINKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl/err.h"
#include "matchers/blockkey.h"
#include "matchers/compare.h"
#include "matchers/model.h"

#define LINKER_U_PAIRS		200000	/* default random pairs for u */
#define LINKER_MATCH_P		0.99	/* default link threshold */
#define LINKER_REVIEW_P		0.5	/* default review threshold */
#define LINKER_CANNOT_WEIGHT	(-10.0)	/* default cannot-link weight, bits */
#define LINKER_SESSIONS		2	/* training sessions of the EM */
/*
 * Anchor pairs needed before they set m: one, as the prior keeps a
 * handful from deciding alone; with none, the EM sessions run.
 */
#define LINKER_ANCHOR_MIN	1
/* Anchor pairs the prior of m weighs (see anchor_m in linker.c). */
#define LINKER_PRIOR_PAIRS	20.0
/* Two rival links of one record closer than this (bits): ambiguous. */
#define LINKER_AMBIGUITY_BITS	2.0
/* Default seed of the random pairs: any fixed value will do. */
#define LINKER_SEED		UINT64_C(0x5eed5eed5eed5eed)

/* How to link. Set the defaults with linker_opts_init. */
struct linker_opts {
	/* Largest block kept (2..); 0 means BLOCKKEY_MAX_BLOCK. */
	size_t	 max_block;
	/* Random pairs drawn for u (>= 1); 0 means LINKER_U_PAIRS. */
	uint64_t u_pairs;
	uint64_t seed;		/* of the random pairs */
	/* p >= match_probability: link; p >= review_probability: review. */
	double	 match_probability;
	double	 review_probability;
	/* A pair weighing less than this (bits) is a cannot-link. */
	double	 cannot_weight;
	int	 max_iter;	/* EM iterations at most (1000) */
	/*
	 * Fit u by EM as well, starting from the random pairs' u (default
	 * false: u stays as the random pairs give it).
	 */
	bool	 fit_u;
	/*
	 * Fit m and lambda by one EM on every candidate pattern (default
	 * false: by training sessions, see linker_run).
	 */
	bool	 plain_em;
};

/* A scored pair: a link or a review pair. */
struct linker_link {
	uint32_t a, b;		/* positions, a < b */
	/*
	 * Its agreement pattern: model_weight(&result->model, pattern,
	 * NULL, contrib) gives each field's part of the weight (before the
	 * term-frequency adjustment of exact names), and
	 * model_pattern_level the level of each field (the evidence).
	 */
	uint64_t pattern;
	double	 weight;	/* bits */
	double	 probability;	/* of a match */
};

/* A pair that must not be joined. */
struct linker_pair {
	uint32_t a, b;		/* positions, a < b */
};

/* What became of a candidate pair. */
enum linker_decision {
	LINKER_NONE = 0,	/* in no array: below review_probability */
	LINKER_LINK = 1,	/* in result->links */
	LINKER_REVIEW = 2,	/* in result->review */
	LINKER_CANNOT = 3	/* in result->cannot */
};

/*
 * Why a candidate got its decision. link: MATCH. review: BAND (the
 * probability is in the review band), RULES (it reached the match
 * probability but discriminates() withheld the link), AMBIGUOUS (a rival
 * link to someone this pair's other record cannot be), NAMESAKE (a
 * generational suffix on one side only). none: BELOW (under the review
 * band), NAMES_ONLY (nothing but names agree). cannot, any of: NINO,
 * NHS, DOB (they disagree), FORENAME (forenames differ), ACCOUNT, SUFFIX,
 * AGE (compare_distinct), WEIGHT (below cannot_weight).
 */
enum {
	LINKER_WHY_MATCH = 1 << 0,
	LINKER_WHY_BAND = 1 << 1,
	LINKER_WHY_RULES = 1 << 2,
	LINKER_WHY_AMBIGUOUS = 1 << 3,
	LINKER_WHY_NAMESAKE = 1 << 4,
	LINKER_WHY_BELOW = 1 << 5,
	LINKER_WHY_NAMES_ONLY = 1 << 6,
	LINKER_WHY_NINO = 1 << 7,
	LINKER_WHY_NHS = 1 << 8,
	LINKER_WHY_DOB = 1 << 9,
	LINKER_WHY_FORENAME = 1 << 10,
	LINKER_WHY_ACCOUNT = 1 << 11,
	LINKER_WHY_SUFFIX = 1 << 12,
	LINKER_WHY_AGE = 1 << 13,
	LINKER_WHY_WEIGHT = 1 << 14
};
#define LINKER_WHY_BITS	15

/*
 * A candidate pair as blocking gave it, compared and scored, whatever
 * became of it. A cannot-link pair is scored too: its weight and
 * probability are what the model said before the identifiers or the
 * weight floor ruled it out.
 */
struct linker_candidate {
	uint32_t a, b;		/* positions, a < b */
	uint64_t pattern;	/* as in struct linker_link */
	double	 weight;	/* bits, term frequencies included */
	double	 probability;	/* of a match */
	int	 decision;	/* enum linker_decision */
	/* Why (LINKER_WHY_* bits; several for a cannot-link). */
	uint16_t why;
	/*
	 * How many records hold the forename, the surname and the full
	 * name the pair agrees on exactly (0 where it does not): the term
	 * frequencies in its weight (linker_contributions).
	 */
	uint32_t freq_forename, freq_surname, freq_fullname;
};

/* Figures of a run. */
struct linker_stats {
	uint64_t records;
	uint64_t candidate_pairs;	/* after blocking, distinct */
	uint64_t patterns;		/* distinct agreement patterns */
	uint64_t random_pairs;		/* compared for u */
	bool	 u_all_pairs;		/* every pair was compared for u */
	/* Bit f: no random pair had field f, so u stayed at its start. */
	unsigned u_unset;
	/* Comparisons (candidate and random pairs) and their wall time. */
	uint64_t comparisons;
	double	 compare_seconds;
	double	 comparisons_per_second;
	double	 seconds;			/* the whole run */
	int	 em_iterations;		/* summed over sessions */
	bool	 em_converged;
	double	 em_loglik;		/* plain EM only */
	bool	 em_sessions;		/* m came from the sessions */
	/* m came from the anchor pairs, lambda alone by EM. */
	bool	 em_anchored;
	/* Pairs and EM iterations of each session; lambda's iterations. */
	uint64_t session_pairs[LINKER_SESSIONS];
	int	 session_iterations[LINKER_SESSIONS];
	int	 lambda_iterations;
	double	 lambda;
	/* Copies of the fitted model's m and u, by field and level. */
	double	 m[MODEL_SVOD_NFIELDS][MODEL_LEVELS_MAX];
	double	 u[MODEL_SVOD_NFIELDS][MODEL_LEVELS_MAX];
	uint64_t anchor_pairs;		/* set the starting m */
	uint64_t links, review, cannot;
	/*
	 * Links sent to review: no agreeing discriminating field; rivals;
	 * a suffix on one side only.
	 */
	uint64_t weak_links, ambiguous_links, namesake_links;
	/* Pairs at or above review agreeing on names alone: not queued. */
	uint64_t names_only;
	/*
	 * Cannot-links by reason (a pair may have several): NINO stems or
	 * NHS numbers differ; dates of birth disagree (not a typo, swap or
	 * near year); two parties of one account, or Jr against Sr
	 * (compare_distinct); the weight is below cannot_weight.
	 */
	uint64_t cannot_nino, cannot_nhs, cannot_dob, cannot_forename,
		 cannot_distinct, cannot_weight;
	/* Cannot-links by a reason other than weight whose probability
	 * reached review. */
	uint64_t id_overrides;
	struct blockkey_stats blocking;
};

/* What a run gives. Free the arrays with linker_result_free. */
struct linker_result {
	struct linker_link *links;	/* probability >= match */
	size_t	 nlinks;
	struct linker_link *review;	/* review <= probability < match */
	size_t	 nreview;
	struct linker_pair *cannot;	/* decisive against a match */
	size_t	 ncannot;
	/* Every candidate pair (stats.candidate_pairs of them). */
	struct linker_candidate *candidates;
	size_t	 ncandidates;
	struct model model;		/* the fitted model */
	struct linker_stats stats;
};

/* Lifecycle */

/*
 * Defaults: block cap BLOCKKEY_MAX_BLOCK, LINKER_U_PAIRS random pairs,
 * LINKER_SEED, thresholds 0.99 and 0.5, cannot-link below -10 bits, 1000
 * EM iterations.
 */
void	 linker_opts_init(struct linker_opts *o);
/*
 * Check options from the configuration: 0 < review <= match < 1, a block
 * cap of 0 or at least 2, a finite cannot weight, max_iter >= 1.
 * Returns 0, or ERR_CONFIG.
 */
int	 linker_opts_check(const struct linker_opts *o, struct err *e);
/* Free the arrays of 'r' and zero it. Accepts NULL and a zeroed result. */
void	 linker_result_free(struct linker_result *r);

/* Operations */

/*
 * Link the 'n' records at 'recs' (borrowed) with options 'opts' (NULL:
 * the defaults) into 'out' (fully overwritten; free it with
 * linker_result_free, also after a failure). A pair is classed, first
 * match wins: cannot-link when its NINO or NHS number disagree, its dates
 * of birth disagree (MODEL_DOB_DISAGREE), the forenames disagree with no
 * NINO or NHS number agreeing, compare_distinct says they are
 * two people, or its weight is below opts->cannot_weight; link when its probability is at
 * least match_probability; review when at least review_probability; else
 * nothing. Fewer than two records, or no candidate pair, give empty
 * arrays and a model with u set and m at its start.
 * Returns 0; ERR_CONFIG for bad options; ERR_LIMIT for more records than
 * BLOCKKEY_MAX_RECORDS. Out of memory exits (etl/xalloc.h).
 */
int	 linker_run(const struct compare_rec *recs, size_t n,
	    const struct linker_opts *opts, struct linker_result *out,
	    struct err *e);

/* Queries */

/*
 * Each field's part of candidate c's weight into 'contrib' (nfields of
 * r->model doubles), term frequencies included, so that the parts add up
 * to c->weight (which it returns). For an auditor's evidence.
 */
double	 linker_contributions(const struct linker_result *r,
	    const struct linker_candidate *c, double *contrib);
/*
 * The LINKER_WHY_* bits of 'why' as names joined by commas ("match",
 * "dob,forename", "names_only") into buf (cap bytes, cap > 0; a name
 * that does not fit is left out). Returns the length.
 */
size_t	 linker_why_text(unsigned why, char *buf, size_t cap);
/* "link", "review", "cannot" or "none"; "?" when out of range. */
const char *linker_decision_name(int decision);

#endif
