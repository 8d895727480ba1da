/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record that refs.bpf.c writes into its iterators' output and refs.c
 * reads: one per process, and one per reference a process holds to a file
 * (fd, mapping, cwd, root, exe).  Fixed size, so a reader can resume after
 * a short read at any record boundary.
 */
#pragma once

#ifndef __bpf__
#include <linux/types.h>
#endif

enum rs_ref_kind {
	RS_REF_TASK = 1, /* a process: pid, comm, mount-namespace inode in .addr */
	RS_REF_FD,
	RS_REF_MMAP, /* .addr = vm_start, .flags = vm_flags */
	RS_REF_CWD, /* .tid != .pid for a thread with its own fs_struct */
	RS_REF_ROOT,
	RS_REF_EXE,
	RS_REF_THREAD_NS, /* a thread in another mount namespace than its leader's: inode in .addr */
};

#define RS_REF_F_SELF 1 /* RS_REF_TASK: the iterating process itself */
#define RS_REF_F_KTHREAD 2 /* RS_REF_TASK: a kernel thread (PF_KTHREAD), never a namespace's pid */

/* Where the reference's mount is (struct mount.mnt_ns), as the kernel sees it now. */
enum rs_mnt_state {
	RS_MNT_ATTACHED = 1, /* in a mount namespace */
	RS_MNT_ORPHANED, /* mnt_ns NULL and MNT_UMOUNT: its namespace died, or umount -l */
	RS_MNT_DETACHED, /* in an anonymous namespace: open_tree/fsmount, never attached */
	RS_MNT_INTERNAL, /* MNT_NS_INTERNAL (kern_mount) or NULL without MNT_UMOUNT (a pin) */
};

/* For orphaned and detached mounts: is the superblock mounted in a namespace elsewhere? */
enum rs_sb_live {
	RS_SB_UNKNOWN = 0, /* not looked at, or the walk was cut short */
	RS_SB_LIVE,
	RS_SB_GONE,
};

struct rs_ref {
	__u64 mnt_id; /* unique 64-bit id (6.8+), else the old one */
	__u64 dev; /* kernel dev_t: major << 20 | minor */
	__u64 ino;
	__u64 addr;
	__u32 pid; /* tgid, in the initial pid namespace */
	__u32 tid;
	__s32 fd;
	__u32 mode; /* i_mode */
	__u32 flags; /* f_flags, vm_flags, or RS_REF_F_* */
	__u8 kind;
	__u8 mount_root;
	__u8 unique_id; /* mnt_id is the unique one */
	__u8 mnt_state; /* enum rs_mnt_state */
	__u8 sb_live; /* enum rs_sb_live */
	__u8 pad[3];
	__u32 sb_magic; /* s_magic: what the file's filesystem is, without asking it */
	char comm[16];
};
