#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (n) A dead container's tmpfs kept by a kernel object residue does not name: a read of a FIFO on
# it waits in an io_uring ring (not a fixed file) after the holder closed the FIFO's fd.  No fd
# table, mapping, mount, loop device, socket queue or fixed-file table points at it.  The BPF
# superblock walk sees it mounted nowhere, and the confirmation (a second walk, the files tasks
# are still closing, the mounts being torn down) sees no teardown: it is an orphan all the same,
# never dropped for want of a name.  Asserts exactly one orphan with the repro's dev, tmpfs,
# orphaned, risk memory, its pinned_bytes, one holder how "kernel" with no process, a hint that
# says no process holds it, and no gap about unheld superblocks; no entry for the look-alikes.
# Without the walk (-proc, or the 6.1 guest's /proc tier): no orphan, the gap says why.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_unnamed
t_repro repro_controls
t_residue
t_assert_kernel_orphan
t_no_sb_walk || t_expect "no gap counts the superblock instead of reporting it" \
	'[.gaps[] | select(.call == "walk_sbs")] | length == 0'
t_assert_controls
t_done
