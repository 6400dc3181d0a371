/*
 * wire.h - every fabric frame, opcode and payload struct in one place.
 * Shared by the monitor kernels (freestanding) and the host tools (gmmd, tess, hub).
 */
#ifndef TESSERA_WIRE_H
#define TESSERA_WIRE_H

#include <stdint.h>
#include <stddef.h>

/*
 * A fabric frame is an Ethernet II frame:
 *   struct fab_eth | struct fab_hdr | payload[hdr.len]
 * All multi-byte fields after the Ethernet header are little-endian (every
 * Tessera node and the host are x86-64); the ethertype is big-endian as
 * Ethernet requires.
 */
#define FAB_ETHERTYPE      0x88B5u      /* IEEE 802 local experimental 1 */
#define FAB_MAGIC          0x53534554u  /* "TESS" read little-endian */
#define FAB_VERSION        1u
#define FAB_MAX_PAYLOAD    (8192u + 512u) /* a page + a piggybacked page + slack */
#define FAB_ETH_LEN        14u
#define FAB_HDR_LEN        32u
#define FAB_MAX_FRAME      (FAB_ETH_LEN + FAB_HDR_LEN + FAB_MAX_PAYLOAD)

/* Node ids. gmmd is node 0; ids 1..FAB_MAX_NODE are monitors. */
#define FAB_NODE_GMM       0u
#define FAB_NODE_MAX       4095u
#define FAB_NODE_NONE      0xFFFFu      /* not yet assigned (join mode) */

/* MAC of node N on the fabric segment: 52:54:00:fa:HH:LL (N = HH<<8|LL). */
#define FAB_MAC_OUI0 0x52
#define FAB_MAC_OUI1 0x54
#define FAB_MAC_OUI2 0x00
#define FAB_MAC_TAG  0xfa

static inline void fab_mac_for_node(uint16_t node, uint8_t mac[6])
{
	mac[0] = FAB_MAC_OUI0; mac[1] = FAB_MAC_OUI1; mac[2] = FAB_MAC_OUI2;
	mac[3] = FAB_MAC_TAG;  mac[4] = (uint8_t)(node >> 8); mac[5] = (uint8_t)node;
}

struct fab_eth {
	uint8_t  dst[6];
	uint8_t  src[6];
	uint16_t ethertype;      /* big-endian */
} __attribute__((packed));

enum fab_type {
	FAB_T_REQ    = 1,        /* expects exactly one FAB_T_REPLY with same req_id */
	FAB_T_REPLY  = 2,
	FAB_T_ONEWAY = 3,        /* no reply */
};

struct fab_hdr {
	uint32_t magic;          /* FAB_MAGIC */
	uint8_t  version;        /* FAB_VERSION */
	uint8_t  type;           /* enum fab_type */
	uint16_t op;             /* enum fab_op */
	uint16_t src;            /* sender node id (FAB_NODE_NONE before join) */
	uint16_t dst;            /* receiver node id */
	int32_t  status;         /* replies: 0 or a negative Linux errno */
	uint64_t req_id;         /* REQ/REPLY: caller-chosen, unique per caller */
	uint32_t len;            /* payload bytes that follow */
	uint32_t hdr_check;      /* fab_hdr_check() over the 28 bytes before it */
} __attribute__((packed));

_Static_assert(sizeof(struct fab_eth) == FAB_ETH_LEN, "eth header size");
_Static_assert(sizeof(struct fab_hdr) == FAB_HDR_LEN, "fabric header size");

enum fab_op {
	FAB_OP_JOIN       = 1,   /* REQ  node->gmm: fab_join_req      / fab_join_reply */
	FAB_OP_HEARTBEAT  = 2,   /* ONEWAY node->gmm: fab_heartbeat */
	FAB_OP_REJOIN     = 3,   /* ONEWAY gmm->node: you are unknown/dead, join again */
	FAB_OP_PING       = 4,   /* REQ  any->any: payload echoed back verbatim */
	FAB_OP_RESOLVE    = 5,   /* REQ  node->gmm: fab_resolve_req   / fab_resolve_reply */
	FAB_OP_PING_PEER  = 6,   /* REQ  gmm->node: fab_ping_peer_req / fab_ping_peer_reply */
	FAB_OP_STATS      = 7,   /* REQ  gmm->node: (none)            / fab_stats */

