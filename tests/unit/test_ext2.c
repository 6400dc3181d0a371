/*
 * tests/unit/test_ext2.c - the ext2 library (monitors/storage/ext2) on the
 * host, against images made by mke2fs -d from a populated temporary
 * directory, with 1 KiB and 4 KiB blocks. After every test the image must
 * pass e2fsck -fn. Covers lookup, read/write with holes and all indirect
 * levels, truncate, directories (10,000 entries), symlinks, rename, every
 * errno the API promises, ENOSPC, cache eviction, remount, device errors
 * and corrupted superblock, descriptors, inodes, directories and indirect
 * blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "monitors/storage/ext2/ext2.h"

/* ---- a block device over an image file ----------------------------------- */

struct img {
	char dir[64];       /* temporary directory */
	char root[96];      /* tree given to mke2fs -d */
	char path[96];      /* the image */
	int fd;
	unsigned bs;
	struct ext2_fs *fs;
	uint32_t clock;
	long nlog_err;
	long fail_reads_after;  /* <0: never */
	long fail_writes_after;
	bool skip_fsck;
	/* every write, when recording (crash-point test) */
	bool record;
	struct wrec { uint64_t sector; uint32_t n; uint8_t *data; } *wlog;
	size_t nwlog, capwlog;
};

static int dev_read(void *ctx, uint64_t sector, void *buf, uint32_t n)
{
	struct img *im = ctx;

	if (im->fail_reads_after == 0)
		return -EIO;
	if (im->fail_reads_after > 0)
		im->fail_reads_after--;
	if (pread(im->fd, buf, (size_t)n * 512, (off_t)(sector * 512)) != (ssize_t)n * 512)
		return -EIO;
	return 0;
}

static int dev_write(void *ctx, uint64_t sector, const void *buf, uint32_t n)
{
	struct img *im = ctx;

	if (im->fail_writes_after == 0)
		return -EIO;
	if (im->fail_writes_after > 0)
		im->fail_writes_after--;
	if (im->record) {
		struct wrec *w;

		if (im->nwlog == im->capwlog) {
			im->capwlog = im->capwlog ? im->capwlog * 2 : 256;
			im->wlog = realloc(im->wlog, im->capwlog * sizeof(*im->wlog));
			assert_non_null(im->wlog);
		}
		w = &im->wlog[im->nwlog++];
		w->sector = sector;
		w->n = n;
		w->data = malloc((size_t)n * 512);
		memcpy(w->data, buf, (size_t)n * 512);
	}
	if (pwrite(im->fd, buf, (size_t)n * 512, (off_t)(sector * 512)) != (ssize_t)n * 512)
		return -EIO;
	return 0;
}

static int dev_flush(void *ctx)
{
	struct img *im = ctx;

	return fsync(im->fd) == 0 ? 0 : -EIO;
}

static void dev_log(void *ctx, int level, const char *msg)
{
	struct img *im = ctx;

	if (level == EXT2_LOG_ERR)
		im->nlog_err++;
	if (getenv("EXT2_TEST_VERBOSE"))
		fprintf(stderr, "[log %d] %s\n", level, msg);
}

static uint32_t dev_now(void *ctx)
{
	struct img *im = ctx;

	return 1700000000u + im->clock++;
}

static const struct ext2_blkdev_ops ops = {
	dev_read, dev_write, dev_flush, dev_log, dev_now,
};

/* ---- images ---------------------------------------------------------------- */

struct cfg {
	unsigned bs;
	unsigned size_kb;
	unsigned inodes;   /* 0: mke2fs default */
	unsigned cache;    /* 0: default */
	const char *extra; /* more mke2fs options */
};

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static uint8_t pattern(uint64_t pos)
{
	uint64_t z = (pos >> 3) + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint8_t)(z >> ((pos & 7) * 8));
}

static void fill_pattern(uint8_t *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(off + i);
}

#define BIG_SIZE (300u * 1024u + 123u) /* through the double-indirect range at 1 KiB */
#define LONG_TARGET "a/b/c/this-is-a-rather-long-symlink-target-that-exceeds-sixty-bytes/file"

static void populate(const char *root)
{
	char p[256];
	uint8_t *big = malloc(BIG_SIZE);

	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/hello.txt", root);
	write_file(p, "hello, tessera\n", 15);
	snprintf(p, sizeof(p), "%s/a", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/a/b", root);
	assert_int_equal(mkdir(p, 0750), 0);
	snprintf(p, sizeof(p), "%s/a/b/c", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/b/c/file", root);
	write_file(p, "deep\n", 5);
	snprintf(p, sizeof(p), "%s/empty", root);
	assert_int_equal(mkdir(p, 0755), 0);
	fill_pattern(big, 0, BIG_SIZE);
	snprintf(p, sizeof(p), "%s/big.bin", root);
	write_file(p, big, BIG_SIZE);
	free(big);
	snprintf(p, sizeof(p), "%s/link", root);
	assert_int_equal(symlink("hello.txt", p), 0);
	snprintf(p, sizeof(p), "%s/longlink", root);
	assert_int_equal(symlink(LONG_TARGET, p), 0);
	snprintf(p, sizeof(p), "%s/dirlink", root);
	assert_int_equal(symlink("/a/b", p), 0);
}

static void run_ok(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static int do_mount(struct img *im, unsigned cache, unsigned flags)
{
	struct ext2_mount_opts o = { 0, cache, flags };
	struct stat st;

	assert_int_equal(fstat(im->fd, &st), 0);
	o.dev_sectors = (uint64_t)st.st_size / 512;
	return ext2_mount(&ops, im, &o, &im->fs);
}

static void remount(struct img *im, unsigned cache)
{
	assert_int_equal(ext2_unmount(im->fs), 0);
	im->fs = NULL;
	assert_int_equal(do_mount(im, cache, 0), 0);
}

static int setup_cfg(void **state, const struct cfg *c)
{
	struct img *im = calloc(1, sizeof(*im));
	char cmd[512];

	im->bs = c->bs;
	im->fail_reads_after = im->fail_writes_after = -1;
	strcpy(im->dir, "/tmp/test_ext2.XXXXXX");
	assert_non_null(mkdtemp(im->dir));
	snprintf(im->root, sizeof(im->root), "%s/root", im->dir);
	snprintf(im->path, sizeof(im->path), "%s/img", im->dir);
	populate(im->root);
	{
		char n[32] = "";

		if (c->inodes)
			snprintf(n, sizeof(n), "-N %u", c->inodes);
		snprintf(cmd, sizeof(cmd),
			 "mke2fs -q -F -t ext2 -b %u %s %s -d %s %s %u >/dev/null 2>&1",
			 c->bs, n, c->extra ? c->extra : "", im->root, im->path,
			 c->size_kb / (c->bs / 1024));
	}
	run_ok(cmd);
	im->fd = open(im->path, O_RDWR);
	assert_true(im->fd >= 0);
	assert_int_equal(do_mount(im, c->cache, 0), 0);
	*state = im;
	return 0;
}

static void fsck_ok(struct img *im)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >%s/fsck.log 2>&1", im->path, im->dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/fsck.log >&2", im->dir);
		(void)system(cmd);
		fail_msg("e2fsck -fn found problems in %s", im->path);
	}
}

