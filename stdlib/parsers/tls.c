/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/tls.c — TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2) and
 * ClientHello/ServerHello (RFC 8446 §4.1.2-4.1.3) parsing, JA3/JA3S strings.
 *
 * The hello is parsed with a bounds-checked cursor over the reassembled
 * message: every read checks the remaining length first, nested vectors get
 * their own sub-cursor, so nothing outside the message is ever read.
 */
#include "parsers/tls.h"
#include "parsers/md5.h"
#include "parsers/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tls_state {
	T_REC_HDR = 0,      /* reading a 5-byte record header */
	T_REC_BODY,         /* inside a handshake record payload */
	T_REC_SKIP,         /* inside a non-handshake record before the hello */
	T_DONE,             /* hello parsed or error: skip everything */
};

#define X_NAME(id, name) name,
static const char *const tls_error_names[] = { "none", MOS_TLS_ERRORS(X_NAME) };
static const char *const tls_anomaly_names[] = { MOS_TLS_ANOMALIES(X_NAME) };
#undef X_NAME

const char *mos_tls_error_name(enum mos_tls_error e)
{
	return (unsigned)e < MOS_TLS_ERR__COUNT ? tls_error_names[e] : "?";
}

const char *mos_tls_anomaly_name(enum mos_tls_anomaly a)
{
	return (unsigned)a < MOS_TLS_ANOM__COUNT ? tls_anomaly_names[a] : "?";
}

bool mos_tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* ---- bounds-checked cursor ---------------------------------------------- */

struct cur {
	const uint8_t *p;   /* next byte */
	size_t n;           /* bytes left */
};

static bool get8(struct cur *c, uint8_t *v)
{
	if (c->n < 1)
		return false;
	*v = c->p[0];
	c->p++;
	c->n--;
	return true;
}

static bool get16(struct cur *c, uint16_t *v)
{
	if (c->n < 2)
		return false;
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->n -= 2;
	return true;
}

/* Split off the next len bytes as sub-cursor s. */
static bool sub(struct cur *c, size_t len, struct cur *s)
{
	if (c->n < len)
		return false;
	s->p = c->p;
	s->n = len;
	c->p += len;
	c->n -= len;
	return true;
}

/* A vector with a 1- or 2-byte length prefix. */
static bool vec(struct cur *c, int lenbytes, struct cur *s)
{
	uint16_t l16;
	uint8_t l8;
	if (lenbytes == 1) {
		if (!get8(c, &l8))
			return false;
		return sub(c, l8, s);
	}
	if (!get16(c, &l16))
		return false;
	return sub(c, l16, s);
}

/* ---- hello --------------------------------------------------------------- */

static void anomaly(struct mos_tls_stats *st, enum mos_tls_anomaly a)
{
	if (st)
		st->anomalies[a]++;
}

/* Append v to a u16 list unless GREASE; flags a capped list. */
static void push16(struct mos_tls_hello *h, uint16_t *list, uint16_t *n, size_t cap,
		   uint16_t v, struct mos_tls_stats *st)
{
	if (mos_tls_is_grease(v)) {
		h->flags |= MOS_TLS_F_GREASE;
		return;
	}
	if (*n >= cap) {
		if (!(h->flags & MOS_TLS_F_LIST_CAPPED))
			anomaly(st, MOS_TLS_ANOM_LIST_CAPPED);
		h->flags |= MOS_TLS_F_LIST_CAPPED;
		return;
	}
	list[(*n)++] = v;
}

static bool u16_list(struct cur *c, int lenbytes, struct mos_tls_hello *h, uint16_t *list,
		     uint16_t *n, size_t cap, struct mos_tls_stats *st)
{
	struct cur s;
	uint16_t v;
	if (!vec(c, lenbytes, &s) || (s.n & 1))
		return false;
	while (get16(&s, &v))
		push16(h, list, n, cap, v, st);
	return true;
}

