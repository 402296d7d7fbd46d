/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flow_pkt.h — frames for the flow-engine tests: Ethernet (optional
 * VLAN tags) + IPv4/IPv6 + TCP/UDP built byte by byte, then decoded with
 * mos_decode, so tests exercise the same path as real captures.
 */
#ifndef MOS_TEST_FLOW_PKT_H
#define MOS_TEST_FLOW_PKT_H

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "shim.h"

struct TPkt {
	std::string src = "10.0.0.1", dst = "10.0.0.2"; /* dotted IPv4 or "v6:N" */
	uint16_t sport = 40000, dport = 80;
	uint8_t flags = MOS_TCP_ACK;
	uint32_t seq = 0, ack = 0;
	uint16_t win = 65535;
	int wscale = -1;             /* window scale option, -1 = none */
	std::string payload;
	bool udp = false;
	std::vector<uint16_t> vlans;
	uint64_t ts_ns = 1000000000ull;
};

/* Owns frames and their decoded form for as long as a test needs them. */
class Wire {
public:
	const mos_pkt *make(const TPkt &t)
	{
		std::vector<uint8_t> f;
		bool v6 = t.src.rfind("v6:", 0) == 0;
		uint8_t mac[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

		f.insert(f.end(), mac, mac + 12);
		for (uint16_t v : t.vlans) {
			put16(f, 0x8100);
			put16(f, v);
		}
		put16(f, v6 ? 0x86dd : 0x0800);
		size_t l3 = f.size();
		std::vector<uint8_t> l4;
		if (t.udp) {
			put16(l4, t.sport); put16(l4, t.dport);
			put16(l4, (uint16_t)(8 + t.payload.size())); put16(l4, 0);
		} else {
			put16(l4, t.sport); put16(l4, t.dport);
			put32(l4, t.seq); put32(l4, t.ack);
			uint8_t optlen = t.wscale >= 0 ? 4 : 0;
			l4.push_back((uint8_t)(((20 + optlen) / 4) << 4));
			l4.push_back(t.flags);
			put16(l4, t.win); put16(l4, 0); put16(l4, 0);
			if (t.wscale >= 0) {
				l4.push_back(1); l4.push_back(3); l4.push_back(3); l4.push_back((uint8_t)t.wscale);
			}
		}
		l4.insert(l4.end(), t.payload.begin(), t.payload.end());
		if (!v6) {
			uint16_t tot = (uint16_t)(20 + l4.size());
			f.push_back(0x45); f.push_back(0); put16(f, tot); put16(f, 1); put16(f, 0);
			f.push_back(64); f.push_back(t.udp ? 17 : 6); put16(f, 0);
			put32(f, v4(t.src)); put32(f, v4(t.dst));
		} else {
			put32(f, 0x60000000u); put16(f, (uint16_t)l4.size());
			f.push_back(t.udp ? 17 : 6); f.push_back(64);
			v6a(f, t.src); v6a(f, t.dst);
		}
		(void)l3;
		f.insert(f.end(), l4.begin(), l4.end());
		frames_.push_back(f);
		pkts_.emplace_back();
		mos_pkt *p = &pkts_.back();
		std::vector<uint8_t> &fr = frames_.back();
		mos_decode(fr.data(), (uint32_t)fr.size(), (uint32_t)fr.size(), MOS_LINK_ETHERNET,
			   t.ts_ns, p);
		return p;
	}
	std::vector<uint8_t> &last_frame() { return frames_.back(); }

private:
	static void put16(std::vector<uint8_t> &v, uint16_t x) { v.push_back((uint8_t)(x >> 8)); v.push_back((uint8_t)x); }
	static void put32(std::vector<uint8_t> &v, uint32_t x) { put16(v, (uint16_t)(x >> 16)); put16(v, (uint16_t)x); }
	static uint32_t v4(const std::string &s)
	{
		unsigned a, b, c, d;
		sscanf(s.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
		return a << 24 | b << 16 | c << 8 | d;
	}
	static void v6a(std::vector<uint8_t> &v, const std::string &s)
	{
		/* "v6:N" -> 2001:db8::N */
		uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
		a[15] = (uint8_t)atoi(s.c_str() + 3);
		v.insert(v.end(), a, a + 16);
	}
	std::deque<std::vector<uint8_t>> frames_;
	std::deque<mos_pkt> pkts_;
};

#endif
