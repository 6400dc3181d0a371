/*
 * net/wire.c - fabric frame encoding and validation.
 * Every frame a node or gmmd receives passes fab_frame_validate() before any
 * field is trusted; rejected frames are counted by the caller and dropped.
 */
#include <string.h>
#include "wire.h"

uint32_t fab_hdr_check(const struct fab_hdr *h)
{
	/* FNV-1a over the header bytes before hdr_check: catches torn or random frames. */
	const uint8_t *p = (const uint8_t *)h;
	uint32_t x = 2166136261u;

	for (size_t i = 0; i < offsetof(struct fab_hdr, hdr_check); i++) {
		x ^= p[i];
		x *= 16777619u;
	}
	return x;
}

/* Expected payload size per (op, type); -1 = any size up to FAB_MAX_PAYLOAD. */
static long expected_len(unsigned op, unsigned type)
{
	int req = type != FAB_T_REPLY;

	switch (op) {
	case FAB_OP_JOIN:
		return req ? (long)sizeof(struct fab_join_req) : (long)sizeof(struct fab_join_reply);
	case FAB_OP_HEARTBEAT:
		return req ? (long)sizeof(struct fab_heartbeat) : -2;
	case FAB_OP_REJOIN:
		return req ? 0 : -2;
	case FAB_OP_PING:
		return -1;
	case FAB_OP_RESOLVE:
		return req ? (long)sizeof(struct fab_resolve_req) : (long)sizeof(struct fab_resolve_reply);
	case FAB_OP_PING_PEER:
		return req ? (long)sizeof(struct fab_ping_peer_req) : (long)sizeof(struct fab_ping_peer_reply);
	case FAB_OP_STATS:
		return req ? 0 : (long)sizeof(struct fab_stats);
	case FAB_OP_FS_FSTAT:
	case FAB_OP_FS_FSYNC:
		return req ? (long)sizeof(struct fs_handle) : -1;
	case FAB_OP_FS_TRUNCATE:
		return req ? (long)sizeof(struct fs_trunc_req) : -1;
	case FAB_OP_FS_SETATTR:
		return req ? (long)sizeof(struct fs_setattr_req) : -1;
	case FAB_OP_FS_GETDENTS:
		return req ? (long)sizeof(struct fs_getdents_req) : -1;
	case FAB_OP_FS_STATFS:
		return req ? 0 : -1;
	case FAB_OP_FS_OPEN: case FAB_OP_FS_STAT: case FAB_OP_FS_READ: case FAB_OP_FS_WRITE:
	case FAB_OP_FS_READLINK: case FAB_OP_FS_MKDIR: case FAB_OP_FS_UNLINK: case FAB_OP_FS_RMDIR:
	case FAB_OP_FS_RENAME: case FAB_OP_FS_SYMLINK: case FAB_OP_FS_LINK:
		return -1;            /* variable: checked by the file service */
	case FAB_OP_MEM_AS_CREATE: case FAB_OP_MEM_AS_DESTROY:
		return req ? (long)sizeof(struct mem_as_req) : 0;
	case FAB_OP_MEM_AS_FORK:
		return req ? (long)sizeof(struct mem_fork_req) : 0;
	case FAB_OP_MEM_MMAP:
		return req ? (long)sizeof(struct mem_map_req) : (long)sizeof(struct mem_map_reply);
	case FAB_OP_MEM_MUNMAP: case FAB_OP_MEM_MPROTECT:
		return req ? (long)sizeof(struct mem_map_req) : 0;
	case FAB_OP_MEM_BRK:
		return req ? (long)sizeof(struct mem_brk_req) : (long)sizeof(struct mem_brk_reply);
	case FAB_OP_MEM_MREMAP:
		return req ? (long)sizeof(struct mem_remap_req) : (long)sizeof(struct mem_map_reply);
	case FAB_OP_MEM_FETCH: case FAB_OP_MEM_WRITEBACK:
		return -1;            /* with or without a page: checked by the memory service */
	case FAB_OP_MEM_INFO:
		return req ? 0 : (long)sizeof(struct mem_info_reply);
	case FAB_OP_MEM_POOL_SYNC:
		return 0;
	case FAB_OP_VN_START: case FAB_OP_VN_STDIN: case FAB_OP_VN_OUTPUT: case FAB_OP_VN_EXIT:
	case FAB_OP_VN_PS:
		return -1;
	case FAB_OP_VN_SIGNAL:
		return req ? (long)sizeof(struct vn_signal) : 0;
	/* State reports: whole entries only, checked here so gmmd can trust count. */
	case FAB_OP_REPORT_PROCS: case FAB_OP_REPORT_SPACE:
		return req ? -4 : 0;
	case FAB_OP_REPORT_POOL:
		return req ? (long)sizeof(struct rep_pool) : 0;
	default:
		return -3;
	}
}