/* Copy n bytes of a name; bytes outside 0x21-0x7e (NUL included) become
 * '?' and flag the hello, so the copy is a C string of exactly n bytes. */
static void copy_text(struct mos_tls_hello *h, char *dst, const uint8_t *src, size_t n,
		      struct mos_tls_stats *st)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = src[i];
		if (b < 0x21 || b > 0x7e) {
			if (!(h->flags & MOS_TLS_F_NON_PRINTABLE))
				anomaly(st, MOS_TLS_ANOM_NON_PRINTABLE);
			h->flags |= MOS_TLS_F_NON_PRINTABLE;
			b = '?';
		}
		dst[i] = (char)b;
	}
}

static bool ext_sni(struct cur *e, struct mos_tls_hello *h, struct mos_tls_stats *st)
{
	struct cur list, name;
	uint8_t type;
	if (e->n == 0)
		return true;     /* empty server_name in a ServerHello/EncryptedExtensions */
	if (!vec(e, 2, &list))
		return false;
	while (list.n) {
		if (!get8(&list, &type) || !vec(&list, 2, &name))
			return false;
		if (type != 0 || (h->flags & MOS_TLS_F_SNI))
			continue;
		size_t n = name.n;
		if (n > sizeof(h->sni) - 1) {
			n = sizeof(h->sni) - 1;
			h->flags |= MOS_TLS_F_TRUNC_SNI;
			anomaly(st, MOS_TLS_ANOM_TRUNCATED_FIELD);
		}
		copy_text(h, h->sni, name.p, n, st);
		h->sni[n] = '\0';
		h->sni_len = (uint16_t)n;
		h->flags |= MOS_TLS_F_SNI;
	}
	return true;
}

static bool ext_alpn(struct cur *e, struct mos_tls_hello *h, struct mos_tls_stats *st)
{
	struct cur list, proto;
	if (!vec(e, 2, &list))
		return false;
	h->flags |= MOS_TLS_F_ALPN;
	while (list.n) {
		if (!vec(&list, 1, &proto))
			return false;
		size_t need = proto.n + (h->alpn_count ? 1 : 0);
		h->alpn_count++;
		if (h->alpn_len + need > sizeof(h->alpn) - 1) {
			if (!(h->flags & MOS_TLS_F_TRUNC_ALPN))
				anomaly(st, MOS_TLS_ANOM_TRUNCATED_FIELD);
			h->flags |= MOS_TLS_F_TRUNC_ALPN;
			continue;
		}
		if (h->alpn_count == 1 && proto.n > 0) {
			h->alpn_first[0] = proto.p[0];
			h->alpn_first[1] = proto.p[proto.n - 1];
		}
		if (h->alpn_count > 1)
			h->alpn[h->alpn_len++] = ',';
		copy_text(h, h->alpn + h->alpn_len, proto.p, proto.n, st);
		h->alpn_len = (uint16_t)(h->alpn_len + proto.n);
		h->alpn[h->alpn_len] = '\0';
	}
	return true;
}

