/*
 * tests/unit/test_pfa.c - the page-frame bitmap allocator (kernel/pfa.c) on
 * the host: exact free/total accounting, contiguous runs across 64-bit words,
 * exhaustion, double and out-of-range frees, hint wrap-around, and a seeded
 * random sequence checked against a byte-per-frame model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <kernel/pfa.h>

#define MAX_FRAMES 1024
#define MAX_WORDS (MAX_FRAMES / 64)

/* A bitmap with a guard word past its end, to catch writes beyond the bitmap. */
struct bench {
	struct pfa a;
	uint64_t bits[MAX_WORDS + 1];
};

#define GUARD 0x5a5a5a5a5a5a5a5aull

static void bench_init(struct bench *b, uint64_t nframes)
{
	assert_true(nframes <= MAX_FRAMES);
	memset(b->bits, 0, sizeof(b->bits));
	b->bits[pfa_bitmap_words(nframes)] = GUARD;
	pfa_init(&b->a, b->bits, nframes);
}

static void assert_guard(const struct bench *b)
{
	assert_true(b->bits[pfa_bitmap_words(b->a.nframes)] == GUARD);
}

static uint64_t count_free(const struct pfa *a)
{
	uint64_t n = 0;

	for (uint64_t f = 0; f < a->nframes; f++)
		n += !pfa_is_used(a, f);
	return n;
}

/* Everything the allocator holds, to show a failing call changed nothing. */
struct snap {
	struct pfa a;
	uint64_t bits[MAX_WORDS + 1];
};

static void take(struct snap *s, const struct bench *b)
{
	s->a = b->a;
	memcpy(s->bits, b->bits, sizeof(s->bits));
}

static void assert_unchanged(const struct snap *s, const struct bench *b)
{
	assert_true(s->a.free == b->a.free);
	assert_true(s->a.total == b->a.total);
	assert_true(s->a.hint == b->a.hint);
	assert_memory_equal(s->bits, b->bits, sizeof(s->bits));
}

static void test_bitmap_words(void **state)
{
	assert_int_equal(pfa_bitmap_words(0), 0);
	assert_int_equal(pfa_bitmap_words(1), 1);
	assert_int_equal(pfa_bitmap_words(64), 1);
	assert_int_equal(pfa_bitmap_words(65), 2);
	assert_int_equal(pfa_bitmap_words(1024), 16);
}

static void test_init_all_used(void **state)
{
	struct bench b;

	bench_init(&b, 130);
	assert_true(b.a.free == 0);
	assert_true(b.a.total == 0);
	for (uint64_t f = 0; f < 130; f++)
		assert_true(pfa_is_used(&b.a, f));
	for (int w = 0; w < 3; w++)
		assert_true(b.bits[w] == ~0ull);
	assert_true(pfa_is_used(&b.a, 130));     /* past the end counts as used */
	assert_true(pfa_is_used(&b.a, UINT64_MAX));
	assert_true(pfa_alloc(&b.a, 1) == -1);
	assert_guard(&b);
}

static void test_empty_allocator(void **state)
{
	struct bench b;

	bench_init(&b, 0);
	pfa_release_range(&b.a, 0, 100);
	assert_true(b.a.free == 0);
	assert_true(pfa_alloc(&b.a, 1) == -1);
	assert_int_equal(pfa_free(&b.a, 0, 1), -1);
	assert_guard(&b);
}

static void test_release_reserve_counts(void **state)
{
	struct bench b;

	bench_init(&b, 130);
	pfa_release_range(&b.a, 10, 10);               /* [10,20) */
	assert_true(b.a.free == 10 && b.a.total == 10);
	pfa_release_range(&b.a, 15, 15);               /* overlaps: adds [20,30) */
	assert_true(b.a.free == 20 && b.a.total == 20);
	pfa_release_range(&b.a, 10, 20);               /* all already free */
	assert_true(b.a.free == 20 && b.a.total == 20);
	pfa_reserve_range(&b.a, 12, 2);                /* kernel image inside */
	assert_true(b.a.free == 18 && b.a.total == 18);
	pfa_reserve_range(&b.a, 0, 13);                /* only 10, 11 were free */
	assert_true(b.a.free == 16 && b.a.total == 16);
	assert_true(pfa_is_used(&b.a, 11) && pfa_is_used(&b.a, 13));
	assert_false(pfa_is_used(&b.a, 14));
	assert_false(pfa_is_used(&b.a, 29));
	assert_true(pfa_is_used(&b.a, 30));
	pfa_release_range(&b.a, 0, 0);                 /* empty range */
	assert_true(b.a.free == 16);
	assert_true(count_free(&b.a) == 16);
	assert_guard(&b);
}

