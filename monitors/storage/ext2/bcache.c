/*
 * bcache.c - the ext2 block cache: hash lookup, LRU eviction of unpinned
 * buffers, write-back of dirty buffers in write-order classes (bcache.h).
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include "bcache.h"

static uint32_t hash_blk(const struct bcache *bc, uint32_t blk)
{
	return (blk * 2654435761u) & bc->hmask;
}

static void lru_unlink(struct bbuf *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
}

static void lru_push_head(struct bcache *bc, struct bbuf *b)
{
	b->next = bc->lru.next;
	b->prev = &bc->lru;
	bc->lru.next->prev = b;
	bc->lru.next = b;
}

static void dirty_add(struct bcache *bc, struct bbuf *b, unsigned cls)
{
	struct bbuf *head = &bc->dirty[cls];

	b->dirty = true;
	b->cls = (uint8_t)cls;
	b->dnext = head->dnext;
	b->dprev = head;
	head->dnext->dprev = b;
	head->dnext = b;
	bc->ndirty[cls]++;
}

static void dirty_del(struct bcache *bc, struct bbuf *b)
{
	b->dprev->dnext = b->dnext;
	b->dnext->dprev = b->dprev;
	b->dnext = b->dprev = NULL;
	b->dirty = false;
	bc->ndirty[b->cls]--;
}

static void lru_push_tail(struct bcache *bc, struct bbuf *b)
{
	b->prev = bc->lru.prev;
	b->next = &bc->lru;
	bc->lru.prev->next = b;
	bc->lru.prev = b;
}

int bcache_init(struct bcache *bc, const struct ext2_blkdev_ops *ops, void *ctx,
		uint32_t block_size, uint32_t capacity, struct ext2_stats *stats)
{
	uint32_t nb = 1;

	memset(bc, 0, sizeof(*bc));
	bc->ops = ops;
	bc->ctx = ctx;
	bc->block_size = block_size;
	bc->spb = block_size / EXT2_SECTOR_SIZE;
	bc->capacity = capacity;
	bc->stats = stats;
	while (nb < capacity * 2)
		nb <<= 1;
	bc->hmask = nb - 1;
	bc->bufs = calloc(capacity, sizeof(*bc->bufs));
	bc->hash = calloc(nb, sizeof(*bc->hash));
	if (!bc->bufs || !bc->hash) {
		free(bc->bufs);
		free(bc->hash);
		return -ENOMEM;
	}
	bc->lru.next = bc->lru.prev = &bc->lru;
	for (unsigned c = 0; c < BC_NCLASSES; c++)
		bc->dirty[c].dnext = bc->dirty[c].dprev = &bc->dirty[c];
	return 0;
}

void bcache_destroy(struct bcache *bc)
{
	if (!bc->bufs)
		return;
	for (uint32_t i = 0; i < bc->used; i++)
		free(bc->bufs[i].data);
	free(bc->bufs);
	free(bc->hash);
	bc->bufs = NULL;
	bc->hash = NULL;
}

struct bbuf *bcache_peek(struct bcache *bc, uint32_t blk)
{
	struct bbuf *b = bc->hash[hash_blk(bc, blk)];

	while (b && b->blk != blk)
		b = b->hnext;
	return b;
}

static void hash_remove(struct bcache *bc, struct bbuf *b)
{
	struct bbuf **pp = &bc->hash[hash_blk(bc, b->blk)];

	while (*pp && *pp != b)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = b->hnext;
	b->hnext = NULL;
}

static int dev_write(struct bcache *bc, struct bbuf *b)
{
	int rc = bc->ops->write(bc->ctx, (uint64_t)b->blk * bc->spb, b->data, bc->spb);

	if (rc < 0) {
		bc->stats->io_errors++;
		return rc > -4096 ? rc : -EIO;
	}
	bc->stats->blocks_written++;
	dirty_del(bc, b);
	return 0;
}

/* Write every dirty buffer of classes below cls, lowest class first. */
static int writeback_below(struct bcache *bc, unsigned cls)
{
	for (unsigned c = 0; c < cls; c++) {
		/* Oldest first: the list is pushed at the head. */
		while (bc->dirty[c].dprev != &bc->dirty[c]) {
			int rc = dev_write(bc, bc->dirty[c].dprev);

			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int bcache_write_now(struct bcache *bc, struct bbuf *b)
{
	int rc;

	if (!b->dirty)
		dirty_add(bc, b, BC_DATA); /* e.g. a new block, clean but unwritten */
	rc = writeback_below(bc, b->cls);
	if (rc < 0)
		return rc;
	return dev_write(bc, b);
}

int bcache_writeback(struct bcache *bc)
{
	return writeback_below(bc, BC_NCLASSES);
}

uint32_t bcache_dirty_count(const struct bcache *bc)
{
	uint32_t n = 0;

	for (unsigned c = 0; c < BC_NCLASSES; c++)
		n += bc->ndirty[c];
	return n;
}

/* A buffer to (re)use for a block not in the cache, or NULL with *err. */
static struct bbuf *grab_buffer(struct bcache *bc, int *err)
{
	struct bbuf *b;

	if (bc->used < bc->capacity) {
		b = &bc->bufs[bc->used];
		b->data = malloc(bc->block_size);
		if (!b->data) {
			*err = -ENOMEM;
			return NULL;
		}
		bc->used++;
		return b;
	}
	for (b = bc->lru.prev; b != &bc->lru; b = b->prev)
		if (b->refs == 0)
			break;
	if (b == &bc->lru) {
		*err = -ENOMEM; /* every buffer pinned: the cache is too small */
		return NULL;
	}
	if (b->dirty) {
		int rc = bcache_write_now(bc, b);

		if (rc < 0) {
			*err = rc;
			return NULL;
		}
	}
	bc->stats->cache_evictions++;
	lru_unlink(b);
	hash_remove(bc, b);
	b->valid = false;
	return b;
}

static int get(struct bcache *bc, uint32_t blk, bool zero, struct bbuf **out)
{
	struct bbuf *b = bcache_peek(bc, blk);
	int rc = 0;

	if (b) {
		bc->stats->cache_hits++;
		lru_unlink(b);
		lru_push_head(bc, b);
		if (zero)
			memset(b->data, 0, bc->block_size);
		b->refs++;
		*out = b;
		return 0;
	}
	bc->stats->cache_misses++;
	b = grab_buffer(bc, &rc);
	if (!b)
		return rc;
	if (zero) {
		memset(b->data, 0, bc->block_size);
	} else {
		rc = bc->ops->read(bc->ctx, (uint64_t)blk * bc->spb, b->data, bc->spb);
		if (rc < 0) {
			bc->stats->io_errors++;
			/* Leave the buffer unhashed at the LRU tail for reuse. */
			b->valid = false;
			b->dirty = false;
			b->refs = 0;
			lru_push_tail(bc, b);
			return rc > -4096 ? rc : -EIO;
		}
		bc->stats->blocks_read++;
	}
	b->blk = blk;
	b->valid = true;
	b->dirty = false;
	b->refs = 1;
	b->hnext = bc->hash[hash_blk(bc, blk)];
	bc->hash[hash_blk(bc, blk)] = b;
	lru_push_head(bc, b);
	*out = b;
	return 0;
}

int bcache_get(struct bcache *bc, uint32_t blk, struct bbuf **out)
{
	return get(bc, blk, false, out);
}

int bcache_get_zero(struct bcache *bc, uint32_t blk, struct bbuf **out)
{
	return get(bc, blk, true, out);
}

void bcache_put(struct bcache *bc, struct bbuf *b)
{
	if (b && b->refs)
		b->refs--;
}

void bcache_dirty(struct bcache *bc, struct bbuf *b, enum bcache_class cls)
{
	if (b->dirty) {
		if (b->cls == cls)
			return;
		dirty_del(bc, b);
	}
	dirty_add(bc, b, cls);
}

void bcache_forget(struct bcache *bc, uint32_t blk)
{
	struct bbuf *b = bcache_peek(bc, blk);

	if (!b || b->refs)
		return;
	if (b->dirty)
		dirty_del(bc, b);
	hash_remove(bc, b);
	b->valid = false;
	/* Move to the LRU tail so it is reused first. */
	lru_unlink(b);
	lru_push_tail(bc, b);
}
