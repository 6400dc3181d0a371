/*
 * dbstate/nodes.c - the nodes table and the event log. Each exported call
 * that changes state is one transaction: row change + event, or nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state_priv.h"

int dbs_event_insert(struct dbstate *s, int node_id, const char *kind, const char *detail)
{
	struct db_stmt *st;
	char ts[DBS_TS_LEN];
	int rc;

	dbstate_now_iso(ts);
	rc = db_prepare(s->db, "INSERT INTO events (ts, txn, node_id, kind, detail)"
			" VALUES ($1, $2, $3, $4, $5)", &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, ts);
	db_bind_i64(st, 2, s->txn);
	if (node_id >= 0)
		db_bind_i64(st, 3, node_id);
	else
		db_bind_text(st, 3, NULL);
	db_bind_text(st, 4, kind);
	db_bind_text(st, 5, detail ? detail : "{}");
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

static int upsert_node(struct dbstate *s, const struct dbs_node *n)
{
	struct db_stmt *st;
	char nonce[20];
	int rc;

	rc = db_prepare(s->db,
		"INSERT INTO nodes (id, name, role, state, mac, mem_bytes, caps, transport,"
		" boot_nonce, joined_at, last_heartbeat, incarnation)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
		" ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,"
		" state = excluded.state, mac = excluded.mac, mem_bytes = excluded.mem_bytes,"
		" caps = excluded.caps, transport = excluded.transport,"
		" boot_nonce = excluded.boot_nonce, joined_at = excluded.joined_at,"
		" last_heartbeat = excluded.last_heartbeat, incarnation = excluded.incarnation",
		&st);
	if (rc < 0)
		return rc;
	snprintf(nonce, sizeof(nonce), "%016llx", (unsigned long long)n->boot_nonce);
	db_bind_i64(st, 1, n->id);
	db_bind_text(st, 2, n->name);
	db_bind_text(st, 3, n->role);
	db_bind_text(st, 4, n->state);
	db_bind_text(st, 5, n->mac);
	db_bind_i64(st, 6, (int64_t)n->mem_bytes);
	db_bind_i64(st, 7, (int64_t)n->caps);
	db_bind_text(st, 8, n->transport[0] ? n->transport : "net");
	db_bind_text(st, 9, nonce);
	db_bind_text(st, 10, n->joined_at);
	db_bind_text(st, 11, n->last_heartbeat[0] ? n->last_heartbeat : NULL);
	db_bind_i64(st, 12, n->incarnation);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

int dbstate_node_write(struct dbstate *s, const struct dbs_node *n,
		       const char *kind, const char *detail)
{
	int rc = dbs_begin(s);

	if (rc < 0)
		return rc;
	rc = upsert_node(s, n);
	if (rc == 0 && strcmp(n->role, "memory") == 0)
		rc = dbs_pool_sync(s, n->id, n->mem_bytes, strcmp(kind, "up") != 0);
	if (rc == 0)
		rc = dbs_event_insert(s, n->id, kind, detail);
	if (rc < 0) {
		dbs_rollback(s);
		return rc;
	}
	return dbs_commit(s);
}

static int update_state(struct dbstate *s, int id, const char *state)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(s->db, "UPDATE nodes SET state = $1 WHERE id = $2 RETURNING id", &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, state);
	db_bind_i64(st, 2, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = db_step(st) < 0 ? -EIO : 0;
	else if (rc == DB_DONE)
		rc = -ENOENT;
	db_finalize(st);
	return rc;
}

int dbstate_node_set_state(struct dbstate *s, int id, const char *state,
			   const char *kind, const char *detail)
{
	int rc = dbs_begin(s);

	if (rc < 0)
		return rc;
	rc = update_state(s, id, state);
	if (rc == 0)
		rc = dbs_event_insert(s, id, kind, detail);
	if (rc < 0) {
		dbs_rollback(s);
		return rc;
	}
	return dbs_commit(s);
}

int dbstate_node_heartbeat(struct dbstate *s, int id, const char *ts)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(s->db, "UPDATE nodes SET last_heartbeat = $1 WHERE id = $2", &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, ts);
	db_bind_i64(st, 2, id);
	rc = db_step(st);
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

int dbstate_event_append(struct dbstate *s, int node_id, const char *kind, const char *detail)
{
	int rc = dbs_begin(s);

	if (rc < 0)
		return rc;
	rc = dbs_event_insert(s, node_id, kind, detail);
	if (rc < 0) {
		dbs_rollback(s);
		return rc;
	}
	return dbs_commit(s);
}

#define NODE_COLUMNS "id, name, role, state, mac, mem_bytes, caps, transport, boot_nonce," \
		     " joined_at, last_heartbeat, incarnation"

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static void node_from_row(struct db_stmt *st, struct dbs_node *n)
{
	memset(n, 0, sizeof(*n));
	n->id = (int)db_col_i64(st, 0);
	copy_text(n->name, sizeof(n->name), db_col_text(st, 1));
	copy_text(n->role, sizeof(n->role), db_col_text(st, 2));
	copy_text(n->state, sizeof(n->state), db_col_text(st, 3));
	copy_text(n->mac, sizeof(n->mac), db_col_text(st, 4));
	n->mem_bytes = (uint64_t)db_col_i64(st, 5);
	n->caps = (uint64_t)db_col_i64(st, 6);
	copy_text(n->transport, sizeof(n->transport), db_col_text(st, 7));
	n->boot_nonce = strtoull(db_col_text(st, 8), NULL, 16);
	copy_text(n->joined_at, sizeof(n->joined_at), db_col_text(st, 9));
	copy_text(n->last_heartbeat, sizeof(n->last_heartbeat), db_col_text(st, 10));
	n->incarnation = db_col_i64(st, 11);
}

int dbstate_node_get(struct dbstate *s, int id, struct dbs_node *out)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(s->db, "SELECT " NODE_COLUMNS " FROM nodes WHERE id = $1", &st);
	if (rc < 0)
		return rc;
	db_bind_i64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		node_from_row(st, out);
		rc = 0;
	} else if (rc == DB_DONE) {
		rc = -ENOENT;
	}
	db_finalize(st);
	return rc;
}

int dbstate_node_foreach(struct dbstate *s, int (*fn)(void *arg, const struct dbs_node *n),
			 void *arg)
{
	struct db_stmt *st;
	struct dbs_node n;
	int rc;

	rc = db_prepare(s->db, "SELECT " NODE_COLUMNS " FROM nodes ORDER BY id", &st);
	if (rc < 0)
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		node_from_row(st, &n);
		rc = fn(arg, &n);
		if (rc)
			break;
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : rc;
}
