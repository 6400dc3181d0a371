/*
 * fsd.c - the file service of a storage node.
 *
 * Each FAB_OP_FS_* request is checked (sizes, NUL-terminated absolute paths,
 * handle generations) and turned into calls on the ext2 library. Requests
 * that change the namespace are not idempotent, so their replies are kept in
 * a small cache keyed by (caller, req_id): a retried request gets the first
 * answer instead of running twice.
 *
 * Durability: the ext2 block cache is write-back. FS_FSYNC (and every
 * fs-put from tess, which ends in one) writes the cache in order and flushes
 * the disk before replying; in addition dirty blocks are written back every
 * WRITEBACK_MS. See docs/storage.md for the exact guarantee.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <tessera/wire.h>
#include <kernel/blkdev.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/time.h>
#include <net/fabric.h>
#include "ext2/ext2.h"
#include "fsd.h"

#define WRITEBACK_MS     1000
#define REPLAY_SLOTS     128
#define REPLAY_MAX_REPLY 128

static struct ext2_fs *fs;
static struct fsd_stats st;
static uint64_t last_sync_ns;
static int dirty_since_sync;

/* ---- the block device under ext2 ---------------------------------------- */

static int dev_read(void *ctx, uint64_t sector, void *buf, uint32_t n)
{
	return blk_rw(BLK_READ, sector, buf, n);
}

static int dev_write(void *ctx, uint64_t sector, const void *buf, uint32_t n)
{
	return blk_rw(BLK_WRITE, sector, (void *)buf, n);
}

static int dev_flush(void *ctx)
{
	return blk_flush();
}

static void dev_log(void *ctx, int level, const char *msg)
{
	klog(level == EXT2_LOG_ERR ? LOG_ERROR : level == EXT2_LOG_WARN ? LOG_WARN : LOG_INFO,
	     "ext2: %s", msg);
}

static uint32_t dev_now(void *ctx)
{
	return (uint32_t)wallclock_seconds();
}

static const struct ext2_blkdev_ops dev_ops = {
	.read = dev_read, .write = dev_write, .flush = dev_flush, .log = dev_log, .now = dev_now,
};

/* ---- reply cache for non-idempotent requests ------------------------------ */

struct replay {
	uint64_t req_id;
	uint16_t src;
	uint16_t op;
	int32_t status;
	uint32_t len;
	uint8_t reply[REPLAY_MAX_REPLY];
};

static struct replay replays[REPLAY_SLOTS];
static unsigned replay_next;

static const struct replay *replay_find(const struct fabric_msg *m)
{
	for (unsigned i = 0; i < REPLAY_SLOTS; i++)
		if (replays[i].req_id == m->req_id && replays[i].src == m->src && replays[i].op == m->op &&
		    m->req_id)
			return &replays[i];
	return NULL;
}

static void replay_store(const struct fabric_msg *m, int status, const void *reply, uint32_t len)
{
	struct replay *r = &replays[replay_next++ % REPLAY_SLOTS];

	if (len > REPLAY_MAX_REPLY)
		len = 0;
	r->req_id = m->req_id;
	r->src = m->src;
	r->op = m->op;
	r->status = status;
	r->len = len;
	if (len)
		memcpy(r->reply, reply, len);
}

/* ---- request parsing ------------------------------------------------------ */

/* A NUL-terminated absolute path inside [p, p + room). */
static int take_path(const char *p, uint32_t room, const char **out)
{
	uint32_t n = 0;

	while (n < room && n < FS_PATH_MAX && p[n])
		n++;
	if (n == room || n == FS_PATH_MAX)
		return n == FS_PATH_MAX ? -ENAMETOOLONG : -EINVAL;
	if (n == 0)
		return -ENOENT;               /* like open("") */
	if (p[0] != '/')
		return -EINVAL;
	*out = p;
	return 0;
}

static int path_req(const struct fabric_msg *m, const struct fs_path_req **rq, const char **path)
{
	if (m->len < sizeof(struct fs_path_req) + 1)
		return -EINVAL;
	*rq = m->payload;
	return take_path((*rq)->path, m->len - (uint32_t)sizeof(struct fs_path_req), path);
}

