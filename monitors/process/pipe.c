/*
 * pipe.c - pipes between the processes of a vNode: a 64 KiB ring, readers
 * block while it is empty and a writer exists, writers block while it is
 * full and a reader exists; a write with no reader raises SIGPIPE and fails
 * with EPIPE.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <kernel/sched.h>
#include "proc.h"

#define PIPE_SIZE  65536u
#define PIPE_BUF   4096u
#define WAITERS    16
#define SIGPIPE    13

struct pipe {
	uint8_t *buf;
	uint32_t head, len;          /* ring: bytes at [head, head + len) */
	int readers, writers;
	struct thread *waiting[WAITERS];
};

static void wait_on(struct pipe *pp)
{
	struct thread *me = sched_current();

	for (int i = 0; i < WAITERS; i++) {
		if (!pp->waiting[i]) {
			pp->waiting[i] = me;
			break;
		}
	}
	sched_block(0);
	for (int i = 0; i < WAITERS; i++)
		if (pp->waiting[i] == me)
			pp->waiting[i] = NULL;
}

static void wake_all(struct pipe *pp)
{
	for (int i = 0; i < WAITERS; i++)
		if (pp->waiting[i])
			sched_wake(pp->waiting[i]);
}

long pipe_read(struct process *p, struct file *fl, uint64_t buf, size_t count)
{
	struct pipe *pp = fl->pipe;
	size_t done = 0;

	if (count == 0)
		return 0;
	while (pp->len == 0) {
		if (pp->writers == 0)
			return 0;
		if (fl->flags & 04000)
			return -EAGAIN;
		if (pending_interrupt(p))
			return -EINTR;
		wait_on(pp);
	}
	while (done < count && pp->len) {
		uint32_t chunk = PIPE_SIZE - pp->head;

		if (chunk > pp->len)
			chunk = pp->len;
		if (chunk > count - done)
			chunk = (uint32_t)(count - done);
		if (copy_to_user(p, buf + done, pp->buf + pp->head, chunk))
			return done ? (long)done : -EFAULT;
		pp->head = (pp->head + chunk) % PIPE_SIZE;
		pp->len -= chunk;
		done += chunk;
	}
	wake_all(pp);
	return (long)done;
}

long pipe_write(struct process *p, struct file *fl, uint64_t buf, size_t count)
{
	struct pipe *pp = fl->pipe;
	size_t done = 0;

	while (done < count) {
		uint32_t room, tail, chunk;

		if (pp->readers == 0) {
			proc_kill(p, SIGPIPE);
			return done ? (long)done : -EPIPE;
		}
		room = PIPE_SIZE - pp->len;
		/* Writes up to PIPE_BUF are atomic: wait for room for all of it. */
		if (room == 0 || (count - done <= PIPE_BUF && room < count - done)) {
			if (fl->flags & 04000)
				return done ? (long)done : -EAGAIN;
			if (pending_interrupt(p))
				return done ? (long)done : -EINTR;
			wait_on(pp);
			continue;
		}
		tail = (pp->head + pp->len) % PIPE_SIZE;
		chunk = PIPE_SIZE - tail;
		if (chunk > room)
			chunk = room;
		if (chunk > count - done)
			chunk = (uint32_t)(count - done);
		if (copy_from_user(p, pp->buf + tail, buf + done, chunk))
			return done ? (long)done : -EFAULT;
		pp->len += chunk;
		done += chunk;
		wake_all(pp);
	}
	return (long)done;
}

short pipe_poll(struct file *fl)
{
	struct pipe *pp = fl->pipe;
	short r = 0;

	if (fl->type == FILE_PIPE_READ) {
		if (pp->len)
			r |= 0x1;                /* POLLIN */
		if (pp->writers == 0)
			r |= 0x10;               /* POLLHUP */
	} else if (pp->readers == 0) {
		r |= 0x8;                        /* POLLERR */
	} else if (PIPE_SIZE - pp->len >= PIPE_BUF) {
		r |= 0x4;                        /* POLLOUT */
	}
	return r;
}

void pipe_release(struct file *fl)
{
	struct pipe *pp = fl->pipe;

	if (fl->type == FILE_PIPE_READ)
		pp->readers--;
	else
		pp->writers--;
	wake_all(pp);
	fl->pipe = NULL;
	if (pp->readers == 0 && pp->writers == 0) {
		free(pp->buf);
		free(pp);
	}
}

static long sys_pipe2(struct process *p, struct trap_frame *f)
{
	struct pipe *pp = calloc(1, sizeof(*pp));
	struct file *r = file_new(FILE_PIPE_READ), *w = file_new(FILE_PIPE_WRITE);
	int fds[2], cloexec = !!(f->rsi & 02000000);

	if (!pp || !r || !w || !(pp->buf = malloc(PIPE_SIZE))) {
		if (pp)
			free(pp->buf);
		free(pp);
		free(r);
		free(w);
		return -ENOMEM;
	}
	pp->readers = pp->writers = 1;
	r->pipe = w->pipe = pp;
	r->flags = (uint32_t)(f->rsi & 04000);
	w->flags = 01 | (uint32_t)(f->rsi & 04000);
	fds[0] = fd_alloc(p, r, 0, cloexec);
	if (fds[0] < 0) {
		file_put(r);
		file_put(w);
		return -EMFILE;
	}
	fds[1] = fd_alloc(p, w, 0, cloexec);
	if (fds[1] < 0) {
		p->fd[fds[0]] = NULL;
		file_put(r);
		file_put(w);
		return -EMFILE;
	}
	if (copy_to_user(p, f->rdi, fds, sizeof(fds))) {
		p->fd[fds[0]] = p->fd[fds[1]] = NULL;
		file_put(r);
		file_put(w);
		return -EFAULT;
	}
	return 0;
}

static long sys_pipe(struct process *p, struct trap_frame *f)
{
	f->rsi = 0;
	return sys_pipe2(p, f);
}

void pipe_init(void)
{
	syscall_register(22, sys_pipe);
	syscall_register(293, sys_pipe2);
}
