#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Prometheus side of deploy/: the alert rules pass `promtool check rules` and their unit
# tests (`promtool test rules`); the tests pin each threshold (a copy of the rules with one
# threshold moved must fail them); the example prometheus.yml passes `promtool check config`; a
# residue exposition passes `promtool check metrics` (the lint that catches a counter without
# _total, a unit that is not a base unit, a missing HELP); and the rules, the exposition and
# docs/METRICS.md agree: every metric an alert reads is exposed, every exposed metric is
# documented, every alert has severity, summary, description, a runbook_url whose anchor is a
# heading of docs/METRICS.md, and a unit test where it fires and one where it does not.
# Needs no root and no network.  Exit 0 pass, 1 fail, 77 skip (promtool missing).
# RESIDUE_METRICS_SAMPLE names the exposition to lint (default: tests/golden/report.prom, the renderer's own output for a hand-built host, kept exact by tests/unit/test-report.c).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rules=$top/deploy/prometheus/residue-alerts.yml
rules_test=$top/deploy/prometheus/residue-alerts.test.yml
config=$top/deploy/prometheus/prometheus.yml
doc=$top/docs/METRICS.md
sample=${RESIDUE_METRICS_SAMPLE:-$top/tests/golden/report.prom}
promtool=${PROMTOOL:-promtool}

if ! command -v "$promtool" >/dev/null; then
	echo "SKIP: promtool is not installed (apt-get install prometheus)"
	exit 77
fi

tmp=$(mktemp -d)
# shellcheck disable=SC2317 # called from the trap
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fails=0
ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	fails=$((fails + 1))
}
# Run a command; its output is shown only when it fails.
check() {
	local desc=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		sed 's/^/# /' "$tmp/out" | head -n 200
	fi
}

check "promtool check rules residue-alerts.yml" "$promtool" check rules "$rules"
check "promtool test rules residue-alerts.test.yml" "$promtool" test rules "$rules_test"

# Each threshold and `for` is pinned by a boundary test: moving it must fail the unit tests.
# Arguments: a description, then a sed expression applied to a copy of the rules.
mutant() {
	local desc=$1 expr=$2
	mkdir -p "$tmp/m"
	cp "$rules_test" "$tmp/m/"
	sed -e "$expr" "$rules" >"$tmp/m/residue-alerts.yml"
	if cmp -s "$rules" "$tmp/m/residue-alerts.yml"; then
		not_ok "mutant '$desc': the sed expression changed nothing (stale test?)"
	elif "$promtool" test rules "$tmp/m/residue-alerts.test.yml" >/dev/null 2>&1; then
		not_ok "mutant '$desc' passes the unit tests: nothing pins it"
	else
		ok "mutant '$desc' fails the unit tests"
	fi
}
mutant "orphaned memory >= 1 GiB" 's/) > 1073741824$/) >= 1073741824/'
mutant "orphaned memory for 9m" '/alert: ResidueOrphanedMemory/,/for:/s/for: 10m/for: 9m/'
mutant "data-loss for 1m" '/alert: ResidueDataLossRiskOrphan/,/for:/s/for: 2m/for: 1m/'
mutant "zombie floor 90" 's/:sum >= 100)/:sum >= 90)/'
mutant "zombies not summed over parent" 's/expr: sum without (parent) (residue_zombie_memcgs)/expr: max without (parent) (residue_zombie_memcgs)/'
mutant "zombies growing for 45m" '/alert: ResidueZombieMemcgsGrowing/,/for:/s/for: 1h/for: 45m/'
mutant "zombie growth over 1h, not every 15m" 's/:sum\[15m\]) > 0)/:sum[1h]) > 0)/'
mutant "mount ratio > 0.8" 's|(residue_mount_max > 0) >= 0.8|(residue_mount_max > 0) > 0.8|'
mutant "no fs.mount-max guard" 's|(residue_mount_max > 0)|residue_mount_max|'
mutant "failures for 10m" '/alert: ResidueScansFailing/,/for:/s/for: 15m/for: 10m/'
mutant "no every-scan-failed clause" 's/residue_scan_failures_total >= residue_scans_total)/residue_scan_failures_total < 0)/'
mutant "stale after 540 s" 's/residue_last_scan_timestamp_seconds > 600/residue_last_scan_timestamp_seconds > 540/'
mutant "target down for 4m" '/alert: ResidueTargetDown/,/for:/s/for: 5m/for: 4m/'
mutant "missing without up == 1" 's/and (up == 1)/and (up >= 0)/'
mutant "gaps of any kind" 's/residue_scan_gaps{kind="privilege"} > 0/residue_scan_gaps > 0/'
mutant "dead superblock only from 2" 's/residue_dead_superblocks > 0/residue_dead_superblocks > 1/'
mutant "superblock bug on any kernel report" 's/residue_kernel_log_findings{kind="superblock_bug"} > 0/residue_kernel_log_findings > 0/'
mutant "leak report on the superblock bug too" 's/residue_kernel_log_findings{kind!="superblock_bug"} > 0/residue_kernel_log_findings > 0/'

