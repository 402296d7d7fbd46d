/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipfrag.c — IPv4/IPv6 fragment reassembly on a per-core table (see
 * mos/ipfrag.h). Datagram bytes live in mos_stream objects of the table's
 * own pool; entries are chained in hash buckets and kept in a FIFO of
 * arrival order, so expiry is O(1) per datagram.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mos/ipfrag.h"

#define NONE UINT32_MAX

struct frag_key {
	uint8_t src[16];             /* source address (IPv4-mapped for v4) */
	uint8_t dst[16];             /* destination address */
	uint32_t id;                 /* identification */
	uint8_t version;             /* 4 or 6 */
	uint8_t proto;               /* IPv4 protocol / IPv6 fragment header's next header */
};

struct frag_entry {
	struct frag_key key;         /* identity */
	struct mos_stream *st;       /* datagram payload bytes */
	uint64_t born_ns;            /* first fragment's time */
	int32_t total;               /* payload length once the last fragment came, else -1 */
	uint32_t nfrags;             /* fragments taken */
	uint32_t next;               /* hash chain */
	uint32_t older, newer;       /* FIFO links */
	uint16_t hdr_len;            /* bytes in hdr (0 until fragment 0 came) */
	uint16_t nh_at;              /* IPv6: offset in hdr of the byte naming the fragment header */
	bool used;                   /* entry in use */
	uint8_t hdr[MOS_IPFRAG_HDR_MAX]; /* header of fragment 0 (IPv6: without the fragment header) */
};

struct mos_ipfrag_table {
	struct mos_ipfrag_config cfg;/* settings */
	struct mos_stream_pool *pool;/* datagram bytes */
	struct frag_entry *e;        /* max_datagrams entries */
	uint32_t *bucket;            /* hash heads */
	uint32_t mask;               /* buckets - 1 */
	uint32_t free_head;          /* free entries (via next) */
	uint32_t oldest, newest;     /* FIFO ends */
	uint32_t pending;            /* entries in use */
	uint64_t cnt[MOS_IPFRAG_COUNTER_COUNT]; /* counters */
};

static const char *const counter_names[] = {
#define MOS_X_(id, name) [MOS_IPFRAG_##id] = name,
	MOS_IPFRAG_COUNTERS(MOS_X_)
#undef MOS_X_
};

const char *
mos_ipfrag_counter_name(enum mos_ipfrag_counter c)
{
	if ((unsigned)c >= MOS_IPFRAG_COUNTER_COUNT)
		return NULL;
	return counter_names[c];
}

