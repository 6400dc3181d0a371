/*
 * shebang.h - the "#!" line of an interpreter script, read the way Linux's
 * binfmt_script reads it: from the file's first 256 bytes, an interpreter
 * path and at most one argument (the rest of the line, spaces included).
 * Pure logic, host-testable (tests/unit/test_shebang.c).
 */
#ifndef MONITORS_PROCESS_SHEBANG_H
#define MONITORS_PROCESS_SHEBANG_H
#include <stddef.h>

#define SHEBANG_BUF 256          /* bytes of the file's head that are looked at (Linux's BINPRM_BUF_SIZE) */

struct shebang {
	char interp[SHEBANG_BUF];
	char arg[SHEBANG_BUF];       /* the optional argument, "" if none */
	int has_arg;
};

/*
 * head holds the first len bytes of a file (len < SHEBANG_BUF only if the
 * file is shorter). Returns 1 and fills out for a script, 0 if head does not
 * start with "#!", -ENOEXEC if the line names no interpreter or the name is
 * cut off by the end of the buffer.
 */
int shebang_parse(const char *head, size_t len, struct shebang *out);
#endif
