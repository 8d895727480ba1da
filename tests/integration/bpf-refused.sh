#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A kernel that refuses BPF, three ways, through residue-nobpf (repro/nobpf.c, a seccomp filter):
# `iter` (BPF_LINK_CREATE and BPF_ITER_CREATE fail with EPERM, as under an LSM or lockdown),
# `load` (BPF_PROG_LOAD fails with EACCES, a verifier or lockdown that says no) and `all` (every
# bpf() fails with ENOSYS: no CONFIG_BPF_SYSCALL).  With an orphaned tmpfs held by an fd, a
# process-less namespace, the look-alikes of repro_controls and a zombie memory cgroup in place,
# each mode runs `residue --json`, `orphans -J`, `mounts -J`, `zombies -J --cgroup` and `serve`,
# and asserts: exit 0; the orphan and the namespace with the holders and bytes of an unrestricted
# /proc-tier run (--no-bpf): the report is as complete as without BPF; no control reported;
# exactly one stderr line "residue: the kernel refused BPF (ERRNO: ...): <what it costs>" (none
# from `mounts`, which uses no BPF); a gap with call "bpf" and that errno; for zombies, a kernel
# view with used false and the error, and the count of the cgroup files; the agent's /metrics
# says residue_last_scan_success 1, its log has the same one line (adding "inode audits off": the
# agent's inode audit is refused too), SIGTERM stops it with exit 0.
# jq programs are single-quoted on purpose; case results are globals set by repro/lib.sh:
# shellcheck disable=SC2016,SC2153
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
command -v curl >/dev/null || t_skip "curl is not installed"
NOBPF=${RESIDUE_NOBPF:-$T_TOP/build/repro/residue-nobpf}
[[ -x $NOBPF ]] || t_skip "no residue-nobpf binary at $NOBPF (build it with make)"
"$NOBPF" all true
rc=$?
((rc == 77)) && t_skip "residue-nobpf cannot install a seccomp filter here"
((rc == 0)) || t_bail "residue-nobpf all true exited $rc"

t_repro repro_case_orphan_fd
O_DEV=$DEV O_PID=$HOLDER_PID
t_repro repro_case_ns_fd
N_ID=$NS_ID N_PID=$HOLDER_PID
t_repro repro_controls
t_repro_zombies_if_any 1 0

# What the /proc tier finds without any refusal: the reference for "complete as possible".
ORPHAN='[.orphans[] | select(.dev == $d) | {pinned_bytes, risk, state,
	holders: [.holders[] | {pid, how, fd, mode, path}] | sort}]'
NAMESPACE='[.namespaces[] | select(.ns_id == $n) | {pinned_bytes, mounts, holders}]'
REF=$REPRO_DIR/ref.json
"$RESIDUE" orphans -J --no-bpf >"$REF" 2>/dev/null || t_bail "residue orphans -J --no-bpf failed"
T_JSON=$REF
t_expect "reference (--no-bpf): orphan $O_DEV held by pid $O_PID" --arg d "$O_DEV" \
	--argjson p "$O_PID" '[.orphans[] | select(.dev == $d) | .holders[] | select(.pid == $p)] | length == 1'
t_expect "reference (--no-bpf): namespace $N_ID held by pid $N_PID" --argjson n "$N_ID" \
	--argjson p "$N_PID" '[.namespaces[] | select(.ns_id == $n) | .holders[] | select(.pid == $p)] | length == 1'
if ((HAVE_ZOMBIE)); then
	ZREF=$REPRO_DIR/zref.json
	"$RESIDUE" zombies -J --no-bpf --cgroup "$Z_PARENT" >"$ZREF" 2>/dev/null ||
		t_bail "residue zombies -J --no-bpf failed"
fi

OUT=$REPRO_DIR/out.json
ERR=$REPRO_DIR/out.err
LOG=$REPRO_DIR/serve.log

# run MODE ARGS...: residue ARGS under residue-nobpf MODE into OUT and ERR; sets rc.
run() {
	local mode=$1
	shift
	"$NOBPF" "$mode" "$RESIDUE" "$@" >"$OUT" 2>"$ERR"
	rc=$?
	T_JSON=$OUT
}

# one_line WHAT FILE COSTS...: FILE has exactly one line, the refusal with $errno, naming COSTS.
one_line() {
	local what=$1 file=$2 line c ok=true
	shift 2
	line=$(grep -c . "$file")
	t_check "$what: exactly one stderr line (got $line: $(head -c 600 "$file"))" test "$line" = 1
	line=$(grep -m1 "the kernel refused BPF" "$file")
	[[ $line == *"residue: the kernel refused BPF ($errno: $msg): "* ]] || ok=false
	for c; do [[ $line == *"$c"* ]] || ok=false; done
	t_check "$what: it says the kernel refused BPF ($errno) and what it costs: $line" $ok
}

# same_findings WHAT: the orphan, the namespace and the controls as in the reference run.
same_findings() {
	t_expect "$1: orphan $O_DEV with the holders and bytes of the /proc tier" --arg d "$O_DEV" \
		--slurpfile r "$REF" "($ORPHAN) == (\$r[0] | $ORPHAN) and ($ORPHAN | length) == 1"
	t_expect "$1: namespace $N_ID with the holders and bytes of the /proc tier" --argjson n "$N_ID" \
		--slurpfile r "$REF" "($NAMESPACE) == (\$r[0] | $NAMESPACE) and ($NAMESPACE | length) == 1"
	t_assert_controls
}

REFS_COST="references are read through /proc, slower but the same findings"
ZOMBIES_COST="zombie memory cgroups are counted from cgroupfs, not named, no files that pin them"
INODES_COST="inode audits off"

