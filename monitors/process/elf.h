/*
 * elf.h - ELF64 x86-64 executable parsing and load planning for exec: reads
 * the ELF header and program headers through a callback, validates them and
 * returns the mappings, entry point and auxv facts the caller needs. Pure
 * logic: no memory is mapped here. Built into the process monitor and, for
 * tests and fuzzing, on the host.
 */
#ifndef MONITORS_PROCESS_ELF_H
#define MONITORS_PROCESS_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_PAGE_SIZE     0x1000ull
/* Lowest address a segment may occupy (Linux vm.mmap_min_addr): page zero
 * stays unmapped so that a NULL dereference faults. */
#define ELF_USER_MIN      0x10000ull
/* One past the highest user address a segment may reach (Linux TASK_SIZE
 * on x86-64 with 4-level paging). */
#define ELF_USER_TOP      0x00007ffffffff000ull
/* Default placement of ET_DYN images, as Linux without randomisation: a
 * PIE (ET_DYN with PT_INTERP) starts at ELF_ET_DYN_BASE; an interpreter or
 * a static-pie (ET_DYN without PT_INTERP) ends at the top of the mmap area,
 * which sits a 128 MiB stack gap below ELF_USER_TOP (where Linux puts ld.so). */
#define ELF_PIE_BASE      0x0000555555554000ull
#define ELF_MMAP_TOP      (ELF_USER_TOP - (128ull << 20))
/* A fixed interpreter base with 252 KiB below ELF_MMAP_TOP (Debian 12's
 * ld.so spans 236 KiB). Passing 0 instead places any interpreter by size. */
#define ELF_INTERP_BASE   0x00007ffff7fc0000ull

#define ELF_MAX_PHNUM     64   /* more program headers: rejected */
#define ELF_MAX_LOADS     16   /* more PT_LOAD segments: rejected */
#define ELF_INTERP_MAX    256  /* PT_INTERP path incl. NUL; longer: rejected */
#define ELF_REASON_MAX    128  /* rejection text incl. NUL */
#define ELF_READ_MAX      8192 /* no single read callback asks for more */

/* Segment protection in the plan (the values of Linux PROT_*). */
#define ELF_PROT_READ  0x1u
#define ELF_PROT_WRITE 0x2u
#define ELF_PROT_EXEC  0x4u

/* The executable file. read() copies up to len bytes (len <= ELF_READ_MAX)
 * at offset off into buf and returns the count, 0 at end of file, or a
 * negative errno. size is the file's size in bytes. */
struct elf_source {
	int (*read)(void *ctx, uint64_t off, void *buf, uint32_t len);
	void *ctx;
	uint64_t size;
};

enum elf_kind {
	ELF_KIND_STATIC = 1,   /* ET_EXEC, no PT_INTERP (busybox-static) */
	ELF_KIND_STATIC_PIE,   /* ET_DYN, no PT_INTERP (gcc -static-pie, ld.so) */
	ELF_KIND_PIE,          /* ET_DYN with PT_INTERP (/bin/ls) */
	ELF_KIND_DYN_EXEC,     /* ET_EXEC with PT_INTERP (python3.11) */
};

/* Why a file was refused: one value per distinct check, for counters. */
enum elf_reject {
	ELF_OK = 0,
	ELF_E_READ,          /* the read callback failed or came up short */
	ELF_E_TRUNCATED,     /* headers or interpreter path beyond end of file */
	ELF_E_NOT_ELF,       /* no \177ELF magic */
	ELF_E_CLASS,         /* not ELFCLASS64 */
	ELF_E_DATA,          /* not little-endian */
	ELF_E_TYPE,          /* neither ET_EXEC nor ET_DYN */
	ELF_E_MACHINE,       /* not EM_X86_64 */
	ELF_E_PHENTSIZE,     /* e_phentsize != 56 */
	ELF_E_PHNUM,         /* no program headers, or more than ELF_MAX_PHNUM */
	ELF_E_NO_LOAD,       /* no PT_LOAD with a non-zero memory size */
	ELF_E_TOO_MANY_LOADS,
	ELF_E_LOAD_ORDER,    /* PT_LOADs overlap or are not in address order */
	ELF_E_FILESZ,        /* p_filesz > p_memsz */
	ELF_E_FILE_RANGE,    /* segment data beyond end of file, or offset overflow */
	ELF_E_ADDR,          /* address overflow, below ELF_USER_MIN or beyond ELF_USER_TOP */
	ELF_E_ALIGN,         /* p_offset and p_vaddr disagree modulo the page size */
	ELF_E_INTERP,        /* bad or duplicate PT_INTERP */
	ELF_E_PHDR,          /* PT_PHDR not inside a loaded segment, or duplicate */
	ELF_E_ENTRY,         /* entry point outside every PT_LOAD */
	ELF_E_BASE,          /* the caller's ET_DYN base is not page-aligned */
	ELF_E_COUNT
};

