/*
 * cmdline.c - parse and validate the boot command line (see docs/interfaces.md).
 * Pure logic, shared with the host unit tests. Unknown keys and bad values are
 * errors: a node with a wrong configuration says why and does not join.
 */
#include <string.h>
#include <tessera/errno.h>
#include <tessera/wire.h>
#include <kernel/cmdline.h>

#define LOG_LEVELS 4
static const char *const log_names[LOG_LEVELS] = { "debug", "info", "warn", "error" };
static const char *const roles[] = { "gmm", "process", "memory", "storage" };

static void append(char *err, unsigned errlen, size_t *at, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *at + 1 < errlen; i++)
		err[(*at)++] = s[i];
	err[*at] = 0;
}

/* err = what + tok + "'" (tok, if given, closes the quote what opened). */
static int fail(char *err, unsigned errlen, const char *what, const char *tok, size_t toklen)
{
	size_t at = 0;

	if (!err || !errlen)
		return -EINVAL;
	append(err, errlen, &at, what, strlen(what));
	if (tok) {
		append(err, errlen, &at, tok, toklen);
		append(err, errlen, &at, "'", 1);
	}
	return -EINVAL;
}

static const char *find_eq(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '=')
			return s + i;
	return NULL;
}

static int parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* A size: decimal bytes with an optional K, M or G suffix (binary units), at most max. */
static int parse_size(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0, unit = 1;
	size_t digits = n;

	if (n && (s[n - 1] == 'K' || s[n - 1] == 'k'))
		unit = 1ull << 10;
	else if (n && (s[n - 1] == 'M' || s[n - 1] == 'm'))
		unit = 1ull << 20;
	else if (n && (s[n - 1] == 'G' || s[n - 1] == 'g'))
		unit = 1ull << 30;
	if (unit > 1)
		digits--;
	if (digits == 0 || digits > 13)
		return -1;
	for (size_t i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max / unit)
		return -1;
	*out = v * unit;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_mac(const char *s, size_t n, uint8_t mac[6])
{
	if (n != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int match(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncmp(s, word, n) == 0;
}

static int set_key(struct node_config *cfg, const char *k, size_t kn, const char *v, size_t vn,
		   char *err, unsigned errlen)
{
	uint64_t num;

	if (match(k, kn, "node")) {
		if (match(v, vn, "auto")) {
			cfg->node_id = FAB_NODE_NONE;
			return 0;
		}
		if (parse_uint(v, vn, FAB_NODE_MAX, &num) || num == 0)
			return fail(err, errlen, "node must be 1..4095 or auto, not '", v, vn);
		cfg->node_id = (uint16_t)num;
		return 0;
	}
	if (match(k, kn, "role")) {
		for (int i = 1; i < 4; i++) {
			if (match(v, vn, roles[i])) {
				cfg->role = i;
				return 0;
			}
		}
		return fail(err, errlen, "role must be process, memory or storage, not '", v, vn);
	}
	if (match(k, kn, "name")) {
		if (vn == 0 || vn > NODE_NAME_MAX)
			return fail(err, errlen, "name must be 1..15 characters: '", v, vn);
		for (size_t i = 0; i < vn; i++) {
			char c = v[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return fail(err, errlen, "name may hold only [a-z0-9-_]: '", v, vn);
		}
		memcpy(cfg->name, v, vn);
		cfg->name[vn] = 0;
		return 0;
	}
	if (match(k, kn, "fabric")) {
		if (match(v, vn, "net")) {
			cfg->transport = FAB_TRANSPORT_NET;
			return 0;
		}
		if (match(v, vn, "cxl"))
			return fail(err, errlen, "fabric=cxl is not supported by this kernel yet: '", v, vn);
		return fail(err, errlen, "fabric must be net, not '", v, vn);
	}
	if (match(k, kn, "log")) {
		for (int i = 0; i < LOG_LEVELS; i++) {
			if (match(v, vn, log_names[i])) {
				cfg->log_level = i;
				return 0;
			}
		}
		return fail(err, errlen, "log must be debug, info, warn or error, not '", v, vn);
	}
	if (match(k, kn, "gmm")) {
		if (parse_mac(v, vn, cfg->gmm_mac))
			return fail(err, errlen, "gmm must be a MAC like 52:54:00:fa:00:00, not '", v, vn);
		return 0;
	}
	if (match(k, kn, "excache")) {
		if (parse_size(v, vn, CMDLINE_EXCACHE_MAX, &num) || num < CMDLINE_EXCACHE_MIN ||
		    num % 4096)
			return fail(err, errlen, "excache must be a size from 64K to 1024G in whole 4K pages "
				    "(e.g. 16M), not '", v, vn);
		cfg->excache_bytes = num;
		return 0;
	}
	return fail(err, errlen, "unknown key '", k, kn);
}

int cmdline_parse(const char *line, struct node_config *cfg, char *err, unsigned errlen)
{
	const char *p = line ? line : "";
	int seen_role = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->node_id = FAB_NODE_NONE;
	cfg->role = -1;
	cfg->transport = FAB_TRANSPORT_NET;
	cfg->log_level = 1;
	fab_mac_for_node(FAB_NODE_GMM, cfg->gmm_mac);
	if (err && errlen)
		err[0] = 0;

	while (*p) {
		const char *tok, *eq;
		size_t n;
		int rc;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		n = (size_t)(p - tok);
		eq = find_eq(tok, n);
		if (!eq || eq == tok)
			return fail(err, errlen, "expected key=value, got '", tok, n);
		rc = set_key(cfg, tok, (size_t)(eq - tok), eq + 1, n - (size_t)(eq - tok) - 1, err, errlen);
		if (rc)
			return rc;
		seen_role |= (size_t)(eq - tok) == 4 && strncmp(tok, "role", 4) == 0;
	}
	if (!seen_role)
		return fail(err, errlen, "missing role= (process, memory or storage)", NULL, 0);
	return 0;
}
