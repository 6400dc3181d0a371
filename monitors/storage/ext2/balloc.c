/*
 * balloc.c - block and inode allocation: the per-group bitmaps, the free
 * counts in the group descriptors and the superblock totals, kept in step.
 */
#include <string.h>
#include "ext2_priv.h"

/* First clear bit in [from, to) of a bitmap, or -1. */
static int64_t find_zero(const uint8_t *map, uint32_t from, uint32_t to)
{
	uint32_t i = from;

	while (i < to) {
		if ((i & 7) == 0 && map[i >> 3] == 0xff) {
			i += 8;
			continue;
		}
		if (!(map[i >> 3] & (1u << (i & 7))))
			return i;
		i++;
	}
	return -1;
}

static uint32_t group_blocks(const struct ext2_fs *fs, uint32_t g)
{
	uint32_t start = fs->first_data_block + g * fs->bpg;
	uint32_t left = fs->blocks_count - start;

	return left < fs->bpg ? left : fs->bpg;
}

static void count_blocks(struct ext2_fs *fs, uint32_t g, int delta)
{
	fs->gd[g].bg_free_blocks_count = (uint16_t)(fs->gd[g].bg_free_blocks_count + delta);
	fs->sb.s_free_blocks_count += (uint32_t)delta;
	fs->gd_dirty = fs->sb_dirty = true;
}

int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *blk)
{
	uint32_t g0 = 0;

	if (fs->rdonly)
		return -EROFS;
	if (ext2_blk_in_fs(fs, goal))
		g0 = (goal - fs->first_data_block) / fs->bpg;
	for (uint32_t i = 0; i < fs->ngroups; i++) {
		uint32_t g = (g0 + i) % fs->ngroups;
		uint32_t start = fs->first_data_block + g * fs->bpg;
		uint32_t n = group_blocks(fs, g), from = 0;
		struct bbuf *b;
		int64_t bit;
		int rc;

		if (fs->gd[g].bg_free_blocks_count == 0)
			continue;
		if (i == 0 && goal >= start && goal - start < n)
			from = goal - start;
		rc = bcache_get(&fs->bc, fs->gd[g].bg_block_bitmap, &b);
		if (rc < 0)
			return rc;
		bit = find_zero(b->data, from, n);
		if (bit < 0)
			bit = find_zero(b->data, 0, from);
		if (bit < 0) {
			bcache_put(&fs->bc, b);
			fs->gd[g].bg_free_blocks_count = 0;
			fs->gd_dirty = true;
			ext2_corrupt(fs, "group %u: block bitmap full but %u blocks counted free",
				     g, fs->gd[g].bg_free_blocks_count, 0);
			continue;
		}
		if (ext2_blk_is_meta(fs, start + (uint32_t)bit)) {
			bcache_put(&fs->bc, b);
			return ext2_corrupt(fs, "group %u: metadata block %u marked free",
					    g, start + (uint32_t)bit, 0);
		}
		b->data[bit >> 3] |= (uint8_t)(1u << (bit & 7));
		bcache_dirty(&fs->bc, b, BC_BITMAP);
		bcache_put(&fs->bc, b);
		count_blocks(fs, g, -1);
		*blk = start + (uint32_t)bit;
		return 0;
	}
	return -ENOSPC;
}

