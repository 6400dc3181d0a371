/*
 * gmm/ping.c - `tess ping`: round trips from gmmd to a node (sequential PINGs,
 * each an RPC with its own timeout and retry, RTT on CLOCK_MONOTONIC), or from
 * node M to node N (one PING_PEER call; M measures). A job never blocks the
 * event loop: it advances when a reply arrives or a deadline passes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gmmd.h"

#define MS 1000000ull
#define PEER_SLACK_MS   1000
#define PEER_PER_PING_MS 1000   /* a node's own ping retries take up to ~750 ms */

struct ping_job {
	int      node, from;         /* from < 0: gmmd pings node itself */
	unsigned count, size;
	unsigned sent, received;
	uint64_t req_id;             /* call in flight, 0 = none */
	uint64_t sent_ns;            /* latest (re)send of it */
	uint8_t *payload, *reply;
	double  *rtt_us;             /* count entries, received used */
	struct fab_ping_peer_reply peer;
	json_t  *error;              /* set when the job failed */
};

static const char *not_up(const struct member *m)
{
	if (strcmp(m->row.state, "dead") == 0)
		return "is dead";
	if (strcmp(m->row.state, "left") == 0)
		return "has left";
	return "is not up yet";
}

/* NULL if node id may be pinged, else the reason in err. */
static int check_node(struct gmmd *g, int id, char *err, size_t errlen)
{
	const struct member *m;

	if (id < 0 || id > (int)FAB_NODE_MAX) {
		snprintf(err, errlen, "bad node %d (1..%u)", id, FAB_NODE_MAX);
		return -1;
	}
	if (id == FAB_NODE_GMM)
		return 0;
	m = &g->node[id];
	if (!m->known) {
		snprintf(err, errlen, "unknown node %d", id);
		return -1;
	}
	if (strcmp(m->row.state, "up") != 0) {
		snprintf(err, errlen, "node %d %s", id, not_up(m));
		return -1;
	}
	return 0;
}

