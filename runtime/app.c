/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app.c — the program skeleton (see mos/app.h): command line, EAL start-up,
 * pools, sources, the receive/decode loop, the packet clock and --stats.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include <pcap/pcap.h>

#include "mos/app.h"
#include "mos/resources.h"
#include "mos/rss.h"
#include "mos/source.h"

#include "app_private.h"

#define MAX_SOURCES   64
#define MAX_EAL_ARGS  64
#define BURST_MAX     256
#define POOL_MBUFS    8191          /* ordinary frames */
#define OUT_BUFFER (1u << 20)   /* stdio buffer of the records of an offline run */
#define OFFLINE_MBUFS 2047          /* ordinary frames when only files are read (no --dpdk) */
#define BIG_MBUFS     63            /* frames longer than the default data room */
#define PORT_RXD      1024
#define PORT_TXD      1024
#define NO_PORT       UINT16_MAX
#define TX_RETRIES    4             /* tx_burst calls before refused frames are dropped */
#define EP_SLOTS      16384         /* endpoint cache for injection (power of 2) */
#define L2_MAX        (14 + 4 * 4)  /* Ethernet header with up to 4 VLAN tags */

/* One port's TX batch (inline mode). */
struct txbuf {
	uint16_t n;                  /* frames waiting */
	uint64_t deadline;           /* TSC by which they must be sent (valid with n > 0) */
	struct rte_mbuf *m[BURST_MAX]; /* the frames, in order */
};

/* Directional TCP endpoint pair: the key of the injection cache. */
struct ep_key {
	uint8_t src[16], dst[16];    /* addresses (IPv4 in the first 4 bytes) */
	uint16_t sport, dport;       /* TCP ports, host order */
	uint8_t version;             /* 4 or 6 */
	uint8_t pad[3];              /* zero */
};

/* Last TCP frame seen from key.src to key.dst (inline mode). */
struct ep_slot {
	struct ep_key key;           /* the direction */
	uint16_t port;               /* port it arrived on, NO_PORT if the slot is empty */
	uint8_t l2_len;              /* bytes of l2 used */
	uint8_t l2[L2_MAX];          /* its Ethernet header, VLAN tags included */
};

struct mos_app {
	const char *prog;            /* name in messages */
	struct mos_resources res;    /* contexts' caps (mos_app_set_resources) */
	bool have_res;               /* res was filled */
	const char **pcaps;          /* -r files, in order */
	unsigned n_pcaps;            /* number of -r files */
	char *eal_args;              /* --dpdk argument, or NULL */
	const char *out_path;        /* --out, or NULL for stdout */
	const char *stats_path;      /* --stats, or NULL */
	uint16_t burst;              /* --burst */
	bool quiet;                  /* no progress line */
	bool inline_mode;            /* --inline */
	const char *pairs;           /* --inline PAIRS, or NULL for port order */
	uint32_t tx_deadline_us;     /* --tx-deadline */
	unsigned workers;            /* --workers N, 0 when not given (one loop, no workers) */
	const char *inline_out;      /* --inline-out FILE (offline inline), or NULL */
	pcap_t *dead;                /* --inline-out: libpcap handle of the output's link type */
	pcap_dumper_t *dump;         /* --inline-out: the output capture, opened at the first frame */
	int dump_linktype;           /* --inline-out: enum mos_linktype of the output, -1 before */

	bool eal_up;                 /* rte_eal_init succeeded (only with --dpdk) */
	bool started;                /* past argument parsing and the EAL's start */
	struct progress {            /* the progress line (mos_app_progress) */
		uint64_t last;       /* when it was last written (0: not started) */
		uint64_t last_pkts;  /* packets then */
		bool on;             /* stderr is a terminal and no -q */
		bool shown;          /* written at least once */
	} progress;
	struct rte_mempool *pool;    /* ordinary frames */
	struct rte_mempool *big_pool;/* long frames (offline only) */
	struct mos_source *src[MAX_SOURCES]; /* open sources */
	uint16_t src_port[MAX_SOURCES]; /* ethdev port of each source, NO_PORT offline */
	uint16_t src_queue[MAX_SOURCES]; /* its receive queue */
	unsigned n_src;              /* number of sources */
	uint16_t peer[RTE_MAX_ETHPORTS]; /* inline: paired port, NO_PORT if none */
	struct txbuf *tx[RTE_MAX_ETHPORTS]; /* inline: TX batch per port */
	uint16_t n_rxq[RTE_MAX_ETHPORTS]; /* live: receive queues of each port */
	uint16_t n_txq[RTE_MAX_ETHPORTS]; /* live: transmit queues of each port */
	uint16_t txq[RTE_MAX_ETHPORTS]; /* the TX queue this loop (or lane) sends on */
	rte_spinlock_t *txlock[RTE_MAX_ETHPORTS]; /* one per TX queue when workers share
						   * them (fewer queues than workers), else NULL */
	bool rss[RTE_MAX_ETHPORTS];  /* live workers: the port hashes symmetrically in hardware */
	bool lane;                   /* a worker's lane (mos_app_lane_new), not the app */
	struct ep_slot *eps;         /* inline: injection cache, EP_SLOTS entries */
	uint64_t deadline_tsc;       /* --tx-deadline in TSC cycles */
	struct rx_base {             /* live: port counters when the port started */
		uint64_t missed, errors, nombuf;
	} rx_base[RTE_MAX_ETHPORTS];
	bool ports_read;             /* mos_app_ports_done ran */
	struct mos_app_io_stats io;  /* forwarding counters */
	FILE *out;                   /* records */
	struct mos_stats stats;      /* run statistics */
	uint64_t now_ns;             /* packet clock */
	bool failed;                 /* a read or write failed */
};

static volatile sig_atomic_t stop_requested;

/* The receive counters of @port now, as its baseline: drops before the
 * run are not the run's. */