/*
 * One PT_LOAD. The caller creates the page-aligned region [start, end) with
 * prot, filled with zeroes, then copies file_len bytes from file offset
 * file_off to address vaddr. [zero_start, zero_end) is the memsz > filesz
 * tail (.bss), exact to the byte; it must read as zero, including the rest
 * of the page that holds the last file byte (a caller that maps file pages
 * directly must clear that partial page).
 *
 * Two segments may share a page (the first ends and the next begins in it).
 * As with Linux's successive mmaps, the page then belongs to the later
 * segment: the earlier one's region stops short of it (it may even be empty,
 * start == end), while its copy and zero ranges still reach into it.
 * Regions of a plan never overlap and are in address order.
 */
struct elf_segment {
	uint64_t start, end;          /* page-aligned region, biased */
	uint32_t prot;                /* ELF_PROT_* */
	uint64_t vaddr;               /* p_vaddr + bias: where file data goes */
	uint64_t file_off, file_len;  /* p_offset, p_filesz */
	uint64_t zero_start, zero_end;/* [vaddr + filesz, vaddr + memsz) */
};

struct elf_plan {
	enum elf_kind kind;
	uint16_t type;                /* ET_EXEC (2) or ET_DYN (3) */
	uint64_t bias;                /* added to every p_vaddr (0 for ET_EXEC) */
	uint64_t lo, hi;              /* page-aligned span of all segments, biased */
	uint64_t align;               /* largest PT_LOAD p_align (>= page size) */
	uint64_t entry;               /* e_entry + bias: AT_ENTRY */
	uint64_t phdr;                /* AT_PHDR: in-memory program headers (0: not loaded) */
	uint16_t phent, phnum;        /* AT_PHENT, AT_PHNUM */
	bool stack_exec;              /* PT_GNU_STACK has PF_X (absent: false, as on x86-64 Linux) */
	bool has_interp;
	char interp[ELF_INTERP_MAX];  /* PT_INTERP path, NUL-terminated ("" if none) */
	unsigned nseg;
	struct elf_segment seg[ELF_MAX_LOADS];
	/* On failure: the check that refused the file and a one-line reason
	 * such as "ELF for another architecture (machine 183, aarch64)". */
	enum elf_reject reject;
	char reason[ELF_REASON_MAX];
};

/*
 * Read and validate the executable in src and plan its loading. For ET_DYN
 * the image's lowest page is placed at dyn_base (page-aligned), or with
 * dyn_base 0 by kind: a PIE at ELF_PIE_BASE (rounded up to the segments'
 * largest p_align), anything else (static-pie, an interpreter) so that it
 * ends at ELF_MMAP_TOP (rounded down to p_align). For ET_EXEC dyn_base is
 * ignored and the bias is 0.
 *
 * Reads the ELF header, the program headers and the PT_INTERP string only,
 * usually in one read of the file's first page. Returns 0 with *plan filled,
 * or a negative errno with plan->reject and plan->reason set: -ENOEXEC for
 * any format problem (a shell reports "Exec format error"), the callback's
 * own error or -EIO for a read failure or a file shorter than src->size,
 * -ENOMEM if no scratch buffer. The plan is ~1.5 KiB: don't put it on a
 * small stack.
 *
 * A dynamically linked program (has_interp) needs its interpreter (the
 * path resolved through symlinks by the caller) planned too, usually with
 * dyn_base 0: start execution at the interpreter's entry with AT_BASE = the
 * interpreter plan's bias, and AT_ENTRY, AT_PHDR, AT_PHENT, AT_PHNUM from
 * the program's plan. Like Linux, ignore an interpreter's own PT_INTERP.
 * The caller also checks that the image does not collide with what else
 * it maps (stack, the other image, brk).
 */
int elf_plan_load(const struct elf_source *src, uint64_t dyn_base, struct elf_plan *plan);

/* Short stable name of a rejection ("machine", "truncated", ...), for counters. */
const char *elf_reject_name(enum elf_reject r);
/* "static", "static-pie", "pie", "dynamic-exec". */
const char *elf_kind_name(enum elf_kind k);

#endif
