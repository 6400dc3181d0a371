/*
 * dbstate/vnodes.c - memory pools, vNodes and their first process. Placing a
 * vNode is one transaction: choose the process, memory and storage nodes with
 * SQL over nodes/pools/vnodes, insert the row, append 'vnode-start'. Every
 * later change of a vNode (running, exited, failed) is again one transaction
 * with its event, whose node_id is the vNode's process node.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state_priv.h"

#define POOL_NET_LATENCY_NS 100000    /* a page fetch over the net fabric: an RPC */

/* Run sql with up to 3 integer parameters; the first column of the first row into *out. */
static int query_int(struct dbstate *s, const char *sql, int nparam, const int64_t *param,
		     int64_t *out)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, sql, &st);

	if (rc < 0)
		return rc;
	for (int i = 0; i < nparam; i++)
		db_bind_i64(st, i + 1, param[i]);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*out = db_col_is_null(st, 0) ? 0 : db_col_i64(st, 0);
		rc = 0;
	} else if (rc == DB_DONE) {
		rc = -ENOENT;
	}
	db_finalize(st);
	return rc;
}

/* ---- pools ----------------------------------------------------------------------- */

int dbs_pool_sync(struct dbstate *s, int node, uint64_t capacity, int fresh)
{
	int64_t p[2] = { node, (int64_t)capacity }, id;
	struct db_stmt *st;
	int rc;

	rc = query_int(s, "SELECT id FROM pools WHERE node = $1 AND kind = 'dram'", 1, p, &id);
	if (rc == -ENOENT) {
		rc = query_int(s, "SELECT COALESCE(MAX(id), 0) + 1 FROM pools", 0, NULL, &id);
		if (rc < 0)
			return rc;
		rc = db_prepare(s->db, "INSERT INTO pools (id, node, kind, capacity_bytes, used_bytes,"
				" latency_class) VALUES ($1, $2, 'dram', $3, 0, $4)", &st);
		if (rc < 0)
			return rc;
		db_bind_i64(st, 1, id);
		db_bind_i64(st, 2, node);
		db_bind_i64(st, 3, (int64_t)capacity);
		db_bind_i64(st, 4, POOL_NET_LATENCY_NS);
	} else if (rc == 0) {
		/* A new boot of the node starts with an empty memory. */
		rc = db_prepare(s->db, fresh ?
				"UPDATE pools SET capacity_bytes = $2, used_bytes = 0 WHERE id = $1" :
				"UPDATE pools SET capacity_bytes = $2 WHERE id = $1", &st);
		if (rc < 0)
			return rc;
		db_bind_i64(st, 1, id);
		db_bind_i64(st, 2, p[1]);
	} else {
		return rc;
	}
	rc = db_step(st);
	db_finalize(st);
	if (rc < 0 || !fresh)
		return rc < 0 ? rc : 0;
	/* A new boot lost every address space the node held. */
	rc = db_prepare(s->db, "DELETE FROM regions WHERE mnode = $1", &st);
	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, node);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

int dbstate_pool_set_used(struct dbstate *s, int node, uint64_t used)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, "UPDATE pools SET used_bytes = $2 WHERE node = $1 AND kind = 'dram'",
			    &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, node);
	db_bind_i64(st, 2, (int64_t)used);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

/* ---- placement ------------------------------------------------------------------- */

#define LIVE "('starting', 'running')"

/* Least loaded up process node (fewest live vNodes), lowest id first. */
static const char *const pick_pnode_sql =
	"SELECT n.id FROM nodes n WHERE n.role = 'process' AND n.state = 'up'"
	" ORDER BY (SELECT COUNT(*) FROM vnodes v WHERE v.pnode = n.id AND v.state IN " LIVE "),"
	" n.id LIMIT 1";
