/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktcraft.c — crafted-packet generator for tests and fuzz seeds (see
 * pktcraft.h for the model: append headers outermost first, pc_finish()
 * fills automatic fields).
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pktcraft.h"

/* How the pending next-protocol field of the previous header is encoded. */
enum { NK_NONE = 0, NK_ETHERTYPE, NK_PPP, NK_IPPROTO, NK_NULL_LE, NK_NULL_BE };

/* Fix-ups, applied by pc_finish(): lengths first, then checksums. */
enum {
	FIX_IPV4_LEN = 1, FIX_IPV4_CSUM, FIX_IPV6_PLEN, FIX_UDP_LEN, FIX_PPPOE_LEN,
	FIX_CSUM_V4, FIX_CSUM_V6, FIX_CSUM_ICMP4,
};

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
pc_init(struct pc_frame *f)
{
	f->len = 0;
	f->next_off = -1;
	f->next_kind = NK_NONE;
	f->n_layers = 0;
	f->n_fix = 0;
	f->overflow = false;
}

/* Reserve @n zeroed bytes for a header of @kind; NULL when it does not fit. */
static uint8_t *
push(struct pc_frame *f, enum pc_kind kind, uint32_t n)
{
	uint8_t *p;

	if (f->overflow || n > PC_FRAME_MAX - f->len) {
		f->overflow = true;
		return NULL;
	}
	p = f->buf + f->len;
	memset(p, 0, n);
	if (f->n_layers < sizeof(f->layer) / sizeof(f->layer[0]))
		f->layer[f->n_layers++] = (struct pc_layer){ kind, f->len, n };
	f->len += n;
	return p;
}

static void
add_fix(struct pc_frame *f, uint8_t what, uint32_t off, uint32_t aux, uint8_t proto)
{
	if (f->n_fix >= PC_FIX_MAX) {
		f->overflow = true;
		return;
	}
	f->fix[f->n_fix].what = what;
	f->fix[f->n_fix].off = off;
	f->fix[f->n_fix].aux = aux;
	f->fix[f->n_fix].proto = proto;
	f->n_fix++;
}

/* Fill the previous header's pending next-protocol field with whichever of
 * the identities of the header being appended fits its encoding. */
static void
set_next(struct pc_frame *f, uint16_t ethertype, uint16_t ppp, int ipproto, uint32_t fam)
{
	uint8_t *p;

	if (f->next_off < 0)
		return;
	p = f->buf + f->next_off;
	switch (f->next_kind) {
	case NK_ETHERTYPE:
		wr16(p, ethertype);
		break;
	case NK_PPP:
		wr16(p, ppp);
		break;
	case NK_IPPROTO:
		if (ipproto >= 0)
			p[0] = (uint8_t)ipproto;
		break;
	case NK_NULL_LE:
		p[0] = (uint8_t)fam;
		break;
	case NK_NULL_BE:
		wr32(p, fam);
		break;
	default:
		break;
	}
	f->next_off = -1;
	f->next_kind = NK_NONE;
}

static void
pending(struct pc_frame *f, uint32_t off, uint8_t kind)
{
	f->next_off = (int32_t)off;
	f->next_kind = kind;
}

void
pc_eth(struct pc_frame *f)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *p;

	set_next(f, 0x6558, 0, -1, 0);  /* transparent Ethernet bridging */
	if (!(p = push(f, PC_K_ETH, 14)))
		return;
	memcpy(p, macs, sizeof(macs));
	pending(f, f->len - 2, NK_ETHERTYPE);
}

void
pc_eth_type(struct pc_frame *f, uint16_t ethertype)
{
	pc_eth(f);
	if (f->overflow)
		return;
	wr16(f->buf + f->len - 2, ethertype);
	f->next_off = -1;
	f->next_kind = NK_NONE;
}

void
pc_vlan(struct pc_frame *f, uint16_t tpid, uint16_t vid)
{
	uint8_t *p;

	set_next(f, tpid, 0, -1, 0);
	if (!(p = push(f, PC_K_VLAN, 4)))
		return;
	wr16(p, vid & 0x0fff);
	pending(f, f->len - 2, NK_ETHERTYPE);
}

