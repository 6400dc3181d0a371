/*
 * gmm/members.c - cluster membership: admitting nodes (JOIN), tracking their
 * heartbeats, and the failure detector. The in-memory table mirrors the nodes
 * table; it changes only after the database transaction (row + event) commits.
 * The join rules themselves are in join_rules.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gmmd.h"

#define MS 1000000ull

static const char *transport_name(unsigned t)
{
	return t == FAB_TRANSPORT_NET ? "net" : t == FAB_TRANSPORT_CXL ? "cxl" : NULL;
}

static void mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6] = { 0 };

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6)
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)v[i];
}

static int load_one(void *arg, const struct dbs_node *row)
{
	struct gmmd *g = arg;
	struct member *m;

	if (row->id < 1 || row->id > (int)FAB_NODE_MAX)
		return 0;
	m = &g->node[row->id];
	memset(m, 0, sizeof(*m));
	m->known = 1;
	m->row = *row;
	mac_parse(row->mac, m->mac);
	return 0;
}

int members_load(struct gmmd *g)
{
	uint64_t now = gmm_now_ns();
	int rc = dbstate_node_foreach(g->db, load_one, g);
	int up = 0;

	if (rc < 0)
		return rc;
	/* Nodes that were up keep running while gmmd restarts: give them dead-after to be heard. */
	for (int id = 1; id <= (int)FAB_NODE_MAX; id++) {
		struct member *m = &g->node[id];

		if (m->known && strcmp(m->row.state, "up") == 0) {
			m->last_seen_ns = now;
			m->last_db_hb_ns = now;
			up++;
		}
	}
	return up;
}

/* ---- join ------------------------------------------------------------------- */

static void fill_row(struct dbs_node *r, int id, const struct fab_join_req *rq,
		     const uint8_t src[6])
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	memcpy(r->name, rq->name, 15);
	snprintf(r->role, sizeof(r->role), "%s", fab_role_name(rq->role));
	snprintf(r->state, sizeof(r->state), "up");
	gmm_mac_str(src, r->mac);
	r->mem_bytes = rq->mem_bytes;
	r->caps = rq->caps;
	snprintf(r->transport, sizeof(r->transport), "%s", transport_name(rq->transport));
	r->boot_nonce = rq->boot_nonce;
	dbstate_now_iso(r->joined_at);
	r->incarnation = 1;
}

static char *nonce_hex(uint64_t v, char buf[17])
{
	snprintf(buf, 17, "%016llx", (unsigned long long)v);
	return buf;
}

/*
 * Decide and record. Returns 0 with *id set, or a negative errno for the reply.
 * *kind is the event written ("" when nothing changed).
 */
static int admit(struct gmmd *g, const struct fab_join_req *rq, const uint8_t src[6],
		 uint64_t now, int *id_out, const char **kind, uint64_t *old_nonce)
{
	struct dbs_node row;
	struct member *m;
	char a[17], b[17], macs[18];
	json_t *detail;
	char *text;
	int id, rc;

	*kind = "";
	id = join_pick_id(g->node, rq, src);
	if (!id)
		return -ENOSPC;
	*id_out = id;
	m = &g->node[id];
	*old_nonce = m->row.boot_nonce;
	fill_row(&row, id, rq, src);
	gmm_mac_str(src, macs);
	switch (join_decide(m, rq, src, now, (uint64_t)g->cfg.dead_after_ms * MS)) {
	case JOIN_NEW:
		*kind = "join";
		detail = json_pack("{s:s, s:s, s:s, s:I, s:s}", "mac", macs, "role", row.role,
				   "boot_nonce", nonce_hex(rq->boot_nonce, a),
				   "mem_bytes", (json_int_t)rq->mem_bytes,
				   "want_id", rq->want_id == FAB_NODE_NONE ? "auto" : "given");
		break;
	case JOIN_RETRY:
		m->last_seen_ns = now;
		return 0;
	case JOIN_UP_AGAIN:
		*kind = "up";
		row.incarnation = m->row.incarnation;
		snprintf(row.joined_at, sizeof(row.joined_at), "%s", m->row.joined_at);
		detail = json_pack("{s:s}", "from", m->row.state);
		break;
	case JOIN_IN_USE:
		return -EADDRINUSE;
	case JOIN_REJOIN:
	default:
		*kind = "rejoin";
		row.incarnation = m->row.incarnation + 1;
		detail = json_pack("{s:s, s:s, s:s, s:s, s:s}", "old_nonce",
				   nonce_hex(m->row.boot_nonce, a), "new_nonce",
				   nonce_hex(rq->boot_nonce, b), "old_state", m->row.state,
				   "old_mac", m->row.mac, "new_mac", macs);
		break;
	}
	text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	rc = dbstate_node_write(g->db, &row, *kind, text);
	free(text);
	if (rc < 0) {
		g->n.db_errors++;
		gmm_log("node %d: cannot record %s: %s", id, *kind, dbstate_errmsg(g->db));
		return -EIO;
	}
	memset(m, 0, sizeof(*m));
	m->known = 1;
	m->row = row;
	memcpy(m->mac, src, 6);
	m->last_seen_ns = now;
	m->last_db_hb_ns = now;
	return 0;
}

