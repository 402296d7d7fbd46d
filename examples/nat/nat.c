// SPDX-License-Identifier: BSD-3-Clause
/*
 * examples/nat/nat.c — companion of nat.mos: inline source NAT (IPv4: TCP,
 * UDP, ICMP echo and errors), port-address mappings, rewrites with
 * checksums fixed.
 *
 * Configuration (environment, read before main(); a bad value stops the
 * program with status 2):
 *   MOS_NAT_INSIDE  inside prefix (default 10.0.0.0/8): flows whose client
 *                   is inside and whose server is not are translated
 *   MOS_NAT_ADDRS   external IPv4 addresses, comma-separated (default
 *                   192.0.2.1), at most NAT_MAX_ADDRS
 *   MOS_NAT_PORTS   external port range LO:HI (default 20000:59999)
 *
 * Mappings: one per translated flow, made at its first client packet:
 * (inside address, port) <-> (external address, port), exclusive per
 * (protocol, external address, port): an external port serves one flow at
 * a time, so a reply is found by (protocol, external address, port) and
 * checked against the remote end. A mapping lives as long as the flow
 * (released at conn_end: closed, reset or timed out).
 *
 * Keeping both directions on one core: with several workers, the runtime
 * gives a frame to the worker mos_rss_worker(mos_rss_hash(frame)) (mos/rss.h,
 * a symmetric hash). The client's frames (inside address <-> server) reach
 * this worker; the server's replies are addressed to the external address
 * and port, and must reach it too, or the other worker has no mapping. So
 * the mapping is chosen among the candidate (external address, port) pairs
 * whose rewritten reply (server -> external address:port) hashes to this
 * worker, computed with the runtime's own mos_rss_hash and mos_rss_worker:
 * the addresses are tried from a rotating start, and a few ports of each
 * (the runtime's hash covers addresses only today, so it is the address
 * that decides; were ports hashed, the port would). When no candidate fits
 * (too few external addresses for the workers), the first free pair is
 * used and counted as a core mismatch: that flow's replies will be dropped
 * by the other worker as unsolicited. Give several external addresses per
 * worker (with n workers and k addresses a flow misses with probability
 * (1 - 1/n)^k).
 *
 * IP fragments to an external address, or from inside to outside, are
 * dropped (counted): they cannot be translated one by one.
 *
 * ICMP (in the raw monitor, before the flow lookup: ICMP makes no flows):
 * - an echo request from inside to outside gets an echo mapping, made at
 *   the first request of (inside address, identifier, remote) in the same
 *   (external address, port) space as UDP and TCP, an ICMP one: source and
 *   identifier become the mapping's, and the echo replies from the remote
 *   come back to the client with its own; a mapping idle for 60 s
 *   (RFC 5508) is dead, and gives its identifier back when an allocation
 *   meets it;
 * - an error sent to an external address (destination unreachable, among
 *   them "fragmentation needed" for path MTU discovery, source quench,
 *   redirect, time exceeded, parameter problem) that quotes a packet of a
 *   mapping (from its external address and port, or echo identifier, to
 *   its remote end) is translated back to the inside client: the outer
 *   destination, the quoted source address and port, the quoted IP and
 *   TCP/UDP/ICMP checksums (mos_csum_update: the quote is usually cut
 *   short) and the ICMP checksum (kept by the runtime);
 * - any other ICMP message to an external address is dropped (unsolicited);
 * - an error from inside to outside about a packet translated in (from a
 *   mapping's remote end to its client, TCP or UDP) leaves from the
 *   mapping's external address, the quoted destination address and port
 *   made the external ones (checksums as above).
 * From inside to outside, what cannot be translated (other ICMP, other
 * protocols, TCP/UDP whose header is cut short) is dropped rather than sent
 * out with an inside address (counted as untranslatable).
 *
 * Per thread (worker): the mapping table (NAT_MAX_MAPS entries, free list),
 * the port index (one entry per protocol, address and port) and the inside
 * index (protocol, inside address and port, remote address and port ->
 * mapping; twice as many slots as mappings); nothing is allocated per
 * packet. A flow or ping that finds no free port or mapping is not
 * translated and its packets are dropped (counted). Counters go to standard
 * error at exit.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "mos/program.h"
#include "mos/rss.h"

#define NAT_MAX_ADDRS 64u
#define NAT_MAX_MAPS (1u << 18)     /* translated flows alive per worker */
#define NAT_PORT_TRIES 8u           /* ports tried per address for the worker */
#define NAT_INSIDE_SLOTS (2 * NAT_MAX_MAPS) /* inside index per worker (open addressing) */
#define NAT_ECHO_IDLE_NS (60ull * 1000000000ull) /* an echo mapping's idle timeout (RFC 5508) */

