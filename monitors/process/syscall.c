/*
 * syscall.c - the Linux x86-64 system-call layer of the process monitor.
 *
 * Numbers and structures are Linux's. Process, fd and signal state live
 * here; memory-map changes go to the memory node (mmclient.c) and file
 * operations to the storage node (fsclient.c). Every user pointer goes
 * through uaccess.c. A call that is not implemented returns -ENOSYS and is
 * counted per number (reported to gmmd when the vNode exits).
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/time.h>
#include <net/fabric.h>
#include "proc.h"
#include "report.h"

#define O_ACCMODE   03
#define O_WRONLY    01
#define O_RDWR      02
#define O_CREAT     0100
#define O_EXCL      0200
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
#define S_IFREG 0100000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define IO_CHUNK 8192
#define SIGKILL 9
#define SIGSEGV 11
#define SIGCHLD 17

typedef long (*sys_fn)(struct process *p, struct trap_frame *f);

/* ---- file descriptors ----------------------------------------------------------- */

struct file *file_new(int type)
{
	struct file *fl = calloc(1, sizeof(*fl));

	if (fl) {
		fl->type = type;
		fl->refs = 1;
	}
	return fl;
}

void file_put(struct file *fl)
{
	if (fl && --fl->refs == 0) {
		if (fl->pipe)
			pipe_release(fl);
		free(fl->path);
		free(fl);
	}
}

int fd_alloc(struct process *p, struct file *fl, int from, int cloexec)
{
	for (int fd = from < 0 ? 0 : from; fd < MAX_FD; fd++) {
		if (!p->fd[fd]) {
			p->fd[fd] = fl;
			p->cloexec[fd] = (uint8_t)cloexec;
			return fd;
		}
	}
	return -EMFILE;
}

struct file *fd_get(struct process *p, long fd)
{
	int ifd = (int)fd;                  /* an int in the ABI: ignore the register's upper half */

	return ifd >= 0 && ifd < MAX_FD ? p->fd[ifd] : NULL;
}

void fd_close_all(struct process *p)
{
	for (int fd = 0; fd < MAX_FD; fd++) {
		file_put(p->fd[fd]);
		p->fd[fd] = NULL;
	}
}

int proc_setup_console(struct process *p)
{
	for (int fd = 0; fd < 3; fd++) {
		struct file *fl = file_new(FILE_CONSOLE);

		if (!fl)
			return -ENOMEM;
		fl->stream = fd;                  /* VN_STDIN, VN_STDOUT, VN_STDERR */
		fl->flags = O_RDWR;
		p->fd[fd] = fl;
	}
	return 0;
}

/* ---- devices --------------------------------------------------------------------- */

/*
 * /dev/null and /dev/zero are served by the process node itself, by path: the
 * storage node's /dev is an empty directory (no device inodes in the image yet).
 * Shells need /dev/null: ash gives it as stdin to background jobs.
 */
#define DEV_NULL ((1u << 8) | 3)           /* Linux's major 1, minors 3 and 5 */
#define DEV_ZERO ((1u << 8) | 5)

static uint32_t dev_of_path(const char *path)
{
	if (!strcmp(path, "/dev/null"))
		return DEV_NULL;
	if (!strcmp(path, "/dev/zero"))
		return DEV_ZERO;
	return 0;
}

static void dev_attr(uint32_t rdev, struct fs_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->mode = S_IFCHR | 0666;
	a->rdev = rdev;
	a->nlink = 1;
	a->ino = rdev;
}

/* fsc_stat, with the devices above. */
static int path_stat(struct process *p, const char *path, int nofollow, struct fs_attr *a)
{
	uint32_t rdev = dev_of_path(path);

	if (rdev) {
		dev_attr(rdev, a);
		return 0;
	}
	return fsc_stat(p->vn, path, nofollow, a);
}