static int two_path_req(const struct fabric_msg *m, const struct fs_two_path_req **rq,
			const char **a, const char **b)
{
	uint32_t room;
	int rc;

	if (m->len < sizeof(struct fs_two_path_req) + 2)
		return -EINVAL;
	*rq = m->payload;
	room = m->len - (uint32_t)sizeof(struct fs_two_path_req);
	if ((*rq)->len1 == 0 || (*rq)->len1 > room || (*rq)->len2 == 0 ||
	    (*rq)->len2 > room - (*rq)->len1)
		return -EINVAL;
	rc = take_path((*rq)->paths, (*rq)->len1, a);
	if (rc == -EINVAL && m->op == FAB_OP_FS_SYMLINK && (*rq)->paths[0] &&
	    (*rq)->paths[(*rq)->len1 - 1] == 0) {
		*a = (*rq)->paths;            /* a symlink target may be relative */
		rc = 0;
	}
	if (rc)
		return rc;
	return take_path((*rq)->paths + (*rq)->len1, (*rq)->len2, b);
}

static void fill_attr(const struct ext2_stat *s, struct fs_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = s->ino;
	a->gen = s->generation;
	a->mode = s->mode;
	a->nlink = s->nlink;
	a->uid = s->uid;
	a->gid = s->gid;
	a->rdev = s->rdev;
	a->blksize = s->blksize;
	a->size = s->size;
	a->blocks = s->blocks;
	a->atime = s->atime;
	a->mtime = s->mtime;
	a->ctime = s->ctime;
}

static int reply_attr(ext2_ino_t ino, void *reply, uint32_t *len)
{
	struct ext2_stat s;
	int rc = ext2_stat(fs, ino, &s);

	if (rc)
		return rc;
	fill_attr(&s, reply);
	*len = sizeof(struct fs_attr);
	return 0;
}

static int check_handle(const struct fs_handle *h)
{
	return ext2_check_generation(fs, h->ino, h->gen);
}

