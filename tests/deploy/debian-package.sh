#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# debian/: dpkg-buildpackage -b -us -uc on a copy of the source tree (the files git tracks or would
# track, so no build directory) in a temporary directory, bounded in time; then the .deb holds
# exactly the binary, the man page, the systemd unit (identical to deploy/), the sysusers file
# and the bash completion -- no residue-hold, nothing from repro/ or bench/ -- the binary runs,
# the sysusers file creates the unit's user (in a scratch root), and the maintainer scripts
# create that user before they start the service.  lintian when it is installed.
# Needs no root.  Exit 77 when the Debian build tools are missing.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
for tool in dpkg-buildpackage dh dpkg-deb; do
	command -v "$tool" >/dev/null || t_skip "$tool is not installed (dpkg-dev, debhelper)"
done
T_TMP=$(mktemp -d /tmp/residue-deb.XXXXXX) || t_bail "mktemp"
trap 'rm -rf "$T_TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
version=$(dpkg-parsechangelog -l "$T_TOP/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
src=$T_TMP/residue-$version
mkdir "$src"

# The source: what git tracks or would track (respects .gitignore: no build/), else a plain copy.
if git -C "$T_TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$T_TOP" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp -a --parents -t "$src" 2>/dev/null)
else
	tar -C "$T_TOP" --exclude='./build*' --exclude='./obj-*' --exclude=./.git -c . | tar -x -C "$src"
fi
t_check "the copied tree has debian/rules and no build directory" \
	test -x "$src/debian/rules" -a ! -e "$src/build/build.ninja"

# The package build runs the unit suite (override_dh_auto_test); bounded.
(cd "$src" && timeout 600 dpkg-buildpackage -b -us -uc) >"$T_TMP/build.log" 2>&1
rc=$?
t_check "dpkg-buildpackage -b -us -uc succeeds (exit $rc)" test "$rc" == 0
((rc == 0)) || { tail -n 40 "$T_TMP/build.log" | sed 's/^/# /'; t_done; }
t_check "the build ran the unit suite and nothing else" \
	grep -q "meson test --suite unit" "$T_TMP/build.log"
deb=$T_TMP/residue_${version}_$arch.deb
t_check "it made $(basename "$deb")" test -f "$deb"

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' | grep -v '/$' | sort >"$T_TMP/files"
want="/lib/systemd/system/residue.service
/usr/bin/residue
/usr/lib/sysusers.d/residue.conf
/usr/share/bash-completion/completions/residue
/usr/share/doc/residue/changelog.gz
/usr/share/doc/residue/copyright
/usr/share/man/man8/residue.8.gz"
t_check "the .deb holds exactly the binary, man page, unit, sysusers file, completion, docs" \
	test "$(cat "$T_TMP/files")" == "$want"
[[ $(cat "$T_TMP/files") == "$want" ]] || sed 's/^/# in the .deb: /' "$T_TMP/files"
t_check "no residue-hold, nothing from repro/ or bench/" \
	test -z "$(grep -E 'residue-hold|repro|bench|/world$|/timeit$' "$T_TMP/files")"

t_check "Package: residue, Architecture: $arch" \
	test "$(dpkg-deb -f "$deb" Package Architecture | tr '\n' ' ')" == "Package: residue Architecture: $arch "
t_check "it depends on something that provides systemd-sysusers" \
	grep -q 'systemd | systemd-standalone-sysusers' <<<"$(dpkg-deb -f "$deb" Depends)"
# residue serve opens libmicrohttpd with dlopen(): no shlibs dependency names it.
t_check "it depends on libmicrohttpd, which residue serve opens" \
	grep -q 'libmicrohttpd12' <<<"$(dpkg-deb -f "$deb" Depends)"
dpkg-deb -e "$deb" "$T_TMP/control"
first_line() { grep -n -m1 -- "$1" "$T_TMP/control/postinst" | cut -d: -f1; }
users=$(first_line systemd-sysusers)
enable=$(first_line "deb-systemd-helper enable 'residue.service'")
start=$(first_line "deb-systemd-invoke \$_dh_action 'residue.service'")
t_check "postinst creates the residue user, then enables, then starts residue.service" \
	test -n "$users" -a -n "$enable" -a -n "$start" -a "${users:-0}" -lt "${enable:-0}" -a \
	"${enable:-0}" -lt "${start:-0}"

root=$T_TMP/root
dpkg-deb -x "$deb" "$root"
t_check "the packaged unit is deploy/systemd/residue.service" \
	cmp -s "$root/lib/systemd/system/residue.service" "$T_TOP/deploy/systemd/residue.service"
t_check "the packaged completion is deploy/bash-completion/residue" \
	cmp -s "$root/usr/share/bash-completion/completions/residue" "$T_TOP/deploy/bash-completion/residue"
t_check "the packaged man page is man/residue.8" \
	cmp -s <(zcat "$root/usr/share/man/man8/residue.8.gz") "$T_TOP/man/residue.8"
t_check "the packaged binary runs: residue --version says $version" \
	test "$("$root/usr/bin/residue" --version)" == "residue $version"
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$root/etc"
	systemd-sysusers --root="$root" residue.conf >/dev/null 2>&1
	t_check "its sysusers file makes the unit's user: residue, no login" \
		grep -qE '^residue:x:[0-9]+:[0-9]+:[^:]*:[^:]*:/usr/sbin/nologin$' "$root/etc/passwd"
fi
if command -v lintian >/dev/null; then
	lintian --fail-on error "$T_TMP"/residue_"${version}"_"$arch".changes >"$T_TMP/lintian" 2>&1
	t_check "lintian finds no error" test $? == 0
	sed 's/^/# lintian: /' "$T_TMP/lintian"
else
	t_log "lintian is not installed: not run"
fi
t_done