/* read(2) of a device: end of file, or zeros. */
static long dev_read(struct process *p, struct file *fl, uint64_t buf, size_t count)
{
	static const uint8_t zeros[512];
	size_t done = 0;

	if (fl->rdev == DEV_NULL)
		return 0;
	while (done < count) {
		size_t n = count - done < sizeof(zeros) ? count - done : sizeof(zeros);

		if (copy_to_user(p, buf + done, zeros, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}

/* ---- helpers --------------------------------------------------------------------- */

static long user_path(struct process *p, int dirfd, uint64_t upath, char *out, size_t outlen)
{
	char *tmp = malloc(FS_PATH_MAX);
	long n;

	if (!tmp)
		return -ENOMEM;
	n = strncpy_from_user(p, tmp, upath, FS_PATH_MAX);
	if (n >= 0)
		n = path_resolve(p, dirfd, tmp, out, outlen);
	free(tmp);
	return n;
}

/*
 * Attributes of the file a user path names: copy and resolve the path, then
 * stat it (devices included when with_devices; calls that change the file
 * itself pass 0, since devices are not stored on the storage node).
 */
static long user_stat(struct process *p, int dirfd, uint64_t upath, int nofollow, int with_devices,
		      struct fs_attr *a)
{
	char *path = malloc(FS_PATH_MAX);
	long rc;

	if (!path)
		return -ENOMEM;
	rc = user_path(p, dirfd, upath, path, FS_PATH_MAX);
	if (rc == 0)
		rc = with_devices ? path_stat(p, path, nofollow, a) : fsc_stat(p->vn, path, nofollow, a);
	free(path);
	return rc;
}

static void fill_stat(uint8_t *st, const struct fs_attr *a)
{
	memset(st, 0, 144);
	*(uint64_t *)(st + 0) = 0x801;                   /* st_dev */
	*(uint64_t *)(st + 8) = a->ino;
	*(uint64_t *)(st + 16) = a->nlink;
	*(uint32_t *)(st + 24) = a->mode;
	*(uint32_t *)(st + 28) = a->uid;
	*(uint32_t *)(st + 32) = a->gid;
	*(uint64_t *)(st + 40) = a->rdev;
	*(int64_t *)(st + 48) = (int64_t)a->size;
	*(int64_t *)(st + 56) = a->blksize ? a->blksize : 4096;
	*(int64_t *)(st + 64) = (int64_t)a->blocks;
	*(int64_t *)(st + 72) = a->atime;
	*(int64_t *)(st + 88) = a->mtime;
	*(int64_t *)(st + 104) = a->ctime;
}

static int file_attr(struct process *p, struct file *fl, struct fs_attr *a)
{
	memset(a, 0, sizeof(*a));
	switch (fl->type) {
	case FILE_FS:
		return fsc_fstat(p->vn, &fl->h, a);
	case FILE_DEV:
		dev_attr(fl->rdev, a);
		return 0;
	case FILE_CONSOLE:
		a->mode = S_IFCHR | 0620;
		a->rdev = (136 << 8);
		a->nlink = 1;
		return 0;
	default:
		a->mode = S_IFIFO | 0600;
		a->nlink = 1;
		return 0;
	}
}

/* ---- console ------------------------------------------------------------------- */


static long vn_console_read_(struct process *p, uint64_t buf, size_t count)
{
	struct vnode *vn = p->vn;
	size_t n;

	while (vn->in_len == 0 && !vn->in_eof) {
		if (pending_interrupt(p))
			return -EINTR;
		vn->in_waiter = sched_current();
		sched_block(0);
		vn->in_waiter = NULL;
	}
	n = count < vn->in_len ? count : vn->in_len;
	if (n == 0)
		return 0;
	if (copy_to_user(p, buf, vn->in_buf, n))
		return -EFAULT;
	memmove(vn->in_buf, vn->in_buf + n, vn->in_len - n);
	vn->in_len -= n;
	return (long)n;
}

static long vn_console_write(struct process *p, int stream, uint64_t buf, size_t count)
{
	uint8_t *k = malloc(IO_CHUNK);
	size_t done = 0;

	if (!k)
		return -ENOMEM;
	while (done < count) {
		size_t chunk = count - done > IO_CHUNK ? IO_CHUNK : count - done;
		int rc;

		if (copy_from_user(p, k, buf + done, chunk)) {
			free(k);
			return done ? (long)done : -EFAULT;
		}
		rc = vnode_output(p->vn, stream == VN_STDIN ? VN_STDOUT : stream, k, chunk);
		if (rc < 0) {
			free(k);
			return done ? (long)done : -EIO;
		}
		done += chunk;
	}
	free(k);
	return (long)done;
}

/* ---- read / write ----------------------------------------------------------------- */

static long do_read(struct process *p, struct file *fl, uint64_t buf, size_t count, int64_t pos)
{
	uint8_t *k;
	size_t done = 0;
	uint64_t off = pos >= 0 ? (uint64_t)pos : fl->off;

	if ((fl->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (fl->type == FILE_CONSOLE)
		return vn_console_read_(p, buf, count);
	if (fl->type == FILE_PIPE_READ)
		return pipe_read(p, fl, buf, count);
	if (fl->type == FILE_DEV)
		return dev_read(p, fl, buf, count);
	if (fl->type != FILE_FS)
		return -EBADF;
	if ((fl->mode & S_IFMT) == S_IFDIR)
		return -EISDIR;
	k = malloc(IO_CHUNK);
	if (!k)
		return -ENOMEM;
	while (done < count) {
		uint32_t want = count - done > IO_CHUNK ? IO_CHUNK : (uint32_t)(count - done);
		long n = fsc_read(p->vn, &fl->h, off, k, want);

		if (n < 0) {
			free(k);
			return done ? (long)done : n;
		}
		if (n == 0)
			break;
		if (copy_to_user(p, buf + done, k, (size_t)n)) {
			free(k);
			return done ? (long)done : -EFAULT;
		}
		done += (size_t)n;
		off += (uint64_t)n;
		if ((uint32_t)n < want)
			break;
	}
	free(k);
	if (pos < 0)
		fl->off = off;
	return (long)done;
}

static long do_write(struct process *p, struct file *fl, uint64_t buf, size_t count, int64_t pos)
{
	uint8_t *k;
	size_t done = 0;
	uint64_t off = pos >= 0 ? (uint64_t)pos : fl->off;

	if ((fl->flags & O_ACCMODE) == 0 && fl->type == FILE_FS)
		return -EBADF;
	if (fl->type == FILE_CONSOLE)
		return vn_console_write(p, fl->stream, buf, count);
	if (fl->type == FILE_PIPE_WRITE)
		return pipe_write(p, fl, buf, count);
	if (fl->type == FILE_DEV)
		return (fl->flags & O_ACCMODE) ? (long)count : -EBADF;
	if (fl->type != FILE_FS)
		return -EBADF;
	k = malloc(IO_CHUNK);
	if (!k)
		return -ENOMEM;
	while (done < count) {
		uint32_t want = count - done > IO_CHUNK ? IO_CHUNK : (uint32_t)(count - done);
		uint64_t next = 0;
		long n;

		if (copy_from_user(p, k, buf + done, want)) {
			free(k);
			return done ? (long)done : -EFAULT;
		}
		n = fsc_write(p->vn, &fl->h, off, k, want, pos < 0 && (fl->flags & O_APPEND), &next);
		if (n < 0) {
			free(k);
			return done ? (long)done : n;
		}
		done += (size_t)n;
		off = next;
		if ((uint32_t)n < want)
			break;
	}
	free(k);
	if (pos < 0)
		fl->off = off;
	return (long)done;
}

static long sys_read(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);

	return fl ? do_read(p, fl, f->rsi, f->rdx, -1) : -EBADF;
}

static long sys_write(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);

	return fl ? do_write(p, fl, f->rsi, f->rdx, -1) : -EBADF;
}

static long sys_pread64(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);

	if (!fl)
		return -EBADF;
	if ((int64_t)f->r10 < 0)
		return -EINVAL;
	return fl->type == FILE_FS ? do_read(p, fl, f->rsi, f->rdx, (int64_t)f->r10) : -ESPIPE;
}

static long sys_pwrite64(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);

	if (!fl)
		return -EBADF;
	if ((int64_t)f->r10 < 0)
		return -EINVAL;
	return fl->type == FILE_FS ? do_write(p, fl, f->rsi, f->rdx, (int64_t)f->r10) : -ESPIPE;
}

static long do_iov(struct process *p, struct trap_frame *f, int write)
{
	struct file *fl = fd_get(p, (long)f->rdi);
	long total = 0;

	if (!fl)
		return -EBADF;
	if (f->rdx > 1024)
		return -EINVAL;
	for (uint64_t i = 0; i < f->rdx; i++) {
		uint64_t iov[2];
		long n;

		if (copy_from_user(p, iov, f->rsi + i * 16, 16))
			return total ? total : -EFAULT;
		if (iov[1] == 0)
			continue;
		n = write ? do_write(p, fl, iov[0], iov[1], -1) : do_read(p, fl, iov[0], iov[1], -1);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((uint64_t)n < iov[1])
			break;
	}
	return total;
}

static long sys_readv(struct process *p, struct trap_frame *f) { return do_iov(p, f, 0); }
static long sys_writev(struct process *p, struct trap_frame *f) { return do_iov(p, f, 1); }

static long sys_sendfile(struct process *p, struct trap_frame *f)
{
	struct file *out = fd_get(p, (long)f->rdi), *in = fd_get(p, (long)f->rsi);
	uint8_t *k;
	size_t count = f->r10, done = 0;
	int64_t off = -1;

	if (!out || !in)
		return -EBADF;
	if (in->type != FILE_FS)
		return -EINVAL;
	if (f->rdx && copy_from_user(p, &off, f->rdx, 8))
		return -EFAULT;
	k = malloc(IO_CHUNK);
	if (!k)
		return -ENOMEM;
	while (done < count) {
		uint32_t want = count - done > IO_CHUNK ? IO_CHUNK : (uint32_t)(count - done);
		uint64_t pos = off >= 0 ? (uint64_t)off : in->off;
		long n = fsc_read(p->vn, &in->h, pos, k, want), w;

		if (n <= 0) {
			if (n < 0 && !done) {
				free(k);
				return n;
			}
			break;
		}
		if (out->type == FILE_CONSOLE) {
			w = vnode_output(p->vn, out->stream, k, (size_t)n);
		} else if (out->type == FILE_FS) {
			uint64_t next;

			w = fsc_write(p->vn, &out->h, out->off, k, (uint32_t)n, !!(out->flags & O_APPEND), &next);
			if (w > 0)
				out->off = next;
		} else {
			w = -EINVAL;
		}
		if (w < 0) {
			free(k);
			return done ? (long)done : w;
		}
		if (off >= 0)
			off += n;
		else
			in->off += (uint64_t)n;
		done += (size_t)n;
		if ((uint32_t)n < want)
			break;
	}
	free(k);
	if (f->rdx && copy_to_user(p, f->rdx, &off, 8))
		return -EFAULT;
	return (long)done;
}

/* ---- open, close, stat ------------------------------------------------------------- */

static long do_openat(struct process *p, int dirfd, uint64_t upath, uint32_t flags, uint32_t mode)
{
	char *path = malloc(FS_PATH_MAX);
	struct fs_attr a;
	struct file *fl;
	long rc;

	if (!path)
		return -ENOMEM;
	rc = user_path(p, dirfd, upath, path, FS_PATH_MAX);
	if (rc == 0 && dev_of_path(path)) {
		uint32_t rdev = dev_of_path(path);

		free(path);
		if ((flags & O_DIRECTORY) || ((flags & O_CREAT) && (flags & O_EXCL)))
			return (flags & O_DIRECTORY) ? -ENOTDIR : -EEXIST;
		fl = file_new(FILE_DEV);
		if (!fl)
			return -ENOMEM;
		fl->flags = flags;
		fl->rdev = rdev;
		fl->mode = S_IFCHR | 0666;
		goto install;
	}
	if (rc == 0)
		rc = fsc_open(p->vn, path, flags & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY | O_NOFOLLOW),
			      mode & ~p->umask & 07777, &a);
	if (rc) {
		free(path);
		return rc;
	}
	fl = file_new(FILE_FS);
	if (!fl) {
		free(path);
		return -ENOMEM;
	}
	fl->flags = flags;
	fl->h.ino = a.ino;
	fl->h.gen = a.gen;
	fl->mode = a.mode;
	/* A directory remembers where it is, for the *at() calls relative to it. */
	if ((a.mode & S_IFMT) == S_IFDIR && (fl->path = malloc(strlen(path) + 1)) != NULL)
		memcpy(fl->path, path, strlen(path) + 1);
	free(path);
	if ((a.mode & S_IFMT) == S_IFDIR && !fl->path) {
		file_put(fl);
		return -ENOMEM;
	}
install:
	rc = fd_alloc(p, fl, 0, !!(flags & O_CLOEXEC));
	if (rc < 0)
		file_put(fl);
	return rc;
}