struct mos_ipfrag_table *
mos_ipfrag_create(const struct mos_ipfrag_config *cfg)
{
	struct mos_ipfrag_table *t;
	struct mos_stream_pool_config pc = { 0 };
	uint32_t nb = 1;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (cfg != NULL)
		t->cfg = *cfg;
	if (t->cfg.max_datagrams == 0)
		t->cfg.max_datagrams = 1024;
	if (t->cfg.max_frags == 0)
		t->cfg.max_frags = 64;
	if (t->cfg.n_pages == 0)
		t->cfg.n_pages = 4 * t->cfg.max_datagrams;
	if (t->cfg.timeout_ns == 0)
		t->cfg.timeout_ns = 30ull * 1000000000ull;
	if (t->cfg.max_datagrams >= NONE / 2 || (unsigned)t->cfg.policy >= MOS_STREAM_POLICY_COUNT) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	while (nb < 2 * t->cfg.max_datagrams)
		nb <<= 1;
	t->mask = nb - 1;
	pc.page_size = 4096;
	pc.n_pages = t->cfg.n_pages;
	pc.max_streams = t->cfg.max_datagrams;
	pc.max_ranges = 2 * t->cfg.max_frags + 4;
	pc.n_range_tables = t->cfg.max_datagrams;
	t->pool = mos_stream_pool_create(&pc);
	t->e = calloc(t->cfg.max_datagrams, sizeof(*t->e));
	t->bucket = malloc(nb * sizeof(uint32_t));
	if (t->pool == NULL || t->e == NULL || t->bucket == NULL) {
		mos_ipfrag_free(t);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		t->bucket[i] = NONE;
	for (uint32_t i = 0; i < t->cfg.max_datagrams; i++)
		t->e[i].next = i + 1 < t->cfg.max_datagrams ? i + 1 : NONE;
	t->free_head = 0;
	t->oldest = t->newest = NONE;
	return t;
}

void
mos_ipfrag_free(struct mos_ipfrag_table *t)
{
	if (t == NULL)
		return;
	mos_stream_pool_free(t->pool);   /* frees the streams too */
	free(t->e);
	free(t->bucket);
	free(t);
}

static uint32_t
key_hash(const struct frag_key *k)
{
	uint32_t h = 2166136261u;
	const uint8_t *p = (const uint8_t *)k;

	for (size_t i = 0; i < offsetof(struct frag_key, proto) + 1; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static bool
key_eq(const struct frag_key *a, const struct frag_key *b)
{
	return a->id == b->id && a->version == b->version && a->proto == b->proto &&
	       memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

/* Unlink entry @i from its bucket and the FIFO and free it. */
static void
drop_entry(struct mos_ipfrag_table *t, uint32_t i)
{
	struct frag_entry *e = &t->e[i];
	uint32_t *pp = &t->bucket[key_hash(&e->key) & t->mask];

	while (*pp != i)
		pp = &t->e[*pp].next;
	*pp = e->next;
	if (e->older != NONE)
		t->e[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NONE)
		t->e[e->newer].older = e->older;
	else
		t->newest = e->older;
	mos_stream_destroy(e->st);
	e->st = NULL;
	e->used = false;
	e->next = t->free_head;
	t->free_head = i;
	t->pending--;
}

unsigned
mos_ipfrag_expire(struct mos_ipfrag_table *t, uint64_t now_ns)
{
	unsigned n = 0;

	while (t->oldest != NONE && now_ns - t->e[t->oldest].born_ns >= t->cfg.timeout_ns &&
	       now_ns >= t->e[t->oldest].born_ns) {
		drop_entry(t, t->oldest);
		t->cnt[MOS_IPFRAG_TIMEOUTS]++;
		n++;
	}
	return n;
}

uint64_t
mos_ipfrag_next_expiry(const struct mos_ipfrag_table *t)
{
	uint64_t born;

	if (t->oldest == NONE)
		return UINT64_MAX;
	born = t->e[t->oldest].born_ns;
	return born > UINT64_MAX - t->cfg.timeout_ns ? UINT64_MAX : born + t->cfg.timeout_ns;
}

unsigned
mos_ipfrag_pending(const struct mos_ipfrag_table *t)
{
	return t->pending;
}

uint64_t
mos_ipfrag_count(const struct mos_ipfrag_table *t, enum mos_ipfrag_counter c)
{
	return (unsigned)c < MOS_IPFRAG_COUNTER_COUNT ? t->cnt[c] : 0;
}

/* IPv6: offset (from l3) of the byte whose value names the fragment header,
 * walking the extension chain of fragment 0 up to @frag_at. 0 on error. */
static uint32_t
v6_nh_byte(const uint8_t *ip, uint32_t frag_at)
{
	uint32_t at = 6, pos = 40;
	uint8_t nh = ip[6];

	while (pos < frag_at) {
		uint32_t len;

		if (nh == 51)                     /* AH */
			len = ((uint32_t)ip[pos + 1] + 2) * 4;
		else
			len = ((uint32_t)ip[pos + 1] + 1) * 8;
		at = pos;
		nh = ip[pos];
		pos += len;
	}
	return pos == frag_at && nh == 44 ? at : 0;
}

/* Write the finished datagram of entry @e to @out. */
static int
emit_datagram(struct mos_ipfrag_table *t, struct frag_entry *e, uint8_t *out, uint32_t cap)
{
	uint32_t n = e->hdr_len + (uint32_t)e->total;

	if (n > cap || (e->key.version == 4 && n > 65535))
		return -EMSGSIZE;
	memcpy(out, e->hdr, e->hdr_len);
	if (e->total > 0 &&
	    mos_stream_peek(e->st, 0, out + e->hdr_len, (size_t)e->total) != e->total)
		return -ENOMEM;
	if (e->key.version == 4) {
		uint32_t sum = 0;

		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
		out[6] &= 0x40;                   /* keep DF, clear MF and offset */
		out[7] = 0;
		out[10] = out[11] = 0;
		for (uint32_t i = 0; i < e->hdr_len; i += 2)
			sum += (uint32_t)(out[i] << 8 | out[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		out[10] = (uint8_t)(sum >> 8);
		out[11] = (uint8_t)sum;
	} else {
		uint32_t plen = n - 40;

		if (plen > 65535)
			return -EMSGSIZE;
		out[4] = (uint8_t)(plen >> 8);
		out[5] = (uint8_t)plen;
	}
	return (int)n;
}

int
mos_ipfrag_push(struct mos_ipfrag_table *t, const struct mos_pkt *pkt, const uint8_t *frame,
		uint64_t now_ns, uint8_t *out, uint32_t cap)
{
	struct frag_key k;
	struct frag_entry *e;
	uint32_t i, b, dlen, end;
	int r;

	if (t == NULL || pkt == NULL || frame == NULL || !(pkt->flags & MOS_PKT_F_FRAGMENT))
		return -EINVAL;
	dlen = pkt->frag_data_len;
	if ((uint32_t)pkt->frag_data_off + dlen > pkt->caplen)
		return -EINVAL;                   /* data not captured */
	mos_ipfrag_expire(t, now_ns);
	memset(&k, 0, sizeof(k));
	memcpy(k.src, pkt->src.b, 16);
	memcpy(k.dst, pkt->dst.b, 16);
	k.id = pkt->frag_id;
	k.version = pkt->ip_version;
	k.proto = pkt->ip_version == 4 ? frame[pkt->l3_off + 9] : frame[pkt->frag_data_off - 8];
	end = (uint32_t)pkt->frag_off + dlen;
	if (end > 65535) {
		t->cnt[MOS_IPFRAG_TOO_BIG]++;
		return -EMSGSIZE;
	}
	b = key_hash(&k) & t->mask;
	for (i = t->bucket[b]; i != NONE; i = t->e[i].next)
		if (key_eq(&t->e[i].key, &k))
			break;
	if (i == NONE) {
		struct mos_stream_config sc = { .buf_size = 65536, .policy = t->cfg.policy };

		if (t->free_head == NONE) {
			t->cnt[MOS_IPFRAG_TABLE_FULL]++;
			return -ENOSPC;
		}
		i = t->free_head;
		e = &t->e[i];
		e->st = mos_stream_create(t->pool, 0, &sc);
		if (e->st == NULL) {
			t->cnt[MOS_IPFRAG_NO_MEMORY]++;
			return -ENOMEM;
		}
		t->free_head = e->next;
		e->key = k;
		e->born_ns = now_ns;
		e->total = -1;
		e->nfrags = 0;
		e->hdr_len = 0;
		e->used = true;
		e->next = t->bucket[b];
		t->bucket[b] = i;
		e->older = t->newest;
		e->newer = NONE;
		if (t->newest != NONE)
			t->e[t->newest].newer = i;
		else
			t->oldest = i;
		t->newest = i;
		t->pending++;
	}
	e = &t->e[i];
	if (++e->nfrags > t->cfg.max_frags) {
		t->cnt[MOS_IPFRAG_TOO_MANY]++;
		drop_entry(t, i);
		return -E2BIG;
	}
	/* The end of the datagram: from the fragment without "more". */
	if (!pkt->frag_more) {
		if (e->total >= 0 && (uint32_t)e->total != end) {
			t->cnt[MOS_IPFRAG_BAD]++;
			drop_entry(t, i);
			return -EBADMSG;
		}
		e->total = (int32_t)end;
	}
	if (e->total >= 0 && end > (uint32_t)e->total) {
		t->cnt[MOS_IPFRAG_BAD]++;
		drop_entry(t, i);
		return -EBADMSG;
	}
	/* Fragment 0 brings the header. */
	if (pkt->frag_off == 0 && e->hdr_len == 0) {
		uint32_t hl = pkt->ip_version == 4 ? (uint32_t)pkt->frag_data_off - pkt->l3_off
						   : (uint32_t)pkt->frag_data_off - 8 - pkt->l3_off;
		const uint8_t *ip = frame + pkt->l3_off;

		if (hl > MOS_IPFRAG_HDR_MAX || hl < 20) {
			t->cnt[MOS_IPFRAG_BAD]++;
			drop_entry(t, i);
			return -EBADMSG;
		}
		memcpy(e->hdr, ip, hl);
		if (pkt->ip_version == 6) {
			uint32_t at = v6_nh_byte(ip, hl);

			if (at == 0) {
				t->cnt[MOS_IPFRAG_BAD]++;
				drop_entry(t, i);
				return -EBADMSG;
			}
			e->hdr[at] = k.proto;         /* unlink the fragment header */
			e->nh_at = (uint16_t)at;
		}
		e->hdr_len = (uint16_t)hl;
	}
	r = mos_stream_insert(e->st, pkt->frag_off, frame + pkt->frag_data_off, dlen, 0);
	t->cnt[MOS_IPFRAG_FRAGMENTS]++;
	if (r >= 0 && (r & (MOS_STREAM_INS_REXMIT | MOS_STREAM_INS_PARTIAL | MOS_STREAM_INS_KEEPALIVE)))
		t->cnt[MOS_IPFRAG_OVERLAPS]++;
	if (r >= 0 && (r & MOS_STREAM_INS_MISMATCH))
		t->cnt[MOS_IPFRAG_CONFLICTS]++;
	if (r < 0 || (r & MOS_STREAM_INS_DROPPED)) {
		t->cnt[MOS_IPFRAG_NO_MEMORY]++;
		drop_entry(t, i);
		return -ENOMEM;
	}
	if (e->total >= 0 && e->hdr_len > 0) {
		struct mos_stream_info in;

		mos_stream_get_info(e->st, &in);
		if (in.edge >= (uint64_t)e->total) {
			r = emit_datagram(t, e, out, cap);
			if (r > 0)
				t->cnt[MOS_IPFRAG_DATAGRAMS]++;
			else if (r == -EMSGSIZE)
				t->cnt[MOS_IPFRAG_TOO_BIG]++;
			else
				t->cnt[MOS_IPFRAG_NO_MEMORY]++;
			drop_entry(t, i);
			return r;
		}
	}
	return 0;
}
