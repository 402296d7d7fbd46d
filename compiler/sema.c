// SPDX-License-Identifier: BSD-3-Clause
#include "sema.h"
unsigned sema_check(struct ast_arena *arena, struct diag_ctx *diag, struct load_program *p)
{
	(void)arena; (void)p;
	return diag_errors(diag);
}
