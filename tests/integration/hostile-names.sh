#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Names chosen by whoever runs a container reach residue's output: an orphaned tmpfs mounted on a
# directory whose name holds a space, a tab, a backslash, a newline, invalid UTF-8 and a terminal
# escape, held by a process whose comm holds escapes and a newline, through a file whose name holds
# the same, and by a second holder through a path of 4 000 bytes; that holder in a memory cgroup
# whose name holds escapes, and a zombie memory cgroup whose name holds whitespace, escapes and
# invalid UTF-8 (where we may create cgroups).  Asserts: `residue orphans -J`
# and `residue zombies -J` are valid JSON and give the paths, cgroups and comm byte for byte (invalid UTF-8 as the text \xNN,
# controls as JSON escapes); the table, `residue watch`, the agent's log line and the Prometheus
# text carry no raw control byte and keep one finding on one line; promtool accepts the metrics.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"
t_init

weird=$'f \t\\ \xc3( \x1b]0;pwned\x07\nend'
comm=$'c\x1b[2J\nx'
repro_container C tmpfs $'hostile \t\\\n\xff\x1b[31mdir' || t_bail "no container"
root=/proc/$C_PID/root$C_DIR
nsenter -t "$C_PID" -m -- sh -c 'printf x >"$1"' sh "$C_DIR/$weird" || t_bail "cannot create $weird"
# A path of 4 095 bytes inside the orphan (PATH_MAX less its NUL): 15 directories of 255
# characters, one of 252, then "z"; made and opened relative to a directory, as no absolute path
# that long reaches it.
long=""
for i in $(seq 15); do long+=/$(printf "d%.0s" $(seq 254))$((i % 10)); done
long+=/$(printf "e%.0s" $(seq 252))
# One component at a time: a shell's cd of the whole relative path would build a longer one.
# shellcheck disable=SC2086 # split on purpose
nsenter -t "$C_PID" -m -- bash -c 'cd -P "$1" && shift && for c; do mkdir "$c" && cd -P "$c" 2>/dev/null || exit; done &&
	printf y >z' bash "$C_DIR" ${long//\// } || t_bail "cannot create the long path"
RESIDUE_HOLD_COMM=$comm repro_holder H fd "$root/$weird" r || t_bail "no holder"
pushd "$root" >/dev/null || t_bail "cannot enter $root"
repro_holder L fd "${long:1}/z" r || t_bail "no long-path holder"
popd >/dev/null || t_bail "popd"
repro_kill "$C_PID"
DEV=$C_DEV
t_log "orphan $DEV; the long path is $((${#long} + 2)) bytes"

# Cgroup names are chosen by whoever runs a container too (a newline is refused by the kernel;
# whitespace only in the leaf that is removed, as repro/lib.sh's teardown splits its list on it):
# the first holder moves into a live cgroup with a backslash, an escape and invalid UTF-8; a
# zombie with a space, a tab, a backslash, invalid UTF-8 and an escape is left below a parent
# named with an OSC sequence.
CG=""
if repro_memcg_own 2>/dev/null && repro_memcg_mkdir "$REPRO_CG_MOUNT$REPRO_CG_OWN/residue-zombies.hostile.$$" 2>/dev/null; then
	CG=$REPRO_CG_OWN/residue-zombies.hostile.$$
	lname=$'h\\x\x1b[31m\xff' pname=$'p\\\x1b]0;t\x07\xc3' zname=$'z \t\\ \xc3( \x1b[2J'
	want_lcg="$CG/h\\x"$'\x1b'"[31m\\xff"
	want_zcg="$CG/p\\"$'\x1b]0;t\x07'"\\xc3/z "$'\t'"\\ \\xc3( "$'\x1b'"[2J"
	zdir=$(mktemp -d /var/tmp/residue-zombies.XXXXXX) || t_bail "mktemp"
	REPRO_ZDIRS+=" $zdir"
	repro_memcg_mkdir "$REPRO_CG_MOUNT$CG/$lname" || t_bail "mkdir cgroup $lname"
	echo "$H_PID" >"$REPRO_CG_MOUNT$CG/$lname/cgroup.procs" || t_bail "moving $H_PID"
	repro_memcg_mkdir "$REPRO_CG_MOUNT$CG/$pname" || t_bail "mkdir cgroup $pname"
	mkdir "$REPRO_CG_MOUNT$CG/$pname/$zname" || t_bail "mkdir cgroup $zname"
	repro_memcg_run "$REPRO_CG_MOUNT$CG/$pname/$zname" \
		"head -c 1052672 /dev/zero >$zdir/pin && sync $zdir/pin" || t_bail "writing $zdir/pin"
	rmdir "$REPRO_CG_MOUNT$CG/$pname/$zname" || t_bail "rmdir the zombie-to-be"
else
	t_log "no memory cgroup to create below ours: cgroup names not tried"
fi

