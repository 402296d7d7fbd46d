// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/sema.c — semantic analysis (see sema.h). Order: declare every
 * module's state, events, externs and monitors; resolve UDE chains; check
 * monitors (options, filters, handlers, statements, expressions); check
 * tests; then the program-wide warnings.
 */
#include "sema.h"

#include <pcap/pcap.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builtins.h"

/* ---- a small string map ------------------------------------------------ */

/* Open-addressing hash map from arena strings to pointers. */
struct sema_map {
	const char **keys;           /* NULL = empty slot */
	void **vals;                 /* values */
	size_t cap;                  /* slots (power of two) */
	size_t n;                    /* used slots */
};

static size_t sema_hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void *sema_map_get(const struct sema_map *m, const char *k)
{
	if (!m->cap)
		return NULL;
	for (size_t i = sema_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return NULL;
		if (!strcmp(m->keys[i], k))
			return m->vals[i];
	}
}

static void sema_map_put(struct sema_map *m, const char *k, void *v)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		const char **keys = calloc(cap, sizeof(*keys));
		void **vals = calloc(cap, sizeof(*vals));
		if (!keys || !vals)
			abort();
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			size_t j = sema_hash(m->keys[i]) & (cap - 1);
			while (keys[j])
				j = (j + 1) & (cap - 1);
			keys[j] = m->keys[i];
			vals[j] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	size_t i = sema_hash(k) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], k))
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = k;
	m->vals[i] = v;
}

static void sema_map_free(struct sema_map *m)
{
	free(m->keys);
	free(m->vals);
}

/* Offer every key of m as a "did you mean" candidate. */
static void sema_map_offer(const struct sema_map *m, struct diag_suggest *s)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			diag_suggest_offer(s, m->keys[i]);
}

/* ---- declarations ------------------------------------------------------ */

/* A per-flow state variable. */
struct sema_var {
	struct ast_node *node;       /* VAR node */
	enum bi_type type;           /* declared type */
	bool used;                   /* referenced anywhere */
	bool read;                   /* referenced other than as an assignment target */
	bool warn_unused;            /* declared in the main file */
};

/* A user-defined or floating event. */
struct sema_event {
	struct ast_node *node;       /* EVENT node */
	struct sema_module *mod;     /* declaring module */
	struct sema_event *base_ude; /* base when it is a UDE, else NULL */
	int root;                    /* root built-in, -1 floating, -2 unresolved */
	int state;                   /* 0 new, 1 resolving, 2 resolved */
	bool raised;                 /* some 'raise' names it */
	bool used;                   /* some handler, UDE, raise or test names it */
	const struct ast_node *flow_use; /* first flow-dependent node of its predicate, or NULL */
};

/* An extern C function. */
struct sema_fn {
	struct ast_node *node;       /* EXTERN_FN node */
	enum bi_type ret;            /* return type */
	enum bi_type params[16];     /* parameter types */
	unsigned nparams;            /* parameter count */
};

/* A module (or the main file). */
struct sema_module {
	struct load_module *lm;      /* loader's view */
	const char *name;            /* module name or NULL */
	struct sema_map vars;        /* state name -> sema_var */
	struct sema_map events;      /* event name -> sema_event */
	struct sema_map fns;         /* function name -> sema_fn */
	struct sema_map used;        /* imported module names this module refers to */
	struct sema_module *next;    /* next module */
};

/* A monitor being checked. */
struct sema_monitor {
	struct ast_node *node;       /* MONITOR node */
	struct sema_module *mod;     /* where it is declared */
	bool raw;                    /* raw monitor */
	struct sema_map vars;        /* monitor state */
	struct sema_map labels;      /* label -> HANDLER node */
	struct sema_map enabled;     /* labels named by 'enable' */
	unsigned buffer_off;         /* BI side bits (1 client, 2 server) with buffer off */
	bool no_tcp, no_udp;         /* its scope provably selects no TCP / no UDP flow */
};

/* What sema learnt about a handler (ast_node.ref of a HANDLER). */
struct sema_handler {
	int root;                    /* enum bi_event at the root, -1 floating, -2 unknown */
	unsigned hook;               /* effective BI_HOOK_* bit */
	struct sema_event *ude;      /* the UDE or floating event handled, NULL for a built-in */
};

/* A record: the fields of its first emit. */
struct sema_record {
	struct ast_node *first;      /* first EMIT node */
};

/* What a handler, UDE predicate or timer body may read. */
struct sema_scope {
	struct sema_module *mod;     /* current module */
	struct sema_monitor *mon;    /* current monitor or NULL */
	unsigned ctx;                /* BI_HAS_* */
	const char *event;           /* event name for messages */
	bool floating;               /* the event is floating */
	const struct ast_node **flow_use; /* if set: records the first use of the flow */
	bool in_test;                /* constant expressions only */
};

struct sema {
	struct ast_arena *arena;     /* for strings */
	struct diag_ctx *diag;       /* diagnostics */
	struct load_program *prog;   /* the program */
	struct sema_module *mods;    /* every module */
	struct sema_map modmap;      /* module name -> sema_module */
	struct sema_map monitors;    /* monitor name -> MONITOR node */
	struct sema_map records;     /* record name -> sema_record */
	struct sema_map tests;       /* test name -> TEST node */
	struct sema_var **vars;      /* every variable, for the unused warning */
	size_t nvars;                /* entries */
	size_t vars_cap;             /* allocated */
	unsigned depth;              /* current expression nesting */
	bool lvalue;                 /* resolving an assignment target */
	unsigned chain;              /* current UDE chain depth being resolved */
	bool too_deep;               /* nesting error reported for this expression */
	struct sema_event **events;  /* every event */
	size_t nevents;              /* entries */
	size_t events_cap;           /* allocated */
};

#define ERR(s, span, ...) diag_error((s)->diag, (span), __VA_ARGS__)
#define WARN(s, span, ...) diag_warning((s)->diag, (span), __VA_ARGS__)
#define NOTE(s, span, ...) diag_note((s)->diag, (span), __VA_ARGS__)

static void *sema_push(void *arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		arr = realloc(arr, *cap * size);
		if (!arr)
			abort();
	}
	return arr;
}

static bool sema_reserved(const char *name)
{
	static const char *const r[] = { "pkt", "flow", "side", "client", "server", "both", "peek", "len" };
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (!strcmp(r[i], name))
			return true;
	return false;
}

/* Resolve a TYPE node; reports unknown types. */
static enum bi_type sema_type(struct sema *s, const struct ast_node *t, bool allow_flow_side,
			      bool allow_void)
{
	if (allow_flow_side && !strcmp(t->name, "flow"))
		return BI_T_FLOW;
	if (allow_flow_side && !strcmp(t->name, "side"))
		return BI_T_SIDE;
	if (allow_void && !strcmp(t->name, "void"))
		return BI_T_VOID;
	enum bi_type ty = bi_type_lookup(t->name);
	if (ty != BI_T_ERROR)
		return ty;
	struct diag_suggest sg;
	diag_suggest_init(&sg, t->name);
	for (unsigned i = 0; i < BI_T_COUNT; i++)
		if (bi_type_lookup(bi_type_name((enum bi_type)i)) != BI_T_ERROR)
			diag_suggest_offer(&sg, bi_type_name((enum bi_type)i));
	if (!strcmp(t->name, "void") || !strcmp(t->name, "flow") || !strcmp(t->name, "side"))
		ERR(s, t->span, "type '%s' is not allowed here", t->name);
	else
		ERR(s, t->span, "unknown type '%s'%s", t->name, diag_suggest_text(&sg));
	return BI_T_ERROR;
}

/* Declare the variables of a STATE node into map. */
static void sema_declare_vars(struct sema *s, struct sema_map *map, struct ast_node *state,
			      const struct sema_map *outer, bool warn_unused)
{
	for (struct ast_node *v = state->kid[0]; v; v = v->next) {
		enum bi_type t = sema_type(s, v->kid[0], false, false);
		if (sema_reserved(v->name)) {
			ERR(s, v->name_span, "'%s' is a reserved name and cannot be declared", v->name);
			continue;
		}
		struct sema_var *prev = sema_map_get(map, v->name);
		if (!prev && outer)
			prev = sema_map_get(outer, v->name);
		if (prev) {
			ERR(s, v->name_span, "state '%s' is already declared", v->name);
			NOTE(s, prev->node->name_span, "previous declaration of '%s'", v->name);
			continue;
		}
		struct sema_var *var = ast_alloc(s->arena, sizeof(*var));
		var->node = v;
		var->type = t;
		var->warn_unused = warn_unused;
		v->ref = var;
		sema_map_put(map, v->name, var);
		s->vars = sema_push(s->vars, &s->nvars, &s->vars_cap, sizeof(*s->vars));
		s->vars[s->nvars++] = var;
	}
}

