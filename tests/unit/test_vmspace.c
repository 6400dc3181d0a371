/*
 * tests/unit/test_vmspace.c - the address-space region library
 * (kernel/vmspace.c) on the host: Linux's placement, MAP_FIXED replacement,
 * splitting and merging, brk, mremap, stack growth, limits, the removed/moved
 * reports, and a seeded random sequence checked against a page-by-page model.
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
#include <kernel/vmspace.h>

#define PG VM_PAGE_SIZE
#define BASE (VM_TASK_SIZE - VM_MMAP_GAP_MIN)  /* 0x7ffff7fff000 */
#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define PRIV_ANON (VM_MAP_PRIVATE | VM_MAP_ANONYMOUS)

/* What the reports said, in order. */
struct event {
	char what;               /* 'r' removed, 'm' moved */
	uint64_t a, b, len;
};

struct log {
	struct event ev[64];
	unsigned n;
};

static void on_removed(void *arg, uint64_t start, uint64_t end)
{
	struct log *l = arg;

	assert_true(start < end && l->n < 64);
	l->ev[l->n++] = (struct event){ 'r', start, end, end - start };
}

static void on_moved(void *arg, uint64_t from, uint64_t to, uint64_t len)
{
	struct log *l = arg;

	assert_true(l->n < 64);
	l->ev[l->n++] = (struct event){ 'm', from, to, len };
}

static const struct vm_space_ops log_ops = { .removed = on_removed, .moved = on_moved };

static void setup_space(struct vm_space *vs, struct log *l)
{
	memset(l, 0, sizeof(*l));
	vm_space_init(vs, NULL, &log_ops, l);
}

static int64_t anon(struct vm_space *vs, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	return vm_mmap(vs, addr, len, prot, flags | VM_MAP_ANONYMOUS, VM_ANON, NULL, 0);
}

static void assert_region(const struct vm_space *vs, size_t i, uint64_t start, uint64_t end, uint32_t prot)
{
	const struct vm_region *r = vm_at(vs, i);

	assert_non_null(r);
	assert_int_equal(r->start, start);
	assert_int_equal(r->end, end);
	assert_int_equal(r->prot, prot);
}

static void test_topdown_placement_and_merge(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	assert_int_equal(vs.p.mmap_base, 0x7ffff7fff000ull);
	assert_int_equal(anon(&vs, 0, PG, RW, VM_MAP_PRIVATE), BASE - PG);
	/* The next one goes right below and merges: same attributes, contiguous pgoff. */
	assert_int_equal(anon(&vs, 0, 3 * PG, RW, VM_MAP_PRIVATE), BASE - 4 * PG);
	assert_int_equal(vm_count(&vs), 1);
	assert_region(&vs, 0, BASE - 4 * PG, BASE, RW);
	/* Different protection: adjacent but separate. Lengths are rounded up. */
	assert_int_equal(anon(&vs, 0, 100, VM_PROT_READ, VM_MAP_PRIVATE), BASE - 5 * PG);
	assert_int_equal(vm_count(&vs), 2);
	assert_int_equal(vs.mapped, 5 * PG);
	assert_true(vm_space_check(&vs));
	/* Shared anonymous mappings are separate objects and never merge with each other. */
	assert_int_equal(anon(&vs, 0, PG, RW, VM_MAP_SHARED), BASE - 6 * PG);
	assert_int_equal(anon(&vs, 0, PG, RW, VM_MAP_SHARED), BASE - 7 * PG);
	assert_int_equal(vm_count(&vs), 4);
	assert_true(vm_space_check(&vs));
	assert_int_equal(l.n, 0);
	vm_space_destroy(&vs);
}

