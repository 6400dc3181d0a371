/*
 * dbstate/dbstate.h - the cluster's state tables as seen by gmmd: nodes, the
 * append-only event log and cluster settings. Every state change is one
 * transaction that writes the row(s) and appends its event, so the log is
 * exactly the history of the tables ("who was node 3 at time T" is a query).
 * All calls return 0 or a negative errno; dbstate_errmsg() says why.
 */
#ifndef DBSTATE_DBSTATE_H
#define DBSTATE_DBSTATE_H

#include <stddef.h>
#include <stdint.h>

struct dbstate;

#define DBS_TS_LEN 32           /* "2024-01-31T12:34:56.789Z" + NUL, with room */

/* One row of nodes. Strings are NUL-terminated. */
struct dbs_node {
	int      id;                   /* 1..4095 */
	char     name[16];
	char     role[16];             /* process | memory | storage */
	char     state[16];            /* joining | up | dead | left */
	char     mac[18];              /* aa:bb:cc:dd:ee:ff */
	uint64_t mem_bytes;
	uint64_t caps;
	char     transport[8];         /* net | cxl */
	uint64_t boot_nonce;
	char     joined_at[DBS_TS_LEN];
	char     last_heartbeat[DBS_TS_LEN];   /* "" if never */
	int64_t  incarnation;
};

/* Open path (creating and migrating it as needed); err gets a one-line reason. */
int  dbstate_open(struct dbstate **out, const char *path, char *err, size_t errlen);
void dbstate_close(struct dbstate *s);
const char *dbstate_errmsg(struct dbstate *s);

/* Random 53-bit id created with the database, stable for its lifetime. */
uint64_t dbstate_cluster_id(const struct dbstate *s);
int dbstate_schema_version(struct dbstate *s);

/*
 * One transaction: insert or replace node n's row, append event kind with
 * detail (a JSON object text, NULL = "{}").
 */
int dbstate_node_write(struct dbstate *s, const struct dbs_node *n,
		       const char *kind, const char *detail);

/* One transaction: set node id's state, append event. -ENOENT if no such node. */
int dbstate_node_set_state(struct dbstate *s, int id, const char *state,
			   const char *kind, const char *detail);

/* Record the time of a heartbeat (no event: liveness is not a state change). */
int dbstate_node_heartbeat(struct dbstate *s, int id, const char *ts);

/* -ENOENT if no such node. */
int dbstate_node_get(struct dbstate *s, int id, struct dbs_node *out);

/* Call fn for every node in id order; a nonzero return from fn stops and is returned. */
int dbstate_node_foreach(struct dbstate *s, int (*fn)(void *arg, const struct dbs_node *n),
			 void *arg);

/* Append a cluster event in its own transaction; node_id < 0 means none. */
int dbstate_event_append(struct dbstate *s, int node_id, const char *kind, const char *detail);

/* Current UTC time as ISO 8601 with milliseconds. */
void dbstate_now_iso(char ts[DBS_TS_LEN]);

/* ---- memory pools and vNodes (vnodes.c) ------------------------------------------- */

/*
 * A memory node's pool row is written with its join, in the same transaction
 * (capacity = mem_bytes; a new boot starts with used_bytes 0). This records
 * what a memory node reports as in use.
 */
int dbstate_pool_set_used(struct dbstate *s, int node, uint64_t used);

/* Where a new vNode runs. */
struct dbs_placement {
	int      want_pnode;           /* in: 0 = the least loaded up process node */
	uint32_t vnode;                /* out: the new vNode's id */
	int      pnode, mnode, snode;  /* out */
	char     why[96];              /* out, with -EAGAIN: "no memory node is up", ... */
};

/*
 * One transaction: pick the process node (want_pnode, else the up one with
 * the fewest live vNodes), the home memory node (up, most free pool capacity,
 * then fewest homed vNodes) and the storage node (first up), insert the vnodes
 * row ('starting'), append 'vnode-start'. argv_json is a JSON array text.
 * -EAGAIN with pl->why when a node of some role is missing.
 */
int dbstate_vnode_create(struct dbstate *s, const char *argv_json, uint64_t excache_bytes,
			 struct dbs_placement *pl);
/* starting -> running; the first process's row; event 'vnode-running'. */
int dbstate_vnode_running(struct dbstate *s, uint32_t vnode, uint32_t pid, const char *comm);
/*
 * A live vNode ended: 'exited' with its wait status (and the ExCache size it
 * had, 0 = keep the row's) or 'failed'; its processes end too; event
 * 'vnode-exit' / 'vnode-failed' with detail (JSON object text). -ENOENT if the
 * vNode is unknown or already ended.
 */
