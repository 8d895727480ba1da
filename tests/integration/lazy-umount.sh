#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# (f) umount -l inside a still-living private namespace while an fd from outside holds a file:
# state orphaned.  Asserts with jq on `residue orphans -J`: exactly one orphan with the repro's
# dev, its fstype, state, risk, a holder with the holder's pid, comm, how, fd, mode rw, path
# /held, its pinned_bytes (one page per file); that the holder is named in no "namespaces"
# entry; and that no entry refers to any look-alike control.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_case_lazy_umount
t_repro repro_controls
t_residue
t_assert_orphan
t_assert_no_namespace_holder "$HOLDER_PID"
t_assert_controls
t_done
