/*
 * gmm/main.c - gmmd start-up, the event loop and shut-down.
 *
 * Start: validate arguments, lock the state directory, (daemonize: the parent
 * waits until the child is ready or failed, so errors reach the caller), open
 * the database, bind the fabric endpoint and, last, the control socket (its
 * appearance means "ready"). Loop: poll() on signals, a timerfd for the
 * failure detector, the fabric and control sockets; sleeps until something
 * happens. Stop: SIGTERM/SIGINT or the "shutdown" command.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <jansson.h>
#include "gmmd.h"
#include "statedir.h"

#define MAX_POLLFDS 80

static struct gmmd gmmd;

/*
 * Fork; the parent exits with the status the child reports through a pipe
 * once set-up is done (0) or failed. Returns the pipe's write end in the child.
 */
static int daemonize(void)
{
	int p[2];
	pid_t pid;
	char status = 1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;     /* the child died before it was ready */
		_exit(status);
	}
	close(p[0]);
	setsid();
	pid = fork();               /* not a session leader: never gets a terminal */
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	umask(022);
	return p[1];
}

static void report_ready(int fd, char status)
{
	if (fd < 0)
		return;
	if (write(fd, &status, 1) != 1)
		(void)0;
	close(fd);
}

static int open_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void handle_signals(struct gmmd *g)
{
	struct signalfd_siginfo si;

	while (read(g->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			gmm_log_counters(g);
		} else if (si.ssi_signo != SIGHUP) {
			gmm_log("signal %u: shutting down", si.ssi_signo);
			g->quit = 1;
		}
	}
}

