/*
 * gmm/join_rules.c - membership rules for JOIN (see join_rules.h). No I/O:
 * members.c records what these decide.
 */
#include <string.h>
#include "join_rules.h"

static int name_ok(const char name[16])
{
	size_t n = strnlen(name, 16);

	if (n > 15)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	for (size_t i = n; i < 16; i++)      /* NUL-padded */
		if (name[i])
			return 0;
	return 1;
}

const char *join_invalid(const struct fab_join_req *rq)
{
	if (rq->role != FAB_ROLE_PROCESS && rq->role != FAB_ROLE_MEMORY &&
	    rq->role != FAB_ROLE_STORAGE)
		return "bad role";
	if (rq->transport != FAB_TRANSPORT_NET && rq->transport != FAB_TRANSPORT_CXL)
		return "bad transport";
	if (rq->want_id != FAB_NODE_NONE && (rq->want_id < 1 || rq->want_id > FAB_NODE_MAX))
		return "bad node id";
	if (!name_ok(rq->name))
		return "bad name";
	return NULL;
}

int join_pick_id(const struct member *node, const struct fab_join_req *rq, const uint8_t src[6])
{
	int same_mac = 0;

	if (rq->want_id != FAB_NODE_NONE)
		return rq->want_id;
	for (int id = 1; id <= (int)FAB_NODE_MAX; id++) {
		const struct member *m = &node[id];

		if (!m->known || memcmp(m->mac, src, 6) != 0)
			continue;
		if (m->row.boot_nonce == rq->boot_nonce)
			return id;                  /* a retry of this boot */
		if (!same_mac)
			same_mac = id;              /* this NIC's id from an earlier boot */
	}
	if (same_mac)
		return same_mac;
	for (int id = 1; id <= (int)FAB_NODE_MAX; id++)
		if (!node[id].known || strcmp(node[id].row.state, "left") == 0)
			return id;
	return 0;
}

enum join_verdict join_decide(const struct member *m, const struct fab_join_req *rq,
			      const uint8_t src[6], uint64_t now_ns, uint64_t dead_after_ns)
{
	int up = strcmp(m->row.state, "up") == 0;

	if (!m->known)
		return JOIN_NEW;
	if (m->row.boot_nonce == rq->boot_nonce && memcmp(m->mac, src, 6) == 0)
		return up ? JOIN_RETRY : JOIN_UP_AGAIN;
	/*
	 * A new boot behind the same NIC is that node rebooting: take it back at
	 * once. Another NIC claiming the id waits until the holder has gone silent.
	 */
	if (memcmp(m->mac, src, 6) != 0 && up && m->last_seen_ns &&
	    now_ns - m->last_seen_ns < dead_after_ns)
		return JOIN_IN_USE;
	return JOIN_REJOIN;
}
