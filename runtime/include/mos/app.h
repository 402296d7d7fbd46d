/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/app.h — the skeleton every mos program runs on: command line, EAL
 * start-up, packet pools, sources, the receive/decode loop, the packet
 * clock, and run statistics.
 *
 * Common options (every program built on the runtime accepts them):
 *   -r FILE            read a pcap/pcapng capture (repeatable, read in order)
 *   --dpdk 'ARGS'      EAL arguments for live ports (vdevs, -a PCI, -l ...)
 *   --out FILE         records go to FILE instead of stdout
 *   --stats FILE       write run statistics as one JSON object at the end
 *   --burst N          burst size (default 32)
 *   --inline [PAIRS]   forward between port pairs (0:1,2:3,...; default:
 *                      consecutive ports in port order); see below
 *   --tx-deadline US   inline: longest time a frame waits in a TX batch
 *                      (microseconds, default 100)
 *   --inline-out FILE  with -r: run inline on the captures and write what
 *                      would be sent (forwarded, edited, injected frames;
 *                      not the dropped ones) to the pcap FILE
 *   --workers N        N worker cores share the capture (-r) or the live
 *                      ports (--dpdk); see mos_app_run_workers
 *   -q, --quiet        no progress line
 *   -h, --help
 * The EAL always gets --no-huge --no-pci --no-shconf --no-telemetry
 * --log-level=warning -l 0 and -m 512 unless ARGS names the option itself
 * (or --huge is given, which drops --no-huge; -a/-b drop --no-pci), so a
 * program works on a machine without hugepages and without a NIC.
 *
 * The loop: receive a burst from each source in turn, decode every frame
 * into a struct mos_pkt, count it, advance the packet clock, and hand the
 * burst to the program's stage. Offline, the clock is packet time (the
 * largest timestamp seen so far, so it never goes back); live, the TSC.
 *
 * Modes. Passive (the default) never transmits. Inline (--inline, ports
 * only): every received frame is sent unchanged at L2 (MAC addresses as
 * they were; edits made by the stage included) to the paired port unless
 * the stage's verdict drops it. TX is batched per port and flushed when a
 * batch holds --burst frames, when a polling round receives nothing, and
 * at the latest --tx-deadline after the first frame of the batch entered
 * it. Frames the port refuses are retried a few times, then freed and
 * counted (tx_dropped). Frames the stage asks to inject (raw IP, see
 * drain_injected) get an Ethernet header from the last TCP frame seen
 * between the same two endpoints and go out of the port on which the
 * addressed endpoint's frames arrive (see docs/deployment.md).
 */
#ifndef MOS_APP_H
#define MOS_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "mos/decode.h"
#include "mos/stats.h"

/* What a program plugs into the loop. Every member may be NULL. */
struct mos_stage {
	/* A decoded burst: pkts[i] describes mbufs[i]; malformed frames are
	 * included (pkts[i].malformed != 0). The stage must not keep pointers
	 * into the packets after it returns: the loop frees the mbufs. */
	void (*burst)(void *arg, struct mos_pkt *pkts, struct rte_mbuf **mbufs,
		      uint16_t n, uint64_t now_ns);
	/* The clock advanced with no packet (live ports, idle). */
	void (*tick)(void *arg, uint64_t now_ns);
	/* End of input (or a signal): flush state, e.g. end every flow. */
	void (*finish)(void *arg, uint64_t now_ns);
	void *arg;                   /* passed to every callback */

	/* Optional; when set the loop calls it instead of burst: the same
	 * contract, plus verdicts[i] (0 forward, 1 drop: enum mos_verdict of
	 * mos/mos.h) for each frame, which the loop sets to 0 before the call.
	 * Inline, dropped frames are not sent; every mode counts them. */
	void (*burst_verdicts)(void *arg, struct mos_pkt *pkts, struct rte_mbuf **mbufs,
			       uint16_t n, uint64_t now_ns, uint8_t *verdicts);
	/* Optional; inline mode only: hand over the frames the program wants
	 * injected, each a raw IPv4/IPv6 packet without link header, by calling
	 * emit(emit_arg, ip, len) for each, then forget them. Called after every
	 * burst and tick and at finish. Passive and offline, it is never called
	 * (the program keeps and counts what it recorded). */
	void (*drain_injected)(void *arg,
			       void (*emit)(void *emit_arg, const uint8_t *ip, uint16_t len),
			       void *emit_arg);
};

