// SPDX-License-Identifier: BSD-3-Clause
// Tests of the TLS hello parser (stdlib/parsers/tls.h) and its MD5: fields of
// ClientHello/ServerHello, JA3/JA3S with GREASE removed, a hello spanning
// records and segments (every split), the buffer cap, truncations and the
// named errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "parsers/md5.h"
#include "parsers/sha256.h"
#include "parsers/tls.h"
}

namespace {

using Bytes = std::vector<uint8_t>;

void u8(Bytes &b, unsigned v) { b.push_back((uint8_t)v); }
void u16(Bytes &b, unsigned v) { u8(b, v >> 8); u8(b, v & 0xff); }
void u24(Bytes &b, unsigned v) { u8(b, v >> 16); u16(b, v & 0xffff); }
void cat(Bytes &b, const Bytes &x) { b.insert(b.end(), x.begin(), x.end()); }
Bytes str(const std::string &s) { return Bytes(s.begin(), s.end()); }
Bytes vec8(const Bytes &x) { Bytes b; u8(b, (unsigned)x.size()); cat(b, x); return b; }
Bytes vec16(const Bytes &x) { Bytes b; u16(b, (unsigned)x.size()); cat(b, x); return b; }
Bytes u16s(std::initializer_list<unsigned> l) { Bytes b; for (unsigned v : l) u16(b, v); return b; }
Bytes ext(unsigned type, const Bytes &data) { Bytes b; u16(b, type); cat(b, vec16(data)); return b; }

Bytes sni_ext(const std::string &name)
{
	Bytes entry;
	u8(entry, 0);
	cat(entry, vec16(str(name)));
	return ext(0, vec16(entry));
}

Bytes alpn_ext(std::initializer_list<std::string> protos)
{
	Bytes l;
	for (auto &p : protos)
		cat(l, vec8(str(p)));
	return ext(16, vec16(l));
}

// A Chrome-like ClientHello body with GREASE in ciphers, extensions, groups
// and supported_versions.
Bytes client_hello_body(const std::string &sni = "www.example.com")
{
	Bytes b;
	u16(b, 0x0303);
	for (int i = 0; i < 32; i++)
		u8(b, i);
	cat(b, vec8(Bytes(32, 0xee)));                                  // session id
	cat(b, vec16(u16s({ 0x0a0a, 0x1301, 0x1302, 0xc02b, 0xc02f, 0x00ff })));
	cat(b, vec8({ 0 }));                                             // compression
	Bytes e;
	cat(e, ext(0x1a1a, {}));
	cat(e, sni_ext(sni));
	cat(e, ext(23, {}));
	cat(e, ext(65281, { 0 }));
	cat(e, ext(10, vec16(u16s({ 0x2a2a, 29, 23, 24 }))));
	cat(e, ext(11, vec8({ 0 })));
	cat(e, ext(35, {}));
	cat(e, alpn_ext({ "h2", "http/1.1" }));
	cat(e, ext(43, vec8(u16s({ 0x3a3a, 0x0304, 0x0303 }))));
	cat(e, ext(0x4a4a, { 0 }));
	cat(b, vec16(e));
	return b;
}
const char *kJa3 = "771,4865-4866-49195-49199-255,0-23-65281-10-11-35-16-43,29-23-24,0";
const char *kJa3Md5 = "1238847edb1589f974a8b045f2e30fda";    // python hashlib

Bytes handshake(unsigned type, const Bytes &body)
{
	Bytes b;
	u8(b, type);
	u24(b, (unsigned)body.size());
	cat(b, body);
	return b;
}

// Wraps handshake bytes in records of at most maxrec payload bytes.
Bytes records(const Bytes &hs, size_t maxrec = 16384, unsigned type = 22)
{
	Bytes b;
	for (size_t i = 0; i < hs.size(); i += maxrec) {
		size_t n = std::min(maxrec, hs.size() - i);
		u8(b, type);
		u16(b, 0x0301);
		u16(b, (unsigned)n);
		b.insert(b.end(), hs.begin() + (long)i, hs.begin() + (long)(i + n));
	}
	return b;
}

Bytes server_hello_body(bool tls13)
{
	Bytes b;
	u16(b, 0x0303);
	for (int i = 0; i < 32; i++)
		u8(b, 0x40 + i);
	cat(b, vec8(Bytes(32, 0xee)));
	if (tls13) {
		u16(b, 0x1301);
		u8(b, 0);
		Bytes e;
		cat(e, ext(43, u16s({ 0x0304 })));
		Bytes ks;
		u16(ks, 29);
		cat(ks, vec16(Bytes(32, 0x11)));
		cat(e, ext(51, ks));
		cat(b, vec16(e));
	} else {
		u16(b, 0xc02f);
		u8(b, 0);
		Bytes e;
		cat(e, ext(65281, { 0 }));
		cat(e, ext(11, vec8({ 0, 1, 2 })));
		Bytes l;
		cat(l, vec8(str("h2")));
		cat(e, ext(16, vec16(l)));
		cat(b, vec16(e));
	}
	return b;
}

struct TlsRun {
	mos_tls_dir t;
	mos_tls_stats st{};
	std::vector<uint8_t> buf;
	std::string log;

