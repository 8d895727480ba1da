#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Where the build has the BPF tier and the kernel has BTF, a root scan must use it (a silent
# fallback to /proc would leave the BPF tier untested by every other test), and it must find the
# seed's mmap-only orphan exactly as /proc does: the same dev, state, holder and bytes.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
"$RESIDUE" -v orphans -J 2>"$REPRO_DIR/verbose" >/dev/null
grep -q 'Operation not supported' "$REPRO_DIR/verbose" && t_skip "built without the BPF tier"
[[ -r /sys/kernel/btf/vmlinux ]] || t_skip "no kernel BTF"
# Every kernel with BTF loads the programs, also where references come from /proc (6.1): the
# superblock walk and the kernel-holder programs need them.  (6.1 lost them once, unseen: a
# field of 6.8 in one program made the kernel refuse the whole skeleton.)
t_check "the kernel loads residue's BPF programs (no refusal in -v)" \
	bash -c "! grep -q 'refused BPF' '$REPRO_DIR/verbose'"
t_residue
t_expect "the superblock walk ran" '[.gaps[] | select(.call == "walk_sbs" or .call == "bpf")] | length == 0'
# The tier ties references to mounts by unique mount id, which comes with listmount (6.8).
if grep -q 'mount ids: 32-bit' "$REPRO_DIR/verbose"; then
	t_log "no listmount/unique mount ids on this kernel: references come from /proc by design"
	t_done
fi
t_check "a root scan reads references with the BPF iterators" \
	grep -q 'references: BPF iterators' "$REPRO_DIR/verbose"
t_repro repro_case_orphan_mmap
t_residue
t_assert_orphan
cp "$T_JSON" "$REPRO_DIR/bpf.json"
t_residue --no-bpf
t_check "the /proc tier reports the same orphan" test \
	"$(jq -c --arg d "$DEV" '[.orphans[] | select(.dev == $d) | {dev, state, risk, pinned_bytes, h: [.holders[] | {pid, how, fd, path, mode}]}]' "$T_JSON")" = \
	"$(jq -c --arg d "$DEV" '[.orphans[] | select(.dev == $d) | {dev, state, risk, pinned_bytes, h: [.holders[] | {pid, how, fd, path, mode}]}]' "$REPRO_DIR/bpf.json")"
t_done
