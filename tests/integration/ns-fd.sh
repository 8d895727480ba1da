#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (i) A mount namespace whose last process died, kept by an nsfs fd.
# Asserts on the "namespaces" array of `residue orphans -J`: exactly one entry with the namespace's
# 64-bit id, its inode, its mount count, pinned_bytes (its tmpfs, one page per file), the
# filesystems it alone keeps (exactly its tmpfs: dev, type, mount point, bytes; not a second tmpfs
# that a living copy of the namespace also mounts), one ns-fd holder with the holder's pid and fd;
# that the namespace's tmpfs (still mounted in it) is no orphan and the holder holds no orphan; and
# that no entry refers to any look-alike control.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
REPRO_NS_SHARED=1
t_repro repro_case_ns_fd
t_repro repro_controls
t_residue
t_assert_namespace
t_assert_no_orphan_holder "$HOLDER_PID"
t_assert_controls

# Another residue measuring the namespace has its probe in it (comm residue-nsprobe, with copies
# of its nsfs fds): not a member, not a holder.  A process of any other name in it is a member.
RESIDUE_HOLD_COMM=residue-nsprobe repro_holder PROBE join "/proc/$HOLDER_PID/fd/$FD" ||
	t_bail "cannot join the namespace"
t_residue
t_assert_namespace
t_expect "a residue-nsprobe in it is neither member nor holder" --argjson n "$NS_ID" \
	--argjson p "$PROBE_PID" '[.namespaces[] | select(.ns_id == $n) | .holders[] | select(.pid == $p)] == []'
repro_holder MEMBER join "/proc/$HOLDER_PID/fd/$FD" || t_bail "cannot join the namespace"
t_residue
t_expect "with a process in it, it is not process-less" --argjson n "$NS_ID" \
	'[.namespaces[] | select(.ns_id == $n)] == []'
t_done
