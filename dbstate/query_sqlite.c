/*
 * dbstate/query_sqlite.c - read-only SQL for the control socket (query.h).
 * Three locks keep it read-only: the connection is opened read-only with
 * PRAGMA query_only, every statement must pass sqlite3_stmt_readonly(), and an
 * authorizer refuses what stmt_readonly lets through but which would still
 * change something: ATTACH/DETACH, transactions (a held read transaction
 * would pin an old snapshot), and PRAGMAs other than known introspection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sqlite3.h>
#include "query.h"

#define DBQ_BUSY_TIMEOUT_MS 1000
#define DBQ_PROGRESS_OPS    10000   /* VM steps between deadline checks */

struct dbq {
	sqlite3 *h;
	char     denied[96];           /* why the authorizer said no, for the error */
	struct timespec deadline;
};

/* PRAGMAs that only read, allowed with any argument (they name a table or index). */
static const char *const pragma_introspect[] = {
	"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
	"foreign_key_list", "database_list", "collation_list", "function_list",
	"compile_options", "integrity_check", "quick_check", "foreign_key_check",
};
/* PRAGMAs that read a setting when given no value (and set it otherwise). */
static const char *const pragma_getters[] = {
	"user_version", "schema_version", "application_id", "page_count", "page_size",
	"freelist_count", "journal_mode", "encoding", "data_version", "query_only",
	"synchronous", "foreign_keys", "busy_timeout", "cache_size",
};

static int in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(name, list[i]) == 0)
			return 1;
	return 0;
}

static int authorize(void *arg, int action, const char *a1, const char *a2,
		     const char *dbname, const char *trigger)
{
	struct dbq *q = arg;

	(void)dbname;
	(void)trigger;
	switch (action) {
	case SQLITE_ATTACH:
		snprintf(q->denied, sizeof(q->denied), "ATTACH is not allowed");
		return SQLITE_DENY;
	case SQLITE_DETACH:
		snprintf(q->denied, sizeof(q->denied), "DETACH is not allowed");
		return SQLITE_DENY;
	case SQLITE_TRANSACTION:
	case SQLITE_SAVEPOINT:
		snprintf(q->denied, sizeof(q->denied), "transaction control is not allowed");
		return SQLITE_DENY;
	case SQLITE_PRAGMA:
		if (a1 && in_list(a1, pragma_introspect,
				  sizeof(pragma_introspect) / sizeof(pragma_introspect[0])))
			return SQLITE_OK;
		if (a1 && !a2 && in_list(a1, pragma_getters,
					 sizeof(pragma_getters) / sizeof(pragma_getters[0])))
			return SQLITE_OK;
		snprintf(q->denied, sizeof(q->denied), "PRAGMA %.40s%s is not allowed",
			 a1 ? a1 : "?", a2 ? " with a value" : "");
		return SQLITE_DENY;
	default:
		return SQLITE_OK;
	}
}

static int past_deadline(void *arg)
{
	struct dbq *q = arg;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > q->deadline.tv_sec ||
	       (now.tv_sec == q->deadline.tv_sec && now.tv_nsec >= q->deadline.tv_nsec);
}

int dbq_open(struct dbq **out, const char *path, char *err, size_t errlen)
{
	struct dbq *q = calloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sqlite3_open_v2(path, &q->h, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(q->h, DBQ_BUSY_TIMEOUT_MS);
		rc = sqlite3_exec(q->h, "PRAGMA query_only=1", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, q->h ? sqlite3_errmsg(q->h) : sqlite3_errstr(rc));
		sqlite3_close(q->h);
		free(q);
		return -EIO;
	}
	sqlite3_db_config(q->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(q->h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_limit(q->h, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_set_authorizer(q->h, authorize, q);
	sqlite3_progress_handler(q->h, DBQ_PROGRESS_OPS, past_deadline, q);
	*out = q;
	return 0;
}

void dbq_close(struct dbq *q)
{
	if (!q)
		return;
	sqlite3_close(q->h);
	free(q);
}

static json_t *hex_string(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);
	json_t *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = 0;
	j = json_string(s);
	free(s);
	return j;
}

static json_t *column_value(sqlite3_stmt *st, int col)
{
	json_t *v = NULL;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
		v = json_integer(sqlite3_column_int64(st, col));
		break;
	case SQLITE_FLOAT:
		v = json_real(sqlite3_column_double(st, col));  /* NULL for NaN/inf */
		break;
	case SQLITE_TEXT:
		v = json_stringn((const char *)sqlite3_column_text(st, col),
				 (size_t)sqlite3_column_bytes(st, col));
		if (!v)     /* not UTF-8: show the bytes */
			v = hex_string(sqlite3_column_text(st, col),
				       (size_t)sqlite3_column_bytes(st, col));
		break;
	case SQLITE_BLOB:
		v = hex_string(sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col));
		break;
	default:
		break;
	}
	return v ? v : json_null();
}

