/*
 * tests/unit/test_elf.c - ELF load planning (monitors/process/elf.c) on real
 * host binaries of all four kinds (busybox-static, musl-gcc -static,
 * gcc -static-pie, /bin/ls, gcc -no-pie, ld.so itself), each plan checked
 * against an independent reading of `readelf -hlW`; then crafted and
 * corrupted files: another architecture, every truncation of the headers,
 * seeded byte flips, and each overflow and consistency check by its reason.
 * Needs busybox-static, musl-tools, gcc with static glibc, binutils.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "monitors/process/elf.h"
#include "monitors/process/ustack.h"

#define PAGE 0x1000ull
static uint64_t pdown(uint64_t a) { return a & ~(PAGE - 1); }
static uint64_t pup(uint64_t a) { return (a + PAGE - 1) & ~(PAGE - 1); }

/* ---- sources ------------------------------------------------------------------ */

/* Memory-backed file; avail < size simulates a file shorter than its size. */
struct mem_file {
	const uint8_t *data;
	uint64_t avail;
	unsigned calls;
	uint64_t bytes;
	bool oversize;      /* a read asked for more than ELF_READ_MAX */
	int fail_errno;     /* nonzero: every read fails with -fail_errno */
};

static int mem_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct mem_file *m = ctx;

	m->calls++;
	if (len > ELF_READ_MAX) {
		m->oversize = true;
		return -EINVAL;
	}
	if (m->fail_errno)
		return -m->fail_errno;
	if (off >= m->avail)
		return 0;
	if (len > m->avail - off)
		len = (uint32_t)(m->avail - off);
	memcpy(buf, m->data + off, len);
	m->bytes += len;
	return (int)len;
}

static int plan_mem(const uint8_t *data, uint64_t avail, uint64_t size, uint64_t base,
		    struct elf_plan *p, struct mem_file *m)
{
	struct elf_source src = { mem_read, m, size };
	int rc;

	memset(m, 0, sizeof(*m));
	m->data = data;
	m->avail = avail;
	rc = elf_plan_load(&src, base, p);
	assert_false(m->oversize);
	return rc;
}

struct file_data { uint8_t *data; size_t size; };

static struct file_data slurp(const char *path)
{
	struct file_data f = { 0 };
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	f.size = (size_t)st.st_size;
	f.data = malloc(f.size ? f.size : 1);
	assert_non_null(f.data);
	assert_int_equal(pread(fd, f.data, f.size, 0), (ssize_t)f.size);
	close(fd);
	return f;
}

/* ---- the independent reading: readelf -hlW -------------------------------------- */

struct ref_ph {
	char type[24];
	uint64_t off, vaddr, filesz, memsz, align;
	bool r, w, x;
};

struct ref_elf {
	bool dyn;
	uint64_t entry, phoff;
	unsigned phnum;
	struct ref_ph ph[64];
	unsigned nph;
	char interp[256];
};

