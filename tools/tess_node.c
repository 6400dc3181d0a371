/*
 * tools/tess_node.c - `tess restart NODE`: stop one node's QEMU (if it still
 * runs) and start it again with the command line `tess up` recorded in
 * DIR/cluster.json, then wait until the new boot has joined. Its disk, MAC and
 * id stay the same, so a restarted storage node serves the same file system.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tess.h"

#define RESTART_TERM_MS  3000
#define RESTART_POLL_MS  100

static json_t *recorded_node(json_t *cl, int id)
{
	json_t *n;
	size_t i;

	json_array_foreach(json_object_get(cl, "nodes"), i, n)
		if (json_integer_value(json_object_get(n, "id")) == id)
			return n;
	return NULL;
}

/* gmmd's view of node id: state and boot nonce (empty strings if unknown). */
static void live_state(const struct tess *t, int id, char *state, size_t scap, char *nonce,
		       size_t ncap)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *r, *n;
	char err[256];
	size_t i;

	state[0] = nonce[0] = 0;
	r = ctl_try(t, req, 2000, err, sizeof(err));
	json_decref(req);
	json_array_foreach(r ? json_object_get(r, "nodes") : NULL, i, n) {
		if (json_integer_value(json_object_get(n, "id")) != id)
			continue;
		snprintf(state, scap, "%s", json_string_value(json_object_get(n, "state")) ?: "");
		snprintf(nonce, ncap, "%s", json_string_value(json_object_get(n, "boot_nonce")) ?: "");
	}
	json_decref(r);
}

static void stop_node(const struct tess *t, pid_t pid)
{
	uint64_t deadline = now_ms() + RESTART_TERM_MS;

	if (!proc_of_cluster(t, pid))
		return;
	kill(pid, SIGTERM);
	while (proc_of_cluster(t, pid) && now_ms() < deadline)
		sleep_ms(20);
	if (proc_of_cluster(t, pid)) {
		kill(pid, SIGKILL);
		while (proc_of_cluster(t, pid))
			sleep_ms(20);
	}
}

int cmd_restart(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a, *v, *which = NULL;
	long timeout_s = 60;
	struct node_ref nr;
	json_t *cl, *n, *args, *x, *req, *r;
	char **qargv, old_state[16], old_nonce[32], state[16], nonce[32];
	const char *qlog;
	uint64_t t0, deadline;
	pid_t launcher, pid;
	size_t i, na;
	int st;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o))) {
		if (opts_common(t, &o, a))
			continue;
		if (opts_value(&o, a, "--timeout", NULL, &v))
			timeout_s = parse_long("--timeout", v, 1, 3600);
		else if (a[0] == '-' && a[1])
			die_usage("restart: unknown option '%s' (tess restart NODE [--timeout SEC])", a);
		else if (!which)
			which = a;
		else
			die_usage("restart: one NODE only (got '%s' and '%s')", which, a);
	}
	if (!which)
		die_usage("restart: which node? (tess restart NODE [--timeout SEC])");
	state_resolve(t, 0);
	cl = cluster_load(t);
	if (!cl)
		die("no cluster was started in %s (tess up)", t->state);
	node_resolve_recorded(t, which, &nr);
	n = recorded_node(cl, nr.id);
	args = json_object_get(n, "argv");
	if (!json_array_size(args))
		die("node %d (%s): no command line recorded in %s (started by an older tess?)",
		    nr.id, nr.name, spath(t, "cluster.json"));
	/* gmmd must be there to see the node join again. */
	req = json_pack("{s:s}", "cmd", "status");
	r = ctl_call(t, req, 5000);
	json_decref(req);
	json_decref(r);

	live_state(t, nr.id, old_state, sizeof(old_state), old_nonce, sizeof(old_nonce));
	stop_node(t, (pid_t)json_integer_value(json_object_get(n, "pid")));
	/* QEMU cannot bind over its old sockets; keep the last boot's console. */
	unlink(spath(t, "fabric/n%d.sock", nr.id));
	unlink(spath(t, "nodes/n%d.gdb", nr.id));
	unlink(spath(t, "nodes/n%d.pid", nr.id));
	rename(spath(t, "nodes/n%d.log", nr.id), spath(t, "nodes/n%d.log.prev", nr.id));

	na = json_array_size(args);
	qargv = calloc(na + 1, sizeof(char *));
	if (!qargv)
		die("out of memory");
	json_array_foreach(args, i, x)
		qargv[i] = (char *)json_string_value(x);
	t0 = now_ms();
	qlog = spath(t, "nodes/n%d.qemu.log", nr.id);
	launcher = spawn(qargv, qlog, 0);
	while (waitpid(launcher, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		FILE *f = fopen(qlog, "r");
		char line[256] = "";

		if (f) {
			if (fgets(line, sizeof(line), f))
				line[strcspn(line, "\n")] = 0;
			fclose(f);
		}
		die("node %d (%s): qemu failed to start: %s (log: %s)", nr.id, nr.name, line, qlog);
	}
	free(qargv);
	pid = pidfile_read(spath(t, "nodes/n%d.pid", nr.id));
	json_object_set_new(n, "pid", json_integer(pid));
	cluster_save(t, cl);

	deadline = t0 + (uint64_t)timeout_s * 1000;
	for (;;) {
		live_state(t, nr.id, state, sizeof(state), nonce, sizeof(nonce));
		if (strcmp(state, "up") == 0 && strcmp(nonce, old_nonce) != 0)
			break;
		if (!proc_of_cluster(t, pid))
			die("node %d (%s) exited before joining; console log: %s", nr.id, nr.name,
			    spath(t, "nodes/n%d.log", nr.id));
		if (now_ms() >= deadline)
			die("node %d (%s) did not join within %ld s; console log: %s", nr.id, nr.name,
			    timeout_s, spath(t, "nodes/n%d.log", nr.id));
		sleep_ms(RESTART_POLL_MS);
	}
	printf("node %d (%s) restarted (pid %ld; was %s) and joined after %.2f s\n", nr.id, nr.name,
	       (long)pid, old_state[0] ? old_state : "unknown", (double)(now_ms() - t0) / 1000.0);
	json_decref(cl);
	return 0;
}
