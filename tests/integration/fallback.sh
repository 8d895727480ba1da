#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The path for kernels without listmount(2) and the nsfs namespace ioctls (before 6.8 / 6.12),
# forced with --fallback: namespaces come from /proc/PID/ns/mnt, mount tables from
# /proc/PID/mountinfo, and every mount id is the old 32-bit one on both sides.  The seed's
# mmap-only case and the ext4 writer must be found exactly as on the fast path, and no control.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_mmap
t_repro repro_controls
t_residue --fallback
t_assert_orphan
t_assert_controls
t_done
