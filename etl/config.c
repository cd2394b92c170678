#include "etl/config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ini.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "etl/fields.h"
#include "etl/xalloc.h"

/* Where the feed XSDs live when [feed NAME] has no schema key. Installed
 * builds pass an absolute directory; the relative default is resolved
 * against the working directory, which suits a run from the source tree. */
/* The job's max_rejects until a file sets it. */
#define CONFIG_REJECTS_UNSET (-2)

#ifndef SVOD_SCHEMA_DIR
#define SVOD_SCHEMA_DIR "schemas/feeds"
#endif

/* More canonical fields than any feed in feed.c has; asserted. */
#define CONFIG_MAX_FIELDS 64

enum config_key {
	KEY_INBOX,
	KEY_KEY_FILE,
	KEY_DATABASE,
	KEY_AS_OF,
	KEY_REJECTS_DIR,
	KEY_DATE_FORMATS,
	KEY_MONEY_FORMATS,
	KEY_MAX_REJECTS,
	KEY_MAX_REJECT_PCT,
	KEY_KEEP_RUNS,
	KEY_CARRY_FORWARD,
	KEY_MATCHER,
	KEY_MATCH_PCT,
	KEY_REVIEW_PCT,
	KEY_FILE,
	KEY_SCHEMA,
	KEY_ENABLED,
	KEY_COUNT
};

#define IN_JOB	(1u << 0)
#define IN_FEED (1u << 1)

static const struct {
	const char *name;
	unsigned where;		/* IN_JOB, IN_FEED */
} config_keys[KEY_COUNT] = {
	[KEY_INBOX] = { "inbox", IN_JOB },
	[KEY_KEY_FILE] = { "key_file", IN_JOB },
	[KEY_DATABASE] = { "database", IN_JOB },
	[KEY_AS_OF] = { "as_of", IN_JOB },
	[KEY_REJECTS_DIR] = { "rejects_dir", IN_JOB },
	[KEY_DATE_FORMATS] = { "date_formats", IN_JOB | IN_FEED },
	[KEY_MONEY_FORMATS] = { "money_formats", IN_JOB | IN_FEED },
	[KEY_MAX_REJECTS] = { "max_rejects", IN_JOB | IN_FEED },
	[KEY_MAX_REJECT_PCT] = { "max_reject_pct", IN_JOB | IN_FEED },
	[KEY_KEEP_RUNS] = { "keep_runs", IN_JOB },
	[KEY_CARRY_FORWARD] = { "carry_forward", IN_JOB },
	[KEY_MATCHER] = { "matcher", IN_JOB },
	[KEY_MATCH_PCT] = { "match_probability", IN_JOB },
	[KEY_REVIEW_PCT] = { "review_probability", IN_JOB },
	[KEY_FILE] = { "file", IN_FEED },
	[KEY_SCHEMA] = { "schema", IN_FEED },
	[KEY_ENABLED] = { "enabled", IN_FEED },
};

static const char *const date_words[] = { "iso", "dmy", "dmy_dash" };
static const unsigned date_bits[] = { CONFIG_DATE_ISO, CONFIG_DATE_DMY,
	CONFIG_DATE_DMY_DASH };
static const char *const money_words[] = { "plain", "pound", "thousands" };
static const unsigned money_bits[] = { 0, CONFIG_MONEY_POUND,
	CONFIG_MONEY_THOUSANDS };

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

#define EXPECT_BOOL	"expected true, false, yes, no, 1 or 0"
#define EXPECT_COUNT	"expected a whole number from 0"
#define EXPECT_RUNS	"expected a whole number from 1 to 1000"
#define EXPECT_PCT	"expected a number from 0 to 100"
#define EXPECT_DATE	"expected a real date as YYYY-MM-DD"
#define EXPECT_DATES	"expected a list of iso, dmy or dmy_dash"
#define EXPECT_MONEY	"expected a list of plain, pound or thousands"
#define EXPECT_TEXT	"expected a non-empty value"
#define EXPECT_MATCHER	"expected deterministic or probabilistic"
#define EXPECT_PROB	"expected a probability in percent, from 0 to 100"
#define EXPECT_XML \
	"expected an XML path of letters, digits and _ - / @ [ ]"

