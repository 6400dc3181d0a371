/*
 * elf.c - validate an ELF64 x86-64 executable's headers and turn its program
 * headers into a load plan (regions, file copies, zero fill, entry, AT_PHDR).
 * Everything read from the file is untrusted: each rejection names its check.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <tessera/errno.h>
#include "elf.h"

/* ---- on-disk format (little-endian, read with memcpy) ---------------------- */

#define EI_NIDENT   16
#define EI_CLASS    4
#define EI_DATA     5
#define ELFCLASS32  1
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define ET_DYN      3
#define EM_X86_64   62

#define PT_LOAD      1
#define PT_INTERP    3
#define PT_PHDR      6
#define PT_GNU_STACK 0x6474e551u

#define PF_X 0x1u
#define PF_W 0x2u
#define PF_R 0x4u

struct elf64_ehdr {
	uint8_t  e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

#define PAGE_MASK (ELF_PAGE_SIZE - 1)
/* The first read covers the header, the program headers and PT_INTERP of
 * every normal executable. */
#define HEAD_WINDOW 4096u

static uint64_t page_down(uint64_t a) { return a & ~PAGE_MASK; }
static uint64_t page_up(uint64_t a) { return (a + PAGE_MASK) & ~PAGE_MASK; }  /* a <= ELF_USER_TOP */

/* ---- rejection text ---------------------------------------------------------- */

struct machine_name { uint16_t id; const char *name; };
static const struct machine_name machines[] = {
	{ 3, "i386" }, { 8, "mips" }, { 20, "powerpc" }, { 21, "powerpc64" },
	{ 22, "s390" }, { 40, "arm" }, { 43, "sparcv9" }, { 50, "ia64" },
	{ 62, "x86-64" }, { 183, "aarch64" }, { 243, "riscv" }, { 258, "loongarch" },
};

static const char *machine_name(uint64_t m)
{
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++)
		if (machines[i].id == m)
			return machines[i].name;
	return NULL;
}

struct text { char *s; size_t len, cap; };

static void put_str(struct text *t, const char *s)
{
	while (*s && t->len + 1 < t->cap)
		t->s[t->len++] = *s++;
	t->s[t->len] = '\0';
}

static void put_num(struct text *t, uint64_t v, unsigned base)
{
	char digits[24];
	int n = 0;

	if (base == 16)
		put_str(t, "0x");
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n > 0 && t->len + 1 < t->cap)
		t->s[t->len++] = digits[--n];
	t->s[t->len] = '\0';
}

/*
 * Record a rejection. fmt takes up to two numbers: %x prints one in hex,
 * %u in decimal, %m as "N, name" for a machine number.
 */
static int fail(struct elf_plan *p, enum elf_reject r, int err, const char *fmt,
		uint64_t a, uint64_t b)
{
	struct text t = { p->reason, 0, sizeof(p->reason) };
	uint64_t args[2] = { a, b };
	unsigned next = 0;
	char one[2] = { 0, 0 };

	p->reject = r;
	p->reason[0] = '\0';
	for (; *fmt; fmt++) {
		if (fmt[0] == '%' && fmt[1] && next < 2) {
			uint64_t v = args[next++];
			fmt++;
			if (*fmt == 'x') {
				put_num(&t, v, 16);
			} else if (*fmt == 'm') {
				const char *name = machine_name(v);
				put_num(&t, v, 10);
				if (name) {
					put_str(&t, ", ");
					put_str(&t, name);
				}
			} else {
				put_num(&t, v, 10);
			}
			continue;
		}
		one[0] = *fmt;
		put_str(&t, one);
	}
	return err;
}

static const char *const reject_names[ELF_E_COUNT] = {
	[ELF_OK] = "ok",
	[ELF_E_READ] = "read",
	[ELF_E_TRUNCATED] = "truncated",
	[ELF_E_NOT_ELF] = "not-elf",
	[ELF_E_CLASS] = "class",
	[ELF_E_DATA] = "data",
	[ELF_E_TYPE] = "type",
	[ELF_E_MACHINE] = "machine",
	[ELF_E_PHENTSIZE] = "phentsize",
	[ELF_E_PHNUM] = "phnum",
	[ELF_E_NO_LOAD] = "no-load",
	[ELF_E_TOO_MANY_LOADS] = "too-many-loads",
	[ELF_E_LOAD_ORDER] = "load-order",
	[ELF_E_FILESZ] = "filesz",
	[ELF_E_FILE_RANGE] = "file-range",
	[ELF_E_ADDR] = "address",
	[ELF_E_ALIGN] = "align",
	[ELF_E_INTERP] = "interp",
	[ELF_E_PHDR] = "phdr",
	[ELF_E_ENTRY] = "entry",
	[ELF_E_BASE] = "base",
};

