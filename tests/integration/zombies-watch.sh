#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# residue zombies --watch (BPF tracepoints cgroup_rmdir / cgroup_release): below a parent cgroup of
# our own, while `residue zombies --watch -J --duration N --cgroup PARENT` runs, two memory
# cgroups become zombies (a process in each writes and syncs a file on /var/tmp, exits, the cgroup
# is removed: the file's page cache pins it), one cgroup is removed with nothing charged (a quick
# death, freed within milliseconds), and one zombie is released by deleting its file.  Asserts on
# the JSON Lines: exactly the two zombies by path and id (the id is the removed directory's inode
# number), one "freed" for the released one with its age, nothing about the quick death, and a
# final summary that adds up.  Then: SIGINT and SIGTERM end a watch with its summary and exit 0,
# the other zombie, from before a new watch, is freed with its age unknown, no BPF program is left
# loaded, and without privilege --watch says it needs BPF and exits 2.
# jq programs and the shell of the cgroups' processes are single-quoted on purpose:
# shellcheck disable=SC2016
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init

# The ids of the watch programs loaded now, sorted.
t_watch_prog_ids() {
	bpftool -j prog show 2>/dev/null |
		jq -r '.[] | select(.name == "watch_rmdir" or .name == "watch_release") | .id' | sort
}
WATCH_PROGS_BEFORE=$(command -v bpftool >/dev/null && t_watch_prog_ids)

DURATION=6 # the world below is built and pin-1 freed within about 1 s; the rest is slack

# t_start_watch VAR ARGS...: start `residue zombies --watch -J ARGS` in the background with its
# output in $REPRO_DIR/VAR.jsonl (killed by the teardown if still running), and wait for its
# "start" line.  Sets VAR_PID.  Skips when the watch says it cannot have BPF.
t_start_watch() {
	local var=$1 pid out err rc n=0
	shift
	out=$REPRO_DIR/$var.jsonl err=$REPRO_DIR/$var.err
	"$RESIDUE" zombies --watch -J "$@" >"$out" 2>"$err" &
	pid=$!
	REPRO_PIDS+=" $pid@$(repro_starttime "$pid")"
	printf -v "${var}_PID" %s "$pid"
	until grep -q '"event":"start"' "$out" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			rc=$?
			if ((rc == 2)) && grep -q 'needs BPF' "$err"; then
				t_skip "$(head -n 1 "$err")"
			fi
			t_bail "residue zombies --watch exited $rc before it started: $(head -c 2000 "$err")"
		fi
		((n++ > 1500)) && t_bail "residue zombies --watch did not start within 30 s"
		sleep 0.02
	done
}

# Wait for PID to exit within SECONDS; its exit status in WAIT_RC.
t_wait_exit() {
	local pid=$1 n=0
	while kill -0 "$pid" 2>/dev/null; do
		((n++ > $2 * 50)) && t_bail "pid $pid still running after $2 s"
		sleep 0.02
	done
	wait "$pid"
	WAIT_RC=$?
}

# ---- the world: our own parent cgroup, and files whose page cache will pin its children ----
repro_memcg_own
rc=$?
((rc == 77)) && t_skip "no memory cgroup controller is mounted"
((rc == 0)) || t_bail "repro_memcg_own failed"
rel=$REPRO_CG_OWN/residue-zombies.$$
parent=$REPRO_CG_MOUNT$rel
repro_memcg_mkdir "$parent"
rc=$?
((rc == 77)) && t_skip "cannot create a memory cgroup below our own (see above)"
((rc == 0)) || t_bail "mkdir $parent"
zdir=$(mktemp -d /var/tmp/residue-zombies.XXXXXX) || t_bail "mktemp -d /var/tmp"
REPRO_ZDIRS+=" $zdir"
# As repro_case_zombies: warm, from our own cgroup, the programs the zombies' processes will run,
# else a zombie is charged for them too and deleting its file does not free it; a keeper rereads
# the pinned files so idle-page reclaim does not free them mid-test.
if ! { head -c 4096 /dev/zero >"$zdir/warm" && sync "$zdir/warm" && rm -f "$zdir/warm"; }; then
	t_bail "warming $zdir"
fi
: >"$zdir/keep"
repro_start ZK sh -c 'echo ready; while :; do xargs cat <"$1"/keep >/dev/null 2>&1; sleep 1; done' \
	sh "$zdir" || t_bail "starting the keeper"

t_start_watch W --duration "$DURATION" --cgroup "$rel"
T_JSON=$REPRO_DIR/W.jsonl
t0=$EPOCHREALTIME
t_log "watch started (pid $W_PID)"