/* A state report's length agrees with its own count (a header, then count whole entries). */
static int report_len_ok(unsigned op, const uint8_t *p, uint32_t len)
{
	if (op == FAB_OP_REPORT_PROCS) {
		struct rep_procs r;

		if (len < sizeof(r))
			return 0;
		memcpy(&r, p, sizeof(r));
		return r.count >= 1 && r.count <= REP_PROCS_MAX &&
		       len == sizeof(r) + (uint32_t)r.count * sizeof(struct rep_proc);
	} else {
		struct rep_space r;

		if (len < sizeof(r))
			return 0;
		memcpy(&r, p, sizeof(r));
		if (r.flags & ~(REP_SPACE_GONE | REP_SPACE_TRUNCATED) || r.count > REP_REGIONS_MAX ||
		    ((r.flags & REP_SPACE_GONE) && r.count))
			return 0;
		return len == sizeof(r) + (uint32_t)r.count * sizeof(struct rep_region);
	}
}

int fab_frame_validate(const void *frame, size_t frame_len, struct fab_view *v)
{
	const struct fab_eth *eth = frame;
	const struct fab_hdr *h;
	long want;

	if (!frame || frame_len < FAB_ETH_LEN + FAB_HDR_LEN)
		return FAB_ERR_SHORT;
	if (eth->ethertype != (uint16_t)((FAB_ETHERTYPE >> 8) | ((FAB_ETHERTYPE & 0xff) << 8)))
		return FAB_ERR_ETHERTYPE;
	h = (const struct fab_hdr *)((const uint8_t *)frame + FAB_ETH_LEN);
	if (h->magic != FAB_MAGIC)
		return FAB_ERR_MAGIC;
	if (h->version != FAB_VERSION)
		return FAB_ERR_VERSION;
	if (h->hdr_check != fab_hdr_check(h))
		return FAB_ERR_CHECK;
	if (h->type < FAB_T_REQ || h->type > FAB_T_ONEWAY)
		return FAB_ERR_TYPE;
	if (h->len > FAB_MAX_PAYLOAD || (size_t)h->len > frame_len - FAB_ETH_LEN - FAB_HDR_LEN)
		return FAB_ERR_LEN;
	want = expected_len(h->op, h->type);
	if (want == -3)
		return FAB_ERR_OP;
	if (want == -4) {
		if (!report_len_ok(h->op, (const uint8_t *)h + FAB_HDR_LEN, h->len))
			return FAB_ERR_PAYLOAD;
		want = -1;
	}
	/* Replies carrying an error status may have an empty payload. */
	if (want == -2 || (want >= 0 && (long)h->len != want &&
			   !(h->type == FAB_T_REPLY && h->status != 0 && h->len == 0)))
		return FAB_ERR_PAYLOAD;
	if (v) {
		v->eth = eth;
		v->hdr = h;
		v->payload = (const uint8_t *)h + FAB_HDR_LEN;
		v->len = h->len;
	}
	return FAB_OK;
}

size_t fab_frame_build(void *frame, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		       const struct fab_hdr *h, const void *payload, uint32_t len)
{
	struct fab_eth *eth = frame;
	struct fab_hdr *out = (struct fab_hdr *)((uint8_t *)frame + FAB_ETH_LEN);

	if (len > FAB_MAX_PAYLOAD)
		return 0;
	memcpy(eth->dst, dst_mac, 6);
	memcpy(eth->src, src_mac, 6);
	eth->ethertype = (uint16_t)((FAB_ETHERTYPE >> 8) | ((FAB_ETHERTYPE & 0xff) << 8));
	*out = *h;
	out->magic = FAB_MAGIC;
	out->version = FAB_VERSION;
	out->len = len;
	out->hdr_check = fab_hdr_check(out);
	if (len && payload != (const void *)(out + 1))
		memcpy(out + 1, payload, len);
	return FAB_ETH_LEN + FAB_HDR_LEN + len;
}

