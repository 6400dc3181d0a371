/*
 * vnode.c - vNodes on this process node: starting one (VN_START from gmmd),
 * its console (output to gmmd, input from gmmd), signals from the user's
 * terminal, `tess ps`, and the report to gmmd when its first process exits.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/time.h>
#include <net/fabric.h>
#include "proc.h"

#define MAX_VNODES      8
#define OUT_CHUNK       8192u
#define OUT_TIMEOUT_NS  300000000ull
#define DEFAULT_ASSOC   8
#define MAX_ARGS        4096

static struct vnode *vnodes[MAX_VNODES];
/* Recently finished vNodes: a late retry of their VN_START must not run them again. */
#define RECENT 32
static uint32_t recent[RECENT];
static unsigned recent_next;
static int next_pid = 1;
uint64_t default_excache_bytes;

struct start_args {
	struct process *p;
	char *path;
	char **argv, **envp;
	size_t argc, envc;
	char *strings;
};

struct task *task_current(void)
{
	return sched_current()->proc;
}

struct process *proc_current(void)
{
	struct task *t = task_current();

	return t ? t->proc : NULL;
}

/* Process and thread ids come from one counter, as on Linux. */
int pid_alloc(void)
{
	return next_pid++;
}

static struct vnode *find_vnode(uint32_t id)
{
	for (int i = 0; i < MAX_VNODES; i++)
		if (vnodes[i] && vnodes[i]->id == id)
			return vnodes[i];
	return NULL;
}

struct process *proc_alloc(struct vnode *vn, struct process *parent)
{
	struct process *p;
	int slot;

	for (slot = 0; slot < MAX_PROCS && vn->procs[slot]; slot++)
		;
	if (slot == MAX_PROCS)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid_alloc();
	p->ppid = parent ? parent->pid : 0;
	p->parent = parent;
	p->vn = vn;
	p->umask = 022;
	p->start_ns = ktime_ns();
	strlcpy(p->cwd, parent ? parent->cwd : "/", sizeof(p->cwd));
	vn->procs[slot] = p;
	vn->nprocs++;
	return p;
}

void proc_free(struct process *p)
{
	struct vnode *vn = p->vn;

	while (p->tasks)
		task_free(p->tasks);           /* a process that never ran */
	for (int i = 0; i < MAX_PROCS; i++) {
		if (vn->procs[i] == p) {
			vn->procs[i] = NULL;
			vn->nprocs--;
		}
	}
	free(p);
}

int vnode_output(struct vnode *vn, int stream, const void *data, size_t len)
{
	uint8_t *buf = malloc(sizeof(struct vn_io) + OUT_CHUNK);
	size_t done = 0;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (done < len) {
		struct vn_io *io = (struct vn_io *)buf;
		uint32_t chunk = len - done > OUT_CHUNK ? OUT_CHUNK : (uint32_t)(len - done);

		io->vnode = vn->id;
		io->stream = (uint32_t)stream;
		io->seq = vn->out_seq[stream];
		memcpy(io + 1, (const uint8_t *)data + done, chunk);
		rc = fabric_call(FAB_NODE_GMM, FAB_OP_VN_OUTPUT, buf, (uint32_t)sizeof(*io) + chunk, NULL, 0, NULL,
				 OUT_TIMEOUT_NS, 5);
		if (rc == -EAGAIN) {
			/* The user's terminal is slow: wait and send the same chunk (same seq) again. */
			sched_block(ktime_ns() + 20000000ull);
			continue;
		}
		if (rc == -ESRCH) {
			/* Nobody relays this vNode any more (tess run went away): stop it. */
			for (int i = 0; i < MAX_PROCS; i++)
				if (vn->procs[i] && !vn->procs[i]->zombie)
					proc_kill(vn->procs[i], 9);
			break;
		}
		if (rc)
			break;
		vn->out_seq[stream]++;
		done += chunk;
	}
	free(buf);
	return rc ? rc : (int)done;
}

