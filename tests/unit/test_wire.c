/*
 * tests/unit/test_wire.c - fabric frame building and validation (net/wire.c).
 * net/wire.c is compiled into this test (not linked from libhnet) so that it
 * runs under AddressSanitizer and UBSan: every frame handed to the validator
 * sits in a heap block of exactly its length, so any read past the end fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/wire.c"

static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0xfa, 0x00, 0x01 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0xfa, 0x00, 0x02 };

#define HDRS (FAB_ETH_LEN + FAB_HDR_LEN)

/* Payload size a well-formed frame carries for (op, type); see wire.h. */
struct op_sizes {
	unsigned op;
	long req;                /* REQ and ONEWAY; -1 any size, -2 not allowed */
	long reply;
};

static const struct op_sizes sizes[] = {
	{ FAB_OP_JOIN, sizeof(struct fab_join_req), sizeof(struct fab_join_reply) },
	{ FAB_OP_HEARTBEAT, sizeof(struct fab_heartbeat), -2 },
	{ FAB_OP_REJOIN, 0, -2 },
	{ FAB_OP_PING, -1, -1 },
	{ FAB_OP_RESOLVE, sizeof(struct fab_resolve_req), sizeof(struct fab_resolve_reply) },
	{ FAB_OP_PING_PEER, sizeof(struct fab_ping_peer_req), sizeof(struct fab_ping_peer_reply) },
	{ FAB_OP_STATS, 0, sizeof(struct fab_stats) },
	/* File service: fixed request structs where the request has no path or data. */
	{ FAB_OP_FS_OPEN, -1, -1 },
	{ FAB_OP_FS_STAT, -1, -1 },
	{ FAB_OP_FS_FSTAT, sizeof(struct fs_handle), -1 },
	{ FAB_OP_FS_READ, -1, -1 },
	{ FAB_OP_FS_WRITE, -1, -1 },
	{ FAB_OP_FS_TRUNCATE, sizeof(struct fs_trunc_req), -1 },
	{ FAB_OP_FS_FSYNC, sizeof(struct fs_handle), -1 },
	{ FAB_OP_FS_GETDENTS, sizeof(struct fs_getdents_req), -1 },
	{ FAB_OP_FS_READLINK, -1, -1 },
	{ FAB_OP_FS_MKDIR, -1, -1 },
	{ FAB_OP_FS_UNLINK, -1, -1 },
	{ FAB_OP_FS_RMDIR, -1, -1 },
	{ FAB_OP_FS_RENAME, -1, -1 },
	{ FAB_OP_FS_SYMLINK, -1, -1 },
	{ FAB_OP_FS_STATFS, 0, -1 },
	{ FAB_OP_FS_SETATTR, sizeof(struct fs_setattr_req), -1 },
	{ FAB_OP_FS_LINK, -1, -1 },
	{ FAB_OP_MEM_AS_CREATE, sizeof(struct mem_as_req), 0 },
	{ FAB_OP_MEM_AS_DESTROY, sizeof(struct mem_as_req), 0 },
	{ FAB_OP_MEM_AS_FORK, sizeof(struct mem_fork_req), 0 },
	{ FAB_OP_MEM_MMAP, sizeof(struct mem_map_req), sizeof(struct mem_map_reply) },
	{ FAB_OP_MEM_MUNMAP, sizeof(struct mem_map_req), 0 },
	{ FAB_OP_MEM_MPROTECT, sizeof(struct mem_map_req), 0 },
	{ FAB_OP_MEM_BRK, sizeof(struct mem_brk_req), sizeof(struct mem_brk_reply) },
	{ FAB_OP_MEM_MREMAP, sizeof(struct mem_remap_req), sizeof(struct mem_map_reply) },
	{ FAB_OP_MEM_FETCH, -1, -1 },
	{ FAB_OP_MEM_WRITEBACK, -1, -1 },
	{ FAB_OP_MEM_INFO, 0, sizeof(struct mem_info_reply) },
	{ FAB_OP_MEM_POOL_SYNC, 0, 0 },
	{ FAB_OP_VN_START, -1, -1 },
	{ FAB_OP_VN_STDIN, -1, -1 },
	{ FAB_OP_VN_OUTPUT, -1, -1 },
	{ FAB_OP_VN_EXIT, -1, -1 },
	{ FAB_OP_VN_SIGNAL, sizeof(struct vn_signal), 0 },
	{ FAB_OP_VN_PS, -1, -1 },
	/* State reports: -3 = a header and count whole entries (report_ok below). */
	{ FAB_OP_REPORT_PROCS, -3, 0 },
	{ FAB_OP_REPORT_POOL, sizeof(struct rep_pool), 0 },
	{ FAB_OP_REPORT_SPACE, -3, 0 },
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static const struct op_sizes *sizes_of(unsigned op)
{
	for (size_t i = 0; i < NSIZES; i++)
		if (sizes[i].op == op)
			return &sizes[i];
	return NULL;
}

/* Build a frame into a heap block of exactly its length (ASan catches over-reads). */
static uint8_t *build(unsigned type, unsigned op, int32_t status, uint32_t len, size_t *flen)
{
	struct fab_hdr h = {
		.type = (uint8_t)type, .op = (uint16_t)op, .src = 1, .dst = 2,
		.status = status, .req_id = 0x1122334455667788ull,
	};
	uint8_t *payload = malloc(len ? len : 1), *f, *tmp;
	size_t n;

	for (uint32_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	tmp = malloc(HDRS + len);
	n = fab_frame_build(tmp, mac_b, mac_a, &h, payload, len);
	assert_int_equal(n, HDRS + len);
	f = malloc(n);
	memcpy(f, tmp, n);
	free(tmp);
	free(payload);
	*flen = n;
	return f;
}

static struct fab_hdr *hdr(uint8_t *f)
{
	return (struct fab_hdr *)(f + FAB_ETH_LEN);
}

static void rehash(uint8_t *f)
{
	hdr(f)->hdr_check = fab_hdr_check(hdr(f));
}

static int validate_exact(const uint8_t *f, size_t n)
{
	/* Copy into an exact-size block so the validator cannot read past n. */
	uint8_t *c = malloc(n ? n : 1);
	int r;

	if (n)
		memcpy(c, f, n);
	r = fab_frame_validate(c, n, NULL);
	free(c);
	return r;
}

/* ---- round trips ------------------------------------------------------------ */

static void check_round_trip(unsigned type, unsigned op, uint32_t len)
{
	size_t n;
	uint8_t *f = build(type, op, 0, len, &n);
	struct fab_view v;

	memset(&v, 0, sizeof(v));
	assert_int_equal(fab_frame_validate(f, n, &v), FAB_OK);
	assert_ptr_equal(v.eth, f);
	assert_ptr_equal(v.hdr, f + FAB_ETH_LEN);
	assert_ptr_equal(v.payload, f + HDRS);
	assert_int_equal(v.len, len);
	assert_memory_equal(v.eth->dst, mac_b, 6);
	assert_memory_equal(v.eth->src, mac_a, 6);
	assert_int_equal(f[12], 0x88);      /* ethertype big-endian on the wire */
	assert_int_equal(f[13], 0xB5);
	assert_int_equal(v.hdr->magic, FAB_MAGIC);
	assert_int_equal(v.hdr->version, FAB_VERSION);
	assert_int_equal(v.hdr->type, type);
	assert_int_equal(v.hdr->op, op);
	assert_int_equal(v.hdr->src, 1);
	assert_int_equal(v.hdr->dst, 2);
	assert_true(v.hdr->req_id == 0x1122334455667788ull);
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(((const uint8_t *)v.payload)[i], (uint8_t)(i * 7 + 3));
	free(f);
}

/* A report with count entries (and flags for a space report); its validation result. */
static int report_frame(unsigned type, unsigned op, uint16_t count, uint16_t flags, long extra)
{
	size_t hd = op == FAB_OP_REPORT_PROCS ? sizeof(struct rep_procs) : sizeof(struct rep_space);
	size_t ent = op == FAB_OP_REPORT_PROCS ? sizeof(struct rep_proc) : sizeof(struct rep_region);
	uint32_t len = (uint32_t)((long)(hd + count * ent) + extra);
	uint8_t *payload = calloc(1, len + 1), *f = malloc(HDRS + len);
	struct fab_hdr h = { .type = (uint8_t)type, .op = (uint16_t)op, .src = 1, .dst = 2, .req_id = 9 };
	size_t n;
	int r;

	if (op == FAB_OP_REPORT_PROCS) {
		memcpy(payload + offsetof(struct rep_procs, count), &count, 2);
	} else {
		memcpy(payload + offsetof(struct rep_space, count), &count, 2);
		memcpy(payload + offsetof(struct rep_space, flags), &flags, 2);
	}
	n = fab_frame_build(f, mac_b, mac_a, &h, payload, len);
	r = validate_exact(f, n);
	free(payload);
	free(f);
	return r;
}

static void check_report_frames(unsigned op)
{
	uint16_t max = op == FAB_OP_REPORT_PROCS ? (uint16_t)REP_PROCS_MAX : (uint16_t)REP_REGIONS_MAX;

	assert_true(sizeof(struct rep_procs) + REP_PROCS_MAX * sizeof(struct rep_proc) <= FAB_MAX_PAYLOAD);
	assert_int_equal(report_frame(FAB_T_REQ, op, 1, 0, 0), FAB_OK);
	assert_int_equal(report_frame(FAB_T_REQ, op, max, 0, 0), FAB_OK);
	assert_int_equal(report_frame(FAB_T_REQ, op, 2, 0, -1), FAB_ERR_PAYLOAD);   /* half an entry */
	assert_int_equal(report_frame(FAB_T_REQ, op, 2, 0, 1), FAB_ERR_PAYLOAD);
	assert_int_equal(report_frame(FAB_T_REQ, op, 3, 0, -(long)(op == FAB_OP_REPORT_PROCS ?
		sizeof(struct rep_proc) : sizeof(struct rep_region))), FAB_ERR_PAYLOAD);  /* count lies */
	if (op == FAB_OP_REPORT_PROCS) {
		assert_int_equal(report_frame(FAB_T_REQ, op, 0, 0, 0), FAB_ERR_PAYLOAD);  /* empty */
	} else {
		assert_int_equal(report_frame(FAB_T_REQ, op, 0, REP_SPACE_GONE, 0), FAB_OK);
		assert_int_equal(report_frame(FAB_T_REQ, op, 1, REP_SPACE_TRUNCATED, 0), FAB_OK);
		assert_int_equal(report_frame(FAB_T_REQ, op, 1, REP_SPACE_GONE, 0), FAB_ERR_PAYLOAD);
		assert_int_equal(report_frame(FAB_T_REQ, op, 1, 0x4, 0), FAB_ERR_PAYLOAD);
		assert_int_equal(report_frame(FAB_T_REQ, op, (uint16_t)(max + 1), 0, 0), FAB_ERR_PAYLOAD);
	}
	check_round_trip(FAB_T_REPLY, op, 0);
}

static void test_round_trip_every_opcode(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSIZES; i++) {
		const struct op_sizes *s = &sizes[i];
		uint32_t req = s->req == -1 ? 64 : (uint32_t)s->req;

		if (s->req == -3) {
			check_report_frames(s->op);
		} else if (s->req != -2) {
			check_round_trip(FAB_T_REQ, s->op, req);
			check_round_trip(FAB_T_ONEWAY, s->op, req);
		}
		if (s->reply != -2)
			check_round_trip(FAB_T_REPLY, s->op, s->reply == -1 ? 64 : (uint32_t)s->reply);
	}
	/* Every named opcode is in the table above; the gaps between opcode groups are unknown. */
	for (unsigned op = 1; op < FAB_OP__COUNT; op++) {
		int named = strcmp(fab_op_name(op), "?") != 0;

		assert_int_equal(named, sizes_of(op) != NULL);
		if (!named) {
			size_t n;
			uint8_t *f = build(FAB_T_REQ, op, 0, 0, &n);

			assert_int_equal(fab_frame_validate(f, n, NULL), FAB_ERR_OP);
			free(f);
		}
	}
}

static void test_ping_sizes(void **state)
{
	(void)state;
	check_round_trip(FAB_T_REQ, FAB_OP_PING, 0);
	check_round_trip(FAB_T_REQ, FAB_OP_PING, 1);
	check_round_trip(FAB_T_REQ, FAB_OP_PING, 4096);
	check_round_trip(FAB_T_REPLY, FAB_OP_PING, 4096);
	check_round_trip(FAB_T_REQ, FAB_OP_PING, FAB_MAX_PAYLOAD);
}

static void test_build_refuses_oversize(void **state)
{
	static uint8_t f[FAB_MAX_FRAME + 16];
	struct fab_hdr h = { .type = FAB_T_REQ, .op = FAB_OP_PING };

	(void)state;
	assert_int_equal(fab_frame_build(f, mac_b, mac_a, &h, f, FAB_MAX_PAYLOAD + 1), 0);
	assert_int_equal(fab_frame_build(f, mac_b, mac_a, &h, NULL, 0), HDRS);
}

static void test_build_in_place(void **state)
{
	/* Payload already written where it belongs: build must not clobber it. */
	static uint8_t f[HDRS + 100];
	struct fab_hdr h = { .type = FAB_T_REQ, .op = FAB_OP_PING };
	struct fab_view v;

	(void)state;
	for (int i = 0; i < 100; i++)
		f[HDRS + i] = (uint8_t)i;
	assert_int_equal(fab_frame_build(f, mac_b, mac_a, &h, f + HDRS, 100), HDRS + 100);
	assert_int_equal(fab_frame_validate(f, sizeof(f), &v), FAB_OK);
	for (int i = 0; i < 100; i++)
		assert_int_equal(f[HDRS + i], i);
}

static void test_error_reply_may_be_empty(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REPLY, FAB_OP_JOIN, -98 /* -EADDRINUSE */, 0, &n);

	(void)state;
	assert_int_equal(validate_exact(f, n), FAB_OK);
	free(f);
	/* ...but a successful reply must carry its payload. */
	f = build(FAB_T_REPLY, FAB_OP_JOIN, 0, 0, &n);
	assert_int_equal(validate_exact(f, n), FAB_ERR_PAYLOAD);
	free(f);
}