static long sys_open(struct process *p, struct trap_frame *f)
{
	return do_openat(p, AT_FDCWD, f->rdi, (uint32_t)f->rsi, (uint32_t)f->rdx);
}

static long sys_openat(struct process *p, struct trap_frame *f)
{
	return do_openat(p, (int)f->rdi, f->rsi, (uint32_t)f->rdx, (uint32_t)f->r10);
}

static long sys_creat(struct process *p, struct trap_frame *f)
{
	return do_openat(p, AT_FDCWD, f->rdi, O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)f->rsi);
}

static long sys_close(struct process *p, struct trap_frame *f)
{
	long fd = (int)f->rdi;

	if (!fd_get(p, fd))
		return -EBADF;
	file_put(p->fd[fd]);
	p->fd[fd] = NULL;
	return 0;
}

static long stat_path(struct process *p, int dirfd, uint64_t upath, uint64_t ubuf, int flags)
{
	struct fs_attr a;
	uint8_t st[144];
	long rc;

	if (flags & AT_EMPTY_PATH) {
		char c;

		if (copy_from_user(p, &c, upath, 1))
			return -EFAULT;
		if (c == 0) {
			struct file *fl = dirfd == AT_FDCWD ? NULL : fd_get(p, dirfd);

			if (!fl)
				return -EBADF;
			rc = file_attr(p, fl, &a);
			if (rc)
				return rc;
			fill_stat(st, &a);
			return copy_to_user(p, ubuf, st, sizeof(st));
		}
	}
	rc = user_stat(p, dirfd, upath, !!(flags & AT_SYMLINK_NOFOLLOW), 1, &a);
	if (rc)
		return rc;
	fill_stat(st, &a);
	return copy_to_user(p, ubuf, st, sizeof(st));
}

static long sys_stat(struct process *p, struct trap_frame *f) { return stat_path(p, AT_FDCWD, f->rdi, f->rsi, 0); }
static long sys_lstat(struct process *p, struct trap_frame *f)
{
	return stat_path(p, AT_FDCWD, f->rdi, f->rsi, AT_SYMLINK_NOFOLLOW);
}
static long sys_newfstatat(struct process *p, struct trap_frame *f)
{
	return stat_path(p, (int)f->rdi, f->rsi, f->rdx, (int)f->r10);
}

static long sys_fstat(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);
	struct fs_attr a;
	uint8_t st[144];
	long rc;

	if (!fl)
		return -EBADF;
	rc = file_attr(p, fl, &a);
	if (rc)
		return rc;
	fill_stat(st, &a);
	return copy_to_user(p, f->rsi, st, sizeof(st));
}

static long sys_lseek(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);
	int64_t off = (int64_t)f->rsi, base;
	struct fs_attr a;

	if (!fl)
		return -EBADF;
	if (fl->type == FILE_DEV)
		return 0;                       /* as Linux's null and zero devices */
	if (fl->type != FILE_FS)
		return -ESPIPE;
	switch (f->rdx) {
	case 0: base = 0; break;
	case 1: base = (int64_t)fl->off; break;
	case 2:
		if (fsc_fstat(p->vn, &fl->h, &a))
			return -EIO;
		base = (int64_t)a.size;
		break;
	default:
		return -EINVAL;
	}
	if (base + off < 0)
		return -EINVAL;
	fl->off = (uint64_t)(base + off);
	if ((fl->mode & S_IFMT) == S_IFDIR && fl->off == 0) {
		fl->dir_cookie = 0;
		fl->dir_eof = 0;
	}
	return (long)fl->off;
}

static long sys_getdents64(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);
	uint32_t max = f->rdx > IO_CHUNK ? IO_CHUNK : (uint32_t)f->rdx, len = 0, used = 0;
	uint8_t *k, *out;
	struct fs_getdents_reply *rp;
	int rc;

	if (!fl)
		return -EBADF;
	if (fl->type != FILE_FS || (fl->mode & S_IFMT) != S_IFDIR)
		return -ENOTDIR;
	if (fl->dir_eof)
		return 0;
	k = malloc(sizeof(*rp) + IO_CHUNK);
	out = malloc(IO_CHUNK);
	if (!k || !out) {
		free(k);
		free(out);
		return -ENOMEM;
	}
	rc = fsc_getdents(p->vn, &fl->h, fl->dir_cookie, k, max, &len);
	if (rc == 0 && len < sizeof(*rp))
		rc = -EPROTO;
	if (rc) {
		free(k);
		free(out);
		return rc;
	}
	rp = (struct fs_getdents_reply *)k;
	for (uint32_t off = sizeof(*rp), i = 0; i < rp->count && off + sizeof(struct fs_dirent) <= len; i++) {
		struct fs_dirent *d = (struct fs_dirent *)(k + off);
		uint16_t reclen = (uint16_t)((19 + d->namelen + 1 + 7) & ~7);

		if (d->reclen < sizeof(*d) || off + d->reclen > len || used + reclen > max)
			break;
		memset(out + used, 0, reclen);
		*(uint64_t *)(out + used) = d->ino;
		*(int64_t *)(out + used + 8) = (int64_t)d->next_cookie;
		*(uint16_t *)(out + used + 16) = reclen;
		out[used + 18] = d->type;
		memcpy(out + used + 19, d->name, d->namelen);
		used += reclen;
		fl->dir_cookie = d->next_cookie;
		off += d->reclen;
	}
	if (rp->eof && used == 0)
		fl->dir_eof = 1;
	if (used == 0 && !rp->eof && rp->count)
		used = 0;
	free(k);
	if (used && copy_to_user(p, f->rsi, out, used)) {
		free(out);
		return -EFAULT;
	}
	free(out);
	if (used == 0 && !rp->eof && max < 280)
		return -EINVAL;
	return used;
}

/* ---- namespace -------------------------------------------------------------------- */

static long path_op(struct process *p, int dirfd, uint64_t upath, uint16_t op, uint32_t mode)
{
	char *path = malloc(FS_PATH_MAX);
	long rc;

	if (!path)
		return -ENOMEM;
	rc = user_path(p, dirfd, upath, path, FS_PATH_MAX);
	if (rc == 0)
		rc = fsc_path_op(p->vn, op, path, mode);
	free(path);
	return rc;
}

static long sys_mkdir(struct process *p, struct trap_frame *f)
{
	return path_op(p, AT_FDCWD, f->rdi, FAB_OP_FS_MKDIR, (uint32_t)f->rsi & ~p->umask);
}
static long sys_mkdirat(struct process *p, struct trap_frame *f)
{
	return path_op(p, (int)f->rdi, f->rsi, FAB_OP_FS_MKDIR, (uint32_t)f->rdx & ~p->umask);
}
static long sys_rmdir(struct process *p, struct trap_frame *f) { return path_op(p, AT_FDCWD, f->rdi, FAB_OP_FS_RMDIR, 0); }
static long sys_unlink(struct process *p, struct trap_frame *f) { return path_op(p, AT_FDCWD, f->rdi, FAB_OP_FS_UNLINK, 0); }
static long sys_unlinkat(struct process *p, struct trap_frame *f)
{
	return path_op(p, (int)f->rdi, f->rsi, (f->rdx & AT_REMOVEDIR) ? FAB_OP_FS_RMDIR : FAB_OP_FS_UNLINK, 0);
}

static long two_path(struct process *p, int d1, uint64_t u1, int d2, uint64_t u2, uint16_t op, int first_raw)
{
	char *a = malloc(FS_PATH_MAX), *b = malloc(FS_PATH_MAX);
	long rc;

	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	if (first_raw) {
		rc = strncpy_from_user(p, a, u1, FS_PATH_MAX);
		rc = rc < 0 ? rc : 0;
	} else {
		rc = user_path(p, d1, u1, a, FS_PATH_MAX);
	}
	if (rc == 0)
		rc = user_path(p, d2, u2, b, FS_PATH_MAX);
	if (rc == 0)
		rc = fsc_two_path_op(p->vn, op, a, b);
	free(a);
	free(b);
	return rc;
}