static void
rx_baseline(struct mos_app *app, uint16_t port)
{
	struct rte_eth_stats es;

	if (rte_eth_stats_get(port, &es) == 0)
		app->rx_base[port] = (struct rx_base){ es.imissed, es.ierrors, es.rx_nombuf };
}

void
mos_app_ports_done(struct mos_app *app)
{
	struct mos_app_io_stats *io = &app->io;
	uint64_t lost;

	if (app->ports_read)
		return;
	app->ports_read = true;
	for (uint16_t port = 0; port < RTE_MAX_ETHPORTS; port++) {
		struct rte_eth_stats es;
		const struct rx_base *b = &app->rx_base[port];

		if (app->n_rxq[port] == 0 || rte_eth_stats_get(port, &es) != 0)
			continue;
		io->rx_missed += es.imissed - b->missed;
		io->rx_errors += es.ierrors - b->errors;
		io->rx_nombuf += es.rx_nombuf - b->nombuf;
	}
	lost = io->rx_missed + io->rx_errors + io->rx_nombuf;
	if (lost > 0 && !app->quiet)
		fprintf(stderr,
			"%s: the ports dropped %" PRIu64 " frames before the program saw them "
			"(%" PRIu64 " missed: the box was too slow; %" PRIu64 " erroneous; %" PRIu64
			" for want of mbufs); see docs/deployment.md, Sizing\n",
			app->prog, lost, io->rx_missed, io->rx_errors, io->rx_nombuf);
}

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
		"  --inline [PAIRS] forward frames between port pairs (default: ports paired\n"
		"                   in port order, 0:1,2:3,...; or PAIRS like 0:1,2:3); without\n"
		"                   it the ports are read passively and nothing is sent\n"
		"  --tx-deadline US inline: a frame waits at most US microseconds in a TX\n"
		"                   batch (1..100000, default 100)\n"
		"  --inline-out FILE with -r: run inline on the capture and write what the box\n"
		"                   would send (forwarded, edited and injected frames, in\n"
		"                   order; dropped frames absent) to the pcap FILE\n"
		"  --workers N      spread the capture (-r) or the ports (--dpdk) over N\n"
		"                   worker cores by a symmetric hash (1..%d); offline,\n"
		"                   records come out in the same order whatever N; live,\n"
		"                   -l names a control core and N worker cores\n"
		"                   (docs/deployment.md)\n"
		"  -q, --quiet      no progress line on standard error\n"
		"  -h, --help       this text\n",
		prog, prog, BURST_MAX, MOS_APP_MAX_WORKERS);
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
		} else if (!strcmp(a, "--inline")) {
			app->inline_mode = true;
			/* The optional PAIRS: a word made of digits, ':' and ','. */
			takes = val && *val && strspn(val, "0123456789:,") == strlen(val);
			if (takes)
				app->pairs = val;
		} else if (!strcmp(a, "--inline-out")) {
			if (val == NULL) {
				fprintf(stderr, "%s: option '%s' needs an argument\n", app->prog, a);
				return -1;
			}
			app->inline_out = val;
		} else if (!strcmp(a, "--tx-deadline")) {
			char *end;
			long us = val ? strtol(val, &end, 10) : 0;

			if (val == NULL || *end || us < 1 || us > 100000) {
				fprintf(stderr, "%s: --tx-deadline: '%s' is not a number in 1..100000\n",
					app->prog, val ? val : "");
				return -1;
			}
			app->tx_deadline_us = (uint32_t)us;
		} else if (!strcmp(a, "--workers")) {
			char *end;
			long w = val ? strtol(val, &end, 10) : 0;

			if (val == NULL || *end || w < 1 || w > MOS_APP_MAX_WORKERS) {
				fprintf(stderr, "%s: --workers: '%s' is not a number in 1..%d\n",
					app->prog, val ? val : "", MOS_APP_MAX_WORKERS);
				return -1;
			}
			app->workers = (unsigned)w;
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
	if (app->workers && app->n_pcaps > 0 && app->eal_args) {
		fprintf(stderr, "%s: --workers spreads either capture files (-r) or live ports "
			"(--dpdk) over cores, not both\n", app->prog);
		return -1;
	}
	if (app->inline_out && (app->n_pcaps == 0 || app->eal_args || app->inline_mode ||
				app->workers)) {
		fprintf(stderr, "%s: --inline-out runs inline on capture files: give -r, and no "
			"--dpdk, --inline or --workers\n", app->prog);
		return -1;
	}
	if (app->inline_mode && (app->n_pcaps > 0 || app->eal_args == NULL)) {
		fprintf(stderr, "%s: --inline forwards between ports: give --dpdk with ports and "
			"no -r\n", app->prog);
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
	char lcores[64];

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
	if (has_word(user, n_user, (const char *const[]){"-l", "-c", "--lcores", NULL})) {
		/* the user's cores: with --workers N, the first is the main
		 * (control) lcore and the next N run the workers */
	} else if (app->workers) {
		/* The reader/control lcore and the workers float over every
		 * CPU: threads that have nothing to do sleep, so N + 1 threads
		 * share the machine's cores (docs/deployment.md). */
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		snprintf(lcores, sizeof(lcores), "--lcores=(0-%u)@(0-%ld)", app->workers,
			 cpus > 1 ? cpus - 1 : 0);
		argv[argc++] = lcores;
	} else {
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

/* Live workers: the receive side of @conf for @nrxq queues on a port
 * described by @info. Symmetric RSS when the port can hash IP addresses
 * (rss_hf masked by what it reports, the symmetric key of mos/rss.h
 * repeated to the port's key length); @key receives the key. Returns
 * whether the port hashes. */
static bool
rss_conf(const struct rte_eth_dev_info *info, uint16_t nrxq, struct rte_eth_conf *conf,
	 uint8_t *key)
{
	uint64_t hf = info->flow_type_rss_offloads & RTE_ETH_RSS_IP;
	unsigned klen = info->hash_key_size ? info->hash_key_size : MOS_RSS_KEY_LEN;

	if (nrxq < 2 || hf == 0 || klen > 2 * MOS_RSS_KEY_LEN || klen % 2)
		return false;
	for (unsigned i = 0; i < klen; i++)
		key[i] = mos_rss_sym_key[i % 2];
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = key;
	conf->rx_adv_conf.rss_conf.rss_key_len = (uint8_t)klen;
	conf->rx_adv_conf.rss_conf.rss_hf = hf;
	return true;
}

/* Live workers: point the port's redirection table at the queue whose
 * worker mos_rss_worker() names for each hash (queue q is worker q's). */
static bool
rss_reta(uint16_t port, const struct rte_eth_dev_info *info, uint16_t nrxq)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t size = info->reta_size;

	if (size == 0 || size > RTE_ETH_RSS_RETA_SIZE_512)
		return false;
	memset(reta, 0, sizeof(reta));
	for (uint16_t i = 0; i < size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)mos_rss_worker(i, nrxq);
	}
	/* A port that refuses keeps its default table: frames that reach
	 * the wrong worker are handed over in software (workers.c). */
	return rte_eth_dev_rss_reta_update(port, reta, size) == 0;
}

/* Configure, start and open every ethdev port the EAL arguments created:
 * one receive and one transmit queue each, or, with live workers, up to
 * one of each per worker (as many as the port has). */
static int
open_ports(struct mos_app *app)
{
	uint16_t port;
	char err[MOS_SOURCE_ERRLEN];
	uint16_t nw = app->workers && app->n_pcaps == 0 ? (uint16_t)app->workers : 1;

	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_conf conf = {0};
		struct rte_eth_dev_info info;
		uint8_t key[2 * MOS_RSS_KEY_LEN];
		uint16_t rxd = PORT_RXD, txd = PORT_TXD, nrxq = 1, ntxq = 1;
		int rc;

		if (nw > 1 && rte_eth_dev_info_get(port, &info) == 0) {
			nrxq = RTE_MIN(nw, RTE_MAX(info.max_rx_queues, 1));
			ntxq = RTE_MIN(nw, RTE_MAX(info.max_tx_queues, 1));
			app->rss[port] = rss_conf(&info, nrxq, &conf, key);
		}
		if (app->n_src + nrxq > MAX_SOURCES) {
			fprintf(stderr, "%s: more than %d sources\n", app->prog, MAX_SOURCES);
			return -1;
		}
		if ((rc = rte_eth_dev_configure(port, nrxq, ntxq, &conf)) < 0 ||
		    (rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd)) < 0) {
			fprintf(stderr, "%s: cannot set up port %u: %s\n", app->prog, port,
				rte_strerror(-rc));
			return -1;
		}
		for (uint16_t q = 0; q < nrxq; q++)
			if ((rc = rte_eth_rx_queue_setup(port, q, rxd, rte_eth_dev_socket_id(port),
							 NULL, app->pool)) < 0)
				break;
		for (uint16_t q = 0; rc >= 0 && q < ntxq; q++)
			rc = rte_eth_tx_queue_setup(port, q, txd, rte_eth_dev_socket_id(port), NULL);
		if (rc < 0 || (rc = rte_eth_dev_start(port)) < 0) {
			fprintf(stderr, "%s: cannot set up port %u: %s\n", app->prog, port,
				rte_strerror(-rc));
			return -1;
		}
		if (nw > 1) {
			bool reta = app->rss[port] && rss_reta(port, &info, nrxq);

			if (!app->quiet)
				fprintf(stderr, "%s: port %u: %u RX / %u TX queues for %u workers, %s\n",
					app->prog, port, nrxq, ntxq, nw, !app->rss[port] ?
					"software hash (the port cannot hash IP addresses)" : reta ?
					"symmetric RSS, redirection table set" :
					"symmetric RSS, the port's own redirection table");
		}
		rte_eth_promiscuous_enable(port);
		rx_baseline(app, port);
		app->n_rxq[port] = nrxq;
		app->n_txq[port] = ntxq;
		if (ntxq < nw) {
			/* workers share this port's TX queues: one lock each */
			if ((app->txlock[port] = calloc(ntxq, sizeof(rte_spinlock_t))) == NULL) {
				fprintf(stderr, "%s: out of memory\n", app->prog);
				return -1;
			}
			for (uint16_t q = 0; q < ntxq; q++)
				rte_spinlock_init(&app->txlock[port][q]);
		}
		for (uint16_t q = 0; q < nrxq; q++) {
			app->src[app->n_src] = mos_source_ethdev_open(port, q, err);
			if (app->src[app->n_src] == NULL) {
				fprintf(stderr, "%s: %s\n", app->prog, err);
				return -1;
			}
			app->src_port[app->n_src] = port;
			app->src_queue[app->n_src] = q;
			app->n_src++;
		}
	}
	return 0;
}