enum config_section { SEC_NONE, SEC_JOB, SEC_FEED, SEC_COLUMNS };

/* Section slots for sec_line[]: [job], then [feed X], then [columns X]. */
#define SLOT_JOB		0
#define SLOT_FEED(id)		(1 + (id))
#define SLOT_COLUMNS(id)	(1 + FEED_COUNT + (id))
#define SLOT_COUNT		(1 + 2 * FEED_COUNT)

/* State shared by the line reader and the key handler during one load. */
struct config_parse {
	FILE	*fp;
	const char *path;		/* as given, for messages */
	struct config *cfg;
	struct err *e;
	int	 line;			/* lines handed to inih so far */
	bool	 failed;		/* e holds the first error: stop */
	bool	 read_error;		/* getc() failed; errno is set */
	bool	 after_key;		/* a key was read since the header */
	bool	 continuation;		/* this line continues the last value */
	enum config_section sec;	/* the section being read */
	struct config_feed *feed;	/* SEC_FEED, SEC_COLUMNS: the feed */
	char	 secname[64];		/* "feed rent", for messages */
	int	 sec_line[SLOT_COUNT];	/* header line per section, 0: none */
	int	 job_line[KEY_COUNT];	/* line of each [job] key, 0: absent */
	int	 feed_line[FEED_COUNT][KEY_COUNT];
	int	 col_line[FEED_COUNT][CONFIG_MAX_FIELDS];
	/* [job] values that every feed without its own value inherits. */
	unsigned date_formats;
	unsigned money_formats;
	int64_t	 max_rejects;
	double	 max_reject_pct;
};

static int config_vfail(struct config_parse *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));
static int config_fail(struct config_parse *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int config_fail_at(struct config_parse *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Record the first error as "PATH:LINE: message" (no line when line is
 * 0). Returns 0, which is also what tells inih that the handler failed.
 */
static int
config_vfail(struct config_parse *p, int line, const char *fmt, va_list ap)
{
	char msg[400];

	if (p->failed)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		err_set(p->e, ERR_CONFIG, "%s:%d: %s", p->path, line, msg);
	else
		err_set(p->e, ERR_CONFIG, "%s: %s", p->path, msg);
	p->failed = true;
	return 0;
}

static int
config_fail(struct config_parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_vfail(p, p->line, fmt, ap);
	va_end(ap);
	return 0;
}

static int
config_fail_at(struct config_parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_vfail(p, line, fmt, ap);
	va_end(ap);
	return 0;
}

/* A bad value: the message names key and section, the detail the value. */
static int
config_bad_value(struct config_parse *p, const char *key, const char *value,
    const char *expect)
{
	config_fail(p, "bad value for key '%s' in section '[%s]': %s", key,
	    p->secname, expect);
	err_detail(p->e, "value: '%.60s'", value);
	return 0;
}

static char *
config_join(const char *dir, const char *name)
{
	size_t dn = strlen(dir), nn = strlen(name);
	bool slash = dn > 0 && dir[dn - 1] == '/';
	char *s = xmalloc(dn + nn + 2);

	memcpy(s, dir, dn);
	if (!slash)
		s[dn++] = '/';
	memcpy(s + dn, name, nn + 1);
	return s;
}

/* Relative paths are taken from the configuration file's directory, so a
 * configuration means the same thing from any working directory. */
static char *
config_resolve(const struct config *cfg, const char *value)
{
	if (value[0] == '/')
		return xstrdup(value);
	return config_join(cfg->dir, value);
}

/*
 * Values. Each parser returns true and writes *out, or returns false and
 * leaves *out alone. Keys and words are lower case and case-sensitive.
 */

static bool
config_parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 ||
	    strcmp(s, "1") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 ||
	    strcmp(s, "0") == 0) {
		*out = false;
		return true;
	}
	return false;
}

