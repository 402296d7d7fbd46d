// SPDX-License-Identifier: BSD-3-Clause
/*
 * tests/compiler/testrun/test_testrun.c — unit tests of compiler/testrun.c
 * without the back end: the strict JSON reader on records as the writer
 * produces them, value matching of expectation constants, and evaluation
 * of a test block (parsed and checked from text) against recorded records.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"
#include "diag.h"
#include "loader.h"
#include "sema.h"
#include "testrun.h"

static int failures;

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                             \
		}                                                               \
	} while (0)

static int parse(const char *text, struct trun_obj *o, char *err, size_t errlen)
{
	return trun_json_parse(text, strlen(text), o, err, errlen);
}

/* A record as mos_rec_* writes it: escapes, \u00XX bytes, arrays, bools. */
static void json_reads_writer_records(void)
{
	struct trun_obj o;
	char err[200];
	const char *line = "{\"record\":\"req\",\"host\":\"a\\\"b\\\\c\\n\",\"raw\":\"\\u00ff\\u0000x\","
			   "\"ok\":true,\"bad\":false,\"n\":18446744073709551615,\"t\":1700000000.000000001,"
			   "\"sizes\":[1,2,3],\"none\":[],\"u\":\"\\u00e9\\u20ac\",\"z\":null}\n";
	CHECK(parse(line, &o, err, sizeof(err)) == 0);
	CHECK(o.n == 11);
	const struct trun_field *f = trun_obj_get(&o, "host");
	CHECK(f && f->type == TRUN_J_STR && f->len == 6 && !memcmp(f->val, "a\"b\\c\n", 6));
	f = trun_obj_get(&o, "raw");
	CHECK(f && f->len == 3 && !memcmp(f->val, "\xff\0x", 3));
	f = trun_obj_get(&o, "ok");
	CHECK(f && f->type == TRUN_J_BOOL && !strcmp(f->val, "true"));
	f = trun_obj_get(&o, "bad");
	CHECK(f && f->type == TRUN_J_BOOL && !strcmp(f->val, "false"));
	f = trun_obj_get(&o, "n");
	CHECK(f && f->type == TRUN_J_NUM && !strcmp(f->val, "18446744073709551615"));
	f = trun_obj_get(&o, "sizes");
	CHECK(f && f->type == TRUN_J_ARR && !strcmp(f->val, "[1,2,3]"));
	f = trun_obj_get(&o, "none");
	CHECK(f && f->type == TRUN_J_ARR && !strcmp(f->val, "[]"));
	f = trun_obj_get(&o, "u");  /* \u00e9 is a byte (writer convention), \u20ac UTF-8 */
	CHECK(f && f->len == 4 && !memcmp(f->val, "\xe9\xe2\x82\xac", 4));
	f = trun_obj_get(&o, "z");
	CHECK(f && f->type == TRUN_J_NULL);
	CHECK(o.line && strlen(o.line) == strlen(line) - 1 && !strncmp(o.line, line, strlen(line) - 1));
	trun_obj_free(&o);

	/* Nested objects (the --stats output) are flattened with dots. */
	CHECK(parse("{\"packets\":3,\"malformed\":{\"ipv4_bad_len\":2},\"events\":{\"conn_end\":1}}",
		    &o, err, sizeof(err)) == 0);
	f = trun_obj_get(&o, "malformed.ipv4_bad_len");
	CHECK(f && !strcmp(f->val, "2"));
	f = trun_obj_get(&o, "events.conn_end");
	CHECK(f && !strcmp(f->val, "1"));
	trun_obj_free(&o);
}

static void json_rejects_malformed(void)
{
	static const char *const bad[] = {
		"", "[]", "{", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":-}", "{\"a\":1}x", "{\"a\":\"x}", "{\"a\":\"\\q\"}", "{\"a\":\"\\u12\"}",
		"{\"a\":\"\\ud800\"}", "{\"a\":[\"s\"]}", "{\"a\":[1,]}", "{\"a\":1,\"a\":2}",
		"{a:1}", "{\"a\":tru}", "{\"a\":\"tab\there\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trun_obj o;
		char err[200] = "";
		int rc = parse(bad[i], &o, err, sizeof(err));
		if (rc != -EINVAL)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(rc == -EINVAL);
		CHECK(strstr(err, "at byte") != NULL);
		CHECK(o.n == 0 && o.f == NULL && o.line == NULL);
	}
	struct trun_obj o;
	char err[200];
	CHECK(parse("{\"a\":1,\"a\":2}", &o, err, sizeof(err)) == -EINVAL);
	CHECK(!strcmp(err, "duplicate key at byte 12"));
}

/* Mutated records (deterministic): every result is a clean parse or -EINVAL
 * with an offset inside the text; a parse keeps the text as its line. */
