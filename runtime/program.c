// SPDX-License-Identifier: BSD-3-Clause
/*
 * runtime/program.c — the run of a program compiled by mosc
 * (mos/program.h): options, context with the per-flow state area, forest
 * loading, record writer, and the helpers generated code calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mos/app.h"
#include "mos/program.h"
#include "mos/resources.h"

#include "app_private.h"

/* Options of a compiled program beyond mos_app's. */
struct prog_opts {
	int format;                  /* enum mos_rec_format */
	const char *out_dir;         /* --out-dir DIR, or NULL */
	const char *name;            /* program name for messages */
	bool no_record_key;          /* --no-record-key */
	bool no_specialise;          /* --no-specialise (hidden: benchmarks) */
	uint64_t stream_mem;         /* --stream-mem: reassembly pages per worker, bytes */
};

static bool prog_quiet;              /* -q of the process's program */

bool
mos_prog_quiet(void)
{
	return prog_quiet;
}

/* Default --stream-mem: the page pool is allocated at start-up (on live
 * ports its first 32 MiB touched, MOS_STREAM_PREFAULT); closed connections give their
 * pages back first when it runs out (mos_stream_set_reclaimable). Unread
 * bytes of open connections stay until their window scrolls, so a link
 * with N connections open needs up to N x 2 x window (64 KiB) of it. */
#define PROG_STREAM_MEM_DEFAULT (512ull << 20)
#define PROG_STREAM_PAGE 4096u

/* "64MiB", "1GiB", "512KiB" or bytes. 0 on a malformed or out-of-range value. */
static uint64_t
prog_parse_size(const char *v)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	unsigned shift = 0;

	if (end == v || *v == '-')
		return 0;
	if (!strcmp(end, "KiB"))
		shift = 10;
	else if (!strcmp(end, "MiB"))
		shift = 20;
	else if (!strcmp(end, "GiB"))
		shift = 30;
	else if (*end)
		return 0;
	if (n > (UINT64_MAX >> shift))
		return 0;
	return (uint64_t)n << shift;
}

static int
prog_parse(void *arg, int argc, char **argv, int i)
{
	struct prog_opts *o = arg;

	if (strcmp(argv[i], "--no-record-key") == 0) {
		o->no_record_key = true;
		return 1;
	}
	if (strcmp(argv[i], "--no-specialise") == 0) {
		o->no_specialise = true;
		return 1;
	}
	if (strcmp(argv[i], "--stream-mem") == 0) {
		uint64_t v = i + 1 < argc ? prog_parse_size(argv[i + 1]) : 0;

		/* at least 16 pages, at most 2^32 - 1 pages */
		if (v < 16u * PROG_STREAM_PAGE || v / PROG_STREAM_PAGE > UINT32_MAX) {
			fprintf(stderr, "%s: --stream-mem takes a size from 64KiB to 16383GiB "
				"(e.g. 512MiB)\n", o->name);
			return -1;
		}
		o->stream_mem = v;
		return 2;
	}
	if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "--out-dir") == 0) {
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: %s needs a value\n", o->name, argv[i]);
			return -1;
		}
		if (argv[i][2] == 'f') {
			int f = mos_rec_format_parse(argv[i + 1]);

			if (f < 0) {
				fprintf(stderr, "%s: --format takes json, csv or tsv\n", o->name);
				return -1;
			}
			o->format = f;
		} else {
			o->out_dir = argv[i + 1];
		}
		return 2;
	}
	return 0;
}

/* Write --stats: the app's statistics with an "events" object appended:
 * every built-in's count (mos_ctx_stats.events, docs/events.md "Counts"),
 * then each UDE's filter passes and each floating event's raises, summed
 * over the copies of one name; then "stages", the forwarding counters of
 * live or inline runs, and "resources" (mos/resources.h). */
