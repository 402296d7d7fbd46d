/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * event.c — event definitions (a forest under the built-ins), interned
 * registration sets with a transition cache, per-set dispatch plans, and
 * dispatch with pruning and raised events (see mos/event.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mos/event.h"

#define NIL UINT32_MAX
#define TOK_OWNER 0x80000000u        /* token: all listener registrations of an owner */
#define TOK_NEG   0x40000000u        /* token: registration masked for this flow */
#define TCACHE_SIZE 8192u            /* transition cache entries (power of two) */
#define MAX_DEPTH 8                  /* nested dispatches */

enum { OP_OWNER = 1, OP_ADD = 2, OP_DEL = 3 };

struct def {
	uint32_t parent;             /* parent event id (itself for a built-in) */
	uint32_t root;               /* root built-in */
	uint32_t first_child;        /* first child id, NIL if none */
	uint32_t next_sibling;       /* next child of the parent, NIL if last */
	mos_filter_fn filter;        /* NULL for built-ins and floating events */
	void *arg;                   /* private copy of the argument */
	size_t len;                  /* its length */
	char *name;                  /* copied name, may be NULL */
	uint8_t floating;            /* fires only when raised */
	uint8_t defined;             /* slot in use */
};

struct reg {
	uint32_t ev;                 /* event */
	uint16_t owner;              /* owner index */
	uint8_t hook;                /* enum mos_hook */
	uint8_t listener;            /* currently a listener-wide registration */
	mos_callback_fn cb;          /* callback */
	void *user;                  /* user pointer */
	void *owner_ptr;             /* handed to callbacks */
};

struct pnode {
	uint32_t ev;                 /* event of this node */
	uint32_t skip;               /* index just after its subtree */
	uint32_t cb_first;           /* first entry in the plan's callback list */
	uint32_t cb_n;               /* number of callbacks here */
};

struct plan {
	uint32_t first[MOS_EV_BUILTIN_COUNT][MOS_HOOK_COUNT]; /* first node of each (built-in, hook) */
	uint32_t count[MOS_EV_BUILTIN_COUNT][MOS_HOOK_COUNT]; /* nodes of each */
	struct pnode *nodes;         /* all nodes */
	uint32_t *cbs;               /* registration ids */
};

struct set {
	uint32_t *tok;               /* sorted tokens */
	uint32_t n;                  /* number of tokens */
	uint32_t hnext;              /* next set in the same hash bucket */
	uint64_t hash;               /* hash of the tokens */
	uint64_t gen;                /* engine generation the plan was built for */
	struct plan *plan;           /* compiled plan, NULL until first use */
	uint32_t mask[MOS_HOOK_COUNT]; /* built-ins with callbacks, per hook */
};

struct tcache {
	uint32_t from;               /* set id */
	uint32_t key;                /* op << 28 ^ operand (full operand kept below) */
	uint64_t operand;            /* operation operand */
	uint32_t to;                 /* resulting set, NIL if empty slot */
};

struct frame {
	uint32_t raised[MOS_EVSYS_MAX_RAISED]; /* events raised during this dispatch */
	uint32_t n_raised;           /* how many */
};

struct mos_evsys {
	struct mos_evsys_config cfg; /* limits */
	struct def builtin[MOS_EV_BUILTIN_COUNT]; /* roots */
	struct def *udes;            /* max_defs UDE slots */
	uint32_t n_udes;             /* used */
	struct reg *regs;            /* max_regs */
	uint32_t n_regs;             /* used */
	struct set *sets;            /* max_sets, never reallocated */
	uint32_t n_sets;             /* used */
	uint32_t *set_buckets;       /* hash buckets of sets */
	uint32_t set_mask;           /* buckets - 1 */
	struct tcache *tc;           /* transition cache */
	uint64_t gen;                /* bumped by every listener-wide change */
	uint32_t *mark;              /* scratch: epoch per def slot */
	uint32_t epoch;              /* current mark epoch */
	uint8_t *eff;                /* scratch: effective registrations */
	uint32_t *tmp;               /* scratch tokens, max_regs + max_owners + 1 */
	struct frame frames[MAX_DEPTH]; /* dispatch stack */
	int depth;                   /* dispatches in progress */
	struct plan **grave;         /* plans to free when depth drops to 0 */
	uint32_t n_grave, cap_grave; /* their count and capacity */
	struct mos_evsys_stats st;   /* statistics */
};

static const char *const builtin_names[MOS_EV_BUILTIN_COUNT] = {
#define MOS_X_(id, name, hooks) name,
	MOS_BUILTIN_EVENTS(MOS_X_)
#undef MOS_X_
};

static const unsigned builtin_hooks[MOS_EV_BUILTIN_COUNT] = {
#define MOS_X_(id, name, hooks) hooks,
	MOS_BUILTIN_EVENTS(MOS_X_)
#undef MOS_X_
};

const char *
mos_event_builtin_name(uint32_t ev)
{
	return ev < MOS_EV_BUILTIN_COUNT ? builtin_names[ev] : NULL;
}

int
mos_event_builtin_lookup(const char *name)
{
	for (uint32_t i = 0; name && i < MOS_EV_BUILTIN_COUNT; i++)
		if (strcmp(builtin_names[i], name) == 0)
			return (int)i;
	return -ENOENT;
}

unsigned
mos_event_builtin_hooks(uint32_t ev)
{
	return ev < MOS_EV_BUILTIN_COUNT ? builtin_hooks[ev] : 0;
}

/* Definition of @ev, or NULL. */
static struct def *
def_of(const struct mos_evsys *es, uint32_t ev)
{
	if (ev < MOS_EV_BUILTIN_COUNT)
		return (struct def *)&es->builtin[ev];
	if (ev >= MOS_EV_UDE_BASE && ev - MOS_EV_UDE_BASE < es->n_udes)
		return &es->udes[ev - MOS_EV_UDE_BASE];
	return NULL;
}

/* Scratch slot of @ev (for marks). */
static uint32_t
slot_of(uint32_t ev)
{
	return ev < MOS_EV_BUILTIN_COUNT ? ev : MOS_EV_BUILTIN_COUNT + (ev - MOS_EV_UDE_BASE);
}

static uint64_t
hash_tokens(const uint32_t *tok, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint32_t i = 0; i < n; i++) {
		h ^= tok[i];
		h *= 0x100000001b3ull;
		h ^= h >> 31;
	}
	return h;
}