/* Digits only: no sign, no spaces, no hex; overflow is out of range. */
static bool
config_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "12", "0.5" or "100.0": checked by hand so that strtod() never sees
 * "inf", "nan", hex or exponents. */
static bool
config_parse_pct(const char *s, double *out)
{
	const char *c = s;
	double v;

	if (!isdigit((unsigned char)*c))
		return false;
	while (isdigit((unsigned char)*c))
		c++;
	if (*c == '.') {
		c++;
		if (!isdigit((unsigned char)*c))
			return false;
		while (isdigit((unsigned char)*c))
			c++;
	}
	if (*c != '\0')
		return false;
	v = strtod(s, NULL);
	if (!(v >= 0.0 && v <= 100.0))
		return false;
	*out = v;
	return true;
}

/* A comma-separated list of at least one of 'words'; *out ORs their bits. */
static bool
config_parse_words(const char *s, const char *const *words,
    const unsigned *bits, size_t nwords, unsigned *out)
{
	unsigned set = 0;
	const char *end;
	size_t n, i;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		end = s + strcspn(s, ",");
		n = (size_t)(end - s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		for (i = 0; i < nwords; i++)
			if (strlen(words[i]) == n &&
			    strncmp(s, words[i], n) == 0)
				break;
		if (i == nwords)
			return false;
		set |= bits[i];
		if (*end == '\0')
			break;
		s = end + 1;
	}
	*out = set;
	return true;
}

static bool
config_parse_date(const char *s, int32_t *out)
{
	return fields_date(s, strlen(s), FIELD_DATE_ISO, out) == FIELD_OK;
}

/* Paths as xmlin reads them: "name/forename", "@id", "line[2]". */
static bool
config_is_xml_path(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("_-/@[]", *s) == NULL)
			return false;
	return true;
}

static int
config_key_find(const char *name, unsigned where)
{
	for (int k = 0; k < KEY_COUNT; k++)
		if ((config_keys[k].where & where) != 0 &&
		    strcmp(config_keys[k].name, name) == 0)
			return k;
	return -1;
}

/* Remember the line of a key; a second sighting is an error. */
static bool
config_first_time(struct config_parse *p, int *linep, const char *name)
{
	if (*linep != 0) {
		config_fail(p, "key '%s' given twice in section '[%s]'", name,
		    p->secname);
		err_detail(p->e, "first given on line %d", *linep);
		return false;
	}
	*linep = p->line;
	return true;
}

static int
config_text_value(struct config_parse *p, const char *key, const char *value,
    char **out)
{
	if (*value == '\0')
		return config_bad_value(p, key, value, EXPECT_TEXT);
	*out = xstrdup(value);
	return 1;
}

static int
config_path_value(struct config_parse *p, const char *key, const char *value,
    char **out)
{
	if (*value == '\0')
		return config_bad_value(p, key, value, EXPECT_TEXT);
	*out = config_resolve(p->cfg, value);
	return 1;
}

/* Keys that [job] and [feed NAME] share: formats and reject budgets. */
static int
config_shared_key(struct config_parse *p, int k, const char *value,
    unsigned *dates, unsigned *money, int64_t *count, double *pct)
{
	const char *key = config_keys[k].name;
	int64_t v;

	switch (k) {
	case KEY_DATE_FORMATS:
		if (!config_parse_words(value, date_words, date_bits,
		    NWORDS(date_words), dates))
			return config_bad_value(p, key, value, EXPECT_DATES);
		return 1;
	case KEY_MONEY_FORMATS:
		if (!config_parse_words(value, money_words, money_bits,
		    NWORDS(money_words), money))
			return config_bad_value(p, key, value, EXPECT_MONEY);
		return 1;
	case KEY_MAX_REJECTS:
		if (!config_parse_int(value, 0, INT64_MAX, &v))
			return config_bad_value(p, key, value, EXPECT_COUNT);
		*count = v;
		return 1;
	case KEY_MAX_REJECT_PCT:
		if (!config_parse_pct(value, pct))
			return config_bad_value(p, key, value, EXPECT_PCT);
		return 1;
	}
	return config_fail(p, "internal error: key '%s'", key);
}

