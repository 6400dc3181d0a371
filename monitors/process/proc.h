/*
 * proc.h - vNodes and processes on a process node.
 *
 * A vNode is one `tess run`: its processes, its ExCache, its console and
 * the memory and storage nodes that serve it. A process (a Linux thread
 * group) has an address space (ExCache view + region mirror of the memory
 * node's authoritative copy), a file-descriptor table and signal handlers,
 * shared by its tasks (threads); each task has a kernel thread (registers,
 * FS base, FPU state), a tid and a signal mask. File operations are RPCs to
 * the vNode's storage node.
 */
#ifndef MONITORS_PROCESS_PROC_H
#define MONITORS_PROCESS_PROC_H
#include <stdint.h>
#include <stddef.h>
#include <tessera/wire.h>
#include <kernel/sched.h>
#include <kernel/trap.h>
#include <kernel/vmspace.h>
#include <excache/excache.h>

#define MAX_FD         64
#define MAX_PROCS      64        /* per vNode: processes (zombies too), and tasks: fork and
				   clone return EAGAIN beyond either (fork bombs stop here) */
#define NSIG           65
#define NOSYS_SLOTS    512
#define CWD_MAX        1024
#define AT_FDCWD       (-100)
#define S_IFMT         0170000
#define S_IFDIR        0040000

enum file_type { FILE_FS = 1, FILE_CONSOLE, FILE_PIPE_READ, FILE_PIPE_WRITE, FILE_DEV };

struct pipe;

struct file {
	int type;
	int refs;
	uint32_t flags;              /* O_* given to open (access mode, O_APPEND, O_NONBLOCK) */
	uint64_t off;
	struct fs_handle h;
	uint32_t mode;               /* S_IF* | permissions */
	uint64_t dir_cookie;         /* getdents position */
	int dir_eof;
	int stream;                  /* FILE_CONSOLE: VN_STDIN/OUT/ERR */
	uint32_t rdev;               /* FILE_DEV: DEV_NULL or DEV_ZERO (syscall.c) */
	struct pipe *pipe;
	char *path;                  /* FILE_FS directories: the absolute path opened, for *at() */
};

struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct vnode;
struct process;

/* One thread of a process. */
struct task {
	int tid;                     /* the first task's is the process's pid */
	struct process *proc;
	struct thread *thread;       /* runs it: kernel stack, user registers, FS base, FPU */
	struct task *next;           /* the process's tasks */
	int killed;                  /* leave at the next chance (exit_group, fatal signal, execve) */
	int mm_wait;                 /* waiting for the process's map lock (mmclient.c) */
	int in_wait4;                /* waiting for a child of its process to change */
	struct trap_frame *uframe;   /* user registers while in a syscall or fault */
	uint64_t sig_pending;        /* sent to this task (tgkill, tkill) */
	uint64_t sig_blocked;
	uint64_t saved_mask;         /* rt_sigsuspend/ppoll: the mask to restore ... */
	int restore_mask;            /* ... when the call returns, or in the handler's frame */
	uint64_t clear_child_tid;    /* CLONE_CHILD_CLEARTID, set_tid_address: 0 and a futex wake at exit */
	uint64_t robust_list;        /* set_robust_list: recorded only */
};

struct process {
	int pid, ppid;               /* pid: the thread group id */
	struct vnode *vn;
	struct process *parent;
	struct aspace as;
	struct vm_space vm;          /* mirror of the memory node's regions */
	struct task *tasks;          /* its threads; empty once it is a zombie */
	int ntasks;
	int exiting;                 /* exit_group or a fatal signal: its tasks are leaving ... */
	int exit_status;             /* ... and this will be its wait status */
	struct thread *exec_waiter;  /* an execve waiting for the other tasks to leave */
	int mm_busy;                 /* a map change is at the memory node (mmclient.c) */
	int zombie;
	int wait_status;
	struct file *fd[MAX_FD];
	uint8_t cloexec[MAX_FD];
	char cwd[CWD_MAX];
	char comm[16];
	char exe[FS_PATH_MAX];        /* the file its image came from: /proc/self/exe */
	uint64_t clear_child_tid;
	struct k_sigaction act[NSIG];
	uint64_t sig_pending;        /* sent to the process: any task that does not block it takes it */
	uint32_t umask;
	uint64_t start_ns;
};

