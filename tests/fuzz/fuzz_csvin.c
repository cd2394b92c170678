/*
 * libFuzzer harness for the CSV reader and the extraction driver: the
 * input is written to a file and read as the council tax feed (every
 * record validated), with a generous reject budget.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl/config.h"
#include "etl/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_csvin_XXXXXX";
	static char *source[64];
	struct config cfg;
	struct extract *x = NULL;
	struct record *rec;
	struct err e;
	int fd;

	if ((fd = mkstemp(path)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	memset(&cfg, 0, sizeof(cfg));
	cfg.as_of = 20787; /* 2026-11-30 */
	for (size_t i = 0; i < FEED_COUNT; i++) {
		cfg.feeds[i].desc = feed_get((enum feed_id)i);
		cfg.feeds[i].enabled = true;
		cfg.feeds[i].date_formats = CONFIG_DATE_ISO | CONFIG_DATE_DMY;
		cfg.feeds[i].money_formats = CONFIG_MONEY_POUND |
		    CONFIG_MONEY_THOUSANDS;
		cfg.feeds[i].max_rejects = 1000000;
		cfg.feeds[i].max_reject_pct = -1;
		cfg.feeds[i].source = source;
	}
	if (extract_open(&cfg, &cfg.feeds[FEED_COUNCIL_TAX], path, NULL, &x,
	    &e) == 0) {
		while (extract_next(x, &rec, &e) > 0)
			;
		extract_close(x);
	}
	unlink(path);
	return 0;
}
