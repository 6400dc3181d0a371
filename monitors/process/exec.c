/*
 * exec.c - building a process image: a fresh address space on the home
 * memory node, the program's PT_LOAD segments as file-backed regions
 * (demand-filled from the storage node by the ExCache), the partial last
 * page and .bss as anonymous memory, an 8 MiB stack with argv/envp/auxv,
 * and the interpreter for dynamically linked programs.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <net/fabric.h>
#include <excache/pageset.h>
#include "elf.h"
#include "proc.h"
#include "report.h"
#include "shebang.h"
#include "ustack.h"

#define STACK_TOP   0x00007ffffffde000ull
#define STACK_SIZE  (8ull << 20)

uint64_t next_as_serial = 1;

/* ---- the ExCache's view of a process's regions ------------------------------- */

static int region_of(struct aspace *as, uint64_t va, struct excache_region *out)
{
	struct process *p = as->owner;
	const struct vm_region *r = vm_find(&p->vm, va);

	if (!r)
		return -EFAULT;
	memset(out, 0, sizeof(*out));
	out->prot = r->prot;
	out->kind = r->kind == VM_FILE ? MEM_REGION_FILE : MEM_REGION_ANON;
	out->map_flags = r->flags & (MEM_MAP_SHARED | MEM_MAP_PRIVATE);
	if (r->kind == VM_FILE) {
		out->file_node = r->file.node;
		out->file.ino = r->file.ino;
		out->file.gen = r->file.gen;
		out->file_off = r->off + ((va & ~0xfffull) - r->start);
	}
	return 0;
}

static int fill_from_file(struct aspace *as, const struct excache_region *r, void *page)
{
	struct process *p = as->owner;
	long n = fsc_read(p->vn, &r->file, r->file_off, page, MEM_PAGE_SIZE);

	if (n < 0)
		return (int)n;
	memset((uint8_t *)page + n, 0, MEM_PAGE_SIZE - (size_t)n);
	return 0;
}

static void removed(void *arg, uint64_t start, uint64_t end)
{
	struct process *p = arg;

	excache_drop(&p->as, start, end);
}

static void moved(void *arg, uint64_t from, uint64_t to, uint64_t len)
{
	struct process *p = arg;

	for (uint64_t off = 0; off < len; off += MEM_PAGE_SIZE) {
		if (pageset_has(p->as.backed, from + off)) {
			pageset_del(p->as.backed, from + off);
			pageset_add(p->as.backed, to + off);
		}
	}
}

static const struct vm_space_ops mirror_ops = { .removed = removed, .moved = moved };

int aspace_create(struct process *p)
{
	struct mem_as_req rq = { .vnode = p->vn->id };
	uint64_t id = ((uint64_t)fabric_self() << 40) | next_as_serial++;
	uint32_t rlen;
	int rc;

	rq.as_id = id;
	rc = fabric_call(p->vn->mnode, FAB_OP_MEM_AS_CREATE, &rq, sizeof(rq), NULL, 0, &rlen, 0, 0);
	if (rc)
		return rc;
	rc = aspace_init(&p->as, id, p->vn->mnode, p->vn->cache);
	if (rc)
		return rc;
	p->as.owner = p;
	p->as.region_of = region_of;
	p->as.fill_from_file = fill_from_file;
	vm_space_init(&p->vm, NULL, &mirror_ops, p);
	return 0;
}

void aspace_destroy(struct process *p)
{
	struct mem_as_req rq = { .as_id = p->as.as_id, .vnode = p->vn->id };
	uint32_t rlen;

	if (!p->as.root)
		return;
	fabric_call(p->vn->mnode, FAB_OP_MEM_AS_DESTROY, &rq, sizeof(rq), NULL, 0, &rlen, 0, 0);
	vm_space_destroy(&p->vm);
	aspace_release(&p->as);
}

/* ---- loading -------------------------------------------------------------------- */

struct elf_file {
	struct vnode *vn;
	struct fs_handle h;
};

static int elf_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct elf_file *f = ctx;
	uint32_t done = 0;

	while (done < len) {
		long n = fsc_read(f->vn, &f->h, off + done, (uint8_t *)buf + done, len - done);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		done += (uint32_t)n;
	}
	return (int)done;
}

static const char *strrchr_slash(const char *path)
{
	const char *b = path;

	for (const char *s = path; *s; s++)
		if (*s == '/' && s[1])
			b = s + 1;
	return b;
}

