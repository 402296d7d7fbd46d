// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/main.c — the mosc driver: common options and a table of
 * subcommands (check, dump). The back end adds emit-c, build, test and
 * dump forest by adding rows to mosc_cmds[] / mosc_dumps[].
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"
#include "build.h"
#include "diag.h"
#include "loader.h"
#include "parse.h"
#include "sema.h"
#include "testrun.h"

#ifndef MOSC_VERSION
#define MOSC_VERSION "0.0.0"
#endif
#ifndef MOSC_STDLIB_DIR
#define MOSC_STDLIB_DIR "/usr/local/share/mos/stdlib"
#endif

#define MOSC_MAX_INCDIRS 64

/* Options shared by every subcommand. */
struct mosc_opts {
	const char *incdirs[MOSC_MAX_INCDIRS]; /* -I directories */
	size_t nincdirs;             /* how many */
	bool werror;                 /* -Werror */
	unsigned max_errors;         /* --max-errors N (0 = none) */
	int color;                   /* -1 auto, 0 never, 1 always */
	char **files;                /* remaining operands */
	int nfiles;                  /* how many */
};

/* A subcommand: name, operand synopsis, one-line help, entry point. */
struct mosc_cmd {
	const char *name;            /* "check" */
	const char *synopsis;        /* "FILE..." */
	const char *help;            /* one line */
	int (*run)(struct mosc_opts *o); /* returns the exit status */
};

/* A dump kind of `mosc dump KIND FILE`. */
struct mosc_dump {
	const char *kind;            /* "ast" */
	const char *help;            /* one line */
	int (*run)(struct mosc_opts *o, const char *file); /* exit status */
};

static int mosc_cmd_check(struct mosc_opts *o);
static int mosc_cmd_dump(struct mosc_opts *o);
static int mosc_cmd_test(struct mosc_opts *o);
static int mosc_dump_ast(struct mosc_opts *o, const char *file);
static int mosc_dump_sema(struct mosc_opts *o, const char *file);

static const struct mosc_cmd mosc_cmds[] = {
	{ "check", "FILE...", "report diagnostics; exit status 1 if there are errors", mosc_cmd_check },
	{ "dump", "KIND FILE", "print an intermediate form (kinds below)", mosc_cmd_dump },
	{ "test", "FILE|DIR...", "run test blocks and directory tests (mosc test --help)", mosc_cmd_test },
};

static const struct mosc_dump mosc_dumps[] = {
	{ "ast", "the syntax tree of FILE after parsing", mosc_dump_ast },
	{ "sema", "the syntax tree of FILE with types, event roots and hooks from checking", mosc_dump_sema },
};

/* Back-end commands: dispatched by build_main() (compiler/build.h) before
 * the tables above; listed here for the usage text only. */
static const char mosc_backend_usage[] =
	"  emit-c FILE [-o OUT.c] [--no-line]  write the generated C\n"
	"  build  FILE -o BIN  compile FILE into a middlebox binary (generated C + libmos)\n";
static const char mosc_backend_dumps[] =
	"  forest the event dependency forest of FILE and its modules\n";

static void mosc_usage(FILE *out)
{
	fputs("usage: mosc COMMAND [OPTIONS] ARGS...\n\ncommands:\n", out);
	for (size_t i = 0; i < sizeof(mosc_cmds) / sizeof(mosc_cmds[0]); i++)
		fprintf(out, "  %-6s %-10s %s\n", mosc_cmds[i].name, mosc_cmds[i].synopsis,
			mosc_cmds[i].help);
	fputs(mosc_backend_usage, out);
	fputs("\ndump kinds:\n", out);
	for (size_t i = 0; i < sizeof(mosc_dumps) / sizeof(mosc_dumps[0]); i++)
		fprintf(out, "  %-6s %s\n", mosc_dumps[i].kind, mosc_dumps[i].help);
	fputs(mosc_backend_dumps, out);
	fputs("\noptions:\n"
	      "  -I DIR            search DIR for imported modules (before MOS_PATH and the stdlib)\n"
	      "  -Werror           treat warnings as errors\n"
	      "  --max-errors N    stop after N errors (default 20, 0 = no limit)\n"
	      "  --color=WHEN      colour diagnostics: auto (default, when stderr is a tty), always, never\n"
	      "  --help            this text\n"
	      "  --version         print the version\n"
	      "\nenvironment:\n"
	      "  MOS_PATH          ':'-separated directories searched for modules after -I\n"
	      "  NO_COLOR          disables colour in auto mode\n", out);
}

static struct diag_ctx *mosc_diag(const struct mosc_opts *o)
{
	struct diag_ctx *d = diag_new(stderr);
	if (!d) {
		fputs("mosc: out of memory\n", stderr);
		exit(2);
	}
	diag_set_werror(d, o->werror);
	diag_set_max_errors(d, o->max_errors);
	bool color = o->color == 1 || (o->color == -1 && isatty(STDERR_FILENO) && !getenv("NO_COLOR"));
	diag_set_color(d, color);
	return d;
}

static void mosc_load_opts(const struct mosc_opts *o, struct load_opts *lo)
{
	lo->incdirs = o->incdirs;
	lo->nincdirs = o->nincdirs;
	lo->mos_path = getenv("MOS_PATH");
	lo->stdlib_dir = build_stdlib_dir();
}

