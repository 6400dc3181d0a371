/*
 * inode.c - inodes: reading and writing inode slots, the block map (direct,
 * single, double, triple indirect), freeing block trees, file data I/O,
 * truncate, and the attribute calls (stat, chmod, chown, utimes).
 */
#include <stdlib.h>
#include <string.h>
#include "ext2_priv.h"

/* Direct I/O moves at most this many contiguous blocks per device call. */
#define EXT2_MAX_RUN_BLOCKS 64u
/* Reads at least this long bypass the cache for whole uncached blocks;
 * shorter ones fill it, so small files read again and again stay hot. */
#define EXT2_DIRECT_READ_BLOCKS 8u

/* ---- inode slots ----------------------------------------------------------- */

static int inode_slot(struct ext2_fs *fs, ext2_ino_t ino, uint32_t *blk, uint32_t *off)
{
	uint32_t g, idx;
	uint64_t byte;

	if (ino < 1 || ino > fs->inodes_count)
		return -EINVAL;
	g = (ino - 1) / fs->ipg;
	idx = (ino - 1) % fs->ipg;
	byte = (uint64_t)idx * fs->inode_size;
	*blk = fs->gd[g].bg_inode_table + (uint32_t)(byte >> fs->log_block_size);
	*off = (uint32_t)(byte & (fs->block_size - 1));
	return 0;
}

int ext2_iget_raw(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in)
{
	uint32_t blk, off;
	struct bbuf *b;
	int rc = inode_slot(fs, ino, &blk, &off);

	if (rc < 0)
		return rc;
	rc = bcache_get(&fs->bc, blk, &b);
	if (rc < 0)
		return rc;
	memcpy(in, b->data + off, sizeof(*in));
	bcache_put(&fs->bc, b);
	return 0;
}

static bool valid_type(uint32_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: case EXT2_S_IFDIR: case EXT2_S_IFLNK: case EXT2_S_IFCHR:
	case EXT2_S_IFBLK: case EXT2_S_IFIFO: case EXT2_S_IFSOCK:
		return true;
	default:
		return false;
	}
}

int ext2_iget(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in)
{
	int rc;

	if (ino < 1 || ino > fs->inodes_count || (ino < fs->first_ino && ino != EXT2_ROOT_INO))
		return -ESTALE;
	rc = ext2_iget_raw(fs, ino, in);
	if (rc < 0)
		return rc;
	if (in->i_links_count == 0 || in->i_mode == 0)
		return -ESTALE;
	if (!valid_type(in->i_mode))
		return ext2_corrupt(fs, "inode %u: bad mode %x", ino, in->i_mode, 0);
	if (in->i_flags & (EXT2_EXTENTS_FL | EXT2_INLINE_DATA_FL))
		return ext2_corrupt(fs, "inode %u: unsupported flags %x", ino, in->i_flags, 0);
	if (in->i_blocks / fs->spb > fs->blocks_count)
		return ext2_corrupt(fs, "inode %u: %u blocks in a smaller fs", ino,
				    in->i_blocks / fs->spb, 0);
	/* Directories have no holes: their size is bounded by their blocks,
	 * which bounds every walk over a damaged one. */
	if (EXT2_S_ISDIR(in->i_mode) && ((in->i_size & (fs->block_size - 1)) ||
					 in->i_size / fs->block_size > in->i_blocks / fs->spb))
		return ext2_corrupt(fs, "directory %u: bad size %u", ino, in->i_size, 0);
	if (EXT2_S_ISREG(in->i_mode) && ext2_isize(in) > fs->max_file_size)
		return ext2_corrupt(fs, "inode %u: size %u too large", ino, ext2_isize(in), 0);
	if (EXT2_S_ISLNK(in->i_mode) &&
	    (in->i_size == 0 || in->i_size >= fs->block_size ||
	     (ext2_is_fast_symlink(fs, in) && in->i_size >= sizeof(in->i_block))))
		return ext2_corrupt(fs, "symlink %u: bad length %u", ino, in->i_size, 0);
	return 0;
}