static void vnode_free(struct vnode *vn)
{
	recent[recent_next++ % RECENT] = vn->id;
	for (int i = 0; i < MAX_VNODES; i++)
		if (vnodes[i] == vn)
			vnodes[i] = NULL;
	excache_destroy(vn->cache);
	free(vn->in_buf);
	free(vn);
}

void vnode_process_exited(struct process *p)
{
	struct vnode *vn = p->vn;
	size_t len;
	uint8_t *buf;
	struct vn_exit *ex;
	uint32_t pairs = 0;

	if (p != vn->init || vn->done)
		return;
	vn->done = 1;
	/* The vNode ends with its first process: stop the rest. */
	for (int i = 0; i < MAX_PROCS; i++)
		if (vn->procs[i] && vn->procs[i] != p && !vn->procs[i]->zombie)
			proc_kill(vn->procs[i], 9);
	len = sizeof(*ex) + 32 * 8;
	buf = calloc(1, len);
	if (!buf)
		return;
	ex = (struct vn_exit *)buf;
	ex->vnode = vn->id;
	ex->wait_status = p->wait_status;
	ex->runtime_ns = ktime_ns() - vn->start_ns;
	ex->nosys_count = vn->nosys_total;
	excache_get_stats(vn->cache, &ex->excache);
	for (uint32_t nr = 0; nr < NOSYS_SLOTS && pairs < 32; nr++) {
		if (vn->nosys[nr]) {
			uint32_t *pair = (uint32_t *)(buf + sizeof(*ex)) + pairs * 2;

			pair[0] = nr;
			pair[1] = vn->nosys[nr];
			pairs++;
		}
	}
	if (fabric_call(FAB_NODE_GMM, FAB_OP_VN_EXIT, buf, (uint32_t)(sizeof(*ex) + pairs * 8), NULL, 0, NULL,
			OUT_TIMEOUT_NS, 8))
		pr_warn("vnode %u: gmmd did not take the exit report", vn->id);
	pr_info("vnode %u: exited with status %x after %lu ms (%u misses, %u evictions)", vn->id,
		(unsigned)p->wait_status, ex->runtime_ns / 1000000, (unsigned)ex->excache.misses,
		(unsigned)ex->excache.evictions);
	free(buf);
}

/* Called by the last thread of a vNode on its way out. */
void vnode_maybe_free(struct vnode *vn);
void vnode_maybe_free(struct vnode *vn)
{
	if (vn->done && vn->nprocs == 0)
		vnode_free(vn);
}

static void start_thread(void *arg)
{
	struct start_args *sa = arg;
	struct process *p = sa->p;
	struct trap_frame *f = (struct trap_frame *)((sched_current()->stack_top - sizeof(struct trap_frame)) & ~15ull);
	char reason[128];
	int rc;

	rc = proc_exec(p, sa->path, (const char *const *)sa->argv, sa->argc, (const char *const *)sa->envp,
		       sa->envc, f, reason, sizeof(reason));
	free(sa->argv);
	free(sa->envp);
	free(sa->strings);
	if (rc) {
		char msg[256];

		pr_warn("vnode %u: exec of %s failed (%d%s%s)", p->vn->id, sa->path, rc, reason[0] ? ": " : "", reason);
		int n = snprintf(msg, sizeof(msg), "%s: %s\n", sa->path,
				 reason[0] ? reason : rc == -ENOENT ? "No such file or directory" :
				 rc == -EACCES ? "Permission denied" : rc == -ENOEXEC ? "Exec format error" :
				 "cannot execute");
		free(sa);
		vnode_output(p->vn, VN_STDERR, msg, (size_t)n);
		proc_exit(p, (rc == -ENOENT ? 127 : 126) << 8);
	}
	free(sa);
	proc_start_user(task_current(), f);
}