/* check FILE...: each file is a program of its own. */
static int mosc_cmd_check(struct mosc_opts *o)
{
	if (o->nfiles < 1) {
		fputs("mosc: check needs at least one FILE\n", stderr);
		return 2;
	}
	int status = 0;
	for (int i = 0; i < o->nfiles; i++) {
		struct diag_ctx *d = mosc_diag(o);
		struct ast_arena *a = ast_arena_new();
		struct load_opts lo;
		mosc_load_opts(o, &lo);
		struct load_program *p = load_program(a, d, &lo, o->files[i], NULL, 0);
		if (p && !diag_stop(d))
			sema_check(a, d, p);
		diag_finish(d);
		if (diag_errors(d))
			status = 1;
		ast_arena_free(a);
		diag_free(d);
	}
	return status;
}

/* dump ast FILE: the parse tree of FILE alone (imports are not loaded). */
static int mosc_dump_ast(struct mosc_opts *o, const char *file)
{
	size_t len;
	char *text = load_read_file(file, &len);
	if (!text) {
		fprintf(stderr, "mosc: error: cannot read '%s': %s\n", file, strerror(errno));
		return 1;
	}
	struct diag_ctx *d = mosc_diag(o);
	struct ast_arena *a = ast_arena_new();
	struct ast_node *root = parse_file(a, d, diag_add_file(d, file, text, len));
	free(text);
	ast_dump(stdout, root);
	diag_finish(d);
	int status = diag_errors(d) ? 1 : 0;
	ast_arena_free(a);
	diag_free(d);
	return status;
}

/* dump sema FILE: load and check the program, dump FILE's annotated tree. */
static int mosc_dump_sema(struct mosc_opts *o, const char *file)
{
	struct diag_ctx *d = mosc_diag(o);
	struct ast_arena *a = ast_arena_new();
	struct load_opts lo;
	mosc_load_opts(o, &lo);
	struct load_program *p = load_program(a, d, &lo, file, NULL, 0);
	if (p && !diag_stop(d))
		sema_check(a, d, p);
	if (p)
		ast_dump_annotated(stdout, p->main->root, sema_annotate);
	diag_finish(d);
	int status = diag_errors(d) ? 1 : 0;
	ast_arena_free(a);
	diag_free(d);
	return status;
}

static int mosc_cmd_dump(struct mosc_opts *o)
{
	if (o->nfiles != 2) {
		fputs("mosc: usage: mosc dump KIND FILE\n", stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(mosc_dumps) / sizeof(mosc_dumps[0]); i++)
		if (!strcmp(mosc_dumps[i].kind, o->files[0]))
			return mosc_dumps[i].run(o, o->files[1]);
	fprintf(stderr, "mosc: unknown dump kind '%s'; kinds:", o->files[0]);
	for (size_t i = 0; i < sizeof(mosc_dumps) / sizeof(mosc_dumps[0]); i++)
		fprintf(stderr, " %s", mosc_dumps[i].kind);
	fputc('\n', stderr);
	return 2;
}

/* test: main() hands it the raw arguments first (it parses its own options);
 * this row keeps it in --help. */
static int mosc_cmd_test(struct mosc_opts *o)
{
	return testrun_main(o->nfiles, o->files);
}

/* Parse options after the command; operands are collected in order. */
static int mosc_parse_opts(struct mosc_opts *o, int argc, char **argv)
{
	o->files = calloc((size_t)argc + 1, sizeof(char *));
	if (!o->files)
		return -1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-I") || !strncmp(a, "-I", 2)) {
			const char *dir = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
			if (!dir) {
				fputs("mosc: -I needs a directory\n", stderr);
				return -1;
			}
			if (o->nincdirs == MOSC_MAX_INCDIRS) {
				fputs("mosc: too many -I directories\n", stderr);
				return -1;
			}
			o->incdirs[o->nincdirs++] = dir;
		} else if (!strcmp(a, "-Werror")) {
			o->werror = true;
		} else if (!strcmp(a, "--max-errors") || !strncmp(a, "--max-errors=", 13)) {
			const char *v = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			errno = 0;
			unsigned long n = v ? strtoul(v, &end, 10) : 0;
			if (!v || !*v || *end || errno || n > 100000) {
				fputs("mosc: --max-errors needs a number\n", stderr);
				return -1;
			}
			o->max_errors = (unsigned)n;
		} else if (!strncmp(a, "--color=", 8)) {
			if (!strcmp(a + 8, "auto"))
				o->color = -1;
			else if (!strcmp(a + 8, "always"))
				o->color = 1;
			else if (!strcmp(a + 8, "never"))
				o->color = 0;
			else {
				fprintf(stderr, "mosc: --color takes auto, always or never\n");
				return -1;
			}
		} else if (!strcmp(a, "--")) {
			while (++i < argc)
				o->files[o->nfiles++] = argv[i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "mosc: unknown option '%s' (see mosc --help)\n", a);
			return -1;
		} else {
			o->files[o->nfiles++] = argv[i];
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		mosc_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		mosc_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("mosc %s\n", MOSC_VERSION);
		return 0;
	}
	/* `mosc test` parses its own options (--filter, --jobs, ...): compiler/testrun.h. */
	if (!strcmp(argv[1], "test"))
		return testrun_main(argc - 2, argv + 2);
	/* emit-c, build, dump forest: the back end (compiler/build.h). */
	int be = build_main(argc, argv);
	if (be >= 0)
		return be;
	for (size_t i = 0; i < sizeof(mosc_cmds) / sizeof(mosc_cmds[0]); i++) {
		if (strcmp(argv[1], mosc_cmds[i].name))
			continue;
		struct mosc_opts o = { .color = -1, .max_errors = 20 };
		int status = mosc_parse_opts(&o, argc - 2, argv + 2) ? 2 : mosc_cmds[i].run(&o);
		free(o.files);
		return status;
	}
	fprintf(stderr, "mosc: unknown command '%s' (see mosc --help)\n", argv[1]);
	return 2;
}
