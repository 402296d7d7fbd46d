// SPDX-License-Identifier: BSD-3-Clause
// TCP endpoint emulation (runtime/tcp.c): every RFC 9293 transition the
// monitor follows, RST window checks, retransmissions, wrap-around, scaling.
#include <gtest/gtest.h>

#include "test_flow_pkt.h"

namespace {

struct Bits { unsigned snd, rcv; };

class Conn {
public:
	mos_tcp_end cli{}, svr{};
	Wire w;
	bool started = false;

	Bits send(bool from_cli, uint8_t flags, uint32_t seq, uint32_t ack, const std::string &data = "",
		  int wscale = -1, uint16_t win = 65535)
	{
		TPkt t;
		t.flags = flags; t.seq = seq; t.ack = ack; t.payload = data; t.wscale = wscale; t.win = win;
		if (!from_cli) { std::swap(t.src, t.dst); std::swap(t.sport, t.dport); }
		const mos_pkt *p = w.make(t);
		mos_tcp_end *s = from_cli ? &cli : &svr, *r = from_cli ? &svr : &cli;
		if (!started) { mos_tcp_init(s, r, p); started = true; }
		Bits b;
		b.snd = mos_tcp_snd(s, r, p, 1);
		b.rcv = mos_tcp_rcv(r, s, p, !(b.snd & MOS_TCPEV_RST_OOW));
		return b;
	}
	// SYN 1000, SYN-ACK 5000, ACK.
	void handshake()
	{
		send(true, MOS_TCP_SYN, 1000, 0);
		send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);
		send(true, MOS_TCP_ACK, 1001, 5001);
	}
};

TEST(TcpState, SynMovesClientToSynSentAndServerToSynRcvd)
{
	Conn c;
	Bits b = c.send(true, MOS_TCP_SYN, 1000, 0);
	EXPECT_EQ(c.cli.state, MOS_TCP_SYN_SENT);
	EXPECT_EQ(c.svr.state, MOS_TCP_SYN_RCVD);
	EXPECT_TRUE(b.snd & MOS_TCPEV_CONN_START);
	EXPECT_TRUE(b.rcv & MOS_TCPEV_CONN_START);
	EXPECT_TRUE(b.snd & MOS_TCPEV_STATE);
	EXPECT_EQ(c.cli.isn, 1000u);
}

TEST(TcpState, SynAckEstablishesClient)
{
	Conn c;
	c.send(true, MOS_TCP_SYN, 1000, 0);
	Bits b = c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);
	EXPECT_EQ(c.cli.state, MOS_TCP_ESTABLISHED);
	EXPECT_EQ(c.svr.state, MOS_TCP_SYN_RCVD);
	EXPECT_TRUE(b.rcv & MOS_TCPEV_ESTABLISHED);
}

TEST(TcpState, SynAckWithWrongAckLeavesClientInSynSent)
{
	Conn c;
	c.send(true, MOS_TCP_SYN, 1000, 0);
	Bits b = c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 77);
	EXPECT_EQ(c.cli.state, MOS_TCP_SYN_SENT);
	EXPECT_TRUE(b.rcv & MOS_TCPEV_BAD_SYNACK);
}

TEST(TcpState, AckOfSynAckEstablishesServer)
{
	Conn c;
	c.handshake();
	EXPECT_EQ(c.cli.state, MOS_TCP_ESTABLISHED);
	EXPECT_EQ(c.svr.state, MOS_TCP_ESTABLISHED);
}

TEST(TcpState, RetransmittedSynIsRexmitWithoutSecondConnStart)
{
	Conn c;
	c.send(true, MOS_TCP_SYN, 1000, 0);
	Bits b = c.send(true, MOS_TCP_SYN, 1000, 0);
	EXPECT_TRUE(b.snd & MOS_TCPEV_REXMIT);
	EXPECT_FALSE(b.snd & MOS_TCPEV_CONN_START);
	EXPECT_FALSE(b.rcv & MOS_TCPEV_CONN_START);
	EXPECT_FALSE(b.snd & MOS_TCPEV_STATE);
}

