/*
 * excache.c - the ExCache (see excache.h).
 *
 * Lines come from a pool of frames reserved at boot; each vNode's cache
 * takes its lines from the pool. A line's page-table entry is the only
 * mapping of its frame; the CPU's dirty bit in that entry says whether the
 * line must be written back on eviction.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include <net/fabric.h>
#include <cxl/ivshmem.h>
#include "excache.h"
#include "pageset.h"

#define PTE_D (1ull << 6)
/* A miss is not given up lightly: 10 tries (50 ms doubling to 800 ms) span about 5 s. */
#define MISS_TRIES 10

struct xline {
	struct aspace *as;        /* NULL: free */
	uint64_t vpage;
	uint64_t pa;
	int busy;                 /* taken by a miss that waits on the fabric: not free, no victim */
};

#define WB_FLIGHT_MAX  128      /* writebacks of one cache on the fabric at once */
#define ANY_PAGE       UINT64_MAX

/* A writeback sent and not yet answered. The fabric may deliver a retried
 * request after later ones, so a fetch of the page, or a fork of its space,
 * waits until the writeback is answered. as_id 0: a free slot. */
struct wb_flight {
	uint64_t as_id, vpage;
};

struct excache {
	struct xline *line;
	uint32_t nlines, assoc, nsets;
	uint32_t *fifo;           /* next victim way per set */
	struct vn_excache_stats st;
	struct wb_flight flight[WB_FLIGHT_MAX];
};

/* ---- the node's pool of line frames --------------------------------------- */

static uint64_t *pool;        /* stack of free frame addresses */
static uint64_t pool_n, pool_cap;

int excache_pool_init(uint64_t bytes)
{
	uint64_t want = bytes / PAGE_SIZE;

	pool = calloc(want ? want : 1, sizeof(uint64_t));
	if (!pool)
		return -ENOMEM;
	pool_cap = want;
	while (pool_n < want) {
		uint64_t pa = frame_alloc_raw();   /* lines are filled on every miss */

		if (!pa)
			break;
		pool[pool_n++] = pa;
	}
	pr_info("excache: pool of %lu lines (%lu MiB) reserved", pool_n, (pool_n * PAGE_SIZE) >> 20);
	return 0;
}

uint64_t excache_pool_free_bytes(void)
{
	return pool_n * PAGE_SIZE;
}

struct excache *excache_create(uint64_t bytes, unsigned assoc)
{
	struct excache *c;
	uint32_t n = (uint32_t)(bytes / PAGE_SIZE);

	if (assoc == 0)
		assoc = 1;
	n -= n % assoc;
	if (n == 0 || n > pool_n)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->line = calloc(n, sizeof(*c->line));
	c->nsets = n / assoc;
	c->fifo = calloc(c->nsets, sizeof(uint32_t));
	if (!c->line || !c->fifo) {
		free(c->line);
		free(c->fifo);
		free(c);
		return NULL;
	}
	c->nlines = n;
	c->assoc = assoc;
	for (uint32_t i = 0; i < n; i++)
		c->line[i].pa = pool[--pool_n];
	c->st.lines = n;
	c->st.assoc = assoc;
	return c;
}

void excache_destroy(struct excache *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->nlines; i++)
		pool[pool_n++] = c->line[i].pa;
	free(c->line);
	free(c->fifo);
	free(c);
}

/* One fetch with a piggybacked page: header + 4 KiB out, header + 4 KiB back. Per miss, since
 * several tasks may wait on misses at once. */
struct fetch_bufs {
	uint8_t req[sizeof(struct mem_fetch_req) + MEM_PAGE_SIZE];
	uint8_t rep[sizeof(struct mem_fetch_reply) + MEM_PAGE_SIZE];
};

/* ---- address spaces ------------------------------------------------------------ */

int aspace_init(struct aspace *as, uint64_t as_id, uint16_t mnode, struct excache *c)
{
	as->as_id = as_id;
	as->mnode = mnode;
	as->cache = c;
	as->resident = 0;
	as->root = vm_new_user_root();
	as->backed = calloc(1, sizeof(*as->backed));
	as->pool = cxl_window_for_peer(mnode);
	if (!as->root || !as->backed || pageset_init(as->backed)) {
		if (as->root)
			vm_free_user_root(as->root);
		free(as->backed);
		return -ENOMEM;
	}
	return 0;
}