static void json_survives_mutations(void)
{
	const char *seed = "{\"record\":\"req\",\"host\":\"a\\u00ffb\\n\",\"n\":-12.5e3,"
			   "\"ok\":true,\"v\":[1,2],\"o\":{\"x\":null}}";
	static const char alphabet[] = "{}[]:,\"\\u0123456789.eE+-truefalsn \t\x01\xff";
	uint32_t rng = 12345;
	size_t n = strlen(seed), parsed = 0;
	char buf[256];
	for (int it = 0; it < 20000; it++) {
		memcpy(buf, seed, n + 1);
		size_t len = n;
		int edits = 1 + it % 4;
		for (int e = 0; e < edits; e++) {
			rng = rng * 1103515245u + 12345u;
			size_t pos = (rng >> 8) % len;
			char c = alphabet[(rng >> 20) % (sizeof(alphabet) - 1)];
			switch ((rng >> 28) % 3) {
			case 0: buf[pos] = c; break;
			case 1: memmove(buf + pos, buf + pos + 1, len - pos); len--; break;
			default:
				if (len + 1 < sizeof(buf)) {
					memmove(buf + pos + 1, buf + pos, len - pos + 1);
					buf[pos] = c;
					len++;
				}
			}
		}
		struct trun_obj o;
		char err[200] = "";
		int rc = trun_json_parse(buf, len, &o, err, sizeof(err));
		if (rc == 0) {
			parsed++;
			CHECK(o.line != NULL);
			trun_obj_free(&o);
		} else {
			CHECK(rc == -EINVAL);
			unsigned long at = 0;
			const char *p = strstr(err, "at byte ");
			CHECK(p && sscanf(p, "at byte %lu", &at) == 1 && at <= len);
		}
	}
	CHECK(parsed > 0);   /* some mutations stay valid (e.g. digits changed) */
}

static void records_read_names_bad_line(void)
{
	char path[] = "/tmp/trun_recsXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("{\"record\":\"a\",\"x\":1}\n\n{\"record\":\"b\",\"x\":2}\n{\"record\":\"c\",}\n", f);
	fclose(f);
	struct trun_records r = { 0 };
	char err[300];
	CHECK(trun_records_read(path, &r, err, sizeof(err)) == -EINVAL);
	CHECK(r.n == 2);   /* the good lines before it were read */
	char want[300];
	snprintf(want, sizeof(want), "%s:4: expected a string at byte 14", path);
	CHECK(!strcmp(err, want));
	if (strcmp(err, want))
		fprintf(stderr, "got '%s'\n", err);
	trun_records_free(&r);
	unlink(path);
	CHECK(trun_records_read("/nonexistent/x.jsonl", &r, err, sizeof(err)) == -ENOENT);
}

static struct trun_field field(int type, const char *val)
{
	return (struct trun_field){ .key = (char *)"k", .type = type, .val = (char *)val, .len = strlen(val) };
}

static void values_match_by_kind(void)
{
	struct ast_arena *a = ast_arena_new();
	struct ast_span sp = { 0 };
	struct ast_node *n = ast_new(a, AST_INT, sp);
	n->num = 2;
	struct trun_field f = field(TRUN_J_NUM, "2");
	CHECK(trun_value_matches(n, &f));
	f = field(TRUN_J_NUM, "3");
	CHECK(!trun_value_matches(n, &f));
	f = field(TRUN_J_STR, "2");
	CHECK(!trun_value_matches(n, &f));      /* a string is not a number */
	f = field(TRUN_J_NUM, "2.5");
	CHECK(!trun_value_matches(n, &f));
	f = field(TRUN_J_NUM, "-2");
	CHECK(!trun_value_matches(n, &f));

	struct ast_node *d = ast_new(a, AST_DURATION, sp);
	d->num = 1500000000;
	d->name = "1500ms";
	f = field(TRUN_J_NUM, "1.500000000");
	CHECK(trun_value_matches(d, &f));
	f = field(TRUN_J_NUM, "1.5");
	CHECK(trun_value_matches(d, &f));
	f = field(TRUN_J_NUM, "1.500000001");
	CHECK(!trun_value_matches(d, &f));

	struct ast_node *ip = ast_named(a, AST_IP, sp, "2001:db8::1");
	f = field(TRUN_J_STR, "2001:0db8:0:0::1");
	CHECK(trun_value_matches(ip, &f));
	f = field(TRUN_J_STR, "2001:db8::2");
	CHECK(!trun_value_matches(ip, &f));
	struct ast_node *pfx = ast_named(a, AST_PREFIX, sp, "10.0.0.0/24");
	f = field(TRUN_J_STR, "10.0.0.77");
	CHECK(trun_value_matches(pfx, &f));
	f = field(TRUN_J_STR, "10.0.1.1");
	CHECK(!trun_value_matches(pfx, &f));

	struct ast_node *s = ast_named(a, AST_STRING, sp, "a\0b");
	s->len = 3;
	struct trun_field fs = { .key = (char *)"k", .type = TRUN_J_STR, .val = (char *)"a\0b", .len = 3 };
	CHECK(trun_value_matches(s, &fs));
	fs.len = 1;
	CHECK(!trun_value_matches(s, &fs));

	struct ast_node *b = ast_new(a, AST_BOOL, sp);
	b->num = 1;
	f = field(TRUN_J_BOOL, "true");
	CHECK(trun_value_matches(b, &f));
	f = field(TRUN_J_BOOL, "false");
	CHECK(!trun_value_matches(b, &f));
	ast_arena_free(a);
}

