// mos: pkg-config libhs
// SPDX-License-Identifier: BSD-3-Clause
/*
 * examples/ids/ids.c — companion of ids.mos: content signatures matched
 * on reassembled TCP streams with Hyperscan (Debian's libhyperscan 5.4).
 *
 * Rules (one per line, `#` comments; see README.md):
 *
 *   alert tcp SRC SPORT -> DST DPORT (msg:"..."; content:"..."; [nocase;] sid:N; [rev:N;])
 *
 * SRC/DST: any, an address or a prefix (IPv4 or IPv6); SPORT/DPORT: any, N
 * or LO:HI; `<>` instead of `->` matches both directions. content takes
 * Snort's |hex bytes| and \" \\ \; escapes. One content per rule. The file
 * is MOS_IDS_RULES, else ids.rules next to this file; it is read and
 * compiled (one Hyperscan streaming database) before main(): a bad rule
 * stops the program with status 2 and `FILE:LINE:COL: error: ...`.
 *
 * Matching: one Hyperscan stream per flow direction, fed the in-order bytes
 * of the reassembled stream through a per-direction read cursor, so a
 * signature split over segments (or sent out of order) matches once the
 * bytes are in order. Bytes the reassembler lost (a hole) restart the
 * Hyperscan stream: no match spans a hole. Every match whose rule header
 * fits the direction (sender = SRC SPORT, receiver = DST DPORT) is queued;
 * the program drains the queue (ids_pending / ids_next) into alert records.
 *
 * Resources, all per thread (core): the Hyperscan scratch; a pool of
 * IDS_POOL_CAP flow slots whose two Hyperscan streams are allocated at the
 * slot's first use and reset for reuse (nothing allocated per packet); a
 * queue of IDS_QUEUE_CAP matches. A flow that finds the pool full is not
 * inspected, a match that finds the queue full is dropped; both are counted
 * and printed on stderr at exit.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <hs.h>

#include "mos/program.h"

#define IDS_POOL_CAP 65536u          /* inspected flows per thread */
#define IDS_QUEUE_CAP 1024u          /* matches waiting to become records, per thread */
#define IDS_MAX_RULES 4096u
#define IDS_MAX_CONTENT 1024u        /* bytes of one content */
#define IDS_MAX_MSG 256u

/* One side of a rule header. */
struct ids_end {
	bool any;                    /* any address */
	struct mos_addr addr;        /* address (IPv4-mapped for IPv4) */
	uint32_t bits;               /* prefix length over the 128-bit address */
	uint16_t plo, phi;           /* port range */
};

struct ids_rule {
	struct ids_end src, dst;     /* header */
	bool both;                   /* `<>` */
	uint32_t sid;                /* sid */
	uint32_t clen;               /* content length */
	bool nocase;                 /* nocase */
	char msg[IDS_MAX_MSG];       /* msg */
	uint8_t content[IDS_MAX_CONTENT]; /* content bytes */
};

/* One flow's inspection state. */
struct ids_slot {
	hs_stream_t *hs[2];          /* per sender side: Hyperscan stream */
	uint64_t base[2];            /* stream offset where hs[] (re)started */
	uint8_t cursor[2];           /* read cursor + 1 (0 = not open) */
	uint32_t next_free;          /* free list link (slot number, 0 = end) */
};

struct ids_match {
	uint32_t rule;               /* index into rules */
	uint8_t side;                /* sender: MOS_SIDE_CLI/SVR */
	uint64_t off;                /* stream offset of the match's first byte */
};

/* What the Hyperscan callback needs. */
struct ids_scan_ctx {
	struct mos_addr a[2];        /* sender, receiver addresses */
	uint16_t port[2];            /* sender, receiver ports */
	uint8_t side;                /* sender */
	uint64_t base;               /* stream offset of the Hyperscan stream's byte 0 */
};

static struct ids_rule *rules;
static uint32_t n_rules;
static hs_database_t *db;
static atomic_ulong ids_flows, ids_no_slot, ids_dropped, ids_holes, ids_errors;