static int teardown(void **state)
{
	struct img *im = *state;
	char cmd[256];

	if (im->fs)
		assert_int_equal(ext2_unmount(im->fs), 0);
	im->fs = NULL;
	if (!im->skip_fsck)
		fsck_ok(im);
	close(im->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", im->dir);
	run_ok(cmd);
	for (size_t i = 0; i < im->nwlog; i++)
		free(im->wlog[i].data);
	free(im->wlog);
	free(im);
	return 0;
}

static const struct cfg cfg1k = { 1024, 8192, 0, 0, NULL };
static const struct cfg cfg4k = { 4096, 16384, 0, 0, NULL };

static int setup(void **state)
{
	const struct cfg *c = *state;

	return setup_cfg(state, c);
}

/* ---- helpers ----------------------------------------------------------------- */

static ext2_ino_t lookup(struct img *im, const char *path)
{
	ext2_ino_t ino = 0;
	int rc = ext2_lookup(im->fs, EXT2_ROOT_INO, path, EXT2_LOOKUP_FOLLOW, &ino);

	if (rc != 0)
		fail_msg("lookup %s: %d", path, rc);
	return ino;
}

static int lookup_rc(struct img *im, const char *path, unsigned flags)
{
	ext2_ino_t ino;

	return ext2_lookup(im->fs, EXT2_ROOT_INO, path, flags, &ino);
}

static ext2_ino_t mkfile(struct img *im, ext2_ino_t dir, const char *name)
{
	ext2_ino_t ino = 0;

	assert_int_equal(ext2_create(im->fs, dir, name, 0644, 1000, 1000, &ino), 0);
	return ino;
}

static ext2_ino_t mkdir_(struct img *im, ext2_ino_t dir, const char *name)
{
	ext2_ino_t ino = 0;

	assert_int_equal(ext2_mkdir(im->fs, dir, name, 0755, 0, 0, &ino), 0);
	return ino;
}

struct listing {
	char names[64][64];
	unsigned n;
	unsigned stop_after; /* 0: never stop */
	unsigned calls;
};

static int list_cb(void *arg, const char *name, uint32_t namelen, ext2_ino_t ino,
		   unsigned dtype, uint64_t next)
{
	struct listing *l = arg;

	assert_int_equal(strlen(name), namelen);
	assert_true(ino > 0);
	if (l->stop_after && l->calls++ == l->stop_after) {
		l->calls = 0;
		return 1;
	}
	if (l->n < 64)
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s:%u", name, dtype);
	l->n++;
	return 0;
}

/* entry is "name:dtype"; without the filetype feature dtype is 0. */
static bool listed(const struct listing *l, const char *entry)
{
	char unknown[80];

	snprintf(unknown, sizeof(unknown), "%.*s:0", (int)(strchr(entry, ':') - entry), entry);
	for (unsigned i = 0; i < l->n && i < 64; i++)
		if (strcmp(l->names[i], entry) == 0 || strcmp(l->names[i], unknown) == 0)
			return true;
	return false;
}

static void list_dir(struct img *im, ext2_ino_t dir, struct listing *l)
{
	uint64_t cookie = 0;
	int rc;

	memset(l->names, 0, sizeof(l->names));
	l->n = 0;
	do {
		rc = ext2_readdir(im->fs, dir, &cookie, list_cb, l);
		assert_true(rc >= 0);
	} while (rc == 1);
}

/* ---- tests: reading what mke2fs wrote ------------------------------------------- */

static void test_read_image(void **state)
{
	struct img *im = *state;
	struct ext2_stat st;
	struct listing l = { 0 };
	char buf[128];
	uint8_t *big;
	ext2_ino_t ino, ino2;

	ino = lookup(im, "/hello.txt");
	assert_int_equal(ext2_read(im->fs, ino, 0, buf, sizeof(buf)), 15);
	assert_memory_equal(buf, "hello, tessera\n", 15);
	assert_int_equal(ext2_read(im->fs, ino, 7, buf, 3), 3);
	assert_memory_equal(buf, "tes", 3);
	assert_int_equal(ext2_read(im->fs, ino, 15, buf, 3), 0);
	assert_int_equal(ext2_read(im->fs, ino, 1000, buf, 3), 0);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.size, 15);
	assert_int_equal(st.mode & EXT2_S_IFMT, EXT2_S_IFREG);
	assert_int_equal(st.nlink, 1);
	assert_int_equal(st.ino, ino);
	assert_int_equal(st.blksize, im->bs);
	assert_int_equal(st.blocks, im->bs / 512);

	/* through the double-indirect range (1 KiB blocks) */
	ino = lookup(im, "big.bin");
	big = malloc(BIG_SIZE + 100);
	assert_int_equal(ext2_read(im->fs, ino, 0, big, BIG_SIZE + 100), BIG_SIZE);
	for (size_t i = 0; i < BIG_SIZE; i++)
		if (big[i] != pattern(i))
			fail_msg("big.bin differs at %zu", i);
	assert_int_equal(ext2_read(im->fs, ino, 277 * 1024 + 5, big, 3000), 3000);
	for (size_t i = 0; i < 3000; i++)
		assert_int_equal(big[i], pattern(277 * 1024 + 5 + i));
	free(big);

	ino = lookup(im, "a/b/c/file");
	assert_int_equal(ext2_read(im->fs, ino, 0, buf, sizeof(buf)), 5);
	assert_int_equal(lookup(im, "//a///b/./c/../c/file"), ino);
	assert_int_equal(lookup(im, "/a/b/../../a/b/c/file"), ino);
	assert_int_equal(lookup(im, "/../../a/b/c/file"), ino);
	assert_int_equal(ext2_lookup(im->fs, lookup(im, "a/b"), "c/file", 0, &ino2), 0);
	assert_int_equal(ino2, ino);
	assert_int_equal(ext2_lookup(im->fs, lookup(im, "a/b/c"), "../../b/./c/file", 0, &ino2), 0);
	assert_int_equal(ino2, ino);
	assert_int_equal(lookup(im, "/"), EXT2_ROOT_INO);
	assert_int_equal(lookup(im, "/a/.."), EXT2_ROOT_INO);
	assert_int_equal(lookup(im, "a/"), lookup(im, "a"));

	/* symlinks */
	assert_int_equal(lookup(im, "link"), lookup(im, "hello.txt"));
	assert_int_equal(ext2_lookup(im->fs, EXT2_ROOT_INO, "link", 0, &ino), 0);
	assert_int_not_equal(ino, lookup(im, "hello.txt"));
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.mode & EXT2_S_IFMT, EXT2_S_IFLNK);
	assert_int_equal(ext2_readlink(im->fs, ino, buf, sizeof(buf)), 9);
	assert_memory_equal(buf, "hello.txt", 9);
	assert_int_equal(ext2_readlink(im->fs, ino, buf, 4), 4);
	assert_int_equal(ext2_lookup(im->fs, EXT2_ROOT_INO, "longlink", 0, &ino), 0);
	assert_int_equal(ext2_readlink(im->fs, ino, buf, sizeof(buf)), strlen(LONG_TARGET));
	assert_memory_equal(buf, LONG_TARGET, strlen(LONG_TARGET));
	assert_int_equal(lookup_rc(im, "longlink", EXT2_LOOKUP_FOLLOW), -ENOENT);
	assert_int_equal(lookup(im, "dirlink/c/file"), lookup(im, "a/b/c/file"));
	assert_int_equal(lookup(im, "dirlink/"), lookup(im, "a/b"));
	assert_int_equal(lookup(im, "dirlink/.."), lookup(im, "a"));

	list_dir(im, EXT2_ROOT_INO, &l);
	assert_true(listed(&l, ".:4"));
	assert_true(listed(&l, "..:4"));
	assert_true(listed(&l, "hello.txt:8"));
	assert_true(listed(&l, "a:4"));
	assert_true(listed(&l, "link:10"));
	assert_true(listed(&l, "big.bin:8"));
	assert_true(listed(&l, "lost+found:4"));
}

/* ---- tests: file data ------------------------------------------------------------- */

static void test_write_holes(void **state)
{
	struct img *im = *state;
	struct ext2_stat st;
	uint8_t buf[10000], z[10000];
	ext2_ino_t ino = mkfile(im, EXT2_ROOT_INO, "holey");
	uint64_t far = 3ull * im->bs * 1024 + 77; /* deep in the map */

	memset(z, 0, sizeof(z));
	assert_int_equal(ext2_write(im->fs, ino, 5000, "abc", 3), 3);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.size, 5003);
	assert_int_equal(ext2_read(im->fs, ino, 0, buf, sizeof(buf)), 5003);
	assert_memory_equal(buf, z, 5000);
	assert_memory_equal(buf + 5000, "abc", 3);
	/* a write far away leaves a hole and allocates indirect blocks */
	assert_int_equal(ext2_write(im->fs, ino, far, "xyz", 3), 3);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.size, far + 3);
	assert_true(st.blocks < 16 * (im->bs / 512));
	assert_int_equal(ext2_read(im->fs, ino, far - 100, buf, 200), 103);
	assert_memory_equal(buf, z, 100);
	assert_memory_equal(buf + 100, "xyz", 3);
	/* overwrite across a block boundary */
	fill_pattern(buf, 0, sizeof(buf));
	assert_int_equal(ext2_write(im->fs, ino, im->bs - 10, buf, 9000), 9000);
	assert_int_equal(ext2_read(im->fs, ino, im->bs - 10, z, 9000), 9000);
	assert_memory_equal(buf, z, 9000);
	assert_int_equal(ext2_write(im->fs, ino, 0, buf, 0), 0);
	remount(im, 0);
	assert_int_equal(ext2_read(im->fs, ino, im->bs - 10, z, 9000), 9000);
	assert_memory_equal(buf, z, 9000);
	assert_int_equal(ext2_read(im->fs, ino, far, buf, 10), 3);
	assert_memory_equal(buf, "xyz", 3);
}

static void test_triple_indirect(void **state)
{
	struct img *im = *state;
	uint64_t apb = im->bs / 4;
	uint64_t tind = (12 + apb + apb * apb) * im->bs; /* first byte mapped via TIND */
	struct ext2_statfs sf0, sf1;
	struct ext2_stat st;
	uint8_t buf[3000], got[3000];
	ext2_ino_t ino;

	if (im->bs != 1024) /* keep the file within 32-bit i_blocks reach */
		tind = 5ull << 30;
	assert_int_equal(ext2_statfs(im->fs, &sf0), 0);
	ino = mkfile(im, EXT2_ROOT_INO, "tind");
	fill_pattern(buf, tind - 1000, sizeof(buf));
	assert_int_equal(ext2_write(im->fs, ino, tind - 1000, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(ext2_read(im->fs, ino, tind - 1000, got, sizeof(got)), sizeof(got));
	assert_memory_equal(buf, got, sizeof(got));
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.size, tind + 2000);
	remount(im, 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(ext2_read(im->fs, ino, tind - 1000, got, sizeof(got)), sizeof(got));
	assert_memory_equal(buf, got, sizeof(got));
	/* shrink into the double-indirect range frees the TIND tree */
	assert_int_equal(ext2_truncate(im->fs, ino, tind - 500), 0);
	assert_int_equal(ext2_read(im->fs, ino, tind - 1000, got, sizeof(got)), 500);
	assert_memory_equal(buf, got, 500);
	assert_int_equal(ext2_truncate(im->fs, ino, 0), 0);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.blocks, 0);
	assert_int_equal(ext2_statfs(im->fs, &sf1), 0);
	assert_int_equal(sf0.bfree, sf1.bfree);
	assert_int_equal(sf0.ffree, sf1.ffree + 1);
}

static void test_big_file(void **state)
{
	struct img *im = *state;
	const uint64_t total = 20u << 20;
	const size_t chunk = 40961; /* odd: never block aligned */
	uint8_t *buf = malloc(chunk), *got = malloc(chunk);
	ext2_ino_t ino = mkfile(im, EXT2_ROOT_INO, "twenty");
	struct ext2_statfs sf0, sf1;
	struct ext2_stat st;
	uint64_t off;

	assert_int_equal(ext2_statfs(im->fs, &sf0), 0);
	for (off = 0; off < total;) {
		size_t n = chunk - (off / chunk) % 7 * 1001; /* vary the size */

		if (n > total - off)
			n = (size_t)(total - off);
		fill_pattern(buf, off, n);
		assert_int_equal(ext2_write(im->fs, ino, off, buf, n), (int64_t)n);
		off += n;
	}
	assert_int_equal(ext2_fsync(im->fs, ino), 0);
	remount(im, 64);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.size, total);
	for (off = 0; off < total;) {
		size_t n = 12345 + (off % 3) * 9999;

		if (n > total - off)
			n = (size_t)(total - off);
		assert_int_equal(ext2_read(im->fs, ino, off, got, n), (int64_t)n);
		fill_pattern(buf, off, n);
		if (memcmp(buf, got, n))
			fail_msg("20 MiB file differs in [%llu, +%zu)", (unsigned long long)off, n);
		off += n;
	}
	/* shrink to an odd size, then grow: the tail reads back as zeros */
	assert_int_equal(ext2_truncate(im->fs, ino, 1000001), 0);
	assert_int_equal(ext2_truncate(im->fs, ino, 1100000), 0);
	assert_int_equal(ext2_read(im->fs, ino, 1000000, got, 1000), 1000);
	assert_int_equal(got[0], pattern(1000000));
	for (int i = 1; i < 1000; i++)
		assert_int_equal(got[i], 0);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "twenty"), 0);
	assert_int_equal(ext2_statfs(im->fs, &sf1), 0);
	assert_int_equal(sf0.bfree, sf1.bfree);
	assert_int_equal(sf0.ffree, sf1.ffree - 1);
	free(buf);
	free(got);
}

