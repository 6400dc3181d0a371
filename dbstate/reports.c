/*
 * dbstate/reports.c - what process and memory nodes report about vNodes:
 * their processes (fork, exec, exit), each address space's regions and the
 * use of a memory node's pool. Each report is one transaction; the ones that
 * change processes or regions append their event in it. Exited processes
 * keep their rows, within the bounds below (the events keep all of it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state_priv.h"

#define ENDED "('exited', 'failed')"

/* ---- small helpers ------------------------------------------------------------------ */

/* A growing text buffer for an event's JSON detail; on ENOMEM it stays "" and bad is set. */
struct jbuf {
	char  *p;
	size_t len, cap;
	int    bad;
};

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->bad = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		jb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* s as a JSON string: bytes outside printable ASCII become \u00XX (node text is not trusted). */
static void jb_str(struct jbuf *b, const char *s)
{
	jb_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			jb_put(b, e, 2);
		} else if (c < 0x20 || c > 0x7e) {
			jb_printf(b, "\\u%04x", c);
		} else {
			jb_put(b, (const char *)&c, 1);
		}
	}
	jb_put(b, "\"", 1);
}

static int exec_stmt(struct dbstate *s, const char *sql, int nparam, const int64_t *param)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, sql, &st);

	if (rc < 0)
		return rc;
	for (int i = 0; i < nparam; i++)
		db_bind_i64(st, i + 1, param[i]);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

/* ---- processes ------------------------------------------------------------------------ */

/* A vNode as far as a report needs it. */
struct vn_seen {
	uint32_t id;
	int      ok;             /* known, and on the reporting process node */
	int      ended;
	int      exits;          /* exit changes applied in this report */
};

static int vnode_look(struct dbstate *s, int pnode, struct vn_seen *v)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, "SELECT pnode, state IN " ENDED " FROM vnodes WHERE id = $1", &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, v->id);
	rc = db_step(st);
	v->ok = rc == DB_ROW && db_col_i64(st, 0) == pnode;
	v->ended = rc == DB_ROW && db_col_i64(st, 1);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

/*
 * One change as an upsert of the (vnode, pid) row. An exited row stays
 * exited: a fork or exec that arrives after its exit (two reports crossing)
 * changes nothing; an exit sets the status even on a row that the end of
 * its vNode already marked exited.
 */
static const char *const upsert_sql[] = {
	[DBS_PROC_FORK] =           /* the child runs its parent's program: its cmdline too */
		"INSERT INTO processes (vnode, pid, ppid, state, comm, cmdline, started_at, as_id, mnode)"
		" VALUES ($1, $2, $3, 'running', $4,"
		" COALESCE((SELECT cmdline FROM processes WHERE vnode = $1 AND pid = $3), $5), $6, $7, $8)"
		" ON CONFLICT (vnode, pid) DO UPDATE SET ppid = excluded.ppid, as_id = excluded.as_id,"
		" mnode = excluded.mnode WHERE processes.state <> 'exited'",
	[DBS_PROC_EXEC] =
		"INSERT INTO processes (vnode, pid, ppid, state, comm, cmdline, started_at, as_id, mnode)"
		" VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8)"
		" ON CONFLICT (vnode, pid) DO UPDATE SET comm = excluded.comm, cmdline = excluded.cmdline,"
		" as_id = excluded.as_id, mnode = excluded.mnode WHERE processes.state <> 'exited'",
	[DBS_PROC_EXIT] =
		"INSERT INTO processes (vnode, pid, ppid, state, comm, cmdline, started_at, as_id, mnode,"
		" exited_at, wait_status) VALUES ($1, $2, $3, 'exited', $4, $5, $6, $7, $8, $6, $9)"
		" ON CONFLICT (vnode, pid) DO UPDATE SET state = 'exited',"
		" exited_at = COALESCE(processes.exited_at, excluded.exited_at),"
		" wait_status = excluded.wait_status",
};