/* Up memory node with the most free pool capacity; then fewest homed vNodes. */
static const char *const pick_mnode_sql =
	"SELECT n.id FROM nodes n JOIN pools p ON p.node = n.id"
	" WHERE n.role = 'memory' AND n.state = 'up'"
	" GROUP BY n.id"
	" ORDER BY SUM(p.capacity_bytes - p.used_bytes) DESC,"
	" (SELECT COUNT(*) FROM vnodes v WHERE v.mnode = n.id AND v.state IN " LIVE "), n.id LIMIT 1";
static const char *const pick_snode_sql =
	"SELECT id FROM nodes WHERE role = 'storage' AND state = 'up' ORDER BY id LIMIT 1";

/* The asked-for process node, if it is one and up. */
static int check_pnode(struct dbstate *s, struct dbs_placement *pl)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, "SELECT role, state FROM nodes WHERE id = $1", &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, pl->want_pnode);
	rc = db_step(st);
	if (rc == DB_DONE) {
		snprintf(pl->why, sizeof(pl->why), "unknown node %d", pl->want_pnode);
		rc = -EAGAIN;
	} else if (rc == DB_ROW && strcmp(db_col_text(st, 0), "process") != 0) {
		snprintf(pl->why, sizeof(pl->why), "node %d is a %s node, not a process node",
			 pl->want_pnode, db_col_text(st, 0));
		rc = -EAGAIN;
	} else if (rc == DB_ROW && strcmp(db_col_text(st, 1), "up") != 0) {
		snprintf(pl->why, sizeof(pl->why), "process node %d is %s", pl->want_pnode,
			 db_col_text(st, 1));
		rc = -EAGAIN;
	} else if (rc == DB_ROW) {
		pl->pnode = pl->want_pnode;
		rc = 0;
	}
	db_finalize(st);
	return rc;
}

static int pick(struct dbstate *s, const char *sql, const char *role, int *out, char *why,
		size_t whylen)
{
	int64_t id;
	int rc = query_int(s, sql, 0, NULL, &id);

	if (rc == -ENOENT) {
		snprintf(why, whylen, "no %s node is up", role);
		return -EAGAIN;
	}
	if (rc == 0)
		*out = (int)id;
	return rc;
}

static int insert_vnode(struct dbstate *s, const struct dbs_placement *pl, const char *argv_json,
			uint64_t excache_bytes, const char *ts)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, "INSERT INTO vnodes (id, pnode, mnode, snode, state, argv,"
			    " excache_bytes, created_at) VALUES ($1, $2, $3, $4, 'starting', $5, $6, $7)",
			    &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, pl->vnode);
	db_bind_i64(st, 2, pl->pnode);
	db_bind_i64(st, 3, pl->mnode);
	db_bind_i64(st, 4, pl->snode);
	db_bind_text(st, 5, argv_json);
	db_bind_i64(st, 6, (int64_t)excache_bytes);
	db_bind_text(st, 7, ts);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

int dbstate_vnode_create(struct dbstate *s, const char *argv_json, uint64_t excache_bytes,
			 struct dbs_placement *pl)
{
	char ts[DBS_TS_LEN], *detail;
	int64_t id;
	size_t dlen;
	int rc;