"$RESIDUE" orphans -J >"$T_JSON" 2>"$REPRO_DIR/err" || t_bail "residue orphans -J failed"
t_check "orphans -J is valid JSON" bash -c 'jq -e . "$1" >/dev/null' sh "$T_JSON"
o='.orphans[] | select(.dev == $dev)'
want_path=$'/f \t\\ \\xc3( \x1b]0;pwned\x07\nend'
t_expect "the holder's path, byte for byte, invalid UTF-8 as \\\\xc3" --arg dev "$DEV" \
	--arg p "$want_path" "[$o | .holders[] | select(.how == \"fd\") | .path] | index(\$p) != null"
t_expect "the holder's comm, escapes and newline kept as JSON escapes" --arg dev "$DEV" \
	--arg c "${comm:0:15}" "[$o | .holders[] | .comm] | index(\$c) != null"
t_expect "the long path, all $((${#long} + 2)) bytes" --arg dev "$DEV" --arg p "$long/z" \
	"[$o | .holders[] | .path] | index(\$p) != null"

if [[ -n $CG ]]; then
	t_expect "the holder's cgroup, byte for byte" --arg dev "$DEV" --arg c "$want_lcg" \
		"[$o | .holders[] | .cgroup] | index(\$c) != null"
	"$RESIDUE" zombies -J --cgroup "$CG" >"$REPRO_DIR/zombies.json" 2>/dev/null ||
		t_bail "residue zombies -J failed"
	t_check "zombies -J is valid JSON" bash -c 'jq -e . "$1" >/dev/null' sh "$REPRO_DIR/zombies.json"
	if [[ $(jq -r .kernel_view.used "$REPRO_DIR/zombies.json") == true ]]; then
		t_check "zombies -J: the zombie's path, byte for byte, and its file" \
			jq -e --arg z "$want_zcg" --arg f "$zdir/pin" \
			'([.zombies[] | select(.path == $z)] | length) == 1 and
			 ([.files[] | select(.cgroup == $z and .path == $f)] | length) == 1' \
			"$REPRO_DIR/zombies.json"
	else
		t_log "no kernel view ($(jq -r .kernel_view.error "$REPRO_DIR/zombies.json")): zombies are not named"
	fi
	"$RESIDUE" zombies --cgroup "$CG" >"$REPRO_DIR/zombies.txt" 2>&1
	t_check "the zombies table has no raw escape, bell or carriage return" \
		bash -c '! LC_ALL=C grep -q $'"'"'[\x1b\x07\r]'"'"' "$1"' sh "$REPRO_DIR/zombies.txt"
fi

"$RESIDUE" orphans >"$REPRO_DIR/table" 2>&1
t_check "the table has no raw escape, bell or carriage return" \
	bash -c '! LC_ALL=C grep -q $'"'"'[\x1b\x07\r]'"'"' "$1"' sh "$REPRO_DIR/table"
t_check "the table shows the comm escaped" grep -qF 'c\x1b[2J\x0ax' "$REPRO_DIR/table"

timeout 10 "$RESIDUE" watch -J >"$REPRO_DIR/watch.json" 2>/dev/null &
watch_pid=$!
# Its first scan may take seconds on a busy host: wait for a whole first line, not a fixed time.
for _ in $(seq 90); do
	[[ $(wc -l <"$REPRO_DIR/watch.json") -ge 1 ]] && break
	sleep 0.1
done
t_check "watch -J: every line is one JSON object" \
	bash -c 'jq -c . "$1" >/dev/null && test "$(wc -l <"$1")" -ge 1' sh "$REPRO_DIR/watch.json"
wait "$watch_pid"
timeout 5 "$RESIDUE" watch >"$REPRO_DIR/watch.txt" 2>/dev/null
t_check "watch: one line for the orphan, no raw control byte" \
	bash -c 'test "$(grep -c "$2" "$1")" = 1 && ! LC_ALL=C grep -q $'"'"'[\x1b\x07\r]'"'"' "$1"' \
	sh "$REPRO_DIR/watch.txt" "$DEV"

LOG=$REPRO_DIR/serve.log
"$RESIDUE" serve --listen 127.0.0.1:0 --interval 3600 2>"$LOG" >/dev/null &
SERVE_PID=$!
REPRO_PIDS+=" $SERVE_PID@$(repro_starttime "$SERVE_PID")"
for _ in $(seq 100); do grep -q "orphaned_filesystem appeared" "$LOG" && break; sleep 0.1; done
t_check "the agent logs the orphan on one line, no raw control byte" \
	bash -c 'test "$(grep -c "appeared.*$2" "$1")" = 1 && ! LC_ALL=C grep -q $'"'"'[\x1b\x07\r]'"'"' "$1"' \
	sh "$LOG" "$DEV"
kill -TERM "$SERVE_PID"

"$RESIDUE" --prometheus >"$REPRO_DIR/metrics.prom" 2>/dev/null
t_check "the metrics carry no raw control byte" \
	bash -c '! LC_ALL=C grep -q $'"'"'[\x1b\x07\r]'"'"' "$1"' sh "$REPRO_DIR/metrics.prom"
if command -v promtool >/dev/null; then
	t_check "promtool check metrics accepts them" promtool check metrics <"$REPRO_DIR/metrics.prom"
fi
t_done
