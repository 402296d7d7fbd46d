/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mostrace — benchmark traffic for mos and its peers (docs/benchmarks.md).
 *
 * Two modes:
 *   synthesize  many concurrent TCP connections (handshake, HTTP or TLS or
 *               opaque request/response transactions with heavy-tailed
 *               sizes, slow start, delayed ACKs, FIN or RST teardown) and
 *               UDP background (DNS queries and answers, datagram flows),
 *               IPv4/IPv6, 802.1Q tags, with optional loss, spurious
 *               retransmission, duplication, reordering and capture drops;
 *   multiply    N copies of a real capture merged by time, copy k with its
 *               addresses moved by k (IPv4 second octet, IPv6 second group),
 *               checksums fixed, timestamps shifted by k × SHIFT.
 *
 * Deterministic: the same options and seed give the same bytes. Fast: the
 * file is written through a 4 MiB buffer with write(2), frames are built in
 * place, payload bytes come from a pre-generated block; no per-packet
 * system call or allocation.
 *
 * Shares (--ipv6, --vlan, --http, ...) are exact, not drawn at random: with
 * --flows N, flow i has a property when a per-property permutation of i
 * falls below share × N, so N × share flows (rounded down) have it.
 *
 * The options are in usage() below. Exit status: 0, 1 on an I/O error,
 * 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FRAME   1600u         /* largest frame built (1514 + VLAN + room) */
#define HDR_MAX     640u          /* largest application header (ClientHello) */
#define BLOCK       (1u << 20)    /* payload bytes pool, a power of two */
#define SLOTS       8192u         /* frames held for reordering/retransmission */
#define MAX_LIVE    (1u << 18)    /* cap of --concurrent */
#define T0_NS       1767225600000000000ull   /* 2026-01-01T00:00:00Z */

/* ---------------------------------------------------------------- random */

static uint64_t rs[4];   /* xoshiro256** state */

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rnd64(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

static void
seed_rng(uint64_t seed)
{
	for (int i = 0; i < 4; i++) {   /* splitmix64 */
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		rs[i] = z ^ (z >> 31);
	}
}

static uint32_t
rnd(uint32_t n)   /* uniform in [0, n) */
{
	return (uint32_t)(((rnd64() >> 32) * (uint64_t)n) >> 32);
}

static double
unit(void)   /* uniform in [0, 1) */
{
	return (double)(rnd64() >> 11) * 0x1.0p-53;
}

static uint64_t
expo(double mean)   /* exponential, rounded */
{
	return (uint64_t)(-log(1.0 - unit()) * mean);
}

/* ---------------------------------------------------------------- options */

struct opts {
	const char *out, *in;
	uint64_t seed, flows, packets, size;
	double ipv6, vlan, http, tls, dns, udp;
	double size_mean, size_alpha, size_max, keepalive;
	double loss, retrans, dup, reorder, drop;
	uint32_t concurrent, clients, servers, multiply;
	double shift_s;
	bool flows_set, shift_set, quiet;
	const char *stats;
};

static void
usage(FILE *to)
{
	fputs(
"usage: mostrace [options] -o OUT.pcap            synthesize a capture\n"
"       mostrace --multiply N -r IN -o OUT.pcap   N address-shifted copies of IN\n"
"\n"
"  -o FILE           output capture (classic pcap, '-' for standard output)\n"
"  --seed N          generator seed (default 1); same options + seed = same file\n"
"  --stats FILE      write what was generated as one JSON object to FILE\n"
"  -q, --quiet       no summary on standard error\n"
"  -h, --help        this text\n"
"\n"
"size (generation stops at the first limit reached; counts take k, M, G):\n"
"  --flows N         flows to start, each run to its end (default: no limit;\n"
"                    100k when neither --packets nor --size is given)\n"
"  --packets N       stop after N frames (live connections are cut)\n"
"  --size BYTES      stop once the file holds BYTES (live connections are cut)\n"
"  --concurrent N    connections live at once (default 4096, at most 262144)\n"
"  --clients N       client hosts (default 10000)\n"
"  --servers N       server hosts (default 1000, popularity skewed)\n"
"\n"
"mix (shares of all flows, exact with --flows; TCP gets what is left):\n"
"  --http P          TCP port 80, HTTP/1.1 GET transactions (default 0.30)\n"
"  --tls P           TCP port 443, TLS 1.3 handshake then records (default 0.40)\n"
"  --dns P           UDP port 53, a query and its answer (default 0.15)\n"
"  --udp P           UDP datagram flows, ports 10000-10999 (default 0.05)\n"
"                    the remaining TCP flows carry opaque bytes (ports 5000-5999)\n"
"  --ipv6 P          IPv6 share of flows (default 0.10)\n"
"  --vlan P          share of flows with an 802.1Q tag (default 0.05)\n"
"  --size-mean B     mean response body per transaction (default 20000)\n"
"  --size-alpha A    Pareto shape of response bodies (default 1.3, > 1)\n"
"  --size-max B      cap of one response body (default 50M)\n"
"  --keepalive P     chance of one more transaction on a connection (default 0.3)\n"
"\n"
"impairments (per TCP data segment unless said; their sum at most 1):\n"
"  --loss P          not captured, retransmitted one RTO later (default 0)\n"
"  --retrans P       captured, and retransmitted again one RTO later (default 0)\n"
"  --dup P           captured twice in a row (default 0)\n"
"  --reorder P       captured after the connection's next frame (default 0)\n"
"  --drop P          any frame missing from the capture for good (default 0)\n"
"\n"
"multiply mode:\n"
"  --multiply N      write N copies of the capture given with -r (1..65535)\n"
"  -r FILE           input capture (pcap or pcapng; read into memory)\n"
"  --shift SECONDS   copy k is shifted by k x SECONDS (default: duration / N)\n",
	      to);
}

/* Parse a count or size with an optional k/M/G (powers of 1000) suffix. */
static bool
parse_count(const char *s, double *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || x < 0)
		return false;
	if (*end == 'k' || *end == 'K')
		x *= 1e3, end++;
	else if (*end == 'M')
		x *= 1e6, end++;
	else if (*end == 'G')
		x *= 1e9, end++;
	*v = x;
	return *end == '\0';
}

/* ---------------------------------------------------------------- output */

static struct {
	int fd;
	uint8_t *buf;
	size_t len;
	uint64_t packets, bytes;   /* frames written, file size */
	bool failed;
} out;

#define OUT_CAP (4u << 20)

