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

/*
 * Results kept on the tree after sema_check (valid while the arena lives):
 *  - expression nodes: ast_node.type is their enum bi_type;
 *  - state references (PATH): ast_node.ref points at the declaration;
 *  - handlers: the accessors below.
 */
/* Built-in event (enum bi_event) at the root of a handler's event chain;
 * -1 for a floating event, -2 when unresolved. */
int sema_handler_root(const struct ast_node *handler);
/* Hook the handler runs at: BI_HOOK_NONE, BI_HOOK_SND or BI_HOOK_RCV (the
 * written hook, else no hook when the event allows it, else @rcv); 0 if unresolved. */
unsigned sema_handler_hook(const struct ast_node *handler);
/* The EVENT declaration a handler is registered on, NULL for built-ins. */
const struct ast_node *sema_handler_event(const struct ast_node *handler);
/* Root built-in of an EVENT declaration, -1 floating, -2 unresolved. */
int sema_event_root_of(const struct ast_node *event);

/* The VAR a state reference (PATH) resolved to; NULL for fields and sides. */
const struct ast_node *sema_path_decl(const struct ast_node *path);
/* The EXTERN_FN a CALL resolved to; NULL for built-ins (peek, len). */
const struct ast_node *sema_call_decl(const struct ast_node *call);
/* The floating EVENT a RAISE names. (ENABLE/DISABLE: ast_node.ref is the HANDLER.) */
const struct ast_node *sema_raise_event(const struct ast_node *raise);
/* Annotation callback for ast_dump_annotated: expression types, handler roots and hooks. */
void sema_annotate(FILE *out, const struct ast_node *n);

#endif /* MOSC_SEMA_H */
