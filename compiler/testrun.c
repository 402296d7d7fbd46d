// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/testrun.c — `mosc test`: test blocks and directory tests.
 *
 * A .mos file is checked in process (so test blocks and missing captures
 * get diagnostics with carets), then compiled once into a temporary
 * directory by running this executable as `mosc build FILE -o BIN` (a
 * subprocess: the back end stays decoupled). Each test block runs BIN with
 * its captures (`-r`, in order), `--out` and `--stats`; the JSON Lines it
 * writes are read with a strict reader and the expectations evaluated.
 * A directory test (one .mos, captures, expected.jsonl or expected/) runs
 * the program on every capture and compares the records exactly, in order.
 */
#define _GNU_SOURCE
#include "testrun.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "sema.h"

#ifndef MOSC_STDLIB_DIR
#define MOSC_STDLIB_DIR "/usr/local/share/mos/stdlib"
#endif

#define TRUN_MAX_FWD 160

/* ---- JSON reader -------------------------------------------------------- */

struct trun_jp {
	const char *s;               /* text */
	size_t n;                    /* its length */
	size_t i;                    /* read position */
	char *err;                   /* message buffer */
	size_t errlen;               /* its size */
	struct trun_obj *o;          /* object being filled */
	size_t cap;                  /* fields allocated in o */
};

static int trun_jfail(struct trun_jp *p, const char *why)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s at byte %zu", why, p->i);
	return -EINVAL;
}

static void trun_jws(struct trun_jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r' ||
			       p->s[p->i] == '\n'))
		p->i++;
}

/* A growable byte buffer. */
struct trun_buf {
	char *b;                     /* bytes (NUL-terminated when non-NULL) */
	size_t n;                    /* used */
	size_t cap;                  /* allocated */
};

static int trun_put(struct trun_buf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *nb = realloc(b->b, cap);
		if (!nb)
			return -ENOMEM;
		b->b = nb;
		b->cap = cap;
	}
	memcpy(b->b + b->n, s, n);
	b->n += n;
	b->b[b->n] = 0;
	return 0;
}

static int trun_hex4(struct trun_jp *p, unsigned *cp)
{
	if (p->n - p->i < 4)
		return trun_jfail(p, "truncated \\u escape");
	*cp = 0;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];
		unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			: c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			: c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (v == 16)
			return trun_jfail(p, "bad hex digit in \\u escape");
		*cp = *cp << 4 | v;
	}
	return 0;
}

/* A string at p->i (opening quote included) into out. */
static int trun_jstring(struct trun_jp *p, struct trun_buf *out)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return trun_jfail(p, "expected a string");
	p->i++;
	if (trun_put(out, "", 0))
		return -ENOMEM;
	for (;;) {
		if (p->i >= p->n)
			return trun_jfail(p, "unterminated string");
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '"') {
			p->i++;
			return 0;
		}
		if (c < 0x20)
			return trun_jfail(p, "control character in string");
		if (c != '\\') {
			size_t k = p->i;
			while (k < p->n && p->s[k] != '"' && p->s[k] != '\\' && (unsigned char)p->s[k] >= 0x20)
				k++;
			if (trun_put(out, p->s + p->i, k - p->i))
				return -ENOMEM;
			p->i = k;
			continue;
		}
		if (++p->i >= p->n)
			return trun_jfail(p, "unterminated escape");
		char e = p->s[p->i++];
		char one;
		switch (e) {
		case '"': one = '"'; break;
		case '\\': one = '\\'; break;
		case '/': one = '/'; break;
		case 'b': one = '\b'; break;
		case 'f': one = '\f'; break;
		case 'n': one = '\n'; break;
		case 'r': one = '\r'; break;
		case 't': one = '\t'; break;
		case 'u': {
			unsigned cp;
			int rc = trun_hex4(p, &cp);
			if (rc)
				return rc;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;
				if (p->n - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
					return trun_jfail(p, "unpaired surrogate");
				p->i += 2;
				if ((rc = trun_hex4(p, &lo)))
					return rc;
				if (lo < 0xdc00 || lo > 0xdfff)
					return trun_jfail(p, "unpaired surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return trun_jfail(p, "unpaired surrogate");
			}
			/* The record writer escapes single bytes as \u00XX: keep them as bytes. */
			unsigned char u[4];
			size_t k;
			if (cp <= 0xff) {
				u[0] = (unsigned char)cp;
				k = 1;
			} else if (cp < 0x800) {
				u[0] = (unsigned char)(0xc0 | cp >> 6);
				u[1] = (unsigned char)(0x80 | (cp & 0x3f));
				k = 2;
			} else if (cp < 0x10000) {
				u[0] = (unsigned char)(0xe0 | cp >> 12);
				u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				u[2] = (unsigned char)(0x80 | (cp & 0x3f));
				k = 3;
			} else {
				u[0] = (unsigned char)(0xf0 | cp >> 18);
				u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
				u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				u[3] = (unsigned char)(0x80 | (cp & 0x3f));
				k = 4;
			}
			if (trun_put(out, u, k))
				return -ENOMEM;
			continue;
		}
		default:
			p->i--;
			return trun_jfail(p, "unknown escape");
		}
		if (trun_put(out, &one, 1))
			return -ENOMEM;
	}
}

/* A number per RFC 8259 at p->i; its text goes to out. */
static int trun_jnumber(struct trun_jp *p, struct trun_buf *out)
{
	size_t st = p->i;
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
		return trun_jfail(p, "expected a value");
	if (p->s[p->i] == '0' && p->i + 1 < p->n && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9')
		return trun_jfail(p, "leading zero in number");
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		size_t d = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == d)
			return trun_jfail(p, "digits expected after '.'");
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		size_t d = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == d)
			return trun_jfail(p, "digits expected in exponent");
	}
	return trun_put(out, p->s + st, p->i - st);
}

static bool trun_jword(struct trun_jp *p, const char *w)
{
	size_t k = strlen(w);
	if (p->n - p->i >= k && !memcmp(p->s + p->i, w, k)) {
		p->i += k;
		return true;
	}
	return false;
}

