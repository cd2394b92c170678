/*
 * metrics: how well a clustering of records agrees with the true one.
 * Given N records, each with a predicted cluster (a resident id) and a
 * true cluster (an opaque person number), it computes pairwise precision,
 * recall and F1 (over pairs of records in one cluster) and B-cubed
 * precision, recall and F1 (Bagga and Baldwin, 1998), and lists the false
 * links (pairs predicted together but truly apart) and missed links
 * (truly together, predicted apart) to report. Pure functions: no I/O.
 *
 * Pairs are counted from the contingency table, never enumerated: records
 * are sorted by (pred, truth), and a cell of c records holds C(c, 2)
 * pairs, so the cost is O(N log N) whatever the cluster sizes.
 *
 * Conventions: with no predicted pairs, pairwise precision is 1 (nothing
 * was claimed, so nothing is wrong); with no true pairs, pairwise recall
 * is 1; F1 is 0 when precision + recall is 0. With no records every
 * figure is 1. The result depends only on the records and their order
 * (ties are broken by record index), never on hash or sort internals.
 */
#ifndef SVOD_METRICS_H
#define SVOD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "etl/err.h"

/* Records are named by their index: below this many. */
#define METRICS_MAX_RECORDS	UINT32_MAX

/* One record, as metrics_compute reads it. */
struct metrics_rec {
	uint64_t pred;		/* predicted cluster: the resident id */
	uint64_t truth;		/* true cluster: an opaque person number */
	double	 score;		/* strength of the record's link evidence
				   (higher is stronger); only orders the
				   reported pairs */
};

/*
 * One reported pair: it stands for every record pair between two cells
 * of the contingency table. For a false link, a and b share a predicted
 * cluster and differ in truth; for a missed link, the reverse. Each cell
 * is shown by its first record (smallest index).
 */
struct metrics_pair {
	uint32_t a, b;		/* record indexes, a < b */
	uint64_t pairs;		/* record pairs the two cells hold: |A| * |B| */
	double	 score;		/* the smaller of a's and b's scores */
};

struct metrics {
	size_t	 records;		/* N */
	size_t	 pred_clusters;		/* distinct pred values */
	size_t	 true_clusters;		/* distinct truth values */
	uint64_t pred_pairs;		/* pairs in one predicted cluster */
	uint64_t true_pairs;		/* pairs in one true cluster */
	uint64_t correct_pairs;		/* pairs in both */
	uint64_t false_pairs;		/* pred_pairs - correct_pairs */
	uint64_t missed_pairs;		/* true_pairs - correct_pairs */
	double	 pair_precision, pair_recall, pair_f1;
	double	 bcubed_precision, bcubed_recall, bcubed_f1;
	/*
	 * The worst false links, at most 'worst' of them: one pair for each
	 * true person mixed into a predicted cluster, joining that person's
	 * cell to the cluster's largest cell (ties: the cell with the
	 * smaller first index). Ordered by score, strongest first (a
	 * confident false link is the worst), then pairs, largest first,
	 * then (a, b). Owned; freed by metrics_release.
	 */
	struct metrics_pair *false_links;
	size_t	 nfalse_links;		/* entries in false_links */
	size_t	 false_links_total;	/* before the cap */
	/*
	 * The worst missed links, likewise: one pair for each predicted
	 * cluster that holds a split-off part of a true person, joining it
	 * to the person's largest part. Ordered by pairs, largest first,
	 * then score, weakest first, then (a, b).
	 */
	struct metrics_pair *missed_links;
	size_t	 nmissed_links;
	size_t	 missed_links_total;
};

/* Lifecycle */

/* Set up an empty result. Cannot fail. */
void	 metrics_init(struct metrics *m);
/* Free the pair lists; m becomes empty again. Accepts NULL. */
void	 metrics_release(struct metrics *m);

/* Operations */

/*
 * Score the 'n' records 'recs' (borrowed for the call) into 'm', which
 * is released first, keeping at most 'worst' pairs of each kind. Returns
 * 0, or ERR_LIMIT when n is not below METRICS_MAX_RECORDS ('m' is then
 * empty). Out of memory exits (etl/xalloc.h).
 */
int	 metrics_compute(struct metrics *m, const struct metrics_rec *recs,
	    size_t n, size_t worst, struct err *e);

/* Queries */

/* F1 of a precision and a recall: 0 when both are 0. */
double	 metrics_f1(double precision, double recall);

#endif
