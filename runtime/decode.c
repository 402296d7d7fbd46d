/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decode.c — the packet decoder (see mos/decode.h and docs/decoder.md).
 *
 * One pass over the frame, outermost header first: link layer, then
 * VLAN/MPLS/PPPoE shims, then up to MOS_IP_MAX_DEPTH nested IP headers
 * (with IPv6 extension headers, AH included), then one transport header. Every
 * multi-byte field is read with explicit byte loads (no unaligned casts),
 * every read is checked against caplen first, and every loop consumes
 * bytes or is capped, so the work per frame is bounded by its length.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mos/decode.h"

/* Protocol numbers and ethertypes the decoder dispatches on. */
enum {
	IPP_HOPOPTS = 0, IPP_ICMP = 1, IPP_IPIP = 4, IPP_TCP = 6, IPP_UDP = 17,
	IPP_IPV6 = 41, IPP_ROUTING = 43, IPP_FRAGMENT = 44, IPP_ESP = 50,
	IPP_AH = 51, IPP_ICMPV6 = 58, IPP_NONE = 59, IPP_DSTOPTS = 60,
	IPP_MOBILITY = 135, IPP_HIP = 139, IPP_SHIM6 = 140,
};
enum {
	ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100,
	ETH_QINQ = 0x88a8, ETH_QINQ_OLD = 0x9100, ETH_MPLS_UC = 0x8847, ETH_MPLS_MC = 0x8848,
	ETH_PPPOE_SESS = 0x8864,
};

/* What the link layer found: the network header's family. */
enum l3_kind { L3_NONE = 0, L3_IPV4 = 4, L3_IPV6 = 6 };

static const char *const malformed_names[MOS_MALFORMED_COUNT] = {
	[MOS_MALFORMED_NONE] = "none",
#define MOS_X_(id, name) [MOS_MALFORMED_##id] = name,
	MOS_MALFORMED_REASONS(MOS_X_)
#undef MOS_X_
};

const char *
mos_malformed_name(enum mos_malformed reason)
{
	if ((unsigned)reason >= MOS_MALFORMED_COUNT)
		return NULL;
	return malformed_names[reason];
}

