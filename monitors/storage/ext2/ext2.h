/*
 * ext2.h - a portable ext2 file-system library (revision 0 and 1, 1/2/4 KiB
 * blocks) over a 512-byte-sector block device given as an ops struct.
 *
 * The same sources build in the freestanding storage-monitor kernel and on
 * the host (tests, fuzzer). The API is by inode number, for an RPC layer
 * that resolves a path once ("open") and then reads and writes by inode.
 *
 * Every call returns 0 (or a byte count) on success and a negative Linux
 * errno on failure: -EUCLEAN for an inconsistent on-disk structure, -EIO for
 * a device error, -EROFS on a read-only mount. Corruption is logged through
 * ops->log and counted; it never crashes the caller.
 *
 * Not thread-safe: the caller serialises all calls on one struct ext2_fs.
 */
#ifndef MONITORS_STORAGE_EXT2_EXT2_H
#define MONITORS_STORAGE_EXT2_EXT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXT2_SECTOR_SIZE 512u

/* The block device below the file system. ctx is passed back unchanged. */
struct ext2_blkdev_ops {
	/* Transfer nsectors 512-byte sectors; return 0 or a negative errno. */
	int (*read)(void *ctx, uint64_t sector, void *buf, uint32_t nsectors);
	int (*write)(void *ctx, uint64_t sector, const void *buf, uint32_t nsectors);
	/* Make completed writes durable (a device cache flush); may be NULL. */
	int (*flush)(void *ctx);
	/* One line of diagnostics, no trailing newline; may be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
	/* Seconds since the epoch for timestamps; may be NULL (times are 0). */
	uint32_t (*now)(void *ctx);
};

enum ext2_log_level { EXT2_LOG_ERR = 0, EXT2_LOG_WARN = 1, EXT2_LOG_INFO = 2 };

/* Mount flags. */
#define EXT2_MOUNT_RDONLY 0x1u        /* never write to the device */
#define EXT2_MOUNT_BARRIER_FLUSH 0x2u /* ordering points also flush the device */

struct ext2_mount_opts {
	uint64_t dev_sectors;  /* device size in sectors; 0 = unknown (unchecked) */
	uint32_t cache_blocks; /* block-cache capacity in fs blocks; 0 = default */
	unsigned flags;        /* EXT2_MOUNT_* */
};

#define EXT2_CACHE_DEFAULT_BLOCKS 1024u
#define EXT2_CACHE_MIN_BLOCKS 16u

typedef uint32_t ext2_ino_t;

#define EXT2_ROOT_INO 2u
#define EXT2_NAME_MAX 255u
#define EXT2_PATH_MAX 4096u
#define EXT2_SYMLOOP_MAX 40u

/* File type bits of st_mode (the Linux S_IF* values). */
#define EXT2_S_IFMT 0170000u
#define EXT2_S_IFSOCK 0140000u
#define EXT2_S_IFLNK 0120000u
#define EXT2_S_IFREG 0100000u
#define EXT2_S_IFBLK 0060000u
#define EXT2_S_IFDIR 0040000u
#define EXT2_S_IFCHR 0020000u
#define EXT2_S_IFIFO 0010000u

/* d_type values passed to a readdir callback (the Linux DT_* values). */
#define EXT2_DT_UNKNOWN 0
#define EXT2_DT_FIFO 1
#define EXT2_DT_CHR 2
#define EXT2_DT_DIR 4
#define EXT2_DT_BLK 6
#define EXT2_DT_REG 8
#define EXT2_DT_LNK 10
#define EXT2_DT_SOCK 12

struct ext2_stat {
	ext2_ino_t ino;
	uint32_t mode;       /* type and permission bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint32_t rdev;       /* Linux dev_t encoding, for device nodes */
	uint64_t size;
	uint64_t blocks;     /* allocated 512-byte units, metadata included */
	uint32_t blksize;    /* fs block size */
	uint32_t atime, mtime, ctime;
	uint32_t generation; /* changes when the inode number is reused */
};

struct ext2_statfs {
	uint32_t bsize;
	uint64_t blocks, bfree, bavail; /* bavail excludes reserved blocks */
	uint64_t files, ffree;
	uint32_t namelen;
	bool rdonly;
};

/* Counters for the node's status page. */
struct ext2_stats {
	uint64_t cache_hits, cache_misses, cache_evictions;
	uint64_t blocks_read, blocks_written, dev_flushes;
	uint64_t barriers;
	uint64_t corruptions, io_errors;
};

struct ext2_fs;

/* Mounting. opts may be NULL for defaults. */
int ext2_mount(const struct ext2_blkdev_ops *ops, void *ctx,
	       const struct ext2_mount_opts *opts, struct ext2_fs **out);
