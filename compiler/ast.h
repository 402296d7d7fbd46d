/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/ast.h — the abstract syntax tree of .mos files: an arena that owns
 * every node and string of a compilation, one generic node type whose kind
 * says what its fields mean (table AST_KINDS below), source spans on every
 * node, and a deterministic text dump (`mosc dump ast`).
 *
 * Thread-safety: an arena and its nodes belong to one thread.
 */
#ifndef MOSC_AST_H
#define MOSC_AST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A source range; lines and columns are 1-based, last_column inclusive. */
struct ast_span {
	uint32_t file;               /* index into the diagnostics' file table */
	int first_line;              /* line of the first character */
	int first_column;            /* column (byte) of the first character */
	int last_line;               /* line of the last character */
	int last_column;             /* column (byte) of the last character */
};

/*
 * Node kinds: X(ID, "dump name", "meaning of name / num / kid[0..3]").
 * Lists are chains of nodes through `next`.
 */
#define AST_KINDS(X)                                                            \
	X(FILE,        "file",        "kid0=items")                               \
	X(MODULE,      "module",      "name")                                     \
	X(IMPORT,      "import",      "name")                                     \
	X(EXTERN,      "extern",      "name=C file; kid0=functions")              \
	X(EXTERN_FN,   "function",    "name; kid0=return type; kid1=params")      \
	X(PARAM,       "param",       "name (may be empty); kid0=type")           \
	X(TYPE,        "type",        "name")                                     \
	X(STATE,       "state",       "kid0=vars")                                \
	X(VAR,         "var",         "name; kid0=type")                          \
	X(EVENT,       "event",       "name; kid0=base path or NULL (floating); kid1=when") \
	X(MONITOR,     "monitor",     "name; num=1 raw; kid0=scope/filter string; kid1=items") \
	X(OPTION,      "option",      "name=option; kid0=arg name; kid1=value")   \
	X(HANDLER,     "handler",     "num=disabled; kid0=event path; kid1=hook; kid2=when; kid3=body; label in name") \
	X(HOOK,        "hook",        "name")                                     \
	X(TEST,        "test",        "name; kid0=items")                         \
	X(PCAP,        "pcap",        "name=path")                                \
	X(EXPECT_COUNT,"expect-count","name=record; op=comparison; kid0=value")   \
	X(EXPECT_INDEX,"expect-index","name=record; num=index; kid0=fields")      \
	X(EXPECT_ANY,  "expect-any",  "name=record; kid0=fields")                 \
	X(EXPECT_NO,   "expect-no",   "name=record")                              \
	X(EXPECT_EVENT,"expect-event","kid0=event path; op=comparison; kid1=value") \
	X(EXPECT_COUNTER,"expect-counter","kid0=counter path; op=comparison; kid1=value") \
	X(BLOCK,       "block",       "kid0=statements")                          \
	X(ASSIGN,      "assign",      "op=operator; kid0=target path; kid1=value") \
	X(EMIT,        "emit",        "name=record; kid0=fields")                 \
	X(FIELD,       "field",       "name; kid0=value")                         \
	X(DROP,        "drop",        "")                                         \
	X(RESET,       "reset",       "")                                         \
	X(STOP,        "stop",        "name=side")                                \
	X(ENABLE,      "enable",      "name=label")                               \
	X(DISABLE,     "disable",     "name=label")                               \
	X(RAISE,       "raise",       "kid0=event path")                          \
	X(IF,          "if",          "kid0=condition; kid1=then; kid2=else")     \
	X(AFTER,       "after",       "kid0=delay; kid1=body")                    \
	X(CCODE,       "c",           "name=C text")                              \
	X(EXPR_STMT,   "call-stmt",   "kid0=call")                                \
	X(PATH,        "path",        "name=dotted name")                         \
	X(CALL,        "call",        "kid0=callee path; kid1=args")              \
	X(BINARY,      "binary",      "op; kid0, kid1")                           \
	X(UNARY,       "unary",       "op; kid0")                                 \
	X(SET,         "set",         "kid0=elements")                            \
	X(INT,         "int",         "num")                                      \
	X(BOOL,        "bool",        "num")                                      \
	X(STRING,      "string",      "name (len bytes)")                         \
	X(BYTES,       "bytes",       "name (len bytes)")                         \
	X(IP,          "ip",          "name=text")                                \
	X(PREFIX,      "prefix",      "name=text")                                \
	X(DURATION,    "duration",    "num=nanoseconds; name=text")               \
	X(SIZE,        "size",        "num=bytes; name=text")

enum ast_kind {
#define AST_X_(id, name, doc) AST_##id,
	AST_KINDS(AST_X_)
#undef AST_X_
	AST_KIND_COUNT
};

