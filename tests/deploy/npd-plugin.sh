#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# deploy/node-problem-detector/residue-plugin.json: valid against what node-problem-detector's
# custom plugin monitor accepts (pkg/custompluginmonitor/types: known keys, Go durations, a
# permanent rule's condition among the default conditions, rule timeout <= global timeout), and
# its rule run exactly as NPD runs it (plugin/plugin.go: path + args, killed at the timeout, at
# most 4 KiB of stdout, trimmed, cut to max_output_length; exit 0 OK, 1 NonOK, else Unknown)
# against the host as it is, with an orphaned tmpfs made by a repro, after it is released, and
# in a mount namespace whose /proc shows nothing (incomplete scan, nothing found: Unknown).  The
# host is shared with other tests (and has zombie memcgs of its own), so "clean" is not asserted
# as OK: the message's orphan count is checked against `residue --json` at the same moment.
# NPD is not packaged in Debian 12, so the rule runs here with the built residue as its path.
# shellcheck source=tests/integration/lib.sh
# jq programs are single-quoted on purpose:
# shellcheck disable=SC2016
. "$(dirname "$0")/../integration/lib.sh"
CONF=$T_TOP/deploy/node-problem-detector/residue-plugin.json
t_init
T_JSON=$CONF # t_expect reads the config (until the rule runs)

# ---- the config, as NPD parses and validates it ---------------------------------------------
jq_dur='def dur: if type == "string" and test("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
	then [scan("([0-9.]+)(ns|us|µs|ms|s|m|h)") | (.[0] | tonumber) *
		{"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1e3, "m": 6e4, "h": 3.6e6}[.[1]]] | add
	else null end;'
t_expect "it is JSON with exactly NPD's top-level keys" \
	'keys - ["plugin", "pluginConfig", "source", "metricsReporting", "conditions", "rules"] == []'
t_expect "plugin is \"custom\" (the only one NPD supports)" '.plugin == "custom"'
t_expect "pluginConfig has only known keys" '.pluginConfig | keys - ["invoke_interval", "timeout",
	"max_output_length", "concurrency", "enable_message_change_based_condition_update",
	"skip_initial_status"] == []'
t_expect "invoke_interval and timeout are Go durations" \
	"$jq_dur"' .pluginConfig | (.invoke_interval | dur) > 0 and (.timeout | dur) > 0'
t_expect "max_output_length is 80, concurrency a positive integer" \
	'.pluginConfig.max_output_length == 80 and (.pluginConfig.concurrency | type == "number" and . >= 1 and floor == .)'
t_expect "source is a name" '.source | type == "string" and test("^[a-z0-9-]+$")'
t_expect "conditions: each has exactly type, reason, message (strings)" \
	'.conditions | length >= 1 and all(keys == ["message", "reason", "type"] and all(.[]; type == "string"))'
t_expect "a ResidueProblem condition" '[.conditions[] | select(.type == "ResidueProblem")] | length == 1'
t_expect "rules have only known keys" 'all(.rules[]; keys - ["type", "condition", "reason", "path",
	"args", "timeout", "invoke_interval"] == [])'
t_expect "one permanent rule on ResidueProblem, running /usr/bin/residue --check" \
	'[.rules[] | select(.type == "permanent" and .condition == "ResidueProblem" and
	  .path == "/usr/bin/residue" and .args == ["--check"] and (.reason | length) > 0)] | length == 1'
t_expect "every permanent rule's condition is a default condition (NPD Validate)" \
	'[.conditions[].type] as $c | all(.rules[] | select(.type == "permanent"); .condition as $x | $c | index($x))'
t_expect "every rule type is temporary or permanent" 'all(.rules[]; .type == "temporary" or .type == "permanent")'
t_expect "rule timeouts are Go durations no longer than the global timeout (NPD Validate)" \
	"$jq_dur"' (.pluginConfig.timeout | dur) as $g | all(.rules[]; (.timeout | dur) as $t | $t != null and $t <= $g)'
t_expect "a rule finishes before the next invocation is due" \
	"$jq_dur"' (.pluginConfig.invoke_interval | dur) > (.pluginConfig.timeout | dur)'

