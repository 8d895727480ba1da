#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# residue inside the DaemonSet's pod sees what residue on the host sees.
#
# The pod is built from deploy/kubernetes/residue-daemonset.yaml as containerd + runc would build
# it: new mount, UTS, IPC and network namespaces, the host's pid namespace (hostPID); a read-only
# tmpfs root holding only the residue binary and its libraries, pivot_root'ed into with the old
# root detached; the runtime's own mounts (a fresh procfs with the default masked and read-only
# paths, /dev, a read-only sysfs); then the manifest's volumes, bind-mounted recursively read-only
# from the host.  residue runs in it with exactly the manifest's capabilities (bounding, permitted
# and effective; no_new_privs), no seccomp filter (the manifest says Unconfined).
#
# With leaks present (a tmpfs held by an fd, the seed's 4 KiB mapping, an ext4 open for writing, a
# process-less namespace, zombie memory cgroups, and the look-alike controls), residue -v --json
# and residue zombies -J run on the host, in the pod, and on the host again; what must agree:
#   - the repro's own objects, exactly, in the pod (the same assertions as tests/integration);
#   - the whole report (orphans, process-less namespaces, census, zombies) and the gaps: the pod's
#     equals the host's whenever the two host scans around it agree (other tests on the machine may
#     change the world meanwhile; up to four tries);
#   - the interfaces used (-v): the BPF tier and the namespace walk, in both;
#   - the /proc tier (--no-bpf) in the pod finds the repro's objects too;
#   - the census counts the pod's namespace exactly once, with the mounts it really has.
# And the one host path the manifest mounts is needed: in a second pod with the runtime's own
# cgroup view in its place, residue does not see the repro's zombies.  Where residue is known to see
# less in a pod (docs/KUBERNETES.md), a "# TODO" line says so without failing the test.
# jq and awk programs are single-quoted on purpose; results are globals set by repro/lib.sh:
# shellcheck disable=SC2016,SC2153
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
D_HERE=$(cd "$(dirname "$0")" && pwd)
# RESIDUE_MANIFEST: another manifest to try (e.g. with one capability fewer).
MANIFEST=${RESIDUE_MANIFEST:-$T_TOP/deploy/kubernetes/residue-daemonset.yaml}

t_init
for tool in python3 setpriv nsenter unshare ldd findmnt mknod; do
	command -v "$tool" >/dev/null || t_skip "$tool is not installed"
done
python3 -c 'import yaml' 2>/dev/null || t_skip "python3-yaml is not installed"
pod_env=$(python3 "$D_HERE/manifest.py" pod-env "$MANIFEST") || t_bail "cannot read $MANIFEST"
eval "$pod_env"
t_log "manifest: caps $POD_CAPS; volumes $POD_VOLUMES"
[[ $POD_HOSTPID == 1 ]] || t_bail "the manifest has no hostPID: the pod would see no host process"