static void unmap_line(struct xline *l)
{
	uint64_t *pte = vm_pte(l->as->root, l->vpage, 0);

	if (pte) {
		*pte = 0;
		if (virt_to_phys(l->as->root) == read_cr3())
			invlpg(l->vpage);
	}
	l->as->resident--;
	l->as = NULL;
}

void aspace_release(struct aspace *as)
{
	struct excache *c = as->cache;

	for (uint32_t i = 0; c && i < c->nlines; i++)
		if (c->line[i].as == as)
			unmap_line(&c->line[i]);
	if (virt_to_phys(as->root) == read_cr3())
		write_cr3(virt_to_phys(vm_kernel_root()));
	vm_free_user_root(as->root);
	pageset_free(as->backed);
	free(as->backed);
	as->root = NULL;
	as->backed = NULL;
}

/* ---- misses -------------------------------------------------------------------- */

static uint32_t set_of(const struct excache *c, uint64_t vpage)
{
	uint64_t x = vpage >> 12;

	return (uint32_t)(x % c->nsets);
}

/* A line of set for a miss: a free way first, else the set's FIFO victim. Lines that
 * other misses are filling (they sleep on the fabric meanwhile) are neither. */
static uint32_t pick_line(struct excache *c, uint32_t set)
{
	for (uint32_t way = 0; way < c->assoc; way++) {
		struct xline *l = &c->line[set * c->assoc + way];

		if (!l->as && !l->busy)
			return set * c->assoc + way;
	}
	for (uint32_t tries = 0; tries < c->assoc; tries++) {
		uint32_t victim = set * c->assoc + c->fifo[set];

		c->fifo[set] = (c->fifo[set] + 1) % c->assoc;
		if (!c->line[victim].busy)
			return victim;
	}
	return UINT32_MAX;
}

static uint64_t pte_flags(uint32_t prot)
{
	uint64_t f = PTE_P | PTE_U;

	if (prot & MEM_PROT_WRITE)
		f |= PTE_W;
	if (!(prot & MEM_PROT_EXEC))
		f |= PTE_NX;
	return f;
}


/* ---- writebacks in flight --------------------------------------------------------- */

static int flight_find(const struct excache *c, uint64_t as_id, uint64_t vpage)
{
	for (int i = 0; i < WB_FLIGHT_MAX; i++)
		if (c->flight[i].as_id == as_id && (vpage == ANY_PAGE || c->flight[i].vpage == vpage))
			return i;
	return -1;
}

/* Record a writeback about to be sent (waits for a free slot); its slot. */
static int flight_begin(struct excache *c, uint64_t as_id, uint64_t vpage)
{
	int i;

	while ((i = flight_find(c, 0, ANY_PAGE)) < 0)
		sched_yield_to_main();
	c->flight[i].as_id = as_id;
	c->flight[i].vpage = vpage;
	return i;
}

static void flight_end(struct excache *c, int slot)
{
	c->flight[slot].as_id = 0;
}

/* Wait until no writeback of (as_id, vpage), or of any page of as_id, is in flight. */
static void flight_wait(const struct excache *c, uint64_t as_id, uint64_t vpage)
{
	while (flight_find(c, as_id, vpage) >= 0)
		sched_yield_to_main();
}

/* Have the memory node take the pool log and refill the free ring (sleeps). */
static int pool_sync(struct aspace *as)
{
	as->cache->st.pool_syncs++;
	return fabric_call(as->mnode, FAB_OP_MEM_POOL_SYNC, NULL, 0, NULL, 0, NULL, 0, MISS_TRIES);
}

/*
 * Put a page into the pool window: into its slot if the memory node holds
 * it there (or it is in the log), else into a free slot that goes in the
 * log. 0 when the page is in the pool; nonzero means use the fabric.
 */
