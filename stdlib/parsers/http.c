/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/http.c — incremental HTTP/1.x message-header parser (RFC 9112).
 *
 * A byte-driven state machine per direction with bulk paths (memchr, plain
 * skips) for field values and bodies. Message framing follows RFC 9112 §6.3:
 * HEAD/1xx/204/304 have no body, CONNECT 2xx and 101 make the rest opaque,
 * Transfer-Encoding ending in chunked wins over Content-Length, responses
 * without either are read until close, requests without either have none.
 */
#include "parsers/http.h"

#include <string.h>

enum http_state {
	S_START = 0,        /* before a start line (empty lines skipped) */
	S_REQ_METHOD,       /* method token */
	S_REQ_URI,          /* request-target */
	S_REQ09_LF,         /* CR ending an HTTP/0.9 request line seen */
	S_REQ_VERSION,      /* "HTTP/x.y" [OWS] line end */
	S_RESP_VERSION,     /* "HTTP/x.y" SP */
	S_RESP_STATUS,      /* 3DIGIT */
	S_RESP_REASON,      /* reason-phrase up to line end */
	S_FIELD_START,      /* start of a field line, empty line or obs-fold */
	S_FIELD_NAME,       /* field-name up to ':' */
	S_FIELD_OWS,        /* OWS after ':' */
	S_FIELD_VALUE,      /* field-value up to LF */
	S_HDR_END_LF,       /* CR of the empty line seen, LF expected */
	S_MSG_DONE,         /* header parsed, no body: report the end next call */
	S_BODY_CL,          /* Content-Length body */
	S_CHUNK_SIZE,       /* chunk-size hex digits */
	S_CHUNK_EXT,        /* BWS / chunk-ext up to LF */
	S_CHUNK_DATA,       /* chunk-data */
	S_CHUNK_DATA_END,   /* CRLF after chunk-data */
	S_TRAILER_START,    /* start of a trailer line or the final empty line */
	S_TRAILER_LINE,     /* a trailer field line up to LF */
	S_TRAILER_END_LF,   /* CR of the final empty line seen */
	S_UNTIL_CLOSE,      /* body delimited by the end of the stream */
	S_TUNNEL,           /* opaque bytes (CONNECT, upgrade) */
	S_RESYNC_SKIP,      /* after an error: skip to the next LF */
	S_RESYNC_LINE,      /* after an error: does this line start a message? */
	S_DEAD,             /* ignore everything (error without resync, or EOF) */
};

enum http_field {
	F_OTHER = 0,
	F_HOST,
	F_UA,
	F_REFERER,
	F_CTYPE,
	F_CENC,
	F_CL,
	F_TE,
	F_CONN,
	F_SKIP_DUP,         /* repeated Host/User-Agent: first one is kept */
};

/* Marks an HTTP/0.9 request in the pending ring (its answer has no header). */
#define PENDING_HTTP09 0x80u

/* Body framing decided at the end of a header (kept in dir->aux). */
enum http_after {
	A_NONE = 0,
	A_CL,
	A_CHUNKED,
	A_UNTIL_CLOSE,
	A_TUNNEL,
};

#define X_NAME(id, name) name,
static const char *const http_error_names[] = { "none", MOS_HTTP_ERRORS(X_NAME) };
static const char *const http_anomaly_names[] = { MOS_HTTP_ANOMALIES(X_NAME) };
#undef X_NAME

static const char *const http_method_names[] = {
	[MOS_HTTP_M_OTHER] = "OTHER",   [MOS_HTTP_M_GET] = "GET",
	[MOS_HTTP_M_HEAD] = "HEAD",     [MOS_HTTP_M_POST] = "POST",
	[MOS_HTTP_M_PUT] = "PUT",       [MOS_HTTP_M_DELETE] = "DELETE",
	[MOS_HTTP_M_CONNECT] = "CONNECT", [MOS_HTTP_M_OPTIONS] = "OPTIONS",
	[MOS_HTTP_M_TRACE] = "TRACE",   [MOS_HTTP_M_PATCH] = "PATCH",
};
#define HTTP_NUM_METHODS (sizeof(http_method_names) / sizeof(http_method_names[0]))

const char *mos_http_error_name(enum mos_http_error e)
{
	return (unsigned)e < MOS_HTTP_ERR__COUNT ? http_error_names[e] : "?";
}

const char *mos_http_anomaly_name(enum mos_http_anomaly a)
{
	return (unsigned)a < MOS_HTTP_ANOM__COUNT ? http_anomaly_names[a] : "?";
}

const char *mos_http_method_name(enum mos_http_method m)
{
	return (unsigned)m < HTTP_NUM_METHODS ? http_method_names[m] : "?";
}

