// SPDX-License-Identifier: BSD-3-Clause
/*
 * stdlib/tls.c — companion C of the stdlib module `tls` (stdlib/tls.mos,
 * docs/stdlib.md): runs the TLS hello parser (parsers/tls.h) over both
 * reassembled streams of a flow, so a ClientHello spanning records or
 * segments is one event. One result per direction: after its hello (or an
 * error) a direction is not read again. Each tls_next() call reads the
 * client's bytes, then the server's, up to the next result; the module asks
 * what was found (tls_found_client_hello() ...) and reads the fields with
 * one function each. The parser and its MD5/SHA-256 are compiled in here.
 * Thread-safety: the state pool, the parser's counters and the result of
 * the last tls_next() are per thread (--workers runs one context per
 * thread, each with its own flow table).
 */
#include "mos/program.h"
#include "flowstate.h"
#include "parsers/md5.c"
#include "parsers/sha256.c"
#include "parsers/tls.c"

/* Parser states: flows parsed at once (a new one beyond is counted and
 * reported as error "no_state"). Each holds two hello buffers. */
#ifndef MOS_STDLIB_TLS_FLOWS
#define MOS_STDLIB_TLS_FLOWS 1024
#endif

/* What the last tls_next() found. */
enum tls_found { TLS_FOUND_NONE, TLS_FOUND_CLIENT_HELLO, TLS_FOUND_SERVER_HELLO, TLS_FOUND_ERROR,
		 TLS_FOUND_NO_STATE };

struct tls_flow {
	struct mos_tls_dir dir[2];   /* by sender: client, server */
	uint64_t off[2];             /* next stream offset, by sender */
	char text[MOS_TLS_JA3_MAX];  /* result of tls_ja3() / tls_versions() */
	uint8_t buf[2][MOS_TLS_HS_BUF_DEFAULT]; /* hello buffers */
};

static __thread struct mos_fstate_pool tls_pool = { .cap = MOS_STDLIB_TLS_FLOWS,
					   .size = sizeof(struct tls_flow) };
static __thread struct mos_tls_stats tls_stats;
static __thread enum tls_found tls_last;        /* result of the last tls_next() */
static __thread const char *tls_last_error;     /* its error name */

