/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UAPI that Debian 12's 6.1 headers lack: statx unique mount ids (6.8),
 * statmount/listmount (6.8, extended through 6.18), the mount-namespace nsfs
 * ioctls (6.12) and fanotify mount events (6.15).  Values are the kernel's;
 * every user probes for the feature (ENOSYS/EINVAL/ENOTTY) instead of
 * comparing kernel versions.
 */
#pragma once

#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U /* 98d2b43081972 (6.8) */
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC 0x4000
#endif

#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif

/* include/uapi/linux/mount.h as of 6.18; trailing fields we never read are padding. */
struct rs_statmount {
	uint32_t size;
	uint32_t mnt_opts;
	uint64_t mask;
	uint32_t sb_dev_major;
	uint32_t sb_dev_minor;
	uint64_t sb_magic;
	uint32_t sb_flags;
	uint32_t fs_type;
	uint64_t mnt_id;
	uint64_t mnt_parent_id;
	uint32_t mnt_id_old;
	uint32_t mnt_parent_id_old;
	uint64_t mnt_attr;
	uint64_t mnt_propagation;
	uint64_t mnt_peer_group;
	uint64_t mnt_master;
	uint64_t propagate_from;
	uint32_t mnt_root;
	uint32_t mnt_point;
	uint64_t mnt_ns_id;
	uint32_t fs_subtype;
	uint32_t sb_source;
	uint32_t opt_num;
	uint32_t opt_array;
	uint32_t opt_sec_num;
	uint32_t opt_sec_array;
	uint64_t supported_mask;
	uint32_t mnt_uidmap_num;
	uint32_t mnt_uidmap;
	uint32_t mnt_gidmap_num;
	uint32_t mnt_gidmap;
	uint64_t spare2[43];
	char str[];
};

struct rs_mnt_id_req {
	uint32_t size;
	uint32_t mnt_ns_fd; /* 6.18; "spare" before */
	uint64_t mnt_id;
	uint64_t param;
	uint64_t mnt_ns_id; /* 6.11 */
};

#define RS_MNT_ID_REQ_SIZE_VER0 24
#define RS_MNT_ID_REQ_SIZE_VER1 32

#define RS_STATMOUNT_SB_BASIC 0x00000001U
#define RS_STATMOUNT_MNT_BASIC 0x00000002U
#define RS_STATMOUNT_MNT_ROOT 0x00000008U
#define RS_STATMOUNT_MNT_POINT 0x00000010U
#define RS_STATMOUNT_FS_TYPE 0x00000020U
#define RS_STATMOUNT_MNT_NS_ID 0x00000040U
#define RS_STATMOUNT_MNT_OPTS 0x00000080U
#define RS_STATMOUNT_SB_SOURCE 0x00000200U

#define RS_LSMT_ROOT 0xffffffffffffffffULL

/* include/uapi/linux/nsfs.h */
#define RS_NSIO 0xb7
struct rs_mnt_ns_info {
	uint32_t size;
	uint32_t nr_mounts;
	uint64_t mnt_ns_id;
};
#define RS_MNT_NS_INFO_SIZE_VER0 16
#define RS_NS_GET_MNTNS_ID _IOR(RS_NSIO, 5, uint64_t)
#define RS_NS_MNT_GET_INFO _IOR(RS_NSIO, 10, struct rs_mnt_ns_info)
#define RS_NS_MNT_GET_NEXT _IOR(RS_NSIO, 11, struct rs_mnt_ns_info)
#define RS_NS_MNT_GET_PREV _IOR(RS_NSIO, 12, struct rs_mnt_ns_info)

/* fanotify mount events (6.15, include/uapi/linux/fanotify.h) */
#define RS_FAN_REPORT_MNT 0x00004000U
#define RS_FAN_MARK_MNTNS 0x00000110U
#define RS_FAN_MNT_ATTACH 0x01000000ULL
#define RS_FAN_MNT_DETACH 0x02000000ULL

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif

/* Filesystem magics (include/uapi/linux/magic.h) for pseudo filesystems. */
#define RS_TMPFS_MAGIC 0x01021994
#define RS_RAMFS_MAGIC 0x858458f6
#define RS_HUGETLBFS_MAGIC 0x958458f6
#define RS_NSFS_MAGIC 0x6e736673
#define RS_PIPEFS_MAGIC 0x50495045
#define RS_SOCKFS_MAGIC 0x534F434B
#define RS_ANON_INODE_FS_MAGIC 0x09041934
#define RS_PID_FS_MAGIC 0x50494446
#define RS_MQUEUE_MAGIC 0x19800202
#define RS_SECRETMEM_MAGIC 0x5345434d
#define RS_DMA_BUF_MAGIC 0x444d4142
#define RS_AIO_RING_MAGIC 0xa10a10a1
#define RS_BDEVFS_MAGIC 0x62646576
#define RS_NFS_MAGIC 0x6969
#define RS_BTRFS_MAGIC 0x9123683E
#define RS_BCACHEFS_MAGIC 0xca451a4e
#define RS_SMB2_MAGIC 0xfe534d42
#define RS_CIFS_MAGIC 0xff534d42
#define RS_FUSE_MAGIC 0x65735546
#define RS_CEPH_MAGIC 0x00c36400
#define RS_V9FS_MAGIC 0x01021997
#define RS_AFS_MAGIC 0x5346414f

static inline long rs_statmount(const struct rs_mnt_id_req *req, struct rs_statmount *buf,
				size_t bufsize, unsigned int flags)
{
	return syscall(__NR_statmount, req, buf, bufsize, flags);
}

static inline long rs_listmount(const struct rs_mnt_id_req *req, uint64_t *ids, size_t n,
				unsigned int flags)
{
	return syscall(__NR_listmount, req, ids, n, flags);
}

static inline int rs_open_tree(int dfd, const char *path, unsigned int flags)
{
	return (int)syscall(__NR_open_tree, dfd, path, flags);
}