static void read_ref(const char *path, struct ref_elf *r)
{
	char cmd[512], line[512];
	FILE *f;

	memset(r, 0, sizeof(*r));
	snprintf(cmd, sizeof(cmd), "LC_ALL=C readelf -hlW '%s'", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t");
		char *tok[16];
		unsigned n = 0;

		if (strncmp(s, "Type:", 5) == 0) {
			r->dyn = strstr(s, "DYN") != NULL;
			continue;
		}
		if (sscanf(s, "Entry point address: %" SCNx64, &r->entry) == 1)
			continue;
		if (sscanf(s, "Start of program headers: %" SCNu64, &r->phoff) == 1)
			continue;
		if (sscanf(s, "Number of program headers: %u", &r->phnum) == 1)
			continue;
		if (sscanf(s, "[Requesting program interpreter: %255[^]]]", r->interp) == 1)
			continue;
		if (strncmp(s, "0x", 2) == 0 || !strchr(s, ' '))
			continue;
		/* TYPE OFF VADDR PADDR FILESZ MEMSZ FLAGS... ALIGN */
		for (char *t = strtok(s, " \t\n"); t && n < 16; t = strtok(NULL, " \t\n"))
			tok[n++] = t;
		if (n < 8 || strncmp(tok[1], "0x", 2) != 0 || strncmp(tok[2], "0x", 2) != 0 ||
		    strncmp(tok[n - 1], "0x", 2) != 0 || strncmp(tok[5], "0x", 2) != 0)
			continue;
		assert_true(r->nph < 64);
		struct ref_ph *ph = &r->ph[r->nph++];
		snprintf(ph->type, sizeof(ph->type), "%s", tok[0]);
		ph->off = strtoull(tok[1], NULL, 16);
		ph->vaddr = strtoull(tok[2], NULL, 16);
		ph->filesz = strtoull(tok[4], NULL, 16);
		ph->memsz = strtoull(tok[5], NULL, 16);
		ph->align = strtoull(tok[n - 1], NULL, 16);
		for (unsigned i = 6; i < n - 1; i++) {
			ph->r |= strchr(tok[i], 'R') != NULL;
			ph->w |= strchr(tok[i], 'W') != NULL;
			ph->x |= strchr(tok[i], 'E') != NULL;
		}
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(r->nph, r->phnum);
	assert_true(r->nph > 0);
}

/* Plan the file through a pread source and compare with the reference. */
struct file_src { int fd; unsigned calls; uint64_t bytes; bool oversize; };

static int file_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct file_src *f = ctx;
	ssize_t n;

	f->calls++;
	if (len > ELF_READ_MAX) {
		f->oversize = true;
		return -EINVAL;
	}
	n = pread(f->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	f->bytes += (uint64_t)n;
	return (int)n;
}

static void check_against_readelf(const char *path, uint64_t base, enum elf_kind kind,
				  struct elf_plan *p)
{
	struct ref_elf ref;
	struct file_src fs = { 0 };
	struct stat st;
	struct elf_source src;
	uint64_t bias = 0, phdr = 0;
	bool stack_x = false;
	unsigned n = 0;
	int rc;

	read_ref(path, &ref);
	fs.fd = open(path, O_RDONLY);
	assert_true(fs.fd >= 0);
	assert_int_equal(fstat(fs.fd, &st), 0);
	src = (struct elf_source){ file_read, &fs, (uint64_t)st.st_size };
	rc = elf_plan_load(&src, base, p);
	close(fs.fd);
	if (rc)
		fail_msg("%s: rc %d: %s", path, rc, p->reason);
	assert_false(fs.oversize);
	/* Header, program headers and PT_INTERP only: one read of the first page. */
	assert_true(fs.calls <= 3);
	assert_true(fs.bytes <= 4096 + 64 * 56 + 256);

	assert_int_equal(p->kind, kind);
	assert_int_equal(p->type, ref.dyn ? 3 : 2);
	assert_string_equal(p->interp, ref.interp);
	assert_int_equal(p->has_interp, ref.interp[0] != '\0');
	assert_int_equal(p->phnum, ref.phnum);
	assert_int_equal(p->phent, 56);

	for (unsigned i = 0; i < ref.nph; i++) {
		if (strcmp(ref.ph[i].type, "LOAD") == 0 && ref.ph[i].memsz) {
			if (n == 0 && ref.dyn)
				bias = base - pdown(ref.ph[i].vaddr);
			n++;
		}
		if (strcmp(ref.ph[i].type, "GNU_STACK") == 0)
			stack_x = ref.ph[i].x;
	}
	assert_int_equal(p->nseg, n);
	assert_int_equal(p->bias, bias);
	assert_int_equal(p->entry, ref.entry + bias);
	assert_int_equal(p->stack_exec, stack_x);

	n = 0;
	for (unsigned i = 0; i < ref.nph; i++) {
		const struct ref_ph *ph = &ref.ph[i];
		const struct elf_segment *s;

		if (strcmp(ph->type, "PHDR") == 0)
			phdr = ph->vaddr + bias;
		if (strcmp(ph->type, "LOAD") != 0 || !ph->memsz)
			continue;
		s = &p->seg[n++];
		assert_int_equal(s->vaddr, ph->vaddr + bias);
		assert_int_equal(s->start, pdown(ph->vaddr + bias));
		/* end: the segment's last page, unless the next segment starts in it */
		uint64_t end = pup(ph->vaddr + ph->memsz + bias);
		for (unsigned j = i + 1; j < ref.nph; j++)
			if (strcmp(ref.ph[j].type, "LOAD") == 0 && ref.ph[j].memsz) {
				if (pdown(ref.ph[j].vaddr + bias) < end)
					end = pdown(ref.ph[j].vaddr + bias);
				break;
			}
		assert_int_equal(s->end, end);
		assert_int_equal(s->file_off, ph->off);
		assert_int_equal(s->file_len, ph->filesz);
		assert_int_equal(s->zero_start, ph->vaddr + ph->filesz + bias);
		assert_int_equal(s->zero_end, ph->vaddr + ph->memsz + bias);
		assert_int_equal(s->prot, (ph->r ? 1u : 0) | (ph->w ? 2u : 0) | (ph->x ? 4u : 0));
		if (!phdr && ph->off <= ref.phoff && ref.phoff + ref.phnum * 56 <= ph->off + ph->filesz)
			phdr = ph->vaddr + (ref.phoff - ph->off) + bias;
		if (n == 1)
			assert_int_equal(p->lo, pdown(ph->vaddr + bias));
		assert_true(p->hi >= pup(ph->vaddr + ph->memsz + bias));
	}
	assert_int_equal(p->phdr, phdr);
	assert_true(p->lo >= ELF_USER_MIN && p->hi <= ELF_USER_TOP);
}

/* ---- test programs built at set-up -------------------------------------------- */

static char tmpdir[] = "/tmp/test_elf.XXXXXX";
static char musl_static[128], glibc_static_pie[128], nopie_dyn[128];

static const char hello_c[] =
	"#include <stdio.h>\n"
	"int data_word = 42; char bss_buf[100000];\n"
	"int main(int c, char **v) { bss_buf[c] = 1; printf(\"hi %d\\n\", data_word); return 0; }\n";

static void build(const char *cc_flags, const char *out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s -o '%s' '%s/hello.c' >'%s/cc.log' 2>&1", cc_flags, out,
		 tmpdir, tmpdir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s/cc.log' >&2", tmpdir);
		if (system(cmd)) {
			/* the log is best effort */
		}
		fprintf(stderr, "test_elf: set-up failed: %s (install musl-tools and libc6-dev)\n",
			cc_flags);
		exit(1);
	}
}

static int setup_programs(void **state)
{
	char path[160];
	FILE *f;

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/hello.c", tmpdir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(hello_c, f);
	fclose(f);
	snprintf(musl_static, sizeof(musl_static), "%s/musl-static", tmpdir);
	snprintf(glibc_static_pie, sizeof(glibc_static_pie), "%s/static-pie", tmpdir);
	snprintf(nopie_dyn, sizeof(nopie_dyn), "%s/nopie-dyn", tmpdir);
	build("musl-gcc -static -O1", musl_static);
	build("gcc -static-pie -O1", glibc_static_pie);
	build("gcc -no-pie -O1", nopie_dyn);
	return 0;
}

static int teardown_programs(void **state)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- real binaries -------------------------------------------------------------- */

static void test_busybox_static(void **state)
{
	struct elf_plan *p = malloc(sizeof(*p));
	const struct elf_segment *rw = NULL;

	check_against_readelf("/bin/busybox", 0, ELF_KIND_STATIC, p);
	assert_int_equal(p->bias, 0);
	assert_false(p->has_interp);
	assert_int_equal(p->lo, 0x400000);   /* Debian's busybox-static is linked there */
	/* The RW segment starts mid-page and has a .bss tail: the exact case. */
	for (unsigned i = 0; i < p->nseg; i++)
		if (p->seg[i].prot & ELF_PROT_WRITE)
			rw = &p->seg[i];
	assert_non_null(rw);
	assert_true(rw->vaddr & (PAGE - 1));
	assert_int_equal(rw->file_off & (PAGE - 1), rw->vaddr & (PAGE - 1));
	assert_true(rw->zero_end > rw->zero_start);
	assert_int_equal(rw->zero_start, rw->vaddr + rw->file_len);
	assert_true(rw->zero_start & (PAGE - 1));   /* zero fill starts mid-page */
	/* glibc static: phdrs covered by the first PT_LOAD (no PT_PHDR). */
	assert_int_equal(p->phdr, 0x400000 + 64);
	free(p);
}

