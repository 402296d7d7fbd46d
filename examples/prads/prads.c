// SPDX-License-Identifier: BSD-3-Clause
/*
 * examples/prads/prads.c — companion of prads.mos: the parts of passive
 * asset detection that look at header bytes and banners.
 *
 *  - fingerprint(): the current SYN or SYN-ACK as a p0f-style string
 *    "WINDOW:TTL:DF:SIZE:OPTIONS:QUIRKS" (the layout prads logs), built from
 *    the IP and TCP headers of the current packet;
 *  - os_hint(), distance(): a coarse OS family and the hop count, from the
 *    initial TTL (the next of 32/64/128/255 above the observed one) and the
 *    order of the TCP options;
 *  - banner(): "service:info" from the first bytes of a payload, for the
 *    few banners most networks carry (HTTP Server / User-Agent, SSH, FTP,
 *    SMTP, POP3, IMAP, TLS ClientHello, DNS answers);
 *  - known_port(): prads's names for well-known ports ("@www"), used when
 *    no banner matched;
 *  - first_report(): a per-thread set of what was already reported, so an
 *    asset is written once however many flows show it.
 *
 * Strings returned point into per-thread buffers valid until the next call
 * of the same function on the thread (the handler emits them at once).
 * Nothing allocates per packet: the report set (1,048,576 slots filled to
 * 7/8, 917,504 reports; 8 MiB of zeroed address space whose pages the kernel
 * supplies as they are touched) is allocated at its first use; when it is full, reports are written again
 * rather than lost, and counted (printed on stderr at exit).
 * Thread-safety: per-thread state only, like every handler.
 */
#define _GNU_SOURCE                  /* memmem */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mos/program.h"

struct mos_prog_bytes fingerprint(struct mos_ctx *ctx);
struct mos_prog_bytes os_hint(struct mos_ctx *ctx);
uint8_t distance(struct mos_ctx *ctx);
struct mos_prog_bytes banner(struct mos_ctx *ctx, struct mos_prog_bytes payload, bool from_server);
struct mos_prog_bytes known_port(struct mos_ctx *ctx, uint8_t proto, uint16_t port);
bool first_report(struct mos_ctx *ctx, struct mos_addr ip, uint16_t port, uint8_t proto,
		  struct mos_prog_bytes what);

#define SEEN_SLOTS (1u << 20)        /* power of two */
#define BANNER_SCAN 600u             /* bytes of a payload searched, as prads does */

static __thread char fp_buf[160];    /* fingerprint() result */
static __thread char hint_buf[48];   /* os_hint() result */
static __thread char banner_buf[128];/* banner() result */
static __thread uint64_t *seen;      /* first_report() set: hashes, 0 = empty */
static __thread uint32_t seen_used;  /* entries in use */
static atomic_ulong seen_full;       /* reports repeated because a set was full */
static atomic_flag report_once = ATOMIC_FLAG_INIT;

