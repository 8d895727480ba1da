#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Dead superblocks (issue 11, item 2): an unmount that dies in a kernel BUG leaves its superblock
# half torn down -- no root, no active reference, s_umount held for good -- and every later
# sync(2) hangs.  residue must report it (device, type, the loop device under it, the kernel
# log's record) and never block on it itself.
#
# Everywhere: a control, no dead superblock on this host (a healthy one), in `residue --json`,
# `residue orphans`, --check and --prometheus.
#
# In the Linux 6.1 guest of tests/vm/run only (RESIDUE_VM_GUEST=1, the test module
# tests/vm/leakmod/residue_leak.ko built for its kernel in RESIDUE_LEAKMOD): two ext4 images on
# loop devices, mounted in a private mount namespace; the module leaks an inode reference on the
# first and a dentry reference on the second; residue flags nothing dead before the unmounts.
# Each umount then dies in "kernel BUG at fs/super.c" (Debian's CONFIG_BUG_ON_DATA_CORRUPTION),
# and residue must report exactly those two dead superblocks with their loop devices and the
# kernel log's "Busy inodes after unmount of loopN (ext4)" (and "Dentry ... still in use" for
# the second).  After that the guest's sync(2) hangs: the test tells tests/vm/init so
# (/run/residue-vm/sync-hangs), which skips the tests after it and powers off without syncing;
# the loop devices and images it leaves are the guest's, thrown away with it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init

# A scan must never hang on a dead superblock: each one runs under a timeout.
scan() { timeout 120 "$RESIDUE" "$@"; }

# ---- the control: nothing dead on a healthy host ------------------------------------------------
scan -v --json >"$T_JSON" 2>"$REPRO_DIR/err"
t_check "residue --json exits 0" test $? = 0
t_expect "dead_superblocks is an array" '(.dead_superblocks | type) == "array"'
# The superblock walk ran unless a gap says it did not (no BPF tier, or the walk failed).
if ! jq -e '.gaps[] | select(.call == "walk_sbs")' "$T_JSON" >/dev/null; then
	walk=1
else
	walk=0
	t_log "no superblock walk here (no BPF tier): dead superblocks cannot be seen"
fi
t_expect "no dead superblock on this host" '.dead_superblocks == []'
scan --prometheus >"$REPRO_DIR/prom" 2>/dev/null
if ((walk)); then
	t_check "residue_dead_superblocks 0" grep -qx 'residue_dead_superblocks 0' "$REPRO_DIR/prom"
fi
t_check 'residue_findings{kind="dead_superblock"} 0' \
	grep -qx 'residue_findings{kind="dead_superblock"} 0' "$REPRO_DIR/prom"

if [[ ${RESIDUE_VM_GUEST:-0} != 1 ]]; then
	t_log "the dead superblocks themselves are made in the 6.1 guest (tests/vm/run dead-superblock)"
	t_done
fi

# ---- the guest: leak, unmount, and the dead superblocks ------------------------------------------
[[ -n ${RESIDUE_LEAKMOD:-} && -f $RESIDUE_LEAKMOD ]] ||
	t_skip "${RESIDUE_LEAKMOD_SKIP:-no test module (RESIDUE_LEAKMOD)}"
((walk)) || t_skip "no BPF superblock walk in this guest: nothing to find dead superblocks with"
if ! grep -q '^residue_leak ' /proc/modules; then
	insmod=$(command -v insmod || echo "busybox insmod")
	$insmod "$RESIDUE_LEAKMOD" 2>"$REPRO_DIR/insmod.err" ||
		t_bail "insmod $RESIDUE_LEAKMOD failed: $(cat "$REPRO_DIR/insmod.err") (module.sig_enforce=$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null))"
fi
t_log "residue_leak loaded; taint $(cat /proc/sys/kernel/tainted), sig_enforce $(cat /sys/module/module/parameters/sig_enforce 2>/dev/null)"

# The mount namespace that holds both filesystems: a process of ours, killed at the end.
unshare -m --propagation private sleep infinity &
ns_pid=$!
REPRO_PIDS+=" $ns_pid@$(repro_starttime "$ns_pid")"
for _ in $(seq 50); do
	[[ $(readlink "/proc/$ns_pid/ns/mnt") != "$(readlink /proc/self/ns/mnt)" ]] && break
	sleep 0.1
done
in_ns() { nsenter -t "$ns_pid" -m "$@"; }

