/*
 * memsvc.h - the memory node's service (FAB_OP_MEM_* in tessera/wire.h):
 * address spaces owned by the node that created them, their regions
 * (kernel/vmspace.c) and their page store. Pure logic: requests come in as
 * struct fabric_msg and replies go out in a buffer, frames come from a
 * pluggable allocator, so tests/unit/test_memsvc.c runs it on the host.
 * monitors/memory/main.c binds it to the fabric and the frame allocator.
 */
#ifndef MONITORS_MEMORY_MEMSVC_H
#define MONITORS_MEMORY_MEMSVC_H
#include <stdbool.h>
#include <stdint.h>
#include <tessera/wire.h>
#include <net/fabric.h>
#include "idmap.h"

/*
 * Where stored pages come from: one MEM_PAGE_SIZE page per call for a space
 * of node owner, or NULL. placed/gone (optional) hear when a page starts or
 * stops holding (as_id, vpn), so a shared pool can publish where it is.
 */
struct memsvc_frames {
	void *(*alloc)(void *arg, uint16_t owner);
	void (*free)(void *arg, uint16_t owner, void *page);
	void (*placed)(void *arg, uint16_t owner, uint64_t as_id, uint64_t vpn, void *page);
	void (*gone)(void *arg, uint16_t owner, uint64_t as_id, uint64_t vpn);
	void *arg;
};

struct memsvc_config {
	uint64_t capacity_pages;   /* pages the store may hold in total */
	uint32_t max_spaces;       /* address spaces at once (0 = MEMSVC_MAX_SPACES) */
	struct memsvc_frames frames;
};

#define MEMSVC_MAX_SPACES   4096u
#define MEMSVC_REPLAY_SLOTS 128u
#define MEMSVC_WB_SEEN      64u

struct memsvc_stats {
	uint64_t requests, errors, replayed;
	uint64_t fetches, zero_replies;    /* zero_replies: fetches answered MEM_PAGE_ZERO */
	uint64_t writebacks;               /* pages written back (alone or piggybacked) */
	uint64_t wb_dropped;               /* writebacks to unmapped pages */
	uint64_t wb_duplicates;            /* retried writebacks not stored twice */
	uint64_t refused;                  /* requests for a space from a node that does not own it */
	uint64_t store_full;               /* pages not stored for want of a frame */
	uint64_t pages, spaces;            /* now */
	uint64_t pages_freed;              /* by munmap, mremap, brk, destroy */
};

/* The last refused request, for the node's (rate-limited) log line. */
struct memsvc_refusal {
	uint16_t op;
	uint16_t node;
	uint8_t mac[6];
	uint64_t as_id;
};

struct memsvc_replay {
	uint64_t req_id;
	uint16_t src, op;
	uint8_t mac[6];
	int32_t status;
	uint32_t len;
	uint8_t reply[16];
};

struct memsvc_wb_seen {
	uint64_t req_id;
	uint16_t src;
	uint8_t mac[6];
};

struct memsvc {
	struct memsvc_config cfg;
	struct idmap spaces;       /* as_id -> struct mem_as */
	struct memsvc_stats st;
	struct memsvc_refusal last_refusal;
	struct memsvc_replay replays[MEMSVC_REPLAY_SLOTS];
	unsigned replay_next;
	struct memsvc_wb_seen wb_seen[MEMSVC_WB_SEEN];
	unsigned wb_next;
};

void memsvc_init(struct memsvc *s, const struct memsvc_config *cfg);
/* Free every space and page (the host tests; a node never stops serving). */
void memsvc_destroy(struct memsvc *s);
/*
 * Serve one request: fill reply (room for FAB_MAX_PAYLOAD bytes) and
 * *reply_len, return the reply status (0 or a negative errno). One-way
 * messages are ignored.
 */
int memsvc_handle(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *reply_len);
void memsvc_info(const struct memsvc *s, struct mem_info_reply *out);
/*
 * Take page (already filled, from the allocator) as (as_id, vpn) of a space
 * of node owner: what a writeback does, for a page the owner wrote into a
 * shared pool itself. 0, or -ENOENT / -EACCES (not owner's space, counted)
 * / -EFAULT (not mapped) / -ENOMEM; on error the caller still owns page.
 */
int memsvc_adopt(struct memsvc *s, uint16_t owner, uint64_t as_id, uint64_t vpn, void *page);
/* For report.c: every space's id, vNode and regions (fn must not change s); one space, or NULL. */
struct vm_space;
void memsvc_foreach_space(const struct memsvc *s, void (*fn)(void *arg, uint64_t as_id, uint32_t vnode,
			  const struct vm_space *vs), void *arg);
const struct vm_space *memsvc_space(const struct memsvc *s, uint64_t as_id, uint32_t *vnode);
#endif
