#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (n) A tmpfs no process holds, kept by a kernel object residue does not name: a dead container's
# FIFO whose read waits in an io_uring ring after its fd was closed.  Run as root; prints
# shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/orphan-unnamed.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_orphan_unnamed "$@"