/* tchar of RFC 9110 §5.6.2: ALPHA / DIGIT / "!#$%&'*+-.^_`|~". */
static const uint8_t http_tchar[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static bool is_tchar(uint8_t b)
{
	return http_tchar[b] != 0;
}

static uint8_t lower(uint8_t b)
{
	return (b >= 'A' && b <= 'Z') ? (uint8_t)(b + 32) : b;
}

static int hexval(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	b = lower(b);
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	return -1;
}

void mos_http_init(struct mos_http_conn *c, const struct mos_http_limits *lim,
		   struct mos_http_stats *stats, bool resync)
{
	memset(c, 0, sizeof(*c));
	if (lim)
		c->lim = *lim;
	if (!c->lim.max_header_bytes)
		c->lim.max_header_bytes = MOS_HTTP_DEF_MAX_HEADER_BYTES;
	if (!c->lim.max_headers)
		c->lim.max_headers = MOS_HTTP_DEF_MAX_HEADERS;
	if (!c->lim.max_field_len)
		c->lim.max_field_len = MOS_HTTP_DEF_MAX_FIELD_LEN;
	c->stats = stats;
	for (int d = 0; d < 2; d++) {
		c->dir[d].state = S_START;
		c->dir[d].resync = resync;
	}
}

static void anomaly(struct mos_http_conn *c, enum mos_http_anomaly a)
{
	if (c->stats)
		c->stats->anomalies[a]++;
}

static enum mos_http_event fail(struct mos_http_conn *c, struct mos_http_dir *s,
				enum mos_http_error e)
{
	s->error = (uint8_t)e;
	s->state = s->resync ? S_RESYNC_SKIP : S_DEAD;
	if (c->stats)
		c->stats->errors[e]++;
	return MOS_HTTP_ERROR;
}

/* Account n header bytes of the current line; 0 or an error. */
static enum mos_http_error hdr_take(const struct mos_http_conn *c, struct mos_http_dir *s,
				    size_t n)
{
	/* compared before adding: n may be any size_t (counters stay bounded) */
	if (n > (size_t)(c->lim.max_field_len - s->line_len))
		return MOS_HTTP_ERR_FIELD_TOO_LONG;
	if (n > (size_t)(c->lim.max_header_bytes - s->hdr_bytes))
		return MOS_HTTP_ERR_HEADER_TOO_LONG;
	s->line_len += (uint32_t)n;
	s->hdr_bytes += (uint32_t)n;
	return MOS_HTTP_ERR_NONE;
}

/* Append bytes to a copied field; sets the truncation flag when full. */
static void copy_field(struct mos_http_conn *c, char *dst, uint16_t *dlen, size_t cap,
		       const uint8_t *src, size_t n, uint32_t *flags, uint32_t trunc_flag)
{
	size_t room = cap - 1 - *dlen;
	if (n > room) {
		if (!(*flags & trunc_flag))
			anomaly(c, MOS_HTTP_ANOM_TRUNCATED_FIELD);
		*flags |= trunc_flag;
		n = room;
	}
	/* NUL, CR, LF and other controls become SP (RFC 9110 §5.5), so the
	 * copy is a plain C string of exactly *dlen bytes */
	for (size_t i = 0; i < n; i++) {
		uint8_t b = src[i];
		dst[*dlen + i] = (char)((b < 0x20 && b != '\t') || b == 0x7f ? ' ' : b);
	}
	*dlen = (uint16_t)(*dlen + n);
	dst[*dlen] = '\0';
}

static void trim_tail(char *dst, uint16_t *dlen)
{
	while (*dlen > 0 && (dst[*dlen - 1] == ' ' || dst[*dlen - 1] == '\t' ||
			     dst[*dlen - 1] == '\r'))
		dst[--*dlen] = '\0';
}

static void begin_message(struct mos_http_conn *c, struct mos_http_dir *s,
			  enum mos_http_dir_id d, uint64_t off)
{
	if (d == MOS_HTTP_DIR_REQUEST) {
		struct mos_http_request *r = &c->req;
		r->stream_offset = off;
		r->content_length = 0;
		r->header_len = 0;
		r->flags = 0;
		r->header_count = 0;
		r->method_len = r->uri_len = r->host_len = r->ua_len = 0;
		r->referer_len = r->ctype_len = 0;
		r->body_len = 0;
		r->method_id = MOS_HTTP_M_OTHER;
		r->version_major = r->version_minor = 0;
		r->method[0] = r->uri[0] = r->host[0] = r->user_agent[0] = '\0';
		r->referer[0] = r->content_type[0] = '\0';
		s->state = S_REQ_METHOD;
	} else {
		struct mos_http_response *r = &c->resp;
		r->stream_offset = off;
		r->content_length = 0;
		r->header_len = 0;
		r->flags = 0;
		r->header_count = 0;
		r->status = 0;
		r->reason_len = 0;
		r->reason[0] = '\0';
		r->ctype_len = 0;
		r->content_type[0] = '\0';
		r->body_len = 0;
		r->version_major = r->version_minor = 0;
		r->request_method_id = MOS_HTTP_M_OTHER;
		s->state = S_RESP_VERSION;
	}
	s->hdr_bytes = 0;
	s->line_len = 0;
	s->hdr_count = 0;
	s->num = 0;
	s->aux = 0;
	s->field = F_OTHER;
	s->cl_seen = s->te_seen = s->te_chunked_last = false;
	s->cl_value = 0;
}

static uint8_t method_id(const char *m, size_t n)
{
	for (unsigned i = 1; i < HTTP_NUM_METHODS; i++)
		if (strlen(http_method_names[i]) == n && memcmp(http_method_names[i], m, n) == 0)
			return (uint8_t)i;
	return MOS_HTTP_M_OTHER;
}

/* Field name (lower case) → enum http_field. */
static uint8_t field_id(const struct mos_http_dir *s)
{
	static const struct { const char *name; uint8_t id; } known[] = {
		{ "host", F_HOST }, { "user-agent", F_UA }, { "content-length", F_CL },
		{ "transfer-encoding", F_TE }, { "connection", F_CONN },
		{ "referer", F_REFERER }, { "content-type", F_CTYPE },
		{ "content-encoding", F_CENC },
	};
	if (s->name_len > sizeof(s->name))
		return F_OTHER;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == s->name_len &&
		    memcmp(known[i].name, s->name, s->name_len) == 0)
			return known[i].id;
	return F_OTHER;
}