struct mos_evsys *
mos_evsys_create(const struct mos_evsys_config *cfg)
{
	struct mos_evsys *es = calloc(1, sizeof(*es));
	uint32_t nb = 1;

	if (es == NULL)
		return NULL;
	es->cfg.max_defs = cfg && cfg->max_defs ? cfg->max_defs : 4096;
	es->cfg.max_regs = cfg && cfg->max_regs ? cfg->max_regs : 4096;
	es->cfg.max_sets = cfg && cfg->max_sets ? cfg->max_sets : 16384;
	es->cfg.max_owners = cfg && cfg->max_owners ? cfg->max_owners : 64;
	if (es->cfg.max_regs >= TOK_NEG || es->cfg.max_owners > 0xffff ||
	    es->cfg.max_defs > (1u << 24)) {
		free(es);
		errno = EINVAL;
		return NULL;
	}
	while (nb < es->cfg.max_sets)
		nb <<= 1;
	es->set_mask = nb - 1;
	es->udes = calloc(es->cfg.max_defs, sizeof(*es->udes));
	es->regs = calloc(es->cfg.max_regs, sizeof(*es->regs));
	es->sets = calloc(es->cfg.max_sets, sizeof(*es->sets));
	es->set_buckets = malloc(nb * sizeof(uint32_t));
	es->tc = malloc(TCACHE_SIZE * sizeof(*es->tc));
	es->mark = calloc(MOS_EV_BUILTIN_COUNT + es->cfg.max_defs, sizeof(uint32_t));
	es->eff = calloc(es->cfg.max_regs, 1);
	es->tmp = calloc(es->cfg.max_regs * 2 + es->cfg.max_owners + 2, sizeof(uint32_t));
	if (!es->udes || !es->regs || !es->sets || !es->set_buckets || !es->tc || !es->mark ||
	    !es->eff || !es->tmp) {
		mos_evsys_destroy(es);
		errno = ENOMEM;
		return NULL;
	}
	memset(es->set_buckets, 0xff, nb * sizeof(uint32_t));
	for (uint32_t i = 0; i < TCACHE_SIZE; i++)
		es->tc[i].to = NIL;
	for (uint32_t i = 0; i < MOS_EV_BUILTIN_COUNT; i++) {
		es->builtin[i].parent = es->builtin[i].root = i;
		es->builtin[i].first_child = es->builtin[i].next_sibling = NIL;
		es->builtin[i].defined = 1;
	}
	/* Set 0: the empty set. */
	es->sets[0].hash = hash_tokens(NULL, 0);
	es->sets[0].hnext = NIL;
	es->sets[0].gen = UINT64_MAX;
	es->set_buckets[es->sets[0].hash & es->set_mask] = 0;
	es->n_sets = 1;
	return es;
}

