// SPDX-License-Identifier: BSD-3-Clause
// Flow table (runtime/flow.c): symmetric keys, VLAN keys, size, timeouts
// per class, eviction and refusal, memory cap.
#include <gtest/gtest.h>

#include "test_flow_pkt.h"

namespace {

mos_flow_table *make(uint32_t cap, int policy = MOS_FLOW_FULL_EVICT, bool vlan = true)
{
	mos_flow_table_config c;
	mos_flow_table_config_default(&c);
	c.max_flows = cap;
	c.full_policy = policy;
	c.vlan_in_key = vlan;
	return mos_flow_table_create(&c);
}

mos_flow *add(mos_flow_table *t, Wire &w, TPkt p, int cls, uint64_t now)
{
	mos_flow_key k;
	bool lo;
	EXPECT_EQ(mos_flow_key_from_pkt(t, w.make(p), &k, &lo), 0);
	return mos_flow_insert(t, &k, cls, now);
}

TEST(FlowTable, FlowStaysWithin184Bytes)
{
	EXPECT_LE(sizeof(mos_flow), 184u);
	EXPECT_EQ(sizeof(mos_flow_key), 40u);
}

TEST(FlowTable, BothDirectionsFindOneEntry)
{
	for (const char *a : {"10.0.0.1", "v6:1"}) {
		mos_flow_table *t = make(16);
		Wire w;
		TPkt p;
		p.src = a;
		p.dst = a[0] == 'v' ? "v6:2" : "10.0.0.2";
		mos_flow *f = add(t, w, p, MOS_FLOW_CLASS_ACTIVE, 1);
		ASSERT_NE(f, nullptr);
		TPkt r = p;
		std::swap(r.src, r.dst);
		std::swap(r.sport, r.dport);
		mos_flow_key k1, k2;
		bool lo1, lo2;
		mos_flow_key_from_pkt(t, w.make(p), &k1, &lo1);
		mos_flow_key_from_pkt(t, w.make(r), &k2, &lo2);
		EXPECT_NE(lo1, lo2);
		EXPECT_EQ(mos_flow_lookup(t, &k1), f);
		EXPECT_EQ(mos_flow_lookup(t, &k2), f);
		EXPECT_EQ(mos_flow_key_hash(&k1), mos_flow_key_hash(&k2));
		mos_flow_table_destroy(t);
	}
}

TEST(FlowTable, VlanIdsSeparateFlowsOnlyWhenInTheKey)
{
	for (bool in_key : {true, false}) {
		mos_flow_table *t = make(16, MOS_FLOW_FULL_EVICT, in_key);
		Wire w;
		TPkt a, b;
		a.vlans = {10};
		b.vlans = {20};
		mos_flow_key ka, kb;
		bool lo;
		mos_flow_key_from_pkt(t, w.make(a), &ka, &lo);
		mos_flow_key_from_pkt(t, w.make(b), &kb, &lo);
		EXPECT_EQ(memcmp(&ka, &kb, sizeof(ka)) != 0, in_key);
		mos_flow_table_destroy(t);
	}
}

TEST(FlowTable, UdpAndTcpOnTheSamePortsAreDifferentFlows)
{
	mos_flow_table *t = make(16);
	Wire w;
	TPkt a, b;
	b.udp = true;
	mos_flow_key ka, kb;
	bool lo;
	mos_flow_key_from_pkt(t, w.make(a), &ka, &lo);
	mos_flow_key_from_pkt(t, w.make(b), &kb, &lo);
	EXPECT_NE(memcmp(&ka, &kb, sizeof(ka)), 0);
	mos_flow_table_destroy(t);
}

int released;
int last_reason;
void count_release(void *, mos_flow *, int reason) { released++; last_reason = reason; }

TEST(FlowTable, IdleFlowBehindAnActiveOneStillExpires)
{
	mos_flow_table_config c;
	mos_flow_table_config_default(&c);
	c.max_flows = 16;
	c.timeout_ns[MOS_FLOW_CLASS_ACTIVE] = 100;
	c.release = count_release;
	mos_flow_table *t = mos_flow_table_create(&c);
	Wire w;
	TPkt a, b;
	b.sport = 40001;
	mos_flow *fa = add(t, w, a, MOS_FLOW_CLASS_ACTIVE, 0);   // oldest
	mos_flow *fb = add(t, w, b, MOS_FLOW_CLASS_ACTIVE, 10);
	fb->end[0].last_ns = 10;
	// a stays active, b goes idle
	for (uint64_t now = 20; now <= 200; now += 20) {
		fa->end[0].last_ns = now;
		mos_flow_touch(t, fa, MOS_FLOW_CLASS_ACTIVE, now);
		mos_flow_expire(t, now);
	}
	EXPECT_EQ(released, 1);
	EXPECT_EQ(last_reason, MOS_FLOW_END_TIMEOUT);
	EXPECT_EQ(mos_flow_table_counters(t)->active, 1u);
	EXPECT_EQ(mos_flow_table_counters(t)->timed_out, 1u);
	mos_flow_table_destroy(t);
	released = 0;
}

TEST(FlowTable, EachClassHasItsOwnTimeout)
{
	mos_flow_table_config c;
	mos_flow_table_config_default(&c);
	c.timeout_ns[MOS_FLOW_CLASS_UDP] = 50;
	c.timeout_ns[MOS_FLOW_CLASS_ACTIVE] = 500;
	mos_flow_table *t = mos_flow_table_create(&c);
	Wire w;
	TPkt a, u;
	u.udp = true;
	add(t, w, a, MOS_FLOW_CLASS_ACTIVE, 0);
	add(t, w, u, MOS_FLOW_CLASS_UDP, 0);
	EXPECT_EQ(mos_flow_expire(t, 100), 1u);
	EXPECT_EQ(mos_flow_expire(t, 499), 0u);
	EXPECT_EQ(mos_flow_expire(t, 500), 1u);
	mos_flow_table_destroy(t);
}

TEST(FlowTable, FullTableEvictsClosedFirstThenLeastRecentlyActive)
{
	mos_flow_table_config c;
	mos_flow_table_config_default(&c);
	c.max_flows = 3;
	c.release = count_release;
	mos_flow_table *t = mos_flow_table_create(&c);
	Wire w;
	TPkt p;
	mos_flow *f[5];
	for (int i = 0; i < 3; i++) {
		p.sport = (uint16_t)(1000 + i);
		f[i] = add(t, w, p, MOS_FLOW_CLASS_ACTIVE, (uint64_t)i);
	}
	mos_flow_touch(t, f[2], MOS_FLOW_CLASS_CLOSED, 3);
	p.sport = 2000;
	mos_flow_key k2;
	bool lo;
	mos_flow_key_from_pkt(t, w.make(TPkt{"10.0.0.1", "10.0.0.2", 1002}), &k2, &lo);
	f[3] = add(t, w, p, MOS_FLOW_CLASS_ACTIVE, 4);
	ASSERT_NE(f[3], nullptr);
	EXPECT_EQ(mos_flow_lookup(t, &k2), nullptr);   // the closed one went first
	EXPECT_EQ(last_reason, MOS_FLOW_END_EVICTED);
	p.sport = 2001;
	mos_flow_key k0;
	mos_flow_key_from_pkt(t, w.make(TPkt{"10.0.0.1", "10.0.0.2", 1000}), &k0, &lo);
	add(t, w, p, MOS_FLOW_CLASS_ACTIVE, 5);
	EXPECT_EQ(mos_flow_lookup(t, &k0), nullptr);   // then the oldest
	EXPECT_EQ(mos_flow_table_counters(t)->evicted, 2u);
	EXPECT_EQ(released, 2);
	mos_flow_table_destroy(t);
	released = 0;
}

TEST(FlowTable, RefusePolicyCountsRefusals)
{
	mos_flow_table *t = make(2, MOS_FLOW_FULL_REFUSE);
	Wire w;
	TPkt p;
	for (int i = 0; i < 5; i++) {
		p.sport = (uint16_t)(1000 + i);
		mos_flow_key k;
		bool lo;
		mos_flow_key_from_pkt(t, w.make(p), &k, &lo);
		mos_flow *f = mos_flow_insert(t, &k, MOS_FLOW_CLASS_ACTIVE, 0);
		EXPECT_EQ(f != nullptr, i < 2);
	}
	EXPECT_EQ(mos_flow_table_counters(t)->refused, 3u);
	mos_flow_table_destroy(t);
}

TEST(FlowTable, MemcapLimitsCapacity)
{
	mos_flow_table_config c;
	mos_flow_table_config_default(&c);
	c.max_flows = 1000000;
	c.memcap = 1 << 20;
	mos_flow_table *t = mos_flow_table_create(&c);
	ASSERT_NE(t, nullptr);
	EXPECT_LT(mos_flow_table_capacity(t), 1000000u);
	EXPECT_GT(mos_flow_table_capacity(t), 4000u);
	EXPECT_LE(mos_flow_table_memory(t), (size_t)(1 << 20));
	mos_flow_table_destroy(t);
}

TEST(FlowTable, BadConfigIsRefusedWithEinval)
{
	mos_flow_table_config c;
	mos_flow_table_config_default(&c);
	c.max_flows = 0;
	errno = 0;
	EXPECT_EQ(mos_flow_table_create(&c), nullptr);
	EXPECT_EQ(errno, EINVAL);
}

TEST(FlowTable, UserAreaIsZeroedOnReuse)
{
	mos_flow_table_config c;
	mos_flow_table_config_default(&c);
	c.max_flows = 1;
	c.user_size = 24;
	mos_flow_table *t = mos_flow_table_create(&c);
	Wire w;
	TPkt p;
	mos_flow *f = add(t, w, p, MOS_FLOW_CLASS_ACTIVE, 0);
	memset(mos_flow_user(t, f), 0xab, 24);
	p.sport = 9;
	f = add(t, w, p, MOS_FLOW_CLASS_ACTIVE, 1);   // evicts and reuses the slot
	uint8_t zero[24] = {0};
	EXPECT_EQ(memcmp(mos_flow_user(t, f), zero, 24), 0);
	mos_flow_table_destroy(t);
}

TEST(FlowTable, UserPointerLivesOutsideTheEntryAndIsClearedOnReuse)
{
	mos_flow_table *t = make(2);
	Wire w;
	TPkt p;
	int x, y;
	mos_flow *a = add(t, w, p, MOS_FLOW_CLASS_ACTIVE, 0);
	p.sport = 9;
	mos_flow *b = add(t, w, p, MOS_FLOW_CLASS_ACTIVE, 1);
	size_t mem = mos_flow_table_memory(t);
	EXPECT_EQ(mos_flow_table_uctx(t, a), nullptr);
	EXPECT_EQ(mos_flow_table_set_uctx(t, a, nullptr), 0);   // clearing reserves nothing
	EXPECT_EQ(mos_flow_table_memory(t), mem);
	EXPECT_EQ(mos_flow_table_set_uctx(t, a, &x), 0);        // first set reserves the array
	EXPECT_EQ(mos_flow_table_memory(t), mem + 2 * sizeof(void *));
	EXPECT_EQ(mos_flow_table_set_uctx(t, b, &y), 0);
	EXPECT_EQ(mos_flow_table_uctx(t, a), &x);
	EXPECT_EQ(mos_flow_table_uctx(t, b), &y);
	EXPECT_EQ(mos_flow_table_set_uctx(t, b, nullptr), 0);
	EXPECT_EQ(mos_flow_table_uctx(t, b), nullptr);
	EXPECT_EQ(mos_flow_table_uctx(t, a), &x);
	// not an entry of this table
	mos_flow other{};
	EXPECT_EQ(mos_flow_table_set_uctx(t, &other, &x), -EINVAL);
	EXPECT_EQ(mos_flow_table_uctx(t, &other), nullptr);
	EXPECT_EQ(mos_flow_table_set_uctx(t, (mos_flow *)((char *)a + 8), &x), -EINVAL);
	// removed and reused: the new flow starts without a pointer
	mos_flow_remove(t, a);
	p.sport = 10;
	mos_flow *c = add(t, w, p, MOS_FLOW_CLASS_ACTIVE, 2);
	EXPECT_EQ(c, a);
	EXPECT_EQ(mos_flow_table_uctx(t, c), nullptr);
	mos_flow_table_destroy(t);
}

TEST(FlowTable, InUseMapFollowsInsertAndRemoveAcrossWords)
{
	mos_flow_table *t = make(200);
	Wire w;
	TPkt p;
	std::vector<mos_flow *> v;
	for (int i = 0; i < 130; i++) {
		p.sport = (uint16_t)(1000 + i);
		v.push_back(add(t, w, p, MOS_FLOW_CLASS_ACTIVE, (uint64_t)i));
	}
	for (int i = 0; i < 130; i += 3)
		mos_flow_remove(t, v[i]);
	for (int i = 0; i < 200; i++) {
		bool want = i < 130 && i % 3 != 0;
		EXPECT_EQ(mos_flow_in_use(t, (uint32_t)i), want) << i;
		if (i < 130)
			EXPECT_EQ(mos_flow_table_owns(t, v[i]), want) << i;
	}
	EXPECT_FALSE(mos_flow_in_use(t, 200));
	EXPECT_EQ(mos_flow_table_counters(t)->active, 86u);
	mos_flow_table_destroy(t);
}

}  // namespace
