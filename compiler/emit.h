/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/emit.h — C generation for a checked program (`mosc emit-c`):
 * one C file holding the per-flow state struct, record schemas, one
 * function per UDE filter, per handler and per `after` body, the static
 * forest (mos/abi.h) and the program description (mos/program.h), and a
 * main() that calls mos_program_main. The layout is documented in
 * docs/backend.md.
 *
 * Thread-safety: one program per thread.
 */
#ifndef MOSC_EMIT_H
#define MOSC_EMIT_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "forest.h"
#include "loader.h"

/* Options of the generator. */
struct emit_opts {
	bool no_line;                /* --no-line: no #line directives */
	const char *command;         /* command line for the banner */
	const char *prog_name;       /* program name for messages */
	const char *c_name;          /* name of the C file written, for #line back into it (NULL: "<stdout>") */
};

/*
 * Write the C of checked program @p with forest @f to @out. Constructs
 * the back end does not support yet are reported through @d as errors,
 * and then nothing is written.
 * Returns the number of errors (0 on success).
 */
unsigned emit_program(FILE *out, struct diag_ctx *d, const struct load_program *p,
		      const struct forest *f, const struct emit_opts *o);

/* Companion C files (extern "x.c") of @p, resolved against their module's
 * directory: fills up to @max malloc'd paths into @paths; returns how many. */
int emit_companions(const struct load_program *p, char **paths, int max);

#endif /* MOSC_EMIT_H */