TEST(TcpState, RetransmittedSynAckIsRexmit)
{
	Conn c;
	c.send(true, MOS_TCP_SYN, 1000, 0);
	c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);
	Bits b = c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);
	EXPECT_TRUE(b.snd & MOS_TCPEV_REXMIT);
	EXPECT_FALSE(b.rcv & MOS_TCPEV_ESTABLISHED);
}

TEST(TcpState, SimultaneousOpenReachesEstablishedOnBothSides)
{
	Conn c;
	c.send(true, MOS_TCP_SYN, 1000, 0);
	Bits b = c.send(false, MOS_TCP_SYN, 5000, 0);  // server's own SYN
	EXPECT_EQ(c.svr.state, MOS_TCP_SYN_SENT);
	EXPECT_EQ(c.cli.state, MOS_TCP_SYN_RCVD);
	EXPECT_TRUE(b.rcv & MOS_TCPEV_STATE);
	c.send(true, MOS_TCP_SYN | MOS_TCP_ACK, 1000, 5001);
	EXPECT_EQ(c.svr.state, MOS_TCP_ESTABLISHED);
	c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);
	EXPECT_EQ(c.cli.state, MOS_TCP_ESTABLISHED);
}

TEST(TcpState, FinInEstablishedMovesToCloseWait)
{
	Conn c;
	c.handshake();
	Bits b = c.send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	EXPECT_EQ(c.cli.state, MOS_TCP_FIN_WAIT_1);
	EXPECT_EQ(c.svr.state, MOS_TCP_CLOSE_WAIT);
	EXPECT_TRUE(b.snd & MOS_TCPEV_STATE);
	EXPECT_TRUE(b.rcv & MOS_TCPEV_STATE);
}

TEST(TcpState, AckOfFinMovesToFinWait2)
{
	Conn c;
	c.handshake();
	c.send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	c.send(false, MOS_TCP_ACK, 5001, 1002);
	EXPECT_EQ(c.cli.state, MOS_TCP_FIN_WAIT_2);
}

TEST(TcpState, ClientFinFirstEndsInTimeWaitAndClosed)
{
	Conn c;
	c.handshake();
	c.send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	c.send(false, MOS_TCP_ACK, 5001, 1002);
	Bits b = c.send(false, MOS_TCP_FIN | MOS_TCP_ACK, 5001, 1002);
	EXPECT_EQ(c.svr.state, MOS_TCP_LAST_ACK);
	EXPECT_EQ(c.cli.state, MOS_TCP_TIME_WAIT);
	EXPECT_TRUE(b.rcv & MOS_TCPEV_CLOSED);
	b = c.send(true, MOS_TCP_ACK, 1002, 5002);
	EXPECT_EQ(c.svr.state, MOS_TCP_CLOSED);
	EXPECT_TRUE(b.rcv & MOS_TCPEV_CLOSED);
}

TEST(TcpState, ServerFinFirstEndsInTimeWaitOnServer)
{
	Conn c;
	c.handshake();
	c.send(false, MOS_TCP_FIN | MOS_TCP_ACK, 5001, 1001);
	EXPECT_EQ(c.svr.state, MOS_TCP_FIN_WAIT_1);
	EXPECT_EQ(c.cli.state, MOS_TCP_CLOSE_WAIT);
	c.send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5002);  // ACK + FIN together
	EXPECT_EQ(c.cli.state, MOS_TCP_LAST_ACK);
	EXPECT_EQ(c.svr.state, MOS_TCP_TIME_WAIT);
	c.send(false, MOS_TCP_ACK, 5002, 1002);
	EXPECT_EQ(c.cli.state, MOS_TCP_CLOSED);
}