static void test_mmap_errors(void **state)
{
	struct vm_space vs;
	struct log l;
	struct vm_file f = { 3, 12, 1 };

	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, 0, 0, RW, VM_MAP_PRIVATE), -EINVAL);
	assert_int_equal(anon(&vs, 0x400001, PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), -EINVAL);
	assert_int_equal(anon(&vs, 0, PG, RW, VM_MAP_FIXED | VM_MAP_PRIVATE), -EPERM);
	assert_int_equal(anon(&vs, 0x1000, PG, RW, VM_MAP_FIXED | VM_MAP_PRIVATE), -EPERM);
	assert_int_equal(anon(&vs, 0, PG, RW, 0), -EINVAL);               /* no map type */
	assert_int_equal(anon(&vs, 0, PG, RW, 0xf), -EINVAL);
	assert_int_equal(anon(&vs, VM_TASK_SIZE, PG, RW, VM_MAP_FIXED | VM_MAP_PRIVATE), -ENOMEM);
	assert_int_equal(anon(&vs, VM_TASK_SIZE - PG, 2 * PG, RW, VM_MAP_FIXED | VM_MAP_PRIVATE), -ENOMEM);
	assert_int_equal(anon(&vs, 0, VM_TASK_SIZE + PG, RW, VM_MAP_PRIVATE), -ENOMEM);
	assert_int_equal(anon(&vs, 0, UINT64_MAX - 5, RW, VM_MAP_PRIVATE), -ENOMEM);
	assert_int_equal(vm_mmap(&vs, 0, PG, RW, VM_MAP_PRIVATE, VM_FILE, &f, 100), -EINVAL);
	assert_int_equal(vm_mmap(&vs, 0, PG, RW, VM_MAP_PRIVATE, VM_FILE, NULL, 0), -EINVAL);
	assert_int_equal(vm_mmap(&vs, 0, 2 * PG, RW, VM_MAP_PRIVATE, VM_FILE, &f, UINT64_MAX & ~(PG - 1)),
			 -EOVERFLOW);
	/* The last page of the user half is mappable; the one at TASK_SIZE is not. */
	assert_int_equal(anon(&vs, VM_TASK_SIZE - PG, PG, RW, VM_MAP_FIXED | VM_MAP_PRIVATE),
			 VM_TASK_SIZE - PG);
	assert_int_equal(vm_count(&vs), 1);
	assert_int_equal(l.n, 0);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_hints(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	/* A free hint is taken (rounded down); a taken one is ignored. */
	assert_int_equal(anon(&vs, 0x10000000, PG, RW, VM_MAP_PRIVATE), 0x10000000);
	assert_int_equal(anon(&vs, 0x10000123, PG, VM_PROT_READ, VM_MAP_PRIVATE), BASE - PG);
	assert_int_equal(anon(&vs, 0x0ffff000, 2 * PG, VM_PROT_READ, VM_MAP_PRIVATE), BASE - 3 * PG);
	/* Below mmap_min_addr the hint becomes mmap_min_addr, not page 0. */
	assert_int_equal(anon(&vs, 0x2000, PG, RW, VM_MAP_PRIVATE), VM_MMAP_MIN_ADDR);
	/* A hint of less than a page is no hint. */
	assert_int_equal(anon(&vs, 0x500, PG, VM_PROT_EXEC, VM_MAP_PRIVATE), BASE - 4 * PG);
	/* A hint that does not fit under the top is ignored. */
	assert_int_equal(anon(&vs, VM_TASK_SIZE - PG, 2 * PG, 0, VM_MAP_PRIVATE), BASE - 6 * PG);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_fixed_replaces(void **state)
{
	struct vm_space vs;
	struct log l;
	struct vm_file f = { 3, 77, 2 };
	const struct vm_region *r;

	setup_space(&vs, &l);
	assert_int_equal(vm_mmap(&vs, 0x400000, 8 * PG, VM_PROT_READ, VM_MAP_PRIVATE | VM_MAP_FIXED,
				 VM_FILE, &f, 0x10000), 0x400000);
	/* Replace pages 2..4 in the middle: the file region splits, offsets follow. */
	assert_int_equal(anon(&vs, 0x402000, 3 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x402000);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].what, 'r');
	assert_int_equal(l.ev[0].a, 0x402000);
	assert_int_equal(l.ev[0].b, 0x405000);
	assert_int_equal(vm_count(&vs), 3);
	r = vm_find(&vs, 0x406000);
	assert_non_null(r);
	assert_int_equal(r->start, 0x405000);
	assert_int_equal(r->off, 0x10000 + 5 * PG);
	assert_int_equal(r->file.ino, 77);
	assert_int_equal(vm_find(&vs, 0x400000)->off, 0x10000);
	assert_int_equal(vm_find(&vs, 0x402000)->kind, VM_ANON);
	assert_int_equal(vs.mapped, 8 * PG);
	/* NOREPLACE over anything mapped fails and changes nothing. */
	l.n = 0;
	assert_int_equal(anon(&vs, 0x3ff000, 2 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED_NOREPLACE), -EEXIST);
	assert_int_equal(l.n, 0);
	assert_int_equal(anon(&vs, 0x3fe000, 2 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED_NOREPLACE), 0x3fe000);
	/* One FIXED mapping over several regions and holes. */
	assert_int_equal(anon(&vs, 0x3ff000, 0x20000, VM_PROT_EXEC, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x3ff000);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.ev[0].a, 0x3ff000);
	assert_int_equal(l.ev[0].b, 0x400000);
	assert_int_equal(l.ev[3].a, 0x405000);
	assert_int_equal(l.ev[3].b, 0x408000);
	assert_int_equal(vm_count(&vs), 2);
	assert_int_equal(vs.mapped, PG + 0x20000);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_fixed_refills_hole_and_merges(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, 0x600000, 16 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x600000);
	assert_int_equal(vm_munmap(&vs, 0x604000, 4 * PG), 0);
	assert_int_equal(vm_count(&vs), 2);
	/* Refilling the hole gives back one region: pgoff of anonymous memory is its address. */
	assert_int_equal(anon(&vs, 0x604000, 4 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x604000);
	assert_int_equal(vm_count(&vs), 1);
	assert_region(&vs, 0, 0x600000, 0x610000, RW);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_no_room(void **state)
{
	struct vm_space_params p;
	struct vm_space vs;

	vm_space_params_default(&p);
	p.task_size = 0x100000;
	p.mmap_base = 0xf0000;
	vm_space_init(&vs, &p, NULL, NULL);
	/* Top-down below mmap_base first, then bottom-up from TASK_SIZE/3 up to the top. */
	assert_int_equal(anon(&vs, 0, 0xe0000, RW, VM_MAP_PRIVATE), 0x10000);
	assert_int_equal(anon(&vs, 0, 0x10000, RW, VM_MAP_SHARED), 0xf0000);
	assert_int_equal(anon(&vs, 0, PG, RW, VM_MAP_PRIVATE), -ENOMEM);
	assert_int_equal(vm_munmap(&vs, 0x20000, PG), 0);
	assert_int_equal(anon(&vs, 0, 2 * PG, RW, VM_MAP_PRIVATE), -ENOMEM);
	assert_int_equal(anon(&vs, 0, PG, VM_PROT_READ, VM_MAP_PRIVATE), 0x20000);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_munmap(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	assert_int_equal(vm_munmap(&vs, 0x400000, PG), 0);            /* nothing there: fine */
	assert_int_equal(vm_munmap(&vs, 0x400001, PG), -EINVAL);
	assert_int_equal(vm_munmap(&vs, 0x400000, 0), -EINVAL);
	assert_int_equal(vm_munmap(&vs, VM_TASK_SIZE, PG), -EINVAL);
	assert_int_equal(vm_munmap(&vs, VM_TASK_SIZE - PG, 2 * PG), -EINVAL);
	assert_int_equal(anon(&vs, 0x400000, 10 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x400000);
	assert_int_equal(vm_munmap(&vs, 0x403000, 1), 0);             /* one page, split */
	assert_int_equal(vm_count(&vs), 2);
	assert_int_equal(vm_find(&vs, 0x404000)->off, 0x404000);
	assert_null(vm_find(&vs, 0x403fff));
	assert_int_equal(vm_find_next(&vs, 0x403000)->start, 0x404000);
	assert_int_equal(vm_munmap(&vs, 0x3ff000, 2 * PG), 0);        /* trims the front */
	assert_int_equal(vm_munmap(&vs, 0x409000, 4 * PG), 0);        /* trims the back */
	assert_int_equal(l.n, 3);
	assert_int_equal(l.ev[1].a, 0x400000);
	assert_int_equal(l.ev[1].b, 0x401000);
	assert_int_equal(l.ev[2].a, 0x409000);
	assert_int_equal(l.ev[2].b, 0x40a000);
	assert_int_equal(vs.mapped, 7 * PG);
	assert_int_equal(vm_munmap(&vs, 0x300000, 0x200000), 0);      /* everything */
	assert_int_equal(vm_count(&vs), 0);
	assert_int_equal(vs.mapped, 0);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_mprotect(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, 0x400000, 8 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x400000);
	assert_int_equal(vm_mprotect(&vs, 0x402000, 2 * PG, VM_PROT_READ), 0);
	assert_int_equal(vm_count(&vs), 3);
	assert_region(&vs, 1, 0x402000, 0x404000, VM_PROT_READ);
	assert_int_equal(vm_mprotect(&vs, 0x402000, 2 * PG, RW), 0);  /* merges back */
	assert_int_equal(vm_count(&vs), 1);
	assert_int_equal(vm_mprotect(&vs, 0x402001, PG, RW), -EINVAL);
	assert_int_equal(vm_mprotect(&vs, 0x402000, 0, 0x40), 0);      /* len 0: nothing checked */
	assert_int_equal(vm_mprotect(&vs, 0x402000, PG, 0x40), -EINVAL);
	assert_int_equal(vm_mprotect(&vs, 0x402000, PG, VM_PROT_GROWSDOWN | VM_PROT_GROWSUP), -EINVAL);
	assert_int_equal(vm_mprotect(&vs, 0x402000, PG, VM_PROT_READ | VM_PROT_GROWSDOWN), -EINVAL);
	assert_int_equal(vm_mprotect(&vs, 0x402000, -PG, VM_PROT_READ), -ENOMEM);
	assert_int_equal(vm_mprotect(&vs, 0x3ff000, 2 * PG, VM_PROT_READ), -ENOMEM);
	assert_int_equal(vm_count(&vs), 1);
	/* A hole in the middle: the part before it changes, as in Linux. */
	assert_int_equal(vm_munmap(&vs, 0x406000, PG), 0);
	assert_int_equal(vm_mprotect(&vs, 0x405000, 3 * PG, 0), -ENOMEM);
	assert_region(&vs, 1, 0x405000, 0x406000, 0);
	assert_region(&vs, 2, 0x407000, 0x408000, RW);
	assert_int_equal(vm_mprotect(&vs, 0x400000, 8 * PG, 0), -ENOMEM);
	assert_region(&vs, 0, 0x400000, 0x406000, 0);
	/* PROT_SEM is accepted and dropped. */
	assert_int_equal(vm_mprotect(&vs, 0x407000, PG, VM_PROT_READ | VM_PROT_SEM), 0);
	assert_region(&vs, 1, 0x407000, 0x408000, VM_PROT_READ);
	assert_int_equal(l.n, 1);                                     /* only the munmap */
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_mprotect_growsdown(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, 0x7ff000000000, 4 * PG, RW,
			      VM_MAP_PRIVATE | VM_MAP_FIXED | VM_MAP_GROWSDOWN), 0x7ff000000000);
	/* PROT_GROWSDOWN extends the change down to the start of the stack. */
	assert_int_equal(vm_mprotect(&vs, 0x7ff000002000, PG, VM_PROT_READ | VM_PROT_WRITE |
				     VM_PROT_EXEC | VM_PROT_GROWSDOWN), 0);
	assert_int_equal(vm_count(&vs), 2);
	assert_region(&vs, 0, 0x7ff000000000, 0x7ff000003000, RW | VM_PROT_EXEC);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_brk(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	assert_int_equal(vm_brk(&vs, 0x4a1234, true), 0x4a2000);
	assert_int_equal(vm_brk(&vs, 0, false), 0x4a2000);             /* query */
	assert_int_equal(vm_brk(&vs, 0x4a2010, false), 0x4a2010);
	assert_int_equal(vm_count(&vs), 1);
	assert_region(&vs, 0, 0x4a2000, 0x4a3000, RW);
	assert_int_equal(vm_brk(&vs, 0x4a2fff, false), 0x4a2fff);       /* same page */
	assert_int_equal(vm_count(&vs), 1);
	assert_int_equal(vm_brk(&vs, 0x4c0000, false), 0x4c0000);
	assert_region(&vs, 0, 0x4a2000, 0x4c0000, RW);
	assert_int_equal(vm_brk(&vs, 0x4a0000, false), 0x4c0000);       /* below the start */
	/* Shrinking frees the pages above the new break. */
	assert_int_equal(vm_brk(&vs, 0x4b0001, false), 0x4b0001);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].a, 0x4b1000);
	assert_int_equal(l.ev[0].b, 0x4c0000);
	/* Growing stops a page short of the next mapping; a refusal returns the old break. */
	assert_int_equal(anon(&vs, 0x4d0000, PG, VM_PROT_READ, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x4d0000);
	assert_int_equal(vm_brk(&vs, 0x4d0000, false), 0x4b0001);
	assert_int_equal(vm_brk(&vs, 0x4cf001, false), 0x4b0001);
	assert_int_equal(vm_brk(&vs, 0x4cf000, false), 0x4cf000);
	assert_int_equal(vm_brk(&vs, VM_TASK_SIZE + 1, false), 0x4cf000);
	assert_int_equal(vm_brk(&vs, UINT64_MAX, false), 0x4cf000);
	/* Back to the start: the heap region is gone. */
	assert_int_equal(vm_brk(&vs, 0x4a2000, false), 0x4a2000);
	assert_int_equal(vm_count(&vs), 1);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_brk_merges_with_data(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	/* The loader maps .bss anonymous RW up to the break; the heap extends it. */
	assert_int_equal(anon(&vs, 0x600000, 2 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x600000);
	vm_brk(&vs, 0x602000, true);
	assert_int_equal(vm_brk(&vs, 0x605000, false), 0x605000);
	assert_int_equal(vm_count(&vs), 1);
	assert_region(&vs, 0, 0x600000, 0x605000, RW);
	/* Without init there is no heap: growth from 0 is refused. */
	{
		struct vm_space v2;

		vm_space_init(&v2, NULL, NULL, NULL);
		assert_int_equal(vm_brk(&v2, 0x100000, false), 0);
		assert_int_equal(vm_count(&v2), 0);
		vm_space_destroy(&v2);
	}
	vm_space_destroy(&vs);
}

static void test_mremap(void **state)
{
	struct vm_space vs;
	struct log l;
	int64_t to;

	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, 0x400000, 4 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x400000);
	/* Argument checks. */
	assert_int_equal(vm_mremap(&vs, 0x400000, PG, 2 * PG, 0x8, 0), -EINVAL);
	assert_int_equal(vm_mremap(&vs, 0x400000, PG, 2 * PG, VM_MREMAP_FIXED, 0x800000), -EINVAL);
	assert_int_equal(vm_mremap(&vs, 0x400010, PG, 2 * PG, 0, 0), -EINVAL);
	assert_int_equal(vm_mremap(&vs, 0x400000, PG, 0, 0, 0), -EINVAL);
	assert_int_equal(vm_mremap(&vs, 0x500000, PG, 2 * PG, 0, 0), -EFAULT);
	assert_int_equal(vm_mremap(&vs, 0x400000, 0, 2 * PG, VM_MREMAP_MAYMOVE, 0), -EINVAL);
	assert_int_equal(vm_mremap(&vs, 0x400000, 5 * PG, 6 * PG, 0, 0), -EFAULT);  /* across the end */
	/* Shrink in place frees the tail. */
	assert_int_equal(vm_mremap(&vs, 0x400000, 4 * PG, 3 * PG, 0, 0), 0x400000);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].a, 0x403000);
	/* Grow in place. */
	assert_int_equal(vm_mremap(&vs, 0x400000, 3 * PG, 6 * PG, 0, 0), 0x400000);
	assert_region(&vs, 0, 0x400000, 0x406000, RW);
	/* Blocked: -ENOMEM without MAYMOVE, a move with it. */
	assert_int_equal(anon(&vs, 0x406000, PG, VM_PROT_READ, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x406000);
	assert_int_equal(vm_mremap(&vs, 0x400000, 6 * PG, 8 * PG, 0, 0), -ENOMEM);
	/* Growing a part that does not reach the region's end must move too. */
	assert_int_equal(vm_mremap(&vs, 0x400000, 2 * PG, 3 * PG, 0, 0), -ENOMEM);
	l.n = 0;
	to = vm_mremap(&vs, 0x400000, 6 * PG, 8 * PG, VM_MREMAP_MAYMOVE, 0);
	assert_int_equal(to, BASE - 8 * PG);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].what, 'm');
	assert_int_equal(l.ev[0].a, 0x400000);
	assert_int_equal(l.ev[0].b, BASE - 8 * PG);
	assert_int_equal(l.ev[0].len, 6 * PG);
	assert_null(vm_find(&vs, 0x400000));
	/* The moved region keeps its pgoff, so it does not merge with a new neighbour. */
	assert_int_equal(vm_find(&vs, (uint64_t)to)->off, 0x400000);
	assert_int_equal(anon(&vs, 0, PG, RW, VM_MAP_PRIVATE), BASE - 9 * PG);
	assert_int_equal(vm_count(&vs), 3);
	assert_int_equal(vs.mapped, 10 * PG);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_mremap_fixed(void **state)
{
	struct vm_space vs;
	struct log l;

	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, 0x400000, 4 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x400000);
	assert_int_equal(anon(&vs, 0x800000, 8 * PG, VM_PROT_READ, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x800000);
	assert_int_equal(vm_mremap(&vs, 0x400000, 4 * PG, 4 * PG, VM_MREMAP_FIXED | VM_MREMAP_MAYMOVE,
				   0x402000), -EINVAL);                 /* overlap */
	assert_int_equal(vm_mremap(&vs, 0x400000, 4 * PG, 4 * PG, VM_MREMAP_FIXED | VM_MREMAP_MAYMOVE,
				   0x802001), -EINVAL);
	/* Shrinking move over part of another mapping: target freed, tail freed, then the move. */
	assert_int_equal(vm_mremap(&vs, 0x400000, 4 * PG, 2 * PG, VM_MREMAP_FIXED | VM_MREMAP_MAYMOVE,
				   0x802000), 0x802000);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.ev[0].what, 'r');
	assert_int_equal(l.ev[0].a, 0x802000);
	assert_int_equal(l.ev[0].b, 0x804000);
	assert_int_equal(l.ev[1].what, 'r');
	assert_int_equal(l.ev[1].a, 0x402000);
	assert_int_equal(l.ev[2].what, 'm');
	assert_int_equal(l.ev[2].len, 2 * PG);
	assert_int_equal(vm_count(&vs), 3);
	assert_region(&vs, 1, 0x802000, 0x804000, RW);
	assert_int_equal(vs.mapped, 8 * PG);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_limit(void **state)
{
	struct vm_space_params p;
	struct vm_space vs;

	vm_space_params_default(&p);
	p.limit_bytes = 8 * PG;
	vm_space_init(&vs, &p, NULL, NULL);
	assert_int_equal(anon(&vs, 0x400000, 6 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x400000);
	assert_int_equal(anon(&vs, 0, 3 * PG, RW, VM_MAP_PRIVATE), -ENOMEM);
	/* Replacing mapped pages counts only what is new. */
	assert_int_equal(anon(&vs, 0x404000, 4 * PG, VM_PROT_READ, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x404000);
	assert_int_equal(vs.mapped, 8 * PG);
	assert_int_equal(anon(&vs, 0x404000, 5 * PG, VM_PROT_READ, VM_MAP_PRIVATE | VM_MAP_FIXED), -ENOMEM);
	vm_brk(&vs, 0x500000, true);
	assert_int_equal(vm_brk(&vs, 0x501000, false), 0x500000);
	assert_int_equal(vm_mremap(&vs, 0x400000, PG, 2 * PG, VM_MREMAP_MAYMOVE, 0), -ENOMEM);
	assert_int_equal(vm_munmap(&vs, 0x400000, PG), 0);
	assert_int_equal(vm_brk(&vs, 0x501000, false), 0x501000);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_max_regions(void **state)
{
	struct vm_space_params p;
	struct vm_space vs;

	vm_space_params_default(&p);
	p.max_regions = 3;
	vm_space_init(&vs, &p, NULL, NULL);
	assert_int_equal(anon(&vs, 0x400000, 8 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x400000);
	assert_int_equal(vm_munmap(&vs, 0x401000, PG), 0);
	assert_int_equal(vm_munmap(&vs, 0x403000, PG), 0);
	assert_int_equal(vm_count(&vs), 3);
	assert_int_equal(vm_munmap(&vs, 0x405000, PG), -ENOMEM);      /* would split a fourth */
	assert_int_equal(vm_mprotect(&vs, 0x405000, PG, 0), -ENOMEM);
	assert_int_equal(vm_munmap(&vs, 0x404000, PG), 0);            /* trimming is fine */
	assert_int_equal(vs.mapped, 5 * PG);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);
}

static void test_stack(void **state)
{
	struct vm_space vs;
	struct log l;
	const uint64_t top = 0x7ffffffde000, stack = top - 32 * PG;

	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, stack, 32 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED | VM_MAP_GROWSDOWN),
			 stack);
	/* A hint inside the guard gap below the stack is not taken. */
	assert_int_equal(anon(&vs, stack - 2 * PG, PG, RW, VM_MAP_PRIVATE), BASE - PG);
	/* Growth: just below, and far below within RLIMIT_STACK. */
	assert_int_equal(vm_grow_stack(&vs, stack - 1), 0);
	assert_int_equal(vm_find(&vs, stack - 1)->start, stack - PG);
	assert_int_equal(vm_grow_stack(&vs, top - VM_STACK_LIMIT), 0);
	assert_int_equal(vm_grow_stack(&vs, top - VM_STACK_LIMIT - 1), -ENOMEM);
	assert_int_equal(vm_grow_stack(&vs, top + PG), -EFAULT);
	assert_int_equal(vm_grow_stack(&vs, top - PG), 0);              /* already mapped */
	assert_int_equal(vm_grow_stack(&vs, BASE - 2 * PG), -EFAULT);   /* below a non-stack */
	assert_int_equal(vs.mapped, VM_STACK_LIMIT + PG);
	assert_true(vm_space_check(&vs));
	vm_space_destroy(&vs);

	/* Another mapping within the guard gap stops the growth. */
	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, 0x7f0000200000, 4 * PG, RW,
			      VM_MAP_PRIVATE | VM_MAP_FIXED | VM_MAP_GROWSDOWN), 0x7f0000200000);
	assert_int_equal(anon(&vs, 0x7f0000000000, 4 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x7f0000000000);
	assert_int_equal(vm_grow_stack(&vs, 0x7f0000004000 + VM_STACK_GUARD_GAP - 1), -ENOMEM);
	assert_int_equal(vm_grow_stack(&vs, 0x7f0000004000 + VM_STACK_GUARD_GAP), 0);
	vm_space_destroy(&vs);
}

static void test_clone(void **state)
{
	struct vm_space vs, child;
	struct log l, lc = { 0 };

	setup_space(&vs, &l);
	assert_int_equal(anon(&vs, 0x400000, 4 * PG, RW, VM_MAP_PRIVATE | VM_MAP_FIXED), 0x400000);
	vm_brk(&vs, 0x500000, true);
	assert_int_equal(vm_brk(&vs, 0x502000, false), 0x502000);
	assert_int_equal(vm_space_clone(&child, &vs, &log_ops, &lc), 0);
	assert_int_equal(vm_munmap(&child, 0x400000, PG), 0);
	assert_int_equal(lc.n, 1);
	assert_int_equal(l.n, 0);
	assert_int_equal(vm_count(&vs), 2);
	assert_int_equal(vs.mapped, 6 * PG);
	assert_int_equal(child.mapped, 5 * PG);
	assert_int_equal(child.brk, 0x502000);
	assert_true(vm_space_check(&child));
	vm_space_destroy(&child);
	vm_space_destroy(&vs);
	vm_space_init(&child, NULL, NULL, NULL);
	assert_int_equal(vm_space_clone(&vs, &child, NULL, NULL), 0);  /* empty: no allocation */
	vm_space_destroy(&vs);
	vm_space_destroy(&child);
}

static void test_allows(void **state)
{
	struct vm_region r = { .prot = 0 };

	assert_false(vm_region_allows(&r, VM_PROT_READ));
	r.prot = VM_PROT_READ;
	assert_true(vm_region_allows(&r, VM_PROT_READ));
	assert_false(vm_region_allows(&r, VM_PROT_WRITE));
	assert_false(vm_region_allows(&r, VM_PROT_EXEC));
	r.prot = VM_PROT_WRITE;                  /* x86: writable implies readable */
	assert_true(vm_region_allows(&r, VM_PROT_READ | VM_PROT_WRITE));
	r.prot = VM_PROT_EXEC;
	assert_true(vm_region_allows(&r, VM_PROT_READ | VM_PROT_EXEC));
	assert_false(vm_region_allows(&r, VM_PROT_WRITE));
}

/* ---- randomized comparison with a page-by-page model ------------------------------ */

#define M_PAGES   512u                   /* a 2 MiB address space */
#define M_TOP     ((uint64_t)M_PAGES * PG)
#define M_BASE    (M_TOP - 64 * PG)
#define M_MIN     (16 * PG)
#define M_LIMIT   (300 * PG)

struct mpage {
	bool mapped;
	uint32_t prot, flags, kind;
	struct vm_file file;
	uint64_t off, obj;
	uint32_t data;                        /* what the page store holds (0 = nothing) */
};

struct model {
	struct mpage pg[M_PAGES];
	uint64_t start_brk, brk, next_obj;
};

/* The page store the reports maintain, as the memory node's would. */
struct store {
	uint32_t data[M_PAGES];
};

static void store_removed(void *arg, uint64_t start, uint64_t end)
{
	struct store *s = arg;

	assert_true(start < end && end <= M_TOP);
	for (uint64_t a = start; a < end; a += PG)
		s->data[a / PG] = 0;
}

static void store_moved(void *arg, uint64_t from, uint64_t to, uint64_t len)
{
	struct store *s = arg;

	assert_true(from + len <= M_TOP && to + len <= M_TOP);
	for (uint64_t i = 0; i < len / PG; i++) {
		s->data[to / PG + i] = s->data[from / PG + i];
		s->data[from / PG + i] = 0;
	}
}

static const struct vm_space_ops store_ops = { .removed = store_removed, .moved = store_moved };

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t m_mapped(const struct model *m)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < M_PAGES; i++)
		n += m->pg[i].mapped;
	return n * PG;
}

