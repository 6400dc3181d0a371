/*
 * bcache.h - a fixed-capacity, write-back LRU cache of file-system blocks.
 *
 * Dirty blocks carry a write-order class. Whenever the cache writes a dirty
 * block of class c (on eviction, write-back or flush) it first writes every
 * dirty block of a lower class, so a block on disk never points at state
 * of a lower class that is not on disk yet. ext2 uses data < bitmaps <
 * indirect blocks < inodes < directories < group descriptors/superblock.
 */
#ifndef MONITORS_STORAGE_EXT2_BCACHE_H
#define MONITORS_STORAGE_EXT2_BCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include "ext2.h"

enum bcache_class {
	BC_DATA = 0,
	BC_BITMAP,
	BC_INDIRECT,
	BC_INODE,
	BC_DIR,
	BC_SUPER,
	BC_NCLASSES
};

struct bbuf {
	uint8_t *data;        /* block_size bytes */
	uint32_t blk;
	uint32_t refs;        /* pins; a pinned buffer is never evicted */
	bool valid, dirty;
	uint8_t cls;          /* write-order class while dirty */
	struct bbuf *hnext;   /* hash chain */
	struct bbuf *prev, *next; /* LRU list, most recent at head */
	struct bbuf *dprev, *dnext; /* dirty list of its class */
};

struct bcache {
	const struct ext2_blkdev_ops *ops;
	void *ctx;
	uint32_t block_size, spb; /* bytes and sectors per block */
	uint32_t capacity, used;
	uint32_t ndirty[BC_NCLASSES];
	struct bbuf dirty[BC_NCLASSES]; /* sentinels of the per-class dirty lists */
	struct bbuf *bufs;        /* capacity entries */
	struct bbuf **hash;
	uint32_t hmask;
	struct bbuf lru;          /* sentinel */
	struct ext2_stats *stats; /* counters live in the fs */
};

int bcache_init(struct bcache *bc, const struct ext2_blkdev_ops *ops, void *ctx,
		uint32_t block_size, uint32_t capacity, struct ext2_stats *stats);
void bcache_destroy(struct bcache *bc);
/* Pin block blk, reading it from the device if it is not cached. */
int bcache_get(struct bcache *bc, uint32_t blk, struct bbuf **out);
/* Pin block blk with zeroed contents (a newly allocated block): no read. */
int bcache_get_zero(struct bcache *bc, uint32_t blk, struct bbuf **out);
void bcache_put(struct bcache *bc, struct bbuf *b);
void bcache_dirty(struct bcache *bc, struct bbuf *b, enum bcache_class cls);
/* Write one pinned block now (after lower classes); it becomes clean. */
int bcache_write_now(struct bcache *bc, struct bbuf *b);
/* Write every dirty block in class order. No device flush. */
int bcache_writeback(struct bcache *bc);
/* The cached copy of blk, or NULL; not pinned. */
struct bbuf *bcache_peek(struct bcache *bc, uint32_t blk);
/* Drop blk from the cache, discarding any unwritten contents (block freed). */
void bcache_forget(struct bcache *bc, uint32_t blk);
uint32_t bcache_dirty_count(const struct bcache *bc);

#endif