struct ids_thread {
	hs_scratch_t *scratch;       /* NULL until the first scan */
	struct ids_slot *slots;      /* IDS_POOL_CAP entries, slot n at [n - 1] */
	uint32_t used, free_head;    /* slots ever handed out; free list */
	struct ids_match q[IDS_QUEUE_CAP]; /* pending matches */
	uint32_t q_head, q_len;      /* queue */
};
static _Thread_local struct ids_thread th;

uint32_t ids_scan(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t slot);
bool ids_pending(struct mos_ctx *ctx);
bool ids_next(struct mos_ctx *ctx);
uint32_t ids_sid(struct mos_ctx *ctx);
struct mos_prog_bytes ids_msg(struct mos_ctx *ctx);
struct mos_prog_bytes ids_side(struct mos_ctx *ctx);
uint64_t ids_offset(struct mos_ctx *ctx);
void ids_release(struct mos_ctx *ctx, uint32_t slot);

/* --- rules ----------------------------------------------------------------- */

struct ids_parser {
	const char *file;            /* rules file */
	unsigned line;               /* current line */
	const char *start;           /* the line's text */
	const char *p;               /* position */
};

static void ids_fail(const struct ids_parser *ps, const char *at, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s:%u:%u: error: ", ps->file, ps->line, (unsigned)(at - ps->start) + 1);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static void ids_skip_blank(struct ids_parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

/* The next blank-separated word of the header into @buf. */
static const char *ids_word(struct ids_parser *ps, char *buf, size_t n, const char *what)
{
	ids_skip_blank(ps);
	const char *at = ps->p;
	size_t len = strcspn(at, " \t(");
	if (len == 0)
		ids_fail(ps, at, "expected %s", what);
	if (len >= n)
		ids_fail(ps, at, "%s too long", what);
	memcpy(buf, at, len);
	buf[len] = 0;
	ps->p += len;
	return at;
}

static void ids_parse_addr(struct ids_parser *ps, struct ids_end *e)
{
	char w[64], *slash;
	const char *at = ids_word(ps, w, sizeof(w), "an address or 'any'");
	unsigned long bits = 128;
	uint8_t v4[4];

	if (!strcmp(w, "any")) {
		e->any = true;
		return;
	}
	if ((slash = strchr(w, '/'))) {
		char *end;
		*slash = 0;
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (*end || errno || slash[1] == 0)
			ids_fail(ps, at, "bad prefix length in '%s'", w);
	}
	if (inet_pton(AF_INET, w, v4) == 1) {
		if (slash && bits > 32)
			ids_fail(ps, at, "IPv4 prefix longer than 32 bits: '%s'", w);
		memset(e->addr.b, 0, 10);
		e->addr.b[10] = e->addr.b[11] = 0xff;
		memcpy(e->addr.b + 12, v4, 4);
		e->bits = slash ? (uint32_t)bits + 96 : 128;
	} else if (inet_pton(AF_INET6, w, e->addr.b) == 1) {
		if (bits > 128)
			ids_fail(ps, at, "IPv6 prefix longer than 128 bits: '%s'", w);
		e->bits = (uint32_t)bits;
	} else {
		ids_fail(ps, at, "bad address '%s' (an IPv4 or IPv6 address or prefix, or 'any')", w);
	}
}

static void ids_parse_port(struct ids_parser *ps, struct ids_end *e)
{
	char w[32], *end;
	const char *at = ids_word(ps, w, sizeof(w), "a port or 'any'");
	unsigned long lo, hi;

	if (!strcmp(w, "any")) {
		e->plo = 0, e->phi = 65535;
		return;
	}
	errno = 0;
	lo = strtoul(w, &end, 10);
	hi = lo;
	if (*end == ':') {
		char *s = end + 1;
		hi = *s ? strtoul(s, &end, 10) : 65535;
	}
	if (*end || errno || !isdigit((unsigned char)w[0]) || lo > 65535 || hi > 65535 || lo > hi)
		ids_fail(ps, at, "bad port '%s' (N, LO:HI or 'any')", w);
	e->plo = (uint16_t)lo, e->phi = (uint16_t)hi;
}

/* A quoted option value: content (with |hex|) when @content, else msg text. */
static uint32_t ids_quoted(struct ids_parser *ps, uint8_t *out, uint32_t cap, bool content)
{
	const char *at = ps->p;
	uint32_t n = 0;
	bool hex = false;

	if (*ps->p != '"')
		ids_fail(ps, at, "expected a quoted string%s", "");
	for (ps->p++; *ps->p != '"'; ps->p++) {
		int c = (unsigned char)*ps->p;
		if (c == 0)
			ids_fail(ps, at, "unterminated string%s", "");
		if (content && c == '|') {
			hex = !hex;
			continue;
		}
		if (hex) {
			if (c == ' ')
				continue;
			if (!isxdigit(c) || !isxdigit((unsigned char)ps->p[1]))
				ids_fail(ps, ps->p, "bad hex byte in content%s", "");
			char h[3] = { (char)c, ps->p[1], 0 };
			c = (int)strtoul(h, NULL, 16);
			ps->p++;
		} else if (c == '\\') {
			c = (unsigned char)*++ps->p;
			if (c != '"' && c != '\\' && c != ';')
				ids_fail(ps, ps->p - 1, "unknown escape (only \\\" \\\\ \\;)%s", "");
		} else if (c == ';') {
			ids_fail(ps, ps->p, "';' inside a string must be written \\;%s", "");
		}
		if (n == cap)
			ids_fail(ps, at, "string longer than the limit%s", "");
		out[n++] = (uint8_t)c;
	}
	if (hex)
		ids_fail(ps, at, "unterminated |hex| in content%s", "");
	ps->p++;
	return n;
}

static void ids_parse_options(struct ids_parser *ps, struct ids_rule *r)
{
	bool has_sid = false, has_msg = false, has_content = false;
	const char *open = ps->p;

	if (*ps->p != '(')
		ids_fail(ps, ps->p, "expected '(' before the options%s", "");
	ps->p++;
	for (;;) {
		ids_skip_blank(ps);
		if (*ps->p == ')')
			break;
		if (*ps->p == 0)
			ids_fail(ps, open, "options not closed with ')'%s", "");
		const char *at = ps->p;
		char name[32];
		size_t len = strcspn(at, ":; \t)");
		if (len == 0 || len >= sizeof(name))
			ids_fail(ps, at, "expected an option name%s", "");
		memcpy(name, at, len);
		name[len] = 0;
		ps->p += len;
		ids_skip_blank(ps);
		bool value = *ps->p == ':';
		if (value) {
			ps->p++;
			ids_skip_blank(ps);
		}
		if (!strcmp(name, "msg") && value) {
			uint32_t n = ids_quoted(ps, (uint8_t *)r->msg, IDS_MAX_MSG - 1, false);
			r->msg[n] = 0;
			has_msg = true;
		} else if (!strcmp(name, "content") && value) {
			if (has_content)
				ids_fail(ps, at, "only one content per rule is supported%s", "");
			r->clen = ids_quoted(ps, r->content, IDS_MAX_CONTENT, true);
			if (r->clen == 0)
				ids_fail(ps, at, "empty content%s", "");
			has_content = true;
		} else if ((!strcmp(name, "sid") || !strcmp(name, "rev")) && value) {
			char *end;
			errno = 0;
			unsigned long v = strtoul(ps->p, &end, 10);
			if (end == ps->p || errno || v > UINT32_MAX)
				ids_fail(ps, ps->p, "%s needs a number", name);
			if (name[0] == 's') {
				r->sid = (uint32_t)v;
				has_sid = true;
			}
			ps->p = end;
		} else if (!strcmp(name, "nocase") && !value) {
			r->nocase = true;
		} else if (!strcmp(name, "msg") || !strcmp(name, "content") || !strcmp(name, "sid") ||
			   !strcmp(name, "rev")) {
			ids_fail(ps, at, "option '%s' needs a value", name);
		} else if (!strcmp(name, "nocase")) {
			ids_fail(ps, at, "option '%s' takes no value", name);
		} else {
			ids_fail(ps, at, "unknown option '%s' (msg, content, nocase, sid, rev)", name);
		}
		ids_skip_blank(ps);
		if (*ps->p == ';')
			ps->p++;
		else if (*ps->p != ')')
			ids_fail(ps, ps->p, "expected ';' after option '%s'", name);
	}
	ps->p++;
	ids_skip_blank(ps);
	if (*ps->p && *ps->p != '#')
		ids_fail(ps, ps->p, "unexpected text after ')'%s", "");
	if (!has_content)
		ids_fail(ps, open, "rule without content%s", "");
	if (!has_sid)
		ids_fail(ps, open, "rule without sid%s", "");
	if (!has_msg)
		ids_fail(ps, open, "rule without msg%s", "");
}

static void ids_parse_line(struct ids_parser *ps, struct ids_rule *r)
{
	char w[16];
	const char *at = ids_word(ps, w, sizeof(w), "'alert'");
	if (strcmp(w, "alert"))
		ids_fail(ps, at, "unknown action '%s' (only 'alert')", w);
	at = ids_word(ps, w, sizeof(w), "'tcp'");
	if (strcmp(w, "tcp"))
		ids_fail(ps, at, "unsupported protocol '%s': signatures match reassembled TCP streams ('tcp')", w);
	ids_parse_addr(ps, &r->src);
	ids_parse_port(ps, &r->src);
	at = ids_word(ps, w, sizeof(w), "'->' or '<>'");
	if (strcmp(w, "->") && strcmp(w, "<>"))
		ids_fail(ps, at, "expected '->' or '<>', found '%s'", w);
	r->both = w[0] == '<';
	ids_parse_addr(ps, &r->dst);
	ids_parse_port(ps, &r->dst);
	ids_skip_blank(ps);
	ids_parse_options(ps, r);
}

static void ids_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	struct ids_parser ps = { .file = path };

	if (!f) {
		fprintf(stderr, "%s: error: cannot read the rules: %s\n", path, strerror(errno));
		exit(2);
	}
	rules = calloc(IDS_MAX_RULES, sizeof(*rules));
	if (!rules) {
		fprintf(stderr, "ids: out of memory\n");
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		ps.line++;
		line[strcspn(line, "\r\n")] = 0;
		ps.start = ps.p = line;
		ids_skip_blank(&ps);
		if (*ps.p == 0 || *ps.p == '#')
			continue;
		if (n_rules == IDS_MAX_RULES)
			ids_fail(&ps, ps.p, "more than %s rules", "4096");
		ids_parse_line(&ps, &rules[n_rules]);
		for (uint32_t i = 0; i < n_rules; i++)
			if (rules[i].sid == rules[n_rules].sid)
				ids_fail(&ps, ps.start, "duplicate sid (also on an earlier rule)%s", "");
		n_rules++;
	}
	fclose(f);
	if (n_rules == 0) {
		fprintf(stderr, "%s: error: no rules\n", path);
		exit(2);
	}
}

