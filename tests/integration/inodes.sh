#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# residue inodes on a healthy kernel: no finding.  In a mount namespace of its own the test makes
# the look-alikes of a leaked reference -- a tmpfs with 3 000 files, open fds, a cwd, a mapping,
# an O_PATH fd, a bind mount of a file, an ext4 on an autoclear loop device under create/delete
# churn, files only an io_uring ring (fixed file) or a unix socket's queue (SCM_RIGHTS in
# flight, directly and nested) holds -- and asserts, twice, that `residue inodes -J` (every superblock, and each of its own)
# finds nothing, that its own superblocks were audited, and that `--check` exits 0.
#
# Hook for the leak shapes (tests/vm, branch deadsb): with INODES_LEAK_DEV=MAJ:MIN (a filesystem
# where a test module leaked a reference) and INODES_LEAK_KIND (stranded, dentry_refs or
# inode_refs), the test instead asserts that `residue inodes MAJ:MIN` reports that kind and that
# `--check` exits 1; INODES_LEAK_INO, when set, must be the finding's inode number.
# Exit codes: 0 pass, 1 fail, 77 skip.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
RESIDUE=${RESIDUE:-$TOP/build/residue}
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
[[ -x $RESIDUE ]] || { echo "SKIP: no residue at $RESIDUE"; exit 77; }

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
FAILS=0

if [[ -n ${INODES_LEAK_DEV:-} ]]; then
	out=$("$RESIDUE" inodes -J "$INODES_LEAK_DEV") || { echo "FAIL: residue inodes failed"; exit 1; }
	jq -e '.audited' <<<"$out" >/dev/null || { echo "SKIP: not audited: $(jq -r .error <<<"$out")"; exit 77; }
	kind=${INODES_LEAK_KIND:-dentry_refs}
	n=$(jq --arg k "$kind" --arg i "${INODES_LEAK_INO:-}" \
		'[.findings[] | select(.kind == $k and ($i == "" or (.inode | tostring) == $i))] | length' <<<"$out")
	((n >= 1)) || fail "no $kind finding on $INODES_LEAK_DEV: $out"
	"$RESIDUE" inodes --check -n "$INODES_LEAK_DEV" >/dev/null
	rc=$?
	((rc == 1)) || fail "--check exited $rc on a leak, want 1"
	((FAILS == 0)) && echo "PASS: $kind found on $INODES_LEAK_DEV"
	exit $((FAILS ? 1 : 0))
fi

