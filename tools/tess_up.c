/*
 * tools/tess_up.c - `tess up` and `tess down`: start the fabric hub, gmmd and
 * one QEMU per node, wait until every node has joined; stop them all again.
 * What was started is recorded in DIR/cluster.json (see docs/interfaces.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <tessera/wire.h>
#include <cxl/pool.h>
#include "tess.h"

#define UP_MAX_NODES      64
#define UP_DEFAULT_MEM_MB 128
#define UP_DEFAULT_DISK_BYTES (256ull << 20)
#define UP_POLL_MS        100
#define UP_PROGRESS_MS    5000      /* say who is still missing this often */
#define DAEMON_START_MS   10000     /* hub socket / gmmd socket must appear by then */
#define DOWN_TERM_MS      3000      /* SIGTERM, then SIGKILL after this */
#define SYNC_MS           15000     /* a storage node writing back its cache */

struct up_node {
	int id;
	char name[16];
	const char *role;
	char image[TESS_PATH_MAX];
	char mac[18];
	pid_t launcher;                 /* our child: qemu until it daemonizes */
	pid_t pid;                      /* the running node process */
	char old_nonce[32];             /* boot_nonce of an earlier boot in state.db, if any */
	int joined;
	char disk[TESS_PATH_MAX];       /* storage nodes: the ext2 image, else empty */
	char *argv[128];                /* the QEMU command line (recorded for tess restart) */
};

struct up_cfg {
	int counts[3];                  /* process, memory, storage */
	const char *accel;
	const char *bios;
	int timeout_s;
	int mem_mb;
	const char *append;             /* extra kernel command-line words, or NULL */
	uint64_t excache_bytes;         /* --excache: process nodes' ExCache pool, 0 = their default */
	const char *image;              /* --image: the first storage node's disk, used in place */
	uint64_t disk_bytes;            /* --disk-size: size of new disk images */
	uint64_t pool_bytes;            /* --pool: each memory/process node pair's pool window, 0 = none */
};

#define UP_DEFAULT_POOL_BYTES (1ull << 30)
#define UP_MAX_POOL_WINDOWS   8         /* per node (CXL_MAX_WINDOWS in the guests) */

static const char *const role_of[3] = { "process", "memory", "storage" };
static const char role_letter[3] = { 'p', 'm', 's' };

static void parse_up(struct tess *t, struct up_cfg *c, int argc, char **argv)
{
	static const char *const count_opt[3] = { "--pnodes", "--mnodes", "--snodes" };
	struct opts o;
	const char *a, *v;

	c->counts[0] = c->counts[1] = c->counts[2] = 1;
	c->accel = NULL;
	c->bios = "seabios";
	c->timeout_s = 60;
	c->mem_mb = UP_DEFAULT_MEM_MB;
	c->append = NULL;
	c->excache_bytes = 0;
	c->image = NULL;
	c->disk_bytes = UP_DEFAULT_DISK_BYTES;
	c->pool_bytes = UP_DEFAULT_POOL_BYTES;
	opts_init(&o, argc, argv);
	while ((a = opts_next(&o))) {
		int matched = 0;

		if (opts_common(t, &o, a))
			continue;
		for (int r = 0; r < 3; r++)
			if (opts_value(&o, a, count_opt[r], NULL, &v)) {
				c->counts[r] = (int)parse_long(count_opt[r], v, 0, UP_MAX_NODES);
				matched = 1;
			}
		if (matched)
			continue;
		if (opts_value(&o, a, "--accel", NULL, &v)) {
			if (strcmp(v, "kvm") && strcmp(v, "tcg"))
				die_usage("--accel: expected kvm or tcg, got '%s'", v);
			c->accel = v;
		} else if (opts_value(&o, a, "--bios", NULL, &v)) {
			if (strcmp(v, "seabios") && strcmp(v, "qboot"))
				die_usage("--bios: expected seabios or qboot, got '%s'", v);
			c->bios = v;
		} else if (opts_value(&o, a, "--timeout", NULL, &v)) {
			c->timeout_s = (int)parse_long("--timeout", v, 1, 3600);
		} else if (opts_value(&o, a, "--append", NULL, &v)) {
			if (strlen(v) > 200 || strpbrk(v, "\"'\n"))
				die_usage("--append: at most 200 characters, no quotes or newlines");
			c->append = v;
		} else if (opts_value(&o, a, "--excache", NULL, &v)) {
			if (excache_parse_size(v, &c->excache_bytes))
				die_usage("--excache: expected a size from 64K to 1024G in whole 4K pages"
					  " (e.g. 64M), got '%s'", v);
		} else if (opts_value(&o, a, "--image", NULL, &v)) {
			c->image = v;
		} else if (opts_value(&o, a, "--disk-size", NULL, &v)) {
			if (disk_parse_size(v, &c->disk_bytes))
				die_usage("--disk-size: expected a size from 4M to 1024G (e.g. 256M), got '%s'", v);
		} else if (opts_value(&o, a, "--pool", NULL, &v)) {
			if (strcmp(v, "off") == 0)
				c->pool_bytes = 0;
			else if (excache_parse_size(v, &c->pool_bytes) || c->pool_bytes < CXL_MIN_WINDOW ||
				 c->pool_bytes > CXL_MAX_WINDOW || (c->pool_bytes & (c->pool_bytes - 1)))
				die_usage("--pool: expected off or a power of two from 4M to 64G (e.g. 1G), got '%s'", v);
		} else if (opts_value(&o, a, "--mem-mb", NULL, &v)) {
			c->mem_mb = (int)parse_long("--mem-mb", v, 16, 65536);
		} else {
			die_usage("up: unknown argument '%s' (see: tess help)", a);
		}
	}
	if (c->counts[0] + c->counts[1] + c->counts[2] == 0)
		die_usage("up: a cluster needs at least one node");
	if (c->counts[0] + c->counts[1] + c->counts[2] > UP_MAX_NODES)
		die_usage("up: at most %d nodes", UP_MAX_NODES);
	if (c->pool_bytes && (c->counts[0] > UP_MAX_POOL_WINDOWS || c->counts[1] > UP_MAX_POOL_WINDOWS))
		die_usage("up: pool windows join at most %d process and %d memory nodes (or use --pool off)",
			  UP_MAX_POOL_WINDOWS, UP_MAX_POOL_WINDOWS);
}

