# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers of the root integration tests.  A test builds its leak and the look-alikes with
# repro/lib.sh (each checked there against the kernel's own view first), runs the real residue,
# and asserts with jq exactly the finding it made and no finding about any look-alike.  Teardown
# runs from a trap on EXIT, INT and TERM, so it happens on success, failure and meson's timeout.
# Exit codes follow meson: 0 pass, 1 fail, 77 skip (with the reason printed).
# shellcheck shell=bash
# jq programs are single-quoted on purpose; case results are globals set by repro/lib.sh:
# shellcheck disable=SC2016,SC2153

T_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_TOP=$(cd "$T_HERE/../.." && pwd)
# shellcheck source=repro/lib.sh
. "$T_TOP/repro/lib.sh"

T_FAILS=0
T_JSON=""

t_log() { echo "# $*"; }
t_skip() {
	echo "SKIP: $*"
	exit 77
}
t_bail() {
	echo "FAIL: $*"
	exit 1
}

t_trap() {
	local rc=$? why=$1
	trap - EXIT INT TERM
	case $why in
	INT) rc=130 ;;
	TERM) rc=143 ;;
	esac
	if ! repro_teardown; then
		echo "FAIL: teardown left something behind"
		((rc == 0)) && rc=1
	fi
	exit "$rc"
}

t_init() {
	local rc
	[[ $(id -u) == 0 ]] || t_skip "needs root"
	command -v jq >/dev/null || t_skip "jq is not installed"
	RESIDUE=${RESIDUE:-$T_TOP/build/residue}
	[[ -x $RESIDUE ]] || t_skip "no residue binary at $RESIDUE (build it with make)"
	export RESIDUE_HOLD=${RESIDUE_HOLD:-$T_TOP/build/repro/residue-hold}
	trap 't_trap EXIT' EXIT
	trap 't_trap INT' INT
	trap 't_trap TERM' TERM
	repro_init
	rc=$?
	((rc == 77)) && t_skip "cannot build reproducers here (see above)"
	((rc == 0)) || t_bail "repro_init failed"
	T_JSON=$REPRO_DIR/residue.json
}

