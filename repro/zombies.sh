#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Zombie memory cgroups: K removed memory cgroups each kept alive by the page cache of one file a
# process in it wrote, J removed ones that pinned nothing (freed at once), and one live cgroup with
# cached files -- all below the caller's own memory cgroup.  A keeper rereads the files so idle-page
# reclaim does not free the zombies.  Run as root; prints shell-evaluable lines.
# Usage: repro/zombies.sh [K] [J] >state; residue zombies --cgroup "$Z_PARENT"; repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_zombies "$@"
