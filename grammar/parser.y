/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * grammar/parser.y — the .mos grammar. A pure, reentrant LALR(1) parser
 * with locations. Every action calls one AST constructor; meaning is given
 * by the semantic pass (compiler/sema.c). Statements and declarations need
 * no separator (an optional ';' is accepted anywhere a statement may be).
 * Errors recover at declaration and statement boundaries.
 */
%define api.pure full
%define api.location.type {struct ast_span}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {void *scanner}
%parse-param {struct parse_ctx *pc}

%code requires {
#include "ast.h"
#include "parse_ctx.h"
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner);
}

%code {
#include <string.h>
#include "parse.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                          \
	do {                                                                 \
		if (N) {                                                     \
			(Cur) = YYRHSLOC(Rhs, 1);                            \
			(Cur).last_line = YYRHSLOC(Rhs, N).last_line;        \
			(Cur).last_column = YYRHSLOC(Rhs, N).last_column;    \
		} else {                                                     \
			(Cur) = YYRHSLOC(Rhs, 0);                            \
			(Cur).first_line = (Cur).last_line;                  \
			(Cur).first_column = (Cur).last_column;              \
		}                                                            \
	} while (0)

#define A (pc->arena)

static void yyerror(YYLTYPE *loc, void *scanner, struct parse_ctx *pc, const char *msg);
}

%union {
	struct ast_node *node;
	struct ast_list list;
	enum ast_op op;
}

%token END 0 "end of file"
%token <node> IDENT "identifier"
%token <node> INT "integer"
%token <node> STRING "string"
%token <node> BYTES "byte string"
%token <node> IPADDR "ip address"
%token <node> PREFIX "ip prefix"
%token <node> DURATION "duration"
%token <node> SIZE "size"
%token <node> CCODE "inline C"

%token MODULE "module" IMPORT "import" EXTERN "extern" EVENT "event" ON "on"
%token WHEN "when" MONITOR "monitor" RAW "raw" SCOPE "scope" FILTER "filter"
%token FLOW "flow" AS "as" DISABLED "disabled" EMIT "emit" DROP "drop"
%token RESET "reset" STOP "stop" ENABLE "enable" DISABLE "disable"
%token RAISE "raise" IF "if" ELSE "else" AFTER "after" TEST "test"
%token PCAP "pcap" EXPECT "expect" COUNT "count" ANY "any" NO "no"
%token COUNTER "counter" TRUE "true" FALSE "false" BUFFER "buffer"
%token OVERLAP "overlap" MIDSTREAM "midstream" TIMEOUT "timeout"
%token AND "and" OR "or" NOT "not" IN "in" CONTAINS "contains"
%token STARTS_WITH "starts_with" ENDS_WITH "ends_with" MATCHES "matches"
%token EQ "==" NE "!=" LE "<=" GE ">="
%token ADD_SET "+=" SUB_SET "-=" MUL_SET "*=" DIV_SET "/=" MOD_SET "%="
%token OR_SET "|=" AND_SET "&="

%left OR
%left AND
%precedence NOT
%nonassoc EQ NE '<' LE '>' GE IN CONTAINS STARTS_WITH ENDS_WITH MATCHES
%left '|'
%left '^'
%left '&'
%left '+' '-'
%left '*' '/' '%'
%precedence UMINUS '~'

%type <node> file item import module extern extern_fn param type_name state var
%type <node> event monitor mon_item option opt_value hook_opt when_opt label_opt
%type <node> handler block stmt if_stmt emit_stmt field test test_item expr primary
%type <node> name path literal scope_opt
%type <list> items extern_fns params params1 vars mon_items stmts fields fields1
%type <list> test_items args args1
%type <op> cmp assign_op
%type <node> disabled_opt

%%

/* file: { item } */
file
	: items                      { pc->root = ast_kids(A, AST_FILE, @$, NULL, $1.head, NULL, NULL, NULL); $$ = pc->root; }
	;

items
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| items item                 { $$ = ast_list_add($1, $2); }
	;

/* item: module | import | extern | state | event | monitor | test */
item
	: module
	| import
	| extern
	| state
	| event
	| monitor
	| test
	| error                      { $$ = NULL; }
	;

