/*
 * cluster: deterministic linking of source records into residents, and
 * resident ids that stay stable from night to night. Two records link
 * when they share a strong keyed token (NINO stem, NHS number, full name +
 * DOB, surname + initial + DOB + postcode, UPRN + surname + DOB); links
 * join records with union-find, except that a resident never holds two
 * records of one feed with different NINO stems or different DOBs (such a
 * merge is refused and reported). Pure functions: no I/O, no clock.
 *
 * Invariants: the result depends only on the records' (feed, key, tokens),
 * never on the order they were added in or on hash order. Records are
 * ordered by (feed, key), bytewise; rules are applied strongest first
 * (the order above); within a rule, groups of records sharing a token are
 * taken in the order of their first record, and each record in a group,
 * in order, tries the group's earlier residents in order (at most
 * CLUSTER_TRY_MAX of them). Clusters are numbered 0..C-1 by their first
 * record. A record is named by its index: the order of cluster_add calls.
 *
 * For the probabilistic matcher the caller may also add scored links
 * (cluster_add_link: a candidate pair above its threshold, and its
 * weight) and cannot-links (cluster_add_cannot_link: a pair whose direct
 * comparison says they differ). cluster_run applies the strong-token
 * rules first, exactly as above, then the scored links strongest first
 * (ties: by the pair's records in (feed, key) order, smaller first, then
 * larger), each as a union subject to the same-feed constraint. No union,
 * by a rule or a scored link, may put the two records of a cannot-link
 * into one resident: such a merge is refused and reported, so a chain of
 * weak links cannot join two people who differ. Without cannot-links and
 * scored links the result is exactly that of the rules alone.
 *
 * Typical use, once per night:
 *
 *	c = cluster_new(n);
 *	for each record: cluster_add(c, &(struct cluster_rec){ feed, key,
 *	    id->have, id->tok }, e);	(id: a struct identity, borrowed)
 *	(optionally) cluster_add_link(c, a, b, w, e);
 *	    cluster_add_cannot_link(c, a, b, e);
 *	cluster_run(c, e);
 *	cluster_assign_ids(c, prev, nprev, &next_id, e);
 *	... cluster_of(), cluster_resident(), cluster_links(), ...
 *	cluster_free(c);
 */
#ifndef SVOD_CLUSTER_H
#define SVOD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl/err.h"
#include "matchers/pseudonym.h"

#define CLUSTER_FEEDS		5	/* feed ids are 0..4 (enum feed_id) */
#define CLUSTER_KEY_MAX		255	/* bytes of a source key */
#define CLUSTER_RULES		5	/* linking rules, see cluster_rule_at */
#define CLUSTER_RULE_NONE	(-1)	/* a record that joined nothing */
#define CLUSTER_RULE_SCORED	(-2)	/* joined by a scored link */
/*
 * How many earlier residents of one token group a record tries before it
 * gives up. Residents in one group pairwise conflict (or they would have
 * merged), so a real group has one or two; the cap only bounds the work
 * on a placeholder value shared by thousands (a dummy NINO, say).
 */
#define CLUSTER_TRY_MAX		8

/*
 * One source record, as cluster_add reads it. Everything is copied: the
 * pointers are borrowed for the call only. Fill it from a struct identity
 * (jobs/pipeline.h) as { feed, key, id->have, id->tok }.
 */
struct cluster_rec {
	uint8_t	 feed;		/* enum feed_id, below CLUSTER_FEEDS */
	const char *key;	/* source key, unique within its feed */
	uint32_t have;		/* bit p set when tok[p] holds a token */
	/* Tokens indexed by enum pseudonym_purpose; may be NULL if !have. */
	const unsigned char (*tok)[PSEUDONYM_TOKEN_LEN];
};

/*
 * A link that joined two clusters: the auditor's evidence. For a scored
 * link, a and b are the pair's records in (feed, key) order.
 */
struct cluster_link {
	uint32_t a;		/* record already in the group's resident */
	uint32_t b;		/* record that joined it */
	int	 rule;		/* enum pseudonym_purpose of the shared token,
				   or CLUSTER_RULE_SCORED */
	double	 weight;	/* a scored link's weight; NAN for a rule's */
};

enum cluster_conflict {
	CLUSTER_CONFLICT_NINO = 1,	/* same feed, different NINO stems */
	CLUSTER_CONFLICT_DOB = 2,	/* same feed, different DOBs */
	CLUSTER_CONFLICT_CANNOT = 3	/* a cannot-link pair, x and y */
};

