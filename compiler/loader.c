// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/loader.c — finds, reads and parses imported modules, checks
 * their 'module' declarations and reports import cycles.
 */
#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parse.h"

/* Loader state during one load_program call. */
struct load_ctx {
	struct ast_arena *arena;     /* owns modules and nodes */
	struct diag_ctx *diag;       /* diagnostics */
	const struct load_opts *opts; /* search path */
	struct load_program *prog;   /* being built */
	struct load_module *all;     /* every module created (by name lookup) */
	struct load_module **stack;  /* modules being loaded (for cycle chains) */
	size_t depth;                /* entries on stack */
	size_t stack_cap;            /* allocated entries */
	struct load_module **created; /* every module, for lookup */
	size_t ncreated;             /* entries */
	size_t created_cap;          /* allocated */
};

char *load_read_file(const char *path, size_t *len)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		errno = EISDIR;
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			fclose(f);
			errno = ENOMEM;
			return NULL;
		}
		buf = nb;
		cap *= 2;
	}
	fclose(f);
	buf[n] = 0;                  /* n < cap: the loop ends on a short read */
	*len = n;
	return buf;
}

struct load_module *load_find(const struct load_program *p, const char *name)
{
	for (struct load_module *m = p->first; m; m = m->next)
		if (m->name && !strcmp(m->name, name))
			return m;
	return NULL;
}

static void load_push(struct load_ctx *lc, struct load_module *m)
{
	if (lc->depth == lc->stack_cap) {
		lc->stack_cap = lc->stack_cap ? lc->stack_cap * 2 : 16;
		lc->stack = realloc(lc->stack, lc->stack_cap * sizeof(*lc->stack));
		if (!lc->stack)
			abort();
	}
	lc->stack[lc->depth++] = m;
}

static void load_remember(struct load_ctx *lc, struct load_module *m)
{
	if (lc->ncreated == lc->created_cap) {
		lc->created_cap = lc->created_cap ? lc->created_cap * 2 : 16;
		lc->created = realloc(lc->created, lc->created_cap * sizeof(*lc->created));
		if (!lc->created)
			abort();
	}
	lc->created[lc->ncreated++] = m;
}

static struct load_module *load_lookup(struct load_ctx *lc, const char *name)
{
	for (size_t i = 0; i < lc->ncreated; i++)
		if (lc->created[i]->name && !strcmp(lc->created[i]->name, name))
			return lc->created[i];
	return NULL;
}

/* Offer the .mos files of dir as "did you mean" candidates. */
static void load_offer_dir(struct load_ctx *lc, struct diag_suggest *s, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".mos"))
			diag_suggest_offer(s, ast_strndup(lc->arena, e->d_name, l - 4));
	}
	closedir(d);
}

/* Search dir for NAME.mos; returns an arena path or NULL. */
static char *load_try(struct load_ctx *lc, const char *dir, size_t dirlen, const char *name)
{
	size_t nl = strlen(name);
	char *p = ast_alloc(lc->arena, dirlen + nl + 6);
	memcpy(p, dir, dirlen);
	p[dirlen] = '/';
	memcpy(p + dirlen + 1, name, nl);
	memcpy(p + dirlen + 1 + nl, ".mos", 5);
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) ? p : NULL;
}

/* Find NAME.mos on the search path; on failure report at the import node. */
static char *load_search(struct load_ctx *lc, const char *name, const struct ast_node *imp)
{
	const struct load_opts *o = lc->opts;
	char *p;
	for (size_t i = 0; i < o->nincdirs; i++)
		if ((p = load_try(lc, o->incdirs[i], strlen(o->incdirs[i]), name)))
			return p;
	if (o->mos_path) {
		const char *s = o->mos_path;
		while (*s) {
			const char *e = strchr(s, ':');
			size_t l = e ? (size_t)(e - s) : strlen(s);
			if (l && (p = load_try(lc, s, l, name)))
				return p;
			s += l + (e ? 1 : 0);
		}
	}
	if (o->stdlib_dir && (p = load_try(lc, o->stdlib_dir, strlen(o->stdlib_dir), name)))
		return p;

	struct diag_suggest sg;
	diag_suggest_init(&sg, name);
	for (size_t i = 0; i < o->nincdirs; i++)
		load_offer_dir(lc, &sg, o->incdirs[i]);
	if (o->mos_path) {
		char *copy = strdup(o->mos_path), *save = NULL;
		for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t; t = strtok_r(NULL, ":", &save))
			load_offer_dir(lc, &sg, t);
		free(copy);
	}
	if (o->stdlib_dir)
		load_offer_dir(lc, &sg, o->stdlib_dir);
	diag_error(lc->diag, imp->name_span, "cannot find module '%s'%s", name,
		   diag_suggest_text(&sg));
	diag_note(lc->diag, imp->name_span,
		  "modules are searched as '%s.mos' in the -I directories, MOS_PATH and the standard library",
		  name);
	return NULL;
}

static void load_module_file(struct load_ctx *lc, struct load_module *m);

