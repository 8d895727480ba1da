// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Bound loop devices and the file behind each (LOOP_GET_STATUS64: the
 * backing file's device and inode), so that a superblock no process holds
 * can be named as kept by /dev/loopN, and whether anything uses that device
 * (a filesystem on it, a device-mapper holder): if nothing does, detaching it
 * frees the superblock.  /sys/block/loopN/loop/backing_file is a path
 * relative to a mount that may be in no namespace and is not unique: the
 * match is on device and inode, the path only shown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/array.h"
#include "base/bounded.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "collect.h"

/* Anything in /sys/block/loopN/holders (device mapper, md)? */
static bool has_holders(int sysfd)
{
	_cleanup_close_ int fd = openat(sysfd, "holders", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	DIR *d = fdopendir(fd);
	if (!d)
		return false;
	fd = -EBADF; /* the DIR owns it */
	bool any = false;
	for (struct dirent *de; !any && (de = readdir(d));)
		any = de->d_name[0] != '.';
	closedir(d);
	return any;
}

/*
 * LOOP_GET_STATUS64 asks the backing file's filesystem for its device and
 * inode (vfs_getattr, AT_STATX_SYNC_AS_STAT): an NFS or FUSE server that
 * stopped answering would keep us there.  So a child asks, one loop after
 * the other, each answer in shared memory; one that is late costs 1.5 s and
 * that loop device, and a new child goes on with the next.
 */
#define LOOP_ASK_MS 1500

typedef struct LoopAsk {
	char name[64]; /* "/dev/loop3" */
	bool done;
	int err;
	uint64_t dev, ino;
} LoopAsk;

typedef struct LoopAsks {
	LoopAsk *a;
	size_t first, n;
} LoopAsks;

static int ask_loops(void *arg, void *out)
{
	const LoopAsks *q = arg;
	LoopAsk *a = out;

	(void)prctl(PR_SET_NAME, "residue-loops");
	for (size_t i = q->first; i < q->n; i++) {
		struct loop_info64 info;
		int fd = open(a[i].name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			a[i].err = errno;
		} else if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0) {
			a[i].err = errno;
		} else {
			/* lo_device is huge_encode_dev(): for 32-bit values glibc's dev_t encoding too. */
			a[i].dev = makedev(major(info.lo_device), minor(info.lo_device));
			a[i].ino = info.lo_inode;
		}
		if (fd >= 0)
			close(fd);
		__atomic_store_n(&a[i].done, true, __ATOMIC_RELEASE);
	}
	return 0;
}

/* The backing file of every loop in @a, each asked in a bounded child. */
static int ask_all(Snapshot *s, LoopAsk *a, size_t n)
{
	LoopAsks q = { a, 0, n };

	while (q.first < n) {
		int r = bounded_run(ask_loops, &q, a, n * sizeof(*a), LOOP_ASK_MS);
		if (r != -ETIMEDOUT && r < 0)
			return snapshot_add_gap(s, "loop device status (LOOP_GET_STATUS64)", "fork",
						-r);
		while (q.first < n && a[q.first].done)
			q.first++;
		if (q.first < n) {
			/* This one's backing filesystem did not answer: a gap, then the rest. */
			a[q.first].err = ETIMEDOUT;
			if (snapshot_add_gap(s,
					     "loop device status (LOOP_GET_STATUS64: its backing "
					     "filesystem did not answer within 1.5 s)",
					     "ioctl", ETIMEDOUT) < 0)
				return -ENOMEM;
			q.first++;
		}
	}
	return 0;
}

