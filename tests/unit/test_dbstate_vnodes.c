/*
 * tests/unit/test_dbstate_vnodes.c - dbstate's vNode tables: memory pools
 * written with a memory node's join, placement of a vNode in one transaction,
 * its life (running, exited, failed) with one event per change, the
 * migration of a database that already has memory nodes, and the reports of
 * process and memory nodes (processes, regions, pool use; reports.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "dbstate/dbstate.h"
#include "dbstate/schema.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_dbstate_vn.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *h;
	int rc;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

static long long raw_count(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* The first column of the first row as text (static buffer). */
static const char *raw_text(const char *path, const char *sql)
{
	static char out[1024];
	sqlite3 *h;
	sqlite3_stmt *st;

	out[0] = 0;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static struct dbstate *open_db(struct fixture *f)
{
	struct dbstate *s = NULL;
	char err[256];

	if (dbstate_open(&s, f->path, err, sizeof(err)) < 0)
		fail_msg("dbstate_open: %s", err);
	return s;
}

static void add_node(struct dbstate *s, int id, const char *role, uint64_t mem, const char *kind,
		     uint64_t nonce)
{
	struct dbs_node n;

	memset(&n, 0, sizeof(n));
	n.id = id;
	snprintf(n.name, sizeof(n.name), "%c%d", role[0], id);
	snprintf(n.role, sizeof(n.role), "%s", role);
	snprintf(n.state, sizeof(n.state), "up");
	snprintf(n.mac, sizeof(n.mac), "52:54:00:fa:00:%02x", id);
	n.mem_bytes = mem;
	snprintf(n.transport, sizeof(n.transport), "net");
	n.boot_nonce = nonce;
	dbstate_now_iso(n.joined_at);
	n.incarnation = 1;
	assert_int_equal(dbstate_node_write(s, &n, kind, NULL), 0);
}

/* p1, p2, m3 (256 MiB), m4 (512 MiB), s5: all up. */
static struct dbstate *cluster(struct fixture *f)
{
	struct dbstate *s = open_db(f);

	add_node(s, 1, "process", 128u << 20, "join", 1);
	add_node(s, 2, "process", 128u << 20, "join", 2);
	add_node(s, 3, "memory", 256u << 20, "join", 3);
	add_node(s, 4, "memory", 512u << 20, "join", 4);
	add_node(s, 5, "storage", 128u << 20, "join", 5);
	return s;
}

static void test_pool_written_with_join(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);

	add_node(s, 2, "memory", 256u << 20, "join", 7);
	add_node(s, 1, "process", 128u << 20, "join", 8);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools"), 1);
	assert_int_equal(raw_count(f->path, "SELECT capacity_bytes FROM pools WHERE node = 2"
				   " AND kind = 'dram'"), 256 << 20);
	/* One transaction: the pool and the join event share a txn number. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind = 'join'"
				   " AND node_id = 2"), 1);

	/* What the node reports as used stays over an 'up' (same boot)... */
	assert_int_equal(dbstate_pool_set_used(s, 2, 1u << 20), 0);
	add_node(s, 2, "memory", 256u << 20, "up", 7);
	assert_int_equal(raw_count(f->path, "SELECT used_bytes FROM pools WHERE node = 2"), 1 << 20);
	/* ...and a new boot starts empty, with its new size, in the same row. */
	add_node(s, 2, "memory", 384u << 20, "rejoin", 9);
	assert_int_equal(raw_count(f->path, "SELECT used_bytes FROM pools WHERE node = 2"), 0);
	assert_int_equal(raw_count(f->path, "SELECT capacity_bytes FROM pools WHERE node = 2"), 384 << 20);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools"), 1);
	dbstate_close(s);
}

