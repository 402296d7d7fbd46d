/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/testrun.h — `mosc test`: runs the `test "NAME" { ... }` blocks of
 * .mos files and directory tests (a capture, a program, baseline records),
 * plus the pieces it is made of, exposed for unit tests: a strict reader
 * for the flat JSON objects the record writer produces, and the evaluation
 * of one test block's expectations against records and run statistics.
 *
 * Thread-safety: none of this is shared; one run per thread.
 */
#ifndef MOSC_TESTRUN_H
#define MOSC_TESTRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ast.h"
#include "diag.h"

/* JSON value types the reader accepts. */
enum trun_jtype {
	TRUN_J_NULL = 0,             /* null */
	TRUN_J_BOOL,                 /* true / false */
	TRUN_J_NUM,                  /* a number (kept as its text) */
	TRUN_J_STR,                  /* a string (kept unescaped, may hold NUL) */
	TRUN_J_ARR,                  /* an array of numbers (kept as canonical text "[1,2]") */
};

/* One key and its value. Nested objects are flattened: {"a":{"b":1}} gives "a.b". */
struct trun_field {
	char *key;                   /* key, NUL-terminated (dotted when nested) */
	int type;                    /* enum trun_jtype */
	char *val;                   /* string bytes / number text / "true" / "[1,2]" (NUL-terminated) */
	size_t len;                  /* length of val in bytes */
};

/* A parsed JSON object (one record or a stats object). */
struct trun_obj {
	struct trun_field *f;        /* fields in input order */
	size_t n;                    /* how many */
	char *line;                  /* the text it was parsed from (NUL-terminated, no newline) */
};

/*
 * Parse one JSON object from text[0..len) (surrounding whitespace allowed,
 * nothing else). Strict: no duplicate keys, no trailing commas, escapes as
 * in RFC 8259 (\u0000..\u00ff are bytes, higher code points UTF-8), arrays
 * hold numbers only. Returns 0 and fills *o (free with trun_obj_free), or
 * -EINVAL with a message in err (errlen bytes) naming the byte offset, or
 * -ENOMEM.
 */
int trun_json_parse(const char *text, size_t len, struct trun_obj *o, char *err, size_t errlen);
/* Free what trun_json_parse allocated (the struct itself is the caller's). */
void trun_obj_free(struct trun_obj *o);
/* Field by key, or NULL. */
const struct trun_field *trun_obj_get(const struct trun_obj *o, const char *key);

/* The records of one run, in output order. */
struct trun_records {
	struct trun_obj *r;          /* records */
	size_t n;                    /* how many */
	size_t cap;                  /* allocated */
};

/*
 * Read JSON Lines from path into recs (appended). Blank lines are skipped.
 * Returns 0, or -errno; a malformed line is -EINVAL with "path:LINE: why" in err.
 */
int trun_records_read(const char *path, struct trun_records *recs, char *err, size_t errlen);
/* Free the records (the struct itself is the caller's). */
void trun_records_free(struct trun_records *recs);

/*
 * Evaluate the expectations of TEST node t against recs and stats (the
 * program's --stats object; NULL when there is none). Every failed
 * expectation is described on out (indented, with the expectation's
 * source line from d, the differing record and field). Returns the number
 * of failed expectations.
 */
unsigned trun_eval(const struct ast_node *t, const struct diag_ctx *d, const struct trun_records *recs,
		   const struct trun_obj *stats, FILE *out);

/* Does the constant expectation value v (an AST literal) match field f? */
bool trun_value_matches(const struct ast_node *v, const struct trun_field *f);

/*
 * `mosc test [OPTIONS] FILE.mos... | DIR...`, argv being the words after
 * "test". Prints one line per test and the closing "N passed, N failed".
 * Returns the exit status: 0 all passed, 1 a test failed or did not
 * compile, 2 usage error.
 */
int testrun_main(int argc, char **argv);

#endif /* MOSC_TESTRUN_H */