static int trun_jadd(struct trun_jp *p, const char *key, int type, struct trun_buf *val)
{
	struct trun_obj *o = p->o;
	for (size_t k = 0; k < o->n; k++)
		if (!strcmp(o->f[k].key, key))
			return trun_jfail(p, "duplicate key");
	if (o->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct trun_field *nf = realloc(o->f, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		o->f = nf;
		p->cap = cap;
	}
	char *kc = strdup(key);
	if (!kc)
		return -ENOMEM;
	if (!val->b && trun_put(val, "", 0)) {
		free(kc);
		return -ENOMEM;
	}
	o->f[o->n++] = (struct trun_field){ .key = kc, .type = type, .val = val->b, .len = val->n };
	*val = (struct trun_buf){ 0 };
	return 0;
}

/* An object at p->i whose keys get prefix (dotted); depth-limited. */
static int trun_jobject(struct trun_jp *p, const char *prefix, int depth)
{
	if (depth > 8)
		return trun_jfail(p, "objects nested too deeply");
	if (p->i >= p->n || p->s[p->i] != '{')
		return trun_jfail(p, "expected '{'");
	p->i++;
	trun_jws(p);
	if (p->i < p->n && p->s[p->i] == '}') {
		p->i++;
		return 0;
	}
	for (;;) {
		struct trun_buf key = { 0 }, val = { 0 };
		trun_jws(p);
		int rc = trun_jstring(p, &key);
		if (!rc && prefix[0]) {
			struct trun_buf full = { 0 };
			rc = trun_put(&full, prefix, strlen(prefix)) || trun_put(&full, ".", 1) ||
			     trun_put(&full, key.b, key.n) ? -ENOMEM : 0;
			free(key.b);
			key = full;
		}
		if (!rc && memchr(key.b, 0, key.n))
			rc = trun_jfail(p, "NUL in key");
		if (!rc) {
			trun_jws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				rc = trun_jfail(p, "expected ':'");
			else
				p->i++;
		}
		if (!rc) {
			trun_jws(p);
			char c = p->i < p->n ? p->s[p->i] : 0;
			if (c == '"') {
				rc = trun_jstring(p, &val);
				if (!rc)
					rc = trun_jadd(p, key.b, TRUN_J_STR, &val);
			} else if (c == '{') {
				rc = trun_jobject(p, key.b, depth + 1);
			} else if (c == '[') {
				p->i++;
				rc = trun_put(&val, "[", 1);
				trun_jws(p);
				if (!rc && p->i < p->n && p->s[p->i] == ']') {
					p->i++;
				} else {
					while (!rc) {
						trun_jws(p);
						rc = trun_jnumber(p, &val);
						trun_jws(p);
						if (rc)
							break;
						if (p->i < p->n && p->s[p->i] == ',') {
							p->i++;
							rc = trun_put(&val, ",", 1);
						} else if (p->i < p->n && p->s[p->i] == ']') {
							p->i++;
							break;
						} else {
							rc = trun_jfail(p, "expected ',' or ']' in array of numbers");
						}
					}
				}
				if (!rc)
					rc = trun_put(&val, "]", 1);
				if (!rc)
					rc = trun_jadd(p, key.b, TRUN_J_ARR, &val);
			} else if (trun_jword(p, "true") || trun_jword(p, "false")) {
				rc = trun_put(&val, p->s[p->i - 1] == 'e' && p->s[p->i - 2] == 'u' ? "true" : "false",
					      p->s[p->i - 2] == 'u' ? 4 : 5);
				if (!rc)
					rc = trun_jadd(p, key.b, TRUN_J_BOOL, &val);
			} else if (trun_jword(p, "null")) {
				rc = trun_put(&val, "null", 4);
				if (!rc)
					rc = trun_jadd(p, key.b, TRUN_J_NULL, &val);
			} else {
				rc = trun_jnumber(p, &val);
				if (!rc)
					rc = trun_jadd(p, key.b, TRUN_J_NUM, &val);
			}
		}
		free(key.b);
		free(val.b);
		if (rc)
			return rc;
		trun_jws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == '}') {
			p->i++;
			return 0;
		}
		return trun_jfail(p, "expected ',' or '}'");
	}
}

int trun_json_parse(const char *text, size_t len, struct trun_obj *o, char *err, size_t errlen)
{
	*o = (struct trun_obj){ 0 };
	struct trun_jp p = { .s = text, .n = len, .err = err, .errlen = errlen, .o = o };
	trun_jws(&p);
	int rc = trun_jobject(&p, "", 0);
	if (!rc) {
		trun_jws(&p);
		if (p.i != p.n)
			rc = trun_jfail(&p, "text after the object");
	}
	if (!rc) {
		o->line = strndup(text, len);
		if (!o->line)
			rc = -ENOMEM;
		else
			o->line[strcspn(o->line, "\r\n")] = 0;
	}
	if (rc)
		trun_obj_free(o);
	return rc;
}

void trun_obj_free(struct trun_obj *o)
{
	if (!o)
		return;
	for (size_t k = 0; k < o->n; k++) {
		free(o->f[k].key);
		free(o->f[k].val);
	}
	free(o->f);
	free(o->line);
	*o = (struct trun_obj){ 0 };
}

const struct trun_field *trun_obj_get(const struct trun_obj *o, const char *key)
{
	for (size_t k = 0; o && k < o->n; k++)
		if (!strcmp(o->f[k].key, key))
			return &o->f[k];
	return NULL;
}

int trun_records_read(const char *path, struct trun_records *recs, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int rc = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		size_t k = (size_t)n;
		while (k && (line[k - 1] == '\n' || line[k - 1] == '\r'))
			k--;
		if (!k)
			continue;
		if (recs->n == recs->cap) {
			size_t nc = recs->cap ? recs->cap * 2 : 16;
			struct trun_obj *nr = realloc(recs->r, nc * sizeof(*nr));
			if (!nr) {
				rc = -ENOMEM;
				break;
			}
			recs->r = nr;
			recs->cap = nc;
		}
		char why[160];
		rc = trun_json_parse(line, k, &recs->r[recs->n], why, sizeof(why));
		if (rc) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, rc == -ENOMEM ? "out of memory" : why);
			break;
		}
		recs->n++;
	}
	free(line);
	fclose(f);
	return rc;
}

void trun_records_free(struct trun_records *recs)
{
	for (size_t k = 0; k < recs->n; k++)
		trun_obj_free(&recs->r[k]);
	free(recs->r);
	*recs = (struct trun_records){ 0 };
}

/* ---- values ------------------------------------------------------------ */

/* A JSON number as sign, integer part and nanoseconds (9 fraction digits). */
static bool trun_num_parse(const char *s, bool *neg, uint64_t *ip, uint64_t *ns)
{
	*neg = *s == '-';
	if (*neg)
		s++;
	char *end;
	errno = 0;
	*ip = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	*ns = 0;
	if (*end == '.') {
		end++;
		int d = 0;
		while (*end >= '0' && *end <= '9') {
			if (d < 9)
				*ns = *ns * 10 + (uint64_t)(*end - '0');
			else if (*end != '0')
				return false;      /* finer than nanoseconds */
			d++;
			end++;
		}
		for (; d < 9; d++)
			*ns *= 10;
	}
	return *end == 0;
}

static bool trun_addr_eq(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		return !memcmp(x, y, 4);
	if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
		return !memcmp(x, y, 16);
	return !strcmp(a, b);
}

static bool trun_in_prefix(const char *addr, const char *prefix)
{
	char net[64];
	const char *slash = strchr(prefix, '/');
	if (!slash || (size_t)(slash - prefix) >= sizeof(net))
		return trun_addr_eq(addr, prefix);
	memcpy(net, prefix, (size_t)(slash - prefix));
	net[slash - prefix] = 0;
	int bits = atoi(slash + 1);
	unsigned char x[16], y[16];
	int fam = strchr(net, ':') ? AF_INET6 : AF_INET;
	int max = fam == AF_INET ? 32 : 128;
	if (inet_pton(fam, net, y) != 1 || inet_pton(fam, addr, x) != 1 || bits < 0 || bits > max)
		return false;
	for (int b = 0; b < bits; b++)
		if (((x[b / 8] ^ y[b / 8]) >> (7 - b % 8)) & 1)
			return false;
	return true;
}

bool trun_value_matches(const struct ast_node *v, const struct trun_field *f)
{
	bool neg;
	uint64_t ip, ns;
	switch (v->kind) {
	case AST_INT:
	case AST_SIZE:
		return f->type == TRUN_J_NUM && trun_num_parse(f->val, &neg, &ip, &ns) && !ns &&
		       (!neg || !ip) && ip == v->num;
	case AST_UNARY:
		if (v->op == AST_OP_NEG && v->kid[0] && v->kid[0]->kind == AST_INT)
			return f->type == TRUN_J_NUM && trun_num_parse(f->val, &neg, &ip, &ns) && !ns &&
			       (neg || !ip) && ip == v->kid[0]->num;
		return false;
	case AST_DURATION:
		return f->type == TRUN_J_NUM && trun_num_parse(f->val, &neg, &ip, &ns) && !neg &&
		       ip <= UINT64_MAX / 1000000000u && ip * 1000000000u + ns == v->num;
	case AST_BOOL:
		return f->type == TRUN_J_BOOL && !strcmp(f->val, v->num ? "true" : "false");
	case AST_STRING:
	case AST_BYTES:
		return f->type == TRUN_J_STR && f->len == v->len && !memcmp(f->val, v->name, v->len);
	case AST_IP:
		return f->type == TRUN_J_STR && trun_addr_eq(f->val, v->name);
	case AST_PREFIX:
		return f->type == TRUN_J_STR && (!strcmp(f->val, v->name) || trun_in_prefix(f->val, v->name));
	case AST_PATH:
		return f->type == TRUN_J_STR && !strcmp(f->val, v->name);
	default:
		return false;
	}
}

