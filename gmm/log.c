/*
 * gmm/log.c - gmmd's log: one timestamped line per event, to DIR/gmmd.log
 * (or stderr in the foreground), plus a rate limiter for repetitive warnings
 * such as malformed frames.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gmmd.h"

static int log_fd = 2;

uint64_t gmm_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void gmm_log_to(int fd)
{
	log_fd = fd;
}

void gmm_log(const char *fmt, ...)
{
	char line[1024];
	struct timespec now;
	struct tm tm;
	size_t n;
	va_list ap;
	int k;

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	k = snprintf(line + n, sizeof(line) - n, ".%03u gmmd: ",
		     (unsigned)(now.tv_nsec / 1000000) % 1000u);
	n += k > 0 ? (size_t)k : 0;
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n += k > 0 ? (size_t)k : 0;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: lines from several processes on one file stay whole. */
	if (write(log_fd, line, n) < 0)
		return;
}

const char *gmm_ratelimit(struct ratelimit *rl, uint64_t now_ns)
{
	if (rl->last_ns && now_ns - rl->last_ns < (uint64_t)GMM_LOG_EVERY_MS * 1000000ull) {
		rl->suppressed++;
		return NULL;
	}
	rl->note[0] = 0;
	if (rl->suppressed)
		snprintf(rl->note, sizeof(rl->note), " (%llu similar not logged)",
			 (unsigned long long)rl->suppressed);
	rl->suppressed = 0;
	rl->last_ns = now_ns ? now_ns : 1;
	return rl->note;
}

void gmm_mac_str(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
