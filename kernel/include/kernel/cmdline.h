/*
 * cmdline.h - the node's boot command line, parsed into a validated
 * configuration (pure logic, unit-tested on the host).
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H
#include <stdint.h>

#define NODE_NAME_MAX 15

struct node_config {
	uint16_t node_id;          /* FAB_NODE_NONE = join mode */
	int role;                  /* enum fab_role, -1 if absent */
	int transport;             /* enum fab_transport */
	int log_level;             /* enum log_level */
	char name[NODE_NAME_MAX + 1];
	uint8_t gmm_mac[6];
	uint64_t excache_bytes;    /* excache=SIZE: the ExCache line pool; 0 = the monitor's default */
};

#define CMDLINE_EXCACHE_MIN  (64ull << 10)    /* 16 lines */
#define CMDLINE_EXCACHE_MAX  (1ull << 40)

/*
 * Parse "key=value ..." into cfg (defaults first). Returns 0, or -EINVAL with
 * a one-line reason in err. The image's own role is checked by the caller.
 */
int cmdline_parse(const char *line, struct node_config *cfg, char *err, unsigned errlen);
#endif
