#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (k) An orphaned FUSE filesystem whose daemon never answers, held by an O_PATH fd from outside,
# beside a live container with the same stalled FUSE mounted.  Anything that asks either
# filesystem a question (stat, df, ls) hangs until cleanup; residue must not.
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/fuse-hung.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_fuse_hung