static void
out_flush(void)
{
	size_t done = 0;

	while (done < out.len && !out.failed) {
		ssize_t n = write(out.fd, out.buf + done, out.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("mostrace: write");
			out.failed = true;
		} else {
			done += (size_t)n;
		}
	}
	out.len = 0;
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static bool
out_open(const char *path, uint32_t snaplen, uint32_t linktype)
{
	uint32_t h[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, snaplen, linktype};

	out.fd = strcmp(path, "-") ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : 1;
	out.buf = malloc(OUT_CAP);
	if (out.fd < 0 || out.buf == NULL) {
		fprintf(stderr, "mostrace: %s: %s\n", path, strerror(errno));
		return false;
	}
	memcpy(out.buf, h, sizeof(h));   /* host byte order, as libpcap writes */
	out.len = sizeof(h);
	out.bytes = sizeof(h);
	return true;
}

/* Where the next frame's bytes go (room for MAX_FRAME). */
static uint8_t *
out_reserve(void)
{
	if (out.len + 16 + MAX_FRAME > OUT_CAP)
		out_flush();
	return out.buf + out.len + 16;
}

/* Append the frame of @len bytes built at out_reserve() (or copied there). */
static void
out_commit(uint32_t len, uint32_t wirelen, uint64_t ts_ns)
{
	uint32_t h[4] = {(uint32_t)(ts_ns / 1000000000u), (uint32_t)(ts_ns % 1000000000u / 1000u),
			 len, wirelen};

	memcpy(out.buf + out.len, h, 16);
	out.len += 16 + len;
	out.packets++;
	out.bytes += 16 + len;
}

static bool
out_close(void)
{
	out_flush();
	if (out.fd != 1 && close(out.fd) != 0) {
		perror("mostrace: close");
		out.failed = true;
	}
	free(out.buf);
	return !out.failed;
}

/* ---------------------------------------------------------------- checksums */

static uint64_t
sum_bytes(uint64_t s, const uint8_t *p, size_t n)
{
	uint32_t w;

	for (; n >= 4; p += 4, n -= 4) {
		memcpy(&w, p, 4);
		s += w;
	}
	if (n >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		s += h;
		p += 2;
		n -= 2;
	}
	if (n) {
		uint8_t last[2] = {p[0], 0};
		uint16_t h;

		memcpy(&h, last, 2);
		s += h;
	}
	return s;
}

static uint16_t
fold(uint64_t s)   /* one's complement sum, in memory byte order */
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ---------------------------------------------------------------- flows */

enum kind { K_HTTP, K_TLS, K_TCP, K_DNS, K_UDP, K_COUNT };

enum state {
	S_SYN, S_SYNACK, S_ACK, S_REQ, S_RESP, S_CLOSE, S_DNS_Q, S_DNS_R, S_UDP, S_DONE
};

struct flow {
	uint64_t id, next_ns;        /* flow number; time of its next step */
	uint32_t client, server;     /* host indexes */
	uint16_t cport, sport, vlan_id;
	uint8_t kind, state, v6, vlan, ttl;
	uint8_t closing;             /* teardown step: 0..2 */
	uint8_t closer;              /* side closing first: 0 client, 1 server */
	uint8_t rst;                 /* ends with a reset */
	uint8_t pending_ack;         /* client owes an ACK of the server's data */
	uint8_t since_ack;           /* server segments since the last ACK */
	uint32_t rtt_us, mss;
	uint32_t isn[2], nxt[2];     /* per side: initial and next sequence number */
	uint16_t ipid[2];
	uint32_t txn, txns;          /* transaction number, how many in all */
	uint32_t cwnd, win_left;     /* server segments per RTT, left in this one */
	uint32_t lost_n[2], lost_min[2];   /* captured-missing segments per side */
	uint32_t slots_out;          /* its frames waiting in slots (teardown waits) */
	int32_t held;                /* slot of a frame held for reordering, or -1 */
	uint32_t held_seq;
	uint8_t held_side;
	uint8_t req_pending;         /* the client's request not yet queued */
	uint8_t resp_first;          /* the server's first message not yet queued */
	uint64_t resp_left;          /* response body bytes not yet queued */
	uint32_t udp_left;           /* datagrams left (K_UDP) */
	/* the message being sent (one side at a time) */
	uint32_t hdr_len, hdr_pos;
	uint64_t body_len, body_pos, body_seed;
	uint8_t hdr[HDR_MAX];
};

static struct opts o;
static struct flow *live;
static uint8_t *block;             /* BLOCK + MAX_FRAME payload bytes */
static uint64_t now_ns;

struct slot {                      /* a frame kept for later */
	uint32_t len, flow;            /* flow: live index */
	uint8_t side, lost;            /* lost: fills a hole when written */
	uint32_t seq;
	uint8_t b[MAX_FRAME];
};
static struct slot *slots;
static uint32_t free_slots[SLOTS], n_free;

static struct {
	uint64_t flows, kind[K_COUNT], v6_flows, vlan_flows, completed, rst;
	uint64_t v4_frames, v6_frames, vlan_frames, tcp_frames, udp_frames;
	uint64_t payload[2];         /* unique TCP payload bytes per side */
	uint64_t lost, retrans, dup, reorder, drop, skipped;
	uint64_t http_requests, tls_hellos, dns_queries;
} st;

/* Heap of (time, index): index < concurrent is a flow, else a slot. */
struct hent {
	uint64_t t;
	uint32_t i;
};
static struct hent *heap;
static uint32_t heap_n;

static bool
hless(const struct hent *a, const struct hent *b)
{
	return a->t < b->t || (a->t == b->t && a->i < b->i);
}

static void
heap_push(uint64_t t, uint32_t i)
{
	uint32_t k = heap_n++;

	heap[k] = (struct hent){t, i};
	while (k > 0 && hless(&heap[k], &heap[(k - 1) / 2])) {
		struct hent x = heap[k];

		heap[k] = heap[(k - 1) / 2];
		heap[(k - 1) / 2] = x;
		k = (k - 1) / 2;
	}
}

static struct hent
heap_pop(void)
{
	struct hent top = heap[0];
	uint32_t k = 0;

	heap[0] = heap[--heap_n];
	for (;;) {
		uint32_t l = 2 * k + 1, m = k;

		if (l < heap_n && hless(&heap[l], &heap[m]))
			m = l;
		if (l + 1 < heap_n && hless(&heap[l + 1], &heap[m]))
			m = l + 1;
		if (m == k)
			break;
		struct hent x = heap[k];

		heap[k] = heap[m];
		heap[m] = x;
		k = m;
	}
	return top;
}

/* Exact shares: property p of flow i holds when perm_p(i) < share × N. */
static uint64_t perm_n, perm_mul[4], perm_add[4];

static uint64_t
gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static void
perm_init(uint64_t n)
{
	static const double frac[4] = {0.6180339887, 0.4142135624, 0.7320508076, 0.2360679775};

	perm_n = n;
	for (int p = 0; p < 4; p++) {
		uint64_t m = (uint64_t)((double)n * frac[p]) | 1;

		while (gcd(m, n) != 1)
			m++;
		perm_mul[p] = m;
		perm_add[p] = rnd64() % n;
	}
}

static uint64_t
perm(int p, uint64_t i)   /* a permutation of [0, N) */
{
	return ((i % perm_n) * perm_mul[p] + perm_add[p]) % perm_n;
}

static uint64_t
share_of_n(double share)   /* floor(share × N) */
{
	return (uint64_t)(share * (double)perm_n + 1e-9);
}

static bool
has(int p, uint64_t i, double share)
{
	return perm(p, i) < share_of_n(share);
}

/* ---------------------------------------------------------------- names */

static const char *const sub_names[] = {
	"www", "api", "cdn", "static", "img", "mail", "news", "shop", "video", "login",
	"search", "docs", "assets", "m", "auth", "edge"};
static const char *const dom_names[] = {
	"example", "contoso", "fabrikam", "globex", "initech", "umbrella", "hooli", "acme",
	"wayne", "stark", "cyberdyne", "tyrell", "wonka", "gringotts", "oscorp", "aperture"};
static const char *const tld_names[] = {"com", "net", "org", "io", "de", "fr", "co.uk", "jp"};

/* Host name of server @j, always the same for a server. */
static int
host_name(char *buf, size_t cap, uint32_t j)
{
	uint32_t d = j / 16;

	if (d < 16)
		return snprintf(buf, cap, "%s.%s.%s", sub_names[j % 16], dom_names[d],
				tld_names[(j * 7) % 8]);
	return snprintf(buf, cap, "%s.%s%u.%s", sub_names[j % 16], dom_names[d % 16], d / 16,
			tld_names[(j * 7) % 8]);
}

/* ---------------------------------------------------------------- frames */

struct frame {
	uint8_t *b;
	uint32_t l3, l4, l4len, len;
	uint8_t proto, v6;
};

static void
addr_of(const struct flow *f, int side, uint8_t *a)   /* 4 or 16 bytes */
{
	uint32_t h = side ? f->server : f->client;

	if (f->kind == K_DNS && side)
		h = 0xfff0 + f->server % 4;   /* a few resolvers */
	if (!f->v6) {
		put32(a, (side ? 0xc6120001u : 0x0a000001u) + h);   /* 198.18.0.0/15, 10/8 */
		return;
	}
	memset(a, 0, 16);
	put32(a, 0x20010db8);
	put16(a + 4, side ? 0x5e00 : 0xc100);
	put32(a + 12, h + 1);
}

/* Start a frame of @f sent by @side: link and network headers, the L4
 * header with @optlen option bytes; returns where @paylen payload bytes go. */
static uint8_t *
frame_start(struct frame *fr, uint8_t *b, struct flow *f, int side, uint8_t flags,
	    uint32_t seq, uint32_t ack, uint32_t optlen, uint32_t paylen)
{
	bool tcp = f->kind <= K_TCP;
	uint32_t off = 12, l4h = tcp ? 20 + optlen : 8;

	fr->b = b;
	fr->v6 = f->v6;
	fr->proto = tcp ? 6 : 17;
	memcpy(b, "\x02\0\0\0\0\x01", 6);                    /* the router */
	b[6] = 0x02, b[7] = 0xc1;                            /* the client */
	put32(b + 8, f->client);
	if (side) {                                          /* swap */
		uint8_t t[6];

		memcpy(t, b, 6);
		memcpy(b, b + 6, 6);
		memcpy(b + 6, t, 6);
	}
	if (f->vlan) {
		put16(b + off, 0x8100);
		put16(b + off + 2, f->vlan_id);
		off += 4;
	}
	put16(b + off, f->v6 ? 0x86dd : 0x0800);
	fr->l3 = off + 2;
	uint8_t *ip = b + fr->l3;
	if (f->v6) {
		put32(ip, 0x60000000u | (uint32_t)(f->id & 0xfffff));
		put16(ip + 4, l4h + paylen);
		ip[6] = fr->proto;
		ip[7] = side ? 52 : f->ttl;
		addr_of(f, side, ip + 8);
		addr_of(f, !side, ip + 24);
		fr->l4 = fr->l3 + 40;
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, 20 + l4h + paylen);
		put16(ip + 4, f->ipid[side]++);
		put16(ip + 6, 0x4000);                       /* DF */
		ip[8] = side ? 52 : f->ttl;
		ip[9] = fr->proto;
		ip[10] = ip[11] = 0;
		addr_of(f, side, ip + 12);
		addr_of(f, !side, ip + 16);
		fr->l4 = fr->l3 + 20;
	}
	uint8_t *l4 = b + fr->l4;
	put16(l4, side ? f->sport : f->cport);
	put16(l4 + 2, side ? f->cport : f->sport);
	if (tcp) {
		put32(l4 + 4, seq);
		put32(l4 + 8, ack);
		l4[12] = (uint8_t)((l4h / 4) << 4);
		l4[13] = flags;
		put16(l4 + 14, side ? 65160 : 64240);
		put32(l4 + 16, 0);
	} else {
		put16(l4 + 4, 8 + paylen);
		put16(l4 + 6, 0);
	}
	fr->l4len = l4h + paylen;
	fr->len = fr->l4 + fr->l4len;
	return l4 + l4h;
}

