# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the reproducers (repro/*.sh) and the integration tests (tests/integration/): build one
# leaked kernel object at a time -- a filesystem or a mount namespace that outlives its "container"
# because something outside still holds it -- and the look-alikes residue must not report, check
# each against the kernel's own view (/proc links, map_files, statfs, mountinfo), describe it as
# shell-evaluable KEY=value lines, and take it all down again.  The rules kept here: mounts happen
# only inside mount namespaces created here (never in the caller's), the only loop devices touched
# are those backed by our own image file (mount -o loop sets autoclear) or those losetup gave us
# (REPRO_LOOPS, detached by that name), and only processes started
# here are killed, identified by pid *and* start time so a reused pid is never hit.
# shellcheck shell=bash
# Case results are globals set through printf -v (repro_set), hence:
# shellcheck disable=SC2153,SC2034

REPRO_TIMEOUT=${REPRO_TIMEOUT:-60}
REPRO_PAGE=4096
# What every container writes into its filesystem: PATH:BYTES, relative to the filesystem root.
# "held" is what the outside holder opens; the rest is what it keeps alive with it.
REPRO_FILES="big:33554432 held:4096 small:10000 sub/nested:100000 empty:0"
REPRO_HELD_BYTES=4096

# Runs inside `unshare -m --propagation private`: mount, fill, report, then sleep until killed.
# $1 dir, $2 tmpfs|ext4, $3 name, $4 image (ext4), then PATH:BYTES specs.
# shellcheck disable=SC2016
REPRO_CONTAINER_SH='
set -e
dir=$1 kind=$2 name=$3 img=$4
shift 4
if [ "$kind" = ext4 ]; then
	mount -o loop "$img" "$dir"
else
	mount -t tmpfs -o size=64m "repro-$name" "$dir"
fi
for spec; do
	p=$dir/${spec%%:*}
	mkdir -p "${p%/*}"
	head -c "${spec##*:}" /dev/zero >"$p"
done
echo "ready $$ dev=$(stat -c %Hd:%Ld "$dir") mounts=$(wc -l </proc/self/mountinfo)"
exec sleep infinity
'

# Runs inside `unshare -m --propagation private`: a tmpfs on $1/lower filled with the PATH:BYTES
# specs, an overlay on $1/merged with that lower layer (upper and work on a tmpfs of their own),
# then the lower tmpfs unmounted (the overlay keeps a private clone of its mount), then sleep until
# killed.  (A layer must be mounted in the mounter's namespace: clone_private_mount().)
# shellcheck disable=SC2016
REPRO_OVERLAY_SH='
set -e
dir=$1
shift
mount -t tmpfs repro-overlay-upper "$dir"
mkdir "$dir/lower" "$dir/up" "$dir/work" "$dir/merged"
mount -t tmpfs -o size=64m repro-overlay-lower "$dir/lower"
for spec; do
	p=$dir/lower/${spec%%:*}
	mkdir -p "${p%/*}"
	head -c "${spec##*:}" /dev/zero >"$p"
done
dev=$(stat -c %Hd:%Ld "$dir/lower")
mount -t overlay repro-overlay -o "lowerdir=$dir/lower,upperdir=$dir/up,workdir=$dir/work" "$dir/merged"
umount "$dir/lower"
echo "ready $$ dev=$dev ovl=$(stat -c %Hd:%Ld "$dir/merged")"
exec sleep infinity
'

repro_log() { echo "repro: $*" >&2; }

