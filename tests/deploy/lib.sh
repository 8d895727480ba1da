# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers of the deploy tests: run residue with exactly the capability set of the systemd unit
# (read from deploy/systemd/residue.service, so the unit and the tests cannot drift apart), either
# as root with a reduced set (what capsh/setpriv users do) or in an approximation of the unit's
# sandbox (its non-root user, no_new_privs, the ambient set), and compare what it finds with what
# unrestricted root finds.  Built on tests/integration/lib.sh (t_* helpers, repro/lib.sh).
# shellcheck shell=bash
# jq programs are single-quoted on purpose; case results are globals set by repro/lib.sh:
# shellcheck disable=SC2016,SC2153

D_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$D_HERE/../integration/lib.sh"
D_UNIT=$T_TOP/deploy/systemd/residue.service

# The capabilities of KEY= (CapabilityBoundingSet or AmbientCapabilities) in the unit, as
# setpriv spells them ("sys_admin sys_ptrace ..."), in the unit's order.
d_unit_caps() {
	local key=${1:-CapabilityBoundingSet} line c out=""
	line=$(grep -E "^$key=" "$D_UNIT" | tail -n 1)
	for c in ${line#*=}; do
		c=${c,,}
		out+=" ${c#cap_}"
	done
	echo "${out# }"
}

# "+a,+b" for setpriv from "a b"; "" stays "".
d_setpriv_list() {
	local c out=""
	for c in $1; do out+=",+$c"; done
	echo "$out"
}

# d_caps_run "CAPS" CMD...: CMD as root with exactly CAPS (effective = permitted = bounding).
d_caps_run() {
	local l
	l=$(d_setpriv_list "$1")
	shift
	setpriv --inh-caps=-all"$l" --ambient-caps=-all"$l" --bounding-set=-all"$l" -- "$@"
}

# d_unit_run CMD...: CMD as the unit would run it, without systemd as PID 1: a non-root user
# (nobody stands in for the package's "residue" user), no_new_privs, and the unit's ambient and
# bounding sets.  CMD must be reachable by nobody (see d_residue_copy).
# D_UNIT_SETPRIV is that setpriv command line, for a daemon started with `... &` (a simple
# command, so that $! is the daemon itself and a signal reaches it).
d_unit_setpriv() {
	local b a
	b=$(d_setpriv_list "$(d_unit_caps CapabilityBoundingSet)")
	a=$(d_setpriv_list "$(d_unit_caps AmbientCapabilities)")
	D_UNIT_SETPRIV=(setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs
		--inh-caps=-all"$a" --ambient-caps=-all"$a" --bounding-set=-all"$b" --)
}
d_unit_run() {
	d_unit_setpriv
	"${D_UNIT_SETPRIV[@]}" "$@"
}

# A copy of residue that nobody can execute (the build tree may not be reachable by nobody).
d_residue_copy() {
	chmod 0711 "$REPRO_DIR"
	cp "$RESIDUE" "$REPRO_DIR/residue-unit"
	chmod 0755 "$REPRO_DIR/residue-unit"
	echo "$REPRO_DIR/residue-unit"
}

# An orphan held by another user (uid 65534): a container's tmpfs, lazily unmounted in its still
# living namespace while a residue-hold running as nobody inside that namespace keeps a file of it
# open.  /proc/PID/fd of that holder is mode 0500, owned by nobody: only CAP_DAC_READ_SEARCH (or
# CAP_DAC_OVERRIDE) opens it.  Sets OU_DEV, OU_PID, OU_FD.
d_repro_orphan_other_user() {
	repro_container OC tmpfs orphan-other-user || return
	# nobody must be able to walk to the file from inside the container's namespace.
	chmod 0711 "$REPRO_DIR"
	repro_start OH nsenter -t "$OC_PID" -m setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$REPRO_HOLD" fd "$OC_DIR/held" r || return
	nsenter -t "$OC_PID" -m umount -l "$OC_DIR" || repro_fail "umount -l in $OC_PID" || return
	[[ $(stat -c %u "/proc/$OH_PID") == 65534 ]] || repro_fail "holder $OH_PID is not nobody" || return
	OH_FD=$(repro_field "$OH_READY" fd)
	repro_set OU_DEV="$OC_DEV" OU_PID="$OH_PID" OU_FD="$OH_FD"
	repro_verify_orphan "/proc/$OH_PID/fd/$OH_FD" "$OU_DEV"
}

# What "the same findings" means: every orphan and process-less namespace with all that residue
# says about it, and the gaps by kind (counts of vanished processes may differ between runs).
# Only census entries of NS_IDS (ours): the census of the whole host moves with other tests.
D_NORM='{
	orphans: ([.orphans[] | {dev, fstype, source, state, risk, pinned_bytes, nr_files,
		files_note, files, holders: [.holders[] | {pid, tid, how, fd, path, mode, comm}]}]
		| sort_by(.dev)),
	namespaces: ([(.namespaces // [])[] | {ns_id, inode, mounts, pinned_bytes, holders}]
		| sort_by(.ns_id)),
	census: [(.census.namespaces // [])[] | select(.ns_id as $i | $ids | index($i))
		| del(.processes, .pid, .comm, .cgroup, .container)],
	gaps: ([.gaps[] | {what, call, errno}] | unique)
}'
D_ZNORM='{
	count: .count.zombies, source: .count.source, kernel_view: .kernel_view.used,
	zombies: ([.zombies[] | .path] | sort),
	files: ([.files[] | {cgroup, path, release}] | sort),
	gaps: ([.gaps[] | {what, call, errno}] | unique)
}'

# d_same LABEL WHO ARGS...: run `residue ARGS` as unrestricted root and as WHO -- "unit" for
# d_unit_run, else a capability list for d_caps_run -- and assert the same findings (D_NORM, or
# D_ZNORM for zombies), nothing on stderr and no privilege gap from the restricted run.  Other tests
# may change the host between the two runs, so a difference is retried up to 4 times before it
# counts.  The restricted run's JSON is left in T_JSON.
d_same() {
	local label=$1 who=$2 norm=$D_NORM try out=$REPRO_DIR/d-same ids
	shift 2
	[[ ${1:-} == zombies ]] && norm=$D_ZNORM
	ids="[$(tr ' ' ',' <<<"$D_NS_IDS")]"
	for try in 1 2 3 4; do
		"$RESIDUE" "$@" >"$out.root" 2>/dev/null
		if [[ $who == unit ]]; then
			d_unit_run "$D_UNIT_RESIDUE" "$@" >"$out.json" 2>"$out.err"
		else
			d_caps_run "$who" "$RESIDUE" "$@" >"$out.json" 2>"$out.err"
		fi
		jq -S --argjson ids "$ids" "$norm" "$out.root" >"$out.root.n" 2>&1
		jq -S --argjson ids "$ids" "$norm" "$out.json" >"$out.json.n" 2>&1
		cmp -s "$out.root.n" "$out.json.n" && break
	done
	t_check "$label: the same findings as unrestricted root (try $try)" \
		cmp -s "$out.root.n" "$out.json.n"
	cmp -s "$out.root.n" "$out.json.n" || diff "$out.root.n" "$out.json.n" | head -n 40 | sed 's/^/# /'
	t_check "$label: nothing on stderr" test ! -s "$out.err"
	[[ -s $out.err ]] && head -c 600 "$out.err" | sed 's/^/# /'
	t_check "$label: no privilege gap" \
		test "$(jq '[.gaps[] | select(.what | startswith("privilege:"))] | length' "$out.json")" == 0
	cp "$out.json" "$T_JSON"
}
D_NS_IDS=""
D_UNIT_RESIDUE=""
