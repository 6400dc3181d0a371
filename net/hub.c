/*
 * net/hub.c - tess-hub, the fabric segment switch. One AF_UNIX datagram
 * socket; every datagram is one Ethernet frame. Learns source MAC -> sender
 * address and forwards by destination MAC, flooding group and unknown
 * destinations (hub_table.c). Never looks past the Ethernet header.
 *
 *   tess-hub --sock PATH [--log FILE]
 *
 * SIGTERM/SIGINT: print counters, remove the socket, exit 0. SIGUSR1: print counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "hub_table.h"

#define HUB_FRAME_MAX   (64 * 1024)     /* largest frame forwarded */
#define HUB_SOCKBUF     (4 * 1024 * 1024)
#define HUB_RX_BATCH    64              /* frames per poll wakeup before re-polling signals */
#define ETH_HDR_LEN     14

struct hub_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t runts;                 /* < 14 bytes: dropped */
	uint64_t oversize;              /* > HUB_FRAME_MAX: dropped */
	uint64_t unicast, flooded, filtered;
	uint64_t unbound_senders;       /* frames from sockets without an address */
	uint64_t tx_busy;               /* receiver queue full (EAGAIN/ENOBUFS): dropped */
	uint64_t tx_gone;               /* receiver socket gone: member forgotten */
	uint64_t tx_errors;             /* any other send error */
};

static struct hub_table table;
static struct hub_stats st;
static FILE *log_file;
static uint64_t tick;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	struct timespec now;
	struct tm tm;
	char ts[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(log_file, "%s.%03u tess-hub: ", ts, (unsigned)(now.tv_nsec / 1000000) % 1000u);
	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
	fputc('\n', log_file);
	fflush(log_file);
}

static void print_counters(void)
{
	logmsg("counters: rx %llu frames %llu bytes, tx %llu frames %llu bytes, unicast %llu,"
	       " flooded %llu, filtered %llu, runts %llu, oversize %llu, unbound %llu,"
	       " tx_busy %llu, tx_gone %llu, tx_errors %llu; members %d, macs %d,"
	       " learned %llu, forgotten %llu, evicted %llu, moved %llu",
	       (unsigned long long)st.rx_frames, (unsigned long long)st.rx_bytes,
	       (unsigned long long)st.tx_frames, (unsigned long long)st.tx_bytes,
	       (unsigned long long)st.unicast, (unsigned long long)st.flooded,
	       (unsigned long long)st.filtered, (unsigned long long)st.runts,
	       (unsigned long long)st.oversize, (unsigned long long)st.unbound_senders,
	       (unsigned long long)st.tx_busy, (unsigned long long)st.tx_gone,
	       (unsigned long long)st.tx_errors, hub_port_count(&table), hub_mac_count(&table),
	       (unsigned long long)table.n.ports_learned,
	       (unsigned long long)table.n.ports_forgotten,
	       (unsigned long long)(table.n.ports_evicted + table.n.macs_evicted),
	       (unsigned long long)table.n.macs_moved);
}

static const char *port_name(int p)
{
	const struct sockaddr_un *sun = (const void *)table.port[p].addr;
	static char buf[sizeof(sun->sun_path) + 2];
	size_t n = table.port[p].addr_len - offsetof(struct sockaddr_un, sun_path);

	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	if (n && sun->sun_path[0] == 0)      /* abstract socket */
		snprintf(buf, sizeof(buf), "@%.*s", (int)(n - 1), sun->sun_path + 1);
	else
		snprintf(buf, sizeof(buf), "%.*s", (int)n, sun->sun_path);
	return buf;
}

static void send_to_port(int fd, int p, const void *frame, size_t len)
{
	ssize_t n = sendto(fd, frame, len, MSG_DONTWAIT,
			   (const struct sockaddr *)table.port[p].addr, table.port[p].addr_len);

	if (n == (ssize_t)len) {
		st.tx_frames++;
		st.tx_bytes += len;
		table.port[p].tx_frames++;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
		st.tx_busy++;
	} else if (n < 0 && (errno == ECONNREFUSED || errno == ENOENT)) {
		/* Its owner (a QEMU) died; it is learned again when it sends. */
		st.tx_gone++;
		logmsg("member %s gone (%s), forgetting it", port_name(p), strerror(errno));
		hub_forget_port(&table, p);
	} else {
		st.tx_errors++;
	}
}

