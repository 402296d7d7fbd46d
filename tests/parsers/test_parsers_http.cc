// SPDX-License-Identifier: BSD-3-Clause
// Tests of the incremental HTTP/1.x parser (stdlib/parsers/http.h): fields,
// framing (Content-Length, chunked, HEAD/204/304/1xx, until-close, CONNECT,
// 101), pipelining, every split of the input, limits and error outcomes,
// truncation, resync and gaps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "parsers/http.h"
}

namespace {

// Feeds a connection and writes every event with its fields to a transcript;
// the transcript of any split of the same bytes must be identical.
struct HttpRun {
	mos_http_conn c;
	mos_http_stats st{};
	std::string log;

	explicit HttpRun(bool resync = true, const mos_http_limits *lim = nullptr)
	{
		mos_http_init(&c, lim, &st, resync);
	}

	void note(mos_http_event ev, int dir)
	{
		char buf[4096];
		switch (ev) {
		case MOS_HTTP_REQUEST:
			snprintf(buf, sizeof(buf), "REQ %s %s host=%s ua=%s v=%u.%u cl=%llu f=%x hl=%u hc=%u off=%llu\n",
				 c.req.method, c.req.uri, c.req.host, c.req.user_agent,
				 c.req.version_major, c.req.version_minor,
				 (unsigned long long)c.req.content_length, c.req.flags,
				 c.req.header_len, c.req.header_count,
				 (unsigned long long)c.req.stream_offset);
			break;
		case MOS_HTTP_RESPONSE:
			snprintf(buf, sizeof(buf), "RESP %u '%s' v=%u.%u cl=%llu f=%x hl=%u m=%u off=%llu\n",
				 c.resp.status, c.resp.reason, c.resp.version_major,
				 c.resp.version_minor, (unsigned long long)c.resp.content_length,
				 c.resp.flags, c.resp.header_len, c.resp.request_method_id,
				 (unsigned long long)c.resp.stream_offset);
			break;
		case MOS_HTTP_MSG_END:
			snprintf(buf, sizeof(buf), "END %d\n", dir);
			break;
		case MOS_HTTP_ERROR:
			snprintf(buf, sizeof(buf), "ERR %d %s\n", dir,
				 mos_http_error_name((mos_http_error)c.dir[dir].error));
			break;
		default:
			buf[0] = 0;
		}
		log += buf;
	}

	void chunk(int dir, const std::string &s)
	{
		size_t off = 0;
		for (int guard = 0; guard < 100000; guard++) {
			size_t used = 0;
			auto ev = mos_http_feed(&c, (mos_http_dir_id)dir,
						(const uint8_t *)s.data() + off, s.size() - off, &used);
			EXPECT_LE(used, s.size() - off);
			off += used;
			if (ev == MOS_HTTP_NEED_MORE) {
				EXPECT_EQ(off, s.size());
				return;
			}
			note(ev, dir);
		}
		ADD_FAILURE() << "feed loop did not end";
	}

	void feed(int dir, const std::string &s, size_t step = 0)
	{
		if (step == 0) {
			chunk(dir, s);
			return;
		}
		for (size_t i = 0; i < s.size(); i += step)
			chunk(dir, s.substr(i, step));
	}