static uint32_t prot_of(uint32_t elf_prot)
{
	return (elf_prot & ELF_PROT_READ ? MEM_PROT_READ : 0) | (elf_prot & ELF_PROT_WRITE ? MEM_PROT_WRITE : 0) |
	       (elf_prot & ELF_PROT_EXEC ? MEM_PROT_EXEC : 0);
}

static int copy_file_to_user(struct process *p, struct elf_file *f, uint64_t dst, uint64_t off, uint64_t len)
{
	uint8_t *buf = malloc(FS_IO_MAX);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (len && rc == 0) {
		uint32_t chunk = len > FS_IO_MAX ? FS_IO_MAX : (uint32_t)len;
		int n = elf_read(f, off, buf, chunk);

		if (n < 0) {
			rc = n;
		} else if ((uint32_t)n != chunk) {
			rc = -EIO;
		} else {
			rc = copy_to_user(p, dst, buf, chunk);
			dst += chunk;
			off += chunk;
			len -= chunk;
		}
	}
	free(buf);
	return rc;
}

static int load_segments(struct process *p, const struct elf_plan *plan, struct elf_file *f)
{
	struct vm_file file = { .node = f->vn->snode, .ino = f->h.ino, .gen = f->h.gen };

	for (unsigned i = 0; i < plan->nseg; i++) {
		const struct elf_segment *s = &plan->seg[i];
		uint32_t prot = prot_of(s->prot);
		uint64_t data_end = s->vaddr + s->file_len;
		uint64_t full_end = data_end & ~0xfffull;
		uint64_t tail = full_end > s->start ? full_end : s->start;
		int64_t rc;

		if (full_end > s->start) {
			rc = mm_mmap(p, s->start, full_end - s->start, prot, VM_MAP_PRIVATE | VM_MAP_FIXED,
				     MEM_REGION_FILE, &file, s->file_off - (s->vaddr - s->start));
			if (rc < 0)
				return (int)rc;
		}
		if (s->end > tail) {
			int partial = data_end > tail;

			rc = mm_mmap(p, tail, s->end - tail, partial ? prot | MEM_PROT_WRITE : prot,
				     VM_MAP_PRIVATE | VM_MAP_FIXED | VM_MAP_ANONYMOUS, MEM_REGION_ANON, NULL, 0);
			if (rc < 0)
				return (int)rc;
			if (partial) {
				uint64_t dst = s->vaddr > tail ? s->vaddr : tail;

				rc = copy_file_to_user(p, f, dst, s->file_off + (dst - s->vaddr), data_end - dst);
				if (rc)
					return (int)rc;
				if (!(prot & MEM_PROT_WRITE) && (rc = mm_mprotect(p, tail, s->end - tail, prot)))
					return (int)rc;
			}
		}
	}
	return 0;
}

static uint64_t random64(void)
{
	uint64_t v;
	unsigned char ok = 0;

	for (int i = 0; i < 10 && !ok; i++)
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
	return ok ? v : rdtsc() * 0x9e3779b97f4a7c15ull;
}

static int open_program(struct vnode *vn, const char *path, struct elf_file *f, struct fs_attr *a)
{
	int rc = fsc_open(vn, path, 0, 0, a);

	if (rc)
		return rc;
	if ((a->mode & 0170000) == 0040000)
		return -EACCES;                 /* a directory */
	if ((a->mode & 0170000) != 0100000 || !(a->mode & 0111))
		return -EACCES;
	f->vn = vn;
	f->h.ino = a->ino;
	f->h.gen = a->gen;
	return 0;
}

/* ---- interpreter scripts ------------------------------------------------------- */

/*
 * A #! script runs its interpreter with (optional argument,) the script's
 * name and the original argv[1..]. The interpreter may be a script too: as on
 * Linux (exec_binprm), a chain of EXEC_MAX_SCRIPTS scripts may end in a
 * program, one more is ELOOP.
 */
#define EXEC_MAX_SCRIPTS 5

/* What an exec finally loads, after any #! lines. */
struct exec_target {
	const char *path;                     /* absolute path of the file to load */
	const char *const *argv;
	size_t argc;
	int scripts;                          /* #! levels followed */
	char *abs;                            /* the absolute path of the named file */
	void *mem[EXEC_MAX_SCRIPTS];          /* one block per level: names, path, argv */
};

/* One level's block: the #! line, the interpreter's absolute path, its argv. */
struct script_level {
	struct shebang sb;
	char path[FS_PATH_MAX];
	const char *argv[];
};

