/*
 * tools/mem_probe.c - check a memory node's address-space isolation from the
 * host. Joins the fabric segment like fabric-inject (its own datagram socket
 * in DIR/fabric/, frames through the hub) and speaks as three callers:
 *
 *   owner   node ID,    MAC of ID      creates a space, maps, writes, reads back
 *   other   node OTHER, MAC of OTHER   a different node
 *   forger  node ID,    a foreign MAC  the owner's node id from somewhere else
 *
 * Every FETCH, WRITEBACK, MUNMAP, MPROTECT, DESTROY and CREATE of the space
 * by other and forger must fail with -EACCES; the owner's data must survive
 * them byte for byte; and the memory node's MEM_INFO must count the refusals.
 *
 *   mem-probe --state DIR --node MNODE [--id ID] [--other ID]
 *
 * Prints one line per check; exits 0 if all held, 1 if one did not, 2 on usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "net/wire.h"

#define TRY_MS  1000
#define TRIES   4
#define NPAGES  4

struct ident {
	const char *name;
	uint16_t id;
	uint8_t mac[6];
};

static int fd = -1;
static struct sockaddr_un hub = { .sun_family = AF_UNIX };
static char me_path[sizeof(hub.sun_path)];
static uint16_t mnode;
static uint64_t next_req;
static int failures;
static uint8_t frame[FAB_MAX_FRAME], rxbuf[FAB_MAX_FRAME + 64];
static uint8_t reply[FAB_MAX_PAYLOAD];
static uint32_t reply_len;

static void cleanup(void)
{
	if (fd >= 0)
		close(fd);
	if (me_path[0])
		unlink(me_path);
}

static __attribute__((noreturn)) void usage_exit(const char *why)
{
	fprintf(stderr, "mem-probe: %s\nusage: mem-probe --state DIR --node MNODE [--id ID] [--other ID]\n", why);
	exit(2);
}

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!ok)
		failures++;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A request as who; retried with the same req_id. Returns the status, or -ETIMEDOUT. */
static int call(const struct ident *who, uint16_t op, const void *payload, uint32_t len)
{
	struct fab_hdr h = {
		.type = FAB_T_REQ, .op = op, .src = who->id, .dst = mnode, .req_id = ++next_req,
	};
	uint8_t dmac[6];
	size_t n;

	fab_mac_for_node(mnode, dmac);
	n = fab_frame_build(frame, dmac, who->mac, &h, payload, len);
	if (!n) {
		fprintf(stderr, "mem-probe: request too big\n");
		exit(1);
	}
	for (int t = 0; t < TRIES; t++) {
		uint64_t deadline = now_ms() + TRY_MS;

		if (sendto(fd, frame, n, 0, (struct sockaddr *)&hub, sizeof(hub)) != (ssize_t)n) {
			fprintf(stderr, "mem-probe: send to %s: %s\n", hub.sun_path, strerror(errno));
			exit(1);
		}
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			uint64_t now = now_ms();
			struct fab_view v;
			ssize_t got;

			if (now >= deadline)
				break;
			if (poll(&p, 1, (int)(deadline - now)) <= 0)
				continue;
			got = recv(fd, rxbuf, sizeof(rxbuf), 0);
			if (got <= 0 || fab_frame_validate(rxbuf, (size_t)got, &v) != FAB_OK)
				continue;
			if (v.hdr->type != FAB_T_REPLY || v.hdr->req_id != h.req_id || v.hdr->src != mnode ||
			    memcmp(v.eth->dst, who->mac, 6))
				continue;
			reply_len = v.len;
			memcpy(reply, v.payload, v.len);
			return v.hdr->status;
		}
	}
	return -ETIMEDOUT;
}

static int as_req(const struct ident *who, uint16_t op, uint64_t as_id)
{
	struct mem_as_req rq = { .as_id = as_id, .vnode = 0 };

	return call(who, op, &rq, sizeof(rq));
}

static int map_req(const struct ident *who, uint16_t op, uint64_t as_id, uint64_t addr, uint64_t len,
		   uint32_t prot, uint32_t flags)
{
	struct mem_map_req rq = { .as_id = as_id, .addr = addr, .len = len, .prot = prot, .flags = flags,
				  .kind = MEM_REGION_ANON };

	return call(who, op, &rq, sizeof(rq));
}

static int writeback(const struct ident *who, uint64_t as_id, uint64_t vaddr, const uint8_t *page)
{
	static uint8_t buf[sizeof(struct mem_page_req) + MEM_PAGE_SIZE];
	struct mem_page_req rq = { .as_id = as_id, .vaddr = vaddr };

	memcpy(buf, &rq, sizeof(rq));
	memcpy(buf + sizeof(rq), page, MEM_PAGE_SIZE);
	return call(who, FAB_OP_MEM_WRITEBACK, buf, sizeof(buf));
}

