// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/build.c — `mosc emit-c`, `mosc build`, `mosc dump forest`
 * (build.h): option parsing, load + check, forest, C generation, and the
 * C compiler invocation.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ast.h"
#include "build.h"
#include "diag.h"
#include "emit.h"
#include "forest.h"
#include "loader.h"
#include "mosc_paths.h"
#include "sema.h"

#ifndef MOSC_STDLIB_DIR
#define MOSC_STDLIB_DIR "/usr/local/share/mos/stdlib"
#endif

/*
 * Where this mosc finds the runtime. The build tree's mosc (its own path
 * is MOSC_BUILD_EXE) uses the tree: runtime/include, libmos.a and the
 * DPDK/libpcap flags baked in at configure time, the source stdlib.
 * Anywhere else mosc is an installed one, PREFIX/bin/mosc: the stdlib is
 * PREFIX/share/mos/stdlib and the flags come from `pkg-config libmos`,
 * looked up in PREFIX/lib/pkgconfig first, then in pkg-config's path.
 */
struct build_env {
	bool tree;                   /* running from the build tree */
	char prefix[4096];           /* installation prefix (not tree) */
	char stdlib[4200];           /* stdlib directory */
};

static const struct build_env *build_env(void)
{
	static struct build_env env;
	static bool done;
	char exe[4096];
	if (done)
		return &env;
	done = true;
	env.tree = true;
	snprintf(env.stdlib, sizeof(env.stdlib), "%s", MOSC_STDLIB_DIR);
	if (!realpath("/proc/self/exe", exe))
		return &env;
	char built[4096];
	if (realpath(MOSC_BUILD_EXE, built) && !strcmp(built, exe))
		return &env;
	env.tree = false;
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
	}
	snprintf(env.prefix, sizeof(env.prefix), "%s", exe[0] ? exe : "/");
	snprintf(env.stdlib, sizeof(env.stdlib), "%s/%s", env.prefix, MOSC_INSTALL_STDLIB);
	return &env;
}

const char *build_stdlib_dir(void)
{
	return build_env()->stdlib;
}

/* `pkg-config @what libmos` of an installed mosc into @out; 0 or -1. */
static int build_pkg_libmos(const char *what, char *out, size_t n)
{
	const struct build_env *env = build_env();
	const char *old = getenv("PKG_CONFIG_PATH");
	char q[9000];
	snprintf(q, sizeof(q), "PKG_CONFIG_PATH='%s/%s%s%s' pkg-config %s libmos 2>&1", env->prefix,
		 MOSC_INSTALL_PKGCONFIG, old && *old ? ":" : "", old && !strchr(old, '\'') ? old : "", what);
	FILE *f = popen(q, "r");
	size_t got = f ? fread(out, 1, n - 1, f) : 0;
	int st = f ? pclose(f) : -1;
	out[got] = 0;
	out[strcspn(out, "\n")] = 0;
	if (st != 0 || got == n - 1) {
		fprintf(stderr, "mosc: this mosc is installed in %s but 'pkg-config %s libmos' failed: %s\n"
			"mosc: install libmos (cmake --install) or set PKG_CONFIG_PATH to the directory of libmos.pc\n",
			env->prefix, what, out);
		return -1;
	}
	return 0;
}

#define BUILD_MAX_INC 64
#define BUILD_MAX_COMPANIONS 64

/* Options of the back-end commands. */
struct build_opts {
	const char *inc[BUILD_MAX_INC]; /* -I directories */
	size_t ninc;                 /* how many */
	const char *file;            /* the .mos file */
	const char *output;          /* -o */
	const char *cc;              /* --cc or $CC */
	bool no_line;                /* --no-line */
	bool keep;                   /* --keep: keep the temporary directory */
	bool verbose;                /* -v: print the cc command */
	int color;                   /* --color=WHEN: -1 auto, 0 never, 1 always */
	bool werror;                 /* -Werror */
	unsigned max_errors;         /* --max-errors N (0 = no limit) */
	char command[2048];          /* the command line, for the banner */
};