/* Pair the ports for inline mode (--inline PAIRS or port order) and make
 * their TX batches and the injection cache. Returns 0 or -1 (printed). */
static int
setup_inline(struct mos_app *app)
{
	uint16_t order[RTE_MAX_ETHPORTS], n = 0, port;

	RTE_ETH_FOREACH_DEV(port)
		order[n++] = port;
	if (app->pairs == NULL) {
		if (n % 2) {
			fprintf(stderr, "%s: --inline pairs ports in port order, but there are %u "
				"ports (an odd number): name the pairs with --inline A:B,...\n",
				app->prog, n);
			return -1;
		}
		for (uint16_t i = 0; i < n; i += 2) {
			app->peer[order[i]] = order[i + 1];
			app->peer[order[i + 1]] = order[i];
		}
	} else {
		const char *p = app->pairs;

		while (*p) {
			char *end;
			unsigned long a = strtoul(p, &end, 10), b;

			if (end == p || *end != ':')
				goto bad;
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || (*end && *end != ','))
				goto bad;
			p = *end ? end + 1 : end;
			if (a == b || a >= RTE_MAX_ETHPORTS || b >= RTE_MAX_ETHPORTS ||
			    !rte_eth_dev_is_valid_port((uint16_t)a) ||
			    !rte_eth_dev_is_valid_port((uint16_t)b)) {
				fprintf(stderr, "%s: --inline: %lu:%lu does not name two existing "
					"ports\n", app->prog, a, b);
				return -1;
			}
			if (app->peer[a] != NO_PORT || app->peer[b] != NO_PORT) {
				fprintf(stderr, "%s: --inline: port %lu or %lu is in two pairs\n",
					app->prog, a, b);
				return -1;
			}
			app->peer[a] = (uint16_t)b;
			app->peer[b] = (uint16_t)a;
		}
		for (uint16_t i = 0; i < n; i++)
			if (app->peer[order[i]] == NO_PORT) {
				fprintf(stderr, "%s: --inline: port %u is in no pair\n", app->prog,
					order[i]);
				return -1;
			}
	}
	for (uint16_t i = 0; i < n; i++)
		if ((app->tx[order[i]] = calloc(1, sizeof(struct txbuf))) == NULL)
			goto nomem;
	if ((app->eps = calloc(EP_SLOTS, sizeof(*app->eps))) == NULL)
		goto nomem;
	for (unsigned i = 0; i < EP_SLOTS; i++)
		app->eps[i].port = NO_PORT;
	app->deadline_tsc = rte_get_tsc_hz() / 1000000 * app->tx_deadline_us;
	if (app->deadline_tsc == 0)
		app->deadline_tsc = 1;
	return 0;