static void test_release_clipped(void **state)
{
	struct bench b;

	bench_init(&b, 130);
	pfa_release_range(&b.a, 120, 1000);            /* clipped to [120,130) */
	assert_true(b.a.free == 10 && b.a.total == 10);
	pfa_release_range(&b.a, 130, 5);               /* wholly outside */
	pfa_release_range(&b.a, 5000, 5);
	assert_true(b.a.free == 10);
	/* Bits past nframes in the last word stay set, so they are never handed out. */
	assert_true((b.bits[2] >> 2) == (~0ull >> 2));
	pfa_reserve_range(&b.a, 125, 1000);            /* clipped to [125,130) */
	assert_true(b.a.free == 5 && b.a.total == 5);
	assert_true(count_free(&b.a) == 5);
	assert_guard(&b);
}

/* A count that makes first + count wrap is still "to the end of the bitmap". */
static void test_release_huge_count(void **state)
{
	struct bench b;

	bench_init(&b, 130);
	pfa_release_range(&b.a, 100, UINT64_MAX);
	assert_true(b.a.free == 30 && b.a.total == 30);
	assert_true(count_free(&b.a) == 30);
	pfa_reserve_range(&b.a, 110, UINT64_MAX - 50);
	assert_true(b.a.free == 10 && b.a.total == 10);
	assert_true(count_free(&b.a) == 10);
	pfa_release_range(&b.a, UINT64_MAX, UINT64_MAX);
	assert_true(b.a.free == 10);
	assert_guard(&b);
}

static void test_alloc_single(void **state)
{
	struct bench b;

	bench_init(&b, 200);
	pfa_release_range(&b.a, 0, 200);
	for (int64_t i = 0; i < 200; i++) {
		assert_false(pfa_is_used(&b.a, (uint64_t)i));
		assert_true(pfa_alloc(&b.a, 1) == i);
		assert_true(pfa_is_used(&b.a, (uint64_t)i));
		assert_true(b.a.free == (uint64_t)(199 - i));
	}
	assert_true(pfa_alloc(&b.a, 1) == -1);
	assert_true(b.a.total == 200);
	assert_guard(&b);
}

static void test_alloc_run_crosses_word(void **state)
{
	struct bench b;

	bench_init(&b, 256);
	pfa_release_range(&b.a, 60, 10);               /* [60,70) spans words 0 and 1 */
	assert_true(pfa_alloc(&b.a, 10) == 60);
	for (uint64_t f = 60; f < 70; f++)
		assert_true(pfa_is_used(&b.a, f));
	assert_true(b.a.free == 0);

	/* A run spanning two whole words and parts of two more. */
	pfa_release_range(&b.a, 100, 140);             /* [100,240) */
	assert_true(pfa_alloc(&b.a, 140) == 100);
	assert_true(b.a.free == 0 && count_free(&b.a) == 0);
	assert_guard(&b);
}

static void test_alloc_run_aligned_words(void **state)
{
	struct bench b;

	bench_init(&b, 256);
	pfa_release_range(&b.a, 64, 128);              /* words 1 and 2 exactly */
	assert_true(pfa_alloc(&b.a, 64) == 64);
	assert_true(pfa_alloc(&b.a, 64) == 128);
	assert_true(pfa_alloc(&b.a, 1) == -1);
	assert_int_equal(pfa_free(&b.a, 64, 128), 0);
	assert_true(pfa_alloc(&b.a, 128) == 64);
	assert_guard(&b);
}

