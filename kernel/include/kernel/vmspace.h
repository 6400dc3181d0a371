/*
 * vmspace.h - the regions (VMAs) of one user address space, with Linux's
 * mmap/munmap/mprotect/brk/mremap rules. Pure logic: the memory node keeps
 * the authoritative copy, a process node mirrors it with the same code, and
 * the host unit tests run it under the sanitizers (tests/unit/test_vmspace.c).
 *
 * Regions are a sorted array of disjoint, page-aligned [start, end) ranges;
 * lookups are binary searches. Every call that removes mapped pages reports
 * them through vm_space_ops.removed (the memory node frees the pages, a
 * process node drops its cached lines); mremap reports moved pages through
 * vm_space_ops.moved. Calls that fail change nothing, except mprotect, which
 * like Linux keeps the change it made before the first hole it meets.
 */
#ifndef KERNEL_VMSPACE_H
#define KERNEL_VMSPACE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_PAGE_SIZE   4096ull
#define VM_PAGE_MASK   (VM_PAGE_SIZE - 1)

/* Linux x86-64 with 4-level paging: the user half ends one page below 2^47. */
#define VM_TASK_SIZE          0x00007ffffffff000ull
#define VM_MMAP_MIN_ADDR      0x10000ull               /* vm.mmap_min_addr */
#define VM_STACK_GUARD_GAP    (256ull * VM_PAGE_SIZE)  /* stack_guard_gap */
#define VM_MMAP_GAP_MIN       (128ull << 20)           /* mmap_base: TASK_SIZE - 128 MiB */
#define VM_MAX_REGIONS        65530u                   /* vm.max_map_count */
#define VM_STACK_LIMIT        (8ull << 20)             /* RLIMIT_STACK */

/* Linux PROT_* / MAP_* / MREMAP_* values (the wire uses the same numbers). */
#define VM_PROT_READ    0x1u
#define VM_PROT_WRITE   0x2u
#define VM_PROT_EXEC    0x4u
#define VM_PROT_SEM     0x8u
#define VM_PROT_GROWSDOWN 0x01000000u
#define VM_PROT_GROWSUP   0x02000000u

#define VM_MAP_SHARED          0x01u
#define VM_MAP_PRIVATE         0x02u
#define VM_MAP_TYPE            0x0fu
#define VM_MAP_FIXED           0x10u
#define VM_MAP_ANONYMOUS       0x20u
#define VM_MAP_GROWSDOWN       0x100u
#define VM_MAP_FIXED_NOREPLACE 0x100000u
/* The flags a region keeps; all others only steer the call. */
#define VM_MAP_KEEP (VM_MAP_SHARED | VM_MAP_PRIVATE | VM_MAP_ANONYMOUS | VM_MAP_GROWSDOWN)

#define VM_MREMAP_MAYMOVE 0x1u
#define VM_MREMAP_FIXED   0x2u

enum vm_kind {
	VM_ANON = 0,   /* zero-filled on first touch */
	VM_FILE = 1,   /* filled from a file of a storage node on first touch */
};

/* Where a file-backed region's pages come from. */
struct vm_file {
	uint16_t node;     /* storage node */
	uint32_t ino, gen; /* file handle */
};

struct vm_region {
	uint64_t start, end;  /* page-aligned, start < end */
	uint32_t prot;        /* VM_PROT_READ|WRITE|EXEC */
	uint32_t flags;       /* VM_MAP_KEEP bits */
	uint32_t kind;        /* enum vm_kind */
	struct vm_file file;  /* VM_FILE only */
	/*
	 * Offset of start: for a file region the file offset of its first page;
	 * for a shared anonymous one the offset in its object; for a private
	 * anonymous one the address it was first mapped at (Linux's vm_pgoff).
	 * Splits shift it; neighbours merge only when it is contiguous.
	 */
	uint64_t off;
	/* Shared anonymous memory: which mmap made it (Linux's shmem file); else 0. */
	uint64_t obj;
};

/* Told about pages leaving the address space; both may be NULL. */
struct vm_space_ops {
	/* [start, end) was mapped and is gone: its pages are garbage. */
	void (*removed)(void *arg, uint64_t start, uint64_t end);
	/* mremap moved the pages of [from, from + len) to [to, to + len). */
	void (*moved)(void *arg, uint64_t from, uint64_t to, uint64_t len);
};

