/*
 * vmspace.c - regions of a user address space with Linux's mmap rules
 * (mm/mmap.c, mm/mremap.c, mm/mprotect.c of Linux 6.1, x86-64 top-down
 * layout without randomisation). Pure logic; see kernel/include/kernel/vmspace.h.
 *
 * The regions are a sorted array. Each call first reserves the array room it
 * may need, so an allocation failure is reported before anything changes.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <kernel/vmspace.h>

#define PROT_RWX (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC)

static uint64_t page_down(uint64_t a)
{
	return a & ~VM_PAGE_MASK;
}

/* Round len up to pages; 0 if that overflows. */
static uint64_t page_up(uint64_t len)
{
	return len > UINT64_MAX - VM_PAGE_MASK ? 0 : (len + VM_PAGE_MASK) & ~VM_PAGE_MASK;
}

void vm_space_params_default(struct vm_space_params *p)
{
	memset(p, 0, sizeof(*p));
	p->task_size = VM_TASK_SIZE;
	/*
	 * Linux's mmap_base(): RLIMIT_STACK plus the guard gap, at least 128 MiB,
	 * below the top. 8 MiB + 1 MiB < 128 MiB, so 0x7ffff7fff000.
	 */
	p->mmap_base = VM_TASK_SIZE - VM_MMAP_GAP_MIN;
	p->min_addr = VM_MMAP_MIN_ADDR;
	p->guard_gap = VM_STACK_GUARD_GAP;
	p->stack_limit = VM_STACK_LIMIT;
	p->max_regions = VM_MAX_REGIONS;
}

void vm_space_init(struct vm_space *vs, const struct vm_space_params *p,
		   const struct vm_space_ops *ops, void *arg)
{
	memset(vs, 0, sizeof(*vs));
	if (p)
		vs->p = *p;
	else
		vm_space_params_default(&vs->p);
	if (vs->p.min_addr < VM_PAGE_SIZE)
		vs->p.min_addr = VM_PAGE_SIZE;   /* page 0 is never mapped */
	vs->p.task_size = page_down(vs->p.task_size);
	if (vs->p.mmap_base > vs->p.task_size)
		vs->p.mmap_base = vs->p.task_size;
	vs->ops = ops;
	vs->arg = arg;
}

void vm_space_destroy(struct vm_space *vs)
{
	free(vs->r);
	vs->r = NULL;
	vs->n = vs->cap = 0;
	vs->mapped = 0;
}

int vm_space_clone(struct vm_space *dst, const struct vm_space *src,
		   const struct vm_space_ops *ops, void *arg)
{
	struct vm_region *r = NULL;

	if (src->n) {
		r = malloc(src->n * sizeof(*r));
		if (!r)
			return -ENOMEM;
		memcpy(r, src->r, src->n * sizeof(*r));
	}
	*dst = *src;
	dst->r = r;
	dst->cap = src->n;
	dst->ops = ops;
	dst->arg = arg;
	return 0;
}

/* ---- the sorted array -------------------------------------------------------- */

