/*
 * tools/tess_fs.c - `tess fs`: a user's way into the cluster's storage. Every
 * subcommand is a request on gmmd's control socket, which relays it to a
 * storage node over the fabric (gmm/fs.c); nothing here opens a disk image.
 * put and get stream raw bytes after the JSON line (docs/interfaces.md).
 * Errors read like coreutils': "tess: fs cat /x: No such file or directory".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <tessera/wire.h>
#include "tess.h"

#define FS_CTL_TIMEOUT_MS  120000       /* a large ls -l or a slow node */
#define FS_CHUNK           (256u << 10)
#define FS_PROGRESS_MIN    (8ull << 20) /* progress line for files at least this big */
#define FS_PROGRESS_MS     200

struct fsopt {
	const char *node;               /* --node: an id or a name, else the first storage node */
	int verbose;
};

static const char *sub;             /* the subcommand, for error messages */

/* "tess: fs SUB ARGS: why", exit 1. */
static __attribute__((noreturn)) void fs_die(const char *what, const char *why)
{
	if (!*what)
		die("fs %s: %s", sub, why);
	die("fs %s %s: %s", sub, what, why);
}

static json_t *fs_req(const struct fsopt *fo, const char *cmd, const char *op)
{
	json_t *r = json_pack("{s:s}", "cmd", cmd);

	if (op)
		json_object_set_new(r, "op", json_string(op));
	if (fo->node) {
		char *end;
		long id = strtol(fo->node, &end, 10);

		json_object_set_new(r, "node", *end || end == fo->node ? json_string(fo->node) :
				    json_integer(id));
	}
	return r;
}

/* A cluster path: absolute; a relative one is taken from the root. */
static const char *cpath(const char *p)
{
	static char bufs[4][FS_PATH_MAX + 1];
	static unsigned next;
	char *b = bufs[next++ % 4];

	if (strlen(p) >= FS_PATH_MAX)
		die("fs %s %s: %s", sub, p, strerror(ENAMETOOLONG));
	if (p[0] == '/')
		return p;
	snprintf(b, FS_PATH_MAX + 1, "/%s", p);
	return b;
}

/* One request, one reply; on ok:false die with "fs SUB WHAT: error". */
static json_t *fs_call(const struct tess *t, json_t *req, const char *what)
{
	char err[512];
	json_t *r = ctl_try(t, req, FS_CTL_TIMEOUT_MS, err, sizeof(err));
	const char *e;

	json_decref(req);
	if (!r) {
		if (access(spath(t, "gmmd.sock"), F_OK))
			die_no_cluster(t);
		die("fs %s: %s", sub, err);
	}
	if (json_is_true(json_object_get(r, "ok")))
		return r;
	e = json_string_value(json_object_get(r, "error"));
	fs_die(what, e ? e : "failed (no error text)");
}

/* ---- streaming connection (put, get) ------------------------------------------- */

struct conn {
	int fd;
	char *buf;                      /* received, not yet consumed */
	size_t len, cap;
};

static void conn_open(const struct tess *t, struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", spath(t, "gmmd.sock"));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			die_no_cluster(t);
		die("cannot connect to %s: %s", sa.sun_path, strerror(errno));
	}
	c->cap = FS_CHUNK;
	c->buf = malloc(c->cap);
	if (!c->buf)
		die("out of memory");
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->buf);
}

static int send_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static void conn_send_json(struct conn *c, json_t *req)
{
	char *line = json_dumps(req, JSON_COMPACT);

	json_decref(req);
	if (!line || send_all(c->fd, line, strlen(line)) || send_all(c->fd, "\n", 1))
		die("fs %s: gmmd control socket: %s", sub, strerror(errno));
	free(line);
}

/* Receive more; returns bytes got, 0 at EOF. */
static ssize_t conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->len == c->cap) {
		char *nb = realloc(c->buf, c->cap * 2);

		if (!nb)
			die("out of memory");
		c->buf = nb;
		c->cap *= 2;
	}
	do
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die("fs %s: gmmd control socket: %s", sub, strerror(errno));
	c->len += (size_t)n;
	return n;
}

