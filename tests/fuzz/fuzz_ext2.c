/*
 * tests/fuzz/fuzz_ext2.c - libFuzzer harness for the ext2 library: mounts
 * the input as a disk image held in memory, walks and reads everything it
 * can reach (bounded), then changes the namespace and data a little, so
 * both the parsing and the allocation paths meet damaged metadata. Any
 * crash, sanitizer report or leak is a bug; errors are expected.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include "monitors/storage/ext2/ext2.h"

#define MAX_IMAGE (1u << 20)
#define MAX_DEPTH 8
#define MAX_VISITS 400
#define READ_LIMIT (64u * 1024u)

struct mem_dev {
	uint8_t *data;
	size_t size;
};

static int mem_read(void *ctx, uint64_t sector, void *buf, uint32_t n)
{
	struct mem_dev *d = ctx;
	uint64_t off = sector * 512, len = (uint64_t)n * 512;

	if (off > d->size || len > d->size - off)
		return -EIO;
	memcpy(buf, d->data + off, len);
	return 0;
}

static int mem_write(void *ctx, uint64_t sector, const void *buf, uint32_t n)
{
	struct mem_dev *d = ctx;
	uint64_t off = sector * 512, len = (uint64_t)n * 512;

	if (off > d->size || len > d->size - off)
		return -EIO;
	memcpy(d->data + off, buf, len);
	return 0;
}

static int mem_flush(void *ctx)
{
	return 0;
}

static void mem_log(void *ctx, int level, const char *msg)
{
	if (getenv("FUZZ_EXT2_VERBOSE"))
		fprintf(stderr, "ext2[%d]: %s\n", level, msg);
}

static uint32_t mem_now(void *ctx)
{
	return 1700000000u;
}

static const struct ext2_blkdev_ops mem_ops = {
	mem_read, mem_write, mem_flush, mem_log, mem_now,
};

struct names {
	char (*name)[EXT2_NAME_MAX + 1];
	ext2_ino_t *ino;
	unsigned n, cap;
};

static int collect(void *arg, const char *name, uint32_t namelen, ext2_ino_t ino,
		   unsigned dtype, uint64_t next)
{
	struct names *nm = arg;

	if (nm->n == nm->cap)
		return 1;
	memcpy(nm->name[nm->n], name, namelen + 1);
	nm->ino[nm->n] = ino;
	nm->n++;
	return 0;
}

static unsigned visits;
static uint8_t iobuf[READ_LIMIT];

static void visit_file(struct ext2_fs *fs, ext2_ino_t ino, const struct ext2_stat *st)
{
	uint64_t off = 0;
	int64_t n;

	while (off < READ_LIMIT && (n = ext2_read(fs, ino, off, iobuf, 3001)) > 0)
		off += (uint64_t)n;
	if (st->size > READ_LIMIT)
		ext2_read(fs, ino, st->size - 100, iobuf, 4096);
}

static void walk_dir(struct ext2_fs *fs, ext2_ino_t dir, int depth)
{
	struct names nm;
	uint64_t cookie = 0;
	int rc, rounds = 0;

	if (depth > MAX_DEPTH || visits++ > MAX_VISITS)
		return;
	nm.cap = 64;
	nm.n = 0;
	nm.name = malloc(nm.cap * sizeof(*nm.name));
	nm.ino = malloc(nm.cap * sizeof(*nm.ino));
	/* in small batches, to exercise cookie resumption */
	do {
		unsigned before = nm.n;

		rc = ext2_readdir(fs, dir, &cookie, collect, &nm);
		if (rc == 1 && nm.n == before)
			break;
	} while (rc == 1 && nm.n < nm.cap && ++rounds < 100);

	for (unsigned i = 0; i < nm.n; i++) {
		struct ext2_stat st;
		ext2_ino_t ino;
		char link[256];

		if (strcmp(nm.name[i], ".") == 0 || strcmp(nm.name[i], "..") == 0) {
			ext2_lookup_name(fs, dir, nm.name[i], &ino);
			continue;
		}
		if (ext2_lookup(fs, dir, nm.name[i], EXT2_LOOKUP_FOLLOW, &ino) == 0)
			ext2_stat(fs, ino, &st);
		if (ext2_stat(fs, nm.ino[i], &st) < 0)
			continue;
		switch (st.mode & EXT2_S_IFMT) {
		case EXT2_S_IFREG:
			visit_file(fs, nm.ino[i], &st);
			break;
		case EXT2_S_IFLNK:
			ext2_readlink(fs, nm.ino[i], link, sizeof(link));
			break;
		case EXT2_S_IFDIR:
			walk_dir(fs, nm.ino[i], depth + 1);
			break;
		default:
			break;
		}
	}
	free(nm.name);
	free(nm.ino);
}

/* A few changes, each of which may fail on a damaged image. */
static void mutate(struct ext2_fs *fs)
{
	ext2_ino_t d, f, ino;
	struct ext2_statfs sfs;
	char name[EXT2_NAME_MAX + 1];

	memset(iobuf, 0xa5, sizeof(iobuf));
	ext2_statfs(fs, &sfs);
	if (ext2_mkdir(fs, EXT2_ROOT_INO, "fz", 0755, 0, 0, &d) < 0)
		d = EXT2_ROOT_INO;
	if (ext2_create(fs, d, "f", 0644, 0, 0, &f) == 0) {
		ext2_write(fs, f, 5, iobuf, 20000);
		ext2_write(fs, f, 300000, iobuf, 100);
		ext2_truncate(fs, f, 7000);
		ext2_read(fs, f, 0, iobuf, 8000);
		ext2_symlink(fs, d, "s", "../fz/f", 0, 0, &ino);
		ext2_lookup(fs, d, "s", EXT2_LOOKUP_FOLLOW, &ino);
		ext2_link(fs, f, EXT2_ROOT_INO, "hard");
		ext2_chmod(fs, f, 0600);
		ext2_chown(fs, f, 1000, EXT2_ID_KEEP);
		ext2_utimes(fs, f, 5, EXT2_TIME_NOW);
		ext2_check_generation(fs, f, 0);
		ext2_mknod(fs, d, "fifo", EXT2_S_IFIFO | 0600, 0, 0, 0, &ino);
		ext2_fsync(fs, f);
		ext2_rename(fs, d, "f", EXT2_ROOT_INO, "moved");
		ext2_unlink(fs, EXT2_ROOT_INO, "hard");
	}
	/* Move lost+found around, then undo everything. */
	if (ext2_lookup_parent(fs, EXT2_ROOT_INO, "/lost+found", &ino, name) == 0)
		ext2_rename(fs, ino, name, d, "lf");
	ext2_unlink(fs, EXT2_ROOT_INO, "moved");
	ext2_rmdir(fs, d, "lf");
	ext2_rmdir(fs, EXT2_ROOT_INO, "fz");
	ext2_sync(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem_dev dev;
	struct ext2_mount_opts opts = { 0, 16, 0 };
	struct ext2_fs *fs;

	if (size < 2048 || size > MAX_IMAGE)
		return 0;
	dev.size = size & ~(size_t)511;
	dev.data = malloc(dev.size);
	memcpy(dev.data, data, dev.size);
	opts.dev_sectors = dev.size / 512;
	visits = 0;
	if (ext2_mount(&mem_ops, &dev, &opts, &fs) == 0) {
		walk_dir(fs, EXT2_ROOT_INO, 0);
		mutate(fs);
		visits = 0;
		walk_dir(fs, EXT2_ROOT_INO, 0);
		ext2_unmount(fs);
	}
	free(dev.data);
	return 0;
}
