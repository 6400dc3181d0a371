/*
 * tests/unit/test_dbstate.c - dbstate: migrations, atomic state changes with
 * their events, the append-only event log, and the read-only query path.
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
#include "dbstate/query.h"
#include "dbstate/schema.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_dbstate.XXXXXX");
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

/* Run one statement on a plain connection, bypassing dbstate; returns the SQLite code. */
static int raw_exec(const char *path, const char *sql, char *msg, size_t msglen)
{
	sqlite3 *h;
	char *e = NULL;
	int rc;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	rc = sqlite3_exec(h, sql, NULL, NULL, &e);
	if (msg)
		snprintf(msg, msglen, "%s", e ? e : "");
	sqlite3_free(e);
	sqlite3_close(h);
	return rc;
}

static long long raw_count(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static struct dbstate *open_db(struct fixture *f)
{
	struct dbstate *s = NULL;
	char err[256];
	int rc = dbstate_open(&s, f->path, err, sizeof(err));

	if (rc < 0)
		fail_msg("dbstate_open: %s", err);
	return s;
}

static void sample_node(struct dbs_node *n, int id, uint64_t nonce)
{
	memset(n, 0, sizeof(*n));
	n->id = id;
	snprintf(n->name, sizeof(n->name), "p%d", id);
	snprintf(n->role, sizeof(n->role), "process");
	snprintf(n->state, sizeof(n->state), "up");
	snprintf(n->mac, sizeof(n->mac), "52:54:00:fa:00:%02x", id);
	n->mem_bytes = 512ull << 20;
	n->caps = 1;
	snprintf(n->transport, sizeof(n->transport), "net");
	n->boot_nonce = nonce;
	dbstate_now_iso(n->joined_at);
	n->incarnation = 1;
}

static void test_migrate_empty(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);

	assert_true(db_schema_latest() >= 1);
	assert_int_equal(dbstate_schema_version(s), db_schema_latest());
	assert_true(dbstate_cluster_id(s) != 0);
	dbstate_close(s);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
				   " ('nodes', 'events', 'cluster', 'schema_version')"), 4);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM schema_version"), db_schema_latest());
	/* WAL is a property of the file: it must stick. */
	assert_int_equal(raw_count(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}

static void test_reopen_idempotent(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	uint64_t id = dbstate_cluster_id(s);

	dbstate_close(s);
	s = open_db(f);
	assert_int_equal(dbstate_cluster_id(s), id);
	assert_int_equal(dbstate_schema_version(s), db_schema_latest());
	dbstate_close(s);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM schema_version"), db_schema_latest());
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM cluster WHERE key = 'cluster_id'"), 1);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	char err[256];

	dbstate_close(s);
	assert_int_equal(raw_exec(f->path, "INSERT INTO schema_version VALUES (999, 'future', 'x')",
				  NULL, 0), SQLITE_OK);
	assert_int_equal(dbstate_open(&s, f->path, err, sizeof(err)), -EPROTO);
	assert_null(s);
	assert_non_null(strstr(err, "newer"));
}

static void test_join_writes_row_and_event(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	struct dbs_node n, got;

	sample_node(&n, 3, 0x1122334455667788ull);
	assert_int_equal(dbstate_node_write(s, &n, "join", "{\"boot_nonce\":\"1122334455667788\"}"), 0);
	assert_int_equal(dbstate_node_get(s, 3, &got), 0);
	assert_string_equal(got.state, "up");
	assert_string_equal(got.role, "process");
	assert_int_equal(got.boot_nonce, 0x1122334455667788ull);
	assert_int_equal(got.mem_bytes, 512ull << 20);
	assert_int_equal(dbstate_node_get(s, 4, &got), -ENOENT);

	assert_int_equal(dbstate_node_set_state(s, 3, "dead", "dead", "{\"last_seen_ms_ago\":3100}"), 0);
	assert_int_equal(dbstate_node_get(s, 3, &got), 0);
	assert_string_equal(got.state, "dead");
	assert_int_equal(dbstate_node_set_state(s, 9, "dead", "dead", NULL), -ENOENT);
	/* A state the schema does not know is refused, with no event. */
	assert_true(dbstate_node_set_state(s, 3, "zombie", "zombie", NULL) < 0);
	dbstate_close(s);

	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE node_id = 3"), 2);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind = 'zombie'"), 0);
	/* Each transaction has its own txn number. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(DISTINCT txn) FROM events"), 2);
}

static void test_failure_mid_transaction_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	struct dbs_node n;
	char msg[128];

	/* Make the event insert (the second write of the transaction) fail. */
	assert_int_equal(raw_exec(f->path, "CREATE TRIGGER inject BEFORE INSERT ON events"
				  " BEGIN SELECT RAISE(ABORT, 'injected failure'); END", msg,
				  sizeof(msg)), SQLITE_OK);
	sample_node(&n, 5, 42);
	assert_true(dbstate_node_write(s, &n, "join", NULL) < 0);
	assert_non_null(strstr(dbstate_errmsg(s), "injected failure"));
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM nodes"), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events"), 0);

	/* The same for a state change of an existing node. */
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER inject", msg, sizeof(msg)), SQLITE_OK);
	assert_int_equal(dbstate_node_write(s, &n, "join", NULL), 0);
	assert_int_equal(raw_exec(f->path, "CREATE TRIGGER inject BEFORE INSERT ON events"
				  " BEGIN SELECT RAISE(ABORT, 'injected failure'); END", msg,
				  sizeof(msg)), SQLITE_OK);
	assert_true(dbstate_node_set_state(s, 5, "dead", "dead", NULL) < 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM nodes WHERE state = 'up'"), 1);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events"), 1);

	/* And the connection is usable afterwards (no transaction left open). */
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER inject", msg, sizeof(msg)), SQLITE_OK);
	assert_int_equal(dbstate_node_set_state(s, 5, "dead", "dead", NULL), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events"), 2);
	dbstate_close(s);
}