/* A complete reply line in the buffer: parse and consume it. NULL if none yet. */
static json_t *conn_take_line(struct conn *c)
{
	char *nl = memchr(c->buf, '\n', c->len);
	json_error_t jerr;
	json_t *r;
	size_t n;

	if (!nl)
		return NULL;
	n = (size_t)(nl - c->buf);
	r = json_loadb(c->buf, n, 0, &jerr);
	if (!r || !json_is_object(r))
		die("fs %s: gmmd sent something that is not a JSON object: %s", sub, jerr.text);
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	return r;
}

static json_t *conn_read_line(struct conn *c)
{
	json_t *r;

	while (!(r = conn_take_line(c)))
		if (conn_fill(c) == 0)
			die("fs %s: gmmd closed the connection without answering", sub);
	return r;
}

static void check_ok(json_t *r, const char *what)
{
	const char *e;

	if (json_is_true(json_object_get(r, "ok")))
		return;
	e = json_string_value(json_object_get(r, "error"));
	fs_die(what, e ? e : "failed (no error text)");
}

static double mib(uint64_t bytes)
{
	return (double)bytes / 1048576.0;
}

struct progress {
	int on;
	uint64_t total, t0, last;
	const char *verb;
};

static void progress_start(struct progress *p, const char *verb, uint64_t total)
{
	p->on = total >= FS_PROGRESS_MIN && isatty(2);
	p->total = total;
	p->t0 = p->last = now_ms();
	p->verb = verb;
}

static void progress_show(struct progress *p, uint64_t done, int final)
{
	uint64_t now = now_ms();
	double secs = (double)(now - p->t0) / 1000.0;

	if (!p->on || (!final && now - p->last < FS_PROGRESS_MS))
		return;
	p->last = now;
	fprintf(stderr, "\r%s: %.1f/%.1f MiB (%3.0f%%) %.1f MiB/s  ", p->verb, mib(done), mib(p->total),
		p->total ? 100.0 * (double)done / (double)p->total : 100.0,
		secs > 0 ? mib(done) / secs : 0.0);
	if (final)
		fputc('\n', stderr);
}

/* get: "size" bytes follow the header line; copy them to fd. Returns bytes copied. */
static uint64_t stream_in(struct conn *c, json_t *hdr, int fd, const char *what, struct progress *pg)
{
	uint64_t size = (uint64_t)json_integer_value(json_object_get(hdr, "size")), got = 0;

	progress_start(pg, sub, size);
	while (got < size) {
		size_t n;

		if (!c->len && conn_fill(c) == 0) {
			char why[128];

			snprintf(why, sizeof(why), "transfer cut short after %llu of %llu bytes (see tess logs gmmd)",
				 (unsigned long long)got, (unsigned long long)size);
			fs_die(what, why);
		}
		n = c->len < size - got ? c->len : (size_t)(size - got);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd, c->buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				die("fs %s %s: write: %s", sub, what, strerror(errno));
			off += (size_t)w;
		}
		memmove(c->buf, c->buf + n, c->len - n);
		c->len -= n;
		got += n;
		progress_show(pg, got, 0);
	}
	progress_show(pg, got, 1);
	return got;
}

static uint64_t fs_get_to(const struct tess *t, const struct fsopt *fo, const char *path, int fd,
			  struct progress *pg)
{
	struct conn c;
	json_t *req = fs_req(fo, "fs-get", NULL), *hdr;
	uint64_t got;

	json_object_set_new(req, "path", json_string(cpath(path)));
	conn_open(t, &c);
	conn_send_json(&c, req);
	hdr = conn_read_line(&c);
	check_ok(hdr, path);
	got = stream_in(&c, hdr, fd, path, pg);
	json_decref(hdr);
	conn_close(&c);
	return got;
}

/* ---- subcommands ------------------------------------------------------------------ */

