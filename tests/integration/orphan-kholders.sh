#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (m) tmpfs superblocks kept only by a kernel object: a dead container's file registered as fixed
# file 2 of an io_uring ring (how "io_uring"), a tmpfs an fsopen() context created and still
# holds, never mounted in a namespace (how "fscontext"), and a tmpfs unmounted from a living
# namespace where it stays the lower layer of an overlay (how "overlay").  No fd table, mapping
# or mount in a namespace points at them; the BPF superblock walk sees them mounted nowhere, and
# the kernel-holder programs (loaded only then) name the process, the fd of the ring or context
# and, for the ring, the slot and the file; for the overlay, a process of its namespace, the
# layer and its mount point.  Each: exactly one orphan, tmpfs, orphaned, risk memory, its bytes,
# one holder, the hint; the same in the table and the metrics.  A ring whose registered file is
# on a mounted filesystem (a look-alike) is named nowhere.  Without the walk (-proc): no orphan,
# and a gap for each kind behind an fd says what could not be seen.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
modes="io_uring fscontext overlay"
declare -A dev pid fd index hpath comm=([io_uring]=residue-hold [fscontext]=residue-hold [overlay]=sleep)
for mode in $modes; do
	t_repro repro_case_orphan_kholder "$mode"
	dev[$mode]=$DEV pid[$mode]=$HOLDER_PID fd[$mode]=$FD index[$mode]=$INDEX hpath[$mode]=$HPATH
done
# The look-alike: a ring whose fixed file is on / (mounted), held the same way.
repro_holder CR io_uring /etc/hostname || t_bail "residue-hold io_uring /etc/hostname failed"
t_repro repro_controls
t_residue
tol=$((NFILES * REPRO_PAGE))
o='.orphans[] | select(.dev == $dev)'
for mode in $modes; do
	a=(--arg dev "${dev[$mode]}" --arg how "$mode" --argjson pid "${pid[$mode]}" --arg comm "${comm[$mode]}"
		--argjson fd "${fd[$mode]}" --argjson index "${index[$mode]}" --arg path "${hpath[$mode]}")
	if t_no_sb_walk; then
		t_expect "/proc tier: no orphan has dev ${dev[$mode]} ($mode)" "${a[@]}" "[$o] | length == 0"
		continue
	fi
	t_expect "$mode: exactly one orphan has dev ${dev[$mode]}, tmpfs, orphaned, risk memory" \
		"${a[@]}" "[$o | [.fstype, .state, .risk]] == [[\"tmpfs\", \"orphaned\", \"memory\"]]"
	t_expect "$mode: its pinned_bytes is $BYTES +- $tol" "${a[@]}" --argjson want "$BYTES" \
		--argjson tol "$tol" "$t_abs_le [$o | absle(.pinned_bytes - \$want; \$tol)] == [true]"
	t_expect "$mode: one holder, how $mode, pid ${pid[$mode]} (${comm[$mode]}), fd ${fd[$mode]}, index ${index[$mode]}, path ${hpath[$mode]:-null}" \
		"${a[@]}" "[$o | .holders[] | [.how, .pid, .comm, .fd, .index, .path, .loop, .tid, .mode]] == [[\$how, \$pid, \$comm, \$fd, \$index, (if \$path == \"\" then null else \$path end), null, null, null]]"
	if [[ $mode == overlay ]]; then
		t_expect "$mode: the hint says to unmount the overlay at ${hpath[$mode]} in pid ${pid[$mode]}'s namespace" \
			"${a[@]}" "[$o | .hint | contains(\"lower layer 1 of the overlay $OVL_DEV\") and contains(\"nsenter -t \\(\$pid) -m umount \\(\$path)\")] == [true]"
		continue
	fi
	t_expect "$mode: the hint names pid ${pid[$mode]} and fd ${fd[$mode]}" "${a[@]}" \
		"[$o | .hint | test(\"pid \\(\$pid)\\\\b\") and test(\"fd \\(\$fd)\\\\b\")] == [true]"
