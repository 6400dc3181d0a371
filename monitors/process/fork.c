/*
 * fork.c - process creation and replacement: fork/vfork/clone (a new
 * address space copied by the memory node after the parent's dirty lines are
 * written back; clone with CLONE_THREAD makes a thread, thread.c), execve,
 * and wait4 with zombies reaped by their parent.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <net/fabric.h>
#include <excache/pageset.h>
#include "proc.h"
#include "report.h"

#define CLONE_VM             0x00000100ull
#define CLONE_VFORK          0x00004000ull
#define CLONE_THREAD         0x00010000ull
#define CLONE_SETTLS         0x00080000ull
#define CLONE_PARENT_SETTID  0x00100000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define CLONE_CHILD_SETTID   0x01000000ull
#define WNOHANG              1
#define MAX_EXEC_STRINGS     1024
#define EXEC_STRINGS_BYTES   (256u * 1024u)

static long do_fork(struct process *p, struct trap_frame *f, uint64_t flags, uint64_t newsp,
		    uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	struct vnode *vn = p->vn;
	struct process *c;
	struct task *ct;
	struct trap_frame frame;
	struct mem_fork_req rq;
	uint32_t rlen;
	int rc;

	if (flags & CLONE_THREAD)
		return thread_clone(p, f, flags, newsp, ptid, ctid, tls);
	/* CLONE_VM without a thread: only vfork's use (posix_spawn), which a copy serves. */
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return -ENOSYS;
	c = proc_alloc(vn, p);
	if (!c)
		return -EAGAIN;                  /* the per-vNode process limit (fork bombs stop here) */
	ct = task_new(c);
	if (!ct) {
		proc_free(c);
		return -EAGAIN;                  /* ... and the task limit */
	}
	/* The memory node copies what it holds: give it the parent's dirty lines first. */
	rc = excache_writeback_all(&p->as);
	if (rc)
		goto fail;
	rq.parent_as = p->as.as_id;
	rq.child_as = ((uint64_t)fabric_self() << 40) | next_as_serial++;
	rc = aspace_init(&c->as, rq.child_as, vn->mnode, vn->cache);
	if (rc)
		goto fail;
	c->as.owner = c;
	c->as.region_of = p->as.region_of;
	c->as.fill_from_file = p->as.fill_from_file;
	/*
	 * Which pages the memory node holds, taken before the call: while it
	 * copies, other tasks' misses may still put the parent's evicted file
	 * pages there (excache keeps them), which the child then reads from the
	 * file instead; a page the child believed held but was not copied would
	 * come back as zeros.
	 */
	rc = aspace_copy_backed(&c->as, &p->as);
	if (rc == 0)
		rc = fabric_call(vn->mnode, FAB_OP_MEM_AS_FORK, &rq, sizeof(rq), NULL, 0, &rlen, 0, 0);
	if (rc) {
		aspace_release(&c->as);
		goto fail;
	}
	rc = vm_space_clone(&c->vm, &p->vm, p->vm.ops, c);
	if (rc) {
		aspace_release(&c->as);
		goto fail_remote;
	}
	for (int fd = 0; fd < MAX_FD; fd++) {
		if (p->fd[fd]) {
			c->fd[fd] = p->fd[fd];
			c->fd[fd]->refs++;
			c->cloexec[fd] = p->cloexec[fd];
		}
	}
	memcpy(c->act, p->act, sizeof(c->act));
	ct->sig_blocked = task_current()->sig_blocked;
	c->umask = p->umask;
	strlcpy(c->comm, p->comm, sizeof(c->comm));
	strlcpy(c->exe, p->exe, sizeof(c->exe));
	if (flags & CLONE_CHILD_CLEARTID)
		ct->clear_child_tid = ctid;

	frame = *f;
	frame.rax = 0;
	if (newsp)
		frame.rsp = newsp;
	rc = task_start(ct, &frame, (flags & CLONE_CHILD_SETTID) ? ctid : 0);
	if (rc) {
		fd_close_all(c);
		vm_space_destroy(&c->vm);
		aspace_release(&c->as);
		goto fail_remote;
	}
	if (flags & CLONE_SETTLS)
		ct->thread->fs_base = tls;
	if (flags & CLONE_PARENT_SETTID) {
		int32_t tid = c->pid;

		copy_to_user(p, ptid, &tid, sizeof(tid));
	}
	pr_debug("vnode %u: pid %d forked pid %d", vn->id, p->pid, c->pid);
	proc_report_fork(c);
	return c->pid;
fail_remote:
	{
		struct mem_as_req d = { .as_id = rq.child_as, .vnode = vn->id };

		fabric_call(vn->mnode, FAB_OP_MEM_AS_DESTROY, &d, sizeof(d), NULL, 0, &rlen, 0, 0);
	}
fail:
	proc_free(c);
	return rc;
}

static long sys_fork(struct process *p, struct trap_frame *f)
{
	return do_fork(p, f, 17, 0, 0, 0, 0);
}

