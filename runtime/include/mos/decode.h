/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/decode.h — the packet decoder.
 *
 * Turns the bytes of one captured frame into a struct mos_pkt: link layer
 * (Ethernet, 802.1Q/802.1ad stacks, MPLS, PPPoE, Linux SLL/SLL2, BSD
 * loopback, raw IP), network layer (IPv4 with options, IPv6 with extension
 * headers, fragments of both), transport layer (TCP with options, UDP,
 * ICMP, ICMPv6).
 *
 * Contract:
 *  - never reads beyond data[0 .. caplen-1];
 *  - a malformed frame yields MOS_PKT_F_MALFORMED and exactly one reason in
 *    pkt->malformed; fields of layers that were not validated are zero and
 *    their presence flags are clear, so later stages never see a malformed
 *    header as valid;
 *  - a non-first fragment never gets a transport header (l4_proto stays the
 *    protocol number, MOS_PKT_F_L4 stays clear);
 *  - pure function of its input: no global state, thread-safe.
 */
#ifndef MOS_DECODE_H
#define MOS_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* Link types, numbered as in pcap/pcapng files (LINKTYPE_*). */
enum mos_linktype {
	MOS_LINK_NULL      = 0,   /* BSD loopback, host-order 4-byte family */
	MOS_LINK_ETHERNET  = 1,
	MOS_LINK_RAW       = 101, /* raw IPv4 or IPv6, version nibble decides */
	MOS_LINK_LOOP      = 108, /* OpenBSD loopback, network-order family */
	MOS_LINK_LINUX_SLL = 113,
	MOS_LINK_IPV4      = 228,
	MOS_LINK_IPV6      = 229,
	MOS_LINK_LINUX_SLL2 = 276,
	/* pcap_datalink() reports LINKTYPE_RAW as DLT_RAW, whose value
	 * depends on the platform; both are accepted as MOS_LINK_RAW. */
	MOS_LINK_DLT_RAW   = 12,  /* DLT_RAW on Linux and most systems */
	MOS_LINK_DLT_RAW_BSD = 14, /* DLT_RAW on OpenBSD */
};

/* Largest number of VLAN tags whose ids are kept in struct mos_pkt. Deeper
 * stacks are still decoded (up to MOS_VLAN_MAX_DEPTH) but only counted. */
#define MOS_VLAN_KEEP      4
#define MOS_VLAN_MAX_DEPTH 8
/* Longest IPv6 extension header chain decoded (headers, AH included);
 * a longer chain is malformed (ipv6_too_many_ext). */
#define MOS_IPV6_EXT_MAX   8
/* Most IP headers nested in one frame (IP-in-IP, IPv6-in-IPv4, ...); one
 * more is malformed (tunnel_too_deep). */
#define MOS_IP_MAX_DEPTH   3
/* Largest number of SACK blocks one TCP header can carry. */
#define MOS_TCP_SACK_MAX   4

/*
 * Malformed reasons, one X(ID, "name") per reason. The name is stable: it
 * appears in --stats output and in docs/decoder.md.
 */
#define MOS_MALFORMED_REASONS(X)                                       \
	X(LINK_TRUNCATED,        "link_truncated")                     \
	X(LINK_UNSUPPORTED,      "link_unsupported")                   \
	X(VLAN_TRUNCATED,        "vlan_truncated")                     \
	X(VLAN_TOO_DEEP,         "vlan_too_deep")                      \
	X(MPLS_TRUNCATED,        "mpls_truncated")                     \
	X(PPPOE_TRUNCATED,       "pppoe_truncated")                    \
	X(IPV4_TRUNCATED,        "ipv4_truncated")                     \
	X(IPV4_BAD_VERSION,      "ipv4_bad_version")                   \
	X(IPV4_BAD_IHL,          "ipv4_bad_ihl")                       \
	X(IPV4_BAD_TOTAL_LENGTH, "ipv4_bad_total_length")              \
	X(IPV4_BAD_OPTIONS,      "ipv4_bad_options")                   \
	X(IPV6_TRUNCATED,        "ipv6_truncated")                     \
	X(IPV6_BAD_VERSION,      "ipv6_bad_version")                   \
	X(IPV6_BAD_PAYLOAD_LENGTH, "ipv6_bad_payload_length")          \
	X(IPV6_EXT_TRUNCATED,    "ipv6_ext_truncated")                 \
	X(IPV6_TOO_MANY_EXT,     "ipv6_too_many_ext")                  \
	X(FRAG_BAD,              "frag_bad")                           \
	X(TCP_TRUNCATED,         "tcp_truncated")                      \
	X(TCP_BAD_DATA_OFFSET,   "tcp_bad_data_offset")                \
	X(TCP_BAD_OPTIONS,       "tcp_bad_options")                    \
	X(UDP_TRUNCATED,         "udp_truncated")                      \
	X(UDP_BAD_LENGTH,        "udp_bad_length")                     \
	X(ICMP_TRUNCATED,        "icmp_truncated")                     \
	X(ICMPV6_TRUNCATED,      "icmpv6_truncated")               \
	X(TUNNEL_TOO_DEEP,       "tunnel_too_deep")                \
	X(IPV6_BAD_OPTIONS,      "ipv6_bad_options")

