/*
 * tools/fs_load.c - many file requests at once through gmmd's control socket,
 * for tests and benchmarks that would be slow as thousands of `tess fs`
 * processes. Spreads the work over several connections (gmmd runs one job
 * per connection at a time) and keeps every connection's request queue full.
 *
 *   fs-load [--state DIR] [--conns N] touch DIR COUNT    create DIR/f000000.. (empty files)
 *   fs-load [--state DIR] [--conns N] rm DIR COUNT       remove them
 *   fs-load [--state DIR] [--conns N] pread FILE COUNT [--len L] [--seed S]
 *                                                         COUNT random L-byte reads (default 4096)
 *   fs-load [--state DIR] [--conns N] pwrite FILE COUNT [--len L] [--seed S]
 *                                                         COUNT random L-byte writes inside FILE
 *                                                         (each request of 256 ends in an fsync)
 *
 * Prints one line: "<what>: N ok, E failed in S s (R/s)"; exits 1 if any failed.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#define MAX_CONNS      32
#define QUEUE_DEPTH    32          /* requests written ahead per connection */
#define PREAD_BATCH    256         /* offsets per fs-pread request */

struct conn {
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	unsigned outstanding;          /* requests sent, replies not yet read */
	uint64_t raw_left;             /* pread: data bytes of the current reply still to come */
};

static const char *prog = "fs-load";
static uint64_t n_ok, n_fail;
static char first_err[256];

static __attribute__((noreturn)) void die(const char *msg)
{
	fprintf(stderr, "%s: %s\n", prog, msg);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void conn_open(struct conn *c, const char *state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/gmmd.sock", state) >= (int)sizeof(sa.sun_path))
		die("state directory path too long");
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		char msg[300];

		snprintf(msg, sizeof(msg), "cannot connect to %s: %s", sa.sun_path, strerror(errno));
		die(msg);
	}
	c->in_cap = 1 << 20;
	c->in = malloc(c->in_cap);
	if (!c->in)
		die("out of memory");
}