/* A loop device whose backing file @a answered: its own device, backing path and users from sysfs. */
static int add_loop(Snapshot *s, int sysfd, const char *name, const LoopAsk *a)
{
	char buf[4096];

	if (a->err) {
		if (a->err == ENOENT || a->err == ENXIO || a->err == ETIMEDOUT)
			return 0; /* gone, unbound since, or its gap is written */
		return snapshot_add_gap(s, "loop device status (LOOP_GET_STATUS64)", "ioctl",
					a->err);
	}
	LoopDev *l = ARRAY_PUSH(s->loops, s->n_loops, s->cap_loops);
	if (!l)
		return -ENOMEM;
	snprintf(l->name, sizeof(l->name), "/dev/%s", name);
	l->back_dev = a->dev;
	l->back_ino = a->ino;
	unsigned ma, mi;
	ssize_t n = read_small_at(sysfd, "dev", buf, sizeof(buf));
	if (n > 0 && sscanf(buf, "%u:%u", &ma, &mi) == 2)
		l->rdev = makedev(ma, mi);
	n = read_small_at(sysfd, "loop/backing_file", buf, sizeof(buf));
	if (n > 0) {
		if (buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		l->backing = strdup(buf);
		if (!l->backing)
			return -ENOMEM;
	}
	l->in_use = has_holders(sysfd) || (l->rdev && snapshot_find_ksb(s, l->rdev)) ||
		    (l->rdev && s->live_devs_known && u64set_contains(&s->live_devs, l->rdev));
	return 0;
}

int collect_loop_devices(Snapshot *s)
{
	_cleanup_close_ int blk = open("/sys/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ LoopAsk *a = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	if (blk < 0)
		return snapshot_add_gap(s, "loop devices (/sys/block)", "open", errno);
	int dfd = dup(blk);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return snapshot_add_gap(s, "loop devices (/sys/block)", "opendir", errno);
	}
	/* Bound ones only (sysfs has loop/backing_file): the others need no question. */
	for (struct dirent *de; (de = readdir(d));) {
		char path[300];
		if (strncmp(de->d_name, "loop", 4) != 0 || strlen(de->d_name) > 32)
			continue;
		snprintf(path, sizeof(path), "%s/loop/backing_file", de->d_name);
		if (faccessat(blk, path, F_OK, 0) < 0)
			continue;
		LoopAsk *q = ARRAY_PUSH(a, n, cap);
		if (!q) {
			r = -ENOMEM;
			break;
		}
		*q = (LoopAsk){ 0 };
		snprintf(q->name, sizeof(q->name), "/dev/%.32s", de->d_name);
	}
	closedir(d);
	if (r < 0 || n == 0)
		return r;
	r = ask_all(s, a, n);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const char *name = a[i].name + strlen("/dev/");
		_cleanup_close_ int sysfd = openat(blk, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sysfd >= 0)
			r = add_loop(s, sysfd, name, &a[i]);
	}
	return r < 0 ? r : 0;
}

/*
 * The /proc tier has no superblock walk, so it sees an orphan no process
 * holds only one way: a loop device bound to a file whose device no mount
 * table has.  Such a superblock is added as the walk would have found it
 * (type and bytes unknown: nothing of it can be asked without a file of
 * it), with the loop device as its holder.  Nothing is concluded where a
 * device may be in no table yet mounted: on btrfs and bcachefs (a
 * subvolume's st_dev), or for a namespace born since its tables were read
 * (the device is looked up again, in every task's mountinfo, first).
 */
int collect_loop_orphans(Snapshot *s, const ScanOptions *o)
{
	int r = collect_loop_devices(s);
	if (r < 0 || s->n_loops == 0)
		return r;
	r = collect_mount_details(s, o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_loops; i++) {
		LoopDev *l = &s->loops[i];
		l->in_use |= l->rdev && u64set_contains(&s->live_devs, l->rdev);
		if (!l->back_dev || u64set_contains(&s->live_devs, l->back_dev) ||
		    snapshot_find_ksb(s, l->back_dev))
			continue;
		if (s->live_devs_inexact) {
			r = snapshot_add_gap(
				s,
				"loop devices: a backing file's device is in no mount "
				"table, but on btrfs or bcachefs that is a subvolume's",
				"LOOP_GET_STATUS64", EOPNOTSUPP);
			if (r < 0)
				return r;
			continue;
		}
		r = dev_mounted_now(s, l->back_dev);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		KernelSb *k = ARRAY_PUSH(s->ksbs, s->n_ksbs, s->cap_ksbs);
		if (!k)
			return -ENOMEM;
		*k = (KernelSb){ .dev = l->back_dev, .s_active = 1, .sb_flags = KSB_SB_ACTIVE };
	}
	r = collect_unheld_superblocks(s);
	return r < 0 ? r : 0;
}
