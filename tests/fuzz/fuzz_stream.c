/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_stream.c — libFuzzer target for the reassembler (runtime/stream.c).
 *
 * Input: a few configuration bytes (the pool's page size and page count,
 * range table size, memory cap, the number of streams, their windows,
 * policies and initial sequence numbers), then a program of operations on
 * up to three streams sharing one pool: inserts at any sequence number
 * (wrap-around included) with SYN, FIN, RST and probe flags, copying and
 * zero-copy reads through cursors, drains, positional peeks, skips, window
 * resizes, policy changes, buffering off and on, reclaimable marking, and
 * destroying and creating a stream again.
 *
 * Each stream has a fixed content (the byte at offset o is pat(o)). While
 * only that content was inserted into a stream, every byte it hands out
 * (read, read_ptr, peek) must be the content at its offset, and no overlap
 * may be reported as a mismatch. Always: a cursor moves by exactly the
 * bytes returned plus the lost ones, never past the edge; fragments are
 * sorted, disjoint, above the edge and add up to the out-of-order bytes;
 * base <= edge; the pool never holds more pages than it has and the memory
 * cap holds; once every stream is destroyed, no stream, page, range table
 * or capped byte is left. A broken check aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mos/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* stream.c asks whether the EAL runs (to pre-fault pages): it does not here */
bool mos_eal_running(void);
bool mos_eal_running(void) { return false; }

