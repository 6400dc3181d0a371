/*
 * gmm/vnodes.c - `tess run` and `tess ps`: vNodes on process nodes.
 *
 * run: place the vNode in one transaction (dbstate_vnode_create), send
 * VN_START, answer the client with one JSON line, then relay: the program's
 * VN_OUTPUT requests become frames to the client, the client's stdin and
 * signal frames become VN_STDIN / VN_SIGNAL calls, and VN_EXIT ends the
 * stream with an exit frame (docs/interfaces.md, "Running programs"). A job
 * outlives its client: when the client goes, the vNode gets SIGKILL and the
 * job waits for its exit to record it. If the process node dies the client
 * gets an error frame and the vNode is marked failed.
 *
 * ps: VN_PS to every process node that is up, at once; one reply line.
 *
 * Nothing here blocks the event loop: output is buffered up to VN_OUT_MAX
 * per client, after which VN_OUTPUT is answered -EAGAIN (the process node
 * sends it again later), and every call advances on replies and deadlines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <jansson.h>
#include "gmmd.h"

#define MS 1000000ull
#define VN_OUT_MAX        (16u << 20)  /* client's unsent bytes before VN_OUTPUT gets -EAGAIN */
#define VN_PRE_MAX        (1u << 20)   /* output that arrives before the START reply */
#define VN_REORDER        8            /* output chunks held while an earlier one is missing */
#define VN_REORDER_SPAN   64           /* ... at most this far ahead */
#define VN_GAP_MS         3000         /* a missing chunk given up for lost after this */
#define VN_IN_BUF         (128u << 10) /* client stdin read ahead of the process node */
#define VN_FRAME_MAX      (64u << 10)  /* largest client frame payload */
#define VN_SIGQ           8
#define VN_KILL_WAIT_MS   15000        /* after SIGKILL, wait this long for VN_EXIT */
#define VN_BUSY_RETRY_MS  10           /* RPC table full: try again */
#define VN_IO_DATA_MAX    (FAB_MAX_PAYLOAD - (uint32_t)sizeof(struct vn_io))
#define VN_START_TTY      0x1u         /* vn_start_req.flags: the client's stdin is a terminal */
#define VN_DEFAULT_PATH   "PATH=/bin:/usr/bin:/sbin:/usr/sbin"

static const struct rpc_policy start_policy = {   /* loading a program takes a while */
	.timeout_ns = 2000 * MS, .max_timeout_ns = 8000 * MS, .max_tries = 4,
};
static const struct rpc_policy io_policy = {
	.timeout_ns = 300 * MS, .max_timeout_ns = 2400 * MS, .max_tries = 5,
};

enum vn_kind { VJ_RUN, VJ_PS };

/* One RPC to a process node: the request kept for resends, and its reply. */
struct vn_call {
	uint64_t req_id;              /* 0 = not in flight */
	uint16_t node, op;
	uint32_t len, rep_len;
	int32_t  status;
	int      done;                /* status and reply are valid */
	uint8_t  req[FAB_MAX_PAYLOAD];
	uint8_t  rep[FAB_MAX_PAYLOAD];
};

struct held {                         /* output that came ahead of its turn */
	uint64_t seq;
	uint32_t len;
	uint8_t *data;
};

struct vn_job {
	struct vn_job *next;
	enum vn_kind kind;
	struct ctl_client *c;         /* NULL once the client has gone */
	uint64_t busy_until;          /* RPC table was full: retry then */
	/* run */
	uint32_t vnode, pid;
	uint16_t pnode, mnode, snode;
	uint64_t pnode_nonce;         /* a new boot of the node loses the vNode too */
	char     path[256];           /* argv[0], for messages */
	char     comm[16];
	int      started;             /* START answered 0 */
	int      start_over;          /* START answered (either way) or gave up */
	int      header_sent;
	int      recorded_running;
	int      exit_seen, exit_sent;
	int      ended;               /* nothing more for the client; job can go */
	int      recorded_end;        /* the row says exited or failed */
	int      kill_sent;
	uint64_t kill_deadline;
	struct vn_call start, in, sig;
	/* stdin: from the client's frames, to VN_STDIN calls of at most VN_IO_DATA_MAX */
	uint8_t *in_buf;
	size_t   in_len;
	int      in_eof;              /* client said end of input */
	int      in_eof_sent;
	uint64_t in_seq;
	uint32_t in_inflight;         /* bytes in the call in flight */
	uint32_t sigq[VN_SIGQ];
	unsigned nsig;
	/* output */
	uint64_t out_next[3];
	struct held held[VN_REORDER];
	uint64_t gap_since;           /* when the oldest held chunk came (0 = none held) */
	uint8_t *pre;                 /* frames before the header line */
	size_t   pre_len;
	/* exit */
	uint8_t  exit_raw[FAB_MAX_PAYLOAD];
	uint32_t exit_len;
	/* ps */
	struct vn_call *ps;
	unsigned nps;
};

struct vn_counters {
	uint64_t runs, started, start_failed, exited, failed, killed;
	uint64_t out_bytes, out_chunks, out_dups, out_again, out_orphan, out_lost, in_bytes, signals;
	uint64_t ps;
};

static struct vn_job *jobs;
static struct rpc_table rpc_vn;
static struct vn_counters vc;

/* ---- small helpers ------------------------------------------------------------------ */

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

static int node_up(const struct gmmd *g, uint16_t id)
{
	const struct member *m = &g->node[id];

	return m->known && strcmp(m->row.state, "up") == 0;
}

/* The exit status a shell would give for an exec error; 125: not the program's fault. */
static int exec_exit_code(int err)
{
	switch (err) {
	case ENOENT:
		return 127;
	case ENOEXEC: case EACCES: case EPERM: case ENOTDIR: case EISDIR: case ELOOP:
	case ENAMETOOLONG: case ETXTBSY: case E2BIG: case ELIBBAD:
		return 126;
	default:
		return 125;
	}
}

