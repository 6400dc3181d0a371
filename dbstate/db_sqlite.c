/*
 * dbstate/db_sqlite.c - db.h over SQLite: WAL journal, synchronous=NORMAL
 * (a commit survives a gmmd crash; only a host crash may lose the last few),
 * a busy timeout so a reader never makes a write fail at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include "db.h"

#define DB_BUSY_TIMEOUT_MS 1000    /* gmmd is single-threaded: never stall it long */

struct db {
	sqlite3 *h;
	char     err[256];       /* last failure, kept across a following ROLLBACK */
};

struct db_stmt {
	sqlite3_stmt *h;
	struct db *db;
};

static int errno_of(int rc);

/* Remember why the last call failed, then map the code to an errno. */
static int fail(struct db *db, int rc)
{
	snprintf(db->err, sizeof(db->err), "%s", sqlite3_errmsg(db->h));
	return errno_of(rc) ? errno_of(rc) : -EIO;
}

static int errno_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EPERM;
	default:
		return -EIO;
	}
}

int db_open(struct db **out, const char *path, char *err, size_t errlen)
{
	struct db *db = calloc(1, sizeof(*db));
	int rc;

	*out = NULL;
	if (!db) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	rc = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			  " PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	*out = db;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
	sqlite3_close(db->h);
	free(db);
	return errno_of(rc) ? errno_of(rc) : -EIO;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	free(db);
}

const char *db_errmsg(const struct db *db)
{
	if (!db)
		return "no database";
	return db->err[0] ? db->err : "not an error";
}

int db_exec(struct db *db, const char *sql)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(db, rc);
}

int db_begin(struct db *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

int db_commit(struct db *db)
{
	return db_exec(db, "COMMIT");
}

int db_rollback(struct db *db)
{
	/* The error that made us roll back stays in db_errmsg(), unless this fails too. */
	if (sqlite3_get_autocommit(db->h))
		return 0;
	return db_exec(db, "ROLLBACK");
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct db_stmt *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(db->h, sql, -1, &s->h, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return fail(db, rc);
	}
	s->db = db;
	*out = s;
	return 0;
}

/* "$N" placeholders are named parameters in SQLite: look the name up. */
static int param_index(struct db_stmt *s, int idx)
{
	char name[16];
	int i;

	snprintf(name, sizeof(name), "$%d", idx);
	i = sqlite3_bind_parameter_index(s->h, name);
	return i ? i : idx;
}

int db_bind_i64(struct db_stmt *s, int idx, int64_t v)
{
	return errno_of(sqlite3_bind_int64(s->h, param_index(s, idx), v));
}

int db_bind_text(struct db_stmt *s, int idx, const char *v)
{
	if (!v)
		return errno_of(sqlite3_bind_null(s->h, param_index(s, idx)));
	return errno_of(sqlite3_bind_text(s->h, param_index(s, idx), v, -1, SQLITE_TRANSIENT));
}

int db_step(struct db_stmt *s)
{
	int rc = sqlite3_step(s->h);

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	return fail(s->db, rc);
}

int db_col_is_null(struct db_stmt *s, int col)
{
	return sqlite3_column_type(s->h, col) == SQLITE_NULL;
}

int64_t db_col_i64(struct db_stmt *s, int col)
{
	return sqlite3_column_int64(s->h, col);
}

const char *db_col_text(struct db_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s->h, col);

	return t ? (const char *)t : "";
}

void db_reset(struct db_stmt *s)
{
	sqlite3_reset(s->h);
	sqlite3_clear_bindings(s->h);
}

void db_finalize(struct db_stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->h);
	free(s);
}
