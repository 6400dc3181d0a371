/*
 * tests/unit/test_gmm_join.c - gmmd's join rules (gmm/join_rules.c): id
 * assignment, idempotent retries, refusal of a live id, rejoin after silence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gmm/join_rules.h"

#define MS 1000000ull
#define DEAD_AFTER (3000 * MS)

static struct member *node;

static int setup(void **state)
{
	(void)state;
	node = calloc(FAB_NODE_MAX + 1, sizeof(*node));
	return node ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(node);
	return 0;
}

static struct fab_join_req req(uint16_t want, uint64_t nonce)
{
	struct fab_join_req r;

	memset(&r, 0, sizeof(r));
	r.role = FAB_ROLE_PROCESS;
	r.transport = FAB_TRANSPORT_NET;
	r.want_id = want;
	r.boot_nonce = nonce;
	memcpy(r.name, "p1", 2);
	return r;
}

/* Pretend gmmd admitted this join (what members.c does after the DB commit). */
static void admit(int id, const uint8_t mac[6], uint64_t nonce, const char *state, uint64_t seen)
{
	struct member *m = &node[id];

	memset(m, 0, sizeof(*m));
	m->known = 1;
	m->row.id = id;
	m->row.boot_nonce = nonce;
	snprintf(m->row.state, sizeof(m->row.state), "%s", state);
	memcpy(m->mac, mac, 6);
	m->last_seen_ns = seen;
}

static void test_validation(void **state)
{
	struct fab_join_req r = req(FAB_NODE_NONE, 1);

	(void)state;
	assert_null(join_invalid(&r));
	r.role = FAB_ROLE_GMM;
	assert_string_equal(join_invalid(&r), "bad role");
	r = req(0, 1);
	assert_string_equal(join_invalid(&r), "bad node id");
	r = req(FAB_NODE_MAX + 1, 1);
	assert_string_equal(join_invalid(&r), "bad node id");
	r = req(7, 1);
	r.transport = 9;
	assert_string_equal(join_invalid(&r), "bad transport");
	r = req(7, 1);
	memcpy(r.name, "Bad Name", 8);
	assert_string_equal(join_invalid(&r), "bad name");
	r = req(7, 1);
	memset(r.name, 'a', 16);          /* no terminating NUL */
	assert_string_equal(join_invalid(&r), "bad name");
	r = req(7, 1);
	memcpy(r.name, "ok-name_15chars", 15);
	assert_null(join_invalid(&r));
	r.name[15] = 0;
	memcpy(r.name, "ab\0c", 4);       /* junk after the NUL */
	assert_string_equal(join_invalid(&r), "bad name");
}

static void test_auto_ids(void **state)
{
	uint8_t m1[6], m2[6], m3[6];
	struct fab_join_req r;

	(void)state;
	fab_mac_for_node(1, m1);
	fab_mac_for_node(2, m2);
	fab_mac_for_node(3, m3);
	r = req(FAB_NODE_NONE, 100);
	assert_int_equal(join_pick_id(node, &r, m1), 1);
	admit(1, m1, 100, "up", 1);
	/* A retry of the same boot gets the same id. */
	assert_int_equal(join_pick_id(node, &r, m1), 1);
	/* Another NIC gets the next free id. */
	r = req(FAB_NODE_NONE, 200);
	assert_int_equal(join_pick_id(node, &r, m2), 2);
	admit(2, m2, 200, "dead", 1);
	/* The same NIC after a reboot gets its old id back. */
	r = req(FAB_NODE_NONE, 201);
	assert_int_equal(join_pick_id(node, &r, m2), 2);
	/* Ids of nodes that left are free again; dead ones are not. */
	snprintf(node[1].row.state, sizeof(node[1].row.state), "left");
	r = req(FAB_NODE_NONE, 300);
	assert_int_equal(join_pick_id(node, &r, m3), 1);
	/* want_id wins. */
	r = req(42, 300);
	assert_int_equal(join_pick_id(node, &r, m3), 42);
}

static void test_no_free_id(void **state)
{
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 }, other[6] = { 2, 0, 0, 0, 0, 2 };
	struct fab_join_req r = req(FAB_NODE_NONE, 5);

	(void)state;
	for (int id = 1; id <= (int)FAB_NODE_MAX; id++)
		admit(id, mac, 1, "dead", 1);
	assert_int_equal(join_pick_id(node, &r, other), 0);
}

static void test_decide(void **state)
{
	uint8_t mac[6], imposter[6];
	struct fab_join_req r;
	uint64_t t0 = 1000 * MS;

	(void)state;
	fab_mac_for_node(5, mac);
	fab_mac_for_node(9, imposter);
	r = req(5, 77);
	assert_int_equal(join_decide(&node[5], &r, mac, t0, DEAD_AFTER), JOIN_NEW);
	admit(5, mac, 77, "up", t0);
	/* Retry of the same boot: same answer, also while up. */
	assert_int_equal(join_decide(&node[5], &r, mac, t0 + 10 * MS, DEAD_AFTER), JOIN_RETRY);
	/* Another NIC while the holder is alive: refused, even with a new boot. */
	assert_int_equal(join_decide(&node[5], &r, imposter, t0 + 10 * MS, DEAD_AFTER), JOIN_IN_USE);
	r = req(5, 78);
	assert_int_equal(join_decide(&node[5], &r, imposter, t0 + 10 * MS, DEAD_AFTER), JOIN_IN_USE);
	/* ... until the holder has been silent for dead-after. */
	assert_int_equal(join_decide(&node[5], &r, imposter, t0 + DEAD_AFTER, DEAD_AFTER), JOIN_REJOIN);
	/* The same NIC with a new boot is that node rebooting: taken back at once. */
	assert_int_equal(join_decide(&node[5], &r, mac, t0 + 10 * MS, DEAD_AFTER), JOIN_REJOIN);
	/* A dead holder can be replaced at once; the same boot coming back is 'up again'. */
	snprintf(node[5].row.state, sizeof(node[5].row.state), "dead");
	assert_int_equal(join_decide(&node[5], &r, mac, t0 + 10 * MS, DEAD_AFTER), JOIN_REJOIN);
	r = req(5, 77);
	assert_int_equal(join_decide(&node[5], &r, mac, t0 + 10 * MS, DEAD_AFTER), JOIN_UP_AGAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_free_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decide, setup, teardown),
	};
	return cmocka_run_group_tests_name("gmm_join", tests, NULL, NULL);
}