/* Shell status of a Linux wait status: the exit code, or 128 + the signal. */
static int shell_status(int ws)
{
	return (ws & 0x7f) ? 128 + (ws & 0x7f) : (ws >> 8) & 0xff;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A client frame: kind, u32 length (little-endian), payload. */
static void frame_to(struct ctl_client *c, char kind, const void *p, uint32_t n)
{
	uint8_t h[5];

	h[0] = (uint8_t)kind;
	put_u32(h + 1, n);
	if (control_send_raw(c, h, sizeof(h)) == 0 && n)
		control_send_raw(c, p, n);
}

static void json_frame_to(struct ctl_client *c, char kind, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (s)
		frame_to(c, kind, s, (uint32_t)strlen(s));
	free(s);
}

/* ---- calls -------------------------------------------------------------------------- */

/* Put call k (req and len filled in) on the wire: 0, or -EBUSY with the job told to retry. */
static int call_send(struct gmmd *g, struct vn_job *j, struct vn_call *k, uint16_t node,
		     uint16_t op, const struct rpc_policy *pol, uint64_t now)
{
	k->req_id = rpc_begin_policy(&rpc_vn, node, op, k->rep, sizeof(k->rep), now, pol);
	if (!k->req_id) {
		j->busy_until = now + VN_BUSY_RETRY_MS * MS;
		return -EBUSY;
	}
	k->node = node;
	k->op = op;
	k->done = 0;
	endpoint_send(g, g->node[node].mac, FAB_T_REQ, op, node, 0, k->req_id, k->req, k->len);
	return 0;
}

static void call_end(struct vn_call *k)
{
	if (k->req_id)
		rpc_end(&rpc_vn, k->req_id);
	k->req_id = 0;
}

/* 1 when call k has finished (k->status, k->rep_len set); the node being down ends it. */
static int call_poll(struct gmmd *g, struct vn_call *k, uint64_t now)
{
	uint32_t len = 0;

	if (!k->req_id)
		return 0;
	if (!node_up(g, k->node)) {
		call_end(k);
		k->status = -EHOSTDOWN;
		k->rep_len = 0;
		k->done = 1;
		return 1;
	}
	switch (rpc_poll(&rpc_vn, k->req_id, now)) {
	case RPC_POLL_WAIT:
		return 0;
	case RPC_POLL_RESEND:
		endpoint_send(g, g->node[k->node].mac, FAB_T_REQ, k->op, k->node, 0, k->req_id,
			      k->req, k->len);
		return 0;
	case RPC_POLL_DONE:
	case RPC_POLL_TIMEDOUT:
		k->status = rpc_result(&rpc_vn, k->req_id, &len);
		k->rep_len = len;
		break;
	case RPC_POLL_INVALID:
		k->status = -EIO;
		k->rep_len = 0;
		break;
	}
	call_end(k);
	k->done = 1;
	return 1;
}

static uint64_t call_deadline(const struct vn_call *k)
{
	return k->req_id ? rpc_deadline(&rpc_vn, k->req_id) : 0;
}

/* ---- jobs --------------------------------------------------------------------------- */

static struct vn_job *job_new(enum vn_kind kind, struct ctl_client *c)
{
	struct vn_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kind = kind;
	j->c = c;
	j->next = jobs;
	jobs = j;
	return j;
}

static void job_free(struct vn_job *j)
{
	struct vn_job **pp;

	for (pp = &jobs; *pp && *pp != j; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = j->next;
	call_end(&j->start);
	call_end(&j->in);
	call_end(&j->sig);
	for (unsigned i = 0; i < j->nps; i++)
		call_end(&j->ps[i]);
	for (unsigned i = 0; i < VN_REORDER; i++)
		free(j->held[i].data);
	free(j->ps);
	free(j->in_buf);
	free(j->pre);
	free(j);
}

static struct vn_job *job_of_vnode(uint32_t vnode)
{
	for (struct vn_job *j = jobs; j; j = j->next)
		if (j->kind == VJ_RUN && j->vnode == vnode)
			return j;
	return NULL;
}

/* The job is finished with its client (reply or frames queued). */
static void release_client(struct gmmd *g, struct vn_job *j, int close)
{
	struct ctl_client *c = j->c;

	j->c = NULL;
	if (c)
		control_vn_done(g, c, close);
}

/* ---- run: the vNode's row ------------------------------------------------------------ */

static void record_failed(struct gmmd *g, struct vn_job *j, const char *reason, int err)
{
	json_t *d;
	char *text;
	int rc;

	if (j->recorded_end)
		return;
	j->recorded_end = 1;
	d = json_pack("{s:I, s:s}", "vnode", (json_int_t)j->vnode, "reason", reason);
	if (err)
		json_object_set_new(d, "errno", json_integer(err));
	text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(d);
	rc = dbstate_vnode_failed(g->db, j->vnode, text ? text : "{}");
	if (rc < 0 && rc != -ENOENT) {
		g->n.db_errors++;
		gmm_log("vnode %u: cannot record its failure: %s", j->vnode, dbstate_errmsg(g->db));
	}
	free(text);
	vc.failed++;
	gmm_log("vnode %u (%s) on node %u failed: %s", j->vnode, j->path, j->pnode, reason);
}

static void record_running(struct gmmd *g, struct vn_job *j)
{
	if (j->recorded_running)
		return;
	j->recorded_running = 1;
	if (j->recorded_end)
		return;
	if (dbstate_vnode_running(g->db, j->vnode, j->pid, j->comm) < 0) {
		g->n.db_errors++;
		gmm_log("vnode %u: cannot record it running: %s", j->vnode, dbstate_errmsg(g->db));
	}
}

/* The exit record as the client and the event log see it. */
static json_t *exit_json(const uint8_t *raw, uint32_t len)
{
	const struct vn_exit *e = (const struct vn_exit *)raw;
	const struct vn_excache_stats *x = &e->excache;
	json_t *nosys = json_array(), *hist = json_array(), *o;
	uint32_t pairs = (len - (uint32_t)sizeof(*e)) / 8;

	if (pairs > 32)
		pairs = 32;
	for (uint32_t i = 0; i < pairs; i++) {
		const uint8_t *p = raw + sizeof(*e) + 8 * i;

		json_array_append_new(nosys, json_pack("[I, I]", (json_int_t)get_u32(p),
						       (json_int_t)get_u32(p + 4)));
	}
	for (int i = 0; i < 16; i++)
		json_array_append_new(hist, json_integer((json_int_t)x->fetch_hist[i]));
	o = json_pack("{s:i, s:i, s:I, s:I, s:o}", "wait_status", e->wait_status,
		      "status", shell_status(e->wait_status), "runtime_ns", (json_int_t)e->runtime_ns,
		      "nosys_total", (json_int_t)e->nosys_count, "nosys", nosys);
	json_object_set_new(o, "excache", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I}",
		"lines", (json_int_t)x->lines, "assoc", (json_int_t)x->assoc,
		"misses", (json_int_t)x->misses, "zero_fills", (json_int_t)x->zero_fills,
		"evictions", (json_int_t)x->evictions, "writebacks", (json_int_t)x->writebacks,
		"fetch_ns_total", (json_int_t)x->fetch_ns_total, "fetch_hist", hist,
		"pool_reads", (json_int_t)x->pool_reads, "pool_writes", (json_int_t)x->pool_writes,
		"pool_syncs", (json_int_t)x->pool_syncs));
	return o;
}