/* Declare the items of a module: state, events, externs. */
static void sema_declare_module(struct sema *s, struct sema_module *m)
{
	bool main = m->lm->is_main;
	for (struct ast_node *it = m->lm->root->kid[0]; it; it = it->next) {
		switch (it->kind) {
		case AST_STATE:
			sema_declare_vars(s, &m->vars, it, NULL, main && !m->lm->decl); /* a module's state is its interface */
			break;
		case AST_EVENT: {
			if (bi_event_lookup(it->name) >= 0) {
				ERR(s, it->name_span, "'%s' is a built-in event and cannot be redefined",
				    it->name);
				break;
			}
			struct sema_event *prev = sema_map_get(&m->events, it->name);
			if (prev) {
				ERR(s, it->name_span, "event '%s' is already defined", it->name);
				NOTE(s, prev->node->name_span, "previous definition of '%s'", it->name);
				break;
			}
			struct sema_event *e = ast_alloc(s->arena, sizeof(*e));
			e->node = it;
			e->mod = m;
			e->root = it->kid[0] ? -2 : -1;
			it->ref = e;
			sema_map_put(&m->events, it->name, e);
			s->events = sema_push(s->events, &s->nevents, &s->events_cap, sizeof(*s->events));
			s->events[s->nevents++] = e;
			break;
		}
		case AST_EXTERN: {
			size_t l = it->len;
			if (l < 3 || strcmp(it->name + l - 2, ".c")) {
				ERR(s, it->span,
				    "extern source '%s' is not a C file ('.c')", it->name);
			} else if (it->name[0] != '/') {
				/* Companion C lives next to the module. */
				const char *path = m->lm->path;
				const char *slash = strrchr(path, '/');
				size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
				char *full = ast_alloc(s->arena, dl + l + 1);
				memcpy(full, path, dl);
				memcpy(full + dl, it->name, l + 1);
				struct stat st;
				if (stat(full, &st))
					ERR(s, it->span, "cannot find extern source '%s' next to '%s'",
					    it->name, path);
			}
			for (struct ast_node *f = it->kid[0]; f; f = f->next) {
				struct sema_fn *prev = sema_map_get(&m->fns, f->name);
				if (prev) {
					ERR(s, f->name_span, "function '%s' is already declared", f->name);
					NOTE(s, prev->node->name_span, "previous declaration of '%s'", f->name);
					continue;
				}
				if (sema_reserved(f->name)) {
					ERR(s, f->name_span, "'%s' is a reserved name and cannot be declared",
					    f->name);
					continue;
				}
				struct sema_fn *fn = ast_alloc(s->arena, sizeof(*fn));
				fn->node = f;
				fn->ret = sema_type(s, f->kid[0], false, true);
				for (struct ast_node *p = f->kid[1]; p; p = p->next) {
					if (fn->nparams == 16) {
						ERR(s, p->span, "too many parameters (at most 16)");
						break;
					}
					for (struct ast_node *q = f->kid[1]; q != p; q = q->next)
						if (p->name && q->name && !strcmp(p->name, q->name))
							ERR(s, p->name_span, "duplicate parameter '%s'", p->name);
					fn->params[fn->nparams++] = sema_type(s, p->kid[0], true, false);
				}
				f->ref = fn;
				sema_map_put(&m->fns, f->name, fn);
			}
			break;
		}
		default:
			break;
		}
	}
}

/* ---- name lookup ------------------------------------------------------- */

/* The module a qualifier names, if visible from m (m itself or imported). */
static struct sema_module *sema_visible_module(struct sema *s, struct sema_module *m, const char *name)
{
	if (m->name && !strcmp(m->name, name))
		return m;
	for (size_t i = 0; i < m->lm->nimports; i++)
		if (!strcmp(m->lm->imports[i]->name, name)) {
			sema_map_put(&m->used, m->lm->imports[i]->name, m);
			return sema_map_get(&s->modmap, name);
		}
	return NULL;
}

/* Split "a.b" into qualifier and name (qualifier NULL when unqualified). */
static const char *sema_split(struct sema *s, const char *path, const char **qual)
{
	const char *dot = strchr(path, '.');
	if (!dot) {
		*qual = NULL;
		return path;
	}
	*qual = ast_strndup(s->arena, path, (size_t)(dot - path));
	return dot + 1;
}

/* Offer visible event names as suggestions. */
static void sema_offer_events(struct sema *s, struct sema_module *m, struct diag_suggest *sg)
{
	for (int i = 0; i < BI_EV_COUNT; i++)
		diag_suggest_offer(sg, bi_events[i].name);
	sema_map_offer(&m->events, sg);
	for (size_t i = 0; i < m->lm->nimports; i++) {
		struct sema_module *im = sema_map_get(&s->modmap, m->lm->imports[i]->name);
		if (!im)
			continue;
		for (size_t j = 0; j < im->events.cap; j++)
			if (im->events.keys[j]) {
				size_t l = strlen(im->name) + strlen(im->events.keys[j]) + 2;
				char *q = ast_alloc(s->arena, l);
				snprintf(q, l, "%s.%s", im->name, im->events.keys[j]);
				diag_suggest_offer(sg, q);
			}
	}
}

/*
 * Resolve an event reference: sets *builtin (>= 0) or returns the UDE.
 * Reports unknown names. Returns NULL with *builtin == -1 on error.
 */
static struct sema_event *sema_event_ref(struct sema *s, struct sema_module *m,
					 const struct ast_node *path, int *builtin)
{
	*builtin = -1;
	const char *qual, *name = sema_split(s, path->name, &qual);
	if (!qual) {
		int b = bi_event_lookup(name);
		if (b >= 0) {
			*builtin = b;
			return NULL;
		}
		struct sema_event *e = sema_map_get(&m->events, name);
		if (e) {
			e->used = true;
			return e;
		}
	} else if (!strchr(name, '.')) {
		struct sema_module *q = sema_visible_module(s, m, qual);
		if (q) {
			struct sema_event *e = sema_map_get(&q->events, name);
			if (e) {
				e->used = true;
				return e;
			}
			struct diag_suggest sg;
			diag_suggest_init(&sg, name);
			sema_map_offer(&q->events, &sg);
			ERR(s, path->span, "module '%s' has no event '%s'%s", qual, name,
			    diag_suggest_text(&sg));
			if (q->lm->decl)
				NOTE(s, q->lm->decl->span, "module '%s' is declared here", qual);
			return NULL;
		}
		if (sema_map_get(&s->modmap, qual)) {
			ERR(s, path->span, "module '%s' is not imported here; add 'import %s'", qual, qual);
			return NULL;
		}
	}
	struct diag_suggest sg;
	diag_suggest_init(&sg, path->name);
	sema_offer_events(s, m, &sg);
	for (size_t i = 0; !qual && i < m->lm->nimports; i++) {
		struct sema_module *im = sema_map_get(&s->modmap, m->lm->imports[i]->name);
		if (im && sema_map_get(&im->events, name)) {
			size_t l = strlen(im->name) + strlen(name) + 2;
			char *q = ast_alloc(s->arena, l);
			snprintf(q, l, "%s.%s", im->name, name);
			sg.best = q;
			sg.dist = 0;
			break;
		}
	}
	ERR(s, path->span, "unknown event '%s'%s", path->name, diag_suggest_text(&sg));
	return NULL;
}

/* Resolve the root built-in of a UDE, reporting cycles. */
/* Longest UDE chain resolved (bounds the recursion on any input). */
#define SEMA_MAX_CHAIN 4000

static int sema_event_root(struct sema *s, struct sema_event *e)
{
	if (e->state == 2)
		return e->root;
	if (e->state == 1) {
		ERR(s, e->node->name_span, "event '%s' is defined in terms of itself", e->node->name);
		struct sema_event *c = e->base_ude;
		for (int guard = 0; c && guard < 64; guard++, c = c->base_ude) {
			NOTE(s, c->node->kid[0]->span, "'%s' is based on '%s'", c->node->name,
			     c->node->kid[0]->name);
			if (c == e)
				break;
		}
		e->root = -2;
		return -2;
	}
	if (!e->node->kid[0]) {
		e->state = 2;
		return e->root;
	}
	if (s->chain >= SEMA_MAX_CHAIN) {
		ERR(s, e->node->name_span, "event chain is too long (more than %d levels)", SEMA_MAX_CHAIN);
		e->root = -2;
		e->state = 2;
		return -2;
	}
	e->state = 1;
	int b;
	struct sema_event *base = sema_event_ref(s, e->mod, e->node->kid[0], &b);
	int root = -2;
	if (base) {
		e->base_ude = base;
		s->chain++;
		root = sema_event_root(s, base);
		s->chain--;
		if (root == -1 && e->root != -2)
			root = -1;
	} else if (b >= 0) {
		root = b;
	}
	if (e->state == 1) {
		e->root = root;
		e->state = 2;
	}
	return e->root;
}

/* ---- expressions ------------------------------------------------------- */

static enum bi_type sema_expr(struct sema *s, const struct sema_scope *sc, struct ast_node *e);

static bool sema_numeric(enum bi_type t)
{
	return bi_type_is_int(t) || t == BI_T_SIZE;
}

/* Does integer literal v fit in type t? */
static bool sema_fits(uint64_t v, enum bi_type t)
{
	unsigned bits = bi_type_bits(t) - (bi_type_is_signed(t) ? 1 : 0);
	return bits >= 64 || v < (1ull << bits);
}

/* Can a value of type src (expression n) be stored into type dst? */
static bool sema_assignable(enum bi_type dst, enum bi_type src)
{
	if (dst == BI_T_ERROR || src == BI_T_ERROR || dst == src)
		return true;
	if (sema_numeric(dst) && sema_numeric(src))
		return true;
	if (dst == BI_T_BYTES && src == BI_T_STR)
		return true;
	return false;
}

/* Report a literal that does not fit dst. */
static void sema_check_fit(struct sema *s, const struct ast_node *n, enum bi_type dst)
{
	if (n->kind == AST_INT && bi_type_is_int(dst) && dst != BI_T_INT && !sema_fits(n->num, dst))
		ERR(s, n->span, "integer %llu does not fit in '%s'", (unsigned long long)n->num,
		    bi_type_name(dst));
}