# The privileges as setpriv sets them: bounding set -all,+sys_admin,... (root then gets exactly
# those as permitted and effective), no inheritable ones, no_new_privs.
POD_BOUNDING=-all
for c in ${POD_CAPS//,/ }; do POD_BOUNDING+=",+${c,,}"; done
POD_PRIV=(--inh-caps=-all --bounding-set="$POD_BOUNDING")
((POD_NO_NEW_PRIVS)) && POD_PRIV=(--no-new-privs "${POD_PRIV[@]}")
# The runtime's cgroup namespace: containerd gives each container its own where the memory
# controller is on cgroup v2 (RESIDUE_POD_CGROUPNS=1 or 0 forces it either way).  In it a process's
# cgroup (/proc/PID/cgroup) reads relative to the pod's own, and so do cgroup mount roots in the
# mount tables: those fields are compared apart (a TODO line), the rest as always.
repro_memcg_own || t_skip "no memory cgroup controller"
POD_CGNS=${RESIDUE_POD_CGROUPNS:-$((REPRO_CG_VERSION == 2))}
CG_NS=()
((POD_CGNS)) && CG_NS=(--cgroup)

# ---- the leaks ----------------------------------------------------------------------------------
CASE_KEYS="DEV FSTYPE STATE RISK HOLDER_PID HOW FD MODE HPATH BYTES NFILES"
CASE_KEYS+=" NS_ID NS_INODE NS_MOUNTS NS_DEV"
case_save() {
	local k
	for k in $CASE_KEYS; do printf -v "${1}_$k" %s "${!k-}"; done
	CASES+=" $1"
}
case_load() {
	local k v
	for k in $CASE_KEYS; do
		v=${1}_$k
		printf -v "$k" %s "${!v}"
	done
}
CASES=""
t_repro repro_case_orphan_fd
case_save FD_CASE
t_repro repro_case_orphan_mmap
case_save MMAP_CASE
t_repro repro_case_ext4_write
case_save EXT4_CASE
t_repro repro_case_ns_fd
case_save NS_CASE
t_repro repro_controls
# Where no memory cgroup can be made (cgroup v2 without delegation), the rest is still compared.
ZOMBIES=1
repro_case_zombies 2 1
case $? in
0) t_log "repro_case_zombies: Z_PARENT=$Z_PARENT Z_PINNED=$Z_PINNED" ;;
77)
	ZOMBIES=0
	t_log "no zombie memory cgroup can be made here (see above): zombies are not compared"
	;;
*) t_bail "repro_case_zombies failed (log: $(tail -n 5 "$REPRO_DIR/log"))" ;;
esac