static void test_padding_allowed(void **state)
{
	/* Ethernet may pad short frames: bytes beyond hdr.len are ignored. */
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_REJOIN, 0, 0, &n);
	uint8_t *padded = calloc(1, 60);
	struct fab_view v;

	(void)state;
	memcpy(padded, f, n);
	assert_int_equal(fab_frame_validate(padded, 60, &v), FAB_OK);
	assert_int_equal(v.len, 0);
	free(padded);
	free(f);
}

/* ---- one crafted frame per reject reason -------------------------------------- */

static void test_reject_short(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_PING, 0, 8, &n);

	(void)state;
	assert_int_equal(fab_frame_validate(NULL, 100, NULL), FAB_ERR_SHORT);
	for (size_t cut = 0; cut < HDRS; cut++)
		assert_int_equal(validate_exact(f, cut), FAB_ERR_SHORT);
	free(f);
}

static void test_reject_ethertype(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_PING, 0, 8, &n);

	(void)state;
	f[12] = 0x08;                       /* IPv4 */
	f[13] = 0x00;
	assert_int_equal(validate_exact(f, n), FAB_ERR_ETHERTYPE);
	f[12] = 0xB5;                       /* byte-swapped fabric ethertype */
	f[13] = 0x88;
	assert_int_equal(validate_exact(f, n), FAB_ERR_ETHERTYPE);
	free(f);
}

