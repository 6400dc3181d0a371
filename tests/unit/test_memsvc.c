/*
 * tests/unit/test_memsvc.c - the memory node's service (monitors/memory/
 * memsvc.c, idmap.c over kernel/vmspace.c) on the host, under ASan/UBSan:
 * ownership refusals, fetch permissions, zero pages, writeback/fetch round
 * trips with and without piggybacking, fork copies, pages freed by munmap,
 * mremap, brk and destroy, the reply cache, the store's capacity, and
 * random garbage requests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "monitors/memory/idmap.h"
#include "monitors/memory/memsvc.h"

#define PG MEM_PAGE_SIZE
#define RW (MEM_PROT_READ | MEM_PROT_WRITE)

/* ---- a frame allocator that counts and can be told to fail -------------------------- */

static long frames_out;
static long frames_fail_after = -1;     /* allocations left before failing; -1 = never */

static void *t_alloc(void *arg, uint16_t owner_node)
{
	void *p;

	if (frames_fail_after == 0)
		return NULL;
	if (frames_fail_after > 0)
		frames_fail_after--;
	p = malloc(PG);
	assert_non_null(p);
	memset(p, 0xa5, PG);             /* the service must not rely on zeroed frames */
	frames_out++;
	return p;
}

static void t_free(void *arg, uint16_t owner_node, void *page)
{
	assert_non_null(page);
	frames_out--;
	free(page);
}

/* What a shared pool would publish: every stored page exactly once, under its key. */
#define MAX_PUBLISHED 8192
static struct published { uint64_t as_id, vpn; void *page; } published[MAX_PUBLISHED];
static unsigned npublished;

static int published_at(uint64_t as_id, uint64_t vpn)
{
	for (unsigned i = 0; i < npublished; i++)
		if (published[i].as_id == as_id && published[i].vpn == vpn)
			return (int)i;
	return -1;
}

static void t_placed(void *arg, uint16_t owner_node, uint64_t as_id, uint64_t vpn, void *page)
{
	assert_int_equal(published_at(as_id, vpn), -1);     /* never published twice */
	assert_non_null(page);
	assert_true(npublished < MAX_PUBLISHED);
	published[npublished++] = (struct published){ as_id, vpn, page };
}

static void t_gone(void *arg, uint16_t owner_node, uint64_t as_id, uint64_t vpn)
{
	int i = published_at(as_id, vpn);

	assert_true(i >= 0);                               /* only what was published goes */
	published[i] = published[--npublished];
}

static struct memsvc svc;

static void svc_up(uint64_t capacity)
{
	struct memsvc_config c = {
		.capacity_pages = capacity,
		.frames = { .alloc = t_alloc, .free = t_free, .placed = t_placed, .gone = t_gone },
	};

	frames_out = 0;
	frames_fail_after = -1;
	npublished = 0;
	memsvc_init(&svc, &c);
}

static void svc_down(void)
{
	assert_int_equal(svc.st.pages, frames_out);
	assert_int_equal(npublished, svc.st.pages);
	memsvc_destroy(&svc);
	assert_int_equal(frames_out, 0);
	assert_int_equal(npublished, 0);
}

/* ---- callers ---------------------------------------------------------------------------- */

struct caller {
	uint16_t node;
	uint8_t mac[6];
	uint64_t req;
};

static struct caller owner = { 1, { 0x52, 0x54, 0x00, 0xfa, 0x00, 0x01 }, 1000 };
static struct caller other = { 5, { 0x52, 0x54, 0x00, 0xfa, 0x00, 0x05 }, 5000 };
/* Node 1's id from another MAC: a forger. */
static struct caller forger = { 1, { 0x02, 0x7e, 0x55, 0x00, 0x00, 0x01 }, 9000 };

static uint8_t reply[FAB_MAX_PAYLOAD];
static uint32_t rlen;

/* Send with an explicit req_id (for retries). */
static int call_id(struct caller *c, uint64_t req_id, uint16_t op, const void *p, uint32_t len)
{
	struct fabric_msg m = {
		.src = c->node, .op = op, .type = FAB_T_REQ, .req_id = req_id,
		.payload = p, .len = len, .src_mac = c->mac,
	};
	int rc;

	memset(reply, 0xee, sizeof(reply));
	rlen = 12345;
	rc = memsvc_handle(&svc, &m, reply, &rlen);
	assert_true(rlen <= FAB_MAX_PAYLOAD);
	if (rc)
		assert_int_equal(rlen, 0);   /* error replies are empty */
	return rc;
}

static int call(struct caller *c, uint16_t op, const void *p, uint32_t len)
{
	return call_id(c, ++c->req, op, p, len);
}

static int as_create(struct caller *c, uint64_t id, uint64_t limit)
{
	struct mem_as_req rq = { .as_id = id, .vnode = 7, .limit_bytes = limit };

	return call(c, FAB_OP_MEM_AS_CREATE, &rq, sizeof(rq));
}

static int as_destroy(struct caller *c, uint64_t id)
{
	struct mem_as_req rq = { .as_id = id };

	return call(c, FAB_OP_MEM_AS_DESTROY, &rq, sizeof(rq));
}

static int64_t do_mmap(struct caller *c, uint64_t id, uint64_t addr, uint64_t len, uint32_t prot,
		       uint32_t flags)
{
	struct mem_map_req rq = { .as_id = id, .addr = addr, .len = len, .prot = prot,
				  .flags = flags | MEM_MAP_ANONYMOUS, .kind = MEM_REGION_ANON };
	int rc = call(c, FAB_OP_MEM_MMAP, &rq, sizeof(rq));

	if (rc)
		return rc;
	assert_int_equal(rlen, sizeof(struct mem_map_reply));
	return (int64_t)((struct mem_map_reply *)reply)->addr;
}

