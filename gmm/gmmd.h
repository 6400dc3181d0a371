/*
 * gmm/gmmd.h - the global manager daemon's shared state. gmmd is node 0 of
 * the fabric: it admits nodes (join), watches their heartbeats, declares the
 * silent ones dead, and answers the control socket. One thread, one poll()
 * loop; every state change goes through dbstate in one transaction.
 */
#ifndef GMM_GMMD_H
#define GMM_GMMD_H

#include <poll.h>
#include <stdint.h>
#include <sys/un.h>
#include <tessera/wire.h>
#include "dbstate/dbstate.h"
#include "gmm/join_rules.h"
#include "dbstate/query.h"
#include "net/rpc.h"
#include "net/wire.h"

/* ---- configuration (config.c) ---------------------------------------------- */

struct gmm_config {
	char     state_dir[108];     /* absolute */
	char     db_path[4096];
	unsigned hb_ms;
	unsigned dead_after_ms;
	int      foreground;
};

#define GMM_HB_MS_DEFAULT          500
#define GMM_DEAD_AFTER_MS_DEFAULT  3000
#define GMM_CHECK_MS_MAX           250     /* failure detector period (at most) */
#define GMM_DB_HB_MIN_MS           1000    /* last_heartbeat written at most this often */
#define GMM_ANNOUNCE_MS            1000    /* re-announce our MAC to the hub */
#define GMM_PING_TIMEOUT_MS        500
#define GMM_PING_TRIES             2
#define GMM_PING_MAX_COUNT         10000
#define GMM_LOG_EVERY_MS           5000    /* rate limit for repetitive warnings */

/* Parse argv; on error prints one line and exits 2. */
void gmm_config_parse(struct gmm_config *c, int argc, char **argv);

/* ---- time and logging (log.c) ---------------------------------------------- */

uint64_t gmm_now_ns(void);                 /* CLOCK_MONOTONIC */
void gmm_log_to(int fd);
void gmm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct ratelimit {
	uint64_t last_ns;
	uint64_t suppressed;
	char     note[48];
};
/*
 * NULL if the message should be skipped now; else a suffix for it: "" or
 * " (N similar not logged)".
 */
const char *gmm_ratelimit(struct ratelimit *rl, uint64_t now_ns);

void gmm_mac_str(const uint8_t mac[6], char out[18]);

/* ---- nodes (members.c) ---------------------------------------------------------- */


struct gmm_counters {
	uint64_t rx_frames, tx_frames, rx_malformed, rx_not_for_us, rx_dropped, rx_late;
	uint64_t rx_by_reject[FAB_ERR__COUNT];
	uint64_t tx_errors, tx_busy;
	uint64_t joins, rejoins, joins_refused, heartbeats, rejoin_sent, deaths;
	uint64_t requests_served, db_errors;
};

struct ctl_client;

struct gmmd {
	struct gmm_config cfg;
	struct dbstate *db;
	struct dbq    *q;
	int fab_fd, ctl_fd, timer_fd, sig_fd;
	struct sockaddr_un hub_addr;
	char fab_path[108], ctl_path[108], pid_path[4200];
	uint8_t mac[6];
	struct rpc_table rpc;        /* short calls: PING */
	struct rpc_table rpc_peer;   /* PING_PEER: one try, timeout set per call */
	struct rpc_table rpc_fs;     /* FS_*: file commands relayed to storage nodes (fs.c) */
	struct member *node;         /* [FAB_NODE_MAX + 1] */
	struct gmm_counters n;
	struct ratelimit rl_malformed, rl_refused, rl_rejoin, rl_tx, rl_db;
	uint64_t next_announce_ns;
	uint64_t started_ns;
	int quit;
};

/* Load nodes from the database; up nodes get a fresh dead-after grace period. */
int members_load(struct gmmd *g);
/* A validated frame addressed to gmmd. */
void members_on_join(struct gmmd *g, const struct fab_view *v, uint64_t now);
void members_on_heartbeat(struct gmmd *g, const struct fab_view *v, uint64_t now);
void members_on_resolve(struct gmmd *g, const struct fab_view *v);
/* Failure detector: declare nodes silent for dead_after_ms dead. */
void members_check(struct gmmd *g, uint64_t now);
/* The cluster is being taken down on purpose: every up node 'left' (with events). */
void members_all_left(struct gmmd *g, const char *reason);

/* ---- fabric endpoint (endpoint.c) ----------------------------------------------- */

int  endpoint_open(struct gmmd *g);
void endpoint_close(struct gmmd *g);
/* Build and send one frame to dst_mac. Returns 0 or -errno (counted). */
int  endpoint_send(struct gmmd *g, const uint8_t dst_mac[6], uint8_t type, uint16_t op,
		   uint16_t dst, int32_t status, uint64_t req_id, const void *payload, uint32_t len);
