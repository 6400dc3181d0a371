/*
 * ustack.c - the initial user stack image: sizes everything first (so the
 * ARG_MAX-style limit is checked before any allocation), then writes the
 * strings top down and the argc/argv/envp/auxv tables up from rsp.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <tessera/errno.h>
#include "ustack.h"

#define WORD 8u
#define MAX_AUXV 24   /* pairs, AT_NULL included; ustack_build writes at most 21 */

static const char default_platform[] = "x86_64";

/* Add n to *total unless that would pass limit. */
static bool grow(size_t *total, size_t n, size_t limit)
{
	if (n > limit || *total > limit - n)
		return false;
	*total += n;
	return true;
}

/* Total length of count strings with their NULs, or -E2BIG / -EINVAL. */
static int strings_size(const char *const *v, size_t count, size_t limit, size_t *total)
{
	for (size_t i = 0; i < count; i++) {
		size_t len;

		if (!v[i])
			return -EINVAL;
		len = strnlen(v[i], USTACK_MAX_STRLEN);
		if (len >= USTACK_MAX_STRLEN)
			return -E2BIG;
		if (!grow(total, len + 1, limit))
			return -E2BIG;
	}
	return 0;
}

struct auxv { uint64_t key, val; };

/* The auxv, in Linux's order (fs/binfmt_elf.c create_elf_tables). */
static size_t fill_auxv(struct auxv *a, const struct ustack_aux *x, uint64_t random,
			uint64_t execfn, uint64_t platform)
{
	size_t n = 0;

	if (x->sysinfo_ehdr)
		a[n++] = (struct auxv){ AT_SYSINFO_EHDR, x->sysinfo_ehdr };
	if (x->minsigstksz)
		a[n++] = (struct auxv){ AT_MINSIGSTKSZ, x->minsigstksz };
	a[n++] = (struct auxv){ AT_HWCAP, x->hwcap };
	a[n++] = (struct auxv){ AT_PAGESZ, x->pagesz ? x->pagesz : 4096 };
	a[n++] = (struct auxv){ AT_CLKTCK, x->clktck ? x->clktck : 100 };
	a[n++] = (struct auxv){ AT_PHDR, x->phdr };
	a[n++] = (struct auxv){ AT_PHENT, x->phent };
	a[n++] = (struct auxv){ AT_PHNUM, x->phnum };
	a[n++] = (struct auxv){ AT_BASE, x->base };
	a[n++] = (struct auxv){ AT_FLAGS, x->flags };
	a[n++] = (struct auxv){ AT_ENTRY, x->entry };
	a[n++] = (struct auxv){ AT_UID, x->uid };
	a[n++] = (struct auxv){ AT_EUID, x->euid };
	a[n++] = (struct auxv){ AT_GID, x->gid };
	a[n++] = (struct auxv){ AT_EGID, x->egid };
	a[n++] = (struct auxv){ AT_SECURE, x->secure ? 1 : 0 };
	a[n++] = (struct auxv){ AT_RANDOM, random };
	a[n++] = (struct auxv){ AT_HWCAP2, x->hwcap2 };
	a[n++] = (struct auxv){ AT_EXECFN, execfn };
	a[n++] = (struct auxv){ AT_PLATFORM, platform };
	a[n++] = (struct auxv){ AT_NULL, 0 };
	return n;
}

static void put_word(uint8_t *buf, uint64_t rsp, uint64_t addr, uint64_t v)
{
	memcpy(buf + (addr - rsp), &v, sizeof(v));
}

/* Copy the strings to consecutive addresses from *at; table (a user address)
 * receives each one's address. */
static void put_strings(uint8_t *buf, uint64_t rsp, uint64_t *at, const char *const *v,
			size_t count, uint64_t table)
{
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(v[i]) + 1;

		memcpy(buf + (*at - rsp), v[i], len);
		put_word(buf, rsp, table + i * WORD, *at);
		*at += len;
	}
}