bool
mos_linktype_supported(int linktype)
{
	switch (linktype) {
	case MOS_LINK_NULL: case MOS_LINK_ETHERNET: case MOS_LINK_RAW:
	case MOS_LINK_DLT_RAW: case MOS_LINK_DLT_RAW_BSD:
	case MOS_LINK_LOOP: case MOS_LINK_LINUX_SLL: case MOS_LINK_IPV4:
	case MOS_LINK_IPV6: case MOS_LINK_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Record a malformed reason; returns it so callers can `return fail(...)`. */
static inline int
fail(struct mos_pkt *pkt, enum mos_malformed reason)
{
	pkt->flags |= MOS_PKT_F_MALFORMED;
	pkt->malformed = (uint8_t)reason;
	return (int)reason;
}

static inline void
addr_v4(struct mos_addr *a, const uint8_t *p)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	memcpy(a->b, prefix, sizeof(prefix));
	memcpy(a->b + 12, p, 4);
}

static inline bool
is_vlan_tpid(uint16_t t)
{
	return t == ETH_VLAN || t == ETH_QINQ || t == ETH_QINQ_OLD;
}

/*
 * Link-layer shims after an ethertype: VLAN tags, MPLS (with an Ethernet
 * pseudowire behind a control word), PPPoE session. @off is the offset of
 * the byte after the ethertype field @type. Returns the kind of network
 * header found at *off, or a negative malformed reason. *@lim is lowered to
 * the end of the PPPoE payload when its length field bounds the packet.
 */
static int
decode_ethertype(const uint8_t *d, uint32_t cap, uint32_t *offp, uint16_t type,
		 uint32_t *lim, struct mos_pkt *pkt)
{
	uint32_t off = *offp;

	for (;;) {
		if (type == ETH_IPV4) {
			*offp = off;
			return L3_IPV4;
		}
		if (type == ETH_IPV6) {
			*offp = off;
			return L3_IPV6;
		}
		if (is_vlan_tpid(type)) {
			if (cap - off < 4)
				return -MOS_MALFORMED_VLAN_TRUNCATED;
			if (pkt->n_vlans >= MOS_VLAN_MAX_DEPTH)
				return -MOS_MALFORMED_VLAN_TOO_DEEP;
			if (pkt->n_vlans < MOS_VLAN_KEEP)
				pkt->vlan[pkt->n_vlans] = rd16(d + off) & 0x0fff;
			pkt->n_vlans++;
			pkt->flags |= MOS_PKT_F_VLAN;
			pkt->protos |= MOS_PROTO_VLAN;
			type = rd16(d + off + 2);
			off += 4;
			continue;
		}
		if (type == ETH_MPLS_UC || type == ETH_MPLS_MC) {
			pkt->flags |= MOS_PKT_F_MPLS;
			for (;;) {       /* label stack: ends at the bottom-of-stack bit */
				if (cap - off < 4)
					return -MOS_MALFORMED_MPLS_TRUNCATED;
				off += 4;
				if (d[off - 2] & 0x01)
					break;
			}
			if (cap == off)
				return L3_NONE;
			switch (d[off] >> 4) {
			case 4:
				*offp = off;
				return L3_IPV4;
			case 6:
				*offp = off;
				return L3_IPV6;
			case 0:  /* pseudowire control word, then an Ethernet frame */
				if (cap - off < 4 + 14)
					return -MOS_MALFORMED_MPLS_TRUNCATED;
				off += 4 + 14;
				type = rd16(d + off - 2);
				continue;
			default:
				return L3_NONE;
			}
		}
		if (type == ETH_PPPOE_SESS) {
			if (cap - off < 8)
				return -MOS_MALFORMED_PPPOE_TRUNCATED;
			pkt->flags |= MOS_PKT_F_PPPOE;
			uint16_t ppp = rd16(d + off + 6);
			uint32_t pend = off + 6 + rd16(d + off + 4);

			if (pend < *lim)
				*lim = pend;
			off += 8;
			if (ppp == 0x0021)
				type = ETH_IPV4;
			else if (ppp == 0x0057)
				type = ETH_IPV6;
			else
				return L3_NONE;
			continue;
		}
		return L3_NONE;
	}
}

/* Link layer: sets *off to the network header. Returns enum l3_kind or a
 * negative malformed reason. */
static int
decode_link(const uint8_t *d, uint32_t cap, int linktype, uint32_t *off,
	    uint32_t *lim, struct mos_pkt *pkt)
{
	uint32_t fam;
	uint16_t type;

	switch (linktype) {
	case MOS_LINK_ETHERNET:
		if (cap < 14)
			return -MOS_MALFORMED_LINK_TRUNCATED;
		type = rd16(d + 12);
		*off = 14;
		if (type <= 1500) {
			/* 802.3 length; only LLC/SNAP with OUI 0 carries an ethertype. */
			if (cap < 22 || d[14] != 0xaa || d[15] != 0xaa || d[16] != 0x03 ||
			    d[17] != 0 || d[18] != 0 || d[19] != 0)
				return L3_NONE;
			type = rd16(d + 20);
			*off = 22;
		}
		return decode_ethertype(d, cap, off, type, lim, pkt);
	case MOS_LINK_LINUX_SLL:
		if (cap < 16)
			return -MOS_MALFORMED_LINK_TRUNCATED;
		*off = 16;
		if (rd16(d + 2) == 824)          /* ARPHRD_NETLINK */
			return L3_NONE;
		return decode_ethertype(d, cap, off, rd16(d + 14), lim, pkt);
	case MOS_LINK_LINUX_SLL2:
		if (cap < 20)
			return -MOS_MALFORMED_LINK_TRUNCATED;
		*off = 20;
		if (rd16(d + 8) == 824)
			return L3_NONE;
		return decode_ethertype(d, cap, off, rd16(d), lim, pkt);
	case MOS_LINK_NULL:
	case MOS_LINK_LOOP:
		if (cap < 4)
			return -MOS_MALFORMED_LINK_TRUNCATED;
		*off = 4;
		/* LOOP: network order. NULL: the capturing host's order; read
		 * little-endian and swap when the high half is set (as libpcap
		 * and tshark do). */
		fam = rd32(d);
		if (linktype == MOS_LINK_NULL) {
			fam = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
			      (uint32_t)d[3] << 24;
			if (fam & 0xffff0000u)
				fam = rd32(d);
		}
		if (fam == 2)
			return L3_IPV4;
		if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			return L3_IPV6;
		return L3_NONE;
	case MOS_LINK_RAW:
	case MOS_LINK_DLT_RAW:
	case MOS_LINK_DLT_RAW_BSD:
		if (cap < 1)
			return -MOS_MALFORMED_LINK_TRUNCATED;
		*off = 0;
		if ((d[0] >> 4) == 6)
			return L3_IPV6;
		if ((d[0] >> 4) == 4)
			return L3_IPV4;
		return -MOS_MALFORMED_IPV4_BAD_VERSION;  /* neither: not IP at all */
	case MOS_LINK_IPV4:
	case MOS_LINK_IPV6:
		if (cap < 1)
			return -MOS_MALFORMED_LINK_TRUNCATED;
		*off = 0;
		return linktype == MOS_LINK_IPV4 ? L3_IPV4 : L3_IPV6;
	default:
		return -MOS_MALFORMED_LINK_UNSUPPORTED;
	}
}

/* Fragment sanity (both families): the data must end within 65535 bytes
 * and, when more fragments follow, be a non-empty multiple of 8. */
static inline bool
frag_ok(uint32_t frag_off, uint32_t data_len, bool more)
{
	if (frag_off + data_len > 65535)
		return false;
	if (more && (data_len == 0 || (data_len & 7) != 0))
		return false;
	return true;
}

/*
 * Walk an ICMP error's quoted IP header (of @version: 4 in ICMP, 6 in
 * ICMPv6) in d[q .. end-1] and set the protocol bits of what it quotes:
 * tshark counts the quoted TCP/UDP header when its ports were sent (before
 * @wend, captured or not). Never fails: a quote is usually cut short and
 * nothing here is validated.
 */
static void
decode_quote(const uint8_t *d, uint32_t q, uint32_t end, uint32_t wend, int version,
	     struct mos_pkt *pkt)
{
	uint32_t pos;
	uint8_t nh;

	if (end <= q || (d[q] >> 4) != version)
		return;
	switch (version) {
	case 4: {
		if (end - q < 20 || (d[q] & 0x0f) < 5)
			return;
		pos = q + (uint32_t)(d[q] & 0x0f) * 4;
		if (pos > end)
			return;
		nh = d[q + 9];
		pkt->protos |= MOS_PROTO_IPV4;
		if (rd16(d + q + 6) & 0x1fff)    /* non-first fragment */
			goto done_noport;
		break;
	}
	case 6: {
		if (end - q < 40)
			return;
		pos = q + 40;
		nh = d[q + 6];
		pkt->protos |= MOS_PROTO_IPV6;
		for (int n = 0; n < MOS_IPV6_EXT_MAX; n++) {
			uint32_t len;

			if (nh == IPP_HOPOPTS || nh == IPP_ROUTING || nh == IPP_DSTOPTS ||
			    nh == IPP_MOBILITY || nh == IPP_HIP || nh == IPP_SHIM6) {
				if (end - pos < 2)
					return;
				len = ((uint32_t)d[pos + 1] + 1) * 8;
			} else if (nh == IPP_AH) {
				if (end - pos < 2)
					return;
				len = ((uint32_t)d[pos + 1] + 2) * 4;
			} else if (nh == IPP_FRAGMENT) {
				if (end - pos < 8)
					return;
				if (rd16(d + pos + 2) & 0xfff8) {
					nh = d[pos];
					pos += 8;
					goto done_noport;
				}
				len = 8;
			} else {
				break;
			}
			if (end - pos < len)
				return;
			nh = d[pos];
			pos += len;
		}
		break;
	}
	default:
		return;
	}
	if (wend >= pos + 4) {                  /* the ports were sent */
		if (nh == IPP_TCP)
			pkt->protos |= MOS_PROTO_TCP;
		else if (nh == IPP_UDP)
			pkt->protos |= MOS_PROTO_UDP;
	}
done_noport:
	if (nh == IPP_ICMP)
		pkt->protos |= MOS_PROTO_ICMP;
	else if (nh == IPP_ICMPV6)
		pkt->protos |= MOS_PROTO_ICMPV6;
	pkt->flags |= MOS_PKT_F_ICMP_QUOTE;
	pkt->quote_off = (uint16_t)q;
	pkt->quote_proto = nh;
}

/*
 * TCP options in d[pos .. end-1] (all captured). TLV structure errors are
 * malformed; a known option with the wrong length is ignored, as Linux does.
 */
static int
decode_tcp_opts(const uint8_t *d, uint32_t pos, uint32_t end, struct mos_tcp_opts *o)
{
	while (pos < end) {
		uint8_t kind = d[pos];
		uint32_t len;

		if (kind == 0)                  /* end of option list */
			break;
		if (kind == 1) {                /* no-operation */
			pos++;
			continue;
		}
		if (end - pos < 2)
			return -1;
		len = d[pos + 1];
		if (len < 2 || len > end - pos)
			return -1;
		const uint8_t *v = d + pos + 2;
		switch (kind) {
		case 2:
			if (len == 4) {
				o->present |= MOS_TCPOPT_MSS;
				o->mss = rd16(v);
			}
			break;
		case 3:
			if (len == 3) {
				o->present |= MOS_TCPOPT_WSCALE;
				o->wscale = v[0];
			}
			break;
		case 4:
			if (len == 2)
				o->present |= MOS_TCPOPT_SACK_PERM;
			break;
		case 5:
			if (len >= 10 && ((len - 2) & 7) == 0) {
				uint32_t n = (len - 2) / 8;

				if (n > MOS_TCP_SACK_MAX)
					n = MOS_TCP_SACK_MAX;
				for (uint32_t i = 0; i < n; i++) {
					o->sack[i][0] = rd32(v + 8 * i);
					o->sack[i][1] = rd32(v + 8 * i + 4);
				}
				o->sack_blocks = (uint8_t)n;
				o->present |= MOS_TCPOPT_SACK;
			}
			break;
		case 8:
			if (len == 10) {
				o->present |= MOS_TCPOPT_TS;
				o->ts_val = rd32(v);
				o->ts_ecr = rd32(v + 4);
			}
			break;
		default:
			break;
		}
		pos += len;
	}
	return 0;
}

/*
 * Transport header at pkt->l4_off. @end is the end of the IP datagram per
 * its header, @cap the captured length, @wend the frame's wire length,
 * @frag true for a first fragment (whose data may end before the transport
 * header does).
 */
static int
decode_l4(const uint8_t *d, uint32_t cap, uint32_t wend, uint32_t end, bool frag,
	  struct mos_pkt *pkt)
{
	uint32_t off = pkt->l4_off;
	uint32_t span = end - off;              /* transport bytes per the IP length */
	/* Present for the counters: at least one byte of it on the wire. */
	bool present = (end < wend ? end : wend) > off;
	uint32_t have = cap > off ? cap - off : 0; /* transport bytes captured */
	uint32_t hl;

	switch (pkt->l4_proto) {
	case IPP_TCP:
		if (present)
			pkt->protos |= MOS_PROTO_TCP;
		if (span < 20) {
			if (frag)               /* header continues in the next fragment */
				return 0;
			return fail(pkt, MOS_MALFORMED_TCP_TRUNCATED);
		}
		if (have < 20)
			return fail(pkt, MOS_MALFORMED_TCP_TRUNCATED);
		hl = (uint32_t)(d[off + 12] >> 4) * 4;
		if (hl < 20)
			return fail(pkt, MOS_MALFORMED_TCP_BAD_DATA_OFFSET);
		if (hl > span) {
			if (frag)
				return 0;
			return fail(pkt, MOS_MALFORMED_TCP_BAD_DATA_OFFSET);
		}
		if (hl > have)
			return fail(pkt, MOS_MALFORMED_TCP_TRUNCATED);
		if (hl > 20 && decode_tcp_opts(d, off + 20, off + hl, &pkt->tcp_opt) < 0) {
			memset(&pkt->tcp_opt, 0, sizeof(pkt->tcp_opt));
			return fail(pkt, MOS_MALFORMED_TCP_BAD_OPTIONS);
		}
		pkt->sport = rd16(d + off);
		pkt->dport = rd16(d + off + 2);
		pkt->tcp_seq = rd32(d + off + 4);
		pkt->tcp_ack = rd32(d + off + 8);
		pkt->tcp_flags = (uint16_t)(d[off + 13] | (d[off + 12] & 1) << 8);
		pkt->tcp_win = rd16(d + off + 14);
		pkt->tcp_urp = rd16(d + off + 18);
		break;
	case IPP_UDP: {
		uint32_t ulen;

		if (present)
			pkt->protos |= MOS_PROTO_UDP;
		if (span < 8) {
			if (frag)
				return 0;
			return fail(pkt, MOS_MALFORMED_UDP_TRUNCATED);
		}
		if (have < 8)
			return fail(pkt, MOS_MALFORMED_UDP_TRUNCATED);
		ulen = rd16(d + off + 4);
		if (ulen == 0 && (pkt->flags & MOS_PKT_F_JUMBO))
			ulen = span;            /* RFC 2675: UDP jumbogram */
		if (ulen < 8 || (!frag && ulen > span))
			return fail(pkt, MOS_MALFORMED_UDP_BAD_LENGTH);
		pkt->sport = rd16(d + off);
		pkt->dport = rd16(d + off + 2);
		hl = 8;
		if (!frag)
			span = ulen;            /* bytes after the UDP length are not payload */
		break;
	}
	case IPP_ICMP:
	case IPP_ICMPV6: {
		bool v6 = pkt->l4_proto == IPP_ICMPV6;

		if (present)
			pkt->protos |= v6 ? MOS_PROTO_ICMPV6 : MOS_PROTO_ICMP;
		if (span < 8) {
			if (frag)
				return 0;
			return fail(pkt, v6 ? MOS_MALFORMED_ICMPV6_TRUNCATED : MOS_MALFORMED_ICMP_TRUNCATED);
		}
		if (have < 8)
			return fail(pkt, v6 ? MOS_MALFORMED_ICMPV6_TRUNCATED : MOS_MALFORMED_ICMP_TRUNCATED);
		pkt->icmp_type = d[off];
		pkt->icmp_code = d[off + 1];
		hl = 8;
		/* Errors quote the offending packet: destination unreachable,
		 * source quench, redirect, time exceeded, parameter problem
		 * (ICMP); types 1-4 (ICMPv6). */
		if (v6 ? (pkt->icmp_type >= 1 && pkt->icmp_type <= 4)
		       : (pkt->icmp_type == 3 || pkt->icmp_type == 4 || pkt->icmp_type == 5 ||
			  pkt->icmp_type == 11 || pkt->icmp_type == 12))
			decode_quote(d, off + 8, end < cap ? end : cap, end < wend ? end : wend,
				     v6 ? 6 : 4, pkt);
		break;
	}
	default:
		return 0;                       /* ESP, no next header, others: stop here */
	}
	pkt->flags |= MOS_PKT_F_L4;
	pkt->payload_off = (uint16_t)(off + hl);
	pkt->payload_len = span - hl;
	return 0;
}

/*
 * For the counters only: a transport protocol named by an IPv4 header that
 * then fails a check of its own (options, fragment sanity) is still present
 * when @sent (at least one byte of it on the wire, not a non-first
 * fragment), as tshark dissects it anyway.
 */
static inline void
count_l4(struct mos_pkt *pkt, uint8_t proto, bool sent)
{
	if (!sent)
		return;
	if (proto == IPP_TCP)
		pkt->protos |= MOS_PROTO_TCP;
	else if (proto == IPP_UDP)
		pkt->protos |= MOS_PROTO_UDP;
	else if (proto == IPP_ICMP)
		pkt->protos |= MOS_PROTO_ICMP;
	else if (proto == IPP_ICMPV6)
		pkt->protos |= MOS_PROTO_ICMPV6;
}

/*
 * IPv4 header at @off; @avail is how many bytes the enclosing layer says
 * the datagram may span (frame length for the outer header, the outer
 * payload for a tunnelled one). On success sets *endp (end of the datagram)
 * and the l3/l4 fields; returns 0 or a malformed reason.
 */
static int
decode_ipv4(const uint8_t *d, uint32_t cap, uint32_t off, uint32_t avail,
	    uint32_t *endp, struct mos_pkt *pkt)
{
	const uint8_t *h = d + off;
	uint32_t hl, tot, len, fo;

	if (cap - off < 20)
		return fail(pkt, MOS_MALFORMED_IPV4_TRUNCATED);
	if ((h[0] >> 4) != 4) {
		/* tshark hands such a header to its IPv6 dissector. */
		if ((h[0] >> 4) == 6)
			pkt->protos |= MOS_PROTO_IPV6;
		return fail(pkt, MOS_MALFORMED_IPV4_BAD_VERSION);
	}
	hl = (uint32_t)(h[0] & 0x0f) * 4;
	if (hl < 20)
		return fail(pkt, MOS_MALFORMED_IPV4_BAD_IHL);
	tot = rd16(h + 2);
	if (tot == 0) {                          /* TSO/GSO capture */
		tot = avail;
		pkt->flags |= MOS_PKT_F_LEN_FROM_FRAME;
	}
	if (tot < hl)
		return fail(pkt, MOS_MALFORMED_IPV4_BAD_TOTAL_LENGTH);
	if (hl > cap - off)
		return fail(pkt, MOS_MALFORMED_IPV4_TRUNCATED);
	/* Longer than the frame on the wire (or than the outer payload of a
	 * tunnel): only the bytes that were sent belong to the datagram
	 * (tshark does the same). */
	if (avail < hl)                          /* the header itself is cut */
		return fail(pkt, MOS_MALFORMED_IPV4_BAD_TOTAL_LENGTH);
	len = tot;
	if (len > avail) {
		len = avail;
		pkt->flags |= MOS_PKT_F_LEN_CLIPPED;
	}
	fo = rd16(h + 6);
	/* Options: EOL ends the list, NOP is one byte, others are TLVs. */
	for (uint32_t p = 20; p < hl;) {
		uint8_t t = h[p];

		if (t == 0)
			break;
		if (t == 1) {
			p++;
			continue;
		}
		if (hl - p < 2 || h[p + 1] < 2 || h[p + 1] > hl - p) {
			count_l4(pkt, h[9], !(fo & 0x1fff) && len > hl);
			return fail(pkt, MOS_MALFORMED_IPV4_BAD_OPTIONS);
		}
		p += h[p + 1];
	}
	if (fo & 0x3fff) {
		uint32_t foff = (fo & 0x1fff) * 8;
		bool more = (fo & 0x2000) != 0;

		pkt->protos |= MOS_PROTO_IPV4_FRAG;
		if (!frag_ok(foff, len - hl, more)) {
			count_l4(pkt, h[9], foff == 0 && len > hl);
			return fail(pkt, MOS_MALFORMED_FRAG_BAD);
		}
		pkt->flags |= MOS_PKT_F_FRAGMENT | (foff == 0 ? MOS_PKT_F_FIRST_FRAG : 0);
		pkt->frag_id = rd16(h + 4);
		pkt->frag_off = (uint16_t)foff;
		pkt->frag_more = more;
		pkt->frag_data_off = (uint16_t)(off + hl);
		pkt->frag_data_len = (uint16_t)(len - hl);
	}
	uint8_t proto = h[9];
	uint32_t pos = off + hl;

	/* AH (RFC 4302) between the header and the transport, as in IPv6;
	 * not in a non-first fragment, and left alone when a first fragment
	 * ends inside it. */
	if (proto == IPP_AH && !(fo & 0x1fff)) {
		uint32_t left = off + len - pos;   /* datagram bytes after the header */
		uint32_t alen = cap - pos >= 2 ? ((uint32_t)d[pos + 1] + 2) * 4 : 2;

		if (left < alen) {
			if (!(fo & 0x2000))
				return fail(pkt, MOS_MALFORMED_IPV4_BAD_TOTAL_LENGTH);
		} else if (cap - pos < alen) {
			return fail(pkt, MOS_MALFORMED_IPV4_TRUNCATED);
		} else {
			proto = d[pos];
			pos += alen;
		}
	}
	pkt->ip_version = 4;
	pkt->l3_off = (uint16_t)off;
	pkt->ip_len = tot;
	pkt->l4_proto = proto;
	pkt->l4_off = (uint16_t)pos;
	addr_v4(&pkt->src, h + 12);
	addr_v4(&pkt->dst, h + 16);
	*endp = off + len;
	return 0;
}

/* Extension header length at d[pos] (2 bytes captured), 0 if @nh is not
 * one the chain walker skips generically. */
static inline uint32_t
ext_len(uint8_t nh, const uint8_t *p)
{
	switch (nh) {
	case IPP_HOPOPTS: case IPP_ROUTING: case IPP_DSTOPTS:
	case IPP_MOBILITY: case IPP_HIP: case IPP_SHIM6:
		return ((uint32_t)p[1] + 1) * 8;
	case IPP_AH:
		return ((uint32_t)p[1] + 2) * 4;
	default:
		return 0;
	}
}

/* Options of a hop-by-hop or destination options header of @len bytes at
 * @p (all captured): Pad1 is one byte, every other option a TLV that must
 * fit in the header. */
static bool
opts_ok(const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 2; i < len;) {
		if (p[i] == 0) {
			i++;
			continue;
		}
		if (len - i < 2 || p[i + 1] > len - i - 2)
			return false;
		i += 2u + p[i + 1];
	}
	return true;
}

