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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/array.h"
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

static int add_loop(Snapshot *s, int sysfd, const char *name)
{
	char path[64], buf[4096];
	struct loop_info64 info;

	snprintf(path, sizeof(path), "/dev/%s", name);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ENXIO ? 0 : -errno;
	if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
		return errno == ENXIO ? 0 : -errno; /* ENXIO: not bound */
	LoopDev *l = ARRAY_PUSH(s->loops, s->n_loops, s->cap_loops);
	if (!l)
		return -ENOMEM;
	snprintf(l->name, sizeof(l->name), "%s", path);
	/* lo_device is huge_encode_dev(): for 32-bit values glibc's dev_t encoding too. */
	l->back_dev = makedev(major(info.lo_device), minor(info.lo_device));
	l->back_ino = info.lo_inode;
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
	if (blk < 0)
		return snapshot_add_gap(s, "loop devices (/sys/block)", "open", errno);
	int dfd = dup(blk);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return snapshot_add_gap(s, "loop devices (/sys/block)", "opendir", errno);
	}
	int r = 0;
	for (struct dirent *de; r >= 0 && (de = readdir(d));) {
		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		_cleanup_close_ int sysfd =
			openat(blk, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sysfd < 0)
			continue;
		r = add_loop(s, sysfd, de->d_name);
		if (r < 0 && r != -ENOMEM)
			r = snapshot_add_gap(s, "loop device status (LOOP_GET_STATUS64)", "ioctl",
					     -r);
	}
	closedir(d);
	return r < 0 ? r : 0;
}

int collect_unnamed_superblocks(Snapshot *s)
{
	U64Set held = { 0 };
	int r = 0;

	for (size_t i = 0; i < s->n_holders && r >= 0; i++)
		if (holder_is_unattached(s, &s->holders[i]))
			r = u64set_add(&held, s->holders[i].dev);
	for (size_t i = 0; i < s->n_ksbs && r >= 0; i++) {
		KernelSb *k = &s->ksbs[i];
		bool named = false;
		if (!ksb_is_unmounted(s, k) || fs_magic_is_internal(k->magic) ||
		    u64set_contains(&held, k->dev))
			continue;
		for (size_t j = 0; j < s->n_loops && !named; j++)
			named = s->loops[j].back_dev == k->dev;
		if (named)
			continue;
		k->transient = true; /* not an orphan this scan can name */
		r = snapshot_add_gap(s, GAP_WHAT_UNHELD_SB, "walk_sbs", EAGAIN);
	}
	u64set_done(&held);
	return r < 0 ? -ENOMEM : 0;
}
