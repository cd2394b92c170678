/*
 * xalloc: allocation that cannot fail. Out of memory, the program logs one
 * line and exits with EX_OSERR; callers never check for NULL.
 */
#ifndef SVOD_XALLOC_H
#define SVOD_XALLOC_H

#include <stddef.h>

/* Like malloc(n), never NULL. Caller frees with free(). */
void	*xmalloc(size_t n);
/* Like calloc(count, size), overflow-checked, never NULL. */
void	*xcalloc(size_t count, size_t size);
/* Like realloc(p, n), never NULL. */
void	*xrealloc(void *p, size_t n);
/* Like reallocarray(p, count, size): overflow-checked, never NULL. */
void	*xreallocarray(void *p, size_t count, size_t size);
/* Copy a string, never NULL. Caller frees with free(). */
char	*xstrdup(const char *s);
/* Copy at most n bytes of s and add a NUL, never NULL. */
char	*xstrndup(const char *s, size_t n);

#endif
