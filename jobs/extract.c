/*
 * svod extract --config FILE --out DIR: the first half of the nightly job
 * on its own. Every enabled feed is extracted, validated, normalised and
 * pseudonymised, and written to DIR in PostgreSQL's COPY text format:
 *   <feed>.tsv          source key, line, debt fields, then one keyed
 *                       token per purpose (hex, \N when absent); no raw
 *                       identifier, name or date of birth;
 *   <feed>.contact.tsv  source key and the display fields advisers need
 *                       (names, address): personal data, mode 0600;
 *   breathing_space_debt.tsv  notification ref, line, creditor ref,
 *                       type, amount (pence), one row per <debt>.
 * Files are written under temporary names and renamed at the end, so a
 * failed run leaves no half-written output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/fields.h"
#include "etl/xalloc.h"
#include "jobs/jobs.h"
#include "jobs/pipeline.h"

static const char extract_usage[] =
    "usage: svod extract --config FILE --out DIR [--as-of YYYY-MM-DD]\n"
    "Extract, validate, normalise and pseudonymise every enabled feed and\n"
    "write COPY-format files to DIR (see the README). Prints the summary.\n";

enum { OUT_MAIN, OUT_CONTACT, OUT_ITEMS, OUT_KINDS };

struct extract_out {
	const char *dir;
	FILE	*fp[FEED_COUNT][OUT_KINDS];
	char	*tmp[FEED_COUNT][OUT_KINDS];
	char	*final[FEED_COUNT][OUT_KINDS];
};

/* Write s as one COPY text value: runs of plain bytes go out whole. */
static void
out_text(FILE *fp, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc;

		switch (s[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			continue;
		}
		fwrite(s + start, 1, i - start, fp);
		fputs(esc, fp);
		start = i + 1;
	}
	fwrite(s + start, 1, n - start, fp);
}

static void
out_value(FILE *fp, const struct feed_field *ff, const struct value *v)
{
	char date[11];

	if (!v->present) {
		fputs("\\N", fp);
		return;
	}
	switch (ff->type) {
	case FEED_T_DATE:
	case FEED_T_DOB:
		fields_date_format((int32_t)v->i, date);
		fputs(date, fp);
		break;
	case FEED_T_MONEY:
	case FEED_T_INT:
	case FEED_T_UPRN:
	case FEED_T_FY:
		fprintf(fp, "%lld", (long long)v->i);
		break;
	case FEED_T_BOOL:
		fputs(v->i ? "t" : "f", fp);
		break;
	default:
		out_text(fp, v->s, v->n);
	}
}

static FILE *
out_file(struct extract_out *o, enum feed_id f, int kind, struct err *e)
{
	static const char *const suffix[] = { ".tsv", ".contact.tsv",
		"_debt.tsv" };
	const char *name = feed_get(f)->name;
	size_t len = strlen(o->dir) + strlen(name) + 32;
	int fd;

	if (o->fp[f][kind] != NULL)
		return o->fp[f][kind];
	o->final[f][kind] = xmalloc(len);
	o->tmp[f][kind] = xmalloc(len + 8);
	snprintf(o->final[f][kind], len, "%s/%s%s", o->dir, name,
	    suffix[kind]);
	snprintf(o->tmp[f][kind], len + 8, "%s.tmp", o->final[f][kind]);
	fd = open(o->tmp[f][kind], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    kind == OUT_CONTACT ? 0600 : 0644);
	if (fd < 0) {
		err_set(e, ERR_IO, "cannot create '%s': %s", o->tmp[f][kind],
		    strerror(errno));
		return NULL;
	}
	if (kind == OUT_CONTACT)
		fchmod(fd, 0600);
	o->fp[f][kind] = fdopen(fd, "w");
	setvbuf(o->fp[f][kind], NULL, _IOFBF, 1 << 20);
	return o->fp[f][kind];
}

static int
extract_record(void *arg, const struct record *rec, const struct identity *id,
    struct err *e)
{
	struct extract_out *o = arg;
	const struct feed_desc *fd = rec->desc;
	FILE *fp, *cp;
	char hex[PSEUDONYM_HEX_LEN + 2];

