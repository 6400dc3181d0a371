/*
 * pool.h - a CXL-like page pool shared by one memory node and one process
 * node: a host file mapped into both guests (QEMU ivshmem-plain) that holds
 * the pages the memory node stores for that process node's address spaces,
 * and where each of them is.
 *
 * The memory node stays the authority (DESIGN.md, "the mnode becomes a
 * control plane"): it allocates the pool's slots, publishes which page of
 * which space lives in which slot in a directory, and is the only writer of
 * that directory. The process node reads it, so an ExCache miss copies the
 * page straight out of the pool with no request round trip; a dirty line
 * goes back into the page's slot the same way.
 *
 * A page the memory node does not hold yet needs a slot: the memory node
 * keeps a ring of free slots filled for the process node (free ring), which
 * takes one, copies the page in and appends (space, page, slot) to a log
 * (new-page log). The memory node drains the log before it serves any
 * request of that process node, checks every entry against the space's
 * owner and regions like any other request, and publishes the page.
 *
 * Concurrency: the two nodes are two QEMU processes on two host CPUs. The
 * directory is covered by a sequence lock (odd while the memory node changes
 * it): a reader looks up and copies, then retries if the sequence moved. A
 * writer into an existing slot also announces the slot as a hazard, so the
 * memory node never hands out a slot that a copy may still be landing in.
 * On x86 (and TCG on x86) stores are seen in order; the explicit fences are
 * the store-load ones a sequence lock and a hazard need.
 *
 * Layout, all offsets from the start of the window (a power of two, at
 * least 4 MiB): the header page, the free ring, the log, the directory,
 * then page slots to the end. cxl_layout() computes it from the size alone,
 * so both sides agree without trusting each other's header.
 */
#ifndef CXL_POOL_H
#define CXL_POOL_H
#include <stdint.h>
#include <stdbool.h>

#define CXL_PAGE         4096u
#define CXL_MAGIC        0x3153434153534554ull   /* "TESSACS1" little-endian */
#define CXL_VERSION      1u
#define CXL_RING         1024u                   /* free-ring and log entries */
#define CXL_MIN_WINDOW   (4ull << 20)
#define CXL_MAX_WINDOW   (64ull << 30)

/* Written by the host that creates the window (tess up); read-only to guests. */
struct cxl_host_hdr {
	uint64_t magic;
	uint32_t version;
	uint16_t mnode, pnode;      /* the memory node that stores, the process node that reads */
	uint64_t size;              /* bytes of the window */
};

/* The memory node's part of the header: set up by it at boot. */
struct cxl_mnode_hdr {
	uint64_t ready;             /* CXL_MAGIC once the layout below is live */
	uint64_t epoch;             /* changes on every memory-node boot */
	uint64_t seq;               /* directory sequence lock: odd while changing */
	uint32_t free_prod;         /* free ring: the memory node produces */
	uint32_t log_cons;          /* log: the memory node consumes */
};

/* The process node's part of the header. */
struct cxl_pnode_hdr {
	uint32_t free_cons;         /* free ring: the process node consumes */
	uint32_t log_prod;          /* log: the process node produces */
	uint64_t hazard;            /* slot + 1 a copy is being written into, or 0 */
};

struct cxl_hdr {
	struct cxl_host_hdr host;
	uint8_t pad0[64 - sizeof(struct cxl_host_hdr)];
	struct cxl_mnode_hdr m;     /* own cache lines: the two sides write apart */
	uint8_t pad1[64 - sizeof(struct cxl_mnode_hdr)];
	struct cxl_pnode_hdr p;
};

struct cxl_log_entry {
	uint64_t as_id;
	uint64_t vpn;               /* virtual address >> 12 */
	uint32_t slot;
	uint32_t pad;
};

/* A published page; slot1 == 0 means an empty entry. */
struct cxl_dir_entry {
	uint64_t as_id;
	uint64_t vpn;
	uint32_t slot1;             /* slot + 1 */
	uint32_t pad;
};