static void exec_target_release(struct exec_target *t)
{
	for (int i = 0; i < t->scripts; i++)
		free(t->mem[i]);
	t->scripts = 0;
	free(t->abs);
	t->abs = NULL;
}

/* Read the head of the file at path (absolute) and parse a #! line: 1, 0 (not a script) or -errno. */
static int read_shebang(struct vnode *vn, const char *path, struct shebang *sb)
{
	char head[SHEBANG_BUF];
	struct elf_file f;
	struct fs_attr a;
	int n, rc;

	rc = open_program(vn, path, &f, &a);
	if (rc)
		return rc;
	n = elf_read(&f, 0, head, a.size < sizeof(head) ? (uint32_t)a.size : sizeof(head));
	if (n < 0)
		return n;
	return shebang_parse(head, (size_t)n, sb);
}

/*
 * Follow #! lines from path (as the caller named it, relative to cwd) to the
 * file to load. Missing or unusable interpreters give Linux's errors (ENOENT,
 * EACCES, ENOEXEC, ELOOP) with a reason naming the interpreter.
 */
static int follow_scripts(struct vnode *vn, const char *cwd, const char *path, const char *const *argv,
			  size_t argc, struct exec_target *t, char *reason, size_t rlen)
{
	const char *name = path;              /* the file's name as its caller gave it */
	char *abs = malloc(FS_PATH_MAX);
	int rc;

	memset(t, 0, sizeof(*t));
	t->argv = argv;
	t->argc = argc;
	if (!abs)
		return -ENOMEM;
	t->abs = abs;
	t->path = abs;
	rc = path_join(cwd, path, abs, FS_PATH_MAX);
	for (;;) {
		struct script_level *l;
		size_t n = 0;

		if (rc)
			break;
		l = malloc(sizeof(*l) + (t->argc + 3) * sizeof(char *));
		if (!l) {
			rc = -ENOMEM;
			break;
		}
		rc = read_shebang(vn, t->path, &l->sb);
		if (rc <= 0) {
			free(l);
			if (rc == -ENOEXEC)
				snprintf(reason, rlen, "%s%s: #! line names no interpreter", t->scripts ? "interpreter " : "",
					 name);
			else if (rc && t->scripts)
				snprintf(reason, rlen, "bad interpreter %s", name);
			break;
		}
		if (t->scripts == EXEC_MAX_SCRIPTS) {
			free(l);
			rc = -ELOOP;
			snprintf(reason, rlen, "more than %d levels of #! interpreters", EXEC_MAX_SCRIPTS);
			break;
		}
		l->argv[n++] = l->sb.interp;
		if (l->sb.has_arg)
			l->argv[n++] = l->sb.arg;
		l->argv[n++] = name;
		for (size_t i = 1; i < t->argc; i++)
			l->argv[n++] = t->argv[i];
		l->argv[n] = NULL;
		t->argv = l->argv;
		t->argc = n;
		t->mem[t->scripts++] = l;
		name = l->sb.interp;
		t->path = l->path;
		rc = path_join(cwd, name, l->path, sizeof(l->path));
		if (rc)
			snprintf(reason, rlen, "bad interpreter %s", name);
	}
	return rc;
}

/* Check that path names a loadable program or script (before any state changes). */
int exec_check(struct vnode *vn, const char *cwd, const char *path, char *reason, size_t rlen)
{
	struct elf_plan *plan = malloc(sizeof(*plan));
	const char *argv[2] = { path, NULL };
	struct exec_target t;
	struct elf_file f;
	struct fs_attr a;
	int rc;

	if (!plan)
		return -ENOMEM;
	rc = follow_scripts(vn, cwd, path, argv, 1, &t, reason, rlen);
	if (rc == 0)
		rc = open_program(vn, t.path, &f, &a);
	if (rc == 0) {
		struct elf_source src = { .read = elf_read, .ctx = &f, .size = a.size };

		rc = elf_plan_load(&src, 0, plan);
		if (rc && t.scripts)
			snprintf(reason, rlen, "interpreter %s: %s", t.argv[0], plan->reason);
		else if (rc)
			strlcpy(reason, plan->reason, rlen);
	}
	exec_target_release(&t);
	free(plan);
	return rc;
}

