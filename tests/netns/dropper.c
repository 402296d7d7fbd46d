/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dropper — test program for the inline path (tests/netns): on the C API,
 * drops every TCP frame to or from port --drop-port (default 9), and resets
 * connections to port --reset-port (default 7) when the client sends its
 * first data: that frame is dropped and mos_reset_conn() records one RST
 * toward each endpoint, which the inline loop transmits.
 *
 *   dropper --dpdk 'EAL ARGS' [--inline] [--drop-port N] [--reset-port N]
 *           [--workers N] [--stats FILE] [-q]
 *
 * Prints one line per flow end to the output: "<client>:<cport> ->
 * <server>:<sport> <end reason>" so a passive run can be checked too.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mos/app.h"
#include "mos/mos.h"

struct opts {
	unsigned drop_port;          /* --drop-port */
	unsigned reset_port;         /* --reset-port */
	FILE *out;                   /* flow lines */
};

/* Parse a port number option. */
static int
parse(void *arg, int argc, char **argv, int i)
{
	struct opts *o = arg;
	unsigned *dst;
	char *end;
	unsigned long v;

	if (!strcmp(argv[i], "--drop-port"))
		dst = &o->drop_port;
	else if (!strcmp(argv[i], "--reset-port"))
		dst = &o->reset_port;
	else
		return 0;
	if (i + 1 >= argc || (v = strtoul(argv[i + 1], &end, 10), *end) || v == 0 || v > 65535) {
		fprintf(stderr, "dropper: %s needs a port number\n", argv[i]);
		return -1;
	}
	*dst = (unsigned)v;
	return 2;
}

/* Raw pkt_in for "tcp port DROP": drop it. */
static void
on_raw(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
       const struct mos_event_arg *arg)
{
	(void)f; (void)side; (void)ev; (void)arg;
	mos_pkt_drop(ctx);
}

/* Stream pkt_in (sender hook): the client's first data to RESET resets. */
static void
on_pkt(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
       const struct mos_event_arg *arg)
{
	struct opts *o = mos_ctx_get_user(ctx);
	struct mos_pkt_view v;

	(void)ev; (void)arg;
	if (mos_get_pkt(ctx, &v) < 0 || v.pkt == NULL || side != MOS_SIDE_CLI ||
	    v.pkt->dport != o->reset_port || v.pkt->payload_len == 0)
		return;
	if (mos_reset_conn(ctx, f) == 0)
		mos_pkt_drop(ctx);
}

static void
on_end(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
       const struct mos_event_arg *arg)
{
	struct opts *o = mos_ctx_get_user(ctx);
	struct mos_addr ca, sa;
	uint16_t cp, sp;
	char cb[MOS_ADDR_STRLEN], sb[MOS_ADDR_STRLEN];

	(void)side; (void)ev; (void)arg;
	mos_flow_peer(f, MOS_SIDE_CLI, &ca, &cp);
	mos_flow_peer(f, MOS_SIDE_SVR, &sa, &sp);
	fprintf(o->out, "%s:%u -> %s:%u %s\n", mos_addr_str(&ca, cb), cp, mos_addr_str(&sa, sb),
		sp, mos_flow_end_name(mos_flow_end_reason(f)));
	fflush(o->out);
}

/* One context with the dropper's monitors; its user data is @o. */
static struct mos_ctx *
make_ctx(struct opts *o)
{
	struct mos_monitor *raw, *mon;
	struct mos_ctx *ctx = mos_ctx_create(NULL);
	char filter[96];

	if (ctx == NULL) {
		fprintf(stderr, "dropper: cannot create the flow engine: %s\n", strerror(errno));
		return NULL;
	}
	mos_ctx_set_user(ctx, o);
	/* pcap-filter: a VLAN-tagged frame only matches after "vlan". */
	snprintf(filter, sizeof(filter), "tcp port %u or (vlan and tcp port %u)", o->drop_port,
		 o->drop_port);
	raw = mos_monitor_create(ctx, MOS_MONITOR_RAW);
	mon = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	if (raw == NULL || mon == NULL || mos_monitor_set_raw_filter(raw, filter) < 0 ||
	    mos_register_callback(raw, MOS_EV_PKT_IN, MOS_HOOK_NONE, on_raw, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_SND, on_pkt, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_CONN_END, MOS_HOOK_NONE, on_end, NULL) < 0) {
		fprintf(stderr, "dropper: cannot set up the monitors\n");
		mos_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

int
main(int argc, char **argv)
{
	struct opts o = { .drop_port = 9, .reset_port = 7 };
	struct mos_app_options ao = {
		.parse = parse, .arg = &o,
		.usage = "  --drop-port N      drop TCP frames to or from port N (default 9)\n"
			 "  --reset-port N     reset connections to port N at the client's first\n"
			 "                     data (default 7)\n",
	};
	struct opts ow[MOS_APP_MAX_WORKERS];
	struct mos_ctx *ctxs[MOS_APP_MAX_WORKERS] = { 0 };
	struct mos_app *app;
	unsigned n;
	int rc = -1;

	app = mos_app_create("dropper", argc, argv, &ao);
	if (app == NULL)
		return errno == 0 ? 0 : 2;
	/* one context, or one per worker (--workers N) */
	n = mos_app_contexts(app);
	for (unsigned w = 0; w < n; w++) {
		ow[w] = o;
		ow[w].out = mos_app_context_out(app, w);
		if (ow[w].out == NULL || (ctxs[w] = make_ctx(&ow[w])) == NULL)
			goto out;
	}
	rc = mos_app_run_contexts(app, ctxs);
out:
	for (unsigned w = 0; w < n; w++)
		mos_ctx_destroy(ctxs[w]);
	return mos_app_destroy(app) != 0 || rc != 0 ? 1 : 0;
}
