/*
 * tests/unit/test_cmdline.c - the node boot command line (kernel/cmdline.c)
 * against the table in docs/interfaces.md "Node boot command line": defaults,
 * every key, every rejected value with a message naming it, short error
 * buffers, and a seeded random-input loop (run under ASan/UBSan).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/cmdline.h>

static const uint8_t default_gmm_mac[6] = { 0x52, 0x54, 0x00, 0xfa, 0x00, 0x00 };

static void assert_defaults_except_role(const struct node_config *c)
{
	assert_int_equal(c->node_id, FAB_NODE_NONE);
	assert_int_equal(c->node_id, 0xFFFF);
	assert_int_equal(c->transport, FAB_TRANSPORT_NET);
	assert_int_equal(c->log_level, LOG_INFO);
	assert_int_equal(c->log_level, 1);
	assert_string_equal(c->name, "");
	assert_memory_equal(c->gmm_mac, default_gmm_mac, 6);
}

static int parse(const char *line, struct node_config *c, char *err, unsigned errlen)
{
	memset(c, 0xA5, sizeof(*c));  /* defaults must be set, not inherited */
	return cmdline_parse(line, c, err, errlen);
}

static void test_defaults(void **state)
{
	struct node_config c;
	char err[128];

	assert_int_equal(parse("role=process", &c, err, sizeof(err)), 0);
	assert_int_equal(c.role, FAB_ROLE_PROCESS);
	assert_string_equal(err, "");
	assert_defaults_except_role(&c);
}

static void test_roles(void **state)
{
	struct node_config c;
	char err[128];

	assert_int_equal(parse("role=process", &c, err, sizeof(err)), 0);
	assert_int_equal(c.role, FAB_ROLE_PROCESS);
	assert_int_equal(parse("role=memory", &c, err, sizeof(err)), 0);
	assert_int_equal(c.role, FAB_ROLE_MEMORY);
	assert_int_equal(parse("role=storage", &c, err, sizeof(err)), 0);
	assert_int_equal(c.role, FAB_ROLE_STORAGE);
}

static void test_every_key(void **state)
{
	struct node_config c;
	char err[128];
	static const uint8_t mac[6] = { 0xaa, 0xBB, 0x0c, 0xd0, 0xee, 0xff };

	assert_int_equal(parse("node=42 role=memory name=mem-1_a fabric=net log=warn "
			       "gmm=aa:BB:0c:d0:ee:FF", &c, err, sizeof(err)), 0);
	assert_int_equal(c.node_id, 42);
	assert_int_equal(c.role, FAB_ROLE_MEMORY);
	assert_string_equal(c.name, "mem-1_a");
	assert_int_equal(c.transport, FAB_TRANSPORT_NET);
	assert_int_equal(c.log_level, LOG_WARN);
	assert_memory_equal(c.gmm_mac, mac, 6);
}

static void test_node_values(void **state)
{
	struct node_config c;
	char err[128];

	assert_int_equal(parse("role=process node=1", &c, err, sizeof(err)), 0);
	assert_int_equal(c.node_id, 1);
	assert_int_equal(parse("role=process node=4095", &c, err, sizeof(err)), 0);
	assert_int_equal(c.node_id, 4095);
	assert_int_equal(parse("role=process node=7 node=auto", &c, err, sizeof(err)), 0);
	assert_int_equal(c.node_id, FAB_NODE_NONE);
}

static void test_excache_sizes(void **state)
{
	static const struct { const char *v; uint64_t bytes; } good[] = {
		{ "16M", 16ull << 20 }, { "16m", 16ull << 20 }, { "1G", 1ull << 30 }, { "64K", 64ull << 10 },
		{ "65536", 65536 }, { "1024G", 1ull << 40 }, { "12288k", 12288ull << 10 },
		{ "0000000065536", 65536 },
	};
	static const char *const bad[] = {
		"", "M", "16", "4096", "60K", "16MB", "1.5G", "-16M", "16 M", "1025G", "1T", "0x1000",
		"70000", "99999999999999G", "18446744073709551616", "16MM",
	};
	struct node_config c;
	char line[64], err[128];

	assert_int_equal(parse("role=process", &c, err, sizeof(err)), 0);
	assert_int_equal(c.excache_bytes, 0);         /* the monitor chooses */
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		strcpy(line, "role=process excache=");
		strcat(line, good[i].v);
		assert_int_equal(parse(line, &c, err, sizeof(err)), 0);
		assert_int_equal(c.excache_bytes, good[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(line, "role=process excache=");
		strcat(line, bad[i]);
		assert_int_equal(parse(line, &c, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "excache must be a size"));
	}
}

static void test_log_levels(void **state)
{
	static const struct { const char *v; int level; } cases[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "warn", LOG_WARN }, { "error", LOG_ERROR },
	};
	struct node_config c;
	char line[64], err[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(line, "role=storage log=");
		strcat(line, cases[i].v);
		assert_int_equal(parse(line, &c, err, sizeof(err)), 0);
		assert_int_equal(c.log_level, cases[i].level);
	}
}

