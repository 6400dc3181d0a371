/*
 * tools/tess_run.c - `tess run` and `tess ps`.
 *
 * run asks gmmd for a vNode ({"cmd":"run"}), then relays: its own stdin to
 * the program as 'I' frames, SIGINT/SIGTERM/SIGHUP/SIGQUIT as 'S' frames, the
 * program's stdout and stderr ('O'/'E' frames) to its own, byte for byte, and
 * exits with the program's status (128 + signal if a signal killed it). The
 * frames are described in docs/interfaces.md, "Running programs". The socket
 * is never written with a blocking call, so a program that is not reading
 * its input can still print (no deadlock between the two directions).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "tess.h"

#define RUN_EXIT_ERR      125           /* tess or the cluster failed, not the program */
#define RUN_CHUNK         (64u << 10)   /* stdin read size = largest frame we send */
#define RUN_SEND_AHEAD    (256u << 10)  /* queued for gmmd before stdin reads pause */
#define RUN_MAX_ENV       256
#define RUN_INT_GIVE_UP   3             /* the third ^C disconnects (gmmd kills the vNode) */
#define EXCACHE_MIN       (64ull << 10)
#define EXCACHE_MAX       (1ull << 40)

int excache_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	default: break;
	}
	if (mul > 1 && end[0] == 'i' && end[1] == 'B')     /* 16MiB */
		end += 2;
	if (*end || v > EXCACHE_MAX / mul || v * mul < EXCACHE_MIN || (v * mul) % 4096)
		return -1;
	*bytes = v * mul;
	return 0;
}

/* ---- the stream --------------------------------------------------------------------- */

struct run {
	const char *path;
	int fd;                          /* gmmd */
	int sig_fd;
	uint8_t *in;                     /* from gmmd, not yet parsed */
	size_t in_len, in_cap;
	uint8_t *out;                    /* to gmmd, not yet sent */
	size_t out_len, out_cap;
	int stdin_open;
	int stdout_gone;                 /* our stdout's reader has left */
	int ints;
	json_t *header;
	json_t *exit;
};

static __attribute__((noreturn, format(printf, 2, 3))) void run_die(const struct run *r,
								    const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "tess: run %s: ", r->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(RUN_EXIT_ERR);
}

/* Append n bytes for gmmd. */
static void queue_raw(struct run *r, const void *p, size_t n)
{
	if (r->out_len + n > r->out_cap) {
		size_t cap = (r->out_len + n) * 2;
		uint8_t *p2 = realloc(r->out, cap);

		if (!p2)
			run_die(r, "out of memory");
		r->out = p2;
		r->out_cap = cap;
	}
	if (n)
		memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
}

/* A frame: kind, u32 length (little-endian), payload. */
static void queue(struct run *r, char kind, const void *p, uint32_t n)
{
	uint8_t h[5] = { (uint8_t)kind, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16),
			 (uint8_t)(n >> 24) };

	queue_raw(r, h, sizeof(h));
	queue_raw(r, p, n);
}

static void queue_signal(struct run *r, uint32_t sig)
{
	uint8_t b[4] = { (uint8_t)sig, (uint8_t)(sig >> 8), (uint8_t)(sig >> 16), (uint8_t)(sig >> 24) };

	queue(r, 'S', b, 4);
}