static int fs_cat(const struct tess *t, const struct fsopt *fo, int n, char **paths)
{
	struct progress pg = { 0 };

	if (!n)
		die_usage("fs cat: which file? (tess fs cat PATH...)");
	for (int i = 0; i < n; i++)
		fs_get_to(t, fo, paths[i], 1, &pg);
	return 0;
}

static int fs_get(const struct tess *t, const struct fsopt *fo, int n, char **args)
{
	struct progress pg = { 0 };
	uint64_t t0 = now_ms(), got;
	int fd, to_stdout;

	if (n != 2)
		die_usage("fs get: tess fs get PATH LOCAL (LOCAL - for stdout)");
	to_stdout = strcmp(args[1], "-") == 0;
	fd = to_stdout ? 1 : open(args[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("fs get %s: %s", args[1], strerror(errno));
	got = fs_get_to(t, fo, args[0], fd, &pg);
	if (!to_stdout && close(fd))
		die("fs get %s: %s", args[1], strerror(errno));
	if (fo->verbose) {
		double s = (double)(now_ms() - t0) / 1000.0;

		fprintf(to_stdout ? stderr : stdout, "get %s -> %s: %llu bytes in %.2f s (%.1f MiB/s)\n",
			args[0], args[1], (unsigned long long)got, s, s > 0 ? mib(got) / s : 0.0);
	}
	return 0;
}

static int fs_put(const struct tess *t, const struct fsopt *fo, int n, char **args)
{
	struct progress pg;
	struct conn c;
	struct stat st;
	json_t *req, *r = NULL;
	const char *dst;
	char target[FS_PATH_MAX + 256];
	uint64_t sent = 0, t0;
	char *chunk;
	int fd;

	if (n != 2)
		die_usage("fs put: tess fs put LOCAL PATH");
	fd = open(args[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die("fs put %s: %s", args[0], strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("fs put %s: not a regular file", args[0]);
	dst = cpath(args[1]);
	if (dst[strlen(dst) - 1] == '/') {          /* into a directory: keep the name */
		const char *base = strrchr(args[0], '/');

		snprintf(target, sizeof(target), "%s%s", dst, base ? base + 1 : args[0]);
		dst = target;
	}
	req = fs_req(fo, "fs-put", NULL);
	json_object_set_new(req, "path", json_string(dst));
	json_object_set_new(req, "size", json_integer((json_int_t)st.st_size));
	json_object_set_new(req, "mode", json_integer(st.st_mode & 0777));
	chunk = malloc(FS_CHUNK);
	if (!chunk)
		die("out of memory");
	t0 = now_ms();
	conn_open(t, &c);
	conn_send_json(&c, req);
	progress_start(&pg, "put", (uint64_t)st.st_size);
	/* Send the bytes, watching for an early (error) reply. */
	while (sent < (uint64_t)st.st_size && !r) {
		struct pollfd p = { .fd = c.fd, .events = POLLIN | POLLOUT };
		ssize_t got;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("fs put: poll: %s", strerror(errno));
		}
		if (p.revents & POLLIN) {
			if (conn_fill(&c) == 0)
				die("fs put %s: gmmd closed the connection", dst);
			r = conn_take_line(&c);
			continue;
		}
		if (!(p.revents & POLLOUT)) {
			if (p.revents & (POLLHUP | POLLERR))
				die("fs put %s: gmmd closed the connection", dst);
			continue;
		}
		got = pread(fd, chunk, FS_CHUNK, (off_t)sent);
		if (got < 0)
			die("fs put %s: %s", args[0], strerror(errno));
		if (got == 0)
			die("fs put %s: the file shrank while it was sent", args[0]);
		if ((uint64_t)got > (uint64_t)st.st_size - sent)
			got = (ssize_t)((uint64_t)st.st_size - sent);
		if (send_all(c.fd, chunk, (size_t)got)) {
			/* gmmd may have answered (an error) and stopped reading. */
			r = conn_read_line(&c);
			break;
		}
		sent += (uint64_t)got;
		progress_show(&pg, sent, 0);
	}
	if (!r)
		r = conn_read_line(&c);
	if (json_is_true(json_object_get(r, "ok")))
		progress_show(&pg, sent, 1);      /* the rate includes the fsync */
	else if (pg.on)
		fputc('\n', stderr);
	check_ok(r, dst);
	if (fo->verbose) {
		double s = (double)(now_ms() - t0) / 1000.0;

		printf("put %s -> %s: %llu bytes in %.2f s (%.1f MiB/s)\n", args[0], dst,
		       (unsigned long long)st.st_size, s, s > 0 ? mib((uint64_t)st.st_size) / s : 0.0);
	}
	json_decref(r);
	conn_close(&c);
	free(chunk);
	close(fd);
	return 0;
}

static void mode_string(uint32_t mode, char out[11])
{
	static const char types[] = "?pc?d?b?-?l?s???";
	const char *rwx = "rwxrwxrwx";

	out[0] = types[(mode >> 12) & 15];
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[3] = (mode & 0100) ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = (mode & 0010) ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = (mode & 0001) ? 't' : 'T';
	out[10] = 0;
}

static const char *fmt_time(json_int_t secs)
{
	static char buf[32];
	time_t tt = (time_t)secs;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, sizeof(buf), "%lld", (long long)secs);
	return buf;
}

static json_int_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static int cmp_entry(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));

	return strcmp(x ? x : "", y ? y : "");
}

static void ls_print(json_t *r, int longfmt, int all)
{
	json_t *entries = json_object_get(r, "entries");
	size_t n = json_array_size(entries), shown = 0;
	json_t **v = calloc(n ? n : 1, sizeof(json_t *));
	int wl = 1, ws = 1, wu = 1, wg = 1;

	if (!v)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(entries, i);
		const char *name = json_string_value(json_object_get(e, "name"));
		char num[32];

		if (!all && name && name[0] == '.' && json_is_true(json_object_get(r, "dir")))
			continue;
		v[shown++] = e;
		if (!longfmt)
			continue;
		wl = wl > snprintf(num, sizeof(num), "%lld", (long long)jint(e, "nlink")) ? wl : (int)strlen(num);
		ws = ws > snprintf(num, sizeof(num), "%lld", (long long)jint(e, "size")) ? ws : (int)strlen(num);
		wu = wu > snprintf(num, sizeof(num), "%lld", (long long)jint(e, "uid")) ? wu : (int)strlen(num);
		wg = wg > snprintf(num, sizeof(num), "%lld", (long long)jint(e, "gid")) ? wg : (int)strlen(num);
	}
	qsort(v, shown, sizeof(json_t *), cmp_entry);
	for (size_t i = 0; i < shown; i++) {
		json_t *e = v[i];
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *target = json_string_value(json_object_get(e, "target"));
		char ms[11];

		if (!longfmt) {
			puts(name);
			continue;
		}
		if (!json_object_get(e, "mode")) {       /* vanished between readdir and stat */
			printf("?????????? %*s %*s %*s %*s %16s %s\n", wl, "?", wu, "?", wg, "?", ws, "?", "?", name);
			continue;
		}
		mode_string((uint32_t)jint(e, "mode"), ms);
		printf("%s %*lld %*lld %*lld %*lld %s %s%s%s\n", ms, wl, (long long)jint(e, "nlink"),
		       wu, (long long)jint(e, "uid"), wg, (long long)jint(e, "gid"),
		       ws, (long long)jint(e, "size"), fmt_time(jint(e, "mtime")), name,
		       target ? " -> " : "", target ? target : "");
	}
	free(v);
}

