#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The capability set of deploy/systemd/residue.service is the smallest that gives a complete scan.
# With leaks in place -- an orphaned tmpfs held by an fd, a process-less namespace holding a tmpfs
# (its bytes are measured after setns), an orphan held by another user, a zombie memory cgroup --
# residue run as root with exactly that set finds exactly what unrestricted root finds, on the BPF
# tier (`residue --json`), the /proc tier (`orphans -J --no-bpf`) and in the zombies' kernel view
# (`zombies -J`), with no privilege gap and without CAP_BPF/CAP_PERFMON.  Then, for each capability
# of the set, a run without it names it (one stderr line, a "privilege: cap_x" gap), loses what
# it was needed for, and invents nothing (repro_controls' look-alikes stay unreported).
# CAP_SYSLOG is in the set for /dev/kmsg where kernel.dmesg_restrict is 1: the test skips when it
# is 0 here (then nothing is lost without it).
# jq programs are single-quoted on purpose; case results are globals set by repro/lib.sh:
# shellcheck disable=SC2016,SC2153
# shellcheck source=tests/deploy/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
command -v setpriv >/dev/null || t_skip "setpriv (util-linux) is not installed"
CAPS=$(d_unit_caps)
[[ -n $CAPS ]] || t_bail "no CapabilityBoundingSet= in $D_UNIT"
[[ $(sysctl -n kernel.dmesg_restrict 2>/dev/null) == 0 ]] &&
	t_skip "kernel.dmesg_restrict is 0: cap_syslog of the unit's set would lose nothing here"
t_log "the unit's set: $CAPS"

t_repro repro_case_orphan_fd
O_DEV=$DEV O_PID=$HOLDER_PID
t_repro repro_case_ns_fd
D_NS_IDS=$NS_ID
t_repro d_repro_orphan_other_user
# Look-alikes: a live container's tmpfs held from outside must stay no orphan however few
# capabilities residue has (without CAP_SYS_ADMIN its namespace cannot be listed).
t_repro repro_controls
t_repro_zombies_if_any 1 0

"$RESIDUE" --json >"$T_JSON" 2>"$REPRO_DIR/root.err"
t_expect "unrestricted root: orphan $O_DEV, $OU_DEV and namespace $NS_ID are found" \
	--arg a "$O_DEV" --arg b "$OU_DEV" --argjson n "$NS_ID" \
	'([.orphans[] | select(.dev == $a or .dev == $b)] | length) == 2 and
	 ([.namespaces[] | select(.ns_id == $n and .pinned_bytes != null)] | length) == 1'
t_expect "unrestricted root: no privilege gap" '[.gaps[] | select(.what | startswith("privilege:"))] == []'

# ---- exactly the unit's set: everything ----------------------------------------------------
d_same "BPF tier, exactly {$CAPS}" "$CAPS" --json
d_same "/proc tier, exactly {$CAPS}" "$CAPS" orphans -J --no-bpf
if ((HAVE_ZOMBIE)); then
	d_same "zombies, exactly {$CAPS}" "$CAPS" zombies -J --cgroup "$Z_PARENT"
	t_expect "zombies, exactly {$CAPS}: the kernel view (BPF) named 1 zombie" \
		'.kernel_view.used == true and .count.source == "bpf" and .count.zombies == 1'
fi
d_caps_run "$CAPS" "$RESIDUE" -v orphans -J >/dev/null 2>"$REPRO_DIR/v.err"
t_check "without cap_bpf and cap_perfmon the BPF iterators still load (cap_sys_admin covers them)" \
	grep -q "references: BPF iterators" "$REPRO_DIR/v.err"

