/*
 * super.c - mounting ext2: superblock and group-descriptor validation,
 * feature policy, write-back of the superblock and descriptors, sync,
 * statfs, counters and the library's log formatter.
 *
 * Crash safety. The guarantee: after a crash at any moment (kill -9 of the
 * storage node: every write the device completed is on disk, nothing
 * else), e2fsck -p repairs the file system without asking, and everything
 * written before a completed fsync/sync reads back intact. The only
 * exception is a directory renamed into a different directory block
 * (normally: into another directory): a crash inside that rename can leave
 * the directory with two names, which needs e2fsck -y.
 * What e2fsck -p may find: blocks and inodes marked in use that nothing
 * references, free counts in descriptors and superblock that are stale,
 * link counts one too high (never too low), sizes or i_blocks behind the
 * blocks mapped, and entries naming deleted inodes (an interrupted create
 * or unlink: the name is dropped).
 * How:
 *  - Dirty blocks are written in class order (bcache.h): file data, then
 *    bitmaps, then indirect blocks, then inodes, then directories, then
 *    descriptors and superblock. When a pointer reaches the disk, what it
 *    points at is there already: bitmap bit before inode, inode before the
 *    entry naming it, data before the indirect block or inode mapping it.
 *  - New indirect and directory blocks are written zeroed/initialised the
 *    moment they are allocated, before anything can point at them.
 *  - A new inode is written "deleted" (no links, dtime set) until its entry
 *    is on disk (an ordering point, ext2_barrier), then made live: e2fsck -p
 *    clears an unattached inode only when it looks deleted or empty.
 *  - Deleting marks the inode deleted in the same write-back as the entry's
 *    removal, which puts the inode on disk first, and frees its blocks and
 *    bitmap bit only after an ordering point. Link counts drop only after the entry is gone on disk
 *    and rise before a new entry is written.
 *  - Renames write the new name, then (ordering point) remove the old one,
 *    unless both are in one block and go to disk in one write.
 * fsync/sync write the whole cache in order, then flush the device.
 */
#include <stdlib.h>
#include <string.h>
#include "ext2_priv.h"

/* ---- logging ------------------------------------------------------------ */

static size_t put_num(char *out, size_t room, uint64_t v, unsigned base)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		unsigned d = (unsigned)(v % base);
		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v && n < sizeof(tmp));
	for (i = 0; i < n && i < room; i++)
		out[i] = tmp[n - 1 - i];
	return i;
}

void ext2_logf(struct ext2_fs *fs, int level, const char *fmt,
	       uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t args[3] = { a, b, c };
	unsigned argi = 0;
	size_t n, room = sizeof(fs->msg) - 1;

	if (!fs->ops->log)
		return;
	memcpy(fs->msg, "ext2: ", 6);
	n = 6;
	for (const char *p = fmt; *p && n < room; p++) {
		if (p[0] == '%' && (p[1] == 'u' || p[1] == 'x') && argi < 3) {
			n += put_num(fs->msg + n, room - n, args[argi++], p[1] == 'u' ? 10 : 16);
			p++;
		} else {
			fs->msg[n++] = *p;
		}
	}
	fs->msg[n] = '\0';
	fs->ops->log(fs->ctx, level, fs->msg);
}

int ext2_corrupt(struct ext2_fs *fs, const char *fmt, uint64_t a, uint64_t b, uint64_t c)
{
	fs->stats.corruptions++;
	if (!fs->rdonly && !(fs->sb.s_state & EXT2_ERROR_FS)) {
		/* Like Linux: flag the fs so the next e2fsck checks it. */
		fs->sb.s_state |= EXT2_ERROR_FS;
		fs->sb_dirty = true;
	}
	ext2_logf(fs, EXT2_LOG_ERR, fmt, a, b, c);
	return -EUCLEAN;
}

uint32_t ext2_now(struct ext2_fs *fs)
{
	return fs->ops->now ? fs->ops->now(fs->ctx) : 0;
}

/* ---- geometry ----------------------------------------------------------- */

bool ext2_blk_in_fs(const struct ext2_fs *fs, uint64_t blk)
{
	return blk >= fs->first_data_block && blk < fs->blocks_count;
}

static bool is_power_of(uint32_t n, uint32_t base)
{
	while (n > 1 && n % base == 0)
		n /= base;
	return n == 1;
}

