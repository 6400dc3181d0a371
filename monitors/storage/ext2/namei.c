/*
 * namei.c - names: the path walk (symlinks, ".", "..", repeated slashes,
 * ELOOP after EXT2_SYMLOOP_MAX links) and the calls that change the
 * namespace: create, mknod, mkdir, symlink, link, unlink, rmdir, rename,
 * plus readlink. Write ordering for crash safety is described in super.c.
 */
#include <stdlib.h>
#include <string.h>
#include "ext2_priv.h"

#define EXT2_LINK_MAX 32000u
/* Bound on ".." steps when checking a rename does not create a loop. */
#define EXT2_MAX_DEPTH 65536u

/* Reads an inode named by a directory entry: a free inode is corruption. */
static int iget_entry(struct ext2_fs *fs, ext2_ino_t dir, ext2_ino_t ino, struct ext2_inode *in)
{
	int rc = ext2_iget(fs, ino, in);

	if (rc == -ESTALE)
		rc = ext2_corrupt(fs, "directory %u: entry names unused inode %u", dir, ino, 0);
	return rc;
}

static int get_dir(struct ext2_fs *fs, ext2_ino_t dir, struct ext2_inode *din)
{
	int rc = ext2_iget(fs, dir, din);

	if (rc < 0)
		return rc;
	return EXT2_S_ISDIR(din->i_mode) ? 0 : -ENOTDIR;
}

/* Length of a valid name, or -errno: empty names get empty_err. */
static int check_name(const char *name, int empty_err)
{
	size_t len = strnlen(name, EXT2_NAME_MAX + 1);

	if (len == 0)
		return empty_err;
	if (len > EXT2_NAME_MAX)
		return -ENAMETOOLONG;
	if (strchr(name, '/'))
		return -EINVAL;
	return (int)len;
}

