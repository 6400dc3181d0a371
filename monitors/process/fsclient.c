/*
 * fsclient.c - the process node's side of the file service: one RPC per
 * operation to the vNode's storage node (wire structs in tessera/wire.h),
 * and path resolution against a process's working directory.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <net/fabric.h>
#include "proc.h"

#define FS_TIMEOUT_NS 200000000ull
#define FS_TRIES      5

static int call(struct vnode *vn, uint16_t op, const void *req, uint32_t len, void *reply, uint32_t cap,
		uint32_t *rlen)
{
	return fabric_call(vn->snode, op, req, len, reply, cap, rlen, FS_TIMEOUT_NS, FS_TRIES);
}

static struct fs_path_req *path_req(const char *path, uint32_t flags, uint32_t mode, uint32_t *len)
{
	size_t n = strlen(path) + 1;
	struct fs_path_req *rq;

	if (n > FS_PATH_MAX)
		return NULL;
	rq = malloc(sizeof(*rq) + n);
	if (!rq)
		return NULL;
	rq->flags = flags;
	rq->mode = mode;
	rq->uid = 0;
	rq->gid = 0;
	memcpy(rq->path, path, n);
	*len = (uint32_t)(sizeof(*rq) + n);
	return rq;
}

static int attr_call(struct vnode *vn, uint16_t op, const char *path, uint32_t flags, uint32_t mode,
		     struct fs_attr *out)
{
	uint32_t len, rlen = 0;
	struct fs_attr tmp;
	struct fs_path_req *rq = path_req(path, flags, mode, &len);
	int rc;

	if (!rq)
		return strlen(path) + 1 > FS_PATH_MAX ? -ENAMETOOLONG : -ENOMEM;
	rc = call(vn, op, rq, len, out ? out : &tmp, sizeof(*out), &rlen);
	free(rq);
	if (rc == 0 && out && rlen != sizeof(*out))
		return -EPROTO;
	return rc;
}

int fsc_open(struct vnode *vn, const char *path, uint32_t flags, uint32_t mode, struct fs_attr *out)
{
	return attr_call(vn, FAB_OP_FS_OPEN, path, flags, mode, out);
}

int fsc_stat(struct vnode *vn, const char *path, int nofollow, struct fs_attr *out)
{
	return attr_call(vn, FAB_OP_FS_STAT, path, nofollow ? FS_NOFOLLOW : 0, 0, out);
}

int fsc_fstat(struct vnode *vn, const struct fs_handle *h, struct fs_attr *out)
{
	uint32_t rlen = 0;
	int rc = call(vn, FAB_OP_FS_FSTAT, h, sizeof(*h), out, sizeof(*out), &rlen);

	return rc == 0 && rlen != sizeof(*out) ? -EPROTO : rc;
}

long fsc_read(struct vnode *vn, const struct fs_handle *h, uint64_t off, void *buf, uint32_t len)
{
	struct fs_io_req rq = { .h = *h, .off = off, .len = len > FS_IO_MAX ? FS_IO_MAX : len };
	uint32_t rlen = 0;
	int rc = call(vn, FAB_OP_FS_READ, &rq, sizeof(rq), buf, rq.len, &rlen);

	return rc ? rc : (long)rlen;
}

long fsc_write(struct vnode *vn, const struct fs_handle *h, uint64_t off, const void *buf, uint32_t len,
	       int append, uint64_t *new_off)
{
	struct fs_write_reply rp;
	struct fs_io_req *rq;
	uint32_t rlen = 0;
	int rc;

	if (len > FS_IO_MAX)
		len = FS_IO_MAX;
	rq = malloc(sizeof(*rq) + len);
	if (!rq)
		return -ENOMEM;
	rq->h = *h;
	rq->off = off;
	rq->len = len;
	rq->flags = append ? FS_IO_APPEND : 0;
	memcpy(rq + 1, buf, len);
	rc = call(vn, FAB_OP_FS_WRITE, rq, (uint32_t)(sizeof(*rq) + len), &rp, sizeof(rp), &rlen);
	free(rq);
	if (rc)
		return rc;
	if (rlen != sizeof(rp))
		return -EPROTO;
	if (new_off)
		*new_off = rp.off + rp.written;
	return rp.written;
}

int fsc_truncate(struct vnode *vn, const struct fs_handle *h, uint64_t size)
{
	struct fs_trunc_req rq = { .h = *h, .size = size };
	struct fs_attr a;
	uint32_t rlen;

	return call(vn, FAB_OP_FS_TRUNCATE, &rq, sizeof(rq), &a, sizeof(a), &rlen);
}

int fsc_fsync(struct vnode *vn, const struct fs_handle *h)
{
	return call(vn, FAB_OP_FS_FSYNC, h, sizeof(*h), NULL, 0, NULL);
}

int fsc_getdents(struct vnode *vn, const struct fs_handle *h, uint64_t cookie, void *buf, uint32_t max,
		 uint32_t *len)
{
	struct fs_getdents_req rq = { .h = *h, .cookie = cookie, .max_bytes = max };

	return call(vn, FAB_OP_FS_GETDENTS, &rq, sizeof(rq), buf, (uint32_t)sizeof(struct fs_getdents_reply) + max,
		    len);
}

long fsc_readlink(struct vnode *vn, const char *path, char *buf, size_t len)
{
	uint32_t qlen, rlen = 0;
	struct fs_path_req *rq = path_req(path, 0, 0, &qlen);
	char *tmp = malloc(FS_PATH_MAX);
	int rc;

	if (!rq || !tmp) {
		free(rq);
		free(tmp);
		return -ENOMEM;
	}
	rc = call(vn, FAB_OP_FS_READLINK, rq, qlen, tmp, FS_PATH_MAX, &rlen);
	if (rc == 0) {
		if (rlen > len)
			rlen = (uint32_t)len;
		memcpy(buf, tmp, rlen);
	}
	free(rq);
	free(tmp);
	return rc ? rc : (long)rlen;
}

int fsc_path_op(struct vnode *vn, uint16_t op, const char *path, uint32_t mode)
{
	uint32_t len, rlen = 0;
	struct fs_path_req *rq = path_req(path, 0, mode, &len);
	struct fs_attr a;
	int rc;

	if (!rq)
		return -ENAMETOOLONG;
	rc = call(vn, op, rq, len, &a, sizeof(a), &rlen);
	free(rq);
	return rc;
}

int fsc_two_path_op(struct vnode *vn, uint16_t op, const char *a, const char *b)
{
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;
	struct fs_two_path_req *rq;
	struct fs_attr attr;
	uint32_t rlen = 0;
	int rc;

	if (la > FS_PATH_MAX || lb > FS_PATH_MAX)
		return -ENAMETOOLONG;
	rq = malloc(sizeof(*rq) + la + lb);
	if (!rq)
		return -ENOMEM;
	rq->len1 = (uint32_t)la;
	rq->len2 = (uint32_t)lb;
	rq->uid = rq->gid = 0;
	memcpy(rq->paths, a, la);
	memcpy(rq->paths + la, b, lb);
	rc = call(vn, op, rq, (uint32_t)(sizeof(*rq) + la + lb), &attr, sizeof(attr), &rlen);
	free(rq);
	return rc;
}

int fsc_statfs(struct vnode *vn, struct fs_statfs_reply *out)
{
	uint32_t rlen = 0;

	return call(vn, FAB_OP_FS_STATFS, NULL, 0, out, sizeof(*out), &rlen);
}

int fsc_setattr(struct vnode *vn, const struct fs_setattr_req *rq)
{
	struct fs_attr a;
	uint32_t rlen;

	return call(vn, FAB_OP_FS_SETATTR, rq, sizeof(*rq), &a, sizeof(a), &rlen);
}

/* ---- paths ------------------------------------------------------------------- */