int ext2_iput(struct ext2_fs *fs, ext2_ino_t ino, const struct ext2_inode *in)
{
	uint32_t blk, off;
	struct bbuf *b;
	int rc;

	if (fs->rdonly)
		return -EROFS;
	rc = inode_slot(fs, ino, &blk, &off);
	if (rc < 0)
		return rc;
	rc = bcache_get(&fs->bc, blk, &b);
	if (rc < 0)
		return rc;
	memcpy(b->data + off, in, sizeof(*in));
	bcache_dirty(&fs->bc, b, BC_INODE);
	bcache_put(&fs->bc, b);
	return 0;
}

int ext2_iput_new(struct ext2_fs *fs, ext2_ino_t ino, const struct ext2_inode *in)
{
	uint32_t blk, off;
	struct bbuf *b;
	int rc;

	if (fs->rdonly)
		return -EROFS;
	rc = inode_slot(fs, ino, &blk, &off);
	if (rc < 0)
		return rc;
	rc = bcache_get(&fs->bc, blk, &b);
	if (rc < 0)
		return rc;
	memset(b->data + off, 0, fs->inode_size);
	memcpy(b->data + off, in, sizeof(*in));
	if (fs->inode_size >= EXT2_GOOD_OLD_INODE_SIZE + EXT2_INODE_EXTRA_ISIZE) {
		uint16_t extra = EXT2_INODE_EXTRA_ISIZE;

		memcpy(b->data + off + EXT2_GOOD_OLD_INODE_SIZE, &extra, sizeof(extra));
	}
	bcache_dirty(&fs->bc, b, BC_INODE);
	bcache_put(&fs->bc, b);
	return 0;
}

uint64_t ext2_isize(const struct ext2_inode *in)
{
	if (EXT2_S_ISREG(in->i_mode))
		return (uint64_t)in->i_size_high << 32 | in->i_size;
	return in->i_size;
}

void ext2_set_isize(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size)
{
	in->i_size = (uint32_t)size;
	if (EXT2_S_ISREG(in->i_mode)) {
		in->i_size_high = (uint32_t)(size >> 32);
		if (size > 0x7fffffffull && fs->sb.s_rev_level >= EXT2_DYNAMIC_REV &&
		    !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)) {
			fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
			fs->sb_dirty = true;
		}
	}
}

uint32_t ext2_iuid(const struct ext2_inode *in)
{
	return (uint32_t)in->i_uid_high << 16 | in->i_uid;
}

uint32_t ext2_igid(const struct ext2_inode *in)
{
	return (uint32_t)in->i_gid_high << 16 | in->i_gid;
}

bool ext2_is_fast_symlink(const struct ext2_fs *fs, const struct ext2_inode *in)
{
	uint32_t ea = in->i_file_acl ? fs->spb : 0;

	return EXT2_S_ISLNK(in->i_mode) && in->i_blocks == ea;
}

/* ---- the block map --------------------------------------------------------- */