static void test_reject_magic(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_PING, 0, 8, &n);

	(void)state;
	hdr(f)->magic = 0x54455353;         /* "SSET": wrong byte order */
	rehash(f);
	assert_int_equal(validate_exact(f, n), FAB_ERR_MAGIC);
	free(f);
}

static void test_reject_version(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_PING, 0, 8, &n);

	(void)state;
	hdr(f)->version = FAB_VERSION + 1;
	rehash(f);
	assert_int_equal(validate_exact(f, n), FAB_ERR_VERSION);
	hdr(f)->version = 0;
	rehash(f);
	assert_int_equal(validate_exact(f, n), FAB_ERR_VERSION);
	free(f);
}

static void test_reject_check(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_PING, 0, 8, &n);

	(void)state;
	/* Any single-bit change anywhere in the checked header bytes is caught. */
	for (size_t byte = 4; byte < offsetof(struct fab_hdr, hdr_check); byte++)
		for (int bit = 0; bit < 8; bit++) {
			uint8_t *c = malloc(n);
			int r;

			memcpy(c, f, n);
			c[FAB_ETH_LEN + byte] ^= (uint8_t)(1u << bit);
			r = validate_exact(c, n);
			/* version byte flips show up as a version error first; all else as check */
			if (byte == offsetof(struct fab_hdr, version))
				assert_true(r == FAB_ERR_VERSION);
			else
				assert_int_equal(r, FAB_ERR_CHECK);
			free(c);
		}
	hdr(f)->hdr_check ^= 1;
	assert_int_equal(validate_exact(f, n), FAB_ERR_CHECK);
	free(f);
}