static int apply_change(struct dbstate *s, const struct dbs_proc_change *c, const char *ts)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, upsert_sql[c->what], &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, c->vnode);
	db_bind_i64(st, 2, c->pid);
	db_bind_i64(st, 3, c->ppid);
	db_bind_text(st, 4, c->comm);
	db_bind_text(st, 5, c->cmdline);
	db_bind_text(st, 6, ts);
	if (c->as_id)
		db_bind_i64(st, 7, (int64_t)c->as_id);
	else
		db_bind_text(st, 7, NULL);
	if (c->mnode > 0)
		db_bind_i64(st, 8, c->mnode);
	else
		db_bind_text(st, 8, NULL);
	if (c->what == DBS_PROC_EXIT)
		db_bind_i64(st, 9, c->wait_status);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

/* Keep the first process and the newest DBS_PROCS_KEEP_EXITED exited ones of a vNode. */
static int prune_exited(struct dbstate *s, uint32_t vnode)
{
	int64_t p[2] = { vnode, DBS_PROCS_KEEP_EXITED };

	return exec_stmt(s, "DELETE FROM processes WHERE vnode = $1 AND state = 'exited' AND ppid <> 0"
			 " AND pid NOT IN (SELECT pid FROM processes WHERE vnode = $1 AND state = 'exited'"
			 " AND ppid <> 0 ORDER BY exited_at DESC, pid DESC LIMIT $2)", 2, p);
}

/* A vNode that has ended has no live processes, whatever came late. */
static int end_leftovers(struct dbstate *s, uint32_t vnode)
{
	int64_t p[1] = { vnode };

	return exec_stmt(s, "UPDATE processes SET state = 'exited', exited_at = COALESCE(exited_at,"
			 " (SELECT exited_at FROM vnodes WHERE id = $1)) WHERE vnode = $1 AND state <> 'exited'",
			 1, p);
}

static const char *const what_name[] = {
	[DBS_PROC_FORK] = "fork", [DBS_PROC_EXEC] = "exec", [DBS_PROC_EXIT] = "exit",
};

static void detail_change(struct jbuf *b, const struct dbs_proc_change *c, int first)
{
	jb_printf(b, "%s{\"vnode\":%u,\"pid\":%u,\"what\":\"%s\"", first ? "" : ",", c->vnode, c->pid,
		  what_name[c->what]);
	if (c->what == DBS_PROC_FORK)
		jb_printf(b, ",\"ppid\":%u", c->ppid);
	if (c->what == DBS_PROC_EXIT)
		jb_printf(b, ",\"wait_status\":%d", c->wait_status);
	if (c->what == DBS_PROC_EXEC) {
		jb_put(b, ",\"cmdline\":", 11);
		jb_str(b, c->cmdline);
	}
	jb_put(b, "}", 1);
}

int dbstate_procs_apply(struct dbstate *s, int pnode, const struct dbs_proc_change *c, int n,
			uint32_t lost, struct dbs_procs_result *res)
{
	struct vn_seen seen[DBS_PROCS_MAX_BATCH];
	struct jbuf b = { 0 };
	char ts[DBS_TS_LEN];
	int nseen = 0, rc;

	memset(res, 0, sizeof(*res));
	if (n < 0 || n > DBS_PROCS_MAX_BATCH)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (c[i].what < DBS_PROC_FORK || c[i].what > DBS_PROC_EXIT)
			return -EINVAL;
	rc = dbs_begin(s);
	if (rc < 0)
		return rc;
	dbstate_now_iso(ts);
	jb_printf(&b, "{\"changes\":[");
	for (int i = 0; i < n; i++) {
		struct vn_seen *v = NULL;

		for (int k = 0; k < nseen; k++)
			if (seen[k].id == c[i].vnode)
				v = &seen[k];
		if (!v) {
			v = &seen[nseen++];
			memset(v, 0, sizeof(*v));
			v->id = c[i].vnode;
			if ((rc = vnode_look(s, pnode, v)) < 0)
				goto fail;
		}
		if (!v->ok) {
			res->skipped++;
			continue;
		}
		if ((rc = apply_change(s, &c[i], ts)) < 0)
			goto fail;
		v->exits += c[i].what == DBS_PROC_EXIT;
		detail_change(&b, &c[i], res->applied == 0);
		res->applied++;
	}
	for (int k = 0; k < nseen; k++) {
		if (seen[k].ok && seen[k].ended && (rc = end_leftovers(s, seen[k].id)) < 0)
			goto fail;
		if (seen[k].exits && (rc = prune_exited(s, seen[k].id)) < 0)
			goto fail;
	}
	jb_printf(&b, "]");
	if (res->skipped)
		jb_printf(&b, ",\"skipped\":%d", res->skipped);
	if (lost)
		jb_printf(&b, ",\"lost\":%u", lost);
	jb_printf(&b, "}");
	if (b.bad) {
		rc = -ENOMEM;
		goto fail;
	}
	if (res->applied || lost) {
		rc = dbs_event_insert(s, pnode, "procs", b.p);
		if (rc < 0)
			goto fail;
	}
	free(b.p);
	return dbs_commit(s);
fail:
	free(b.p);
	dbs_rollback(s);
	memset(res, 0, sizeof(*res));
	return rc;
}

