/*
 * svod keygen FILE: write a new 256-bit secret key to FILE with mode 0600,
 * refusing to overwrite one. Prints the key's fingerprint, the only name
 * under which logs and records ever mention it.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include <openssl/crypto.h>

#include "etl/err.h"
#include "etl/keyfile.h"
#include "jobs/jobs.h"

static const char keygen_usage[] =
    "usage: svod keygen FILE\n"
    "Write a new 256-bit secret key to FILE (mode 0600). An existing FILE\n"
    "is never overwritten. Keep the key out of the database and backups\n"
    "that hold the data: whoever has both can test guesses.\n";

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	unsigned char key[32];
	char fp[17];
	struct err e;
	int c;

	err_clear(&e);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(keygen_usage, stdout);
			return EX_OK;
		}
		fputs(keygen_usage, stderr);
		return EX_USAGE;
	}
	if (optind != argc - 1) {
		fputs(keygen_usage, stderr);
		return EX_USAGE;
	}
	if (keyfile_generate(argv[optind], &e) != 0 ||
	    keyfile_load(argv[optind], key, &e) != 0) {
		err_print(&e);
		return err_exit_status(e.code);
	}
	keyfile_fingerprint(key, fp);
	OPENSSL_cleanse(key, sizeof(key));
	printf("wrote key %s (fingerprint %s)\n", argv[optind], fp);
	return EX_OK;
}