void
pc_mpls(struct pc_frame *f, uint32_t label, bool bottom)
{
	uint8_t *p;

	set_next(f, 0x8847, 0x0281, 137, 0);
	if (!(p = push(f, PC_K_MPLS, 4)))
		return;
	wr32(p, (label & 0xfffff) << 12 | (bottom ? 1u << 8 : 0) | 64);
}

void
pc_pw_cw(struct pc_frame *f)
{
	push(f, PC_K_PWCW, 4);
}

void
pc_pppoe(struct pc_frame *f, uint16_t session)
{
	uint8_t *p;

	set_next(f, 0x8864, 0, -1, 0);
	if (!(p = push(f, PC_K_PPPOE, 8)))
		return;
	p[0] = 0x11;                    /* version 1, type 1 */
	wr16(p + 2, session);
	add_fix(f, FIX_PPPOE_LEN, f->len - 8, 0, 0);
	pending(f, f->len - 2, NK_PPP);
}

void
pc_sll(struct pc_frame *f)
{
	uint8_t *p;

	if (!(p = push(f, PC_K_SLL, 16)))
		return;
	wr16(p + 2, 1);                 /* ARPHRD_ETHER */
	wr16(p + 4, 6);
	p[6] = 0x02;
	p[11] = 0x01;
	pending(f, f->len - 2, NK_ETHERTYPE);
}

void
pc_sll2(struct pc_frame *f)
{
	uint8_t *p;

	if (!(p = push(f, PC_K_SLL2, 20)))
		return;
	wr32(p + 4, 1);                 /* interface index */
	wr16(p + 8, 1);                 /* ARPHRD_ETHER */
	p[11] = 6;
	p[12] = 0x02;
	p[17] = 0x01;
	pending(f, f->len - 20, NK_ETHERTYPE);
}

void
pc_null(struct pc_frame *f, bool big_endian)
{
	if (!push(f, PC_K_NULL, 4))
		return;
	pending(f, f->len - 4, big_endian ? NK_NULL_BE : NK_NULL_LE);
}

void
pc_ipv4_defaults(struct pc_ipv4 *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->version = ip->ihl = ip->tot_len = ip->proto = ip->csum = PC_AUTO;
	ip->id = 1;
	ip->ttl = 64;
	ip->src[0] = 10, ip->src[3] = 1;
	ip->dst[0] = 10, ip->dst[3] = 2;
}

void
pc_ipv4(struct pc_frame *f, const struct pc_ipv4 *spec)
{
	struct pc_ipv4 def;
	const struct pc_ipv4 *ip = spec;
	uint32_t optlen, hl, off;
	uint8_t *p;

	if (!ip) {
		pc_ipv4_defaults(&def);
		ip = &def;
	}
	optlen = ip->opts.len;
	if (ip->ihl == PC_AUTO)
		optlen = (optlen + 3) & ~3u;
	hl = 20 + optlen;
	set_next(f, 0x0800, 0x0021, 4, 2);
	if (!(p = push(f, PC_K_IPV4, hl)))
		return;
	off = f->len - hl;
	p[0] = (uint8_t)((ip->version == PC_AUTO ? 4 : ip->version) << 4 |
			 ((ip->ihl == PC_AUTO ? (int32_t)(hl / 4) : ip->ihl) & 0x0f));
	p[1] = ip->tos;
	if (ip->tot_len == PC_AUTO)
		add_fix(f, FIX_IPV4_LEN, off, 0, 0);
	else
		wr16(p + 2, (uint16_t)ip->tot_len);
	wr16(p + 4, ip->id);
	wr16(p + 6, (uint16_t)((ip->frag_off / 8) | (ip->mf ? 0x2000 : 0) | (ip->df ? 0x4000 : 0)));
	p[8] = ip->ttl;
	if (ip->proto != PC_AUTO)
		p[9] = (uint8_t)ip->proto;
	memcpy(p + 12, ip->src, 4);
	memcpy(p + 16, ip->dst, 4);
	memcpy(p + 20, ip->opts.b, ip->opts.len < optlen ? ip->opts.len : optlen);
	if (ip->csum == PC_AUTO)
		add_fix(f, FIX_IPV4_CSUM, off, hl, 0);
	else
		wr16(p + 10, (uint16_t)ip->csum);
	if (ip->proto == PC_AUTO)
		pending(f, off + 9, NK_IPPROTO);
}

