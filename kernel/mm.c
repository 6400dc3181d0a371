/*
 * mm.c - physical memory: the boot memory map feeds the frame allocator;
 * frames are reached through the direct map at PHYS_BASE.
 */
#include <string.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>

#define MAX_PHYS      (4ul << 30)     /* the boot direct map covers 4 GiB */
#define MAX_FRAMES    (MAX_PHYS / PAGE_SIZE)
#define LOW_RESERVED  0x100000ull      /* BIOS, boot info, option ROMs */

static uint64_t frame_bitmap[MAX_FRAMES / 64];
static struct pfa pfa;

struct pfa *mm_pfa(void)
{
	return &pfa;
}

void mm_init(const struct mem_region *map, unsigned n)
{
	uint64_t top = 0, kstart, kend;

	for (unsigned i = 0; i < n; i++)
		if (map[i].type == MEM_USABLE && map[i].base + map[i].size > top)
			top = map[i].base + map[i].size;
	if (top > MAX_PHYS) {
		pr_warn("mm: %lu MiB of RAM above 4 GiB is not used", (top - MAX_PHYS) >> 20);
		top = MAX_PHYS;
	}
	pfa_init(&pfa, frame_bitmap, top / PAGE_SIZE);
	for (unsigned i = 0; i < n; i++) {
		uint64_t b, e;

		if (map[i].type != MEM_USABLE)
			continue;
		b = (map[i].base + PAGE_SIZE - 1) / PAGE_SIZE;
		e = (map[i].base + map[i].size) / PAGE_SIZE;
		if (e > b)
			pfa_release_range(&pfa, b, e - b);
	}
	pfa_reserve_range(&pfa, 0, LOW_RESERVED / PAGE_SIZE);
	kstart = virt_to_phys(__kernel_start) / PAGE_SIZE;
	kend = (virt_to_phys(__kernel_end) + PAGE_SIZE - 1) / PAGE_SIZE;
	pfa_reserve_range(&pfa, kstart, kend - kstart);
	pr_info("mm: %lu MiB usable, %lu frames free, kernel %lu KiB",
		(pfa.total * PAGE_SIZE) >> 20, pfa.free, (kend - kstart) * 4);
}

uint64_t frames_alloc(unsigned count)
{
	uint64_t f = irq_save();
	int64_t first = pfa_alloc(&pfa, count);

	irq_restore(f);
	if (first < 0)
		return 0;
	memset(phys_to_virt((uint64_t)first * PAGE_SIZE), 0, (size_t)count * PAGE_SIZE);
	return (uint64_t)first * PAGE_SIZE;
}

uint64_t frames_alloc_raw(unsigned count)
{
	uint64_t f = irq_save();
	int64_t first = pfa_alloc(&pfa, count);

	irq_restore(f);
	return first < 0 ? 0 : (uint64_t)first * PAGE_SIZE;
}

uint64_t frame_alloc_raw(void)
{
	return frames_alloc_raw(1);
}

uint64_t frame_alloc(void)
{
	return frames_alloc(1);
}

void frames_free(uint64_t pa, unsigned count)
{
	uint64_t f;

	for (unsigned i = 0; i < count; i++)
		if (heap_holds_frame(pa / PAGE_SIZE + i))
			panic("mm: frame %lx freed while the kernel heap holds it", pa + (uint64_t)i * PAGE_SIZE);
	f = irq_save();
	int rc = pfa_free(&pfa, pa / PAGE_SIZE, count);

	irq_restore(f);
	if (rc)
		panic("mm: double free of frame %lx (+%u)", pa, count);
}

void frame_free(uint64_t pa)
{
	frames_free(pa, 1);
}