bad:
	fprintf(stderr, "%s: --inline: '%s' is not a list of pairs like 0:1,2:3\n", app->prog,
		app->pairs);
	return -1;
nomem:
	fprintf(stderr, "%s: out of memory\n", app->prog);
	return -1;
}

/* --inline-out: the injection cache (one virtual port 0, paired with
 * itself). The capture is opened at the first frame, with its link type. */
static int
setup_inline_out(struct mos_app *app)
{
	app->dump_linktype = -1;
	if ((app->eps = calloc(EP_SLOTS, sizeof(*app->eps))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", app->prog);
		return -1;
	}
	for (unsigned i = 0; i < EP_SLOTS; i++)
		app->eps[i].port = NO_PORT;
	app->peer[0] = 0;
	return 0;
}

/* --inline-out: write one frame (@ts_ns, @caplen bytes captured of
 * @wirelen) of link type @linktype. The file takes the link type of the
 * first frame; frames of another link type cannot be written and are
 * counted in tx_dropped, as are write errors (the run then fails). */
static void
dump_frame(struct mos_app *app, const uint8_t *d, uint32_t caplen, uint32_t wirelen,
	   int linktype, uint64_t ts_ns)
{
	struct pcap_pkthdr h;

	if (app->dump_linktype < 0) {
		int dlt = linktype == MOS_LINK_RAW ? DLT_RAW : linktype;

		app->dump_linktype = linktype;
		app->dead = pcap_open_dead_with_tstamp_precision(dlt, MOS_FRAME_MAX,
								 PCAP_TSTAMP_PRECISION_NANO);
		if (app->dead && (app->dump = pcap_dump_open(app->dead, app->inline_out)) == NULL)
			fprintf(stderr, "%s: cannot write '%s': %s\n", app->prog, app->inline_out,
				pcap_geterr(app->dead));
		if (app->dump == NULL)
			app->failed = true;
	}
	if (app->dump == NULL || linktype != app->dump_linktype) {
		app->io.tx_dropped++;
		return;
	}
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u);   /* nanoseconds: NANO precision */
	h.caplen = caplen;
	h.len = wirelen > caplen ? wirelen : caplen;
	pcap_dump((u_char *)app->dump, &h, d);
	app->io.tx_packets++;
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
	app->tx_deadline_us = 100;
	app->out = stdout;
	for (unsigned i = 0; i < RTE_MAX_ETHPORTS; i++)
		app->peer[i] = NO_PORT;
	for (unsigned i = 0; i < MAX_SOURCES; i++)
		app->src_port[i] = NO_PORT;

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
	/* Records of capture files go out in large writes (stdio's 4 KiB
	 * meant a system call per 4 KiB of records); live runs keep the
	 * default, so records are seen soon after they are made. The buffer
	 * is static: glibc ignores the size without one, and stdout may
	 * still use it after the app is gone. */
	if (app->n_pcaps > 0 && !isatty(fileno(app->out))) {
		static char out_buf[OUT_BUFFER];

		setvbuf(app->out, out_buf, _IOFBF, sizeof(out_buf));
	}
	/* Capture files alone need no EAL (mos/pktpool.h): it starts only
	 * for --dpdk. */
	if (app->eal_args && start_eal(app) < 0)
		goto fail;
	app->started = true;
	app->progress.on = !app->quiet && isatty(STDERR_FILENO);
	mos_tsc_now_ns();       /* calibrate before anything runs */

	/* Files alone hold mbufs for one burst (<= BURST_MAX) plus the
	 * mempool cache: a smaller pool, whose population (every mbuf
	 * written, its pages faulted in) was a third of a short run. */
	app->pool = mos_pktpool_create("mos_pkts",
				       app->workers && app->n_pcaps == 0 ?
				       mos_app_live_pool_size(app->workers, POOL_MBUFS) :
				       app->eal_args == NULL && !app->inline_mode ? OFFLINE_MBUFS
										  : POOL_MBUFS,
				       RTE_MBUF_DEFAULT_DATAROOM, (int)rte_socket_id());
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
	if (app->eal_up && open_ports(app) < 0)
		goto fail;
	if (app->n_src == 0) {
		fprintf(stderr, "%s: no input: the EAL arguments created no port\n", prog);
		goto fail;
	}
	if (app->inline_mode && setup_inline(app) < 0)
		goto fail;
	if (app->inline_out && setup_inline_out(app) < 0)
		goto fail;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return app;
fail:
	mos_app_destroy(app);
	errno = EINVAL;
	return NULL;
}