bool tls_next(struct mos_ctx *ctx, struct mos_flow *flow);
bool tls_found_client_hello(struct mos_ctx *ctx);
bool tls_found_server_hello(struct mos_ctx *ctx);
bool tls_no_state(struct mos_ctx *ctx);
struct mos_prog_bytes tls_error(struct mos_ctx *ctx);
struct mos_prog_bytes tls_sni(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes tls_alpn(struct mos_ctx *ctx, struct mos_flow *flow, int side);
struct mos_prog_bytes tls_versions(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes tls_ja3(struct mos_ctx *ctx, struct mos_flow *flow, int side);
struct mos_prog_bytes tls_ja3_md5(struct mos_ctx *ctx, struct mos_flow *flow, int side);
struct mos_prog_bytes tls_ja4(struct mos_ctx *ctx, struct mos_flow *flow);
uint16_t tls_version(struct mos_ctx *ctx, struct mos_flow *flow, int side);
uint16_t tls_cipher(struct mos_ctx *ctx, struct mos_flow *flow);
bool tls_finished(struct mos_ctx *ctx, struct mos_flow *flow);
void tls_close(struct mos_ctx *ctx, struct mos_flow *flow);

static struct mos_prog_bytes tls_text(const char *s)
{
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

/* The flow's parser, NULL when it has none (created when @create and a
 * state is left). */
static struct tls_flow *tls_of(struct mos_ctx *ctx, struct mos_flow *flow, bool create)
{
	bool is_new;
	struct tls_flow *t = mos_fstate_get(&tls_pool, ctx, flow, create, &is_new);

	if (t && is_new)
		for (int i = 0; i < 2; i++)
			mos_tls_init(&t->dir[i], t->buf[i], sizeof(t->buf[i]), &tls_stats);
	return t;
}

/* The hello @side sent (zeroed until parsed), NULL without state. */
static const struct mos_tls_hello *tls_hello(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	struct tls_flow *t = tls_of(ctx, flow, false);

	return t ? &t->dir[side == MOS_SIDE_CLI ? 0 : 1].hello : NULL;
}

/* Read what @side sent until its hello, an error or the end of the bytes. */
static enum tls_found tls_step_side(struct tls_flow *t, struct mos_flow *flow, int side)
{
	uint8_t buf[4096];
	int i = side == MOS_SIDE_CLI ? 0 : 1;

	while (!mos_tls_done(&t->dir[i])) {
		uint64_t lost = 0;
		uint32_t n = mos_fstate_next(flow, side, &t->off[i], buf, sizeof(buf), &lost);
		enum mos_tls_event ev = lost ? mos_tls_gap(&t->dir[i], lost) : MOS_TLS_NEED_MORE;
		size_t used = 0;

		if (ev == MOS_TLS_NEED_MORE) {
			if (n == 0)
				return TLS_FOUND_NONE;
			ev = mos_tls_feed(&t->dir[i], buf, n, &used);
			t->off[i] += used;
		}
		if (ev == MOS_TLS_CLIENT_HELLO)
			return TLS_FOUND_CLIENT_HELLO;
		if (ev == MOS_TLS_SERVER_HELLO)
			return TLS_FOUND_SERVER_HELLO;
		if (ev == MOS_TLS_ERROR) {
			tls_last_error = mos_tls_error_name((enum mos_tls_error)t->dir[i].error);
			return TLS_FOUND_ERROR;
		}
	}
	return TLS_FOUND_NONE;
}

/* Parse up to the next result of either direction (the client's first).
 * True when something was found: read it with the functions below. A flow
 * that gets no parser state is found as "no_state". */
bool tls_next(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct tls_flow *t = tls_of(ctx, flow, true);

	tls_last_error = "";
	if (t == NULL) {
		tls_last = TLS_FOUND_NO_STATE;
		tls_last_error = "no_state";
		return true;
	}
	tls_last = tls_step_side(t, flow, MOS_SIDE_CLI);
	if (tls_last == TLS_FOUND_NONE)
		tls_last = tls_step_side(t, flow, MOS_SIDE_SVR);
	return tls_last != TLS_FOUND_NONE;
}

/* What the last tls_next() found: a ClientHello. */
bool tls_found_client_hello(struct mos_ctx *ctx)
{
	(void)ctx;
	return tls_last == TLS_FOUND_CLIENT_HELLO;
}

/* ... a ServerHello. */
bool tls_found_server_hello(struct mos_ctx *ctx)
{
	(void)ctx;
	return tls_last == TLS_FOUND_SERVER_HELLO;
}

/* ... no parser state for the flow (error "no_state"). */
bool tls_no_state(struct mos_ctx *ctx)
{
	(void)ctx;
	return tls_last == TLS_FOUND_NO_STATE;
}

/* Name of the error the last tls_next() found (docs/parsers.md). */
struct mos_prog_bytes tls_error(struct mos_ctx *ctx)
{
	(void)ctx;
	return tls_text(tls_last_error ? tls_last_error : "");
}

/* ClientHello server_name (first host_name). */
struct mos_prog_bytes tls_sni(struct mos_ctx *ctx, struct mos_flow *flow)
{
	const struct mos_tls_hello *h = tls_hello(ctx, flow, MOS_SIDE_CLI);

	return tls_text(h ? h->sni : "");
}

/* ALPN protocols offered (client, joined with ",") or chosen (server). */
struct mos_prog_bytes tls_alpn(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	const struct mos_tls_hello *h = tls_hello(ctx, flow, side);

	return tls_text(h ? h->alpn : "");
}

/* supported_versions offered by the client ("0x0304,0x0303"). */
struct mos_prog_bytes tls_versions(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct tls_flow *t = tls_of(ctx, flow, false);
	const struct mos_tls_hello *h = t ? &t->dir[0].hello : NULL;
	size_t n = 0;

	if (t == NULL)
		return tls_text("");
	for (uint16_t k = 0; k < h->n_versions && n + 8 < sizeof(t->text); k++)
		n += (size_t)snprintf(t->text + n, sizeof(t->text) - n, "%s0x%04x", k ? "," : "",
				      h->versions[k]);
	t->text[n] = 0;
	return tls_text(t->text);
}

/* JA3 (client) or JA3S (server) string, cut at MOS_TLS_JA3_MAX - 1 bytes. */
struct mos_prog_bytes tls_ja3(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	struct tls_flow *t = tls_of(ctx, flow, false);

	if (t == NULL)
		return tls_text("");
	mos_tls_fingerprint(&t->dir[side == MOS_SIDE_CLI ? 0 : 1].hello, t->text, sizeof(t->text));
	return tls_text(t->text);
}

/* MD5 of the whole JA3 / JA3S string, hex. */
struct mos_prog_bytes tls_ja3_md5(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	const struct mos_tls_hello *h = tls_hello(ctx, flow, side);

	return tls_text(h ? h->ja3_md5 : "");
}

/* JA4 fingerprint of the ClientHello. */
struct mos_prog_bytes tls_ja4(struct mos_ctx *ctx, struct mos_flow *flow)
{
	const struct mos_tls_hello *h = tls_hello(ctx, flow, MOS_SIDE_CLI);

	return tls_text(h ? h->ja4 : "");
}

/* Client: the highest version offered (supported_versions, else the
 * legacy version); server: the version chosen. */
uint16_t tls_version(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	const struct mos_tls_hello *h = tls_hello(ctx, flow, side);

	return h ? h->version : 0;
}

/* The cipher suite the server chose. */
uint16_t tls_cipher(struct mos_ctx *ctx, struct mos_flow *flow)
{
	const struct mos_tls_hello *h = tls_hello(ctx, flow, MOS_SIDE_SVR);

	return h ? h->cipher : 0;
}

/* Both directions have their result (hello or error), or the flow has no
 * state: nothing more will be read, the module frees the state at once
 * instead of at conn_end (a connection closed by FIN ends 60 s later). */
bool tls_finished(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct tls_flow *t = tls_of(ctx, flow, false);

	return t == NULL || (mos_tls_done(&t->dir[0]) && mos_tls_done(&t->dir[1]));
}

void tls_close(struct mos_ctx *ctx, struct mos_flow *flow)
{
	mos_fstate_put(&tls_pool, ctx, flow);
}
