/*
 * gmm/fs.c - `tess fs`: file commands on the control socket, relayed to a
 * storage node as FAB_OP_FS_* RPCs (docs/interfaces.md, "File commands").
 *
 * Each command is a job that advances when a reply arrives or a deadline
 * passes, so the event loop never blocks. Bulk transfers (fs-put, fs-get,
 * fs-pread, fs-pwrite) and `ls -l` keep several RPCs in flight: at most FS_WINDOW per
 * storage node, because the hub drops frames once a node's datagram queue
 * (net.unix.max_dgram_qlen, 10 by default) is full. fs-put reads the raw bytes
 * that follow its request line only as fast as the node takes them; fs-get
 * reads ahead only while the client keeps up. A job that ends early (error,
 * client gone) retires its RPCs with rpc_end(), so late replies are dropped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <jansson.h>
#include "gmmd.h"

#define MS 1000000ull
#define FS_WINDOW          8          /* RPCs in flight per storage node */
#define FS_OUT_AHEAD       (1u << 20) /* fs-get: unsent bytes before reads pause */
#define FS_TIMEOUT_MS      1000       /* first try; doubles up to FS_MAX_TIMEOUT_MS */
#define FS_MAX_TIMEOUT_MS  4000
#define FS_TRIES           5
#define FS_PREAD_MAX       65536      /* offsets in one fs-pread */
#define FS_DEFAULT_MODE    0644
#define FS_DEFAULT_DIR_MODE 0755

enum fs_kind { FSJ_SIMPLE, FSJ_LS, FSJ_PUT, FSJ_GET };

/* What a job asked for, chosen from "op" (fs) or the command name. */
enum fs_verb {
	V_STAT, V_LSTAT, V_LS, V_READLINK, V_MKDIR, V_RM, V_RMDIR, V_MV, V_SYMLINK, V_STATFS,
	V_TRUNCATE, V_TOUCH, V_SYNC, V_PUT, V_GET, V_PREAD, V_PWRITE,
};

static const struct { const char *name; enum fs_verb verb; } fs_ops[] = {
	{ "stat", V_STAT }, { "lstat", V_LSTAT }, { "ls", V_LS }, { "readlink", V_READLINK },
	{ "mkdir", V_MKDIR }, { "rm", V_RM }, { "unlink", V_RM }, { "rmdir", V_RMDIR },
	{ "mv", V_MV }, { "rename", V_MV }, { "symlink", V_SYMLINK }, { "statfs", V_STATFS },
	{ "truncate", V_TRUNCATE }, { "touch", V_TOUCH }, { "sync", V_SYNC },
};

enum call_state { CALL_FREE, CALL_WAITING, CALL_READY };

/* One RPC of a job: its request (kept for resends) and its reply. */
struct fs_call {
	uint8_t  state;
	uint16_t op;
	uint64_t req_id;
	uint64_t tag;                 /* what it is for: a sequence number, an entry index */
	uint32_t want;                /* bulk: bytes asked for */
	uint32_t len, rep_len;
	int32_t  status;
	uint8_t  req[FAB_MAX_PAYLOAD];
	uint8_t  rep[FAB_MAX_PAYLOAD];
};

struct fs_job {
	struct ctl_client *c;
	enum fs_kind kind;
	enum fs_verb verb;
	uint16_t node;
	int      phase;
	int      done;                /* reply sent; only draining input (put) remains */
	int      counted;             /* in node_jobs[node] */
	int      node_down;           /* the node is no longer up: waiting calls fail */
	uint64_t boot;                /* the node's boot nonce when the job started */
	struct fs_call *call;
	unsigned ncall;
	char    *path, *path2;        /* path2: mv destination, symlink target */
	uint32_t mode;
	int      parents, longfmt;
	uint64_t size;                /* put: bytes to come; get: bytes promised */
	struct fs_handle h;
	/* bulk progress */
	uint64_t issued, acked;       /* put: bytes sent to the node, bytes it wrote */
	uint64_t taken;               /* put: bytes taken from the client */
	uint64_t seq_next, seq_emit;  /* get: next read to issue, next to hand to the client */
	uint64_t off, end;            /* get: the range; pread: per-read length in end */
	uint64_t *offs;               /* pread: the offsets */
	size_t   noffs;
	int32_t  err;                 /* put: first error; the rest of the data is discarded */
	/* ls */
	json_t  *entries;
	uint64_t cookie;
	size_t   next_entry;
	size_t   pending;             /* ls -l: stats and readlinks outstanding */
	size_t   mkdir_pos;           /* mkdir -p: end of the prefix made last */
	uint64_t started_ns;
};

/* What `tess status --json` shows under "fs". */
static struct {
	uint64_t jobs, active, errors, bytes_in, bytes_out, cut;
} fsn;

static int rpc_ready;
static uint8_t node_inflight[FAB_NODE_MAX + 1];
static uint8_t node_jobs[FAB_NODE_MAX + 1];

/* ---- small helpers ------------------------------------------------------------ */

static json_t *fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *fail_msg(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* A file-service error: the strerror text and the errno, as Linux would say it. */
static json_t *fail_errno(struct gmmd *g, const struct fs_job *j, int rc)
{
	const struct member *m = &g->node[j->node];

	/* Writes it acknowledged may be gone with its cache: never carry on. */
	if (j->boot && m->row.boot_nonce != j->boot)
		return json_pack("{s:b, s:s, s:i}", "ok", 0, "error",
				 "the storage node restarted during the request", "errno", EIO);
	if (rc == -ETIMEDOUT)
		return json_pack("{s:b, s:s, s:i}", "ok", 0, "error",
				 strcmp(m->row.state, "up") ? "the storage node went down" :
				 "the storage node did not answer", "errno", ETIMEDOUT);
	return json_pack("{s:b, s:s, s:i}", "ok", 0, "error", strerror(-rc), "errno", -rc);
}

static const char *type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "sock";
	default: return "unknown";
	}
}

static const char *dtype_name(unsigned t)
{
	static const char *const names[] = {
		[0] = "unknown", [1] = "fifo", [2] = "chr", [4] = "dir", [6] = "blk", [8] = "file",
		[10] = "symlink", [12] = "sock",
	};
	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "unknown";
}