/* Record that an expression depends on the flow (for UDE predicates). */
static void sema_flow_use(const struct sema_scope *sc, const struct ast_node *e)
{
	if (sc->flow_use && !*sc->flow_use)
		*sc->flow_use = e;
}

/* Resolve a path in an expression. */
static enum bi_type sema_path(struct sema *s, const struct sema_scope *sc, struct ast_node *e)
{
	const char *p = e->name;
	if (sc->in_test) {
		ERR(s, e->span, "expected values must be constants; '%s' is not", p);
		return BI_T_ERROR;
	}
	if (!strncmp(p, "pkt.", 4) || !strcmp(p, "pkt")) {
		const struct bi_field *f = bi_field_lookup(p);
		if (!f || strncmp(p, "pkt.", 4)) {
			struct diag_suggest sg;
			diag_suggest_init(&sg, p);
			for (unsigned i = 0; i < bi_pkt_field_count; i++)
				diag_suggest_offer(&sg, bi_pkt_fields[i].path);
			ERR(s, e->span, "unknown packet field '%s'%s", p, diag_suggest_text(&sg));
			return BI_T_ERROR;
		}
		if (!(sc->ctx & BI_HAS_PKT)) {
			ERR(s, e->span, "'%s' needs a current packet, but %s%s%s has none", p,
			    sc->event ? "'" : "", sc->event ? sc->event : "a timer body",
			    sc->event ? "'" : "");
			return f->type;
		}
		if (f->proto == BI_TCP && (sc->ctx & BI_UDP))
			ERR(s, e->span, "'%s' is a TCP field, but '%s' delivers UDP packets", p, sc->event);
		if (f->proto == BI_UDP_ONLY && !(sc->ctx & BI_UDP) && sc->event && !sc->floating)
			ERR(s, e->span, "'%s' is a UDP field, but '%s' delivers TCP packets", p, sc->event);
		return f->type;
	}
	if (!strncmp(p, "flow.", 5) || !strcmp(p, "flow")) {
		const struct bi_field *f = NULL;
		if (strcmp(p, "flow")) {
			f = bi_field_lookup(p);
			if (!f) {
				struct diag_suggest sg;
				diag_suggest_init(&sg, p);
				for (unsigned i = 0; i < bi_flow_field_count; i++)
					diag_suggest_offer(&sg, bi_flow_fields[i].path);
				ERR(s, e->span, "unknown flow field '%s'%s", p, diag_suggest_text(&sg));
				return BI_T_ERROR;
			}
		}
		if (!(sc->ctx & BI_HAS_FLOW)) {
			ERR(s, e->span, "'%s' needs a flow, but %s has none", p,
			    sc->mon && sc->mon->raw ? "a raw monitor" : "this event");
			return f ? f->type : BI_T_FLOW;
		}
		if (f && f->proto == BI_TCP && (sc->ctx & BI_UDP))
			ERR(s, e->span, "'%s' is a TCP field, but '%s' delivers UDP packets", p, sc->event);
		sema_flow_use(sc, e);
		return f ? f->type : BI_T_FLOW;
	}
	if (!strcmp(p, "side")) {
		if (!(sc->ctx & BI_HAS_FLOW))
			ERR(s, e->span, "'side' needs a flow, but %s has none",
			    sc->mon && sc->mon->raw ? "a raw monitor" : "this event");
		sema_flow_use(sc, e);
		return BI_T_SIDE;
	}
	if (!strcmp(p, "client") || !strcmp(p, "server"))
		return BI_T_SIDE;
	const char *qual, *name = sema_split(s, p, &qual);
	struct sema_var *v = NULL;
	if (!qual) {
		if (sc->mon)
			v = sema_map_get(&sc->mon->vars, name);
		if (!v)
			v = sema_map_get(&sc->mod->vars, name);
	} else if (!strchr(name, '.')) {
		struct sema_module *q = sema_visible_module(s, sc->mod, qual);
		if (q) {
			v = sema_map_get(&q->vars, name);
			if (!v) {
				struct diag_suggest sg;
				diag_suggest_init(&sg, name);
				sema_map_offer(&q->vars, &sg);
				ERR(s, e->span, "module '%s' has no state '%s'%s", qual, name,
				    diag_suggest_text(&sg));
				return BI_T_ERROR;
			}
		} else if (sema_map_get(&s->modmap, qual)) {
			ERR(s, e->span, "module '%s' is not imported here; add 'import %s'", qual, qual);
			return BI_T_ERROR;
		}
	}
	if (!v) {
		struct diag_suggest sg;
		diag_suggest_init(&sg, p);
		if (sc->mon)
			sema_map_offer(&sc->mon->vars, &sg);
		sema_map_offer(&sc->mod->vars, &sg);
		diag_suggest_offer(&sg, "side");
		/* The same name in an imported module: suggest the qualified one. */
		for (size_t i = 0; !qual && i < sc->mod->lm->nimports; i++) {
			const char *mn = sc->mod->lm->imports[i]->name;
			struct sema_module *im = sema_map_get(&s->modmap, mn);
			if (im && sema_map_get(&im->vars, p)) {
				size_t l = strlen(mn) + strlen(p) + 2;
				char *q = ast_alloc(s->arena, l);
				snprintf(q, l, "%s.%s", mn, p);
				sg.best = q;
				sg.dist = 0;
				break;
			}
		}
		ERR(s, e->span, "unknown name '%s'%s", p, diag_suggest_text(&sg));
		/* State of another monitor is a common slip: say where it lives. */
		for (struct sema_module *m = s->mods; m && !qual; m = m->next)
			for (const struct ast_node *it = m->lm->root->kid[0]; it; it = it->next) {
				if (it->kind != AST_MONITOR || (sc->mon && it == sc->mon->node))
					continue;
				for (const struct ast_node *st = it->kid[1]; st; st = st->next)
					for (const struct ast_node *d = st->kind == AST_STATE ? st->kid[0] : NULL;
					     d; d = d->next)
						if (!strcmp(d->name, p))
							NOTE(s, d->name_span,
							     "'%s' is state of monitor '%s', visible only there",
							     p, it->name);
			}
		return BI_T_ERROR;
	}
	v->used = true;
	if (!s->lvalue)
		v->read = true;
	e->ref = v;
	sema_flow_use(sc, e);
	if (sc->mon && sc->mon->raw)
		ERR(s, e->span, "state '%s' is per flow, but a raw monitor keeps no flows", p);
	else if (!(sc->ctx & BI_HAS_FLOW))
		ERR(s, e->span, "state '%s' is per flow, but '%s' has no flow", p, sc->event);
	return v->type;
}

/* Check a call: built-ins peek/len or an extern function. */
static enum bi_type sema_call(struct sema *s, const struct sema_scope *sc, struct ast_node *e)
{
	struct ast_node *callee = e->kid[0];
	enum bi_type at[17];
	struct ast_node *an[17];
	unsigned n = 0;
	for (struct ast_node *a = e->kid[1]; a; a = a->next) {
		enum bi_type t = sema_expr(s, sc, a);
		if (n < 17) {
			an[n] = a;
			at[n] = t;
		}
		n++;
	}
	if (sc->in_test) {
		ERR(s, e->span, "expected values must be constants; a call is not");
		return BI_T_ERROR;
	}
	if (!strcmp(callee->name, "peek")) {
		if (n != 3) {
			ERR(s, e->span, "'peek' takes 3 arguments (side, offset, length) but %u %s given",
			    n, n == 1 ? "was" : "were");
			return BI_T_BYTES;
		}
		if (at[0] != BI_T_SIDE && at[0] != BI_T_ERROR)
			ERR(s, an[0]->span, "first argument of 'peek' must be a side, not '%s'",
			    bi_type_name(at[0]));
		for (unsigned i = 1; i < 3; i++)
			if (!bi_type_is_int(at[i]) && at[i] != BI_T_SIZE && at[i] != BI_T_ERROR)
				ERR(s, an[i]->span, "argument %u of 'peek' must be an integer, not '%s'",
				    i + 1, bi_type_name(at[i]));
		if (!(sc->ctx & BI_HAS_FLOW))
			ERR(s, e->span, "'peek' reads a flow's stream, but %s has none",
			    sc->mon && sc->mon->raw ? "a raw monitor" : "this event");
		else if (sc->mon && an[0]->kind == AST_PATH) {
			unsigned bit = !strcmp(an[0]->name, "client") ? 1 : !strcmp(an[0]->name, "server") ? 2 : 0;
			if (bit && (sc->mon->buffer_off & bit))
				ERR(s, e->span, "'peek' reads the %s stream, but monitor '%s' turns its %s buffer off",
				    an[0]->name, sc->mon->node->name, an[0]->name);
		}
		sema_flow_use(sc, e);
		return BI_T_BYTES;
	}
	if (!strcmp(callee->name, "len")) {
		if (n != 1)
			ERR(s, e->span, "'len' takes 1 argument but %u were given", n);
		else if (at[0] != BI_T_STR && at[0] != BI_T_BYTES && at[0] != BI_T_ERROR)
			ERR(s, an[0]->span, "'len' needs a 'str' or 'bytes', not '%s'", bi_type_name(at[0]));
		return BI_T_U32;
	}
	const char *qual, *name = sema_split(s, callee->name, &qual);
	struct sema_fn *fn = NULL;
	struct sema_module *q = sc->mod;
	if (qual) {
		q = strchr(name, '.') ? NULL : sema_visible_module(s, sc->mod, qual);
		if (!q && qual && sema_map_get(&s->modmap, qual)) {
			ERR(s, callee->span, "module '%s' is not imported here; add 'import %s'", qual, qual);
			return BI_T_ERROR;
		}
	}
	if (q)
		fn = sema_map_get(&q->fns, name);
	if (!fn) {
		struct diag_suggest sg;
		diag_suggest_init(&sg, callee->name);
		if (q && qual) {
			for (size_t i = 0; i < q->fns.cap; i++)
				if (q->fns.keys[i]) {
					size_t l = strlen(qual) + strlen(q->fns.keys[i]) + 2;
					char *c = ast_alloc(s->arena, l);
					snprintf(c, l, "%s.%s", qual, q->fns.keys[i]);
					diag_suggest_offer(&sg, c);
				}
		}
		sema_map_offer(&sc->mod->fns, &sg);
		diag_suggest_offer(&sg, "peek");
		diag_suggest_offer(&sg, "len");
		ERR(s, callee->span, "unknown function '%s'%s", callee->name, diag_suggest_text(&sg));
		return BI_T_ERROR;
	}
	callee->ref = fn;
	e->ref = fn;
	if (n != fn->nparams) {
		ERR(s, e->span, "function '%s' takes %u argument%s but %u %s given", callee->name,
		    fn->nparams, fn->nparams == 1 ? "" : "s", n, n == 1 ? "was" : "were");
		NOTE(s, fn->node->span, "'%s' is declared here", fn->node->name);
		return fn->ret;
	}
	for (unsigned i = 0; i < n && i < 16; i++) {
		if (!sema_assignable(fn->params[i], at[i])) {
			ERR(s, an[i]->span, "argument %u of '%s' must be '%s', not '%s'", i + 1,
			    callee->name, bi_type_name(fn->params[i]), bi_type_name(at[i]));
			NOTE(s, fn->node->span, "'%s' is declared here", fn->node->name);
		} else {
			sema_check_fit(s, an[i], fn->params[i]);
		}
	}
	return fn->ret;
}