int dbs_procs_prune_ended(struct dbstate *s)
{
	int64_t p[1] = { DBS_PROCS_KEEP_VNODES };

	/* The vNode DBS_PROCS_KEEP_VNODES ended ones back, and every ended one before it. */
	return exec_stmt(s, "DELETE FROM processes WHERE vnode <= (SELECT id FROM vnodes WHERE state IN "
			 ENDED " ORDER BY id DESC LIMIT 1 OFFSET $1) AND vnode IN (SELECT id FROM vnodes"
			 " WHERE state IN " ENDED ")", 1, p);
}

/* ---- regions ------------------------------------------------------------------------ */

static int insert_region(struct dbstate *s, uint32_t vnode, uint64_t as_id, int mnode,
			 const struct dbs_region *r)
{
	struct db_stmt *st;
	int rc = db_prepare(s->db, "INSERT INTO regions (vnode, as_id, start_addr, end_addr, prot, mnode,"
			    " flags, kind, file_node, file_ino) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			    &st);

	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, vnode);
	db_bind_i64(st, 2, (int64_t)as_id);
	db_bind_i64(st, 3, (int64_t)r->start);
	db_bind_i64(st, 4, (int64_t)r->end);
	db_bind_i64(st, 5, r->prot);
	db_bind_i64(st, 6, mnode);
	db_bind_i64(st, 7, r->flags);
	db_bind_text(st, 8, r->file ? "file" : "anon");
	if (r->file) {
		db_bind_i64(st, 9, r->file_node);
		db_bind_i64(st, 10, r->file_ino);
	} else {
		db_bind_text(st, 9, NULL);
		db_bind_text(st, 10, NULL);
	}
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

/* Regions must be sorted, disjoint, non-empty and in the user half (node input is not trusted). */
static int regions_valid(const struct dbs_region *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (r[i].start >= r[i].end || r[i].end > DBS_USER_TOP || (i && r[i].start < r[i - 1].end))
			return 0;
	}
	return 1;
}