static long sys_rename(struct process *p, struct trap_frame *f)
{
	return two_path(p, AT_FDCWD, f->rdi, AT_FDCWD, f->rsi, FAB_OP_FS_RENAME, 0);
}
static long sys_renameat(struct process *p, struct trap_frame *f)
{
	return two_path(p, (int)f->rdi, f->rsi, (int)f->rdx, f->r10, FAB_OP_FS_RENAME, 0);
}
static long sys_symlink(struct process *p, struct trap_frame *f)
{
	return two_path(p, AT_FDCWD, f->rdi, AT_FDCWD, f->rsi, FAB_OP_FS_SYMLINK, 1);
}
static long sys_symlinkat(struct process *p, struct trap_frame *f)
{
	return two_path(p, AT_FDCWD, f->rdi, (int)f->rsi, f->rdx, FAB_OP_FS_SYMLINK, 1);
}
static long sys_link(struct process *p, struct trap_frame *f)
{
	return two_path(p, AT_FDCWD, f->rdi, AT_FDCWD, f->rsi, FAB_OP_FS_LINK, 0);
}

static long do_readlink(struct process *p, int dirfd, uint64_t upath, uint64_t ubuf, size_t len)
{
	char *path = malloc(FS_PATH_MAX), *k = malloc(FS_PATH_MAX);
	long rc;

	if (!path || !k) {
		free(path);
		free(k);
		return -ENOMEM;
	}
	rc = user_path(p, dirfd, upath, path, FS_PATH_MAX);
	if (rc == 0 && strcmp(path, "/proc/self/exe") == 0) {
		rc = -ENOENT;                      /* no /proc yet: glibc copes */
	} else if (rc == 0) {
		rc = fsc_readlink(p->vn, path, k, len < FS_PATH_MAX ? len : FS_PATH_MAX);
		if (rc > 0 && copy_to_user(p, ubuf, k, (size_t)rc))
			rc = -EFAULT;
	}
	free(path);
	free(k);
	return rc;
}

static long sys_readlink(struct process *p, struct trap_frame *f) { return do_readlink(p, AT_FDCWD, f->rdi, f->rsi, f->rdx); }
static long sys_readlinkat(struct process *p, struct trap_frame *f)
{
	return do_readlink(p, (int)f->rdi, f->rsi, f->rdx, f->r10);
}

static long do_access(struct process *p, int dirfd, uint64_t upath, uint32_t mode)
{
	struct fs_attr a;
	long rc = user_stat(p, dirfd, upath, 0, 1, &a);

	if (rc)
		return rc;
	/* root: read and write always, execute if any x bit is set (or a directory). */
	if ((mode & 1) && !(a.mode & 0111) && (a.mode & S_IFMT) != S_IFDIR)
		return -EACCES;
	return 0;
}

static long sys_access(struct process *p, struct trap_frame *f) { return do_access(p, AT_FDCWD, f->rdi, (uint32_t)f->rsi); }
static long sys_faccessat(struct process *p, struct trap_frame *f)
{
	return do_access(p, (int)f->rdi, f->rsi, (uint32_t)f->rdx);
}

static long sys_getcwd(struct process *p, struct trap_frame *f)
{
	size_t n = strlen(p->cwd) + 1;

	if (f->rsi < n)
		return -ERANGE;
	if (copy_to_user(p, f->rdi, p->cwd, n))
		return -EFAULT;
	return (long)n;
}

static long sys_chdir(struct process *p, struct trap_frame *f)
{
	char *path = malloc(FS_PATH_MAX);
	struct fs_attr a;
	long rc;

	if (!path)
		return -ENOMEM;
	rc = user_path(p, AT_FDCWD, f->rdi, path, FS_PATH_MAX);
	if (rc == 0)
		rc = fsc_stat(p->vn, path, 0, &a);
	if (rc == 0 && (a.mode & S_IFMT) != S_IFDIR)
		rc = -ENOTDIR;
	if (rc == 0 && strlen(path) >= sizeof(p->cwd))
		rc = -ENAMETOOLONG;
	if (rc == 0) {
		size_t n = strlen(path);

		if (n > 1 && path[n - 1] == '/')
			path[n - 1] = 0;
		strlcpy(p->cwd, path, sizeof(p->cwd));
	}
	free(path);
	return rc;
}

static long sys_fchdir(struct process *p, struct trap_frame *f)
{
	const struct file *d = fd_get(p, (int)f->rdi);

	if (!d)
		return -EBADF;
	if ((d->mode & S_IFMT) != S_IFDIR || !d->path)
		return -ENOTDIR;
	if (strlen(d->path) >= sizeof(p->cwd))
		return -ENAMETOOLONG;
	strlcpy(p->cwd, d->path, sizeof(p->cwd));
	return 0;
}

static long sys_truncate_fd(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);

	if (!fl)
		return -EBADF;
	if (fl->type != FILE_FS || (fl->flags & O_ACCMODE) == 0)
		return -EINVAL;
	return fsc_truncate(p->vn, &fl->h, f->rsi);
}

static long sys_truncate(struct process *p, struct trap_frame *f)
{
	char *path = malloc(FS_PATH_MAX);
	struct fs_attr a;
	long rc;

	if (!path)
		return -ENOMEM;
	rc = user_path(p, AT_FDCWD, f->rdi, path, FS_PATH_MAX);
	if (rc == 0)
		rc = fsc_open(p->vn, path, O_WRONLY, 0, &a);
	free(path);
	if (rc)
		return rc;
	struct fs_handle h = { a.ino, a.gen };
	return fsc_truncate(p->vn, &h, f->rsi);
}

static long sys_fsync(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);

	if (!fl)
		return -EBADF;
	return fl->type == FILE_FS ? fsc_fsync(p->vn, &fl->h) : -EINVAL;
}

static long sys_chmod_common(struct process *p, struct fs_handle *h, uint32_t mode)
{
	struct fs_setattr_req rq = { .h = *h, .mask = FS_SET_MODE, .mode = mode & 07777 };

	return fsc_setattr(p->vn, &rq);
}

static long sys_fchmod(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);

	if (!fl)
		return -EBADF;
	return fl->type == FILE_FS ? sys_chmod_common(p, &fl->h, (uint32_t)f->rsi) : 0;
}

static long do_chmod(struct process *p, int dirfd, uint64_t upath, uint32_t mode)
{
	struct fs_attr a;
	long rc = user_stat(p, dirfd, upath, 0, 0, &a);

	if (rc)
		return rc;
	struct fs_handle h = { a.ino, a.gen };
	return sys_chmod_common(p, &h, mode);
}

static long sys_chmod(struct process *p, struct trap_frame *f) { return do_chmod(p, AT_FDCWD, f->rdi, (uint32_t)f->rsi); }
static long sys_fchmodat(struct process *p, struct trap_frame *f)
{
	return do_chmod(p, (int)f->rdi, f->rsi, (uint32_t)f->rdx);
}

#define UTIME_NOW  ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)

/* utimensat(dirfd, path, times[2], flags); a NULL path is futimens(dirfd). The storage
 * node keeps seconds (ext2): nanoseconds are dropped. */
static long sys_utimensat(struct process *p, struct trap_frame *f)
{
	struct fs_setattr_req rq = { .mask = FS_SET_ATIME | FS_SET_MTIME, .atime = -2, .mtime = -2 };
	int64_t ts[4];
	long rc;

	if (f->rdx) {
		if (copy_from_user(p, ts, f->rdx, sizeof(ts)))
			return -EFAULT;
		int64_t t[2] = { -2, -2 };

		for (int i = 0; i < 2; i++) {
			if (ts[2 * i + 1] == UTIME_OMIT)
				rq.mask &= ~(i ? FS_SET_MTIME : FS_SET_ATIME);
			else if (ts[2 * i + 1] == UTIME_NOW)
				t[i] = -2;
			else if (ts[2 * i + 1] < 0 || ts[2 * i + 1] >= 1000000000 || ts[2 * i] < 0)
				return -EINVAL;
			else
				t[i] = ts[2 * i];
		}
		rq.atime = (rq.mask & FS_SET_ATIME) ? t[0] : 0;
		rq.mtime = (rq.mask & FS_SET_MTIME) ? t[1] : 0;
	}
	if (!f->rsi) {
		struct file *fl = fd_get(p, (int)f->rdi);

		if (!fl)
			return -EBADF;
		if (fl->type != FILE_FS)
			return 0;                  /* console and pipes have no stored times */
		rq.h = fl->h;
	} else {
		struct fs_attr a;

		rc = user_stat(p, (int)f->rdi, f->rsi, !!(f->r10 & AT_SYMLINK_NOFOLLOW), 0, &a);
		if (rc)
			return rc;
		rq.h.ino = a.ino;
		rq.h.gen = a.gen;
	}
	return rq.mask ? fsc_setattr(p->vn, &rq) : 0;
}