/* Round the distance below top up to 16 (top is 16-aligned), within limit. */
static bool align16(size_t *d, size_t limit)
{
	size_t pad = (16 - (*d & 15)) & 15;

	return grow(d, pad, limit);
}

int ustack_build(uint64_t top, const char *const *argv, size_t argc,
		 const char *const *envp, size_t envc, const struct ustack_aux *aux,
		 size_t limit, struct ustack_image *img)
{
	const char *platform = aux->platform ? aux->platform : default_platform;
	size_t strs = 0, execfn_len = 0, platform_len, nav, d;
	uint64_t execfn_at, platform_at, random_at, strings_at, argv_at, envp_at, auxv_at;
	uint64_t rsp, at;
	struct auxv av[MAX_AUXV];
	uint8_t *buf;
	int err;

	memset(img, 0, sizeof(*img));
	if (limit > SIZE_MAX / 2)
		limit = SIZE_MAX / 2;  /* keeps the table size below from overflowing */
	if ((top & 15) || !aux->random || !aux->execfn || (argc && !argv) || (envc && !envp))
		return -EINVAL;
	platform_len = strnlen(platform, 64) + 1;
	if (platform_len > 64)
		return -EINVAL;

	if (argc > limit / WORD || envc > limit / WORD - argc)
		return -E2BIG;
	err = strings_size(argv, argc, limit, &strs);
	if (!err)
		err = strings_size(envp, envc, limit, &strs);
	if (!err) {
		size_t e = 0;
		err = strings_size(&aux->execfn, 1, limit, &e);
		execfn_len = e;
	}
	if (err)
		return err;

	/* Distances below top, each step checked against limit (Linux order):
	 * guard word, execfn, env strings, arg strings | platform, random |
	 * argc, argv, NULL, envp, NULL, auxv. */
	d = 0;
	if (!grow(&d, WORD + execfn_len, limit))
		return -E2BIG;
	execfn_at = top - d;
	if (!grow(&d, strs, limit))
		return -E2BIG;
	strings_at = top - d;
	if (!align16(&d, limit) || !grow(&d, platform_len, limit))
		return -E2BIG;
	platform_at = top - d;
	if (!grow(&d, USTACK_RANDOM_BYTES, limit) || !align16(&d, limit))
		return -E2BIG;
	random_at = top - d;          /* 16-aligned, just above the tables */
	nav = fill_auxv(av, aux, random_at, execfn_at, platform_at);
	if (!grow(&d, (1 + (argc + 1) + (envc + 1) + nav * 2) * WORD, limit) ||
	    !align16(&d, limit))
		return -E2BIG;
	if (d > top)
		return -E2BIG;
	rsp = top - d;

	buf = calloc(1, d);
	if (!buf)
		return -ENOMEM;
	argv_at = rsp + WORD;
	envp_at = argv_at + (argc + 1) * WORD;
	auxv_at = envp_at + (envc + 1) * WORD;

	/* argc, then the argv and envp pointers as their strings are placed.
	 * The NULL terminators and the padding are already zero (calloc). */
	put_word(buf, rsp, rsp, argc);
	at = strings_at;
	put_strings(buf, rsp, &at, argv, argc, argv_at);
	put_strings(buf, rsp, &at, envp, envc, envp_at);
	memcpy(buf + (execfn_at - rsp), aux->execfn, execfn_len);
	memcpy(buf + (platform_at - rsp), platform, platform_len);
	memcpy(buf + (random_at - rsp), aux->random, USTACK_RANDOM_BYTES);
	for (size_t i = 0; i < nav; i++) {
		put_word(buf, rsp, auxv_at + i * 2 * WORD, av[i].key);
		put_word(buf, rsp, auxv_at + i * 2 * WORD + WORD, av[i].val);
	}

	img->buf = buf;
	img->size = d;
	img->rsp = rsp;
	img->argv = argv_at;
	img->envp = envp_at;
	img->auxv = auxv_at;
	img->strings = strings_at;
	img->random = random_at;
	return 0;
}

void ustack_release(struct ustack_image *img)
{
	free(img->buf);
	img->buf = NULL;
	img->size = 0;
}
