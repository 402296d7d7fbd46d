// SPDX-License-Identifier: BSD-3-Clause
/*
 * tests/fuzz/fuzz_mosc.c — libFuzzer target for the mosc front end:
 * scanner, parser, module loader and semantic analysis on arbitrary text.
 * Every input must end in success or diagnostics: no crash, no leak, no
 * hang. Diagnostics are counted, not printed. The AST dump runs too, so
 * every node the parser builds is visited.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"
#include "diag.h"
#include "loader.h"
#include "parse.h"
#include "sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_ctx *d = diag_new(NULL);
	struct ast_arena *a = ast_arena_new();
	if (!d || !a)
		return 0;
	diag_set_max_errors(d, 50);
	struct load_opts lo = { .stdlib_dir = MOSC_STDLIB_DIR };
	struct load_program *p = load_program(a, d, &lo, "fuzz.mos", (const char *)data, size);
	if (p && !diag_stop(d))
		sema_check(a, d, p);
	if (p) {
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			ast_dump(null, p->main->root);
			fclose(null);
		}
	}
	ast_arena_free(a);
	diag_free(d);
	return 0;
}
