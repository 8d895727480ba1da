#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A zombie memory cgroup pinned by unevictable page cache: a file on a ramfs (mounted in a private
# mount namespace a keeper holds) that a process in the zombie-to-be's cgroup wrote.  ramfs folios
# are on no LRU list, so `residue zombies` must find them with the inode walk and say why.
# Usage: repro/zombies-unevictable.sh [SIZE] >state; residue zombies --cgroup "$Z_PARENT";
# repro/cleanup.sh state
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"
repro_main repro_case_zombies_unevictable "$@"
