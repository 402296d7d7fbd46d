/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api.c — the flow engine behind mos/mos.h: per-packet processing (raw
 * monitors, flow lookup/creation, sender then receiver TCP update, hook
 * dispatch), conn_new_data batching, flow ends, monitors and their pcap
 * filters, the current-packet view, packet edits, RST recording.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mos/mos.h"
#include "api_private.h"

#define MAX_MONITORS 64
#define BPF_CACHE 4                  /* link types compiled per filter */

static const char *const client_by_names[] = { "syn", "synack", "port", "first" };

/* --- pcap filters -------------------------------------------------------- */

struct bpfc {
	int linktype;                /* link type it was compiled for */
	bool ok;                     /* compiled */
	struct bpf_program prog;     /* the program */
};

struct pfilter {
	char *expr;                  /* expression, NULL = match all */
	struct bpfc c[BPF_CACHE];    /* compiled per link type */
	uint8_t n;                   /* used entries */
};

/* pcap link type numbers (LINKTYPE_*) as libpcap DLT_* values. */
static int
dlt_of(int linktype)
{
	switch (linktype) {
	case MOS_LINK_RAW: return DLT_RAW;
	case MOS_LINK_NULL: return DLT_NULL;
	case MOS_LINK_ETHERNET: return DLT_EN10MB;
	case MOS_LINK_LOOP: return DLT_LOOP;
	case MOS_LINK_LINUX_SLL: return DLT_LINUX_SLL;
	default: return linktype;    /* 228, 229, 276: same numbers */
	}
}