/* module: "module" NAME */
module
	: MODULE IDENT               { $$ = ast_decl(A, AST_MODULE, @$, $2, 0, NULL, NULL, NULL, NULL); }
	;

/* import: "import" NAME */
import
	: IMPORT IDENT               { $$ = ast_decl(A, AST_IMPORT, @$, $2, 0, NULL, NULL, NULL, NULL); }
	;

/* extern: "extern" "file.c" "{" { TYPE NAME "(" [params] ")" } "}" */
extern
	: EXTERN STRING '{' extern_fns '}'   { $$ = ast_decl(A, AST_EXTERN, @$, $2, 0, $4.head, NULL, NULL, NULL); }
	;

extern_fns
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| extern_fns extern_fn       { $$ = ast_list_add($1, $2); }
	| extern_fns ';'             { $$ = $1; }
	;

extern_fn
	: type_name IDENT '(' params ')'   { $$ = ast_decl(A, AST_EXTERN_FN, @$, $2, 0, $1, $4.head, NULL, NULL); }
	;

params
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| params1
	;

params1
	: param                      { $$ = ast_list_add((struct ast_list){ 0 }, $1); }
	| params1 ',' param          { $$ = ast_list_add($1, $3); }
	;

/* param: TYPE [NAME] */
param
	: type_name                  { $$ = ast_decl(A, AST_PARAM, @$, NULL, 0, $1, NULL, NULL, NULL); }
	| type_name IDENT            { $$ = ast_decl(A, AST_PARAM, @$, $2, 0, $1, NULL, NULL, NULL); }
	;

type_name
	: IDENT                      { $$ = ast_decl(A, AST_TYPE, @$, $1, 0, NULL, NULL, NULL, NULL); }
	| FLOW                       { $$ = ast_named(A, AST_TYPE, @$, "flow"); }
	;

/* state: "flow" "{" { TYPE NAME } "}" */
state
	: FLOW '{' vars '}'          { $$ = ast_kids(A, AST_STATE, @$, NULL, $3.head, NULL, NULL, NULL); }
	;

vars
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| vars var                   { $$ = ast_list_add($1, $2); }
	| vars ';'                   { $$ = $1; }
	| vars error                 { $$ = $1; }
	;

var
	: type_name name            { $$ = ast_decl(A, AST_VAR, @$, $2, 0, $1, NULL, NULL, NULL); }
	;

/* event: "event" NAME [ "on" EVENT [ "when" EXPR ] ] */
event
	: EVENT IDENT                        { $$ = ast_decl(A, AST_EVENT, @$, $2, 0, NULL, NULL, NULL, NULL); }
	| EVENT IDENT ON path when_opt       { $$ = ast_decl(A, AST_EVENT, @$, $2, 0, $4, $5, NULL, NULL); }
	;

/* monitor: ["raw"] "monitor" NAME [ "scope" | "filter" STRING ] "{" { mon_item } "}" */
monitor
	: MONITOR IDENT scope_opt '{' mon_items '}'         { $$ = ast_decl(A, AST_MONITOR, @$, $2, 0, $3, $5.head, NULL, NULL); }
	| RAW MONITOR IDENT scope_opt '{' mon_items '}'     { $$ = ast_decl(A, AST_MONITOR, @$, $3, 1, $4, $6.head, NULL, NULL); }
	;

scope_opt
	: %empty                     { $$ = NULL; }
	| SCOPE STRING               { $$ = ast_kids(A, AST_OPTION, @$, "scope", $2, NULL, NULL, NULL); }
	| FILTER STRING              { $$ = ast_kids(A, AST_OPTION, @$, "filter", $2, NULL, NULL, NULL); }
	;

mon_items
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| mon_items mon_item         { $$ = ast_list_add($1, $2); }
	| mon_items ';'              { $$ = $1; }
	;

mon_item
	: option
	| state
	| handler
	| error                      { $$ = NULL; }
	;

/*
 * option: "buffer" [ "client" | "server" | "both" ] ( SIZE | "off" )
 *       | "overlap" POLICY | "midstream" ( "on" | "off" )
 *       | "timeout" ( "idle" | "closed" | "udp" ) DURATION
 */
