/*
 * tests/unit/test_ustack.c - the initial user stack (monitors/process/ustack.c):
 * build images for known argv/envp/auxv and walk them back as a libc _start
 * would (argc, argv, envp, auxv lookups, AT_RANDOM, AT_EXECFN, AT_PLATFORM),
 * check Linux's layout and 16-byte rsp over many sizes, auxv order against
 * this host's own /proc/self/auxv, the ARG_MAX-style limit (-E2BIG) to the
 * byte, and bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "monitors/process/ustack.h"

#define TOP 0x7ffffffff000ull

static const uint8_t rnd[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static struct ustack_aux default_aux(void)
{
	struct ustack_aux a = {
		.phdr = 0x400040, .phent = 56, .phnum = 10, .base = 0x7ffff7fc0000ull,
		.entry = 0x40ebf0, .uid = 1000, .euid = 1001, .gid = 100, .egid = 101,
		.hwcap = 0x178bfbff, .random = rnd, .execfn = "/bin/busybox",
	};
	return a;
}

/* ---- a reader of the image as user code sees it -------------------------------- */

struct view {
	const struct ustack_image *img;
	uint64_t top;
};

/* A user address inside the image, as a host pointer; n bytes must fit. */
static const uint8_t *at(const struct view *v, uint64_t addr, size_t n)
{
	assert_true(addr >= v->img->rsp);
	assert_true(addr + n <= v->top);
	return v->img->buf + (addr - v->img->rsp);
}

static uint64_t word(const struct view *v, uint64_t addr)
{
	uint64_t w;

	memcpy(&w, at(v, addr, 8), 8);
	return w;
}

static const char *str(const struct view *v, uint64_t addr)
{
	const char *s = (const char *)at(v, addr, 1);

	assert_non_null(memchr(s, '\0', v->top - addr));
	return s;
}

/* Walk like _start: returns the auxv address and checks argv/envp contents. */
static uint64_t walk(const struct view *v, const char *const *argv, size_t argc,
		     const char *const *envp, size_t envc)
{
	uint64_t sp = v->img->rsp, p;

	assert_int_equal(sp % 16, 0);
	assert_int_equal(sp, v->top - v->img->size);
	assert_int_equal(word(v, sp), argc);
	p = sp + 8;
	assert_int_equal(p, v->img->argv);
	for (size_t i = 0; i < argc; i++, p += 8)
		assert_string_equal(str(v, word(v, p)), argv[i]);
	assert_int_equal(word(v, p), 0);
	p += 8;
	assert_int_equal(p, v->img->envp);
	for (size_t i = 0; i < envc; i++, p += 8)
		assert_string_equal(str(v, word(v, p)), envp[i]);
	assert_int_equal(word(v, p), 0);
	p += 8;
	assert_int_equal(p, v->img->auxv);
	return p;
}

/* getauxval() over the image; *found says whether the key was present. */
static uint64_t auxval(const struct view *v, uint64_t key, bool *found)
{
	for (uint64_t p = v->img->auxv;; p += 16) {
		uint64_t k = word(v, p);
		if (k == AT_NULL) {
			*found = false;
			return 0;
		}
		if (k == key) {
			*found = true;
			return word(v, p + 8);
		}
	}
}

