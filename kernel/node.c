/*
 * node.c - the node agent every monitor runs: join the cluster through gmmd,
 * send heartbeats with this node's counters, answer pings and stats requests,
 * and sleep in hlt whenever there is nothing to do.
 */
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/monitor.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include <net/fabric.h>

#define JOIN_TIMEOUT_NS   300000000ull
#define JOIN_BACKOFF_MAX  2000000000ull
#define SLICE_NS          10000000ull   /* longest a process runs before the main loop */

static const struct node_config *cfg;
static uint64_t boot_nonce;
static uint32_t hb_interval_ms = 500;
static uint32_t hb_seq;
static volatile int need_join = 1;
static struct ktimer hb_timer;
static uint8_t ping_buf[FAB_MAX_PAYLOAD];
static uint8_t ping_reply[FAB_MAX_PAYLOAD];

static uint64_t random64(void)
{
	uint32_t r[4];
	uint64_t v;

	cpuid(1, 0, r);
	if (r[2] & (1u << 30)) {
		unsigned char ok;

		for (int i = 0; i < 10; i++) {
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
			if (ok)
				return v;
		}
	}
	v = rdtsc() ^ (ktime_ns() << 17);
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return v;
}

static void heartbeat(struct ktimer *t)
{
	struct fab_heartbeat hb = { .boot_nonce = boot_nonce, .seq = ++hb_seq };

	fabric_stats(&hb.stats);
	if (!need_join)
		fabric_send(FAB_NODE_GMM, FAB_OP_HEARTBEAT, &hb, sizeof(hb));
	ktimer_arm(t, ktime_ns() + (uint64_t)hb_interval_ms * 1000000ull, heartbeat);
}

static void join(void)
{
	struct fab_join_req req = {
		.role = (uint8_t)this_monitor.role,
		.transport = (uint8_t)cfg->transport,
		.want_id = cfg->node_id,
		.kernel_version = 1,
		.mem_bytes = mm_pfa()->total * PAGE_SIZE,
		.caps = FAB_CAP_NET,
		.boot_nonce = boot_nonce,
	};
	struct fab_join_reply rep;
	uint64_t backoff = 100000000ull;
	unsigned attempt = 0;

	memcpy(req.mac, fabric_net_transport.mac(), 6);
	strlcpy(req.name, cfg->name, sizeof(req.name));
	for (;;) {
		uint32_t rlen = 0;
		int rc;

		attempt++;
		rc = fabric_call(FAB_NODE_GMM, FAB_OP_JOIN, &req, sizeof(req), &rep, sizeof(rep),
				 &rlen, JOIN_TIMEOUT_NS, 1);
		if (rc == 0 && rlen == sizeof(rep) && rep.node_id >= 1 && rep.node_id <= FAB_NODE_MAX &&
		    (cfg->node_id == FAB_NODE_NONE || rep.node_id == cfg->node_id)) {
			fabric_set_self(rep.node_id);
			if (rep.hb_interval_ms >= 10 && rep.hb_interval_ms <= 60000)
				hb_interval_ms = rep.hb_interval_ms;
			pr_info("node: joined cluster %lx as node %u (%s), heartbeat every %u ms",
				rep.cluster_id, rep.node_id, this_monitor.name, hb_interval_ms);
			need_join = 0;
			return;
		}
		if (rc == -EADDRINUSE)
			pr_err("node: gmmd refused join: node id %u is in use by another live node",
			       cfg->node_id);
		else if (rc == 0)
			pr_err("node: gmmd sent an invalid join reply (id %u, %u bytes)", rep.node_id, rlen);
		else if (attempt == 1 || attempt % 10 == 0)
			pr_info("node: waiting for gmmd (join attempt %u: %d)", attempt, rc);
		/* Wait, serving the fabric meanwhile. */
		uint64_t until = ktime_ns() + backoff;
		while (ktime_ns() < until) {
			fabric_poll();
			ktimers_run();
			if (this_monitor.poll)
				this_monitor.poll();
			ktimer_wake_at(until);
			irq_disable();
			if (!fabric_pending() && ktime_ns() < until && !ktimers_due())
				safe_halt();
			else
				irq_enable();
		}
		if (backoff < JOIN_BACKOFF_MAX)
			backoff *= 2;
	}
}

