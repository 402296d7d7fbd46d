/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * midstat — a live connection table, a port of mOS's midstat sample: every
 * INTERVAL seconds of packet time (default 1) print each tracked TCP
 * connection with the RFC 9293 state of both emulated endpoints, like
 * netstat for traffic passing by.
 *
 *   midstat -r FILE.pcap [--interval SEC]      (or --dpdk 'EAL ARGS')
 *
 * The table is kept by callbacks: conn_start adds a connection,
 * tcp_state_change at both hooks refreshes the states, conn_end removes
 * it; a core timer prints the table while connections exist, and the
 * table is printed once more at the end of input.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mos/app.h"
#include "mos/mos.h"

struct row {
	struct mos_flow *flow;       /* the connection */
	int cli, svr;                /* last states seen */
};

struct table {
	struct row *rows;            /* live connections */
	size_t n, cap;               /* used, allocated */
	FILE *out;                   /* where the table goes */
	uint64_t interval_ns;        /* print period */
	uint64_t prints;             /* tables printed */
	bool armed;                  /* the print timer is pending */
	struct mos_ctx *ctx;         /* the engine */
	struct mos_stage inner;      /* the engine's stage, wrapped to print before the end */
};

static void print_table(struct mos_ctx *ctx, struct mos_flow *none, int id, void *arg);

static int
parse(void *arg, int argc, char **argv, int i)
{
	double *sec = arg;
	char *end;

	if (strcmp(argv[i], "--interval") != 0)
		return 0;
	if (i + 1 >= argc || (*sec = strtod(argv[i + 1], &end), *end) || *sec <= 0) {
		fprintf(stderr, "midstat: --interval needs a positive number of seconds\n");
		return -1;
	}
	return 2;
}

static struct row *
find(struct table *t, const struct mos_flow *f)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].flow == f)
			return &t->rows[i];
	return NULL;
}

static void
on_start(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
	 const struct mos_event_arg *arg)
{
	struct table *t = mos_ctx_get_user(ctx);

	(void)side; (void)ev; (void)arg;
	if (find(t, f) || mos_flow_is_udp(f))
		return;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct row *r = realloc(t->rows, nc * sizeof(*r));

		if (r == NULL)
			return;      /* the row is simply not shown */
		t->rows = r;
		t->cap = nc;
	}
	t->rows[t->n++] = (struct row){ f, mos_flow_state(f, MOS_SIDE_CLI),
					 mos_flow_state(f, MOS_SIDE_SVR) };
	if (!t->armed && mos_timer_set(ctx, NULL, t->interval_ns, print_table, t) > 0)
		t->armed = true;
}

static void
on_state(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
	 const struct mos_event_arg *arg)
{
	struct row *r = find(mos_ctx_get_user(ctx), f);

	(void)side; (void)ev; (void)arg;
	if (r) {
		r->cli = mos_flow_state(f, MOS_SIDE_CLI);
		r->svr = mos_flow_state(f, MOS_SIDE_SVR);
	}
}

static void
on_end(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
       const struct mos_event_arg *arg)
{
	struct table *t = mos_ctx_get_user(ctx);
	struct row *r = find(t, f);

	(void)ev; (void)arg;
	(void)side;  /* without a hook, conn_end comes once per connection */
	if (r)
		*r = t->rows[--t->n];
}

static void
print_table(struct mos_ctx *ctx, struct mos_flow *none, int id, void *arg)
{
	struct table *t = arg;
	uint64_t now = mos_ctx_now(ctx);

	(void)none; (void)id;
	fprintf(t->out, "# %" PRIu64 ".%03" PRIu64 "  %zu connections\n", now / UINT64_C(1000000000),
		now / UINT64_C(1000000) % 1000, t->n);
	fprintf(t->out, "%-5s %-3s %-46s %-12s %-46s %-12s\n", "Proto", "CPU", "Client",
		"State", "Server", "State");
	for (size_t i = 0; i < t->n; i++) {
		struct mos_addr a;
		uint16_t port;
		char ab[MOS_ADDR_STRLEN], cbuf[64], sbuf[64];

		mos_flow_peer(t->rows[i].flow, MOS_SIDE_CLI, &a, &port);
		snprintf(cbuf, sizeof(cbuf), "%s:%u", mos_addr_str(&a, ab), port);
		mos_flow_peer(t->rows[i].flow, MOS_SIDE_SVR, &a, &port);
		snprintf(sbuf, sizeof(sbuf), "%s:%u", mos_addr_str(&a, ab), port);
		fprintf(t->out, "%-5s %-3d %-46s %-12s %-46s %-12s\n", "tcp", mos_ctx_core(ctx), cbuf,
			mos_tcp_state_name(t->rows[i].cli), sbuf, mos_tcp_state_name(t->rows[i].svr));
	}
	t->prints++;
	t->armed = t->n > 0 && id != 0 && mos_timer_set(ctx, NULL, t->interval_ns, print_table, t) > 0;
}

/* End of input: show the table as it stands, then let the engine end the flows. */
static void
finish(void *arg, uint64_t now_ns)
{
	struct table *t = arg;

	mos_ctx_advance(t->ctx, now_ns);
	print_table(t->ctx, NULL, 0, t);
	t->inner.finish(t->inner.arg, now_ns);
}

static void
burst(void *arg, struct mos_pkt *pkts, struct rte_mbuf **mbufs, uint16_t n, uint64_t now_ns)
{
	struct table *t = arg;

	t->inner.burst(t->inner.arg, pkts, mbufs, n, now_ns);
}

static void
tick(void *arg, uint64_t now_ns)
{
	struct table *t = arg;

	t->inner.tick(t->inner.arg, now_ns);
}

int
main(int argc, char **argv)
{
	double sec = 1.0;
	struct mos_app_options ao = { .parse = parse, .arg = &sec,
		.usage = "  --interval SEC     print the table every SEC seconds of packet time (default 1)\n" };
	struct table t = { 0 };
	struct mos_stage stage = { 0 };
	struct mos_monitor *mon;
	struct mos_ctx *ctx;
	struct mos_app *app;
	int rc;

	app = mos_app_create("midstat", argc, argv, &ao);
	if (app == NULL)
		return errno == 0 ? 0 : 2;
	ctx = mos_ctx_create(NULL);
	if (ctx == NULL) {
		fprintf(stderr, "midstat: %s\n", strerror(errno));
		mos_app_destroy(app);
		return 2;
	}
	t.out = mos_app_out(app);
	t.interval_ns = (uint64_t)(sec * 1e9);
	mos_ctx_set_user(ctx, &t);
	mon = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	if (mon == NULL ||
	    mos_register_callback(mon, MOS_EV_CONN_START, MOS_HOOK_SND, on_start, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_CONN_START, MOS_HOOK_RCV, on_start, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_TCP_STATE_CHANGE, MOS_HOOK_SND, on_state, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_TCP_STATE_CHANGE, MOS_HOOK_RCV, on_state, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_CONN_END, MOS_HOOK_NONE, on_end, NULL) < 0) {
		fprintf(stderr, "midstat: cannot set up the monitor\n");
		mos_ctx_destroy(ctx);
		mos_app_destroy(app);
		return 2;
	}
	t.ctx = ctx;
	mos_ctx_stage(ctx, &t.inner);
	stage = (struct mos_stage){ .burst = burst, .tick = tick, .finish = finish, .arg = &t };
	rc = mos_app_run(app, &stage);
	mos_app_set_resources(app, &ctx, 1);
	free(t.rows);
	mos_ctx_destroy(ctx);
	return mos_app_destroy(app) != 0 || rc != 0;
}