void
mos_evsys_destroy(struct mos_evsys *es)
{
	if (es == NULL)
		return;
	for (uint32_t i = 0; es->udes && i < es->n_udes; i++) {
		free(es->udes[i].arg);
		free(es->udes[i].name);
	}
	for (uint32_t i = 0; es->sets && i < es->n_sets; i++) {
		free(es->sets[i].tok);
		if (es->sets[i].plan) {
			free(es->sets[i].plan->nodes);
			free(es->sets[i].plan->cbs);
			free(es->sets[i].plan);
		}
	}
	for (uint32_t i = 0; i < es->n_grave; i++) {
		free(es->grave[i]->nodes);
		free(es->grave[i]->cbs);
		free(es->grave[i]);
	}
	free(es->grave);
	free(es->udes);
	free(es->regs);
	free(es->sets);
	free(es->set_buckets);
	free(es->tc);
	free(es->mark);
	free(es->eff);
	free(es->tmp);
	free(es);
}

int
mos_evsys_define(struct mos_evsys *es, uint32_t parent, mos_filter_fn filter,
		 const void *arg, size_t len, unsigned flags, const char *name)
{
	struct def *p = def_of(es, parent), *d;
	uint32_t id, *link;
	bool floating = flags & MOS_EVDEF_FLOATING;

	if (p == NULL || (filter == NULL && !floating) || (len && arg == NULL) ||
	    (flags & ~MOS_EVDEF_FLOATING))
		return -EINVAL;
	if (!floating) {
		/* De-duplicate: same parent, filter and argument bytes. */
		for (uint32_t c = p->first_child; c != NIL; c = def_of(es, c)->next_sibling) {
			struct def *o = def_of(es, c);

			if (!o->floating && o->filter == filter && o->len == len &&
			    (len == 0 || memcmp(o->arg, arg, len) == 0))
				return (int)c;
		}
	}
	if (es->n_udes >= es->cfg.max_defs)
		return -ENOSPC;
	d = &es->udes[es->n_udes];
	memset(d, 0, sizeof(*d));
	if (len) {
		d->arg = malloc(len);
		if (d->arg == NULL)
			return -ENOMEM;
		memcpy(d->arg, arg, len);
	}
	if (name) {
		d->name = strdup(name);
		if (d->name == NULL) {
			free(d->arg);
			return -ENOMEM;
		}
	}
	id = MOS_EV_UDE_BASE + es->n_udes++;
	d->len = len;
	d->filter = filter;
	d->floating = floating;
	d->parent = parent;
	d->root = p->root;
	d->first_child = d->next_sibling = NIL;
	d->defined = 1;
	/* Append to the parent's children: dispatch order = definition order. */
	link = &p->first_child;
	while (*link != NIL)
		link = &def_of(es, *link)->next_sibling;
	*link = id;
	es->st.defs = es->n_udes;
	return (int)id;
}

int
mos_evsys_root(const struct mos_evsys *es, uint32_t ev)
{
	const struct def *d = def_of(es, ev);

	return d ? (int)d->root : -EINVAL;
}

int
mos_evsys_parent(const struct mos_evsys *es, uint32_t ev)
{
	const struct def *d = def_of(es, ev);

	return d ? (int)d->parent : -EINVAL;
}

