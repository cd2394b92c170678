/*
 * libFuzzer harness for etl/fields: runs every validator on the input,
 * with every option combination, and checks what must always hold: a
 * known reason comes back, and an accepted value, written back out in
 * canonical form, is accepted again as the same value. The input buffer
 * is exactly 'size' bytes with no NUL, so any over-read is an ASan error.
 */
#include "etl/fields.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__,	\
			    __LINE__, #cond);				\
			abort();					\
		}							\
	} while (0)

static void
check_reason(enum field_reason r)
{
	REQUIRE((unsigned)r < FIELD_NREASONS);
	REQUIRE(strcmp(field_reason_name(r), "unknown") != 0);
}

static void
fuzz_money(const char *s, size_t n)
{
	char buf[32];
	int64_t pence, back;
	uint64_t mag;
	unsigned flags;
	enum field_reason r;
	int len;

	for (flags = 0; flags < 4; flags++) {
		r = fields_money(s, n, flags, &pence);
		check_reason(r);
		if (r != FIELD_OK)
			continue;
		mag = pence < 0 ? 0 - (uint64_t)pence : (uint64_t)pence;
		len = snprintf(buf, sizeof(buf), "%s%" PRIu64 ".%02u",
		    pence < 0 ? "-" : "", mag / 100, (unsigned)(mag % 100));
		REQUIRE(len > 0 && (size_t)len < sizeof(buf));
		REQUIRE(fields_money(buf, (size_t)len, 0, &back) == FIELD_OK);
		REQUIRE(back == pence);
	}
}

static void
fuzz_dates(const char *s, size_t n)
{
	char iso[11];
	int32_t days, back;
	unsigned formats;
	enum field_reason r;

	for (formats = 1; formats <= FIELD_DATE_ANY; formats++) {
		r = fields_date(s, n, formats, &days);
		check_reason(r);
		if (r == FIELD_OK) {
			REQUIRE(fields_date_format(days, iso));
			REQUIRE(fields_date(iso, 10, FIELD_DATE_ISO, &back) ==
			    FIELD_OK);
			REQUIRE(back == days);
		}
		/* As of 2025-01-31. */
		r = fields_dob(s, n, formats, 20119, &days);
		check_reason(r);
		if (r == FIELD_OK)
			REQUIRE(days <= 20119 && days >= -25567);
	}
}

static void
fuzz_numbers(const char *s, size_t n)
{
	static const int64_t ranges[][2] = {
		{ INT64_MIN, INT64_MAX }, { 0, INT64_MAX }, { -10, 10 },
		{ 1, 999999 },
	};
	int64_t v;
	uint64_t u;
	size_t i;
	int y;
	enum field_reason r;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		r = fields_int(s, n, ranges[i][0], ranges[i][1], &v);
		check_reason(r);
		if (r == FIELD_OK)
			REQUIRE(v >= ranges[i][0] && v <= ranges[i][1]);
	}
	r = fields_uprn(s, n, &u);
	check_reason(r);
	if (r == FIELD_OK)
		REQUIRE(u >= 1 && u <= UINT64_C(999999999999));
	r = fields_fy(s, n, &y);
	check_reason(r);
	if (r == FIELD_OK)
		REQUIRE(y >= 1990 && y <= 2100);
}

static void
fuzz_identifiers(const char *s, size_t n)
{
	char nino[10], nino2[10], nhs[11], nhs2[11], pc[9], pc2[9];
	size_t len;
	enum field_reason r;

	r = fields_nino(s, n, nino);
	check_reason(r);
	if (r == FIELD_OK) {
		len = strlen(nino);
		REQUIRE(len == 8 || len == 9);
		REQUIRE(fields_nino(nino, len, nino2) == FIELD_OK);
		REQUIRE(strcmp(nino, nino2) == 0);
	}
	r = fields_nhs(s, n, nhs);
	check_reason(r);
	if (r == FIELD_OK) {
		REQUIRE(strlen(nhs) == 10);
		REQUIRE(fields_nhs(nhs, 10, nhs2) == FIELD_OK);
		REQUIRE(strcmp(nhs, nhs2) == 0);
	}
	r = fields_postcode(s, n, pc);
	check_reason(r);
	if (r == FIELD_OK) {
		len = strlen(pc);
		REQUIRE(len >= 6 && len <= 8 && pc[len - 4] == ' ');
		REQUIRE(fields_postcode(pc, len, pc2) == FIELD_OK);
		REQUIRE(strcmp(pc, pc2) == 0);
	}
}

static void
fuzz_text(const char *s, size_t n)
{
	static const char *const values[] = { "rent", "council_tax", "" };
	const char *out;
	size_t outlen, m;
	int idx;
	enum field_reason r;

	r = fields_text(s, n, 16, &out, &outlen);
	check_reason(r);
	if (r == FIELD_OK)
		REQUIRE(out >= s && outlen > 0 && outlen <= 16 &&
		    out + outlen <= s + n);
	r = fields_enum(s, n, values, 3, &idx);
	check_reason(r);
	if (r == FIELD_OK)
		REQUIRE(idx == 0 || idx == 1);
	out = s;
	m = n;
	fields_trim(&out, &m);
	REQUIRE(out >= s && out + m <= s + n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	fuzz_money(s, size);
	fuzz_dates(s, size);
	fuzz_numbers(s, size);
	fuzz_identifiers(s, size);
	fuzz_text(s, size);
	return 0;
}