static void log_join(struct gmmd *g, int id, const char *kind, uint64_t old_nonce)
{
	const struct member *m = &g->node[id];
	char a[17], b[17];

	if (strcmp(kind, "join") == 0)
		gmm_log("node %d joined: %s%s%s, mac %s, %llu MiB, boot %s", id, m->row.role,
			m->row.name[0] ? " " : "", m->row.name, m->row.mac,
			(unsigned long long)(m->row.mem_bytes >> 20), nonce_hex(m->row.boot_nonce, a));
	else if (strcmp(kind, "rejoin") == 0)
		gmm_log("node %d rejoined: %s%s%s, mac %s, new boot %s (was %s), incarnation %lld",
			id, m->row.role, m->row.name[0] ? " " : "", m->row.name, m->row.mac,
			nonce_hex(m->row.boot_nonce, a), nonce_hex(old_nonce, b),
			(long long)m->row.incarnation);
	else if (strcmp(kind, "up") == 0)
		gmm_log("node %d is up again (same boot %s)", id, nonce_hex(m->row.boot_nonce, a));
}

void members_on_join(struct gmmd *g, const struct fab_view *v, uint64_t now)
{
	const struct fab_join_req *rq = v->payload;
	struct fab_join_reply rep = { 0 };
	const char *why = join_invalid(rq), *kind = "";
	uint64_t old_nonce = 0;
	const char *note;
	char macs[18];
	int id = 0, status;

	gmm_mac_str(v->eth->src, macs);
	if (why) {
		status = -EINVAL;
	} else {
		status = admit(g, rq, v->eth->src, now, &id, &kind, &old_nonce);
		if (status == -EADDRINUSE)
			why = "id in use by a live node";
		else if (status == -ENOSPC)
			why = "no free node id";
		else if (status < 0)
			why = "database error";
	}
	if (status == 0) {
		if (kind[0]) {
			if (strcmp(kind, "rejoin") == 0)
				g->n.rejoins++;
			else
				g->n.joins++;
			log_join(g, id, kind, old_nonce);
		}
		rep.node_id = (uint16_t)id;
		rep.hb_interval_ms = g->cfg.hb_ms;
		rep.dead_after_ms = g->cfg.dead_after_ms;
		rep.cluster_id = dbstate_cluster_id(g->db);
		endpoint_send(g, v->eth->src, FAB_T_REPLY, FAB_OP_JOIN, v->hdr->src, 0,
			      v->hdr->req_id, &rep, sizeof(rep));
		return;
	}
	g->n.joins_refused++;
	if ((note = gmm_ratelimit(&g->rl_refused, now))) {
		if (rq->want_id != FAB_NODE_NONE)
			gmm_log("join of node %u from %s refused: %s%s", rq->want_id, macs, why, note);
		else
			gmm_log("join from %s refused: %s%s", macs, why, note);
	}
	endpoint_send(g, v->eth->src, FAB_T_REPLY, FAB_OP_JOIN, v->hdr->src, status,
		      v->hdr->req_id, NULL, 0);
}

/* ---- heartbeats and failure detection -------------------------------------- */

