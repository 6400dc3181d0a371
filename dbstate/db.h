/*
 * dbstate/db.h - the SQL engine behind dbstate, reduced to what dbstate needs:
 * open, transactions, prepared statements. db_sqlite.c implements it over
 * SQLite; a PostgreSQL backend implements the same calls over libpq.
 * Errors are negative errnos; db_errmsg() has the engine's one-line reason.
 *
 * SQL passed in uses $1, $2, ... placeholders (valid in SQLite and PG).
 */
#ifndef DBSTATE_DB_H
#define DBSTATE_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

enum db_step_result {
	DB_DONE = 0,
	DB_ROW  = 1,
};

/* Open (creating if needed) a read-write database; WAL, synchronous=NORMAL. */
int  db_open(struct db **out, const char *path, char *err, size_t errlen);
void db_close(struct db *db);
const char *db_errmsg(const struct db *db);

/* Run one or more statements that return no rows. */
int db_exec(struct db *db, const char *sql);

/* A write transaction (takes the write lock at once: no upgrade deadlocks). */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

int  db_prepare(struct db *db, const char *sql, struct db_stmt **out);
int  db_bind_i64(struct db_stmt *s, int idx, int64_t v);
int  db_bind_text(struct db_stmt *s, int idx, const char *v);   /* NULL binds SQL NULL */
/* DB_ROW, DB_DONE or -errno. */
int  db_step(struct db_stmt *s);
int  db_col_is_null(struct db_stmt *s, int col);
int64_t db_col_i64(struct db_stmt *s, int col);
/* Valid until the next step/reset; "" for SQL NULL. */
const char *db_col_text(struct db_stmt *s, int col);
void db_reset(struct db_stmt *s);
void db_finalize(struct db_stmt *s);

#endif
