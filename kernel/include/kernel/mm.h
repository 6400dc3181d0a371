/* mm.h - physical frames, kernel heap and page tables. */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H
#include <stdint.h>
#include <stddef.h>
#include <arch/layout.h>
#include <kernel/pfa.h>

/* Physical memory map as the boot loader reported it. */
struct mem_region { uint64_t base, size; uint32_t type; };
#define MEM_USABLE 1

void mm_init(const struct mem_region *map, unsigned n);
uint64_t frame_alloc(void);                 /* one zeroed frame, 0 if none */
uint64_t frame_alloc_raw(void);             /* one frame, contents undefined */
uint64_t frames_alloc_raw(unsigned count);  /* contiguous, contents undefined */
uint64_t frames_alloc(unsigned count);      /* contiguous, zeroed */
void frames_free(uint64_t pa, unsigned count);
void frame_free(uint64_t pa);
struct pfa *mm_pfa(void);

void heap_init(void);                      /* after mm_init */
int heap_holds_frame(uint64_t pfn);        /* whether the heap holds this frame (frames_free checks) */
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void kfree(void *p);
size_t kmalloc_size(const void *p);   /* usable bytes of a kmalloc block */
uint64_t heap_used(void);

/* Page tables */
#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

uint64_t *vm_kernel_root(void);
/* Map one 4 KiB page; intermediate tables are allocated as needed. */
int vm_map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t flags);
int vm_unmap(uint64_t *root, uint64_t va);
/* The leaf entry for va (allocating tables if create), or NULL. */
uint64_t *vm_pte(uint64_t *root, uint64_t va, int create);
/* A new address-space root sharing the kernel half; and its release. */
uint64_t *vm_new_user_root(void);
void vm_free_user_root(uint64_t *root);
/* Physical address va maps to, or -1 (as uint64) if unmapped. */
uint64_t vm_translate(uint64_t *root, uint64_t va);
/* Map device memory uncached in the direct map; returns its virtual address. */
void *vm_map_mmio(uint64_t pa, uint64_t size);
void vm_drop_identity(void);
#endif