# Sum of REPRO_FILES sizes and how many files there are (the pinned-bytes tolerance is a page each).
repro_file_bytes() {
	local spec sum=0
	for spec in $REPRO_FILES; do sum=$((sum + ${spec##*:})); done
	echo "$sum"
}
# shellcheck disable=SC2086 # split on purpose
repro_file_count() { set -- $REPRO_FILES; echo $#; }

# Field 22 of /proc/PID/stat (start time in clock ticks); the comm before it may hold spaces.
repro_starttime() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo "${20}"
}

# True while PID@STARTTIME names a process that has not exited (zombies have released everything).
repro_tag_alive() {
	local pid=${1%@*} start=${1#*@} s
	[[ $(repro_starttime "$pid") == "$start" ]] || return 1
	s=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[[ ${s:0:1} != Z ]]
}

repro_hold_bin() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [[ -n ${RESIDUE_HOLD:-} ]]; then
		echo "$RESIDUE_HOLD"
	elif [[ -x $here/../build/repro/residue-hold ]]; then
		echo "$here/../build/repro/residue-hold"
	else
		command -v residue-hold
	fi
}

# Set up REPRO_DIR and the bookkeeping.  Returns 77 when this host cannot run reproducers at all.
repro_init() {
	if [[ $(id -u) != 0 ]]; then
		repro_log "needs root (mount namespaces, /proc of other processes)"
		return 77
	fi
	REPRO_HOLD=$(repro_hold_bin)
	if [[ ! -x $REPRO_HOLD ]]; then
		repro_log "no residue-hold binary: build with make, or set RESIDUE_HOLD"
		return 77
	fi
	if ! unshare -m --propagation private true 2>/dev/null; then
		repro_log "cannot create a mount namespace (unshare -m)"
		return 77
	fi
	REPRO_DIR=$(mktemp -d /tmp/residue-repro.XXXXXX) || return 1
	: >"$REPRO_DIR/log"
	REPRO_PIDS="" REPRO_IMAGES="" REPRO_SHM="" REPRO_KEYS="" REPRO_CGROUPS="" REPRO_ZDIRS=""
	REPRO_LOOPS=""
}

# repro_start VAR CMD...: run CMD in the background with stdout on a fifo and wait for its line
# starting with "ready"; sets VAR_PID and VAR_READY.  Returns the child's status if it dies first
# (77 from residue-hold means "kernel lacks this"), 1 on timeout.
repro_start() {
	local var=$1 fifo fd line="" part="" pid tag rc deadline
	shift
	fifo=$REPRO_DIR/ready.$var
	mkfifo "$fifo" || return 1
	# Read-write, so opening never blocks; liveness is checked while waiting instead of via EOF.
	exec {fd}<>"$fifo"
	# The child keeps only its write end; a started process must hold nothing else of ours.
	(exec {fd}<&- && exec "$@") >"$fifo" 2>>"$REPRO_DIR/log" </dev/null &
	pid=$!
	tag=$pid@$(repro_starttime "$pid")
	REPRO_PIDS+=" $tag"
	deadline=$((SECONDS + REPRO_TIMEOUT))
	while :; do
		# A read that times out keeps what arrived of an unfinished line in part: add it up,
		# or a line written in two pieces on a slow machine would never match.
		if read -r -t 0.2 -u "$fd" part; then
			line+=$part
			[[ $line == ready* ]] && break
			line=""
		else
			line+=$part
		fi
		if ! repro_tag_alive "$tag"; then
			wait "$pid"
			rc=$?
			exec {fd}<&-
			repro_log "$var ($*) exited with $rc before it was ready; log: $(tail -n 3 "$REPRO_DIR/log")"
			return $((rc == 77 ? 77 : 1))
		fi
		if ((SECONDS > deadline)); then
			exec {fd}<&-
			repro_log "$var ($*) not ready after ${REPRO_TIMEOUT}s"
			return 1
		fi
	done
	exec {fd}<&-
	rm -f "$fifo"
	printf -v "${var}_PID" %s "$pid"
	printf -v "${var}_READY" %s "$line"
}

# The value of KEY=value in a ready line.
repro_field() {
	local tok
	for tok in $1; do
		[[ $tok == "$2="* ]] && { echo "${tok#*=}"; return 0; }
	done
	return 1
}

# repro_container VAR tmpfs|ext4 NAME: a "container" = a private mount namespace whose only process
# mounted a filesystem on VAR_DIR and filled it with REPRO_FILES.  Sets VAR_PID (the namespace's
# process), VAR_DIR, VAR_DEV (MAJ:MIN), VAR_MOUNTS (mounts in its namespace) and VAR_IMAGE (ext4).
repro_container() {
	local var=$1 kind=$2 name=$3 dir img="-" rc
	dir=$REPRO_DIR/$name
	mkdir -p "$dir"
	if [[ $kind == ext4 ]]; then
		if [[ ! -e /dev/loop-control ]] || ! command -v mkfs.ext4 >/dev/null; then
			repro_log "no loop devices or no mkfs.ext4"
			return 77
		fi
		img=$REPRO_DIR/$name.img
		truncate -s 128M "$img" && mkfs.ext4 -q -F "$img" >>"$REPRO_DIR/log" 2>&1 || return 1
		REPRO_IMAGES+=" $img"
		printf -v "${var}_IMAGE" %s "$img"
	fi
	# shellcheck disable=SC2086
	repro_start "$var" unshare -m --propagation private -- \
		sh -c "$REPRO_CONTAINER_SH" sh "$dir" "$kind" "$name" "$img" $REPRO_FILES
	rc=$?
	if ((rc != 0)); then
		# A loop mount that fails on a host without a loop driver is a missing feature.
		[[ $kind == ext4 ]] && grep -q "loop" "$REPRO_DIR/log" && rc=77
		return $rc
	fi
	local ready=${var}_READY
	printf -v "${var}_DIR" %s "$dir"
	printf -v "${var}_DEV" %s "$(repro_field "${!ready}" dev)"
	printf -v "${var}_MOUNTS" %s "$(repro_field "${!ready}" mounts)"
}

# repro_holder VAR MODE ARGS...: start residue-hold; sets VAR_PID, VAR_FD, VAR_NS_ID, VAR_ADDR.
repro_holder() {
	local var=$1 ready
	shift
	repro_start "$var" "$REPRO_HOLD" "$@" || return
	ready=${var}_READY
	printf -v "${var}_FD" %s "$(repro_field "${!ready}" fd || echo null)"
	printf -v "${var}_NS_ID" %s "$(repro_field "${!ready}" ns_id || echo 0)"
	printf -v "${var}_ADDR" %s "$(repro_field "${!ready}" addr)"
}

# Kill one process started here and wait until it has released everything (a child is reaped, so
# by then its namespaces and files are gone; another's is polled until exit or zombie).
repro_kill_tag() {
	local tag=$1 pid=${1%@*} n=0
	repro_tag_alive "$tag" || { wait "$pid" 2>/dev/null; return 0; }
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	while repro_tag_alive "$tag"; do
		((++n > 500)) && { repro_log "pid $pid did not exit"; return 1; }
		sleep 0.02
	done
}
repro_kill() {
	local tag
	for tag in $REPRO_PIDS; do
		[[ ${tag%@*} == "$1" ]] && repro_kill_tag "$tag"
	done
	return 0
}

# Undo everything recorded in REPRO_PIDS / REPRO_LOOPS / REPRO_IMAGES / REPRO_SHM / REPRO_DIR.
# Idempotent.
repro_teardown() {
	local tag img dev dir n rc=0
	for tag in $REPRO_PIDS; do
		repro_kill_tag "$tag" || rc=1
	done
	REPRO_PIDS=""
	# Loop devices losetup gave us (recorded as MAJ:MIN@/dev/loopN, so that a name freed and
	# taken by someone else is left alone): detaching the last one frees the tmpfs they kept.
	for tag in ${REPRO_LOOPS:-}; do
		dev=${tag#*@}
		[[ $dev == /dev/loop[0-9]* && $(stat -c '%Hr:%Lr' "$dev" 2>/dev/null) == "${tag%@*}" ]] || continue
		if losetup "$dev" >/dev/null 2>&1 && ! losetup -d "$dev"; then
			repro_log "cannot detach $dev"
			rc=1
		fi
	done
	REPRO_LOOPS=""
	for img in $REPRO_IMAGES; do
		# Autoclear detaches the loop device once the last reference to the filesystem is gone.
		n=0
		while [[ -n $(losetup -j "$img" 2>/dev/null) ]] && ((n++ < 250)); do sleep 0.02; done
		for dev in $(losetup -j "$img" -n -O NAME 2>/dev/null); do
			repro_log "loop device $dev still backed by $img; detaching it"
			losetup -d "$dev" || rc=1
		done
	done
	REPRO_IMAGES=""
	for img in $REPRO_SHM; do
		[[ $img == /dev/shm/residue-repro.* ]] && rm -f "$img"
	done
	REPRO_SHM=""
	# Deleting the files drops their page cache, which frees the zombies it pinned; then the
	# cgroups go, deepest first (their processes were killed above).
	for dir in ${REPRO_ZDIRS:-}; do
		[[ $dir == /var/tmp/residue-zombies.* && -d $dir ]] && rm -rf "$dir"
	done
	REPRO_ZDIRS=""
	for dir in ${REPRO_CGROUPS:-}; do
		[[ ($dir == */residue-zombies.* || $dir == */residue-zombies-ue.* ||
			$dir == */residue-watch.* || $dir == */residue-stress.*) &&
			-d $dir ]] || continue
		# residue-churn's own cgroups, if it was killed before it removed them.
		rmdir "$dir"/churn-* 2>/dev/null
		# What is still charged below it (page cache of files we read, metadata blocks of
		# the filesystem) would keep its removed children as zombies: reclaim it, ours only.
		if [[ -e $dir/memory.force_empty ]]; then
			echo 0 >"$dir/memory.force_empty" 2>/dev/null
		elif [[ -e $dir/memory.reclaim ]]; then
			echo 1G >"$dir/memory.reclaim" 2>/dev/null
		fi
		n=0
		while ! rmdir "$dir" 2>/dev/null && [[ -d $dir ]]; do
			((n++ > 250)) && { repro_log "cannot remove cgroup $dir"; rc=1; break; }
			sleep 0.02
		done
	done
	REPRO_CGROUPS=""
	if [[ -n ${REPRO_DIR:-} && $REPRO_DIR == /tmp/residue-repro.* && -d $REPRO_DIR ]]; then
		# Nothing is ever mounted here in this namespace; refuse to recurse if something is.
		if grep -q " ${REPRO_DIR}[/ ]" /proc/self/mountinfo; then
			repro_log "something is mounted under $REPRO_DIR; leaving it"
			rc=1
		else
			rm -rf "$REPRO_DIR"
		fi
	fi
	REPRO_DIR=""
	return $rc
}

# Record KEY=value pairs as globals and remember them for repro_emit.
repro_set() {
	local kv
	for kv; do
		printf -v "${kv%%=*}" %s "${kv#*=}"
		[[ " $REPRO_KEYS " == *" ${kv%%=*} "* ]] || REPRO_KEYS+=" ${kv%%=*}"
	done
}

# The shell-evaluable description: what was made, then what repro/cleanup.sh needs.
repro_emit() {
	local k line=""
	for k in $REPRO_KEYS; do line+="$k=$(printf %q "${!k}") "; done
	echo "${line% }"
	printf 'REPRO_DIR=%q REPRO_PIDS=%q REPRO_IMAGES=%q REPRO_SHM=%q REPRO_ZDIRS=%q REPRO_CGROUPS=%q REPRO_LOOPS=%q\n' \
		"$REPRO_DIR" "${REPRO_PIDS# }" "${REPRO_IMAGES# }" "${REPRO_SHM# }" "${REPRO_ZDIRS# }" \
		"${REPRO_CGROUPS# }" "${REPRO_LOOPS# }"
}

# ---- independent checks of what the kernel now holds -------------------------------------------

repro_fail() { repro_log "repro broken: $*"; return 1; }

# MAJ:MIN of what a /proc link points to, and the bytes in use on its filesystem.
repro_link_dev() { stat -L -c %Hd:%Ld "$1" 2>/dev/null; }
repro_link_used() { stat -f -L -c '%b %f %S' "$1" 2>/dev/null | { read -r b f s && echo $(((b - f) * s)); }; }

# True if DEV is mounted in the namespace of any process (the only namespaces /proc shows).
repro_dev_mounted() {
	local f
	for f in /proc/[0-9]*/mountinfo; do
		awk -v d="$1" '$3 == d { found = 1 } END { exit !found }' "$f" 2>/dev/null && return 0
	done
	return 1
}

# The reference LINK (/proc/PID/fd/N, cwd, root, map_files/...) is on DEV, which no process's
# namespace mounts, and (tmpfs) pins BYTES give or take a page per file.
repro_verify_orphan() {
	local link=$1 dev=$2 bytes=${3:-} used
	[[ $(repro_link_dev "$link") == "$dev" ]] || repro_fail "$link is not on $dev" || return
	! repro_dev_mounted "$dev" || repro_fail "$dev is still mounted in a namespace" || return
	[[ -z $bytes ]] && return 0
	used=$(repro_link_used "$link")
	((used >= bytes - REPRO_TOL && used <= bytes + REPRO_TOL)) ||
		repro_fail "$dev pins $used bytes, expected $bytes +- $REPRO_TOL"
}

# The mapping of PID at ADDR: its map_files link, and its permissions as /proc/PID/maps shows them.
repro_map_link() {
	local range
	range=$(awk -v a="$2" '{ split($1, r, "-") } r[1] == a { print $1 }' "/proc/$1/maps")
	[[ -n $range ]] && echo "/proc/$1/map_files/$range"
}
repro_map_perms() { awk -v a="$2" '{ split($1, r, "-") } r[1] == a { print $2 }' "/proc/$1/maps"; }

# No process is a member of the mount namespace with this inode.
repro_ns_processless() {
	local l
	for l in /proc/[0-9]*/ns/mnt; do
		[[ $(readlink "$l" 2>/dev/null) == "mnt:[$1]" ]] && return 1
	done
	return 0
}

repro_tmpfs_expect() {
	REPRO_TOL=$((REPRO_PAGE * $(repro_file_count)))
	repro_set BYTES="$(repro_file_bytes)" NFILES="$(repro_file_count)"
}

# ---- the leaks ----------------------------------------------------------------------------------

# (a) A dead container's tmpfs, held by one fd opened from outside (through /proc/PID/root).
repro_case_orphan_fd() {
	repro_container C tmpfs orphan-fd || return
	repro_holder H fd "/proc/$C_PID/root$C_DIR/held" r || return
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOLDER_PID="$H_PID" \
		HOW=fd FD="$H_FD" MODE=r HPATH="$(readlink "/proc/$H_PID/fd/$H_FD")"
	repro_tmpfs_expect
	repro_verify_orphan "/proc/$H_PID/fd/$H_FD" "$DEV" "$BYTES"
}

# (b) The seed's case: only a 4 KiB MAP_SHARED mapping is left; the fd was closed.
repro_case_orphan_mmap() {
	local link fd
	repro_container C tmpfs orphan-mmap || return
	repro_holder H mmap "/proc/$C_PID/root$C_DIR/held" || return
	repro_kill "$C_PID"
	link=$(repro_map_link "$H_PID" "$H_ADDR")
	[[ -n $link ]] || repro_fail "no mapping at $H_ADDR in $H_PID" || return
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOLDER_PID="$H_PID" \
		HOW=mmap FD=null MODE="$(repro_map_perms "$H_PID" "$H_ADDR")" HPATH="$(readlink "$link")"
	repro_tmpfs_expect
	for fd in /proc/"$H_PID"/fd/*; do
		[[ $(repro_link_dev "$fd") != "$DEV" ]] || repro_fail "holder still has $fd" || return
	done
	repro_verify_orphan "$link" "$DEV" "$BYTES"
}

# (c) Held by a working directory.
repro_case_orphan_cwd() {
	repro_container C tmpfs orphan-cwd || return
	repro_holder H cwd "/proc/$C_PID/root$C_DIR/sub" || return
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOLDER_PID="$H_PID" \
		HOW=cwd FD=null MODE="" HPATH="$(readlink "/proc/$H_PID/cwd")"
	repro_tmpfs_expect
	repro_verify_orphan "/proc/$H_PID/cwd" "$DEV" "$BYTES"
}

# (d) Held by a root directory (chroot).
# (c') a thread that unshared its fs_struct has its own cwd in the orphan; the process does not.
repro_case_orphan_thread_cwd() {
	repro_container C tmpfs orphan-thread-cwd || return
	repro_holder H thread-cwd "/proc/$C_PID/root$C_DIR/sub" || return
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOLDER_PID="$H_PID" \
		HOW=cwd FD=null MODE="" HPATH="$(readlink "/proc/$H_PID/task/$(repro_field "$H_READY" tid)/cwd")" \
		HOLDER_TID="$(repro_field "$H_READY" tid)"
	repro_tmpfs_expect
	repro_verify_orphan "/proc/$H_PID/task/$HOLDER_TID/cwd" "$DEV" "$BYTES"
}

repro_case_orphan_root() {
	repro_container C tmpfs orphan-root || return
	repro_holder H root "/proc/$C_PID/root$C_DIR" || return
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOLDER_PID="$H_PID" \
		HOW=root FD=null MODE="" HPATH=""
	repro_tmpfs_expect
	repro_verify_orphan "/proc/$H_PID/root" "$DEV" "$BYTES"
}

# (e) A clone of the container's tmpfs made with open_tree(OPEN_TREE_CLONE) and never attached:
# when the container's namespace dies the superblock lives on in that detached tree.
repro_case_detached_tree() {
	repro_container C tmpfs detached-tree || return
	# open_tree clones only mounts of the caller's namespace: the holder steps in and back out.
	repro_holder H tree "$C_DIR" "$C_PID" || return
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=detached RISK=memory HOLDER_PID="$H_PID" \
		HOW=mount-fd FD="$H_FD" MODE=path HPATH=""
	repro_tmpfs_expect
	[[ $(readlink "/proc/$H_PID/ns/mnt") == "$(readlink /proc/self/ns/mnt)" ]] ||
		repro_fail "holder did not return to its own namespace" || return
	repro_verify_orphan "/proc/$H_PID/fd/$H_FD" "$DEV" "$BYTES"
}

# (f) `umount -l` inside a namespace that is still alive, while an fd from outside holds a file.
repro_case_lazy_umount() {
	repro_container C tmpfs lazy-umount || return
	repro_holder H fd "/proc/$C_PID/root$C_DIR/held" rw || return
	nsenter -t "$C_PID" -m umount -l "$C_DIR" || repro_fail "umount -l in $C_PID" || return
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOLDER_PID="$H_PID" \
		HOW=fd FD="$H_FD" MODE=rw HPATH="$(readlink "/proc/$H_PID/fd/$H_FD")" NS_PID="$C_PID"
	repro_tmpfs_expect
	repro_verify_orphan "/proc/$H_PID/fd/$H_FD" "$DEV" "$BYTES"
}

# (g)/(h) ext4 on a loop device mounted inside the container, a file held open for writing
# (data-loss: the device can be pulled while someone writes) or only for reading (none).
repro_case_ext4() {
	local mode=$1 risk=$2
	repro_container C ext4 "ext4-$mode" || return
	repro_holder H fd "/proc/$C_PID/root$C_DIR/held" "$mode" || return
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=ext4 STATE=orphaned RISK="$risk" HOLDER_PID="$H_PID" \
		HOW=fd FD="$H_FD" MODE="$mode" HPATH="$(readlink "/proc/$H_PID/fd/$H_FD")" \
		LOOP="$(losetup -j "$C_IMAGE" -n -O NAME)"
	[[ -n $LOOP ]] || repro_fail "no loop device backed by $C_IMAGE" || return
	repro_verify_orphan "/proc/$H_PID/fd/$H_FD" "$DEV"
}
repro_case_ext4_write() { repro_case_ext4 w data-loss; }
repro_case_ext4_read() { repro_case_ext4 r none; }

# (k) No process holds it: a loop device is bound to a file of the dead container's tmpfs
# (attached from outside through /proc/PID/root, as a runtime's helper would).  Only the loop
# device keeps the superblock: no fd table, no mapping, no cwd points at it.
repro_case_orphan_loop() {
	local loop back
	if [[ ! -e /dev/loop-control ]] || ! command -v losetup >/dev/null; then
		repro_log "no loop devices or no losetup"
		return 77
	fi
	repro_container C tmpfs orphan-loop || return
	loop=$(losetup -f --show "/proc/$C_PID/root$C_DIR/held" 2>>"$REPRO_DIR/log") ||
		{ repro_log "losetup failed: $(tail -n 1 "$REPRO_DIR/log")"; return 77; }
	REPRO_LOOPS+=" $(stat -c '%Hr:%Lr' "$loop")@$loop"
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOW=loop LOOP="$loop" \
		HPATH=/held HINT_HAS="losetup -d $loop"
	repro_tmpfs_expect
	! repro_dev_mounted "$DEV" || repro_fail "$DEV is still mounted in a namespace" || return
	back=$(losetup -n -O BACK-MAJ:MIN "$loop" | tr -d ' ')
	[[ $back == "$DEV" ]] || repro_fail "$loop is backed by $back, not by a file on $DEV"
}

# A loop device bound to a file of a FUSE filesystem (in a private namespace) whose daemon then
# stopped answering (SIGUSR1: it leaves requests queued): LOOP_GET_STATUS64 asks that filesystem
# for the file's attributes and waits, killably, until the daemon exits at cleanup.  Sets
# HUNG_LOOP and HUNG_FUSE_DEV.  Nothing here asks the file anything once it is stopped.
repro_case_loop_on_hung_fuse() {
	local dir=$REPRO_DIR/fuse-file loop
	if [[ ! -e /dev/loop-control || ! -c /dev/fuse ]] || ! command -v losetup >/dev/null ||
		! grep -qw fuse /proc/filesystems; then
		repro_log "no loop devices, no losetup or no FUSE"
		return 77
	fi
	mkdir -p "$dir"
	repro_start F unshare -m --propagation private -- "$REPRO_HOLD" fuse-file "$dir" || return
	loop=$(losetup -f --show "/proc/$F_PID/root$dir/img" 2>>"$REPRO_DIR/log") ||
		{ repro_log "losetup failed: $(tail -n 1 "$REPRO_DIR/log")"; return 77; }
	REPRO_LOOPS+=" $(stat -c '%Hr:%Lr' "$loop")@$loop"
	kill -USR1 "$F_PID"
	repro_set HUNG_LOOP="$loop" HUNG_FUSE_DEV="$(repro_field "$F_READY" dev)"
}

# (l) No process holds it: a file of the dead container's tmpfs was sent with SCM_RIGHTS over a
# unix socket and never received.  MODE (residue-hold's): inflight (default), over a socketpair
# whose ends the sender keeps, so the message (and the file in it) stays queued; inflight-nested,
# inside a socket that is itself in flight in another; inflight-embryo, to a connection the
# sender's listening socket has not accepted; inflight-behind, as inflight behind a message of
# plain data queued first.  HOW is MODE, SOCK the socket a process holds.
repro_case_orphan_inflight() {
	local sock mode=${1:-inflight}
	repro_container C tmpfs "orphan-$mode" || return
	repro_holder H "$mode" "/proc/$C_PID/root$C_DIR/held" || return
	sock=$(repro_field "$H_READY" sock)
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOW="$mode" \
		HOLDER_PID="$H_PID" SOCK="$sock"
	repro_tmpfs_expect
	! repro_dev_mounted "$DEV" || repro_fail "$DEV is still mounted in a namespace" || return
	local f
	for f in /proc/"$H_PID"/fd/*; do
		[[ $(repro_link_dev "$f") != "$DEV" ]] || repro_fail "$f is on $DEV: the file was not closed" || return
	done
	# 6.x fdinfo of a unix socket counts the fds queued in it (scm_fds); older kernels omit the line.
	if [[ $mode == inflight ]] && grep -q '^scm_fds:' "/proc/$H_PID/fdinfo/$sock"; then
		grep -q '^scm_fds:[[:space:]]*1$' "/proc/$H_PID/fdinfo/$sock" ||
			repro_fail "socket fd $sock of pid $H_PID has no fd in flight"
	fi
}

# (m) A tmpfs no process holds, kept by a kernel object.  MODE: io_uring, a dead container's tmpfs
# whose file /held is a registered (fixed) file of a ring the holder keeps (IORING_REGISTER_FILES,
# slot INDEX; the file itself closed); fscontext, a tmpfs made with fsopen() + FSCONFIG_CMD_CREATE
# by the holder, filled through a detached mount it then closed: only the context holds it, and it
# was never in a namespace; overlay, a tmpfs unmounted from a living namespace where it stays the
# lower layer (INDEX 1) of an overlay mounted at HPATH, whose process is the holder;
# io_uring-single, as io_uring in a ring only its creator may register with (SINGLE_ISSUER).
repro_case_orphan_kholder() {
	local mode=${1:-io_uring} f
	if [[ $mode == io_uring || $mode == io_uring-single ]]; then
		repro_container C tmpfs "orphan-$mode" || return
		repro_holder H "$mode" "/proc/$C_PID/root$C_DIR/held" || return
		repro_kill "$C_PID"
		repro_set DEV="$C_DEV" FD="$(repro_field "$H_READY" ring)" \
			INDEX="$(repro_field "$H_READY" index)" HPATH=""
		grep -q '^UserFiles:[[:space:]]*3$' "/proc/$H_PID/fdinfo/$FD" ||
			repro_fail "ring fd $FD of pid $H_PID has not 3 registered files" || return
		# 6.18 lists a slot's path (/held); older kernels (6.1) the file's name alone (held).
		if grep -q "^ *$INDEX: /held$" "/proc/$H_PID/fdinfo/$FD"; then
			repro_set HPATH=/held
		elif ! grep -q "^ *$INDEX: held$" "/proc/$H_PID/fdinfo/$FD"; then
			repro_fail "ring fd $FD of pid $H_PID does not list held in slot $INDEX" || return
		fi
	elif [[ $mode == overlay ]]; then
		local odir=$REPRO_DIR/overlay-live
		mkdir -p "$odir"
		# shellcheck disable=SC2086 # the file specs, one argument each
		repro_start H unshare -m --propagation private -- sh -c "$REPRO_OVERLAY_SH" sh \
			"$odir" $REPRO_FILES || return
		repro_set DEV="$(repro_field "$H_READY" dev)" FD=null INDEX=1 HPATH="$odir/merged" \
			OVL_DEV="$(repro_field "$H_READY" ovl)"
		[[ -e /proc/$H_PID/root$odir/merged/held ]] ||
			repro_fail "the overlay at $odir/merged does not show /held" || return
	else
		# shellcheck disable=SC2086 # the file specs, one argument each
		repro_holder H fscontext "repro-$mode" $REPRO_FILES || return
		repro_set DEV="$(repro_field "$H_READY" dev)" INDEX=null HPATH=""
		[[ $(readlink "/proc/$H_PID/fd/$H_FD") == "anon_inode:[fscontext]" ]] ||
			repro_fail "fd $H_FD of pid $H_PID is no fsopen context" || return
		repro_set FD="$H_FD"
	fi
	repro_set FSTYPE=tmpfs STATE=orphaned RISK=memory HOW="$mode" HOLDER_PID="$H_PID"
	repro_tmpfs_expect
	! repro_dev_mounted "$DEV" || repro_fail "$DEV is still mounted in a namespace" || return
	for f in /proc/"$H_PID"/fd/*; do
		[[ $(repro_link_dev "$f") != "$DEV" ]] || repro_fail "$f is on $DEV: the file was not closed" || return
	done
}

# (n) A tmpfs no process holds, kept by a kernel object residue cannot name: a dead container's
# FIFO /fifo, whose read waits in an io_uring ring (IORING_OP_READ, not a fixed file) after the
# holder closed its fd.  Only that pending request holds the file.  HOW is "kernel": the orphan is
# reported with its bytes and an unnamed holder, and the hint says no process holds it.
repro_case_orphan_unnamed() {
	repro_container C tmpfs orphan-unnamed || return
	mkfifo "/proc/$C_PID/root$C_DIR/fifo" || repro_fail "mkfifo in $C_DIR failed" || return
	repro_holder H io_uring-read "/proc/$C_PID/root$C_DIR/fifo" || return
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=tmpfs STATE=orphaned RISK=memory HOW=kernel FD=null \
		HOLDER_PID="$H_PID" LOOP="" HPATH="" HINT_HAS="no process holds it"
	repro_tmpfs_expect
	! repro_dev_mounted "$DEV" || repro_fail "$DEV is still mounted in a namespace" || return
	local f
	for f in /proc/"$H_PID"/fd/*; do
		[[ $(repro_link_dev "$f") != "$DEV" ]] || repro_fail "$f is on $DEV: the FIFO was not closed" || return
	done
}

# Facts about the mount namespace of a container about to lose its last process.
repro_ns_facts() {
	local pid=$1 id
	id=$("$REPRO_HOLD" nsid "/proc/$pid/ns/mnt") || return 1
	if [[ $id == 0 ]]; then
		repro_log "kernel has no NS_GET_MNTNS_ID (6.12): cannot name namespaces by id"
		return 77
	fi
	echo "$id $(stat -L -c %i "/proc/$pid/ns/mnt")"
}

# repro_ns_shared VAR PID OWN_DIR: with REPRO_NS_SHARED=1, a second tmpfs (one 8 KiB file) in the
# namespace of PID, at VAR_DIR, that a living namespace also mounts: a copy of PID's made by a
# process that stays (VAR_PID), without PID's own tmpfs at OWN_DIR.  Once PID's namespace has no
# process, that tmpfs is not something it alone keeps.  Sets VAR_DEV; VAR_MOUNTS is the mounts it
# adds to PID's namespace (0 when REPRO_NS_SHARED is not 1: nothing is made).
repro_ns_shared() {
	local var=$1 pid=$2 own=$3 dir=$REPRO_DIR/$1-shared ready
	printf -v "${var}_MOUNTS" %s 0
	[[ ${REPRO_NS_SHARED:-0} == 1 ]] || return 0
	mkdir -p "$dir"
	# shellcheck disable=SC2016 # expanded by the inner sh
	nsenter -t "$pid" -m sh -c 'mount -t tmpfs -o size=4m repro-shared "$1" && head -c 8192 /dev/zero >"$1/f"' \
		sh "$dir" 2>>"$REPRO_DIR/log" || repro_fail "cannot mount the shared tmpfs in $pid's namespace" ||
		return
	# nsenter and unshare exec: the pid started is the shell, then sleep.
	# shellcheck disable=SC2016 # expanded by the inner sh
	repro_start "$var" nsenter -t "$pid" -m -- unshare -m --propagation private -- \
		sh -c 'umount "$1" && echo "ready $$ dev=$(stat -c %Hd:%Ld "$2")" && exec sleep infinity' \
		sh "$own" "$dir" || return
	ready=${var}_READY
	printf -v "${var}_DIR" %s "$dir"
	printf -v "${var}_DEV" %s "$(repro_field "${!ready}" dev)"
	printf -v "${var}_MOUNTS" %s 1
}

# (i) A mount namespace without processes, kept by an nsfs fd.  Its tmpfs is still mounted (in it),
# so it is no orphan; the namespace is what leaks.  NS_DIR is where its tmpfs is mounted, in it.
repro_case_ns_fd() {
	local facts
	repro_container C tmpfs ns-fd || return
	facts=$(repro_ns_facts "$C_PID") || return
	repro_ns_shared S "$C_PID" "$C_DIR" || return
	repro_holder H nsfd "/proc/$C_PID/ns/mnt" || return
	repro_kill "$C_PID"
	repro_set NS_ID="${facts% *}" NS_INODE="${facts#* }" NS_MOUNTS="$((C_MOUNTS + S_MOUNTS))" \
		NS_DEV="$C_DEV" NS_DIR="$C_DIR" HOLDER_PID="$H_PID" HOW=ns-fd FD="$H_FD"
	[[ $S_MOUNTS == 0 ]] || repro_set SHARED_DEV="$S_DEV" SHARED_PID="$S_PID"
	repro_tmpfs_expect
	[[ $H_NS_ID == "$NS_ID" ]] || repro_fail "holder has ns $H_NS_ID, not $NS_ID" || return
	[[ $(readlink "/proc/$H_PID/fd/$H_FD") == "mnt:[$NS_INODE]" ]] ||
		repro_fail "holder fd is not mnt:[$NS_INODE]" || return
	repro_ns_processless "$NS_INODE" || repro_fail "namespace $NS_INODE still has a process"
}

# (j) A mount namespace without processes, kept by an nsfs bind mount inside a living "keeper"
# namespace.  The kernel only binds a namespace whose id is greater than the binder's (mnt_ns_loop),
# and ids come from per-CPU batches, so creation order does not decide: try both ways round.
repro_case_ns_bind() {
	local facts a b nsfile=$REPRO_DIR/nsfile
	: >"$nsfile"
	repro_container A tmpfs ns-bind-a || return
	repro_container B tmpfs ns-bind-b || return
	if nsenter -t "$A_PID" -m mount --bind "/proc/$B_PID/ns/mnt" "$nsfile" 2>>"$REPRO_DIR/log"; then
		a=A b=B
	elif nsenter -t "$B_PID" -m mount --bind "/proc/$A_PID/ns/mnt" "$nsfile" 2>>"$REPRO_DIR/log"; then
		a=B b=A
	else
		repro_fail "neither namespace can bind the other's nsfs file"
		return
	fi
	local kpid=${a}_PID vpid=${b}_PID vmounts=${b}_MOUNTS vdev=${b}_DEV kdev=${a}_DEV vdir=${b}_DIR
	facts=$(repro_ns_facts "${!vpid}") || return
	local kfacts
	kfacts=$(repro_ns_facts "${!kpid}") || return
	repro_set KEEPER_PID="${!kpid}" KEEPER_NS_ID="${kfacts% *}" KEEPER_DEV="${!kdev}"
	repro_ns_shared S "${!vpid}" "${!vdir}" || return
	repro_kill "${!vpid}"
	repro_set NS_ID="${facts% *}" NS_INODE="${facts#* }" NS_MOUNTS="$((${!vmounts} + S_MOUNTS))" \
		NS_DEV="${!vdev}" NS_DIR="${!vdir}" HOW=ns-bind NSFILE="$nsfile"
	[[ $S_MOUNTS == 0 ]] || repro_set SHARED_DEV="$S_DEV" SHARED_PID="$S_PID"
	repro_tmpfs_expect
	awk -v f="$nsfile" -v r="mnt:[$NS_INODE]" '$4 == r && $5 == f { ok = 1 } END { exit !ok }' \
		"/proc/$KEEPER_PID/mountinfo" || repro_fail "no nsfs bind of $NS_INODE at $nsfile" || return
	repro_ns_processless "$NS_INODE" || repro_fail "namespace $NS_INODE still has a process"
}

# repro_fuse_stalled VAR NAME: a "container" whose only process mounted a FUSE filesystem on
# VAR_DIR and never reads its /dev/fuse fd (VAR_FUSEFD): every request that needs the daemon waits
# until that fd's last copy is closed.  Sets VAR_PID, VAR_DIR, VAR_DEV, VAR_FUSEFD.
repro_fuse_stalled() {
	local var=$1 dir=$REPRO_DIR/$2 ready
	if [[ ! -c /dev/fuse ]] || ! grep -qw fuse /proc/filesystems; then
		repro_log "no /dev/fuse or no fuse filesystem in this kernel"
		return 77
	fi
	mkdir -p "$dir"
	repro_start "$var" unshare -m --propagation private -- "$REPRO_HOLD" fuse "$dir" || return
	ready=${var}_READY
	printf -v "${var}_DIR" %s "$dir"
	printf -v "${var}_DEV" %s "$(repro_field "${!ready}" dev)"
	printf -v "${var}_FUSEFD" %s "$(repro_field "${!ready}" fd)"
}

# (k) A FUSE filesystem whose daemon stopped answering, orphaned: its container died, a process
# outside keeps its root open with O_PATH, and the "daemon" (a process that took a copy of the
# container's /dev/fuse fd) never reads a request, so statfs, lookups and uncached getattrs on it
# wait forever.  Beside it the control: the same stalled FUSE still mounted in a live container,
# also held from outside, which is no orphan.  Nothing here may ask either filesystem anything:
# checks use AT_STATX_DONT_SYNC (stat --cached=always) and mountinfo only.
repro_case_fuse_hung() {
	repro_fuse_stalled C fuse-orphan || return
	repro_holder D getfd "$C_PID" "$C_FUSEFD" || return
	repro_holder H fd "/proc/$C_PID/root$C_DIR" path || return
	repro_fuse_stalled L fuse-live || return
	repro_holder LH fd "/proc/$L_PID/root$L_DIR" path || return
	repro_kill "$C_PID"
	repro_set DEV="$C_DEV" FSTYPE=fuse STATE=orphaned HOLDER_PID="$H_PID" HOW=mount-fd \
		FD="$H_FD" MODE=path DAEMON_PID="$D_PID" LIVE_DEV="$L_DEV" LIVE_PID="$L_PID" \
		LIVE_HOLDER_PID="$LH_PID"
	[[ $(stat -L --cached=always -c %Hd:%Ld "/proc/$H_PID/fd/$H_FD") == "$DEV" ]] ||
		repro_fail "/proc/$H_PID/fd/$H_FD is not on $DEV" || return
	! repro_dev_mounted "$DEV" || repro_fail "$DEV is still mounted in a namespace" || return
	awk -v d="$LIVE_DEV" '$3 == d { ok = 1 } END { exit !ok }' "/proc/$L_PID/mountinfo" ||
		repro_fail "$LIVE_DEV is not mounted in the live container"
}

# The look-alikes: a tmpfs still mounted in a live container and held from outside, a memfd, a
# deleted file on /dev/shm, an nsfs fd of a live namespace, an ordinary file on /.  Sets CTL_PIDS,
# CTL_DEVS and CTL_NS_IDS (space-separated) for "none of these may be reported".
repro_controls() {
	local shm plain
	repro_container L tmpfs control-live || return
	repro_holder CL fd "/proc/$L_PID/root$L_DIR/held" r || return
	repro_holder CM memfd 1048576 || return
	shm=/dev/shm/residue-repro.$$.$RANDOM
	REPRO_SHM+=" $shm"
	repro_holder CS shm-deleted "$shm" || return
	repro_holder CN nsfd "/proc/$L_PID/ns/mnt" || return
	plain=$REPRO_DIR/plain
	head -c 8192 /dev/zero >"$plain"
	repro_holder CP fd "$plain" r || return
	# A thread in a mount namespace of its own, with a tmpfs and a file of it open, and an nsfs
	# fd on that namespace held by another process: the namespace has a member though no
	# process's ns/mnt names it (REPRO_CONTROL_THREAD_NS=0 leaves it out).
	local ct_pids="" ct_ns=""
	if [[ ${REPRO_CONTROL_THREAD_NS:-1} == 1 ]]; then
		mkdir -p "$REPRO_DIR/control-thread-ns"
		repro_holder CT thread-ns "$REPRO_DIR/control-thread-ns" || return
		local ct_ready=CT_READY
		repro_holder CTN nsfd "/proc/$CT_PID/task/$(repro_field "${!ct_ready}" tid)/ns/mnt" ||
			return
		ct_pids=" $CT_PID $CTN_PID" ct_ns=$CT_NS_ID
	fi
	repro_set CTL_PIDS="$L_PID $CL_PID $CM_PID $CS_PID $CN_PID $CP_PID$ct_pids" \
		CTL_DEVS="$L_DEV $(repro_link_dev "/proc/$CM_PID/fd/$CM_FD") $(repro_link_dev "/proc/$CS_PID/fd/$CS_FD") $(repro_link_dev "/proc/$CP_PID/fd/$CP_FD")" \
		CTL_NS_IDS="$CN_NS_ID${ct_ns:+ $ct_ns}"
	repro_dev_mounted "$L_DEV" || repro_fail "live container's tmpfs $L_DEV is not mounted"
}

# ---- zombie memory cgroups ----------------------------------------------------------------------

# The caller's memory cgroup: sets REPRO_CG_VERSION (1|2), REPRO_CG_MOUNT and REPRO_CG_OWN (the
# path inside the hierarchy).  77 when no memory controller is mounted.
repro_memcg_own() {
	local line mnt
	line=$(grep -m1 -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup)
	if [[ -n $line ]]; then
		mnt=$(awk '$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ { print $5; exit }' /proc/self/mountinfo)
		REPRO_CG_VERSION=1
	else
		line=$(grep -m1 '^0::' /proc/self/cgroup)
		mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
		REPRO_CG_VERSION=2
		[[ -n $mnt ]] && grep -qw memory "$mnt/cgroup.controllers" 2>/dev/null || mnt=""
	fi
	if [[ -z $line || -z $mnt ]]; then
		repro_log "no memory cgroup controller is mounted"
		return 77
	fi
	REPRO_CG_MOUNT=$mnt
	REPRO_CG_OWN=${line#*:*:}
	if [[ $REPRO_CG_OWN == / ]]; then REPRO_CG_OWN=""; fi
}

# repro_memcg_mkdir DIR: create a cgroup (remembered for teardown, deepest first); on v2 the
# parent must delegate the memory controller, which a cgroup with processes cannot (except root).
repro_memcg_mkdir() {
	local dir=$1
	if [[ $REPRO_CG_VERSION == 2 ]] &&
		! grep -qw memory "${dir%/*}/cgroup.subtree_control" 2>/dev/null &&
		! echo +memory >"${dir%/*}/cgroup.subtree_control" 2>/dev/null; then
		repro_log "cgroup v2: cannot enable memory below ${dir%/*} (it has processes?);" \
			"run from a delegated cgroup"
		return 77
	fi
	mkdir "$dir" || return 1
	REPRO_CGROUPS="$dir $REPRO_CGROUPS"
}

# Run a shell command inside cgroup DIR and wait for it (the shell moves itself in first).
repro_memcg_run() {
	local dir=$1
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && eval "$1"' sh "$dir" "$*"
}

# True when all of FILE's pages are in the page cache.
repro_cached() {
	local want=$1 got
	got=$(fincore -b -n -o RES "$2" 2>/dev/null) || return 1
	((got >= want))
}

# repro_case_zombies [K] [J]: K zombie memory cgroups, zombie i pinned by the page cache of one file
# of i MiB + 4 KiB that a process in it wrote (and synced) before it exited and the cgroup was
# removed; J cgroups whose process ran and exited without leaving page cache, removed too (they
# must be freed, not reported); one live cgroup with cached files (a look-alike that is no zombie).
# All below the caller's own memory cgroup.  A keeper process rereads the pinned files every few
# seconds, so the kernel's idle-page reclaim (DAMON here) does not free the zombies mid-test.
repro_case_zombies() {
	local k=${1:-3} j=${2:-2} parent zdir i size f pinned="" clean="" rc
	repro_memcg_own || return
	parent=$REPRO_CG_MOUNT$REPRO_CG_OWN/residue-zombies.$$
	repro_memcg_mkdir "$parent" || return
	zdir=$(mktemp -d /var/tmp/residue-zombies.XXXXXX) || return 1
	REPRO_ZDIRS+=" $zdir"
	# Warm, from our own cgroup, what the zombies' processes will read besides their file (the
	# programs, and the filesystem's metadata blocks near $zdir): else the first reader's cgroup,
	# a zombie-to-be, is charged for it too.
	head -c 4096 /dev/zero >"$zdir/warm" && sync "$zdir/warm" && rm -f "$zdir/warm" || return 1
	# The keeper starts first: a page evicted before it first reads it would come back charged
	# to the keeper's cgroup, not to the zombie.
	# shellcheck disable=SC2016
	: >"$zdir/keep"
	repro_start ZK sh -c 'echo ready; while :; do xargs cat <"$1"/keep >/dev/null 2>&1; sleep 1; done' \
		sh "$zdir" || return
	for ((i = 1; i <= k; i++)); do
		size=$((i * 1048576 + 4096))
		f=$zdir/pin-$i.data
		# The blocks are allocated from our own cgroup (the bitmaps ext4 reads for that are
		# block-device cache, charged to whoever reads them first); the zombie-to-be only
		# fills them in place (1<> does not truncate), so it is charged for the data alone.
		fallocate -l "$size" "$f" || return 1
		repro_memcg_mkdir "$parent/pin-$i" || return
		repro_memcg_run "$parent/pin-$i" "head -c $size /dev/zero 1<>$f && sync $f" ||
			repro_fail "writing $f in $parent/pin-$i" || return
		rmdir "$parent/pin-$i" || repro_fail "rmdir $parent/pin-$i" || return
		REPRO_CGROUPS=${REPRO_CGROUPS/"$parent/pin-$i "/}
		# Only now the keeper may read it: a read of its allocated, unwritten blocks before the
		# write would have charged their pages to the keeper.
		echo "$f" >>"$zdir/keep"
		pinned+=" pin-$i:$size:$f"
	done
	for ((i = 1; i <= j; i++)); do
		repro_memcg_mkdir "$parent/clean-$i" || return
		repro_memcg_run "$parent/clean-$i" 'i=0; while [ $i -lt 1000 ]; do i=$((i + 1)); done' ||
			return
		rmdir "$parent/clean-$i" || repro_fail "rmdir $parent/clean-$i" || return
		REPRO_CGROUPS=${REPRO_CGROUPS/"$parent/clean-$i "/}
		clean+=" clean-$i"
	done
	repro_memcg_mkdir "$parent/live-1" || return
	repro_start ZL sh -c 'echo $$ >"$1/cgroup.procs" && head -c 2101248 /dev/zero >"$2" &&
		sync "$2" && echo ready && exec sleep infinity' sh "$parent/live-1" "$zdir/live-1.data"
	rc=$?
	((rc == 0)) || return $rc
	for f in $pinned; do
		IFS=: read -r _ size f <<<"$f"
		repro_cached "$size" "$f" || repro_fail "$f is not all in the page cache" || return
	done
	repro_set Z_VERSION="$REPRO_CG_VERSION" Z_MOUNT="$REPRO_CG_MOUNT" \
		Z_PARENT="$REPRO_CG_OWN/residue-zombies.$$" Z_PINNED="${pinned# }" \
		Z_CLEAN="${clean# }" Z_LIVE="live-1" Z_LIVE_PID="$ZL_PID" Z_KEEPER_PID="$ZK_PID" \
		Z_DIR="$zdir"
}

# repro_case_zombies_mapped [K] [J]: repro_case_zombies, then the last zombie's file mapped (all of
# it, every page faulted in and kept warm) by a live process started after that zombie's cgroup was
# removed, in a live cgroup of its own ("mapper"): the pages stay charged to the zombie, and
# POSIX_FADV_DONTNEED cannot drop them while they are mapped.
repro_case_zombies_mapped() {
	local k=${1:-3} parent spec name size f
	repro_case_zombies "$k" "${2:-2}" || return
	parent=$REPRO_CG_MOUNT$Z_PARENT
	spec=${Z_PINNED##* }
	IFS=: read -r name size f <<<"$spec"
	repro_memcg_mkdir "$parent/mapper" || return
	# shellcheck disable=SC2016
	repro_start ZM sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" mmap-touch "$3"' sh \
		"$parent/mapper" "$REPRO_HOLD" "$f" || return
	repro_set Z_MAPPED="$name:$size:$f" Z_MAPPER_PID="$ZM_PID" Z_MAPPER_CG="$Z_PARENT/mapper" \
		Z_LIVE="$Z_LIVE mapper"
}

# repro_case_zombies_unevictable [SIZE]: one zombie memory cgroup pinned by SIZE bytes (default
# 1 MiB + 4 KiB) of a file on a ramfs, which the kernel keeps on no LRU list (unevictable: since
# 5.18 those folios are on no list at all).  The ramfs is mounted in a private mount namespace a
# keeper in our own cgroup holds; a process in the zombie-to-be's cgroup enters it to write the
# file.  Killing the keeper frees the ramfs, its pages and so the zombie.
repro_case_zombies_unevictable() {
	local size=${1:-1052672} parent dir f
	repro_memcg_own || return
	parent=$REPRO_CG_MOUNT$REPRO_CG_OWN/residue-zombies-ue.$$
	repro_memcg_mkdir "$parent" || return
	dir=$REPRO_DIR/ramfs
	mkdir -p "$dir" || return 1
	# shellcheck disable=SC2016
	repro_start ZU unshare -m --propagation private -- \
		sh -c 'mount -t ramfs repro-ramfs "$1" && echo ready && exec sleep infinity' sh "$dir" ||
		return
	f=$dir/pin.data
	repro_memcg_mkdir "$parent/pin-1" || return
	repro_memcg_run "$parent/pin-1" "nsenter -t $ZU_PID -m -- sh -c 'head -c $size /dev/zero >$f'" ||
		repro_fail "writing $f on the ramfs in $parent/pin-1" || return
	rmdir "$parent/pin-1" || repro_fail "rmdir $parent/pin-1" || return
	REPRO_CGROUPS=${REPRO_CGROUPS/"$parent/pin-1 "/}
	repro_set Z_VERSION="$REPRO_CG_VERSION" Z_MOUNT="$REPRO_CG_MOUNT" \
		Z_PARENT="$REPRO_CG_OWN/residue-zombies-ue.$$" Z_PINNED="pin-1:$size:$f" \
		Z_KEEPER_PID="$ZU_PID"
}

# Entry point of a standalone reproducer: build one case, print its description, leave it running.
repro_main() {
	local rc
	repro_init || exit
	trap 'repro_teardown; exit 130' INT TERM
	"$@"
	rc=$?
	if ((rc != 0)); then
		repro_teardown
		exit "$rc"
	fi
	trap - INT TERM
	repro_emit
	repro_log "made; tear down with: $(dirname "${BASH_SOURCE[0]}")/cleanup.sh FILE-WITH-THESE-LINES"
}