/*
 * A merge that was refused: a and b share a token (or a scored link).
 * The same-feed constraint is checked first; only a merge it allows can
 * be refused for a cannot-link.
 */
struct cluster_refusal {
	uint32_t a, b;		/* records, as in struct cluster_link */
	int	 rule;		/* as in struct cluster_link */
	enum cluster_conflict conflict;	/* the first conflict found */
	uint8_t	 feed;		/* the feed whose records conflict; for
				   CLUSTER_CONFLICT_CANNOT, x's feed */
	/* CLUSTER_CONFLICT_CANNOT: the pair that would have shared the
	   resident (x on a's side); otherwise both UINT32_MAX. */
	uint32_t x, y;
};

/* One line of the previous night's assignment. */
struct cluster_prev {
	uint8_t	 feed;		/* enum feed_id */
	const char *key;	/* borrowed for the cluster_assign_ids call */
	uint64_t resident_id;
};

enum cluster_event_kind {
	/* resident_id absorbed records of the previous resident other_id */
	CLUSTER_EVENT_MERGE = 1,
	/* records of resident_id now sit (also) in resident other_id */
	CLUSTER_EVENT_SPLIT = 2
};

struct cluster_event {
	enum cluster_event_kind kind;
	uint64_t resident_id;
	uint64_t other_id;
};

/* Figures for the nightly summary. */
struct cluster_stats {
	size_t	 records;
	size_t	 clusters;
	size_t	 links[CLUSTER_RULES];	/* by rule, as cluster_rule_at */
	size_t	 refused;		/* merges refused by the same-feed
					   constraint */
	size_t	 refused_cannot;	/* merges refused by a cannot-link */
	size_t	 scored_links;		/* scored links applied (joins) */
	size_t	 capped;		/* tries skipped by CLUSTER_TRY_MAX */
	size_t	 no_identity;		/* clusters flagged for review */
	/* After cluster_assign_ids: */
	size_t	 inherited;		/* clusters that kept an old id */
	size_t	 new_ids;		/* clusters given a new id */
	size_t	 prev_gone;		/* previous records absent tonight */
	size_t	 merges, splits;	/* history events by kind */
};

struct cluster;

/* Lifecycle */

/*
 * A clusterer for up to 'n' records (n below 2^32 - 1). Memory is about
 * 250 bytes per record at its peak, in cluster_run. Never NULL (out of
 * memory exits, see etl/xalloc.h). Free with cluster_free.
 */
struct cluster *cluster_new(size_t n);
/* Free everything, including every array the queries returned. NULL ok. */
void	 cluster_free(struct cluster *c);

/* Operations */

/*
 * Copy record 'r' (its key and the tokens of the purposes used here:
 * the five rules and DOB; other bits of 'have' are ignored). Its index is
 * the number of records added before it. Returns 0; ERR_LIMIT when 'n'
 * records were already added or the key is longer than CLUSTER_KEY_MAX;
 * ERR_DATA for a feed out of range or a NULL key. Not after cluster_run.
 */
int	 cluster_add(struct cluster *c, const struct cluster_rec *r,
	    struct err *e);
/*
 * A scored candidate link between records a and b (indexes as added),
 * with its weight; the caller adds only the pairs it wants linked (those
 * above its threshold). cluster_run applies them after the rules,
 * strongest first, each a union subject to the same-feed constraint and
 * the cannot-links; a link between records already together does
 * nothing. A pair may be given more than once: only its strongest link
 * can join. Call after the cluster_add calls of a and b, before
 * cluster_run. Returns 0; ERR_DATA when a or b is not a record added, or
 * a == b, or the weight is NaN; ERR_LIMIT past UINT32_MAX / 2 links.
 */
int	 cluster_add_link(struct cluster *c, uint32_t a, uint32_t b,
	    double weight, struct err *e);
/*
 * Do not apply the linking rule of 'purpose' (an enum pseudonym_purpose,
 * one of the five rules): its tokens join nothing in cluster_run. For
 * the probabilistic matcher, whose scores weigh that evidence with the
 * rest: the UPRN + surname + DOB rule ignores the forename and so joins
 * twins. Without a call every rule applies. Before cluster_run.
 * Returns 0; ERR_DATA for a purpose that is not a rule's or after
 * cluster_run.
 */