/* Fetch; on success *zero says MEM_PAGE_ZERO and page holds the data otherwise. */
static int fetch(const struct ident *who, uint64_t as_id, uint64_t vaddr, uint32_t access, int *zero,
		 uint8_t *page)
{
	struct mem_fetch_req rq = { .as_id = as_id, .vaddr = vaddr, .access = access };
	struct mem_fetch_reply rp;
	int rc = call(who, FAB_OP_MEM_FETCH, &rq, sizeof(rq));

	if (rc)
		return rc;
	if (reply_len < sizeof(rp))
		return -EPROTO;
	memcpy(&rp, reply, sizeof(rp));
	*zero = !!(rp.flags & MEM_PAGE_ZERO);
	if (*zero)
		return reply_len == sizeof(rp) ? 0 : -EPROTO;
	if (reply_len != sizeof(rp) + MEM_PAGE_SIZE)
		return -EPROTO;
	memcpy(page, reply + sizeof(rp), MEM_PAGE_SIZE);
	return 0;
}

static void pattern(uint8_t *page, uint64_t seed)
{
	for (unsigned i = 0; i < MEM_PAGE_SIZE; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		page[i] = (uint8_t)(seed >> 56);
	}
}

static int info(struct mem_info_reply *out)
{
	static const struct ident anyone = { "info", 0, { 0x02, 0x7e, 0x55, 0x00, 0x00, 0x02 } };
	int rc = call(&anyone, FAB_OP_MEM_INFO, NULL, 0);

	if (rc == 0 && reply_len != sizeof(*out))
		rc = -EPROTO;
	if (rc == 0)
		memcpy(out, reply, sizeof(*out));
	return rc;
}

