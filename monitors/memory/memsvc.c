/*
 * memsvc.c - the memory node's service: address spaces, their regions and
 * their page store (see memsvc.h and the "Memory service" part of wire.h).
 *
 * Every request names an address space; only its owner (the node id and MAC
 * that created it) may use it, everyone else gets -EACCES and is counted.
 * Requests that change an address space are not idempotent, so their
 * replies are kept by (caller, req_id) and a retried request is answered
 * from there instead of running twice. A page only ever lives inside a
 * mapped region: unmapping frees it, mremap moves it.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <tessera/wire.h>
#include <kernel/vmspace.h>
#include "idmap.h"
#include "memsvc.h"

_Static_assert(MEM_PROT_READ == VM_PROT_READ && MEM_PROT_WRITE == VM_PROT_WRITE &&
	       MEM_PROT_EXEC == VM_PROT_EXEC, "wire and vmspace protections differ");
_Static_assert(MEM_MAP_SHARED == VM_MAP_SHARED && MEM_MAP_PRIVATE == VM_MAP_PRIVATE &&
	       MEM_MAP_FIXED == VM_MAP_FIXED && MEM_MAP_ANONYMOUS == VM_MAP_ANONYMOUS &&
	       MEM_MAP_GROWSDOWN == VM_MAP_GROWSDOWN && MEM_MAP_FIXED_NOREPLACE == VM_MAP_FIXED_NOREPLACE,
	       "wire and vmspace map flags differ");
_Static_assert(MEM_MREMAP_MAYMOVE == VM_MREMAP_MAYMOVE && MEM_MREMAP_FIXED == VM_MREMAP_FIXED,
	       "wire and vmspace mremap flags differ");
_Static_assert(MEM_ACCESS_READ == VM_PROT_READ && MEM_ACCESS_WRITE == VM_PROT_WRITE &&
	       MEM_ACCESS_EXEC == VM_PROT_EXEC, "access bits are protection bits");
_Static_assert(MEM_PAGE_SIZE == VM_PAGE_SIZE, "page size");
_Static_assert(sizeof(struct mem_fetch_reply) + MEM_PAGE_SIZE <= FAB_MAX_PAYLOAD, "fetch reply fits");
_Static_assert(sizeof(struct mem_fetch_req) + MEM_PAGE_SIZE <= FAB_MAX_PAYLOAD, "fetch request fits");

#define PAGE_SHIFT_ 12

struct mem_as {
	uint64_t id;
	uint16_t owner;
	uint8_t owner_mac[6];
	uint32_t vnode;
	struct vm_space vs;
	struct idmap pages;      /* page number -> page */
	struct memsvc *svc;
};

/* ---- pages --------------------------------------------------------------------- */

static void page_placed(struct mem_as *as, uint64_t key, void *page)
{
	const struct memsvc_frames *f = &as->svc->cfg.frames;

	if (f->placed)
		f->placed(f->arg, as->owner, as->id, key, page);
}

/* The page held key of as: withdraw and free it (it is out of the map already). */
static void free_page(struct mem_as *as, uint64_t key, void *page)
{
	struct memsvc *s = as->svc;

	if (s->cfg.frames.gone)
		s->cfg.frames.gone(s->cfg.frames.arg, as->owner, as->id, key);
	s->cfg.frames.free(s->cfg.frames.arg, as->owner, page);
	s->st.pages--;
	s->st.pages_freed++;
}

static void drop_page(void *arg, uint64_t key, void *page)
{
	free_page(arg, key, page);
}

/* vmspace: [start, end) is no longer mapped. */
static void on_removed(void *arg, uint64_t start, uint64_t end)
{
	struct mem_as *as = arg;

	idmap_remove_range(&as->pages, start >> PAGE_SHIFT_, end >> PAGE_SHIFT_, drop_page, as);
}