static void test_musl_static(void **state)
{
	struct elf_plan *p = malloc(sizeof(*p));

	check_against_readelf(musl_static, 0, ELF_KIND_STATIC, p);
	assert_false(p->stack_exec);
	assert_true(p->phdr != 0);
	free(p);
}

static void test_static_pie(void **state)
{
	struct elf_plan *p = malloc(sizeof(*p));

	check_against_readelf(glibc_static_pie, 0x7f0000000000ull, ELF_KIND_STATIC_PIE, p);
	assert_int_equal(p->lo, 0x7f0000000000ull);
	/* base 0: a static-pie ends at the top of the mmap area, like ld.so */
	{
		struct elf_plan *q = malloc(sizeof(*q));
		struct file_data f = slurp(glibc_static_pie);
		struct mem_file m;

		assert_int_equal(plan_mem(f.data, f.size, f.size, 0, q, &m), 0);
		assert_int_equal(q->hi, ELF_MMAP_TOP);
		check_against_readelf(glibc_static_pie, q->lo, ELF_KIND_STATIC_PIE, p);
		assert_int_equal(q->entry, p->entry);
		free(f.data);
		free(q);
	}
	free(p);
}

static void test_pie_ls(void **state)
{
	struct elf_plan *p = malloc(sizeof(*p));

	check_against_readelf("/bin/ls", ELF_PIE_BASE, ELF_KIND_PIE, p);
	assert_string_equal(p->interp, "/lib64/ld-linux-x86-64.so.2");
	assert_int_equal(p->lo, ELF_PIE_BASE);
	assert_int_equal(p->bias, ELF_PIE_BASE);
	assert_true(p->phdr > ELF_PIE_BASE);
	free(p);
}

static void test_nopie_dynamic(void **state)
{
	struct elf_plan *p = malloc(sizeof(*p));

	check_against_readelf(nopie_dyn, 0x12345000, ELF_KIND_DYN_EXEC, p);
	assert_int_equal(p->bias, 0);   /* ET_EXEC ignores the base */
	assert_string_equal(p->interp, "/lib64/ld-linux-x86-64.so.2");
	free(p);
}

static void test_interpreter_itself(void **state)
{
	struct elf_plan *p = malloc(sizeof(*p));
	char real[4096];

	assert_non_null(realpath("/lib64/ld-linux-x86-64.so.2", real));
	check_against_readelf(real, ELF_INTERP_BASE, ELF_KIND_STATIC_PIE, p);
	assert_int_equal(p->bias, ELF_INTERP_BASE);   /* AT_BASE */
	assert_true(p->hi <= ELF_MMAP_TOP);           /* the fixed base has room for it */
	{
		struct file_data f = slurp(real);
		struct mem_file m;

		assert_int_equal(plan_mem(f.data, f.size, f.size, 0, p, &m), 0);
		assert_int_equal(p->hi, ELF_MMAP_TOP);
		free(f.data);
	}
	free(p);
}

/* ---- crafted files ------------------------------------------------------------- */

#define IMG_SIZE 0x6000u
static uint8_t img[IMG_SIZE];

static void put16(unsigned off, uint16_t v) { memcpy(img + off, &v, 2); }
static void put32(unsigned off, uint32_t v) { memcpy(img + off, &v, 4); }
static void put64(unsigned off, uint64_t v) { memcpy(img + off, &v, 8); }

/* A minimal valid static ET_EXEC: RX text at 0x400000, RW data + bss. */
static void craft(unsigned phnum)
{
	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF", 4);
	img[4] = 2; img[5] = 1; img[6] = 1;
	put16(16, 2);               /* ET_EXEC */
	put16(18, 62);              /* EM_X86_64 */
	put32(20, 1);
	put64(24, 0x401000);        /* entry */
	put64(32, 64);              /* phoff */
	put16(52, 64);
	put16(54, 56);
	put16(56, (uint16_t)phnum);
}

static unsigned ph_off(unsigned i) { return 64 + 56 * i; }

static void ph(unsigned i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
	       uint64_t filesz, uint64_t memsz)
{
	unsigned o = ph_off(i);

	put32(o, type);
	put32(o + 4, flags);
	put64(o + 8, off);
	put64(o + 16, vaddr);
	put64(o + 24, vaddr);
	put64(o + 32, filesz);
	put64(o + 40, memsz);
	put64(o + 48, 0x1000);
}

static void craft_valid(void)
{
	craft(2);
	ph(0, 1, 5, 0, 0x400000, 0x1800, 0x1800);                /* R X */
	ph(1, 1, 6, 0x2100, 0x402100, 0x200, 0x3000);            /* RW + bss */
}

static int plan_img(struct elf_plan *p)
{
	struct mem_file m;

	return plan_mem(img, IMG_SIZE, IMG_SIZE, 0, p, &m);
}

static void expect_reject(int want_rc, enum elf_reject want, const char *text)
{
	struct elf_plan p;
	int rc = plan_img(&p);

	if (rc != want_rc || p.reject != want || !strstr(p.reason, text))
		fail_msg("got rc %d reject %s \"%s\"; want rc %d reject %s \"%s\"", rc,
			 elf_reject_name(p.reject), p.reason, want_rc, elf_reject_name(want), text);
	assert_int_equal(p.nseg, 0);   /* nothing usable in a refused plan */
}

