/*
 * gmm/reports.c - state reports from the nodes (wire.h, "State reports"):
 * a process node's fork/exec/exit changes, a memory node's region lists and
 * pool use. Each is checked (sender up and of the right role, entries sane),
 * applied in one dbstate transaction and answered; a retried request that
 * was applied already is answered from a small cache instead of twice.
 */
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include "gmmd.h"

#define REPLAY_SLOTS 32

static struct {
	uint64_t procs, proc_changes, proc_skipped, proc_lost;
	uint64_t pools, spaces, spaces_gone, space_unknown_vnode;
	uint64_t refused, invalid, replayed, db_errors;
} rc_;

static struct replay {
	uint64_t req_id;
	uint16_t src, op;
	int32_t  status;
} replays[REPLAY_SLOTS];
static unsigned replay_next;

static struct ratelimit rl_report;

static const struct replay *replay_find(const struct fab_hdr *h)
{
	for (unsigned i = 0; i < REPLAY_SLOTS; i++)
		if (replays[i].req_id == h->req_id && replays[i].src == h->src && replays[i].op == h->op &&
		    h->req_id)
			return &replays[i];
	return NULL;
}

static void replay_store(const struct fab_hdr *h, int32_t status)
{
	struct replay *r = &replays[replay_next++ % REPLAY_SLOTS];

	r->req_id = h->req_id;
	r->src = h->src;
	r->op = h->op;
	r->status = status;
}

/* The sender is an up node of role. */
static int sender_ok(struct gmmd *g, uint16_t src, const char *role)
{
	const struct member *m;

	if (src < 1 || src > FAB_NODE_MAX)
		return 0;
	m = &g->node[src];
	return m->known && strcmp(m->row.state, "up") == 0 && strcmp(m->row.role, role) == 0;
}

