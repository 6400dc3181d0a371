/*
 * threads.c - POSIX threads in a vNode (tests/integration/t-run-threads.sh).
 * One mode per run, the first argument:
 *
 *   sum       workers share a mutex-protected counter, an atomic one, a
 *             condition-variable queue fed by main and a barrier; they are
 *             joined and the totals and a checksum printed (deterministic);
 *             plus detached threads, a timed wait that times out, per-thread
 *             ids and TLS
 *   exit      a thread calls exit(7) while main waits in pthread_join
 *   segv      a thread reads address 0: the whole process dies of SIGSEGV
 *   kill      pthread_kill: a handled signal runs in the target thread, then
 *             SIGTERM (default action) ends the whole process
 *   exec      a thread execs busybox echo while the others spin and sleep
 *   mainexit  main calls pthread_exit; the last thread's return ends it, 0
 *   limit     threads until pthread_create fails: the vNode's task limit
 *   spawn     posix_spawn (clone with CLONE_VM | CLONE_VFORK in musl) of
 *             busybox echo from a thread, and waitpid for it
 *   waits     two threads each spawn a busybox sleep 0.3 and wait for it:
 *             both in wait4 at once
 *   pages     workers fill their own slices of one 16 MiB buffer, then each
 *             checks a neighbour's: with a small ExCache, many misses of one
 *             address space in flight at once
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define ITERS   2000
#define ITEMS   500
#define QSIZE   4
#define DETACHED 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static uint64_t counter, mixed;
static int queue[QSIZE], qhead, qlen;
static uint64_t queue_sum;
static int atomic_counter, detached_done;
static int tids[WORKERS];
static __thread int my_index = -1;

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "threads: %s: %s\n", what, strerror(err));
	exit(99);
}

static void *worker(void *arg)
{
	int idx = (int)(intptr_t)arg;

	my_index = idx;
	tids[idx] = gettid_();
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		mixed += (uint64_t)idx * 1000003u + (uint64_t)i;
		pthread_mutex_unlock(&lock);
		__atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
		if (i % 256 == 0)
			sched_yield();
	}
	pthread_barrier_wait(&barrier);
	/* Consume the queue until main's 0. */
	for (;;) {
		int v;

		pthread_mutex_lock(&lock);
		while (qlen == 0)
			pthread_cond_wait(&not_empty, &lock);
		v = queue[qhead];
		if (v) {
			qhead = (qhead + 1) % QSIZE;
			qlen--;
			queue_sum += (uint64_t)v;
			pthread_cond_signal(&not_full);
		}
		pthread_mutex_unlock(&lock);
		if (!v)
			break;                /* the 0 stays for the others */
	}
	if (my_index != idx)
		return (void *)-1;            /* TLS is per thread */
	return (void *)(intptr_t)(idx * 7);
}

static void put(int v)
{
	pthread_mutex_lock(&lock);
	while (qlen == QSIZE)
		pthread_cond_wait(&not_full, &lock);
	queue[(qhead + qlen) % QSIZE] = v;
	qlen++;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&lock);
}