/* Index of the first region with end > addr (n if none). */
static size_t first_end_above(const struct vm_space *vs, uint64_t addr)
{
	size_t lo = 0, hi = vs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vs->r[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

const struct vm_region *vm_find_next(const struct vm_space *vs, uint64_t addr)
{
	size_t i = first_end_above(vs, addr);

	return i < vs->n ? &vs->r[i] : NULL;
}

const struct vm_region *vm_find(const struct vm_space *vs, uint64_t addr)
{
	const struct vm_region *r = vm_find_next(vs, addr);

	return r && r->start <= addr ? r : NULL;
}

bool vm_region_allows(const struct vm_region *r, uint32_t access)
{
	uint32_t eff = r->prot & PROT_RWX;

	if (eff & (VM_PROT_WRITE | VM_PROT_EXEC))
		eff |= VM_PROT_READ;
	return (access & ~eff) == 0;
}

/* Room for extra more regions, so no later step of a call can fail for memory. */
static int reserve(struct vm_space *vs, size_t extra)
{
	size_t want = vs->n + extra, cap;
	struct vm_region *r;

	if (want <= vs->cap)
		return 0;
	cap = vs->cap ? vs->cap * 2 : 8;
	while (cap < want)
		cap *= 2;
	r = realloc(vs->r, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	vs->r = r;
	vs->cap = cap;
	return 0;
}

static void insert_at(struct vm_space *vs, size_t i, const struct vm_region *reg)
{
	memmove(&vs->r[i + 1], &vs->r[i], (vs->n - i) * sizeof(*reg));
	vs->r[i] = *reg;
	vs->n++;
}

static void delete_at(struct vm_space *vs, size_t i, size_t count)
{
	if (!count)
		return;
	memmove(&vs->r[i], &vs->r[i + count], (vs->n - i - count) * sizeof(vs->r[0]));
	vs->n -= count;
}

/* Split region i at addr (strictly inside it): i keeps the lower part. Room reserved. */
static void split_at(struct vm_space *vs, size_t i, uint64_t addr)
{
	struct vm_region upper = vs->r[i];

	upper.off += addr - upper.start;
	upper.start = addr;
	vs->r[i].end = addr;
	insert_at(vs, i + 1, &upper);
}

/* Linux's vma_merge rules: same attributes, touching, contiguous offsets. */
static bool mergeable(const struct vm_region *a, const struct vm_region *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->kind != b->kind)
		return false;
	if (a->off + (a->end - a->start) != b->off)
		return false;
	if (a->obj != b->obj)
		return false;       /* separate shared anonymous objects */
	if (a->kind == VM_FILE)
		return a->file.node == b->file.node && a->file.ino == b->file.ino &&
		       a->file.gen == b->file.gen;
	return true;
}

/* Merge region i with its neighbours where allowed; returns i's new index. */
static size_t merge_around(struct vm_space *vs, size_t i)
{
	if (i + 1 < vs->n && mergeable(&vs->r[i], &vs->r[i + 1])) {
		vs->r[i].end = vs->r[i + 1].end;
		delete_at(vs, i + 1, 1);
	}
	if (i > 0 && mergeable(&vs->r[i - 1], &vs->r[i])) {
		vs->r[i - 1].end = vs->r[i].end;
		delete_at(vs, i, 1);
		i--;
	}
	return i;
}

/* Insert reg into free space and merge it with its neighbours. Room reserved. */
static void insert_region(struct vm_space *vs, const struct vm_region *reg)
{
	size_t i = first_end_above(vs, reg->start);

	insert_at(vs, i, reg);
	vs->mapped += reg->end - reg->start;
	merge_around(vs, i);
}

static void report_removed(struct vm_space *vs, uint64_t start, uint64_t end)
{
	if (vs->ops && vs->ops->removed)
		vs->ops->removed(vs->arg, start, end);
}

/* Bytes mapped inside [start, end). */
static uint64_t mapped_in(const struct vm_space *vs, uint64_t start, uint64_t end)
{
	uint64_t sum = 0;

	for (size_t i = first_end_above(vs, start); i < vs->n && vs->r[i].start < end; i++) {
		uint64_t s = vs->r[i].start > start ? vs->r[i].start : start;
		uint64_t e = vs->r[i].end < end ? vs->r[i].end : end;

		sum += e - s;
	}
	return sum;
}

/* Whether removing [start, end) splits one region in two (needs one more slot). */
static bool removal_splits(const struct vm_space *vs, uint64_t start, uint64_t end)
{
	size_t i = first_end_above(vs, start);

	return i < vs->n && vs->r[i].start < start && vs->r[i].end > end;
}

/*
 * Unmap [start, end): trim, split or delete what overlaps it, telling the
 * caller about each mapped piece when report is set. Needs one reserved slot.
 */
static void remove_range(struct vm_space *vs, uint64_t start, uint64_t end, bool report)
{
	size_t i = first_end_above(vs, start), first_gone;

	if (i < vs->n && vs->r[i].start < start) {
		struct vm_region *r = &vs->r[i];
		uint64_t cut_end = r->end < end ? r->end : end;

		if (r->end > end)
			split_at(vs, i, end);      /* the part above the hole survives */
		r = &vs->r[i];
		r->end = start;
		vs->mapped -= cut_end - start;
		if (report)
			report_removed(vs, start, cut_end);
		i++;
	}
	first_gone = i;
	while (i < vs->n && vs->r[i].end <= end) {
		vs->mapped -= vs->r[i].end - vs->r[i].start;
		if (report)
			report_removed(vs, vs->r[i].start, vs->r[i].end);
		i++;
	}
	delete_at(vs, first_gone, i - first_gone);
	i = first_gone;
	if (i < vs->n && vs->r[i].start < end) {
		struct vm_region *r = &vs->r[i];

		vs->mapped -= end - r->start;
		if (report)
			report_removed(vs, r->start, end);
		r->off += end - r->start;
		r->start = end;
	}
}

/* ---- placement ------------------------------------------------------------------ */

/* Lowest address that must stay free below r (Linux's vm_start_gap). */
static uint64_t start_gap(const struct vm_space *vs, const struct vm_region *r)
{
	if ((r->flags & VM_MAP_GROWSDOWN) && r->start > vs->p.guard_gap)
		return r->start - vs->p.guard_gap;
	return (r->flags & VM_MAP_GROWSDOWN) ? 0 : r->start;
}

static bool fits(uint64_t gap_start, uint64_t gap_end, uint64_t len)
{
	return gap_end > gap_start && gap_end - gap_start >= len;
}

/* Highest free [a, a + len) inside [low, high); 0 if none. */
static uint64_t find_topdown(const struct vm_space *vs, uint64_t len, uint64_t low, uint64_t high)
{
	for (size_t i = vs->n + 1; i-- > 0;) {
		uint64_t gap_end = i < vs->n ? start_gap(vs, &vs->r[i]) : vs->p.task_size;
		uint64_t gap_start = i > 0 ? vs->r[i - 1].end : 0;

		if (gap_start >= high)
			continue;
		if (gap_end > high)
			gap_end = high;
		if (gap_start < low)
			gap_start = low;
		if (fits(gap_start, gap_end, len))
			return gap_end - len;
		if (gap_end <= low)
			break;
	}
	return 0;
}

/* Lowest free [a, a + len) inside [low, high); 0 if none. */
static uint64_t find_bottomup(const struct vm_space *vs, uint64_t len, uint64_t low, uint64_t high)
{
	for (size_t i = first_end_above(vs, low); i <= vs->n; i++) {
		uint64_t gap_start = i > 0 ? vs->r[i - 1].end : 0;
		uint64_t gap_end = i < vs->n ? start_gap(vs, &vs->r[i]) : vs->p.task_size;

		if (gap_start < low)
			gap_start = low;
		if (gap_end > high)
			gap_end = high;
		if (fits(gap_start, gap_end, len))
			return gap_start;
		if (gap_start >= high)
			break;
	}
	return 0;
}

/* Linux's get_unmapped_area() with the x86-64 top-down allocator. */
static int64_t unmapped_area(const struct vm_space *vs, uint64_t addr, uint64_t len, uint32_t flags)
{
	uint64_t ts = vs->p.task_size, low;

	if (len > ts)
		return -ENOMEM;
	if (!(flags & VM_MAP_FIXED)) {
		if (addr) {
			size_t i;

			addr = page_down(addr);
			i = first_end_above(vs, addr);
			if (ts - len >= addr && (i == vs->n || addr + len <= start_gap(vs, &vs->r[i])))
				return (int64_t)addr;
		}
		low = vs->p.min_addr > VM_PAGE_SIZE ? vs->p.min_addr : VM_PAGE_SIZE;
		low = page_up(low);
		addr = find_topdown(vs, len, low, vs->p.mmap_base);
		if (!addr)   /* Linux falls back to bottom-up from TASK_UNMAPPED_BASE */
			addr = find_bottomup(vs, len, page_up(ts / 3), ts);
		if (!addr)
			return -ENOMEM;
	}
	if (addr > ts - len)
		return -ENOMEM;
	if (addr & VM_PAGE_MASK)
		return -EINVAL;
	if (addr < vs->p.min_addr)
		return -EPERM;          /* security_mmap_addr(): below mmap_min_addr */
	return (int64_t)addr;
}

/* may_expand_vm(): growing by grow bytes stays within the limit. */
static bool may_expand(const struct vm_space *vs, uint64_t grow)
{
	return !vs->p.limit_bytes || (grow <= vs->p.limit_bytes && vs->mapped <= vs->p.limit_bytes - grow);
}

/* ---- mmap ------------------------------------------------------------------------- */

int64_t vm_mmap(struct vm_space *vs, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		enum vm_kind kind, const struct vm_file *file, uint64_t off)
{
	struct vm_region reg;
	uint32_t type = flags & VM_MAP_TYPE;
	int64_t at;

	if (!len)
		return -EINVAL;
	if (type == 0x3)                /* MAP_SHARED_VALIDATE */
		type = VM_MAP_SHARED;
	if (type != VM_MAP_SHARED && type != VM_MAP_PRIVATE)
		return -EINVAL;
	if (kind != VM_ANON && kind != VM_FILE)
		return -EINVAL;
	if (kind == VM_FILE && (!file || (off & VM_PAGE_MASK)))
		return -EINVAL;
	if (flags & VM_MAP_FIXED_NOREPLACE)
		flags |= VM_MAP_FIXED;
	if (!(flags & VM_MAP_FIXED)) {          /* round_hint_to_min() */
		addr = page_down(addr);
		if (addr && addr < vs->p.min_addr)
			addr = page_up(vs->p.min_addr);
	}
	len = page_up(len);
	if (!len)
		return -ENOMEM;
	if (kind == VM_FILE && off + len < off)
		return -EOVERFLOW;
	if (vs->n > vs->p.max_regions)
		return -ENOMEM;
	at = unmapped_area(vs, addr, len, flags);
	if (at < 0)
		return at;
	addr = (uint64_t)at;
	if ((flags & VM_MAP_FIXED_NOREPLACE) && mapped_in(vs, addr, addr + len))
		return -EEXIST;
	if (!may_expand(vs, len - mapped_in(vs, addr, addr + len)))
		return -ENOMEM;
	if (reserve(vs, 2))
		return -ENOMEM;

	memset(&reg, 0, sizeof(reg));
	reg.start = addr;
	reg.end = addr + len;
	reg.prot = prot & PROT_RWX;
	reg.flags = (flags & VM_MAP_KEEP & ~VM_MAP_TYPE) | type;
	reg.kind = kind;
	if (kind == VM_FILE) {
		reg.file = *file;
		reg.off = off;
	} else if (type == VM_MAP_SHARED) {
		reg.obj = ++vs->next_obj;   /* a new shmem object, from offset 0 */
	} else {
		reg.off = addr;             /* private anonymous vm_pgoff is the address */
	}
	remove_range(vs, addr, addr + len, true);
	insert_region(vs, &reg);
	return (int64_t)addr;
}

/* ---- munmap ----------------------------------------------------------------------- */

int vm_munmap(struct vm_space *vs, uint64_t addr, uint64_t len)
{
	uint64_t ts = vs->p.task_size;

	if ((addr & VM_PAGE_MASK) || addr > ts || len > ts - addr)
		return -EINVAL;
	len = page_up(len);
	if (!len)
		return -EINVAL;
	if (removal_splits(vs, addr, addr + len)) {
		if (vs->n >= vs->p.max_regions)
			return -ENOMEM;
		if (reserve(vs, 1))
			return -ENOMEM;
	}
	remove_range(vs, addr, addr + len, true);
	return 0;
}

/* ---- mprotect --------------------------------------------------------------------- */

/* Give [s, e) of region i (which contains it) protection prot; returns the index holding e - 1. */
static int protect_part(struct vm_space *vs, size_t i, uint64_t s, uint64_t e, uint32_t prot, size_t *out)
{
	if (vs->r[i].prot == prot) {
		*out = i;
		return 0;
	}
	if (vs->r[i].start < s) {
		if (vs->n >= vs->p.max_regions)
			return -ENOMEM;
		split_at(vs, i, s);
		i++;
	}
	if (e < vs->r[i].end) {
		if (vs->n >= vs->p.max_regions)
			return -ENOMEM;
		split_at(vs, i, e);
	}
	vs->r[i].prot = prot;
	*out = merge_around(vs, i);
	return 0;
}

int vm_mprotect(struct vm_space *vs, uint64_t start, uint64_t len, uint32_t prot)
{
	uint32_t grows = prot & (VM_PROT_GROWSDOWN | VM_PROT_GROWSUP);
	uint64_t end;
	size_t i;

	prot &= ~grows;
	if (grows == (VM_PROT_GROWSDOWN | VM_PROT_GROWSUP))
		return -EINVAL;
	if (start & VM_PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = page_up(len);
	end = start + len;
	if (!len || end <= start)
		return -ENOMEM;
	if (prot & ~(PROT_RWX | VM_PROT_SEM))
		return -EINVAL;
	prot &= PROT_RWX;
	if (reserve(vs, 2))             /* at most the first and the last region split */
		return -ENOMEM;

	i = first_end_above(vs, start);
	if (i == vs->n)
		return -ENOMEM;
	if (grows & VM_PROT_GROWSDOWN) {
		if (vs->r[i].start >= end)
			return -ENOMEM;
		start = vs->r[i].start;
		if (!(vs->r[i].flags & VM_MAP_GROWSDOWN))
			return -EINVAL;
	} else {
		if (vs->r[i].start > start)
			return -ENOMEM;
		if (grows & VM_PROT_GROWSUP)
			return -EINVAL;     /* x86 has no grows-up regions */
	}
	for (uint64_t pos = start;;) {
		uint64_t part_end = vs->r[i].end < end ? vs->r[i].end : end;
		int rc = protect_part(vs, i, pos, part_end, prot, &i);

		if (rc)
			return rc;
		pos = part_end;
		if (pos >= end)
			return 0;
		i = first_end_above(vs, pos);
		if (i == vs->n || vs->r[i].start > pos)
			return -ENOMEM;     /* a hole: Linux keeps what it changed so far */
	}
}

/* ---- brk ---------------------------------------------------------------------------- */

uint64_t vm_brk(struct vm_space *vs, uint64_t brk, bool init)
{
	uint64_t oldbrk, newbrk;
	size_t i;

	if (init) {
		newbrk = page_up(brk);
		vs->start_brk = vs->brk = newbrk ? newbrk : page_down(brk);
		return vs->brk;
	}
	if (brk < vs->start_brk)
		return vs->brk;
	newbrk = page_up(brk);
	oldbrk = page_up(vs->brk);
	if (!newbrk || newbrk > vs->p.task_size)
		return vs->brk;
	if (oldbrk == newbrk) {
		vs->brk = brk;
		return brk;
	}
	if (brk <= vs->brk) {               /* shrinking is always allowed */
		if (removal_splits(vs, newbrk, oldbrk) &&
		    (vs->n >= vs->p.max_regions || reserve(vs, 1)))
			return vs->brk;
		remove_range(vs, newbrk, oldbrk, true);
		vs->brk = brk;
		return brk;
	}
	/* Growing: never into (or right up against) another mapping. */
	i = first_end_above(vs, oldbrk);
	if (i < vs->n && newbrk + VM_PAGE_SIZE > start_gap(vs, &vs->r[i]))
		return vs->brk;
	if (oldbrk < vs->p.min_addr || !may_expand(vs, newbrk - oldbrk) ||
	    vs->n > vs->p.max_regions || reserve(vs, 1))
		return vs->brk;
	{
		struct vm_region reg = {
			.start = oldbrk, .end = newbrk, .prot = VM_PROT_READ | VM_PROT_WRITE,
			.flags = VM_MAP_PRIVATE | VM_MAP_ANONYMOUS, .kind = VM_ANON, .off = oldbrk,
		};

		insert_region(vs, &reg);
	}
	vs->brk = brk;
	return brk;
}

/* ---- mremap ---------------------------------------------------------------------- */

/* Linux's vma_to_resize(): the region holding [addr, addr + old_len), or an error. */
static int resize_target(const struct vm_space *vs, uint64_t addr, uint64_t old_len, uint64_t new_len,
			 size_t *out)
{
	size_t i = first_end_above(vs, addr);
	const struct vm_region *r;

	if (i == vs->n || vs->r[i].start > addr)
		return -EFAULT;
	r = &vs->r[i];
	/*
	 * old_len 0 asks to duplicate a shared mapping; Linux refuses it for
	 * private ones, and the page store cannot share pages: refused for all.
	 */
	if (!old_len)
		return -EINVAL;
	if (old_len > r->end - addr)
		return -EFAULT;             /* can't remap across regions */
	*out = i;
	if (new_len == old_len)
		return 0;
	if (r->kind == VM_FILE && r->off + (addr - r->start) + new_len < r->off)
		return -EINVAL;
	if (new_len > old_len && !may_expand(vs, new_len - old_len))
		return -ENOMEM;
	return 0;
}

/* move_vma(): the pages of [old, old + old_len) go to new, which becomes new_len long. */
static int64_t move_region(struct vm_space *vs, size_t i, uint64_t old, uint64_t old_len, uint64_t new,
			   uint64_t new_len)
{
	struct vm_region reg = vs->r[i];

	if (vs->n + 3 >= vs->p.max_regions)
		return -ENOMEM;
	if (reserve(vs, 2))
		return -ENOMEM;
	reg.off += old - reg.start;
	reg.start = new;
	reg.end = new + new_len;
	if (vs->ops && vs->ops->moved)
		vs->ops->moved(vs->arg, old, new, old_len);
	remove_range(vs, old, old + old_len, false);
	insert_region(vs, &reg);
	return (int64_t)new;
}

int64_t vm_mremap(struct vm_space *vs, uint64_t addr, uint64_t old_len, uint64_t new_len, uint32_t flags,
		  uint64_t new_addr)
{
	uint64_t ts = vs->p.task_size;
	size_t i;
	int rc;

	if (flags & ~(VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED))
		return -EINVAL;
	if ((flags & VM_MREMAP_FIXED) && !(flags & VM_MREMAP_MAYMOVE))
		return -EINVAL;
	if (addr & VM_PAGE_MASK)
		return -EINVAL;
	old_len = page_up(old_len);
	new_len = page_up(new_len);
	if (!new_len)
		return -EINVAL;
	if (!vm_find(vs, addr))
		return -EFAULT;

	if (flags & VM_MREMAP_FIXED) {      /* mremap_to() */
		if (new_addr & VM_PAGE_MASK)
			return -EINVAL;
		if (new_len > ts || new_addr > ts - new_len)
			return -EINVAL;
		if (addr + old_len > new_addr && new_addr + new_len > addr)
			return -EINVAL;     /* old and new overlap */
		if (vs->n + 5 >= vs->p.max_regions)
			return -ENOMEM;
		/* As in Linux, the target and the tail are unmapped before the last checks. */
		if ((rc = vm_munmap(vs, new_addr, new_len)))
			return rc;
		if (old_len > new_len) {
			if ((rc = vm_munmap(vs, addr + new_len, old_len - new_len)))
				return rc;
			old_len = new_len;
		}
		rc = resize_target(vs, addr, old_len, new_len, &i);
		if (rc)
			return rc;
		if (new_addr < vs->p.min_addr)
			return -EPERM;      /* get_unmapped_area(MAP_FIXED) */
		return move_region(vs, i, addr, old_len, new_addr, new_len);
	}

	if (old_len >= new_len) {           /* shrink in place */
		rc = old_len > new_len ? vm_munmap(vs, addr + new_len, old_len - new_len) : 0;
		return rc ? rc : (int64_t)addr;
	}
	rc = resize_target(vs, addr, old_len, new_len, &i);
	if (rc)
		return rc;
	if (addr + old_len == vs->r[i].end) {
		uint64_t end = vs->r[i].end + (new_len - old_len);

		if (end > vs->r[i].end && end <= ts &&
		    (i + 1 == vs->n || vs->r[i + 1].start >= end)) {
			vs->mapped += end - vs->r[i].end;
			vs->r[i].end = end;
			merge_around(vs, i);
			return (int64_t)addr;
		}
	}
	if (!(flags & VM_MREMAP_MAYMOVE))
		return -ENOMEM;
	{
		int64_t at = unmapped_area(vs, 0, new_len, 0);

		if (at < 0)
			return at;
		return move_region(vs, i, addr, old_len, (uint64_t)at, new_len);
	}
}

/* ---- stack growth ---------------------------------------------------------------- */

int vm_grow_stack(struct vm_space *vs, uint64_t addr)
{
	size_t i;
	struct vm_region *r;

	addr = page_down(addr);
	i = first_end_above(vs, addr);
	if (i == vs->n)
		return -EFAULT;
	r = &vs->r[i];
	if (r->start <= addr)
		return 0;
	if (!(r->flags & VM_MAP_GROWSDOWN))
		return -EFAULT;
	if (addr < vs->p.min_addr)
		return -EFAULT;
	if (i > 0) {
		const struct vm_region *prev = &vs->r[i - 1];

		if (!(prev->flags & VM_MAP_GROWSDOWN) && (prev->prot & PROT_RWX) &&
		    addr - prev->end < vs->p.guard_gap)
			return -ENOMEM;
	}
	if (r->end - addr > vs->p.stack_limit || !may_expand(vs, r->start - addr))
		return -ENOMEM;
	vs->mapped += r->start - addr;
	r->off -= r->start - addr;
	r->start = addr;
	merge_around(vs, i);
	return 0;
}

/* ---- checks --------------------------------------------------------------------- */

bool vm_space_check(const struct vm_space *vs)
{
	uint64_t sum = 0;

	if (vs->n > vs->cap || (vs->n && !vs->r))
		return false;
	if (vs->brk < vs->start_brk)
		return false;
	for (size_t i = 0; i < vs->n; i++) {
		const struct vm_region *r = &vs->r[i];

		if ((r->start | r->end) & VM_PAGE_MASK || r->start >= r->end || r->end > vs->p.task_size ||
		    r->start < vs->p.min_addr)
			return false;
		if (r->prot & ~PROT_RWX || r->flags & ~VM_MAP_KEEP || r->kind > VM_FILE)
			return false;
		if ((r->flags & VM_MAP_TYPE) != VM_MAP_SHARED && (r->flags & VM_MAP_TYPE) != VM_MAP_PRIVATE)
			return false;
		if (i > 0 && (vs->r[i - 1].end > r->start || mergeable(&vs->r[i - 1], r)))
			return false;
		sum += r->end - r->start;
	}
	return sum == vs->mapped;
}
