/*
 * dbstate/state.c - opening the state database: migrations, the cluster id,
 * and state-change transactions, numbered so that events.txn groups the
 * events one transaction wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "schema.h"
#include "state_priv.h"

void dbstate_now_iso(char ts[DBS_TS_LEN])
{
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(ts, DBS_TS_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, DBS_TS_LEN - n, ".%03uZ", (unsigned)(now.tv_nsec / 1000000) % 1000u);
}

static int64_t query_i64(struct db *db, const char *sql, int64_t dflt)
{
	struct db_stmt *st;
	int64_t v = dflt;

	if (db_prepare(db, sql, &st) < 0)
		return dflt;
	if (db_step(st) == DB_ROW && !db_col_is_null(st, 0))
		v = db_col_i64(st, 0);
	db_finalize(st);
	return v;
}

/* Create the cluster id on first open; read it on every open. */
static int load_cluster_id(struct dbstate *s)
{
	struct db_stmt *st;
	char ts[DBS_TS_LEN], idtext[24];
	uint64_t id;
	int rc;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)clock();
	/* 53 bits: exact in BIGINT, in JSON integers and in doubles (jq, JavaScript, %.0f). */
	id &= (1ull << 53) - 1;
	if (id == 0)
		id = 1;
	snprintf(idtext, sizeof(idtext), "%llu", (unsigned long long)id);
	dbstate_now_iso(ts);
	rc = db_prepare(s->db, "INSERT INTO cluster (key, value) VALUES ('cluster_id', $1),"
			" ('created_at', $2) ON CONFLICT (key) DO NOTHING", &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, idtext);
	db_bind_text(st, 2, ts);
	rc = db_step(st);
	db_finalize(st);
	if (rc < 0)
		return rc;
	rc = db_prepare(s->db, "SELECT value FROM cluster WHERE key = 'cluster_id'", &st);
	if (rc < 0)
		return rc;
	rc = db_step(st);
	if (rc == DB_ROW) {
		s->cluster_id = strtoull(db_col_text(st, 0), NULL, 10);
		rc = 0;
	} else if (rc == DB_DONE) {
		rc = -ENOENT;
	}
	db_finalize(st);
	return rc;
}

int dbstate_open(struct dbstate **out, const char *path, char *err, size_t errlen)
{
	struct dbstate *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = db_open(&s->db, path, err, errlen);
	if (rc < 0)
		goto fail;
	rc = db_migrate(s->db, err, errlen);
	if (rc < 0)
		goto fail;
	rc = load_cluster_id(s);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot set up cluster id: %s", path, db_errmsg(s->db));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	db_close(s->db);
	free(s);
	return rc;
}

void dbstate_close(struct dbstate *s)
{
	if (!s)
		return;
	db_close(s->db);
	free(s);
}

const char *dbstate_errmsg(struct dbstate *s)
{
	return db_errmsg(s->db);
}

uint64_t dbstate_cluster_id(const struct dbstate *s)
{
	return s->cluster_id;
}

int dbstate_schema_version(struct dbstate *s)
{
	return db_schema_version(s->db);
}

int dbs_begin(struct dbstate *s)
{
	int rc = db_begin(s->db);

	if (rc < 0)
		return rc;
	/* Under the write lock, so numbers stay unique even with several writers. */
	s->txn = query_i64(s->db, "SELECT txn FROM events ORDER BY seq DESC LIMIT 1", 0) + 1;
	return 0;
}

int dbs_commit(struct dbstate *s)
{
	int rc = db_commit(s->db);

	if (rc < 0) {
		dbs_rollback(s);
		return rc;
	}
	s->txn = 0;
	return 0;
}

void dbs_rollback(struct dbstate *s)
{
	db_rollback(s->db);
	s->txn = 0;
}