static int
prog_write_stats(const struct mos_prog_run *runs, unsigned n_runs, const struct mos_app *app,
		 const char *path)
{
	const struct mos_abi_forest *fo = runs[0].prog->forest;
	uint64_t ev[MOS_EV_BUILTIN_COUNT] = { 0 }, streams[2] = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len), *out;
	int rc = 0;

	if (mem == NULL)
		return -ENOMEM;
	/* counts summed over the workers' runs */
	for (unsigned r = 0; r < n_runs; r++) {
		for (uint32_t b = 0; b < MOS_EV_BUILTIN_COUNT; b++)
			ev[b] += mos_ctx_stats(runs[r].ctx)->events[b];
		streams[0] += runs[r].stage_streams[0];
		streams[1] += runs[r].stage_streams[1];
	}
	rc = mos_stats_write_json(mos_app_stats(app), mem);
	fclose(mem);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '}'))
		if (buf[--len] == '}')
			break;
	out = fopen(path, "w");
	if (out == NULL || rc < 0) {
		free(buf);
		if (out)
			fclose(out);
		return -errno;
	}
	fwrite(buf, 1, len, out);
	fputs(",\"events\":{", out);
	for (uint32_t b = 0; b < MOS_EV_BUILTIN_COUNT; b++)
		fprintf(out, "%s\"%s\":%" PRIu64, b ? "," : "", mos_event_builtin_name(b), ev[b]);
	for (uint32_t i = 0; i < fo->n_events; i++) {
		uint64_t n = 0;
		bool first = true;

		for (uint32_t j = 0; j < fo->n_events; j++) {
			if (strcmp(fo->events[j].name, fo->events[i].name) == 0) {
				first = first && j >= i;
				for (unsigned r = 0; r < n_runs; r++)
					n += runs[r].event_counts[j];
			}
		}
		if (first)
			fprintf(out, ",\"%s\":%" PRIu64, fo->events[i].name, n);
	}
	/* what the runtime really set up (docs/backend.md, "Stage specialisation") */
	uint32_t raw = 0;

	for (uint32_t i = 0; i < fo->n_monitors; i++)
		raw += fo->monitors[i].type == MOS_MONITOR_RAW;
	fprintf(out, "},\"stages\":{\"c2s\":%" PRIu64 ",\"s2c\":%" PRIu64
		",\"stream_pool\":%s,\"raw_monitors\":%" PRIu32 "}", streams[0], streams[1],
		mos_ctx_stream_pool(runs[0].ctx) ? "true" : "false", raw);
	/* the forwarding and port counters, as mos_app writes them */
	if (mos_app_inline(app) || mos_app_live(app))
		mos_app_io_stats_json(mos_app_io_stats(app), out);
	/* what the caps cost (docs/runtime.md, "Resources") */
	if (mos_app_resources(app) != NULL) {
		fputc(',', out);
		mos_resources_json(mos_app_resources(app), out);
	}
	fputs("}\n", out);
	free(buf);
	return fclose(out) == 0 ? 0 : -errno;
}

/* After mos_ctx_load_forest failed: find the first handler the runtime
 * refuses by loading growing prefixes into small scratch contexts, and
 * name its rule. */
static void
prog_explain_load(const struct mos_program *prog, const char *name)
{
	struct mos_abi_forest part = *prog->forest;
	struct mos_ctx_config cfg;

	mos_ctx_config_default(&cfg);
	cfg.flows.max_flows = 16;
	for (uint32_t k = 0; k <= prog->forest->n_handlers; k++) {
		struct mos_ctx *c = mos_ctx_create(&cfg);
		int rc;

		if (c == NULL)
			return;
		part.n_handlers = k;
		rc = mos_ctx_load_forest(c, &part, NULL, NULL);
		mos_ctx_destroy(c);
		if (rc == 0)
			continue;
		if (k == 0) {
			fprintf(stderr, "%s: the runtime refuses the monitors or events (a scope or filter?)\n",
				name);
		} else {
			const struct mos_abi_handler *h = &prog->forest->handlers[k - 1];

			fprintf(stderr, "%s: %s:%u: the runtime refuses this handler (monitor %s, hook %u): %s\n",
				name, h->file ? h->file : "?", h->line,
				prog->forest->monitors[h->monitor].name ? prog->forest->monitors[h->monitor].name : "?",
				h->hook, strerror(-rc));
		}
		return;
	}
}