bool ext2_group_has_super(const struct ext2_fs *fs, uint32_t group)
{
	if (group <= 1 || !fs->sparse_super)
		return true;
	if (!(group & 1))
		return false;
	return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

bool ext2_blk_is_meta(const struct ext2_fs *fs, uint32_t blk)
{
	uint32_t g, start;
	const struct ext2_group_desc *d;

	if (!ext2_blk_in_fs(fs, blk))
		return true;
	g = (blk - fs->first_data_block) / fs->bpg;
	start = fs->first_data_block + g * fs->bpg;
	if (ext2_group_has_super(fs, g) &&
	    blk < start + 1 + fs->gdt_blocks + fs->reserved_gdt)
		return true;
	d = &fs->gd[g];
	if (blk == d->bg_block_bitmap || blk == d->bg_inode_bitmap)
		return true;
	return blk >= d->bg_inode_table && blk < d->bg_inode_table + fs->itable_blocks;
}

bool ext2_blk_ok(const struct ext2_fs *fs, uint32_t blk)
{
	return !ext2_blk_is_meta(fs, blk);
}

/* ---- superblock validation ---------------------------------------------- */

static int bad_super(struct ext2_fs *fs, const char *what, uint64_t a, uint64_t b)
{
	ext2_logf(fs, EXT2_LOG_ERR, what, a, b, 0);
	return -EINVAL;
}

static int check_super(struct ext2_fs *fs, const struct ext2_mount_opts *o)
{
	const struct ext2_super *s = &fs->sb;
	uint32_t incompat = 0, ro_compat = 0;

	if (s->s_magic != EXT2_SUPER_MAGIC)
		return bad_super(fs, "bad magic %x", s->s_magic, 0);
	if (s->s_rev_level > EXT2_DYNAMIC_REV)
		return bad_super(fs, "unsupported revision %u", s->s_rev_level, 0);
	if (s->s_log_block_size > EXT2_MAX_LOG_BLOCK - EXT2_MIN_LOG_BLOCK)
		return bad_super(fs, "unsupported block size 1024<<%u", s->s_log_block_size, 0);
	fs->log_block_size = EXT2_MIN_LOG_BLOCK + s->s_log_block_size;
	fs->block_size = 1u << fs->log_block_size;
	fs->spb = fs->block_size / EXT2_SECTOR_SIZE;
	fs->apb = fs->block_size / 4;

	if (s->s_rev_level == EXT2_GOOD_OLD_REV) {
		fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
	} else {
		fs->inode_size = s->s_inode_size;
		fs->first_ino = s->s_first_ino;
		incompat = s->s_feature_incompat;
		ro_compat = s->s_feature_ro_compat;
		if (incompat & ~EXT2_INCOMPAT_SUPPORTED) {
			return bad_super(fs, "unsupported incompatible features %x",
					 incompat & ~EXT2_INCOMPAT_SUPPORTED, 0);
		}
		if (ro_compat & ~EXT2_RO_COMPAT_SUPPORTED) {
			ext2_logf(fs, EXT2_LOG_WARN,
				  "unknown read-only-compatible features %x: mounting read-only",
				  ro_compat & ~EXT2_RO_COMPAT_SUPPORTED, 0, 0);
			fs->rdonly = true;
		}
	}
	fs->filetype = incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	fs->sparse_super = ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER;

	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
	    (fs->inode_size & (fs->inode_size - 1)))
		return bad_super(fs, "bad inode size %u", fs->inode_size, 0);
	fs->blocks_count = s->s_blocks_count;
	fs->first_data_block = s->s_first_data_block;
	if (fs->first_data_block != (fs->block_size == 1024 ? 1u : 0u))
		return bad_super(fs, "bad first data block %u", fs->first_data_block, 0);
	if (fs->blocks_count <= fs->first_data_block + 2)
		return bad_super(fs, "bad block count %u", fs->blocks_count, 0);
	if (o->dev_sectors && (uint64_t)fs->blocks_count * fs->spb > o->dev_sectors)
		return bad_super(fs, "%u blocks do not fit the device (%u sectors)",
				 fs->blocks_count, o->dev_sectors);
	fs->bpg = s->s_blocks_per_group;
	if (fs->bpg == 0 || fs->bpg > 8 * fs->block_size || fs->bpg % 8)
		return bad_super(fs, "bad blocks per group %u", fs->bpg, 0);
	fs->ipg = s->s_inodes_per_group;
	if (fs->ipg == 0 || fs->ipg > 8 * fs->block_size)
		return bad_super(fs, "bad inodes per group %u", fs->ipg, 0);
	fs->itable_blocks = (uint32_t)(((uint64_t)fs->ipg * fs->inode_size + fs->block_size - 1)
				       / fs->block_size);
	if (fs->itable_blocks >= fs->bpg)
		return bad_super(fs, "inode table (%u blocks) larger than a group", fs->itable_blocks, 0);
	fs->ngroups = (fs->blocks_count - fs->first_data_block + fs->bpg - 1) / fs->bpg;
	fs->inodes_count = s->s_inodes_count;
	if ((uint64_t)fs->ipg * fs->ngroups != fs->inodes_count)
		return bad_super(fs, "inode count %u does not match %u groups",
				 fs->inodes_count, fs->ngroups);
	if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO || fs->first_ino >= fs->inodes_count)
		return bad_super(fs, "bad first inode %u", fs->first_ino, 0);
	fs->gdt_blocks = (uint32_t)(((uint64_t)fs->ngroups * sizeof(struct ext2_group_desc)
				     + fs->block_size - 1) / fs->block_size);
	fs->reserved_gdt = 0;
	if (s->s_rev_level >= EXT2_DYNAMIC_REV && (s->s_feature_compat & 0x0010u))
		fs->reserved_gdt = s->s_reserved_gdt_blocks;
	if (fs->reserved_gdt > fs->apb)
		return bad_super(fs, "bad reserved GDT block count %u", fs->reserved_gdt, 0);
	if ((uint64_t)fs->first_data_block + 1 + fs->gdt_blocks + fs->reserved_gdt +
	    2 + fs->itable_blocks > fs->blocks_count ||
	    1 + fs->gdt_blocks + fs->reserved_gdt + 2 + fs->itable_blocks > fs->bpg)
		return bad_super(fs, "group descriptor table (%u blocks) does not fit", fs->gdt_blocks, 0);
	if (s->s_r_blocks_count > fs->blocks_count)
		return bad_super(fs, "bad reserved block count %u", s->s_r_blocks_count, 0);
	if (s->s_state & EXT2_ERROR_FS)
		ext2_logf(fs, EXT2_LOG_WARN, "file system has errors; run e2fsck", 0, 0, 0);
	else if (!(s->s_state & EXT2_VALID_FS))
		ext2_logf(fs, EXT2_LOG_WARN, "file system was not cleanly unmounted", 0, 0, 0);

	{
		/* The largest size the block map and 32-bit i_blocks can hold. */
		uint64_t apb = fs->apb;
		uint64_t tree = EXT2_NDIR_BLOCKS + apb + apb * apb + apb * apb * apb;
		uint64_t meta = 3 + 2 * apb + apb * apb;
		uint64_t by_iblocks = 0xffffffffull / fs->spb - meta;

		fs->max_file_size = (tree < by_iblocks ? tree : by_iblocks) << fs->log_block_size;
		if (s->s_rev_level == EXT2_GOOD_OLD_REV && fs->max_file_size > 0x7fffffffull)
			fs->max_file_size = 0x7fffffffull;
	}
	return 0;
}