int	 cluster_skip_rule(struct cluster *c, int purpose, struct err *e);
/*
 * Records a and b differ (the caller decides: a strongly negative
 * weight, say, or disagreeing NINOs): no union, by a rule or a scored
 * link, may put them into one resident. Same calls and errors as
 * cluster_add_link (without the weight). Repeats are harmless.
 *
 * Cost: cluster_run keeps, per resident, the list of its records that
 * have cannot-links and the number D of cannot-link ends they hold; a
 * union of two residents walks the side with the smaller D and finds
 * the resident of each partner, O(min(Da, Db) * alpha(n)). A union where
 * either side holds no cannot-link costs O(1) more than before; set-up
 * is a linear radix sort. Memory: 16 bytes a pair (either kind) as
 * added; in cluster_run, if there are cannot-links, 16 bytes a record
 * and 8 a cannot-link (about 100 during the set-up sort), and if there
 * are scored links, 8 bytes a record (kept) and 48 a link (the sort).
 */
int	 cluster_add_cannot_link(struct cluster *c, uint32_t a, uint32_t b,
	    struct err *e);
/*
 * Link and cluster the records added. Returns 0, or ERR_DATA if two
 * records have the same (feed, key) (the message names their indexes);
 * then the queries must not be used. Call once.
 */
int	 cluster_run(struct cluster *c, struct err *e);
/*
 * Give every cluster a resident id, after cluster_run. 'prev' (nprev
 * lines, borrowed for the call) is last night's assignment; records not
 * in it are new, lines whose record is gone are counted and ignored.
 * A cluster inherits the previous id it shares the most records with
 * (ties: the smaller id), and each previous id goes to one cluster only:
 * pairs (cluster, id) are granted from the largest overlap down (ties:
 * smaller id, then earlier cluster), so a cluster that loses its first
 * choice may still keep another id it overlaps. Clusters left without an
 * id get *next_id, *next_id + 1, ... in cluster order, and *next_id is
 * advanced past them. Merges and splits become history events. Returns
 * 0, or ERR_DATA for a duplicate or malformed (feed, key) line, or an
 * id not below *next_id. May be called again with other input. Lines
 * already in (feed, key) order (ORDER BY feed, key) skip a sort.
 */
int	 cluster_assign_ids(struct cluster *c, const struct cluster_prev *prev,
	    size_t nprev, uint64_t *next_id, struct err *e);

/* Queries (after cluster_run; 'i' is a record index, 'k' a cluster) */

/* Records added, and clusters found. */
size_t	 cluster_nrecords(const struct cluster *c);
size_t	 cluster_count(const struct cluster *c);
/* Record i's feed and key (the copy: lives until cluster_free). */
int	 cluster_feed(const struct cluster *c, size_t i);
const char *cluster_key(const struct cluster *c, size_t i);
/* Record i's cluster, 0..cluster_count() - 1. */
uint32_t cluster_of(const struct cluster *c, size_t i);
/* The first record of cluster k (the smallest (feed, key)). */
uint32_t cluster_first(const struct cluster *c, size_t k);
/*
 * The strongest rule of a link that touched record i (an enum
 * pseudonym_purpose); CLUSTER_RULE_SCORED when only scored links did;
 * CLUSTER_RULE_NONE for a resident of its own.
 */
int	 cluster_rule(const struct cluster *c, size_t i);
/*
 * The weight of the strongest scored link that joined record i to a
 * resident (or another record to i's), NAN if none did. A rule's links
 * have no weight: a record touched by both has both answers.
 */
double	 cluster_link_weight(const struct cluster *c, size_t i);
/* The i-th rule (0 strongest) and a rule's name, "scored" or "none". */
int	 cluster_rule_at(size_t i);
const char *cluster_rule_name(int rule);
/*
 * True when no record of cluster k has a token of any rule: nothing could
 * ever link it, so it goes to review.
 */
bool	 cluster_is_no_identity(const struct cluster *c, size_t k);
/*
 * The links that built cluster k (size - 1 of them), in the order they
 * were made; *np gets the count. Lives until cluster_free.
 */
const struct cluster_link *cluster_links(const struct cluster *c, size_t k,
	    size_t *np);
/* Every refused merge, in the order tried. Lives until cluster_free. */
const struct cluster_refusal *cluster_refusals(const struct cluster *c,
	    size_t *np);
/* After cluster_assign_ids: the resident id of record i / cluster k. */
uint64_t cluster_resident(const struct cluster *c, size_t i);
uint64_t cluster_resident_of(const struct cluster *c, size_t k);
/*
 * After cluster_assign_ids: history events sorted by (kind, resident_id,
 * other_id). Lives until cluster_free or the next cluster_assign_ids.
 */
const struct cluster_event *cluster_events(const struct cluster *c,
	    size_t *np);
/* The figures so far. */
void	 cluster_stats(const struct cluster *c, struct cluster_stats *st);

#endif