/* ---- pool windows ----------------------------------------------------------- */

static void unlink_glob(const char *pattern);

/*
 * Each memory node shares one pool window with each process node (cxl/pool.h):
 * a file in /dev/shm (memory, not disk) named after the state directory, so
 * clusters in different directories never share one.
 */
static const char *pool_path(const struct tess *t, int mnode, int pnode)
{
	static char path[TESS_PATH_MAX];
	char real[TESS_PATH_MAX];
	uint64_t h = 0xcbf29ce484222325ull;

	if (!realpath(t->state, real))
		snprintf(real, sizeof(real), "%s", t->state);
	for (const char *c = real; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
	snprintf(path, sizeof(path), "/dev/shm/tess-%u-%016llx-m%d-p%d.pool", (unsigned)getuid(),
		 (unsigned long long)h, mnode, pnode);
	return path;
}

static void remove_pools(const struct tess *t)
{
	char pattern[TESS_PATH_MAX];
	const char *one = pool_path(t, 0, 0);
	size_t cut = strlen(one) - strlen("-m0-p0.pool");

	snprintf(pattern, sizeof(pattern), "%.*s-m*-p*.pool", (int)cut, one);
	unlink_glob(pattern);
}

/* A fresh window file with its host header; the memory node sets up the rest at boot. */
static void pool_create(const char *path, uint64_t size, int mnode, int pnode)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	void *hdr;

	if (fd < 0)
		die("cannot create pool window %s: %s (or use --pool off)", path, strerror(errno));
	if (ftruncate(fd, (off_t)size))
		die("cannot size pool window %s to %llu MiB: %s", path, (unsigned long long)(size >> 20),
		    strerror(errno));
	hdr = mmap(NULL, CXL_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (hdr == MAP_FAILED)
		die("cannot map pool window %s: %s", path, strerror(errno));
	cxl_host_format(hdr, size, (uint16_t)mnode, (uint16_t)pnode);
	munmap(hdr, CXL_PAGE);
	close(fd);
}

/* KVM when /dev/kvm opens read-write, TCG otherwise; --accel overrides. */
static const char *pick_accel(const char *want)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int err = errno;

	if (fd >= 0)
		close(fd);
	if (want && strcmp(want, "kvm") == 0 && fd < 0)
		die("--accel kvm: /dev/kvm is not usable (%s)", strerror(err));
	if (want)
		return want;
	return fd >= 0 ? "kvm" : "tcg";
}

