/*
 * net/fabric.c - the kernel side of the fabric: frame validation and
 * dispatch, request handlers, and blocking calls built on the RPC table.
 * Replies land only in the buffer of a call that still waits for them
 * (net/rpc.c); everything else that arrives unasked is counted and dropped.
 */
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include <kernel/trap.h>
#include "fabric.h"
#include "rpc.h"
#include "wire.h"

#define MAX_DEPTH       3          /* nested dispatch while a handler itself calls out */
#define POLL_BUDGET     32
#define DEFAULT_TMO_NS  50000000ull
#define MAX_TMO_NS      800000000ull
#define DEFAULT_TRIES   4

static const struct fabric_transport *tp;
static uint16_t self = FAB_NODE_NONE;
static uint8_t gmm_mac[6];
static struct rpc_table rpc;
static fabric_handler handlers[FAB_OP__COUNT];
static uint8_t mac_of[FAB_NODE_MAX + 1][6];
static uint8_t mac_known[FAB_NODE_MAX + 1];
static int depth;
static struct thread *waiter[RPC_SLOTS];   /* thread blocked on each call slot */
static uint64_t boot_ns;
static uint64_t last_malformed_log;

static struct {
	uint64_t rx_frames, tx_frames, rx_malformed, rx_dropped, requests_served;
	uint64_t malformed_by_reason[FAB_ERR__COUNT];
} st;

/* Frame and reply scratch per nesting level: a handler may call out while its reply is pending. */
static uint8_t txbuf[MAX_DEPTH + 1][FAB_MAX_FRAME] __attribute__((aligned(16)));
static uint8_t replybuf[MAX_DEPTH + 1][FAB_MAX_PAYLOAD] __attribute__((aligned(16)));

int fabric_init(const struct fabric_transport *t, uint16_t id, const uint8_t gmm[6], uint64_t seed)
{
	struct rpc_policy p = {
		.timeout_ns = DEFAULT_TMO_NS, .max_timeout_ns = MAX_TMO_NS, .max_tries = DEFAULT_TRIES,
	};

	tp = t;
	self = id;
	memcpy(gmm_mac, gmm, 6);
	rpc_init(&rpc, &p, seed);
	boot_ns = ktime_ns();
	return 0;
}

void fabric_set_self(uint16_t id)
{
	self = id;
}

uint16_t fabric_self(void)
{
	return self;
}

void fabric_register(uint16_t op, fabric_handler h)
{
	if (op < FAB_OP__COUNT)
		handlers[op] = h;
}

static void dst_mac(uint16_t dst, uint8_t out[6])
{
	if (dst == FAB_NODE_GMM)
		memcpy(out, gmm_mac, 6);
	else if (dst <= FAB_NODE_MAX && mac_known[dst])
		memcpy(out, mac_of[dst], 6);
	else
		fab_mac_for_node(dst, out);    /* tess assigns MACs by this rule */
}

static int send_frame(uint16_t dst, const uint8_t *mac, uint8_t type, uint16_t op, uint64_t req_id,
		      int32_t status, const void *payload, uint32_t len)
{
	struct fab_hdr h = {
		.type = type, .op = op, .src = self, .dst = dst, .status = status, .req_id = req_id,
	};
	uint8_t dmac[6];
	uint8_t *buf = txbuf[depth];
	size_t n;
	int rc;

	if (!tp)
		return -ENODEV;
	if (mac)
		memcpy(dmac, mac, 6);
	else
		dst_mac(dst, dmac);
	n = fab_frame_build(buf, dmac, tp->mac(), &h, payload, len);
	if (!n)
		return -EMSGSIZE;
	rc = tp->send(buf, n);
	if (rc == 0)
		st.tx_frames++;
	return rc;
}

int fabric_send(uint16_t dst, uint16_t op, const void *payload, uint32_t len)
{
	return send_frame(dst, NULL, FAB_T_ONEWAY, op, 0, 0, payload, len);
}

static void handle_request(const struct fab_view *v)
{
	const struct fab_hdr *h = v->hdr;
	fabric_handler fn = handlers[h->op];
	struct fabric_msg m = {
		.src = h->src, .op = h->op, .type = h->type, .req_id = h->req_id,
		.payload = v->payload, .len = v->len, .src_mac = v->eth->src,
	};
	uint32_t rlen = 0;
	int status;
	uint8_t src_mac[6];

	if (!fn) {
		st.rx_dropped++;
		if (h->type == FAB_T_REQ)
			send_frame(h->src, v->eth->src, FAB_T_REPLY, h->op, h->req_id, -EOPNOTSUPP, NULL, 0);
		return;
	}
	if (depth >= MAX_DEPTH) {
		st.rx_dropped++;       /* the caller will retry once we unwind */
		return;
	}
	memcpy(src_mac, v->eth->src, 6);  /* the rx buffer is reused once we return */
	m.src_mac = src_mac;
	depth++;
	status = fn(&m, h->type == FAB_T_REQ ? replybuf[depth] : NULL, &rlen);
	if (h->type == FAB_T_REQ) {
		if (rlen > FAB_MAX_PAYLOAD)
			panic("fabric: handler for %s returned %u bytes", fab_op_name(h->op), rlen);
		send_frame(m.src, src_mac, FAB_T_REPLY, m.op, m.req_id, status, replybuf[depth], rlen);
	}
	depth--;
	st.requests_served++;
}

