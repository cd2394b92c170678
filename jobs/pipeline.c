#include "jobs/pipeline.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <xxhash.h>

#include "etl/fields.h"
#include "etl/keyfile.h"
#include "etl/log.h"
#include "etl/xalloc.h"
#include "matchers/normalize.h"

static double
pipeline_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
pipeline_init(struct pipeline *pl, const struct config *cfg, bool tokens,
    struct err *e)
{
	unsigned char key[32];
	int rc;

	memset(pl, 0, sizeof(*pl));
	pl->cfg = cfg;
	rejects_init(&pl->rejects, cfg->rejects_dir);
	for (size_t i = 0; i < FEED_COUNT; i++)
		pl->feeds[i].cf = &cfg->feeds[i];
	/* Every job refuses an unsafe key file, even one that hashes
	 * nothing: a readable key is a finding the operator must hear of. */
	if ((rc = keyfile_load(cfg->key_file, key, e)) != 0)
		return rc;
	keyfile_fingerprint(key, pl->key_fingerprint);
	if (tokens)
		pl->ps = pseudonym_new(key, e);
	OPENSSL_cleanse(key, sizeof(key));
	return !tokens || pl->ps ? 0 : ERR_CRYPTO;
}

void
pipeline_release(struct pipeline *pl)
{
	rejects_release(&pl->rejects, NULL);
	for (size_t i = 0; i < FEED_COUNT; i++) {
		struct extract_stats *st = &pl->feeds[i].st;

		for (size_t k = 0; k < st->nlocs; k++) {
			free((char *)st->locs[k].message);
			free((char *)st->locs[k].field);
			free((char *)st->locs[k].file);
		}
		free(st->locs);
		st->locs = NULL;
		for (unsigned k = 0; k < pl->feeds[i].nfiles; k++)
			free(pl->feeds[i].files[k]);
		free(pl->feeds[i].files);
		pl->feeds[i].files = NULL;
	}
	pseudonym_free(pl->ps);
	pl->ps = NULL;
}

/* The fields that hold a debt's reference, in any feed. */
#define REF_FIELDS	5
static const char *const ref_fields[REF_FIELDS] = { "account_ref",
	"claim_ref", "overpayment_ref", "tenancy_ref", "invoice_ref" };

/* Indexes of the identity fields of each feed, -1 where it has none. */
struct ident_fields {
	int	 title, forename, middle, surname, dob, uprn, postcode, nino,
		 nhs;
	int	 address[4];		/* address_1 .. address_4 */
	int	 refs[REF_FIELDS];	/* the debt references it holds */
	int	 creditor;		/* creditor_ref of a notice's debts */
};

static const struct ident_fields *
ident_fields(const struct feed_desc *fd)
{
	static struct ident_fields tab[FEED_COUNT];
	static bool done[FEED_COUNT];
	struct ident_fields *f = &tab[fd->id];

	/* Looked up once per feed: the record loop must not strcmp. */
	if (!done[fd->id]) {
		f->title = feed_field_index(fd, "title");
		f->forename = feed_field_index(fd, "forename");
		f->middle = feed_field_index(fd, "middle_names");
		f->surname = feed_field_index(fd, "surname");
		f->dob = feed_field_index(fd, "date_of_birth");
		f->uprn = feed_field_index(fd, "uprn");
		f->postcode = feed_field_index(fd, "postcode");
		f->nino = feed_field_index(fd, "nino");
		f->nhs = feed_field_index(fd, "nhs_number");
		for (int i = 0; i < 4; i++) {
			char name[16];

			snprintf(name, sizeof(name), "address_%d", i + 1);
			f->address[i] = feed_field_index(fd, name);
		}
		for (int i = 0; i < REF_FIELDS; i++)
			f->refs[i] = feed_field_index(fd, ref_fields[i]);
		f->creditor = feed_field_index(fd, "creditor_ref");
		done[fd->id] = true;
	}
	return f;
}

static const struct value *
value_at(const struct record *rec, int i)
{
	return i < 0 || !rec->v[i].present ? NULL : &rec->v[i];
}

static const char *
str_at(const struct record *rec, int i)
{
	const struct value *v = value_at(rec, i);

	return v ? v->s : NULL;
}