/* Refuse a state directory that a live cluster (or just its gmmd) uses. */
static void check_not_in_use(const struct tess *t)
{
	pid_t pids[8];
	int fd;

	/* Two `tess up` at once on one directory: the second stops here. Held until exit. */
	fd = open(spath(t, "up.lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB))
		die("state directory %s is in use by another cluster (another tess up is starting it)",
		    t->state);
	fd = open(spath(t, "lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK)
			die("state directory %s is in use by another cluster (stop it with: tess --state %s down)",
			    t->state, t->state);
		close(fd);
	}
	if (cluster_procs(t, pids, 8) > 0)
		die("state directory %s is in use by another cluster (pid %ld; stop it with: tess --state %s down)",
		    t->state, (long)pids[0], t->state);
}

static void need_file(const char *path, const char *hint)
{
	if (access(path, R_OK))
		die("%s not found (%s)", path, hint);
}

static void unlink_glob(const char *pattern)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
	globfree(&g);
}

/* Sockets and pid files of a previous run: QEMU cannot bind over a stale socket. */
static void remove_runtime_files(const struct tess *t)
{
	unlink(spath(t, "gmmd.sock"));
	unlink(spath(t, "gmmd.pid"));
	unlink(spath(t, "hub.pid"));
	unlink_glob(spath(t, "fabric/*.sock"));
	unlink_glob(spath(t, "nodes/n*.gdb"));
	unlink_glob(spath(t, "nodes/n*.pid"));
	remove_pools(t);
}

/* First line of a log, for one-line errors. */
static const char *log_first_line(const char *path)
{
	static char line[256];
	FILE *f = fopen(path, "r");

	line[0] = 0;
	if (f) {
		if (fgets(line, sizeof(line), f))
			line[strcspn(line, "\n")] = 0;
		fclose(f);
	}
	return line;
}

static int child_exited(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, WNOHANG) == pid;
}

static void wait_for_socket(const struct tess *t, const char *sock, pid_t pid,
			    const char *what, const char *log)
{
	uint64_t deadline = now_ms() + DAEMON_START_MS;

	while (access(sock, F_OK)) {
		if (child_exited(pid))
			die("%s exited at start: %s (log: %s)", what, log_first_line(log), log);
		if (now_ms() > deadline)
			die("%s did not create %s within %d s (log: %s; tess down cleans up)",
			    what, sock, DAEMON_START_MS / 1000, log);
		sleep_ms(10);
	}
	(void)t;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

/* The ivshmem-plain devices of node n: one per peer of the other role. */
static int pool_args(const struct tess *t, const struct up_cfg *c, const struct up_node *nodes, int nn,
		     const struct up_node *n, char **argv, int i)
{
	int is_p = strcmp(n->role, "process") == 0, is_m = strcmp(n->role, "memory") == 0;

	if (!c->pool_bytes || (!is_p && !is_m))
		return i;
	for (int k = 0; k < nn; k++) {
		const struct up_node *peer = &nodes[k];

		if (strcmp(peer->role, is_p ? "memory" : "process"))
			continue;
		argv[i++] = "-object";
		argv[i++] = xasprintf("memory-backend-file,id=pool%d,share=on,mem-path=%s,size=%llu", peer->id,
				      qemu_escape(pool_path(t, is_m ? n->id : peer->id, is_p ? n->id : peer->id)),
				      (unsigned long long)c->pool_bytes);
		argv[i++] = "-device";
		argv[i++] = xasprintf("ivshmem-plain,memdev=pool%d", peer->id);
	}
	return i;
}

static pid_t launch_qemu(const struct tess *t, const struct up_cfg *c, const char *qemu,
			 const struct up_node *nodes, int nn, struct up_node *n)
{
	char **argv = n->argv;
	int i = 0;
	int kvm = strcmp(c->accel, "kvm") == 0;

	argv[i++] = (char *)qemu;
	argv[i++] = "-name";
	argv[i++] = xasprintf("tess-%s", n->name);
	argv[i++] = "-M";
	argv[i++] = "pc";
	argv[i++] = "-cpu";
	argv[i++] = kvm ? "host" : "max";
	argv[i++] = "-accel";
	argv[i++] = (char *)c->accel;
	argv[i++] = "-smp";
	argv[i++] = "1";
	argv[i++] = "-m";
	argv[i++] = xasprintf("%d", c->mem_mb);
	argv[i++] = "-nodefaults";
	argv[i++] = "-no-user-config";
	argv[i++] = "-display";
	argv[i++] = "none";
	argv[i++] = "-no-reboot";
	if (strcmp(c->bios, "qboot") == 0) {
		argv[i++] = "-bios";
		argv[i++] = "/usr/share/qemu/qboot.rom";
	}
	argv[i++] = "-kernel";
	argv[i++] = (char *)n->image;
	argv[i++] = "-append";
	argv[i++] = xasprintf("node=%d role=%s name=%s%s%s%s%s", n->id, n->role, n->name,
			      c->excache_bytes && strcmp(n->role, "process") == 0 ? " excache=" : "",
			      c->excache_bytes && strcmp(n->role, "process") == 0 ?
			      xasprintf("%llu", (unsigned long long)c->excache_bytes) : "",
			      c->append ? " " : "", c->append ? c->append : "");
	argv[i++] = "-serial";
	argv[i++] = xasprintf("file:%s", spath(t, "nodes/n%d.log", n->id));
	argv[i++] = "-netdev";
	argv[i++] = xasprintf("dgram,id=fab,local.type=unix,local.path=%s,remote.type=unix,remote.path=%s",
			      spath(t, "fabric/n%d.sock", n->id), spath(t, "fabric/hub.sock"));
	argv[i++] = "-device";
	/* romfile= skips the iPXE option ROM: nothing boots from the network. */
	argv[i++] = xasprintf("virtio-net-pci,netdev=fab,mac=%s,disable-legacy=on,romfile=", n->mac);
	if (n->disk[0]) {
		/* Modern virtio only, like the NIC; the guest's flushes reach the image. */
		argv[i++] = "-drive";
		argv[i++] = xasprintf("file=%s,format=raw,if=none,id=disk0,cache=writeback",
				      qemu_escape(n->disk));
		argv[i++] = "-device";
		argv[i++] = "virtio-blk-pci,drive=disk0,disable-legacy=on";
	}
	i = pool_args(t, c, nodes, nn, n, argv, i);
	argv[i++] = "-gdb";
	argv[i++] = xasprintf("unix:%s,server=on,wait=off", spath(t, "nodes/n%d.gdb", n->id));
	argv[i++] = "-pidfile";
	argv[i++] = xasprintf("%s", spath(t, "nodes/n%d.pid", n->id));
	argv[i++] = "-daemonize";
	argv[i] = NULL;
	return spawn(argv, spath(t, "nodes/n%d.qemu.log", n->id), 0);
}

static json_t *node_json(const struct tess *t, const struct up_node *n)
{
	json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}",
			      "id", n->id, "name", n->name, "role", n->role, "mac", n->mac,
			      "image", n->image, "pid", (json_int_t)n->pid,
			      "log", spath(t, "nodes/n%d.log", n->id),
			      "gdb", spath(t, "nodes/n%d.gdb", n->id),
			      "pidfile", spath(t, "nodes/n%d.pid", n->id));
	json_t *args = json_array();

	if (n->disk[0])
		json_object_set_new(j, "disk", json_string(n->disk));
	for (int i = 0; n->argv[i]; i++)
		json_array_append_new(args, json_string(n->argv[i]));
	json_object_set_new(j, "argv", args);       /* for tess restart */
	return j;
}