	/* File service of a storage node (see "File service" below and docs/storage.md). */
	FAB_OP_FS_OPEN     = 8,  /* fs_path_req (flags = O_*, mode)    / fs_attr */
	FAB_OP_FS_STAT     = 9,  /* fs_path_req (flags = FS_NOFOLLOW)  / fs_attr */
	FAB_OP_FS_FSTAT    = 10, /* fs_handle                          / fs_attr */
	FAB_OP_FS_READ     = 11, /* fs_io_req                          / data[<= len] */
	FAB_OP_FS_WRITE    = 12, /* fs_io_req + data[len]              / fs_write_reply */
	FAB_OP_FS_TRUNCATE = 13, /* fs_trunc_req                       / fs_attr */
	FAB_OP_FS_FSYNC    = 14, /* fs_handle (ino 0 = whole fs)       / (none) */
	FAB_OP_FS_GETDENTS = 15, /* fs_getdents_req                    / fs_getdents_reply + fs_dirent... */
	FAB_OP_FS_READLINK = 16, /* fs_path_req                        / target bytes (no NUL) */
	FAB_OP_FS_MKDIR    = 17, /* fs_path_req (mode)                 / fs_attr */
	FAB_OP_FS_UNLINK   = 18, /* fs_path_req                        / (none) */
	FAB_OP_FS_RMDIR    = 19, /* fs_path_req                        / (none) */
	FAB_OP_FS_RENAME   = 20, /* fs_two_path_req (old, new)         / (none) */
	FAB_OP_FS_SYMLINK  = 21, /* fs_two_path_req (target, linkpath) / fs_attr */
	FAB_OP_FS_STATFS   = 22, /* (none)                             / fs_statfs_reply */
	FAB_OP_FS_SETATTR  = 23, /* fs_setattr_req                     / fs_attr */
	FAB_OP_FS_LINK     = 24, /* fs_two_path_req (existing, new)    / fs_attr */

	/* Memory service of a memory node (see "Memory service" below). */
	FAB_OP_MEM_AS_CREATE  = 32, /* mem_as_req                 / (none) */
	FAB_OP_MEM_AS_DESTROY = 33, /* mem_as_req                 / (none) */
	FAB_OP_MEM_AS_FORK    = 34, /* mem_fork_req               / (none) */
	FAB_OP_MEM_MMAP       = 35, /* mem_map_req                / mem_map_reply */
	FAB_OP_MEM_MUNMAP     = 36, /* mem_map_req                / (none) */
	FAB_OP_MEM_MPROTECT   = 37, /* mem_map_req                / (none) */
	FAB_OP_MEM_BRK        = 38, /* mem_brk_req                / mem_brk_reply */
	FAB_OP_MEM_MREMAP     = 39, /* mem_remap_req              / mem_map_reply */
	FAB_OP_MEM_FETCH      = 40, /* mem_fetch_req [+ page]     / mem_fetch_reply [+ page] */
	FAB_OP_MEM_WRITEBACK  = 41, /* mem_page_req + page        / (none) */
	FAB_OP_MEM_INFO       = 42, /* (none)                     / mem_info_reply */
	FAB_OP_MEM_POOL_SYNC  = 43, /* (none)                     / (none): take the pool log, refill the ring */

	/* vNodes: gmmd <-> process node. */
	FAB_OP_VN_START  = 48,   /* REQ gmm->pnode: vn_start_req + strings / vn_start_reply */
	FAB_OP_VN_STDIN  = 49,   /* REQ gmm->pnode: vn_io + data (len 0 = end of input) / (none) */
	FAB_OP_VN_OUTPUT = 50,   /* REQ pnode->gmm: vn_io + data / (none) */
	FAB_OP_VN_EXIT   = 51,   /* REQ pnode->gmm: vn_exit / (none) */
	FAB_OP_VN_SIGNAL = 52,   /* REQ gmm->pnode: vn_signal / (none) */
	FAB_OP_VN_PS     = 53,   /* REQ gmm->pnode: (none) / vn_ps_reply + vn_ps_entry... */

