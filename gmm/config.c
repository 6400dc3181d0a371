/*
 * gmm/config.c - gmmd's command line, validated in one place:
 *   gmmd --state DIR [--db FILE] [--hb-ms 500] [--dead-after-ms 3000] [--foreground]
 * Every problem is one line on stderr and exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "gmmd.h"

#define LONGEST_SOCK "/fabric/gmmd.sock"

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "gmmd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: gmmd --state DIR [--db FILE] [--hb-ms MS] [--dead-after-ms MS]"
		" [--foreground]\n");
	exit(2);
}

static unsigned parse_ms(const char *opt, const char *s, unsigned lo, unsigned hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "gmmd: %s: '%s' is not a number of milliseconds in %u..%u\n",
			opt, s, lo, hi);
		exit(2);
	}
	return (unsigned)v;
}

/* Absolute path of dir (which need not exist yet: its parent must). */
static void absolute_dir(const char *dir, char *out, size_t cap)
{
	char cwd[PATH_MAX];
	int n;

	if (dir[0] == '/') {
		n = snprintf(out, cap, "%s", dir);
	} else {
		if (!getcwd(cwd, sizeof(cwd))) {
			fprintf(stderr, "gmmd: cannot get the current directory: %s\n", strerror(errno));
			exit(2);
		}
		n = snprintf(out, cap, "%s/%s", cwd, dir);
	}
	if (n < 0 || (size_t)n + strlen(LONGEST_SOCK) >= cap) {
		fprintf(stderr, "gmmd: state directory %s is too long for AF_UNIX socket paths"
			" (at most %zu bytes)\n", dir, cap - 1 - strlen(LONGEST_SOCK));
		exit(2);
	}
	while (n > 1 && out[n - 1] == '/')
		out[--n] = 0;
}

void gmm_config_parse(struct gmm_config *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'd' },
		{ "hb-ms", required_argument, NULL, 'h' },
		{ "dead-after-ms", required_argument, NULL, 'a' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, '?' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL, *db = NULL;
	int ch;

	memset(c, 0, sizeof(*c));
	c->hb_ms = GMM_HB_MS_DEFAULT;
	c->dead_after_ms = GMM_DEAD_AFTER_MS_DEFAULT;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': state = optarg; break;
		case 'd': db = optarg; break;
		case 'h': c->hb_ms = parse_ms("--hb-ms", optarg, 10, 60000); break;
		case 'a': c->dead_after_ms = parse_ms("--dead-after-ms", optarg, 20, 3600000); break;
		case 'f': c->foreground = 1; break;
		default:
			for (int i = 0; optopt && opts[i].name; i++)
				if (opts[i].val == optopt)
					die_usage("option --%s needs a value", opts[i].name);
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!state || !state[0])
		die_usage("--state DIR is required%s", "");
	if (c->dead_after_ms < 2 * c->hb_ms) {
		fprintf(stderr, "gmmd: --dead-after-ms (%u) must be at least twice --hb-ms (%u)\n",
			c->dead_after_ms, c->hb_ms);
		exit(2);
	}
	absolute_dir(state, c->state_dir, sizeof(c->state_dir));
	if (db && !db[0])
		die_usage("--db needs a file name%s", "");
	if (snprintf(c->db_path, sizeof(c->db_path), "%s", db ? db : "") >= (int)sizeof(c->db_path))
		die_usage("--db path is too long%s", "");
	if (!db)
		snprintf(c->db_path, sizeof(c->db_path), "%s/state.db", c->state_dir);
}
