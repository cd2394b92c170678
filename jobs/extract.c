/*
 * svod extract --config FILE --out DIR: the first half of the nightly job
 * on its own. Every enabled feed is extracted, validated, normalised and
 * pseudonymised, and written to DIR in PostgreSQL's COPY text format, as
 * jobs/runfiles.h describes: no raw identifier, name or date of birth
 * outside the restricted contact files (mode 0600). Files appear only
 * when the run succeeds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "etl/config.h"
#include "etl/err.h"
#include "jobs/jobs.h"
#include "jobs/pipeline.h"
#include "jobs/runfiles.h"

static const char extract_usage[] =
    "usage: svod extract --config FILE --out DIR [--as-of YYYY-MM-DD]\n"
    "Extract, validate, normalise and pseudonymise every enabled feed and\n"
    "write COPY-format files to DIR (see the README). Prints the summary.\n";

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
	struct runfiles out;
	const char *outdir = NULL;
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
			outdir = optarg;
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
	if (path == NULL || outdir == NULL || optind != argc) {
		fputs(extract_usage, stderr);
		return EX_USAGE;
	}
	if (mkdir(outdir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "svod: error: cannot create directory '%s': "
		    "%s\n", outdir, strerror(errno));
		return EX_CANTCREAT;
	}
	if ((rc = config_load(path, &cfg, &e)) != 0)
		goto out;
	if (as_of != NULL && (rc = config_set_as_of(cfg, as_of, &e)) != 0)
		goto out;
	pl_live = true;
	if ((rc = pipeline_init(&pl, cfg, true, &e)) != 0)
		goto out;
	runfiles_init(&out, outdir);
	pl.fn = runfiles_record;
	pl.arg = &out;
	rc = pipeline_run(&pl, &e);
	frc = runfiles_finish(&out, rc == 0, rc == 0 ? &e : NULL);
	runfiles_release(&out);
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
