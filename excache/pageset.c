/* pageset.c - open-addressing hash set of page numbers (see pageset.h). */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include "pageset.h"

#define EMPTY   0ull
#define DELETED (~0ull)

static size_t hash(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

int pageset_init(struct pageset *s)
{
	s->cap = 64;
	s->count = s->used = 0;
	s->slot = calloc(s->cap, sizeof(uint64_t));
	return s->slot ? 0 : -ENOMEM;
}

void pageset_free(struct pageset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->count = s->used = 0;
}

static int grow(struct pageset *s)
{
	struct pageset n;

	n.cap = s->count * 4 > s->cap ? s->cap * 2 : s->cap;
	n.count = n.used = 0;
	n.slot = calloc(n.cap, sizeof(uint64_t));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t k = s->slot[i];

		if (k != EMPTY && k != DELETED) {
			size_t j = hash(k, n.cap);

			while (n.slot[j] != EMPTY)
				j = (j + 1) & (n.cap - 1);
			n.slot[j] = k;
			n.count++;
			n.used++;
		}
	}
	free(s->slot);
	*s = n;
	return 0;
}

int pageset_add(struct pageset *s, uint64_t vpage)
{
	uint64_t k = vpage + 1;
	size_t i, tomb = (size_t)-1;

	if ((s->used + 1) * 4 > s->cap * 3 && grow(s))
		return -ENOMEM;
	for (i = hash(k, s->cap); s->slot[i] != EMPTY; i = (i + 1) & (s->cap - 1)) {
		if (s->slot[i] == k)
			return 0;
		if (s->slot[i] == DELETED && tomb == (size_t)-1)
			tomb = i;
	}
	if (tomb != (size_t)-1) {
		i = tomb;
	} else {
		s->used++;
	}
	s->slot[i] = k;
	s->count++;
	return 0;
}

int pageset_has(const struct pageset *s, uint64_t vpage)
{
	uint64_t k = vpage + 1;

	if (!s->slot)
		return 0;
	for (size_t i = hash(k, s->cap); s->slot[i] != EMPTY; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == k)
			return 1;
	return 0;
}

void pageset_del(struct pageset *s, uint64_t vpage)
{
	uint64_t k = vpage + 1;

	if (!s->slot)
		return;
	for (size_t i = hash(k, s->cap); s->slot[i] != EMPTY; i = (i + 1) & (s->cap - 1)) {
		if (s->slot[i] == k) {
			s->slot[i] = DELETED;
			s->count--;
			return;
		}
	}
}

int pageset_copy(struct pageset *dst, const struct pageset *src)
{
	dst->slot = malloc(src->cap * sizeof(uint64_t));
	if (!dst->slot)
		return -ENOMEM;
	memcpy(dst->slot, src->slot, src->cap * sizeof(uint64_t));
	dst->cap = src->cap;
	dst->count = src->count;
	dst->used = src->used;
	return 0;
}
