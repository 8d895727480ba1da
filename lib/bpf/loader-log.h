/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RESIDUE_BPF_LOG=1: the verifier's log of a light skeleton that does not
 * load, on stderr, for reports from kernels we cannot run.  One buffer for
 * every skeleton (they load one at a time).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/skel_internal.h>

/* With RESIDUE_BPF_LOG set, point @ctx's log at the buffer; returns whether it did. */
bool bpf_loader_log_arm(struct bpf_loader_ctx *ctx);
/* Print what the loader wrote, if armed. */
void bpf_loader_log_print(bool armed);