static int
pfilter_compile(int linktype, const char *expr, struct bpf_program *prog)
{
	pcap_t *pd = pcap_open_dead(dlt_of(linktype), 65535);
	int rc;

	if (pd == NULL)
		return -ENOMEM;
	rc = pcap_compile(pd, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
	pcap_close(pd);
	return rc == 0 ? 0 : -EINVAL;
}

static void
pfilter_clear(struct pfilter *f)
{
	for (uint8_t i = 0; i < f->n; i++)
		if (f->c[i].ok)
			pcap_freecode(&f->c[i].prog);
	free(f->expr);
	memset(f, 0, sizeof(*f));
}

static int
pfilter_set(struct pfilter *f, const char *expr)
{
	struct bpf_program prog;
	char *copy = NULL;
	int rc;

	if (expr) {
		/* Validate on Ethernet, the common case; other link types
		 * are compiled when their first frame arrives. */
		if ((rc = pfilter_compile(MOS_LINK_ETHERNET, expr, &prog)) < 0)
			return rc;
		pcap_freecode(&prog);
		if ((copy = strdup(expr)) == NULL)
			return -ENOMEM;
	}
	pfilter_clear(f);
	f->expr = copy;
	return 0;
}

static bool
pfilter_match(struct mos_ctx *ctx, struct pfilter *f, const struct mos_pkt *p, int linktype)
{
	struct pcap_pkthdr h;
	struct bpfc *c = NULL;

	if (f->expr == NULL)
		return true;
	for (uint8_t i = 0; i < f->n; i++)
		if (f->c[i].linktype == linktype)
			c = &f->c[i];
	if (c == NULL) {
		if (f->n == BPF_CACHE) {
			ctx->st.raw_filter_errors++;
			return false;
		}
		c = &f->c[f->n++];
		c->linktype = linktype;
		c->ok = pfilter_compile(linktype, f->expr, &c->prog) == 0;
		if (!c->ok)
			ctx->st.raw_filter_errors++;
	}
	if (!c->ok || p->data == NULL)
		return false;
	memset(&h, 0, sizeof(h));
	h.caplen = p->caplen;
	h.len = p->wirelen;
	return pcap_offline_filter(&c->prog, &h, p->data) != 0;
}

struct mos_monitor {
	struct mos_ctx *ctx;         /* owning context */
	uint16_t idx;                /* owner index in the event engine */
	uint8_t type;                /* enum mos_monitor_type */
	bool midstream;              /* follows midstream flows */
	void *uctx;                  /* application pointer */
	uint32_t set;                /* registration set {this monitor} */
	struct pfilter syn;          /* SYN-time flow filter */
	struct pfilter orphan;       /* orphan filter */
	struct pfilter raw;          /* raw packet filter */
	uint32_t sbuf[2];            /* stream window for the bytes SENT by side [i], 0 = off */
	int spol[2];                 /* overlap policy for them */
	bool scount[2];              /* they are counted, never read (mos_monitor_set_stream_count_only) */
};

/* --- context ----------------------------------------------------------- */

void
mos_ctx_config_default(struct mos_ctx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	mos_flow_table_config_default(&cfg->flows);
	cfg->events.max_owners = MAX_MONITORS;
	cfg->max_timers = 65536;
	cfg->timer_tick_ns = 1000000;
	cfg->max_injected = 1024;
	cfg->n_workers = 1;
	cfg->inject_bytes = 256u << 10;
	cfg->frags.max_datagrams = 256;      /* 1 MiB of fragment pages; raise for fragment-heavy links */
	cfg->frags.n_pages = 256;
}

static void release_cb(void *arg, struct mos_flow *f, int reason);

struct mos_ctx *
mos_ctx_create(const struct mos_ctx_config *cfg)
{
	struct mos_ctx_config def;
	struct mos_ctx *ctx;
	struct mos_flow_table_config fc;

	if (cfg == NULL) {
		mos_ctx_config_default(&def);
		cfg = &def;
	}
	if (cfg->max_timers == 0 || cfg->max_timers >= (1u << 20) || cfg->timer_tick_ns == 0 ||
	    cfg->events.max_owners > MAX_MONITORS) {
		errno = EINVAL;
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->cfg = *cfg;
	if (ctx->cfg.events.max_owners == 0)
		ctx->cfg.events.max_owners = MAX_MONITORS;
	fc = cfg->flows;
	fc.release = release_cb;
	fc.release_arg = ctx;
	ctx->flows = mos_flow_table_create(&fc);
	if (ctx->flows == NULL)
		goto fail;
	ctx->es = mos_evsys_create(&ctx->cfg.events);
	if (ctx->es == NULL)
		goto fail;
	ctx->pend_cap = 1024;
	ctx->pend = calloc(ctx->pend_cap, sizeof(*ctx->pend));
	ctx->inj = calloc(cfg->max_injected ? cfg->max_injected : 1, sizeof(*ctx->inj));
	ctx->inj_area = malloc(cfg->inject_bytes ? cfg->inject_bytes : 1);
	if (ctx->pend == NULL || ctx->inj == NULL || ctx->inj_area == NULL || mos_timers_init(ctx) < 0)
		goto fail;
	if (!cfg->no_defrag) {
		ctx->frag = mos_ipfrag_create(&cfg->frags);
		ctx->frag_out = malloc((size_t)MOS_FRAG_SLOTS * MOS_IPFRAG_OUT_MAX);
		if (ctx->frag == NULL || ctx->frag_out == NULL)
			goto fail;
	}
	ctx->cur_linktype = -1;
	return ctx;
fail:
	mos_ctx_destroy(ctx);
	errno = errno ? errno : ENOMEM;
	return NULL;
}

void
mos_ctx_destroy(struct mos_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (int i = 0; i < ctx->n_mon; i++) {
		pfilter_clear(&ctx->mon[i]->syn);
		pfilter_clear(&ctx->mon[i]->orphan);
		pfilter_clear(&ctx->mon[i]->raw);
		free(ctx->mon[i]);
	}
	mos_timers_fini(ctx);
	mos_stream_pool_free(ctx->spool);
	mos_ipfrag_free(ctx->frag);
	free(ctx->frag_out);
	if (ctx->cow)
		munmap(ctx->cow, MOS_COW_BYTES);
	mos_flow_table_destroy(ctx->flows);
	mos_evsys_destroy(ctx->es);
	free(ctx->pend);
	free(ctx->inj);
	free(ctx->inj_area);
	free(ctx);
}

void mos_ctx_set_user(struct mos_ctx *ctx, void *user) { if (ctx) ctx->user = user; }
void *mos_ctx_get_user(const struct mos_ctx *ctx) { return ctx ? ctx->user : NULL; }
int mos_ctx_core(const struct mos_ctx *ctx) { return ctx ? ctx->cfg.core : -EINVAL; }
unsigned mos_ctx_workers(const struct mos_ctx *ctx) { return ctx && ctx->cfg.n_workers ? ctx->cfg.n_workers : 1; }
uint64_t mos_ctx_now(const struct mos_ctx *ctx) { return ctx ? ctx->now : 0; }
const struct mos_ctx_stats *mos_ctx_stats(const struct mos_ctx *ctx) { return ctx ? &ctx->st : NULL; }
struct mos_flow_table *mos_ctx_flows(struct mos_ctx *ctx) { return ctx->flows; }
struct mos_evsys *mos_ctx_events(struct mos_ctx *ctx) { return ctx->es; }
struct mos_ipfrag_table *mos_ctx_ipfrag(struct mos_ctx *ctx) { return ctx ? ctx->frag : NULL; }

/* --- monitors ----------------------------------------------------------- */

struct mos_monitor *
mos_monitor_create(struct mos_ctx *ctx, int type)
{
	struct mos_monitor *m;
	int set;

	if (ctx == NULL || (type != MOS_MONITOR_STREAM && type != MOS_MONITOR_RAW)) {
		errno = EINVAL;
		return NULL;
	}
	if (ctx->n_mon >= (int)ctx->cfg.events.max_owners) {
		errno = ENOSPC;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->ctx = ctx;
	m->idx = (uint16_t)ctx->n_mon;
	m->type = (uint8_t)type;
	m->midstream = true;
	set = mos_evsys_set_add_owner(ctx->es, MOS_EVSET_EMPTY, m->idx);
	if (set < 0) {
		free(m);
		errno = -set;
		return NULL;
	}
	m->set = (uint32_t)set;
	ctx->mon[ctx->n_mon++] = m;
	return m;
}

int
mos_monitor_set_filter(struct mos_monitor *m, const char *syn_filter, const char *orphan_filter)
{
	struct pfilter a = { 0 }, b = { 0 };
	int rc;

	if (m == NULL || m->type != MOS_MONITOR_STREAM)
		return -EINVAL;
	if ((rc = pfilter_set(&a, syn_filter)) < 0)
		return rc;
	if ((rc = pfilter_set(&b, orphan_filter)) < 0) {
		pfilter_clear(&a);
		return rc;
	}
	pfilter_clear(&m->syn);
	pfilter_clear(&m->orphan);
	m->syn = a;
	m->orphan = b;
	return 0;
}

int
mos_monitor_set_raw_filter(struct mos_monitor *m, const char *filter)
{
	if (m == NULL || m->type != MOS_MONITOR_RAW)
		return -EINVAL;
	return pfilter_set(&m->raw, filter);
}

int
mos_monitor_set_midstream(struct mos_monitor *m, bool on)
{
	if (m == NULL || m->type != MOS_MONITOR_STREAM)
		return -EINVAL;
	m->midstream = on;
	return 0;
}

static void stream_event_cb(struct mos_stream *s, const struct mos_stream_event *ev, void *arg);

int
mos_monitor_set_stream(struct mos_monitor *m, int side, uint32_t buf_size, int policy)
{
	struct mos_ctx *ctx;

	if (m == NULL || m->type != MOS_MONITOR_STREAM || side < MOS_SIDE_CLI || side > MOS_SIDE_BOTH ||
	    policy < 0 || policy >= MOS_STREAM_POLICY_COUNT)
		return -EINVAL;
	ctx = m->ctx;
	if (buf_size && ctx->spool == NULL) {
		struct mos_stream_pool_config pc = ctx->cfg.streams;

		pc.event_cb = stream_event_cb;
		pc.event_ctx = ctx;
		ctx->spool = mos_stream_pool_create(&pc);
		if (ctx->spool == NULL)
			return errno == EINVAL ? -EINVAL : -ENOMEM;
	}
	/* @side names the RECEIVING endpoint; store by sender. */
	for (int r = MOS_SIDE_CLI; r <= MOS_SIDE_SVR; r++) {
		if (side != MOS_SIDE_BOTH && side != r)
			continue;
		m->sbuf[1 - r] = buf_size;
		m->spol[1 - r] = policy;
	}
	return 0;
}

int
mos_monitor_set_stream_count_only(struct mos_monitor *m, int side, bool on)
{
	if (m == NULL || m->type != MOS_MONITOR_STREAM || side < MOS_SIDE_CLI || side > MOS_SIDE_BOTH)
		return -EINVAL;
	for (int r = MOS_SIDE_CLI; r <= MOS_SIDE_SVR; r++)
		if (side == MOS_SIDE_BOTH || side == r)
			m->scount[1 - r] = on;     /* stored by sender, as sbuf */
	return 0;
}

struct mos_stream_pool *mos_ctx_stream_pool(struct mos_ctx *ctx) { return ctx->spool; }
const struct mos_stream_event *mos_stream_event_current(const struct mos_ctx *ctx) { return ctx->cur_sev; }

struct mos_stream *
mos_flow_stream(const struct mos_flow *flow, int side)
{
	if (flow == NULL || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR))
		return NULL;
	return flow->end[1 - side].stream;
}

void mos_monitor_set_uctx(struct mos_monitor *m, void *uctx) { if (m) m->uctx = uctx; }
void *mos_monitor_get_uctx(const struct mos_monitor *m) { return m ? m->uctx : NULL; }
struct mos_ctx *mos_monitor_ctx(const struct mos_monitor *m) { return m ? m->ctx : NULL; }

int
mos_register_callback(struct mos_monitor *m, uint32_t ev, int hook, mos_callback_fn cb, void *user)
{
	if (m == NULL)
		return -EINVAL;
	/* Raw monitors see frames only: pkt_in at MOS_HOOK_NONE (and UDEs on it). */
	if (m->type == MOS_MONITOR_RAW &&
	    (hook != MOS_HOOK_NONE || mos_evsys_root(m->ctx->es, ev) != MOS_EV_PKT_IN))
		return -EINVAL;
	/* pkt_in at MOS_HOOK_NONE is the raw monitors' event: on a stream
	 * monitor it would never fire (mOS accepted it silently). */
	if (m->type == MOS_MONITOR_STREAM && hook == MOS_HOOK_NONE &&
	    mos_evsys_root(m->ctx->es, ev) == MOS_EV_PKT_IN)
		return -EINVAL;
	return mos_evsys_listen(m->ctx->es, m->idx, m, ev, hook, cb, user);
}

int
mos_unregister_callback(struct mos_monitor *m, uint32_t ev, int hook, mos_callback_fn cb)
{
	if (m == NULL)
		return -EINVAL;
	return mos_evsys_unlisten(m->ctx->es, m->idx, ev, hook, cb);
}

/* Whether @f is a live flow of @ctx's table. */
static bool
flow_ok(struct mos_ctx *ctx, const struct mos_flow *f)
{
	return mos_flow_table_owns(ctx->flows, f);
}

int
mos_register_flow_callback(struct mos_monitor *m, struct mos_flow *flow, uint32_t ev, int hook,
			   mos_callback_fn cb, void *user)
{
	int set;

	if (m == NULL || m->type != MOS_MONITOR_STREAM || !flow_ok(m->ctx, flow))
		return -EINVAL;
	set = mos_evsys_set_add(m->ctx->es, flow->regset, m->idx, m, ev, hook, cb, user);
	if (set < 0)
		return set;
	flow->regset = (uint32_t)set;
	return 0;
}

int
mos_unregister_flow_callback(struct mos_monitor *m, struct mos_flow *flow, uint32_t ev, int hook,
			     mos_callback_fn cb)
{
	int set;

	if (m == NULL || !flow_ok(m->ctx, flow))
		return -EINVAL;
	set = mos_evsys_set_del(m->ctx->es, flow->regset, m->idx, ev, hook, cb);
	if (set < 0)
		return set;
	flow->regset = (uint32_t)set;
	return 0;
}

int
mos_define_event(struct mos_ctx *ctx, uint32_t parent, mos_filter_fn filter, const void *arg,
		 size_t len)
{
	if (ctx == NULL)
		return -EINVAL;
	return mos_evsys_define(ctx->es, parent, filter, arg, len, 0, NULL);
}

int
mos_alloc_event(struct mos_ctx *ctx, uint32_t parent)
{
	if (ctx == NULL)
		return -EINVAL;
	return mos_evsys_define(ctx->es, parent, NULL, NULL, 0, MOS_EVDEF_FLOATING, NULL);
}

/* Registration set used for events of no flow: every stream monitor. */
static uint32_t
orphan_set(struct mos_ctx *ctx)
{
	uint32_t set = MOS_EVSET_EMPTY;

	for (int i = 0; i < ctx->n_mon; i++) {
		int s;

		if (ctx->mon[i]->type != MOS_MONITOR_STREAM)
			continue;
		s = mos_evsys_set_add_owner(ctx->es, set, ctx->mon[i]->idx);
		if (s >= 0)
			set = (uint32_t)s;
	}
	return set;
}

int
mos_raise_event(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t ev)
{
	uint32_t set;
	int root, rc = 0;
	unsigned hooks;

	if (ctx == NULL || (flow && !flow_ok(ctx, flow)) || ev < MOS_EV_UDE_BASE ||
	    (root = mos_evsys_root(ctx->es, ev)) < 0)
		return -EINVAL;
	set = flow ? flow->regset : orphan_set(ctx);
	if (ctx->in_dispatch) {
		rc = mos_evsys_raise(ctx->es, set, ev, ctx->cur_hook, ctx, flow, side);
	} else {
		hooks = mos_event_builtin_hooks((uint32_t)root);
		for (int h = 0; h < MOS_HOOK_COUNT && rc == 0; h++)
			if (hooks & (1u << h))
				rc = mos_evsys_raise(ctx->es, set, ev, h, ctx, flow, side);
	}
	if (rc == -ENOSPC)
		ctx->st.raises_refused++;
	return rc;
}

int
mos_ctx_load_forest(struct mos_ctx *ctx, const struct mos_abi_forest *fo,
		    struct mos_monitor **mons, uint32_t *ids)
{
	struct mos_monitor *local[MAX_MONITORS];
	uint32_t *map;
	int rc = 0;

	if (ctx == NULL || fo == NULL)
		return -EINVAL;
	if (fo->abi_version != MOS_ABI_VERSION || fo->struct_size != sizeof(*fo))
		return -EPROTO;
	if (fo->n_monitors > MAX_MONITORS || (fo->n_monitors && !fo->monitors) ||
	    (fo->n_events && !fo->events) || (fo->n_handlers && !fo->handlers))
		return -EINVAL;
	map = calloc(fo->n_events ? fo->n_events : 1, sizeof(*map));
	if (map == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < fo->n_monitors && rc == 0; i++) {
		const struct mos_abi_monitor *am = &fo->monitors[i];

		local[i] = mos_monitor_create(ctx, (int)am->type);
		if (local[i] == NULL) {
			rc = -errno;
			break;
		}
		if (am->type == MOS_MONITOR_STREAM) {
			rc = mos_monitor_set_filter(local[i], am->syn_filter, am->orphan_filter);
			if (rc == 0)
				rc = mos_monitor_set_midstream(local[i], !(am->flags & MOS_ABI_MON_NO_MIDSTREAM));
		} else {
			rc = mos_monitor_set_raw_filter(local[i], am->raw_filter);
		}
		if (mons)
			mons[i] = local[i];
	}
	for (uint32_t i = 0; i < fo->n_events && rc == 0; i++) {
		const struct mos_abi_event *ae = &fo->events[i];
		uint32_t parent = ae->parent;
		int id;

		if (parent >= MOS_EV_UDE_BASE) {
			if (parent - MOS_EV_UDE_BASE >= i) {
				rc = -EINVAL;  /* parents must come first */
				break;
			}
			parent = map[parent - MOS_EV_UDE_BASE];
		}
		id = mos_evsys_define(ctx->es, parent, ae->filter, ae->arg, ae->arg_len,
				      (ae->flags & MOS_ABI_EV_FLOATING) ? MOS_EVDEF_FLOATING : 0,
				      ae->name);
		if (id < 0)
			rc = id;
		else
			map[i] = (uint32_t)id;
		if (ids)
			ids[i] = map[i];
	}
	for (uint32_t i = 0; i < fo->n_handlers && rc == 0; i++) {
		const struct mos_abi_handler *ah = &fo->handlers[i];
		uint32_t ev = ah->event;

		if (ah->monitor >= fo->n_monitors) {
			rc = -EINVAL;
			break;
		}
		if (ev >= MOS_EV_UDE_BASE) {
			if (ev - MOS_EV_UDE_BASE >= fo->n_events) {
				rc = -EINVAL;
				break;
			}
			ev = map[ev - MOS_EV_UDE_BASE];
		}
		rc = mos_register_callback(local[ah->monitor], ev, (int)ah->hook, ah->cb, ah->user);
	}
	free(map);
	return rc;
}

/* --- dispatch helpers -------------------------------------------------- */

static bool
side_stopped(const struct mos_flow *f, int side)
{
	uint16_t both = MOS_FLOW_F_STOP_CLI | MOS_FLOW_F_STOP_SVR;

	if (side == MOS_SIDE_BOTH)
		return (f->flags & both) == both;
	return f->flags & (side == MOS_SIDE_CLI ? MOS_FLOW_F_STOP_CLI : MOS_FLOW_F_STOP_SVR);
}

/* Dispatch built-in @ev at @hook for @side of @f (skipped when stopped). */
static void
fire(struct mos_ctx *ctx, struct mos_flow *f, uint32_t ev, int hook, int side)
{
	int saved_hook = ctx->cur_hook;
	bool saved = ctx->in_dispatch;

	if (f->regset == MOS_EVSET_EMPTY || side_stopped(f, side))
		return;
	ctx->cur_hook = hook;
	ctx->in_dispatch = true;
	mos_evsys_dispatch(ctx->es, f->regset, ev, hook, ctx, f, side);
	ctx->in_dispatch = saved;
	ctx->cur_hook = saved_hook;
}

/* Fire the events of one endpoint update at @hook, in the documented order.
 * Only events that the flow's set has callbacks for at @hook are
 * dispatched (one mask read instead of a call per event); the mask is read
 * again after each dispatch, since callbacks may change registrations. */
static void
fire_bits(struct mos_ctx *ctx, struct mos_flow *f, int hook, int side, unsigned bits, bool tcp)
{
	static const struct {
		unsigned bit;        /* MOS_TCPEV_* that triggers it (0: always) */
		uint32_t ev;         /* built-in event */
	} order[] = {
		{ 0, MOS_EV_PKT_IN },   /* MOS_EV_UDP_PKT for UDP */
		{ MOS_TCPEV_CONN_START, MOS_EV_CONN_START },
		{ MOS_TCPEV_STATE, MOS_EV_TCP_STATE_CHANGE },
		{ MOS_TCPEV_ESTABLISHED, MOS_EV_CONN_ESTABLISHED },
		{ MOS_TCPEV_REXMIT, MOS_EV_REXMIT },
		{ MOS_TCPEV_RST_OOW, MOS_EV_RST_OUT_OF_WINDOW },
	};
	uint32_t m, raised = 1u << (tcp ? MOS_EV_PKT_IN : MOS_EV_UDP_PKT);

	if (f->regset == MOS_EVSET_EMPTY)
		return;
	bits &= MOS_TCPEV_CONN_START | MOS_TCPEV_STATE | MOS_TCPEV_ESTABLISHED | MOS_TCPEV_REXMIT |
		MOS_TCPEV_RST_OOW;
	for (unsigned i = 1; bits != 0 && i < sizeof(order) / sizeof(order[0]); i++)
		if (bits & order[i].bit)
			raised |= 1u << order[i].ev;
	m = mos_evsys_mask(ctx->es, f->regset, hook);
	/* most packets raise only pkt_in, which most programs do not handle */
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]) && (m & raised); i++) {
		uint32_t ev = i == 0 && !tcp ? MOS_EV_UDP_PKT : order[i].ev;

		if (!(m & raised & (1u << ev)))
			continue;
		fire(ctx, f, ev, hook, side);
		m = f->regset == MOS_EVSET_EMPTY ? 0 : mos_evsys_mask(ctx->es, f->regset, hook);
	}
}