static void record_exit(struct gmmd *g, uint32_t vnode, const uint8_t *raw, uint32_t len)
{
	const struct vn_exit *e = (const struct vn_exit *)raw;
	json_t *d = json_pack("{s:I}", "vnode", (json_int_t)vnode), *x = exit_json(raw, len);
	char *text;
	int rc;

	json_object_update(d, x);
	json_decref(x);
	text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(d);
	rc = dbstate_vnode_exited(g->db, vnode, e->wait_status, e->excache.lines * 4096ull,
				  text ? text : "{}");
	free(text);
	if (rc < 0 && rc != -ENOENT) {
		g->n.db_errors++;
		gmm_log("vnode %u: cannot record its exit: %s", vnode, dbstate_errmsg(g->db));
	}
}

/* ---- run: starting ------------------------------------------------------------------- */

/* "VAR=..." of s: the length of VAR, 0 if s has no '=' or an empty name. */
static size_t env_name_len(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq && eq != s ? (size_t)(eq - s) : 0;
}

/* env (array of strings) with "VAR=VAL" v set: replaces VAR or appends. */
static void env_set(json_t *env, const char *v)
{
	size_t n = env_name_len(v), i;
	json_t *e;

	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);

		if (env_name_len(s) == n && strncmp(s, v, n) == 0) {
			json_array_set_new(env, i, json_string(v));
			return;
		}
	}
	json_array_append_new(env, json_string(v));
}

/* A JSON array of strings without NULs (and of VAR=VAL with env): NULL if fine, else why. */
static const char *check_strings(json_t *a, int env)
{
	size_t i;
	json_t *s;

	if (!a)
		return NULL;
	if (!json_is_array(a))
		return "must be an array of strings";
	json_array_foreach(a, i, s) {
		if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s))
			return "must be an array of strings (without NUL bytes)";
		if (env && !env_name_len(json_string_value(s)))
			return "entries must look like VAR=VALUE";
	}
	return NULL;
}

/* The environment: "env" as given, else the default; then "setenv" on top. */
static json_t *build_env(json_t *req)
{
	json_t *env = json_object_get(req, "env"), *set = json_object_get(req, "setenv"), *e;
	const char *term = json_string_value(json_object_get(req, "term"));
	char buf[300];
	size_t i;

	if (env) {
		env = json_deep_copy(env);
	} else {
		snprintf(buf, sizeof(buf), "TERM=%.256s", term && *term ? term : "dumb");
		env = json_pack("[s, s, s, s]", VN_DEFAULT_PATH, "HOME=/root", buf, "USER=root");
	}
	json_array_foreach(set, i, e)
		env_set(env, json_string_value(e));
	return env;
}

/* Strings NUL-separated into dst; bytes used, or -1 if they do not fit in cap. */
static long pack_strings(json_t *a, uint8_t *dst, size_t cap)
{
	size_t at = 0, i;
	json_t *s;

	json_array_foreach(a, i, s) {
		size_t n = json_string_length(s) + 1;

		if (at + n > cap)
			return -1;
		memcpy(dst + at, json_string_value(s), n);
		at += n;
	}
	return (long)at;
}

/* Fill the VN_START request; -E2BIG if argv and env do not fit in a frame. */
static int build_start(struct vn_job *j, json_t *argv, json_t *env, uint64_t excache, int tty)
{
	struct vn_start_req *rq = (struct vn_start_req *)j->start.req;
	size_t cap = sizeof(j->start.req) - sizeof(*rq);
	long a = pack_strings(argv, (uint8_t *)(rq + 1), cap), e;

	if (a < 0)
		return -E2BIG;
	e = pack_strings(env, (uint8_t *)(rq + 1) + a, cap - (size_t)a);
	if (e < 0)
		return -E2BIG;
	memset(rq, 0, sizeof(*rq));
	rq->vnode = j->vnode;
	rq->mnode = j->mnode;
	rq->snode = j->snode;
	rq->excache_bytes = excache;
	rq->argc = (uint32_t)json_array_size(argv);
	rq->envc = (uint32_t)json_array_size(env);
	rq->strings_len = (uint32_t)(a + e);
	rq->flags = tty ? VN_START_TTY : 0;
	j->start.len = (uint32_t)(sizeof(*rq) + (size_t)(a + e));
	return 0;
}

/* "pnode": an id or a name; 0 = let placement choose; -1 with err if unknown. */
static int want_pnode(struct gmmd *g, json_t *req, char *err, size_t errlen)
{
	json_t *v = json_object_get(req, "pnode");

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= FAB_NODE_MAX)
		return (int)json_integer_value(v);
	if (json_is_string(v))
		for (int i = 1; i <= (int)FAB_NODE_MAX; i++)
			if (g->node[i].known && strcmp(g->node[i].row.name, json_string_value(v)) == 0)
				return i;
	snprintf(err, errlen, "run: unknown process node %s",
		 json_is_string(v) ? json_string_value(v) : "(pnode must be an id or a name)");
	return -1;
}

