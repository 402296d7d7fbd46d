/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app.c — the program skeleton (see mos/app.h): command line, EAL start-up,
 * pools, sources, the receive/decode loop, the packet clock and --stats.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "mos/app.h"
#include "mos/source.h"

#define MAX_SOURCES   64
#define MAX_EAL_ARGS  64
#define BURST_MAX     256
#define POOL_MBUFS    8191          /* ordinary frames */
#define BIG_MBUFS     63            /* frames longer than the default data room */
#define PORT_RXD      1024
#define PORT_TXD      1024

struct mos_app {
	const char *prog;            /* name in messages */
	const char **pcaps;          /* -r files, in order */
	unsigned n_pcaps;            /* number of -r files */
	char *eal_args;              /* --dpdk argument, or NULL */
	const char *out_path;        /* --out, or NULL for stdout */
	const char *stats_path;      /* --stats, or NULL */
	uint16_t burst;              /* --burst */
	bool quiet;                  /* no progress line */

	bool eal_up;                 /* rte_eal_init succeeded */
	struct rte_mempool *pool;    /* ordinary frames */
	struct rte_mempool *big_pool;/* long frames (offline only) */
	struct mos_source *src[MAX_SOURCES]; /* open sources */
	unsigned n_src;              /* number of sources */
	FILE *out;                   /* records */
	struct mos_stats stats;      /* run statistics */
	uint64_t now_ns;             /* packet clock */
	bool failed;                 /* a read or write failed */
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
usage(FILE *f, const char *prog, const struct mos_app_options *opts)
{
	fprintf(f,
		"usage: %s [options] -r FILE [-r FILE ...]\n"
		"       %s [options] --dpdk 'EAL ARGS'\n"
		"\n"
		"input and output:\n"
		"  -r FILE          read a pcap or pcapng capture (repeatable, read in order)\n"
		"  --dpdk 'ARGS'    DPDK EAL arguments for live ports, e.g.\n"
		"                   --dpdk '--vdev=net_pcap0,rx_pcap=trace.pcap'\n"
		"  --out FILE       write records to FILE instead of standard output\n"
		"  --stats FILE     write run statistics as one JSON object to FILE\n"
		"  --burst N        packets per burst (1..%d, default 32)\n"
		"  -q, --quiet      no progress line on standard error\n"
		"  -h, --help       this text\n",
		prog, prog, BURST_MAX);
	if (opts && opts->usage)
		fprintf(f, "\nprogram options:\n%s", opts->usage);
}

/* Parse the command line into @app. Returns 0, 1 after --help, -1 on error. */
static int
parse_args(struct mos_app *app, int argc, char **argv, const struct mos_app_options *opts)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout, app->prog, opts);
			return 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			app->quiet = true;
			takes = false;
		} else if (!strcmp(a, "-r") || !strcmp(a, "--dpdk") || !strcmp(a, "--out") ||
			   !strcmp(a, "--stats") || !strcmp(a, "--burst")) {
			if (val == NULL) {
				fprintf(stderr, "%s: option '%s' needs an argument\n", app->prog, a);
				return -1;
			}
			if (a[1] == 'r') {
				app->pcaps[app->n_pcaps++] = val;
			} else if (!strcmp(a, "--dpdk")) {
				app->eal_args = strdup(val);
			} else if (!strcmp(a, "--out")) {
				app->out_path = val;
			} else if (!strcmp(a, "--stats")) {
				app->stats_path = val;
			} else {
				char *end;
				long b = strtol(val, &end, 10);

				if (*end || b < 1 || b > BURST_MAX) {
					fprintf(stderr, "%s: --burst: '%s' is not a number in 1..%d\n",
						app->prog, val, BURST_MAX);
					return -1;
				}
				app->burst = (uint16_t)b;
			}
		} else {
			int used = opts && opts->parse ? opts->parse(opts->arg, argc, argv, i) : 0;

			if (used < 0)
				return -1;
			if (used == 0) {
				fprintf(stderr, "%s: unknown option '%s' (try --help)\n", app->prog, a);
				return -1;
			}
			i += used - 1;
			continue;
		}
		if (takes)
			i++;
	}
	if (app->n_pcaps == 0 && app->eal_args == NULL) {
		fprintf(stderr, "%s: no input: give -r FILE or --dpdk 'EAL ARGS' (try --help)\n",
			app->prog);
		return -1;
	}
	return 0;
}