static long sys_statfs_common(struct process *p, uint64_t ubuf)
{
	struct fs_statfs_reply s;
	uint64_t st[15];
	long rc = fsc_statfs(p->vn, &s);

	if (rc)
		return rc;
	memset(st, 0, sizeof(st));
	st[0] = 0xEF53;          /* f_type: EXT2_SUPER_MAGIC */
	st[1] = s.bsize;
	st[2] = s.blocks;
	st[3] = s.bfree;
	st[4] = s.bavail;
	st[5] = s.files;
	st[6] = s.ffree;
	st[8] = s.namelen;
	st[9] = s.bsize;
	return copy_to_user(p, ubuf, st, 120);
}

static long sys_statfs(struct process *p, struct trap_frame *f) { return sys_statfs_common(p, f->rsi); }

/* ---- fd table --------------------------------------------------------------------- */

static long sys_dup(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);
	long rc;

	if (!fl)
		return -EBADF;
	rc = fd_alloc(p, fl, 0, 0);
	if (rc >= 0)
		fl->refs++;
	return rc;
}

static long do_dup3(struct process *p, long oldfd, long newfd, int flags)
{
	struct file *fl = fd_get(p, oldfd);

	if (!fl || newfd < 0 || newfd >= MAX_FD)
		return -EBADF;
	if (oldfd == newfd)
		return newfd;
	fl->refs++;
	file_put(p->fd[newfd]);
	p->fd[newfd] = fl;
	p->cloexec[newfd] = !!(flags & O_CLOEXEC);
	return newfd;
}

static long sys_dup2(struct process *p, struct trap_frame *f)
{
	if ((int)f->rdi == (int)f->rsi)
		return fd_get(p, (int)f->rdi) ? (int)f->rsi : -EBADF;
	return do_dup3(p, (int)f->rdi, (int)f->rsi, 0);
}

static long sys_dup3(struct process *p, struct trap_frame *f)
{
	if ((int)f->rdi == (int)f->rsi)
		return -EINVAL;
	return do_dup3(p, (int)f->rdi, (int)f->rsi, (int)f->rdx);
}

static long sys_fcntl(struct process *p, struct trap_frame *f)
{
	long fd = (int)f->rdi;
	struct file *fl = fd_get(p, fd);
	long rc;

	if (!fl)
		return -EBADF;
	switch ((int)f->rsi) {
	case 0: case 1030:      /* F_DUPFD, F_DUPFD_CLOEXEC */
		if ((int)f->rdx < 0 || (int)f->rdx >= MAX_FD)
			return -EINVAL;
		rc = fd_alloc(p, fl, (int)f->rdx, f->rsi == 1030);
		if (rc >= 0)
			fl->refs++;
		return rc;
	case 1:                 /* F_GETFD */
		return p->cloexec[fd] ? 1 : 0;
	case 2:                 /* F_SETFD */
		p->cloexec[fd] = f->rdx & 1;
		return 0;
	case 3:                 /* F_GETFL */
		return fl->flags & ~O_CLOEXEC;
	case 4:                 /* F_SETFL: O_APPEND and O_NONBLOCK may change */
		fl->flags = (fl->flags & ~(uint32_t)(O_APPEND | O_NONBLOCK)) | ((uint32_t)f->rdx & (O_APPEND | O_NONBLOCK));
		return 0;
	case 5: case 6: case 7: /* F_GETLK, F_SETLK, F_SETLKW: one writer per vNode, always granted */
		return 0;
	default:
		return -EINVAL;
	}
}

static long sys_ioctl(struct process *p, struct trap_frame *f)
{
	struct file *fl = fd_get(p, (long)f->rdi);
	int tty = p->vn->flags & VN_FLAG_TTY;

	if (!fl)
		return -EBADF;
	if (fl->type != FILE_CONSOLE || !tty)
		return -ENOTTY;
	switch (f->rsi) {
	case 0x5401: {          /* TCGETS */
		/*
		 * ICANON|ISIG|IEXTEN without ECHO: the user's own terminal (where
		 * tess runs, in cooked mode) already echoes and edits lines, so
		 * programs must not echo a second time.
		 */
		uint32_t t[9] = { 0x500, 0x5, 0xbf, 0x8003, 0, 0, 0, 0, 0 };
		uint8_t *cc = (uint8_t *)t + 17;

		cc[0] = 3; cc[1] = 28; cc[2] = 127; cc[3] = 21; cc[4] = 4; cc[6] = 1;
		return copy_to_user(p, f->rdx, t, 36);
	}
	case 0x5402: case 0x5403: case 0x5404:   /* TCSETS* */
		return 0;
	case 0x5413: {          /* TIOCGWINSZ */
		uint16_t ws[4] = { 24, 80, 0, 0 };

		return copy_to_user(p, f->rdx, ws, sizeof(ws));
	}
	case 0x540f: {          /* TIOCGPGRP */
		int32_t pg = p->vn->init ? p->vn->init->pid : p->pid;

		return copy_to_user(p, f->rdx, &pg, 4);
	}
	case 0x5410:            /* TIOCSPGRP */
		return 0;
	default:
		return -ENOTTY;
	}
}

static long sys_umask(struct process *p, struct trap_frame *f)
{
	uint32_t old = p->umask;

	p->umask = (uint32_t)f->rdi & 0777;
	return old;
}

/* ---- memory ----------------------------------------------------------------------- */

static long sys_brk(struct process *p, struct trap_frame *f)
{
	return (long)mm_brk(p, f->rdi, 0);
}

static long sys_mmap(struct process *p, struct trap_frame *f)
{
	uint64_t addr = f->rdi, len = f->rsi;
	uint32_t prot = (uint32_t)f->rdx, flags = (uint32_t)f->r10;
	long fd = (long)f->r8;
	uint64_t off = f->r9;

	if (len == 0 || (off & 0xfff))
		return -EINVAL;
	len = (len + 0xfff) & ~0xfffull;
	if (flags & VM_MAP_ANONYMOUS)
		return mm_mmap(p, addr, len, prot, flags, MEM_REGION_ANON, NULL, 0);
	struct file *fl = fd_get(p, fd);
	if (!fl)
		return -EBADF;
	if (fl->type != FILE_FS)
		return -ENODEV;
	if ((flags & VM_MAP_TYPE) == VM_MAP_SHARED && (prot & VM_PROT_WRITE))
		return -ENODEV;                     /* writable shared file mappings: not yet */
	struct vm_file file = { .node = p->vn->snode, .ino = fl->h.ino, .gen = fl->h.gen };
	return mm_mmap(p, addr, len, prot, (flags & ~VM_MAP_TYPE) | VM_MAP_PRIVATE, MEM_REGION_FILE, &file, off);
}

static long sys_munmap(struct process *p, struct trap_frame *f)
{
	return mm_munmap(p, f->rdi, (f->rsi + 0xfff) & ~0xfffull);
}

static long sys_mprotect(struct process *p, struct trap_frame *f)
{
	return mm_mprotect(p, f->rdi, (f->rsi + 0xfff) & ~0xfffull, (uint32_t)f->rdx);
}

static long sys_mremap(struct process *p, struct trap_frame *f)
{
	return mm_mremap(p, f->rdi, f->rsi, f->rdx, (uint32_t)f->r10, f->r8);
}

static long sys_madvise(struct process *p, struct trap_frame *f) { return 0; }

/* ---- identity, time, misc ------------------------------------------------------------ */