/* One list token (Connection / Transfer-Encoding) is complete in name[]. */
static void end_token(struct mos_http_conn *c, struct mos_http_dir *s, enum mos_http_dir_id d)
{
	uint32_t *flags = d == MOS_HTTP_DIR_REQUEST ? &c->req.flags : &c->resp.flags;
	size_t n = s->name_len;
	if (n == 0)
		return;
	if (n > sizeof(s->name))
		n = 0;          /* too long for any token we know */
	if (s->field == F_TE) {
		s->te_seen = true;
		s->te_chunked_last = n == 7 && memcmp(s->name, "chunked", 7) == 0;
	} else if (s->field == F_CENC) {
		if (!(n == 8 && memcmp(s->name, "identity", 8) == 0))
			*flags |= MOS_HTTP_F_CONTENT_ENCODED;
	} else if (s->field == F_CONN) {
		if (n == 5 && memcmp(s->name, "close", 5) == 0)
			*flags |= MOS_HTTP_F_CONN_CLOSE;
		else if (n == 10 && memcmp(s->name, "keep-alive", 10) == 0)
			*flags |= MOS_HTTP_F_CONN_KA;
		else if (n == 7 && memcmp(s->name, "upgrade", 7) == 0)
			*flags |= MOS_HTTP_F_UPGRADE;
	}
	s->name_len = 0;
}

/* One Content-Length list item ended (at ',' or line end). */
static enum mos_http_error end_cl_item(struct mos_http_dir *s)
{
	if (!(s->aux & 1))
		return MOS_HTTP_ERR_BAD_CONTENT_LENGTH;     /* empty item */
	if (s->cl_seen && s->cl_value != s->num64)
		return MOS_HTTP_ERR_BAD_CONTENT_LENGTH;     /* differing values */
	s->cl_seen = true;
	s->cl_value = s->num64;
	s->num64 = 0;
	s->aux = 0;
	return MOS_HTTP_ERR_NONE;
}

/* Bytes src[0..n-1] of a field value (no LF among them). */
static enum mos_http_error value_bytes(struct mos_http_conn *c, struct mos_http_dir *s,
				       enum mos_http_dir_id d, const uint8_t *src, size_t n)
{
	switch (s->field) {
	case F_HOST:
		copy_field(c, c->req.host, &c->req.host_len, sizeof(c->req.host), src, n,
			   &c->req.flags, MOS_HTTP_F_TRUNC_HOST);
		break;
	case F_UA:
		copy_field(c, c->req.user_agent, &c->req.ua_len, sizeof(c->req.user_agent),
			   src, n, &c->req.flags, MOS_HTTP_F_TRUNC_UA);
		break;
	case F_REFERER:
		copy_field(c, c->req.referer, &c->req.referer_len, sizeof(c->req.referer),
			   src, n, &c->req.flags, MOS_HTTP_F_TRUNC_REFERER);
		break;
	case F_CTYPE:
		if (d == MOS_HTTP_DIR_REQUEST)
			copy_field(c, c->req.content_type, &c->req.ctype_len,
				   sizeof(c->req.content_type), src, n, &c->req.flags,
				   MOS_HTTP_F_TRUNC_CTYPE);
		else
			copy_field(c, c->resp.content_type, &c->resp.ctype_len,
				   sizeof(c->resp.content_type), src, n, &c->resp.flags,
				   MOS_HTTP_F_TRUNC_CTYPE);
		break;
	case F_CL:
		/* 1#( DIGIT+ ) with OWS; aux bit0: digits in item, bit1: item closed */
		for (size_t i = 0; i < n; i++) {
			uint8_t b = src[i];
			if (b >= '0' && b <= '9') {
				if (s->aux & 2)
					return MOS_HTTP_ERR_BAD_CONTENT_LENGTH;
				if (s->num64 > (UINT64_C(1) << 56))
					return MOS_HTTP_ERR_BAD_CONTENT_LENGTH;
				s->num64 = s->num64 * 10 + (uint64_t)(b - '0');
				s->aux |= 1;
			} else if (b == ' ' || b == '\t' || b == '\r') {
				if (s->aux & 1)
					s->aux |= 2;
			} else if (b == ',') {
				enum mos_http_error e = end_cl_item(s);
				if (e)
					return e;
			} else {
				return MOS_HTTP_ERR_BAD_CONTENT_LENGTH;
			}
		}
		break;
	case F_TE:
	case F_CONN:
	case F_CENC:
		for (size_t i = 0; i < n; i++) {
			uint8_t b = src[i];
			if (b == ',') {
				end_token(c, s, d);
			} else if (b == ' ' || b == '\t' || b == '\r') {
				continue;  /* OWS around tokens; tokens have no spaces */
			} else if (s->name_len < sizeof(s->name)) {
				s->name[s->name_len++] = (char)lower(b);
			} else {
				s->name_len = sizeof(s->name) + 1;
			}
		}
		break;
	default:
		break;
	}
	return MOS_HTTP_ERR_NONE;
}

/* The LF ending a field value was consumed. */
static enum mos_http_error value_end(struct mos_http_conn *c, struct mos_http_dir *s,
				     enum mos_http_dir_id d)
{
	switch (s->field) {
	case F_HOST:
		trim_tail(c->req.host, &c->req.host_len);
		break;
	case F_UA:
		trim_tail(c->req.user_agent, &c->req.ua_len);
		break;
	case F_REFERER:
		trim_tail(c->req.referer, &c->req.referer_len);
		break;
	case F_CTYPE:
		if (d == MOS_HTTP_DIR_REQUEST)
			trim_tail(c->req.content_type, &c->req.ctype_len);
		else
			trim_tail(c->resp.content_type, &c->resp.ctype_len);
		break;
	case F_CL:
		return end_cl_item(s);
	case F_TE:
	case F_CONN:
	case F_CENC:
		end_token(c, s, d);
		break;
	default:
		break;
	}
	return MOS_HTTP_ERR_NONE;
}