/* Decimal digits of u into buf (>= 21 bytes), NUL-terminated. */
static void
u64_str(uint64_t u, char *buf)
{
	char tmp[24];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

bool
pipeline_name_dob(const struct record *rec, struct name_norm *nm,
    struct dob_parts *dp)
{
	const struct ident_fields *f = ident_fields(rec->desc);
	const struct value *dob = value_at(rec, f->dob);

	normalize_name(str_at(rec, f->title), str_at(rec, f->forename),
	    str_at(rec, f->middle), str_at(rec, f->surname), nm);
	return dob != NULL && normalize_dob_parts((int32_t)dob->i, dp) == 0;
}

size_t
pipeline_premises(const struct record *rec, char *out, size_t cap)
{
	const struct ident_fields *f = ident_fields(rec->desc);
	const char *lines[4];

	for (int i = 0; i < 4; i++)
		lines[i] = str_at(rec, f->address[i]);
	return normalize_premises(lines, 4, out, cap);
}

size_t
pipeline_debt_refs(const struct record *rec, uint64_t *out, size_t max,
    bool *named)
{
	const struct ident_fields *f = ident_fields(rec->desc);
	const struct feed_desc *fd = rec->desc;
	size_t n = 0;
	int fi;

	*named = fd->item != NULL && !fd->item_is_record;
	if (*named) {
		/* A notice: the creditor references of its debts. */
		if ((fi = f->creditor) < 0)
			return 0;
		for (size_t i = 0; i < rec->nitems && n < max; i++) {
			const struct value *v = &rec->items[i].v[fi];

			if (v->present && v->n > 0)
				out[n++] = XXH3_64bits(v->s, v->n) | 1;
		}
		return n;
	}
	for (size_t k = 0; k < REF_FIELDS && n < max; k++) {
		const struct value *v;

		if ((fi = f->refs[k]) < 0)
			continue;
		v = &rec->v[fi];
		if (v->present && v->n > 0)
			out[n++] = XXH3_64bits(v->s, v->n) | 1;
	}
	return n;
}

uint64_t
pipeline_account(const struct record *rec)
{
	const char *colon;

	/* One field in the key: no two records share an account. */
	if (rec->desc->key[0] == NULL || rec->desc->key[1] == NULL ||
	    (colon = strrchr(rec->key, ':')) == NULL)
		return 0;
	return XXH3_64bits_withSeed(rec->key, (size_t)(colon - rec->key),
	    (uint64_t)rec->desc->id + 1) | 1;
}

#define TOK(p) ((id)->tok[PSEUDONYM_##p])
#define HAVE(p) ((id)->have |= 1u << PSEUDONYM_##p)

static int
pipeline_tok(struct pseudonym *ps, struct identity *id,
    enum pseudonym_purpose p, const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	id->have |= 1u << p;
	return pseudonym_token(ps, p, s, strlen(s), id->tok[p]);
}

int
pipeline_tokens(struct pseudonym *ps, const struct record *rec,
    struct identity *id, struct err *e)
{
	const struct ident_fields *f = ident_fields(rec->desc);
	const struct value *dob = value_at(rec, f->dob);
	const struct value *uprn = value_at(rec, f->uprn);
	const char *pc = str_at(rec, f->postcode);
	struct name_norm nm;
	struct postcode_parts pp;
	struct dob_parts dp;
	char buf[32], uprnbuf[24];
	int rc = 0;

	id->have = 0;
	normalize_name(str_at(rec, f->title), str_at(rec, f->forename),
	    str_at(rec, f->middle), str_at(rec, f->surname), &nm);
	if ((pc && normalize_postcode_parts(pc, &pp) != 0))
		pc = NULL;
	if (dob && normalize_dob_parts((int32_t)dob->i, &dp) != 0)
		dob = NULL;
	if (uprn)
		u64_str((uint64_t)uprn->i, uprnbuf);

	if (str_at(rec, f->nino) &&
	    normalize_nino_stem(str_at(rec, f->nino), buf) == 0)
		rc |= pipeline_tok(ps, id, PSEUDONYM_NINO_STEM, buf);
	rc |= pipeline_tok(ps, id, PSEUDONYM_NHS_NUMBER, str_at(rec, f->nhs));
	if (uprn)
		rc |= pipeline_tok(ps, id, PSEUDONYM_UPRN, uprnbuf);
	if (dob) {
		rc |= pipeline_tok(ps, id, PSEUDONYM_DOB, dp.iso);
		/* The parts as "DD", "MM" and "YYYY", cut from the ISO form. */
		rc |= pseudonym_token(ps, PSEUDONYM_DOB_DAY, dp.iso + 8, 2,
		    TOK(DOB_DAY));
		rc |= pseudonym_token(ps, PSEUDONYM_DOB_MONTH, dp.iso + 5, 2,
		    TOK(DOB_MONTH));
		rc |= pseudonym_token(ps, PSEUDONYM_DOB_YEAR, dp.iso, 4,
		    TOK(DOB_YEAR));
		HAVE(DOB_DAY);
		HAVE(DOB_MONTH);
		HAVE(DOB_YEAR);
		/* Tokenised in the DOB purpose's space, so that one
		 * record's swapped token meets another's DOB token. */
		if (dp.swapped[0]) {
			rc |= pseudonym_token(ps, PSEUDONYM_DOB, dp.swapped,
			    strlen(dp.swapped), TOK(DOB_SWAPPED));
			HAVE(DOB_SWAPPED);
		}
	}
	if (pc) {
		rc |= pipeline_tok(ps, id, PSEUDONYM_POSTCODE, pc);
		rc |= pipeline_tok(ps, id, PSEUDONYM_POSTCODE_SECTOR, pp.sector);
		rc |= pipeline_tok(ps, id, PSEUDONYM_POSTCODE_DISTRICT,
		    pp.district);
	}
	rc |= pipeline_tok(ps, id, PSEUDONYM_SURNAME, nm.surname_nospace);
	rc |= pipeline_tok(ps, id, PSEUDONYM_FORENAME, nm.forename);
	rc |= pipeline_tok(ps, id, PSEUDONYM_FORENAME_INITIAL,
	    nm.forename_initial);
	if (dob && nm.forename[0] && nm.surname_nospace[0] &&
	    !nm.forename_is_initial) {
		struct pseudonym_part parts[3] = {
			{ nm.forename, strlen(nm.forename) },
			{ nm.surname_nospace, strlen(nm.surname_nospace) },
			{ dp.iso, 10 } };

		rc |= pseudonym_token_parts(ps, PSEUDONYM_NAME_DOB, parts, 3,
		    TOK(NAME_DOB));
		HAVE(NAME_DOB);
	}
	if (dob && pc && nm.forename_initial[0] && nm.surname_nospace[0]) {
		struct pseudonym_part parts[4] = {
			{ nm.surname_nospace, strlen(nm.surname_nospace) },
			{ nm.forename_initial, strlen(nm.forename_initial) },
			{ dp.iso, 10 }, { pc, strlen(pc) } };

		rc |= pseudonym_token_parts(ps,
		    PSEUDONYM_SURNAME_INITIAL_DOB_POSTCODE, parts, 4,
		    TOK(SURNAME_INITIAL_DOB_POSTCODE));
		HAVE(SURNAME_INITIAL_DOB_POSTCODE);
	}
	if (dob && uprn && nm.surname_nospace[0]) {
		struct pseudonym_part parts[3] = {
			{ uprnbuf, strlen(uprnbuf) },
			{ nm.surname_nospace, strlen(nm.surname_nospace) },
			{ dp.iso, 10 } };

		rc |= pseudonym_token_parts(ps, PSEUDONYM_UPRN_SURNAME_DOB,
		    parts, 3, TOK(UPRN_SURNAME_DOB));
		HAVE(UPRN_SURNAME_DOB);
	}
	if (rc != 0)
		return pseudonym_last_error(ps, e);
	return 0;
}

static void
pipeline_sum(struct extract_stats *to, const struct extract_stats *from)
{
	to->read += from->read;
	to->accepted += from->accepted;
	to->rejected += from->rejected;
	to->warned += from->warned;
	to->warnings += from->warnings;
	to->bytes += from->bytes;
	for (size_t i = 0; i < from->nreject_kinds; i++) {
		size_t k;

		for (k = 0; k < to->nreject_kinds; k++)
			if (!strcmp(to->rejects[k].field,
			    from->rejects[i].field) &&
			    !strcmp(to->rejects[k].reason,
			    from->rejects[i].reason))
				break;
		if (k == to->nreject_kinds) {
			if (k == EXTRACT_MAX_COUNTS)
				continue;
			to->rejects[k] = from->rejects[i];
			to->rejects[k].n = 0;
			to->nreject_kinds++;
		}
		to->rejects[k].n += from->rejects[i].n;
	}
	for (size_t i = 0; i < from->nwarn_kinds; i++) {
		size_t k;

		for (k = 0; k < to->nwarn_kinds; k++)
			if (!strcmp(to->warns[k].field, from->warns[i].field)
			    && !strcmp(to->warns[k].reason,
			    from->warns[i].reason))
				break;
		if (k == to->nwarn_kinds) {
			if (k == EXTRACT_MAX_COUNTS)
				continue;
			to->warns[k] = from->warns[i];
			to->warns[k].n = 0;
			to->nwarn_kinds++;
		}
		to->warns[k].n += from->warns[i].n;
	}
}

/* Read one file of a feed; the feed's tallies absorb the file's. */
static int
pipeline_file(struct pipeline *pl, struct pipeline_feed *pf,
    const char *path, struct err *e)
{
	struct extract *x = NULL;
	struct record *rec;
	struct identity id;
	int rc;

	if ((rc = extract_open(pl->cfg, pf->cf, path, &pl->rejects, &x, e)))
		return rc;
	while ((rc = extract_next(x, &rec, e)) > 0) {
		if (pl->ps != NULL) {
			if ((rc = pipeline_tokens(pl->ps, rec, &id, e)) != 0)
				break;
			if (id.have)
				pf->identities++;
		}
		if (pl->fn != NULL &&
		    (rc = pl->fn(pl->arg, rec, pl->ps ? &id : NULL, e)) != 0)
			break;
	}
	if (rc == 0)
		rc = extract_finish(x, e);
	pipeline_sum(&pf->st, extract_stats(x));
	/* Keep every file's reject locations, up to EXTRACT_MAX_LOCS. */
	{
		const struct extract_stats *xs = extract_stats(x);
		size_t room = EXTRACT_MAX_LOCS - pf->st.nlocs;
		size_t take = xs->nlocs < room ? xs->nlocs : room;

		if (take > 0)
			pf->st.locs = xreallocarray(pf->st.locs,
			    pf->st.nlocs + take, sizeof(*pf->st.locs));
		for (size_t i = 0; i < take; i++) {
			struct reject *r = &pf->st.locs[pf->st.nlocs++];

			*r = xs->locs[i];
			r->message = xstrdup(xs->locs[i].message);
			r->field = xs->locs[i].field
			    ? xstrdup(xs->locs[i].field) : NULL;
			r->file = xstrdup(xs->locs[i].file);
		}
	}
	extract_close(x);
	return rc;
}

static int
pipeline_feed(struct pipeline *pl, struct pipeline_feed *pf, struct err *e)
{
	const struct config_feed *cf = pf->cf;
	char *pattern;
	glob_t g;
	size_t len;
	int rc = 0, grc;

	len = strlen(pl->cfg->inbox) + strlen(cf->file) + 2;
	pattern = xmalloc(len);
	if (cf->file[0] == '/')
		snprintf(pattern, len, "%s", cf->file);
	else
		snprintf(pattern, len, "%s/%s", pl->cfg->inbox, cf->file);
	grc = glob(pattern, GLOB_ERR, NULL, &g);
	if (grc == GLOB_NOMATCH) {
		rc = err_set(e, ERR_NOINPUT, "no input for feed '%s': '%s' "
		    "matches no file", cf->desc->name, pattern);
		goto out;
	} else if (grc != 0) {
		rc = err_set(e, ERR_IO, "cannot list '%s': %s", pattern,
		    strerror(errno));
		goto out;
	}
	pf->ran = true;
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
		pf->files = xreallocarray(pf->files, pf->nfiles + 1,
		    sizeof(*pf->files));
		pf->files[pf->nfiles++] = xstrdup(g.gl_pathv[i]);
		log_debug("%s: reading %s", cf->desc->name, g.gl_pathv[i]);
		rc = pipeline_file(pl, pf, g.gl_pathv[i], e);
	}
	globfree(&g);
out:
	free(pattern);
	return rc;
}

