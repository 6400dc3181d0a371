/*
 * idmap.c - 64-bit key to pointer hash map (see idmap.h). Load factor at
 * most 3/4; the table doubles when an insert would pass it.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include "idmap.h"

#define MIN_CAP 16

static size_t hash(uint64_t k, size_t cap)
{
	/* splitmix64's finaliser: page numbers and ids are far from random. */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return (size_t)k & (cap - 1);
}

void idmap_init(struct idmap *m)
{
	memset(m, 0, sizeof(*m));
}

void idmap_destroy(struct idmap *m)
{
	free(m->slots);
	idmap_init(m);
}

static size_t find_slot(const struct idmap *m, uint64_t key)
{
	size_t i = hash(key, m->cap);

	while (m->slots[i].val && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *idmap_get(const struct idmap *m, uint64_t key)
{
	return m->cap ? m->slots[find_slot(m, key)].val : NULL;
}

static int resize(struct idmap *m, size_t cap)
{
	struct idmap_slot *old = m->slots, *slots;
	size_t old_cap = m->cap;

	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	m->slots = slots;
	m->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].val)
			m->slots[find_slot(m, old[i].key)] = old[i];
	free(old);
	return 0;
}

int idmap_reserve(struct idmap *m, size_t count)
{
	size_t cap = m->cap ? m->cap : MIN_CAP;

	while (count > cap / 4 * 3) {
		if (cap > SIZE_MAX / 2 / sizeof(struct idmap_slot))
			return -ENOMEM;
		cap *= 2;
	}
	if (cap == m->cap)
		return 0;
	if (resize(m, cap) == 0)
		return 0;
	/*
	 * A big table needs a big contiguous block, which a fragmented heap may
	 * not have: fill the old one further (probes get longer) before failing.
	 */
	return m->cap && count <= m->cap - m->cap / 16 ? 0 : -ENOMEM;
}

int idmap_put(struct idmap *m, uint64_t key, void *val)
{
	size_t i;

	if (!val)
		return -EINVAL;
	if (m->cap) {
		i = find_slot(m, key);
		if (m->slots[i].val) {
			m->slots[i].val = val;
			return 0;
		}
	}
	if (idmap_reserve(m, m->count + 1))
		return -ENOMEM;
	i = find_slot(m, key);
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->count++;
	return 0;
}

/* Empty slot i and shift later members of its probe run back into the hole. */
static void delete_slot(struct idmap *m, size_t i)
{
	size_t mask = m->cap - 1, j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!m->slots[j].val)
			break;
		home = hash(m->slots[j].key, m->cap);
		/* j stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i].val = NULL;
	m->slots[i].key = 0;
	m->count--;
}

void *idmap_remove(struct idmap *m, uint64_t key)
{
	size_t i;
	void *val;

	if (!m->cap)
		return NULL;
	i = find_slot(m, key);
	val = m->slots[i].val;
	if (val)
		delete_slot(m, i);
	return val;
}

void *idmap_rekey(struct idmap *m, uint64_t from, uint64_t to)
{
	void *val = idmap_remove(m, from);
	size_t i;

	if (!val)
		return NULL;
	/* The removal left a free slot, so this needs no room. */
	i = find_slot(m, to);
	if (!m->slots[i].val)
		m->count++;
	m->slots[i].key = to;
	m->slots[i].val = val;
	return val;
}

size_t idmap_remove_range(struct idmap *m, uint64_t lo, uint64_t hi,
			  void (*fn)(void *arg, uint64_t key, void *val), void *arg)
{
	size_t removed = 0;

	if (!m->cap || lo >= hi)
		return 0;
	if (hi - lo <= m->count) {
		/* Fewer keys in the range than entries: look each one up. */
		for (uint64_t k = lo; k < hi; k++) {
			void *val = idmap_remove(m, k);

			if (val) {
				removed++;
				if (fn)
					fn(arg, k, val);
			}
		}
		return removed;
	}
	/*
	 * Scan the table from slot 0. A deletion may shift a later entry into
	 * slot i, so i is examined again; entries that wrap around from the
	 * front of the table to its end were seen already and are kept.
	 */
	for (size_t i = 0; i < m->cap;) {
		struct idmap_slot s = m->slots[i];

		if (s.val && s.key >= lo && s.key < hi) {
			delete_slot(m, i);
			removed++;
			if (fn)
				fn(arg, s.key, s.val);
			continue;
		}
		i++;
	}
	return removed;
}

void idmap_foreach(const struct idmap *m, void (*fn)(void *arg, uint64_t key, void *val), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].val)
			fn(arg, m->slots[i].key, m->slots[i].val);
}