static uint64_t must(const struct view *v, uint64_t key)
{
	bool found;
	uint64_t val = auxval(v, key, &found);

	if (!found)
		fail_msg("auxv has no key %llu", (unsigned long long)key);
	return val;
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_walk_back(void **state)
{
	const char *argv[] = { "/bin/busybox", "sh", "-c", "echo hi | wc -c", "" };
	const char *envp[] = { "PATH=/bin:/usr/bin", "HOME=/", "TERM=vt100" };
	struct ustack_aux aux = default_aux();
	struct ustack_image img;
	struct view v = { &img, TOP };
	bool found;

	assert_int_equal(ustack_build(TOP, argv, 5, envp, 3, &aux, USTACK_DEFAULT_LIMIT, &img), 0);
	walk(&v, argv, 5, envp, 3);

	assert_int_equal(must(&v, AT_PHDR), 0x400040);
	assert_int_equal(must(&v, AT_PHENT), 56);
	assert_int_equal(must(&v, AT_PHNUM), 10);
	assert_int_equal(must(&v, AT_PAGESZ), 4096);
	assert_int_equal(must(&v, AT_BASE), 0x7ffff7fc0000ull);
	assert_int_equal(must(&v, AT_FLAGS), 0);
	assert_int_equal(must(&v, AT_ENTRY), 0x40ebf0);
	assert_int_equal(must(&v, AT_UID), 1000);
	assert_int_equal(must(&v, AT_EUID), 1001);
	assert_int_equal(must(&v, AT_GID), 100);
	assert_int_equal(must(&v, AT_EGID), 101);
	assert_int_equal(must(&v, AT_SECURE), 0);
	assert_int_equal(must(&v, AT_HWCAP), 0x178bfbff);
	assert_int_equal(must(&v, AT_HWCAP2), 0);
	assert_int_equal(must(&v, AT_CLKTCK), 100);
	assert_memory_equal(at(&v, must(&v, AT_RANDOM), 16), rnd, 16);
	assert_int_equal(must(&v, AT_RANDOM), img.random);
	assert_string_equal(str(&v, must(&v, AT_EXECFN)), "/bin/busybox");
	assert_string_equal(str(&v, must(&v, AT_PLATFORM)), "x86_64");
	auxval(&v, AT_SYSINFO_EHDR, &found);
	assert_false(found);
	auxval(&v, AT_MINSIGSTKSZ, &found);
	assert_false(found);

	/* Linux's layout: the last 8 bytes are zero, execfn just below them,
	 * then env strings above arg strings, argv[0] the lowest string. */
	assert_int_equal(word(&v, TOP - 8), 0);
	assert_int_equal(must(&v, AT_EXECFN), TOP - 8 - strlen("/bin/busybox") - 1);
	assert_int_equal(word(&v, img.argv), img.strings);
	assert_true(word(&v, img.envp) > word(&v, img.argv + 4 * 8));
	assert_int_equal(word(&v, img.envp + 2 * 8) + strlen(envp[2]) + 1, must(&v, AT_EXECFN));
	/* the strings and random bytes sit above the tables */
	assert_true(img.random > img.auxv);
	assert_true(must(&v, AT_PLATFORM) > img.random);
	ustack_release(&img);
	assert_null(img.buf);
}

static void test_optional_entries(void **state)
{
	struct ustack_aux aux = default_aux();
	struct ustack_image img;
	struct view v = { &img, TOP };
	const char *argv[] = { "x" };

	aux.sysinfo_ehdr = 0x7ffff7fc1000ull;
	aux.minsigstksz = 2048;
	aux.pagesz = 4096;
	aux.clktck = 250;
	aux.secure = true;
	aux.hwcap2 = 2;
	aux.platform = "i686";
	assert_int_equal(ustack_build(TOP, argv, 1, NULL, 0, &aux, 65536, &img), 0);
	walk(&v, argv, 1, NULL, 0);
	assert_int_equal(must(&v, AT_SYSINFO_EHDR), 0x7ffff7fc1000ull);
	assert_int_equal(must(&v, AT_MINSIGSTKSZ), 2048);
	assert_int_equal(must(&v, AT_CLKTCK), 250);
	assert_int_equal(must(&v, AT_SECURE), 1);
	assert_int_equal(must(&v, AT_HWCAP2), 2);
	assert_string_equal(str(&v, must(&v, AT_PLATFORM)), "i686");
	/* AT_SYSINFO_EHDR comes first, as in Linux */
	assert_int_equal(word(&v, img.auxv), AT_SYSINFO_EHDR);
	ustack_release(&img);
}

static void test_empty_argv_envp(void **state)
{
	struct ustack_aux aux = default_aux();
	struct ustack_image img;
	struct view v = { &img, TOP };

	assert_int_equal(ustack_build(TOP, NULL, 0, NULL, 0, &aux, 65536, &img), 0);
	walk(&v, NULL, 0, NULL, 0);
	must(&v, AT_RANDOM);
	ustack_release(&img);
}

/* rsp stays 16-aligned and the strings stay contiguous for every mix of lengths. */
static void test_alignment_sweep(void **state)
{
	static char pool[64][40];
	const char *argv[64], *envp[64];
	struct ustack_aux aux = default_aux();
	char execfn[32];

	for (unsigned i = 0; i < 64; i++) {
		memset(pool[i], 'a' + i % 26, 39);
		pool[i][i % 39] = '\0';
		argv[i] = pool[i];
		envp[i] = pool[63 - i];
	}
	for (size_t argc = 0; argc < 20; argc++)
		for (size_t envc = 0; envc < 7; envc++)
			for (unsigned el = 0; el < 16; el++) {
				struct ustack_image img;
				struct view v = { &img, TOP - 16 * el };
				uint64_t total = 0;

				memset(execfn, 'f', el + 1);
				execfn[el + 1] = '\0';
				aux.execfn = execfn;
				assert_int_equal(ustack_build(v.top, argv + argc % 5, argc, envp, envc,
							      &aux, 65536, &img), 0);
				walk(&v, argv + argc % 5, argc, envp, envc);
				for (size_t i = 0; i < argc; i++)
					total += strlen(argv[argc % 5 + i]) + 1;
				for (size_t i = 0; i < envc; i++)
					total += strlen(envp[i]) + 1;
				/* strings end exactly where execfn begins */
				assert_int_equal(img.strings + total, must(&v, AT_EXECFN));
				assert_int_equal(img.random % 16, 0);
				ustack_release(&img);
			}
}

/* Our auxv keys appear in the same relative order as in Linux's own. */
static void test_auxv_order_matches_linux(void **state)
{
	uint64_t host[128];
	ssize_t n;
	int fd = open("/proc/self/auxv", O_RDONLY);
	struct ustack_aux aux = default_aux();
	struct ustack_image img;
	struct view v = { &img, TOP };
	size_t hi = 0, nhost;

	assert_true(fd >= 0);
	n = read(fd, host, sizeof(host));
	close(fd);
	assert_true(n > 0);
	nhost = (size_t)n / 16;

	aux.sysinfo_ehdr = 1;
	aux.minsigstksz = 1;
	assert_int_equal(ustack_build(TOP, NULL, 0, NULL, 0, &aux, 65536, &img), 0);
	for (uint64_t p = img.auxv;; p += 16) {
		uint64_t k = word(&v, p);
		bool in_host = false;

		for (size_t i = 0; i < nhost; i++)
			in_host |= host[2 * i] == k;
		if (!in_host)
			continue;   /* e.g. AT_MINSIGSTKSZ on an older kernel */
		while (hi < nhost && host[2 * hi] != k)
			hi++;
		if (hi == nhost)
			fail_msg("auxv key %llu is out of Linux's order", (unsigned long long)k);
		if (k == AT_NULL)
			break;
	}
	ustack_release(&img);
}

static void test_e2big(void **state)
{
	struct ustack_aux aux = default_aux();
	struct ustack_image img;
	const char *argv[] = { "prog", "arg" };
	size_t exact;
	char *big;
	const char **many;

	assert_int_equal(ustack_build(TOP, argv, 2, NULL, 0, &aux, 65536, &img), 0);
	exact = img.size;
	ustack_release(&img);
	/* the limit is the image size, to the byte */
	assert_int_equal(ustack_build(TOP, argv, 2, NULL, 0, &aux, exact, &img), 0);
	assert_int_equal(img.size, exact);
	ustack_release(&img);
	assert_int_equal(ustack_build(TOP, argv, 2, NULL, 0, &aux, exact - 1, &img), -E2BIG);
	assert_null(img.buf);
	assert_int_equal(ustack_build(TOP, argv, 2, NULL, 0, &aux, 0, &img), -E2BIG);

	/* one string of MAX_ARG_STRLEN is too long, one byte less is fine */
	big = malloc(USTACK_MAX_STRLEN + 1);
	memset(big, 'x', USTACK_MAX_STRLEN);
	big[USTACK_MAX_STRLEN] = '\0';
	argv[1] = big;
	assert_int_equal(ustack_build(TOP, argv, 2, NULL, 0, &aux, 1u << 24, &img), -E2BIG);
	big[USTACK_MAX_STRLEN - 1] = '\0';
	assert_int_equal(ustack_build(TOP, argv, 2, NULL, 0, &aux, 1u << 24, &img), 0);
	ustack_release(&img);
	/* the same in the environment and in execfn */
	big[USTACK_MAX_STRLEN - 1] = 'x';
	assert_int_equal(ustack_build(TOP, argv, 1, argv + 1, 1, &aux, 1u << 24, &img), -E2BIG);
	aux.execfn = big;
	assert_int_equal(ustack_build(TOP, argv, 1, NULL, 0, &aux, 1u << 24, &img), -E2BIG);
	aux = default_aux();

	/* many short strings: 300,000 "y" = 600 KB of strings and 2.4 MB of pointers */
	many = malloc(300000 * sizeof(*many));
	for (size_t i = 0; i < 300000; i++)
		many[i] = "y";
	assert_int_equal(ustack_build(TOP, many, 300000, NULL, 0, &aux, USTACK_DEFAULT_LIMIT, &img),
			 -E2BIG);
	assert_int_equal(ustack_build(TOP, many, 130000, many, 130000, &aux, USTACK_DEFAULT_LIMIT, &img),
			 -E2BIG);
	assert_int_equal(ustack_build(TOP, many, 100000, NULL, 0, &aux, USTACK_DEFAULT_LIMIT, &img), 0);
	assert_true(img.size <= USTACK_DEFAULT_LIMIT);
	{
		struct view v = { &img, TOP };
		walk(&v, many, 100000, NULL, 0);
	}
	ustack_release(&img);
	/* absurd counts must not overflow the size arithmetic */
	assert_int_equal(ustack_build(TOP, many, SIZE_MAX / 4, NULL, 0, &aux, SIZE_MAX, &img), -E2BIG);
	/* an image that does not fit below a low top */
	assert_int_equal(ustack_build(0x100, argv, 1, NULL, 0, &aux, 65536, &img), -E2BIG);
	free(many);
	free(big);
}

static void test_einval(void **state)
{
	struct ustack_aux aux = default_aux();
	struct ustack_image img;
	const char *argv[] = { "prog", NULL };

	assert_int_equal(ustack_build(TOP - 8, argv, 1, NULL, 0, &aux, 65536, &img), -EINVAL);
	assert_int_equal(ustack_build(TOP, argv, 2, NULL, 0, &aux, 65536, &img), -EINVAL);
	assert_int_equal(ustack_build(TOP, NULL, 1, NULL, 0, &aux, 65536, &img), -EINVAL);
	assert_int_equal(ustack_build(TOP, argv, 1, argv, 2, &aux, 65536, &img), -EINVAL);
	aux.random = NULL;
	assert_int_equal(ustack_build(TOP, argv, 1, NULL, 0, &aux, 65536, &img), -EINVAL);
	aux = default_aux();
	aux.execfn = NULL;
	assert_int_equal(ustack_build(TOP, argv, 1, NULL, 0, &aux, 65536, &img), -EINVAL);
	assert_null(img.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_back),
		cmocka_unit_test(test_optional_entries),
		cmocka_unit_test(test_empty_argv_envp),
		cmocka_unit_test(test_alignment_sweep),
		cmocka_unit_test(test_auxv_order_matches_linux),
		cmocka_unit_test(test_e2big),
		cmocka_unit_test(test_einval),
	};
	return cmocka_run_group_tests_name("ustack", tests, NULL, NULL);
}