/* Checksums and padding; returns the frame length. */
static uint32_t
frame_finish(struct frame *fr)
{
	uint8_t *ip = fr->b + fr->l3, *l4 = fr->b + fr->l4;
	uint8_t pseudo[4] = {0, 0, 0, fr->proto};
	uint64_t s;

	if (fr->v6) {
		s = sum_bytes(0, ip + 8, 32);
	} else {
		uint16_t c = fold(sum_bytes(0, ip, 20));

		memcpy(ip + 10, &c, 2);
		s = sum_bytes(0, ip + 12, 8);
	}
	put16(pseudo, fr->l4len);
	s = sum_bytes(s, pseudo, 4);
	uint16_t c = fold(sum_bytes(s, l4, fr->l4len));
	if (fr->proto == 17 && c == 0)
		c = 0xffff;
	memcpy(l4 + (fr->proto == 6 ? 16 : 6), &c, 2);
	if (fr->len < 60) {                  /* Ethernet minimum */
		memset(fr->b + fr->len, 0, 60 - fr->len);
		fr->len = 60;
	}
	return fr->len;
}

static void
count_frame(const struct flow *f)
{
	st.v4_frames += !f->v6;
	st.v6_frames += f->v6;
	st.vlan_frames += f->vlan;
	st.tcp_frames += f->kind <= K_TCP;
	st.udp_frames += f->kind > K_TCP;
}

static void write_held(struct flow *f);

/* Write a frame built at out_reserve(), unless the capture drops it. */
static void
put_frame(struct flow *f, struct frame *fr)
{
	uint32_t len = frame_finish(fr);

	if (o.drop > 0 && unit() < o.drop) {
		st.drop++;
		return;
	}
	out_commit(len, len, now_ns);
	count_frame(f);
	write_held(f);
}

static uint32_t
slot_get(void)
{
	return n_free ? free_slots[--n_free] : UINT32_MAX;
}

/* A frame held for reordering goes out right after the flow's next frame. */
static void
write_held(struct flow *f)
{
	if (f->held < 0)
		return;
	struct slot *s = &slots[f->held];

	memcpy(out_reserve(), s->b, s->len);
	out_commit(s->len, s->len, now_ns);
	count_frame(f);
	free_slots[n_free++] = (uint32_t)f->held;
	f->held = -1;
}

static uint32_t
rto_ns(const struct flow *f)
{
	return (f->rtt_us + f->rtt_us / 2 + 200) * 1000u;
}

/* A TCP data segment: write it, or apply one impairment to it. */
static void
put_data(struct flow *f, struct frame *fr, int side, uint32_t seq)
{
	double r = unit();
	uint32_t len = frame_finish(fr), k;
	struct slot *s;

	if (r < o.drop) {
		st.drop++;
		return;
	}
	r -= o.drop;
	if (r < o.loss + o.retrans + o.reorder) {
		bool reorder = r >= o.loss + o.retrans;

		k = (reorder && f->held >= 0) ? UINT32_MAX : slot_get();
		if (k == UINT32_MAX) {
			st.skipped++;
			goto plain;
		}
		s = &slots[k];
		memcpy(s->b, fr->b, len);
		s->len = len;
		s->flow = (uint32_t)(f - live);
		s->side = (uint8_t)side;
		s->seq = seq;
		s->lost = r < o.loss;
		if (reorder) {
			st.reorder++;
			f->held = (int32_t)k;
			f->held_seq = seq;
			f->held_side = (uint8_t)side;
			return;
		}
		heap_push(now_ns + rto_ns(f), o.concurrent + k);
		f->slots_out++;
		if (s->lost) {
			st.lost++;
			if (f->lost_n[side]++ == 0 || (int32_t)(seq - f->lost_min[side]) < 0)
				f->lost_min[side] = seq;
			return;
		}
		st.retrans++;
	} else if (r < o.loss + o.retrans + o.reorder + o.dup) {
		st.dup++;
		out_commit(len, len, now_ns);
		count_frame(f);
		memmove(out_reserve(), fr->b, len);   /* a flush may put it in place */
	}
plain:
	out_commit(len, len, now_ns);
	count_frame(f);
	write_held(f);
}

/* A slot's time came: the retransmission of a lost or retransmitted segment. */
static void
slot_due(uint32_t k)
{
	struct slot *s = &slots[k];
	struct flow *f = &live[s->flow];

	memcpy(out_reserve(), s->b, s->len);
	out_commit(s->len, s->len, now_ns);
	count_frame(f);   /* the flow is alive: its teardown waits for its slots */
	f->slots_out--;
	if (s->lost && --f->lost_n[s->side] == 0)
		f->lost_min[s->side] = 0;
	free_slots[n_free++] = k;
}

/* What @side's peer can acknowledge: not past data missing from the capture. */
static uint32_t
ackable(const struct flow *f, int side)
{
	uint32_t a = f->nxt[side];

	if (f->lost_n[side] && (int32_t)(f->lost_min[side] - a) < 0)
		a = f->lost_min[side];
	if (f->held >= 0 && f->held_side == side && (int32_t)(f->held_seq - a) < 0)
		a = f->held_seq;
	return a;
}

/* ---------------------------------------------------------------- messages */

static const char *const agents[] = {
	"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/126.0.0.0 Safari/537.36",
	"curl/7.88.1", "Wget/1.21.3", "python-requests/2.28.1",
};
static const char *const paths[] = {
	"/", "/index.html", "/api/v1/items", "/static/app.js", "/img/logo.png", "/search",
	"/video/seg", "/news/today", "/css/site.css", "/download/file.bin",
};
static const char *const ctypes[] = {
	"text/html; charset=utf-8", "application/json", "application/javascript", "image/png",
	"video/mp4", "text/css", "application/octet-stream",
};

static void
hdr_bytes(struct flow *f, const void *p, uint32_t n)
{
	if (f->hdr_len + n <= HDR_MAX) {
		memcpy(f->hdr + f->hdr_len, p, n);
		f->hdr_len += n;
	}
}

