/*
 * randwrite.c - writes SIZE MiB of anonymous memory one 4 KiB page at a time
 * in a random order, then reads every page back in another random order and
 * checks it. Each page is filled from a generator seeded by its index (so a
 * page that comes back as another page, or as zeros, is caught) and its
 * checksum is kept in a separate table. Prints one line and exits 0 only if
 * every page verifies; 1 if any does not; 2 on a usage or mmap error.
 *
 * Built with musl-gcc -static (tests/build.mk) and run in a vNode by
 * tests/integration/t-run-excache.sh with an ExCache far smaller than SIZE.
 * Usage: randwrite [SIZE_MIB [SEED [HOLD_SECONDS]]]   (default 256 MiB, seed 1)
 * HOLD_SECONDS: keep the memory that long after the check, before exiting
 * (t-state-procs watches the memory node's use meanwhile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#define PAGE      4096u
#define WORDS     (PAGE / sizeof(uint64_t))

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* A random permutation of 0..n-1 (Fisher-Yates). */
static uint32_t *permutation(uint32_t n)
{
	uint32_t *p = malloc((size_t)n * sizeof(*p));

	if (!p)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		p[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng() % (i + 1));
		uint32_t t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

/* The first word of page i; the rest follow by xorshift. Never 0. */
static uint64_t page_seed(uint64_t seed, uint32_t i)
{
	uint64_t x = (seed << 32) ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull) ^ 0x5bd1e9955bd1e995ull;

	return x ? x : 1;
}

static uint64_t checksum(const uint64_t *w)
{
	uint64_t s = 0;

	for (unsigned k = 0; k < WORDS; k++)
		s = (s ^ w[k]) * 0x100000001b3ull + k;
	return s;
}

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	unsigned hold = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
	uint32_t npages, *order, bad = 0, first_bad = 0;
	uint64_t *sums;
	uint8_t *mem;

	if (argc > 4 || mib == 0 || mib > 65536 || hold > 3600) {
		fprintf(stderr, "usage: randwrite [SIZE_MIB [SEED [HOLD_SECONDS]]]\n");
		return 2;
	}
	npages = (uint32_t)(mib * (1u << 20) / PAGE);
	mem = mmap(NULL, (size_t)npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sums = malloc((size_t)npages * sizeof(*sums));
	rng_state = seed * 0x2545f4914f6cdd1dull + 1;
	order = permutation(npages);
	if (mem == MAP_FAILED || !sums || !order) {
		fprintf(stderr, "randwrite: cannot allocate %lu MiB\n", mib);
		return 2;
	}

	for (uint32_t n = 0; n < npages; n++) {
		uint32_t i = order[n];
		uint64_t *w = (uint64_t *)(mem + (size_t)i * PAGE);
		uint64_t x = page_seed(seed, i);

		for (unsigned k = 0; k < WORDS; k++) {
			w[k] = x;
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		sums[i] = checksum(w);
	}

	free(order);
	order = permutation(npages);          /* a different order for the reads */
	if (!order) {
		fprintf(stderr, "randwrite: cannot allocate the read order\n");
		return 2;
	}
	for (uint32_t n = 0; n < npages; n++) {
		uint32_t i = order[n];
		const uint64_t *w = (const uint64_t *)(mem + (size_t)i * PAGE);

		if (w[0] != page_seed(seed, i) || checksum(w) != sums[i]) {
			if (!bad)
				first_bad = i;
			bad++;
		}
	}

	if (bad) {
		printf("randwrite: %u of %u pages (%lu MiB) bad, first page %u\n", bad, npages, mib, first_bad);
		return 1;
	}
	printf("randwrite: %u pages (%lu MiB) written and verified in random order\n", npages, mib);
	fflush(stdout);
	if (hold)
		sleep(hold);
	return 0;
}