static bool m_free(const struct model *m, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end && a < M_TOP; a += PG)
		if (m->pg[a / PG].mapped)
			return false;
	return true;
}

static uint64_t m_mapped_in(const struct model *m, uint64_t start, uint64_t end)
{
	uint64_t n = 0;

	for (uint64_t a = start; a < end && a < M_TOP; a += PG)
		n += m->pg[a / PG].mapped;
	return n * PG;
}

/* Whether pages p and p + 1 belong to one region (the library keeps regions merged). */
static bool m_same_region(const struct model *m, unsigned p)
{
	const struct mpage *a = &m->pg[p], *b = &m->pg[p + 1];

	return a->mapped && b->mapped && a->prot == b->prot && a->flags == b->flags &&
	       a->kind == b->kind && a->obj == b->obj && a->off + PG == b->off &&
	       (a->kind != VM_FILE || (a->file.node == b->file.node && a->file.ino == b->file.ino &&
				       a->file.gen == b->file.gen));
}

static uint64_t m_region_end(const struct model *m, uint64_t addr)
{
	unsigned p = (unsigned)(addr / PG);

	while (p + 1 < M_PAGES && m_same_region(m, p))
		p++;
	return (uint64_t)(p + 1) * PG;
}

static void m_unmap(struct model *m, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end && a < M_TOP; a += PG)
		memset(&m->pg[a / PG], 0, sizeof(struct mpage));
}