/* --- count-only streams (MOS_PROG_STREAM_COUNT) ----------------------------
 * No rule reads the bytes: a cursor per direction (kept after the
 * program's state in the flow's user area) consumes the in-order bytes as
 * they arrive, and a stream a FIN ended gives its pages back, so the
 * window holds only out-of-order data and memory follows the open
 * connections. */

static uint8_t *
prog_cursor(struct mos_ctx *ctx, const struct mos_flow *f, int side)
{
	uint8_t *u = mos_flow_user_area(ctx, f);

	return u ? u + mos_prog_run_of(ctx)->cursor_off + (side == MOS_SIDE_SVR ? 0 : 1) : NULL;
}

static void
prog_count_data(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
		const struct mos_event_arg *arg)
{
	(void)ev;
	(void)arg;
	mos_stream_drain(mos_flow_stream(f, side), prog_cursor(ctx, f, side));
}

static void
prog_count_state(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
		 const struct mos_event_arg *arg)
{
	(void)ev;
	(void)arg;
	mos_stream_drain_done(mos_flow_stream(f, side), prog_cursor(ctx, f, side));
}

/* --stats: count the directions that had a stream when a connection ended. */
static void
prog_stage_end(struct mos_ctx *ctx, struct mos_flow *f, int side, uint32_t ev,
	       const struct mos_event_arg *arg)
{
	struct mos_prog_run *r = mos_prog_run_of(ctx);

	(void)side;
	(void)ev;
	(void)arg;
	r->stage_streams[0] += f->end[MOS_SIDE_CLI].stream != NULL;
	r->stage_streams[1] += f->end[MOS_SIDE_SVR].stream != NULL;
}

/* Apply each monitor's stream wish (every side of every stream monitor
 * with --no-specialise); count-only monitors get the consumer callbacks,
 * unless another monitor reads bytes (its peeks need them kept). */
static int
prog_set_streams(const struct mos_program *prog, struct mos_prog_run *run, bool all)
{
	const struct mos_abi_forest *fo = prog->forest;
	bool readers = false;
	int rc = 0;

	for (uint32_t i = 0; i < fo->n_monitors; i++)
		readers |= prog->streams[i].side >= 0 && !(prog->streams[i].flags & MOS_PROG_STREAM_COUNT);
	for (uint32_t i = 0; rc == 0 && i < fo->n_monitors; i++) {
		const struct mos_prog_stream *w = &prog->streams[i];
		bool count = w->side < 0 || (w->flags & MOS_PROG_STREAM_COUNT);

		if (fo->monitors[i].type != MOS_MONITOR_STREAM || (w->side < 0 && !all))
			continue;
		rc = mos_monitor_set_stream(run->mons[i], all ? MOS_SIDE_BOTH : w->side,
					    w->size ? w->size : MOS_STREAM_DEFAULT_BUF_SIZE, w->policy);
		if (rc == 0 && count && !readers) {
			rc = mos_monitor_set_stream_count_only(run->mons[i],
							       all ? MOS_SIDE_BOTH : w->side, true);
			if (rc == 0)
				rc = mos_register_callback(run->mons[i], MOS_EV_CONN_NEW_DATA,
							   MOS_HOOK_NONE, prog_count_data, NULL);
			if (rc == 0)
				rc = mos_register_callback(run->mons[i], MOS_EV_TCP_STATE_CHANGE,
							   MOS_HOOK_RCV, prog_count_state, NULL);
		}
	}
	return rc;
}

/* Make one run (context, monitors, record writer to @out) of @prog, for
 * worker @w of @n. Returns 0, or 2 after printing why. */
