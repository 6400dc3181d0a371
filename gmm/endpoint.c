/*
 * gmm/endpoint.c - gmmd's port on the fabric segment: an AF_UNIX datagram
 * socket at DIR/fabric/gmmd.sock that sends whole Ethernet frames to the hub
 * and receives frames for fab_mac_for_node(0). Every received frame passes
 * fab_frame_validate() before any field is used; rejects are counted and
 * logged at a limited rate.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gmmd.h"

#define RX_BATCH  64
#define SOCKBUF   (4 * 1024 * 1024)

int endpoint_open(struct gmmd *g)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(g->cfg.state_dir) + 8];
	int sz = SOCKBUF;

	snprintf(dir, sizeof(dir), "%s/fabric", g->cfg.state_dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "gmmd: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	g->hub_addr.sun_family = AF_UNIX;
	/* config.c made sure the longest of these fits sun_path. */
	if (snprintf(g->fab_path, sizeof(g->fab_path), "%s/gmmd.sock", dir) >= (int)sizeof(g->fab_path) ||
	    snprintf(g->hub_addr.sun_path, sizeof(g->hub_addr.sun_path), "%s/hub.sock", dir) >=
	    (int)sizeof(g->hub_addr.sun_path)) {
		fprintf(stderr, "gmmd: %s: path too long for a socket\n", dir);
		return -1;
	}
	/* We hold the state directory lock, so an existing socket file is stale. */
	if (unlink(g->fab_path) < 0 && errno != ENOENT) {
		fprintf(stderr, "gmmd: %s: %s\n", g->fab_path, strerror(errno));
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", g->fab_path);
	g->fab_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->fab_fd < 0 || bind(g->fab_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "gmmd: %s: %s\n", g->fab_path, strerror(errno));
		return -1;
	}
	setsockopt(g->fab_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(g->fab_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	fab_mac_for_node(FAB_NODE_GMM, g->mac);
	return 0;
}

void endpoint_close(struct gmmd *g)
{
	if (g->fab_fd >= 0) {
		close(g->fab_fd);
		unlink(g->fab_path);
		g->fab_fd = -1;
	}
}

int endpoint_send(struct gmmd *g, const uint8_t dst_mac[6], uint8_t type, uint16_t op,
		  uint16_t dst, int32_t status, uint64_t req_id, const void *payload, uint32_t len)
{
	static uint8_t frame[FAB_MAX_FRAME];
	struct fab_hdr h = {
		.type = type, .op = op, .src = FAB_NODE_GMM, .dst = dst,
		.status = status, .req_id = req_id,
	};
	size_t n = fab_frame_build(frame, dst_mac, g->mac, &h, payload, len);
	const char *note;

	if (!n)
		return -EMSGSIZE;
	if (sendto(g->fab_fd, frame, n, MSG_DONTWAIT, (struct sockaddr *)&g->hub_addr,
		   sizeof(g->hub_addr)) == (ssize_t)n) {
		g->n.tx_frames++;
		return 0;
	}
	if (errno == EAGAIN || errno == ENOBUFS)
		g->n.tx_busy++;         /* hub queue full: like a lost frame, RPCs retry */
	else
		g->n.tx_errors++;
	if ((note = gmm_ratelimit(&g->rl_tx, gmm_now_ns())))
		gmm_log("fabric: cannot send to the hub at %s: %s%s", g->hub_addr.sun_path,
			strerror(errno), note);
	return -errno;
}

void endpoint_announce(struct gmmd *g, uint64_t now)
{
	if (now < g->next_announce_ns)
		return;
	g->next_announce_ns = now + (uint64_t)GMM_ANNOUNCE_MS * 1000000ull;
	endpoint_send(g, g->mac, FAB_T_ONEWAY, FAB_OP_PING, FAB_NODE_GMM, 0, 0, NULL, 0);
}

static void reject(struct gmmd *g, int why, size_t len, uint64_t now)
{
	const char *note;

	g->n.rx_malformed++;
	g->n.rx_by_reject[why]++;
	if ((note = gmm_ratelimit(&g->rl_malformed, now)))
		gmm_log("fabric: dropped malformed frame (%s, %zu bytes); %llu so far%s",
			fab_reject_name(why), len, (unsigned long long)g->n.rx_malformed, note);
}

static void on_reply(struct gmmd *g, const struct fab_view *v)
{
	const struct fab_hdr *h = v->hdr;
	struct rpc_table *t = h->op == FAB_OP_PING_PEER ? &g->rpc_peer : &g->rpc;

	if (h->op >= FAB_OP_VN_FIRST && h->op <= FAB_OP_VN_LAST) {
		vn_on_reply(g, v);
		return;
	}
	if (h->op >= FAB_OP_FS_FIRST && h->op <= FAB_OP_FS_LAST)
		t = &g->rpc_fs;
	if (rpc_on_reply(t, h->src, h->req_id, h->status, v->payload, v->len) < 0)
		g->n.rx_late++;
}

static void on_request(struct gmmd *g, const struct fab_view *v, uint64_t now)
{
	const struct fab_hdr *h = v->hdr;

	switch (h->op) {
	case FAB_OP_JOIN:
		if (h->type == FAB_T_REQ)
			members_on_join(g, v, now);
		else
			g->n.rx_dropped++;
		return;
	case FAB_OP_HEARTBEAT:
		members_on_heartbeat(g, v, now);
		return;
	case FAB_OP_RESOLVE:
		if (h->type == FAB_T_REQ)
			members_on_resolve(g, v);
		else
			g->n.rx_dropped++;
		return;
	case FAB_OP_VN_OUTPUT:
	case FAB_OP_VN_EXIT:
		vn_on_request(g, v);
		return;
	case FAB_OP_REPORT_PROCS:
	case FAB_OP_REPORT_POOL:
	case FAB_OP_REPORT_SPACE:
		reports_on_request(g, v);
		return;
	case FAB_OP_PING:
		if (h->type == FAB_T_REQ) {
			endpoint_send(g, v->eth->src, FAB_T_REPLY, FAB_OP_PING, h->src, 0, h->req_id,
				      v->payload, v->len);
			g->n.requests_served++;
		}
		return;
	default:
		g->n.rx_dropped++;
		if (h->type == FAB_T_REQ)
			endpoint_send(g, v->eth->src, FAB_T_REPLY, h->op, h->src, -EOPNOTSUPP,
				      h->req_id, NULL, 0);
		return;
	}
}

static void dispatch(struct gmmd *g, const uint8_t *frame, size_t len, uint64_t now)
{
	struct fab_view v;
	int why = fab_frame_validate(frame, len, &v);

	if (why != FAB_OK) {
		reject(g, why, len, now);
		return;
	}
	/* Ours if sent to our MAC (or a group) and to node 0; never our own echo. */
	if ((memcmp(v.eth->dst, g->mac, 6) != 0 && !(v.eth->dst[0] & 1)) ||
	    memcmp(v.eth->src, g->mac, 6) == 0 || v.hdr->dst != FAB_NODE_GMM) {
		g->n.rx_not_for_us++;
		return;
	}
	if (v.hdr->type == FAB_T_REPLY)
		on_reply(g, &v);
	else
		on_request(g, &v, now);
}

void endpoint_receive(struct gmmd *g)
{
	static uint8_t frame[FAB_MAX_FRAME + 1];

	for (int i = 0; i < RX_BATCH; i++) {
		ssize_t n = recv(g->fab_fd, frame, sizeof(frame), MSG_DONTWAIT | MSG_TRUNC);
		uint64_t now = gmm_now_ns();

		if (n < 0)
			return;
		g->n.rx_frames++;
		if ((size_t)n > sizeof(frame)) {
			reject(g, FAB_ERR_LEN, (size_t)n, now);
			continue;
		}
		dispatch(g, frame, (size_t)n, now);
	}
}