option
	: BUFFER IDENT opt_value     { $$ = ast_kids(A, AST_OPTION, @$, "buffer", $2, $3, NULL, NULL); }
	| BUFFER opt_value           { $$ = ast_kids(A, AST_OPTION, @$, "buffer", NULL, $2, NULL, NULL); }
	| OVERLAP IDENT              { $$ = ast_kids(A, AST_OPTION, @$, "overlap", NULL, $2, NULL, NULL); }
	| MIDSTREAM opt_value        { $$ = ast_kids(A, AST_OPTION, @$, "midstream", NULL, $2, NULL, NULL); }
	| MIDSTREAM ON               { $$ = ast_kids(A, AST_OPTION, @$, "midstream", NULL, ast_named(A, AST_PATH, @2, "on"), NULL, NULL); }
	| TIMEOUT IDENT opt_value    { $$ = ast_kids(A, AST_OPTION, @$, "timeout", $2, $3, NULL, NULL); }
	;

opt_value
	: SIZE
	| IDENT
	| DURATION
	| INT
	;

/* handler: "on" EVENT [ "@snd" | "@rcv" ] [ "when" EXPR ] [ "as" LABEL ] [ "disabled" ] BLOCK */
handler
	: ON path hook_opt when_opt label_opt disabled_opt block
		{ $$ = ast_decl(A, AST_HANDLER, @$, $5, $6 != NULL, $2, $3, $4, $7); }
	;

hook_opt
	: %empty                     { $$ = NULL; }
	| '@' IDENT                  { $$ = ast_decl(A, AST_HOOK, @$, $2, 0, NULL, NULL, NULL, NULL); }
	;

when_opt
	: %empty                     { $$ = NULL; }
	| WHEN expr                  { $$ = $2; }
	;

label_opt
	: %empty                     { $$ = NULL; }
	| AS IDENT                   { $$ = $2; }
	;

disabled_opt
	: %empty                     { $$ = NULL; }
	| DISABLED                   { $$ = ast_named(A, AST_PATH, @$, "disabled"); }
	;

/* block: "{" { stmt } "}" */
block
	: '{' stmts '}'              { $$ = ast_kids(A, AST_BLOCK, @$, NULL, $2.head, NULL, NULL, NULL); }
	;

stmts
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| stmts stmt                 { $$ = ast_list_add($1, $2); }
	| stmts ';'                  { $$ = $1; }
	;

/*
 * stmt: PATH ( "=" | "+=" | ... ) EXPR | CALL | emit | "drop" | "reset"
 *     | "stop" SIDE | "enable" LABEL | "disable" LABEL | "raise" EVENT
 *     | if | "after" EXPR BLOCK | "%{" C "%}"
 */
stmt
	: path assign_op expr        { $$ = ast_op(A, AST_ASSIGN, @$, $2, $1, $3); }
	| path '(' args ')'          { $$ = ast_kids(A, AST_EXPR_STMT, @$, NULL, ast_kids(A, AST_CALL, @$, NULL, $1, $3.head, NULL, NULL), NULL, NULL, NULL); }
	| emit_stmt
	| DROP                       { $$ = ast_new(A, AST_DROP, @$); }
	| RESET                      { $$ = ast_new(A, AST_RESET, @$); }
	| STOP IDENT                 { $$ = ast_decl(A, AST_STOP, @$, $2, 0, NULL, NULL, NULL, NULL); }
	| ENABLE IDENT               { $$ = ast_decl(A, AST_ENABLE, @$, $2, 0, NULL, NULL, NULL, NULL); }
	| DISABLE IDENT              { $$ = ast_decl(A, AST_DISABLE, @$, $2, 0, NULL, NULL, NULL, NULL); }
	| RAISE path                 { $$ = ast_kids(A, AST_RAISE, @$, NULL, $2, NULL, NULL, NULL); }
	| if_stmt
	| AFTER expr block           { $$ = ast_kids(A, AST_AFTER, @$, NULL, $2, $3, NULL, NULL); }
	| CCODE
	| error                      { $$ = NULL; }
	;