static void test_placement(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	struct dbs_placement pl = { 0 };
	struct dbs_vnode v;

	/* Nothing up: a reason, and nothing written. */
	assert_int_equal(dbstate_vnode_create(s, "[\"/bin/true\"]", 0, &pl), -EAGAIN);
	assert_string_equal(pl.why, "no process node is up");
	add_node(s, 1, "process", 128u << 20, "join", 1);
	assert_int_equal(dbstate_vnode_create(s, "[\"/bin/true\"]", 0, &pl), -EAGAIN);
	assert_string_equal(pl.why, "no memory node is up");
	add_node(s, 3, "memory", 256u << 20, "join", 3);
	assert_int_equal(dbstate_vnode_create(s, "[\"/bin/true\"]", 0, &pl), -EAGAIN);
	assert_string_equal(pl.why, "no storage node is up");
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM vnodes"), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind LIKE 'vnode%'"), 0);
	dbstate_close(s);

	teardown(state);
	setup(state);
	f = *state;
	s = cluster(f);
	/* Tie on load: the lowest process node; the memory node with more free capacity. */
	assert_int_equal(dbstate_vnode_create(s, "[\"/bin/busybox\",\"echo\",\"hi\"]", 16u << 20, &pl), 0);
	assert_int_equal(pl.vnode, 1);
	assert_int_equal(pl.pnode, 1);
	assert_int_equal(pl.mnode, 4);
	assert_int_equal(pl.snode, 5);
	assert_int_equal(dbstate_vnode_get(s, 1, &v), 0);
	assert_string_equal(v.state, "starting");
	assert_int_equal(v.excache_bytes, 16u << 20);
	assert_false(v.exited);
	assert_string_equal(raw_text(f->path, "SELECT argv FROM vnodes WHERE id = 1"),
			    "[\"/bin/busybox\",\"echo\",\"hi\"]");
	assert_string_equal(raw_text(f->path, "SELECT detail FROM events WHERE kind = 'vnode-start'"),
			    "{\"vnode\":1,\"pnode\":1,\"mnode\":4,\"snode\":5,\"excache_bytes\":16777216,"
			    "\"argv\":[\"/bin/busybox\",\"echo\",\"hi\"]}");
	assert_int_equal(raw_count(f->path, "SELECT node_id FROM events WHERE kind = 'vnode-start'"), 1);

	/* The next goes to the less loaded process node. */
	assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), 0);
	assert_int_equal(pl.vnode, 2);
	assert_int_equal(pl.pnode, 2);
	/* Memory in use counts: m4 with 400 MiB used has less free than m3. */
	assert_int_equal(dbstate_pool_set_used(s, 4, 400u << 20), 0);
	assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), 0);
	assert_int_equal(pl.mnode, 3);

	/* An asked-for process node must be one, and up. */
	pl.want_pnode = 2;
	assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), 0);
	assert_int_equal(pl.pnode, 2);
	pl.want_pnode = 5;
	assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), -EAGAIN);
	assert_string_equal(pl.why, "node 5 is a storage node, not a process node");
	pl.want_pnode = 9;
	assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), -EAGAIN);
	assert_string_equal(pl.why, "unknown node 9");
	assert_int_equal(dbstate_node_set_state(s, 2, "dead", "dead", NULL), 0);
	pl.want_pnode = 2;
	assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), -EAGAIN);
	assert_string_equal(pl.why, "process node 2 is dead");
	/* A dead node is never picked. */
	pl.want_pnode = 0;
	assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), 0);
	assert_int_equal(pl.pnode, 1);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM vnodes"), 5);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind = 'vnode-start'"), 5);
	dbstate_close(s);
}