/* First fit skips runs that are too short, even when they come first. */
static void test_alloc_run_first_fit(void **state)
{
	struct bench b;

	bench_init(&b, 256);
	pfa_release_range(&b.a, 2, 3);                 /* [2,5): too short */
	pfa_release_range(&b.a, 10, 7);                /* [10,17): too short */
	pfa_release_range(&b.a, 126, 8);               /* [126,134): crosses word 1/2 */
	pfa_release_range(&b.a, 200, 8);               /* [200,208): later, same size */
	assert_true(pfa_alloc(&b.a, 8) == 126);
	assert_true(pfa_alloc(&b.a, 8) == 200);
	assert_true(b.a.free == 10);
	/* Enough free frames in total, but no run of 8 left. */
	struct snap s;
	take(&s, &b);
	assert_true(pfa_alloc(&b.a, 8) == -1);
	assert_unchanged(&s, &b);
	assert_true(pfa_alloc(&b.a, 7) == 10);
	assert_guard(&b);
}

/* A fully used word between two free runs breaks the run (the word skip). */
static void test_alloc_run_not_across_used_word(void **state)
{
	struct bench b;
	struct snap s;

	bench_init(&b, 256);
	pfa_release_range(&b.a, 60, 4);                /* [60,64): end of word 0 */
	pfa_release_range(&b.a, 128, 4);              /* [128,132): word 1 all used */
	take(&s, &b);
	assert_true(pfa_alloc(&b.a, 8) == -1);
	assert_unchanged(&s, &b);
	pfa_release_range(&b.a, 132, 4);
	assert_true(pfa_alloc(&b.a, 8) == 128);
	assert_guard(&b);
}

/* The last frame of a bitmap whose size is not a multiple of 64. */
static void test_alloc_last_frame(void **state)
{
	struct bench b;

	bench_init(&b, 70);
	pfa_release_range(&b.a, 66, 4);                /* [66,70) */
	assert_true(pfa_alloc(&b.a, 5) == -1);         /* would need frame 70 */
	assert_true(pfa_alloc(&b.a, 4) == 66);
	assert_true(b.a.hint == 0);                    /* wrapped at the end */
	assert_true(pfa_alloc(&b.a, 1) == -1);
	assert_int_equal(pfa_free(&b.a, 69, 1), 0);
	assert_true(pfa_alloc(&b.a, 1) == 69);
	assert_guard(&b);
}

static void test_exhaustion_leaves_state(void **state)
{
	struct bench b;
	struct snap s;

	bench_init(&b, 100);
	pfa_release_range(&b.a, 0, 100);
	for (int i = 0; i < 100; i++)
		assert_true(pfa_alloc(&b.a, 1) >= 0);
	assert_true(b.a.free == 0);
	take(&s, &b);
	assert_true(pfa_alloc(&b.a, 1) == -1);
	assert_true(pfa_alloc(&b.a, 64) == -1);
	assert_true(pfa_alloc(&b.a, UINT64_MAX) == -1);
	assert_unchanged(&s, &b);

	/* Partial: 5 free, asking for 6 or for 0 fails without effect. */
	assert_int_equal(pfa_free(&b.a, 40, 5), 0);
	take(&s, &b);
	assert_true(pfa_alloc(&b.a, 6) == -1);
	assert_true(pfa_alloc(&b.a, 0) == -1);
	assert_unchanged(&s, &b);
	assert_true(pfa_alloc(&b.a, 5) == 40);
	assert_guard(&b);
}

static void test_double_free(void **state)
{
	struct bench b;
	struct snap s;
	int64_t f;

	bench_init(&b, 128);
	pfa_release_range(&b.a, 0, 128);
	f = pfa_alloc(&b.a, 1);
	assert_true(f >= 0);
	assert_int_equal(pfa_free(&b.a, (uint64_t)f, 1), 0);
	assert_true(b.a.free == 128);
	take(&s, &b);
	assert_int_equal(pfa_free(&b.a, (uint64_t)f, 1), -1);
	assert_unchanged(&s, &b);

	/* One free frame inside the range: the whole free is refused. */
	f = pfa_alloc(&b.a, 4);
	assert_true(f >= 0);
	assert_int_equal(pfa_free(&b.a, (uint64_t)f + 2, 1), 0);
	take(&s, &b);
	assert_int_equal(pfa_free(&b.a, (uint64_t)f, 4), -1);
	assert_unchanged(&s, &b);
	assert_true(pfa_is_used(&b.a, (uint64_t)f) && pfa_is_used(&b.a, (uint64_t)f + 3));
	assert_true(count_free(&b.a) == b.a.free);
	assert_guard(&b);
}

