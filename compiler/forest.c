// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/forest.c — event dependency forest construction (forest.h).
 */
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "forest.h"
#include "sema.h"

static void *forest_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("mosc: out of memory\n", stderr);
		exit(2);
	}
	return q;
}

static char *forest_strdup(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = strlen(b);
	char *s = forest_xrealloc(NULL, la + lb + 2);
	if (a) {
		memcpy(s, a, la);
		s[la] = '.';
		memcpy(s + la + 1, b, lb + 1);
	} else {
		memcpy(s, b, lb + 1);
	}
	return s;
}

/* The EVENT declaration named @name in module @m, or NULL. */
static const struct ast_node *forest_mod_event(const struct load_module *m, const char *name)
{
	for (const struct ast_node *it = m->root ? m->root->kid[0] : NULL; it; it = it->next)
		if (it->kind == AST_EVENT && !strcmp(it->name, name))
			return it;
	return NULL;
}

/* Resolve the base path of an event declared in @m: a UDE (returned,
 * with its module in *bm) or a built-in (*builtin). */
static const struct ast_node *forest_resolve(const struct load_program *p,
					     const struct load_module *m, const char *path,
					     const struct load_module **bm, int *builtin)
{
	const char *dot = strrchr(path, '.');
	*builtin = -1;
	if (dot) {
		char mod[256];
		size_t n = (size_t)(dot - path);
		if (n >= sizeof(mod))
			return NULL;
		memcpy(mod, path, n);
		mod[n] = 0;
		const struct load_module *im = load_find(p, mod);
		if (!im)
			return NULL;
		*bm = im;
		return forest_mod_event(im, dot + 1);
	}
	const struct ast_node *e = forest_mod_event(m, path);
	if (e) {
		*bm = m;
		return e;
	}
	*builtin = bi_event_lookup(path);
	return NULL;
}

static int forest_index_of(const struct forest *f, const struct ast_node *decl)
{
	for (int i = 0; i < f->n; i++)
		if (f->ev[i].decl == decl)
			return i;
	for (int i = 0; i < f->naliases; i++)
		if (f->alias_decl[i] == decl)
			return f->alias_of[i];
	return -1;
}

int forest_find(const struct forest *f, const struct ast_node *decl, int root)
{
	for (int i = 0; i < f->n; i++)
		if (f->ev[i].decl == decl && (!f->ev[i].floating || f->ev[i].builtin == root))
			return i;
	for (int i = 0; i < f->naliases; i++)
		if (f->alias_decl[i] == decl)
			return f->alias_of[i];
	return -1;
}

/* Structural equality of two predicates, names resolved. */
static bool forest_same(const struct ast_node *a, const struct ast_node *b)
{
	for (; a || b; a = a->next, b = b->next) {
		if (!a || !b || a->kind != b->kind || a->op != b->op || a->num != b->num ||
		    a->len != b->len || a->type != b->type)
			return false;
		if (a->kind == AST_PATH && (sema_path_decl(a) || sema_path_decl(b))) {
			if (sema_path_decl(a) != sema_path_decl(b))
				return false;
		} else if (a->kind == AST_CALL) {
			if (sema_call_decl(a) != sema_call_decl(b) ||
			    (!sema_call_decl(a) && strcmp(a->kid[0]->name, b->kid[0]->name)))
				return false;
			if (!forest_same(a->kid[1], b->kid[1]))
				return false;
			continue;
		} else if (a->name || b->name) {
			if (!a->name || !b->name ||
			    (a->len ? memcmp(a->name, b->name, a->len) : strcmp(a->name, b->name)))
				return false;
		}
		for (int k = 0; k < 4; k++)
			if (!forest_same(a->kid[k], b->kid[k]))
				return false;
	}
	return true;
}

int forest_float_index(const struct forest *f, const struct ast_node *decl)
{
	for (int i = 0; i < f->nfloats; i++)
		if (f->floats[i] == decl)
			return i;
	return -1;
}