static void
hdr_u8(struct flow *f, uint32_t v)
{
	uint8_t b = (uint8_t)v;

	hdr_bytes(f, &b, 1);
}

static void
hdr_u16(struct flow *f, uint32_t v)
{
	uint8_t b[2];

	put16(b, v);
	hdr_bytes(f, b, 2);
}

static void
hdr_rand(struct flow *f, uint32_t n)
{
	uint8_t b[64];

	for (uint32_t i = 0; i < n && i < sizeof(b); i++)
		b[i] = (uint8_t)rnd64();
	hdr_bytes(f, b, n);
}

/* Append a string literal, NUL bytes inside included. */
#define hdr_text(f, lit) hdr_bytes((f), (lit), sizeof(lit) - 1)

/* Fill in the 16-bit length at @at with the bytes written after it. */
static void
hdr_len16(struct flow *f, uint32_t at)
{
	put16(f->hdr + at, f->hdr_len - at - 2);
}

static void
tls_client_hello(struct flow *f)
{
	static const uint16_t suites[] = {
		0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
		0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
	char name[80];
	uint32_t rec, hs, exts, at, n = (uint32_t)host_name(name, sizeof(name), f->server);

	hdr_text(f, "\x16\x03\x01");
	rec = f->hdr_len;
	hdr_u16(f, 0);
	hdr_u8(f, 1);                               /* ClientHello */
	hs = f->hdr_len;
	hdr_u8(f, 0), hdr_u16(f, 0);                /* 24-bit length, filled below */
	hdr_u16(f, 0x0303);
	hdr_rand(f, 32);
	hdr_u8(f, 32), hdr_rand(f, 32);             /* session id */
	hdr_u16(f, sizeof(suites));
	for (unsigned i = 0; i < sizeof(suites) / 2; i++)
		hdr_u16(f, suites[i]);
	hdr_u8(f, 1), hdr_u8(f, 0);                 /* null compression */
	exts = f->hdr_len;
	hdr_u16(f, 0);
	hdr_u16(f, 0), hdr_u16(f, n + 5), hdr_u16(f, n + 3), hdr_u8(f, 0), hdr_u16(f, n);
	hdr_bytes(f, name, n);                      /* server_name */
	hdr_text(f, "\x00\x17\x00\x00");            /* extended_master_secret */
	hdr_text(f, "\xff\x01\x00\x01\x00");        /* renegotiation_info */
	hdr_text(f, "\x00\x0a\x00\x08\x00\x06\x00\x1d\x00\x17\x00\x18");   /* groups */
	hdr_text(f, "\x00\x0b\x00\x02\x01\x00");    /* ec_point_formats */
	hdr_text(f, "\x00\x23\x00\x00");            /* session_ticket */
	hdr_text(f, "\x00\x10\x00\x0e\x00\x0c\x02h2\x08http/1.1");   /* ALPN */
	hdr_text(f, "\x00\x0d\x00\x12\x00\x10\x04\x03\x08\x04\x04\x01\x05\x03"
		 "\x08\x05\x05\x01\x08\x06\x06\x01");   /* signature_algorithms */
	hdr_text(f, "\x00\x33\x00\x26\x00\x24\x00\x1d\x00\x20");   /* key_share x25519 */
	hdr_rand(f, 32);
	hdr_text(f, "\x00\x2d\x00\x02\x01\x01");    /* psk_key_exchange_modes */
	hdr_text(f, "\x00\x2b\x00\x05\x04\x03\x04\x03\x03");   /* supported_versions */
	hdr_len16(f, exts);
	at = f->hdr_len - hs - 3;
	f->hdr[hs] = (uint8_t)(at >> 16);
	put16(f->hdr + hs + 1, at);
	hdr_len16(f, rec);
	st.tls_hellos++;
}

static void
tls_server_flight(struct flow *f)
{
	uint32_t rec, hs, exts;

	hdr_text(f, "\x16\x03\x03");
	rec = f->hdr_len;
	hdr_u16(f, 0);
	hdr_u8(f, 2);                               /* ServerHello */
	hs = f->hdr_len;
	hdr_u8(f, 0), hdr_u16(f, 0);
	hdr_u16(f, 0x0303);
	hdr_rand(f, 32);
	hdr_u8(f, 32), hdr_rand(f, 32);
	hdr_u16(f, 0x1301), hdr_u8(f, 0);
	exts = f->hdr_len;
	hdr_u16(f, 0);
	hdr_text(f, "\x00\x2b\x00\x02\x03\x04");    /* supported_versions: 1.3 */
	hdr_text(f, "\x00\x33\x00\x24\x00\x1d\x00\x20");
	hdr_rand(f, 32);
	hdr_len16(f, exts);
	put16(f->hdr + hs + 1, f->hdr_len - hs - 3);
	hdr_len16(f, rec);
	hdr_text(f, "\x14\x03\x03\x00\x01\x01");    /* change_cipher_spec */
}

static void
http_request(struct flow *f)
{
	char name[80], line[400];
	int n;

	host_name(name, sizeof(name), f->server);
	n = snprintf(line, sizeof(line),
		     "GET %s%s%u HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
		     "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n",
		     paths[rnd(10)], rnd(2) ? "?id=" : "#", rnd(100000), name, agents[rnd(5)]);
	hdr_bytes(f, line, (uint32_t)n);
	st.http_requests++;
}

static void
http_response(struct flow *f, uint64_t body)
{
	char line[400];
	int n;

	n = snprintf(line, sizeof(line),
		     "HTTP/1.1 %s\r\nServer: nginx/1.22.1\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
		     "Content-Type: %s\r\nContent-Length: %llu\r\nConnection: keep-alive\r\n\r\n",
		     body ? "200 OK" : "304 Not Modified", ctypes[rnd(7)], (unsigned long long)body);
	hdr_bytes(f, line, (uint32_t)n);
}

static uint64_t
body_size(void)
{
	double a = o.size_alpha, xm = o.size_mean * (a - 1) / a;
	double x = xm / pow(1.0 - unit(), 1.0 / a);

	x = x < o.size_max ? x : o.size_max;
	return x >= 1 ? (uint64_t)x : 1;
}

/* Queue @side's next message of this transaction; false when it has none. */
static bool
next_msg(struct flow *f, int side)
{
	f->hdr_len = f->hdr_pos = 0;
	f->body_len = f->body_pos = 0;
	f->body_seed = rnd64();
	if (side == 0) {
		if (!f->req_pending)
			return false;
		f->req_pending = 0;
		if (f->kind == K_HTTP)
			http_request(f);
		else if (f->kind == K_TLS && f->txn == 0)
			tls_client_hello(f);
		else if (f->kind == K_TLS) {             /* finished (+ CCS), request */
			if (f->txn == 1) {
				hdr_text(f, "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x35");
				hdr_rand(f, 53);
			}
			uint32_t n = 100 + rnd(400);
			hdr_text(f, "\x17\x03\x03");
			hdr_u16(f, n);
			f->body_len = n;
		} else {
			f->body_len = 20 + rnd(480);
		}
		return true;
	}
	if (f->resp_first) {
		f->resp_first = 0;
		if (f->kind == K_HTTP) {
			uint64_t body = rnd(20) == 0 ? 0 : body_size();

			http_response(f, body);
			f->body_len = body;
			f->resp_left = 0;
			return true;
		}
		if (f->kind == K_TLS && f->txn == 0) {
			tls_server_flight(f);
			f->resp_left = 2000 + rnd(3000);     /* certificate etc., encrypted */
		} else if (f->kind == K_TCP) {
			f->body_len = f->resp_left;
			f->resp_left = 0;
			return true;
		}
	}
	if (f->resp_left == 0)
		return f->hdr_len > 0;
	uint32_t n = f->resp_left > 16401 ? 16401 : (uint32_t)f->resp_left;   /* one record */
	hdr_text(f, "\x17\x03\x03");
	hdr_u16(f, n);
	f->body_len = n;
	f->resp_left -= n;
	return true;
}

/* Copy up to @cap bytes of @side's messages to @p; returns how many. */
static uint32_t
fill(struct flow *f, int side, uint8_t *p, uint32_t cap)
{
	uint32_t n = 0;

	while (n < cap) {
		if (f->hdr_pos == f->hdr_len && f->body_pos == f->body_len && !next_msg(f, side))
			break;
		if (f->hdr_pos < f->hdr_len) {
			uint32_t k = f->hdr_len - f->hdr_pos;

			k = k < cap - n ? k : cap - n;
			memcpy(p + n, f->hdr + f->hdr_pos, k);
			f->hdr_pos += k, n += k;
		}
		if (n < cap && f->body_pos < f->body_len) {
			uint64_t k = f->body_len - f->body_pos;

			k = k < cap - n ? k : cap - n;
			memcpy(p + n, block + ((f->body_seed + f->body_pos) & (BLOCK - 1)), k);
			f->body_pos += k, n += (uint32_t)k;
		}
	}
	return n;
}

/* Bytes @side still has to send in this phase (0 or not). */
static bool
more(const struct flow *f, int side)
{
	if (f->hdr_pos < f->hdr_len || f->body_pos < f->body_len)
		return true;
	return side == 0 ? f->req_pending : (f->resp_first || f->resp_left > 0);
}

/* ---------------------------------------------------------------- steps */

static void
start_flow(struct flow *f, uint64_t id)
{
	uint64_t k = perm(0, id);
	double c1 = o.http, c2 = c1 + o.tls, c3 = c2 + o.dns, c4 = c3 + o.udp;

	memset(f, 0, offsetof(struct flow, hdr));
	f->id = id;
	f->kind = k < share_of_n(c1) ? K_HTTP : k < share_of_n(c2) ? K_TLS
		: k < share_of_n(c3) ? K_DNS : k < share_of_n(c4) ? K_UDP : K_TCP;
	f->v6 = has(1, id, o.ipv6);
	f->vlan = has(2, id, o.vlan);
	f->client = (uint32_t)(id % o.clients);
	f->cport = (uint16_t)(32768 + (id / o.clients) % 28000);
	double u = unit();
	f->server = (uint32_t)((double)o.servers * u * u);
	f->vlan_id = (uint16_t)(100 + f->client % 8);
	f->ttl = (f->client & 3) ? 64 : 128;
	f->rtt_us = (uint32_t)(500.0 * exp(unit() * log(300.0)));   /* 0.5 to 150 ms */
	f->mss = f->v6 ? 1440 : 1460;
	f->held = -1;
	f->isn[0] = f->nxt[0] = (uint32_t)rnd64();
	f->isn[1] = f->nxt[1] = (uint32_t)rnd64();
	f->ipid[0] = (uint16_t)rnd64();
	f->ipid[1] = (uint16_t)rnd64();
	switch (f->kind) {
	case K_HTTP:
		f->sport = rnd(10) ? 80 : 8080;
		break;
	case K_TLS:
		f->sport = 443;
		break;
	case K_TCP:
		f->sport = (uint16_t)(5000 + rnd(1000));
		break;
	case K_DNS:
		f->sport = 53;
		break;
	default:
		f->sport = (uint16_t)(10000 + rnd(1000));
		f->udp_left = 2 + (uint32_t)(body_size() / 1000 % 200);
		break;
	}
	f->txns = 1;
	while (f->txns < 100 && unit() < o.keepalive)
		f->txns++;
	if (f->kind == K_TLS)
		f->txns++;                                  /* the handshake first */
	f->rst = rnd(50) == 0;
	f->closer = rnd(10) < 6 ? 0 : 1;
	f->state = f->kind <= K_TCP ? S_SYN : f->kind == K_DNS ? S_DNS_Q : S_UDP;
	st.flows++;
	st.kind[f->kind]++;
	st.v6_flows += f->v6;
	st.vlan_flows += f->vlan;
}

static const uint8_t syn_opts[8] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};   /* MSS, SACK ok */