enum mos_malformed {
	MOS_MALFORMED_NONE = 0,
#define MOS_X_(id, name) MOS_MALFORMED_##id,
	MOS_MALFORMED_REASONS(MOS_X_)
#undef MOS_X_
	MOS_MALFORMED_COUNT
};

/* Name of a malformed reason ("ipv4_bad_ihl"), "none" for 0, NULL if out of
 * range. */
const char *mos_malformed_name(enum mos_malformed reason);

/* struct mos_pkt.flags */
enum {
	MOS_PKT_F_MALFORMED  = 1u << 0,  /* decoding stopped; see malformed */
	MOS_PKT_F_IPV4       = 1u << 1,  /* outer network header is IPv4 (and valid) */
	MOS_PKT_F_IPV6       = 1u << 2,  /* outer network header is IPv6 (and valid) */
	MOS_PKT_F_FRAGMENT   = 1u << 3,  /* an IP fragment (first or not) */
	MOS_PKT_F_FIRST_FRAG = 1u << 4,  /* fragment with offset 0 */
	MOS_PKT_F_L4         = 1u << 5,  /* transport header validated */
	MOS_PKT_F_TRUNCATED  = 1u << 6,  /* snaplen cut the packet (caplen < IP length, clipped to the wire length) */
	MOS_PKT_F_TUNNEL     = 1u << 7,  /* inner IP found inside outer IP */
	MOS_PKT_F_VLAN       = 1u << 8,  /* at least one 802.1Q/802.1ad tag */
	MOS_PKT_F_MPLS       = 1u << 9,
	MOS_PKT_F_PPPOE      = 1u << 10,
	MOS_PKT_F_LEN_FROM_FRAME = 1u << 11, /* IP length field 0 (TSO/GSO, BIG TCP capture): length taken from the frame */
	MOS_PKT_F_JUMBO      = 1u << 12, /* IPv6 jumbogram: length from the hop-by-hop jumbo option */
	MOS_PKT_F_ATOMIC_FRAG = 1u << 13, /* IPv6 fragment header with offset 0 and M=0 (RFC 6946): not a fragment */
	MOS_PKT_F_ICMP_QUOTE = 1u << 14, /* ICMP(v6) error quoting an IP header: see quote_off */
	MOS_PKT_F_LEN_CLIPPED = 1u << 15, /* IP length exceeds the frame on the wire (or the PPPoE length): datagram clipped to it */
};

/* Protocols found anywhere in the frame (outer, tunnelled or quoted inside
 * an ICMP error), for per-protocol frame counts. */
enum {
	MOS_PROTO_IPV4   = 1u << 0,
	MOS_PROTO_IPV6   = 1u << 1,
	MOS_PROTO_TCP    = 1u << 2,
	MOS_PROTO_UDP    = 1u << 3,
	MOS_PROTO_ICMP   = 1u << 4,
	MOS_PROTO_ICMPV6 = 1u << 5,
	MOS_PROTO_VLAN   = 1u << 6,
	MOS_PROTO_IPV4_FRAG = 1u << 7,
	MOS_PROTO_IPV6_FRAG = 1u << 8,
};

/* TCP flag bits as in the header's 13th byte (plus NS from the 12th). */
enum {
	MOS_TCP_FIN = 0x01, MOS_TCP_SYN = 0x02, MOS_TCP_RST = 0x04,
	MOS_TCP_PSH = 0x08, MOS_TCP_ACK = 0x10, MOS_TCP_URG = 0x20,
	MOS_TCP_ECE = 0x40, MOS_TCP_CWR = 0x80, MOS_TCP_NS = 0x100,
};

/* struct mos_tcp_opts.present */
enum {
	MOS_TCPOPT_MSS       = 1u << 0,
	MOS_TCPOPT_WSCALE    = 1u << 1,
	MOS_TCPOPT_SACK_PERM = 1u << 2,
	MOS_TCPOPT_SACK      = 1u << 3,
	MOS_TCPOPT_TS        = 1u << 4,
};

/* An IPv4 or IPv6 address; IPv4 is stored as an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) so both families compare and hash the same way. */
struct mos_addr {
	uint8_t b[16];               /* network byte order */
};

