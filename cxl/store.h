/*
 * store.h - the memory node's bookkeeping of one pool window's slots: which
 * are free, handed to the process node through the free ring, holding a
 * page, or freed but possibly still the target of the process node's last
 * copy (limbo, see pool.h on hazards).
 */
#ifndef CXL_STORE_H
#define CXL_STORE_H
#include "pool.h"

enum cxl_slot_state { CXL_SLOT_FREE, CXL_SLOT_RING, CXL_SLOT_USED, CXL_SLOT_LIMBO };

struct cxl_store_stats {
	uint64_t adopted;          /* log entries that became stored pages */
	uint64_t rejected;         /* log entries the owner check or the regions refused */
	uint64_t bad_slots;        /* log entries naming a slot the process node was not given */
	uint64_t bad_frees;        /* frees of a slot that held no page (a bug) */
	uint64_t hazard_waits;     /* freed slots kept back one more round for a copy in flight */
};

struct cxl_store {
	struct cxl_window *w;
	uint8_t *state;            /* enum cxl_slot_state per slot */
	uint32_t *free, nfree;     /* stack of free slots */
	uint32_t *limbo, nlimbo;   /* freed during the current change */
	uint32_t used, in_ring;
	struct cxl_store_stats st;
};

/* Take over window w (a new memory-node boot): every slot free, the ring filled. 0 or -1. */
int cxl_store_init(struct cxl_store *s, struct cxl_window *w, uint64_t epoch);
void cxl_store_destroy(struct cxl_store *s);
/* Every change (alloc, free, publish, drain) happens between begin and end. */
void cxl_store_begin(struct cxl_store *s);
void cxl_store_end(struct cxl_store *s);
/* A slot for a page the memory node stores itself; NULL when none is free. */
void *cxl_store_alloc(struct cxl_store *s);
/* Free the page's slot (it must hold a page). */
void cxl_store_free(struct cxl_store *s, void *page);
/* Whether page lies in this store's window. */
int cxl_store_owns(const struct cxl_store *s, const void *page);
/*
 * Take the process node's new pages out of the log: adopt() stores each
 * (0) or refuses it (nonzero: the slot is freed). Returns entries taken.
 */
typedef int (*cxl_adopt_fn)(void *arg, uint64_t as_id, uint64_t vpn, void *page);
unsigned cxl_store_drain(struct cxl_store *s, cxl_adopt_fn adopt, void *arg);
/* Slots free (in the stack or the ring) and holding pages. */
uint64_t cxl_store_free_slots(const struct cxl_store *s);
#endif