static bool m_limit_ok(const struct model *m, uint64_t grow)
{
	return m_mapped(m) + grow <= M_LIMIT;
}

static int64_t m_topdown(const struct model *m, uint64_t len)
{
	for (uint64_t a = M_BASE - len; a >= M_MIN && a < M_BASE; a -= PG)
		if (m_free(m, a, a + len))
			return (int64_t)a;
	for (uint64_t a = (M_TOP / 3 + PG - 1) & ~(PG - 1); a + len <= M_TOP; a += PG)
		if (m_free(m, a, a + len))
			return (int64_t)a;
	return -ENOMEM;
}

static int64_t m_mmap(struct model *m, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		      uint32_t kind, const struct vm_file *f, uint64_t off)
{
	uint32_t type = flags & VM_MAP_TYPE;

	if (!len)
		return -EINVAL;
	if (type != VM_MAP_SHARED && type != VM_MAP_PRIVATE)
		return -EINVAL;
	if (kind == VM_FILE && (off & (PG - 1)))
		return -EINVAL;
	if (flags & VM_MAP_FIXED_NOREPLACE)
		flags |= VM_MAP_FIXED;
	len = (len + PG - 1) & ~(PG - 1);
	if (len > M_TOP)
		return -ENOMEM;
	if (flags & VM_MAP_FIXED) {
		if (addr > M_TOP - len)
			return -ENOMEM;
		if (addr & (PG - 1))
			return -EINVAL;
		if (addr < M_MIN)
			return -EPERM;
	} else {
		addr &= ~(PG - 1);
		if (addr && addr < M_MIN)
			addr = M_MIN;
		if (!(addr && M_TOP - len >= addr && m_free(m, addr, addr + len))) {
			int64_t at = m_topdown(m, len);

			if (at < 0)
				return at;
			addr = (uint64_t)at;
		}
	}
	if ((flags & VM_MAP_FIXED_NOREPLACE) && !m_free(m, addr, addr + len))
		return -EEXIST;
	if (!m_limit_ok(m, len - m_mapped_in(m, addr, addr + len)))
		return -ENOMEM;
	m_unmap(m, addr, addr + len);
	if (kind == VM_ANON && type == VM_MAP_SHARED)
		m->next_obj++;
	for (uint64_t i = 0; i < len / PG; i++) {
		struct mpage *p = &m->pg[addr / PG + i];

		p->mapped = true;
		p->prot = prot & 7;
		p->flags = flags & (VM_MAP_TYPE | VM_MAP_ANONYMOUS);
		p->kind = kind;
		if (kind == VM_FILE) {
			p->file = *f;
			p->off = off + i * PG;
		} else if (type == VM_MAP_SHARED) {
			p->obj = m->next_obj;
			p->off = i * PG;
		} else {
			p->off = addr + i * PG;
		}
	}
	return (int64_t)addr;
}

