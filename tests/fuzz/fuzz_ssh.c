/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ssh.c — libFuzzer target for the SSH banner parser
 * (stdlib/parsers/ssh.c). Input: byte 0 = chunk size (1..256), then stream
 * bytes; one-shot and chunked runs must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/ssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *p, size_t n, size_t chunk, struct mos_ssh_dir *s)
{
	int last = MOS_SSH_NEED_MORE;
	mos_ssh_init(s, NULL);
	for (size_t off = 0; off < n; off += chunk) {
		size_t len = off + chunk < n ? chunk : n - off;
		uint8_t *buf = malloc(len);
		memcpy(buf, p + off, len);
		size_t at = 0, used;
		for (;;) {
			enum mos_ssh_event ev = mos_ssh_feed(s, buf + at, len - at, &used);
			if (used > len - at)
				abort();
			at += used;
			if (ev == MOS_SSH_NEED_MORE) {
				if (at != len)
					abort();
				break;
			}
			last = ev;
		}
		free(buf);
	}
	return last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mos_ssh_dir a, b;
	if (size < 1)
		return 0;
	int ea = run(data + 1, size - 1, size - 1 ? size - 1 : 1, &a);
	int eb = run(data + 1, size - 1, (size_t)data[0] + 1, &b);
	if (ea != eb || a.error != b.error)
		abort();
	if (ea == MOS_SSH_BANNER &&
	    (strcmp(a.banner.software, b.banner.software) != 0 ||
	     strcmp(a.banner.comments, b.banner.comments) != 0 ||
	     a.banner.stream_offset != b.banner.stream_offset))
		abort();
	return 0;
}