static int split_strings(char *s, uint32_t len, uint32_t count, char ***out, uint32_t *used)
{
	char **v = calloc(count + 1, sizeof(char *));
	uint32_t at = *used;

	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		if (at >= len) {
			free(v);
			return -EINVAL;
		}
		v[i] = s + at;
		while (at < len && s[at])
			at++;
		if (at == len) {
			free(v);
			return -EINVAL;           /* not NUL-terminated */
		}
		at++;
	}
	*used = at;
	*out = v;
	return 0;
}

static int on_start(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct vn_start_req *rq = m->payload;
	struct vn_start_reply *rp = reply;
	struct start_args *sa = NULL;
	struct vnode *vn = NULL;
	struct process *p;
	struct task *t;
	uint64_t bytes;
	uint32_t used = 0;
	char reason[128] = "";
	int rc, slot;

	if (m->src != FAB_NODE_GMM)
		return -EPERM;
	if (m->len < sizeof(*rq) || rq->strings_len != m->len - sizeof(*rq) || rq->argc == 0 ||
	    rq->argc > MAX_ARGS || rq->envc > MAX_ARGS)
		return -EINVAL;
	if (find_vnode(rq->vnode))
		return -EEXIST;                   /* a retried start: already running */
	for (unsigned i = 0; i < RECENT; i++)
		if (recent[i] == rq->vnode && rq->vnode)
			return -EEXIST;           /* a retried start of one that already ended */
	for (slot = 0; slot < MAX_VNODES && vnodes[slot]; slot++)
		;
	if (slot == MAX_VNODES)
		return -EBUSY;
	vn = calloc(1, sizeof(*vn));
	sa = calloc(1, sizeof(*sa));
	if (!vn || !sa) {
		rc = -ENOMEM;
		goto fail;
	}
	vn->id = rq->vnode;
	vn->mnode = rq->mnode;
	vn->snode = rq->snode;
	vn->flags = rq->flags;
	vn->start_ns = ktime_ns();
	sa->strings = malloc(rq->strings_len + 1);
	if (!sa->strings) {
		rc = -ENOMEM;
		goto fail;
	}
	memcpy(sa->strings, rq + 1, rq->strings_len);
	sa->strings[rq->strings_len] = 0;
	if ((rc = split_strings(sa->strings, rq->strings_len, rq->argc, &sa->argv, &used)) ||
	    (rc = split_strings(sa->strings, rq->strings_len, rq->envc, &sa->envp, &used)))
		goto fail;
	sa->argc = rq->argc;
	sa->envc = rq->envc;
	sa->path = sa->argv[0];
	if (sa->path[0] != '/') {
		rc = -ENOENT;
		strlcpy(reason, "the program must be an absolute path in the cluster's storage", sizeof(reason));
		goto fail;
	}
	/* Refuse missing and unloadable programs right away, with a reason for `tess run`. */
	rc = exec_check(vn, "/", sa->path, reason, sizeof(reason));
	if (rc)
		goto fail;
	bytes = rq->excache_bytes ? rq->excache_bytes : default_excache_bytes;
	vn->cache = excache_create(bytes, DEFAULT_ASSOC);
	if (!vn->cache) {
		rc = -ENOMEM;
		snprintf(reason, sizeof(reason), "cannot give the vNode an ExCache of %lu KiB (%lu KiB free)",
			 bytes >> 10, excache_pool_free_bytes() >> 10);
		goto fail;
	}
	p = proc_alloc(vn, NULL);
	if (!p) {
		rc = -ENOMEM;
		goto fail;
	}
	vn->init = p;
	sa->p = p;
	t = task_new(p);
	if (!t || proc_setup_console(p)) {
		fd_close_all(p);
		proc_free(p);
		rc = -ENOMEM;
		goto fail;
	}
	t->thread = thread_create("vnode-init", start_thread, sa);
	if (!t->thread) {
		fd_close_all(p);
		proc_free(p);
		rc = -ENOMEM;
		goto fail;
	}
	t->thread->proc = t;
	vnodes[slot] = vn;
	pr_info("vnode %u: starting %s (pid %d, ExCache %lu KiB, memory node %u, storage node %u)", vn->id,
		sa->path, p->pid, bytes >> 10, vn->mnode, vn->snode);
	memset(rp, 0, sizeof(*rp));
	rp->pid = (uint32_t)p->pid;
	*rlen = sizeof(*rp);
	return 0;
fail:
	if (sa) {
		free(sa->argv);
		free(sa->envp);
		free(sa->strings);
		free(sa);
	}
	if (vn) {
		excache_destroy(vn->cache);
		free(vn);
	}
	/* The reason text rides after the reply struct. */
	memset(rp, 0, sizeof(*rp));
	*rlen = (uint32_t)sizeof(*rp);
	if (reason[0]) {
		size_t n = strlen(reason);

		memcpy((uint8_t *)reply + sizeof(*rp), reason, n);
		*rlen += (uint32_t)n;
	}
	return rc;
}