const char *
mos_evsys_name(const struct mos_evsys *es, uint32_t ev)
{
	static __thread char buf[24];
	const struct def *d = def_of(es, ev);

	if (ev < MOS_EV_BUILTIN_COUNT)
		return builtin_names[ev];
	if (d && d->name)
		return d->name;
	snprintf(buf, sizeof(buf), "ude%u", ev);
	return buf;
}

uint32_t
mos_evsys_ude_count(const struct mos_evsys *es)
{
	return es->n_udes;
}

bool
mos_evsys_hook_legal(const struct mos_evsys *es, uint32_t ev, int hook)
{
	int root = mos_evsys_root(es, ev);

	if (root < 0 || hook < 0 || hook >= MOS_HOOK_COUNT)
		return false;
	return builtin_hooks[root] & (1u << hook);
}

/* Find or intern registration (owner, ev, hook, cb, user). */
static int
reg_intern(struct mos_evsys *es, uint16_t owner, void *owner_ptr, uint32_t ev, int hook,
	   mos_callback_fn cb, void *user)
{
	struct reg *r;

	for (uint32_t i = 0; i < es->n_regs; i++) {
		r = &es->regs[i];
		if (r->owner == owner && r->ev == ev && r->hook == hook && r->cb == cb &&
		    r->user == user)
			return (int)i;
	}
	if (es->n_regs >= es->cfg.max_regs)
		return -ENOSPC;
	r = &es->regs[es->n_regs];
	r->owner = owner;
	r->owner_ptr = owner_ptr;
	r->ev = ev;
	r->hook = (uint8_t)hook;
	r->cb = cb;
	r->user = user;
	r->listener = 0;
	es->st.regs = es->n_regs + 1;
	return (int)es->n_regs++;
}

static int
check_reg(const struct mos_evsys *es, uint16_t owner, uint32_t ev, int hook, mos_callback_fn cb)
{
	if (cb == NULL || owner >= es->cfg.max_owners || !mos_evsys_hook_legal(es, ev, hook))
		return -EINVAL;
	return 0;
}

int
mos_evsys_listen(struct mos_evsys *es, uint16_t owner, void *owner_ptr, uint32_t ev,
		 int hook, mos_callback_fn cb, void *user)
{
	int r = check_reg(es, owner, ev, hook, cb);

	if (r < 0)
		return r;
	r = reg_intern(es, owner, owner_ptr, ev, hook, cb, user);
	if (r < 0)
		return r;
	if (es->regs[r].listener)
		return -EEXIST;
	es->regs[r].listener = 1;
	es->gen++;
	return 0;
}

int
mos_evsys_unlisten(struct mos_evsys *es, uint16_t owner, uint32_t ev, int hook,
		   mos_callback_fn cb)
{
	int found = 0;

	for (uint32_t i = 0; i < es->n_regs; i++) {
		struct reg *r = &es->regs[i];

		if (r->listener && r->owner == owner && r->ev == ev && r->hook == hook &&
		    (cb == NULL || r->cb == cb)) {
			r->listener = 0;
			found = 1;
		}
	}
	if (!found)
		return -ENOENT;
	es->gen++;
	return 0;
}

/* Find or create the set holding tokens tok[0..n) (sorted, unique). */
static int
set_intern(struct mos_evsys *es, const uint32_t *tok, uint32_t n)
{
	uint64_t h = hash_tokens(tok, n);
	uint32_t b = (uint32_t)(h & es->set_mask), i;
	struct set *s;

	for (i = es->set_buckets[b]; i != NIL; i = es->sets[i].hnext) {
		s = &es->sets[i];
		if (s->hash == h && s->n == n && memcmp(s->tok, tok, n * sizeof(*tok)) == 0)
			return (int)i;  /* full comparison: a hash collision never merges sets */
	}
	if (es->n_sets >= es->cfg.max_sets)
		return -ENOSPC;
	s = &es->sets[es->n_sets];
	s->tok = malloc((n ? n : 1) * sizeof(*tok));
	if (s->tok == NULL)
		return -ENOMEM;
	memcpy(s->tok, tok, n * sizeof(*tok));
	s->n = n;
	s->hash = h;
	s->gen = UINT64_MAX;
	s->plan = NULL;
	s->hnext = es->set_buckets[b];
	es->set_buckets[b] = es->n_sets;
	es->st.sets = es->n_sets + 1;
	return (int)es->n_sets++;
}