	void eof(int dir) { note(mos_http_eof(&c, (mos_http_dir_id)dir), dir); }
	void gap(int dir, uint64_t n) { note(mos_http_gap(&c, (mos_http_dir_id)dir, n), dir); }
};

std::string one_shot(int dir, const std::string &prefix_req, const std::string &s)
{
	HttpRun r;
	if (!prefix_req.empty())
		r.feed(0, prefix_req);
	r.feed(dir, s);
	return r.log;
}

// Every two-piece split and the byte-by-byte feed give the one-shot transcript.
void expect_split_invariant(int dir, const std::string &s, const std::string &prefix_req = "")
{
	std::string ref = one_shot(dir, prefix_req, s);
	for (size_t cut = 0; cut <= s.size(); cut++) {
		HttpRun r;
		if (!prefix_req.empty())
			r.feed(0, prefix_req);
		r.chunk(dir, s.substr(0, cut));
		r.chunk(dir, s.substr(cut));
		ASSERT_EQ(r.log, ref) << "split at " << cut;
	}
	HttpRun r;
	if (!prefix_req.empty())
		r.feed(0, prefix_req);
	r.feed(dir, s, 1);
	ASSERT_EQ(r.log, ref) << "byte by byte";
}

const std::string kGet =
	"GET /index.html?a=1 HTTP/1.1\r\n"
	"Host: www.example.com \r\n"
	"User-Agent: curl/8.0\r\n"
	"Accept: */*\r\n"
	"\r\n";

} // namespace

TEST(HttpRequest, GetParsesMethodUriHostUserAgentAndHeaderLength)
{
	HttpRun r;
	size_t used = 0;
	auto ev = mos_http_feed(&r.c, MOS_HTTP_DIR_REQUEST, (const uint8_t *)kGet.data(),
				kGet.size(), &used);
	ASSERT_EQ(ev, MOS_HTTP_REQUEST);
	EXPECT_EQ(used, kGet.size());
	EXPECT_STREQ(r.c.req.method, "GET");
	EXPECT_EQ(r.c.req.method_id, MOS_HTTP_M_GET);
	EXPECT_STREQ(r.c.req.uri, "/index.html?a=1");
	EXPECT_STREQ(r.c.req.host, "www.example.com");
	EXPECT_STREQ(r.c.req.user_agent, "curl/8.0");
	EXPECT_EQ(r.c.req.header_len, kGet.size());
	EXPECT_EQ(r.c.req.header_count, 3);
	EXPECT_EQ(r.c.req.version_major, 1);
	EXPECT_EQ(r.c.req.version_minor, 1);
	EXPECT_TRUE(r.c.req.flags & MOS_HTTP_F_KEEP_ALIVE);
	EXPECT_FALSE(r.c.req.flags & MOS_HTTP_F_HAS_CL);
	// no body: the end comes at once, using no byte
	ev = mos_http_feed(&r.c, MOS_HTTP_DIR_REQUEST, nullptr, 0, &used);
	EXPECT_EQ(ev, MOS_HTTP_MSG_END);
	EXPECT_EQ(used, 0u);
	ev = mos_http_feed(&r.c, MOS_HTTP_DIR_REQUEST, nullptr, 0, &used);
	EXPECT_EQ(ev, MOS_HTTP_NEED_MORE);
	EXPECT_EQ(r.st.requests, 1u);
	EXPECT_EQ(r.st.messages, 1u);
}

TEST(HttpRequest, HeaderCutShortNeedsMoreBytesAndReportsNothing)
{
	for (size_t n = 0; n < kGet.size(); n++) {
		HttpRun r;
		r.feed(0, kGet.substr(0, n));
		EXPECT_EQ(r.log, "") << n;
		r.eof(0);
		EXPECT_EQ(r.log, "") << n;
		EXPECT_EQ(r.st.requests, 0u);
	}
}

TEST(HttpRequest, PipelinedRequestsWithBodiesSplitAnywhereGiveTheSameEvents)
{
	std::string s = kGet +
		"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
		"POST /up HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		"5;ext=1\r\nHTTP/\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n"
		"\r\nDELETE /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
	HttpRun r;
	r.feed(0, s);
	EXPECT_EQ(r.st.requests, 4u);
	EXPECT_EQ(r.st.messages, 4u);
	EXPECT_EQ(r.st.anomalies[MOS_HTTP_ANOM_LEADING_EMPTY_LINE], 1u);
	EXPECT_STREQ(r.c.req.method, "DELETE");
	EXPECT_TRUE(r.c.req.flags & MOS_HTTP_F_KEEP_ALIVE);
	EXPECT_NE(r.log.find("REQ POST /form host=a"), std::string::npos);
	EXPECT_NE(r.log.find("REQ POST /up host=b"), std::string::npos);
	EXPECT_EQ(r.log.find("ERR"), std::string::npos) << r.log;
	expect_split_invariant(0, s);
}