static void test_life_of_a_vnode(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = cluster(f);
	struct dbs_placement pl = { 0 };
	struct dbs_vnode v;

	assert_int_equal(dbstate_vnode_create(s, "[\"/bin/sh\"]", 0, &pl), 0);
	assert_int_equal(dbstate_vnode_running(s, pl.vnode, 7, "sh"), 0);
	assert_int_equal(dbstate_vnode_get(s, pl.vnode, &v), 0);
	assert_string_equal(v.state, "running");
	assert_string_equal(raw_text(f->path, "SELECT state || ' ' || comm || ' ' || ppid"
				     " FROM processes WHERE vnode = 1 AND pid = 7"), "running sh 0");
	/* Running twice is refused (it is no longer starting). */
	assert_int_equal(dbstate_vnode_running(s, pl.vnode, 7, "sh"), -ENOENT);

	assert_int_equal(dbstate_vnode_exited(s, pl.vnode, 3 << 8, 4096 * 100,
					      "{\"vnode\":1,\"wait_status\":768}"), 0);
	assert_int_equal(dbstate_vnode_get(s, pl.vnode, &v), 0);
	assert_string_equal(v.state, "exited");
	assert_true(v.exited);
	assert_int_equal(v.wait_status, 3 << 8);
	assert_int_equal(v.excache_bytes, 4096 * 100);
	assert_int_equal(raw_count(f->path, "SELECT wait_status FROM processes WHERE vnode = 1"), 768);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM vnodes WHERE exited_at IS NOT NULL"), 1);
	/* An ended vNode does not end again (a retried exit, a late failure). */
	assert_int_equal(dbstate_vnode_exited(s, pl.vnode, 0, 0, "{}"), -ENOENT);
	assert_int_equal(dbstate_vnode_failed(s, pl.vnode, "{}"), -ENOENT);
	assert_int_equal(dbstate_vnode_get(s, 99, &v), -ENOENT);

	/* Events: start, running, exit on the process node, each its own transaction. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind IN"
				   " ('vnode-start', 'vnode-running', 'vnode-exit') AND node_id = 1"), 3);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(DISTINCT txn) FROM events WHERE kind LIKE 'vnode-%'"),
			 3);

	/* A vNode that fails while starting. */
	assert_int_equal(dbstate_vnode_create(s, "[\"/nope\"]", 0, &pl), 0);
	assert_int_equal(dbstate_vnode_failed(s, pl.vnode, "{\"vnode\":2,\"errno\":2}"), 0);
	assert_int_equal(dbstate_vnode_get(s, pl.vnode, &v), 0);
	assert_string_equal(v.state, "failed");
	assert_false(v.exited);
	/* Failed vNodes do not count as load. */
	assert_int_equal(dbstate_vnode_create(s, "[\"x\"]", 0, &pl), 0);
	assert_int_equal(pl.pnode, 1);
	dbstate_close(s);
}

static void test_failure_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = cluster(f);
	struct dbs_placement pl = { 0 };

	assert_int_equal(raw_exec(f->path, "CREATE TRIGGER inject BEFORE INSERT ON events"
				  " WHEN NEW.kind LIKE 'vnode-%'"
				  " BEGIN SELECT RAISE(ABORT, 'injected failure'); END"), SQLITE_OK);
	assert_true(dbstate_vnode_create(s, "[\"a\"]", 0, &pl) < 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM vnodes"), 0);
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER inject"), SQLITE_OK);
	assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), 0);
	assert_int_equal(dbstate_vnode_running(s, pl.vnode, 1, "a"), 0);
	assert_int_equal(raw_exec(f->path, "CREATE TRIGGER inject BEFORE INSERT ON events"
				  " WHEN NEW.kind LIKE 'vnode-%'"
				  " BEGIN SELECT RAISE(ABORT, 'injected failure'); END"), SQLITE_OK);
	assert_true(dbstate_vnode_exited(s, pl.vnode, 0, 0, "{}") < 0);
	assert_string_equal(raw_text(f->path, "SELECT state FROM vnodes"), "running");
	assert_string_equal(raw_text(f->path, "SELECT state FROM processes"), "running");
	dbstate_close(s);
}

