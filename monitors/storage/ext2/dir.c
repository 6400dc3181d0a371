/*
 * dir.c - directory contents: a linear walk over entries, each one
 * validated (rec_len, name_len, inode number) before use; find, add,
 * remove, retarget, emptiness, ".." rewrite, initial block, readdir.
 * Hashed (dir_index) directories are read linearly, and the index flag is
 * cleared when such a directory is changed, as Linux ext2 does.
 */
#include <string.h>
#include "ext2_priv.h"

uint8_t ext2_mode_to_ftype(uint32_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: return EXT2_FT_REG_FILE;
	case EXT2_S_IFDIR: return EXT2_FT_DIR;
	case EXT2_S_IFCHR: return EXT2_FT_CHRDEV;
	case EXT2_S_IFBLK: return EXT2_FT_BLKDEV;
	case EXT2_S_IFIFO: return EXT2_FT_FIFO;
	case EXT2_S_IFSOCK: return EXT2_FT_SOCK;
	case EXT2_S_IFLNK: return EXT2_FT_SYMLINK;
	default: return EXT2_FT_UNKNOWN;
	}
}

static unsigned ftype_to_dtype(uint8_t ft)
{
	static const unsigned char map[EXT2_FT_MAX] = {
		EXT2_DT_UNKNOWN, EXT2_DT_REG, EXT2_DT_DIR, EXT2_DT_CHR,
		EXT2_DT_BLK, EXT2_DT_FIFO, EXT2_DT_SOCK, EXT2_DT_LNK,
	};
	return ft < EXT2_FT_MAX ? map[ft] : EXT2_DT_UNKNOWN;
}

static uint32_t de_namelen(const struct ext2_fs *fs, const struct ext2_dirent *de)
{
	return fs->filetype ? de->name_len : (uint32_t)de->name_len | (uint32_t)de->file_type << 8;
}

/* Validate the entry at off of a directory block and copy its header. */
static int check_entry(struct ext2_fs *fs, ext2_ino_t dir, uint32_t lblk,
		       const uint8_t *blk, uint32_t off, struct ext2_dirent *de)
{
	uint32_t nl;

	if (off + EXT2_DIRENT_HDR > fs->block_size)
		return ext2_corrupt(fs, "directory %u block %u: entry at %u crosses the block",
				    dir, lblk, off);
	memcpy(de, blk + off, sizeof(*de));
	nl = de_namelen(fs, de);
	if (de->rec_len < EXT2_DIR_MIN_REC || (de->rec_len & 3) ||
	    off + de->rec_len > fs->block_size)
		return ext2_corrupt(fs, "directory %u block %u: bad rec_len %u",
				    dir, lblk, de->rec_len);
	if (nl + EXT2_DIRENT_HDR > de->rec_len || nl > EXT2_NAME_MAX)
		return ext2_corrupt(fs, "directory %u block %u: bad name_len %u", dir, lblk, nl);
	if (de->inode > fs->inodes_count)
		return ext2_corrupt(fs, "directory %u block %u: bad inode %u", dir, lblk, de->inode);
	if (de->inode && nl == 0)
		return ext2_corrupt(fs, "directory %u block %u: empty name", dir, lblk, 0);
	return 0;
}

/* Pin directory block lblk; holes are corruption in a directory. */
static int dir_block(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		     uint32_t lblk, uint32_t *pblk, struct bbuf **b)
{
	int rc = ext2_bmap(fs, dir, din, lblk, false, pblk, NULL);

	if (rc < 0)
		return rc;
	if (*pblk == 0)
		return ext2_corrupt(fs, "directory %u: hole at block %u", dir, lblk, 0);
	return bcache_get(&fs->bc, *pblk, b);
}

static uint32_t dir_nblocks(const struct ext2_fs *fs, const struct ext2_inode *din)
{
	return din->i_size >> fs->log_block_size;
}

