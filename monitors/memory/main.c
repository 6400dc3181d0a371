/*
 * monitors/memory/main.c - the memory monitor image: serves address spaces
 * and their pages (memsvc.c) over the fabric, and logs its use and refusals.
 *
 * Pages of a process node this node shares a pool window with (cxl/) are
 * kept in that window and published there, so the process node's ExCache
 * copies them without asking; every other page is a frame of this node's
 * own memory. Before any request of such a process node is served, the
 * pages it put in the window itself are taken in (memsvc_adopt checks each
 * like a writeback), and afterwards its ring of free slots is refilled.
 */
#include <string.h>
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/monitor.h>
#include <kernel/time.h>
#include <net/fabric.h>
#include <net/wire.h>
#include <cxl/ivshmem.h>
#include <cxl/store.h>
#include "memsvc.h"
#include "report.h"

/* Frames kept out of the page store for the heap (regions, page tables, ...). */
#define RESERVE_MIN_FRAMES  1024u
#define RESERVE_SHARE       8u        /* and at least 1/8 of free memory */
#define SUMMARY_EVERY_NS    5000000000ull
#define REFUSAL_LOG_NS      1000000000ull

static struct memsvc svc;
static uint64_t last_summary_ns, last_refusal_log_ns;
static uint64_t refused_logged;
static struct memsvc_stats summarised;

/* The pool window shared with each process node, by node id. */
struct pool {
	uint16_t pnode;
	struct cxl_store store;
};
static struct pool pools[CXL_MAX_WINDOWS];
static unsigned npools;

static struct pool *pool_of(uint16_t pnode)
{
	for (unsigned i = 0; i < npools; i++)
		if (pools[i].pnode == pnode)
			return &pools[i];
	return NULL;
}

static void *page_alloc(void *arg, uint16_t owner)
{
	struct pool *p = pool_of(owner);
	uint64_t pa;
	void *page;

	if (p && (page = cxl_store_alloc(&p->store)))
		return page;
	pa = frame_alloc_raw();      /* every stored page is copied in whole */
	return pa ? phys_to_virt(pa) : NULL;
}

static void page_free(void *arg, uint16_t owner, void *page)
{
	struct pool *p = pool_of(owner);

	if (p && cxl_store_owns(&p->store, page))
		cxl_store_free(&p->store, page);
	else
		frame_free(virt_to_phys(page));
}

static void page_placed(void *arg, uint16_t owner, uint64_t as_id, uint64_t vpn, void *page)
{
	struct pool *p = pool_of(owner);
	int64_t slot;

	if (p && (slot = cxl_page_slot(p->store.w, page)) >= 0 &&
	    cxl_m_publish(p->store.w, as_id, vpn, (uint32_t)slot))
		pr_err("memory: pool directory of node %u is full", owner);   /* cannot be: half full at most */
}

static void page_gone(void *arg, uint16_t owner, uint64_t as_id, uint64_t vpn)
{
	struct pool *p = pool_of(owner);

	if (p)
		cxl_m_withdraw(p->store.w, as_id, vpn);
}

static int adopt(void *arg, uint64_t as_id, uint64_t vpn, void *page)
{
	struct pool *p = arg;

	return memsvc_adopt(&svc, p->pnode, as_id, vpn, page);
}

static int on_mem_request(const struct fabric_msg *m, void *reply, uint32_t *reply_len)
{
	struct pool *p = pool_of(m->src);
	int rc;

	if (!p)
		return memsvc_handle(&svc, m, reply, reply_len);
	cxl_store_begin(&p->store);
	cxl_store_drain(&p->store, adopt, p);
	rc = memsvc_handle(&svc, m, reply, reply_len);
	cxl_store_end(&p->store);
	return rc;
}

/* Take in pages the process nodes logged while they had nothing to ask. */
static void drain_pools(void)
{
	for (unsigned i = 0; i < npools; i++) {
		struct cxl_window *w = pools[i].store.w;

		if (__atomic_load_n(&w->hdr->p.log_prod, __ATOMIC_ACQUIRE) == w->hdr->m.log_cons)
			continue;
		cxl_store_begin(&pools[i].store);
		cxl_store_drain(&pools[i].store, adopt, &pools[i]);
		cxl_store_end(&pools[i].store);
	}
}

