// SPDX-License-Identifier: LGPL-2.1-or-later
#include "loader-log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static char log_buf[1 << 20];

bool bpf_loader_log_arm(struct bpf_loader_ctx *ctx)
{
	if (!getenv("RESIDUE_BPF_LOG"))
		return false;
	ctx->log_level = 1;
	ctx->log_size = sizeof(log_buf);
	ctx->log_buf = (__u64)(uintptr_t)log_buf;
	return true;
}

void bpf_loader_log_print(bool armed)
{
	if (armed)
		fprintf(stderr, "%s\n", log_buf);
}
