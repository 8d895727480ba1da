#!/bin/bash
# shellcheck disable=SC2016,SC2153,SC2119 # jq programs in single quotes; repro/lib.sh's globals
# SPDX-License-Identifier: LGPL-2.1-or-later
# `residue release DEV --detach-loops | --drain-inflight | --unregister` on dead containers' tmpfs
# that only a kernel object keeps (repro cases k, l, m).  For each: the dry run exits 0, predicts
# the action (would-detach, would-receive with the message's fds and bytes, would-unregister with
# the ring's fixed-file count) and changes nothing (the orphan is still listed with the same
# bytes; the socket still has its file in flight; the ring still has its files); --yes does it,
# says so, and the orphan is gone with all its bytes back.  Controls, each refused and left as it
# was: a loop device some process has open (skip-busy), a file behind a message of plain data
# (skip-not-at-head), a file on a connection not yet accepted (skip-unaccepted), a ring only its
# creator may register with (failed, EEXIST); and a flag for another kind does nothing.
# Without the superblock walk (the 6.1 guest's /proc tier) only the loop device can be seen:
# the other parts are skipped, said so.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init

# release DEV ARGS... into $REPRO_DIR/NAME.json (-J) and NAME.txt (text); sets RC.
rel() {
	local name=$1
	shift
	"$RESIDUE" release "$@" -J >"$REPRO_DIR/$name.json" 2>"$REPRO_DIR/$name.err"
	RC=$?
	"$RESIDUE" release "$@" >"$REPRO_DIR/$name.txt" 2>>"$REPRO_DIR/$name.err" </dev/null ||
		true
}
# The dry run's text form must be the same plan: run it only for dry runs (--yes acts once).
rel_yes() {
	local name=$1
	shift
	"$RESIDUE" release "$@" --yes -J >"$REPRO_DIR/$name.json" 2>"$REPRO_DIR/$name.err"
	RC=$?
}
# jq FILTER on release output NAME must be true.
r_expect() {
	local desc=$1 name=$2
	shift 2
	if [[ $(jq "$@" "$REPRO_DIR/$name.json" 2>&1) == true ]]; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		echo "# $(head -c 1500 "$REPRO_DIR/$name.json") $(head -c 500 "$REPRO_DIR/$name.err")"
		T_FAILS=$((T_FAILS + 1))
	fi
}
pinned() { jq --arg d "$1" '[.orphans[] | select(.dev == $d) | .pinned_bytes] | .[0]' "$T_JSON"; }
listed() { jq --arg d "$1" '[.orphans[] | select(.dev == $d)] | length' "$T_JSON"; }

# --- a loop device: detached when nothing uses it; skipped while a process has it open --------
t_repro repro_case_orphan_loop
LDEV=$DEV LLOOP=$LOOP
t_repro repro_case_orphan_loop
BDEV=$DEV BLOOP=$LOOP
repro_holder BH fd "$BLOOP" r || t_bail "residue-hold fd $BLOOP failed"
t_residue
lbytes=$(pinned "$LDEV")
t_check "the loop orphan $LDEV is listed" test "$(listed "$LDEV")" = 1
rel loop-dry "$LDEV" --detach-loops
t_check "loop dry run exits 0 (got $RC)" test "$RC" = 0
r_expect "loop dry run: would-detach $LLOOP, predicted to free it" loop-dry --arg l "$LLOOP" \
	'.dry_run and ([.actions[] | [.kind, .action, .target]] == [["loop", "would-detach", $l]]) and .frees_orphan'
t_check "loop dry run text says would-detach" grep -q "^would-detach .*$LLOOP" "$REPRO_DIR/loop-dry.txt"
t_check "loop dry run changed nothing: $LLOOP still bound" losetup "$LLOOP"
t_residue
t_check "after the dry run $LDEV is listed with the same bytes ($lbytes)" \
	test "$(listed "$LDEV"):$(pinned "$LDEV")" = "1:$lbytes"
rel busy "$BDEV" --detach-loops --yes
r_expect "busy loop: skip-busy naming pid $BH_PID" busy --arg l "$BLOOP" --arg p "pid $BH_PID " \
	'[.actions[] | [.action, .target, (.note | contains($p))]] == [["skip-busy", $l, true]] and .acted == 0'
