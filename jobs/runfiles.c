#include "jobs/runfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "etl/fields.h"
#include "etl/pgcopy.h"
#include "etl/xalloc.h"

void
runfiles_init(struct runfiles *rf, const char *dir)
{
	memset(rf, 0, sizeof(*rf));
	rf->dir = xstrdup(dir);
}

void
runfiles_release(struct runfiles *rf)
{
	for (size_t f = 0; f < FEED_COUNT; f++) {
		for (int k = 0; k < RUNFILES_KINDS; k++) {
			if (rf->fp[f][k] != NULL) {
				fclose(rf->fp[f][k]);
				unlink(rf->tmp[f][k]);
			}
			free(rf->tmp[f][k]);
			free(rf->final[f][k]);
		}
	}
	free(rf->dir);
	memset(rf, 0, sizeof(*rf));
}

void
runfiles_table(enum feed_id f, enum runfiles_kind k, char *out, size_t cap)
{
	static const char *const suffix[] = { "", "_contact", "_debt" };

	snprintf(out, cap, "%s%s", feed_get(f)->name, suffix[k]);
}

const char *
runfiles_path(const struct runfiles *rf, enum feed_id f, enum runfiles_kind k)
{
	return rf->final[f][k];
}

static const char *
runfiles_sqltype(enum feed_type t)
{
	switch (t) {
	case FEED_T_INT:
	case FEED_T_FY:
		return "integer";
	case FEED_T_MONEY:
	case FEED_T_UPRN:
		return "bigint";
	case FEED_T_DATE:
	case FEED_T_DOB:
		return "date";
	case FEED_T_BOOL:
		return "boolean";
	default:
		return "text";
	}
}

int
runfiles_columns(enum feed_id f, enum runfiles_kind k, char *out, size_t cap)
{
	const struct feed_desc *fd = feed_get(f);
	size_t len;

	snprintf(out, cap, k == RUNFILES_ITEMS
	    ? "(%s text, line bigint" : k == RUNFILES_CONTACT
	    ? "(source_key text" : "(source_key text, line bigint",
	    fd->key[0]);
	for (size_t i = 0; i < fd->nfields; i++) {
		const struct feed_field *ff = &fd->fields[i];
		bool item = (ff->flags & FEED_F_ITEM) && !fd->item_is_record;
		bool want;

		if (k == RUNFILES_ITEMS)
			want = item;
		else if (k == RUNFILES_CONTACT)
			want = !item && (ff->flags & FEED_F_DISPLAY);
		else
			want = !item && !(ff->flags & FEED_F_DISPLAY) &&
			    !(ff->flags & FEED_F_IDENTITY);
		if (!want)
			continue;
		len = strlen(out);
		snprintf(out + len, cap - len, ", %s %s", ff->name,
		    runfiles_sqltype(ff->type));
	}
	if (k == RUNFILES_MAIN) {
		for (size_t p = 0; p < PSEUDONYM_RECORD_COUNT; p++) {
			len = strlen(out);
			snprintf(out + len, cap - len, ", tok_%s bytea",
			    pseudonym_purpose_name((enum pseudonym_purpose)p));
		}
	}
	len = strlen(out);
	snprintf(out + len, cap - len, ")");
	return strlen(out) + 1 >= cap ? ERR_LIMIT : 0;
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
		pgcopy_text(fp, v->s, v->n);
	}
}

static FILE *
runfiles_file(struct runfiles *o, enum feed_id f, int kind, struct err *e)
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
	    kind == RUNFILES_CONTACT ? 0600 : 0644);
	if (fd < 0) {
		err_set(e, ERR_IO, "cannot create '%s': %s", o->tmp[f][kind],
		    strerror(errno));
		return NULL;
	}
	if (kind == RUNFILES_CONTACT)
		fchmod(fd, 0600);
	o->fp[f][kind] = fdopen(fd, "w");
	setvbuf(o->fp[f][kind], NULL, _IOFBF, 1 << 20);
	return o->fp[f][kind];
}

int
runfiles_record(void *arg, const struct record *rec, const struct identity *id,
    struct err *e)
{
	struct runfiles *o = arg;
	const struct feed_desc *fd = rec->desc;
	FILE *fp, *cp;
	char hex[PSEUDONYM_HEX_LEN + 5];

	if ((fp = runfiles_file(o, fd->id, RUNFILES_MAIN, e)) == NULL ||
	    (cp = runfiles_file(o, fd->id, RUNFILES_CONTACT, e)) == NULL)
		return ERR_IO;
	pgcopy_text(fp, rec->key, strlen(rec->key));
	fprintf(fp, "\t%lu", rec->line);
	pgcopy_text(cp, rec->key, strlen(rec->key));
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
	for (size_t p = 0; p < PSEUDONYM_RECORD_COUNT; p++) {
		if (id != NULL && id->have & (1u << p)) {
			/* bytea in COPY text: "\\x" then hex. */
			memcpy(hex, "\t\\\\x", 4);
			pseudonym_hex(id->tok[p], hex + 4);
			fwrite(hex, 1, PSEUDONYM_HEX_LEN + 4, fp);
		} else {
			fputs("\t\\N", fp);
		}
	}
	fputc('\n', fp);
	fputc('\n', cp);
	o->rows[fd->id][RUNFILES_MAIN]++;
	o->rows[fd->id][RUNFILES_CONTACT]++;
	for (size_t k = 0; k < rec->nitems; k++) {
		FILE *ip = runfiles_file(o, fd->id, RUNFILES_ITEMS, e);

		if (ip == NULL)
			return ERR_IO;
		pgcopy_text(ip, rec->key, strlen(rec->key));
		fprintf(ip, "\t%lu", rec->items[k].line);
		for (size_t i = 0; i < fd->nfields; i++) {
			if (!(fd->fields[i].flags & FEED_F_ITEM))
				continue;
			fputc('\t', ip);
			out_value(ip, &fd->fields[i], &rec->items[k].v[i]);
		}
		fputc('\n', ip);
		o->rows[fd->id][RUNFILES_ITEMS]++;
	}
	return 0;
}

int
runfiles_finish(struct runfiles *o, bool ok, struct err *e)
{
	int rc = 0;

	for (size_t f = 0; f < FEED_COUNT; f++) {
		for (int k = 0; k < RUNFILES_KINDS; k++) {
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
			o->fp[f][k] = NULL;
			if (!ok || rc != 0) {
				unlink(o->tmp[f][k]);
				free(o->final[f][k]);
				o->final[f][k] = NULL;
			}
			free(o->tmp[f][k]);
			o->tmp[f][k] = NULL;
		}
	}
	return rc;
}

