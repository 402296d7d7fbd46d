// SPDX-License-Identifier: BSD-3-Clause
/*
 * examples/streamdump/streamdump.c — companion of streamdump.mos: reads
 * the reassembled bytes with the public stream API (a cursor per
 * direction, mos_stream_read_ptr) and writes them to
 * DIR/<client>_<cport>-<server>_<sport>_<n>.{c2s,s2c}, DIR being the
 * program's --out-dir. The files and their bytes are those of
 * examples/c/streamdump (docs/reassembly.md, "streamdump").
 *
 * Files: a 16 KiB write buffer per open file; at most SD_MAX_OPEN (or the
 * descriptor limit - 64) open at once, the least recently written closed
 * first and reopened for append later. Per-direction state lives in a
 * table indexed by the flow's pool index (allocated at the first call,
 * pages touched as flows use them). Errors are reported once on stderr
 * and counted as action errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mos/program.h"

#define SD_MAX_OPEN 4096u            /* files open at once (lowered to the descriptor limit - 64) */
#define SD_FILE_BUF (16u << 10)      /* write buffer per open file */

uint32_t sd_occurrence(struct mos_ctx *ctx, struct mos_flow *flow);
void sd_write(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t n);
void sd_close(struct mos_ctx *ctx, struct mos_flow *flow, uint32_t n);

/* One direction of a connection. */
struct sd_dir {
	bool created;                /* file created (truncated) in this run */
	uint32_t slot;               /* open file slot + 1, 0 = not open */
};

/* An open file (LRU list, most recent at the head). */
struct sd_file {
	int fd;                      /* descriptor */
	uint32_t len;                /* bytes waiting in buf */
	struct sd_dir *owner;        /* direction writing to it */
	uint32_t prev, next;         /* LRU links (slot + 1, 0 = none) */
	char *buf;                   /* SD_FILE_BUF bytes */
};

/* Occurrences of one 4-tuple (open addressing). */
struct sd_tuple {
	uint8_t key[36];             /* client addr, server addr, cport, sport */
	uint32_t count;              /* connections seen, 0 = empty */
};

static struct {
	struct sd_dir *dirs;         /* 2 per flow-table entry: [0] c2s, [1] s2c */
	struct sd_file *files;       /* max_open slots */
	uint32_t max_open, n_open, used;
	uint32_t head, tail, free_head; /* LRU ends, free slots (slot + 1) */
	struct sd_tuple *tuples;     /* occurrence table */
	size_t n_tuples, cap_tuples; /* used / allocated (power of two) */
	bool failed;                 /* an error was reported */
} sd;

static void sd_error(struct mos_ctx *ctx, const char *what, int err)
{
	mos_prog_run_of(ctx)->action_errors++;
	if (!sd.failed)
		fprintf(stderr, "streamdump: %s: %s\n", what, strerror(err));
	sd.failed = true;
}

static bool sd_setup(struct mos_ctx *ctx)
{
	struct rlimit rl;

	if (sd.dirs)
		return true;
	if (mos_prog_run_of(ctx)->out_dir == NULL) {
		sd_error(ctx, "no --out-dir DIR", EINVAL);
		return false;
	}
	sd.max_open = SD_MAX_OPEN;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)SD_MAX_OPEN + 80)
		sd.max_open = rl.rlim_cur > 80 ? (uint32_t)(rl.rlim_cur - 64) : 16;
	sd.files = calloc(sd.max_open, sizeof(*sd.files));
	sd.dirs = calloc(2 * (size_t)mos_flow_table_capacity(mos_ctx_flows(ctx)), sizeof(*sd.dirs));
	if (sd.files == NULL || sd.dirs == NULL) {
		free(sd.files);
		free(sd.dirs);
		sd.dirs = NULL;
		sd_error(ctx, "setup", ENOMEM);
		return false;
	}
	return true;
}

static struct sd_dir *sd_dir_of(struct mos_ctx *ctx, const struct mos_flow *flow, int dir)
{
	return &sd.dirs[2 * (size_t)mos_flow_index(mos_ctx_flows(ctx), flow) + (size_t)dir];
}

/* --- occurrence counter ----------------------------------------------------- */

