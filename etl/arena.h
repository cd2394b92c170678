/*
 * arena: memory by lifetime. Allocations come from large blocks and are
 * never freed one by one; arena_reset() frees them all at once (keeping the
 * first block for reuse), arena_release() returns everything. svod uses
 * three lifetimes: run (configuration, lookups), batch (one COPY batch)
 * and row (scratch for one record, reset before the next).
 */
#ifndef SVOD_ARENA_H
#define SVOD_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;	/* newest block, NULL when empty */
	size_t	 block_size;		/* default size of a new block */
	size_t	 used;			/* bytes handed out since reset */
};

/* Start empty; blocks are 'block_size' bytes (0: 64 KiB). Cannot fail. */
void	 arena_init(struct arena *a, size_t block_size);
/* Free every block; 'a' is empty and may be reused. Accepts NULL. */
void	 arena_release(struct arena *a);
/* Forget every allocation but keep one block for reuse. */
void	 arena_reset(struct arena *a);
/* n bytes aligned for any type, valid until reset. Never NULL. */
void	*arena_alloc(struct arena *a, size_t n);
/* Copy n bytes of s plus a NUL into the arena. Never NULL. */
char	*arena_strndup(struct arena *a, const char *s, size_t n);
/* Copy a NUL-terminated string into the arena. Never NULL. */
char	*arena_strdup(struct arena *a, const char *s);

#endif