static void test_truncate(void **state)
{
	struct img *im = *state;
	struct ext2_statfs sf0, sf1;
	struct ext2_stat st;
	uint8_t buf[4096];
	ext2_ino_t ino = mkfile(im, EXT2_ROOT_INO, "t");
	uint64_t sizes[] = { 0, 1, 12 * 1024 - 1, 12 * 1024, 13 * 1024 + 5, 270 * 1024,
			     300 * 1024, 1 << 20, 70 << 20 };

	assert_int_equal(ext2_statfs(im->fs, &sf0), 0);
	/* grow sparse: no blocks */
	assert_int_equal(ext2_truncate(im->fs, ino, 1 << 20), 0);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.size, 1 << 20);
	assert_int_equal(st.blocks, 0);
	assert_int_equal(ext2_read(im->fs, ino, 5000, buf, 100), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf[i], 0);
	/* fill, then shrink step by step through every map level */
	for (uint64_t off = 0; off < (400 << 10); off += sizeof(buf)) {
		fill_pattern(buf, off, sizeof(buf));
		assert_int_equal(ext2_write(im->fs, ino, off, buf, sizeof(buf)), sizeof(buf));
	}
	assert_int_equal(ext2_write(im->fs, ino, (70 << 20) - 10, "end", 3), 3);
	for (int i = (int)(sizeof(sizes) / sizeof(sizes[0])) - 1; i >= 0; i--) {
		uint64_t keep = sizes[i] < (400 << 10) ? sizes[i] : (400 << 10);

		assert_int_equal(ext2_truncate(im->fs, ino, sizes[i]), 0);
		assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
		assert_int_equal(st.size, sizes[i]);
		if (keep > 0) {
			uint64_t at = keep - 1;

			assert_int_equal(ext2_read(im->fs, ino, at, buf, 1), 1);
			assert_int_equal(buf[0], pattern(at));
		}
	}
	assert_int_equal(st.blocks, 0);
	assert_int_equal(ext2_statfs(im->fs, &sf1), 0);
	assert_int_equal(sf0.bfree, sf1.bfree + 0);
	assert_int_equal(ext2_truncate(im->fs, lookup(im, "a"), 0), -EISDIR);
	assert_int_equal(ext2_truncate(im->fs, ino, 1ull << 60), -EFBIG);
	assert_int_equal(ext2_write(im->fs, ino, 1ull << 60, "x", 1), -EFBIG);
}

/* ---- tests: directories ----------------------------------------------------------- */

static void test_mkdir_rmdir(void **state)
{
	struct img *im = *state;
	struct ext2_stat st, pst0, pst;
	struct listing l = { 0 };
	ext2_ino_t d, sub, f;

	assert_int_equal(ext2_stat(im->fs, EXT2_ROOT_INO, &pst0), 0);
	d = mkdir_(im, EXT2_ROOT_INO, "newdir");
	assert_int_equal(ext2_stat(im->fs, d, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(st.mode, EXT2_S_IFDIR | 0755);
	assert_int_equal(ext2_stat(im->fs, EXT2_ROOT_INO, &pst), 0);
	assert_int_equal(pst.nlink, pst0.nlink + 1);
	sub = mkdir_(im, d, "sub");
	f = mkfile(im, sub, "f");
	assert_int_equal(lookup(im, "newdir/sub/f"), f);
	assert_int_equal(lookup(im, "newdir/sub/.."), d);
	assert_int_equal(ext2_stat(im->fs, d, &st), 0);
	assert_int_equal(st.nlink, 3);
	list_dir(im, sub, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(ext2_rmdir(im->fs, d, "sub"), -ENOTEMPTY);
	assert_int_equal(ext2_rmdir(im->fs, sub, "f"), -ENOTDIR);
	assert_int_equal(ext2_unlink(im->fs, d, "sub"), -EISDIR);
	assert_int_equal(ext2_unlink(im->fs, sub, "f"), 0);
	assert_int_equal(ext2_rmdir(im->fs, d, "sub"), 0);
	assert_int_equal(ext2_stat(im->fs, d, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(ext2_stat(im->fs, sub, &st), -ESTALE);
	assert_int_equal(ext2_rmdir(im->fs, EXT2_ROOT_INO, "newdir"), 0);
	assert_int_equal(ext2_stat(im->fs, EXT2_ROOT_INO, &pst), 0);
	assert_int_equal(pst.nlink, pst0.nlink);
	assert_int_equal(lookup_rc(im, "newdir", 0), -ENOENT);
}

struct counter {
	unsigned *seen;
	unsigned calls;
};

static int count_cb(void *arg, const char *name, uint32_t namelen, ext2_ino_t ino,
		    unsigned dtype, uint64_t next)
{
	struct counter *c = arg;

	if (++c->calls % 997 == 0)
		return 1; /* refuse now and then: the caller resumes by cookie */
	if (namelen > 1 && name[0] == 'e') {
		unsigned i = (unsigned)atoi(name + 1);

		assert_true(i < 10000);
		assert_int_equal(c->seen[i], 0);
		c->seen[i] = 1;
	}
	return 0;
}

static void test_big_directory(void **state)
{
	struct img *im = *state;
	unsigned *seen = calloc(10000, sizeof(*seen));
	struct counter cnt = { seen, 0 };
	struct ext2_statfs sf0, sf1;
	char name[32];
	uint64_t cookie = 0;
	ext2_ino_t d, ino;
	int rc;

	assert_int_equal(ext2_statfs(im->fs, &sf0), 0);
	d = mkdir_(im, EXT2_ROOT_INO, "many");
	for (unsigned i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		assert_int_equal(ext2_create(im->fs, d, name, 0600, 0, 0, &ino), 0);
	}
	assert_int_equal(ext2_create(im->fs, d, "e5000", 0600, 0, 0, &ino), -EEXIST);
	do {
		rc = ext2_readdir(im->fs, d, &cookie, count_cb, &cnt);
		assert_true(rc >= 0);
	} while (rc == 1);
	for (unsigned i = 0; i < 10000; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(ext2_lookup_name(im->fs, d, "e9999", &ino), 0);
	assert_int_equal(ext2_sync(im->fs), 0);
	for (unsigned i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "e%u", (i * 7919) % 10000);
		assert_int_equal(ext2_unlink(im->fs, d, name), 0);
	}
	assert_int_equal(ext2_rmdir(im->fs, EXT2_ROOT_INO, "many"), 0);
	assert_int_equal(ext2_statfs(im->fs, &sf1), 0);
	assert_int_equal(sf0.ffree, sf1.ffree);
	assert_int_equal(sf0.bfree, sf1.bfree);
	free(seen);
}

static void test_readdir_resume(void **state)
{
	struct img *im = *state;
	struct listing all = { 0 }, part = { 0 };
	uint64_t cookie = 0;
	int rc;

	list_dir(im, EXT2_ROOT_INO, &all);
	/* stop after every entry: each call yields exactly one */
	part.stop_after = 1;
	do {
		rc = ext2_readdir(im->fs, EXT2_ROOT_INO, &cookie, list_cb, &part);
		assert_true(rc >= 0);
	} while (rc == 1);
	assert_int_equal(part.n, all.n);
	for (unsigned i = 0; i < all.n; i++)
		assert_string_equal(part.names[i], all.names[i]);
	/* deleting an entry between calls does not lose the others */
	cookie = 0;
	part.n = 0;
	part.calls = 0;
	part.stop_after = 3;
	assert_int_equal(ext2_readdir(im->fs, EXT2_ROOT_INO, &cookie, list_cb, &part), 1);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "hello.txt"), 0);
	do {
		rc = ext2_readdir(im->fs, EXT2_ROOT_INO, &cookie, list_cb, &part);
		assert_true(rc >= 0);
	} while (rc == 1);
	assert_true(part.n == all.n || part.n == all.n - 1);
	assert_int_equal(ext2_readdir(im->fs, lookup(im, "big.bin"), &cookie, list_cb, &part),
			 -ENOTDIR);
}

/* ---- tests: symlinks, links, nodes --------------------------------------------------- */

static void test_symlinks(void **state)
{
	struct img *im = *state;
	char target[5000], buf[5000];
	ext2_ino_t ino, a;
	struct ext2_stat st;

	assert_int_equal(ext2_symlink(im->fs, EXT2_ROOT_INO, "fast", "a/b/c/file", 0, 0, &ino), 0);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.blocks, 0);
	assert_int_equal(st.size, 10);
	assert_int_equal(lookup(im, "fast"), lookup(im, "a/b/c/file"));
	memset(target, 'x', sizeof(target));
	memcpy(target, "/a/b/c/", 7);
	target[200] = '\0';
	assert_int_equal(ext2_symlink(im->fs, EXT2_ROOT_INO, "slow", target, 0, 0, &ino), 0);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.blocks, im->bs / 512);
	assert_int_equal(ext2_readlink(im->fs, ino, buf, sizeof(buf)), 200);
	assert_memory_equal(buf, target, 200);
	assert_int_equal(lookup_rc(im, "slow", EXT2_LOOKUP_FOLLOW), -ENOENT);
	target[200] = 'x';
	target[im->bs] = '\0';
	assert_int_equal(ext2_symlink(im->fs, EXT2_ROOT_INO, "toolong", target, 0, 0, &ino),
			 -ENAMETOOLONG);
	assert_int_equal(ext2_symlink(im->fs, EXT2_ROOT_INO, "empty", "", 0, 0, &ino), -ENOENT);
	assert_int_equal(ext2_readlink(im->fs, lookup(im, "hello.txt"), buf, 10), -EINVAL);
	/* loops */
	assert_int_equal(ext2_symlink(im->fs, EXT2_ROOT_INO, "l1", "l2", 0, 0, &ino), 0);
	assert_int_equal(ext2_symlink(im->fs, EXT2_ROOT_INO, "l2", "/l1", 0, 0, &ino), 0);
	assert_int_equal(lookup_rc(im, "l1", EXT2_LOOKUP_FOLLOW), -ELOOP);
	assert_int_equal(lookup_rc(im, "l1", 0), 0);
	assert_int_equal(lookup_rc(im, "l1/x", 0), -ELOOP);
	assert_int_equal(ext2_symlink(im->fs, EXT2_ROOT_INO, "self", "self/x", 0, 0, &ino), 0);
	assert_int_equal(lookup_rc(im, "self", EXT2_LOOKUP_FOLLOW), -ELOOP);
	/* a chain of 40 links resolves, 41 does not */
	a = mkdir_(im, EXT2_ROOT_INO, "chain");
	for (int i = 0; i < 41; i++) {
		char name[16], tgt[16];

		snprintf(name, sizeof(name), "c%d", i);
		snprintf(tgt, sizeof(tgt), i ? "c%d" : "/hello.txt", i - 1);
		assert_int_equal(ext2_symlink(im->fs, a, name, tgt, 0, 0, &ino), 0);
	}
	assert_int_equal(lookup(im, "chain/c39"), lookup(im, "hello.txt"));
	assert_int_equal(lookup_rc(im, "chain/c40", EXT2_LOOKUP_FOLLOW), -ELOOP);
	/* unlinking symlinks frees their blocks (e2fsck checks) */
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "slow"), 0);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "fast"), 0);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "longlink"), 0);
}