/* Tunables of one address space; vm_space_params_default() gives Linux's. */
struct vm_space_params {
	uint64_t task_size;     /* addresses stay below this */
	uint64_t mmap_base;     /* top-down placement starts below this */
	uint64_t min_addr;      /* lowest mappable address (never 0) */
	uint64_t guard_gap;     /* kept free below a MAP_GROWSDOWN region */
	uint64_t stack_limit;   /* largest size a GROWSDOWN region grows to */
	uint64_t limit_bytes;   /* mapped bytes allowed in total, 0 = no limit */
	uint32_t max_regions;
};

struct vm_space {
	struct vm_region *r;    /* sorted by start, disjoint */
	size_t n, cap;
	uint64_t mapped;        /* bytes in all regions */
	uint64_t start_brk, brk;
	uint64_t next_obj;      /* last vm_region.obj handed out */
	struct vm_space_params p;
	const struct vm_space_ops *ops;
	void *arg;
};

void vm_space_params_default(struct vm_space_params *p);
/* An empty space (params NULL = defaults). No allocation until the first region. */
void vm_space_init(struct vm_space *vs, const struct vm_space_params *p,
		   const struct vm_space_ops *ops, void *arg);
/* Free the region array; reports nothing. */
void vm_space_destroy(struct vm_space *vs);
/* dst (uninitialised or destroyed) becomes a copy of src with its own ops. -ENOMEM. */
int vm_space_clone(struct vm_space *dst, const struct vm_space *src,
		   const struct vm_space_ops *ops, void *arg);

/*
 * mmap(addr, len, prot, flags) for the region described by kind/file/off.
 * Returns the address, or a negative errno (as int64): -EINVAL (len 0,
 * unaligned MAP_FIXED address or file offset, bad map type), -ENOMEM (no
 * room, over the limit, above the user half), -EEXIST (MAP_FIXED_NOREPLACE
 * over a mapping), -EPERM (MAP_FIXED below min_addr), -EOVERFLOW.
 */
int64_t vm_mmap(struct vm_space *vs, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		enum vm_kind kind, const struct vm_file *file, uint64_t off);
/* 0, -EINVAL (unaligned, len 0, outside the user half), -ENOMEM (too many regions). */
int vm_munmap(struct vm_space *vs, uint64_t addr, uint64_t len);
/* 0, -EINVAL, -ENOMEM (a hole in the range: the part before it is changed, as Linux does). */
int vm_mprotect(struct vm_space *vs, uint64_t addr, uint64_t len, uint32_t prot);
/*
 * brk(2): with init, start a new heap at addr (page-aligned up) and return it.
 * Otherwise move the break; returns the break after the call, which is the
 * old one when the move was refused (below the heap start, into another
 * mapping, over the limit).
 */
uint64_t vm_brk(struct vm_space *vs, uint64_t addr, bool init);
/* mremap(2): the new address or -EINVAL/-EFAULT/-ENOMEM. */
int64_t vm_mremap(struct vm_space *vs, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
		  uint32_t flags, uint64_t new_addr);
/*
 * A fault at addr just below a MAP_GROWSDOWN region (within guard_gap)
 * grows that region down to cover it, as Linux's expand_stack does. 0 if addr
 * is now mapped, -EFAULT if it is not below a stack, -ENOMEM over a limit.
 */
int vm_grow_stack(struct vm_space *vs, uint64_t addr);

/* The region containing addr, or NULL. */
const struct vm_region *vm_find(const struct vm_space *vs, uint64_t addr);
/* The first region ending above addr (Linux's find_vma), or NULL. */
const struct vm_region *vm_find_next(const struct vm_space *vs, uint64_t addr);
/* Iteration in address order: for (i = 0; i < vm_count(vs); i++) vm_at(vs, i). */
static inline size_t vm_count(const struct vm_space *vs) { return vs->n; }
static inline const struct vm_region *vm_at(const struct vm_space *vs, size_t i)
{
	return i < vs->n ? &vs->r[i] : NULL;
}
/* Whether access (VM_PROT_* bits) is allowed in r; x86 cannot deny reads of a W or X page. */
bool vm_region_allows(const struct vm_region *r, uint32_t access);
/* Internal consistency (sorted, disjoint, aligned, merged, counted); for tests. */
bool vm_space_check(const struct vm_space *vs);
#endif