static int m_munmap(struct model *m, uint64_t addr, uint64_t len)
{
	if ((addr & (PG - 1)) || addr > M_TOP || len > M_TOP - addr)
		return -EINVAL;
	len = (len + PG - 1) & ~(PG - 1);
	if (!len)
		return -EINVAL;
	m_unmap(m, addr, addr + len);
	return 0;
}

static int m_mprotect(struct model *m, uint64_t addr, uint64_t len, uint32_t prot)
{
	if (addr & (PG - 1))
		return -EINVAL;
	if (!len)
		return 0;
	len = (len + PG - 1) & ~(PG - 1);
	if (addr + len <= addr)
		return -ENOMEM;
	if (prot & ~7u)
		return -EINVAL;
	for (uint64_t a = addr; a < addr + len; a += PG) {
		if (a >= M_TOP || !m->pg[a / PG].mapped)
			return -ENOMEM;
		m->pg[a / PG].prot = prot;
	}
	return 0;
}

static uint64_t m_brk(struct model *m, uint64_t brk)
{
	uint64_t newbrk = (brk + PG - 1) & ~(PG - 1), oldbrk = (m->brk + PG - 1) & ~(PG - 1);

	if (brk < m->start_brk || newbrk > M_TOP)
		return m->brk;
	if (newbrk == oldbrk) {
		m->brk = brk;
		return brk;
	}
	if (brk <= m->brk) {
		m_unmap(m, newbrk, oldbrk);
		m->brk = brk;
		return brk;
	}
	if (!m_free(m, oldbrk, newbrk + PG) || oldbrk < M_MIN || !m_limit_ok(m, newbrk - oldbrk))
		return m->brk;
	for (uint64_t a = oldbrk; a < newbrk; a += PG) {
		struct mpage *p = &m->pg[a / PG];

		memset(p, 0, sizeof(*p));
		p->mapped = true;
		p->prot = RW;
		p->flags = PRIV_ANON;
		p->kind = VM_ANON;
		p->off = a;
	}
	m->brk = brk;
	return brk;
}