static int map_op(struct caller *c, uint16_t op, uint64_t id, uint64_t addr, uint64_t len, uint32_t prot)
{
	struct mem_map_req rq = { .as_id = id, .addr = addr, .len = len, .prot = prot };

	return call(c, op, &rq, sizeof(rq));
}

static int writeback(struct caller *c, uint64_t id, uint64_t vaddr, uint8_t fill)
{
	static uint8_t buf[sizeof(struct mem_page_req) + PG];
	struct mem_page_req *rq = (struct mem_page_req *)buf;

	rq->as_id = id;
	rq->vaddr = vaddr;
	memset(rq + 1, fill, PG);
	return call(c, FAB_OP_MEM_WRITEBACK, buf, sizeof(buf));
}

/* Fetch; returns the status. On success the page's first byte in *fill (-1 for a zero page). */
static int fetch(struct caller *c, uint64_t id, uint64_t vaddr, uint32_t access, int *fill)
{
	struct mem_fetch_req rq = { .as_id = id, .vaddr = vaddr, .access = access };
	int rc = call(c, FAB_OP_MEM_FETCH, &rq, sizeof(rq));
	const struct mem_fetch_reply *rp = (const void *)reply;

	if (rc)
		return rc;
	if (rp->flags & MEM_PAGE_ZERO) {
		assert_int_equal(rlen, sizeof(*rp));
		*fill = -1;
	} else {
		const uint8_t *d = (const uint8_t *)(rp + 1);

		assert_int_equal(rlen, sizeof(*rp) + PG);
		for (unsigned i = 1; i < PG; i++)
			assert_int_equal(d[i], d[0]);
		*fill = d[0];
	}
	return 0;
}

static int fetch_wb(struct caller *c, uint64_t id, uint64_t vaddr, uint64_t wb_id, uint64_t wb_vaddr,
		    uint8_t wb_fill, int *fill)
{
	static uint8_t buf[sizeof(struct mem_fetch_req) + PG];
	struct mem_fetch_req *rq = (struct mem_fetch_req *)buf;
	const struct mem_fetch_reply *rp = (const void *)reply;
	int rc;

	*rq = (struct mem_fetch_req){ .as_id = id, .vaddr = vaddr, .access = MEM_ACCESS_READ,
				      .flags = MEM_FETCH_WB, .wb_as_id = wb_id, .wb_vaddr = wb_vaddr };
	memset(rq + 1, wb_fill, PG);
	rc = call(c, FAB_OP_MEM_FETCH, buf, sizeof(buf));
	if (rc == 0)
		*fill = (rp->flags & MEM_PAGE_ZERO) ? -1 : ((const uint8_t *)(rp + 1))[0];
	return rc;
}

static int fill_of(struct caller *c, uint64_t id, uint64_t vaddr)
{
	int f = -2;

	assert_int_equal(fetch(c, id, vaddr, MEM_ACCESS_READ, &f), 0);
	return f;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_create_destroy(void **state)
{
	struct mem_as_req rq = { .as_id = 42 };

	svc_up(64);
	assert_int_equal(as_create(&owner, 42, 0), 0);
	assert_int_equal(rlen, 0);
	assert_int_equal(as_create(&owner, 42, 0), -EEXIST);
	assert_int_equal(as_create(&other, 42, 0), -EACCES);
	assert_int_equal(as_create(&forger, 42, 0), -EACCES);
	assert_int_equal(svc.st.refused, 2);
	assert_int_equal(as_create(&owner, 0, 0), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_AS_CREATE, &rq, sizeof(rq) - 1), -EINVAL);
	assert_int_equal(svc.st.spaces, 1);
	assert_int_equal(as_destroy(&other, 42), -EACCES);
	assert_int_equal(as_destroy(&owner, 43), -ENOENT);
	assert_int_equal(as_destroy(&owner, 42), 0);
	assert_int_equal(as_destroy(&owner, 42), -ENOENT);
	assert_int_equal(svc.st.spaces, 0);
	/* The id is free again, for anyone. */
	assert_int_equal(as_create(&other, 42, 0), 0);
	svc_down();
}