# Two zombies: pin-1 and pin-2, each pinned by i MiB + 4 KiB of its own file's page cache.  The
# file's blocks are allocated first, from our own cgroup, and the process overwrites them in place
# (1<>, no truncation): else the block bitmaps ext4 reads to allocate them at writeback are charged
# to the zombie too, and deleting the file leaves it pinned by a page of the block device's cache.
declare -A ids
for i in 1 2; do
	size=$((i * 1048576 + 4096))
	f=$zdir/pin-$i.data
	{ fallocate -l "$size" "$f" && sync "$f"; } || t_bail "fallocate $f"
	repro_memcg_mkdir "$parent/pin-$i" || t_bail "mkdir $parent/pin-$i"
	ids[pin-$i]=$(stat -c %i "$parent/pin-$i")
	repro_memcg_run "$parent/pin-$i" "head -c $size /dev/zero 1<>$f && sync $f" ||
		t_bail "writing $f in $parent/pin-$i"
	rmdir "$parent/pin-$i" || t_bail "rmdir $parent/pin-$i"
	REPRO_CGROUPS=${REPRO_CGROUPS/"$parent/pin-$i "/}
	# Only now the keeper may read it: a read of its allocated, unwritten blocks before the
	# write would have charged their pages to the keeper.
	echo "$f" >>"$zdir/keep"
	if command -v fincore >/dev/null; then
		repro_cached "$size" "$f" || t_bail "$f is not all in the page cache"
	fi
done
# A quick death: a process ran in it and left nothing charged.
repro_memcg_mkdir "$parent/quick-1" || t_bail "mkdir $parent/quick-1"
repro_memcg_run "$parent/quick-1" 'i=0; while [ $i -lt 1000 ]; do i=$((i + 1)); done' ||
	t_bail "running in $parent/quick-1"
rmdir "$parent/quick-1" || t_bail "rmdir $parent/quick-1"
REPRO_CGROUPS=${REPRO_CGROUPS/"$parent/quick-1 "/}
t_log "pin-1 id ${ids[pin-1]}, pin-2 id ${ids[pin-2]}, quick-1 removed"

# Once both are reported, release pin-1: deleting its file truncates its page cache.
n=0
until (($(grep -c '"event":"zombie"' "$T_JSON") >= 2)); do
	((n++ > 250)) && t_bail "no two zombie events 5 s after the removals: $(cat "$T_JSON")"
	sleep 0.02
done
rm -f "$zdir/pin-1.data"
n=0
until grep -q '"event":"freed"' "$T_JSON"; do
	((n++ > 250)) && t_bail "pin-1 not freed 5 s after its file was deleted: $(cat "$T_JSON")"
	sleep 0.02
done
built=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
t_log "world built and pin-1 freed ${built}s after the watch started (of ${DURATION}s)"

t_wait_exit "$W_PID" $((DURATION + 10))
pids=""
t_check "the watch exited 0 after --duration $DURATION" test "$WAIT_RC" -eq 0
t_expect "every line is a JSON object with an event" -s 'length > 0 and all(.event | type == "string")'
t_expect "one start line, for $rel, with no zombies before" -s --arg p "$rel" \
	'[.[] | select(.event == "start")] | length == 1 and .[0].subtree == $p and .[0].zombies_before == 0'
t_expect "exactly two zombie events: pin-1 and pin-2" -s --arg p "$rel" \
	'[.[] | select(.event == "zombie") | .path] | sort == [$p + "/pin-1", $p + "/pin-2"]'
for i in 1 2; do
	t_expect "zombie pin-$i has cgroup_id ${ids[pin-$i]} (its directory's inode), no age" -s \
		--arg c "$rel/pin-$i" --argjson id "${ids[pin-$i]}" \
		'[.[] | select(.event == "zombie" and .path == $c)]
		| length == 1 and .[0].cgroup_id == $id and .[0].age_s == null and .[0].before_watch == false'
done
t_expect "exactly one freed event: pin-1, age > 0" -s --arg c "$rel/pin-1" \
	--argjson id "${ids[pin-1]}" '[.[] | select(.event == "freed")]
	| length == 1 and .[0].path == $c and .[0].cgroup_id == $id and .[0].age_s > 0
	and .[0].before_watch == false'