/* Jumbo payload option (0xc2) inside a hop-by-hop header of @len bytes at
 * @p (all captured); returns its value, or 0 if absent. */
static uint32_t
find_jumbo(const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 2; i < len;) {
		if (p[i] == 0) {                 /* Pad1 */
			i++;
			continue;
		}
		if (len - i < 2 || p[i + 1] > len - i - 2)
			return 0;
		if (p[i] == 0xc2 && p[i + 1] == 4)
			return rd32(p + i + 2);
		i += 2u + p[i + 1];
	}
	return 0;
}

/*
 * IPv6 header and its extension chain at @off (see decode_ipv4 for
 * @avail and @endp). Stops at the transport header, at a non-first
 * fragment, at ESP or no-next-header.
 */
static int
decode_ipv6(const uint8_t *d, uint32_t cap, uint32_t off, uint32_t avail,
	    uint32_t *endp, struct mos_pkt *pkt)
{
	const uint8_t *h = d + off;
	uint32_t plen, end, pos;
	uint8_t nh;
	bool frag_seen = false;

	if (cap - off < 40)
		return fail(pkt, MOS_MALFORMED_IPV6_TRUNCATED);
	if ((h[0] >> 4) != 6)
		return fail(pkt, MOS_MALFORMED_IPV6_BAD_VERSION);
	if (avail < 40)
		return fail(pkt, MOS_MALFORMED_IPV6_BAD_PAYLOAD_LENGTH);
	plen = rd16(h + 4);
	nh = h[6];
	if (plen == 0 && nh != IPP_NONE) {
		/* Jumbogram (RFC 2675) or a TSO/BIG TCP capture. */
		uint32_t jumbo = 0;

		if (nh == IPP_HOPOPTS && cap - off >= 42) {
			uint32_t hl = ((uint32_t)h[41] + 1) * 8;

			if (hl <= cap - off - 40)
				jumbo = find_jumbo(h + 40, hl);
		}
		if (jumbo) {
			if (jumbo <= 65535)
				return fail(pkt, MOS_MALFORMED_IPV6_BAD_PAYLOAD_LENGTH);
			plen = jumbo;
			pkt->flags |= MOS_PKT_F_JUMBO;
		} else {
			plen = avail - 40;
			pkt->flags |= MOS_PKT_F_LEN_FROM_FRAME;
		}
	}
	end = off + 40 + plen;
	if (plen > avail - 40) {        /* longer than the frame / outer payload */
		end = off + avail;
		pkt->flags |= MOS_PKT_F_LEN_CLIPPED;
	}
	pos = off + 40;
	for (int n = 0;; n++) {
		uint32_t len;

		if (nh == IPP_FRAGMENT) {
			if (n >= MOS_IPV6_EXT_MAX)
				return fail(pkt, MOS_MALFORMED_IPV6_TOO_MANY_EXT);
			if (end - pos < 8)
				return fail(pkt, MOS_MALFORMED_IPV6_BAD_PAYLOAD_LENGTH);
			if (cap - pos < 8)
				return fail(pkt, MOS_MALFORMED_IPV6_EXT_TRUNCATED);
			uint16_t fo = rd16(d + pos + 2);
			uint32_t foff = fo & 0xfff8;
			bool more = fo & 1;

			nh = d[pos];
			pos += 8;
			if (foff == 0 && !more) {
				pkt->flags |= MOS_PKT_F_ATOMIC_FRAG;
				continue;
			}
			pkt->protos |= MOS_PROTO_IPV6_FRAG;
			if (frag_seen || !frag_ok(foff, end - pos, more)) {
				count_l4(pkt, nh, foff == 0 && end > pos);
				return fail(pkt, MOS_MALFORMED_FRAG_BAD);
			}
			frag_seen = true;
			pkt->flags |= MOS_PKT_F_FRAGMENT | (foff == 0 ? MOS_PKT_F_FIRST_FRAG : 0);
			pkt->frag_id = rd32(d + pos - 4);
			pkt->frag_off = (uint16_t)foff;
			pkt->frag_more = more;
			pkt->frag_data_off = (uint16_t)pos;
			pkt->frag_data_len = (uint16_t)(end - pos);
			if (foff != 0)
				break;          /* the rest of the chain is in fragment 0 */
			continue;
		}
		if (nh != IPP_HOPOPTS && nh != IPP_ROUTING && nh != IPP_DSTOPTS &&
		    nh != IPP_AH && nh != IPP_MOBILITY && nh != IPP_HIP && nh != IPP_SHIM6)
			break;
		if (n >= MOS_IPV6_EXT_MAX)
			return fail(pkt, MOS_MALFORMED_IPV6_TOO_MANY_EXT);
		if (end - pos < 2)
			return fail(pkt, MOS_MALFORMED_IPV6_BAD_PAYLOAD_LENGTH);
		if (cap - pos < 2)
			return fail(pkt, MOS_MALFORMED_IPV6_EXT_TRUNCATED);
		len = ext_len(nh, d + pos);
		if (end - pos < len) {
			/* A first fragment may end inside the chain (RFC 7112 says
			 * it must not; the rest is in the next fragment). */
			if (frag_seen)
				goto chain_cut;
			return fail(pkt, MOS_MALFORMED_IPV6_BAD_PAYLOAD_LENGTH);
		}
		if (cap - pos < len)
			return fail(pkt, MOS_MALFORMED_IPV6_EXT_TRUNCATED);
		if ((nh == IPP_HOPOPTS || nh == IPP_DSTOPTS) && !opts_ok(d + pos, len))
			return fail(pkt, MOS_MALFORMED_IPV6_BAD_OPTIONS);
		nh = d[pos];
		pos += len;
	}
	if (0) {
chain_cut:
		/* Chain continues in the next fragment: no transport header. */
		nh = IPP_NONE;
	}
	pkt->ip_version = 6;
	pkt->l3_off = (uint16_t)off;
	pkt->ip_len = 40 + plen;
	pkt->l4_proto = nh;
	pkt->l4_off = (uint16_t)pos;
	memcpy(pkt->src.b, h + 8, 16);
	memcpy(pkt->dst.b, h + 24, 16);
	*endp = end;
	return 0;
}