/* Whether the user's EAL words contain one of @names. */
static bool
has_word(char **words, int n, const char *const *names)
{
	for (int i = 0; i < n; i++)
		for (const char *const *nm = names; *nm; nm++) {
			size_t l = strlen(*nm);

			if (!strncmp(words[i], *nm, l) && (words[i][l] == 0 || words[i][l] == '='))
				return true;
		}
	return false;
}

/* Start the EAL with defaults that work without hugepages and NICs. */
static int
start_eal(struct mos_app *app)
{
	char *argv[MAX_EAL_ARGS * 2];
	char *user[MAX_EAL_ARGS];
	int n_user = 0, argc = 0;
	bool huge = false;

	if (app->eal_args) {
		for (char *tok = strtok(app->eal_args, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
			if (!strcmp(tok, "--huge")) {
				huge = true;
				continue;
			}
			if (n_user == MAX_EAL_ARGS) {
				fprintf(stderr, "%s: --dpdk: more than %d arguments\n", app->prog,
					MAX_EAL_ARGS);
				return -1;
			}
			user[n_user++] = tok;
		}
	}
	argv[argc++] = (char *)app->prog;
	if (!huge && !has_word(user, n_user, (const char *const[]){"--no-huge", NULL}))
		argv[argc++] = "--no-huge";
	if (!has_word(user, n_user, (const char *const[]){"-a", "--allow", "-b", "--block",
							    "--no-pci", NULL}))
		argv[argc++] = "--no-pci";
	if (!has_word(user, n_user, (const char *const[]){"--no-shconf", "--file-prefix", NULL}))
		argv[argc++] = "--no-shconf";
	if (!has_word(user, n_user, (const char *const[]){"--no-telemetry", "--telemetry", NULL}))
		argv[argc++] = "--no-telemetry";
	if (!has_word(user, n_user, (const char *const[]){"--log-level", NULL}))
		argv[argc++] = "--log-level=warning";
	if (!has_word(user, n_user, (const char *const[]){"-l", "-c", "--lcores", NULL})) {
		argv[argc++] = "-l";
		argv[argc++] = "0";
	}
	if (!huge && !has_word(user, n_user, (const char *const[]){"-m", "--socket-mem", NULL})) {
		argv[argc++] = "-m";
		argv[argc++] = "512";
	}
	for (int i = 0; i < n_user; i++)
		argv[argc++] = user[i];
	argv[argc] = NULL;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: cannot start DPDK EAL: %s\n", app->prog,
			rte_strerror(rte_errno));
		return -1;
	}
	app->eal_up = true;
	return 0;
}

/* Configure, start and open every ethdev port the EAL arguments created. */
static int
open_ports(struct mos_app *app)
{
	uint16_t port;
	char err[MOS_SOURCE_ERRLEN];

	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_conf conf = {0};
		uint16_t rxd = PORT_RXD, txd = PORT_TXD;
		int rc;

		if (app->n_src == MAX_SOURCES) {
			fprintf(stderr, "%s: more than %d sources\n", app->prog, MAX_SOURCES);
			return -1;
		}
		if ((rc = rte_eth_dev_configure(port, 1, 1, &conf)) < 0 ||
		    (rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd)) < 0 ||
		    (rc = rte_eth_rx_queue_setup(port, 0, rxd, rte_eth_dev_socket_id(port), NULL,
						 app->pool)) < 0 ||
		    (rc = rte_eth_tx_queue_setup(port, 0, txd, rte_eth_dev_socket_id(port),
						 NULL)) < 0 ||
		    (rc = rte_eth_dev_start(port)) < 0) {
			fprintf(stderr, "%s: cannot set up port %u: %s\n", app->prog, port,
				rte_strerror(-rc));
			return -1;
		}
		rte_eth_promiscuous_enable(port);
		app->src[app->n_src] = mos_source_ethdev_open(port, 0, err);
		if (app->src[app->n_src] == NULL) {
			fprintf(stderr, "%s: %s\n", app->prog, err);
			return -1;
		}
		app->n_src++;
	}
	return 0;
}