static json_t *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *fail(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static int send_ping(struct gmmd *g, struct ping_job *j, uint64_t now)
{
	if (!j->req_id) {
		j->req_id = rpc_begin(&g->rpc, (uint16_t)j->node, FAB_OP_PING, j->reply,
				      FAB_MAX_PAYLOAD, now);
		if (!j->req_id) {
			j->error = fail("too many calls in flight");
			return -EBUSY;
		}
		j->sent++;
	}
	j->sent_ns = now;
	endpoint_send(g, g->node[j->node].mac, FAB_T_REQ, FAB_OP_PING, (uint16_t)j->node, 0,
		      j->req_id, j->payload, j->size);
	return 0;
}

static int send_peer(struct gmmd *g, struct ping_job *j, uint64_t now)
{
	struct fab_ping_peer_req rq = {
		.target = (uint16_t)j->node, .count = (uint16_t)j->count, .size = j->size,
	};

	/* One try: a resend would make the node measure everything again. */
	g->rpc_peer.policy.timeout_ns = (PEER_SLACK_MS + (uint64_t)j->count * PEER_PER_PING_MS) * MS;
	g->rpc_peer.policy.max_timeout_ns = g->rpc_peer.policy.timeout_ns;
	g->rpc_peer.policy.max_tries = 1;
	j->req_id = rpc_begin(&g->rpc_peer, (uint16_t)j->from, FAB_OP_PING_PEER, &j->peer,
			      sizeof(j->peer), now);
	if (!j->req_id) {
		j->error = fail("too many calls in flight");
		return -EBUSY;
	}
	j->sent = j->count;
	endpoint_send(g, g->node[j->from].mac, FAB_T_REQ, FAB_OP_PING_PEER, (uint16_t)j->from, 0,
		      j->req_id, &rq, sizeof(rq));
	return 0;
}

struct ping_job *ping_start(struct gmmd *g, int node, int from, unsigned count, unsigned size,
			    char *err, size_t errlen)
{
	struct ping_job *j;
	uint64_t now = gmm_now_ns();
	unsigned max = from > 0 ? FAB_PING_PEER_MAX : GMM_PING_MAX_COUNT;

	if (from == FAB_NODE_GMM)
		from = -1;                    /* "from gmmd" is the plain ping */
	if (count < 1 || count > max) {
		snprintf(err, errlen, "count must be 1..%u", max);
		return NULL;
	}
	if (size > FAB_MAX_PAYLOAD) {
		snprintf(err, errlen, "size must be 0..%u", FAB_MAX_PAYLOAD);
		return NULL;
	}
	if (check_node(g, node, err, errlen) < 0 || (from > 0 && check_node(g, from, err, errlen) < 0))
		return NULL;
	if (from < 0 && node == FAB_NODE_GMM) {
		snprintf(err, errlen, "node 0 is gmmd itself");
		return NULL;
	}
	if (from == node) {
		snprintf(err, errlen, "node %d cannot ping itself", node);
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->payload = malloc(size + 1)) || !(j->reply = malloc(FAB_MAX_PAYLOAD)) ||
	    !(j->rtt_us = calloc(count, sizeof(double)))) {
		ping_free(g, j);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->node = node;
	j->from = from;
	j->count = count;
	j->size = size;
	for (unsigned i = 0; i < size; i++)
		j->payload[i] = (uint8_t)(i * 7 + 1);
	if (from > 0)
		send_peer(g, j, now);
	else
		send_ping(g, j, now);
	return j;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static json_t *ping_result(struct ping_job *j)
{
	json_t *r = json_pack("{s:b, s:i, s:i, s:i}", "ok", 1, "node", j->node,
			      "sent", (int)j->sent, "received", (int)j->received);
	json_t *list = json_array();
	double *sorted;

	for (unsigned i = 0; i < j->received; i++)
		json_array_append_new(list, json_real(j->rtt_us[i]));
	json_object_set_new(r, "rtt_us", list);
	if (!j->received)
		return r;
	sorted = malloc(j->received * sizeof(double));
	if (!sorted)
		return r;
	memcpy(sorted, j->rtt_us, j->received * sizeof(double));
	qsort(sorted, j->received, sizeof(double), cmp_double);
	json_object_set_new(r, "min_us", json_real(sorted[0]));
	json_object_set_new(r, "median_us", json_real(sorted[j->received / 2]));
	json_object_set_new(r, "max_us", json_real(sorted[j->received - 1]));
	free(sorted);
	return r;
}

static json_t *peer_result(struct gmmd *g, struct ping_job *j, int rc, uint32_t len)
{
	json_t *r;

	if (rc == -ETIMEDOUT)
		return fail("node %d did not answer ping-peer", j->from);
	if (rc < 0)
		return fail("node %d refused ping-peer: %s", j->from, strerror(-rc));
	if (len != sizeof(j->peer))
		return fail("node %d sent a bad ping-peer reply", j->from);
	r = json_pack("{s:b, s:i, s:i, s:i, s:i}", "ok", 1, "node", j->node, "from", j->from,
		      "sent", (int)j->peer.sent, "received", (int)j->peer.ok);
	if (j->peer.ok) {
		json_object_set_new(r, "min_us", json_real((double)j->peer.min_ns / 1000.0));
		json_object_set_new(r, "median_us", json_real((double)j->peer.median_ns / 1000.0));
		json_object_set_new(r, "max_us", json_real((double)j->peer.max_ns / 1000.0));
	}
	(void)g;
	return r;
}

json_t *ping_advance(struct gmmd *g, struct ping_job *j, uint64_t now)
{
	struct rpc_table *t = j->from > 0 ? &g->rpc_peer : &g->rpc;
	uint32_t len = 0;
	int rc;

	while (!j->error) {
		if (!j->req_id) {
			if (j->sent >= j->count)
				return ping_result(j);
			if (send_ping(g, j, now) < 0)
				break;
		}
		switch (rpc_poll(t, j->req_id, now)) {
		case RPC_POLL_WAIT:
			return NULL;
		case RPC_POLL_RESEND:
			if (j->from > 0)
				return NULL;          /* max_tries is 1: not reached */
			send_ping(g, j, now);
			return NULL;
		case RPC_POLL_DONE:
		case RPC_POLL_TIMEDOUT:
			rc = rpc_result(t, j->req_id, &len);
			rpc_end(t, j->req_id);
			j->req_id = 0;
			if (j->from > 0)
				return peer_result(g, j, rc, len);
			if (rc == 0 && len == j->size && memcmp(j->reply, j->payload, len) == 0)
				j->rtt_us[j->received++] = (double)(now - j->sent_ns) / 1000.0;
			break;
		case RPC_POLL_INVALID:
			j->req_id = 0;
			j->error = fail("lost track of a ping to node %d", j->node);
			break;
		}
	}
	return json_incref(j->error);
}

uint64_t ping_deadline(const struct gmmd *g, const struct ping_job *j)
{
	if (!j->req_id)
		return 0;
	return rpc_deadline(j->from > 0 ? &g->rpc_peer : &g->rpc, j->req_id);
}

void ping_free(struct gmmd *g, struct ping_job *j)
{
	if (!j)
		return;
	if (j->req_id)
		rpc_end(j->from > 0 ? &g->rpc_peer : &g->rpc, j->req_id);
	json_decref(j->error);
	free(j->payload);
	free(j->reply);
	free(j->rtt_us);
	free(j);
}
