#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# deploy/systemd/residue.service: `systemd-analyze verify` accepts it (offline, ExecStart pointed at
# the built binary); its ambient set is its bounding set; it asks for no mount namespace of its own
# (and this kernel shows why: a service namespace keeps a filesystem the host unmounted); the system
# calls and socket families residue uses get past its SystemCallFilter=, RestrictNamespaces= and
# RestrictAddressFamilies= (strace); and residue run the way the unit runs it -- systemd is not PID 1
# here, so setpriv stands in: a non-root user, no_new_privs, the unit's ambient and bounding sets --
# finds what unrestricted root finds, with no privilege gap.  `residue serve` is run that way too
# when this build has it.
# jq programs are single-quoted on purpose; case results are globals set by repro/lib.sh:
# shellcheck disable=SC2016,SC2153
# shellcheck source=tests/deploy/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
command -v setpriv >/dev/null || t_skip "setpriv (util-linux) is not installed"
command -v systemd-analyze >/dev/null || t_skip "systemd-analyze (systemd) is not installed"
command -v strace >/dev/null || t_skip "strace is not installed"

unit_value() { grep -E "^$1=" "$D_UNIT" | tail -n 1 | cut -d= -f2-; }

# ---- the file itself ------------------------------------------------------------------------
mkdir -p "$REPRO_DIR/unit"
sed "s|^ExecStart=/usr/bin/residue|ExecStart=$RESIDUE|" "$D_UNIT" >"$REPRO_DIR/unit/residue.service"
# --man=no: the man page is installed by the package, not on this build host.
systemd-analyze verify --man=no "$REPRO_DIR/unit/residue.service" >"$REPRO_DIR/verify.out" 2>&1
rc=$?
t_check "systemd-analyze verify accepts the unit" test "$rc" == 0 -a ! -s "$REPRO_DIR/verify.out"
[[ -s $REPRO_DIR/verify.out ]] && sed 's/^/# /' "$REPRO_DIR/verify.out"
t_check "ExecStart= runs /usr/bin/residue serve" test "$(unit_value ExecStart)" == "/usr/bin/residue serve"
t_check "AmbientCapabilities= is CapabilityBoundingSet=" \
	test "$(d_unit_caps AmbientCapabilities)" == "$(d_unit_caps CapabilityBoundingSet)"
t_check "it runs as a user of its own, not root" test "$(unit_value User)" == residue
t_check "NoNewPrivileges=yes" test "$(unit_value NoNewPrivileges)" == yes

# residue must see the host's mount namespace as the host does and must not hold mounts itself.
for key in PrivateTmp ProtectSystem ProtectHome PrivateDevices PrivateMounts ProtectKernelTunables \
	ProtectKernelModules ProtectKernelLogs ProtectControlGroups ProtectProc ProcSubset \
	ReadOnlyPaths ReadWritePaths InaccessiblePaths ExecPaths NoExecPaths BindPaths \
	BindReadOnlyPaths TemporaryFileSystem MountAPIVFS RootDirectory RootImage MountFlags \
	DynamicUser LogNamespace PrivateUsers PrivateNetwork; do
	t_check "no $key= (a mount, user or network namespace of its own)" \
		test -z "$(grep -E "^$key=" "$D_UNIT")"
done

# Why: a service's mount namespace is a copy of the host's, slave to it.  Under a shared parent an
# unmount on the host propagates into the copy; under a private parent (as container runtimes have
# made their state directories) it does not, and the copy keeps the filesystem alive -- the leak
# residue looks for, made by residue.  Both namespaces are ours (H private to the host, S a
# systemd-style copy of H); --kill-child ends everything with the test.
# shellcheck disable=SC2016
pin_demo='
set -e
d=$1 parent=$2
mount --make-rshared /
mkdir -p "$d/p/c"
if [ "$parent" = private ]; then mount --bind "$d/p" "$d/p"; mount --make-private "$d/p"; fi
mount -t tmpfs -o size=16m residue-pin "$d/p/c"
dev=$(stat -c %Hd:%Ld "$d/p/c")
unshare -m --propagation slave sh -c "mount --make-rshared /; echo up; exec sleep 60" >"$d/s.up" &
svc=$!
while ! grep -q up "$d/s.up" 2>/dev/null; do sleep 0.05; done
umount "$d/p/c"
echo "host=$(awk -v d="$dev" "\$3 == d" /proc/self/mountinfo | wc -l) service=$(awk -v d="$dev" "\$3 == d" /proc/$svc/mountinfo | wc -l)"
kill "$svc"
'
for parent in shared private; do
	mkdir -p "$REPRO_DIR/pin-$parent"
	out=$(timeout 20 unshare -m --propagation private --pid --fork --kill-child --mount-proc \
		sh -c "$pin_demo" sh "$REPRO_DIR/pin-$parent" "$parent" 2>&1)
	case $parent in
	shared) want="host=0 service=0" ;;
	private) want="host=0 service=1" ;;
	esac
	t_check "after the host unmounts a tmpfs under a $parent parent, a service namespace has: $want" \
		test "$out" == "$want"
	[[ $out == "$want" ]] || t_log "got: $out"
done

# ---- leaks to find ------------------------------------------------------------------------
t_repro repro_case_orphan_fd
O_DEV=$DEV
t_repro repro_case_ns_fd
D_NS_IDS=$NS_ID
t_repro d_repro_orphan_other_user
repro_case_zombies 1 0
rc=$?
((rc == 0 || rc == 77)) || t_bail "repro_case_zombies did not build the expected kernel state"
HAVE_ZOMBIE=$((rc == 0))
D_UNIT_RESIDUE=$(d_residue_copy)