/* Result type of arithmetic on two integer types. */
static enum bi_type sema_arith(enum bi_type a, enum bi_type b)
{
	if (a == BI_T_INT)
		return b;
	if (b == BI_T_INT)
		return a;
	if (a == BI_T_SIZE || b == BI_T_SIZE)
		return BI_T_SIZE;
	return bi_type_bits(a) >= bi_type_bits(b) ? a : b;
}

static bool sema_comparable(enum bi_type a, enum bi_type b)
{
	if (a == BI_T_ERROR || b == BI_T_ERROR)
		return true;
	if (a == BI_T_LIST || b == BI_T_LIST)
		return false;            /* lists are only written to records */
	if (a == b)
		return true;
	if (sema_numeric(a) && sema_numeric(b))
		return true;
	if ((a == BI_T_STR && b == BI_T_BYTES) || (a == BI_T_BYTES && b == BI_T_STR))
		return true;
	if ((a == BI_T_TCPSTATE && b == BI_T_STR) || (a == BI_T_STR && b == BI_T_TCPSTATE))
		return true;
	return false;
}

/* flow.*.state == "name": check the name. */
static void sema_check_state_name(struct sema *s, const struct ast_node *str)
{
	if (str->kind != AST_STRING)
		return;
	struct diag_suggest sg;
	diag_suggest_init(&sg, str->name);
	for (unsigned i = 0; i < bi_tcp_state_count; i++) {
		if (!strcmp(bi_tcp_states[i], str->name))
			return;
		diag_suggest_offer(&sg, bi_tcp_states[i]);
	}
	ERR(s, str->span, "unknown TCP state '%s'%s", str->name, diag_suggest_text(&sg));
}

static enum bi_type sema_binary(struct sema *s, const struct sema_scope *sc, struct ast_node *e)
{
	struct ast_node *l = e->kid[0], *r = e->kid[1];
	enum bi_type lt = sema_expr(s, sc, l);
	enum bi_type rt = r->kind == AST_SET ? BI_T_SET : sema_expr(s, sc, r);
	const char *op = ast_op_text(e->op);
	bool err = lt == BI_T_ERROR || rt == BI_T_ERROR;
	switch (e->op) {
	case AST_OP_AND:
	case AST_OP_OR:
		if (lt != BI_T_BOOL && lt != BI_T_ERROR)
			ERR(s, l->span, "operands of '%s' must be 'bool', not '%s'", op, bi_type_name(lt));
		if (rt != BI_T_BOOL && rt != BI_T_ERROR)
			ERR(s, r->span, "operands of '%s' must be 'bool', not '%s'", op, bi_type_name(rt));
		return BI_T_BOOL;
	case AST_OP_EQ: case AST_OP_NE: case AST_OP_LT: case AST_OP_LE: case AST_OP_GT:
	case AST_OP_GE:
		if (!sema_comparable(lt, rt)) {
			ERR(s, e->span, "cannot compare '%s' with '%s'", bi_type_name(lt), bi_type_name(rt));
			return BI_T_BOOL;
		}
		if (e->op != AST_OP_EQ && e->op != AST_OP_NE && !err && !sema_numeric(lt)
		    && lt != BI_T_DURATION)
			ERR(s, e->span, "'%s' needs numbers or durations, not '%s'", op, bi_type_name(lt));
		if (lt == BI_T_TCPSTATE)
			sema_check_state_name(s, r);
		if (rt == BI_T_TCPSTATE)
			sema_check_state_name(s, l);
		if (l->kind == AST_INT)
			sema_check_fit(s, l, rt);
		if (r->kind == AST_INT)
			sema_check_fit(s, r, lt);
		return BI_T_BOOL;
	case AST_OP_IN:
		if (r->kind == AST_SET) {
			for (struct ast_node *x = r->kid[0]; x; x = x->next) {
				enum bi_type xt = sema_expr(s, sc, x);
				bool ok = sema_comparable(lt, xt) || (lt == BI_T_IP && xt == BI_T_PREFIX);
				if (!ok)
					ERR(s, x->span, "set element of type '%s' cannot match a '%s'",
					    bi_type_name(xt), bi_type_name(lt));
				else if (x->kind == AST_INT)
					sema_check_fit(s, x, lt);
			}
			return BI_T_BOOL;
		}
		if (!err && !(lt == BI_T_IP && rt == BI_T_PREFIX))
			ERR(s, e->span, "'in' needs an ip and a prefix, or a set in braces; found '%s' in '%s'",
			    bi_type_name(lt), bi_type_name(rt));
		return BI_T_BOOL;
	case AST_OP_CONTAINS:
	case AST_OP_STARTS:
	case AST_OP_ENDS:
		if (lt != BI_T_STR && lt != BI_T_BYTES && lt != BI_T_ERROR)
			ERR(s, l->span, "'%s' needs a 'str' or 'bytes' on its left, not '%s'", op,
			    bi_type_name(lt));
		else if (rt != BI_T_STR && rt != BI_T_BYTES && rt != BI_T_ERROR)
			ERR(s, r->span, "'%s' needs a 'str' or 'bytes' on its right, not '%s'", op,
			    bi_type_name(rt));
		else if (lt == BI_T_STR && rt == BI_T_BYTES)
			ERR(s, e->span, "'%s' compares a 'str' with 'bytes'", op);
		return BI_T_BOOL;
	case AST_OP_MATCHES:
		if (lt != BI_T_STR && lt != BI_T_BYTES && lt != BI_T_ERROR)
			ERR(s, l->span, "'matches' needs a 'str' or 'bytes' on its left, not '%s'",
			    bi_type_name(lt));
		if (r->kind != AST_STRING) {
			if (rt != BI_T_ERROR)
				ERR(s, r->span, "the pattern of 'matches' must be a string literal");
		} else {
			regex_t re;
			int rc = regcomp(&re, r->name, REG_EXTENDED | REG_NOSUB);
			if (rc) {
				char buf[128];
				regerror(rc, &re, buf, sizeof(buf));
				for (char *c = buf; *c; c++)
					if (*c >= 'A' && *c <= 'Z')
						*c = (char)(*c - 'A' + 'a');
				ERR(s, r->span, "invalid regular expression: %s", buf);
			} else {
				regfree(&re);
			}
		}
		return BI_T_BOOL;
	default:
		break;
	}
	/* Arithmetic and bit operators. */
	if (err)
		return BI_T_ERROR;
	if ((e->op == AST_OP_ADD || e->op == AST_OP_SUB) && lt == BI_T_DURATION && rt == BI_T_DURATION)
		return BI_T_DURATION;
	if ((e->op == AST_OP_MUL || e->op == AST_OP_DIV) && lt == BI_T_DURATION && bi_type_is_int(rt))
		return BI_T_DURATION;
	if (e->op == AST_OP_MUL && bi_type_is_int(lt) && rt == BI_T_DURATION)
		return BI_T_DURATION;
	if (!sema_numeric(lt) || !sema_numeric(rt)) {
		ERR(s, e->span, "operator '%s' cannot be applied to '%s' and '%s'", op,
		    bi_type_name(lt), bi_type_name(rt));
		return BI_T_ERROR;
	}
	if ((e->op == AST_OP_DIV || e->op == AST_OP_MOD) && r->kind == AST_INT && r->num == 0)
		ERR(s, r->span, "division by zero");
	return sema_arith(lt, rt);
}