static int is_dir(ext2_ino_t ino)
{
	struct ext2_stat s;

	return ext2_stat(fs, ino, &s) == 0 && (s.mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

/* ---- operations ------------------------------------------------------------ */

static int op_open(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_path_req *rq;
	const char *path;
	char name[EXT2_NAME_MAX + 1];
	ext2_ino_t ino = 0, parent;
	struct ext2_stat s;
	unsigned acc;
	int rc = path_req(m, &rq, &path);

	if (rc)
		return rc;
	acc = rq->flags & FS_O_ACCMODE;
	if (acc == FS_O_ACCMODE)
		return -EINVAL;
	rc = ext2_lookup(fs, EXT2_ROOT_INO, path,
			 (rq->flags & (FS_O_NOFOLLOW | FS_O_EXCL)) ? 0 : EXT2_LOOKUP_FOLLOW, &ino);
	if (rc == -ENOENT && (rq->flags & FS_O_CREAT)) {
		rc = ext2_lookup_parent(fs, EXT2_ROOT_INO, path, &parent, name);
		if (rc)
			return rc;
		if (!name[0] || path[strlen(path) - 1] == '/')
			return -EISDIR;
		rc = ext2_create(fs, parent, name, rq->mode & 07777, rq->uid, rq->gid, &ino);
		if (rc)
			return rc;
		dirty_since_sync = 1;
		return reply_attr(ino, reply, rlen);
	}
	if (rc)
		return rc;
	if ((rq->flags & FS_O_CREAT) && (rq->flags & FS_O_EXCL))
		return -EEXIST;
	rc = ext2_stat(fs, ino, &s);
	if (rc)
		return rc;
	if ((s.mode & EXT2_S_IFMT) == EXT2_S_IFLNK)
		return -ELOOP;                /* O_NOFOLLOW on a symlink */
	if ((rq->flags & FS_O_DIRECTORY) && (s.mode & EXT2_S_IFMT) != EXT2_S_IFDIR)
		return -ENOTDIR;
	if ((s.mode & EXT2_S_IFMT) == EXT2_S_IFDIR && (acc != 0 || (rq->flags & FS_O_CREAT)))
		return -EISDIR;
	if ((rq->flags & FS_O_TRUNC) && acc != 0 && (s.mode & EXT2_S_IFMT) == EXT2_S_IFREG && s.size) {
		rc = ext2_truncate(fs, ino, 0);
		if (rc)
			return rc;
		dirty_since_sync = 1;
	}
	return reply_attr(ino, reply, rlen);
}

static int op_stat(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_path_req *rq;
	const char *path;
	ext2_ino_t ino;
	int rc = path_req(m, &rq, &path);

	if (rc)
		return rc;
	rc = ext2_lookup(fs, EXT2_ROOT_INO, path, (rq->flags & FS_NOFOLLOW) ? 0 : EXT2_LOOKUP_FOLLOW, &ino);
	return rc ? rc : reply_attr(ino, reply, rlen);
}

static int op_fstat(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_handle *h = m->payload;
	int rc = check_handle(h);

	return rc ? rc : reply_attr(h->ino, reply, rlen);
}

/*
 * Read-ahead: a request that starts where the previous one of the same file
 * ended makes us read READAHEAD bytes at once (ext2 turns that into a few
 * large device reads instead of one per block); the next requests are served
 * from this buffer. Any change to the file drops it.
 */
#define READAHEAD (128u * 1024u)

static struct {
	uint32_t ino, gen;
	uint64_t off;              /* file offset of buf[0] */
	uint32_t len;              /* valid bytes */
	uint64_t next;             /* where a sequential reader goes next */
	uint8_t *buf;
} ra;

static void ra_drop(uint32_t ino)
{
	if (ra.ino == ino || ino == 0)
		ra.len = 0, ra.ino = 0;
}

static int64_t read_ahead(const struct fs_io_req *rq, void *out, uint32_t want)
{
	int sequential = ra.ino == rq->h.ino && ra.gen == rq->h.gen && rq->off == ra.next;

	if (ra.ino == rq->h.ino && ra.gen == rq->h.gen && rq->off >= ra.off &&
	    rq->off + want <= ra.off + ra.len) {
		memcpy(out, ra.buf + (rq->off - ra.off), want);
		ra.next = rq->off + want;
		return want;
	}
	if (sequential && (ra.buf || (ra.buf = malloc(READAHEAD)))) {
		int64_t n = ext2_read(fs, rq->h.ino, rq->off, ra.buf, READAHEAD);

		if (n >= 0) {
			ra.off = rq->off;
			ra.len = (uint32_t)n;
			if ((uint64_t)n < want)
				want = (uint32_t)n;
			memcpy(out, ra.buf, want);
			ra.next = rq->off + want;
			return want;
		}
	}
	ra.ino = rq->h.ino;
	ra.gen = rq->h.gen;
	ra.len = 0;
	{
		int64_t n = ext2_read(fs, rq->h.ino, rq->off, out, want);

		if (n >= 0)
			ra.next = rq->off + (uint64_t)n;
		return n;
	}
}

static int op_read(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_io_req *rq = m->payload;
	int64_t n;
	int rc;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if ((rc = check_handle(&rq->h)))
		return rc;
	if (is_dir(rq->h.ino))
		return -EISDIR;
	n = read_ahead(rq, reply, rq->len < FS_IO_MAX ? rq->len : FS_IO_MAX);
	if (n < 0)
		return (int)n;
	st.bytes_read += (uint64_t)n;
	*rlen = (uint32_t)n;
	return 0;
}

static int op_write(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_io_req *rq = m->payload;
	struct fs_write_reply *rp = reply;
	struct ext2_stat s;
	uint64_t off;
	int64_t n;
	int rc;

	if (m->len < sizeof(*rq) || rq->len > FS_IO_MAX || m->len != sizeof(*rq) + rq->len)
		return -EINVAL;
	if ((rc = check_handle(&rq->h)) || (rc = ext2_stat(fs, rq->h.ino, &s)))
		return rc;
	if ((s.mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
		return -EISDIR;
	off = (rq->flags & FS_IO_APPEND) ? s.size : rq->off;
	ra_drop(rq->h.ino);
	n = ext2_write(fs, rq->h.ino, off, rq + 1, rq->len);
	if (n < 0)
		return (int)n;
	dirty_since_sync = 1;
	st.bytes_written += (uint64_t)n;
	memset(rp, 0, sizeof(*rp));
	rp->written = (uint32_t)n;
	rp->off = off;
	rp->size = off + (uint64_t)n > s.size ? off + (uint64_t)n : s.size;
	*rlen = sizeof(*rp);
	return 0;
}

static int op_truncate(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_trunc_req *rq = m->payload;
	int rc;

	if ((rc = check_handle(&rq->h)))
		return rc;
	if (is_dir(rq->h.ino))
		return -EISDIR;
	ra_drop(rq->h.ino);
	if ((rc = ext2_truncate(fs, rq->h.ino, rq->size)))
		return rc;
	dirty_since_sync = 1;
	return reply_attr(rq->h.ino, reply, rlen);
}

static int op_fsync(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_handle *h = m->payload;
	int rc;

	if (h->ino == 0) {
		rc = ext2_sync(fs);
	} else {
		if ((rc = check_handle(h)))
			return rc;
		rc = ext2_fsync(fs, h->ino);
	}
	if (rc == 0) {
		st.syncs++;
		dirty_since_sync = 0;
		last_sync_ns = ktime_ns();
	}
	return rc;
}

struct dents_fill {
	uint8_t *buf;
	uint32_t used, max, count;
	uint64_t next;
};

static int fill_dirent(void *arg, const char *name, uint32_t namelen, ext2_ino_t ino,
		       unsigned dtype, uint64_t next_cookie)
{
	struct dents_fill *f = arg;
	uint32_t rec = (uint32_t)((sizeof(struct fs_dirent) + namelen + 7) & ~7u);
	struct fs_dirent *d;

	if (namelen > FS_NAME_MAX || f->used + rec > f->max)
		return 1;
	d = (struct fs_dirent *)(f->buf + f->used);
	memset(d, 0, rec);
	d->ino = ino;
	d->next_cookie = next_cookie;
	d->reclen = (uint16_t)rec;
	d->type = (uint8_t)dtype;
	d->namelen = (uint8_t)namelen;
	memcpy(d->name, name, namelen);
	f->used += rec;
	f->count++;
	f->next = next_cookie;
	return 0;
}

static int op_getdents(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_getdents_req *rq = m->payload;
	struct fs_getdents_reply *rp = reply;
	struct dents_fill f = { .buf = (uint8_t *)(rp + 1) };
	uint64_t cookie = rq->cookie;
	int rc;

	if ((rc = check_handle(&rq->h)))
		return rc;
	if (!is_dir(rq->h.ino))
		return -ENOTDIR;
	f.max = rq->max_bytes < FS_IO_MAX ? rq->max_bytes : FS_IO_MAX;
	f.next = cookie;
	rc = ext2_readdir(fs, rq->h.ino, &cookie, fill_dirent, &f);
	if (rc < 0)
		return rc;
	if (rc == 1 && f.count == 0)
		return -EINVAL;               /* buffer too small for the next entry */
	rp->next_cookie = cookie;
	rp->count = f.count;
	rp->eof = rc == 0;
	*rlen = (uint32_t)sizeof(*rp) + f.used;
	return 0;
}

static int op_readlink(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_path_req *rq;
	const char *path;
	struct ext2_stat s;
	ext2_ino_t ino;
	int rc = path_req(m, &rq, &path);

	if (rc || (rc = ext2_lookup(fs, EXT2_ROOT_INO, path, 0, &ino)) || (rc = ext2_stat(fs, ino, &s)))
		return rc;
	if ((s.mode & EXT2_S_IFMT) != EXT2_S_IFLNK)
		return -EINVAL;
	rc = ext2_readlink(fs, ino, reply, FS_PATH_MAX);
	if (rc < 0)
		return rc;
	*rlen = (uint32_t)rc;
	return 0;
}

static int parent_of(const char *path, ext2_ino_t *parent, char *name)
{
	int rc = ext2_lookup_parent(fs, EXT2_ROOT_INO, path, parent, name);

	if (rc)
		return rc;
	if (!name[0])
		return -EBUSY;                /* the root itself */
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	return 0;
}

static int op_mkdir(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_path_req *rq;
	const char *path;
	char name[EXT2_NAME_MAX + 1];
	ext2_ino_t parent, ino;
	int rc = path_req(m, &rq, &path);

	if (rc)
		return rc;
	rc = parent_of(path, &parent, name);
	if (rc == -EBUSY || (rc == -EINVAL && name[0]))
		return -EEXIST;
	if (rc || (rc = ext2_mkdir(fs, parent, name, rq->mode & 07777, rq->uid, rq->gid, &ino)))
		return rc;
	dirty_since_sync = 1;
	return reply_attr(ino, reply, rlen);
}

static int op_remove(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_path_req *rq;
	const char *path;
	char name[EXT2_NAME_MAX + 1];
	ext2_ino_t parent;
	int rc = path_req(m, &rq, &path);

	if (rc || (rc = parent_of(path, &parent, name)))
		return rc;
	rc = m->op == FAB_OP_FS_RMDIR ? ext2_rmdir(fs, parent, name) : ext2_unlink(fs, parent, name);
	if (rc == 0)
		dirty_since_sync = 1;
	return rc;
}

static int op_rename(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_two_path_req *rq;
	const char *from, *to;
	char n1[EXT2_NAME_MAX + 1], n2[EXT2_NAME_MAX + 1];
	ext2_ino_t p1, p2;
	int rc = two_path_req(m, &rq, &from, &to);

	if (rc || (rc = parent_of(from, &p1, n1)) || (rc = parent_of(to, &p2, n2)))
		return rc;
	rc = ext2_rename(fs, p1, n1, p2, n2);
	if (rc == 0)
		dirty_since_sync = 1;
	return rc;
}

static int op_symlink_or_link(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_two_path_req *rq;
	const char *first, *path;
	char name[EXT2_NAME_MAX + 1];
	ext2_ino_t parent, ino;
	int rc = two_path_req(m, &rq, &first, &path);

	if (rc)
		return rc;
	rc = parent_of(path, &parent, name);
	if (rc == -EBUSY || (rc == -EINVAL && name[0]))
		return -EEXIST;
	if (rc)
		return rc;
	if (m->op == FAB_OP_FS_SYMLINK) {
		rc = ext2_symlink(fs, parent, name, first, rq->uid, rq->gid, &ino);
	} else {
		rc = ext2_lookup(fs, EXT2_ROOT_INO, first, 0, &ino);
		if (rc == 0 && is_dir(ino))
			rc = -EPERM;
		if (rc == 0)
			rc = ext2_link(fs, ino, parent, name);
	}
	if (rc)
		return rc;
	dirty_since_sync = 1;
	return reply_attr(ino, reply, rlen);
}

static int op_statfs(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	struct ext2_statfs s;
	struct fs_statfs_reply *rp = reply;
	int rc = ext2_statfs(fs, &s);

	if (rc)
		return rc;
	memset(rp, 0, sizeof(*rp));
	rp->bsize = s.bsize;
	rp->namelen = s.namelen;
	rp->blocks = s.blocks;
	rp->bfree = s.bfree;
	rp->bavail = s.bavail;
	rp->files = s.files;
	rp->ffree = s.ffree;
	rp->rdonly = s.rdonly;
	*rlen = sizeof(*rp);
	return 0;
}

static int op_setattr(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct fs_setattr_req *rq = m->payload;
	int rc;

	if ((rc = check_handle(&rq->h)))
		return rc;
	if ((rq->mask & FS_SET_MODE) && (rc = ext2_chmod(fs, rq->h.ino, rq->mode & 07777)))
		return rc;
	if ((rq->mask & (FS_SET_UID | FS_SET_GID)) &&
	    (rc = ext2_chown(fs, rq->h.ino, (rq->mask & FS_SET_UID) ? rq->uid : EXT2_ID_KEEP,
			     (rq->mask & FS_SET_GID) ? rq->gid : EXT2_ID_KEEP)))
		return rc;
	if ((rq->mask & (FS_SET_ATIME | FS_SET_MTIME)) &&
	    (rc = ext2_utimes(fs, rq->h.ino, (rq->mask & FS_SET_ATIME) ? rq->atime : EXT2_TIME_OMIT,
			      (rq->mask & FS_SET_MTIME) ? rq->mtime : EXT2_TIME_OMIT)))
		return rc;
	dirty_since_sync = 1;
	return reply_attr(rq->h.ino, reply, rlen);
}

/* ---- dispatch -------------------------------------------------------------- */

static int mutates_namespace(const struct fabric_msg *m)
{
	switch (m->op) {
	case FAB_OP_FS_MKDIR: case FAB_OP_FS_UNLINK: case FAB_OP_FS_RMDIR: case FAB_OP_FS_RENAME:
	case FAB_OP_FS_SYMLINK: case FAB_OP_FS_LINK:
		return 1;
	case FAB_OP_FS_OPEN:
		return m->len >= sizeof(struct fs_path_req) &&
		       (((const struct fs_path_req *)m->payload)->flags & (FS_O_CREAT | FS_O_TRUNC));
	case FAB_OP_FS_WRITE:
		return m->len >= sizeof(struct fs_io_req) &&
		       (((const struct fs_io_req *)m->payload)->flags & FS_IO_APPEND);
	default:
		return 0;
	}
}

typedef int (*fs_op_fn)(const struct fabric_msg *m, void *reply, uint32_t *rlen);

static const fs_op_fn ops[FAB_OP__COUNT] = {
	[FAB_OP_FS_OPEN] = op_open, [FAB_OP_FS_STAT] = op_stat, [FAB_OP_FS_FSTAT] = op_fstat,
	[FAB_OP_FS_READ] = op_read, [FAB_OP_FS_WRITE] = op_write, [FAB_OP_FS_TRUNCATE] = op_truncate,
	[FAB_OP_FS_FSYNC] = op_fsync, [FAB_OP_FS_GETDENTS] = op_getdents,
	[FAB_OP_FS_READLINK] = op_readlink, [FAB_OP_FS_MKDIR] = op_mkdir,
	[FAB_OP_FS_UNLINK] = op_remove, [FAB_OP_FS_RMDIR] = op_remove, [FAB_OP_FS_RENAME] = op_rename,
	[FAB_OP_FS_SYMLINK] = op_symlink_or_link, [FAB_OP_FS_LINK] = op_symlink_or_link,
	[FAB_OP_FS_STATFS] = op_statfs, [FAB_OP_FS_SETATTR] = op_setattr,
};

static int on_fs_request(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	int replayable, rc;
	const struct replay *r;

	if (m->type != FAB_T_REQ)
		return 0;
	st.requests++;
	if (!fs)
		return -ENODEV;
	replayable = mutates_namespace(m);
	if (replayable && (r = replay_find(m)) != NULL) {
		st.replayed++;
		memcpy(reply, r->reply, r->len);
		*rlen = r->len;
		return r->status;
	}
	*rlen = 0;
	if (replayable)
		ra_drop(0);                   /* names change: an inode number may be reused */
	rc = ops[m->op](m, reply, rlen);
	if (rc) {
		*rlen = 0;
		st.errors++;
	}
	if (replayable)
		replay_store(m, rc, reply, *rlen);
	return rc;
}

int fsd_init(void)
{
	struct ext2_mount_opts opts = { .dev_sectors = blk_capacity() };
	struct ext2_statfs sf;
	uint64_t free_bytes = mm_pfa()->free * PAGE_SIZE;
	int rc;

	/* Half of free memory for the block cache, counted in 4 KiB blocks. */
	opts.cache_blocks = (uint32_t)(free_bytes / 2 / 4096);
	if (opts.cache_blocks < EXT2_CACHE_MIN_BLOCKS)
		opts.cache_blocks = EXT2_CACHE_MIN_BLOCKS;
	for (unsigned op = FAB_OP_FS_FIRST; op <= FAB_OP_FS_LAST; op++)
		fabric_register((uint16_t)op, on_fs_request);
	rc = ext2_mount(&dev_ops, NULL, &opts, &fs);
	if (rc) {
		fs = NULL;
		pr_err("storage monitor: cannot mount the disk's ext2 file system (%d); "
		       "file requests will fail with ENODEV", rc);
		return rc;
	}
	if (ext2_statfs(fs, &sf) == 0)
		pr_info("storage monitor: ext2 mounted%s, %lu/%lu blocks of %u bytes free, %lu inodes free, "
			"cache %u blocks", sf.rdonly ? " read-only" : "", sf.bfree, sf.blocks, sf.bsize,
			sf.ffree, opts.cache_blocks);
	last_sync_ns = ktime_ns();
	return 0;
}

int fsd_poll(void)
{
	if (!fs || !dirty_since_sync)
		return 0;
	if (ktime_ns() - last_sync_ns < (uint64_t)WRITEBACK_MS * 1000000ull)
		return 0;
	/* Periodic write-back bounds what a crash can lose to WRITEBACK_MS. */
	if (ext2_sync(fs) == 0) {
		st.syncs++;
		dirty_since_sync = 0;
	}
	last_sync_ns = ktime_ns();
	return 1;
}

const struct fsd_stats *fsd_stats(void)
{
	return &st;
}
