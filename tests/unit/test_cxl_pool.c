/*
 * test_cxl_pool.c - the shared page pool (cxl/pool.c, cxl/store.c) with
 * both sides in one process over one buffer: layout, the directory against
 * a model, the free ring and log, adoption and rejection, the sequence lock
 * and the hazard that keeps a freed slot back while a copy may land in it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cxl/pool.h>
#include <cxl/store.h>

#define WIN (8ull << 20)
#define PG  CXL_PAGE

static uint8_t *buf;
static struct cxl_window mw, pw;     /* the memory node's and the process node's views */
static struct cxl_store st;

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int setup(void **state)
{
	buf = aligned_alloc(PG, WIN);
	assert_non_null(buf);
	memset(buf, 0, WIN);
	cxl_host_format(buf, WIN, 2, 1);
	assert_int_equal(cxl_attach(&mw, buf, WIN), 0);
	assert_int_equal(cxl_attach(&pw, buf, WIN), 0);
	assert_false(cxl_ready(&pw));
	assert_int_equal(cxl_store_init(&st, &mw, 42), 0);
	assert_true(cxl_ready(&pw));
	return 0;
}

static int teardown(void **state)
{
	cxl_store_destroy(&st);
	free(buf);
	return 0;
}

static void fill(void *p, uint8_t v)
{
	memset(p, v, PG);
}

static int first_byte_of_read(uint64_t as, uint64_t vpn)
{
	uint8_t page[PG];

	memset(page, 0xee, PG);
	if (cxl_p_read(&pw, as, vpn, page) != CXL_FOUND)
		return -1;
	for (unsigned i = 1; i < PG; i++)
		assert_int_equal(page[i], page[0]);
	return page[0];
}

static void test_layout(void **state)
{
	struct cxl_layout l;
	static const uint64_t sizes[] = { 4ull << 20, 64ull << 20, 1ull << 30, 16ull << 30 };

	assert_int_equal(cxl_layout(3ull << 20, &l), -1);          /* not a power of two */
	assert_int_equal(cxl_layout(2ull << 20, &l), -1);          /* too small */
	assert_int_equal(cxl_layout(128ull << 30, &l), -1);        /* too big */
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(cxl_layout(sizes[i], &l), 0);
		assert_int_equal(l.slots_off % PG, 0);
		assert_true(l.dir_off >= l.log_off + CXL_RING * sizeof(struct cxl_log_entry));
		assert_true(l.slots_off >= l.dir_off + l.dir_entries * sizeof(struct cxl_dir_entry));
		assert_true(l.slots_off + (uint64_t)l.nslots * PG <= sizes[i]);
		assert_true(l.dir_entries >= 2ull * l.nslots);
		assert_int_equal(l.dir_entries & (l.dir_entries - 1), 0);
		/* Little is wasted: more than 95 % of the window is page slots. */
		assert_true((uint64_t)l.nslots * PG * 100 / sizes[i] >= 95 || sizes[i] < (64ull << 20));
	}
}

static void test_attach_checks(void **state)
{
	struct cxl_window w;
	uint8_t *b = aligned_alloc(PG, WIN);

	memset(b, 0, WIN);
	assert_int_equal(cxl_attach(&w, b, WIN), -1);              /* no header */
	cxl_host_format(b, WIN, 1, 2);
	assert_int_equal(cxl_attach(&w, b, WIN / 2), -1);          /* header and BAR disagree */
	((struct cxl_hdr *)b)->host.version = 99;
	assert_int_equal(cxl_attach(&w, b, WIN), -1);
	((struct cxl_hdr *)b)->host.version = CXL_VERSION;
	assert_int_equal(cxl_attach(&w, b, WIN), 0);
	assert_int_equal(cxl_page_slot(&w, b), -1);
	assert_int_equal(cxl_page_slot(&w, cxl_slot_page(&w, 3)), 3);
	assert_int_equal(cxl_page_slot(&w, (uint8_t *)cxl_slot_page(&w, 3) + 1), -1);
	free(b);
}

/* Pages the memory node stores itself (fork copies, fabric writebacks), published and withdrawn
 * at random against a model: every lookup from the other side agrees with it. */