/* Send what gmmd will take now. */
static void flush_socket(struct run *r)
{
	while (r->out_len) {
		ssize_t n = send(r->fd, r->out, r->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			r->out_len = 0;        /* gmmd is gone: the read side will say so */
			return;
		}
		memmove(r->out, r->out + n, r->out_len - (size_t)n);
		r->out_len -= (size_t)n;
	}
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Program output to our stdout or stderr. A reader of stdout that has gone gets the program SIGPIPE. */
static void emit(struct run *r, int fd, const uint8_t *p, size_t n)
{
	if (fd == 1 && r->stdout_gone)
		return;
	if (write_all(fd, p, n) == 0)
		return;
	if (fd == 1 && errno == EPIPE) {
		r->stdout_gone = 1;
		queue_signal(r, SIGPIPE);
	}
}

/* Parse what gmmd sent: the header line first, then frames. 1 once the stream has ended. */
static int parse(struct run *r)
{
	size_t used = 0;
	int over = 0;

	if (!r->header) {
		uint8_t *nl = memchr(r->in, '\n', r->in_len);
		json_error_t jerr;

		if (!nl)
			return 0;
		r->header = json_loadb((const char *)r->in, (size_t)(nl - r->in), 0, &jerr);
		if (!json_is_object(r->header))
			run_die(r, "gmmd sent something that is not a JSON object: %s", jerr.text);
		used = (size_t)(nl - r->in) + 1;
		if (!json_is_true(json_object_get(r->header, "ok")))
			over = 1;
	}
	while (!over && r->in_len - used >= 5) {
		const uint8_t *f = r->in + used;
		uint32_t n = (uint32_t)f[1] | (uint32_t)f[2] << 8 | (uint32_t)f[3] << 16 |
			     (uint32_t)f[4] << 24;
		json_error_t jerr;

		if (r->in_len - used < 5 + (size_t)n)
			break;
		switch (f[0]) {
		case 'O':
			emit(r, 1, f + 5, n);
			break;
		case 'E':
			emit(r, 2, f + 5, n);
			break;
		case 'X':
		case 'F':
			r->exit = json_loadb((const char *)f + 5, n, 0, &jerr);
			if (!json_is_object(r->exit))
				run_die(r, "bad exit record from gmmd: %s", jerr.text);
			if (f[0] == 'F') {
				const char *e = json_string_value(json_object_get(r->exit, "error"));

				run_die(r, "%s", e ? e : "the vNode failed");
			}
			over = 1;
			break;
		default:
			run_die(r, "gmmd sent an unknown frame '%c'", f[0]);
		}
		used += 5 + (size_t)n;
	}
	memmove(r->in, r->in + used, r->in_len - used);
	r->in_len -= used;
	return over;
}

static void read_socket(struct run *r)
{
	ssize_t n;

	if (r->in_cap - r->in_len < RUN_CHUNK) {
		uint8_t *p = realloc(r->in, r->in_cap + 2 * RUN_CHUNK);

		if (!p)
			run_die(r, "out of memory");
		r->in = p;
		r->in_cap += 2 * RUN_CHUNK;
	}
	n = recv(r->fd, r->in + r->in_len, r->in_cap - r->in_len, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (!r->header)
			run_die(r, "gmmd closed the connection without answering");
		run_die(r, "gmmd closed the connection before the program exited");
	}
	r->in_len += (size_t)n;
}

static void read_stdin(struct run *r)
{
	uint8_t buf[RUN_CHUNK];
	ssize_t n = read(0, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {                /* end of input (or an error, e.g. a terminal hung up) */
		queue(r, 'I', NULL, 0);
		r->stdin_open = 0;
		return;
	}
	queue(r, 'I', buf, (uint32_t)n);
}

static void on_signals(struct run *r)
{
	struct signalfd_siginfo si;

	while (read(r->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGINT && ++r->ints >= RUN_INT_GIVE_UP) {
			fflush(stdout);
			fprintf(stderr, "\ntess: run %s: interrupted %d times; disconnecting (the vNode is "
				"killed)\n", r->path, r->ints);
			exit(128 + SIGINT);
		}
		queue_signal(r, si.ssi_signo);
	}
}

static int open_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void relay(struct run *r)
{
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = r->fd, .events = POLLIN | (r->out_len ? POLLOUT : 0) },
			{ .fd = r->sig_fd, .events = POLLIN },
			{ .fd = r->stdin_open && r->header && r->out_len < RUN_SEND_AHEAD ? 0 : -1,
			  .events = POLLIN },
		};

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			run_die(r, "poll: %s", strerror(errno));
		if (p[1].revents)
			on_signals(r);
		if (p[2].revents)
			read_stdin(r);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_socket(r);
		if (parse(r))
			return;
		flush_socket(r);
	}
}

