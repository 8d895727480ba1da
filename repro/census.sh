#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mount namespaces for the census (residue mounts), as runtimes build them:
#   TMPFS  masks 4 directories under /proc with one read-only tmpfs each (runc < 1.3.6),
#   SHARED masks them with one read-only tmpfs bind-mounted over each (runc >= 1.3.6),
#   DIR    masks them with binds of one empty read-only directory (crun >= 1.24),
# each also masking 2 files with /dev/null; STACK mounts one tmpfs 3 times on one target; and
# LONELY is a namespace with no process, kept by an nsfs fd, with 2 mounts of its own.
# Run as root; prints KEY=value lines (namespace ids, 0 where the kernel has no NS_GET_MNTNS_ID
# (6.11), and nsfs inodes; mount counts read from mountinfo by the kernel, independent of
# residue) and leaves them in place: repro/cleanup.sh STATE.
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"

REPRO_MASK_DIRS="bus fs irq tty"
REPRO_MASK_FILES="keys timer_list"

# shellcheck disable=SC2016 # expanded by the namespace's shell
REPRO_CENSUS_SH='
set -e
style=$1 dir=$2
mkdir -p "$dir/shared" "$dir/empty" "$dir/a" "$dir/b"
case $style in
tmpfs)	for d in '"$REPRO_MASK_DIRS"'; do mount -t tmpfs -o ro,size=4k mask /proc/$d; done ;;
shared)	mount -t tmpfs -o ro,size=4k shared "$dir/shared"
	for d in '"$REPRO_MASK_DIRS"'; do mount --bind -o ro "$dir/shared" /proc/$d; done ;;
dir)	for d in '"$REPRO_MASK_DIRS"'; do mount --bind -o ro "$dir/empty" /proc/$d; done ;;
stack)	mount -t tmpfs -o size=4k dupsrc "$dir/a"
	for i in 1 2 3; do mount --bind "$dir/a" "$dir/b"; done ;;
lonely)	mount -t tmpfs -o size=4k lonely1 "$dir/a"; mount -t tmpfs -o size=4k lonely2 "$dir/b" ;;
esac
if [ "$style" = tmpfs ] || [ "$style" = shared ] || [ "$style" = dir ]; then
	for f in '"$REPRO_MASK_FILES"'; do mount --bind /dev/null /proc/$f; done
fi
echo "ready mounts=$(wc -l < /proc/self/mountinfo)"
exec sleep infinity
'

repro_census_ns() {
	local var=$1 style=$2 ready
	mkdir -p "$REPRO_DIR/$style"
	repro_start "$var" unshare -m --propagation private -- sh -c "$REPRO_CENSUS_SH" sh \
		"$style" "$REPRO_DIR/$style" || return
	ready=${var}_READY
	printf -v "${var}_MOUNTS" %s "$(repro_field "${!ready}" mounts)"
	local pid=${var}_PID
	printf -v "${var}_NS_ID" %s "$("$REPRO_HOLD" nsid "/proc/${!pid}/ns/mnt")"
	printf -v "${var}_NS_INO" %s "$(stat -L -c %i "/proc/${!pid}/ns/mnt")"
}

repro_case_census() {
	local s
	for s in TMPFS SHARED DIR STACK LONELY; do
		repro_census_ns "$s" "$(tr '[:upper:]' '[:lower:]' <<<"$s")" || return
	done
	# LONELY: keep it by an fd, then let its only process go.
	repro_holder LHOLD nsfd "/proc/$LONELY_PID/ns/mnt" || return
	repro_kill "$LONELY_PID"
	repro_set TMPFS_NS_ID="$TMPFS_NS_ID" TMPFS_NS_INO="$TMPFS_NS_INO" TMPFS_MOUNTS="$TMPFS_MOUNTS" \
		SHARED_NS_ID="$SHARED_NS_ID" SHARED_NS_INO="$SHARED_NS_INO" SHARED_MOUNTS="$SHARED_MOUNTS" \
		DIR_NS_ID="$DIR_NS_ID" DIR_NS_INO="$DIR_NS_INO" DIR_MOUNTS="$DIR_MOUNTS" \
		STACK_NS_ID="$STACK_NS_ID" STACK_NS_INO="$STACK_NS_INO" STACK_MOUNTS="$STACK_MOUNTS" \
		STACK_TARGET="$REPRO_DIR/stack/b" \
		LONELY_NS_ID="$LONELY_NS_ID" LONELY_NS_INO="$LONELY_NS_INO" LONELY_MOUNTS="$LONELY_MOUNTS" \
		MASK_DIRS=4 MASK_FILES=2
}

[[ ${BASH_SOURCE[0]} == "$0" ]] && repro_main repro_case_census
