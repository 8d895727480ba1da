// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel-internal mounts: pipefs, sockfs, anon_inodefs, nsfs, pidfs and the
 * tmpfs/hugetlbfs instances behind memfd, SysV shm and shared anonymous
 * maps are in no mount namespace, exactly like an orphan.  We learn their
 * mount ids by creating one object of each kind and asking statx, so they
 * are never mistaken for orphans; kinds we cannot create here are caught
 * later by filesystem magic (fs_magic_is_internal).  Also owns ref_stat().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/macro.h"
#include "collect.h"

static int unique_ids = -1; /* -1 unknown, 0 no, 1 yes */

int ref_stat(int dirfd, const char *name, int flags, RefStat *ret)
{
	struct statx sx;
	unsigned mask =
		STATX_TYPE | STATX_INO | (unique_ids == 0 ? STATX_MNT_ID : STATX_MNT_ID_UNIQUE);

	if (statx(dirfd, name, flags | AT_STATX_DONT_SYNC, mask, &sx) < 0)
		return -errno;
	if (unique_ids < 0)
		unique_ids = !!(sx.stx_mask & STATX_MNT_ID_UNIQUE);
	if (!(sx.stx_mask & (STATX_MNT_ID_UNIQUE | STATX_MNT_ID))) {
		/* Pre-6.8 kernel: ask again for the old id, which mountinfo shows too. */
		if (statx(dirfd, name, flags | AT_STATX_DONT_SYNC,
			  STATX_TYPE | STATX_INO | STATX_MNT_ID, &sx) < 0)
			return -errno;
	}
	*ret = (RefStat){
		.mnt_id = sx.stx_mnt_id,
		.dev = makedev(sx.stx_dev_major, sx.stx_dev_minor),
		.ino = sx.stx_ino,
		.mode = sx.stx_mode,
		.mount_root = (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
			      (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT),
	};
	return 0;
}

void ref_stat_use_old_ids(bool old)
{
	unique_ids = old ? 0 : -1;
}

bool ref_stat_has_unique_ids(void)
{
	if (unique_ids < 0) {
		RefStat r;
		(void)ref_stat(AT_FDCWD, "/", 0, &r);
	}
	return unique_ids == 1;
}

static void learn_fd(Snapshot *s, int fd)
{
	RefStat r;
	if (fd >= 0 && ref_stat(fd, "", AT_EMPTY_PATH, &r) == 0)
		(void)u64set_add(&s->internal_mnt_ids, r.mnt_id);
}

int collect_calibrate(Snapshot *s)
{
	int p[2] = { -EBADF, -EBADF };
	RefStat r;

	if (pipe2(p, O_CLOEXEC) == 0) {
		learn_fd(s, p[0]);
		close(p[0]);
		close(p[1]);
	}
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	learn_fd(s, sock);
	_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC);
	learn_fd(s, efd);
	if (efd >= 0 && ref_stat(efd, "", AT_EMPTY_PATH, &r) == 0)
		s->anon_dev = r.dev; /* where io_uring rings and fsopen contexts live too */
	_cleanup_close_ int memfd = memfd_create("residue-calibrate", MFD_CLOEXEC);
	learn_fd(s, memfd); /* shm_mnt: also SysV shm and MAP_SHARED|MAP_ANONYMOUS */
	static const unsigned huge[] = { MFD_HUGETLB, MFD_HUGETLB | MFD_HUGE_2MB,
					 MFD_HUGETLB | MFD_HUGE_1GB };
	for (size_t i = 0; i < ARRAY_SIZE(huge); i++) {
		_cleanup_close_ int h = memfd_create("residue-calibrate", MFD_CLOEXEC | huge[i]);
		learn_fd(s, h);
	}
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	learn_fd(s, pidfd);
	_cleanup_close_ int secret = (int)syscall(447 /* memfd_secret */, O_CLOEXEC);
	learn_fd(s, secret);
	_cleanup_close_ int nsfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	learn_fd(s, nsfd);
	if (nsfd >= 0 && ref_stat(nsfd, "", AT_EMPTY_PATH, &r) == 0)
		s->nsfs_dev = r.dev;

	/* Our own IPC namespace's internal mqueue mount; others are caught by magic. */
	char name[64];
	snprintf(name, sizeof(name), "/residue-calibrate-%d", getpid());
	mqd_t mq = mq_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
	if (mq != (mqd_t)-1) {
		(void)mq_unlink(name);
		learn_fd(s, (int)mq);
		mq_close(mq);
	}
	return 0;
}

