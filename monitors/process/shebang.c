/*
 * shebang.c - parsing the "#!" line of an interpreter script (shebang.h).
 *
 * Like Linux: only the first SHEBANG_BUF bytes count. A line that does not
 * end inside them is still usable if the interpreter's name does (a space,
 * tab or NUL follows it); the argument may then be cut, which is harmless,
 * since the interpreter reads the script itself. A name that may be cut is
 * refused rather than run.
 */
#include <stdint.h>
#include <string.h>
#include <tessera/errno.h>
#include "shebang.h"

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* First character in [s, end) that is not a space or tab, or end. */
static const char *skip_blanks(const char *s, const char *end)
{
	while (s < end && blank(*s))
		s++;
	return s;
}

/* First space, tab or NUL in [s, end), or end. */
static const char *find_break(const char *s, const char *end)
{
	while (s < end && !blank(*s) && *s)
		s++;
	return s;
}

static void copy_span(char *dst, const char *from, const char *to)
{
	size_t n = (size_t)(to - from);

	memcpy(dst, from, n);
	dst[n] = 0;                  /* (a NUL inside the span ends the string earlier) */
}

int shebang_parse(const char *head, size_t len, struct shebang *out)
{
	char buf[SHEBANG_BUF];
	const char *line_end, *name, *name_end, *arg;

	if (len > SHEBANG_BUF)
		len = SHEBANG_BUF;
	if (len < 2 || head[0] != '#' || head[1] != '!')
		return 0;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, head, len);
	memset(out, 0, sizeof(*out));

	line_end = buf;
	while (line_end < buf + sizeof(buf) && *line_end != '\n')
		line_end++;
	if (line_end == buf + sizeof(buf)) {
		/* The line goes on past the buffer: usable only if the name ends inside it. */
		const char *last = buf + sizeof(buf) - 1;   /* the last byte is never part of the line */

		name = skip_blanks(buf + 2, last + 1);
		if (name > last)
			return -ENOEXEC;
		if (find_break(name, last + 1) > last)
			return -ENOEXEC;
		line_end = last;
	}
	while (blank(line_end[-1]))
		line_end--;
	name = skip_blanks(buf + 2, line_end);
	if (name == line_end)
		return -ENOEXEC;                             /* "#!" and nothing after it */
	/* A NUL here gives the empty name, which no file has (ENOENT later), as on Linux. */
	name_end = find_break(name, line_end);
	arg = NULL;
	if (name_end < line_end && *name_end) {
		arg = skip_blanks(name_end, line_end);
		if (arg == line_end)
			arg = NULL;
	}
	copy_span(out->interp, name, name_end);
	if (arg) {
		copy_span(out->arg, arg, line_end);
		out->has_arg = 1;
	}
	return 1;
}
