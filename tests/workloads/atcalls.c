/*
 * atcalls.c - the *at() calls relative to a directory fd, and fchdir, with
 * their errors. Prints one line per call (result or errno name), so the
 * output on the host and in a vNode can be compared line for line.
 *
 *   atcalls DIR      (DIR must exist and be empty)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case EBADF: return "EBADF";
	case EEXIST: return "EEXIST";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	default: return strerror(e);
	}
}

static void show(const char *what, long rc)
{
	if (rc < 0)
		printf("%s: %s\n", what, err_name(errno));
	else
		printf("%s: ok\n", what);
}

int main(int argc, char **argv)
{
	struct stat st;
	char buf[64];
	int d, sub, f;
	long n;

	if (argc != 2) {
		fprintf(stderr, "usage: atcalls DIR\n");
		return 2;
	}
	d = open(argv[1], O_RDONLY | O_DIRECTORY);
	show("open dir", d);
	show("mkdirat sub", mkdirat(d, "sub", 0755));
	show("mkdirat sub again", mkdirat(d, "sub", 0755));
	f = openat(d, "sub/file", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	show("openat sub/file create", f);
	show("write", write(f, "hello at\n", 9));
	close(f);
	sub = openat(d, "sub", O_RDONLY | O_DIRECTORY);
	show("openat sub", sub);
	show("fstatat sub:file", fstatat(sub, "file", &st, 0));
	printf("size %lld, regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
	show("faccessat sub:file R_OK", faccessat(sub, "file", R_OK, 0));
	show("faccessat sub:nope", faccessat(sub, "nope", F_OK, 0));
	show("symlinkat link->file", symlinkat("file", sub, "link"));
	n = readlinkat(sub, "link", buf, sizeof(buf) - 1);
	show("readlinkat link", n);
	if (n >= 0) {
		buf[n] = 0;
		printf("link -> %s\n", buf);
	}
	show("renameat sub:file -> dir:moved", renameat(sub, "file", d, "moved"));
	show("fstatat dir:moved", fstatat(d, "moved", &st, 0));
	show("fstatat sub:file (gone)", fstatat(sub, "file", &st, 0));
	show("unlinkat sub:link", unlinkat(sub, "link", 0));
	show("unlinkat dir:sub as file", unlinkat(d, "sub", 0));
	show("unlinkat dir:sub AT_REMOVEDIR", unlinkat(d, "sub", AT_REMOVEDIR));
	f = openat(d, "moved", O_RDONLY);
	show("openat moved", f);
	show("openat regular-fd:x", openat(f, "x", O_RDONLY));
	show("fstatat regular-fd:x", fstatat(f, "x", &st, 0));
	show("openat 99:x", openat(99, "x", O_RDONLY));
	show("openat 99:/ (absolute)", openat(99, "/", O_RDONLY | O_DIRECTORY));
	show("fstatat AT_EMPTY_PATH", fstatat(f, "", &st, AT_EMPTY_PATH));
	printf("size %lld\n", (long long)st.st_size);
	close(f);
	show("fchdir dir", fchdir(d));
	f = open("moved", O_RDONLY);
	show("open moved after fchdir", f);
	n = read(f, buf, sizeof(buf));
	printf("read %ld: %.*s", n, (int)(n > 0 ? n : 0), buf);
	show("fchdir regular", fchdir(f));
	show("fchdir 99", fchdir(99));
	close(f);
	show("unlinkat dir:moved", unlinkat(d, "moved", 0));
	return 0;
}
