#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (k) A dead container's tmpfs kept only by a loop device bound to a file of it: no process
# holds it, so only the BPF superblock walk sees it.  Asserts with jq on `residue orphans -J`:
# exactly one orphan with the repro's dev, tmpfs, orphaned, risk memory, one holder how "kernel"
# with no process, its pinned_bytes (one page per file); no entry for any look-alike control.
# On the /proc tier (-proc): no entry for it, and the gap that says the walk is missing.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_loop
t_repro repro_controls
t_residue
t_assert_kernel_orphan
t_assert_controls
t_done
