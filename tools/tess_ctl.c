/*
 * tools/tess_ctl.c - the commands that talk to a running cluster: status,
 * ping and sql go to gmmd's control socket; logs and gdb use the files and
 * sockets in the state directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tessera/wire.h>
#include "tess.h"

#define CTL_TIMEOUT_MS   10000
#define PING_MAX_COUNT   10000

static double jnum(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* ---- status ----------------------------------------------------------------- */

int cmd_status(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a;
	int as_json = 0;
	json_t *req, *r, *n;
	size_t i;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o))) {
		if (opts_common(t, &o, a))
			continue;
		if (strcmp(a, "--json") == 0)
			as_json = 1;
		else
			die_usage("status: unknown argument '%s' (see: tess help)", a);
	}
	state_resolve(t, 0);
	req = json_pack("{s:s}", "cmd", "status");
	r = ctl_call(t, req, CTL_TIMEOUT_MS);
	json_decref(req);
	if (as_json) {
		char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		puts(s);
		free(s);
		json_decref(r);
		return 0;
	}
	printf("cluster %.0f in %s: gmmd pid %.0f, heartbeat %.0f ms, dead after %.0f ms\n",
	       jnum(r, "cluster_id"), t->state, jnum(r, "gmmd_pid"), jnum(r, "hb_ms"),
	       jnum(r, "dead_after_ms"));
	printf("%-4s %-8s %-8s %-7s %-10s %8s %8s %9s %7s %8s %9s\n", "ID", "NAME", "ROLE", "STATE",
	       "SEEN", "RX", "TX", "MALFORMED", "RETRIES", "TIMEOUTS", "UPTIME");
	json_array_foreach(json_object_get(r, "nodes"), i, n) {
		json_t *st = json_object_get(n, "stats");
		char seen[32];

		snprintf(seen, sizeof(seen), "%s ago", fmt_dur_ms((uint64_t)jnum(n, "last_seen_ms_ago")));
		printf("%-4.0f %-8s %-8s %-7s %-10s %8s %8s %9s %7s %8s %9s\n", jnum(n, "id"),
		       jstr(n, "name", "-"), jstr(n, "role", "?"), jstr(n, "state", "?"), seen,
		       fmt_count((uint64_t)jnum(st, "rx_frames")), fmt_count((uint64_t)jnum(st, "tx_frames")),
		       fmt_count((uint64_t)jnum(st, "rx_malformed")), fmt_count((uint64_t)jnum(st, "rpc_retries")),
		       fmt_count((uint64_t)jnum(st, "rpc_timeouts")), fmt_dur_ms((uint64_t)jnum(st, "uptime_ms")));
	}
	if (json_array_size(json_object_get(r, "nodes")) == 0)
		printf("(no nodes have joined)\n");
	if ((n = json_object_get(r, "fabric")))
		printf("gmmd: rx %s, tx %s, malformed %s, joins %s, rejoins %s, deaths %s\n",
		       fmt_count((uint64_t)jnum(n, "rx_frames")), fmt_count((uint64_t)jnum(n, "tx_frames")),
		       fmt_count((uint64_t)jnum(n, "rx_malformed")), fmt_count((uint64_t)jnum(n, "joins")),
		       fmt_count((uint64_t)jnum(n, "rejoins")), fmt_count((uint64_t)jnum(n, "deaths")));
	if ((n = json_object_get(r, "vnodes")))
		printf("vnodes: %s relayed now; %s runs, %s exited, %s failed, %s killed; output %s bytes,"
		       " %s deferred (client slow)\n", fmt_count((uint64_t)jnum(n, "jobs")),
		       fmt_count((uint64_t)jnum(n, "runs")), fmt_count((uint64_t)jnum(n, "exited")),
		       fmt_count((uint64_t)jnum(n, "failed")), fmt_count((uint64_t)jnum(n, "killed")),
		       fmt_count((uint64_t)jnum(n, "out_bytes")), fmt_count((uint64_t)jnum(n, "out_again")));
	json_decref(r);
	return 0;
}

/* ---- ping ------------------------------------------------------------------- */

int cmd_ping(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a, *v, *target = NULL, *from = NULL;
	long count = 5, size = 56;
	struct node_ref to, by;
	json_t *req, *r, *rtts, *x;
	size_t i;
	double received;
	long timeout_ms;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o))) {
		if (opts_common(t, &o, a))
			continue;
		if (opts_value(&o, a, "--count", "-c", &v))
			count = parse_long("-c", v, 1, PING_MAX_COUNT);
		else if (opts_value(&o, a, "--size", "-s", &v))
			size = parse_long("-s", v, 0, FAB_MAX_PAYLOAD);
		else if (opts_value(&o, a, "--from", NULL, &v))
			from = v;
		else if (a[0] == '-' && a[1])
			die_usage("ping: unknown option '%s' (see: tess help)", a);
		else if (!target)
			target = a;
		else
			die_usage("ping: one NODE only (got '%s' and '%s')", target, a);
	}
	if (!target)
		die_usage("ping: which node? (tess ping NODE [-c COUNT] [-s SIZE] [--from NODE])");
	if (from && count > FAB_PING_PEER_MAX)
		die_usage("ping --from: at most %d round trips per request", FAB_PING_PEER_MAX);
	state_resolve(t, 0);
	node_resolve_live(t, target, &to);
	if (from)
		node_resolve_live(t, from, &by);
	req = json_pack("{s:s, s:i, s:i, s:i}", "cmd", "ping", "node", to.id, "count", (int)count,
			"size", (int)size);
	if (from)
		json_object_set_new(req, "from", json_integer(by.id));
	if (from)
		printf("PING node %d (%s) from node %d (%s): %ld x %ld bytes\n", to.id, to.name,
		       by.id, by.name, count, size);
	else
		printf("PING node %d (%s) from gmmd: %ld x %ld bytes\n", to.id, to.name, count, size);
	timeout_ms = 10000 + count * 3000;
	if (timeout_ms > 600000)
		timeout_ms = 600000;
	r = ctl_call(t, req, (int)timeout_ms);
	json_decref(req);
	rtts = json_object_get(r, "rtt_us");
	json_array_foreach(rtts, i, x)
		printf("rtt %zu: %.1f us\n", i + 1, json_number_value(x));
	received = jnum(r, "received");
	printf("--- node %d (%s): %.0f sent, %.0f received ---\n", to.id, to.name, jnum(r, "sent"), received);
	if (received <= 0) {
		json_decref(r);
		die("no reply from node %d (%s)", to.id, to.name);
	}
	printf("min/median/max = %.1f/%.1f/%.1f us\n", jnum(r, "min_us"), jnum(r, "median_us"),
	       jnum(r, "max_us"));
	json_decref(r);
	return 0;
}