/* Move [old, old + old_len) to new (new_len long, continuing the offsets). */
static void m_move(struct model *m, uint64_t old, uint64_t old_len, uint64_t new, uint64_t new_len)
{
	struct mpage first = m->pg[old / PG];
	struct mpage moved[M_PAGES];

	memcpy(moved, &m->pg[old / PG], old_len / PG * sizeof(struct mpage));
	m_unmap(m, old, old + old_len);
	for (uint64_t i = 0; i < new_len / PG; i++) {
		struct mpage *p = &m->pg[new / PG + i];

		if (i < old_len / PG) {
			*p = moved[i];
		} else {
			*p = first;
			p->off = first.off + i * PG;
			p->data = 0;
		}
	}
}

static int m_resize_target(const struct model *m, uint64_t addr, uint64_t old_len, uint64_t new_len)
{
	if (!m->pg[addr / PG].mapped)
		return -EFAULT;
	if (!old_len)
		return -EINVAL;
	if (old_len > m_region_end(m, addr) - addr)
		return -EFAULT;
	if (new_len > old_len && !m_limit_ok(m, new_len - old_len))
		return -ENOMEM;
	return 0;
}

static int64_t m_mremap(struct model *m, uint64_t addr, uint64_t old_len, uint64_t new_len, uint32_t flags,
			uint64_t new_addr)
{
	int rc;

	if (flags & ~3u)
		return -EINVAL;
	if ((flags & VM_MREMAP_FIXED) && !(flags & VM_MREMAP_MAYMOVE))
		return -EINVAL;
	if (addr & (PG - 1))
		return -EINVAL;
	old_len = (old_len + PG - 1) & ~(PG - 1);
	new_len = (new_len + PG - 1) & ~(PG - 1);
	if (!new_len)
		return -EINVAL;
	if (addr >= M_TOP || !m->pg[addr / PG].mapped)
		return -EFAULT;
	if (flags & VM_MREMAP_FIXED) {
		if (new_addr & (PG - 1))
			return -EINVAL;
		if (new_len > M_TOP || new_addr > M_TOP - new_len)
			return -EINVAL;
		if (addr + old_len > new_addr && new_addr + new_len > addr)
			return -EINVAL;
		if ((rc = m_munmap(m, new_addr, new_len)))
			return rc;
		if (old_len > new_len) {
			if ((rc = m_munmap(m, addr + new_len, old_len - new_len)))
				return rc;
			old_len = new_len;
		}
		if ((rc = m_resize_target(m, addr, old_len, new_len)))
			return rc;
		if (new_addr < M_MIN)
			return -EPERM;
		m_move(m, addr, old_len, new_addr, new_len);
		return (int64_t)new_addr;
	}
	if (old_len >= new_len) {
		rc = old_len > new_len ? m_munmap(m, addr + new_len, old_len - new_len) : 0;
		return rc ? rc : (int64_t)addr;
	}
	if ((rc = m_resize_target(m, addr, old_len, new_len)))
		return rc;
	if (addr + old_len == m_region_end(m, addr) && addr + new_len <= M_TOP &&
	    m_free(m, addr + old_len, addr + new_len)) {
		struct mpage last = m->pg[(addr + old_len) / PG - 1];

		for (uint64_t a = addr + old_len; a < addr + new_len; a += PG) {
			struct mpage *p = &m->pg[a / PG];

			*p = last;
			p->off = last.off + (a - (addr + old_len) + PG);
			p->data = 0;
		}
		return (int64_t)addr;
	}
	if (!(flags & VM_MREMAP_MAYMOVE))
		return -ENOMEM;
	{
		int64_t at = m_topdown(m, new_len);

		if (at < 0)
			return at;
		m_move(m, addr, old_len, (uint64_t)at, new_len);
		return at;
	}
}