int main(int argc, char **argv)
{
	const char *state = NULL;
	long node = -1, id = 4001, other_id = 4002;
	struct ident owner = { "owner", 0, { 0 } }, other = { "other", 0, { 0 } },
		forger = { "forger", 0, { 0x02, 0x7e, 0x55, 0x00, 0x0f, 0xa1 } };
	const struct ident *bad[2] = { &other, &forger };
	static uint8_t data[NPAGES][MEM_PAGE_SIZE], got[MEM_PAGE_SIZE], junk[MEM_PAGE_SIZE];
	struct mem_info_reply before, after;
	uint64_t as_id, base;
	int rc, zero = 0;

	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage_exit("every option needs a value");
		if (!strcmp(a, "--state"))
			state = v;
		else if (!strcmp(a, "--node"))
			node = strtol(v, NULL, 10);
		else if (!strcmp(a, "--id"))
			id = strtol(v, NULL, 10);
		else if (!strcmp(a, "--other"))
			other_id = strtol(v, NULL, 10);
		else
			usage_exit("unknown option");
	}
	if (!state || node < 1 || node > FAB_NODE_MAX || id < 1 || id > FAB_NODE_MAX || other_id < 1 ||
	    other_id > FAB_NODE_MAX || id == other_id || id == node || other_id == node)
		usage_exit("need --state DIR and --node 1..4095 (and distinct --id, --other)");
	mnode = (uint16_t)node;
	owner.id = forger.id = (uint16_t)id;
	other.id = (uint16_t)other_id;
	fab_mac_for_node(owner.id, owner.mac);
	fab_mac_for_node(other.id, other.mac);

	if ((size_t)snprintf(me_path, sizeof(me_path), "%s/fabric/probe-%ld.sock", state, (long)getpid()) >=
	    sizeof(me_path) ||
	    (size_t)snprintf(hub.sun_path, sizeof(hub.sun_path), "%s/fabric/hub.sock", state) >=
	    sizeof(hub.sun_path))
		usage_exit("state directory path too long");
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("mem-probe: socket");
		return 1;
	}
	{
		struct sockaddr_un me = { .sun_family = AF_UNIX };

		memcpy(me.sun_path, me_path, sizeof(me.sun_path));
		unlink(me_path);
		if (bind(fd, (struct sockaddr *)&me, sizeof(me))) {
			fprintf(stderr, "mem-probe: bind %s: %s\n", me_path, strerror(errno));
			me_path[0] = 0;
			return 1;
		}
	}
	atexit(cleanup);
	srand((unsigned)(getpid() ^ time(NULL)));
	as_id = ((uint64_t)rand() << 32 | (uint64_t)rand()) | 1;

	rc = info(&before);
	check(rc == 0, "memory node %u answers MEM_INFO (%d): %lu spaces, %lu pages, capacity %lu MiB",
	      mnode, rc, (unsigned long)before.spaces, (unsigned long)before.pages,
	      (unsigned long)(before.capacity_bytes >> 20));
	if (rc)
		return 1;

	/* The owner: a space, an anonymous mapping, pages written back and read again. */
	rc = as_req(&owner, FAB_OP_MEM_AS_CREATE, as_id);
	check(rc == 0, "owner (node %u) creates address space %#lx (%d)", owner.id, as_id, rc);
	rc = map_req(&owner, FAB_OP_MEM_MMAP, as_id, 0, NPAGES * MEM_PAGE_SIZE,
		     MEM_PROT_READ | MEM_PROT_WRITE, MEM_MAP_PRIVATE | MEM_MAP_ANONYMOUS);
	base = rc == 0 && reply_len == sizeof(struct mem_map_reply) ? ((struct mem_map_reply *)reply)->addr : 0;
	check(rc == 0 && base, "owner maps %u pages at %#lx (%d)", NPAGES, base, rc);
	if (failures)
		return 1;
	for (unsigned i = 0; i < NPAGES - 1; i++) {
		pattern(data[i], as_id + i);
		rc = writeback(&owner, as_id, base + i * MEM_PAGE_SIZE, data[i]);
		check(rc == 0, "owner writes back page %u (%d)", i, rc);
	}
	for (unsigned i = 0; i < NPAGES - 1; i++) {
		rc = fetch(&owner, as_id, base + i * MEM_PAGE_SIZE, MEM_ACCESS_READ, &zero, got);
		check(rc == 0 && !zero && !memcmp(got, data[i], MEM_PAGE_SIZE),
		      "owner fetches page %u back byte for byte (%d)", i, rc);
	}
	rc = fetch(&owner, as_id, base + (NPAGES - 1) * MEM_PAGE_SIZE, MEM_ACCESS_WRITE, &zero, got);
	check(rc == 0 && zero, "an untouched page comes back as MEM_PAGE_ZERO (%d)", rc);
	rc = fetch(&owner, as_id, base + NPAGES * MEM_PAGE_SIZE, MEM_ACCESS_READ, &zero, got);
	check(rc == -EFAULT, "a page outside every region is -EFAULT (%d)", rc);

	/* Another node, and the owner's node id from another MAC: refused, every time. */
	pattern(junk, 0xbad);
	for (unsigned b = 0; b < 2; b++) {
		const struct ident *w = bad[b];

		rc = fetch(w, as_id, base, MEM_ACCESS_READ, &zero, got);
		check(rc == -EACCES, "%s (node %u) FETCH of the owner's page refused (%d)", w->name, w->id, rc);
		rc = writeback(w, as_id, base, junk);
		check(rc == -EACCES, "%s WRITEBACK into the owner's page refused (%d)", w->name, rc);
		rc = map_req(w, FAB_OP_MEM_MUNMAP, as_id, base, NPAGES * MEM_PAGE_SIZE, 0, 0);
		check(rc == -EACCES, "%s MUNMAP refused (%d)", w->name, rc);
		rc = map_req(w, FAB_OP_MEM_MPROTECT, as_id, base, MEM_PAGE_SIZE, 0, 0);
		check(rc == -EACCES, "%s MPROTECT refused (%d)", w->name, rc);
		rc = map_req(w, FAB_OP_MEM_MMAP, as_id, base, MEM_PAGE_SIZE, MEM_PROT_READ,
			     MEM_MAP_PRIVATE | MEM_MAP_ANONYMOUS | MEM_MAP_FIXED);
		check(rc == -EACCES, "%s MMAP over the owner's pages refused (%d)", w->name, rc);
		rc = as_req(w, FAB_OP_MEM_AS_DESTROY, as_id);
		check(rc == -EACCES, "%s AS_DESTROY refused (%d)", w->name, rc);
		rc = as_req(w, FAB_OP_MEM_AS_CREATE, as_id);
		check(rc == -EACCES, "%s AS_CREATE of the same id refused (%d)", w->name, rc);
	}

	/* Nothing the others sent changed the owner's space. */
	for (unsigned i = 0; i < NPAGES - 1; i++) {
		rc = fetch(&owner, as_id, base + i * MEM_PAGE_SIZE, MEM_ACCESS_READ | MEM_ACCESS_WRITE, &zero, got);
		check(rc == 0 && !zero && !memcmp(got, data[i], MEM_PAGE_SIZE),
		      "owner's page %u is intact after the refused requests (%d)", i, rc);
	}
	rc = info(&after);
	check(rc == 0 && after.refused >= before.refused + 14,
	      "MEM_INFO counts the refusals (%lu -> %lu)", (unsigned long)before.refused,
	      (unsigned long)after.refused);
	rc = as_req(&owner, FAB_OP_MEM_AS_DESTROY, as_id);
	check(rc == 0, "owner destroys the space (%d)", rc);
	rc = fetch(&owner, as_id, base, MEM_ACCESS_READ, &zero, got);
	check(rc == -ENOENT, "the space is gone (%d)", rc);
	rc = info(&after);
	check(rc == 0 && after.pages == before.pages && after.spaces == before.spaces,
	      "its pages are freed (%lu pages, %u spaces)", (unsigned long)after.pages, after.spaces);
	printf("%s\n", failures ? "mem-probe: FAILED" : "mem-probe: all checks held");
	return failures ? 1 : 0;
}
