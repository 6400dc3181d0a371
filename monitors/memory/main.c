/*
 * monitors/memory/main.c - the memory monitor image: serves address spaces
 * and their pages (memsvc.c) over the fabric, with frames from the kernel's
 * frame allocator, and logs its use and refusals.
 */
#include <string.h>
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/monitor.h>
#include <kernel/time.h>
#include <net/fabric.h>
#include <net/wire.h>
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

static void *page_alloc(void *arg)
{
	uint64_t pa = frame_alloc_raw();      /* every stored page is copied in whole */

	return pa ? phys_to_virt(pa) : NULL;
}

static void page_free(void *arg, void *page)
{
	frame_free(virt_to_phys(page));
}

static int on_mem_request(const struct fabric_msg *m, void *reply, uint32_t *reply_len)
{
	return memsvc_handle(&svc, m, reply, reply_len);
}

static int memory_init(const struct node_config *cfg)
{
	struct memsvc_config c = { .frames = { .alloc = page_alloc, .free = page_free } };
	uint64_t free = mm_pfa()->free, reserve = free / RESERVE_SHARE;

	(void)cfg;
	if (reserve < RESERVE_MIN_FRAMES)
		reserve = RESERVE_MIN_FRAMES;
	c.capacity_pages = free > reserve ? free - reserve : 0;
	memsvc_init(&svc, &c);
	/* The first refusal is logged at once, however soon after boot it comes. */
	last_refusal_log_ns = ktime_ns() - REFUSAL_LOG_NS;
	last_summary_ns = ktime_ns();
	for (unsigned op = FAB_OP_MEM_FIRST; op <= FAB_OP_MEM_LAST; op++)
		fabric_register((uint16_t)op, on_mem_request);
	pr_info("memory monitor: page store of %lu pages (%lu MiB), %lu frames kept for the kernel",
		c.capacity_pages, c.capacity_pages * MEM_PAGE_SIZE >> 20, reserve);
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