	/* State reports to gmmd's tables (see "State reports" below). */
	FAB_OP_REPORT_PROCS = 56, /* REQ pnode->gmm: rep_procs + rep_proc[count] / (none) */
	FAB_OP_REPORT_POOL  = 57, /* REQ mnode->gmm: rep_pool / (none) */
	FAB_OP_REPORT_SPACE = 58, /* REQ mnode->gmm: rep_space + rep_region[count] / (none) */
	FAB_OP__COUNT
};

#define FAB_OP_MEM_FIRST FAB_OP_MEM_AS_CREATE
#define FAB_OP_MEM_LAST  FAB_OP_MEM_POOL_SYNC
#define FAB_OP_VN_FIRST  FAB_OP_VN_START
#define FAB_OP_VN_LAST   FAB_OP_VN_PS

#define FAB_OP_REPORT_FIRST FAB_OP_REPORT_PROCS
#define FAB_OP_REPORT_LAST  FAB_OP_REPORT_SPACE

#define FAB_OP_FS_FIRST FAB_OP_FS_OPEN
#define FAB_OP_FS_LAST  FAB_OP_FS_LINK

enum fab_role {
	FAB_ROLE_GMM     = 0,
	FAB_ROLE_PROCESS = 1,
	FAB_ROLE_MEMORY  = 2,
	FAB_ROLE_STORAGE = 3,
};

/* Transport a node's fabric runs on (the cxl transport comes later). */
enum fab_transport {
	FAB_TRANSPORT_NET = 1,
	FAB_TRANSPORT_CXL = 2,
};

#define FAB_CAP_NET   (1u << 0)
#define FAB_CAP_CXL   (1u << 1)
#define FAB_CAP_PKS   (1u << 2)

struct fab_join_req {
	uint8_t  role;           /* enum fab_role */
	uint8_t  transport;      /* enum fab_transport */
	uint16_t want_id;        /* id from the command line, or FAB_NODE_NONE */
	uint8_t  mac[6];         /* the NIC's MAC */
	uint16_t kernel_version;
	uint64_t mem_bytes;      /* usable RAM of the node */
	uint64_t caps;           /* FAB_CAP_* */
	uint64_t boot_nonce;     /* random per boot: tells a reboot from a retry */
	char     name[16];       /* optional, NUL-padded (from cmdline name=) */
} __attribute__((packed));

struct fab_join_reply {
	uint16_t node_id;
	uint16_t reserved;
	uint32_t hb_interval_ms;
	uint32_t dead_after_ms;
	uint32_t reserved2;
	uint64_t cluster_id;
} __attribute__((packed));

/* Counters every node keeps; carried in each heartbeat, shown by tess status. */
struct fab_stats {
	uint64_t uptime_ms;
	uint64_t rx_frames;
	uint64_t tx_frames;
	uint64_t rx_malformed;   /* failed fab_frame_validate() */
	uint64_t rx_dropped;     /* valid but unwanted: not for us, no buffer, unknown op */
	uint64_t rx_late;        /* replies with no waiting caller (late/duplicate) */
	uint64_t rpc_calls;
	uint64_t rpc_retries;
	uint64_t rpc_timeouts;
	uint64_t requests_served;
	uint64_t irqs;
	uint64_t heap_used;
	uint64_t frames_free;    /* free page frames */
	uint64_t frames_total;
} __attribute__((packed));

struct fab_heartbeat {
	uint64_t boot_nonce;
	uint32_t seq;
	uint32_t reserved;
	struct fab_stats stats;
} __attribute__((packed));

struct fab_resolve_req {
	uint16_t node_id;
	uint16_t reserved[3];
} __attribute__((packed));

struct fab_resolve_reply {
	uint8_t  mac[6];
	uint8_t  role;
	uint8_t  up;             /* 1 if the node is up */
} __attribute__((packed));

#define FAB_PING_PEER_MAX 256
struct fab_ping_peer_req {
	uint16_t target;         /* node to ping */
	uint16_t count;          /* 1..FAB_PING_PEER_MAX */
	uint32_t size;           /* payload bytes, 0..FAB_MAX_PAYLOAD */
} __attribute__((packed));

