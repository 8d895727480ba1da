#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# residue serve, the agent, on loopback with a period of an hour, so that every scan it makes comes
# from something this test does or from an event on the host:
# - the endpoints: /metrics (Prometheus 0.0.4, promtool-clean when promtool is installed),
#   /report (the keys of residue --json, zombies with the keys of residue zombies -J), /healthz;
#   405 with Allow for other methods, 404 elsewhere, a 20 KB URL refused, HEAD without a body;
# - a request never scans (500 requests: at most a scan or two, from host events, not 500);
# - SIGHUP rescans; a container's namespace dying with a holder outside is noticed through
#   fanotify mount events (the namespace was marked by the scan before) without SIGHUP, logged as
#   "<4>residue: orphaned_filesystem appeared: ..." and served as residue_orphan_info with the
#   pinned bytes residue orphans -J measures; its holder killed, the next scan logs it gone and
#   the series disappears;
# - a removed memory cgroup (BPF tracepoint) brings a scan forward too;
# - slow clients (connections that never send a request) and 100 clients at once do not stop
#   scans or scrapes; SIGTERM ends it within 3 s with exit 0 and its last log line.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
command -v curl >/dev/null || t_skip "curl is not installed"

LOG=$REPRO_DIR/serve.log

# Start residue serve ARGS; sets SERVE_PID and PORT (the teardown kills it if the test fails).
t_serve() {
	local n=0
	"$RESIDUE" serve --listen 127.0.0.1:0 "$@" 2>"$LOG" >/dev/null &
	SERVE_PID=$!
	REPRO_PIDS+=" $SERVE_PID@$(repro_starttime "$SERVE_PID")"
	until PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$LOG") && [[ -n $PORT ]]; do
		kill -0 "$SERVE_PID" 2>/dev/null || t_bail "residue serve exited: $(head -c 2000 "$LOG")"
		((n++ > 500)) && t_bail "residue serve did not listen within 10 s"
		sleep 0.02
	done
	URL=http://127.0.0.1:$PORT
}

# The value of one sample (a metric with its labels, exactly) in /metrics; empty when absent.
t_metric() {
	curl -s --max-time 5 "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# Wait until `t_metric NAME` satisfies the test CMP VALUE (e.g. -ge 2), within SECONDS.
t_wait_metric() {
	local name=$1 cmp=$2 want=$3 secs=$4 n=0 v
	while :; do
		v=$(t_metric "$name")
		[[ -n $v ]] && [ "${v%.*}" "$cmp" "$want" ] && return 0
		((n++ > secs * 10)) && { t_log "$name is '$v', wanted $cmp $want"; return 1; }
		sleep 0.1
	done
}

# Wait until the log has a line matching REGEX, within SECONDS.
t_wait_log() {
	local n=0
	until grep -qE "$1" "$LOG"; do
		((n++ > $2 * 10)) && { t_log "no log line like /$1/ in: $(tail -n 20 "$LOG")"; return 1; }
		sleep 0.1
	done
}

t_serve --interval 3600 --debounce 0.2
t_check "the first scan is served" t_wait_metric residue_scans_total -ge 1 30
t_check "/healthz says ok" test "$(curl -s --max-time 5 "$URL/healthz")" = ok

# ---- the endpoints ----
headers=$(curl -s --max-time 5 -D - -o "$REPRO_DIR/metrics" "$URL/metrics")
t_check "/metrics is Prometheus text 0.0.4" \
	grep -qi '^content-type: text/plain; version=0.0.4' <<<"$headers"
t_check "/metrics has every family of the contract" bash -c '
	for m in residue_orphaned_filesystems residue_orphan_pinned_bytes residue_orphan_info \
		residue_processless_mount_namespaces residue_zombie_memcgs residue_zombie_charged_bytes \
		residue_zombie_kernel_memory_bytes residue_mount_namespaces \
		residue_mounts_max_per_namespace residue_mount_max residue_tmpfs_superblocks \
		residue_mask_superblocks residue_findings residue_scan_duration_seconds \
		residue_scans_total residue_scan_gaps residue_last_scan_timestamp_seconds \
		residue_build_info; do
		grep -q "^# TYPE $m " "$1" || { echo "missing $m"; exit 1; }
	done' sh "$REPRO_DIR/metrics"
if command -v promtool >/dev/null; then
	t_check "promtool check metrics is clean" promtool check metrics <"$REPRO_DIR/metrics"
fi
curl -s --max-time 10 "$URL/report" >"$REPRO_DIR/report.json"
"$RESIDUE" --json >"$REPRO_DIR/cli.json" 2>/dev/null
"$RESIDUE" zombies -J >"$REPRO_DIR/zombies.json" 2>/dev/null
t_check "/report has the keys of residue --json" \
	test "$(jq -c keys "$REPRO_DIR/report.json")" = "$(jq -c keys "$REPRO_DIR/cli.json")"
if jq -e '.zombies != null' "$REPRO_DIR/cli.json" >/dev/null; then
	t_check "/report's zombies have the keys of residue zombies -J" \
		test "$(jq -c '.zombies | keys' "$REPRO_DIR/report.json")" = "$(jq -c keys "$REPRO_DIR/zombies.json")"
fi
for m in POST PUT DELETE PATCH; do
	code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X "$m" -d x "$URL/metrics")
	t_check "$m /metrics is refused with 405 (got $code)" test "$code" = 405