static int on_ping(const struct fabric_msg *m, void *reply, uint32_t *reply_len)
{
	memcpy(reply, m->payload, m->len);
	*reply_len = m->len;
	return 0;
}

static int on_rejoin(const struct fabric_msg *m, void *reply, uint32_t *reply_len)
{
	if (m->src == FAB_NODE_GMM && !need_join) {
		pr_warn("node: gmmd does not know this boot; joining again");
		need_join = 1;
	}
	return 0;
}

static int on_stats(const struct fabric_msg *m, void *reply, uint32_t *reply_len)
{
	fabric_stats(reply);
	*reply_len = sizeof(struct fab_stats);
	return 0;
}

static void sort_u64(uint64_t *a, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = a[i];
		unsigned j = i;

		while (j && a[j - 1] > x) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

static int on_ping_peer(const struct fabric_msg *m, void *reply, uint32_t *reply_len)
{
	const struct fab_ping_peer_req *rq = m->payload;
	struct fab_ping_peer_reply *rp = reply;
	static uint64_t rtt[FAB_PING_PEER_MAX];
	unsigned ok = 0;

	if (rq->count == 0 || rq->count > FAB_PING_PEER_MAX || rq->size > FAB_MAX_PAYLOAD ||
	    rq->target > FAB_NODE_MAX || rq->target == fabric_self())
		return -EINVAL;
	for (uint32_t i = 0; i < rq->size; i++)
		ping_buf[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < rq->count; i++) {
		uint32_t rlen = 0;
		uint64_t t0 = ktime_ns();
		int rc = fabric_call(rq->target, FAB_OP_PING, ping_buf, rq->size, ping_reply,
				     sizeof(ping_reply), &rlen, 0, 0);

		if (rc == 0 && rlen == rq->size && memcmp(ping_buf, ping_reply, rlen) == 0)
			rtt[ok++] = ktime_ns() - t0;
	}
	memset(rp, 0, sizeof(*rp));
	rp->sent = rq->count;
	rp->ok = ok;
	if (ok) {
		sort_u64(rtt, ok);
		rp->min_ns = rtt[0];
		rp->median_ns = rtt[ok / 2];
		rp->max_ns = rtt[ok - 1];
	}
	*reply_len = sizeof(*rp);
	return 0;
}

void node_run(const struct node_config *c)
{
	cfg = c;
	boot_nonce = random64();
	fabric_init(&fabric_net_transport, c->node_id, c->gmm_mac, boot_nonce);
	fabric_register(FAB_OP_PING, on_ping);
	fabric_register(FAB_OP_REJOIN, on_rejoin);
	fabric_register(FAB_OP_STATS, on_stats);
	fabric_register(FAB_OP_PING_PEER, on_ping_peer);
	if (this_monitor.init && this_monitor.init(c))
		panic("node: %s monitor failed to initialise", this_monitor.name);

	join();
	heartbeat(&hb_timer);
	for (;;) {
		int work = 0;

		if (need_join) {
			join();
			heartbeat(&hb_timer);
		}
		work += fabric_poll();
		work += ktimers_run();
		if (this_monitor.poll)
			work += this_monitor.poll();
		if (sched_others_runnable()) {
			/* Let processes run; an interrupt brings us back within a slice. */
			ktimer_wake_at(ktime_ns() + SLICE_NS);
			sched_yield();
			continue;
		}
		if (work)
			continue;
		irq_disable();
		if (!fabric_pending() && !need_join && !sched_others_runnable() && !ktimers_due())
			safe_halt();
		else
			irq_enable();
	}
}
