/*
 * gmm/status.c - what `tess status` shows: the cluster, every node with its
 * latest heartbeat counters, and gmmd's own fabric counters (JSON), plus the
 * same counters as a log line on SIGUSR1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "gmmd.h"

#define U(x) ((json_int_t)(x))

static json_t *stats_json(const struct fab_stats *s)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "uptime_ms", U(s->uptime_ms), "rx_frames", U(s->rx_frames),
			 "tx_frames", U(s->tx_frames), "rx_malformed", U(s->rx_malformed),
			 "rx_dropped", U(s->rx_dropped), "rx_late", U(s->rx_late),
			 "rpc_calls", U(s->rpc_calls), "rpc_retries", U(s->rpc_retries),
			 "rpc_timeouts", U(s->rpc_timeouts), "requests_served", U(s->requests_served),
			 "irqs", U(s->irqs), "heap_used", U(s->heap_used),
			 "frames_free", U(s->frames_free), "frames_total", U(s->frames_total));
}

/* Milliseconds since an ISO 8601 UTC time written by dbstate, or -1. */
static long long ms_since_iso(const char *ts)
{
	struct tm tm = { 0 };
	struct timespec now;
	int ms = 0;

	if (!ts[0] || sscanf(ts, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	clock_gettime(CLOCK_REALTIME, &now);
	return ((long long)now.tv_sec - (long long)timegm(&tm)) * 1000 +
	       now.tv_nsec / 1000000 - ms;
}

static json_t *node_json(const struct member *m, uint64_t now)
{
	char nonce[17];
	long long ago;
	json_t *n;

	snprintf(nonce, sizeof(nonce), "%016llx", (unsigned long long)m->row.boot_nonce);
	if (m->last_seen_ns)
		ago = (long long)((now - m->last_seen_ns) / 1000000ull);
	else
		ago = ms_since_iso(m->row.last_heartbeat[0] ? m->row.last_heartbeat : m->row.joined_at);
	n = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:s, s:s*}",
		      "id", m->row.id, "name", m->row.name, "role", m->row.role,
		      "state", m->row.state, "mac", m->row.mac, "mem_bytes", U(m->row.mem_bytes),
		      "caps", U(m->row.caps), "transport", m->row.transport, "boot_nonce", nonce,
		      "incarnation", U(m->row.incarnation), "joined_at", m->row.joined_at,
		      "last_heartbeat", m->row.last_heartbeat[0] ? m->row.last_heartbeat : NULL);
	json_object_set_new(n, "last_seen_ms_ago", ago >= 0 ? json_integer(ago) : json_null());
	json_object_set_new(n, "heartbeats", json_integer(U(m->heartbeats)));
	json_object_set_new(n, "stats", stats_json(&m->stats));
	return n;
}

static json_t *counters_json(const struct gmmd *g)
{
	const struct gmm_counters *c = &g->n;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:I, s:I}",
			 "rx_frames", U(c->rx_frames), "tx_frames", U(c->tx_frames),
			 "rx_malformed", U(c->rx_malformed), "rx_not_for_us", U(c->rx_not_for_us),
			 "rx_dropped", U(c->rx_dropped), "rx_late", U(c->rx_late),
			 "tx_errors", U(c->tx_errors), "tx_busy", U(c->tx_busy),
			 "joins", U(c->joins), "rejoins", U(c->rejoins),
			 "joins_refused", U(c->joins_refused), "heartbeats", U(c->heartbeats),
			 "rejoin_sent", U(c->rejoin_sent), "deaths", U(c->deaths),
			 "requests_served", U(c->requests_served), "db_errors", U(c->db_errors),
			 "rpc_calls", U(g->rpc.n.calls + g->rpc_peer.n.calls),
			 "rpc_retries", U(g->rpc.n.retries + g->rpc_peer.n.retries));
}

/* Malformed frames by reason, nonzero reasons only. */
static json_t *rejects_json(const struct gmmd *g)
{
	json_t *o = json_object();

	for (int i = 1; i < FAB_ERR__COUNT; i++)
		if (g->n.rx_by_reject[i])
			json_object_set_new(o, fab_reject_name(i), json_integer(U(g->n.rx_by_reject[i])));
	return o;
}

json_t *status_json(struct gmmd *g, uint64_t now)
{
	json_t *nodes = json_array(), *fabric = counters_json(g);

	json_object_set_new(fabric, "rx_malformed_by_reason", rejects_json(g));

	for (int id = 1; id <= (int)FAB_NODE_MAX; id++)
		if (g->node[id].known)
			json_array_append_new(nodes, node_json(&g->node[id], now));
	return json_pack("{s:b, s:I, s:i, s:i, s:i, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "ok", 1,
			 "cluster_id", U(dbstate_cluster_id(g->db)), "gmmd_pid", (int)getpid(),
			 "hb_ms", (int)g->cfg.hb_ms, "dead_after_ms", (int)g->cfg.dead_after_ms,
			 "state_dir", g->cfg.state_dir, "uptime_ms", U((now - g->started_ns) / 1000000ull),
			 "fabric", fabric, "fs", fs_status_json(g), "vnodes", vn_status_json(g),
			 "reports", reports_status_json(), "nodes", nodes);
}

void gmm_log_counters(struct gmmd *g)
{
	json_t *c = counters_json(g);
	char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);

	gmm_log("counters: %s", s ? s : "?");
	free(s);
	json_decref(c);
}
