// SPDX-License-Identifier: BSD-3-Clause
/*
 * examples/simple_firewall/firewall.c — companion of simple_firewall.mos:
 * the rule file, first-match classification of a flow, per-rule hit
 * counters.
 *
 * Rules (one per line, `#` comments, blank lines ignored; see README.md):
 *
 *   accept|drop PROTO SRC SPORT -> DST DPORT
 *
 * PROTO: tcp, udp or any; SRC/DST: any, an IPv4/IPv6 address or prefix;
 * SPORT/DPORT: any, N or LO:HI. SRC SPORT is the flow's client (the side
 * that sent its first packet), DST DPORT its server. The first rule that
 * matches decides; a flow no rule matches is accepted (rule 0, counted).
 * The file is MOS_FW_RULES, else firewall.rules next to this file; it is
 * read before main(): a bad rule stops the program with status 2 and
 * `FILE:LINE:COL: error: MESSAGE`.
 *
 * Counters: flows per rule, atomic (several workers may classify). At
 * exit the table goes to standard error, and as JSON to MOS_FW_COUNTERS
 * when that names a file.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mos/program.h"

#define FW_MAX_RULES 1024u
#define FW_LINE_MAX 512u

struct fw_end {
	bool any;                    /* any address */
	struct mos_prog_prefix pfx;  /* address or prefix (IPv4-mapped for IPv4) */
	uint16_t plo, phi;           /* port range */
};

struct fw_rule {
	bool drop;                   /* action */
	uint8_t proto;               /* IPPROTO_TCP / IPPROTO_UDP, 0 = any */
	struct fw_end src, dst;      /* client side, server side */
	uint32_t line;               /* line in the rule file */
	char text[FW_LINE_MAX];      /* the rule as written (trimmed) */
};

static struct fw_rule fw_rules[FW_MAX_RULES + 1]; /* [0]: the default (accept) */
static uint32_t fw_n;                              /* rules loaded (1..fw_n) */
static _Atomic uint64_t fw_hits[FW_MAX_RULES + 1]; /* flows per rule */
static char fw_path[4096];                         /* rule file, for messages */
static bool fw_loaded;                             /* the rule file was read */

/* Parse error: `FILE:LINE:COL: error: MSG` and exit 2 (before main). */
static void
fw_fail(uint32_t line, const char *col, const char *base, const char *msg)
{
	fprintf(stderr, "%s:%u:%ld: error: %s\n", fw_path, line, (long)(col - base) + 1, msg);
	exit(2);
}

/* Next blank-separated word of *@p into @w (at most @n-1 bytes); returns
 * its start in the line, or NULL at the end of the line. */
static const char *
fw_word(const char **p, char *w, size_t n)
{
	const char *s = *p, *start;
	size_t k = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == 0 || *s == '#' || *s == '\n' || *s == '\r')
		return NULL;
	start = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '#') {
		if (k + 1 < n)
			w[k++] = *s;
		s++;
	}
	w[k] = 0;
	*p = s;
	return start;
}

/* "any", an address or ADDR/BITS. Returns false when malformed. */
static bool
fw_parse_addr(const char *w, struct fw_end *e)
{
	char buf[64];
	const char *slash = strchr(w, '/');
	size_t len = slash ? (size_t)(slash - w) : strlen(w);
	uint8_t b[16];
	long bits;
	bool v4 = false;

	if (!strcmp(w, "any")) {
		e->any = true;
		return true;
	}
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, w, len);
	buf[len] = 0;
	memset(&e->pfx, 0, sizeof(e->pfx));
	if (inet_pton(AF_INET, buf, b) == 1) {
		e->pfx.a.b[10] = e->pfx.a.b[11] = 0xff;
		memcpy(e->pfx.a.b + 12, b, 4);
		bits = 32;
		v4 = true;
	} else if (inet_pton(AF_INET6, buf, e->pfx.a.b) == 1) {
		bits = 128;
	} else {
		return false;
	}
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);

		if (*end || slash[1] == 0 || v < 0 || v > bits)
			return false;
		bits = v;
	}
	e->pfx.bits = (uint32_t)(v4 ? bits + 96 : bits);   /* over the 128-bit address */
	return true;
}

/* "any", N or LO:HI. */
static bool
fw_parse_ports(const char *w, struct fw_end *e)
{
	char *end;
	unsigned long lo, hi;

	if (!strcmp(w, "any")) {
		e->plo = 0;
		e->phi = 65535;
		return true;
	}
	lo = strtoul(w, &end, 10);
	hi = lo;
	if (end == w)
		return false;
	if (*end == ':') {
		const char *h = end + 1;

		hi = strtoul(h, &end, 10);
		if (end == h)
			return false;
	}
	if (*end || lo > 65535 || hi > 65535 || lo > hi)
		return false;
	e->plo = (uint16_t)lo;
	e->phi = (uint16_t)hi;
	return true;
}

