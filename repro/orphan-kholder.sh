#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (m) A tmpfs no process holds, kept by a kernel object behind a process's fd.  Run as root;
# prints shell-evaluable lines describing the leak and leaves it in place.  MODE: io_uring
# (default: a dead container's file registered in a ring), fscontext (a tmpfs an fsopen()
# context created and keeps, never mounted in a namespace).
# Usage: repro/orphan-kholder.sh [MODE] >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_orphan_kholder "$@"