/* Rules from MOS_IDS_RULES or ids.rules next to this file, compiled into
 * one Hyperscan streaming database, before main(). */
__attribute__((constructor)) static void ids_init(void)
{
	char path[4096];
	const char *env = getenv("MOS_IDS_RULES");
	const char *slash = strrchr(__FILE__, '/');

	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "%.*sids.rules", slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__);
	ids_load(path);

	const char **pats = calloc(n_rules, sizeof(*pats));
	unsigned *flags = calloc(n_rules, sizeof(*flags)), *ids = calloc(n_rules, sizeof(*ids));
	size_t *lens = calloc(n_rules, sizeof(*lens));
	hs_compile_error_t *err = NULL;
	if (!pats || !flags || !ids || !lens) {
		fprintf(stderr, "ids: out of memory\n");
		exit(2);
	}
	for (uint32_t i = 0; i < n_rules; i++) {
		pats[i] = (const char *)rules[i].content;
		lens[i] = rules[i].clen;
		ids[i] = i;
		flags[i] = rules[i].nocase ? HS_FLAG_CASELESS : 0;
	}
	if (hs_compile_lit_multi(pats, flags, ids, lens, n_rules, HS_MODE_STREAM, NULL, &db, &err) != HS_SUCCESS) {
		fprintf(stderr, "%s: error: Hyperscan cannot compile rule %d: %s\n", path,
			err ? err->expression : -1, err ? err->message : "?");
		exit(2);
	}
	free(pats), free(flags), free(ids), free(lens);
}

