/*
 * pageset.h - a set of page numbers (open addressing, grows by doubling).
 * The process node uses it to remember which pages of an address space the
 * memory node holds, so first touches of anonymous memory need no round trip.
 */
#ifndef EXCACHE_PAGESET_H
#define EXCACHE_PAGESET_H
#include <stdint.h>
#include <stddef.h>

struct pageset {
	uint64_t *slot;           /* vpage + 1; 0 = empty, ~0 = deleted */
	size_t cap, count, used;
};

int pageset_init(struct pageset *s);
void pageset_free(struct pageset *s);
int pageset_add(struct pageset *s, uint64_t vpage);
int pageset_has(const struct pageset *s, uint64_t vpage);
void pageset_del(struct pageset *s, uint64_t vpage);
int pageset_copy(struct pageset *dst, const struct pageset *src);
#endif