/* Receive and dispatch what is queued (bounded batch). */
void endpoint_receive(struct gmmd *g);
/* Periodic: tell the hub where we are (a frame to ourselves, which it filters). */
void endpoint_announce(struct gmmd *g, uint64_t now);

/* ---- pings (ping.c) ------------------------------------------------------------- */

struct ping_job;
/* Validate and start; on error returns NULL and err holds the one-line reason. */
struct ping_job *ping_start(struct gmmd *g, int node, int from, unsigned count, unsigned size,
			    char *err, size_t errlen);
/* Advance after a reply or a timer; returns the finished reply object or NULL. */
json_t *ping_advance(struct gmmd *g, struct ping_job *j, uint64_t now);
/* Earliest time the job needs attention (0 = none). */
uint64_t ping_deadline(const struct gmmd *g, const struct ping_job *j);
void ping_free(struct gmmd *g, struct ping_job *j);

/* ---- file commands (fs.c) ------------------------------------------------------- */

struct fs_job;
int fs_is_cmd(const char *cmd);             /* fs, fs-put, fs-get, fs-pread */
/* Start a job for client c: NULL with *job set, or an error reply (*job NULL). */
json_t *fs_start(struct gmmd *g, struct ctl_client *c, const char *cmd, json_t *req,
		 struct fs_job **job);
/* Advance after replies, timers or client I/O; 1 when the job is over (reply queued). */
int fs_advance(struct gmmd *g, struct fs_job *j, uint64_t now);
/* Does the job take raw bytes from the client (fs-put)? */
int fs_wants_input(const struct fs_job *j);
uint64_t fs_deadline(const struct gmmd *g, const struct fs_job *j);
void fs_free(struct gmmd *g, struct fs_job *j);
/* Counters for the status reply: jobs, bytes each way, RPCs in flight. */
json_t *fs_status_json(struct gmmd *g);

/* ---- vNodes: run and ps (vnodes.c) --------------------------------------------- */

struct vn_job;
int vn_is_cmd(const char *cmd);             /* run, ps */
/* Start a job for client c: NULL with *job set, or an error reply (*job NULL). */
json_t *vn_start(struct gmmd *g, struct ctl_client *c, const char *cmd, json_t *req,
		 struct vn_job **job);
/* Does the job take frames from the client now (run's stdin and signals)? */
int vn_wants_input(const struct vn_job *j);
/* The client has gone: the job lives on (a running vNode gets SIGKILL) but never touches c. */
void vn_client_gone(struct gmmd *g, struct vn_job *j);
/* VN_OUTPUT and VN_EXIT requests from process nodes; replies to our VN_* calls. */
void vn_on_request(struct gmmd *g, const struct fab_view *v);
void vn_on_reply(struct gmmd *g, const struct fab_view *v);
/* Every job: replies, deadlines, client frames. */
void vn_advance(struct gmmd *g, uint64_t now);
uint64_t vn_deadline(const struct gmmd *g);       /* 0 = none */
/* At start-up: vNodes left live by an earlier gmmd are marked failed. */
int vn_init(struct gmmd *g);
json_t *vn_status_json(struct gmmd *g);

/* ---- state reports of the nodes (reports.c) ------------------------------------ */

/* FAB_OP_REPORT_* requests: checked, applied with dbstate, answered. */
void reports_on_request(struct gmmd *g, const struct fab_view *v);
json_t *reports_status_json(void);

/* ---- control socket (control.c) ----------------------------------------------- */

int  control_open(struct gmmd *g);
void control_close(struct gmmd *g);
/* Fill pollfds for clients; returns the number used (at most max). */
int  control_pollfds(struct gmmd *g, struct pollfd *pfd, int max);
void control_handle(struct gmmd *g, struct pollfd *pfd, int n, uint64_t now);
void control_accept(struct gmmd *g);
/* After fabric replies or timeouts: let pending pings progress. */
void control_advance(struct gmmd *g, uint64_t now);
/* Earliest ping deadline of any client (0 = none). */
uint64_t control_deadline(const struct gmmd *g);
/* Try hard to deliver pending replies (before exit). */
void control_flush(struct gmmd *g);
/* For file jobs: reply lines, raw bytes each way, and cutting a client off. */
void   control_reply(struct ctl_client *c, json_t *r);      /* takes the reference */
int    control_send_raw(struct ctl_client *c, const void *p, size_t n);
size_t control_unsent(const struct ctl_client *c);
size_t control_input(struct ctl_client *c, const void **p); /* bytes after the request line */
void   control_consume(struct ctl_client *c, size_t n);
int    control_input_eof(const struct ctl_client *c);
void   control_abort(struct ctl_client *c);
/* A vNode job is done with c: close once its output is sent, or go on with its next request. */
void   control_vn_done(struct gmmd *g, struct ctl_client *c, int close);

/* ---- status (status.c) ---------------------------------------------------------- */

json_t *status_json(struct gmmd *g, uint64_t now);
void gmm_log_counters(struct gmmd *g);

#endif