/* Validate, place, send VN_START. NULL with *job set, or an error reply. */
static json_t *run_start(struct gmmd *g, struct ctl_client *c, json_t *req, struct vn_job **job)
{
	json_t *argv = json_object_get(req, "argv"), *exc = json_object_get(req, "excache"), *env;
	struct dbs_placement pl = { 0 };
	const char *why, *base;
	json_int_t excache = 0;
	char err[160], *argv_text;
	struct vn_job *j;
	int rc;

	if (!argv || (why = check_strings(argv, 0)) || !json_array_size(argv))
		return fail_msg("run: \"argv\" %s", argv && json_is_array(argv) && !json_array_size(argv) ?
				"must not be empty" : argv ? why : "is missing");
	if (!json_string_length(json_array_get(argv, 0)))
		return fail_msg("run: the program path is empty");
	if ((why = check_strings(json_object_get(req, "env"), 1)) ||
	    (why = check_strings(json_object_get(req, "setenv"), 1)))
		return fail_msg("run: env %s", why);
	if (exc && !json_is_null(exc)) {
		excache = json_is_integer(exc) ? json_integer_value(exc) : -1;
		if (excache != 0 && (excache < (json_int_t)(64 << 10) || excache > (json_int_t)(1ll << 40) ||
				     excache % 4096))
			return fail_msg("run: excache must be 0 (the node's default) or 64K..1024G in whole"
					" 4K pages");
	}
	pl.want_pnode = want_pnode(g, req, err, sizeof(err));
	if (pl.want_pnode < 0)
		return fail_msg("%s", err);
	argv_text = json_dumps(argv, JSON_COMPACT);
	if (!argv_text)
		return fail_msg("run: out of memory");
	vc.runs++;
	rc = dbstate_vnode_create(g->db, argv_text, (uint64_t)excache, &pl);
	free(argv_text);
	if (rc == -EAGAIN)
		return fail_msg("%s", pl.why);
	if (rc < 0) {
		g->n.db_errors++;
		gmm_log("run: cannot place a vNode: %s", dbstate_errmsg(g->db));
		return fail_msg("run: database error: %s", dbstate_errmsg(g->db));
	}
	j = job_new(VJ_RUN, c);
	if (!j)
		return fail_msg("run: out of memory");
	j->vnode = pl.vnode;
	j->pnode = (uint16_t)pl.pnode;
	j->mnode = (uint16_t)pl.mnode;
	j->snode = (uint16_t)pl.snode;
	j->pnode_nonce = g->node[pl.pnode].row.boot_nonce;
	snprintf(j->path, sizeof(j->path), "%s", json_string_value(json_array_get(argv, 0)));
	base = strrchr(j->path, '/');
	snprintf(j->comm, sizeof(j->comm), "%.15s", base && base[1] ? base + 1 : j->path);
	env = build_env(req);
	rc = build_start(j, argv, env, (uint64_t)excache, json_is_true(json_object_get(req, "tty")));
	json_decref(env);
	if (rc < 0) {
		record_failed(g, j, "argument list too long", E2BIG);
		j->c = NULL;
		job_free(j);
		return json_pack("{s:b, s:s, s:i, s:i}", "ok", 0, "error", "Argument list too long",
				 "errno", E2BIG, "exit", 126);
	}
	gmm_log("vnode %u: %s on process node %u (memory node %u, storage node %u)", j->vnode,
		j->path, j->pnode, j->mnode, j->snode);
	call_send(g, j, &j->start, j->pnode, FAB_OP_VN_START, &start_policy, gmm_now_ns());
	*job = j;
	return NULL;
}

/* The START call finished: header line, or an error reply and the vNode failed. */
static void start_done(struct gmmd *g, struct vn_job *j)
{
	const struct vn_start_reply *rep = (const struct vn_start_reply *)j->start.rep;
	int err = -j->start.status;
	char reason[512] = "";
	json_t *r;

	j->start_over = 1;
	if (j->start.status == -EEXIST) {
		/* A retried START: the node runs it already (our first reply was lost). */
		j->start.status = 0;
		j->start.rep_len = sizeof(*rep);
		memset(j->start.rep, 0, sizeof(*rep));
	}
	if (j->start.status == 0 && j->start.rep_len >= sizeof(*rep)) {
		j->started = 1;
		j->pid = rep->pid;
		vc.started++;
		record_running(g, j);
		if (j->c) {
			control_reply(j->c, json_pack("{s:b, s:I, s:I, s:i, s:i, s:i}", "ok", 1,
				"vnode", (json_int_t)j->vnode, "pid", (json_int_t)j->pid, "pnode", j->pnode,
				"mnode", j->mnode, "snode", j->snode));
			j->header_sent = 1;
			if (j->pre_len)
				control_send_raw(j->c, j->pre, j->pre_len);
		}
		free(j->pre);
		j->pre = NULL;
		j->pre_len = 0;
		return;
	}
	if (j->start.status == 0)
		err = EPROTO;                      /* a reply too short to hold a pid */
	if (j->start.status && j->start.rep_len > sizeof(*rep)) {
		size_t n = j->start.rep_len - sizeof(*rep);

		if (n >= sizeof(reason))
			n = sizeof(reason) - 1;
		memcpy(reason, j->start.rep + sizeof(*rep), n);
		reason[n] = 0;
		reason[strcspn(reason, "\n")] = 0;
	}
	vc.start_failed++;
	if (err == ETIMEDOUT || err == EHOSTDOWN) {
		char msg[96];

		snprintf(msg, sizeof(msg), err == ETIMEDOUT ? "process node %u did not answer" :
			 "process node %u is down", j->pnode);
		record_failed(g, j, msg, err);
		if (j->c)
			control_reply(j->c, fail_msg("%s", msg));
		release_client(g, j, 1);
		if (err == ETIMEDOUT)       /* it may have started after all: make sure it is gone */
			j->started = 1;
		else
			j->ended = 1;
		return;
	}
	record_failed(g, j, reason[0] ? reason : strerror(err), err);
	if (j->c) {
		r = json_pack("{s:b, s:s, s:i, s:i}", "ok", 0, "error", strerror(err), "errno", err,
			      "exit", exec_exit_code(err));
		if (reason[0])
			json_object_set_new(r, "reason", json_string(reason));
		control_reply(j->c, r);
	}
	release_client(g, j, 1);
	j->ended = 1;
}

