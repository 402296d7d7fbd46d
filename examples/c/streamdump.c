/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * streamdump — write the reassembled bytes of each direction of each TCP
 * connection to a file, read through the public stream API.
 *
 *   streamdump -r FILE.pcap -o DIR [--no-write] [--policy NAME]
 *              [--no-vlan-key] [--window BYTES] [--max-open N] [--max-flows N]
 *              (plus the common options of every mos program, mos/app.h)
 *
 * Output (a conformance interface: keep it stable; docs/reassembly.md,
 * section "streamdump"):
 *  - one file per direction of every TCP connection, both always created
 *    (empty when that direction carried no reassembled byte; DIR itself is
 *    created, one level, if missing):
 *      DIR/<client>_<cport>-<server>_<sport>_<n>.c2s   bytes the client sent
 *      DIR/<client>_<cport>-<server>_<sport>_<n>.s2c   bytes the server sent
 *  - client and server as the flow engine decides (conntrack's client and
 *    server: SYN sender, SYN-ACK receiver, else port < 1024 is the server,
 *    else the first packet's source); addresses as mos_addr_str writes
 *    them (dotted IPv4, RFC 5952 IPv6); ports in decimal;
 *  - n: 0-based occurrence of that (client, cport, server, sport) among
 *    the connections of the run, in order of connection start;
 *  - the in-order bytes only: a hole the receiver acknowledged is skipped
 *    and the bytes after it follow directly (nothing fills the hole); data
 *    beyond a hole nobody acknowledged is not written (as tshark);
 *  - overlaps resolved by the overlap policy (--policy, default linux,
 *    which gives tshark's bytes on the corpus).
 * Files of a run are created with truncation (an old file of the same name
 * is replaced). UDP flows are ignored.
 *
 * Reading: every conn_new_data callback drains the stream that grew with a
 * per-stream cursor (mos_stream_read_ptr), conn_end drains what remains.
 * Once a FIN ended a stream and all of it was read (tcp_state_change at the
 * receiver's hook), the stream is turned off so its pages return to the
 * pool during the TIME_WAIT linger. Window: --window (default 124 KiB, the
 * largest whose page slots fit inside the stream object).
 * Writing: a 16 KiB buffer per open file, write(2) when full; at most
 * --max-open files (default 4096, or the descriptor limit - 64 when lower)
 * are open at once, the least recently written closed first (and reopened
 * for append later), so 100k flows never exhaust file descriptors.
 * --no-write reads every byte and writes nothing (for benchmarks). The
 * summary's checksum is the sum of every byte read.
 *
 * Summary line on stderr (unless -q): connections, bytes per direction,
 * checksum, files written, dropped and gap bytes. Exit status 0, 1 when a
 * file could not be written (the first error is printed), 2 for a setup or
 * usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "mos/app.h"
#include "mos/bigmem.h"
#include "mos/mos.h"

#include "bytesum.h"

#define SD_WINDOW      (31u * 4096u) /* default --window: 124 KiB, the most a stream of 4 KiB pages takes without a page for its slot table */
#define SD_PAGES       16384u        /* 64 MiB of 4 KiB pages */
#define SD_STREAMS     262144u       /* directions buffered at once (closed flows keep theirs through the TIME_WAIT linger) */
#define SD_MAX_OPEN    4096u         /* default --max-open, lowered to the descriptor limit - 64 */
#define SD_FILE_BUF    (16u << 10)   /* write buffer per open file slot, allocated at its first use */

struct opts {
	const char *dir;             /* -o DIR */
	bool no_write;               /* --no-write */
	bool no_vlan_key;            /* --no-vlan-key */
	int policy;                  /* --policy (enum mos_stream_policy) */
	uint32_t max_open;           /* --max-open */
	uint32_t max_flows;          /* --max-flows (0: default) */
	uint32_t window;             /* --window: bytes per direction */
};

/* One direction of a connection (inside struct sd_flow). */
struct sd_dir {
	uint8_t cursor;              /* stream cursor id + 1, 0 = not opened */
	bool created;                /* file created (truncated) in this run */
	uint32_t slot;               /* open file slot + 1, 0 = not open */
	uint64_t bytes;              /* bytes read from the stream */
};

/* Per-flow state, in the flow engine's zeroed user area. */
struct sd_flow {
	bool started;                /* conn_start seen: n is valid */
	uint32_t n;                  /* occurrence of the 4-tuple */
	struct sd_dir d[2];          /* 0 = c2s, 1 = s2c */
};

/* An open file of the LRU. */
struct sd_file {
	int fd;                      /* open descriptor, -1 = free */
	uint32_t len;                /* bytes waiting in buf */
	struct sd_dir *owner;        /* direction writing to it */
	uint32_t prev, next;         /* LRU links (slot + 1, 0 = none); head = most recent */
	char *buf;                   /* write buffer (SD_FILE_BUF bytes; NULL: unbuffered) */
};

/* Occurrence counter of one 4-tuple (open-addressing table). */
struct sd_tuple {
	uint8_t key[36];             /* client addr, server addr, cport, sport (network order) */
	uint32_t count;              /* connections seen, 0 = empty slot */
};

struct run {
	struct opts *o;              /* options */
	struct mos_ctx *ctx;         /* the engine */
	struct sd_file *files;       /* max_open slots */
	uint32_t n_open;             /* files open */
	uint32_t head, tail;         /* LRU ends (slot + 1) */
	uint32_t free_head;          /* free slots closed before (slot + 1, linked by next) */
	uint32_t used_slots;         /* slots 1..used_slots have been used */
	struct sd_tuple *tuples;     /* occurrence table (mos_big_zalloc: looked up at random) */
	size_t n_tuples, cap_tuples; /* used and allocated entries (cap a power of two) */
	size_t tuples_mapped;        /* its length for mos_big_free */
	uint64_t conns;              /* TCP connections ended */
	uint64_t bytes[2];           /* bytes read per direction */
	uint64_t sum;                /* checksum of every byte read */
	uint64_t files_written;      /* files created */
	uint64_t gap[2];             /* gap bytes per direction (stream info) */
	uint64_t dropped[2];         /* bytes the reassembler could not store */
	uint64_t unacked[2];         /* bytes left above an unacknowledged hole at the end */
	uint64_t released;           /* streams whose pages were given back after their FIN */
	int err;                     /* first write error (errno), 0 = none */
};

static int
parse(void *arg, int argc, char **argv, int i)
{
	struct opts *o = arg;

	if (strcmp(argv[i], "--no-write") == 0) {
		o->no_write = true;
		return 1;
	}
	if (strcmp(argv[i], "--no-vlan-key") == 0) {
		o->no_vlan_key = true;
		return 1;
	}
	if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--policy") == 0 ||
	    strcmp(argv[i], "--max-open") == 0 || strcmp(argv[i], "--max-flows") == 0 ||
	    strcmp(argv[i], "--window") == 0) {
		char *end;
		unsigned long v;

		if (i + 1 >= argc) {
			fprintf(stderr, "streamdump: %s needs an argument\n", argv[i]);
			return -1;
		}
		if (strcmp(argv[i], "-o") == 0) {
			o->dir = argv[i + 1];
			return 2;
		}
		if (strcmp(argv[i], "--policy") == 0) {
			int p = mos_stream_policy_from_name(argv[i + 1]);

			if (p < 0) {
				fprintf(stderr, "streamdump: unknown policy '%s' (", argv[i + 1]);
				for (int k = 0; k < MOS_STREAM_POLICY_COUNT; k++)
					fprintf(stderr, "%s%s", k ? ", " : "",
						mos_stream_policy_name((enum mos_stream_policy)k));
				fprintf(stderr, ")\n");
				return -1;
			}
			o->policy = p;
			return 2;
		}
		v = strtoul(argv[i + 1], &end, 10);
		if (*end || v == 0 || v > (1ul << 30)) {
			fprintf(stderr, "streamdump: bad %s '%s'\n", argv[i], argv[i + 1]);
			return -1;
		}
		if (strcmp(argv[i], "--max-open") == 0)
			o->max_open = (uint32_t)v;
		else if (strcmp(argv[i], "--window") == 0)
			o->window = (uint32_t)v;
		else
			o->max_flows = (uint32_t)v;
		return 2;
	}
	return 0;
}

/* --- occurrence counter --------------------------------------------------- */

static uint64_t
tuple_hash(const uint8_t *k)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	for (int i = 0; i < 36; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

/* Count one more connection of @key; returns its 0-based occurrence, or
 * -ENOMEM. */
static int64_t
tuple_next(struct run *r, const uint8_t *key)
{
	size_t mask, i;

	if ((r->n_tuples + 1) * 2 > r->cap_tuples) {
		size_t cap = r->cap_tuples ? r->cap_tuples * 2 : 1024, mapped;
		struct sd_tuple *t = mos_big_zalloc(cap * sizeof(*t), &mapped);

		if (t == NULL)
			return -ENOMEM;
		for (size_t j = 0; j < r->cap_tuples; j++) {
			if (r->tuples[j].count == 0)
				continue;
			i = tuple_hash(r->tuples[j].key) & (cap - 1);
			while (t[i].count)
				i = (i + 1) & (cap - 1);
			t[i] = r->tuples[j];
		}
		mos_big_free(r->tuples, r->tuples_mapped);
		r->tuples = t;
		r->tuples_mapped = mapped;
		r->cap_tuples = cap;
	}
	mask = r->cap_tuples - 1;
	i = tuple_hash(key) & mask;
	while (r->tuples[i].count && memcmp(r->tuples[i].key, key, 36) != 0)
		i = (i + 1) & mask;
	if (r->tuples[i].count == 0) {
		memcpy(r->tuples[i].key, key, 36);
		r->n_tuples++;
	}
	return (int64_t)r->tuples[i].count++;
}

/* --- open files (LRU) ------------------------------------------------------- */

static void
lru_unlink(struct run *r, uint32_t s)
{
	struct sd_file *f = &r->files[s - 1];

	if (f->prev)
		r->files[f->prev - 1].next = f->next;
	else
		r->head = f->next;
	if (f->next)
		r->files[f->next - 1].prev = f->prev;
	else
		r->tail = f->prev;
	f->prev = f->next = 0;
}

static void
lru_push(struct run *r, uint32_t s)
{
	struct sd_file *f = &r->files[s - 1];

	f->prev = 0;
	f->next = r->head;
	if (r->head)
		r->files[r->head - 1].prev = s;
	r->head = s;
	if (r->tail == 0)
		r->tail = s;
}

static void
note_err(struct run *r, const char *what, int e)
{
	if (r->err == 0) {
		r->err = e ? e : EIO;
		fprintf(stderr, "streamdump: %s: %s\n", what, strerror(r->err));
	}
}

/* Write @n bytes to @fd, retrying short writes. 0 or -errno. */
static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write what slot @f holds back. */
static void
file_flush(struct run *r, struct sd_file *f)
{
	int rc = write_all(f->fd, f->buf, f->len);

	if (rc < 0)
		note_err(r, "write", -rc);
	f->len = 0;
}

/* Buffered write of @n bytes to slot @f. */
static void
file_write(struct run *r, struct sd_file *f, const void *p, size_t n)
{
	int rc;

	if (f->buf != NULL && f->len + n <= SD_FILE_BUF) {
		memcpy(f->buf + f->len, p, n);
		f->len += (uint32_t)n;
		return;
	}
	if (f->len)
		file_flush(r, f);
	if (f->buf != NULL && n < SD_FILE_BUF) {
		memcpy(f->buf, p, n);
		f->len = (uint32_t)n;
		return;
	}
	if ((rc = write_all(f->fd, p, n)) < 0)
		note_err(r, "write", -rc);
}

/* Close the file of slot @s (flushes it). */
static void
file_close(struct run *r, uint32_t s)
{
	struct sd_file *f = &r->files[s - 1];

	lru_unlink(r, s);
	if (f->len)
		file_flush(r, f);
	if (close(f->fd) != 0)
		note_err(r, "close", errno);
	f->fd = -1;
	f->owner->slot = 0;
	f->owner = NULL;
	f->next = r->free_head;      /* onto the free list */
	r->free_head = s;
	r->n_open--;
}

/* Path of one direction's file into @buf (PATH_MAX-sized). */
static void
file_path(struct run *r, const struct mos_flow *fl, const struct sd_flow *u, int dir,
	  char *buf, size_t len)
{
	struct mos_addr ca, sa;
	uint16_t cp, sp;
	char cb[MOS_ADDR_STRLEN], sb[MOS_ADDR_STRLEN];

	mos_flow_peer(fl, MOS_SIDE_CLI, &ca, &cp);
	mos_flow_peer(fl, MOS_SIDE_SVR, &sa, &sp);
	snprintf(buf, len, "%s/%s_%u-%s_%u_%" PRIu32 ".%s", r->o->dir, mos_addr_str(&ca, cb), cp,
		 mos_addr_str(&sa, sb), sp, u->n, dir == 0 ? "c2s" : "s2c");
}

/* The open file slot of one direction, opening (and creating) it if
 * needed; NULL after an error (reported once). */
static struct sd_file *
file_get(struct run *r, const struct mos_flow *fl, struct sd_flow *u, int dir)
{
	struct sd_dir *d = &u->d[dir];
	char path[4096];
	struct sd_file *f;
	uint32_t s;

	if (d->slot) {
		if (r->head != d->slot) {
			lru_unlink(r, d->slot);
			lru_push(r, d->slot);
		}
		return &r->files[d->slot - 1];
	}
	if (r->n_open == r->o->max_open)
		file_close(r, r->tail);
	if (r->free_head) {
		s = r->free_head;
		r->free_head = r->files[s - 1].next;
	} else {
		s = ++r->used_slots;
	}
	f = &r->files[s - 1];
	f->next = 0;
	file_path(r, fl, u, dir, path, sizeof(path));
	f->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (d->created ? O_APPEND : O_TRUNC), 0666);
	if (f->fd < 0) {
		note_err(r, path, errno);
		f->next = r->free_head;
		r->free_head = s;
		return NULL;
	}
	if (f->buf == NULL)
		f->buf = malloc(SD_FILE_BUF);    /* NULL: unbuffered writes */
	f->len = 0;
	if (!d->created)
		r->files_written++;
	d->created = true;
	f->owner = d;
	d->slot = s;
	r->n_open++;
	lru_push(r, s);
	return f;
}

/* --- reading ------------------------------------------------------------------ */


/* Read everything in order from the stream received by @rside (the
 * direction its peer sends) and write it. */
static void
drain(struct run *r, struct mos_flow *fl, struct sd_flow *u, int rside)
{
	struct mos_stream *s = mos_flow_stream(fl, rside);
	int dir = rside == MOS_SIDE_SVR ? 0 : 1;   /* the server receives c2s */
	struct sd_dir *d = &u->d[dir];
	const uint8_t *p;
	ssize_t n;
	struct sd_file *fp = NULL;

	if (s == NULL)
		return;
	if (d->cursor == 0) {
		int c = mos_stream_cursor_open(s);

		if (c < 0)
			return;     /* cannot happen: nobody else opens cursors here */
		d->cursor = (uint8_t)(c + 1);
	}
	while ((n = mos_stream_read_ptr(s, d->cursor - 1, &p, SIZE_MAX, NULL)) >= 0) {
		if (n == 0)
			continue;   /* only lost bytes (a skipped hole): nothing to fill */
		d->bytes += (uint64_t)n;
		r->bytes[dir] += (uint64_t)n;
		r->sum = bytesum(p, (size_t)n, r->sum);
		if (r->o->no_write)
			continue;
		if (fp == NULL && (fp = file_get(r, fl, u, dir)) == NULL)
			return;
		file_write(r, fp, p, (size_t)n);
	}
}

/* --- callbacks ------------------------------------------------------------------ */

static void
on_start(struct mos_ctx *ctx, struct mos_flow *fl, int side, uint32_t ev,
	 const struct mos_event_arg *arg)
{
	struct run *r = mos_ctx_get_user(ctx);
	struct sd_flow *u = mos_flow_user_area(ctx, fl);
	struct mos_addr a;
	uint16_t port;
	uint8_t key[36];
	int64_t n;

	(void)side;
	(void)ev;
	(void)arg;
	if (mos_flow_is_udp(fl) || u->started)
		return;
	mos_flow_peer(fl, MOS_SIDE_CLI, &a, &port);
	memcpy(key, a.b, 16);
	key[32] = (uint8_t)(port >> 8);
	key[33] = (uint8_t)port;
	mos_flow_peer(fl, MOS_SIDE_SVR, &a, &port);
	memcpy(key + 16, a.b, 16);
	key[34] = (uint8_t)(port >> 8);
	key[35] = (uint8_t)port;
	n = tuple_next(r, key);
	if (n < 0) {
		note_err(r, "occurrence table", ENOMEM);
		n = 0;
	}
	u->n = (uint32_t)n;
	u->started = true;
}

static void
on_data(struct mos_ctx *ctx, struct mos_flow *fl, int side, uint32_t ev,
	const struct mos_event_arg *arg)
{
	(void)ev;
	(void)arg;
	if (mos_flow_is_udp(fl))
		return;
	drain(mos_ctx_get_user(ctx), fl, mos_flow_user_area(ctx, fl), side);
}

/* The receiving endpoint changed state (at the rcv hook, after the
 * segment went into the stream): once a FIN ended the stream it receives
 * and every byte before the FIN was read, give its pages back (the flow
 * keeps the stream object through the TIME_WAIT linger; later segments
 * are only counted). */
static void
on_state(struct mos_ctx *ctx, struct mos_flow *fl, int side, uint32_t ev,
	 const struct mos_event_arg *arg)
{
	struct mos_stream *s = mos_flow_stream(fl, side);
	struct mos_stream_info si;

	(void)ev;
	(void)arg;
	if (s == NULL || mos_flow_is_udp(fl) || mos_stream_get_info(s, &si) != 0 || si.off ||
	    !si.fin_seen || si.edge < si.fin_off)
		return;
	drain(mos_ctx_get_user(ctx), fl, mos_flow_user_area(ctx, fl), side);
	if (mos_stream_get_info(s, &si) == 0 && si.ooo_bytes == 0) {
		mos_stream_set_off(s, true);
		((struct run *)mos_ctx_get_user(ctx))->released++;
	}
}

static void
on_end(struct mos_ctx *ctx, struct mos_flow *fl, int side, uint32_t ev,
       const struct mos_event_arg *arg)
{
	struct run *r = mos_ctx_get_user(ctx);
	struct sd_flow *u = mos_flow_user_area(ctx, fl);

	(void)side;  /* MOS_SIDE_BOTH: once per connection */
	(void)ev;
	(void)arg;
	if (mos_flow_is_udp(fl) || !u->started)
		return;
	r->conns++;
	for (int rside = MOS_SIDE_CLI; rside <= MOS_SIDE_SVR; rside++) {
		int dir = rside == MOS_SIDE_SVR ? 0 : 1;
		struct mos_stream *s = mos_flow_stream(fl, rside);
		struct mos_stream_info si;

		drain(r, fl, u, rside);
		if (s != NULL && mos_stream_get_info(s, &si) == 0) {
			r->gap[dir] += si.gap_bytes;
			r->dropped[dir] += si.dropped_bytes;
			r->unacked[dir] += si.ooo_bytes;
		}
		if (r->o->no_write)
			continue;
		if (!u->d[dir].created)
			file_get(r, fl, u, dir);   /* both files always exist */
		if (u->d[dir].slot)
			file_close(r, u->d[dir].slot);
	}
}

int
main(int argc, char **argv)
{
	struct opts o = { .policy = MOS_STREAM_POLICY_LINUX, .window = SD_WINDOW };
	struct mos_app_options ao = {
		.parse = parse, .arg = &o,
		.usage = "  -o DIR             write the streams into DIR (created if missing)\n"
			 "  --no-write         reassemble and read every byte, write nothing\n"
			 "  --policy NAME      overlap policy (default linux; see docs/reassembly.md)\n"
			 "  --no-vlan-key      VLAN ids are not part of the flow key\n"
			 "  --max-open N       files open at once (default 4096, at most the fd limit - 64)\n"
			 "  --window BYTES     reassembly window per direction (default 126976)\n"
			 "  --max-flows N      flow table capacity (default 1048576)\n",
	};
	struct mos_ctx_config cfg;
	struct mos_monitor *mon;
	struct mos_app *app;
	struct run r = { 0 };
	int rc;

	app = mos_app_create("streamdump", argc, argv, &ao);
	if (app == NULL)
		return errno == 0 ? 0 : 2;
	if (o.dir == NULL && !o.no_write) {
		fprintf(stderr, "streamdump: -o DIR is needed (or --no-write)\n");
		mos_app_destroy(app);
		return 2;
	}
	if (o.dir != NULL && !o.no_write && mkdir(o.dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "streamdump: cannot create %s: %s\n", o.dir, strerror(errno));
		mos_app_destroy(app);
		return 2;
	}
	if (o.max_open == 0) {
		struct rlimit rl;

		o.max_open = SD_MAX_OPEN;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < (rlim_t)SD_MAX_OPEN + 80)
			o.max_open = rl.rlim_cur > 80 ? (uint32_t)(rl.rlim_cur - 64) : 16;
	}
	if (mos_app_contexts(app) != 1) {
		fprintf(stderr, "streamdump: one loop only: --workers is not supported\n");
		mos_app_destroy(app);
		return 2;
	}
	r.o = &o;
	r.files = calloc(o.max_open, sizeof(*r.files));
	if (r.files == NULL) {
		fprintf(stderr, "streamdump: out of memory\n");
		mos_app_destroy(app);
		return 2;
	}
	mos_ctx_config_default(&cfg);
	cfg.flows.vlan_in_key = !o.no_vlan_key;
	cfg.flows.user_size = sizeof(struct sd_flow);
	if (o.max_flows)
		cfg.flows.max_flows = o.max_flows;
	cfg.streams.n_pages = SD_PAGES;
	cfg.streams.max_streams = SD_STREAMS;
	r.ctx = mos_ctx_create(&cfg);
	if (r.ctx == NULL) {
		fprintf(stderr, "streamdump: cannot create the flow engine: %s\n", strerror(errno));
		mos_app_destroy(app);
		return 2;
	}
	mos_ctx_set_user(r.ctx, &r);
	mon = mos_monitor_create(r.ctx, MOS_MONITOR_STREAM);
	if (mon == NULL ||
	    mos_register_callback(mon, MOS_EV_CONN_START, MOS_HOOK_SND, on_start, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_CONN_NEW_DATA, MOS_HOOK_NONE, on_data, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_CONN_END, MOS_HOOK_NONE, on_end, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_TCP_STATE_CHANGE, MOS_HOOK_RCV, on_state, NULL) < 0 ||
	    mos_monitor_set_stream(mon, MOS_SIDE_BOTH, o.window, o.policy) < 0) {
		fprintf(stderr, "streamdump: cannot set up the monitor\n");
		mos_ctx_destroy(r.ctx);
		mos_app_destroy(app);
		return 2;
	}
	rc = mos_app_run_contexts(app, &r.ctx);
	while (r.head)
		file_close(&r, r.head);
	if (!mos_app_quiet(app)) {
		struct mos_stream_pool_stats ps = { 0 };

		if (mos_ctx_stream_pool(r.ctx))
			mos_stream_pool_get_stats(mos_ctx_stream_pool(r.ctx), &ps);
		fprintf(stderr, "streamdump: %" PRIu64 " connections, bytes c2s %" PRIu64 " s2c %" PRIu64
			", checksum %" PRIu64 ", %" PRIu64 " files, gap bytes c2s %" PRIu64
			" s2c %" PRIu64 ", not stored %" PRIu64 " (%" PRIu64 " streams refused)"
			", left above an unacknowledged hole %" PRIu64 ", pages high %" PRIu64 ", released after FIN %" PRIu64 "\n",
			r.conns, r.bytes[0], r.bytes[1], r.sum, r.files_written, r.gap[0], r.gap[1],
			r.dropped[0] + r.dropped[1], ps.streams_refused, r.unacked[0] + r.unacked[1], ps.pages_high, r.released);
	}
	mos_ctx_destroy(r.ctx);
	for (uint32_t i = 0; i < o.max_open; i++)
		free(r.files[i].buf);
	free(r.files);
	mos_big_free(r.tuples, r.tuples_mapped);
	return (mos_app_destroy(app) != 0 || rc != 0 || r.err != 0) ? 1 : 0;
}