assign_op
	: '='                        { $$ = AST_OP_SET; }
	| ADD_SET                    { $$ = AST_OP_ADD_SET; }
	| SUB_SET                    { $$ = AST_OP_SUB_SET; }
	| MUL_SET                    { $$ = AST_OP_MUL_SET; }
	| DIV_SET                    { $$ = AST_OP_DIV_SET; }
	| MOD_SET                    { $$ = AST_OP_MOD_SET; }
	| OR_SET                     { $$ = AST_OP_OR_SET; }
	| AND_SET                    { $$ = AST_OP_AND_SET; }
	;

/* if: "if" EXPR BLOCK [ "else" ( BLOCK | if ) ] */
if_stmt
	: IF expr block              { $$ = ast_kids(A, AST_IF, @$, NULL, $2, $3, NULL, NULL); }
	| IF expr block ELSE block   { $$ = ast_kids(A, AST_IF, @$, NULL, $2, $3, $5, NULL); }
	| IF expr block ELSE if_stmt { $$ = ast_kids(A, AST_IF, @$, NULL, $2, $3, $5, NULL); }
	;

/* emit: "emit" RECORD "{" NAME ":" EXPR { "," NAME ":" EXPR } [","] "}" */
emit_stmt
	: EMIT IDENT '{' fields '}'  { $$ = ast_decl(A, AST_EMIT, @$, $2, 0, $4.head, NULL, NULL, NULL); }
	;

fields
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| fields1
	| fields1 ','
	;

fields1
	: field                      { $$ = ast_list_add((struct ast_list){ 0 }, $1); }
	| fields1 ',' field          { $$ = ast_list_add($1, $3); }
	;

field
	: name ':' expr              { $$ = ast_decl(A, AST_FIELD, @$, $1, 0, $3, NULL, NULL, NULL); }
	;

/* test: "test" STRING "{" { "pcap" STRING | "expect" ... } "}" */
test
	: TEST STRING '{' test_items '}'     { $$ = ast_decl(A, AST_TEST, @$, $2, 0, $4.head, NULL, NULL, NULL); }
	;

test_items
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| test_items test_item       { $$ = ast_list_add($1, $2); }
	| test_items ';'             { $$ = $1; }
	;

test_item
	: PCAP STRING                                { $$ = ast_decl(A, AST_PCAP, @$, $2, 0, NULL, NULL, NULL, NULL); }
	| EXPECT IDENT COUNT cmp expr                { $$ = ast_decl(A, AST_EXPECT_COUNT, @$, $2, 0, $5, NULL, NULL, NULL); $$->op = $4; }
	| EXPECT IDENT '[' INT ']' '{' fields '}'    { $$ = ast_decl(A, AST_EXPECT_INDEX, @$, $2, $4->num, $7.head, NULL, NULL, NULL); }
	| EXPECT ANY IDENT '{' fields '}'            { $$ = ast_decl(A, AST_EXPECT_ANY, @$, $3, 0, $5.head, NULL, NULL, NULL); }
	| EXPECT NO IDENT                            { $$ = ast_decl(A, AST_EXPECT_NO, @$, $3, 0, NULL, NULL, NULL, NULL); }
	| EXPECT EVENT path COUNT cmp expr           { $$ = ast_op(A, AST_EXPECT_EVENT, @$, $5, $3, $6); }
	| EXPECT COUNTER path cmp expr               { $$ = ast_op(A, AST_EXPECT_COUNTER, @$, $4, $3, $5); }
	| error                                      { $$ = NULL; }
	;

cmp
	: EQ                         { $$ = AST_OP_EQ; }
	| NE                         { $$ = AST_OP_NE; }
	| '<'                        { $$ = AST_OP_LT; }
	| LE                         { $$ = AST_OP_LE; }
	| '>'                        { $$ = AST_OP_GT; }
	| GE                         { $$ = AST_OP_GE; }
	;