/* n body bytes of the current message of direction d (lost ones: gap). */
static void body_add(struct mos_http_conn *c, enum mos_http_dir_id d, uint64_t n, bool gap)
{
	if (d == MOS_HTTP_DIR_REQUEST) {
		c->req.body_len += n;
		if (gap)
			c->req.flags |= MOS_HTTP_F_BODY_GAP;
	} else {
		c->resp.body_len += n;
		if (gap)
			c->resp.flags |= MOS_HTTP_F_BODY_GAP;
	}
}

static void pending_push(struct mos_http_conn *c, uint8_t m)
{
	if (c->pend_count == MOS_HTTP_PENDING_MAX) {
		anomaly(c, MOS_HTTP_ANOM_PENDING_OVERFLOW);
		return;
	}
	c->pending[(c->pend_head + c->pend_count) % MOS_HTTP_PENDING_MAX] = m;
	c->pend_count++;
}

/* Method of the oldest outstanding request; pop it unless keep. */
static uint8_t pending_pop(struct mos_http_conn *c, bool keep)
{
	if (c->pend_count == 0) {
		anomaly(c, MOS_HTTP_ANOM_RESPONSE_WITHOUT_REQUEST);
		return MOS_HTTP_M_OTHER;
	}
	uint8_t m = c->pending[c->pend_head];
	if (!keep) {
		c->pend_head = (uint8_t)((c->pend_head + 1) % MOS_HTTP_PENDING_MAX);
		c->pend_count--;
	}
	return m;
}

/* The empty line ending a header was consumed: decide the body framing.
 * Returns the event (MOS_HTTP_REQUEST/RESPONSE) or MOS_HTTP_ERROR. */
static enum mos_http_event header_end(struct mos_http_conn *c, struct mos_http_dir *s,
				      enum mos_http_dir_id d)
{
	uint32_t *flags;
	uint8_t after = A_NONE;
	if (d == MOS_HTTP_DIR_REQUEST) {
		struct mos_http_request *r = &c->req;
		flags = &r->flags;
		r->header_len = s->hdr_bytes;
		r->header_count = s->hdr_count;
		if (s->te_seen) {
			if (!s->te_chunked_last)
				return fail(c, s, MOS_HTTP_ERR_BAD_TRANSFER_ENCODING);
			after = A_CHUNKED;
		} else if (s->cl_seen && s->cl_value > 0) {
			after = A_CL;
		}
		if (r->method_id == MOS_HTTP_M_CONNECT)
			after = A_TUNNEL;
		if (s->cl_seen) {
			r->content_length = s->cl_value;
			*flags |= MOS_HTTP_F_HAS_CL;
		}
		pending_push(c, (uint8_t)(r->method_id |
					  ((r->flags & MOS_HTTP_F_HTTP09) ? PENDING_HTTP09 : 0)));
	} else {
		struct mos_http_response *r = &c->resp;
		flags = &r->flags;
		r->header_len = s->hdr_bytes;
		r->header_count = s->hdr_count;
		bool interim = r->status >= 100 && r->status < 200 && r->status != 101;
		r->request_method_id = pending_pop(c, interim) & ~PENDING_HTTP09;
		if (s->cl_seen) {
			r->content_length = s->cl_value;
			*flags |= MOS_HTTP_F_HAS_CL;
		}
		if (r->status == 101 ||
		    (r->request_method_id == MOS_HTTP_M_CONNECT && r->status / 100 == 2)) {
			after = A_TUNNEL;
		} else if (r->request_method_id == MOS_HTTP_M_HEAD || r->status < 200 ||
			   r->status == 204 || r->status == 304) {
			*flags |= MOS_HTTP_F_NO_BODY;
		} else if (s->te_seen) {
			after = s->te_chunked_last ? A_CHUNKED : A_UNTIL_CLOSE;
			if (!s->te_chunked_last)
				*flags |= MOS_HTTP_F_TE_OTHER;
		} else if (s->cl_seen) {
			after = s->cl_value > 0 ? A_CL : A_NONE;
		} else {
			after = A_UNTIL_CLOSE;
		}
	}
	if (s->te_seen) {
		if (s->te_chunked_last)
			*flags |= MOS_HTTP_F_CHUNKED;
		if (s->cl_seen)
			anomaly(c, MOS_HTTP_ANOM_TE_AND_CL);
	}
	uint8_t major = d == MOS_HTTP_DIR_REQUEST ? c->req.version_major : c->resp.version_major;
	uint8_t minor = d == MOS_HTTP_DIR_REQUEST ? c->req.version_minor : c->resp.version_minor;
	bool ka = major != 1 ? false
		  : minor >= 1 ? !(*flags & MOS_HTTP_F_CONN_CLOSE)
			       : (*flags & MOS_HTTP_F_CONN_KA) && !(*flags & MOS_HTTP_F_CONN_CLOSE);
	if (ka)
		*flags |= MOS_HTTP_F_KEEP_ALIVE;
	switch (after) {
	case A_CL:
		s->remaining = s->cl_value;
		s->state = S_BODY_CL;
		break;
	case A_CHUNKED:
		s->remaining = 0;
		s->aux = 0;
		s->line_len = 0;
		s->state = S_CHUNK_SIZE;
		break;
	case A_UNTIL_CLOSE:
		*flags |= MOS_HTTP_F_UNTIL_CLOSE;
		s->state = S_UNTIL_CLOSE;
		break;
	case A_TUNNEL:
		*flags |= MOS_HTTP_F_TUNNEL;
		s->state = S_MSG_DONE;
		break;
	default:
		s->state = S_MSG_DONE;
		break;
	}
	if (d == MOS_HTTP_DIR_REQUEST) {
		if (c->stats)
			c->stats->requests++;
		return MOS_HTTP_REQUEST;
	}
	if (c->stats)
		c->stats->responses++;
	return MOS_HTTP_RESPONSE;
}

