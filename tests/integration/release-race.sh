#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# release --delete-unheld --yes against processes that keep reaching into the orphan while it
# runs.  An orphaned tmpfs with 1 500 files in d0..d9 is held by one directory fd (on sub/); three
# racers reach the rest through /proc/HOLDER/fd/N/.. and, one file every 2 ms in shuffled order,
# open one for reading, open one and keep writing it, or map one and close the fd.  Those they
# opened before residue's scan are holders of the scan (keep-held); those they open after it are
# what the race is about.  Asserts: release exits 0; it deleted files and kept others as opened
# since the scan (keep-opened: a write lease was refused or broken); no file any racer has open
# or mapped afterwards has lost its name ("(deleted)" in /proc/PID/fd or maps); sub/ is untouched.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"
t_init

REPRO_FILES="held:4096 sub/keep:4096"
for d in $(seq 0 9); do
	for f in $(seq 0 149); do REPRO_FILES+=" d$d/f$f:4096"; done
done
repro_container C tmpfs release-race || t_bail "no container"
repro_holder H fd "/proc/$C_PID/root$C_DIR/sub" r || t_bail "no holder"
repro_kill "$C_PID"
DEV=$C_DEV
root=/proc/$H_PID/fd/$H_FD/..
[[ -e $root/d9/f149 ]] || t_bail "the orphan's files are not reachable through $root"
t_log "orphan $DEV held by a directory fd of pid $H_PID; racers reach it through $root"

for m in r w mmap; do
	repro_holder "R_$m" opener "$root" "$m" 2000 || t_bail "no $m racer"
done
sleep 0.1
"$RESIDUE" release "$DEV" --delete-unheld --yes -J >"$T_JSON" 2>"$REPRO_DIR/release.err"
rc=$?
t_check "release --yes exits 0 (exit $rc: $(head -c 300 "$REPRO_DIR/release.err"))" test "$rc" = 0
deleted=$(jq '[.files[] | select(.action == "deleted")] | length' "$T_JSON")
opened=$(jq '[.files[] | select(.action == "keep-opened")] | length' "$T_JSON")
held=$(jq '[.files[] | select(.action == "keep-held")] | length' "$T_JSON")
t_log "deleted $deleted, kept as held by the scan's holders $held, kept as opened since $opened"
t_check "it deleted files ($deleted)" test "${deleted:-0}" -gt 0
t_check "it kept files opened after its scan ($opened)" test "${opened:-0}" -gt 0
t_expect "no action failed" '[.files[] | select(.action == "failed")] == []'
t_expect "sub/, the holder's directory, is kept whole" \
	'[.files[] | select(.path | startswith("/sub"))] | all(.action == "keep-reachable")'

# Nothing a racer has open or mapped lost its name.
hexdev=$(printf '%02x:%02x' "${DEV%:*}" "${DEV#*:}")
lost=0 kept=0
for m in r w; do
	pid_var=R_${m}_PID
	for fd in /proc/"${!pid_var}"/fd/*; do
		[[ $(stat -L --cached=always -c %Hd:%Ld "$fd" 2>/dev/null) == "$DEV" ]] || continue
		kept=$((kept + 1))
		[[ $(readlink "$fd") == *" (deleted)" ]] && lost=$((lost + 1))
	done
done
while read -r _ _ _ dev _ path; do
	[[ $dev == "$hexdev" ]] || continue
	kept=$((kept + 1))
	[[ $path == *" (deleted)" ]] && lost=$((lost + 1))
done <"/proc/$R_mmap_PID/maps"
t_log "the racers hold $kept files of the orphan"
t_check "the racers hold files of the orphan ($kept)" test "$kept" -gt 0
t_check "none of them was deleted under them ($lost lost)" test "$lost" = 0
t_done
