/*
 * dbstate/query.h - run one user-supplied SQL statement read-only and return
 * its result as JSON, for `tess sql` via gmmd's control socket. The
 * connection is opened read-only with query_only set, every statement that
 * would write is refused before it runs, and runtime and rows are bounded so
 * a query cannot stall gmmd's event loop.
 */
#ifndef DBSTATE_QUERY_H
#define DBSTATE_QUERY_H

#include <stddef.h>
#include <jansson.h>

struct dbq;

#define DBQ_MAX_ROWS     10000
#define DBQ_MAX_MS       2000      /* a query running longer is interrupted */

int  dbq_open(struct dbq **out, const char *path, char *err, size_t errlen);
void dbq_close(struct dbq *q);

/*
 * Run sql. On success returns 0 and *result =
 *   {"columns":[...],"rows":[[...],...],"truncated":false}
 * (integers, reals, strings, null; blobs as hex strings; at most max_rows rows,
 * "truncated":true if more existed). On failure returns -errno and err holds a
 * one-line reason; refused writes read "read-only: ...".
 */
int dbq_run(struct dbq *q, const char *sql, size_t max_rows, json_t **result,
	    char *err, size_t errlen);

#endif