TEST(HttpResponse, FramingByContentLengthChunkedAndNoBodyRulesSplitAnywhere)
{
	// requests: GET, HEAD, GET, GET, GET, GET
	std::string reqs = kGet + "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n" + kGet + kGet + kGet + kGet;
	std::string s =
		"HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde"
		"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"      // HEAD: no body
		"HTTP/1.1 204 No Content\r\n\r\n"
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\n0\r\n\r\n"
		"HTTP/1.0 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
	HttpRun r;
	r.feed(0, reqs);
	r.feed(1, s);
	EXPECT_EQ(r.st.responses, 7u) << r.log;
	EXPECT_EQ(r.log.find("ERR"), std::string::npos) << r.log;
	EXPECT_EQ(r.c.resp.status, 404);
	EXPECT_STREQ(r.c.resp.reason, "Not Found");
	EXPECT_FALSE(r.c.resp.flags & MOS_HTTP_F_KEEP_ALIVE);   // HTTP/1.0 default
	EXPECT_EQ(r.c.pend_count, 0);
	expect_split_invariant(1, s, reqs);
}

TEST(HttpResponse, BodyUntilCloseEndsAtEof)
{
	HttpRun r;
	r.feed(0, kGet);
	r.feed(1, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome body bytes");
	EXPECT_TRUE(r.c.resp.flags & MOS_HTTP_F_UNTIL_CLOSE);
	EXPECT_TRUE(r.c.resp.flags & MOS_HTTP_F_CONN_CLOSE);
	EXPECT_FALSE(r.c.resp.flags & MOS_HTTP_F_KEEP_ALIVE);
	EXPECT_EQ(r.st.messages, 1u);       // only the request ended so far
	r.feed(1, "HTTP/1.1 200 more body that looks like a header\r\n\r\n");
	EXPECT_EQ(r.st.responses, 1u);
	r.eof(1);
	EXPECT_EQ(r.st.messages, 2u);
}

TEST(HttpTunnel, ConnectMakesBothDirectionsOpaqueAfter2xx)
{
	HttpRun r;
	r.feed(0, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
		  "\x16\x03\x01\x00\x05hello");
	EXPECT_TRUE(mos_http_in_tunnel(&r.c, MOS_HTTP_DIR_REQUEST));
	EXPECT_STREQ(r.c.req.uri, "example.com:443");
	r.feed(1, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03 binary");
	EXPECT_TRUE(mos_http_in_tunnel(&r.c, MOS_HTTP_DIR_RESPONSE));
	EXPECT_EQ(r.c.resp.request_method_id, MOS_HTTP_M_CONNECT);
	EXPECT_EQ(r.log.find("ERR"), std::string::npos) << r.log;
}

TEST(HttpTunnel, SwitchingProtocolsMakesTheRestOpaque)
{
	HttpRun r;
	r.feed(0, "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
	EXPECT_TRUE(r.c.req.flags & MOS_HTTP_F_UPGRADE);
	r.feed(1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
	EXPECT_TRUE(mos_http_in_tunnel(&r.c, MOS_HTTP_DIR_RESPONSE));
	EXPECT_TRUE(mos_http_in_tunnel(&r.c, MOS_HTTP_DIR_REQUEST));
	r.feed(0, "\x81\x85garbage");
	EXPECT_EQ(r.log.find("ERR"), std::string::npos) << r.log;
}

TEST(HttpFraming, TransferEncodingChunkedWinsOverContentLengthAndIsCounted)
{
	HttpRun r;
	r.feed(0, "POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "2\r\nab\r\n0\r\n\r\n" + kGet);
	EXPECT_EQ(r.st.anomalies[MOS_HTTP_ANOM_TE_AND_CL], 1u);
	EXPECT_EQ(r.st.requests, 2u);
	EXPECT_STREQ(r.c.req.uri, "/index.html?a=1");
}

TEST(HttpFraming, ConnectionFlagsFollowVersionDefaults)
{
	HttpRun r;
	r.feed(0, "GET / HTTP/1.0\r\n\r\n");
	EXPECT_FALSE(r.c.req.flags & MOS_HTTP_F_KEEP_ALIVE);
	r.feed(0, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
	EXPECT_TRUE(r.c.req.flags & MOS_HTTP_F_KEEP_ALIVE);
	r.feed(0, "GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n");
	EXPECT_FALSE(r.c.req.flags & MOS_HTTP_F_KEEP_ALIVE);
	EXPECT_TRUE(r.c.req.flags & MOS_HTTP_F_CONN_CLOSE);
}

TEST(HttpFraming, Http09RequestLineEndsTheRequestAndItsAnswerIsRaw)
{
	HttpRun r;
	r.feed(0, "GET /old\r\n");
	ASSERT_EQ(r.st.requests, 1u);
	EXPECT_STREQ(r.c.req.uri, "/old");
	EXPECT_TRUE(r.c.req.flags & MOS_HTTP_F_HTTP09);
	EXPECT_EQ(r.c.req.version_major, 0);
	EXPECT_FALSE(r.c.req.flags & MOS_HTTP_F_KEEP_ALIVE);
	r.feed(1, "<html>raw body\r\nHTTP/1.1 200 OK\r\n\r\n");
	EXPECT_EQ(r.st.responses, 1u) << r.log;
	EXPECT_EQ(r.c.resp.status, 0);
	EXPECT_TRUE(r.c.resp.flags & MOS_HTTP_F_HTTP09);
	EXPECT_EQ(r.c.resp.header_len, 0u);
	r.eof(1);
	EXPECT_EQ(r.c.resp.body_len, 35u) << "the whole answer is body";
	EXPECT_EQ(r.st.messages, 2u);
	EXPECT_EQ(r.log.find("ERR"), std::string::npos) << r.log;
}

TEST(HttpFraming, BareLfLineEndsAreAcceptedAndCounted)
{
	HttpRun r;
	r.feed(0, "GET /lf HTTP/1.1\nHost: lf.example\n\n");
	EXPECT_EQ(r.st.requests, 1u);
	EXPECT_STREQ(r.c.req.host, "lf.example");
	EXPECT_EQ(r.st.anomalies[MOS_HTTP_ANOM_BARE_LF], 3u);
}

TEST(HttpFields, RefererContentTypeAndBodyLengths)
{
	HttpRun r;
	r.feed(0, "POST /f HTTP/1.1\r\nReferer: http://a.test/x\r\nContent-Type: text/plain\r\n"
		  "Content-Length: 5\r\n\r\nhello");
	EXPECT_STREQ(r.c.req.referer, "http://a.test/x");
	EXPECT_STREQ(r.c.req.content_type, "text/plain");
	EXPECT_EQ(r.c.req.body_len, 5u);
	r.feed(1, "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
	EXPECT_STREQ(r.c.resp.content_type, "image/png");
	EXPECT_EQ(r.c.resp.body_len, 19u) << "chunk data only, framing excluded";
	EXPECT_FALSE(r.c.resp.flags & MOS_HTTP_F_CONTENT_ENCODED);
	r.feed(0, kGet + kGet);
	r.feed(1, "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 0\r\n\r\n");
	EXPECT_FALSE(r.c.resp.flags & MOS_HTTP_F_CONTENT_ENCODED);
	r.feed(1, "HTTP/1.1 200 OK\r\nContent-Encoding: GZIP\r\nContent-Length: 0\r\n\r\n");
	EXPECT_TRUE(r.c.resp.flags & MOS_HTTP_F_CONTENT_ENCODED);
	EXPECT_FALSE(r.c.resp.flags & MOS_HTTP_F_BODY_GAP);
	r.feed(0, kGet);
	r.feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
	r.gap(1, 90);
	EXPECT_EQ(r.c.resp.body_len, 100u);
	EXPECT_TRUE(r.c.resp.flags & MOS_HTTP_F_BODY_GAP);
	EXPECT_EQ(r.c.resp.content_type[0], '\0') << "reset for each message";
}

TEST(HttpFields, LongValuesAreTruncatedAndFlagged)
{
	std::string uri = "/" + std::string(5000, 'u');
	std::string host(400, 'h');
	HttpRun r;
	r.feed(0, "GET " + uri + " HTTP/1.1\r\nHost: " + host + "\r\nHost: second\r\n\r\n", 7);
	ASSERT_EQ(r.st.requests, 1u);
	EXPECT_TRUE(r.c.req.flags & MOS_HTTP_F_TRUNC_URI);
	EXPECT_TRUE(r.c.req.flags & MOS_HTTP_F_TRUNC_HOST);
	EXPECT_EQ(r.c.req.uri_len, MOS_HTTP_URI_MAX - 1);
	EXPECT_EQ(std::string(r.c.req.uri), uri.substr(0, MOS_HTTP_URI_MAX - 1));
	EXPECT_EQ(std::string(r.c.req.host), host.substr(0, MOS_HTTP_HOST_MAX - 1));
	EXPECT_EQ(r.st.anomalies[MOS_HTTP_ANOM_TRUNCATED_FIELD], 2u);
}

TEST(HttpFields, NulAndControlBytesInValuesBecomeSpaces)
{
	HttpRun r;
	r.feed(0, std::string("GET / HTTP/1.1\r\nHost: evil.test\0.good\x01" "x\r\n\r\n", 43));
	ASSERT_EQ(r.st.requests, 1u) << r.log;
	EXPECT_STREQ(r.c.req.host, "evil.test .good x");
	EXPECT_EQ(r.c.req.host_len, strlen(r.c.req.host));
}

TEST(HttpFields, ObsFoldContinuesTheValue)
{
	HttpRun r;
	r.feed(0, "GET / HTTP/1.1\r\nUser-Agent: part1\r\n part2\r\n\r\n");
	EXPECT_EQ(r.st.anomalies[MOS_HTTP_ANOM_OBS_FOLD], 1u);
	EXPECT_STREQ(r.c.req.user_agent, "part1 part2");
}

// Each malformed input gives exactly its named error and counts it.
TEST(HttpErrors, EachMalformedInputHasItsNamedOutcome)
{
	struct Case {
		int dir;
		std::string bytes;
		mos_http_error want;
	} cases[] = {
		{ 0, "G(T / HTTP/1.1\r\n\r\n", MOS_HTTP_ERR_BAD_START_LINE },
		{ 0, "GET \r\n\r\n", MOS_HTTP_ERR_BAD_START_LINE },
		{ 0, "GET  / HTTP/1.1\r\n\r\n", MOS_HTTP_ERR_BAD_START_LINE },
		{ 0, "GET / HTTP/2.0\r\n\r\n", MOS_HTTP_ERR_BAD_VERSION },
		{ 0, "GET / HTTX/1.1\r\n\r\n", MOS_HTTP_ERR_BAD_VERSION },
		{ 0, "GET / HTTP/1.1 x\r\n\r\n", MOS_HTTP_ERR_BAD_VERSION },
		{ 1, "HTTP/1.1 2x0 OK\r\n\r\n", MOS_HTTP_ERR_BAD_STATUS },
		{ 1, "HTTP/1.1 2000 OK\r\n\r\n", MOS_HTTP_ERR_BAD_STATUS },
		{ 1, "xTTP/1.1 200 OK\r\n\r\n", MOS_HTTP_ERR_BAD_START_LINE },
		{ 0, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", MOS_HTTP_ERR_BAD_FIELD },
		{ 0, "GET / HTTP/1.1\r\nNoColon\r\n\r\n", MOS_HTTP_ERR_BAD_FIELD },
		{ 0, "GET / HTTP/1.1\r\n folded-first\r\n\r\n", MOS_HTTP_ERR_BAD_FIELD },
		{ 0, "GET / HTTP/1.1\r\nA: b\r\n\rX", MOS_HTTP_ERR_BAD_LINE_END },
		{ 0, "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", MOS_HTTP_ERR_BAD_CONTENT_LENGTH },
		{ 0, "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", MOS_HTTP_ERR_BAD_CONTENT_LENGTH },
		{ 0, "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", MOS_HTTP_ERR_BAD_CONTENT_LENGTH },
		{ 0, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
		  MOS_HTTP_ERR_BAD_CONTENT_LENGTH },
		{ 0, "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
		  MOS_HTTP_ERR_BAD_CONTENT_LENGTH },
		{ 0, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
		  MOS_HTTP_ERR_BAD_TRANSFER_ENCODING },
		{ 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", MOS_HTTP_ERR_BAD_CHUNK },
		{ 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", MOS_HTTP_ERR_BAD_CHUNK },
		{ 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n",
		  MOS_HTTP_ERR_BAD_CHUNK },
		{ 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX", MOS_HTTP_ERR_BAD_LINE_END },
	};
	for (const auto &k : cases) {
		HttpRun r(false);
		r.feed(k.dir, k.bytes);
		EXPECT_EQ(r.log.find("ERR"), r.log.rfind("ERR")) << k.bytes;
		EXPECT_NE(r.log.find(std::string("ERR ") + std::to_string(k.dir) + " " +
				     mos_http_error_name(k.want)),
			  std::string::npos)
			<< k.bytes << " gave " << r.log;
		EXPECT_EQ(r.st.errors[k.want], 1u) << k.bytes;
		// the same outcome with any split
		expect_split_invariant(k.dir, k.bytes);
	}
}

TEST(HttpLimits, HeaderBytesHeaderCountAndFieldLengthAreEnforced)
{
	mos_http_limits lim = { 200, 4, 64 };
	{
		HttpRun r(false, &lim);
		r.feed(0, "GET / HTTP/1.1\r\n" + std::string(5, 'x') + ": " + std::string(50, 'v') +
			  "\r\n" + "a: " + std::string(50, 'v') + "\r\nb: " + std::string(50, 'v') +
			  "\r\nc: " + std::string(50, 'v') + "\r\n\r\n");
		EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_HEADER_TOO_LONG], 1u) << r.log;
	}
	{
		HttpRun r(false, &lim);
		r.feed(0, "GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\ne: 5\r\n\r\n");
		EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_TOO_MANY_HEADERS], 1u) << r.log;
	}
	{
		HttpRun r(false, &lim);
		r.feed(0, "GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n");
		EXPECT_EQ(r.st.requests, 1u) << "exactly at the header count limit";
	}
	{
		HttpRun r(false, &lim);
		r.feed(0, "GET / HTTP/1.1\r\nCookie: " + std::string(70, 'c') + "\r\n\r\n");
		EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_FIELD_TOO_LONG], 1u) << r.log;
	}
	{
		HttpRun r(false, &lim);
		r.feed(0, "GET /" + std::string(70, 'u') + " HTTP/1.1\r\n\r\n");
		EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_FIELD_TOO_LONG], 1u) << "start line too";
	}
	{
		HttpRun r(false, &lim);
		r.feed(0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
			  std::string(80, 'e') + "\r\n");
		EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_FIELD_TOO_LONG], 1u) << "chunk extension";
	}
	{
		HttpRun r(false, &lim);
		std::string tr;
		for (int i = 0; i < 5; i++)
			tr += "t: 1\r\n";
		r.feed(0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + tr + "\r\n");
		EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_TOO_MANY_HEADERS], 1u) << "trailers";
	}
}

