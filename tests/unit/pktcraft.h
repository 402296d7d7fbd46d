/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktcraft.h — the project's crafted-packet generator for tests and fuzz
 * seeds: builds frames layer by layer, outermost first, into a fixed
 * buffer, then fills in what was left automatic (next-protocol fields,
 * lengths, checksums) in pc_finish().
 *
 *   struct pc_frame f;
 *   pc_init(&f);
 *   pc_eth(&f);                         // ethertype: automatic
 *   pc_vlan(&f, PC_TPID_8021Q, 42);     // becomes 0x8100 + tag
 *   pc_ipv4(&f, NULL);                  // defaults: 10.0.0.1 -> 10.0.0.2
 *   pc_tcp(&f, NULL);                   // defaults: 40000 -> 80, SYN
 *   pc_payload(&f, "hello", 5);
 *   pc_finish(&f);                      // f.buf[0 .. f.len-1] is the frame
 *
 * Every header function takes an optional spec (NULL = defaults; fill one
 * with pc_*_defaults() and change fields). Fields of type int32_t accept
 * PC_AUTO (computed) or an explicit value, which is written as given even
 * when it is wrong: that is how tests corrupt a field. After pc_finish(),
 * pc_poke8/16/32 and pc_truncate corrupt anything else.
 *
 * Link layers: Ethernet, 802.1Q/802.1ad tags, MPLS labels (+ pseudowire
 * control word), PPPoE session, Linux SLL/SLL2, BSD NULL/LOOP, raw (none).
 * Network: IPv4 (+options, fragments), IPv6 (+extension headers, fragment
 * header, jumbo option). Transport: TCP (+options), UDP, ICMP, ICMPv6.
 *
 * Also: guarded buffers (a copy of a frame that ends exactly at an
 * inaccessible page, so any read past it faults), a minimal pcap writer
 * and a catalogue of sample frames (pc_sample). Not thread-safe per frame;
 * frames are independent. struct pc_frame is about 100 KB: keep it static
 * or on the heap rather than on a small (thread) stack.
 */
#ifndef MOS_TEST_PKTCRAFT_H
#define MOS_TEST_PKTCRAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_AUTO       (-1)       /* int32_t spec fields: compute it */
#define PC_FRAME_MAX  100000     /* largest frame (room for a small jumbogram) */
#define PC_FIX_MAX    16         /* pending length/checksum fix-ups */

enum { PC_TPID_8021Q = 0x8100, PC_TPID_8021AD = 0x88a8 };

/* Kinds of header recorded in struct pc_frame.layer[]. */
enum pc_kind {
	PC_K_ETH = 1, PC_K_VLAN, PC_K_MPLS, PC_K_PWCW, PC_K_PPPOE, PC_K_SLL,
	PC_K_SLL2, PC_K_NULL, PC_K_IPV4, PC_K_IPV6, PC_K_IPV6_EXT, PC_K_IPV6_FRAG,
	PC_K_TCP, PC_K_UDP, PC_K_ICMP, PC_K_ICMPV6, PC_K_PAYLOAD,
};

struct pc_layer {
	uint8_t  kind;               /* enum pc_kind */
	uint32_t off;                /* offset of the header in buf */
	uint32_t len;                /* header length */
};

struct pc_frame {
	uint8_t  buf[PC_FRAME_MAX];  /* the frame */
	uint32_t len;                /* bytes written */
	int32_t  next_off;           /* pending next-protocol field, -1 none */
	uint8_t  next_kind;          /* how to fill it (internal) */
	uint8_t  n_layers;           /* entries in layer[] */
	struct pc_layer layer[32];   /* headers in order, outermost first */
	uint8_t  n_fix;              /* entries in fix[] */
	struct {
		uint8_t  what;       /* internal fix-up kind */
		uint8_t  proto;      /* pseudo-header protocol (checksums) */
		uint32_t off;        /* header offset */
		uint32_t aux;        /* header length / enclosing IP header offset */
	} fix[PC_FIX_MAX];           /* fix-ups applied by pc_finish() */
	bool     overflow;           /* a header did not fit: frame unusable */
};

/* Options bytes for IPv4 or TCP, built with pc_opt_*(). */
struct pc_opts {
	uint8_t b[60];               /* option bytes */
	uint8_t len;                 /* bytes used */
};

struct pc_ipv4 {
	int32_t  version;            /* PC_AUTO = 4 */
	int32_t  ihl;                /* header length in 32-bit words; PC_AUTO = 5 + options */
	int32_t  tot_len;            /* PC_AUTO = to the end of the frame */
	int32_t  proto;              /* PC_AUTO = from the next header */
	int32_t  csum;               /* PC_AUTO = computed */
	uint16_t id;                 /* identification */
	uint16_t frag_off;           /* fragment offset in BYTES (written /8) */
	bool     mf, df;             /* more-fragments, don't-fragment */
	uint8_t  tos, ttl;           /* type of service, time to live */
	uint8_t  src[4], dst[4];     /* addresses */
	struct pc_opts opts;         /* options (padded to 4 with EOL when ihl is auto) */
};

struct pc_ipv6 {
	int32_t  version;            /* PC_AUTO = 6 */
	int32_t  plen;               /* payload length; PC_AUTO = to the end of the frame */
	int32_t  next;               /* next header; PC_AUTO = from the next header */
	uint8_t  tclass, hlim;       /* traffic class, hop limit */
	uint32_t flow;               /* flow label (20 bits) */
	uint8_t  src[16], dst[16];   /* addresses */
};