/* Regions, offsets, data and totals agree between library, store and model. */
static void compare(const struct vm_space *vs, const struct store *s, const struct model *m, unsigned step)
{
	char where[64];

	snprintf(where, sizeof(where), "step %u", step);
	if (!vm_space_check(vs))
		fail_msg("%s: vm_space_check failed", where);
	for (unsigned p = 0; p < M_PAGES; p++) {
		const struct vm_region *r = vm_find(vs, (uint64_t)p * PG);
		const struct mpage *mp = &m->pg[p];

		if (!r != !mp->mapped)
			fail_msg("%s: page %#x mapped %d in library, %d in model", where, p * 4096, !!r, mp->mapped);
		if (s->data[p] != mp->data)
			fail_msg("%s: page %#x data %u in store, %u in model", where, p * 4096, s->data[p], mp->data);
		if (!r)
			continue;
		if (r->prot != mp->prot || r->flags != mp->flags || r->kind != mp->kind ||
		    r->obj != mp->obj || r->off + ((uint64_t)p * PG - r->start) != mp->off)
			fail_msg("%s: page %#x attributes differ", where, p * 4096);
		/* Region boundaries are exactly the model's merge boundaries. */
		if (p + 1 < M_PAGES && (r->end > (uint64_t)(p + 1) * PG) != m_same_region(m, p))
			fail_msg("%s: page %#x region boundary differs", where, p * 4096);
	}
	assert_int_equal(vs->mapped, m_mapped(m));
	assert_int_equal(vs->brk, m->brk);
}

/* How often each call succeeded and failed, to show the sequence exercises both. */
static unsigned n_ok[8], n_err[8];

static void count(unsigned op, int64_t rc)
{
	if (rc < 0)
		n_err[op]++;
	else
		n_ok[op]++;
}

static uint64_t rnd_addr(void)
{
	switch (rnd_below(8)) {
	case 0: return 0;
	case 1: return rnd_below(M_TOP + 4 * PG);              /* unaligned */
	default: return rnd_below(M_PAGES + 4) * PG;
	}
}