	explicit TlsRun(uint32_t cap = MOS_TLS_HS_BUF_DEFAULT) : buf(cap)
	{
		EXPECT_EQ(mos_tls_init(&t, buf.data(), cap, &st), 0);
	}

	void chunk(const uint8_t *p, size_t n)
	{
		size_t off = 0;
		for (;;) {
			size_t used = 0;
			auto ev = mos_tls_feed(&t, p + off, n - off, &used);
			off += used;
			if (ev == MOS_TLS_NEED_MORE) {
				EXPECT_EQ(off, n);
				return;
			}
			char tmp[MOS_TLS_JA3_MAX + 512];
			if (ev == MOS_TLS_ERROR) {
				snprintf(tmp, sizeof(tmp), "ERR %s\n",
					 mos_tls_error_name((mos_tls_error)t.error));
			} else {
				char ja3[MOS_TLS_JA3_MAX];
				mos_tls_fingerprint(&t.hello, ja3, sizeof(ja3));
				snprintf(tmp, sizeof(tmp), "HELLO %u sni=%s alpn=%s v=%x lv=%x c=%x ja3=%s md5=%s off=%llu\n",
					 t.hello.type, t.hello.sni, t.hello.alpn, t.hello.version,
					 t.hello.legacy_version, t.hello.cipher, ja3, t.hello.ja3_md5,
					 (unsigned long long)t.hello.stream_offset);
			}
			log += tmp;
		}
	}
	void feed(const Bytes &b, size_t step = 0)
	{
		if (!step)
			step = b.size() ? b.size() : 1;
		for (size_t i = 0; i < b.size(); i += step)
			chunk(b.data() + i, std::min(step, b.size() - i));
	}
};

} // namespace