void
pc_ipv6_defaults(struct pc_ipv6 *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->version = ip->plen = ip->next = PC_AUTO;
	ip->hlim = 64;
	ip->src[0] = 0x20, ip->src[1] = 0x01, ip->src[2] = 0x0d, ip->src[3] = 0xb8, ip->src[15] = 1;
	ip->dst[0] = 0x20, ip->dst[1] = 0x01, ip->dst[2] = 0x0d, ip->dst[3] = 0xb8, ip->dst[15] = 2;
}

void
pc_ipv6(struct pc_frame *f, const struct pc_ipv6 *spec)
{
	struct pc_ipv6 def;
	const struct pc_ipv6 *ip = spec;
	uint32_t off;
	uint8_t *p;

	if (!ip) {
		pc_ipv6_defaults(&def);
		ip = &def;
	}
	set_next(f, 0x86dd, 0x0057, 41, 24);
	if (!(p = push(f, PC_K_IPV6, 40)))
		return;
	off = f->len - 40;
	wr32(p, (uint32_t)(ip->version == PC_AUTO ? 6 : ip->version) << 28 |
		(uint32_t)ip->tclass << 20 | (ip->flow & 0xfffff));
	if (ip->plen == PC_AUTO)
		add_fix(f, FIX_IPV6_PLEN, off, 0, 0);
	else
		wr16(p + 4, (uint16_t)ip->plen);
	p[7] = ip->hlim;
	memcpy(p + 8, ip->src, 16);
	memcpy(p + 24, ip->dst, 16);
	if (ip->next == PC_AUTO)
		pending(f, off + 6, NK_IPPROTO);
	else
		p[6] = (uint8_t)ip->next;
}

void
pc_ipv6_ext(struct pc_frame *f, uint8_t type, const uint8_t *body, size_t body_len,
	    int32_t hdr_len)
{
	uint32_t total = (uint32_t)((2 + body_len + 7) & ~(size_t)7);
	uint8_t *p;

	set_next(f, 0, 0, type, 0);
	if (!(p = push(f, type == 44 ? PC_K_IPV6_FRAG : PC_K_IPV6_EXT, total)))
		return;
	if (body && body_len)
		memcpy(p + 2, body, body_len);
	if (hdr_len != PC_AUTO)
		p[1] = (uint8_t)hdr_len;
	else if (type == 51)
		p[1] = (uint8_t)(total / 4 - 2);
	else
		p[1] = (uint8_t)(total / 8 - 1);
	pending(f, f->len - total, NK_IPPROTO);
}

void
pc_ipv6_frag(struct pc_frame *f, uint16_t offset_bytes, bool more, uint32_t id)
{
	uint8_t body[6];

	wr16(body, (uint16_t)((offset_bytes & 0xfff8) | (more ? 1 : 0)));
	wr32(body + 2, id);
	pc_ipv6_ext(f, 44, body, sizeof(body), 0);
}

void
pc_ipv6_jumbo(struct pc_frame *f, uint32_t jumbo)
{
	uint8_t body[6] = { 0xc2, 4 };

	wr32(body + 2, jumbo);
	pc_ipv6_ext(f, 0, body, sizeof(body), PC_AUTO);
}

void
pc_tcp_defaults(struct pc_tcp *t)
{
	memset(t, 0, sizeof(*t));
	t->sport = 40000;
	t->dport = 80;
	t->seq = 1000;
	t->flags = 0x02;                /* SYN */
	t->win = 65535;
	t->doff = t->csum = PC_AUTO;
}

/* Record the checksum fix-up of a transport header at @off, against the
 * innermost IP header appended before it. */
static void
l4_csum_fix(struct pc_frame *f, uint32_t off, uint8_t proto)
{
	for (int i = f->n_layers - 1; i >= 0; i--) {
		if (f->layer[i].kind == PC_K_IPV4) {
			add_fix(f, proto == 1 ? FIX_CSUM_ICMP4 : FIX_CSUM_V4, off,
				f->layer[i].off, proto);
			return;
		}
		if (f->layer[i].kind == PC_K_IPV6) {
			add_fix(f, FIX_CSUM_V6, off, f->layer[i].off, proto);
			return;
		}
	}
}