TEST(HttpResync, AfterAnErrorTheNextRequestLineIsFound)
{
	std::string s = "\x01\x02 garbage without sense\r\nmore junk\r\n" + kGet;
	HttpRun r(true);
	r.feed(0, s);
	EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_BAD_START_LINE], 1u);
	EXPECT_EQ(r.st.anomalies[MOS_HTTP_ANOM_RESYNC], 1u);
	ASSERT_EQ(r.st.requests, 1u);
	EXPECT_STREQ(r.c.req.uri, "/index.html?a=1");
	EXPECT_EQ(r.c.req.stream_offset, s.size() - kGet.size());
	expect_split_invariant(0, s);

	HttpRun off(false);
	off.feed(0, s);
	EXPECT_EQ(off.st.requests, 0u) << "no resync: the rest is ignored";
}

TEST(HttpResync, ErrorOnTheLineEndKeepsTheNextLineAsCandidate)
{
	HttpRun r(true);
	r.feed(0, "GET / HTTP/1\n" + kGet);
	EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_BAD_VERSION], 1u);
	EXPECT_EQ(r.st.requests, 1u) << r.log;
	EXPECT_STREQ(r.c.req.uri, "/index.html?a=1");
	expect_split_invariant(0, "GET / HTTP/1\n" + kGet);
}

