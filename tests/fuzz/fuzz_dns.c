/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_dns.c — libFuzzer target for the DNS parser (stdlib/parsers/dns.c).
 * Input: one UDP payload. Checks: the name copy is NUL-terminated with the
 * reported length, counts stay within their caps, and reading every name at
 * every offset terminates without reading outside the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mos_dns_msg m;
	if (mos_dns_parse(data, size, &m, NULL) == MOS_DNS_OK) {
		if (strlen(m.qname) != m.qname_len || m.n_addrs > MOS_DNS_MAX_ADDRS ||
		    m.answers > m.ancount)
			abort();
	}
	for (size_t pos0 = 0; pos0 < size && pos0 < 512; pos0++) {
		char out[MOS_DNS_NAME_MAX];
		uint16_t n = 0;
		bool trunc = false;
		size_t pos = pos0;
		if (mos_dns_read_name(data, size, &pos, out, sizeof(out), &n, &trunc) == MOS_DNS_OK &&
		    (pos > size || pos <= pos0 || strlen(out) != n))
			abort();
	}
	return 0;
}