/* Length of a valid UTF-8 sequence of 2..4 bytes at s, else 0. */
static size_t trun_utf8_len(const unsigned char *s, size_t n)
{
	size_t want = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (!want || want > n || (want == 4 && s[0] > 0xf4))
		return 0;
	uint32_t cp = s[0] & (0x7f >> want);
	for (size_t k = 1; k < want; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((want == 3 && cp < 0x800) || (want == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return want;
}

/* Write bytes as a JSON string the way the record writer does: valid UTF-8
 * kept, other bytes and control characters as \u00XX. */
static void trun_put_jstr(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c >= 0x80) {
			size_t u = trun_utf8_len((const unsigned char *)s + k, n - k);
			if (u) {
				fwrite(s + k, 1, u, out);
				k += u - 1;
			} else {
				fprintf(out, "\\u%04x", c);
			}
		} else if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void trun_put_field(FILE *out, const struct trun_field *f)
{
	if (f->type == TRUN_J_STR)
		trun_put_jstr(out, f->val, f->len);
	else
		fputs(f->val, out);
}

/* An expectation value as the user wrote it (roughly). */
static void trun_put_expected(FILE *out, const struct ast_node *v)
{
	switch (v->kind) {
	case AST_INT:
		fprintf(out, "%" PRIu64, v->num);
		break;
	case AST_SIZE:
		if (v->name)
			fprintf(out, "%s (%" PRIu64 ")", v->name, v->num);
		else
			fprintf(out, "%" PRIu64, v->num);
		break;
	case AST_UNARY:
		fputc('-', out);
		if (v->kid[0])
			trun_put_expected(out, v->kid[0]);
		break;
	case AST_BOOL:
		fputs(v->num ? "true" : "false", out);
		break;
	case AST_STRING:
	case AST_BYTES:
		trun_put_jstr(out, v->name, v->len);
		break;
	case AST_DURATION:
		fprintf(out, "%s (%" PRIu64 ".%09" PRIu64 ")", v->name, v->num / 1000000000u,
			v->num % 1000000000u);
		break;
	default:
		fputs(v->name ? v->name : "?", out);
		break;
	}
}

/* ---- expectations -------------------------------------------------------- */

static const char *trun_rec_name(const struct trun_obj *r)
{
	const struct trun_field *f = trun_obj_get(r, "record");
	return f && f->type == TRUN_J_STR ? f->val : "";
}

static bool trun_compare(uint64_t got, enum ast_op op, uint64_t want)
{
	switch (op) {
	case AST_OP_EQ: return got == want;
	case AST_OP_NE: return got != want;
	case AST_OP_LT: return got < want;
	case AST_OP_LE: return got <= want;
	case AST_OP_GT: return got > want;
	case AST_OP_GE: return got >= want;
	default: return false;
	}
}

/* "file:line:col: <source line>" of an expectation. */
static void trun_where(FILE *out, const struct diag_ctx *d, const struct ast_node *e)
{
	size_t len = 0;
	const char *text = d ? diag_file_text(d, e->span.file, &len) : NULL;
	const char *name = d ? diag_file_name(d, e->span.file) : NULL;
	fprintf(out, "    %s:%d:%d: ", name ? name : "?", e->span.first_line, e->span.first_column);
	if (!text) {
		fprintf(out, "expect %s\n", e->name ? e->name : "");
		return;
	}
	const char *p = text, *end = text + len;
	for (int l = 1; l < e->span.first_line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *le = nl ? nl : end;
	while (p < le && (*p == ' ' || *p == '\t'))
		p++;
	fprintf(out, "%.*s\n", (int)(le - p), p);
}

/* Number of expected fields of e that record r matches. */
static size_t trun_fields_matching(const struct ast_node *e, const struct trun_obj *r)
{
	size_t k = 0;
	for (const struct ast_node *f = e->kid[0]; f; f = f->next) {
		const struct trun_field *g = trun_obj_get(r, f->name);
		k += g && trun_value_matches(f->kid[0], g);
	}
	return k;
}

/* The fields of r that differ from e, one line each. */
static void trun_field_diff(FILE *out, const struct ast_node *e, const struct trun_obj *r)
{
	for (const struct ast_node *f = e->kid[0]; f; f = f->next) {
		const struct trun_field *g = trun_obj_get(r, f->name);
		if (g && trun_value_matches(f->kid[0], g))
			continue;
		fprintf(out, "      field '%s': expected ", f->name);
		trun_put_expected(out, f->kid[0]);
		if (g) {
			fputs(", produced ", out);
			trun_put_field(out, g);
			fputc('\n', out);
		} else {
			fputs(", but the record has no such field\n", out);
		}
	}
}

static uint64_t trun_count(const struct trun_records *recs, const char *name, size_t *first)
{
	uint64_t k = 0;
	*first = SIZE_MAX;
	for (size_t i = 0; i < recs->n; i++)
		if (!strcmp(trun_rec_name(&recs->r[i]), name)) {
			if (!k)
				*first = i;
			k++;
		}
	return k;
}

/* Value of a count expectation (sema made it a non-negative INT constant). */
static uint64_t trun_count_value(const struct ast_node *v)
{
	return v && (v->kind == AST_INT || v->kind == AST_SIZE) ? v->num : 0;
}

/* Look up an event or counter in the stats object: see docs/testing.md. */
static const struct trun_field *trun_stat(const struct trun_obj *stats, const char *group, const char *name)
{
	if (!stats)
		return NULL;
	char key[512];
	snprintf(key, sizeof(key), "%s.%s", group, name);
	const struct trun_field *f = trun_obj_get(stats, key);
	if (!f && !strcmp(group, "counters")) {
		f = trun_obj_get(stats, name);
		if (!f && !strncmp(name, "decode.", 7))
			f = trun_obj_get(stats, name + 7);
	}
	return f && f->type == TRUN_J_NUM ? f : NULL;
}

unsigned trun_eval(const struct ast_node *t, const struct diag_ctx *d, const struct trun_records *recs,
		   const struct trun_obj *stats, FILE *out)
{
	unsigned failed = 0;
	for (const struct ast_node *e = t->kid[0]; e; e = e->next) {
		size_t first;
		switch (e->kind) {
		case AST_EXPECT_COUNT: {
			uint64_t got = trun_count(recs, e->name, &first);
			uint64_t want = trun_count_value(e->kid[0]);
			if (trun_compare(got, e->op, want))
				break;
			failed++;
			trun_where(out, d, e);
			fprintf(out, "      expected %s count %s %" PRIu64 ", produced %" PRIu64 "\n", e->name,
				ast_op_text(e->op), want, got);
			break;
		}
		case AST_EXPECT_INDEX: {
			uint64_t got = trun_count(recs, e->name, &first);
			if (e->num >= got) {
				failed++;
				trun_where(out, d, e);
				fprintf(out, "      expected %s[%" PRIu64 "], but %" PRIu64 " %s record%s produced\n",
					e->name, e->num, got, e->name, got == 1 ? " was" : "s were");
				break;
			}
			uint64_t k = 0;
			size_t i = first;
			for (; i < recs->n; i++)
				if (!strcmp(trun_rec_name(&recs->r[i]), e->name) && k++ == e->num)
					break;
			if (trun_fields_matching(e, &recs->r[i]) == ast_list_len(e->kid[0]))
				break;
			failed++;
			trun_where(out, d, e);
			trun_field_diff(out, e, &recs->r[i]);
			fprintf(out, "      record %s[%" PRIu64 "]: %s\n", e->name, e->num, recs->r[i].line);
			break;
		}
		case AST_EXPECT_ANY: {
			size_t want = ast_list_len(e->kid[0]), best = SIZE_MAX, best_k = 0;
			uint64_t k = 0, best_idx = 0;
			bool found = false;
			for (size_t i = 0; i < recs->n && !found; i++) {
				if (strcmp(trun_rec_name(&recs->r[i]), e->name))
					continue;
				size_t m = trun_fields_matching(e, &recs->r[i]);
				if (m == want)
					found = true;
				else if (best == SIZE_MAX || m > best_k) {
					best = i;
					best_k = m;
					best_idx = k;
				}
				k++;
			}
			if (found)
				break;
			failed++;
			trun_where(out, d, e);
			if (best == SIZE_MAX) {
				fprintf(out, "      expected some %s record, but none was produced\n", e->name);
				break;
			}
			fprintf(out, "      no %s record matches (of %" PRIu64 "); nearest is %s[%" PRIu64 "]:\n",
				e->name, k, e->name, best_idx);
			trun_field_diff(out, e, &recs->r[best]);
			fprintf(out, "      record %s[%" PRIu64 "]: %s\n", e->name, best_idx, recs->r[best].line);
			break;
		}
		case AST_EXPECT_NO: {
			uint64_t got = trun_count(recs, e->name, &first);
			if (!got)
				break;
			failed++;
			trun_where(out, d, e);
			fprintf(out, "      expected no %s record, produced %" PRIu64 "; the first:\n", e->name, got);
			fprintf(out, "      record %s[0]: %s\n", e->name, recs->r[first].line);
			break;
		}
		case AST_EXPECT_EVENT:
		case AST_EXPECT_COUNTER: {
			bool ev = e->kind == AST_EXPECT_EVENT;
			const char *name = e->kid[0] && e->kid[0]->name ? e->kid[0]->name : "";
			const struct trun_field *f = trun_stat(stats, ev ? "events" : "counters", name);
			uint64_t want = trun_count_value(e->kid[1]);
			bool neg;
			uint64_t got = 0, ns = 0;
			if (f && (!trun_num_parse(f->val, &neg, &got, &ns) || neg || ns))
				f = NULL;
			if (f && trun_compare(got, e->op, want))
				break;
			failed++;
			trun_where(out, d, e);
			if (!f)
				fprintf(out, "      the program's --stats output has no %s '%s'\n",
					ev ? "event count for" : "counter", name);
			else
				fprintf(out, "      expected %s%s %s%s %" PRIu64 ", produced %" PRIu64 "\n",
					ev ? "event " : "counter ", name, ev ? "count " : "", ast_op_text(e->op),
					want, got);
			break;
		}
		default:
			break;
		}
	}
	return failed;
}

/* ---- processes and files ------------------------------------------------ */

static double trun_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Run argv with stdout to out_path (NULL = /dev/null) and stderr to
 * err_path; after timeout seconds (0 = none) it gets SIGALRM (the alarm
 * survives exec). Returns the exit status, 128+signal, or -errno.
 */
static int trun_spawn(char *const argv[], const char *out_path, const char *err_path, unsigned timeout)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		FILE *o = freopen(out_path ? out_path : "/dev/null", "w", stdout);
		FILE *e = freopen(err_path ? err_path : "/dev/null", "w", stderr);
		if (!o || !e)
			_exit(126);
		if (timeout)
			alarm(timeout);
		execv(argv[0], argv);
		fprintf(stderr, "mosc test: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Copy the file at path to out, indented. */
static void trun_cat(FILE *out, const char *path, const char *indent)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) >= 0)
		fprintf(out, "%s%s%s", indent, line, strchr(line, '\n') ? "" : "\n");
	free(line);
	fclose(f);
}

static int trun_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool trun_is_dir(const char *path)
{
	struct stat sb;
	return !stat(path, &sb) && S_ISDIR(sb.st_mode);
}

static bool trun_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static int trun_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir (no dot files). Returns the count, -errno on failure. */
static int trun_list(const char *dir, char ***names)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return -errno;
	size_t n = 0, cap = 0;
	char **v = NULL;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof(*nv));
			if (!nv)
				break;
			v = nv;
		}
		v[n] = strdup(de->d_name);
		if (v[n])
			n++;
	}
	closedir(dp);
	if (n)
		qsort(v, n, sizeof(*v), trun_strcmp);
	*names = v;
	return (int)n;
}

