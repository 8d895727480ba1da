#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (l) A dead container's tmpfs kept by a file in flight: sent with SCM_RIGHTS over a unix
# socketpair, never received.  Run as root; prints shell-evaluable lines describing the leak and
# leaves it in place.  MODE: inflight (default), inflight-nested (inside a socket itself in
# flight), inflight-embryo (to a connection not yet accepted).
# Usage: repro/orphan-inflight.sh [MODE] >state; residue orphans; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_orphan_inflight "$@"