struct nat_map {
	uint8_t proto;               /* IPPROTO_TCP / UDP / ICMP, 0 = free */
	uint8_t addr;                /* external address index */
	uint16_t ext_port;           /* external port (ICMP: echo identifier) */
	uint8_t in_addr[4];          /* inside address */
	uint16_t in_port;            /* inside port (ICMP: echo identifier) */
	uint8_t rem_addr[4];         /* remote (server) address */
	uint16_t rem_port;           /* remote port (ICMP: 0) */
	uint32_t next_free;          /* free list */
	uint64_t last_ns;            /* ICMP: last use (packet time) */
};

static uint8_t nat_inside[4];        /* inside prefix */
static uint32_t nat_inside_bits;     /* its length */
static uint8_t nat_addrs[NAT_MAX_ADDRS][4]; /* external addresses */
static uint32_t nat_n_addrs;
static uint16_t nat_plo, nat_phi;    /* external port range */

/* Per worker. Index [protocol: TCP, UDP, ICMP][addr][port - plo] -> map + 1,
 * 0 = free; the inside index: (protocol, inside address and port, remote
 * address and port) -> map + 1. */
static __thread struct nat_map *nat_maps;
static __thread uint32_t *nat_ports, *nat_inside_ix;
static __thread uint32_t nat_free_head, nat_made, nat_rotor, nat_cursor[3][NAT_MAX_ADDRS];

static _Atomic uint64_t nat_translated, nat_exhausted, nat_mismatch, nat_unsolicited, nat_fragments,
	nat_icmp_errors, nat_untranslatable, nat_echo_made;

static void
nat_bad(const char *var, const char *val)
{
	fprintf(stderr, "nat: %s: '%s' is not valid (see examples/nat/README.md)\n", var, val);
	exit(2);
}

__attribute__((constructor)) static void
nat_init(void)
{
	const char *inside = getenv("MOS_NAT_INSIDE"), *addrs = getenv("MOS_NAT_ADDRS");
	const char *ports = getenv("MOS_NAT_PORTS");
	char buf[1024], *tok, *save, *end;
	unsigned long lo, hi;

	inside = inside && *inside ? inside : "10.0.0.0/8";
	addrs = addrs && *addrs ? addrs : "192.0.2.1";
	ports = ports && *ports ? ports : "20000:59999";
	snprintf(buf, sizeof(buf), "%s", inside);
	if ((tok = strchr(buf, '/')) == NULL)
		nat_bad("MOS_NAT_INSIDE", inside);
	*tok++ = 0;
	nat_inside_bits = (uint32_t)strtoul(tok, &end, 10);
	if (*end || !*tok || nat_inside_bits > 32 || inet_pton(AF_INET, buf, nat_inside) != 1)
		nat_bad("MOS_NAT_INSIDE", inside);
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nat_n_addrs == NAT_MAX_ADDRS || inet_pton(AF_INET, tok, nat_addrs[nat_n_addrs]) != 1)
			nat_bad("MOS_NAT_ADDRS", addrs);
		nat_n_addrs++;
	}
	lo = strtoul(ports, &end, 10);
	hi = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
	if (nat_n_addrs == 0 || *end || lo == 0 || hi > 65535 || lo > hi)
		nat_bad(nat_n_addrs ? "MOS_NAT_PORTS" : "MOS_NAT_ADDRS", nat_n_addrs ? ports : addrs);
	nat_plo = (uint16_t)lo;
	nat_phi = (uint16_t)hi;
}

__attribute__((destructor)) static void
nat_report(void)
{
	if (mos_prog_quiet())
		return;
	fprintf(stderr, "nat: %llu flows translated, %llu refused (no free port), %llu on a "
		"mismatched core, %llu unsolicited frames dropped, %llu fragments dropped, "
		"%llu ICMP errors translated, %llu ICMP echo mappings, "
		"%llu untranslatable frames dropped\n",
		(unsigned long long)atomic_load(&nat_translated),
		(unsigned long long)atomic_load(&nat_exhausted),
		(unsigned long long)atomic_load(&nat_mismatch),
		(unsigned long long)atomic_load(&nat_unsolicited),
		(unsigned long long)atomic_load(&nat_fragments),
		(unsigned long long)atomic_load(&nat_icmp_errors),
		(unsigned long long)atomic_load(&nat_echo_made),
		(unsigned long long)atomic_load(&nat_untranslatable));
}