static void test_free_out_of_range(void **state)
{
	struct bench b;
	struct snap s;

	bench_init(&b, 100);
	pfa_release_range(&b.a, 0, 100);
	assert_true(pfa_alloc(&b.a, 100) == 0);
	take(&s, &b);
	assert_int_equal(pfa_free(&b.a, 100, 1), -1);
	assert_int_equal(pfa_free(&b.a, 99, 2), -1);
	assert_int_equal(pfa_free(&b.a, 1000, 1), -1);
	assert_int_equal(pfa_free(&b.a, UINT64_MAX, 2), -1);        /* wraps */
	assert_int_equal(pfa_free(&b.a, 1, UINT64_MAX), -1);        /* wraps */
	assert_int_equal(pfa_free(&b.a, 0, UINT64_MAX), -1);
	assert_unchanged(&s, &b);
	assert_int_equal(pfa_free(&b.a, 99, 1), 0);                 /* last frame is fine */
	assert_guard(&b);
}

/* Frames before the hint are found once the part after it is exhausted. */
static void test_hint_wraps(void **state)
{
	struct bench b;

	bench_init(&b, 128);
	pfa_release_range(&b.a, 100, 10);
	assert_true(pfa_alloc(&b.a, 10) == 100);
	assert_true(b.a.hint == 110);
	pfa_release_range(&b.a, 0, 5);                 /* behind the hint */
	assert_true(pfa_alloc(&b.a, 1) == 0);
	assert_true(pfa_alloc(&b.a, 3) == 1);
	assert_true(pfa_alloc(&b.a, 1) == 4);
	assert_true(pfa_alloc(&b.a, 1) == -1);
	assert_guard(&b);
}

/* A run that straddles the hint: frames on both sides of it. */
static void test_hint_inside_run(void **state)
{
	struct bench b;

	bench_init(&b, 128);
	pfa_release_range(&b.a, 0, 55);
	assert_true(pfa_alloc(&b.a, 55) == 0);
	assert_true(b.a.hint == 55);
	pfa_release_range(&b.a, 50, 10);               /* free [50,60), hint at 55 */
	assert_true(b.a.free == 10);
	assert_true(pfa_alloc(&b.a, 10) == 50);
	assert_true(b.a.free == 0);
	assert_guard(&b);
}

/* The next allocation starts after the last one, not at frame 0. */
static void test_hint_rotates(void **state)
{
	struct bench b;

	bench_init(&b, 128);
	pfa_release_range(&b.a, 0, 128);
	assert_true(pfa_alloc(&b.a, 3) == 0);
	assert_true(pfa_alloc(&b.a, 3) == 3);
	assert_int_equal(pfa_free(&b.a, 0, 3), 0);     /* free lowers the hint */
	assert_true(pfa_alloc(&b.a, 2) == 0);
	assert_true(pfa_alloc(&b.a, 2) == 6);          /* frame 2 is too short a run */
	assert_guard(&b);
}

/* ---- randomized model test ------------------------------------------------ */