/* Path through the map to lblk: slot in i_block, then one index per level. */
static int map_path(const struct ext2_fs *fs, uint64_t lblk, uint32_t off[4])
{
	uint64_t apb = fs->apb;

	if (lblk < EXT2_NDIR_BLOCKS) {
		off[0] = (uint32_t)lblk;
		return 0;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	if (lblk < apb) {
		off[0] = EXT2_IND_BLOCK;
		off[1] = (uint32_t)lblk;
		return 1;
	}
	lblk -= apb;
	if (lblk < apb * apb) {
		off[0] = EXT2_DIND_BLOCK;
		off[1] = (uint32_t)(lblk / apb);
		off[2] = (uint32_t)(lblk % apb);
		return 2;
	}
	lblk -= apb * apb;
	if (lblk < apb * apb * apb) {
		off[0] = EXT2_TIND_BLOCK;
		off[1] = (uint32_t)(lblk / (apb * apb));
		off[2] = (uint32_t)(lblk / apb % apb);
		off[3] = (uint32_t)(lblk % apb);
		return 3;
	}
	return -EFBIG;
}

/* Where to look for a free block next to the slot being filled. */
static uint32_t alloc_goal(struct ext2_fs *fs, ext2_ino_t ino, const struct ext2_inode *in,
			   const struct bbuf *parent, uint32_t idx)
{
	if (parent) {
		const uint32_t *p = (const uint32_t *)parent->data;

		for (uint32_t i = idx; i-- > 0 && idx - i < 16;)
			if (p[i])
				return p[i] + 1;
		return parent->blk + 1;
	}
	for (uint32_t i = idx; i-- > 0;)
		if (in->i_block[i])
			return in->i_block[i] + 1;
	return fs->first_data_block + (ino - 1) / fs->ipg * fs->bpg;
}

int ext2_bmap(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in,
	      uint64_t lblk, bool create, uint32_t *pblk, bool *fresh)
{
	uint32_t off[4];
	struct bbuf *parent = NULL;
	uint32_t blk;
	int depth = map_path(fs, lblk, off);
	int rc = 0;

	if (fresh)
		*fresh = false;
	if (depth < 0)
		return depth;
	blk = in->i_block[off[0]];
	for (int level = 0;; level++) {
		uint32_t idx = off[level];

		if (blk == 0) {
			uint32_t nb;

			if (!create) {
				*pblk = 0;
				goto out;
			}
			if ((uint64_t)in->i_blocks + fs->spb > 0xffffffffull) {
				rc = -EFBIG;
				goto out;
			}
			rc = ext2_alloc_block(fs, alloc_goal(fs, ino, in, parent, idx), &nb);
			if (rc < 0)
				goto out;
			if (level < depth) {
				/* A new indirect block reaches the disk zeroed before
				 * anything points at it. */
				struct bbuf *z;

				rc = bcache_get_zero(&fs->bc, nb, &z);
				if (rc == 0) {
					rc = bcache_write_now(&fs->bc, z);
					bcache_put(&fs->bc, z);
				}
				if (rc < 0) {
					ext2_free_block(fs, nb);
					goto out;
				}
			} else if (fresh) {
				*fresh = true;
			}
			if (parent) {
				((uint32_t *)parent->data)[idx] = nb;
				bcache_dirty(&fs->bc, parent, BC_INDIRECT);
			} else {
				in->i_block[idx] = nb;
			}
			in->i_blocks += fs->spb;
			blk = nb;
		} else if (!ext2_blk_ok(fs, blk)) {
			rc = ext2_corrupt(fs, "inode %u: bad block pointer %u (level %u)",
					  ino, blk, (uint64_t)level);
			goto out;
		}
		if (level == depth)
			break;
		if (parent)
			bcache_put(&fs->bc, parent);
		parent = NULL;
		rc = bcache_get(&fs->bc, blk, &parent);
		if (rc < 0)
			goto out;
		blk = ((uint32_t *)parent->data)[off[level + 1]];
	}
	*pblk = blk;
out:
	if (parent)
		bcache_put(&fs->bc, parent);
	return rc;
}

/* ---- freeing block trees ----------------------------------------------------- */

void ext2_freelist_init(struct ext2_freelist *fl)
{
	memset(fl, 0, sizeof(*fl));
}

void ext2_freelist_done(struct ext2_freelist *fl)
{
	free(fl->blk);
	memset(fl, 0, sizeof(*fl));
}

struct detach {
	struct ext2_fs *fs;
	ext2_ino_t ino;
	struct ext2_freelist *fl;
	size_t budget;     /* blocks the inode claims to own: bounds the walk */
};

static int fl_add(struct detach *d, uint32_t blk)
{
	struct ext2_freelist *fl = d->fl;

	if (fl->n >= d->budget)
		return ext2_corrupt(d->fs, "inode %u: block tree larger than i_blocks (%u)",
				    d->ino, d->budget, 0);
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 64;
		uint32_t *p = realloc(fl->blk, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		fl->blk = p;
		fl->cap = cap;
	}
	fl->blk[fl->n++] = blk;
	return 0;
}

/* A pointer found in the tree: usable, or logged and skipped. */
static bool ptr_ok(struct detach *d, uint32_t blk)
{
	if (ext2_blk_ok(d->fs, blk))
		return true;
	ext2_corrupt(d->fs, "inode %u: bad block pointer %u while freeing", d->ino, blk, 0);
	return false;
}

/* Collect a whole subtree of depth dep (1: its entries are data blocks). */
static int collect_all(struct detach *d, uint32_t blk, int dep)
{
	struct bbuf *b;
	int rc = bcache_get(&d->fs->bc, blk, &b);

	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < d->fs->apb && rc == 0; i++) {
		uint32_t e = ((uint32_t *)b->data)[i];

		if (!e || !ptr_ok(d, e))
			continue;
		rc = dep == 1 ? fl_add(d, e) : collect_all(d, e, dep - 1);
	}
	bcache_put(&d->fs->bc, b);
	return rc ? rc : fl_add(d, blk);
}