static void move_page(struct mem_as *as, uint64_t from, uint64_t to)
{
	void *old = idmap_remove(&as->pages, to), *page;
	const struct memsvc_frames *f = &as->svc->cfg.frames;

	if (old)
		free_page(as, to, old);
	idmap_rekey(&as->pages, from, to);
	page = idmap_get(&as->pages, to);
	if (f->gone)
		f->gone(f->arg, as->owner, as->id, from);
	page_placed(as, to, page);
}

/* vmspace: mremap moved [from, from + len) to [to, to + len). */
static void on_moved(void *arg, uint64_t from, uint64_t to, uint64_t len)
{
	struct mem_as *as = arg;
	uint64_t n = len >> PAGE_SHIFT_, f = from >> PAGE_SHIFT_, t = to >> PAGE_SHIFT_;

	/*
	 * The two ranges never overlap (mremap refuses that) and nothing is
	 * stored in the target (it was unmapped first); rekeying never
	 * allocates, so a move cannot fail.
	 */
	if (n > as->pages.count) {
		/*
		 * Few pages in a big range: scan the table. A removal may shift a later
		 * entry into slot i, so i is looked at again; moved keys lie outside
		 * [f, f + n) and are passed over wherever they land.
		 */
		for (size_t i = 0; i < as->pages.cap;) {
			struct idmap_slot sl = as->pages.slots[i];

			if (sl.val && sl.key >= f && sl.key < f + n) {
				move_page(as, sl.key, sl.key - f + t);
				continue;
			}
			i++;
		}
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		if (idmap_get(&as->pages, f + i))
			move_page(as, f + i, t + i);
}

static const struct vm_space_ops as_ops = { .removed = on_removed, .moved = on_moved };

/* The region at vaddr, growing a stack down to it as Linux's fault path does; NULL if none. */
static const struct vm_region *region_at(struct mem_as *as, uint64_t vaddr)
{
	const struct vm_region *r = vm_find(&as->vs, vaddr);

	if (!r && vm_grow_stack(&as->vs, vaddr) == 0)
		r = vm_find(&as->vs, vaddr);
	return r;
}

/* Whether one more page fits (store capacity, room in the space's map); counts a refusal. */
static int room_for_page(struct memsvc *s, struct mem_as *as)
{
	if (s->st.pages >= s->cfg.capacity_pages || idmap_reserve(&as->pages, as->pages.count + 1)) {
		s->st.store_full++;
		return -ENOMEM;
	}
	return 0;
}

/* page becomes key of as (room made first): stored, counted, published. */
static void put_page(struct mem_as *as, uint64_t key, void *page)
{
	idmap_put(&as->pages, key, page);   /* room reserved: cannot fail */
	as->svc->st.pages++;
	page_placed(as, key, page);
}

static bool all_zero(const uint8_t *p)
{
	for (unsigned i = 0; i < MEM_PAGE_SIZE; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);     /* page data in a frame need not be aligned */
		if (w)
			return false;
	}
	return true;
}

/*
 * Keep data as the page at vaddr of as. -EFAULT if vaddr is not mapped (and
 * not just below a stack), -ENOMEM if the store is full.
 */
static int store_page(struct memsvc *s, struct mem_as *as, uint64_t vaddr, const uint8_t *data)
{
	const struct vm_region *r = region_at(as, vaddr);
	uint64_t key = vaddr >> PAGE_SHIFT_;
	void *page;

	if (!r)
		return -EFAULT;
	page = idmap_get(&as->pages, key);
	if (r->kind == VM_ANON && all_zero(data)) {
		/* A zero anonymous page costs nothing: the next fetch says MEM_PAGE_ZERO. */
		if (page) {
			idmap_remove(&as->pages, key);
			free_page(as, key, page);
		}
		return 0;
	}
	if (!page) {
		if (room_for_page(s, as))
			return -ENOMEM;
		if (!(page = s->cfg.frames.alloc(s->cfg.frames.arg, as->owner))) {
			s->st.store_full++;
			return -ENOMEM;
		}
		memcpy(page, data, MEM_PAGE_SIZE);
		put_page(as, key, page);
		return 0;
	}
	memcpy(page, data, MEM_PAGE_SIZE);
	return 0;
}

