/*
 * heap.c - kmalloc/kfree: power-of-two size classes carved from whole
 * frames, and runs of frames for large blocks. Each block carries a header
 * so kfree needs no size and can catch frees of foreign pointers.
 */
#include <string.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>

#define HEAP_MAGIC   0x48454150u
#define MIN_SHIFT    5               /* 32 bytes */
#define MAX_SHIFT    11              /* 2048 bytes */
#define NCLASSES     (MAX_SHIFT - MIN_SHIFT + 1)
#define LARGE_CLASS  0xff

struct block_hdr {
	uint32_t magic;
	uint8_t cls;
	uint8_t pad[3];
	uint64_t npages;             /* large blocks only */
};

struct free_block {
	struct free_block *next;
};

static struct free_block *free_list[NCLASSES];
static uint64_t bytes_used;

/*
 * Blocks of a page or more are whole, page-aligned runs of frames with no
 * header (a 4 KiB cache block costs 4 KiB, not 8); their length lives in
 * run_len[first frame]. A page-aligned pointer is always such a run: header
 * blocks hand out addresses 16 bytes into their slot.
 */
static uint16_t *run_len;
static uint64_t run_frames;
#define RUN_MAX 0xffffu

/*
 * Which frames the heap holds (size-class pages, large blocks, runs): a frame
 * freed to the frame allocator by anyone else while the heap holds it would
 * be handed out twice and corrupt the heap far from the culprit, so
 * frames_free asks (heap_holds_frame) and panics at the culprit instead.
 */
static uint8_t *held;

static void hold(uint64_t pa, uint64_t pages, uint8_t v)
{
	uint64_t pfn = pa / PAGE_SIZE;

	for (uint64_t i = 0; held && i < pages && pfn + i < run_frames; i++)
		held[pfn + i] = v;
}

int heap_holds_frame(uint64_t pfn)
{
	return held && pfn < run_frames && held[pfn];
}

void heap_init(void)
{
	struct pfa *a = mm_pfa();
	uint64_t bytes = a->nframes * sizeof(uint16_t) + a->nframes;
	uint64_t pa = frames_alloc((unsigned)((bytes + PAGE_SIZE - 1) / PAGE_SIZE));

	if (!pa)
		panic("heap: no memory for the page-run table");
	run_len = phys_to_virt(pa);
	run_frames = a->nframes;
	held = (uint8_t *)(run_len + a->nframes);
	memset(held, 0, a->nframes);
}

static void *alloc_run(size_t n)
{
	uint64_t pages = (n + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t pa;

	if (!run_len || pages > RUN_MAX)
		return NULL;
	pa = frames_alloc_raw((unsigned)pages);    /* kmalloc promises no zeroes; kzalloc clears */
	if (!pa)
		return NULL;
	run_len[pa / PAGE_SIZE] = (uint16_t)pages;
	hold(pa, pages, 1);
	bytes_used += pages * PAGE_SIZE;
	return phys_to_virt(pa);
}

static void free_run(void *p)
{
	uint64_t pfn = virt_to_phys(p) / PAGE_SIZE;
	uint64_t pages;

	if (pfn >= run_frames || run_len[pfn] == 0)
		panic("kfree: %p is not an allocated block", p);
	pages = run_len[pfn];
	run_len[pfn] = 0;
	hold(pfn * PAGE_SIZE, pages, 0);
	bytes_used -= pages * PAGE_SIZE;
	frames_free(pfn * PAGE_SIZE, (unsigned)pages);
}

uint64_t heap_used(void)
{
	return bytes_used;
}

static int refill(unsigned cls)
{
	uint64_t pa = frame_alloc();
	size_t sz = (size_t)1 << (cls + MIN_SHIFT);
	char *page;

	if (!pa)
		return -1;
	hold(pa, 1, 1);
	page = phys_to_virt(pa);
	for (size_t off = 0; off + sz <= PAGE_SIZE; off += sz) {
		struct free_block *b = (struct free_block *)(page + off);

		b->next = free_list[cls];
		free_list[cls] = b;
	}
	return 0;
}

void *kmalloc(size_t n)
{
	size_t want = n + sizeof(struct block_hdr);
	struct block_hdr *h;
	uint64_t f;

	if (n == 0 || n > (1ull << 40))
		return NULL;
	if (n >= PAGE_SIZE && run_len) {
		void *p = alloc_run(n);

		if (p)
			return p;
	}
	if (want > (1u << MAX_SHIFT)) {
		uint64_t pages = (want + PAGE_SIZE - 1) / PAGE_SIZE;
		uint64_t pa = frames_alloc((unsigned)pages);

		if (!pa)
			return NULL;
		hold(pa, pages, 1);
		h = phys_to_virt(pa);
		h->magic = HEAP_MAGIC;
		h->cls = LARGE_CLASS;
		h->npages = pages;
		bytes_used += pages * PAGE_SIZE;
		return h + 1;
	}
	unsigned cls = 0;

	while (((size_t)1 << (cls + MIN_SHIFT)) < want)
		cls++;
	f = irq_save();
	if (!free_list[cls] && refill(cls)) {
		irq_restore(f);
		return NULL;
	}
	h = (struct block_hdr *)free_list[cls];
	free_list[cls] = free_list[cls]->next;
	bytes_used += (size_t)1 << (cls + MIN_SHIFT);
	irq_restore(f);
	h->magic = HEAP_MAGIC;
	h->cls = (uint8_t)cls;
	h->npages = 0;
	return h + 1;
}

void *kzalloc(size_t n)
{
	void *p = kmalloc(n);

	if (p)
		memset(p, 0, n);
	return p;
}

size_t kmalloc_size(const void *p)
{
	const struct block_hdr *h = (const struct block_hdr *)p - 1;

	if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0) {
		uint64_t pfn = virt_to_phys(p) / PAGE_SIZE;

		if (pfn >= run_frames || run_len[pfn] == 0)
			panic("kmalloc_size: %p is not an allocated block", p);
		return (size_t)run_len[pfn] * PAGE_SIZE;
	}

	if (h->magic != HEAP_MAGIC)
		panic("kmalloc_size: bad pointer %p", p);
	if (h->cls == LARGE_CLASS)
		return h->npages * PAGE_SIZE - sizeof(*h);
	return ((size_t)1 << (h->cls + MIN_SHIFT)) - sizeof(*h);
}

void kfree(void *p)
{
	struct block_hdr *h;
	uint64_t f;

	if (!p)
		return;
	if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0) {
		free_run(p);
		return;
	}
	h = (struct block_hdr *)p - 1;
	if (h->magic != HEAP_MAGIC)
		panic("kfree: bad pointer %p", p);
	h->magic = 0;
	if (h->cls == LARGE_CLASS) {
		bytes_used -= h->npages * PAGE_SIZE;
		hold(virt_to_phys(h), h->npages, 0);
		frames_free(virt_to_phys(h), (unsigned)h->npages);
		return;
	}
	if (h->cls >= NCLASSES)
		panic("kfree: corrupt header at %p", p);
	f = irq_save();
	bytes_used -= (size_t)1 << (h->cls + MIN_SHIFT);
	((struct free_block *)h)->next = free_list[h->cls];
	free_list[h->cls] = (struct free_block *)h;
	irq_restore(f);
}