static int check_groups(struct ext2_fs *fs)
{
	uint64_t free_blocks = 0, free_inodes = 0;

	for (uint32_t g = 0; g < fs->ngroups; g++) {
		const struct ext2_group_desc *d = &fs->gd[g];
		uint32_t start = fs->first_data_block + g * fs->bpg;
		uint32_t end = start + fs->bpg;
		uint32_t meta_end = start;

		if (end > fs->blocks_count || end < start)
			end = fs->blocks_count;
		if (ext2_group_has_super(fs, g))
			meta_end = start + 1 + fs->gdt_blocks + fs->reserved_gdt;
		if (d->bg_block_bitmap < meta_end || d->bg_block_bitmap >= end ||
		    d->bg_inode_bitmap < meta_end || d->bg_inode_bitmap >= end ||
		    d->bg_block_bitmap == d->bg_inode_bitmap ||
		    d->bg_inode_table < meta_end ||
		    (uint64_t)d->bg_inode_table + fs->itable_blocks > end ||
		    (d->bg_block_bitmap >= d->bg_inode_table &&
		     d->bg_block_bitmap < d->bg_inode_table + fs->itable_blocks) ||
		    (d->bg_inode_bitmap >= d->bg_inode_table &&
		     d->bg_inode_bitmap < d->bg_inode_table + fs->itable_blocks))
			return bad_super(fs, "group %u: metadata outside the group (bitmap %u)",
					 g, d->bg_block_bitmap);
		if (d->bg_free_blocks_count > end - start || d->bg_free_inodes_count > fs->ipg ||
		    d->bg_used_dirs_count > fs->ipg)
			return bad_super(fs, "group %u: bad free counts (%u blocks)",
					 g, d->bg_free_blocks_count);
		free_blocks += d->bg_free_blocks_count;
		free_inodes += d->bg_free_inodes_count;
	}
	/* The superblock totals are a summary; the descriptors are the truth. */
	fs->sb.s_free_blocks_count = (uint32_t)free_blocks;
	fs->sb.s_free_inodes_count = (uint32_t)free_inodes;
	return 0;
}