struct model {
	uint8_t used[MAX_FRAMES];
	uint64_t nframes, free, total;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic for a given seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int model_has_run(const struct model *m, uint64_t count)
{
	uint64_t run = 0;

	for (uint64_t f = 0; f < m->nframes; f++) {
		run = m->used[f] ? 0 : run + 1;
		if (run >= count)
			return 1;
	}
	return 0;
}

static void model_check(const struct model *m, const struct bench *b)
{
	assert_true(b->a.free == m->free);
	assert_true(b->a.total == m->total);
	for (uint64_t f = 0; f < m->nframes; f++)
		if (pfa_is_used(&b->a, f) != m->used[f])
			fail_msg("frame %llu: allocator says %d, model %d", (unsigned long long)f,
				 pfa_is_used(&b->a, f), m->used[f]);
	assert_guard(b);
}

struct block {
	uint64_t first, count;
};

static void run_model(uint64_t seed, uint64_t nframes, int ops)
{
	struct bench b;
	struct model m = { .nframes = nframes };
	struct block blocks[MAX_FRAMES];
	int nblocks = 0;

	rng_state = seed;
	memset(m.used, 1, sizeof(m.used));
	bench_init(&b, nframes);
	for (int op = 0; op < ops; op++) {
		uint64_t r = rnd_below(100), first, count;

		if (r < 45) {
			/* alloc: mostly small, sometimes more than a word */
			count = rnd_below(8) ? 1 + rnd_below(8) : 1 + rnd_below(130);
			int64_t got = pfa_alloc(&b.a, count);
			if (got < 0) {
				if (count <= m.free && model_has_run(&m, count))
					fail_msg("op %d: alloc(%llu) failed though a run exists", op,
						 (unsigned long long)count);
			} else {
				first = (uint64_t)got;
				assert_true(first + count <= nframes);
				for (uint64_t f = first; f < first + count; f++) {
					if (m.used[f])
						fail_msg("op %d: frame %llu handed out while in use", op,
							 (unsigned long long)f);
					m.used[f] = 1;
				}
				m.free -= count;
				blocks[nblocks++] = (struct block){ first, count };
			}
		} else if (r < 80 && nblocks) {
			/* free a block we own, whole */
			int i = (int)rnd_below((uint64_t)nblocks);
			assert_int_equal(pfa_free(&b.a, blocks[i].first, blocks[i].count), 0);
			for (uint64_t f = blocks[i].first; f < blocks[i].first + blocks[i].count; f++)
				m.used[f] = 0;
			m.free += blocks[i].count;
			blocks[i] = blocks[--nblocks];
		} else if (r < 88) {
			/* free an arbitrary range: must fail unless all of it is in use */
			first = rnd_below(nframes + 8);
			count = rnd_below(10);
			int expect = first + count > nframes ? -1 : 0;
			for (uint64_t f = first; expect == 0 && f < first + count; f++)
				if (!m.used[f])
					expect = -1;
			if (expect == 0)
				continue;   /* would free frames some block owns; skip */
			assert_int_equal(pfa_free(&b.a, first, count), -1);
		} else if (r < 96) {
			/* release a range (boot-time memory map), clipped to the bitmap */
			first = rnd_below(nframes + 16);
			count = rnd_below(80);
			pfa_release_range(&b.a, first, count);
			for (uint64_t f = first; f < first + count && f < nframes; f++) {
				if (m.used[f]) {
					m.used[f] = 0;
					m.free++;
					m.total++;
				}
			}
			/* blocks overlapping the released range are no longer ours */
			for (int i = 0; i < nblocks; i++) {
				if (blocks[i].first < first + count && first < blocks[i].first + blocks[i].count)
					blocks[i--] = blocks[--nblocks];
			}
		} else {
			/* reserve a range: used frames stay used */
			first = rnd_below(nframes + 16);
			count = rnd_below(20);
			pfa_reserve_range(&b.a, first, count);
			for (uint64_t f = first; f < first + count && f < nframes; f++) {
				if (!m.used[f]) {
					m.used[f] = 1;
					m.free--;
					m.total--;
				}
			}
		}
		model_check(&m, &b);
	}
}

static void test_random_model(void **state)
{
	static const uint64_t nframes[] = { 1, 63, 64, 65, 200, 1000, 1024 };

	for (size_t i = 0; i < sizeof(nframes) / sizeof(nframes[0]); i++)
		for (uint64_t seed = 1; seed <= 4; seed++)
			run_model(seed * 0x9e3779b97f4a7c15ull, nframes[i], 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_words),
		cmocka_unit_test(test_init_all_used),
		cmocka_unit_test(test_empty_allocator),
		cmocka_unit_test(test_release_reserve_counts),
		cmocka_unit_test(test_release_clipped),
		cmocka_unit_test(test_release_huge_count),
		cmocka_unit_test(test_alloc_single),
		cmocka_unit_test(test_alloc_run_crosses_word),
		cmocka_unit_test(test_alloc_run_aligned_words),
		cmocka_unit_test(test_alloc_run_first_fit),
		cmocka_unit_test(test_alloc_run_not_across_used_word),
		cmocka_unit_test(test_alloc_last_frame),
		cmocka_unit_test(test_exhaustion_leaves_state),
		cmocka_unit_test(test_double_free),
		cmocka_unit_test(test_free_out_of_range),
		cmocka_unit_test(test_hint_wraps),
		cmocka_unit_test(test_hint_inside_run),
		cmocka_unit_test(test_hint_rotates),
		cmocka_unit_test(test_random_model),
	};
	return cmocka_run_group_tests_name("pfa", tests, NULL, NULL);
}
