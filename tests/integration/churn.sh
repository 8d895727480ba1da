#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A changing host: while namespaces are born and die and processes start and exit (each new
# namespace mounts a tmpfs and holds a file in it from inside), residue is run again and again.
# Every run must exit 0; no run may report the churn's file as an orphan's holder (a namespace
# born after the walk or dying mid-scan must never make one) nor a new process-less namespace
# that nothing holds; and the real orphan made first must be reported by every run.  Findings
# that other activity on the host creates meanwhile are not this test's business.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_orphan_fd
t_residue
t_assert_orphan
base_ns=$(jq -c '[.namespaces[].ns_id]' "$T_JSON")

churn_dir=$REPRO_DIR/churn
mkdir -p "$churn_dir"
churn() {
	local end=$((SECONDS + 6))
	while ((SECONDS < end)); do
		for _ in 1 2 3 4; do
			unshare -m --propagation private -- sh -c \
				"mount -t tmpfs -o size=1m churn '$churn_dir' && exec 3>'$churn_dir/residue-churn-file' && sleep 0.0$((RANDOM % 5))" \
				2>/dev/null &
		done
		wait
	done
}
churn &
churn_pid=$!
REPRO_PIDS+=" $churn_pid@$(repro_starttime "$churn_pid")"

runs=0 bad=0
while kill -0 "$churn_pid" 2>/dev/null; do
	"$RESIDUE" orphans -J >"$T_JSON.run" 2>/dev/null
	rc=$?
	runs=$((runs + 1))
	verdict=$(jq -r --arg dev "$DEV" --argjson base "$base_ns" '
		if ([.orphans[] | select(.dev == $dev)] | length) != 1 then "the real orphan is missing"
		elif [.orphans[].holders[] | select(.path == "/residue-churn-file")] != [] then "a churn file became an orphan"
		elif [.namespaces[] | select((.ns_id | IN($base[])) | not) | select(.holders == [])] != []
			then "a new process-less namespace with no holder"
		else "ok" end' "$T_JSON.run" 2>&1)
	if ((rc != 0)) || [[ $verdict != ok ]]; then
		bad=$((bad + 1))
		t_log "run $runs: rc $rc: $verdict"
	fi
done
wait "$churn_pid" 2>/dev/null
t_log "$runs scans during the churn"
t_check "residue ran at least 10 times during the churn" test "$runs" -ge 10
t_check "every run exited 0, found the real orphan and nothing from the churn" test "$bad" -eq 0
t_done
