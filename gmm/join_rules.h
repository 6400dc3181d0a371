/*
 * gmm/join_rules.h - who may join as which node id: the membership rules of
 * docs/interfaces.md as pure functions over the in-memory node table, so they
 * can be tested without a fabric or a database (tests/unit/test_gmm_join.c).
 */
#ifndef GMM_JOIN_RULES_H
#define GMM_JOIN_RULES_H

#include <stdint.h>
#include <tessera/wire.h>
#include "dbstate/dbstate.h"

/* gmmd's view of one node id. */
struct member {
	int      known;              /* has a row in nodes */
	struct dbs_node row;         /* mirror of the row */
	uint8_t  mac[6];             /* where it is: eth source of its latest frame */
	uint64_t last_seen_ns;       /* monotonic; 0 = not heard since gmmd started */
	uint64_t last_db_hb_ns;
	uint32_t hb_seq;
	uint64_t heartbeats;
	struct fab_stats stats;
};

enum join_verdict {
	JOIN_NEW,          /* first join of this id: insert, event 'join' */
	JOIN_RETRY,        /* same boot already up: same answer, nothing recorded */
	JOIN_UP_AGAIN,     /* same boot, was dead or left: event 'up' */
	JOIN_REJOIN,       /* new boot (or NIC) for a silent id: event 'rejoin' */
	JOIN_IN_USE,       /* refused: -EADDRINUSE */
};

/* NULL if the request is well-formed, else why not (-EINVAL). */
const char *join_invalid(const struct fab_join_req *rq);

/*
 * The id a join gets: want_id, else the id of this MAC + boot (a retry), else
 * this MAC's id from an earlier boot, else the lowest id never used or left.
 * node[] has FAB_NODE_MAX + 1 entries. 0 if none is free.
 */
int join_pick_id(const struct member *node, const struct fab_join_req *rq, const uint8_t src[6]);

/* What a join from src (Ethernet source) for member m means at time now. */
enum join_verdict join_decide(const struct member *m, const struct fab_join_req *rq,
			      const uint8_t src[6], uint64_t now_ns, uint64_t dead_after_ns);

#endif
