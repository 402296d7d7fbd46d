/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/record.h — record output: what `emit` writes.
 *
 * A record has a name and fields in a fixed order given by its schema
 * (struct mos_rec_schema, static and made by the compiler or by hand), so
 * keys always come out in the same order. Formats:
 *
 *   JSON Lines (default)  {"record":"request","host":"example.com",...}
 *   CSV                   RFC 4180 quoting; a header line per record name
 *   TSV                   backslash escapes (\t \n \r \\); a header line per name
 *
 * Destinations: one stream for every record (the "record" key, or column,
 * names the record, unless turned off), or one file per record name in a
 * directory (DIR/NAME.jsonl, .csv or .tsv) with no record key — the
 * shape of Zeek's logs.
 *
 * Values are given in schema order between mos_rec_begin() and
 * mos_rec_end(); a value of the wrong type or count makes mos_rec_end()
 * fail with -EINVAL and nothing is written. Times are packet times,
 * written as epoch seconds with nine decimals.
 *
 * Thread-safety: one writer per thread (per worker core).
 */
#ifndef MOS_RECORD_H
#define MOS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mos/decode.h"

/* Field types. */
enum mos_rec_type {
	MOS_REC_U64 = 0,             /* unsigned integer */
	MOS_REC_I64,                 /* signed integer */
	MOS_REC_BOOL,                /* true / false */
	MOS_REC_STR,                 /* text (bytes; invalid UTF-8 escaped) */
	MOS_REC_BYTES,               /* binary: printable ASCII kept, others escaped */
	MOS_REC_ADDR,                /* struct mos_addr, as text */
	MOS_REC_TIME,                /* ns since the epoch, as seconds.nanoseconds */
	MOS_REC_DURATION,            /* ns, as seconds.nanoseconds */
	MOS_REC_U64_ARRAY,           /* list of unsigned integers */
	MOS_REC_TYPE_COUNT
};

/* Name of a field type ("u64"), NULL if out of range. */
const char *mos_rec_type_name(int type);

struct mos_rec_field {
	const char *name;            /* key */
	uint32_t type;               /* enum mos_rec_type */
};

struct mos_rec_schema {
	const char *name;            /* record name */
	uint32_t n_fields;           /* entries in fields[] */
	const struct mos_rec_field *fields; /* in output order */
};

enum mos_rec_format {
	MOS_REC_JSON = 0,
	MOS_REC_CSV,
	MOS_REC_TSV,
};

/* Parse "json", "csv" or "tsv"; -EINVAL otherwise. */
int mos_rec_format_parse(const char *text);

struct mos_rec_writer_config {
	int format;                  /* enum mos_rec_format */
	bool no_record_key;          /* one stream: leave out the "record" key/column */
	const char *dir;             /* write DIR/NAME.ext per record name instead of @out */
};

struct mos_rec_writer;

/*
 * Create a writer to @out (ignored when cfg->dir is set; the directory must
 * exist). @cfg NULL = JSON Lines to @out with the record key.
 * Returns NULL with errno (EINVAL, ENOMEM).
 */
struct mos_rec_writer *mos_rec_writer_create(FILE *out, const struct mos_rec_writer_config *cfg);

/* Start a record of schema @s. */
void mos_rec_begin(struct mos_rec_writer *w, const struct mos_rec_schema *s);

/* The next field's value. */
void mos_rec_u64(struct mos_rec_writer *w, uint64_t v);
void mos_rec_i64(struct mos_rec_writer *w, int64_t v);
void mos_rec_bool(struct mos_rec_writer *w, bool v);
void mos_rec_str(struct mos_rec_writer *w, const char *s, size_t len);
void mos_rec_bytes(struct mos_rec_writer *w, const uint8_t *b, size_t len);
void mos_rec_addr(struct mos_rec_writer *w, const struct mos_addr *a);
void mos_rec_time(struct mos_rec_writer *w, uint64_t ns);
void mos_rec_duration(struct mos_rec_writer *w, uint64_t ns);
void mos_rec_u64_array(struct mos_rec_writer *w, const uint64_t *v, size_t n);

/*
 * Finish the record and write it. Returns 0; -EINVAL when the values did
 * not match the schema (nothing written, counted in errors); -errno when
 * the output failed (-EMFILE/-ENOENT... for a per-name file that cannot
 * be opened).
 */
int mos_rec_end(struct mos_rec_writer *w);

/* Records written so far: all of them, or those named @name (NULL = all). */
uint64_t mos_rec_count(const struct mos_rec_writer *w, const char *name);

/* Records refused (-EINVAL from mos_rec_end). */
uint64_t mos_rec_errors(const struct mos_rec_writer *w);

/* Flush everything and free the writer (files it opened are closed; @out
 * is flushed, not closed). Returns 0 or -errno of the first failed write.
 * NULL is allowed. */
int mos_rec_writer_close(struct mos_rec_writer *w);

#endif /* MOS_RECORD_H */