t_expect "pin-1's age is the time from its zombie event to its freed event (+- 2 ms)" -s \
	--arg c "$rel/pin-1" "$t_abs_le"'[.[] | select(.path == $c)] as $e
	| ($e | map(select(.event == "freed"))[0]) as $f
	| ($e | map(select(.event == "zombie"))[0]) as $z
	| absle($f.age_s - ($f.time - $z.time); 0.002)'
t_expect "pin-1 was freed after its file was deleted (>= 0.5 s after pin-2 was removed)" -s \
	--arg c "$rel/pin-2" '[.[] | select(.event == "zombie" and .path == $c) | .time][0] as $z
	| [.[] | select(.event == "freed") | .time >= $z + 0.5] == [true]'
t_expect "nothing about the quick death quick-1" -s --arg c "$rel/quick-1" \
	'[.[] | select(.path == $c)] | length == 0'
t_expect "the final summary: 2 zombies, 1 freed, 1 alive, 1 quick death, no lost records" -s \
	'[.[] | select(.event == "summary" and .final)] | length == 1 and (.[0]
	| .zombies == 2 and .freed == 1 and .alive == 1 and .quick_deaths == 1
	and .lost_records == 0 and .before_watch.zombies == 0 and .before_watch.freed == 0)'
t_expect "top creator: $rel, 2 created, 1 alive" -s --arg p "$rel" \
	'[.[] | select(.event == "summary" and .final) | .creators] == [[{"parent": $p, "created": 2, "alive": 1}]]'
t_expect "the summary comes last" -s '.[-1].event == "summary" and .[-1].final'

# SIGINT and SIGTERM end a watch without --duration: summary, exit 0, promptly.
for sig in INT TERM; do
	t_start_watch "S$sig" --cgroup "$rel"
	pid=S${sig}_PID
	pids+=" ${!pid}"
	kill -"$sig" "${!pid}"
	t_wait_exit "${!pid}" 5
	T_JSON=$REPRO_DIR/S$sig.jsonl
	t_check "SIG$sig: the watch exits 0" test "$WAIT_RC" -eq 0
	t_expect "SIG$sig: its last line is the final summary" -s '.[-1].event == "summary" and .[-1].final'
	t_expect "SIG$sig: pin-2 is the one zombie from before the watch" -s \
		'.[0].zombies_before == 1 and .[-1].before_watch.zombies == 1'
done

# A zombie from before the watch (pin-2), released during it: freed, its age unknown.
t_start_watch B --duration 3 --cgroup "$rel"
pids+=" $B_PID"
rm -f "$zdir/pin-2.data"
t_wait_exit "$B_PID" 13
T_JSON=$REPRO_DIR/B.jsonl
t_check "before: the watch exits 0" test "$WAIT_RC" -eq 0
t_expect "before: pin-2 freed, age unknown, at least as old as the watch" -s --arg c "$rel/pin-2" \
	--argjson id "${ids[pin-2]}" '[.[] | select(.event == "freed")] | length == 1 and (.[0]
	| .path == $c and .cgroup_id == $id and .age_s == null and .before_watch and .min_age_s == .time)'
t_expect "before: no zombie appeared; 1 from before, freed" -s '[.[] | select(.event == "zombie")] == []
	and (.[-1] | .final and .zombies == 0 and .before_watch == {"zombies": 1, "freed": 1})'

# Their programs went with them: no watch program loaded since the test began is still there
# (by id: bpftool shows which processes hold a program only where it was built with skeletons,
# and another residue serve on the host may hold its own).  Freeing waits for RCU: poll a little.
# shellcheck disable=SC2317 # called through t_check
t_no_new_watch_progs() {
	local n=0 now
	while :; do
		now=$(t_watch_prog_ids)
		[[ -z $(comm -13 <(echo "$WATCH_PROGS_BEFORE") <(echo "$now")) ]] && return 0
		((n++ > 100)) && { t_log "still loaded: $(comm -13 <(echo "$WATCH_PROGS_BEFORE") <(echo "$now") | tr '\n' ' ')"; return 1; }
		sleep 0.05
	done
}
if [[ -n $WATCH_PROGS_BEFORE ]] || command -v bpftool >/dev/null; then
	t_check "no watch program of ours is left loaded" t_no_new_watch_progs
fi
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups \
	test -x "$RESIDUE"; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$RESIDUE" zombies --watch \
		--duration 1 2>&1)
	rc=$?
	t_check "unprivileged: exit 2" test "$rc" -eq 2
	t_check "unprivileged: one line saying --watch needs BPF" \
		bash -c '[[ $(wc -l <<<"$1") == 1 && $1 == *"needs BPF"* ]]' sh "$out"
fi
t_done
