/*
 * net/rpc.c - the RPC call table: who waits for which reply, until when.
 * See rpc.h for the safety rule about late replies.
 */
#include <string.h>
#include <tessera/errno.h>
#include "rpc.h"

void rpc_init(struct rpc_table *t, const struct rpc_policy *p, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->policy = *p;
	if (t->policy.max_tries == 0)
		t->policy.max_tries = 1;
	if (t->policy.max_timeout_ns < t->policy.timeout_ns)
		t->policy.max_timeout_ns = t->policy.timeout_ns;
	/* Low 6 bits index the slot; the rest is a sequence that starts at a mixed per-boot seed. */
	seed ^= seed >> 33;
	seed *= 0xff51afd7ed558ccdull;
	seed ^= seed >> 33;
	t->next_seq = (seed | 1) & 0x03ffffffffffffffull;
}

static struct rpc_slot *find(struct rpc_table *t, uint64_t req_id)
{
	struct rpc_slot *s;

	if (req_id == 0)
		return NULL;
	s = &t->slot[req_id % RPC_SLOTS];
	if (s->state == RPC_FREE || s->req_id != req_id)
		return NULL;
	return s;
}

uint64_t rpc_begin(struct rpc_table *t, uint16_t dst, uint16_t op,
		   void *reply_buf, uint32_t reply_cap, uint64_t now_ns)
{
	return rpc_begin_policy(t, dst, op, reply_buf, reply_cap, now_ns, NULL);
}

uint64_t rpc_begin_policy(struct rpc_table *t, uint16_t dst, uint16_t op,
			  void *reply_buf, uint32_t reply_cap, uint64_t now_ns,
			  const struct rpc_policy *p)
{
	if (!p)
		p = &t->policy;
	for (unsigned i = 0; i < RPC_SLOTS; i++) {
		struct rpc_slot *s = &t->slot[i];

		if (s->state != RPC_FREE)
			continue;
		memset(s, 0, sizeof(*s));
		s->req_id = (t->next_seq++ << 6) | i;
		if (s->req_id == 0)
			s->req_id = (t->next_seq++ << 6) | i;
		s->dst = dst;
		s->op = op;
		s->reply_buf = reply_buf;
		s->reply_cap = reply_cap;
		s->state = RPC_WAITING;
		s->tries = 1;
		s->max_tries = (uint8_t)(p->max_tries == 0 ? 1 : p->max_tries > 255 ? 255 : p->max_tries);
		s->timeout_ns = p->timeout_ns;
		s->max_timeout_ns = p->max_timeout_ns < p->timeout_ns ? p->timeout_ns : p->max_timeout_ns;
		s->first_ns = s->sent_ns = now_ns;
		s->deadline_ns = now_ns + s->timeout_ns;
		t->n.calls++;
		return s->req_id;
	}
	return 0;
}

int rpc_on_reply(struct rpc_table *t, uint16_t src, uint64_t req_id, int32_t status,
		 const void *payload, uint32_t len)
{
	struct rpc_slot *s = find(t, req_id);

	if (!s || s->state != RPC_WAITING || s->dst != src) {
		t->n.late++;
		return -ENOENT;
	}
	if (len > s->reply_cap) {
		s->status = -EMSGSIZE;
		s->reply_len = 0;
	} else {
		if (len)
			memcpy(s->reply_buf, payload, len);
		s->reply_len = len;
		s->status = status;
	}
	s->state = RPC_DONE;
	t->n.completed++;
	return 0;
}

enum rpc_poll rpc_poll(struct rpc_table *t, uint64_t req_id, uint64_t now_ns)
{
	struct rpc_slot *s = find(t, req_id);
	uint64_t tmo;

	if (!s)
		return RPC_POLL_INVALID;
	if (s->state == RPC_DONE)
		return RPC_POLL_DONE;
	if (now_ns < s->deadline_ns)
		return RPC_POLL_WAIT;
	if (s->tries >= s->max_tries) {
		s->state = RPC_DONE;
		s->status = -ETIMEDOUT;
		s->reply_len = 0;
		t->n.timeouts++;
		return RPC_POLL_TIMEDOUT;
	}
	tmo = s->tries < 32 ? s->timeout_ns << s->tries : s->max_timeout_ns;
	if (tmo > s->max_timeout_ns || tmo < s->timeout_ns)
		tmo = s->max_timeout_ns;
	s->tries++;
	s->sent_ns = now_ns;
	s->deadline_ns = now_ns + tmo;
	t->n.retries++;
	return RPC_POLL_RESEND;
}

uint64_t rpc_deadline(const struct rpc_table *t, uint64_t req_id)
{
	const struct rpc_slot *s = find((struct rpc_table *)t, req_id);

	return s ? s->deadline_ns : 0;
}

int rpc_result(const struct rpc_table *t, uint64_t req_id, uint32_t *reply_len)
{
	const struct rpc_slot *s = find((struct rpc_table *)t, req_id);

	if (!s)
		return -ENOENT;
	if (s->state != RPC_DONE)
		return -EINPROGRESS;
	if (reply_len)
		*reply_len = s->reply_len;
	return s->status;
}

void rpc_end(struct rpc_table *t, uint64_t req_id)
{
	struct rpc_slot *s = find(t, req_id);

	if (s)
		memset(s, 0, sizeof(*s));
}

unsigned rpc_in_flight(const struct rpc_table *t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < RPC_SLOTS; i++)
		n += t->slot[i].state == RPC_WAITING;
	return n;
}
