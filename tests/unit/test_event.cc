// SPDX-License-Identifier: BSD-3-Clause
// Event engine (runtime/event.c): the definition forest, hook legality at
// any depth, pruning, one filter call per dispatch, shared registration
// sets with O(1) cached transitions, raised and floating events.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_flow_pkt.h"

namespace {

std::vector<std::string> trace;
int filter_calls;

bool pass(mos_ctx *, mos_flow *, int, uint32_t ev, const mos_event_arg *a)
{
	filter_calls++;
	trace.push_back("f" + std::to_string(ev));
	return a->len == 0 || *(const int *)a->arg != 0;
}

void cb(mos_ctx *, mos_flow *, int side, uint32_t ev, const mos_event_arg *a)
{
	trace.push_back("cb" + std::to_string(ev) + (a->user ? (const char *)a->user : ""));
	(void)side;
}

class Forest : public ::testing::Test {
protected:
	mos_evsys *es = nullptr;
	void SetUp() override
	{
		es = mos_evsys_create(nullptr);
		ASSERT_NE(es, nullptr);
		trace.clear();
		filter_calls = 0;
	}
	void TearDown() override { mos_evsys_destroy(es); }
	int def(uint32_t parent, int v)
	{
		return mos_evsys_define(es, parent, pass, &v, sizeof(v), 0, nullptr);
	}
	uint32_t owner_set(uint16_t o) { return (uint32_t)mos_evsys_set_add_owner(es, MOS_EVSET_EMPTY, o); }
};

TEST_F(Forest, BuiltinNamesMatchTheLanguage)
{
	const char *names[] = {"pkt_in", "conn_start", "rexmit", "tcp_state_change", "conn_end",
			       "conn_new_data", "orphan", "error", "conn_established", "udp_pkt",
			       "timeout", "overlap_mismatch", "gap", "buffer_full"};
	for (const char *n : names) {
		int id = mos_event_builtin_lookup(n);
		ASSERT_GE(id, 0) << n;
		EXPECT_STREQ(mos_event_builtin_name((uint32_t)id), n);
	}
	EXPECT_EQ(mos_event_builtin_lookup("nope"), -ENOENT);
}

TEST_F(Forest, IdenticalDefinitionsAreDeduplicated)
{
	int a = def(MOS_EV_PKT_IN, 1), b = def(MOS_EV_PKT_IN, 1), c = def(MOS_EV_PKT_IN, 2);
	EXPECT_EQ(a, b);
	EXPECT_NE(a, c);
	EXPECT_EQ(mos_evsys_ude_count(es), 2u);
	EXPECT_EQ(mos_evsys_define(es, 12345, pass, nullptr, 0, 0, nullptr), -EINVAL);
	EXPECT_EQ(mos_evsys_define(es, MOS_EV_PKT_IN, nullptr, nullptr, 0, 0, nullptr), -EINVAL);
}

TEST_F(Forest, HookLegalityFollowsTheRootAtAnyDepth)
{
	int a = def(MOS_EV_CONN_NEW_DATA, 1);
	int b = def((uint32_t)a, 1);
	int c = def((uint32_t)b, 1);
	EXPECT_EQ(mos_evsys_root(es, (uint32_t)c), MOS_EV_CONN_NEW_DATA);
	EXPECT_TRUE(mos_evsys_hook_legal(es, (uint32_t)c, MOS_HOOK_NONE));
	EXPECT_FALSE(mos_evsys_hook_legal(es, (uint32_t)c, MOS_HOOK_SND));
	EXPECT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)c, MOS_HOOK_RCV, cb, nullptr), -EINVAL);
	EXPECT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)c, MOS_HOOK_NONE, cb, nullptr), 0);
	EXPECT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)c, MOS_HOOK_NONE, cb, nullptr), -EEXIST);
}

TEST_F(Forest, FailingFilterPrunesItsWholeSubtree)
{
	int no = def(MOS_EV_PKT_IN, 0);
	int below = def((uint32_t)no, 1);
	int yes = def(MOS_EV_PKT_IN, 1);
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)below, MOS_HOOK_SND, cb, nullptr), 0);
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)yes, MOS_HOOK_SND, cb, nullptr), 0);
	mos_evsys_dispatch(es, owner_set(0), MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0);
	std::vector<std::string> want = {"f" + std::to_string(no), "f" + std::to_string(yes),
					 "cb" + std::to_string(yes)};
	EXPECT_EQ(trace, want);
}