/* A frame without payload (handshake, ACK, FIN, RST). */
static void
control(struct flow *f, int side, uint8_t flags)
{
	struct frame fr;
	bool syn = flags & 0x02;
	uint8_t *p = frame_start(&fr, out_reserve(), f, side, flags, f->nxt[side],
				 flags & 0x10 ? ackable(f, !side) : 0, syn ? sizeof(syn_opts) : 0, 0);

	if (syn) {
		memcpy(p - sizeof(syn_opts), syn_opts, sizeof(syn_opts));
		put16(p - sizeof(syn_opts) + 2, f->mss);
	}
	put_frame(f, &fr);
	if (flags & 0x03)   /* SYN and FIN take a sequence number */
		f->nxt[side]++;
}

/* One data segment of @side. */
static void
segment(struct flow *f, int side)
{
	struct frame fr;
	uint8_t *b = out_reserve();
	uint8_t *p = frame_start(&fr, b, f, side, 0x10, f->nxt[side], ackable(f, !side), 0, f->mss);
	uint32_t n = fill(f, side, p, f->mss), seq = f->nxt[side];

	/* the lengths were written for a full segment: fix them */
	fr.l4len = 20 + n;
	fr.len = fr.l4 + fr.l4len;
	put16(b + fr.l3 + (f->v6 ? 4 : 2), fr.v6 ? fr.l4len : 20 + fr.l4len);
	if (!more(f, side))
		b[fr.l4 + 13] |= 0x08;               /* PSH at the end of a message */
	f->nxt[side] += n;
	st.payload[side] += n;
	put_data(f, &fr, side, seq);
}

static void
udp_datagram(struct flow *f, int side, uint32_t n, const uint8_t *data)
{
	struct frame fr;
	uint8_t *p = frame_start(&fr, out_reserve(), f, side, 0, 0, 0, 0, n);

	if (data)
		memcpy(p, data, n);
	else
		memcpy(p, block + (rnd64() & (BLOCK - 1)), n);
	put_frame(f, &fr);
}

static uint32_t
dns_message(struct flow *f, uint8_t *m, bool answer)
{
	char name[80];
	uint32_t n = 12, type = f->client % 3 ? 1 : 28;
	bool nx = f->id % 20 == 0;
	uint16_t qid = (uint16_t)(f->id * 2654435761u >> 16);

	host_name(name, sizeof(name), f->server);
	put16(m, qid);
	put16(m + 2, answer ? (nx ? 0x8183 : 0x8180) : 0x0100);
	put16(m + 4, 1);
	put16(m + 6, answer && !nx ? 1 : 0);
	put32(m + 8, 0);
	for (char *lab = name; *lab;) {              /* labels */
		char *dot = strchr(lab, '.');
		uint32_t len = dot ? (uint32_t)(dot - lab) : (uint32_t)strlen(lab);

		m[n++] = (uint8_t)len;
		memcpy(m + n, lab, len);
		n += len;
		lab += len + (dot != NULL);
	}
	m[n++] = 0;
	put16(m + n, type), put16(m + n + 2, 1);
	n += 4;
	if (answer && !nx) {
		put16(m + n, 0xc00c), put16(m + n + 2, type), put16(m + n + 4, 1);
		put32(m + n + 6, 300);
		put16(m + n + 10, type == 1 ? 4 : 16);
		n += 12;
		memset(m + n, 0, 16);
		if (type == 1) {
			put32(m + n, 0xc6120001u + f->server);
			n += 4;
		} else {
			put32(m + n, 0x20010db8);
			put16(m + n + 4, 0x5e00);
			put32(m + n + 12, f->server + 1);
			n += 16;
		}
	}
	return n;
}