const char *elf_reject_name(enum elf_reject r)
{
	if ((unsigned)r >= ELF_E_COUNT || !reject_names[r])
		return "unknown";
	return reject_names[r];
}

const char *elf_kind_name(enum elf_kind k)
{
	switch (k) {
	case ELF_KIND_STATIC: return "static";
	case ELF_KIND_STATIC_PIE: return "static-pie";
	case ELF_KIND_PIE: return "pie";
	case ELF_KIND_DYN_EXEC: return "dynamic-exec";
	}
	return "unknown";
}

/* ---- reading ------------------------------------------------------------------- */

struct reader {
	const struct elf_source *src;
	uint8_t *head;      /* the file's first head_len bytes */
	uint32_t head_len;
};

/* Read exactly len bytes at off (the caller has checked off + len <= size). */
static int read_exact(struct reader *rd, uint64_t off, void *buf, uint32_t len,
		      struct elf_plan *p)
{
	uint8_t *dst = buf;

	if (off + len <= rd->head_len) {
		memcpy(dst, rd->head + off, len);
		return 0;
	}
	while (len > 0) {
		uint32_t want = len < ELF_READ_MAX ? len : ELF_READ_MAX;
		int n = rd->src->read(rd->src->ctx, off, dst, want);

		if (n < 0)
			return fail(p, ELF_E_READ, n, "read error at offset %x (errno %u)",
				    off, (uint64_t)-(int64_t)n);
		if (n == 0)
			return fail(p, ELF_E_READ, -EIO,
				    "file ends at offset %x, before its size %x",
				    off, rd->src->size);
		if ((uint32_t)n > want)
			return fail(p, ELF_E_READ, -EIO, "read returned %u bytes, asked for %u",
				    (uint64_t)n, want);
		off += (uint32_t)n;
		dst += n;
		len -= (uint32_t)n;
	}
	return 0;
}

/* ---- header checks ---------------------------------------------------------- */

static int check_ehdr(const struct elf64_ehdr *eh, uint64_t size, struct elf_plan *p)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
		if (eh->e_ident[EI_CLASS] == ELFCLASS32)
			return fail(p, ELF_E_CLASS, -ENOEXEC,
				    "32-bit ELF (machine %m) is not supported", eh->e_machine, 0);
		return fail(p, ELF_E_CLASS, -ENOEXEC, "bad ELF class %u", eh->e_ident[EI_CLASS], 0);
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(p, ELF_E_DATA, -ENOEXEC,
			    "ELF data encoding %u is not little-endian", eh->e_ident[EI_DATA], 0);
	if (eh->e_machine != EM_X86_64)
		return fail(p, ELF_E_MACHINE, -ENOEXEC,
			    "ELF for another architecture (machine %m)", eh->e_machine, 0);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return fail(p, ELF_E_TYPE, -ENOEXEC,
			    "ELF type %u is not an executable (need ET_EXEC or ET_DYN)",
			    eh->e_type, 0);
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return fail(p, ELF_E_PHENTSIZE, -ENOEXEC,
			    "bad program header size %u (need 56)", eh->e_phentsize, 0);
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
		return fail(p, ELF_E_PHNUM, -ENOEXEC,
			    "%u program headers (need 1 to %u)", eh->e_phnum, ELF_MAX_PHNUM);
	if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) > size - eh->e_phoff)
		return fail(p, ELF_E_TRUNCATED, -ENOEXEC,
			    "truncated ELF: program headers beyond end of file (offset %x, size %x)",
			    eh->e_phoff, size);
	return 0;
}

