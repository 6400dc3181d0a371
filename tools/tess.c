/*
 * tools/tess.c - the tess command line: global options and dispatch.
 * Each command lives in tess_up.c (up, down), tess_node.c (restart),
 * tess_disk.c (fsck), tess_fs.c (fs) or tess_ctl.c (the rest).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>
#include "tess.h"

static const char usage_text[] =
"usage: tess [--state DIR] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  up [--pnodes N] [--mnodes N] [--snodes N] [--accel kvm|tcg] [--timeout SEC]\n"
"     [--mem-mb M] [--bios seabios|qboot] [--append \"KEY=VALUE ...\"]\n"
"     [--disk-size SIZE] [--image FILE] [--excache SIZE]\n"
"                         start gmmd, the fabric hub and the QEMU nodes; wait until\n"
"                         every node has joined (default 1 process, 1 memory, 1 storage).\n"
"                         Storage nodes get DIR/disks/sN.img (ext2, built on first use,\n"
"                         default 256M); --image FILE is the first one's disk, written in place\n"
"                         --excache SIZE: the process nodes' ExCache (e.g. 64M)\n"
"  restart NODE           restart one node's QEMU as tess up started it; wait until it joins\n"
"  fsck                   e2fsck -fn the disk images of the stopped cluster\n""  fs ls|cat|get|put|stat|mkdir|rm|rmdir|mv|ln|df ...\n"
"                         the storage node's files, through gmmd (tess fs --help)\n"
"  run [--excache SIZE] [--stats] [--pnode NODE] [-e VAR=VALUE]... -- PATH [ARGS...]\n"
"                         run PATH (in the cluster's storage) in a new vNode; relays stdin,\n"
"                         stdout, stderr and signals; exits with its status (128+signal)\n"
"  ps [--json]            the vNodes that run, and their processes\n"
"  down                   stop every process of the cluster (logs and state.db stay)\n"
"  status [--json]        nodes, their state and counters, as gmmd sees them\n"
"  logs NODE|gmmd|hub [-f] print (or follow) a node's console or a daemon's log\n"
"  gdb NODE               attach gdb, with the monitor image's symbols, to NODE\n"
"  ping NODE [-c COUNT] [-s SIZE] [--from NODE]\n"
"                         fabric round trips from gmmd (or from another node)\n"
"  sql \"SELECT ...\"       read-only query of the cluster state tables\n"
"  help                   this text\n"
"\n"
"NODE is an id (1) or a name (p1, m1, s1). The state directory defaults to\n"
"$TESSERA_STATE, else /tmp/tessera-$UID.\n";

void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Directory of the running binary, so build/ images are found from any cwd. */
static void find_bindir(struct tess *t)
{
	char exe[TESS_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0 || n >= (ssize_t)sizeof(exe) - 1)
		die("cannot read /proc/self/exe");
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(t->bindir, sizeof(t->bindir), "%s", exe);
}

static const struct {
	const char *name;
	int (*fn)(struct tess *t, int argc, char **argv);
} commands[] = {
	{ "up", cmd_up },
	{ "down", cmd_down },
	{ "status", cmd_status },
	{ "ping", cmd_ping },
	{ "sql", cmd_sql },
	{ "logs", cmd_logs },
	{ "gdb", cmd_gdb },
	{ "restart", cmd_restart },
	{ "fsck", cmd_fsck },
	{ "fs", cmd_fs },
	{ "run", cmd_run },
	{ "ps", cmd_ps },
};

int main(int argc, char **argv)
{
	struct tess t;
	int i = 1;

	memset(&t, 0, sizeof(t));
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_bindir(&t);

	/* Global options before the command. */
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];

		if (strcmp(a, "--state") == 0) {
			if (i + 1 >= argc)
				die_usage("--state needs a directory");
			t.state_arg = argv[i + 1];
			i += 2;
		} else if (strncmp(a, "--state=", 8) == 0) {
			t.state_arg = a + 8;
			i++;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			die_usage("unknown option '%s' (see: tess help)", a);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return TESS_EXIT_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].fn(&t, argc - i, argv + i);
	die_usage("unknown command '%s' (see: tess help)", argv[i]);
}