static void test_links_and_nodes(void **state)
{
	struct img *im = *state;
	struct ext2_stat st;
	ext2_ino_t f = lookup(im, "hello.txt"), ino;
	char buf[32];

	assert_int_equal(ext2_link(im->fs, f, lookup(im, "a"), "hard"), 0);
	assert_int_equal(ext2_stat(im->fs, f, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(lookup(im, "a/hard"), f);
	assert_int_equal(ext2_link(im->fs, f, EXT2_ROOT_INO, "hello.txt"), -EEXIST);
	assert_int_equal(ext2_link(im->fs, lookup(im, "a"), EXT2_ROOT_INO, "dl"), -EPERM);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "hello.txt"), 0);
	assert_int_equal(ext2_read(im->fs, f, 0, buf, sizeof(buf)), 15);
	assert_int_equal(ext2_stat(im->fs, f, &st), 0);
	assert_int_equal(st.nlink, 1);
	assert_int_equal(ext2_mknod(im->fs, EXT2_ROOT_INO, "fifo", EXT2_S_IFIFO | 0600, 0, 0, 0, &ino), 0);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.mode, EXT2_S_IFIFO | 0600);
	assert_int_equal(ext2_read(im->fs, ino, 0, buf, 1), -EINVAL);
	assert_int_equal(ext2_mknod(im->fs, EXT2_ROOT_INO, "null", EXT2_S_IFCHR | 0666,
				    (1 << 8) | 3, 0, 0, &ino), 0);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.rdev, (1 << 8) | 3);
	assert_int_equal(ext2_mknod(im->fs, EXT2_ROOT_INO, "bigdev", EXT2_S_IFBLK | 0600,
				    (259u << 8) | 0x12345u << 12, 0, 0, &ino), 0);
	assert_int_equal(ext2_stat(im->fs, ino, &st), 0);
	assert_int_equal(st.rdev, (259u << 8) | 0x12345u << 12);
	assert_int_equal(ext2_mknod(im->fs, EXT2_ROOT_INO, "d", EXT2_S_IFDIR | 0600, 0, 0, 0, &ino),
			 -EINVAL);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "null"), 0);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "bigdev"), 0);
}

/* ---- tests: rename ------------------------------------------------------------------- */

static void test_rename(void **state)
{
	struct img *im = *state;
	struct ext2_stat st, rst0, rst;
	ext2_ino_t root = EXT2_ROOT_INO, f = lookup(im, "hello.txt"), a = lookup(im, "a");
	ext2_ino_t b = lookup(im, "a/b"), c = lookup(im, "a/b/c"), e = lookup(im, "empty");
	ext2_ino_t x, y, d2;

	/* plain, within one directory and across */
	assert_int_equal(ext2_rename(im->fs, root, "hello.txt", root, "hi"), 0);
	assert_int_equal(lookup(im, "hi"), f);
	assert_int_equal(lookup_rc(im, "hello.txt", 0), -ENOENT);
	assert_int_equal(ext2_rename(im->fs, root, "hi", c, "hi2"), 0);
	assert_int_equal(lookup(im, "a/b/c/hi2"), f);
	assert_int_equal(ext2_stat(im->fs, f, &st), 0);
	assert_int_equal(st.nlink, 1);
	/* over an existing file: the old target is freed */
	x = mkfile(im, root, "x");
	assert_int_equal(ext2_rename(im->fs, c, "hi2", root, "x"), 0);
	assert_int_equal(lookup(im, "x"), f);
	assert_int_equal(ext2_stat(im->fs, x, &st), -ESTALE);
	/* same inode: nothing happens */
	assert_int_equal(ext2_link(im->fs, f, root, "x2"), 0);
	assert_int_equal(ext2_rename(im->fs, root, "x", root, "x2"), 0);
	assert_int_equal(lookup(im, "x"), f);
	/* directories: '..' is fixed up and link counts move */
	assert_int_equal(ext2_stat(im->fs, root, &rst0), 0);
	assert_int_equal(ext2_rename(im->fs, b, "c", root, "c"), 0);
	assert_int_equal(lookup(im, "c/.."), root);
	assert_int_equal(lookup(im, "c/file"), lookup(im, "/c/file"));
	assert_int_equal(ext2_stat(im->fs, root, &rst), 0);
	assert_int_equal(rst.nlink, rst0.nlink + 1);
	assert_int_equal(ext2_stat(im->fs, b, &st), 0);
	assert_int_equal(st.nlink, 2);
	/* over an empty directory, across directories */
	d2 = mkdir_(im, a, "d2");
	assert_int_equal(ext2_rename(im->fs, root, "c", a, "d2"), 0);
	assert_int_equal(ext2_stat(im->fs, d2, &st), -ESTALE);
	assert_int_equal(lookup(im, "a/d2"), c);
	assert_int_equal(lookup(im, "a/d2/.."), a);
	assert_int_equal(ext2_stat(im->fs, a, &st), 0);
	assert_int_equal(st.nlink, 4); /* ., b, d2 and its parent's entry */
	assert_int_equal(ext2_stat(im->fs, root, &rst), 0);
	assert_int_equal(rst.nlink, rst0.nlink);
	/* over an empty directory in the same directory */
	y = mkdir_(im, a, "y");
	assert_int_equal(ext2_rename(im->fs, a, "d2", a, "y"), 0);
	assert_int_equal(ext2_stat(im->fs, y, &st), -ESTALE);
	assert_int_equal(ext2_stat(im->fs, a, &st), 0);
	assert_int_equal(st.nlink, 4);
	/* errors */
	assert_int_equal(ext2_rename(im->fs, root, "a", a, "inside"), -EINVAL);
	assert_int_equal(ext2_rename(im->fs, root, "a", b, "inside"), -EINVAL);
	assert_int_equal(ext2_rename(im->fs, root, "a", lookup(im, "a/y"), "z"), -EINVAL);
	assert_int_equal(ext2_rename(im->fs, root, "x", root, "a"), -EISDIR);
	assert_int_equal(ext2_rename(im->fs, root, "empty", root, "x"), -ENOTDIR);
	assert_int_equal(ext2_rename(im->fs, root, "empty", root, "a"), -ENOTEMPTY);
	assert_int_equal(ext2_rename(im->fs, root, "nope", root, "z"), -ENOENT);
	assert_int_equal(ext2_rename(im->fs, root, ".", root, "z"), -EBUSY);
	assert_int_equal(ext2_rename(im->fs, root, "x", root, ".."), -EBUSY);
	assert_int_equal(ext2_rename(im->fs, f, "x", root, "z"), -ENOTDIR);
	/* empty dir moved into a sibling and back */
	assert_int_equal(ext2_rename(im->fs, root, "empty", a, "e"), 0);
	assert_int_equal(ext2_rename(im->fs, a, "e", root, "empty"), 0);
	assert_int_equal(lookup(im, "empty"), e);
	assert_int_equal(lookup(im, "empty/.."), root);
}

/* ---- tests: attributes ------------------------------------------------------------ */