struct mos_app *
mos_app_create(const char *prog, int argc, char **argv, const struct mos_app_options *opts)
{
	struct mos_app *app = calloc(1, sizeof(*app));
	char err[MOS_SOURCE_ERRLEN];
	int rc;

	if (app == NULL || (app->pcaps = calloc((size_t)argc, sizeof(char *))) == NULL) {
		free(app);
		fprintf(stderr, "%s: out of memory\n", prog);
		errno = ENOMEM;
		return NULL;
	}
	app->prog = prog;
	app->burst = 32;
	app->out = stdout;

	rc = parse_args(app, argc, argv, opts);
	if (rc != 0) {
		mos_app_destroy(app);
		errno = rc > 0 ? 0 : EINVAL;
		return NULL;
	}
	if (app->out_path && (app->out = fopen(app->out_path, "w")) == NULL) {
		fprintf(stderr, "%s: cannot write '%s': %s\n", prog, app->out_path,
			strerror(errno));
		app->out = stdout;
		goto fail;
	}
	if (start_eal(app) < 0)
		goto fail;
	mos_tsc_now_ns();       /* calibrate before anything runs */

	app->pool = mos_pktpool_create("mos_pkts", POOL_MBUFS, RTE_MBUF_DEFAULT_DATAROOM,
				       (int)rte_socket_id());
	if (app->pool == NULL) {
		fprintf(stderr, "%s: cannot create packet pool: %s\n", prog,
			rte_strerror(rte_errno));
		goto fail;
	}
	if (app->n_pcaps > 0) {
		app->big_pool = mos_pktpool_create("mos_big", BIG_MBUFS, MOS_FRAME_MAX,
						   (int)rte_socket_id());
		if (app->big_pool == NULL) {
			fprintf(stderr, "%s: cannot create packet pool: %s\n", prog,
				rte_strerror(rte_errno));
			goto fail;
		}
		app->src[0] = mos_source_pcap_open(app->pcaps, app->n_pcaps, app->pool,
						   app->big_pool, err);
		if (app->src[0] == NULL) {
			fprintf(stderr, "%s: %s\n", prog, err);
			goto fail;
		}
		app->n_src = 1;
	}
	if (open_ports(app) < 0)
		goto fail;
	if (app->n_src == 0) {
		fprintf(stderr, "%s: no input: the EAL arguments created no port\n", prog);
		goto fail;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return app;
fail:
	mos_app_destroy(app);
	errno = EINVAL;
	return NULL;
}

/* One progress line on a terminal, at most once a second. */
static void
progress(struct mos_app *app, uint64_t *last, uint64_t *last_pkts, bool final)
{
	uint64_t now = mos_tsc_now_ns();

	if (!final && now - *last < 1000000000ull)
		return;
	fprintf(stderr, "\r%s: %llu packets, %.2f Mpps, %llu malformed%s", app->prog,
		(unsigned long long)app->stats.packets,
		(double)(app->stats.packets - *last_pkts) * 1e3 / (double)(now - *last + 1),
		(unsigned long long)mos_stats_malformed_total(&app->stats), final ? "\n" : "");
	*last = now;
	*last_pkts = app->stats.packets;
}

int
mos_app_run(struct mos_app *app, const struct mos_stage *stage)
{
	struct rte_mbuf *mbufs[BURST_MAX];
	struct mos_pkt pkts[BURST_MAX];
	bool show = !app->quiet && isatty(STDERR_FILENO);
	uint64_t started = mos_tsc_now_ns(), last = started, last_pkts = 0;
	bool shown = false;
	int rc = 0;

	while (!stop_requested) {
		bool all_done = true, got_any = false;

		for (unsigned s = 0; s < app->n_src; s++) {
			struct mos_source *src = app->src[s];
			uint16_t n;

			if (mos_source_done(src))
				continue;
			all_done = false;
			n = mos_source_rx(src, mbufs, app->burst);
			if (n == 0)
				continue;
			got_any = true;
			for (uint16_t i = 0; i < n; i++) {
				struct rte_mbuf *m = mbufs[i];
				const struct mos_mbuf_priv *pv = mos_mbuf_priv(m);

				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(mbufs[i + 1], void *));
				mos_decode(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					   pv->wirelen, pv->linktype, pv->ts_ns, &pkts[i]);
				mos_stats_count(&app->stats, &pkts[i]);
				if (pv->ts_ns > app->now_ns || !mos_source_is_offline(src))
					app->now_ns = pv->ts_ns;
			}
			if (stage && stage->burst)
				stage->burst(stage->arg, pkts, mbufs, n, app->now_ns);
			rte_pktmbuf_free_bulk(mbufs, n);
		}
		if (all_done)
			break;
		if (!got_any && stage && stage->tick) {
			uint64_t now = mos_tsc_now_ns();

			if (now > app->now_ns)
				app->now_ns = now;
			stage->tick(stage->arg, app->now_ns);
		}
		if (show && (shown || mos_tsc_now_ns() - started > 1000000000ull)) {
			progress(app, &last, &last_pkts, false);
			shown = true;
		}
	}
	if (stage && stage->finish)
		stage->finish(stage->arg, app->now_ns);
	if (shown)
		progress(app, &last, &last_pkts, true);
	for (unsigned s = 0; s < app->n_src; s++) {
		const char *e = mos_source_error(app->src[s]);

		if (e) {
			fprintf(stderr, "%s: error: %s\n", app->prog, e);
			app->failed = true;
			rc = -EIO;
		}
	}
	return rc;
}