static int pool_put(struct aspace *as, uint64_t vpage, const void *data)
{
	struct cxl_window *w = as->pool;
	struct excache *c = as->cache;
	uint64_t vpn = vpage >> 12;
	int r;

	if (!w || !cxl_ready(w))
		return -ENODEV;
	r = cxl_p_write_existing(w, as->as_id, vpn, data);
	if (r == CXL_BUSY)
		return -EAGAIN;
	if (r == CXL_ABSENT) {
		if (!cxl_p_free_slots(w) || !cxl_p_log_room(w)) {
			/* The page is in no pool yet, and in no line: a miss on it must wait. */
			int slot = flight_begin(c, as->as_id, vpage);

			pageset_add(as->backed, vpage);
			pool_sync(as);
			flight_end(c, slot);
			/* A failed sync or a full window: the fabric writeback stores it elsewhere. */
			if (!cxl_p_free_slots(w) || !cxl_p_log_room(w))
				return -ENOSPC;
		}
		if (cxl_p_write_new(w, as->as_id, vpn, data))
			return -ENOSPC;
		/* Half a log waiting: ask the memory node to take it, without waiting. */
		if (cxl_p_log_room(w) == CXL_RING / 2)
			fabric_send(as->mnode, FAB_OP_MEM_POOL_SYNC, NULL, 0);
	}
	pageset_add(as->backed, vpage);
	c->st.pool_writes++;
	return 0;
}

static int writeback(struct aspace *as, uint64_t vpage, const void *data)
{
	struct excache *c = as->cache;
	size_t n = sizeof(struct mem_page_req) + MEM_PAGE_SIZE;
	struct mem_page_req *rq;
	int slot, rc;

	if (pool_put(as, vpage, data) == 0)
		return 0;
	rq = malloc(n);
	if (!rq)
		return -ENOMEM;
	rq->as_id = as->as_id;
	rq->vaddr = vpage;
	memcpy(rq + 1, data, MEM_PAGE_SIZE);
	/* Before the call, which sleeps: a miss on the page meanwhile (an evicted line's
	 * owner) must fetch it, not zero-fill it; and as may be gone when the call returns. */
	pageset_add(as->backed, vpage);
	slot = flight_begin(c, as->as_id, vpage);
	rc = fabric_call(as->mnode, FAB_OP_MEM_WRITEBACK, rq, (uint32_t)n, NULL, 0, NULL, 0, MISS_TRIES);
	flight_end(c, slot);
	free(rq);
	return rc;
}

/*
 * A clean line of a private file-backed region is dropped on eviction and
 * read from the storage node again on the next miss, a round trip to another
 * node. With a pool window the copy costs microseconds instead: keep it there
 * (the memory node then holds the page, as it does once a private file page
 * is written, and later changes of the file no longer show in it). Shared
 * mappings are left alone: they must show the file as it is. Never over the
 * fabric: that would cost what it saves.
 */
static void keep_file_page(struct aspace *as, uint64_t vpage, const void *data)
{
	struct excache_region r;

	if (!as->pool || !cxl_ready(as->pool) || pageset_has(as->backed, vpage) ||
	    as->region_of(as, vpage, &r) || r.kind != MEM_REGION_FILE || (r.map_flags & MEM_MAP_SHARED))
		return;
	pool_put(as, vpage, data);
}

/* Write a dirty victim back on its own (no fetch to ride on); a failure loses it, said loudly. */
static void evict_dirty(struct aspace *vas, uint64_t vpage, const void *data)
{
	int rc = writeback(vas, vpage, data);

	vas->cache->st.writebacks++;
	if (rc)
		pr_err("excache: writeback of %lx failed (%d): data lost", vpage, rc);
}

static void record_latency(struct excache *c, uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned b = 0;

	while (us > 1 && b < 15) {
		us >>= 1;
		b++;
	}
	c->st.fetch_hist[b]++;
	c->st.fetch_ns_total += ns;
}