TEST(TcpState, SimultaneousCloseGoesThroughClosing)
{
	Conn c;
	c.handshake();
	c.send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	c.send(false, MOS_TCP_FIN | MOS_TCP_ACK, 5001, 1001);  // does not ack the client's FIN
	EXPECT_EQ(c.svr.state, MOS_TCP_CLOSING);
	EXPECT_EQ(c.cli.state, MOS_TCP_CLOSING);
	c.send(true, MOS_TCP_ACK, 1002, 5002);
	EXPECT_EQ(c.svr.state, MOS_TCP_TIME_WAIT);
	c.send(false, MOS_TCP_ACK, 5002, 1002);
	EXPECT_EQ(c.cli.state, MOS_TCP_TIME_WAIT);
}

TEST(TcpState, HalfCloseStillReportsNewDataTowardFinWait2)
{
	Conn c;
	c.handshake();
	c.send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	c.send(false, MOS_TCP_ACK, 5001, 1002);
	Bits b = c.send(false, MOS_TCP_ACK | MOS_TCP_PSH, 5001, 1002, "response");
	EXPECT_TRUE(b.snd & MOS_TCPEV_NEW_DATA);
	EXPECT_EQ(c.cli.state, MOS_TCP_FIN_WAIT_2);
	EXPECT_EQ(c.svr.state, MOS_TCP_CLOSE_WAIT);
}

TEST(TcpState, RetransmittedFinIsRexmit)
{
	Conn c;
	c.handshake();
	c.send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	Bits b = c.send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	EXPECT_TRUE(b.snd & MOS_TCPEV_REXMIT);
	EXPECT_FALSE(b.snd & MOS_TCPEV_STATE);
}

TEST(TcpState, InWindowRstClosesBothEndpoints)
{
	Conn c;
	c.handshake();
	Bits b = c.send(false, MOS_TCP_RST | MOS_TCP_ACK, 5001, 1001);
	EXPECT_FALSE(b.snd & MOS_TCPEV_RST_OOW);
	EXPECT_EQ(c.svr.state, MOS_TCP_CLOSED);
	EXPECT_EQ(c.cli.state, MOS_TCP_CLOSED);
}

TEST(TcpState, OutOfWindowRstIsIgnoredAndReported)
{
	Conn c;
	c.handshake();
	Bits b = c.send(false, MOS_TCP_RST, 5001 + 10000000, 0);
	EXPECT_TRUE(b.snd & MOS_TCPEV_RST_OOW);
	EXPECT_EQ(c.svr.state, MOS_TCP_ESTABLISHED);
	EXPECT_EQ(c.cli.state, MOS_TCP_ESTABLISHED);
	EXPECT_TRUE(c.svr.flags & MOS_TCPE_RST);  // seen on the wire all the same
}

TEST(TcpState, RstAnsweringSynNeedsTheRightAck)
{
	Conn bad;
	bad.send(true, MOS_TCP_SYN, 1000, 0);
	Bits b = bad.send(false, MOS_TCP_RST | MOS_TCP_ACK, 0, 4242);
	EXPECT_TRUE(b.snd & MOS_TCPEV_RST_OOW);
	EXPECT_EQ(bad.cli.state, MOS_TCP_SYN_SENT);

	Conn good;
	good.send(true, MOS_TCP_SYN, 1000, 0);
	b = good.send(false, MOS_TCP_RST | MOS_TCP_ACK, 0, 1001);
	EXPECT_FALSE(b.snd & MOS_TCPEV_RST_OOW);
	EXPECT_EQ(good.cli.state, MOS_TCP_CLOSED);
}

TEST(TcpState, WindowScalingWidensTheRstWindow)
{
	// Client advertises window 1000 with shift 7: 128000 bytes.
	Conn c;
	c.send(true, MOS_TCP_SYN, 1000, 0, "", 7);
	c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001, "", 2);
	c.send(true, MOS_TCP_ACK, 1001, 5001, "", -1, 1000);
	EXPECT_EQ(c.cli.wscale, 7);
	Bits b = c.send(false, MOS_TCP_RST, 5001 + 100000, 0);
	EXPECT_FALSE(b.snd & MOS_TCPEV_RST_OOW);

	Conn n;  // no scaling: the same RST is outside 1000 bytes
	n.send(true, MOS_TCP_SYN, 1000, 0);
	n.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);
	n.send(true, MOS_TCP_ACK, 1001, 5001, "", -1, 1000);
	b = n.send(false, MOS_TCP_RST, 5001 + 100000, 0);
	EXPECT_TRUE(b.snd & MOS_TCPEV_RST_OOW);
}

