/*
 * pipeline: the extract -> pseudonymise part of every job. For each
 * enabled feed it finds the input files (the configured name or glob in
 * the inbox, in sorted order), extracts validated records (etl/extract.h),
 * turns their identity fields into keyed tokens (matchers/pseudonym.h)
 * and hands each record with its tokens to the job's callback. It keeps
 * the per-feed tallies that summaries print.
 */
#ifndef SVOD_PIPELINE_H
#define SVOD_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "etl/config.h"
#include "etl/extract.h"
#include "matchers/normalize.h"
#include "matchers/pseudonym.h"

/* The keyed tokens of one record; bit p of 'have' set when token p is. */
struct identity {
	uint32_t have;
	unsigned char tok[PSEUDONYM_PURPOSE_COUNT][PSEUDONYM_TOKEN_LEN];
};

struct pipeline_feed {
	const struct config_feed *cf;
	bool	 ran;			/* files found and read */
	int	 status;		/* 0, or the enum err_code it failed on */
	char	 error[512];		/* its message, "" when none */
	unsigned nfiles;
	char	**files;		/* [nfiles] paths read, in order */
	struct extract_stats st;	/* summed over its files */
	uint64_t identities;		/* records with at least one token */
	double	 seconds;
};

/* Called for each accepted record; return nonzero to stop the run. */
typedef int (*pipeline_fn)(void *arg, const struct record *rec,
    const struct identity *id, struct err *e);

struct pipeline {
	const struct config *cfg;
	struct pseudonym *ps;		/* NULL: no tokens (check) */
	struct rejects rejects;
	pipeline_fn fn;			/* may be NULL */
	void	*arg;
	struct pipeline_feed feeds[FEED_COUNT];
	char	 key_fingerprint[17];
};

/*
 * Prepare a run over 'cfg': load the key file, refusing an unsafe one,
 * and with 'tokens' derive the per-purpose keys. Returns 0 or an error.
 */
int	 pipeline_init(struct pipeline *pl, const struct config *cfg,
	    bool tokens, struct err *e);
/* Free. */
void	 pipeline_release(struct pipeline *pl);
/*
 * Run every enabled feed. A feed that fails (bad file, budget spent) is
 * recorded in its pipeline_feed and the others still run; the return is
 * the first failure's code (0 when all succeeded).
 */
int	 pipeline_run(struct pipeline *pl, struct err *e);
/* Compute the tokens of 'rec'. */
int	 pipeline_tokens(struct pseudonym *ps, const struct record *rec,
	    struct identity *id, struct err *e);

/*
 * The normalised name of 'rec' into *nm and, when it has a usable date of
 * birth, its parts into *dp (returns true). For the matcher, which needs
 * them in memory only; nothing raw leaves the process.
 */
bool	 pipeline_name_dob(const struct record *rec, struct name_norm *nm,
	    struct dob_parts *dp);

/*
 * The premises of the record's address (normalize_premises) into 'out' of
 * 'cap' bytes; returns the length, 0 when it has none.
 */
size_t	 pipeline_premises(const struct record *rec, char *out, size_t cap);

/*
 * The debt references of 'rec', hashed with XXH3 (non-zero), into out
 * (at most max); returns how many. A breathing-space notice gives the
 * creditor references of its debts (*named true); other records the
 * references they hold: a council tax account, a claim and its
 * overpayment, a tenancy, an invoice (*named false). Source references,
 * not personal data.
 */
size_t	 pipeline_debt_refs(const struct record *rec, uint64_t *out,
	    size_t max, bool *named);

/*
 * The account the record is one party of, when its feed's source key has
 * more than one part (council tax account and party, tenancy and
 * tenant): a non-zero hash of the feed and the key without its last
 * part. 0 for feeds keyed by one field.
 */
uint64_t pipeline_account(const struct record *rec);

/* Print the per-feed summary table, tallies and reject locations. */
void	 pipeline_print(const struct pipeline *pl, FILE *fp, bool tokens);

#endif