static bool
has_tok(const struct set *s, uint32_t t)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (s->tok[mid] == t)
			return true;
		if (s->tok[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Copy @s's tokens to scratch without @drop, adding @add (NIL: none), sorted. */
static uint32_t
edit_tokens(struct mos_evsys *es, const struct set *s, uint32_t drop1, uint32_t drop2, uint32_t add)
{
	uint32_t n = 0;
	bool added = add == NIL;

	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t t = s->tok[i];

		if (t == drop1 || t == drop2)
			continue;
		if (!added && add < t) {
			es->tmp[n++] = add;
			added = true;
		}
		if (t == add)
			added = true;
		es->tmp[n++] = t;
	}
	if (!added)
		es->tmp[n++] = add;
	return n;
}

static struct tcache *
tc_slot(struct mos_evsys *es, uint32_t from, int op, uint64_t operand)
{
	uint64_t h = ((uint64_t)from * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)op << 61) ^
		     (operand * 0xc2b2ae3d27d4eb4full);

	return &es->tc[(h ^ (h >> 29)) & (TCACHE_SIZE - 1)];
}

static int
tc_get(struct mos_evsys *es, uint32_t from, int op, uint64_t operand)
{
	struct tcache *c = tc_slot(es, from, op, operand);

	es->st.transitions++;
	if (c->to != NIL && c->from == from && c->key == (uint32_t)op && c->operand == operand) {
		es->st.transition_hits++;
		return (int)c->to;
	}
	return -1;
}

static void
tc_put(struct mos_evsys *es, uint32_t from, int op, uint64_t operand, uint32_t to)
{
	struct tcache *c = tc_slot(es, from, op, operand);

	c->from = from;
	c->key = (uint32_t)op;
	c->operand = operand;
	c->to = to;
}

int
mos_evsys_set_add_owner(struct mos_evsys *es, uint32_t set, uint16_t owner)
{
	int r;
	uint32_t n;

	if (set >= es->n_sets || owner >= es->cfg.max_owners)
		return -EINVAL;
	if ((r = tc_get(es, set, OP_OWNER, owner)) >= 0)
		return r;
	n = edit_tokens(es, &es->sets[set], NIL, NIL, TOK_OWNER | owner);
	r = set_intern(es, es->tmp, n);
	if (r >= 0)
		tc_put(es, set, OP_OWNER, owner, (uint32_t)r);
	return r;
}

bool
mos_evsys_set_has_owner(const struct mos_evsys *es, uint32_t set, uint16_t owner)
{
	return set < es->n_sets && has_tok(&es->sets[set], TOK_OWNER | owner);
}

int
mos_evsys_set_add(struct mos_evsys *es, uint32_t set, uint16_t owner, void *owner_ptr,
		  uint32_t ev, int hook, mos_callback_fn cb, void *user)
{
	int r = check_reg(es, owner, ev, hook, cb), reg;
	uint32_t n;

	if (r < 0)
		return r;
	if (set >= es->n_sets)
		return -EINVAL;
	reg = reg_intern(es, owner, owner_ptr, ev, hook, cb, user);
	if (reg < 0)
		return reg;
	if ((r = tc_get(es, set, OP_ADD, (uint64_t)reg)) >= 0)
		return r;
	n = edit_tokens(es, &es->sets[set], TOK_NEG | (uint32_t)reg, NIL, (uint32_t)reg);
	r = set_intern(es, es->tmp, n);
	if (r >= 0)
		tc_put(es, set, OP_ADD, (uint64_t)reg, (uint32_t)r);
	return r;
}

