#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# deploy/kubernetes/Containerfile, checked without a container engine (none runs here, so the
# image itself is not built): this build is installed with `meson install --destdir` as the
# Containerfile's build context would be, and
#   - it starts FROM debian:12-slim, whose libraries the binary was built against;
#   - every COPY source exists in that tree (the Containerfile assumes --prefix=/usr: with another
#     prefix, usr/ is read as that prefix);
#   - every library the installed binary links comes from a package the Containerfile installs, a
#     dependency of one (as dpkg records them here), or libc6;
#   - ENTRYPOINT runs the copied binary, CMD is the DaemonSet's args, EXPOSE its port, USER root.
# env: BUILD_ROOT (the meson build directory).  Exit 77 without jq, dpkg-query or python3-yaml.
set -uo pipefail
# Its helpers (t_check, t_skip, t_done); this test needs no root and builds no repro.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$T_TOP
CF=$TOP/deploy/kubernetes/Containerfile
MANIFEST=$TOP/deploy/kubernetes/residue-daemonset.yaml
BUILD=${BUILD_ROOT:-$TOP/build}

for tool in jq dpkg-query meson ldd python3; do
	command -v "$tool" >/dev/null || t_skip "$tool is not installed"
done
python3 -c 'import yaml' 2>/dev/null || t_skip "python3-yaml is not installed"
[[ -f $BUILD/build.ninja ]] || t_skip "no meson build at $BUILD"

DEST=$(mktemp -d /tmp/residue-containerfile.XXXXXX) || exit 1
trap 'rm -rf "$DEST"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The instructions, continuation lines joined, comments dropped: "KEYWORD rest" per line.
instructions=$(sed -e '/^[[:space:]]*#/d' "$CF" | sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' |
	sed -e 's/^[[:space:]]*//' -e '/^$/d')
instr() { awk -v k="$1" 'toupper($1) == k { $1 = ""; sub(/^ /, ""); print }' <<<"$instructions"; }

t_check "one FROM, debian:12-slim" test "$(instr FROM)" = "debian:12-slim"
t_check "no ADD (COPY only: nothing fetched or unpacked)" test -z "$(instr ADD)"

# ---- the build context: this build, installed ---------------------------------------------------
if ! meson install -C "$BUILD" --no-rebuild --destdir "$DEST" >"$DEST.log" 2>&1; then
	t_bail "meson install --destdir: $(tail -n 5 "$DEST.log"; rm -f "$DEST.log")"
fi
rm -f "$DEST.log"
opt() {
	meson introspect --buildoptions "$BUILD" | jq -r --arg n "$1" '.[] | select(.name == $n) | .value'
}
prefix=$(opt prefix)
prefix=${prefix#/}
in_tree() { echo "$DEST/${1/#usr\//$prefix/}"; }

copies=$(instr COPY)
t_check "the Containerfile copies something" test -n "$copies"
bin=""
while read -r -a words; do
	((${#words[@]})) || continue
	dst=${words[-1]}
	for src in "${words[@]:0:${#words[@]}-1}"; do
		[[ $src == --* ]] && continue
		t_check "COPY $src: in the installed tree (as $(in_tree "$src"))" test -f "$(in_tree "$src")"
		[[ $dst == /usr/bin/residue ]] && bin=$(in_tree "$src")
	done
done <<<"$copies"

entry=$(instr ENTRYPOINT)
t_check "ENTRYPOINT is [\"/usr/bin/residue\"], the copied binary" \
	test "$(jq -c . <<<"$entry" 2>/dev/null)" = '["/usr/bin/residue"]' -a -n "$bin"

# ---- what the image runs agrees with the DaemonSet ----------------------------------------------
eval "$(python3 "$HERE/manifest.py" pod-env "$MANIFEST")"
cmd=$(instr CMD)
t_check "CMD is the DaemonSet's args ($POD_ARGS)" \
	test "$(jq -r 'join(" ")' <<<"$cmd" 2>/dev/null)" = "$POD_ARGS"
port=$(jq -r 'index("--listen") as $i | .[$i + 1] | sub(".*:"; "")' <<<"$cmd" 2>/dev/null)
t_check "EXPOSE is the port CMD listens on ($port)" test "$(instr EXPOSE)" = "$port"
t_check "USER is root (the capabilities come from the DaemonSet)" \
	grep -qxE '0|root|0:0|root:root' <<<"$(instr USER)"

# ---- every linked library comes from an installed package ---------------------------------------
# The packages `apt-get install` names, then all they depend on (dpkg's records on this machine).
wanted=$(instr RUN | grep -oE 'apt-get install [^&;]*' | tr ' ' '\n' |
	grep -vE '^(apt-get|install|-.*|)$')
t_check "the image installs packages with apt-get" test -n "$wanted"
closure=" libc6 "
todo=$wanted
while [[ -n $todo ]]; do
	next=""
	for p in $todo; do
		[[ $closure == *" $p "* ]] && continue
		closure+="$p "
		deps=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$p" 2>/dev/null) ||
			t_log "$p is not installed here: its dependencies are not followed"
		deps=${deps//[,|]/$'\n'}
		next+=" $(sed -e 's/(.*//' -e 's/:.*//' -e 's/[[:space:]]//g' <<<"$deps" | sort -u)"
	done
	todo=$next
done

# The package that owns LIB (merged /usr: dpkg may know it under /lib or /usr/lib).
owner() {
	local f alt
	for f in "$1" "$(readlink -f "$1")"; do
		case $f in /usr/lib/*) alt=${f#/usr} ;; /lib/*) alt=/usr$f ;; *) alt=$f ;; esac
		{ dpkg-query -S "$f" "$alt" 2>/dev/null || :; } | head -n 1 | sed 's/[:,].*//' | grep . &&
			return 0
	done
	return 1
}

if [[ -z $bin ]]; then
	t_check "the residue binary is in the installed tree" false
elif [[ $(opt b_sanitize) != none ]]; then
	t_log "a sanitizer build links its runtime: libraries not checked"
else
	libs=$(ldd "$bin" | awk '$2 == "=>" { print $3 }')
	t_check "ldd resolves every library of the installed binary" \
		test -z "$(ldd "$bin" | grep 'not found')" -a -n "$libs"
	for lib in $libs; do
		pkg=$(owner "$lib") || pkg=""
		t_check "${lib##*/} comes from ${pkg:-no package}, which the image installs" \
			test -n "$pkg" -a "${closure/ $pkg /}" != "$closure"
	done
fi

t_done