/* This worker's tables, made at its first use. */
static bool
nat_tables(void)
{
	size_t nports = (size_t)3 * nat_n_addrs * (size_t)(nat_phi - nat_plo + 1);

	if (nat_maps)
		return true;
	nat_maps = calloc(NAT_MAX_MAPS, sizeof(*nat_maps));
	nat_ports = calloc(nports, sizeof(*nat_ports));
	nat_inside_ix = calloc(NAT_INSIDE_SLOTS, sizeof(*nat_inside_ix));
	if (nat_maps == NULL || nat_ports == NULL || nat_inside_ix == NULL) {
		free(nat_maps);
		free(nat_ports);
		free(nat_inside_ix);
		nat_maps = NULL;
		nat_ports = NULL;
		nat_inside_ix = NULL;
		return false;
	}
	nat_free_head = UINT32_MAX;
	return true;
}

/* 0 (TCP), 1 (UDP), 2 (ICMP) */
static uint32_t
nat_proto_ix(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 0 : proto == IPPROTO_UDP ? 1 : 2;
}

static uint32_t *
nat_port_slot(uint8_t proto, uint32_t addr, uint16_t port)
{
	size_t range = (size_t)(nat_phi - nat_plo + 1);

	return &nat_ports[((size_t)nat_proto_ix(proto) * nat_n_addrs + addr) * range +
			  (port - nat_plo)];
}

static bool
nat_is_inside(const uint8_t *a)
{
	uint32_t full = nat_inside_bits / 8, rest = nat_inside_bits % 8;

	return memcmp(a, nat_inside, full) == 0 &&
	       (rest == 0 || ((a[full] ^ nat_inside[full]) & (uint8_t)(0xff << (8 - rest))) == 0);
}

/* The worker a reply from @rem:@rport to @ext:@eport would reach. */
static unsigned
nat_reply_worker(uint8_t proto, const uint8_t *rem, uint16_t rport, const uint8_t *ext,
		 uint16_t eport, unsigned n)
{
	struct mos_pkt p;

	memset(&p, 0, sizeof(p));
	p.ip_version = 4;
	p.l4_proto = proto;
	p.src.b[10] = p.src.b[11] = p.dst.b[10] = p.dst.b[11] = 0xff;
	memcpy(p.src.b + 12, rem, 4);
	memcpy(p.dst.b + 12, ext, 4);
	p.sport = rport;
	p.dport = eport;
	return mos_rss_worker(mos_rss_hash(&p), n);
}

/* Whether @flow is to be translated: IPv4, client inside, server outside. */
bool
nat_wanted(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct mos_addr c = mos_prog_flow_addr(flow, MOS_SIDE_CLI);
	struct mos_addr s = mos_prog_flow_addr(flow, MOS_SIDE_SVR);

	(void)ctx;
	return mos_addr_is_v4(&c) && mos_addr_is_v4(&s) && nat_is_inside(c.b + 12) &&
	       !nat_is_inside(s.b + 12);
}

static struct nat_map *
nat_get(uint32_t map)
{
	return nat_maps && map >= 1 && map <= nat_made && nat_maps[map - 1].proto ? &nat_maps[map - 1]
										     : NULL;
}

/* The inside index's home slot for (protocol @proto, inside @in:@in_port,
 * remote @rem:@rport). */
static uint32_t
nat_inside_home(uint8_t proto, const uint8_t *in, uint16_t in_port, const uint8_t *rem,
		uint16_t rport)
{
	uint32_t a, b;
	uint64_t x;

	memcpy(&a, in, 4);
	memcpy(&b, rem, 4);
	x = ((uint64_t)a << 32 | b) ^ ((uint64_t)in_port << 17) ^ ((uint64_t)rport << 33) ^
	    ((uint64_t)proto << 49);
	return (uint32_t)(x * 0x9e3779b97f4a7c15ull >> 40) & (NAT_INSIDE_SLOTS - 1);
}

static uint32_t
nat_inside_home_of(const struct nat_map *e)
{
	return nat_inside_home(e->proto, e->in_addr, e->in_port, e->rem_addr, e->rem_port);
}

/* The inside index's slot of that key: its mapping's, or the empty one
 * where it would go. */
