// SPDX-License-Identifier: BSD-3-Clause
/*
 * stdlib/dns.c — companion C of the stdlib module `dns` (stdlib/dns.mos,
 * docs/stdlib.md): parses DNS messages with the DNS parser (parsers/dns.h)
 * and answers questions about the message parsed last.
 * Over UDP each datagram is a whole message: dns_parse() keeps only the
 * last result, per thread, and the module reads it in the same handler,
 * right after parsing. Over TCP (RFC 1035 4.2.2, RFC 7766) every message
 * follows a two-byte length: dns_tcp_next() parses the next message of one
 * direction once all its bytes are readable in the stream (positional
 * reads into a per-thread 64 KiB buffer; the module's monitor keeps a
 * window larger than the largest message); its per-flow state is the
 * offset of each direction's next message, from a fixed pool
 * (flowstate.h). Nothing is allocated per packet.
 * Thread-safety: the last result, the pool and the parser's counters are
 * per thread (each worker's context runs on its own thread).
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "mos/program.h"
#include "flowstate.h"
#include "parsers/dns.c"

/* DNS over TCP: connections parsed at once (a new one beyond gets no
 * state: error "no_state"); 24 bytes each. */
#ifndef MOS_STDLIB_DNS_TCP_FLOWS
#define MOS_STDLIB_DNS_TCP_FLOWS 16384
#endif

struct dns_tcp_flow {
	uint64_t off[2];             /* offset of the next message's length, by sender */
	bool stopped[2];             /* that direction is not read any more (framing lost) */
};

static __thread struct mos_dns_msg dns_msg;    /* the message parsed last */
static __thread enum mos_dns_error dns_err;    /* its outcome */
static __thread char dns_text[MOS_DNS_MAX_ADDRS * 48]; /* dns_addrs() result */
static __thread char dns_num_text[8][16];       /* TYPEnnn / RCODEnn, a ring: the last 8 stay valid */
static __thread unsigned dns_num_next;          /* next slot of dns_num_text */
static __thread struct mos_dns_stats dns_stats; /* the parser's counters */
static __thread const char *dns_tcp_err;        /* a TCP framing error found last, or NULL */
static __thread struct mos_fstate_pool dns_tcp_pool = { .cap = MOS_STDLIB_DNS_TCP_FLOWS,
					       .size = sizeof(struct dns_tcp_flow) };
static __thread uint8_t dns_tcp_buf[UINT16_MAX]; /* the message being parsed */

bool dns_parse(struct mos_ctx *ctx, struct mos_prog_bytes payload);
bool dns_ok(struct mos_ctx *ctx);
bool dns_tcp_next(struct mos_ctx *ctx, struct mos_flow *flow, int side);
void dns_tcp_close(struct mos_ctx *ctx, struct mos_flow *flow);
bool dns_response(struct mos_ctx *ctx);
uint16_t dns_id(struct mos_ctx *ctx);
struct mos_prog_bytes dns_qname(struct mos_ctx *ctx);
uint16_t dns_qtype(struct mos_ctx *ctx);
uint16_t dns_qclass(struct mos_ctx *ctx);
uint8_t dns_opcode(struct mos_ctx *ctx);
uint8_t dns_rcode(struct mos_ctx *ctx);
uint16_t dns_flags(struct mos_ctx *ctx);
uint16_t dns_answers(struct mos_ctx *ctx);
bool dns_answers_bad(struct mos_ctx *ctx);
struct mos_prog_bytes dns_addrs(struct mos_ctx *ctx);
struct mos_prog_bytes dns_error(struct mos_ctx *ctx);
struct mos_prog_bytes qtype_str(struct mos_ctx *ctx, uint16_t qtype);
struct mos_prog_bytes rcode_str(struct mos_ctx *ctx, uint8_t rcode);