/* Advance @f by one step; returns false when the flow is over. */
static bool
step(struct flow *f)
{
	uint64_t rtt = f->rtt_us * 1000ull, half = rtt / 2, gap = 1200 + rnd(2000);
	uint8_t m[512];

	switch (f->state) {
	case S_SYN:
		control(f, 0, 0x02);
		f->state = S_SYNACK;
		f->next_ns = now_ns + half;
		return true;
	case S_SYNACK:
		control(f, 1, 0x12);
		f->state = S_ACK;
		f->next_ns = now_ns + half;
		return true;
	case S_ACK:
		control(f, 0, 0x10);
		f->state = S_REQ;
		f->req_pending = 1;
		f->next_ns = now_ns + gap;
		return true;
	case S_REQ:
		segment(f, 0);
		f->next_ns = now_ns + gap;
		if (!more(f, 0)) {
			f->state = S_RESP;
			f->resp_first = 1;
			f->resp_left = f->kind == K_HTTP || (f->kind == K_TLS && f->txn == 0) ? 0
				: body_size();
			f->cwnd = f->cwnd ? f->cwnd : 10;
			f->win_left = f->cwnd;
			f->since_ack = 0;
			f->next_ns = now_ns + half + expo(200000);   /* server think time */
		}
		return true;
	case S_RESP:
		if (f->pending_ack) {
			control(f, 0, 0x10);
			f->pending_ack = 0;
			f->since_ack = 0;
			if (!more(f, 1)) {
				if (f->lost_n[1]) {      /* wait for the retransmissions */
					f->next_ns = now_ns + rtt / 4 + 1000;
					f->pending_ack = 1;
					return true;
				}
				f->txn++;
				f->state = f->txn < f->txns ? S_REQ : S_CLOSE;
				f->req_pending = f->state == S_REQ;
				f->next_ns = now_ns + half + expo(1e6);   /* client think time */
			} else if (f->win_left == 0) {
				f->cwnd = f->cwnd < 64 ? 2 * f->cwnd : 64;
				f->win_left = f->cwnd;
				f->next_ns = now_ns + rtt;
			} else {
				f->next_ns = now_ns + gap;
			}
			return true;
		}
		if (f->lost_n[0]) {   /* the request is not complete yet */
			f->next_ns = now_ns + rtt / 4 + 1000;
			return true;
		}
		segment(f, 1);
		f->win_left--;
		f->pending_ack = ++f->since_ack == 2 || f->win_left == 0 || !more(f, 1);
		f->next_ns = now_ns + gap;
		return true;
	case S_CLOSE:
		if (f->slots_out) {
			f->next_ns = now_ns + rtt / 4 + 1000;
			return true;
		}
		if (f->rst) {
			control(f, f->closer, 0x14);
			st.rst++;
			return false;
		}
		/* FIN, FIN from the other side, last ACK */
		control(f, f->closing == 1 ? !f->closer : f->closer, f->closing < 2 ? 0x11 : 0x10);
		f->next_ns = now_ns + half;
		return ++f->closing < 3;
	case S_DNS_Q:
		udp_datagram(f, 0, dns_message(f, m, false), m);
		st.dns_queries++;
		f->state = S_DNS_R;
		f->next_ns = now_ns + rtt;
		return true;
	case S_DNS_R:
		udp_datagram(f, 1, dns_message(f, m, true), m);
		return false;
	case S_UDP:
		udp_datagram(f, rnd(5) == 0 ? 0 : 1, 100 + rnd(1100), NULL);
		f->next_ns = now_ns + 20000000 + rnd(2000000);
		return --f->udp_left > 0;
	default:
		return false;
	}
}

static void
summary(FILE *to, bool json)
{
	const char *sep = json ? "{" : "mostrace: ", *q = json ? "\"" : "", *eq = json ? ":" : "=";
	struct {
		const char *name;
		uint64_t v;
	} v[] = {
		{"packets", out.packets}, {"bytes", out.bytes}, {"flows", st.flows},
		{"completed_flows", st.completed},
		{"tcp_flows", st.kind[K_HTTP] + st.kind[K_TLS] + st.kind[K_TCP]},
		{"http_flows", st.kind[K_HTTP]}, {"tls_flows", st.kind[K_TLS]},
		{"opaque_tcp_flows", st.kind[K_TCP]}, {"dns_flows", st.kind[K_DNS]},
		{"udp_flows", st.kind[K_UDP]}, {"ipv6_flows", st.v6_flows},
		{"vlan_flows", st.vlan_flows}, {"rst_flows", st.rst},
		{"ipv4_frames", st.v4_frames}, {"ipv6_frames", st.v6_frames},
		{"vlan_frames", st.vlan_frames}, {"tcp_frames", st.tcp_frames},
		{"udp_frames", st.udp_frames}, {"payload_c2s", st.payload[0]},
		{"payload_s2c", st.payload[1]}, {"http_requests", st.http_requests},
		{"tls_client_hellos", st.tls_hellos}, {"dns_queries", st.dns_queries},
		{"lost", st.lost}, {"retransmitted", st.retrans}, {"duplicated", st.dup},
		{"reordered", st.reorder}, {"dropped", st.drop},
		{"impairments_skipped", st.skipped},
	};

	for (size_t i = 0; i < (o.multiply ? 2 : sizeof(v) / sizeof(v[0])); i++) {
		fprintf(to, "%s%s%s%s%s%llu", sep, q, v[i].name, q, eq, (unsigned long long)v[i].v);
		sep = json ? "," : " ";
	}
	fputs(json ? "}\n" : "\n", to);
}

static bool
limit_reached(void)
{
	return (o.packets && out.packets >= o.packets) || (o.size && out.bytes >= o.size);
}

static int
synthesize(void)
{
	uint64_t next_id = 0;

	live = calloc(o.concurrent, sizeof(*live));
	slots = malloc(SLOTS * sizeof(*slots));
	heap = malloc((o.concurrent + SLOTS) * sizeof(*heap));
	block = malloc(BLOCK + MAX_FRAME);
	if (!live || !slots || !heap || !block) {
		fputs("mostrace: out of memory\n", stderr);
		return 1;
	}
	for (uint32_t i = 0; i < BLOCK + MAX_FRAME; i += 8) {
		uint64_t r = rnd64();

		memcpy(block + i, &r, 8);
	}
	for (n_free = 0; n_free < SLOTS; n_free++)
		free_slots[n_free] = SLOTS - 1 - n_free;
	perm_init(o.flows_set ? o.flows : 1u << 20);
	if (!out_open(o.out, 65535, 1))
		return 1;
	for (uint32_t i = 0; i < o.concurrent && (!o.flows || next_id < o.flows); i++) {
		start_flow(&live[i], next_id++);
		heap_push(T0_NS + expo(2e6), i);   /* first steps spread over a few ms */
	}
	while (heap_n > 0 && !limit_reached() && !out.failed) {
		struct hent e = heap_pop();

		now_ns = e.t > now_ns ? e.t : now_ns;
		if (e.i >= o.concurrent) {
			slot_due(e.i - o.concurrent);
			continue;
		}
		struct flow *f = &live[e.i];
		if (step(f)) {
			heap_push(f->next_ns, e.i);
			continue;
		}
		write_held(f);
		st.completed++;
		if (!o.flows || next_id < o.flows) {
			start_flow(f, next_id++);
			heap_push(now_ns + expo(1e6), e.i);
		}
	}
	if (!out_close())
		return 1;
	if (!o.quiet)
		summary(stderr, false);
	return 0;
}

/* ---------------------------------------------------------------- multiply */

struct rec {               /* one frame of the input, in memory */
	uint64_t ts_ns;
	uint32_t caplen, len;
	uint64_t off;          /* of its bytes in data */
};

/* Update the checksum at @c for a 16-bit word going from @old to @nw
 * (RFC 1624: HC' = ~(~HC + ~m + m')). */
static void
csum_fix(uint8_t *c, uint32_t old, uint32_t nw)
{
	uint32_t x = (~get16(c) & 0xffff) + (~old & 0xffff) + nw;

	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	put16(c, ~x & 0xffff);
}

/* Add @k to the big-endian word at @w, fixing the checksums at @c1, @c2.
 * A UDP checksum (@udp, for @c2) that comes out 0 is written 0xffff:
 * 0 means "no checksum" there (RFC 768). */
static void
move16(uint8_t *w, uint32_t k, uint8_t *c1, uint8_t *c2, bool udp)
{
	uint32_t old = get16(w), nw = (old + k) & 0xffff;

	put16(w, nw);
	if (c1)
		csum_fix(c1, old, nw);
	if (c2) {
		csum_fix(c2, old, nw);
		if (udp && get16(c2) == 0)
			put16(c2, 0xffff);
	}
}

