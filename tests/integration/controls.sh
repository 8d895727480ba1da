#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Only look-alikes, all at once: a tmpfs still mounted in a live namespace and held from outside,
# a memfd, a deleted file on /dev/shm, an nsfs fd of a live namespace, an ordinary file on /, and
# (where residue walks namespaces) a thread in a mount namespace of its own with a tmpfs.
# Asserts that `residue orphans -J` names none of their devs, pids or namespace ids.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_init
t_repro repro_controls
t_residue
t_assert_controls
t_done
