/*
 * net/wire.h - building and validating fabric frames (pure logic, no I/O).
 * Compiled into the kernels and the host tools alike.
 */
#ifndef NET_WIRE_H
#define NET_WIRE_H

#include <tessera/wire.h>

/* A validated frame: pointers into the caller's buffer. */
struct fab_view {
	const struct fab_eth *eth;
	const struct fab_hdr *hdr;
	const void *payload;
	uint32_t len;
};

uint32_t fab_hdr_check(const struct fab_hdr *h);

/*
 * Check every header field and the payload size for the opcode.
 * Returns FAB_OK and fills *v, or an enum fab_reject reason.
 */
int fab_frame_validate(const void *frame, size_t frame_len, struct fab_view *v);

/*
 * Lay out Ethernet and fabric headers at the start of frame (which must hold
 * FAB_ETH_LEN + FAB_HDR_LEN + len bytes) and copy the payload after them.
 * Returns the total frame length, or 0 if len exceeds FAB_MAX_PAYLOAD.
 */
size_t fab_frame_build(void *frame, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		       const struct fab_hdr *h, const void *payload, uint32_t len);

const char *fab_reject_name(int reason);
const char *fab_op_name(unsigned op);
const char *fab_role_name(unsigned role);
/* Parse "process"/"memory"/"storage"/"gmm"; -1 if unknown. */
int fab_role_parse(const char *s);

#endif
