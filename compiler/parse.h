/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/parse.h — entry point of the generated .mos parser (grammar/).
 */
#ifndef MOSC_PARSE_H
#define MOSC_PARSE_H

#include <stdint.h>

#include "ast.h"
#include "diag.h"

/*
 * Parse the text of a registered file (diag_add_file) into a FILE node
 * allocated from arena. Syntax errors are reported to diag; the tree
 * returned holds whatever was recovered (never NULL).
 */
struct ast_node *parse_file(struct ast_arena *arena, struct diag_ctx *diag, uint32_t file);

#endif /* MOSC_PARSE_H */