int
pipeline_run(struct pipeline *pl, struct err *e)
{
	int first = 0;

	for (size_t i = 0; i < FEED_COUNT; i++) {
		struct pipeline_feed *pf = &pl->feeds[i];
		struct err fe;
		double t0;

		if (!pf->cf->enabled)
			continue;
		err_clear(&fe);
		t0 = pipeline_now();
		pf->status = pipeline_feed(pl, pf, &fe);
		pf->seconds = pipeline_now() - t0;
		if (pf->status != 0) {
			snprintf(pf->error, sizeof(pf->error), "%s", fe.msg);
			log_error("%s: %s", pf->cf->desc->name, fe.msg);
			if (first == 0) {
				first = pf->status;
				*e = fe;
			}
		}
	}
	return first;
}

/* Reject locations printed per feed; the restricted file has them all. */
#define PIPELINE_PRINT_LOCS 50

void
pipeline_print(const struct pipeline *pl, FILE *fp, bool tokens)
{
	uint64_t tr = 0, ta = 0, tj = 0, tw = 0, tb = 0;
	double ts = 0;
	bool any;

	fprintf(fp, "%-18s %5s %10s %10s %9s %9s %8s %9s\n", "feed", "files",
	    "read", "accepted", "rejected", "warned", "MB/s", "seconds");
	for (size_t i = 0; i < FEED_COUNT; i++) {
		const struct pipeline_feed *pf = &pl->feeds[i];
		const struct extract_stats *st = &pf->st;

		if (!pf->cf->enabled)
			continue;
		fprintf(fp, "%-18s %5u %10llu %10llu %9llu %9llu %8.1f %9.3f%s\n",
		    pf->cf->desc->name, pf->nfiles,
		    (unsigned long long)st->read,
		    (unsigned long long)st->accepted,
		    (unsigned long long)st->rejected,
		    (unsigned long long)st->warned,
		    pf->seconds > 0 ? (double)st->bytes / 1e6 / pf->seconds
				    : 0.0,
		    pf->seconds, pf->status ? "  FAILED" : "");
		tr += st->read, ta += st->accepted, tj += st->rejected;
		tw += st->warned, tb += st->bytes, ts += pf->seconds;
	}
	fprintf(fp, "%-18s %5s %10llu %10llu %9llu %9llu %8.1f %9.3f\n",
	    "total", "", (unsigned long long)tr, (unsigned long long)ta,
	    (unsigned long long)tj, (unsigned long long)tw,
	    ts > 0 ? (double)tb / 1e6 / ts : 0.0, ts);
	if (tokens && ts > 0)
		fprintf(fp, "records/s (extract, validate, normalise, "
		    "pseudonymise): %.0f\n", (double)tr / ts);

	for (int kind = 0; kind < 2; kind++) {
		any = false;
		for (size_t i = 0; i < FEED_COUNT; i++) {
			const struct extract_stats *st = &pl->feeds[i].st;
			size_t n = kind ? st->nwarn_kinds : st->nreject_kinds;
			const struct extract_count *c = kind ? st->warns
							     : st->rejects;

			for (size_t k = 0; k < n; k++) {
				if (!any)
					fprintf(fp, "\n%s by reason:\n",
					    kind ? "warnings" : "rejects");
				any = true;
				fprintf(fp, "  %-18s %-22s %-16s %8llu  "
				    "(first at line %lu)\n",
				    pl->feeds[i].cf->desc->name,
				    c[k].field[0] ? c[k].field : "(row)",
				    c[k].reason, (unsigned long long)c[k].n,
				    c[k].first_line);
			}
		}
	}
	any = false;
	for (size_t i = 0; i < FEED_COUNT; i++) {
		const struct pipeline_feed *pf = &pl->feeds[i];

		if (pf->error[0]) {
			if (!any)
				fprintf(fp, "\nfailed feeds:\n");
			any = true;
			fprintf(fp, "  %-18s %s\n", pf->cf->desc->name,
			    pf->error);
		}
	}
	any = false;
	for (size_t i = 0; i < FEED_COUNT; i++) {
		const struct extract_stats *st = &pl->feeds[i].st;

		for (size_t k = 0; k < st->nlocs && k < PIPELINE_PRINT_LOCS;
		    k++) {
			const struct reject *r = &st->locs[k];

			if (!any)
				fprintf(fp, "\nreject locations:\n");
			any = true;
			if (r->column)
				fprintf(fp, "  %s:%lu:%u", r->file, r->line,
				    r->column);
			else
				fprintf(fp, "  %s:%lu", r->file, r->line);
			fprintf(fp, ": %s: %s%s%s\n", r->reason, r->message,
			    r->field ? ", source " : "",
			    r->field ? r->field : "");
		}
		if (st->rejected > PIPELINE_PRINT_LOCS && st->nlocs > 0)
			fprintf(fp, "  ... and %llu more in %s\n",
			    (unsigned long long)(st->rejected -
				PIPELINE_PRINT_LOCS),
			    pl->feeds[i].cf->desc->name);
	}
	if (any && pl->rejects.dir)
		fprintf(fp, "\nraw rejected records (restricted, mode 0600): "
		    "%s/<feed>.rejects.csv\n", pl->rejects.dir);
}