static int build_parse(struct build_opts *o, int argc, char **argv, int first)
{
	size_t used = 4;
	memcpy(o->command, "mosc", 5);
	for (int i = 0; i < argc && used + 2 < sizeof(o->command); i++) {
		int n = snprintf(o->command + used, sizeof(o->command) - used, " %s", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(o->command) - used)
			break;
		used += (size_t)n;
	}
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "-I", 2)) {
			const char *dir = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
			if (!dir || o->ninc == BUILD_MAX_INC) {
				fputs("mosc: -I needs a directory\n", stderr);
				return -1;
			}
			o->inc[o->ninc++] = dir;
		} else if (!strcmp(a, "-o")) {
			if (i + 1 >= argc) {
				fputs("mosc: -o needs a file\n", stderr);
				return -1;
			}
			o->output = argv[++i];
		} else if (!strcmp(a, "--cc")) {
			if (i + 1 >= argc) {
				fputs("mosc: --cc needs a compiler\n", stderr);
				return -1;
			}
			o->cc = argv[++i];
		} else if (!strcmp(a, "--no-line")) {
			o->no_line = true;
		} else if (!strcmp(a, "--keep")) {
			o->keep = true;
		} else if (!strcmp(a, "-Werror")) {
			o->werror = true;
		} else if (!strcmp(a, "--max-errors")) {
			if (i + 1 >= argc) {
				fputs("mosc: --max-errors needs a number\n", stderr);
				return -1;
			}
			o->max_errors = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (!strncmp(a, "--color=", 8)) {
			o->color = !strcmp(a + 8, "always") ? 1 : !strcmp(a + 8, "never") ? 0 : -1;
		} else if (!strcmp(a, "-v")) {
			o->verbose = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "mosc: unknown option '%s'\n", a);
			return -1;
		} else if (!o->file) {
			o->file = a;
		} else {
			fprintf(stderr, "mosc: more than one FILE ('%s')\n", a);
			return -1;
		}
	}
	if (!o->file) {
		fprintf(stderr, "mosc: %s needs a FILE\n", argv[0]);
		return -1;
	}
	return 0;
}

/* A loaded, checked program and its forest. */
struct build_prog {
	struct diag_ctx *d;          /* diagnostics */
	struct ast_arena *a;         /* the tree */
	struct load_program *p;      /* modules */
	struct forest f;             /* forest */
};

static int build_load(struct build_prog *bp, const struct build_opts *o)
{
	struct load_opts lo = { .incdirs = o->inc, .nincdirs = o->ninc,
				.mos_path = getenv("MOS_PATH"), .stdlib_dir = build_stdlib_dir() };
	memset(bp, 0, sizeof(*bp));
	bp->d = diag_new(stderr);
	bp->a = ast_arena_new();
	if (!bp->d || !bp->a) {
		fputs("mosc: out of memory\n", stderr);
		exit(2);
	}
	diag_set_werror(bp->d, o->werror);
	diag_set_max_errors(bp->d, o->max_errors);
	diag_set_color(bp->d, o->color == 1 || (o->color == -1 && isatty(STDERR_FILENO) && !getenv("NO_COLOR")));
	bp->p = load_program(bp->a, bp->d, &lo, o->file, NULL, 0);
	if (bp->p && !diag_stop(bp->d))
		sema_check(bp->a, bp->d, bp->p);
	if (!bp->p || diag_errors(bp->d))
		return -1;
	return forest_build(&bp->f, bp->p);
}

static void build_unload(struct build_prog *bp)
{
	diag_finish(bp->d);
	forest_free(&bp->f);
	ast_arena_free(bp->a);
	diag_free(bp->d);
}

/* Program name: basename of @path without its extension. */
static void build_name(const char *path, char *buf, size_t n)
{
	const char *b = strrchr(path, '/');
	snprintf(buf, n, "%s", b ? b + 1 : path);
	char *dot = strrchr(buf, '.');
	if (dot && dot != buf)
		*dot = 0;
}

static int build_emit(struct build_prog *bp, const struct build_opts *o, FILE *out, const char *cname)
{
	char name[256];
	build_name(o->output ? o->output : o->file, name, sizeof(name));
	struct emit_opts eo = { .no_line = o->no_line, .command = o->command, .prog_name = name,
				.c_name = cname };
	return emit_program(out, bp->d, bp->p, &bp->f, &eo) ? -1 : 0;
}

static int build_cmd_emit(int argc, char **argv)
{
	struct build_opts o = { .color = -1, .max_errors = 20 };
	struct build_prog bp;
	if (build_parse(&o, argc, argv, 1))
		return 2;
	int rc = build_load(&bp, &o);
	if (rc == 0) {
		FILE *out = o.output ? fopen(o.output, "w") : stdout;
		if (!out) {
			fprintf(stderr, "mosc: cannot write '%s': %s\n", o.output, strerror(errno));
			rc = -1;
		} else {
			rc = build_emit(&bp, &o, out, o.output);
			if ((out != stdout && fclose(out)) || (out == stdout && fflush(out)))
				rc = -1;
			if (rc && o.output)
				unlink(o.output);
		}
	}
	build_unload(&bp);
	return rc ? 1 : 0;
}

