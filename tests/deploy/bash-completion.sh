#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# deploy/bash-completion/residue, driven the way bash drives it (COMP_WORDS, COMP_CWORD, then
# COMPREPLY) against the built residue: verbs, bench's subcommands, a verb's options, -o column
# names (also after a comma and a "+", and per zombies mode), and nothing invented where an option
# takes a path.  No root needed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
RESIDUE=${RESIDUE:-$top/build/residue}
[[ -x $RESIDUE ]] || { echo "SKIP: no residue binary at $RESIDUE"; exit 77; }
# shellcheck source=deploy/bash-completion/residue
. "$top/deploy/bash-completion/residue"
fails=0

# comp WORD...: what completing the last WORD offers, sorted, on one line.
comp() {
	COMP_WORDS=("$RESIDUE" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_residue 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
is() {
	local want=$1 got
	shift
	got=$(comp "$@")
	if [[ $got == "$want" ]]; then
		echo "ok - residue $* -> $want"
	else
		echo "not ok - residue $* -> '$got', want '$want'"
		fails=$((fails + 1))
	fi
}
has() {
	local want=$1 got
	shift
	got=" $(comp "$@") "
	if [[ $got == *" $want "* ]]; then
		echo "ok - residue $* offers $want"
	else
		echo "not ok - residue $* does not offer $want (got:$got)"
		fails=$((fails + 1))
	fi
}

for verb in orphans mounts zombies release bench; do has "$verb" ""; done
for verb in serve watch; do
	if "$RESIDUE" "$verb" --help >/dev/null 2>&1; then has "$verb" ""; fi
done
is "orphans" orph
is "masks mountinfo" bench ""
for o in --check --help --json --verbose --version; do has "$o" --; done
has "--no-bpf" orphans --no
has "--noheadings" orphans --no
is "--bytes" zombies --b
is "DEV,PATH DEV,PID DEV,PINNED" orphans -o DEV,P
is "+HINT +HOW" orphans -o +H
is "PARENT" zombies --parents -o PA
is "RELEASE" zombies --files -o REL
is "TMPFS" mounts -J -o TM
is "DEV" -J orphans -o DE
is "" zombies --cgroup ""
is "--containers" bench masks --cont
# Every column --list-columns names is offered after -o, and nothing else.
want=$("$RESIDUE" orphans --list-columns | awk '{ print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')
is "$want" orphans -o ""
if ((fails > 0)); then
	echo "FAIL: $fails"
	exit 1
fi
