/*
 * dbstate/schema.h - the schema migrations embedded at build time from
 * dbstate/schema/NNN_name.sql (see embed-schema.sh), applied in order by
 * db_migrate(): each one in its own transaction with its schema_version row.
 */
#ifndef DBSTATE_SCHEMA_H
#define DBSTATE_SCHEMA_H

#include <stddef.h>

struct db;

struct db_migration {
	int         version;     /* 1, 2, 3, ... */
	const char *name;        /* "001_init" */
	const char *sql;         /* the file's text, NUL-terminated */
};

extern const struct db_migration db_migrations[];
extern const unsigned db_migration_count;

/* Latest version this build knows. */
int db_schema_latest(void);

/*
 * Bring the database up to db_schema_latest(). Returns 0, or a negative errno
 * with a one-line reason in err (a newer database than this build: -EPROTO).
 */
int db_migrate(struct db *db, char *err, size_t errlen);

/* Version recorded in schema_version (0 for an empty database), or -errno. */
int db_schema_version(struct db *db);

#endif