int proc_exec(struct process *p, const char *path, const char *const *argv, size_t argc,
	      const char *const *envp, size_t envc, struct trap_frame *f, char *reason, size_t rlen)
{
	struct elf_plan *plan = malloc(sizeof(*plan)), *interp = malloc(sizeof(*interp));
	struct elf_file file, ifile;
	struct fs_attr a, ia;
	struct ustack_aux aux;
	struct ustack_image img = { 0 };
	struct exec_target t = { 0 };
	uint64_t rnd[2] = { random64(), random64() };
	uint64_t entry;
	int rc;

	reason[0] = 0;
	if (!plan || !interp) {
		rc = -ENOMEM;
		goto out;
	}
	rc = follow_scripts(p->vn, p->cwd, path, argv, argc, &t, reason, rlen);
	if (rc)
		goto out;
	rc = open_program(p->vn, t.path, &file, &a);
	if (rc)
		goto out;
	struct elf_source src = { .read = elf_read, .ctx = &file, .size = a.size };
	rc = elf_plan_load(&src, 0, plan);
	if (rc) {
		strlcpy(reason, plan->reason, rlen);
		goto out;
	}
	if (plan->has_interp) {
		rc = open_program(p->vn, plan->interp, &ifile, &ia);
		if (rc) {
			strlcpy(reason, "cannot open the program's interpreter", rlen);
			goto out;
		}
		struct elf_source isrc = { .read = elf_read, .ctx = &ifile, .size = ia.size };
		rc = elf_plan_load(&isrc, 0, interp);
		if (rc) {
			strlcpy(reason, interp->reason, rlen);
			goto out;
		}
	}

	/* Point of no return: replace the address space. */
	if (p->as.root) {
		sched_current()->cr3 = 0;
		aspace_destroy(p);
	}
	rc = aspace_create(p);
	if (rc)
		goto out;
	sched_current()->cr3 = virt_to_phys(p->as.root);
	write_cr3(sched_current()->cr3);

	if ((rc = load_segments(p, plan, &file)))
		goto out;
	if (plan->has_interp && (rc = load_segments(p, interp, &ifile)))
		goto out;
	{
		int64_t at = mm_mmap(p, STACK_TOP - STACK_SIZE, STACK_SIZE, MEM_PROT_READ | MEM_PROT_WRITE,
				     VM_MAP_PRIVATE | VM_MAP_FIXED | VM_MAP_ANONYMOUS, MEM_REGION_ANON, NULL, 0);

		if (at < 0) {
			rc = (int)at;
			goto out;
		}
	}
	/* Like Linux: a static-pie's heap starts at the PIE base, far from its image near the top. */
	mm_brk(p, plan->kind == ELF_KIND_STATIC_PIE ? ELF_PIE_BASE : plan->hi, 1);

	memset(&aux, 0, sizeof(aux));
	aux.phdr = plan->phdr;
	aux.phent = plan->phent;
	aux.phnum = plan->phnum;
	aux.base = plan->has_interp ? interp->bias : 0;
	aux.entry = plan->entry;
	aux.random = (const uint8_t *)rnd;
	aux.execfn = path;
	aux.hwcap = 0x178bfbff;          /* the usual x86-64 baseline CPUID.1:EDX */
	rc = ustack_build(STACK_TOP, t.argv, t.argc, envp, envc, &aux, USTACK_DEFAULT_LIMIT, &img);
	if (rc)
		goto out;
	rc = copy_to_user(p, STACK_TOP - img.size, img.buf, img.size);
	if (rc)
		goto out;
	entry = plan->has_interp ? interp->entry : plan->entry;

	memset(f, 0, sizeof(*f));
	f->rip = entry;
	f->rsp = img.rsp;
	f->rflags = 0x202;
	f->cs = USER_CS;
	f->ss = USER_DS;
	sched_current()->fs_base = 0;
	sched_current()->fpu_valid = 0;
	__asm__ volatile("fninit; pushq $0x1f80; ldmxcsr (%%rsp); addq $8, %%rsp" ::: "memory");
	{
		const char *b = strrchr_slash(path);
		strlcpy(p->comm, b, sizeof(p->comm));
	}
	strlcpy(p->exe, t.path, sizeof(p->exe));
	proc_report_exec(p, t.argv, t.argc);
	for (int i = 0; i < NSIG; i++)
		if (p->act[i].handler > 1)
			p->act[i].handler = 0;   /* caught signals revert to default on exec */
out:
	exec_target_release(&t);
	ustack_release(&img);
	free(plan);
	free(interp);
	return rc;
}