/* Where the L3 header starts for @linktype, or -1 when not understood. */
static int
l3_offset(const uint8_t *b, uint32_t caplen, int linktype, uint32_t *ethertype)
{
	uint32_t off;

	switch (linktype) {
	case DLT_EN10MB:
		off = 12;
		if (caplen < 14)
			return -1;
		*ethertype = get16(b + 12);
		while ((*ethertype == 0x8100 || *ethertype == 0x88a8 || *ethertype == 0x9100) &&
		       off + 6 <= caplen) {
			off += 4;
			*ethertype = get16(b + off);
		}
		return (int)off + 2;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		*ethertype = get16(b + 14);
		return 16;
	case DLT_RAW:
	case 228:   /* DLT_IPV4 */
	case 229:   /* DLT_IPV6 */
		if (caplen < 1)
			return -1;
		*ethertype = (b[0] >> 4) == 6 ? 0x86dd : 0x0800;
		return 0;
	default:
		return -1;
	}
}

/* Move the addresses of one frame by copy number @k, fixing checksums. */
static void
rewrite(uint8_t *b, uint32_t caplen, int linktype, uint32_t k)
{
	uint32_t et = 0, l4, proto, csum;
	int l3 = l3_offset(b, caplen, linktype, &et);
	uint8_t *ip;

	if (l3 < 0 || k == 0)   /* copy 0 is the input, byte for byte */
		return;
	ip = b + l3;
	if (et == 0x0800 && (uint32_t)l3 + 20 <= caplen && (ip[0] >> 4) == 4) {
		proto = ip[9];
		l4 = (uint32_t)l3 + (ip[0] & 15) * 4u;
		csum = proto == 6 ? 16 : 6;
		/* the L4 checksum covers the addresses (pseudo-header): fixed in
		 * the first fragment or a whole datagram, UDP without one left */
		uint8_t *c4 = (get16(ip + 6) & 0x1fff) == 0 && (proto == 6 || proto == 17) &&
			l4 + csum + 2 <= caplen ? b + l4 + csum : NULL;
		if (c4 && proto == 17 && get16(c4) == 0)
			c4 = NULL;
		move16(ip + 12, k, ip + 10, c4, proto == 17); /* source, octets 1-2 */
		move16(ip + 16, k, ip + 10, c4, proto == 17); /* destination */
		return;
	}
	if (et == 0x86dd && (uint32_t)l3 + 40 <= caplen && (ip[0] >> 4) == 6) {
		uint32_t nh = ip[6], off = (uint32_t)l3 + 40;

		while ((nh == 0 || nh == 43 || nh == 60 || nh == 44) && off + 8 <= caplen) {
			if (nh == 44 && (get16(b + off + 2) & 0xfff8) != 0)
				break;                           /* not the first fragment */
			uint32_t len = nh == 44 ? 8 : (b[off + 1] + 1u) * 8;

			nh = b[off];
			off += len;
		}
		/* TCP, UDP and ICMPv6 checksums cover the pseudo-header */
		csum = nh == 6 ? 16 : nh == 17 ? 6 : 2;
		uint8_t *c4 = (nh == 6 || nh == 17 || nh == 58) && off + csum + 2 <= caplen ?
			b + off + csum : NULL;
		move16(ip + 10, k, NULL, c4, nh == 17);      /* source, second group */
		move16(ip + 26, k, NULL, c4, nh == 17);      /* destination */
	}
}

/* Addresses of the input, to warn when a copy lands on an original. */
struct aset {
	uint8_t (*keys)[16];
	uint8_t *used;
	size_t cap, n;
};

static uint64_t
ahash(const uint8_t *a)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	x ^= y * 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

/* Insert @a (when @add) or look it up; true if it was there. */
static bool
aset_has(struct aset *s, const uint8_t *a, bool add)
{
	if (add && (s->n + 1) * 2 > s->cap) {
		struct aset g = {0};

		g.cap = s->cap ? s->cap * 2 : 1024;
		g.keys = calloc(g.cap, 16);
		g.used = calloc(g.cap, 1);
		if (!g.keys || !g.used) {
			fputs("mostrace: out of memory\n", stderr);
			exit(1);
		}
		for (size_t i = 0; i < s->cap; i++)
			if (s->used[i])
				aset_has(&g, s->keys[i], true);
		free(s->keys);
		free(s->used);
		*s = g;
	}
	if (s->cap == 0)
		return false;
	for (size_t i = ahash(a) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->used[i]) {
			if (add) {
				memcpy(s->keys[i], a, 16);
				s->used[i] = 1;
				s->n++;
			}
			return false;
		}
		if (!memcmp(s->keys[i], a, 16))
			return true;
	}
}

/* The addresses of a frame as 16-byte keys (IPv4 mapped); returns how many. */
static int
frame_addrs(const uint8_t *b, uint32_t caplen, int linktype, uint8_t keys[2][16])
{
	uint32_t et = 0;
	int l3 = l3_offset(b, caplen, linktype, &et);

	if (l3 < 0)
		return 0;
	if (et == 0x0800 && (uint32_t)l3 + 20 <= caplen) {
		for (int i = 0; i < 2; i++) {
			memset(keys[i], 0, 16);
			keys[i][10] = keys[i][11] = 0xff;
			memcpy(keys[i] + 12, b + l3 + 12 + 4 * i, 4);
		}
		return 2;
	}
	if (et == 0x86dd && (uint32_t)l3 + 40 <= caplen) {
		memcpy(keys[0], b + l3 + 8, 16);
		memcpy(keys[1], b + l3 + 24, 16);
		return 2;
	}
	return 0;
}

static void
shift_key(uint8_t *a, uint32_t k)
{
	bool v4 = a[10] == 0xff && a[11] == 0xff && !a[0] && !a[1];

	put16(a + (v4 ? 12 : 2), (get16(a + (v4 ? 12 : 2)) + k) & 0xffff);
}

static int
multiply(void)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(o.in, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	struct rec *recs = NULL;
	uint8_t *data = NULL;
	size_t n = 0, rcap = 0, dlen = 0, dcap = 0;
	struct aset as = {0};
	int lt, r;

	if (p == NULL) {
		fprintf(stderr, "mostrace: %s\n", err);
		return 1;
	}
	lt = pcap_datalink(p);
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		if (n == rcap) {
			rcap = rcap ? 2 * rcap : 4096;
			recs = realloc(recs, rcap * sizeof(*recs));
		}
		while (dlen + h->caplen > dcap) {
			dcap = dcap ? 2 * dcap : 1u << 20;
			data = realloc(data, dcap);
		}
		if (!recs || !data) {
			fputs("mostrace: out of memory\n", stderr);
			return 1;
		}
		recs[n] = (struct rec){(uint64_t)h->ts.tv_sec * 1000000000u +
				       (uint64_t)h->ts.tv_usec * 1000u, h->caplen, h->len, dlen};
		memcpy(data + dlen, d, h->caplen);
		dlen += h->caplen;
		uint8_t keys[2][16];
		for (int i = frame_addrs(d, h->caplen, lt, keys); i-- > 0;)
			aset_has(&as, keys[i], true);
		n++;
	}
	if (r == -1) {
		fprintf(stderr, "mostrace: %s: %s\n", o.in, pcap_geterr(p));
		return 1;
	}
	if (lt != DLT_EN10MB && lt != DLT_LINUX_SLL && lt != DLT_RAW && lt != 228 && lt != 229)
		fprintf(stderr, "mostrace: warning: link type %d not understood: addresses kept\n", lt);
	uint64_t collisions = 0;
	for (uint32_t k = 1; k < o.multiply; k++)
		for (size_t i = 0; i < as.cap; i++) {
			uint8_t a[16];

			if (!as.used[i])
				continue;
			memcpy(a, as.keys[i], 16);
			shift_key(a, k);
			collisions += aset_has(&as, a, false);
		}
	if (collisions)
		fprintf(stderr, "mostrace: warning: %llu shifted addresses equal an address of "
			"the input: some copies share hosts\n", (unsigned long long)collisions);

	uint64_t span = n ? recs[n - 1].ts_ns - recs[0].ts_ns : 0;
	uint64_t shift = o.shift_set ? (uint64_t)(o.shift_s * 1e9) : span / o.multiply;
	size_t *cur = calloc(o.multiply, sizeof(*cur));

	heap = malloc(o.multiply * sizeof(*heap));
	if (!cur || !heap || !out_open(o.out, (uint32_t)pcap_snapshot(p), (uint32_t)lt))
		return 1;
	for (uint32_t k = 0; k < o.multiply && n; k++)
		heap_push(recs[0].ts_ns + k * shift, k);
	while (heap_n && !limit_reached() && !out.failed) {
		struct hent e = heap_pop();
		const struct rec *rc = &recs[cur[e.i]];
		uint8_t *b = out_reserve();

		if (rc->caplen > MAX_FRAME) {            /* larger than the reserve */
			out_flush();
			if (rc->caplen + 16 > OUT_CAP) {
				fputs("mostrace: frame larger than the output buffer\n", stderr);
				return 1;
			}
			b = out.buf + 16;
		}
		memcpy(b, data + rc->off, rc->caplen);
		rewrite(b, rc->caplen, lt, e.i);
		out_commit(rc->caplen, rc->len, e.t);
		if (++cur[e.i] < n)
			heap_push(recs[cur[e.i]].ts_ns + e.i * shift, e.i);
	}
	pcap_close(p);
	if (!out_close())
		return 1;
	if (!o.quiet)
		fprintf(stderr, "mostrace: %llu frames of %s x %u copies, shift %.6f s: "
			"packets=%llu bytes=%llu\n", (unsigned long long)n, o.in, o.multiply,
			(double)shift * 1e-9, (unsigned long long)out.packets,
			(unsigned long long)out.bytes);
	free(cur);
	free(heap);
	free(recs);
	free(data);
	free(as.keys);
	free(as.used);
	return 0;
}

