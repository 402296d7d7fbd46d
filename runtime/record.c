/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * record.c — record output in JSON Lines, CSV or TSV (see mos/record.h).
 *
 * A record is built in a line buffer that grows to the largest record seen
 * (so no allocation once a run has warmed up), then written with one
 * fwrite. Per-name state (count, header written, file) lives in a small
 * table looked up by schema pointer first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mos/record.h"

#define MAX_NAMES 256                 /* distinct record names per writer */

static const char *const type_names[MOS_REC_TYPE_COUNT] = {
	"u64", "i64", "bool", "str", "bytes", "addr", "time", "duration", "u64[]",
};

struct rec_name {
	const struct mos_rec_schema *schema; /* first schema seen with this name */
	FILE *f;                     /* its file (dir mode), or NULL */
	bool header_done;            /* CSV/TSV header written */
	uint64_t count;              /* records written */
};

/* JSON keys of one schema rendered once ("name": with escapes): a field's
 * key is then one copy instead of an escape scan. */
#define KEY_CACHE 8                   /* schemas whose keys are kept */
struct rec_keys {
	const struct mos_rec_schema *schema; /* NULL = free */
	char *text;                  /* keys one after another */
	uint32_t *off;               /* n_fields + 1 offsets into text */
};

struct mos_rec_writer {
	int format;                  /* enum mos_rec_format */
	bool key;                    /* write the record key/column */
	char *dir;                   /* per-name files here, or NULL */
	FILE *out;                   /* the single stream (no dir) */
	struct rec_name names[MAX_NAMES]; /* per-name state */
	unsigned n_names;            /* entries used */

	char *buf;                   /* the record being built */
	size_t len, cap;             /* bytes used / allocated */
	bool oom;                    /* the buffer could not grow */
	const struct mos_rec_schema *cur; /* schema of the record being built */
	const struct rec_keys *cur_keys; /* its rendered keys (JSON), or NULL */
	struct rec_keys keys[KEY_CACHE]; /* rendered keys, replaced round robin */
	unsigned next_keys;          /* next entry to replace */
	uint32_t idx;                /* next field index */
	bool bad;                    /* a value did not match the schema */

	uint64_t total;              /* records written */
	uint64_t errors;             /* records refused */
	int first_err;               /* first output error (-errno), 0 if none */
};

const char *
mos_rec_type_name(int type)
{
	return type >= 0 && type < MOS_REC_TYPE_COUNT ? type_names[type] : NULL;
}

int
mos_rec_format_parse(const char *text)
{
	if (!strcmp(text, "json"))
		return MOS_REC_JSON;
	if (!strcmp(text, "csv"))
		return MOS_REC_CSV;
	if (!strcmp(text, "tsv"))
		return MOS_REC_TSV;
	return -EINVAL;
}