/* End @f: decide the reason, raise timeout/conn_end once per side, remove. */
static void
end_flow(struct mos_ctx *ctx, struct mos_flow *f, int reason)
{
	const struct mos_pkt *saved_pkt = ctx->cur_pkt;
	int saved_side = ctx->cur_side;

	if (f->flags & MOS_FLOW_F_ENDING)
		return;
	f->flags |= MOS_FLOW_F_ENDING;
	if (f->flags & MOS_FLOW_F_CLOSED)
		reason = (f->flags & MOS_FLOW_F_RST) ? MOS_FLOW_END_RST : MOS_FLOW_END_FIN;
	f->end_reason = (uint8_t)reason;
	struct mos_flow *saved_flow = ctx->cur_flow;

	if (reason == MOS_FLOW_END_TIMEOUT)
		ctx->st.events[MOS_EV_TIMEOUT]++;
	ctx->st.events[MOS_EV_CONN_END]++;
	ctx->cur_pkt = NULL;         /* conn_end and timeout carry no packet */
	ctx->cur_flow = NULL;
	ctx->cur_side = MOS_SIDE_BOTH;
	if (f->regset != MOS_EVSET_EMPTY) {
		/* Hookless events of the end come once per connection
		 * (side BOTH); at the hooks conn_end comes once per side. */
		if (reason == MOS_FLOW_END_TIMEOUT)
			fire(ctx, f, MOS_EV_TIMEOUT, MOS_HOOK_NONE, MOS_SIDE_BOTH);
		for (int s = MOS_SIDE_CLI; s <= MOS_SIDE_SVR; s++) {
			fire(ctx, f, MOS_EV_CONN_END, MOS_HOOK_SND, s);
			fire(ctx, f, MOS_EV_CONN_END, MOS_HOOK_RCV, s);
		}
		fire(ctx, f, MOS_EV_CONN_END, MOS_HOOK_NONE, MOS_SIDE_BOTH);
	}
	ctx->cur_pkt = saved_pkt;
	ctx->cur_flow = saved_flow == f ? NULL : saved_flow;
	ctx->cur_side = saved_side;
	for (int s = MOS_SIDE_CLI; s <= MOS_SIDE_SVR; s++) {
		mos_stream_destroy(f->end[s].stream);
		f->end[s].stream = NULL;
	}
	mos_flow_remove(ctx->flows, f);
}

static void
release_cb(void *arg, struct mos_flow *f, int reason)
{
	end_flow(arg, f, reason);
}

/*
 * Scope filters (a stream monitor's syn and orphan filters) select flows,
 * not frames: they see @p as an Ethernet frame carrying its (innermost)
 * IP header and what follows, whatever carried it (VLAN, QinQ, MPLS,
 * PPPoE, Linux cooked or raw-IP captures, tunnels), so "tcp port 80"
 * also matches a tagged flow. The MAC addresses are kept when the
 * capture has them. Frames without IP are matched as captured. Returns
 * the packet to match and sets *@linktype to its link type.
 */
static const struct mos_pkt *
scope_view(struct mos_ctx *ctx, const struct mos_pkt *p, int *linktype, struct mos_pkt *tmp)
{
	uint8_t *f = ctx->scope_frame;
	uint32_t n;

	if (p->ip_version == 0 || p->data == NULL || p->l3_off > p->caplen ||
	    (*linktype == MOS_LINK_ETHERNET && p->l3_off == 14))
		return p;
	if (*linktype == MOS_LINK_ETHERNET && p->caplen >= 12)
		memcpy(f, p->data, 12);
	else
		memset(f, 0, 12);
	f[12] = p->ip_version == 4 ? 0x08 : 0x86;
	f[13] = p->ip_version == 4 ? 0x00 : 0xdd;
	n = p->caplen - p->l3_off;
	if (n > MOS_SCOPE_SNAP - 14)
		n = MOS_SCOPE_SNAP - 14;
	memcpy(f + 14, p->data + p->l3_off, n);
	*tmp = *p;
	tmp->data = f;
	tmp->caplen = 14 + n;
	tmp->wirelen = 14 + (p->wirelen > p->l3_off ? p->wirelen - p->l3_off : n);
	tmp->l3_off = 14;
	*linktype = MOS_LINK_ETHERNET;
	return tmp;
}

/* A packet's scope view, made at the first scope filter that needs it. */
struct scope {
	const struct mos_pkt *v;     /* the view, NULL until made */
	int linktype;                /* its link type */
	struct mos_pkt tmp;          /* its storage when rebuilt */
};

/* Does scope filter @f accept @p (seen through @sc)? */
static bool
scope_match(struct mos_ctx *ctx, struct pfilter *f, const struct mos_pkt *p, int linktype,
	    struct scope *sc)
{
	if (f->expr == NULL)
		return true;
	if (sc->v == NULL) {
		sc->linktype = linktype;
		sc->v = scope_view(ctx, p, &sc->linktype, &sc->tmp);
	}
	return pfilter_match(ctx, f, sc->v, sc->linktype);
}