__attribute__((destructor)) static void ids_report(void)
{
	if (mos_prog_quiet())
		return;
	fprintf(stderr, "ids: %u rules, %lu flows inspected, %lu without a slot (pool of %u per thread full), "
		"%lu matches dropped (queue of %u full), %lu holes, %lu Hyperscan errors\n",
		n_rules, atomic_load(&ids_flows), atomic_load(&ids_no_slot), IDS_POOL_CAP,
		atomic_load(&ids_dropped), IDS_QUEUE_CAP, atomic_load(&ids_holes), atomic_load(&ids_errors));
}

/* --- matching -------------------------------------------------------------- */

static bool ids_end_fits(const struct ids_end *e, const struct mos_addr *a, uint16_t port)
{
	if (port < e->plo || port > e->phi)
		return false;
	if (e->any)
		return true;
	uint32_t full = e->bits / 8, rest = e->bits % 8;
	if (memcmp(a->b, e->addr.b, full))
		return false;
	return rest == 0 || ((a->b[full] ^ e->addr.b[full]) & (0xff00u >> rest) & 0xff) == 0;
}

static int ids_on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *arg)
{
	const struct ids_scan_ctx *sc = arg;
	const struct ids_rule *r = &rules[id];
	(void)from, (void)fl;

	bool fwd = ids_end_fits(&r->src, &sc->a[0], sc->port[0]) && ids_end_fits(&r->dst, &sc->a[1], sc->port[1]);
	bool rev = r->both && ids_end_fits(&r->src, &sc->a[1], sc->port[1]) &&
		   ids_end_fits(&r->dst, &sc->a[0], sc->port[0]);
	if (!fwd && !rev)
		return 0;
	if (th.q_len == IDS_QUEUE_CAP) {
		atomic_fetch_add(&ids_dropped, 1);
		return 0;
	}
	struct ids_match *m = &th.q[(th.q_head + th.q_len++) % IDS_QUEUE_CAP];
	m->rule = id;
	m->side = sc->side;
	m->off = sc->base + to - r->clen;
	return 0;
}