static uint32_t
nat_inside_find(uint8_t proto, const uint8_t *in, uint16_t in_port, const uint8_t *rem,
		uint16_t rport)
{
	uint32_t i = nat_inside_home(proto, in, in_port, rem, rport);

	for (; nat_inside_ix[i]; i = (i + 1) & (NAT_INSIDE_SLOTS - 1)) {
		const struct nat_map *e = &nat_maps[nat_inside_ix[i] - 1];

		if (e->proto == proto && e->in_port == in_port && e->rem_port == rport &&
		    !memcmp(e->in_addr, in, 4) && !memcmp(e->rem_addr, rem, 4))
			break;
	}
	return i;
}

/* Empty inside index slot @i, moving back the entries after it that would
 * no longer be found (linear probing, no tombstones). */
static void
nat_inside_del(uint32_t i)
{
	const uint32_t mask = NAT_INSIDE_SLOTS - 1;

	for (uint32_t j = (i + 1) & mask; nat_inside_ix[j]; j = (j + 1) & mask) {
		uint32_t h = nat_inside_home_of(&nat_maps[nat_inside_ix[j] - 1]);

		/* stays unless its home is cyclically outside (i, j] */
		if (((j - h) & mask) >= ((j - i) & mask)) {
			nat_inside_ix[i] = nat_inside_ix[j];
			i = j;
		}
	}
	nat_inside_ix[i] = 0;
}

/* Free mapping @map: its external port, its inside index entry. */
static void
nat_release(uint32_t map)
{
	struct nat_map *e = nat_get(map);
	uint32_t i;

	if (e == NULL)
		return;
	/* its own entry (found before an empty slot: it was put in at nat_alloc) */
	for (i = nat_inside_home_of(e); nat_inside_ix[i] != map; i = (i + 1) & (NAT_INSIDE_SLOTS - 1))
		;
	nat_inside_del(i);
	*nat_port_slot(e->proto, e->addr, e->ext_port) = 0;
	e->proto = 0;
	e->next_free = nat_free_head;
	nat_free_head = map - 1;
}

/* A new mapping (inside @in:@in_port, remote @rem:@rport) on a free
 * (external address, port) whose reply reaches this worker; an echo
 * mapping idle for NAT_ECHO_IDLE_NS at @now_ns gives its identifier
 * back. Returns it (>= 1), or 0 when none is free (counted). */
static uint32_t
nat_alloc(struct mos_ctx *ctx, uint8_t proto, const uint8_t *in, uint16_t in_port,
	  const uint8_t *rem, uint16_t rport, uint64_t now_ns)
{
	unsigned me = (unsigned)mos_ctx_core(ctx), n = mos_ctx_workers(ctx);
	uint32_t range = (uint32_t)(nat_phi - nat_plo + 1), fb_addr = 0, m;
	int fb_port = -1, addr = -1, port = -1;
	struct nat_map *e;

	if (!nat_tables() || (nat_free_head == UINT32_MAX && nat_made == NAT_MAX_MAPS)) {
		atomic_fetch_add(&nat_exhausted, 1);
		return 0;
	}
	for (uint32_t i = 0; i < nat_n_addrs && addr < 0; i++) {
		uint32_t a = (nat_rotor + i) % nat_n_addrs, tried = 0;
		uint32_t *cur = &nat_cursor[nat_proto_ix(proto)][a];

		for (uint32_t k = 0; k < range && tried < NAT_PORT_TRIES; k++) {
			uint16_t pt = (uint16_t)(nat_plo + (*cur + k) % range);
			uint32_t *slot = nat_port_slot(proto, a, pt);

			if (*slot && proto == IPPROTO_ICMP &&
			    now_ns - nat_maps[*slot - 1].last_ns >= NAT_ECHO_IDLE_NS)
				nat_release(*slot);
			if (*slot)
				continue;       /* in use */
			tried++;
			if (fb_port < 0) {
				fb_addr = a;
				fb_port = pt;
			}
			if (n <= 1 || nat_reply_worker(proto, rem, rport, nat_addrs[a], pt, n) == me) {
				addr = (int)a;
				port = pt;
				*cur = (uint32_t)(pt - nat_plo + 1) % range;
				break;
			}
		}
	}
	if (addr < 0) {
		if (fb_port < 0) {
			atomic_fetch_add(&nat_exhausted, 1);
			return 0;
		}
		atomic_fetch_add(&nat_mismatch, 1);
		addr = (int)fb_addr;
		port = fb_port;
	}
	nat_rotor = (nat_rotor + 1) % nat_n_addrs;
	if (nat_free_head != UINT32_MAX) {
		m = nat_free_head;
		nat_free_head = nat_maps[m].next_free;
	} else {
		m = nat_made++;
	}
	e = &nat_maps[m];
	e->proto = proto;
	e->addr = (uint8_t)addr;
	e->ext_port = (uint16_t)port;
	memcpy(e->in_addr, in, 4);
	e->in_port = in_port;
	memcpy(e->rem_addr, rem, 4);
	e->rem_port = rport;
	e->last_ns = now_ns;
	*nat_port_slot(proto, (uint32_t)addr, (uint16_t)port) = m + 1;
	/* at most NAT_MAX_MAPS of NAT_INSIDE_SLOTS used: an empty slot exists */
	nat_inside_ix[nat_inside_find(proto, in, in_port, rem, rport)] = m + 1;
	return m + 1;
}