TEST(Md5, Rfc1321TestSuite)
{
	const char *in[] = { "", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz" };
	const char *want[] = { "d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661",
			       "900150983cd24fb0d6963f7d28e17f72", "f96b697d7cb7938d525a2f31aaf161d0",
			       "c3fcd3d76192e4007dfb496cca67e13b" };
	for (int i = 0; i < 5; i++) {
		uint8_t d[16];
		char hex[33];
		mos_md5_digest(in[i], strlen(in[i]), d);
		mos_md5_hex(d, hex);
		EXPECT_STREQ(hex, want[i]) << in[i];
	}
	// streamed in odd pieces across block boundaries
	std::string s;
	for (int i = 0; i < 8; i++)
		s += "1234567890";
	mos_md5 m;
	mos_md5_init(&m);
	for (size_t i = 0; i < s.size(); i += 7)
		mos_md5_update(&m, s.data() + i, std::min<size_t>(7, s.size() - i));
	uint8_t d[16];
	char hex[33];
	mos_md5_final(&m, d);
	mos_md5_hex(d, hex);
	EXPECT_STREQ(hex, "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Sha256, Fips180TestVectors)
{
	const char *in[] = { "", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" };
	const char *want[] = {
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	};
	for (int i = 0; i < 3; i++) {
		uint8_t d[32];
		char hex[65];
		mos_sha256_digest(in[i], strlen(in[i]), d);
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", d[k]);
		EXPECT_STREQ(hex, want[i]) << in[i];
	}
	std::string s;
	for (int i = 0; i < 8; i++)
		s += "1234567890";
	struct mos_sha256 c;
	mos_sha256_init(&c);
	for (size_t i = 0; i < s.size(); i += 13)
		mos_sha256_update(&c, s.data() + i, std::min<size_t>(13, s.size() - i));
	uint8_t d[32];
	char hex[65];
	mos_sha256_final(&c, d);
	for (int k = 0; k < 32; k++)
		snprintf(hex + 2 * k, 3, "%02x", d[k]);
	EXPECT_STREQ(hex, "f371bc4a311f2b009eef952dd83ca80e2b60026c8e935592d0f9c308453c813e");
}

TEST(TlsClientHello, FieldsAndJa3WithGreaseRemoved)
{
	TlsRun r;
	r.feed(records(handshake(1, client_hello_body())));
	ASSERT_EQ(r.st.client_hellos, 1u) << r.log;
	const mos_tls_hello &h = r.t.hello;
	EXPECT_EQ(h.type, 1);
	EXPECT_STREQ(h.sni, "www.example.com");
	EXPECT_STREQ(h.alpn, "h2,http/1.1");
	EXPECT_EQ(h.alpn_count, 2);
	EXPECT_EQ(h.legacy_version, 0x0303);
	EXPECT_EQ(h.version, 0x0304) << "highest non-GREASE supported_versions entry";
	EXPECT_EQ(h.n_versions, 2);
	EXPECT_EQ(h.n_ciphers, 5);
	EXPECT_EQ(h.n_groups, 3);
	EXPECT_EQ(h.n_formats, 1);
	EXPECT_TRUE(h.flags & MOS_TLS_F_GREASE);
	EXPECT_TRUE(h.flags & MOS_TLS_F_SNI);
	EXPECT_TRUE(h.flags & MOS_TLS_F_SUPP_VERS);
	char ja3[MOS_TLS_JA3_MAX];
	EXPECT_EQ(mos_tls_fingerprint(&h, ja3, sizeof(ja3)), strlen(kJa3));
	EXPECT_STREQ(ja3, kJa3);
	EXPECT_STREQ(h.ja3_md5, kJa3Md5);
	// JA4: sorted lists hashed with python's hashlib for the expected value
	EXPECT_STREQ(h.ja4, "t13d0508h2_4af71558c6a0_8467e94f92c9");
	EXPECT_TRUE(mos_tls_done(&r.t));
	// bytes after the hello are skipped
	Bytes junk(100, 0x17);
	r.feed(junk);
	EXPECT_EQ(r.log.find("ERR"), std::string::npos);
}

TEST(TlsClientHello, VersionIsTheHighestStandardOfferedVersion)
{
	Bytes b;
	u16(b, 0x0303);
	b.insert(b.end(), 32, 0);
	cat(b, vec8({}));
	cat(b, vec16(u16s({ 0x1301 })));
	cat(b, vec8({ 0 }));
	cat(b, vec16(ext(43, vec8(u16s({ 0xfb1a, 0x7f1c, 0x0303, 0x0304, 0x0302 })))));
	mos_tls_hello h{};
	ASSERT_EQ(mos_tls_parse_hello(1, b.data(), b.size(), &h, nullptr), 0);
	EXPECT_EQ(h.version, 0x0304);
	EXPECT_EQ(h.n_versions, 5);
}

TEST(TlsClientHello, Ja4HashesSignatureAlgorithmsInWireOrderAndMarksMissingSni)
{
	// a hello without SNI and ALPN, with signature_algorithms 0x0804, 0x0403
	Bytes body;
	u16(body, 0x0303);
	body.insert(body.end(), 32, 0);
	cat(body, vec8({}));
	cat(body, vec16(u16s({ 0x1301, 0x1302, 0xc02b, 0xc02f, 0x00ff })));
	cat(body, vec8({ 0 }));
	Bytes e;
	cat(e, ext(23, {}));
	cat(e, ext(65281, { 0 }));
	cat(e, ext(10, vec16(u16s({ 29 }))));
	cat(e, ext(11, vec8({ 0 })));
	cat(e, ext(35, {}));
	cat(e, ext(43, vec8(u16s({ 0x0304 }))));
	cat(e, ext(13, vec16(u16s({ 0x0403, 0x0804 }))));
	cat(body, vec16(e));
	mos_tls_hello h{};
	ASSERT_EQ(mos_tls_parse_hello(1, body.data(), body.size(), &h, nullptr), 0);
	EXPECT_EQ(h.n_sigalgs, 2);
	// 'i': no SNI; "00": no ALPN; 7 extensions; the extension hash covers
	// "000a,000b,000d,0017,0023,002b,ff01_0403,0804"
	std::string ja4 = h.ja4;
	EXPECT_EQ(ja4.substr(0, 11), "t13i050700_");
	EXPECT_EQ(ja4.substr(11, 12), "4af71558c6a0") << "same cipher set as the full hello";
	EXPECT_EQ(ja4.substr(24), "85b92bba5c5b") << "python hashlib of the list above";
}

TEST(TlsClientHello, FingerprintIsTruncatedToTheBufferButReportsFullLength)
{
	TlsRun r;
	r.feed(records(handshake(1, client_hello_body())));
	char small[10];
	EXPECT_EQ(mos_tls_fingerprint(&r.t.hello, small, sizeof(small)), strlen(kJa3));
	EXPECT_EQ(std::string(small), std::string(kJa3).substr(0, 9));
}

TEST(TlsClientHello, SpanningRecordsAndSegmentsGivesTheSameResultForEverySplit)
{
	Bytes one = records(handshake(1, client_hello_body()));
	TlsRun ref;
	ref.feed(one);
	ASSERT_NE(ref.log.find("HELLO 1"), std::string::npos);
	// the handshake message spread over records of 1, 7 and 100 bytes
	for (size_t rec : { 1, 7, 100 }) {
		Bytes multi = records(handshake(1, client_hello_body()), rec);
		TlsRun r;
		r.feed(multi);
		EXPECT_EQ(r.log, ref.log) << "records of " << rec;
		for (size_t cut = 0; cut <= multi.size(); cut += (rec == 1 ? 13 : 1)) {
			TlsRun s;
			s.chunk(multi.data(), cut);
			s.chunk(multi.data() + cut, multi.size() - cut);
			ASSERT_EQ(s.log, ref.log) << "records of " << rec << " split at " << cut;
		}
		TlsRun b;
		b.feed(multi, 1);
		EXPECT_EQ(b.log, ref.log) << "byte by byte, records of " << rec;
	}
}

TEST(TlsClientHello, CutShortAnywhereNeedsMoreAndReportsNothing)
{
	Bytes one = records(handshake(1, client_hello_body()), 50);
	for (size_t n = 0; n < one.size(); n++) {
		TlsRun r;
		r.chunk(one.data(), n);
		ASSERT_EQ(r.log, "") << n;
		ASSERT_FALSE(mos_tls_done(&r.t));
	}
}

TEST(TlsClientHello, MessageOverTheBufferCapIsCounted)
{
	TlsRun r(MOS_TLS_HS_BUF_MIN);
	r.feed(records(handshake(1, client_hello_body())));
	EXPECT_EQ(r.log, "ERR hello_too_large\n");
	EXPECT_EQ(r.st.errors[MOS_TLS_ERR_HELLO_TOO_LARGE], 1u);
	mos_tls_dir t;
	uint8_t b[8];
	EXPECT_EQ(mos_tls_init(&t, b, sizeof(b), nullptr), -EINVAL);
}

TEST(TlsClientHello, TruncatedBodyIsBadHelloExceptBeforeExtensions)
{
	Bytes body = client_hello_body();
	// end of compression methods = 2 + 32 + 33 + 2+12 + 2
	const size_t no_ext = 2 + 32 + 33 + 14 + 2;
	for (size_t n = 0; n < body.size(); n++) {
		mos_tls_hello h{};
		int rc = mos_tls_parse_hello(1, body.data(), n, &h, nullptr);
		if (n == no_ext)
			EXPECT_EQ(rc, 0) << "hello without extensions is valid";
		else
			EXPECT_EQ(rc, -EBADMSG) << n;
	}
	// the same truncation through the record layer: handshake length says n
	TlsRun r;
	Bytes cut(body.begin(), body.begin() + 50);
	r.feed(records(handshake(1, cut)));
	EXPECT_EQ(r.log, "ERR bad_hello\n");
}

TEST(TlsClientHello, LongSniIsTruncatedAndFlagged)
{
	std::string name(300, 'n');
	TlsRun r;
	r.feed(records(handshake(1, client_hello_body(name))));
	ASSERT_EQ(r.st.client_hellos, 1u);
	EXPECT_TRUE(r.t.hello.flags & MOS_TLS_F_TRUNC_SNI);
	EXPECT_EQ(std::string(r.t.hello.sni), name.substr(0, MOS_TLS_SNI_MAX - 1));
	EXPECT_EQ(r.st.anomalies[MOS_TLS_ANOM_TRUNCATED_FIELD], 1u);
}

TEST(TlsClientHello, NulAndControlBytesInSniCannotHideTheRestOfTheName)
{
	TlsRun r;
	r.feed(records(handshake(1, client_hello_body(std::string("evil.test\0.good.test", 20)))));
	ASSERT_EQ(r.st.client_hellos, 1u);
	EXPECT_STREQ(r.t.hello.sni, "evil.test?.good.test");
	EXPECT_EQ(r.t.hello.sni_len, 20);
	EXPECT_TRUE(r.t.hello.flags & MOS_TLS_F_NON_PRINTABLE);
	EXPECT_EQ(r.st.anomalies[MOS_TLS_ANOM_NON_PRINTABLE], 1u);
}

TEST(TlsClientHello, ListsOverTheirCapAreFlagged)
{
	Bytes b;
	u16(b, 0x0303);
	b.insert(b.end(), 32, 0);
	cat(b, vec8({}));
	Bytes ciphers;
	for (unsigned i = 0; i < MOS_TLS_MAX_CIPHERS + 5; i++)
		u16(ciphers, 0x1000 + i);
	cat(b, vec16(ciphers));
	cat(b, vec8({ 0 }));
	mos_tls_hello h{};
	mos_tls_stats st{};
	ASSERT_EQ(mos_tls_parse_hello(1, b.data(), b.size(), &h, &st), 0);
	EXPECT_EQ(h.n_ciphers, MOS_TLS_MAX_CIPHERS);
	EXPECT_TRUE(h.flags & MOS_TLS_F_LIST_CAPPED);
	EXPECT_EQ(st.anomalies[MOS_TLS_ANOM_LIST_CAPPED], 1u);
	EXPECT_EQ(h.version, 0x0303) << "no supported_versions: legacy version";
}

TEST(TlsServerHello, Tls13ChosenVersionComesFromSupportedVersions)
{
	TlsRun r;
	r.feed(records(handshake(2, server_hello_body(true))));
	ASSERT_EQ(r.st.server_hellos, 1u) << r.log;
	EXPECT_EQ(r.t.hello.type, 2);
	EXPECT_EQ(r.t.hello.legacy_version, 0x0303);
	EXPECT_EQ(r.t.hello.version, 0x0304);
	EXPECT_EQ(r.t.hello.cipher, 0x1301);
	char ja3s[64];
	mos_tls_fingerprint(&r.t.hello, ja3s, sizeof(ja3s));
	EXPECT_STREQ(ja3s, "771,4865,43-51");
	EXPECT_STREQ(r.t.hello.ja3_md5, "f4febc55ea12b31ae17cfb7e614afda8");
}

TEST(TlsServerHello, Tls12UsesLegacyVersionAndReportsChosenAlpn)
{
	TlsRun r;
	Bytes s = records(handshake(2, server_hello_body(false)));
	// the certificate that follows in the same record stream is not looked at
	Bytes more = records(handshake(11, Bytes(3000, 0x30)));
	cat(s, more);
	r.feed(s, 3);
	ASSERT_EQ(r.st.server_hellos, 1u) << r.log;
	EXPECT_EQ(r.t.hello.version, 0x0303);
	EXPECT_EQ(r.t.hello.cipher, 0xc02f);
	EXPECT_STREQ(r.t.hello.alpn, "h2");
	EXPECT_STREQ(r.t.hello.ja3_md5, "1089ea6f0461a29006cc96dfe7a11d80");
	EXPECT_EQ(r.log.find("ERR"), std::string::npos);
}

TEST(TlsServerHello, WarningAlertBeforeTheHelloIsSkipped)
{
	Bytes s = { 21, 3, 3, 0, 2, 1, 112 };      // warning unrecognized_name
	cat(s, records(handshake(2, server_hello_body(false))));
	TlsRun r;
	r.feed(s, 2);
	EXPECT_EQ(r.st.server_hellos, 1u) << r.log;
	EXPECT_EQ(r.st.anomalies[MOS_TLS_ANOM_RECORD_BEFORE_HELLO], 1u);
	EXPECT_EQ(r.t.hello.stream_offset, 7u);
	// but a record of another type inside a hello spanning records is fatal
	Bytes hs = records(handshake(1, client_hello_body()), 60);
	Bytes bad(hs.begin(), hs.begin() + 65);
	cat(bad, { 21, 3, 3, 0, 2, 1, 112 });
	TlsRun e;
	e.feed(bad);
	EXPECT_EQ(e.log, "ERR unexpected_record\n");
}

TEST(TlsServerHello, HelloRetryRequestIsFlagged)
{
	Bytes b = server_hello_body(true);
	static const uint8_t hrr[32] = { 0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
					 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
					 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
					 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c };
	std::copy(hrr, hrr + 32, b.begin() + 2);
	TlsRun r;
	r.feed(records(handshake(2, b)));
	EXPECT_TRUE(r.t.hello.flags & MOS_TLS_F_HRR);
	EXPECT_EQ(r.st.anomalies[MOS_TLS_ANOM_HELLO_RETRY], 1u);
}

TEST(TlsErrors, EachMalformedStreamHasItsNamedOutcome)
{
	struct Case {
		Bytes bytes;
		const char *want;
	};
	Bytes appdata = { 23, 3, 3, 0, 2, 2, 40 };
	Bytes cert = records(handshake(11, Bytes(10, 0)));
	Bytes zero_len = { 22, 3, 1, 0, 0 };
	Bytes huge = { 22, 3, 1, 0x48, 0x01 };
	Bytes second_bad = records(handshake(1, client_hello_body()), 40);
	second_bad[45 + 1] = 9;     // version major of the second record header
	Case cases[] = {
		{ str("GET / HTTP/1.1\r\n\r\n"), "ERR not_tls\n" },
		{ { 0x80, 0x2e, 0x01, 0x03, 0x01 }, "ERR sslv2\n" },
		{ appdata, "ERR unexpected_record\n" },
		{ cert, "ERR unexpected_handshake\n" },
		{ zero_len, "ERR bad_record\n" },
		{ huge, "ERR bad_record\n" },
		{ second_bad, "ERR bad_record\n" },
	};
	for (auto &k : cases) {
		TlsRun r;
		r.feed(k.bytes);
		EXPECT_EQ(r.log, k.want);
		EXPECT_TRUE(mos_tls_done(&r.t));
	}
	TlsRun g;
	Bytes part = records(handshake(1, client_hello_body()));
	g.chunk(part.data(), 20);
	EXPECT_EQ(mos_tls_gap(&g.t, 10), MOS_TLS_ERROR);
	EXPECT_EQ(g.st.errors[MOS_TLS_ERR_GAP], 1u);
	EXPECT_EQ(mos_tls_gap(&g.t, 10), MOS_TLS_NEED_MORE) << "nothing after done";
}

TEST(TlsGrease, RecognisesExactlyTheRfc8701Values)
{
	int n = 0;
	for (unsigned v = 0; v <= 0xffff; v++)
		n += mos_tls_is_grease((uint16_t)v);
	EXPECT_EQ(n, 16);
	EXPECT_TRUE(mos_tls_is_grease(0xfafa));
	EXPECT_FALSE(mos_tls_is_grease(0x0a1a));
}