static long sys_getpid(struct process *p, struct trap_frame *f) { return p->pid; }
static long sys_getppid(struct process *p, struct trap_frame *f) { return p->ppid; }
static long sys_getuid(struct process *p, struct trap_frame *f) { return 0; }

/* A vNode's processes run as root with no supplementary groups, like a Linux
 * process started without a login (initgroups). */
static long sys_getgroups(struct process *p, struct trap_frame *f)
{
	return (int)f->rdi < 0 ? -EINVAL : 0;
}
static long sys_getpgrp(struct process *p, struct trap_frame *f) { return p->vn->init ? p->vn->init->pid : p->pid; }
static long sys_setpgid(struct process *p, struct trap_frame *f) { return 0; }
static long sys_setsid(struct process *p, struct trap_frame *f) { return p->pid; }

static long sys_arch_prctl(struct process *p, struct trap_frame *f)
{
	switch (f->rdi) {
	case 0x1002:            /* ARCH_SET_FS */
		if (f->rsi >= USER_TOP)
			return -EPERM;
		sched_current()->fs_base = f->rsi;
		wrmsr(0xC0000100, f->rsi);
		return 0;
	case 0x1003:            /* ARCH_GET_FS */
		return copy_to_user(p, f->rsi, &sched_current()->fs_base, 8);
	default:
		return -EINVAL;
	}
}

static long sys_uname(struct process *p, struct trap_frame *f)
{
	static const char *const fields[6] = { "Linux", "tessera", "6.1.0-tessera", "#1 SMP Tessera",
					       "x86_64", "(none)" };
	char u[6 * 65];

	memset(u, 0, sizeof(u));
	for (int i = 0; i < 6; i++)
		strlcpy(u + i * 65, fields[i], 65);
	return copy_to_user(p, f->rdi, u, sizeof(u));
}

void clock_now(int clock, int64_t ts[2])
{
	uint64_t ns = ktime_ns();

	if (clock == 0 || clock == 5 || clock == 8 || clock == 11) {   /* REALTIME, _COARSE, _ALARM, TAI */
		uint64_t wall = wallclock_seconds();

		ts[0] = (int64_t)wall;
		ts[1] = (int64_t)(ns % 1000000000ull);
	} else {
		ts[0] = (int64_t)(ns / 1000000000ull);
		ts[1] = (int64_t)(ns % 1000000000ull);
	}
}

static long sys_clock_gettime(struct process *p, struct trap_frame *f)
{
	int64_t ts[2];

	if (f->rdi > 11)
		return -EINVAL;
	clock_now((int)f->rdi, ts);
	return copy_to_user(p, f->rsi, ts, sizeof(ts));
}

static long sys_clock_getres(struct process *p, struct trap_frame *f)
{
	int64_t ts[2] = { 0, 1 };

	return f->rsi ? copy_to_user(p, f->rsi, ts, sizeof(ts)) : 0;
}

static long sys_gettimeofday(struct process *p, struct trap_frame *f)
{
	int64_t ts[2];

	clock_now(0, ts);
	ts[1] /= 1000;
	if (f->rdi && copy_to_user(p, f->rdi, ts, sizeof(ts)))
		return -EFAULT;
	return 0;
}

static long sys_time(struct process *p, struct trap_frame *f)
{
	int64_t t = (int64_t)wallclock_seconds();

	if (f->rdi && copy_to_user(p, f->rdi, &t, 8))
		return -EFAULT;
	return t;
}

static long sleep_until(struct process *p, uint64_t deadline)
{
	while (ktime_ns() < deadline) {
		if (pending_interrupt(p))
			return -EINTR;
		sched_block(deadline);
	}
	return 0;
}

