/*
 * net/hub_table.c - learning and forwarding for the fabric hub (see
 * hub_table.h). Linear scans over dense arrays: a segment has a handful of
 * members. The table is bounded; when full, the least recently heard entry
 * makes room.
 */
#include <string.h>
#include "hub_table.h"

void hub_table_init(struct hub_table *t)
{
	memset(t, 0, sizeof(*t));
}

static int find_port(const struct hub_table *t, const void *addr, uint32_t len)
{
	for (int i = 0; i < t->port_hw; i++)
		if (t->port[i].addr_len == len && memcmp(t->port[i].addr, addr, len) == 0)
			return i;
	return -1;
}

static int find_mac(const struct hub_table *t, const uint8_t mac[6])
{
	for (int i = 0; i < t->nmacs; i++)
		if (memcmp(t->mac[i].mac, mac, 6) == 0)
			return i;
	return -1;
}

static void drop_port(struct hub_table *t, int port)
{
	for (int i = 0; i < t->nmacs; ) {
		if (t->mac[i].port == port)
			t->mac[i] = t->mac[--t->nmacs];
		else
			i++;
	}
	memset(&t->port[port], 0, sizeof(t->port[port]));
	while (t->port_hw > 0 && t->port[t->port_hw - 1].addr_len == 0)
		t->port_hw--;
}

static int new_port(struct hub_table *t)
{
	int oldest = 0;

	for (int i = 0; i < HUB_MAX_PORTS; i++) {
		if (t->port[i].addr_len == 0) {
			if (i >= t->port_hw)
				t->port_hw = i + 1;
			return i;
		}
		if (t->port[i].last_rx < t->port[oldest].last_rx)
			oldest = i;
	}
	drop_port(t, oldest);
	t->n.ports_evicted++;
	if (oldest >= t->port_hw)
		t->port_hw = oldest + 1;
	return oldest;
}

static int new_mac(struct hub_table *t)
{
	int oldest = 0;

	if (t->nmacs < HUB_MAX_MACS)
		return t->nmacs++;
	for (int i = 1; i < t->nmacs; i++)
		if (t->mac[i].last_seen < t->mac[oldest].last_seen)
			oldest = i;
	t->n.macs_evicted++;
	return oldest;
}

int hub_learn(struct hub_table *t, const uint8_t src[6], const void *addr, uint32_t addr_len,
	      uint64_t tick)
{
	int p, m;

	if (addr_len == 0 || addr_len > HUB_ADDR_MAX)
		return -1;
	p = find_port(t, addr, addr_len);
	if (p < 0) {
		p = new_port(t);
		memcpy(t->port[p].addr, addr, addr_len);
		t->port[p].addr_len = addr_len;
		t->n.ports_learned++;
	}
	t->port[p].last_rx = tick;
	t->port[p].rx_frames++;
	if (hub_mac_is_group(src))
		return p;
	m = find_mac(t, src);
	if (m < 0) {
		m = new_mac(t);
		memcpy(t->mac[m].mac, src, 6);
		t->n.macs_learned++;
	} else if (t->mac[m].port != p) {
		t->n.macs_moved++;     /* e.g. a node restarted on a new socket */
	}
	t->mac[m].port = (int16_t)p;
	t->mac[m].last_seen = tick;
	return p;
}

enum hub_route_kind hub_route(const struct hub_table *t, const uint8_t dst[6], int src_port,
			      int *out, int *nout)
{
	int m = hub_mac_is_group(dst) ? -1 : find_mac(t, dst);

	*nout = 0;
	if (m >= 0) {
		if (t->mac[m].port == src_port)
			return HUB_FILTER;
		out[(*nout)++] = t->mac[m].port;
		return HUB_UNICAST;
	}
	for (int i = 0; i < t->port_hw; i++)
		if (t->port[i].addr_len && i != src_port)
			out[(*nout)++] = i;
	return HUB_FLOOD;
}

void hub_forget_port(struct hub_table *t, int port)
{
	if (port < 0 || port >= HUB_MAX_PORTS || t->port[port].addr_len == 0)
		return;
	drop_port(t, port);
	t->n.ports_forgotten++;
}

int hub_port_count(const struct hub_table *t)
{
	int n = 0;

	for (int i = 0; i < t->port_hw; i++)
		n += t->port[i].addr_len != 0;
	return n;
}

int hub_mac_count(const struct hub_table *t)
{
	return t->nmacs;
}
