/*
 * gmm/control.c - the control socket DIR/gmmd.sock: AF_UNIX stream, many
 * clients, one JSON object per line each way (docs/interfaces.md). Everything
 * is non-blocking; a client with a ping or file job in progress keeps its
 * further lines queued until the job's reply is written, so replies stay in
 * order. File jobs (fs.c) may also stream raw bytes: fs-put's data follows its
 * request line, fs-get's data follows its reply line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <jansson.h>
#include "gmmd.h"

#define CTL_MAX_CLIENTS  64
#define CTL_MAX_LINE     (1u << 20)
#define CTL_MAX_OUT      (64u << 20)     /* a client that does not read is dropped */
#define CTL_BACKLOG      16
#define CTL_FLUSH_MS     500
#define CTL_RAW_IN_MAX   (256u << 10)    /* fs-put: bytes read ahead of the storage node */

struct ctl_client {
	int    fd;
	char  *in;
	size_t in_len, in_cap;
	char  *out;
	size_t out_len, out_off;
	int    rd_eof, dead;
	struct ping_job *job;
	struct fs_job *fs;
	struct vn_job *vn;           /* run or ps (vnodes.c); it may outlive the client */
	int    closing;              /* close once out is sent (the end of a run) */
};

static struct ctl_client *clients[CTL_MAX_CLIENTS];

int control_open(struct gmmd *g)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (snprintf(g->ctl_path, sizeof(g->ctl_path), "%s/gmmd.sock", g->cfg.state_dir) >=
	    (int)sizeof(g->ctl_path)) {
		fprintf(stderr, "gmmd: %s: path too long for a socket\n", g->cfg.state_dir);
		return -1;
	}
	/* We hold the state directory lock: an existing socket is stale. */
	if (unlink(g->ctl_path) < 0 && errno != ENOENT) {
		fprintf(stderr, "gmmd: %s: %s\n", g->ctl_path, strerror(errno));
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", g->ctl_path);
	g->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->ctl_fd < 0 || bind(g->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(g->ctl_fd, CTL_BACKLOG) < 0) {
		fprintf(stderr, "gmmd: %s: %s\n", g->ctl_path, strerror(errno));
		return -1;
	}
	chmod(g->ctl_path, 0600);
	return 0;
}

static void client_free(struct gmmd *g, int i)
{
	struct ctl_client *c = clients[i];

	ping_free(g, c->job);
	fs_free(g, c->fs);
	if (c->vn)
		vn_client_gone(g, c->vn);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	clients[i] = NULL;
}

void control_close(struct gmmd *g)
{
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (clients[i])
			client_free(g, i);
	if (g->ctl_fd >= 0) {
		close(g->ctl_fd);
		unlink(g->ctl_path);
		g->ctl_fd = -1;
	}
}

static void flush_out(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->dead = 1;
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
}

/* Append to the output (sent bytes dropped first); -1 and the client is dropped if too much. */
static int out_append(struct ctl_client *c, const void *p, size_t n, int newline)
{
	char *grown;

	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n + 1 > CTL_MAX_OUT || !(grown = realloc(c->out, c->out_len + n + 1))) {
		c->dead = 1;
		return -1;
	}
	c->out = grown;
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	if (newline)
		c->out[c->out_len++] = '\n';
	flush_out(c);
	return 0;
}

/* Queue one reply line (takes the reference to r). */
static void reply(struct ctl_client *c, json_t *r)
{
	/* 15 significant digits, as the sqlite3 shell prints reals. */
	char *s = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));

	json_decref(r);
	if (!s) {
		c->dead = 1;
		return;
	}
	out_append(c, s, strlen(s), 1);
	free(s);
}

/* ---- for file jobs (fs.c) ---- */

void control_reply(struct ctl_client *c, json_t *r)
{
	reply(c, r);
}

int control_send_raw(struct ctl_client *c, const void *p, size_t n)
{
	return c->dead ? -1 : out_append(c, p, n, 0);
}

size_t control_unsent(const struct ctl_client *c)
{
	return c->out_len - c->out_off;
}

size_t control_input(struct ctl_client *c, const void **p)
{
	*p = c->in;
	return c->in_len;
}