static int
prog_run_setup(const struct mos_program *prog, const struct prog_opts *po, FILE *out,
	       bool stats, unsigned w, unsigned n, struct mos_prog_run *run)
{
	const struct mos_abi_forest *fo = prog->forest;
	struct mos_rec_writer_config wc = { 0 };
	struct mos_ctx_config cfg;
	int rc;

	run->prog = prog;
	run->no_specialise = po->no_specialise;
	run->out_dir = po->out_dir;
	mos_ctx_config_default(&cfg);
	cfg.core = (int)w;                   /* mos_ctx_core / mos_ctx_workers, for companions */
	cfg.n_workers = n;
	/* the program's state, then a stream cursor per direction */
	run->cursor_off = (prog->state_size + 7u) & ~7u;
	cfg.flows.user_size = run->cursor_off + 2;
	for (int c = 0; c < MOS_FLOW_CLASS_COUNT; c++)
		if (prog->timeout_ns[c])
			cfg.flows.timeout_ns[c] = prog->timeout_ns[c];
	if ((prog->needs & MOS_PROG_NEED_STREAMS) || po->no_specialise) {
		cfg.streams.page_size = PROG_STREAM_PAGE;
		cfg.streams.n_pages = (uint32_t)(po->stream_mem / PROG_STREAM_PAGE);
		cfg.streams.max_streams = 1u << 18;
	}
	run->ctx = mos_ctx_create(&cfg);
	run->mons = calloc(fo->n_monitors + 1, sizeof(*run->mons));
	run->ids = calloc(fo->n_events + 1, sizeof(*run->ids));
	run->event_counts = calloc(fo->n_events + 1, sizeof(*run->event_counts));
	wc.format = po->format;
	wc.dir = po->out_dir;
	wc.no_record_key = po->no_record_key;
	run->rec = mos_rec_writer_create(out, &wc);
	if (run->ctx == NULL || run->mons == NULL || run->ids == NULL || run->rec == NULL ||
	    run->event_counts == NULL) {
		fprintf(stderr, "%s: cannot set up the run: %s\n", po->name, strerror(errno));
		return 2;
	}
	mos_ctx_set_user(run->ctx, run);
	rc = mos_ctx_load_forest(run->ctx, fo, run->mons, run->ids);
	if (rc == 0 && prog->streams)
		rc = prog_set_streams(prog, run, po->no_specialise);
	for (uint32_t i = 0; rc == 0 && stats && i < fo->n_monitors; i++)
		if (fo->monitors[i].type == MOS_MONITOR_STREAM)
			rc = mos_register_callback(run->mons[i], MOS_EV_CONN_END, MOS_HOOK_NONE,
						   prog_stage_end, NULL);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot load the program: %s\n", po->name, strerror(-rc));
		prog_explain_load(prog, po->name);
		return 2;
	}
	return 0;
}

/* Free what prog_run_setup made; -1 when the record writer failed. */
static int
prog_run_free(struct mos_prog_run *run)
{
	int rc = mos_rec_writer_close(run->rec) < 0 ? -1 : 0;

	mos_ctx_destroy(run->ctx);
	free(run->mons);
	free(run->ids);
	free(run->event_counts);
	return rc;
}

