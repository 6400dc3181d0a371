/*
 * tests/unit/test_shebang.c - the "#!" line of interpreter scripts
 * (monitors/process/shebang.c) as Linux's binfmt_script reads it: name and
 * one optional argument, blanks, lines longer than the 256-byte head (the
 * argument may be cut, the name may not), NULs, and files that are not
 * scripts at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <tessera/errno.h>
#include "monitors/process/shebang.h"

static int parse(const char *head, size_t len, struct shebang *sb)
{
	return shebang_parse(head, len, sb);
}

static int parse_str(const char *s, struct shebang *sb)
{
	return parse(s, strlen(s), sb);
}

static void expect_script(const char *s, const char *interp, const char *arg)
{
	struct shebang sb;

	assert_int_equal(parse_str(s, &sb), 1);
	assert_string_equal(sb.interp, interp);
	if (arg) {
		assert_int_equal(sb.has_arg, 1);
		assert_string_equal(sb.arg, arg);
	} else {
		assert_int_equal(sb.has_arg, 0);
		assert_string_equal(sb.arg, "");
	}
}

static void test_plain(void **state)
{
	(void)state;
	expect_script("#!/bin/sh\necho hi\n", "/bin/sh", NULL);
	expect_script("#!/bin/busybox sh\n", "/bin/busybox", "sh");
	expect_script("#! /bin/busybox sh\n", "/bin/busybox", "sh");
	expect_script("#!relative/interp\n", "relative/interp", NULL);
}

static void test_blanks(void **state)
{
	(void)state;
	expect_script("#!  \t/bin/busybox \t sh \t \n", "/bin/busybox", "sh");
	expect_script("#!/bin/sh   \n", "/bin/sh", NULL);
	expect_script("#!/bin/sh\t\n", "/bin/sh", NULL);
	/* One argument: the rest of the line, inner blanks kept. */
	expect_script("#!/usr/bin/env busybox sh -e\n", "/usr/bin/env", "busybox sh -e");
	expect_script("#!/bin/sh -x \t\n", "/bin/sh", "-x");
	/* Only blanks and newline are special: \r is part of the name. */
	expect_script("#!/bin/sh\r\n", "/bin/sh\r", NULL);
}

static void test_no_newline(void **state)
{
	(void)state;
	/* A short file without a newline: the zero padding ends the name. */
	expect_script("#!/nope", "/nope", NULL);
	expect_script("#!/bin/busybox sh", "/bin/busybox", "sh");
}

static void test_not_scripts(void **state)
{
	struct shebang sb;

	(void)state;
	assert_int_equal(parse("", 0, &sb), 0);
	assert_int_equal(parse("#", 1, &sb), 0);
	assert_int_equal(parse_str("# !/bin/sh\n", &sb), 0);
	assert_int_equal(parse_str("!#/bin/sh\n", &sb), 0);
	assert_int_equal(parse("\177ELF\2\1\1", 7, &sb), 0);
	assert_int_equal(parse_str(" #!/bin/sh\n", &sb), 0);
}

static void test_no_interpreter(void **state)
{
	struct shebang sb;
	char buf[400];

	(void)state;
	assert_int_equal(parse_str("#!\n", &sb), -ENOEXEC);
	assert_int_equal(parse_str("#!   \t \nx", &sb), -ENOEXEC);
	/* A head of nothing but blanks, no newline. */
	memset(buf, ' ', sizeof(buf));
	buf[0] = '#';
	buf[1] = '!';
	assert_int_equal(parse(buf, SHEBANG_BUF, &sb), -ENOEXEC);
}

static void test_long_lines(void **state)
{
	struct shebang sb;
	char buf[400], want[300];

	(void)state;
	/* The argument is cut at byte 255 (the last byte of the head is not part of the line). */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "#!/bin/sh ", 10);
	assert_int_equal(parse(buf, SHEBANG_BUF, &sb), 1);
	assert_string_equal(sb.interp, "/bin/sh");
	assert_int_equal(sb.has_arg, 1);
	assert_int_equal(strlen(sb.arg), SHEBANG_BUF - 1 - 10);

	/* A name that fills the head could be cut: refused. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "#!/", 3);
	assert_int_equal(parse(buf, SHEBANG_BUF, &sb), -ENOEXEC);

	/* A name that ends in the head's last byte (a blank there) is whole. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "#!/", 3);
	buf[SHEBANG_BUF - 1] = ' ';
	assert_int_equal(parse(buf, SHEBANG_BUF, &sb), 1);
	memset(want, 'a', sizeof(want));
	want[0] = '/';
	want[SHEBANG_BUF - 3] = 0;
	assert_string_equal(sb.interp, want);
	assert_int_equal(sb.has_arg, 0);

	/* ... but a blank one byte too late is not. */
	buf[SHEBANG_BUF - 1] = 'a';
	buf[SHEBANG_BUF] = ' ';
	assert_int_equal(parse(buf, SHEBANG_BUF + 1, &sb), -ENOEXEC);

	/* A newline past the head does not count. */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "#!/bin/sh", 9);
	buf[300] = '\n';
	assert_int_equal(parse(buf, sizeof(buf), &sb), 1);
	assert_string_equal(sb.interp, "/bin/sh");
	assert_int_equal(sb.has_arg, 0);
}

static void test_nuls(void **state)
{
	struct shebang sb;

	(void)state;
	assert_int_equal(parse("#!/bin/sh\0junk\n", 15, &sb), 1);
	assert_string_equal(sb.interp, "/bin/sh");
	assert_int_equal(sb.has_arg, 0);
	assert_int_equal(parse("#!/bin/sh -e\0junk\n", 18, &sb), 1);
	assert_string_equal(sb.arg, "-e");
	/* Just "#!": the empty name, which no file has (ENOENT when it is opened). */
	assert_int_equal(parse("#!", 2, &sb), 1);
	assert_string_equal(sb.interp, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_blanks),
		cmocka_unit_test(test_no_newline),
		cmocka_unit_test(test_not_scripts),
		cmocka_unit_test(test_no_interpreter),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_nuls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