# Debian builds Prometheus without Kubernetes service discovery: where this promtool does not
# know kubernetes_sd_configs, check the same file with a static target in its place, which still
# checks the relabeling.
# shellcheck disable=SC2317 # called through check
check_config() {
	local out
	if out=$("$promtool" check config "$config" 2>&1); then
		echo "$out"
		return 0
	fi
	echo "$out"
	grep -q 'kubernetes_sd_configs not found' <<<"$out" || return 1
	cp "$rules" "$tmp/"
	sed -e 's/kubernetes_sd_configs:/static_configs:/' \
		-e "s/- role: pod/- targets: ['10.0.0.1:8080']/" "$config" >"$tmp/prometheus.yml"
	"$promtool" check config "$tmp/prometheus.yml"
}
if ! out=$("$promtool" check config "$config" 2>&1) && grep -q 'kubernetes_sd_configs not found' <<<"$out"; then
	echo "# this promtool has no kubernetes_sd_configs (Debian's build): checking prometheus.yml with a static target in its place"
fi
check "promtool check config prometheus.yml" check_config

# shellcheck disable=SC2016 # expanded by that sh
check "promtool check metrics $(basename "$sample")" sh -c '"$1" check metrics <"$2"' sh "$promtool" "$sample"
# The lint is live: a counter without _total and a unit in milliseconds are refused.
printf '# HELP residue_scans Scans.\n# TYPE residue_scans counter\nresidue_scans 1\n' >"$tmp/bad.prom"
printf '# HELP residue_scan_ms x\n# TYPE residue_scan_ms gauge\nresidue_scan_ms 1\n' >>"$tmp/bad.prom"
if "$promtool" check metrics <"$tmp/bad.prom" >"$tmp/out" 2>&1; then
	not_ok "promtool check metrics accepts a counter without _total"
elif grep -q '_total' "$tmp/out" && grep -q 'abbreviated units' "$tmp/out"; then
	ok "promtool check metrics refuses a counter without _total and milliseconds"
else
	not_ok "promtool check metrics failed on a bad exposition for another reason"
	sed 's/^/# /' "$tmp/out"
fi

# Metric names: read by the rules, exposed by the sample, documented.
exposed=$(sed -n 's/^# TYPE \(residue_[a-z0-9_]*\) .*/\1/p' "$sample" | sort -u)
used=$(grep -v '^ *#' "$rules" | grep -o 'residue_[a-z0-9_]*' | grep -v '^residue_zombie_memcgs:' |
	sort -u)
for m in $used; do
	if grep -qx "$m" <<<"$exposed"; then
		ok "the rules read $m, which the exposition has"
	else
		not_ok "the rules read $m, which the exposition does not have"
	fi
done
for m in $exposed; do
	if grep -q "^| \`$m\` |" "$doc"; then
		ok "$m is documented in docs/METRICS.md"
	else
		not_ok "$m is exposed but has no row in docs/METRICS.md"
	fi
done

# Every alert: labels, annotations, runbook anchor, a firing and a quiet unit test.
alerts=$(sed -n 's/^ *- alert: \([A-Za-z]*\)$/\1/p' "$rules")
[[ -n $alerts ]] || not_ok "no alert found in $rules"
for a in $alerts; do
	block=$(awk -v a="$a" '$0 ~ "- alert: "a"$" {on=1; print; next}
		on && /^ *- (alert|record):/ {on=0} on {print}' "$rules")
	missing=""
	for field in "severity:" "summary:" "description:" "runbook_url: docs/METRICS.md#${a,,}"; do
		grep -q "^ *$field" <<<"$block" || missing+=" $field"
	done
	if [[ -z $missing ]]; then
		ok "$a has severity, summary, description and runbook_url"
	else
		not_ok "$a lacks:$missing"
	fi
	if grep -qx "### $a" "$doc"; then
		ok "$a has a section in docs/METRICS.md"
	else
		not_ok "$a has no '### $a' section in docs/METRICS.md"
	fi
	read -r fire quiet < <(awk -v a="$a" '
		/^ *alertname:/ {cur = $2}
		cur == a && /exp_alerts: \[\]/ {q++}
		cur == a && /- exp_labels:/ {f++}
		END {print f + 0, q + 0}' "$rules_test")
	if ((fire > 0 && quiet > 0)); then
		ok "$a is tested firing ($fire) and not firing ($quiet)"
	else
		not_ok "$a is tested firing $fire and not firing $quiet times"
	fi
done

if ((fails > 0)); then
	echo "FAIL: $fails check(s) failed"
	exit 1
fi
exit 0