void
pc_tcp(struct pc_frame *f, const struct pc_tcp *spec)
{
	struct pc_tcp def;
	const struct pc_tcp *t = spec;
	uint32_t optlen, hl, off;
	uint8_t *p;

	if (!t) {
		pc_tcp_defaults(&def);
		t = &def;
	}
	optlen = t->opts.len;
	if (t->doff == PC_AUTO)
		optlen = (optlen + 3) & ~3u;
	hl = 20 + optlen;
	set_next(f, 0, 0, 6, 0);
	if (!(p = push(f, PC_K_TCP, hl)))
		return;
	off = f->len - hl;
	wr16(p, t->sport);
	wr16(p + 2, t->dport);
	wr32(p + 4, t->seq);
	wr32(p + 8, t->ack);
	p[12] = (uint8_t)(((t->doff == PC_AUTO ? (int32_t)(hl / 4) : t->doff) & 0x0f) << 4 |
			  ((t->flags >> 8) & 1));
	p[13] = (uint8_t)t->flags;
	wr16(p + 14, t->win);
	wr16(p + 18, t->urp);
	memcpy(p + 20, t->opts.b, t->opts.len < optlen ? t->opts.len : optlen);
	if (t->csum == PC_AUTO)
		l4_csum_fix(f, off, 6);
	else
		wr16(p + 16, (uint16_t)t->csum);
}

void
pc_udp_defaults(struct pc_udp *u)
{
	memset(u, 0, sizeof(*u));
	u->sport = 40000;
	u->dport = 53;
	u->len = u->csum = PC_AUTO;
}

void
pc_udp(struct pc_frame *f, const struct pc_udp *spec)
{
	struct pc_udp def;
	const struct pc_udp *u = spec;
	uint8_t *p;

	if (!u) {
		pc_udp_defaults(&def);
		u = &def;
	}
	set_next(f, 0, 0, 17, 0);
	if (!(p = push(f, PC_K_UDP, 8)))
		return;
	wr16(p, u->sport);
	wr16(p + 2, u->dport);
	if (u->len == PC_AUTO)
		add_fix(f, FIX_UDP_LEN, f->len - 8, 0, 0);
	else
		wr16(p + 4, (uint16_t)u->len);
	if (u->csum == PC_AUTO)
		l4_csum_fix(f, f->len - 8, 17);
	else
		wr16(p + 6, (uint16_t)u->csum);
}

static void
icmp_common(struct pc_frame *f, enum pc_kind kind, uint8_t proto, uint8_t type,
	    uint8_t code, uint32_t rest)
{
	uint8_t *p;

	set_next(f, 0, 0, proto, 0);
	if (!(p = push(f, kind, 8)))
		return;
	p[0] = type;
	p[1] = code;
	wr32(p + 4, rest);
	l4_csum_fix(f, f->len - 8, proto);
}

void
pc_icmp(struct pc_frame *f, uint8_t type, uint8_t code, uint32_t rest)
{
	icmp_common(f, PC_K_ICMP, 1, type, code, rest);
}

void
pc_icmpv6(struct pc_frame *f, uint8_t type, uint8_t code, uint32_t rest)
{
	icmp_common(f, PC_K_ICMPV6, 58, type, code, rest);
}

void
pc_payload(struct pc_frame *f, const void *data, size_t n)
{
	uint8_t *p;

	if (n > PC_FRAME_MAX || !(p = push(f, PC_K_PAYLOAD, (uint32_t)n)))
		return;
	if (data)
		memcpy(p, data, n);
	else
		memset(p, 'x', n);
}

