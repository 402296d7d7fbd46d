/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.c — run statistics: counting decoded frames and writing them as
 * JSON (see mos/stats.h).
 */
#include <errno.h>
#include <inttypes.h>

#include "mos/stats.h"

void
mos_stats_count(struct mos_stats *st, const struct mos_pkt *pkt)
{
	uint16_t p = pkt->protos;

	st->packets++;
	st->bytes += pkt->wirelen;
	st->ipv4 += !!(p & MOS_PROTO_IPV4);
	st->ipv6 += !!(p & MOS_PROTO_IPV6);
	st->tcp += !!(p & MOS_PROTO_TCP);
	st->udp += !!(p & MOS_PROTO_UDP);
	st->icmp += !!(p & MOS_PROTO_ICMP);
	st->icmpv6 += !!(p & MOS_PROTO_ICMPV6);
	st->ip_fragments += !!(pkt->flags & MOS_PKT_F_FRAGMENT);
	st->vlan_tagged += !!(pkt->flags & MOS_PKT_F_VLAN);
	st->truncated += !!(pkt->flags & MOS_PKT_F_TRUNCATED);
	if (pkt->malformed != MOS_MALFORMED_NONE && pkt->malformed < MOS_MALFORMED_COUNT)
		st->malformed[pkt->malformed]++;
}

void
mos_stats_add(struct mos_stats *dst, const struct mos_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	/* struct mos_stats is made of uint64_t counters only. */
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

uint64_t
mos_stats_malformed_total(const struct mos_stats *st)
{
	uint64_t n = 0;

	for (int r = 1; r < MOS_MALFORMED_COUNT; r++)
		n += st->malformed[r];
	return n;
}

int
mos_stats_write_json(const struct mos_stats *st, FILE *out)
{
	const char *sep = "";

	fprintf(out,
		"{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"ipv4\":%" PRIu64 ",\"ipv6\":%" PRIu64
		",\"tcp\":%" PRIu64 ",\"udp\":%" PRIu64
		",\"icmp\":%" PRIu64 ",\"icmpv6\":%" PRIu64
		",\"ip_fragments\":%" PRIu64 ",\"vlan_tagged\":%" PRIu64
		",\"truncated\":%" PRIu64 ",\"malformed_total\":%" PRIu64
		",\"malformed\":{",
		st->packets, st->bytes, st->ipv4, st->ipv6, st->tcp, st->udp,
		st->icmp, st->icmpv6, st->ip_fragments, st->vlan_tagged,
		st->truncated, mos_stats_malformed_total(st));
	for (int r = 1; r < MOS_MALFORMED_COUNT; r++) {
		if (st->malformed[r] == 0)
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, sep, mos_malformed_name(r), st->malformed[r]);
		sep = ",";
	}
	fputs("}}\n", out);
	if (fflush(out) != 0 || ferror(out))
		return -(errno ? errno : EIO);
	return 0;
}