static void test_reject_type(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_PING, 0, 8, &n);
	static const uint8_t bad[] = { 0, 4, 5, 0x7f, 0xff };

	(void)state;
	for (size_t i = 0; i < sizeof(bad); i++) {
		hdr(f)->type = bad[i];
		rehash(f);
		assert_int_equal(validate_exact(f, n), FAB_ERR_TYPE);
	}
	free(f);
}

static void test_reject_op(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_PING, 0, 8, &n);
	static const uint16_t bad[] = { 0, FAB_OP__COUNT, FAB_OP__COUNT + 1, 0x7ead, 0xffff };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr(f)->op = bad[i];
		rehash(f);
		assert_int_equal(validate_exact(f, n), FAB_ERR_OP);
	}
	free(f);
}

static void test_reject_len_beyond_frame(void **state)
{
	size_t n;
	uint8_t *f = build(FAB_T_REQ, FAB_OP_PING, 0, 16, &n);

	(void)state;
	hdr(f)->len = 17;                   /* one byte more than the frame holds */
	rehash(f);
	assert_int_equal(validate_exact(f, n), FAB_ERR_LEN);
	hdr(f)->len = 4096;
	rehash(f);
	assert_int_equal(validate_exact(f, n), FAB_ERR_LEN);
	/* A frame whose payload was cut off in transit. */
	hdr(f)->len = 16;
	rehash(f);
	assert_int_equal(validate_exact(f, n - 1), FAB_ERR_LEN);
	free(f);
}