/* ---- inline forwarding ---------------------------------------------------- */

/* Send what @port's batch holds; frames the port refuses are retried
 * TX_RETRIES times in all, then freed and counted. */
static void
tx_flush(struct mos_app *app, uint16_t port)
{
	struct txbuf *tb = app->tx[port];
	rte_spinlock_t *lock = app->txlock[port] ? &app->txlock[port][app->txq[port]] : NULL;
	uint16_t sent = 0;

	if (lock)
		rte_spinlock_lock(lock);
	for (int t = 0; t < TX_RETRIES && sent < tb->n; t++)
		sent += rte_eth_tx_burst(port, app->txq[port], tb->m + sent,
					 (uint16_t)(tb->n - sent));
	if (lock)
		rte_spinlock_unlock(lock);
	app->io.tx_packets += sent;
	if (sent < tb->n) {
		app->io.tx_dropped += (uint64_t)(tb->n - sent);
		rte_pktmbuf_free_bulk(tb->m + sent, (unsigned)(tb->n - sent));
	}
	tb->n = 0;
}

/* Queue @m for @port; a full batch (--burst frames) is sent at once. */
static inline void
tx_queue(struct mos_app *app, uint16_t port, struct rte_mbuf *m, uint64_t now_tsc)
{
	struct txbuf *tb = app->tx[port];

	if (tb->n == 0)
		tb->deadline = now_tsc + app->deadline_tsc;
	tb->m[tb->n++] = m;
	if (tb->n >= app->burst)
		tx_flush(app, port);
}

/* Send the batches whose deadline passed, or every non-empty one (@all). */
static void
tx_flush_due(struct mos_app *app, bool all)
{
	uint64_t now = rte_rdtsc();
	uint16_t port;

	RTE_ETH_FOREACH_DEV(port)
		if (app->tx[port] && app->tx[port]->n > 0 && (all || now >= app->tx[port]->deadline))
			tx_flush(app, port);
}

/* Fill @k from raw IP bytes: @src/@dst addresses of @alen bytes, TCP
 * header @tcp (ports at its start). */
static inline void
ep_key_fill(struct ep_key *k, uint8_t version, const uint8_t *src, const uint8_t *dst,
	    unsigned alen, const uint8_t *tcp, bool reverse)
{
	memset(k, 0, sizeof(*k));
	k->version = version;
	memcpy(reverse ? k->dst : k->src, src, alen);
	memcpy(reverse ? k->src : k->dst, dst, alen);
	k->sport = (uint16_t)(tcp[reverse ? 2 : 0] << 8 | tcp[reverse ? 3 : 1]);
	k->dport = (uint16_t)(tcp[reverse ? 0 : 2] << 8 | tcp[reverse ? 1 : 3]);
}

static inline struct ep_slot *
ep_slot_of(struct mos_app *app, const struct ep_key *k)
{
	return &app->eps[rte_jhash(k, sizeof(*k), 0) & (EP_SLOTS - 1)];
}

/* Remember the port and Ethernet header of a TCP frame received on @port
 * (plain Ethernet with up to 4 VLAN tags; tunnelled frames are skipped). */
static inline void
ep_record(struct mos_app *app, const struct mos_pkt *pkt, uint16_t port)
{
	const uint8_t *ip = pkt->data + pkt->l3_off;
	unsigned l2 = 14u + 4u * pkt->n_vlans;
	struct ep_key k;
	struct ep_slot *e;

	if (pkt->l4_proto != IPPROTO_TCP || !(pkt->flags & MOS_PKT_F_L4) ||
	    (pkt->flags & (MOS_PKT_F_TUNNEL | MOS_PKT_F_MPLS | MOS_PKT_F_PPPOE)) ||
	    pkt->n_vlans > 4 || pkt->l3_off != l2)
		return;
	if (pkt->ip_version == 4)
		ep_key_fill(&k, 4, ip + 12, ip + 16, 4, pkt->data + pkt->l4_off, false);
	else
		ep_key_fill(&k, 6, ip + 8, ip + 24, 16, pkt->data + pkt->l4_off, false);
	e = ep_slot_of(app, &k);
	e->key = k;
	e->port = port;
	e->l2_len = (uint8_t)l2;
	memcpy(e->l2, pkt->data, l2);
}

/* drain_injected's emit: frame @ip (raw IP, @len bytes) addressed to
 * endpoint E from P. Rule: if a frame from E to P was seen, send out of the
 * port it arrived on with that frame's MAC addresses swapped; else if a frame
 * from P to E was seen, send out of the port paired with its port with its
 * Ethernet header as it was; else count it unrouted. VLAN tags are kept. */
