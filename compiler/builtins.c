// SPDX-License-Identifier: BSD-3-Clause
/*
 * compiler/builtins.c — the static tables of builtins.h.
 */
#include "builtins.h"

#include <string.h>

const struct bi_event_info bi_events[BI_EV_COUNT] = {
#define BI_X_(id, nm, hk, cx, dc) [BI_EV_##id] = { .name = nm, .hooks = hk, .ctx = cx, .doc = dc },
	BI_EVENTS(BI_X_)
#undef BI_X_
};

#define BI_FX_(p, t, pr, d) { .path = p, .type = BI_T_##t, .proto = pr, .doc = d },
const struct bi_field bi_pkt_fields[] = { BI_PKT_FIELDS(BI_FX_) };
const unsigned bi_pkt_field_count = sizeof(bi_pkt_fields) / sizeof(bi_pkt_fields[0]);
const struct bi_field bi_flow_fields[] = { BI_FLOW_FIELDS(BI_FX_) };
const unsigned bi_flow_field_count = sizeof(bi_flow_fields) / sizeof(bi_flow_fields[0]);
#undef BI_FX_

const char *const bi_tcp_states[] = {
	"closed", "listen", "syn_sent", "syn_rcvd", "established", "fin_wait_1",
	"fin_wait_2", "close_wait", "closing", "last_ack", "time_wait",
};
const unsigned bi_tcp_state_count = sizeof(bi_tcp_states) / sizeof(bi_tcp_states[0]);

const char *const bi_overlap_policies[] = {
	"first", "last", "linux", "bsd", "windows", "solaris",
};
const unsigned bi_overlap_policy_count =
	sizeof(bi_overlap_policies) / sizeof(bi_overlap_policies[0]);

static const struct {
	const char *name;            /* type name */
	bool decl;                   /* may be declared as state */
} bi_type_table[BI_T_COUNT] = {
#define BI_X_(id, nm, d) [BI_T_##id] = { nm, d },
	BI_TYPES(BI_X_)
#undef BI_X_
};

const char *bi_type_name(enum bi_type t)
{
	return (unsigned)t < BI_T_COUNT ? bi_type_table[t].name : "?";
}

enum bi_type bi_type_lookup(const char *name)
{
	for (unsigned t = 0; t < BI_T_COUNT; t++)
		if (bi_type_table[t].decl && !strcmp(bi_type_table[t].name, name))
			return (enum bi_type)t;
	return BI_T_ERROR;
}

bool bi_type_is_int(enum bi_type t)
{
	return (t >= BI_T_U8 && t <= BI_T_I64) || t == BI_T_INT;
}

bool bi_type_is_signed(enum bi_type t)
{
	return t >= BI_T_I8 && t <= BI_T_I64;
}

unsigned bi_type_bits(enum bi_type t)
{
	switch (t) {
	case BI_T_U8: case BI_T_I8: return 8;
	case BI_T_U16: case BI_T_I16: return 16;
	case BI_T_U32: case BI_T_I32: return 32;
	default: return 64;
	}
}

int bi_event_lookup(const char *name)
{
	for (int i = 0; i < BI_EV_COUNT; i++)
		if (!strcmp(bi_events[i].name, name))
			return i;
	return -1;
}

const struct bi_field *bi_field_lookup(const char *path)
{
	for (unsigned i = 0; i < bi_pkt_field_count; i++)
		if (!strcmp(bi_pkt_fields[i].path, path))
			return &bi_pkt_fields[i];
	for (unsigned i = 0; i < bi_flow_field_count; i++)
		if (!strcmp(bi_flow_fields[i].path, path))
			return &bi_flow_fields[i];
	return NULL;
}

const char *bi_hooks_text(unsigned hooks)
{
	static char buf[64];
	buf[0] = '\0';
	if (hooks & BI_HOOK_SND)
		strcat(buf, "'@snd'");
	if (hooks & BI_HOOK_RCV)
		strcat(buf, buf[0] ? " or '@rcv'" : "'@rcv'");
	if (hooks & BI_HOOK_NONE)
		strcat(buf, buf[0] ? " or no hook" : "no hook");
	return buf;
}
