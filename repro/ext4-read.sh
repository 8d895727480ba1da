#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (h) ext4 on an autoclear loop device outlives its namespace, a file held read-only (risk none).
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/ext4-read.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_ext4_read
