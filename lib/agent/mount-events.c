// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fanotify mount events (mount-events.h).  A namespace is marked through
 * /proc/PID/ns/mnt of a process the scan saw in it, checked to be the
 * same namespace by its 64-bit id (the pid may have been reused since).
 * Namespaces without a process are not marked: a process-less namespace
 * changes only when someone setns()es into it, and the period covers that.
 */
#include "agent/mount-events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/macro.h"
#include "base/u64set.h"

struct MountEvents {
	int fd;
	U64Set marked; /* namespace ids */
};

int mount_events_new(MountEvents **ret)
{
	MountEvents *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fd = fanotify_init(FAN_CLASS_NOTIF | RS_FAN_REPORT_MNT | FAN_CLOEXEC | FAN_NONBLOCK,
			      O_RDONLY);
	if (m->fd < 0) {
		int r = -errno;
		free(m);
		return r;
	}
	*ret = m;
	return 0;
}

MountEvents *mount_events_free(MountEvents *m)
{
	if (!m)
		return NULL;
	safe_close(m->fd);
	u64set_done(&m->marked);
	free(m);
	return NULL;
}

int mount_events_fd(const MountEvents *m)
{
	return m->fd;
}

static int mark(MountEvents *m, const MountNs *ns)
{
	char path[64];
	uint64_t id = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", ns->pid);
	_cleanup_close_ int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || ioctl(nsfd, RS_NS_GET_MNTNS_ID, &id) < 0 || id != ns->id)
		return 0; /* gone, or the pid is another process now */
	if (fanotify_mark(m->fd, FAN_MARK_ADD | RS_FAN_MARK_MNTNS,
			  RS_FAN_MNT_ATTACH | RS_FAN_MNT_DETACH, nsfd, NULL) < 0)
		return -errno;
	return 1;
}

int mount_events_follow(MountEvents *m, const Snapshot *s)
{
	U64Set now = { 0 };
	int r = 0;

	for (size_t i = 0; i < s->n_nss; i++) {
		const MountNs *ns = &s->nss[i];
		if (ns->pid <= 0 || !ns->id)
			continue;
		if (!u64set_contains(&m->marked, ns->id)) {
			r = mark(m, ns);
			if (r < 0 && r != -ENOSPC && r != -ENOENT)
				break; /* EPERM, EINVAL: nothing more to gain */
			if (r <= 0)
				continue;
		}
		if (u64set_add(&now, ns->id) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	r = r < 0 && r != -ENOSPC && r != -ENOENT ? r : (int)now.len;
	u64set_done(&m->marked);
	m->marked = now;
	return r;
}

int mount_events_drain(MountEvents *m)
{
	char buf[4096] __attribute__((aligned(8)));
	int events = 0;

	for (;;) {
		ssize_t n = read(m->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return events;
			return -errno;
		}
		if (n == 0)
			return events;
		for (struct fanotify_event_metadata *e = (void *)buf; FAN_EVENT_OK(e, n);
		     e = FAN_EVENT_NEXT(e, n)) {
			events++;
			if (e->fd >= 0)
				close(e->fd); /* mount events carry none; be safe */
		}
	}
}