/* The body (or bodyless message) ended: back to a message start. */
static enum mos_http_event message_end(struct mos_http_conn *c, struct mos_http_dir *s,
				       enum mos_http_dir_id d)
{
	uint32_t flags = d == MOS_HTTP_DIR_REQUEST ? c->req.flags : c->resp.flags;
	s->state = (flags & MOS_HTTP_F_TUNNEL) ? S_TUNNEL : S_START;
	if (d == MOS_HTTP_DIR_RESPONSE && c->resp.status == 101 &&
	    c->dir[MOS_HTTP_DIR_REQUEST].state == S_START)
		c->dir[MOS_HTTP_DIR_REQUEST].state = S_TUNNEL;
	if (c->stats)
		c->stats->messages++;
	return MOS_HTTP_MSG_END;
}

/* Does the resync prefix name[0..name_len-1] start a message? 1 complete
 * match, 0 still possible, -1 impossible. */
static int resync_match(const struct mos_http_dir *s, enum mos_http_dir_id d)
{
	static const char *const req[] = { "GET ", "POST ", "HEAD ", "PUT ", "DELETE ",
					   "OPTIONS ", "CONNECT ", "TRACE ", "PATCH " };
	static const char *const resp[] = { "HTTP/1." };
	const char *const *cand = d == MOS_HTTP_DIR_REQUEST ? req : resp;
	size_t ncand = d == MOS_HTTP_DIR_REQUEST ? sizeof(req) / sizeof(req[0]) : 1;
	int best = -1;
	for (size_t i = 0; i < ncand; i++) {
		size_t cl = strlen(cand[i]);
		if (s->name_len <= cl && memcmp(cand[i], s->name, s->name_len) == 0) {
			if (s->name_len == cl)
				return 1;
			best = 0;
		}
	}
	return best;
}

static enum mos_http_event run(struct mos_http_conn *c, enum mos_http_dir_id d,
			       const uint8_t *data, size_t len, size_t *used, uint64_t base);

/* Fail on data[i] (consumed). When that byte is the LF ending the line, the
 * next line is already a candidate for resync. */
#define FAIL(e) do {                                                    \
		enum mos_http_event ev_ = fail(c, s, (e));              \
		if (s->state == S_RESYNC_SKIP && data[i] == '\n') {     \
			s->state = S_RESYNC_LINE;                       \
			s->name_len = 0;                                \
		}                                                       \
		*used = i + 1;                                          \
		return ev_;                                             \
	} while (0)
#define TAKE(n) do {                                                    \
		enum mos_http_error e_ = hdr_take(c, s, (n));           \
		if (e_) { *used = i; return fail(c, s, e_); }           \
	} while (0)

