// SPDX-License-Identifier: BSD-3-Clause
/*
 * stdlib/tls.c — companion C of the stdlib module `tls` (stdlib/tls.mos,
 * docs/stdlib.md): runs the TLS hello parser (parsers/tls.h) over both
 * reassembled streams of a flow, so a ClientHello spanning records or
 * segments is one event. One result per direction: after its hello (or an
 * error) a direction is not read again. The parser and its MD5/SHA-256
 * are compiled in here.
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

/* What tls_step() returns (the module's `kind`). */
enum { TLS_K_NONE, TLS_K_CLIENT_HELLO, TLS_K_SERVER_HELLO, TLS_K_ERROR, TLS_K_NO_STATE };

/* Selectors of tls_str(), as the module passes them. */
enum { TLS_F_SNI, TLS_F_ALPN, TLS_F_VERSIONS, TLS_F_JA3, TLS_F_JA3_MD5, TLS_F_JA4, TLS_F_ERROR };

struct tls_flow {
	struct mos_tls_dir dir[2];   /* by sender: client, server */
	uint64_t off[2];             /* next stream offset, by sender */
	const char *error;           /* name of the last error */
	char text[MOS_TLS_JA3_MAX];  /* tls_str() result */
	uint8_t buf[2][MOS_TLS_HS_BUF_DEFAULT]; /* hello buffers */
};

static struct mos_fstate_pool tls_pool = { .cap = MOS_STDLIB_TLS_FLOWS,
					   .size = sizeof(struct tls_flow) };
static struct mos_tls_stats tls_stats;

uint8_t tls_step(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes tls_str(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint8_t what);
uint16_t tls_version(struct mos_ctx *ctx, struct mos_flow *flow, int side);
uint16_t tls_cipher(struct mos_ctx *ctx, struct mos_flow *flow);
void tls_close(struct mos_ctx *ctx, struct mos_flow *flow);

/* Read what @side sent until its hello, an error or the end of the bytes. */
static uint8_t tls_step_side(struct tls_flow *t, struct mos_flow *flow, int side)
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
				return TLS_K_NONE;
			ev = mos_tls_feed(&t->dir[i], buf, n, &used);
			t->off[i] += used;
		}
		if (ev == MOS_TLS_CLIENT_HELLO)
			return TLS_K_CLIENT_HELLO;
		if (ev == MOS_TLS_SERVER_HELLO)
			return TLS_K_SERVER_HELLO;
		if (ev == MOS_TLS_ERROR) {
			t->error = mos_tls_error_name((enum mos_tls_error)t->dir[i].error);
			return TLS_K_ERROR;
		}
	}
	return TLS_K_NONE;
}

/* Next result of either direction (the client's first). */
uint8_t tls_step(struct mos_ctx *ctx, struct mos_flow *flow)
{
	bool is_new;
	struct tls_flow *t = mos_fstate_get(&tls_pool, ctx, flow, true, &is_new);
	uint8_t k;

	if (t == NULL)
		return TLS_K_NO_STATE;
	if (is_new)
		for (int i = 0; i < 2; i++)
			mos_tls_init(&t->dir[i], t->buf[i], sizeof(t->buf[i]), &tls_stats);
	k = tls_step_side(t, flow, MOS_SIDE_CLI);
	return k != TLS_K_NONE ? k : tls_step_side(t, flow, MOS_SIDE_SVR);
}

struct mos_prog_bytes tls_str(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint8_t what)
{
	bool is_new;
	struct tls_flow *t = mos_fstate_get(&tls_pool, ctx, flow, false, &is_new);
	const struct mos_tls_hello *h;
	const char *s = "";
	size_t n = 0;

	if (t == NULL)
		s = what == TLS_F_ERROR ? "no_state" : "";
	else if ((h = &t->dir[side == MOS_SIDE_CLI ? 0 : 1].hello), what == TLS_F_SNI)
		s = h->sni;
	else if (what == TLS_F_ALPN)
		s = h->alpn;
	else if (what == TLS_F_JA3_MD5)
		s = h->ja3_md5;
	else if (what == TLS_F_JA4)
		s = h->ja4;
	else if (what == TLS_F_ERROR)
		s = t->error ? t->error : "";
	else if (what == TLS_F_JA3) {
		mos_tls_fingerprint(h, t->text, sizeof(t->text));
		s = t->text;
	} else if (what == TLS_F_VERSIONS) {
		for (uint16_t k = 0; k < h->n_versions && n + 8 < sizeof(t->text); k++)
			n += (size_t)snprintf(t->text + n, sizeof(t->text) - n, "%s0x%04x",
					      k ? "," : "", h->versions[k]);
		t->text[n] = 0;
		s = t->text;
	}
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

/* Client: the highest version offered (supported_versions, else the
 * legacy version); server: the version chosen. */
uint16_t tls_version(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	bool is_new;
	struct tls_flow *t = mos_fstate_get(&tls_pool, ctx, flow, false, &is_new);

	return t ? t->dir[side == MOS_SIDE_CLI ? 0 : 1].hello.version : 0;
}

/* The cipher suite the server chose. */
uint16_t tls_cipher(struct mos_ctx *ctx, struct mos_flow *flow)
{
	bool is_new;
	struct tls_flow *t = mos_fstate_get(&tls_pool, ctx, flow, false, &is_new);

	return t ? t->dir[1].hello.cipher : 0;
}

void tls_close(struct mos_ctx *ctx, struct mos_flow *flow)
{
	mos_fstate_put(&tls_pool, ctx, flow);
}