static const struct {
	uint64_t magic;
	const char *name;
	bool internal, memory, network;
} fs_magics[] = {
	{ RS_TMPFS_MAGIC, "tmpfs", false, true, false },
	{ RS_RAMFS_MAGIC, "ramfs", false, true, false },
	{ RS_HUGETLBFS_MAGIC, "hugetlbfs", false, true, false },
	{ RS_MQUEUE_MAGIC, "mqueue", true, true, false },
	{ RS_NSFS_MAGIC, "nsfs", true, false, false },
	{ RS_PIPEFS_MAGIC, "pipefs", true, false, false },
	{ RS_SOCKFS_MAGIC, "sockfs", true, false, false },
	{ RS_ANON_INODE_FS_MAGIC, "anon_inodefs", true, false, false },
	{ RS_PID_FS_MAGIC, "pidfs", true, false, false },
	{ RS_SECRETMEM_MAGIC, "secretmem", true, true, false },
	{ RS_DMA_BUF_MAGIC, "dmabuf", true, false, false },
	{ RS_AIO_RING_MAGIC, "aio", true, false, false },
	{ RS_BDEVFS_MAGIC, "bdev", true, false, false },
	{ 0xEF53, "ext4", false, false, false },
	{ 0x58465342, "xfs", false, false, false },
	{ RS_BTRFS_MAGIC, "btrfs", false, false, false },
	{ RS_BCACHEFS_MAGIC, "bcachefs", false, false, false },
	{ 0x794c7630, "overlay", false, false, false },
	{ 0x4d44, "vfat", false, false, false },
	{ 0x2011BAB0, "exfat", false, false, false },
	{ 0x5346544e, "ntfs", false, false, false },
	{ 0x73717368, "squashfs", false, false, false },
	{ 0xE0F5E1E2, "erofs", false, false, false },
	{ 0x9fa0, "proc", false, false, false },
	{ 0x62656572, "sysfs", false, false, false },
	{ 0x1373, "devtmpfs", false, true, false },
	{ 0x1cd1, "devpts", false, false, false },
	{ 0x27e0eb, "cgroup", false, false, false },
	{ 0x63677270, "cgroup2", false, false, false },
	{ 0xcafe4a11, "bpf", false, false, false },
	{ RS_NFS_MAGIC, "nfs", false, false, true },
	{ RS_SMB2_MAGIC, "smb3", false, false, true },
	{ RS_CIFS_MAGIC, "cifs", false, false, true },
	{ RS_FUSE_MAGIC, "fuse", false, false, true },
	{ RS_CEPH_MAGIC, "ceph", false, false, true },
	{ RS_V9FS_MAGIC, "9p", false, false, true },
	{ RS_AFS_MAGIC, "afs", false, false, true },
};

#define FS_MAGIC_LOOKUP(magic, field, dflt)                                                        \
	do {                                                                                       \
		for (size_t i = 0; i < ARRAY_SIZE(fs_magics); i++)                                 \
			if (fs_magics[i].magic == (magic))                                         \
				return fs_magics[i].field;                                         \
		return dflt;                                                                       \
	} while (0)

const char *fs_magic_name(uint64_t magic)
{
	FS_MAGIC_LOOKUP(magic, name, "");
}

bool fs_magic_is_internal(uint64_t magic)
{
	FS_MAGIC_LOOKUP(magic, internal, false);
}

bool fs_magic_is_memory(uint64_t magic)
{
	FS_MAGIC_LOOKUP(magic, memory, false);
}

bool fs_type_is_network(const char *fstype)
{
	static const char *const prefixes[] = { "fuse",	    "nfs",	 "cifs", "smb",
						"9p",	    "ceph",	 "afs",	 "lustre",
						"virtiofs", "glusterfs", "gfs2", "ocfs2",
						"orangefs", "coda",	 "ncpfs" };
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(fstype, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

bool fs_magic_is_network(uint64_t magic)
{
	/* Unknown filesystems are treated as possibly remote: never walked. */
	FS_MAGIC_LOOKUP(magic, network, true);
}
