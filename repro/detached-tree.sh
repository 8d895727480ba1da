#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (e) A clone of a container's tmpfs from open_tree(OPEN_TREE_CLONE), never attached, outlives the container (state detached).
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/detached-tree.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_detached_tree
