/*
 * libFuzzer harness for the name and postcode normalisers. The input is
 * split at '\n' into up to four fields (title, forename, middle, surname);
 * missing fields are NULL. The whole input also goes to normalize_text,
 * normalize_postcode_parts and normalize_nino_stem. Besides memory safety
 * (run with -fsanitize=fuzzer,address,undefined), it checks the promises
 * in matchers/normalize.h: outputs are terminated, valid UTF-8, have no
 * lower-case ASCII and no edge or double spaces. Build:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_DEFAULT_SOURCE \
 *       $(pkg-config --cflags libutf8proc) tests/fuzz/fuzz_normalize.c \
 *       matchers/normalize.c etl/err.c $(pkg-config --libs libutf8proc) \
 *       -o fuzz_normalize
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "matchers/normalize.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_string(const char *s, size_t cap)
{
	size_t len = strnlen(s, cap), i;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	if (len == cap)
		abort();		/* not terminated */
	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		abort();
	if (strstr(s, "  ") != NULL)
		abort();
	for (i = 0; i < len; i += (size_t)k) {
		k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0)
			abort();	/* invalid UTF-8 */
		if (cp >= 'a' && cp <= 'z')
			abort();	/* not upper case */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *field[4] = { NULL, NULL, NULL, NULL }, *p;
	char text[40], stem[9];
	struct name_norm n;
	struct postcode_parts pc;
	int i;

	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';

	p = buf;
	for (i = 0; i < 4 && p != NULL; i++) {
		field[i] = p;
		p = strchr(p, '\n');
		if (p != NULL)
			*p++ = '\0';
	}
	normalize_name(field[0], field[1], field[2], field[3], &n);
	check_string(n.title, sizeof(n.title));
	check_string(n.forename, sizeof(n.forename));
	check_string(n.middles, sizeof(n.middles));
	check_string(n.surname, sizeof(n.surname));
	check_string(n.suffix, sizeof(n.suffix));
	check_string(n.forename_initial, sizeof(n.forename_initial));
	check_string(n.surname_nospace, sizeof(n.surname_nospace));
	check_string(n.surname_parts[0], sizeof(n.surname_parts[0]));
	check_string(n.surname_parts[1], sizeof(n.surname_parts[1]));
	if (n.forename_is_initial && n.forename[0] == '\0')
		abort();
	if (name_norm_is_empty(&n) && n.surname[0] != '\0')
		abort();

	/* Same data, unsplit, through the other entry points. */
	memcpy(buf, data, size);
	normalize_text(buf, text, sizeof(text));
	check_string(text, sizeof(text));
	if (normalize_postcode_parts(buf, &pc) == 0) {
		check_string(pc.district, sizeof(pc.district));
		check_string(pc.sector, sizeof(pc.sector));
		check_string(pc.compact, sizeof(pc.compact));
	} else if (pc.district[0] != '\0') {
		abort();
	}
	normalize_nino_stem(buf, stem);
	free(buf);
	return 0;
}
