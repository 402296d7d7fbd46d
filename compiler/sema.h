/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/sema.h — semantic analysis of a loaded program, a pass of its
 * own after parsing and module loading: name resolution, types of every
 * expression and assignment, hook legality, UDE chains (unknown bases,
 * cycles), record consistency across emits, labels, extern declarations,
 * monitor options, scope/filter strings (compiled with libpcap), test
 * expectations, and unused-state / unreachable-handler warnings.
 *
 * Results are left on the tree (ast_node.type, ast_node.ref) for the back
 * end. Thread-safety: one program per thread.
 */
#ifndef MOSC_SEMA_H
#define MOSC_SEMA_H

#include "ast.h"
#include "diag.h"
#include "loader.h"

/* Check program p; diagnostics go to diag. Returns the number of errors found. */
unsigned sema_check(struct ast_arena *arena, struct diag_ctx *diag, struct load_program *p);

#endif /* MOSC_SEMA_H */
