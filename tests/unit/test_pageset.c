/*
 * test_pageset.c - the ExCache's set of pages held by the memory node
 * (excache/pageset.c): membership against a plain model through growth,
 * deletions (tombstones), re-adds and copies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <excache/pageset.h>

#define SPAN 4096

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_basic(void **state)
{
	struct pageset s;

	(void)state;
	assert_int_equal(pageset_init(&s), 0);
	assert_false(pageset_has(&s, 0));
	assert_int_equal(pageset_add(&s, 0), 0);              /* page 0 must be storable */
	assert_int_equal(pageset_add(&s, 0x7ffffffff000ull), 0);
	assert_true(pageset_has(&s, 0));
	assert_true(pageset_has(&s, 0x7ffffffff000ull));
	assert_int_equal(pageset_add(&s, 0), 0);              /* idempotent */
	assert_int_equal(s.count, 2);
	pageset_del(&s, 0);
	assert_false(pageset_has(&s, 0));
	assert_int_equal(s.count, 1);
	pageset_del(&s, 0x1000);                               /* absent: no effect */
	assert_int_equal(s.count, 1);
	pageset_free(&s);
	assert_false(pageset_has(&s, 0x7ffffffff000ull));     /* freed set answers no */
}

static void test_model(void **state)
{
	static uint8_t model[SPAN];
	struct pageset s, copy;
	size_t count = 0;

	(void)state;
	rng_state = 0x5eed;
	memset(model, 0, sizeof(model));
	assert_int_equal(pageset_init(&s), 0);
	for (int i = 0; i < 200000; i++) {
		uint64_t page = rnd() % SPAN;
		int op = (int)(rnd() % 3);

		if (op < 2) {
			assert_int_equal(pageset_add(&s, page * 4096), 0);
			count += !model[page];
			model[page] = 1;
		} else {
			pageset_del(&s, page * 4096);
			count -= model[page];
			model[page] = 0;
		}
		if (i % 997 == 0)
			for (uint64_t p = 0; p < SPAN; p++)
				assert_int_equal(pageset_has(&s, p * 4096), model[p]);
		assert_int_equal(s.count, count);
	}
	assert_int_equal(pageset_copy(&copy, &s), 0);
	pageset_del(&s, 0);
	for (uint64_t p = 1; p < SPAN; p++)
		assert_int_equal(pageset_has(&copy, p * 4096), model[p]);
	assert_int_equal(pageset_has(&copy, 0), model[0]);     /* the copy is independent */
	pageset_free(&copy);
	pageset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