static void
orphan(struct mos_ctx *ctx, const struct mos_pkt *p, int linktype)
{
	bool saved = ctx->in_dispatch;
	struct scope sc = { .v = NULL };

	ctx->st.orphans++;
	ctx->st.events[MOS_EV_ORPHAN]++;
	for (int i = 0; i < ctx->n_mon; i++) {
		struct mos_monitor *m = ctx->mon[i];

		if (m->type != MOS_MONITOR_STREAM ||
		    !mos_evsys_wants(ctx->es, m->set, MOS_EV_ORPHAN, MOS_HOOK_NONE) ||
		    !scope_match(ctx, &m->orphan, p, linktype, &sc))
			continue;
		ctx->in_dispatch = true;
		ctx->cur_hook = MOS_HOOK_NONE;
		mos_evsys_dispatch(ctx->es, m->set, MOS_EV_ORPHAN, MOS_HOOK_NONE, ctx, NULL,
				   MOS_SIDE_BOTH);
		ctx->in_dispatch = saved;
	}
}

/* --- per packet ---------------------------------------------------------- */

static void
advance(struct mos_ctx *ctx, uint64_t now)
{
	if (now > ctx->now)
		ctx->now = now;
	/* O(1) when no list head can have expired yet (the common case). */
	if (ctx->now >= mos_flow_next_expiry(ctx->flows))
		mos_flow_expire(ctx->flows, ctx->now);
	mos_timers_run(ctx, ctx->now);
}

void
mos_ctx_advance(struct mos_ctx *ctx, uint64_t now_ns)
{
	if (ctx == NULL)
		return;
	advance(ctx, now_ns);
	if (ctx->frag)
		mos_ipfrag_expire(ctx->frag, ctx->now);
}

uint64_t
mos_ctx_due(const struct mos_ctx *ctx)
{
	uint64_t due, frag;

	if (ctx == NULL || !ctx->wheel_started)
		return 0;
	due = mos_flow_next_expiry(ctx->flows);
	if (ctx->wheel_next_ns < due)
		due = ctx->wheel_next_ns;
	frag = ctx->frag ? mos_ipfrag_next_expiry(ctx->frag) : UINT64_MAX;
	return frag < due ? frag : due;
}

/* Registration set of a new flow: the stream monitors that want it. */
static uint32_t
monitors_for(struct mos_ctx *ctx, const struct mos_pkt *p, int linktype, bool midstream)
{
	uint32_t set = MOS_EVSET_EMPTY;
	bool any = false;
	struct scope sc = { .v = NULL };

	for (int i = 0; i < ctx->n_mon; i++) {
		struct mos_monitor *m = ctx->mon[i];
		int s;

		if (m->type != MOS_MONITOR_STREAM || (midstream && !m->midstream) ||
		    !scope_match(ctx, &m->syn, p, linktype, &sc))
			continue;
		any = true;
		s = mos_evsys_set_add_owner(ctx->es, set, m->idx);
		if (s >= 0)
			set = (uint32_t)s;
	}
	return any ? set : UINT32_MAX;
}

static int
tcp_class(const struct mos_flow *f)
{
	const struct mos_tcp_end *c = &f->end[MOS_SIDE_CLI], *s = &f->end[MOS_SIDE_SVR];

	if (f->flags & MOS_FLOW_F_CLOSED)
		return MOS_FLOW_CLASS_CLOSED;
	if (c->state <= MOS_TCP_SYN_RCVD || s->state <= MOS_TCP_SYN_RCVD)
		return MOS_FLOW_CLASS_OPENING;
	return MOS_FLOW_CLASS_ACTIVE;
}

static void
queue_new_data(struct mos_ctx *ctx, struct mos_flow *f, int sside, const struct mos_pkt *p,
	       int linktype)
{
	uint16_t bit = sside == MOS_SIDE_CLI ? MOS_FLOW_F_NEWDATA_CLI : MOS_FLOW_F_NEWDATA_SVR;
	struct mos_pending *pe;

	if (f->regset == MOS_EVSET_EMPTY ||
	    !mos_evsys_wants(ctx->es, f->regset, MOS_EV_CONN_NEW_DATA, MOS_HOOK_NONE))
		return;
	if (f->flags & bit) {
		/* Already queued in this burst: remember the newest packet. */
		for (uint32_t i = ctx->n_pend; i-- > 0;) {
			pe = &ctx->pend[i];
			if (pe->flow == mos_flow_index(ctx->flows, f) && pe->gen == f->gen &&
			    pe->side == sside) {
				pe->pkt = p;
				pe->linktype = linktype;
				return;
			}
		}
	}
	if (ctx->n_pend == ctx->pend_cap)
		mos_ctx_burst_end(ctx);      /* deliver early rather than lose */
	f->flags |= bit;
	pe = &ctx->pend[ctx->n_pend++];
	pe->flow = mos_flow_index(ctx->flows, f);
	pe->gen = f->gen;
	pe->side = (uint8_t)sside;
	pe->pkt = p;
	pe->linktype = linktype;
}

void
mos_ctx_burst_end(struct mos_ctx *ctx)
{
	const struct mos_pkt *saved;
	int saved_lt, saved_side;

	if (ctx == NULL)
		return;
	saved = ctx->cur_pkt;
	saved_lt = ctx->cur_linktype;
	saved_side = ctx->cur_side;

	for (uint32_t i = 0; i < ctx->n_pend; i++) {
		struct mos_pending *pe = &ctx->pend[i];
		struct mos_flow *f = mos_flow_at(ctx->flows, pe->flow);
		uint16_t bit = pe->side == MOS_SIDE_CLI ? MOS_FLOW_F_NEWDATA_CLI : MOS_FLOW_F_NEWDATA_SVR;

		if (!mos_flow_in_use(ctx->flows, pe->flow) || f->gen != pe->gen || !(f->flags & bit))
			continue;
		f->flags &= (uint16_t)~bit;
		if (f->end[pe->side].stream && mos_stream_new_data(f->end[pe->side].stream) == 0)
			continue;    /* e.g. only out-of-order bytes */
		ctx->cur_pkt = pe->pkt;
		ctx->cur_flow = f;
		ctx->cur_linktype = pe->linktype;
		ctx->cur_side = pe->side;
		ctx->st.events[MOS_EV_CONN_NEW_DATA]++;
		/* mOS convention: side = the endpoint whose receive stream grew. */
		fire(ctx, f, MOS_EV_CONN_NEW_DATA, MOS_HOOK_NONE, 1 - pe->side);
	}
	ctx->n_pend = 0;
	ctx->frag_used = 0;          /* reassembled datagrams may be reused now */
	ctx->cow_used = 0;           /* and copies of borrowed frames */
	ctx->cur_flow = NULL;
	ctx->cur_pkt = saved;
	ctx->cur_linktype = saved_lt;
	ctx->cur_side = saved_side;
}

static struct mos_flow *
new_flow(struct mos_ctx *ctx, const struct mos_flow_key *key, bool src_is_lo,
	 const struct mos_pkt *p, int linktype, bool tcp)
{
	bool syn = tcp && (p->tcp_flags & (MOS_TCP_SYN | MOS_TCP_ACK)) == MOS_TCP_SYN;
	uint32_t set = monitors_for(ctx, p, linktype, tcp && !syn);
	struct mos_flow *f;
	bool cli_is_src;
	int by;

	if (set == UINT32_MAX) {
		ctx->st.not_monitored++;
		return NULL;
	}
	f = mos_flow_insert(ctx->flows, key, tcp ? MOS_FLOW_CLASS_OPENING : MOS_FLOW_CLASS_UDP,
			    ctx->now);
	if (f == NULL) {
		ctx->st.refused++;
		return NULL;
	}
	if (!tcp) {
		cli_is_src = true;
		by = MOS_FLOW_BY_FIRST;
		f->flags |= MOS_FLOW_F_UDP;
	} else if (syn) {
		cli_is_src = true;
		by = MOS_FLOW_BY_SYN;
	} else if ((p->tcp_flags & (MOS_TCP_SYN | MOS_TCP_ACK)) == (MOS_TCP_SYN | MOS_TCP_ACK)) {
		cli_is_src = false;
		by = MOS_FLOW_BY_SYNACK;
	} else if (p->sport < 1024 && p->dport >= 1024) {
		cli_is_src = false;
		by = MOS_FLOW_BY_PORT;
	} else {
		cli_is_src = true;
		by = MOS_FLOW_BY_FIRST;
	}
	if (cli_is_src == src_is_lo)
		f->flags |= MOS_FLOW_F_CLI_IS_LO;
	f->flags |= (uint16_t)(by << MOS_FLOW_F_BY_SHIFT);
	if (tcp && !syn) {
		f->flags |= MOS_FLOW_F_MIDSTREAM;
		ctx->st.midstream++;
	}
	f->regset = set;
	if (tcp && ctx->spool) {
		for (int i = 0; i < ctx->n_mon; i++) {
			struct mos_monitor *m = ctx->mon[i];

			if (!mos_evsys_set_has_owner(ctx->es, set, m->idx))
				continue;
			if (m->sbuf[MOS_SIDE_CLI])
				f->flags |= MOS_FLOW_F_BUF_CLI;
			if (m->sbuf[MOS_SIDE_SVR])
				f->flags |= MOS_FLOW_F_BUF_SVR;
		}
	}
	if (tcp) {
		int s = mos_flow_sender_side(f, src_is_lo);

		mos_tcp_init(&f->end[s], &f->end[1 - s], p);
	} else {
		f->end[0].state = f->end[1].state = MOS_TCP_ESTABLISHED;
	}
	return f;
}

static void
udp_input(struct mos_ctx *ctx, struct mos_flow *f, bool created, bool src_is_lo)
{
	int s = mos_flow_sender_side(f, src_is_lo);
	struct mos_tcp_end *e = &f->end[s];
	unsigned start = created ? MOS_TCPEV_CONN_START : 0;

	ctx->st.udp++;
	ctx->st.events[MOS_EV_UDP_PKT]++;
	if (created)
		ctx->st.events[MOS_EV_CONN_START]++;
	e->pkts++;
	e->bytes += ctx->cur_pkt->payload_len;
	e->last_ns = ctx->now;
	mos_flow_touch(ctx->flows, f, MOS_FLOW_CLASS_UDP, ctx->now);
	fire_bits(ctx, f, MOS_HOOK_SND, s, start, false);
	fire_bits(ctx, f, MOS_HOOK_RCV, 1 - s, start, false);
}