static int
config_job_key(struct config_parse *p, const char *name, const char *value)
{
	struct config *cfg = p->cfg;
	int k = config_key_find(name, IN_JOB);
	int64_t v;

	if (k < 0)
		return config_fail(p, "unknown key '%s' in section '[%s]'",
		    name, p->secname);
	if (!config_first_time(p, &p->job_line[k], name))
		return 0;
	switch (k) {
	case KEY_INBOX:
		return config_path_value(p, name, value, &cfg->inbox);
	case KEY_KEY_FILE:
		return config_path_value(p, name, value, &cfg->key_file);
	case KEY_REJECTS_DIR:
		return config_path_value(p, name, value, &cfg->rejects_dir);
	case KEY_DATABASE:
		/* Empty: connect the libpq way, from PG* variables. */
		if (*value != '\0')
			cfg->database = xstrdup(value);
		return 1;
	case KEY_AS_OF:
		if (!config_parse_date(value, &cfg->as_of))
			return config_bad_value(p, name, value, EXPECT_DATE);
		cfg->as_of_set = true;
		return 1;
	case KEY_KEEP_RUNS:
		if (!config_parse_int(value, 1, 1000, &v))
			return config_bad_value(p, name, value, EXPECT_RUNS);
		cfg->keep_runs = (int)v;
		return 1;
	case KEY_CARRY_FORWARD:
		if (!config_parse_bool(value, &cfg->carry_forward))
			return config_bad_value(p, name, value, EXPECT_BOOL);
		return 1;
	case KEY_MATCHER:
		if (strcmp(value, "deterministic") == 0)
			cfg->probabilistic = false;
		else if (strcmp(value, "probabilistic") == 0)
			cfg->probabilistic = true;
		else
			return config_bad_value(p, name, value,
			    EXPECT_MATCHER);
		return 1;
	case KEY_MATCH_PCT:
		if (!config_parse_pct(value, &cfg->match_pct))
			return config_bad_value(p, name, value, EXPECT_PROB);
		return 1;
	case KEY_REVIEW_PCT:
		if (!config_parse_pct(value, &cfg->review_pct))
			return config_bad_value(p, name, value, EXPECT_PROB);
		return 1;
	}
	return config_shared_key(p, k, value, &p->date_formats,
	    &p->money_formats, &p->max_rejects, &p->max_reject_pct);
}

static int
config_feed_key(struct config_parse *p, const char *name, const char *value)
{
	struct config_feed *cf = p->feed;
	int k = config_key_find(name, IN_FEED);

	if (k == KEY_SCHEMA && cf->desc->layout != FEED_XML) {
		config_fail(p, "unknown key '%s' in section '[%s]'", name,
		    p->secname);
		err_hint(p->e, "only XML feeds have a schema");
		return 0;
	}
	if (k < 0)
		return config_fail(p, "unknown key '%s' in section '[%s]'",
		    name, p->secname);
	if (!config_first_time(p, &p->feed_line[cf->desc->id][k], name))
		return 0;
	switch (k) {
	case KEY_FILE:
		return config_text_value(p, name, value, &cf->file);
	case KEY_SCHEMA:
		return config_path_value(p, name, value, &cf->schema);
	case KEY_ENABLED:
		if (!config_parse_bool(value, &cf->enabled))
			return config_bad_value(p, name, value, EXPECT_BOOL);
		return 1;
	}
	return config_shared_key(p, k, value, &cf->date_formats,
	    &cf->money_formats, &cf->max_rejects, &cf->max_reject_pct);
}