static void
inject_emit(void *arg, const uint8_t *ip, uint16_t len)
{
	struct mos_app *app = arg;
	const struct ep_slot *e;
	struct ep_key k;
	struct rte_mbuf *m;
	uint16_t port;
	uint8_t l2[L2_MAX];
	unsigned l2_len, ihl, total;
	uint8_t *d;

	if (app->dump_linktype == MOS_LINK_RAW || app->dump_linktype == MOS_LINK_IPV4 ||
	    app->dump_linktype == MOS_LINK_IPV6) {
		/* --inline-out on a raw-IP capture: no link header to find */
		app->io.injected_sent++;
		dump_frame(app, ip, len, len, app->dump_linktype, app->now_ns);
		return;
	}
	if (len >= 20 && ip[0] >> 4 == 4 && ip[9] == IPPROTO_TCP &&
	    (ihl = (ip[0] & 15u) * 4u) >= 20 && len >= ihl + 20)
		ep_key_fill(&k, 4, ip + 12, ip + 16, 4, ip + ihl, true);
	else if (len >= 60 && ip[0] >> 4 == 6 && ip[6] == IPPROTO_TCP)
		ep_key_fill(&k, 6, ip + 8, ip + 24, 16, ip + 40, true);
	else
		goto unrouted;
	/* k is now E -> P. */
	e = ep_slot_of(app, &k);
	if (e->port != NO_PORT && !memcmp(&e->key, &k, sizeof(k))) {
		port = e->port;
		l2_len = e->l2_len;
		memcpy(l2, e->l2 + 6, 6);             /* dst MAC = E's MAC (src of E's frame) */
		memcpy(l2 + 6, e->l2, 6);             /* src MAC = P's MAC (dst of E's frame) */
		memcpy(l2 + 12, e->l2 + 12, l2_len - 12);
	} else {
		struct ep_key r = k;

		memcpy(r.src, k.dst, 16);
		memcpy(r.dst, k.src, 16);
		r.sport = k.dport;
		r.dport = k.sport;
		e = ep_slot_of(app, &r);
		if (e->port == NO_PORT || memcmp(&e->key, &r, sizeof(r)) ||
		    app->peer[e->port] == NO_PORT)
			goto unrouted;
		port = app->peer[e->port];
		l2_len = e->l2_len;
		memcpy(l2, e->l2, l2_len);
	}
	total = l2_len + len < 60 ? 60 : l2_len + len;   /* Ethernet minimum */
	if (app->inline_out) {
		uint8_t f[L2_MAX + UINT16_MAX];

		memcpy(f, l2, l2_len);
		memcpy(f + l2_len, ip, len);
		memset(f + l2_len + len, 0, total - l2_len - len);
		app->io.injected_sent++;
		dump_frame(app, f, total, total, MOS_LINK_ETHERNET, app->now_ns);
		return;
	}
	if ((m = rte_pktmbuf_alloc(app->pool)) == NULL ||
	    (d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)total)) == NULL) {
		rte_pktmbuf_free(m);
		app->io.tx_dropped++;
		return;
	}
	memcpy(d, l2, l2_len);
	memcpy(d + l2_len, ip, len);
	memset(d + l2_len + len, 0, total - l2_len - len);
	app->io.injected_sent++;
	tx_queue(app, port, m, rte_rdtsc());
	return;
unrouted:
	app->io.injected_unrouted++;
}

/* Inline: let the stage hand over its injected frames. */
static inline void
drain(struct mos_app *app, const struct mos_stage *stage)
{
	if ((app->inline_mode || app->inline_out) && stage && stage->drain_injected)
		stage->drain_injected(stage->arg, inject_emit, app);
}

void
mos_app_progress(struct mos_app *app, uint64_t packets, bool final)
{
	struct progress *pr = &app->progress;
	uint64_t now;

	if (!pr->on || (final && !pr->shown))
		return;
	now = mos_tsc_now_ns();
	if (pr->last == 0) {
		pr->last = now;
		return;
	}
	/* the first line after a second, then one a second */
	if (!final && now - pr->last < 1000000000ull)
		return;
	fprintf(stderr, "\r%s: %llu packets, %.2f Mpps, %llu malformed%s", app->prog,
		(unsigned long long)packets,
		(double)(packets - pr->last_pkts) * 1e3 / (double)(now - pr->last + 1),
		(unsigned long long)mos_stats_malformed_total(&app->stats), final ? "\n" : "");
	pr->last = now;
	pr->last_pkts = packets;
	pr->shown = true;
}

/* One burst received from @port (NO_PORT: a capture file): decode it
 * (unless @decoded), count it, advance the clock, run the stage, then
 * forward, write (--inline-out) or free every frame. */
static void
process_burst(struct mos_app *app, const struct mos_stage *stage, uint16_t port,
	      struct rte_mbuf **mbufs, struct mos_pkt *pkts, uint16_t n, bool decoded)
{
	uint8_t verdicts[BURST_MAX];
	bool fwd = (app->inline_mode && port != NO_PORT) || app->inline_out;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = mbufs[i];
		const struct mos_mbuf_priv *pv = mos_mbuf_priv(m);

		if (!decoded) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(mbufs[i + 1], void *));
			mos_decode(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, pv->wirelen,
				   pv->linktype, pv->ts_ns, &pkts[i]);
		}
		mos_stats_count(&app->stats, &pkts[i]);
		if (pv->ts_ns > app->now_ns || port != NO_PORT)
			app->now_ns = pv->ts_ns;
		if (fwd)
			ep_record(app, &pkts[i], app->inline_out ? 0 : port);
	}
	memset(verdicts, 0, n);
	if (stage && stage->burst_verdicts)
		stage->burst_verdicts(stage->arg, pkts, mbufs, n, app->now_ns, verdicts);
	else if (stage && stage->burst)
		stage->burst(stage->arg, pkts, mbufs, n, app->now_ns);
	if (fwd && app->inline_out) {
		for (uint16_t i = 0; i < n; i++) {
			const struct mos_mbuf_priv *pv = mos_mbuf_priv(mbufs[i]);

			if (verdicts[i]) {
				app->io.dropped++;
			} else {
				app->io.forwarded++;
				dump_frame(app, rte_pktmbuf_mtod(mbufs[i], const uint8_t *),
					   mbufs[i]->data_len, pv->wirelen, pv->linktype, pv->ts_ns);
			}
		}
		rte_pktmbuf_free_bulk(mbufs, n);
		drain(app, stage);
	} else if (fwd) {
		uint16_t out = app->peer[port];
		uint64_t tsc = rte_rdtsc();

		for (uint16_t i = 0; i < n; i++) {
			if (verdicts[i]) {
				app->io.dropped++;
				rte_pktmbuf_free(mbufs[i]);
			} else {
				app->io.forwarded++;
				tx_queue(app, out, mbufs[i], tsc);
			}
		}
		drain(app, stage);
	} else {
		for (uint16_t i = 0; i < n; i++)
			app->io.dropped += verdicts[i] != 0;
		rte_pktmbuf_free_bulk(mbufs, n);
	}
}

