/*
 * pfa.c - page-frame allocator over a bitmap. Contiguous runs are found by
 * first fit from a rotating hint; single frames are the common case.
 * Pure logic: no kernel dependencies, so the host unit tests link it as is.
 */
#include <string.h>
#include <kernel/pfa.h>

#define WORD_BITS 64

size_t pfa_bitmap_words(uint64_t nframes)
{
	return (size_t)((nframes + WORD_BITS - 1) / WORD_BITS);
}

static int test_bit(const struct pfa *a, uint64_t f)
{
	return (a->bits[f / WORD_BITS] >> (f % WORD_BITS)) & 1;
}

static void set_bit(struct pfa *a, uint64_t f)
{
	a->bits[f / WORD_BITS] |= 1ull << (f % WORD_BITS);
}

static void clear_bit(struct pfa *a, uint64_t f)
{
	a->bits[f / WORD_BITS] &= ~(1ull << (f % WORD_BITS));
}

void pfa_init(struct pfa *a, uint64_t *bitmap, uint64_t nframes)
{
	a->bits = bitmap;
	a->nframes = nframes;
	a->free = 0;
	a->total = 0;
	a->hint = 0;
	memset(bitmap, 0xff, pfa_bitmap_words(nframes) * sizeof(uint64_t));
}

/* End of [first, first+count) clipped to the bitmap; a wrapping sum clips too. */
static uint64_t range_end(const struct pfa *a, uint64_t first, uint64_t count)
{
	if (first >= a->nframes || count > a->nframes - first)
		return a->nframes;
	return first + count;
}

void pfa_release_range(struct pfa *a, uint64_t first, uint64_t count)
{
	uint64_t end = range_end(a, first, count);

	for (uint64_t f = first; f < end; f++) {
		if (test_bit(a, f)) {
			clear_bit(a, f);
			a->free++;
			a->total++;
		}
	}
}

void pfa_reserve_range(struct pfa *a, uint64_t first, uint64_t count)
{
	uint64_t end = range_end(a, first, count);

	for (uint64_t f = first; f < end; f++) {
		if (!test_bit(a, f)) {
			set_bit(a, f);
			a->free--;
			a->total--;
		}
	}
}

static int64_t search(struct pfa *a, uint64_t from, uint64_t to, uint64_t count)
{
	uint64_t run = 0;

	for (uint64_t f = from; f < to; f++) {
		/* Skip full words quickly. */
		if (f % WORD_BITS == 0 && a->bits[f / WORD_BITS] == ~0ull && f + WORD_BITS <= to) {
			run = 0;
			f += WORD_BITS - 1;
			continue;
		}
		if (test_bit(a, f)) {
			run = 0;
			continue;
		}
		if (++run == count)
			return (int64_t)(f + 1 - count);
	}
	return -1;
}

int64_t pfa_alloc(struct pfa *a, uint64_t count)
{
	int64_t first;

	if (count == 0 || count > a->free)
		return -1;
	first = search(a, a->hint, a->nframes, count);
	if (first < 0)
		first = search(a, 0, a->nframes, count);
	if (first < 0)
		return -1;
	for (uint64_t f = (uint64_t)first; f < (uint64_t)first + count; f++)
		set_bit(a, f);
	a->free -= count;
	a->hint = (uint64_t)first + count;
	if (a->hint >= a->nframes)
		a->hint = 0;
	return first;
}

int pfa_free(struct pfa *a, uint64_t first, uint64_t count)
{
	if (first + count > a->nframes || first + count < first)
		return -1;
	for (uint64_t f = first; f < first + count; f++)
		if (!test_bit(a, f))
			return -1;
	for (uint64_t f = first; f < first + count; f++)
		clear_bit(a, f);
	a->free += count;
	if (first < a->hint)
		a->hint = first;
	return 0;
}

int pfa_is_used(const struct pfa *a, uint64_t frame)
{
	return frame >= a->nframes || test_bit(a, frame);
}
