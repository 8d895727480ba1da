#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (j) A mount namespace whose last process died, kept by an nsfs bind mount in a living keeper
# namespace.  Asserts on the "namespaces" array of `residue orphans -J`: exactly one entry with the
# namespace's id, inode, mount count, pinned_bytes, one ns-bind holder naming the keeper's
# namespace id and the bind mount's path; that neither namespace's tmpfs is an orphan, that the
# living keeper namespace is not listed, and that no entry refers to any look-alike control.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_ns_bind
t_repro repro_controls
t_residue
t_assert_namespace
t_expect "no orphan has the keeper's dev $KEEPER_DEV" --arg d "$KEEPER_DEV" \
	'[.orphans[] | select(.dev == $d)] | length == 0'
t_expect "no namespace entry for the living keeper $KEEPER_NS_ID" --argjson i "$KEEPER_NS_ID" \
	'[.namespaces[]? | select(.ns_id == $i)] | length == 0'
t_assert_no_namespace_holder "$KEEPER_PID"
t_assert_controls
t_done