static void trun_free_list(char **v, int n)
{
	for (int k = 0; k < n; k++)
		free(v[k]);
	free(v);
}

static bool trun_is_capture(const char *name)
{
	return trun_ends(name, ".pcap") || trun_ends(name, ".pcapng") || trun_ends(name, ".cap");
}

/* ---- the run ------------------------------------------------------------ */

/* Options of one `mosc test`. */
struct trun_opts {
	const char *filter;          /* --filter (substring, or glob when it has * ? [) */
	bool verbose;                /* --verbose: print every record */
	bool update;                 /* --update: rewrite directory baselines */
	bool keep;                   /* --keep: keep the temporary directory */
	unsigned jobs;               /* --jobs N */
	unsigned timeout;            /* --timeout SECONDS per program run (0 = none) */
	const char *records;         /* --records FILE: use instead of running the program */
	const char *stats;           /* --stats-json FILE: with --records */
	const char *fwd[TRUN_MAX_FWD]; /* options forwarded to `mosc build` */
	size_t nfwd;                 /* how many */
	const char *incdirs[64];     /* -I directories (for the in-process check) */
	size_t nincdirs;             /* how many */
	bool werror;                 /* -Werror */
	unsigned max_errors;         /* --max-errors */
	int color;                   /* -1 auto, 0 never, 1 always */
	const char *self;            /* this executable */
	char tmp[PATH_MAX];          /* temporary directory of the run */
};

/* A compiled program (one per .mos file or test directory). */
struct trun_prog {
	char *path;                  /* the .mos file */
	char *bin;                   /* the built program, NULL if it did not build */
	char *build_err;             /* why it did not build (malloc'd text) or NULL */
	struct ast_arena *arena;     /* its tree (tests) */
	struct diag_ctx *diag;       /* its diagnostics (source text for messages) */
	struct load_program *lp;     /* the loaded program */
};

/* One unit of work: a test block or a directory test. */
struct trun_unit {
	struct trun_prog *prog;      /* the program */
	const struct ast_node *test; /* TEST node, NULL for a directory test */
	char *dir;                   /* directory test: its directory */
	char *name;                  /* printed name */
	bool pass;                   /* result */
	bool done;                   /* result known */
	double ms;                   /* wall time */
	char *outfile;               /* --jobs: the child's report */
	pid_t pid;                   /* --jobs: the child running it */
};

static bool trun_selected(const struct trun_opts *o, const char *name)
{
	if (!o->filter)
		return true;
	if (strpbrk(o->filter, "*?["))
		return !fnmatch(o->filter, name, 0);
	return strstr(name, o->filter) != NULL;
}