static void on_frame(const void *frame, size_t len, void *arg)
{
	struct fab_view v;
	int why = fab_frame_validate(frame, len, &v);
	const struct fab_hdr *h;

	(void)arg;
	st.rx_frames++;
	if (why != FAB_OK) {
		uint64_t now = ktime_ns();

		st.rx_malformed++;
		st.malformed_by_reason[why]++;
		if (now - last_malformed_log > 1000000000ull) {
			last_malformed_log = now;
			pr_warn("fabric: dropped malformed frame (%s, %lu bytes); %lu so far",
				fab_reject_name(why), (uint64_t)len, st.rx_malformed);
		}
		return;
	}
	h = v.hdr;
	if (h->dst != self && !(self == FAB_NODE_NONE && h->dst == FAB_NODE_NONE)) {
		st.rx_dropped++;
		return;
	}
	if (h->src <= FAB_NODE_MAX && h->src != FAB_NODE_GMM) {
		memcpy(mac_of[h->src], v.eth->src, 6);
		mac_known[h->src] = 1;
	}
	if (h->type == FAB_T_REPLY) {
		if (rpc_on_reply(&rpc, h->src, h->req_id, h->status, v.payload, v.len) == 0)
			sched_wake(waiter[h->req_id % RPC_SLOTS]);
		return;
	}
	handle_request(&v);
}

int fabric_poll(void)
{
	if (!tp)
		return 0;
	return tp->poll(on_frame, NULL, POLL_BUDGET);
}

int fabric_pending(void)
{
	return tp && tp->pending();
}

/* Sleep until a frame, a timer or the deadline: never spin. */
static void wait_until(uint64_t deadline)
{
	ktimer_wake_at(deadline);
	irq_disable();
	if (!fabric_pending() && ktime_ns() < deadline && !ktimers_due())
		safe_halt();
	else
		irq_enable();
}

int fabric_call(uint16_t dst, uint16_t op, const void *req, uint32_t len,
		void *reply, uint32_t cap, uint32_t *reply_len, uint64_t timeout_ns, unsigned tries)
{
	struct rpc_policy p = {
		.timeout_ns = timeout_ns ? timeout_ns : DEFAULT_TMO_NS,
		.max_timeout_ns = MAX_TMO_NS,
		.max_tries = tries ? tries : DEFAULT_TRIES,
	};
	uint64_t id = rpc_begin_policy(&rpc, dst, op, reply, cap, ktime_ns(), &p);
	int rc;

	if (!id)
		return -EBUSY;
	rc = send_frame(dst, NULL, FAB_T_REQ, op, id, 0, req, len);
	if (rc && rc != -EAGAIN) {
		rpc_end(&rpc, id);
		return rc;
	}
	if (sched_current() != sched_main()) {
		/* A process thread sleeps; the main loop receives the reply and wakes it. */
		waiter[id % RPC_SLOTS] = sched_current();
		for (;;) {
			enum rpc_poll state = rpc_poll(&rpc, id, ktime_ns());

			if (state == RPC_POLL_DONE || state == RPC_POLL_TIMEDOUT || state == RPC_POLL_INVALID)
				break;
			if (state == RPC_POLL_RESEND) {
				send_frame(dst, NULL, FAB_T_REQ, op, id, 0, req, len);
				continue;
			}
			sched_block(rpc_deadline(&rpc, id));
		}
		waiter[id % RPC_SLOTS] = NULL;
		rc = rpc_result(&rpc, id, reply_len);
		rpc_end(&rpc, id);
		return rc;
	}
	for (;;) {
		enum rpc_poll state;

		fabric_poll();
		ktimers_run();
		state = rpc_poll(&rpc, id, ktime_ns());
		if (state == RPC_POLL_DONE || state == RPC_POLL_TIMEDOUT || state == RPC_POLL_INVALID)
			break;
		if (state == RPC_POLL_RESEND) {
			send_frame(dst, NULL, FAB_T_REQ, op, id, 0, req, len);
			continue;
		}
		wait_until(rpc_deadline(&rpc, id));
	}
	rc = rpc_result(&rpc, id, reply_len);
	rpc_end(&rpc, id);
	return rc;
}

void fabric_stats(struct fab_stats *out)
{
	struct pfa *a = mm_pfa();

	memset(out, 0, sizeof(*out));
	out->uptime_ms = (ktime_ns() - boot_ns) / 1000000ull;
	out->rx_frames = st.rx_frames;
	out->tx_frames = st.tx_frames;
	out->rx_malformed = st.rx_malformed;
	out->rx_dropped = st.rx_dropped;
	out->rx_late = rpc.n.late;
	out->rpc_calls = rpc.n.calls;
	out->rpc_retries = rpc.n.retries;
	out->rpc_timeouts = rpc.n.timeouts;
	out->requests_served = st.requests_served;
	out->irqs = irq_count();
	out->heap_used = heap_used();
	out->frames_free = a->free;
	out->frames_total = a->total;
}