static void forward(int fd, const uint8_t *frame, size_t len,
		    const struct sockaddr_un *from, socklen_t fromlen)
{
	static int out[HUB_MAX_PORTS];
	int src_port = -1, nout;
	unsigned long long learned = table.n.ports_learned;

	st.rx_frames++;
	st.rx_bytes += len;
	if (len < ETH_HDR_LEN) {
		st.runts++;
		return;
	}
	if (fromlen > offsetof(struct sockaddr_un, sun_path))
		src_port = hub_learn(&table, frame + 6, from, fromlen, ++tick);
	if (src_port < 0)
		st.unbound_senders++;
	else if (table.n.ports_learned != learned)
		logmsg("member %s joined (mac %02x:%02x:%02x:%02x:%02x:%02x)", port_name(src_port),
		       frame[6], frame[7], frame[8], frame[9], frame[10], frame[11]);

	switch (hub_route(&table, frame, src_port, out, &nout)) {
	case HUB_FILTER:
		st.filtered++;
		return;
	case HUB_UNICAST:
		st.unicast++;
		break;
	case HUB_FLOOD:
		st.flooded++;
		break;
	}
	for (int i = 0; i < nout; i++)
		send_to_port(fd, out[i], frame, len);
}

/* Drain the socket: returns after EAGAIN or a batch, so signals stay responsive. */
static void receive(int fd)
{
	static uint8_t frame[HUB_FRAME_MAX];
	struct sockaddr_un from;
	socklen_t fromlen;
	ssize_t n;

	for (int i = 0; i < HUB_RX_BATCH; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, frame, sizeof(frame), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				logmsg("recvfrom: %s", strerror(errno));
			return;
		}
		if ((size_t)n > sizeof(frame)) {
			st.rx_frames++;
			st.oversize++;
			continue;
		}
		forward(fd, frame, (size_t)n, &from, fromlen);
	}
}

/* A hub already serving PATH answers connect(); a stale socket file refuses. */
static int claim_path(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	return unlink(path) < 0 ? -errno : 0;
}

static int open_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, sz = HUB_SOCKBUF, rc;

	rc = claim_path(path);
	if (rc == -EADDRINUSE) {
		fprintf(stderr, "tess-hub: %s: another hub is already running there\n", path);
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "tess-hub: %s: %s\n", path,
			rc == -EEXIST ? "exists and is not a socket" : strerror(-rc));
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "tess-hub: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Best effort: bigger buffers absorb bursts (the send buffer caps datagram size). */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Returns 1 when the hub should exit. */
static int handle_signals(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			print_counters();
		} else if (si.ssi_signo != SIGHUP) {
			logmsg("signal %u, exiting", si.ssi_signo);
			return 1;
		}
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: tess-hub --sock PATH [--log FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sock", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *logpath = NULL;
	struct pollfd pfd[2];
	int c, fd, sfd, quit = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			path = optarg;
		else if (c == 'l')
			logpath = optarg;
		else
			usage();
	}
	if (!path || optind != argc)
		usage();
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "tess-hub: %s: socket path longer than %zu bytes\n", path,
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return 2;
	}
	log_file = stderr;
	if (logpath && !(log_file = fopen(logpath, "a"))) {
		fprintf(stderr, "tess-hub: %s: %s\n", logpath, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sfd = open_signals();
	if (sfd < 0) {
		fprintf(stderr, "tess-hub: signalfd: %s\n", strerror(errno));
		return 1;
	}
	fd = open_socket(path);
	if (fd < 0)
		return 1;
	hub_table_init(&table);
	logmsg("listening on %s (pid %d)", path, (int)getpid());

	pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	while (!quit) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			quit = handle_signals(sfd);
		if (pfd[0].revents && !quit)
			receive(fd);
	}
	print_counters();
	unlink(path);
	close(fd);
	return 0;
}