	if ((fp = out_file(o, fd->id, OUT_MAIN, e)) == NULL ||
	    (cp = out_file(o, fd->id, OUT_CONTACT, e)) == NULL)
		return ERR_IO;
	out_text(fp, rec->key, strlen(rec->key));
	fprintf(fp, "\t%lu", rec->line);
	out_text(cp, rec->key, strlen(rec->key));
	for (size_t i = 0; i < fd->nfields; i++) {
		const struct feed_field *ff = &fd->fields[i];

		if (ff->flags & FEED_F_ITEM && !fd->item_is_record)
			continue;
		if (ff->flags & FEED_F_DISPLAY) {
			fputc('\t', cp);
			out_value(cp, ff, &rec->v[i]);
		} else if (!(ff->flags & FEED_F_IDENTITY)) {
			fputc('\t', fp);
			out_value(fp, ff, &rec->v[i]);
		}
	}
	for (size_t p = 0; p < PSEUDONYM_PURPOSE_COUNT; p++) {
		if (id->have & (1u << p)) {
			hex[0] = '\t';
			pseudonym_hex(id->tok[p], hex + 1);
			fwrite(hex, 1, PSEUDONYM_HEX_LEN + 1, fp);
		} else {
			fputs("\t\\N", fp);
		}
	}
	fputc('\n', fp);
	fputc('\n', cp);
	for (size_t k = 0; k < rec->nitems; k++) {
		FILE *ip = out_file(o, fd->id, OUT_ITEMS, e);

		if (ip == NULL)
			return ERR_IO;
		out_text(ip, rec->key, strlen(rec->key));
		fprintf(ip, "\t%lu", rec->items[k].line);
		for (size_t i = 0; i < fd->nfields; i++) {
			if (!(fd->fields[i].flags & FEED_F_ITEM))
				continue;
			fputc('\t', ip);
			out_value(ip, &fd->fields[i], &rec->items[k].v[i]);
		}
		fputc('\n', ip);
	}
	return 0;
}

/* Close every file; on success rename them into place, else remove. */
static int
out_finish(struct extract_out *o, bool ok, struct err *e)
{
	int rc = 0;

	for (size_t f = 0; f < FEED_COUNT; f++) {
		for (int k = 0; k < OUT_KINDS; k++) {
			if (o->fp[f][k] == NULL)
				continue;
			if ((fflush(o->fp[f][k]) != 0 ||
			    fsync(fileno(o->fp[f][k])) != 0) && rc == 0)
				rc = err_set(e, ERR_IO, "cannot write '%s': %s",
				    o->tmp[f][k], strerror(errno));
			fclose(o->fp[f][k]);
			if (ok && rc == 0 &&
			    rename(o->tmp[f][k], o->final[f][k]) != 0)
				rc = err_set(e, ERR_IO, "cannot rename '%s': %s",
				    o->tmp[f][k], strerror(errno));
			if (!ok || rc != 0)
				unlink(o->tmp[f][k]);
			free(o->tmp[f][k]);
			free(o->final[f][k]);
		}
	}
	return rc;
}

int
cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL, *as_of = NULL;
	struct extract_out out;
	struct config *cfg = NULL;
	struct pipeline pl;
	bool pl_live = false;
	struct err e;
	int c, rc, frc;

	err_clear(&e);
	memset(&out, 0, sizeof(out));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'o':
			out.dir = optarg;
			break;
		case 'a':
			as_of = optarg;
			break;
		case 'h':
			fputs(extract_usage, stdout);
			return EX_OK;
		default:
			fputs(extract_usage, stderr);
			return EX_USAGE;
		}
	}
	if (path == NULL || out.dir == NULL || optind != argc) {
		fputs(extract_usage, stderr);
		return EX_USAGE;
	}
	if (mkdir(out.dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "svod: error: cannot create directory '%s': "
		    "%s\n", out.dir, strerror(errno));
		return EX_CANTCREAT;
	}
	if ((rc = config_load(path, &cfg, &e)) != 0)
		goto out;
	if (as_of != NULL && (rc = config_set_as_of(cfg, as_of, &e)) != 0)
		goto out;
	pl_live = true;
	if ((rc = pipeline_init(&pl, cfg, true, &e)) != 0)
		goto out;
	pl.fn = extract_record;
	pl.arg = &out;
	rc = pipeline_run(&pl, &e);
	frc = out_finish(&out, rc == 0, rc == 0 ? &e : NULL);
	if (rc == 0)
		rc = frc;
	pipeline_print(&pl, stdout, true);
	printf("key fingerprint %s\n", pl.key_fingerprint);
out:
	if (pl_live)
		pipeline_release(&pl);
	config_free(cfg);
	if (rc != 0) {
		err_print(&e);
		return err_exit_status(rc);
	}
	return EX_OK;
}
