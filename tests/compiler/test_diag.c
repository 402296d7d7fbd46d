// SPDX-License-Identifier: BSD-3-Clause
/*
 * tests/compiler/test_diag.c — unit tests of compiler/diag.c: edit
 * distance and suggestions, caret lines (tabs, multi-line spans, end of
 * line), -Werror, the error cap, notes of suppressed diagnostics, colour.
 * Exits 1 on the first failed check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static int failures;

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                               \
		}                                                                 \
	} while (0)

/* Run fn on a context writing to memory; returns the text (malloc'd). */
static char *capture(void (*fn)(struct diag_ctx *), bool werror, unsigned max, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct diag_ctx *d = diag_new(f);
	diag_set_werror(d, werror);
	diag_set_max_errors(d, max);
	diag_set_color(d, color);
	fn(d);
	diag_finish(d);
	diag_free(d);
	fclose(f);
	return buf;
}

static struct ast_span span(uint32_t file, int l1, int c1, int l2, int c2)
{
	struct ast_span s = { file, l1, c1, l2, c2 };
	return s;
}

static void tabs(struct diag_ctx *d)
{
	uint32_t f = diag_add_file(d, "t.mos", "\tx = 1\n", 7);
	diag_error(d, span(f, 1, 2, 1, 2), "bad '%s'", "x");
}

static void multiline(struct diag_ctx *d)
{
	uint32_t f = diag_add_file(d, "m.mos", "ab\ncd\n", 6);
	diag_warning(d, span(f, 1, 1, 2, 2), "spans two lines");
}

static void three_errors_with_notes(struct diag_ctx *d)
{
	uint32_t f = diag_add_file(d, "e.mos", "a\nb\nc\n", 6);
	for (int i = 1; i <= 3; i++) {
		diag_error(d, span(f, i, 1, i, 1), "error %d", i);
		diag_note(d, span(f, i, 1, i, 1), "note %d", i);
	}
}

static void one_warning(struct diag_ctx *d)
{
	uint32_t f = diag_add_file(d, "w.mos", "w\n", 2);
	diag_warning(d, span(f, 1, 1, 1, 1), "careful");
}

static void imported(struct diag_ctx *d)
{
	uint32_t main_file = diag_add_file(d, "main.mos", "import lib\n", 11);
	uint32_t lib = diag_add_file(d, "lib.mos", "module lib\nbad\n", 15);
	diag_set_origin(d, lib, "lib", span(main_file, 1, 1, 1, 10));
	diag_error(d, span(lib, 2, 1, 2, 3), "oops");
	diag_note(d, span(lib, 1, 8, 1, 10), "declared");
}

int main(void)
{
	/* Edit distance. */
	CHECK(diag_edit_distance("", "") == 0);
	CHECK(diag_edit_distance("conn_end", "conn_ends") == 1);
	CHECK(diag_edit_distance("kitten", "sitting") == 3);
	CHECK(diag_edit_distance("abc", "") == 3);

	/* Suggestions: closest within max(1, len/3), never the name itself. */
	struct diag_suggest s;
	diag_suggest_init(&s, "requets");
	diag_suggest_offer(&s, "requests");
	diag_suggest_offer(&s, "request");
	diag_suggest_offer(&s, "requets");
	CHECK(s.best && !strcmp(s.best, "requests"));
	CHECK(!strcmp(diag_suggest_text(&s), "; did you mean 'requests'?"));
	diag_suggest_init(&s, "ab");
	diag_suggest_offer(&s, "xy");
	CHECK(s.best == NULL && !strcmp(diag_suggest_text(&s), ""));

	/* Caret under a tab-indented token keeps the tab. */
	char *out = capture(tabs, false, 0, false);
	CHECK(!strcmp(out, "t.mos:1:2: error: bad 'x'\n    1 | \tx = 1\n      | \t^\n"));
	free(out);

	/* A span over two lines is underlined to the end of its first line. */
	out = capture(multiline, false, 0, false);
	CHECK(!strcmp(out, "m.mos:1:1: warning: spans two lines\n    1 | ab\n      | ^~\n"));
	free(out);

	/* -Werror turns warnings into counted errors, marked as such. */
	out = capture(one_warning, true, 0, false);
	CHECK(strstr(out, "w.mos:1:1: error: careful [-Werror]\n") == out);
	free(out);

	/* The cap: two errors with their notes, the third and its note muted. */
	out = capture(three_errors_with_notes, false, 2, false);
	CHECK(strstr(out, "error 2") && strstr(out, "note 2"));
	CHECK(!strstr(out, "error 3") && !strstr(out, "note 3"));
	CHECK(strstr(out, "mosc: stopping after 2 errors (--max-errors)\n"));
	free(out);

	/* Colour only when asked. */
	out = capture(one_warning, false, 0, true);
	CHECK(strstr(out, "\033[1;35mwarning:\033[0m"));
	free(out);
	out = capture(one_warning, false, 0, false);
	CHECK(!strchr(out, '\033'));
	free(out);

	/* Errors in an imported file end with the import chain; notes do not. */
	out = capture(imported, false, 0, false);
	CHECK(!strcmp(out,
		      "lib.mos:2:1: error: oops\n    2 | bad\n      | ^~~\n"
		      "main.mos:1:1: note: in module 'lib', imported here\n"
		      "    1 | import lib\n      | ^~~~~~~~~~\n"
		      "lib.mos:1:8: note: declared\n    1 | module lib\n      |        ^~~\n"));
	free(out);

	/* Counting without output. */
	struct diag_ctx *d = diag_new(NULL);
	three_errors_with_notes(d);
	CHECK(diag_errors(d) == 3 && diag_warnings(d) == 0 && !diag_stop(d));
	diag_free(d);

	if (failures)
		return 1;
	puts("ok");
	return 0;
}
