#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A host that changes faster than a scan takes, for STRESS_SECONDS (30 in `make check`, 600 in
# `make stress`): residue-churn starts STRESS_RATE (60) containers a second, each a mount namespace
# with a tmpfs and a file held from inside, living 20-200 ms; by turns they exec, have a thread in
# a namespace of their own, hold a file on a neighbour's tmpfs while both are alive, and live in a
# memory cgroup of their own that is removed after them.  Meanwhile `residue orphans -J` runs in a
# loop and `residue serve` rescans every 100 ms.  Asserts: every one-shot scan exits 0 and finds
# the real orphan and the process-less namespace made first; no scan (one-shot or the agent's
# /report, read every second) reports a new orphan (a churn container's tmpfs, held by a process or
# only by the kernel), a churn file as an orphan's holder, or a new process-less namespace that
# nothing holds; the agent never exits, every scan of it succeeds, its open fds end where they
# started and its RSS, once warm (10 s into the churn), grows by at most 1 MiB (its floor).  Prints the figures
# docs/RELIABILITY.md records.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"
t_init
command -v curl >/dev/null || t_skip "curl is not installed"
CHURN=${RESIDUE_CHURN:-$(dirname "$RESIDUE_HOLD")/residue-churn}
[[ -x $CHURN ]] || t_skip "no residue-churn at $CHURN"
secs=${STRESS_SECONDS:-30} rate=${STRESS_RATE:-60}

t_repro repro_case_orphan_fd
t_residue
t_assert_orphan
ORPHAN_DEV=$DEV
# And a process-less namespace, kept by an nsfs fd the whole time: every scan must list it, so a
# walk of the namespaces that ends early (one torn down under it) shows.
t_repro repro_case_ns_fd
PLANTED_NS=$NS_ID
DEV=$ORPHAN_DEV
t_residue
t_expect "the planted process-less namespace $PLANTED_NS is listed" --argjson n "$PLANTED_NS" \
	'[.namespaces[] | select(.ns_id == $n)] | length == 1'
base_ns=$(jq -c '[.namespaces[].ns_id]' "$T_JSON")
base_devs=$(jq -c '[.orphans[].dev]' "$T_JSON")
cg=""
if repro_memcg_own 2>/dev/null && repro_memcg_mkdir "$REPRO_CG_MOUNT$REPRO_CG_OWN/residue-stress.$$" 2>/dev/null; then
	cg=$REPRO_CG_MOUNT$REPRO_CG_OWN/residue-stress.$$
else
	t_log "no memory cgroup to create below ours: the churn makes no cgroups"
fi

# The agent, on loopback, rescanning every 100 ms.
LOG=$REPRO_DIR/serve.log
"$RESIDUE" serve --listen 127.0.0.1:0 --interval 0.1 --debounce 0.05 2>"$LOG" >/dev/null &
SERVE_PID=$!
REPRO_PIDS+=" $SERVE_PID@$(repro_starttime "$SERVE_PID")"
for _ in $(seq 200); do
	PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$LOG")
	[[ -n $PORT ]] && curl -sf --max-time 2 "http://127.0.0.1:$PORT/report" >/dev/null && break
	sleep 0.05
done
URL=http://127.0.0.1:$PORT
metric() { curl -sf --max-time 2 "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE_PID/status"; }
# The fewest fds over 5 looks 50 ms apart: a scan in progress holds a few more for a moment.
nfds() {
	local n min=
	for _ in 1 2 3 4 5; do
		n=$(find "/proc/$SERVE_PID/fd" -mindepth 1 | wc -l)
		[[ -z $min ]] || ((n < min)) && min=$n
		sleep 0.05
	done
	echo "$min"
}
sleep 2
rss0=$(rss) fds0=$(nfds) scans0=$(metric residue_scans_total)