static void record(const struct tess *t, const struct up_cfg *c, struct up_node *nodes, int nn,
		   pid_t hub, pid_t gmmd, int64_t boot_ms)
{
	json_t *arr = json_array(), *doc;
	char when[64];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
	for (int i = 0; i < nn; i++)
		json_array_append_new(arr, node_json(t, &nodes[i]));
	doc = json_pack("{s:i, s:s, s:s, s:s, s:s, s:i, s:{s:i, s:i, s:i}, s:I,"
			" s:{s:I, s:s, s:s}, s:{s:I, s:s, s:s}, s:o}",
			"version", 1, "state_dir", t->state, "started_at", when,
			"accel", c->accel, "bios", c->bios, "mem_mb", c->mem_mb,
			"counts", "process", c->counts[0], "memory", c->counts[1], "storage", c->counts[2],
			"boot_ms", (json_int_t)boot_ms,
			"hub", "pid", (json_int_t)hub, "sock", spath(t, "fabric/hub.sock"), "log", spath(t, "hub.log"),
			"gmmd", "pid", (json_int_t)gmmd, "sock", spath(t, "gmmd.sock"), "log", spath(t, "gmmd.log"),
			"nodes", arr);
	if (!doc)
		die("cannot build cluster.json");
	cluster_save(t, doc);
	json_decref(doc);
}

/* gmmd's entry for node id in a status reply, or NULL. */
static json_t *status_node(json_t *status, int id)
{
	json_t *x;
	size_t k;

	json_array_foreach(json_object_get(status, "nodes"), k, x)
		if (json_integer_value(json_object_get(x, "id")) == id)
			return x;
	return NULL;
}

static void print_table(json_t *status, const struct up_node *nodes, int nn)
{
	printf("%-4s %-8s %-8s %-7s %-17s %s\n", "ID", "NAME", "ROLE", "STATE", "MAC", "MEM");
	for (int i = 0; i < nn; i++) {
		json_t *n = status_node(status, nodes[i].id);
		const char *st = json_string_value(json_object_get(n, "state"));
		const char *mac = json_string_value(json_object_get(n, "mac"));

		printf("%-4d %-8s %-8s %-7s %-17s %.0f MiB\n", nodes[i].id, nodes[i].name, nodes[i].role,
		       st ? st : "?", mac ? mac : nodes[i].mac,
		       json_number_value(json_object_get(n, "mem_bytes")) / 1048576.0);
	}
}