struct pc_tcp {
	uint16_t sport, dport;       /* ports */
	uint32_t seq, ack;           /* sequence and acknowledgement numbers */
	uint16_t flags;              /* MOS_TCP_* bits (NS = 0x100) */
	uint16_t win, urp;           /* window, urgent pointer */
	int32_t  doff;               /* data offset in words; PC_AUTO = 5 + options */
	int32_t  csum;               /* PC_AUTO = computed */
	struct pc_opts opts;         /* options (padded to 4 with EOL when doff is auto) */
};

struct pc_udp {
	uint16_t sport, dport;       /* ports */
	int32_t  len;                /* PC_AUTO = to the end of the frame */
	int32_t  csum;               /* PC_AUTO = computed */
};

/* Start an empty frame. */
void pc_init(struct pc_frame *f);

/* Link layers. The ethertype / protocol field is filled from the next
 * header appended (0x0800, 0x86dd, 0x8100, 0x8847, 0x8864, ...). */
void pc_eth(struct pc_frame *f);
void pc_eth_type(struct pc_frame *f, uint16_t ethertype);   /* explicit type, nothing pending */
void pc_vlan(struct pc_frame *f, uint16_t tpid, uint16_t vid);
void pc_mpls(struct pc_frame *f, uint32_t label, bool bottom);
void pc_pw_cw(struct pc_frame *f);          /* pseudowire control word; follow with pc_eth */
void pc_pppoe(struct pc_frame *f, uint16_t session);
void pc_sll(struct pc_frame *f);            /* Linux cooked v1, 16 bytes */
void pc_sll2(struct pc_frame *f);           /* Linux cooked v2, 20 bytes */
void pc_null(struct pc_frame *f, bool big_endian); /* BSD loopback; family 2 / 24 */

/* Network layers. */
void pc_ipv4_defaults(struct pc_ipv4 *ip);
void pc_ipv4(struct pc_frame *f, const struct pc_ipv4 *ip);
void pc_ipv6_defaults(struct pc_ipv6 *ip);
void pc_ipv6(struct pc_frame *f, const struct pc_ipv6 *ip);
/* Generic IPv6 extension header (hop-by-hop 0, routing 43, destination 60,
 * AH 51, ...): @body after the next-header and length bytes, padded with
 * zeros to a multiple of 8 bytes; the length field is computed (AH in
 * 4-byte units) unless @hdr_len is not PC_AUTO. */
void pc_ipv6_ext(struct pc_frame *f, uint8_t type, const uint8_t *body, size_t body_len,
		 int32_t hdr_len);
void pc_ipv6_frag(struct pc_frame *f, uint16_t offset_bytes, bool more, uint32_t id);
void pc_ipv6_jumbo(struct pc_frame *f, uint32_t jumbo);     /* hop-by-hop with a jumbo option */

/* Transport layers. */
void pc_tcp_defaults(struct pc_tcp *t);
void pc_tcp(struct pc_frame *f, const struct pc_tcp *t);
void pc_udp_defaults(struct pc_udp *u);
void pc_udp(struct pc_frame *f, const struct pc_udp *u);
void pc_icmp(struct pc_frame *f, uint8_t type, uint8_t code, uint32_t rest);
void pc_icmpv6(struct pc_frame *f, uint8_t type, uint8_t code, uint32_t rest);

/* Data after the last header; @data NULL writes @n bytes of 'x'. */
void pc_payload(struct pc_frame *f, const void *data, size_t n);

/* Fill the automatic fields (inner headers first). Returns the length, or
 * 0 when the frame overflowed. Call once. */
uint32_t pc_finish(struct pc_frame *f);

/* After pc_finish: corrupt bytes (big-endian for 16/32) or cut the frame. */
void pc_poke8(struct pc_frame *f, uint32_t off, uint8_t v);
void pc_poke16(struct pc_frame *f, uint32_t off, uint16_t v);
void pc_poke32(struct pc_frame *f, uint32_t off, uint32_t v);
void pc_truncate(struct pc_frame *f, uint32_t len);

/* Offset of the @nth (0-based) header of @kind, or -1. */
int32_t pc_off(const struct pc_frame *f, enum pc_kind kind, int nth);

/* Option builders (IPv4 and TCP share the TLV layout). */
void pc_opt_raw(struct pc_opts *o, const void *bytes, size_t n);
void pc_opt_nop(struct pc_opts *o);
void pc_opt_eol(struct pc_opts *o);
void pc_opt_mss(struct pc_opts *o, uint16_t mss);
void pc_opt_wscale(struct pc_opts *o, uint8_t shift);
void pc_opt_sack_perm(struct pc_opts *o);
void pc_opt_sack(struct pc_opts *o, int n, const uint32_t (*edges)[2]);
void pc_opt_ts(struct pc_opts *o, uint32_t val, uint32_t ecr);

/*
 * A catalogue of well-formed sample frames covering every link type and
 * header kind above (for robustness tests and fuzz seeds). Builds sample
 * @i into @f (finished) and sets *@linktype; returns false when @i is past
 * the last sample. Samples are deterministic.
 */
bool pc_sample(int i, struct pc_frame *f, uint32_t *linktype);

/*
 * A copy of @len bytes of @data placed so that its last byte is the last
 * accessible byte before a PROT_NONE page: reading past it faults, also
 * without ASan or valgrind. Returns NULL on failure. Free with
 * pc_guard_free(p, len).
 */
uint8_t *pc_guard_alloc(const void *data, size_t len);
void pc_guard_free(uint8_t *p, size_t len);

/* Minimal pcap writer (microsecond timestamps, snaplen 262144). */
FILE *pc_pcap_open(const char *path, uint32_t linktype);
int pc_pcap_write(FILE *fp, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		  uint64_t ts_ns);
int pc_pcap_close(FILE *fp);

#ifdef __cplusplus
}
#endif

#endif /* MOS_TEST_PKTCRAFT_H */
