/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conntrack — one JSON object per TCP connection (JSON Lines), written
 * when the connection ends (FIN/RST after the TIME_WAIT linger, idle
 * timeout, eviction, or end of input).
 *
 *   conntrack -r FILE.pcap [--out FILE] [--no-vlan-key] [--udp] [--no-streams]
 *             [--max-flows N]
 *
 * Both directions are reassembled (124 KiB windows, policy "first") so
 * that stream_* and gap_* are real; --no-streams turns that off. The
 * in-order bytes are consumed as they arrive (conntrack only counts them)
 * and a stream a FIN ended gives its pages back, so memory follows the
 * connections that are open, not every connection seen.
 *
 * Keys, in this order (a conformance interface: keep it stable):
 * ts_start, ts_end, client, cport, server, sport, vlan, pkts_c2s,
 * pkts_s2c, bytes_c2s, bytes_s2c, stream_c2s, stream_s2c, gap_c2s,
 * gap_s2c, rexmit_c2s, rexmit_s2c, syn, synack, fin_c2s, fin_s2c,
 * rst_c2s, rst_s2c, end_reason. See docs/flow.md for each one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mos/app.h"
#include "mos/mos.h"

struct opts {
	bool no_vlan_key;            /* --no-vlan-key */
	bool udp;                    /* --udp: also UDP flows */
	bool no_streams;             /* --no-streams: no reassembly */
	uint32_t max_flows;          /* --max-flows */
};

/* Per-flow user area: a read cursor per receiving side (0 = none yet,
 * else cursor id + 1); [0] is the stream the server receives. */
struct ct_flow {
	uint8_t cursor[2];           /* cursors of the c2s and s2c streams */
};

struct run {
	FILE *out;                   /* records */
	struct opts *o;              /* options */
	uint64_t records;            /* records written */
};

static int
parse(void *arg, int argc, char **argv, int i)
{
	struct opts *o = arg;

	if (strcmp(argv[i], "--no-vlan-key") == 0) {
		o->no_vlan_key = true;
		return 1;
	}
	if (strcmp(argv[i], "--no-streams") == 0) {
		o->no_streams = true;
		return 1;
	}
	if (strcmp(argv[i], "--udp") == 0) {
		o->udp = true;
		return 1;
	}
	if (strcmp(argv[i], "--max-flows") == 0) {
		char *end;
		unsigned long v;

		if (i + 1 >= argc) {
			fprintf(stderr, "conntrack: --max-flows needs a number\n");
			return -1;
		}
		v = strtoul(argv[i + 1], &end, 10);
		if (*end || v == 0 || v > (1ul << 30)) {
			fprintf(stderr, "conntrack: bad --max-flows '%s'\n", argv[i + 1]);
			return -1;
		}
		o->max_flows = (uint32_t)v;
		return 2;
	}
	return 0;
}

/* Append the decimal digits of @v at @p; returns the end. (The records
 * are formatted by hand: fprintf was most of the output's cost.) */
