#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (j) A mount namespace with no process left, kept alive by an nsfs bind mount in a living keeper namespace.
# Run as root; prints shell-evaluable lines describing the leak and leaves it in place.
# Usage: repro/ns-bind.sh >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_ns_bind
