#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The --check exit code: `residue --check` and `residue orphans --check` exit 1 while an orphaned
# tmpfs exists and 0 once its holder is gone; the look-alike controls, present throughout, must not
# make them exit 1.  The "0" half needs a host with no findings of its own: when residue --check
# already exits 1 before this test builds anything, the "1" half is still asserted, then the test
# reports a skip.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# t_exit DESCRIPTION WANT ARGS...: residue ARGS must exit WANT.
t_exit() {
	local desc=$1 want=$2 rc
	shift 2
	"$RESIDUE" "$@" >"$REPRO_DIR/out" 2>&1
	rc=$?
	t_check "$desc: residue $* exits $want (got $rc)" test "$rc" = "$want"
	((rc == want)) || head -c 3000 "$REPRO_DIR/out"
}

t_init
"$RESIDUE" --check >"$REPRO_DIR/out" 2>&1
base=$?
((base < 2)) || t_bail "residue --check exited $base before anything was made: $(head -c 2000 "$REPRO_DIR/out")"
((base == 0)) || t_log "this host already has findings; only the exit-1 half can be asserted"

t_repro repro_controls
((base == 0)) && t_exit "controls only" 0 --check
((base == 0)) && t_exit "controls only" 0 orphans --check

t_repro repro_case_orphan_fd
t_exit "orphan $DEV present" 1 --check
t_exit "orphan $DEV present" 1 orphans --check
t_exit "orphan $DEV present, no --check" 0 orphans

repro_kill "$HOLDER_PID"
((base == 0)) && t_exit "orphan released" 0 --check
((base == 0)) && t_exit "orphan released" 0 orphans --check

((T_FAILS == 0 && base != 0)) && t_skip "exit-1 half passed; exit-0 half impossible on this host"
t_done