static uint64_t rnd_len(void)
{
	switch (rnd_below(10)) {
	case 0: return 0;
	case 1: return rnd_below(3 * PG) + 1;                  /* unaligned */
	case 2: return rnd_below(200) * PG;
	default: return (rnd_below(12) + 1) * PG;
	}
}

static void run_random(uint64_t seed, unsigned steps)
{
	struct vm_space_params p;
	struct vm_space vs;
	static struct model m;
	static struct store s;
	uint32_t next_data = 1;

	memset(&m, 0, sizeof(m));
	memset(&s, 0, sizeof(s));
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	vm_space_params_default(&p);
	p.task_size = M_TOP;
	p.mmap_base = M_BASE;
	p.min_addr = M_MIN;
	p.limit_bytes = M_LIMIT;
	vm_space_init(&vs, &p, &store_ops, &s);
	m.start_brk = m.brk = 40 * PG;
	assert_int_equal(vm_brk(&vs, 40 * PG - 100, true), 40 * PG);

	for (unsigned step = 0; step < steps; step++) {
		uint64_t addr = rnd_addr(), len = rnd_len();
		uint32_t prot = (uint32_t)rnd_below(8);
		int64_t got, want;

		switch (rnd_below(9)) {
		case 0: case 1: {
			static const uint32_t fl[] = { VM_MAP_PRIVATE, VM_MAP_SHARED, VM_MAP_PRIVATE | VM_MAP_FIXED,
						       VM_MAP_SHARED | VM_MAP_FIXED, VM_MAP_PRIVATE | VM_MAP_FIXED_NOREPLACE, 0 };
			uint32_t flags = fl[rnd_below(6)];
			struct vm_file f = { 2, (uint32_t)rnd_below(3) + 1, 1 };
			uint32_t kind = rnd_below(3) == 0 ? VM_FILE : VM_ANON;
			uint64_t off = rnd_below(4) * PG;

			if (kind == VM_ANON)
				flags |= VM_MAP_ANONYMOUS;
			if (!rnd_below(4))
				prot = RW;                              /* more merging */
			got = vm_mmap(&vs, addr, len, prot, flags, kind, &f, off);
			want = m_mmap(&m, addr, len, prot, flags, kind, &f, off);
			if (got != want)
				fail_msg("step %u: mmap(%#lx, %#lx, %u, %#x, kind %u) = %ld, model %ld", step,
					 addr, len, prot, flags, kind, got, want);
			count(0, got);
			break;
		}
		case 2:
			got = vm_munmap(&vs, addr, len);
			want = m_munmap(&m, addr, len);
			if (got != want)
				fail_msg("step %u: munmap(%#lx, %#lx) = %ld, model %ld", step, addr, len, got, want);
			count(1, got);
			break;
		case 3:
			got = vm_mprotect(&vs, addr, len, prot);
			want = m_mprotect(&m, addr, len, prot);
			if (got != want)
				fail_msg("step %u: mprotect(%#lx, %#lx, %u) = %ld, model %ld", step, addr, len, prot,
					 got, want);
			count(2, got);
			break;
		case 4: {
			uint64_t b = rnd_below(4) ? m.start_brk + rnd_below(40 * PG) : rnd_addr();

			got = (int64_t)vm_brk(&vs, b, false);
			want = (int64_t)m_brk(&m, b);
			if (got != want)
				fail_msg("step %u: brk(%#lx) = %#lx, model %#lx", step, b, got, want);
			count(3, got == (int64_t)b ? 0 : -1);
			break;
		}
		case 5: case 6: {
			uint32_t flags = (uint32_t)rnd_below(4);
			uint64_t new_len = rnd_len(), new_addr = rnd_addr();

			/* Mostly remap something that is there. */
			if (rnd_below(3)) {
				size_t n = vm_count(&vs);

				if (n) {
					const struct vm_region *r = vm_at(&vs, rnd_below(n));

					addr = r->start + rnd_below((r->end - r->start) / PG) * PG;
					len = rnd_below(2) ? r->end - addr : len;
				}
			}
			if (!rnd_below(20))
				flags |= 8;
			got = vm_mremap(&vs, addr, len, new_len, flags, new_addr);
			want = m_mremap(&m, addr, len, new_len, flags, new_addr);
			if (got != want)
				fail_msg("step %u: mremap(%#lx, %#lx, %#lx, %u, %#lx) = %ld, model %ld", step, addr,
					 len, new_len, flags, new_addr, got, want);
			count(4, got);
			if (got >= 0 && (uint64_t)got != addr)
				n_ok[5]++;                      /* moved */
			break;
		}
		default: {
			/* The process node writes a page back: the store and the model keep it. */
			unsigned pg = (unsigned)rnd_below(M_PAGES);

			if (m.pg[pg].mapped) {
				m.pg[pg].data = s.data[pg] = next_data++;
				assert_non_null(vm_find(&vs, (uint64_t)pg * PG));
			}
			break;
		}
		}
		compare(&vs, &s, &m, step);
	}
	vm_space_destroy(&vs);
}

static void test_random_against_model(void **state)
{
	static const char *const names[6] = { "mmap", "munmap", "mprotect", "brk", "mremap", "moved" };

	for (uint64_t seed = 1; seed <= 40; seed++)
		run_random(seed, 1500);
	for (unsigned i = 0; i < 6; i++)
		print_message("  %-8s %5u ok %5u failed\n", names[i], n_ok[i], n_err[i]);
	for (unsigned i = 0; i < 5; i++)
		assert_true(n_ok[i] > 100 && n_err[i] > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topdown_placement_and_merge),
		cmocka_unit_test(test_mmap_errors),
		cmocka_unit_test(test_hints),
		cmocka_unit_test(test_fixed_replaces),
		cmocka_unit_test(test_fixed_refills_hole_and_merges),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_munmap),
		cmocka_unit_test(test_mprotect),
		cmocka_unit_test(test_mprotect_growsdown),
		cmocka_unit_test(test_brk),
		cmocka_unit_test(test_brk_merges_with_data),
		cmocka_unit_test(test_mremap),
		cmocka_unit_test(test_mremap_fixed),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_max_regions),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_allows),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