/* Expressions, loosest first: or, and, not, comparisons, | ^ &, + -, * / %, unary. */
expr
	: expr OR expr               { $$ = ast_op(A, AST_BINARY, @$, AST_OP_OR, $1, $3); }
	| expr AND expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_AND, $1, $3); }
	| NOT expr                   { $$ = ast_op(A, AST_UNARY, @$, AST_OP_NOT, $2, NULL); }
	| expr cmp expr %prec EQ     { $$ = ast_op(A, AST_BINARY, @$, $2, $1, $3); }
	| expr IN expr               { $$ = ast_op(A, AST_BINARY, @$, AST_OP_IN, $1, $3); }
	| expr IN '{' args '}'       { $$ = ast_op(A, AST_BINARY, @$, AST_OP_IN, $1, ast_kids(A, AST_SET, ast_span_join(@3, @5), NULL, $4.head, NULL, NULL, NULL)); }
	| expr CONTAINS expr         { $$ = ast_op(A, AST_BINARY, @$, AST_OP_CONTAINS, $1, $3); }
	| expr STARTS_WITH expr      { $$ = ast_op(A, AST_BINARY, @$, AST_OP_STARTS, $1, $3); }
	| expr ENDS_WITH expr        { $$ = ast_op(A, AST_BINARY, @$, AST_OP_ENDS, $1, $3); }
	| expr MATCHES expr          { $$ = ast_op(A, AST_BINARY, @$, AST_OP_MATCHES, $1, $3); }
	| expr '|' expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_BOR, $1, $3); }
	| expr '^' expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_BXOR, $1, $3); }
	| expr '&' expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_BAND, $1, $3); }
	| expr '+' expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_ADD, $1, $3); }
	| expr '-' expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_SUB, $1, $3); }
	| expr '*' expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_MUL, $1, $3); }
	| expr '/' expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_DIV, $1, $3); }
	| expr '%' expr              { $$ = ast_op(A, AST_BINARY, @$, AST_OP_MOD, $1, $3); }
	| '-' expr %prec UMINUS      { $$ = ast_op(A, AST_UNARY, @$, AST_OP_NEG, $2, NULL); }
	| '~' expr                   { $$ = ast_op(A, AST_UNARY, @$, AST_OP_BNOT, $2, NULL); }
	| primary
	;

primary
	: literal
	| path
	| path '(' args ')'          { $$ = ast_kids(A, AST_CALL, @$, NULL, $1, $3.head, NULL, NULL); }
	| '(' expr ')'               { $$ = $2; }
	;

args
	: %empty                     { $$ = (struct ast_list){ 0 }; }
	| args1
	;

args1
	: expr                       { $$ = ast_list_add((struct ast_list){ 0 }, $1); }
	| args1 ',' expr             { $$ = ast_list_add($1, $3); }
	;

literal
	: INT
	| STRING
	| BYTES
	| IPADDR
	| PREFIX
	| DURATION
	| SIZE
	| TRUE                       { $$ = ast_new(A, AST_BOOL, @$); $$->num = 1; }
	| FALSE                      { $$ = ast_new(A, AST_BOOL, @$); }
	;

/* path: NAME { "." NAME } */
path
	: name
	| path '.' name              { $$ = ast_path_extend(A, $1, $3->name, @3); }
	;

/* Names: identifiers and the keywords that are also common field names. */
name
	: IDENT
	| FLOW                       { $$ = ast_named(A, AST_PATH, @$, "flow"); }
	| TIMEOUT                    { $$ = ast_named(A, AST_PATH, @$, "timeout"); }
	| COUNT                      { $$ = ast_named(A, AST_PATH, @$, "count"); }
	| FILTER                     { $$ = ast_named(A, AST_PATH, @$, "filter"); }
	| SCOPE                      { $$ = ast_named(A, AST_PATH, @$, "scope"); }
	| BUFFER                     { $$ = ast_named(A, AST_PATH, @$, "buffer"); }
	| OVERLAP                    { $$ = ast_named(A, AST_PATH, @$, "overlap"); }
	| MIDSTREAM                  { $$ = ast_named(A, AST_PATH, @$, "midstream"); }
	| PCAP                       { $$ = ast_named(A, AST_PATH, @$, "pcap"); }
	| COUNTER                    { $$ = ast_named(A, AST_PATH, @$, "counter"); }
	| TEST                       { $$ = ast_named(A, AST_PATH, @$, "test"); }
	;