/* Nothing but whitespace and comments left after the first statement? */
static int only_trailing_space(const char *p)
{
	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ';') {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			if (!end)
				return 1;
			p = end + 2;
		} else {
			return 0;
		}
	}
	return 1;
}

static int prepare_readonly(struct dbq *q, const char *sql, sqlite3_stmt **out,
			    char *err, size_t errlen)
{
	const char *tail = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	q->denied[0] = 0;
	rc = sqlite3_prepare_v2(q->h, sql, -1, &st, &tail);
	if (rc != SQLITE_OK) {
		if (q->denied[0]) {
			snprintf(err, errlen, "read-only: %s", q->denied);
			return -EPERM;
		}
		snprintf(err, errlen, "%s", sqlite3_errmsg(q->h));
		return -EINVAL;
	}
	if (!st) {
		snprintf(err, errlen, "empty query");
		return -EINVAL;
	}
	if (!sqlite3_stmt_readonly(st)) {
		snprintf(err, errlen, "read-only: this statement would modify the database");
		sqlite3_finalize(st);
		return -EPERM;
	}
	if (tail && !only_trailing_space(tail)) {
		snprintf(err, errlen, "one statement at a time");
		sqlite3_finalize(st);
		return -EINVAL;
	}
	*out = st;
	return 0;
}

int dbq_run(struct dbq *q, const char *sql, size_t max_rows, json_t **result,
	    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	json_t *res, *cols, *rows;
	size_t nrows = 0;
	int rc, ncol, truncated = 0;

	*result = NULL;
	rc = prepare_readonly(q, sql, &st, err, errlen);
	if (rc < 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &q->deadline);
	q->deadline.tv_sec += DBQ_MAX_MS / 1000;
	q->deadline.tv_nsec += (long)(DBQ_MAX_MS % 1000) * 1000000L;
	if (q->deadline.tv_nsec >= 1000000000L) {
		q->deadline.tv_sec++;
		q->deadline.tv_nsec -= 1000000000L;
	}

	res = json_object();
	cols = json_array();
	rows = json_array();
	ncol = sqlite3_column_count(st);
	for (int i = 0; i < ncol; i++) {
		const char *name = sqlite3_column_name(st, i);
		json_array_append_new(cols, json_string(name ? name : ""));
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row;

		if (nrows >= max_rows) {
			truncated = 1;
			break;
		}
		row = json_array();
		for (int i = 0; i < ncol; i++)
			json_array_append_new(row, column_value(st, i));
		json_array_append_new(rows, row);
		nrows++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		if (rc == SQLITE_INTERRUPT)
			snprintf(err, errlen, "query took longer than %d ms", DBQ_MAX_MS);
		else
			snprintf(err, errlen, "%s", sqlite3_errmsg(q->h));
		sqlite3_finalize(st);
		json_decref(cols);
		json_decref(rows);
		json_decref(res);
		return rc == SQLITE_INTERRUPT ? -ETIMEDOUT : -EIO;
	}
	sqlite3_finalize(st);
	json_object_set_new(res, "columns", cols);
	json_object_set_new(res, "rows", rows);
	json_object_set_new(res, "truncated", json_boolean(truncated));
	*result = res;
	return 0;
}