done
t_check "405 says which methods are allowed" \
	grep -qi '^allow: GET, HEAD' <<<"$(curl -s --max-time 5 -D - -o /dev/null -X POST "$URL/report")"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL/nothing-here")
t_check "an unknown path is 404 (got $code)" test "$code" = 404
long=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL/metrics?$long")
t_check "a 20 KB request line is refused (got $code)" test "$code" -ge 400
t_check "HEAD /metrics sends no body" \
	test "$(curl -s --max-time 5 -I "$URL/metrics" -o /dev/null -w '%{size_download}')" = 0

# ---- a request never scans ----
before=$(t_metric residue_scans_total)
for _ in $(seq 500); do echo "url = \"$URL/metrics\""; echo "output = /dev/null"; done >"$REPRO_DIR/curl.cfg"
curl -s --max-time 60 -K "$REPRO_DIR/curl.cfg"
after=$(t_metric residue_scans_total)
t_check "500 scrapes made no scan (scans $before -> $after; host events may add one or two)" \
	test $((after - before)) -le 2

# ---- SIGHUP rescans ----
before=$(t_metric residue_scans_total)
kill -HUP "$SERVE_PID"
t_check "SIGHUP rescans" t_wait_metric residue_scans_total -gt "$before" 10

# ---- an orphan, noticed by mount events ----
# The container's namespace must exist at a scan to be marked: make it, rescan, then let it die.
repro_container C tmpfs serve-orphan || t_bail "repro_container failed"
repro_holder H fd "/proc/$C_PID/root$C_DIR/held" r || t_bail "repro_holder failed"
before=$(t_metric residue_scans_total)
kill -HUP "$SERVE_PID"
t_wait_metric residue_scans_total -gt "$before" 10 || t_bail "no scan after SIGHUP"
t_log "mount events: $(grep -c 'mount changes are seen by rescans' "$LOG") notes that they are off"
mount_events=1
grep -q 'fanotify mount events need' "$LOG" && mount_events=0
repro_kill "$C_PID"
repro_set DEV="$C_DEV"
if ((mount_events)); then
	t_check "the orphan is logged without SIGHUP (fanotify mount events)" \
		t_wait_log "^<4>residue: orphaned_filesystem appeared: tmpfs $DEV orphaned" 10
else
	t_log "no fanotify mount events on this kernel: SIGHUP instead"
	kill -HUP "$SERVE_PID"
	t_check "the orphan is logged" t_wait_log "^<4>residue: orphaned_filesystem appeared: tmpfs $DEV " 10