struct vnode {
	uint32_t id;
	uint16_t mnode, snode;
	uint32_t flags;
	struct excache *cache;
	struct process *procs[MAX_PROCS];
	struct process *init;
	int nprocs;
	int ntasks;                  /* of all its processes, against MAX_PROCS too */
	uint64_t out_seq[3];
	/* stdin from tess run */
	uint8_t *in_buf;
	size_t in_len, in_cap;
	int in_eof;
	uint64_t in_seq;
	struct thread *in_waiter;
	uint64_t start_ns;
	uint32_t nosys[NOSYS_SLOTS];
	uint32_t nosys_total;
	int done;
};

extern uint64_t next_as_serial;

/* vnode.c */
int vnode_output(struct vnode *vn, int stream, const void *data, size_t len);
void vnode_process_exited(struct process *p);
struct process *proc_alloc(struct vnode *vn, struct process *parent);
void proc_free(struct process *p);
struct process *proc_current(void);
struct task *task_current(void);
int pid_alloc(void);

/* thread.c: tasks. A new task of p (its first, or a thread); NULL at the vNode's limit. */
struct task *task_new(struct process *p);
/* Unlink t from its process and free it (not its kernel thread). */
void task_free(struct task *t);
/* Run t on a new kernel thread that enters user mode with registers f. */
int task_start(struct task *t, const struct trap_frame *f, uint64_t set_tid);
/* clone(CLONE_THREAD ...): a new task of p. */
long thread_clone(struct process *p, struct trap_frame *f, uint64_t flags, uint64_t newsp, uint64_t ptid,
		  uint64_t ctid, uint64_t tls);
/* The current task leaves alone (exit(2)); the process ends with its last task. */
void task_exit(struct process *p, int wait_status) __attribute__((noreturn));
/*
 * proc_exit's first step: tell the other tasks to leave and, unless this is
 * the last task, leave; in the last one, return the process's wait status.
 */
int task_leave_group(struct process *p, int wait_status);
/* execve: make the other tasks leave and wait for them; -EINTR if this task must leave. */
int task_exec_alone(struct process *p);
/* Wake the tasks of p that may take signal sig (all for SIGKILL). */
void task_wake_for_signal(struct process *p, int sig);
void thread_init(void);

/* futex.c */
long futex_wake(struct process *p, uint64_t uaddr, int n, uint32_t bitset);
void futex_init(void);

/*
 * exec.c: replace p's image with the program at path (relative to p's cwd),
 * following #! lines to the interpreter as Linux does; on failure reason
 * holds a one-line explanation.
 */
int proc_exec(struct process *p, const char *path, const char *const *argv, size_t argc,
	      const char *const *envp, size_t envc, struct trap_frame *f, char *reason, size_t rlen);
/* Check that path (relative to cwd) names a loadable program or script, before any state changes. */
int exec_check(struct vnode *vn, const char *cwd, const char *path, char *reason, size_t rlen);
int aspace_create(struct process *p);
void aspace_destroy(struct process *p);