static void test_crafted_valid(void **state)
{
	struct elf_plan p;

	craft_valid();
	assert_int_equal(plan_img(&p), 0);
	assert_int_equal(p.kind, ELF_KIND_STATIC);
	assert_int_equal(p.nseg, 2);
	assert_int_equal(p.seg[0].start, 0x400000);
	assert_int_equal(p.seg[0].end, 0x402000);
	assert_int_equal(p.seg[0].prot, ELF_PROT_READ | ELF_PROT_EXEC);
	assert_int_equal(p.seg[1].start, 0x402000);
	assert_int_equal(p.seg[1].end, 0x406000);
	assert_int_equal(p.seg[1].prot, ELF_PROT_READ | ELF_PROT_WRITE);
	assert_int_equal(p.seg[1].vaddr, 0x402100);
	assert_int_equal(p.seg[1].file_off, 0x2100);
	assert_int_equal(p.seg[1].file_len, 0x200);
	assert_int_equal(p.seg[1].zero_start, 0x402300);
	assert_int_equal(p.seg[1].zero_end, 0x405100);
	assert_int_equal(p.entry, 0x401000);
	assert_int_equal(p.phdr, 0x400040);
	assert_int_equal(p.lo, 0x400000);
	assert_int_equal(p.hi, 0x406000);
	assert_false(p.stack_exec);
	assert_int_equal(p.reject, ELF_OK);
}

static void test_another_architecture(void **state)
{
	craft_valid();
	put16(18, 183);
	expect_reject(-ENOEXEC, ELF_E_MACHINE, "ELF for another architecture (machine 183, aarch64)");
	put16(18, 0x1234);
	expect_reject(-ENOEXEC, ELF_E_MACHINE, "ELF for another architecture (machine 4660)");
	/* 32-bit x86 is a class problem and says so */
	craft_valid();
	img[4] = 1;
	put16(18, 3);
	expect_reject(-ENOEXEC, ELF_E_CLASS, "32-bit ELF (machine 3, i386)");
}

static void test_header_rejections(void **state)
{
	struct elf_plan p;
	struct mem_file m;
	static const uint8_t script[] = "#!/bin/sh\necho hi\n";

	assert_int_equal(plan_mem(script, sizeof(script), sizeof(script), 0, &p, &m), -ENOEXEC);
	assert_int_equal(p.reject, ELF_E_NOT_ELF);
	assert_string_equal(p.reason, "not an ELF file");
	assert_int_equal(plan_mem(script, 0, 0, 0, &p, &m), -ENOEXEC);
	assert_int_equal(p.reject, ELF_E_NOT_ELF);

	craft_valid(); img[4] = 0;  expect_reject(-ENOEXEC, ELF_E_CLASS, "bad ELF class 0");
	craft_valid(); img[5] = 2;  expect_reject(-ENOEXEC, ELF_E_DATA, "not little-endian");
	craft_valid(); put16(16, 1); expect_reject(-ENOEXEC, ELF_E_TYPE, "ELF type 1 is not an executable");
	craft_valid(); put16(16, 4); expect_reject(-ENOEXEC, ELF_E_TYPE, "ELF type 4");
	craft_valid(); put16(54, 32); expect_reject(-ENOEXEC, ELF_E_PHENTSIZE, "program header size 32");
	craft_valid(); put16(56, 0); expect_reject(-ENOEXEC, ELF_E_PHNUM, "0 program headers");
	craft_valid(); put16(56, 65); expect_reject(-ENOEXEC, ELF_E_PHNUM, "65 program headers");
	craft_valid(); put16(56, 0xffff); expect_reject(-ENOEXEC, ELF_E_PHNUM, "65535 program headers");
	craft_valid(); put64(32, 0xffffffffffffff00ull);
	expect_reject(-ENOEXEC, ELF_E_TRUNCATED, "truncated ELF: program headers beyond end of file");
	craft_valid(); put64(32, IMG_SIZE - 100);
	expect_reject(-ENOEXEC, ELF_E_TRUNCATED, "truncated ELF: program headers beyond end of file");
}

static void test_segment_rejections(void **state)
{
	/* no PT_LOAD (a PT_LOAD of size zero does not count) */
	craft(2);
	ph(0, 4, 4, 0x100, 0x400100, 0x10, 0x10);
	ph(1, 1, 4, 0, 0x400000, 0, 0);
	expect_reject(-ENOEXEC, ELF_E_NO_LOAD, "no loadable segment");

	craft(17);
	for (unsigned i = 0; i < 17; i++)
		ph(i, 1, 4, 0, 0x400000 + i * 0x1000ull, 0x100, 0x100);
	expect_reject(-ENOEXEC, ELF_E_TOO_MANY_LOADS, "more than 16 PT_LOAD");

	craft_valid(); ph(1, 1, 6, 0x1100, 0x401100, 0x200, 0x3000);
	expect_reject(-ENOEXEC, ELF_E_LOAD_ORDER, "segment 1 at 0x401100 overlaps or precedes");
	craft_valid(); ph(1, 1, 6, 0x2100, 0x3ff100, 0x200, 0x300);
	expect_reject(-ENOEXEC, ELF_E_LOAD_ORDER, "overlaps or precedes");

	craft_valid(); ph(1, 1, 6, 0x2100, 0x402100, 0x3001, 0x3000);
	expect_reject(-ENOEXEC, ELF_E_FILESZ, "segment 1: file size 0x3001 exceeds memory size");

	craft_valid(); ph(1, 1, 6, 0x5100, 0x405100, 0x1000, 0x3000);
	expect_reject(-ENOEXEC, ELF_E_FILE_RANGE, "truncated ELF: segment 1 data beyond end of file");
	craft_valid(); ph(1, 1, 6, 0xfffffffffffff100ull, 0x402100, 0x1000, 0x3000);
	expect_reject(-ENOEXEC, ELF_E_FILE_RANGE, "beyond end of file");

	craft_valid(); ph(1, 1, 6, 0x2100, 0x402200, 0x200, 0x3000);
	expect_reject(-ENOEXEC, ELF_E_ALIGN, "differ modulo the page size");

	/* address overflow and user-space bounds */
	craft_valid(); ph(1, 1, 6, 0x2100, 0xfffffffffffff100ull, 0x200, 0x3000);
	expect_reject(-ENOEXEC, ELF_E_ADDR, "extends beyond user space");
	craft_valid(); ph(1, 1, 6, 0x2100, 0x7ffffff00100ull, 0x200, 0xfffffffffffff000ull);
	expect_reject(-ENOEXEC, ELF_E_ADDR, "extends beyond user space");
	craft_valid(); ph(1, 1, 6, 0x2100, ELF_USER_TOP - 0x1f00, 0x200, 0x1f01);
	expect_reject(-ENOEXEC, ELF_E_ADDR, "beyond user space");
	craft_valid(); ph(0, 1, 5, 0, 0, 0x1800, 0x1800); put64(24, 0x1000);
	ph(1, 1, 6, 0x2100, 0x2100, 0x200, 0x300);
	expect_reject(-ENOEXEC, ELF_E_ADDR, "image at 0x0");

	craft_valid(); put64(24, 0x406000);
	expect_reject(-ENOEXEC, ELF_E_ENTRY, "entry point 0x406000 is outside");
}

