/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktstats — read captures (or live ports), decode every frame and print
 * the run statistics: packets, bytes, protocols, fragments, VLAN tags and
 * malformed frames by reason.
 *
 *   pktstats -r trace.pcap [-r more.pcapng ...] [--stats FILE]
 *
 * The statistics go to standard output as one JSON object (and to FILE
 * with --stats), followed by a readable table on standard error unless -q.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "mos/app.h"

static void
print_table(const struct mos_stats *st)
{
	fprintf(stderr,
		"packets %" PRIu64 "  bytes %" PRIu64 "\n"
		"  ipv4 %" PRIu64 "  ipv6 %" PRIu64 "  tcp %" PRIu64 "  udp %" PRIu64
		"  icmp %" PRIu64 "  icmpv6 %" PRIu64 "\n"
		"  ip fragments %" PRIu64 "  vlan tagged %" PRIu64 "  truncated %" PRIu64
		"  malformed %" PRIu64 "\n",
		st->packets, st->bytes, st->ipv4, st->ipv6, st->tcp, st->udp, st->icmp,
		st->icmpv6, st->ip_fragments, st->vlan_tagged, st->truncated,
		mos_stats_malformed_total(st));
	for (int r = 1; r < MOS_MALFORMED_COUNT; r++)
		if (st->malformed[r])
			fprintf(stderr, "    %-26s %" PRIu64 "\n", mos_malformed_name(r),
				st->malformed[r]);
}

int
main(int argc, char **argv)
{
	struct mos_app *app = mos_app_create("pktstats", argc, argv, NULL);
	int rc;

	if (app == NULL)
		return errno == 0 ? 0 : 2;      /* errno 0: --help was shown */
	rc = mos_app_run(app, NULL);
	mos_stats_write_json(mos_app_stats(app), mos_app_out(app));
	if (!mos_app_quiet(app))
		print_table(mos_app_stats(app));
	return mos_app_destroy(app) != 0 || rc != 0;
}
