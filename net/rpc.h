/*
 * net/rpc.h - request/reply bookkeeping: request ids, per-try timeouts and
 * bounded retries. Pure logic over caller-supplied time; the transport does
 * the sending. Used by the kernels and by gmmd.
 *
 * Safety rule: a reply is copied only into the buffer of a call that is still
 * waiting for exactly that req_id from exactly that node. Once rpc_end() runs
 * (success, timeout or abandon) the slot's id is retired, so a late or
 * duplicate reply finds nothing and is counted as late, never written.
 */
#ifndef NET_RPC_H
#define NET_RPC_H

#include <stdint.h>
#include <stddef.h>

#define RPC_SLOTS 64

enum rpc_state {
	RPC_FREE = 0,
	RPC_WAITING,
	RPC_DONE,
};

struct rpc_slot {
	uint64_t req_id;
	uint64_t sent_ns;        /* time of the latest (re)send */
	uint64_t first_ns;       /* time of the first send */
	uint64_t deadline_ns;    /* this try times out at */
	void    *reply_buf;
	uint32_t reply_cap;
	uint32_t reply_len;
	int32_t  status;         /* reply status, or -ETIMEDOUT / -EMSGSIZE */
	uint64_t timeout_ns;     /* this call's first-try timeout */
	uint64_t max_timeout_ns;
	uint16_t dst;
	uint16_t op;
	uint8_t  state;
	uint8_t  tries;
	uint8_t  max_tries;
};

struct rpc_policy {
	uint64_t timeout_ns;     /* first try; doubles each retry up to max_timeout_ns */
	uint64_t max_timeout_ns;
	unsigned max_tries;      /* total sends, >= 1 */
};

struct rpc_counters {
	uint64_t calls, retries, timeouts, late, completed;
};

struct rpc_table {
	struct rpc_slot slot[RPC_SLOTS];
	uint64_t next_seq;
	struct rpc_policy policy;
	struct rpc_counters n;
};

/* seed should differ across boots (e.g. boot nonce) so ids never repeat. */
void rpc_init(struct rpc_table *t, const struct rpc_policy *p, uint64_t seed);

/* Reserve a slot; returns the req_id to send, or 0 if all slots are busy. */
uint64_t rpc_begin(struct rpc_table *t, uint16_t dst, uint16_t op,
		   void *reply_buf, uint32_t reply_cap, uint64_t now_ns);
/* The same with a per-call policy (NULL = the table's). */
uint64_t rpc_begin_policy(struct rpc_table *t, uint16_t dst, uint16_t op,
			  void *reply_buf, uint32_t reply_cap, uint64_t now_ns,
			  const struct rpc_policy *p);

/*
 * A REPLY frame arrived. Returns 0 if it completed a waiting call,
 * -ENOENT if no call waits for it (late, duplicate or forged; counted).
 * A payload larger than the caller's buffer completes the call with -EMSGSIZE.
 */
int rpc_on_reply(struct rpc_table *t, uint16_t src, uint64_t req_id, int32_t status,
		 const void *payload, uint32_t len);

enum rpc_poll {
	RPC_POLL_DONE,           /* reply arrived: rpc_result() */
	RPC_POLL_WAIT,           /* keep waiting until rpc_deadline() */
	RPC_POLL_RESEND,         /* resend the request now (same req_id) */
	RPC_POLL_TIMEDOUT,       /* tries exhausted */
	RPC_POLL_INVALID,        /* no such call */
};

enum rpc_poll rpc_poll(struct rpc_table *t, uint64_t req_id, uint64_t now_ns);
uint64_t rpc_deadline(const struct rpc_table *t, uint64_t req_id);
/* Status and reply length of a finished call; 0 on success. */
int rpc_result(const struct rpc_table *t, uint64_t req_id, uint32_t *reply_len);
/* Release the slot; any later reply for req_id is dropped as late. */
void rpc_end(struct rpc_table *t, uint64_t req_id);
unsigned rpc_in_flight(const struct rpc_table *t);

#endif