static void test_user_top_boundary(void **state)
{
	struct elf_plan p;

	/* a segment ending exactly at the top of user space is fine */
	craft_valid(); ph(1, 1, 6, 0x2100, ELF_USER_TOP - 0x1f00, 0x200, 0x1f00);
	assert_int_equal(plan_img(&p), 0);
	assert_int_equal(p.hi, ELF_USER_TOP);
	/* lowest allowed address */
	craft_valid();
	ph(0, 1, 5, 0, ELF_USER_MIN, 0x1800, 0x1800); put64(24, ELF_USER_MIN);
	ph(1, 1, 6, 0x2100, ELF_USER_MIN + 0x2100, 0x200, 0x300);
	assert_int_equal(plan_img(&p), 0);
	assert_int_equal(p.lo, ELF_USER_MIN);
	put64(ph_off(0) + 16, ELF_USER_MIN - PAGE);
	put64(ph_off(0) + 40, 0x1800 + PAGE);
	expect_reject(-ENOEXEC, ELF_E_ADDR, "outside user space");
}

static void set_interp(unsigned i, uint64_t off, const char *s, uint64_t len)
{
	memcpy(img + off, s, len);
	ph(i, 3, 4, off, 0x400000 + off, len, len);
}

static void test_dyn_base(void **state)
{
	struct elf_plan p;
	struct mem_file m;

	craft_valid();
	put16(16, 3);   /* ET_DYN, based at 0x400000 in the file: the bias moves it */
	assert_int_equal(plan_mem(img, IMG_SIZE, IMG_SIZE, 0x10000000, &p, &m), 0);
	assert_int_equal(p.kind, ELF_KIND_STATIC_PIE);
	assert_int_equal(p.bias, 0x10000000 - 0x400000);
	assert_int_equal(p.lo, 0x10000000);
	assert_int_equal(p.entry, 0x10001000);
	assert_int_equal(p.seg[1].zero_start, 0x10002300);

	assert_int_equal(plan_mem(img, IMG_SIZE, IMG_SIZE, 0x10000800, &p, &m), -EINVAL);
	assert_int_equal(p.reject, ELF_E_BASE);
	assert_int_equal(plan_mem(img, IMG_SIZE, IMG_SIZE, ELF_USER_TOP - 0x2000, &p, &m), -ENOEXEC);
	assert_int_equal(p.reject, ELF_E_ADDR);
	assert_int_equal(plan_mem(img, IMG_SIZE, IMG_SIZE, 0xfffffffffffff000ull, &p, &m), -ENOEXEC);
	assert_int_equal(p.reject, ELF_E_ADDR);
	assert_int_equal(plan_mem(img, IMG_SIZE, IMG_SIZE, 0x1000, &p, &m), -ENOEXEC);
	assert_int_equal(p.reject, ELF_E_ADDR);

	/* p_align above the page size: the default base honours it */
	put64(ph_off(0) + 48, 0x200000);
	assert_int_equal(plan_mem(img, IMG_SIZE, IMG_SIZE, 0, &p, &m), 0);
	assert_int_equal(p.align, 0x200000);
	assert_int_equal(p.lo, (ELF_MMAP_TOP - 0x6000) & ~0x1fffffull);
	/* a PIE's default base is rounded up to it */
	craft(3);
	put16(16, 3);
	ph(1, 1, 5, 0, 0, 0x1800, 0x1800);
	ph(2, 1, 6, 0x2100, 0x2100, 0x200, 0x3000);
	put64(ph_off(1) + 48, 0x200000);
	put64(24, 0x1000);
	set_interp(0, 0x200, "/lib/ld.so", 11);
	assert_int_equal(plan_mem(img, IMG_SIZE, IMG_SIZE, 0, &p, &m), 0);
	assert_int_equal(p.kind, ELF_KIND_PIE);
	assert_int_equal(p.lo, (ELF_PIE_BASE + 0x1fffff) & ~0x1fffffull);
	/* an image too big for the mmap area cannot be placed by default */
	craft_valid();
	put16(16, 3);
	ph(1, 1, 6, 0x2100, 0x402100, 0x200, ELF_MMAP_TOP);
	assert_int_equal(plan_mem(img, IMG_SIZE, IMG_SIZE, 0, &p, &m), -ENOEXEC);
	assert_int_equal(p.reject, ELF_E_ADDR);
	assert_non_null(strstr(p.reason, "does not fit in user space"));
}

