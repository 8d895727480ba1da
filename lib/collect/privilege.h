/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capabilities a complete scan needs, and which of them this process
 * lacks.  The set is the smallest that gives, on both tiers, exactly the
 * findings of an unrestricted root (measured in tests/deploy/capabilities.sh,
 * explained in docs/DEPLOY.md); the systemd unit grants exactly this set.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

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