static uint32_t ids_slot_get(void)
{
	uint32_t n = th.free_head;
	if (n) {
		th.free_head = th.slots[n - 1].next_free;
		return n;
	}
	if (th.used == IDS_POOL_CAP)
		return 0;
	struct ids_slot *s = &th.slots[th.used];
	if (hs_open_stream(db, 0, &s->hs[0]) != HS_SUCCESS || hs_open_stream(db, 0, &s->hs[1]) != HS_SUCCESS) {
		if (s->hs[0])
			hs_close_stream(s->hs[0], NULL, NULL, NULL);
		s->hs[0] = NULL;
		return 0;
	}
	return ++th.used;
}

/* Scan the new in-order bytes @side sent on @flow; returns the flow's slot
 * (taken at its first data; 0 when the pool is full). */
uint32_t ids_scan(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t slot)
{
	int other = side == MOS_SIDE_CLI ? MOS_SIDE_SVR : MOS_SIDE_CLI;
	struct mos_stream *st = mos_flow_stream(flow, other); /* bytes @side sent */
	const uint8_t *p;
	uint64_t lost = 0;              /* read_ptr adds to it */
	ssize_t n;

	if (!st || !db)
		return slot;
	if (!th.slots) {
		th.slots = calloc(IDS_POOL_CAP, sizeof(*th.slots));
		if (!th.slots || hs_alloc_scratch(db, &th.scratch) != HS_SUCCESS) {
			fprintf(stderr, "ids: out of memory\n");
			exit(2);
		}
	}
	if (!slot) {
		atomic_fetch_add(&ids_flows, 1);
		slot = ids_slot_get();
		if (!slot) {
			atomic_fetch_add(&ids_no_slot, 1);
			return 0;
		}
	}
	struct ids_slot *s = &th.slots[slot - 1];
	if (!s->cursor[side]) {
		int c = mos_stream_cursor_open(st);
		if (c < 0)
			return slot;
		s->cursor[side] = (uint8_t)(c + 1);
		s->base[side] = (uint64_t)mos_stream_cursor_offset(st, c);
	}
	struct ids_scan_ctx sc = { .side = (uint8_t)side, .base = s->base[side] };
	sc.a[0] = mos_prog_flow_addr(flow, side), sc.port[0] = mos_prog_flow_port(flow, side);
	sc.a[1] = mos_prog_flow_addr(flow, other), sc.port[1] = mos_prog_flow_port(flow, other);
	(void)ctx;
	while ((n = mos_stream_read_ptr(st, s->cursor[side] - 1, &p, SIZE_MAX, &lost)) >= 0) {
		if (lost) {
			/* a hole: no signature spans it */
			atomic_fetch_add(&ids_holes, 1);
			hs_reset_stream(s->hs[side], 0, NULL, NULL, NULL);
			s->base[side] = (uint64_t)mos_stream_cursor_offset(st, s->cursor[side] - 1) - (uint64_t)n;
			sc.base = s->base[side];
			lost = 0;
		}
		if (n > 0 && hs_scan_stream(s->hs[side], (const char *)p, (unsigned)n, 0, th.scratch,
					    ids_on_match, &sc) != HS_SUCCESS)
			atomic_fetch_add(&ids_errors, 1);
	}
	return slot;
}