# Build one repro_* world; its own kernel-side checks failing is a test failure, 77 a skip.
t_repro() {
	local rc k before=$REPRO_KEYS line=""
	"$@"
	rc=$?
	((rc == 77)) && t_skip "$1: this kernel or host lacks what it needs (see above)"
	((rc == 0)) || t_bail "$1 did not build the expected kernel state (log: $(tail -n 5 "$REPRO_DIR/log"))"
	for k in ${REPRO_KEYS#"$before"}; do line+=" $k=$(printf %q "${!k}")"; done
	t_log "$1:$line"
}

# repro_case_zombies K J where a host may lack a memory cgroup controller: sets HAVE_ZOMBIE to 1
# when the zombies were made, 0 (and says so) when the controller is missing; else a failure.
t_repro_zombies_if_any() {
	local rc
	repro_case_zombies "$@"
	rc=$?
	((rc == 0 || rc == 77)) || t_bail "repro_case_zombies did not build the expected kernel state"
	HAVE_ZOMBIE=$((rc == 0))
	((HAVE_ZOMBIE)) || t_log "no memory cgroup controller here: zombie checks skipped"
}

# Run `residue orphans -J [ARGS]` into T_JSON; anything but exit 0 and an "orphans" array is a failure.
# RESIDUE_SCAN_ARGS (e.g. --no-bpf, from meson) picks the tier every test runs on.
t_residue() {
	local rc
	# shellcheck disable=SC2086 # a list of options
	"$RESIDUE" orphans -J ${RESIDUE_SCAN_ARGS:-} "$@" >"$T_JSON" 2>"$REPRO_DIR/residue.err"
	rc=$?
	((rc == 0)) || t_bail "residue orphans -J exited $rc: $(head -c 2000 "$REPRO_DIR/residue.err")"
	jq -e '(.orphans | type) == "array"' "$T_JSON" >/dev/null ||
		t_bail "residue orphans -J printed no \"orphans\" array: $(head -c 2000 "$T_JSON")"
}

# t_expect DESCRIPTION [jq options...] FILTER: the filter must yield true on T_JSON.
t_expect() {
	local desc=$1
	shift
	if [[ $(jq "$@" "$T_JSON" 2>&1) == true ]]; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		T_FAILS=$((T_FAILS + 1))
	fi
}

# t_check DESCRIPTION COMMAND...: a plain shell assertion, counted like t_expect.
t_check() {
	local desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		T_FAILS=$((T_FAILS + 1))
	fi
}

t_abs_le='def absle($x; $tol): (if $x < 0 then -$x else $x end) <= $tol;'

# The orphan described by DEV FSTYPE STATE RISK HOLDER_PID HOW FD MODE HPATH [BYTES NFILES].
t_assert_orphan() {
	local o='.orphans[] | select(.dev == $dev)'
	local h='.holders[]? | select(.pid == $pid and .how == $how)'
	local a=(--arg dev "$DEV" --argjson pid "$HOLDER_PID" --arg how "$HOW")
	t_expect "exactly one orphan has dev $DEV" "${a[@]}" "[$o] | length == 1"
	t_expect "orphan $DEV: fstype $FSTYPE" "${a[@]}" --arg v "$FSTYPE" "[$o | .fstype == \$v] == [true]"
	t_expect "orphan $DEV: state $STATE" "${a[@]}" --arg v "$STATE" "[$o | .state == \$v] == [true]"
	t_expect "orphan $DEV: risk $RISK" "${a[@]}" --arg v "$RISK" "[$o | .risk == \$v] == [true]"
	t_expect "orphan $DEV: held by pid $HOLDER_PID how $HOW" "${a[@]}" "[$o | $h] | length >= 1"
	t_expect "orphan $DEV: that holder's comm is residue-hold" "${a[@]}" \
		"[$o | $h | .comm] | length >= 1 and all(. == \"residue-hold\")"
	t_expect "orphan $DEV: that holder's fd is $FD" "${a[@]}" --argjson v "$FD" \
		"[$o | $h | .fd == \$v] | length >= 1 and all"
	if [[ -n $MODE ]]; then
		t_expect "orphan $DEV: that holder's mode is $MODE" "${a[@]}" --arg v "$MODE" \
			"[$o | $h | .mode == \$v] | length >= 1 and all"
	fi
	if [[ -n $HPATH ]]; then
		t_expect "orphan $DEV: that holder's path is $HPATH" "${a[@]}" --arg v "$HPATH" \
			"[$o | $h | .path == \$v] | length >= 1 and all"
	fi
	if [[ -n ${BYTES:-} ]]; then
		local tol=$((NFILES * REPRO_PAGE))
		t_expect "orphan $DEV: pinned_bytes is $BYTES +- $tol" "${a[@]}" --argjson want "$BYTES" \
			--argjson tol "$tol" "$t_abs_le [$o | absle(.pinned_bytes - \$want; \$tol)] == [true]"
	else
		t_expect "orphan $DEV: pinned_bytes is a number" "${a[@]}" \
			"[$o | .pinned_bytes | type] == [\"number\"]"
	fi
}

# Did the scan in T_JSON go without the BPF superblock walk (--no-bpf, or a kernel where the BPF
# tier does not run, such as 6.1)?  Its gap says so.
t_no_sb_walk() {
	[[ $(jq '[.gaps[] | select(.call == "walk_sbs" and (.what | test("needs the BPF tier")))] | length' "$T_JSON") != 0 ]]
}

# The orphan no process holds, described by DEV FSTYPE STATE RISK HOW BYTES NFILES [LOOP HPATH
# HINT_HAS]: found by the BPF superblock walk, one holder how HOW ("kernel": unnamed; "loop": the
# loop device LOOP bound to HPATH), no process named; its hint contains HINT_HAS.  On the /proc
# tier (RESIDUE_SCAN_ARGS=--no-bpf) it cannot be seen: no entry for DEV, and the gap says why.
t_assert_kernel_orphan() {
	local o='.orphans[] | select(.dev == $dev)'
	local a=(--arg dev "$DEV")
	local tol=$((NFILES * REPRO_PAGE))
	if t_no_sb_walk; then
		t_expect "/proc tier: a gap says what it cannot see" \
			'[.gaps[] | select(.call == "walk_sbs" and (.what | test("needs the BPF tier")))] | length == 1'
		if [[ $HOW != loop ]]; then
			t_expect "/proc tier: no orphan has dev $DEV (no process holds it)" "${a[@]}" "[$o] | length == 0"
			return
		fi
		# A loop device names it without the walk: type and bytes cannot be asked.
		t_expect "/proc tier: exactly one orphan has dev $DEV" "${a[@]}" "[$o] | length == 1"
		t_expect "/proc tier: orphan $DEV: fstype unknown, state $STATE, risk none, bytes null" \
			"${a[@]}" --arg st "$STATE" \
			"[$o | [.fstype, .state, .risk, .pinned_bytes]] == [[\"unknown\", \$st, \"none\", null]]"
		t_expect "/proc tier: orphan $DEV: one holder, how loop $LOOP, no process" "${a[@]}" \
			--arg loop "$LOOP" \
			"[$o | .holders[] | [.how, .loop, .pid]] == [[\"loop\", \$loop, null]]"
		t_expect "/proc tier: orphan $DEV: the hint says $HINT_HAS" "${a[@]}" --arg h "$HINT_HAS" \
			"[$o | .hint | contains(\$h)] == [true]"
		return
	fi
	t_expect "exactly one orphan has dev $DEV" "${a[@]}" "[$o] | length == 1"
	t_expect "orphan $DEV: fstype $FSTYPE" "${a[@]}" --arg v "$FSTYPE" "[$o | .fstype == \$v] == [true]"
	t_expect "orphan $DEV: state $STATE" "${a[@]}" --arg v "$STATE" "[$o | .state == \$v] == [true]"
	t_expect "orphan $DEV: risk $RISK" "${a[@]}" --arg v "$RISK" "[$o | .risk == \$v] == [true]"
	t_expect "orphan $DEV: one holder, how $HOW${LOOP:+ $LOOP}, no process" "${a[@]}" --arg v "$HOW" \
		--arg loop "${LOOP:-}" --arg path "${HPATH:-}" \
		"[$o | .holders] == [[{\"pid\": null, \"comm\": null, \"cgroup\": null, \"tid\": null, \"fd\": null, \"mode\": null, \"how\": \$v, \"loop\": (if \$loop == \"\" then null else \$loop end), \"path\": (if \$path == \"\" then null else \$path end), \"index\": null, \"via\": null}]]"
	t_expect "orphan $DEV: pinned_bytes is $BYTES +- $tol" "${a[@]}" --argjson want "$BYTES" \
		--argjson tol "$tol" "$t_abs_le [$o | absle(.pinned_bytes - \$want; \$tol)] == [true]"
	t_expect "orphan $DEV: the hint says ${HINT_HAS:-no process holds it}" "${a[@]}" \
		--arg h "${HINT_HAS:-no process holds it}" "[$o | .hint | contains(\$h)] == [true]"
}

# The process-less namespace described by NS_ID NS_INODE NS_MOUNTS NS_DEV BYTES NFILES HOW and
# HOLDER_PID FD (ns-fd) or KEEPER_NS_ID NSFILE (ns-bind).
t_assert_namespace() {
	local n='.namespaces[] | select(.ns_id == $id)'
	local a=(--argjson id "$NS_ID")
	local tol=$((NFILES * REPRO_PAGE))
	t_expect "the JSON has a \"namespaces\" array" '(.namespaces | type) == "array"'
	t_expect "exactly one namespace has ns_id $NS_ID" "${a[@]}" "[$n] | length == 1"
	t_expect "namespace $NS_ID: inode $NS_INODE" "${a[@]}" --argjson v "$NS_INODE" \
		"[$n | .inode == \$v] == [true]"
	t_expect "namespace $NS_ID: mounts $NS_MOUNTS" "${a[@]}" --argjson v "$NS_MOUNTS" \
		"[$n | .mounts == \$v] == [true]"
	t_expect "namespace $NS_ID: pinned_bytes is $BYTES +- $tol" "${a[@]}" --argjson want "$BYTES" \
		--argjson tol "$tol" "$t_abs_le [$n | absle(.pinned_bytes - \$want; \$tol)] == [true]"
	if [[ $HOW == ns-fd ]]; then
		t_expect "namespace $NS_ID: held by ns-fd pid $HOLDER_PID fd $FD" "${a[@]}" \
			--argjson pid "$HOLDER_PID" --argjson fd "$FD" \
			"[$n | .holders[]? | select(.how == \"ns-fd\" and .pid == \$pid and .fd == \$fd)] | length == 1"
	else
		t_expect "namespace $NS_ID: held by ns-bind in namespace $KEEPER_NS_ID at $NSFILE" \
			"${a[@]}" --argjson kid "$KEEPER_NS_ID" --arg path "$NSFILE" \
			"[$n | .holders[]? | select(.how == \"ns-bind\" and .ns_id == \$kid and .path == \$path)] | length == 1"
	fi
	# What it alone keeps: exactly its tmpfs, where it is mounted in it, measured from inside.
	local f="[$n | .filesystems[]?]"
	t_expect "namespace $NS_ID: keeps exactly one filesystem" "${a[@]}" \
		"[$n | .filesystems | type] == [\"array\"] and ($f | length) == 1"
	t_expect "namespace $NS_ID: keeps its tmpfs $NS_DEV mounted at $NS_DIR, not shared" "${a[@]}" \
		--arg dev "$NS_DEV" --arg dir "$NS_DIR" \
		"$f | map([.dev, .fstype, .mountpoint, .shared]) == [[\$dev, \"tmpfs\", \$dir, false]]"
	t_expect "namespace $NS_ID: its tmpfs pins $BYTES +- $tol" "${a[@]}" --argjson want "$BYTES" \
		--argjson tol "$tol" "$t_abs_le $f | map(absle(.pinned_bytes - \$want; \$tol)) == [true]"
	if [[ -n ${SHARED_DEV:-} ]]; then
		# Also mounted in a namespace with a process: not kept by this one, nor an orphan.
		t_expect "no namespace lists $SHARED_DEV, which a living namespace mounts too" \
			--arg d "$SHARED_DEV" '[.namespaces[].filesystems[]? | select(.dev == $d)] | length == 0'
		t_expect "no orphan has dev $SHARED_DEV" --arg d "$SHARED_DEV" \
			'[.orphans[] | select(.dev == $d)] | length == 0'
	fi
	# Its tmpfs is still mounted -- in that namespace -- so it is no orphan.
	t_expect "no orphan has dev $NS_DEV (mounted in the process-less namespace)" --arg d "$NS_DEV" \
		'[.orphans[] | select(.dev == $d)] | length == 0'
}

# PID is named as a holder in no orphan (for namespace cases) / no namespace (for orphan cases).
t_assert_no_orphan_holder() {
	t_expect "no orphan is held by pid $1" --argjson p "$1" \
		'[.orphans[].holders[]? | select(.pid == $p)] | length == 0'
}
t_assert_no_namespace_holder() {
	t_expect "no namespace is held by pid $1" --argjson p "$1" \
		'[(.namespaces // [])[].holders[]? | select(.pid == $p)] | length == 0'
}

# None of the look-alikes from repro_controls is reported, by dev, pid or namespace id.
t_assert_controls() {
	local x
	for x in $CTL_DEVS; do
		t_expect "no orphan has control dev $x" --arg d "$x" '[.orphans[] | select(.dev == $d)] | length == 0'
	done
	for x in $CTL_PIDS; do
		t_expect "no orphan or namespace names control pid $x" --argjson p "$x" \
			'[(.orphans[], (.namespaces // [])[]) | .holders[]? | select(.pid == $p)] | length == 0'
	done
	for x in $CTL_NS_IDS; do
		t_expect "no namespace entry for the live namespace $x" --argjson i "$x" \
			'[(.namespaces // [])[] | select(.ns_id == $i or .holders[]?.ns_id == $i)] | length == 0'
	done
}

# Finish: on failure show what residue said about the objects this test made.
# t_zombies ARGS...: residue zombies -J --cgroup Z_PARENT ARGS into T_JSON (a zombie repro's parent).
t_zombies() {
	local rc
	"$RESIDUE" zombies -J --cgroup "$Z_PARENT" "$@" >"$T_JSON" 2>"$REPRO_DIR/residue.err"
	rc=$?
	((rc == 0)) || t_bail "residue zombies -J $* exited $rc: $(head -c 2000 "$REPRO_DIR/residue.err")"
}

# t_walks_agree DESCRIPTION FILTER [ARGS...]: `residue zombies -J ARGS` finds the files on the
# zombies' LRU lists (kernel_view.method "lru"); with --inode-walk, by every inode.  FILTER (jq)
# must give the same from both.  Idle-page reclaim may take a page between two scans: up to 5
# pairs, each a fraction of a second apart.  Leaves the inode walk's output in T_JSON.
t_walks_agree() {
	local desc=$1 filter=$2 ok=1
	shift 2
	for _ in 1 2 3 4 5; do
		t_zombies "$@"
		# (--release output has no kernel_view: its caller checks the method on a scan)
		ok=$(jq -r 'if has("kernel_view") then .kernel_view.method else "lru" end' "$T_JSON")
		jq -c "$filter" "$T_JSON" >"$REPRO_DIR/walk-lru.json"
		t_zombies "$@" --inode-walk
		jq -c "$filter" "$T_JSON" >"$REPRO_DIR/walk-inodes.json"
		if [[ $ok == lru ]] && cmp -s "$REPRO_DIR/walk-lru.json" "$REPRO_DIR/walk-inodes.json"; then
			ok=0
			break
		fi
		sleep 0.5
	done
	t_check "$desc" test "$ok" = 0
	[[ $ok == 0 ]] || diff "$REPRO_DIR/walk-lru.json" "$REPRO_DIR/walk-inodes.json" | head -n 20
}

t_done() {
	if ((T_FAILS > 0)); then
		echo "FAIL: $T_FAILS assertion(s) failed"
		if [[ -s $T_JSON ]]; then
			echo "residue orphans -J said:"
			jq . "$T_JSON" 2>/dev/null | head -c 30000
			echo
		fi
		exit 1
	fi
	exit 0
}
