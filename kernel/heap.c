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
	if (want > (1u << MAX_SHIFT)) {
		uint64_t pages = (want + PAGE_SIZE - 1) / PAGE_SIZE;
		uint64_t pa = frames_alloc((unsigned)pages);

		if (!pa)
			return NULL;
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
	h = (struct block_hdr *)p - 1;
	if (h->magic != HEAP_MAGIC)
		panic("kfree: bad pointer %p", p);
	h->magic = 0;
	if (h->cls == LARGE_CLASS) {
		bytes_used -= h->npages * PAGE_SIZE;
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
