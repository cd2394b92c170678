#include "etl/rejects.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "etl/xalloc.h"

void
rejects_init(struct rejects *rj, const char *dir)
{
	memset(rj, 0, sizeof(*rj));
	rj->dir = xstrdup(dir);
}

int
rejects_release(struct rejects *rj, struct err *e)
{
	int rc = 0;

	for (size_t i = 0; i < FEED_COUNT; i++) {
		if (rj->fp[i] != NULL && fclose(rj->fp[i]) != 0 && rc == 0)
			rc = err_set(e, ERR_IO, "cannot write '%s': %s",
			    rj->path[i], strerror(errno));
		rj->fp[i] = NULL;
		free(rj->path[i]);
		rj->path[i] = NULL;
	}
	free(rj->dir);
	rj->dir = NULL;
	return rc;
}

/* mkdir -p with mode 0700 for every level created. */
static int
rejects_mkdir(const char *dir, struct err *e)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			rc = err_set(e, ERR_IO, "cannot create directory "
			    "'%s': %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

static int
rejects_open_feed(struct rejects *rj, enum feed_id feed, struct err *e)
{
	const char *name = feed_get(feed)->name;
	size_t len = strlen(rj->dir) + strlen(name) + 32;
	char *path = xmalloc(len);
	int fd, rc;

	if ((rc = rejects_mkdir(rj->dir, e)) != 0) {
		free(path);
		return rc;
	}
	snprintf(path, len, "%s/%s.rejects.csv", rj->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	/* An older file may have been made with wider permissions. */
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		rc = err_set(e, ERR_IO, "cannot create '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return rc;
	}
	rj->fp[feed] = fdopen(fd, "w");
	rj->path[feed] = path;
	fputs("file,line,column,field,reason,message,raw\n", rj->fp[feed]);
	return 0;
}

static void
rejects_put(FILE *fp, const char *s, size_t n, int last)
{
	csv_fwrite(fp, s ? s : "", s ? n : 0);
	fputc(last ? '\n' : ',', fp);
}

int
rejects_add(struct rejects *rj, enum feed_id feed, const struct reject *r,
    const char *raw, size_t rawlen, struct err *e)
{
	char num[32];
	FILE *fp;
	int rc;

	if (rj->fp[feed] == NULL && (rc = rejects_open_feed(rj, feed, e)))
		return rc;
	fp = rj->fp[feed];
	/* Keep the raw row as it was, less its line terminator. */
	while (rawlen > 0 && (raw[rawlen - 1] == '\n' ||
	    raw[rawlen - 1] == '\r'))
		rawlen--;
	rejects_put(fp, r->file, strlen(r->file), 0);
	snprintf(num, sizeof(num), "%lu", r->line);
	rejects_put(fp, num, strlen(num), 0);
	snprintf(num, sizeof(num), "%u", r->column);
	rejects_put(fp, r->column ? num : NULL, strlen(num), 0);
	rejects_put(fp, r->field, r->field ? strlen(r->field) : 0, 0);
	rejects_put(fp, r->reason, strlen(r->reason), 0);
	rejects_put(fp, r->message, strlen(r->message), 0);
	rejects_put(fp, raw, rawlen, 1);
	if (ferror(fp))
		return err_set(e, ERR_IO, "cannot write '%s': %s",
		    rj->path[feed], strerror(errno));
	return 0;
}