static void test_name_limits(void **state)
{
	struct node_config c;
	char err[128];

	assert_int_equal(parse("role=process name=abcdefghijklmno", &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "abcdefghijklmno");          /* 15: the maximum */
	assert_int_equal(parse("role=process name=x", &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "x");
	/* a later, shorter name replaces an earlier one completely */
	assert_int_equal(parse("name=longername role=process name=ab", &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "ab");
}

static void test_whitespace(void **state)
{
	struct node_config c;
	char err[128];

	assert_int_equal(parse("  \t role=memory\t\tnode=9 \n log=debug\n\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.role, FAB_ROLE_MEMORY);
	assert_int_equal(c.node_id, 9);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(parse("role=storage \n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.role, FAB_ROLE_STORAGE);
}

/* Each rejected line gives -EINVAL and a message that names the bad token. */
static void test_errors_name_token(void **state)
{
	static const struct { const char *line, *token; } cases[] = {
		{ "role=process colour=blue", "colour" },
		{ "role=process node=0", "0" },
		{ "role=process node=4096", "4096" },
		{ "role=process node=65535", "65535" },
		{ "role=process node=99999999999", "99999999999" },
		{ "role=process node=18446744073709551617", "18446744073709551617" }, /* 2^64+1 */
		{ "role=process node=abc", "abc" },
		{ "role=process node=-1", "-1" },
		{ "role=process node=12x", "12x" },
		{ "role=process node=", "node" },
		{ "role=gpu", "gpu" },
		{ "role=gmm", "gmm" },
		{ "role=", "role" },
		{ "role=Process", "Process" },
		{ "role=process name=abcdefghijklmnop", "abcdefghijklmnop" },
		{ "role=process name=", "name" },
		{ "role=process name=Bad", "Bad" },
		{ "role=process name=a.b", "a.b" },
		{ "role=process name=a/b", "a/b" },
		{ "role=process fabric=cxl", "cxl" },
		{ "role=process fabric=x", "x" },
		{ "role=process fabric=", "fabric" },
		{ "role=process log=verbose", "verbose" },
		{ "role=process log=INFO", "INFO" },
		{ "role=process gmm=bad", "bad" },
		{ "role=process gmm=52:54:00:fa:00", "52:54:00:fa:00" },
		{ "role=process gmm=52:54:00:fa:00:0g", "52:54:00:fa:00:0g" },
		{ "role=process gmm=52-54-00-fa-00-00", "52-54-00-fa-00-00" },
		{ "role=process gmm=52:54:00:fa:00:000", "52:54:00:fa:00:000" },
		{ "role=process verbose", "verbose" },
		{ "verbose role=process", "verbose" },
		{ "role=process =x", "=x" },
	};
	struct node_config c;
	char err[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(err, 'X', sizeof(err));
		int rc = parse(cases[i].line, &c, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("'%s': rc %d, want -EINVAL", cases[i].line, rc);
		if (!memchr(err, 0, sizeof(err)) || strlen(err) < 10)
			fail_msg("'%s': no readable message", cases[i].line);
		if (!strstr(err, cases[i].token))
			fail_msg("'%s': message '%s' does not name '%s'", cases[i].line, err, cases[i].token);
		if (strchr(err, '\n'))
			fail_msg("'%s': message '%s' is not one line", cases[i].line, err);
	}
}

/* The token is quoted whole, not just a prefix of the value. */
static void test_error_quotes_token(void **state)
{
	struct node_config c;
	char err[160];

	assert_int_equal(parse("role=process node=abc log=info", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'abc'"));
	assert_null(strstr(err, "log"));
	assert_int_equal(parse("role=process bogus=1 name=x", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'bogus'"));
	assert_int_equal(parse("role=process fabric=cxl", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not supported"));
}

static void test_missing_role(void **state)
{
	struct node_config c;
	char err[128];

	assert_int_equal(parse("node=3 log=debug", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "role"));
	assert_int_equal(parse("", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "role"));
	assert_int_equal(parse(" \t\n ", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "role"));
	/* a name that merely contains "role" is not a role */
	assert_int_equal(parse("name=role", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "missing role"));
}

static void test_null_line(void **state)
{
	struct node_config c;
	char err[128];

	assert_int_equal(parse(NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "missing role"));
	assert_defaults_except_role(&c);
	assert_int_equal(c.role, -1);
}

/* A short err buffer is filled, NUL-terminated, and never overrun. */
static void test_small_err_buffer(void **state)
{
	static const char *const bad[] = {
		"role=process node=abcdefghijkl", "role=gpu", "node=5", "role=process xyz",
		"role=process unknownkey=1",
	};
	struct node_config c;
	char err[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (unsigned len = 1; len <= 16; len++) {
			memset(err, 'Z', sizeof(err));
			assert_int_equal(parse(bad[i], &c, err, len), -EINVAL);
			assert_int_equal(strlen(err), len - 1);
			for (size_t j = len; j < sizeof(err); j++)
				if (err[j] != 'Z')
					fail_msg("'%s' errlen %u: byte %zu overwritten", bad[i], len, j);
		}
	}
	/* no buffer at all: still an error, no crash */
	assert_int_equal(parse("role=gpu", &c, NULL, 0), -EINVAL);
	assert_int_equal(parse("role=gpu", &c, err, 0), -EINVAL);
	assert_int_equal(parse("role=process", &c, NULL, 0), 0);
}

/* Success clears a stale message in err. */
static void test_success_clears_err(void **state)
{
	struct node_config c;
	char err[32];

	strcpy(err, "stale");
	assert_int_equal(parse("role=memory", &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* ---- random input ------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > NODE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * Lines glued from pieces of valid syntax and arbitrary bytes, in heap buffers
 * of exactly their size (line and err), so ASan sees any read or write past
 * either. Every result must be 0 with a valid config or -EINVAL with a message.
 */
static void test_random_lines(void **state)
{
	static const char *const pieces[] = {
		"node=", "role=", "name=", "fabric=", "log=", "gmm=", "auto", "process", "memory",
		"storage", "gmm", "net", "cxl", "debug", "info", "warn", "error", "52:54:00:fa:00:00",
		"4095", "4096", "0", "1", "=", " ", "\t", "\n", "  ", "a", "-", "_", ":", "ff",
		"excache=", "16M", "64K", "1G", "k",
	};
	static const char *const tokens[] = {
		"role=process", "role=memory", "role=storage", "node=auto", "node=1", "node=4095",
		"name=p1", "name=abcdefghijklmno", "fabric=net", "log=debug", "log=error",
		"gmm=52:54:00:fa:00:00", "gmm=AA:bb:CC:dd:EE:ff", "excache=16M", "excache=65536",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	const size_t ntokens = sizeof(tokens) / sizeof(tokens[0]);
	struct node_config c;
	int ok = 0;

	rng_state = 0x7e55e7a5eed5ull;
	for (int iter = 0; iter < 20000; iter++) {
		char buf[256];
		size_t n = 0;
		int parts = (int)(rnd() % 12);

		for (int p = 0; p < parts; p++) {
			if (iter % 2) {
				/* structured: whole valid tokens, now and then one byte off */
				const char *s = tokens[rnd() % ntokens];
				size_t l = strlen(s);
				if (n + l + 1 < sizeof(buf)) {
					memcpy(buf + n, s, l);
					if (rnd() % 8 == 0)
						buf[n + rnd() % l] = (char)(rnd() % 255 + 1);
					n += l;
					buf[n++] = " \t\n"[rnd() % 3];
				}
			} else if (rnd() % 4 == 0) {
				char ch = (char)(rnd() % 255 + 1);   /* any byte but NUL */
				if (n + 1 < sizeof(buf))
					buf[n++] = ch;
			} else {
				const char *s = pieces[rnd() % npieces];
				size_t l = strlen(s);
				if (n + l < sizeof(buf)) {
					memcpy(buf + n, s, l);
					n += l;
				}
			}
		}
		char *line = malloc(n + 1);
		unsigned errlen = (unsigned)(rnd() % 40);
		char *err = errlen ? malloc(errlen) : NULL;

		assert_non_null(line);
		memcpy(line, buf, n);
		line[n] = 0;
		int rc = cmdline_parse(line, &c, err, errlen);
		if (rc == 0) {
			ok++;
			assert_in_range(c.role, FAB_ROLE_PROCESS, FAB_ROLE_STORAGE);
			assert_true(c.node_id == FAB_NODE_NONE || (c.node_id >= 1 && c.node_id <= 4095));
			assert_int_equal(c.transport, FAB_TRANSPORT_NET);
			assert_in_range(c.log_level, LOG_DEBUG, LOG_ERROR);
			assert_non_null(memchr(c.name, 0, sizeof(c.name)));
			assert_true(name_ok(c.name));
			assert_true(c.excache_bytes == 0 || (c.excache_bytes >= CMDLINE_EXCACHE_MIN &&
							     c.excache_bytes % 4096 == 0));
			if (err)
				assert_string_equal(err, "");
		} else {
			if (rc != -EINVAL)
				fail_msg("'%s': rc %d", line, rc);
			if (err) {
				assert_non_null(memchr(err, 0, errlen));
				if (errlen > 1)
					assert_true(err[0] != 0);
			}
		}
		free(err);
		free(line);
	}
	/* the generator must reach the success path too, not only errors */
	assert_true(ok > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_node_values),
		cmocka_unit_test(test_excache_sizes),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_errors_name_token),
		cmocka_unit_test(test_error_quotes_token),
		cmocka_unit_test(test_missing_role),
		cmocka_unit_test(test_null_line),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_success_clears_err),
		cmocka_unit_test(test_random_lines),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
