/*
 * libFuzzer harness for etl/config: each input is written to a temporary
 * file (config_load() reads a path) and loaded; a configuration that loads
 * is also digested and freed. Failures must leave *out NULL and a message.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_DEFAULT_SOURCE \
 *       $(pkg-config --cflags libxml-2.0 inih) tests/fuzz/fuzz_config.c \
 *       etl/config.c etl/feed.c etl/err.c etl/xalloc.c etl/arena.c \
 *       etl/fields.c $(pkg-config --libs inih libcrypto) -o fuzz_config
 *   ./fuzz_config -max_total_time=60 fixtures/config
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "etl/config.h"
#include "etl/err.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void
remove_path(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct err e;
	char hex[65];
	FILE *fp;
	int fd, rc;

	/* One file per process, rewritten for each input. */
	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_config-XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
		atexit(remove_path);
	}
	if ((fp = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	if (fclose(fp) != 0)
		abort();

	err_clear(&e);
	rc = config_load(path, &cfg, &e);
	if (rc == 0) {
		if (cfg == NULL || config_digest(cfg, hex, &e) != 0)
			abort();
	} else if (cfg != NULL || e.msg[0] == '\0' || rc != ERR_CONFIG) {
		abort();
	}
	config_free(cfg);
	return 0;
}