int
mos_program_main(const struct mos_program *prog, int argc, char **argv)
{
	struct prog_opts po = { .format = MOS_REC_JSON, .name = prog->name ? prog->name : "mos",
				.stream_mem = PROG_STREAM_MEM_DEFAULT };
	struct mos_app_options ao = {
		.parse = prog_parse, .arg = &po,
		.usage = "  --format F         records as json (default), csv or tsv\n"
			 "  --out-dir DIR      one file per record name in DIR (created if missing)\n"
			 "  --no-record-key    JSON without the \"record\" key, CSV/TSV without its column\n"
			 "  --stream-mem SIZE  reassembly memory per worker (default 512MiB; KiB, MiB, GiB);\n"
			 "                     closed connections give theirs first\n",
	};
	struct mos_prog_run *runs = NULL;
	struct mos_ctx *ctxs[MOS_APP_MAX_WORKERS];
	struct mos_app *app;
	unsigned n;                  /* contexts */
	int rc, status = 2;

	if (prog->version != MOS_PROGRAM_VERSION || prog->abi_version != MOS_ABI_VERSION) {
		fprintf(stderr, "%s: compiled for program ABI %u/%u, runtime has %u/%u: rebuild it\n",
			po.name, prog->version, prog->abi_version, MOS_PROGRAM_VERSION,
			MOS_ABI_VERSION);
		return 2;
	}
	/* --stats is written here (with event counts), not by mos_app */
	char **av = calloc((size_t)argc + 1, sizeof(*av));
	const char *stats_path = NULL;
	int ac = 0;

	if (av == NULL)
		return 2;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--stats") == 0 && i + 1 < argc)
			stats_path = argv[++i];
		else
			av[ac++] = argv[i];
	}
	app = mos_app_create(po.name, ac, av, &ao);
	if (app == NULL) {
		free(av);
		return errno == 0 ? 0 : 2;
	}
	n = mos_app_contexts(app);
	if (mos_app_workers(app)) {
		/* records are merged by line: one stream of JSON Lines */
		if (po.out_dir || po.format != MOS_REC_JSON) {
			fprintf(stderr, "%s: --workers writes JSON records to one stream: no "
				"--format csv/tsv or --out-dir\n", po.name);
			goto out;
		}
	}
	if (po.out_dir != NULL && mkdir(po.out_dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create %s: %s\n", po.name, po.out_dir, strerror(errno));
		goto out;
	}
	if ((runs = calloc(n, sizeof(*runs))) == NULL)
		goto out;
	prog_quiet = mos_app_quiet(app);
	for (unsigned w = 0; w < n; w++) {
		FILE *out = mos_app_context_out(app, w);

		if (prog_run_setup(prog, &po, out, stats_path != NULL, w, n, &runs[w]) != 0)
			goto out;
		ctxs[w] = runs[w].ctx;
	}
	rc = mos_app_run_contexts(app, ctxs);
	if (!mos_app_quiet(app)) {
		uint64_t rec = 0, flows = 0, dropped = 0, resets = 0, timers = 0, errs = 0;

		for (unsigned w = 0; w < n; w++) {
			const struct mos_ctx_stats *cs = mos_ctx_stats(runs[w].ctx);

			rec += mos_rec_count(runs[w].rec, NULL);
			flows += mos_flow_table_counters(mos_ctx_flows(runs[w].ctx))->created;
			dropped += cs->dropped;
			resets += cs->resets;
			timers += cs->timers_fired;
			errs += runs[w].action_errors;
		}
		fprintf(stderr, "%s: %" PRIu64 " records, %" PRIu64 " flows, %" PRIu64 " dropped, %"
			PRIu64 " resets, %" PRIu64 " timers, %" PRIu64 " action errors\n", po.name,
			rec, flows, dropped, resets, timers, errs);
	}
	status = rc != 0;
	if (stats_path && prog_write_stats(runs, n, app, stats_path) < 0) {
		fprintf(stderr, "%s: cannot write '%s': %s\n", po.name, stats_path, strerror(errno));
		status = 1;
	}
out:
	for (unsigned w = 0; runs && w < n; w++)
		if (prog_run_free(&runs[w]) < 0)
			status = 1;
	free(runs);
	free(av);
	if (mos_app_destroy(app) != 0)
		status = 1;
	return status;
}

