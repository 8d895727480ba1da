#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Re-captures the machine-made cgroupfs samples in this directory (see
# ../README.md).  Read-only: it only cats files below /sys/fs/cgroup and
# /proc, and creates or removes no cgroup.  Expects a hybrid host (v1 memory
# at /sys/fs/cgroup/memory, v2 at /sys/fs/cgroup/unified); the child cgroups
# are the first two levels below the v1 memory root that exist.  The values
# pinned in tests/unit/test-cgfmt.c must be updated after a re-capture.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
v1=/sys/fs/cgroup/memory
v2=/sys/fs/cgroup/unified

mid=$(find "$v1" -mindepth 1 -maxdepth 1 -type d | sort | head -n1)
leaf=$(find "$mid" -mindepth 1 -maxdepth 1 -type d | sort | head -n1)

cat /proc/cgroups >"$out/proc-cgroups.txt"
cat "$v1/memory.stat" >"$out/v1-memory-stat-root.txt"
cat "$mid/memory.stat" >"$out/v1-memory-stat-parent.txt"
cat "$leaf/memory.stat" >"$out/v1-memory-stat-leaf.txt"
cat "$v2/cgroup.stat" >"$out/v2-cgroup-stat-root.txt"
cat "$v2/cgroup.controllers" >"$out/v2-cgroup-controllers-root.txt"
cat "$v2/cgroup.subtree_control" >"$out/v2-cgroup-subtree-control-root.txt"
