#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (k) A FUSE filesystem whose daemon never answers (repro_case_fuse_hung): orphaned and held by an
# O_PATH fd from outside, and, as the control, mounted in a live container and held too.  A statfs,
# lookup or uncached getattr on either waits until the test ends, so every verb must finish within
# 3 s with exit 0 without asking them anything it cannot bound:
# - `residue orphans -J` (both tiers): the orphan with its holder, pinned bytes unknown (null), a
#   gap naming fstatfs and ETIMEDOUT, the note that the filesystem did not answer; no finding on
#   the live FUSE;
# - `residue`, `residue --json`, `residue mounts -J`, `residue zombies -J`, `residue release DEV
#   --delete-unheld` (nothing to delete on a FUSE: says so and names the holder);
# - `residue watch -J` reports the orphan within 3 s; `residue serve` serves it within 3 s of start
#   and, scanned again by SIGHUP, does not wait for the filesystem a second time.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_fuse_hung

# t_timed NAME CMD...: run CMD with a 3 s bound, output in $REPRO_DIR/NAME.out; it must exit 0
# in time.
t_timed() {
	local name=$1 rc t0 ms
	shift
	t0=$(date +%s%N)
	timeout -s KILL 3 "$@" >"$REPRO_DIR/$name.out" 2>"$REPRO_DIR/$name.err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	t_check "$name: exits 0 within 3 s (exit $rc after $ms ms)" test "$rc" = 0
}

o='.orphans[] | select(.dev == $dev)'
a=(--arg dev "$DEV" --argjson pid "$HOLDER_PID" --arg live "$LIVE_DEV")
no_live='[.orphans[] | select(.dev == $live)] | length == 0'

t_timed orphans "$RESIDUE" -v orphans -J
cp "$REPRO_DIR/orphans.out" "$T_JSON"
t_expect "exactly one orphan has dev $DEV" "${a[@]}" "[$o] | length == 1"
# The type comes from the kernel view's s_magic; the /proc tier can only ask statfs, which hangs.
ft=unknown
grep -q 'references: BPF iterators' "$REPRO_DIR/orphans.err" && ft=fuse
t_expect "orphan $DEV: fstype $ft (fuse from the kernel view; the /proc tier cannot ask)" \
	"${a[@]}" --arg ft "$ft" '[.orphans[] | select(.dev == $dev) | .fstype] == [$ft]'
# Without the kernel view an orphaned mount cannot be told from a detached one.
t_expect "orphan $DEV: state orphaned (or detached, /proc tier)" "${a[@]}" \
	"[$o | .state] == [\"orphaned\"] or [$o | .state] == [\"detached\"]"
t_expect "orphan $DEV: held by pid $HOLDER_PID, mount-fd $FD, mode path" "${a[@]}" \
	--argjson fd "$FD" \
	"[$o | .holders[] | select(.pid == \$pid and .how == \"mount-fd\" and .fd == \$fd and .mode == \"path\")] | length == 1"
t_expect "orphan $DEV: pinned bytes unknown, not a guess" "${a[@]}" "[$o | .pinned_bytes] == [null]"
t_expect "orphan $DEV: says the filesystem did not answer" "${a[@]}" \
	--arg w "$([[ $ft == fuse ]] && echo fuse || echo "its filesystem")" \
	'[.orphans[] | select(.dev == $dev) | .files_note | test($w + " did not answer statfs within 1.5 s")] == [true]'
t_expect "a gap names fstatfs of $DEV, timed out" "${a[@]}" \
	'[.gaps[] | select(.call == "fstatfs" and .errno == "ETIMEDOUT" and (.what | contains($dev)))] | length == 1'
t_expect "no orphan for the live FUSE $LIVE_DEV" "${a[@]}" "$no_live"
t_expect "the live FUSE's holder is named nowhere" --argjson p "$LIVE_HOLDER_PID" \
	'[(.orphans[], (.namespaces // [])[]) | .holders[]? | select(.pid == $p)] | length == 0'
t_expect "the stalled daemon is named nowhere" --argjson p "$DAEMON_PID" \
	'[(.orphans[], (.namespaces // [])[]) | .holders[]? | select(.pid == $p)] | length == 0'

# On the kernel view's tier the scanning process never looks the holder's link up itself (an NFS
# inode is revalidated by that lookup): only the child that asks statfs opens it.
if [[ $ft == fuse ]] && command -v strace >/dev/null; then
	timeout -s KILL 10 strace -f -qq -e trace=openat,open,statx,newfstatat -o "$REPRO_DIR/strace" \
		"$RESIDUE" orphans -J >/dev/null 2>&1
	main=$(awk 'NR == 1 { print $1 }' "$REPRO_DIR/strace")
	link="\"$HOLDER_PID/fd/$FD\""
	t_check "strace: residue's own process never opens or stats $HOLDER_PID/fd/$FD" \
		test "$(awk -v m="$main" -v l="$link" '$1 == m && index($0, l)' "$REPRO_DIR/strace" | wc -l)" = 0
	t_check "strace: a child of residue's does open it" \
		test "$(awk -v m="$main" -v l="$link" '$1 != m && index($0, l) && /openat/' "$REPRO_DIR/strace" | wc -l)" -ge 1