static void attr_into(json_t *o, const struct fs_attr *a)
{
	json_object_set_new(o, "ino", json_integer(a->ino));
	json_object_set_new(o, "type", json_string(type_name(a->mode)));
	json_object_set_new(o, "mode", json_integer(a->mode));
	json_object_set_new(o, "perm", json_integer(a->mode & 07777));
	json_object_set_new(o, "nlink", json_integer(a->nlink));
	json_object_set_new(o, "uid", json_integer(a->uid));
	json_object_set_new(o, "gid", json_integer(a->gid));
	json_object_set_new(o, "size", json_integer((json_int_t)a->size));
	json_object_set_new(o, "blocks", json_integer((json_int_t)a->blocks));
	json_object_set_new(o, "blksize", json_integer(a->blksize));
	json_object_set_new(o, "rdev", json_integer(a->rdev));
	json_object_set_new(o, "atime", json_integer(a->atime));
	json_object_set_new(o, "mtime", json_integer(a->mtime));
	json_object_set_new(o, "ctime", json_integer(a->ctime));
}

static json_t *ok_attr(const struct fs_attr *a)
{
	json_t *r = json_pack("{s:b}", "ok", 1);

	attr_into(r, a);
	return r;
}

/* dir + "/" + name without doubling the slash. */
static char *join_path(const char *dir, const char *name, size_t nlen)
{
	size_t dl = strlen(dir);
	char *p;

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	p = malloc(dl + nlen + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (!(dl == 1 && dir[0] == '/'))
		p[dl++] = '/';
	memcpy(p + dl, name, nlen);
	p[dl + nlen] = 0;
	return p;
}

/* ---- the storage node ------------------------------------------------------------- */

static int is_storage_up(const struct member *m)
{
	return m->known && strcmp(m->row.role, "storage") == 0 && strcmp(m->row.state, "up") == 0;
}

/* "node": an id or a name; default the first storage node that is up. */
static int pick_node(struct gmmd *g, json_t *req, char *err, size_t errlen)
{
	json_t *v = json_object_get(req, "node");
	int id = -1;

	if (!v) {
		for (int i = 1; i <= (int)FAB_NODE_MAX; i++)
			if (is_storage_up(&g->node[i]))
				return i;
		snprintf(err, errlen, "no storage node is up");
		return -1;
	}
	if (json_is_integer(v)) {
		id = (int)json_integer_value(v);
	} else if (json_is_string(v)) {
		for (int i = 1; i <= (int)FAB_NODE_MAX && id < 0; i++)
			if (g->node[i].known && strcmp(g->node[i].row.name, json_string_value(v)) == 0)
				id = i;
		if (id < 0) {
			snprintf(err, errlen, "unknown node '%.32s'", json_string_value(v));
			return -1;
		}
	}
	if (id < 1 || id > (int)FAB_NODE_MAX || !g->node[id].known) {
		snprintf(err, errlen, "unknown node %d", id);
		return -1;
	}
	if (strcmp(g->node[id].row.role, "storage") != 0) {
		snprintf(err, errlen, "node %d is a %s node, not a storage node", id, g->node[id].row.role);
		return -1;
	}
	if (strcmp(g->node[id].row.state, "up") != 0) {
		snprintf(err, errlen, "storage node %d is %s", id, g->node[id].row.state);
		return -1;
	}
	return id;
}

static void rpc_setup(struct gmmd *g)
{
	struct rpc_policy p = {
		.timeout_ns = FS_TIMEOUT_MS * MS,
		.max_timeout_ns = FS_MAX_TIMEOUT_MS * MS,
		.max_tries = FS_TRIES,
	};
	uint64_t seed;

	if (rpc_ready)
		return;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = gmm_now_ns() * 2862933555777941757ull;
	rpc_init(&g->rpc_fs, &p, seed);
	rpc_ready = 1;
}

/* ---- calls ---------------------------------------------------------------------- */

static struct fs_call *free_call(struct fs_job *j)
{
	for (unsigned i = 0; i < j->ncall; i++)
		if (j->call[i].state == CALL_FREE)
			return &j->call[i];
	return NULL;
}

static unsigned waiting(const struct fs_job *j)
{
	unsigned n = 0;

	for (unsigned i = 0; i < j->ncall; i++)
		n += j->call[i].state == CALL_WAITING;
	return n;
}

/* May this job put another RPC on the wire now? Shares the node's window fairly. */
static int may_send(const struct fs_job *j)
{
	unsigned share = FS_WINDOW / (node_jobs[j->node] ? node_jobs[j->node] : 1);

	if (share < 1)
		share = 1;
	return node_inflight[j->node] < FS_WINDOW && waiting(j) < share;
}

/* Start call k (its req and len filled in). 0, or -EBUSY when the table is full. */
static int call_send(struct gmmd *g, struct fs_job *j, struct fs_call *k, uint16_t op,
		     uint64_t now)
{
	k->req_id = rpc_begin(&g->rpc_fs, j->node, op, k->rep, sizeof(k->rep), now);
	if (!k->req_id)
		return -EBUSY;
	k->op = op;
	k->state = CALL_WAITING;
	node_inflight[j->node]++;
	endpoint_send(g, g->node[j->node].mac, FAB_T_REQ, op, j->node, 0, k->req_id, k->req, k->len);
	return 0;
}

static void call_end(struct gmmd *g, struct fs_job *j, struct fs_call *k)
{
	if (k->state == CALL_WAITING) {
		rpc_end(&g->rpc_fs, k->req_id);
		if (node_inflight[j->node])
			node_inflight[j->node]--;
	}
	k->state = CALL_FREE;
	k->req_id = 0;
}

/* Poll one waiting call: 1 if it finished (state READY, status and reply set). */
static int call_poll(struct gmmd *g, struct fs_job *j, struct fs_call *k, uint64_t now)
{
	uint32_t len = 0;

	if (k->state != CALL_WAITING)
		return 0;
	if (j->node_down) {
		call_end(g, j, k);
		k->state = CALL_READY;
		k->status = -ETIMEDOUT;
		k->rep_len = 0;
		return 1;
	}
	switch (rpc_poll(&g->rpc_fs, k->req_id, now)) {
	case RPC_POLL_WAIT:
		return 0;
	case RPC_POLL_RESEND:
		endpoint_send(g, g->node[j->node].mac, FAB_T_REQ, k->op, j->node, 0, k->req_id,
			      k->req, k->len);
		return 0;
	case RPC_POLL_DONE:
	case RPC_POLL_TIMEDOUT:
		k->status = rpc_result(&g->rpc_fs, k->req_id, &len);
		k->rep_len = len;
		break;
	case RPC_POLL_INVALID:
		k->status = -EIO;
		k->rep_len = 0;
		break;
	}
	rpc_end(&g->rpc_fs, k->req_id);
	if (node_inflight[j->node])
		node_inflight[j->node]--;
	k->req_id = 0;
	k->state = CALL_READY;
	return 1;
}

/* Request builders: fill k->req and k->len. */
static int build_path(struct fs_call *k, uint32_t flags, uint32_t mode, const char *path)
{
	struct fs_path_req *rq = (struct fs_path_req *)k->req;
	size_t n = strlen(path) + 1;

	if (sizeof(*rq) + n > sizeof(k->req))
		return -ENAMETOOLONG;
	memset(rq, 0, sizeof(*rq));
	rq->flags = flags;
	rq->mode = mode;
	memcpy(rq->path, path, n);
	k->len = (uint32_t)(sizeof(*rq) + n);
	return 0;
}

static int build_two(struct fs_call *k, const char *a, const char *b)
{
	struct fs_two_path_req *rq = (struct fs_two_path_req *)k->req;
	size_t na = strlen(a) + 1, nb = strlen(b) + 1;

	if (sizeof(*rq) + na + nb > sizeof(k->req))
		return -ENAMETOOLONG;
	memset(rq, 0, sizeof(*rq));
	rq->len1 = (uint32_t)na;
	rq->len2 = (uint32_t)nb;
	memcpy(rq->paths, a, na);
	memcpy(rq->paths + na, b, nb);
	k->len = (uint32_t)(sizeof(*rq) + na + nb);
	return 0;
}

/* One sequential step: build with fn's result rc, then send. */
static int step_send(struct gmmd *g, struct fs_job *j, struct fs_call *k, int rc, uint16_t op,
		     uint64_t now)
{
	if (rc)
		return rc;
	return call_send(g, j, k, op, now);
}

/* ---- simple commands and ls (one call at a time, except ls -l) ---------------------- */

static int start_simple(struct gmmd *g, struct fs_job *j, uint64_t now)
{
	struct fs_call *k = &j->call[0];

	switch (j->verb) {
	case V_STAT:
	case V_LSTAT:
		return step_send(g, j, k, build_path(k, j->verb == V_LSTAT ? FS_NOFOLLOW : 0, 0, j->path),
				 FAB_OP_FS_STAT, now);
	case V_READLINK:
		return step_send(g, j, k, build_path(k, 0, 0, j->path), FAB_OP_FS_READLINK, now);
	case V_MKDIR:
		if (j->parents) {
			/* mkdir -p: every prefix in turn; the first is "/x". */
			size_t n = j->mkdir_pos + 1;
			char save;

			while (j->path[n] && j->path[n] != '/')
				n++;
			j->mkdir_pos = n;
			save = j->path[n];
			j->path[n] = 0;
			n = (size_t)build_path(k, 0, j->mode, j->path);
			j->path[j->mkdir_pos] = save;
			return step_send(g, j, k, (int)n, FAB_OP_FS_MKDIR, now);
		}
		return step_send(g, j, k, build_path(k, 0, j->mode, j->path), FAB_OP_FS_MKDIR, now);
	case V_RM:
		return step_send(g, j, k, build_path(k, 0, 0, j->path), FAB_OP_FS_UNLINK, now);
	case V_RMDIR:
		return step_send(g, j, k, build_path(k, 0, 0, j->path), FAB_OP_FS_RMDIR, now);
	case V_MV:
		return step_send(g, j, k, build_two(k, j->path, j->path2), FAB_OP_FS_RENAME, now);
	case V_SYMLINK:
		return step_send(g, j, k, build_two(k, j->path2, j->path), FAB_OP_FS_SYMLINK, now);
	case V_STATFS:
		k->len = 0;
		return call_send(g, j, k, FAB_OP_FS_STATFS, now);
	case V_SYNC:                      /* the whole file system: handle ino 0 */
		memset(k->req, 0, sizeof(struct fs_handle));
		k->len = sizeof(struct fs_handle);
		return call_send(g, j, k, FAB_OP_FS_FSYNC, now);
	case V_TRUNCATE:
		return step_send(g, j, k, build_path(k, FS_O_WRONLY, 0, j->path), FAB_OP_FS_OPEN, now);
	case V_TOUCH:
		return step_send(g, j, k, build_path(k, FS_O_WRONLY | FS_O_CREAT, j->mode, j->path),
				 FAB_OP_FS_OPEN, now);
	default:
		return -EINVAL;
	}
}

static json_t *statfs_json(const struct fs_statfs_reply *s)
{
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "ok", 1,
			 "bsize", (json_int_t)s->bsize, "namelen", (json_int_t)s->namelen,
			 "blocks", (json_int_t)s->blocks, "bfree", (json_int_t)s->bfree,
			 "bavail", (json_int_t)s->bavail, "files", (json_int_t)s->files,
			 "ffree", (json_int_t)s->ffree, "rdonly", s->rdonly != 0);
}

