/*
 * ext2_priv.h - what the ext2 library's files share with each other and
 * nobody else: the mounted-fs state, logging, and the internal helpers of
 * super.c, balloc.c, inode.c, dir.c and namei.c.
 */
#ifndef MONITORS_STORAGE_EXT2_EXT2_PRIV_H
#define MONITORS_STORAGE_EXT2_EXT2_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tessera/errno.h>
#include "bcache.h"
#include "ext2.h"
#include "ext2_fmt.h"

#ifndef ESTALE
#define ESTALE 116
#endif

struct ext2_fs {
	const struct ext2_blkdev_ops *ops;
	void *ctx;
	unsigned flags;
	bool rdonly;
	bool filetype;      /* dirents carry a file type */
	bool sparse_super;
	struct ext2_super sb;
	bool sb_dirty;
	uint16_t mount_state; /* s_state when mounted, restored on unmount */

	uint32_t block_size, log_block_size, spb; /* spb: sectors per block */
	uint32_t apb;                              /* block numbers per block */
	uint32_t blocks_count, first_data_block, bpg;
	uint32_t inodes_count, ipg, inode_size, first_ino;
	uint32_t ngroups, gdt_blocks, reserved_gdt;
	uint32_t itable_blocks;                    /* per group */
	uint64_t max_file_size;

	struct ext2_group_desc *gd;                /* all descriptors, in memory */
	bool gd_dirty;

	struct bcache bc;
	struct ext2_stats stats;
	uint32_t next_generation;                  /* for new inodes */
	char msg[192];                             /* log line being formatted */
};

/* Logging: fmt may hold up to three %u (decimal) or %x (hex) conversions
 * and one %s, filled from a, b, c and s in order of appearance. */
void ext2_logf(struct ext2_fs *fs, int level, const char *fmt,
	       uint64_t a, uint64_t b, uint64_t c);
/* Logs fmt as an error, counts a corruption and returns -EUCLEAN. */
int ext2_corrupt(struct ext2_fs *fs, const char *fmt, uint64_t a, uint64_t b, uint64_t c);
uint32_t ext2_now(struct ext2_fs *fs);

/* Ordering point: write every dirty block in class order (and flush the
 * device with EXT2_MOUNT_BARRIER_FLUSH). */
int ext2_barrier(struct ext2_fs *fs);
/* Push in-memory superblock and descriptors into cache buffers. */
int ext2_stage_super(struct ext2_fs *fs);

/* Block numbers. */
bool ext2_blk_in_fs(const struct ext2_fs *fs, uint64_t blk);
/* True for a block that holds superblock, descriptors or a group's bitmaps
 * or inode table: never a file's data or indirect block. */
bool ext2_blk_is_meta(const struct ext2_fs *fs, uint32_t blk);
/* In range and not metadata. */
bool ext2_blk_ok(const struct ext2_fs *fs, uint32_t blk);
bool ext2_group_has_super(const struct ext2_fs *fs, uint32_t group);

/* balloc.c: bitmaps and counters. */
int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *blk);
int ext2_free_block(struct ext2_fs *fs, uint32_t blk);
int ext2_alloc_inode(struct ext2_fs *fs, ext2_ino_t parent, bool is_dir, ext2_ino_t *ino);
int ext2_free_inode(struct ext2_fs *fs, ext2_ino_t ino, bool is_dir);

/* inode.c: inode I/O, block maps, data. */
int ext2_iget_raw(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in);
/* Reads an inode that must be in use; -ENOENT if it is free, -EUCLEAN if
 * its fields cannot be used. */
int ext2_iget(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in);
int ext2_iput(struct ext2_fs *fs, ext2_ino_t ino, const struct ext2_inode *in);
/* Initialise the on-disk inode slot of a new inode (zeroes the tail). */
int ext2_iput_new(struct ext2_fs *fs, ext2_ino_t ino, const struct ext2_inode *in);
uint64_t ext2_isize(const struct ext2_inode *in);
void ext2_set_isize(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size);
uint32_t ext2_iuid(const struct ext2_inode *in);
uint32_t ext2_igid(const struct ext2_inode *in);
bool ext2_is_fast_symlink(const struct ext2_fs *fs, const struct ext2_inode *in);
/* Map logical block lblk; *pblk = 0 for a hole. With create, allocate the
 * block (and indirect blocks) and set *fresh: its old contents are garbage. */
int ext2_bmap(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in,
	      uint64_t lblk, bool create, uint32_t *pblk, bool *fresh);

/* A list of blocks to release once nothing on disk points at them. */
struct ext2_freelist {
	uint32_t *blk;
	size_t n, cap;
};
void ext2_freelist_init(struct ext2_freelist *fl);
void ext2_freelist_done(struct ext2_freelist *fl);
/* Detach blocks at or past new_size from the inode (in memory; the caller
 * writes the inode), collecting them in fl. */
int ext2_detach_blocks(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in,
		       uint64_t new_size, struct ext2_freelist *fl);
/* Free the collected blocks in the bitmaps. */
int ext2_release_blocks(struct ext2_fs *fs, struct ext2_freelist *fl);
/* Drop one reference to an inode's extended-attribute block, freeing it. */
int ext2_release_xattr(struct ext2_fs *fs, uint32_t blk);

/* dir.c: directory contents. */
struct ext2_dirent_loc {
	uint32_t lblk, pblk, off, prev_off; /* prev_off == off: first in block */
};
int ext2_dir_find(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		  const char *name, size_t len, ext2_ino_t *ino, struct ext2_dirent_loc *loc);
/* Adding a name is two steps, so a caller can fail with EEXIST before it
 * allocates anything: prepare checks the name is free and finds room,
 * commit writes the entry (growing the directory if there was no room). */
struct ext2_dirslot {
	bool found;
	uint32_t lblk, pblk, off;
};
int ext2_dir_prepare(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		     const char *name, size_t len, struct ext2_dirslot *slot);
int ext2_dir_commit(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		    struct ext2_dirslot *slot, const char *name, size_t len,
		    ext2_ino_t ino, uint32_t mode);
int ext2_dir_remove(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		    const struct ext2_dirent_loc *loc);
/* Point the entry at loc at a new inode (rename over an existing name). */
int ext2_dir_retarget(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din,
		      const struct ext2_dirent_loc *loc, ext2_ino_t ino, uint32_t mode);
int ext2_dir_is_empty(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din);
/* Set the ".." entry of dir to parent. */
int ext2_dir_set_dotdot(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din, ext2_ino_t parent);
/* Write a new directory's first block holding "." and "..". */
int ext2_dir_init(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din, ext2_ino_t parent);
uint8_t ext2_mode_to_ftype(uint32_t mode);

#define EXT2_S_ISDIR(m) (((m) & EXT2_S_IFMT) == EXT2_S_IFDIR)
#define EXT2_S_ISREG(m) (((m) & EXT2_S_IFMT) == EXT2_S_IFREG)
#define EXT2_S_ISLNK(m) (((m) & EXT2_S_IFMT) == EXT2_S_IFLNK)

#endif