int excache_fault(struct aspace *as, uint64_t va, unsigned access)
{
	struct excache *c = as->cache;
	struct excache_region r;
	uint64_t vpage = va & ~(uint64_t)(PAGE_SIZE - 1);
	uint32_t set, victim;
	struct xline *l;
	uint64_t *pte;
	int dirty = 0, rc;
	struct aspace *vas = NULL;
	uint64_t vvpage = 0;

	rc = as->region_of(as, vpage, &r);
	if (rc)
		return -EFAULT;
	if (((access & MEM_ACCESS_WRITE) && !(r.prot & MEM_PROT_WRITE)) ||
	    ((access & MEM_ACCESS_EXEC) && !(r.prot & MEM_PROT_EXEC)) ||
	    ((access & MEM_ACCESS_READ) && !(r.prot & (MEM_PROT_READ | MEM_PROT_WRITE | MEM_PROT_EXEC))))
		return -EFAULT;
	pte = vm_pte(as->root, vpage, 0);
	if (pte && (*pte & PTE_P)) {
		/* Raced with another fault on the same page, or a stale TLB entry. */
		invlpg(vpage);
		return 0;
	}
	/* The page's last writeback (its line was evicted by another miss) must have
	 * reached the memory node before we fetch it. */
	flight_wait(c, as->as_id, vpage);

	/* Pick a line and hold it (busy) until it is mapped: the fetch, writeback or
	 * file fill below sleeps, and another process's miss must not take the same
	 * line meanwhile. If every way of the set is busy (processes of one vNode
	 * share virtual addresses, hence sets), wait for one: through the main
	 * loop, which takes the fabric replies that will free them. */
	set = set_of(c, vpage);
	while ((victim = pick_line(c, set)) == UINT32_MAX)
		sched_yield_to_main();
	l = &c->line[victim];
	l->busy = 1;
	if (l->as) {
		uint64_t *vpte = vm_pte(l->as->root, l->vpage, 0);

		dirty = vpte && (*vpte & PTE_D);
		vas = l->as;
		vvpage = l->vpage;
		c->st.evictions++;
		unmap_line(l);
		if (!dirty)
			keep_file_page(vas, vvpage, phys_to_virt(l->pa));
	}

	void *page = phys_to_virt(l->pa);
	int need_fetch = pageset_has(as->backed, vpage);

	if (need_fetch && as->pool && cxl_ready(as->pool)) {
		uint64_t t0;

		/* The victim leaves first: the line is about to hold the new page. */
		if (dirty) {
			evict_dirty(vas, vvpage, page);
			dirty = 0;
		}
		t0 = ktime_ns();
		if (cxl_p_read(as->pool, as->as_id, vpage >> 12, page) == CXL_FOUND) {
			record_latency(c, ktime_ns() - t0);
			c->st.misses++;
			c->st.pool_reads++;
			need_fetch = 0;
			goto map;
		}
	}
	if (need_fetch) {
		struct fetch_bufs *fb = malloc(sizeof(*fb));
		struct mem_fetch_req *rq;
		struct mem_fetch_reply *rp;
		uint32_t len = sizeof(*rq), rlen = 0;
		uint64_t t0 = ktime_ns();
		int slot = -1;

		if (!fb) {
			rc = -ENOMEM;
			goto fail;
		}
		rq = (struct mem_fetch_req *)fb->req;
		rp = (struct mem_fetch_reply *)fb->rep;
		memset(rq, 0, sizeof(*rq));
		rq->as_id = as->as_id;
		rq->vaddr = vpage;
		rq->access = access;
		if (dirty && vas->mnode == as->mnode) {
			/* Piggyback the victim's writeback on the miss. */
			rq->flags = MEM_FETCH_WB;
			rq->wb_as_id = vas->as_id;
			rq->wb_vaddr = vvpage;
			memcpy(rq + 1, page, MEM_PAGE_SIZE);
			len += MEM_PAGE_SIZE;
			pageset_add(vas->backed, vvpage);
			slot = flight_begin(c, vas->as_id, vvpage);
			c->st.writebacks++;
			dirty = 0;
		} else if (dirty) {
			evict_dirty(vas, vvpage, page);
			dirty = 0;
		}
		rc = fabric_call(as->mnode, FAB_OP_MEM_FETCH, fb->req, len, fb->rep, sizeof(fb->rep),
				 &rlen, 0, MISS_TRIES);
		if (slot >= 0)
			flight_end(c, slot);
		record_latency(c, ktime_ns() - t0);
		c->st.misses++;
		if (rc == 0 && rlen == sizeof(*rp) + MEM_PAGE_SIZE && !(rp->flags & MEM_PAGE_ZERO))
			memcpy(page, rp + 1, MEM_PAGE_SIZE);
		else if (rc == 0 && rlen >= sizeof(*rp) && r.kind == MEM_REGION_FILE)
			rc = as->fill_from_file(as, &r, page);   /* never written: the file's page */
		else if (rc == 0 && rlen >= sizeof(*rp))
			memset(page, 0, MEM_PAGE_SIZE);
		else if (rc == 0)
			rc = -EPROTO;
		free(fb);
		if (rc)
			goto fail;
	} else {
		if (dirty) {
			evict_dirty(vas, vvpage, page);
			dirty = 0;
		}
		if (r.kind == MEM_REGION_FILE) {
			uint64_t t0 = ktime_ns();

			rc = as->fill_from_file(as, &r, page);
			record_latency(c, ktime_ns() - t0);
			c->st.misses++;
			if (rc)
				goto fail;
		} else {
			memset(page, 0, MEM_PAGE_SIZE);
			c->st.zero_fills++;
		}
	}
map:
	pte = vm_pte(as->root, vpage, 1);
	if (!pte) {
		rc = -ENOMEM;
		goto fail;
	}
	*pte = l->pa | pte_flags(r.prot);
	l->as = as;
	l->vpage = vpage;
	l->busy = 0;
	as->resident++;
	return 0;
fail:
	l->busy = 0;
	/* The line stays free; the victim, if dirty and not sent, is lost: report it. */
	if (dirty)
		pr_err("excache: lost dirty page %lx of space %lx after a failed miss", vvpage, vas->as_id);
	return rc;
}