int path_resolve(struct process *p, int dirfd, const char *path, char *out, size_t outlen)
{
	const struct file *d;

	if (dirfd == AT_FDCWD || path[0] == '/')
		return path_join(p->cwd, path, out, outlen);
	d = fd_get(p, dirfd);
	if (!d)
		return -EBADF;
	if ((d->mode & S_IFMT) != S_IFDIR || !d->path)
		return -ENOTDIR;
	return path_join(d->path, path, out, outlen);
}

int path_join(const char *base, const char *path, char *out, size_t outlen)
{
	char *tmp;
	size_t n = 0;
	const char *s;

	if (!path[0])
		return -ENOENT;
	tmp = malloc(CWD_MAX + FS_PATH_MAX + 2);
	if (!tmp)
		return -ENOMEM;
	if (path[0] == '/') {
		tmp[0] = 0;
	} else {
		strlcpy(tmp, base, CWD_MAX + 1);
	}
	/* Join and normalise "." and ".." lexically; symlinks are followed by the storage node. */
	size_t tl = strlen(tmp);
	tmp[tl++] = '/';
	strlcpy(tmp + tl, path, FS_PATH_MAX + 1);
	out[0] = 0;
	s = tmp;
	while (*s) {
		const char *e;
		size_t len;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = s;
		while (*e && *e != '/')
			e++;
		len = (size_t)(e - s);
		if (len == 1 && s[0] == '.') {
			/* skip */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			if (n + 1 + len + 1 > outlen) {
				free(tmp);
				return -ENAMETOOLONG;
			}
			out[n++] = '/';
			memcpy(out + n, s, len);
			n += len;
		}
		s = e;
	}
	if (n == 0)
		out[n++] = '/';
	/* Keep a trailing slash: it demands a directory. */
	if (path[strlen(path) - 1] == '/' && out[n - 1] != '/' && n + 1 < outlen)
		out[n++] = '/';
	out[n] = 0;
	free(tmp);
	return 0;
}