int ext2_free_block(struct ext2_fs *fs, uint32_t blk)
{
	uint32_t g, bit;
	struct bbuf *b;
	int rc;

	if (ext2_blk_is_meta(fs, blk))
		return ext2_corrupt(fs, "freeing metadata or out-of-range block %u", blk, 0, 0);
	g = (blk - fs->first_data_block) / fs->bpg;
	bit = blk - fs->first_data_block - g * fs->bpg;
	rc = bcache_get(&fs->bc, fs->gd[g].bg_block_bitmap, &b);
	if (rc < 0)
		return rc;
	if (!(b->data[bit >> 3] & (1u << (bit & 7)))) {
		bcache_put(&fs->bc, b);
		return ext2_corrupt(fs, "freeing free block %u", blk, 0, 0);
	}
	b->data[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
	bcache_dirty(&fs->bc, b, BC_BITMAP);
	bcache_put(&fs->bc, b);
	bcache_forget(&fs->bc, blk);
	count_blocks(fs, g, 1);
	return 0;
}

static void count_inodes(struct ext2_fs *fs, uint32_t g, int delta, bool is_dir)
{
	fs->gd[g].bg_free_inodes_count = (uint16_t)(fs->gd[g].bg_free_inodes_count + delta);
	fs->sb.s_free_inodes_count += (uint32_t)delta;
	if (is_dir)
		fs->gd[g].bg_used_dirs_count = (uint16_t)(fs->gd[g].bg_used_dirs_count - delta);
	fs->gd_dirty = fs->sb_dirty = true;
}

/* Spread directories: the group with free inodes and the most free blocks. */
static uint32_t dir_group(const struct ext2_fs *fs, uint32_t pg)
{
	uint32_t best = pg;
	uint32_t avg = fs->sb.s_free_inodes_count / fs->ngroups;

	for (uint32_t i = 0; i < fs->ngroups; i++) {
		uint32_t g = (pg + i) % fs->ngroups;
		const struct ext2_group_desc *d = &fs->gd[g];

		if (d->bg_free_inodes_count == 0 || d->bg_free_inodes_count < avg)
			continue;
		if (fs->gd[best].bg_free_inodes_count == 0 ||
		    d->bg_free_blocks_count > fs->gd[best].bg_free_blocks_count)
			best = g;
	}
	return best;
}

int ext2_alloc_inode(struct ext2_fs *fs, ext2_ino_t parent, bool is_dir, ext2_ino_t *ino)
{
	uint32_t g0 = 0;

	if (fs->rdonly)
		return -EROFS;
	if (parent >= 1 && parent <= fs->inodes_count)
		g0 = (parent - 1) / fs->ipg;
	if (is_dir)
		g0 = dir_group(fs, g0);
	for (uint32_t i = 0; i < fs->ngroups; i++) {
		uint32_t g = (g0 + i) % fs->ngroups;
		uint32_t from = 0;
		struct bbuf *b;
		int64_t bit;
		int rc;

		if (fs->gd[g].bg_free_inodes_count == 0)
			continue;
		if (g == 0)
			from = fs->first_ino - 1; /* reserved inodes are never handed out */
		if (from >= fs->ipg)
			continue;
		rc = bcache_get(&fs->bc, fs->gd[g].bg_inode_bitmap, &b);
		if (rc < 0)
			return rc;
		bit = find_zero(b->data, from, fs->ipg);
		if (bit < 0) {
			bcache_put(&fs->bc, b);
			fs->gd[g].bg_free_inodes_count = 0;
			fs->gd_dirty = true;
			ext2_corrupt(fs, "group %u: inode bitmap full but inodes counted free", g, 0, 0);
			continue;
		}
		b->data[bit >> 3] |= (uint8_t)(1u << (bit & 7));
		bcache_dirty(&fs->bc, b, BC_BITMAP);
		bcache_put(&fs->bc, b);
		count_inodes(fs, g, -1, is_dir);
		*ino = g * fs->ipg + (uint32_t)bit + 1;
		return 0;
	}
	return -ENOSPC;
}

int ext2_free_inode(struct ext2_fs *fs, ext2_ino_t ino, bool is_dir)
{
	uint32_t g, bit;
	struct bbuf *b;
	int rc;

	if (ino < fs->first_ino || ino > fs->inodes_count)
		return ext2_corrupt(fs, "freeing reserved or out-of-range inode %u", ino, 0, 0);
	g = (ino - 1) / fs->ipg;
	bit = (ino - 1) % fs->ipg;
	rc = bcache_get(&fs->bc, fs->gd[g].bg_inode_bitmap, &b);
	if (rc < 0)
		return rc;
	if (!(b->data[bit >> 3] & (1u << (bit & 7)))) {
		bcache_put(&fs->bc, b);
		return ext2_corrupt(fs, "freeing free inode %u", ino, 0, 0);
	}
	b->data[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
	bcache_dirty(&fs->bc, b, BC_BITMAP);
	bcache_put(&fs->bc, b);
	if (is_dir && fs->gd[g].bg_used_dirs_count == 0)
		is_dir = false;
	count_inodes(fs, g, 1, is_dir);
	return 0;
}
