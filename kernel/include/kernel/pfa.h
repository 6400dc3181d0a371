/*
 * pfa.h - page-frame allocator: a bitmap over physical frames (pure logic,
 * unit-tested on the host). One bit per 4 KiB frame, 1 = in use.
 */
#ifndef KERNEL_PFA_H
#define KERNEL_PFA_H
#include <stdint.h>
#include <stddef.h>

struct pfa {
	uint64_t *bits;
	uint64_t nframes;       /* frames covered by the bitmap */
	uint64_t free;          /* free frames */
	uint64_t total;         /* frames ever released as usable */
	uint64_t hint;          /* where the next search starts */
};

/* bitmap must hold pfa_bitmap_words(nframes) words; every frame starts in use. */
size_t pfa_bitmap_words(uint64_t nframes);
void pfa_init(struct pfa *a, uint64_t *bitmap, uint64_t nframes);
/* Mark [first, first+count) usable (free); clipped to the bitmap. */
void pfa_release_range(struct pfa *a, uint64_t first, uint64_t count);
/* Mark [first, first+count) in use (e.g. the kernel image). */
void pfa_reserve_range(struct pfa *a, uint64_t first, uint64_t count);
/* Allocate count contiguous frames; returns the first frame number or -1. */
int64_t pfa_alloc(struct pfa *a, uint64_t count);
/* Free count frames at first; returns -1 if any was already free (double free). */
int pfa_free(struct pfa *a, uint64_t first, uint64_t count);
int pfa_is_used(const struct pfa *a, uint64_t frame);
#endif
