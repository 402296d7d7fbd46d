// SPDX-License-Identifier: BSD-3-Clause
/*
 * stdlib/http.c — companion C of the stdlib module `http` (stdlib/http.mos,
 * docs/stdlib.md): runs the HTTP/1.x parser (parsers/http.h) over both
 * reassembled streams of a flow. Each http_next() call feeds the bytes the
 * client sent, then those the server sent, each from where the previous
 * call stopped, until the next request or response header (or an error);
 * the module asks what was found (http_found_request() ...) and calls it
 * again and again (a raise chain) until nothing is left, so every
 * pipelined message of a burst is its own event. The fields are read from
 * the flow's parser with one function each. The parser is compiled in
 * here (the stdlib directory is on mosc build's include path).
 * Thread-safety: the state pool, the parser's counters and the result of
 * the last http_next() are per thread (--workers runs one context per
 * thread, each with its own flow table).
 */
#include "mos/program.h"
#include "flowstate.h"
#include "parsers/http.c"

/* Parser states: connections parsed at once (a new one beyond is counted
 * and reported as error "no_state"). */
#ifndef MOS_STDLIB_HTTP_FLOWS
#define MOS_STDLIB_HTTP_FLOWS 4096
#endif

struct http_flow {
	struct mos_http_conn conn;   /* parser (both directions) */
	uint64_t off[2];             /* next stream offset, by sender side */
	const char *error;           /* name of the last error */
	char version[2][8];          /* "1.1" of the last request / response */
};

/* What the last http_next() found. */
enum http_found { HTTP_FOUND_NONE, HTTP_FOUND_REQUEST, HTTP_FOUND_RESPONSE, HTTP_FOUND_ERROR,
		  HTTP_FOUND_NO_STATE };

static __thread struct mos_fstate_pool http_pool = { .cap = MOS_STDLIB_HTTP_FLOWS,
					    .size = sizeof(struct http_flow) };
static __thread struct mos_http_stats http_stats;
static __thread enum http_found http_last;      /* result of the last http_next() */
static __thread const char *http_last_error;    /* its error name */

