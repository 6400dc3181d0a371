/*
 * dbstate/state_priv.h - what the dbstate files share and nobody else sees.
 */
#ifndef DBSTATE_STATE_PRIV_H
#define DBSTATE_STATE_PRIV_H

#include "db.h"
#include "dbstate.h"

struct dbstate {
	struct db *db;
	uint64_t   cluster_id;
	int64_t    txn;          /* number of the open transaction, 0 if none */
};

/* Begin/commit/rollback a state-change transaction (numbers its events). */
int dbs_begin(struct dbstate *s);
int dbs_commit(struct dbstate *s);
void dbs_rollback(struct dbstate *s);

/* Append an event inside the open transaction. */
int dbs_event_insert(struct dbstate *s, int node_id, const char *kind, const char *detail);

/* Inside a node's join transaction: its pool row (fresh = a new boot: used_bytes 0). */
int dbs_pool_sync(struct dbstate *s, int node, uint64_t capacity, int fresh);

/* Inside a vNode's end: process rows of all but the newest DBS_PROCS_KEEP_VNODES ended vNodes go. */
int dbs_procs_prune_ended(struct dbstate *s);

#endif