static void test_reject_len_over_max(void **state)
{
	/* A frame that really holds more than FAB_MAX_PAYLOAD bytes is still refused. */
	size_t n = HDRS + FAB_MAX_PAYLOAD + 1;
	uint8_t *f = calloc(1, n);
	struct fab_hdr h = { .type = FAB_T_REQ, .op = FAB_OP_PING };

	(void)state;
	assert_int_equal(fab_frame_build(f, mac_b, mac_a, &h, NULL, 0), HDRS);
	hdr(f)->len = FAB_MAX_PAYLOAD + 1;
	rehash(f);
	assert_int_equal(validate_exact(f, n), FAB_ERR_LEN);
	hdr(f)->len = 0xffffffffu;          /* would wrap a careless "len + header" sum */
	rehash(f);
	assert_int_equal(validate_exact(f, n), FAB_ERR_LEN);
	free(f);
}

static void test_reject_payload_size_per_op(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSIZES; i++) {
		const struct op_sizes *s = &sizes[i];
		unsigned types[] = { FAB_T_REQ, FAB_T_ONEWAY, FAB_T_REPLY };

		for (size_t k = 0; k < 3; k++) {
			long want = types[k] == FAB_T_REPLY ? s->reply : s->req;
			size_t n;
			uint8_t *f;

			if (want == -1 || want == -3)
				continue;           /* any size; a report (check_report_frames) */
			if (want == -2) {
				/* This (op, type) pair does not exist: refused at any size. */
				f = build(types[k], s->op, 0, 0, &n);
				assert_int_equal(validate_exact(f, n), FAB_ERR_PAYLOAD);
				free(f);
				f = build(types[k], s->op, 0, 8, &n);
				assert_int_equal(validate_exact(f, n), FAB_ERR_PAYLOAD);
				free(f);
				continue;
			}
			f = build(types[k], s->op, 0, (uint32_t)want + 1, &n);
			assert_int_equal(validate_exact(f, n), FAB_ERR_PAYLOAD);
			free(f);
			if (want > 0) {
				f = build(types[k], s->op, 0, (uint32_t)want - 1, &n);
				assert_int_equal(validate_exact(f, n), FAB_ERR_PAYLOAD);
				free(f);
			}
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	for (int r = 0; r < FAB_ERR__COUNT; r++)
		assert_string_not_equal(fab_reject_name(r), "?");
	assert_string_equal(fab_reject_name(-1), "?");
	assert_string_equal(fab_reject_name(FAB_ERR__COUNT), "?");
	for (size_t i = 0; i < NSIZES; i++)
		assert_string_not_equal(fab_op_name(sizes[i].op), "?");
	assert_string_equal(fab_op_name(0), "?");
	assert_string_equal(fab_op_name(0xffff), "?");
	for (unsigned r = FAB_ROLE_GMM; r <= FAB_ROLE_STORAGE; r++)
		assert_int_equal(fab_role_parse(fab_role_name(r)), (int)r);
	assert_int_equal(fab_role_parse("proc"), -1);
	assert_int_equal(fab_role_parse(""), -1);
	assert_int_equal(fab_role_parse(NULL), -1);
	assert_string_equal(fab_role_name(99), "?");
}

static void test_mac_for_node(void **state)
{
	uint8_t m[6];

	(void)state;
	fab_mac_for_node(0x0102, m);
	assert_int_equal(m[0], 0x52);
	assert_int_equal(m[3], 0xfa);
	assert_int_equal(m[4], 0x01);
	assert_int_equal(m[5], 0x02);
	fab_mac_for_node(FAB_NODE_GMM, m);
	assert_int_equal(m[4] | m[5], 0);
}

/* ---- randomised: garbage and mutations against an independent oracle -------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: fixed seed, so a failure reproduces. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The contract from wire.h, written independently of net/wire.c. */
/* A state report's payload: its header's count says how many entries follow, exactly. */
static int report_ok(unsigned op, const uint8_t *p, uint32_t len)
{
	if (op == FAB_OP_REPORT_PROCS) {
		uint16_t count;

		if (len < sizeof(struct rep_procs))
			return 0;
		memcpy(&count, p + offsetof(struct rep_procs, count), 2);
		return count >= 1 && count <= REP_PROCS_MAX &&
		       len == sizeof(struct rep_procs) + count * sizeof(struct rep_proc);
	} else {
		uint16_t count, flags;

		if (len < sizeof(struct rep_space))
			return 0;
		memcpy(&count, p + offsetof(struct rep_space, count), 2);
		memcpy(&flags, p + offsetof(struct rep_space, flags), 2);
		if (flags > 3 || count > REP_REGIONS_MAX || ((flags & REP_SPACE_GONE) && count))
			return 0;
		return len == sizeof(struct rep_space) + count * sizeof(struct rep_region);
	}
}

static int oracle_ok(const uint8_t *f, size_t n)
{
	const struct fab_hdr *h;
	const struct op_sizes *s;
	long want;

	if (n < HDRS || f[12] != 0x88 || f[13] != 0xB5)
		return 0;
	h = (const struct fab_hdr *)(f + FAB_ETH_LEN);
	if (h->magic != FAB_MAGIC || h->version != FAB_VERSION || h->hdr_check != fab_hdr_check(h))
		return 0;
	if (h->type < FAB_T_REQ || h->type > FAB_T_ONEWAY)
		return 0;
	if (h->len > FAB_MAX_PAYLOAD || h->len > n - HDRS)
		return 0;
	s = sizes_of(h->op);
	if (!s)
		return 0;
	want = h->type == FAB_T_REPLY ? s->reply : s->req;
	if (want == -1)
		return 1;
	if (want == -3)
		return report_ok(h->op, f + HDRS, h->len);
	if (want == -2)
		return 0;
	if (h->type == FAB_T_REPLY && h->status != 0 && h->len == 0)
		return 1;
	return h->len == (uint32_t)want;
}

#define FUZZ_ROUNDS 4000

static void test_random_garbage(void **state)
{
	(void)state;
	rng_state = 0x7e55e7a;
	for (int round = 0; round < FUZZ_ROUNDS; round++) {
		size_t n = (size_t)(rnd() % (FAB_MAX_FRAME + 64));
		uint8_t *f;
		int r;

		if (round % 4 == 0)
			n %= 128;                   /* plenty of short ones */
		f = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++)
			f[i] = (uint8_t)rnd();
		/* Half the time, get past the cheap checks so deeper ones are exercised. */
		if (n >= HDRS && (round & 1)) {
			f[12] = 0x88;
			f[13] = 0xB5;
			hdr(f)->magic = FAB_MAGIC;
			hdr(f)->version = FAB_VERSION;
			if (round & 2)
				rehash(f);
		}
		r = fab_frame_validate(f, n, NULL);
		assert_true(r >= FAB_OK && r < FAB_ERR__COUNT);
		assert_int_equal(r == FAB_OK, oracle_ok(f, n));
		free(f);
	}
}