	pl->why[0] = 0;
	pl->pnode = pl->mnode = pl->snode = 0;
	pl->vnode = 0;
	rc = dbs_begin(s);
	if (rc < 0)
		return rc;
	rc = pl->want_pnode > 0 ? check_pnode(s, pl) :
	     pick(s, pick_pnode_sql, "process", &pl->pnode, pl->why, sizeof(pl->why));
	if (rc == 0)
		rc = pick(s, pick_mnode_sql, "memory", &pl->mnode, pl->why, sizeof(pl->why));
	if (rc == 0)
		rc = pick(s, pick_snode_sql, "storage", &pl->snode, pl->why, sizeof(pl->why));
	if (rc == 0)
		rc = query_int(s, "SELECT COALESCE(MAX(id), 0) + 1 FROM vnodes", 0, NULL, &id);
	if (rc < 0)
		goto fail;
	pl->vnode = (uint32_t)id;
	dbstate_now_iso(ts);
	rc = insert_vnode(s, pl, argv_json, excache_bytes, ts);
	if (rc < 0)
		goto fail;
	dlen = strlen(argv_json) + 160;
	detail = malloc(dlen);
	if (!detail) {
		rc = -ENOMEM;
		goto fail;
	}
	snprintf(detail, dlen, "{\"vnode\":%u,\"pnode\":%d,\"mnode\":%d,\"snode\":%d,"
		 "\"excache_bytes\":%llu,\"argv\":%s}", pl->vnode, pl->pnode, pl->mnode, pl->snode,
		 (unsigned long long)excache_bytes, argv_json);
	rc = dbs_event_insert(s, pl->pnode, "vnode-start", detail);
	free(detail);
	if (rc < 0)
		goto fail;
	return dbs_commit(s);
fail:
	dbs_rollback(s);
	if (rc != -EAGAIN)
		pl->vnode = 0;
	return rc;
}

/* ---- state changes ---------------------------------------------------------------- */

/*
 * Move vnode from one of the live states to state; *pnode gets its process
 * node. -ENOENT if there is no such vNode or it has already ended.
 */
static int set_state(struct dbstate *s, uint32_t vnode, const char *state, const char *ts,
		     const int *wait_status, uint64_t excache_bytes, int *pnode)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db,
		"UPDATE vnodes SET state = $2, exited_at = $3,"
		" wait_status = COALESCE($4, wait_status),"
		" excache_bytes = CASE WHEN $5 > 0 THEN $5 ELSE excache_bytes END"
		" WHERE id = $1 AND state IN " LIVE " RETURNING pnode", &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, vnode);
	db_bind_text(st, 2, state);
	db_bind_text(st, 3, ts);
	if (wait_status)
		db_bind_i64(st, 4, *wait_status);
	else
		db_bind_text(st, 4, NULL);
	db_bind_i64(st, 5, (int64_t)excache_bytes);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*pnode = (int)db_col_i64(st, 0);
		rc = db_step(st) < 0 ? -EIO : 0;
	} else if (rc == DB_DONE) {
		rc = -ENOENT;
	}
	db_finalize(st);
	return rc;
}

/* Processes of an ended vNode: all exited; the first one (ppid 0) with the status. */
static int end_processes(struct dbstate *s, uint32_t vnode, const char *ts, const int *wait_status)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db,
		"UPDATE processes SET state = 'exited', exited_at = $2,"
		" wait_status = CASE WHEN ppid = 0 THEN $3 ELSE wait_status END"
		" WHERE vnode = $1 AND state <> 'exited'", &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, vnode);
	db_bind_text(st, 2, ts);
	if (wait_status)
		db_bind_i64(st, 3, *wait_status);
	else
		db_bind_text(st, 3, NULL);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

int dbstate_vnode_running(struct dbstate *s, uint32_t vnode, uint32_t pid, const char *comm)
{
	struct db_stmt *st;
	char ts[DBS_TS_LEN], detail[96];
	int64_t pnode, p[1] = { vnode };
	int rc = dbs_begin(s);

	if (rc < 0)
		return rc;
	rc = query_int(s, "UPDATE vnodes SET state = 'running' WHERE id = $1 AND state = 'starting'"
		       " RETURNING pnode", 1, p, &pnode);
	if (rc < 0)
		goto fail;
	dbstate_now_iso(ts);
	/* The process node's own report of it may have come first. */
	rc = db_prepare(s->db, "INSERT INTO processes (vnode, pid, ppid, state, comm, started_at)"
			" VALUES ($1, $2, 0, 'running', $3, $4) ON CONFLICT (vnode, pid) DO NOTHING", &st);
	if (rc < 0)
		goto fail;
	db_bind_i64(st, 1, vnode);
	db_bind_i64(st, 2, pid);
	db_bind_text(st, 3, comm);
	db_bind_text(st, 4, ts);
	rc = db_step(st);
	db_finalize(st);
	if (rc < 0)
		goto fail;
	snprintf(detail, sizeof(detail), "{\"vnode\":%u,\"pid\":%u}", vnode, pid);
	rc = dbs_event_insert(s, (int)pnode, "vnode-running", detail);
	if (rc < 0)
		goto fail;
	return dbs_commit(s);
fail:
	dbs_rollback(s);
	return rc;
}

