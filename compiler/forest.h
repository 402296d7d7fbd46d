/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/forest.h — the event dependency forest of a checked program:
 * built-in events are the roots; every UDE of the program and of its
 * imported modules hangs beneath its base, at any depth; floating events
 * get one copy under each built-in root from whose handlers they are
 * raised (the runtime delivers a raised event only within the plan of the
 * built-in being dispatched). Events are listed parents first, in module
 * load order (dependencies first) then source order, so the result is
 * deterministic. Identical definitions (same parent, structurally equal
 * `when` with the same resolved state, functions and fields) share one
 * node: the later ones are aliases. The back end emits it as
 * `struct mos_abi_event[]`.
 *
 * Thread-safety: one forest per thread.
 */
#ifndef MOSC_FOREST_H
#define MOSC_FOREST_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "loader.h"

/* One node of the forest (a UDE, or one copy of a floating event). */
struct forest_event {
	const struct ast_node *decl; /* EVENT declaration */
	const struct load_module *mod; /* declaring module */
	char *qname;                 /* "http.request" (module-qualified when not main) */
	char *cname;                 /* C identifier stem: "http_request" */
	int parent;                  /* index of the parent UDE, -1 when a built-in is */
	int builtin;                 /* root built-in id (enum bi_event) */
	bool floating;               /* a copy of a floating event */
	int floating_index;          /* which floating event (index into forest.floats) */
	int depth;                   /* 1 under a built-in, 2 below a UDE, ... */
};

/* The forest of a program. */
struct forest {
	struct forest_event *ev;     /* events, parents first */
	int n;                       /* how many */
	const struct ast_node **floats; /* floating EVENT declarations, in order */
	const struct load_module **float_mods; /* their modules */
	int nfloats;                 /* how many */
	unsigned *float_roots;       /* per floating event: bitmask of roots raised from */
	const struct ast_node **alias_decl; /* UDEs identical to an earlier one ... */
	int *alias_of;               /* ... and the index of that one */
	const struct load_module **alias_mod; /* module of each alias */
	int naliases;                /* how many */
};

/*
 * Build the forest of a checked program @p (sema_check returned 0).
 * Returns 0, or -1 with a message on stderr (unresolvable base).
 */
int forest_build(struct forest *f, const struct load_program *p);

/* Index of the forest node for EVENT @decl under root @root (for
 * floating events; any root for a UDE), or -1. */
int forest_find(const struct forest *f, const struct ast_node *decl, int root);

/* Index into f->floats of floating EVENT @decl, or -1. */
int forest_float_index(const struct forest *f, const struct ast_node *decl);

/* Deterministic text dump (`mosc dump forest`). */
void forest_dump(FILE *out, const struct forest *f);

/* Free what forest_build allocated. */
void forest_free(struct forest *f);

#endif /* MOSC_FOREST_H */