int
mos_evsys_set_del(struct mos_evsys *es, uint32_t set, uint16_t owner, uint32_t ev, int hook,
		  mos_callback_fn cb)
{
	uint32_t cur = set;

	if (set >= es->n_sets)
		return -EINVAL;
	for (uint32_t i = 0; i < es->n_regs; i++) {
		struct reg *rg = &es->regs[i];
		const struct set *s;
		uint64_t op;
		uint32_t n;
		int r;

		if (rg->owner != owner || rg->ev != ev || rg->hook != hook || (cb && rg->cb != cb))
			continue;
		s = &es->sets[cur];
		if (!has_tok(s, i) && !(rg->listener && has_tok(s, TOK_OWNER | owner)))
			continue;
		/* The result depends on whether rg is a listener now: keyed in. */
		op = (uint64_t)i | ((uint64_t)rg->listener << 32);
		if ((r = tc_get(es, cur, OP_DEL, op)) < 0) {
			/* Remove a per-flow addition; mask the listener one. */
			n = edit_tokens(es, s, i, NIL,
					rg->listener && has_tok(s, TOK_OWNER | owner) ? (TOK_NEG | i) : NIL);
			r = set_intern(es, es->tmp, n);
			if (r < 0)
				return r;
			tc_put(es, cur, OP_DEL, op, (uint32_t)r);
		}
		cur = (uint32_t)r;
	}
	return (int)cur;
}

/* --- plans ------------------------------------------------------------- */

struct builder {
	struct pnode *nodes;         /* growing node array */
	uint32_t n, cap;             /* used, capacity */
	uint32_t *cbs;               /* growing callback array */
	uint32_t ncb, capcb;         /* used, capacity */
	const uint32_t *regs;        /* registrations of the current (built-in, hook) */
	uint32_t nregs;              /* their number */
	int err;                     /* -ENOMEM once an allocation failed */
};

static void *
grow(void *p, uint32_t *cap, size_t elem)
{
	uint32_t nc = *cap ? *cap * 2 : 16;
	void *q = realloc(p, nc * elem);

	if (q)
		*cap = nc;
	return q;
}