static int open_timer(struct gmmd *g)
{
	unsigned ms = g->cfg.dead_after_ms / 4;
	struct itimerspec its = { 0 };

	if (ms > GMM_CHECK_MS_MAX)
		ms = GMM_CHECK_MS_MAX;
	if (ms < 5)
		ms = 5;
	its.it_interval.tv_sec = ms / 1000;
	its.it_interval.tv_nsec = (long)(ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	g->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (g->timer_fd < 0 || timerfd_settime(g->timer_fd, 0, &its, NULL) < 0)
		return -1;
	return 0;
}

static void on_timer(struct gmmd *g, uint64_t now)
{
	uint64_t expirations;

	if (read(g->timer_fd, &expirations, sizeof(expirations)) < 0)
		return;
	members_check(g, now);
	endpoint_announce(g, now);
}

/* Milliseconds until the earliest RPC deadline, or -1 (only the timer then). */
static int poll_timeout(struct gmmd *g)
{
	uint64_t d = control_deadline(g), v = vn_deadline(g), now = gmm_now_ns();

	if (v && (!d || v < d))
		d = v;

	if (!d)
		return -1;
	if (d <= now)
		return 0;
	return (int)((d - now + 999999) / 1000000);
}

static void event_loop(struct gmmd *g)
{
	struct pollfd pfd[MAX_POLLFDS];

	while (!g->quit) {
		int n = 4, nc;
		uint64_t now;

		pfd[0] = (struct pollfd){ .fd = g->sig_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = g->timer_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = g->fab_fd, .events = POLLIN };
		pfd[3] = (struct pollfd){ .fd = g->ctl_fd, .events = POLLIN };
		nc = control_pollfds(g, pfd + n, MAX_POLLFDS - n);
		if (poll(pfd, (nfds_t)(n + nc), poll_timeout(g)) < 0) {
			if (errno == EINTR)
				continue;
			gmm_log("poll: %s", strerror(errno));
			break;
		}
		now = gmm_now_ns();
		if (pfd[0].revents)
			handle_signals(g);
		if (pfd[2].revents)
			endpoint_receive(g);
		if (pfd[1].revents)
			on_timer(g, now);
		if (pfd[3].revents)
			control_accept(g);
		control_handle(g, pfd + n, nc, now);
		control_advance(g, gmm_now_ns());
		vn_advance(g, gmm_now_ns());
	}
}

static int setup(struct gmmd *g, int lock_fd)
{
	char err[512];
	struct rpc_policy ping = {
		.timeout_ns = (uint64_t)GMM_PING_TIMEOUT_MS * 1000000ull,
		.max_timeout_ns = 2ull * GMM_PING_TIMEOUT_MS * 1000000ull,
		.max_tries = GMM_PING_TRIES,
	};
	uint64_t seed;
	int up;

	snprintf(g->pid_path, sizeof(g->pid_path), "%s/gmmd.pid", g->cfg.state_dir);
	if (statedir_write_pid(lock_fd, g->pid_path) < 0) {
		fprintf(stderr, "gmmd: cannot write %s: %s\n", g->pid_path, strerror(errno));
		return -1;
	}
	g->node = calloc(FAB_NODE_MAX + 1, sizeof(*g->node));
	if (!g->node) {
		fprintf(stderr, "gmmd: out of memory\n");
		return -1;
	}
	if (dbstate_open(&g->db, g->cfg.db_path, err, sizeof(err)) < 0 ||
	    dbq_open(&g->q, g->cfg.db_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "gmmd: database: %s\n", err);
		return -1;
	}
	up = members_load(g);
	if (up < 0) {
		fprintf(stderr, "gmmd: cannot load nodes: %s\n", dbstate_errmsg(g->db));
		return -1;
	}
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = gmm_now_ns() ^ ((uint64_t)getpid() << 32);
	rpc_init(&g->rpc, &ping, seed);
	rpc_init(&g->rpc_peer, &ping, seed * 6364136223846793005ull + 1442695040888963407ull);
	g->sig_fd = open_signals();
	if (g->sig_fd < 0 || open_timer(g) < 0) {
		fprintf(stderr, "gmmd: signalfd/timerfd: %s\n", strerror(errno));
		return -1;
	}
	if (vn_init(g) < 0) {
		fprintf(stderr, "gmmd: cannot mark the vNodes of the previous gmmd failed: %s\n",
			dbstate_errmsg(g->db));
		return -1;
	}
	if (endpoint_open(g) < 0 || control_open(g) < 0)
		return -1;
	{
		char detail[160];

		snprintf(detail, sizeof(detail), "{\"pid\":%d,\"hb_ms\":%u,\"dead_after_ms\":%u,"
			 "\"nodes_up\":%d}", (int)getpid(), g->cfg.hb_ms, g->cfg.dead_after_ms, up);
		if (dbstate_event_append(g->db, -1, "gmmd-start", detail) < 0)
			gmm_log("cannot record gmmd-start: %s", dbstate_errmsg(g->db));
	}
	gmm_log("started (pid %d): state %s, db %s, cluster %llu, heartbeat %u ms, dead after %u ms,"
		" %d node(s) up from before", (int)getpid(), g->cfg.state_dir, g->cfg.db_path,
		(unsigned long long)dbstate_cluster_id(g->db), g->cfg.hb_ms, g->cfg.dead_after_ms, up);
	endpoint_announce(g, gmm_now_ns());
	return 0;
}

static void teardown(struct gmmd *g)
{
	control_flush(g);
	control_close(g);
	endpoint_close(g);
	if (g->db && dbstate_event_append(g->db, -1, "gmmd-stop", NULL) < 0)
		gmm_log("cannot record gmmd-stop: %s", dbstate_errmsg(g->db));
	gmm_log_counters(g);
	gmm_log("stopped");
	dbq_close(g->q);
	dbstate_close(g->db);
	unlink(g->pid_path);
	free(g->node);
}

int main(int argc, char **argv)
{
	struct gmmd *g = &gmmd;
	int lock_fd, ready_fd = -1, log_fd;
	char log_path[sizeof(g->cfg.state_dir) + 16];	/* "%.107s": state_dir is bounded */

	g->fab_fd = g->ctl_fd = g->timer_fd = g->sig_fd = -1;
	gmm_config_parse(&g->cfg, argc, argv);
	lock_fd = statedir_lock(g->cfg.state_dir);
	if (lock_fd < 0)
		return 1;
	if (!g->cfg.foreground) {
		snprintf(log_path, sizeof(log_path), "%.107s/gmmd.log", g->cfg.state_dir);
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			fprintf(stderr, "gmmd: %s: %s\n", log_path, strerror(errno));
			return 1;
		}
		ready_fd = daemonize();
		if (ready_fd < 0) {
			fprintf(stderr, "gmmd: cannot daemonize: %s\n", strerror(errno));
			return 1;
		}
		gmm_log_to(log_fd);
	}
	g->started_ns = gmm_now_ns();
	if (setup(g, lock_fd) < 0) {
		report_ready(ready_fd, 1);
		return 1;
	}
	if (ready_fd >= 0) {
		int devnull = open("/dev/null", O_RDWR);

		/* From here on only the log speaks; nothing may hold the caller's terminal. */
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
			close(devnull);
		}
		report_ready(ready_fd, 0);
	}
	event_loop(g);
	teardown(g);
	close(lock_fd);
	return 0;
}