/* exited (wait_status given) or failed (NULL). */
static int vnode_end(struct dbstate *s, uint32_t vnode, const char *state, const char *kind,
		     const int *wait_status, uint64_t excache_bytes, const char *detail)
{
	char ts[DBS_TS_LEN];
	int pnode, rc = dbs_begin(s);

	if (rc < 0)
		return rc;
	dbstate_now_iso(ts);
	rc = set_state(s, vnode, state, ts, wait_status, excache_bytes, &pnode);
	if (rc == 0)
		rc = end_processes(s, vnode, ts, wait_status);
	if (rc == 0)
		rc = dbs_procs_prune_ended(s);
	if (rc == 0)
		rc = dbs_event_insert(s, pnode, kind, detail);
	if (rc < 0) {
		dbs_rollback(s);
		return rc;
	}
	return dbs_commit(s);
}

int dbstate_vnode_exited(struct dbstate *s, uint32_t vnode, int wait_status,
			 uint64_t excache_bytes, const char *detail)
{
	return vnode_end(s, vnode, "exited", "vnode-exit", &wait_status, excache_bytes, detail);
}

int dbstate_vnode_failed(struct dbstate *s, uint32_t vnode, const char *detail)
{
	return vnode_end(s, vnode, "failed", "vnode-failed", NULL, 0, detail);
}

int dbstate_vnode_fail_live(struct dbstate *s, const char *reason)
{
	struct db_stmt *st;
	uint32_t ids[256];
	int n = 0, failed = 0, rc;

	/* In batches: each vNode is its own transaction with its own event. */
	do {
		rc = db_prepare(s->db, "SELECT id FROM vnodes WHERE state IN " LIVE
				" ORDER BY id LIMIT 256", &st);
		if (rc < 0)
			return rc;
		n = 0;
		while ((rc = db_step(st)) == DB_ROW)
			ids[n++] = (uint32_t)db_col_i64(st, 0);
		db_finalize(st);
		if (rc < 0)
			return rc;
		for (int i = 0; i < n; i++) {
			char detail[160];

			snprintf(detail, sizeof(detail), "{\"vnode\":%u,\"reason\":\"%.100s\"}", ids[i],
				 reason);
			rc = dbstate_vnode_failed(s, ids[i], detail);
			if (rc < 0)
				return rc;
			failed++;
		}
	} while (n == 256);
	return failed;
}

int dbstate_vnode_get(struct dbstate *s, uint32_t vnode, struct dbs_vnode *out)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, "SELECT id, pnode, mnode, snode, state, excache_bytes,"
			    " wait_status FROM vnodes WHERE id = $1", &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, vnode);
	rc = db_step(st);
	if (rc == DB_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = (uint32_t)db_col_i64(st, 0);
		out->pnode = (int)db_col_i64(st, 1);
		out->mnode = (int)db_col_i64(st, 2);
		out->snode = (int)db_col_i64(st, 3);
		snprintf(out->state, sizeof(out->state), "%s", db_col_text(st, 4));
		out->excache_bytes = (uint64_t)db_col_i64(st, 5);
		out->exited = !db_col_is_null(st, 6);
		out->wait_status = (int)db_col_i64(st, 6);
		rc = 0;
	} else if (rc == DB_DONE) {
		rc = -ENOENT;
	}
	db_finalize(st);
	return rc;
}
