/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * grammar/parse_ctx.h — state shared by the generated scanner and parser of
 * one .mos file (private to grammar/).
 */
#ifndef MOSC_PARSE_CTX_H
#define MOSC_PARSE_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"

struct parse_ctx {
	struct ast_arena *arena;     /* owns the nodes built */
	struct diag_ctx *diag;       /* where errors go */
	uint32_t file;               /* diagnostics file id of the text */
	int line;                    /* scanner position: line of the next character */
	int col;                     /* scanner position: its column */
	int prev_col;                /* column of the last newline (end of the previous line) */
	struct ast_node *root;       /* the FILE node once parsed */
	const char *tok_text;        /* text of the last token (for syntax errors) */
	int tok_len;                 /* its length */
	char *cbuf;                  /* inline C being collected (malloc'd) */
	size_t clen;                 /* bytes in cbuf */
	size_t ccap;                 /* bytes allocated */
	struct ast_span cstart;      /* where the inline C block starts */
};

/* Scanner helpers used by the parser (grammar/scanner.l). */
void lex_append_c(struct parse_ctx *pc, const char *s, size_t n);

#endif /* MOSC_PARSE_CTX_H */