/* One PT_LOAD, unbiased: sizes, file range, alignment, address range, order. */
static int check_load(const struct elf64_phdr *ph, unsigned idx, uint64_t size,
		      uint64_t prev_end, bool first, struct elf_plan *p)
{
	if (ph->p_filesz > ph->p_memsz)
		return fail(p, ELF_E_FILESZ, -ENOEXEC,
			    "segment %u: file size %x exceeds memory size", idx, ph->p_filesz);
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return fail(p, ELF_E_FILE_RANGE, -ENOEXEC,
			    "truncated ELF: segment %u data beyond end of file (offset %x)",
			    idx, ph->p_offset);
	if ((ph->p_offset & PAGE_MASK) != (ph->p_vaddr & PAGE_MASK))
		return fail(p, ELF_E_ALIGN, -ENOEXEC,
			    "segment %u: offset and address %x differ modulo the page size",
			    idx, ph->p_vaddr);
	if (ph->p_vaddr >= ELF_USER_TOP || ph->p_memsz > ELF_USER_TOP - ph->p_vaddr)
		return fail(p, ELF_E_ADDR, -ENOEXEC,
			    "segment %u at %x extends beyond user space", idx, ph->p_vaddr);
	if (!first && ph->p_vaddr < prev_end)
		return fail(p, ELF_E_LOAD_ORDER, -ENOEXEC,
			    "segment %u at %x overlaps or precedes the previous PT_LOAD",
			    idx, ph->p_vaddr);
	return 0;
}

/* PT_INTERP: non-empty, NUL-terminated exactly at its end, no embedded NUL. */
static int read_interp(struct reader *rd, const struct elf64_phdr *ph, struct elf_plan *p)
{
	uint64_t size = rd->src->size;
	int err;

	if (ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX)
		return fail(p, ELF_E_INTERP, -ENOEXEC,
			    "interpreter path of %u bytes (need 2 to %u with its NUL)",
			    ph->p_filesz, ELF_INTERP_MAX);
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return fail(p, ELF_E_TRUNCATED, -ENOEXEC,
			    "truncated ELF: interpreter path beyond end of file (offset %x)",
			    ph->p_offset, 0);
	err = read_exact(rd, ph->p_offset, p->interp, (uint32_t)ph->p_filesz, p);
	if (err) {
		p->interp[0] = '\0';
		return err;
	}
	if (p->interp[ph->p_filesz - 1] != '\0' || strlen(p->interp) != ph->p_filesz - 1) {
		p->interp[0] = '\0';
		return fail(p, ELF_E_INTERP, -ENOEXEC,
			    "interpreter path is not a single NUL-terminated string", 0, 0);
	}
	p->has_interp = true;
	return 0;
}

static uint32_t prot_of(uint32_t flags)
{
	return ((flags & PF_R) ? ELF_PROT_READ : 0) | ((flags & PF_W) ? ELF_PROT_WRITE : 0) |
	       ((flags & PF_X) ? ELF_PROT_EXEC : 0);
}

/* ---- planning ---------------------------------------------------------------------- */

/* Place the image (bias), fill the segments, check the final address range. */
static int place(const struct elf64_ehdr *eh, const struct elf64_phdr *loads[], unsigned n,
		 uint64_t dyn_base, struct elf_plan *p)
{
	uint64_t first = page_down(loads[0]->p_vaddr);
	uint64_t last = page_up(loads[n - 1]->p_vaddr + loads[n - 1]->p_memsz);
	uint64_t span = last - first;

	p->bias = 0;
	if (eh->e_type == ET_DYN) {
		uint64_t base = dyn_base;

		if (base == 0 && p->kind == ELF_KIND_PIE)
			base = (ELF_PIE_BASE + p->align - 1) & ~(p->align - 1);
		else if (base == 0 && span <= ELF_MMAP_TOP - ELF_USER_MIN)
			base = (ELF_MMAP_TOP - span) & ~(p->align - 1);
		else if (base == 0)
			return fail(p, ELF_E_ADDR, -ENOEXEC,
				    "image of %x bytes does not fit in user space", span, 0);
		if (base & PAGE_MASK)
			return fail(p, ELF_E_BASE, -EINVAL,
				    "load base %x is not page-aligned", base, 0);
		p->bias = base - first;
	}
	p->lo = first + p->bias;
	p->hi = p->lo + span;
	if (p->lo < ELF_USER_MIN || p->lo >= ELF_USER_TOP || span > ELF_USER_TOP - p->lo)
		return fail(p, ELF_E_ADDR, -ENOEXEC,
			    "image at %x (%x bytes) is outside user space", p->lo, span);

	p->nseg = n;
	for (unsigned i = 0; i < n; i++) {
		const struct elf64_phdr *ph = loads[i];
		struct elf_segment *s = &p->seg[i];

		s->vaddr = ph->p_vaddr + p->bias;
		s->start = page_down(s->vaddr);
		s->end = page_up(s->vaddr + ph->p_memsz);
		s->prot = prot_of(ph->p_flags);
		s->file_off = ph->p_offset;
		s->file_len = ph->p_filesz;
		s->zero_start = s->vaddr + ph->p_filesz;
		s->zero_end = s->vaddr + ph->p_memsz;
		/* A page shared with this segment belongs to it, not the previous one. */
		if (i > 0 && p->seg[i - 1].end > s->start)
			p->seg[i - 1].end = s->start;
	}
	return 0;
}