# ---- system calls and socket families, traced in the unit's sandbox ----------------------------
# t_trace NAME ARGS...: residue ARGS as the unit runs it, under strace -f, into $REPRO_DIR/NAME.st.
t_trace() {
	local name=$1
	shift
	d_unit_setpriv
	strace -f -qq -o "$REPRO_DIR/$name.st" -- "${D_UNIT_SETPRIV[@]}" "$D_UNIT_RESIDUE" "$@" \
		>/dev/null 2>&1
}
t_trace json --json
t_trace proc orphans -J --no-bpf
t_trace mounts mounts -J
((HAVE_ZOMBIE)) && t_trace zombies zombies -J --cgroup "$Z_PARENT"
t_trace watch zombies --watch --duration 1

# The syscalls of every denied group, nested groups expanded.
denied() {
	local g line
	for g; do
		systemd-analyze syscall-filter --no-pager "$g" 2>/dev/null | tail -n +2 | while read -r line; do
			case $line in
			'' | '#'*) ;;
			@*) denied "$line" ;;
			*) echo "$line" ;;
			esac
		done
	done
}
filter=$(unit_value SystemCallFilter)
[[ $filter == "~"* ]] || t_bail "SystemCallFilter= is not a deny list: $filter"
# shellcheck disable=SC2086 # a list of groups
denied ${filter#\~} | sort -u >"$REPRO_DIR/denied"
t_check "the deny list expands to system calls" test "$(wc -l <"$REPRO_DIR/denied")" -gt 20
cat "$REPRO_DIR"/*.st | sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' | sort -u >"$REPRO_DIR/used"
t_check "strace saw residue's system calls (statx, bpf, setns among them)" \
	test "$(grep -cxE 'statx|bpf|setns' "$REPRO_DIR/used")" == 3
t_check "no system call residue makes is in SystemCallFilter=$filter" \
	test -z "$(comm -12 "$REPRO_DIR/used" "$REPRO_DIR/denied")"
comm -12 "$REPRO_DIR/used" "$REPRO_DIR/denied" | sed 's/^/# denied but used: /'
families=$(cat "$REPRO_DIR"/*.st | sed -nE 's/^[0-9]+ +socket(pair)?\((AF_[A-Z0-9]+),.*/\2/p' | sort -u)
allowed=" $(unit_value RestrictAddressFamilies) "
bad=""
for f in $families; do [[ $allowed == *" $f "* ]] || bad+=" $f"; done
t_check "residue's sockets (${families//$'\n'/ }) are in RestrictAddressFamilies=$(unit_value RestrictAddressFamilies)" test -z "$bad"
t_check "RestrictNamespaces=mnt: residue only joins mount namespaces (setns CLONE_NEWNS)" \
	test "$(unit_value RestrictNamespaces)" == mnt -a \
	-z "$(cat "$REPRO_DIR"/*.st | grep -E '^[0-9]+ +setns\(' | grep -v 'CLONE_NEWNS')" -a \
	-z "$(cat "$REPRO_DIR"/*.st | grep -E '^[0-9]+ +(unshare|clone3?)\(.*CLONE_NEW')"

# ---- what it finds in the unit's sandbox ---------------------------------------------------
d_same "unit sandbox, BPF tier" unit --json
d_same "unit sandbox, /proc tier" unit orphans -J --no-bpf
if ((HAVE_ZOMBIE)); then
	d_same "unit sandbox, zombies" unit zombies -J --cgroup "$Z_PARENT"
	t_expect "unit sandbox, zombies: the kernel view (BPF) named 1 zombie" \
		'.kernel_view.used == true and .count.zombies == 1'
fi

# ---- residue serve, as the unit starts it -----------------------------------------------------
if "$RESIDUE" serve --help >/dev/null 2>&1; then
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 40000))
		[[ -z $(ss -Htln "sport = :$port") ]] && break
	done
	d_unit_setpriv
	"${D_UNIT_SETPRIV[@]}" "$D_UNIT_RESIDUE" serve --listen "127.0.0.1:$port" \
		>"$REPRO_DIR/serve.out" 2>"$REPRO_DIR/serve.err" &
	serve_pid=$!
	REPRO_PIDS+=" $serve_pid@$(repro_starttime "$serve_pid")"
	code=""
	for _ in $(seq 150); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/healthz")
		[[ $code == 200 ]] && break
		sleep 0.1
	done
	t_check "serve in the unit's sandbox: /healthz is 200 within 15 s" test "$code" == 200
	curl -s --max-time 5 -o "$T_JSON" "http://127.0.0.1:$port/report"
	t_expect "serve: /report has no privilege gap" '[.gaps[] | select(.what | startswith("privilege:"))] == []'
	t_expect "serve: /report has orphan $O_DEV and namespace $NS_ID" --arg d "$O_DEV" \
		--argjson n "$NS_ID" '([.orphans[] | select(.dev == $d)] | length) == 1 and
		([.namespaces[] | select(.ns_id == $n and .pinned_bytes != null)] | length) == 1'
	kill -TERM "$serve_pid"
	for _ in $(seq 50); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
	t_check "serve: SIGTERM ends it within 5 s" test -z "$(ps -o pid= -p "$serve_pid")"
	kill -KILL "$serve_pid" 2>/dev/null
	wait "$serve_pid"
	t_check "serve: SIGTERM ends it with status 0" test $? == 0
	t_check "serve: nothing on stderr says privilege is missing" \
		test -z "$(grep -i 'without cap_' "$REPRO_DIR/serve.err")"
else
	t_log "this build has no 'residue serve': its sandbox run is skipped"
fi
t_done