static long sys_clone(struct process *p, struct trap_frame *f)
{
	return do_fork(p, f, f->rdi, f->rsi, f->rdx, f->r10, f->r8);
}

/* Copy a NULL-terminated user array of strings into one kernel block. */
static long copy_strings(struct process *p, uint64_t uarr, char ***out, size_t *count, char **block, size_t *used)
{
	char **v = calloc(MAX_EXEC_STRINGS + 1, sizeof(char *));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	while (uarr) {
		uint64_t ptr;
		long len;

		if (n == MAX_EXEC_STRINGS) {
			free(v);
			return -E2BIG;
		}
		if (copy_from_user(p, &ptr, uarr + n * 8, 8)) {
			free(v);
			return -EFAULT;
		}
		if (!ptr)
			break;
		len = strncpy_from_user(p, *block + *used, ptr, EXEC_STRINGS_BYTES - *used);
		if (len < 0) {
			free(v);
			return len == -ENAMETOOLONG ? -E2BIG : len;
		}
		v[n++] = *block + *used;
		*used += (size_t)len + 1;
	}
	v[n] = NULL;
	*out = v;
	*count = n;
	return 0;
}

static long sys_execve(struct process *p, struct trap_frame *f)
{
	char *path = malloc(FS_PATH_MAX), *block = malloc(EXEC_STRINGS_BYTES);
	char **argv = NULL, **envp = NULL;
	size_t argc = 0, envc = 0, used = 0;
	char reason[128];
	long rc;

	if (!path || !block) {
		rc = -ENOMEM;
		goto out;
	}
	/* The name as given: relative names resolve against the cwd, and it is what a script sees. */
	rc = strncpy_from_user(p, path, f->rdi, FS_PATH_MAX);
	if (rc < 0)
		goto out;
	/* No /proc yet, but shells re-run themselves through /proc/self/exe (ash: a file
	 * without #! that execve refuses with ENOEXEC is run as a script that way). */
	if (!strcmp(path, "/proc/self/exe") && p->exe[0])
		strlcpy(path, p->exe, FS_PATH_MAX);
	if ((rc = copy_strings(p, f->rsi, &argv, &argc, &block, &used)) ||
	    (rc = copy_strings(p, f->rdx, &envp, &envc, &block, &used)))
		goto out;
	if (argc == 0) {
		/* Linux passes an empty argv[0] in this case. */
		argv[0] = block + used;
		block[used++] = 0;
		argv[1] = NULL;
		argc = 1;
	}
	rc = exec_check(p->vn, p->cwd, path, reason, sizeof(reason));
	if (rc)
		goto out;
	/* Like Linux's de_thread: the program is good, the other threads go first. */
	rc = task_exec_alone(p);
	if (rc)
		goto out;
	rc = proc_exec(p, path, (const char *const *)argv, argc, (const char *const *)envp, envc, f, reason,
		       sizeof(reason));
	if (rc) {
		/* Past the point of no return: the old image is gone. */
		pr_warn("vnode %u pid %d: exec of %s failed late (%ld): %s", p->vn->id, p->pid, path, rc, reason);
		proc_exit(p, 11);
	}
	for (int fd = 0; fd < MAX_FD; fd++) {
		if (p->fd[fd] && p->cloexec[fd]) {
			file_put(p->fd[fd]);
			p->fd[fd] = NULL;
			p->cloexec[fd] = 0;
		}
	}
	rc = 0;
out:
	free(path);
	free(block);
	free(argv);
	free(envp);
	return rc;
}

static long sys_wait4(struct process *p, struct trap_frame *f)
{
	long pid = (int)f->rdi;             /* pid_t: the upper half of the register is junk */
	uint64_t ustatus = f->rsi;
	int options = (int)f->rdx;

	for (;;) {
		int children = 0;

		for (int i = 0; i < MAX_PROCS; i++) {
			struct process *c = p->vn->procs[i];

			if (!c || c->parent != p)
				continue;
			if (pid > 0 && c->pid != pid)
				continue;
			children++;
			if (c->zombie) {
				int32_t st = c->wait_status;
				long cpid = c->pid;

				if (ustatus && copy_to_user(p, ustatus, &st, 4))
					return -EFAULT;
				if (f->r10) {
					uint8_t ru[144];

					memset(ru, 0, sizeof(ru));
					copy_to_user(p, f->r10, ru, sizeof(ru));
				}
				proc_free(c);
				return cpid;
			}
		}
		if (!children)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (pending_interrupt(p))
			return -EINTR;
		task_current()->in_wait4 = 1;
		sched_block(0);
		task_current()->in_wait4 = 0;
	}
}

void fork_init(void)
{
	syscall_register(56, sys_clone);
	syscall_register(57, sys_fork);
	syscall_register(58, sys_fork);
	syscall_register(59, sys_execve);
	syscall_register(61, sys_wait4);
}
