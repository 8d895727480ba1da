#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (j) A mount namespace whose last process died, kept by an nsfs bind mount in a living keeper
# namespace.  Asserts on the "namespaces" array of `residue orphans -J`: exactly one entry with the
# namespace's id, inode, mount count, pinned_bytes, the filesystems it alone keeps (as ns-fd.sh),
# one ns-bind holder naming the keeper's namespace id and the bind mount's path; that the hint's
# nsenter pid is a user process (no PF_KTHREAD, an exe) of the keeper's namespace; that neither
# namespace's tmpfs is an orphan, that the living keeper namespace is not listed, and that no entry
# refers to any look-alike control.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"
t_init
REPRO_NS_SHARED=1
t_repro repro_case_ns_bind
t_repro repro_controls
# Another residue scanning the host meanwhile holds an nsfs fd of the namespace for a moment, and
# the hint then names that holder: scan again until the bind mount is its only holder.
for try in 1 2 3 4 5; do
	t_residue
	jq -e --argjson id "$NS_ID" '[.namespaces[] | select(.ns_id == $id) | .holders[]] | length == 1' \
		"$T_JSON" >/dev/null && break
	t_log "scan $try: the namespace has another holder than the bind mount; scanning again"
	sleep 1
done
t_assert_namespace
t_expect "no orphan has the keeper's dev $KEEPER_DEV" --arg d "$KEEPER_DEV" \
	'[.orphans[] | select(.dev == $d)] | length == 0'
t_expect "no namespace entry for the living keeper $KEEPER_NS_ID" --argjson i "$KEEPER_NS_ID" \
	'[.namespaces[]? | select(.ns_id == $i)] | length == 0'
t_assert_no_namespace_holder "$KEEPER_PID"
# The hint enters the keeper's namespace through one of its processes, never a kernel thread.
hint=$(jq -r --argjson id "$NS_ID" '.namespaces[] | select(.ns_id == $id) | .hint' "$T_JSON")
t_check "the hint is nsenter -t PID -m umount $NSFILE ($hint)" \
	test "${hint#nsenter -t }" != "$hint" -a "${hint##* -m umount }" = "$NSFILE"
hint_pid=${hint#nsenter -t }
hint_pid=${hint_pid%% *}
t_log "hint pid: $hint_pid"
hint_flags=$(sed 's/.*) //' "/proc/$hint_pid/stat" 2>/dev/null | cut -d' ' -f7)
t_check "hint pid $hint_pid is no kernel thread (stat flags ${hint_flags:-?})" \
	test -n "$hint_flags" -a "$((${hint_flags:-0} & 0x00200000))" = 0 -a -e "/proc/$hint_pid/exe"
t_check "hint pid $hint_pid is in the keeper's namespace $KEEPER_NS_ID" \
	test "$("$RESIDUE_HOLD" nsid "/proc/$hint_pid/ns/mnt" 2>/dev/null)" = "$KEEPER_NS_ID"
t_assert_controls
t_done