/* Map a reassembler event to the built-in and deliver it for the
 * receiving side of that stream, at MOS_HOOK_NONE. */
static void
stream_event_cb(struct mos_stream *s, const struct mos_stream_event *ev, void *arg)
{
	struct mos_ctx *ctx = arg;
	struct mos_flow *f = mos_stream_owner(s);
	uint32_t b;
	int sender;

	if (f == NULL)
		return;
	switch (ev->type) {
	case MOS_STREAM_EV_OVERLAP_MISMATCH: b = MOS_EV_OVERLAP_MISMATCH; break;
	case MOS_STREAM_EV_GAP: b = MOS_EV_GAP; break;
	case MOS_STREAM_EV_BUFFER_FULL: b = MOS_EV_BUFFER_FULL; break;
	default: return;
	}
	sender = f->end[MOS_SIDE_CLI].stream == s ? MOS_SIDE_CLI : MOS_SIDE_SVR;
	ctx->cur_sev = ev;
	ctx->st.events[b]++;
	fire(ctx, f, b, MOS_HOOK_NONE, 1 - sender);
	/* mOS's ERROR: data that the receive buffer cannot take. */
	if (b == MOS_EV_BUFFER_FULL) {
		ctx->st.events[MOS_EV_ERROR]++;
		fire(ctx, f, MOS_EV_ERROR, MOS_HOOK_NONE, 1 - sender);
	}
	ctx->cur_sev = NULL;
}

/* Insert the payload (and FIN/RST) of @p, sent by side @ss, into that
 * side's stream, creating it at the first payload. Returns the
 * MOS_STREAM_INS_* flags, or -1 when there is no stream. */
static int
feed(struct mos_ctx *ctx, struct mos_flow *f, int ss, const struct mos_pkt *p)
{
	struct mos_tcp_end *S = &f->end[ss];
	uint32_t len = 0, seq = p->tcp_seq;
	unsigned segf = 0;
	const uint8_t *data = NULL;

	if (p->payload_off <= p->caplen && p->data) {
		len = p->caplen - p->payload_off;
		if (len > p->payload_len)
			len = p->payload_len;
		data = p->data + p->payload_off;
	}
	if (S->stream == NULL) {
		struct mos_stream_config sc = { 0 };
		uint32_t init;

		if (len == 0)
			return -1;   /* created lazily, at the first payload */
		sc.discard = !mos_evsys_wants(ctx->es, f->regset, MOS_EV_OVERLAP_MISMATCH,
					      MOS_HOOK_NONE);
		for (int i = 0; i < ctx->n_mon; i++) {
			struct mos_monitor *m = ctx->mon[i];

			if (!m->sbuf[ss] || !mos_evsys_set_has_owner(ctx->es, f->regset, m->idx))
				continue;
			if (sc.buf_size == 0)
				sc.policy = (enum mos_stream_policy)m->spol[ss];
			if (m->sbuf[ss] > sc.buf_size)
				sc.buf_size = m->sbuf[ss];
			sc.discard &= m->scount[ss];
		}
		sc.owner = f;
		init = (S->flags & (MOS_TCPE_SYN | MOS_TCPE_SYNACK)) ? S->isn + 1 : seq;
		S->stream = mos_stream_create(ctx->spool, init, &sc);
		if (S->stream == NULL) {
			/* No stream object left (counted by the pool): go on unbuffered. */
			f->flags &= (uint16_t)~(ss == MOS_SIDE_CLI ? MOS_FLOW_F_BUF_CLI : MOS_FLOW_F_BUF_SVR);
			return -1;
		}
	}
	if (p->tcp_flags & MOS_TCP_SYN)
		segf |= MOS_STREAM_SEG_SYN;
	if (p->tcp_flags & MOS_TCP_FIN)
		segf |= MOS_STREAM_SEG_FIN;
	if (p->tcp_flags & MOS_TCP_RST)
		segf |= MOS_STREAM_SEG_RST;
	if (len == 0 && !(segf & (MOS_STREAM_SEG_FIN | MOS_STREAM_SEG_RST)))
		return 0;
	return mos_stream_insert(S->stream, seq, data, len, segf);
}

/* Count the events of one TCP packet's two endpoint updates (@sb at SND,
 * @rb at RCV) once each as docs/events.md "Counts" defines: conn_start and
 * conn_established once per connection, tcp_state_change once per
 * endpoint that changed. */
static inline void
count_tcp_events(struct mos_ctx *ctx, unsigned sb, unsigned rb)
{
	ctx->st.events[MOS_EV_CONN_START] += ((sb | rb) & MOS_TCPEV_CONN_START) != 0;
	ctx->st.events[MOS_EV_TCP_STATE_CHANGE] += ((sb & MOS_TCPEV_STATE) != 0) +
						   ((rb & MOS_TCPEV_STATE) != 0);
	ctx->st.events[MOS_EV_CONN_ESTABLISHED] += (rb & MOS_TCPEV_ESTABLISHED) != 0;
}

static void
tcp_input(struct mos_ctx *ctx, struct mos_flow *f, bool created, bool src_is_lo,
	  const struct mos_pkt *p, int linktype)
{
	int ss = mos_flow_sender_side(f, src_is_lo), rs = 1 - ss;
	struct mos_tcp_end *S = &f->end[ss], *R = &f->end[rs];
	unsigned sb, rb;
	bool midstart = created && (f->flags & MOS_FLOW_F_MIDSTREAM);

	ctx->st.tcp++;
	ctx->st.events[MOS_EV_PKT_IN]++;
	ctx->cur_side = ss;
	/* 1. the sending endpoint, then the snd hook */
	sb = mos_tcp_snd(S, R, p, ctx->now);
	if (midstart)
		sb |= MOS_TCPEV_CONN_START;
	if (sb & MOS_TCPEV_REXMIT)
		ctx->st.events[MOS_EV_REXMIT]++;
	if (sb & MOS_TCPEV_RST_OOW)
		ctx->st.events[MOS_EV_RST_OUT_OF_WINDOW]++;
	fire_bits(ctx, f, MOS_HOOK_SND, ss, sb & ~(unsigned)MOS_TCPEV_ESTABLISHED, true);
	/* Reassembly: the sender's bytes go into its stream (the
	 * receiver's buffer, in mOS terms); its ACK may skip holes in the
	 * receiver's stream. */
	if ((f->flags & (ss == MOS_SIDE_CLI ? MOS_FLOW_F_BUF_CLI : MOS_FLOW_F_BUF_SVR)) &&
	    !(sb & MOS_TCPEV_RST_OOW)) {
		int fl = feed(ctx, f, ss, p);

		if (fl >= 0)
			sb = (sb & ~(unsigned)MOS_TCPEV_NEW_DATA) |
			     ((fl & MOS_STREAM_INS_ADVANCED) ? MOS_TCPEV_NEW_DATA : 0);
	}
	if (R->stream && (p->tcp_flags & MOS_TCP_ACK)) {
		uint32_t ack = p->tcp_ack;
		int64_t off;

		/* The FIN takes a sequence number but no stream byte. */
		if ((R->flags & MOS_TCPE_FIN) && mos_seq_gt(ack, R->fin_seq))
			ack = R->fin_seq;
		off = mos_stream_seq_to_off(R->stream, ack);

		/* Skip only a hole with data above it: an ACK beyond the
		 * last byte seen may just precede its data in the capture,
		 * and a trailing hole is not reported (as tshark). */
		if (off > 0 && mos_stream_fragments(R->stream, NULL, 0) > 0 &&
		    mos_stream_skip_to(R->stream, (uint64_t)off) > 0)
			queue_new_data(ctx, f, rs, p, linktype);
	}
	/* 2. the receiving endpoint, then the rcv hook */
	rb = mos_tcp_rcv(R, S, p, !(sb & MOS_TCPEV_RST_OOW));
	if (midstart)
		rb |= MOS_TCPEV_CONN_START;
	rb |= sb & (MOS_TCPEV_RST_OOW | MOS_TCPEV_REXMIT);
	/* conn_established: once, when the second endpoint of a handshake
	 * becomes ESTABLISHED (the client on the SYN-ACK, the server on
	 * the third packet). */
	if ((rb & MOS_TCPEV_ESTABLISHED) && !(f->flags & MOS_FLOW_F_ESTABLISHED) &&
	    !(f->flags & MOS_FLOW_F_MIDSTREAM) && S->state >= MOS_TCP_ESTABLISHED)
		f->flags |= MOS_FLOW_F_ESTABLISHED;
	else
		rb &= ~(unsigned)MOS_TCPEV_ESTABLISHED;
	if (p->tcp_flags & MOS_TCP_RST && !(sb & MOS_TCPEV_RST_OOW))
		f->flags |= MOS_FLOW_F_RST | MOS_FLOW_F_CLOSED;
	if ((mos_tcp_end_done(S) && mos_tcp_end_done(R)) ||
	    ((S->flags & MOS_TCPE_FIN) && (R->flags & MOS_TCPE_FIN) &&
	     S->state >= MOS_TCP_FIN_WAIT_1 && R->state >= MOS_TCP_FIN_WAIT_1))
		f->flags |= MOS_FLOW_F_CLOSED;
	if (f->flags & MOS_FLOW_F_CLOSED) {
		/* lingering: its pages may serve live connections */
		mos_stream_set_reclaimable(S->stream);
		mos_stream_set_reclaimable(R->stream);
	}
	mos_flow_touch(ctx->flows, f, tcp_class(f), ctx->now);
	count_tcp_events(ctx, sb, rb);
	fire_bits(ctx, f, MOS_HOOK_RCV, rs, rb, true);
	if (sb & MOS_TCPEV_NEW_DATA)
		queue_new_data(ctx, f, ss, p, linktype);
}