TEST_F(Forest, EachFilterRunsAtMostOncePerDispatch)
{
	int mid = def(MOS_EV_PKT_IN, 1);
	std::vector<int> leaves;
	for (int i = 0; i < 10; i++)
		leaves.push_back(def((uint32_t)mid, 100 + i));
	for (uint16_t o = 0; o < 3; o++)         // three owners register on every leaf
		for (int l : leaves)
			ASSERT_EQ(mos_evsys_listen(es, o, nullptr, (uint32_t)l, MOS_HOOK_RCV, cb, nullptr), 0);
	uint32_t set = owner_set(0);
	set = (uint32_t)mos_evsys_set_add_owner(es, set, 1);
	set = (uint32_t)mos_evsys_set_add_owner(es, set, 2);
	unsigned n = mos_evsys_dispatch(es, set, MOS_EV_PKT_IN, MOS_HOOK_RCV, nullptr, nullptr, 0);
	EXPECT_EQ(n, 30u);
	EXPECT_EQ(filter_calls, 11);             // mid once + 10 leaves once each
	EXPECT_EQ(mos_evsys_dispatch(es, set, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0), 0u);
}

TEST_F(Forest, ChildrenRunInDefinitionOrderAfterTheirParent)
{
	int a = def(MOS_EV_PKT_IN, 1);
	int a1 = def((uint32_t)a, 2);
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)a1, MOS_HOOK_SND, cb, nullptr), 0);
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)a, MOS_HOOK_SND, cb, nullptr), 0);
	mos_evsys_dispatch(es, owner_set(0), MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0);
	std::vector<std::string> want = {"f" + std::to_string(a), "cb" + std::to_string(a),
					 "f" + std::to_string(a1), "cb" + std::to_string(a1)};
	EXPECT_EQ(trace, want);
}

TEST_F(Forest, SameChangeOnManyFlowsConvergesOnOneSet)
{
	uint32_t base = owner_set(0);
	uint32_t first = (uint32_t)mos_evsys_set_add(es, base, 0, nullptr, MOS_EV_REXMIT, MOS_HOOK_SND, cb, nullptr);
	for (int i = 0; i < 100000; i++) {
		uint32_t s = (uint32_t)mos_evsys_set_add(es, base, 0, nullptr, MOS_EV_REXMIT, MOS_HOOK_SND, cb, nullptr);
		ASSERT_EQ(s, first);
		uint32_t back = (uint32_t)mos_evsys_set_del(es, s, 0, MOS_EV_REXMIT, MOS_HOOK_SND, cb);
		ASSERT_EQ(back, base);
	}
	mos_evsys_stats st;
	mos_evsys_get_stats(es, &st);
	EXPECT_EQ(st.sets, 3u);                  // empty, {owner}, {owner, +reg}
	EXPECT_GE(st.transition_hits, 199998u);  // everything after the first change is a cache hit
	EXPECT_NE(first, base);
}

TEST_F(Forest, AddingThenRemovingInAnyOrderGivesTheSameSet)
{
	uint32_t s0 = owner_set(0);
	uint32_t a = (uint32_t)mos_evsys_set_add(es, s0, 0, nullptr, MOS_EV_PKT_IN, MOS_HOOK_SND, cb, nullptr);
	a = (uint32_t)mos_evsys_set_add(es, a, 0, nullptr, MOS_EV_REXMIT, MOS_HOOK_SND, cb, nullptr);
	uint32_t b = (uint32_t)mos_evsys_set_add(es, s0, 0, nullptr, MOS_EV_REXMIT, MOS_HOOK_SND, cb, nullptr);
	b = (uint32_t)mos_evsys_set_add(es, b, 0, nullptr, MOS_EV_PKT_IN, MOS_HOOK_SND, cb, nullptr);
	EXPECT_EQ(a, b);   // identity = the set, not the order of changes
}

TEST_F(Forest, PerFlowRemovalMasksAListenerCallbackForThatFlowOnly)
{
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, MOS_EV_PKT_IN, MOS_HOOK_SND, cb, nullptr), 0);
	uint32_t all = owner_set(0);
	uint32_t masked = (uint32_t)mos_evsys_set_del(es, all, 0, MOS_EV_PKT_IN, MOS_HOOK_SND, cb);
	EXPECT_NE(masked, all);
	EXPECT_EQ(mos_evsys_dispatch(es, masked, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0), 0u);
	EXPECT_EQ(mos_evsys_dispatch(es, all, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0), 1u);
	uint32_t again = (uint32_t)mos_evsys_set_add(es, masked, 0, nullptr, MOS_EV_PKT_IN, MOS_HOOK_SND, cb, nullptr);
	EXPECT_EQ(mos_evsys_dispatch(es, again, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0), 1u);
}