/*
 * Has a node's console said it will never join? The kernel prints
 * "*** KERNEL PANIC: why" or, for a bad configuration, "cmdline: why" or
 * "error: why" followed by "...will not join the cluster" (docs/boot.md).
 * Returns 1 and the reason in why.
 */
static int console_gave_up(const char *log, char *why, size_t cap)
{
	FILE *f = fopen(log, "r");
	char line[512], last_err[512] = "";
	int gave_up = 0;

	if (!f)
		return 0;
	while (!gave_up && fgets(line, sizeof(line), f)) {
		char *p;

		line[strcspn(line, "\r\n")] = 0;
		if ((p = strstr(line, "KERNEL PANIC: "))) {
			snprintf(why, cap, "kernel panic: %s", p + strlen("KERNEL PANIC: "));
			gave_up = 1;
		} else if (strstr(line, "will not join the cluster")) {
			snprintf(why, cap, "%s", last_err[0] ? last_err : line);
			gave_up = 1;
		} else if ((p = strstr(line, "error: ")) || (p = strstr(line, "cmdline: "))) {
			snprintf(last_err, sizeof(last_err), "%s", p);
		}
	}
	fclose(f);
	return gave_up;
}

/*
 * Rows of an earlier cluster on the same state.db may still say "up": remember
 * their boot nonces, so that only a join by the new boot counts.
 */
static void remember_old_boots(json_t *status, struct up_node *nodes, int nn)
{
	for (int i = 0; i < nn; i++) {
		json_t *n = status_node(status, nodes[i].id);
		const char *nonce = json_string_value(json_object_get(n, "boot_nonce"));

		snprintf(nodes[i].old_nonce, sizeof(nodes[i].old_nonce), "%s", nonce ? nonce : "");
	}
}

/* Which expected nodes has this boot brought up? Prints each newly joined node. */
static int count_joined(json_t *status, struct up_node *nodes, int nn, uint64_t t0)
{
	int up = 0;

	for (int i = 0; i < nn; i++) {
		json_t *n = status_node(status, nodes[i].id);
		const char *st = json_string_value(json_object_get(n, "state"));
		const char *nonce = json_string_value(json_object_get(n, "boot_nonce"));

		if (!nodes[i].joined && st && strcmp(st, "up") == 0 &&
		    /* not still the row of an earlier boot */
		    !(nodes[i].old_nonce[0] && nonce && strcmp(nonce, nodes[i].old_nonce) == 0)) {
			nodes[i].joined = 1;
			printf("  node %d (%s) joined after %.2f s\n", nodes[i].id, nodes[i].name,
			       (double)(now_ms() - t0) / 1000.0);
		}
		up += nodes[i].joined;
	}
	return up;
}

/* One `tess up` in progress. */
struct up_run {
	struct tess *t;
	struct up_cfg c;
	struct up_node nodes[UP_MAX_NODES];
	int nn;
	const char *qemu;
	pid_t hub, gmmd;
	uint64_t t0;
};

static void save(struct up_run *u, int64_t boot_ms)
{
	record(u->t, &u->c, u->nodes, u->nn, u->hub, u->gmmd, boot_ms);
}