/* Make @flow's mapping (at its first client packet). Returns the mapping
 * (>= 1), or 0 when none is free (counted). */
uint32_t
nat_open(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct mos_addr c = mos_prog_flow_addr(flow, MOS_SIDE_CLI);
	struct mos_addr s = mos_prog_flow_addr(flow, MOS_SIDE_SVR);
	uint32_t m = nat_alloc(ctx, mos_flow_is_udp(flow) ? IPPROTO_UDP : IPPROTO_TCP, c.b + 12,
			       mos_prog_flow_port(flow, MOS_SIDE_CLI), s.b + 12,
			       mos_prog_flow_port(flow, MOS_SIDE_SVR), 0);

	if (m)
		atomic_fetch_add(&nat_translated, 1);
	return m;
}

/* Rewrite address (at IP offset @aoff) and port (at L4 offset @poff) of the
 * current packet, updating the IPv4 and TCP/UDP checksums incrementally
 * (RFC 1624: the cost does not grow with the payload; a UDP datagram sent
 * without checksum keeps none). */
static void
nat_rewrite(struct mos_ctx *ctx, const struct mos_pkt *p, uint32_t aoff, const uint8_t *addr,
	    uint32_t poff, uint16_t port)
{
	uint8_t pb[2] = { (uint8_t)(port >> 8), (uint8_t)port };
	const unsigned f = MOS_PKT_CSUM_IP | MOS_PKT_CSUM_L4 | MOS_PKT_CSUM_INCR;

	mos_pkt_overwrite(ctx, p->l3_off + aoff, addr, 4, f);
	mos_pkt_overwrite(ctx, p->l4_off + poff, pb, 2, f);
}

/* A client packet of mapped flow @map: source := external address, port. */
void
nat_out(struct mos_ctx *ctx, uint32_t map)
{
	const struct mos_pkt *p = mos_prog_pkt(ctx);
	const struct nat_map *e = nat_get(map);

	if (p == NULL || e == NULL || p->ip_version != 4 || !(p->flags & MOS_PKT_F_L4) ||
	    (p->flags & MOS_PKT_F_FRAGMENT))
		return;
	nat_rewrite(ctx, p, 12, nat_addrs[e->addr], 0, e->ext_port);
}

/* The index of external address @ip (4 bytes), or nat_n_addrs. */
static uint32_t
nat_ext_index(const uint8_t *ip)
{
	uint32_t a;

	for (a = 0; a < nat_n_addrs; a++)
		if (!memcmp(ip, nat_addrs[a], 4))
			break;
	return a;
}

static uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Overwrite the 16-bit field at frame offset @off with @v, the ICMP
 * checksum updated. */
static void
put16(struct mos_ctx *ctx, uint32_t off, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	mos_pkt_overwrite(ctx, off, b, 2, MOS_PKT_CSUM_L4 | MOS_PKT_CSUM_INCR);
}

/* The end of @p's IP datagram within what was captured. */
static uint32_t
nat_ip_end(const struct mos_pkt *p)
{
	return RTE_MIN(p->caplen, (uint32_t)p->l3_off + p->ip_len);
}

/* The current frame, an ICMP error (IPv4) quoting an IP header at @q
 * whose address at @qaddr (source or destination) and port or echo
 * identifier at @qport become @addr and @port, as does the outer address
 * at IP offset @outer: the quoted IP checksum and the quoted TCP/UDP/ICMP
 * one where the quote reaches it (mos_csum_update: the quote is usually
 * cut short), the outer IP and ICMP checksums (the runtime's). Every
 * value is read from the frame as received before the first write (which
 * may move it to a copy). Counted as a translated error. */