/* The end of a polling round: the tick when nothing arrived (@got_any
 * false), and the TX batches that are due (all of them when idle). */
static void
end_round(struct mos_app *app, const struct mos_stage *stage, bool got_any)
{
	if (!got_any && stage && stage->tick) {
		/* Live, the clock follows the TSC; offline it is packet
		 * time only (a read that found the end of a file must not
		 * jump it to today and time every flow out). */
		uint64_t now = app->eal_args ? mos_tsc_now_ns() : 0;

		if (now > app->now_ns)
			app->now_ns = now;
		stage->tick(stage->arg, app->now_ns);
		drain(app, stage);
	}
	if (app->inline_mode)
		tx_flush_due(app, !got_any);
}

/* End of the run: the stage's finish, its last injected frames, and
 * every TX batch sent. */
static void
end_run(struct mos_app *app, const struct mos_stage *stage)
{
	if (stage && stage->finish)
		stage->finish(stage->arg, app->now_ns);
	if (app->inline_mode) {
		drain(app, stage);
		tx_flush_due(app, true);
	}
	if (app->inline_out)
		drain(app, stage);
}

int
mos_app_run(struct mos_app *app, const struct mos_stage *stage)
{
	struct rte_mbuf *mbufs[BURST_MAX];
	struct mos_pkt pkts[BURST_MAX];
	int rc = 0;

	if (app->workers) {
		fprintf(stderr, "%s: this program runs one loop: --workers needs a program that "
			"runs workers (docs/deployment.md)\n", app->prog);
		app->failed = true;
		return -EINVAL;
	}
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
			process_burst(app, stage, app->src_port[s], mbufs, pkts, n, false);
		}
		if (all_done)
			break;
		end_round(app, stage, got_any);
		mos_app_progress(app, app->stats.packets, false);
	}
	end_run(app, stage);
	mos_app_progress(app, app->stats.packets, true);
	mos_app_ports_done(app);
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

const struct mos_app_io_stats *
mos_app_io_stats(const struct mos_app *app)
{
	return &app->io;
}

void
mos_app_io_stats_json(const struct mos_app_io_stats *io, FILE *out)
{
	fprintf(out, ",\"forwarded\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"tx_packets\":%" PRIu64
		",\"tx_dropped\":%" PRIu64 ",\"injected_sent\":%" PRIu64
		",\"injected_unrouted\":%" PRIu64 ",\"rx_missed\":%" PRIu64
		",\"rx_errors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64, io->forwarded, io->dropped,
		io->tx_packets, io->tx_dropped, io->injected_sent, io->injected_unrouted,
		io->rx_missed, io->rx_errors, io->rx_nombuf);
}

bool
mos_app_inline(const struct mos_app *app)
{
	return app->inline_mode || app->inline_out;
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

const struct mos_resources *
mos_app_resources(const struct mos_app *app)
{
	return app->have_res ? &app->res : NULL;
}

void
mos_app_set_resources(struct mos_app *app, struct mos_ctx *const *ctxs, unsigned n)
{
	memset(&app->res, 0, sizeof(app->res));
	for (unsigned w = 0; w < n; w++)
		mos_resources_add(&app->res, ctxs[w]);
	app->have_res = true;
}

/* Whether any source is a live port. */
static bool
has_ports(const struct mos_app *app)
{
	for (unsigned s = 0; s < app->n_src; s++)
		if (app->src_port[s] != NO_PORT)
			return true;
	return false;
}

/* Write --stats: the decoder's object (mos_stats_write_json) with the
 * forwarding counters appended when the run has live ports or is inline,
 * then "resources" when contexts ran (docs/runtime.md).
 * Returns false on failure (reported). */
static bool
write_stats(struct mos_app *app)
{
	const struct mos_app_io_stats *io = &app->io;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len), *f = NULL;
	bool ok = mem != NULL;

	if (mem) {
		ok = mos_stats_write_json(&app->stats, mem) == 0;
		if (fclose(mem) != 0)
			ok = false;
	}
	/* "...}\n" becomes "...,<counters>,"resources":{...}}\n" */
	if (ok && len >= 2 && buf[len - 2] == '}' && (f = fopen(app->stats_path, "w")) != NULL) {
		fwrite(buf, 1, len - 2, f);
		if (has_ports(app) || app->inline_out)
			mos_app_io_stats_json(io, f);
		if (app->have_res) {
			fputc(',', f);
			mos_resources_json(&app->res, f);
		}
		fputs("}\n", f);
		ok = fflush(f) == 0 && !ferror(f);
		if (fclose(f) != 0)
			ok = false;
	} else {
		ok = false;
	}
	free(buf);
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
	for (unsigned p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (app->tx[p] && app->tx[p]->n) {     /* frames left in a batch */
			rte_pktmbuf_free_bulk(app->tx[p]->m, app->tx[p]->n);
			app->io.tx_dropped += app->tx[p]->n;
		}
		free(app->tx[p]);
		app->tx[p] = NULL;
		free(app->txlock[p]);
		app->txlock[p] = NULL;
	}
	if (app->stats_path && app->started && !write_stats(app))
		app->failed = true;
	if (app->out && (fflush(app->out) != 0 || ferror(app->out))) {
		fprintf(stderr, "%s: error writing records: %s\n", app->prog, strerror(errno));
		app->failed = true;
	}
	if (app->out && app->out != stdout)
		fclose(app->out);
	if (app->dump) {
		pcap_dump_flush(app->dump);
		if (ferror(pcap_dump_file(app->dump))) {
			fprintf(stderr, "%s: error writing '%s'\n", app->prog, app->inline_out);
			app->failed = true;
		}
		pcap_dump_close(app->dump);
	} else if (app->inline_out && app->dump_linktype < 0 && app->started) {
		/* no frame at all: still leave an (empty, Ethernet) capture */
		pcap_t *d = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, MOS_FRAME_MAX,
								 PCAP_TSTAMP_PRECISION_NANO);
		pcap_dumper_t *w = d ? pcap_dump_open(d, app->inline_out) : NULL;

		if (w)
			pcap_dump_close(w);
		else
			app->failed = true;
		if (d)
			pcap_close(d);
	}
	if (app->dead)
		pcap_close(app->dead);
	mos_app_workers_free();
	for (unsigned s = 0; s < app->n_src; s++)
		mos_source_close(app->src[s]);
	free(app->eps);
	if (app->eal_up) {
		RTE_ETH_FOREACH_DEV(port) {
			rte_eth_dev_stop(port);
			rte_eth_dev_close(port);
		}
	}
	mos_pktpool_free(app->pool);
	mos_pktpool_free(app->big_pool);
	if (app->eal_up)
		rte_eal_cleanup();
	status = app->failed ? 1 : 0;
	free(app->eal_args);
	free(app->pcaps);
	free(app);
	return status;
}