static void
build_node(struct mos_evsys *es, struct builder *b, uint32_t ev)
{
	uint32_t me;
	struct def *d = def_of(es, ev);

	if (b->err)
		return;
	if (b->n == b->cap) {
		void *q = grow(b->nodes, &b->cap, sizeof(*b->nodes));

		if (q == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->nodes = q;
	}
	me = b->n++;
	b->nodes[me].ev = ev;
	b->nodes[me].cb_first = b->ncb;
	b->nodes[me].cb_n = 0;
	for (uint32_t i = 0; i < b->nregs; i++) {
		if (es->regs[b->regs[i]].ev != ev)
			continue;
		if (b->ncb == b->capcb) {
			void *q = grow(b->cbs, &b->capcb, sizeof(*b->cbs));

			if (q == NULL) {
				b->err = -ENOMEM;
				return;
			}
			b->cbs = q;
		}
		b->cbs[b->ncb++] = b->regs[i];
		b->nodes[me].cb_n++;
	}
	for (uint32_t c = d->first_child; c != NIL; c = def_of(es, c)->next_sibling)
		if (es->mark[slot_of(c)] == es->epoch)
			build_node(es, b, c);
	b->nodes[me].skip = b->n;
}

static void
plan_free(struct plan *p)
{
	if (p) {
		free(p->nodes);
		free(p->cbs);
		free(p);
	}
}

/* Compile the plans of @s for the current generation. */
static int
plan_build(struct mos_evsys *es, struct set *s)
{
	struct builder b = { 0 };
	struct plan *p = calloc(1, sizeof(*p));
	uint32_t *eff_list = es->tmp, neff = 0;

	if (p == NULL)
		return -ENOMEM;
	/* Effective registrations: owners' listener ones, plus additions,
	 * minus masks. */
	memset(es->eff, 0, es->n_regs);
	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t t = s->tok[i];

		if (t & TOK_OWNER) {
			for (uint32_t r = 0; r < es->n_regs; r++)
				if (es->regs[r].listener && es->regs[r].owner == (t & 0xffff))
					es->eff[r] = 1;
		} else if (!(t & TOK_NEG)) {
			es->eff[t] = 1;
		}
	}
	for (uint32_t i = 0; i < s->n; i++)
		if ((s->tok[i] & (TOK_OWNER | TOK_NEG)) == TOK_NEG)
			es->eff[s->tok[i] & ~TOK_NEG] = 0;
	for (uint32_t r = 0; r < es->n_regs; r++)
		if (es->eff[r])
			eff_list[neff++] = r;

	memset(s->mask, 0, sizeof(s->mask));
	for (uint32_t root = 0; root < MOS_EV_BUILTIN_COUNT; root++) {
		for (int h = 0; h < MOS_HOOK_COUNT; h++) {
			uint32_t *mine = eff_list + neff, nmine = 0;

			for (uint32_t i = 0; i < neff; i++) {
				struct reg *rg = &es->regs[eff_list[i]];

				if (rg->hook == h && def_of(es, rg->ev)->root == root)
					mine[nmine++] = eff_list[i];
			}
			p->first[root][h] = b.n;
			if (nmine == 0)
				continue;
			if (++es->epoch == 0)
				es->epoch = 1;
			for (uint32_t i = 0; i < nmine; i++) {
				uint32_t e = es->regs[mine[i]].ev;

				for (;;) {
					es->mark[slot_of(e)] = es->epoch;
					if (e == root)
						break;
					e = def_of(es, e)->parent;
				}
			}
			b.regs = mine;
			b.nregs = nmine;
			build_node(es, &b, root);
			if (b.err) {
				free(b.nodes);
				free(b.cbs);
				free(p);
				return b.err;
			}
			p->count[root][h] = b.n - p->first[root][h];
			s->mask[h] |= 1u << root;
		}
	}
	p->nodes = b.nodes;
	p->cbs = b.cbs;
	if (s->plan) {
		if (es->depth > 0) {
			/* A dispatch may still walk the old plan. */
			if (es->n_grave == es->cap_grave) {
				void *q = grow(es->grave, &es->cap_grave, sizeof(*es->grave));

				if (q == NULL) {
					plan_free(p);
					return -ENOMEM;
				}
				es->grave = q;
			}
			es->grave[es->n_grave++] = s->plan;
		} else {
			plan_free(s->plan);
		}
	}
	s->plan = p;
	s->gen = es->gen;
	es->st.plans_built++;
	return 0;
}

static struct set *
ready(struct mos_evsys *es, uint32_t set)
{
	struct set *s;

	if (set >= es->n_sets || set == MOS_EVSET_EMPTY)
		return NULL;
	s = &es->sets[set];
	if (s->gen != es->gen && plan_build(es, s) < 0)
		return NULL;
	return s;
}

bool
mos_evsys_wants(struct mos_evsys *es, uint32_t set, uint32_t b, int hook)
{
	struct set *s = ready(es, set);

	return s && b < MOS_EV_BUILTIN_COUNT && hook >= 0 && hook < MOS_HOOK_COUNT &&
	       (s->mask[hook] & (1u << b));
}

uint32_t
mos_evsys_mask(struct mos_evsys *es, uint32_t set, int hook)
{
	struct set *s;

	if (hook < 0 || hook >= MOS_HOOK_COUNT || (s = ready(es, set)) == NULL)
		return 0;
	return s->mask[hook];
}

static bool
take_raised(struct frame *fr, uint32_t ev)
{
	for (uint32_t i = 0; i < fr->n_raised; i++) {
		if (fr->raised[i] == ev) {
			memmove(&fr->raised[i], &fr->raised[i + 1],
				(fr->n_raised - i - 1) * sizeof(fr->raised[0]));
			fr->n_raised--;
			return true;
		}
	}
	return false;
}