void excache_drop(struct aspace *as, uint64_t start, uint64_t end)
{
	struct excache *c = as->cache;

	for (uint32_t i = 0; i < c->nlines; i++) {
		struct xline *l = &c->line[i];

		if (l->as == as && l->vpage >= start && l->vpage < end)
			unmap_line(l);
	}
	for (uint64_t p = start; p < end && as->backed->count; p += PAGE_SIZE)
		pageset_del(as->backed, p);
}

void excache_reprotect(struct aspace *as, uint64_t start, uint64_t end, uint32_t prot)
{
	struct excache *c = as->cache;

	for (uint32_t i = 0; i < c->nlines; i++) {
		struct xline *l = &c->line[i];
		uint64_t *pte;

		if (l->as != as || l->vpage < start || l->vpage >= end)
			continue;
		pte = vm_pte(as->root, l->vpage, 0);
		if (!pte)
			continue;
		if (!(prot & (MEM_PROT_READ | MEM_PROT_WRITE | MEM_PROT_EXEC))) {
			/* PROT_NONE: keep the data safe at the memory node, then unmap. */
			if (*pte & PTE_D)
				writeback(as, l->vpage, phys_to_virt(l->pa));
			unmap_line(l);
			continue;
		}
		*pte = (*pte & (PTE_ADDR | PTE_D)) | pte_flags(prot);
		if (virt_to_phys(as->root) == read_cr3())
			invlpg(l->vpage);
	}
}

int excache_writeback_all(struct aspace *as)
{
	struct excache *c = as->cache;
	int rc = 0;

	for (uint32_t i = 0; i < c->nlines; i++) {
		struct xline *l = &c->line[i];
		uint64_t *pte;

		if (l->as != as)
			continue;
		pte = vm_pte(as->root, l->vpage, 0);
		if (!pte || !(*pte & PTE_D))
			continue;
		rc = writeback(as, l->vpage, phys_to_virt(l->pa));
		if (rc)
			return rc;
		c->st.writebacks++;
		*pte &= ~PTE_D;
		if (virt_to_phys(as->root) == read_cr3())
			invlpg(l->vpage);
	}
	/* Lines of as that other misses evicted: their writebacks too (fork copies next). */
	flight_wait(c, as->as_id, ANY_PAGE);
	return 0;
}

int excache_flush_range(struct aspace *as, uint64_t start, uint64_t end)
{
	struct excache *c = as->cache;

	for (uint32_t i = 0; i < c->nlines; i++) {
		struct xline *l = &c->line[i];
		uint64_t *pte;
		int rc;

		if (l->as != as || l->vpage < start || l->vpage >= end)
			continue;
		pte = vm_pte(as->root, l->vpage, 0);
		if (pte && (*pte & PTE_D)) {
			rc = writeback(as, l->vpage, phys_to_virt(l->pa));
			if (rc)
				return rc;
			c->st.writebacks++;
		}
		unmap_line(l);
	}
	flight_wait(c, as->as_id, ANY_PAGE);
	return 0;
}

int aspace_copy_backed(struct aspace *dst, const struct aspace *src)
{
	pageset_free(dst->backed);
	return pageset_copy(dst->backed, src->backed);
}

void excache_get_stats(const struct excache *c, struct vn_excache_stats *out)
{
	*out = c->st;
}