static void
nat_icmp_rewrite(struct mos_ctx *ctx, const struct mos_pkt *p, uint32_t outer, uint32_t qaddr,
		 uint32_t qport, const uint8_t *addr, uint16_t port)
{
	const uint8_t *d = p->data;
	uint32_t end = nat_ip_end(p), q = p->quote_off, ql4 = q + (uint32_t)(d[q] & 0x0f) * 4;
	uint32_t csum_off = 0;
	uint8_t was[6], now[6];
	uint16_t qcsum, lcsum = 0;

	memcpy(was, d + qaddr, 4);
	memcpy(was + 4, d + qport, 2);
	memcpy(now, addr, 4);
	now[4] = (uint8_t)(port >> 8);
	now[5] = (uint8_t)port;
	qcsum = mos_csum_update(rd16(d + q + 10), was, now, 4);
	if (p->quote_proto == IPPROTO_UDP && ql4 + 8 <= end && rd16(d + ql4 + 6) != 0)
		csum_off = ql4 + 6;  /* 0: sent without checksum, kept so */
	else if (p->quote_proto == IPPROTO_TCP && ql4 + 18 <= end)
		csum_off = ql4 + 16;
	if (csum_off) {
		/* the pseudo-header's address and the port */
		lcsum = mos_csum_update(rd16(d + csum_off), was, now, 6);
		if (p->quote_proto == IPPROTO_UDP && lcsum == 0)
			lcsum = 0xffff;
	} else if (p->quote_proto == IPPROTO_ICMP) {
		csum_off = ql4 + 2;          /* the echo's own: no pseudo-header */
		lcsum = mos_csum_update(rd16(d + csum_off), was + 4, now + 4, 2);
	}
	mos_pkt_overwrite(ctx, p->l3_off + outer, addr, 4, MOS_PKT_CSUM_IP | MOS_PKT_CSUM_INCR);
	mos_pkt_overwrite(ctx, qaddr, addr, 4, MOS_PKT_CSUM_L4 | MOS_PKT_CSUM_INCR);
	put16(ctx, qport, port);
	put16(ctx, q + 10, qcsum);
	if (csum_off)
		put16(ctx, csum_off, lcsum);
	atomic_fetch_add(&nat_icmp_errors, 1);
}

/* Whether the current frame quotes a whole IPv4 header, not of a later
 * fragment, and the first 4 bytes after it (ports, or ICMP type and
 * code): *@ql4 is their offset. */
static bool
nat_quote_ok(const struct mos_pkt *p, uint32_t *ql4)
{
	const uint8_t *d = p->data;
	uint32_t q = p->quote_off;

	if (!(p->flags & MOS_PKT_F_ICMP_QUOTE) || q + 20 > nat_ip_end(p) || (d[q] & 0x0f) < 5 ||
	    (rd16(d + q + 6) & 0x1fff))
		return false;
	*ql4 = q + (uint32_t)(d[q] & 0x0f) * 4;
	return *ql4 + 4 <= nat_ip_end(p);
}

/* The mapping of @proto holding external address @a and port (echo
 * identifier) @port, or NULL. */
static struct nat_map *
nat_by_ext(uint8_t proto, uint32_t a, uint16_t port)
{
	if (port < nat_plo || port > nat_phi || !nat_tables())
		return NULL;
	return nat_get(*nat_port_slot(proto, a, port));
}

/* The live echo mapping of external address @a and identifier @id at
 * @now_ns, or NULL. */
static struct nat_map *
nat_echo_get(uint32_t a, uint16_t id, uint64_t now_ns)
{
	struct nat_map *e = nat_by_ext(IPPROTO_ICMP, a, id);

	return e && now_ns - e->last_ns < NAT_ECHO_IDLE_NS ? e : NULL;
}

/* Raw: an ICMP message to external address @a.
 * - An echo reply to a live echo mapping, from its remote: destination
 *   and identifier := the inside client's.
 * - An error quoting a packet of a mapping (from its external address and
 *   port, or echo identifier, to its remote end): back to the inside
 *   client, with the outer destination, the quoted source address and
 *   port (identifier), and the checksums they are in (outer IP, quoted
 *   IP, the quoted TCP/UDP/ICMP one when quoted, ICMP).
 * Returns 1 (translated) or 2 (drop: anything else). */
