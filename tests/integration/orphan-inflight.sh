#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (l) A dead container's tmpfs kept only by a file in flight: sent with SCM_RIGHTS over a unix
# socketpair whose ends a process outside keeps, never received.  No fd table points at the
# tmpfs, so only the BPF superblock walk sees it.  residue cannot name that holder yet, nor tell
# such a superblock from one whose namespace is still being torn down (under churn that
# outlasts any pause: tests/integration/stress.sh), so it is not reported as an orphan: the
# walk's gap counts it.  Asserts that, and that the socket's owner is named as no holder.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_inflight
t_repro repro_controls
t_residue
t_expect "no orphan has dev $DEV (its holder cannot be named, nor told from a teardown)" \
	--arg dev "$DEV" '[.orphans[] | select(.dev == $dev)] == []'
if t_no_sb_walk; then
	t_expect "/proc tier: a gap says what it cannot see" \
		'[.gaps[] | select(.call == "walk_sbs" and (.what | test("needs the BPF tier")))] | length == 1'
else
	t_expect "a gap counts the superblocks mounted nowhere that nothing residue can name holds" \
		'[.gaps[] | select(.call == "walk_sbs" and (.what | test("no process or loop device holds")) and .count >= 1)] | length == 1'
fi
t_assert_no_namespace_holder "$HOLDER_PID"
t_assert_controls
t_done