/* One's complement sum of @n bytes, added to @sum. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t
pc_finish(struct pc_frame *f)
{
	if (f->overflow)
		return 0;
	for (int i = 0; i < f->n_fix; i++) {
		uint32_t off = f->fix[i].off;
		uint32_t n = f->len - off;

		switch (f->fix[i].what) {
		case FIX_IPV4_LEN:
			wr16(f->buf + off + 2, (uint16_t)n);
			break;
		case FIX_IPV6_PLEN:
			wr16(f->buf + off + 4, (uint16_t)(n - 40));
			break;
		case FIX_UDP_LEN:
			wr16(f->buf + off + 4, (uint16_t)n);
			break;
		case FIX_PPPOE_LEN:
			wr16(f->buf + off + 4, (uint16_t)(n - 6));
			break;
		default:
			break;
		}
	}
	for (int i = f->n_fix - 1; i >= 0; i--) {
		uint32_t off = f->fix[i].off, ip = f->fix[i].aux;
		uint32_t n = f->len - off, sum = 0;
		uint8_t *p = f->buf + off;
		uint32_t coff = f->fix[i].proto == 6 ? 16 : f->fix[i].proto == 17 ? 6 : 2;

		switch (f->fix[i].what) {
		case FIX_IPV4_CSUM:
			wr16(p + 10, 0);
			wr16(p + 10, csum_fold(csum_add(0, p, f->fix[i].aux)));
			break;
		case FIX_CSUM_ICMP4:
			wr16(p + 2, 0);
			wr16(p + 2, csum_fold(csum_add(0, p, n)));
			break;
		case FIX_CSUM_V4:
		case FIX_CSUM_V6:
			wr16(p + coff, 0);
			if (f->fix[i].what == FIX_CSUM_V4)
				sum = csum_add(0, f->buf + ip + 12, 8);
			else
				sum = csum_add(0, f->buf + ip + 8, 32);
			sum += f->fix[i].proto + (n & 0xffff) + (n >> 16);
			sum = csum_add(sum, p, n);
			wr16(p + coff, csum_fold(sum));
			break;
		default:
			break;
		}
	}
	return f->len;
}

void
pc_poke8(struct pc_frame *f, uint32_t off, uint8_t v)
{
	if (off < PC_FRAME_MAX)
		f->buf[off] = v;
}

void
pc_poke16(struct pc_frame *f, uint32_t off, uint16_t v)
{
	if (off + 2 <= PC_FRAME_MAX)
		wr16(f->buf + off, v);
}

void
pc_poke32(struct pc_frame *f, uint32_t off, uint32_t v)
{
	if (off + 4 <= PC_FRAME_MAX)
		wr32(f->buf + off, v);
}

void
pc_truncate(struct pc_frame *f, uint32_t len)
{
	if (len < f->len)
		f->len = len;
}

int32_t
pc_off(const struct pc_frame *f, enum pc_kind kind, int nth)
{
	for (int i = 0; i < f->n_layers; i++)
		if (f->layer[i].kind == kind && nth-- == 0)
			return (int32_t)f->layer[i].off;
	return -1;
}

void
pc_opt_raw(struct pc_opts *o, const void *bytes, size_t n)
{
	if (n > sizeof(o->b) - o->len)
		n = sizeof(o->b) - o->len;
	memcpy(o->b + o->len, bytes, n);
	o->len = (uint8_t)(o->len + n);
}

void
pc_opt_nop(struct pc_opts *o)
{
	static const uint8_t b[1] = { 1 };

	pc_opt_raw(o, b, 1);
}

void
pc_opt_eol(struct pc_opts *o)
{
	static const uint8_t b[1] = { 0 };

	pc_opt_raw(o, b, 1);
}

void
pc_opt_mss(struct pc_opts *o, uint16_t mss)
{
	uint8_t b[4] = { 2, 4 };

	wr16(b + 2, mss);
	pc_opt_raw(o, b, 4);
}

void
pc_opt_wscale(struct pc_opts *o, uint8_t shift)
{
	uint8_t b[3] = { 3, 3, shift };

	pc_opt_raw(o, b, 3);
}

void
pc_opt_sack_perm(struct pc_opts *o)
{
	static const uint8_t b[2] = { 4, 2 };

	pc_opt_raw(o, b, 2);
}

void
pc_opt_sack(struct pc_opts *o, int n, const uint32_t (*edges)[2])
{
	uint8_t b[2 + 8 * 4];

	if (n < 0)
		n = 0;
	if (n > 4)
		n = 4;
	b[0] = 5;
	b[1] = (uint8_t)(2 + 8 * n);
	for (int i = 0; i < n; i++) {
		wr32(b + 2 + 8 * i, edges[i][0]);
		wr32(b + 6 + 8 * i, edges[i][1]);
	}
	pc_opt_raw(o, b, (size_t)b[1]);
}

void
pc_opt_ts(struct pc_opts *o, uint32_t val, uint32_t ecr)
{
	uint8_t b[10] = { 8, 10 };

	wr32(b + 2, val);
	wr32(b + 6, ecr);
	pc_opt_raw(o, b, 10);
}

uint8_t *
pc_guard_alloc(const void *data, size_t len)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + ps - 1) / ps * ps;
	uint8_t *base;

	base = mmap(NULL, body + ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base + body, ps, PROT_NONE) != 0) {
		munmap(base, body + ps);
		return NULL;
	}
	if (len)
		memcpy(base + body - len, data, len);
	return base + body - len;
}

void
pc_guard_free(uint8_t *p, size_t len)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + ps - 1) / ps * ps;

	if (p)
		munmap(p + len - body, body + ps);
}

FILE *
pc_pcap_open(const char *path, uint32_t linktype)
{
	uint8_t h[24] = { 0 };
	FILE *fp = fopen(path, "wb");

	if (!fp)
		return NULL;
	/* Little-endian classic pcap, version 2.4, microseconds. */
	h[0] = 0xd4, h[1] = 0xc3, h[2] = 0xb2, h[3] = 0xa1;
	h[4] = 2, h[6] = 4;
	h[16] = 0x00, h[17] = 0x00, h[18] = 0x04, h[19] = 0x00;   /* snaplen 262144 */
	h[20] = (uint8_t)linktype, h[21] = (uint8_t)(linktype >> 8);
	h[22] = (uint8_t)(linktype >> 16), h[23] = (uint8_t)(linktype >> 24);
	if (fwrite(h, sizeof(h), 1, fp) != 1) {
		fclose(fp);
		return NULL;
	}
	return fp;
}

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