static uint8_t
nat_icmp_in(struct mos_ctx *ctx, const struct mos_pkt *p, uint32_t a)
{
	const uint8_t *d = p->data;
	uint32_t end = nat_ip_end(p), q = p->quote_off, ql4, port_off;
	struct nat_map *e;

	if (p->icmp_type == 0) {             /* echo reply */
		if ((e = nat_echo_get(a, rd16(d + p->l4_off + 4), p->ts_ns)) == NULL ||
		    memcmp(d + p->l3_off + 12, e->rem_addr, 4))
			goto unsolicited;
		e->last_ns = p->ts_ns;
		mos_pkt_overwrite(ctx, p->l3_off + 16, e->in_addr, 4, MOS_PKT_CSUM_IP | MOS_PKT_CSUM_INCR);
		put16(ctx, p->l4_off + 4, e->in_port);
		return 1;
	}
	if (!nat_quote_ok(p, &ql4) || memcmp(d + q + 12, nat_addrs[a], 4))
		goto unsolicited;
	if (p->quote_proto == IPPROTO_TCP || p->quote_proto == IPPROTO_UDP) {
		port_off = ql4;
		e = nat_by_ext(p->quote_proto, a, rd16(d + ql4));
		if (e == NULL || rd16(d + ql4 + 2) != e->rem_port)
			goto unsolicited;
	} else if (p->quote_proto == IPPROTO_ICMP && ql4 + 8 <= end && d[ql4] == 8) {
		port_off = ql4 + 4;          /* a quoted echo request: its identifier */
		if ((e = nat_echo_get(a, rd16(d + port_off), p->ts_ns)) == NULL)
			goto unsolicited;
	} else {
		goto unsolicited;
	}
	if (memcmp(d + q + 16, e->rem_addr, 4))
		goto unsolicited;
	/* the quoted source as the inside client sent it */
	nat_icmp_rewrite(ctx, p, 16, q + 12, port_off, e->in_addr, e->in_port);
	return 1;
unsolicited:
	atomic_fetch_add(&nat_unsolicited, 1);
	return 2;
}

/* Raw: an ICMP error from inside to outside about a packet the NAT
 * translated in (from a mapping's remote end to its inside client, TCP
 * or UDP): it leaves from the mapping's external address, quoting the
 * packet as the remote sent it (quoted destination address and port :=
 * the external ones). Returns 1 (translated) or 2 (about no mapping:
 * untranslatable, dropped). */
static uint8_t
nat_icmp_out(struct mos_ctx *ctx, const struct mos_pkt *p)
{
	const uint8_t *d = p->data;
	uint32_t q = p->quote_off, ql4, i;
	const struct nat_map *e;

	if (!nat_quote_ok(p, &ql4) ||
	    (p->quote_proto != IPPROTO_TCP && p->quote_proto != IPPROTO_UDP) || !nat_tables())
		goto untranslatable;
	i = nat_inside_find(p->quote_proto, d + q + 16, rd16(d + ql4 + 2), d + q + 12, rd16(d + ql4));
	if (nat_inside_ix[i] == 0)
		goto untranslatable;
	e = &nat_maps[nat_inside_ix[i] - 1];
	nat_icmp_rewrite(ctx, p, 12, q + 16, ql4 + 2, nat_addrs[e->addr], e->ext_port);
	return 1;
untranslatable:
	atomic_fetch_add(&nat_untranslatable, 1);
	return 2;
}

/* Raw: an echo request from inside to outside (IPv4 header @ip). Its echo
 * mapping, made at the first request of (inside address, identifier,
 * remote) and kept while used: source and identifier := the mapping's
 * external ones. Returns 1 (translated) or 2 (no mapping free: drop). */
static uint8_t
nat_echo_out(struct mos_ctx *ctx, const struct mos_pkt *p, const uint8_t *ip)
{
	uint16_t id = rd16(p->data + p->l4_off + 4);
	struct nat_map *e;
	uint32_t i, m;

	if (!nat_tables())
		goto refused;
	i = nat_inside_find(IPPROTO_ICMP, ip + 12, id, ip + 16, 0);
	if (nat_inside_ix[i]) {
		e = &nat_maps[nat_inside_ix[i] - 1];
	} else {
		if ((m = nat_alloc(ctx, IPPROTO_ICMP, ip + 12, id, ip + 16, 0, p->ts_ns)) == 0)
			goto refused;
		e = &nat_maps[m - 1];
		atomic_fetch_add(&nat_echo_made, 1);
	}
	e->last_ns = p->ts_ns;
	mos_pkt_overwrite(ctx, p->l3_off + 12, nat_addrs[e->addr], 4, MOS_PKT_CSUM_IP | MOS_PKT_CSUM_INCR);
	put16(ctx, p->l4_off + 4, e->ext_port);
	return 1;
refused:
	atomic_fetch_add(&nat_exhausted, 1);
	return 2;
}