/* ---- run: the client's stream --------------------------------------------------------- */

/* Take complete frames from the client while there is room. -1 on a protocol error. */
static int take_input(struct vn_job *j)
{
	const void *p;
	size_t n = control_input(j->c, &p), used = 0;
	const uint8_t *b = p;

	while (n - used >= 5) {
		uint8_t kind = b[used];
		uint32_t len = get_u32(b + used + 1);

		if (len > VN_FRAME_MAX)
			return -1;
		if (n - used < 5 + (size_t)len)
			break;
		if (kind == 'I' && len == 0) {
			j->in_eof = 1;
		} else if (kind == 'I') {
			if (j->in_eof)
				return -1;
			if (j->in_len + len > VN_IN_BUF)
				break;          /* later, when the node has taken some */
			if (!j->in_buf && !(j->in_buf = malloc(VN_IN_BUF)))
				return -1;
			memcpy(j->in_buf + j->in_len, b + used + 5, len);
			j->in_len += len;
			vc.in_bytes += len;
		} else if (kind == 'S' && len == 4) {
			uint32_t sig = get_u32(b + used + 5);

			if (sig >= 1 && sig <= 64 && j->nsig < VN_SIGQ)
				j->sigq[j->nsig++] = sig;
		} else {
			return -1;
		}
		used += 5 + (size_t)len;
	}
	control_consume(j->c, used);
	if (control_input_eof(j->c))
		j->in_eof = 1;          /* half-closed: no more input, output still wanted */
	return 0;
}

static void send_stdin(struct gmmd *g, struct vn_job *j, uint64_t now)
{
	struct vn_io *io = (struct vn_io *)j->in.req;
	uint32_t n = j->in_len > VN_IO_DATA_MAX ? VN_IO_DATA_MAX : (uint32_t)j->in_len;

	if (!n && (!j->in_eof || j->in_eof_sent))
		return;
	io->vnode = j->vnode;
	io->stream = VN_STDIN;
	io->seq = j->in_seq;
	memcpy(io + 1, j->in_buf, n);
	j->in.len = (uint32_t)sizeof(*io) + n;
	if (call_send(g, j, &j->in, j->pnode, FAB_OP_VN_STDIN, &io_policy, now) == 0)
		j->in_inflight = n;
}

static void stdin_done(struct gmmd *g, struct vn_job *j)
{
	j->in.done = 0;
	if (j->in.status == -EAGAIN) {          /* not now: the same chunk again shortly */
		j->busy_until = gmm_now_ns() + 50 * MS;
		return;
	}
	if (j->in.status < 0 && j->in.status != -ESRCH)
		gmm_log("vnode %u: stdin not delivered (%s); the rest is dropped", j->vnode,
			strerror(-j->in.status));
	if (j->in_inflight == 0)
		j->in_eof_sent = 1;
	memmove(j->in_buf, j->in_buf + j->in_inflight, j->in_len - j->in_inflight);
	j->in_len -= j->in_inflight;
	j->in_inflight = 0;
	j->in_seq++;
	if (j->in.status < 0) {                 /* the node will not take it: stop sending */
		j->in_len = 0;
		j->in_eof = j->in_eof_sent = 1;
	}
}

static void send_signal(struct gmmd *g, struct vn_job *j, uint32_t sig, uint64_t now)
{
	struct vn_signal *s = (struct vn_signal *)j->sig.req;

	s->vnode = j->vnode;
	s->signo = sig;
	j->sig.len = sizeof(*s);
	if (call_send(g, j, &j->sig, j->pnode, FAB_OP_VN_SIGNAL, &io_policy, now) == 0)
		vc.signals++;
}

/* Client frames to calls: one stdin chunk and one signal in flight at a time. */
static void pump(struct gmmd *g, struct vn_job *j, uint64_t now)
{
	if (j->c && take_input(j) < 0) {
		json_frame_to(j->c, 'F', json_pack("{s:s}", "error", "bad frame from the client"));
		release_client(g, j, 1);        /* and the vNode is killed below */
	}
	if (now < j->busy_until)
		return;
	if (!j->sig.req_id && j->nsig && !j->kill_sent) {
		send_signal(g, j, j->sigq[0], now);
		if (j->sig.req_id)
			memmove(j->sigq, j->sigq + 1, --j->nsig * sizeof(j->sigq[0]));
	}
	if (!j->in.req_id && !j->in_eof_sent && !j->exit_seen)
		send_stdin(g, j, now);
}

/* ---- run: output and exit from the process node ---------------------------------------- */

/* Hand one chunk to the client (or drop it when there is none). -EAGAIN if it is slow. */
static int deliver(struct vn_job *j, uint32_t stream, const uint8_t *data, uint32_t len)
{
	uint8_t h[5];

	h[0] = stream == VN_STDOUT ? 'O' : 'E';
	put_u32(h + 1, len);
	if (!j->c) {
		vc.out_orphan += len;
		return 0;
	}
	if (!j->header_sent) {
		uint8_t *p;

		if (j->pre_len + len + 5 > VN_PRE_MAX)
			return -EAGAIN;
		p = realloc(j->pre, j->pre_len + len + 5);
		if (!p)
			return -EAGAIN;
		j->pre = p;
		memcpy(p + j->pre_len, h, 5);
		memcpy(p + j->pre_len + 5, data, len);
		j->pre_len += len + 5;
	} else {
		if (control_unsent(j->c) + len > VN_OUT_MAX)
			return -EAGAIN;
		frame_to(j->c, (char)h[0], data, len);
	}
	vc.out_bytes += len;
	vc.out_chunks++;
	return 0;
}

/* Deliver held chunks whose turn has come. */
static void deliver_held(struct vn_job *j, uint32_t stream)
{
	for (int again = 1; again;) {
		again = 0;
		for (unsigned i = 0; i < VN_REORDER; i++) {
			struct held *h = &j->held[i];

			if (!h->data || h->seq != ((uint64_t)stream << 56 | j->out_next[stream]))
				continue;
			deliver(j, stream, h->data, h->len);
			free(h->data);
			h->data = NULL;
			j->out_next[stream]++;
			again = 1;
		}
	}
}