/* A finished call of a simple job: the reply, or NULL when another call was started. */
static json_t *simple_done(struct gmmd *g, struct fs_job *j, struct fs_call *k, uint64_t now)
{
	int rc = k->status;
	json_t *r;

	k->state = CALL_FREE;
	if (j->verb == V_MKDIR && j->parents) {
		int last = j->path[j->mkdir_pos] == 0 ||
			   strspn(j->path + j->mkdir_pos, "/") == strlen(j->path + j->mkdir_pos);

		if (j->phase == 1) {              /* the stat of an existing last component */
			if (rc == 0 && k->rep_len == sizeof(struct fs_attr) &&
			    S_ISDIR(((struct fs_attr *)k->rep)->mode))
				return ok_attr((struct fs_attr *)k->rep);
			return fail_errno(g, j, rc ? rc : -EEXIST);
		}
		if (rc == -EEXIST && last) {
			j->phase = 1;
			rc = step_send(g, j, k, build_path(k, 0, 0, j->path), FAB_OP_FS_STAT, now);
			return rc ? fail_errno(g, j, rc) : NULL;
		}
		if (rc && rc != -EEXIST)
			return fail_errno(g, j, rc);
		if (!last) {
			rc = start_simple(g, j, now);
			return rc ? fail_errno(g, j, rc) : NULL;
		}
	} else if (rc) {
		return fail_errno(g, j, rc);
	}
	switch (j->verb) {
	case V_READLINK:
		r = json_pack("{s:b, s:s%}", "ok", 1, "target", (const char *)k->rep, (size_t)k->rep_len);
		return r ? r : fail_msg("the storage node sent a bad reply");
	case V_STATFS:
		if (k->rep_len != sizeof(struct fs_statfs_reply))
			return fail_msg("the storage node sent a bad statfs reply");
		r = statfs_json((struct fs_statfs_reply *)k->rep);
		json_object_set_new(r, "node", json_integer(j->node));
		json_object_set_new(r, "name", json_string(g->node[j->node].row.name));
		return r;
	case V_RM: case V_RMDIR: case V_MV: case V_SYNC:
		return json_pack("{s:b}", "ok", 1);
	case V_TRUNCATE:
		if (k->rep_len != sizeof(struct fs_attr))
			return fail_msg("the storage node sent a bad reply");
		if (j->phase == 0) {
			struct fs_trunc_req *tr = (struct fs_trunc_req *)k->req;
			const struct fs_attr *a = (const struct fs_attr *)k->rep;

			tr->h.ino = a->ino;
			tr->h.gen = a->gen;
			tr->size = j->size;
			k->len = sizeof(*tr);
			j->phase = 1;
			rc = call_send(g, j, k, FAB_OP_FS_TRUNCATE, now);
			return rc ? fail_errno(g, j, rc) : NULL;
		}
		return ok_attr((struct fs_attr *)k->rep);
	default:       /* stat, lstat, mkdir, symlink, touch */
		if (k->rep_len != sizeof(struct fs_attr))
			return fail_msg("the storage node sent a bad reply");
		return ok_attr((struct fs_attr *)k->rep);
	}
}

