/*
 * dbstate/migrate.c - apply the embedded schema migrations in order, each in
 * one transaction together with its schema_version row, so a database is
 * always at exactly one version. Safe to run at every open and from two
 * processes at once (the version is re-read under the write lock).
 */
#include <errno.h>
#include <stdio.h>
#include "db.h"
#include "schema.h"
#include "dbstate.h"

static const char *const create_version_table =
	"CREATE TABLE IF NOT EXISTS schema_version ("
	" version    INTEGER PRIMARY KEY,"
	" name       TEXT NOT NULL,"
	" applied_at TEXT NOT NULL)";

int db_schema_latest(void)
{
	return (int)db_migration_count;
}

int db_schema_version(struct db *db)
{
	struct db_stmt *s;
	int rc;

	rc = db_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &s);
	if (rc < 0)
		return rc;
	rc = db_step(s);
	if (rc == DB_ROW)
		rc = (int)db_col_i64(s, 0);
	else if (rc == DB_DONE)
		rc = 0;
	db_finalize(s);
	return rc;
}

static int record_version(struct db *db, const struct db_migration *m)
{
	struct db_stmt *s;
	char ts[DBS_TS_LEN];
	int rc;

	dbstate_now_iso(ts);
	rc = db_prepare(db, "INSERT INTO schema_version (version, name, applied_at)"
			" VALUES ($1, $2, $3)", &s);
	if (rc < 0)
		return rc;
	db_bind_i64(s, 1, m->version);
	db_bind_text(s, 2, m->name);
	db_bind_text(s, 3, ts);
	rc = db_step(s);
	db_finalize(s);
	return rc < 0 ? rc : 0;
}

/* Apply migration m unless another process already did. */
static int apply_one(struct db *db, const struct db_migration *m, char *err, size_t errlen)
{
	int rc, cur;

	rc = db_begin(db);
	if (rc < 0)
		goto fail;
	cur = db_schema_version(db);
	if (cur < 0) {
		rc = cur;
		goto fail;
	}
	if (cur >= m->version)
		return db_rollback(db);
	rc = db_exec(db, m->sql);
	if (rc < 0)
		goto fail;
	rc = record_version(db, m);
	if (rc < 0)
		goto fail;
	rc = db_commit(db);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "schema migration %s failed: %s", m->name, db_errmsg(db));
	db_rollback(db);
	return rc;
}

int db_migrate(struct db *db, char *err, size_t errlen)
{
	int rc, cur;

	rc = db_exec(db, create_version_table);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create schema_version: %s", db_errmsg(db));
		return rc;
	}
	cur = db_schema_version(db);
	if (cur < 0) {
		snprintf(err, errlen, "cannot read schema_version: %s", db_errmsg(db));
		return cur;
	}
	if (cur > db_schema_latest()) {
		snprintf(err, errlen, "database schema version %d is newer than this build knows (%d)",
			 cur, db_schema_latest());
		return -EPROTO;
	}
	for (unsigned i = 0; i < db_migration_count; i++) {
		if (db_migrations[i].version <= cur)
			continue;
		rc = apply_one(db, &db_migrations[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}