/* A VN_OUTPUT chunk: 0 (taken or a duplicate), or -EAGAIN (send it again later). */
static int on_output(struct vn_job *j, const struct vn_io *io, const uint8_t *data, uint32_t len)
{
	uint64_t next = j->out_next[io->stream];
	int rc;

	if (io->seq < next) {
		vc.out_dups++;
		return 0;
	}
	if (io->seq > next) {                   /* an earlier chunk is still on its way */
		struct held *free_slot = NULL;

		for (unsigned i = 0; i < VN_REORDER; i++) {
			if (j->held[i].data && j->held[i].seq == ((uint64_t)io->stream << 56 | io->seq))
				return 0;       /* held already */
			if (!j->held[i].data && !free_slot)
				free_slot = &j->held[i];
		}
		if (!free_slot || io->seq - next > VN_REORDER_SPAN || !(free_slot->data = malloc(len ? len : 1)))
			return -EAGAIN;
		memcpy(free_slot->data, data, len);
		free_slot->len = len;
		free_slot->seq = (uint64_t)io->stream << 56 | io->seq;
		if (!j->gap_since)
			j->gap_since = gmm_now_ns();
		return 0;
	}
	rc = deliver(j, io->stream, data, len);
	if (rc < 0)
		return rc;
	j->out_next[io->stream]++;
	deliver_held(j, io->stream);
	j->gap_since = 0;
	for (unsigned i = 0; i < VN_REORDER; i++)
		if (j->held[i].data)
			j->gap_since = gmm_now_ns();
	return 0;
}

/*
 * A chunk that has been missing for VN_GAP_MS will not come (the node gave
 * up on it): go on from the earliest held chunk of each stream.
 */
static void skip_gaps(struct vn_job *j, uint64_t now)
{
	if (!j->gap_since || now - j->gap_since < VN_GAP_MS * MS)
		return;
	for (uint32_t stream = VN_STDOUT; stream <= VN_STDERR; stream++) {
		uint64_t first = UINT64_MAX;

		for (unsigned i = 0; i < VN_REORDER; i++)
			if (j->held[i].data && j->held[i].seq >> 56 == stream &&
			    (j->held[i].seq & ((1ull << 56) - 1)) < first)
				first = j->held[i].seq & ((1ull << 56) - 1);
		if (first == UINT64_MAX)
			continue;
		gmm_log("vnode %u: %llu chunk(s) of %s never came; skipped", j->vnode,
			(unsigned long long)(first - j->out_next[stream]),
			stream == VN_STDOUT ? "stdout" : "stderr");
		vc.out_lost += first - j->out_next[stream];
		j->out_next[stream] = first;
		deliver_held(j, stream);
	}
	j->gap_since = 0;
	for (unsigned i = 0; i < VN_REORDER; i++)
		if (j->held[i].data)
			j->gap_since = now;
}

static void reply_to(struct gmmd *g, const struct fab_view *v, int32_t status)
{
	endpoint_send(g, v->eth->src, FAB_T_REPLY, v->hdr->op, v->hdr->src, status, v->hdr->req_id,
		      NULL, 0);
}

void vn_on_request(struct gmmd *g, const struct fab_view *v)
{
	const struct fab_hdr *h = v->hdr;
	struct vn_job *j;
	int32_t status = 0;

	g->n.requests_served++;
	if (h->type != FAB_T_REQ) {
		g->n.rx_dropped++;
		return;
	}
	if (h->op == FAB_OP_VN_OUTPUT) {
		const struct vn_io *io = v->payload;

		if (v->len < sizeof(*io) || (io->stream != VN_STDOUT && io->stream != VN_STDERR)) {
			status = -EINVAL;
		} else if (!(j = job_of_vnode(io->vnode)) || j->ended) {
			status = -ESRCH;        /* nobody relays this vNode: the node should kill it */
			vc.out_orphan += v->len - sizeof(*io);
		} else if (h->src != j->pnode) {
			status = -EPERM;
		} else {
			status = on_output(j, io, (const uint8_t *)(io + 1), v->len - (uint32_t)sizeof(*io));
			if (status == -EAGAIN)
				vc.out_again++;
		}
	} else if (h->op == FAB_OP_VN_EXIT) {
		const struct vn_exit *e = v->payload;

		if (v->len < sizeof(*e)) {
			status = -EINVAL;
		} else if (!(j = job_of_vnode(e->vnode)) || j->ended) {
			/* A retry after we finished, or nobody was listening: the table is what matters. */
			struct dbs_vnode row;

			if (dbstate_vnode_get(g->db, e->vnode, &row) == 0 && row.pnode == h->src)
				record_exit(g, e->vnode, v->payload, v->len);
		} else if (h->src != j->pnode) {
			status = -EPERM;
		} else if (!j->exit_seen) {
			j->exit_seen = 1;
			j->exit_len = v->len;
			memcpy(j->exit_raw, v->payload, v->len);
		}
	} else {
		status = -EOPNOTSUPP;
	}
	reply_to(g, v, status);
}

void vn_on_reply(struct gmmd *g, const struct fab_view *v)
{
	const struct fab_hdr *h = v->hdr;

	if (rpc_on_reply(&rpc_vn, h->src, h->req_id, h->status, v->payload, v->len) < 0)
		g->n.rx_late++;
}

/* ---- run: advancing ---------------------------------------------------------------------- */

static const char *lost_reason(struct gmmd *g, const struct vn_job *j, char *buf, size_t len)
{
	const struct member *m = &g->node[j->pnode];

	if (!node_up(g, j->pnode))
		snprintf(buf, len, "process node %u died", j->pnode);
	else if (m->row.boot_nonce != j->pnode_nonce)
		snprintf(buf, len, "process node %u restarted", j->pnode);
	else
		return NULL;
	return buf;
}