/* Deepest expression nesting checked (bounds the recursion on any input). */
#define SEMA_MAX_DEPTH 2000

static enum bi_type sema_expr(struct sema *s, const struct sema_scope *sc, struct ast_node *e)
{
	enum bi_type t = BI_T_ERROR;
	if (s->depth >= SEMA_MAX_DEPTH) {
		if (!s->too_deep)
			ERR(s, e->span, "expression is nested too deeply (more than %d levels)",
			    SEMA_MAX_DEPTH);
		s->too_deep = true;
		return BI_T_ERROR;
	}
	if (s->depth == 0)
		s->too_deep = false;
	s->depth++;
	switch (e->kind) {
	case AST_INT: t = BI_T_INT; break;
	case AST_BOOL: t = BI_T_BOOL; break;
	case AST_STRING: t = BI_T_STR; break;
	case AST_BYTES: t = BI_T_BYTES; break;
	case AST_IP: t = BI_T_IP; break;
	case AST_PREFIX: t = BI_T_PREFIX; break;
	case AST_DURATION: t = BI_T_DURATION; break;
	case AST_SIZE: t = BI_T_SIZE; break;
	case AST_PATH: t = sema_path(s, sc, e); break;
	case AST_CALL: t = sema_call(s, sc, e); break;
	case AST_BINARY: t = sema_binary(s, sc, e); break;
	case AST_UNARY: {
		enum bi_type o = sema_expr(s, sc, e->kid[0]);
		if (e->op == AST_OP_NOT) {
			if (o != BI_T_BOOL && o != BI_T_ERROR)
				ERR(s, e->span, "operand of 'not' must be 'bool', not '%s'", bi_type_name(o));
			t = BI_T_BOOL;
		} else if (o == BI_T_ERROR) {
			t = o;
		} else if (!bi_type_is_int(o) && !(e->op == AST_OP_NEG && o == BI_T_DURATION)) {
			ERR(s, e->span, "operator '%s' cannot be applied to '%s'", ast_op_text(e->op),
			    bi_type_name(o));
		} else {
			t = o;
		}
		break;
	}
	default:
		break;
	}
	s->depth--;
	e->type = (int)t;
	return t;
}

/* A predicate: must be bool. */
static void sema_cond(struct sema *s, const struct sema_scope *sc, struct ast_node *e,
		      const char *what)
{
	enum bi_type t = sema_expr(s, sc, e);
	if (t != BI_T_BOOL && t != BI_T_ERROR)
		ERR(s, e->span, "%s must be 'bool', not '%s'", what, bi_type_name(t));
}

/* ---- statements -------------------------------------------------------- */

static void sema_block(struct sema *s, const struct sema_scope *sc, struct ast_node *b);

/* Record kinds compared across emits: all integers are alike. */
static enum bi_type sema_record_type(enum bi_type t)
{
	return bi_type_is_int(t) || t == BI_T_SIZE ? BI_T_INT : t;
}

static void sema_emit(struct sema *s, const struct sema_scope *sc, struct ast_node *st)
{
	for (struct ast_node *f = st->kid[0]; f; f = f->next) {
		enum bi_type t = sema_expr(s, sc, f->kid[0]);
		f->type = (int)t;
		if (t == BI_T_FLOW || t == BI_T_VOID)
			ERR(s, f->kid[0]->span, "a record field cannot hold a '%s'", bi_type_name(t));
		for (struct ast_node *g = st->kid[0]; g != f; g = g->next)
			if (!strcmp(g->name, f->name)) {
				ERR(s, f->name_span, "duplicate field '%s' in record '%s'", f->name, st->name);
				NOTE(s, g->name_span, "first given here");
				break;
			}
	}
	struct sema_record *r = sema_map_get(&s->records, st->name);
	if (!r) {
		r = ast_alloc(s->arena, sizeof(*r));
		r->first = st;
		sema_map_put(&s->records, st->name, r);
		return;
	}
	st->ref = r;
	const struct ast_node *first = r->first;
	for (struct ast_node *f = st->kid[0]; f; f = f->next) {
		const struct ast_node *g = first->kid[0];
		while (g && strcmp(g->name, f->name))
			g = g->next;
		if (!g) {
			ERR(s, f->name_span, "record '%s' has no field '%s' in its first 'emit'", st->name,
			    f->name);
			NOTE(s, first->name_span, "record '%s' is first emitted here", st->name);
			continue;
		}
		enum bi_type a = sema_record_type((enum bi_type)f->type);
		enum bi_type b = sema_record_type((enum bi_type)g->type);
		if (a != b && a != BI_T_ERROR && b != BI_T_ERROR) {
			ERR(s, f->kid[0]->span, "field '%s' of record '%s' is '%s' here but '%s' in its first 'emit'",
			    f->name, st->name, bi_type_name((enum bi_type)f->type),
			    bi_type_name((enum bi_type)g->type));
			NOTE(s, g->span, "first emitted here");
		}
	}
	for (const struct ast_node *g = first->kid[0]; g; g = g->next) {
		const struct ast_node *f = st->kid[0];
		while (f && strcmp(g->name, f->name))
			f = f->next;
		if (!f) {
			ERR(s, st->name_span, "record '%s' misses field '%s' given by its first 'emit'",
			    st->name, g->name);
			NOTE(s, g->span, "first emitted here");
		}
	}
}

static void sema_assign(struct sema *s, const struct sema_scope *sc, struct ast_node *st)
{
	struct ast_node *target = st->kid[0];
	const char *p = target->name;
	if (!strncmp(p, "pkt.", 4) || !strncmp(p, "flow.", 5) || !strcmp(p, "pkt")
	    || !strcmp(p, "flow") || !strcmp(p, "side") || !strcmp(p, "client")
	    || !strcmp(p, "server")) {
		ERR(s, target->span, "cannot assign to '%s': packet and flow fields are read-only", p);
		sema_expr(s, sc, st->kid[1]);
		return;
	}
	s->lvalue = true;
	enum bi_type tt = sema_expr(s, sc, target);
	s->lvalue = false;
	enum bi_type vt = sema_expr(s, sc, st->kid[1]);
	if (tt == BI_T_ERROR || vt == BI_T_ERROR)
		return;
	if (st->op != AST_OP_SET) {
		bool ok = st->op == AST_OP_ADD_SET || st->op == AST_OP_SUB_SET
			? (sema_numeric(tt) || tt == BI_T_DURATION) : bi_type_is_int(tt);
		if (!ok) {
			ERR(s, st->span, "'%s' needs a numeric variable, but '%s' is '%s'",
			    ast_op_text(st->op), p, bi_type_name(tt));
			return;
		}
		if (tt == BI_T_DURATION && vt != BI_T_DURATION) {
			ERR(s, st->kid[1]->span, "cannot add '%s' to a 'duration'", bi_type_name(vt));
			return;
		}
		if (tt != BI_T_DURATION && !sema_numeric(vt)) {
			ERR(s, st->kid[1]->span, "'%s' needs a number, not '%s'", ast_op_text(st->op),
			    bi_type_name(vt));
			return;
		}
		sema_check_fit(s, st->kid[1], tt);
		return;
	}
	if (!sema_assignable(tt, vt)) {
		ERR(s, st->kid[1]->span, "cannot assign a '%s' to '%s' of type '%s'", bi_type_name(vt), p,
		    bi_type_name(tt));
		const struct sema_var *v = target->ref;
		if (v)
			NOTE(s, v->node->span, "'%s' is declared here", v->node->name);
		return;
	}
	sema_check_fit(s, st->kid[1], tt);
}