static void test_fail_live(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = cluster(f);
	struct dbs_placement pl = { 0 };

	for (int i = 0; i < 300; i++)
		assert_int_equal(dbstate_vnode_create(s, "[\"a\"]", 0, &pl), 0);
	assert_int_equal(dbstate_vnode_running(s, 1, 1, "a"), 0);
	assert_int_equal(dbstate_vnode_exited(s, 2, 0, 0, "{}"), 0);
	assert_int_equal(dbstate_vnode_fail_live(s, "gmmd restarted"), 299);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM vnodes WHERE state = 'failed'"), 299);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM processes WHERE state = 'exited'"), 1);
	assert_string_equal(raw_text(f->path, "SELECT detail FROM events WHERE kind = 'vnode-failed'"
				     " ORDER BY seq LIMIT 1"), "{\"vnode\":1,\"reason\":\"gmmd restarted\"}");
	assert_int_equal(dbstate_vnode_fail_live(s, "again"), 0);
	dbstate_close(s);
}

/* A database made by the first schema, with a memory node, gets its pool on upgrade. */
static void test_migration_backfills_pools(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s;
	char sql[512];

	assert_true(db_migration_count >= 2);
	assert_int_equal(raw_exec(f->path, db_migrations[0].sql), SQLITE_OK);
	assert_int_equal(raw_exec(f->path, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
				  " name TEXT NOT NULL, applied_at TEXT NOT NULL);"
				  " INSERT INTO schema_version VALUES (1, '001_init', 'then')"), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO nodes (id, role, state, mac, mem_bytes, boot_nonce,"
		 " joined_at) VALUES (2, 'memory', 'up', 'x', %llu, '00', 'then'),"
		 " (1, 'process', 'up', 'y', 1, '00', 'then')", 1ull << 30);
	assert_int_equal(raw_exec(f->path, sql), SQLITE_OK);
	s = open_db(f);
	assert_int_equal(dbstate_schema_version(s), db_schema_latest());
	dbstate_close(s);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools"), 1);
	assert_int_equal(raw_count(f->path, "SELECT capacity_bytes FROM pools WHERE node = 2"), 1ll << 30);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
				   " ('vnodes', 'processes', 'regions', 'pools')"), 4);
	/* 003: the columns the reports fill. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pragma_table_info('processes') WHERE name IN"
				   " ('cmdline', 'as_id', 'mnode')"), 3);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pragma_table_info('regions') WHERE name IN"
				   " ('flags', 'kind', 'file_node', 'file_ino')"), 4);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pragma_table_info('pools') WHERE name IN"
				   " ('spaces', 'reported_at')"), 2);
}

/* ---- reports (reports.c) -------------------------------------------------------------- */

static struct dbs_proc_change chg(uint32_t vnode, int what, uint32_t pid, uint32_t ppid, const char *comm,
				  const char *cmdline, uint64_t as_id, int wait_status)
{
	struct dbs_proc_change c;

	memset(&c, 0, sizeof(c));
	c.vnode = vnode;
	c.what = what;
	c.pid = pid;
	c.ppid = ppid;
	c.as_id = as_id;
	c.mnode = as_id ? 4 : 0;
	c.wait_status = wait_status;
	snprintf(c.comm, sizeof(c.comm), "%s", comm);
	snprintf(c.cmdline, sizeof(c.cmdline), "%s", cmdline);
	return c;
}

/* A running vNode on p1 (its first process pid 1, "sh"): its id. */
static uint32_t running_vnode(struct dbstate *s)
{
	struct dbs_placement pl = { 0 };

	pl.want_pnode = 1;
	assert_int_equal(dbstate_vnode_create(s, "[\"/bin/sh\"]", 0, &pl), 0);
	assert_int_equal(dbstate_vnode_running(s, pl.vnode, 1, "sh"), 0);
	return pl.vnode;
}

