#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `promtool check metrics` on residue's golden Prometheus exposition (test-report.c renders it):
# metric and label names, HELP/TYPE lines, counters ending in _total, base units.  Skips (77)
# where Debian's prometheus package (which ships promtool) is not installed.
set -euo pipefail
file=$1
command -v promtool >/dev/null || { echo "SKIP: promtool is not installed"; exit 77; }
[[ -s $file ]] || { echo "FAIL: $file is missing or empty"; exit 1; }
if out=$(promtool check metrics <"$file" 2>&1); then
	echo "ok - promtool check metrics $file"
	exit 0
fi
echo "FAIL: promtool check metrics $file:"
echo "$out"
exit 1