static void test_attributes(void **state)
{
	struct img *im = *state;
	struct ext2_stat st;
	struct ext2_statfs sf;
	ext2_ino_t f = lookup(im, "hello.txt");
	uint32_t gen;

	assert_int_equal(ext2_chmod(im->fs, f, 04711 | EXT2_S_IFDIR), 0);
	assert_int_equal(ext2_chown(im->fs, f, 100000, EXT2_ID_KEEP), 0);
	assert_int_equal(ext2_chown(im->fs, f, EXT2_ID_KEEP, 70000), 0);
	assert_int_equal(ext2_utimes(im->fs, f, 1234, EXT2_TIME_OMIT), 0);
	assert_int_equal(ext2_stat(im->fs, f, &st), 0);
	assert_int_equal(st.mode, EXT2_S_IFREG | 04711);
	assert_int_equal(st.uid, 100000);
	assert_int_equal(st.gid, 70000);
	assert_int_equal(st.atime, 1234);
	assert_int_not_equal(st.mtime, 1234);
	assert_true(st.ctime >= 1700000000u);
	assert_int_equal(ext2_utimes(im->fs, f, EXT2_TIME_OMIT, 99), 0);
	assert_int_equal(ext2_stat(im->fs, f, &st), 0);
	assert_int_equal(st.atime, 1234);
	assert_int_equal(st.mtime, 99);
	assert_int_equal(ext2_utimes(im->fs, f, EXT2_TIME_NOW, EXT2_TIME_NOW), 0);
	assert_int_equal(ext2_stat(im->fs, f, &st), 0);
	assert_true(st.mtime >= 1700000000u);
	gen = st.generation;
	assert_int_equal(ext2_check_generation(im->fs, f, gen), 0);
	assert_int_equal(ext2_check_generation(im->fs, f, gen + 1), -ESTALE);
	remount(im, 0);
	assert_int_equal(ext2_stat(im->fs, f, &st), 0);
	assert_int_equal(st.uid, 100000);
	assert_int_equal(st.mtime >= 1700000000u, 1);
	assert_int_equal(ext2_statfs(im->fs, &sf), 0);
	assert_int_equal(sf.bsize, im->bs);
	assert_true(sf.bfree > 0 && sf.bfree < sf.blocks);
	assert_true(sf.bavail <= sf.bfree);
	assert_true(sf.ffree > 0 && sf.ffree < sf.files);
	assert_int_equal(sf.namelen, 255);
	assert_false(sf.rdonly);
	/* inode numbers that name nothing */
	assert_int_equal(ext2_stat(im->fs, 0, &st), -ESTALE);
	assert_int_equal(ext2_stat(im->fs, 1u << 30, &st), -ESTALE);
	assert_int_equal(ext2_stat(im->fs, 7, &st), -ESTALE);
	assert_int_equal(ext2_stat(im->fs, sf.files, &st), -ESTALE);
}

/* ---- tests: every errno ----------------------------------------------------------- */

static void test_errnos(void **state)
{
	struct img *im = *state;
	char longname[300], name[EXT2_NAME_MAX + 1];
	char *longpath = malloc(EXT2_PATH_MAX + 10);
	ext2_ino_t root = EXT2_ROOT_INO, f = lookup(im, "hello.txt"), ino, parent;
	uint8_t buf[16];

	memset(longname, 'n', sizeof(longname));
	longname[256] = '\0';
	/* ENOENT */
	assert_int_equal(lookup_rc(im, "missing", 0), -ENOENT);
	assert_int_equal(lookup_rc(im, "a/missing/x", 0), -ENOENT);
	assert_int_equal(lookup_rc(im, "", 0), -ENOENT);
	assert_int_equal(ext2_unlink(im->fs, root, "missing"), -ENOENT);
	assert_int_equal(ext2_rmdir(im->fs, root, "missing"), -ENOENT);
	assert_int_equal(ext2_lookup_name(im->fs, root, "missing", &ino), -ENOENT);
	/* ENOTDIR */
	assert_int_equal(lookup_rc(im, "hello.txt/x", 0), -ENOTDIR);
	assert_int_equal(lookup_rc(im, "hello.txt/", 0), -ENOTDIR);
	assert_int_equal(lookup_rc(im, "link/", EXT2_LOOKUP_FOLLOW), -ENOTDIR);
	assert_int_equal(ext2_create(im->fs, f, "x", 0644, 0, 0, &ino), -ENOTDIR);
	assert_int_equal(ext2_mkdir(im->fs, f, "x", 0755, 0, 0, &ino), -ENOTDIR);
	assert_int_equal(ext2_lookup_name(im->fs, f, "x", &ino), -ENOTDIR);
	assert_int_equal(ext2_rmdir(im->fs, root, "hello.txt"), -ENOTDIR);
	assert_int_equal(ext2_lookup_parent(im->fs, root, "hello.txt/x", &parent, name), -ENOTDIR);
	/* EISDIR */
	assert_int_equal(ext2_unlink(im->fs, root, "a"), -EISDIR);
	assert_int_equal(ext2_unlink(im->fs, root, "."), -EISDIR);
	assert_int_equal(ext2_read(im->fs, root, 0, buf, 1), -EISDIR);
	assert_int_equal(ext2_write(im->fs, root, 0, buf, 1), -EISDIR);
	/* EEXIST */
	assert_int_equal(ext2_create(im->fs, root, "hello.txt", 0644, 0, 0, &ino), -EEXIST);
	assert_int_equal(ext2_mkdir(im->fs, root, "a", 0755, 0, 0, &ino), -EEXIST);
	assert_int_equal(ext2_mkdir(im->fs, root, ".", 0755, 0, 0, &ino), -EEXIST);
	assert_int_equal(ext2_mkdir(im->fs, root, "..", 0755, 0, 0, &ino), -EEXIST);
	assert_int_equal(ext2_symlink(im->fs, root, "link", "x", 0, 0, &ino), -EEXIST);
	assert_int_equal(ext2_lookup_parent(im->fs, root, "/", &parent, name), 0);
	assert_string_equal(name, "");
	assert_int_equal(ext2_mkdir(im->fs, parent, name, 0755, 0, 0, &ino), -EEXIST);
	/* ENOTEMPTY, EBUSY, EINVAL */
	assert_int_equal(ext2_rmdir(im->fs, root, "a"), -ENOTEMPTY);
	assert_int_equal(ext2_rmdir(im->fs, lookup(im, "a"), ".."), -ENOTEMPTY);
	assert_int_equal(ext2_rmdir(im->fs, lookup(im, "a"), "."), -EINVAL);
	assert_int_equal(ext2_rmdir(im->fs, root, ""), -EBUSY);
	assert_int_equal(ext2_create(im->fs, root, "a/b", 0644, 0, 0, &ino), -EINVAL);
	assert_int_equal(ext2_rename(im->fs, root, "a", lookup(im, "a/b/c"), "a"), -EINVAL);
	assert_int_equal(ext2_readlink(im->fs, f, (char *)buf, sizeof(buf)), -EINVAL);
	/* ENAMETOOLONG */
	assert_int_equal(ext2_create(im->fs, root, longname, 0644, 0, 0, &ino), -ENAMETOOLONG);
	assert_int_equal(ext2_mkdir(im->fs, root, longname, 0755, 0, 0, &ino), -ENAMETOOLONG);
	assert_int_equal(lookup_rc(im, longname, 0), -ENAMETOOLONG);
	snprintf(longpath, EXT2_PATH_MAX + 10, "a/%s/x", longname);
	assert_int_equal(lookup_rc(im, longpath, 0), -ENAMETOOLONG);
	memset(longpath, 'a', EXT2_PATH_MAX + 5);
	for (unsigned i = 1; i < EXT2_PATH_MAX + 5; i += 2)
		longpath[i] = '/';
	longpath[EXT2_PATH_MAX + 5] = '\0';
	assert_int_equal(lookup_rc(im, longpath, 0), -ENAMETOOLONG);
	longname[255] = '\0'; /* exactly 255 is fine */
	assert_int_equal(ext2_create(im->fs, root, longname, 0644, 0, 0, &ino), 0);
	assert_int_equal(lookup(im, longname), ino);
	assert_int_equal(ext2_unlink(im->fs, root, longname), 0);
	/* ELOOP */
	assert_int_equal(ext2_symlink(im->fs, root, "loop", "loop", 0, 0, &ino), 0);
	assert_int_equal(lookup_rc(im, "loop", EXT2_LOOKUP_FOLLOW), -ELOOP);
	assert_int_equal(lookup_rc(im, "loop/", 0), -ELOOP);
	/* ESTALE for dead inode numbers */
	assert_int_equal(ext2_read(im->fs, 9999999, 0, buf, 1), -ESTALE);
	/* EROFS */
	assert_int_equal(ext2_unmount(im->fs), 0);
	assert_int_equal(do_mount(im, 0, EXT2_MOUNT_RDONLY), 0);
	assert_true(ext2_is_readonly(im->fs));
	assert_int_equal(ext2_create(im->fs, root, "new", 0644, 0, 0, &ino), -EROFS);
	assert_int_equal(ext2_mkdir(im->fs, root, "new", 0755, 0, 0, &ino), -EROFS);
	assert_int_equal(ext2_write(im->fs, f, 0, buf, 1), -EROFS);
	assert_int_equal(ext2_truncate(im->fs, f, 0), -EROFS);
	assert_int_equal(ext2_unlink(im->fs, root, "hello.txt"), -EROFS);
	assert_int_equal(ext2_rmdir(im->fs, root, "empty"), -EROFS);
	assert_int_equal(ext2_rename(im->fs, root, "hello.txt", root, "z"), -EROFS);
	assert_int_equal(ext2_chmod(im->fs, f, 0600), -EROFS);
	assert_int_equal(ext2_symlink(im->fs, root, "s", "t", 0, 0, &ino), -EROFS);
	assert_int_equal(ext2_link(im->fs, f, root, "h"), -EROFS);
	assert_int_equal(ext2_read(im->fs, f, 0, buf, 5), 5);
	free(longpath);
}

/* ---- tests: space ------------------------------------------------------------------ */

