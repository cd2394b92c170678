/*
 * svod check --config FILE: validate every configured feed without
 * touching a database, and print per feed the records read, accepted,
 * rejected and warned (by reason), the time taken, then where the rejects
 * are. It is what an operator runs on a new export before trusting it.
 * The raw text of rejected records goes only to the restricted rejects
 * files (mode 0600).
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "etl/config.h"
#include "etl/err.h"
#include "jobs/jobs.h"
#include "jobs/pipeline.h"

static const char check_usage[] =
    "usage: svod check --config FILE [--as-of YYYY-MM-DD] [--tokens]\n"
    "Validate every enabled feed of the configuration; print a summary\n"
    "per feed and the location of every reject. No database is used.\n"
    "  --config FILE   the job configuration (INI)\n"
    "  --as-of DATE    the as-of date (default: the configuration's, or today)\n"
    "  --tokens        also normalise and pseudonymise (needs the key file)\n"
    "Exit status: 0 all feeds good; 65 a bad file or a spent reject budget;\n"
    "66 a feed's file is missing; 78 bad configuration.\n";

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "tokens", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL, *as_of = NULL;
	struct config *cfg = NULL;
	struct pipeline pl;
	bool tokens = false, pl_live = false;
	struct err e;
	int c, rc;

	err_clear(&e);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:a:th", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'a':
			as_of = optarg;
			break;
		case 't':
			tokens = true;
			break;
		case 'h':
			fputs(check_usage, stdout);
			return EX_OK;
		default:
			fputs(check_usage, stderr);
			return EX_USAGE;
		}
	}
	if (path == NULL || optind != argc) {
		fputs(check_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = config_load(path, &cfg, &e)) != 0)
		goto out;
	if (as_of != NULL && (rc = config_set_as_of(cfg, as_of, &e)) != 0)
		goto out;
	pl_live = true;
	if ((rc = pipeline_init(&pl, cfg, tokens, &e)) != 0)
		goto out;
	rc = pipeline_run(&pl, &e);
	pipeline_print(&pl, stdout, tokens);
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