static void test_procs_report(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = cluster(f);
	struct dbs_procs_result res;
	uint32_t vn = running_vnode(s), other;
	struct dbs_placement pl = { 0 };
	struct dbs_proc_change c[8];
	int n = 0;

	pl.want_pnode = 2;
	assert_int_equal(dbstate_vnode_create(s, "[\"x\"]", 0, &pl), 0);
	other = pl.vnode;
	c[n++] = chg(vn, DBS_PROC_EXEC, 1, 0, "busybox", "/bin/busybox sh -c x", 100, 0);
	c[n++] = chg(vn, DBS_PROC_FORK, 2, 1, "busybox", "", 101, 0);
	c[n++] = chg(vn, DBS_PROC_EXEC, 2, 1, "sleep", "sleep 1", 102, 0);
	c[n++] = chg(vn, DBS_PROC_EXIT, 2, 1, "sleep", "", 0, 0);
	c[n++] = chg(vn, DBS_PROC_FORK, 3, 1, "busybox", "", 103, 0);
	c[n++] = chg(vn, DBS_PROC_EXIT, 3, 1, "busybox", "", 0, 9);
	c[n++] = chg(other, DBS_PROC_FORK, 7, 1, "x", "", 104, 0);     /* not on p1 */
	c[n++] = chg(999, DBS_PROC_FORK, 7, 1, "x", "", 105, 0);       /* no such vNode */
	assert_int_equal(dbstate_procs_apply(s, 1, c, n, 3, &res), 0);
	assert_int_equal(res.applied, 6);
	assert_int_equal(res.skipped, 2);
	assert_string_equal(raw_text(f->path, "SELECT group_concat(pid || ':' || ppid || ':' || state || ':' ||"
				     " comm || ':' || cmdline || ':' || COALESCE(as_id, '-') || ':' ||"
				     " COALESCE(mnode, '-') || ':' || COALESCE(wait_status, '-'), ' / ')"
				     " FROM (SELECT * FROM processes ORDER BY vnode, pid)"),
			    "1:0:running:busybox:/bin/busybox sh -c x:100:4:- / "
			    "2:1:exited:sleep:sleep 1:102:4:0 / "
			    "3:1:exited:busybox:/bin/busybox sh -c x:103:4:9");
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM processes WHERE exited_at IS NULL"), 1);
	/* One event on p1 for the whole report, with the changes and what the node lost. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind = 'procs' AND node_id = 1"),
			 1);
	assert_string_equal(raw_text(f->path, "SELECT detail FROM events WHERE kind = 'procs'"),
			    "{\"changes\":[{\"vnode\":1,\"pid\":1,\"what\":\"exec\",\"cmdline\":\"/bin/busybox sh -c x\"},"
			    "{\"vnode\":1,\"pid\":2,\"what\":\"fork\",\"ppid\":1},"
			    "{\"vnode\":1,\"pid\":2,\"what\":\"exec\",\"cmdline\":\"sleep 1\"},"
			    "{\"vnode\":1,\"pid\":2,\"what\":\"exit\",\"wait_status\":0},"
			    "{\"vnode\":1,\"pid\":3,\"what\":\"fork\",\"ppid\":1},"
			    "{\"vnode\":1,\"pid\":3,\"what\":\"exit\",\"wait_status\":9}],\"skipped\":2,\"lost\":3}");

	/* An exited process stays exited: a fork or exec that crossed its exit changes nothing. */
	n = 0;
	c[n++] = chg(vn, DBS_PROC_FORK, 3, 1, "late", "", 200, 0);
	c[n++] = chg(vn, DBS_PROC_EXEC, 2, 1, "late", "late", 201, 0);
	assert_int_equal(dbstate_procs_apply(s, 1, c, n, 0, &res), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM processes WHERE state = 'exited'"
				   " AND comm <> 'late' AND as_id < 200"), 2);

	/* Untrusted text is escaped in the event. */
	c[0] = chg(vn, DBS_PROC_EXEC, 1, 0, "q\"\\", "a\"b\\c\n\x7f", 100, 0);
	assert_int_equal(dbstate_procs_apply(s, 1, c, 1, 0, &res), 0);
	assert_string_equal(raw_text(f->path, "SELECT detail FROM events WHERE kind = 'procs'"
				     " ORDER BY seq DESC LIMIT 1"),
			    "{\"changes\":[{\"vnode\":1,\"pid\":1,\"what\":\"exec\","
			    "\"cmdline\":\"a\\\"b\\\\c\\u000a\\u007f\"}]}");
	/* Nothing applied, nothing lost: no event. A bad change refuses the report. */
	assert_int_equal(dbstate_procs_apply(s, 1, c, 0, 0, &res), 0);
	c[0].what = 7;
	assert_int_equal(dbstate_procs_apply(s, 1, c, 1, 0, &res), -EINVAL);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind = 'procs'"), 3);
	dbstate_close(s);
}