static long sys_nanosleep(struct process *p, struct trap_frame *f)
{
	int64_t ts[2];

	if (copy_from_user(p, ts, f->rdi, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -EINVAL;
	return sleep_until(p, ktime_ns() + (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1]);
}

static long sys_clock_nanosleep(struct process *p, struct trap_frame *f)
{
	int64_t ts[2];
	uint64_t deadline;

	if (copy_from_user(p, ts, f->rdx, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -EINVAL;
	deadline = (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
	if (f->rsi & 1) {       /* TIMER_ABSTIME */
		int64_t now[2];

		clock_now((int)f->rdi, now);
		uint64_t now_ns = (uint64_t)now[0] * 1000000000ull + (uint64_t)now[1];
		deadline = deadline > now_ns ? ktime_ns() + (deadline - now_ns) : ktime_ns();
	} else {
		deadline += ktime_ns();
	}
	return sleep_until(p, deadline);
}

static long sys_sysinfo(struct process *p, struct trap_frame *f)
{
	uint8_t si[112];
	struct pfa *a = mm_pfa();

	memset(si, 0, sizeof(si));
	*(int64_t *)(si + 0) = (int64_t)(ktime_ns() / 1000000000ull);
	*(uint64_t *)(si + 32) = a->total * PAGE_SIZE;   /* totalram */
	*(uint64_t *)(si + 40) = a->free * PAGE_SIZE;    /* freeram */
	*(uint16_t *)(si + 80) = (uint16_t)p->vn->nprocs;
	*(uint32_t *)(si + 104) = 1;                     /* mem_unit */
	return copy_to_user(p, f->rdi, si, sizeof(si));
}

static long sys_getrandom(struct process *p, struct trap_frame *f)
{
	uint8_t k[256];
	size_t n = f->rsi > sizeof(k) ? sizeof(k) : f->rsi;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rdtsc() * 0x9e3779b97f4a7c15ull;
		unsigned char ok = 0;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		memcpy(k + i, &v, n - i < 8 ? n - i : 8);
	}
	return copy_to_user(p, f->rdi, k, n) ? -EFAULT : (long)n;
}

static long sys_prlimit64(struct process *p, struct trap_frame *f)
{
	uint64_t lim[2] = { ~0ull, ~0ull };

	if (f->rsi == 3)        /* RLIMIT_STACK */
		lim[0] = lim[1] = 8ull << 20;
	else if (f->rsi == 7)   /* RLIMIT_NOFILE */
		lim[0] = lim[1] = MAX_FD;
	else if (f->rsi == 6)   /* RLIMIT_NPROC */
		lim[0] = lim[1] = MAX_PROCS;
	if (f->r10 && copy_to_user(p, f->r10, lim, sizeof(lim)))
		return -EFAULT;
	return 0;
}

static long sys_getrlimit(struct process *p, struct trap_frame *f)
{
	f->r10 = f->rsi;
	f->rsi = f->rdi;
	return sys_prlimit64(p, f);
}

static long sys_sched_getaffinity(struct process *p, struct trap_frame *f)
{
	uint64_t mask = 1;

	if (f->rsi < 8)
		return -EINVAL;
	return copy_to_user(p, f->rdx, &mask, 8) ? -EFAULT : 8;
}

static long sys_sched_yield(struct process *p, struct trap_frame *f)
{
	/*
	 * Through the main loop: sched_yield() would only pass the CPU among the
	 * vNodes' threads and clear need_resched, so threads that spin on
	 * sched_yield could keep the main loop (fabric, heartbeats) from ever
	 * running. The caller goes to the back of the run queue.
	 */
	sched_yield_to_main();
	return 0;
}

/* ---- signals ------------------------------------------------------------------------ */

static int default_ignored(int sig)
{
	return sig == SIGCHLD || sig == 18 || sig == 23 || sig == 28 || sig == 19 || sig == 20 || sig == 21 ||
	       sig == 22;
}

/* A signal that would do nothing (ignored, or the process is gone) is not made pending. */
static int signal_discarded(struct process *p, int sig)
{
	if (p->zombie)
		return 1;
	if (sig == SIGKILL)
		return 0;
	return p->act[sig].handler == 1 || (p->act[sig].handler == 0 && default_ignored(sig));
}

int proc_kill(struct process *p, int sig)
{
	if (sig <= 0 || sig >= NSIG)
		return -EINVAL;
	if (signal_discarded(p, sig))
		return 0;
	p->sig_pending |= 1ull << (sig - 1);
	task_wake_for_signal(p, sig);
	return 0;
}

int task_kill(struct task *t, int sig)
{
	if (sig <= 0 || sig >= NSIG)
		return -EINVAL;
	if (signal_discarded(t->proc, sig))
		return 0;
	t->sig_pending |= 1ull << (sig - 1);
	if (t->thread && t->thread != sched_current())
		sched_wake(t->thread);
	return 0;
}

int pending_interrupt(struct process *p)
{
	struct task *t = task_current();
	uint64_t pending = t->sig_pending | p->sig_pending;

	return t->killed || (pending & ~t->sig_blocked) || (pending & (1ull << (SIGKILL - 1)));
}

/* kill(2) of a pid: the process, or the process one of whose threads has that tid (Linux too). */
static int proc_has_id(struct process *q, long id)
{
	if (q->pid == id)
		return 1;
	for (struct task *t = q->tasks; t; t = t->next)
		if (t->tid == id)
			return 1;
	return 0;
}

static long sys_kill(struct process *p, struct trap_frame *f)
{
	long pid = (int)f->rdi;
	int sig = (int)f->rsi;
	int found = 0;

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	for (int i = 0; i < MAX_PROCS; i++) {
		struct process *q = p->vn->procs[i];

		if (!q || q->zombie)
			continue;
		if (pid > 0 ? proc_has_id(q, pid) : (pid == 0 || pid == -1 || -pid == sys_getpgrp(p, f))) {
			found = 1;
			if (sig)
				proc_kill(q, sig);
		}
	}
	return found ? 0 : -ESRCH;
}

static long sys_rt_sigaction(struct process *p, struct trap_frame *f)
{
	int sig = (int)f->rdi;
	struct k_sigaction ka;

	if (sig <= 0 || sig >= NSIG || f->r10 != 8)
		return -EINVAL;
	if (f->rdx && copy_to_user(p, f->rdx, &p->act[sig], sizeof(ka)))
		return -EFAULT;
	if (f->rsi) {
		if (sig == SIGKILL || sig == 19)
			return -EINVAL;
		if (copy_from_user(p, &ka, f->rsi, sizeof(ka)))
			return -EFAULT;
		p->act[sig] = ka;
	}
	return 0;
}

static long sys_rt_sigprocmask(struct process *p, struct trap_frame *f)
{
	struct task *t = task_current();
	uint64_t set, old = t->sig_blocked;

	if (f->r10 != 8)
		return -EINVAL;
	if (f->rsi) {
		if (copy_from_user(p, &set, f->rsi, 8))
			return -EFAULT;
		set &= ~((1ull << (SIGKILL - 1)) | (1ull << 18));
		switch (f->rdi) {
		case 0: t->sig_blocked |= set; break;
		case 1: t->sig_blocked &= ~set; break;
		case 2: t->sig_blocked = set; break;
		default: return -EINVAL;
		}
	}
	if (f->rdx && copy_to_user(p, f->rdx, &old, 8))
		return -EFAULT;
	return 0;
}

/* Wait with mask as the signal mask (rt_sigsuspend, ppoll): the old one comes back when
 * the call returns, or through the frame of the handler that ends it (signal.c). */
static int swap_mask(struct process *p, uint64_t umask_ptr, uint64_t size)
{
	struct task *t = task_current();
	uint64_t set;

	if (size != 8)
		return -EINVAL;
	if (copy_from_user(p, &set, umask_ptr, 8))
		return -EFAULT;
	t->saved_mask = t->sig_blocked;
	t->restore_mask = 1;
	t->sig_blocked = set & ~((1ull << (SIGKILL - 1)) | (1ull << 18));
	return 0;
}

static long sys_rt_sigsuspend(struct process *p, struct trap_frame *f)
{
	int rc = swap_mask(p, f->rdi, f->rsi);

	if (rc)
		return rc;
	while (!pending_interrupt(p))
		sched_block(0);
	return -EINTR;
}

#define POLLIN      0x1
#define POLLOUT     0x4
#define POLLERR     0x8
#define POLLHUP     0x10
#define POLLNVAL    0x20
#define POLLRDNORM  0x40
#define POLLWRNORM  0x100
#define POLL_MAX_FDS 1024
#define POLL_STEP_NS 10000000ull   /* no wait queues across file kinds: re-check this often */

struct pollfd {
	int32_t fd;
	int16_t events, revents;
};

static short poll_one(struct process *p, int fd, short events)
{
	struct file *fl;
	short r;

	if (fd < 0)
		return 0;
	fl = fd_get(p, fd);
	if (!fl)
		return POLLNVAL;
	switch (fl->type) {
	case FILE_PIPE_READ:
	case FILE_PIPE_WRITE:
		r = pipe_poll(fl);
		break;
	case FILE_CONSOLE:
		r = POLLOUT;
		if (p->vn->in_len || p->vn->in_eof)
			r |= POLLIN;
		break;
	default:
		r = POLLIN | POLLOUT;           /* files never block */
		break;
	}
	if (r & POLLIN)
		r |= POLLRDNORM;
	if (r & POLLOUT)
		r |= POLLWRNORM;
	return r & (events | POLLERR | POLLHUP | POLLNVAL);
}

/* timeout_ns < 0: no timeout. */
static long do_poll(struct process *p, uint64_t ufds, uint64_t nfds, int64_t timeout_ns)
{
	uint64_t deadline = timeout_ns > 0 ? ktime_ns() + (uint64_t)timeout_ns : 0;
	struct pollfd *pf;
	long ready;

	if (nfds > POLL_MAX_FDS)
		return -EINVAL;
	pf = malloc(nfds * sizeof(*pf) + 1);
	if (!pf)
		return -ENOMEM;
	if (nfds && copy_from_user(p, pf, ufds, nfds * sizeof(*pf))) {
		free(pf);
		return -EFAULT;
	}
	for (;;) {
		uint64_t wake = ktime_ns() + POLL_STEP_NS;

		ready = 0;
		for (uint64_t i = 0; i < nfds; i++) {
			pf[i].revents = poll_one(p, pf[i].fd, pf[i].events);
			if (pf[i].revents)
				ready++;
		}
		if (ready || timeout_ns == 0 || (timeout_ns > 0 && ktime_ns() >= deadline))
			break;
		if (pending_interrupt(p)) {
			ready = -EINTR;
			break;
		}
		if (timeout_ns > 0 && deadline < wake)
			wake = deadline;
		sched_block(wake);
	}
	if (ready >= 0 && nfds && copy_to_user(p, ufds, pf, nfds * sizeof(*pf)))
		ready = -EFAULT;
	free(pf);
	return ready;
}

static long sys_poll(struct process *p, struct trap_frame *f)
{
	int ms = (int)f->rdx;

	return do_poll(p, f->rdi, f->rsi, ms < 0 ? -1 : (int64_t)ms * 1000000);
}

static long sys_ppoll(struct process *p, struct trap_frame *f)
{
	int64_t ts[2], ns = -1;
	int rc;

	if (f->rdx) {
		if (copy_from_user(p, ts, f->rdx, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
			return -EINVAL;
		ns = ts[0] * 1000000000 + ts[1];
	}
	if (f->r10) {
		rc = swap_mask(p, f->r10, f->r8);
		if (rc)
			return rc;
	}
	return do_poll(p, f->rdi, f->rsi, ns);
}

/* ---- exit --------------------------------------------------------------------------- */

void vnode_maybe_free(struct vnode *vn);

void proc_exit(struct process *p, int wait_status)
{
	struct vnode *vn = p->vn;
	struct thread *t = sched_current();

	/* The other tasks leave first; the last one out goes on from here. */
	wait_status = task_leave_group(p, wait_status);

	pr_debug("vnode %u: pid %d exits with status %x", vn->id, p->pid, (unsigned)wait_status);
	fd_close_all(p);
	t->cr3 = 0;
	aspace_destroy(p);
	p->wait_status = wait_status;
	p->zombie = 1;
	proc_report_exit(p);
	for (int i = 0; i < MAX_PROCS; i++) {
		struct process *c = vn->procs[i];

		if (c && c->parent == p) {
			c->parent = NULL;
			c->ppid = 1;
			if (c->zombie)
				proc_free(c);     /* nobody will wait for it now */
		}
	}
	if (p->parent) {
		proc_kill(p->parent, SIGCHLD);
		for (struct task *u = p->parent->tasks; u; u = u->next)
			if (u->in_wait4)
				sched_wake(u->thread);
	}
	vnode_process_exited(p);
	task_free(t->proc);
	t->proc = NULL;
	if (!p->parent) {
		proc_free(p);
		vnode_maybe_free(vn);
	}
	thread_exit();
}

/* Deliver what is pending at a return to user mode: a caught signal gets a
 * frame on the user stack (signal.c); a default-fatal one ends the process,
 * all its tasks. A task told to leave (exit_group, execve) leaves. */
void proc_deliver_signals(struct task *t, struct trap_frame *f)
{
	struct process *p = t->proc;
	uint64_t ready = (t->sig_pending | p->sig_pending) & (~t->sig_blocked | (1ull << (SIGKILL - 1)));

	if (t->killed)
		task_exit(p, SIGKILL);
	if (!ready)
		return;
	for (int sig = 1; sig < NSIG; sig++) {
		uint64_t bit = 1ull << (sig - 1);

		if (!(ready & bit))
			continue;
		if (t->sig_pending & bit)
			t->sig_pending &= ~bit;   /* sent to this task first, then to the process */
		else
			p->sig_pending &= ~bit;
		if (sig != SIGKILL && p->act[sig].handler == 1)
			continue;
		if (sig != SIGKILL && p->act[sig].handler == 0 && default_ignored(sig))
			continue;
		if (sig != SIGKILL && p->act[sig].handler > 1) {
			if (signal_frame(t, f, sig) == 0)
				return;           /* one handler at a time; the rest stay pending */
			proc_exit(p, SIGSEGV);    /* no room for the frame: like Linux, force SIGSEGV */
		}
		proc_exit(p, sig);
	}
}

/* ---- dispatch ----------------------------------------------------------------------- */

static sys_fn table[NOSYS_SLOTS] = {
	[0] = sys_read, [1] = sys_write, [2] = sys_open, [3] = sys_close, [4] = sys_stat, [5] = sys_fstat,
	[6] = sys_lstat, [8] = sys_lseek, [9] = sys_mmap, [10] = sys_mprotect, [11] = sys_munmap,
	[12] = sys_brk, [13] = sys_rt_sigaction, [14] = sys_rt_sigprocmask, [16] = sys_ioctl,
	[17] = sys_pread64, [18] = sys_pwrite64, [19] = sys_readv, [20] = sys_writev, [21] = sys_access,
	[24] = sys_sched_yield, [25] = sys_mremap, [28] = sys_madvise, [32] = sys_dup, [33] = sys_dup2,
	[35] = sys_nanosleep, [39] = sys_getpid, [40] = sys_sendfile, [62] = sys_kill,
	[63] = sys_uname, [72] = sys_fcntl, [74] = sys_fsync, [75] = sys_fsync, [76] = sys_truncate,
	[77] = sys_truncate_fd, [79] = sys_getcwd, [80] = sys_chdir, [81] = sys_fchdir, [82] = sys_rename, [83] = sys_mkdir,
	[84] = sys_rmdir, [85] = sys_creat, [86] = sys_link, [87] = sys_unlink, [88] = sys_symlink,
	[89] = sys_readlink, [90] = sys_chmod, [91] = sys_fchmod, [95] = sys_umask, [96] = sys_gettimeofday,
	[97] = sys_getrlimit, [99] = sys_sysinfo, [102] = sys_getuid, [104] = sys_getuid, [107] = sys_getuid,
	[108] = sys_getuid, [109] = sys_setpgid, [110] = sys_getppid, [111] = sys_getpgrp, [112] = sys_setsid,
	[121] = sys_getpgrp, [124] = sys_getpgrp, [137] = sys_statfs, [158] = sys_arch_prctl,
	[160] = sys_setpgid, [201] = sys_time,
	[204] = sys_sched_getaffinity, [217] = sys_getdents64,
	[228] = sys_clock_gettime, [229] = sys_clock_getres, [230] = sys_clock_nanosleep,
	[257] = sys_openat, [258] = sys_mkdirat, [262] = sys_newfstatat,
	[263] = sys_unlinkat, [264] = sys_renameat, [266] = sys_symlinkat, [267] = sys_readlinkat,
	[268] = sys_fchmodat, [269] = sys_faccessat, [292] = sys_dup3,
	[302] = sys_prlimit64, [316] = sys_renameat, [318] = sys_getrandom, [439] = sys_faccessat,
	[7] = sys_poll, [115] = sys_getgroups, [130] = sys_rt_sigsuspend, [271] = sys_ppoll,
	[280] = sys_utimensat,
};

void syscall_register(unsigned nr, sys_fn fn)
{
	if (nr < NOSYS_SLOTS)
		table[nr] = fn;
}

int syscall_trace;
void syscall_dispatch(struct trap_frame *f);
void syscall_dispatch(struct trap_frame *f)
{
	struct process *p = proc_current();
	struct task *t = task_current();
	uint64_t nr = f->rax;
	long rc;

	t->uframe = f;
	if (nr < NOSYS_SLOTS && table[nr]) {
		rc = table[nr](p, f);
	} else {
		rc = -ENOSYS;
		p->vn->nosys_total++;
		if (nr < NOSYS_SLOTS && p->vn->nosys[nr]++ == 0)
			pr_debug("vnode %u: syscall %lu not implemented", p->vn->id, nr);
	}
	f->rax = (uint64_t)rc;
	if (syscall_trace)
		pr_info("trace: pid %d tid %d: syscall %lu (%lx, %lx, %lx) = %ld", p->pid, t->tid, nr, f->rdi, f->rsi,
			f->rdx, rc);
	proc_deliver_signals(t, f);
	if (t->restore_mask) {
		/* rt_sigsuspend or ppoll ended without running a handler. */
		t->sig_blocked = t->saved_mask;
		t->restore_mask = 0;
	}
	if (need_resched)
		sched_yield_to_main();
}

/* ---- user traps ---------------------------------------------------------------------- */

static void user_trap(struct trap_frame *f)
{
	struct process *p = proc_current();
	struct task *t = task_current();
	int sig;

	if (!p) {
		panic("user trap %lu without a process", f->vector);
	}
	t->uframe = f;
	if (f->vector == 14) {
		uint64_t va = read_cr2();
		unsigned access = (f->error & (1u << 4)) ? MEM_ACCESS_EXEC :
				  (f->error & 2) ? MEM_ACCESS_WRITE : MEM_ACCESS_READ;
		int rc;

		irq_enable();
		rc = user_fault(p, va, access);
		irq_disable();
		if (rc == 0) {
			proc_deliver_signals(t, f);
			return;
		}
		if (rc != -EFAULT)
			pr_warn("vnode %u pid %d: fault at %lx could not be served (%d)", p->vn->id, p->pid, va, rc);
		sig = SIGSEGV;
	} else if (f->vector == 0 || f->vector == 16 || f->vector == 19) {
		sig = 8;                /* SIGFPE */
	} else if (f->vector == 6) {
		sig = 4;                /* SIGILL */
	} else if (f->vector == 3 || f->vector == 1) {
		sig = 5;                /* SIGTRAP */
	} else {
		sig = SIGSEGV;          /* #GP and the rest */
	}
	pr_info("vnode %u pid %d (%s): signal %d at rip %lx (exception %lu, address %lx)", p->vn->id, p->pid,
		p->comm, sig, f->rip, f->vector, f->vector == 14 ? read_cr2() : 0);
	irq_enable();
	proc_exit(p, sig);
}

/* After an interrupt in user mode (arch/x86_64/trap.c): a signal sent meanwhile, e.g. the
 * SIGKILL of a program that loops without system calls, is delivered now. */
static void user_irq_return(struct trap_frame *f)
{
	struct task *t = task_current();

	if (!t || !(t->killed || t->sig_pending || t->proc->sig_pending))
		return;
	t->uframe = f;
	irq_enable();
	proc_deliver_signals(t, f);
	irq_disable();
}

void proc_start_user(struct task *t, struct trap_frame *f)
{
	irq_disable();
	t->uframe = f;
	user_return(f);
}

void syscall_layer_init(void);
void syscall_layer_init(void)
{
	syscall_init(syscall_entry);
	user_trap_handler = user_trap;
	user_irq_return_handler = user_irq_return;
	uaccess_init();
	pipe_init();
	signal_init();
	fork_init();
	thread_init();
	futex_init();
}