int ext2_dir_find(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		  const char *name, size_t len, ext2_ino_t *ino, struct ext2_dirent_loc *loc)
{
	uint32_t n = dir_nblocks(fs, din);

	for (uint32_t lblk = 0; lblk < n; lblk++) {
		uint32_t pblk, off = 0, prev = 0;
		struct bbuf *b;
		int rc = dir_block(fs, dir, din, lblk, &pblk, &b);

		if (rc < 0)
			return rc;
		while (off < fs->block_size) {
			struct ext2_dirent de;

			rc = check_entry(fs, dir, lblk, b->data, off, &de);
			if (rc < 0) {
				bcache_put(&fs->bc, b);
				return rc;
			}
			if (de.inode && de_namelen(fs, &de) == len &&
			    memcmp(b->data + off + EXT2_DIRENT_HDR, name, len) == 0) {
				*ino = de.inode;
				if (loc) {
					loc->lblk = lblk;
					loc->pblk = pblk;
					loc->off = off;
					loc->prev_off = prev;
				}
				bcache_put(&fs->bc, b);
				return 0;
			}
			prev = off;
			off += de.rec_len;
		}
		bcache_put(&fs->bc, b);
	}
	return -ENOENT;
}

static void put_entry(struct ext2_fs *fs, uint8_t *p, ext2_ino_t ino, uint32_t rec_len,
		      const char *name, size_t len, uint32_t mode)
{
	struct ext2_dirent de;

	de.inode = ino;
	de.rec_len = (uint16_t)rec_len;
	de.name_len = (uint8_t)len;
	de.file_type = fs->filetype ? ext2_mode_to_ftype(mode) : 0;
	memcpy(p, &de, sizeof(de));
	memcpy(p + EXT2_DIRENT_HDR, name, len);
	memset(p + EXT2_DIRENT_HDR + len, 0, EXT2_DIR_REC_LEN(len) - EXT2_DIRENT_HDR - len);
}

/* The directory changed: new times, no stale hash index; write the inode. */
static int dir_touch(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din)
{
	din->i_flags &= ~EXT2_INDEX_FL;
	din->i_mtime = din->i_ctime = ext2_now(fs);
	return ext2_iput(fs, dir, din);
}

/* Grow the directory by one block holding a single empty entry; that block
 * is on disk before the inode that maps it. */
static int dir_grow(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		    uint32_t *lblk, uint32_t *pblk)
{
	struct ext2_dirent de = { 0, 0, 0, 0 };
	struct bbuf *b;
	bool fresh;
	int rc;

	*lblk = dir_nblocks(fs, din);
	if (din->i_size > 0xffffffffu - fs->block_size)
		return -ENOSPC;
	rc = ext2_bmap(fs, dir, din, *lblk, true, pblk, &fresh);
	if (rc < 0)
		return rc;
	rc = bcache_get_zero(&fs->bc, *pblk, &b);
	if (rc < 0)
		return rc;
	de.rec_len = (uint16_t)fs->block_size;
	memcpy(b->data, &de, sizeof(de));
	rc = bcache_write_now(&fs->bc, b);
	bcache_put(&fs->bc, b);
	if (rc < 0)
		return rc;
	din->i_size += fs->block_size;
	return 0;
}

int ext2_dir_prepare(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		     const char *name, size_t len, struct ext2_dirslot *slot)
{
	uint32_t need = EXT2_DIR_REC_LEN(len);
	uint32_t n = dir_nblocks(fs, din);
	struct ext2_dirent de;
	struct bbuf *b;
	int rc;

	slot->found = false;
	for (uint32_t lblk = 0; lblk < n; lblk++) {
		uint32_t pblk, off = 0;

		rc = dir_block(fs, dir, din, lblk, &pblk, &b);
		if (rc < 0)
			return rc;
		while (off < fs->block_size) {
			uint32_t nl, used;

			rc = check_entry(fs, dir, lblk, b->data, off, &de);
			if (rc < 0) {
				bcache_put(&fs->bc, b);
				return rc;
			}
			nl = de_namelen(fs, &de);
			if (de.inode && nl == len &&
			    memcmp(b->data + off + EXT2_DIRENT_HDR, name, len) == 0) {
				bcache_put(&fs->bc, b);
				return -EEXIST;
			}
			used = de.inode ? EXT2_DIR_REC_LEN(nl) : 0;
			if (!slot->found && de.rec_len >= used + need) {
				slot->found = true;
				slot->lblk = lblk;
				slot->pblk = pblk;
				slot->off = off;
			}
			off += de.rec_len;
		}
		bcache_put(&fs->bc, b);
	}
	return 0;
}