# ---- the pod ------------------------------------------------------------------------------------
# Runs in the pod's fresh namespaces; builds its root and ends as residue-hold pivot (the pause
# process).  $1 root, $2 residue-hold, $3 residue, $4 cgroup view (volumes|runtime), $5 the
# runtime's cgroup for the pod (a cgroupfs directory), $6 where the memory hierarchy is mounted,
# $7 cgroup version, $8 read-only root (1|0), $9 files dir; then libraries, --, volumes.
# shellcheck disable=SC2016
POD_SH='
set -eu
root=$1 hold=$2 bin=$3 view=$4 podcg=$5 cgmnt=$6 cgver=$7 rofs=$8 files=$9
shift 9
libs=""
while [ "$1" != -- ]; do libs="$libs $1"; shift; done
shift
ro_tree() {
	findmnt -rn -o TARGET | while read -r t; do
		case $t in "$1" | "$1"/*) mount -o remount,bind,ro "$t" ;; esac
	done
}
mount -t tmpfs -o mode=0755,size=32m residue-pod-rootfs "$root"
mkdir -p "$root/usr/bin" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
cp "$bin" "$root/usr/bin/residue"
cp /usr/bin/setpriv "$root/usr/bin/setpriv"
for l in $libs; do
	mkdir -p "$root${l%/*}"
	cp -L "$l" "$root$l"
done
# containerd default spec and CRI mounts, in runc order
mount -t proc -o nosuid,noexec,nodev proc "$root/proc"
mount -t tmpfs -o nosuid,strictatime,mode=755,size=65536k tmpfs "$root/dev"
mknod -m 666 "$root/dev/null" c 1 3
mknod -m 666 "$root/dev/zero" c 1 5
mknod -m 666 "$root/dev/full" c 1 7
mknod -m 666 "$root/dev/random" c 1 8
mknod -m 666 "$root/dev/urandom" c 1 9
mknod -m 666 "$root/dev/tty" c 5 0
mkdir "$root/dev/pts" "$root/dev/shm" "$root/dev/mqueue"
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
mount -t tmpfs -o nosuid,noexec,nodev,mode=1777,size=65536k shm "$root/dev/shm"
mount -t mqueue -o nosuid,noexec,nodev mqueue "$root/dev/mqueue"
mount -t sysfs -o ro,nosuid,noexec,nodev sysfs "$root/sys"
if [ "$view" = runtime ]; then
	# no volume at /sys/fs/cgroup: the runtime mounts the pod'"'"'s own cgroup there
	if [ "$cgver" = 1 ]; then
		mount -t tmpfs -o nosuid,noexec,nodev,mode=755 tmpfs "$root/sys/fs/cgroup"
		mkdir -p "$root$cgmnt"
	fi
	mount --bind "$podcg" "$root$cgmnt"
	ro_tree "$root/sys/fs/cgroup"
fi
for f in hosts hostname resolv.conf; do
	: >"$root/etc/$f"
	mount --bind "$files/$f" "$root/etc/$f"
done
: >"$root/dev/termination-log"
mount --bind "$files/termination-log" "$root/dev/termination-log"
# the manifest volumes: hostPath, rbind, read-only recursively (recursiveReadOnly)
for v; do
	h=${v%%:*} rest=${v#*:}
	c=${rest%:*} mode=${rest##*:}
	[ "$view" = runtime ] && [ "$c" = /sys/fs/cgroup ] && continue
	mkdir -p "$root$c" 2>/dev/null || :
	mount --rbind "$h" "$root$c"
	[ "$mode" = ro ] && ro_tree "$root$c"
done
for p in /proc/acpi /proc/asound /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list \
	/proc/timer_stats /proc/sched_debug /sys/firmware /sys/devices/virtual/powercap /proc/scsi; do
	if [ -d "$root$p" ]; then
		mount -t tmpfs -o ro tmpfs "$root$p"
	elif [ -e "$root$p" ]; then
		mount --bind /dev/null "$root$p"
	fi
done
for p in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do
	[ -e "$root$p" ] || continue
	mount --bind "$root$p" "$root$p"
	mount -o remount,bind,ro "$root$p"
done
[ "$rofs" = 1 ] && mount -o remount,bind,ro "$root"
exec "$hold" pivot "$root"
'

# What the dynamic loader maps for residue (the image installs these from Debian packages) and for
# setpriv, which plays the runtime's part of dropping privileges inside the pod.
POD_LIBS=$(ldd "$RESIDUE" /usr/bin/setpriv |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u)
[[ -n $POD_LIBS ]] || t_bail "ldd found no libraries for $RESIDUE"
POD_FILES=$REPRO_DIR/pod-files
mkdir -p "$POD_FILES"
printf '127.0.0.1 localhost\n' >"$POD_FILES/hosts"
printf 'residue-pod\n' >"$POD_FILES/hostname"
printf 'nameserver 127.0.0.1\n' >"$POD_FILES/resolv.conf"
: >"$POD_FILES/termination-log"

# pod_start VAR VIEW: start a pod; sets VAR_PID (its pause process).
pod_start() {
	local var=$1 view=$2 root=$REPRO_DIR/root-$1 rc
	mkdir -p "$root"
	# shellcheck disable=SC2086 # lists
	repro_start "$var" unshare --mount --propagation private --uts --ipc --net "${CG_NS[@]}" -- \
		sh -c "$POD_SH" pod-setup "$root" "$REPRO_HOLD" "$RESIDUE" "$view" "$POD_CG" \
		"$REPRO_CG_MOUNT" "$REPRO_CG_VERSION" "$POD_READONLY_ROOT" "$POD_FILES" $POD_LIBS -- $POD_VOLUMES
	rc=$?
	((rc == 77)) && t_skip "cannot build the pod here: $(tail -n 3 "$REPRO_DIR/log")"
	((rc == 0)) || t_bail "cannot build the pod: $(tail -n 5 "$REPRO_DIR/log")"
}

# pod_exec PID ARGS...: run /usr/bin/residue ARGS in the pod of PID as its container would run:
# entered with all privileges, then (as runc does before it execs the container's process) down to
# the manifest's capabilities, by the pod's own copy of setpriv.
pod_exec() {
	local pid=$1
	shift
	nsenter -t "$pid" -m -u -i -n "${CG_NS[@]/--cgroup/-C}" -- \
		/usr/bin/setpriv "${POD_PRIV[@]}" -- /usr/bin/residue "$@"
}

# The cgroup the runtime would give the pod (for the second pod's view without the volume).
POD_CG=$REPRO_CG_MOUNT$REPRO_CG_OWN/residue-zombies.$$-pod
if ((ZOMBIES)); then
	repro_memcg_mkdir "$POD_CG" || t_bail "cannot create $POD_CG"
fi

pod_start POD volumes
t_log "pod: pause pid $POD_PID, $(wc -l <"/proc/$POD_PID/mountinfo") mounts"
pod_ns_id=$("$REPRO_HOLD" nsid "/proc/$POD_PID/ns/mnt")
pod_mounts=$(wc -l <"/proc/$POD_PID/mountinfo")

# ---- the process's privileges are the manifest's ------------------------------------------------
status=$(setpriv "${POD_PRIV[@]}" -- cat /proc/self/status)
# The capability mask the manifest's names make, from the kernel's numbering (linux/capability.h).
want=0
for c in ${POD_CAPS//,/ }; do
	n=$(awk -v c="CAP_$c" '$1 == "#define" && $2 == c { print $3 }' /usr/include/linux/capability.h)
	[[ -n $n ]] || t_bail "no capability CAP_$c in /usr/include/linux/capability.h"
	want=$((want | (1 << n)))
done
want=$(printf %016x "$want")
for f in CapEff CapPrm CapBnd; do
	got=$(awk -v f="$f:" '$1 == f { print $2 }' <<<"$status")
	t_check "the pod's $f is exactly the manifest's capabilities ($want)" test "$got" = "$want"
done
t_check "the pod's process has no_new_privs" grep -q '^NoNewPrivs:[[:space:]]*1' <<<"$status"
t_check "the pod's root is read-only" grep -q ' / [^ ]* ro,' "/proc/$POD_PID/mountinfo"
t_check "the pod's old root is detached (no host / in its table)" \
	test "$(awk '$5 == "/" { n++ } END { print n }' "/proc/$POD_PID/mountinfo")" = 1
t_check "the pod's /sys/fs/cgroup is mounted read-only" \
	awk '$5 ~ "^/sys/fs/cgroup" && $6 !~ /^ro/ { bad = 1 } $5 ~ "^/sys/fs/cgroup" { n++ }
		END { exit bad || !n }' "/proc/$POD_PID/mountinfo"

# ---- scans --------------------------------------------------------------------------------------
# scan WHERE OUT ARGS...: residue ARGS on the host or in the pod; stdout to OUT, stderr to OUT.err.
scan() {
	local where=$1 out=$2 rc
	shift 2
	if [[ $where == host ]]; then
		"$RESIDUE" "$@" >"$out" 2>"$out.err"
	else
		pod_exec "$where" "$@" >"$out" 2>"$out.err"
	fi
	rc=$?
	((rc == 0)) || t_bail "residue $* ($where) exited $rc: $(head -c 2000 "$out.err")"
}

# Of the kernel view's walk only its outcome: its counts are of the whole host, which moves.  The
# pinning files' paths are compared apart (see the TODO below).  residue lists zombies and files in
# the order the kernel walk met them, which varies from scan to scan: sorted here.
norm_zombies='.kernel_view |= {used, error, complete}
	| .files |= (map(del(.path, .release)) | sort_by(.cgroup, .inode))
	| .zombies |= sort_by(.path) | .parents |= sort_by(.path)'
# The report as compared: gaps as a set (their counts and example pids vary with the moment), the
# census with the scanning residue's own process taken out of its namespace's count.
# shellcheck disable=SC2016
norm_report='
def holders: [.holders[]?] | sort_by(.pid, .how, .fd, .path);
{
	orphans: ([.orphans[] | .holders = holders] | sort_by(.dev)),
	namespaces: ([.namespaces[] | .holders = holders] | sort_by(.ns_id)),
	census: (.census | .namespaces = ([.namespaces[] |
		if .ns_id == $self then .processes -= 1 else . end] | sort_by(.ns_id))),
	zombies: (if has("zombies") then .zombies | '"$norm_zombies"' else null end),
	gaps: ([.gaps[] | {what, call, errno}] | unique)
}'
# part NAME FILE SELF: one part of the normalized report.
# With POD_CGNS the cgroup-relative fields are left out (cgroup, table_bytes); RAW=1 keeps them.
part() {
	local cut=""
	((POD_CGNS && !${RAW:-0})) &&
		cut=' | walk(if type == "object" then del(.cgroup, .table_bytes) else . end)'
	[[ $1 == zombies ]] && cut=""
	jq -S --argjson self "$3" "$norm_report | .$1$cut" "$2"
}

host_ns_id=$("$REPRO_HOLD" nsid /proc/self/ns/mnt)
"$RESIDUE" --json 2>/dev/null | jq -e 'has("zombies")' >/dev/null ||
	t_log "residue --json has no \"zombies\" yet: zombies compared through residue zombies -J only"
PARTS="orphans namespaces census zombies gaps"
pending=$PARTS
((ZOMBIES)) && pending+=" zombies-scan"
for try in 1 2 3 4; do
	[[ -z $pending ]] && break
	scan host "$REPRO_DIR/h1.json" -v --json
	scan "$POD_PID" "$REPRO_DIR/p.json" -v --json
	scan host "$REPRO_DIR/h2.json" -v --json
	if ((ZOMBIES)); then
		scan host "$REPRO_DIR/hz1.json" zombies -J --cgroup "$Z_PARENT"
		scan "$POD_PID" "$REPRO_DIR/pz.json" zombies -J --cgroup "$Z_PARENT"
		scan host "$REPRO_DIR/hz2.json" zombies -J --cgroup "$Z_PARENT"
	fi
	still=""
	for p in $pending; do
		if [[ $p == zombies-scan ]]; then
			h1=$(jq -S "$norm_zombies" "$REPRO_DIR/hz1.json")
			h2=$(jq -S "$norm_zombies" "$REPRO_DIR/hz2.json")
			pv=$(jq -S "$norm_zombies" "$REPRO_DIR/pz.json")
		else
			h1=$(part "$p" "$REPRO_DIR/h1.json" "$host_ns_id")
			h2=$(part "$p" "$REPRO_DIR/h2.json" "$host_ns_id")
			pv=$(part "$p" "$REPRO_DIR/p.json" "$pod_ns_id")
		fi
		if [[ $h1 != "$h2" ]]; then
			t_log "try $try: '$p' changed between the two host scans; again"
			diff <(echo "$h1") <(echo "$h2") | head -n 20 | sed 's/^/#   /'
			still+=" $p"
			continue
		fi
		if [[ $p == gaps ]]; then
			t_check "the pod reports no gap the host does not (try $try)" \
				test "$(jq -c --argjson h "$h1" '. - $h' <<<"$pv")" = "[]"
		else
			t_check "the pod's $p equal the host's (try $try)" test "$pv" = "$h1"
		fi
		[[ $pv == "$h1" ]] || diff <(echo "$h1") <(echo "$pv") | head -n 40 | sed 's/^/# /'
	done
	pending=$still
done
for p in $pending; do
	t_log "'$p' never held still for two host scans (busy host): not compared"
done
if ((POD_CGNS)); then
	same=1
	for p in orphans namespaces census; do
		[[ $(RAW=1 part "$p" "$REPRO_DIR/p.json" "$pod_ns_id") == \
			"$(RAW=1 part "$p" "$REPRO_DIR/h2.json" "$host_ns_id")" ]] || same=0
	done
	if ((same)); then
		echo "ok - in its own cgroup namespace the pod reads processes' cgroups as the host does"
	else
		echo "not ok - in its own cgroup namespace the pod reads processes' cgroups as the host does" \
			"# TODO residue reads /proc/PID/cgroup relative to its own cgroup namespace"
	fi
fi

# ---- the interfaces (-v) ------------------------------------------------------------------------
iface() { grep -E '^residue: (mount namespaces|references):' "$1"; }
t_check "the pod scanned with the same interfaces as the host" \
	test "$(iface "$REPRO_DIR/p.json.err")" = "$(iface "$REPRO_DIR/h1.json.err")"
t_check "the pod read references with the BPF iterators" \
	grep -q '^residue: references: BPF iterators' "$REPRO_DIR/p.json.err"
t_check "the pod walked the namespaces (nsfs) and used listmount" \
	grep -q '^residue: mount namespaces: nsfs NS_MNT_GET_PREV/NEXT walk; mount tables: listmount(2)' \
	"$REPRO_DIR/p.json.err"

# ---- the repro's objects, exactly, in the pod ---------------------------------------------------
# Each leak saved above, asserted on T_JSON as tests/integration asserts it on the host.
assert_cases() {
	local c
	for c in $CASES; do
		case_load "$c"
		if [[ $c == NS_CASE ]]; then
			t_assert_namespace
		else
			t_assert_orphan
		fi
	done
}
T_JSON=$REPRO_DIR/p.json
assert_cases
t_assert_controls
t_expect "the ext4 orphan's source names its loop device and image (from /sys/dev/block)" \
	--arg d "$EXT4_CASE_DEV" \
	'[.orphans[] | select(.dev == $d) | .source | test("^/dev/loop[0-9]+ \\(")] == [true]'
t_expect "the census counts the pod's namespace once, with its $pod_mounts mounts and 2 processes" \
	--argjson id "$pod_ns_id" --argjson m "$pod_mounts" \
	'[.census.namespaces[] | select(.ns_id == $id) | [.mounts, .processes]] == [[$m, 2]]'
T_JSON=$REPRO_DIR/h1.json
t_expect "the host's census counts it too, with 1 process (the pause)" \
	--argjson id "$pod_ns_id" --argjson m "$pod_mounts" \
	'[.census.namespaces[] | select(.ns_id == $id) | [.mounts, .processes]] == [[$m, 1]]'

if ((ZOMBIES)); then
	T_JSON=$REPRO_DIR/pz.json
	t_expect "the pod sees the 2 zombies below $Z_PARENT, through the kernel view" \
		'.count.zombies == 2 and .count.source == "bpf"'
	t_expect "the pod's memory hierarchy is the host's, at the same mount point" \
		--arg m "$REPRO_CG_MOUNT" --argjson v "$REPRO_CG_VERSION" \
		'.hierarchy.mount == $m and .hierarchy.version == $v'

	# A pinning file is named by looking its device up in residue's own mount table, which in the pod
	# holds none of the host's filesystems: the pod names no file, and cannot release it.
	# shellcheck disable=SC2016
	pins='[.files[] | {cgroup, inode, path, release}] | sort_by(.cgroup, .inode)'
	if [[ $(jq -c "$pins" "$REPRO_DIR/pz.json") == "$(jq -c "$pins" "$REPRO_DIR/hz1.json")" ]]; then
		echo "ok - the pod names each pinning file by its host path"
	else
		echo "not ok - the pod names each pinning file by its host path # TODO residue resolves" \
			"names through its own mount namespace only"
		t_log "pod: $(jq -c "$pins" "$REPRO_DIR/pz.json")"
		t_log "host: $(jq -c "$pins" "$REPRO_DIR/hz1.json")"
	fi
fi

# ---- the /proc tier in the pod ------------------------------------------------------------------
scan "$POD_PID" "$REPRO_DIR/pn.json" -v orphans -J --no-bpf
t_check "--no-bpf in the pod reads references through /proc" \
	grep -q '^residue: references: /proc' "$REPRO_DIR/pn.json.err"
T_JSON=$REPRO_DIR/pn.json
assert_cases
scan host "$REPRO_DIR/hn.json" orphans -J --no-bpf
gapset='[.gaps[] | {what, call, errno}] | unique'
t_check "--no-bpf: the pod reports no gap the host does not" test "$(jq -c --argjson h \
	"$(jq -c "$gapset" "$REPRO_DIR/hn.json")" "$gapset - \$h" "$REPRO_DIR/pn.json")" = "[]"

# ---- without the volume, the pod sees only its own cgroup ---------------------------------------
if ((ZOMBIES)); then
	pod_start BARE runtime
	scan "$BARE_PID" "$REPRO_DIR/bz.json" zombies -J
	T_JSON=$REPRO_DIR/bz.json
	t_expect "without the /sys/fs/cgroup volume the pod sees only its own cgroup (1 live, 0 zombies)" \
		'.count.live == 1 and .count.zombies == 0 and .zombies == []'
fi

t_done