void control_consume(struct ctl_client *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

int control_input_eof(const struct ctl_client *c)
{
	return c->rd_eof || c->dead;
}

void control_abort(struct ctl_client *c)
{
	c->dead = 1;
}

static json_t *error_reply(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* An optional integer member: -1 if absent, -2 if not an integer. */
static long long opt_int(json_t *req, const char *key, long long dflt)
{
	json_t *v = json_object_get(req, key);

	if (!v)
		return dflt;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -2;
	return json_integer_value(v);
}

static json_t *cmd_ping(struct gmmd *g, struct ctl_client *c, json_t *req)
{
	long long node = opt_int(req, "node", -1), from = opt_int(req, "from", -1);
	long long count = opt_int(req, "count", 4), size = opt_int(req, "size", 56);
	char err[160];

	if (node == -1)
		return error_reply("ping: which node? (\"node\": N)");
	if (node < 0 || from == -2 || count < 0 || size < 0)
		return error_reply("ping: node, from, count and size must be non-negative integers");
	if (node > FAB_NODE_MAX || from > FAB_NODE_MAX) {
		snprintf(err, sizeof(err), "bad node %lld (1..%u)", node > FAB_NODE_MAX ? node : from,
			 FAB_NODE_MAX);
		return error_reply(err);
	}
	if (count > GMM_PING_MAX_COUNT || size > FAB_MAX_PAYLOAD) {
		snprintf(err, sizeof(err), "ping: count must be 1..%u and size 0..%u",
			 GMM_PING_MAX_COUNT, FAB_MAX_PAYLOAD);
		return error_reply(err);
	}
	c->job = ping_start(g, (int)node, (int)from, (unsigned)count, (unsigned)size, err,
			    sizeof(err));
	return c->job ? NULL : error_reply(err);
}

static json_t *cmd_sql(struct gmmd *g, json_t *req)
{
	const char *q = json_string_value(json_object_get(req, "query"));
	json_t *res = NULL;
	char err[512];
	json_t *r;

	if (!q)
		return error_reply("sql: \"query\" must be a string");
	if (dbq_run(g->q, q, DBQ_MAX_ROWS, &res, err, sizeof(err)) < 0)
		return error_reply(err);
	r = json_pack("{s:b}", "ok", 1);     /* "ok" first, as in every reply */
	json_object_update(r, res);
	json_decref(res);
	return r;
}

/* Returns the reply, or NULL if one will come later (a ping). */
static json_t *handle_request(struct gmmd *g, struct ctl_client *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr), *r;
	const char *cmd;
	char msg[256];

	if (!req) {
		snprintf(msg, sizeof(msg), "bad JSON: %s", jerr.text);
		return error_reply(msg);
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!json_is_object(req) || !cmd) {
		r = error_reply("a request is a JSON object with \"cmd\"");
	} else if (strcmp(cmd, "status") == 0) {
		r = status_json(g, gmm_now_ns());
	} else if (strcmp(cmd, "ping") == 0) {
		r = cmd_ping(g, c, req);
	} else if (strcmp(cmd, "sql") == 0) {
		r = cmd_sql(g, req);
	} else if (fs_is_cmd(cmd)) {
		r = fs_start(g, c, cmd, req, &c->fs);
	} else if (vn_is_cmd(cmd)) {
		r = vn_start(g, c, cmd, req, &c->vn);
	} else if (strcmp(cmd, "shutdown") == 0) {
		gmm_log("shutdown requested on the control socket");
		/* tess down stops the nodes right after this: record that they left. */
		members_all_left(g, "cluster shutdown");
		g->quit = 1;
		r = json_pack("{s:b}", "ok", 1);
	} else {
		snprintf(msg, sizeof(msg), "unknown command '%.64s' (status, ping, sql, fs, fs-put, fs-get, "
			 "fs-pread, run, ps, shutdown)", cmd);
		r = error_reply(msg);
	}
	json_decref(req);
	return r;
}

/* Handle complete lines until a ping or file job makes the client wait. */
static void process_input(struct gmmd *g, struct ctl_client *c)
{
	size_t start = 0;

	if (c->fs || c->vn || c->closing)
		return;           /* what follows may be the job's raw bytes */
	while (!c->job && !c->fs && !c->vn && !c->dead && start < c->in_len) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		size_t len;
		json_t *r;

		if (!nl) {
			if (!c->rd_eof)
				break;
			nl = c->in + c->in_len;    /* last line without newline */
		}
		len = (size_t)(nl - (c->in + start));
		if (len && c->in[start + len - 1] == '\r')
			len--;
		if (len && strspn(c->in + start, " \t") < len) {   /* blank lines are ignored */
			r = handle_request(g, c, c->in + start, len);
			if (r)
				reply(c, r);
		}
		start = (size_t)(nl - c->in) + (nl < c->in + c->in_len);
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (!c->fs && !c->vn && c->in_len >= CTL_MAX_LINE) {
		reply(c, error_reply("request line too long"));
		c->in_len = 0;
		c->rd_eof = 1;
	}
}

static void read_input(struct gmmd *g, struct ctl_client *c)
{
	for (;;) {
		ssize_t n;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			char *p = cap <= 2 * CTL_MAX_LINE ? realloc(c->in, cap) : NULL;

			if (!p)
				break;
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n == 0)
			c->rd_eof = 1;
		else if (errno != EAGAIN && errno != EINTR)
			c->dead = 1;
		break;
	}
	process_input(g, c);
}

