/*
 * Reader for the case tables in fixtures/cases/, shared by the unit tests
 * (run from the repository root). A table holds cases in threes: an input
 * line, an expected line, a blank line (or the end of the file). Blank
 * lines and lines starting with '#' before a case are skipped.
 *
 * Header only: each tests/unit/test_*.c is linked alone, so the functions
 * are static inline and a test that leaves one unused still builds.
 * A missing file or a broken case fails the test: cases are never skipped.
 */
#ifndef SVOD_TESTS_UNIT_CASES_H
#define SVOD_TESTS_UNIT_CASES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#define LINE_MAX_BYTES	4096

struct case_file {
	FILE	*fp;
	const char *path;
	int	 lineno;	/* of the last line read */
	int	 input_line;	/* line of the current case's input */
};

static inline void
case_open(struct case_file *cf, const char *path)
{
	cf->path = path;
	cf->lineno = 0;
	cf->input_line = 0;
	cf->fp = fopen(path, "r");
	if (cf->fp == NULL)
		fail_msg("cannot open %s (run from the repository root)",
		    path);
}

static inline void
case_close(struct case_file *cf)
{
	if (cf->fp != NULL)
		fclose(cf->fp);
	cf->fp = NULL;
}

/* Read one line without its newline. Returns 0 at end of file. */
static inline int
case_read_line(struct case_file *cf, char *buf, size_t cap)
{
	size_t n;

	if (fgets(buf, (int)cap, cf->fp) == NULL)
		return 0;
	cf->lineno++;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(cf->fp))
		fail_msg("%s:%d: line too long", cf->path, cf->lineno);
	return 1;
}

/*
 * Next case: the input and expected lines, each into a buffer of
 * LINE_MAX_BYTES. Returns 0 at end of file.
 */
static inline int
case_next(struct case_file *cf, char *in, char *exp)
{
	char blank[LINE_MAX_BYTES];

	do {
		if (!case_read_line(cf, in, LINE_MAX_BYTES))
			return 0;
	} while (in[0] == '#' || in[0] == '\0');
	cf->input_line = cf->lineno;
	if (!case_read_line(cf, exp, LINE_MAX_BYTES))
		fail_msg("%s:%d: input without expected line", cf->path,
		    cf->lineno);
	if (case_read_line(cf, blank, sizeof(blank)) && blank[0] != '\0')
		fail_msg("%s:%d: expected a blank line after a case",
		    cf->path, cf->lineno);
	return 1;
}

#endif /* SVOD_TESTS_UNIT_CASES_H */