/* Whether fields i and j of a feed would read the same data. CSV headers
 * are matched ignoring case by the reader, XML names are exact, and root
 * attributes (FEED_F_HEADER) never meet entity paths. */
static bool
config_same_source(const struct config_feed *cf, size_t i, size_t j)
{
	const struct feed_field *fi = &cf->desc->fields[i];
	const struct feed_field *fj = &cf->desc->fields[j];

	if (cf->desc->layout == FEED_CSV)
		return strcasecmp(config_source(cf, i), config_source(cf, j))
		    == 0;
	if ((fi->flags & FEED_F_HEADER) != (fj->flags & FEED_F_HEADER))
		return false;
	return strcmp(config_source(cf, i), config_source(cf, j)) == 0;
}

static int
config_column(struct config_parse *p, const char *name, const char *value)
{
	struct config_feed *cf = p->feed;
	const struct feed_desc *desc = cf->desc;
	int *lines = p->col_line[desc->id];
	int i = feed_field_index(desc, name);

	if (i < 0)
		return config_fail(p, "unknown field '%s' for feed '%s'", name,
		    desc->name);
	if (!config_first_time(p, &lines[i], name))
		return 0;
	if (*value == '\0')
		return config_bad_value(p, name, value, EXPECT_TEXT);
	if (desc->layout == FEED_XML && !config_is_xml_path(value))
		return config_bad_value(p, name, value, EXPECT_XML);
	cf->source[i] = xstrdup(value);
	/* Clashes between two explicit mappings are caught here, in file
	 * order; clashes with a default wait for config_finish(), since a
	 * later line may still move that field elsewhere. */
	for (size_t j = 0; j < desc->nfields; j++) {
		if (j == (size_t)i || lines[j] == 0 ||
		    !config_same_source(cf, j, (size_t)i))
			continue;
		config_fail(p, "fields '%s' and '%s' both read source '%s' "
		    "in section '[%s]'", desc->fields[j].name, name, value,
		    p->secname);
		err_detail(p->e, "'%s' is mapped on line %d",
		    desc->fields[j].name, lines[j]);
		return 0;
	}
	return 1;
}

/*
 * The inih handler. The section comes from config_scan_line(), not from
 * inih, which neither reports empty sections nor trims their names.
 */
static int
config_on_key(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_parse *p = user;

	(void)section;
	if (p->failed)
		return 0;
	if (value == NULL)
		value = "";
	if (p->continuation) {
		config_fail(p, "continuation lines are not supported");
		err_hint(p->e, "do not indent lines that follow a key");
		return 0;
	}
	p->after_key = true;
	switch (p->sec) {
	case SEC_JOB:
		return config_job_key(p, name, value);
	case SEC_FEED:
		return config_feed_key(p, name, value);
	case SEC_COLUMNS:
		return config_column(p, name, value);
	case SEC_NONE:
		break;
	}
	return config_fail(p, "key '%s' before the first section", name);
}