void memory_pool_windows(uint64_t *capacity, uint64_t *used)
{
	*capacity = *used = 0;
	for (unsigned i = 0; i < npools; i++) {
		*capacity += (uint64_t)pools[i].store.w->lay.nslots * MEM_PAGE_SIZE;
		*used += (uint64_t)pools[i].store.used * MEM_PAGE_SIZE;
	}
}

static uint64_t setup_pools(uint16_t self)
{
	uint64_t slots = 0;

	cxl_windows_probe(self);
	for (unsigned i = 0; i < cxl_window_count(); i++) {
		struct cxl_window *w = cxl_window_get(i);
		struct pool *p = &pools[npools];

		if (w->hdr->host.mnode != self)
			continue;
		p->pnode = w->hdr->host.pnode;
		if (cxl_store_init(&p->store, w, ktime_ns() ^ ((uint64_t)self << 48))) {
			pr_err("memory: no memory for the bookkeeping of pool window p%u", p->pnode);
			continue;
		}
		slots += w->lay.nslots;
		npools++;
	}
	return slots;
}

static int memory_init(const struct node_config *cfg)
{
	struct memsvc_config c = {
		.frames = { .alloc = page_alloc, .free = page_free, .placed = page_placed, .gone = page_gone },
	};
	uint64_t pool_slots = setup_pools(cfg->node_id), free, reserve;

	free = mm_pfa()->free;
	reserve = free / RESERVE_SHARE;
	if (reserve < RESERVE_MIN_FRAMES)
		reserve = RESERVE_MIN_FRAMES;
	c.capacity_pages = (free > reserve ? free - reserve : 0) + pool_slots;
	memsvc_init(&svc, &c);
	/* The first refusal is logged at once, however soon after boot it comes. */
	last_refusal_log_ns = ktime_ns() - REFUSAL_LOG_NS;
	last_summary_ns = ktime_ns();
	for (unsigned op = FAB_OP_MEM_FIRST; op <= FAB_OP_MEM_LAST; op++)
		fabric_register((uint16_t)op, on_mem_request);
	pr_info("memory monitor: page store of %lu pages (%lu MiB, %lu of them in %u pool windows), "
		"%lu frames kept for the kernel", c.capacity_pages, c.capacity_pages * MEM_PAGE_SIZE >> 20,
		pool_slots, npools, reserve);
	return 0;
}

static void log_refusals(uint64_t now)
{
	const struct memsvc_refusal *r = &svc.last_refusal;
	const char *op;

	if (svc.st.refused == refused_logged || now - last_refusal_log_ns < REFUSAL_LOG_NS)
		return;
	op = fab_op_name(r->op);
	if (!strncmp(op, "mem-", 4))
		op += 4;
	pr_warn("memory: refused %s of as 0x%lx from node %u (%02x:%02x:%02x:%02x:%02x:%02x): not the owner; "
		"%lu refused so far", op, r->as_id, r->node, r->mac[0], r->mac[1], r->mac[2], r->mac[3],
		r->mac[4], r->mac[5], svc.st.refused);
	refused_logged = svc.st.refused;
	last_refusal_log_ns = now;
}

static void log_summary(uint64_t now)
{
	const struct memsvc_stats *st = &svc.st;

	if (now - last_summary_ns < SUMMARY_EVERY_NS)
		return;
	last_summary_ns = now;
	if (!memcmp(st, &summarised, sizeof(*st)))
		return;
	pr_info("memory: %lu spaces, %lu/%lu pages (%lu MiB used); fetches %lu (zero %lu), writebacks %lu "
		"(dropped %lu, retried %lu), refused %lu, store full %lu, freed %lu, requests %lu (errors %lu, "
		"replayed %lu)", st->spaces, st->pages, svc.cfg.capacity_pages, st->pages * MEM_PAGE_SIZE >> 20,
		st->fetches, st->zero_replies, st->writebacks, st->wb_dropped, st->wb_duplicates, st->refused,
		st->store_full, st->pages_freed, st->requests, st->errors, st->replayed);
	summarised = *st;
}

static int memory_poll(void)
{
	uint64_t now = ktime_ns();

	drain_pools();
	log_refusals(now);
	log_summary(now);
	return mem_report_poll(&svc, now);
}

const struct monitor this_monitor = {
	.role = FAB_ROLE_MEMORY,
	.name = "memory",
	.init = memory_init,
	.poll = memory_poll,
};