static void test_refuse_non_owner(void **state)
{
	struct caller *bad[] = { &other, &forger };
	struct mem_brk_req brk = { .as_id = 7, .brk = 0x500000 };
	struct mem_remap_req rr = { .as_id = 7, .old_addr = 0x400000, .old_len = PG, .new_len = 2 * PG,
				    .flags = MEM_MREMAP_MAYMOVE };
	struct mem_fork_req fk = { .parent_as = 7, .child_as = 8 };
	int f;

	svc_up(64);
	assert_int_equal(as_create(&owner, 7, 0), 0);
	assert_int_equal(do_mmap(&owner, 7, 0x400000, 4 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	assert_int_equal(writeback(&owner, 7, 0x401000, 0x11), 0);
	for (unsigned i = 0; i < 2; i++) {
		struct caller *c = bad[i];
		uint64_t before = svc.st.refused;

		assert_int_equal(fetch(c, 7, 0x401000, MEM_ACCESS_READ, &f), -EACCES);
		assert_int_equal(svc.last_refusal.op, FAB_OP_MEM_FETCH);
		assert_int_equal(svc.last_refusal.node, c->node);
		assert_int_equal(svc.last_refusal.as_id, 7);
		assert_memory_equal(svc.last_refusal.mac, c->mac, 6);
		assert_int_equal(writeback(c, 7, 0x401000, 0x66), -EACCES);
		assert_int_equal(map_op(c, FAB_OP_MEM_MUNMAP, 7, 0x400000, 4 * PG, 0), -EACCES);
		assert_int_equal(map_op(c, FAB_OP_MEM_MPROTECT, 7, 0x400000, 4 * PG, 7), -EACCES);
		assert_int_equal(do_mmap(c, 7, 0x400000, PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), -EACCES);
		assert_int_equal(call(c, FAB_OP_MEM_BRK, &brk, sizeof(brk)), -EACCES);
		assert_int_equal(call(c, FAB_OP_MEM_MREMAP, &rr, sizeof(rr)), -EACCES);
		assert_int_equal(call(c, FAB_OP_MEM_AS_FORK, &fk, sizeof(fk)), -EACCES);
		assert_int_equal(as_destroy(c, 7), -EACCES);
		/* A piggybacked writeback into someone else's space spoils the whole request. */
		assert_int_equal(as_create(c, 100 + i, 0), 0);
		assert_int_equal(do_mmap(c, 100 + i, 0x400000, PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
		assert_int_equal(fetch_wb(c, 100 + i, 0x400000, 7, 0x401000, 0x66, &f), -EACCES);
		assert_int_equal(svc.st.refused, before + 10);
	}
	/* Nothing changed for the owner. */
	assert_int_equal(fill_of(&owner, 7, 0x401000), 0x11);
	assert_int_equal(map_op(&owner, FAB_OP_MEM_MPROTECT, 7, 0x400000, 4 * PG, RW), 0);
	assert_int_equal(svc.st.spaces, 3);
	svc_down();
}

static void test_fetch_permissions(void **state)
{
	int f;

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, 0x400000, PG, MEM_PROT_READ, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	assert_int_equal(do_mmap(&owner, 1, 0x500000, PG, 0, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x500000);
	assert_int_equal(do_mmap(&owner, 1, 0x600000, PG, MEM_PROT_WRITE, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x600000);
	assert_int_equal(do_mmap(&owner, 1, 0x700000, PG, MEM_PROT_EXEC, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x700000);
	assert_int_equal(fetch(&owner, 1, 0x400000, MEM_ACCESS_READ, &f), 0);
	assert_int_equal(((struct mem_fetch_reply *)reply)->prot, MEM_PROT_READ);
	assert_int_equal(fetch(&owner, 1, 0x400000, 0, &f), 0);          /* no bits: a read */
	assert_int_equal(fetch(&owner, 1, 0x400000, MEM_ACCESS_WRITE, &f), -EFAULT);
	assert_int_equal(fetch(&owner, 1, 0x400000, MEM_ACCESS_EXEC, &f), -EFAULT);
	assert_int_equal(fetch(&owner, 1, 0x500000, MEM_ACCESS_READ, &f), -EFAULT);
	assert_int_equal(fetch(&owner, 1, 0x600000, MEM_ACCESS_READ | MEM_ACCESS_WRITE, &f), 0);
	assert_int_equal(fetch(&owner, 1, 0x600000, MEM_ACCESS_EXEC, &f), -EFAULT);
	assert_int_equal(fetch(&owner, 1, 0x700000, MEM_ACCESS_EXEC | MEM_ACCESS_READ, &f), 0);
	assert_int_equal(fetch(&owner, 1, 0x700000, MEM_ACCESS_WRITE, &f), -EFAULT);
	assert_int_equal(fetch(&owner, 1, 0x800000, MEM_ACCESS_READ, &f), -EFAULT);   /* unmapped */
	assert_int_equal(fetch(&owner, 1, 0x400010, MEM_ACCESS_READ, &f), -EINVAL);   /* unaligned */
	assert_int_equal(fetch(&owner, 1, 0x400000, 0x8, &f), -EINVAL);
	assert_int_equal(fetch(&owner, 2, 0x400000, MEM_ACCESS_READ, &f), -ENOENT);
	/* mprotect changes what a fetch may do. */
	assert_int_equal(map_op(&owner, FAB_OP_MEM_MPROTECT, 1, 0x400000, PG, RW), 0);
	assert_int_equal(fetch(&owner, 1, 0x400000, MEM_ACCESS_WRITE, &f), 0);
	assert_int_equal(svc.st.refused, 0);
	svc_down();
}

static void test_sizes_checked(void **state)
{
	uint8_t buf[sizeof(struct mem_fetch_req) + PG + 1];
	struct mem_fetch_req *rq = (struct mem_fetch_req *)buf;

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, 0x400000, PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	memset(buf, 0, sizeof(buf));
	rq->as_id = 1;
	rq->vaddr = 0x400000;
	rq->access = MEM_ACCESS_READ;
	assert_int_equal(call(&owner, FAB_OP_MEM_FETCH, buf, sizeof(*rq) - 1), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_FETCH, buf, sizeof(*rq) + 1), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_FETCH, buf, sizeof(*rq) + PG), -EINVAL);  /* page, no flag */
	rq->flags = MEM_FETCH_WB;
	rq->wb_as_id = 1;
	rq->wb_vaddr = 0x400000;
	assert_int_equal(call(&owner, FAB_OP_MEM_FETCH, buf, sizeof(*rq)), -EINVAL);       /* flag, no page */
	assert_int_equal(call(&owner, FAB_OP_MEM_FETCH, buf, sizeof(*rq) + PG + 1), -EINVAL);
	rq->wb_vaddr = 0x400001;
	assert_int_equal(call(&owner, FAB_OP_MEM_FETCH, buf, sizeof(*rq) + PG), -EINVAL);
	rq->flags = 0x2;
	assert_int_equal(call(&owner, FAB_OP_MEM_FETCH, buf, sizeof(*rq)), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_WRITEBACK, buf, sizeof(struct mem_page_req)), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_WRITEBACK, buf, sizeof(struct mem_page_req) + PG - 1), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_MMAP, buf, sizeof(struct mem_map_req) + 1), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_INFO, buf, 1), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_POOL_SYNC, buf, 1), -EINVAL);
	assert_int_equal(call(&owner, FAB_OP_MEM_POOL_SYNC, NULL, 0), 0);
	assert_int_equal(call(&owner, FAB_OP_PING, buf, 1), -EOPNOTSUPP);
	assert_int_equal(writeback(&owner, 1, 0x400800, 1), -EINVAL);
	assert_int_equal(svc.st.pages, 0);
	svc_down();
}