/* A section header: "[job]", "[feed NAME]" or "[columns NAME]". */
static void
config_section(struct config_parse *p, const char *s)
{
	char text[256], kind[16];
	const struct feed_desc *desc = NULL;
	const char *close = strchr(s, ']');
	const char *name;
	size_t n;
	int slot;

	if (close == NULL || (size_t)(close - s) >= sizeof(text)) {
		config_fail(p, "cannot parse line");
		return;
	}
	while (s < close && isspace((unsigned char)*s))
		s++;
	n = (size_t)(close - s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	memcpy(text, s, n);
	text[n] = '\0';

	n = strcspn(text, " \t");
	name = text + n + strspn(text + n, " \t");
	if (n >= sizeof(kind))
		n = 0;
	memcpy(kind, text, n);
	kind[n] = '\0';
	if (*name != '\0')
		desc = feed_by_name(name);
	if (strcmp(text, "job") == 0) {
		p->sec = SEC_JOB;
		slot = SLOT_JOB;
		snprintf(p->secname, sizeof(p->secname), "job");
	} else if (desc != NULL && strcmp(kind, "feed") == 0) {
		p->sec = SEC_FEED;
		slot = SLOT_FEED(desc->id);
		snprintf(p->secname, sizeof(p->secname), "feed %s",
		    desc->name);
	} else if (desc != NULL && strcmp(kind, "columns") == 0) {
		p->sec = SEC_COLUMNS;
		slot = SLOT_COLUMNS(desc->id);
		snprintf(p->secname, sizeof(p->secname), "columns %s",
		    desc->name);
	} else {
		config_fail(p, "unknown section '[%s]'", text);
		err_hint(p->e, "sections are [job], [feed NAME] and "
		    "[columns NAME], NAME one of council_tax, "
		    "housing_benefit, rent, adult_social_care, "
		    "breathing_space");
		return;
	}
	if (p->sec_line[slot] != 0) {
		config_fail(p, "section '[%s]' given twice", p->secname);
		err_detail(p->e, "first given on line %d", p->sec_line[slot]);
		return;
	}
	p->sec_line[slot] = p->line;
	p->feed = desc != NULL ? &p->cfg->feeds[desc->id] : NULL;
	if (p->sec == SEC_COLUMNS)
		p->feed->mapped = true;
	p->after_key = false;
}

/*
 * Look at a line before inih does, classifying it the way inih 55 will:
 * BOM, comment, continuation (an indented line after a key), section.
 */
static void
config_scan_line(struct config_parse *p, const char *line)
{
	const char *s = line;

	if (p->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	p->continuation = false;
	if (*s == '\0' || *s == ';' || *s == '#')
		return;
	if (s > line && p->after_key) {
		p->continuation = true;
		return;
	}
	if (*s == '[')
		config_section(p, s + 1);
}

/*
 * The inih reader: fgets() that counts lines, so that the handler knows
 * the line of its key (the packaged inih passes none). It refuses NUL
 * bytes and lines longer than inih's buffer, which inih would otherwise
 * split or cut silently, and returns NULL after the first error so that
 * parsing stops there.
 */
static char *
config_read_line(char *buf, int num, void *stream)
{
	struct config_parse *p = stream;
	size_t n = 0;
	int c;

	if (p->failed || p->read_error)
		return NULL;
	while ((c = getc(p->fp)) != EOF) {
		if (n + 1 >= (size_t)num) {
			p->line++;
			config_fail(p, "line longer than %d bytes", num - 2);
			return NULL;
		}
		if (c == '\0') {
			p->line++;
			config_fail(p, "NUL byte in line");
			return NULL;
		}
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (ferror(p->fp)) {
		p->read_error = true;
		return NULL;
	}
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	p->line++;
	config_scan_line(p, buf);
	return p->failed ? NULL : buf;
}

/* Two fields reading one column: explicit mappings against defaults. */
static int
config_check_sources(struct config_parse *p, const struct config_feed *cf)
{
	const struct feed_desc *desc = cf->desc;
	const int *lines = p->col_line[desc->id];

	size_t later, unmapped;

	for (size_t i = 0; i < desc->nfields; i++) {
		for (size_t j = i + 1; j < desc->nfields; j++) {
			if ((lines[i] == 0 && lines[j] == 0) ||
			    !config_same_source(cf, i, j))
				continue;
			later = lines[i] > lines[j] ? i : j;
			unmapped = lines[i] == 0 ? i : j;
			config_fail_at(p, lines[later], "fields '%s' and '%s' "
			    "both read source '%s' in section '[columns %s]'",
			    desc->fields[i].name, desc->fields[j].name,
			    config_source(cf, later), desc->name);
			err_hint(p->e, "map field '%s' to its own column",
			    desc->fields[unmapped].name);
			return ERR_CONFIG;
		}
	}
	return 0;
}

/* Required keys, then defaults for everything the file left out. */
static int
config_finish(struct config_parse *p)
{
	struct config *cfg = p->cfg;
	int line = p->sec_line[SLOT_JOB];
	time_t now;

	if (line == 0) {
		config_fail_at(p, 0, "missing required section '[job]'");
		return ERR_CONFIG;
	}
	if (cfg->inbox == NULL) {
		config_fail_at(p, line, "missing required key 'inbox' in "
		    "section '[job]'");
		return ERR_CONFIG;
	}
	if (cfg->key_file == NULL) {
		config_fail_at(p, line, "missing required key 'key_file' in "
		    "section '[job]'");
		return ERR_CONFIG;
	}
	if (cfg->review_pct > cfg->match_pct) {
		config_fail_at(p, p->job_line[KEY_REVIEW_PCT],
		    "review_probability (%g) is above match_probability (%g) "
		    "in section '[job]'", cfg->review_pct, cfg->match_pct);
		return ERR_CONFIG;
	}
	if (cfg->rejects_dir == NULL)
		cfg->rejects_dir = config_join(cfg->dir, "rejects");
	if (!cfg->as_of_set) {
		now = time(NULL);
		cfg->as_of = (int32_t)(now / 86400);
	}
	for (size_t i = 0; i < FEED_COUNT; i++) {
		struct config_feed *cf = &cfg->feeds[i];
		const int *set = p->feed_line[i];

		if (cf->file == NULL)
			cf->file = xstrdup(cf->desc->file);
		if (cf->desc->layout == FEED_XML && cf->schema == NULL)
			cf->schema = config_join(SVOD_SCHEMA_DIR,
			    cf->desc->xsd);
		if (set[KEY_DATE_FORMATS] == 0)
			cf->date_formats = p->date_formats;
		if (set[KEY_MONEY_FORMATS] == 0)
			cf->money_formats = p->money_formats;
		if (set[KEY_MAX_REJECTS] == 0)
			cf->max_rejects = p->max_rejects;
		if (set[KEY_MAX_REJECT_PCT] == 0)
			cf->max_reject_pct = p->max_reject_pct;
		/*
		 * No count budget anywhere: 0 (the first reject fails the
		 * feed), unless a percentage budget is set, which then
		 * stands alone.
		 */
		if (cf->max_rejects == CONFIG_REJECTS_UNSET)
			cf->max_rejects = cf->max_reject_pct >= 0 ? -1 : 0;
		if (cf->mapped && config_check_sources(p, cf) != 0)
			return ERR_CONFIG;
	}
	return 0;
}

/* The directory of 'path', made absolute. */
static char *
config_dir_of(const char *path)
{
	char buf[PATH_MAX];
	const char *slash = strrchr(path, '/');
	char *dir;
	char *abs;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	abs = realpath(dir, buf) != NULL ? xstrdup(buf) : NULL;
	free(dir);
	return abs;
}

static struct config *
config_new(const char *path)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->path = xstrdup(path);
	cfg->keep_runs = 7;
	cfg->probabilistic = true;
	cfg->match_pct = 99.0;
	cfg->review_pct = 50.0;
	for (size_t i = 0; i < FEED_COUNT; i++) {
		struct config_feed *cf = &cfg->feeds[i];

		cf->desc = feed_get((enum feed_id)i);
		assert(cf->desc->nfields <= CONFIG_MAX_FIELDS);
		cf->enabled = true;
		cf->source = xcalloc(cf->desc->nfields, sizeof(char *));
	}
	return cfg;
}

int
config_load(const char *path, struct config **out, struct err *e)
{
	struct config_parse *p = NULL;
	struct config *cfg = NULL;
	FILE *fp = NULL;
	int rc;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		rc = err_set(e, errno == ENOENT ? ERR_NOINPUT : ERR_IO,
		    "cannot open configuration file '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	cfg = config_new(path);
	if ((cfg->dir = config_dir_of(path)) == NULL) {
		rc = err_set(e, ERR_IO, "cannot resolve the directory of "
		    "'%s': %s", path, strerror(errno));
		goto out;
	}
	p = xcalloc(1, sizeof(*p));
	p->fp = fp;
	p->path = path;
	p->cfg = cfg;
	p->e = e;
	p->date_formats = CONFIG_DATE_ISO;
	p->money_formats = 0;
	p->max_rejects = CONFIG_REJECTS_UNSET;
	p->max_reject_pct = -1.0;
	rc = ini_parse_stream(config_read_line, p, config_on_key, p);
	if (p->read_error) {
		rc = err_set(e, ERR_IO, "cannot read configuration file "
		    "'%s': %s", path, strerror(errno));
		goto out;
	}
	/* inih reports the first line it failed on, ours or a syntax error
	 * such as a line with no '='; ours has the better message. */
	if (rc > 0 && !(p->failed && rc >= p->line)) {
		p->failed = false;
		config_fail_at(p, rc, "cannot parse line");
	}
	if (rc < 0 && !p->failed)
		config_fail_at(p, 0, "cannot parse file");
	if (p->failed) {
		rc = ERR_CONFIG;
		goto out;
	}
	if ((rc = config_finish(p)) != 0)
		goto out;
	*out = cfg;
	cfg = NULL;
out:
	free(p);
	config_free(cfg);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < FEED_COUNT; i++) {
		struct config_feed *cf = &cfg->feeds[i];

		if (cf->source != NULL)
			for (size_t j = 0; j < cf->desc->nfields; j++)
				free(cf->source[j]);
		free(cf->source);
		free(cf->file);
		free(cf->schema);
	}
	free(cfg->path);
	free(cfg->dir);
	free(cfg->inbox);
	free(cfg->key_file);
	free(cfg->database);
	free(cfg->rejects_dir);
	free(cfg);
}

int
config_set_as_of(struct config *cfg, const char *date, struct err *e)
{
	int32_t days;

	if (!config_parse_date(date, &days))
		return err_set(e, ERR_USAGE, "bad as-of date '%.40s': %s", date,
		    EXPECT_DATE);
	cfg->as_of = days;
	cfg->as_of_set = true;
	return 0;
}

const char *
config_source(const struct config_feed *cf, size_t i)
{
	const struct feed_field *f = &cf->desc->fields[i];

	if (cf->source != NULL && cf->source[i] != NULL)
		return cf->source[i];
	if (cf->desc->layout == FEED_XML && f->xml_path != NULL)
		return f->xml_path;
	return f->name;
}

static int
config_crypto_fail(struct err *e, const char *what)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	err_set(e, ERR_CRYPTO, "cannot %s", what);
	return err_detail(e, "%s", buf);
}

int
config_digest(const struct config *cfg, char out[65], struct err *e)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[8192];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	FILE *fp = NULL;
	size_t n;
	int rc;

	out[0] = '\0';
	if ((fp = fopen(cfg->path, "rb")) == NULL) {
		rc = err_set(e, ERR_IO, "cannot open configuration file "
		    "'%s': %s", cfg->path, strerror(errno));
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = config_crypto_fail(e, "start a SHA-256 digest");
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (EVP_DigestUpdate(ctx, buf, n) != 1) {
			rc = config_crypto_fail(e, "update a SHA-256 digest");
			goto out;
		}
	}
	if (ferror(fp)) {
		rc = err_set(e, ERR_IO, "cannot read configuration file "
		    "'%s': %s", cfg->path, strerror(errno));
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		rc = config_crypto_fail(e, "finish a SHA-256 digest");
		goto out;
	}
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	if (fp != NULL)
		fclose(fp);
	return rc;
}