struct mos_rec_writer *
mos_rec_writer_create(FILE *out, const struct mos_rec_writer_config *cfg)
{
	struct mos_rec_writer *w;
	int format = cfg ? cfg->format : MOS_REC_JSON;

	if (format < MOS_REC_JSON || format > MOS_REC_TSV || (out == NULL && !(cfg && cfg->dir))) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->format = format;
	w->out = out;
	w->key = !(cfg && (cfg->no_record_key || cfg->dir));
	w->cap = 1024;
	w->buf = malloc(w->cap);
	if (w->buf == NULL || (cfg && cfg->dir && (w->dir = strdup(cfg->dir)) == NULL)) {
		free(w->buf);
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

/* --- the line buffer ------------------------------------------------------ */

static bool
reserve(struct mos_rec_writer *w, size_t more)
{
	size_t cap = w->cap;
	char *nb;

	if (w->len + more <= w->cap)
		return true;
	while (cap < w->len + more)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (nb == NULL) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void
put(struct mos_rec_writer *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
puts_(struct mos_rec_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
putc_(struct mos_rec_writer *w, char c)
{
	put(w, &c, 1);
}

static void
put_u64(struct mos_rec_writer *w, uint64_t v)
{
	char tmp[20];
	int n = sizeof(tmp);

	/* by hand: snprintf was a tenth of a record-heavy program's time */
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, tmp + n, sizeof(tmp) - (size_t)n);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const uint8_t *s, size_t n)
{
	size_t want;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		want = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		want = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		want = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < want)
		return 0;
	for (size_t i = 1; i < want; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((want == 2 && cp < 0x80) || (want == 3 && cp < 0x800) || (want == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return want;
}

/*
 * Text of a string or bytes value in the current format. @binary: only
 * printable ASCII is kept as is (bytes); otherwise valid UTF-8 is kept
 * (strings). Everything else is escaped: JSON \u00XX, CSV/TSV \xNN.
 */
static void
put_text(struct mos_rec_writer *w, const uint8_t *s, size_t n, bool binary)
{
	bool csv_quote = false;

	if (w->format == MOS_REC_JSON) {
		putc_(w, '"');
	} else if (w->format == MOS_REC_CSV) {
		for (size_t i = 0; i < n && !csv_quote; i++)
			csv_quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
		if (csv_quote)
			putc_(w, '"');
	}
	for (size_t i = 0; i < n;) {
		/* a run of printable ASCII that no format escapes, in one put */
		size_t run = 0;

		while (i + run < n && s[i + run] >= 0x20 && s[i + run] < 0x7f &&
		       s[i + run] != '"' && s[i + run] != '\\')
			run++;
		if (run) {
			put(w, (const char *)s + i, run);
			i += run;
			continue;
		}
		uint8_t c = s[i];
		size_t k = binary ? (c >= 0x20 && c < 0x7f) : utf8_len(s + i, n - i);
		char esc[8];

		if (k > 1 || (k == 1 && c >= 0x20 && c != 0x7f)) {
			if (w->format == MOS_REC_JSON && (c == '"' || c == '\\'))
				putc_(w, '\\');
			else if (w->format == MOS_REC_CSV && c == '"')
				putc_(w, '"');
			else if (w->format == MOS_REC_TSV && c == '\\')
				putc_(w, '\\');
			put(w, (const char *)s + i, k);
			i += k;
			continue;
		}
		/* A control character or a byte that must be escaped. */
		if (w->format == MOS_REC_JSON) {
			const char *m = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;

			if (m)
				puts_(w, m);
			else
				put(w, esc, (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c));
		} else if (w->format == MOS_REC_TSV && (c == '\t' || c == '\n' || c == '\r')) {
			puts_(w, c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r");
		} else if (w->format == MOS_REC_CSV && (c == '\n' || c == '\r') && !binary) {
			putc_(w, (char)c);   /* inside quotes */
		} else {
			put(w, esc, (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c));
		}
		i++;
	}
	if (w->format == MOS_REC_JSON || csv_quote)
		putc_(w, '"');
}

/* --- records --------------------------------------------------------------- */

static struct rec_name *
find_name(struct mos_rec_writer *w, const struct mos_rec_schema *s)
{
	for (unsigned i = 0; i < w->n_names; i++)
		if (w->names[i].schema == s || !strcmp(w->names[i].schema->name, s->name))
			return &w->names[i];
	if (w->n_names == MAX_NAMES)
		return NULL;
	w->names[w->n_names].schema = s;
	return &w->names[w->n_names++];
}

static const char *
separator(const struct mos_rec_writer *w)
{
	return w->format == MOS_REC_JSON || w->format == MOS_REC_CSV ? "," : "\t";
}

/* The rendered JSON keys of @s (rendered now if needed), NULL without memory. */
static const struct rec_keys *
schema_keys(struct mos_rec_writer *w, const struct mos_rec_schema *s)
{
	struct rec_keys *k;
	size_t save = w->len;

	for (unsigned i = 0; i < KEY_CACHE; i++)
		if (w->keys[i].schema == s)
			return &w->keys[i];
	k = &w->keys[w->next_keys++ % KEY_CACHE];
	free(k->text);
	free(k->off);
	k->schema = NULL;
	k->off = malloc((s->n_fields + 1) * sizeof(*k->off));
	k->text = NULL;
	if (k->off == NULL)
		return NULL;
	/* render in the line buffer after what is there, then copy out */
	k->off[0] = 0;
	for (uint32_t i = 0; i < s->n_fields; i++) {
		put_text(w, (const uint8_t *)s->fields[i].name, strlen(s->fields[i].name), false);
		putc_(w, ':');
		k->off[i + 1] = (uint32_t)(w->len - save);
	}
	if (!w->oom)
		k->text = malloc(w->len - save + 1);
	if (k->text != NULL) {
		memcpy(k->text, w->buf + save, w->len - save);
		k->schema = s;
	}
	w->len = save;
	w->oom = false;
	return k->schema ? k : NULL;
}

void
mos_rec_begin(struct mos_rec_writer *w, const struct mos_rec_schema *s)
{
	w->cur = s;
	w->idx = 0;
	w->bad = false;
	w->len = 0;
	w->cur_keys = w->format == MOS_REC_JSON ? schema_keys(w, s) : NULL;
	if (w->format == MOS_REC_JSON)
		putc_(w, '{');
	if (w->key) {
		if (w->format == MOS_REC_JSON)
			puts_(w, "\"record\":");
		put_text(w, (const uint8_t *)s->name, strlen(s->name), false);
	}
}

/* Key and separator of the next field; false when it does not exist or
 * has another type (the record is then refused at mos_rec_end). */
static bool
field(struct mos_rec_writer *w, int type)
{
	const struct mos_rec_field *f;

	if (w->cur == NULL || w->idx >= w->cur->n_fields || w->cur->fields[w->idx].type != (uint32_t)type) {
		w->bad = true;
		return false;
	}
	f = &w->cur->fields[w->idx];
	if (w->idx > 0 || w->key)
		puts_(w, separator(w));
	if (w->cur_keys) {
		put(w, w->cur_keys->text + w->cur_keys->off[w->idx],
		    w->cur_keys->off[w->idx + 1] - w->cur_keys->off[w->idx]);
	} else if (w->format == MOS_REC_JSON) {
		put_text(w, (const uint8_t *)f->name, strlen(f->name), false);
		putc_(w, ':');
	}
	w->idx++;
	return true;
}

void
mos_rec_u64(struct mos_rec_writer *w, uint64_t v)
{
	if (field(w, MOS_REC_U64))
		put_u64(w, v);
}

void
mos_rec_i64(struct mos_rec_writer *w, int64_t v)
{
	char tmp[32];

	if (field(w, MOS_REC_I64))
		put(w, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%" PRId64, v));
}

void
mos_rec_bool(struct mos_rec_writer *w, bool v)
{
	if (field(w, MOS_REC_BOOL))
		puts_(w, v ? "true" : "false");
}

void
mos_rec_str(struct mos_rec_writer *w, const char *s, size_t len)
{
	if (field(w, MOS_REC_STR))
		put_text(w, (const uint8_t *)s, len, false);
}

void
mos_rec_bytes(struct mos_rec_writer *w, const uint8_t *b, size_t len)
{
	if (field(w, MOS_REC_BYTES))
		put_text(w, b, len, true);
}

void
mos_rec_addr(struct mos_rec_writer *w, const struct mos_addr *a)
{
	char text[MOS_ADDR_STRLEN];

	if (!field(w, MOS_REC_ADDR))
		return;
	mos_addr_str(a, text);
	put_text(w, (const uint8_t *)text, strlen(text), false);
}

static void
put_seconds(struct mos_rec_writer *w, uint64_t ns)
{
	char frac[10];
	uint64_t f = ns % 1000000000u;

	put_u64(w, ns / 1000000000u);
	frac[0] = '.';
	for (int i = 9; i >= 1; i--, f /= 10)
		frac[i] = (char)('0' + f % 10);
	put(w, frac, sizeof(frac));
}

void
mos_rec_time(struct mos_rec_writer *w, uint64_t ns)
{
	if (field(w, MOS_REC_TIME))
		put_seconds(w, ns);
}

void
mos_rec_duration(struct mos_rec_writer *w, uint64_t ns)
{
	if (field(w, MOS_REC_DURATION))
		put_seconds(w, ns);
}

void
mos_rec_u64_array(struct mos_rec_writer *w, const uint64_t *v, size_t n)
{
	bool quote = w->format == MOS_REC_CSV && n > 1;

	if (!field(w, MOS_REC_U64_ARRAY))
		return;
	if (w->format == MOS_REC_JSON)
		putc_(w, '[');
	else if (quote)
		putc_(w, '"');
	for (size_t i = 0; i < n; i++) {
		if (i)
			putc_(w, ',');
		put_u64(w, v[i]);
	}
	if (w->format == MOS_REC_JSON)
		putc_(w, ']');
	else if (quote)
		putc_(w, '"');
}

/* The CSV/TSV header line of @s into @f. */
static int
write_header(struct mos_rec_writer *w, FILE *f, const struct mos_rec_schema *s)
{
	const char *sep = separator(w);

	if (w->key)
		fprintf(f, "record%s", s->n_fields ? sep : "");
	for (uint32_t i = 0; i < s->n_fields; i++)
		fprintf(f, "%s%s", i ? sep : "", s->fields[i].name);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

static FILE *
name_file(struct mos_rec_writer *w, struct rec_name *n)
{
	static const char *const ext[] = {"jsonl", "csv", "tsv"};
	size_t len;
	char *path;

	if (w->dir == NULL)
		return w->out;
	if (n->f)
		return n->f;
	len = strlen(w->dir) + strlen(n->schema->name) + 8;
	path = malloc(len);
	if (path == NULL)
		return NULL;
	snprintf(path, len, "%s/%s.%s", w->dir, n->schema->name, ext[w->format]);
	n->f = fopen(path, "w");
	free(path);
	return n->f;
}

int
mos_rec_end(struct mos_rec_writer *w)
{
	struct rec_name *n;
	FILE *f;

	if (w->cur == NULL)
		return -EINVAL;
	if (w->bad || w->idx != w->cur->n_fields || w->oom) {
		int rc = w->oom ? -ENOMEM : -EINVAL;

		w->errors++;
		w->cur = NULL;
		w->oom = false;
		return rc;
	}
	if (w->format == MOS_REC_JSON)
		putc_(w, '}');
	putc_(w, '\n');
	n = find_name(w, w->cur);
	w->cur = NULL;
	if (n == NULL) {
		w->errors++;
		return -ENOSPC;
	}
	f = name_file(w, n);
	if (f == NULL) {
		int rc = -(errno ? errno : EIO);

		w->errors++;
		if (w->first_err == 0)
			w->first_err = rc;
		return rc;
	}
	if (w->format != MOS_REC_JSON && !n->header_done) {
		write_header(w, f, n->schema);
		n->header_done = true;
	}
	if (fwrite(w->buf, 1, w->len, f) != w->len) {
		if (w->first_err == 0)
			w->first_err = -EIO;
		return -EIO;
	}
	n->count++;
	w->total++;
	return 0;
}

uint64_t
mos_rec_count(const struct mos_rec_writer *w, const char *name)
{
	if (name == NULL)
		return w->total;
	for (unsigned i = 0; i < w->n_names; i++)
		if (!strcmp(w->names[i].schema->name, name))
			return w->names[i].count;
	return 0;
}

uint64_t
mos_rec_errors(const struct mos_rec_writer *w)
{
	return w->errors;
}

int
mos_rec_writer_close(struct mos_rec_writer *w)
{
	int rc;

	if (w == NULL)
		return 0;
	rc = w->first_err;
	for (unsigned i = 0; i < w->n_names; i++)
		if (w->names[i].f && fclose(w->names[i].f) != 0 && rc == 0)
			rc = -EIO;
	if (w->out && fflush(w->out) != 0 && rc == 0)
		rc = -EIO;
	for (unsigned i = 0; i < KEY_CACHE; i++) {
		free(w->keys[i].text);
		free(w->keys[i].off);
	}
	free(w->dir);
	free(w->buf);
	free(w);
	return rc;
}