static void sema_stmt(struct sema *s, const struct sema_scope *sc, struct ast_node *st)
{
	switch (st->kind) {
	case AST_ASSIGN:
		sema_assign(s, sc, st);
		break;
	case AST_EXPR_STMT:
		sema_expr(s, sc, st->kid[0]);
		break;
	case AST_EMIT:
		sema_emit(s, sc, st);
		break;
	case AST_DROP:
		if (!(sc->ctx & BI_HAS_PKT))
			ERR(s, st->span, "'drop' needs a current packet, but %s%s%s has none",
			    sc->event ? "'" : "", sc->event ? sc->event : "a timer body",
			    sc->event ? "'" : "");
		break;
	case AST_RESET:
		if (!(sc->ctx & BI_HAS_FLOW))
			ERR(s, st->span, "'reset' needs a flow, but %s has none",
			    sc->mon && sc->mon->raw ? "a raw monitor" : "this event");
		break;
	case AST_STOP:
		if (strcmp(st->name, "client") && strcmp(st->name, "server") && strcmp(st->name, "both"))
			ERR(s, st->name_span, "'stop' takes 'client', 'server' or 'both', not '%s'",
			    st->name);
		else if (!(sc->ctx & BI_HAS_FLOW))
			ERR(s, st->span, "'stop' needs a flow, but %s has none",
			    sc->mon && sc->mon->raw ? "a raw monitor" : "this event");
		break;
	case AST_ENABLE:
	case AST_DISABLE: {
		const char *kw = st->kind == AST_ENABLE ? "enable" : "disable";
		if (sc->mon && sc->mon->raw) {
			ERR(s, st->span, "'%s' changes a flow's handlers, but a raw monitor keeps no flows", kw);
			break;
		}
		struct ast_node *h = sc->mon ? sema_map_get(&sc->mon->labels, st->name) : NULL;
		if (!h) {
			struct diag_suggest sg;
			diag_suggest_init(&sg, st->name);
			if (sc->mon)
				sema_map_offer(&sc->mon->labels, &sg);
			ERR(s, st->name_span, "unknown label '%s'%s", st->name, diag_suggest_text(&sg));
			break;
		}
		st->ref = h;
		if (st->kind == AST_ENABLE)
			sema_map_put(&sc->mon->enabled, st->name, h);
		break;
	}
	case AST_RAISE: {
		int b;
		struct sema_event *e = sema_event_ref(s, sc->mod, st->kid[0], &b);
		if (b >= 0) {
			ERR(s, st->kid[0]->span, "cannot raise built-in event '%s'", st->kid[0]->name);
		} else if (e && e->node->kid[0]) {
			ERR(s, st->kid[0]->span,
			    "cannot raise '%s': only floating events (declared without 'on') can be raised",
			    st->kid[0]->name);
			NOTE(s, e->node->span, "'%s' is defined here", e->node->name);
		} else if (e) {
			e->raised = true;
			st->ref = e;
		}
		break;
	}
	case AST_IF:
		sema_cond(s, sc, st->kid[0], "condition of 'if'");
		sema_block(s, sc, st->kid[1]);
		if (st->kid[2]) {
			if (st->kid[2]->kind == AST_IF)
				sema_stmt(s, sc, st->kid[2]);
			else
				sema_block(s, sc, st->kid[2]);
		}
		break;
	case AST_AFTER: {
		enum bi_type t = sema_expr(s, sc, st->kid[0]);
		if (t != BI_T_DURATION && t != BI_T_ERROR)
			ERR(s, st->kid[0]->span, "'after' needs a duration (e.g. '5s'), not '%s'",
			    bi_type_name(t));
		if (!(sc->ctx & BI_HAS_FLOW)) {
			ERR(s, st->span, "timers are per flow, but %s has none",
			    sc->mon && sc->mon->raw ? "a raw monitor" : "this event");
			break;
		}
		/* The body runs later: no current packet. */
		struct sema_scope inner = *sc;
		inner.ctx &= ~(unsigned)BI_HAS_PKT;
		inner.event = NULL;
		sema_block(s, &inner, st->kid[1]);
		break;
	}
	case AST_CCODE:
		/* Inline C may use any state by name: count the names it mentions. */
		for (int k = 0; k < 2; k++) {
			const struct sema_map *m = k ? &sc->mod->vars : sc->mon ? &sc->mon->vars : NULL;
			for (size_t i = 0; m && i < m->cap; i++)
				if (m->keys[i] && strstr(st->name, m->keys[i])) {
					struct sema_var *v = m->vals[i];
					v->used = v->read = true;
				}
		}
		break;
	default:
		break;
	}
}

static void sema_block(struct sema *s, const struct sema_scope *sc, struct ast_node *b)
{
	if (!b)
		return;
	for (struct ast_node *st = b->kid[0]; st && !diag_stop(s->diag); st = st->next)
		sema_stmt(s, sc, st);
}

/* ---- monitors ---------------------------------------------------------- */

/* Compile pcap filter @text with libpcap: 1 when it compiles, 0 when it
 * does not (its message in @msg), -1 when libpcap could not be set up. */
static int pcap_filter_compiles(const char *text, char msg[PCAP_ERRBUF_SIZE + 1])
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program prog;
	int ok;
	if (!p)
		return -1;
	ok = pcap_compile(p, &prog, text, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (ok)
		pcap_freecode(&prog);
	else
		snprintf(msg, PCAP_ERRBUF_SIZE + 1, "%s", pcap_geterr(p));
	pcap_close(p);
	return ok;
}

/* Compile a pcap filter; errors at the string. Returns whether it compiled. */
static bool sema_pcap_filter(struct sema *s, const struct ast_node *str, const char *what)
{
	char msg[PCAP_ERRBUF_SIZE + 1];
	int rc = pcap_filter_compiles(str->name, msg);
	if (rc == 0)
		ERR(s, str->span, "invalid %s filter: %s", what, msg);
	return rc == 1;
}

/* Whether the valid filter @filter provably matches no @proto packet:
 * libpcap's optimiser proves "(filter) and proto" rejects everything. */
static bool sema_filter_excludes(const char *filter, const char *proto)
{
	char msg[PCAP_ERRBUF_SIZE + 1];
	size_t len = strlen(filter) + strlen(proto) + 8;
	char *both = malloc(len);
	bool excludes = false;
	if (both != NULL) {
		snprintf(both, len, "(%s) and %s", filter, proto);
		excludes = pcap_filter_compiles(both, msg) == 0 && strstr(msg, "rejects all packets");
		free(both);
	}
	return excludes;
}

static bool sema_word_in(const char *w, const char *const *list, unsigned n, struct diag_suggest *sg)
{
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(w, list[i]))
			return true;
		if (sg)
			diag_suggest_offer(sg, list[i]);
	}
	return false;
}

static void sema_option(struct sema *s, struct sema_monitor *mon, struct ast_node *o,
			struct ast_node **seen)
{
	const char *name = o->name;
	struct ast_node *arg = o->kid[0], *val = o->kid[1];
	if (mon->raw) {
		ERR(s, o->span, "option '%s' does not apply to a raw monitor", name);
		return;
	}
	if (!strcmp(name, "buffer")) {
		static const char *const sides[] = { "client", "server", "both" };
		unsigned bits = 3;
		if (arg) {
			struct diag_suggest sg;
			diag_suggest_init(&sg, arg->name);
			if (!sema_word_in(arg->name, sides, 3, &sg)) {
				ERR(s, arg->span, "'buffer' takes 'client', 'server' or 'both', not '%s'%s",
				    arg->name, diag_suggest_text(&sg));
				return;
			}
			bits = !strcmp(arg->name, "client") ? 1 : !strcmp(arg->name, "server") ? 2 : 3;
		}
		for (unsigned b = 0; b < 2; b++) {
			if (!(bits & (1u << b)))
				continue;
			if (seen[b]) {
				ERR(s, o->span, "buffer size of the %s side is set twice", b ? "server" : "client");
				NOTE(s, seen[b]->span, "first set here");
				return;
			}
			seen[b] = o;
		}
		if (val->kind == AST_PATH && !strcmp(val->name, "off")) {
			mon->buffer_off |= bits;
		} else if (val->kind == AST_INT) {
			ERR(s, val->span, "buffer size needs a unit, e.g. '64KiB'");
		} else if (val->kind != AST_SIZE) {
			ERR(s, val->span, "'buffer' takes a size (e.g. '64KiB') or 'off'");
		} else if (val->num == 0) {
			ERR(s, val->span, "buffer size must not be zero; use 'off' to turn buffering off");
		}
		return;
	}
	struct ast_node **slot = NULL;
	if (!strcmp(name, "overlap")) {
		slot = &seen[2];
		struct diag_suggest sg;
		diag_suggest_init(&sg, val->name);
		if (!sema_word_in(val->name, bi_overlap_policies, bi_overlap_policy_count, &sg))
			ERR(s, val->span, "unknown overlap policy '%s'%s", val->name,
			    diag_suggest_text(&sg));
	} else if (!strcmp(name, "midstream")) {
		slot = &seen[3];
		if (val->kind != AST_PATH || (strcmp(val->name, "on") && strcmp(val->name, "off")))
			ERR(s, val->span, "'midstream' takes 'on' or 'off'");
	} else if (!strcmp(name, "timeout")) {
		static const char *const kinds[] = { "idle", "closed", "udp" };
		struct diag_suggest sg;
		diag_suggest_init(&sg, arg->name);
		if (!sema_word_in(arg->name, kinds, 3, &sg)) {
			ERR(s, arg->span, "unknown timeout '%s'%s; timeouts are 'idle', 'closed' and 'udp'",
			    arg->name, diag_suggest_text(&sg));
			return;
		}
		slot = &seen[!strcmp(arg->name, "idle") ? 4 : !strcmp(arg->name, "closed") ? 5 : 6];
		if (val->kind != AST_DURATION)
			ERR(s, val->span, "timeout '%s' needs a duration, e.g. '30s'", arg->name);
	}
	if (slot) {
		if (*slot) {
			ERR(s, o->span, "option '%s%s%s' is set twice", name, arg ? " " : "",
			    arg ? arg->name : "");
			NOTE(s, (*slot)->span, "first set here");
		}
		*slot = o;
	}
}