/* Raw, before the flow lookup. A frame to an external address and port
 * range is a reply: destination := the inside address and port (the
 * runtime then decodes it again and finds the flow); an ICMP error to an
 * external address, see nat_icmp_in. A frame from inside to outside that
 * the flow monitor cannot translate (not TCP or UDP, or its header cut
 * short) is dropped. Returns 0 (not for the NAT), 1 (translated), 2
 * (drop: no mapping, another remote, a fragment, untranslatable). */
uint8_t
nat_in(struct mos_ctx *ctx)
{
	const struct mos_pkt *p = mos_prog_pkt(ctx);
	const uint8_t *ip, *l4;
	uint16_t dport, sport;
	uint32_t a;
	const struct nat_map *e;
	bool out, tcpudp;

	if (p == NULL || p->ip_version != 4 || (p->flags & MOS_PKT_F_TUNNEL))
		return 0;
	ip = p->data + p->l3_off;
	a = nat_ext_index(ip + 16);
	out = nat_is_inside(ip + 12) && !nat_is_inside(ip + 16);
	if (p->flags & MOS_PKT_F_FRAGMENT) {
		/* A fragment of a translated flow cannot be translated alone
		 * (no ports after the first, and the datagram is reassembled
		 * for analysis only): dropped rather than leaked. */
		if (a < nat_n_addrs || out) {
			atomic_fetch_add(&nat_fragments, 1);
			return 2;
		}
		return 0;
	}
	tcpudp = (p->flags & MOS_PKT_F_L4) &&
		 (p->l4_proto == IPPROTO_TCP || p->l4_proto == IPPROTO_UDP);
	if (a < nat_n_addrs && (p->flags & MOS_PKT_F_L4) && p->l4_proto == IPPROTO_ICMP)
		return nat_icmp_in(ctx, p, a);
	if (!tcpudp) {
		if (!out)
			return 0;
		if ((p->flags & MOS_PKT_F_L4) && p->l4_proto == IPPROTO_ICMP && p->icmp_type == 8)
			return nat_echo_out(ctx, p, ip);
		if ((p->flags & MOS_PKT_F_L4) && p->l4_proto == IPPROTO_ICMP &&
		    (p->flags & MOS_PKT_F_ICMP_QUOTE))
			return nat_icmp_out(ctx, p);
		atomic_fetch_add(&nat_untranslatable, 1);
		return 2;
	}
	l4 = p->data + p->l4_off;
	dport = rd16(l4 + 2);
	sport = rd16(l4);
	if (a == nat_n_addrs || dport < nat_plo || dport > nat_phi)
		return 0;
	e = nat_by_ext(p->l4_proto, a, dport);
	if (e == NULL || memcmp(ip + 12, e->rem_addr, 4) || sport != e->rem_port) {
		atomic_fetch_add(&nat_unsolicited, 1);
		return 2;
	}
	nat_rewrite(ctx, p, 16, e->in_addr, 2, e->in_port);
	return 1;
}

/* The mapping's external address and port. */
struct mos_addr
nat_ext_addr(struct mos_ctx *ctx, uint32_t map)
{
	const struct nat_map *e = nat_get(map);
	struct mos_addr a;

	(void)ctx;
	memset(&a, 0, sizeof(a));
	a.b[10] = a.b[11] = 0xff;
	if (e)
		memcpy(a.b + 12, nat_addrs[e->addr], 4);
	return a;
}

uint16_t
nat_ext_port(struct mos_ctx *ctx, uint32_t map)
{
	const struct nat_map *e = nat_get(map);

	(void)ctx;
	return e ? e->ext_port : 0;
}

/* The worker that made the mapping (mos_ctx_core). */
uint32_t
nat_worker(struct mos_ctx *ctx)
{
	return (uint32_t)mos_ctx_core(ctx);
}

/* The flow ended: free its external port and mapping. */
void
nat_close(struct mos_ctx *ctx, uint32_t map)
{
	(void)ctx;
	nat_release(map);
}