/* ls: open the directory, read it whole, then (-l) stat every entry. */
static int ls_getdents(struct gmmd *g, struct fs_job *j, struct fs_call *k, uint64_t now)
{
	struct fs_getdents_req *rq = (struct fs_getdents_req *)k->req;

	memset(rq, 0, sizeof(*rq));
	rq->h = j->h;
	rq->cookie = j->cookie;
	rq->max_bytes = FS_IO_MAX;
	k->len = sizeof(*rq);
	return call_send(g, j, k, FAB_OP_FS_GETDENTS, now);
}

/* Parse a getdents reply into j->entries; 1 at the end of the directory. */
static int ls_take(struct fs_job *j, const struct fs_call *k)
{
	const struct fs_getdents_reply *rp = (const struct fs_getdents_reply *)k->rep;
	uint32_t off = sizeof(*rp);

	if (k->rep_len < sizeof(*rp))
		return -EPROTO;
	for (uint32_t i = 0; i < rp->count; i++) {
		const struct fs_dirent *d = (const struct fs_dirent *)(k->rep + off);
		json_t *e;

		if (off + sizeof(*d) > k->rep_len || d->reclen < sizeof(*d) + d->namelen ||
		    off + d->reclen > k->rep_len || !d->namelen)
			return -EPROTO;
		e = json_pack("{s:s%, s:I, s:s}", "name", d->name, (size_t)d->namelen,
			      "ino", (json_int_t)d->ino, "type", dtype_name(d->type));
		if (!e)
			return -EPROTO;           /* not UTF-8: jansson refuses it */
		json_array_append_new(j->entries, e);
		off += d->reclen;
	}
	j->cookie = rp->next_cookie;
	return rp->eof || rp->count == 0;
}

/* ls -l: start stats (and readlinks) for entries while the window allows. */
static int ls_fill(struct gmmd *g, struct fs_job *j, uint64_t now)
{
	struct fs_call *k;

	while (j->next_entry < json_array_size(j->entries) && may_send(j) && (k = free_call(j))) {
		json_t *e = json_array_get(j->entries, j->next_entry);
		const char *name = json_string_value(json_object_get(e, "name"));
		char *p = join_path(j->path, name, strlen(name));
		int rc;

		if (!p)
			return -ENOMEM;
		rc = build_path(k, FS_NOFOLLOW, 0, p);
		free(p);
		k->tag = j->next_entry;
		if (rc || (rc = call_send(g, j, k, FAB_OP_FS_STAT, now)) < 0)
			return rc == -EBUSY ? 0 : rc;
		j->next_entry++;
		j->pending++;
	}
	return 0;
}

static int ls_readlink(struct gmmd *g, struct fs_job *j, struct fs_call *k, size_t idx,
		       uint64_t now)
{
	const char *name = json_string_value(json_object_get(json_array_get(j->entries, idx), "name"));
	char *p = join_path(j->path, name, strlen(name));
	int rc;

	if (!p)
		return -ENOMEM;
	rc = build_path(k, 0, 0, p);
	free(p);
	k->tag = idx | (1ull << 63);
	if (rc || (rc = call_send(g, j, k, FAB_OP_FS_READLINK, now)))
		return rc;
	j->pending++;
	return 0;
}

static json_t *ls_reply(struct fs_job *j, int is_dir)
{
	json_t *r = json_pack("{s:b, s:b, s:O}", "ok", 1, "dir", is_dir, "entries", j->entries);

	return r;
}

