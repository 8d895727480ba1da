#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (l) Dead containers' tmpfs kept only by a file in flight: sent with SCM_RIGHTS and never
# received.  No fd table points at them; the BPF superblock walk sees them mounted nowhere, and
# the unix-socket iterator names the socket whose queue holds the file and the process that
# holds that socket (or the socket that holds it: a socket itself in flight, a connection not
# yet accepted).  Three cases, one container each: directly in a socketpair (how "inflight"),
# inside a socket in flight in another (how "inflight-nested"), in a connection waiting in a
# listener's queue (how "inflight-embryo").  Each: exactly one orphan, tmpfs, orphaned, risk
# memory, its bytes, one holder naming the process and fd of the socket it can receive from, and
# the hint.  Without the walk (-proc): no orphan, the gap says why, and a second gap counts the
# sockets fdinfo shows files in flight in.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
declare -A dev pid sock
for mode in inflight inflight-nested inflight-embryo; do
	t_repro repro_case_orphan_inflight "$mode"
	dev[$mode]=$DEV pid[$mode]=$HOLDER_PID sock[$mode]=$SOCK
	t_log "$mode: DEV=$DEV HOLDER_PID=$HOLDER_PID SOCK=$SOCK"
done
t_repro repro_controls
t_residue
tol=$((NFILES * REPRO_PAGE))
for mode in inflight inflight-nested inflight-embryo; do
	a=(--arg dev "${dev[$mode]}" --arg how "$mode" --argjson pid "${pid[$mode]}"
		--argjson fd "${sock[$mode]}")
	o='.orphans[] | select(.dev == $dev)'
	if t_no_sb_walk; then
		t_expect "/proc tier: no orphan has dev ${dev[$mode]} ($mode)" "${a[@]}" "[$o] | length == 0"
		continue
	fi
	t_expect "$mode: exactly one orphan has dev ${dev[$mode]}, tmpfs, orphaned, risk memory" \
		"${a[@]}" "[$o | [.fstype, .state, .risk]] == [[\"tmpfs\", \"orphaned\", \"memory\"]]"
	t_expect "$mode: its pinned_bytes is $BYTES +- $tol" "${a[@]}" --argjson want "$BYTES" \
		--argjson tol "$tol" "$t_abs_le [$o | absle(.pinned_bytes - \$want; \$tol)] == [true]"
	t_expect "$mode: one holder, how $mode, pid ${pid[$mode]} (residue-hold), fd ${sock[$mode]}, a socket" \
		"${a[@]}" "[$o | .holders[] | [.how, .pid, .comm, .fd, (.path | test(\"^socket:\\\\[[0-9]+\\\\]$\"))]] == [[\$how, \$pid, \"residue-hold\", \$fd, true]]"
	t_expect "$mode: the hint names pid ${pid[$mode]} and fd ${sock[$mode]}" "${a[@]}" \
		"[$o | .hint | test(\"pid \\(\$pid)\\\\b\") and test(\"fd \\(\$fd)\\\\b\")] == [true]"
	# The via chain: what lies between the file and the socket the holder's fd is.
	case $mode in
	inflight) via='null' ;;
	inflight-nested) via='[{"kind": "socket-in-flight", "socket": "socket:[\\d+]", "dev": null}]' ;;
	inflight-embryo) via='[{"kind": "unaccepted-connection", "socket": null, "dev": null}]' ;;
	esac
	t_expect "$mode: via $via" "${a[@]}" \
		"[$o | .holders[] | .via | if . == null then null else [.[] | .socket |= (if . == null then null else sub(\"[0-9]+\"; \"\\\\d+\") end)] end] == [$via]"
done
if t_no_sb_walk; then
	t_expect "/proc tier: a gap says what it cannot see" \
		'[.gaps[] | select(.call == "walk_sbs" and (.what | test("needs the BPF tier")))] | length == 1'
	# fdinfo counts the files in flight in a socket a process holds (the socketpair's and the
	# outer socket of the nested case; an embryo has no fd): one gap, by socket, with a pid.
	t_expect "/proc tier: a gap counts the 2 sockets with files in flight (fdinfo scm_fds)" \
		--argjson pids "[${pid[inflight]}, ${pid[inflight-nested]}]" \
		'[.gaps[] | select(.call == "fdinfo" and (.what | test("scm_fds")) and .count >= 2 and (.example_pid as $p | $pids | index($p)))] | length == 1'
else
	t_expect "no gap counts an unnamed superblock" \
		'[.gaps[] | select(.call == "walk_sbs")] | length == 0'
fi
t_assert_controls
t_done