static void test_zero_and_file_pages(void **state)
{
	struct mem_map_req rq = { .as_id = 1, .addr = 0x400000, .len = 4 * PG, .prot = MEM_PROT_READ,
				  .flags = MEM_MAP_PRIVATE | MEM_MAP_FIXED, .kind = MEM_REGION_FILE,
				  .file_node = 3, .file = { 12, 5 }, .file_off = 0x3000 };
	const struct mem_fetch_reply *rp = (const void *)reply;
	int f;

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(call(&owner, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), 0);
	assert_int_equal(fetch(&owner, 1, 0x402000, MEM_ACCESS_READ, &f), 0);
	assert_int_equal(f, -1);
	assert_int_equal(rp->kind, MEM_REGION_FILE);
	assert_int_equal(rp->file_node, 3);
	assert_int_equal(rp->file.ino, 12);
	assert_int_equal(rp->file.gen, 5);
	assert_int_equal(rp->file_off, 0x5000);
	/* A written-back private file page is served from the store, zeros and all. */
	assert_int_equal(writeback(&owner, 1, 0x402000, 0), 0);
	assert_int_equal(fill_of(&owner, 1, 0x402000), 0);
	assert_int_equal(svc.st.pages, 1);
	/* Kind and MAP_ANONYMOUS must agree. */
	rq.flags |= MEM_MAP_ANONYMOUS;
	assert_int_equal(call(&owner, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), -EINVAL);
	rq.kind = 9;
	assert_int_equal(call(&owner, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), -EINVAL);
	rq.kind = MEM_REGION_ANON;
	rq.flags &= ~MEM_MAP_ANONYMOUS;
	assert_int_equal(call(&owner, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), -EINVAL);
	/* Anonymous: zero until written; writing zeros keeps nothing. */
	assert_int_equal(do_mmap(&owner, 1, 0x500000, 2 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x500000);
	assert_int_equal(fetch(&owner, 1, 0x500000, MEM_ACCESS_WRITE, &f), 0);
	assert_int_equal(f, -1);
	assert_int_equal(rp->kind, MEM_REGION_ANON);
	assert_int_equal(rp->prot, RW);
	assert_int_equal(writeback(&owner, 1, 0x500000, 0x77), 0);
	assert_int_equal(svc.st.pages, 2);
	assert_int_equal(writeback(&owner, 1, 0x500000, 0), 0);
	assert_int_equal(svc.st.pages, 1);
	assert_int_equal(fill_of(&owner, 1, 0x500000), -1);
	assert_int_equal(svc.st.zero_replies, 3);
	svc_down();
}

static void test_round_trip_and_piggyback(void **state)
{
	int f;

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(as_create(&owner, 2, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, 0x400000, 8 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	assert_int_equal(do_mmap(&owner, 2, 0x400000, 8 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(writeback(&owner, 1, 0x400000 + i * PG, (uint8_t)(0x10 + i)), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(fill_of(&owner, 1, 0x400000 + i * PG), 0x10 + i);
	/* Spaces are separate: same address, other space, nothing stored. */
	assert_int_equal(fill_of(&owner, 2, 0x401000), -1);
	/* Piggyback into the other space while fetching from this one. */
	assert_int_equal(fetch_wb(&owner, 1, 0x402000, 2, 0x403000, 0x99, &f), 0);
	assert_int_equal(f, 0x12);
	assert_int_equal(fill_of(&owner, 2, 0x403000), 0x99);
	/* The victim's page is stored before the fetch: fetching the same page sees it. */
	assert_int_equal(fetch_wb(&owner, 1, 0x404000, 1, 0x404000, 0x44, &f), 0);
	assert_int_equal(f, 0x44);
	/* Writebacks ignore protection (a page dirtied before mprotect). */
	assert_int_equal(map_op(&owner, FAB_OP_MEM_MPROTECT, 1, 0x405000, PG, 0), 0);
	assert_int_equal(writeback(&owner, 1, 0x405000, 0x55), 0);
	assert_int_equal(fetch(&owner, 1, 0x405000, MEM_ACCESS_READ, &f), -EFAULT);
	/* Unmapped: dropped and counted, and a piggybacked one does not fail the fetch. */
	assert_int_equal(writeback(&owner, 1, 0x900000, 0x55), -EFAULT);
	assert_int_equal(fetch_wb(&owner, 1, 0x400000, 1, 0x900000, 0x66, &f), 0);
	assert_int_equal(f, 0x10);
	assert_int_equal(fetch_wb(&owner, 1, 0x400000, 77, 0x400000, 0x66, &f), 0);   /* space gone */
	assert_int_equal(svc.st.wb_dropped, 3);
	assert_int_equal(svc.st.writebacks, 8 + 1 + 1 + 1);
	assert_int_equal(svc.st.pages, 9);
	svc_down();
}

static void test_retried_writeback_not_stored_twice(void **state)
{
	uint8_t buf[sizeof(struct mem_page_req) + PG];
	struct mem_page_req *rq = (struct mem_page_req *)buf;

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, 0x400000, PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	rq->as_id = 1;
	rq->vaddr = 0x400000;
	memset(rq + 1, 1, PG);
	assert_int_equal(call_id(&owner, 500, FAB_OP_MEM_WRITEBACK, buf, sizeof(buf)), 0);
	memset(rq + 1, 2, PG);
	assert_int_equal(call_id(&owner, 501, FAB_OP_MEM_WRITEBACK, buf, sizeof(buf)), 0);
	/* A late duplicate of the first must not undo the second. */
	memset(rq + 1, 1, PG);
	assert_int_equal(call_id(&owner, 500, FAB_OP_MEM_WRITEBACK, buf, sizeof(buf)), 0);
	assert_int_equal(fill_of(&owner, 1, 0x400000), 2);
	assert_int_equal(svc.st.wb_duplicates, 1);
	/* The same req_id from another caller is another request (and refused). */
	assert_int_equal(call_id(&forger, 501, FAB_OP_MEM_WRITEBACK, buf, sizeof(buf)), -EACCES);
	svc_down();
}

static void test_fork(void **state)
{
	struct mem_fork_req fk = { .parent_as = 1, .child_as = 2 };
	struct mem_brk_req brk = { .as_id = 2 };

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, 0x400000, 4 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	brk.as_id = 1;
	brk.brk = 0x600000;
	brk.init = 1;
	assert_int_equal(call(&owner, FAB_OP_MEM_BRK, &brk, sizeof(brk)), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(writeback(&owner, 1, 0x400000 + i * PG, (uint8_t)(i + 1)), 0);
	assert_int_equal(call(&owner, FAB_OP_MEM_AS_FORK, &fk, sizeof(fk)), 0);
	assert_int_equal(svc.st.pages, 8);
	assert_int_equal(svc.st.spaces, 2);
	/* Same contents, then independent. */
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(fill_of(&owner, 2, 0x400000 + i * PG), i + 1);
	assert_int_equal(writeback(&owner, 2, 0x400000, 0xcc), 0);
	assert_int_equal(fill_of(&owner, 1, 0x400000), 1);
	assert_int_equal(fill_of(&owner, 2, 0x400000), 0xcc);
	brk.as_id = 2;
	brk.brk = 0;
	brk.init = 0;
	assert_int_equal(call(&owner, FAB_OP_MEM_BRK, &brk, sizeof(brk)), 0);
	assert_int_equal(((struct mem_brk_reply *)reply)->brk, 0x600000);
	/* The child belongs to the parent's owner only. */
	assert_int_equal(fill_of(&owner, 2, 0x401000), 2);
	{
		int f;

		assert_int_equal(fetch(&other, 2, 0x401000, MEM_ACCESS_READ, &f), -EACCES);
	}
	/* Forking onto an existing id. */
	assert_int_equal(call(&owner, FAB_OP_MEM_AS_FORK, &fk, sizeof(fk)), -EEXIST);
	assert_int_equal(as_create(&other, 3, 0), 0);
	fk.child_as = 3;
	assert_int_equal(call(&owner, FAB_OP_MEM_AS_FORK, &fk, sizeof(fk)), -EACCES);
	fk.child_as = 0;
	assert_int_equal(call(&owner, FAB_OP_MEM_AS_FORK, &fk, sizeof(fk)), -EINVAL);
	/* Out of frames half-way: no child, no pages leaked. */
	fk.child_as = 4;
	frames_fail_after = 2;
	assert_int_equal(call(&owner, FAB_OP_MEM_AS_FORK, &fk, sizeof(fk)), -ENOMEM);
	frames_fail_after = -1;
	assert_int_equal(svc.st.pages, 8);
	assert_int_equal(svc.st.spaces, 3);
	assert_int_equal(frames_out, 8);
	svc_down();
}

/* A page the owner put in a shared pool itself: checked like a writeback, then stored and published. */
static void test_adopt(void **state)
{
	uint8_t *page;
	int f;

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(as_create(&other, 2, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, 0x400000, 2 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	page = t_alloc(NULL, owner.node);
	memset(page, 0x3c, PG);
	/* Not the owner's space, no such space, not mapped: refused, the page stays the caller's. */
	assert_int_equal(memsvc_adopt(&svc, other.node, 1, 0x400, page), -EACCES);
	assert_int_equal(memsvc_adopt(&svc, owner.node, 2, 0x400, page), -EACCES);
	assert_int_equal(memsvc_adopt(&svc, owner.node, 99, 0x400, page), -ENOENT);
	assert_int_equal(memsvc_adopt(&svc, owner.node, 1, 0x500, page), -EFAULT);
	assert_int_equal(svc.st.pages, 0);
	assert_int_equal(memsvc_adopt(&svc, owner.node, 1, 0x400, page), 0);
	assert_int_equal(svc.st.pages, 1);
	assert_int_equal(published_at(1, 0x400) >= 0, 1);
	assert_int_equal(fill_of(&owner, 1, 0x400000), 0x3c);
	/* A second adoption of the page replaces (and frees) the first. */
	page = t_alloc(NULL, owner.node);
	memset(page, 0x4d, PG);
	assert_int_equal(memsvc_adopt(&svc, owner.node, 1, 0x400, page), 0);
	assert_int_equal(svc.st.pages, 1);
	assert_int_equal(frames_out, 1);
	assert_int_equal(fill_of(&owner, 1, 0x400000), 0x4d);
	/* Unmapping withdraws it. */
	assert_int_equal(map_op(&owner, FAB_OP_MEM_MUNMAP, 1, 0x400000, 2 * PG, 0), 0);
	assert_int_equal(published_at(1, 0x400), -1);
	assert_int_equal(fetch(&owner, 1, 0x400000, MEM_ACCESS_READ, &f), -EFAULT);
	svc_down();
}

static void test_unmapping_frees_pages(void **state)
{
	struct mem_remap_req rr = { .as_id = 1, .old_addr = 0x400000, .old_len = 8 * PG, .new_len = 16 * PG,
				    .flags = MEM_MREMAP_MAYMOVE };
	struct mem_brk_req brk = { .as_id = 1, .brk = 0x600000, .init = 1 };
	uint64_t moved;

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, 0x400000, 8 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	assert_int_equal(do_mmap(&owner, 1, 0x408000, PG, MEM_PROT_READ, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x408000);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(writeback(&owner, 1, 0x400000 + i * PG, (uint8_t)(i + 1)), 0);
	/* munmap frees exactly the pages in the range. */
	assert_int_equal(map_op(&owner, FAB_OP_MEM_MUNMAP, 1, 0x401000, 2 * PG, 0), 0);
	assert_int_equal(svc.st.pages, 6);
	assert_int_equal(fill_of(&owner, 1, 0x403000), 4);
	/* MAP_FIXED over stored pages frees them too. */
	assert_int_equal(do_mmap(&owner, 1, 0x403000, PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x403000);
	assert_int_equal(svc.st.pages, 5);
	assert_int_equal(fill_of(&owner, 1, 0x403000), -1);
	/* mremap moves pages with the region, shrinking frees the tail. */
	rr.old_addr = 0x404000;
	rr.old_len = 4 * PG;
	rr.new_len = 16 * PG;
	assert_int_equal(call(&owner, FAB_OP_MEM_MREMAP, &rr, sizeof(rr)), 0);
	moved = ((struct mem_map_reply *)reply)->addr;
	assert_true(moved != 0x404000);
	assert_int_equal(svc.st.pages, 5);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(fill_of(&owner, 1, moved + i * PG), 5 + i);
	assert_int_equal(fill_of(&owner, 1, moved + 4 * PG), -1);
	rr.old_addr = moved;
	rr.old_len = 16 * PG;
	rr.new_len = 2 * PG;
	rr.flags = 0;
	assert_int_equal(call(&owner, FAB_OP_MEM_MREMAP, &rr, sizeof(rr)), 0);
	assert_int_equal(svc.st.pages, 3);
	/* brk shrink frees the heap's pages. */
	assert_int_equal(call(&owner, FAB_OP_MEM_BRK, &brk, sizeof(brk)), 0);
	brk.init = 0;
	brk.brk = 0x604000;
	assert_int_equal(call(&owner, FAB_OP_MEM_BRK, &brk, sizeof(brk)), 0);
	assert_int_equal(((struct mem_brk_reply *)reply)->brk, 0x604000);
	assert_int_equal(writeback(&owner, 1, 0x603000, 9), 0);
	assert_int_equal(svc.st.pages, 4);
	brk.brk = 0x601000;
	assert_int_equal(call(&owner, FAB_OP_MEM_BRK, &brk, sizeof(brk)), 0);
	assert_int_equal(svc.st.pages, 3);
	brk.init = 2;
	assert_int_equal(call(&owner, FAB_OP_MEM_BRK, &brk, sizeof(brk)), -EINVAL);
	/* A big range with few pages moves by scanning the page table, not the range. */
	assert_int_equal(do_mmap(&owner, 1, 0x10000000, 256 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED),
			 0x10000000);
	assert_int_equal(do_mmap(&owner, 1, 0x10100000, PG, 0, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x10100000);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(writeback(&owner, 1, 0x10000000 + i * 100 * PG, (uint8_t)(0x30 + i)), 0);
	rr.old_addr = 0x10000000;
	rr.old_len = 256 * PG;
	rr.new_len = 512 * PG;
	rr.flags = MEM_MREMAP_MAYMOVE;
	assert_int_equal(call(&owner, FAB_OP_MEM_MREMAP, &rr, sizeof(rr)), 0);
	moved = ((struct mem_map_reply *)reply)->addr;
	assert_true(moved != 0x10000000);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(fill_of(&owner, 1, moved + i * 100 * PG), 0x30 + i);
	assert_int_equal(svc.st.pages, 6);
	assert_int_equal(map_op(&owner, FAB_OP_MEM_MUNMAP, 1, moved, 512 * PG, 0), 0);
	assert_int_equal(svc.st.pages, 3);
	/* Destroy frees the rest. */
	assert_int_equal(as_destroy(&owner, 1), 0);
	assert_int_equal(svc.st.pages, 0);
	assert_int_equal(frames_out, 0);
	svc_down();
}

static void test_reply_cache(void **state)
{
	struct mem_map_req rq = { .as_id = 1, .len = PG, .prot = RW,
				  .flags = MEM_MAP_PRIVATE | MEM_MAP_ANONYMOUS, .kind = MEM_REGION_ANON };
	struct mem_as_req cr = { .as_id = 1 };
	uint64_t a1;

	svc_up(64);
	assert_int_equal(call_id(&owner, 77, FAB_OP_MEM_AS_CREATE, &cr, sizeof(cr)), 0);
	assert_int_equal(call_id(&owner, 77, FAB_OP_MEM_AS_CREATE, &cr, sizeof(cr)), 0);   /* not -EEXIST */
	assert_int_equal(call_id(&owner, 78, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), 0);
	a1 = ((struct mem_map_reply *)reply)->addr;
	assert_int_equal(call_id(&owner, 78, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), 0);
	assert_int_equal(rlen, sizeof(struct mem_map_reply));
	assert_int_equal(((struct mem_map_reply *)reply)->addr, a1);
	assert_int_equal(svc.st.replayed, 2);
	/* A new req_id maps anew. */
	assert_int_equal(call_id(&owner, 79, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), 0);
	assert_int_equal(((struct mem_map_reply *)reply)->addr, a1 - PG);
	/* Errors replay too. */
	rq.addr = 0x123;
	rq.flags |= MEM_MAP_FIXED;
	assert_int_equal(call_id(&owner, 80, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), -EINVAL);
	assert_int_equal(call_id(&owner, 80, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), -EINVAL);
	/* A forger reusing the owner's req_id gets no replay of the owner's answer. */
	assert_int_equal(call_id(&forger, 79, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), -EACCES);
	/* munmap replays: the retry does not unmap what was mapped in between. */
	rq.addr = 0x400000;
	rq.flags = MEM_MAP_PRIVATE | MEM_MAP_ANONYMOUS | MEM_MAP_FIXED;
	assert_int_equal(call_id(&owner, 81, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), 0);
	assert_int_equal(call_id(&owner, 82, FAB_OP_MEM_MUNMAP, &rq, sizeof(rq)), 0);
	assert_int_equal(call_id(&owner, 83, FAB_OP_MEM_MMAP, &rq, sizeof(rq)), 0);
	assert_int_equal(writeback(&owner, 1, 0x400000, 3), 0);
	assert_int_equal(call_id(&owner, 82, FAB_OP_MEM_MUNMAP, &rq, sizeof(rq)), 0);
	assert_int_equal(fill_of(&owner, 1, 0x400000), 3);
	/* Fetches are idempotent and not cached. */
	{
		struct mem_fetch_req fr = { .as_id = 1, .vaddr = 0x400000, .access = MEM_ACCESS_READ };
		uint64_t replayed = svc.st.replayed;

		assert_int_equal(call_id(&owner, 90, FAB_OP_MEM_FETCH, &fr, sizeof(fr)), 0);
		assert_int_equal(call_id(&owner, 90, FAB_OP_MEM_FETCH, &fr, sizeof(fr)), 0);
		assert_int_equal(svc.st.replayed, replayed);
	}
	svc_down();
}

static void test_capacity(void **state)
{
	struct mem_info_reply info;

	svc_up(3);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, 0x400000, 8 * PG, RW, MEM_MAP_PRIVATE | MEM_MAP_FIXED), 0x400000);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(writeback(&owner, 1, 0x400000 + i * PG, 1), 0);
	assert_int_equal(writeback(&owner, 1, 0x403000, 1), -ENOMEM);
	assert_int_equal(writeback(&owner, 1, 0x402000, 2), 0);        /* overwriting needs no frame */
	{
		int f;

		assert_int_equal(fetch_wb(&owner, 1, 0x400000, 1, 0x404000, 4, &f), -ENOMEM);
	}
	assert_int_equal(svc.st.store_full, 2);
	/* The frame allocator running dry is the same. */
	assert_int_equal(map_op(&owner, FAB_OP_MEM_MUNMAP, 1, 0x400000, PG, 0), 0);
	frames_fail_after = 0;
	assert_int_equal(writeback(&owner, 1, 0x405000, 1), -ENOMEM);
	frames_fail_after = -1;
	assert_int_equal(writeback(&owner, 1, 0x405000, 1), 0);
	assert_int_equal(call(&other, FAB_OP_MEM_INFO, NULL, 0), 0);
	assert_int_equal(rlen, sizeof(info));
	memcpy(&info, reply, sizeof(info));
	assert_int_equal(info.capacity_bytes, 3 * PG);
	assert_int_equal(info.used_bytes, 3 * PG);
	assert_int_equal(info.pages, 3);
	assert_int_equal(info.spaces, 1);
	assert_int_equal(info.writebacks, 5);
	/* The space's own limit (limit_bytes) bounds its regions. */
	assert_int_equal(as_create(&owner, 2, 4 * PG), 0);
	assert_int_equal(do_mmap(&owner, 2, 0, 5 * PG, RW, MEM_MAP_PRIVATE), -ENOMEM);
	assert_true(do_mmap(&owner, 2, 0, 4 * PG, RW, MEM_MAP_PRIVATE) > 0);
	svc_down();
}

static void test_stack_growth_on_writeback(void **state)
{
	uint64_t stack = 0x7ffffffde000;

	svc_up(64);
	assert_int_equal(as_create(&owner, 1, 0), 0);
	assert_int_equal(do_mmap(&owner, 1, stack, 32 * PG, RW,
				 MEM_MAP_PRIVATE | MEM_MAP_FIXED | MEM_MAP_GROWSDOWN), (int64_t)stack);
	/* The process node grew its stack and zero-filled locally; the page comes back here. */
	assert_int_equal(writeback(&owner, 1, stack - 3 * PG, 0x5a), 0);
	assert_int_equal(fill_of(&owner, 1, stack - 3 * PG), 0x5a);
	assert_int_equal(fill_of(&owner, 1, stack - 4 * PG), -1);       /* a fetch grows it too */
	svc_down();
}

static void test_oneway_ignored(void **state)
{
	struct mem_as_req rq = { .as_id = 1 };
	struct fabric_msg m = { .src = 1, .op = FAB_OP_MEM_AS_CREATE, .type = FAB_T_ONEWAY,
				.payload = &rq, .len = sizeof(rq), .src_mac = owner.mac };
	uint32_t len = 99;

	svc_up(4);
	assert_int_equal(memsvc_handle(&svc, &m, NULL, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(svc.st.spaces, 0);
	svc_down();
}

/* Random requests, mostly garbage and some well-formed: no crash, no leak, counts add up. */
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_random_requests(void **state)
{
	static uint8_t buf[FAB_MAX_PAYLOAD];
	struct caller *callers[] = { &owner, &other, &forger };

	rng = 0x1234567;
	svc_up(200);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(as_create(callers[i], i + 1, 0), 0);
	for (unsigned i = 0; i < 30000; i++) {
		unsigned who = (unsigned)(rnd() % 3);
		struct caller *c = callers[who];
		uint16_t op = (uint16_t)(FAB_OP_MEM_FIRST + rnd() % (FAB_OP_MEM_LAST - FAB_OP_MEM_FIRST + 1));
		uint32_t len;

		if (op == FAB_OP_MEM_AS_DESTROY && rnd() % 20)
			op = FAB_OP_MEM_WRITEBACK;      /* keep spaces alive long enough to fill */
		if (op == FAB_OP_MEM_POOL_SYNC && rnd() % 4)
			op = FAB_OP_MEM_FETCH;          /* a no-op here (test_sizes_checked has it) */

		for (unsigned j = 0; j < 64; j++)
			buf[j] = (uint8_t)rnd();
		/* Mostly the caller's own space, plausible addresses: get past the first checks. */
		buf[0] = (uint8_t)(rnd() % 8 ? who + 1 : rnd() % 8);
		memset(buf + 1, 0, 7);
		if (op == FAB_OP_MEM_AS_FORK) {
			buf[8] = (uint8_t)(4 + rnd() % 4);
			memset(buf + 9, 0, 7);
		}
		if (rnd() % 8) {
			uint64_t a = 0x400000 + (rnd() % 64) * PG, l = (rnd() % 16 + 1) * PG;
			uint32_t v;

			memcpy(buf + 8, &a, 8);         /* addr, vaddr, old_addr, brk */
			if (op == FAB_OP_MEM_FETCH) {
				v = (uint32_t)(rnd() % 4 ? MEM_ACCESS_READ : rnd() % 8);
				memcpy(buf + 16, &v, 4);
				v = (uint32_t)(rnd() % 2);
				memcpy(buf + 20, &v, 4);
				a = rnd() % 4 ? who + 1 : rnd() % 4;
				memcpy(buf + 24, &a, 8);
				a = 0x400000 + (rnd() % 64) * PG;
				memcpy(buf + 32, &a, 8);
			} else {
				memcpy(buf + 16, &l, 8);
				v = (uint32_t)(rnd() % 4 ? RW : rnd() % 8);
				memcpy(buf + 24, &v, 4);
				v = MEM_MAP_PRIVATE | MEM_MAP_ANONYMOUS | (rnd() % 2 ? MEM_MAP_FIXED : 0);
				memcpy(buf + 28, &v, 4);
				memset(buf + 32, 0, 4);
			}
		}
		switch (op) {
		case FAB_OP_MEM_AS_CREATE: case FAB_OP_MEM_AS_DESTROY: len = sizeof(struct mem_as_req); break;
		case FAB_OP_MEM_AS_FORK: len = sizeof(struct mem_fork_req); break;
		case FAB_OP_MEM_BRK: len = sizeof(struct mem_brk_req); break;
		case FAB_OP_MEM_MREMAP: len = sizeof(struct mem_remap_req); break;
		case FAB_OP_MEM_FETCH: len = sizeof(struct mem_fetch_req) + (buf[20] == 1 ? PG : 0); break;
		case FAB_OP_MEM_WRITEBACK: len = sizeof(struct mem_page_req) + PG; break;
		case FAB_OP_MEM_INFO: len = 0; break;
		default: len = sizeof(struct mem_map_req); break;
		}
		switch (rnd() % 10) {
		case 0: len = (uint32_t)(rnd() % 100); break;
		case 1: len = (uint32_t)(rnd() % FAB_MAX_PAYLOAD); break;
		case 2: len += (uint32_t)(rnd() % 3) - 1; break;
		default: break;                     /* the right size */
		}
		if (rnd() % 8 == 0)
			frames_fail_after = (long)(rnd() % 3);
		call(c, op, buf, len);
		frames_fail_after = -1;
		assert_int_equal(svc.st.pages, frames_out);
		assert_true(svc.st.pages <= 200);
	}
	print_message("  %lu requests: %lu errors, %lu refused, %lu fetches, %lu writebacks, %lu pages, "
		      "%lu spaces\n", svc.st.requests, svc.st.errors, svc.st.refused, svc.st.fetches,
		      svc.st.writebacks, svc.st.pages, svc.st.spaces);
	assert_true(svc.st.writebacks > 100 && svc.st.fetches > 100 && svc.st.refused > 100);
	svc_down();
}

/* The hash map on its own: growth, removal by range both ways, against a plain array. */
static void test_idmap(void **state)
{
	struct idmap m;
	static void *shadow[4096];
	size_t n = 0;

	idmap_init(&m);
	rng = 99;
	assert_null(idmap_get(&m, 5));
	assert_null(idmap_remove(&m, 5));
	assert_int_equal(idmap_put(&m, 5, NULL), -EINVAL);
	for (unsigned i = 0; i < 200000; i++) {
		uint64_t k = rnd() % 4096;
		void *v = (void *)(uintptr_t)(rnd() | 1);

		switch (rnd() % 5) {
		case 0: case 1:
			assert_int_equal(idmap_put(&m, k, v), 0);
			n += !shadow[k];
			shadow[k] = v;
			break;
		case 2:
			assert_ptr_equal(idmap_remove(&m, k), shadow[k]);
			n -= !!shadow[k];
			shadow[k] = NULL;
			break;
		case 3: {
			uint64_t hi = k + rnd() % (rnd() % 2 ? 8 : 3000);
			size_t want = 0;

			for (uint64_t j = k; j < hi && j < 4096; j++)
				if (shadow[j]) {
					want++;
					shadow[j] = NULL;
				}
			assert_int_equal(idmap_remove_range(&m, k, hi, NULL, NULL), want);
			n -= want;
			break;
		}
		default:
			assert_ptr_equal(idmap_get(&m, k), shadow[k]);
		}
		assert_int_equal(m.count, n);
	}
	for (uint64_t k = 0; k < 4096; k++)
		assert_ptr_equal(idmap_get(&m, k), shadow[k]);
	idmap_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_destroy),
		cmocka_unit_test(test_refuse_non_owner),
		cmocka_unit_test(test_fetch_permissions),
		cmocka_unit_test(test_sizes_checked),
		cmocka_unit_test(test_zero_and_file_pages),
		cmocka_unit_test(test_round_trip_and_piggyback),
		cmocka_unit_test(test_retried_writeback_not_stored_twice),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_unmapping_frees_pages),
		cmocka_unit_test(test_reply_cache),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_stack_growth_on_writeback),
		cmocka_unit_test(test_oneway_ignored),
		cmocka_unit_test(test_random_requests),
		cmocka_unit_test(test_idmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
