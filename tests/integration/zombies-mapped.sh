#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Zombie memory cgroups, one pinned by a file a live process maps (repro_case_zombies_mapped): three
# zombies, the third one's file mapped, every page faulted in, by residue-hold in a live cgroup
# "mapper" started after the zombie's cgroup was removed.  POSIX_FADV_DONTNEED cannot drop mapped
# pages, so the dry run must name the mapper (pid, comm, cgroup), not count that file as droppable
# and predict exactly two zombies freed; --yes must free those two and say so; --pageout-mapped
# (process_madvise MADV_PAGEOUT on the mapper) must predict and free the third.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_zombies_mapped 3 0


t_zombies
if ! jq -e '.kernel_view.used' "$T_JSON" >/dev/null; then
	t_skip "no kernel view: $(jq -r '.kernel_view.error' "$T_JSON")"
fi
IFS=: read -r mname msize mfile <<<"$Z_MAPPED"
mcg=$Z_PARENT/$mname
others=()
for spec in $Z_PINNED; do
	IFS=: read -r name _ file <<<"$spec"
	[[ $name == "$mname" ]] || others+=("$file")
done
t_expect "3 zombies" '.count.zombies == 3'
# Independent view: the mapper's /proc/PID/maps maps the file, and fincore has it all in memory.
grep -q " $(stat -c %i "$mfile") *$mfile\$" "/proc/$Z_MAPPER_PID/maps" ||
	t_bail "the mapper does not map $mfile"
t_expect "the mapped zombie's file is listed as keep-mapped in the scan" --arg f "$mfile" \
	'[.files[] | select(.path == $f) | .release] == ["keep-mapped"]'
t_expect "the other files would still be dropped" --arg f "$mfile" \
	'[.files[] | select(.path != $f) | .release] == ["drop", "drop"]'
# The LRU walk (the default) and the walk of every inode count the same mapped and shared pages.
t_expect "the files were found on the zombies' LRU lists" '.kernel_view.method == "lru"'
t_walks_agree "the LRU walk and the inode walk agree on the files and their mapped pages" \
	'[.actions[] | {target, action, cgroup, bytes, mapped_bytes}] | sort_by(.target)' --release

# The dry run.
t_zombies --release
a='.actions[] | select(.target == $f)'
m=(--arg f "$mfile" --argjson pid "$Z_MAPPER_PID" --arg cg "$Z_MAPPER_CG" --arg z "$mcg")
t_expect "dry run: the mapped file is kept, for its zombie" "${m[@]}" \
	"[$a | .action, .cgroup] == [\"keep-mapped\", \$z]"
t_expect "dry run: it names the mapper: pid, comm, cgroup" "${m[@]}" \
	"[$a | .mapped_by] == [[{pid: \$pid, comm: \"residue-hold\", cgroup: \$cg}]]"
t_expect "dry run: all of its $msize bytes are mapped (-5 %)" "${m[@]}" --argjson s "$msize" \
	"[$a | .mapped_bytes | . <= \$s and . >= \$s * 0.95] == [true]"
t_expect "dry run: the two other files are drops, named by no mapper" \
	--arg a "${others[0]}" --arg b "${others[1]}" \
	'[.actions[] | select(.action == "drop") | .target] | sort == ([$a, $b] | sort)'
t_expect "dry run: 2 droppable files, 1 mapped, nothing else" \
	'.files == 2 and .mapped_files == 1 and (.actions | length) == 3'
t_expect "dry run: freed is the prediction, exactly the two other zombies" \
	'.dry_run == true and .freed == 2 and .predicted_freed == 2'
t_zombies --release --pageout-mapped
t_expect "dry run with --pageout-mapped: the mapped file would be paged out, 3 freed" "${m[@]}" \
	"[$a | .action] == [\"pageout\"] and .files == 3 and .mapped_files == 0 and .freed == 3"
t_zombies
t_expect "after the dry runs the 3 zombies are still there" '.count.zombies == 3'

# For real, without the opt-in: exactly the prediction.
t_zombies --release --yes
t_expect "release: the mapped file is kept, two dropped, none failed" "${m[@]}" \
	"[$a | .action] == [\"keep-mapped\"] and ([.actions[] | select(.action == \"dropped\")] | length) == 2 and .failed == 0"
t_expect "release: freed 2, as predicted; the mapped zombie is left" \
	'.freed == 2 and .predicted_freed == 2 and .zombies_after == 1'
t_zombies
t_expect "a new scan finds only the mapped zombie" --arg z "$mcg" \
	'.count.zombies == 1 and [.zombies[].path] == [$z]'
kill -0 "$Z_MAPPER_PID" || t_bail "the mapper died"

# The opt-in: MADV_PAGEOUT moves the pages out of the mapper; it faults them back, charged to the living.
t_zombies --release --yes --pageout-mapped
t_expect "release --pageout-mapped: paged out, predicted 1, freed 1, none left" "${m[@]}" \
	"[$a | .action] == [\"paged-out\"] and .failed == 0 and .predicted_freed == 1 and .freed == 1 and .zombies_after == 0"
t_zombies
t_expect "a new scan finds no zombie below the parent" '.count.zombies == 0'
kill -0 "$Z_MAPPER_PID" || t_bail "the mapper died after the page-out"
t_done