/* Collect the part of a subtree at or past relative block keep. */
static int collect_tail(struct detach *d, uint32_t blk, int dep, uint64_t keep)
{
	uint64_t span = 1;
	struct bbuf *b;
	int rc;

	for (int i = 1; i < dep; i++)
		span *= d->fs->apb;
	rc = bcache_get(&d->fs->bc, blk, &b);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < d->fs->apb && rc == 0; i++) {
		uint32_t *slot = &((uint32_t *)b->data)[i];
		uint64_t start = i * span;

		if (!*slot || start + span <= keep)
			continue;
		if (!ptr_ok(d, *slot)) {
			*slot = 0;
			bcache_dirty(&d->fs->bc, b, BC_INDIRECT);
			continue;
		}
		if (start >= keep) {
			rc = dep == 1 ? fl_add(d, *slot) : collect_all(d, *slot, dep - 1);
			if (rc == 0) {
				*slot = 0;
				bcache_dirty(&d->fs->bc, b, BC_INDIRECT);
			}
		} else {
			rc = collect_tail(d, *slot, dep - 1, keep - start);
		}
	}
	bcache_put(&d->fs->bc, b);
	return rc;
}

int ext2_detach_blocks(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in,
		       uint64_t new_size, struct ext2_freelist *fl)
{
	uint64_t keep = (new_size + fs->block_size - 1) >> fs->log_block_size;
	uint64_t base = EXT2_NDIR_BLOCKS, span = 1;
	uint32_t xattr = in->i_file_acl ? fs->spb : 0;
	struct detach d = { fs, ino, fl, in->i_blocks / fs->spb + 1 };
	size_t before = fl->n;
	int rc = 0;

	for (uint32_t i = 0; i < EXT2_NDIR_BLOCKS; i++) {
		if (i < keep || !in->i_block[i])
			continue;
		if (ptr_ok(&d, in->i_block[i]))
			rc = fl_add(&d, in->i_block[i]);
		if (rc < 0)
			goto out;
		in->i_block[i] = 0;
	}
	for (int dep = 1; dep <= 3; dep++) {
		uint32_t *slot = &in->i_block[EXT2_IND_BLOCK + dep - 1];

		span *= fs->apb;
		if (*slot && keep < base + span) {
			if (!ptr_ok(&d, *slot)) {
				*slot = 0;
			} else if (keep <= base) {
				rc = collect_all(&d, *slot, dep);
				if (rc < 0)
					goto out;
				*slot = 0;
			} else {
				rc = collect_tail(&d, *slot, dep, keep - base);
				if (rc < 0)
					goto out;
			}
		}
		base += span;
	}
out:
	{
		uint64_t freed = (uint64_t)(fl->n - before) * fs->spb;

		in->i_blocks = in->i_blocks > freed ? in->i_blocks - (uint32_t)freed : 0;
		if (keep == 0 || in->i_blocks < xattr)
			in->i_blocks = xattr;
	}
	return rc;
}

int ext2_release_blocks(struct ext2_fs *fs, struct ext2_freelist *fl)
{
	int rc = 0;

	for (size_t i = 0; i < fl->n; i++) {
		int r = ext2_free_block(fs, fl->blk[i]);

		if (r < 0 && r != -EUCLEAN && rc == 0)
			rc = r;
	}
	fl->n = 0;
	return rc;
}