# verdict FILE: "ok", or what is wrong with one scan's JSON.
verdict() {
	jq -r --arg dev "$DEV" --argjson base "$base_ns" --argjson ns "$PLANTED_NS" \
		--argjson devs "$base_devs" '
		if ([.orphans[] | select(.dev == $dev)] | length) != 1 then "the real orphan is missing"
		elif ([.namespaces[] | select(.ns_id == $ns)] | length) != 1
			then "the planted process-less namespace is missing"
		elif [.orphans[].holders[] | select(.path == "/residue-churn-file")] != [] then "a churn file became an orphan"
		elif [.orphans[] | select((.dev | IN($devs[])) | not)] != []
			then "a new orphan: \([.orphans[] | select((.dev | IN($devs[])) | not) | [.dev, .holders[0].how]])"
		elif [.namespaces[] | select((.ns_id | IN($base[])) | not) | select(.holders == [])] != []
			then "a new process-less namespace with no holder"
		else "ok" end' "$1" 2>&1
}

# explain_namespaces FILE: for each holder-less new namespace of a wrong scan, what holds it now
# (its tasks, found through every task's ns/mnt, and who has it open) and whether it still exists.
explain_namespaces() {
	local ino ids tasks
	ids=$(jq -r --argjson base "$base_ns" '.namespaces[] | select((.ns_id | IN($base[])) | not)
		| select(.holders == []) | "\(.inode) \(.mounts) \(.tmpfs_mounts) \(.pinned_bytes)"' "$1")
	while read -r ino rest; do
		[[ -n $ino ]] || continue
		tasks=$(find /proc/[0-9]*/task/[0-9]*/ns/mnt -maxdepth 0 -lname "mnt:\[$ino\]" 2>/dev/null |
			while read -r l; do
				t=${l#/proc/}
				t=${t%%/*}
				printf ' %s(%s)' "$l" "$(tr -d '\n' <"/proc/$t/comm" 2>/dev/null)"
			done)
		t_log "  namespace inode $ino (mounts, tmpfs, bytes: $rest): tasks in it now:${tasks:- none};" \
			"fds on it: $(find /proc/[0-9]*/fd -lname "mnt:\[$ino\]" 2>/dev/null | tr '\n' ' ')"
	done <<<"$ids"
}

mkdir -p "$REPRO_DIR/churn"
"$CHURN" "$REPRO_DIR/churn" "$secs" "$rate" $cg >"$REPRO_DIR/churn.out" 2>&1 &
churn_pid=$!
REPRO_PIDS+=" $churn_pid@$(repro_starttime "$churn_pid")"

runs=0 bad=0 reports=0 bad_reports=0 failed_scans=0 last=$SECONDS rss_series="" t0=$SECONDS
declare -a rss_at # second of the churn -> the agent's RSS then
while kill -0 "$churn_pid" 2>/dev/null; do
	"$RESIDUE" orphans -J >"$T_JSON.run" 2>"$REPRO_DIR/run.err"
	rc=$?
	# The agent's RSS after every one-shot scan (about 20 a second), the lowest of each second.
	r=$(rss) sec=$((SECONDS - t0))
	[[ -n $r ]] && { [[ -z ${rss_at[sec]:-} ]] || ((r < rss_at[sec])); } && rss_at[sec]=$r
	runs=$((runs + 1))
	v=$(verdict "$T_JSON.run")
	if ((rc != 0)) || [[ $v != ok ]]; then
		bad=$((bad + 1))
		((bad <= 5)) && t_log "run $runs: rc $rc: $v $(head -c 300 "$REPRO_DIR/run.err")"
		((bad <= 5)) && explain_namespaces "$T_JSON.run"
		((bad <= 5)) && t_log "  that scan's planted namespace entries, namespaces and gaps:" \
			"$(jq -c --argjson ns "$PLANTED_NS" '{planted: [.namespaces[] | select(.ns_id == $ns)] | length,
				namespaces: [.namespaces[] | [.ns_id, ([.holders[] | .pid // .path])]], gaps}' \
				"$T_JSON.run" 2>&1 | head -c 2000)"
	fi
	if ((SECONDS != last)); then
		last=$SECONDS
		((last % 10 == 0)) && rss_series+=" $(rss)"
		if curl -sf --max-time 5 "$URL/report" >"$T_JSON.agent"; then
			reports=$((reports + 1))
			v=$(verdict "$T_JSON.agent")
			[[ $v == ok ]] || { bad_reports=$((bad_reports + 1)); t_log "agent: $v"; }
		else
			bad_reports=$((bad_reports + 1))
			t_log "agent: /report failed"
		fi
		[[ $(metric residue_last_scan_success) == 1 ]] || failed_scans=$((failed_scans + 1))
	fi
done
wait "$churn_pid"
churn_rc=$?
sleep 1
scans1=$(metric residue_scans_total) rss1=$(rss) fds1=$(nfds)
t_log "$(cat "$REPRO_DIR/churn.out")"
t_log "figures: ${secs} s, $runs one-shot scans ($bad bad), agent: $((scans1 - scans0)) scans," \
	"$reports reports read ($bad_reports bad), $failed_scans samples with a failed last scan," \
	"RSS $rss0 -> $rss1 KiB (every 10 s:$rss_series), fds $fds0 -> $fds1"
t_check "the churn ran as asked (exit $churn_rc)" test "$churn_rc" = 0
t_check "at least $((rate * secs / 2)) containers a run: $(cat "$REPRO_DIR/churn.out")" \
	test "$(awk '{ print $2 }' "$REPRO_DIR/churn.out")" -ge $((rate * secs / 2))
t_check "one-shot scans ran ($runs)" test "$runs" -ge 5
t_check "every one-shot scan exited 0, found the real orphan and nothing of the churn" test "$bad" = 0
t_check "the agent is alive" kill -0 "$SERVE_PID"
t_check "the agent scanned at least $((secs * 3)) times ($((scans1 - scans0)))" \
	test "$((scans1 - scans0))" -ge $((secs * 3))
t_check "every /report read was right ($bad_reports bad of $reports)" test "$bad_reports" = 0
t_check "every agent scan succeeded" test "$failed_scans" = 0
t_check "the agent's fds are flat ($fds0 -> $fds1)" test "$fds1" -le "$fds0"
# The first 10 s fill the agent's working set (the churn's namespaces and cgroups at their
# peak); from then on it must not grow.  Within a rescan RSS swings by 2-4 MiB (the zombie walk's
# map drains, the iterators' buffers), and one sample lands anywhere in that swing: a leak shows
# as a floor that rises, so the floor (lowest RSS, sampled after every one-shot scan) of the last stretch is
# compared with that of the first stretch after warming up, each a third of the rest of the run.
# Under AddressSanitizer freed memory waits in its quarantine (256 MB): RSS says nothing there.
floor() { # floor FROM TO: the lowest RSS sampled in seconds [FROM, TO)
	local i m=""
	for ((i = $1; i < $2; i++)); do
		[[ -n ${rss_at[i]:-} ]] && { [[ -z $m ]] || ((rss_at[i] < m)); } && m=${rss_at[i]}
	done
	echo "${m:-0}"
}
w=$(((secs - 10) / 3))
rss_warm=$(floor 10 $((10 + w))) rss_late=$(floor $((secs - w)) $((secs + 1)))
if ldd "$RESIDUE" 2>/dev/null | grep -q libasan; then
	t_log "built with AddressSanitizer: RSS not judged"
else
	t_check "the agent's RSS is flat once warm (floor $rss_warm KiB in s 10-$((10 + w)) -> $rss_late KiB in the last $w s, at most +1 MiB)" \
		test "$rss_warm" -gt 0 -a "$rss_late" -le $((rss_warm + 1024))
fi
kill -TERM "$SERVE_PID"
t_done
