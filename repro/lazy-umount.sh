#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (f) umount -l of a tmpfs inside a still-living private namespace while an fd from outside holds a file (state orphaned).
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/lazy-umount.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_lazy_umount
