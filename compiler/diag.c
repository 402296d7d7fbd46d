// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/diag.c — GCC-format diagnostics with quoted source lines,
 * caret underlines, notes, -Werror, an error cap and "did you mean".
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A registered source file. */
struct diag_file {
	char *name;                  /* path as given */
	char *text;                  /* contents, NUL-terminated */
	size_t len;                  /* bytes in text */
	size_t *lines;               /* offset of each line's start (built on first use) */
	char *module;                /* module name when the file was imported, else NULL */
	struct ast_span origin;      /* the 'import' that loaded it (valid when module) */
	size_t nlines;               /* entries in lines */
};

struct diag_ctx {
	FILE *out;                   /* where to print, NULL = nowhere */
	struct diag_file *files;     /* registered files */
	uint32_t nfiles;             /* number used */
	uint32_t capfiles;           /* number allocated */
	unsigned errors;             /* errors so far */
	unsigned warnings;           /* warnings so far (not turned into errors) */
	unsigned max_errors;         /* cap, 0 = none */
	bool werror;                 /* warnings are errors */
	bool color;                  /* ANSI colours */
	bool muted;                  /* last error/warning suppressed: mute its notes */
	bool capped;                 /* cap message printed */
};

#define C_BOLD  "\033[1m"
#define C_RED   "\033[1;31m"
#define C_MAG   "\033[1;35m"
#define C_CYAN  "\033[1;36m"
#define C_GREEN "\033[1;32m"
#define C_OFF   "\033[0m"

struct diag_ctx *diag_new(FILE *out)
{
	struct diag_ctx *d = calloc(1, sizeof(*d));
	if (d)
		d->out = out;
	return d;
}

void diag_free(struct diag_ctx *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; i < d->nfiles; i++) {
		free(d->files[i].name);
		free(d->files[i].text);
		free(d->files[i].lines);
		free(d->files[i].module);
	}
	free(d->files);
	free(d);
}

void diag_set_werror(struct diag_ctx *d, bool on) { d->werror = on; }
void diag_set_max_errors(struct diag_ctx *d, unsigned max) { d->max_errors = max; }
void diag_set_color(struct diag_ctx *d, bool on) { d->color = on; }

uint32_t diag_add_file(struct diag_ctx *d, const char *name, const char *text, size_t len)
{
	if (d->nfiles == d->capfiles) {
		uint32_t cap = d->capfiles ? d->capfiles * 2 : 8;
		struct diag_file *f = realloc(d->files, cap * sizeof(*f));
		if (!f) {
			fputs("mosc: out of memory\n", stderr);
			abort();
		}
		d->files = f;
		d->capfiles = cap;
	}
	struct diag_file *f = &d->files[d->nfiles];
	f->name = strdup(name);
	f->text = malloc(len + 1);
	if (!f->name || !f->text) {
		fputs("mosc: out of memory\n", stderr);
		abort();
	}
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->len = len;
	f->lines = NULL;
	f->nlines = 0;
	f->module = NULL;
	return d->nfiles++;
}

void diag_set_origin(struct diag_ctx *d, uint32_t file, const char *module, struct ast_span import)
{
	if (file >= d->nfiles || !module)
		return;
	free(d->files[file].module);
	d->files[file].module = strdup(module);
	d->files[file].origin = import;
}

const char *diag_file_name(const struct diag_ctx *d, uint32_t file)
{
	return file < d->nfiles ? d->files[file].name : "<unknown>";
}

const char *diag_file_text(const struct diag_ctx *d, uint32_t file, size_t *len)
{
	if (file >= d->nfiles) {
		*len = 0;
		return "";
	}
	*len = d->files[file].len;
	return d->files[file].text;
}

/* Print the source line of span and a caret/underline under it. */
static void diag_quote(struct diag_ctx *d, FILE *o, struct ast_span span)
{
	if (span.file >= d->nfiles || span.first_line <= 0)
		return;
	struct diag_file *f = &d->files[span.file];
	if (!f->lines) {
		size_t n = 1;
		for (size_t i = 0; i < f->len; i++)
			n += f->text[i] == '\n';
		f->lines = malloc(n * sizeof(*f->lines));
		if (!f->lines)
			return;
		f->lines[0] = 0;
		f->nlines = 1;
		for (size_t i = 0; i < f->len; i++)
			if (f->text[i] == '\n')
				f->lines[f->nlines++] = i + 1;
	}
	if ((size_t)span.first_line > f->nlines)
		return;
	const char *p = f->text + f->lines[span.first_line - 1], *end = f->text + f->len;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	int width = (int)(eol - p);
	if (width > 0 && p[width - 1] == '\r')
		width--;
	fprintf(o, "%5d | %.*s\n", span.first_line, width, p);
	fputs("      | ", o);
	int first = span.first_column < 1 ? 1 : span.first_column;
	int last = span.last_line == span.first_line ? span.last_column : width;
	if (last < first)
		last = first;
	for (int c = 1; c < first; c++)
		fputc(c - 1 < width && p[c - 1] == '\t' ? '\t' : ' ', o);
	if (d->color)
		fputs(C_GREEN, o);
	fputc('^', o);
	for (int c = first + 1; c <= last; c++)
		fputc('~', o);
	if (d->color)
		fputs(C_OFF, o);
	fputc('\n', o);
}

