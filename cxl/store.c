/*
 * store.c - slot bookkeeping of a pool window on its memory node (see store.h).
 */
#include <stdlib.h>
#include <string.h>
#include "store.h"

int cxl_store_init(struct cxl_store *s, struct cxl_window *w, uint64_t epoch)
{
	uint32_t n = w->lay.nslots;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->state = calloc(n ? n : 1, 1);
	s->free = malloc((n ? n : 1) * sizeof(uint32_t));
	s->limbo = malloc((n ? n : 1) * sizeof(uint32_t));
	if (!s->state || !s->free || !s->limbo) {
		cxl_store_destroy(s);
		return -1;
	}
	/* Lowest slots first: the host file grows from its start. */
	for (uint32_t i = 0; i < n; i++)
		s->free[i] = n - 1 - i;
	s->nfree = n;
	cxl_m_reset(w, epoch);
	cxl_store_begin(s);
	cxl_store_end(s);
	return 0;
}

void cxl_store_destroy(struct cxl_store *s)
{
	free(s->state);
	free(s->free);
	free(s->limbo);
	s->state = NULL;
	s->free = s->limbo = NULL;
}

void cxl_store_begin(struct cxl_store *s)
{
	cxl_m_begin(s->w);
}

void cxl_store_end(struct cxl_store *s)
{
	uint64_t hazard = cxl_m_hazard(s->w);
	uint32_t kept = 0;

	for (uint32_t i = 0; i < s->nlimbo; i++) {
		uint32_t slot = s->limbo[i];

		if (hazard == (uint64_t)slot + 1) {
			s->limbo[kept++] = slot;     /* a copy may still be landing: next round */
			s->st.hazard_waits++;
			continue;
		}
		s->state[slot] = CXL_SLOT_FREE;
		s->free[s->nfree++] = slot;
	}
	s->nlimbo = kept;
	for (uint32_t room = cxl_m_ring_room(s->w); room && s->nfree; room--) {
		uint32_t slot = s->free[--s->nfree];

		s->state[slot] = CXL_SLOT_RING;
		s->in_ring++;
		cxl_m_ring_push(s->w, slot);
	}
	cxl_m_end(s->w);
}

void *cxl_store_alloc(struct cxl_store *s)
{
	uint32_t slot;

	if (!s->nfree)
		return NULL;
	slot = s->free[--s->nfree];
	s->state[slot] = CXL_SLOT_USED;
	s->used++;
	return cxl_slot_page(s->w, slot);
}

int cxl_store_owns(const struct cxl_store *s, const void *page)
{
	return s->w && cxl_page_slot(s->w, page) >= 0;
}

void cxl_store_free(struct cxl_store *s, void *page)
{
	int64_t slot = cxl_page_slot(s->w, page);

	if (slot < 0 || s->state[slot] != CXL_SLOT_USED) {
		s->st.bad_frees++;
		return;
	}
	s->state[slot] = CXL_SLOT_LIMBO;
	s->used--;
	s->limbo[s->nlimbo++] = (uint32_t)slot;
}

unsigned cxl_store_drain(struct cxl_store *s, cxl_adopt_fn adopt, void *arg)
{
	struct cxl_log_entry e;
	unsigned n = 0;

	while (cxl_m_log_pop(s->w, &e)) {
		void *page;

		n++;
		if (e.slot >= s->w->lay.nslots || s->state[e.slot] != CXL_SLOT_RING) {
			s->st.bad_slots++;
			continue;
		}
		s->state[e.slot] = CXL_SLOT_USED;
		s->in_ring--;
		s->used++;
		page = cxl_slot_page(s->w, e.slot);
		if (adopt(arg, e.as_id, e.vpn, page)) {
			s->st.rejected++;
			cxl_store_free(s, page);
			continue;
		}
		s->st.adopted++;
	}
	return n;
}

uint64_t cxl_store_free_slots(const struct cxl_store *s)
{
	return (uint64_t)s->nfree + s->in_ring + s->nlimbo;
}