/* AT_PHDR: PT_PHDR if present (it must lie in a segment), else the PT_LOAD
 * whose file data holds the program headers, else 0. */
static int find_phdr(const struct elf64_ehdr *eh, const struct elf64_phdr *pt_phdr,
		     const struct elf64_phdr *loads[], unsigned n, struct elf_plan *p)
{
	uint64_t len = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);

	p->phdr = 0;
	if (pt_phdr) {
		uint64_t v = pt_phdr->p_vaddr;

		for (unsigned i = 0; i < n; i++) {
			uint64_t lo = loads[i]->p_vaddr, hi = lo + loads[i]->p_memsz;
			if (v >= lo && v < hi && len <= hi - v) {
				p->phdr = v + p->bias;
				return 0;
			}
		}
		return fail(p, ELF_E_PHDR, -ENOEXEC,
			    "PT_PHDR at %x is not inside a loaded segment", v, 0);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct elf64_phdr *ph = loads[i];
		if (ph->p_offset <= eh->e_phoff && eh->e_phoff - ph->p_offset < ph->p_filesz &&
		    len <= ph->p_filesz - (eh->e_phoff - ph->p_offset)) {
			p->phdr = ph->p_vaddr + (eh->e_phoff - ph->p_offset) + p->bias;
			return 0;
		}
	}
	return 0;
}

static int check_entry(const struct elf64_ehdr *eh, const struct elf64_phdr *loads[],
		       unsigned n, struct elf_plan *p)
{
	for (unsigned i = 0; i < n; i++)
		if (eh->e_entry >= loads[i]->p_vaddr &&
		    eh->e_entry - loads[i]->p_vaddr < loads[i]->p_memsz) {
			p->entry = eh->e_entry + p->bias;
			return 0;
		}
	return fail(p, ELF_E_ENTRY, -ENOEXEC,
		    "entry point %x is outside every loaded segment", eh->e_entry, 0);
}

/* Walk the program headers once: PT_LOAD checks, PT_INTERP, PT_PHDR, PT_GNU_STACK. */
static int scan_phdrs(struct reader *rd, const struct elf64_phdr *ph, unsigned phnum,
		      const struct elf64_phdr *loads[], unsigned *nloads,
		      const struct elf64_phdr **pt_phdr, struct elf_plan *p)
{
	uint64_t size = rd->src->size, prev_end = 0;
	const struct elf64_phdr *interp = NULL;
	unsigned n = 0;
	int err;

	*pt_phdr = NULL;
	for (unsigned i = 0; i < phnum; i++) {
		switch (ph[i].p_type) {
		case PT_LOAD:
			if (ph[i].p_memsz == 0 && ph[i].p_filesz == 0)
				break;  /* maps nothing (Linux skips it too) */
			err = check_load(&ph[i], i, size, prev_end, n == 0, p);
			if (err)
				return err;
			if (n == ELF_MAX_LOADS)
				return fail(p, ELF_E_TOO_MANY_LOADS, -ENOEXEC,
					    "more than %u PT_LOAD segments", ELF_MAX_LOADS, 0);
			prev_end = ph[i].p_vaddr + ph[i].p_memsz;
			loads[n++] = &ph[i];
			if (ph[i].p_align > p->align && ph[i].p_align <= (1ull << 30) &&
			    (ph[i].p_align & (ph[i].p_align - 1)) == 0)
				p->align = ph[i].p_align;
			break;
		case PT_INTERP:
			if (interp)
				return fail(p, ELF_E_INTERP, -ENOEXEC, "more than one PT_INTERP", 0, 0);
			interp = &ph[i];
			break;
		case PT_PHDR:
			if (*pt_phdr)
				return fail(p, ELF_E_PHDR, -ENOEXEC, "more than one PT_PHDR", 0, 0);
			*pt_phdr = &ph[i];
			break;
		case PT_GNU_STACK:
			p->stack_exec = (ph[i].p_flags & PF_X) != 0;
			break;
		default:
			break;
		}
	}
	if (n == 0)
		return fail(p, ELF_E_NO_LOAD, -ENOEXEC, "no loadable segment (PT_LOAD)", 0, 0);
	*nloads = n;
	return interp ? read_interp(rd, interp, p) : 0;
}

