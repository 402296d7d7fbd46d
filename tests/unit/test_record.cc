// SPDX-License-Identifier: BSD-3-Clause
// Record output: JSON Lines, CSV and TSV, stable key order, escaping,
// per-name files, schema checking.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "shim.h"
extern "C" {
#include "mos/record.h"
}

namespace {

const struct mos_rec_field kReqFields[] = {
	{"ts", MOS_REC_TIME}, {"client", MOS_REC_ADDR}, {"port", MOS_REC_U64},
	{"host", MOS_REC_STR}, {"ok", MOS_REC_BOOL}, {"delta", MOS_REC_I64},
	{"body", MOS_REC_BYTES}, {"took", MOS_REC_DURATION}, {"vlan", MOS_REC_U64_ARRAY},
};
const struct mos_rec_schema kReq = {"request", 9, kReqFields};
const struct mos_rec_field kSumFields[] = {{"n", MOS_REC_U64}};
const struct mos_rec_schema kSum = {"summary", 1, kSumFields};

struct mos_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct mos_addr x = {};
	x.b[10] = x.b[11] = 0xff;
	x.b[12] = a; x.b[13] = b; x.b[14] = c; x.b[15] = d;
	return x;
}

// Writes one request record with @host and @body; returns what was written.
class Capture {
      public:
	Capture() { f_ = open_memstream(&buf_, &len_); }
	~Capture() { free(buf_); }
	FILE *file() { return f_; }
	std::string text()
	{
		fflush(f_);
		return std::string(buf_, len_);
	}
	void close() { fclose(f_); }

      private:
	char *buf_ = nullptr;
	size_t len_ = 0;
	FILE *f_;
};

void write_request(struct mos_rec_writer *w, const std::string &host, const std::string &body)
{
	struct mos_addr a = v4(192, 0, 2, 1);
	const uint64_t vlans[] = {10, 20};
	mos_rec_begin(w, &kReq);
	mos_rec_time(w, 1700000000123456789ull);
	mos_rec_addr(w, &a);
	mos_rec_u64(w, 443);
	mos_rec_str(w, host.data(), host.size());
	mos_rec_bool(w, true);
	mos_rec_i64(w, -5);
	mos_rec_bytes(w, (const uint8_t *)body.data(), body.size());
	mos_rec_duration(w, 1500000000ull);
	mos_rec_u64_array(w, vlans, 2);
	ASSERT_EQ(mos_rec_end(w), 0);
}

TEST(RecordJson, KeysComeInSchemaOrderAfterTheRecordName)
{
	Capture c;
	struct mos_rec_writer *w = mos_rec_writer_create(c.file(), nullptr);
	ASSERT_NE(w, nullptr);
	write_request(w, "example.com", "hi");
	EXPECT_EQ(c.text(),
		  "{\"record\":\"request\",\"ts\":1700000000.123456789,\"client\":\"192.0.2.1\","
		  "\"port\":443,\"host\":\"example.com\",\"ok\":true,\"delta\":-5,\"body\":\"hi\","
		  "\"took\":1.500000000,\"vlan\":[10,20]}\n");
	EXPECT_EQ(mos_rec_count(w, "request"), 1u);
	EXPECT_EQ(mos_rec_count(w, nullptr), 1u);
	EXPECT_EQ(mos_rec_writer_close(w), 0);
	c.close();
}

TEST(RecordJson, EscapesQuotesControlsAndInvalidUtf8ButKeepsValidUtf8)
{
	Capture c;
	struct mos_rec_writer_config cfg = {MOS_REC_JSON, true, nullptr};
	struct mos_rec_writer *w = mos_rec_writer_create(c.file(), &cfg);
	write_request(w, std::string("a\"b\\c\n\x01\xff\xc3\xa9", 10), std::string("\x00z\x80", 3));
	std::string t = c.text();
	EXPECT_NE(t.find("\"host\":\"a\\\"b\\\\c\\n\\u0001\\u00ff\xc3\xa9\""), std::string::npos) << t;
	EXPECT_NE(t.find("\"body\":\"\\u0000z\\u0080\""), std::string::npos) << t;
	EXPECT_EQ(t.rfind("{\"ts\":", 0), 0u) << "no record key when turned off: " << t;
	mos_rec_writer_close(w);
	c.close();
}

TEST(RecordJson, RecordOfTheWrongShapeIsRefusedAndCounted)
{
	Capture c;
	struct mos_rec_writer *w = mos_rec_writer_create(c.file(), nullptr);
	mos_rec_begin(w, &kSum);
	mos_rec_str(w, "x", 1);            // wrong type
	EXPECT_EQ(mos_rec_end(w), -EINVAL);
	mos_rec_begin(w, &kSum);           // missing field
	EXPECT_EQ(mos_rec_end(w), -EINVAL);
	mos_rec_begin(w, &kSum);
	mos_rec_u64(w, 1);
	mos_rec_u64(w, 2);                 // one too many
	EXPECT_EQ(mos_rec_end(w), -EINVAL);
	EXPECT_EQ(mos_rec_end(w), -EINVAL); // end without begin
	EXPECT_EQ(c.text(), "");
	EXPECT_EQ(mos_rec_errors(w), 3u);
	mos_rec_begin(w, &kSum);
	mos_rec_u64(w, 7);
	EXPECT_EQ(mos_rec_end(w), 0);
	EXPECT_EQ(c.text(), "{\"record\":\"summary\",\"n\":7}\n");
	mos_rec_writer_close(w);
	c.close();
}