/* The vNode ended: exit frame (or error) to the client, its row, and the job is over. */
static void finish_exit(struct gmmd *g, struct vn_job *j)
{
	const struct vn_exit *e = (const struct vn_exit *)j->exit_raw;

	record_running(g, j);
	if (!j->recorded_end)
		record_exit(g, j->vnode, j->exit_raw, j->exit_len);
	j->recorded_end = 1;
	vc.exited++;
	gmm_log("vnode %u (%s) exited: wait status 0x%x after %llu ms", j->vnode, j->path,
		(unsigned)e->wait_status, (unsigned long long)(e->runtime_ns / MS));
	if (j->c)
		json_frame_to(j->c, 'X', exit_json(j->exit_raw, j->exit_len));
	release_client(g, j, 1);
	j->exit_sent = 1;
	j->ended = 1;
}

static void advance_run(struct gmmd *g, struct vn_job *j, uint64_t now)
{
	char buf[80];
	const char *lost;

	if (call_poll(g, &j->start, now))
		start_done(g, j);
	if (j->ended)
		return;
	if (j->started && j->exit_seen && !j->exit_sent) {
		finish_exit(g, j);
		return;
	}
	if ((lost = lost_reason(g, j, buf, sizeof(buf)))) {
		record_failed(g, j, lost, EHOSTDOWN);
		if (j->c && j->header_sent)
			json_frame_to(j->c, 'F', json_pack("{s:s}", "error", lost));
		else if (j->c)
			control_reply(j->c, fail_msg("%s", lost));
		release_client(g, j, 1);
		j->ended = 1;
		return;
	}
	if (call_poll(g, &j->sig, now)) {
		if (j->kill_sent && j->sig.status == -ESRCH) {
			/* The node does not know it (any more): nothing left to kill or wait for. */
			record_failed(g, j, "gone before SIGKILL", ESRCH);
			j->ended = 1;
			return;
		}
		if (j->sig.status < 0 && j->sig.status != -ESRCH)
			gmm_log("vnode %u: signal not delivered: %s", j->vnode, strerror(-j->sig.status));
	}
	if (call_poll(g, &j->in, now))
		stdin_done(g, j);
	skip_gaps(j, now);
	if (!j->start_over)
		return;
	if (!j->c) {
		/* Nobody is listening: kill it, then wait for its exit to record it. */
		if (!j->kill_sent && !j->sig.req_id && now >= j->busy_until) {
			j->nsig = 0;
			send_signal(g, j, 9, now);
			if (j->sig.req_id) {
				j->kill_sent = 1;
				j->kill_deadline = now + VN_KILL_WAIT_MS * MS;
				vc.killed++;
				gmm_log("vnode %u: nobody relays it (its client has gone): SIGKILL", j->vnode);
			}
		} else if (j->kill_sent && !j->sig.req_id && now >= j->kill_deadline) {
			record_failed(g, j, "no exit after SIGKILL", ETIMEDOUT);
			j->ended = 1;
		}
		return;
	}
	pump(g, j, now);
}

/* ---- ps ------------------------------------------------------------------------------- */

static json_t *ps_start(struct gmmd *g, struct ctl_client *c, struct vn_job **job)
{
	struct vn_job *j = job_new(VJ_PS, c);
	unsigned n = 0;

	if (!j)
		return fail_msg("ps: out of memory");
	for (int i = 1; i <= (int)FAB_NODE_MAX; i++)
		n += node_up(g, (uint16_t)i) && strcmp(g->node[i].row.role, "process") == 0;
	j->ps = calloc(n ? n : 1, sizeof(*j->ps));
	if (!j->ps) {
		j->c = NULL;
		job_free(j);
		return fail_msg("ps: out of memory");
	}
	for (int i = 1; i <= (int)FAB_NODE_MAX; i++)
		if (node_up(g, (uint16_t)i) && strcmp(g->node[i].row.role, "process") == 0)
			j->ps[j->nps++].node = (uint16_t)i;
	vc.ps++;
	*job = j;
	return NULL;
}

static void ps_entries(json_t *procs, const struct vn_call *k)
{
	const struct vn_ps_reply *r = (const struct vn_ps_reply *)k->rep;
	const struct vn_ps_entry *e = (const struct vn_ps_entry *)(r + 1);
	uint32_t n;

	if (k->rep_len < sizeof(*r))
		return;
	n = (k->rep_len - (uint32_t)sizeof(*r)) / (uint32_t)sizeof(*e);
	if (r->count < n)
		n = r->count;
	for (uint32_t i = 0; i < n; i++) {
		char comm[17], st[2] = { (char)e[i].state, 0 };

		memcpy(comm, e[i].comm, 16);
		comm[16] = 0;
		if (!st[0] || st[0] < ' ' || st[0] > '~')
			st[0] = '?';
		json_array_append_new(procs, json_pack("{s:i, s:I, s:I, s:I, s:s, s:s, s:I}",
			"pnode", k->node, "vnode", (json_int_t)e[i].vnode, "pid", (json_int_t)e[i].pid,
			"ppid", (json_int_t)e[i].ppid, "state", st, "comm", comm,
			"rss_bytes", (json_int_t)(e[i].rss_lines * 4096ull)));
	}
}

/* Rows of SELECT id, pnode, mnode, snode, state, argv, excache_bytes, created_at as objects. */
static json_t *vnode_rows(json_t *result)
{
	static const char *const keys[] = { "vnode", "pnode", "mnode", "snode", "state", "argv",
					    "excache_bytes", "created_at" };
	json_t *out = json_array(), *row;
	size_t i;

	json_array_foreach(json_object_get(result, "rows"), i, row) {
		json_t *o = json_object();

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			json_t *v = json_array_get(row, k);

			if (k == 5 && json_is_string(v))
				v = json_loads(json_string_value(v), 0, NULL);
			else
				json_incref(v);
			json_object_set_new(o, keys[k], v ? v : json_null());
		}
		json_array_append_new(out, o);
	}
	return out;
}