int
pc_pcap_write(FILE *fp, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
	      uint64_t ts_ns)
{
	uint8_t h[16];

	le32(h, (uint32_t)(ts_ns / 1000000000u));
	le32(h + 4, (uint32_t)(ts_ns % 1000000000u / 1000u));
	le32(h + 8, caplen);
	le32(h + 12, wirelen);
	if (fwrite(h, sizeof(h), 1, fp) != 1 || (caplen && fwrite(data, caplen, 1, fp) != 1))
		return -1;
	return 0;
}

int
pc_pcap_close(FILE *fp)
{
	return fclose(fp) == 0 ? 0 : -1;
}

/* Transport variants for pc_sample: 0 TCP with options, 1 UDP, 2 ICMP(v6). */
static void
sample_l4(struct pc_frame *f, int v, bool v6)
{
	struct pc_tcp t;
	static const uint32_t sack[2][2] = { { 1000, 2000 }, { 3000, 4000 } };

	switch (v) {
	case 0:
		pc_tcp_defaults(&t);
		pc_opt_mss(&t.opts, 1460);
		pc_opt_sack_perm(&t.opts);
		pc_opt_ts(&t.opts, 1, 2);
		pc_opt_nop(&t.opts);
		pc_opt_wscale(&t.opts, 7);
		pc_opt_nop(&t.opts);
		pc_opt_nop(&t.opts);
		pc_opt_sack(&t.opts, 2, sack);
		pc_tcp(f, &t);
		pc_payload(f, "GET / HTTP/1.1\r\n\r\n", 18);
		break;
	case 1:
		pc_udp(f, NULL);
		pc_payload(f, NULL, 12);
		break;
	default:
		if (v6)
			pc_icmpv6(f, 128, 0, 0x00010001);
		else
			pc_icmp(f, 8, 0, 0x00010001);
		pc_payload(f, NULL, 16);
		break;
	}
}

