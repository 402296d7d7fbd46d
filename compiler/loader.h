/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/loader.h — modules and imports. Loads a program's main file and,
 * transitively, every module it imports: `import NAME` finds NAME.mos in
 * the -I directories (in order), then each MOS_PATH entry, then the stdlib
 * directory. Every file is parsed once; import cycles are reported with the
 * chain of imports as notes.
 *
 * Thread-safety: a program belongs to one thread.
 */
#ifndef MOSC_LOADER_H
#define MOSC_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"

/* One loaded file. */
struct load_module {
	const char *name;            /* module name; NULL for a main file without 'module' */
	const char *path;            /* file path */
	uint32_t file;               /* diagnostics file id */
	struct ast_node *root;       /* parsed FILE node */
	struct ast_node *decl;       /* its 'module' declaration, or NULL */
	struct load_module **imports; /* modules it imports, in source order */
	struct ast_node **import_nodes; /* the matching 'import' nodes */
	size_t nimports;             /* entries in imports */
	struct load_module *next;    /* next module in load order (dependencies first) */
	int state;                   /* 0 new, 1 loading, 2 loaded */
	bool is_main;                /* the file named on the command line */
};

/* Where imports are searched. */
struct load_opts {
	const char *const *incdirs;  /* -I directories in order */
	size_t nincdirs;             /* how many */
	const char *mos_path;        /* MOS_PATH value (':'-separated) or NULL */
	const char *stdlib_dir;      /* installed stdlib directory or NULL */
};

/* A loaded program. */
struct load_program {
	struct load_module *main;    /* the main file */
	struct load_module *first;   /* all modules, dependencies first, main last */
	size_t count;                /* number of modules */
};

/*
 * Load path (or, when text is not NULL, the given text under that name)
 * and everything it imports. Errors go to diag. Returns NULL only when the
 * main file cannot be read (reported).
 */
struct load_program *load_program(struct ast_arena *arena, struct diag_ctx *diag,
				  const struct load_opts *opts, const char *path,
				  const char *text, size_t len);

/* Module of a program by name, or NULL. */
struct load_module *load_find(const struct load_program *p, const char *name);

/* Read a whole file into malloc'd memory, NUL-terminated (*@len bytes, the
 * terminator not counted); returns NULL and sets errno. */
char *load_read_file(const char *path, size_t *len);

#endif /* MOSC_LOADER_H */
