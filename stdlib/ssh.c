// SPDX-License-Identifier: BSD-3-Clause
/*
 * stdlib/ssh.c — companion C of the stdlib module `ssh` (stdlib/ssh.mos,
 * docs/stdlib.md): runs the SSH identification-line parser (parsers/ssh.h)
 * over both reassembled streams of a flow. Each ssh_next() call reads what
 * one side sent (the sender of the conn_new_data that woke the module) from
 * where the previous call stopped, up to that side's banner or error; the
 * module calls it again (a raise chain) until nothing is found, and frees
 * the state once both sides have their result. The result of the last call is kept per
 * thread and read by the module right after, in the same handler.
 * Thread-safety: the state pool, the parser's counters and the last
 * result are per thread (--workers runs one context per thread).
 */
#include "mos/program.h"
#include "flowstate.h"
#include "parsers/ssh.c"

/* Parser states: flows parsed at once (a new one beyond is counted and
 * reported as error "no_state"). */
#ifndef MOS_STDLIB_SSH_FLOWS
#define MOS_STDLIB_SSH_FLOWS 4096
#endif

struct ssh_flow {
	struct mos_ssh_dir dir[2];   /* by sender: client, server */
	uint64_t off[2];             /* next stream offset, by sender */
	bool done[2];                /* that side's banner or error was reported */
};

/* What the last ssh_next() found. */
enum ssh_found { SSH_FOUND_NONE, SSH_FOUND_BANNER, SSH_FOUND_ERROR, SSH_FOUND_NO_STATE };

static __thread struct mos_fstate_pool ssh_pool = { .cap = MOS_STDLIB_SSH_FLOWS,
					   .size = sizeof(struct ssh_flow) };
static __thread struct mos_ssh_stats ssh_stats;
static __thread struct {
	enum ssh_found found;        /* what */
	bool server;                 /* the server sent it */
	const struct mos_ssh_banner *banner; /* with SSH_FOUND_BANNER (in the flow's state) */
	const char *error;           /* with SSH_FOUND_ERROR / NO_STATE */
} ssh_last;

bool ssh_next(struct mos_ctx *ctx, struct mos_flow *flow, int side);
bool ssh_is_banner(struct mos_ctx *ctx);
bool ssh_from_server(struct mos_ctx *ctx);
struct mos_prog_bytes ssh_proto(struct mos_ctx *ctx);
struct mos_prog_bytes ssh_software(struct mos_ctx *ctx);
struct mos_prog_bytes ssh_comments(struct mos_ctx *ctx);
uint16_t ssh_pre_lines(struct mos_ctx *ctx);
struct mos_prog_bytes ssh_error(struct mos_ctx *ctx);
bool ssh_finished(struct mos_ctx *ctx, struct mos_flow *flow);
void ssh_close(struct mos_ctx *ctx, struct mos_flow *flow);

static struct mos_prog_bytes ssh_text(const char *s, size_t n)
{
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)n };
}

/* The flow's state, created (and initialised) when @create. */
static struct ssh_flow *ssh_of(struct mos_ctx *ctx, struct mos_flow *flow, bool create)
{
	bool is_new;
	struct ssh_flow *s = mos_fstate_get(&ssh_pool, ctx, flow, create, &is_new);

	if (s && is_new)
		for (int i = 0; i < 2; i++)
			mos_ssh_init(&s->dir[i], &ssh_stats);
	return s;
}

/* Read what @side sent until its banner, an error or the end of the bytes. */
static enum ssh_found ssh_step_side(struct ssh_flow *s, struct mos_flow *flow, int side)
{
	uint8_t buf[1024];
	int i = side == MOS_SIDE_CLI ? 0 : 1;