void members_on_heartbeat(struct gmmd *g, const struct fab_view *v, uint64_t now)
{
	const struct fab_heartbeat *hb = v->payload;
	uint16_t id = v->hdr->src;
	struct member *m = id >= 1 && id <= FAB_NODE_MAX ? &g->node[id] : NULL;
	const char *note;

	if (v->hdr->type != FAB_T_ONEWAY) {
		g->n.rx_dropped++;
		return;
	}
	g->n.heartbeats++;
	if (!m || !m->known || strcmp(m->row.state, "up") != 0 ||
	    m->row.boot_nonce != hb->boot_nonce) {
		/* Unknown to us, declared dead, or an older boot: tell it to join again. */
		g->n.rejoin_sent++;
		if ((note = gmm_ratelimit(&g->rl_rejoin, now)))
			gmm_log("heartbeat from node %u (%s): %s; asked it to rejoin"
				"%s", id,
				m && m->known ? m->row.state : "unknown",
				m && m->known && m->row.boot_nonce != hb->boot_nonce ?
				"different boot" : "not up", note);
		endpoint_send(g, v->eth->src, FAB_T_ONEWAY, FAB_OP_REJOIN, id, 0, 0, NULL, 0);
		return;
	}
	memcpy(m->mac, v->eth->src, 6);
	m->last_seen_ns = now;
	m->hb_seq = hb->seq;
	m->heartbeats++;
	m->stats = hb->stats;
	if (now - m->last_db_hb_ns >= (uint64_t)GMM_DB_HB_MIN_MS * MS) {
		char ts[DBS_TS_LEN];

		dbstate_now_iso(ts);
		m->last_db_hb_ns = now;
		if (dbstate_node_heartbeat(g->db, id, ts) < 0) {
			g->n.db_errors++;
			if ((note = gmm_ratelimit(&g->rl_db, now)))
				gmm_log("node %u: cannot record heartbeat: %s%s", id,
					dbstate_errmsg(g->db), note);
		} else {
			snprintf(m->row.last_heartbeat, sizeof(m->row.last_heartbeat), "%s", ts);
		}
	}
}

void members_check(struct gmmd *g, uint64_t now)
{
	uint64_t limit = (uint64_t)g->cfg.dead_after_ms * MS;

	for (int id = 1; id <= (int)FAB_NODE_MAX; id++) {
		struct member *m = &g->node[id];
		uint64_t ago;
		char detail[64];

		/* now may predate a frame received in the same loop pass: not "ago" at all. */
		if (!m->known || strcmp(m->row.state, "up") != 0 || m->last_seen_ns >= now ||
		    now - m->last_seen_ns <= limit)
			continue;
		ago = (now - m->last_seen_ns) / MS;
		snprintf(detail, sizeof(detail), "{\"last_seen_ms_ago\":%llu}", (unsigned long long)ago);
		if (dbstate_node_set_state(g->db, id, "dead", "dead", detail) < 0) {
			const char *note;

			g->n.db_errors++;       /* stays up in memory; tried again next check */
			if ((note = gmm_ratelimit(&g->rl_db, now)))
				gmm_log("node %d: cannot record its death: %s%s", id,
					dbstate_errmsg(g->db), note);
			continue;
		}
		snprintf(m->row.state, sizeof(m->row.state), "dead");
		g->n.deaths++;
		gmm_log("node %d%s%s is dead: last heard %llu ms ago", id, m->row.name[0] ? " " : "",
			m->row.name, (unsigned long long)ago);
	}
}

void members_all_left(struct gmmd *g, const char *reason)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "{\"reason\":\"%.64s\"}", reason);
	for (int id = 1; id <= (int)FAB_NODE_MAX; id++) {
		struct member *m = &g->node[id];

		if (!m->known || strcmp(m->row.state, "up") != 0)
			continue;
		if (dbstate_node_set_state(g->db, id, "left", "left", detail) < 0) {
			g->n.db_errors++;
			gmm_log("node %d: cannot record that it left: %s", id, dbstate_errmsg(g->db));
			continue;
		}
		snprintf(m->row.state, sizeof(m->row.state), "left");
	}
}

void members_on_resolve(struct gmmd *g, const struct fab_view *v)
{
	const struct fab_resolve_req *rq = v->payload;
	struct fab_resolve_reply rep = { 0 };
	const struct member *m = rq->node_id >= 1 && rq->node_id <= FAB_NODE_MAX ?
				 &g->node[rq->node_id] : NULL;

	g->n.requests_served++;
	if (rq->node_id == FAB_NODE_GMM) {
		memcpy(rep.mac, g->mac, 6);
		rep.role = FAB_ROLE_GMM;
		rep.up = 1;
	} else if (!m || !m->known) {
		endpoint_send(g, v->eth->src, FAB_T_REPLY, FAB_OP_RESOLVE, v->hdr->src, -ENOENT,
			      v->hdr->req_id, NULL, 0);
		return;
	} else {
		memcpy(rep.mac, m->mac, 6);
		rep.role = (uint8_t)fab_role_parse(m->row.role);
		rep.up = strcmp(m->row.state, "up") == 0;
	}
	endpoint_send(g, v->eth->src, FAB_T_REPLY, FAB_OP_RESOLVE, v->hdr->src, 0,
		      v->hdr->req_id, &rep, sizeof(rep));
}
