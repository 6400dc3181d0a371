/*
 * idmap.h - a hash map from 64-bit keys to non-NULL pointers: the memory
 * node's address spaces by id, and each space's stored pages by page number.
 * Open addressing with linear probing and backward-shift deletion, so there
 * are no tombstones. Pure logic (tests/unit/test_memsvc.c).
 */
#ifndef MONITORS_MEMORY_IDMAP_H
#define MONITORS_MEMORY_IDMAP_H
#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
	uint64_t key;
	void *val;               /* NULL = empty slot */
};

struct idmap {
	struct idmap_slot *slots;
	size_t cap;              /* 0 or a power of two */
	size_t count;
};

void idmap_init(struct idmap *m);
/* Free the table (not the values). */
void idmap_destroy(struct idmap *m);
void *idmap_get(const struct idmap *m, uint64_t key);
/*
 * Insert or replace (val != NULL). -ENOMEM if the table had to grow, could
 * not, and is 15/16 full; replacing, or inserting right after a removal,
 * never allocates.
 */
int idmap_put(struct idmap *m, uint64_t key, void *val);
/* Remove key; returns its value or NULL. */
void *idmap_remove(struct idmap *m, uint64_t key);
/* Make room for count entries in total; -ENOMEM. */
int idmap_reserve(struct idmap *m, size_t count);
/*
 * Move the value of key from to key to, replacing what to held (the caller
 * frees that first if it matters). Never allocates. Returns the value, or
 * NULL if from was absent.
 */
void *idmap_rekey(struct idmap *m, uint64_t from, uint64_t to);
/*
 * Remove every key in [lo, hi), calling fn(arg, key, val) for each.
 * Returns how many were removed.
 */
size_t idmap_remove_range(struct idmap *m, uint64_t lo, uint64_t hi,
			  void (*fn)(void *arg, uint64_t key, void *val), void *arg);
/* Call fn for every entry (fn must not change the map). */
void idmap_foreach(const struct idmap *m, void (*fn)(void *arg, uint64_t key, void *val), void *arg);
#endif