int memsvc_adopt(struct memsvc *s, uint16_t owner, uint64_t as_id, uint64_t vpn, void *page)
{
	struct mem_as *as = idmap_get(&s->spaces, as_id);
	uint64_t vaddr = vpn << PAGE_SHIFT_;
	void *old;

	if (!as)
		return -ENOENT;
	if (as->owner != owner) {
		s->st.refused++;
		return -EACCES;
	}
	if (!region_at(as, vaddr)) {
		s->st.wb_dropped++;
		return -EFAULT;
	}
	old = idmap_remove(&as->pages, vpn);
	if (old)
		free_page(as, vpn, old);
	if (room_for_page(s, as))
		return -ENOMEM;
	put_page(as, vpn, page);
	s->st.writebacks++;
	return 0;
}

/* ---- address spaces -------------------------------------------------------------- */

static void as_free(struct memsvc *s, struct mem_as *as)
{
	idmap_foreach(&as->pages, drop_page, as);
	idmap_destroy(&as->pages);
	vm_space_destroy(&as->vs);
	free(as);
}

static bool same_caller(const struct mem_as *as, const struct fabric_msg *m)
{
	return as->owner == m->src && memcmp(as->owner_mac, m->src_mac, 6) == 0;
}

static int refuse(struct memsvc *s, const struct fabric_msg *m, uint64_t as_id)
{
	s->st.refused++;
	s->last_refusal.op = m->op;
	s->last_refusal.node = m->src;
	memcpy(s->last_refusal.mac, m->src_mac, 6);
	s->last_refusal.as_id = as_id;
	return -EACCES;
}

/* The space as_id if the caller owns it; -ENOENT, or -EACCES (counted). */
static int owned(struct memsvc *s, const struct fabric_msg *m, uint64_t as_id, struct mem_as **out)
{
	struct mem_as *as = idmap_get(&s->spaces, as_id);

	if (!as)
		return -ENOENT;
	if (!same_caller(as, m))
		return refuse(s, m, as_id);
	*out = as;
	return 0;
}

/* A new, empty space for the caller; -EEXIST if it has one by that id, -EACCES if another node does. */
static int as_new(struct memsvc *s, const struct fabric_msg *m, uint64_t id, uint32_t vnode, uint64_t limit,
		  struct mem_as **out)
{
	struct mem_as *as = idmap_get(&s->spaces, id);
	struct vm_space_params p;

	if (as)
		return same_caller(as, m) ? -EEXIST : refuse(s, m, id);
	if (s->spaces.count >= s->cfg.max_spaces)
		return -ENOMEM;
	as = calloc(1, sizeof(*as));
	if (!as)
		return -ENOMEM;
	if (idmap_put(&s->spaces, id, as)) {
		free(as);
		return -ENOMEM;
	}
	as->id = id;
	as->owner = m->src;
	memcpy(as->owner_mac, m->src_mac, 6);
	as->vnode = vnode;
	as->svc = s;
	idmap_init(&as->pages);
	vm_space_params_default(&p);
	p.limit_bytes = limit;
	vm_space_init(&as->vs, &p, &as_ops, as);
	s->st.spaces = s->spaces.count;
	*out = as;
	return 0;
}

static void as_delete(struct memsvc *s, struct mem_as *as)
{
	idmap_remove(&s->spaces, as->id);
	as_free(s, as);
	s->st.spaces = s->spaces.count;
}

static int op_as_create(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_as_req *rq = m->payload;
	struct mem_as *as;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if (rq->as_id == 0)
		return -EINVAL;
	return as_new(s, m, rq->as_id, rq->vnode, rq->limit_bytes, &as);
}

static int op_as_destroy(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_as_req *rq = m->payload;
	struct mem_as *as;
	int rc;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if ((rc = owned(s, m, rq->as_id, &as)))
		return rc;
	as_delete(s, as);
	return 0;
}