static bool is_dot_name(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* Copy a symlink's target (in->i_size bytes) into buf of bs bytes. */
static int read_target(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in, char *buf)
{
	uint32_t len = in->i_size;
	uint32_t pblk;
	struct bbuf *b;
	int rc;

	if (ext2_is_fast_symlink(fs, in)) {
		memcpy(buf, in->i_block, len);
		return (int)len;
	}
	rc = ext2_bmap(fs, ino, in, 0, false, &pblk, NULL);
	if (rc < 0)
		return rc;
	if (pblk == 0)
		return ext2_corrupt(fs, "symlink %u: no data block", ino, 0, 0);
	rc = bcache_get(&fs->bc, pblk, &b);
	if (rc < 0)
		return rc;
	memcpy(buf, b->data, len);
	bcache_put(&fs->bc, b);
	return (int)len;
}

int ext2_readlink(struct ext2_fs *fs, ext2_ino_t ino, char *buf, size_t bufsize)
{
	struct ext2_inode in;
	char *tmp;
	int rc = ext2_iget(fs, ino, &in);

	if (rc < 0)
		return rc;
	if (!EXT2_S_ISLNK(in.i_mode))
		return -EINVAL;
	tmp = malloc(fs->block_size);
	if (!tmp)
		return -ENOMEM;
	rc = read_target(fs, ino, &in, tmp);
	if (rc >= 0) {
		if ((size_t)rc > bufsize)
			rc = (int)bufsize;
		memcpy(buf, tmp, (size_t)rc);
	}
	free(tmp);
	return rc;
}

/* ---- the path walk ----------------------------------------------------------- */

struct walk {
	char *path;   /* current path text, EXT2_PATH_MAX + 1 bytes */
	char *spare;  /* for splicing in a symlink target */
	char *target; /* a symlink's target, block_size bytes */
	unsigned links;
};

/* Replace the walk's path by target + "/" + rest. */
static int splice_link(struct walk *w, const char *target, size_t tlen, const char *rest)
{
	size_t rlen = strlen(rest);

	if (tlen + 1 + rlen > EXT2_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(w->spare, target, tlen);
	w->spare[tlen] = '\0';
	if (rlen) {
		w->spare[tlen] = '/';
		memcpy(w->spare + tlen + 1, rest, rlen + 1);
	}
	{
		char *t = w->path;

		w->path = w->spare;
		w->spare = t;
	}
	return 0;
}

static int walk(struct ext2_fs *fs, ext2_ino_t start, const char *path, unsigned flags,
		bool want_parent, ext2_ino_t *out, char *name)
{
	struct walk w = { 0, 0, 0, 0 };
	struct ext2_inode in;
	ext2_ino_t cur;
	size_t i = 0, plen = strnlen(path, EXT2_PATH_MAX + 1);
	int rc;

	if (plen == 0)
		return -ENOENT;
	if (plen > EXT2_PATH_MAX)
		return -ENAMETOOLONG;
	w.path = malloc(EXT2_PATH_MAX + 1);
	w.spare = malloc(EXT2_PATH_MAX + 1);
	w.target = malloc(fs->block_size);
	if (!w.path || !w.spare || !w.target) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(w.path, path, plen + 1);
	cur = w.path[0] == '/' ? EXT2_ROOT_INO : start;

	for (;;) {
		const char *p = w.path;
		size_t j, k, clen;
		bool last, slash;
		ext2_ino_t next;

		while (p[i] == '/')
			i++;
		rc = get_dir(fs, cur, &in);
		if (rc < 0)
			goto out;
		if (p[i] == '\0') {
			/* "/" or a path ending in "." etc.: the directory itself. */
			if (want_parent)
				name[0] = '\0';
			*out = cur;
			goto out;
		}
		for (j = i; p[j] && p[j] != '/'; j++)
			;
		clen = j - i;
		if (clen > EXT2_NAME_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		for (k = j; p[k] == '/'; k++)
			;
		last = p[k] == '\0';
		slash = last && k != j;
		if (want_parent && last) {
			memcpy(name, p + i, clen);
			name[clen] = '\0';
			*out = cur;
			goto out;
		}
		if (clen == 1 && p[i] == '.') {
			next = cur;
		} else if (clen == 2 && p[i] == '.' && p[i + 1] == '.' && cur == EXT2_ROOT_INO) {
			next = cur;
		} else {
			rc = ext2_dir_find(fs, cur, &in, p + i, clen, &next, NULL);
			if (rc < 0)
				goto out;
		}
		rc = iget_entry(fs, cur, next, &in);
		if (rc < 0)
			goto out;
		if (EXT2_S_ISLNK(in.i_mode) && (!last || slash || (flags & EXT2_LOOKUP_FOLLOW))) {
			int tlen;

			if (++w.links > EXT2_SYMLOOP_MAX) {
				rc = -ELOOP;
				goto out;
			}
			tlen = read_target(fs, next, &in, w.target);
			if (tlen < 0) {
				rc = tlen;
				goto out;
			}
			tlen = (int)strnlen(w.target, (size_t)tlen);
			if (tlen == 0) {
				rc = -ENOENT;
				goto out;
			}
			/* Keep a trailing slash: the target must then be a directory. */
			rc = splice_link(&w, w.target, (size_t)tlen, slash ? "/" : p + k);
			if (rc < 0)
				goto out;
			if (w.path[0] == '/')
				cur = EXT2_ROOT_INO;
			i = 0;
			continue;
		}
		if (last) {
			if (slash && !EXT2_S_ISDIR(in.i_mode)) {
				rc = -ENOTDIR;
				goto out;
			}
			*out = next;
			goto out;
		}
		if (!EXT2_S_ISDIR(in.i_mode)) {
			rc = -ENOTDIR;
			goto out;
		}
		cur = next;
		i = k;
	}
out:
	free(w.path);
	free(w.spare);
	free(w.target);
	return rc;
}

int ext2_lookup(struct ext2_fs *fs, ext2_ino_t dir, const char *path, unsigned flags,
		ext2_ino_t *ino)
{
	return walk(fs, dir, path, flags, false, ino, NULL);
}

int ext2_lookup_parent(struct ext2_fs *fs, ext2_ino_t dir, const char *path,
		       ext2_ino_t *parent, char *name)
{
	return walk(fs, dir, path, 0, true, parent, name);
}

int ext2_lookup_name(struct ext2_fs *fs, ext2_ino_t dir, const char *name, ext2_ino_t *ino)
{
	struct ext2_inode din;
	int len = check_name(name, -ENOENT);
	int rc;

	if (len < 0)
		return len;
	rc = get_dir(fs, dir, &din);
	if (rc < 0)
		return rc;
	if (dir == EXT2_ROOT_INO && strcmp(name, "..") == 0) {
		*ino = dir;
		return 0;
	}
	return ext2_dir_find(fs, dir, &din, name, (size_t)len, ino, NULL);
}

/* ---- creating ------------------------------------------------------------------- */

/* A deletion time e2fsck cannot mistake for an orphan-list link. */
static uint32_t dtime_now(struct ext2_fs *fs)
{
	uint32_t now = ext2_now(fs);

	return now > fs->inodes_count ? now : fs->inodes_count + 1;
}

static void init_inode(struct ext2_fs *fs, struct ext2_inode *in, uint32_t mode,
		       uint32_t uid, uint32_t gid)
{
	uint32_t now = ext2_now(fs);

	memset(in, 0, sizeof(*in));
	in->i_mode = (uint16_t)mode;
	in->i_uid = (uint16_t)uid;
	in->i_uid_high = (uint16_t)(uid >> 16);
	in->i_gid = (uint16_t)gid;
	in->i_gid_high = (uint16_t)(gid >> 16);
	in->i_atime = in->i_ctime = in->i_mtime = now;
	/* Born "deleted" (no links, dtime set): until its name is on disk an
	 * unnamed inode is just a free inode to e2fsck, never an unattached
	 * one, which e2fsck -p would refuse to repair. See go_live(). */
	in->i_links_count = 0;
	in->i_dtime = dtime_now(fs);
	in->i_generation = fs->next_generation++;
}

/* The new name is in the cache: once it is on disk (the ordering point),
 * the inode may count its links. */
static int go_live(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in, uint16_t links)
{
	int rc = ext2_barrier(fs);

	if (rc < 0)
		return rc;
	in->i_links_count = links;
	in->i_dtime = 0;
	return ext2_iput(fs, ino, in);
}

/* Undo an inode allocation whose directory entry was never written. */
static void abandon_inode(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in, bool is_dir)
{
	struct ext2_freelist fl;

	ext2_freelist_init(&fl);
	if (!EXT2_S_ISLNK(in->i_mode) || !ext2_is_fast_symlink(fs, in))
		ext2_detach_blocks(fs, ino, in, 0, &fl);
	in->i_links_count = 0;
	in->i_dtime = dtime_now(fs);
	/* Never named and never live on disk: free it right away. */
	if (ext2_iput(fs, ino, in) == 0) {
		ext2_release_blocks(fs, &fl);
		ext2_free_inode(fs, ino, is_dir);
	}
	ext2_freelist_done(&fl);
}

/* Shared front half of the creating calls: checks, directory, free slot. */
static int create_begin(struct ext2_fs *fs, ext2_ino_t dir, const char *name,
			struct ext2_inode *din, struct ext2_dirslot *slot)
{
	int len;
	int rc;

	if (fs->rdonly)
		return -EROFS;
	len = check_name(name, -EEXIST);
	if (len < 0)
		return len;
	rc = get_dir(fs, dir, din);
	if (rc < 0)
		return rc;
	if (din->i_links_count == 0)
		return -ENOENT;
	rc = ext2_dir_prepare(fs, dir, din, name, (size_t)len, slot);
	return rc < 0 ? rc : len;
}

int ext2_mknod(struct ext2_fs *fs, ext2_ino_t dir, const char *name, uint32_t mode,
	       uint32_t rdev, uint32_t uid, uint32_t gid, ext2_ino_t *ino)
{
	struct ext2_inode din, in;
	struct ext2_dirslot slot;
	uint32_t type = mode & EXT2_S_IFMT;
	int len, rc;

	if (type == 0)
		type = EXT2_S_IFREG;
	if (type != EXT2_S_IFREG && type != EXT2_S_IFIFO && type != EXT2_S_IFSOCK &&
	    type != EXT2_S_IFCHR && type != EXT2_S_IFBLK)
		return -EINVAL;
	len = create_begin(fs, dir, name, &din, &slot);
	if (len < 0)
		return len;
	rc = ext2_alloc_inode(fs, dir, false, ino);
	if (rc < 0)
		return rc;
	init_inode(fs, &in, type | (mode & 07777), uid, gid);
	if (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK) {
		/* Old 16-bit encoding in i_block[0] when it fits, as Linux does. */
		if (rdev < 0x10000u)
			in.i_block[0] = rdev;
		else
			in.i_block[1] = rdev;
	}
	rc = ext2_iput_new(fs, *ino, &in);
	if (rc == 0)
		rc = ext2_dir_commit(fs, dir, &din, &slot, name, (size_t)len, *ino, in.i_mode);
	if (rc < 0) {
		abandon_inode(fs, *ino, &in, false);
		return rc;
	}
	return go_live(fs, *ino, &in, 1);
}

int ext2_create(struct ext2_fs *fs, ext2_ino_t dir, const char *name, uint32_t mode,
		uint32_t uid, uint32_t gid, ext2_ino_t *ino)
{
	return ext2_mknod(fs, dir, name, EXT2_S_IFREG | (mode & 07777), 0, uid, gid, ino);
}

int ext2_mkdir(struct ext2_fs *fs, ext2_ino_t dir, const char *name, uint32_t mode,
	       uint32_t uid, uint32_t gid, ext2_ino_t *ino)
{
	struct ext2_inode din, in;
	struct ext2_dirslot slot;
	int len, rc;

	len = create_begin(fs, dir, name, &din, &slot);
	if (len < 0)
		return len;
	if (din.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	rc = ext2_alloc_inode(fs, dir, true, ino);
	if (rc < 0)
		return rc;
	init_inode(fs, &in, EXT2_S_IFDIR | (mode & 07777), uid, gid);
	rc = ext2_dir_init(fs, *ino, &in, dir);
	if (rc == 0)
		rc = ext2_iput_new(fs, *ino, &in);
	if (rc < 0) {
		abandon_inode(fs, *ino, &in, true);
		return rc;
	}
	din.i_links_count++; /* on disk no later than the entry: too high at worst */
	rc = ext2_dir_commit(fs, dir, &din, &slot, name, (size_t)len, *ino, in.i_mode);
	if (rc < 0) {
		din.i_links_count--;
		ext2_iput(fs, dir, &din);
		abandon_inode(fs, *ino, &in, true);
		return rc;
	}
	return go_live(fs, *ino, &in, 2);
}

int ext2_symlink(struct ext2_fs *fs, ext2_ino_t dir, const char *name, const char *target,
		 uint32_t uid, uint32_t gid, ext2_ino_t *ino)
{
	struct ext2_inode din, in;
	struct ext2_dirslot slot;
	size_t tlen = strnlen(target, fs->block_size);
	int len, rc;

	if (tlen == 0)
		return -ENOENT;
	if (tlen >= fs->block_size || tlen >= EXT2_PATH_MAX)
		return -ENAMETOOLONG;
	len = create_begin(fs, dir, name, &din, &slot);
	if (len < 0)
		return len;
	rc = ext2_alloc_inode(fs, dir, false, ino);
	if (rc < 0)
		return rc;
	init_inode(fs, &in, EXT2_S_IFLNK | 0777, uid, gid);
	in.i_size = (uint32_t)tlen;
	if (tlen < sizeof(in.i_block)) {
		memcpy(in.i_block, target, tlen);
	} else {
		uint32_t pblk;
		bool fresh;
		struct bbuf *b;

		rc = ext2_bmap(fs, *ino, &in, 0, true, &pblk, &fresh);
		if (rc == 0)
			rc = bcache_get_zero(&fs->bc, pblk, &b);
		if (rc == 0) {
			memcpy(b->data, target, tlen);
			bcache_dirty(&fs->bc, b, BC_DATA);
			bcache_put(&fs->bc, b);
		}
	}
	if (rc == 0)
		rc = ext2_iput_new(fs, *ino, &in);
	if (rc == 0)
		rc = ext2_dir_commit(fs, dir, &din, &slot, name, (size_t)len, *ino, in.i_mode);
	if (rc < 0) {
		abandon_inode(fs, *ino, &in, false);
		return rc;
	}
	return go_live(fs, *ino, &in, 1);
}

int ext2_link(struct ext2_fs *fs, ext2_ino_t ino, ext2_ino_t dir, const char *name)
{
	struct ext2_inode din, in;
	struct ext2_dirslot slot;
	int len, rc;

	if (fs->rdonly)
		return -EROFS;
	rc = ext2_iget(fs, ino, &in);
	if (rc < 0)
		return rc;
	if (EXT2_S_ISDIR(in.i_mode))
		return -EPERM;
	if (in.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	len = create_begin(fs, dir, name, &din, &slot);
	if (len < 0)
		return len;
	/* The raised count reaches the disk before the new entry. */
	in.i_links_count++;
	in.i_ctime = ext2_now(fs);
	rc = ext2_iput(fs, ino, &in);
	if (rc == 0)
		rc = ext2_dir_commit(fs, dir, &din, &slot, name, (size_t)len, ino, in.i_mode);
	if (rc < 0) {
		in.i_links_count--;
		ext2_iput(fs, ino, &in);
	}
	return rc;
}

/* ---- removing ------------------------------------------------------------------- */

/* An inode whose last name goes away, in two halves around an ordering
 * point. kill_inode marks it deleted (no links, dtime, no block pointers)
 * in the cache; called while the entry's removal is also only in the
 * cache, it reaches the disk first (inodes before directories), so the
 * disk never holds a live inode without a name, at worst a name of a
 * deleted inode (e2fsck -p clears it). release_inode, after the ordering
 * point, frees its blocks and the inode in the bitmaps. */
struct doomed {
	ext2_ino_t ino;
	bool is_dir;
	uint32_t xattr;
	struct ext2_freelist fl;
};

static int kill_inode(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in, struct doomed *d)
{
	uint32_t type = in->i_mode & EXT2_S_IFMT;
	int rc;

	d->ino = ino;
	d->is_dir = EXT2_S_ISDIR(in->i_mode);
	d->xattr = in->i_file_acl;
	ext2_freelist_init(&d->fl);
	if (type == EXT2_S_IFREG || type == EXT2_S_IFDIR ||
	    (type == EXT2_S_IFLNK && !ext2_is_fast_symlink(fs, in))) {
		rc = ext2_detach_blocks(fs, ino, in, 0, &d->fl);
		if (rc < 0 && rc != -EUCLEAN)
			return rc;
	}
	in->i_file_acl = 0;
	in->i_blocks = 0;
	in->i_links_count = 0;
	in->i_dtime = dtime_now(fs);
	ext2_set_isize(fs, in, 0);
	return ext2_iput(fs, ino, in);
}

static int release_inode(struct ext2_fs *fs, struct doomed *d)
{
	int rc = ext2_release_blocks(fs, &d->fl);
	int r;

	if (d->xattr)
		ext2_release_xattr(fs, d->xattr);
	r = ext2_free_inode(fs, d->ino, d->is_dir);
	if (rc == 0 && r != -EUCLEAN)
		rc = r;
	ext2_freelist_done(&d->fl);
	return rc;
}

static int destroy_inode(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in)
{
	struct doomed d;
	int rc = kill_inode(fs, ino, in, &d);

	if (rc == 0)
		rc = ext2_barrier(fs);
	if (rc == 0)
		return release_inode(fs, &d);
	ext2_freelist_done(&d.fl);
	return rc;
}

/* Drop one link of a non-directory whose entry removal is dirty: a count
 * is lowered only once the entry is gone on disk, never before. */
static int drop_link(struct ext2_fs *fs, ext2_ino_t ino, struct ext2_inode *in)
{
	int rc;

	if (in->i_links_count <= 1)
		return destroy_inode(fs, ino, in);
	rc = ext2_barrier(fs);
	if (rc < 0)
		return rc;
	in->i_links_count--;
	in->i_ctime = ext2_now(fs);
	return ext2_iput(fs, ino, in);
}

int ext2_unlink(struct ext2_fs *fs, ext2_ino_t dir, const char *name)
{
	struct ext2_inode din, in;
	struct ext2_dirent_loc loc;
	ext2_ino_t ino;
	int len = check_name(name, -EISDIR);
	int rc;

	if (len < 0)
		return len;
	if (fs->rdonly)
		return -EROFS;
	rc = get_dir(fs, dir, &din);
	if (rc < 0)
		return rc;
	if (is_dot_name(name))
		return -EISDIR;
	rc = ext2_dir_find(fs, dir, &din, name, (size_t)len, &ino, &loc);
	if (rc < 0)
		return rc;
	rc = iget_entry(fs, dir, ino, &in);
	if (rc < 0)
		return rc;
	if (EXT2_S_ISDIR(in.i_mode))
		return -EISDIR;
	rc = ext2_dir_remove(fs, dir, &din, &loc);
	if (rc < 0)
		return rc;
	return drop_link(fs, ino, &in);
}

int ext2_rmdir(struct ext2_fs *fs, ext2_ino_t dir, const char *name)
{
	struct ext2_inode din, in;
	struct ext2_dirent_loc loc;
	ext2_ino_t ino;
	int len = check_name(name, -EBUSY);
	int rc;

	if (len < 0)
		return len;
	if (fs->rdonly)
		return -EROFS;
	rc = get_dir(fs, dir, &din);
	if (rc < 0)
		return rc;
	if (strcmp(name, ".") == 0)
		return -EINVAL;
	if (strcmp(name, "..") == 0)
		return -ENOTEMPTY;
	rc = ext2_dir_find(fs, dir, &din, name, (size_t)len, &ino, &loc);
	if (rc < 0)
		return rc;
	rc = iget_entry(fs, dir, ino, &in);
	if (rc < 0)
		return rc;
	if (!EXT2_S_ISDIR(in.i_mode))
		return -ENOTDIR;
	if (ino == EXT2_ROOT_INO)
		return -EBUSY;
	rc = ext2_dir_is_empty(fs, ino, &in);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOTEMPTY;
	rc = ext2_dir_remove(fs, dir, &din, &loc);
	if (rc == 0)
		rc = destroy_inode(fs, ino, &in);
	if (rc < 0)
		return rc;
	/* The child's ".." is gone on disk: now the parent's count drops. */
	if (din.i_links_count > 1)
		din.i_links_count--;
	return ext2_iput(fs, dir, &din);
}

/* -EINVAL if dir is ino or lies below it (a rename would detach a loop). */
static int check_not_below(struct ext2_fs *fs, ext2_ino_t ino, ext2_ino_t dir)
{
	for (uint32_t steps = 0; steps < EXT2_MAX_DEPTH; steps++) {
		struct ext2_inode din;
		ext2_ino_t up;
		int rc;

		if (dir == ino)
			return -EINVAL;
		if (dir == EXT2_ROOT_INO)
			return 0;
		rc = get_dir(fs, dir, &din);
		if (rc < 0)
			return rc == -ENOTDIR || rc == -ESTALE ?
				ext2_corrupt(fs, "\"..\" of a directory names inode %u", dir, 0, 0) : rc;
		rc = ext2_dir_find(fs, dir, &din, "..", 2, &up, NULL);
		if (rc < 0)
			return rc == -ENOENT ?
				ext2_corrupt(fs, "directory %u has no \"..\"", dir, 0, 0) : rc;
		dir = up;
	}
	return ext2_corrupt(fs, "directory tree deeper than %u: loop?", EXT2_MAX_DEPTH, 0, 0);
}

int ext2_rename(struct ext2_fs *fs, ext2_ino_t olddir, const char *oldname,
		ext2_ino_t newdir, const char *newname)
{
	struct ext2_inode odin, ndin_store, src, tgt;
	struct ext2_inode *ndin = olddir == newdir ? &odin : &ndin_store;
	struct ext2_dirent_loc oloc, nloc;
	ext2_ino_t sino, tino = 0;
	int olen = check_name(oldname, -EBUSY), nlen = check_name(newname, -EBUSY);
	bool src_dir, tgt_dir = false, moves_dir, same_block = false, killed = false;
	struct doomed doomed;
	int rc;

	if (olen < 0)
		return olen;
	if (nlen < 0)
		return nlen;
	if (fs->rdonly)
		return -EROFS;
	rc = get_dir(fs, olddir, &odin);
	if (rc == 0 && olddir != newdir)
		rc = get_dir(fs, newdir, ndin);
	if (rc < 0)
		return rc;
	if (is_dot_name(oldname) || is_dot_name(newname))
		return -EBUSY;
	rc = ext2_dir_find(fs, olddir, &odin, oldname, (size_t)olen, &sino, &oloc);
	if (rc < 0)
		return rc;
	rc = iget_entry(fs, olddir, sino, &src);
	if (rc < 0)
		return rc;
	src_dir = EXT2_S_ISDIR(src.i_mode);
	rc = ext2_dir_find(fs, newdir, ndin, newname, (size_t)nlen, &tino, &nloc);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == 0) {
		if (tino == sino)
			return 0; /* two names of one inode: nothing to do */
		rc = iget_entry(fs, newdir, tino, &tgt);
		if (rc < 0)
			return rc;
		tgt_dir = EXT2_S_ISDIR(tgt.i_mode);
		if (tgt_dir && !src_dir)
			return -EISDIR;
		if (!tgt_dir && src_dir)
			return -ENOTDIR;
	} else {
		tino = 0;
	}
	moves_dir = src_dir && olddir != newdir;
	if (src_dir) {
		rc = check_not_below(fs, sino, newdir);
		if (rc < 0)
			return rc;
	}
	if (tgt_dir) {
		rc = ext2_dir_is_empty(fs, tino, &tgt);
		if (rc <= 0)
			return rc < 0 ? rc : -ENOTEMPTY;
	}
	if (moves_dir && !tgt_dir && ndin->i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;

	/* 1. Count the new name before it exists: a crash in between leaves a
	 *    count one too high, never an entry the count does not cover. */
	src.i_links_count++;
	src.i_ctime = ext2_now(fs);
	rc = ext2_iput(fs, sino, &src);
	if (rc < 0)
		return rc;
	if (moves_dir && !tgt_dir) {
		ndin->i_links_count++; /* the child's ".." will point here */
		rc = ext2_iput(fs, newdir, ndin);
		if (rc < 0)
			return rc;
	}
	/* 2. The new name. A target losing its last name is marked deleted in
	 *    the same write-back, so it reaches the disk before the entry. */
	if (tino) {
		same_block = nloc.pblk == oloc.pblk;
		if (tgt_dir || tgt.i_links_count <= 1) {
			rc = kill_inode(fs, tino, &tgt, &doomed);
			if (rc < 0)
				return rc;
			killed = true;
		}
		rc = ext2_dir_retarget(fs, newdir, ndin, &nloc, sino, src.i_mode);
	} else {
		struct ext2_dirslot slot;

		rc = ext2_dir_prepare(fs, newdir, ndin, newname, (size_t)nlen, &slot);
		same_block = rc == 0 && slot.found && slot.pblk == oloc.pblk;
		if (rc == 0)
			rc = ext2_dir_commit(fs, newdir, ndin, &slot, newname, (size_t)nlen,
					     sino, src.i_mode);
	}
	if (rc < 0 && !killed) {
		src.i_links_count--;
		ext2_iput(fs, sino, &src);
		if (moves_dir && !tgt_dir) {
			ndin->i_links_count--;
			ext2_iput(fs, newdir, ndin);
		}
		return rc;
	}
	/* 3. The new name is on disk before the old one goes, unless both
	 *    changes sit in one block and reach the disk in one write. */
	if (rc == 0 && !same_block)
		rc = ext2_barrier(fs);
	if (rc == 0)
		rc = ext2_dir_find(fs, olddir, &odin, oldname, (size_t)olen, &sino, &oloc);
	if (rc == 0)
		rc = ext2_dir_remove(fs, olddir, &odin, &oloc);
	if (rc == 0 && moves_dir)
		rc = ext2_dir_set_dotdot(fs, sino, &src, newdir);
	/* 4. Counts drop only once the references they held are gone on disk. */
	if (rc == 0 && (!same_block || killed))
		rc = ext2_barrier(fs);
	if (rc < 0)
		goto out;
	if (killed) {
		rc = release_inode(fs, &doomed);
		killed = false;
		if (rc < 0)
			goto out;
	}
	if (moves_dir && odin.i_links_count > 1) {
		odin.i_links_count--;
		rc = ext2_iput(fs, olddir, &odin);
		if (rc < 0)
			goto out;
	}
	if (tgt_dir && !moves_dir && ndin->i_links_count > 1) {
		/* The replaced directory's ".." no longer counts in newdir (when
		 * a directory moved in, its own ".." took that place). */
		ndin->i_links_count--;
		rc = ext2_iput(fs, newdir, ndin);
		if (rc < 0)
			goto out;
	}
	src.i_links_count--;
	rc = ext2_iput(fs, sino, &src);
	if (rc == 0 && tino && !tgt_dir && tgt.i_links_count > 1) {
		tgt.i_links_count--;
		tgt.i_ctime = ext2_now(fs);
		rc = ext2_iput(fs, tino, &tgt);
	}
out:
	if (killed)
		ext2_freelist_done(&doomed.fl);
	return rc;
}