void control_accept(struct gmmd *g)
{
	for (;;) {
		int fd = accept4(g->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;

		if (fd < 0)
			return;
		for (i = 0; i < CTL_MAX_CLIENTS && clients[i]; i++)
			;
		if (i == CTL_MAX_CLIENTS || !(clients[i] = calloc(1, sizeof(struct ctl_client)))) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				(void)0;
			close(fd);
			continue;
		}
		clients[i]->fd = fd;
	}
}

static int finished(const struct ctl_client *c)
{
	return c->dead || (c->closing && c->out_len == 0) ||
	       (c->rd_eof && !c->job && !c->fs && !c->vn && c->out_len == 0 && c->in_len == 0);
}

void control_vn_done(struct gmmd *g, struct ctl_client *c, int close)
{
	c->vn = NULL;
	if (close) {
		c->closing = 1;
		c->in_len = 0;
	}
	flush_out(c);
	process_input(g, c);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (clients[i] == c && finished(c))
			client_free(g, i);
}

int control_pollfds(struct gmmd *g, struct pollfd *pfd, int max)
{
	int n = 0;

	(void)g;
	for (int i = 0; i < CTL_MAX_CLIENTS && n < max; i++) {
		struct ctl_client *c = clients[i];

		if (!c)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = (c->rd_eof || c->job || c->closing ||
				 (c->fs && !(fs_wants_input(c->fs) && c->in_len < CTL_RAW_IN_MAX)) ||
				 (c->vn && !(vn_wants_input(c->vn) && c->in_len < CTL_RAW_IN_MAX)) ? 0 : POLLIN) |
				(c->out_len ? POLLOUT : 0);
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

void control_handle(struct gmmd *g, struct pollfd *pfd, int n, uint64_t now)
{
	(void)now;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = clients[i];
		short ev = 0;

		if (!c)
			continue;
		for (int k = 0; k < n; k++)
			if (pfd[k].fd == c->fd)
				ev = pfd[k].revents;
		if (ev & POLLOUT)
			flush_out(c);
		if (ev & POLLIN)
			read_input(g, c);
		else if (ev & (POLLHUP | POLLERR))
			c->dead = 1;        /* gone both ways: nobody to answer */
		if (!c->job && !c->fs && !c->vn && c->rd_eof && c->in_len)
			process_input(g, c);
		if (finished(c))
			client_free(g, i);
	}
}

void control_advance(struct gmmd *g, uint64_t now)
{
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = clients[i];
		json_t *r;

		if (c && c->fs && !c->dead && fs_advance(g, c->fs, now)) {
			fs_free(g, c->fs);
			c->fs = NULL;
			process_input(g, c);
		}
		if (c && finished(c)) {
			client_free(g, i);
			continue;
		}
		if (!c || !c->job)
			continue;
		r = ping_advance(g, c->job, now);
		if (!r)
			continue;
		ping_free(g, c->job);
		c->job = NULL;
		reply(c, r);
		process_input(g, c);
		if (finished(c))
			client_free(g, i);
	}
}

uint64_t control_deadline(const struct gmmd *g)
{
	uint64_t first = 0;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		uint64_t d;

		if (clients[i] && clients[i]->fs) {
			d = fs_deadline(g, clients[i]->fs);
			if (d && (!first || d < first))
				first = d;
		}
		if (!clients[i] || !clients[i]->job)
			continue;
		d = ping_deadline(g, clients[i]->job);
		if (d && (!first || d < first))
			first = d;
	}
	return first;
}

void control_flush(struct gmmd *g)
{
	uint64_t until = gmm_now_ns() + (uint64_t)CTL_FLUSH_MS * 1000000ull;

	while (gmm_now_ns() < until) {
		struct pollfd pfd[CTL_MAX_CLIENTS];
		int n = 0;

		for (int i = 0; i < CTL_MAX_CLIENTS; i++)
			if (clients[i] && !clients[i]->dead && clients[i]->out_len)
				pfd[n++] = (struct pollfd){ .fd = clients[i]->fd, .events = POLLOUT };
		if (!n || poll(pfd, (nfds_t)n, 50) < 0)
			break;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++)
			if (clients[i] && clients[i]->out_len)
				flush_out(clients[i]);
	}
	(void)g;
}