static enum mos_http_event run(struct mos_http_conn *c, enum mos_http_dir_id d,
			       const uint8_t *data, size_t len, size_t *used, uint64_t base)
{
	struct mos_http_dir *s = &c->dir[d];
	struct mos_http_request *rq = &c->req;
	struct mos_http_response *rs = &c->resp;
	size_t i = 0;

	if (s->state == S_MSG_DONE) {
		*used = 0;
		return message_end(c, s, d);
	}
	while (i < len) {
		uint8_t b = data[i];
		switch (s->state) {
		case S_START:
			if (b == '\r' || b == '\n') {
				if (b == '\n')
					anomaly(c, MOS_HTTP_ANOM_LEADING_EMPTY_LINE);
				i++;
				continue;
			}
			if (d == MOS_HTTP_DIR_RESPONSE && c->pend_count &&
			    (c->pending[c->pend_head] & PENDING_HTTP09) && b != 'H') {
				/* HTTP/0.9 answer: no header, the body runs until the
				 * end; reported as a response of version 0.9, status 0 */
				begin_message(c, s, d, base + i);
				(void)pending_pop(c, false);
				c->resp.request_method_id = MOS_HTTP_M_GET;
				c->resp.version_minor = 9;
				c->resp.flags |= MOS_HTTP_F_HTTP09 | MOS_HTTP_F_UNTIL_CLOSE;
				s->state = S_UNTIL_CLOSE;
				if (c->stats)
					c->stats->responses++;
				*used = i;
				return MOS_HTTP_RESPONSE;
			}
			begin_message(c, s, d, base + i);
			continue;   /* same byte, new state */

		case S_REQ_METHOD:
			if (is_tchar(b)) {
				size_t j = i + 1;
				while (j < len && is_tchar(data[j]))
					j++;
				TAKE(j - i);
				s->num += (uint32_t)(j - i);
				copy_field(c, rq->method, &rq->method_len, sizeof(rq->method),
					   data + i, j - i, &rq->flags, MOS_HTTP_F_TRUNC_METHOD);
				i = j;
				continue;
			}
			TAKE(1);
			if (b == ' ') {
				if (s->num == 0)
					FAIL(MOS_HTTP_ERR_BAD_START_LINE);
				rq->method_id = method_id(rq->method, rq->method_len);
				s->num = 0;
				s->state = S_REQ_URI;
			} else {
				FAIL(MOS_HTTP_ERR_BAD_START_LINE);
			}
			i++;
			continue;

		case S_REQ_URI: {
			/* bulk: the run of visible bytes */
			size_t j = i;
			while (j < len && data[j] > 0x20 && data[j] != 0x7f)
				j++;
			if (j > i) {
				TAKE(j - i);
				copy_field(c, rq->uri, &rq->uri_len, sizeof(rq->uri), data + i,
					   j - i, &rq->flags, MOS_HTTP_F_TRUNC_URI);
				s->num += (uint32_t)(j - i);
				i = j;
				continue;
			}
			TAKE(1);
			if (s->num > 0 && (b == '\r' || b == '\n')) {
				/* HTTP/0.9 simple request: "GET /path" CRLF, no fields */
				rq->flags |= MOS_HTTP_F_HTTP09;
				rq->version_minor = 9;
				if (b == '\r') {
					s->state = S_REQ09_LF;
					i++;
					continue;
				}
				anomaly(c, MOS_HTTP_ANOM_BARE_LF);
				*used = i + 1;
				return header_end(c, s, d);
			}
			if (b != ' ' || s->num == 0)
				FAIL(MOS_HTTP_ERR_BAD_START_LINE);
			s->aux = 0;
			s->state = S_REQ_VERSION;
			i++;
			continue;
		}

		case S_REQ09_LF:
			TAKE(1);
			if (b != '\n')
				FAIL(MOS_HTTP_ERR_BAD_LINE_END);
			*used = i + 1;
			return header_end(c, s, d);

		case S_REQ_VERSION:
		case S_RESP_VERSION:
			TAKE(1);
			if (s->aux < 5) {
				if (b != (uint8_t)"HTTP/"[s->aux]) {
					FAIL(s->state == S_RESP_VERSION && s->aux == 0
						     ? MOS_HTTP_ERR_BAD_START_LINE
						     : MOS_HTTP_ERR_BAD_VERSION);
				}
			} else if (s->aux == 5 || s->aux == 7) {
				if (b < '0' || b > '9' || (s->aux == 5 && b != '1'))
					FAIL(MOS_HTTP_ERR_BAD_VERSION);
				if (d == MOS_HTTP_DIR_REQUEST) {
					if (s->aux == 5)
						rq->version_major = (uint8_t)(b - '0');
					else
						rq->version_minor = (uint8_t)(b - '0');
				} else {
					if (s->aux == 5)
						rs->version_major = (uint8_t)(b - '0');
					else
						rs->version_minor = (uint8_t)(b - '0');
				}
			} else if (s->aux == 6) {
				if (b != '.')
					FAIL(MOS_HTTP_ERR_BAD_VERSION);
			} else if (s->state == S_RESP_VERSION) {
				if (b != ' ')
					FAIL(MOS_HTTP_ERR_BAD_VERSION);
				s->state = S_RESP_STATUS;
				s->aux = 0;
				i++;
				continue;
			} else {
				/* request: [OWS] CRLF */
				if (b == '\n') {
					if (s->prev != '\r')
						anomaly(c, MOS_HTTP_ANOM_BARE_LF);
					s->state = S_FIELD_START;
					s->line_len = 0;
				} else if (b != ' ' && b != '\t' && b != '\r') {
					FAIL(MOS_HTTP_ERR_BAD_VERSION);
				}
				s->prev = b;
				i++;
				continue;
			}
			s->aux++;
			s->prev = b;
			i++;
			continue;

		case S_RESP_STATUS:
			TAKE(1);
			if (s->aux < 3) {
				if (b < '0' || b > '9')
					FAIL(MOS_HTTP_ERR_BAD_STATUS);
				rs->status = (uint16_t)(rs->status * 10 + (b - '0'));
				s->aux++;
			} else if (b == ' ') {
				s->state = S_RESP_REASON;
			} else if (b == '\r') {
				s->state = S_RESP_REASON;
			} else if (b == '\n') {
				anomaly(c, MOS_HTTP_ANOM_BARE_LF);
				s->state = S_FIELD_START;
				s->line_len = 0;
			} else {
				FAIL(MOS_HTTP_ERR_BAD_STATUS);
			}
			s->prev = b;
			i++;
			continue;

		case S_RESP_REASON: {
			const uint8_t *lf = memchr(data + i, '\n', len - i);
			size_t j = lf ? (size_t)(lf - data) : len;
			if (j > i) {
				TAKE(j - i);
				copy_field(c, rs->reason, &rs->reason_len, sizeof(rs->reason),
					   data + i, j - i, &rs->flags, MOS_HTTP_F_TRUNC_REASON);
				s->prev = data[j - 1];
				i = j;
			}
			if (!lf)
				continue;
			TAKE(1);
			if (s->prev != '\r')
				anomaly(c, MOS_HTTP_ANOM_BARE_LF);
			trim_tail(rs->reason, &rs->reason_len);
			s->prev = '\n';
			s->state = S_FIELD_START;
			s->line_len = 0;
			i++;
			continue;
		}

		case S_FIELD_START:
			TAKE(1);
			if (b == '\r') {
				s->state = S_HDR_END_LF;
			} else if (b == '\n') {
				anomaly(c, MOS_HTTP_ANOM_BARE_LF);
				*used = i + 1;
				return header_end(c, s, d);
			} else if (b == ' ' || b == '\t') {
				if (s->hdr_count == 0 || s->field == F_CL || s->field == F_TE)
					FAIL(MOS_HTTP_ERR_BAD_FIELD);
				/* obs-fold: replaced by one SP (RFC 9112 §5.2) */
				anomaly(c, MOS_HTTP_ANOM_OBS_FOLD);
				(void)value_bytes(c, s, d, (const uint8_t *)" ", 1);
				s->state = S_FIELD_OWS;
			} else if (is_tchar(b)) {
				if (s->hdr_count >= c->lim.max_headers) {
					*used = i;
					return fail(c, s, MOS_HTTP_ERR_TOO_MANY_HEADERS);
				}
				s->hdr_count++;
				s->name[0] = (char)lower(b);
				s->name_len = 1;
				s->state = S_FIELD_NAME;
			} else {
				FAIL(MOS_HTTP_ERR_BAD_FIELD);
			}
			s->prev = b;
			i++;
			continue;

		case S_FIELD_NAME:
			if (is_tchar(b)) {
				/* bulk: the run of name characters */
				size_t j = i + 1;
				while (j < len && is_tchar(data[j]))
					j++;
				TAKE(j - i);
				for (size_t k = i; k < j; k++) {
					if (s->name_len < sizeof(s->name))
						s->name[s->name_len++] = (char)lower(data[k]);
					else
						s->name_len = sizeof(s->name) + 1;
				}
				s->prev = data[j - 1];
				i = j;
				continue;
			}
			TAKE(1);
			if (b == ':') {
				uint8_t f = field_id(s);
				if (f == F_HOST && rq->host_len > 0)
					f = F_SKIP_DUP;
				if (f == F_UA && rq->ua_len > 0)
					f = F_SKIP_DUP;
				if (f == F_REFERER && rq->referer_len > 0)
					f = F_SKIP_DUP;
				if (f == F_CTYPE && (d == MOS_HTTP_DIR_REQUEST ? rq->ctype_len
									: rs->ctype_len) > 0)
					f = F_SKIP_DUP;
				if (d == MOS_HTTP_DIR_RESPONSE &&
				    (f == F_HOST || f == F_UA || f == F_REFERER))
					f = F_OTHER;
				s->field = f;
				s->name_len = 0;
				s->num64 = 0;
				s->aux = 0;
				s->state = S_FIELD_OWS;
			} else {
				FAIL(MOS_HTTP_ERR_BAD_FIELD);
			}
			s->prev = b;
			i++;
			continue;

		case S_FIELD_OWS:
			if (b == ' ' || b == '\t') {
				TAKE(1);
				s->prev = b;
				i++;
				continue;
			}
			s->state = S_FIELD_VALUE;
			continue;

		case S_FIELD_VALUE: {
			const uint8_t *lf = memchr(data + i, '\n', len - i);
			size_t j = lf ? (size_t)(lf - data) : len;
			if (j > i) {
				TAKE(j - i);
				enum mos_http_error e = value_bytes(c, s, d, data + i, j - i);
				if (e) {
					*used = j;
					return fail(c, s, e);
				}
				s->prev = data[j - 1];
				i = j;
			}
			if (!lf)
				continue;
			TAKE(1);
			if (s->prev != '\r')
				anomaly(c, MOS_HTTP_ANOM_BARE_LF);
			enum mos_http_error e = value_end(c, s, d);
			if (e)
				FAIL(e);
			s->prev = '\n';
			s->state = S_FIELD_START;
			s->line_len = 0;
			i++;
			continue;
		}

		case S_HDR_END_LF:
			TAKE(1);
			if (b != '\n')
				FAIL(MOS_HTTP_ERR_BAD_LINE_END);
			s->prev = b;
			*used = i + 1;
			return header_end(c, s, d);

		case S_BODY_CL: {
			uint64_t take = len - i;
			if (take > s->remaining)
				take = s->remaining;
			i += (size_t)take;
			s->remaining -= take;
			body_add(c, d, take, false);
			if (s->remaining == 0) {
				*used = i;
				return message_end(c, s, d);
			}
			continue;
		}

		case S_CHUNK_SIZE: {
			int v = hexval(b);
			if (s->line_len >= c->lim.max_field_len) {
				*used = i;
				return fail(c, s, MOS_HTTP_ERR_FIELD_TOO_LONG);
			}
			s->line_len++;
			if (v >= 0) {
				if (s->aux >= 15)
					FAIL(MOS_HTTP_ERR_BAD_CHUNK);
				s->remaining = s->remaining * 16 + (uint64_t)v;
				s->aux++;
			} else if (s->aux > 0 && (b == ';' || b == ' ' || b == '\t' || b == '\r')) {
				s->state = S_CHUNK_EXT;
			} else if (s->aux > 0 && b == '\n') {
				goto chunk_line_end;
			} else {
				FAIL(MOS_HTTP_ERR_BAD_CHUNK);
			}
			i++;
			continue;
		}

		case S_CHUNK_EXT: {
			const uint8_t *lf = memchr(data + i, '\n', len - i);
			size_t j = lf ? (size_t)(lf - data) : len;
			if (j - i > (size_t)(c->lim.max_field_len - s->line_len)) {
				*used = j;
				return fail(c, s, MOS_HTTP_ERR_FIELD_TOO_LONG);
			}
			s->line_len += (uint32_t)(j - i);
			i = j;
			if (!lf)
				continue;
			goto chunk_line_end;
		}
		chunk_line_end:
			/* data[i] is the LF of a chunk-size line */
			i++;
			s->line_len = 0;
			if (s->remaining == 0) {
				s->hdr_bytes = 0;
				s->hdr_count = 0;
				s->state = S_TRAILER_START;
			} else {
				s->state = S_CHUNK_DATA;
			}
			continue;

		case S_CHUNK_DATA: {
			uint64_t take = len - i;
			if (take > s->remaining)
				take = s->remaining;
			i += (size_t)take;
			s->remaining -= take;
			body_add(c, d, take, false);
			if (s->remaining == 0) {
				s->state = S_CHUNK_DATA_END;
				s->aux = 0;
			}
			continue;
		}

		case S_CHUNK_DATA_END:
			if (b == '\r' && s->aux == 0) {
				s->aux = 1;
			} else if (b == '\n') {
				s->state = S_CHUNK_SIZE;
				s->aux = 0;
				s->remaining = 0;
				s->line_len = 0;
			} else {
				FAIL(MOS_HTTP_ERR_BAD_CHUNK);
			}
			i++;
			continue;

		case S_TRAILER_START:
			TAKE(1);
			if (b == '\r') {
				s->state = S_TRAILER_END_LF;
				i++;
				continue;
			}
			if (b == '\n') {
				*used = i + 1;
				return message_end(c, s, d);
			}
			if (s->hdr_count >= c->lim.max_headers) {
				*used = i;
				return fail(c, s, MOS_HTTP_ERR_TOO_MANY_HEADERS);
			}
			s->hdr_count++;
			s->state = S_TRAILER_LINE;
			i++;
			continue;

		case S_TRAILER_LINE: {
			const uint8_t *lf = memchr(data + i, '\n', len - i);
			size_t j = lf ? (size_t)(lf - data) + 1 : len;
			TAKE(j - i);
			i = j;
			if (lf) {
				s->line_len = 0;
				s->state = S_TRAILER_START;
			}
			continue;
		}

		case S_TRAILER_END_LF:
			if (b != '\n')
				FAIL(MOS_HTTP_ERR_BAD_LINE_END);
			*used = i + 1;
			return message_end(c, s, d);

		case S_RESYNC_SKIP: {
			const uint8_t *lf = memchr(data + i, '\n', len - i);
			if (!lf) {
				i = len;
				continue;
			}
			i = (size_t)(lf - data) + 1;
			s->name_len = 0;
			s->state = S_RESYNC_LINE;
			continue;
		}

		case S_RESYNC_LINE: {
			if (b == '\n') {
				s->name_len = 0;
				i++;
				continue;
			}
			s->name[s->name_len++] = (char)b;
			int m = resync_match(s, d);
			i++;
			if (m < 0) {
				s->state = S_RESYNC_SKIP;
				continue;
			}
			if (m == 0)
				continue;
			/* replay the matched prefix as the start of a message */
			char pre[sizeof(s->name)];
			size_t n = s->name_len, u;
			memcpy(pre, s->name, n);
			anomaly(c, MOS_HTTP_ANOM_RESYNC);
			s->state = S_START;
			(void)run(c, d, (const uint8_t *)pre, n, &u, base + i - n);
			continue;
		}

		case S_MSG_DONE:
			*used = i;
			return message_end(c, s, d);

		case S_UNTIL_CLOSE:
			body_add(c, d, len - i, false);
			i = len;
			continue;

		case S_TUNNEL:
		case S_DEAD:
		default:
			i = len;
			continue;
		}
	}
	*used = len;
	return MOS_HTTP_NEED_MORE;
}