static char *trun_join(const char *dir, const char *name)
{
	char *p;
	if (name[0] == '/' || !dir[0] || !strcmp(dir, "."))
		return strdup(name);
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static char *trun_dirname(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

/* A whole file, NUL-terminated. */
static char *trun_slurp(const char *path)
{
	size_t len;
	return load_read_file(path, &len);
}

/* Run `mosc build` for p into the run's temporary directory (progID,
 * buildID.err). Returns its exit status (or -errno). */
static int trun_build_run(struct trun_opts *o, struct trun_prog *p, unsigned id)
{
	char bin[PATH_MAX + 32], err[PATH_MAX + 32];
	snprintf(bin, sizeof(bin), "%s/prog%u", o->tmp, id);
	snprintf(err, sizeof(err), "%s/build%u.err", o->tmp, id);
	const char *argv[TRUN_MAX_FWD + 8];
	size_t k = 0;
	argv[k++] = o->self;
	argv[k++] = "build";
	for (size_t i = 0; i < o->nfwd; i++)
		argv[k++] = o->fwd[i];
	argv[k++] = "-o";
	argv[k++] = bin;
	/* No "--": a path starting with '-' is made relative instead. */
	char *dotpath = NULL;
	if (p->path[0] == '-' && asprintf(&dotpath, "./%s", p->path) < 0)
		dotpath = NULL;
	argv[k++] = dotpath ? dotpath : p->path;
	argv[k] = NULL;
	int rc = trun_spawn((char *const *)argv, NULL, err, 0);
	free(dotpath);
	return rc;
}

/* Record the outcome of trun_build_run (status rc) in p: bin or build_err. */
static void trun_build_collect(struct trun_opts *o, struct trun_prog *p, unsigned id, int rc)
{
	char *bin = NULL, *err = NULL;
	if (asprintf(&bin, "%s/prog%u", o->tmp, id) < 0 || asprintf(&err, "%s/build%u.err", o->tmp, id) < 0) {
		free(bin);
		free(err);
		p->build_err = strdup("out of memory");
		return;
	}
	if (rc == 0) {
		p->bin = bin;
	} else {
		char *text = trun_slurp(err);
		if (!text || !text[0]) {
			free(text);
			if (asprintf(&text, "mosc build exited with status %d\n", rc) < 0)
				text = NULL;
		}
		p->build_err = text;
		free(bin);
	}
	free(err);
}

/*
 * Build every program that has a test to run, once; up to o->jobs builds
 * at a time (each in a child process that runs `mosc build`).
 */
static void trun_build_all(struct trun_opts *o, struct trun_prog **progs, size_t nprogs,
			   const bool *used)
{
	pid_t *pids = calloc(nprogs + 1, sizeof(pid_t));
	size_t running = 0;
	for (size_t k = 0; k < nprogs || running; ) {
		if (k < nprogs && !used[k]) {
			k++;
			continue;
		}
		if (k < nprogs && (o->jobs <= 1 || !pids)) {
			trun_build_collect(o, progs[k], (unsigned)k, trun_build_run(o, progs[k], (unsigned)k));
			k++;
			continue;
		}
		if (k < nprogs && running < o->jobs) {
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				int rc = trun_build_run(o, progs[k], (unsigned)k);
				_exit(rc < 0 ? 127 : rc > 255 ? 255 : rc);
			}
			if (pid < 0) {
				trun_build_collect(o, progs[k], (unsigned)k, trun_build_run(o, progs[k], (unsigned)k));
			} else {
				pids[k] = pid;
				running++;
			}
			k++;
			continue;
		}
		int st;
		pid_t pid = wait(&st);
		if (pid < 0)
			break;
		for (size_t j = 0; j < nprogs; j++)
			if (pids[j] == pid) {
				pids[j] = 0;
				running--;
				trun_build_collect(o, progs[j], (unsigned)j,
						   WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			}
	}
	free(pids);
}

/* Run prog on captures; records to out_path, stats to stats_path. Returns 0 or a message. */
static char *trun_exec(struct trun_opts *o, struct trun_prog *p, char **pcaps, size_t npcaps,
		       const char *out_path, const char *stats_path, const char *err_path)
{
	const char **argv = calloc(2 * npcaps + 8, sizeof(char *));
	if (!argv)
		return strdup("out of memory");
	size_t k = 0;
	argv[k++] = p->bin;
	for (size_t i = 0; i < npcaps; i++) {
		argv[k++] = "-r";
		argv[k++] = pcaps[i];
	}
	argv[k++] = "--out";
	argv[k++] = out_path;
	argv[k++] = "--stats";
	argv[k++] = stats_path;
	argv[k] = NULL;
	int rc = trun_spawn((char *const *)argv, NULL, err_path, o->timeout);
	free(argv);
	char *msg = NULL;
	if (rc == 128 + SIGALRM && o->timeout) {
		if (asprintf(&msg, "the program did not finish within %u s (--timeout)", o->timeout) < 0)
			msg = NULL;
	} else if (rc != 0 && asprintf(&msg, "the program exited with status %d%s", rc,
				       rc > 128 ? " (killed by a signal)" : "") < 0) {
		msg = NULL;
	}
	if (rc != 0 && !msg)
		msg = strdup("the program failed");
	return msg;
}

static void trun_print_records(FILE *out, const struct trun_records *recs)
{
	for (size_t i = 0; i < recs->n; i++)
		fprintf(out, "    %s\n", recs->r[i].line);
}

/* Evaluate a test block; report on out. Returns true when it passed. */
static bool trun_run_block(struct trun_opts *o, struct trun_unit *u, unsigned id, FILE *out)
{
	struct trun_prog *p = u->prog;
	char *dir = trun_dirname(p->path);
	char **pcaps = NULL;
	size_t np = 0;
	bool pass = false;
	for (const struct ast_node *it = u->test->kid[0]; it; it = it->next)
		np += it->kind == AST_PCAP;
	pcaps = calloc(np + 1, sizeof(char *));
	np = 0;
	for (const struct ast_node *it = u->test->kid[0]; pcaps && it; it = it->next)
		if (it->kind == AST_PCAP)
			pcaps[np++] = trun_join(dir, it->name);
	char *recs_path = NULL, *stats_path = NULL, *err_path = NULL;
	struct trun_records recs = { 0 };
	struct trun_obj stats = { 0 };
	bool have_stats = false;
	char err[512];
	if (o->records) {
		recs_path = strdup(o->records);
		stats_path = o->stats ? strdup(o->stats) : NULL;
	} else {
		if (asprintf(&recs_path, "%s/t%u.jsonl", o->tmp, id) < 0 ||
		    asprintf(&stats_path, "%s/t%u.stats.json", o->tmp, id) < 0 ||
		    asprintf(&err_path, "%s/t%u.err", o->tmp, id) < 0)
			goto done;
		char *msg = trun_exec(o, p, pcaps, np, recs_path, stats_path, err_path);
		if (msg) {
			fprintf(out, "    %s; its messages:\n", msg);
			trun_cat(out, err_path, "      ");
			free(msg);
			goto done;
		}
	}
	if (trun_records_read(recs_path, &recs, err, sizeof(err))) {
		fprintf(out, "    cannot read the records: %s\n", err);
		goto done;
	}
	if (stats_path) {
		char *text = trun_slurp(stats_path);
		if (text && !trun_json_parse(text, strlen(text), &stats, err, sizeof(err)))
			have_stats = true;
		else if (text)
			fprintf(out, "    note: ignoring malformed --stats output: %s\n", err);
		free(text);
	}
	pass = trun_eval(u->test, p->diag, &recs, have_stats ? &stats : NULL, out) == 0;
	if (o->verbose) {
		fprintf(out, "    %zu record%s:\n", recs.n, recs.n == 1 ? "" : "s");
		trun_print_records(out, &recs);
	}
done:
	trun_records_free(&recs);
	trun_obj_free(&stats);
	for (size_t i = 0; pcaps && i < np; i++)
		free(pcaps[i]);
	free(pcaps);
	free(recs_path);
	free(stats_path);
	free(err_path);
	free(dir);
	return pass;
}

/* ---- directory tests ----------------------------------------------------- */

/*
 * Directory layout: DIR/ *.mos (exactly one), DIR/ *.pcap (all, in name
 * order), and either DIR/expected.jsonl (every record in output order, as
 * written with the "record" key) or DIR/expected/NAME.jsonl (the records
 * named NAME in output order, without the "record" key). Neither: the
 * test fails until --update writes expected.jsonl.
 */

/* A line without its leading "record" key: {"record":"x","a":1} -> {"a":1}. */
static char *trun_strip_record_key(const char *line, const char *name)
{
	char *pre = NULL;
	if (asprintf(&pre, "{\"record\":\"%s\"", name) < 0)
		return NULL;
	size_t k = strlen(pre);
	char *r = NULL;
	if (!strncmp(line, pre, k)) {
		const char *rest = line + k;
		if (*rest == ',')
			rest++;
		if (asprintf(&r, "{%s", rest) < 0)
			r = NULL;
	} else {
		r = strdup(line);
	}
	free(pre);
	return r;
}

/* Compare produced lines to expected ones (exact text, in order). */
static bool trun_compare_lines(FILE *out, const char *what, char **got, size_t ngot, char **want,
			       size_t nwant)
{
	size_t i = 0;
	while (i < ngot && i < nwant && !strcmp(got[i], want[i]))
		i++;
	if (i == ngot && i == nwant)
		return true;
	fprintf(out, "    %s: %zu record%s expected, %zu produced; first difference at record %zu (line %zu):\n",
		what, nwant, nwant == 1 ? "" : "s", ngot, i, i + 1);
	if (i < nwant)
		fprintf(out, "      expected: %s\n", want[i]);
	else
		fputs("      expected: (no more records)\n", out);
	if (i < ngot)
		fprintf(out, "      produced: %s\n", got[i]);
	else
		fputs("      produced: (no more records)\n", out);
	if (i < nwant && i < ngot) {
		struct trun_obj a, b;
		char err[160];
		if (!trun_json_parse(want[i], strlen(want[i]), &a, err, sizeof(err))) {
			if (!trun_json_parse(got[i], strlen(got[i]), &b, err, sizeof(err))) {
				for (size_t k = 0; k < a.n; k++) {
					const struct trun_field *g = trun_obj_get(&b, a.f[k].key);
					if (g && g->len == a.f[k].len && !memcmp(g->val, a.f[k].val, g->len))
						continue;
					fprintf(out, "      field '%s': expected ", a.f[k].key);
					trun_put_field(out, &a.f[k]);
					if (g) {
						fputs(", produced ", out);
						trun_put_field(out, g);
						fputc('\n', out);
					} else {
						fputs(", missing\n", out);
					}
				}
				for (size_t k = 0; k < b.n; k++)
					if (!trun_obj_get(&a, b.f[k].key)) {
						fprintf(out, "      field '%s': not expected, produced ", b.f[k].key);
						trun_put_field(out, &b.f[k]);
						fputc('\n', out);
					}
				trun_obj_free(&b);
			}
			trun_obj_free(&a);
		}
	}
	return false;
}

/* Lines of a file (without newlines, blank lines skipped). */
static size_t trun_read_lines(const char *path, char ***lines)
{
	*lines = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t k;
	while ((k = getline(&line, &lcap, f)) >= 0) {
		while (k && (line[k - 1] == '\n' || line[k - 1] == '\r'))
			line[--k] = 0;
		if (!k)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nl = realloc(*lines, cap * sizeof(char *));
			if (!nl)
				break;
			*lines = nl;
		}
		(*lines)[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return n;
}

static bool trun_write_lines(FILE *out, const char *path, char **lines, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(out, "    cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	if (fclose(f)) {
		fprintf(out, "    cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	return true;
}

static bool trun_run_dir(struct trun_opts *o, struct trun_unit *u, unsigned id, FILE *out)
{
	bool pass = false;
	char **names = NULL, **pcaps = NULL;
	int nn = trun_list(u->dir, &names);
	size_t np = 0;
	char *recs_path = NULL, *stats_path = NULL, *err_path = NULL;
	struct trun_records recs = { 0 };
	char err[512];
	pcaps = calloc(nn > 0 ? (size_t)nn + 1 : 1, sizeof(char *));
	for (int k = 0; pcaps && k < nn; k++)
		if (trun_is_capture(names[k]))
			pcaps[np++] = trun_join(u->dir, names[k]);
	if (!np && !o->records) {
		fprintf(out, "    %s has no capture (*.pcap)\n", u->dir);
		goto done;
	}
	if (o->records) {
		recs_path = strdup(o->records);
	} else {
		if (asprintf(&recs_path, "%s/d%u.jsonl", o->tmp, id) < 0 ||
		    asprintf(&stats_path, "%s/d%u.stats.json", o->tmp, id) < 0 ||
		    asprintf(&err_path, "%s/d%u.err", o->tmp, id) < 0)
			goto done;
		char *msg = trun_exec(o, u->prog, pcaps, np, recs_path, stats_path, err_path);
		if (msg) {
			fprintf(out, "    %s; its messages:\n", msg);
			trun_cat(out, err_path, "      ");
			free(msg);
			goto done;
		}
	}
	/* Parse to make sure the output is well-formed (and to know names). */
	if (trun_records_read(recs_path, &recs, err, sizeof(err))) {
		fprintf(out, "    cannot read the records: %s\n", err);
		goto done;
	}
	if (o->verbose) {
		fprintf(out, "    %zu record%s:\n", recs.n, recs.n == 1 ? "" : "s");
		trun_print_records(out, &recs);
	}
	char *exp_dir = trun_join(u->dir, "expected");
	char *exp_file = trun_join(u->dir, "expected.jsonl");
	if (!exp_dir || !exp_file) {
		free(exp_dir);
		free(exp_file);
		goto done;
	}
	char **got = calloc(recs.n + 1, sizeof(char *));
	if (!got) {
		free(exp_dir);
		free(exp_file);
		goto done;
	}
	if (trun_is_dir(exp_dir)) {
		/* Per record name: every name produced or expected. */
		char **en = NULL;
		int ne = trun_list(exp_dir, &en);
		pass = true;
		for (int k = 0; k < ne; k++)
			if (trun_ends(en[k], ".jsonl"))
				en[k][strlen(en[k]) - 6] = 0;
			else
				en[k][0] = 0;
		/* The set of names: expected files plus produced names. */
		size_t nnames = 0;
		const char **all = calloc((size_t)(ne > 0 ? ne : 0) + recs.n + 1, sizeof(char *));
		for (int k = 0; all && k < ne; k++)
			if (en[k][0])
				all[nnames++] = en[k];
		for (size_t i = 0; all && i < recs.n; i++) {
			const char *nm = trun_rec_name(&recs.r[i]);
			size_t j = 0;
			while (j < nnames && strcmp(all[j], nm))
				j++;
			if (j == nnames)
				all[nnames++] = nm;
		}
		if (all)
			qsort(all, nnames, sizeof(char *), trun_strcmp);
		for (size_t j = 0; all && j < nnames; j++) {
			size_t ng = 0;
			for (size_t i = 0; i < recs.n; i++)
				if (!strcmp(trun_rec_name(&recs.r[i]), all[j]))
					got[ng++] = trun_strip_record_key(recs.r[i].line, all[j]);
			char *file = NULL;
			if (asprintf(&file, "%s/%s.jsonl", exp_dir, all[j]) < 0)
				file = NULL;
			if (!file) {
				pass = false;
			} else if (o->update) {
				if (ng)
					pass &= trun_write_lines(out, file, got, ng);
				else
					remove(file);
			} else {
				char **want = NULL;
				size_t nw = trun_read_lines(file, &want);
				char what[300];
				snprintf(what, sizeof(what), "expected/%s.jsonl", all[j]);
				pass &= trun_compare_lines(out, what, got, ng, want, nw);
				for (size_t i = 0; i < nw; i++)
					free(want[i]);
				free(want);
			}
			free(file);
			for (size_t i = 0; i < ng; i++)
				free(got[i]);
		}
		free(all);
		trun_free_list(en, ne);
	} else {
		for (size_t i = 0; i < recs.n; i++)
			got[i] = recs.r[i].line;
		if (o->update) {
			pass = trun_write_lines(out, exp_file, got, recs.n);
		} else if (access(exp_file, F_OK)) {
			fprintf(out, "    no baseline: neither %s nor %s/ exists (run with --update to write it)\n",
				exp_file, exp_dir);
		} else {
			char **want = NULL;
			size_t nw = trun_read_lines(exp_file, &want);
			pass = trun_compare_lines(out, "expected.jsonl", got, recs.n, want, nw);
			for (size_t i = 0; i < nw; i++)
				free(want[i]);
			free(want);
		}
	}
	if (o->update && pass)
		fprintf(out, "    baseline updated (%zu record%s)\n", recs.n, recs.n == 1 ? "" : "s");
	free(got);
	free(exp_dir);
	free(exp_file);
done:
	trun_records_free(&recs);
	for (size_t k = 0; pcaps && k < np; k++)
		free(pcaps[k]);
	free(pcaps);
	trun_free_list(names, nn);
	free(recs_path);
	free(stats_path);
	free(err_path);
	return pass;
}

/* ---- driver -------------------------------------------------------------- */

struct trun_state {
	struct trun_prog **progs;    /* programs */
	size_t nprogs;               /* how many */
	struct trun_unit *units;     /* tests in run order */
	size_t nunits;               /* how many */
	size_t capunits;             /* allocated */
	unsigned compile_failed;     /* files that did not check */
};

static struct trun_unit *trun_add_unit(struct trun_state *s)
{
	if (s->nunits == s->capunits) {
		size_t cap = s->capunits ? s->capunits * 2 : 16;
		struct trun_unit *nu = realloc(s->units, cap * sizeof(*nu));
		if (!nu)
			return NULL;
		s->units = nu;
		s->capunits = cap;
	}
	struct trun_unit *u = &s->units[s->nunits++];
	*u = (struct trun_unit){ 0 };
	return u;
}

static struct trun_prog *trun_add_prog(struct trun_state *s, const char *path)
{
	struct trun_prog **np = realloc(s->progs, (s->nprogs + 1) * sizeof(*np));
	if (!np)
		return NULL;
	s->progs = np;
	struct trun_prog *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->path = strdup(path);
	s->progs[s->nprogs++] = p;
	return p;
}

/* Check a .mos file; returns false when it has errors. Tests go into s. */
static bool trun_load(struct trun_opts *o, struct trun_state *s, struct trun_prog *p, bool want_tests)
{
	p->diag = diag_new(stderr);
	p->arena = ast_arena_new();
	if (!p->diag || !p->arena)
		return false;
	diag_set_werror(p->diag, o->werror);
	diag_set_max_errors(p->diag, o->max_errors);
	diag_set_color(p->diag, o->color == 1 || (o->color == -1 && isatty(STDERR_FILENO) && !getenv("NO_COLOR")));
	struct load_opts lo = {
		.incdirs = o->incdirs, .nincdirs = o->nincdirs,
		.mos_path = getenv("MOS_PATH"), .stdlib_dir = MOSC_STDLIB_DIR,
	};
	p->lp = load_program(p->arena, p->diag, &lo, p->path, NULL, 0);
	if (p->lp && !diag_stop(p->diag))
		sema_check(p->arena, p->diag, p->lp);
	if (p->lp && want_tests) {
		char *dir = trun_dirname(p->path);
		for (struct ast_node *it = p->lp->main->root->kid[0]; it; it = it->next) {
			if (it->kind != AST_TEST)
				continue;
			for (const struct ast_node *q = it->kid[0]; q; q = q->next) {
				if (q->kind != AST_PCAP || !q->len)
					continue;
				char *path = trun_join(dir, q->name);
				if (path && access(path, R_OK))
					diag_error(p->diag, q->name_span, "cannot open capture '%s': %s", path,
						   strerror(errno));
				free(path);
			}
			if (!trun_selected(o, it->name))
				continue;
			struct trun_unit *u = trun_add_unit(s);
			if (!u)
				break;
			u->prog = p;
			u->test = it;
			u->name = strdup(it->name);
		}
		free(dir);
	}
	diag_finish(p->diag);
	return diag_errors(p->diag) == 0;
}

/* Does a file hold a test block? (A textual look: "test" then a string.) */
static bool trun_has_tests(const char *path)
{
	char *text = trun_slurp(path);
	bool has = false;
	for (const char *p = text; p && (p = strstr(p, "test")) && !has; p += 4) {
		bool start = p == text || p[-1] == '\n' || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ';' || p[-1] == '}';
		const char *q = p + 4;
		while (*q == ' ' || *q == '\t')
			q++;
		has = start && q > p + 4 && *q == '"';
	}
	free(text);
	return has;
}

/*
 * A directory test: exactly one .mos and at least one capture, and either a
 * baseline (expected.jsonl, expected/) or a program without test blocks
 * (a directory holding a program with test blocks and its captures is
 * walked instead).
 */
static bool trun_dir_is_test(const char *dir)
{
	char **names = NULL;
	int n = trun_list(dir, &names);
	int mos = 0;
	bool cap = false, base = false;
	char *prog = NULL;
	for (int k = 0; k < n; k++) {
		if (trun_ends(names[k], ".mos") && !mos++)
			prog = trun_join(dir, names[k]);
		cap |= trun_is_capture(names[k]);
		base |= !strcmp(names[k], "expected.jsonl") || !strcmp(names[k], "expected");
	}
	trun_free_list(names, n);
	bool is = mos == 1 && cap && (base || (prog && !trun_has_tests(prog)));
	free(prog);
	return is;
}

static int trun_add_path(struct trun_opts *o, struct trun_state *s, const char *path, int depth);

static int trun_add_dir_test(struct trun_opts *o, struct trun_state *s, const char *dir)
{
	if (!trun_selected(o, dir))
		return 0;
	char **names = NULL;
	int n = trun_list(dir, &names);
	char *mos = NULL;
	for (int k = 0; k < n; k++)
		if (trun_ends(names[k], ".mos"))
			mos = trun_join(dir, names[k]);
	trun_free_list(names, n);
	struct trun_prog *p = mos ? trun_add_prog(s, mos) : NULL;
	free(mos);
	if (!p)
		return -ENOMEM;
	if (!trun_load(o, s, p, false)) {
		s->compile_failed++;
		fprintf(stdout, "FAIL %s (does not compile)\n", dir);
		fflush(stdout);
		return 0;
	}
	struct trun_unit *u = trun_add_unit(s);
	if (!u)
		return -ENOMEM;
	u->prog = p;
	u->dir = strdup(dir);
	u->name = strdup(dir);
	return 0;
}

static int trun_add_path(struct trun_opts *o, struct trun_state *s, const char *path, int depth)
{
	if (trun_is_dir(path)) {
		if (trun_dir_is_test(path))
			return trun_add_dir_test(o, s, path);
		if (depth > 16)
			return 0;
		char **names = NULL;
		int n = trun_list(path, &names);
		if (n < 0) {
			fprintf(stderr, "mosc test: cannot read %s: %s\n", path, strerror(-n));
			return n;
		}
		int rc = 0;
		for (int k = 0; k < n && !rc; k++) {
			char *sub = trun_join(path, names[k]);
			if (sub && (trun_is_dir(sub) || trun_ends(sub, ".mos")))
				rc = trun_add_path(o, s, sub, depth + 1);
			free(sub);
		}
		trun_free_list(names, n);
		return rc;
	}
	if (depth > 0) {
		/* Found by a directory walk: only files with test blocks count. */
		if (!trun_has_tests(path))
			return 0;
	}
	struct trun_prog *p = trun_add_prog(s, path);
	if (!p)
		return -ENOMEM;
	size_t before = s->nunits;
	if (!trun_load(o, s, p, true)) {
		/* Its tests are not run; each counts as failed. */
		for (size_t k = before; k < s->nunits; k++) {
			printf("FAIL %s (does not compile)\n", s->units[k].name);
			free(s->units[k].name);
		}
		if (s->nunits == before)
			printf("FAIL %s (does not compile)\n", path);
		s->compile_failed += s->nunits > before ? (unsigned)(s->nunits - before) : 1;
		s->nunits = before;
		fflush(stdout);
	}
	return 0;
}

static bool trun_run_unit(struct trun_opts *o, struct trun_unit *u, unsigned id, FILE *out)
{
	if (!u->prog->bin && !o->records) {
		const char *e = u->prog->build_err ? u->prog->build_err : "not built\n";
		fprintf(out, "    %s did not build:\n", u->prog->path);
		while (*e) {
			size_t k = strcspn(e, "\n");
			fprintf(out, "      %.*s\n", (int)k, e);
			e += k + (e[k] == '\n');
		}
		return false;
	}
	return u->test ? trun_run_block(o, u, id, out) : trun_run_dir(o, u, id, out);
}

static void trun_usage(FILE *out)
{
	fputs("usage: mosc test [OPTIONS] FILE.mos... | DIR...\n"
	      "  --filter PATTERN  run the tests whose name contains PATTERN (a glob when it has * ? [)\n"
	      "  --verbose         print every record a test produced\n"
	      "  --jobs N          run N tests at a time (default 1)\n"
	      "  --update          rewrite the baselines of directory tests\n"
	      "  --timeout SECONDS stop a program run after SECONDS (default 60, 0 = never)\n"
	      "  --keep            keep the temporary directory (its path is printed)\n"
	      "  --records FILE    use FILE as every test's records instead of running the program\n"
	      "  --stats-json FILE with --records: the run statistics\n"
	      "  -I DIR, -Werror, --max-errors N, --color=WHEN  as for mosc check\n", out);
}

int testrun_main(int argc, char **argv)
{
	struct trun_opts o = { .jobs = 1, .max_errors = 20, .color = -1, .timeout = 60 };
	struct trun_state s = { 0 };
	char **operands = calloc((size_t)argc + 1, sizeof(char *));
	int nops = 0, status = 2;
	if (!operands)
		return 2;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			trun_usage(stdout);
			free(operands);
			return 0;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			o.verbose = true;
		} else if (!strcmp(a, "--update")) {
			o.update = true;
		} else if (!strcmp(a, "--keep")) {
			o.keep = true;
		} else if (!strcmp(a, "--filter") || !strcmp(a, "--records") || !strcmp(a, "--stats-json") ||
			   !strcmp(a, "--jobs") || !strcmp(a, "-j") || !strcmp(a, "--timeout")) {
			if (!v) {
				fprintf(stderr, "mosc test: %s needs a value\n", a);
				goto out;
			}
			i++;
			if (!strcmp(a, "--filter"))
				o.filter = v;
			else if (!strcmp(a, "--records"))
				o.records = v;
			else if (!strcmp(a, "--stats-json"))
				o.stats = v;
			else if (!strcmp(a, "--timeout")) {
				char *end;
				unsigned long n = strtoul(v, &end, 10);
				if (!*v || *end || n > 86400) {
					fputs("mosc test: --timeout needs a number of seconds (0 = none)\n", stderr);
					goto out;
				}
				o.timeout = (unsigned)n;
			} else {
				char *end;
				unsigned long n = strtoul(v, &end, 10);
				if (!*v || *end || n < 1 || n > 256) {
					fputs("mosc test: --jobs needs a number from 1 to 256\n", stderr);
					goto out;
				}
				o.jobs = (unsigned)n;
			}
		} else if (!strncmp(a, "-I", 2)) {
			const char *dir = a[2] ? a + 2 : v;
			if (!dir || o.nincdirs == 64 || o.nfwd + 2 > TRUN_MAX_FWD) {
				fputs("mosc test: -I needs a directory (at most 64)\n", stderr);
				goto out;
			}
			if (!a[2])
				i++;
			o.incdirs[o.nincdirs++] = dir;
			o.fwd[o.nfwd++] = "-I";
			o.fwd[o.nfwd++] = dir;
		} else if (!strcmp(a, "-Werror")) {
			o.werror = true;
			if (o.nfwd < TRUN_MAX_FWD)
				o.fwd[o.nfwd++] = a;
		} else if (!strcmp(a, "--max-errors")) {
			if (!v) {
				fputs("mosc test: --max-errors needs a number\n", stderr);
				goto out;
			}
			o.max_errors = (unsigned)strtoul(v, NULL, 10);
			i++;
		} else if (!strncmp(a, "--color=", 8)) {
			o.color = !strcmp(a + 8, "always") ? 1 : !strcmp(a + 8, "never") ? 0 : -1;
		} else if (!strcmp(a, "--")) {
			while (++i < argc)
				operands[nops++] = argv[i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "mosc test: unknown option '%s' (see mosc test --help)\n", a);
			goto out;
		} else {
			operands[nops++] = argv[i];
		}
	}
	if (!nops) {
		fputs("mosc test: needs at least one FILE.mos or DIR\n", stderr);
		goto out;
	}
	if (o.stats && !o.records) {
		fputs("mosc test: --stats-json goes with --records\n", stderr);
		goto out;
	}
	static char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0) {
		fprintf(stderr, "mosc test: cannot find this executable: %s\n", strerror(errno));
		goto out;
	}
	self[sl] = 0;
	o.self = self;
	const char *tmpdir = getenv("TMPDIR");
	snprintf(o.tmp, sizeof(o.tmp), "%s/mosc-test-XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
	if (!mkdtemp(o.tmp)) {
		fprintf(stderr, "mosc test: cannot create a temporary directory: %s\n", strerror(errno));
		goto out;
	}
	status = 1;
	for (int i = 0; i < nops; i++) {
		if (access(operands[i], F_OK)) {
			fprintf(stderr, "mosc test: %s: %s\n", operands[i], strerror(errno));
			s.compile_failed++;
			continue;
		}
		size_t ol = strlen(operands[i]);
		while (ol > 1 && operands[i][ol - 1] == '/')
			operands[i][--ol] = 0;
		if (trun_add_path(&o, &s, operands[i], 0) == -ENOMEM) {
			fputs("mosc test: out of memory\n", stderr);
			goto cleanup;
		}
	}
	/* Build every program that has a test to run, once. */
	if (!o.records) {
		bool *used = calloc(s.nprogs + 1, sizeof(bool));
		if (!used)
			goto cleanup;
		for (size_t j = 0; j < s.nunits; j++)
			for (size_t k = 0; k < s.nprogs; k++)
				used[k] |= s.units[j].prog == s.progs[k];
		trun_build_all(&o, s.progs, s.nprogs, used);
		free(used);
	}
	unsigned passed = 0, failed = s.compile_failed;
	if (o.jobs <= 1) {
		for (size_t k = 0; k < s.nunits; k++) {
			struct trun_unit *u = &s.units[k];
			char *buf = NULL;
			size_t blen = 0;
			FILE *mem = open_memstream(&buf, &blen);
			if (!mem)
				goto cleanup;
			double t0 = trun_now_ms();
			u->pass = trun_run_unit(&o, u, (unsigned)k, mem);
			u->ms = trun_now_ms() - t0;
			fclose(mem);
			printf("%s %s (%.0f ms)\n%s", u->pass ? "PASS" : "FAIL", u->name, u->ms, buf ? buf : "");
			fflush(stdout);
			free(buf);
			if (u->pass)
				passed++;
			else
				failed++;
		}
	} else {
		/* Workers: one child per test, at most o.jobs at a time; results in order. */
		size_t next = 0, printed = 0, running = 0;
		while (printed < s.nunits) {
			while (next < s.nunits && running < o.jobs) {
				struct trun_unit *u = &s.units[next];
				if (asprintf(&u->outfile, "%s/u%zu.out", o.tmp, next) < 0)
					goto cleanup;
				fflush(NULL);
				double t0 = trun_now_ms();
				pid_t pid = fork();
				if (pid < 0) {
					fprintf(stderr, "mosc test: fork: %s\n", strerror(errno));
					goto cleanup;
				}
				if (pid == 0) {
					FILE *f = fopen(u->outfile, "w");
					if (!f)
						_exit(3);
					bool ok = trun_run_unit(&o, u, (unsigned)next, f);
					fprintf(f, "\n%.3f", trun_now_ms() - t0);
					fclose(f);
					_exit(ok ? 0 : 1);
				}
				u->pid = pid;
				next++;
				running++;
			}
			int st;
			pid_t pid = wait(&st);
			if (pid < 0)
				break;
			for (size_t k = 0; k < next; k++)
				if (s.units[k].pid == pid && !s.units[k].done) {
					struct trun_unit *u = &s.units[k];
					u->done = true;
					u->pass = WIFEXITED(st) && WEXITSTATUS(st) == 0;
					running--;
				}
			while (printed < s.nunits && s.units[printed].done) {
				struct trun_unit *u = &s.units[printed];
				/* The report ends with "\n<ms>": split it off. */
				char *text = trun_slurp(u->outfile);
				char *tail = text ? strrchr(text, '\n') : NULL;
				if (tail) {
					*tail = 0;
					u->ms = atof(tail + 1);
				}
				printf("%s %s (%.0f ms)\n%s", u->pass ? "PASS" : "FAIL", u->name, u->ms,
				       text ? text : "");
				fflush(stdout);
				free(text);
				if (u->pass)
					passed++;
				else
					failed++;
				printed++;
			}
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	fflush(stdout);
	status = failed ? 1 : 0;
cleanup:
	if (o.keep)
		fprintf(stderr, "mosc test: kept %s\n", o.tmp);
	else
		nftw(o.tmp, trun_rm, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t k = 0; k < s.nunits; k++) {
		free(s.units[k].name);
		free(s.units[k].dir);
		free(s.units[k].outfile);
	}
	free(s.units);
	for (size_t k = 0; k < s.nprogs; k++) {
		struct trun_prog *p = s.progs[k];
		free(p->path);
		free(p->bin);
		free(p->build_err);
		ast_arena_free(p->arena);
		diag_free(p->diag);
		free(p);
	}
	free(s.progs);
out:
	free(operands);
	return status;
}