static void test_interp(void **state)
{
	struct elf_plan p;
	char longp[300];

	craft(3);
	ph(1, 1, 5, 0, 0x400000, 0x1800, 0x1800);
	ph(2, 1, 6, 0x2100, 0x402100, 0x200, 0x3000);
	set_interp(0, 0x200, "/lib/ld-musl-x86_64.so.1", 25);
	assert_int_equal(plan_img(&p), 0);
	assert_int_equal(p.kind, ELF_KIND_DYN_EXEC);
	assert_string_equal(p.interp, "/lib/ld-musl-x86_64.so.1");

	set_interp(0, 0x200, "/lib/ld.so\0xx", 13);      /* embedded NUL */
	expect_reject(-ENOEXEC, ELF_E_INTERP, "not a single NUL-terminated string");
	set_interp(0, 0x200, "/lib/ld.soXX", 12);        /* no NUL */
	expect_reject(-ENOEXEC, ELF_E_INTERP, "not a single NUL-terminated string");
	set_interp(0, 0x200, "", 1);
	expect_reject(-ENOEXEC, ELF_E_INTERP, "interpreter path of 1 bytes");
	memset(longp, 'a', sizeof(longp));
	longp[sizeof(longp) - 1] = '\0';
	set_interp(0, 0x200, longp, sizeof(longp));
	expect_reject(-ENOEXEC, ELF_E_INTERP, "interpreter path of 300 bytes");
	/* exactly ELF_INTERP_MAX with its NUL is accepted */
	set_interp(0, 0x200, longp + sizeof(longp) - ELF_INTERP_MAX, ELF_INTERP_MAX);
	assert_int_equal(plan_img(&p), 0);
	assert_int_equal(strlen(p.interp), ELF_INTERP_MAX - 1);
	set_interp(0, 0x200, "/x", 3);
	put64(ph_off(0) + 8, IMG_SIZE - 2);
	expect_reject(-ENOEXEC, ELF_E_TRUNCATED, "truncated ELF: interpreter path beyond end of file");
	/* two PT_INTERPs */
	craft(4);
	ph(2, 1, 5, 0, 0x400000, 0x1800, 0x1800);
	ph(3, 1, 6, 0x2100, 0x402100, 0x200, 0x3000);
	set_interp(0, 0x200, "/a", 3);
	set_interp(1, 0x210, "/b", 3);
	expect_reject(-ENOEXEC, ELF_E_INTERP, "more than one PT_INTERP");
	/* an interpreter path outside the first page is read separately */
	craft(3);
	ph(1, 1, 5, 0, 0x400000, 0x1800, 0x1800);
	ph(2, 1, 6, 0x2100, 0x402100, 0x200, 0x3000);
	set_interp(0, 0x5000, "/far/away", 10);
	assert_int_equal(plan_img(&p), 0);
	assert_string_equal(p.interp, "/far/away");
}

static void test_phdr(void **state)
{
	struct elf_plan p;

	craft(3);
	ph(0, 6, 4, 64, 0x400040, 3 * 56, 3 * 56);   /* PT_PHDR */
	ph(1, 1, 5, 0, 0x400000, 0x1800, 0x1800);
	ph(2, 1, 6, 0x2100, 0x402100, 0x200, 0x3000);
	assert_int_equal(plan_img(&p), 0);
	assert_int_equal(p.phdr, 0x400040);
	put64(ph_off(0) + 16, 0x500000);
	expect_reject(-ENOEXEC, ELF_E_PHDR, "PT_PHDR at 0x500000 is not inside a loaded segment");
	put64(ph_off(0) + 16, 0x4017f0);   /* starts inside, runs past the end */
	expect_reject(-ENOEXEC, ELF_E_PHDR, "not inside");
	ph(0, 6, 4, 64, 0x400040, 3 * 56, 3 * 56);
	ph(2, 6, 4, 64, 0x400040, 3 * 56, 3 * 56);
	expect_reject(-ENOEXEC, ELF_E_PHDR, "more than one PT_PHDR");

	/* program headers placed after the first page, outside every segment */
	craft_valid();
	memmove(img + 0x3000, img + 64, 2 * 56);
	memset(img + 64, 0, 2 * 56);
	put64(32, 0x3000);
	assert_int_equal(plan_img(&p), 0);
	assert_int_equal(p.phdr, 0);     /* not in memory: AT_PHDR 0 */
	assert_int_equal(p.nseg, 2);
}

static void test_gnu_stack(void **state)
{
	struct elf_plan p;

	craft(3);
	ph(0, 1, 5, 0, 0x400000, 0x1800, 0x1800);
	ph(1, 1, 6, 0x2100, 0x402100, 0x200, 0x3000);
	ph(2, 0x6474e551u, 7, 0, 0, 0, 0);
	assert_int_equal(plan_img(&p), 0);
	assert_true(p.stack_exec);
	put32(ph_off(2) + 4, 6);
	assert_int_equal(plan_img(&p), 0);
	assert_false(p.stack_exec);
}

static void test_shared_pages(void **state)
{
	struct elf_plan p;

	/* segment 1 starts in segment 0's last page: that page is segment 1's */
	craft(3);
	ph(0, 1, 5, 0, 0x400000, 0x1800, 0x1800);
	ph(1, 1, 4, 0x1900, 0x401900, 0x100, 0x100);    /* same page as seg 0's tail */
	ph(2, 1, 6, 0x1a00, 0x401a00, 0x100, 0x2000);   /* and again */
	assert_int_equal(plan_img(&p), 0);
	assert_int_equal(p.nseg, 3);
	assert_int_equal(p.seg[0].start, 0x400000);
	assert_int_equal(p.seg[0].end, 0x401000);
	assert_int_equal(p.seg[1].start, 0x401000);
	assert_int_equal(p.seg[1].end, 0x401000);       /* empty: the page went on */
	assert_int_equal(p.seg[1].vaddr, 0x401900);     /* its data still goes there */
	assert_int_equal(p.seg[2].start, 0x401000);
	assert_int_equal(p.seg[2].end, 0x404000);
	assert_int_equal(p.seg[2].zero_start, 0x401b00);
	assert_int_equal(p.seg[2].zero_end, 0x403a00);
	for (unsigned i = 1; i < p.nseg; i++)
		assert_true(p.seg[i].start >= p.seg[i - 1].end);
}

static void test_read_errors(void **state)
{
	struct elf_plan p;
	struct mem_file m;
	struct elf_source src = { mem_read, &m, IMG_SIZE };

	craft_valid();
	memset(&m, 0, sizeof(m));
	m.data = img;
	m.avail = IMG_SIZE;
	m.fail_errno = EACCES;
	assert_int_equal(elf_plan_load(&src, 0, &p), -EACCES);
	assert_int_equal(p.reject, ELF_E_READ);
	assert_non_null(strstr(p.reason, "read error at offset 0x0 (errno 13)"));
	/* the file is shorter than the size given */
	assert_int_equal(plan_mem(img, 100, IMG_SIZE, 0, &p, &m), -EIO);
	assert_int_equal(p.reject, ELF_E_READ);
	assert_non_null(strstr(p.reason, "before its size"));
	/* interpreter beyond what can actually be read */
	craft(3);
	ph(1, 1, 5, 0, 0x400000, 0x1800, 0x1800);
	ph(2, 1, 6, 0x2100, 0x402100, 0x200, 0x3000);
	set_interp(0, 0x5000, "/far/away", 10);
	assert_int_equal(plan_mem(img, 0x5004, IMG_SIZE, 0, &p, &m), -EIO);
	assert_int_equal(p.reject, ELF_E_READ);
}