bool http_next(struct mos_ctx *ctx, struct mos_flow *flow);
bool http_found_request(struct mos_ctx *ctx);
bool http_found_response(struct mos_ctx *ctx);
bool http_no_state(struct mos_ctx *ctx);
struct mos_prog_bytes http_error(struct mos_ctx *ctx);
struct mos_prog_bytes http_method(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes http_host(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes http_user_agent(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes http_reason(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes http_version(struct mos_ctx *ctx, struct mos_flow *flow, int side);
uint64_t http_content_length(struct mos_ctx *ctx, struct mos_flow *flow, int side);
uint16_t http_status(struct mos_ctx *ctx, struct mos_flow *flow);
bool http_drained(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes uri(struct mos_ctx *ctx, struct mos_flow *flow);
void http_close(struct mos_ctx *ctx, struct mos_flow *flow);

static struct mos_prog_bytes http_text(const char *s)
{
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

/* The flow's parser, NULL when it has none (created when @create and a
 * state is left). */
static struct http_flow *http_of(struct mos_ctx *ctx, struct mos_flow *flow, bool create)
{
	bool is_new;
	struct http_flow *h = mos_fstate_get(&http_pool, ctx, flow, create, &is_new);

	if (h && is_new)
		mos_http_init(&h->conn, NULL, &http_stats, true);
	return h;
}

/* Read what @side sent from where the last call stopped, up to the next
 * message header or error. */
static enum http_found http_step_side(struct http_flow *h, struct mos_flow *flow, int side)
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
				return HTTP_FOUND_NONE;
			ev = mos_http_feed(&h->conn, d, buf, n, &used);
			h->off[i] += used;
		}
		if (ev == MOS_HTTP_REQUEST || ev == MOS_HTTP_RESPONSE) {
			bool req = ev == MOS_HTTP_REQUEST;
			snprintf(h->version[!req], sizeof(h->version[0]), "%u.%u",
				 req ? h->conn.req.version_major : h->conn.resp.version_major,
				 req ? h->conn.req.version_minor : h->conn.resp.version_minor);
			return req ? HTTP_FOUND_REQUEST : HTTP_FOUND_RESPONSE;
		}
		if (ev == MOS_HTTP_ERROR) {
			h->error = mos_http_error_name((enum mos_http_error)h->conn.dir[d].error);
			http_last_error = h->error;
			return HTTP_FOUND_ERROR;
		}
	}
}

/* Parse up to the next message header or error of either direction (what
 * the client sent first, so a response follows its request). True when
 * something was found: read it with the functions below. A flow that gets
 * no parser state is found as HTTP_FOUND_NO_STATE ("no_state"). */
bool http_next(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct http_flow *h = http_of(ctx, flow, true);

	http_last_error = "";
	if (h == NULL) {
		http_last = HTTP_FOUND_NO_STATE;
		http_last_error = "no_state";
		return true;
	}
	http_last = http_step_side(h, flow, MOS_SIDE_CLI);
	if (http_last == HTTP_FOUND_NONE)
		http_last = http_step_side(h, flow, MOS_SIDE_SVR);
	return http_last != HTTP_FOUND_NONE;
}

/* What the last http_next() found: a request header. */
bool http_found_request(struct mos_ctx *ctx)
{
	(void)ctx;
	return http_last == HTTP_FOUND_REQUEST;
}

/* ... a response header. */
bool http_found_response(struct mos_ctx *ctx)
{
	(void)ctx;
	return http_last == HTTP_FOUND_RESPONSE;
}

/* ... no parser state for the flow (error "no_state"). */
bool http_no_state(struct mos_ctx *ctx)
{
	(void)ctx;
	return http_last == HTTP_FOUND_NO_STATE;
}

/* Name of the error the last http_next() found (docs/parsers.md). */
struct mos_prog_bytes http_error(struct mos_ctx *ctx)
{
	(void)ctx;
	return http_text(http_last_error ? http_last_error : "");
}

/* Method of the last request ("GET"). */
struct mos_prog_bytes http_method(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct http_flow *h = http_of(ctx, flow, false);

	return http_text(h ? h->conn.req.method : "");
}

/* Host header of the last request ("" when absent). */
struct mos_prog_bytes http_host(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct http_flow *h = http_of(ctx, flow, false);

	return http_text(h ? h->conn.req.host : "");
}

/* User-Agent header of the last request. */
struct mos_prog_bytes http_user_agent(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct http_flow *h = http_of(ctx, flow, false);

	return http_text(h ? h->conn.req.user_agent : "");
}

/* Reason phrase of the last response. */
struct mos_prog_bytes http_reason(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct http_flow *h = http_of(ctx, flow, false);

	return http_text(h ? h->conn.resp.reason : "");
}

/* Version ("1.1", "0.9") of the last request (client) or response (server). */
struct mos_prog_bytes http_version(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	struct http_flow *h = http_of(ctx, flow, false);

	return http_text(h ? h->version[side == MOS_SIDE_CLI ? 0 : 1] : "");
}

/* Content-Length of the last request (client) or response (server), 0 when absent. */
uint64_t http_content_length(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	struct http_flow *h = http_of(ctx, flow, false);

	if (h == NULL)
		return 0;
	if (side == MOS_SIDE_CLI)
		return h->conn.req.flags & MOS_HTTP_F_HAS_CL ? h->conn.req.content_length : 0;
	return h->conn.resp.flags & MOS_HTTP_F_HAS_CL ? h->conn.resp.content_length : 0;
}

/* Status code of the last response (0: an HTTP/0.9 answer). */
uint16_t http_status(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct http_flow *h = http_of(ctx, flow, false);

	return h ? h->conn.resp.status : 0;
}

/* Request-target of the last request, whole (up to MOS_HTTP_URI_MAX - 1 bytes). */
struct mos_prog_bytes uri(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct http_flow *h = http_of(ctx, flow, false);

	return h ? (struct mos_prog_bytes){ (const uint8_t *)h->conn.req.uri, h->conn.req.uri_len }
		 : http_text("");
}

/* True when nothing more can come for the parser: each direction ended
 * (its FIN reached in order, or a RST accepted) and was read to its end.
 * Then the module gives the state back at once instead of at conn_end,
 * which a connection closed by FIN reaches only after the 60 s linger. */
bool http_drained(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct http_flow *h = http_of(ctx, flow, false);

	if (h == NULL)
		return false;
	for (int side = MOS_SIDE_CLI; side <= MOS_SIDE_SVR; side++) {
		/* the stream of what @side sends is the one its peer receives */
		struct mos_stream *s = mos_flow_stream(flow, side == MOS_SIDE_CLI ? MOS_SIDE_SVR
										: MOS_SIDE_CLI);
		struct mos_stream_info in;
		int i = side == MOS_SIDE_CLI ? 0 : 1;

		if (s == NULL || mos_stream_get_info(s, &in) != 0)
			return false;
		if (!in.rst_seen && !(in.fin_seen && in.edge >= in.fin_off))
			return false;
		if (h->off[i] < in.edge)
			return false;
	}
	return true;
}

void http_close(struct mos_ctx *ctx, struct mos_flow *flow)
{
	mos_fstate_put(&http_pool, ctx, flow);
}
