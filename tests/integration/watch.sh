#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# residue watch -J: the agent's loop in the foreground, one JSON line per change.  With a period of
# an hour (SIGHUP asks for a scan): an orphaned tmpfs appears with its device, holder and pinned
# bytes and goes when its holder dies; a memory cgroup of ours becomes a zombie (its process wrote
# and synced a file; the cgroup was removed) and is freed, with its age, when the file is deleted;
# SIGTERM ends the watch with exit 0; every line is a JSON object with time, event and kind.
# shellcheck disable=SC2016
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init

OUT=$REPRO_DIR/watch.jsonl
ERR=$REPRO_DIR/watch.err
"$RESIDUE" watch -J --interval 3600 --debounce 0.2 >"$OUT" 2>"$ERR" &
W_PID=$!
REPRO_PIDS+=" $W_PID@$(repro_starttime "$W_PID")"

# Wait until a line of the output satisfies the jq filter $1, within $2 seconds.
t_wait_line() {
	local n=0
	until jq -e -s "any(.[]; $1)" "$OUT" >/dev/null 2>&1; do
		kill -0 "$W_PID" 2>/dev/null || { t_log "watch exited: $(cat "$ERR")"; return 1; }
		((n++ > $2 * 10)) && { t_log "no line like $1 in: $(tail -n 5 "$OUT")"; return 1; }
		sleep 0.1
	done
}

# The first scan has run once the watch has printed what exists, or said nothing for a while.
sleep 1
kill -0 "$W_PID" 2>/dev/null || t_bail "residue watch exited: $(head -c 2000 "$ERR")"

t_repro repro_case_orphan_fd
kill -HUP "$W_PID"
t_check "the orphan appears" t_wait_line \
	"(.event == \"appeared\" and .kind == \"orphaned_filesystem\" and .dev == \"$DEV\")" 10
t_residue
want=$(jq -r --arg d "$DEV" '.orphans[] | select(.dev == $d) | .pinned_bytes' "$T_JSON")
t_check "with its holder and the pinned bytes residue orphans -J measures ($want)" jq -e -s \
	--arg d "$DEV" --argjson b "$want" --argjson p "$HOLDER_PID" \
	'any(.[]; .dev == $d and .event == "appeared" and .pinned_bytes == $b and .holder_pid == $p
		and .holder_how == "fd" and .risk == "memory" and .fstype == "tmpfs")' "$OUT"
repro_kill "$HOLDER_PID"
kill -HUP "$W_PID"
t_check "the orphan goes when its holder dies" t_wait_line \
	"(.event == \"gone\" and .kind == \"orphaned_filesystem\" and .dev == \"$DEV\")" 10

# Orphans only a kernel object keeps (BPF tier), named by the kernel-holder programs that the
# watch loads at the first such scan and keeps: a file registered in an io_uring ring; then, in a
# later scan, a tmpfs an fsopen() context holds (a device those programs were not asked about
# before); the first goes when the ring's process dies, and the second stays named.
t_repro repro_case_orphan_kholder io_uring
RING_DEV=$DEV RING_PID=$HOLDER_PID
t_residue
if t_no_sb_walk; then
	t_log "no superblock walk here: kernel holders are not named (orphan-kholders-proc tests that)"
else
	kill -HUP "$W_PID"
	t_check "an orphan an io_uring ring keeps appears, named (pid $RING_PID, how io_uring)" t_wait_line \
		"(.event == \"appeared\" and .dev == \"$RING_DEV\" and .holder_how == \"io_uring\" and .holder_pid == $RING_PID and .holders == 1)" 10
	t_repro repro_case_orphan_kholder fscontext
	kill -HUP "$W_PID"
	t_check "then one an fsopen context keeps, named by the kept programs (pid $HOLDER_PID)" t_wait_line \
		"(.event == \"appeared\" and .dev == \"$DEV\" and .holder_how == \"fscontext\" and .holder_pid == $HOLDER_PID)" 10
	repro_kill "$RING_PID"
	kill -HUP "$W_PID"
	t_check "the ring's orphan goes when its process dies" t_wait_line \
		"(.event == \"gone\" and .kind == \"orphaned_filesystem\" and .dev == \"$RING_DEV\")" 10
	# (Device numbers are reused: only lines after it appeared count.)
	t_check "the fsopen context's orphan did not go" jq -e -s --arg d "$DEV" \
		'(map(.dev == $d and .event == "appeared" and .holder_how == "fscontext") | index(true)) as $i
		| $i != null and all(.[$i:][]; .dev != $d or .event == "appeared")' "$OUT"
fi

# A zombie of our own (as repro_case_zombies makes them), where the kernel's tracepoints load.
if grep -q 'followed by rescans only' "$ERR"; then
	t_log "no zombie lines: $(grep 'followed by rescans only' "$ERR")"
else
	repro_memcg_own
	rc=$?
	if ((rc == 0)); then
		parent=$REPRO_CG_MOUNT$REPRO_CG_OWN/residue-watch.$$
		repro_memcg_mkdir "$parent" || t_bail "mkdir $parent"
		zdir=$(mktemp -d /var/tmp/residue-zombies.XXXXXX) || t_bail "mktemp"
		REPRO_ZDIRS+=" $zdir"
		f=$zdir/pin.data
		{ fallocate -l 1052672 "$f" && sync "$f"; } || t_bail "fallocate $f"
		repro_memcg_mkdir "$parent/pin" || t_bail "mkdir $parent/pin"
		id=$(stat -c %i "$parent/pin")
		repro_memcg_run "$parent/pin" "head -c 1052672 /dev/zero 1<>$f && sync $f" ||
			t_bail "writing $f"
		rmdir "$parent/pin" || t_bail "rmdir $parent/pin"
		REPRO_CGROUPS=${REPRO_CGROUPS/"$parent/pin "/}
		t_check "a zombie appears (cgroup id $id)" t_wait_line \
			"(.event == \"appeared\" and .kind == \"zombie_memcg\" and .cgroup_id == $id and (.path | endswith(\"/residue-watch.$$/pin\")))" 10
		rm -f "$f"
		t_check "and is freed with its age once its file is gone" t_wait_line \
			"(.event == \"gone\" and .kind == \"zombie_memcg\" and .cgroup_id == $id and .age_s > 0.4)" 10
	fi
fi

kill -TERM "$W_PID"
n=0
while kill -0 "$W_PID" 2>/dev/null && ((n++ < 150)); do sleep 0.02; done
wait "$W_PID"
rc=$?
t_check "SIGTERM: exit 0 (got $rc)" test "$rc" = 0
t_check "every line is JSON with time, event and kind" jq -e -s \
	'length > 0 and all(.[]; (.time | type == "number") and (.event == "appeared" or .event == "gone") and (.kind | type == "string"))' "$OUT"
t_done