static void test_enospc(void **state)
{
	struct img *im = *state;
	struct ext2_statfs sf;
	uint8_t *buf = malloc(64 * 1024);
	ext2_ino_t empty = lookup(im, "empty"), ino, ino2;
	int64_t n;
	uint64_t off = 0;
	int files = 0;
	char name[32];

	/* run out of inodes: empty files need no data blocks */
	for (;;) {
		snprintf(name, sizeof(name), "f%d", files);
		n = ext2_create(im->fs, empty, name, 0644, 0, 0, &ino2);
		if (n != 0)
			break;
		files++;
	}
	assert_int_equal(n, -ENOSPC);
	assert_int_equal(ext2_statfs(im->fs, &sf), 0);
	assert_int_equal(sf.ffree, 0);
	assert_int_equal(ext2_mkdir(im->fs, EXT2_ROOT_INO, "nodir", 0755, 0, 0, &ino2), -ENOSPC);
	assert_int_equal(ext2_unlink(im->fs, empty, "f0"), 0);
	ino = mkfile(im, EXT2_ROOT_INO, "fill");
	/* then out of blocks */
	fill_pattern(buf, 0, 64 * 1024);
	while ((n = ext2_write(im->fs, ino, off, buf, 64 * 1024)) > 0)
		off += (uint64_t)n;
	assert_int_equal(n, -ENOSPC);
	assert_int_equal(ext2_statfs(im->fs, &sf), 0);
	assert_int_equal(sf.bfree, 0);
	assert_true(off > 0);
	assert_int_equal(ext2_read(im->fs, ino, off - 100, buf, 100), 100);
	assert_int_equal(ext2_unlink(im->fs, empty, "f1"), 0);
	assert_int_equal(ext2_mkdir(im->fs, EXT2_ROOT_INO, "nodir", 0755, 0, 0, &ino2), -ENOSPC);
	assert_int_equal(ext2_symlink(im->fs, EXT2_ROOT_INO, "sl", LONG_TARGET, 0, 0, &ino2), -ENOSPC);
	remount(im, 0);
	/* deleting gives the space back */
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "fill"), 0);
	assert_int_equal(ext2_statfs(im->fs, &sf), 0);
	assert_true(sf.bfree >= off / im->bs);
	assert_int_equal(ext2_create(im->fs, EXT2_ROOT_INO, "more", 0644, 0, 0, &ino2), 0);
	assert_int_equal(ext2_write(im->fs, ino2, 0, buf, 64 * 1024), 64 * 1024);
	assert_int_equal(ext2_mkdir(im->fs, EXT2_ROOT_INO, "nodir", 0755, 0, 0, &ino2), 0);
	for (int i = 2; i < files; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(ext2_unlink(im->fs, empty, name), 0);
	}
	free(buf);
}

/* ---- tests: small cache, remount, device errors ------------------------------------- */

static void workload(struct img *im, unsigned seed)
{
	char name[32];
	uint8_t buf[5000];
	ext2_ino_t d = mkdir_(im, EXT2_ROOT_INO, "w"), ino;

	for (unsigned i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "file%u", i);
		ino = mkfile(im, d, name);
		fill_pattern(buf, i * 1000 + seed, sizeof(buf));
		assert_int_equal(ext2_write(im->fs, ino, (i % 5) * 3000, buf, sizeof(buf)), sizeof(buf));
		if (i % 3 == 0) {
			snprintf(name, sizeof(name), "sub%u", i);
			mkdir_(im, d, name);
		}
		if (i % 4 == 1) {
			snprintf(name, sizeof(name), "file%u", i - 1);
			assert_int_equal(ext2_unlink(im->fs, d, name), 0);
		}
	}
	for (unsigned i = 0; i < 300; i++) {
		if (i % 4 == 0)
			continue;
		snprintf(name, sizeof(name), "w/file%u", i);
		ino = lookup(im, name);
		assert_int_equal(ext2_read(im->fs, ino, (i % 5) * 3000, buf, sizeof(buf)), sizeof(buf));
		for (unsigned k = 0; k < sizeof(buf); k++)
			assert_int_equal(buf[k], pattern(i * 1000 + seed + k));
	}
}

static void test_small_cache(void **state)
{
	struct img *im = *state;
	struct ext2_stats st;

	remount(im, EXT2_CACHE_MIN_BLOCKS);
	workload(im, 1);
	ext2_get_stats(im->fs, &st);
	assert_true(st.cache_evictions > 0);
	assert_int_equal(st.corruptions, 0);
	remount(im, EXT2_CACHE_MIN_BLOCKS);
	assert_int_equal(ext2_rename(im->fs, EXT2_ROOT_INO, "w", lookup(im, "a/b"), "w"), 0);
	assert_int_equal(lookup(im, "a/b/w/sub3/.."), lookup(im, "a/b/w"));
}

static void test_device_errors(void **state)
{
	struct img *im = *state;
	uint8_t buf[4096];
	ext2_ino_t ino = lookup(im, "big.bin"), n;

	remount(im, EXT2_CACHE_MIN_BLOCKS);
	im->fail_reads_after = 0;
	assert_int_equal(ext2_read(im->fs, ino, 200 * 1024, buf, sizeof(buf)), -EIO);
	assert_int_equal(lookup_rc(im, "a/b/c/file", 0), -EIO);
	im->fail_reads_after = -1;
	assert_int_equal(ext2_read(im->fs, ino, 200 * 1024, buf, sizeof(buf)), sizeof(buf));
	n = mkfile(im, EXT2_ROOT_INO, "w");
	assert_int_equal(ext2_sync(im->fs), 0);
	im->fail_writes_after = 0;
	/* overwriting whole existing blocks goes straight to the device */
	assert_int_equal(ext2_write(im->fs, ino, 0, buf, sizeof(buf)), -EIO);
	assert_int_equal(ext2_chmod(im->fs, n, 0600), 0);
	assert_int_equal(ext2_sync(im->fs), -EIO);
	im->fail_writes_after = -1;
	assert_int_equal(ext2_sync(im->fs), 0);
	{
		struct ext2_stats st;

		ext2_get_stats(im->fs, &st);
		assert_true(st.io_errors >= 3);
	}
	im->fail_reads_after = 0;
	assert_int_equal(ext2_unmount(im->fs), 0);
	im->fs = NULL;
	assert_int_equal(do_mount(im, 0, 0), -EIO);
	im->fail_reads_after = -1;
	assert_int_equal(do_mount(im, 0, 0), 0);
}

/* ---- tests: crash points ------------------------------------------------------------ */

/*
 * Record every device write of a workload, then rebuild the image as it
 * would be after a crash at many points (the first k writes applied, as
 * after kill -9 of the storage node) and check the documented guarantee:
 * e2fsck -p repairs whatever it finds without asking (exit 0 or 1), after
 * which e2fsck -fn is clean, and data fsynced before the cut is intact.
 */
static void crash_workload(struct img *im, size_t *durable_at)
{
	uint8_t buf[7000];
	char name[32];
	ext2_ino_t root = EXT2_ROOT_INO, d, e, f, ino;

	d = mkdir_(im, root, "cw");
	e = mkdir_(im, d, "sub");
	for (unsigned i = 0; i < 24; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		f = mkfile(im, i % 2 ? d : e, name);
		fill_pattern(buf, i, sizeof(buf));
		assert_int_equal(ext2_write(im->fs, f, (i % 3) * 5000, buf, sizeof(buf)), sizeof(buf));
		if (i == 5) {
			/* directories move within one block; across, see super.c */
			assert_int_equal(ext2_rename(im->fs, d, "sub", d, "moved"), 0);
			f = mkfile(im, root, "durable");
			fill_pattern(buf, 777, sizeof(buf));
			assert_int_equal(ext2_write(im->fs, f, 0, buf, sizeof(buf)), sizeof(buf));
			assert_int_equal(ext2_fsync(im->fs, f), 0);
			*durable_at = im->nwlog;
		}
	}
	assert_int_equal(ext2_symlink(im->fs, d, "sl", LONG_TARGET, 0, 0, &ino), 0);
	for (unsigned i = 1; i < 24; i += 2) {
		snprintf(name, sizeof(name), "f%u", i);
		if (i % 4 == 1)
			assert_int_equal(ext2_unlink(im->fs, d, name), 0);
		else
			assert_int_equal(ext2_truncate(im->fs, lookup(im, "cw/f3"), i * 100), 0);
	}
	assert_int_equal(ext2_rename(im->fs, e, "f0", d, "f3"), 0);
	assert_int_equal(ext2_rename(im->fs, e, "f2", root, "f2"), 0);
	assert_int_equal(ext2_rename(im->fs, d, "moved", d, "back"), 0);
	assert_int_equal(ext2_link(im->fs, lookup(im, "f2"), d, "f2link"), 0);
	assert_int_equal(ext2_unlink(im->fs, root, "f2"), 0);
	assert_int_equal(ext2_rename(im->fs, d, "f2link", d, "f5"), 0);
	assert_int_equal(ext2_unlink(im->fs, root, "big.bin"), 0);
	assert_int_equal(ext2_rmdir(im->fs, root, "empty"), 0);
	assert_int_equal(ext2_mkdir(im->fs, root, "empty", 0700, 0, 0, &ino), 0);
}