/* A finished call of an ls job. */
static json_t *ls_done(struct gmmd *g, struct fs_job *j, struct fs_call *k, uint64_t now)
{
	int rc = k->status;

	switch (j->phase) {
	case 0:                                   /* open */
		k->state = CALL_FREE;
		if (rc == -ENOTDIR || rc == -ELOOP) {
			/* ls of a file lists the file itself (not following a symlink). */
			j->phase = 3;
			rc = step_send(g, j, k, build_path(k, FS_NOFOLLOW, 0, j->path), FAB_OP_FS_STAT, now);
			return rc ? fail_errno(g, j, rc) : NULL;
		}
		if (rc)
			return fail_errno(g, j, rc);
		if (k->rep_len != sizeof(struct fs_attr))
			return fail_msg("the storage node sent a bad reply");
		j->h.ino = ((struct fs_attr *)k->rep)->ino;
		j->h.gen = ((struct fs_attr *)k->rep)->gen;
		j->phase = 1;
		rc = ls_getdents(g, j, k, now);
		return rc ? fail_errno(g, j, rc) : NULL;
	case 1:                                   /* getdents */
		k->state = CALL_FREE;
		if (rc)
			return fail_errno(g, j, rc);
		rc = ls_take(j, k);
		if (rc < 0)
			return fail_msg("the storage node sent a bad directory listing");
		if (!rc) {
			rc = ls_getdents(g, j, k, now);
			return rc ? fail_errno(g, j, rc) : NULL;
		}
		if (!j->longfmt)
			return ls_reply(j, 1);
		j->phase = 2;
		return NULL;                      /* ls_fill starts the stats */
	case 2: {                                 /* ls -l: stat or readlink of one entry */
		size_t idx = (size_t)(k->tag & ~(1ull << 63));
		json_t *e = json_array_get(j->entries, idx);

		k->state = CALL_FREE;
		j->pending--;
		if (k->tag >> 63) {
			if (rc == 0)
				json_object_set_new(e, "target", json_stringn_nocheck((const char *)k->rep,
										   k->rep_len));
			return NULL;
		}
		if (rc == -ENOENT)
			return NULL;              /* removed meanwhile: listed without attributes */
		if (rc)
			return fail_errno(g, j, rc);
		if (k->rep_len != sizeof(struct fs_attr))
			return fail_msg("the storage node sent a bad reply");
		attr_into(e, (struct fs_attr *)k->rep);
		if (S_ISLNK(((struct fs_attr *)k->rep)->mode)) {
			rc = ls_readlink(g, j, k, idx, now);
			if (rc && rc != -EBUSY)
				return fail_errno(g, j, rc);
		}
		return NULL;
	}
	case 3: {                                 /* the stat of a non-directory */
		json_t *e;

		k->state = CALL_FREE;
		if (rc)
			return fail_errno(g, j, rc);
		if (k->rep_len != sizeof(struct fs_attr))
			return fail_msg("the storage node sent a bad reply");
		e = json_pack("{s:s}", "name", j->path);
		attr_into(e, (struct fs_attr *)k->rep);
		json_array_append_new(j->entries, e);
		if (S_ISLNK(((struct fs_attr *)k->rep)->mode)) {
			j->phase = 4;
			rc = step_send(g, j, k, build_path(k, 0, 0, j->path), FAB_OP_FS_READLINK, now);
			return rc ? fail_errno(g, j, rc) : NULL;
		}
		return ls_reply(j, 0);
	}
	case 4:                                   /* its readlink */
		k->state = CALL_FREE;
		if (rc == 0)
			json_object_set_new(json_array_get(j->entries, 0), "target",
					    json_stringn_nocheck((const char *)k->rep, k->rep_len));
		return ls_reply(j, 0);
	}
	return fail_msg("internal error in ls");
}

/* ---- put ---------------------------------------------------------------------- */

static int put_fill(struct gmmd *g, struct fs_job *j, uint64_t now)
{
	struct fs_call *k;

	while (!j->err && j->issued < j->size && may_send(j) && (k = free_call(j))) {
		struct fs_io_req *rq = (struct fs_io_req *)k->req;
		uint32_t n = j->size - j->issued < FS_IO_MAX ? (uint32_t)(j->size - j->issued) : FS_IO_MAX;
		const void *in;
		size_t have = control_input(j->c, &in);
		int rc;

		if (j->verb == V_PWRITE)
			n = (uint32_t)j->end;     /* one write per offset */
		if (have < n)
			return 0;                 /* wait for the client's bytes */
		memset(rq, 0, sizeof(*rq));
		rq->h = j->h;
		rq->off = j->verb == V_PWRITE ? j->offs[j->seq_next] : j->issued;
		rq->len = n;
		memcpy(rq + 1, in, n);
		k->len = (uint32_t)sizeof(*rq) + n;
		k->want = n;
		k->tag = j->issued;
		rc = call_send(g, j, k, FAB_OP_FS_WRITE, now);
		if (rc == -EBUSY)
			return 0;
		control_consume(j->c, n);
		j->taken += n;
		j->issued += n;
		j->seq_next++;
		fsn.bytes_in += n;
	}
	return 0;
}

static int put_fsync(struct gmmd *g, struct fs_job *j, struct fs_call *k, uint64_t now)
{
	memcpy(k->req, &j->h, sizeof(j->h));
	k->len = sizeof(j->h);
	j->phase = 2;
	return call_send(g, j, k, FAB_OP_FS_FSYNC, now);
}

/* Put failed: tell the client now and drop the rest of its bytes as they come. */
static json_t *put_fail(struct gmmd *g, struct fs_job *j, int rc)
{
	for (unsigned i = 0; i < j->ncall; i++)
		call_end(g, j, &j->call[i]);
	j->err = rc ? rc : -EIO;
	return fail_errno(g, j, j->err);
}

static json_t *put_done(struct gmmd *g, struct fs_job *j, struct fs_call *k, uint64_t now)
{
	int rc = k->status;

	k->state = CALL_FREE;
	switch (j->phase) {
	case 0:                                   /* open */
		if (rc)
			return put_fail(g, j, rc);
		if (k->rep_len != sizeof(struct fs_attr))
			return put_fail(g, j, -EPROTO);
		j->h.ino = ((struct fs_attr *)k->rep)->ino;
		j->h.gen = ((struct fs_attr *)k->rep)->gen;
		j->phase = 1;
		if (j->size == 0 && (rc = put_fsync(g, j, k, now)))
			return put_fail(g, j, rc);
		return NULL;
	case 1: {                                 /* a write */
		const struct fs_write_reply *wr = (const struct fs_write_reply *)k->rep;

		if (rc)
			return put_fail(g, j, rc);
		if (k->rep_len != sizeof(*wr))
			return put_fail(g, j, -EPROTO);
		if (wr->written != k->want)
			return put_fail(g, j, -ENOSPC);   /* a short write: the disk is full */
		j->acked += wr->written;
		if (j->acked == j->size && (rc = put_fsync(g, j, k, now)))
			return put_fail(g, j, rc);
		return NULL;
	}
	case 2:                                   /* fsync: only now is the data safe */
		if (rc)
			return put_fail(g, j, rc);
		j->phase = 3;
		if (j->verb == V_PWRITE)
			return json_pack("{s:b, s:I, s:I}", "ok", 1, "bytes", (json_int_t)j->size,
					 "writes", (json_int_t)j->noffs);
		return json_pack("{s:b, s:I}", "ok", 1, "bytes", (json_int_t)j->size);
	}
	return put_fail(g, j, -EIO);
}