/* The process node's report of the first process may come before gmmd records it running. */
static void test_procs_report_order(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = cluster(f);
	struct dbs_placement pl = { 0 };
	struct dbs_procs_result res;
	struct dbs_proc_change c[2];

	pl.want_pnode = 1;
	assert_int_equal(dbstate_vnode_create(s, "[\"/bin/sh\"]", 0, &pl), 0);
	c[0] = chg(pl.vnode, DBS_PROC_EXEC, 1, 0, "sh", "/bin/sh", 100, 0);
	assert_int_equal(dbstate_procs_apply(s, 1, c, 1, 0, &res), 0);
	assert_int_equal(dbstate_vnode_running(s, pl.vnode, 1, "sh"), 0);
	assert_string_equal(raw_text(f->path, "SELECT state || ' ' || cmdline || ' ' || as_id FROM processes"),
			    "running /bin/sh 100");

	/* After the vNode's end: a late child is recorded ended, a late exit gives its status. */
	c[0] = chg(pl.vnode, DBS_PROC_FORK, 2, 1, "sh", "", 101, 0);
	assert_int_equal(dbstate_procs_apply(s, 1, c, 1, 0, &res), 0);
	assert_int_equal(dbstate_vnode_exited(s, pl.vnode, 0, 0, "{}"), 0);
	assert_string_equal(raw_text(f->path, "SELECT state || ' ' || COALESCE(wait_status, '-') FROM processes"
				     " WHERE pid = 2"), "exited -");
	c[0] = chg(pl.vnode, DBS_PROC_FORK, 3, 2, "sh", "", 102, 0);
	c[1] = chg(pl.vnode, DBS_PROC_EXIT, 2, 1, "sh", "", 0, 9);
	assert_int_equal(dbstate_procs_apply(s, 1, c, 2, 0, &res), 0);
	assert_int_equal(res.applied, 2);
	assert_string_equal(raw_text(f->path, "SELECT group_concat(pid || ' ' || state || ' ' ||"
				     " COALESCE(wait_status, '-') || ' ' || (exited_at IS NOT NULL), ', ')"
				     " FROM (SELECT * FROM processes ORDER BY pid)"),
			    "1 exited 0 1, 2 exited 9 1, 3 exited - 1");
	dbstate_close(s);
}

/* Exited rows are bounded: per vNode, and across ended vNodes. */
static void test_procs_bounded(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = cluster(f);
	struct dbs_procs_result res;
	struct dbs_proc_change c[DBS_PROCS_MAX_BATCH];
	uint32_t vn = running_vnode(s), pid = 2, live;
	char sql[160];

	for (int batch = 0; batch < 5; batch++) {
		for (int i = 0; i < DBS_PROCS_MAX_BATCH; i += 2, pid++) {
			c[i] = chg(vn, DBS_PROC_FORK, pid, 1, "sh", "", 1000 + pid, 0);
			c[i + 1] = chg(vn, DBS_PROC_EXIT, pid, 1, "sh", "", 0, 0);
		}
		assert_int_equal(dbstate_procs_apply(s, 1, c, DBS_PROCS_MAX_BATCH, 0, &res), 0);
	}
	/* 320 children exited: the newest 256 stay, and the first process. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM processes WHERE ppid <> 0"),
			 DBS_PROCS_KEEP_EXITED);
	assert_int_equal(raw_count(f->path, "SELECT MIN(pid) FROM processes WHERE ppid <> 0"),
			 pid - DBS_PROCS_KEEP_EXITED);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM processes WHERE pid = 1"), 1);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind = 'procs'"), 5);
	assert_int_equal(dbstate_vnode_exited(s, vn, 0, 0, "{}"), 0);
	live = running_vnode(s);

	/* Process rows of only the newest DBS_PROCS_KEEP_VNODES ended vNodes stay. */
	for (int i = 0; i < DBS_PROCS_KEEP_VNODES + 1; i++) {
		uint32_t v = running_vnode(s);

		assert_int_equal(dbstate_vnode_exited(s, v, 0, 0, "{}"), 0);
	}
	snprintf(sql, sizeof(sql), "SELECT COUNT(DISTINCT vnode) FROM processes WHERE vnode <> %u", live);
	assert_int_equal(raw_count(f->path, sql), DBS_PROCS_KEEP_VNODES);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM processes WHERE vnode IN (%u, %u)", vn, live + 1);
	assert_int_equal(raw_count(f->path, sql), 0);
	/* A live vNode older than those keeps its rows. */
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM processes WHERE vnode = %u", live);
	assert_int_equal(raw_count(f->path, sql), 1);
	dbstate_close(s);
}