TEST(HttpResync, MidstreamResponseIsPickedUpAtTheNextStatusLine)
{
	HttpRun r(true);
	r.feed(1, "tail of an earlier body\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	EXPECT_EQ(r.st.responses, 1u);
	EXPECT_EQ(r.c.resp.status, 200);
	EXPECT_EQ(r.st.anomalies[MOS_HTTP_ANOM_RESPONSE_WITHOUT_REQUEST], 1u);
}

TEST(HttpGap, GapInsideAKnownLengthBodyIsSkipped)
{
	HttpRun r;
	r.feed(0, kGet);
	r.feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
	r.gap(1, 80);
	r.feed(1, "0123456789HTTP/1.1 304 Not Modified\r\n\r\n");
	EXPECT_EQ(r.log.find("ERR"), std::string::npos) << r.log;
	EXPECT_EQ(r.c.resp.status, 304);
	EXPECT_EQ(r.c.resp.stream_offset, 40u + 100u);
}

TEST(HttpGap, GapInsideAHeaderIsAnErrorThenResync)
{
	HttpRun r;
	r.feed(0, "GET / HTTP/1.1\r\nHo");
	r.gap(0, 10);
	r.feed(0, "st: x\r\n\r\n" + kGet);
	EXPECT_EQ(r.st.errors[MOS_HTTP_ERR_GAP], 1u);
	EXPECT_EQ(r.st.requests, 1u);
	EXPECT_STREQ(r.c.req.host, "www.example.com");
}

TEST(HttpPipelining, PendingQueueOverflowIsCountedNotFatal)
{
	HttpRun r;
	std::string s;
	for (int i = 0; i < MOS_HTTP_PENDING_MAX + 3; i++)
		s += kGet;
	r.feed(0, s);
	EXPECT_EQ(r.st.anomalies[MOS_HTTP_ANOM_PENDING_OVERFLOW], 3u);
	EXPECT_EQ(r.st.requests, (uint64_t)MOS_HTTP_PENDING_MAX + 3);
}

TEST(HttpNames, ErrorAndAnomalyNamesAreStable)
{
	EXPECT_STREQ(mos_http_error_name(MOS_HTTP_ERR_BAD_CHUNK), "bad_chunk");
	EXPECT_STREQ(mos_http_error_name((mos_http_error)200), "?");
	EXPECT_STREQ(mos_http_anomaly_name(MOS_HTTP_ANOM_TE_AND_CL), "te_and_cl");
	EXPECT_STREQ(mos_http_method_name(MOS_HTTP_M_PATCH), "PATCH");
}