t_check "busy loop $BLOOP still bound, without autoclear" \
	test "$(losetup -n -O AUTOCLEAR "$BLOOP" | tr -d ' ')" = 0
rel other "$LDEV" --drain-inflight
r_expect "another kind's flag (--drain-inflight) does nothing to the loop" other \
	'[.actions[] | .action] == ["not-requested"] and .acted == 0'
rel_yes loop-yes "$LDEV" --detach-loops
t_check "loop --yes exits 0 (got $RC)" test "$RC" = 0
r_expect "loop --yes: detached, the orphan is gone, $lbytes bytes came back" loop-yes \
	--arg l "$LLOOP" --argjson b "${lbytes:-null}" \
	'[.actions[] | [.action, .target]] == [["detached", $l]] and .orphan_after == false and .freed_bytes == $b'
t_check "$LLOOP is unbound" bash -c "! losetup '$LLOOP' >/dev/null 2>&1"
t_residue
t_check "residue orphans no longer lists $LDEV" test "$(listed "$LDEV")" = 0
t_check "the busy loop's orphan $BDEV is still listed" test "$(listed "$BDEV")" = 1
if t_no_sb_walk; then
	t_log "no superblock walk on this tier: files in flight and io_uring rings cannot be seen; skipped"
	t_done
fi

# --- files in flight: received when at the head; refused behind data and on an embryo -------
declare -A dev pid sock
for mode in inflight inflight-nested inflight-behind inflight-embryo; do
	t_repro repro_case_orphan_inflight "$mode"
	dev[$mode]=$DEV pid[$mode]=$HOLDER_PID sock[$mode]=$SOCK
done
t_residue
for mode in inflight inflight-nested; do
	d=${dev[$mode]} b=$(pinned "${dev[$mode]}") fdinfo=/proc/${pid[$mode]}/fdinfo/${sock[$mode]}
	scm=$(grep '^scm_fds:' "$fdinfo")
	rel "$mode-dry" "$d" --drain-inflight
	t_check "$mode dry run exits 0 (got $RC)" test "$RC" = 0
	r_expect "$mode dry run: would-receive 1 message, 1 fd, 1 data byte from pid ${pid[$mode]} fd ${sock[$mode]}" \
		"$mode-dry" --argjson p "${pid[$mode]}" --argjson fd "${sock[$mode]}" --arg how "$mode" \
		'[.actions[] | [.kind, .action, .pid, .fd, .messages, .files, .data_bytes]] == [[$how, "would-receive", $p, $fd, 1, 1, 1]] and .frees_orphan'
	t_check "$mode dry run text says the owner loses them" grep -q "the owner loses them" "$REPRO_DIR/$mode-dry.txt"
	t_check "$mode dry run changed nothing in the socket ($scm)" test "$(grep '^scm_fds:' "$fdinfo")" = "$scm"
	t_residue
	t_check "after the dry run $d is listed with the same bytes ($b)" test "$(listed "$d"):$(pinned "$d")" = "1:$b"
	rel_yes "$mode-yes" "$d" --drain-inflight
	t_check "$mode --yes exits 0 (got $RC)" test "$RC" = 0
	r_expect "$mode --yes: received 1 message, the orphan gone, $b bytes back" "$mode-yes" \
		--argjson b "$b" \
		'[.actions[] | [.action, .messages, .files]] == [["received", 1, 1]] and .orphan_after == false and .freed_bytes == $b'
	t_check "$mode: the owner pid ${pid[$mode]} lives on" kill -0 "${pid[$mode]}"
done
t_residue
for mode in inflight inflight-nested; do
	t_check "residue orphans no longer lists ${dev[$mode]} ($mode)" test "$(listed "${dev[$mode]}")" = 0
done
d=${dev[inflight-behind]} fdinfo=/proc/${pid[inflight-behind]}/fdinfo/${sock[inflight-behind]}
b=$(pinned "$d") scm=$(grep '^scm_fds:' "$fdinfo")
rel behind "$d" --drain-inflight --yes
r_expect "behind plain data: skip-not-at-head, nothing received" behind \
	'[.actions[] | .action] == ["skip-not-at-head"] and .acted == 0'
