/*
 * tools/tess_disk.c - storage nodes' disks: the ext2 image each storage node
 * gets (DIR/disks/<name>.img, built with `mke2fs -d` from build/rootfs on
 * first use and kept across tess down/up), and `tess fsck`, which checks the
 * images of a stopped cluster with `e2fsck -fn`.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tess.h"

#define DISK_MIN_BYTES   (4ull << 20)
#define DISK_MAX_BYTES   (1ull << 40)

int disk_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 0:
		break;
	case 'k': case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm': case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g': case 'G':
		mul = 1ull << 30;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'i' && end[1] == 'B')      /* 256MiB */
		end += 2;
	if (*end || v > DISK_MAX_BYTES / mul || v * mul < DISK_MIN_BYTES || v * mul > DISK_MAX_BYTES)
		return -1;
	*bytes = v * mul;
	return 0;
}

/* Run argv, output to log; returns the exit status (or 127 if it did not run). */
static int run_logged(char *const argv[], const char *log)
{
	pid_t pid = spawn(argv, log, 0);
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static const char *first_line(const char *path)
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

/* build/rootfs, made by tools/mkrootfs.sh (by make, or here if it is missing). */
static const char *default_root(const struct tess *t)
{
	static char root[TESS_PATH_MAX];
	char stamp[TESS_PATH_MAX + 16], script[TESS_PATH_MAX + 32], log[TESS_PATH_MAX + 32];
	char *argv[] = { "/bin/sh", script, root, NULL };

	snprintf(root, sizeof(root), "%s", bpath(t, "rootfs"));
	snprintf(stamp, sizeof(stamp), "%s/bin/busybox", root);
	if (access(stamp, R_OK) == 0)
		return root;
	snprintf(script, sizeof(script), "%s/../tools/mkrootfs.sh", t->bindir);
	if (access(script, R_OK))
		die("%s not found and no %s to build it (run make)", root, script);
	snprintf(log, sizeof(log), "%s/rootfs.log", t->bindir);
	if (run_logged(argv, log))
		die("cannot build %s: %s (log: %s)", root, first_line(log), log);
	return root;
}

/*
 * mke2fs copies each file's owner from the root directory. Run by a normal
 * user it would make everything theirs; in a user namespace where they are
 * root (unshare -r) the image holds root-owned files, as a system disk should.
 */
static int mke2fs_image(const char *mke2fs, const char *root, const char *img, uint64_t bytes,
			const char *log)
{
	char size[32];
	char *argv[16];
	int i = 0, rc;
	const char *unshare = getuid() != 0 ? find_in_path("unshare") : NULL;
	char unshare_bin[TESS_PATH_MAX];

	snprintf(size, sizeof(size), "%lluk", (unsigned long long)(bytes >> 10));
	if (unshare) {
		snprintf(unshare_bin, sizeof(unshare_bin), "%s", unshare);
		argv[i++] = unshare_bin;
		argv[i++] = "-r";
	}
	argv[i++] = (char *)mke2fs;
	argv[i++] = "-q";
	argv[i++] = "-t";
	argv[i++] = "ext2";
	argv[i++] = "-b";
	argv[i++] = "4096";
	argv[i++] = "-d";
	argv[i++] = (char *)root;
	argv[i++] = "-L";
	argv[i++] = "tessera";
	argv[i++] = (char *)img;
	argv[i++] = size;
	argv[i] = NULL;
	rc = run_logged(argv, log);
	if (rc && unshare) {
		unlink(img);
		rc = run_logged(argv + 2, log);     /* no user namespaces here: files stay ours */
	}
	return rc;
}

void disk_prepare(const struct tess *t, const char *name, uint64_t bytes, char *out, size_t cap)
{
	char tmp[TESS_PATH_MAX + 16], log[TESS_PATH_MAX + 16], mke2fs[TESS_PATH_MAX];
	const char *p, *root;
	uint64_t t0 = now_ms();

	if (snprintf(out, cap, "%s", spath(t, "disks/%s.img", name)) >= (int)cap)
		die("path too long: %s", out);
	if (access(out, F_OK) == 0)
		return;                          /* a reused state directory keeps its data */
	if (mkdir(spath(t, "disks"), 0755) && errno != EEXIST)
		die("cannot create %s: %s", spath(t, "disks"), strerror(errno));
	p = find_in_path("mke2fs");
	if (!p && access("/sbin/mke2fs", X_OK) == 0)
		p = "/sbin/mke2fs";
	if (!p)
		die("mke2fs not found (run make deps: e2fsprogs)");
	snprintf(mke2fs, sizeof(mke2fs), "%s", p);
	root = default_root(t);
	/* Build beside, then rename: an interrupted build never looks like a disk. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	snprintf(log, sizeof(log), "%s", spath(t, "disks/%s.mke2fs.log", name));
	unlink(tmp);
	if (mke2fs_image(mke2fs, root, tmp, bytes, log)) {
		unlink(tmp);
		die("mke2fs could not build %s: %s (log: %s)", out, first_line(log), log);
	}
	if (rename(tmp, out))
		die("cannot rename %s: %s", tmp, strerror(errno));
	unlink(log);
	printf("disk %s: new ext2 image of %llu MiB from %s in %.2f s (%s)\n", name,
	       (unsigned long long)(bytes >> 20), root, (double)(now_ms() - t0) / 1000.0, out);
}

void disk_use_image(const char *file, char *out, size_t cap)
{
	char real[PATH_MAX];
	struct stat st;

	if (stat(file, &st))
		die("--image %s: %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		die("--image %s: not a regular file", file);
	if (access(file, R_OK | W_OK))
		die("--image %s: %s (the storage node writes to it)", file, strerror(errno));
	if (!realpath(file, real))
		die("--image %s: %s", file, strerror(errno));
	if (snprintf(out, cap, "%s", real) >= (int)cap)
		die("--image %s: path too long", file);
}

/* ---- tess fsck ----------------------------------------------------------------- */

/* The images of this state directory: cluster.json's disks, else DIR/disks/ *.img. */
static int list_images(const struct tess *t, char ***out)
{
	json_t *cl = cluster_load(t), *n;
	char **v = NULL;
	int count = 0;
	size_t i;
	glob_t g;

	json_array_foreach(cl ? json_object_get(cl, "nodes") : NULL, i, n) {
		const char *d = json_string_value(json_object_get(n, "disk"));

		if (!d)
			continue;
		v = realloc(v, sizeof(char *) * (size_t)(count + 1));
		if (!v || !(v[count++] = strdup(d)))
			die("out of memory");
	}
	json_decref(cl);
	if (count == 0 && glob(spath(t, "disks/*.img"), 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			v = realloc(v, sizeof(char *) * (size_t)(count + 1));
			if (!v || !(v[count++] = strdup(g.gl_pathv[i])))
				die("out of memory");
		}
		globfree(&g);
	}
	*out = v;
	return count;
}

int cmd_fsck(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a, *p;
	char e2fsck[TESS_PATH_MAX], **imgs, err[256];
	pid_t pids[4];
	json_t *req, *r;
	int n, worst = 0;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o)))
		if (!opts_common(t, &o, a))
			die_usage("fsck: unknown argument '%s' (tess fsck [--state DIR])", a);
	state_resolve(t, 0);
	req = json_pack("{s:s}", "cmd", "status");
	r = ctl_try(t, req, 2000, err, sizeof(err));
	json_decref(req);
	if (r || cluster_procs(t, pids, 4) > 0) {
		json_decref(r);
		die("fsck: stop the cluster first (tess down)");
	}
	n = list_images(t, &imgs);
	if (n == 0)
		die("fsck: no disk images in %s", spath(t, "disks"));
	p = find_in_path("e2fsck");
	if (!p && access("/sbin/e2fsck", X_OK) == 0)
		p = "/sbin/e2fsck";
	if (!p)
		die("e2fsck not found (run make deps: e2fsprogs)");
	snprintf(e2fsck, sizeof(e2fsck), "%s", p);
	for (int i = 0; i < n; i++) {
		char *ev[] = { e2fsck, "-fn", imgs[i], NULL };
		pid_t pid;
		int st, rc;

		if (n > 1)
			printf("== %s ==\n", imgs[i]);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			dup2(1, 2);              /* e2fsck reports on both; keep them in order */
			execv(e2fsck, ev);
			_exit(127);
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 8;
		if (rc)
			note("fsck: %s is not clean (e2fsck exit status %d)", imgs[i], rc);
		if (rc > worst)
			worst = rc;
		free(imgs[i]);
	}
	free(imgs);
	return worst;
}

/* A path as a QEMU option value: commas doubled. Returns a new string. */
char *qemu_escape(const char *s)
{
	size_t n = strlen(s), extra = 0;
	char *out, *o;

	for (const char *p = s; *p; p++)
		extra += *p == ',';
	out = malloc(n + extra + 1);
	if (!out)
		die("out of memory");
	for (o = out; *s; s++) {
		*o++ = *s;
		if (*s == ',')
			*o++ = ',';
	}
	*o = 0;
	return out;
}