static struct mos_prog_bytes dns_bytes(const char *s)
{
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

/* "@prefix@n" in the next slot of the ring, so several results can be
 * used in one expression or record. */
static const char *dns_num(const char *prefix, unsigned n)
{
	char *t = dns_num_text[dns_num_next++ % 8];

	snprintf(t, sizeof(dns_num_text[0]), "%s%u", prefix, n);
	return t;
}

/* Parse @payload (a whole UDP payload; never read beyond payload.len).
 * True when it is a DNS message: header and first question parsed (a
 * problem in the answers only sets dns_answers_bad()). False otherwise:
 * dns_error() names the reason. */
bool dns_parse(struct mos_ctx *ctx, struct mos_prog_bytes payload)
{
	(void)ctx;
	dns_tcp_err = NULL;
	dns_err = mos_dns_parse(payload.p, payload.p ? payload.len : 0, &dns_msg, &dns_stats);
	return dns_err == MOS_DNS_OK;
}

/* The message found last (dns_parse, dns_tcp_next) is a DNS message. */
bool dns_ok(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_tcp_err == NULL && dns_err == MOS_DNS_OK;
}

/* @side stops being read (its framing is lost); error @why. */
static bool dns_tcp_stop(struct dns_tcp_flow *t, int i, const char *why)
{
	if (t)
		t->stopped[i] = true;
	dns_tcp_err = why;
	return true;
}

/*
 * The next message @side sent on @flow, over TCP. True when one was found
 * (parsed: dns_ok() and the functions below tell what it is) or when the
 * direction's framing was lost (dns_ok() false, dns_error() "gap": bytes
 * of the stream are missing; "cut_short": the stream ended inside a
 * message; "no_state": no state was left for the flow); that direction is
 * then not read again. False when no whole message is readable yet.
 */
bool dns_tcp_next(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	int i = side == MOS_SIDE_SVR ? 1 : 0;
	bool is_new;
	struct dns_tcp_flow *t = mos_fstate_get(&dns_tcp_pool, ctx, flow, true, &is_new);
	struct mos_stream *s =
		mos_flow_stream(flow, side == MOS_SIDE_CLI ? MOS_SIDE_SVR : MOS_SIDE_CLI);
	struct mos_stream_info in;
	uint8_t pre[2];
	uint64_t end;
	uint32_t len;

	if (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR)
		return false;
	if (t == NULL)
		return dns_tcp_stop(NULL, i, "no_state");
	if (t->stopped[i] || s == NULL || mos_stream_get_info(s, &in) != 0)
		return false;
	if (t->off[i] < in.base)
		return dns_tcp_stop(t, i, "gap");
	if (in.edge < t->off[i] + 2) {
		if ((in.fin_seen || in.rst_seen) && in.edge > t->off[i] &&
		    in.edge == (in.fin_seen ? in.fin_off : in.rst_off))
			return dns_tcp_stop(t, i, "cut_short");
		return false;
	}
	if (mos_stream_peek(s, t->off[i], pre, 2) != 2)
		return dns_tcp_stop(t, i, "gap");
	len = (uint32_t)pre[0] << 8 | pre[1];
	end = t->off[i] + 2 + len;
	if (in.edge < end) {
		if ((in.fin_seen && in.fin_off < end) || (in.rst_seen && in.rst_off < end))
			return dns_tcp_stop(t, i, "cut_short");
		return false;
	}
	if (len > 0 && mos_stream_peek(s, t->off[i] + 2, dns_tcp_buf, len) != (ssize_t)len)
		return dns_tcp_stop(t, i, "gap");
	t->off[i] = end;
	dns_tcp_err = NULL;
	dns_err = mos_dns_parse(dns_tcp_buf, len, &dns_msg, &dns_stats);
	return true;
}

/* The connection ended: its state goes back to the pool. */
void dns_tcp_close(struct mos_ctx *ctx, struct mos_flow *flow)
{
	mos_fstate_put(&dns_tcp_pool, ctx, flow);
}

/* QR bit of the message parsed last. */
bool dns_response(struct mos_ctx *ctx)
{
	return dns_ok(ctx) && dns_msg.response;
}

uint16_t dns_id(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_msg.id;
}

/* First question name in presentation form ("" without a question). */
struct mos_prog_bytes dns_qname(struct mos_ctx *ctx)
{
	if (!dns_ok(ctx) || !(dns_msg.flags & MOS_DNS_F_QUESTION))
		return dns_bytes("");
	return (struct mos_prog_bytes){ (const uint8_t *)dns_msg.qname, dns_msg.qname_len };
}

uint16_t dns_qtype(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_msg.flags & MOS_DNS_F_QUESTION ? dns_msg.qtype : 0;
}

uint16_t dns_qclass(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_msg.flags & MOS_DNS_F_QUESTION ? dns_msg.qclass : 0;
}

uint8_t dns_opcode(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_msg.opcode;
}

uint8_t dns_rcode(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_msg.rcode;
}

/* The raw header flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode). */
uint16_t dns_flags(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_msg.hdr_flags;
}

/* ANCOUNT of the header. */
uint16_t dns_answers(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_msg.ancount;
}

/* The answer section is cut short or malformed (counted by the parser). */
bool dns_answers_bad(struct mos_ctx *ctx)
{
	(void)ctx;
	return (dns_msg.flags & MOS_DNS_F_ANSWERS_BAD) != 0;
}

/* The first MOS_DNS_MAX_ADDRS A/AAAA answers, joined with ",". */
struct mos_prog_bytes dns_addrs(struct mos_ctx *ctx)
{
	size_t n = 0;