static void test_events_append_only(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	char msg[128];

	assert_int_equal(dbstate_event_append(s, -1, "gmmd-start", "{\"pid\":1}"), 0);
	dbstate_close(s);
	assert_int_not_equal(raw_exec(f->path, "UPDATE events SET kind = 'x'", msg, sizeof(msg)),
			     SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	assert_int_not_equal(raw_exec(f->path, "DELETE FROM events", msg, sizeof(msg)), SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM events WHERE kind = 'gmmd-start'"
				   " AND node_id IS NULL"), 1);
}

static struct dbq *open_query(struct fixture *f)
{
	struct dbq *q = NULL;
	char err[256];

	if (dbq_open(&q, f->path, err, sizeof(err)) < 0)
		fail_msg("dbq_open: %s", err);
	return q;
}

static void expect_refused(struct dbq *q, const char *sql)
{
	json_t *res = NULL;
	char err[256] = "";
	int rc = dbq_run(q, sql, DBQ_MAX_ROWS, &res, err, sizeof(err));

	if (rc >= 0 || strncmp(err, "read-only: ", 11) != 0)
		fail_msg("expected refusal for %s, got rc %d err '%s'", sql, rc, err);
	assert_null(res);
}

static void test_query_refuses_writes(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	struct dbq *q;
	char other[128], path2[192];

	q = open_query(f);
	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	snprintf(path2, sizeof(path2), "ATTACH DATABASE '%s' AS o", other);
	expect_refused(q, "INSERT INTO cluster (key, value) VALUES ('x', 'y')");
	expect_refused(q, "UPDATE nodes SET state = 'dead'");
	expect_refused(q, "DELETE FROM cluster");
	expect_refused(q, "DROP TABLE nodes");
	expect_refused(q, "CREATE TABLE t (x)");
	expect_refused(q, path2);
	expect_refused(q, "PRAGMA user_version = 7");
	expect_refused(q, "PRAGMA journal_mode = DELETE");
	expect_refused(q, "PRAGMA query_only = 0");
	expect_refused(q, "PRAGMA writable_schema = 1");
	expect_refused(q, "BEGIN");
	expect_refused(q, "VACUUM");
	dbq_close(q);
	assert_int_not_equal(access(other, F_OK), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM cluster WHERE key = 'x'"), 0);
	assert_int_equal(raw_count(f->path, "PRAGMA user_version"), 0);
	dbstate_close(s);
}

static void test_query_returns_rows(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	struct dbs_node n;
	struct dbq *q;
	json_t *res = NULL, *row;
	char err[256];

	sample_node(&n, 1, 7);
	assert_int_equal(dbstate_node_write(s, &n, "join", NULL), 0);
	q = open_query(f);

	assert_int_equal(dbq_run(q, "SELECT id, name, state, 1.5, NULL, x'00ff' FROM nodes",
				 DBQ_MAX_ROWS, &res, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(res, "columns")), 6);
	assert_string_equal(json_string_value(json_array_get(json_object_get(res, "columns"), 0)), "id");
	assert_int_equal(json_array_size(json_object_get(res, "rows")), 1);
	row = json_array_get(json_object_get(res, "rows"), 0);
	assert_int_equal(json_integer_value(json_array_get(row, 0)), 1);
	assert_string_equal(json_string_value(json_array_get(row, 1)), "p1");
	assert_string_equal(json_string_value(json_array_get(row, 2)), "up");
	assert_true(json_real_value(json_array_get(row, 3)) == 1.5);
	assert_true(json_is_null(json_array_get(row, 4)));
	assert_string_equal(json_string_value(json_array_get(row, 5)), "00ff");
	assert_true(json_is_false(json_object_get(res, "truncated")));
	json_decref(res);

	/* A write on the read-write connection is visible to the next query. */
	assert_int_equal(dbstate_node_set_state(s, 1, "dead", "dead", NULL), 0);
	assert_int_equal(dbq_run(q, "SELECT state FROM nodes WHERE id = 1;  -- trailing comment",
				 DBQ_MAX_ROWS, &res, err, sizeof(err)), 0);
	row = json_array_get(json_object_get(res, "rows"), 0);
	assert_string_equal(json_string_value(json_array_get(row, 0)), "dead");
	json_decref(res);

	/* Introspection PRAGMAs and table-valued pragma functions are fine. */
	assert_int_equal(dbq_run(q, "PRAGMA table_info(nodes)", DBQ_MAX_ROWS, &res, err,
				 sizeof(err)), 0);
	assert_true(json_array_size(json_object_get(res, "rows")) >= 12);
	json_decref(res);
	assert_int_equal(dbq_run(q, "PRAGMA user_version", DBQ_MAX_ROWS, &res, err, sizeof(err)), 0);
	json_decref(res);

	/* Row limit. */
	assert_int_equal(dbq_run(q, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
				 " SELECT x FROM c", 100, &res, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(res, "rows")), 100);
	assert_true(json_is_true(json_object_get(res, "truncated")));
	json_decref(res);

	/* Errors are one line, not crashes. */
	assert_true(dbq_run(q, "SELEC 1", DBQ_MAX_ROWS, &res, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "syntax error"));
	assert_true(dbq_run(q, "SELECT 1; SELECT 2", DBQ_MAX_ROWS, &res, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "one statement"));
	assert_true(dbq_run(q, "   ", DBQ_MAX_ROWS, &res, err, sizeof(err)) < 0);
	dbq_close(q);
	dbstate_close(s);
}

static void test_query_time_limit(void **state)
{
	struct fixture *f = *state;
	struct dbstate *s = open_db(f);
	struct dbq *q = open_query(f);
	json_t *res = NULL;
	char err[256];

	assert_int_equal(dbq_run(q, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
				 " SELECT count(*) FROM c", DBQ_MAX_ROWS, &res, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_non_null(strstr(err, "longer than"));
	dbq_close(q);
	dbstate_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_writes_row_and_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_mid_transaction_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_refuses_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_returns_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_time_limit, setup, teardown),
	};
	return cmocka_run_group_tests_name("dbstate", tests, NULL, NULL);
}