declare -a loops devs
for i in 1 2; do
	img=/var/tmp/residue-dead-$i.img
	rm -f "$img"
	truncate -s 32M "$img" && mkfs.ext4 -q -F "$img" || t_bail "mkfs.ext4 $img"
	loop=$(losetup -f --show "$img") || t_bail "losetup $img"
	REPRO_LOOPS+=" $(stat -c '%Hr:%Lr' "$loop")@$loop" # detached by the teardown until it dies
	mkdir -p "$REPRO_DIR/m$i"
	in_ns mount -t ext4 "$loop" "$REPRO_DIR/m$i" || t_bail "mount $loop"
	in_ns sh -c "echo leak >'$REPRO_DIR/m$i/file' && mkdir '$REPRO_DIR/m$i/dir'"
	loops[i]=$loop
	devs[i]=$(stat -c '%Hr:%Lr' "$loop")
done
t_log "ext4 on ${loops[1]} (${devs[1]}) and ${loops[2]} (${devs[2]}), images in /var/tmp"

# One inode reference on the first, one dentry reference on the second, never dropped.
in_ns sh -c "echo '$REPRO_DIR/m1/file' >/sys/module/residue_leak/parameters/leak_inode" ||
	t_bail "the module did not take the inode reference"
in_ns sh -c "echo '$REPRO_DIR/m2/dir' >/sys/module/residue_leak/parameters/leak_dentry" ||
	t_bail "the module did not take the dentry reference"

scan --json >"$T_JSON" 2>"$REPRO_DIR/err"
t_check "before the unmounts: residue --json exits 0" test $? = 0
t_expect "before the unmounts: no dead superblock" '.dead_superblocks == []'

# Before the unmounts the audit names both leaks, and nothing else in the guest (issue 11, item 3).
ino1=$(in_ns stat -c %i "$REPRO_DIR/m1/file")
scan inodes -J >"$REPRO_DIR/inodes.json" 2>"$REPRO_DIR/inodes.err"
t_check "residue inodes -J exits 0" test $? = 0
jq -c '.counts, [.findings[] | {kind, dev, inode, name, count, unexplained}]' "$REPRO_DIR/inodes.json"
t_check "residue inodes: the leaked inode reference, ${devs[1]} inode $ino1, one unexplained" \
	jq -e --arg d "${devs[1]}" --argjson i "$ino1" \
	'[.findings[] | select(.kind == "inode_refs" and .dev == $d and .inode == $i and .unexplained == 1)] | length == 1' \
	"$REPRO_DIR/inodes.json"
t_check "residue inodes: the leaked dentry reference, ${devs[2]} \"dir\", one unexplained" \
	jq -e --arg d "${devs[2]}" \
	'[.findings[] | select(.kind == "dentry_refs" and .dev == $d and .name == "dir" and .unexplained == 1)] | length == 1' \
	"$REPRO_DIR/inodes.json"
t_check "residue inodes: no other finding (no false one)" \
	jq -e '(.findings | length) == 2 and .counts.stranded == 0' "$REPRO_DIR/inodes.json"
scan --check --inodes >"$REPRO_DIR/check.out" 2>&1
rc=$?
t_check "residue --check --inodes: exit 1, the line counts 2 leaked refs ($(head -c 200 "$REPRO_DIR/check.out"))" \
	sh -c "test $rc = 1 && grep -q '2 leaked inode/dentry refs' '$REPRO_DIR/check.out'"

# From here the guest cannot be cleaned up: the loop devices stay bound and sync(2) hangs.
# Tell init, and drop the loop devices from our teardown (losetup -d of a held device fails).
mkdir -p /run/residue-vm
echo "dead-superblock left ${loops[1]} and ${loops[2]} half unmounted" >/run/residue-vm/sync-hangs
REPRO_LOOPS=""

umount_dies() {
	local i=$1 rc
	(in_ns umount "$REPRO_DIR/m$i") >"$REPRO_DIR/umount$i.out" 2>&1 &
	local pid=$!
	timeout 60 tail --pid="$pid" -f /dev/null
	wait "$pid"
	rc=$?
	t_log "umount of ${loops[i]}: exit $rc (a kernel BUG kills it: 139, SIGSEGV)"
	t_check "the umount of ${loops[i]} died in the kernel" test "$rc" -gt 128
}
umount_dies 1
t_check "the kernel said Busy inodes after unmount of ${loops[1]#/dev/}" \
	sh -c "dmesg | grep -q 'Busy inodes after unmount of ${loops[1]#/dev/} (ext4)'"

