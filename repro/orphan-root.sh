#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (d) A container's tmpfs outlives its mount namespace, held by a process's root (chroot).
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/orphan-root.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_orphan_root