#define N_STREAMS 3
#define MAX_SEG   4096
#define MAX_READ  5000
#define MAX_FRAGS 64

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t
get8(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t
get16(struct in *in)
{
	return (uint16_t)(get8(in) | get8(in) << 8);
}

static uint32_t
get32(struct in *in)
{
	return (uint32_t)get16(in) | (uint32_t)get16(in) << 16;
}

/* The content of every stream at offset @o. */
static uint8_t
pat(uint64_t o)
{
	return (uint8_t)((o * 2654435761u) >> 13 ^ o >> 9);
}

struct model {
	struct mos_stream *s;
	bool clean;                  /* only the content was inserted */
	bool discard;                /* count-only stream */
	unsigned cursors;            /* open cursor ids (bit mask) */
	uint8_t drain;               /* mos_stream_drain's cursor */
};

static struct model m[N_STREAMS];
static struct mos_stream_pool *pool;
static struct mos_stream_memcap cap;
static uint32_t page_size, n_pages;

static void
on_event(struct mos_stream *s, const struct mos_stream_event *ev, void *ctx)
{
	const struct model *md = mos_stream_owner(s);

	(void)ctx;
	CHECK(md != NULL);
	if (ev->type == MOS_STREAM_EV_OVERLAP_MISMATCH) {
		CHECK(!md->clean);
		CHECK(ev->new_start < ev->new_end && ev->diff_bytes > 0);
		CHECK(ev->first_diff >= ev->new_start && ev->first_diff < ev->new_end);
	} else if (ev->type == MOS_STREAM_EV_GAP) {
		CHECK(ev->stored_start < ev->stored_end);
	} else {
		CHECK(ev->type == MOS_STREAM_EV_BUFFER_FULL && ev->reason < MOS_STREAM_FULL_COUNT);
		CHECK(ev->stored_start <= ev->stored_end);
	}
}

static void
create(struct model *md, struct in *in)
{
	struct mos_stream_config c = {
		.buf_size = get32(in) % (4u * MAX_SEG * 16u),
		.policy = (enum mos_stream_policy)(get8(in) % MOS_STREAM_POLICY_COUNT),
		.owner = md,
		.discard = (get8(in) & 7) == 7,
	};
	uint32_t init_seq = get32(in);

	md->s = mos_stream_create(pool, init_seq, &c);
	md->clean = true;
	md->discard = c.discard;
	md->cursors = 0;
	md->drain = 0;
	if (md->s != NULL)
		CHECK(mos_stream_seq_to_off(md->s, init_seq) == 0);
}

/* The invariants of one stream and of the pool. */
static void
check(const struct model *md)
{
	struct mos_stream_pool_stats ps;

	mos_stream_pool_get_stats(pool, &ps);
	CHECK(ps.pages_in_use <= n_pages && ps.pages_high <= n_pages);
	CHECK(cap.limit == 0 || cap.used <= cap.limit);
	if (md->s == NULL)
		return;

	struct mos_stream_info info;
	struct mos_stream_frag fr[MAX_FRAGS];
	uint64_t ooo = 0;
	int nf;

	CHECK(mos_stream_get_info(md->s, &info) == 0);
	CHECK(info.base <= info.edge);
	CHECK(info.pages <= n_pages);
	nf = mos_stream_fragments(md->s, fr, MAX_FRAGS);
	CHECK(nf >= 0);
	for (int i = 0; i < nf && i < MAX_FRAGS; i++) {
		CHECK(fr[i].start < fr[i].end && fr[i].start > info.edge);
		CHECK(i == 0 || fr[i].start > fr[i - 1].end);
		ooo += fr[i].end - fr[i].start;
	}
	if (nf <= MAX_FRAGS)
		CHECK(ooo == info.ooo_bytes);
	for (int c = 0; c < MOS_STREAM_MAX_CURSORS; c++)
		if (md->cursors & 1u << c) {
			int64_t at = mos_stream_cursor_offset(md->s, c);

			CHECK(at >= 0 && (uint64_t)at <= info.edge);
		}
}

/* A cursor of @md to read with: an open one, or a new one. */
static int
cursor(struct model *md, uint8_t pick)
{
	for (int i = 0; i < MOS_STREAM_MAX_CURSORS; i++) {
		int c = (pick + i) % MOS_STREAM_MAX_CURSORS;

		if (md->cursors & 1u << c)
			return c;
	}
	int c = mos_stream_cursor_open(md->s);

	if (c >= 0)
		md->cursors |= 1u << c;
	return c;
}

static void
insert(struct model *md, struct in *in, bool garbage)
{
	static uint8_t buf[MAX_SEG];
	struct mos_stream_info info;
	int32_t delta = (int16_t)get16(in);
	unsigned scale = (get8(in) & 3) * 5;  /* 0, 5, 10, 15 bits further */
	uint32_t len = get16(in) % MAX_SEG;
	unsigned flags = get8(in) & 0xf;
	uint32_t seq;
	int64_t off;
	int rc;

	CHECK(mos_stream_get_info(md->s, &info) == 0);
	seq = info.init_seq + (uint32_t)info.edge + (uint32_t)((int64_t)delta * ((int64_t)1 << scale));
	off = mos_stream_seq_to_off(md->s, seq + (flags & MOS_STREAM_SEG_SYN ? 1 : 0));
	for (uint32_t i = 0; i < len; i++)
		buf[i] = off + i < 0 ? 0x5a : pat((uint64_t)(off + i));
	if (garbage && len > 0) {
		buf[get16(in) % len] ^= (uint8_t)(get8(in) | 1);
		md->clean = false;
	}
	rc = mos_stream_insert(md->s, seq, buf, len, flags);
	CHECK(rc >= 0);
}

static void
read_some(struct model *md, struct in *in, bool zero_copy)
{
	static uint8_t buf[MAX_READ];
	int c = cursor(md, get8(in));
	size_t len = 1 + get16(in) % MAX_READ;
	const uint8_t *p = buf;
	uint64_t lost = 0;
	int64_t c0;
	ssize_t n;

	if (c < 0)
		return;
	c0 = mos_stream_cursor_offset(md->s, c);
	CHECK(c0 >= 0);
	n = zero_copy ? mos_stream_read_ptr(md->s, c, &p, len, &lost)
		      : mos_stream_read(md->s, c, buf, len, &lost);
	if (n == -ENODATA) {
		CHECK(lost == 0 && mos_stream_cursor_offset(md->s, c) == c0);
		return;
	}
	if (md->discard && !zero_copy) {
		CHECK(n == -ENOTSUP);
		return;
	}
	CHECK(n >= 0 && (size_t)n <= len);
	CHECK(mos_stream_cursor_offset(md->s, c) == c0 + (int64_t)lost + n);
	if (md->discard) {
		CHECK(p == NULL || n == 0);
		return;
	}
	CHECK(n == 0 || p != NULL);
	if (md->clean)
		for (ssize_t i = 0; i < n; i++)
			CHECK(p[i] == pat((uint64_t)c0 + lost + (uint64_t)i));
}

static void
peek(struct model *md, struct in *in)
{
	static uint8_t buf[MAX_READ];
	struct mos_stream_info info;
	uint64_t off;
	size_t len = 1 + get16(in) % MAX_READ;
	ssize_t n;

	CHECK(mos_stream_get_info(md->s, &info) == 0);
	off = info.base + get16(in) % (info.edge - info.base + 64);
	n = mos_stream_peek(md->s, off, buf, len);
	if (md->discard) {
		CHECK(n == -ENOTSUP);
		return;
	}
	if (off < info.base)
		CHECK(n == -ERANGE);
	if (off >= info.edge)
		CHECK(n == -ENODATA);
	if (n < 0) {
		CHECK(n == -ERANGE || n == -ENODATA || n == -ENOENT);
		return;
	}
	CHECK(n > 0 && (size_t)n <= len && off + (uint64_t)n <= info.edge);
	if (md->clean)
		for (ssize_t i = 0; i < n; i++)
			CHECK(buf[i] == pat(off + (uint64_t)i));
}

static void
step(struct model *md, struct in *in)
{
	struct mos_stream_info info;
	uint8_t op = get8(in);
	int64_t r;

	if (md->s == NULL) {
		create(md, in);
		return;
	}
	switch (op % 16) {
	case 0: case 1: case 2: case 3:
		insert(md, in, false);
		break;
	case 4:
		insert(md, in, true);
		break;
	case 5:
		read_some(md, in, false);
		break;
	case 6:
		read_some(md, in, true);
		break;
	case 7:
		mos_stream_drain(md->s, &md->drain);
		break;
	case 8:
		(void)mos_stream_drain_done(md->s, &md->drain);
		break;
	case 9:
		peek(md, in);
		break;
	case 10:
		CHECK(mos_stream_get_info(md->s, &info) == 0);
		r = mos_stream_skip_to(md->s, info.edge + (get8(in) & 1 ? get32(in) : get16(in)));
		CHECK(r >= 0 || r == -ERANGE);
		break;
	case 11:
		r = mos_stream_set_buffer_size(md->s, get32(in) % (4u * MAX_SEG * 16u));
		CHECK(r == 0 || r == -EINVAL || r == -ENOBUFS);
		break;
	case 12:
		r = mos_stream_set_policy(md->s, (enum mos_stream_policy)(get8(in) % 16));
		CHECK(r == 0 || r == -EINVAL);
		break;
	case 13:
		CHECK(mos_stream_set_off(md->s, get8(in) & 1) == 0);
		break;
	case 14: {
		int c = get8(in) % MOS_STREAM_MAX_CURSORS;

		if (md->cursors & 1u << c) {
			CHECK(mos_stream_cursor_close(md->s, c) == 0);
			md->cursors &= ~(1u << c);
		} else {
			(void)cursor(md, (uint8_t)c);
		}
		(void)mos_stream_new_data(md->s);
		break;
	}
	default:
		if (get8(in) & 1) {
			mos_stream_set_reclaimable(md->s);
		} else {
			mos_stream_destroy(md->s);
			md->s = NULL;
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct mos_stream_pool_config pc = { 0 };
	struct mos_stream_pool_stats ps;
	unsigned ns;
	uint8_t b;

	page_size = 256u << get8(&in) % 5;
	n_pages = 2 + get8(&in) % 64;
	b = get8(&in);
	mos_stream_memcap_init(&cap, b & 1 ? (uint64_t)page_size * (1 + (b >> 1) % 48) : 0);
	pc.page_size = page_size;
	pc.n_pages = n_pages;
	pc.max_streams = N_STREAMS;
	pc.max_ranges = 4 + get8(&in) % 32;
	pc.n_range_tables = 1 + get8(&in) % 3;
	pc.memcap = &cap;
	pc.event_cb = on_event;
	pool = mos_stream_pool_create(&pc);
	CHECK(pool != NULL);
	ns = 1 + get8(&in) % N_STREAMS;
	for (unsigned k = 0; k < ns; k++)
		create(&m[k], &in);
	while (in.n > 0) {
		struct model *md = &m[get8(&in) % ns];

		step(md, &in);
		check(md);
	}
	for (unsigned k = 0; k < ns; k++) {
		mos_stream_destroy(m[k].s);
		m[k].s = NULL;
	}
	mos_stream_pool_get_stats(pool, &ps);
	CHECK(ps.streams_in_use == 0 && ps.pages_in_use == 0 && ps.range_tables_in_use == 0);
	CHECK(cap.used == 0);
	mos_stream_pool_free(pool);
	return 0;
}
