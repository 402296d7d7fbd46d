// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/ast.c — arena allocation, node constructors and the
 * deterministic text dump of the .mos syntax tree.
 */
#include "ast.h"

#include <stdlib.h>
#include <string.h>

#define AST_CHUNK (64u * 1024u)

/* One chunk of arena memory. */
struct ast_chunk {
	struct ast_chunk *prev;      /* previously filled chunk */
	size_t used;                 /* bytes used in data */
	size_t cap;                  /* bytes available in data */
	max_align_t data[];          /* the memory */
};

struct ast_arena {
	struct ast_chunk *cur;       /* chunk being filled (list of all chunks) */
};

struct ast_arena *ast_arena_new(void)
{
	return calloc(1, sizeof(struct ast_arena));
}

void ast_arena_free(struct ast_arena *a)
{
	if (!a)
		return;
	struct ast_chunk *c = a->cur;
	while (c) {
		struct ast_chunk *p = c->prev;
		free(c);
		c = p;
	}
	free(a);
}

void *ast_alloc(struct ast_arena *a, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!a->cur || a->cur->cap - a->cur->used < n) {
		size_t cap = n > AST_CHUNK ? n : AST_CHUNK;
		struct ast_chunk *c = malloc(sizeof(*c) + cap);
		if (!c) {
			fputs("mosc: out of memory\n", stderr);
			abort();
		}
		c->prev = a->cur;
		c->used = 0;
		c->cap = cap;
		a->cur = c;
	}
	void *p = (char *)a->cur->data + a->cur->used;
	a->cur->used += n;
	memset(p, 0, n);
	return p;
}

char *ast_strndup(struct ast_arena *a, const char *s, size_t n)
{
	char *d = ast_alloc(a, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

struct ast_node *ast_new(struct ast_arena *a, enum ast_kind kind, struct ast_span span)
{
	struct ast_node *n = ast_alloc(a, sizeof(*n));
	n->kind = kind;
	n->span = span;
	n->name_span = span;
	return n;
}

struct ast_node *ast_named(struct ast_arena *a, enum ast_kind kind, struct ast_span span,
			   const char *name)
{
	struct ast_node *n = ast_new(a, kind, span);
	n->name = name;
	n->len = name ? strlen(name) : 0;
	return n;
}

struct ast_node *ast_op(struct ast_arena *a, enum ast_kind kind, struct ast_span span,
			enum ast_op op, struct ast_node *l, struct ast_node *r)
{
	struct ast_node *n = ast_new(a, kind, span);
	n->op = op;
	n->kid[0] = l;
	n->kid[1] = r;
	return n;
}

struct ast_node *ast_kids(struct ast_arena *a, enum ast_kind kind, struct ast_span span,
			  const char *name, struct ast_node *k0, struct ast_node *k1,
			  struct ast_node *k2, struct ast_node *k3)
{
	struct ast_node *n = ast_named(a, kind, span, name);
	n->kid[0] = k0;
	n->kid[1] = k1;
	n->kid[2] = k2;
	n->kid[3] = k3;
	return n;
}

struct ast_node *ast_decl(struct ast_arena *a, enum ast_kind kind, struct ast_span span,
			  const struct ast_node *name, uint64_t num, struct ast_node *k0, struct ast_node *k1,
			  struct ast_node *k2, struct ast_node *k3)
{
	struct ast_node *n = ast_kids(a, kind, span, name ? name->name : NULL, k0, k1, k2, k3);
	n->num = num;
	if (name) {
		n->len = name->len;
		n->name_span = name->span;
	}
	return n;
}

struct ast_list ast_list_add(struct ast_list l, struct ast_node *n)
{
	if (!n)
		return l;
	if (!l.head)
		l.head = n;
	else
		l.tail->next = n;
	l.tail = n;
	return l;
}

struct ast_node *ast_path_extend(struct ast_arena *a, struct ast_node *p, const char *part,
				 struct ast_span span)
{
	size_t pl = strlen(p->name), ql = strlen(part);
	char *s = ast_alloc(a, pl + ql + 2);
	memcpy(s, p->name, pl);
	s[pl] = '.';
	memcpy(s + pl + 1, part, ql + 1);
	p->name = s;
	p->len = pl + ql + 1;
	p->span = ast_span_join(p->span, span);
	p->name_span = p->span;
	return p;
}

struct ast_span ast_span_join(struct ast_span a, struct ast_span b)
{
	struct ast_span s = a;
	s.last_line = b.last_line;
	s.last_column = b.last_column;
	return s;
}

static const char *const ast_kind_names[] = {
#define AST_X_(id, name, doc) name,
	AST_KINDS(AST_X_)
#undef AST_X_
};

static const char *const ast_op_texts[] = {
#define AST_X_(id, text) text,
	AST_OPS(AST_X_)
#undef AST_X_
};

const char *ast_kind_name(enum ast_kind k)
{
	return (unsigned)k < AST_KIND_COUNT ? ast_kind_names[k] : "?";
}

const char *ast_op_text(enum ast_op op)
{
	return (unsigned)op < AST_OP_COUNT ? ast_op_texts[op] : "?";
}

size_t ast_list_len(const struct ast_node *n)
{
	size_t c = 0;
	for (; n; n = n->next)
		c++;
	return c;
}

/* Write s (len bytes) as a double-quoted string with C escapes. */
static void ast_dump_quoted(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* Deepest nesting dumped (bounds the recursion on any input). */
#define AST_DUMP_MAX_DEPTH 4000

static void ast_dump_node(FILE *out, const struct ast_node *n, int depth,
			  void (*annotate)(FILE *out, const struct ast_node *n))
{
	if (depth > AST_DUMP_MAX_DEPTH) {
		fprintf(out, "%*s...\n", depth * 2, "");
		return;
	}
	for (; n; n = n->next) {
		fprintf(out, "%*s%s", depth * 2, "", ast_kind_name(n->kind));
		if (n->op != AST_OP_NONE)
			fprintf(out, " %s", ast_op_text(n->op));
		if (n->name) {
			fputc(' ', out);
			ast_dump_quoted(out, n->name, n->len);
		}
		switch (n->kind) {
		case AST_INT: case AST_BOOL: case AST_DURATION: case AST_SIZE:
		case AST_EXPECT_INDEX:
			fprintf(out, " %llu", (unsigned long long)n->num);
			break;
		case AST_MONITOR:
			if (n->num)
				fputs(" raw", out);
			break;
		case AST_HANDLER:
			if (n->num)
				fputs(" disabled", out);
			break;
		default:
			break;
		}
		fprintf(out, " <%d:%d-%d:%d>", n->span.first_line, n->span.first_column,
			n->span.last_line, n->span.last_column);
		if (annotate)
			annotate(out, n);
		fputc('\n', out);
		for (int i = 0; i < 4; i++) {
			if (!n->kid[i])
				continue;
			ast_dump_node(out, n->kid[i], depth + 1, annotate);
		}
	}
}

void ast_dump(FILE *out, const struct ast_node *n)
{
	ast_dump_node(out, n, 0, NULL);
}

void ast_dump_annotated(FILE *out, const struct ast_node *n,
			void (*annotate)(FILE *out, const struct ast_node *n))
{
	ast_dump_node(out, n, 0, annotate);
}
