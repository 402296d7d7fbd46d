/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_tls.c — libFuzzer target for the TLS hello parser
 * (stdlib/parsers/tls.c, md5.c, sha256.c).
 *
 * Input: byte 0 = chunk size for the split run (1..256), byte 1 = log2 of the
 * handshake buffer (64 B .. 16 KiB); the rest is stream bytes. One-shot and
 * chunked runs must give the same event and hello; the JA3 string must fit
 * MOS_TLS_JA3_MAX, a JA4 is 36 characters; the bare hello parser is also
 * run on the raw bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t hsbuf[2][16384];

static int run(const uint8_t *p, size_t n, size_t chunk, uint32_t cap, int slot,
	       struct mos_tls_dir *t)
{
	int last = MOS_TLS_NEED_MORE;
	if (mos_tls_init(t, hsbuf[slot], cap, NULL) != 0)
		abort();
	for (size_t off = 0; off < n; off += chunk) {
		size_t len = off + chunk < n ? chunk : n - off;
		uint8_t *buf = malloc(len);
		memcpy(buf, p + off, len);
		size_t at = 0, used;
		for (;;) {
			enum mos_tls_event ev = mos_tls_feed(t, buf + at, len - at, &used);
			if (used > len - at)
				abort();
			at += used;
			if (ev == MOS_TLS_NEED_MORE) {
				if (at != len)
					abort();
				break;
			}
			if (last != MOS_TLS_NEED_MORE)
				abort();    /* at most one event per direction */
			last = ev;
		}
		free(buf);
	}
	return last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mos_tls_dir a, b;
	if (size < 2)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	uint32_t cap = 64u << (data[1] % 9);
	const uint8_t *p = data + 2;
	size_t n = size - 2;
	int ea = run(p, n, n ? n : 1, cap, 0, &a);
	int eb = run(p, n, chunk, cap, 1, &b);
	if (ea != eb || a.error != b.error)
		abort();
	if (ea == MOS_TLS_CLIENT_HELLO || ea == MOS_TLS_SERVER_HELLO) {
		char ja3[MOS_TLS_JA3_MAX];
		if (memcmp(&a.hello, &b.hello, sizeof(a.hello)) != 0)
			abort();
		if (mos_tls_fingerprint(&a.hello, ja3, sizeof(ja3)) >= sizeof(ja3))
			abort();
		if (strlen(a.hello.sni) != a.hello.sni_len || strlen(a.hello.ja3_md5) != 32)
			abort();
		if (ea == MOS_TLS_CLIENT_HELLO && strlen(a.hello.ja4) != 36)
			abort();
	}
	struct mos_tls_hello h;
	memset(&h, 0, sizeof(h));
	uint8_t *raw = malloc(n ? n : 1);
	memcpy(raw, p, n);
	(void)mos_tls_parse_hello((uint8_t)(1 + (data[1] >> 7)), raw, n, &h, NULL);
	free(raw);
	return 0;
}