	(void)ctx;
	dns_text[0] = 0;
	for (uint8_t i = 0; dns_ok(ctx) && i < dns_msg.n_addrs; i++) {
		const struct mos_dns_addr *a = &dns_msg.addrs[i];
		char one[48];

		if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, one, sizeof(one)) == NULL)
			continue;
		n += (size_t)snprintf(dns_text + n, sizeof(dns_text) - n, "%s%s", n ? "," : "", one);
		if (n >= sizeof(dns_text))
			n = sizeof(dns_text) - 1;
	}
	return (struct mos_prog_bytes){ (const uint8_t *)dns_text, (uint32_t)n };
}

/* Why the message found last is not a DNS message ("" when it is). */
struct mos_prog_bytes dns_error(struct mos_ctx *ctx)
{
	(void)ctx;
	if (dns_tcp_err)
		return dns_bytes(dns_tcp_err);
	return dns_bytes(dns_err == MOS_DNS_OK ? "" : mos_dns_error_name(dns_err));
}

/* Mnemonic of a question type (RFC 1035, 3596, 2782, 6672, 4034, 9460);
 * "TYPEnnn" (RFC 3597) for the others. */
struct mos_prog_bytes qtype_str(struct mos_ctx *ctx, uint16_t qtype)
{
	static const struct {
		uint16_t type;       /* RR type */
		const char *name;    /* its mnemonic */
	} types[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
		{ 13, "HINFO" }, { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" },
		{ 35, "NAPTR" }, { 39, "DNAME" }, { 41, "OPT" }, { 43, "DS" }, { 46, "RRSIG" },
		{ 47, "NSEC" }, { 48, "DNSKEY" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" },
		{ 252, "AXFR" }, { 255, "ANY" }, { 257, "CAA" },
	};

	(void)ctx;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == qtype)
			return dns_bytes(types[i].name);
	return dns_bytes(dns_num("TYPE", qtype));
}

/* Mnemonic of a response code (RFC 1035, 2136); "RCODEnn" for others. */
struct mos_prog_bytes rcode_str(struct mos_ctx *ctx, uint8_t rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
					     "NXRRSET", "NOTAUTH", "NOTZONE" };

	(void)ctx;
	if (rcode < sizeof(names) / sizeof(names[0]))
		return dns_bytes(names[rcode]);
	return dns_bytes(dns_num("RCODE", rcode));
}