TEST_F(Forest, ListenerChangesReachExistingSets)
{
	uint32_t s = owner_set(0);
	EXPECT_FALSE(mos_evsys_wants(es, s, MOS_EV_PKT_IN, MOS_HOOK_SND));
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, MOS_EV_PKT_IN, MOS_HOOK_SND, cb, nullptr), 0);
	EXPECT_TRUE(mos_evsys_wants(es, s, MOS_EV_PKT_IN, MOS_HOOK_SND));
	ASSERT_EQ(mos_evsys_unlisten(es, 0, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr), 0);
	EXPECT_FALSE(mos_evsys_wants(es, s, MOS_EV_PKT_IN, MOS_HOOK_SND));
	EXPECT_EQ(mos_evsys_unlisten(es, 0, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr), -ENOENT);
}

mos_evsys *raise_es;
uint32_t raise_set, floating;
bool raising_filter(mos_ctx *, mos_flow *, int, uint32_t ev, const mos_event_arg *)
{
	trace.push_back("f" + std::to_string(ev));
	EXPECT_EQ(mos_evsys_raise(raise_es, raise_set, floating, MOS_HOOK_SND, nullptr, nullptr, 0), 0);
	return true;
}

TEST_F(Forest, FloatingEventRaisedFromAFilterFiresAfterTheWalk)
{
	int parent = mos_evsys_define(es, MOS_EV_PKT_IN, raising_filter, nullptr, 0, 0, nullptr);
	int fl = mos_evsys_define(es, (uint32_t)parent, nullptr, nullptr, 0, MOS_EVDEF_FLOATING, nullptr);
	int child = def((uint32_t)fl, 1);
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)child, MOS_HOOK_SND, cb, nullptr), 0);
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)parent, MOS_HOOK_SND, cb, nullptr), 0);
	raise_es = es;
	raise_set = owner_set(0);
	floating = (uint32_t)fl;
	mos_evsys_dispatch(es, raise_set, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0);
	std::vector<std::string> want = {"f" + std::to_string(parent), "cb" + std::to_string(parent),
					 "f" + std::to_string(child), "cb" + std::to_string(child)};
	EXPECT_EQ(trace, want);
	// Not raised: a floating event never fires by itself.
	trace.clear();
	int quiet = mos_evsys_define(es, MOS_EV_REXMIT, nullptr, nullptr, 0, MOS_EVDEF_FLOATING, nullptr);
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, (uint32_t)quiet, MOS_HOOK_SND, cb, nullptr), 0);
	EXPECT_EQ(mos_evsys_dispatch(es, raise_set, MOS_EV_REXMIT, MOS_HOOK_SND, nullptr, nullptr, 0), 0u);
	// Raised outside a dispatch: delivered at once.
	EXPECT_EQ(mos_evsys_raise(es, raise_set, (uint32_t)quiet, MOS_HOOK_SND, nullptr, nullptr, 0), 0);
	EXPECT_EQ(trace.back(), "cb" + std::to_string(quiet));
}

TEST_F(Forest, SetCapIsEnforcedWithEnospc)
{
	mos_evsys_config c = {0, 0, 4, 8};
	mos_evsys *small = mos_evsys_create(&c);
	ASSERT_NE(small, nullptr);
	int last = 0;
	for (uint16_t o = 0; o < 8 && last >= 0; o++)
		last = mos_evsys_set_add_owner(small, MOS_EVSET_EMPTY, o);
	EXPECT_EQ(last, -ENOSPC);
	mos_evsys_destroy(small);
}

void reentrant(mos_ctx *, mos_flow *, int, uint32_t, const mos_event_arg *a)
{
	// A listener-wide change during a dispatch rebuilds plans; the walk
	// in progress must keep using the old one safely.
	mos_evsys *e = (mos_evsys *)a->user;
	trace.push_back("re");
	mos_evsys_listen(e, 0, nullptr, MOS_EV_PKT_IN, MOS_HOOK_SND, cb, (void *)"x");
	mos_evsys_dispatch(e, 1, MOS_EV_REXMIT, MOS_HOOK_SND, nullptr, nullptr, 0);
}

TEST_F(Forest, ListenerChangeDuringDispatchIsSafe)
{
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, MOS_EV_PKT_IN, MOS_HOOK_SND, reentrant, es), 0);
	uint32_t s = owner_set(0);
	ASSERT_EQ(s, 1u);
	ASSERT_EQ(mos_evsys_listen(es, 0, nullptr, MOS_EV_REXMIT, MOS_HOOK_SND, cb, nullptr), 0);
	mos_evsys_dispatch(es, s, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0);
	EXPECT_EQ(trace.size(), 2u);   // "re", then the nested rexmit callback
	trace.clear();
	mos_evsys_dispatch(es, s, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr, 0);
	EXPECT_EQ(trace.size(), 3u);   // the new listener runs from now on
}

}  // namespace
