#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (g) ext4 on an autoclear loop device outlives its namespace, a file held open for writing (risk data-loss).
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/ext4-write.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_ext4_write
