#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `residue release DEV --delete-unheld` on case (a)'s orphaned tmpfs (a held 4 KiB file beside
# 32 MiB of unheld ones).  The dry run exits 0, names the unheld files and deletes nothing: the
# bytes in use (statfs through the holder's fd, and residue's pinned_bytes) are unchanged.  With
# --yes it exits 0, the held file survives (same size, still linked), and the bytes in use drop to
# about the held file's size.  Also: release of a tmpfs that is still mounted in a live namespace
# is refused (exit >= 2) and deletes nothing there.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_fd
t_repro repro_controls
link=/proc/$HOLDER_PID/fd/$FD
tol=$((NFILES * REPRO_PAGE))
before=$(repro_link_used "$link")

"$RESIDUE" release "$DEV" --delete-unheld >"$REPRO_DIR/dry" 2>&1
rc=$?
t_check "dry run exits 0 (got $rc)" test "$rc" = 0
for f in big small nested; do
	t_check "dry run names the unheld file $f" grep -q "$f" "$REPRO_DIR/dry"
done
t_check "dry run deleted nothing ($before bytes in use, now $(repro_link_used "$link"))" \
	test "$(repro_link_used "$link")" = "$before"
t_residue
t_expect "after the dry run residue still sees $BYTES +- $tol pinned on $DEV" --arg dev "$DEV" \
	--argjson want "$BYTES" --argjson tol "$tol" \
	"$t_abs_le [.orphans[] | select(.dev == \$dev) | absle(.pinned_bytes - \$want; \$tol)] == [true]"

"$RESIDUE" release "$DEV" --delete-unheld --yes >"$REPRO_DIR/yes" 2>&1
rc=$?
t_check "--yes exits 0 (got $rc)" test "$rc" = 0
after=$(repro_link_used "$link")
t_check "--yes leaves about the held file in use ($after bytes, held $REPRO_HELD_BYTES)" \
	test "$after" -ge "$REPRO_HELD_BYTES" -a "$after" -le $((REPRO_HELD_BYTES + REPRO_PAGE))
t_check "the held file survives, still linked, same size" \
	test "$(stat -L -c %h:%s "$link")" = "1:$REPRO_HELD_BYTES"
t_residue
t_expect "residue still lists orphan $DEV, now pinning about $REPRO_HELD_BYTES bytes" \
	--arg dev "$DEV" --argjson want "$REPRO_HELD_BYTES" --argjson tol "$REPRO_PAGE" \
	"$t_abs_le [.orphans[] | select(.dev == \$dev) | absle(.pinned_bytes - \$want; \$tol)] == [true]"

# A filesystem still mounted in a live namespace is no orphan: nothing to release there.
live=$(repro_link_used "/proc/$CL_PID/fd/$CL_FD")
"$RESIDUE" release "$L_DEV" --delete-unheld --yes >"$REPRO_DIR/live" 2>&1
rc=$?
t_check "release of the live tmpfs $L_DEV is refused with exit >= 2 (got $rc)" test "$rc" -ge 2
t_check "and deleted nothing there" test "$(repro_link_used "/proc/$CL_PID/fd/$CL_FD")" = "$live"
((T_FAILS == 0)) || { for f in dry yes live; do echo "--- residue release output ($f):"; head -c 3000 "$REPRO_DIR/$f"; done; }
t_done
