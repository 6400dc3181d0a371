/*
 * tests/unit/test_hub.c - the fabric hub's learning and forwarding table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "net/hub_table.h"

static struct hub_table t;
static int out[HUB_MAX_PORTS];

static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0xfa, 0x00, 0x01 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0xfa, 0x00, 0x02 };
static const uint8_t mac_c[6] = { 0x52, 0x54, 0x00, 0xfa, 0x00, 0x03 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

static int learn(const uint8_t mac[6], const char *addr)
{
	static uint64_t tick;

	return hub_learn(&t, mac, addr, (uint32_t)strlen(addr) + 1, ++tick);
}

static int setup(void **state)
{
	(void)state;
	hub_table_init(&t);
	return 0;
}

static void test_unicast_after_learning(void **state)
{
	int pa, pb, n;

	(void)state;
	pa = learn(mac_a, "/s/n1.sock");
	pb = learn(mac_b, "/s/n2.sock");
	assert_true(pa >= 0 && pb >= 0 && pa != pb);
	assert_int_equal(hub_route(&t, mac_b, pa, out, &n), HUB_UNICAST);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], pb);
	assert_int_equal(hub_route(&t, mac_a, pb, out, &n), HUB_UNICAST);
	assert_int_equal(out[0], pa);
	/* Same port again: the port is reused, nothing new learned. */
	assert_int_equal(learn(mac_a, "/s/n1.sock"), pa);
	assert_int_equal(hub_port_count(&t), 2);
	assert_int_equal(hub_mac_count(&t), 2);
}

static void test_flood_unknown_and_broadcast(void **state)
{
	int pa, pb, pc, n;

	(void)state;
	pa = learn(mac_a, "/s/n1.sock");
	pb = learn(mac_b, "/s/n2.sock");
	pc = learn(mac_c, "/s/n3.sock");
	assert_int_equal(hub_route(&t, bcast, pa, out, &n), HUB_FLOOD);
	assert_int_equal(n, 2);
	assert_true((out[0] == pb && out[1] == pc) || (out[0] == pc && out[1] == pb));
	assert_int_equal(hub_route(&t, mcast, pb, out, &n), HUB_FLOOD);
	assert_int_equal(n, 2);
	{
		const uint8_t unknown[6] = { 0x52, 0x54, 0x00, 0xfa, 0x0f, 0xff };
		assert_int_equal(hub_route(&t, unknown, pc, out, &n), HUB_FLOOD);
		assert_int_equal(n, 2);
		for (int i = 0; i < n; i++)
			assert_int_not_equal(out[i], pc);
	}
	/* An unbound sender (-1) floods to everyone. */
	assert_int_equal(hub_route(&t, bcast, -1, out, &n), HUB_FLOOD);
	assert_int_equal(n, 3);
}

static void test_group_source_not_learned(void **state)
{
	int p, n;

	(void)state;
	p = learn(bcast, "/s/odd.sock");
	assert_true(p >= 0);
	assert_int_equal(hub_mac_count(&t), 0);
	assert_int_equal(hub_port_count(&t), 1);
	assert_int_equal(hub_route(&t, bcast, -1, out, &n), HUB_FLOOD);
	assert_int_equal(n, 1);
}

static void test_filter_same_port(void **state)
{
	int pa, n;

	(void)state;
	pa = learn(mac_a, "/s/gmmd.sock");
	/* A frame to one's own MAC (gmmd's announce) goes nowhere. */
	assert_int_equal(hub_route(&t, mac_a, pa, out, &n), HUB_FILTER);
	assert_int_equal(n, 0);
}

static void test_forget_and_relearn(void **state)
{
	int pa, pb, n;

	(void)state;
	pa = learn(mac_a, "/s/n1.sock");
	pb = learn(mac_b, "/s/n2.sock");
	hub_forget_port(&t, pb);
	assert_int_equal(hub_port_count(&t), 1);
	assert_int_equal(hub_mac_count(&t), 1);
	/* mac_b is unknown now: flooded, to nobody since pa is the only member. */
	assert_int_equal(hub_route(&t, mac_b, pa, out, &n), HUB_FLOOD);
	assert_int_equal(n, 0);
	/* It sends again (its QEMU restarted): learned again. */
	pb = learn(mac_b, "/s/n2.sock");
	assert_int_equal(hub_route(&t, mac_b, pa, out, &n), HUB_UNICAST);
	assert_int_equal(out[0], pb);
	/* Forgetting twice or out of range is harmless. */
	hub_forget_port(&t, 200);
	hub_forget_port(&t, -1);
	assert_int_equal(t.n.ports_forgotten, 1);
}

static void test_mac_moves(void **state)
{
	int p1, p2, pb, n;

	(void)state;
	pb = learn(mac_b, "/s/n2.sock");
	p1 = learn(mac_a, "/s/old.sock");
	p2 = learn(mac_a, "/s/new.sock");
	assert_int_not_equal(p1, p2);
	assert_int_equal(t.n.macs_moved, 1);
	assert_int_equal(hub_route(&t, mac_a, pb, out, &n), HUB_UNICAST);
	assert_int_equal(out[0], p2);
	assert_int_equal(hub_mac_count(&t), 2);
}

static void test_bad_addresses(void **state)
{
	uint8_t big[HUB_ADDR_MAX + 1] = { 0 };

	(void)state;
	assert_int_equal(hub_learn(&t, mac_a, big, 0, 1), -1);
	assert_int_equal(hub_learn(&t, mac_a, big, sizeof(big), 1), -1);
	assert_int_equal(hub_port_count(&t), 0);
}

static void test_eviction_when_full(void **state)
{
	char addr[32];
	uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xfa, 0, 0 };
	int n, first;

	(void)state;
	for (int i = 0; i < HUB_MAX_PORTS; i++) {
		snprintf(addr, sizeof(addr), "/s/n%d.sock", i);
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		n = learn(mac, addr);
		if (i == 0)
			first = n;
	}
	assert_int_equal(hub_port_count(&t), HUB_MAX_PORTS);
	/* One more: the least recently heard member (the first) makes room. */
	mac[4] = 0x0f;
	mac[5] = 0xee;
	n = learn(mac, "/s/late.sock");
	assert_int_equal(n, first);
	assert_int_equal(hub_port_count(&t), HUB_MAX_PORTS);
	assert_int_equal(t.n.ports_evicted, 1);
	mac[4] = 0;
	mac[5] = 0;
	assert_int_equal(hub_route(&t, mac, n, out, &n), HUB_FLOOD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unicast_after_learning, setup),
		cmocka_unit_test_setup(test_flood_unknown_and_broadcast, setup),
		cmocka_unit_test_setup(test_group_source_not_learned, setup),
		cmocka_unit_test_setup(test_filter_same_port, setup),
		cmocka_unit_test_setup(test_forget_and_relearn, setup),
		cmocka_unit_test_setup(test_mac_moves, setup),
		cmocka_unit_test_setup(test_bad_addresses, setup),
		cmocka_unit_test_setup(test_eviction_when_full, setup),
	};
	return cmocka_run_group_tests_name("hub_table", tests, NULL, NULL);
}
