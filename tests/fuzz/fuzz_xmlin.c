/*
 * libFuzzer harness for etl/xmlin: each input is written to a temporary
 * file, opened as the adult_social_care feed validated against
 * fixtures/xml/asc.xsd (run from the repository root, or set
 * SVOD_FUZZ_XSD), and read to the end. Errors are expected; crashes,
 * leaks and undefined behaviour are not. Build it with clang's
 * -fsanitize=fuzzer,address,undefined together with the etl and matchers
 * sources and the Makefile's libraries; seed it with fixtures/xml.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl/config.h"
#include "etl/err.h"
#include "etl/feed.h"
#include "etl/reader.h"
#include "etl/xmlin.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[] = "/tmp/fuzz_xmlin_XXXXXX";
static int fuzz_fd = -1;

/* Replace the temporary file's contents with the input. */
static int
fuzz_write(const uint8_t *data, size_t size)
{
	if (fuzz_fd < 0 && (fuzz_fd = mkstemp(fuzz_path)) < 0)
		return -1;
	if (ftruncate(fuzz_fd, 0) != 0 || lseek(fuzz_fd, 0, SEEK_SET) != 0)
		return -1;
	while (size > 0) {
		ssize_t n = write(fuzz_fd, data, size);

		if (n <= 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *source[64];
	struct config_feed cf;
	struct reader *rd = NULL;
	struct raw_record rec;
	struct err e;
	const char *xsd = getenv("SVOD_FUZZ_XSD");

	if (fuzz_write(data, size) != 0)
		abort();
	memset(&cf, 0, sizeof(cf));
	cf.desc = feed_get(FEED_ADULT_SOCIAL_CARE);
	cf.enabled = true;
	cf.schema = (char *)(xsd != NULL ? xsd : "fixtures/xml/asc.xsd");
	cf.source = source;
	if (xmlin_open(&cf, fuzz_path, &rd, &e) != 0)
		abort();	/* the schema is missing: fix the set-up */
	while (reader_next(rd, &rec, &e) > 0) {
		/* Touch every value so ASan sees a bad pointer or length. */
		for (size_t i = 0; i < cf.desc->nfields; i++)
			if (rec.f[i].p != NULL &&
			    memchr(rec.f[i].p, '\0', rec.f[i].n) != NULL)
				abort();
		for (size_t k = 0; k < rec.nitems; k++)
			for (size_t i = 0; i < cf.desc->nfields; i++)
				if (rec.items[k].f[i].p != NULL &&
				    memchr(rec.items[k].f[i].p, '\0',
				    rec.items[k].f[i].n) != NULL)
					abort();
	}
	reader_close(rd);
	return 0;
}