static void *detached(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&detached_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int mode_sum(void)
{
	pthread_t t[WORKERS];
	pthread_attr_t attr;
	int distinct = 1, joined = 0, err;
	struct timespec ts;

	my_index = 100;
	if ((err = pthread_barrier_init(&barrier, NULL, WORKERS)))
		die("pthread_barrier_init", err);
	for (int i = 0; i < WORKERS; i++)
		if ((err = pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i)))
			die("pthread_create", err);
	for (int v = 1; v <= ITEMS; v++)
		put(v);
	put(0);
	for (int i = 0; i < WORKERS; i++) {
		void *ret;

		if ((err = pthread_join(t[i], &ret)))
			die("pthread_join", err);
		joined += (int)(intptr_t)ret;
	}
	for (int i = 0; i < WORKERS; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] == getpid())
				distinct = 0;
	printf("workers: %d, joined values: %d, main's TLS intact: %s\n", WORKERS, joined,
	       my_index == 100 ? "yes" : "no");
	printf("thread ids distinct from each other and from the pid: %s\n", distinct ? "yes" : "no");
	printf("mutex counter: %llu, atomic counter: %d\n", (unsigned long long)counter, atomic_counter);
	printf("queue sum: %llu\n", (unsigned long long)queue_sum);

	/* Detached threads exit on their own (musl unmaps their stacks as they go). */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < DETACHED; i++) {
		pthread_t d;

		if ((err = pthread_create(&d, &attr, detached, NULL)))
			die("pthread_create detached", err);
	}
	while (__atomic_load_n(&detached_done, __ATOMIC_SEQ_CST) < DETACHED)
		sched_yield();
	printf("detached threads finished: %d\n", detached_done);

	/* Nobody signals: the timed wait ends with ETIMEDOUT. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	err = pthread_cond_timedwait(&not_empty, &lock, &ts);
	pthread_mutex_unlock(&lock);
	printf("timed wait: %s\n", err == ETIMEDOUT ? "ETIMEDOUT" : strerror(err));
	printf("checksum: %llu\n",
	       (unsigned long long)(mixed ^ (counter << 32) ^ (queue_sum << 8) ^ (uint64_t)joined));
	return 0;
}

static void *exits(void *arg)
{
	(void)arg;
	printf("thread calls exit(7)\n");
	exit(7);
}

static void *segv(void *arg)
{
	volatile int *p = arg;

	return (void *)(intptr_t)*p;
}

static volatile int handler_tid;

static void on_usr1(int sig)
{
	(void)sig;
	handler_tid = gettid_();
}

static volatile int sleeper_tid;

static void *sleeper(void *arg)
{
	(void)arg;
	sleeper_tid = gettid_();
	for (;;)
		pause();
	return NULL;
}

static int mode_kill(void)
{
	pthread_t t;
	int err;

	signal(SIGUSR1, on_usr1);
	if ((err = pthread_create(&t, NULL, sleeper, NULL)))
		die("pthread_create", err);
	while (!sleeper_tid)
		sched_yield();
	pthread_kill(t, SIGUSR1);
	while (!handler_tid)
		sched_yield();
	printf("SIGUSR1 handled in the target thread: %s\n", handler_tid == sleeper_tid ? "yes" : "no");
	fflush(stdout);
	pthread_kill(t, SIGTERM);
	for (;;)
		pause();
	return 1;
}

static void *spinner(void *arg)
{
	(void)arg;
	for (;;)
		__atomic_fetch_add(&atomic_counter, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *execer(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&atomic_counter, __ATOMIC_RELAXED) < 1000)
		sched_yield();
	execl("/bin/busybox", "echo", "exec from a thread", (char *)NULL);
	die("execl", errno);
	return NULL;
}

static int mode_exec(void)
{
	pthread_t t;

	for (int i = 0; i < 2; i++)
		pthread_create(&t, NULL, spinner, NULL);
	pthread_create(&t, NULL, sleeper, NULL);
	pthread_create(&t, NULL, execer, NULL);
	for (;;)
		pause();
	return 1;
}

static void *late(void *arg)
{
	(void)arg;
	usleep(200000);
	printf("last thread returns\n");
	return NULL;
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *blocked(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);
	pthread_mutex_unlock(&gate);
	return NULL;
}

static int mode_limit(void)
{
	int n = 0, err;

	pthread_mutex_lock(&gate);
	for (;;) {
		pthread_t t;
		pthread_attr_t a;

		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 16384);
		err = pthread_create(&t, &a, blocked, NULL);
		if (err)
			break;
		n++;
	}
	printf("threads made before pthread_create failed: %d (%s)\n", n, strerror(err));
	fflush(stdout);
	pthread_mutex_unlock(&gate);
	return 0;
}

#define PAGES_BYTES (16u << 20)
#define PAGE_WORDS  (4096 / sizeof(uint64_t))

static uint64_t *pages;
static uint64_t page_errors;

static uint64_t pattern(size_t word)
{
	return (uint64_t)word * 0x9e3779b97f4a7c15ull + 1;
}

static void *page_worker(void *arg)
{
	int idx = (int)(intptr_t)arg;
	size_t words = PAGES_BYTES / sizeof(uint64_t) / WORKERS;
	size_t mine = (size_t)idx * words, theirs = (size_t)((idx + 1) % WORKERS) * words;
	uint64_t bad = 0;

	for (size_t w = mine; w < mine + words; w += 8)
		pages[w] = pattern(w);
	pthread_barrier_wait(&barrier);
	for (int round = 0; round < 2; round++)
		for (size_t w = theirs; w < theirs + words; w += 8)
			bad += pages[w] != pattern(w);
	__atomic_fetch_add(&page_errors, bad, __ATOMIC_SEQ_CST);
	return NULL;
}

static int mode_pages(void)
{
	pthread_t t[WORKERS];
	int err;

	pages = malloc(PAGES_BYTES);
	if (!pages)
		die("malloc", ENOMEM);
	pthread_barrier_init(&barrier, NULL, WORKERS);
	for (int i = 0; i < WORKERS; i++)
		if ((err = pthread_create(&t[i], NULL, page_worker, (void *)(intptr_t)i)))
			die("pthread_create", err);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	printf("%u MiB by %d threads, words wrong: %llu\n", PAGES_BYTES >> 20, WORKERS,
	       (unsigned long long)page_errors);
	return page_errors != 0;
}

extern char **environ;

static void *spawner(void *arg)
{
	char *argv[] = { "echo", "spawned from a thread", NULL };
	pid_t pid;
	int err, status;

	(void)arg;
	err = posix_spawn(&pid, "/bin/busybox", NULL, NULL, argv, environ);
	if (err)
		die("posix_spawn", err);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid", errno);
	printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return NULL;
}

static void *sleep_and_wait(void *arg)
{
	char *argv[] = { "sleep", "0.3", NULL };
	pid_t pid;
	int err, status;

	(void)arg;
	err = posix_spawn(&pid, "/bin/busybox", NULL, NULL, argv, environ);
	if (err)
		die("posix_spawn", err);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid", errno);
	return (void *)(intptr_t)(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int mode_waits(void)
{
	pthread_t t[2];
	void *ret[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, sleep_and_wait, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &ret[i]);
	printf("both waits returned, children exited %d and %d\n", (int)(intptr_t)ret[0], (int)(intptr_t)ret[1]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sum";
	pthread_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "sum"))
		return mode_sum();
	if (!strcmp(mode, "exit")) {
		pthread_create(&t, NULL, exits, NULL);
		pthread_join(t, NULL);
		printf("not reached\n");
		return 1;
	}
	if (!strcmp(mode, "segv")) {
		printf("a thread reads address 0\n");
		pthread_create(&t, NULL, segv, NULL);
		pthread_join(t, NULL);
		printf("not reached\n");
		return 1;
	}
	if (!strcmp(mode, "kill"))
		return mode_kill();
	if (!strcmp(mode, "exec"))
		return mode_exec();
	if (!strcmp(mode, "mainexit")) {
		pthread_create(&t, NULL, late, NULL);
		printf("main thread leaves\n");
		pthread_exit(NULL);
	}
	if (!strcmp(mode, "limit"))
		return mode_limit();
	if (!strcmp(mode, "pages"))
		return mode_pages();
	if (!strcmp(mode, "waits"))
		return mode_waits();
	if (!strcmp(mode, "spawn")) {
		pthread_create(&t, NULL, spawner, NULL);
		pthread_join(t, NULL);
		return 0;
	}
	fprintf(stderr, "threads: unknown mode %s\n", mode);
	return 2;
}
