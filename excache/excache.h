/*
 * excache.h - the ExCache: a process node's DRAM as a set-associative cache
 * of 4 KiB lines in front of the pages a memory node stores.
 *
 * Page-table entries point straight at lines, so hits run at full speed; a
 * miss is a page fault that picks a line (free first, else the FIFO victim
 * of its set), writes the victim back if the CPU marked it dirty
 * (piggybacked on the fetch), and fetches the page, zero-fills it (first
 * touch of anonymous memory: no round trip) or fills it from a file.
 *
 * When the node shares a pool window with the memory node (cxl/pool.h), a
 * miss copies the page straight out of the pool and a dirty victim goes
 * straight into it; the fabric is used only when the pool cannot answer.
 * Several tasks may miss on one address space at once.
 */
#ifndef EXCACHE_EXCACHE_H
#define EXCACHE_EXCACHE_H
#include <stdint.h>
#include <tessera/wire.h>

struct excache;
struct cxl_window;

/* What the cache needs to know about the region a faulting address is in. */
struct excache_region {
	uint32_t prot;            /* MEM_PROT_* */
	uint32_t kind;            /* MEM_REGION_* */
	uint32_t map_flags;       /* MEM_MAP_SHARED or MEM_MAP_PRIVATE */
	uint16_t file_node;
	struct fs_handle file;
	uint64_t file_off;        /* file offset of the page's first byte */
	uint64_t file_size;       /* bytes of file beyond which the page is zero */
};

/* One address space as the cache sees it; owned by the process monitor. */
struct aspace {
	uint64_t as_id;
	uint16_t mnode;
	uint64_t *root;                           /* page-table root (kernel half shared) */
	struct excache *cache;
	/* Look up the region of va; 0, or -EFAULT if va is not mapped. */
	int (*region_of)(struct aspace *as, uint64_t va, struct excache_region *out);
	/* Fill a page of a file-backed region (ZERO from the memory node). */
	int (*fill_from_file)(struct aspace *as, const struct excache_region *r, void *page);
	struct pageset *backed;                   /* pages the memory node holds */
	struct cxl_window *pool;                  /* the pool window shared with mnode, or NULL */
	uint64_t resident;                        /* lines in use */
	void *owner;
};

/* Reserve the node's line pool (at boot). */
int excache_pool_init(uint64_t bytes);
uint64_t excache_pool_free_bytes(void);
/* A cache for one vNode: bytes of lines, assoc ways per set. */
struct excache *excache_create(uint64_t bytes, unsigned assoc);
void excache_destroy(struct excache *c);

int aspace_init(struct aspace *as, uint64_t as_id, uint16_t mnode, struct excache *c);
/* Drop every line of as without writing back, free its tables. */
void aspace_release(struct aspace *as);

/*
 * Resolve a fault at va for access (MEM_ACCESS_*). Returns 0 when mapped,
 * -EFAULT if the region forbids it (the caller raises SIGSEGV), or another
 * -errno if the memory node could not be reached.
 */
int excache_fault(struct aspace *as, uint64_t va, unsigned access);
/* Drop lines in [start, end) (munmap); dirty data is discarded. */
void excache_drop(struct aspace *as, uint64_t start, uint64_t end);
/* Re-apply region protection to cached lines in [start, end) (mprotect). */
void excache_reprotect(struct aspace *as, uint64_t start, uint64_t end, uint32_t prot);
/* Write back the dirty lines in [start, end) and drop them all (before mremap moves pages). */
int excache_flush_range(struct aspace *as, uint64_t start, uint64_t end);
/* Write back every dirty line of as and mark them clean (before fork). */
int excache_writeback_all(struct aspace *as);
/* Copy the set of pages the memory node holds (fork). */
int aspace_copy_backed(struct aspace *dst, const struct aspace *src);

void excache_get_stats(const struct excache *c, struct vn_excache_stats *out);
#endif
