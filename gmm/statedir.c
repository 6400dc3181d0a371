/*
 * gmm/statedir.c - owning a state directory: DIR/lock is flock()ed for
 * gmmd's whole life (and holds its pid), DIR/gmmd.pid names the daemon.
 * A second gmmd on the same directory is refused before it touches anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "statedir.h"

int statedir_lock(const char *dir)
{
	char path[4200], pid[32] = "";
	ssize_t n;
	int fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "gmmd: cannot create state directory %s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "gmmd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		fprintf(stderr, "gmmd: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	n = pread(fd, pid, sizeof(pid) - 1, 0);
	pid[n > 0 ? n : 0] = 0;
	pid[strcspn(pid, "\n")] = 0;
	fprintf(stderr, "gmmd: state directory %s is in use by another cluster (pid %s)\n", dir,
		pid[0] ? pid : "unknown");
	close(fd);
	return -1;
}

int statedir_write_pid(int lock_fd, const char *pid_path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid()), fd;

	if (ftruncate(lock_fd, 0) < 0 || pwrite(lock_fd, buf, (size_t)n, 0) != n)
		return -errno;
	fd = open(pid_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}