%%

/* Category token names are printed bare, keywords and punctuation quoted. */
static void parse_symbol(char *buf, size_t n, yysymbol_kind_t sym, const struct parse_ctx *pc,
			 bool found)
{
	const char *s = yysymbol_name(sym);
	size_t l = strlen(s);
	if (l >= 2 && s[0] == '"') {
		s++;
		l -= 2;
	}
	bool category = sym == YYSYMBOL_YYEOF || sym == YYSYMBOL_IDENT || sym == YYSYMBOL_INT
		|| sym == YYSYMBOL_STRING || sym == YYSYMBOL_BYTES || sym == YYSYMBOL_IPADDR
		|| sym == YYSYMBOL_PREFIX || sym == YYSYMBOL_DURATION || sym == YYSYMBOL_SIZE
		|| sym == YYSYMBOL_CCODE || sym == YYSYMBOL_YYUNDEF;
	if (!category) {
		if (s[0] == '\'')
			snprintf(buf, n, "%.*s", (int)l, s);
		else
			snprintf(buf, n, "'%.*s'", (int)l, s);
	} else if (found && pc->tok_text && sym != YYSYMBOL_YYEOF && sym != YYSYMBOL_CCODE) {
		int tl = pc->tok_len > 40 ? 40 : pc->tok_len;
		if (sym == YYSYMBOL_STRING || sym == YYSYMBOL_BYTES)
			snprintf(buf, n, "%.*s %.*s", (int)l, s, tl, pc->tok_text);
		else
			snprintf(buf, n, "%.*s '%.*s'", (int)l, s, tl, pc->tok_text);
	} else {
		snprintf(buf, n, "%.*s", (int)l, s);
	}
}

/* Tokens that are also accepted as names (see `name`). */
static bool parse_soft_keyword(yysymbol_kind_t k)
{
	return k == YYSYMBOL_FLOW || k == YYSYMBOL_TIMEOUT || k == YYSYMBOL_COUNT
		|| k == YYSYMBOL_FILTER || k == YYSYMBOL_SCOPE || k == YYSYMBOL_BUFFER
		|| k == YYSYMBOL_OVERLAP || k == YYSYMBOL_MIDSTREAM || k == YYSYMBOL_PCAP
		|| k == YYSYMBOL_COUNTER || k == YYSYMBOL_TEST;
}

/* Tokens that can start an expression. */
static bool parse_expr_start(yysymbol_kind_t k)
{
	const char *n = yysymbol_name(k);
	return k == YYSYMBOL_IDENT || parse_soft_keyword(k) || k == YYSYMBOL_INT
		|| k == YYSYMBOL_STRING || k == YYSYMBOL_BYTES || k == YYSYMBOL_IPADDR
		|| k == YYSYMBOL_PREFIX || k == YYSYMBOL_DURATION || k == YYSYMBOL_SIZE
		|| k == YYSYMBOL_TRUE || k == YYSYMBOL_FALSE || k == YYSYMBOL_NOT
		|| !strcmp(n, "'-'") || !strcmp(n, "'~'") || !strcmp(n, "'('");
}

/* Binary operators and other tokens that continue an expression. */
static bool parse_operator(yysymbol_kind_t k)
{
	static const char *const ops[] = { "'|'", "'^'", "'&'", "'+'", "'-'", "'*'", "'/'", "'%'",
					   "'<'", "'>'", "'('", "'.'" };
	if (k == YYSYMBOL_OR || k == YYSYMBOL_AND || k == YYSYMBOL_EQ || k == YYSYMBOL_NE
	    || k == YYSYMBOL_LE || k == YYSYMBOL_GE || k == YYSYMBOL_IN || k == YYSYMBOL_CONTAINS
	    || k == YYSYMBOL_STARTS_WITH || k == YYSYMBOL_ENDS_WITH || k == YYSYMBOL_MATCHES)
		return true;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(yysymbol_name(k), ops[i]))
			return true;
	return false;
}