fi

t_timed orphans-proc "$RESIDUE" orphans -J --no-bpf
cp "$REPRO_DIR/orphans-proc.out" "$T_JSON"
t_expect "/proc tier: the orphan $DEV with its holder" "${a[@]}" \
	"[$o | .holders[] | select(.pid == \$pid)] | length == 1"
t_expect "/proc tier: pinned bytes unknown" "${a[@]}" "[$o | .pinned_bytes] == [null]"
t_expect "/proc tier: no orphan for the live FUSE" "${a[@]}" "$no_live"
# The /proc tier stats every fd: a child does that (residue-refs, watched; refs-stall.sh), and
# residue's own process stats no process's fd and opens no holder's link (the probe's child does).
if command -v strace >/dev/null; then
	timeout -s KILL 10 strace -f -qq -e trace=openat,open,statx,newfstatat \
		-o "$REPRO_DIR/strace-proc" "$RESIDUE" orphans -J --no-bpf >/dev/null 2>&1
	main=$(awk 'NR == 1 { print $1 }' "$REPRO_DIR/strace-proc")
	fdstat='/statx\([0-9]+, "[0-9]+"/'
	t_check "strace (/proc tier): residue's own process stats no process's fd" \
		test "$(awk -v m="$main" "\$1 == m && $fdstat" "$REPRO_DIR/strace-proc" | wc -l)" = 0
	t_check "strace (/proc tier): nor opens $HOLDER_PID/fd/$FD" \
		test "$(awk -v m="$main" -v l="\"$HOLDER_PID/fd/$FD\"" '$1 == m && index($0, l)' "$REPRO_DIR/strace-proc" | wc -l)" = 0
	t_check "strace (/proc tier): a child of residue's stats them" \
		test "$(awk -v m="$main" "\$1 != m && $fdstat" "$REPRO_DIR/strace-proc" | wc -l)" -ge 1
fi

t_timed summary-json "$RESIDUE" --json
cp "$REPRO_DIR/summary-json.out" "$T_JSON"
t_expect "residue --json: the orphan $DEV with its holder" "${a[@]}" \
	"[$o | .holders[] | select(.pid == \$pid)] | length == 1"
t_timed summary "$RESIDUE"
t_check "residue: the summary names $DEV" grep -Eq "^ *$DEV +$ft +(orphaned|detached)" "$REPRO_DIR/summary.out"
t_timed mounts "$RESIDUE" mounts -J
t_timed zombies "$RESIDUE" zombies -J
t_timed release "$RESIDUE" release "$DEV" --delete-unheld
t_check "release: nothing to delete on fuse, and the holder is named" \
	grep -q "is $ft, not memory-backed.*pid $HOLDER_PID" "$REPRO_DIR/release.out"

# watch: its first line is the orphan appearing.  (serve needs curl, absent in the 6.1 guest.)
"$RESIDUE" watch -J >"$REPRO_DIR/watch.out" 2>"$REPRO_DIR/watch.err" &
WATCH_PID=$!
REPRO_PIDS+=" $WATCH_PID@$(repro_starttime "$WATCH_PID")"
for _ in $(seq 30); do
	grep -q "\"$DEV\"" "$REPRO_DIR/watch.out" && break
	sleep 0.1
done
t_check "watch -J: the orphan appears within 3 s" grep -q "\"$DEV\"" "$REPRO_DIR/watch.out"
repro_kill "$WATCH_PID"

# serve: the first scan is served within 3 s; a SIGHUP rescan does not wait for the FUSE again.
command -v curl >/dev/null || { t_log "no curl: residue serve not tried"; t_done; }
LOG=$REPRO_DIR/serve.log
"$RESIDUE" serve --listen 127.0.0.1:0 --interval 3600 2>"$LOG" >/dev/null &
SERVE_PID=$!
REPRO_PIDS+=" $SERVE_PID@$(repro_starttime "$SERVE_PID")"
report() { curl -sf --max-time 1 "$URL/report" >"$T_JSON" && jq -e "$1" "${a[@]}" "$T_JSON" >/dev/null; }
served=no
for _ in $(seq 30); do
	PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$LOG")
	URL=http://127.0.0.1:$PORT
	[[ -n $PORT ]] && report "[$o] | length == 1" && { served=yes; break; }
	sleep 0.1
done
t_check "serve: /report has the orphan within 3 s of start" test "$served" = yes
scans() { curl -sf --max-time 1 "$URL/metrics" | awk '$1 == "residue_scans_total" { print $2 }'; }
before=$(scans)
t0=$(date +%s%N)
kill -HUP "$SERVE_PID"
for _ in $(seq 30); do
	[[ $(scans) -gt ${before:-0} ]] && break
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
t_check "serve: a SIGHUP rescan ends in < 1 s, not asking the hung FUSE again ($ms ms)" \
	test "$(scans)" -gt "${before:-0}" -a "$ms" -lt 1000
t_check "serve: still serving" report "[$o] | length == 1"
kill -TERM "$SERVE_PID"
t_done
