#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (l) A dead container's tmpfs kept only by a file in flight: sent with SCM_RIGHTS over a unix
# socketpair whose ends a process outside keeps, never received.  No fd table points at the
# tmpfs, so only the BPF superblock walk sees it.  Asserts as orphan-loop.sh does, and that the
# socket's owner is named as no holder of anything (residue cannot name it yet).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_inflight
t_repro repro_controls
t_residue
t_assert_kernel_orphan
t_assert_no_namespace_holder "$HOLDER_PID"
t_assert_controls
t_done
