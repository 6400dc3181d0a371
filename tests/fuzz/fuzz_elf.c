/*
 * tests/fuzz/fuzz_elf.c - libFuzzer harness for ELF load planning
 * (monitors/process/elf.c): the input is an executable file held in memory.
 * Each input is planned three ways: with its true size, as the head of a
 * much larger file (so 4 KiB seeds reach the segment, base and entry
 * checks), and through a reader that returns short reads. Any crash or
 * sanitizer report is a bug, and so is an accepted plan that breaks an
 * invariant the process monitor relies on (checked here, abort()).
 *
 * Seeds (tests/fuzz/corpus/elf): the first 4 KiB of real executables, e.g.
 *   head -c 4096 /bin/busybox >tests/fuzz/corpus/elf/busybox-static.head
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include "monitors/process/elf.h"

#define MAX_INPUT (64u * 1024u)
#define SPARSE_SIZE (64ull << 20)

struct mem_file {
	const uint8_t *data;
	size_t len;        /* bytes held; beyond them up to size reads as zero */
	uint64_t size;
	uint32_t chunk;    /* nonzero: return at most this many bytes per call */
};

static int mem_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct mem_file *m = ctx;
	uint32_t n = len;

	if (len > ELF_READ_MAX)
		abort();   /* the kernel's file RPC cannot carry more */
	if (off >= m->size)
		return 0;
	if (n > m->size - off)
		n = (uint32_t)(m->size - off);
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	for (uint32_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = off + i < m->len ? m->data[off + i] : 0;
	return (int)n;
}

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s\n", #c); abort(); } } while (0)

static void check_plan(const struct elf_plan *p, uint64_t size)
{
	CHECK(p->nseg >= 1 && p->nseg <= ELF_MAX_LOADS);
	CHECK(p->lo >= ELF_USER_MIN && p->lo < p->hi && p->hi <= ELF_USER_TOP);
	CHECK(p->lo % ELF_PAGE_SIZE == 0 && p->hi % ELF_PAGE_SIZE == 0);
	CHECK(p->entry >= p->lo && p->entry < p->hi);
	CHECK(p->phdr == 0 || (p->phdr >= p->lo && p->phdr < p->hi));
	CHECK(p->interp[ELF_INTERP_MAX - 1] == '\0');
	CHECK(p->has_interp == (p->interp[0] != '\0'));
	CHECK(p->kind >= ELF_KIND_STATIC && p->kind <= ELF_KIND_DYN_EXEC);
	CHECK(p->reject == ELF_OK);
	for (unsigned i = 0; i < p->nseg; i++) {
		const struct elf_segment *s = &p->seg[i];
		CHECK(s->start % ELF_PAGE_SIZE == 0 && s->end % ELF_PAGE_SIZE == 0);
		CHECK(s->start <= s->end && s->start >= p->lo && s->end <= p->hi);
		CHECK(s->vaddr >= p->lo && s->zero_end <= p->hi);
		CHECK(s->zero_start == s->vaddr + s->file_len && s->zero_start <= s->zero_end);
		CHECK(s->file_off <= size && s->file_len <= size - s->file_off);
		CHECK((s->vaddr - s->file_off) % ELF_PAGE_SIZE == 0);
		CHECK((s->prot & ~7u) == 0);
		if (i > 0)
			CHECK(s->start >= p->seg[i - 1].end && s->vaddr >= p->seg[i - 1].zero_end);
	}
}

static void plan_one(struct mem_file *m, uint64_t base)
{
	static struct elf_plan plan;
	struct elf_source src = { mem_read, m, m->size };
	int rc = elf_plan_load(&src, base, &plan);

	if (rc == 0) {
		check_plan(&plan, m->size);
	} else {
		CHECK(rc < 0);
		CHECK(plan.reject != ELF_OK && plan.reject < ELF_E_COUNT);
		CHECK(plan.reason[0] != '\0' && memchr(plan.reason, '\0', ELF_REASON_MAX));
		CHECK(plan.nseg == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mem_file m = { data, len, len, 0 };
	uint64_t base = 0;

	if (len > MAX_INPUT)
		return 0;
	/* e_ident[9..15] is padding: borrow it to choose an ET_DYN base. */
	if (len >= 16 && data[9] & 1) {
		memcpy(&base, data + 8, 8);
		base &= 0x00007ffffffff000ull;
		if (data[9] & 2)
			base |= data[10] & 0xfff;   /* a misaligned base now and then */
	}
	plan_one(&m, base);
	m.size = SPARSE_SIZE;
	plan_one(&m, base);
	m.chunk = 1 + (len % 97);
	plan_one(&m, 0);
	return 0;
}
