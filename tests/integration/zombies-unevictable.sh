#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A zombie memory cgroup pinned by unevictable page cache (repro_case_zombies_unevictable: a file
# on a ramfs in a private mount namespace).  Such folios are on no LRU list, so the LRU walk cannot
# see them: residue must notice (lru_zone_size counts them), say so in kernel_view.lru_fallback and
# find the zombie's file with the inode walk instead, with its bytes.  The old walk alone found it
# too; the point is that the default does not silently lose it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_zombies_unevictable

IFS=: read -r name size _ <<<"$Z_PINNED"
t_zombies
if ! jq -e '.kernel_view.used' "$T_JSON" >/dev/null; then
	t_skip "no kernel view: $(jq -r '.kernel_view.error' "$T_JSON")"
fi
a=(--arg cg "$Z_PARENT/$name" --argjson size "$size")
t_expect "1 zombie, by the kernel view" '.count.zombies == 1 and .count.source == "bpf"'
t_expect "unevictable pages: the inode walk found the files, and says why not the LRU walk" \
	'.kernel_view.method == "inodes" and .kernel_view.complete
	and (.kernel_view.lru_fallback | test("unevictable"))'
t_expect "zombie $name: pinned by one file of $size bytes" "${a[@]}" \
	'[.files[] | select(.cgroup == $cg) | .bytes] == [$size]'
t_expect "zombie $name: its file, /pin.data of a memory filesystem no mount here shows" "${a[@]}" \
	'[.files[] | select(.cgroup == $cg) | .fs_path, .path, .release] == ["/pin.data", null, "shmem"]'
t_done
