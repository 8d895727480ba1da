#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Look-alikes residue must NOT report: live tmpfs held from outside, memfd, deleted /dev/shm file, nsfs fd of a live namespace, ordinary file on /.
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/controls.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_controls