static void advance_ps(struct gmmd *g, struct vn_job *j, uint64_t now)
{
	json_t *procs, *errors, *r, *live = NULL;
	unsigned pending = 0;
	char err[256];

	for (unsigned i = 0; i < j->nps; i++) {
		struct vn_call *k = &j->ps[i];

		if (!k->done && !k->req_id && now >= j->busy_until) {
			k->len = 0;
			call_send(g, j, k, k->node, FAB_OP_VN_PS, &io_policy, now);
		}
		call_poll(g, k, now);
		pending += !k->done;
	}
	if (pending || !j->c)
		return;
	procs = json_array();
	errors = json_array();
	for (unsigned i = 0; i < j->nps; i++) {
		if (j->ps[i].status == 0)
			ps_entries(procs, &j->ps[i]);
		else
			json_array_append_new(errors, json_pack("{s:i, s:s}", "pnode", j->ps[i].node,
								"error", strerror(-j->ps[i].status)));
	}
	if (dbq_run(g->q, "SELECT id, pnode, mnode, snode, state, argv, excache_bytes, created_at"
		    " FROM vnodes WHERE state IN ('starting', 'running') ORDER BY id", DBQ_MAX_ROWS,
		    &live, err, sizeof(err)) < 0)
		json_array_append_new(errors, json_pack("{s:s}", "error", err));
	r = json_pack("{s:b, s:o, s:o, s:o}", "ok", 1, "processes", procs, "vnodes",
		      vnode_rows(live), "errors", errors);
	json_decref(live);
	control_reply(j->c, r);
	release_client(g, j, 0);
	j->ended = 1;
}

/* ---- the interface to control.c and main.c ------------------------------------------------ */

int vn_is_cmd(const char *cmd)
{
	return strcmp(cmd, "run") == 0 || strcmp(cmd, "ps") == 0;
}

json_t *vn_start(struct gmmd *g, struct ctl_client *c, const char *cmd, json_t *req,
		 struct vn_job **job)
{
	*job = NULL;
	if (strcmp(cmd, "ps") == 0)
		return ps_start(g, c, job);
	return run_start(g, c, req, job);
}

int vn_wants_input(const struct vn_job *j)
{
	/* After the end of input too: signals still come. */
	return j->kind == VJ_RUN && j->in_len < VN_IN_BUF / 2;
}

void vn_client_gone(struct gmmd *g, struct vn_job *j)
{
	(void)g;
	j->c = NULL;
}

void vn_advance(struct gmmd *g, uint64_t now)
{
	struct vn_job *j, *next;

	for (j = jobs; j; j = next) {
		next = j->next;
		if (j->kind == VJ_RUN)
			advance_run(g, j, now);
		else
			advance_ps(g, j, now);
		if (j->ended || (j->kind == VJ_PS && !j->c)) {
			release_client(g, j, 0);
			job_free(j);
		}
	}
}

static void earliest(uint64_t *first, uint64_t d)
{
	if (d && (!*first || d < *first))
		*first = d;
}

uint64_t vn_deadline(const struct gmmd *g)
{
	uint64_t first = 0;

	(void)g;
	for (const struct vn_job *j = jobs; j; j = j->next) {
		earliest(&first, call_deadline(&j->start));
		earliest(&first, call_deadline(&j->in));
		earliest(&first, call_deadline(&j->sig));
		for (unsigned i = 0; i < j->nps; i++)
			earliest(&first, call_deadline(&j->ps[i]));
		earliest(&first, j->busy_until);
		if (j->kill_sent)
			earliest(&first, j->kill_deadline);
		if (j->gap_since)
			earliest(&first, j->gap_since + VN_GAP_MS * MS);
	}
	return first;
}

/* A job without a client for a vNode an earlier gmmd started: it gets SIGKILL. */
static void reap_later(struct gmmd *g, uint32_t vnode, int pnode)
{
	struct vn_job *j;

	if (pnode < 1 || pnode > (int)FAB_NODE_MAX || !node_up(g, (uint16_t)pnode) ||
	    !(j = job_new(VJ_RUN, NULL)))
		return;
	j->vnode = vnode;
	j->pnode = (uint16_t)pnode;
	j->pnode_nonce = g->node[pnode].row.boot_nonce;
	snprintf(j->path, sizeof(j->path), "(started by an earlier gmmd)");
	j->started = j->start_over = 1;
	j->recorded_running = j->recorded_end = 1;
}

int vn_init(struct gmmd *g)
{
	json_t *live = NULL, *row;
	uint64_t seed;
	char err[256];
	size_t i;
	int n;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = gmm_now_ns() * 0x9E3779B97F4A7C15ull;
	rpc_init(&rpc_vn, &io_policy, seed);
	/* vNodes of an earlier gmmd have nobody to relay them any more: failed, and killed. */
	if (dbq_run(g->q, "SELECT id, pnode FROM vnodes WHERE state IN ('starting', 'running')",
		    DBQ_MAX_ROWS, &live, err, sizeof(err)) < 0)
		gmm_log("cannot list the vNodes of the previous gmmd: %s", err);
	n = dbstate_vnode_fail_live(g->db, "gmmd restarted");
	if (n < 0) {
		json_decref(live);
		return n;
	}
	json_array_foreach(json_object_get(live, "rows"), i, row)
		reap_later(g, (uint32_t)json_integer_value(json_array_get(row, 0)),
			   (int)json_integer_value(json_array_get(row, 1)));
	json_decref(live);
	if (n)
		gmm_log("%d vNode(s) of the previous gmmd marked failed; they get SIGKILL", n);
	return 0;
}

json_t *vn_status_json(struct gmmd *g)
{
	unsigned running = 0;

	(void)g;
	for (const struct vn_job *j = jobs; j; j = j->next)
		running += j->kind == VJ_RUN;
	return json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i}",
		"jobs", (int)running, "runs", (json_int_t)vc.runs, "started", (json_int_t)vc.started,
		"start_failed", (json_int_t)vc.start_failed, "exited", (json_int_t)vc.exited,
		"failed", (json_int_t)vc.failed, "killed", (json_int_t)vc.killed,
		"out_bytes", (json_int_t)vc.out_bytes, "out_dups", (json_int_t)vc.out_dups,
		"out_again", (json_int_t)vc.out_again, "out_orphan", (json_int_t)vc.out_orphan,
		"out_lost", (json_int_t)vc.out_lost,
		"in_bytes", (json_int_t)vc.in_bytes, "signals", (json_int_t)vc.signals,
		"ps", (json_int_t)vc.ps, "rpc_in_flight", (int)rpc_in_flight(&rpc_vn));
}