static void test_directory_model(void **state)
{
	enum { KEYS = 600 };
	static void *model[KEYS];
	unsigned stored = 0;

	rng_state = 0x1234567;
	memset(model, 0, sizeof(model));
	for (int step = 0; step < 20000; step++) {
		unsigned k = (unsigned)(rnd() % KEYS);
		uint64_t as = 1 + k % 3, vpn = 0x400 + k / 3 * 7;    /* clustered keys: long probe runs */

		cxl_store_begin(&st);
		if (model[k]) {
			cxl_m_withdraw(&mw, as, vpn);
			cxl_store_free(&st, model[k]);
			model[k] = NULL;
			stored--;
		} else {
			void *p = cxl_store_alloc(&st);

			assert_non_null(p);
			fill(p, (uint8_t)(k & 0xff));
			assert_int_equal(cxl_m_publish(&mw, as, vpn, (uint32_t)cxl_page_slot(&mw, p)), 0);
			model[k] = p;
			stored++;
		}
		cxl_store_end(&st);
		if (step % 500 == 0 || step > 19900)
			for (unsigned j = 0; j < KEYS; j++)
				assert_int_equal(first_byte_of_read(1 + j % 3, 0x400 + j / 3 * 7),
						 model[j] ? (int)(j & 0xff) : -1);
	}
	assert_int_equal(st.used, stored);
	assert_int_equal(st.st.bad_frees, 0);
}

static int adopt_ok(void *arg, uint64_t as_id, uint64_t vpn, void *page)
{
	int *n = arg;

	(*n)++;
	return as_id == 666 ? -13 : 0;     /* space 666 is somebody else's */
}

/* The process node's own new pages: a free slot, the log, then the memory node's adoption. */
static void test_new_pages_through_log(void **state)
{
	uint8_t page[PG];
	uint32_t ring_before = cxl_p_free_slots(&pw);
	int adopted = 0;

	assert_int_equal(ring_before, CXL_RING);           /* the store filled the ring */
	fill(page, 0x11);
	assert_int_equal(cxl_p_write_existing(&pw, 7, 0x500, page), CXL_ABSENT);
	assert_int_equal(cxl_p_write_new(&pw, 7, 0x500, page), 0);
	fill(page, 0x22);
	assert_int_equal(cxl_p_write_new(&pw, 666, 0x500, page), 0);
	assert_int_equal(cxl_p_free_slots(&pw), ring_before - 2);
	assert_int_equal(cxl_p_log_room(&pw), CXL_RING - 2);
	/* Found in the log before the memory node has seen it, and rewritable there. */
	assert_int_equal(first_byte_of_read(7, 0x500), 0x11);
	fill(page, 0x33);
	assert_int_equal(cxl_p_write_existing(&pw, 7, 0x500, page), CXL_FOUND);
	assert_int_equal(first_byte_of_read(7, 0x500), 0x33);
	/* The memory node takes the log: one adopted, one refused and freed. */
	cxl_store_begin(&st);
	assert_int_equal(cxl_store_drain(&st, adopt_ok, &adopted), 2);
	assert_int_equal(adopted, 2);
	cxl_store_end(&st);
	assert_int_equal(st.st.adopted, 1);
	assert_int_equal(st.st.rejected, 1);
	assert_int_equal(cxl_p_log_room(&pw), CXL_RING);
	/* Refused slot back in circulation, ring topped up again. */
	assert_int_equal(cxl_p_free_slots(&pw), CXL_RING);
	/* Not published, not in the log any more: absent for the process node. */
	assert_int_equal(first_byte_of_read(666, 0x500), -1);
}

/* A log entry naming a slot the process node was never given is refused. */
static void test_forged_log_entry(void **state)
{
	struct cxl_hdr *h = pw.hdr;
	struct cxl_log_entry *e = &pw.log[h->p.log_prod & (CXL_RING - 1)];
	void *mine;
	int adopted = 0;

	cxl_store_begin(&st);
	mine = cxl_store_alloc(&st);         /* a slot the memory node uses itself */
	cxl_store_end(&st);
	e->as_id = 7;
	e->vpn = 0x900;
	e->slot = (uint32_t)cxl_page_slot(&mw, mine);
	h->p.log_prod++;
	e = &pw.log[h->p.log_prod & (CXL_RING - 1)];
	e->as_id = 7;
	e->vpn = 0x901;
	e->slot = mw.lay.nslots + 5;         /* outside the window */
	h->p.log_prod++;
	cxl_store_begin(&st);
	assert_int_equal(cxl_store_drain(&st, adopt_ok, &adopted), 2);
	cxl_store_end(&st);
	assert_int_equal(adopted, 0);
	assert_int_equal(st.st.bad_slots, 2);
	/* A process node claiming more entries than the log holds costs at most one log's worth. */
	h->p.log_prod += 5 * CXL_RING;
	cxl_store_begin(&st);
	assert_true(cxl_store_drain(&st, adopt_ok, &adopted) <= CXL_RING);
	cxl_store_end(&st);
}