int ext2_release_xattr(struct ext2_fs *fs, uint32_t blk)
{
	struct bbuf *b;
	uint32_t magic, refs;
	int rc;

	if (!ext2_blk_ok(fs, blk))
		return ext2_corrupt(fs, "bad extended-attribute block %u", blk, 0, 0);
	rc = bcache_get(&fs->bc, blk, &b);
	if (rc < 0)
		return rc;
	memcpy(&magic, b->data, 4);
	memcpy(&refs, b->data + 4, 4);
	if (magic != EXT2_XATTR_MAGIC) {
		bcache_put(&fs->bc, b);
		return ext2_corrupt(fs, "extended-attribute block %u: bad magic %x", blk, magic, 0);
	}
	if (refs > 1) {
		refs--;
		memcpy(b->data + 4, &refs, 4);
		bcache_dirty(&fs->bc, b, BC_INDIRECT);
		bcache_put(&fs->bc, b);
		return 0;
	}
	bcache_put(&fs->bc, b);
	return ext2_free_block(fs, blk);
}

/* ---- file data ---------------------------------------------------------------- */

static int get_reg(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in)
{
	int rc = ext2_iget(fs, ino, in);

	if (rc < 0)
		return rc;
	if (EXT2_S_ISDIR(in->i_mode))
		return -EISDIR;
	if (!EXT2_S_ISREG(in->i_mode))
		return -EINVAL;
	return 0;
}

int64_t ext2_read(struct ext2_fs *fs, ext2_ino_t ino, uint64_t off, void *buf, size_t len)
{
	struct ext2_inode in;
	uint8_t *out = buf;
	uint64_t size;
	size_t done = 0;
	int rc = get_reg(fs, ino, &in);

	if (rc < 0)
		return rc;
	size = ext2_isize(&in);
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	if (len > 0x7fffffffu)
		len = 0x7fffffffu;
	while (done < len) {
		uint64_t pos = off + done;
		uint32_t boff = (uint32_t)(pos & (fs->block_size - 1));
		size_t n = fs->block_size - boff;
		uint32_t pblk;
		struct bbuf *b;

		if (n > len - done)
			n = len - done;
		rc = ext2_bmap(fs, ino, &in, pos >> fs->log_block_size, false, &pblk, NULL);
		if (rc < 0)
			return rc;
		if (pblk == 0) {
			memset(out + done, 0, n);
		} else if (n == fs->block_size &&
			   len - done >= (size_t)EXT2_DIRECT_READ_BLOCKS * fs->block_size &&
			   !bcache_peek(&fs->bc, pblk)) {
			/* Whole uncached blocks of a long read go straight to the
			 * caller's buffer, contiguous ones in one request. */
			uint32_t run = 1, next;

			while (run < EXT2_MAX_RUN_BLOCKS &&
			       len - done - (size_t)run * fs->block_size >= fs->block_size) {
				rc = ext2_bmap(fs, ino, &in, (pos >> fs->log_block_size) + run,
					       false, &next, NULL);
				if (rc < 0)
					return rc;
				if (next != pblk + run || bcache_peek(&fs->bc, next))
					break;
				run++;
			}
			rc = fs->ops->read(fs->ctx, (uint64_t)pblk * fs->spb, out + done, run * fs->spb);
			if (rc < 0) {
				fs->stats.io_errors++;
				return -EIO;
			}
			fs->stats.blocks_read += run;
			n = (size_t)run * fs->block_size;
		} else {
			rc = bcache_get(&fs->bc, pblk, &b);
			if (rc < 0)
				return rc;
			memcpy(out + done, b->data + boff, n);
			bcache_put(&fs->bc, b);
		}
		done += n;
	}
	return (int64_t)done;
}