scan -v --json >"$T_JSON" 2>"$REPRO_DIR/err"
t_check "after the first: residue --json exits 0, in time" test $? = 0
jq -c '.dead_superblocks' "$T_JSON"
t_expect "after the first: exactly one dead superblock, ${devs[1]} ext4 on ${loops[1]}" \
	--arg dev "${devs[1]}" --arg loop "${loops[1]}" '
	[.dead_superblocks[] | {dev, fstype, device, loop, backing_file}] ==
	[{dev: $dev, fstype: "ext4", device: ($loop | ltrimstr("/dev/")), loop: $loop,
	  backing_file: "/var/tmp/residue-dead-1.img"}]'
t_expect "its busy inodes are counted, s_umount is write-held" \
	'.dead_superblocks[0] | .busy_inodes >= 1 and .umount_locked == true'
t_expect "its hint says sync hangs and to reboot" \
	'.dead_superblocks[0].hint | test("sync") and test("reboot")'
t_expect "linked to the kernel log's Busy inodes record of ${loops[1]#/dev/}" --arg d "${loops[1]#/dev/}" '
	.dead_superblocks[0].kernel_log_seq as $s | $s != null and
	([.kernel_log.findings[] | select(.kind == "busy_inodes" and .dev == $d and .fstype == "ext4" and .seq == $s)] | length) == 1'
t_expect "the kernel log has the BUG" '[.kernel_log.findings[] | select(.kind == "superblock_bug")] | length >= 1'
t_expect "the dead superblock is not also an orphan" --arg dev "${devs[1]}" '[.orphans[] | select(.dev == $dev)] == []'

umount_dies 2
t_check "the kernel said Dentry ... still in use of ${loops[2]#/dev/}" \
	sh -c "dmesg | grep -q 'still in use .*\\[unmount of ext4 ${loops[2]#/dev/}\\]'"
scan --json >"$T_JSON" 2>"$REPRO_DIR/err"
t_check "after the second: residue --json exits 0, in time" test $? = 0
jq -c '.dead_superblocks' "$T_JSON"
t_expect "after the second: exactly the two dead superblocks" \
	--arg d1 "${devs[1]}" --arg d2 "${devs[2]}" --arg l1 "${loops[1]}" --arg l2 "${loops[2]}" '
	([.dead_superblocks[] | [.dev, .fstype, .loop]] | sort) == ([[$d1, "ext4", $l1], [$d2, "ext4", $l2]] | sort)'
t_expect "the kernel log has the dentry leak of ${loops[2]#/dev/}" --arg d "${loops[2]#/dev/}" '
	[.kernel_log.findings[] | select(.kind == "dentry_in_use" and .dev == $d and .fstype == "ext4")] | length == 1'
t_expect "and its Busy inodes record, linked" --arg d "${loops[2]#/dev/}" --arg dev "${devs[2]}" '
	(.dead_superblocks[] | select(.dev == $dev) | .kernel_log_seq) as $s |
	[.kernel_log.findings[] | select(.kind == "busy_inodes" and .dev == $d and .seq == $s)] | length == 1'

# Every other form says so too.
scan --check >"$REPRO_DIR/check" 2>/dev/null
rc=$?
t_check "--check exits 1" test "$rc" = 1
t_check "--check names the dead superblocks first" grep -q '^residue: 2 dead superblocks (sync hangs)' "$REPRO_DIR/check"
scan orphans >"$REPRO_DIR/table" 2>/dev/null
t_check "residue orphans shows them" grep -q "^Dead superblocks: 2" "$REPRO_DIR/table"
scan >"$REPRO_DIR/summary" 2>/dev/null
t_check "residue shows them" grep -q "^  ${devs[1]} *ext4 *${loops[1]#/dev/} ${loops[1]}" "$REPRO_DIR/summary"
scan --prometheus >"$REPRO_DIR/prom" 2>/dev/null
t_check "residue_dead_superblocks 2" grep -qx 'residue_dead_superblocks 2' "$REPRO_DIR/prom"
t_check "the loop devices are still bound" sh -c "losetup '${loops[1]}' && losetup '${loops[2]}'" >/dev/null
sed -n '1,12p' "$REPRO_DIR/summary"
t_done