# ---- the rule, run as NPD runs it -----------------------------------------------------------
T_JSON=$REPRO_DIR/npd.out
rule='.rules[] | select(.condition == "ResidueProblem")'
mapfile -t ARGS < <(jq -r "$rule | .args[]" "$CONF")
TIMEOUT_MS=$(jq -r "$jq_dur $rule | .timeout | dur" "$CONF")
MAXLEN=$(jq -r '.pluginConfig.max_output_length' "$CONF")
# npd_run [PREFIX...]: run PATH ARGS (PATH = the built residue), optionally through PREFIX (a
# namespace wrapper); sets NPD_STATUS (OK/NonOK/Unknown), NPD_MESSAGE (what NPD would put in the
# condition) and NPD_FIRST (the first line of stdout, for the contract).
npd_run() {
	local out=$REPRO_DIR/npd.out rc secs
	secs=$(awk -v ms="$TIMEOUT_MS" 'BEGIN { printf "%.3f", ms / 1000 }')
	timeout -s KILL "$secs" "$@" "$RESIDUE" "${ARGS[@]}" >"$out.all" 2>"$REPRO_DIR/npd.err"
	rc=$?
	head -c 4096 "$out.all" >"$out" # NPD reads 4 KiB and drains the rest
	NPD_FIRST=$(head -n 1 "$out")
	# strings.TrimSpace, then output[:max_output_length] (bytes).
	NPD_MESSAGE=$(LC_ALL=C sed -e ':a;N;$!ba' -e 's/^[[:space:]]*//; s/[[:space:]]*$//' "$out" |
		LC_ALL=C head -c "$MAXLEN")
	case $rc in
	0) NPD_STATUS=OK ;;
	1) NPD_STATUS=NonOK ;;
	137) NPD_STATUS=Unknown NPD_MESSAGE="Timeout when running plugin" ;;
	*) NPD_STATUS=Unknown ;;
	esac
	t_log "NPD: $NPD_STATUS \"$NPD_MESSAGE\" (exit $rc)"
}
# The contract of --check's first line, and that it is all NPD shows.
check_message() {
	local when=$1
	t_check "$when: the first line of stdout is at most 80 characters" test "${#NPD_FIRST}" -le 80
	t_check "$when: the first line starts with \"residue: \"" test "${NPD_FIRST#residue: }" != "$NPD_FIRST"
	t_check "$when: the condition message NPD sets is that first line, and only it" \
		test "$NPD_MESSAGE" == "$NPD_FIRST"
}
orphans_in() {
	local n
	n=$(sed -nE 's/.*[^0-9]([0-9]+) orphaned filesystems?.*/\1/p' <<<"$1")
	echo "${n:-0}"
}
json_orphans() { "$RESIDUE" --json 2>/dev/null | jq '.orphans | length'; }
# npd_counted WHEN: run the rule; the number of orphaned filesystems its message gives is the
# number `residue --json` reports just before or after (other tests may make or free orphans
# meanwhile: three tries).  Leaves the last run in NPD_*.
npd_counted() {
	local when=$1 a b c
	for _ in 1 2 3; do
		a=$(json_orphans)
		npd_run
		b=$(json_orphans)
		c=$(orphans_in "$NPD_FIRST")
		[[ $c == "$a" || $c == "$b" ]] && break
	done
	t_check "$when: the message counts the orphaned filesystems residue --json reports ($c; $a, $b)" \
		test "$c" == "$a" -o "$c" == "$b"
}

npd_counted "as the host is"
t_check "as the host is: OK or NonOK, not Unknown" test "$NPD_STATUS" != Unknown
check_message "as the host is"

t_repro repro_case_orphan_fd
npd_counted "with an orphaned tmpfs"
t_check "with an orphaned tmpfs: NonOK (exit 1)" test "$NPD_STATUS" == NonOK
check_message "with an orphaned tmpfs"
t_check "with an orphaned tmpfs: the message names it" \
	test "$(orphans_in "$NPD_FIRST")" -ge 1

repro_kill "$HOLDER_PID"
npd_counted "released again"
t_check "released again: OK or NonOK, not Unknown" test "$NPD_STATUS" != Unknown
check_message "released again"
"$RESIDUE" --json 2>/dev/null | jq -e --arg d "$DEV" '[.orphans[] | select(.dev == $d)] == []' >/dev/null
t_check "released again: orphan $DEV is gone" test $? == 0

# Incomplete and nothing found, two ways, each in a mount namespace of our own whose /proc shows
# nothing: as root (every capability, but nothing readable: no process, no mount table), and as
# nobody without capabilities (the scan says which capabilities it lacks).
empty_proc=(unshare -m --propagation private -- sh -c 'mount -t tmpfs none /proc && exec "$@"' sh)
npd_run "${empty_proc[@]}"
t_check "with an empty /proc, as root (scan blind, nothing found): Unknown (exit 2)" \
	test "$NPD_STATUS" == Unknown
t_check "with an empty /proc, as root: the first line is at most 80 characters" test "${#NPD_FIRST}" -le 80
chmod 0711 "$REPRO_DIR"
cp "$RESIDUE" "$REPRO_DIR/residue-npd" && chmod 0755 "$REPRO_DIR/residue-npd"
RESIDUE=$REPRO_DIR/residue-npd npd_run "${empty_proc[@]}" setpriv --reuid=65534 --regid=65534 \
	--clear-groups --inh-caps=-all --bounding-set=-all --
t_check "with an empty /proc, as nobody (scan incomplete, nothing found): Unknown (exit 2)" \
	test "$NPD_STATUS" == Unknown
t_check "with an empty /proc, as nobody: the first line is at most 80 characters" test "${#NPD_FIRST}" -le 80
t_done
