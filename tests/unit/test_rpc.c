/*
 * tests/unit/test_rpc.c - the RPC call table (net/rpc.c): request ids,
 * per-try timeouts with exponential backoff, bounded retries, and the rule
 * that a late, duplicate or forged reply never lands in a caller's buffer.
 * net/rpc.c is compiled in so it runs under AddressSanitizer and UBSan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <tessera/wire.h>
#include "net/rpc.c"

#define US 1000ull
#define MS 1000000ull

static struct rpc_table *table(uint64_t timeout, uint64_t max_timeout, unsigned tries, uint64_t seed)
{
	struct rpc_table *t = malloc(sizeof(*t));
	struct rpc_policy p = { .timeout_ns = timeout, .max_timeout_ns = max_timeout, .max_tries = tries };

	rpc_init(t, &p, seed);
	return t;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void test_begin_reply_end(void **state)
{
	struct rpc_table *t = table(1 * MS, 8 * MS, 3, 0x1234);
	char buf[64];
	uint32_t len = 0;
	uint64_t id;

	(void)state;
	id = rpc_begin(t, 2, FAB_OP_PING, buf, sizeof(buf), 100);
	assert_true(id != 0);
	assert_int_equal(rpc_in_flight(t), 1);
	assert_int_equal(rpc_result(t, id, &len), -EINPROGRESS);
	assert_true(rpc_deadline(t, id) == 100 + 1 * MS);
	assert_int_equal(rpc_poll(t, id, 200), RPC_POLL_WAIT);
	assert_int_equal(rpc_on_reply(t, 2, id, 0, "hello", 5), 0);
	assert_int_equal(rpc_poll(t, id, 300), RPC_POLL_DONE);
	assert_int_equal(rpc_result(t, id, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(rpc_in_flight(t), 0);   /* done, no longer waiting */
	rpc_end(t, id);
	assert_int_equal(rpc_poll(t, id, 400), RPC_POLL_INVALID);
	assert_int_equal(rpc_result(t, id, &len), -ENOENT);
	assert_true(t->n.calls == 1 && t->n.completed == 1 && t->n.late == 0);
	free(t);
}

static void test_error_status_passed_through(void **state)
{
	struct rpc_table *t = table(1 * MS, 8 * MS, 3, 7);
	char buf[16];
	uint32_t len = 99;
	uint64_t id = rpc_begin(t, 0, FAB_OP_JOIN, buf, sizeof(buf), 0);

	(void)state;
	assert_int_equal(rpc_on_reply(t, 0, id, -EADDRINUSE, NULL, 0), 0);
	assert_int_equal(rpc_result(t, id, &len), -EADDRINUSE);
	assert_int_equal(len, 0);
	rpc_end(t, id);
	free(t);
}

static void test_timeout_backoff_then_timedout(void **state)
{
	/* 1 ms first try, doubling, capped at 8 ms, 5 sends in all. */
	struct rpc_table *t = table(1 * MS, 8 * MS, 5, 99);
	char buf[8];
	uint64_t id = rpc_begin(t, 3, FAB_OP_PING, buf, sizeof(buf), 0);
	uint64_t expect_deadline[] = { 1 * MS, 3 * MS, 7 * MS, 15 * MS, 23 * MS };
	uint32_t len;

	(void)state;
	assert_true(rpc_deadline(t, id) == expect_deadline[0]);
	for (int k = 0; k < 4; k++) {
		uint64_t d = expect_deadline[k];

		assert_int_equal(rpc_poll(t, id, d - 1), RPC_POLL_WAIT);
		assert_int_equal(rpc_poll(t, id, d), RPC_POLL_RESEND);
		/* timeouts 2, 4, 8, 8 ms: doubling, then capped */
		assert_true(rpc_deadline(t, id) == expect_deadline[k + 1]);
		assert_int_equal(t->slot[id % RPC_SLOTS].tries, k + 2);
	}
	assert_int_equal(rpc_poll(t, id, 23 * MS - 1), RPC_POLL_WAIT);
	assert_int_equal(rpc_poll(t, id, 23 * MS), RPC_POLL_TIMEDOUT);
	assert_int_equal(rpc_result(t, id, &len), -ETIMEDOUT);
	assert_int_equal(len, 0);
	/* Polling a finished call reports it done, without counting again. */
	assert_int_equal(rpc_poll(t, id, 100 * MS), RPC_POLL_DONE);
	assert_true(t->n.retries == 4 && t->n.timeouts == 1 && t->n.completed == 0);
	rpc_end(t, id);
	free(t);
}

static void test_single_try_policy(void **state)
{
	/* max_tries 0 is treated as 1; max below timeout is raised to it. */
	struct rpc_table *t = table(5 * US, 1 * US, 0, 1);
	char buf[8];
	uint64_t id = rpc_begin(t, 1, FAB_OP_PING, buf, sizeof(buf), 0);

	(void)state;
	assert_int_equal(rpc_poll(t, id, 5 * US), RPC_POLL_TIMEDOUT);
	rpc_end(t, id);
	free(t);
}