/* ---- for the multi-worker run (app_private.h) ----------------------------- */

unsigned
mos_app_workers(const struct mos_app *app)
{
	return app->workers;
}

struct mos_source *mos_app_source(struct mos_app *app) { return app->n_pcaps ? app->src[0] : NULL; }
uint16_t mos_app_burst(const struct mos_app *app) { return app->burst; }
const char *mos_app_prog(const struct mos_app *app) { return app->prog; }
struct mos_stats *mos_app_stats_rw(struct mos_app *app) { return &app->stats; }
struct mos_app_io_stats *mos_app_io_rw(struct mos_app *app) { return &app->io; }
void mos_app_set_now(struct mos_app *app, uint64_t now_ns) { app->now_ns = now_ns; }
bool mos_app_stop_requested(void) { return stop_requested != 0; }

bool
mos_app_files_only(const struct mos_app *app)
{
	return app->n_pcaps > 0 && app->n_src == 1 && !app->inline_out && !app->inline_mode;
}

void
mos_app_fail(struct mos_app *app)
{
	app->failed = true;
}

/* ---- live workers: one lane per worker (app_private.h) -------------------- */

struct mos_app *
mos_app_lane_new(struct mos_app *app, unsigned w)
{
	struct mos_app *l = malloc(sizeof(*l));
	uint16_t port;

	if (l == NULL)
		return NULL;
	*l = *app;
	l->lane = true;
	memset(&l->stats, 0, sizeof(l->stats));
	memset(&l->io, 0, sizeof(l->io));
	memset(l->tx, 0, sizeof(l->tx));
	l->eps = NULL;
	RTE_ETH_FOREACH_DEV(port) {
		l->txq[port] = app->n_txq[port] ? (uint16_t)(w % app->n_txq[port]) : 0;
		if (app->tx[port] && (l->tx[port] = calloc(1, sizeof(struct txbuf))) == NULL)
			goto nomem;
	}
	if (app->eps) {
		if ((l->eps = calloc(EP_SLOTS, sizeof(*l->eps))) == NULL)
			goto nomem;
		for (unsigned i = 0; i < EP_SLOTS; i++)
			l->eps[i].port = NO_PORT;
	}
	return l;
nomem:
	for (unsigned p = 0; p < RTE_MAX_ETHPORTS; p++)
		free(l->tx[p]);
	free(l);
	return NULL;
}

void
mos_app_lane_burst(struct mos_app *lane, const struct mos_stage *stage, uint16_t port,
		   struct rte_mbuf **mbufs, struct mos_pkt *pkts, uint16_t n, bool decoded)
{
	process_burst(lane, stage, port, mbufs, pkts, n, decoded);
}

void
mos_app_lane_round(struct mos_app *lane, const struct mos_stage *stage, bool got_any)
{
	end_round(lane, stage, got_any);
}

void
mos_app_lane_end(struct mos_app *lane, const struct mos_stage *stage)
{
	end_run(lane, stage);
}

const struct mos_stats *
mos_app_lane_stats(const struct mos_app *lane)
{
	return &lane->stats;
}

void
mos_app_lane_merge(struct mos_app *app, struct mos_app *lane)
{
	struct mos_app_io_stats *a = &app->io;
	const struct mos_app_io_stats *b = &lane->io;

	mos_stats_add(&app->stats, &lane->stats);
	a->forwarded += b->forwarded;
	a->dropped += b->dropped;
	a->tx_packets += b->tx_packets;
	a->tx_dropped += b->tx_dropped;
	a->injected_sent += b->injected_sent;
	a->injected_unrouted += b->injected_unrouted;
	for (unsigned p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (lane->tx[p] && lane->tx[p]->n) {   /* not sent: counted */
			rte_pktmbuf_free_bulk(lane->tx[p]->m, lane->tx[p]->n);
			a->tx_dropped += lane->tx[p]->n;
		}
		free(lane->tx[p]);
	}
	if (lane->now_ns > app->now_ns)
		app->now_ns = lane->now_ns;
	app->failed |= lane->failed;
	free(lane->eps);
	free(lane);
}

bool
mos_app_live(const struct mos_app *app)
{
	return app->n_pcaps == 0;
}

unsigned
mos_app_n_sources(const struct mos_app *app)
{
	return app->n_src;
}

struct mos_source *
mos_app_source_at(struct mos_app *app, unsigned k, uint16_t *port, uint16_t *queue)
{
	*port = app->src_port[k];
	*queue = app->src_queue[k];
	return app->src[k];
}

bool
mos_app_port_rss(const struct mos_app *app, uint16_t port, uint16_t *nrxq)
{
	*nrxq = app->n_rxq[port];
	return app->rss[port];
}