/* ---------------------------------------------------------------- main */

int
main(int argc, char **argv)
{
	enum { O_SEED = 256, O_STATS, O_FLOWS, O_PACKETS, O_SIZE, O_CONC, O_CLIENTS, O_SERVERS,
	       O_HTTP, O_TLS, O_DNS, O_UDP, O_IPV6, O_VLAN, O_SMEAN, O_SALPHA, O_SMAX, O_KEEP,
	       O_LOSS, O_RETRANS, O_DUP, O_REORDER, O_DROP, O_MULT, O_SHIFT };
	static const struct option lo[] = {
		{"seed", 1, 0, O_SEED}, {"stats", 1, 0, O_STATS}, {"flows", 1, 0, O_FLOWS},
		{"packets", 1, 0, O_PACKETS}, {"size", 1, 0, O_SIZE},
		{"concurrent", 1, 0, O_CONC}, {"clients", 1, 0, O_CLIENTS},
		{"servers", 1, 0, O_SERVERS}, {"http", 1, 0, O_HTTP}, {"tls", 1, 0, O_TLS},
		{"dns", 1, 0, O_DNS}, {"udp", 1, 0, O_UDP}, {"ipv6", 1, 0, O_IPV6},
		{"vlan", 1, 0, O_VLAN}, {"size-mean", 1, 0, O_SMEAN},
		{"size-alpha", 1, 0, O_SALPHA}, {"size-max", 1, 0, O_SMAX},
		{"keepalive", 1, 0, O_KEEP}, {"loss", 1, 0, O_LOSS}, {"retrans", 1, 0, O_RETRANS},
		{"dup", 1, 0, O_DUP}, {"reorder", 1, 0, O_REORDER}, {"drop", 1, 0, O_DROP},
		{"multiply", 1, 0, O_MULT}, {"shift", 1, 0, O_SHIFT}, {"quiet", 0, 0, 'q'},
		{"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	double v, seed = 1, flows = 0, packets = 0, size = 0, conc = 4096, clients = 10000;
	double servers = 1000, mult = 0;
	int c;

	o = (struct opts){.ipv6 = 0.10, .vlan = 0.05, .http = 0.30, .tls = 0.40, .dns = 0.15,
			  .udp = 0.05, .size_mean = 20000, .size_alpha = 1.3, .size_max = 50e6,
			  .keepalive = 0.3};
	int li = 0;

	while ((c = getopt_long(argc, argv, "o:r:qh", lo, &li)) != -1) {
		double *dst = NULL;

		switch (c) {
		case 'o': o.out = optarg; continue;
		case 'r': o.in = optarg; continue;
		case 'q': o.quiet = true; continue;
		case 'h': usage(stdout); return 0;
		case O_STATS: o.stats = optarg; continue;
		case O_SEED: dst = &seed; break;
		case O_FLOWS: dst = &flows; o.flows_set = true; break;
		case O_PACKETS: dst = &packets; break;
		case O_SIZE: dst = &size; break;
		case O_CONC: dst = &conc; break;
		case O_CLIENTS: dst = &clients; break;
		case O_SERVERS: dst = &servers; break;
		case O_HTTP: dst = &o.http; break;
		case O_TLS: dst = &o.tls; break;
		case O_DNS: dst = &o.dns; break;
		case O_UDP: dst = &o.udp; break;
		case O_IPV6: dst = &o.ipv6; break;
		case O_VLAN: dst = &o.vlan; break;
		case O_SMEAN: dst = &o.size_mean; break;
		case O_SALPHA: dst = &o.size_alpha; break;
		case O_SMAX: dst = &o.size_max; break;
		case O_KEEP: dst = &o.keepalive; break;
		case O_LOSS: dst = &o.loss; break;
		case O_RETRANS: dst = &o.retrans; break;
		case O_DUP: dst = &o.dup; break;
		case O_REORDER: dst = &o.reorder; break;
		case O_DROP: dst = &o.drop; break;
		case O_MULT: dst = &mult; break;
		case O_SHIFT: dst = &o.shift_s; o.shift_set = true; break;
		default: usage(stderr); return 2;
		}
		if (!parse_count(optarg, &v)) {
			fprintf(stderr, "mostrace: --%s: '%s' is not a number\n", lo[li].name,
				optarg);
			return 2;
		}
		*dst = v;
	}
	const char *bad = NULL;
	if (optind < argc)
		bad = "unexpected argument";
	else if (o.out == NULL)
		bad = "no output: give -o FILE";
	else if (mult != 0 && (mult < 1 || mult > 65535 || o.in == NULL))
		bad = "--multiply needs a copy count 1..65535 and -r FILE";
	else if (mult == 0 && o.in != NULL)
		bad = "-r is for --multiply";
	else if (o.http + o.tls + o.dns + o.udp > 1 + 1e-9 || o.ipv6 > 1 || o.vlan > 1 ||
		 o.keepalive >= 1)
		bad = "shares are at most 1 (--keepalive below 1), --http+--tls+--dns+--udp too";
	else if (o.loss + o.retrans + o.dup + o.reorder + o.drop > 1 + 1e-9)
		bad = "--loss + --retrans + --dup + --reorder + --drop is at most 1";
	else if (o.size_alpha <= 1 || o.size_mean < 1 || o.size_max < 1)
		bad = "--size-alpha must be above 1, --size-mean and --size-max at least 1";
	else if (conc < 1 || conc > MAX_LIVE || clients < 1 || clients > 16e6 || servers < 1 ||
		 servers > 65000)
		bad = "--concurrent 1..262144, --clients 1..16M, --servers 1..65000";
	else if (o.flows_set && flows < 1)
		bad = "--flows must be at least 1";
	if (bad) {
		fprintf(stderr, "mostrace: %s (see --help)\n", bad);
		return 2;
	}
	o.seed = (uint64_t)seed;
	o.flows = (uint64_t)flows;
	o.packets = (uint64_t)packets;
	o.size = (uint64_t)size;
	o.concurrent = (uint32_t)conc;
	o.clients = (uint32_t)clients;
	o.servers = (uint32_t)servers;
	o.multiply = (uint32_t)mult;
	if (!o.flows && !o.packets && !o.size)
		o.flows = 100000;
	seed_rng(o.seed);
	int rc = o.multiply ? multiply() : synthesize();
	if (rc == 0 && o.stats) {
		FILE *f = fopen(o.stats, "w");

		if (f == NULL) {
			fprintf(stderr, "mostrace: %s: %s\n", o.stats, strerror(errno));
			return 1;
		}
		summary(f, true);
		fclose(f);
	}
	return rc;
}