/* A SYN without ACK on an existing entry that starts a new connection. */
static bool
is_reuse(const struct mos_flow *f, bool src_is_lo, const struct mos_pkt *p)
{
	const struct mos_tcp_end *S = &f->end[mos_flow_sender_side(f, src_is_lo)];

	if ((p->tcp_flags & (MOS_TCP_SYN | MOS_TCP_ACK | MOS_TCP_RST)) != MOS_TCP_SYN)
		return false;
	if ((S->flags & MOS_TCPE_ISN) && p->tcp_seq == S->isn)
		return false;        /* a retransmitted SYN */
	return (f->flags & MOS_FLOW_F_CLOSED) || (S->flags & MOS_TCPE_SYN);
}

/* Give a fragment to the reassembly table. Returns the whole datagram,
 * decoded (with the fragment's VLAN tags and time), when this fragment
 * completed it; NULL when it is held or was dropped. */
static const struct mos_pkt *
defrag(struct mos_ctx *ctx, const struct mos_pkt *p)
{
	struct mos_pkt *q;
	uint8_t *out;
	int n;

	ctx->st.fragments++;
	if (ctx->frag_used == MOS_FRAG_SLOTS)
		mos_ctx_burst_end(ctx);      /* releases the slots (pending events hold them) */
	out = ctx->frag_out + (size_t)ctx->frag_used * MOS_IPFRAG_OUT_MAX;
	n = mos_ipfrag_push(ctx->frag, p, p->data, ctx->now, out, MOS_IPFRAG_OUT_MAX);
	if (n <= 0)
		return NULL;
	q = &ctx->frag_pkt[ctx->frag_used++];
	mos_decode(out, (uint32_t)n, (uint32_t)n, MOS_LINK_RAW, p->ts_ns, q);
	q->n_vlans = p->n_vlans;
	memcpy(q->vlan, p->vlan, sizeof(q->vlan));
	if (p->flags & MOS_PKT_F_VLAN)
		q->flags |= MOS_PKT_F_VLAN;
	ctx->st.reassembled++;
	return q;
}

/* A packet's flow key and hash, computed ahead by mos_ctx_input_burst. */
/* mos_ctx_input with an optional precomputed key (@pre, may be NULL). */
static int
input_one(struct mos_ctx *ctx, const struct mos_pkt *p, int linktype,
	  const struct mos_ctx_hint *pre)
{
	struct mos_flow_key key;
	struct mos_flow *f;
	bool src_is_lo, created = false, tcp, raw_counted = false;
	uint64_t hash;
	int verdict;

	advance(ctx, p->ts_ns);
	ctx->st.packets++;
	ctx->cur_pkt = p;
	ctx->cur_linktype = linktype;
	ctx->cur_side = MOS_SIDE_BOTH;
	ctx->verdict = MOS_VERDICT_FORWARD;
	ctx->rewritten = false;

	for (int i = 0; i < ctx->n_mon; i++) {
		struct mos_monitor *m = ctx->mon[i];

		if (m->type != MOS_MONITOR_RAW ||
		    !mos_evsys_wants(ctx->es, m->set, MOS_EV_PKT_IN, MOS_HOOK_NONE) ||
		    !pfilter_match(ctx, &m->raw, p, linktype))
			continue;
		if (!raw_counted)
			ctx->st.events[MOS_EV_PKT_IN]++;     /* once per frame */
		raw_counted = true;
		pre = NULL;          /* a callback may rewrite the packet: key it again */
		ctx->in_dispatch = true;
		ctx->cur_hook = MOS_HOOK_NONE;
		mos_evsys_dispatch(ctx->es, m->set, MOS_EV_PKT_IN, MOS_HOOK_NONE, ctx, NULL,
				   MOS_SIDE_BOTH);
		ctx->in_dispatch = false;
	}
	if (ctx->rewritten) {
		/* A raw monitor rewrote the frame (e.g. NAT): its addresses
		 * and ports may have changed, so decode it again (in place:
		 * the caller's packet, valid until the burst ends) before the
		 * flow lookup. */
		struct mos_pkt *w = (struct mos_pkt *)(uintptr_t)p;

		mos_decode(p->data, p->caplen, p->wirelen, linktype, p->ts_ns, w);
		ctx->rewritten = false;
	}

	if (ctx->frag && (p->flags & MOS_PKT_F_FRAGMENT) && !(p->flags & MOS_PKT_F_MALFORMED)) {
		p = defrag(ctx, p);
		pre = NULL;
		if (p == NULL)
			goto out;    /* held for reassembly (or dropped and counted) */
		ctx->cur_pkt = p;
		ctx->cur_linktype = linktype = MOS_LINK_RAW;
	}
	/* The precomputed key holds unless a raw-monitor callback ran (it
	 * may have rewritten the packet) or a fragment completed a datagram:
	 * then pre was cleared above and the key is built again. */
	if (pre && pre->valid) {
		key = pre->key;
		src_is_lo = pre->src_is_lo;
		hash = pre->hash;
	} else if ((p->flags & MOS_PKT_F_MALFORMED) ||
		   mos_flow_key_from_pkt(ctx->flows, p, &key, &src_is_lo) < 0) {
		orphan(ctx, p, linktype);
		goto out;
	} else {
		hash = mos_flow_key_hash(&key);
	}
	tcp = p->l4_proto == IPPROTO_TCP;
	f = mos_flow_lookup_hash(ctx->flows, &key, hash);
	if (f && tcp && is_reuse(f, src_is_lo, p)) {
		ctx->st.port_reuse++;
		end_flow(ctx, f, MOS_FLOW_END_EVICTED);
		f = NULL;
	}
	if (f == NULL) {
		f = new_flow(ctx, &key, src_is_lo, p, linktype, tcp);
		if (f == NULL) {
			orphan(ctx, p, linktype);
			goto out;
		}
		created = true;
	}
	ctx->cur_flow = f;
	if (tcp)
		tcp_input(ctx, f, created, src_is_lo, p, linktype);
	else
		udp_input(ctx, f, created, src_is_lo);
out:
	verdict = ctx->verdict;
	if (verdict == MOS_VERDICT_DROP)
		ctx->st.dropped++;
	ctx->cur_pkt = NULL;
	ctx->cur_flow = NULL;
	ctx->cur_linktype = -1;
	ctx->cur_side = MOS_SIDE_BOTH;
	return verdict;
}

int
mos_ctx_input(struct mos_ctx *ctx, const struct mos_pkt *p, int linktype)
{
	if (ctx == NULL || p == NULL)
		return MOS_VERDICT_FORWARD;
	return input_one(ctx, p, linktype, NULL);
}

void
mos_ctx_hint_group(struct mos_ctx *ctx, const struct mos_pkt *pkts, uint16_t n,
		   struct mos_ctx_hint *h)
{
	/* 1. keys, hashes, bucket prefetches (not valid, so keyed in
	 * input_one as without a hint: malformed packets, fragments and
	 * packets without a key); 2. the entries the buckets name; 3. the
	 * streams of those entries: each stage's loads have had the previous
	 * stage's loop to arrive. */
	for (uint16_t i = 0; i < n; i++) {
		const struct mos_pkt *p = &pkts[i];

		h[i].valid = !(p->flags & (MOS_PKT_F_MALFORMED | MOS_PKT_F_FRAGMENT)) &&
			     mos_flow_key_from_pkt(ctx->flows, p, &h[i].key, &h[i].src_is_lo) == 0;
		if (h[i].valid) {
			h[i].hash = mos_flow_key_hash(&h[i].key);
			mos_flow_prefetch_bucket(ctx->flows, h[i].hash);
		}
	}
	for (uint16_t i = 0; i < n; i++)
		if (h[i].valid)
			mos_flow_prefetch_entry(ctx->flows, h[i].hash);
	for (uint16_t i = 0; i < n; i++)
		if (h[i].valid)
			mos_flow_prefetch_streams(ctx->flows, h[i].hash);
}

int
mos_ctx_input_hinted(struct mos_ctx *ctx, const struct mos_pkt *p, int linktype,
		     const struct mos_ctx_hint *h)
{
	return input_one(ctx, p, linktype, h);
}

void
mos_ctx_input_burst(struct mos_ctx *ctx, const struct mos_pkt *pkts, const int *linktypes,
		    uint16_t n, int *verdicts)
{
	struct mos_ctx_hint pre[MOS_CTX_HINT_GROUP];

	if (ctx == NULL || pkts == NULL)
		return;
	for (uint16_t base = 0; base < n; base += MOS_CTX_HINT_GROUP) {
		uint16_t m = (uint16_t)(n - base < MOS_CTX_HINT_GROUP ? n - base : MOS_CTX_HINT_GROUP);

		/* Results are those of mos_ctx_input one packet at a time:
		 * the prefetches are only hints, and each lookup is done when
		 * its packet's turn comes. */
		mos_ctx_hint_group(ctx, pkts + base, m, pre);
		for (uint16_t i = 0; i < m; i++) {
			int v = input_one(ctx, &pkts[base + i], linktypes[base + i], &pre[i]);

			if (verdicts)
				verdicts[base + i] = v;
		}
	}
}

static void
finish_one(void *arg, struct mos_flow *f)
{
	end_flow(arg, f, MOS_FLOW_END_EOF);
}

void
mos_ctx_finish(struct mos_ctx *ctx)
{
	if (ctx == NULL)
		return;
	mos_ctx_burst_end(ctx);
	mos_flow_foreach(ctx->flows, finish_one, ctx);
}

/* --- flow accessors ---------------------------------------------------- */

int
mos_flow_set_uctx(struct mos_ctx *ctx, struct mos_flow *flow, void *uctx)
{
	return ctx && flow ? mos_flow_table_set_uctx(ctx->flows, flow, uctx) : -EINVAL;
}

void *
mos_flow_get_uctx(const struct mos_ctx *ctx, const struct mos_flow *flow)
{
	return ctx && flow ? mos_flow_table_uctx(ctx->flows, flow) : NULL;
}