int dbstate_vnode_exited(struct dbstate *s, uint32_t vnode, int wait_status,
			 uint64_t excache_bytes, const char *detail);
int dbstate_vnode_failed(struct dbstate *s, uint32_t vnode, const char *detail);
/* Every live vNode -> failed with reason (gmmd restarted: nobody relays them). Returns how many. */
int dbstate_vnode_fail_live(struct dbstate *s, const char *reason);

struct dbs_vnode {
	uint32_t id;
	int      pnode, mnode, snode;
	char     state[16];            /* starting | running | exited | failed */
	uint64_t excache_bytes;
	int      exited;               /* wait_status is set */
	int      wait_status;
};
int dbstate_vnode_get(struct dbstate *s, uint32_t vnode, struct dbs_vnode *out);

/* ---- reports of process and memory nodes (reports.c) ------------------------------ */

/*
 * Exited processes keep their rows: per vNode its first process and the
 * newest DBS_PROCS_KEEP_EXITED exited others; and only for the newest
 * DBS_PROCS_KEEP_VNODES ended vNodes (older ones lose their process rows
 * when another vNode ends). The 'procs' events keep every change.
 */
#define DBS_PROCS_KEEP_EXITED 256
#define DBS_PROCS_KEEP_VNODES 1000
#define DBS_PROCS_MAX_BATCH   128
#define DBS_USER_TOP          0x800000000000ull   /* regions lie below 2^47 */

enum { DBS_PROC_FORK = 1, DBS_PROC_EXEC = 2, DBS_PROC_EXIT = 3 };

struct dbs_proc_change {
	uint32_t vnode;
	uint32_t pid, ppid;
	int      what;                 /* DBS_PROC_* */
	int      wait_status;          /* DBS_PROC_EXIT */
	uint64_t as_id;                /* 0 = none */
	int      mnode;                /* home memory node of as_id, 0 = unknown */
	char     comm[17];
	char     cmdline[65];
};

struct dbs_procs_result {
	int applied;
	int skipped;                   /* of vNodes unknown or not on this process node */
};

/*
 * One transaction: apply process node pnode's changes c[0..n) in order
 * (upserts of the processes rows: fork inserts, exec sets comm, cmdline and
 * the address space, exit marks exited with the status; an exited row stays
 * exited), end what is left of vNodes that have ended, prune exited rows,
 * and append one 'procs' event (node_id pnode) listing the changes and
 * lost (changes the node could not queue). n <= DBS_PROCS_MAX_BATCH.
 */
int dbstate_procs_apply(struct dbstate *s, int pnode, const struct dbs_proc_change *c, int n,
			uint32_t lost, struct dbs_procs_result *res);

struct dbs_region {
	uint64_t start, end;           /* [start, end) */
	uint32_t prot, flags;
	int      file;                 /* 0 anon, 1 file-backed */
	int      file_node;
	uint32_t file_ino;
};

struct dbs_space {
	uint64_t as_id;
	uint32_t vnode;
	int      gone;                 /* destroyed: its rows go */
	int      truncated;            /* more regions than reported */
	uint64_t mapped_bytes;
};

/*
 * One transaction: the regions rows of space sp on memory node mnode become
 * r[0..n) (none if gone), with event 'space-regions' or 'space-gone'
 * (node_id mnode). -ENOENT if the vNode is unknown (nothing written),
 * -EINVAL if the regions are not sorted, disjoint and below DBS_USER_TOP.
 */
int dbstate_space_report(struct dbstate *s, int mnode, const struct dbs_space *sp,
			 const struct dbs_region *r, int n);

/*
 * What memory node node's pools hold now, in one transaction: its own
 * memory ('dram': capacity, used bytes, spaces) and its pool windows shared
 * with process nodes ('cxl', DBS_CXL_LATENCY_NS; the row is made on the first
 * report with cxl_capacity > 0 and removed when a report has none), with the
 * time (no event: a measurement, like a heartbeat). -ENOENT if it has no pool.
 */
#define DBS_CXL_LATENCY_NS 3000   /* a 4 KiB page copied out of a window under TCG: 2-4 us */
int dbstate_pool_report(struct dbstate *s, int node, uint64_t capacity, uint64_t used,
			uint32_t spaces, uint64_t cxl_capacity, uint64_t cxl_used);

#endif
