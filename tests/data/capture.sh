#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Re-captures the machine-made samples in tests/data/ (README.md lists them).
# Needs root for the mount namespace part.  Every mount happens inside
# `unshare -m --propagation private`, below a mktemp directory, so nothing
# is ever mounted in the caller's namespace; the directory is removed on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
top=$here/../..
tmp=$(mktemp -d /tmp/residue-capture.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

${CC:-cc} -D_GNU_SOURCE -I "$top/lib/base" -o "$tmp/capture-helper" "$here/capture-helper.c"

# --- this process, in the host namespaces (read-only) ---
cat /proc/self/fdinfo/0 </etc/hostname >"$out/fdinfo-stdin.txt"
cat /proc/self/cgroup >"$out/cgroup-self.txt"
cat /proc/1/cgroup >"$out/cgroup-init.txt"
cat /proc/self/maps >"$out/maps-cat.txt"
cat /proc/self/mountinfo >"$out/mountinfo-host.txt"
for ns in /proc/self/ns/*; do readlink "$ns"; done >"$out/ns-links.txt"
ls /proc/self/map_files >"$out/map-files.txt"
"$tmp/capture-helper" fdinfo "$out"
"$tmp/capture-helper" statmount / "$out/statmount-root.bin"

# --- a private mount namespace: tmpfs mounts with awkward names ---
export out tmp
unshare -m --propagation private bash -euo pipefail -c '
	mkdir "$tmp/mnt point"
	mount -t tmpfs -o size=1m "my src" "$tmp/mnt point"
	cat /proc/self/mountinfo >"$out/mountinfo-space.txt"
	"$tmp/capture-helper" statmount "$tmp/mnt point" "$out/statmount-space.bin"

	# A shared mapping of a deleted file whose path has a space.
	python3 -c "
import mmap, os, sys
p = sys.argv[1] + \"/shm file\"
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o600)
os.ftruncate(fd, 8192)
m = mmap.mmap(fd, 8192, mmap.MAP_SHARED)
r = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
os.unlink(p)
open(sys.argv[2], \"w\").write(open(\"/proc/self/maps\").read())
" "$tmp/mnt point" "$out/maps-shared-deleted.txt"

	esc="$tmp/tab"$'\''\t'\''"back\\slash"$'\''\n'\''"nl"
	mkdir "$esc"
	mount -t tmpfs -o size=1m,mode=700 "src\\with\\backslash" "$esc"
	cat /proc/self/mountinfo >"$out/mountinfo-escapes.txt"
	"$tmp/capture-helper" statmount "$esc" "$out/statmount-escapes.bin"

	# Propagation: a shared mount, a slave, a shared slave, an unbindable
	# mount and a bind of a subdirectory (root != "/").
	mkdir "$tmp/shared" "$tmp/slave" "$tmp/slave-shared" "$tmp/unbindable" "$tmp/bindsub"
	mount -t tmpfs -o size=1m peer-src "$tmp/shared"
	mount --make-shared "$tmp/shared"
	mkdir "$tmp/shared/sub dir"
	mount --bind "$tmp/shared" "$tmp/slave"
	mount --make-slave "$tmp/slave"
	mount --bind "$tmp/shared" "$tmp/slave-shared"
	mount --make-slave "$tmp/slave-shared"
	mount --make-shared "$tmp/slave-shared"
	mount -t tmpfs -o size=1m unbindable-src "$tmp/unbindable"
	mount --make-unbindable "$tmp/unbindable"
	mount --bind "$tmp/shared/sub dir" "$tmp/bindsub"
	cat /proc/self/mountinfo >"$out/mountinfo-propagation.txt"

	# A tmpfs mounted with an empty source: two spaces before the super options.
	mkdir "$tmp/empty source"
	mount -t tmpfs -o size=1m "" "$tmp/empty source"
	grep -F "empty\\040source" /proc/self/mountinfo >"$out/mountinfo-empty-source.txt"

	# propagate_from: a chrooted reader sees a slave whose master (B) lies
	# outside its root while the master'\''s master (A) lies inside.
	mkdir "$tmp/root" "$tmp/b"
	mount -t tmpfs -o size=1m root-src "$tmp/root"
	mkdir -p "$tmp/root/a" "$tmp/root/c"
	mount -t tmpfs -o size=1m a-src "$tmp/root/a"
	mount --make-shared "$tmp/root/a"
	mount --bind "$tmp/root/a" "$tmp/b"
	mount --make-slave "$tmp/b"
	mount --make-shared "$tmp/b"
	mount --bind "$tmp/b" "$tmp/root/c"
	mount --make-slave "$tmp/root/c"
	mount --make-shared "$tmp/root/c"
	python3 -c "
import os, sys
r, w = os.pipe()
ready_r, ready_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    os.chroot(sys.argv[1])
    os.write(ready_w, b\"x\")
    os.read(r, 1)
    os._exit(0)
os.close(r)
os.read(ready_r, 1)
open(sys.argv[2], \"w\").write(open(\"/proc/%d/mountinfo\" % pid).read())
os.close(w)
os.waitpid(pid, 0)
" "$tmp/root" "$out/mountinfo-chroot.txt"
'