void *mos_flow_user_area(struct mos_ctx *ctx, const struct mos_flow *flow) { return ctx && flow ? mos_flow_user(ctx->flows, flow) : NULL; }
bool mos_flow_is_midstream(const struct mos_flow *flow) { return flow && (flow->flags & MOS_FLOW_F_MIDSTREAM); }
bool mos_flow_is_udp(const struct mos_flow *flow) { return flow && (flow->flags & MOS_FLOW_F_UDP); }
int mos_flow_end_reason(const struct mos_flow *flow) { return flow ? flow->end_reason : -EINVAL; }
uint64_t mos_flow_start_ns(const struct mos_flow *flow) { return flow ? flow->start_ns : 0; }

int
mos_flow_client_by(const struct mos_flow *flow)
{
	if (flow == NULL)
		return -EINVAL;
	return (flow->flags & MOS_FLOW_F_BY_MASK) >> MOS_FLOW_F_BY_SHIFT;
}

const char *mos_flow_client_by_name(int by);
const char *
mos_flow_client_by_name(int by)
{
	return by >= 0 && by < 4 ? client_by_names[by] : "?";
}

int
mos_flow_state(const struct mos_flow *flow, int side)
{
	if (flow == NULL || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR))
		return -EINVAL;
	return flow->end[side].state;
}

uint64_t
mos_flow_last_activity(const struct mos_flow *flow, int side)
{
	if (flow == NULL)
		return 0;
	if (side == MOS_SIDE_CLI || side == MOS_SIDE_SVR)
		return flow->end[side].last_ns;
	return mos_flow_last_ns(flow);
}

int
mos_flow_peer(const struct mos_flow *flow, int side, struct mos_addr *addr, uint16_t *port)
{
	if (flow == NULL || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR))
		return -EINVAL;
	mos_flow_endpoint(flow, side, addr, port);
	return 0;
}

static void
to_sockaddr(const struct mos_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (mos_addr_is_v4(a)) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->b + 12, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a->b, 16);
	}
}

int
mos_getpeername(const struct mos_flow *flow, int side, struct sockaddr_storage *ss)
{
	struct mos_addr a;
	uint16_t port;

	if (flow == NULL || ss == NULL || side < MOS_SIDE_CLI || side > MOS_SIDE_BOTH)
		return -EINVAL;
	for (int s = MOS_SIDE_CLI, i = 0; s <= MOS_SIDE_SVR; s++) {
		if (side != MOS_SIDE_BOTH && s != side)
			continue;
		mos_flow_endpoint(flow, s, &a, &port);
		to_sockaddr(&a, port, &ss[i++]);
	}
	return 0;
}

int
mos_flow_side_stats(const struct mos_flow *flow, int side, struct mos_flow_side_stats *st)
{
	const struct mos_tcp_end *e;

	if (flow == NULL || st == NULL || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR))
		return -EINVAL;
	e = &flow->end[side];
	memset(st, 0, sizeof(*st));
	st->pkts = e->pkts;
	st->bytes = e->bytes;
	st->rexmit_bytes = e->rexmit_bytes;
	st->rexmit_pkts = e->rexmit_pkts;
	st->syn = e->flags & MOS_TCPE_SYN;
	st->synack = e->flags & MOS_TCPE_SYNACK;
	st->fin = e->flags & MOS_TCPE_FIN;
	st->rst = e->flags & MOS_TCPE_RST;
	if (e->stream) {
		struct mos_stream_info si;

		if (mos_stream_get_info(e->stream, &si) == 0) {
			st->stream_bytes = si.in_order_bytes;
			st->gap_bytes = si.gap_bytes;
		}
	}
	return 0;
}

int
mos_flow_stop(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	if (ctx == NULL || !flow_ok(ctx, flow))
		return -EINVAL;
	switch (side) {
	case MOS_SIDE_CLI: flow->flags |= MOS_FLOW_F_STOP_CLI; break;
	case MOS_SIDE_SVR: flow->flags |= MOS_FLOW_F_STOP_SVR; break;
	case MOS_SIDE_BOTH: flow->flags |= MOS_FLOW_F_STOP_CLI | MOS_FLOW_F_STOP_SVR; break;
	default: return -EINVAL;
	}
	return 0;
}

/* --- current packet ------------------------------------------------------ */

void
mos_ctx_set_borrowed(struct mos_ctx *ctx, bool on)
{
	ctx->borrowed = on;
}

/* The current frame's bytes, writable: a borrowed frame is first copied
 * to the context (once per frame and burst; the packet then points to the
 * copy). NULL when the copy has no room. */