/* A fixed-size, NUL-padded text field of a node as a C string. */
static void field_str(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = strnlen(src, len < cap - 1 ? len : cap - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void db_failed(struct gmmd *g, const char *what)
{
	const char *note;

	g->n.db_errors++;
	rc_.db_errors++;
	if ((note = gmm_ratelimit(&rl_report, gmm_now_ns())))
		gmm_log("reports: cannot record %s: %s%s", what, dbstate_errmsg(g->db), note);
}

static int32_t on_procs(struct gmmd *g, const struct fab_view *v)
{
	struct rep_procs hd;
	struct dbs_proc_change c[DBS_PROCS_MAX_BATCH];
	struct dbs_procs_result res;
	int n = 0;

	if (!sender_ok(g, v->hdr->src, "process")) {
		rc_.refused++;
		return -EPERM;
	}
	memcpy(&hd, v->payload, sizeof(hd));    /* wire.c checked the count against the length */
	if (hd.count > DBS_PROCS_MAX_BATCH) {
		rc_.invalid++;
		return -EINVAL;
	}
	for (unsigned i = 0; i < hd.count; i++) {
		struct rep_proc e;

		memcpy(&e, v->payload + sizeof(hd) + i * sizeof(e), sizeof(e));
		if (e.what < REP_PROC_FORK || e.what > REP_PROC_EXIT || e.mnode > FAB_NODE_MAX ||
		    e.as_id > (uint64_t)INT64_MAX) {
			rc_.invalid++;
			continue;
		}
		memset(&c[n], 0, sizeof(c[n]));
		c[n].vnode = e.vnode;
		c[n].pid = e.pid;
		c[n].ppid = e.ppid;
		c[n].what = e.what == REP_PROC_FORK ? DBS_PROC_FORK :
			    e.what == REP_PROC_EXEC ? DBS_PROC_EXEC : DBS_PROC_EXIT;
		c[n].wait_status = e.wait_status;
		c[n].as_id = e.as_id;
		c[n].mnode = e.mnode;
		field_str(c[n].comm, sizeof(c[n].comm), e.comm, sizeof(e.comm));
		field_str(c[n].cmdline, sizeof(c[n].cmdline), e.cmdline, sizeof(e.cmdline));
		n++;
	}
	if (dbstate_procs_apply(g->db, v->hdr->src, c, n, hd.lost, &res) < 0) {
		db_failed(g, "process changes");
		return -EIO;
	}
	rc_.procs++;
	rc_.proc_changes += (uint64_t)res.applied;
	rc_.proc_skipped += (uint64_t)res.skipped;
	rc_.proc_lost += hd.lost;
	return 0;
}

static int32_t on_pool(struct gmmd *g, const struct fab_view *v)
{
	struct rep_pool p;

	if (!sender_ok(g, v->hdr->src, "memory")) {
		rc_.refused++;
		return -EPERM;
	}
	memcpy(&p, v->payload, sizeof(p));
	if (p.used_bytes > p.capacity_bytes || p.cxl_capacity_bytes > p.capacity_bytes ||
	    p.cxl_used_bytes > p.cxl_capacity_bytes || p.cxl_used_bytes > p.used_bytes) {
		rc_.invalid++;
		return -EINVAL;
	}
	/* The node's own memory and its pool windows are two pools of different latency. */
	if (dbstate_pool_report(g->db, v->hdr->src, p.capacity_bytes - p.cxl_capacity_bytes,
				p.used_bytes - p.cxl_used_bytes, p.spaces, p.cxl_capacity_bytes,
				p.cxl_used_bytes) < 0) {
		db_failed(g, "pool use");
		return -EIO;
	}
	rc_.pools++;
	return 0;
}

static int32_t on_space(struct gmmd *g, const struct fab_view *v)
{
	static struct dbs_region r[REP_REGIONS_MAX];
	struct rep_space hd;
	struct dbs_space sp;
	int rc;

	if (!sender_ok(g, v->hdr->src, "memory")) {
		rc_.refused++;
		return -EPERM;
	}
	memcpy(&hd, v->payload, sizeof(hd));    /* count, flags and length checked by wire.c */
	for (unsigned i = 0; i < hd.count; i++) {
		struct rep_region e;

		memcpy(&e, v->payload + sizeof(hd) + i * sizeof(e), sizeof(e));
		r[i] = (struct dbs_region){
			.start = e.start, .end = e.end, .prot = e.prot & 7u, .flags = e.flags,
			.file = e.kind == MEM_REGION_FILE, .file_node = e.file_node, .file_ino = e.file_ino,
		};
	}
	sp = (struct dbs_space){
		.as_id = hd.as_id, .vnode = hd.vnode, .gone = !!(hd.flags & REP_SPACE_GONE),
		.truncated = !!(hd.flags & REP_SPACE_TRUNCATED), .mapped_bytes = hd.mapped_bytes,
	};
	rc = dbstate_space_report(g->db, v->hdr->src, &sp, r, hd.count);
	if (rc == -ENOENT) {
		rc_.space_unknown_vnode++;   /* not one of ours (a test tool's space): nothing to record */
		return 0;
	}
	if (rc == -EINVAL) {
		rc_.invalid++;
		return -EINVAL;
	}
	if (rc < 0) {
		db_failed(g, "a space's regions");
		return -EIO;
	}
	if (sp.gone)
		rc_.spaces_gone++;
	else
		rc_.spaces++;
	return 0;
}

void reports_on_request(struct gmmd *g, const struct fab_view *v)
{
	const struct fab_hdr *h = v->hdr;
	const struct replay *r;
	int32_t status;

	if (h->type != FAB_T_REQ) {
		g->n.rx_dropped++;
		return;
	}
	g->n.requests_served++;
	if ((r = replay_find(h))) {
		rc_.replayed++;
		status = r->status;
	} else {
		status = h->op == FAB_OP_REPORT_PROCS ? on_procs(g, v) :
			 h->op == FAB_OP_REPORT_POOL ? on_pool(g, v) : on_space(g, v);
		if (status != -EIO)          /* a database error may pass when sent again */
			replay_store(h, status);
	}
	endpoint_send(g, v->eth->src, FAB_T_REPLY, h->op, h->src, status, h->req_id, NULL, 0);
}

json_t *reports_status_json(void)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"procs", (json_int_t)rc_.procs, "proc_changes", (json_int_t)rc_.proc_changes,
		"proc_skipped", (json_int_t)rc_.proc_skipped, "proc_lost", (json_int_t)rc_.proc_lost,
		"pools", (json_int_t)rc_.pools, "spaces", (json_int_t)rc_.spaces,
		"spaces_gone", (json_int_t)rc_.spaces_gone,
		"space_unknown_vnode", (json_int_t)rc_.space_unknown_vnode,
		"refused", (json_int_t)rc_.refused, "invalid", (json_int_t)rc_.invalid,
		"replayed", (json_int_t)rc_.replayed, "db_errors", (json_int_t)rc_.db_errors);
}