struct fab_ping_peer_reply {
	uint32_t sent;
	uint32_t ok;
	uint64_t min_ns;
	uint64_t median_ns;
	uint64_t max_ns;
} __attribute__((packed));

/*
 * File service. A storage node serves one ext2 file system. Paths are
 * absolute, NUL-terminated, at most FS_PATH_MAX bytes with the NUL; the
 * caller (a process node, or gmmd for `tess fs`) resolves its working
 * directory. Files are named after open by a handle (inode + generation), so
 * a handle to a deleted and reused inode fails with -ESTALE. Errors are
 * negative Linux errnos in the reply status. Requests that change the
 * namespace are answered from a reply cache when retried with the same
 * req_id, so a retry never runs twice.
 */
#define FS_PATH_MAX    4096u
#define FS_IO_MAX      8192u      /* bytes per read or write request */
#define FS_NAME_MAX    255u

/* Linux open(2) flags the file service understands (fs_path_req.flags for FS_OPEN). */
#define FS_O_ACCMODE   00000003u
#define FS_O_WRONLY    00000001u
#define FS_O_RDWR      00000002u
#define FS_O_CREAT     00000100u
#define FS_O_EXCL      00000200u
#define FS_O_TRUNC     00001000u
#define FS_O_APPEND    00002000u
#define FS_O_DIRECTORY 00200000u
#define FS_O_NOFOLLOW  00400000u
/* fs_path_req.flags for FS_STAT: like lstat(2). */
#define FS_NOFOLLOW    0x1u

struct fs_handle {
	uint32_t ino;
	uint32_t gen;
} __attribute__((packed));

struct fs_attr {
	uint32_t ino, gen;
	uint32_t mode;            /* S_IF* type and permission bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint32_t rdev;
	uint32_t blksize;
	uint64_t size;
	uint64_t blocks;          /* 512-byte units */
	int64_t  atime, mtime, ctime;
} __attribute__((packed));

struct fs_path_req {
	uint32_t flags;
	uint32_t mode;
	uint32_t uid, gid;        /* owner for files and directories created */
	char     path[];          /* NUL-terminated */
} __attribute__((packed));

struct fs_two_path_req {
	uint32_t len1;            /* bytes of the first path, NUL included */
	uint32_t len2;
	uint32_t uid, gid;
	char     paths[];         /* first\0second\0 */
} __attribute__((packed));

#define FS_IO_APPEND 0x1u         /* write at the current end of file (off ignored) */
struct fs_io_req {
	struct fs_handle h;
	uint64_t off;
	uint32_t len;
	uint32_t flags;
	/* FS_WRITE: len bytes follow */
} __attribute__((packed));

struct fs_write_reply {
	uint32_t written;
	uint32_t reserved;
	uint64_t size;            /* file size after the write */
	uint64_t off;             /* where the data went (matters for FS_IO_APPEND) */
} __attribute__((packed));

struct fs_trunc_req {
	struct fs_handle h;
	uint64_t size;
} __attribute__((packed));

struct fs_getdents_req {
	struct fs_handle h;
	uint64_t cookie;          /* 0 = from the start; else a reply's next_cookie */
	uint32_t max_bytes;       /* of fs_dirent records; <= FS_IO_MAX */
	uint32_t reserved;
} __attribute__((packed));

struct fs_getdents_reply {
	uint64_t next_cookie;
	uint32_t count;
	uint32_t eof;             /* 1 if the directory has no more entries */
} __attribute__((packed));

struct fs_dirent {
	uint64_t ino;
	uint64_t next_cookie;     /* resume after this entry */
	uint16_t reclen;          /* 8-aligned size of this record */
	uint8_t  type;            /* Linux DT_* */
	uint8_t  namelen;
	char     name[];          /* not NUL-terminated */
} __attribute__((packed));

