/*
 * tests/unit/test_dbstate_vnodes.c - dbstate's vNode tables: memory pools
 * written with a memory node's join, placement of a vNode in one transaction,
 * its life (running, exited, failed) with one event per change, and the
 * migration of a database that already has memory nodes.
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
	};
	return cmocka_run_group_tests_name("dbstate_vnodes", tests, NULL, NULL);
}
