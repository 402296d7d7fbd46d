/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_http.c — libFuzzer target for the HTTP parser (stdlib/parsers/http.c).
 *
 * Input: byte 0 = chunk size for the split run (1..256), byte 1 bit 0 = the
 * direction that gets the rest (bit 1: resync on); the rest is stream bytes.
 * The bytes are parsed once in one call and once in chunks; the two event
 * transcripts (event, offsets and key fields) must be equal, and the API
 * contract (used <= len, NEED_MORE uses everything) must hold. A violation
 * aborts. ASan catches any read outside the exact-size input buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over the event stream. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t note(uint64_t h, const struct mos_http_conn *c, enum mos_http_event ev, int d)
{
	h = mix(h, &ev, sizeof(ev));
	if (ev == MOS_HTTP_REQUEST) {
		h = mix(h, c->req.uri, c->req.uri_len);
		h = mix(h, c->req.host, c->req.host_len);
		h = mix(h, &c->req.flags, sizeof(c->req.flags));
		h = mix(h, &c->req.header_len, sizeof(c->req.header_len));
		h = mix(h, &c->req.stream_offset, sizeof(c->req.stream_offset));
		if (strlen(c->req.uri) != c->req.uri_len || strlen(c->req.host) != c->req.host_len)
			abort();
	} else if (ev == MOS_HTTP_RESPONSE) {
		h = mix(h, &c->resp.status, sizeof(c->resp.status));
		h = mix(h, &c->resp.content_length, sizeof(c->resp.content_length));
		h = mix(h, &c->resp.stream_offset, sizeof(c->resp.stream_offset));
	} else if (ev == MOS_HTTP_ERROR) {
		h = mix(h, &c->dir[d].error, 1);
	}
	return h;
}

static uint64_t run(const uint8_t *p, size_t n, size_t chunk, int d, bool resync)
{
	struct mos_http_conn c;
	uint64_t h = 14695981039346656037ULL;
	mos_http_init(&c, NULL, NULL, resync);
	/* a request first so that responses have something to answer */
	static const uint8_t req[] = "HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	size_t used, roff = 0;
	while (mos_http_feed(&c, MOS_HTTP_DIR_REQUEST, req + roff, sizeof(req) - 1 - roff,
			     &used) != MOS_HTTP_NEED_MORE)
		roff += used;
	for (size_t off = 0; off < n || n == 0;) {
		size_t end = off + chunk < n ? off + chunk : n;
		/* an exact-size copy so ASan sees reads past the chunk */
		uint8_t *buf = malloc(end - off ? end - off : 1);
		memcpy(buf, p + off, end - off);
		size_t at = 0;
		for (int guard = 0;; guard++) {
			enum mos_http_event ev = mos_http_feed(&c, (enum mos_http_dir_id)d, buf + at,
							       end - off - at, &used);
			if (used > end - off - at || guard > 1000000)
				abort();
			at += used;
			if (ev == MOS_HTTP_NEED_MORE) {
				if (at != end - off)
					abort();
				break;
			}
			h = note(h, &c, ev, d);
		}
		free(buf);
		off = end;
		if (n == 0)
			break;
	}
	h = note(h, &c, mos_http_eof(&c, (enum mos_http_dir_id)d), d);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	int d = data[1] & 1;
	bool resync = data[1] & 2;
	const uint8_t *p = data + 2;
	size_t n = size - 2;
	if (run(p, n, n ? n : 1, d, resync) != run(p, n, chunk, d, resync))
		abort();
	return 0;
}