/* After the reply: swallow what is left of the client's bytes. 1 when all are in. */
static int put_drain(struct fs_job *j)
{
	const void *in;
	size_t have = control_input(j->c, &in);
	uint64_t left = j->size - j->taken;
	size_t n = have < left ? have : (size_t)left;

	control_consume(j->c, n);
	j->taken += n;
	return j->taken == j->size || control_input_eof(j->c);
}

/* ---- get and pread -------------------------------------------------------------- */

/* The n-th read of the job: offset and length; 0 when there is none. */
static int get_segment(const struct fs_job *j, uint64_t seq, uint64_t *off, uint32_t *len)
{
	if (j->verb == V_PREAD) {
		if (seq >= j->noffs)
			return 0;
		*off = j->offs[seq];
		if (*off >= j->size)
			*len = 0;                 /* past the end: an empty read */
		else
			*len = (uint32_t)(j->size - *off < j->end ? j->size - *off : j->end);
		return 1;
	}
	*off = j->off + seq * FS_IO_MAX;
	if (*off >= j->end)
		return 0;
	*len = j->end - *off < FS_IO_MAX ? (uint32_t)(j->end - *off) : FS_IO_MAX;
	return 1;
}

static int get_fill(struct gmmd *g, struct fs_job *j, uint64_t now)
{
	struct fs_call *k;
	uint64_t off;
	uint32_t len;

	while (control_unsent(j->c) < FS_OUT_AHEAD && get_segment(j, j->seq_next, &off, &len) &&
	       may_send(j) && (k = free_call(j))) {
		struct fs_io_req *rq = (struct fs_io_req *)k->req;

		k->tag = j->seq_next;
		k->want = len;
		if (len == 0) {                   /* a pread past the end: nothing to ask */
			k->state = CALL_READY;
			k->status = 0;
			k->rep_len = 0;
			j->seq_next++;
			continue;
		}
		memset(rq, 0, sizeof(*rq));
		rq->h = j->h;
		rq->off = off;
		rq->len = len;
		k->len = sizeof(*rq);
		if (call_send(g, j, k, FAB_OP_FS_READ, now))
			return 0;
		j->seq_next++;
	}
	return 0;
}

/* Hand finished reads to the client in order. -1 if one failed (the stream is cut). */
static int get_emit(struct fs_job *j)
{
	for (;;) {
		struct fs_call *k = NULL;

		for (unsigned i = 0; i < j->ncall && !k; i++)
			if (j->call[i].state == CALL_READY && j->call[i].tag == j->seq_emit)
				k = &j->call[i];
		if (!k)
			return 0;
		if (k->status || k->rep_len != k->want) {
			gmm_log("fs-get %s from node %u: read %llu failed (%s); cutting the stream",
				j->path, j->node, (unsigned long long)k->tag,
				k->status ? strerror(-k->status) : "short read");
			return -1;
		}
		if (k->rep_len && control_send_raw(j->c, k->rep, k->rep_len) < 0)
			return -1;
		fsn.bytes_out += k->rep_len;
		k->state = CALL_FREE;
		j->seq_emit++;
	}
}

static uint64_t pread_total(const struct fs_job *j)
{
	uint64_t total = 0, off;
	uint32_t len;

	for (uint64_t s = 0; get_segment(j, s, &off, &len); s++)
		total += len;
	return total;
}

static json_t *get_open_done(struct gmmd *g, struct fs_job *j, struct fs_call *k)
{
	const struct fs_attr *a = (const struct fs_attr *)k->rep;
	json_t *r;

	k->state = CALL_FREE;
	if (k->status)
		return fail_errno(g, j, k->status);
	if (k->rep_len != sizeof(*a))
		return fail_msg("the storage node sent a bad reply");
	if (S_ISDIR(a->mode))
		return fail_errno(g, j, -EISDIR);
	j->h.ino = a->ino;
	j->h.gen = a->gen;
	j->size = a->size;
	if (j->verb == V_GET) {
		if (j->off > a->size)
			j->off = a->size;
		if (j->end == UINT64_MAX || j->end > a->size)
			j->end = a->size;
		r = json_pack("{s:b, s:I}", "ok", 1, "size", (json_int_t)(j->end - j->off));
	} else {
		r = json_pack("{s:b, s:I, s:I}", "ok", 1, "size", (json_int_t)pread_total(j),
			      "reads", (json_int_t)j->noffs);
	}
	j->phase = 1;
	return r;
}

static int get_finished(struct fs_job *j)
{
	uint64_t off;
	uint32_t len;

	return j->phase == 1 && !get_segment(j, j->seq_emit, &off, &len);
}

/* ---- starting a job -------------------------------------------------------------- */

int fs_is_cmd(const char *cmd)
{
	return !strcmp(cmd, "fs") || !strcmp(cmd, "fs-put") || !strcmp(cmd, "fs-get") ||
	       !strcmp(cmd, "fs-pread") || !strcmp(cmd, "fs-pwrite");
}

static const char *check_path(json_t *req, const char *key, const char *cmd, int absolute,
			      char *err, size_t errlen)
{
	const char *p = json_string_value(json_object_get(req, key));

	if (!p) {
		snprintf(err, errlen, "%s: \"%s\" must be a string", cmd, key);
		return NULL;
	}
	if (!*p || strlen(p) >= FS_PATH_MAX) {
		snprintf(err, errlen, "%s: \"%s\" must be 1..%u bytes", cmd, key, FS_PATH_MAX - 1);
		return NULL;
	}
	if (absolute && p[0] != '/') {
		snprintf(err, errlen, "%s: \"%s\" must be an absolute path", cmd, key);
		return NULL;
	}
	return p;
}