/* ---- writing the superblock and descriptors ------------------------------ */

static int stage_bytes(struct ext2_fs *fs, uint32_t blk, uint32_t off,
		       const void *src, uint32_t len)
{
	struct bbuf *b;
	int rc = bcache_get(&fs->bc, blk, &b);

	if (rc < 0)
		return rc;
	if (memcmp(b->data + off, src, len)) {
		memcpy(b->data + off, src, len);
		bcache_dirty(&fs->bc, b, BC_SUPER);
	}
	bcache_put(&fs->bc, b);
	return 0;
}

int ext2_stage_super(struct ext2_fs *fs)
{
	int rc;

	if (fs->rdonly)
		return 0;
	if (fs->gd_dirty) {
		size_t total = (size_t)fs->ngroups * sizeof(struct ext2_group_desc);
		const uint8_t *src = (const uint8_t *)fs->gd;

		for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
			size_t off = (size_t)i * fs->block_size;
			size_t len = total - off < fs->block_size ? total - off : fs->block_size;

			rc = stage_bytes(fs, fs->first_data_block + 1 + i, 0, src + off, (uint32_t)len);
			if (rc < 0)
				return rc;
		}
		fs->gd_dirty = false;
	}
	if (fs->sb_dirty) {
		fs->sb.s_wtime = ext2_now(fs);
		rc = stage_bytes(fs, EXT2_SUPER_OFFSET / fs->block_size,
				 EXT2_SUPER_OFFSET % fs->block_size, &fs->sb, sizeof(fs->sb));
		if (rc < 0)
			return rc;
		fs->sb_dirty = false;
	}
	return 0;
}

static int dev_flush(struct ext2_fs *fs)
{
	int rc;

	if (!fs->ops->flush)
		return 0;
	fs->stats.dev_flushes++;
	rc = fs->ops->flush(fs->ctx);
	if (rc < 0) {
		fs->stats.io_errors++;
		ext2_logf(fs, EXT2_LOG_ERR, "device flush failed (%u)", (uint64_t)-rc, 0, 0);
		return -EIO;
	}
	return 0;
}

int ext2_barrier(struct ext2_fs *fs)
{
	int rc;

	if (fs->rdonly)
		return 0;
	fs->stats.barriers++;
	rc = ext2_stage_super(fs);
	if (rc == 0)
		rc = bcache_writeback(&fs->bc);
	if (rc == 0 && (fs->flags & EXT2_MOUNT_BARRIER_FLUSH))
		rc = dev_flush(fs);
	if (rc < 0)
		ext2_logf(fs, EXT2_LOG_ERR, "write-back failed (%u)", (uint64_t)-rc, 0, 0);
	return rc;
}

int ext2_sync(struct ext2_fs *fs)
{
	int rc;

	if (fs->rdonly)
		return 0;
	rc = ext2_stage_super(fs);
	if (rc == 0)
		rc = bcache_writeback(&fs->bc);
	if (rc == 0)
		rc = dev_flush(fs);
	return rc;
}

int ext2_fsync(struct ext2_fs *fs, ext2_ino_t ino)
{
	struct ext2_inode in;
	int rc = ext2_iget(fs, ino, &in);

	if (rc < 0)
		return rc;
	return ext2_sync(fs);
}

/* ---- mount / unmount ------------------------------------------------------ */