static int fs_ls(const struct tess *t, const struct fsopt *fo, int n, char **args)
{
	int longfmt = 0, all = 0, npaths = 0;
	char *paths[256];

	for (int i = 0; i < n; i++) {
		const char *a = args[i];

		if (a[0] == '-' && a[1] && a[1] != '-') {
			for (const char *p = a + 1; *p; p++) {
				if (*p == 'l')
					longfmt = 1;
				else if (*p == 'a')
					all = 1;
				else
					die_usage("fs ls: unknown option '-%c' (tess fs ls [-l] [-a] [PATH...])", *p);
			}
		} else if (npaths < 256) {
			paths[npaths++] = args[i];
		} else {
			die_usage("fs ls: at most 256 paths");
		}
	}
	if (!npaths)
		paths[npaths++] = "/";
	for (int i = 0; i < npaths; i++) {
		json_t *req = fs_req(fo, "fs", "ls"), *r;

		json_object_set_new(req, "path", json_string(cpath(paths[i])));
		if (longfmt)
			json_object_set_new(req, "long", json_true());
		r = fs_call(t, req, paths[i]);
		if (npaths > 1 && json_is_true(json_object_get(r, "dir")))
			printf("%s%s:\n", i ? "\n" : "", paths[i]);
		ls_print(r, longfmt, all);
		json_decref(r);
	}
	return 0;
}