static struct forest_event *forest_push(struct forest *f)
{
	f->ev = forest_xrealloc(f->ev, (size_t)(f->n + 1) * sizeof(*f->ev));
	struct forest_event *e = &f->ev[f->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

static char *forest_cname(const char *q)
{
	char *c = forest_strdup(NULL, q);
	for (char *s = c; *s; s++)
		if (*s == '.')
			*s = '_';
	return c;
}

/* Add UDE @decl of @m (and its ancestors first). Returns its index or -1. */
static int forest_add(struct forest *f, const struct load_program *p,
		      const struct load_module *m, const struct ast_node *decl, int guard)
{
	int i = forest_index_of(f, decl);
	if (i >= 0)
		return i;
	if (guard > 1000)
		return -1;
	const struct load_module *bm = NULL;
	int builtin;
	const struct ast_node *base = forest_resolve(p, m, decl->kid[0]->name, &bm, &builtin);
	int parent = -1, root = builtin, depth = 1;
	if (base) {
		if (!base->kid[0])
			return -1;  /* floating base: not allowed by sema */
		parent = forest_add(f, p, bm, base, guard + 1);
		if (parent < 0)
			return -1;
		root = f->ev[parent].builtin;
		depth = f->ev[parent].depth + 1;
	} else if (builtin < 0) {
		fprintf(stderr, "mosc: cannot resolve the base '%s' of event '%s'\n",
			decl->kid[0]->name, decl->name);
		return -1;
	}
	for (int j = 0; j < f->n; j++) {
		const struct forest_event *o = &f->ev[j];
		if (!o->floating && o->parent == parent && o->builtin == root &&
		    forest_same(o->decl->kid[1], decl->kid[1])) {
			size_t n = (size_t)f->naliases + 1;
			f->alias_decl = forest_xrealloc(f->alias_decl, n * sizeof(*f->alias_decl));
			f->alias_of = forest_xrealloc(f->alias_of, n * sizeof(*f->alias_of));
			f->alias_mod = forest_xrealloc(f->alias_mod, n * sizeof(*f->alias_mod));
			f->alias_decl[f->naliases] = decl;
			f->alias_mod[f->naliases] = m;
			f->alias_of[f->naliases++] = j;
			return j;
		}
	}
	struct forest_event *e = forest_push(f);
	e->decl = decl;
	e->mod = m;
	e->qname = forest_strdup(m->is_main ? NULL : m->name, decl->name);
	e->cname = forest_cname(e->qname);
	e->parent = parent;
	e->builtin = root;
	e->depth = depth;
	return f->n - 1;
}

/* Roots a handler runs under (bitmask of built-ins). */
static unsigned forest_handler_roots(const struct forest *f, const struct ast_node *h)
{
	int r = sema_handler_root(h);
	if (r >= 0)
		return 1u << r;
	const struct ast_node *ev = sema_handler_event(h);
	int fi = ev ? forest_float_index(f, ev) : -1;
	return fi >= 0 ? f->float_roots[fi] : 0;
}

/* Add @roots to every floating event raised in statements @s. */
static bool forest_raises(struct forest *f, const struct ast_node *s, unsigned roots)
{
	bool changed = false;
	for (; s; s = s->next) {
		if (s->kind == AST_RAISE) {
			const struct ast_node *ev = sema_raise_event(s);
			int fi = ev ? forest_float_index(f, ev) : -1;
			if (fi >= 0 && (f->float_roots[fi] | roots) != f->float_roots[fi]) {
				f->float_roots[fi] |= roots;
				changed = true;
			}
		}
		if (s->kind == AST_BLOCK)
			changed |= forest_raises(f, s->kid[0], roots);
		else if (s->kind == AST_IF)
			for (int k = 1; k < 3; k++)
				changed |= forest_raises(f, s->kid[k], roots);
		else if (s->kind == AST_AFTER)
			changed |= forest_raises(f, s->kid[1], roots);
	}
	return changed;
}

int forest_build(struct forest *f, const struct load_program *p)
{
	memset(f, 0, sizeof(*f));
	for (const struct load_module *m = p->first; m; m = m->next) {
		for (const struct ast_node *it = m->root ? m->root->kid[0] : NULL; it; it = it->next) {
			if (it->kind != AST_EVENT)
				continue;
			if (!it->kid[0]) {
				f->floats = forest_xrealloc(f->floats, (size_t)(f->nfloats + 1) * sizeof(*f->floats));
				f->float_mods = forest_xrealloc(f->float_mods,
								(size_t)(f->nfloats + 1) * sizeof(*f->float_mods));
				f->floats[f->nfloats] = it;
				f->float_mods[f->nfloats++] = m;
			} else if (forest_add(f, p, m, it, 0) < 0) {
				return -1;
			}
		}
	}
	f->float_roots = forest_xrealloc(NULL, (size_t)(f->nfloats + 1) * sizeof(unsigned));
	memset(f->float_roots, 0, (size_t)(f->nfloats + 1) * sizeof(unsigned));
	for (bool changed = true; changed;) {
		changed = false;
		for (const struct load_module *m = p->first; m; m = m->next)
			for (const struct ast_node *it = m->root ? m->root->kid[0] : NULL; it; it = it->next)
				if (it->kind == AST_MONITOR)
					for (const struct ast_node *h = it->kid[1]; h; h = h->next)
						if (h->kind == AST_HANDLER)
							changed |= forest_raises(f, h->kid[3],
										 forest_handler_roots(f, h));
	}
	for (int i = 0; i < f->nfloats; i++) {
		for (int r = 0; r < BI_EV_COUNT; r++) {
			if (!(f->float_roots[i] & (1u << r)))
				continue;
			struct forest_event *e = forest_push(f);
			e->decl = f->floats[i];
			e->mod = f->float_mods[i];
			e->qname = forest_strdup(e->mod->is_main ? NULL : e->mod->name, e->decl->name);
			char *c = forest_cname(e->qname);
			size_t n = strlen(c) + strlen(bi_events[r].name) + 4;
			e->cname = forest_xrealloc(NULL, n);
			snprintf(e->cname, n, "%s__%s", c, bi_events[r].name);
			free(c);
			e->parent = -1;
			e->builtin = r;
			e->floating = true;
			e->floating_index = i;
			e->depth = 1;
		}
	}
	return 0;
}

static void forest_dump_kids(FILE *out, const struct forest *f, int parent, int root, int depth)
{
	for (int i = 0; i < f->n; i++) {
		const struct forest_event *e = &f->ev[i];
		if (e->parent != parent || (parent < 0 && e->builtin != root))
			continue;
		fprintf(out, "%*s%s%s  <%s:%d>\n", depth * 2, "", e->qname,
			e->floating ? " (floating)" : "", e->mod->path, e->decl->span.first_line);
		forest_dump_kids(out, f, i, root, depth + 1);
	}
}

void forest_dump(FILE *out, const struct forest *f)
{
	for (int r = 0; r < BI_EV_COUNT; r++) {
		bool any = false;
		for (int i = 0; i < f->n; i++)
			any |= f->ev[i].builtin == r;
		if (!any)
			continue;
		fprintf(out, "%s\n", bi_events[r].name);
		forest_dump_kids(out, f, -1, r, 1);
	}
	for (int i = 0; i < f->nfloats; i++)
		if (!f->float_roots[i])
			fprintf(out, "floating %s never raised\n", f->floats[i]->name);
	for (int i = 0; i < f->naliases; i++) {
		const struct load_module *m = f->alias_mod[i];
		fprintf(out, "%s%s%s = %s (identical definition)  <%s:%d>\n", m->is_main ? "" : m->name,
			m->is_main ? "" : ".", f->alias_decl[i]->name, f->ev[f->alias_of[i]].qname, m->path,
			f->alias_decl[i]->span.first_line);
	}
}

void forest_free(struct forest *f)
{
	for (int i = 0; i < f->n; i++) {
		free(f->ev[i].qname);
		free(f->ev[i].cname);
	}
	free(f->ev);
	free(f->floats);
	free(f->float_mods);
	free(f->float_roots);
	free(f->alias_decl);
	free(f->alias_of);
	free(f->alias_mod);
	memset(f, 0, sizeof(*f));
}
