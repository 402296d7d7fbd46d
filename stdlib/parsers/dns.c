/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/dns.c — DNS header, question and answer walking (RFC 1035 §4.1),
 * names with compression pointers (§4.1.4), loop-safe and bounded.
 */
#include "parsers/dns.h"

#include <string.h>

#define X_NAME(id, name) name,
static const char *const dns_error_names[] = { "ok", MOS_DNS_ERRORS(X_NAME) };
#undef X_NAME

const char *mos_dns_error_name(enum mos_dns_error e)
{
	return (unsigned)e < MOS_DNS_ERR__COUNT ? dns_error_names[e] : "?";
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Append k bytes to out; once one piece does not fit, nothing more is added. */
static void put_raw(char *out, size_t cap, size_t *n, bool *trunc, const char *s, size_t k)
{
	if (!out || *trunc)
		return;
	if (*n + k > cap - 1) {
		*trunc = true;
		return;
	}
	memcpy(out + *n, s, k);
	*n += k;
}

/* Append one label byte in presentation form; escapes as \DDD. */
static void put_char(char *out, size_t cap, size_t *n, bool *trunc, uint8_t b)
{
	char esc[4];
	if (b <= 0x20 || b >= 0x7f || b == '.' || b == '\\') {
		esc[0] = '\\';
		esc[1] = (char)('0' + b / 100);
		esc[2] = (char)('0' + b / 10 % 10);
		esc[3] = (char)('0' + b % 10);
		put_raw(out, cap, n, trunc, esc, 4);
	} else {
		esc[0] = (char)b;
		put_raw(out, cap, n, trunc, esc, 1);
	}
}

enum mos_dns_error mos_dns_read_name(const uint8_t *msg, size_t len, size_t *pos,
				     char *out, size_t cap, uint16_t *out_len, bool *truncated)
{
	size_t p = *pos, seg_start = *pos, n = 0, wire = 0, after = 0;
	unsigned jumps = 0;
	bool jumped = false, trunc = false;
	if (out && cap < 2)
		out = NULL;
	for (;;) {
		if (p >= len)
			return MOS_DNS_ERR_QUESTION_TRUNCATED;
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return MOS_DNS_ERR_QUESTION_TRUNCATED;
			size_t target = (size_t)(l & 0x3f) << 8 | msg[p + 1];
			if (!jumped)
				after = p + 2;
			if (target >= seg_start)
				return MOS_DNS_ERR_BAD_POINTER;
			if (++jumps > MOS_DNS_MAX_JUMPS)
				return MOS_DNS_ERR_POINTER_LOOP;
			jumped = true;
			p = seg_start = target;
			continue;
		}
		if (l & 0xc0)
			return MOS_DNS_ERR_BAD_LABEL;
		wire += 1 + (size_t)l;
		if (wire > 255)
			return MOS_DNS_ERR_NAME_TOO_LONG;
		if (l == 0) {
			p++;
			break;
		}
		if (p + 1 + l > len)
			return MOS_DNS_ERR_QUESTION_TRUNCATED;
		if (wire > 1 + (size_t)l)
			put_raw(out, cap, &n, &trunc, ".", 1);
		for (size_t i = 0; i < l; i++)
			put_char(out, cap, &n, &trunc, msg[p + 1 + i]);
		p += 1 + (size_t)l;
	}
	if (wire == 1)
		put_raw(out, cap, &n, &trunc, ".", 1);
	if (out)
		out[n] = '\0';
	*pos = jumped ? after : p;
	if (out_len)
		*out_len = (uint16_t)n;
	if (truncated)
		*truncated = trunc;
	return MOS_DNS_OK;
}

static enum mos_dns_error dns_fail(struct mos_dns_stats *st, enum mos_dns_error e)
{
	if (st)
		st->errors[e]++;
	return e;
}

enum mos_dns_error mos_dns_parse(const uint8_t *msg, size_t len, struct mos_dns_msg *out,
				 struct mos_dns_stats *st)
{
	memset(out, 0, sizeof(*out));
	if (!msg || len < MOS_DNS_HDR_LEN)
		return dns_fail(st, MOS_DNS_ERR_TRUNCATED);
	out->id = rd16(msg);
	out->hdr_flags = rd16(msg + 2);
	out->response = (out->hdr_flags & 0x8000) != 0;
	out->opcode = (uint8_t)((out->hdr_flags >> 11) & 0xf);
	out->rcode = (uint8_t)(out->hdr_flags & 0xf);
	out->qdcount = rd16(msg + 4);
	out->ancount = rd16(msg + 6);
	out->nscount = rd16(msg + 8);
	out->arcount = rd16(msg + 10);

	size_t p = MOS_DNS_HDR_LEN;
	for (unsigned q = 0; q < out->qdcount; q++) {
		bool trunc = false;
		enum mos_dns_error e;
		if (q == 0)
			e = mos_dns_read_name(msg, len, &p, out->qname, sizeof(out->qname),
					      &out->qname_len, &trunc);
		else
			e = mos_dns_read_name(msg, len, &p, NULL, 0, NULL, NULL);
		if (e)
			return dns_fail(st, e);
		if (p + 4 > len)
			return dns_fail(st, MOS_DNS_ERR_QUESTION_TRUNCATED);
		if (q == 0) {
			out->qtype = rd16(msg + p);
			out->qclass = rd16(msg + p + 2);
			out->flags |= MOS_DNS_F_QUESTION;
			if (trunc)
				out->flags |= MOS_DNS_F_TRUNC_NAME;
		}
		p += 4;
	}

	for (unsigned a = 0; a < out->ancount; a++) {
		if (mos_dns_read_name(msg, len, &p, NULL, 0, NULL, NULL) != MOS_DNS_OK ||
		    p + 10 > len) {
			out->flags |= MOS_DNS_F_ANSWERS_BAD;
			break;
		}
		uint16_t type = rd16(msg + p), cls = rd16(msg + p + 2);
		uint32_t ttl = (uint32_t)rd16(msg + p + 4) << 16 | rd16(msg + p + 6);
		uint16_t rdlen = rd16(msg + p + 8);
		p += 10;
		if (p + rdlen > len) {
			out->flags |= MOS_DNS_F_ANSWERS_BAD;
			break;
		}
		if (cls == 1 && out->n_addrs < MOS_DNS_MAX_ADDRS &&
		    ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16))) {
			struct mos_dns_addr *ad = &out->addrs[out->n_addrs++];
			ad->family = type == 1 ? 4 : 6;
			memcpy(ad->addr, msg + p, rdlen);
			ad->ttl = ttl;
		}
		p += rdlen;
		out->answers++;
	}
	if (st) {
		if (out->response)
			st->responses++;
		else
			st->queries++;
		if (out->flags & MOS_DNS_F_ANSWERS_BAD)
			st->answers_bad++;
	}
	return MOS_DNS_OK;
}