/* Resolve the imports of m (already parsed). */
static void load_imports(struct load_ctx *lc, struct load_module *m)
{
	size_t n = 0;
	for (struct ast_node *it = m->root->kid[0]; it; it = it->next)
		if (it->kind == AST_IMPORT)
			n++;
	m->imports = ast_alloc(lc->arena, (n ? n : 1) * sizeof(*m->imports));
	m->import_nodes = ast_alloc(lc->arena, (n ? n : 1) * sizeof(*m->import_nodes));
	for (struct ast_node *it = m->root->kid[0]; it && !diag_stop(lc->diag); it = it->next) {
		if (it->kind != AST_IMPORT)
			continue;
		bool dup = false;
		for (size_t i = 0; i < m->nimports; i++)
			if (!strcmp(m->import_nodes[i]->name, it->name)) {
				diag_warning(lc->diag, it->span, "module '%s' is imported twice",
					     it->name);
				diag_note(lc->diag, m->import_nodes[i]->span, "first imported here");
				dup = true;
			}
		if (dup)
			continue;
		struct load_module *dep = load_lookup(lc, it->name);
		if (dep && dep->state == 1) {
			/* Cycle: dep is on the stack; print the chain from dep to m. */
			size_t from = 0;
			while (from < lc->depth && lc->stack[from] != dep)
				from++;
			char chain[1024];
			int off = snprintf(chain, sizeof(chain), "'%s'", dep->name);
			for (size_t i = from + 1; i < lc->depth && off < 900; i++)
				off += snprintf(chain + off, sizeof(chain) - (size_t)off, " -> '%s'",
						lc->stack[i]->name ? lc->stack[i]->name : "<main>");
			snprintf(chain + off, sizeof(chain) - (size_t)off, " -> '%s'", dep->name);
			/* The notes of the import chain (diag_set_origin) show each step. */
			diag_error(lc->diag, it->span, "import cycle: %s", chain);
			continue;
		}
		if (!dep) {
			char *path = load_search(lc, it->name, it);
			if (!path)
				continue;
			dep = ast_alloc(lc->arena, sizeof(*dep));
			dep->name = it->name;
			dep->path = path;
			load_remember(lc, dep);
			m->imports[m->nimports] = dep;
			m->import_nodes[m->nimports++] = it;
			load_module_file(lc, dep);
			continue;
		}
		m->imports[m->nimports] = dep;
		m->import_nodes[m->nimports++] = it;
	}
}

/* Check the 'module' declarations of a parsed file. */
static void load_check_decl(struct load_ctx *lc, struct load_module *m, const char *imported_as,
			    const struct ast_node *imp)
{
	bool first = true;
	for (struct ast_node *it = m->root->kid[0]; it; it = it->next) {
		if (it->kind == AST_MODULE) {
			if (m->decl) {
				diag_error(lc->diag, it->span, "duplicate 'module' declaration");
				diag_note(lc->diag, m->decl->span, "first declared here");
			} else if (!first) {
				diag_error(lc->diag, it->span,
					   "'module' must be the first declaration of the file");
				m->decl = it;
			} else {
				m->decl = it;
			}
		}
		first = false;
	}
	if (imported_as) {
		if (!m->decl) {
			diag_error(lc->diag, imp->span, "'%s' has no 'module %s' declaration",
				   m->path, imported_as);
		} else if (strcmp(m->decl->name, imported_as)) {
			diag_error(lc->diag, m->decl->name_span,
				   "module declares the name '%s' but is imported as '%s'",
				   m->decl->name, imported_as);
		}
		m->name = imported_as;
	} else if (m->decl) {
		m->name = m->decl->name;
	}
}

/* Read, parse and load the imports of module m (m->path set). */
static void load_module_file(struct load_ctx *lc, struct load_module *m)
{
	const struct ast_node *imp = NULL;
	struct load_module *importer = lc->depth ? lc->stack[lc->depth - 1] : NULL;
	if (importer)
		imp = importer->import_nodes[importer->nimports - 1];
	size_t len;
	char *text = load_read_file(m->path, &len);
	if (!text) {
		diag_fatal(lc->diag, "cannot read '%s': %s", m->path, strerror(errno));
		m->state = 2;
		return;
	}
	m->file = diag_add_file(lc->diag, m->path, text, len);
	free(text);
	if (imp)
		diag_set_origin(lc->diag, m->file, m->name, imp->span);
	m->root = parse_file(lc->arena, lc->diag, m->file);
	load_check_decl(lc, m, imp ? m->name : NULL, imp);
	m->state = 1;
	load_push(lc, m);
	load_imports(lc, m);
	lc->depth--;
	m->state = 2;
	/* Dependencies first: append after everything this module imported. */
	struct load_module **tail = &lc->prog->first;
	while (*tail)
		tail = &(*tail)->next;
	*tail = m;
	lc->prog->count++;
}

struct load_program *load_program(struct ast_arena *arena, struct diag_ctx *diag,
				  const struct load_opts *opts, const char *path,
				  const char *text, size_t len)
{
	struct load_ctx lc = { .arena = arena, .diag = diag, .opts = opts };
	struct load_program *p = ast_alloc(arena, sizeof(*p));
	lc.prog = p;
	struct load_module *m = ast_alloc(arena, sizeof(*m));
	m->path = ast_strndup(arena, path, strlen(path));
	m->is_main = true;
	p->main = m;
	if (text) {
		m->file = diag_add_file(diag, path, text, len);
	} else {
		size_t n;
		char *t = load_read_file(path, &n);
		if (!t) {
			diag_fatal(diag, "cannot read '%s': %s", path, strerror(errno));
			free(lc.stack);
			free(lc.created);
			return NULL;
		}
		m->file = diag_add_file(diag, path, t, n);
		free(t);
	}
	m->root = parse_file(arena, diag, m->file);
	load_check_decl(&lc, m, NULL, NULL);
	load_remember(&lc, m);
	m->state = 1;
	load_push(&lc, m);
	load_imports(&lc, m);
	m->state = 2;
	struct load_module **tail = &p->first;
	while (*tail)
		tail = &(*tail)->next;
	*tail = m;
	p->count++;
	free(lc.stack);
	free(lc.created);
	return p;
}
