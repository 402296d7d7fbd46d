/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_decode.c — libFuzzer target for the packet decoder (runtime/decode.c).
 *
 * Input: byte 0 picks the link type (and whether the frame was cut by a
 * snaplen), the rest is the captured frame. libFuzzer hands over a buffer
 * of exactly that size, so ASan reports any read past caplen. Besides
 * memory errors, the decoder's documented invariants are checked and a
 * violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mos/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	MOS_LINK_ETHERNET, MOS_LINK_NULL, MOS_LINK_RAW, MOS_LINK_LOOP,
	MOS_LINK_LINUX_SLL, MOS_LINK_IPV4, MOS_LINK_IPV6, MOS_LINK_LINUX_SLL2,
	MOS_LINK_DLT_RAW, 147 /* unsupported */,
};
#define N_LT (sizeof(linktypes) / sizeof(linktypes[0]))

static void
check(int rc, const struct mos_pkt *p)
{
	char buf[MOS_ADDR_STRLEN];

	if (rc != p->malformed || (rc != 0) != ((p->flags & MOS_PKT_F_MALFORMED) != 0))
		abort();
	if (p->malformed >= MOS_MALFORMED_COUNT || !mos_malformed_name(p->malformed))
		abort();
	if ((p->flags & MOS_PKT_F_FRAGMENT) && !(p->flags & MOS_PKT_F_FIRST_FRAG) &&
	    (p->flags & MOS_PKT_F_L4))
		abort();
	if (p->flags & MOS_PKT_F_L4) {
		if ((p->flags & MOS_PKT_F_MALFORMED) || p->ip_version == 0 ||
		    p->payload_off <= p->l4_off || p->payload_off > p->caplen)
			abort();
	} else if (p->sport || p->dport || p->tcp_flags || p->tcp_opt.present) {
		abort();
	}
	if (p->tcp_opt.sack_blocks > MOS_TCP_SACK_MAX || p->n_vlans > MOS_VLAN_MAX_DEPTH)
		abort();
	if ((p->flags & MOS_PKT_F_ICMP_QUOTE) && p->quote_off >= p->caplen)
		abort();
	if (strlen(mos_addr_str(&p->src, buf)) >= MOS_ADDR_STRLEN ||
	    strlen(mos_addr_str(&p->dst, buf)) >= MOS_ADDR_STRLEN)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mos_pkt pkt;
	uint32_t caplen, wirelen;
	int rc;

	if (size < 1 || size > 262144)
		return 0;
	caplen = (uint32_t)(size - 1);
	/* High bit: the frame was longer on the wire (snaplen cut). */
	wirelen = caplen + ((data[0] & 0x80) ? 1000 : 0);
	rc = mos_decode(data + 1, caplen, wirelen, linktypes[(data[0] & 0x7f) % N_LT], 0, &pkt);
	check(rc, &pkt);
	return 0;
}
