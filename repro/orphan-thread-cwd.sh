#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (c') A thread that unshared its fs_struct keeps the orphan as its cwd; the process itself does not.
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/orphan-thread-cwd.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_orphan_thread_cwd