static void test_crash_points(void **state)
{
	struct img *im = *state;
	struct stat st;
	uint8_t *base, *exp = malloc(7000);
	char crash[128], cmd[2048];
	size_t durable_at = (size_t)-1, step;
	int fd;

	remount(im, EXT2_CACHE_MIN_BLOCKS);
	assert_int_equal(ext2_sync(im->fs), 0);
	assert_int_equal(fstat(im->fd, &st), 0);
	base = malloc((size_t)st.st_size);
	assert_int_equal(pread(im->fd, base, (size_t)st.st_size, 0), st.st_size);
	im->record = true;
	crash_workload(im, &durable_at);
	assert_int_equal(ext2_unmount(im->fs), 0);
	im->fs = NULL;
	im->record = false;
	fill_pattern(exp, 777, 7000);
	snprintf(crash, sizeof(crash), "%s/crash.img", im->dir);
	step = im->nwlog / 24 + 1;
	for (size_t k = 0; k <= im->nwlog; k += (k + step > im->nwlog && k < im->nwlog) ?
	     im->nwlog - k : step) {
		int rc;

		fd = open(crash, O_RDWR | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, base, (size_t)st.st_size, 0), st.st_size);
		for (size_t i = 0; i < k; i++) {
			const struct wrec *w = &im->wlog[i];

			assert_int_equal(pwrite(fd, w->data, (size_t)w->n * 512,
						(off_t)(w->sector * 512)), (ssize_t)w->n * 512);
		}
		close(fd);
		/* Before repair: only what the guarantee (super.c) allows. */
		snprintf(cmd, sizeof(cmd), "e2fsck -fn %s 2>&1 | grep -v -E "
			 "-e '^e2fsck [0-9.]+ |^Pass [1-5][A-Z]?: |^$|^%s: |\\*\\*\\*\\*\\*' "
			 "-e '^ *[-+]?\\(?[0-9]+(--[0-9]+)?\\)?( [-+]?\\(?[0-9]+(--[0-9]+)?\\)?)* *$' "
			 "-e '^(Block|Inode) bitmap differences: |^Fix\\? no$|^Clear\\? no$' "
			 "-e 'count wrong( for group #[0-9]+)? \\([0-9]+, counted=[0-9]+\\)\\.$' "
			 "-e \"^Entry '.*' in .* \\([0-9]+\\) has deleted/unused inode [0-9]+\\.\" "
			 "-e '^Inode [0-9]+ ref count is [0-9]+, should be [0-9]+\\.' "
			 "-e '^Inode [0-9]+, i_(size|blocks) is [0-9]+, should be [0-9]+\\.' "
			 "-e 'WARNING: Filesystem still has errors' "
			 ">%s/odd.log; test ! -s %s/odd.log", crash, crash, im->dir, im->dir);
		if (system(cmd) != 0) {
			snprintf(cmd, sizeof(cmd), "cat %s/odd.log >&2", im->dir);
			(void)system(cmd);
			fail_msg("crash after %zu of %zu writes: e2fsck -fn found more than a crash "
				 "may leave", k, im->nwlog);
		}
		snprintf(cmd, sizeof(cmd), "e2fsck -fp %s >%s/crash.log 2>&1", crash, im->dir);
		rc = system(cmd);
		if (!WIFEXITED(rc) || WEXITSTATUS(rc) > 1) {
			snprintf(cmd, sizeof(cmd), "cat %s/crash.log >&2", im->dir);
			(void)system(cmd);
			fail_msg("crash after %zu of %zu writes: e2fsck -p exit %d",
				 k, im->nwlog, WEXITSTATUS(rc));
		}
		snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >%s/crash.log 2>&1", crash, im->dir);
		if (WEXITSTATUS(rc) == 1 && system(cmd) != 0)
			fail_msg("crash after %zu writes: not clean after e2fsck -p", k);
		if (k >= durable_at) {
			uint8_t got[7000];
			FILE *p;
			size_t n;

			snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /durable' %s 2>/dev/null", crash);
			p = popen(cmd, "r");
			n = fread(got, 1, sizeof(got), p);
			pclose(p);
			if (n != sizeof(got) || memcmp(got, exp, sizeof(got)))
				fail_msg("crash after %zu writes: fsynced file lost (%zu bytes)", k, n);
		}
	}
	free(base);
	free(exp);
}

/* ---- tests: corrupted images ---------------------------------------------------------- */

static void poke(struct img *im, uint64_t off, const void *data, size_t len)
{
	assert_int_equal(pwrite(im->fd, data, len, (off_t)off), (ssize_t)len);
}

static void poke32(struct img *im, uint64_t off, uint32_t v)
{
	poke(im, off, &v, 4);
}

static void poke16(struct img *im, uint64_t off, uint16_t v)
{
	poke(im, off, &v, 2);
}

static uint32_t peek32(struct img *im, uint64_t off)
{
	uint32_t v;

	assert_int_equal(pread(im->fd, &v, 4, (off_t)off), 4);
	return v;
}

/* debugfs tells where things are: "bmap <ino> lblk" and inode locations. */
static uint64_t debugfs_num(struct img *im, const char *req)
{
	char cmd[256], out[128] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "debugfs -R '%s' %s 2>/dev/null", req, im->path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	return strtoull(out, NULL, 10);
}

/* Byte offset of an inode's on-disk slot. */
static uint64_t inode_off(struct img *im, ext2_ino_t ino)
{
	uint32_t ipg = peek32(im, 1024 + 40);
	uint16_t isz;
	uint64_t gdt = (uint64_t)(im->bs == 1024 ? 2 : 1) * im->bs;
	uint32_t g = (ino - 1) / ipg, table;

	assert_int_equal(pread(im->fd, &isz, 2, 1024 + 88), 2);
	table = peek32(im, gdt + g * 32 + 8);
	return (uint64_t)table * im->bs + (uint64_t)((ino - 1) % ipg) * isz;
}

static void unmount_for_poke(struct img *im)
{
	assert_int_equal(ext2_unmount(im->fs), 0);
	im->fs = NULL;
	im->skip_fsck = true; /* the image is broken on purpose */
}

static void test_corrupt_super(void **state)
{
	struct img *im = *state;
	uint8_t sb[1024];
	struct { unsigned off, size; uint32_t val; } bad[] = {
		{ 56, 2, 0x1234 },       /* magic */
		{ 24, 4, 7 },            /* block size 128 KiB */
		{ 24, 4, 0xffffffffu },
		{ 4, 4, 0 },             /* block count */
		{ 4, 4, 0xffffffffu },   /* more blocks than the device */
		{ 32, 4, 0 },            /* blocks per group */
		{ 32, 4, 12345 },
		{ 40, 4, 0 },            /* inodes per group */
		{ 40, 4, 0x7fffffffu },
		{ 0, 4, 5 },             /* inode count */
		{ 20, 4, 9 },            /* first data block */
		{ 76, 4, 2 },            /* revision */
		{ 88, 2, 100 },          /* inode size */
		{ 88, 2, 8192 },
		{ 84, 4, 3 },            /* first inode */
		{ 96, 4, 0x40 | 0x2 },   /* incompat: extents */
		{ 96, 4, 0x4 | 0x2 },    /* incompat: needs recovery */
		{ 96, 4, 0x80000000u },  /* unknown incompat */
		{ 8, 4, 0xffffffffu },   /* reserved blocks */
	};

	unmount_for_poke(im);
	assert_int_equal(pread(im->fd, sb, sizeof(sb), 1024), sizeof(sb));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long errs = im->nlog_err;

		if (bad[i].size == 2)
			poke16(im, 1024 + bad[i].off, (uint16_t)bad[i].val);
		else
			poke32(im, 1024 + bad[i].off, bad[i].val);
		if (do_mount(im, 0, 0) != -EINVAL)
			fail_msg("superblock corruption %zu (offset %u) mounted", i, bad[i].off);
		assert_true(im->nlog_err > errs);
		poke(im, 1024, sb, sizeof(sb));
	}
	/* unknown read-only-compatible feature: read-only mount */
	poke32(im, 1024 + 100, peek32(im, 1024 + 100) | 0x10000u);
	assert_int_equal(do_mount(im, 0, 0), 0);
	assert_true(ext2_is_readonly(im->fs));
	assert_int_equal(lookup_rc(im, "a/b/c/file", 0), 0);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "hello.txt"), -EROFS);
	assert_int_equal(ext2_unmount(im->fs), 0);
	im->fs = NULL;
	poke(im, 1024, sb, sizeof(sb));
	assert_int_equal(do_mount(im, 0, 0), 0);
	im->skip_fsck = false;
}

static void test_corrupt_group_desc(void **state)
{
	struct img *im = *state;
	uint64_t gdt = (uint64_t)(im->bs == 1024 ? 2 : 1) * im->bs;
	uint8_t gd[32];
	unsigned offs[] = { 0, 4, 8 };
	uint32_t vals[] = { 0, 1, 0xffffffffu, 0x7fffffffu };

	unmount_for_poke(im);
	assert_int_equal(pread(im->fd, gd, sizeof(gd), (off_t)gdt), sizeof(gd));
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < 4; k++) {
			poke32(im, gdt + offs[i], vals[k]);
			assert_int_equal(do_mount(im, 0, 0), -EINVAL);
			poke(im, gdt, gd, sizeof(gd));
		}
	poke16(im, gdt + 12, 0xffff); /* free blocks count */
	assert_int_equal(do_mount(im, 0, 0), -EINVAL);
	poke(im, gdt, gd, sizeof(gd));
	/* bitmap pointing at the inode table */
	poke32(im, gdt + 0, peek32(im, gdt + 8));
	assert_int_equal(do_mount(im, 0, 0), -EINVAL);
	poke(im, gdt, gd, sizeof(gd));
	assert_int_equal(do_mount(im, 0, 0), 0);
	im->skip_fsck = false;
}