/* ---- after the exit ----------------------------------------------------------------- */

static double jnum(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void print_stats(const struct run *r)
{
	json_t *x = json_object_get(r->exit, "excache"), *hist = json_object_get(x, "fetch_hist"), *v;
	double lines = jnum(x, "lines"), fetches = 0, total_ns = jnum(x, "fetch_ns_total");
	json_t *nosys = json_object_get(r->exit, "nosys");
	size_t i;
	int first = -1, last = -1;

	json_array_foreach(hist, i, v) {
		fetches += json_number_value(v);
		if (json_number_value(v) > 0) {
			last = (int)i;
			if (first < 0)
				first = (int)i;
		}
	}
	fprintf(stderr, "tess: vnode %.0f (pid %.0f) on node %.0f, memory node %.0f: wait status 0x%x,"
		" ran %.1f ms\n", jnum(r->header, "vnode"), jnum(r->header, "pid"),
		jnum(r->header, "pnode"), jnum(r->header, "mnode"),
		(unsigned)jnum(r->exit, "wait_status"), jnum(r->exit, "runtime_ns") / 1e6);
	fprintf(stderr, "excache: %.0f lines (%.1f MiB), %.0f-way\n", lines, lines * 4096 / 1048576.0,
		jnum(x, "assoc"));
	fprintf(stderr, "excache: %.0f misses, %.0f zero-fills, %.0f evictions, %.0f writebacks\n",
		jnum(x, "misses"), jnum(x, "zero_fills"), jnum(x, "evictions"), jnum(x, "writebacks"));
	fprintf(stderr, "excache: pool window: %.0f misses and %.0f writebacks copied, %.0f syncs\n",
		jnum(x, "pool_reads"), jnum(x, "pool_writes"), jnum(x, "pool_syncs"));
	if (fetches > 0)
		fprintf(stderr, "excache: mean fetch latency %.1f us (%.0f timed)\n",
			total_ns / fetches / 1000.0, fetches);
	else
		fprintf(stderr, "excache: no fetches\n");
	for (int b = first < 0 ? 0 : first; b <= last; b++) {
		double n = json_number_value(json_array_get(hist, (size_t)b));
		int bar = fetches > 0 ? (int)(40.0 * n / fetches + 0.5) : 0;

		fprintf(stderr, "  fetch latency [%6llu, %6llu) us %9.0f  %.*s\n", 1ull << b, 1ull << (b + 1), n,
			bar, "########################################");
	}
	if (jnum(r->exit, "nosys_total") > 0) {
		fprintf(stderr, "nosys: %.0f calls answered ENOSYS (syscall x count):",
			jnum(r->exit, "nosys_total"));
		json_array_foreach(nosys, i, v)
			fprintf(stderr, " %.0f x%.0f", json_number_value(json_array_get(v, 0)),
				json_number_value(json_array_get(v, 1)));
		fputc('\n', stderr);
	}
}

/* A refusal before the program ran: the shell's 126/127, or 125. */
static __attribute__((noreturn)) void start_failed(const struct run *r)
{
	const char *e = json_string_value(json_object_get(r->header, "error"));
	const char *why = json_string_value(json_object_get(r->header, "reason"));
	json_t *code = json_object_get(r->header, "exit");

	fflush(stdout);
	if (json_is_integer(code))
		fprintf(stderr, "tess: run %s: %s%s%s\n", r->path, e ? e : "cannot run it",
			why ? ": " : "", why ? why : "");
	else
		fprintf(stderr, "tess: run: %s\n", e ? e : "gmmd refused (no error text)");
	exit(json_is_integer(code) ? (int)json_integer_value(code) : RUN_EXIT_ERR);
}

static int connect_gmmd(const struct tess *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", spath(t, "gmmd.sock"));
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			die_no_cluster(t);
		die("cannot connect to %s: %s", sa.sun_path, strerror(errno));
	}
	return fd;
}