static void test_reject_names(void **state)
{
	for (int i = 0; i < ELF_E_COUNT; i++) {
		assert_string_not_equal(elf_reject_name(i), "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(elf_reject_name(i), elf_reject_name(j));
	}
	assert_string_equal(elf_reject_name(ELF_E_COUNT), "unknown");
	assert_string_equal(elf_kind_name(ELF_KIND_PIE), "pie");
	assert_string_equal(elf_kind_name(ELF_KIND_DYN_EXEC), "dynamic-exec");
}

/* ---- corruption ------------------------------------------------------------------ */

/* The end of everything the parser reads: header, phdrs, PT_INTERP. */
static uint64_t headers_end(const struct file_data *f)
{
	uint64_t phoff, end;
	uint16_t phnum;

	memcpy(&phoff, f->data + 32, 8);
	memcpy(&phnum, f->data + 56, 2);
	end = phoff + phnum * 56ull;
	for (unsigned i = 0; i < phnum; i++) {
		uint32_t type;
		uint64_t off, sz;
		memcpy(&type, f->data + phoff + 56 * i, 4);
		memcpy(&off, f->data + phoff + 56 * i + 8, 8);
		memcpy(&sz, f->data + phoff + 56 * i + 32, 8);
		if (type == 3 && off + sz > end)
			end = off + sz;
	}
	return end;
}

static const char *const real_files[] = { "/bin/busybox", "/bin/ls", musl_static, glibc_static_pie, nopie_dyn };

static void test_every_truncation(void **state)
{
	struct elf_plan *p = malloc(sizeof(*p));
	struct mem_file m;

	for (unsigned k = 0; k < sizeof(real_files) / sizeof(real_files[0]); k++) {
		struct file_data f = slurp(real_files[k]);
		uint64_t end = headers_end(&f);

		assert_int_equal(plan_mem(f.data, f.size, f.size, 0, p, &m), 0);
		for (uint64_t len = 0; len <= end + 64; len++) {
			/* honest size: a format error */
			int rc = plan_mem(f.data, len, len, 0, p, &m);
			if (rc != -ENOEXEC || p->reject == ELF_OK || !p->reason[0])
				fail_msg("%s cut at %llu: rc %d reason \"%s\"", real_files[k],
					 (unsigned long long)len, rc, p->reason);
			/* size claims the whole file, the data stops: a read error */
			rc = plan_mem(f.data, len, f.size, 0, p, &m);
			if (rc != -EIO || p->reject != ELF_E_READ)
				fail_msg("%s short at %llu: rc %d reason \"%s\"", real_files[k],
					 (unsigned long long)len, rc, p->reason);
		}
		free(f.data);
	}
	free(p);
}

static uint64_t rng_state = 0x5eed0f3e11ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* What every accepted plan must satisfy, whatever the input. */
static void check_invariants(const struct elf_plan *p, uint64_t size)
{
	assert_true(p->nseg >= 1 && p->nseg <= ELF_MAX_LOADS);
	assert_true(p->lo >= ELF_USER_MIN && p->lo < p->hi && p->hi <= ELF_USER_TOP);
	assert_true(p->entry >= p->lo && p->entry < p->hi);
	assert_true(p->phdr == 0 || (p->phdr >= p->lo && p->phdr < p->hi));
	assert_true(p->interp[ELF_INTERP_MAX - 1] == '\0');
	assert_int_equal(p->has_interp, p->interp[0] != '\0');
	for (unsigned i = 0; i < p->nseg; i++) {
		const struct elf_segment *s = &p->seg[i];
		assert_true(s->start % PAGE == 0 && s->end % PAGE == 0 && s->start <= s->end);
		assert_true(s->start >= p->lo && s->end <= p->hi);
		assert_true(s->vaddr >= p->lo && s->zero_end <= p->hi);
		assert_true(s->zero_start == s->vaddr + s->file_len && s->zero_start <= s->zero_end);
		assert_true(s->file_off <= size && s->file_len <= size - s->file_off);
		assert_true((s->vaddr - s->file_off) % PAGE == 0);
		if (i)
			assert_true(s->start >= p->seg[i - 1].end && s->vaddr >= p->seg[i - 1].zero_end);
	}
}

static void test_random_flips(void **state)
{
	struct elf_plan *p = malloc(sizeof(*p));
	struct mem_file m;
	unsigned accepted = 0, rejected = 0;

	for (unsigned k = 0; k < sizeof(real_files) / sizeof(real_files[0]); k++) {
		struct file_data f = slurp(real_files[k]);
		uint64_t end = headers_end(&f);
		uint8_t *orig = malloc(end);

		memcpy(orig, f.data, end);
		for (unsigned iter = 0; iter < 4000; iter++) {
			unsigned flips = 1 + rng() % 4;
			for (unsigned j = 0; j < flips; j++) {
				uint64_t at = rng() % end;
				if (rng() & 1)
					f.data[at] ^= (uint8_t)(1u << (rng() % 8));
				else
					f.data[at] = (uint8_t)rng();
			}
			uint64_t base = (rng() & 3) ? 0 : (rng() & 0x7fffffffffffull);
			int rc = plan_mem(f.data, f.size, f.size, base, p, &m);
			if (rc == 0) {
				check_invariants(p, f.size);
				accepted++;
			} else {
				assert_true(rc == -ENOEXEC || rc == -EINVAL);
				assert_true(p->reject != ELF_OK && p->reason[0]);
				rejected++;
			}
			memcpy(f.data, orig, end);
		}
		free(orig);
		free(f.data);
	}
	print_message("flips: %u accepted, %u rejected\n", accepted, rejected);
	assert_true(accepted > 0 && rejected > 0);
	free(p);
}

/* ---- the plan and the stack, executed ------------------------------------------- */

/*
 * The strongest check of both the plan and monitors/process/ustack.c: in a
 * forked child, create the regions exactly as the plan says (fresh zeroed
 * memory, file bytes copied in, protections applied), load the interpreter
 * the same way, build the initial stack, and jump to the entry with rsp
 * and rdx = 0 as the kernel will. Real libc start-up code (glibc static,
 * glibc static-pie, musl, ld.so) then runs on our auxv; the parent checks
 * the program's output and exit status.
 */
static void load_plan(int fd, const struct elf_plan *p)
{
	for (unsigned i = 0; i < p->nseg; i++) {
		const struct elf_segment *s = &p->seg[i];
		if (s->start < s->end &&
		    mmap((void *)s->start, s->end - s->start, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (void *)s->start)
			_exit(101);
	}
	for (unsigned i = 0; i < p->nseg; i++) {
		const struct elf_segment *s = &p->seg[i];
		if (pread(fd, (void *)s->vaddr, s->file_len, (off_t)s->file_off) != (ssize_t)s->file_len)
			_exit(102);
		memset((void *)s->zero_start, 0, s->zero_end - s->zero_start);
	}
	for (unsigned i = 0; i < p->nseg; i++) {
		const struct elf_segment *s = &p->seg[i];
		if (s->start < s->end && mprotect((void *)s->start, s->end - s->start, (int)s->prot))
			_exit(103);
	}
}

static int open_plan(const char *path, uint64_t base, struct elf_plan *p)
{
	struct file_src fs = { 0 };
	struct stat st;
	struct elf_source src;

	fs.fd = open(path, O_RDONLY);
	if (fs.fd < 0 || fstat(fs.fd, &st))
		_exit(104);
	src = (struct elf_source){ file_read, &fs, (uint64_t)st.st_size };
	if (elf_plan_load(&src, base, p))
		_exit(105);
	return fs.fd;
}

static __attribute__((noreturn)) void exec_child(const char *path, uint64_t base,
						 const char *const *argv, size_t argc)
{
	static struct elf_plan exe, interp;
	static const char *const envp[] = { "PATH=/bin:/usr/bin", "LC_ALL=C" };
	static const uint8_t random16[16] = "0123456789abcdef";
	struct ustack_aux aux = { 0 };
	struct ustack_image st;
	uint64_t entry, stack_lo = 0x3f0000000000ull, stack_size = 1u << 20, top;
	int fd = open_plan(path, base, &exe);

	load_plan(fd, &exe);
	close(fd);
	entry = exe.entry;
	if (exe.has_interp) {
		fd = open_plan(exe.interp, 0x310000000000ull, &interp);
		load_plan(fd, &interp);
		close(fd);
		entry = interp.entry;
		aux.base = interp.bias;
	}
	if (mmap((void *)stack_lo, stack_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (void *)stack_lo)
		_exit(106);
	top = stack_lo + stack_size;
	aux.phdr = exe.phdr;
	aux.phent = exe.phent;
	aux.phnum = exe.phnum;
	aux.entry = exe.entry;
	aux.uid = aux.euid = getuid();
	aux.gid = aux.egid = getgid();
	aux.random = random16;
	aux.execfn = path;
	if (ustack_build(top, argv, argc, envp, 2, &aux, USTACK_DEFAULT_LIMIT, &st))
		_exit(107);
	memcpy((void *)st.rsp, st.buf, st.size);
	__asm__ volatile("mov %0, %%rsp\n\txor %%edx, %%edx\n\tjmp *%1"
			 : : "r"(st.rsp), "r"(entry) : "memory");
	__builtin_unreachable();
}

/* Run path as loaded by the plan; return its exit status, output in out. */
static int run_loaded(const char *path, uint64_t base, const char *const *argv, size_t argc,
		      char *out, size_t outlen)
{
	int pfd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		exec_child(path, base, argv, argc);
	}
	close(pfd[1]);
	while (got + 1 < outlen && (n = read(pfd[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		fail_msg("%s killed by signal %d; output: %s", path, WTERMSIG(status), out);
	return WEXITSTATUS(status);
}

static void test_exec_on_host(void **state)
{
	char out[4096], dir[160];
	const char *bb[] = { "busybox", "sh", "-c", "echo \"$0|$1|$PATH\"; exit 7", "arg0", "arg1" };
	const char *hello[] = { "hello", "x" };
	const char *ls[] = { "ls", "-1", dir };

	assert_int_equal(run_loaded("/bin/busybox", 0, bb, 6, out, sizeof(out)), 7);
	assert_string_equal(out, "arg0|arg1|/bin:/usr/bin\n");
	assert_int_equal(run_loaded(musl_static, 0, hello, 2, out, sizeof(out)), 0);
	assert_string_equal(out, "hi 42\n");
	assert_int_equal(run_loaded(glibc_static_pie, 0x320000000000ull, hello, 2, out, sizeof(out)), 0);
	assert_string_equal(out, "hi 42\n");
	assert_int_equal(run_loaded(nopie_dyn, 0, hello, 2, out, sizeof(out)), 0);
	assert_string_equal(out, "hi 42\n");
	snprintf(dir, sizeof(dir), "%s", tmpdir);
	assert_int_equal(run_loaded("/bin/ls", 0x330000000000ull, ls, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "cc.log\nhello.c\nmusl-static\nnopie-dyn\nstatic-pie\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busybox_static),
		cmocka_unit_test(test_musl_static),
		cmocka_unit_test(test_static_pie),
		cmocka_unit_test(test_pie_ls),
		cmocka_unit_test(test_nopie_dynamic),
		cmocka_unit_test(test_interpreter_itself),
		cmocka_unit_test(test_crafted_valid),
		cmocka_unit_test(test_another_architecture),
		cmocka_unit_test(test_header_rejections),
		cmocka_unit_test(test_segment_rejections),
		cmocka_unit_test(test_user_top_boundary),
		cmocka_unit_test(test_dyn_base),
		cmocka_unit_test(test_interp),
		cmocka_unit_test(test_phdr),
		cmocka_unit_test(test_gnu_stack),
		cmocka_unit_test(test_shared_pages),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_reject_names),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_random_flips),
		cmocka_unit_test(test_exec_on_host),
	};
	return cmocka_run_group_tests_name("elf", tests, setup_programs, teardown_programs);
}