static struct mos_prog_bytes
str_of(const char *s)
{
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

/* The current packet when it is TCP with a validated header, else NULL. */
static const struct mos_pkt *
tcp_pkt(struct mos_ctx *ctx)
{
	const struct mos_pkt *p = mos_prog_pkt(ctx);

	if (p == NULL || !(p->flags & MOS_PKT_F_L4) || p->l4_proto != 6 ||
	    (uint32_t)p->l4_off + 20 > p->caplen)
		return NULL;
	return p;
}

static uint8_t
observed_ttl(const struct mos_pkt *p)
{
	uint32_t at = p->l3_off + (p->ip_version == 4 ? 8u : 7u);

	return at < p->caplen ? p->data[at] : 0;
}

static uint32_t
initial_ttl(uint8_t ttl)
{
	return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

/* Append to a buffer, never past its end. */
static void
put(char *b, size_t cap, size_t *n, const char *fmt, unsigned v)
{
	int w;

	if (*n >= cap)
		return;
	w = snprintf(b + *n, cap - *n, fmt, v);
	if (w > 0)
		*n = (size_t)w < cap - *n ? *n + (size_t)w : cap - 1;
}

/* The TCP options in order, p0f's letters: M1460,N,W7,S,T,E (one E per
 * end-of-list byte, as prads lists them); "." if none. Sets *mss (0 when
 * absent), *ts2 (the timestamp echo is non-zero) and *past (bytes follow
 * the first end-of-list). */
static void
options(const struct mos_pkt *p, char *b, size_t cap, size_t *n, unsigned *mss, bool *ts2,
	bool *past)
{
	const uint8_t *h = p->data + p->l4_off;
	uint32_t hl = (uint32_t)(h[12] >> 4) * 4, i = 20, count = 0;
	bool eol = false;

	*mss = 0;
	*ts2 = false;
	*past = false;
	if (hl < 20 || p->l4_off + hl > p->caplen)
		hl = 20;
	while (i < hl) {
		uint8_t kind = h[i], len = i + 1 < hl ? h[i + 1] : 0;

		if (count++)
			put(b, cap, n, ",", 0);
		*past |= eol;
		if (kind == 0) {
			put(b, cap, n, "E", 0);
			eol = true;
			i++;
			continue;
		}
		if (kind == 1) {
			put(b, cap, n, "N", 0);
			i++;
			continue;
		}
		if (len < 2 || i + len > hl) {         /* broken option: stop */
			put(b, cap, n, "?%u", kind);
			break;
		}
		if (kind == 2 && len == 4) {
			*mss = (unsigned)h[i + 2] << 8 | h[i + 3];
			put(b, cap, n, "M%u", *mss);
		} else if (kind == 3 && len == 3) {
			put(b, cap, n, "W%u", h[i + 2]);
		} else if (kind == 4) {
			put(b, cap, n, "S", 0);
		} else if (kind == 8 && len == 10) {
			uint32_t t1 = (uint32_t)h[i + 2] << 24 | (uint32_t)h[i + 3] << 16 |
				      (uint32_t)h[i + 4] << 8 | h[i + 5];

			*ts2 = (h[i + 6] | h[i + 7] | h[i + 8] | h[i + 9]) != 0;
			put(b, cap, n, t1 ? "T" : "T0", 0);
		} else {
			put(b, cap, n, "?%u", kind);
		}
		i += len;
	}
	if (count == 0)
		put(b, cap, n, ".", 0);
}

/* "WINDOW:TTL:DF:SIZE:OPTIONS:QUIRKS" of the current SYN / SYN-ACK ("" otherwise),
 * with prads's conventions. WINDOW is Sn when it is n times the MSS (or
 * 1460), Tn for n times MSS+40 (or 1500); DF is the IPv4 flag (1 for IPv6,
 * which has none, as prads prints it); SIZE the IPv4 total length or the
 * IPv6 payload length. QUIRKS (p0f letters in prads's order, "." for none):
 * Q seq = ack, 0 seq zero, P options past the end of the list, Z IPv4 id
 * zero or IPv6 flow label zero, I IPv4 options, U urgent pointer set, X
 * reserved TCP bits set, A ACK number set (always on a SYN-ACK), T
 * timestamp echo set, F flags other than SYN/ACK/RST/ECE/CWR, D data, L
 * IPv6 flow label set. */
struct mos_prog_bytes
fingerprint(struct mos_ctx *ctx)
{
	const struct mos_pkt *p = tcp_pkt(ctx);
	const uint8_t *ip, *th;
	char opt[96];
	size_t n = 0, on = 0, q0;
	unsigned mss, win;
	bool ts2, past, df = true, v4, label = false;

	if (p == NULL || !(p->tcp_flags & MOS_TCP_SYN))
		return str_of("");
	ip = p->data + p->l3_off;
	th = p->data + p->l4_off;
	v4 = p->ip_version == 4;
	if (v4)
		df = (ip[6] & 0x40) != 0;
	else
		label = (ip[1] & 0x0f) || ip[2] || ip[3];
	options(p, opt, sizeof(opt), &on, &mss, &ts2, &past);
	win = p->tcp_win;
	if (win && mss && win % mss == 0)
		put(fp_buf, sizeof(fp_buf), &n, "S%u", win / mss);
	else if (win && win % 1460 == 0)               /* the Ethernet MSS, as p0f tries */
		put(fp_buf, sizeof(fp_buf), &n, "S%u", win / 1460);
	else if (win && mss && win % (mss + 40) == 0)
		put(fp_buf, sizeof(fp_buf), &n, "T%u", win / (mss + 40));
	else if (win && win % 1500 == 0)
		put(fp_buf, sizeof(fp_buf), &n, "T%u", win / 1500);
	else
		put(fp_buf, sizeof(fp_buf), &n, "%u", win);
	put(fp_buf, sizeof(fp_buf), &n, ":%u", observed_ttl(p));
	put(fp_buf, sizeof(fp_buf), &n, ":%u", df);
	put(fp_buf, sizeof(fp_buf), &n, ":%u", v4 ? p->ip_len : (unsigned)(ip[4] << 8 | ip[5]));
	put(fp_buf, sizeof(fp_buf), &n, ":", 0);
	if (n + on < sizeof(fp_buf)) {
		memcpy(fp_buf + n, opt, on);
		n += on;
		fp_buf[n] = '\0';
	}
	put(fp_buf, sizeof(fp_buf), &n, ":", 0);
	q0 = n;
	if (p->tcp_seq == p->tcp_ack)
		put(fp_buf, sizeof(fp_buf), &n, "Q", 0);
	if (p->tcp_seq == 0)
		put(fp_buf, sizeof(fp_buf), &n, "0", 0);
	if (past)
		put(fp_buf, sizeof(fp_buf), &n, "P", 0);
	if (v4 ? (ip[4] == 0 && ip[5] == 0) : !label)
		put(fp_buf, sizeof(fp_buf), &n, "Z", 0);
	if (v4 && (ip[0] & 0x0f) > 5)
		put(fp_buf, sizeof(fp_buf), &n, "I", 0);
	if (p->tcp_urp)
		put(fp_buf, sizeof(fp_buf), &n, "U", 0);
	if (th[12] & 0x0f)
		put(fp_buf, sizeof(fp_buf), &n, "X", 0);
	if (p->tcp_ack)
		put(fp_buf, sizeof(fp_buf), &n, "A", 0);
	if (ts2)
		put(fp_buf, sizeof(fp_buf), &n, "T", 0);
	if (th[13] & ~(MOS_TCP_SYN | MOS_TCP_ACK | MOS_TCP_RST | 0x40 | 0x80))
		put(fp_buf, sizeof(fp_buf), &n, "F", 0);
	if (p->payload_len)
		put(fp_buf, sizeof(fp_buf), &n, "D", 0);
	if (label)
		put(fp_buf, sizeof(fp_buf), &n, "L", 0);
	if (n == q0)
		put(fp_buf, sizeof(fp_buf), &n, ".", 0);
	return str_of(fp_buf);
}

/* A coarse OS family: the initial TTL, refined by the option order of the
 * common stacks (Linux M,S,T,N,W; macOS/BSD M,N,W,...,T; Windows M,N,W,...,S). */
struct mos_prog_bytes
os_hint(struct mos_ctx *ctx)
{
	const struct mos_pkt *p = tcp_pkt(ctx);
	char opt[96], *o;
	size_t on = 0;
	unsigned mss, ttl;
	bool ts2, past;

	if (p == NULL || !(p->tcp_flags & MOS_TCP_SYN))
		return str_of("");
	options(p, opt, sizeof(opt), &on, &mss, &ts2, &past);
	o = strchr(opt, ',') ? strchr(opt, ',') + 1 : opt;   /* after the MSS */
	ttl = initial_ttl(observed_ttl(p));
	if (ttl == 64 && strncmp(o, "S,T", 3) == 0)
		snprintf(hint_buf, sizeof(hint_buf), "Linux");
	else if (ttl == 64 && strncmp(o, "N,W", 3) == 0 && strstr(o, "T"))
		snprintf(hint_buf, sizeof(hint_buf), "macOS/BSD");
	else if (ttl == 64)
		snprintf(hint_buf, sizeof(hint_buf), "Unix-like");
	else if (ttl == 128)
		snprintf(hint_buf, sizeof(hint_buf), "Windows");
	else if (ttl == 255)
		snprintf(hint_buf, sizeof(hint_buf), "Solaris/network device");
	else
		snprintf(hint_buf, sizeof(hint_buf), "unknown");
	return str_of(hint_buf);
}

/* Hops between the sender and the capture point: initial TTL - observed. */
uint8_t
distance(struct mos_ctx *ctx)
{
	const struct mos_pkt *p = mos_prog_pkt(ctx);
	uint8_t ttl;

	if (p == NULL || p->ip_version == 0)
		return 0;
	ttl = observed_ttl(p);
	return (uint8_t)(initial_ttl(ttl) - ttl);
}

/* The bytes after "name" up to the end of the line, or NULL. */
static const uint8_t *
header(const uint8_t *b, uint32_t n, const char *name, uint32_t *len)
{
	size_t k = strlen(name);

	for (uint32_t i = 0; i + k <= n; i++) {
		if ((i == 0 || b[i - 1] == '\n') && strncasecmp((const char *)b + i, name, k) == 0) {
			uint32_t s = i + (uint32_t)k, e = s;

			while (s < n && b[s] == ' ')
				s++;
			e = s;
			while (e < n && b[e] != '\r' && b[e] != '\n')
				e++;
			*len = e - s;
			return b + s;
		}
	}
	return NULL;
}

/* "service:" followed by at most @n printable bytes of @v. */
static struct mos_prog_bytes
label(const char *service, const uint8_t *v, uint32_t n)
{
	size_t k = (size_t)snprintf(banner_buf, sizeof(banner_buf), "%s:", service);

	for (uint32_t i = 0; i < n && k + 1 < sizeof(banner_buf); i++)
		banner_buf[k++] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '.';
	banner_buf[k] = '\0';
	return str_of(banner_buf);
}

static bool
starts(const uint8_t *b, uint32_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && memcmp(b, s, k) == 0;
}

/* "service:info" from the first BANNER_SCAN bytes of a payload the server
 * (or the client) sent; "" when nothing is recognised. */
struct mos_prog_bytes
banner(struct mos_ctx *ctx, struct mos_prog_bytes pl, bool from_server)
{
	const uint8_t *b = pl.p, *v;
	uint32_t n = pl.len < BANNER_SCAN ? pl.len : BANNER_SCAN, vl = 0;

	(void)ctx;
	if (b == NULL || n < 4)
		return str_of("");
	if (starts(b, n, "SSH-")) {
		uint32_t e = 4;

		while (e < n && b[e] != '\r' && b[e] != '\n')
			e++;
		return label("ssh", b + 4, e - 4);
	}
	if (from_server) {
		if (starts(b, n, "HTTP/1.") && (v = header(b, n, "Server:", &vl)) != NULL)
			return label("http", v, vl);
		if (starts(b, n, "HTTP/1."))
			return str_of("");                 /* a response without Server: */
		if (starts(b, n, "220")) {
			uint32_t e = 0;

			while (e < n && b[e] != '\r' && b[e] != '\n')
				e++;
			if (memmem(b, e, "SMTP", 4))
				return label("smtp", b + 4 < b + e ? b + 4 : b, e > 4 ? e - 4 : 0);
			if (memmem(b, e, "FTP", 3))
				return label("ftp", b + 4 < b + e ? b + 4 : b, e > 4 ? e - 4 : 0);
			return str_of("");
		}
		if (starts(b, n, "+OK"))
			return label("pop3", b + 3, 0);
		if (starts(b, n, "* OK"))
			return label("imap", b + 4, 0);
		return str_of("");
	}
	if ((v = header(b, n, "User-Agent:", &vl)) != NULL)
		return label("http", v, vl);
	if (n >= 11 && b[0] == 0x16 && b[1] == 3 && b[5] == 1)
		return label("ssl", (const uint8_t *)"TLS Client Hello", 16);
	return str_of("");
}

/* prads's table of well-known ports (servicefp.c, init_services). */
static const struct { uint16_t port; uint8_t proto; const char *name; } known[] = {
	{ 20, 6, "@ftp-data" }, { 21, 6, "@ftp" }, { 22, 6, "@ssh" }, { 25, 6, "@smtp" },
	{ 53, 17, "@domain" }, { 80, 6, "@www" }, { 110, 6, "@pop3" }, { 111, 6, "@sunrpc" },
	{ 111, 17, "@sunrpc" }, { 113, 6, "@auth" }, { 115, 6, "@sftp" }, { 119, 6, "@nntp" },
	{ 123, 17, "@ntp" }, { 143, 6, "@imap2" }, { 161, 6, "@snmp" }, { 161, 17, "@snmp" },
	{ 162, 6, "@snmp-trap" }, { 162, 17, "@snmp-trap" }, { 389, 6, "@ldap" },
	{ 443, 6, "@https" }, { 445, 6, "@microsoft-ds" }, { 514, 17, "@syslog" },
	{ 554, 6, "@rtsp" }, { 554, 17, "@rtsp" }, { 631, 6, "@ipp" }, { 990, 6, "@ftps" },
	{ 992, 6, "@telnets" }, { 993, 6, "@imaps" }, { 995, 6, "@pop3s" },
	{ 1194, 17, "@openvpn" }, { 2049, 6, "@nfs" }, { 2049, 17, "@nfs" },
	{ 3306, 6, "@mysql" }, { 6667, 6, "@irc" },
};

/* "unknown:@www" for a well-known port of @proto, "" otherwise. */
struct mos_prog_bytes
known_port(struct mos_ctx *ctx, uint8_t proto, uint16_t port)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].port == port && known[i].proto == proto) {
			snprintf(banner_buf, sizeof(banner_buf), "unknown:%s", known[i].name);
			return str_of(banner_buf);
		}
	return str_of("");
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void
seen_report(void)
{
	unsigned long full = atomic_load(&seen_full);

	if (full)
		fprintf(stderr, "prads: %lu reports repeated: the set of reported assets (%u per thread) was full\n",
			full, SEEN_SLOTS / 8 * 7);
}