_Static_assert(sizeof(struct mos_pkt) % 8 == 0, "pkt_clear works in 8-byte units");

/*
 * Zero *pkt with plain 16-byte stores. A memset of this size becomes
 * `rep stos` with gcc -O2, whose start-up cost was about half of the time
 * of decoding a TCP/IPv4 frame; the unrolled loop is not turned back into a
 * memset. The vector type is only 8-byte aligned (unaligned stores).
 */
static inline void
pkt_clear(struct mos_pkt *pkt)
{
	typedef uint64_t v2 __attribute__((vector_size(16), may_alias, aligned(8)));
	typedef uint64_t u64 __attribute__((may_alias));
	v2 *w = (v2 *)(void *)pkt;

#pragma GCC unroll 16
	for (size_t i = 0; i < sizeof(*pkt) / 16; i++)
		w[i] = (v2){ 0, 0 };
	if (sizeof(*pkt) % 16)
		((u64 *)(void *)pkt)[sizeof(*pkt) / 8 - 1] = 0;
}

int
mos_decode(const uint8_t *data, uint32_t caplen, uint32_t wirelen,
	   int linktype, uint64_t ts_ns, struct mos_pkt *pkt)
{
	uint32_t off = 0, avail, end = 0, wend, lim = UINT32_MAX;
	int kind, rc;

	pkt_clear(pkt);
	pkt->data = data;
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	pkt->ts_ns = ts_ns;

	kind = decode_link(data, caplen, linktype, &off, &lim, pkt);
	if (kind < 0)
		return fail(pkt, (enum mos_malformed)-kind);
	if (kind == L3_NONE || off >= caplen)
		return 0;

	/* Bytes on the wire from the network header on; a file whose wirelen
	 * is below caplen is trusted for what it captured. */
	wend = wirelen > caplen ? wirelen : caplen;
	/* A PPPoE length bounds the packet too; one that leaves no room for
	 * the smallest network header is malformed (the header is counted
	 * as present, as tshark does). */
	if (lim < wend) {
		if (lim < off + (kind == L3_IPV4 ? 20 : 40)) {
			if (kind == L3_IPV4)
				pkt->protos |= MOS_PROTO_IPV4;
			else if ((data[off] >> 4) == 6)
				pkt->protos |= MOS_PROTO_IPV6;
			return fail(pkt, MOS_MALFORMED_PPPOE_TRUNCATED);
		}
		wend = lim;
	}
	avail = wend - off;
	for (int depth = 0;; depth++) {
		if (kind == L3_IPV4) {
			pkt->protos |= MOS_PROTO_IPV4;
			rc = decode_ipv4(data, caplen, off, avail, &end, pkt);
		} else {
			/* tshark does not count IPv6 with another version. */
			if (off < caplen && (data[off] >> 4) == 6)
				pkt->protos |= MOS_PROTO_IPV6;
			rc = decode_ipv6(data, caplen, off, avail, &end, pkt);
		}
		if (rc)
			return rc;
		if (depth > 0) {
			pkt->flags |= MOS_PKT_F_TUNNEL;
		} else {
			pkt->flags |= kind == L3_IPV4 ? MOS_PKT_F_IPV4 : MOS_PKT_F_IPV6;
			if (end > caplen)
				pkt->flags |= MOS_PKT_F_TRUNCATED;
		}
		pkt->payload_off = pkt->l4_off;
		pkt->payload_len = end - pkt->l4_off;
		if (pkt->flags & MOS_PKT_F_FRAGMENT) {
			if (!(pkt->flags & MOS_PKT_F_FIRST_FRAG))
				return 0;       /* never a transport header */
			/* A tunnel in a first fragment is left to reassembly. */
			if (pkt->l4_proto == IPP_IPIP || pkt->l4_proto == IPP_IPV6)
				return 0;
			return decode_l4(data, caplen, wend, end, true, pkt);
		}
		if (pkt->l4_proto == IPP_IPIP)
			kind = L3_IPV4;
		else if (pkt->l4_proto == IPP_IPV6)
			kind = L3_IPV6;
		else
			return decode_l4(data, caplen, wend, end, false, pkt);
		if (depth + 1 >= MOS_IP_MAX_DEPTH)
			return fail(pkt, MOS_MALFORMED_TUNNEL_TOO_DEEP);
		off = pkt->l4_off;
		avail = end - off;
	}
}

bool
mos_addr_is_v4(const struct mos_addr *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a->b, prefix, sizeof(prefix)) == 0;
}

char *
mos_addr_str(const struct mos_addr *a, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	int best = -1, best_len = 0;
	char *p = buf;

	if (mos_addr_is_v4(a)) {
		/* Dotted quad by hand (snprintf cost ~1k instructions). */
		for (int i = 12; i < 16; i++) {
			unsigned v = a->b[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 15 ? '.' : '\0';
		}
		return buf;
	}
	/* RFC 5952: the longest run (first on a tie) of two or more zero
	 * groups becomes "::"; hex in lower case without leading zeros. */
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && a->b[2 * j] == 0 && a->b[2 * j + 1] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (best_len < 2) {
		best = -1;
		best_len = 0;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			*p++ = ':';
		unsigned g = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
		bool lead = true;

		for (int s = 12; s >= 0; s -= 4) {
			unsigned nib = (g >> s) & 0xf;

			if (lead && nib == 0 && s != 0)
				continue;
			lead = false;
			*p++ = hex[nib];
		}
	}
	*p = '\0';
	return buf;
}
