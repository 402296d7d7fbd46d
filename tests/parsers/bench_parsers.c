/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_parsers.c — throughput of the stdlib parsers on synthetic streams
 * (not a test; prints MB/s). Usage: bench_parsers [MiB]
 *  - http-req: pipelined browser-like GET requests (~520-byte headers);
 *  - http-resp: responses with 4 KiB Content-Length bodies and chunked bodies;
 *  - tls: ClientHello-sized handshakes parsed from scratch each time.
 * Each stream is fed in 1460-byte pieces, like TCP segments.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parsers/http.h"
#include "parsers/tls.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t append(char *buf, size_t off, size_t cap, const char *s, size_t n)
{
	if (off + n > cap)
		return off;
	memcpy(buf + off, s, n);
	return off + n;
}

static double run_http(const char *buf, size_t len, int dir, unsigned long *events)
{
	struct mos_http_conn c;
	mos_http_init(&c, NULL, NULL, true);
	/* responses need outstanding requests: pretend many GETs */
	double t0 = now();
	for (size_t off = 0; off < len; off += 1460) {
		size_t n = len - off < 1460 ? len - off : 1460, at = 0, used;
		for (;;) {
			enum mos_http_event ev = mos_http_feed(&c, (enum mos_http_dir_id)dir,
							       (const uint8_t *)buf + off + at, n - at, &used);
			at += used;
			if (ev == MOS_HTTP_NEED_MORE)
				break;
			(*events)++;
		}
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 64;
	size_t cap = mib << 20;
	char *req = malloc(cap), *resp = malloc(cap);
	static const char get[] =
		"GET /assets/img/photo_%06u.jpg?v=2 HTTP/1.1\r\n"
		"Host: static.example.com\r\n"
		"Connection: keep-alive\r\n"
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n"
		"Accept: image/avif,image/webp,image/apng,image/*,*/*;q=0.8\r\n"
		"Referer: http://www.example.com/index.html\r\n"
		"Accept-Encoding: gzip, deflate\r\n"
		"Accept-Language: en-US,en;q=0.9\r\n"
		"Cookie: session=0123456789abcdef0123456789abcdef; prefs=dark\r\n\r\n";
	size_t rl = 0, sl = 0;
	unsigned i = 0;
	char line[1024], body[4096];
	memset(body, 'b', sizeof(body));
	while (rl + 1024 < cap) {
		int n = snprintf(line, sizeof(line), get, i++);
		rl = append(req, rl, cap, line, (size_t)n);
	}
	i = 0;
	while (sl + 8192 < cap) {
		if (i++ & 1) {
			int n = snprintf(line, sizeof(line),
					 "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Type: image/jpeg\r\n"
					 "Content-Length: %zu\r\n\r\n", sizeof(body));
			sl = append(resp, sl, cap, line, (size_t)n);
			sl = append(resp, sl, cap, body, sizeof(body));
		} else {
			static const char h[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
						"800\r\n";
			sl = append(resp, sl, cap, h, sizeof(h) - 1);
			sl = append(resp, sl, cap, body, 2048);
			sl = append(resp, sl, cap, "\r\n800\r\n", 7);
			sl = append(resp, sl, cap, body, 2048);
			sl = append(resp, sl, cap, "\r\n0\r\n\r\n", 7);
		}
	}
	unsigned long ev = 0;
	double t = run_http(req, rl, MOS_HTTP_DIR_REQUEST, &ev);
	printf("http-req : %7.1f MB/s  %8.2f M headers/s  (%zu MiB, %lu events)\n",
	       (double)rl / t / 1e6, (double)ev / 2 / t / 1e6, rl >> 20, ev);
	ev = 0;
	t = run_http(resp, sl, MOS_HTTP_DIR_RESPONSE, &ev);
	printf("http-resp: %7.1f MB/s  (bodies skipped; %zu MiB, %lu events)\n",
	       (double)sl / t / 1e6, sl >> 20, ev);

	/* TLS: one 517-byte ClientHello-like record, parsed from scratch */
	static uint8_t hs[16384];
	uint8_t ch[600];
	size_t cl = 0;
	memset(ch, 0, sizeof(ch));
	ch[cl++] = 22; ch[cl++] = 3; ch[cl++] = 1; cl += 2;
	size_t hstart = cl;
	ch[cl++] = 1; cl += 3;
	ch[cl++] = 3; ch[cl++] = 3; cl += 32;
	ch[cl++] = 32; cl += 32;
	ch[cl++] = 0; ch[cl++] = 32;
	for (int k = 0; k < 16; k++) { ch[cl++] = 0xc0; ch[cl++] = (uint8_t)k; }
	ch[cl++] = 1; ch[cl++] = 0;
	size_t elen_at = cl; cl += 2;
	static const uint8_t sni[] = { 0, 0, 0, 20, 0, 18, 0, 0, 15, 'w', 'w', 'w', '.', 'e', 'x', 'a',
				       'm', 'p', 'l', 'e', '.', 'c', 'o', 'm' };
	memcpy(ch + cl, sni, sizeof(sni)); cl += sizeof(sni);
	static const uint8_t grp[] = { 0, 10, 0, 8, 0, 6, 0, 29, 0, 23, 0, 24 };
	memcpy(ch + cl, grp, sizeof(grp)); cl += sizeof(grp);
	size_t pad = 517 - cl - 4;
	ch[cl++] = 0; ch[cl++] = 21; ch[cl++] = (uint8_t)(pad >> 8); ch[cl++] = (uint8_t)pad; cl += pad;
	size_t elen = cl - elen_at - 2;
	ch[elen_at] = (uint8_t)(elen >> 8); ch[elen_at + 1] = (uint8_t)elen;
	size_t hlen = cl - hstart - 4;
	ch[hstart + 1] = 0; ch[hstart + 2] = (uint8_t)(hlen >> 8); ch[hstart + 3] = (uint8_t)hlen;
	ch[3] = (uint8_t)((cl - 5) >> 8); ch[4] = (uint8_t)(cl - 5);
	unsigned long hellos = 0, loops = (unsigned long)(cap / cl);
	double t0 = now();
	for (unsigned long k = 0; k < loops; k++) {
		struct mos_tls_dir d;
		size_t used;
		mos_tls_init(&d, hs, sizeof(hs), NULL);
		hellos += mos_tls_feed(&d, ch, cl, &used) == MOS_TLS_CLIENT_HELLO;
	}
	t = now() - t0;
	printf("tls      : %7.1f MB/s  %8.2f M ClientHellos/s incl. JA3+JA4 (%lu of %lu parsed)\n",
	       (double)(cl * loops) / t / 1e6, (double)hellos / t / 1e6, hellos, loops);
	free(req);
	free(resp);
	return hellos == loops ? 0 : 1;
}