static void test_backoff_shift_does_not_overflow(void **state)
{
	/* Huge first timeout: shifting left would wrap; the cap must still hold. */
	uint64_t big = 1ull << 62;
	struct rpc_table *t = table(big, big, 10, 1);
	char buf[8];
	uint64_t id = rpc_begin(t, 1, FAB_OP_PING, buf, sizeof(buf), 0);

	(void)state;
	assert_int_equal(rpc_poll(t, id, big), RPC_POLL_RESEND);
	assert_true(rpc_deadline(t, id) == big + big);
	rpc_end(t, id);
	free(t);
}

static void test_late_reply_after_end_dropped(void **state)
{
	struct rpc_table *t = table(1 * MS, 1 * MS, 1, 42);
	uint8_t *buf = malloc(32);
	uint8_t junk[32];
	uint64_t id;

	(void)state;
	memset(buf, 0xAA, 32);              /* poison: must survive untouched */
	memset(junk, 0x55, sizeof(junk));
	id = rpc_begin(t, 2, FAB_OP_PING, buf, 32, 0);
	assert_int_equal(rpc_poll(t, id, 1 * MS), RPC_POLL_TIMEDOUT);
	rpc_end(t, id);
	assert_int_equal(rpc_on_reply(t, 2, id, 0, junk, sizeof(junk)), -ENOENT);
	assert_true(t->n.late == 1);
	assert_true(all_bytes(buf, 32, 0xAA));
	free(buf);                          /* a later reply must not touch freed memory (ASan) */
	assert_int_equal(rpc_on_reply(t, 2, id, 0, junk, sizeof(junk)), -ENOENT);
	assert_true(t->n.late == 2);
	free(t);
}

static void test_duplicate_reply_dropped(void **state)
{
	struct rpc_table *t = table(1 * MS, 1 * MS, 3, 42);
	char buf[16];
	uint64_t id = rpc_begin(t, 2, FAB_OP_PING, buf, sizeof(buf), 0);

	(void)state;
	assert_int_equal(rpc_on_reply(t, 2, id, 0, "first", 5), 0);
	/* A retransmission's reply arrives before the caller collected the first. */
	assert_int_equal(rpc_on_reply(t, 2, id, 0, "SECOND", 6), -ENOENT);
	assert_memory_equal(buf, "first", 5);
	rpc_end(t, id);
	assert_int_equal(rpc_on_reply(t, 2, id, 0, "third", 5), -ENOENT);
	assert_true(t->n.late == 2 && t->n.completed == 1);
	free(t);
}

static void test_reply_for_reused_slot_dropped(void **state)
{
	/* The LegoOS bug: slot reused by a new call, old call's reply arrives. */
	struct rpc_table *t = table(1 * MS, 1 * MS, 1, 5);
	uint8_t old_buf[16], new_buf[16];
	uint64_t old_id, new_id;

	(void)state;
	old_id = rpc_begin(t, 2, FAB_OP_PING, old_buf, sizeof(old_buf), 0);
	rpc_end(t, old_id);
	memset(new_buf, 0xAA, sizeof(new_buf));
	new_id = rpc_begin(t, 2, FAB_OP_PING, new_buf, sizeof(new_buf), 0);
	assert_true(new_id % RPC_SLOTS == old_id % RPC_SLOTS);   /* same slot... */
	assert_true(new_id != old_id);                           /* ...new id */
	assert_int_equal(rpc_on_reply(t, 2, old_id, 0, "stale", 5), -ENOENT);
	assert_true(all_bytes(new_buf, sizeof(new_buf), 0xAA));
	assert_int_equal(rpc_poll(t, new_id, 1), RPC_POLL_WAIT);
	rpc_end(t, new_id);
	free(t);
}

static void test_reply_from_wrong_node_dropped(void **state)
{
	struct rpc_table *t = table(1 * MS, 1 * MS, 3, 5);
	uint8_t buf[16];
	uint64_t id;

	(void)state;
	memset(buf, 0xAA, sizeof(buf));
	id = rpc_begin(t, 2, FAB_OP_PING, buf, sizeof(buf), 0);
	assert_int_equal(rpc_on_reply(t, 3, id, 0, "forged", 6), -ENOENT);
	assert_true(all_bytes(buf, sizeof(buf), 0xAA));
	assert_int_equal(rpc_poll(t, id, 1), RPC_POLL_WAIT);
	assert_int_equal(rpc_on_reply(t, 2, id, 0, "real", 4), 0);
	assert_memory_equal(buf, "real", 4);
	assert_true(t->n.late == 1);
	rpc_end(t, id);
	free(t);
}

static void test_unknown_ids_dropped(void **state)
{
	struct rpc_table *t = table(1 * MS, 1 * MS, 3, 5);

	(void)state;
	assert_int_equal(rpc_on_reply(t, 2, 0, 0, NULL, 0), -ENOENT);
	assert_int_equal(rpc_on_reply(t, 2, 12345, 0, NULL, 0), -ENOENT);
	assert_int_equal(rpc_poll(t, 0, 0), RPC_POLL_INVALID);
	assert_true(rpc_deadline(t, 999) == 0);
	rpc_end(t, 999);                    /* harmless */
	assert_true(t->n.late == 2);
	free(t);
}