FILE *
mos_app_out(struct mos_app *app)
{
	return app->out;
}

const struct mos_stats *
mos_app_stats(const struct mos_app *app)
{
	return &app->stats;
}

bool
mos_app_quiet(const struct mos_app *app)
{
	return app->quiet;
}

uint64_t
mos_app_now_ns(const struct mos_app *app)
{
	return app->now_ns;
}

/* Write --stats. Returns false on failure (reported). */
static bool
write_stats(struct mos_app *app)
{
	FILE *f = fopen(app->stats_path, "w");
	bool ok = f && mos_stats_write_json(&app->stats, f) == 0;

	if (f && fclose(f) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "%s: cannot write statistics to '%s': %s\n", app->prog,
			app->stats_path, strerror(errno));
	return ok;
}

int
mos_app_destroy(struct mos_app *app)
{
	int status;
	uint16_t port;

	if (app == NULL)
		return 1;
	if (app->stats_path && app->eal_up && !write_stats(app))
		app->failed = true;
	if (app->out && (fflush(app->out) != 0 || ferror(app->out))) {
		fprintf(stderr, "%s: error writing records: %s\n", app->prog, strerror(errno));
		app->failed = true;
	}
	if (app->out && app->out != stdout)
		fclose(app->out);
	for (unsigned s = 0; s < app->n_src; s++)
		mos_source_close(app->src[s]);
	if (app->eal_up) {
		RTE_ETH_FOREACH_DEV(port) {
			rte_eth_dev_stop(port);
			rte_eth_dev_close(port);
		}
		rte_mempool_free(app->pool);
		rte_mempool_free(app->big_pool);
		rte_eal_cleanup();
	}
	status = app->failed ? 1 : 0;
	free(app->eal_args);
	free(app->pcaps);
	free(app);
	return status;
}