enum diag_level { DIAG_LEVEL_ERROR, DIAG_LEVEL_WARNING, DIAG_LEVEL_NOTE };

static void diag_vreport(struct diag_ctx *d, enum diag_level lvl, struct ast_span span,
			 const char *fmt, va_list ap)
{
	bool werror = false;
	if (lvl == DIAG_LEVEL_WARNING && d->werror) {
		lvl = DIAG_LEVEL_ERROR;
		werror = true;
	}
	if (lvl == DIAG_LEVEL_NOTE) {
		if (d->muted)
			return;
	} else if (d->max_errors && d->errors >= d->max_errors) {
		d->muted = true;
		if (!d->capped && d->out)
			fprintf(d->out, "mosc: stopping after %u errors (--max-errors)\n",
				d->max_errors);
		d->capped = true;
		return;
	} else {
		d->muted = false;
		if (lvl == DIAG_LEVEL_ERROR)
			d->errors++;
		else
			d->warnings++;
	}
	if (!d->out)
		return;
	char *buf = NULL;
	size_t blen = 0;
	FILE *o = open_memstream(&buf, &blen);
	if (!o)
		return;
	static const char *const label[] = { "error", "warning", "note" };
	static const char *const colour[] = { C_RED, C_MAG, C_CYAN };
	if (span.file < d->nfiles && span.first_line > 0)
		fprintf(o, "%s%s:%d:%d:%s ", d->color ? C_BOLD : "",
			d->files[span.file].name, span.first_line, span.first_column,
			d->color ? C_OFF : "");
	else
		fputs("mosc: ", o);
	fprintf(o, "%s%s:%s ", d->color ? colour[lvl] : "", label[lvl],
		d->color ? C_OFF : "");
	vfprintf(o, fmt, ap);
	if (werror)
		fputs(" [-Werror]", o);
	fputc('\n', o);
	diag_quote(d, o, span);
	/* Errors and warnings in an imported module end with the import chain. */
	uint32_t file = span.file;
	for (int hop = 0; lvl != DIAG_LEVEL_NOTE && hop < 32 && file < d->nfiles
	     && d->files[file].module; hop++) {
		const struct diag_file *f = &d->files[file];
		struct ast_span at = f->origin;
		if (at.file >= d->nfiles)
			break;
		fprintf(o, "%s%s:%d:%d:%s %snote:%s in module '%s', imported here\n",
			d->color ? C_BOLD : "", d->files[at.file].name, at.first_line,
			at.first_column, d->color ? C_OFF : "", d->color ? C_CYAN : "",
			d->color ? C_OFF : "", f->module);
		diag_quote(d, o, at);
		file = at.file;
	}
	fclose(o);
	fwrite(buf, 1, blen, d->out);
	free(buf);
}

void diag_error(struct diag_ctx *d, struct ast_span span, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, DIAG_LEVEL_ERROR, span, fmt, ap);
	va_end(ap);
}

void diag_warning(struct diag_ctx *d, struct ast_span span, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, DIAG_LEVEL_WARNING, span, fmt, ap);
	va_end(ap);
}

void diag_note(struct diag_ctx *d, struct ast_span span, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, DIAG_LEVEL_NOTE, span, fmt, ap);
	va_end(ap);
}

void diag_fatal(struct diag_ctx *d, const char *fmt, ...)
{
	struct ast_span none = { 0 };
	none.file = UINT32_MAX;
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, DIAG_LEVEL_ERROR, none, fmt, ap);
	va_end(ap);
}

void diag_finish(struct diag_ctx *d)
{
	if (diag_stop(d) && !d->capped && d->out)
		fprintf(d->out, "mosc: stopping after %u errors (--max-errors)\n", d->max_errors);
	d->capped = true;
}

unsigned diag_errors(const struct diag_ctx *d) { return d->errors; }
unsigned diag_warnings(const struct diag_ctx *d) { return d->warnings; }

bool diag_stop(const struct diag_ctx *d)
{
	return d->max_errors && d->errors >= d->max_errors;
}

unsigned diag_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 255;
	unsigned row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned v = diag + cost;
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
		}
	}
	return row[lb] > 255 ? 255 : row[lb];
}

void diag_suggest_init(struct diag_suggest *s, const char *wanted)
{
	s->wanted = wanted;
	s->best = NULL;
	s->dist = 255;
}

void diag_suggest_offer(struct diag_suggest *s, const char *candidate)
{
	if (!candidate || !strcmp(candidate, s->wanted))
		return;
	size_t l = strlen(s->wanted);
	unsigned limit = l / 3 > 1 ? (unsigned)(l / 3) : 1;
	unsigned dist = diag_edit_distance(s->wanted, candidate);
	if (dist <= limit && dist < s->dist) {
		s->best = candidate;
		s->dist = dist;
	}
}

const char *diag_suggest_text(const struct diag_suggest *s)
{
	static char buf[160];
	if (!s->best)
		return "";
	snprintf(buf, sizeof(buf), "; did you mean '%s'?", s->best);
	return buf;
}