static void test_oversized_reply(void **state)
{
	struct rpc_table *t = table(1 * MS, 1 * MS, 3, 5);
	uint8_t *buf = malloc(8);           /* exact size: ASan catches any overflow */
	uint8_t big[64];
	uint32_t len = 99;
	uint64_t id;

	(void)state;
	memset(buf, 0xAA, 8);
	memset(big, 0x11, sizeof(big));
	id = rpc_begin(t, 2, FAB_OP_PING, buf, 8, 0);
	assert_int_equal(rpc_on_reply(t, 2, id, 0, big, sizeof(big)), 0);
	assert_int_equal(rpc_result(t, id, &len), -EMSGSIZE);
	assert_int_equal(len, 0);
	assert_true(all_bytes(buf, 8, 0xAA));
	rpc_end(t, id);
	/* Exactly the capacity fits. */
	id = rpc_begin(t, 2, FAB_OP_PING, buf, 8, 0);
	assert_int_equal(rpc_on_reply(t, 2, id, 0, big, 8), 0);
	assert_int_equal(rpc_result(t, id, &len), 0);
	assert_int_equal(len, 8);
	assert_true(all_bytes(buf, 8, 0x11));
	rpc_end(t, id);
	free(buf);
	free(t);
}

static void test_slot_exhaustion(void **state)
{
	struct rpc_table *t = table(1 * MS, 1 * MS, 3, 77);
	uint64_t ids[RPC_SLOTS];
	char buf[4];

	(void)state;
	for (int i = 0; i < RPC_SLOTS; i++) {
		ids[i] = rpc_begin(t, 1, FAB_OP_PING, buf, sizeof(buf), 0);
		assert_true(ids[i] != 0);
		for (int k = 0; k < i; k++)
			assert_true(ids[k] != ids[i]);
	}
	assert_int_equal(rpc_in_flight(t), RPC_SLOTS);
	assert_true(rpc_begin(t, 1, FAB_OP_PING, buf, sizeof(buf), 0) == 0);
	assert_true(t->n.calls == RPC_SLOTS);
	rpc_end(t, ids[17]);
	ids[17] = rpc_begin(t, 1, FAB_OP_PING, buf, sizeof(buf), 0);
	assert_true(ids[17] != 0);
	assert_true(rpc_begin(t, 1, FAB_OP_PING, buf, sizeof(buf), 0) == 0);
	for (int i = 0; i < RPC_SLOTS; i++)
		rpc_end(t, ids[i]);
	assert_int_equal(rpc_in_flight(t), 0);
	free(t);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define IDS_PER_BOOT 5000

/* Ids a node would use in one boot: calls begun and ended, several in flight. */
static void ids_of_boot(uint64_t seed, uint64_t *out)
{
	struct rpc_table *t = table(1 * MS, 1 * MS, 3, seed);
	uint64_t live[4] = { 0 };
	char buf[4];

	for (int i = 0; i < IDS_PER_BOOT; i++) {
		if (live[i % 4])
			rpc_end(t, live[i % 4]);
		out[i] = live[i % 4] = rpc_begin(t, 1, FAB_OP_PING, buf, sizeof(buf), 0);
		assert_true(out[i] != 0);
	}
	free(t);
}

static void test_ids_unique_across_seed_change(void **state)
{
	/* Boot nonces are random 64-bit values; two boots must never share an id. */
	static const uint64_t seeds[] = {
		0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull,
		0x082efa98ec4e6c89ull, 0x452821e638d01377ull,
	};
	size_t ns = sizeof(seeds) / sizeof(seeds[0]), total = ns * IDS_PER_BOOT;
	uint64_t *all = malloc(total * sizeof(*all));

	(void)state;
	for (size_t s = 0; s < ns; s++)
		ids_of_boot(seeds[s], all + s * IDS_PER_BOOT);
	qsort(all, total, sizeof(*all), cmp_u64);
	for (size_t i = 1; i < total; i++)
		assert_true(all[i] != all[i - 1]);
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_begin_reply_end),
		cmocka_unit_test(test_error_status_passed_through),
		cmocka_unit_test(test_timeout_backoff_then_timedout),
		cmocka_unit_test(test_single_try_policy),
		cmocka_unit_test(test_backoff_shift_does_not_overflow),
		cmocka_unit_test(test_late_reply_after_end_dropped),
		cmocka_unit_test(test_duplicate_reply_dropped),
		cmocka_unit_test(test_reply_for_reused_slot_dropped),
		cmocka_unit_test(test_reply_from_wrong_node_dropped),
		cmocka_unit_test(test_unknown_ids_dropped),
		cmocka_unit_test(test_oversized_reply),
		cmocka_unit_test(test_slot_exhaustion),
		cmocka_unit_test(test_ids_unique_across_seed_change),
	};

	return cmocka_run_group_tests_name("rpc", tests, NULL, NULL);
}