#define FS_SET_MODE  0x1u
#define FS_SET_UID   0x2u
#define FS_SET_GID   0x4u
#define FS_SET_ATIME 0x8u
#define FS_SET_MTIME 0x10u
struct fs_setattr_req {
	struct fs_handle h;
	uint32_t mask;            /* FS_SET_* */
	uint32_t mode, uid, gid;
	uint32_t reserved;
	int64_t  atime, mtime;    /* seconds; -2 = now */
} __attribute__((packed));

struct fs_statfs_reply {
	uint32_t bsize;
	uint32_t namelen;
	uint64_t blocks, bfree, bavail;
	uint64_t files, ffree;
	uint32_t rdonly;
	uint32_t reserved;
} __attribute__((packed));

/*
 * Memory service. A memory node owns address spaces: their regions
 * (mmap/munmap/mprotect/brk/mremap with splitting) and the page store.
 * An address space is named by a 64-bit id chosen by the process node that
 * creates it; the memory node records the creator (node id and MAC) as its
 * owner and refuses every later request for that space from anyone else
 * (-EACCES). Page requests are checked against the region's protection
 * (-EFAULT outside any region or without the access right).
 */
#define MEM_PAGE_SIZE 4096u

#define MEM_PROT_READ  0x1u       /* Linux PROT_* */
#define MEM_PROT_WRITE 0x2u
#define MEM_PROT_EXEC  0x4u

#define MEM_MAP_SHARED          0x01u   /* Linux MAP_* */
#define MEM_MAP_PRIVATE         0x02u
#define MEM_MAP_FIXED           0x10u
#define MEM_MAP_ANONYMOUS       0x20u
#define MEM_MAP_GROWSDOWN       0x100u
#define MEM_MAP_FIXED_NOREPLACE 0x100000u

#define MEM_REGION_ANON 0u        /* zero-filled on first touch */
#define MEM_REGION_FILE 1u        /* filled from a file of a storage node on first touch */

struct mem_as_req {
	uint64_t as_id;
	uint32_t vnode;
	uint32_t reserved;
	uint64_t limit_bytes;     /* 0 = no limit */
} __attribute__((packed));

struct mem_fork_req {
	uint64_t parent_as;
	uint64_t child_as;
} __attribute__((packed));

struct mem_map_req {
	uint64_t as_id;
	uint64_t addr;            /* hint, or the address with MEM_MAP_FIXED */
	uint64_t len;
	uint32_t prot;            /* MEM_PROT_* */
	uint32_t flags;           /* MEM_MAP_* */
	uint32_t kind;            /* MEM_REGION_* (mmap only) */
	uint16_t file_node;       /* MEM_REGION_FILE: storage node, handle, offset */
	uint16_t reserved;
	struct fs_handle file;
	uint64_t file_off;
} __attribute__((packed));

struct mem_map_reply {
	uint64_t addr;
} __attribute__((packed));

struct mem_brk_req {
	uint64_t as_id;
	uint64_t brk;             /* requested break (0 = query) */
	uint32_t init;            /* 1: set the start of the heap to brk (exec) */
	uint32_t reserved;
} __attribute__((packed));

struct mem_brk_reply {
	uint64_t brk;             /* the break after the call */
} __attribute__((packed));

#define MEM_MREMAP_MAYMOVE 0x1u
#define MEM_MREMAP_FIXED   0x2u
struct mem_remap_req {
	uint64_t as_id;
	uint64_t old_addr;
	uint64_t old_len;
	uint64_t new_len;
	uint64_t new_addr;        /* with MEM_MREMAP_FIXED */
	uint32_t flags;
	uint32_t reserved;
} __attribute__((packed));

#define MEM_ACCESS_READ  0x1u
#define MEM_ACCESS_WRITE 0x2u
#define MEM_ACCESS_EXEC  0x4u
#define MEM_FETCH_WB     0x1u     /* a dirty victim page follows the request */
struct mem_fetch_req {
	uint64_t as_id;
	uint64_t vaddr;           /* page to fetch */
	uint32_t access;          /* MEM_ACCESS_* that faulted */
	uint32_t flags;           /* MEM_FETCH_WB */
	uint64_t wb_as_id;        /* piggybacked writeback (same memory node) */
	uint64_t wb_vaddr;
	/* MEM_FETCH_WB: MEM_PAGE_SIZE bytes follow */
} __attribute__((packed));

