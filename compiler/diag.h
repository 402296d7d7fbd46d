/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/diag.h — diagnostics in GCC format:
 *
 *   file:line:col: error: message
 *       3 |     on conn_ends { }
 *         |        ^~~~~~~~~
 *   file:line:col: note: related location
 *
 * The context owns the text of every source file (so carets can quote
 * lines), counts errors and warnings, applies -Werror and the error cap,
 * and colours output only when asked to (the driver asks when stderr is a
 * tty). Messages are lower case and quote names with single quotes.
 *
 * Thread-safety: a context belongs to one thread.
 */
#ifndef MOSC_DIAG_H
#define MOSC_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"

struct diag_ctx;

/* Create a context printing to out (NULL: count only, print nothing). */
struct diag_ctx *diag_new(FILE *out);
void diag_free(struct diag_ctx *d);

/* Options: warnings are errors; stop after max errors (0 = no cap); colour. */
void diag_set_werror(struct diag_ctx *d, bool on);
void diag_set_max_errors(struct diag_ctx *d, unsigned max);
void diag_set_color(struct diag_ctx *d, bool on);

/* Register a source file; text is copied. Returns its id for spans. */
uint32_t diag_add_file(struct diag_ctx *d, const char *name, const char *text, size_t len);
/*
 * Mark file as module `module`, loaded by the 'import' at span import:
 * every error and warning located in it then ends with the note
 * "in module 'NAME', imported here" (and so on up the import chain).
 */
void diag_set_origin(struct diag_ctx *d, uint32_t file, const char *module, struct ast_span import);
/* Name / text of a registered file. */
const char *diag_file_name(const struct diag_ctx *d, uint32_t file);
const char *diag_file_text(const struct diag_ctx *d, uint32_t file, size_t *len);

/* Report at span. A note attaches to the preceding error/warning. */
void diag_error(struct diag_ctx *d, struct ast_span span, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warning(struct diag_ctx *d, struct ast_span span, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_note(struct diag_ctx *d, struct ast_span span, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A message without a location ("mosc: ..."), counted as an error. */
void diag_fatal(struct diag_ctx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* End of a compilation: say so if the error cap cut it short. */
void diag_finish(struct diag_ctx *d);

/* Errors reported so far (warnings under -Werror included). */
unsigned diag_errors(const struct diag_ctx *d);
unsigned diag_warnings(const struct diag_ctx *d);
/* True once the error cap was reached: passes should stop. */
bool diag_stop(const struct diag_ctx *d);

/*
 * "did you mean" support: the closest of the candidates offered so far to
 * the misspelt name, or NULL when none is close enough (edit distance at
 * most max(1, strlen/3)).
 */
struct diag_suggest {
	const char *wanted;          /* the misspelt name */
	const char *best;            /* closest candidate so far */
	unsigned dist;               /* its edit distance */
};
void diag_suggest_init(struct diag_suggest *s, const char *wanted);
void diag_suggest_offer(struct diag_suggest *s, const char *candidate);
/* "; did you mean 'x'?" or "" (static storage until the next call). */
const char *diag_suggest_text(const struct diag_suggest *s);
/* Levenshtein distance of two strings (capped at 255). */
unsigned diag_edit_distance(const char *a, const char *b);

#endif /* MOSC_DIAG_H */