/* Counters of the forwarding path (written at the end of --stats). */
struct mos_app_io_stats {
	uint64_t forwarded;          /* frames queued for the paired port (inline) */
	uint64_t dropped;            /* frames a stage verdict dropped (any mode) */
	uint64_t tx_packets;         /* frames the ports accepted (forwarded + injected) */
	uint64_t tx_dropped;         /* frames a port refused after retries, or left at exit */
	uint64_t injected_sent;      /* injected frames queued for transmission */
	uint64_t injected_unrouted;  /* injected frames with no known port/L2 header, freed */
	uint64_t rx_missed;          /* live: frames the ports dropped for lack of room
				      * (rte_eth_stats imissed: the box was too slow) */
	uint64_t rx_errors;          /* live: erroneous frames the ports dropped (ierrors) */
	uint64_t rx_nombuf;          /* live: frames dropped because the mbuf pool was empty */
};

/*
 * A program's own options. parse() is called for each argument the
 * runtime does not know: it returns the number of arguments it consumed
 * (1 or 2) or 0 if it does not know it either (then the run fails with a
 * usage error), or -1 after printing its own error.
 */
struct mos_app_options {
	int (*parse)(void *arg, int argc, char **argv, int i);
	void *arg;                   /* passed to parse() */
	const char *usage;           /* lines describing those options */
};

struct mos_app;

/*
 * Parse the command line, start the EAL, make the pools and open the
 * sources. @prog: program name for messages. @opts may be NULL.
 * On error prints a message naming the problem on stderr and returns NULL;
 * errno is EINVAL for usage errors. After "--help" it returns NULL with
 * errno 0.
 */
struct mos_app *mos_app_create(const char *prog, int argc, char **argv,
			       const struct mos_app_options *opts);

/* Run until every source is done (offline) or SIGINT/SIGTERM arrives.
 * Returns 0, or -errno when a source failed (the error is printed). */
int mos_app_run(struct mos_app *app, const struct mos_stage *stage);

/* Where records go: the --out file or stdout. */
FILE *mos_app_out(struct mos_app *app);

/* Statistics so far. */
const struct mos_stats *mos_app_stats(const struct mos_app *app);

/* Forwarding counters so far (all zero in passive and offline runs,
 * except dropped). */
const struct mos_app_io_stats *mos_app_io_stats(const struct mos_app *app);

/* Write @io as the JSON members ,"forwarded":N,... (the tail --stats
 * gets when the run has ports or is inline). The port counters (rx_*)
 * are read when a live run ends. */
void mos_app_io_stats_json(const struct mos_app_io_stats *io, FILE *out);

/* Whether the run is inline: --inline on ports, or --inline-out on captures. */
bool mos_app_inline(const struct mos_app *app);

/* Whether -q/--quiet was given. */
bool mos_app_quiet(const struct mos_app *app);

/* The packet clock, ns since the epoch. */
uint64_t mos_app_now_ns(const struct mos_app *app);

/* ---- several worker cores --------------------------------------------------
 *
 * With --workers N a program makes N contexts (share-nothing: each its own
 * flow table, pools, timers and counters), each writing its records to
 * mos_app_worker_out(app, w), and runs them with mos_app_run_workers.
 * Offline, every worker takes every record of the captures in input order
 * (the records and their owners by the symmetric hash of mos/rss.h come
 * from a scan the workers share; runtime/split.h), advances its context to
 * the packet clock at every frame, its own or not, feeds its own frames
 * (and counts them in the run statistics), and ends each burst where the
 * single-core run ends it: expiry, timers and conn_new_data happen at the
 * same points of the input as in a one-worker run. Live, every worker
 * polls its queues and hands other workers' frames to them through rings
 * (docs/deployment.md).
 *
 * Record order (the same for every N): each record line is tagged with
 * the position in the input at which it was written (before frame i,
 * while processing frame i, at the end of the burst, at the end of the
 * input); lines are sorted by that position, and lines written at the same
 * position by byte comparison. The output is written when the run ends
 * (records are held in memory until then). Records must be whole lines
 * (JSON Lines; the CSV/TSV header of a worker's writer would repeat).
 */