#define MEM_PAGE_ZERO 0x1u        /* the page was never written: zero-fill, no data follows */
struct mem_fetch_reply {
	uint32_t prot;            /* region protection to map the page with */
	uint32_t flags;           /* MEM_PAGE_ZERO */
	uint32_t kind;            /* MEM_REGION_*: FILE + ZERO means fill from the file */
	uint16_t file_node;
	uint16_t reserved;
	struct fs_handle file;
	uint64_t file_off;        /* file offset of this page */
	/* unless MEM_PAGE_ZERO: MEM_PAGE_SIZE bytes follow */
} __attribute__((packed));

struct mem_page_req {
	uint64_t as_id;
	uint64_t vaddr;
	/* MEM_PAGE_SIZE bytes follow */
} __attribute__((packed));

struct mem_info_reply {
	uint64_t capacity_bytes;
	uint64_t used_bytes;
	uint32_t spaces;
	uint32_t reserved;
	uint64_t pages;
	uint64_t fetches, writebacks, refused;
} __attribute__((packed));

/*
 * vNodes. gmmd starts a program on a process node; its console streams flow
 * back through gmmd to `tess run`. Strings are NUL-separated.
 */
#define VN_FLAG_TTY 0x1u          /* vn_start_req.flags: the user's stdin is a terminal */

struct vn_start_req {
	uint32_t vnode;
	uint16_t mnode;           /* home memory node */
	uint16_t snode;           /* storage node with the program and its files */
	uint64_t excache_bytes;   /* 0 = the process node's default */
	uint32_t argc;
	uint32_t envc;
	uint32_t strings_len;     /* argv strings then envp strings, each NUL-terminated */
	uint32_t flags;
	/* strings follow */
} __attribute__((packed));

struct vn_start_reply {
	uint32_t pid;
	uint32_t reserved;
} __attribute__((packed));

#define VN_STDIN  0
#define VN_STDOUT 1
#define VN_STDERR 2
struct vn_io {
	uint32_t vnode;
	uint32_t stream;          /* VN_STD* */
	uint64_t seq;             /* per stream, from 0: lets the receiver drop retried duplicates */
	/* data follows (at most FAB_MAX_PAYLOAD - sizeof(struct vn_io)) */
} __attribute__((packed));

struct vn_excache_stats {
	uint64_t lines, assoc;
	uint64_t misses, zero_fills, evictions, writebacks, fetch_ns_total;
	uint64_t fetch_hist[16];  /* fetch latency: bucket i counts [2^i, 2^(i+1)) microseconds */
	uint64_t pool_reads;      /* misses served from a shared pool window (no round trip) */
	uint64_t pool_writes;     /* writebacks copied into a pool window */
	uint64_t pool_syncs;      /* round trips to have the memory node take the pool log */
} __attribute__((packed));

struct vn_exit {
	uint32_t vnode;
	int32_t  wait_status;     /* Linux wait status of the vNode's first process */
	uint64_t runtime_ns;
	uint32_t nosys_count;     /* syscalls answered ENOSYS */
	uint32_t reserved;
	struct vn_excache_stats excache;
	/* then up to 32 pairs { uint32_t nr; uint32_t count; } of ENOSYS syscalls */
} __attribute__((packed));

struct vn_signal {
	uint32_t vnode;
	uint32_t signo;
} __attribute__((packed));

struct vn_ps_reply {
	uint32_t count;
	uint32_t reserved;
} __attribute__((packed));

struct vn_ps_entry {
	uint32_t vnode, pid, ppid, state;  /* state: 'R', 'S', 'Z' */
	uint64_t rss_lines;
	char     comm[16];
} __attribute__((packed));

/*
 * State reports: what process and memory nodes tell gmmd so that its tables
 * (processes, regions, pools) say what runs where. Batched and coalesced by
 * the sender, never one per page or per syscall: a process node sends the
 * fork/exec/exit changes of its processes at most every REP_PROCS_DELAY_MS
 * (and at once when a vNode's first process exits, before VN_EXIT); a memory
 * node sends each space's whole region list at most once a second when it
 * changed, a "gone" report when the space is destroyed, and its pool use at
 * most once a second when it changed. gmmd applies each report in one
 * transaction and answers 0 (or -EPERM/-EINVAL); a sender that gets no answer
 * keeps the change and tries again later. docs/schema.md has the tables.
 */
