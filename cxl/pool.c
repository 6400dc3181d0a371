/*
 * pool.c - the shared page pool's layout, directory, free ring and log
 * (see pool.h). Used by both nodes and by the host tests.
 */
#include <string.h>
#include "pool.h"

#define RING_OFF   CXL_PAGE
#define LOG_OFF    (RING_OFF + CXL_RING * sizeof(uint32_t))
#define DIR_OFF    (LOG_OFF + ((CXL_RING * sizeof(struct cxl_log_entry) + CXL_PAGE - 1) & ~(uint64_t)(CXL_PAGE - 1)))
#define READ_TRIES 64

_Static_assert(sizeof(struct cxl_hdr) <= CXL_PAGE, "header fits its page");
_Static_assert(LOG_OFF % CXL_PAGE == 0 && DIR_OFF % CXL_PAGE == 0, "page-aligned areas");
_Static_assert((CXL_RING & (CXL_RING - 1)) == 0, "ring size a power of two");

static inline void full_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void relax(void)
{
#if defined(__x86_64__)
	__asm__ volatile("pause");
#endif
}

static uint64_t next_pow2(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

int cxl_layout(uint64_t size, struct cxl_layout *out)
{
	uint64_t rest, guess, dir_bytes, nslots;

	if (size < CXL_MIN_WINDOW || size > CXL_MAX_WINDOW || (size & (size - 1)))
		return -1;
	rest = size - DIR_OFF;
	guess = rest / (CXL_PAGE + 2 * sizeof(struct cxl_dir_entry));
	out->size = size;
	out->ring_off = RING_OFF;
	out->log_off = LOG_OFF;
	out->dir_off = DIR_OFF;
	out->dir_entries = next_pow2(2 * guess);
	dir_bytes = (out->dir_entries * sizeof(struct cxl_dir_entry) + CXL_PAGE - 1) & ~(uint64_t)(CXL_PAGE - 1);
	out->slots_off = DIR_OFF + dir_bytes;
	nslots = (size - out->slots_off) / CXL_PAGE;
	if (nslots > out->dir_entries / 2)
		nslots = out->dir_entries / 2;      /* the directory stays at most half full */
	out->nslots = (uint32_t)nslots;
	return 0;
}

int cxl_attach(struct cxl_window *w, void *base, uint64_t mapped_size)
{
	struct cxl_hdr *h = base;

	memset(w, 0, sizeof(*w));
	if (h->host.magic != CXL_MAGIC || h->host.version != CXL_VERSION || h->host.size != mapped_size ||
	    cxl_layout(mapped_size, &w->lay))
		return -1;
	w->base = base;
	w->hdr = h;
	w->ring = (uint32_t *)(w->base + w->lay.ring_off);
	w->log = (struct cxl_log_entry *)(w->base + w->lay.log_off);
	w->dir = (struct cxl_dir_entry *)(w->base + w->lay.dir_off);
	return 0;
}

int64_t cxl_page_slot(const struct cxl_window *w, const void *page)
{
	const uint8_t *p = page, *first = w->base + w->lay.slots_off;

	if (!w->base || p < first || p >= first + (uint64_t)w->lay.nslots * CXL_PAGE ||
	    (uint64_t)(p - first) % CXL_PAGE)
		return -1;
	return (int64_t)((uint64_t)(p - first) / CXL_PAGE);
}

/* ---- the directory: linear probing, deletion by backward shift ------------------------ */

static uint64_t dir_hash(uint64_t as_id, uint64_t vpn)
{
	uint64_t k = as_id * 0x9e3779b97f4a7c15ull ^ vpn;

	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return k;
}

/* The entry of (as_id, vpn), or the empty entry where it would go. */
static uint64_t dir_find(const struct cxl_window *w, uint64_t as_id, uint64_t vpn)
{
	uint64_t mask = w->lay.dir_entries - 1, i = dir_hash(as_id, vpn) & mask;

	for (uint64_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		const volatile struct cxl_dir_entry *e = &w->dir[i];

		if (!e->slot1 || (e->as_id == as_id && e->vpn == vpn))
			return i;
	}
	return UINT64_MAX;      /* only a corrupt (full) directory gets here */
}

void cxl_m_reset(struct cxl_window *w, uint64_t epoch)
{
	struct cxl_hdr *h = w->hdr;

	__atomic_store_n(&h->m.ready, 0, __ATOMIC_RELEASE);
	full_fence();
	memset(w->dir, 0, w->lay.dir_entries * sizeof(*w->dir));
	h->m.seq = 0;
	h->m.epoch = epoch;
	h->m.free_prod = 0;
	h->m.log_cons = 0;
	h->p.free_cons = 0;
	h->p.log_prod = 0;
	h->p.hazard = 0;
	full_fence();
	__atomic_store_n(&h->m.ready, CXL_MAGIC, __ATOMIC_RELEASE);
}

void cxl_m_begin(struct cxl_window *w)
{
	__atomic_store_n(&w->hdr->m.seq, w->hdr->m.seq + 1, __ATOMIC_RELAXED);
	full_fence();   /* odd before any change, and before the hazard is read */
}

void cxl_m_end(struct cxl_window *w)
{
	__atomic_store_n(&w->hdr->m.seq, w->hdr->m.seq + 1, __ATOMIC_RELEASE);
	full_fence();
}

int cxl_m_publish(struct cxl_window *w, uint64_t as_id, uint64_t vpn, uint32_t slot)
{
	uint64_t i = dir_find(w, as_id, vpn);
	volatile struct cxl_dir_entry *e;

	if (i == UINT64_MAX || slot >= w->lay.nslots)
		return -1;
	e = &w->dir[i];
	e->as_id = as_id;
	e->vpn = vpn;
	e->slot1 = slot + 1;
	return 0;
}

void cxl_m_withdraw(struct cxl_window *w, uint64_t as_id, uint64_t vpn)
{
	uint64_t mask = w->lay.dir_entries - 1, i = dir_find(w, as_id, vpn), j;

	if (i == UINT64_MAX || !w->dir[i].slot1)
		return;
	/* Shift later members of the probe run back so no lookup passes a hole. */
	for (j = (i + 1) & mask; w->dir[j].slot1; j = (j + 1) & mask) {
		uint64_t home = dir_hash(w->dir[j].as_id, w->dir[j].vpn) & mask;

		/* j may move to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		w->dir[i] = w->dir[j];
		i = j;
	}
	w->dir[i].slot1 = 0;
}

uint32_t cxl_m_ring_room(const struct cxl_window *w)
{
	uint32_t cons = __atomic_load_n(&w->hdr->p.free_cons, __ATOMIC_ACQUIRE);

	return CXL_RING - (w->hdr->m.free_prod - cons);
}

void cxl_m_ring_push(struct cxl_window *w, uint32_t slot)
{
	uint32_t prod = w->hdr->m.free_prod;

	w->ring[prod & (CXL_RING - 1)] = slot;
	__atomic_store_n(&w->hdr->m.free_prod, prod + 1, __ATOMIC_RELEASE);
}

bool cxl_m_log_pop(struct cxl_window *w, struct cxl_log_entry *out)
{
	uint32_t cons = w->hdr->m.log_cons;
	uint32_t prod = __atomic_load_n(&w->hdr->p.log_prod, __ATOMIC_ACQUIRE);

	/* A process node that claims more than a ring's worth is lying: take a ring's worth. */
	if (cons == prod)
		return false;
	if (prod - cons > CXL_RING)
		cons = prod - CXL_RING;
	*out = ((volatile struct cxl_log_entry *)w->log)[cons & (CXL_RING - 1)];
	__atomic_store_n(&w->hdr->m.log_cons, cons + 1, __ATOMIC_RELEASE);
	return true;
}

uint64_t cxl_m_hazard(const struct cxl_window *w)
{
	full_fence();
	return __atomic_load_n(&w->hdr->p.hazard, __ATOMIC_ACQUIRE);
}

/* ---- the process node's side ------------------------------------------------------------ */

/* The slot of (as_id, vpn): published, else the newest log entry not yet drained; -1 if none. */
static int64_t p_find(const struct cxl_window *w, uint64_t as_id, uint64_t vpn)
{
	uint64_t i = dir_find(w, as_id, vpn);
	uint32_t cons, prod;

	if (i != UINT64_MAX && w->dir[i].slot1) {
		uint32_t s1 = ((volatile struct cxl_dir_entry *)w->dir)[i].slot1;

		return s1 && s1 <= w->lay.nslots ? (int64_t)s1 - 1 : -1;
	}
	cons = __atomic_load_n(&w->hdr->m.log_cons, __ATOMIC_ACQUIRE);
	prod = w->hdr->p.log_prod;
	for (uint32_t k = prod; k != cons && prod - k < CXL_RING; k--) {
		const struct cxl_log_entry *e = &w->log[(k - 1) & (CXL_RING - 1)];

		if (e->as_id == as_id && e->vpn == vpn)
			return e->slot < w->lay.nslots ? (int64_t)e->slot : -1;
	}
	return -1;
}

/* The directory's sequence (even), or -1 (after a pause) while the memory node changes it. */
static int64_t seq_stable(const struct cxl_window *w)
{
	uint64_t s = __atomic_load_n(&w->hdr->m.seq, __ATOMIC_ACQUIRE);

	if (s & 1) {
		relax();
		return -1;
	}
	return (int64_t)s;
}

/* Whether the directory has not changed since seq_stable() gave since. */
static bool seq_unchanged(const struct cxl_window *w, int64_t since)
{
	return __atomic_load_n(&w->hdr->m.seq, __ATOMIC_ACQUIRE) == (uint64_t)since;
}

int cxl_p_read(struct cxl_window *w, uint64_t as_id, uint64_t vpn, void *dst)
{
	for (int t = 0; t < READ_TRIES; t++) {
		int64_t s = seq_stable(w), slot;

		if (s < 0)
			continue;
		slot = p_find(w, as_id, vpn);
		if (slot >= 0)
			memcpy(dst, cxl_slot_page(w, (uint32_t)slot), CXL_PAGE);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (seq_unchanged(w, s))
			return slot >= 0 ? CXL_FOUND : CXL_ABSENT;
	}
	return CXL_BUSY;
}

int cxl_p_write_existing(struct cxl_window *w, uint64_t as_id, uint64_t vpn, const void *src)
{
	for (int t = 0; t < READ_TRIES; t++) {
		int64_t s = seq_stable(w), slot;

		if (s < 0)
			continue;
		slot = p_find(w, as_id, vpn);
		if (slot < 0) {
			if (seq_unchanged(w, s))
				return CXL_ABSENT;
			continue;
		}
		/* Announce the slot, then make sure it was still the page's after that. */
		__atomic_store_n(&w->hdr->p.hazard, (uint64_t)slot + 1, __ATOMIC_RELAXED);
		full_fence();
		if (!seq_unchanged(w, s)) {
			__atomic_store_n(&w->hdr->p.hazard, 0, __ATOMIC_RELEASE);
			continue;
		}
		memcpy(cxl_slot_page(w, (uint32_t)slot), src, CXL_PAGE);
		__atomic_store_n(&w->hdr->p.hazard, 0, __ATOMIC_RELEASE);
		return CXL_FOUND;
	}
	return CXL_BUSY;
}

uint32_t cxl_p_log_room(const struct cxl_window *w)
{
	uint32_t cons = __atomic_load_n(&w->hdr->m.log_cons, __ATOMIC_ACQUIRE);

	return CXL_RING - (w->hdr->p.log_prod - cons);
}

uint32_t cxl_p_free_slots(const struct cxl_window *w)
{
	uint32_t prod = __atomic_load_n(&w->hdr->m.free_prod, __ATOMIC_ACQUIRE);

	return prod - w->hdr->p.free_cons;
}

int cxl_p_write_new(struct cxl_window *w, uint64_t as_id, uint64_t vpn, const void *src)
{
	uint32_t cons = w->hdr->p.free_cons, prod = w->hdr->p.log_prod, slot;
	struct cxl_log_entry *e;

	if (!cxl_p_free_slots(w) || !cxl_p_log_room(w))
		return -1;
	slot = ((volatile uint32_t *)w->ring)[cons & (CXL_RING - 1)];
	__atomic_store_n(&w->hdr->p.free_cons, cons + 1, __ATOMIC_RELEASE);
	if (slot >= w->lay.nslots)
		return -1;      /* a bad entry is passed over, not taken */
	memcpy(cxl_slot_page(w, slot), src, CXL_PAGE);
	e = &w->log[prod & (CXL_RING - 1)];
	e->as_id = as_id;
	e->vpn = vpn;
	e->slot = slot;
	e->pad = 0;
	__atomic_store_n(&w->hdr->p.log_prod, prod + 1, __ATOMIC_RELEASE);
	return 0;
}
