#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (c') Only one thread of the holder (it called unshare(CLONE_FS)) has its cwd in the orphan:
# residue must find it through /proc/PID/task/TID/cwd and name the thread: how cwd, fd null,
# tid TID, the path inside the orphan, the bytes; and nothing about the controls.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_thread_cwd
t_repro repro_controls
t_residue
t_assert_orphan
t_expect "orphan $DEV: the holder is thread $HOLDER_TID of pid $HOLDER_PID" --arg dev "$DEV" \
	--argjson pid "$HOLDER_PID" --argjson tid "$HOLDER_TID" \
	'[.orphans[] | select(.dev == $dev) | .holders[] | select(.pid == $pid and .how == "cwd") | .tid] == [$tid]'
t_assert_controls
t_done