static struct dbs_region region(uint64_t start, uint64_t end, uint32_t prot, int file)
{
	struct dbs_region r = { .start = start, .end = end, .prot = prot, .flags = file ? 2 : 0x22,
				.file = file, .file_node = file ? 5 : 0, .file_ino = file ? 12 : 0 };

	return r;
}

static void test_space_report(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = cluster(f);
	uint32_t vn = running_vnode(s);
	struct dbs_space sp = { .as_id = 0x10000000001ull, .vnode = vn, .mapped_bytes = 0x7000 };
	struct dbs_region r[3] = {
		region(0x400000, 0x401000, 5, 1), region(0x401000, 0x403000, 3, 0),
		region(0x7ffffffde000, 0x7ffffffff000, 3, 0),
	};

	assert_int_equal(dbstate_space_report(s, 4, &sp, r, 3), 0);
	assert_string_equal(raw_text(f->path, "SELECT group_concat(printf('%x-%x %d %x %s %s %s %d', start_addr,"
				     " end_addr, prot, flags, kind, COALESCE(file_node, '-'), COALESCE(file_ino, '-'),"
				     " mnode), ' / ') FROM (SELECT * FROM regions ORDER BY start_addr)"),
			    "400000-401000 5 2 file 5 12 4 / 401000-403000 3 22 anon - - 4 / "
			    "7ffffffde000-7ffffffff000 3 22 anon - - 4");
	assert_string_equal(raw_text(f->path, "SELECT detail FROM events WHERE kind = 'space-regions'"),
			    "{\"vnode\":1,\"as_id\":1099511627777,\"mnode\":4,\"regions\":3,\"mapped_bytes\":28672}");
	assert_int_equal(raw_count(f->path, "SELECT node_id FROM events WHERE kind = 'space-regions'"), 4);

	/* A new list replaces the old one, in one transaction. */
	r[1].end = 0x402000;
	assert_int_equal(dbstate_space_report(s, 4, &sp, r, 2), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM regions"), 2);
	assert_int_equal(raw_count(f->path, "SELECT MAX(end_addr) FROM regions"), 0x402000);

	/* Bad lists change nothing: overlapping, empty, above the user half. */
	r[1] = region(0x400800, 0x402000, 3, 0);
	assert_int_equal(dbstate_space_report(s, 4, &sp, r, 2), -EINVAL);
	r[1] = region(0x402000, 0x402000, 3, 0);
	assert_int_equal(dbstate_space_report(s, 4, &sp, r, 2), -EINVAL);
	r[1] = region(0x402000, 0x1000000000000ull, 3, 0);
	assert_int_equal(dbstate_space_report(s, 4, &sp, r, 2), -EINVAL);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM regions"), 2);

	/* A vNode gmmd does not know: nothing recorded. */
	sp.vnode = 77;
	assert_int_equal(dbstate_space_report(s, 4, &sp, r, 1), -ENOENT);
	sp.vnode = vn;

	/* A second space on the other memory node; the first one is destroyed. */
	sp.as_id = 2;
	r[0] = region(0x400000, 0x401000, 1, 0);
	assert_int_equal(dbstate_space_report(s, 3, &sp, r, 1), 0);
	sp.as_id = 0x10000000001ull;
	sp.gone = 1;
	assert_int_equal(dbstate_space_report(s, 4, &sp, NULL, 0), 0);
	assert_string_equal(raw_text(f->path, "SELECT as_id || ' ' || mnode FROM regions"), "2 3");
	assert_string_equal(raw_text(f->path, "SELECT detail FROM events WHERE kind = 'space-gone'"),
			    "{\"vnode\":1,\"as_id\":1099511627777,\"mnode\":4}");
	assert_int_equal(dbstate_space_report(s, 4, &sp, r, 1), -EINVAL);   /* gone with regions */

	/* A memory node that boots again has lost its spaces. */
	add_node(s, 3, "memory", 256u << 20, "up", 3);          /* the same boot: kept */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM regions"), 1);
	add_node(s, 3, "memory", 256u << 20, "rejoin", 33);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM regions"), 0);
	dbstate_close(s);
}

static void test_pool_report(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = cluster(f);

	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools WHERE reported_at IS NULL"), 2);
	assert_int_equal(dbstate_pool_report(s, 4, 400u << 20, 3u << 20, 2, 0, 0), 0);
	assert_string_equal(raw_text(f->path, "SELECT capacity_bytes || ' ' || used_bytes || ' ' || spaces ||"
				     " ' ' || (reported_at IS NOT NULL) FROM pools WHERE node = 4"),
			    "419430400 3145728 2 1");
	assert_int_equal(raw_count(f->path, "SELECT used_bytes FROM pools WHERE node = 3"), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools WHERE kind = 'cxl'"), 0);
	assert_int_equal(dbstate_pool_report(s, 1, 1, 0, 0, 0, 0), -ENOENT);    /* a process node has no pool */
	assert_int_equal(dbstate_pool_report(s, 4, 1ull << 63, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(dbstate_pool_report(s, 4, 1, 0, 0, 8, 9), -EINVAL);      /* more used than there is */
	/* Pool windows: a 'cxl' row of their own, with its latency class, made once and kept up to date. */
	assert_int_equal(dbstate_pool_report(s, 4, 100u << 20, 1u << 20, 3, 1u << 30, 5u << 20), 0);
	assert_int_equal(dbstate_pool_report(s, 4, 100u << 20, 1u << 20, 3, 1u << 30, 6u << 20), 0);
	assert_string_equal(raw_text(f->path, "SELECT capacity_bytes || ' ' || used_bytes || ' ' || latency_class"
				     " FROM pools WHERE node = 4 AND kind = 'cxl'"), "1073741824 6291456 3000");
	assert_string_equal(raw_text(f->path, "SELECT capacity_bytes || ' ' || used_bytes FROM pools"
				     " WHERE node = 4 AND kind = 'dram'"), "104857600 1048576");
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools WHERE kind = 'cxl'"), 1);
	/* "Under 250 us" is a WHERE clause. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools WHERE latency_class < 250000"
				   " AND kind = 'cxl' AND capacity_bytes - used_bytes > 0"), 1);
	/* A report without windows (the node came back with --pool off) drops the row. */
	assert_int_equal(dbstate_pool_report(s, 4, 100u << 20, 1u << 20, 3, 0, 0), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools WHERE kind = 'cxl'"), 0);
	/* A failed report changes nothing. */
	assert_int_equal(dbstate_pool_report(s, 1, 1, 0, 0, 1u << 30, 0), -ENOENT);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM pools WHERE kind = 'cxl'"), 0);
	/* A measurement, not a state change: no event. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind NOT IN ('join')"), 0);
	dbstate_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_written_with_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_life_of_a_vnode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_backfills_pools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procs_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procs_report_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procs_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_space_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_report, setup, teardown),
	};
	return cmocka_run_group_tests_name("dbstate_vnodes", tests, NULL, NULL);
}