int ext2_dir_commit(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		    struct ext2_dirslot *slot, const char *name, size_t len,
		    ext2_ino_t ino, uint32_t mode)
{
	struct ext2_dirent de;
	struct bbuf *b;
	int rc;

	if (!slot->found) {
		rc = dir_grow(fs, dir, din, &slot->lblk, &slot->pblk);
		if (rc < 0) {
			ext2_iput(fs, dir, din); /* i_blocks may have changed */
			return rc;
		}
		slot->off = 0;
		slot->found = true;
	}
	rc = bcache_get(&fs->bc, slot->pblk, &b);
	if (rc < 0)
		return rc;
	rc = check_entry(fs, dir, slot->lblk, b->data, slot->off, &de);
	if (rc == 0 && de.rec_len < (de.inode ? EXT2_DIR_REC_LEN(de_namelen(fs, &de)) : 0) +
	    EXT2_DIR_REC_LEN(len))
		rc = ext2_corrupt(fs, "directory %u: free slot vanished", dir, 0, 0);
	if (rc == 0) {
		uint8_t *p = b->data + slot->off;

		if (de.inode) {
			/* Split: the old entry keeps what its name needs. */
			uint32_t keep = EXT2_DIR_REC_LEN(de_namelen(fs, &de));
			uint32_t rest = de.rec_len - keep;

			de.rec_len = (uint16_t)keep;
			memcpy(p, &de, sizeof(de));
			put_entry(fs, p + keep, ino, rest, name, len, mode);
		} else {
			put_entry(fs, p, ino, de.rec_len, name, len, mode);
		}
		bcache_dirty(&fs->bc, b, BC_DIR);
	}
	bcache_put(&fs->bc, b);
	if (rc < 0)
		return rc;
	return dir_touch(fs, dir, din);
}

/* Re-read and re-check the entry at loc; returns it pinned. */
static int entry_at(struct ext2_fs *fs, ext2_ino_t dir, const struct ext2_dirent_loc *loc,
		    struct bbuf **b, struct ext2_dirent *de)
{
	int rc;

	if (loc->off >= fs->block_size || loc->prev_off > loc->off)
		return -EINVAL;
	rc = bcache_get(&fs->bc, loc->pblk, b);
	if (rc < 0)
		return rc;
	rc = check_entry(fs, dir, loc->lblk, (*b)->data, loc->off, de);
	if (rc < 0)
		bcache_put(&fs->bc, *b);
	return rc;
}

int ext2_dir_remove(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		    const struct ext2_dirent_loc *loc)
{
	struct ext2_dirent de, prev;
	struct bbuf *b;
	int rc = entry_at(fs, dir, loc, &b, &de);

	if (rc < 0)
		return rc;
	if (loc->prev_off != loc->off) {
		/* Merge into the previous entry of the same block. */
		rc = check_entry(fs, dir, loc->lblk, b->data, loc->prev_off, &prev);
		if (rc == 0 && loc->prev_off + prev.rec_len != loc->off)
			rc = ext2_corrupt(fs, "directory %u: entry chain changed", dir, 0, 0);
		if (rc == 0) {
			prev.rec_len = (uint16_t)(prev.rec_len + de.rec_len);
			memcpy(b->data + loc->prev_off, &prev, sizeof(prev));
		}
	} else {
		de.inode = 0;
		memcpy(b->data + loc->off, &de, sizeof(de));
	}
	if (rc == 0)
		bcache_dirty(&fs->bc, b, BC_DIR);
	bcache_put(&fs->bc, b);
	return rc < 0 ? rc : dir_touch(fs, dir, din);
}

int ext2_dir_retarget(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		      const struct ext2_dirent_loc *loc, ext2_ino_t ino, uint32_t mode)
{
	struct ext2_dirent de;
	struct bbuf *b;
	int rc = entry_at(fs, dir, loc, &b, &de);

	if (rc < 0)
		return rc;
	de.inode = ino;
	if (fs->filetype)
		de.file_type = ext2_mode_to_ftype(mode);
	memcpy(b->data + loc->off, &de, sizeof(de));
	bcache_dirty(&fs->bc, b, BC_DIR);
	bcache_put(&fs->bc, b);
	return dir_touch(fs, dir, din);
}

static bool is_dot(const uint8_t *name, uint32_t nl)
{
	return (nl == 1 && name[0] == '.') || (nl == 2 && name[0] == '.' && name[1] == '.');
}