static void test_random_header_fields(void **state)
{
	/* Well-checked headers with random fields: OK exactly when the oracle says so. */
	static const uint32_t lens[] = { 0, 1, 8, 24, 50, 64, 112, 4096, FAB_MAX_PAYLOAD,
					 FAB_MAX_PAYLOAD + 1, 0x80000000u, 0xffffffffu };
	int oks = 0;

	(void)state;
	rng_state = 0xfab;
	for (int round = 0; round < FUZZ_ROUNDS; round++) {
		uint32_t len = lens[rnd() % (sizeof(lens) / sizeof(lens[0]))];
		size_t room = len <= FAB_MAX_PAYLOAD ? len : 64;
		size_t n;
		uint8_t *f;
		int r;

		/* Frame holds the claimed payload, a bit less, or a bit more. */
		switch (rnd() % 3) {
		case 0: n = HDRS + room; break;
		case 1: n = HDRS + (room ? room - 1 : 0); break;
		default: n = HDRS + room + rnd() % 32; break;
		}
		f = calloc(1, n);
		f[12] = 0x88;
		f[13] = 0xB5;
		hdr(f)->magic = FAB_MAGIC;
		hdr(f)->version = FAB_VERSION;
		hdr(f)->type = (uint8_t)(rnd() % 5);
		hdr(f)->op = (uint16_t)(rnd() % (FAB_OP__COUNT + 2));
		hdr(f)->status = (rnd() & 1) ? 0 : -5;
		hdr(f)->req_id = rnd();
		hdr(f)->len = len;
		rehash(f);
		r = fab_frame_validate(f, n, NULL);
		assert_int_equal(r == FAB_OK, oracle_ok(f, n));
		oks += r == FAB_OK;
		free(f);
	}
	assert_true(oks > 100);             /* the loop really reaches the accepting paths */
}

