/*
 * monitors/memory/report.c - tells gmmd what this memory node holds, for
 * its tables: the pool's capacity and use, and each address space's regions
 * (wire.h, "State reports"). Coalesced: once a second at most, a space whose
 * region list changed since it was last reported (compared by a hash, so
 * no request path needs to say so) is sent whole; a reported space that is
 * gone is sent as gone; the pool is sent when its numbers changed. Nothing
 * is sent per mmap or per page. A report gmmd did not take is sent again at
 * the next round, after a pause if gmmd seems away.
 */
#include <string.h>
#include <tessera/errno.h>
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/vmspace.h>
#include <net/fabric.h>
#include "memsvc.h"
#include "report.h"

#define REPORT_PERIOD_NS   1000000000ull  /* a space's regions: at most this often */
#define REPORT_BACKOFF_NS  5000000000ull  /* after gmmd did not answer or refused */
#define REPORT_TIMEOUT_NS  100000000ull
#define REPORT_TRIES       3
#define REPORT_BATCH       32u            /* spaces sent per round; the rest next round */

/*
 * The spaces gmmd has taken, by id: a fixed open-addressing table (linear
 * probing, backward-shift deletion), so reporting never allocates.
 */
#define TABLE_SLOTS (2u * MEMSVC_MAX_SPACES)   /* a power of two, at most half full */
struct reported {
	uint64_t as_id;          /* 0 = empty slot */
	uint64_t hash;
	uint32_t vnode;
	uint32_t epoch;          /* round in which the space was last seen alive */
};
static struct reported table[TABLE_SLOTS];
static unsigned table_count;

static unsigned slot_of(uint64_t as_id)
{
	as_id ^= as_id >> 31;
	as_id *= 0x9e3779b97f4a7c15ull;
	return (unsigned)(as_id >> 40) & (TABLE_SLOTS - 1);
}

/* The entry of as_id, or the empty slot where it would go. */
static struct reported *lookup(uint64_t as_id)
{
	unsigned i = slot_of(as_id);

	while (table[i].as_id && table[i].as_id != as_id)
		i = (i + 1) & (TABLE_SLOTS - 1);
	return &table[i];
}