DIR=$(mktemp -d /tmp/residue-inodes.XXXXXX)
NSPID=""
SERVEPID=""
cleanup() {
	trap - EXIT INT TERM
	[[ -n $SERVEPID ]] && kill -TERM "$SERVEPID" 2>/dev/null && wait "$SERVEPID" 2>/dev/null
	# The namespace's processes are the inner shell's children: ending it ends the namespace,
	# which unmounts the tmpfs and the ext4 (whose loop device clears itself).
	[[ -n $NSPID ]] && kill -TERM "$NSPID" 2>/dev/null && wait "$NSPID" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The world, inside `unshare -m`: it writes the devs it made to $DIR/devs, then waits to be killed.
cat >"$DIR/world.sh" <<'INNER'
set -eu
D=$1
mount --make-rprivate /
mkdir -p "$D/t" "$D/e"
mount -t tmpfs -o size=64m residue-inodes-t "$D/t"
mkdir "$D/t/many" "$D/t/cwd"
for i in $(seq 1 3000); do : >"$D/t/many/f$i"; done
echo data >"$D/t/held"
truncate -s 64M "$D/img"
mkfs.ext4 -q -F "$D/img"
mount -o loop "$D/img" "$D/e"
mkdir "$D/e/churn"; echo x >"$D/e/file"
: >"$D/t/bindtarget"
mount --bind "$D/e/file" "$D/t/bindtarget"
pids=()
exec 7<"$D/t/held" 8<"$D/e/file"
(cd "$D/t/cwd" && exec sleep 600) & pids+=($!)
(cd "$D/e/churn" && exec sleep 600) & pids+=($!)
# A mapping whose fd is closed, and an O_PATH fd (residue-hold: the 6.1 guest has no python3).
"$HOLD" mmap "$D/t/held" >"$D/h.mmap" & pids+=($!)
"$HOLD" fd "$D/e/churn" path >"$D/h.opath" & pids+=($!)
# Files only the kernel holds, which residue's holder walks explain: an io_uring fixed file and
# a file in flight (SCM_RIGHTS, never received), each closed by the process that holds it.
echo u >"$D/e/uring"; echo f >"$D/e/flight"; echo n >"$D/e/nested"
"$HOLD" io_uring "$D/e/uring" >"$D/h.uring" & pids+=($!)
"$HOLD" inflight "$D/e/flight" >"$D/h.flight" & pids+=($!)
"$HOLD" inflight-nested "$D/e/nested" >"$D/h.nested" & pids+=($!)
for h in mmap opath uring flight nested; do
	for _ in $(seq 1 100); do grep -q '^ready' "$D/h.$h" && break; sleep 0.05; done
	grep -q '^ready' "$D/h.$h"
done
# Churn: files made and removed on ext4 and tmpfs for as long as the world lives.
(i=0; while :; do i=$((i+1)); echo $i >"$D/e/churn/c$((i % 50))"; rm -f "$D/e/churn/c$(((i + 25) % 50))"; : >"$D/t/many/x$((i % 30))"; rm -f "$D/t/many/x$(((i + 15) % 30))"; done) & pids+=($!)
echo "$(mountpoint -d "$D/t") $(mountpoint -d "$D/e")" >"$D/devs"
trap 'kill "${pids[@]}" 2>/dev/null; wait; exit 0' TERM
wait
INNER
HOLD=${RESIDUE_HOLD:-$TOP/build/repro/residue-hold}
[[ -x $HOLD ]] || { echo "SKIP: no $HOLD"; exit 77; }
HOLD=$HOLD unshare -m bash "$DIR/world.sh" "$DIR" &
NSPID=$!
for _ in $(seq 1 100); do [[ -s $DIR/devs ]] && break; sleep 0.1; done
[[ -s $DIR/devs ]] || { echo "FAIL: the test world did not come up"; exit 1; }
read -r TDEV EDEV <"$DIR/devs"
echo "# tmpfs $TDEV, ext4 $EDEV"

for round in 1 2; do
	out=$("$RESIDUE" inodes -J) || fail "round $round: residue inodes failed"
	if ! jq -e '.audited' <<<"$out" >/dev/null; then
		echo "SKIP: the audit did not run: $(jq -r .error <<<"$out")"
		exit 77
	fi
	jq -e '.counts.stranded == 0 and .counts.dentry_refs == 0 and .counts.inode_refs == 0' \
		<<<"$out" >/dev/null || fail "round $round: findings on a healthy host: $(jq -c .findings <<<"$out")"
	for dev in "$TDEV" "$EDEV"; do
		jq -e --arg d "$dev" '[.superblock_list[] | select(.dev == $d)] | length == 1' \
			<<<"$out" >/dev/null || fail "round $round: $dev was not audited"
		one=$("$RESIDUE" inodes -J "$dev") || fail "round $round: residue inodes $dev failed"
		jq -e '.superblocks == 1 and (.findings | length) == 0 and .complete' <<<"$one" \
			>/dev/null || fail "round $round: $dev: $(jq -c '{superblocks, complete, findings, gaps}' <<<"$one")"
	done
	jq -e '[.superblock_list[] | select(.fstype == "ext4" and .inodes > 0)] | length >= 1' \
		<<<"$out" >/dev/null || fail "round $round: no ext4 inode was walked"
	echo "# round $round: $(jq -c '{superblocks, inodes, counts, ms: .ms.total}' <<<"$out")"
done
"$RESIDUE" inodes --check "$TDEV" >/dev/null
rc=$?
((rc == 0)) || fail "--check on a healthy tmpfs exited $rc"
"$RESIDUE" inodes -r -n -o KIND,DEV "$EDEV" | grep -q . && fail "-r -n printed a row for a healthy ext4"

# In the rest of residue: the default scan runs no audit and says so, --inodes runs one, and
# serve audits on its own period, one walk per audit after the first (docs/INODES.md).
out=$("$RESIDUE" --json) || fail "residue --json failed"
jq -e '.inodes.audited == false and .inodes.findings == null and (.inodes.reason | length) > 0
	and (.inodes.how | test("residue inodes"))' <<<"$out" >/dev/null ||
	fail "residue --json: $(jq -c .inodes <<<"$out")"
"$RESIDUE" | grep -q '^Inode audit: not run' || fail "residue's screen does not say the audit did not run"
out=$("$RESIDUE" --json --inodes) || fail "residue --json --inodes failed"
jq -e '.inodes.audited and .inodes.complete and (.inodes.findings | length) == 0' <<<"$out" \
	>/dev/null || fail "residue --json --inodes: $(jq -c '.inodes | del(.superblock_list)' <<<"$out")"
"$RESIDUE" --prometheus --inodes | grep -qx 'residue_inode_audited 1' ||
	fail "residue --prometheus --inodes: residue_inode_audited is not 1"
# The host may have other findings (other tests' orphans): only the audit's part is asserted.
line=$("$RESIDUE" --check --inodes)
grep -q "inode" <<<"$line" && fail "residue --check --inodes: $line; now: $("$RESIDUE" inodes -J | jq -c .findings)"

# The agent (needs curl, absent from the 6.1 guest).
if ! command -v curl >/dev/null; then
	echo "# no curl: residue serve's audit not tried"
else
	"$RESIDUE" serve --listen 127.0.0.1:0 --interval 30 --inodes-interval 1.5 --duration 20 \
		2>"$DIR/serve.log" &
	SERVEPID=$!
	PORT=""
	for _ in $(seq 1 50); do
		PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$DIR/serve.log")
		[[ -n $PORT ]] && break
		sleep 0.1
	done
	# The first audit takes two samples 0.25 s apart; a later one compares with the last (1.5 s).
	ok=""
	for _ in $(seq 1 80); do
		rep=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/report") || rep=""
		if jq -e '.inodes.audited and .inodes.interval_s >= 1' <<<"$rep" >/dev/null 2>&1; then
			ok=1
			break
		fi
		sleep 0.25
	done
	if [[ -n $ok ]]; then
		jq -e '.inodes.complete and (.inodes.findings | length) == 0' <<<"$rep" >/dev/null ||
			fail "serve's audit: $(jq -c '.inodes | del(.superblock_list)' <<<"$rep")"
		curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" | grep -qx 'residue_inode_audited 1' ||
			fail "serve's /metrics: residue_inode_audited is not 1"
		echo "# serve: $(jq -c '.inodes | {interval_s, age_s, ms: .ms.total, counts}' <<<"$rep")"
	else
		fail "serve published no audit of one walk: $(jq -c '.inodes | del(.superblock_list)' <<<"$rep" 2>&1 | head -c 400); $(cat "$DIR/serve.log")"
	fi
	kill -TERM "$SERVEPID" 2>/dev/null
	wait "$SERVEPID" 2>/dev/null
	grep -q '^<[0-9]>residue: inodes appeared' "$DIR/serve.log" &&
		fail "serve logged an inode finding: $(grep 'inodes appeared' "$DIR/serve.log")"
fi
SERVEPID=""

((FAILS == 0)) && echo "PASS"
exit $((FAILS ? 1 : 0))
