#include "etl/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etl/xalloc.h"

struct arena_block {
	struct arena_block *next;	/* older block */
	size_t	 size;			/* bytes in data[] */
	size_t	 off;			/* bytes used in data[] */
	alignas(max_align_t) unsigned char data[];
};

#define ARENA_ALIGN alignof(max_align_t)

void
arena_init(struct arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 64 * 1024;
	a->used = 0;
}

void
arena_release(struct arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->used = 0;
}

void
arena_reset(struct arena *a)
{
	struct arena_block *b, *next;

	if (a->head == NULL)
		return;
	/* Keep the newest block: it is the largest one a row needed. */
	for (b = a->head->next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head->next = NULL;
	a->head->off = 0;
	a->used = 0;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t off, size;

	if (n > SIZE_MAX - ARENA_ALIGN)
		n = SIZE_MAX - ARENA_ALIGN; /* xmalloc below fails loudly */
	n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (b == NULL || b->size - b->off < n) {
		size = n > a->block_size ? n : a->block_size;
		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->off = 0;
		b->next = a->head;
		a->head = b;
	}
	off = b->off;
	b->off += n;
	a->used += n;
	return b->data + off;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
