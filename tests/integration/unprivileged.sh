#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# residue as an unprivileged user (nobody, no capabilities) while root's orphan exists: it must
# exit 0, say in exactly one line on stderr what needs privilege, print valid JSON whose gaps
# name what it could not read, and report no finding it cannot see (root's holder is hidden).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
command -v setpriv >/dev/null || t_skip "setpriv (util-linux) is not installed"
t_repro repro_case_orphan_fd
# The binary must be reachable by nobody: run a copy from our private directory.
cp "$RESIDUE" "$REPRO_DIR/residue-unpriv"
chmod 0755 "$REPRO_DIR" "$REPRO_DIR/residue-unpriv"
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$REPRO_DIR/residue-unpriv" "$@"
}
as_nobody orphans -J >"$T_JSON" 2>"$REPRO_DIR/unpriv.err"
rc=$?
t_check "residue as nobody exits 0" test "$rc" -eq 0
t_check "it names the missing capabilities in exactly one line" \
	test "$(grep -c 'running as uid 65534 without cap_sys_admin (.*cap_sys_chroot (' "$REPRO_DIR/unpriv.err")" -eq 1 -a "$(wc -l <"$REPRO_DIR/unpriv.err")" -eq 1
t_expect "its JSON has the three arrays" \
	'(.orphans|type) == "array" and (.namespaces|type) == "array" and (.gaps|type) == "array"'
t_expect "the gaps say which reads were refused" \
	'[.gaps[] | select(.errno == "EACCES" or .errno == "EPERM")] | length > 0'
t_expect "root's orphan, whose holder it cannot see, is not reported" --arg dev "$DEV" \
	'[.orphans[] | select(.dev == $dev)] | length == 0'
t_expect "no process-less namespace is invented from unreadable processes" '.namespaces == []'
as_nobody >/dev/null 2>&1
t_check "the summary as nobody exits 0 too" test $? -eq 0
t_done
