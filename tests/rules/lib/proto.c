// SPDX-License-Identifier: BSD-3-Clause
/* Companion C of tests/rules/lib/proto.mos: functions receive the context
 * first, then the declared parameters (bytes as struct mos_prog_bytes). */
#include "mos/program.h"

bool looks_like_http(struct mos_ctx *ctx, struct mos_prog_bytes b);
uint32_t vowels(struct mos_ctx *ctx, struct mos_prog_bytes b);

bool looks_like_http(struct mos_ctx *ctx, struct mos_prog_bytes b)
{
	(void)ctx;
	return mos_prog_contains(b, (struct mos_prog_bytes){ (const uint8_t *)"HTTP/1.", 7 });
}

uint32_t vowels(struct mos_ctx *ctx, struct mos_prog_bytes b)
{
	uint32_t n = 0;

	(void)ctx;
	for (uint32_t i = 0; i < b.len; i++)
		n += strchr("aeiou", b.p[i]) != NULL && b.p[i] != 0;
	return n;
}