/* Handler: event, hook, predicate, label, body. */
static void sema_handler(struct sema *s, struct sema_monitor *mon, struct ast_node *h)
{
	int b;
	struct sema_event *ude = sema_event_ref(s, mon->mod, h->kid[0], &b);
	int root = b;
	if (ude)
		root = sema_event_root(s, ude);
	struct sema_handler *info = ast_alloc(s->arena, sizeof(*info));
	info->root = ude || b >= 0 ? root : -2;
	info->ude = ude;
	h->ref = info;
	struct sema_scope sc = { .mod = mon->mod, .mon = mon, .event = h->kid[0]->name };
	bool known = b >= 0 || ude;
	if (root >= 0) {
		sc.ctx = bi_events[root].ctx;
	} else if (ude && root == -1) {
		sc.floating = true;
		sc.ctx = BI_HAS_FLOW;
	} else {
		sc.ctx = BI_HAS_FLOW | BI_HAS_PKT; /* unknown: avoid cascades */
	}
	if (mon->raw)
		sc.ctx &= ~(unsigned)BI_HAS_FLOW;
	/* Hook legality. */
	struct ast_node *hook = h->kid[1];
	unsigned hookbit = 0;
	if (hook) {
		if (!strcmp(hook->name, "snd"))
			hookbit = BI_HOOK_SND;
		else if (!strcmp(hook->name, "rcv"))
			hookbit = BI_HOOK_RCV;
		else {
			struct diag_suggest sg;
			char want[80];
			snprintf(want, sizeof(want), "@%s", hook->name);
			diag_suggest_init(&sg, want);
			diag_suggest_offer(&sg, "@snd");
			diag_suggest_offer(&sg, "@rcv");
			ERR(s, hook->span, "unknown hook '@%s'%s; hooks are '@snd' and '@rcv'", hook->name,
			    diag_suggest_text(&sg));
		}
	}
	if (mon->raw) {
		if (known && root >= 0 && root != BI_EV_PKT_IN && root != BI_EV_ORPHAN)
			ERR(s, h->kid[0]->span, "a raw monitor handles only 'pkt_in' and 'orphan', not '%s'",
			    h->kid[0]->name);
		if (hook)
			ERR(s, hook->span, "handlers of a raw monitor take no hook");
		int guard = 0;           /* chains may be cyclic (reported elsewhere) */
		for (const struct sema_event *x = root == -2 ? NULL : ude; x && guard < 1000;
		     x = x->base_ude, guard++)
			if (x->flow_use) {
				ERR(s, h->kid[0]->span, "event '%s' reads the flow, but a raw monitor has none",
				    h->kid[0]->name);
				NOTE(s, x->flow_use->span, "'%s' reads '%s' here", x->node->name,
				     x->flow_use->kind == AST_PATH ? x->flow_use->name : "peek");
				break;
			}
	} else if (hookbit && root >= 0) {
		unsigned legal = bi_events[root].hooks;
		if (root == BI_EV_PKT_IN)
			legal &= ~(unsigned)BI_HOOK_NONE;
		if (!(legal & hookbit)) {
			if (legal == BI_HOOK_NONE)
				ERR(s, hook->span, "'%s' takes no hook: it is not tied to one endpoint's update",
				    bi_events[root].name);
			else
				ERR(s, hook->span, "'%s' cannot be handled at '@%s'; use %s",
				    bi_events[root].name, hook->name, bi_hooks_text(legal));
			if (ude)
				NOTE(s, ude->node->span, "'%s' is derived from '%s'", ude->node->name,
				     bi_events[root].name);
		}
	} else if (hookbit && sc.floating) {
		ERR(s, hook->span, "floating event '%s' takes no hook: it runs at the hook where it is raised",
		    h->kid[0]->name);
	}
	/* Effective hook: as written, else none when legal, else @rcv. */
	if (hookbit)
		info->hook = hookbit;
	else if (mon->raw || root < 0 || (bi_events[root].hooks & BI_HOOK_NONE && root != BI_EV_PKT_IN))
		info->hook = BI_HOOK_NONE;
	else
		info->hook = bi_events[root].hooks & BI_HOOK_RCV ? BI_HOOK_RCV : BI_HOOK_SND;
	if (!mon->raw && root == BI_EV_ORPHAN)
		ERR(s, h->kid[0]->span, "'orphan' packets belong to no flow; handle them in a raw monitor");
	/* Events of one protocol in a monitor whose scope excludes it: the
	 * handler can never run. conn_end and timeout end flows of both. */
	if (!mon->raw && root >= 0 && root != BI_EV_CONN_END && root != BI_EV_TIMEOUT &&
	    (root == BI_EV_UDP_PKT ? mon->no_udp : mon->no_tcp)) {
		bool udp = root == BI_EV_UDP_PKT;
		WARN(s, h->kid[0]->span, "'%s' never fires in monitor '%s': its scope selects no %s flow%s",
		     h->kid[0]->name, mon->node->name, udp ? "UDP" : "TCP",
		     root == BI_EV_PKT_IN ? " (a UDP flow's packets raise 'udp_pkt')" : "");
		if (ude)
			NOTE(s, ude->node->span, "'%s' is derived from '%s'", ude->node->name,
			     bi_events[root].name);
		NOTE(s, mon->node->kid[0]->kid[0]->span, "the scope of '%s'", mon->node->name);
	}
	if (h->kid[2])
		sema_cond(s, &sc, h->kid[2], "a 'when' predicate");
	if (!h->name && h->num) {
		ERR(s, h->span, "a disabled handler needs a label ('as NAME') so that 'enable' can turn it on");
	}
	sema_block(s, &sc, h->kid[3]);
}

static void sema_monitor(struct sema *s, struct sema_module *m, struct ast_node *mn)
{
	struct sema_monitor mon = { .node = mn, .mod = m, .raw = mn->num != 0 };
	struct ast_node *prev = sema_map_get(&s->monitors, mn->name);
	if (prev) {
		ERR(s, mn->name_span, "monitor '%s' is already defined", mn->name);
		NOTE(s, prev->name_span, "previous definition of '%s'", mn->name);
	} else {
		sema_map_put(&s->monitors, mn->name, mn);
	}
	struct ast_node *scope = mn->kid[0];
	if (scope) {
		bool is_filter = !strcmp(scope->name, "filter");
		if (mon.raw && !is_filter)
			ERR(s, scope->span, "a raw monitor selects packets with 'filter', not 'scope'");
		else if (!mon.raw && is_filter)
			ERR(s, scope->span, "'filter' is for raw monitors; a monitor selects flows with 'scope'");
		else if (sema_pcap_filter(s, scope->kid[0], is_filter ? "raw monitor" : "scope") &&
			 !mon.raw) {
			mon.no_tcp = sema_filter_excludes(scope->kid[0]->name, "tcp");
			mon.no_udp = sema_filter_excludes(scope->kid[0]->name, "udp");
		}
	}
	struct ast_node *seen[8] = { 0 };
	/* Declarations first: state, labels, options (buffer_off is needed by peek). */
	for (struct ast_node *it = mn->kid[1]; it; it = it->next) {
		if (it->kind == AST_STATE) {
			if (mon.raw)
				ERR(s, it->span, "a raw monitor keeps no flows, so it cannot declare flow state");
			else
				sema_declare_vars(s, &mon.vars, it, &m->vars, m->lm->is_main);
		} else if (it->kind == AST_OPTION) {
			sema_option(s, &mon, it, seen);
		} else if (it->kind == AST_HANDLER && it->name) {
			struct ast_node *p = sema_map_get(&mon.labels, it->name);
			if (p) {
				ERR(s, it->name_span, "duplicate label '%s'", it->name);
				NOTE(s, p->name_span, "label '%s' is first used here", it->name);
			} else {
				sema_map_put(&mon.labels, it->name, it);
			}
		}
	}
	bool any = false;
	for (struct ast_node *it = mn->kid[1]; it && !diag_stop(s->diag); it = it->next)
		if (it->kind == AST_HANDLER) {
			sema_handler(s, &mon, it);
			any = true;
		}
	if (!any)
		WARN(s, mn->name_span, "monitor '%s' has no handlers", mn->name);
	/* Disabled handlers whose label nobody enables can never run. */
	for (struct ast_node *it = mn->kid[1]; it; it = it->next)
		if (it->kind == AST_HANDLER && it->num && it->name
		    && !sema_map_get(&mon.enabled, it->name))
			WARN(s, it->name_span, "handler '%s' is disabled and never enabled, so it can never run",
			     it->name);
	sema_map_free(&mon.vars);
	sema_map_free(&mon.labels);
	sema_map_free(&mon.enabled);
}

/* ---- tests ------------------------------------------------------------- */

static void sema_expect_fields(struct sema *s, const struct sema_scope *sc, struct ast_node *t,
			       const struct sema_record *r)
{
	for (struct ast_node *f = t->kid[0]; f; f = f->next) {
		enum bi_type vt = sema_expr(s, sc, f->kid[0]);
		const struct ast_node *g = r->first->kid[0];
		while (g && strcmp(g->name, f->name))
			g = g->next;
		if (!g) {
			struct diag_suggest sg;
			diag_suggest_init(&sg, f->name);
			for (g = r->first->kid[0]; g; g = g->next)
				diag_suggest_offer(&sg, g->name);
			ERR(s, f->name_span, "record '%s' has no field '%s'%s", t->name, f->name,
			    diag_suggest_text(&sg));
			NOTE(s, r->first->name_span, "record '%s' is emitted here", t->name);
			continue;
		}
		enum bi_type ft = (enum bi_type)g->type;
		if (vt != BI_T_ERROR && ft != BI_T_ERROR && !sema_comparable(ft, vt)
		    && !(ft == BI_T_SIDE && vt == BI_T_STR)) {
			ERR(s, f->kid[0]->span, "field '%s' of record '%s' is '%s', but the expected value is '%s'",
			    f->name, t->name, bi_type_name(ft), bi_type_name(vt));
			NOTE(s, g->span, "emitted here");
		} else {
			sema_check_fit(s, f->kid[0], ft);
		}
	}
}

static const struct sema_record *sema_expect_record(struct sema *s, struct ast_node *t)
{
	const struct sema_record *r = sema_map_get(&s->records, t->name);
	if (r)
		return r;
	struct diag_suggest sg;
	diag_suggest_init(&sg, t->name);
	sema_map_offer(&s->records, &sg);
	ERR(s, t->name_span, "no 'emit' produces record '%s'%s", t->name, diag_suggest_text(&sg));
	return NULL;
}