int ext2_dir_is_empty(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din)
{
	uint32_t n = dir_nblocks(fs, din);

	for (uint32_t lblk = 0; lblk < n; lblk++) {
		uint32_t pblk, off = 0;
		struct bbuf *b;
		int rc = dir_block(fs, dir, din, lblk, &pblk, &b);

		if (rc < 0)
			return rc;
		while (off < fs->block_size) {
			struct ext2_dirent de;

			rc = check_entry(fs, dir, lblk, b->data, off, &de);
			if (rc < 0 || (de.inode &&
				       !is_dot(b->data + off + EXT2_DIRENT_HDR, de_namelen(fs, &de)))) {
				bcache_put(&fs->bc, b);
				return rc < 0 ? rc : 0;
			}
			off += de.rec_len;
		}
		bcache_put(&fs->bc, b);
	}
	return 1;
}

int ext2_dir_set_dotdot(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
			ext2_ino_t parent)
{
	struct ext2_dirent de;
	uint32_t pblk, off;
	struct bbuf *b;
	int rc = dir_block(fs, dir, din, 0, &pblk, &b);

	if (rc < 0)
		return rc;
	rc = check_entry(fs, dir, 0, b->data, 0, &de);
	off = de.rec_len;
	if (rc == 0)
		rc = check_entry(fs, dir, 0, b->data, off, &de);
	if (rc == 0 && (de_namelen(fs, &de) != 2 ||
			memcmp(b->data + off + EXT2_DIRENT_HDR, "..", 2)))
		rc = ext2_corrupt(fs, "directory %u: no \"..\" entry", dir, 0, 0);
	if (rc == 0) {
		de.inode = parent;
		memcpy(b->data + off, &de, sizeof(de));
		bcache_dirty(&fs->bc, b, BC_DIR);
	}
	bcache_put(&fs->bc, b);
	return rc;
}

int ext2_dir_init(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din, ext2_ino_t parent)
{
	uint32_t pblk;
	bool fresh;
	struct bbuf *b;
	int rc = ext2_bmap(fs, dir, din, 0, true, &pblk, &fresh);

	if (rc < 0)
		return rc;
	rc = bcache_get_zero(&fs->bc, pblk, &b);
	if (rc < 0)
		return rc;
	put_entry(fs, b->data, dir, EXT2_DIR_REC_LEN(1), ".", 1, EXT2_S_IFDIR);
	put_entry(fs, b->data + EXT2_DIR_REC_LEN(1), parent,
		  fs->block_size - EXT2_DIR_REC_LEN(1), "..", 2, EXT2_S_IFDIR);
	/* On disk before the inode that maps it. */
	rc = bcache_write_now(&fs->bc, b);
	bcache_put(&fs->bc, b);
	if (rc == 0)
		din->i_size = fs->block_size;
	return rc;
}

int ext2_readdir(struct ext2_fs *fs, ext2_ino_t dir, uint64_t *cookie,
		 ext2_filldir_t cb, void *arg)
{
	struct ext2_inode din;
	char name[EXT2_NAME_MAX + 1];
	int rc = ext2_iget(fs, dir, &din);

	if (rc < 0)
		return rc;
	if (!EXT2_S_ISDIR(din.i_mode))
		return -ENOTDIR;
	while (*cookie < din.i_size) {
		uint32_t lblk = (uint32_t)(*cookie >> fs->log_block_size);
		uint32_t want = (uint32_t)(*cookie & (fs->block_size - 1));
		uint64_t base = (uint64_t)lblk << fs->log_block_size;
		uint32_t pblk, off = 0;
		struct bbuf *b;

		rc = dir_block(fs, dir, &din, lblk, &pblk, &b);
		if (rc < 0)
			return rc;
		while (off < fs->block_size) {
			struct ext2_dirent de;
			uint32_t nl;

			rc = check_entry(fs, dir, lblk, b->data, off, &de);
			if (rc < 0) {
				bcache_put(&fs->bc, b);
				return rc;
			}
			nl = de_namelen(fs, &de);
			/* Resume at the first entry at or past the cookie: entries
			 * may have merged since the cookie was handed out. */
			if (off >= want && de.inode) {
				memcpy(name, b->data + off + EXT2_DIRENT_HDR, nl);
				name[nl] = '\0';
				if (cb(arg, name, nl, de.inode,
				       fs->filetype ? ftype_to_dtype(de.file_type) : EXT2_DT_UNKNOWN,
				       base + off + de.rec_len)) {
					*cookie = base + off;
					bcache_put(&fs->bc, b);
					return 1;
				}
			}
			off += de.rec_len;
		}
		bcache_put(&fs->bc, b);
		*cookie = base + fs->block_size;
	}
	return 0;
}
