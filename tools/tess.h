/*
 * tools/tess.h - what the parts of the tess CLI share: the state directory,
 * one-line errors, option parsing, the gmmd control-socket client,
 * cluster.json bookkeeping, node lookup and process helpers.
 */
#ifndef TOOLS_TESS_H
#define TOOLS_TESS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#define TESS_EXIT_ERR    1
#define TESS_EXIT_USAGE  2

#define TESS_PATH_MAX    512
#define TESS_SUN_MAX     107        /* usable bytes of sockaddr_un.sun_path */

struct tess {
	const char *state_arg;          /* --state, else $TESSERA_STATE, else /tmp/tessera-$UID */
	char state[TESS_PATH_MAX];      /* absolute state directory, once resolved */
	char bindir[TESS_PATH_MAX];     /* directory holding the tess binary (build/) */
};

/* Errors: one line to stderr prefixed "tess: ", then exit 1 (die) or 2 (die_usage). */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void die_usage(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...);

/* Option parsing over argv[1..]: argv[0] is the command name. */
struct opts {
	int argc;
	char **argv;
	int i;                          /* next argument to look at */
	const char *cmd;
};
void opts_init(struct opts *o, int argc, char **argv);
/* Next argument, or NULL at the end. */
const char *opts_next(struct opts *o);
/*
 * If arg is the option long (or its short form sh, may be NULL), take its value
 * ("--x V", "--x=V", "-c V", "-cV") into *val and return 1; otherwise 0.
 */
int opts_value(struct opts *o, const char *arg, const char *lng, const char *sh, const char **val);
long parse_long(const char *what, const char *s, long min, long max);
/* Options every command takes (--state DIR, -h/--help); 1 if arg was one of them. */
int opts_common(struct tess *t, struct opts *o, const char *arg);
/* Print the usage text (tess.c). */
void usage(FILE *f);

/* State directory. create=1 for `up`; otherwise a missing directory means no cluster. */
void state_resolve(struct tess *t, int create);
/* Path of something inside the state directory; result in a static rotating buffer. */
const char *spath(const struct tess *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Absolute path of a file next to the tess binary (build/NAME). */
const char *bpath(const struct tess *t, const char *name);

/*
 * The gmmd control socket: one JSON request, one JSON reply line.
 * ctl_try returns NULL and fills err when gmmd is not reachable or its answer
 * is not JSON. ctl_call dies instead, with "no cluster is up" when the socket
 * is absent or refuses, and with gmmd's error text when the reply has ok:false.
 */
json_t *ctl_try(const struct tess *t, json_t *req, int timeout_ms, char *err, size_t errlen);
json_t *ctl_call(const struct tess *t, json_t *req, int timeout_ms);
__attribute__((noreturn)) void die_no_cluster(const struct tess *t);

/* cluster.json: tess's own record of what it started. */
json_t *cluster_load(const struct tess *t);                 /* NULL if absent */
void cluster_save(const struct tess *t, json_t *c);

/* A node as named on the command line: "2", "m1", or a name gmmd knows. */
struct node_ref {
	int id;
	char name[32];
	char role[16];
};
/* Look arg up in a JSON array of {id,name,role}; 0 on success, -1 if unknown. */
int node_lookup(json_t *nodes, const char *arg, struct node_ref *out);
/* Resolve via gmmd's status (ping) or cluster.json (logs, gdb). Dies if unknown. */
void node_resolve_live(const struct tess *t, const char *arg, struct node_ref *out);
void node_resolve_recorded(const struct tess *t, const char *arg, struct node_ref *out);

/* Processes. */
uint64_t now_ms(void);
void sleep_ms(unsigned ms);
pid_t pidfile_read(const char *path);
void pidfile_write(const char *path, pid_t pid);
/* 1 if pid is a live (non-zombie) process whose command line mentions the state dir. */
int proc_of_cluster(const struct tess *t, pid_t pid);
/* Every live process of this cluster found in /proc (qemu, gmmd, hub). */
int cluster_procs(const struct tess *t, pid_t *out, int max);
/*
 * Start argv in its own session, stdin from /dev/null, stdout and stderr to
 * log (truncated unless append). Returns the child's pid.
 */
pid_t spawn(char *const argv[], const char *log, int append);
/* Search $PATH; returns a static buffer or NULL. */
const char *find_in_path(const char *prog);

/* Formatting. */
const char *fmt_dur_ms(uint64_t ms);                        /* "3.2 s", "4m05s", "2h03m" */
const char *fmt_count(uint64_t n);                          /* "1234", "12.3k", "4.5M" */

/* Storage nodes' disks (tess_disk.c). */
/* "256M", "8M", "1G", bytes: 0, or -1 if malformed or out of range. */
int disk_parse_size(const char *s, uint64_t *bytes);
/* DIR/disks/NAME.img into out; built with mke2fs -d build/rootfs if it does not exist. */
void disk_prepare(const struct tess *t, const char *name, uint64_t bytes, char *out, size_t cap);
/* --image FILE: check it and put its absolute path into out. */
void disk_use_image(const char *file, char *out, size_t cap);
/* "16M", "1G", "65536": an ExCache size, 64K..1024G in whole 4K pages; 0, or -1 (tess_run.c). */
int excache_parse_size(const char *s, uint64_t *bytes);
/* s as a QEMU option value (commas doubled), newly allocated. */
char *qemu_escape(const char *s);

/* Commands. */
int cmd_up(struct tess *t, int argc, char **argv);
int cmd_down(struct tess *t, int argc, char **argv);
int cmd_status(struct tess *t, int argc, char **argv);
int cmd_ping(struct tess *t, int argc, char **argv);
int cmd_sql(struct tess *t, int argc, char **argv);
int cmd_logs(struct tess *t, int argc, char **argv);
int cmd_gdb(struct tess *t, int argc, char **argv);
int cmd_fsck(struct tess *t, int argc, char **argv);
int cmd_restart(struct tess *t, int argc, char **argv);
int cmd_fs(struct tess *t, int argc, char **argv);
int cmd_run(struct tess *t, int argc, char **argv);
int cmd_ps(struct tess *t, int argc, char **argv);

#endif