static int fs_stat(const struct tess *t, const struct fsopt *fo, int n, char **args, int lstat)
{
	static const char *const kinds[][2] = {
		{ "file", "regular file" }, { "dir", "directory" }, { "symlink", "symbolic link" },
		{ "chr", "character special file" }, { "blk", "block special file" },
		{ "fifo", "fifo" }, { "sock", "socket" },
	};

	if (!n)
		die_usage("fs stat: which path? (tess fs stat PATH...)");
	for (int i = 0; i < n; i++) {
		json_t *req = fs_req(fo, "fs", lstat ? "lstat" : "stat"), *r;
		const char *type, *kind = "unknown";
		char ms[11];

		json_object_set_new(req, "path", json_string(cpath(args[i])));
		r = fs_call(t, req, args[i]);
		type = json_string_value(json_object_get(r, "type"));
		for (size_t k = 0; type && k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (!strcmp(type, kinds[k][0]))
				kind = kinds[k][1];
		mode_string((uint32_t)jint(r, "mode"), ms);
		printf("  File: %s\n", args[i]);
		printf("  Size: %-12lld Blocks: %-10lld IO Block: %-6lld %s\n", (long long)jint(r, "size"),
		       (long long)jint(r, "blocks"), (long long)jint(r, "blksize"), kind);
		printf(" Inode: %-12lld Links: %lld\n", (long long)jint(r, "ino"), (long long)jint(r, "nlink"));
		printf("Access: (%04llo/%s)  Uid: %lld  Gid: %lld\n", (long long)jint(r, "perm"), ms,
		       (long long)jint(r, "uid"), (long long)jint(r, "gid"));
		printf("Access: %s\n", fmt_time(jint(r, "atime")));
		printf("Modify: %s\n", fmt_time(jint(r, "mtime")));
		printf("Change: %s\n", fmt_time(jint(r, "ctime")));
		json_decref(r);
	}
	return 0;
}

/* rm, rmdir, readlink, touch: one request per path. */
static int fs_each(const struct tess *t, const struct fsopt *fo, int n, char **args, const char *op)
{
	if (!n)
		die_usage("fs %s: which path? (tess fs %s PATH...)", sub, sub);
	for (int i = 0; i < n; i++) {
		json_t *req = fs_req(fo, "fs", op), *r;

		json_object_set_new(req, "path", json_string(cpath(args[i])));
		r = fs_call(t, req, args[i]);
		if (!strcmp(op, "readlink"))
			puts(json_string_value(json_object_get(r, "target")));
		json_decref(r);
	}
	return 0;
}

static int fs_mkdir(const struct tess *t, const struct fsopt *fo, int n, char **args)
{
	int parents = 0, done = 0;

	for (int i = 0; i < n; i++) {
		json_t *req, *r;

		if (!strcmp(args[i], "-p")) {
			parents = 1;
			continue;
		}
		if (args[i][0] == '-' && args[i][1])
			die_usage("fs mkdir: unknown option '%s' (tess fs mkdir [-p] PATH...)", args[i]);
		req = fs_req(fo, "fs", "mkdir");
		json_object_set_new(req, "path", json_string(cpath(args[i])));
		if (parents)
			json_object_set_new(req, "parents", json_true());
		r = fs_call(t, req, args[i]);
		json_decref(r);
		done++;
	}
	if (!done)
		die_usage("fs mkdir: which directory? (tess fs mkdir [-p] PATH...)");
	return 0;
}

static int fs_mv(const struct tess *t, const struct fsopt *fo, int n, char **args)
{
	json_t *req, *r;
	char what[2 * FS_PATH_MAX];

	if (n != 2)
		die_usage("fs mv: tess fs mv FROM TO");
	req = fs_req(fo, "fs", "mv");
	json_object_set_new(req, "path", json_string(cpath(args[0])));
	json_object_set_new(req, "to", json_string(cpath(args[1])));
	snprintf(what, sizeof(what), "%s %s", args[0], args[1]);
	r = fs_call(t, req, what);
	json_decref(r);
	return 0;
}

static int fs_ln(const struct tess *t, const struct fsopt *fo, int n, char **args)
{
	json_t *req, *r;

	if (n != 3 || strcmp(args[0], "-s"))
		die_usage("fs ln: only symbolic links: tess fs ln -s TARGET PATH");
	req = fs_req(fo, "fs", "symlink");
	json_object_set_new(req, "target", json_string(args[1]));
	json_object_set_new(req, "path", json_string(cpath(args[2])));
	r = fs_call(t, req, args[2]);
	json_decref(r);
	return 0;
}

static int fs_truncate(const struct tess *t, const struct fsopt *fo, int n, char **args)
{
	json_t *req, *r;
	uint64_t size;

	if (n != 3 || strcmp(args[0], "-s"))
		die_usage("fs truncate: tess fs truncate -s SIZE PATH");
	{
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(args[1], &end, 10);
		if (errno || end == args[1] || args[1][0] == '-' ||
		    (*end && (strchr("KMG", *end) == NULL || end[1])))
			die_usage("fs truncate: bad size '%s' (bytes, or with K, M, G)", args[1]);
		size = v << (*end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0);
	}
	req = fs_req(fo, "fs", "truncate");
	json_object_set_new(req, "path", json_string(cpath(args[2])));
	json_object_set_new(req, "size", json_integer((json_int_t)size));
	r = fs_call(t, req, args[2]);
	json_decref(r);
	return 0;
}

static const char *human(double bytes)
{
	static char bufs[4][16];
	static unsigned next;
	char *b = bufs[next++ % 4];
	const char *units = "BKMGTP";
	int u = 0;

	while (bytes >= 1024 && u < 5) {
		bytes /= 1024;
		u++;
	}
	snprintf(b, 16, u && bytes < 10 ? "%.1f%c" : "%.0f%c", bytes, units[u]);
	return b;
}

static int fs_df(const struct tess *t, const struct fsopt *fo, int n, char **args)
{
	json_t *r;
	double bs, blocks, bfree, bavail, used;
	char fsname[64];

	if (n)
		die_usage("fs df: no arguments (tess fs df [--node NODE])");
	r = fs_call(t, fs_req(fo, "fs", "statfs"), "");
	bs = (double)jint(r, "bsize");
	blocks = (double)jint(r, "blocks");
	bfree = (double)jint(r, "bfree");
	bavail = (double)jint(r, "bavail");
	used = blocks - bfree;
	snprintf(fsname, sizeof(fsname), "%s:/", json_string_value(json_object_get(r, "name")) ?: "?");
	printf("%-12s %6s %6s %6s %4s %8s %8s %8s\n", "Filesystem", "Size", "Used", "Avail", "Use%",
	       "Inodes", "IUsed", "IFree");
	printf("%-12s %6s %6s %6s %3.0f%% %8lld %8lld %8lld\n", fsname, human(blocks * bs),
	       human(used * bs), human(bavail * bs), used + bavail > 0 ? 100.0 * used / (used + bavail) : 0.0,
	       (long long)jint(r, "files"), (long long)(jint(r, "files") - jint(r, "ffree")),
	       (long long)jint(r, "ffree"));
	json_decref(r);
	return 0;
}

static const char fs_usage[] =
"usage: tess fs [--node NODE] [-v] COMMAND ARGS   (paths are absolute in the cluster)\n"
"  ls [-l] [-a] [PATH...]   list directories (-l: mode, links, uid, gid, size, mtime)\n"
"  cat PATH...              print files\n"
"  get PATH LOCAL           copy a file out of the cluster (LOCAL - for stdout)\n"
"  put LOCAL PATH           copy a file in (PATH/ keeps the name); fsynced before it returns\n"
"  stat PATH...  lstat PATH...  readlink PATH...\n"
"  mkdir [-p] PATH...  rm PATH...  rmdir PATH...  mv FROM TO  ln -s TARGET PATH\n"
"  touch PATH...            create empty files (existing ones are left alone)\n"
"  truncate -s SIZE PATH    df    sync (write the node's cache to its disk)\n"
"-v prints the transfer rate of put and get. NODE: a storage node (default: the first up).\n";

int cmd_fs(struct tess *t, int argc, char **argv)
{
	struct fsopt fo = { 0 };
	char *rest[1024];
	int n = 0;
	const char *what = NULL;

	/* Options may come before or after the subcommand; -l, -p, -s ... belong to it. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--state") || !strcmp(a, "--node")) {
			if (i + 1 >= argc)
				die_usage("fs: %s needs a value", a);
			if (a[2] == 's')
				t->state_arg = argv[++i];
			else
				fo.node = argv[++i];
		} else if (!strncmp(a, "--state=", 8)) {
			t->state_arg = a + 8;
		} else if (!strncmp(a, "--node=", 7)) {
			fo.node = a + 7;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			fo.verbose = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(fs_usage, stdout);
			return 0;
		} else if (!what) {
			what = a;
		} else if (n < (int)(sizeof(rest) / sizeof(rest[0]))) {
			rest[n++] = argv[i];
		} else {
			die_usage("fs: too many arguments");
		}
	}
	if (!what) {
		fputs(fs_usage, stderr);
		return TESS_EXIT_USAGE;
	}
	sub = what;
	state_resolve(t, 0);
	if (!strcmp(what, "ls"))
		return fs_ls(t, &fo, n, rest);
	if (!strcmp(what, "cat"))
		return fs_cat(t, &fo, n, rest);
	if (!strcmp(what, "get"))
		return fs_get(t, &fo, n, rest);
	if (!strcmp(what, "put"))
		return fs_put(t, &fo, n, rest);
	if (!strcmp(what, "stat") || !strcmp(what, "lstat"))
		return fs_stat(t, &fo, n, rest, what[0] == 'l');
	if (!strcmp(what, "rm") || !strcmp(what, "rmdir") || !strcmp(what, "readlink") ||
	    !strcmp(what, "touch"))
		return fs_each(t, &fo, n, rest, what);
	if (!strcmp(what, "mkdir"))
		return fs_mkdir(t, &fo, n, rest);
	if (!strcmp(what, "mv"))
		return fs_mv(t, &fo, n, rest);
	if (!strcmp(what, "ln"))
		return fs_ln(t, &fo, n, rest);
	if (!strcmp(what, "truncate"))
		return fs_truncate(t, &fo, n, rest);
	if (!strcmp(what, "df"))
		return fs_df(t, &fo, n, rest);
	if (!strcmp(what, "sync")) {
		if (n)
			die_usage("fs sync: no arguments (tess fs sync [--node NODE])");
		json_decref(fs_call(t, fs_req(&fo, "fs", "sync"), ""));
		return 0;
	}
	die_usage("fs: unknown command '%s' (see: tess fs --help)", what);
}
