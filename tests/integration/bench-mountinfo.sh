#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `residue bench mountinfo` on the live kernel, small: M=200 mounts, 2 readers, 1 churn worker,
# 1 s per method, every method.  Exit 0 within its time bound; the JSON's keys; the namespace
# holds exactly this namespace's mounts + 1 + M; every available method read > 0 times, never saw
# fewer mounts than exist, the listmount methods never more than exist + W (listmount(2) pages
# under one lock; mountinfo may see a churn mount twice across read() calls); latencies numbers
# with p50 <= p95 <= max; the churn ran.  No churn with -W 0.  listmount/statmount forced to ENOSYS
# through a seccomp filter: those methods are reported unavailable, mountinfo still measured.
# The table, bad options, and a run stopped by SIGINT.  After every run nothing may be left: no
# mount below the benchmark's TMPDIR in any process's mount table, no directory, no process.
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

bench_procs() { ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 == "residue-bench"' | wc -l; }
procs_seeing_tmp() {
	local f n=0
	for f in /proc/[0-9]*/mountinfo; do
		grep -qF " $tmp/" "$f" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
assert_clean() {
	local why=$1
	t_check "$why: no residue-bench process is left" test "$(bench_procs)" -eq 0
	t_check "$why: no process sees a mount below $tmp" test "$(procs_seeing_tmp)" -eq 0
	t_check "$why: nothing more is mounted below /tmp in this namespace" \
		test "$(awk '$2 ~ "^/tmp/"' /proc/self/mounts | wc -l)" -eq "$tmp_mounts_before"
	t_check "$why: no directory is left in TMPDIR" test -z "$(ls -A "$tmp")"
}
tmp_mounts_before=$(awk '$2 ~ "^/tmp/"' /proc/self/mounts | wc -l)

# run_bench [WRAPPER...] -- ARGS...: residue bench mountinfo ARGS; $rc, $secs (wall seconds).
run_bench() {
	local wrap=() start=$SECONDS
	while [[ $1 != -- ]]; do
		wrap+=("$1")
		shift
	done
	shift
	TMPDIR=$tmp "${wrap[@]}" "$RESIDUE" bench mountinfo "$@" >"$out" 2>"$err"
	rc=$?
	secs=$((SECONDS - start))
}

# The checks every JSON result passes; $1 = M, $2 = W.
check_json() {
	local m=$1 w=$2
	t_expect "kernel, cpus" --arg k "$(uname -r)" --argjson c "$cpus" '.kernel == $k and .cpus == $c'
	t_expect "top-level keys" \
		'keys == ["cpus", "kernel", "methods", "mounts", "mounts_added", "readers", "seconds", "setup_ms", "teardown_ms", "workers"]'
	t_expect "mounts_added is $m, workers $w" --argjson m "$m" --argjson w "$w" \
		'.mounts_added == $m and .workers == $w'
	t_expect "setup_ms and teardown_ms are non-negative numbers" \
		'[.setup_ms, .teardown_ms] | all(type == "number" and . >= 0)'
	t_expect "every method has exactly the documented keys" \
		'all(.methods[]; keys == ["available", "churn_pairs", "churn_per_s", "elapsed_ms", "entries", "error", "method", "read_ms", "reads"])'
	t_expect "mountinfo is always available" \
		'[.methods[] | select(.method == "mountinfo") | .available] | all'
	t_expect "available methods: reads > 0, error null" \
		'all(.methods[] | select(.available); .reads > 0 and .error == null)'
	t_expect "available methods: read_ms numbers, 0 <= p50 <= p95 <= max" \
		'all(.methods[] | select(.available); .read_ms | keys == ["max", "p50", "p95"] and all(.[]; type == "number") and 0 <= .p50 and .p50 <= .p95 and .p95 <= .max)'
	t_expect "available methods: no read saw fewer than the namespace's mounts" \
		'.mounts as $n | all(.methods[] | select(.available); .entries.min >= $n and .entries.max >= .entries.min)'
	t_expect "listmount methods: no read saw more than mounts + W" --argjson w "$w" \
		'.mounts as $n | all(.methods[] | select(.available and .method != "mountinfo"); .entries.max <= $n + $w)'
	t_expect "unavailable methods: an error, no reads, read_ms null" \
		'all(.methods[] | select(.available | not); (.error | type) == "string" and .reads == 0 and .read_ms == null)'
	t_expect "available methods ran about their time" \
		'.seconds as $s | all(.methods[] | select(.available); .elapsed_ms >= $s * 1000 and .elapsed_ms < $s * 1000 + 5000)'
}

# ---- every method, with churn ----
host_mounts=$(wc -l </proc/self/mountinfo)
run_bench -- -M 200 -R 2 -W 1 -t 1 -m all -J
((rc == 0)) || t_bail "residue bench mountinfo -M 200 -t 1 -m all -J exited $rc: $(head -c 2000 "$err")"
cp "$out" "$T_JSON"
jq -c '.methods[] | {method, reads, p50: .read_ms.p50, churn_per_s}' "$T_JSON" | while read -r l; do t_log "$l"; done
t_check "it took at most 3 x 1 s + 30 s (took ${secs}s)" test "$secs" -le 33
check_json 200 1
t_expect "three methods in order" '[.methods[].method] == ["mountinfo", "listmount+statmount", "listmount"]'
t_expect "readers 2, seconds 1" '.readers == 2 and .seconds == 1'
if [[ $(wc -l </proc/self/mountinfo) == "$host_mounts" ]]; then
	t_expect "the namespace has this one's $host_mounts mounts + 1 + 200" --argjson h "$host_mounts" \
		'.mounts == $h + 201'
else
	t_log "this namespace's mount count changed during the run; not comparing .mounts"
fi
t_expect "the churn ran during every available method" \
	'all(.methods[] | select(.available); .churn_pairs > 0 and .churn_per_s > 0)'
assert_clean "full run"

# ---- default methods, no churn ----
run_bench -- -M 50 -W 0 -t 0.3 -J
cp "$out" "$T_JSON"
t_check "-W 0 exited 0" test "$rc" -eq 0
check_json 50 0
t_expect "the default methods are mountinfo and listmount+statmount" \
	'[.methods[].method] == ["mountinfo", "listmount+statmount"]'
t_expect "-W 0: no churn" 'all(.methods[]; .churn_pairs == 0 and .churn_per_s == 0)'
assert_clean "-W 0 run"

# ---- listmount/statmount forced to ENOSYS (x86-64 seccomp filter, through python3) ----
# shellcheck disable=SC2016
enosys_py='
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def ins(code, k, jt=0, jf=0): return struct.pack("HBBI", code, jt, jf, k)
prog = b"".join([ins(0x20, 4), ins(0x15, 0xc000003e, 1, 0), ins(0x06, 0x7fff0000),
    ins(0x20, 0), ins(0x15, 457, 2, 0), ins(0x15, 458, 1, 0), ins(0x06, 0x7fff0000),
    ins(0x06, 0x00050000 | 38)])
class Prog(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]
p = Prog(len(prog) // 8, prog)
if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(p), 0, 0):
    sys.exit(77)
os.execv(sys.argv[1], sys.argv[1:])
'
if [[ $(uname -m) == x86_64 ]] && command -v python3 >/dev/null; then
	run_bench python3 -c "$enosys_py" -- -M 50 -t 0.3 -m all -J
	if ((rc == 77)); then
		t_log "could not install a seccomp filter; not testing the ENOSYS path"
	else
		cp "$out" "$T_JSON"
		t_check "ENOSYS: exited 0" test "$rc" -eq 0
		check_json 50 1
		t_expect "ENOSYS: mountinfo measured, both listmount methods unavailable with ENOSYS" \
			--arg e "$(python3 -c 'import os; print(os.strerror(38))')" \
			'[.methods[] | [.method, .available, .error]] == [["mountinfo", true, null], ["listmount+statmount", false, $e], ["listmount", false, $e]]'
		run_bench python3 -c "$enosys_py" -- -M 20 -t 0.2 -m all
		t_check "ENOSYS table: exited 0" test "$rc" -eq 0
		t_check "ENOSYS table: says listmount is unavailable" \
			grep -q "^listmount: unavailable on this kernel" "$out"
		t_check "ENOSYS table: one row, mountinfo" \
			test "$(grep -cE '^(mountinfo|listmount)[+a-z]* +[0-9]+ ' "$out")" -eq 1
	fi
else
	t_log "not x86-64 or no python3: not testing the ENOSYS path"
fi
assert_clean "ENOSYS runs"

# ---- the table; bad options ----
run_bench -- -M 20 -t 0.2
t_check "the table run exited 0" test "$rc" -eq 0
t_check "the table has its header" grep -qE '^METHOD +READS +P50 +P95 +MAX +MOUNTS +CHURN/S' "$out"
t_check "the table has a mountinfo row" grep -qE '^mountinfo +[0-9]+ ' "$out"
for bad in "-R 0" "-t 0" "-t x" "-M -1" "-m bogus" "-m ," "extra"; do
	# shellcheck disable=SC2086 # the options are split on purpose
	run_bench -- $bad
	t_check "'$bad' exits 2" test "$rc" -eq 2
done
assert_clean "table and option runs"

# ---- interrupted ----
TMPDIR=$tmp "$RESIDUE" bench mountinfo -M 2000 -t 5 >"$out" 2>"$err" &
pid=$!
REPRO_PIDS+=" $pid@$(repro_starttime "$pid")"
sleep 1.5
kill -INT "$pid"
wait "$pid"
rc=$?
t_check "SIGINT: it dies of SIGINT (status 130, was $rc)" test "$rc" -eq 130
t_check "SIGINT: it said it cleaned up" grep -q "interrupted, cleaned up" "$err"
assert_clean "SIGINT"

t_done