/* Operators (binary, unary, compound assignment, comparisons in expectations). */
#define AST_OPS(X)                                                              \
	X(NONE, "") X(OR, "or") X(AND, "and") X(NOT, "not")                     \
	X(EQ, "==") X(NE, "!=") X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=")   \
	X(IN, "in") X(CONTAINS, "contains") X(STARTS, "starts_with")            \
	X(ENDS, "ends_with") X(MATCHES, "matches")                              \
	X(BOR, "|") X(BAND, "&") X(BXOR, "^") X(ADD, "+") X(SUB, "-")           \
	X(MUL, "*") X(DIV, "/") X(MOD, "%") X(NEG, "-") X(BNOT, "~")            \
	X(SET, "=") X(ADD_SET, "+=") X(SUB_SET, "-=") X(MUL_SET, "*=")          \
	X(DIV_SET, "/=") X(MOD_SET, "%=") X(OR_SET, "|=") X(AND_SET, "&=")

enum ast_op {
#define AST_X_(id, text) AST_OP_##id,
	AST_OPS(AST_X_)
#undef AST_X_
	AST_OP_COUNT
};

/* One node; which fields are meaningful depends on kind (see AST_KINDS). */
struct ast_node {
	enum ast_kind kind;          /* what this node is */
	enum ast_op op;              /* operator, when the kind has one */
	struct ast_span span;        /* where it is in the source */
	const char *name;            /* identifier, dotted path or literal text (NUL-terminated) */
	size_t len;                  /* length of name in bytes (strings may hold NUL) */
	uint64_t num;                /* integer value / flags, per kind */
	struct ast_node *kid[4];     /* children, per kind */
	struct ast_node *next;       /* next node of the list this node is in */
	struct ast_span name_span;   /* span of the name part (labels, records) */
	/* Filled by semantic analysis. */
	int type;                    /* enum sema_type of an expression */
	const void *ref;             /* resolved declaration (sema-private) */
};

/* A list under construction: head and tail of a `next` chain. */
struct ast_list {
	struct ast_node *head;       /* first node, NULL when empty */
	struct ast_node *tail;       /* last node */
};

struct ast_arena;

/* Create an arena; returns NULL when out of memory. */
struct ast_arena *ast_arena_new(void);
/* Free the arena and everything allocated from it (NULL is a no-op). */
void ast_arena_free(struct ast_arena *a);
/* Zeroed memory from the arena; aborts when the system is out of memory. */
void *ast_alloc(struct ast_arena *a, size_t n);
/* Copy n bytes into the arena and NUL-terminate them. */
char *ast_strndup(struct ast_arena *a, const char *s, size_t n);

/* Constructors: one per grammar action. name may be NULL. */
struct ast_node *ast_new(struct ast_arena *a, enum ast_kind kind, struct ast_span span);
struct ast_node *ast_named(struct ast_arena *a, enum ast_kind kind, struct ast_span span,
			   const char *name);
struct ast_node *ast_op(struct ast_arena *a, enum ast_kind kind, struct ast_span span,
			enum ast_op op, struct ast_node *l, struct ast_node *r);
struct ast_node *ast_kids(struct ast_arena *a, enum ast_kind kind, struct ast_span span,
			  const char *name, struct ast_node *k0, struct ast_node *k1,
			  struct ast_node *k2, struct ast_node *k3);
/* A named declaration whose name has its own span (labels, records, ...). */
struct ast_node *ast_decl(struct ast_arena *a, enum ast_kind kind, struct ast_span span,
			  const struct ast_node *name, uint64_t num, struct ast_node *k0, struct ast_node *k1,
			  struct ast_node *k2, struct ast_node *k3);
/* Append a node (possibly NULL) to a list; returns the list. */
struct ast_list ast_list_add(struct ast_list l, struct ast_node *n);
/* Dotted path: extend p with ".part". */
struct ast_node *ast_path_extend(struct ast_arena *a, struct ast_node *p, const char *part,
				 struct ast_span span);

/* Dump name of a kind / text of an operator. */
const char *ast_kind_name(enum ast_kind k);
const char *ast_op_text(enum ast_op op);
/* Number of nodes in a list. */
size_t ast_list_len(const struct ast_node *n);

/* Write the deterministic text dump of a tree (and its siblings) to out. */
void ast_dump(FILE *out, const struct ast_node *n);
/* The same, calling annotate (if not NULL) to append text after each node's span. */
void ast_dump_annotated(FILE *out, const struct ast_node *n,
			void (*annotate)(FILE *out, const struct ast_node *n));

/* Span covering a..b. */
struct ast_span ast_span_join(struct ast_span a, struct ast_span b);

#endif /* MOSC_AST_H */