/* The match queue, drained by the program: ids_pending() says whether a
 * match waits; ids_sid/msg/side/offset describe the first; ids_next()
 * removes it and says whether another waits. */
bool ids_pending(struct mos_ctx *ctx)
{
	(void)ctx;
	return th.q_len > 0;
}

bool ids_next(struct mos_ctx *ctx)
{
	(void)ctx;
	if (th.q_len) {
		th.q_head = (th.q_head + 1) % IDS_QUEUE_CAP;
		th.q_len--;
	}
	return th.q_len > 0;
}

static const struct ids_match *ids_head(void)
{
	static const struct ids_match none;
	return th.q_len ? &th.q[th.q_head] : &none;
}

uint32_t ids_sid(struct mos_ctx *ctx)
{
	(void)ctx;
	return th.q_len ? rules[ids_head()->rule].sid : 0;
}

struct mos_prog_bytes ids_msg(struct mos_ctx *ctx)
{
	(void)ctx;
	const char *m = th.q_len ? rules[ids_head()->rule].msg : "";
	return (struct mos_prog_bytes){ (const uint8_t *)m, (uint32_t)strlen(m) };
}

struct mos_prog_bytes ids_side(struct mos_ctx *ctx)
{
	(void)ctx;
	const char *s = mos_prog_side_name(ids_head()->side);
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

uint64_t ids_offset(struct mos_ctx *ctx)
{
	(void)ctx;
	return ids_head()->off;
}

/* Return the flow's slot: its Hyperscan streams are reset for the next flow
 * (the reassembler's cursors go with the flow's streams). */
void ids_release(struct mos_ctx *ctx, uint32_t slot)
{
	(void)ctx;
	if (!slot || !th.slots || slot > th.used)
		return;
	struct ids_slot *s = &th.slots[slot - 1];
	for (int i = 0; i < 2; i++) {
		hs_reset_stream(s->hs[i], 0, NULL, NULL, NULL);
		s->cursor[i] = 0;
		s->base[i] = 0;
	}
	s->next_free = th.free_head;
	th.free_head = slot;
}