done
if t_no_sb_walk; then
	t_expect "/proc tier: a gap says what it cannot see" \
		'[.gaps[] | select(.call == "walk_sbs" and (.what | test("needs the BPF tier")))] | length == 1'
	# fdinfo shows the registered files of both rings (ours and the look-alike's): one gap.
	t_expect "/proc tier: a gap counts the 2 io_uring rings with registered files" \
		--argjson pids "[${pid[io_uring]}, $CR_PID]" \
		'[.gaps[] | select(.call == "fdinfo" and (.what | test("io_uring")) and .count >= 2 and (.example_pid as $p | $pids | index($p)))] | length == 1'
	t_expect "/proc tier: a gap counts the fsopen context" \
		'[.gaps[] | select(.call == "readlink" and (.what | test("fsopen")) and .count >= 1 and .example_pid != null)] | length == 1'
else
	t_expect "io_uring: the hint says fixed file ${index[io_uring]} and how to release it" \
		--arg dev "${dev[io_uring]}" --arg i "${index[io_uring]}" \
		"[$o | .hint | contains(\"fixed file \" + \$i) and contains(\"IORING_UNREGISTER_FILES\")] == [true]"
	t_expect "no gap counts an unnamed superblock" \
		'[.gaps[] | select(.call == "walk_sbs")] | length == 0'
	t_expect "no gap about kernel holders that could not be read" \
		'[.gaps[] | select(.call == "iter/task_file" or .call == "iter/unix")] | length == 0'
	# The table: one row each, the process, how and fd; the ring's file as its path.
	# shellcheck disable=SC2086
	"$RESIDUE" orphans ${RESIDUE_SCAN_ARGS:-} -r -n -o DEV,PID,COMMAND,HOW,FD,PATH >"$REPRO_DIR/table" ||
		t_bail "residue orphans -r failed"
	t_check "table: io_uring row" grep -qx "${dev[io_uring]} ${pid[io_uring]} residue-hold io_uring ${fd[io_uring]} ${hpath[io_uring]}" "$REPRO_DIR/table"
	t_check "table: fscontext row" grep -qx "${dev[fscontext]} ${pid[fscontext]} residue-hold fscontext ${fd[fscontext]} " "$REPRO_DIR/table"
	t_check "table: overlay row" grep -qxF "${dev[overlay]} ${pid[overlay]} sleep overlay  ${hpath[overlay]}" "$REPRO_DIR/table"
	# The whole report (residue --json) has the same holders.
	# shellcheck disable=SC2086
	"$RESIDUE" ${RESIDUE_SCAN_ARGS:-} --json >"$REPRO_DIR/report.json" || t_bail "residue --json failed"
	for mode in $modes; do
		t_check "--json: orphan ${dev[$mode]} has the same holders as orphans -J" test \
			"$(jq -c --arg d "${dev[$mode]}" '[.orphans[] | select(.dev == $d) | .holders]' "$REPRO_DIR/report.json")" = \
			"$(jq -c --arg d "${dev[$mode]}" '[.orphans[] | select(.dev == $d) | .holders]' "$T_JSON")"
	done
	# The metrics: one series each, named by the process behind the ring or context.
	# shellcheck disable=SC2086
	"$RESIDUE" ${RESIDUE_SCAN_ARGS:-} --prometheus >"$REPRO_DIR/metrics.prom" || t_bail "residue --prometheus failed"
	for mode in $modes; do
		t_check "metrics: residue_orphan_info for ${dev[$mode]} names ${comm[$mode]}" \
			grep -q "^residue_orphan_info{dev=\"${dev[$mode]}\",fstype=\"tmpfs\",state=\"orphaned\",risk=\"memory\",holder_comm=\"${comm[$mode]}\"" "$REPRO_DIR/metrics.prom"
	done
fi
t_assert_no_orphan_holder "$CR_PID"
t_assert_controls
t_done
