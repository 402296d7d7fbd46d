/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/dns.h — DNS message parser for UDP payloads (companion C of the
 * stdlib module `dns`): header, first question, answer count and the first
 * A/AAAA answers (RFC 1035 §4, RFC 3596).
 *
 * One call parses one datagram; no state, no allocation. Names are followed
 * through compression pointers with a loop-safe rule (a pointer must point
 * before the start of the label run that contains it, so every jump goes
 * strictly backwards) and at most MOS_DNS_MAX_JUMPS jumps per name. Names are
 * returned in presentation form ("www.example.com", root ".") with bytes
 * outside 0x21-0x7e, '.' and '\' escaped as \DDD; copies longer than
 * MOS_DNS_NAME_MAX are truncated and flagged.
 *
 * Thread-safety: pure function of its input; stats must belong to the caller's
 * thread.
 */
#ifndef MOS_PARSERS_DNS_H
#define MOS_PARSERS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef MOS_DNS_NAME_MAX
#define MOS_DNS_NAME_MAX  256   /* presentation-form name, NUL included */
#endif
#ifndef MOS_DNS_MAX_ADDRS
#define MOS_DNS_MAX_ADDRS 4     /* A/AAAA answers kept */
#endif
#define MOS_DNS_MAX_JUMPS 16    /* compression pointers followed per name */
#define MOS_DNS_HDR_LEN   12

/* Outcomes of mos_dns_parse(), one X(ID, "name") each; names are stable. */
#define MOS_DNS_ERRORS(X)                                               \
	X(TRUNCATED,          "truncated")      /* shorter than the header */ \
	X(BAD_LABEL,          "bad_label")      /* reserved label type 01/10 */ \
	X(NAME_TOO_LONG,      "name_too_long")  /* over 255 wire bytes */   \
	X(BAD_POINTER,        "bad_pointer")    /* not strictly backwards */ \
	X(POINTER_LOOP,       "pointer_loop")   /* over MOS_DNS_MAX_JUMPS */ \
	X(QUESTION_TRUNCATED, "question_truncated")

#define MOS_DNS_X_ENUM(id, name) MOS_DNS_ERR_##id,
enum mos_dns_error {
	MOS_DNS_OK = 0,
	MOS_DNS_ERRORS(MOS_DNS_X_ENUM)
	MOS_DNS_ERR__COUNT
};
#undef MOS_DNS_X_ENUM

/* Message flags (struct mos_dns_msg.flags), besides the header bits. */
#define MOS_DNS_F_QUESTION     0x01u  /* a question was parsed */
#define MOS_DNS_F_TRUNC_NAME   0x02u  /* qname[] shorter than the name */
#define MOS_DNS_F_ANSWERS_BAD  0x04u  /* answer section cut short or malformed */

struct mos_dns_addr {
	uint8_t family;         /* 4 (A) or 6 (AAAA) */
	uint8_t addr[16];       /* network order; 4 bytes used for A */
	uint32_t ttl;           /* TTL of the record */
};

struct mos_dns_msg {
	uint16_t id;                        /* transaction id */
	uint16_t hdr_flags;                 /* raw flags word (QR, opcode, AA, TC, RD, RA, rcode) */
	bool response;                      /* QR bit */
	uint8_t opcode;                     /* 0 query, ... */
	uint8_t rcode;                      /* 0 NOERROR, 3 NXDOMAIN, ... */
	uint16_t qdcount;                   /* header: questions */
	uint16_t ancount;                   /* header: answer records */
	uint16_t nscount;                   /* header: authority records */
	uint16_t arcount;                   /* header: additional records */
	uint32_t flags;                     /* MOS_DNS_F_* */
	uint16_t qtype;                     /* type of the first question */
	uint16_t qclass;                    /* class of the first question */
	uint16_t qname_len;                 /* bytes in qname[] */
	uint16_t answers;                   /* answer RRs walked successfully */
	uint8_t n_addrs;                    /* entries in addrs[] */
	struct mos_dns_addr addrs[MOS_DNS_MAX_ADDRS]; /* first A/AAAA answers (class IN) */
	char qname[MOS_DNS_NAME_MAX];       /* first question name, presentation form */
};

struct mos_dns_stats {
	uint64_t queries;                       /* messages with QR=0 parsed */
	uint64_t responses;                     /* messages with QR=1 parsed */
	uint64_t answers_bad;                   /* responses with MOS_DNS_F_ANSWERS_BAD */
	uint64_t errors[MOS_DNS_ERR__COUNT];    /* by enum mos_dns_error */
};

/*
 * Parse the DNS message msg[0 .. len-1] into *out (always fully written).
 * Returns MOS_DNS_OK or the reason it is malformed (counted in stats when not
 * NULL). Problems after the first question only set MOS_DNS_F_ANSWERS_BAD.
 * Never reads outside msg.
 */
enum mos_dns_error mos_dns_parse(const uint8_t *msg, size_t len, struct mos_dns_msg *out,
				 struct mos_dns_stats *stats);

/*
 * Read the name at msg[*pos] (following pointers) into out (presentation
 * form, NUL-terminated, cap >= 2; NULL/0 to only skip it). On success *pos is
 * after the name in the original position, *out_len its length and
 * *truncated tells if out was short. Returns MOS_DNS_OK or an error.
 */
enum mos_dns_error mos_dns_read_name(const uint8_t *msg, size_t len, size_t *pos,
				     char *out, size_t cap, uint16_t *out_len, bool *truncated);

const char *mos_dns_error_name(enum mos_dns_error e);

#endif /* MOS_PARSERS_DNS_H */