static void test_truncations_and_bit_flips(void **state)
{
	(void)state;
	rng_state = 0xc0ffee;
	for (int round = 0; round < FUZZ_ROUNDS; round++) {
		const struct op_sizes *s = &sizes[rnd() % NSIZES];
		unsigned type = s->req == -2 || (rnd() & 1) ? FAB_T_REPLY : FAB_T_REQ;
		long want = type == FAB_T_REPLY ? s->reply : s->req;
		uint32_t len = want == -1 ? (uint32_t)(rnd() % 5000) : (uint32_t)want;
		size_t n, cut;
		uint8_t *f;

		if (want == -2 || want == -3)
			continue;
		f = build(type, s->op, 0, len, &n);
		assert_int_equal(validate_exact(f, n), FAB_OK);
		/* Truncated anywhere: refused unless nothing of the payload was lost. */
		cut = (size_t)(rnd() % (n + 1));
		assert_int_equal(validate_exact(f, cut) == FAB_OK, cut == n);
		/* A bit flipped in the fabric header: always refused. */
		{
			size_t byte = FAB_ETH_LEN + (size_t)(rnd() % FAB_HDR_LEN);

			f[byte] ^= (uint8_t)(1u << (rnd() % 8));
			assert_int_not_equal(validate_exact(f, n), FAB_OK);
		}
		free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_opcode),
		cmocka_unit_test(test_ping_sizes),
		cmocka_unit_test(test_build_refuses_oversize),
		cmocka_unit_test(test_build_in_place),
		cmocka_unit_test(test_error_reply_may_be_empty),
		cmocka_unit_test(test_padding_allowed),
		cmocka_unit_test(test_reject_short),
		cmocka_unit_test(test_reject_ethertype),
		cmocka_unit_test(test_reject_magic),
		cmocka_unit_test(test_reject_version),
		cmocka_unit_test(test_reject_check),
		cmocka_unit_test(test_reject_type),
		cmocka_unit_test(test_reject_op),
		cmocka_unit_test(test_reject_len_beyond_frame),
		cmocka_unit_test(test_reject_len_over_max),
		cmocka_unit_test(test_reject_payload_size_per_op),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_mac_for_node),
		cmocka_unit_test(test_random_garbage),
		cmocka_unit_test(test_random_header_fields),
		cmocka_unit_test(test_truncations_and_bit_flips),
	};

	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
