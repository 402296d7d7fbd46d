// SPDX-License-Identifier: BSD-3-Clause
/*
 * stdlib/http.c — companion C of the stdlib module `http` (stdlib/http.mos,
 * docs/stdlib.md): runs the HTTP/1.x parser (parsers/http.h) over both
 * reassembled streams of a flow. Each http_step() call feeds the bytes the
 * client sent, then those the server sent, each from where the previous
 * call stopped, until the next request or response header (or an error)
 * and returns what it found; the module
 * calls it again and again (a raise chain) until nothing is left, so every
 * pipelined message of a burst is its own event. The parser is compiled in
 * here (the stdlib directory is on mosc build's include path).
 */
#include "mos/program.h"
#include "flowstate.h"
#include "parsers/http.c"

/* Parser states: connections parsed at once (a new one beyond is counted
 * and reported as error "no_state"). */
#ifndef MOS_STDLIB_HTTP_FLOWS
#define MOS_STDLIB_HTTP_FLOWS 4096
#endif

/* What http_step() returns (the module's `kind`). */
enum { HTTP_K_NONE, HTTP_K_MESSAGE, HTTP_K_ERROR, HTTP_K_NO_STATE, HTTP_K_SERVER = 16 };

/* Field selectors of http_str() and http_num(), as the module passes them. */
enum { HTTP_F_METHOD, HTTP_F_HOST, HTTP_F_UA, HTTP_F_VERSION, HTTP_F_REASON, HTTP_F_ERROR };

struct http_flow {
	struct mos_http_conn conn;   /* parser (both directions) */
	uint64_t off[2];             /* next stream offset, by sender side */
	const char *error;           /* name of the last error */
	char version[2][8];          /* "1.1" of the last request / response */
};

static struct mos_fstate_pool http_pool = { .cap = MOS_STDLIB_HTTP_FLOWS,
					    .size = sizeof(struct http_flow) };
static struct mos_http_stats http_stats;

uint8_t http_step(struct mos_ctx *ctx, struct mos_flow *flow);
static uint8_t http_step_side(struct http_flow *h, struct mos_flow *flow, int side);
struct mos_prog_bytes http_str(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint8_t what);
uint64_t http_num(struct mos_ctx *ctx, struct mos_flow *flow, int side);
struct mos_prog_bytes uri(struct mos_ctx *ctx, struct mos_flow *flow);
void http_close(struct mos_ctx *ctx, struct mos_flow *flow);

static struct mos_prog_bytes http_text(const char *s)
{
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

/* Next message of either direction (requests first): HTTP_K_* + 16 when
 * the server sent it. */
uint8_t http_step(struct mos_ctx *ctx, struct mos_flow *flow)
{
	bool is_new;
	struct http_flow *h = mos_fstate_get(&http_pool, ctx, flow, true, &is_new);
	uint8_t k;

	if (h == NULL)
		return HTTP_K_NO_STATE;
	if (is_new)
		mos_http_init(&h->conn, NULL, &http_stats, true);
	k = http_step_side(h, flow, MOS_SIDE_CLI);
	if (k == HTTP_K_NONE && (k = http_step_side(h, flow, MOS_SIDE_SVR)) != HTTP_K_NONE)
		k += HTTP_K_SERVER;
	return k;
}

static uint8_t http_step_side(struct http_flow *h, struct mos_flow *flow, int side)
{
	uint8_t buf[4096];
	enum mos_http_dir_id d = side == MOS_SIDE_CLI ? MOS_HTTP_DIR_REQUEST : MOS_HTTP_DIR_RESPONSE;
	int i = side == MOS_SIDE_CLI ? 0 : 1;

	for (;;) {
		uint64_t lost = 0;
		uint32_t n = mos_fstate_next(flow, side, &h->off[i], buf, sizeof(buf), &lost);
		enum mos_http_event ev = MOS_HTTP_NEED_MORE;
		size_t used = 0;

		if (lost)
			ev = mos_http_gap(&h->conn, d, lost);
		if (ev == MOS_HTTP_NEED_MORE || ev == MOS_HTTP_MSG_END) {
			if (n == 0)
				return HTTP_K_NONE;
			ev = mos_http_feed(&h->conn, d, buf, n, &used);
			h->off[i] += used;
		}
		if (ev == MOS_HTTP_REQUEST || ev == MOS_HTTP_RESPONSE) {
			bool req = ev == MOS_HTTP_REQUEST;
			snprintf(h->version[!req], sizeof(h->version[0]), "%u.%u",
				 req ? h->conn.req.version_major : h->conn.resp.version_major,
				 req ? h->conn.req.version_minor : h->conn.resp.version_minor);
			return HTTP_K_MESSAGE;
		}
		if (ev == MOS_HTTP_ERROR) {
			h->error = mos_http_error_name((enum mos_http_error)h->conn.dir[d].error);
			return HTTP_K_ERROR;
		}
	}
}

struct mos_prog_bytes http_str(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint8_t what)
{
	bool is_new;
	struct http_flow *h = mos_fstate_get(&http_pool, ctx, flow, false, &is_new);
	bool req = side == MOS_SIDE_CLI;

	if (h == NULL)
		return http_text(what == HTTP_F_ERROR ? "no_state" : "");
	switch (what) {
	case HTTP_F_METHOD:  return http_text(h->conn.req.method);
	case HTTP_F_HOST:    return http_text(h->conn.req.host);
	case HTTP_F_UA:      return http_text(h->conn.req.user_agent);
	case HTTP_F_VERSION: return http_text(h->version[!req]);
	case HTTP_F_REASON:  return http_text(h->conn.resp.reason);
	case HTTP_F_ERROR:   return http_text(h->error ? h->error : "");
	}
	return http_text("");
}

/* Content-Length of the last request (client) or response (server), 0 when absent. */
uint64_t http_num(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	bool is_new;
	struct http_flow *h = mos_fstate_get(&http_pool, ctx, flow, false, &is_new);
	const struct mos_http_request *q = h ? &h->conn.req : NULL;
	const struct mos_http_response *r = h ? &h->conn.resp : NULL;

	if (h == NULL)
		return 0;
	if (side == MOS_SIDE_CLI)
		return q->flags & MOS_HTTP_F_HAS_CL ? q->content_length : 0;
	return r->flags & MOS_HTTP_F_HAS_CL ? r->content_length : 0;
}

/* Request-target of the last request, whole (up to MOS_HTTP_URI_MAX - 1 bytes). */
struct mos_prog_bytes uri(struct mos_ctx *ctx, struct mos_flow *flow)
{
	bool is_new;
	struct http_flow *h = mos_fstate_get(&http_pool, ctx, flow, false, &is_new);

	return h ? (struct mos_prog_bytes){ (const uint8_t *)h->conn.req.uri, h->conn.req.uri_len }
		 : http_text("");
}

uint16_t http_status(struct mos_ctx *ctx, struct mos_flow *flow);
uint16_t http_status(struct mos_ctx *ctx, struct mos_flow *flow)
{
	bool is_new;
	struct http_flow *h = mos_fstate_get(&http_pool, ctx, flow, false, &is_new);

	return h ? h->conn.resp.status : 0;
}

void http_close(struct mos_ctx *ctx, struct mos_flow *flow)
{
	mos_fstate_put(&http_pool, ctx, flow);
}