/* Ids 1.. for process, then memory, then storage nodes; names p1.., m1.., s1... */
static void plan_nodes(struct up_run *u)
{
	int id = 1;

	for (int r = 0; r < 3; r++)
		for (int k = 1; k <= u->c.counts[r]; k++, id++) {
			struct up_node *n = &u->nodes[u->nn++];
			uint8_t mac[6];
			char img[32];

			memset(n, 0, sizeof(*n));
			n->id = id;
			n->role = role_of[r];
			snprintf(n->name, sizeof(n->name), "%c%d", role_letter[r], k);
			snprintf(img, sizeof(img), "tessera-%s.elf", n->role);
			snprintf(n->image, sizeof(n->image), "%s", bpath(u->t, img));
			need_file(n->image, "run make");
			fab_mac_for_node((uint16_t)id, mac);
			snprintf(n->mac, sizeof(n->mac), "%02x:%02x:%02x:%02x:%02x:%02x",
				 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		}
}

/*
 * Every storage node gets a disk before any QEMU starts: --image for the first
 * one (used in place, and written to), DIR/disks/<name>.img for the others,
 * built on first use and kept, with its data, across tess down and up.
 */
static void prepare_disks(struct up_run *u)
{
	int first = 1;

	for (int i = 0; i < u->nn; i++) {
		struct up_node *n = &u->nodes[i];

		if (strcmp(n->role, "storage") != 0)
			continue;
		if (first && u->c.image)
			disk_use_image(u->c.image, n->disk, sizeof(n->disk));
		else
			disk_prepare(u->t, n->name, u->c.disk_bytes, n->disk, sizeof(n->disk));
		first = 0;
	}
}

static void prepare_pools(struct up_run *u)
{
	struct statvfs fs;
	uint64_t pairs = (uint64_t)u->c.counts[0] * (uint64_t)u->c.counts[1], room;

	if (!u->c.pool_bytes || !pairs)
		return;
	/* The files are sparse, but a guest that writes past what tmpfs can hold dies of SIGBUS. */
	if (statvfs("/dev/shm", &fs))
		die("cannot use /dev/shm for pool windows: %s (or use --pool off)", strerror(errno));
	room = (uint64_t)fs.f_bavail * fs.f_frsize;
	if (room < pairs * u->c.pool_bytes)
		die("/dev/shm has %llu MiB free, too little for %llu pool window%s of %llu MiB "
		    "(use a smaller --pool SIZE or --pool off)", (unsigned long long)(room >> 20),
		    (unsigned long long)pairs, pairs == 1 ? "" : "s", (unsigned long long)(u->c.pool_bytes >> 20));
	for (int i = 0; i < u->nn; i++)
		for (int k = 0; k < u->nn; k++)
			if (!strcmp(u->nodes[i].role, "memory") && !strcmp(u->nodes[k].role, "process"))
				pool_create(pool_path(u->t, u->nodes[i].id, u->nodes[k].id), u->c.pool_bytes,
					    u->nodes[i].id, u->nodes[k].id);
}

/* The fabric hub first (nodes and gmmd send to its socket), then gmmd. */
static void start_daemons(struct up_run *u)
{
	struct tess *t = u->t;
	char hub_bin[TESS_PATH_MAX], gmmd_bin[TESS_PATH_MAX];
	char *hv[] = { hub_bin, "--sock", NULL, NULL };
	char *gv[] = { gmmd_bin, "--state", t->state, "--foreground", NULL };
	char err[256];
	json_t *req, *status;

	snprintf(hub_bin, sizeof(hub_bin), "%s", bpath(t, "tess-hub"));
	snprintf(gmmd_bin, sizeof(gmmd_bin), "%s", bpath(t, "gmmd"));
	hv[2] = (char *)spath(t, "fabric/hub.sock");
	u->hub = spawn(hv, spath(t, "hub.log"), 0);
	pidfile_write(spath(t, "hub.pid"), u->hub);
	wait_for_socket(t, spath(t, "fabric/hub.sock"), u->hub, "tess-hub", spath(t, "hub.log"));

	u->gmmd = spawn(gv, spath(t, "gmmd.log"), 0);
	wait_for_socket(t, spath(t, "gmmd.sock"), u->gmmd, "gmmd", spath(t, "gmmd.log"));
	if (access(spath(t, "gmmd.pid"), F_OK))
		pidfile_write(spath(t, "gmmd.pid"), u->gmmd);
	save(u, -1);

	req = json_pack("{s:s}", "cmd", "status");
	status = ctl_try(t, req, 5000, err, sizeof(err));
	if (!status)
		die("gmmd does not answer: %s (log: %s; tess down cleans up)", err, spath(t, "gmmd.log"));
	remember_old_boots(status, u->nodes, u->nn);
	json_decref(status);
	json_decref(req);
}

/* Every QEMU at once, so the nodes boot in parallel; then collect their pids. */
static void launch_nodes(struct up_run *u)
{
	struct tess *t = u->t;

	printf("starting %d node%s (%d process, %d memory, %d storage; accel %s) in %s\n",
	       u->nn, u->nn == 1 ? "" : "s", u->c.counts[0], u->c.counts[1], u->c.counts[2],
	       u->c.accel, t->state);
	for (int i = 0; i < u->nn; i++)
		u->nodes[i].launcher = launch_qemu(t, &u->c, u->qemu, u->nodes, u->nn, &u->nodes[i]);
	for (int i = 0; i < u->nn; i++) {
		struct up_node *n = &u->nodes[i];
		int st;

		/* With -daemonize, the launcher exits once the VM is set up. */
		while (waitpid(n->launcher, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			const char *ql = spath(t, "nodes/n%d.qemu.log", n->id);

			save(u, -1);
			die("node %d (%s): qemu failed to start: %s (log: %s; tess down cleans up)",
			    n->id, n->name, log_first_line(ql), ql);
		}
		n->pid = pidfile_read(spath(t, "nodes/n%d.pid", n->id));
	}
	save(u, -1);
}

/* Between polls: give up early if gmmd or a node can no longer make it. */
static void check_progress(struct up_run *u, uint64_t deadline)
{
	struct tess *t = u->t;
	char why[512];

	if (child_exited(u->gmmd))
		die("gmmd exited while nodes were joining (log: %s; tess down cleans up)",
		    spath(t, "gmmd.log"));
	for (int i = 0; i < u->nn; i++) {
		struct up_node *n = &u->nodes[i];
		const char *con = spath(t, "nodes/n%d.log", n->id);

		if (n->joined)
			continue;
		if (console_gave_up(con, why, sizeof(why)))
			die("node %d (%s) will not join: %s; console log: %s (tess down cleans up)",
			    n->id, n->name, why, con);
		if (!proc_of_cluster(t, n->pid))
			die("node %d (%s) exited before joining; console log: %s (tess down cleans up)",
			    n->id, n->name, con);
		if (now_ms() >= deadline)
			die("node %d (%s) did not join within %d s; console log: %s "
			    "(the cluster is left up for inspection; tess down cleans up)",
			    n->id, n->name, u->c.timeout_s, con);
	}
}

/* Poll gmmd until every node of this boot is up; returns the last status. */
static json_t *wait_joined(struct up_run *u)
{
	uint64_t deadline = u->t0 + (uint64_t)u->c.timeout_s * 1000;
	json_t *req = json_pack("{s:s}", "cmd", "status"), *status;
	uint64_t next_note = u->t0 + UP_PROGRESS_MS;
	char err[256];

	for (;;) {
		status = ctl_try(u->t, req, 2000, err, sizeof(err));
		if (status && json_is_true(json_object_get(status, "ok")) &&
		    count_joined(status, u->nodes, u->nn, u->t0) == u->nn)
			break;
		json_decref(status);
		check_progress(u, deadline);
		if (now_ms() >= next_note) {
			/* A slow boot shows who is still missing. */
			printf("  waiting for");
			for (int i = 0; i < u->nn; i++)
				if (!u->nodes[i].joined)
					printf(" %d (%s)", u->nodes[i].id, u->nodes[i].name);
			printf(" after %.0f s\n", (double)(now_ms() - u->t0) / 1000.0);
			next_note += UP_PROGRESS_MS;
		}
		sleep_ms(UP_POLL_MS);
	}
	json_decref(req);
	return status;
}

int cmd_up(struct tess *t, int argc, char **argv)
{
	static struct up_run u;
	json_t *status;
	uint64_t boot;

	u.t = t;
	u.t0 = now_ms();
	parse_up(t, &u.c, argc, argv);
	u.qemu = find_in_path("qemu-system-x86_64");
	if (!u.qemu)
		die("qemu-system-x86_64 not found (run make deps)");
	u.qemu = strdup(u.qemu);
	need_file(bpath(t, "tess-hub"), "run make");
	need_file(bpath(t, "gmmd"), "run make");
	plan_nodes(&u);

	state_resolve(t, 1);
	check_not_in_use(t);
	u.c.accel = pick_accel(u.c.accel);
	remove_runtime_files(t);
	prepare_disks(&u);
	prepare_pools(&u);
	start_daemons(&u);
	launch_nodes(&u);
	status = wait_joined(&u);

	boot = now_ms() - u.t0;
	save(&u, (int64_t)boot);
	print_table(status, u.nodes, u.nn);
	printf("cluster up in %.2f s: %d node%s, accel %s, state %s\n", (double)boot / 1000.0,
	       u.nn, u.nn == 1 ? "" : "s", u.c.accel, t->state);
	json_decref(status);
	return 0;
}

/* ---- down ------------------------------------------------------------------- */

static int add_pid(pid_t *pids, int n, int max, pid_t p)
{
	if (p <= 0 || n >= max)
		return n;
	for (int i = 0; i < n; i++)
		if (pids[i] == p)
			return n;
	pids[n] = p;
	return n + 1;
}

/* Every process of the cluster we can find: recorded pids, pid files and a /proc scan. */
static int collect_pids(const struct tess *t, json_t *cl, pid_t *pids, int max)
{
	pid_t scan[256];
	int n = 0, ns;
	size_t i;
	json_t *x;
	glob_t g;

	if (cl) {
		n = add_pid(pids, n, max, (pid_t)json_integer_value(json_object_get(json_object_get(cl, "hub"), "pid")));
		n = add_pid(pids, n, max, (pid_t)json_integer_value(json_object_get(json_object_get(cl, "gmmd"), "pid")));
		json_array_foreach(json_object_get(cl, "nodes"), i, x)
			n = add_pid(pids, n, max, (pid_t)json_integer_value(json_object_get(x, "pid")));
	}
	n = add_pid(pids, n, max, pidfile_read(spath(t, "gmmd.pid")));
	n = add_pid(pids, n, max, pidfile_read(spath(t, "hub.pid")));
	if (glob(spath(t, "nodes/n*.pid"), 0, NULL, &g) == 0)
		for (i = 0; i < g.gl_pathc; i++)
			n = add_pid(pids, n, max, pidfile_read(g.gl_pathv[i]));
	globfree(&g);
	ns = cluster_procs(t, scan, 256);
	for (int k = 0; k < ns; k++)
		n = add_pid(pids, n, max, scan[k]);
	/* Only processes that really belong to this state directory. */
	for (int k = 0; k < n;)
		if (!proc_of_cluster(t, pids[k]))
			pids[k] = pids[--n];
		else
			k++;
	return n;
}

static int wait_gone(const struct tess *t, pid_t *pids, int n, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;
	int alive;

	for (;;) {
		alive = 0;
		for (int i = 0; i < n; i++)
			alive += proc_of_cluster(t, pids[i]);
		if (!alive || now_ms() >= deadline)
			return alive;
		sleep_ms(20);
	}
}

/*
 * Storage nodes write back their cache within a second, but QEMU is stopped at
 * once: have every storage node that is up write everything to its disk first,
 * so a stopped cluster's image is clean (tess fsck).
 */
static void sync_storage(const struct tess *t)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *st, *n;
	char err[256];
	size_t i;

	st = ctl_try(t, req, 3000, err, sizeof(err));
	json_decref(req);
	json_array_foreach(st ? json_object_get(st, "nodes") : NULL, i, n) {
		const char *role = json_string_value(json_object_get(n, "role"));
		const char *state = json_string_value(json_object_get(n, "state"));
		json_t *r;

		if (!role || !state || strcmp(role, "storage") || strcmp(state, "up"))
			continue;
		req = json_pack("{s:s, s:s, s:O}", "cmd", "fs", "op", "sync", "node", json_object_get(n, "id"));
		r = ctl_try(t, req, SYNC_MS, err, sizeof(err));
		if (!r || !json_is_true(json_object_get(r, "ok")))
			note("down: storage node %lld did not sync its disk: %s",
			     (long long)json_integer_value(json_object_get(n, "id")),
			     r ? json_string_value(json_object_get(r, "error")) : err);
		json_decref(r);
		json_decref(req);
	}
	json_decref(st);
}

int cmd_down(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a;
	pid_t pids[512];
	int n, shut = 0;
	json_t *cl, *req, *r;
	char err[256];
	struct stat st;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o)))
		if (!opts_common(t, &o, a))
			die_usage("down: unknown argument '%s'", a);
	{
		/* A missing state directory is "nothing to do", not an error. */
		const char *s = t->state_arg ? t->state_arg : getenv("TESSERA_STATE");
		char def[64];

		if (!s || !*s) {
			snprintf(def, sizeof(def), "/tmp/tessera-%u", (unsigned)getuid());
			s = def;
		}
		if (stat(s, &st) || !S_ISDIR(st.st_mode)) {
			printf("no cluster is up in %s (nothing to stop)\n", s);
			return 0;
		}
	}
	state_resolve(t, 0);
	cl = cluster_load(t);

	sync_storage(t);
	/* Ask gmmd to stop first, so it records the shutdown in its tables. */
	req = json_pack("{s:s}", "cmd", "shutdown");
	r = ctl_try(t, req, 3000, err, sizeof(err));
	shut = r != NULL;
	json_decref(r);
	json_decref(req);

	n = collect_pids(t, cl, pids, 512);
	if (!n && !shut) {
		printf("no cluster is up in %s (nothing to stop)\n", t->state);
		remove_runtime_files(t);
		json_decref(cl);
		return 0;
	}
	for (int round = 0; round < 2 && n; round++) {
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGTERM);
		if (wait_gone(t, pids, n, DOWN_TERM_MS))
			for (int i = 0; i < n; i++)
				if (proc_of_cluster(t, pids[i]))
					kill(pids[i], SIGKILL);
		wait_gone(t, pids, n, 2000);
		/* Anything started meanwhile (a restarted gmmd, say) gets the same treatment. */
		n = collect_pids(t, NULL, pids, 512);
	}
	if (n) {
		json_decref(cl);
		die("could not stop pid %ld of the cluster in %s", (long)pids[0], t->state);
	}
	remove_runtime_files(t);
	if (cl) {
		time_t now = time(NULL);
		char when[64];

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
		json_object_set_new(cl, "stopped_at", json_string(when));
		cluster_save(t, cl);
		json_decref(cl);
	}
	printf("cluster in %s is down (logs and state.db kept there)\n", t->state);
	return 0;
}