t_check "behind plain data: the owner's data is still queued (recv-q unchanged: $scm)" \
	test "$(grep '^scm_fds:' "$fdinfo")" = "$scm"
rel embryo "${dev[inflight-embryo]}" --drain-inflight --yes
r_expect "not yet accepted: skip-unaccepted, the hint instead" embryo \
	'[.actions[] | [.kind, .action]] == [["inflight-embryo", "skip-unaccepted"]] and .acted == 0'
t_residue
t_check "behind plain data: ${dev[inflight-behind]} still listed with its bytes" \
	test "$(listed "${dev[inflight-behind]}"):$(pinned "${dev[inflight-behind]}")" = "1:$b"
t_check "not yet accepted: ${dev[inflight-embryo]} still listed" test "$(listed "${dev[inflight-embryo]}")" = 1

# --- io_uring fixed files: all unregistered; a single-issuer ring refuses ---------------------
t_repro repro_case_orphan_kholder io_uring
UDEV=$DEV UPID=$HOLDER_PID UFD=$FD
# IORING_SETUP_SINGLE_ISSUER is 6.0: without it the control is skipped, said so.
SDEV=""
repro_case_orphan_kholder io_uring-single
case $? in
0) SDEV=$DEV SPID=$HOLDER_PID SFD=$FD ;;
77) t_log "no IORING_SETUP_SINGLE_ISSUER here: that control is skipped" ;;
*) t_bail "repro_case_orphan_kholder io_uring-single did not build the expected kernel state" ;;
esac
t_residue
b=$(pinned "$UDEV")
rel ring-dry "$UDEV" --unregister
t_check "io_uring dry run exits 0 (got $RC)" test "$RC" = 0
r_expect "io_uring dry run: would-unregister all 3 fixed files of pid $UPID's ring fd $UFD" ring-dry \
	--argjson p "$UPID" --argjson fd "$UFD" \
	'[.actions[] | [.kind, .action, .pid, .fd, .fixed_files, (.note | contains("ALL 3"))]] == [["io_uring", "would-unregister", $p, $fd, 3, true]] and .frees_orphan'
t_check "io_uring dry run changed nothing: the ring still has 3 files" \
	grep -q '^UserFiles:[[:space:]]*3$' "/proc/$UPID/fdinfo/$UFD"
t_residue
t_check "after the dry run $UDEV is listed with the same bytes ($b)" test "$(listed "$UDEV"):$(pinned "$UDEV")" = "1:$b"
rel_yes ring-yes "$UDEV" --unregister
t_check "io_uring --yes exits 0 (got $RC)" test "$RC" = 0
r_expect "io_uring --yes: unregistered, the orphan gone, $b bytes back" ring-yes --argjson b "$b" \
	'[.actions[] | .action] == ["unregistered"] and .orphan_after == false and .freed_bytes == $b'
t_check "the ring of pid $UPID has no files left, and it lives on" \
	grep -q '^UserFiles:[[:space:]]*0$' "/proc/$UPID/fdinfo/$UFD"
if [[ -n $SDEV ]]; then
	rel single "$SDEV" --unregister --yes
	r_expect "single-issuer ring: failed, EEXIST, said why" single \
		'[.actions[] | [.action, .error, (.note | test("SINGLE_ISSUER"))]] == [["failed", "File exists", true]]'
	t_check "single-issuer ring: exit 2 (got $RC)" test "$RC" = 2
	t_check "single-issuer ring still has its 3 files" grep -q '^UserFiles:[[:space:]]*3$' "/proc/$SPID/fdinfo/$SFD"
fi
t_residue
t_check "residue orphans no longer lists $UDEV" test "$(listed "$UDEV")" = 0
[[ -z $SDEV ]] || t_check "the single-issuer ring's $SDEV is still listed" test "$(listed "$SDEV")" = 1
((T_FAILS == 0)) || for f in "$REPRO_DIR"/*.txt; do echo "--- $f:"; head -c 1500 "$f"; done
t_done