TEST(TcpState, WindowScaleNeedsBothSyns)
{
	Conn c;
	c.send(true, MOS_TCP_SYN, 1000, 0, "", 7);
	c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);  // no option
	EXPECT_EQ(c.cli.wscale, 0);
	EXPECT_EQ(c.svr.wscale, 0);
}

TEST(TcpState, DataBelowHighestSequenceIsRexmit)
{
	Conn c;
	c.handshake();
	Bits b = c.send(true, MOS_TCP_ACK, 1001, 5001, "hello");
	EXPECT_TRUE(b.snd & MOS_TCPEV_NEW_DATA);
	EXPECT_FALSE(b.snd & MOS_TCPEV_REXMIT);
	b = c.send(true, MOS_TCP_ACK, 1001, 5001, "hello");
	EXPECT_TRUE(b.snd & MOS_TCPEV_REXMIT);
	EXPECT_FALSE(b.snd & MOS_TCPEV_NEW_DATA);
	EXPECT_EQ(c.cli.rexmit_bytes, 5u);
	EXPECT_EQ(c.cli.bytes, 10u);
}

TEST(TcpState, SequenceWrapAroundIsNewDataNotRexmit)
{
	Conn c;
	uint32_t isn = 0xfffffff0u;
	c.send(true, MOS_TCP_SYN, isn, 0);
	c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, isn + 1);
	c.send(true, MOS_TCP_ACK, isn + 1, 5001);
	Bits b = c.send(true, MOS_TCP_ACK, isn + 1, 5001, std::string(32, 'x'));  // crosses 2^32
	EXPECT_TRUE(b.snd & MOS_TCPEV_NEW_DATA);
	EXPECT_EQ(c.cli.snd_nxt, isn + 1 + 32);
	b = c.send(true, MOS_TCP_ACK, isn + 33, 5001, "after");  // seq is now small
	EXPECT_TRUE(b.snd & MOS_TCPEV_NEW_DATA);
	EXPECT_FALSE(b.snd & MOS_TCPEV_REXMIT);
	b = c.send(true, MOS_TCP_ACK, isn + 1, 5001, std::string(32, 'x'));
	EXPECT_TRUE(b.snd & MOS_TCPEV_REXMIT);
}

TEST(TcpState, KeepAliveIsNotRexmit)
{
	Conn c;
	c.handshake();
	c.send(true, MOS_TCP_ACK, 1001, 5001, "abc");
	Bits b = c.send(true, MOS_TCP_ACK, 1003, 5001, "c");  // SEG.SEQ = SND.NXT - 1
	EXPECT_FALSE(b.snd & MOS_TCPEV_REXMIT);
}

TEST(TcpState, MidstreamPickupStartsEstablished)
{
	Conn c;
	c.send(true, MOS_TCP_ACK, 777, 888, "data");
	EXPECT_EQ(c.cli.state, MOS_TCP_ESTABLISHED);
	EXPECT_EQ(c.svr.state, MOS_TCP_ESTABLISHED);
	EXPECT_EQ(c.cli.snd_nxt, 781u);
	EXPECT_EQ(c.svr.snd_nxt, 888u);
}

TEST(TcpState, MidstreamSynAckPickupEstablishesClient)
{
	Conn c;
	c.send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);
	EXPECT_EQ(c.cli.state, MOS_TCP_ESTABLISHED);
	EXPECT_EQ(c.svr.state, MOS_TCP_SYN_RCVD);
}

TEST(TcpState, StateNamesAreRfcNames)
{
	EXPECT_STREQ(mos_tcp_state_name(MOS_TCP_TIME_WAIT), "TIME_WAIT");
	EXPECT_STREQ(mos_tcp_state_name(99), "?");
}

}  // namespace