int dbstate_space_report(struct dbstate *s, int mnode, const struct dbs_space *sp,
			 const struct dbs_region *r, int n)
{
	int64_t p[3] = { sp->vnode, (int64_t)sp->as_id, mnode }, known;
	struct db_stmt *st;
	char detail[256];
	int rc;

	if (n < 0 || (sp->gone && n) || !regions_valid(r, n) || sp->as_id > (uint64_t)INT64_MAX)
		return -EINVAL;
	rc = dbs_begin(s);
	if (rc < 0)
		return rc;
	rc = db_prepare(s->db, "SELECT COUNT(*) FROM vnodes WHERE id = $1", &st);
	if (rc < 0)
		goto fail;
	db_bind_i64(st, 1, sp->vnode);
	rc = db_step(st);
	known = rc == DB_ROW ? db_col_i64(st, 0) : 0;
	db_finalize(st);
	if (rc < 0)
		goto fail;
	if (!known) {
		rc = -ENOENT;
		goto fail;
	}
	/* The space's rows on this memory node go; a live space's come back as reported. */
	rc = exec_stmt(s, "DELETE FROM regions WHERE vnode = $1 AND as_id = $2 AND mnode = $3", 3, p);
	for (int i = 0; rc == 0 && i < n; i++)
		rc = insert_region(s, sp->vnode, sp->as_id, mnode, &r[i]);
	if (rc < 0)
		goto fail;
	if (sp->gone)
		snprintf(detail, sizeof(detail), "{\"vnode\":%u,\"as_id\":%llu,\"mnode\":%d}", sp->vnode,
			 (unsigned long long)sp->as_id, mnode);
	else
		snprintf(detail, sizeof(detail), "{\"vnode\":%u,\"as_id\":%llu,\"mnode\":%d,\"regions\":%d,"
			 "\"mapped_bytes\":%llu%s}", sp->vnode, (unsigned long long)sp->as_id, mnode, n,
			 (unsigned long long)sp->mapped_bytes, sp->truncated ? ",\"truncated\":true" : "");
	rc = dbs_event_insert(s, mnode, sp->gone ? "space-gone" : "space-regions", detail);
	if (rc < 0)
		goto fail;
	return dbs_commit(s);
fail:
	dbs_rollback(s);
	return rc;
}

/* ---- pools -------------------------------------------------------------------------- */

/* One pool row's measurement; -ENOENT if the row is not there. */
static int pool_update(struct dbstate *s, int node, const char *kind, uint64_t capacity, uint64_t used,
		       uint32_t spaces, const char *ts)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(s->db, "UPDATE pools SET capacity_bytes = $2, used_bytes = $3, spaces = $4,"
			" reported_at = $5 WHERE node = $1 AND kind = $6 RETURNING id", &st);
	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, node);
	db_bind_i64(st, 2, (int64_t)capacity);
	db_bind_i64(st, 3, (int64_t)used);
	db_bind_i64(st, 4, spaces);
	db_bind_text(st, 5, ts);
	db_bind_text(st, 6, kind);
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = db_step(st) < 0 ? -EIO : 0;
	else if (rc == DB_DONE)
		rc = -ENOENT;
	db_finalize(st);
	return rc;
}

/* Make or drop node's 'cxl' row (ids are MAX + 1, as everywhere in gmmd's tables). */
static int pool_cxl_row(struct dbstate *s, int node, int present)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(s->db, present ?
			"INSERT INTO pools (id, node, kind, capacity_bytes, used_bytes, latency_class)"
			" SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM pools), $1, 'cxl', 0, 0, $2"
			" WHERE NOT EXISTS (SELECT 1 FROM pools WHERE node = $1 AND kind = 'cxl')" :
			"DELETE FROM pools WHERE node = $1 AND kind = 'cxl' AND $2 = $2", &st);
	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, node);
	db_bind_i64(st, 2, DBS_CXL_LATENCY_NS);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

int dbstate_pool_report(struct dbstate *s, int node, uint64_t capacity, uint64_t used,
			uint32_t spaces, uint64_t cxl_capacity, uint64_t cxl_used)
{
	char ts[DBS_TS_LEN];
	int rc;

	if (capacity > (uint64_t)INT64_MAX || used > (uint64_t)INT64_MAX ||
	    cxl_capacity > (uint64_t)INT64_MAX || cxl_used > cxl_capacity)
		return -EINVAL;
	dbstate_now_iso(ts);
	rc = dbs_begin(s);
	if (rc < 0)
		return rc;
	rc = pool_update(s, node, "dram", capacity, used, spaces, ts);
	if (rc == 0)
		rc = pool_cxl_row(s, node, cxl_capacity > 0);
	if (rc == 0 && cxl_capacity > 0)
		rc = pool_update(s, node, "cxl", cxl_capacity, cxl_used, spaces, ts);
	if (rc < 0) {
		dbs_rollback(s);
		return rc;
	}
	return dbs_commit(s);
}
