/*
 * net/fabric.h - the fabric interface every kernel component uses to talk to
 * other nodes: one-way sends, request/reply calls with timeouts and retries,
 * and per-opcode request handlers. The transport behind it (net today, cxl
 * later) is chosen at boot and invisible to callers.
 */
#ifndef NET_FABRIC_H
#define NET_FABRIC_H

#include <stddef.h>
#include <stdint.h>
#include <tessera/wire.h>

typedef void (*fabric_rx_fn)(const void *frame, size_t len, void *arg);

/* What a transport provides; frames are whole Ethernet frames. */
struct fabric_transport {
	const char *name;
	int (*send)(const void *frame, size_t len);
	int (*poll)(fabric_rx_fn fn, void *arg, int budget);
	int (*pending)(void);
	const uint8_t *(*mac)(void);
};

extern const struct fabric_transport fabric_net_transport;

struct fabric_msg {
	uint16_t src;
	uint16_t op;
	uint8_t  type;
	uint64_t req_id;
	const void *payload;
	uint32_t len;
	const uint8_t *src_mac;
};

/*
 * A request handler fills reply (room for FAB_MAX_PAYLOAD bytes) and
 * *reply_len, and returns the reply status (0 or a negative errno). For
 * one-way messages reply is NULL and the return value is ignored.
 */
typedef int (*fabric_handler)(const struct fabric_msg *m, void *reply, uint32_t *reply_len);

int fabric_init(const struct fabric_transport *t, uint16_t self, const uint8_t gmm_mac[6], uint64_t seed);
void fabric_set_self(uint16_t id);
uint16_t fabric_self(void);
void fabric_register(uint16_t op, fabric_handler h);

int fabric_send(uint16_t dst, uint16_t op, const void *payload, uint32_t len);
/*
 * Call dst and wait for the reply (serving other traffic meanwhile).
 * Returns the reply status, -ETIMEDOUT after the retries, -EBUSY if too many
 * calls are in flight. timeout_ns 0 uses the default policy.
 */
int fabric_call(uint16_t dst, uint16_t op, const void *req, uint32_t len,
		void *reply, uint32_t cap, uint32_t *reply_len, uint64_t timeout_ns, unsigned tries);

/* Process received frames; returns how many. */
int fabric_poll(void);
int fabric_pending(void);
void fabric_stats(struct fab_stats *out);
#endif