TEST(RecordCsv, HeaderOncePerNameAndRfc4180Quoting)
{
	Capture c;
	struct mos_rec_writer_config cfg = {MOS_REC_CSV, false, nullptr};
	struct mos_rec_writer *w = mos_rec_writer_create(c.file(), &cfg);
	write_request(w, "a,b", "x\"y");
	write_request(w, "plain", "");
	EXPECT_EQ(c.text(),
		  "record,ts,client,port,host,ok,delta,body,took,vlan\n"
		  "request,1700000000.123456789,192.0.2.1,443,\"a,b\",true,-5,\"x\"\"y\",1.500000000,\"10,20\"\n"
		  "request,1700000000.123456789,192.0.2.1,443,plain,true,-5,,1.500000000,\"10,20\"\n");
	mos_rec_writer_close(w);
	c.close();
}

TEST(RecordTsv, EscapesTabsNewlinesAndBackslashes)
{
	Capture c;
	struct mos_rec_writer_config cfg = {MOS_REC_TSV, true, nullptr};
	struct mos_rec_writer *w = mos_rec_writer_create(c.file(), &cfg);
	mos_rec_begin(w, &kReq);
	struct mos_addr a = v4(10, 0, 0, 1);
	mos_rec_time(w, 5);
	mos_rec_addr(w, &a);
	mos_rec_u64(w, 1);
	mos_rec_str(w, "t\tn\nb\\", 6);
	mos_rec_bool(w, false);
	mos_rec_i64(w, 0);
	mos_rec_bytes(w, (const uint8_t *)"\x01", 1);
	mos_rec_duration(w, 0);
	mos_rec_u64_array(w, nullptr, 0);
	ASSERT_EQ(mos_rec_end(w), 0);
	EXPECT_EQ(c.text(), "ts\tclient\tport\thost\tok\tdelta\tbody\ttook\tvlan\n"
			    "0.000000005\t10.0.0.1\t1\tt\\tn\\nb\\\\\tfalse\t0\t\\x01\t0.000000000\t\n");
	mos_rec_writer_close(w);
	c.close();
}

TEST(RecordDir, OneFilePerRecordNameWithoutTheRecordKey)
{
	char dir[] = "/tmp/mos_rec_XXXXXX";
	ASSERT_NE(mkdtemp(dir), nullptr);
	struct mos_rec_writer_config cfg = {MOS_REC_JSON, false, dir};
	struct mos_rec_writer *w = mos_rec_writer_create(nullptr, &cfg);
	ASSERT_NE(w, nullptr);
	write_request(w, "h", "");
	for (uint64_t i = 0; i < 3; i++) {
		mos_rec_begin(w, &kSum);
		mos_rec_u64(w, i);
		ASSERT_EQ(mos_rec_end(w), 0);
	}
	EXPECT_EQ(mos_rec_count(w, "summary"), 3u);
	EXPECT_EQ(mos_rec_count(w, "request"), 1u);
	ASSERT_EQ(mos_rec_writer_close(w), 0);
	std::ifstream s(std::string(dir) + "/summary.jsonl");
	std::stringstream ss;
	ss << s.rdbuf();
	EXPECT_EQ(ss.str(), "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
	std::ifstream r(std::string(dir) + "/request.jsonl");
	std::string line;
	std::getline(r, line);
	EXPECT_EQ(line.rfind("{\"ts\":1700000000.123456789,", 0), 0u) << line;
	unlink((std::string(dir) + "/summary.jsonl").c_str());
	unlink((std::string(dir) + "/request.jsonl").c_str());
	rmdir(dir);
}

TEST(RecordDir, UnwritableDirectoryIsAnErrorNotACrash)
{
	struct mos_rec_writer_config cfg = {MOS_REC_JSON, false, "/nonexistent/dir"};
	struct mos_rec_writer *w = mos_rec_writer_create(nullptr, &cfg);
	ASSERT_NE(w, nullptr);
	mos_rec_begin(w, &kSum);
	mos_rec_u64(w, 1);
	EXPECT_EQ(mos_rec_end(w), -ENOENT);
	EXPECT_EQ(mos_rec_writer_close(w), -ENOENT);
}

TEST(RecordFormat, ParsesItsNames)
{
	EXPECT_EQ(mos_rec_format_parse("json"), MOS_REC_JSON);
	EXPECT_EQ(mos_rec_format_parse("csv"), MOS_REC_CSV);
	EXPECT_EQ(mos_rec_format_parse("tsv"), MOS_REC_TSV);
	EXPECT_EQ(mos_rec_format_parse("xml"), -EINVAL);
	EXPECT_STREQ(mos_rec_type_name(MOS_REC_ADDR), "addr");
	EXPECT_EQ(mos_rec_type_name(99), nullptr);
}

}  // namespace
