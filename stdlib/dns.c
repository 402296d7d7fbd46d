// SPDX-License-Identifier: BSD-3-Clause
/*
 * stdlib/dns.c — companion C of the stdlib module `dns` (stdlib/dns.mos,
 * docs/stdlib.md): parses one UDP datagram with the DNS parser
 * (parsers/dns.h) and answers questions about the message parsed last.
 * DNS over UDP needs no per-flow state: each datagram is a whole message,
 * so dns_parse() keeps only the last result, per thread, and the module
 * reads it in the same handler, right after parsing. Nothing is allocated.
 * Thread-safety: the last result and the parser's counters are per thread
 * (each worker's context runs on its own thread).
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "mos/program.h"
#include "parsers/dns.c"

static __thread struct mos_dns_msg dns_msg;    /* the message parsed last */
static __thread enum mos_dns_error dns_err;    /* its outcome */
static __thread char dns_text[MOS_DNS_MAX_ADDRS * 48]; /* dns_addrs() result */
static __thread char dns_num_text[8][16];       /* TYPEnnn / RCODEnn, a ring: the last 8 stay valid */
static __thread unsigned dns_num_next;          /* next slot of dns_num_text */
static __thread struct mos_dns_stats dns_stats; /* the parser's counters */

bool dns_parse(struct mos_ctx *ctx, struct mos_prog_bytes payload);
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
	dns_err = mos_dns_parse(payload.p, payload.p ? payload.len : 0, &dns_msg, &dns_stats);
	return dns_err == MOS_DNS_OK;
}

/* QR bit of the message parsed last. */
bool dns_response(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_err == MOS_DNS_OK && dns_msg.response;
}

uint16_t dns_id(struct mos_ctx *ctx)
{
	(void)ctx;
	return dns_msg.id;
}

/* First question name in presentation form ("" without a question). */
struct mos_prog_bytes dns_qname(struct mos_ctx *ctx)
{
	(void)ctx;
	if (dns_err != MOS_DNS_OK || !(dns_msg.flags & MOS_DNS_F_QUESTION))
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
	for (uint8_t i = 0; dns_err == MOS_DNS_OK && i < dns_msg.n_addrs; i++) {
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

/* Why the datagram parsed last is not a DNS message ("" when it is). */
struct mos_prog_bytes dns_error(struct mos_ctx *ctx)
{
	(void)ctx;
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