static void sema_count_value(struct sema *s, const struct sema_scope *sc, struct ast_node *v)
{
	enum bi_type t = sema_expr(s, sc, v);
	if (t != BI_T_INT && t != BI_T_ERROR)
		ERR(s, v->span, "a count must be a non-negative integer, not '%s'", bi_type_name(t));
	else if (v->kind == AST_UNARY && v->op == AST_OP_NEG)
		ERR(s, v->span, "a count must be a non-negative integer");
}

static void sema_test(struct sema *s, struct sema_module *m, struct ast_node *t)
{
	struct ast_node *prev = sema_map_get(&s->tests, t->name);
	if (prev) {
		ERR(s, t->name_span, "test \"%s\" is already defined", t->name);
		NOTE(s, prev->name_span, "previous definition");
	} else {
		sema_map_put(&s->tests, t->name, t);
	}
	struct sema_scope sc = { .mod = m, .in_test = true };
	bool pcap = false;
	for (struct ast_node *it = t->kid[0]; it; it = it->next) {
		switch (it->kind) {
		case AST_PCAP:
			pcap = true;
			if (!it->len)
				ERR(s, it->span, "'pcap' needs a file name");
			break;
		case AST_EXPECT_COUNT:
			sema_expect_record(s, it);
			sema_count_value(s, &sc, it->kid[0]);
			break;
		case AST_EXPECT_INDEX:
		case AST_EXPECT_ANY: {
			const struct sema_record *r = sema_expect_record(s, it);
			if (r)
				sema_expect_fields(s, &sc, it, r);
			break;
		}
		case AST_EXPECT_NO:
			sema_expect_record(s, it);
			break;
		case AST_EXPECT_EVENT: {
			int b;
			sema_event_ref(s, m, it->kid[0], &b);
			sema_count_value(s, &sc, it->kid[1]);
			break;
		}
		case AST_EXPECT_COUNTER:
			sema_count_value(s, &sc, it->kid[1]);
			break;
		default:
			break;
		}
	}
	if (!pcap)
		ERR(s, t->name_span, "test \"%s\" has no 'pcap' input", t->name);
}

/* ---- results for the back end ----------------------------------------- */

int sema_handler_root(const struct ast_node *h)
{
	const struct sema_handler *hi = h->kind == AST_HANDLER ? h->ref : NULL;
	return hi ? hi->root : -2;
}

unsigned sema_handler_hook(const struct ast_node *h)
{
	const struct sema_handler *hi = h->kind == AST_HANDLER ? h->ref : NULL;
	return hi ? hi->hook : 0;
}

const struct ast_node *sema_handler_event(const struct ast_node *h)
{
	const struct sema_handler *hi = h->kind == AST_HANDLER ? h->ref : NULL;
	return hi && hi->ude ? hi->ude->node : NULL;
}

int sema_event_root_of(const struct ast_node *ev)
{
	const struct sema_event *e = ev->kind == AST_EVENT ? ev->ref : NULL;
	return e ? e->root : -2;
}

const struct ast_node *sema_path_decl(const struct ast_node *path)
{
	const struct sema_var *v = path->kind == AST_PATH ? path->ref : NULL;
	return v ? v->node : NULL;
}

const struct ast_node *sema_call_decl(const struct ast_node *call)
{
	const struct sema_fn *fn = call->kind == AST_CALL ? call->ref : NULL;
	return fn ? fn->node : NULL;
}

const struct ast_node *sema_raise_event(const struct ast_node *raise)
{
	const struct sema_event *e = raise->kind == AST_RAISE ? raise->ref : NULL;
	return e ? e->node : NULL;
}

void sema_annotate(FILE *out, const struct ast_node *n)
{
	switch (n->kind) {
	case AST_PATH: case AST_CALL: case AST_BINARY: case AST_UNARY: case AST_INT:
	case AST_BOOL: case AST_STRING: case AST_BYTES: case AST_IP: case AST_PREFIX:
	case AST_DURATION: case AST_SIZE:
		if (n->type)
			fprintf(out, " : %s", bi_type_name((enum bi_type)n->type));
		break;
	case AST_HANDLER: {
		int root = sema_handler_root(n);
		unsigned hook = sema_handler_hook(n);
		fprintf(out, " [root %s, hook %s]",
			root >= 0 ? bi_events[root].name : root == -1 ? "floating" : "?",
			hook == BI_HOOK_SND ? "@snd" : hook == BI_HOOK_RCV ? "@rcv" : hook ? "none" : "?");
		break;
	}
	case AST_EVENT: {
		int root = sema_event_root_of(n);
		fprintf(out, " [root %s]", root >= 0 ? bi_events[root].name : root == -1 ? "floating" : "?");
		break;
	}
	default:
		break;
	}
}

/* ---- driver ------------------------------------------------------------ */

unsigned sema_check(struct ast_arena *arena, struct diag_ctx *diag, struct load_program *p)
{
	struct sema s = { .arena = arena, .diag = diag, .prog = p };
	struct sema_module **tail = &s.mods;
	for (struct load_module *lm = p->first; lm; lm = lm->next) {
		if (!lm->root)
			continue;
		struct sema_module *m = ast_alloc(arena, sizeof(*m));
		m->lm = lm;
		m->name = lm->name;
		if (lm->name)
			sema_map_put(&s.modmap, lm->name, m);
		*tail = m;
		tail = &m->next;
	}
	for (struct sema_module *m = s.mods; m; m = m->next)
		sema_declare_module(&s, m);
	/* UDE chains. */
	for (size_t i = 0; i < s.nevents && !diag_stop(diag); i++) {
		struct sema_event *e = s.events[i];
		sema_event_root(&s, e);
		if (e->node->kid[1]) {
			struct sema_scope sc = { .mod = e->mod, .event = e->node->name,
						 .flow_use = &e->flow_use };
			if (e->root >= 0)
				sc.ctx = bi_events[e->root].ctx;
			else
				sc.ctx = BI_HAS_FLOW | (e->root == -2 ? BI_HAS_PKT : 0);
			sc.floating = e->root == -1;
			sema_cond(&s, &sc, e->node->kid[1], "a 'when' predicate");
		}
	}
	/* Monitors, then tests (they need every record). */
	for (struct sema_module *m = s.mods; m && !diag_stop(diag); m = m->next)
		for (struct ast_node *it = m->lm->root->kid[0]; it && !diag_stop(diag); it = it->next)
			if (it->kind == AST_MONITOR)
				sema_monitor(&s, m, it);
	for (struct sema_module *m = s.mods; m && !diag_stop(diag); m = m->next)
		for (struct ast_node *it = m->lm->root->kid[0]; it && !diag_stop(diag); it = it->next)
			if (it->kind == AST_TEST)
				sema_test(&s, m, it);
	/* Program-wide warnings, only for programs without errors (an error,
	 * a dropped statement above all, makes them unreliable). */
	bool quiet = diag_errors(diag) > 0;
	for (struct sema_module *m = s.mods; m && !quiet && !diag_stop(diag); m = m->next)
		for (struct ast_node *it = m->lm->root->kid[0]; it; it = it->next) {
			if (it->kind != AST_MONITOR)
				continue;
			for (struct ast_node *h = it->kid[1]; h; h = h->next) {
				const struct sema_handler *hi = h->kind == AST_HANDLER ? h->ref : NULL;
				const struct sema_event *e = hi ? hi->ude : NULL;
				if (e && e->root == -1 && !e->node->kid[0] && !e->raised)
					WARN(&s, h->kid[0]->span,
					     "floating event '%s' is never raised, so this handler can never run",
					     h->kid[0]->name);
			}
		}
	for (struct sema_module *m = s.mods; m && !quiet && !diag_stop(diag); m = m->next) {
		if (!m->lm->is_main)
			continue;
		for (size_t i = 0; i < m->lm->nimports; i++) {
			const struct load_module *im = m->lm->imports[i];
			bool acts = false;    /* monitors and tests count as a use */
			for (const struct ast_node *it = im->root ? im->root->kid[0] : NULL; it; it = it->next)
				acts |= it->kind == AST_MONITOR || it->kind == AST_TEST;
			if (!acts && !sema_map_get(&m->used, im->name))
				WARN(&s, m->lm->import_nodes[i]->span,
				     "module '%s' is imported but none of its names are used", im->name);
		}
	}
	for (size_t i = 0; i < s.nevents && !quiet && !diag_stop(diag); i++) {
		const struct sema_event *e = s.events[i];
		if (!e->used && e->mod->lm->is_main && !e->mod->lm->decl)
			WARN(&s, e->node->name_span, "event '%s' is never used", e->node->name);
	}
	for (size_t i = 0; i < s.nvars && !quiet && !diag_stop(diag); i++)
		if (s.vars[i]->warn_unused && !s.vars[i]->used)
			WARN(&s, s.vars[i]->node->name_span, "state '%s' is never used",
			     s.vars[i]->node->name);
		else if (s.vars[i]->warn_unused && !s.vars[i]->read)
			WARN(&s, s.vars[i]->node->name_span, "state '%s' is written but never read",
			     s.vars[i]->node->name);
	for (struct sema_module *m = s.mods; m; m = m->next) {
		sema_map_free(&m->vars);
		sema_map_free(&m->events);
		sema_map_free(&m->fns);
		sema_map_free(&m->used);
	}
	sema_map_free(&s.modmap);
	sema_map_free(&s.monitors);
	sema_map_free(&s.records);
	sema_map_free(&s.tests);
	free(s.vars);
	free(s.events);
	return diag_errors(diag);
}
