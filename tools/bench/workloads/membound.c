/*
 * membound.c - a memory-bound benchmark workload (static, musl): random
 * read-modify-write of 8-byte words over a working set of W MiB, then a
 * checksum pass. Prints the working set, the operations and the time taken
 * (CLOCK_MONOTONIC), and exits 0 only if the checksum matches its own
 * bookkeeping, so a wrong result is never mistaken for a fast one.
 *
 *   membound MiB OPS [SEED]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t mib, ops, seed = 42, words, sum = 0, expect = 0;
	uint64_t *a;
	double t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: membound MiB OPS [SEED]\n");
		return 2;
	}
	mib = strtoull(argv[1], NULL, 10);
	ops = strtoull(argv[2], NULL, 10);
	if (argc > 3)
		seed = strtoull(argv[3], NULL, 10) | 1;
	words = mib * 1024 * 1024 / 8;
	a = malloc(words * 8);
	if (!a || words == 0) {
		fprintf(stderr, "membound: cannot allocate %llu MiB\n", (unsigned long long)mib);
		return 1;
	}
	t0 = now();
	for (uint64_t i = 0; i < words; i += 512)   /* touch every page once */
		a[i] = i;
	for (uint64_t i = 0; i < words; i += 512)
		expect += i;
	for (uint64_t i = 0; i < ops; i++) {
		uint64_t w = rng(&seed) % words;
		uint64_t v = rng(&seed) & 0xffff;

		a[w] += v;
		expect += v;
	}
	for (uint64_t i = 0; i < words; i++)
		sum += a[i];
	t1 = now();
	printf("membound: %llu MiB, %llu ops, %.3f s, %s\n", (unsigned long long)mib, (unsigned long long)ops,
	       t1 - t0, sum == expect ? "checksum ok" : "CHECKSUM WRONG");
	return sum == expect ? 0 : 1;
}
