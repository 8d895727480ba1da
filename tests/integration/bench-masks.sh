#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `residue bench masks` on the live kernel, small: K=4 containers x N=3 masks, 2 workers, every
# style.  Exit 0; the JSON's keys; exactly K*N (tmpfs-per-mask), K (shared-tmpfs) and 0
# (shared-dir) new tmpfs superblocks and K*N mask mounts (the benchmark itself cross-checks stat(2)
# against each container's mountinfo and fails when they disagree); every latency a number with
# p50 <= p95 <= max.  One style alone, the default N (CPUs + 5), the table, bad options.  Then runs
# stopped by SIGINT (as Ctrl-C sends it: to residue and its children), by SIGTERM, and by SIGKILL
# (children must follow through PR_SET_PDEATHSIG).  After every run nothing may be left: no mount
# below the benchmark's TMPDIR in any process's mount table, no directory, no residue-bench process.
# jq programs are single-quoted on purpose:
# shellcheck disable=SC2016
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
command -v ps >/dev/null || t_skip "ps is not installed"

tmp=$REPRO_DIR/tmp
mkdir -p "$tmp"
out=$REPRO_DIR/bench.out
err=$REPRO_DIR/bench.err
cpus=$(getconf _NPROCESSORS_CONF)

# Live (not zombie) processes named by the benchmark's children (PR_SET_NAME), anywhere.
bench_procs() { ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 == "residue-bench"' | wc -l; }
# Processes (of any namespace) that see a mount below $tmp: a container namespace still alive.
procs_seeing_tmp() {
	local f n=0
	for f in /proc/[0-9]*/mountinfo; do
		grep -qF " $tmp/" "$f" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

# Nothing of a finished run left; WHY names the run.
assert_clean() {
	local why=$1 n=0
	# A SIGKILLed benchmark's children die with it, but exiting 2000 namespaces takes a moment.
	while (($(bench_procs) > 0)) && ((n++ < 300)); do sleep 0.1; done
	t_check "$why: no residue-bench process is left" test "$(bench_procs)" -eq 0
	t_check "$why: no process sees a mount below $tmp" test "$(procs_seeing_tmp)" -eq 0
	t_check "$why: nothing is mounted below /tmp in this namespace" \
		test "$(awk '$2 ~ "^/tmp/"' /proc/self/mounts | wc -l)" -eq "$tmp_mounts_before"
	t_check "$why: no directory is left in TMPDIR" test -z "$(ls -A "$tmp")"
}
tmp_mounts_before=$(awk '$2 ~ "^/tmp/"' /proc/self/mounts | wc -l)

# run_bench ARGS...: residue bench masks ARGS with TMPDIR=$tmp; stdout in $out, status in $rc.
run_bench() {
	TMPDIR=$tmp "$RESIDUE" bench masks "$@" >"$out" 2>"$err"
	rc=$?
}

# ---- the full run, JSON ----
run_bench -K 4 -N 3 -P 2 -J
((rc == 0)) || t_bail "residue bench masks -K 4 -N 3 -P 2 -J exited $rc: $(head -c 2000 "$err")"
cp "$out" "$T_JSON"
jq -c '.styles[] | {style, superblocks, setup_p50: .setup_ms.p50, stop_p50: .teardown_ms.p50}' "$T_JSON" | while read -r l; do t_log "$l"; done
t_expect "kernel is uname -r" --arg k "$(uname -r)" '.kernel == $k'
t_expect "cpus is $cpus" --argjson c "$cpus" '.cpus == $c'
t_expect "containers, masks, workers are 4, 3, 2" '[.containers, .masks, .workers] == [4, 3, 2]'
t_expect "three styles in order" \
	'[.styles[].style] == ["tmpfs-per-mask", "shared-tmpfs", "shared-dir"]'
t_expect "every style has exactly the documented keys" \
	'all(.styles[]; keys == ["mask_mounts", "mask_ms", "setup_ms", "style", "superblocks", "teardown_ms", "total_ms"])'
t_expect "tmpfs-per-mask: K*N = 12 new tmpfs superblocks" \
	'.styles[] | select(.style == "tmpfs-per-mask") | .superblocks == 12'
t_expect "shared-tmpfs: K = 4 new tmpfs superblocks" \
	'.styles[] | select(.style == "shared-tmpfs") | .superblocks == 4'
t_expect "shared-dir: no new tmpfs superblock" \
	'.styles[] | select(.style == "shared-dir") | .superblocks == 0'
t_expect "every style: K*N = 12 mask mounts" 'all(.styles[]; .mask_mounts == 12)'
for k in setup_ms mask_ms teardown_ms; do
	t_expect "every style: $k has numbers p50, p95, max" --arg k "$k" \
		'all(.styles[]; .[$k] | keys == ["max", "p50", "p95"] and all(.[]; type == "number"))'
	t_expect "every style: $k is 0 <= p50 <= p95 <= max" --arg k "$k" \
		'all(.styles[]; .[$k] | 0 <= .p50 and .p50 <= .p95 and .p95 <= .max)'
done
t_expect "every style: the masks alone take no longer than the whole set-up" \
	'all(.styles[]; .mask_ms.max <= .setup_ms.max)'
t_expect "every style: total_ms is a positive number" \
	'all(.styles[]; (.total_ms | type) == "number" and .total_ms > 0)'
assert_clean "JSON run"

# ---- one style; the default N ----
run_bench --style shared-tmpfs -K 3 -N 5 -P 1 -J
cp "$out" "$T_JSON"
t_check "--style shared-tmpfs exited 0" test "$rc" -eq 0
t_expect "--style shared-tmpfs: that style only, 3 superblocks, 15 mask mounts" \
	'[.styles[] | [.style, .superblocks, .mask_mounts]] == [["shared-tmpfs", 3, 15]]'
run_bench --style tmpfs-per-mask -K 2 -J
cp "$out" "$T_JSON"
t_check "default N exited 0" test "$rc" -eq 0
t_expect "default N is CPUs + 5 = $((cpus + 5)), and K*N superblocks" --argjson n "$((cpus + 5))" \
	'.masks == $n and .styles[0].superblocks == 2 * $n'
assert_clean "single-style runs"

# ---- the table ----
run_bench -K 2 -N 2
t_check "the table run exited 0" test "$rc" -eq 0
t_check "the table has a header and one row per style" \
	grep -qE '^STYLE +SUPERBLOCKS +SETUP-P50' "$out"
for s in "tmpfs-per-mask +4 " "shared-tmpfs +2 " "shared-dir +0 "; do
	t_check "the table row '$s'" grep -qE "^$s" "$out"
done
run_bench -K 2 -N 2 -r -n
t_check "-r -n: three raw rows and nothing else" test "$(wc -l <"$out")" -eq 3

# ---- bad options ----
for bad in "-K 0" "-N 0" "-P x" "--style bogus" "extra"; do
	# shellcheck disable=SC2086 # the options are split on purpose
	run_bench $bad
	t_check "'$bad' exits 2" test "$rc" -eq 2
done
assert_clean "table and option runs"

# ---- interrupted runs ----
# interrupt SIGNAL [children]: a long run, stopped once containers exist; sets rc.
interrupt() {
	local sig=$1 pid n=0 kids
	TMPDIR=$tmp "$RESIDUE" bench masks -K 2000 -N 20 -P 2 >"$out" 2>"$err" &
	pid=$!
	REPRO_PIDS+=" $pid@$(repro_starttime "$pid")"
	while [[ -z $(ps -o pid= --ppid "$pid") ]] && ((n++ < 200)); do sleep 0.05; done
	kids=$(ps -o pid= --ppid "$pid")
	[[ -n $kids ]] || t_log "no container appeared within 10 s"
	sleep 0.2
	if [[ ${2:-} == children ]]; then
		# Ctrl-C: the terminal signals the whole foreground process group.
		# shellcheck disable=SC2046 # one pid per word
		kill -"$sig" "$pid" $(ps -o pid= --ppid "$pid") 2>/dev/null
	else
		kill -"$sig" "$pid"
	fi
	wait "$pid"
	rc=$?
}

interrupt INT children
t_check "SIGINT to residue and its children: it dies of SIGINT (status 130, was $rc)" \
	test "$rc" -eq 130
t_check "SIGINT: it said it cleaned up" grep -q "interrupted, cleaned up" "$err"
assert_clean "SIGINT"

interrupt TERM
t_check "SIGTERM: it dies of SIGTERM (status 143, was $rc)" test "$rc" -eq 143
assert_clean "SIGTERM"

interrupt KILL
t_check "SIGKILL: status 137 (was $rc)" test "$rc" -eq 137
# Nothing can remove directories after SIGKILL; only they may remain, empty.
t_check "SIGKILL: only empty directories remain" \
	test -z "$(find "$tmp" -mindepth 1 ! -type d)"
find "$tmp" -mindepth 1 -depth -type d -empty -delete
assert_clean "SIGKILL (children killed by PR_SET_PDEATHSIG)"

t_done