for mode in iter load all; do
	case $mode in
	iter) errno=EPERM n=1 ;;
	load) errno=EACCES n=13 ;;
	all) errno=ENOSYS n=38 ;;
	esac
	msg=$(python3 -c "import os; print(os.strerror($n))" 2>/dev/null || echo "")
	[[ -n $msg ]] || msg=$(perl -e "\$! = $n; print \"\$!\"")
	refusal='[.[] | select(.call == "bpf" and .errno == $e)] | length == 1'
	t_log "---- $mode: $errno ($msg) ----"

	run "$mode" orphans -J
	t_check "$mode: orphans -J exits 0 (got $rc)" test "$rc" = 0
	one_line "$mode: orphans -J" "$ERR" "$REFS_COST"
	t_expect "$mode: orphans -J: a gap names the refusal ($errno)" --arg e "$errno" ".gaps | $refusal"
	same_findings "$mode: orphans -J"

	run "$mode" --json
	t_check "$mode: --json exits 0 (got $rc)" test "$rc" = 0
	if ((HAVE_ZOMBIE)); then
		one_line "$mode: --json" "$ERR" "$REFS_COST; $ZOMBIES_COST"
		t_expect "$mode: --json: the zombies' gap names the refusal ($errno)" --arg e "$errno" \
			".zombies.gaps | $refusal"
	else
		one_line "$mode: --json" "$ERR" "$REFS_COST"
	fi
	t_expect "$mode: --json: a gap names the refusal ($errno)" --arg e "$errno" ".gaps | $refusal"
	t_expect "$mode: --json: no privilege gap for it" \
		'[.gaps[] | select(.call == "bpf" and (.what | startswith("privilege")))] == []'
	same_findings "$mode: --json"

	run "$mode" mounts -J
	t_check "$mode: mounts -J exits 0 (got $rc)" test "$rc" = 0
	t_check "$mode: mounts -J uses no BPF and says nothing ($(head -c 300 "$ERR"))" test ! -s "$ERR"
	t_expect "$mode: mounts -J: no BPF gap" '[.gaps[] | select(.call == "bpf")] == []'
	t_expect "$mode: mounts -J: the census has namespace $N_ID" --argjson n "$N_ID" \
		'[.namespaces[] | select(.ns_id == $n)] | length == 1'

	if ((HAVE_ZOMBIE)); then
		run "$mode" zombies -J --cgroup "$Z_PARENT"
		t_check "$mode: zombies -J exits 0 (got $rc)" test "$rc" = 0
		one_line "$mode: zombies -J" "$ERR" "$ZOMBIES_COST"
		t_expect "$mode: zombies -J: no kernel view, with the error" --arg m "$msg" \
			'.kernel_view.used == false and .kernel_view.error == $m'
		t_expect "$mode: zombies -J: a gap names the refusal ($errno)" --arg e "$errno" ".gaps | $refusal"
		t_expect "$mode: zombies -J: the count of the cgroup files (as --no-bpf)" \
			--slurpfile r "$ZREF" '.count == $r[0].count and .count.source != "bpf"'
	fi

	# ---- the agent ----
	"$NOBPF" "$mode" "$RESIDUE" serve --listen 127.0.0.1:0 --interval 3600 2>"$LOG" >/dev/null &
	SERVE_PID=$!
	REPRO_PIDS+=" $SERVE_PID@$(repro_starttime "$SERVE_PID")"
	PORT="" i=0
	until PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$LOG") && [[ -n $PORT ]]; do
		kill -0 "$SERVE_PID" 2>/dev/null || t_bail "$mode: residue serve exited: $(head -c 2000 "$LOG")"
		((i++ > 500)) && t_bail "$mode: residue serve did not listen within 10 s"
		sleep 0.02
	done
	i=0
	until grep -q "first scan in" "$LOG"; do
		((i++ > 300)) && t_bail "$mode: residue serve made no first scan within 30 s"
		sleep 0.1
	done
	curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$REPRO_DIR/metrics"
	curl -s --max-time 10 "http://127.0.0.1:$PORT/report" >"$OUT"
	t_check "$mode: serve: residue_last_scan_success 1" grep -qx "residue_last_scan_success 1" "$REPRO_DIR/metrics"
	t_check "$mode: serve: the build info says the proc tier" \
		grep -q '^residue_build_info{.*tier="proc"} 1$' "$REPRO_DIR/metrics"
	if command -v promtool >/dev/null; then
		t_check "$mode: serve: promtool check metrics is clean" promtool check metrics <"$REPRO_DIR/metrics"
	fi
	T_JSON=$OUT
	t_expect "$mode: serve /report: a gap names the refusal ($errno)" --arg e "$errno" ".gaps | $refusal"
	same_findings "$mode: serve /report"
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	rc=$?
	t_check "$mode: serve: SIGTERM, exit 0 (got $rc)" test "$rc" = 0
	grep -v -e '^<6>' -e ' appeared: ' "$LOG" >"$REPRO_DIR/serve.warn"
	# iter leaves the zombie tracepoints alone (they attach without BPF_LINK_CREATE here); load
	# and all refuse them too, and the same line says so.  The inode audit (due at the start)
	# is refused in every mode: the same line says so, and no second one.
	if [[ $mode == iter ]]; then
		one_line "$mode: serve log" "$REPRO_DIR/serve.warn" "$REFS_COST; $ZOMBIES_COST; $INODES_COST"
	else
		one_line "$mode: serve log" "$REPRO_DIR/serve.warn" "$REFS_COST; $ZOMBIES_COST; zombies" "$INODES_COST"
	fi
	t_check "$mode: serve log: the line is a warning (<4>)" grep -q '^<4>residue: the kernel refused BPF' "$LOG"
done
t_done
