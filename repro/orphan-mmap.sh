#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (b) The seed's case: only a 4 KiB shared mapping of a file keeps the whole tmpfs; the fd is closed.
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/orphan-mmap.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_orphan_mmap
