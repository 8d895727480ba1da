#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Tear down what a reproducer made, given the lines it printed (as a file argument or on stdin):
# kill the processes it started (only those: pid and start time must both match), wait for its loop
# devices to autoclear, remove its /dev/shm file and its directory under /tmp.  Mounts were made
# only inside the reproducer's own namespaces, so they vanish with its processes.
# shellcheck source=repro/lib.sh
. "$(dirname "$0")/lib.sh"

state=$(cat "${1:-/dev/stdin}") || exit 2
# shellcheck disable=SC2034 # read by repro_teardown
REPRO_DIR="" REPRO_PIDS="" REPRO_IMAGES="" REPRO_SHM="" REPRO_ZDIRS="" REPRO_CGROUPS="" REPRO_LOOPS=""
# Take only the bookkeeping line (printf %q-quoted by repro_emit) and only its seven variables.
line=$(grep -E '^REPRO_DIR=' <<<"$state" | tail -n 1)
if [[ -z $line ]]; then
	echo "cleanup.sh: no REPRO_DIR=... line in the input" >&2
	exit 2
fi
eval "set -- $line"
for kv; do
	case ${kv%%=*} in
	REPRO_DIR | REPRO_PIDS | REPRO_IMAGES | REPRO_SHM | REPRO_ZDIRS | REPRO_CGROUPS | REPRO_LOOPS) printf -v "${kv%%=*}" %s "${kv#*=}" ;;
	esac
done
repro_teardown