/* Parse and check a program from text; its first test block. */
static const struct ast_node *load_test(struct ast_arena *a, struct diag_ctx *d, const char *text)
{
	struct load_opts lo = { 0 };
	struct load_program *p = load_program(a, d, &lo, "t.mos", text, strlen(text));
	if (!p)
		return NULL;
	sema_check(a, d, p);
	for (struct ast_node *it = p->main->root->kid[0]; it; it = it->next)
		if (it->kind == AST_TEST)
			return it;
	return NULL;
}

static void add_record(struct trun_records *r, const char *line)
{
	r->r = realloc(r->r, (r->n + 1) * sizeof(*r->r));
	char err[100];
	CHECK(trun_json_parse(line, strlen(line), &r->r[r->n], err, sizeof(err)) == 0);
	r->n++;
}

static void eval_reports_record_and_field(void)
{
	const char *prog =
		"monitor m scope \"tcp\" {\n"
		"    flow { u32 n }\n"
		"    on conn_new_data { n += 1 }\n"
		"    on conn_end { emit conn { client: flow.client, n: n, note: \"x\" } }\n"
		"}\n"
		"test \"t\" {\n"
		"    pcap \"x.pcap\"\n"
		"    expect conn count == 2\n"
		"    expect conn[1] { n: 4, note: \"x\" }\n"
		"    expect any conn { client: 10.0.0.3, n: 9 }\n"
		"    expect no conn\n"
		"    expect counter decode.truncated == 0\n"
		"    expect event conn_end count >= 3\n"
		"}\n";
	struct ast_arena *a = ast_arena_new();
	char *dbuf = NULL;
	size_t dlen = 0;
	FILE *dout = open_memstream(&dbuf, &dlen);
	struct diag_ctx *d = diag_new(dout);
	const struct ast_node *t = load_test(a, d, prog);
	CHECK(t && diag_errors(d) == 0);
	struct trun_records r = { 0 };
	add_record(&r, "{\"record\":\"conn\",\"client\":\"10.0.0.1\",\"n\":4,\"note\":\"x\"}");
	add_record(&r, "{\"record\":\"other\",\"z\":1}");
	add_record(&r, "{\"record\":\"conn\",\"client\":\"10.0.0.3\",\"n\":5,\"note\":\"x\"}");
	struct trun_obj stats;
	char err[100];
	CHECK(trun_json_parse("{\"truncated\":0,\"events\":{\"conn_end\":2}}", 39, &stats, err, sizeof(err)) == 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	unsigned failed = t ? trun_eval(t, d, &r, &stats, out) : 99;
	fclose(out);
	CHECK(failed == 4);
	/* expect any: conn[1] matches client but not n, so it is the nearest. */
	const char *want =
		"    t.mos:9:5: expect conn[1] { n: 4, note: \"x\" }\n"
		"      field 'n': expected 4, produced 5\n"
		"      record conn[1]: {\"record\":\"conn\",\"client\":\"10.0.0.3\",\"n\":5,\"note\":\"x\"}\n"
		"    t.mos:10:5: expect any conn { client: 10.0.0.3, n: 9 }\n"
		"      no conn record matches (of 2); nearest is conn[1]:\n"
		"      field 'n': expected 9, produced 5\n"
		"      record conn[1]: {\"record\":\"conn\",\"client\":\"10.0.0.3\",\"n\":5,\"note\":\"x\"}\n"
		"    t.mos:11:5: expect no conn\n"
		"      expected no conn record, produced 2; the first:\n"
		"      record conn[0]: {\"record\":\"conn\",\"client\":\"10.0.0.1\",\"n\":4,\"note\":\"x\"}\n"
		"    t.mos:13:5: expect event conn_end count >= 3\n"
		"      expected event conn_end count >= 3, produced 2\n";
	CHECK(buf && !strcmp(buf, want));
	if (failures)
		fprintf(stderr, "output was:\n%s", buf ? buf : "(none)");
	free(buf);

	/* Without stats, event and counter expectations fail as not supported. */
	buf = NULL;
	out = open_memstream(&buf, &len);
	failed = t ? trun_eval(t, d, &r, NULL, out) : 99;
	fclose(out);
	CHECK(failed == 5);
	CHECK(buf && strstr(buf, "the program's --stats output has no counter 'decode.truncated'"));
	free(buf);
	trun_obj_free(&stats);
	trun_records_free(&r);
	diag_free(d);
	fclose(dout);
	free(dbuf);
	ast_arena_free(a);
}

int main(void)
{
	json_reads_writer_records();
	json_rejects_malformed();
	json_survives_mutations();
	records_read_names_bad_line();
	values_match_by_kind();
	eval_reports_record_and_field();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	puts("testrun unit tests passed");
	return 0;
}