struct copy_ctx {
	struct memsvc *s;
	struct mem_as *child;
	int rc;
};

static void copy_page(void *arg, uint64_t key, void *page)
{
	struct copy_ctx *c = arg;
	void *copy;

	if (c->rc)
		return;
	if (c->s->st.pages >= c->s->cfg.capacity_pages ||
	    !(copy = c->s->cfg.frames.alloc(c->s->cfg.frames.arg, c->child->owner))) {
		c->s->st.store_full++;
		c->rc = -ENOMEM;
		return;
	}
	memcpy(copy, page, MEM_PAGE_SIZE);
	put_page(c->child, key, copy);            /* reserved for all of them */
}

static int op_as_fork(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_fork_req *rq = m->payload;
	struct mem_as *parent, *child;
	struct copy_ctx c;
	int rc;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if ((rc = owned(s, m, rq->parent_as, &parent)))
		return rc;
	if (rq->child_as == 0)
		return -EINVAL;
	if ((rc = as_new(s, m, rq->child_as, parent->vnode, parent->vs.p.limit_bytes, &child)))
		return rc;
	/* The child's regions and brk are the parent's; its pages are copies. */
	vm_space_destroy(&child->vs);
	if (vm_space_clone(&child->vs, &parent->vs, &as_ops, child)) {
		vm_space_init(&child->vs, &parent->vs.p, &as_ops, child);
		as_delete(s, child);
		return -ENOMEM;
	}
	if (idmap_reserve(&child->pages, parent->pages.count)) {
		as_delete(s, child);
		return -ENOMEM;
	}
	c = (struct copy_ctx){ .s = s, .child = child };
	idmap_foreach(&parent->pages, copy_page, &c);
	if (c.rc) {
		as_delete(s, child);    /* all or nothing */
		return c.rc;
	}
	return 0;
}