int64_t ext2_write(struct ext2_fs *fs, ext2_ino_t ino, uint64_t off, const void *buf, size_t len)
{
	struct ext2_inode in;
	const uint8_t *src = buf;
	size_t done = 0;
	uint32_t blocks_before;
	int rc;

	if (fs->rdonly)
		return -EROFS;
	rc = get_reg(fs, ino, &in);
	if (rc < 0)
		return rc;
	if (in.i_flags & (EXT2_IMMUTABLE_FL | EXT2_APPEND_FL))
		return -EPERM;
	if (len == 0)
		return 0;
	if (off >= fs->max_file_size)
		return -EFBIG;
	blocks_before = in.i_blocks;
	if (len > fs->max_file_size - off)
		len = (size_t)(fs->max_file_size - off);
	if (len > 0x7fffffffu)
		len = 0x7fffffffu;
	while (done < len) {
		uint64_t pos = off + done;
		uint32_t boff = (uint32_t)(pos & (fs->block_size - 1));
		size_t n = fs->block_size - boff;
		uint32_t pblk;
		bool fresh;
		struct bbuf *b;

		if (n > len - done)
			n = len - done;
		rc = ext2_bmap(fs, ino, &in, pos >> fs->log_block_size, true, &pblk, &fresh);
		if (rc < 0)
			break;
		if (n == fs->block_size && !bcache_peek(&fs->bc, pblk)) {
			/* File data goes to the disk before the inode or indirect
			 * block that maps it is written: data class first. */
			rc = fs->ops->write(fs->ctx, (uint64_t)pblk * fs->spb, src + done, fs->spb);
			if (rc < 0) {
				fs->stats.io_errors++;
				rc = -EIO;
				break;
			}
			fs->stats.blocks_written++;
		} else {
			rc = fresh ? bcache_get_zero(&fs->bc, pblk, &b) : bcache_get(&fs->bc, pblk, &b);
			if (rc < 0)
				break;
			memcpy(b->data + boff, src + done, n);
			bcache_dirty(&fs->bc, b, BC_DATA);
			bcache_put(&fs->bc, b);
		}
		done += n;
	}
	if (done == 0 && rc < 0) {
		/* Nothing written: give back blocks mapped past the end of file. */
		if (in.i_blocks != blocks_before) {
			struct ext2_freelist fl;

			ext2_freelist_init(&fl);
			ext2_detach_blocks(fs, ino, &in, ext2_isize(&in), &fl);
			if (ext2_iput(fs, ino, &in) == 0 && fl.n && ext2_barrier(fs) == 0)
				ext2_release_blocks(fs, &fl);
			ext2_freelist_done(&fl);
		}
		return rc;
	}
	if (off + done > ext2_isize(&in))
		ext2_set_isize(fs, &in, off + done);
	in.i_mtime = in.i_ctime = ext2_now(fs);
	rc = ext2_iput(fs, ino, &in);
	return rc < 0 ? rc : (int64_t)done;
}

/* Zero the part of the block holding byte size that lies past it. */
static int zero_tail(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in, uint64_t size)
{
	uint32_t boff = (uint32_t)(size & (fs->block_size - 1));
	uint32_t pblk;
	struct bbuf *b;
	int rc;

	if (boff == 0)
		return 0;
	rc = ext2_bmap(fs, ino, in, size >> fs->log_block_size, false, &pblk, NULL);
	if (rc < 0 || pblk == 0)
		return rc;
	rc = bcache_get(&fs->bc, pblk, &b);
	if (rc < 0)
		return rc;
	memset(b->data + boff, 0, fs->block_size - boff);
	bcache_dirty(&fs->bc, b, BC_DATA);
	bcache_put(&fs->bc, b);
	return 0;
}