static uint64_t sd_hash(const uint8_t *k)
{
	uint64_t h = 1469598103934665603ull;     /* FNV-1a */

	for (int i = 0; i < 36; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

uint32_t sd_occurrence(struct mos_ctx *ctx, struct mos_flow *flow)
{
	uint8_t key[36];
	struct mos_addr a;
	uint16_t port;
	size_t i, mask;

	mos_flow_peer(flow, MOS_SIDE_CLI, &a, &port);
	memcpy(key, a.b, 16);
	key[32] = (uint8_t)(port >> 8);
	key[33] = (uint8_t)port;
	mos_flow_peer(flow, MOS_SIDE_SVR, &a, &port);
	memcpy(key + 16, a.b, 16);
	key[34] = (uint8_t)(port >> 8);
	key[35] = (uint8_t)port;
	if ((sd.n_tuples + 1) * 2 > sd.cap_tuples) {
		size_t cap = sd.cap_tuples ? sd.cap_tuples * 2 : 1024;
		struct sd_tuple *t = calloc(cap, sizeof(*t));

		if (t == NULL) {
			sd_error(ctx, "occurrence table", ENOMEM);
			return 0;
		}
		for (size_t j = 0; j < sd.cap_tuples; j++) {
			if (sd.tuples[j].count == 0)
				continue;
			for (i = sd_hash(sd.tuples[j].key) & (cap - 1); t[i].count; i = (i + 1) & (cap - 1))
				;
			t[i] = sd.tuples[j];
		}
		free(sd.tuples);
		sd.tuples = t;
		sd.cap_tuples = cap;
	}
	mask = sd.cap_tuples - 1;
	for (i = sd_hash(key) & mask; sd.tuples[i].count && memcmp(sd.tuples[i].key, key, 36); i = (i + 1) & mask)
		;
	if (sd.tuples[i].count == 0) {
		memcpy(sd.tuples[i].key, key, 36);
		sd.n_tuples++;
	}
	return sd.tuples[i].count++;
}

/* --- files ------------------------------------------------------------------------ */

static void sd_unlink(uint32_t s)
{
	struct sd_file *f = &sd.files[s - 1];

	if (f->prev)
		sd.files[f->prev - 1].next = f->next;
	else
		sd.head = f->next;
	if (f->next)
		sd.files[f->next - 1].prev = f->prev;
	else
		sd.tail = f->prev;
	f->prev = f->next = 0;
}

static void sd_push(uint32_t s)
{
	struct sd_file *f = &sd.files[s - 1];

	f->next = sd.head;
	if (sd.head)
		sd.files[sd.head - 1].prev = s;
	sd.head = s;
	if (sd.tail == 0)
		sd.tail = s;
}

static void sd_put(struct mos_ctx *ctx, int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			sd_error(ctx, "write", errno);
			return;
		}
		c += w;
		n -= (size_t)w;
	}
}

static void sd_file_close(struct mos_ctx *ctx, uint32_t s)
{
	struct sd_file *f = &sd.files[s - 1];

	sd_unlink(s);
	sd_put(ctx, f->fd, f->buf, f->len);
	if (close(f->fd) != 0)
		sd_error(ctx, "close", errno);
	f->len = 0;
	f->owner->slot = 0;
	f->next = sd.free_head;
	sd.free_head = s;
	sd.n_open--;
}

/* The open file of direction @dir (0 c2s, 1 s2c) of @flow, opened (and
 * created the first time) when needed; NULL after an error. */
static struct sd_file *sd_file(struct mos_ctx *ctx, const struct mos_flow *flow, int dir, uint32_t n)
{
	struct sd_dir *d = sd_dir_of(ctx, flow, dir);
	char path[4096], cb[MOS_ADDR_STRLEN], sb[MOS_ADDR_STRLEN];
	struct mos_addr ca, sa;
	uint16_t cp, sp;
	uint32_t s;

