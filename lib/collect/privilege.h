/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capabilities a complete scan needs, and which of them this process
 * lacks.  The set is the smallest that gives, on both tiers, exactly the
 * findings of an unrestricted root (measured in tests/deploy/capabilities.sh,
 * explained in docs/DEPLOY.md); the systemd unit grants exactly this set.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect.h"
#include "model/snapshot.h"

typedef struct PrivilegeNeed {
	int cap; /* CAP_SYS_ADMIN, ... */
	const char *name; /* "cap_sys_admin", as capsh and systemd spell it */
	const char *cost; /* what a scan without it cannot see */
} PrivilegeNeed;

/* The table, in the order capabilities are reported; sets *ret_n. */
const PrivilegeNeed *privilege_needs(size_t *ret_n);

/*
 * Which needed capabilities the effective set lacks, as a mask of
 * 1ULL << CAP_*: 0 means a complete scan is possible.  -errno when capget
 * fails (then *ret_missing is untouched).
 */
int privilege_missing(uint64_t *ret_missing);

/*
 * Fill s->caps_missing and s->privileged, and add one gap per missing
 * capability ("privilege: cap_x (cost)", capget, EPERM).  Only -ENOMEM fails.
 */
int collect_privilege(Snapshot *s);

/*
 * Should this scan read every namespace's mounts from /proc/PID/mountinfo (the --fallback
 * path)?  Without CAP_SYS_ADMIN listmount refuses other namespaces, so the /proc tier would
 * take every reference into them for an orphan; the BPF tier (CAP_BPF and CAP_PERFMON) reads
 * each mount's state from the kernel and needs no lists.  Call after collect_privilege().
 */
bool privilege_needs_fallback(const Snapshot *s, const ScanOptions *o);

/*
 * Was BPF refused by the kernel (a lockdown, an LSM, a verifier, a kernel without
 * CONFIG_BPF_SYSCALL) rather than by our own capabilities or by the build?  @err is the
 * positive errno of a BPF part that did not load, attach or run (0: it worked or was not
 * tried).  Returns @err when it was, else 0: without CAP_SYS_ADMIN, or CAP_BPF and
 * CAP_PERFMON, the privilege line and gaps already say that BPF is out of reach, and a build
 * without BPF (EOPNOTSUPP) has nothing to refuse.
 */
int privilege_bpf_refusal(int err);