/* ---- sql -------------------------------------------------------------------- */

static void print_value(json_t *v)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs(json_string_value(v), stdout);
		break;
	case JSON_INTEGER:
		printf("%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		printf("%.15g", json_real_value(v));
		break;
	case JSON_NULL:
		fputs("NULL", stdout);
		break;
	case JSON_TRUE:
		fputs("1", stdout);
		break;
	case JSON_FALSE:
		fputs("0", stdout);
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fputs(s ? s : "?", stdout);
		free(s);
	}
}

int cmd_sql(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a;
	char query[65536] = "";
	size_t qlen = 0;
	json_t *req, *r, *row, *cell, *cols;
	size_t i, j;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o))) {
		if (opts_common(t, &o, a))
			continue;
		/* Words after the command form the query, as if quoted. */
		if (qlen + strlen(a) + 2 > sizeof(query))
			die_usage("sql: query too long");
		qlen += (size_t)snprintf(query + qlen, sizeof(query) - qlen, "%s%s", qlen ? " " : "", a);
	}
	if (!qlen)
		die_usage("sql: give a query, e.g. tess sql \"SELECT id, name, role, state FROM nodes\"");
	state_resolve(t, 0);
	req = json_pack("{s:s, s:s}", "cmd", "sql", "query", query);
	r = ctl_call(t, req, CTL_TIMEOUT_MS);
	json_decref(req);
	cols = json_object_get(r, "columns");
	json_array_foreach(cols, i, cell) {
		fputs(i ? " | " : "", stdout);
		print_value(cell);
	}
	if (json_array_size(cols))
		putchar('\n');
	json_array_foreach(json_object_get(r, "rows"), i, row) {
		json_array_foreach(row, j, cell) {
			fputs(j ? " | " : "", stdout);
			print_value(cell);
		}
		putchar('\n');
	}
	json_decref(r);
	return 0;
}

/* ---- logs and gdb ------------------------------------------------------------ */

int cmd_logs(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a, *which = NULL, *path;
	int follow = 0;
	struct node_ref n;
	FILE *f;
	char buf[65536];
	size_t got;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o))) {
		if (opts_common(t, &o, a))
			continue;
		if (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0)
			follow = 1;
		else if (a[0] == '-' && a[1])
			die_usage("logs: unknown option '%s' (see: tess help)", a);
		else if (!which)
			which = a;
		else
			die_usage("logs: one NODE only (got '%s' and '%s')", which, a);
	}
	if (!which)
		die_usage("logs: which node? (tess logs NODE|gmmd|hub [-f])");
	state_resolve(t, 0);
	if (strcmp(which, "gmmd") == 0 || strcmp(which, "hub") == 0) {
		path = spath(t, "%s.log", which);
	} else {
		node_resolve_recorded(t, which, &n);
		path = spath(t, "nodes/n%d.log", n.id);
	}
	if (access(path, R_OK))
		die("no log yet at %s", path);
	if (follow) {
		fflush(stdout);
		execlp("tail", "tail", "-n", "+1", "-F", path, (char *)NULL);
		die("cannot run tail: %s", strerror(errno));
	}
	f = fopen(path, "r");
	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, stdout);
	fclose(f);
	return 0;
}

int cmd_gdb(struct tess *t, int argc, char **argv)
{
	struct opts o;
	const char *a, *which = NULL, *gdb, *sock;
	char image[TESS_PATH_MAX], target[TESS_PATH_MAX + 32];
	struct node_ref n;

	opts_init(&o, argc, argv);
	while ((a = opts_next(&o))) {
		if (opts_common(t, &o, a))
			continue;
		if (a[0] == '-' && a[1])
			die_usage("gdb: unknown option '%s' (see: tess help)", a);
		else if (!which)
			which = a;
		else
			die_usage("gdb: one NODE only (got '%s' and '%s')", which, a);
	}
	if (!which)
		die_usage("gdb: which node? (tess gdb NODE)");
	state_resolve(t, 0);
	node_resolve_recorded(t, which, &n);
	sock = spath(t, "nodes/n%d.gdb", n.id);
	if (access(sock, F_OK))
		die("node %d (%s) is not running (no gdb stub at %s)", n.id, n.name, sock);
	snprintf(target, sizeof(target), "tessera-%s.elf", n.role);
	snprintf(image, sizeof(image), "%s", bpath(t, target));
	if (access(image, R_OK))
		die("%s not found (run make)", image);
	gdb = find_in_path("gdb");
	if (!gdb)
		die("gdb not found (run make deps)");
	snprintf(target, sizeof(target), "target remote %s", sock);
	fflush(stdout);
	execl(gdb, "gdb", "-q", image, "-ex", target, (char *)NULL);
	die("cannot run %s: %s", gdb, strerror(errno));
}