	if (d->slot) {
		if (sd.head != d->slot) {
			sd_unlink(d->slot);
			sd_push(d->slot);
		}
		return &sd.files[d->slot - 1];
	}
	if (sd.n_open == sd.max_open)
		sd_file_close(ctx, sd.tail);
	if (sd.free_head) {
		s = sd.free_head;
		sd.free_head = sd.files[s - 1].next;
	} else {
		s = ++sd.used;
	}
	struct sd_file *f = &sd.files[s - 1];
	mos_flow_peer(flow, MOS_SIDE_CLI, &ca, &cp);
	mos_flow_peer(flow, MOS_SIDE_SVR, &sa, &sp);
	snprintf(path, sizeof(path), "%s/%s_%u-%s_%u_%" PRIu32 ".%s", mos_prog_run_of(ctx)->out_dir,
		 mos_addr_str(&ca, cb), cp, mos_addr_str(&sa, sb), sp, n, dir ? "s2c" : "c2s");
	f->next = 0;
	f->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (d->created ? O_APPEND : O_TRUNC), 0666);
	if (f->fd < 0 || (f->buf == NULL && (f->buf = malloc(SD_FILE_BUF)) == NULL)) {
		sd_error(ctx, path, f->fd < 0 ? errno : ENOMEM);
		if (f->fd >= 0)
			close(f->fd);
		f->next = sd.free_head;
		sd.free_head = s;
		return NULL;
	}
	f->len = 0;
	f->owner = d;
	d->created = true;
	d->slot = s;
	sd.n_open++;
	sd_push(s);
	return f;
}

/* Append what @sender sent and nobody read yet to its file. */
static void sd_drain(struct mos_ctx *ctx, struct mos_flow *flow, int sender, uint32_t n)
{
	/* the stream RECEIVED by the other side holds what @sender sent */
	struct mos_stream *s = mos_flow_stream(flow, sender == MOS_SIDE_CLI ? MOS_SIDE_SVR : MOS_SIDE_CLI);
	struct sd_file *f = NULL;
	const uint8_t *p;
	ssize_t len;

	if (s == NULL || !sd_setup(ctx))
		return;
	/* this companion is the stream's only reader: cursor 0 */
	if (mos_stream_cursor_offset(s, 0) < 0 && mos_stream_cursor_open(s) != 0)
		return;
	while ((len = mos_stream_read_ptr(s, 0, &p, SIZE_MAX, NULL)) >= 0) {
		if (len == 0)
			continue;           /* a skipped hole: nothing fills it */
		if (f == NULL && (f = sd_file(ctx, flow, sender == MOS_SIDE_CLI ? 0 : 1, n)) == NULL)
			return;
		if (f->len + (size_t)len > SD_FILE_BUF) {
			sd_put(ctx, f->fd, f->buf, f->len);
			f->len = 0;
		}
		if ((size_t)len >= SD_FILE_BUF) {
			sd_put(ctx, f->fd, p, (size_t)len);
		} else {
			memcpy(f->buf + f->len, p, (size_t)len);
			f->len += (uint32_t)len;
		}
	}
}

void sd_write(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t n)
{
	sd_drain(ctx, flow, side, n);
}

void sd_close(struct mos_ctx *ctx, struct mos_flow *flow, uint32_t n)
{
	for (int dir = 0; dir < 2; dir++) {
		sd_drain(ctx, flow, dir ? MOS_SIDE_SVR : MOS_SIDE_CLI, n);
		if (!sd_setup(ctx))
			return;
		struct sd_dir *d = sd_dir_of(ctx, flow, dir);
		if (!d->created)
			sd_file(ctx, flow, dir, n);     /* both files always exist */
		if (d->slot)
			sd_file_close(ctx, d->slot);
		d->created = false;                  /* the table entry serves the next flow */
	}
}

/* Files of flows that never saw conn_start are still open at exit. */
__attribute__((destructor)) static void sd_fini(void)
{
	for (uint32_t s = sd.head; s; s = sd.files[s - 1].next) {
		struct sd_file *f = &sd.files[s - 1];

		if (f->len && write(f->fd, f->buf, f->len) < 0)
			fprintf(stderr, "streamdump: write: %s\n", strerror(errno));
		close(f->fd);
	}
	for (uint32_t i = 0; i < sd.max_open; i++)
		free(sd.files[i].buf);
	free(sd.files);
	free(sd.dirs);
	free(sd.tuples);
}
