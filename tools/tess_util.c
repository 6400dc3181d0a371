/*
 * tools/tess_util.c - helpers shared by the tess commands: errors, options,
 * the state directory, the gmmd control socket, cluster.json, node lookup,
 * and finding and starting processes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "tess.h"

/* ---- errors --------------------------------------------------------------- */

static void vmsg(const char *fmt, va_list ap)
{
	fputs("tess: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(TESS_EXIT_ERR);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(TESS_EXIT_USAGE);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* ---- options -------------------------------------------------------------- */

void opts_init(struct opts *o, int argc, char **argv)
{
	o->argc = argc;
	o->argv = argv;
	o->i = 1;
	o->cmd = argv[0];
}

const char *opts_next(struct opts *o)
{
	return o->i < o->argc ? o->argv[o->i++] : NULL;
}

int opts_value(struct opts *o, const char *arg, const char *lng, const char *sh, const char **val)
{
	size_t n = strlen(lng);

	if (strcmp(arg, lng) == 0 || (sh && strcmp(arg, sh) == 0)) {
		if (o->i >= o->argc)
			die_usage("%s: option %s needs a value", o->cmd, arg);
		*val = o->argv[o->i++];
		return 1;
	}
	if (strncmp(arg, lng, n) == 0 && arg[n] == '=') {
		*val = arg + n + 1;
		return 1;
	}
	/* "-c5": short option with the value attached. */
	if (sh && strlen(sh) == 2 && strncmp(arg, sh, 2) == 0 && arg[2]) {
		*val = arg + 2;
		return 1;
	}
	return 0;
}

long parse_long(const char *what, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die_usage("%s: expected a number from %ld to %ld, got '%s'", what, min, max, s);
	return v;
}

int opts_common(struct tess *t, struct opts *o, const char *arg)
{
	const char *v;

	if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
		usage(stdout);
		exit(0);
	}
	if (opts_value(o, arg, "--state", NULL, &v)) {
		t->state_arg = v;
		return 1;
	}
	return 0;
}

/* ---- state directory ------------------------------------------------------ */

static void mkdir_p(const char *path)
{
	char buf[TESS_PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			die("cannot create %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		die("cannot create %s: %s", buf, strerror(errno));
}

static __attribute__((noreturn)) void die_too_long(const char *dir)
{
	die_usage("state directory path too long for AF_UNIX sockets (%zu bytes, at most %zu): %s",
		  strlen(dir), TESS_SUN_MAX - strlen("/fabric/n4095.sock"), dir);
}

void state_resolve(struct tess *t, int create)
{
	const char *s = t->state_arg;
	char def[64], abs_path[TESS_PATH_MAX], real[PATH_MAX];
	struct stat st;

	if (!s || !*s)
		s = getenv("TESSERA_STATE");
	if (!s || !*s) {
		snprintf(def, sizeof(def), "/tmp/tessera-%u", (unsigned)getuid());
		s = def;
	}
	if (s[0] != '/') {
		char cwd[TESS_PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			die("cannot read the current directory: %s", strerror(errno));
		if (snprintf(abs_path, sizeof(abs_path), "%s/%s", cwd, s) >= (int)sizeof(abs_path))
			die_usage("state directory path too long: %s", s);
	} else {
		snprintf(abs_path, sizeof(abs_path), "%s", s);
	}
	if (strlen(abs_path) + strlen("/fabric/n4095.sock") > TESS_SUN_MAX)
		die_too_long(abs_path);
	if (create) {
		mkdir_p(abs_path);
	} else if (stat(abs_path, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(t->state, sizeof(t->state), "%s", abs_path);
		die_no_cluster(t);
	}
	if (!realpath(abs_path, real))
		die("cannot resolve state directory %s: %s", abs_path, strerror(errno));
	/* Longest socket path: DIR/fabric/n4095.sock. */
	if (strlen(real) + strlen("/fabric/n4095.sock") > TESS_SUN_MAX)
		die_too_long(real);
	snprintf(t->state, sizeof(t->state), "%s", real);
	if (create) {
		mkdir_p(spath(t, "fabric"));
		mkdir_p(spath(t, "nodes"));
	}
}

const char *spath(const struct tess *t, const char *fmt, ...)
{
	static char bufs[8][TESS_PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 8];
	char rel[TESS_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (snprintf(b, TESS_PATH_MAX, "%s/%s", t->state, rel) >= TESS_PATH_MAX)
		die("path too long: %s/%s", t->state, rel);
	return b;
}

const char *bpath(const struct tess *t, const char *name)
{
	static char bufs[4][TESS_PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 4];

	if (snprintf(b, TESS_PATH_MAX, "%s/%s", t->bindir, name) >= TESS_PATH_MAX)
		die("path too long: %s/%s", t->bindir, name);
	return b;
}

/* ---- gmmd control socket -------------------------------------------------- */

static int ctl_connect(const struct tess *t, char *err, size_t errlen, int *gone)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *p = spath(t, "gmmd.sock");
	int fd;

	*gone = 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		*gone = errno == ENOENT || errno == ECONNREFUSED;
		snprintf(err, errlen, "cannot connect to %s: %s", p, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static json_t *ctl_exchange(const struct tess *t, json_t *req, int timeout_ms,
			    char *err, size_t errlen, int *gone)
{
	char *line = json_dumps(req, JSON_COMPACT);
	size_t cap = 65536, len = 0;
	char *buf = NULL;
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	json_t *reply = NULL;
	json_error_t jerr;
	int fd = ctl_connect(t, err, errlen, gone);

	if (fd < 0 || !line)
		goto out;
	if (send_all(fd, line, strlen(line)) || send_all(fd, "\n", 1)) {
		snprintf(err, errlen, "gmmd control socket: send: %s", strerror(errno));
		*gone = 1;
		goto out;
	}
	buf = malloc(cap);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		char *nl;
		ssize_t r;
		int pr;

		if (len && (nl = memchr(buf, '\n', len))) {
			*nl = 0;
			break;
		}
		if (now >= deadline) {
			snprintf(err, errlen, "gmmd did not answer within %d ms", timeout_ms);
			goto out;
		}
		pr = poll(&pfd, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (len) {      /* last line without its newline */
				buf[len] = 0;
				break;
			}
			snprintf(err, errlen, "gmmd closed the control connection without answering");
			*gone = 1;
			goto out;
		}
		len += (size_t)r;
		buf[len] = 0;
	}
	reply = json_loads(buf, 0, &jerr);
	if (!reply || !json_is_object(reply)) {
		snprintf(err, errlen, "gmmd sent something that is not a JSON object: %s", jerr.text);
		json_decref(reply);
		reply = NULL;
	}
out:
	free(line);
	free(buf);
	if (fd >= 0)
		close(fd);
	return reply;
}

json_t *ctl_try(const struct tess *t, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	int gone;

	return ctl_exchange(t, req, timeout_ms, err, errlen, &gone);
}

void die_no_cluster(const struct tess *t)
{
	pid_t pids[64];

	/* gmmd is gone but nodes still run: say so rather than "no cluster". */
	if (t->state[0] && access(t->state, F_OK) == 0 && cluster_procs(t, pids, 64) > 0)
		die("gmmd is not running in %s, but other cluster processes are (see %s; tess down stops them)",
		    t->state, spath(t, "gmmd.log"));
	die("no cluster is up in %s (start one with: tess up)", t->state);
}

json_t *ctl_call(const struct tess *t, json_t *req, int timeout_ms)
{
	char err[512];
	int gone;
	json_t *r = ctl_exchange(t, req, timeout_ms, err, sizeof(err), &gone);
	json_t *ok;

	if (!r) {
		if (gone)
			die_no_cluster(t);
		die("%s", err);
	}
	ok = json_object_get(r, "ok");
	if (!json_is_true(ok)) {
		const char *e = json_string_value(json_object_get(r, "error"));

		die("%s", e ? e : "gmmd refused the request (no error text)");
	}
	return r;
}

/* ---- cluster.json --------------------------------------------------------- */

json_t *cluster_load(const struct tess *t)
{
	json_error_t jerr;
	const char *p = spath(t, "cluster.json");
	json_t *c;

	if (access(p, F_OK))
		return NULL;
	c = json_load_file(p, 0, &jerr);
	if (!c)
		die("%s is not valid JSON (line %d: %s)", p, jerr.line, jerr.text);
	return c;
}

void cluster_save(const struct tess *t, json_t *c)
{
	char tmp[TESS_PATH_MAX];
	const char *p = spath(t, "cluster.json");

	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	if (json_dump_file(c, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
		die("cannot write %s: %s", tmp, strerror(errno));
	if (rename(tmp, p))
		die("cannot rename %s: %s", tmp, strerror(errno));
}

/* ---- node lookup ---------------------------------------------------------- */

int node_lookup(json_t *nodes, const char *arg, struct node_ref *out)
{
	size_t i;
	json_t *n;
	char *end;
	long id = -1;

	if (isdigit((unsigned char)arg[0])) {
		id = strtol(arg, &end, 10);
		if (*end)
			id = -1;
	}
	json_array_foreach(nodes, i, n) {
		json_int_t nid = json_integer_value(json_object_get(n, "id"));
		const char *name = json_string_value(json_object_get(n, "name"));
		const char *role = json_string_value(json_object_get(n, "role"));

		if ((id >= 0 && nid == id) || (id < 0 && name && strcmp(name, arg) == 0)) {
			out->id = (int)nid;
			snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
			snprintf(out->role, sizeof(out->role), "%s", role ? role : "");
			return 0;
		}
	}
	return -1;
}

static void check_node_syntax(const char *arg)
{
	if (!*arg || strlen(arg) > 15)
		die_usage("bad node '%s': give an id (1) or a name (p1, m1, s1)", arg);
	for (const char *p = arg; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			die_usage("bad node '%s': give an id (1) or a name (p1, m1, s1)", arg);
}

static __attribute__((noreturn)) void die_unknown_node(const char *arg, json_t *nodes)
{
	char known[256] = "";
	size_t i, off = 0;
	json_t *n;

	json_array_foreach(nodes, i, n) {
		const char *name = json_string_value(json_object_get(n, "name"));
		int w = snprintf(known + off, sizeof(known) - off, "%s%lld%s%s",
				 off ? ", " : "", (long long)json_integer_value(json_object_get(n, "id")),
				 name && *name ? " " : "", name ? name : "");

		if (w < 0 || (size_t)w >= sizeof(known) - off)
			break;
		off += (size_t)w;
	}
	die("unknown node '%s' (nodes: %s)", arg, off ? known : "none");
}

void node_resolve_live(const struct tess *t, const char *arg, struct node_ref *out)
{
	json_t *req, *r, *nodes;

	check_node_syntax(arg);
	req = json_pack("{s:s}", "cmd", "status");
	r = ctl_call(t, req, 5000);
	json_decref(req);
	nodes = json_object_get(r, "nodes");
	if (node_lookup(nodes, arg, out))
		die_unknown_node(arg, nodes);
	json_decref(r);
}

void node_resolve_recorded(const struct tess *t, const char *arg, struct node_ref *out)
{
	json_t *c = cluster_load(t), *nodes;

	check_node_syntax(arg);
	if (!c) {
		/* No record of ours: ask gmmd (a cluster someone else started). */
		node_resolve_live(t, arg, out);
		return;
	}
	nodes = json_object_get(c, "nodes");
	if (node_lookup(nodes, arg, out))
		die_unknown_node(arg, nodes);
	json_decref(c);
}

/* ---- processes ------------------------------------------------------------ */

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

pid_t pidfile_read(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 ? (pid_t)pid : 0;
}

void pidfile_write(const char *path, pid_t pid)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("cannot write %s: %s", path, strerror(errno));
	fprintf(f, "%ld\n", (long)pid);
	fclose(f);
}

/* Read /proc/PID/cmdline into buf (NUL-separated); returns its length, 0 if none. */
static size_t proc_cmdline(pid_t pid, char *buf, size_t cap)
{
	char p[64];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%ld/cmdline", (long)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return (size_t)n;
}

static int proc_is_zombie(pid_t pid)
{
	char p[64], buf[512], *rp;
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%ld/stat", (long)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	rp = strrchr(buf, ')');
	return !rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X';
}

/* Does one argument mention the state directory as a path (DIR or DIR/...)? */
static int arg_mentions(const char *arg, const char *dir, size_t dlen)
{
	for (const char *p = strstr(arg, dir); p; p = strstr(p + 1, dir))
		if (p[dlen] == 0 || p[dlen] == '/')
			return 1;
	return 0;
}

int proc_of_cluster(const struct tess *t, pid_t pid)
{
	static char buf[16384];
	size_t n, dlen = strlen(t->state);

	if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
		return 0;
	if (proc_is_zombie(pid))
		return 0;
	n = proc_cmdline(pid, buf, sizeof(buf));
	for (size_t off = 0; off < n; off += strlen(buf + off) + 1)
		if (arg_mentions(buf + off, t->state, dlen))
			return 1;
	return 0;
}

/* Programs tess starts; only these are ever signalled by `tess down`. */
static int is_cluster_prog(const char *argv0)
{
	const char *b = strrchr(argv0, '/');

	b = b ? b + 1 : argv0;
	return !strcmp(b, "qemu-system-x86_64") || !strcmp(b, "gmmd") || !strcmp(b, "tess-hub");
}

int cluster_procs(const struct tess *t, pid_t *out, int max)
{
	static char buf[16384];
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	pid_t self = getpid();

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		if (!proc_cmdline((pid_t)pid, buf, sizeof(buf)))
			continue;
		if (!is_cluster_prog(buf))
			continue;
		if (proc_of_cluster(t, (pid_t)pid))
			out[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

pid_t spawn(char *const argv[], const char *log, int append)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);

		setsid();
		if (in < 0 || out < 0) {
			fprintf(stderr, "tess: cannot open %s: %s\n", log, strerror(errno));
			_exit(127);
		}
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(argv[0], argv);
		fprintf(stderr, "tess: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

const char *find_in_path(const char *prog)
{
	static char buf[TESS_PATH_MAX];
	const char *path = getenv("PATH");

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);

		if (n && n < sizeof(buf) - strlen(prog) - 2) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
			if (access(buf, X_OK) == 0)
				return buf;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/* ---- formatting ----------------------------------------------------------- */

const char *fmt_dur_ms(uint64_t ms)
{
	static char bufs[4][32];
	static unsigned next;
	char *b = bufs[next++ % 4];
	uint64_t s = ms / 1000;

	if (ms < 60000)
		snprintf(b, 32, "%.1f s", (double)ms / 1000.0);
	else if (s < 3600)
		snprintf(b, 32, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
	else if (s < 86400)
		snprintf(b, 32, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60 % 60));
	else
		snprintf(b, 32, "%ud%02uh", (unsigned)(s / 86400), (unsigned)(s / 3600 % 24));
	return b;
}

const char *fmt_count(uint64_t n)
{
	static char bufs[8][32];
	static unsigned next;
	char *b = bufs[next++ % 8];

	if (n < 100000)
		snprintf(b, 32, "%llu", (unsigned long long)n);
	else if (n < 100000000)
		snprintf(b, 32, "%.1fk", (double)n / 1e3);
	else
		snprintf(b, 32, "%.1fM", (double)n / 1e6);
	return b;
}