int
mos_prog_raise(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t cur, uint32_t f,
	       int hook)
{
	struct mos_prog_run *r = mos_prog_run_of(ctx);
	const struct mos_program *p = r->prog;
	int root = cur < MOS_EV_UDE_BASE ? (int)cur : mos_evsys_root(mos_ctx_events(ctx), cur);
	uint32_t copy;
	int rc;

	if (f >= p->n_floating || root < 0 || root >= MOS_EV_BUILTIN_COUNT)
		goto fail;
	if (hook == MOS_PROG_HOOK_OF_ROOT) {
		/* as the compiler does for a known root: a stream monitor's
		 * pkt_in is never at NONE */
		unsigned h = mos_event_builtin_hooks((uint32_t)root);

		if (root == MOS_EV_PKT_IN)
			h &= ~MOS_HOOKBIT_NONE;
		hook = h & MOS_HOOKBIT_NONE ? MOS_HOOK_NONE : h & MOS_HOOKBIT_SND ? MOS_HOOK_SND : MOS_HOOK_RCV;
	}
	copy = p->floating_copies[f * MOS_EV_BUILTIN_COUNT + (uint32_t)root];
	if (copy == 0)
		goto fail;
	if (hook >= 0 && flow != NULL)
		/* from a timer: one delivery at the hook the handlers use, not
		 * one per legal hook of the root (mos_raise_event outside a
		 * dispatch) */
		rc = mos_evsys_raise(mos_ctx_events(ctx), flow->regset, r->ids[copy - 1], hook, ctx,
				     flow, side);
	else
		rc = mos_raise_event(ctx, flow, side, r->ids[copy - 1]);
	if (rc < 0)
		goto fail;
	r->event_counts[copy - 1]++;
	return 0;
fail:
	r->action_errors++;
	return -EINVAL;
}

int
mos_prog_enable(struct mos_ctx *ctx, struct mos_flow *flow, uint32_t first, uint32_t count, bool on)
{
	struct mos_prog_run *r = mos_prog_run_of(ctx);
	int ret = 0;

	if (flow == NULL || first > r->prog->n_handlers || count > r->prog->n_handlers - first) {
		r->action_errors++;
		return -EINVAL;
	}
	for (uint32_t h = first; h < first + count; h++) {
		const struct mos_prog_handler *ph = &r->prog->handlers[h];
		uint32_t ev = ph->event >= MOS_EV_UDE_BASE ? r->ids[ph->event - MOS_EV_UDE_BASE] : ph->event;
		int rc;

		if (on)
			rc = mos_register_flow_callback(r->mons[ph->monitor], flow, ev, (int)ph->hook,
							ph->cb, NULL);
		else
			rc = mos_unregister_flow_callback(r->mons[ph->monitor], flow, ev, (int)ph->hook,
							  ph->cb);
		if (rc < 0 && rc != -EEXIST && rc != -ENOENT) {
			r->action_errors++;
			if (ret == 0)
				ret = rc;
		}
	}
	return ret;
}

uint8_t
mos_prog_pkt_ttl(const struct mos_pkt *p)
{
	if (p == NULL || p->ip_version == 0 || (uint32_t)p->l3_off + 9 > p->caplen)
		return 0;
	return p->data[p->l3_off + (p->ip_version == 4 ? 8 : 7)];
}

uint16_t
mos_prog_pkt_ip_id(const struct mos_pkt *p)
{
	if (p == NULL || p->ip_version != 4 || (uint32_t)p->l3_off + 6 > p->caplen)
		return 0;
	return (uint16_t)(p->data[p->l3_off + 4] << 8 | p->data[p->l3_off + 5]);
}

uint16_t
mos_prog_pkt_udp_len(const struct mos_pkt *p)
{
	if (p == NULL || !(p->flags & MOS_PKT_F_L4) || p->l4_proto != 17 ||
	    (uint32_t)p->l4_off + 6 > p->caplen)
		return 0;
	return (uint16_t)(p->data[p->l4_off + 4] << 8 | p->data[p->l4_off + 5]);
}