static void queue_bytes(struct conn *c, const void *p, size_t n)
{
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > c->out_cap) {
		c->out_cap = (c->out_len + n) * 2;
		c->out = realloc(c->out, c->out_cap);
		if (!c->out)
			die("out of memory");
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

/* A request line, and for fs-pwrite the "raw" bytes that follow it (released here). */
static void queue_json(struct conn *c, json_t *req)
{
	char *s = json_dumps(req, JSON_COMPACT);
	size_t n = s ? strlen(s) : 0;
	json_t *raw = json_object_get(req, "raw_bytes");

	if (raw) {
		json_incref(raw);
		json_object_del(req, "raw_bytes");
		free(s);
		s = json_dumps(req, JSON_COMPACT);
		n = s ? strlen(s) : 0;
	}
	json_decref(req);
	if (!s)
		die("out of memory");
	if (raw) {
		queue_bytes(c, s, n);
		queue_bytes(c, "\n", 1);
		for (json_int_t left = json_integer_value(raw); left > 0;) {
			static char junk[8192];
			size_t k = left < (json_int_t)sizeof(junk) ? (size_t)left : sizeof(junk);

			queue_bytes(c, junk, k);
			left -= (json_int_t)k;
		}
		json_decref(raw);
		c->outstanding++;
		free(s);
		return;
	}
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		c->out_cap = (c->out_len + n + 1) * 2;
		c->out = realloc(c->out, c->out_cap);
		if (!c->out)
			die("out of memory");
	}
	memcpy(c->out + c->out_len, s, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	c->outstanding++;
	free(s);
}

/* Consume complete replies (and pread data) in c->in. */
static void take_replies(struct conn *c)
{
	size_t off = 0;

	for (;;) {
		char *nl;
		json_t *r;
		json_error_t jerr;

		if (c->raw_left) {
			size_t n = c->in_len - off < c->raw_left ? c->in_len - off : (size_t)c->raw_left;

			off += n;
			c->raw_left -= n;
			if (c->raw_left)
				break;
			c->outstanding--;
			continue;
		}
		nl = memchr(c->in + off, '\n', c->in_len - off);
		if (!nl)
			break;
		r = json_loadb(c->in + off, (size_t)(nl - (c->in + off)), 0, &jerr);
		off = (size_t)(nl - c->in) + 1;
		if (r && json_is_true(json_object_get(r, "ok"))) {
			json_t *reads = json_object_get(r, "reads");

			if (json_object_get(r, "writes")) {
				n_ok += (uint64_t)json_integer_value(json_object_get(r, "writes"));
			} else if (reads) {       /* fs-pread: its data follows */
				n_ok += (uint64_t)json_integer_value(reads);
				c->raw_left = (uint64_t)json_integer_value(json_object_get(r, "size"));
			} else {
				n_ok++;
			}
		} else {
			const char *e = r ? json_string_value(json_object_get(r, "error")) : jerr.text;

			n_fail++;
			if (!first_err[0])
				snprintf(first_err, sizeof(first_err), "%s", e ? e : "?");
		}
		json_decref(r);
		if (!c->raw_left)
			c->outstanding--;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

/* Drive all connections until every request is answered; next() makes requests. */
static void run(struct conn *cs, int nc, json_t *(*next)(void *arg), void *arg)
{
	int more = 1;

	for (;;) {
		struct pollfd pfd[MAX_CONNS];
		int busy = 0;

		for (int i = 0; i < nc; i++) {
			while (more && cs[i].outstanding < QUEUE_DEPTH) {
				json_t *req = next(arg);

				if (!req) {
					more = 0;
					break;
				}
				queue_json(&cs[i], req);
			}
			pfd[i].fd = cs[i].fd;
			pfd[i].events = (cs[i].outstanding ? POLLIN : 0) |
					(cs[i].out_len > cs[i].out_off ? POLLOUT : 0);
			busy += cs[i].outstanding != 0;
		}
		if (!busy && !more)
			return;
		if (poll(pfd, (nfds_t)nc, 60000) <= 0)
			die(errno == EINTR ? "interrupted" : "gmmd did not answer for 60 s");
		for (int i = 0; i < nc; i++) {
			struct conn *c = &cs[i];

			if (pfd[i].revents & POLLOUT) {
				ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
						 MSG_NOSIGNAL | MSG_DONTWAIT);

				if (w < 0 && errno != EAGAIN && errno != EINTR)
					die("gmmd closed the connection");
				if (w > 0)
					c->out_off += (size_t)w;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP)) {
				ssize_t n;

				if (c->in_len == c->in_cap) {
					c->in_cap *= 2;
					c->in = realloc(c->in, c->in_cap);
					if (!c->in)
						die("out of memory");
				}
				n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
				if (n == 0)
					die("gmmd closed the connection");
				if (n > 0) {
					c->in_len += (size_t)n;
					take_replies(c);
				}
			}
		}
	}
}

/* ---- workloads --------------------------------------------------------------- */

struct names {
	const char *verb, *dir;
	long count, next;
};

static json_t *next_name(void *arg)
{
	struct names *w = arg;
	char path[4200];

	if (w->next >= w->count)
		return NULL;
	snprintf(path, sizeof(path), "%s/f%06ld", strcmp(w->dir, "/") ? w->dir : "", w->next++);
	return json_pack("{s:s, s:s, s:s}", "cmd", "fs", "op", w->verb, "path", path);
}

struct preads {
	const char *path;
	long count, next, len;
	uint64_t pages;                /* file size in len-sized pieces */
	uint64_t rng;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static json_t *next_rw(struct preads *w, const char *cmd)
{
	json_t *offs, *req;
	size_t n;

	if (w->next >= w->count)
		return NULL;
	offs = json_array();
	for (int i = 0; i < PREAD_BATCH && w->next < w->count; i++, w->next++)
		json_array_append_new(offs, json_integer((json_int_t)(xorshift(&w->rng) % w->pages *
								       (uint64_t)w->len)));
	n = json_array_size(offs);
	req = json_pack("{s:s, s:s, s:o, s:i}", "cmd", cmd, "path", w->path, "offsets", offs,
			"len", (int)w->len);
	if (!strcmp(cmd, "fs-pwrite"))
		json_object_set_new(req, "raw_bytes", json_integer((json_int_t)(n * (size_t)w->len)));
	return req;
}

static json_t *next_pread(void *arg)
{
	return next_rw(arg, "fs-pread");
}

static json_t *next_pwrite(void *arg)
{
	return next_rw(arg, "fs-pwrite");
}

static uint64_t file_size(const char *state, const char *path)
{
	struct conn c;
	json_t *r;
	json_error_t jerr;
	char *nl;

	conn_open(&c, state);
	queue_json(&c, json_pack("{s:s, s:s, s:s}", "cmd", "fs", "op", "stat", "path", path));
	if (send(c.fd, c.out, c.out_len, MSG_NOSIGNAL) != (ssize_t)c.out_len)
		die("cannot send to gmmd");
	while (!(nl = memchr(c.in, '\n', c.in_len))) {
		ssize_t n = recv(c.fd, c.in + c.in_len, c.in_cap - c.in_len, 0);

		if (n <= 0)
			die("gmmd closed the connection");
		c.in_len += (size_t)n;
	}
	r = json_loadb(c.in, (size_t)(nl - c.in), 0, &jerr);
	if (!r || !json_is_true(json_object_get(r, "ok"))) {
		char msg[300];

		snprintf(msg, sizeof(msg), "%s: %s", path,
			 r ? json_string_value(json_object_get(r, "error")) : jerr.text);
		die(msg);
	}
	close(c.fd);
	return (uint64_t)json_integer_value(json_object_get(r, "size"));
}

static void usage(void)
{
	fprintf(stderr, "usage: fs-load [--state DIR] [--conns N] touch|rm DIR COUNT\n"
		"       fs-load [--state DIR] [--conns N] pread|pwrite FILE COUNT [--len L] [--seed S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *state = getenv("TESSERA_STATE"), *what = NULL, *target = NULL;
	long count = -1, len = 4096, conns = 8;
	uint64_t seed = 1;
	struct conn cs[MAX_CONNS];
	char def[64];
	double t0, secs;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--state") && i + 1 < argc)
			state = argv[++i];
		else if (!strcmp(a, "--conns") && i + 1 < argc)
			conns = atol(argv[++i]);
		else if (!strcmp(a, "--len") && i + 1 < argc)
			len = atol(argv[++i]);
		else if (!strcmp(a, "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (a[0] == '-')
			usage();
		else if (!what)
			what = a;
		else if (!target)
			target = a;
		else if (count < 0)
			count = atol(a);
		else
			usage();
	}
	if (!what || !target || count < 0 || conns < 1 || conns > MAX_CONNS || len < 1 || len > 8192)
		usage();
	if (!state || !*state) {
		snprintf(def, sizeof(def), "/tmp/tessera-%u", (unsigned)getuid());
		state = def;
	}
	for (int i = 0; i < conns; i++)
		conn_open(&cs[i], state);
	if (!strcmp(what, "touch") || !strcmp(what, "rm")) {
		struct names w = { .verb = what, .dir = target, .count = count };

		t0 = now_s();
		run(cs, (int)conns, next_name, &w);
	} else if (!strcmp(what, "pread") || !strcmp(what, "pwrite")) {
		struct preads w = { .path = target, .count = count, .len = len, .rng = seed | 1 };
		uint64_t size = file_size(state, target);

		if (size < (uint64_t)len)
			die("the file is smaller than one read");
		w.pages = size / (uint64_t)len;
		t0 = now_s();
		run(cs, (int)conns, what[1] == 'r' ? next_pread : next_pwrite, &w);
	} else {
		usage();
	}
	secs = now_s() - t0;
	printf("%s: %llu ok, %llu failed in %.2f s (%.0f/s)%s%s\n", what, (unsigned long long)n_ok,
	       (unsigned long long)n_fail, secs, secs > 0 ? (double)n_ok / secs : 0.0,
	       first_err[0] ? "; first error: " : "", first_err);
	return n_fail ? 1 : 0;
}