/* A non-negative integer member: dflt if absent, -1 if bad. */
static long long nonneg(json_t *req, const char *key, long long dflt)
{
	json_t *v = json_object_get(req, key);

	if (!v)
		return dflt;
	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

static enum fs_verb verb_of(const char *cmd, json_t *req, char *err, size_t errlen, int *ok)
{
	const char *op;

	*ok = 1;
	if (!strcmp(cmd, "fs-put"))
		return V_PUT;
	if (!strcmp(cmd, "fs-get"))
		return V_GET;
	if (!strcmp(cmd, "fs-pread"))
		return V_PREAD;
	if (!strcmp(cmd, "fs-pwrite"))
		return V_PWRITE;
	op = json_string_value(json_object_get(req, "op"));
	for (size_t i = 0; op && i < sizeof(fs_ops) / sizeof(fs_ops[0]); i++)
		if (!strcmp(op, fs_ops[i].name))
			return fs_ops[i].verb;
	snprintf(err, errlen, "fs: unknown op '%.32s' (stat, lstat, ls, readlink, mkdir, rm, rmdir, "
		 "mv, symlink, statfs, truncate, touch, sync)", op ? op : "");
	*ok = 0;
	return V_STAT;
}

/* Fill the job from the request; 0, or -1 with err set. */
static int parse_job(struct fs_job *j, const char *cmd, json_t *req, char *err, size_t errlen)
{
	const char *p = NULL, *p2 = NULL;
	long long v;

	if (j->verb != V_STATFS && j->verb != V_SYNC && !(p = check_path(req, "path", cmd, 1, err, errlen)))
		return -1;
	switch (j->verb) {
	case V_MV:
		if (!(p2 = check_path(req, "to", cmd, 1, err, errlen)))
			return -1;
		break;
	case V_SYMLINK:
		if (!(p2 = check_path(req, "target", cmd, 0, err, errlen)))
			return -1;
		break;
	case V_TOUCH:
		v = nonneg(req, "mode", FS_DEFAULT_MODE);
		if (v < 0 || v > 07777)
			goto bad_mode;
		j->mode = (uint32_t)v;
		break;
	case V_MKDIR:
		j->parents = json_is_true(json_object_get(req, "parents"));
		v = nonneg(req, "mode", FS_DEFAULT_DIR_MODE);
		if (v < 0 || v > 07777)
			goto bad_mode;
		j->mode = (uint32_t)v;
		break;
	case V_LS:
		j->longfmt = json_is_true(json_object_get(req, "long"));
		break;
	case V_TRUNCATE:
		if ((v = nonneg(req, "size", -1)) < 0) {
			snprintf(err, errlen, "%s: \"size\" must be a non-negative integer", cmd);
			return -1;
		}
		j->size = (uint64_t)v;
		break;
	case V_PUT:
		if ((v = nonneg(req, "size", -1)) < 0) {
			snprintf(err, errlen, "fs-put: \"size\" must be a non-negative integer");
			return -1;
		}
		j->size = (uint64_t)v;
		v = nonneg(req, "mode", FS_DEFAULT_MODE);
		if (v < 0 || v > 07777)
			goto bad_mode;
		j->mode = (uint32_t)v;
		break;
	case V_GET:
		j->off = (uint64_t)nonneg(req, "offset", 0);
		v = nonneg(req, "len", -2);
		if ((long long)j->off < 0 || v == -1) {
			snprintf(err, errlen, "fs-get: \"offset\" and \"len\" must be non-negative integers");
			return -1;
		}
		j->end = v == -2 || j->off + (uint64_t)v < j->off ? UINT64_MAX : j->off + (uint64_t)v;
		break;
	case V_PREAD:
	case V_PWRITE: {
		json_t *arr = json_object_get(req, "offsets"), *x;
		size_t i;

		v = nonneg(req, "len", -1);
		if (v < 1 || v > FS_IO_MAX) {
			snprintf(err, errlen, "%s: \"len\" must be 1..%u", cmd, FS_IO_MAX);
			return -1;
		}
		j->end = (uint64_t)v;
		if (!arr && json_object_get(req, "offset"))
			arr = json_pack("[O]", json_object_get(req, "offset"));
		else
			json_incref(arr);
		if (!json_is_array(arr) || json_array_size(arr) < 1 || json_array_size(arr) > FS_PREAD_MAX) {
			json_decref(arr);
			snprintf(err, errlen, "%s: \"offsets\" must be an array of 1..%u offsets",
				 cmd, FS_PREAD_MAX);
			return -1;
		}
		j->noffs = json_array_size(arr);
		j->offs = malloc(j->noffs * sizeof(uint64_t));
		json_array_foreach(arr, i, x) {
			if (!j->offs || !json_is_integer(x) || json_integer_value(x) < 0) {
				json_decref(arr);
				snprintf(err, errlen, "%s: offsets must be non-negative integers", cmd);
				return -1;
			}
			j->offs[i] = (uint64_t)json_integer_value(x);
		}
		json_decref(arr);
		if (j->verb == V_PWRITE)
			j->size = j->noffs * j->end;      /* raw bytes that follow, len per offset */
		break;
	}
	default:
		break;
	}
	if ((p && !(j->path = strdup(p))) || (p2 && !(j->path2 = strdup(p2)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
bad_mode:
	snprintf(err, errlen, "%s: \"mode\" must be an integer 0..07777", cmd);
	return -1;
}

json_t *fs_start(struct gmmd *g, struct ctl_client *c, const char *cmd, json_t *req,
		 struct fs_job **out)
{
	struct fs_job *j;
	char err[256];
	int node, ok, rc;
	uint64_t now = gmm_now_ns();

	*out = NULL;
	rpc_setup(g);
	j = calloc(1, sizeof(*j));
	if (!j)
		return fail_msg("out of memory");
	j->c = c;
	j->started_ns = now;
	j->verb = verb_of(cmd, req, err, sizeof(err), &ok);
	if (!ok || parse_job(j, cmd, req, err, sizeof(err)) < 0 ||
	    (node = pick_node(g, req, err, sizeof(err))) < 0) {
		if ((j->verb == V_PUT && nonneg(req, "size", -1) >= 0) || (j->verb == V_PWRITE && j->size)) {
			/* The client sends its bytes anyway: drop them before the next request. */
			if (j->verb == V_PUT)
				j->size = (uint64_t)nonneg(req, "size", -1);
			j->kind = FSJ_PUT;
			j->done = 1;
			control_reply(c, fail_msg("%s", err));
			*out = j;
			return NULL;
		}
		fs_free(g, j);
		return fail_msg("%s", err);
	}
	j->node = (uint16_t)node;
	j->boot = g->node[node].row.boot_nonce;
	j->kind = j->verb == V_PUT || j->verb == V_PWRITE ? FSJ_PUT :
		  j->verb == V_GET || j->verb == V_PREAD ? FSJ_GET :
		  j->verb == V_LS ? FSJ_LS : FSJ_SIMPLE;
	j->ncall = j->kind == FSJ_SIMPLE ? 1 : FS_WINDOW;
	j->call = calloc(j->ncall, sizeof(struct fs_call));
	if (j->kind == FSJ_LS)
		j->entries = json_array();
	if (!j->call || (j->kind == FSJ_LS && !j->entries)) {
		fs_free(g, j);
		return fail_msg("out of memory");
	}
	node_jobs[j->node]++;
	j->counted = 1;
	fsn.jobs++;
	fsn.active++;
	switch (j->kind) {
	case FSJ_SIMPLE:
		rc = start_simple(g, j, now);
		break;
	case FSJ_LS:
		rc = build_path(&j->call[0], FS_O_DIRECTORY, 0, j->path);
		if (!rc)
			rc = call_send(g, j, &j->call[0], FAB_OP_FS_OPEN, now);
		break;
	case FSJ_PUT:
		/* put replaces the file; pwrite writes into an existing one */
		rc = build_path(&j->call[0], j->verb == V_PWRITE ? FS_O_WRONLY :
				FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, j->mode, j->path);
		if (!rc)
			rc = call_send(g, j, &j->call[0], FAB_OP_FS_OPEN, now);
		break;
	default:
		rc = build_path(&j->call[0], 0, 0, j->path);
		if (!rc)
			rc = call_send(g, j, &j->call[0], FAB_OP_FS_OPEN, now);
		break;
	}
	if (rc == -EBUSY && j->kind != FSJ_PUT) {
		fs_free(g, j);
		return fail_msg("gmmd has too many file requests in flight; try again");
	}
	if (rc) {
		json_t *r = fail_errno(g, j, rc);

		if (j->kind == FSJ_PUT) {
			j->err = rc;
			j->done = 1;
			control_reply(c, r);          /* and drain the data below */
			*out = j;
			return NULL;
		}
		fs_free(g, j);
		return r;
	}
	*out = j;
	return NULL;
}

/* ---- advancing ------------------------------------------------------------------ */

/* Poll every waiting call; hand finished ones to the job. The reply when the job ends. */
static json_t *advance_calls(struct gmmd *g, struct fs_job *j, uint64_t now)
{
	json_t *r = NULL;

	for (unsigned i = 0; i < j->ncall && !r; i++) {
		struct fs_call *k = &j->call[i];

		if (!call_poll(g, j, k, now))
			continue;
		switch (j->kind) {
		case FSJ_SIMPLE:
			r = simple_done(g, j, k, now);
			break;
		case FSJ_LS:
			r = ls_done(g, j, k, now);
			break;
		case FSJ_PUT:
			r = put_done(g, j, k, now);
			break;
		case FSJ_GET:
			if (j->phase == 0) {
				r = get_open_done(g, j, k);
				if (j->phase == 1) {      /* the header line; the data follows */
					control_reply(j->c, r);
					r = NULL;
				}
			}
			break;                    /* reads stay READY until emitted */
		}
	}
	return r;
}

int fs_advance(struct gmmd *g, struct fs_job *j, uint64_t now)
{
	const void *in;
	json_t *r;

	if (j->done)
		return j->kind != FSJ_PUT || put_drain(j);
	/* A storage node that died will not answer: fail now rather than after all retries. */
	j->node_down = !is_storage_up(&g->node[j->node]) || g->node[j->node].row.boot_nonce != j->boot;
	r = advance_calls(g, j, now);
	if (!r) {
		int rc = 0;

		if (j->kind == FSJ_PUT && j->phase == 1)
			rc = put_fill(g, j, now);
		else if (j->kind == FSJ_LS && j->phase == 2) {
			rc = ls_fill(g, j, now);
			if (!rc && j->next_entry == json_array_size(j->entries) && !j->pending)
				r = ls_reply(j, 1);
		} else if (j->kind == FSJ_GET && j->phase == 1) {
			if (get_emit(j) < 0) {
				fsn.cut++;
				control_abort(j->c);
				return 1;
			}
			if (get_finished(j))
				return 1;
			rc = get_fill(g, j, now);
		}
		if (rc)
			r = fail_errno(g, j, rc);
		/* A put whose client is gone before sending everything. */
		if (!r && j->kind == FSJ_PUT && j->phase <= 1 && control_input_eof(j->c) &&
		    control_input(j->c, &in) < j->size - j->taken) {
			gmm_log("fs-put %s: the client left after %llu of %llu bytes", j->path,
				(unsigned long long)j->taken, (unsigned long long)j->size);
			r = put_fail(g, j, -EPIPE);
		}
	}
	if (!r)
		return 0;
	if (!json_is_true(json_object_get(r, "ok")))
		fsn.errors++;
	control_reply(j->c, r);
	if (j->kind == FSJ_PUT) {
		for (unsigned i = 0; i < j->ncall; i++)
			call_end(g, j, &j->call[i]);
		j->done = 1;
		return put_drain(j);
	}
	return 1;
}

int fs_wants_input(const struct fs_job *j)
{
	return j->kind == FSJ_PUT && j->taken < j->size;
}

uint64_t fs_deadline(const struct gmmd *g, const struct fs_job *j)
{
	uint64_t first = 0;

	for (unsigned i = 0; i < j->ncall; i++) {
		uint64_t d;

		if (j->call[i].state != CALL_WAITING)
			continue;
		d = rpc_deadline(&g->rpc_fs, j->call[i].req_id);
		if (d && (!first || d < first))
			first = d;
	}
	return first;
}

void fs_free(struct gmmd *g, struct fs_job *j)
{
	if (!j)
		return;
	for (unsigned i = 0; j->call && i < j->ncall; i++)
		call_end(g, j, &j->call[i]);
	if (j->counted && node_jobs[j->node])
		node_jobs[j->node]--;
	if (j->counted && fsn.active)
		fsn.active--;
	json_decref(j->entries);
	free(j->call);
	free(j->offs);
	free(j->path);
	free(j->path2);
	free(j);
}

json_t *fs_status_json(struct gmmd *g)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:I}",
			 "jobs", (json_int_t)fsn.jobs, "active", (json_int_t)fsn.active,
			 "errors", (json_int_t)fsn.errors, "bytes_in", (json_int_t)fsn.bytes_in,
			 "bytes_out", (json_int_t)fsn.bytes_out, "streams_cut", (json_int_t)fsn.cut,
			 "rpcs_in_flight", rpc_ready ? (int)rpc_in_flight(&g->rpc_fs) : 0,
			 "rpc_calls", (json_int_t)g->rpc_fs.n.calls,
			 "rpc_retries", (json_int_t)g->rpc_fs.n.retries,
			 "rpc_timeouts", (json_int_t)g->rpc_fs.n.timeouts);
}
