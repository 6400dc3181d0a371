/*
 * net/hub_table.h - the fabric hub's forwarding table (pure logic, no I/O):
 * ports are sender socket addresses, MACs are learned onto ports from frame
 * source addresses, and a frame goes to its destination's port or is flooded
 * to every port but the sender's. Like a learning Ethernet switch.
 */
#ifndef NET_HUB_TABLE_H
#define NET_HUB_TABLE_H

#include <stdint.h>

#define HUB_MAX_PORTS    256       /* distinct member sockets */
#define HUB_MAX_MACS     1024
#define HUB_ADDR_MAX     112       /* >= sizeof(struct sockaddr_un) */

struct hub_port {
	uint8_t  addr[HUB_ADDR_MAX];   /* opaque socket address, compared bytewise */
	uint32_t addr_len;             /* 0 = slot free */
	uint64_t last_rx;              /* tick of the last frame from this port */
	uint64_t rx_frames, tx_frames;
};

struct hub_mac {
	uint8_t  mac[6];
	int16_t  port;
	uint64_t last_seen;
};

struct hub_counters {
	uint64_t ports_learned, ports_forgotten, ports_evicted;
	uint64_t macs_learned, macs_moved, macs_evicted;
};

struct hub_table {
	struct hub_port port[HUB_MAX_PORTS];
	struct hub_mac  mac[HUB_MAX_MACS]; /* [0, nmacs) in use, kept dense */
	int nmacs;
	int port_hw;                       /* ports at index >= port_hw are free */
	struct hub_counters n;
};

enum hub_route_kind {
	HUB_FILTER,                    /* destination is on the sender's port: send nowhere */
	HUB_UNICAST,                   /* out[0] is the destination port */
	HUB_FLOOD,                     /* out[] is every port but the sender's */
};

void hub_table_init(struct hub_table *t);

/*
 * A frame from addr with source MAC src arrived at time tick. Learns the port
 * (and the MAC unless it is a group address). Returns the port index, or -1 if
 * addr is unusable (empty or too long: an unbound sender cannot be replied to).
 */
int hub_learn(struct hub_table *t, const uint8_t src[6], const void *addr, uint32_t addr_len,
	      uint64_t tick);

/*
 * Where a frame for dst from port src_port (-1 if unknown) goes. Fills out[]
 * (room for HUB_MAX_PORTS) and *nout.
 */
enum hub_route_kind hub_route(const struct hub_table *t, const uint8_t dst[6], int src_port,
			      int *out, int *nout);

/* The member at port is gone: forget it and every MAC learned on it. */
void hub_forget_port(struct hub_table *t, int port);

int hub_port_count(const struct hub_table *t);
int hub_mac_count(const struct hub_table *t);

static inline int hub_mac_is_group(const uint8_t mac[6])
{
	return mac[0] & 1;             /* broadcast and multicast */
}

#endif