/* Parse line @lineno (@s) into the next rule; blank lines add none. */
static void
fw_parse_line(const char *s, uint32_t lineno)
{
	const char *p = s, *at;
	char w[128];
	struct fw_rule *r;
	size_t tl;

	if ((at = fw_word(&p, w, sizeof(w))) == NULL)
		return;
	if (fw_n == FW_MAX_RULES)
		fw_fail(lineno, at, s, "too many rules");
	r = &fw_rules[++fw_n];
	memset(r, 0, sizeof(*r));
	r->line = lineno;
	if (!strcmp(w, "drop"))
		r->drop = true;
	else if (strcmp(w, "accept"))
		fw_fail(lineno, at, s, "expected 'accept' or 'drop'");
	if ((at = fw_word(&p, w, sizeof(w))) == NULL)
		fw_fail(lineno, p, s, "expected a protocol (tcp, udp or any)");
	if (!strcmp(w, "tcp"))
		r->proto = 6;
	else if (!strcmp(w, "udp"))
		r->proto = 17;
	else if (strcmp(w, "any"))
		fw_fail(lineno, at, s, "expected a protocol (tcp, udp or any)");
	for (int side = 0; side < 2; side++) {
		struct fw_end *e = side ? &r->dst : &r->src;

		if ((at = fw_word(&p, w, sizeof(w))) == NULL || !fw_parse_addr(w, e))
			fw_fail(lineno, at ? at : p, s, "expected 'any', an address or a prefix");
		if ((at = fw_word(&p, w, sizeof(w))) == NULL || !fw_parse_ports(w, e))
			fw_fail(lineno, at ? at : p, s, "expected 'any', a port or a range LO:HI");
		if (side == 0 && ((at = fw_word(&p, w, sizeof(w))) == NULL || strcmp(w, "->")))
			fw_fail(lineno, at ? at : p, s, "expected '->'");
	}
	if ((at = fw_word(&p, w, sizeof(w))) != NULL)
		fw_fail(lineno, at, s, "unexpected text after the rule");
	while (*s == ' ' || *s == '\t')
		s++;
	tl = strcspn(s, "#\r\n");
	while (tl && (s[tl - 1] == ' ' || s[tl - 1] == '\t'))
		tl--;
	snprintf(r->text, sizeof(r->text), "%.*s", (int)tl, s);
}

/* Rules from MOS_FW_RULES or firewall.rules next to this file, before main(). */
__attribute__((constructor)) static void
fw_init(void)
{
	const char *env = getenv("MOS_FW_RULES");
	const char *slash = strrchr(__FILE__, '/');
	char line[FW_LINE_MAX];
	uint32_t lineno = 0;
	FILE *f;

	if (env && *env)
		snprintf(fw_path, sizeof(fw_path), "%s", env);
	else
		snprintf(fw_path, sizeof(fw_path), "%.*sfirewall.rules",
			 slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__);
	snprintf(fw_rules[0].text, sizeof(fw_rules[0].text), "(no rule matched: accept)");
	if ((f = fopen(fw_path, "r")) == NULL) {
		perror(fw_path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (strlen(line) == sizeof(line) - 1 && line[sizeof(line) - 2] != '\n')
			fw_fail(lineno, line, line, "line too long");
		fw_parse_line(line, lineno);
	}
	fclose(f);
	fw_loaded = true;
}

/* The per-rule table, at exit: stderr (not with -q), and JSON to
 * MOS_FW_COUNTERS. */
__attribute__((destructor)) static void
fw_report(void)
{
	const char *path = getenv("MOS_FW_COUNTERS");
	FILE *j;

	if (!fw_loaded)
		return;
	j = path && *path ? fopen(path, "w") : NULL;
	for (uint32_t i = 0; i <= fw_n; i++) {
		uint64_t h = atomic_load_explicit(&fw_hits[i], memory_order_relaxed);

		if (!mos_prog_quiet())
			fprintf(stderr, "simple_firewall: rule %u (line %u) %-40s %llu flows\n", i,
				fw_rules[i].line, fw_rules[i].text, (unsigned long long)h);
		if (j)
			fprintf(j, "{\"rule\":%u,\"line\":%u,\"action\":\"%s\",\"flows\":%llu}\n", i,
				fw_rules[i].line, fw_rules[i].drop ? "drop" : "accept",
				(unsigned long long)h);
	}
	if (j)
		fclose(j);
}

static bool
fw_end_match(const struct fw_end *e, struct mos_addr a, uint16_t port)
{
	return port >= e->plo && port <= e->phi && (e->any || mos_prog_in_prefix(a, e->pfx));
}

/* The first rule matching @flow (client -> server), 0 when none; counts it. */
uint32_t
fw_match(struct mos_ctx *ctx, struct mos_flow *flow)
{
	uint8_t proto = mos_flow_is_udp(flow) ? 17 : 6;
	struct mos_addr ca = mos_prog_flow_addr(flow, MOS_SIDE_CLI);
	struct mos_addr sa = mos_prog_flow_addr(flow, MOS_SIDE_SVR);
	uint16_t cp = mos_prog_flow_port(flow, MOS_SIDE_CLI);
	uint16_t sp = mos_prog_flow_port(flow, MOS_SIDE_SVR);
	uint32_t i;

	(void)ctx;
	for (i = 1; i <= fw_n; i++) {
		const struct fw_rule *r = &fw_rules[i];

		if ((r->proto == 0 || r->proto == proto) && fw_end_match(&r->src, ca, cp) &&
		    fw_end_match(&r->dst, sa, sp))
			break;
	}
	if (i > fw_n)
		i = 0;
	atomic_fetch_add_explicit(&fw_hits[i], 1, memory_order_relaxed);
	return i;
}

/* Whether rule @i drops. */
bool
fw_drops(struct mos_ctx *ctx, uint32_t i)
{
	(void)ctx;
	return i <= fw_n && fw_rules[i].drop;
}

/* Flows rule @i matched so far. */
uint64_t
fw_hits_of(struct mos_ctx *ctx, uint32_t i)
{
	(void)ctx;
	return i <= fw_n ? atomic_load_explicit(&fw_hits[i], memory_order_relaxed) : 0;
}

/* Line of rule @i in the rule file (0 for the default). */
uint32_t
fw_line(struct mos_ctx *ctx, uint32_t i)
{
	(void)ctx;
	return i <= fw_n ? fw_rules[i].line : 0;
}