struct mos_prog_bytes
mos_prog_pkt_payload(const struct mos_pkt *p)
{
	struct mos_prog_bytes v = { NULL, 0 };
	uint32_t len;

	if (p == NULL || p->payload_off >= p->caplen)
		return v;
	len = p->caplen - p->payload_off;
	v.p = p->data + p->payload_off;
	v.len = p->payload_len < len ? p->payload_len : len;
	return v;
}

struct mos_addr
mos_prog_flow_addr(const struct mos_flow *f, int side)
{
	struct mos_addr a;
	uint16_t port;

	memset(&a, 0, sizeof(a));
	if (f)
		mos_flow_endpoint(f, side, &a, &port);
	return a;
}

uint16_t
mos_prog_flow_port(const struct mos_flow *f, int side)
{
	struct mos_addr a;
	uint16_t port = 0;

	if (f)
		mos_flow_endpoint(f, side, &a, &port);
	return port;
}

uint64_t
mos_prog_flow_id(struct mos_ctx *ctx, const struct mos_flow *f)
{
	if (f == NULL)
		return 0;
	return (uint64_t)f->gen << 32 | mos_flow_index(mos_ctx_flows(ctx), f);
}

bool
mos_prog_contains(struct mos_prog_bytes a, struct mos_prog_bytes b)
{
	if (b.len == 0)
		return true;
	if (a.len < b.len)
		return false;
	for (uint32_t i = 0; i + b.len <= a.len; i++)
		if (a.p[i] == b.p[0] && memcmp(a.p + i, b.p, b.len) == 0)
			return true;
	return false;
}

bool
mos_prog_in_prefix(struct mos_addr a, struct mos_prog_prefix p)
{
	uint32_t full = p.bits / 8, rest = p.bits % 8;

	if (p.bits > 128)
		return false;
	if (memcmp(a.b, p.a.b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a.b[full] ^ p.a.b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

const char *
mos_prog_side_name(int side)
{
	return side == MOS_SIDE_CLI ? "client" : side == MOS_SIDE_SVR ? "server" : "both";
}

const char *
mos_prog_tcp_state_name(int state)
{
	static const char *const names[MOS_TCP_STATE_COUNT] = {
		"closed", "listen", "syn_sent", "syn_rcvd", "established", "fin_wait_1",
		"fin_wait_2", "close_wait", "closing", "last_ack", "time_wait",
	};

	return state >= 0 && state < MOS_TCP_STATE_COUNT ? names[state] : "";
}

struct mos_prog_bytes
mos_prog_peek(struct mos_ctx *ctx, struct mos_flow *flow, int sender, uint64_t off, uint64_t len)
{
	struct mos_prog_run *r = mos_prog_run_of(ctx);
	struct mos_prog_bytes v = { NULL, 0 };
	struct mos_stream *s;
	uint8_t *buf;
	ssize_t n;

	if (flow == NULL || (sender != MOS_SIDE_CLI && sender != MOS_SIDE_SVR))
		return v;
	/* the stream RECEIVED by the other side holds what @sender sent */
	s = mos_flow_stream(flow, sender == MOS_SIDE_CLI ? MOS_SIDE_SVR : MOS_SIDE_CLI);
	if (s == NULL)
		return v;
	buf = r->scratch[r->scratch_next++ % MOS_PROG_SCRATCH];
	n = mos_stream_peek(s, off, buf, len < MOS_PROG_STR_CAP ? len : MOS_PROG_STR_CAP);
	if (n > 0) {
		v.p = buf;
		v.len = (uint32_t)n;
	}
	return v;
}

bool
mos_prog_matches(struct mos_prog_regex *r, struct mos_prog_bytes v)
{
	regmatch_t m[1];

	if (r->state == 0)
		r->state = regcomp(&r->re, r->pattern, REG_EXTENDED | REG_NOSUB) == 0 ? 1 : -1;
	if (r->state < 0)
		return false;
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)v.len;
	return regexec(&r->re, v.p ? (const char *)v.p : "", 1, m, REG_STARTEND) == 0;
}