bool
pc_sample(int i, struct pc_frame *f, uint32_t *linktype)
{
	struct pc_ipv4 ip4;
	struct pc_ipv6 ip6;
	int v = i % 3;                  /* transport variant */
	int k = i / 3;                  /* encapsulation */
	bool v6 = false;
	uint32_t start;

	pc_init(f);
	*linktype = 1;
	switch (k) {
	case 0: pc_eth(f); break;
	case 1: pc_eth(f); v6 = true; break;
	case 2: pc_eth(f); pc_vlan(f, PC_TPID_8021Q, 10); break;
	case 3: pc_eth(f); pc_vlan(f, PC_TPID_8021AD, 20); pc_vlan(f, PC_TPID_8021Q, 30); v6 = true; break;
	case 4: pc_eth(f); pc_mpls(f, 100, false); pc_mpls(f, 200, true); break;
	case 5: pc_eth(f); pc_mpls(f, 100, true); pc_pw_cw(f); pc_eth(f); pc_vlan(f, PC_TPID_8021Q, 5); break;
	case 6: pc_eth(f); pc_vlan(f, PC_TPID_8021AD, 1); pc_vlan(f, PC_TPID_8021Q, 2); pc_pppoe(f, 7); break;
	case 7: pc_eth(f); pc_pppoe(f, 8); v6 = true; break;
	case 8: *linktype = 113; pc_sll(f); break;
	case 9: *linktype = 276; pc_sll2(f); v6 = true; break;
	case 10: *linktype = 0; pc_null(f, false); break;
	case 11: *linktype = 108; pc_null(f, true); v6 = true; break;
	case 12: *linktype = 101; break;
	case 13: *linktype = 101; v6 = true; break;
	case 14: *linktype = 228; break;
	case 15: *linktype = 229; v6 = true; break;
	case 16:                        /* IPv4 options */
		pc_eth(f);
		pc_ipv4_defaults(&ip4);
		pc_opt_nop(&ip4.opts);
		pc_opt_raw(&ip4.opts, "\x07\x07\x04\0\0\0\0", 7);  /* record route */
		pc_ipv4(f, &ip4);
		sample_l4(f, v, false);
		return pc_finish(f) != 0;
	case 17:                        /* IPv6 extension chain */
		pc_eth(f);
		pc_ipv6(f, NULL);
		pc_ipv6_ext(f, 0, (const uint8_t *)"\x01\x04\0\0\0\0", 6, PC_AUTO);
		pc_ipv6_ext(f, 43, (const uint8_t *)"\0\0\0\0\0\0", 6, PC_AUTO);
		pc_ipv6_ext(f, 60, NULL, 0, PC_AUTO);
		pc_ipv6_ext(f, 51, (const uint8_t *)"\0\0\0\0\x01\0\0\0\x02\0\0\0\0\0\0\0\0\0\0\0\0\0", 22, PC_AUTO);
		sample_l4(f, v, true);
		return pc_finish(f) != 0;
	case 18:                        /* IPv4 first fragment and IPv6 first fragment */
		pc_eth(f);
		if (v == 2) {
			pc_ipv6(f, NULL);
			pc_ipv6_frag(f, 0, true, 0x1234);
			start = f->len;
			sample_l4(f, 0, true);
		} else {
			pc_ipv4_defaults(&ip4);
			ip4.mf = true;
			pc_ipv4(f, &ip4);
			start = f->len;
			sample_l4(f, v, false);
		}
		/* Non-last fragments carry a multiple of 8 bytes. */
		if ((f->len - start) % 8)
			pc_payload(f, NULL, 8 - (f->len - start) % 8);
		return pc_finish(f) != 0;
	case 19:                        /* tunnels: 4in4, 6in4, 4in6 */
		pc_eth(f);
		if (v == 2)
			pc_ipv6(f, NULL);
		else
			pc_ipv4(f, NULL);
		if (v == 1) {
			pc_ipv6(f, NULL);
			sample_l4(f, 0, true);
		} else {
			pc_ipv4(f, NULL);
			sample_l4(f, 0, false);
		}
		return pc_finish(f) != 0;
	case 20:                        /* ICMP errors quoting UDP/TCP, jumbogram */
		pc_eth(f);
		if (v == 0) {
			pc_ipv4(f, NULL);
			pc_icmp(f, 3, 3, 0);
			pc_ipv4_defaults(&ip4);
			ip4.tot_len = 200;
			pc_ipv4(f, &ip4);
			pc_udp(f, NULL);
		} else if (v == 1) {
			pc_ipv6(f, NULL);
			pc_icmpv6(f, 1, 4, 0);
			pc_ipv6_defaults(&ip6);
			ip6.plen = 300;
			pc_ipv6(f, &ip6);
			pc_tcp(f, NULL);
		} else {
			pc_ipv6_defaults(&ip6);
			ip6.plen = 0;
			pc_ipv6(f, &ip6);
			pc_ipv6_jumbo(f, 70000 - 40);
			pc_tcp(f, NULL);
			pc_payload(f, NULL, 70000 - 40 - 8 - 20);
		}
		return pc_finish(f) != 0;
	default:
		return false;
	}
	if (v6)
		pc_ipv6(f, NULL);
	else
		pc_ipv4(f, NULL);
	sample_l4(f, v, v6);
	return pc_finish(f) != 0;
}