static void forget(struct reported *r)
{
	unsigned i = (unsigned)(r - table), j = i;

	table[i].as_id = 0;
	table_count--;
	for (;;) {
		unsigned home;

		j = (j + 1) & (TABLE_SLOTS - 1);
		if (!table[j].as_id)
			return;
		home = slot_of(table[j].as_id);
		/* j stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		table[i] = table[j];
		table[j].as_id = 0;
		i = j;
	}
}

static uint32_t epoch;
static uint64_t next_ns;
static struct rep_pool pool_sent;
static int pool_ok;
static uint8_t msg[FAB_MAX_PAYLOAD];
static struct {
	uint64_t spaces, gone, pools, failed;
} n;

/* FNV-1a over what the regions rows hold. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t regions_hash(uint32_t vnode, const struct vm_space *vs)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ull, &vnode, sizeof(vnode));

	for (size_t i = 0; i < vm_count(vs); i++) {
		const struct vm_region *r = vm_at(vs, i);
		uint64_t f[5] = { r->start, r->end, (uint64_t)r->prot << 32 | r->flags,
				  (uint64_t)r->kind << 32 | r->file.node, r->file.ino };

		h = hash_bytes(h, f, sizeof(f));
	}
	return h;
}

/* The first round: what changed (or is new with regions) and must be sent. */
struct scan {
	uint64_t todo[REPORT_BATCH];
	unsigned ntodo;
};

static void scan_one(void *arg, uint64_t as_id, uint32_t vnode, const struct vm_space *vs)
{
	struct scan *sc = arg;
	struct reported *r = lookup(as_id);

	if (!r->as_id)
		r = NULL;
	else
		r->epoch = epoch;
	if (r ? r->hash == regions_hash(vnode, vs) : vm_count(vs) == 0)
		return;
	if (sc->ntodo < REPORT_BATCH)
		sc->todo[sc->ntodo++] = as_id;
}

static int send(uint16_t op, uint32_t len)
{
	uint32_t rlen = 0;
	int rc = fabric_call(FAB_NODE_GMM, op, msg, len, NULL, 0, &rlen, REPORT_TIMEOUT_NS, REPORT_TRIES);

	if (rc)
		n.failed++;
	return rc;
}

/* One space's regions (as they are now) to gmmd; remembered once taken. */
static int send_space(const struct memsvc *s, uint64_t as_id)
{
	struct rep_space *hd = (struct rep_space *)msg;
	struct rep_region *e = (struct rep_region *)(hd + 1);
	const struct vm_space *vs;
	struct reported *r;
	uint32_t vnode;
	uint64_t hash;
	size_t count;
	int rc;

	vs = memsvc_space(s, as_id, &vnode);
	if (!vs)
		return 0;                  /* gone meanwhile: the gone pass sees to it */
	count = vm_count(vs) < REP_REGIONS_MAX ? vm_count(vs) : REP_REGIONS_MAX;
	memset(hd, 0, sizeof(*hd));
	hd->as_id = as_id;
	hd->vnode = vnode;
	hd->count = (uint16_t)count;
	hd->total = (uint32_t)vm_count(vs);
	hd->flags = vm_count(vs) > count ? REP_SPACE_TRUNCATED : 0;
	hd->mapped_bytes = vs->mapped;
	for (size_t i = 0; i < count; i++) {
		const struct vm_region *v = vm_at(vs, i);

		memset(&e[i], 0, sizeof(e[i]));
		e[i].start = v->start;
		e[i].end = v->end;
		e[i].prot = v->prot;
		e[i].flags = v->flags;
		e[i].kind = v->kind == VM_FILE ? MEM_REGION_FILE : MEM_REGION_ANON;
		if (v->kind == VM_FILE) {
			e[i].file_node = v->file.node;
			e[i].file_ino = v->file.ino;
		}
	}
	hash = regions_hash(vnode, vs);   /* before the call: requests are served while it waits */
	rc = send(FAB_OP_REPORT_SPACE, (uint32_t)(sizeof(*hd) + count * sizeof(*e)));
	if (rc)
		return rc;
	n.spaces++;
	r = lookup(as_id);
	if (!r->as_id) {
		if (table_count >= TABLE_SLOTS / 2)
			return 0;              /* cannot be: memsvc holds at most half as many */
		r->as_id = as_id;
		table_count++;
	}
	r->hash = hash;
	r->vnode = vnode;
	r->epoch = epoch;
	return 0;
}

/* Reported spaces not seen alive in this round: destroyed. */
struct stale {
	uint64_t as_id[REPORT_BATCH];
	unsigned count;
};

static void find_stale(struct stale *st)
{
	for (unsigned i = 0; i < TABLE_SLOTS && st->count < REPORT_BATCH; i++)
		if (table[i].as_id && table[i].epoch != epoch)
			st->as_id[st->count++] = table[i].as_id;
}

static int send_gone(uint64_t as_id)
{
	struct rep_space *hd = (struct rep_space *)msg;
	struct reported *r = lookup(as_id);
	int rc;

	if (!r->as_id)
		return 0;
	memset(hd, 0, sizeof(*hd));
	hd->as_id = as_id;
	hd->flags = REP_SPACE_GONE;
	hd->vnode = r->vnode;
	rc = send(FAB_OP_REPORT_SPACE, sizeof(*hd));
	if (rc)
		return rc;
	n.gone++;
	forget(lookup(as_id));        /* looked up again: requests were served meanwhile */
	return 0;
}

static int send_pool(const struct memsvc *s)
{
	struct mem_info_reply info;
	struct rep_pool *p = (struct rep_pool *)msg;
	int rc;

	memsvc_info(s, &info);
	memset(p, 0, sizeof(*p));
	p->capacity_bytes = info.capacity_bytes;
	p->used_bytes = info.used_bytes;
	p->pages = info.pages;
	p->spaces = info.spaces;
	{
		uint64_t cap, used;

		memory_pool_windows(&cap, &used);
		p->cxl_capacity_bytes = cap;
		p->cxl_used_bytes = used;
	}
	if (pool_ok && !memcmp(p, &pool_sent, sizeof(*p)))
		return 0;
	pool_sent = *p;
	rc = send(FAB_OP_REPORT_POOL, sizeof(*p));
	pool_ok = rc == 0;
	if (rc == 0)
		n.pools++;
	return rc;
}

int mem_report_poll(const struct memsvc *s, uint64_t now)
{
	struct scan sc = { .ntodo = 0 };
	struct stale st = { .count = 0 };
	int rc;

	if (now < next_ns || fabric_self() == FAB_NODE_NONE)
		return 0;
	next_ns = now + REPORT_PERIOD_NS;
	epoch++;
	rc = send_pool(s);
	memsvc_foreach_space(s, scan_one, &sc);
	for (unsigned i = 0; rc == 0 && i < sc.ntodo; i++)
		rc = send_space(s, sc.todo[i]);
	if (rc == 0)
		find_stale(&st);
	for (unsigned i = 0; rc == 0 && i < st.count; i++)
		rc = send_gone(st.as_id[i]);
	if (rc) {
		/* gmmd is away or does not know us yet (joining): try again later. */
		next_ns = now + REPORT_BACKOFF_NS;
		if (n.failed == 1 || n.failed % 100 == 0)
			pr_info("memory: gmmd did not take a state report (%d); %lu so far", rc, n.failed);
	}
	return sc.ntodo + st.count > 0;
}