static bool extensions(struct cur *c, struct mos_tls_hello *h, struct mos_tls_stats *st)
{
	struct cur all, e;
	uint16_t type;
	if (c->n == 0)
		return true;                /* no extensions block at all */
	if (!vec(c, 2, &all))
		return false;
	while (all.n) {
		if (!get16(&all, &type) || !vec(&all, 2, &e))
			return false;
		push16(h, h->exts, &h->n_exts, MOS_TLS_MAX_EXTS, type, st);
		bool ok = true;
		switch (type) {
		case 0:     /* server_name */
			ok = ext_sni(&e, h, st);
			break;
		case 16:    /* application_layer_protocol_negotiation */
			ok = ext_alpn(&e, h, st);
			break;
		case 10:    /* supported_groups */
			if (h->type == 1)
				ok = u16_list(&e, 2, h, h->groups, &h->n_groups,
					      MOS_TLS_MAX_GROUPS, st);
			break;
		case 11: {  /* ec_point_formats */
			struct cur f;
			uint8_t v;
			if (!vec(&e, 1, &f))
				return false;
			while (get8(&f, &v)) {
				if (h->n_formats < MOS_TLS_MAX_FORMATS) {
					h->formats[h->n_formats++] = v;
				} else {
					if (!(h->flags & MOS_TLS_F_LIST_CAPPED))
						anomaly(st, MOS_TLS_ANOM_LIST_CAPPED);
					h->flags |= MOS_TLS_F_LIST_CAPPED;
				}
			}
			break;
		}
		case 13:    /* signature_algorithms */
			if (h->type == 1)
				ok = u16_list(&e, 2, h, h->sigalgs, &h->n_sigalgs,
					      MOS_TLS_MAX_SIGALGS, st);
			break;
		case 43:    /* supported_versions */
			h->flags |= MOS_TLS_F_SUPP_VERS;
			if (h->type == 1) {
				ok = u16_list(&e, 1, h, h->versions, &h->n_versions,
					      MOS_TLS_MAX_VERSIONS, st);
			} else {
				uint16_t v;
				ok = get16(&e, &v);
				if (ok)
					h->version = v;
			}
			break;
		default:
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

int mos_tls_parse_hello(uint8_t type, const uint8_t *body, size_t len,
			struct mos_tls_hello *h, struct mos_tls_stats *st)
{
	struct cur c = { body, len }, v;
	uint64_t off = h->stream_offset;
	memset(h, 0, sizeof(*h));
	h->stream_offset = off;
	h->type = type;
	h->length = (uint32_t)len;
	if (type != 1 && type != 2)
		return -EBADMSG;
	if (!get16(&c, &h->legacy_version) || c.n < 32)
		return -EBADMSG;
	if (type == 2 && memcmp(c.p, hrr_random, 32) == 0) {
		h->flags |= MOS_TLS_F_HRR;
		anomaly(st, MOS_TLS_ANOM_HELLO_RETRY);
	}
	c.p += 32;
	c.n -= 32;
	if (!vec(&c, 1, &v) || v.n > 32)        /* legacy_session_id */
		return -EBADMSG;
	if (type == 1) {
		if (!u16_list(&c, 2, h, h->ciphers, &h->n_ciphers, MOS_TLS_MAX_CIPHERS, st))
			return -EBADMSG;
		if (!vec(&c, 1, &v) || v.n == 0)    /* legacy_compression_methods */
			return -EBADMSG;
	} else {
		uint8_t comp;
		if (!get16(&c, &h->cipher) || !get8(&c, &comp))
			return -EBADMSG;
	}
	if (!extensions(&c, h, st))
		return -EBADMSG;
	if (type == 1) {
		/* highest offered standard version (SSL 3.0 .. TLS 1.3); drafts and
		 * private values (0x7fxx, 0xfb1a, ...) only when nothing else */
		h->version = h->n_versions ? h->versions[0] : h->legacy_version;
		bool std_seen = false;
		for (unsigned i = 0; i < h->n_versions; i++) {
			uint16_t sv = h->versions[i];
			if (sv < 0x0300 || sv > 0x0304)
				continue;
			if (!std_seen || sv > h->version)
				h->version = sv;
			std_seen = true;
		}
	} else if (!(h->flags & MOS_TLS_F_SUPP_VERS)) {
		h->version = h->legacy_version;
	}
	char ja3[MOS_TLS_JA3_MAX];
	uint8_t dig[16];
	size_t n = mos_tls_fingerprint(h, ja3, sizeof(ja3));
	if (n >= sizeof(ja3))
		n = sizeof(ja3) - 1;
	mos_md5_digest(ja3, n, dig);
	mos_md5_hex(dig, h->ja3_md5);
	if (type == 1)
		mos_tls_ja4(h, h->ja4);
	return 0;
}

/* ---- JA4 ------------------------------------------------------------------ */

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* First 12 hex digits of SHA-256 over "xxxx,xxxx,..." of v[0..n-1], then (when
 * m > 0) "_" and w[0..m-1] the same way. */
static void ja4_hash(const uint16_t *v, unsigned n, const uint16_t *w, unsigned m, char out[13])
{
	static const char hex[] = "0123456789abcdef";
	struct mos_sha256 s;
	uint8_t d[32];
	/* "xxxx," per value: at most 5 * (128 + 64 + 32) bytes, formatted once */
	char text[5 * (MOS_TLS_MAX_CIPHERS + MOS_TLS_MAX_EXTS + MOS_TLS_MAX_SIGALGS) + 2];
	size_t t = 0;
	for (unsigned l = 0; l < 2; l++) {
		const uint16_t *x = l ? w : v;
		unsigned cnt = l ? m : n;
		if (l && m > 0)
			text[t++] = '_';
		for (unsigned i = 0; i < cnt; i++) {
			if (i)
				text[t++] = ',';
			text[t++] = hex[x[i] >> 12];
			text[t++] = hex[(x[i] >> 8) & 15];
			text[t++] = hex[(x[i] >> 4) & 15];
			text[t++] = hex[x[i] & 15];
		}
	}
	mos_sha256_init(&s);
	mos_sha256_update(&s, text, t);
	mos_sha256_final(&s, d);
	for (int i = 0; i < 6; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[12] = '\0';
}

static bool is_alnum(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

void mos_tls_ja4(const struct mos_tls_hello *h, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	uint16_t ver = h->legacy_version;
	for (unsigned i = 0; i < h->n_versions; i++)
		if (i == 0 || h->versions[i] > ver)
			ver = h->versions[i];
	const char *vs = ver == 0x0304 ? "13" : ver == 0x0303 ? "12" : ver == 0x0302 ? "11"
		       : ver == 0x0301 ? "10" : ver == 0x0300 ? "s3" : ver == 0x0002 ? "s2"
		       : ver == 0xfeff ? "d1" : ver == 0xfefd ? "d2" : ver == 0xfefc ? "d3" : "00";
	bool sni = false;
	uint16_t ext[MOS_TLS_MAX_EXTS], ciph[MOS_TLS_MAX_CIPHERS];
	unsigned ne = 0;
	for (unsigned i = 0; i < h->n_exts; i++) {
		if (h->exts[i] == 0)
			sni = true;
		if (h->exts[i] != 0 && h->exts[i] != 16)
			ext[ne++] = h->exts[i];
	}
	char alpn[3] = "00";
	if (h->alpn_count > 0) {
		uint8_t f = h->alpn_first[0], l = h->alpn_first[1];
		if (is_alnum(f) && is_alnum(l)) {
			alpn[0] = (char)f;
			alpn[1] = (char)l;
		} else {
			alpn[0] = hex[f >> 4];
			alpn[1] = hex[l & 15];
		}
	}
	unsigned nc = h->n_ciphers > 99 ? 99 : h->n_ciphers;
	unsigned nx = h->n_exts > 99 ? 99 : h->n_exts;
	memcpy(ciph, h->ciphers, h->n_ciphers * sizeof(uint16_t));
	qsort(ciph, h->n_ciphers, sizeof(uint16_t), cmp_u16);
	qsort(ext, ne, sizeof(uint16_t), cmp_u16);
	char b[13], c[13];
	if (h->n_ciphers)
		ja4_hash(ciph, h->n_ciphers, NULL, 0, b);
	else
		memcpy(b, "000000000000", 13);
	if (ne)
		ja4_hash(ext, ne, h->sigalgs, h->n_sigalgs, c);
	else
		memcpy(c, "000000000000", 13);
	snprintf(out, 37, "t%s%c%02u%02u%s_%s_%s", vs, sni ? 'd' : 'i', nc, nx, alpn, b, c);
}

/* Appends to out[*pos..], never past cap-1; counts the full length. */
struct sbuf {
	char *out;          /* destination */
	size_t cap;         /* its size */
	size_t len;         /* full length so far */
};

static void sb_putu(struct sbuf *b, unsigned v, char sep)
{
	char tmp[8], dig[6];
	int n = 0, k = 0;
	if (sep)
		tmp[n++] = sep;
	do {
		dig[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && k < 5);
	while (k)
		tmp[n++] = dig[--k];
	for (int i = 0; i < n; i++, b->len++)
		if (b->len + 1 < b->cap)
			b->out[b->len] = tmp[i];
}

static void sb_u16list(struct sbuf *b, const uint16_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sb_putu(b, v[i], i ? '-' : 0);
}

static void sb_comma(struct sbuf *b)
{
	if (b->len + 1 < b->cap)
		b->out[b->len] = ',';
	b->len++;
}

size_t mos_tls_fingerprint(const struct mos_tls_hello *h, char *out, size_t cap)
{
	struct sbuf b = { out, cap, 0 };
	sb_putu(&b, h->legacy_version, 0);
	sb_comma(&b);
	if (h->type == 1) {
		sb_u16list(&b, h->ciphers, h->n_ciphers);
		sb_comma(&b);
		sb_u16list(&b, h->exts, h->n_exts);
		sb_comma(&b);
		sb_u16list(&b, h->groups, h->n_groups);
		sb_comma(&b);
		for (unsigned i = 0; i < h->n_formats; i++)
			sb_putu(&b, h->formats[i], i ? '-' : 0);
	} else {
		sb_putu(&b, h->cipher, 0);
		sb_comma(&b);
		sb_u16list(&b, h->exts, h->n_exts);
	}
	if (cap)
		out[b.len < cap ? b.len : cap - 1] = '\0';
	return b.len;
}

/* ---- record layer ------------------------------------------------------- */

int mos_tls_init(struct mos_tls_dir *t, uint8_t *buf, uint32_t cap,
		 struct mos_tls_stats *stats)
{
	if (!t || !buf || cap < MOS_TLS_HS_BUF_MIN)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->buf = buf;
	t->cap = cap;
	t->stats = stats;
	t->state = T_REC_HDR;
	return 0;
}

static enum mos_tls_event tls_fail(struct mos_tls_dir *t, enum mos_tls_error e)
{
	t->error = (uint8_t)e;
	t->state = T_DONE;
	if (t->stats)
		t->stats->errors[e]++;
	return MOS_TLS_ERROR;
}

bool mos_tls_done(const struct mos_tls_dir *t)
{
	return t->state == T_DONE;
}

/* A complete record header is in rec_hdr: validate it. */
static enum mos_tls_error check_record(struct mos_tls_dir *t)
{
	const uint8_t *r = t->rec_hdr;
	uint16_t len = (uint16_t)(r[3] << 8 | r[4]);
	bool first = t->records++ == 0;
	if (r[0] < 20 || r[0] > 24 || r[1] != 3 || r[2] > 4)
		return first ? MOS_TLS_ERR_NOT_TLS : MOS_TLS_ERR_BAD_RECORD;
	if (len == 0 || len > MOS_TLS_RECORD_MAX)
		return MOS_TLS_ERR_BAD_RECORD;
	if (r[0] == 23 || (r[0] != 22 && t->have > 0))
		return MOS_TLS_ERR_UNEXPECTED_RECORD;
	t->rec_left = len;
	return MOS_TLS_ERR_NONE;
}

enum mos_tls_event mos_tls_feed(struct mos_tls_dir *t, const uint8_t *data, size_t len,
				size_t *used)
{
	size_t i = 0;
	enum mos_tls_event ev = MOS_TLS_NEED_MORE;
	if (!data)
		len = 0;
	while (i < len && ev == MOS_TLS_NEED_MORE) {
		switch (t->state) {
		case T_REC_HDR:
			if (t->rec_hdr_len == 0 && t->have == 0)
				t->hs_offset = t->offset + i;
			/* SSLv2-compatible ClientHello: high bit of the first byte */
			if (t->rec_hdr_len == 0 && t->offset + i == 0 && (data[i] & 0x80)) {
				i++;
				ev = tls_fail(t, MOS_TLS_ERR_SSLV2);
				break;
			}
			t->rec_hdr[t->rec_hdr_len++] = data[i++];
			if (t->rec_hdr_len == 5) {
				t->rec_hdr_len = 0;
				enum mos_tls_error e = check_record(t);
				if (e) {
					ev = tls_fail(t, e);
				} else if (t->rec_hdr[0] != 22) {
					/* alert / change_cipher_spec / heartbeat before the
					 * hello (e.g. a warning unrecognized_name alert) */
					if (t->stats)
						t->stats->anomalies[MOS_TLS_ANOM_RECORD_BEFORE_HELLO]++;
					t->state = T_REC_SKIP;
				} else {
					t->state = T_REC_BODY;
				}
			}
			break;

		case T_REC_BODY: {
			size_t take = len - i;
			if (take > t->rec_left)
				take = t->rec_left;
			/* the 4-byte handshake header first, to learn the length */
			if (t->need == 0) {
				size_t h = 4 - t->have;
				if (take > h)
					take = h;
			} else if (take > t->need - t->have) {
				take = t->need - t->have;
			}
			memcpy(t->buf + t->have, data + i, take);
			t->have += (uint32_t)take;
			t->rec_left = (uint16_t)(t->rec_left - take);
			i += take;
			if (t->need == 0 && t->have == 4) {
				uint32_t body = (uint32_t)t->buf[1] << 16 | (uint32_t)t->buf[2] << 8 |
						t->buf[3];
				if (t->buf[0] != 1 && t->buf[0] != 2) {
					ev = tls_fail(t, MOS_TLS_ERR_UNEXPECTED_HANDSHAKE);
					break;
				}
				if (body > t->cap - 4) {
					ev = tls_fail(t, MOS_TLS_ERR_HELLO_TOO_LARGE);
					break;
				}
				t->need = 4 + body;
			}
			if (t->need && t->have == t->need) {
				t->hello.stream_offset = t->hs_offset;
				if (mos_tls_parse_hello(t->buf[0], t->buf + 4, t->need - 4,
							&t->hello, t->stats) < 0) {
					ev = tls_fail(t, MOS_TLS_ERR_BAD_HELLO);
					break;
				}
				t->state = T_DONE;
				if (t->buf[0] == 1) {
					if (t->stats)
						t->stats->client_hellos++;
					ev = MOS_TLS_CLIENT_HELLO;
				} else {
					if (t->stats)
						t->stats->server_hellos++;
					ev = MOS_TLS_SERVER_HELLO;
				}
				break;
			}
			if (t->rec_left == 0)
				t->state = T_REC_HDR;
			break;
		}

		case T_REC_SKIP: {
			size_t take = len - i;
			if (take > t->rec_left)
				take = t->rec_left;
			i += take;
			t->rec_left = (uint16_t)(t->rec_left - take);
			if (t->rec_left == 0)
				t->state = T_REC_HDR;
			break;
		}

		case T_DONE:
		default:
			i = len;
			break;
		}
	}
	t->offset += i;
	*used = i;
	return ev;
}

enum mos_tls_event mos_tls_gap(struct mos_tls_dir *t, uint64_t n)
{
	t->offset += n;
	if (n == 0 || t->state == T_DONE)
		return MOS_TLS_NEED_MORE;
	return tls_fail(t, MOS_TLS_ERR_GAP);
}