/*
 * Live (--workers N with --dpdk, no -r): every port gets up to N receive
 * and N transmit queues (as many as it has). A port that can hash the IP
 * addresses (flow_type_rss_offloads & RTE_ETH_RSS_IP, masked by what it
 * reports) is given the symmetric key of mos/rss.h and a redirection table
 * matching mos_rss_worker(); worker q polls its queue q. Other queues
 * are dealt out to the workers in turn. Every worker decodes what it
 * receives, keeps the frames it owns (mos_rss_worker(mos_rss_hash())) and
 * hands the others to their owner through the owner's ring, so ownership
 * never depends on the NIC. The main lcore is the control core (progress
 * line, periodic flush of the records); the workers need N more lcores
 * (-l; by default N + 1 lcores float over every CPU). Records are whole
 * lines written as they end (no merge, no global order). SIGINT/SIGTERM:
 * every worker stops receiving, the rings are emptied into their owners
 * once all have stopped, then each ends its flows (mos_ctx_finish via the
 * stage), sends what it injected and its TX batches; --stats sums the
 * workers. Inline, a worker sends on its own TX queue of each port, or on
 * a shared one under a lock when the port has fewer queues than workers.
 */

/* Most workers --workers accepts. */
#define MOS_APP_MAX_WORKERS 64

/* --workers N, or 0 when not given (then use mos_app_run). */
unsigned mos_app_workers(const struct mos_app *app);

/* Worker @w's record stream (unbuffered; valid until mos_app_destroy),
 * NULL if @w >= mos_app_workers(). */
FILE *mos_app_worker_out(struct mos_app *app, unsigned w);

/* Contexts a program makes: mos_app_workers(), or 1 without --workers. */
unsigned mos_app_contexts(const struct mos_app *app);

/* Record stream of context @w: mos_app_worker_out(), or mos_app_out()
 * for the one context without --workers. */
FILE *mos_app_context_out(struct mos_app *app, unsigned w);

struct mos_ctx;

/* Run the mos_app_contexts() contexts @ctxs: with --workers through
 * mos_app_run_workers, otherwise ctxs[0] alone through its stage
 * (mos_ctx_stage, mos_app_run); then sum their resources
 * (mos_app_resources). Returns what the run returned. */
int mos_app_run_contexts(struct mos_app *app, struct mos_ctx *const *ctxs);

/* Run the capture (or, live, the ports until SIGINT/SIGTERM) over the
 * mos_app_workers() contexts @ctxs (ctxs[w] on worker w), end every flow
 * (mos_ctx_finish) and write the records of every worker to
 * mos_app_out() (offline in the order above). Frames a context
 * drops are counted in mos_app_io_stats()->dropped. Returns 0, or -errno
 * when a source failed or a worker could not start (printed). */
int mos_app_run_workers(struct mos_app *app, struct mos_ctx *const *ctxs);

struct mos_resources;

/* What the caps of the contexts run by mos_app_run_contexts cost, summed
 * over them once the run ended (mos/resources.h); NULL before, or when no
 * context was run that way. --stats ends with it as "resources". */
const struct mos_resources *mos_app_resources(const struct mos_app *app);

/* For a program that runs its context through its own stage (mos_app_run):
 * sum the resources of its @n contexts once the run ended, as
 * mos_app_run_contexts does, so that --stats reports them too. */
void mos_app_set_resources(struct mos_app *app, struct mos_ctx *const *ctxs, unsigned n);

/*
 * Write --stats, close the output and the sources, stop the EAL, free.
 * Returns the process exit status: 0, or 1 if any read or write failed.
 */
int mos_app_destroy(struct mos_app *app);

#endif /* MOS_APP_H */
