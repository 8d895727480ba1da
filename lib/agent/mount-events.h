/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mounts attached and detached in any mount namespace, from fanotify mount
 * events (6.15: FAN_REPORT_MNT, one FAN_MARK_MNTNS mark per namespace), so
 * that the agent rescans when a container's namespace dies instead of
 * waiting for its period.  Only "something changed" is used: a dying
 * namespace detaches every mount and does not say which superblocks
 * survive as orphans, so the scan decides.  Where the kernel has no mount
 * events (EINVAL) the agent keeps to its period.
 */
#pragma once

#include "model/snapshot.h"

typedef struct MountEvents MountEvents;

/* -EINVAL: the kernel has no fanotify mount events; -EPERM: needs CAP_SYS_ADMIN. */
int mount_events_new(MountEvents **ret);
MountEvents *mount_events_free(MountEvents *m);

/* Readable (POLLIN) when events wait. */
int mount_events_fd(const MountEvents *m);

/*
 * Mark every namespace of @s not marked yet (through a process in it) and
 * forget those gone (the kernel drops their marks with them).  Returns how
 * many namespaces are marked.
 */
int mount_events_follow(MountEvents *m, const Snapshot *s);

/* Read every waiting event: how many there were (an overflow counts as one), or -errno. */
int mount_events_drain(MountEvents *m);