/* uaccess.c: every user pointer is checked against the region mirror first. */
int copy_from_user(struct process *p, void *dst, uint64_t src, size_t n);
int copy_to_user(struct process *p, uint64_t dst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most max bytes (incl. NUL): its length, -EFAULT, -ENAMETOOLONG. */
long strncpy_from_user(struct process *p, char *dst, uint64_t src, size_t max);
int user_fault(struct process *p, uint64_t va, unsigned access);
void uaccess_init(void);

/* syscall.c */
/* fds 0, 1, 2: the vNode's console, relayed to `tess run`. */
int proc_setup_console(struct process *p);
void proc_start_user(struct task *t, struct trap_frame *f) __attribute__((noreturn));
/* End the whole process (exit_group, a fatal signal): all its tasks leave. */
void proc_exit(struct process *p, int wait_status) __attribute__((noreturn));
void proc_deliver_signals(struct task *t, struct trap_frame *f);
/* A signal to the process (kill); task_kill: to one of its tasks (tgkill). */
int proc_kill(struct process *p, int sig);
int task_kill(struct task *t, int sig);
/* The clock of clock_gettime(clock): seconds and nanoseconds. */
void clock_now(int clock, int64_t ts[2]);

/* syscall.c: file descriptors and registration of calls defined elsewhere. */
typedef long (*sys_fn)(struct process *p, struct trap_frame *f);
void syscall_register(unsigned nr, sys_fn fn);
struct file *file_new(int type);
void file_put(struct file *fl);
int fd_alloc(struct process *p, struct file *fl, int from, int cloexec);
struct file *fd_get(struct process *p, long fd);
void fd_close_all(struct process *p);
/* The current task of p has a signal to take, or must leave: a blocking call returns -EINTR. */
int pending_interrupt(struct process *p);

/* pipe.c */
long pipe_read(struct process *p, struct file *fl, uint64_t buf, size_t count);
long pipe_write(struct process *p, struct file *fl, uint64_t buf, size_t count);
void pipe_release(struct file *fl);
/* poll(2) readiness of a pipe end (POLLIN/POLLHUP or POLLOUT/POLLERR). */
short pipe_poll(struct file *fl);
void pipe_init(void);

/* signal.c: push a handler frame for sig; 0, or -EFAULT if the stack is unusable. */
int signal_frame(struct task *t, struct trap_frame *f, int sig);
void signal_init(void);

/* fork.c: fork/vfork/clone, execve, wait4. */
void fork_init(void);

/* fsclient.c: RPCs to the vNode's storage node. */
int fsc_open(struct vnode *vn, const char *path, uint32_t flags, uint32_t mode, struct fs_attr *out);
int fsc_stat(struct vnode *vn, const char *path, int nofollow, struct fs_attr *out);
int fsc_fstat(struct vnode *vn, const struct fs_handle *h, struct fs_attr *out);
long fsc_read(struct vnode *vn, const struct fs_handle *h, uint64_t off, void *buf, uint32_t len);
long fsc_write(struct vnode *vn, const struct fs_handle *h, uint64_t off, const void *buf, uint32_t len,
	       int append, uint64_t *new_off);
int fsc_truncate(struct vnode *vn, const struct fs_handle *h, uint64_t size);
int fsc_fsync(struct vnode *vn, const struct fs_handle *h);
int fsc_getdents(struct vnode *vn, const struct fs_handle *h, uint64_t cookie, void *buf, uint32_t max,
		 uint32_t *len);
long fsc_readlink(struct vnode *vn, const char *path, char *buf, size_t len);
int fsc_path_op(struct vnode *vn, uint16_t op, const char *path, uint32_t mode);
int fsc_two_path_op(struct vnode *vn, uint16_t op, const char *a, const char *b);
int fsc_statfs(struct vnode *vn, struct fs_statfs_reply *out);
int fsc_setattr(struct vnode *vn, const struct fs_setattr_req *rq);

/* Resolve path against p's cwd (or dirfd's path) into an absolute, normalised path. */
/*
 * The absolute, normalised form of path: relative to the cwd, or with
 * dirfd != AT_FDCWD to that directory (-EBADF if dirfd is not open,
 * -ENOTDIR if it is not a directory).
 */
int path_resolve(struct process *p, int dirfd, const char *path, char *out, size_t outlen);
/* The same against the directory base (absolute). */
int path_join(const char *base, const char *path, char *out, size_t outlen);

/* mmclient.c: region changes go to the memory node and into the mirror. */
int64_t mm_mmap(struct process *p, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		uint32_t kind, const struct vm_file *file, uint64_t off);
int mm_munmap(struct process *p, uint64_t addr, uint64_t len);
int mm_mprotect(struct process *p, uint64_t addr, uint64_t len, uint32_t prot);
uint64_t mm_brk(struct process *p, uint64_t brk, int init);
int64_t mm_mremap(struct process *p, uint64_t old, uint64_t oldlen, uint64_t newlen, uint32_t flags,
		  uint64_t newaddr);
#endif