static int read_descriptors(struct ext2_fs *fs)
{
	size_t total = (size_t)fs->ngroups * sizeof(struct ext2_group_desc);
	uint8_t *dst;

	fs->gd = malloc(total);
	if (!fs->gd)
		return -ENOMEM;
	dst = (uint8_t *)fs->gd;
	for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
		size_t off = (size_t)i * fs->block_size;
		size_t len = total - off < fs->block_size ? total - off : fs->block_size;
		struct bbuf *b;
		int rc = bcache_get(&fs->bc, fs->first_data_block + 1 + i, &b);

		if (rc < 0)
			return rc;
		memcpy(dst + off, b->data, len);
		bcache_put(&fs->bc, b);
	}
	return 0;
}

static void fs_free(struct ext2_fs *fs)
{
	bcache_destroy(&fs->bc);
	free(fs->gd);
	free(fs);
}

int ext2_mount(const struct ext2_blkdev_ops *ops, void *ctx,
	       const struct ext2_mount_opts *opts, struct ext2_fs **out)
{
	struct ext2_mount_opts defaults = { 0, 0, 0 };
	struct ext2_fs *fs;
	uint32_t cap;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!ops || !ops->read || (!ops->write && !(opts->flags & EXT2_MOUNT_RDONLY)))
		return -EINVAL;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->ops = ops;
	fs->ctx = ctx;
	fs->flags = opts->flags;
	fs->rdonly = (opts->flags & EXT2_MOUNT_RDONLY) || !ops->write;

	rc = ops->read(ctx, EXT2_SUPER_OFFSET / EXT2_SECTOR_SIZE, &fs->sb,
		       EXT2_SUPER_SIZE / EXT2_SECTOR_SIZE);
	if (rc < 0) {
		fs->stats.io_errors++;
		ext2_logf(fs, EXT2_LOG_ERR, "cannot read the superblock", 0, 0, 0);
		rc = -EIO;
		goto fail;
	}
	rc = check_super(fs, opts);
	if (rc < 0)
		goto fail;
	cap = opts->cache_blocks ? opts->cache_blocks : EXT2_CACHE_DEFAULT_BLOCKS;
	if (cap < EXT2_CACHE_MIN_BLOCKS)
		cap = EXT2_CACHE_MIN_BLOCKS;
	rc = bcache_init(&fs->bc, ops, ctx, fs->block_size, cap, &fs->stats);
	if (rc < 0)
		goto fail;
	rc = read_descriptors(fs);
	if (rc < 0)
		goto fail;
	rc = check_groups(fs);
	if (rc < 0)
		goto fail;
	fs->next_generation = ext2_now(fs) * 2654435761u ^ fs->sb.s_wtime ^ fs->sb.s_mnt_count;
	if (!fs->rdonly) {
		/* Mark the fs in use: a crash leaves it "not clean" for e2fsck. */
		fs->mount_state = fs->sb.s_state;
		fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
		fs->sb.s_mnt_count++;
		fs->sb.s_mtime = ext2_now(fs);
		fs->sb_dirty = true;
		fs->gd_dirty = true;
		rc = ext2_sync(fs);
		if (rc < 0)
			goto fail;
	}
	*out = fs;
	return 0;
fail:
	fs_free(fs);
	return rc;
}

int ext2_unmount(struct ext2_fs *fs)
{
	int rc = 0;

	if (!fs)
		return 0;
	if (!fs->rdonly) {
		if (fs->mount_state & EXT2_VALID_FS)
			fs->sb.s_state |= EXT2_VALID_FS;
		fs->sb_dirty = true;
		rc = ext2_sync(fs);
	}
	fs_free(fs);
	return rc;
}

bool ext2_is_readonly(const struct ext2_fs *fs)
{
	return fs->rdonly;
}

uint32_t ext2_block_size(const struct ext2_fs *fs)
{
	return fs->block_size;
}

void ext2_get_stats(const struct ext2_fs *fs, struct ext2_stats *st)
{
	*st = fs->stats;
}

int ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st)
{
	uint32_t r = fs->sb.s_r_blocks_count;

	memset(st, 0, sizeof(*st));
	st->bsize = fs->block_size;
	st->blocks = fs->blocks_count - fs->first_data_block;
	st->bfree = fs->sb.s_free_blocks_count;
	st->bavail = st->bfree > r ? st->bfree - r : 0;
	st->files = fs->inodes_count;
	st->ffree = fs->sb.s_free_inodes_count;
	st->namelen = EXT2_NAME_MAX;
	st->rdonly = fs->rdonly;
	return 0;
}