int ext2_truncate(struct ext2_fs *fs, ext2_ino_t ino, uint64_t size)
{
	struct ext2_inode in;
	struct ext2_freelist fl;
	uint64_t old;
	int rc;

	if (fs->rdonly)
		return -EROFS;
	rc = get_reg(fs, ino, &in);
	if (rc < 0)
		return rc;
	if (in.i_flags & (EXT2_IMMUTABLE_FL | EXT2_APPEND_FL))
		return -EPERM;
	if (size > fs->max_file_size)
		return -EFBIG;
	old = ext2_isize(&in);
	if (size == old)
		return 0;
	ext2_freelist_init(&fl);
	if (size < old) {
		rc = zero_tail(fs, ino, &in, size);
		if (rc == 0)
			rc = ext2_detach_blocks(fs, ino, &in, size, &fl);
	}
	ext2_set_isize(fs, &in, size);
	in.i_mtime = in.i_ctime = ext2_now(fs);
	{
		int r = ext2_iput(fs, ino, &in);

		if (rc == 0)
			rc = r;
	}
	/* Release freed blocks only once the inode no longer maps them on disk. */
	if (rc == 0 && fl.n) {
		rc = ext2_barrier(fs);
		if (rc == 0)
			rc = ext2_release_blocks(fs, &fl);
	}
	ext2_freelist_done(&fl);
	return rc;
}

/* ---- attributes ------------------------------------------------------------------ */

int ext2_stat(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_stat *st)
{
	struct ext2_inode in;
	int rc = ext2_iget(fs, ino, &in);
	uint32_t type;

	if (rc < 0)
		return rc;
	memset(st, 0, sizeof(*st));
	st->ino = ino;
	st->mode = in.i_mode;
	st->nlink = in.i_links_count;
	st->uid = ext2_iuid(&in);
	st->gid = ext2_igid(&in);
	type = in.i_mode & EXT2_S_IFMT;
	if (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK)
		st->rdev = in.i_block[0] ? in.i_block[0] : in.i_block[1];
	st->size = ext2_isize(&in);
	st->blocks = in.i_blocks;
	st->blksize = fs->block_size;
	st->atime = in.i_atime;
	st->mtime = in.i_mtime;
	st->ctime = in.i_ctime;
	st->generation = in.i_generation;
	return 0;
}

int ext2_check_generation(struct ext2_fs *fs, ext2_ino_t ino, uint32_t generation)
{
	struct ext2_inode in;
	int rc = ext2_iget(fs, ino, &in);

	if (rc < 0)
		return rc;
	return in.i_generation == generation ? 0 : -ESTALE;
}

/* Read-modify-write of an in-use inode's attributes. */
static int setattr_begin(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in)
{
	if (fs->rdonly)
		return -EROFS;
	return ext2_iget(fs, ino, in);
}

int ext2_chmod(struct ext2_fs *fs, ext2_ino_t ino, uint32_t mode)
{
	struct ext2_inode in;
	int rc = setattr_begin(fs, ino, &in);

	if (rc < 0)
		return rc;
	in.i_mode = (uint16_t)((in.i_mode & EXT2_S_IFMT) | (mode & 07777));
	in.i_ctime = ext2_now(fs);
	return ext2_iput(fs, ino, &in);
}

int ext2_chown(struct ext2_fs *fs, ext2_ino_t ino, uint32_t uid, uint32_t gid)
{
	struct ext2_inode in;
	int rc = setattr_begin(fs, ino, &in);

	if (rc < 0)
		return rc;
	if (uid != EXT2_ID_KEEP) {
		in.i_uid = (uint16_t)uid;
		in.i_uid_high = (uint16_t)(uid >> 16);
	}
	if (gid != EXT2_ID_KEEP) {
		in.i_gid = (uint16_t)gid;
		in.i_gid_high = (uint16_t)(gid >> 16);
	}
	in.i_ctime = ext2_now(fs);
	return ext2_iput(fs, ino, &in);
}

int ext2_utimes(struct ext2_fs *fs, ext2_ino_t ino, int64_t atime, int64_t mtime)
{
	struct ext2_inode in;
	uint32_t now = ext2_now(fs);
	int rc = setattr_begin(fs, ino, &in);

	if (rc < 0)
		return rc;
	if (atime == EXT2_TIME_NOW)
		in.i_atime = now;
	else if (atime >= 0)
		in.i_atime = (uint32_t)atime;
	if (mtime == EXT2_TIME_NOW)
		in.i_mtime = now;
	else if (mtime >= 0)
		in.i_mtime = (uint32_t)mtime;
	in.i_ctime = now;
	return ext2_iput(fs, ino, &in);
}
