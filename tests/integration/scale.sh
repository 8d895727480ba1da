#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The scale limits of issue 9, small: bench/scale at 10 000 mounts in one namespace, 200
# namespaces with a process plus 1 100 that only nsfs fds keep (more than the 1 024 descriptors
# a service gets, which residue once ran out of), and 50 000 open descriptors.  Each time residue's
# answers (orphans -J on both tiers, --json, mounts -J) are checked against /proc and against the
# leaks the world planted, exactly; nothing is timed.  `make scale` runs the full sizes with
# timings (docs/PERFORMANCE.md, "Scale limits").
set -euo pipefail
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
export SCALE_MOUNTS=10000 SCALE_NS=200 SCALE_NS_FDONLY=1100 SCALE_FDS=50000
export SCALE_REPS=0 SCALE_TOOLS=0
rc=0
"$here/../../bench/scale" || rc=$?
((rc == 2)) && echo "FAIL: bench/scale could not build or measure a world"
exit "$rc"
