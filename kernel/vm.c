/*
 * vm.c - 4-level page tables. Tables are reached through the direct map.
 * The kernel half (slots 256..511 of the root) is shared by every address
 * space; the lower half belongs to user programs (later issues).
 */
#include <string.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>

extern uint64_t boot_pml4[512];

uint64_t *vm_kernel_root(void)
{
	return boot_pml4;
}

static uint64_t *next_level(uint64_t *table, unsigned idx, int create)
{
	uint64_t e = table[idx];

	if (e & PTE_P) {
		if (e & PTE_PS)
			return NULL;             /* huge page: no lower table */
		return phys_to_virt(e & PTE_ADDR);
	}
	if (!create)
		return NULL;
	uint64_t pa = frame_alloc();
	if (!pa)
		return NULL;
	/* Intermediate entries are permissive; the leaf decides. */
	table[idx] = pa | PTE_P | PTE_W | PTE_U;
	return phys_to_virt(pa);
}

static uint64_t *walk(uint64_t *root, uint64_t va, int create)
{
	uint64_t *t = root;

	for (int shift = 39; shift > 12; shift -= 9) {
		t = next_level(t, (va >> shift) & 511, create);
		if (!t)
			return NULL;
	}
	return &t[(va >> 12) & 511];
}

uint64_t *vm_pte(uint64_t *root, uint64_t va, int create)
{
	return walk(root, va, create);
}

int vm_map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pte;

	if ((va | pa) & (PAGE_SIZE - 1))
		return -1;
	pte = walk(root, va, 1);
	if (!pte)
		return -1;
	*pte = (pa & PTE_ADDR) | flags | PTE_P;
	invlpg(va);
	return 0;
}

int vm_unmap(uint64_t *root, uint64_t va)
{
	uint64_t *pte = walk(root, va, 0);

	if (!pte || !(*pte & PTE_P))
		return -1;
	*pte = 0;
	invlpg(va);
	return 0;
}

uint64_t vm_translate(uint64_t *root, uint64_t va)
{
	uint64_t *t = root;

	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];

		if (!(e & PTE_P))
			return (uint64_t)-1;
		if (shift == 12 || (e & PTE_PS)) {
			uint64_t mask = (1ull << shift) - 1;
			return (e & PTE_ADDR & ~mask) | (va & mask);
		}
		t = phys_to_virt(e & PTE_ADDR);
	}
	return (uint64_t)-1;
}

void *vm_map_mmio(uint64_t pa, uint64_t size)
{
	uint64_t start = pa & ~(uint64_t)(PAGE_SIZE - 1);

	/* The first 4 GiB are in the boot direct map; QEMU ignores cache types under TCG
	 * and the firmware's MTRRs make the PCI hole uncached under KVM. */
	if (pa + size <= (4ull << 30))
		return phys_to_virt(pa);
	for (uint64_t p = start; p < pa + size; p += PAGE_SIZE)
		if (vm_map(boot_pml4, (uint64_t)phys_to_virt(p), p, PTE_W | PTE_PCD | PTE_PWT | PTE_NX))
			return NULL;
	return phys_to_virt(pa);
}

void vm_drop_identity(void)
{
	boot_pml4[0] = 0;
	write_cr3(read_cr3());
}

uint64_t *vm_new_user_root(void)
{
	uint64_t pa = frame_alloc();
	uint64_t *root;

	if (!pa)
		return NULL;
	root = phys_to_virt(pa);
	/* Share the kernel half; the user half starts empty. */
	memcpy(root + 256, boot_pml4 + 256, 256 * sizeof(uint64_t));
	return root;
}

static void free_level(uint64_t *t, int level)
{
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P) || (t[i] & PTE_PS))
			continue;
		if (level > 1)
			free_level(phys_to_virt(t[i] & PTE_ADDR), level - 1);
		if (level > 1)
			frame_free(t[i] & PTE_ADDR);
	}
}

void vm_free_user_root(uint64_t *root)
{
	/* Frees the page-table pages of the user half, not the pages they map. */
	for (int i = 0; i < 256; i++) {
		if (!(root[i] & PTE_P))
			continue;
		free_level(phys_to_virt(root[i] & PTE_ADDR), 3);
		frame_free(root[i] & PTE_ADDR);
	}
	frame_free(virt_to_phys(root));
}