int elf_plan_load(const struct elf_source *src, uint64_t dyn_base, struct elf_plan *plan)
{
	struct reader rd = { .src = src };
	const struct elf64_phdr *loads[ELF_MAX_LOADS];
	const struct elf64_phdr *pt_phdr;
	struct elf64_ehdr eh;
	struct elf64_phdr *ph = NULL;
	unsigned nloads = 0;
	uint32_t head_len;
	int err;

	memset(plan, 0, sizeof(*plan));
	plan->align = ELF_PAGE_SIZE;

	head_len = src->size < HEAD_WINDOW ? (uint32_t)src->size : HEAD_WINDOW;
	rd.head = malloc(HEAD_WINDOW);
	if (!rd.head)
		return fail(plan, ELF_E_READ, -ENOMEM, "out of memory", 0, 0);
	err = read_exact(&rd, 0, rd.head, head_len, plan);  /* head_len 0: goes to src */
	if (err)
		goto out;
	rd.head_len = head_len;

	if (rd.head_len < 4 || memcmp(rd.head, "\177ELF", 4) != 0) {
		err = fail(plan, ELF_E_NOT_ELF, -ENOEXEC, "not an ELF file", 0, 0);
		goto out;
	}
	if (rd.head_len < sizeof(eh)) {
		err = fail(plan, ELF_E_TRUNCATED, -ENOEXEC,
			   "truncated ELF: file of %u bytes is shorter than the ELF header",
			   rd.head_len, 0);
		goto out;
	}
	memcpy(&eh, rd.head, sizeof(eh));
	err = check_ehdr(&eh, src->size, plan);
	if (err)
		goto out;

	ph = malloc(eh.e_phnum * sizeof(*ph));
	if (!ph) {
		err = fail(plan, ELF_E_READ, -ENOMEM, "out of memory", 0, 0);
		goto out;
	}
	err = read_exact(&rd, eh.e_phoff, ph, eh.e_phnum * (uint32_t)sizeof(*ph), plan);
	if (err)
		goto out;

	err = scan_phdrs(&rd, ph, eh.e_phnum, loads, &nloads, &pt_phdr, plan);
	if (err)
		goto out;

	plan->type = eh.e_type;
	if (eh.e_type == ET_EXEC)
		plan->kind = plan->has_interp ? ELF_KIND_DYN_EXEC : ELF_KIND_STATIC;
	else
		plan->kind = plan->has_interp ? ELF_KIND_PIE : ELF_KIND_STATIC_PIE;
	plan->phent = eh.e_phentsize;
	plan->phnum = eh.e_phnum;

	err = place(&eh, loads, nloads, dyn_base, plan);
	if (!err)
		err = check_entry(&eh, loads, nloads, plan);
	if (!err)
		err = find_phdr(&eh, pt_phdr, loads, nloads, plan);
out:
	free(ph);
	free(rd.head);
	if (err) {
		/* Only the rejection is meaningful in a failed plan. */
		enum elf_reject r = plan->reject;
		char reason[ELF_REASON_MAX];

		memcpy(reason, plan->reason, sizeof(reason));
		memset(plan, 0, sizeof(*plan));
		plan->reject = r;
		memcpy(plan->reason, reason, sizeof(reason));
	}
	return err;
}
