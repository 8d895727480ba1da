#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (k) A dead container's tmpfs kept by a loop device bound to one of its files: no process holds it.
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/orphan-loop.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_orphan_loop