static int build_cmd_forest(int argc, char **argv)
{
	struct build_opts o = { .color = -1, .max_errors = 20 };
	struct build_prog bp;
	if (build_parse(&o, argc, argv, 2))
		return 2;
	int rc = build_load(&bp, &o);
	if (rc == 0)
		forest_dump(stdout, &bp.f);
	build_unload(&bp);
	return rc ? 1 : 0;
}

/* Append shell-quoted @s to the command @buf. */
static void build_arg(char **buf, size_t *len, size_t *cap, const char *s, bool quote)
{
	size_t need = *len + strlen(s) * 4 + 4;
	if (need > *cap) {
		*cap = need * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf) {
			fputs("mosc: out of memory\n", stderr);
			exit(2);
		}
	}
	char *p = *buf + *len;
	if (*len)
		*p++ = ' ';
	if (quote) {
		*p++ = '\'';
		for (; *s; s++) {
			if (*s == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *s;
			}
		}
		*p++ = '\'';
	} else {
		size_t n = strlen(s);
		memcpy(p, s, n);
		p += n;
	}
	*p = 0;
	*len = (size_t)(p - *buf);
}

/*
 * Libraries a companion asks for, appended to the cc command: lines of the
 * companion of the form
 *   // mos: pkg-config NAME...   (the output of `pkg-config --cflags --libs NAME...`)
 *   // mos: link LIB...          (-lLIB each)
 * Names are limited to [A-Za-z0-9_.+-]. Returns 0, or -1 after an error
 * message naming the companion's line.
 */
