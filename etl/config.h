/*
 * config: the job configuration file, an INI file read with libinih.
 *
 *   [job]                        ; required section
 *   inbox = /srv/svod/inbox      ; required; relative to the config file
 *   key_file = /etc/svod/key     ; required; relative to the config file
 *   database = dbname=svod       ; libpq conninfo; optional (PG* vars)
 *   as_of = 2026-11-30           ; optional; default: today (UTC)
 *   rejects_dir = var/rejects    ; optional; default "rejects" beside this file
 *   date_formats = iso, dmy      ; default for every feed; iso|dmy|dmy_dash
 *   money_formats = plain        ; default for every feed; plain|pound|thousands
 *   max_rejects = 0              ; default budget per feed (count); unset
 *                                ;   with a max_reject_pct: no count budget
 *   max_reject_pct = 0           ; default budget per feed (percent)
 *   keep_runs = 7                ; runs kept in the database
 *   carry_forward = false        ; missing feed: fail, or reuse last data
 *   matcher = probabilistic      ; or deterministic (strong tokens only)
 *   match_probability = 99       ; probabilistic: link at or above (%)
 *   review_probability = 50      ; probabilistic: review band from (%)
 *
 *   [feed council_tax]           ; one per feed; a feed with no section
 *   file = ct_*.csv              ;   uses its defaults (feed.h)
 *   schema = my.xsd              ; XML feeds: the XSD to validate against
 *   date_formats = dmy
 *   money_formats = pound, thousands
 *   max_rejects = 50
 *   max_reject_pct = 0.5
 *   enabled = true
 *
 *   [columns council_tax]        ; canonical field = source column (CSV)
 *   account_ref = Account Number ; or XML path relative to the entity
 *
 * Every problem (unknown section or key, missing required key, bad value,
 * unknown canonical field, a mapping given twice) fails with ERR_CONFIG
 * and a message naming the file, line and key. Paths are resolved against
 * the configuration file's directory. The whole configuration is owned by
 * struct config and freed by config_free().
 */
#ifndef SVOD_CONFIG_H
#define SVOD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "etl/err.h"
#include "etl/feed.h"

/* Accepted date formats (bit set). */
#define CONFIG_DATE_ISO	     (1u << 0)	/* YYYY-MM-DD */
#define CONFIG_DATE_DMY	     (1u << 1)	/* DD/MM/YYYY */
#define CONFIG_DATE_DMY_DASH (1u << 2)	/* DD-MM-YYYY */
/* Accepted money forms (bit set); plain "-1234.56" is always accepted. */
#define CONFIG_MONEY_POUND     (1u << 0) /* a leading pound sign */
#define CONFIG_MONEY_THOUSANDS (1u << 1) /* comma thousands separators */

struct config_feed {
	const struct feed_desc *desc;	/* the canonical layout */
	bool	 enabled;		/* false: skipped by every job */
	char	*file;			/* file name or glob, in the inbox */
	char	*schema;		/* XML: absolute or config-relative XSD */
	unsigned date_formats;		/* CONFIG_DATE_* */
	unsigned money_formats;		/* CONFIG_MONEY_* */
	int64_t	 max_rejects;		/* -1: no count budget */
	double	 max_reject_pct;	/* <0: no percentage budget */
	char	**source;		/* [desc->nfields]: source column or
					   XML path per field; NULL = default
					   (canonical name or feed.h path) */
	bool	 mapped;		/* a [columns] section was given */
};

struct config {
	char	*path;			/* the file read */
	char	*dir;			/* its directory, for relative paths */
	char	*inbox;			/* resolved path */
	char	*key_file;		/* resolved path */
	char	*database;		/* conninfo, or NULL */
	char	*rejects_dir;		/* resolved path */
	int32_t	 as_of;			/* days since 1970-01-01 */
	bool	 as_of_set;		/* given in the file (or overridden) */
	int	 keep_runs;		/* >= 1 */
	bool	 carry_forward;
	bool	 probabilistic;		/* matcher: false = deterministic */
	double	 match_pct;		/* probabilistic: link at or above */
	double	 review_pct;		/* probabilistic: review band from */
	struct config_feed feeds[FEED_COUNT];
};

/*
 * Read 'path'. On success *out owns a new configuration (free with
 * config_free); on failure returns ERR_CONFIG (ERR_NOINPUT when the file
 * is missing, ERR_IO when it cannot be read) with "PATH:LINE: ..." in e
 * and *out NULL.
 */
int	 config_load(const char *path, struct config **out, struct err *e);
/* Free a configuration. Accepts NULL. */
void	 config_free(struct config *cfg);
/*
 * Set the as-of date from "YYYY-MM-DD" (command-line override). Returns 0,
 * or ERR_USAGE for anything but a real calendar date; cfg is then as it was.
 */
int	 config_set_as_of(struct config *cfg, const char *date, struct err *e);
/* The source column or XML path of field i of a feed (never NULL). */
const char *config_source(const struct config_feed *cf, size_t i);
/* A SHA-256 hex digest of the file's bytes, for run manifests. */
int	 config_digest(const struct config *cfg, char out[65], struct err *e);

#endif
