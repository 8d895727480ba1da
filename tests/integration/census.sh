#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The mount census (residue mounts -J) against namespaces built as runtimes build them
# (repro/census.sh): for each masking style the exact directory and file mask counts, the style
# and the tmpfs superblocks the masks use; the mount count of each namespace equal to the lines
# of its own /proc/PID/mountinfo (the kernel's view, read before residue ran); a stacked
# duplicate named with its target and count; a namespace with no process listed with its
# mounts; and the host finding about one tmpfs per mask.  With RESIDUE_CENSUS_ARGS=--fallback
# the same through /proc and mountinfo only (no process-less namespace can be found then).
# Namespaces are found by their 64-bit id; where the kernel gives none (no NS_GET_MNTNS_ID
# before 6.11: the repro reads 0) by their nsfs inode, and residue must say ns_id null there.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=repro/census.sh
. "$T_TOP/repro/census.sh"
t_init
for f in $REPRO_MASK_DIRS; do [[ -d /proc/$f ]] || t_skip "no /proc/$f to mask here"; done
for f in $REPRO_MASK_FILES; do [[ -e /proc/$f ]] || t_skip "no /proc/$f to mask here"; done
t_repro repro_case_census
# shellcheck disable=SC2086
"$RESIDUE" mounts -J ${RESIDUE_CENSUS_ARGS:-} >"$T_JSON" 2>"$REPRO_DIR/residue.err" ||
	t_bail "residue mounts -J failed: $(head -c 2000 "$REPRO_DIR/residue.err")"

if [[ $TMPFS_NS_ID != 0 ]]; then key=ns_id; else key=inode; fi
t_log "namespaces found by $key"
ns_key() { # NAME: its ns_id or its inode, as $key says
	local v=${1}_NS_ID
	[[ $key == inode ]] && v=${1}_NS_INO
	echo "${!v}"
}
row=".namespaces[] | select(.$key == \$id)"
check_style() { # NAME VAR MOUNTS STYLE MASK_SUPERBLOCKS
	local a=(--argjson id "$(ns_key "$2")")
	t_expect "$1: one row" "${a[@]}" "[$row] | length == 1"
	if [[ $key == inode ]]; then
		t_expect "$1: ns_id null, the kernel has none" "${a[@]}" "[$row | .ns_id] == [null]"
	else
		local ino=${2}_NS_INO
		t_expect "$1: its inode" "${a[@]}" --argjson v "${!ino}" "[$row | .inode] == [\$v]"
	fi
	t_expect "$1: $3 mounts, as its mountinfo says" "${a[@]}" --argjson v "$3" "[$row | .mounts] == [\$v]"
	t_expect "$1: masking $4" "${a[@]}" --arg v "$4" "[$row | .masking] == [\$v]"
	t_expect "$1: $MASK_DIRS directory masks, $MASK_FILES file masks" "${a[@]}" \
		--argjson d "$MASK_DIRS" --argjson f "$MASK_FILES" \
		"[$row | .dir_masks == \$d and .file_masks == \$f] == [true]"
	t_expect "$1: its masks use $5 tmpfs superblocks" "${a[@]}" --argjson v "$5" \
		"[$row | .mask_superblocks] == [\$v]"
	t_expect "$1: a process and its pid" "${a[@]}" "[$row | .processes >= 1 and (.pid | type) == \"number\"] == [true]"
}
check_style tmpfs-per-mask TMPFS "$TMPFS_MOUNTS" tmpfs-per-mask "$MASK_DIRS"
check_style shared-tmpfs SHARED "$SHARED_MOUNTS" shared-tmpfs 1
check_style shared-dir DIR "$DIR_MOUNTS" shared-dir 0

a=(--argjson id "$(ns_key STACK)")
t_expect "stack: no masks" "${a[@]}" "[$row | .masking, .dir_masks] == [\"none\", 0]"
t_expect "stack: $STACK_MOUNTS mounts" "${a[@]}" --argjson v "$STACK_MOUNTS" "[$row | .mounts] == [\$v]"
t_expect "stack: dupsrc stacked 3 times on $STACK_TARGET" "${a[@]}" --arg t "$STACK_TARGET" \
	"[.duplicates[] | select(.$key == \$id and .kind == \"stacked\" and .target == \$t) | .count, .source] == [3, \"dupsrc\"]"
name=$STACK_NS_ID
[[ $key == inode ]] && name="mnt:[$STACK_NS_INO]"
t_expect "stack: a duplicate-mounts finding names it ($name)" "${a[@]}" --arg n "namespace $name:" \
	"[.findings[] | select(.kind == \"duplicate-mounts\" and .$key == \$id and (.text | contains(\$n)))] | length == 1"
t_expect "no duplicate in the masking namespaces" --argjson a "$(ns_key TMPFS)" \
	--argjson b "$(ns_key SHARED)" --argjson c "$(ns_key DIR)" \
	"[.duplicates[] | select(.$key == \$a or .$key == \$b or .$key == \$c)] == []"
t_expect "a tmpfs-per-mask finding counts at least its $MASK_DIRS superblocks" --argjson v "$MASK_DIRS" \
	'[.findings[] | select(.kind == "tmpfs-per-mask")] | length == 1 and (.[0].text | test("superblocks"))'
t_expect "host: mask superblocks >= $((MASK_DIRS + 1)), saving >= $((MASK_DIRS - 1)) if shared" \
	--argjson m "$((MASK_DIRS + 1))" --argjson s "$((MASK_DIRS - 1))" \
	'.host.mask_superblocks >= $m and .host.mask_superblocks_saved_if_shared >= $s'
t_expect "host: fs.mount-max as the kernel says" --argjson v "$(cat /proc/sys/fs/mount-max)" '.host.mount_max == $v'

a=(--argjson id "$(ns_key LONELY)")
# Only the nsfs walk (6.12) finds a namespace no process is in; a kernel without ids has none.
if [[ -z ${RESIDUE_CENSUS_ARGS:-} && $key == ns_id ]]; then
	t_expect "lonely: listed though no process is in it" "${a[@]}" "[$row | .processes, .pid] == [0, null]"
	t_expect "lonely: its $LONELY_MOUNTS mounts, read with statmount" "${a[@]}" \
		--argjson v "$LONELY_MOUNTS" "[$row | .mounts] == [\$v]"
else
	t_expect "no nsfs walk: a namespace with no process cannot be seen" "${a[@]}" "[$row] == []"
fi
t_done