/* Writes everything back, marks the fs clean and frees fs (even on error). */
int ext2_unmount(struct ext2_fs *fs);
bool ext2_is_readonly(const struct ext2_fs *fs);
uint32_t ext2_block_size(const struct ext2_fs *fs);
void ext2_get_stats(const struct ext2_fs *fs, struct ext2_stats *st);

/* Path resolution. Relative paths start at dir, absolute ones at the root.
 * Symlinks in the middle are always followed; the last one only with
 * EXT2_LOOKUP_FOLLOW. A trailing slash demands a directory. */
#define EXT2_LOOKUP_FOLLOW 0x1u
int ext2_lookup(struct ext2_fs *fs, ext2_ino_t dir, const char *path,
		unsigned flags, ext2_ino_t *ino);
/* Resolves all but the last component: *parent is a directory and name (a
 * buffer of EXT2_NAME_MAX + 1 bytes) gets the last component ("" for "/",
 * "." or ".." verbatim). */
int ext2_lookup_parent(struct ext2_fs *fs, ext2_ino_t dir, const char *path,
		       ext2_ino_t *parent, char *name);
/* One component in one directory. */
int ext2_lookup_name(struct ext2_fs *fs, ext2_ino_t dir, const char *name,
		     ext2_ino_t *ino);

/* Namespace changes. mode carries permission bits (type bits are implied,
 * except for ext2_mknod, which takes S_IFREG/FIFO/SOCK/CHR/BLK). */
int ext2_create(struct ext2_fs *fs, ext2_ino_t dir, const char *name,
		uint32_t mode, uint32_t uid, uint32_t gid, ext2_ino_t *ino);
int ext2_mknod(struct ext2_fs *fs, ext2_ino_t dir, const char *name,
	       uint32_t mode, uint32_t rdev, uint32_t uid, uint32_t gid,
	       ext2_ino_t *ino);
int ext2_mkdir(struct ext2_fs *fs, ext2_ino_t dir, const char *name,
	       uint32_t mode, uint32_t uid, uint32_t gid, ext2_ino_t *ino);
int ext2_symlink(struct ext2_fs *fs, ext2_ino_t dir, const char *name,
		 const char *target, uint32_t uid, uint32_t gid, ext2_ino_t *ino);
int ext2_link(struct ext2_fs *fs, ext2_ino_t ino, ext2_ino_t dir, const char *name);
int ext2_unlink(struct ext2_fs *fs, ext2_ino_t dir, const char *name);
int ext2_rmdir(struct ext2_fs *fs, ext2_ino_t dir, const char *name);
int ext2_rename(struct ext2_fs *fs, ext2_ino_t olddir, const char *oldname,
		ext2_ino_t newdir, const char *newname);

/* File data. Return the byte count (short only at end of file) or -errno. */
int64_t ext2_read(struct ext2_fs *fs, ext2_ino_t ino, uint64_t off, void *buf, size_t len);
int64_t ext2_write(struct ext2_fs *fs, ext2_ino_t ino, uint64_t off, const void *buf, size_t len);
int ext2_truncate(struct ext2_fs *fs, ext2_ino_t ino, uint64_t size);

/* Directory listing. The callback gets each entry ("." and ".." included)
 * and returns 0 to go on or non-zero to stop before consuming that entry.
 * *cookie starts at 0 and is left where a later call resumes. Returns 1 if
 * the callback stopped, 0 at the end of the directory, or -errno. */
typedef int (*ext2_filldir_t)(void *arg, const char *name, uint32_t namelen,
			      ext2_ino_t ino, unsigned dtype, uint64_t next_cookie);
int ext2_readdir(struct ext2_fs *fs, ext2_ino_t dir, uint64_t *cookie,
		 ext2_filldir_t cb, void *arg);

/* Copies up to bufsize bytes of the target (no NUL added); returns its length. */
int ext2_readlink(struct ext2_fs *fs, ext2_ino_t ino, char *buf, size_t bufsize);

/* Attributes. */
int ext2_stat(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_stat *st);
/* -ESTALE unless ino is in use with this generation. */
int ext2_check_generation(struct ext2_fs *fs, ext2_ino_t ino, uint32_t generation);
int ext2_chmod(struct ext2_fs *fs, ext2_ino_t ino, uint32_t mode);
#define EXT2_ID_KEEP 0xffffffffu
int ext2_chown(struct ext2_fs *fs, ext2_ino_t ino, uint32_t uid, uint32_t gid);
#define EXT2_TIME_OMIT (-1)
#define EXT2_TIME_NOW (-2)
int ext2_utimes(struct ext2_fs *fs, ext2_ino_t ino, int64_t atime, int64_t mtime);
int ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st);

/* Durability: fsync makes the inode's data and metadata durable (it writes
 * the whole cache in order and flushes the device); sync does the same. */
int ext2_fsync(struct ext2_fs *fs, ext2_ino_t ino);
int ext2_sync(struct ext2_fs *fs);

#endif