static char *
put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* A packet time as seconds with nine decimals. */
static char *
put_ts(char *p, uint64_t ns)
{
	uint64_t frac = ns % UINT64_C(1000000000);

	p = put_u64(p, ns / UINT64_C(1000000000));
	*p++ = '.';
	for (int i = 8; i >= 0; i--) {
		p[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	return p + 9;
}

static char *
put_bool(char *p, const char *key, bool v)
{
	p = put_str(p, key);
	return put_str(p, v ? "true" : "false");
}

/* Nobody reads the bytes: the streams are count-only (never stored,
 * mos_monitor_set_stream_count_only), and a cursor consumes the in-order
 * bytes as they arrive (mos_stream_drain), so the window moves as behind
 * any reader. This is the cursor for it. */
static uint8_t *
cursor_of(struct mos_ctx *ctx, struct mos_flow *f, int side)
{
	struct ct_flow *u = mos_flow_user_area(ctx, f);

	return u ? &u->cursor[side == MOS_SIDE_SVR ? 0 : 1] : NULL;
}

static void
on_data(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
	const struct mos_event_arg *arg)
{
	(void)ev;
	(void)arg;
	mos_stream_drain(mos_flow_stream(f, side), cursor_of(ctx, f, side));
}

/* A FIN ended the stream @side receives and everything before it arrived:
 * consume it and give its pages back (the flow lingers in TIME_WAIT). */
static void
on_state(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
	 const struct mos_event_arg *arg)
{
	(void)ev;
	(void)arg;
	mos_stream_drain_done(mos_flow_stream(f, side), cursor_of(ctx, f, side));
}

static void
on_end(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
       const struct mos_event_arg *arg)
{
	struct run *r = mos_ctx_get_user(ctx);
	struct mos_flow_side_stats c, s;
	struct mos_addr ca, sa;
	uint16_t cp, sp;
	char cb[MOS_ADDR_STRLEN], sb[MOS_ADDR_STRLEN];
	uint32_t outer = (f->key.tag >> 8) & 0xfff, inner = (f->key.tag >> 20) & 0xfff;
	FILE *out = r->out;

	(void)ev;
	(void)arg;
	(void)side;  /* MOS_SIDE_BOTH: conn_end without a hook comes once per connection */
	if (mos_flow_is_udp(f) && !r->o->udp)
		return;
	mos_flow_peer(f, MOS_SIDE_CLI, &ca, &cp);
	mos_flow_peer(f, MOS_SIDE_SVR, &sa, &sp);
	mos_flow_side_stats(f, MOS_SIDE_CLI, &c);
	mos_flow_side_stats(f, MOS_SIDE_SVR, &s);
	char line[1024], *p = line;

	p = put_str(p, "{\"ts_start\":");
	p = put_ts(p, mos_flow_start_ns(f));
	p = put_str(p, ",\"ts_end\":");
	p = put_ts(p, mos_flow_last_activity(f, MOS_SIDE_BOTH));
	p = put_str(p, ",\"client\":\"");
	p = put_str(p, mos_addr_str(&ca, cb));
	p = put_str(p, "\",\"cport\":");
	p = put_u64(p, cp);
	p = put_str(p, ",\"server\":\"");
	p = put_str(p, mos_addr_str(&sa, sb));
	p = put_str(p, "\",\"sport\":");
	p = put_u64(p, sp);
	p = put_str(p, ",\"vlan\":[");
	if (outer || inner)
		p = put_u64(p, outer);
	if (inner) {
		*p++ = ',';
		p = put_u64(p, inner);
	}
	p = put_str(p, "],\"pkts_c2s\":");
	p = put_u64(p, c.pkts);
	p = put_str(p, ",\"pkts_s2c\":");
	p = put_u64(p, s.pkts);
	p = put_str(p, ",\"bytes_c2s\":");
	p = put_u64(p, c.bytes);
	p = put_str(p, ",\"bytes_s2c\":");
	p = put_u64(p, s.bytes);
	p = put_str(p, ",\"stream_c2s\":");
	p = put_u64(p, c.stream_bytes);
	p = put_str(p, ",\"stream_s2c\":");
	p = put_u64(p, s.stream_bytes);
	p = put_str(p, ",\"gap_c2s\":");
	p = put_u64(p, c.gap_bytes);
	p = put_str(p, ",\"gap_s2c\":");
	p = put_u64(p, s.gap_bytes);
	p = put_str(p, ",\"rexmit_c2s\":");
	p = put_u64(p, c.rexmit_bytes);
	p = put_str(p, ",\"rexmit_s2c\":");
	p = put_u64(p, s.rexmit_bytes);
	p = put_bool(p, ",\"syn\":", c.syn);
	p = put_bool(p, ",\"synack\":", s.synack);
	p = put_bool(p, ",\"fin_c2s\":", c.fin);
	p = put_bool(p, ",\"fin_s2c\":", s.fin);
	p = put_bool(p, ",\"rst_c2s\":", c.rst);
	p = put_bool(p, ",\"rst_s2c\":", s.rst);
	p = put_str(p, ",\"end_reason\":\"");
	p = put_str(p, mos_flow_end_name(mos_flow_end_reason(f)));
	p = put_str(p, "\"}\n");
	fwrite(line, 1, (size_t)(p - line), out);
	r->records++;
}

/* One context with conntrack's monitor; records go to @r->out. */
static struct mos_ctx *
make_ctx(const struct opts *o, struct run *r)
{
	struct mos_ctx_config cfg;
	struct mos_monitor *mon;
	struct mos_ctx *ctx;

	mos_ctx_config_default(&cfg);
	cfg.flows.vlan_in_key = !o->no_vlan_key;
	if (o->max_flows)
		cfg.flows.max_flows = o->max_flows;
	cfg.flows.user_size = sizeof(struct ct_flow);
	cfg.streams.n_pages = 8192;          /* 32 MiB of 4 KiB pages */
	cfg.streams.max_streams = 1u << 18;
	ctx = mos_ctx_create(&cfg);
	if (ctx == NULL) {
		fprintf(stderr, "conntrack: cannot create the flow engine: %s\n", strerror(errno));
		return NULL;
	}
	mos_ctx_set_user(ctx, r);
	mon = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	if (mon == NULL || mos_register_callback(mon, MOS_EV_CONN_END, MOS_HOOK_NONE, on_end, NULL) < 0 ||
	    (!o->no_streams &&
	     (mos_monitor_set_stream(mon, MOS_SIDE_BOTH, 124u << 10, MOS_STREAM_POLICY_FIRST) < 0 ||
	      mos_monitor_set_stream_count_only(mon, MOS_SIDE_BOTH, true) < 0 ||
	      mos_register_callback(mon, MOS_EV_CONN_NEW_DATA, MOS_HOOK_NONE, on_data, NULL) < 0 ||
	      mos_register_callback(mon, MOS_EV_TCP_STATE_CHANGE, MOS_HOOK_RCV, on_state, NULL) < 0))) {
		fprintf(stderr, "conntrack: cannot set up the monitor\n");
		mos_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct mos_app_options ao = {
		.parse = parse, .arg = &o,
		.usage = "  --no-vlan-key      VLAN ids are not part of the flow key\n"
			 "  --udp              also write UDP flows\n"
			 "  --no-streams       no reassembly: stream_* and gap_* stay 0\n"
			 "  --max-flows N      flow table capacity per worker (default 1048576)\n",
	};
	struct mos_ctx *ctxs[MOS_APP_MAX_WORKERS] = { 0 };
	struct run runs[MOS_APP_MAX_WORKERS] = { 0 };
	struct mos_app *app;
	unsigned n;
	int rc = 2;

	app = mos_app_create("conntrack", argc, argv, &ao);
	if (app == NULL)
		return errno == 0 ? 0 : 2;
	/* One context, or one per worker core (--workers N). */
	n = mos_app_contexts(app);
	for (unsigned w = 0; w < n; w++) {
		runs[w].out = mos_app_context_out(app, w);
		runs[w].o = &o;
		if (runs[w].out == NULL || (ctxs[w] = make_ctx(&o, &runs[w])) == NULL)
			goto out;
	}
	rc = mos_app_run_contexts(app, ctxs);
	if (!mos_app_quiet(app)) {
		uint64_t rec = 0, created = 0, mid = 0, evicted = 0, tout = 0, orphans = 0;

		for (unsigned w = 0; w < n; w++) {
			const struct mos_flow_counters *fc = mos_flow_table_counters(mos_ctx_flows(ctxs[w]));

			rec += runs[w].records;
			created += fc->created;
			evicted += fc->evicted;
			tout += fc->timed_out;
			mid += mos_ctx_stats(ctxs[w])->midstream;
			orphans += mos_ctx_stats(ctxs[w])->orphans;
		}
		fprintf(stderr, "conntrack: %" PRIu64 " records, %" PRIu64 " flows (%" PRIu64
			" midstream, %" PRIu64 " evicted, %" PRIu64 " timed out), %" PRIu64
			" orphans\n", rec, created, mid, evicted, tout, orphans);
	}
	rc = rc != 0;
out:
	for (unsigned w = 0; w < n; w++)
		mos_ctx_destroy(ctxs[w]);
	return mos_app_destroy(app) != 0 || rc != 0 ? (rc == 2 ? 2 : 1) : 0;
}