static void test_corrupt_inode(void **state)
{
	struct img *im = *state;
	ext2_ino_t f = lookup(im, "hello.txt"), big = lookup(im, "big.bin");
	ext2_ino_t dir = lookup(im, "a/b"), ln, ino;
	uint64_t fo = inode_off(im, f), bo = inode_off(im, big), dro = inode_off(im, dir), lo;
	uint8_t buf[64];
	struct ext2_stat st;

	assert_int_equal(ext2_lookup(im->fs, EXT2_ROOT_INO, "link", 0, &ln), 0);
	lo = inode_off(im, ln);
	unmount_for_poke(im);
	poke16(im, fo + 0, 0xf1ed);            /* mode: no such type */
	poke32(im, bo + 40 + 4 * 3, 0xfffffff0u); /* direct block out of range */
	poke32(im, bo + 40 + 4 * 4, 1);          /* direct block = superblock area */
	poke32(im, dro + 4, 1000);               /* directory size not block-multiple */
	poke32(im, lo + 4, 5000);                /* fast symlink too long */
	assert_int_equal(do_mount(im, 0, 0), 0);
	assert_int_equal(ext2_stat(im->fs, f, &st), -EUCLEAN);
	assert_int_equal(ext2_read(im->fs, f, 0, buf, 1), -EUCLEAN);
	assert_int_equal(lookup_rc(im, "hello.txt", 0), -EUCLEAN);
	assert_int_equal(ext2_read(im->fs, big, 0, buf, 64), 64);
	assert_int_equal(ext2_read(im->fs, big, 3 * im->bs, buf, 64), -EUCLEAN);
	assert_int_equal(ext2_read(im->fs, big, 4 * im->bs + 1, buf, 64), -EUCLEAN);
	assert_int_equal(ext2_write(im->fs, big, 4 * im->bs, buf, 64), -EUCLEAN);
	assert_int_equal(lookup_rc(im, "a/b/c/file", 0), -EUCLEAN);
	assert_int_equal(lookup_rc(im, "link", EXT2_LOOKUP_FOLLOW), -EUCLEAN);
	assert_int_equal(ext2_readlink(im->fs, ln, (char *)buf, sizeof(buf)), -EUCLEAN);
	/* freeing a file with bad pointers skips them instead of freeing metadata */
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "big.bin"), 0);
	assert_int_equal(ext2_create(im->fs, EXT2_ROOT_INO, "after", 0644, 0, 0, &ino), 0);
	{
		struct ext2_stats s;

		ext2_get_stats(im->fs, &s);
		assert_true(s.corruptions >= 5);
	}
}

static void test_corrupt_dir_block(void **state)
{
	struct img *im = *state;
	ext2_ino_t a = lookup(im, "a");
	uint64_t blk = debugfs_num(im, "bmap /a 0");
	uint64_t off = blk * im->bs;
	uint8_t save[64];
	struct listing l = { 0 };
	uint64_t cookie = 0;
	ext2_ino_t ino;
	struct { unsigned at, size; uint32_t val; } bad[] = {
		{ 4, 2, 0 },          /* rec_len of "." */
		{ 4, 2, 13 },         /* unaligned */
		{ 4, 2, 0xfffc },     /* past the block */
		{ 16, 2, 0 },         /* rec_len of ".." */
		{ 6, 2, 0x09 },       /* name_len beyond rec_len (and type 0) */
		{ 12, 4, 0x7fffffff },/* ".." inode out of range */
	};

	assert_true(blk > 0);
	unmount_for_poke(im);
	assert_int_equal(pread(im->fd, save, sizeof(save), (off_t)off), sizeof(save));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].size == 2)
			poke16(im, off + bad[i].at, (uint16_t)bad[i].val);
		else
			poke32(im, off + bad[i].at, bad[i].val);
		assert_int_equal(do_mount(im, 0, 0), 0);
		if (lookup_rc(im, "a/b/c/file", 0) != -EUCLEAN)
			fail_msg("dir corruption %zu not reported by lookup", i);
		assert_int_equal(ext2_readdir(im->fs, a, &cookie, list_cb, &l), -EUCLEAN);
		assert_int_equal(ext2_create(im->fs, a, "new", 0644, 0, 0, &ino), -EUCLEAN);
		assert_int_equal(ext2_rmdir(im->fs, EXT2_ROOT_INO, "a"), -EUCLEAN);
		assert_int_equal(ext2_unmount(im->fs), 0);
		im->fs = NULL;
		poke(im, off, save, sizeof(save));
	}
	assert_int_equal(do_mount(im, 0, 0), 0);
	assert_int_equal(lookup_rc(im, "a/b/c/file", 0), 0);
	/* an entry naming a free inode */
	poke32(im, off + 12, 9999 < peek32(im, 1024) ? 9999 : peek32(im, 1024) - 1);
	remount(im, 0);
	assert_int_equal(lookup_rc(im, "a/b/c/file", 0), 0); /* ".." not used going down */
	assert_int_equal(lookup_rc(im, "a/..", 0), -EUCLEAN);
	assert_int_equal(ext2_rename(im->fs, EXT2_ROOT_INO, "empty", lookup(im, "a/b"), "e"), -EUCLEAN);
}

static void test_corrupt_indirect(void **state)
{
	struct img *im = *state;
	ext2_ino_t big = lookup(im, "big.bin");
	uint8_t buf[64];
	uint64_t bo = inode_off(im, big), ind;

	unmount_for_poke(im);
	ind = peek32(im, bo + 40 + 4 * 12); /* the IND block */
	assert_true(ind > 0);
	poke32(im, ind * im->bs + 4 * 2, 0xabcdef01u);   /* entry 2 out of range */
	poke32(im, ind * im->bs + 4 * 3, peek32(im, 1024 + 20) + 1); /* entry 3: descriptors */
	if (im->bs == 1024) {
		uint64_t dind = peek32(im, bo + 40 + 4 * 13);

		assert_true(dind > 0);
		poke32(im, dind * im->bs, 0xfffffff1u);  /* first DIND entry */
	}
	assert_int_equal(do_mount(im, 0, 0), 0);
	assert_int_equal(ext2_read(im->fs, big, 12 * im->bs, buf, 64), 64);
	assert_int_equal(ext2_read(im->fs, big, 14 * im->bs, buf, 64), -EUCLEAN);
	assert_int_equal(ext2_read(im->fs, big, 15 * im->bs, buf, 64), -EUCLEAN);
	if (im->bs == 1024)
		assert_int_equal(ext2_read(im->fs, big, (12 + 256) * 1024, buf, 64), -EUCLEAN);
	assert_int_equal(ext2_truncate(im->fs, big, 13 * im->bs), 0);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "big.bin"), 0);
}

/* ---- tests: extended-attribute blocks --------------------------------------------------- */

static void test_xattr_blocks(void **state)
{
	struct img *im = *state;
	struct ext2_statfs sf0, sf1;
	struct ext2_stat st;
	char cmd[512], val[800];

	unmount_for_poke(im);
	im->skip_fsck = false;
	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	snprintf(cmd, sizeof(cmd), "%s/val", im->dir);
	write_file(cmd, val, strlen(val));
	/* values too large for the inode go to an attribute block */
	snprintf(cmd, sizeof(cmd), "debugfs -w -R 'ea_set -f %s/val /hello.txt user.big' %s "
		 ">/dev/null 2>&1 && debugfs -w -R 'ea_set -f %s/val /empty user.big' %s "
		 ">/dev/null 2>&1", im->dir, im->path, im->dir, im->path);
	run_ok(cmd);
	assert_int_equal(do_mount(im, 0, 0), 0);
	assert_int_equal(ext2_stat(im->fs, lookup(im, "hello.txt"), &st), 0);
	assert_int_equal(st.blocks, 2 * (im->bs / 512));
	assert_int_equal(ext2_statfs(im->fs, &sf0), 0);
	assert_int_equal(ext2_unlink(im->fs, EXT2_ROOT_INO, "hello.txt"), 0);
	assert_int_equal(ext2_rmdir(im->fs, EXT2_ROOT_INO, "empty"), 0);
	assert_int_equal(ext2_statfs(im->fs, &sf1), 0);
	assert_int_equal(sf1.bfree, sf0.bfree + 4);
}

/* ---- main ------------------------------------------------------------------------------- */

static const struct cfg cfg1k_big = { 1024, 32768, 0, 0, NULL };
static const struct cfg cfg4k_big = { 4096, 32768, 0, 0, NULL };
static const struct cfg cfg1k_dir = { 1024, 16384, 12000, 0, NULL };
static const struct cfg cfg4k_dir = { 4096, 16384, 12000, 0, NULL };
static const struct cfg cfg1k_small = { 1024, 1024, 0, 0, NULL };
static const struct cfg cfg4k_small = { 4096, 2048, 0, 0, NULL };
static const struct cfg cfg2k = { 2048, 8192, 0, 0, NULL };
static const struct cfg cfg1k_rev0 = { 1024, 8192, 0, 0, "-r 0" };
/* no filetype in entries, 128-byte inodes, no sparse superblocks */
static const struct cfg cfg1k_plain = { 1024, 8192, 0, 0,
	"-O ^filetype,^sparse_super,^dir_index,^resize_inode -I 128" };

#define BOTH(f) \
	cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)&cfg1k), \
	cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)&cfg4k)
#define WITH(f, c) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)&(c))

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_read_image),
		BOTH(test_write_holes),
		BOTH(test_triple_indirect),
		WITH(test_big_file, cfg1k_big),
		WITH(test_big_file, cfg4k_big),
		BOTH(test_truncate),
		BOTH(test_mkdir_rmdir),
		WITH(test_big_directory, cfg1k_dir),
		WITH(test_big_directory, cfg4k_dir),
		BOTH(test_readdir_resume),
		BOTH(test_symlinks),
		BOTH(test_links_and_nodes),
		BOTH(test_rename),
		BOTH(test_attributes),
		BOTH(test_errnos),
		WITH(test_enospc, cfg1k_small),
		WITH(test_enospc, cfg4k_small),
		BOTH(test_small_cache),
		BOTH(test_device_errors),
		BOTH(test_crash_points),
		BOTH(test_corrupt_super),
		BOTH(test_corrupt_group_desc),
		BOTH(test_corrupt_inode),
		BOTH(test_corrupt_dir_block),
		BOTH(test_corrupt_indirect),
		BOTH(test_xattr_blocks),
		WITH(test_read_image, cfg2k),
		WITH(test_truncate, cfg2k),
		WITH(test_rename, cfg2k),
		WITH(test_read_image, cfg1k_rev0),
		WITH(test_rename, cfg1k_rev0),
		WITH(test_small_cache, cfg1k_rev0),
		WITH(test_mkdir_rmdir, cfg1k_rev0),
		WITH(test_read_image, cfg1k_plain),
		WITH(test_small_cache, cfg1k_plain),
		WITH(test_symlinks, cfg1k_plain),
		WITH(test_crash_points, cfg1k_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
