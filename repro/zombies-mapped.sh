#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Zombie memory cgroups, one of them pinned by a file a live process maps: repro/zombies.sh's K
# zombies, then the last zombie's file mapped by residue-hold in a live cgroup "mapper" (started
# after the zombie's cgroup was removed, so the charge stays with the zombie).  fadvise cannot drop
# mapped pages: `residue zombies --release` must say who maps them and not count that zombie.
# Usage: repro/zombies-mapped.sh [K] [J] >state; residue zombies --release --cgroup "$Z_PARENT";
# repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_zombies_mapped "$@"