static uint8_t *
cur_writable(struct mos_ctx *ctx)
{
	struct mos_pkt *p = (struct mos_pkt *)(uintptr_t)ctx->cur_pkt;
	uint8_t *d = (uint8_t *)(uintptr_t)p->data;
	size_t need = ((size_t)p->caplen + 63) & ~(size_t)63;

	if (!ctx->borrowed || (ctx->cow && d >= ctx->cow && d < ctx->cow + MOS_COW_BYTES) ||
	    (p >= ctx->frag_pkt && p < ctx->frag_pkt + MOS_FRAG_SLOTS))
		return d;            /* not borrowed, copied already, or a reassembled datagram */
	if (ctx->cow == NULL) {
		void *m = mmap(NULL, MOS_COW_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return NULL;
		ctx->cow = m;
	}
	if (need > MOS_COW_BYTES - ctx->cow_used)
		return NULL;
	memcpy(ctx->cow + ctx->cow_used, d, p->caplen);
	p->data = ctx->cow + ctx->cow_used;
	ctx->cow_used += need;
	return ctx->cow + ctx->cow_used - need;
}

const struct mos_pkt *
mos_cur_pkt(const struct mos_ctx *ctx, int *side)
{
	if (side)
		*side = ctx && ctx->cur_pkt ? ctx->cur_side : MOS_SIDE_BOTH;
	return ctx ? ctx->cur_pkt : NULL;
}

int
mos_get_pkt(struct mos_ctx *ctx, struct mos_pkt_view *v)
{
	const struct mos_pkt *p;

	if (ctx == NULL || v == NULL)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->linktype = -1;
	v->side = MOS_SIDE_BOTH;
	v->ts_ns = ctx->now;
	p = ctx->cur_pkt;
	if (p == NULL)
		return -ENOENT;
	v->pkt = p;
	v->data = cur_writable(ctx);
	v->caplen = v->data ? p->caplen : 0;
	v->linktype = ctx->cur_linktype;
	v->side = ctx->cur_side;
	v->ts_ns = p->ts_ns;
	if (ctx->cur_flow && v->side != MOS_SIDE_BOTH && !(ctx->cur_flow->flags & MOS_FLOW_F_UDP) &&
	    (ctx->cur_flow->end[v->side].flags & MOS_TCPE_ISN))
		v->offset = (uint32_t)(p->tcp_seq - ctx->cur_flow->end[v->side].isn - 1);
	return 0;
}

static uint32_t
sum16(uint32_t s, const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1)
		s += (uint32_t)d[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Sum of @n bytes at frame offset @off as 16-bit words aligned on @base
 * (a byte at an odd distance from @base is a low byte). */
static uint32_t
sum_aligned(const uint8_t *b, uint32_t off, uint32_t n, uint32_t base)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += ((off + i - base) & 1) ? b[i] : (uint32_t)b[i] << 8;
	return s;
}

/* RFC 1624 eqn 3: checksum @c after words summing to @old became @new. */
static uint16_t
csum_adjust(uint16_t c, uint32_t old, uint32_t new)
{
	uint32_t s = (uint16_t)~c + (uint16_t)fold(old) + (uint32_t)(uint16_t)~fold(new);

	return fold(s);
}

uint16_t
mos_csum_update(uint16_t csum, const void *was, const void *now, uint32_t len)
{
	return csum_adjust(csum, sum16(0, was, len), sum16(0, now, len));
}

/* Offset of @p's transport checksum in its transport header, or -1 (none
 * known); *@pseudo: whether it covers the IP pseudo-header. */
static int
l4_csum_off(const struct mos_pkt *p, bool *pseudo)
{
	*pseudo = p->l4_proto != IPPROTO_ICMP;
	switch (p->l4_proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMP:
		return p->ip_version == 4 ? 2 : -1;
	case IPPROTO_ICMPV6:
		return p->ip_version == 6 ? 2 : -1;
	default:
		return -1;
	}
}

/* mos_pkt_overwrite with MOS_PKT_CSUM_INCR: update the checksums @flags
 * selects for bytes [@off, @off + @len) whose old sum was @old; the
 * transport checksum is at @co in its header (l4_csum_off, with @pseudo). */
static int
overwrite_incr(const struct mos_pkt *p, uint8_t *d, uint32_t off, uint32_t len, uint32_t old,
	       unsigned flags, int co, bool pseudo)
{
	uint32_t new = sum_aligned(d + off, off, len, p->l3_off);
	uint32_t end = off + len;

	if ((flags & MOS_PKT_CSUM_IP) && p->ip_version == 4) {
		uint8_t *ip = d + p->l3_off;
		uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;

		if (off >= p->l3_off && end <= p->l3_off + ihl && p->l3_off + 12u <= p->caplen) {
			uint16_t c = csum_adjust((uint16_t)(ip[10] << 8 | ip[11]), old, new);

			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
		}
	}
	if (flags & MOS_PKT_CSUM_L4) {
		uint32_t a0 = p->l3_off + (p->ip_version == 4 ? 12 : 8);
		uint32_t a1 = a0 + (p->ip_version == 4 ? 8 : 32);
		uint8_t *l4 = d + p->l4_off;
		uint16_t c;

		if (!(p->flags & MOS_PKT_F_L4) || co < 0 || p->l4_off + (uint32_t)co + 2 > p->caplen)
			return -EINVAL;
		if (!((pseudo && off >= a0 && end <= a1) || off >= p->l4_off))
			return 0;            /* not covered by the transport checksum */
		c = (uint16_t)(l4[co] << 8 | l4[co + 1]);
		if (c == 0 && p->l4_proto == IPPROTO_UDP)
			return 0;            /* sent without checksum */
		c = csum_adjust(c, old, new);
		if (c == 0 && p->l4_proto == IPPROTO_UDP)
			c = 0xffff;
		l4[co] = (uint8_t)(c >> 8);
		l4[co + 1] = (uint8_t)c;
	}
	return 0;
}

int
mos_pkt_overwrite(struct mos_ctx *ctx, uint32_t off, const void *data, uint32_t len, unsigned flags)
{
	const struct mos_pkt *p;
	uint8_t *d;

	if (ctx == NULL || (len && data == NULL))
		return -EINVAL;
	p = ctx->cur_pkt;
	if (p == NULL)
		return -ENOENT;
	if (off > p->caplen || len > p->caplen - off)
		return -EINVAL;
	if ((d = cur_writable(ctx)) == NULL)
		return -ENOMEM;
	if (flags & MOS_PKT_CSUM_INCR) {
		uint32_t old = sum_aligned(d + off, off, len, p->l3_off);
		bool pseudo;
		int rel = l4_csum_off(p, &pseudo);
		uint32_t co = p->l4_off + (uint32_t)rel;

		if ((flags & MOS_PKT_CSUM_L4) && (p->flags & MOS_PKT_F_L4) && rel >= 0 &&
		    off < co + 2 && off + len > co)
			return -EINVAL;      /* the checksum field itself: nothing written */

		if (len > 0)         /* (data may be NULL then: checksums only) */
			memcpy(d + off, data, len);
		if (ctx->cur_flow == NULL)
			ctx->rewritten = true;
		return overwrite_incr(p, d, off, len, old, flags, rel, pseudo);
	}
	if (len > 0)
		memcpy(d + off, data, len);
	if (ctx->cur_flow == NULL)
		ctx->rewritten = true;       /* before the flow lookup: input_one decodes again */
	if ((flags & MOS_PKT_CSUM_IP) && p->ip_version == 4) {
		uint8_t *ip = d + p->l3_off;
		uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;

		if (p->l3_off + ihl > p->caplen)
			return -EINVAL;
		ip[10] = ip[11] = 0;
		uint16_t c = fold(sum16(0, ip, ihl));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	if (flags & MOS_PKT_CSUM_L4) {
		uint32_t l4len, s = 0;
		uint8_t *l4 = d + p->l4_off, *ip = d + p->l3_off;
		bool pseudo;
		int co = l4_csum_off(p, &pseudo);

		if (!(p->flags & MOS_PKT_F_L4) || co < 0 || (p->flags & MOS_PKT_F_FRAGMENT))
			return -EINVAL;
		l4len = (uint32_t)(p->payload_off - p->l4_off) + p->payload_len;
		if (p->l4_off + l4len > p->caplen)
			return -EINVAL;  /* truncated: cannot sum what was not captured */
		if (pseudo) {
			s = sum16(s, ip + (p->ip_version == 4 ? 12 : 8), p->ip_version == 4 ? 8 : 32);
			s += p->l4_proto + l4len;
		}
		l4[co] = l4[co + 1] = 0;
		uint16_t c = fold(sum16(s, l4, l4len));
		if (c == 0 && p->l4_proto == IPPROTO_UDP)
			c = 0xffff;
		l4[co] = (uint8_t)(c >> 8);
		l4[co + 1] = (uint8_t)c;
	}
	return 0;
}

int
mos_pkt_drop(struct mos_ctx *ctx)
{
	if (ctx == NULL)
		return -EINVAL;
	if (ctx->cur_pkt == NULL)
		return -ENOENT;
	ctx->verdict = MOS_VERDICT_DROP;
	return 0;
}

/* Room for @n frames of @bytes bytes in all: 0, or -ENOSPC (counted). */
static int
inj_room(struct mos_ctx *ctx, uint32_t n, uint32_t bytes)
{
	if (ctx->n_inj + n > ctx->cfg.max_injected ||
	    bytes > ctx->cfg.inject_bytes - ctx->inj_used) {
		ctx->st.injected_lost += n;
		return -ENOSPC;
	}
	return 0;
}

/* Record a TCP segment from side @from of @f to its peer (room checked):
 * @seq, @ack, @flags, @win, @len bytes of @payload. */
static void
inj_tcp(struct mos_ctx *ctx, const struct mos_flow *f, int from, uint32_t seq, uint32_t ack,
	uint8_t flags, uint16_t win, const void *opts, uint32_t olen, const void *payload,
	uint32_t len)
{
	struct mos_injected *out = &ctx->inj[ctx->n_inj++];
	struct mos_addr sa, da;
	uint16_t sp, dp;
	uint8_t *b = ctx->inj_area + ctx->inj_used, *t;
	bool v4;
	uint32_t s, hl, tl = 20 + olen + len;

	mos_flow_endpoint(f, from, &sa, &sp);
	mos_flow_endpoint(f, 1 - from, &da, &dp);
	v4 = mos_addr_is_v4(&sa) && mos_addr_is_v4(&da);
	hl = v4 ? 20 : 40;
	memset(b, 0, hl + 20);
	if (v4) {
		b[0] = 0x45;
		b[2] = (uint8_t)((hl + tl) >> 8);
		b[3] = (uint8_t)(hl + tl);
		b[8] = 64;
		b[9] = IPPROTO_TCP;
		memcpy(b + 12, sa.b + 12, 4);
		memcpy(b + 16, da.b + 12, 4);
		uint16_t c = fold(sum16(0, b, 20));
		b[10] = (uint8_t)(c >> 8);
		b[11] = (uint8_t)c;
		s = sum16(0, b + 12, 8);
	} else {
		b[0] = 0x60;
		b[4] = (uint8_t)(tl >> 8);
		b[5] = (uint8_t)tl;
		b[6] = IPPROTO_TCP;
		b[7] = 64;
		memcpy(b + 8, sa.b, 16);
		memcpy(b + 24, da.b, 16);
		s = sum16(0, b + 8, 32);
	}
	t = b + hl;
	t[0] = (uint8_t)(sp >> 8); t[1] = (uint8_t)sp;
	t[2] = (uint8_t)(dp >> 8); t[3] = (uint8_t)dp;
	t[4] = (uint8_t)(seq >> 24); t[5] = (uint8_t)(seq >> 16); t[6] = (uint8_t)(seq >> 8); t[7] = (uint8_t)seq;
	t[8] = (uint8_t)(ack >> 24); t[9] = (uint8_t)(ack >> 16); t[10] = (uint8_t)(ack >> 8); t[11] = (uint8_t)ack;
	t[12] = (uint8_t)((5 + olen / 4) << 4);
	t[13] = flags;
	t[14] = (uint8_t)(win >> 8);
	t[15] = (uint8_t)win;
	t[16] = t[17] = t[18] = t[19] = 0;
	if (olen)
		memcpy(t + 20, opts, olen);
	if (len)
		memcpy(t + 20 + olen, payload, len);
	s += IPPROTO_TCP + tl;
	uint16_t c = fold(sum16(s, t, tl));
	t[16] = (uint8_t)(c >> 8);
	t[17] = (uint8_t)c;
	out->frame = b;
	out->len = (uint16_t)(hl + tl);
	out->to_side = (uint8_t)(1 - from);
	out->ts_ns = ctx->now;
	ctx->inj_used += (hl + tl + 7u) & ~7u;
	ctx->st.injected++;
}

/* A RST from side @from of @f to its peer (room checked). */
static void
build_rst(struct mos_ctx *ctx, const struct mos_flow *f, int from)
{
	const struct mos_tcp_end *S = &f->end[from], *R = &f->end[1 - from];
	/* The receiver accepts SEG.SEQ = its RCV.NXT (the highest ACK it sent). */
	uint32_t seq = (R->flags & MOS_TCPE_ACK) ? R->ack : S->snd_nxt;
	uint32_t ack = (S->flags & MOS_TCPE_ACK) ? S->ack : R->snd_nxt;

	inj_tcp(ctx, f, from, seq, ack, MOS_TCP_RST | MOS_TCP_ACK, 0, NULL, 0, NULL, 0);
}

int
mos_reset_conn(struct mos_ctx *ctx, struct mos_flow *flow)
{
	if (ctx == NULL || !flow_ok(ctx, flow) || (flow->flags & MOS_FLOW_F_UDP))
		return -EINVAL;
	if (inj_room(ctx, 2, 2 * 64) < 0)
		return -ENOSPC;
	build_rst(ctx, flow, MOS_SIDE_SVR);  /* to the client */
	build_rst(ctx, flow, MOS_SIDE_CLI);  /* to the server */
	ctx->st.resets++;
	return 0;
}

int
mos_inject_tcp(struct mos_ctx *ctx, struct mos_flow *flow, int from, uint32_t seq,
	       uint8_t tcp_flags, const void *opts, uint32_t opts_len, const void *payload,
	       uint32_t len)
{
	const struct mos_tcp_end *S;

	if (ctx == NULL || !flow_ok(ctx, flow) || (flow->flags & MOS_FLOW_F_UDP) ||
	    (from != MOS_SIDE_CLI && from != MOS_SIDE_SVR) || len > 65000 ||
	    (len && payload == NULL) || opts_len > 40 || (opts_len & 3) ||
	    (opts_len && opts == NULL))
		return -EINVAL;
	if (inj_room(ctx, 1, (60 + 20 + opts_len + len + 7u) & ~7u) < 0)
		return -ENOSPC;
	S = &flow->end[from];
	if (!(S->flags & MOS_TCPE_ACK))
		tcp_flags &= (uint8_t)~MOS_TCP_ACK;
	inj_tcp(ctx, flow, from, seq, (tcp_flags & MOS_TCP_ACK) ? S->ack : 0, tcp_flags, S->win,
		opts, opts_len, payload, len);
	return 0;
}

const struct mos_injected *
mos_ctx_injected(const struct mos_ctx *ctx, uint32_t *n)
{
	if (ctx == NULL) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = ctx->n_inj;
	return ctx->inj;
}

void
mos_ctx_injected_clear(struct mos_ctx *ctx)
{
	if (ctx) {
		ctx->n_inj = 0;
		ctx->inj_used = 0;
	}
}