#undef FAIL
#undef TAKE

enum mos_http_event mos_http_feed(struct mos_http_conn *c, enum mos_http_dir_id d,
				  const uint8_t *data, size_t len, size_t *used)
{
	size_t u = 0;
	if (!data)
		len = 0;
	enum mos_http_event ev = run(c, d, data, len, &u, c->dir[d].offset);
	c->dir[d].offset += u;
	*used = u;
	return ev;
}

enum mos_http_event mos_http_gap(struct mos_http_conn *c, enum mos_http_dir_id d, uint64_t n)
{
	struct mos_http_dir *s = &c->dir[d];
	s->offset += n;
	if (n == 0)
		return MOS_HTTP_NEED_MORE;
	switch (s->state) {
	case S_BODY_CL:
		if (n < s->remaining) {
			s->remaining -= n;
			body_add(c, d, n, true);
			return MOS_HTTP_NEED_MORE;
		}
		if (n == s->remaining) {
			s->remaining = 0;
			body_add(c, d, n, true);
			return message_end(c, s, d);
		}
		break;
	case S_CHUNK_DATA:
		if (n < s->remaining) {
			s->remaining -= n;
			body_add(c, d, n, true);
			return MOS_HTTP_NEED_MORE;
		}
		if (n == s->remaining) {
			s->remaining = 0;
			body_add(c, d, n, true);
			s->aux = 0;
			s->state = S_CHUNK_DATA_END;
			return MOS_HTTP_NEED_MORE;
		}
		break;
	case S_UNTIL_CLOSE:
		body_add(c, d, n, true);
		return MOS_HTTP_NEED_MORE;
	case S_TUNNEL:
	case S_DEAD:
		return MOS_HTTP_NEED_MORE;
	case S_RESYNC_SKIP:
	case S_RESYNC_LINE:
		s->state = S_RESYNC_SKIP;
		return MOS_HTTP_NEED_MORE;
	default:
		break;
	}
	return fail(c, s, MOS_HTTP_ERR_GAP);
}

enum mos_http_event mos_http_eof(struct mos_http_conn *c, enum mos_http_dir_id d)
{
	struct mos_http_dir *s = &c->dir[d];
	enum mos_http_event ev = MOS_HTTP_NEED_MORE;
	if (s->state == S_UNTIL_CLOSE)
		ev = message_end(c, s, d);
	else if (s->state == S_MSG_DONE)
		ev = message_end(c, s, d);
	s->state = S_DEAD;
	return ev;
}

bool mos_http_in_tunnel(const struct mos_http_conn *c, enum mos_http_dir_id d)
{
	return c->dir[d].state == S_TUNNEL;
}
