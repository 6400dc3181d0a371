/*
 * tools/fabric_inject.c - put malformed frames on a cluster's fabric, to test
 * that nodes count and drop them. Binds its own datagram socket in
 * DIR/fabric/ and sends through the hub like any member.
 *
 *   fabric-inject --state DIR --node ID [--kind KIND] [--count N] [--seed S]
 *
 * KIND: random (garbage after the fabric ethertype), badcheck (header check
 * wrong), biglen (len larger than the frame), badop (unknown opcode, correct
 * check), short (a valid frame cut inside its header), or all (default: one of
 * each per count). Prints how many frames it sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "net/wire.h"

enum kind { K_RANDOM, K_BADCHECK, K_BIGLEN, K_BADOP, K_SHORT, K__COUNT };
static const char *const kind_name[K__COUNT] = { "random", "badcheck", "biglen", "badop", "short" };

/* A source MAC no node uses (locally administered). */
static const uint8_t inject_mac[6] = { 0x02, 0x7e, 0x55, 0x00, 0x00, 0x01 };

static uint64_t rng;

static uint64_t next_rand(void)
{
	/* xorshift64*: deterministic for a given --seed. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static __attribute__((noreturn)) void usage_exit(const char *why)
{
	fprintf(stderr, "fabric-inject: %s\n"
		"usage: fabric-inject --state DIR --node ID [--kind random|badcheck|biglen|badop|short|all]"
		" [--count N] [--seed S]\n", why);
	exit(2);
}

/* A well-formed PING request to node dst, as the base of the bad ones. */
static size_t good_ping(uint8_t *f, uint16_t dst, uint32_t len)
{
	uint8_t dmac[6];
	struct fab_hdr h = {
		.type = FAB_T_REQ, .op = FAB_OP_PING, .src = FAB_NODE_NONE, .dst = dst,
		.req_id = next_rand() | 1,
	};
	uint8_t payload[64];

	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)next_rand();
	fab_mac_for_node(dst, dmac);
	return fab_frame_build(f, dmac, inject_mac, &h, payload, len);
}

static struct fab_hdr *hdr_of(uint8_t *f)
{
	return (struct fab_hdr *)(f + FAB_ETH_LEN);
}

static size_t make_frame(enum kind k, uint8_t *f, uint16_t dst)
{
	size_t n;

	switch (k) {
	case K_RANDOM:
		n = good_ping(f, dst, 0);
		n = FAB_ETH_LEN + 1 + next_rand() % 200;
		for (size_t i = FAB_ETH_LEN; i < n; i++)
			f[i] = (uint8_t)next_rand();
		f[FAB_ETH_LEN] = (uint8_t)~(FAB_MAGIC & 0xff);   /* never a valid magic */
		return n;
	case K_BADCHECK:
		n = good_ping(f, dst, 16);
		hdr_of(f)->hdr_check ^= 0x5a5a0001u;
		return n;
	case K_BIGLEN:
		n = good_ping(f, dst, 16);
		hdr_of(f)->len = 4096;
		hdr_of(f)->hdr_check = fab_hdr_check(hdr_of(f));
		return n;
	case K_BADOP:
		n = good_ping(f, dst, 16);
		hdr_of(f)->op = 0x7ead;
		hdr_of(f)->hdr_check = fab_hdr_check(hdr_of(f));
		return n;
	case K_SHORT:
		good_ping(f, dst, 16);
		return FAB_ETH_LEN + 1 + next_rand() % (FAB_HDR_LEN - 1);
	default:
		return 0;
	}
}

int main(int argc, char **argv)
{
	const char *state = NULL, *kind = "all";
	long node = -1, count = 1;
	unsigned long long seed = 1;
	struct sockaddr_un me = { .sun_family = AF_UNIX }, hub = { .sun_family = AF_UNIX };
	static uint8_t frame[FAB_MAX_FRAME];
	int fd, sent = 0, want_all;
	enum kind only = K_RANDOM;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage_exit("every option needs a value");
		if (!strcmp(a, "--state"))
			state = v;
		else if (!strcmp(a, "--node"))
			node = strtol(v, NULL, 10);
		else if (!strcmp(a, "--kind"))
			kind = v;
		else if (!strcmp(a, "--count"))
			count = strtol(v, NULL, 10);
		else if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 10);
		else
			usage_exit("unknown option");
		i++;
	}
	if (!state || node < 1 || node > FAB_NODE_MAX || count < 1 || count > 100000)
		usage_exit("need --state DIR and --node 1..4095 (--count 1..100000)");
	want_all = !strcmp(kind, "all");
	if (!want_all) {
		int found = 0;

		for (int k = 0; k < K__COUNT; k++)
			if (!strcmp(kind, kind_name[k])) {
				only = (enum kind)k;
				found = 1;
			}
		if (!found)
			usage_exit("unknown --kind");
	}
	rng = seed * 0x9e3779b97f4a7c15ull + 1;

	if ((size_t)snprintf(me.sun_path, sizeof(me.sun_path), "%s/fabric/inject-%ld.sock", state,
			     (long)getpid()) >= sizeof(me.sun_path) ||
	    (size_t)snprintf(hub.sun_path, sizeof(hub.sun_path), "%s/fabric/hub.sock", state) >=
	    sizeof(hub.sun_path))
		usage_exit("state directory path too long");
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("fabric-inject: socket");
		return 1;
	}
	unlink(me.sun_path);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me))) {
		fprintf(stderr, "fabric-inject: bind %s: %s\n", me.sun_path, strerror(errno));
		return 1;
	}
	for (long c = 0; c < count; c++)
		for (int k = 0; k < K__COUNT; k++) {
			size_t n;

			if (!want_all && k != (int)only)
				continue;
			n = make_frame((enum kind)k, frame, (uint16_t)node);
			if (sendto(fd, frame, n, 0, (struct sockaddr *)&hub, sizeof(hub)) != (ssize_t)n) {
				fprintf(stderr, "fabric-inject: send to %s: %s\n", hub.sun_path, strerror(errno));
				unlink(me.sun_path);
				return 1;
			}
			sent++;
			usleep(1000);   /* don't overrun the node's receive ring */
		}
	close(fd);
	unlink(me.sun_path);
	printf("injected %d malformed frames to node %ld\n", sent, node);
	return 0;
}