static int on_stdin(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct vn_io *io = m->payload;
	struct vnode *vn;
	size_t n;

	if (m->len < sizeof(*io))
		return -EINVAL;
	vn = find_vnode(io->vnode);
	if (!vn)
		return -ESRCH;
	n = m->len - sizeof(*io);
	if (io->seq < vn->in_seq)
		return 0;                         /* a retry we already took */
	vn->in_seq = io->seq + 1;
	if (n == 0) {
		vn->in_eof = 1;
	} else {
		if (vn->in_len + n > vn->in_cap) {
			size_t cap = (vn->in_len + n) * 2;
			uint8_t *b = realloc(vn->in_buf, cap);

			if (!b)
				return -ENOMEM;
			vn->in_buf = b;
			vn->in_cap = cap;
		}
		memcpy(vn->in_buf + vn->in_len, io + 1, n);
		vn->in_len += n;
	}
	if (vn->in_waiter)
		sched_wake(vn->in_waiter);
	return 0;
}

static int on_signal(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct vn_signal *s = m->payload;
	struct vnode *vn = find_vnode(s->vnode);

	if (!vn)
		return -ESRCH;
	if (s->signo == 0 || s->signo >= NSIG)
		return -EINVAL;
	/* The terminal's signals go to every process of the vNode (its foreground group). */
	for (int i = 0; i < MAX_PROCS; i++)
		if (vn->procs[i] && !vn->procs[i]->zombie)
			proc_kill(vn->procs[i], (int)s->signo);
	return 0;
}

static int on_ps(const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	struct vn_ps_reply *rp = reply;
	struct vn_ps_entry *e = (struct vn_ps_entry *)(rp + 1);
	uint32_t max = (FAB_MAX_PAYLOAD - sizeof(*rp)) / sizeof(*e);

	memset(rp, 0, sizeof(*rp));
	for (int v = 0; v < MAX_VNODES; v++) {
		struct vnode *vn = vnodes[v];

		for (int i = 0; vn && i < MAX_PROCS && rp->count < max; i++) {
			struct process *p = vn->procs[i];

			if (!p)
				continue;
			memset(e, 0, sizeof(*e));
			e->vnode = vn->id;
			e->pid = (uint32_t)p->pid;
			e->ppid = (uint32_t)p->ppid;
			e->state = p->zombie ? 'Z' : 'S';
			for (struct task *t = p->tasks; t; t = t->next)
				if (t->thread && t->thread->state != THREAD_BLOCKED)
					e->state = 'R';
			e->rss_lines = p->as.resident;
			strlcpy(e->comm, p->comm, sizeof(e->comm));
			e++;
			rp->count++;
		}
	}
	*rlen = (uint32_t)(sizeof(*rp) + rp->count * sizeof(*e));
	return 0;
}

void vnode_init(void);
void vnode_init(void)
{
	fabric_register(FAB_OP_VN_START, on_start);
	fabric_register(FAB_OP_VN_STDIN, on_stdin);
	fabric_register(FAB_OP_VN_SIGNAL, on_signal);
	fabric_register(FAB_OP_VN_PS, on_ps);
}