struct cxl_layout {
	uint64_t size;
	uint64_t ring_off, log_off, dir_off, slots_off;
	uint64_t dir_entries;       /* a power of two, at least twice the slots */
	uint32_t nslots;
};

/* One side's view of a window. */
struct cxl_window {
	uint8_t *base;
	struct cxl_layout lay;
	struct cxl_hdr *hdr;
	uint32_t *ring;
	struct cxl_log_entry *log;
	struct cxl_dir_entry *dir;
};

/* The layout of a window of size bytes; -1 if size is not a power of two in range. */
int cxl_layout(uint64_t size, struct cxl_layout *out);
/* Attach to a mapped window: checks the host header; 0 or -1. */
int cxl_attach(struct cxl_window *w, void *base, uint64_t mapped_size);
/* Write the host header into a fresh (zeroed) window. */
static inline void cxl_host_format(void *base, uint64_t size, uint16_t mnode, uint16_t pnode)
{
	struct cxl_host_hdr *h = base;

	h->magic = CXL_MAGIC;
	h->version = CXL_VERSION;
	h->mnode = mnode;
	h->pnode = pnode;
	h->size = size;
}
static inline void *cxl_slot_page(const struct cxl_window *w, uint32_t slot)
{
	return w->base + w->lay.slots_off + (uint64_t)slot * CXL_PAGE;
}
/* The slot of a page inside the window's slot area, or -1. */
int64_t cxl_page_slot(const struct cxl_window *w, const void *page);
static inline bool cxl_ready(const struct cxl_window *w)
{
	return w->base && __atomic_load_n(&w->hdr->m.ready, __ATOMIC_ACQUIRE) == CXL_MAGIC;
}

/* ---- the memory node's side ------------------------------------------------------ */

/* Start serving the window (a new boot): empty directory, rings and log. */
void cxl_m_reset(struct cxl_window *w, uint64_t epoch);
/* Directory changes happen between begin and end. */
void cxl_m_begin(struct cxl_window *w);
void cxl_m_end(struct cxl_window *w);
/* Publish / withdraw a page (between begin and end). Publish fails (-1) only if full. */
int cxl_m_publish(struct cxl_window *w, uint64_t as_id, uint64_t vpn, uint32_t slot);
void cxl_m_withdraw(struct cxl_window *w, uint64_t as_id, uint64_t vpn);
/* Free-ring room and push. */
uint32_t cxl_m_ring_room(const struct cxl_window *w);
void cxl_m_ring_push(struct cxl_window *w, uint32_t slot);
/* Take the next log entry; false when the log is empty. */
bool cxl_m_log_pop(struct cxl_window *w, struct cxl_log_entry *out);
/* The slot the process node is writing into right now (+1), or 0; after a full fence. */
uint64_t cxl_m_hazard(const struct cxl_window *w);

/* ---- the process node's side ----------------------------------------------------- */

enum { CXL_FOUND = 0, CXL_ABSENT = 1, CXL_BUSY = 2 };

/*
 * Copy page (as_id, vpn) out of the pool into dst. CXL_FOUND, CXL_ABSENT
 * (neither published nor in the log), or CXL_BUSY (the directory kept
 * changing; try again later or ask the memory node).
 */
int cxl_p_read(struct cxl_window *w, uint64_t as_id, uint64_t vpn, void *dst);
/* Copy src into the page's existing slot: CXL_FOUND, CXL_ABSENT or CXL_BUSY. */
int cxl_p_write_existing(struct cxl_window *w, uint64_t as_id, uint64_t vpn, const void *src);
/* Room in the log and slots in the free ring. */
uint32_t cxl_p_log_room(const struct cxl_window *w);
uint32_t cxl_p_free_slots(const struct cxl_window *w);
/* Take a free slot, copy src in and log it (needs a free slot and log room): 0 or -1. */
int cxl_p_write_new(struct cxl_window *w, uint64_t as_id, uint64_t vpn, const void *src);
#endif