/*
 * "unexpected FOUND[, expected A, B or C]". Names accepted in place of an
 * identifier are folded into "identifier", and every token that can start
 * an expression into "expression"; lists longer than six are left out.
 */
static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, struct parse_ctx *pc)
{
	(void)scanner;
	yysymbol_kind_t all[YYNTOKENS], exp[8];
	int nall = yypcontext_expected_tokens(ctx, all, YYNTOKENS), nexp = 0;
	bool has_ident = false, has_int = false;
	for (int i = 0; i < nall; i++) {
		has_ident |= all[i] == YYSYMBOL_IDENT;
		has_int |= all[i] == YYSYMBOL_INT;
	}
	bool has_expr = has_ident && has_int, expr_added = false, too_many = false;
	bool has_ops = false, ops_added = false;
	for (int i = 0; i < nall; i++)
		has_ops |= all[i] == YYSYMBOL_AND;
	for (int i = 0; i < nall; i++) {
		yysymbol_kind_t k = all[i];
		if (has_ops && !has_expr && parse_operator(k)) {
			if (ops_added)
				continue;
			ops_added = true;
			k = YYSYMBOL_YYerror;        /* stands for "an operator" */
		} else if (has_expr && parse_expr_start(k)) {
			if (expr_added)
				continue;
			expr_added = true;
			k = YYSYMBOL_YYUNDEF;        /* stands for "expression" */
		} else if (has_ident && parse_soft_keyword(k)) {
			continue;
		}
		if (nexp == 6) {
			too_many = true;
			break;
		}
		exp[nexp++] = k;
	}
	/* Long lists that name a familiar place get a phrase instead. */
	bool has_monitor = false, has_on = false, has_emit = false, has_close = false;
	bool has_assign = false;
	for (int i = 0; i < nall; i++) {
		has_assign |= all[i] == YYSYMBOL_ADD_SET;
		has_monitor |= all[i] == YYSYMBOL_MONITOR;
		has_on |= all[i] == YYSYMBOL_ON;
		has_emit |= all[i] == YYSYMBOL_EMIT;
		has_close |= !strcmp(yysymbol_name(all[i]), "'}'");
	}
	const char *phrase = NULL;
	if (too_many && has_monitor)
		phrase = "a declaration ('module', 'import', 'extern', 'flow', 'event', 'monitor' or 'test')";
	else if (too_many && has_on && has_close)
		phrase = "a handler ('on'), an option, 'flow' or '}'";
	else if (too_many && has_assign)
		phrase = "an assignment ('=', '+=', '-=', ...) or a call";
	else if (too_many && has_emit && has_close)
		phrase = "a statement or '}'";
	if (too_many)
		nexp = 0;
	char found[96], msg[800];
	parse_symbol(found, sizeof(found), yypcontext_token(ctx), pc, true);
	int off = snprintf(msg, sizeof(msg), "unexpected %s", found);
	if (phrase)
		off += snprintf(msg + off, sizeof(msg) - (size_t)off, ", expected %s", phrase);
	for (int i = 0; i < nexp && off < (int)sizeof(msg) - 100; i++) {
		char e[96];
		if (exp[i] == YYSYMBOL_YYUNDEF)
			snprintf(e, sizeof(e), "expression");
		else if (exp[i] == YYSYMBOL_YYerror)
			snprintf(e, sizeof(e), "an operator");
		else
			parse_symbol(e, sizeof(e), exp[i], pc, false);
		off += snprintf(msg + off, sizeof(msg) - (size_t)off, "%s%s",
				i == 0 ? ", expected " : i == nexp - 1 ? " or " : ", ", e);
	}
	diag_error(pc->diag, *yypcontext_location(ctx), "%s", msg);
	return 0;
}

static void yyerror(YYLTYPE *loc, void *scanner, struct parse_ctx *pc, const char *msg)
{
	(void)scanner;
	if (!strcmp(msg, "memory exhausted"))
		diag_error(pc->diag, *loc, "nesting is too deep for the parser (more than %d levels)",
			   YYMAXDEPTH);
	else
		diag_error(pc->diag, *loc, "%s", msg);
}