/* Add @h to the set: 1 when it was new, 0 when it was there, -1 when the
 * set is full or missing (counted; the caller reports again). */
static int
seen_add(uint64_t h)
{
	uint32_t i;

	h |= 1;                                        /* 0 marks an empty slot */
	if (seen == NULL) {
		seen = calloc(SEEN_SLOTS, sizeof(*seen));
		if (!atomic_flag_test_and_set(&report_once))
			atexit(seen_report);
		if (seen == NULL)
			goto full;
	}
	for (i = (uint32_t)h & (SEEN_SLOTS - 1); seen[i] != 0; i = (i + 1) & (SEEN_SLOTS - 1))
		if (seen[i] == h)
			return 0;
	if (seen_used >= SEEN_SLOTS / 8 * 7)           /* at most 7/8 full: probes stay short */
		goto full;
	seen[i] = h;
	seen_used++;
	return 1;
full:
	atomic_fetch_add(&seen_full, 1);
	return -1;
}

/* True the first time (ip, port, proto, what) is asked on this thread. A
 * port name ("unknown:...") is reported only for an asset that has nothing
 * reported yet, as prads does not log "unknown" over a known service. */
bool
first_report(struct mos_ctx *ctx, struct mos_addr ip, uint16_t port, uint8_t proto,
	     struct mos_prog_bytes what)
{
	uint64_t asset = 0xcbf29ce484222325ull, h;
	int fresh;

	(void)ctx;
	asset = fnv(asset, ip.b, sizeof(ip.b));
	asset = fnv(asset, &port, sizeof(port));
	asset = fnv(asset, &proto, sizeof(proto));
	h = fnv(asset, "|", 1);
	h = fnv(h, what.p ? what.p : (const uint8_t *)"", what.len);
	fresh = seen_add(asset);
	if (what.len >= 8 && memcmp(what.p, "unknown:", 8) == 0 && fresh == 0)
		return false;
	return seen_add(h) != 0;
}
