/*
 * svod: single view of debt. main() parses the global options and hands
 * the rest to a subcommand from the table below; each lives in its own
 * file in jobs/ and returns a sysexits.h status.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "etl/log.h"
#include "jobs/jobs.h"

#ifndef SVOD_VERSION
#define SVOD_VERSION "0.0.0"
#endif

struct command {
	const char *name;
	int	 (*fn)(int, char **);
	const char *summary;
};

static const struct command commands[] = {
	{ "check", cmd_check,
	    "validate every configured feed, print a summary per feed" },
	{ "eval", cmd_eval, "score linkage against ground truth" },
	{ "extract", cmd_extract,
	    "extract, validate and pseudonymise the feeds to files" },
	{ "init", cmd_init, "create or upgrade the database schema" },
	{ "keygen", cmd_keygen, "write a new secret key file (mode 0600)" },
	{ "lookup", cmd_lookup, "an adviser's look-up of one resident" },
	{ "nightly", cmd_nightly,
	    "the whole night: extract, match, load and publish" },
	{ "notify", cmd_notify, "process breathing-space notifications now" },
	{ "replay", cmd_replay, "re-run a past run and compare its digests" },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: svod [-v | -q] <command> [options]\n"
	    "       svod --version\n"
	    "       svod help [command]\n"
	    "\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp,
	    "\n"
	    "Run 'svod <command> --help' for a command's options.\n"
	    "Exit status: 0 ok, 1 lookup found no one or replay found a\n"
	    "difference, 64 usage, 65 data rejected beyond the budget or a bad\n"
	    "file, 66 input missing, 69 database unavailable, 70 internal error,\n"
	    "73 cannot create output, 74 I/O error, 75 another run holds the\n"
	    "lock, 78 bad configuration or key file.\n");
}

int
main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0)
			log_set_level(LOG_DEBUG);
		else if (strcmp(argv[i], "-q") == 0)
			log_set_level(LOG_WARN);
		else if (strcmp(argv[i], "--version") == 0) {
			printf("svod %s\n", SVOD_VERSION);
			return EX_OK;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EX_OK;
		} else {
			fprintf(stderr, "svod: unknown option '%s'\n",
			    argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 < argc) {
			char help[] = "--help";
			char *args[] = { argv[i + 1], help, NULL };

			for (size_t k = 0; k < sizeof(commands) /
			    sizeof(commands[0]); k++)
				if (strcmp(commands[k].name, argv[i + 1]) == 0)
					return commands[k].fn(2, args);
			fprintf(stderr, "svod: unknown command '%s'\n",
			    argv[i + 1]);
			return EX_USAGE;
		}
		usage(stdout);
		return EX_OK;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(commands[k].name, argv[i]) == 0) {
			log_set_job(commands[k].name);
			return commands[k].fn(argc - i, argv + i);
		}
	}
	fprintf(stderr, "svod: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return EX_USAGE;
}
