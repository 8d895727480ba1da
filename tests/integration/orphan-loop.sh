#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (k) A dead container's tmpfs kept only by a loop device bound to a file of it: no process
# holds it, so the BPF superblock walk sees it, and the loop device names it.  Asserts with jq:
# exactly one orphan with the repro's dev, tmpfs, orphaned, risk memory, one holder how "kernel"
# with no process, its pinned_bytes (one page per file); no entry for any look-alike control.
# Without the walk (-proc, or the 6.1 guest) the loop device names it all the same, with type
# and bytes unknown, and the gap says what else the walk would have seen.
# Then, beside it, a loop device whose backing file's FUSE daemon stopped answering.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_loop
t_repro repro_controls
t_residue
t_assert_kernel_orphan
t_assert_controls

# LOOP_GET_STATUS64 asks the backing file's filesystem for the file's attributes (vfs_getattr,
# AT_STATX_SYNC_AS_STAT): a second loop device, on a file of a FUSE filesystem whose daemon then
# stopped answering, kept that ioctl, and the scan, waiting.  residue asks from a child that
# gets 1.5 s: the scan ends, a gap names the loop status, and the orphan is still named.
t_repro repro_case_loop_on_hung_fuse
t0=$(date +%s%N)
# shellcheck disable=SC2086 # a list of options
timeout -s KILL 10 "$RESIDUE" orphans -J ${RESIDUE_SCAN_ARGS:-} >"$T_JSON" 2>"$REPRO_DIR/residue.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
t_check "beside $HUNG_LOOP on a hung FUSE: exit 0 within 5 s (exit $rc, $ms ms)" \
	test "$rc" = 0 -a "$ms" -lt 5000
t_expect "a gap says a loop's backing filesystem did not answer" \
	'[.gaps[] | select(.call == "ioctl" and .errno == "ETIMEDOUT" and (.what | test("LOOP_GET_STATUS64.*did not answer within 1.5 s")))] | length == 1'
t_assert_kernel_orphan
t_done