/* Walk nodes [from, to) of @p; node @from is forced (raised) when @force. */
static unsigned
walk(struct mos_evsys *es, const struct plan *p, uint32_t from, uint32_t to, bool force,
     struct frame *fr, struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	unsigned ncb = 0;
	uint32_t i = from;

	while (i < to) {
		const struct pnode *n = &p->nodes[i];
		const struct def *d = def_of(es, n->ev);
		struct mos_event_arg a = { d->arg, d->len, NULL, NULL };

		if (!(force && i == from) && n->ev >= MOS_EV_BUILTIN_COUNT) {
			bool pass;

			if (d->floating) {
				pass = take_raised(fr, n->ev);
			} else {
				es->st.filters_run++;
				pass = d->filter(ctx, flow, side, n->ev, &a);
			}
			if (!pass) {
				i = n->skip;
				continue;
			}
		}
		for (uint32_t c = 0; c < n->cb_n; c++) {
			const struct reg *rg = &es->regs[p->cbs[n->cb_first + c]];

			a.user = rg->user;
			a.owner = rg->owner_ptr;
			rg->cb(ctx, flow, side, n->ev, &a);
			ncb++;
		}
		i++;
	}
	return ncb;
}

/* Deliver the events raised during a walk over (@p, root range). */
static unsigned
deliver_raised(struct mos_evsys *es, const struct plan *p, uint32_t first, uint32_t count,
	       struct frame *fr, struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	unsigned ncb = 0;

	while (fr->n_raised > 0) {
		uint32_t ev = fr->raised[0];

		take_raised(fr, ev);
		for (uint32_t j = first; j < first + count; j++) {
			if (p->nodes[j].ev == ev) {
				ncb += walk(es, p, j, p->nodes[j].skip, true, fr, ctx, flow, side);
				break;
			}
		}
	}
	return ncb;
}

unsigned
mos_evsys_dispatch(struct mos_evsys *es, uint32_t set, uint32_t b, int hook,
		   struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	struct set *s;
	const struct plan *p;
	struct frame *fr;
	uint32_t first, count;
	unsigned ncb;

	if (b >= MOS_EV_BUILTIN_COUNT || hook < 0 || hook >= MOS_HOOK_COUNT)
		return 0;
	s = ready(es, set);
	if (s == NULL || !(s->mask[hook] & (1u << b)) || es->depth >= MAX_DEPTH)
		return 0;
	p = s->plan;
	first = p->first[b][hook];
	count = p->count[b][hook];
	fr = &es->frames[es->depth++];
	fr->n_raised = 0;
	ncb = walk(es, p, first, first + count, false, fr, ctx, flow, side);
	ncb += deliver_raised(es, p, first, count, fr, ctx, flow, side);
	if (--es->depth == 0 && es->n_grave) {
		for (uint32_t i = 0; i < es->n_grave; i++)
			plan_free(es->grave[i]);
		es->n_grave = 0;
	}
	es->st.callbacks_run += ncb;
	return ncb;
}

int
mos_evsys_raise(struct mos_evsys *es, uint32_t set, uint32_t ev, int hook,
		struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	struct set *s;
	const struct plan *p;
	struct frame *fr;
	uint32_t root, first, count;
	unsigned ncb;

	if (ev < MOS_EV_UDE_BASE || def_of(es, ev) == NULL)
		return -EINVAL;
	if (es->depth > 0) {
		fr = &es->frames[es->depth - 1];
		if (fr->n_raised >= MOS_EVSYS_MAX_RAISED)
			return -ENOSPC;
		fr->raised[fr->n_raised++] = ev;
		return 0;
	}
	if (hook < 0 || hook >= MOS_HOOK_COUNT)
		return -EINVAL;
	root = def_of(es, ev)->root;
	s = ready(es, set);
	if (s == NULL || !(s->mask[hook] & (1u << root)))
		return 0;
	p = s->plan;
	first = p->first[root][hook];
	count = p->count[root][hook];
	fr = &es->frames[es->depth++];
	fr->n_raised = 0;
	fr->raised[fr->n_raised++] = ev;
	ncb = deliver_raised(es, p, first, count, fr, ctx, flow, side);
	if (--es->depth == 0 && es->n_grave) {
		for (uint32_t i = 0; i < es->n_grave; i++)
			plan_free(es->grave[i]);
		es->n_grave = 0;
	}
	es->st.callbacks_run += ncb;
	return 0;
}

void
mos_evsys_get_stats(const struct mos_evsys *es, struct mos_evsys_stats *st)
{
	*st = es->st;
	st->sets = es->n_sets;
	st->regs = es->n_regs;
	st->defs = es->n_udes;
}