static const char run_usage[] =
	"run: usage: tess run [--excache SIZE] [--stats] [--pnode NODE] [-e VAR=VALUE]... -- PATH [ARGS...]";

int cmd_run(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a, *v, *pnode = NULL, *term = getenv("TERM");
	json_t *req, *args = json_array(), *setenv_ = json_array();
	uint64_t excache = 0;
	int stats = 0, ws;
	struct run r = { 0 };
	char *line;

	opts_init(&o, argc, argv);
	while (o.i < o.argc) {
		a = o.argv[o.i];
		if (strcmp(a, "--") == 0) {
			o.i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;                  /* PATH: the rest belongs to the program */
		o.i++;
		if (opts_common(t, &o, a))
			continue;
		if (opts_value(&o, a, "--excache", NULL, &v)) {
			if (excache_parse_size(v, &excache))
				die_usage("run: --excache: expected a size from 64K to 1024G in whole 4K pages"
					  " (e.g. 16M), got '%s'", v);
		} else if (strcmp(a, "--stats") == 0) {
			stats = 1;
		} else if (opts_value(&o, a, "--pnode", NULL, &v)) {
			pnode = v;
		} else if (opts_value(&o, a, "--env", "-e", &v)) {
			if (!strchr(v, '=') || v[0] == '=')
				die_usage("run: -e: expected VAR=VALUE, got '%s'", v);
			if (json_array_size(setenv_) >= RUN_MAX_ENV)
				die_usage("run: at most %d -e settings", RUN_MAX_ENV);
			json_array_append_new(setenv_, json_string(v));
		} else {
			die_usage("run: unknown option '%s' (%s)", a, run_usage + 5);
		}
	}
	if (o.i >= o.argc)
		die_usage("%s", run_usage);
	r.path = o.argv[o.i];
	for (; o.i < o.argc; o.i++)
		json_array_append_new(args, json_string(o.argv[o.i]));
	state_resolve(t, 0);

	req = json_pack("{s:s, s:o, s:o, s:b}", "cmd", "run", "argv", args, "setenv", setenv_,
			"tty", isatty(0));
	if (term && *term)
		json_object_set_new(req, "term", json_string(term));
	if (excache)
		json_object_set_new(req, "excache", json_integer((json_int_t)excache));
	if (pnode) {
		char *end;
		long id = strtol(pnode, &end, 10);

		json_object_set_new(req, "pnode", *end || end == pnode ? json_string(pnode) :
				    json_integer(id));
	}
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		die("out of memory");

	r.sig_fd = open_signals();
	if (r.sig_fd < 0)
		die("signalfd: %s", strerror(errno));
	r.fd = connect_gmmd(t);
	r.stdin_open = 1;
	queue_raw(&r, line, strlen(line));
	queue_raw(&r, "\n", 1);
	free(line);
	flush_socket(&r);

	relay(&r);
	if (!json_is_true(json_object_get(r.header, "ok")))
		start_failed(&r);
	fflush(stdout);
	if (stats)
		print_stats(&r);
	ws = (int)jnum(r.exit, "wait_status");
	close(r.fd);
	return (ws & 0x7f) ? 128 + (ws & 0x7f) : (ws >> 8) & 0xff;
}

/* ---- ps ------------------------------------------------------------------------------ */

static const char *fmt_bytes(double b)
{
	static char buf[4][16];
	static int k;
	char *s = buf[k++ & 3];

	if (b >= 1 << 30)
		snprintf(s, 16, "%.1fG", b / (1 << 30));
	else if (b >= 1 << 20)
		snprintf(s, 16, "%.1fM", b / (1 << 20));
	else
		snprintf(s, 16, "%.0fK", b / 1024);
	return s;
}

/* The vNode's argv as one line (at most 60 characters). */
static const char *argv_line(json_t *vn)
{
	static char buf[64];
	json_t *s;
	size_t i, at = 0;

	buf[0] = 0;
	json_array_foreach(json_object_get(vn, "argv"), i, s) {
		int n = snprintf(buf + at, sizeof(buf) - at, "%s%s", i ? " " : "",
				 json_string_value(s) ? json_string_value(s) : "?");

		if (n < 0 || (size_t)n >= sizeof(buf) - at) {
			strcpy(buf + sizeof(buf) - 4, "...");
			break;
		}
		at += (size_t)n;
	}
	return buf;
}

int cmd_ps(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a;
	int as_json = 0;
	json_t *req, *r, *p, *vn;
	size_t i, j;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o))) {
		if (opts_common(t, &o, a))
			continue;
		if (strcmp(a, "--json") == 0)
			as_json = 1;
		else
			die_usage("ps: unknown argument '%s' (tess ps [--json])", a);
	}
	state_resolve(t, 0);
	req = json_pack("{s:s}", "cmd", "ps");
	r = ctl_call(t, req, 15000);
	json_decref(req);
	if (as_json) {
		char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		puts(s);
		free(s);
		json_decref(r);
		return 0;
	}
	printf("%5s %5s %5s %6s %6s %1s %7s %-16s %s\n", "VNODE", "PNODE", "MNODE", "PID", "PPID", "S",
	       "RSS", "COMM", "COMMAND");
	json_array_foreach(json_object_get(r, "vnodes"), i, vn) {
		int shown = 0;

		json_array_foreach(json_object_get(r, "processes"), j, p) {
			if (jnum(p, "vnode") != jnum(vn, "vnode"))
				continue;
			printf("%5.0f %5.0f %5.0f %6.0f %6.0f %1s %7s %-16s %s\n", jnum(vn, "vnode"),
			       jnum(p, "pnode"), jnum(vn, "mnode"), jnum(p, "pid"), jnum(p, "ppid"),
			       json_string_value(json_object_get(p, "state")),
			       fmt_bytes(jnum(p, "rss_bytes")),
			       json_string_value(json_object_get(p, "comm")), shown ? "" : argv_line(vn));
			shown = 1;
		}
		if (!shown)
			printf("%5.0f %5.0f %5.0f %6s %6s %1s %7s %-16s %s\n", jnum(vn, "vnode"),
			       jnum(vn, "pnode"), jnum(vn, "mnode"), "-", "-", "-", "-",
			       json_string_value(json_object_get(vn, "state")), argv_line(vn));
	}
	/* Processes a node reports for vNodes the table does not list (gmmd restarted). */
	json_array_foreach(json_object_get(r, "processes"), j, p) {
		int known = 0;

		json_array_foreach(json_object_get(r, "vnodes"), i, vn)
			known |= jnum(p, "vnode") == jnum(vn, "vnode");
		if (!known)
			printf("%5.0f %5.0f %5s %6.0f %6.0f %1s %7s %-16s %s\n", jnum(p, "vnode"),
			       jnum(p, "pnode"), "?", jnum(p, "pid"), jnum(p, "ppid"),
			       json_string_value(json_object_get(p, "state")), fmt_bytes(jnum(p, "rss_bytes")),
			       json_string_value(json_object_get(p, "comm")), "(not in the vnodes table)");
	}
	if (!json_array_size(json_object_get(r, "vnodes")) &&
	    !json_array_size(json_object_get(r, "processes")))
		printf("(no vNodes are running)\n");
	json_array_foreach(json_object_get(r, "errors"), i, p) {
		const char *e = json_string_value(json_object_get(p, "error"));

		if (json_object_get(p, "pnode"))
			fprintf(stderr, "tess: ps: process node %.0f: %s\n", jnum(p, "pnode"), e ? e : "?");
		else
			fprintf(stderr, "tess: ps: %s\n", e ? e : "?");
	}
	json_decref(r);
	return 0;
}