#define REP_PROCS_DELAY_MS 250u
#define REP_PROC_FORK   1u        /* a new process (pid, ppid, comm, address space) */
#define REP_PROC_EXEC   2u        /* a new program: comm, cmdline, address space */
#define REP_PROC_EXIT   3u        /* ended with wait_status (exit or signal) */
#define REP_CMDLINE_MAX 64u       /* argv joined by spaces, NUL-padded, truncated */

struct rep_procs {
	uint16_t count;           /* rep_proc entries that follow, 1..REP_PROCS_MAX */
	uint16_t reserved;
	uint32_t lost;            /* changes the sender dropped since its last report (queue full) */
} __attribute__((packed));

struct rep_proc {
	uint32_t vnode;
	uint32_t pid, ppid;
	uint8_t  what;            /* REP_PROC_* */
	uint8_t  reserved;
	uint16_t mnode;           /* home memory node of its address space */
	int32_t  wait_status;     /* REP_PROC_EXIT: Linux wait status */
	uint64_t as_id;           /* its address space (0: none) */
	char     comm[16];        /* NUL-padded */
	char     cmdline[REP_CMDLINE_MAX];  /* REP_PROC_EXEC (and FORK: the parent's) */
} __attribute__((packed));

#define REP_PROCS_MAX ((FAB_MAX_PAYLOAD - (uint32_t)sizeof(struct rep_procs)) / (uint32_t)sizeof(struct rep_proc))

struct rep_pool {
	uint64_t capacity_bytes;  /* the page store's size */
	uint64_t used_bytes;      /* pages stored */
	uint64_t pages;
	uint32_t spaces;
	uint32_t reserved;
	uint64_t cxl_capacity_bytes;  /* of which in pool windows shared with process nodes */
	uint64_t cxl_used_bytes;
} __attribute__((packed));

#define REP_SPACE_GONE      0x1u  /* the space was destroyed: no regions follow */
#define REP_SPACE_TRUNCATED 0x2u  /* more regions than REP_REGIONS_MAX: the first ones */
struct rep_space {
	uint64_t as_id;
	uint32_t vnode;
	uint16_t count;           /* rep_region entries that follow */
	uint16_t flags;           /* REP_SPACE_* */
	uint32_t total;           /* regions the space has */
	uint32_t reserved;
	uint64_t mapped_bytes;    /* of all its regions */
} __attribute__((packed));

struct rep_region {
	uint64_t start, end;      /* [start, end), page-aligned */
	uint32_t prot;            /* MEM_PROT_* */
	uint32_t flags;           /* MEM_MAP_SHARED/PRIVATE/ANONYMOUS/GROWSDOWN */
	uint32_t kind;            /* MEM_REGION_ANON / MEM_REGION_FILE */
	uint32_t file_ino;        /* MEM_REGION_FILE: inode on file_node */
	uint16_t file_node;
	uint16_t reserved[3];
} __attribute__((packed));

#define REP_REGIONS_MAX 200u
_Static_assert(sizeof(struct rep_space) + REP_REGIONS_MAX * sizeof(struct rep_region) <= FAB_MAX_PAYLOAD,
	       "a space report fits a frame");

/* Why a frame was rejected (for counters and logs). */
enum fab_reject {
	FAB_OK = 0,
	FAB_ERR_SHORT,           /* shorter than eth + fabric header */
	FAB_ERR_ETHERTYPE,
	FAB_ERR_MAGIC,
	FAB_ERR_VERSION,
	FAB_ERR_CHECK,
	FAB_ERR_TYPE,
	FAB_ERR_OP,
	FAB_ERR_LEN,             /* len disagrees with the frame or exceeds max */
	FAB_ERR_PAYLOAD,         /* payload size wrong for the opcode */
	FAB_ERR__COUNT
};

#endif /* TESSERA_WIRE_H */