	while (!s->done[i]) {
		uint64_t lost = 0;
		uint32_t n = mos_fstate_next(flow, side, &s->off[i], buf, sizeof(buf), &lost);
		enum mos_ssh_event ev = lost ? mos_ssh_gap(&s->dir[i], lost) : MOS_SSH_NEED_MORE;
		size_t used = 0;

		if (ev == MOS_SSH_NEED_MORE) {
			if (n == 0)
				return SSH_FOUND_NONE;
			ev = mos_ssh_feed(&s->dir[i], buf, n, &used);
			s->off[i] += used;
		}
		if (ev == MOS_SSH_BANNER || ev == MOS_SSH_ERROR) {
			s->done[i] = true;
			ssh_last.server = side == MOS_SIDE_SVR;
			ssh_last.banner = &s->dir[i].banner;
			ssh_last.error = mos_ssh_error_name((enum mos_ssh_error)s->dir[i].error);
			return ev == MOS_SSH_BANNER ? SSH_FOUND_BANNER : SSH_FOUND_ERROR;
		}
	}
	return SSH_FOUND_NONE;
}

/* Parse what @side sent on @flow up to its banner or error. True when
 * something was found (read it with the functions below); a flow that gets
 * no state is found once, as error "no_state". */
bool ssh_next(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	struct ssh_flow *s = ssh_of(ctx, flow, true);

	memset(&ssh_last, 0, sizeof(ssh_last));
	if (s == NULL) {
		ssh_last.found = SSH_FOUND_NO_STATE;
		ssh_last.error = "no_state";
		return true;
	}
	ssh_last.found = side == MOS_SIDE_CLI || side == MOS_SIDE_SVR ? ssh_step_side(s, flow, side)
								      : SSH_FOUND_NONE;
	return ssh_last.found != SSH_FOUND_NONE;
}

/* The last ssh_next() found an identification line (else an error). */
bool ssh_is_banner(struct mos_ctx *ctx)
{
	(void)ctx;
	return ssh_last.found == SSH_FOUND_BANNER;
}

/* ... sent by the server. */
bool ssh_from_server(struct mos_ctx *ctx)
{
	(void)ctx;
	return ssh_last.server;
}

/* protoversion of the banner found last ("2.0", "1.99"). */
struct mos_prog_bytes ssh_proto(struct mos_ctx *ctx)
{
	const struct mos_ssh_banner *b = ssh_last.banner;

	(void)ctx;
	return ssh_is_banner(ctx) ? ssh_text(b->proto, strlen(b->proto)) : ssh_text("", 0);
}

/* softwareversion of the banner found last ("OpenSSH_9.6"). */
struct mos_prog_bytes ssh_software(struct mos_ctx *ctx)
{
	const struct mos_ssh_banner *b = ssh_last.banner;

	return ssh_is_banner(ctx) ? ssh_text(b->software, b->software_len) : ssh_text("", 0);
}

/* comments of the banner found last (after the first space; "" without). */
struct mos_prog_bytes ssh_comments(struct mos_ctx *ctx)
{
	const struct mos_ssh_banner *b = ssh_last.banner;

	return ssh_is_banner(ctx) ? ssh_text(b->comments, b->comments_len) : ssh_text("", 0);
}

/* Lines its sender wrote before the banner found last. */
uint16_t ssh_pre_lines(struct mos_ctx *ctx)
{
	return ssh_is_banner(ctx) ? ssh_last.banner->pre_lines : 0;
}

/* Name of the error found last ("" after a banner; docs/parsers.md). */
struct mos_prog_bytes ssh_error(struct mos_ctx *ctx)
{
	const char *e = ssh_is_banner(ctx) || ssh_last.error == NULL ? "" : ssh_last.error;

	return ssh_text(e, strlen(e));
}

/* Both sides of @flow have their result (or the flow has no state): the
 * module stops reading it and frees the state. */
bool ssh_finished(struct mos_ctx *ctx, struct mos_flow *flow)
{
	struct ssh_flow *s = ssh_of(ctx, flow, false);

	return s == NULL || (s->done[0] && s->done[1]);
}

void ssh_close(struct mos_ctx *ctx, struct mos_flow *flow)
{
	mos_fstate_put(&ssh_pool, ctx, flow);
}