fi
t_residue
want=$(jq -r --arg d "$DEV" '.orphans[] | select(.dev == $d) | .pinned_bytes' "$T_JSON")
t_check "residue orphans -J measures the orphan ($want bytes)" test -n "$want" -a "$want" -gt 0
# The value of residue_orphan_info for device $1, whatever its other labels.
t_orphan_info() { curl -s --max-time 5 "$URL/metrics" | awk -v d="dev=\"$1\"" 'index($0, "residue_orphan_info{" d) == 1 { print $NF }'; }
t_check "residue_orphan_info{dev=\"$DEV\"} is $want" test "$(t_orphan_info "$DEV")" = "$want"
repro_kill "$H_PID"
kill -HUP "$SERVE_PID"
t_check "the orphan is logged gone" \
	t_wait_log "^<5>residue: orphaned_filesystem gone: tmpfs $DEV " 10
t_check "its series is gone from /metrics" test -z "$(t_orphan_info "$DEV")"

# ---- a removed memory cgroup brings a scan forward (BPF) ----
if grep -q 'zombie memory cgroups are followed by rescans only' "$LOG"; then
	t_log "no BPF tracepoints here: $(grep 'followed by rescans only' "$LOG")"
else
	repro_memcg_own
	rc=$?
	if ((rc == 0)); then
		cg=$REPRO_CG_MOUNT$REPRO_CG_OWN/residue-serve.$$
		mkdir "$cg" || t_bail "mkdir $cg"
		before=$(t_metric residue_scans_total)
		rmdir "$cg"
		t_check "an rmdir of a memory cgroup brings a scan forward" \
			t_wait_metric residue_scans_total -gt "$before" 10
	fi
fi

# ---- slow and many clients ----
exec {slow1}<>/dev/tcp/127.0.0.1/"$PORT"
exec {slow2}<>/dev/tcp/127.0.0.1/"$PORT"
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&"$slow2" # and never the end of the headers
curls=()
for i in $(seq 100); do
	curl -s --max-time 20 -o /dev/null -w '%{http_code} %{exitcode}\n' "$URL/report" >"$REPRO_DIR/many.$i" 2>&1 &
	curls+=($!)
done
wait "${curls[@]}"
cat "$REPRO_DIR"/many.* >"$REPRO_DIR/many"
t_log "100 clients at once: $(sort "$REPRO_DIR/many" | uniq -c | tr '\n' ' ')"
# Past the 32 connections one address may hold, libmicrohttpd closes a new one at once: on a
# loaded host, where answers come slower, some of the 100 get that (curl: 000, exit 52 or 56)
# instead of a 503.  A refusal is an answer; a time-out (exit 28) is the hang this looks for.
t_check "100 clients at once: every one is answered (200, 503) or refused at once, none hangs" \
	bash -c '(( $(wc -l <"$1") == 100 )) && ! grep -vqE "^((200|503) 0|000 (7|52|56))$" "$1" &&
		grep -qE "^200 0$" "$1"' sh "$REPRO_DIR/many"
before=$(t_metric residue_scans_total)
kill -HUP "$SERVE_PID"
t_check "with slow clients connected, scans go on" t_wait_metric residue_scans_total -gt "$before" 10
t_check "... and scrapes answer" test -n "$(t_metric residue_scans_total)"
exec {slow1}<&- {slow2}<&-
t_check "residue serve is still running" kill -0 "$SERVE_PID"

# ---- SIGTERM ----
kill -TERM "$SERVE_PID"
n=0
while kill -0 "$SERVE_PID" 2>/dev/null && ((n++ < 150)); do sleep 0.02; done
wait "$SERVE_PID"
rc=$?
t_check "SIGTERM: exit 0 (got $rc) within 3 s" test "$rc" = 0
t_check "SIGTERM: the last log line says it stopped" test "$(tail -n 1 "$LOG")" = "<6>residue: stopped"
t_check "every log line has a syslog priority prefix" bash -c '! grep -vq "^<[0-7]>residue: " "$1"' sh "$LOG"
t_done