struct mos_tcp_opts {
	uint8_t  present;            /* MOS_TCPOPT_* bits */
	uint8_t  wscale;             /* window scale shift (raw, may exceed 14) */
	uint16_t mss;                /* maximum segment size */
	uint8_t  sack_blocks;        /* number of valid entries in sack[] */
	uint32_t ts_val, ts_ecr;     /* timestamps option */
	uint32_t sack[MOS_TCP_SACK_MAX][2]; /* SACK blocks: left, right edge */
};

/* One decoded frame. Offsets are from the start of the captured frame. */
struct mos_pkt {
	const uint8_t *data;         /* captured bytes */
	uint32_t caplen;             /* bytes captured */
	uint32_t wirelen;            /* bytes on the wire */
	uint64_t ts_ns;              /* packet time, ns since the epoch */

	uint16_t flags;              /* MOS_PKT_F_* */
	uint16_t protos;             /* MOS_PROTO_* found at any depth */
	uint8_t  malformed;          /* enum mos_malformed, 0 when well formed */
	uint8_t  ip_version;         /* 4 or 6 of the header at l3_off, 0 if none */
	uint8_t  l4_proto;           /* IP protocol of the transport header (after extension headers) */
	uint8_t  n_vlans;            /* number of VLAN tags (all of them) */
	uint16_t vlan[MOS_VLAN_KEEP];/* VLAN ids, outermost first */

	uint16_t l3_off;             /* network header (innermost IP when tunnelled) */
	uint16_t l4_off;             /* transport header, valid with MOS_PKT_F_L4; without it, end of the IP header chain (when ip_version != 0) */
	uint16_t payload_off;        /* transport payload, valid with MOS_PKT_F_L4; without it, == l4_off */
	uint32_t payload_len;        /* payload bytes per the IP length (may exceed what was captured; clipped with MOS_PKT_F_LEN_CLIPPED); without MOS_PKT_F_L4, bytes after l4_off */
	uint32_t ip_len;             /* IP datagram length from its header (with MOS_PKT_F_LEN_CLIPPED, more than the frame holds) */

	struct mos_addr src, dst;    /* network addresses */
	uint16_t sport, dport;       /* transport ports, host order (0 for ICMP) */

	/* IP fragment information, valid with MOS_PKT_F_FRAGMENT. */
	uint32_t frag_id;            /* IPv4 id or IPv6 fragment identification */
	uint16_t frag_off;           /* fragment offset in bytes */
	bool     frag_more;          /* more-fragments flag */

	/* TCP, valid when l4_proto == IPPROTO_TCP and MOS_PKT_F_L4. */
	uint32_t tcp_seq, tcp_ack;   /* host order */
	uint16_t tcp_flags;          /* MOS_TCP_* */
	uint16_t tcp_win;            /* raw window field, unscaled */
	uint16_t tcp_urp;            /* urgent pointer */
	struct mos_tcp_opts tcp_opt; /* parsed options */

	/* ICMP/ICMPv6, valid when MOS_PKT_F_L4 and l4_proto is ICMP(v6). */
	uint8_t  icmp_type, icmp_code;

	/* Extensions (see docs/decoder.md). */
	uint8_t  quote_proto;        /* transport protocol of the quoted packet, valid with MOS_PKT_F_ICMP_QUOTE */
	uint16_t quote_off;          /* quoted IP header inside an ICMP error, valid with MOS_PKT_F_ICMP_QUOTE */
	uint16_t frag_data_off;      /* first byte of fragment data (after the IPv4 header / IPv6 fragment header), valid with MOS_PKT_F_FRAGMENT */
	uint16_t frag_data_len;      /* fragment data bytes per the IP length, valid with MOS_PKT_F_FRAGMENT */
};

/*
 * Decode one frame.
 *
 * @data, @caplen: the captured bytes; @wirelen: the original length;
 * @linktype: enum mos_linktype of the capture; @ts_ns: packet time.
 * @pkt: filled in completely (zeroed first).
 * Returns 0 when the frame was decoded (even if it carries no IP), or the
 * enum mos_malformed reason (> 0) when it is malformed; pkt is valid up to
 * the layer that failed.
 */
int mos_decode(const uint8_t *data, uint32_t caplen, uint32_t wirelen,
	       int linktype, uint64_t ts_ns, struct mos_pkt *pkt);

/* True when @linktype is one the decoder understands. */
bool mos_linktype_supported(int linktype);

/* Whether the address is an IPv4-mapped one; text in RFC 5952 / dotted form.
 * @buf must hold at least MOS_ADDR_STRLEN bytes. Returns buf. */
#define MOS_ADDR_STRLEN 46
bool mos_addr_is_v4(const struct mos_addr *a);
char *mos_addr_str(const struct mos_addr *a, char *buf);

#endif /* MOS_DECODE_H */