const char *fab_reject_name(int reason)
{
	static const char *const names[FAB_ERR__COUNT] = {
		[FAB_OK] = "ok", [FAB_ERR_SHORT] = "short", [FAB_ERR_ETHERTYPE] = "ethertype",
		[FAB_ERR_MAGIC] = "magic", [FAB_ERR_VERSION] = "version", [FAB_ERR_CHECK] = "check",
		[FAB_ERR_TYPE] = "type", [FAB_ERR_OP] = "opcode", [FAB_ERR_LEN] = "length",
		[FAB_ERR_PAYLOAD] = "payload-size",
	};
	return reason >= 0 && reason < FAB_ERR__COUNT ? names[reason] : "?";
}

const char *fab_op_name(unsigned op)
{
	static const char *const names[FAB_OP__COUNT] = {
		[FAB_OP_JOIN] = "join", [FAB_OP_HEARTBEAT] = "heartbeat", [FAB_OP_REJOIN] = "rejoin",
		[FAB_OP_PING] = "ping", [FAB_OP_RESOLVE] = "resolve", [FAB_OP_PING_PEER] = "ping-peer",
		[FAB_OP_STATS] = "stats", [FAB_OP_FS_OPEN] = "fs-open", [FAB_OP_FS_STAT] = "fs-stat",
		[FAB_OP_FS_FSTAT] = "fs-fstat", [FAB_OP_FS_READ] = "fs-read", [FAB_OP_FS_WRITE] = "fs-write",
		[FAB_OP_FS_TRUNCATE] = "fs-truncate", [FAB_OP_FS_FSYNC] = "fs-fsync",
		[FAB_OP_FS_GETDENTS] = "fs-getdents", [FAB_OP_FS_READLINK] = "fs-readlink",
		[FAB_OP_FS_MKDIR] = "fs-mkdir", [FAB_OP_FS_UNLINK] = "fs-unlink", [FAB_OP_FS_RMDIR] = "fs-rmdir",
		[FAB_OP_FS_RENAME] = "fs-rename", [FAB_OP_FS_SYMLINK] = "fs-symlink",
		[FAB_OP_FS_STATFS] = "fs-statfs", [FAB_OP_FS_SETATTR] = "fs-setattr", [FAB_OP_FS_LINK] = "fs-link",
		[FAB_OP_MEM_AS_CREATE] = "mem-as-create", [FAB_OP_MEM_AS_DESTROY] = "mem-as-destroy",
		[FAB_OP_MEM_AS_FORK] = "mem-as-fork", [FAB_OP_MEM_MMAP] = "mem-mmap",
		[FAB_OP_MEM_MUNMAP] = "mem-munmap", [FAB_OP_MEM_MPROTECT] = "mem-mprotect",
		[FAB_OP_MEM_BRK] = "mem-brk", [FAB_OP_MEM_MREMAP] = "mem-mremap", [FAB_OP_MEM_FETCH] = "mem-fetch",
		[FAB_OP_MEM_WRITEBACK] = "mem-writeback", [FAB_OP_MEM_INFO] = "mem-info",
		[FAB_OP_MEM_POOL_SYNC] = "mem-pool-sync",
		[FAB_OP_VN_START] = "vn-start", [FAB_OP_VN_STDIN] = "vn-stdin", [FAB_OP_VN_OUTPUT] = "vn-output",
		[FAB_OP_VN_EXIT] = "vn-exit", [FAB_OP_VN_SIGNAL] = "vn-signal", [FAB_OP_VN_PS] = "vn-ps",
		[FAB_OP_REPORT_PROCS] = "report-procs", [FAB_OP_REPORT_POOL] = "report-pool",
		[FAB_OP_REPORT_SPACE] = "report-space",
	};
	return op < FAB_OP__COUNT && names[op] ? names[op] : "?";
}

static const char *const role_names[] = {
	[FAB_ROLE_GMM] = "gmm", [FAB_ROLE_PROCESS] = "process",
	[FAB_ROLE_MEMORY] = "memory", [FAB_ROLE_STORAGE] = "storage",
};

const char *fab_role_name(unsigned role)
{
	return role < sizeof(role_names) / sizeof(role_names[0]) ? role_names[role] : "?";
}

int fab_role_parse(const char *s)
{
	for (unsigned i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (s && strcmp(s, role_names[i]) == 0)
			return (int)i;
	return -1;
}
