/*
 * ustack.h - build the initial user stack of a new program the way Linux
 * does (argc, argv, envp, auxv, strings, AT_RANDOM bytes) as a byte image
 * the caller copies to the top of the new stack. Pure logic, host-testable.
 */
#ifndef MONITORS_PROCESS_USTACK_H
#define MONITORS_PROCESS_USTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* auxv keys (Linux <uapi/linux/auxvec.h>; same spelling as libc's <elf.h>) */
#ifndef AT_RANDOM
#define AT_NULL          0
#define AT_PHDR          3
#define AT_PHENT         4
#define AT_PHNUM         5
#define AT_PAGESZ        6
#define AT_BASE          7
#define AT_FLAGS         8
#define AT_ENTRY         9
#define AT_UID           11
#define AT_EUID          12
#define AT_GID           13
#define AT_EGID          14
#define AT_PLATFORM      15
#define AT_HWCAP         16
#define AT_CLKTCK        17
#define AT_SECURE        23
#define AT_RANDOM        25
#define AT_HWCAP2        26
#define AT_EXECFN        31
#define AT_SYSINFO_EHDR  33
#define AT_MINSIGSTKSZ   51
#endif

#define USTACK_RANDOM_BYTES 16
/* Longest single argument or environment string, NUL included (Linux
 * MAX_ARG_STRLEN); a longer one gets -E2BIG. */
#define USTACK_MAX_STRLEN   (32u * 4096u)
/* A sensible default for limit: Linux's ARG_MAX-like bound for an 8 MiB
 * stack is 2 MiB; the process monitor may choose less. */
#define USTACK_DEFAULT_LIMIT (2u * 1024u * 1024u)

/* What goes into auxv. Zero values are passed as zero unless noted. */
struct ustack_aux {
	uint64_t phdr, phent, phnum;   /* the program's (not the interpreter's) */
	uint64_t pagesz;               /* 0 means 4096 */
	uint64_t base;                 /* interpreter bias, 0 for a static program */
	uint64_t flags;
	uint64_t entry;                /* the program's entry (biased) */
	uint64_t uid, euid, gid, egid;
	bool secure;
	uint64_t hwcap, hwcap2;
	uint64_t clktck;               /* 0 means 100 */
	const uint8_t *random;         /* USTACK_RANDOM_BYTES bytes, copied to the stack */
	const char *execfn;            /* AT_EXECFN string (the path given to execve) */
	const char *platform;          /* NULL means "x86_64" */
	uint64_t sysinfo_ehdr;         /* vDSO address; 0 leaves AT_SYSINFO_EHDR out */
	uint64_t minsigstksz;          /* 0 leaves AT_MINSIGSTKSZ out */
};

/*
 * The built image: size bytes that belong at [top - size, top) in the new
 * address space. rsp = top - size, 16-byte aligned, points at argc. The
 * other fields are user addresses inside the image, for logging and tests.
 */
struct ustack_image {
	uint8_t *buf;
	size_t size;
	uint64_t rsp;
	uint64_t argv, envp, auxv;     /* the three arrays */
	uint64_t strings;              /* lowest string byte (argv[0]'s text) */
	uint64_t random;               /* the AT_RANDOM bytes */
};

/*
 * Lay out the stack for argv[0..argc) and envp[0..envc) below top (16-byte
 * aligned user address). limit bounds the whole image, like Linux's ARG_MAX:
 * bigger, or any string of USTACK_MAX_STRLEN bytes or more, gives -E2BIG.
 * -EINVAL for a misaligned top, missing random bytes or execfn, or a NULL
 * string; -ENOMEM if the image buffer cannot be allocated. On success
 * img->buf is malloc'd: release it with ustack_release().
 *
 * Layout, top down (as Linux create_elf_tables): 8 zero bytes, the execfn
 * string, the environment strings, the argument strings, alignment to 16,
 * the platform string, the 16 random bytes, alignment, then from rsp up:
 * argc, argv[], NULL, envp[], NULL, auxv pairs ending with AT_NULL.
 * Set rdx = 0 at entry (glibc takes it as an atexit function).
 */
int ustack_build(uint64_t top, const char *const *argv, size_t argc,
		 const char *const *envp, size_t envc, const struct ustack_aux *aux,
		 size_t limit, struct ustack_image *img);

void ustack_release(struct ustack_image *img);

#endif