/* While the directory changes, readers and writers back off instead of using a stale slot. */
static void test_sequence_lock(void **state)
{
	uint8_t page[PG];
	void *p;

	cxl_store_begin(&st);
	p = cxl_store_alloc(&st);
	fill(p, 0x44);
	assert_int_equal(cxl_m_publish(&mw, 9, 0x10, (uint32_t)cxl_page_slot(&mw, p)), 0);
	cxl_store_end(&st);
	assert_int_equal(first_byte_of_read(9, 0x10), 0x44);
	cxl_store_begin(&st);            /* the memory node is mid-change */
	assert_int_equal(cxl_p_read(&pw, 9, 0x10, page), CXL_BUSY);
	fill(page, 0x55);
	assert_int_equal(cxl_p_write_existing(&pw, 9, 0x10, page), CXL_BUSY);
	assert_int_equal(((uint8_t *)p)[0], 0x44);
	cxl_store_end(&st);
	assert_int_equal(cxl_p_write_existing(&pw, 9, 0x10, page), CXL_FOUND);
	assert_int_equal(((uint8_t *)p)[0], 0x55);
	assert_int_equal(pw.hdr->p.hazard, 0);      /* announced only while copying */
}

/* A slot freed while the process node announced it as the target of a copy stays out of use. */
static void test_hazard_keeps_slot(void **state)
{
	void *p;
	uint32_t slot;
	uint64_t waits = st.st.hazard_waits;

	cxl_store_begin(&st);
	p = cxl_store_alloc(&st);
	slot = (uint32_t)cxl_page_slot(&mw, p);
	assert_int_equal(cxl_m_publish(&mw, 3, 0x77, slot), 0);
	cxl_store_end(&st);
	/* The process node found the slot and is copying into it... */
	pw.hdr->p.hazard = slot + 1;
	/* ...when the memory node frees it (an munmap). */
	cxl_store_begin(&st);
	cxl_m_withdraw(&mw, 3, 0x77);
	cxl_store_free(&st, p);
	cxl_store_end(&st);
	assert_int_equal(st.st.hazard_waits, waits + 1);
	assert_int_equal(st.state[slot], CXL_SLOT_LIMBO);
	for (uint32_t i = 0; i < st.nfree; i++)
		assert_int_not_equal(st.free[i], slot);
	/* The copy ends; the next change releases the slot. */
	pw.hdr->p.hazard = 0;
	cxl_store_begin(&st);
	cxl_store_end(&st);
	assert_int_not_equal(st.state[slot], CXL_SLOT_LIMBO);
	assert_int_equal(st.nlimbo, 0);
}

/* Until the memory node has set the window up, the process node does not use it. */
static void test_not_ready_until_reset(void **state)
{
	uint8_t *b = aligned_alloc(PG, WIN);
	struct cxl_window w;
	struct cxl_store s2;

	memset(b, 0, WIN);
	cxl_host_format(b, WIN, 2, 1);
	assert_int_equal(cxl_attach(&w, b, WIN), 0);
	assert_false(cxl_ready(&w));
	assert_int_equal(cxl_store_init(&s2, &w, 7), 0);
	assert_true(cxl_ready(&w));
	assert_int_equal(w.hdr->m.epoch, 7);
	assert_int_equal(cxl_store_free_slots(&s2), w.lay.nslots);
	cxl_store_destroy(&s2);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_attach_checks),
		cmocka_unit_test_setup_teardown(test_directory_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_pages_through_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_log_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hazard_keeps_slot, setup, teardown),
		cmocka_unit_test(test_not_ready_until_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