static int build_companion_libs(const char *comp, char **cmd, size_t *len, size_t *cap)
{
	size_t flen = 0;
	char *text = load_read_file(comp, &flen);
	if (!text)
		return 0; /* cc reports the missing file */
	int rc = 0, line = 1;
	for (char *p = text; *p && rc == 0; line++) {
		char *eol = strchr(p, '\n');
		if (eol)
			*eol = 0;
		static const char tag[] = "// mos: ";
		bool pc = !strncmp(p, tag, sizeof(tag) - 1) && !strncmp(p + sizeof(tag) - 1, "pkg-config ", 11);
		bool ln = !strncmp(p, tag, sizeof(tag) - 1) && !strncmp(p + sizeof(tag) - 1, "link ", 5);
		if (pc || ln) {
			char *names = p + sizeof(tag) - 1 + (pc ? 11 : 5);
			if (!*names || names[strspn(names, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+- ")]) {
				fprintf(stderr, "%s:%d: error: library names may only hold [A-Za-z0-9_.+-]\n", comp, line);
				rc = -1;
			} else if (ln) {
				for (char *tok = strtok(names, " "); tok; tok = strtok(NULL, " ")) {
					char arg[256];
					snprintf(arg, sizeof(arg), "-l%s", tok);
					build_arg(cmd, len, cap, arg, true);
				}
			} else {
				char q[1024], out[4096];
				snprintf(q, sizeof(q), "pkg-config --cflags --libs %s 2>/dev/null", names);
				FILE *f = popen(q, "r");
				size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
				if (!f || pclose(f) != 0 || n == sizeof(out) - 1) {
					fprintf(stderr, "%s:%d: error: 'pkg-config --cflags --libs %s' failed (is the -dev package installed?)\n",
						comp, line, names);
					rc = -1;
				} else {
					out[n] = 0;
					out[strcspn(out, "\n")] = 0;
					build_arg(cmd, len, cap, out, false);
				}
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	free(text);
	return rc;
}

static int build_cmd_build(int argc, char **argv)
{
	struct build_opts o = { .color = -1, .max_errors = 20 };
	struct build_prog bp;
	if (build_parse(&o, argc, argv, 1))
		return 2;
	if (!o.output) {
		fputs("mosc: build needs -o BIN\n", stderr);
		return 2;
	}
	int rc = build_load(&bp, &o);
	char dir[] = "/tmp/mosc-XXXXXX";
	char cfile[sizeof(dir) + 16], logf[sizeof(dir) + 16];
	if (rc == 0 && !mkdtemp(dir)) {
		fprintf(stderr, "mosc: cannot make a temporary directory: %s\n", strerror(errno));
		rc = -1;
	}
	snprintf(cfile, sizeof(cfile), "%s/prog.c", dir);
	snprintf(logf, sizeof(logf), "%s/cc.log", dir);
	if (rc == 0) {
		FILE *out = fopen(cfile, "w");
		if (!out) {
			fprintf(stderr, "mosc: cannot write '%s': %s\n", cfile, strerror(errno));
			rc = -1;
		} else {
			rc = build_emit(&bp, &o, out, cfile);
			if (fclose(out))
				rc = -1;
		}
	}
	if (rc == 0) {
		char *cmd = NULL, *comp[BUILD_MAX_COMPANIONS];
		size_t len = 0, cap = 0;
		const char *cc = o.cc ? o.cc : getenv("CC") ? getenv("CC") : MOSC_CC;
		int ncomp = emit_companions(bp.p, comp, BUILD_MAX_COMPANIONS);
		build_arg(&cmd, &len, &cap, cc, false);
		build_arg(&cmd, &len, &cap, "-std=gnu11 -O2 -g -Wall -Wextra -o", false);
		build_arg(&cmd, &len, &cap, o.output, true);
		static char pc_cflags[4096], pc_libs[4096];
		bool tree = build_env()->tree;
		if (!tree && (build_pkg_libmos("--cflags", pc_cflags, sizeof(pc_cflags)) ||
			      build_pkg_libmos("--libs", pc_libs, sizeof(pc_libs))))
			rc = -1;
		if (tree) {
			build_arg(&cmd, &len, &cap, "-I", false);
			build_arg(&cmd, &len, &cap, MOSC_RUNTIME_INCLUDE, true);
		}
		build_arg(&cmd, &len, &cap, tree ? MOSC_CFLAGS : pc_cflags, false);
		/* stdlib companions include their parsers as "parsers/NAME.c" */
		build_arg(&cmd, &len, &cap, "-I", false);
		build_arg(&cmd, &len, &cap, build_stdlib_dir(), true);
		build_arg(&cmd, &len, &cap, cfile, true);
		for (int i = 0; i < ncomp; i++)
			build_arg(&cmd, &len, &cap, comp[i], true);
		build_arg(&cmd, &len, &cap, tree ? MOSC_LIBMOS : pc_libs, tree);
		for (int i = 0; i < ncomp; i++) {
			if (build_companion_libs(comp[i], &cmd, &len, &cap))
				rc = -1;
			free(comp[i]);
		}
		build_arg(&cmd, &len, &cap, tree ? MOSC_LIBS : "", false);
		if (o.verbose)
			fprintf(stderr, "%s\n", cmd);
		char *full = malloc(len + strlen(logf) + 16);
		if (!full) {
			fputs("mosc: out of memory\n", stderr);
			exit(2);
		}
		sprintf(full, "%s >'%s' 2>&1", cmd, logf);
		int st = rc == 0 ? system(full) : 0;
		size_t loglen = 0;
		char *log = load_read_file(logf, &loglen);
		if (st != 0) {
			fprintf(stderr, "mosc: the C compiler failed (status %d):\n  %s\n", WIFEXITED(st) ? WEXITSTATUS(st) : st, cmd);
			if (log)
				fputs(log, stderr);
			fprintf(stderr, "mosc: generated C kept in %s\n", cfile);
			o.keep = true;
			rc = -1;
		} else if (log && loglen && o.verbose) {
			fputs(log, stderr);
		}
		free(log);
		free(full);
		free(cmd);
	}
	if (dir[sizeof(dir) - 2] != 'X' && !o.keep) {
		unlink(cfile);
		unlink(logf);
		rmdir(dir);
	} else if (o.keep && rc == 0) {
		fprintf(stderr, "mosc: generated C in %s\n", cfile);
	}
	build_unload(&bp);
	return rc ? 1 : 0;
}

int build_main(int argc, char **argv)
{
	if (argc < 2)
		return -1;
	if (!strcmp(argv[1], "emit-c"))
		return build_cmd_emit(argc - 1, argv + 1);
	if (!strcmp(argv[1], "build"))
		return build_cmd_build(argc - 1, argv + 1);
	if (argc >= 3 && !strcmp(argv[1], "dump") && !strcmp(argv[2], "forest"))
		return build_cmd_forest(argc - 1, argv + 1);
	return -1;
}