# ---- one capability fewer: it is named, and something is lost --------------------------------
# d_without CAP ARGS...: residue ARGS with the unit's set minus CAP into T_JSON; asserts exit 0,
# one stderr line naming cap_CAP, a "privilege: cap_CAP (...)" gap (capget, EPERM), and that it
# invents nothing: every orphan and namespace it reports, root reports too (just before or after).
d_without() {
	local cap=$1 set="" c rc
	shift
	for c in $CAPS; do [[ $c == "$cap" ]] || set+=" $c"; done
	"$RESIDUE" "$@" >"$REPRO_DIR/root-before.json" 2>/dev/null
	d_caps_run "$set" "$RESIDUE" "$@" >"$T_JSON" 2>"$REPRO_DIR/without.err"
	rc=$?
	"$RESIDUE" "$@" >"$REPRO_DIR/root-after.json" 2>/dev/null
	t_expect "without cap_$cap, residue $*: no orphan or namespace unrestricted root does not report" \
		--slurpfile b "$REPRO_DIR/root-before.json" --slurpfile a "$REPRO_DIR/root-after.json" \
		'([$b[0], $a[0]] | map(.orphans[].dev)) as $od | ([$b[0], $a[0]] | map(.namespaces[].ns_id)) as $nd
		| all(.orphans[]; .dev as $d | $od | index($d)) and all(.namespaces[]; .ns_id as $n | $nd | index($n))'
	t_check "without cap_$cap, residue $*: exit 0" test "$rc" == 0
	t_check "without cap_$cap, residue $*: one stderr line naming cap_$cap" \
		test "$(wc -l <"$REPRO_DIR/without.err")" == 1 -a \
		"$(grep -c "^residue: without .*cap_$cap (" "$REPRO_DIR/without.err")" == 1
	t_expect "without cap_$cap, residue $*: a privilege gap for cap_$cap" --arg p "privilege: cap_$cap (" \
		'[.gaps[] | select((.what | startswith($p)) and .call == "capget" and .errno == "EPERM")] | length == 1'
	t_expect "without cap_$cap, residue $*: no privilege gap for another capability" \
		--arg p "privilege: cap_$cap (" \
		'[.gaps[] | select((.what | startswith("privilege:")) and (.what | startswith($p) | not))] == []'
}
ns_gone='[.namespaces[] | select(.ns_id == $n)] == []'
ns_no_bytes='[.namespaces[] | select(.ns_id == $n) | .pinned_bytes] == [null]'
no_orphan='[.orphans[] | select(.dev == $d)] == []'
# The BPF tier's superblock walk still sees an orphan whose holder the scan could not read: it is
# reported with one holder of how "unknown" (never "kernel", never the pid it could not see); the
# /proc tier, without the walk, loses it.
unknown_holder='([.orphans[] | select(.dev == $d) | [.holders[].how]] == [["unknown"]])'

for tier in "--json" "orphans -J --no-bpf"; do
	if [[ $tier == --json ]]; then
		lost=$unknown_holder lost_as="its holder unknown"
	else
		lost=$no_orphan lost_as="not reported"
	fi
	# shellcheck disable=SC2086 # $tier is a list of arguments
	for cap in $CAPS; do
		d_without "$cap" $tier
		case $cap in
		sys_admin)
			t_expect "  lost: process-less namespace $NS_ID (nsfs walk refused)" --argjson n "$NS_ID" "$ns_gone"
			;;
		sys_ptrace)
			t_expect "  lost: orphan $O_DEV held by root's pid $O_PID ($lost_as)" \
				--arg d "$O_DEV" "$lost"
			;;
		dac_read_search)
			# The BPF tier saw the reference, its probe could not open it; the /proc tier
			# could not list the holder's fds at all.  (Another user's holder elsewhere on
			# the host may be the gap's example pid.)
			if [[ $tier == --json ]]; then
				what="holder of an unattached mount (/proc/PID/…)"
			else
				what="open files (/proc/PID/fd)"
			fi
			t_expect "  lost: orphan $OU_DEV held by nobody's pid $OU_PID ($lost_as), said in a gap: $what" \
				--arg d "$OU_DEV" --arg w "$what" \
				"$lost"' and ([.gaps[] | select(.what == $w and .call == "open" and .errno == "EACCES")] | length) == 1'
			if [[ $tier == --json ]]; then
				t_expect "  lost: the files of orphan $O_DEV (open_by_handle_at)" --arg d "$O_DEV" \
					'[.orphans[] | select(.dev == $d) | .nr_files == null and .files_note != null] == [true]'
			fi
			;;
		sys_chroot)
			t_expect "  lost: the tmpfs bytes of namespace $NS_ID (setns refused)" --argjson n "$NS_ID" \
				"$ns_no_bytes"
			;;
		syslog)
			# Needed only where kernel.dmesg_restrict is 1 (this machine's default).
			if [[ $tier == --json ]]; then
				t_expect "  lost: the kernel log (/dev/kmsg: EPERM), said in a gap" \
					'.kernel_log.readable == false and .kernel_log.errno == "EPERM" and
					 ([.gaps[] | select((.what | startswith("kernel log")) and .errno == "EPERM")] | length) == 1'
			fi
			;;
		*)
			t_check "  the unit's set holds only capabilities this test knows why it needs ($cap?)" false
			;;
		esac
	done
done
# `residue zombies` reads no snapshot (no privilege gap there yet): its kernel view says why it
# is missing.
if ((HAVE_ZOMBIE)); then
	set=""
	for c in $CAPS; do [[ $c == sys_admin ]] || set+=" $c"; done
	d_caps_run "$set" "$RESIDUE" zombies -J --cgroup "$Z_PARENT" >"$T_JSON" 2>/dev/null
	t_expect "without cap_sys_admin, zombies -J: no kernel view (BPF refused: EPERM)" \
		'.kernel_view.used == false and .kernel_view.error == "Operation not permitted"'
fi
t_done