static int op_mmap(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_map_req *rq = m->payload;
	struct mem_map_reply *rp = reply;
	struct vm_file f;
	struct mem_as *as;
	int64_t at;
	int rc;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if ((rc = owned(s, m, rq->as_id, &as)))
		return rc;
	if (rq->kind == MEM_REGION_ANON) {
		if (!(rq->flags & MEM_MAP_ANONYMOUS))
			return -EINVAL;
	} else if (rq->kind == MEM_REGION_FILE) {
		if (rq->flags & MEM_MAP_ANONYMOUS)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	f = (struct vm_file){ .node = rq->file_node, .ino = rq->file.ino, .gen = rq->file.gen };
	at = vm_mmap(&as->vs, rq->addr, rq->len, rq->prot, rq->flags,
		     rq->kind == MEM_REGION_FILE ? VM_FILE : VM_ANON, &f, rq->file_off);
	if (at < 0)
		return (int)at;
	rp->addr = (uint64_t)at;
	*rlen = sizeof(*rp);
	return 0;
}

static int op_munmap(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_map_req *rq = m->payload;
	struct mem_as *as;
	int rc;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if ((rc = owned(s, m, rq->as_id, &as)))
		return rc;
	return vm_munmap(&as->vs, rq->addr, rq->len);
}

static int op_mprotect(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_map_req *rq = m->payload;
	struct mem_as *as;
	int rc;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if ((rc = owned(s, m, rq->as_id, &as)))
		return rc;
	return vm_mprotect(&as->vs, rq->addr, rq->len, rq->prot);
}

static int op_brk(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_brk_req *rq = m->payload;
	struct mem_brk_reply *rp = reply;
	struct mem_as *as;
	int rc;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if ((rc = owned(s, m, rq->as_id, &as)))
		return rc;
	if (rq->init > 1)
		return -EINVAL;
	rp->brk = vm_brk(&as->vs, rq->brk, rq->init == 1);
	*rlen = sizeof(*rp);
	return 0;
}

static int op_mremap(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_remap_req *rq = m->payload;
	struct mem_map_reply *rp = reply;
	struct mem_as *as;
	int64_t at;
	int rc;

	if (m->len != sizeof(*rq))
		return -EINVAL;
	if ((rc = owned(s, m, rq->as_id, &as)))
		return rc;
	at = vm_mremap(&as->vs, rq->old_addr, rq->old_len, rq->new_len, rq->flags, rq->new_addr);
	if (at < 0)
		return (int)at;
	rp->addr = (uint64_t)at;
	*rlen = sizeof(*rp);
	return 0;
}

/* ---- page traffic ------------------------------------------------------------------ */

/* Whether this caller already sent a page with this req_id (a retry): remember it if not. */
static bool wb_seen(struct memsvc *s, const struct fabric_msg *m)
{
	struct memsvc_wb_seen *w;

	for (unsigned i = 0; i < MEMSVC_WB_SEEN; i++) {
		w = &s->wb_seen[i];
		if (m->req_id && w->req_id == m->req_id && w->src == m->src && !memcmp(w->mac, m->src_mac, 6))
			return true;
	}
	w = &s->wb_seen[s->wb_next++ % MEMSVC_WB_SEEN];
	w->req_id = m->req_id;
	w->src = m->src;
	memcpy(w->mac, m->src_mac, 6);
	return false;
}

/* Store a written-back page; writes to unmapped pages are dropped and counted. */
static int writeback(struct memsvc *s, const struct fabric_msg *m, struct mem_as *as, uint64_t vaddr,
		     const uint8_t *data)
{
	int rc;

	if (wb_seen(s, m)) {
		s->st.wb_duplicates++;
		return 0;
	}
	rc = store_page(s, as, vaddr, data);
	if (rc == -EFAULT) {
		s->st.wb_dropped++;
		s->wb_seen[(s->wb_next - 1) % MEMSVC_WB_SEEN].req_id = 0;
	} else if (rc == 0) {
		s->st.writebacks++;
	} else {
		/* Not stored: a retry must try again. */
		s->wb_seen[(s->wb_next - 1) % MEMSVC_WB_SEEN].req_id = 0;
	}
	return rc;
}

static int op_fetch(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_fetch_req *rq = m->payload;
	struct mem_fetch_reply *rp = reply;
	struct mem_as *as, *wb_as = NULL;
	const struct vm_region *r;
	void *page;
	int rc;

	if (m->len < sizeof(*rq))
		return -EINVAL;
	if (rq->flags & ~MEM_FETCH_WB)
		return -EINVAL;
	if (m->len != sizeof(*rq) + ((rq->flags & MEM_FETCH_WB) ? MEM_PAGE_SIZE : 0))
		return -EINVAL;
	if ((rc = owned(s, m, rq->as_id, &as)))
		return rc;
	if ((rq->vaddr & (MEM_PAGE_SIZE - 1)) || (rq->access & ~(MEM_ACCESS_READ | MEM_ACCESS_WRITE | MEM_ACCESS_EXEC)))
		return -EINVAL;
	if (rq->flags & MEM_FETCH_WB) {
		if (rq->wb_vaddr & (MEM_PAGE_SIZE - 1))
			return -EINVAL;
		rc = owned(s, m, rq->wb_as_id, &wb_as);
		if (rc == -EACCES)
			return rc;      /* a forged piggyback refuses the whole request */
		if (rc == 0) {
			rc = writeback(s, m, wb_as, rq->wb_vaddr, (const uint8_t *)(rq + 1));
			if (rc == -ENOMEM)
				return rc;  /* the victim was not kept: the caller must keep it */
		} else {
			s->st.wb_dropped++;   /* its space is gone */
		}
	}
	r = region_at(as, rq->vaddr);
	if (!r || !vm_region_allows(r, rq->access ? rq->access : MEM_ACCESS_READ))
		return -EFAULT;
	memset(rp, 0, sizeof(*rp));
	rp->prot = r->prot;
	rp->kind = r->kind == VM_FILE ? MEM_REGION_FILE : MEM_REGION_ANON;
	if (r->kind == VM_FILE) {
		rp->file_node = r->file.node;
		rp->file.ino = r->file.ino;
		rp->file.gen = r->file.gen;
		rp->file_off = r->off + (rq->vaddr - r->start);
	}
	s->st.fetches++;
	page = idmap_get(&as->pages, rq->vaddr >> PAGE_SHIFT_);
	if (page) {
		memcpy(rp + 1, page, MEM_PAGE_SIZE);
		*rlen = sizeof(*rp) + MEM_PAGE_SIZE;
	} else {
		rp->flags = MEM_PAGE_ZERO;
		s->st.zero_replies++;
		*rlen = sizeof(*rp);
	}
	return 0;
}

static int op_writeback(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	const struct mem_page_req *rq = m->payload;
	struct mem_as *as;
	int rc;

	if (m->len != sizeof(*rq) + MEM_PAGE_SIZE)
		return -EINVAL;
	if ((rc = owned(s, m, rq->as_id, &as)))
		return rc;
	if (rq->vaddr & (MEM_PAGE_SIZE - 1))
		return -EINVAL;
	return writeback(s, m, as, rq->vaddr, (const uint8_t *)(rq + 1));
}

void memsvc_info(const struct memsvc *s, struct mem_info_reply *out)
{
	memset(out, 0, sizeof(*out));
	out->capacity_bytes = s->cfg.capacity_pages * MEM_PAGE_SIZE;
	out->used_bytes = s->st.pages * MEM_PAGE_SIZE;
	out->spaces = (uint32_t)s->spaces.count;
	out->pages = s->st.pages;
	out->fetches = s->st.fetches;
	out->writebacks = s->st.writebacks;
	out->refused = s->st.refused;
}

static int op_info(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	if (m->len != 0)
		return -EINVAL;
	memsvc_info(s, reply);
	*rlen = sizeof(struct mem_info_reply);
	return 0;
}

/* The pool work (taking the log, refilling the ring) is the caller's, around every
 * request of a node with a pool window: this request only asks for it. */
static int op_pool_sync(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen)
{
	return m->len ? -EINVAL : 0;
}

/* ---- dispatch ------------------------------------------------------------------------ */

static const struct memsvc_replay *replay_find(const struct memsvc *s, const struct fabric_msg *m)
{
	for (unsigned i = 0; i < MEMSVC_REPLAY_SLOTS; i++) {
		const struct memsvc_replay *r = &s->replays[i];

		if (m->req_id && r->req_id == m->req_id && r->src == m->src && r->op == m->op &&
		    !memcmp(r->mac, m->src_mac, 6))
			return r;
	}
	return NULL;
}

static void replay_store(struct memsvc *s, const struct fabric_msg *m, int status, const void *reply,
			 uint32_t len)
{
	struct memsvc_replay *r = &s->replays[s->replay_next++ % MEMSVC_REPLAY_SLOTS];

	if (!m->req_id)
		return;
	r->req_id = m->req_id;
	r->src = m->src;
	r->op = m->op;
	memcpy(r->mac, m->src_mac, 6);
	r->status = status;
	r->len = len <= sizeof(r->reply) ? len : 0;
	if (r->len)
		memcpy(r->reply, reply, r->len);
}

typedef int (*mem_op_fn)(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *rlen);

static const mem_op_fn ops[FAB_OP_MEM_LAST - FAB_OP_MEM_FIRST + 1] = {
	[FAB_OP_MEM_AS_CREATE - FAB_OP_MEM_FIRST] = op_as_create,
	[FAB_OP_MEM_AS_DESTROY - FAB_OP_MEM_FIRST] = op_as_destroy,
	[FAB_OP_MEM_AS_FORK - FAB_OP_MEM_FIRST] = op_as_fork,
	[FAB_OP_MEM_MMAP - FAB_OP_MEM_FIRST] = op_mmap,
	[FAB_OP_MEM_MUNMAP - FAB_OP_MEM_FIRST] = op_munmap,
	[FAB_OP_MEM_MPROTECT - FAB_OP_MEM_FIRST] = op_mprotect,
	[FAB_OP_MEM_BRK - FAB_OP_MEM_FIRST] = op_brk,
	[FAB_OP_MEM_MREMAP - FAB_OP_MEM_FIRST] = op_mremap,
	[FAB_OP_MEM_FETCH - FAB_OP_MEM_FIRST] = op_fetch,
	[FAB_OP_MEM_WRITEBACK - FAB_OP_MEM_FIRST] = op_writeback,
	[FAB_OP_MEM_INFO - FAB_OP_MEM_FIRST] = op_info,
	[FAB_OP_MEM_POOL_SYNC - FAB_OP_MEM_FIRST] = op_pool_sync,
};

/* Requests that change a space and would do harm if run twice. */
static bool replayable(uint16_t op)
{
	switch (op) {
	case FAB_OP_MEM_AS_CREATE: case FAB_OP_MEM_AS_DESTROY: case FAB_OP_MEM_AS_FORK:
	case FAB_OP_MEM_MMAP: case FAB_OP_MEM_MUNMAP: case FAB_OP_MEM_MREMAP: case FAB_OP_MEM_BRK:
		return true;
	default:
		return false;
	}
}

int memsvc_handle(struct memsvc *s, const struct fabric_msg *m, void *reply, uint32_t *reply_len)
{
	const struct memsvc_replay *r;
	int rc;

	*reply_len = 0;
	if (m->type != FAB_T_REQ || !reply)
		return 0;
	s->st.requests++;
	if (m->op < FAB_OP_MEM_FIRST || m->op > FAB_OP_MEM_LAST || !m->src_mac ||
	    (m->len && !m->payload))
		return -EOPNOTSUPP;
	if (replayable(m->op) && (r = replay_find(s, m)) != NULL) {
		s->st.replayed++;
		memcpy(reply, r->reply, r->len);
		*reply_len = r->len;
		return r->status;
	}
	rc = ops[m->op - FAB_OP_MEM_FIRST](s, m, reply, reply_len);
	if (rc) {
		*reply_len = 0;
		s->st.errors++;
	}
	if (replayable(m->op))
		replay_store(s, m, rc, reply, *reply_len);
	return rc;
}

void memsvc_init(struct memsvc *s, const struct memsvc_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (!s->cfg.max_spaces)
		s->cfg.max_spaces = MEMSVC_MAX_SPACES;
	idmap_init(&s->spaces);
}

static void free_space(void *arg, uint64_t key, void *val)
{
	as_free(arg, val);
}

void memsvc_destroy(struct memsvc *s)
{
	idmap_foreach(&s->spaces, free_space, s);
	idmap_destroy(&s->spaces);
	s->st.spaces = 0;
}

/* ---- for the state reports (report.c) ------------------------------------------------ */

struct space_walk {
	void (*fn)(void *arg, uint64_t as_id, uint32_t vnode, const struct vm_space *vs);
	void *arg;
};

static void walk_space(void *arg, uint64_t key, void *val)
{
	struct space_walk *w = arg;
	struct mem_as *as = val;

	w->fn(w->arg, as->id, as->vnode, &as->vs);
}

void memsvc_foreach_space(const struct memsvc *s, void (*fn)(void *arg, uint64_t as_id, uint32_t vnode,
			  const struct vm_space *vs), void *arg)
{
	struct space_walk w = { .fn = fn, .arg = arg };

	idmap_foreach(&s->spaces, walk_space, &w);
}

const struct vm_space *memsvc_space(const struct memsvc *s, uint64_t as_id, uint32_t *vnode)
{
	struct mem_as *as = idmap_get(&s->spaces, as_id);

	if (!as)
		return NULL;
	*vnode = as->vnode;
	return &as->vs;
}
