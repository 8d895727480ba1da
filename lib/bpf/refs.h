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

/*
 * The superblock walk (refs.bpf.c walk_sbs): one record per superblock on the
 * kernel's list, in array map sbs (mmap'ed by refs.c), whether or not a
 * process holds a file of it.  Where it is mounted decides the orphan verdict:
 * a superblock no namespace mounts is kept by something, named or not.
 */
#define RS_SBS_MAX (1 << 14) /* records the map takes; more are counted as dropped */
#define RS_SB_NS_MAX 3 /* namespaces recorded per superblock */

enum rs_sb_flags {
	RS_SB_F_NO_ROOT = 1, /* s_root NULL: being set up or torn down */
	RS_SB_F_MOUNTS_CUT = 2, /* its mount list changed under the walk, or was too long */
	RS_SB_F_NS_MORE = 4, /* attached in more namespaces than ns_ids holds */
	RS_SB_F_PAGES = 8, /* nrpages was summed over all its inodes */
	RS_SB_F_OLD_NS_ID = 16, /* before 6.18 (no ns_common.ns_id): ns_ids are the inums */
};

struct rs_sb {
	__u64 dev; /* kernel dev_t: major << 20 | minor */
	__u64 mnt_id; /* its first mount's id (unique, 6.8+): with dev, tells it from a successor */
	__u64 magic; /* s_magic */
	__u64 nrpages; /* RS_SB_F_PAGES: page cache of its inodes (candidate orphans only) */
	__u64 ns_ids[RS_SB_NS_MAX]; /* distinct namespaces of its attached mounts */
	__u32 ns_inos[RS_SB_NS_MAX]; /* their nsfs inodes */
	__u32 s_flags; /* SB_ACTIVE, SB_KERNMOUNT, ... */
	__u32 mounts; /* its mounts (counting stops once n_ns overflows: RS_SB_F_NS_MORE) */
	__u32 attached; /* in a real namespace */
	__u32 anon; /* in an anonymous namespace: open_tree/fsmount */
	__u32 orphaned; /* mnt_ns NULL and MNT_UMOUNT */
	__u32 internal; /* MNT_NS_INTERNAL, or a kernel pin */
	__u32 inodes; /* RS_SB_F_PAGES: inodes summed */
	__u16 n_ns;
	__u16 flags; /* enum rs_sb_flags */
	__u32 s_active; /* active references: 0 while it is being shut down */
	/*
	 * Mounts being torn down: MNT_DOOMED (the last reference is gone), or
	 * unmounted and still on umount_tree()'s list, waiting out the RCU grace
	 * period of namespace_unlock() (mnt_umount hashed, no mountpoint).
	 */
	__u32 dying;
};

/*
 * A file whose last reference a task has dropped and will close on its way
 * back to user space, or out of do_exit(): fput() queued ____fput on the
 * task's task_works (refs.bpf.c dump_fputs).  A dying container's last
 * process holds its tmpfs this way after its namespace is gone, for as long
 * as a loaded host takes to run it.
 */
struct rs_fput {
	__u64 dev; /* kernel dev_t */
	__u64 ino;
	__u32 pid;
	__u32 tid;
};

/*
 * A bind mount of an nsfs file (what keeps a namespace with no process),
 * met by the walk among the nsfs superblock's mounts: one record per mount
 * attached in a namespace, in array map nsbinds.  residue keeps those whose
 * target is a mount namespace and asks statmount for their mount points only.
 */
#define RS_NSBINDS_MAX 4096 /* more are counted in rs_sb_walk.nsbinds_dropped */

struct rs_nsbind {
	__u64 mnt_id; /* the bind mount (unique id, 6.8+) */
	__u64 ns_id; /* the namespace it is attached in */
	__u64 target_ino; /* inode of the nsfs file bound: the namespace it keeps */
	__u32 ns_ino; /* nsfs inode of the namespace it is attached in */
	__u32 pad;
};

/*
 * A superblock the walk met with no root (s_root NULL): being set up, being
 * torn down, or left half torn down by a kernel BUG in its teardown (a dead
 * superblock, analyze/dead-sbs.c).  Its names, in array map sbnames, for the
 * mount that named it is gone.  Few at any time: more are counted only.
 */
#define RS_SB_NAMES_MAX 64

struct rs_sb_name {
	__u64 dev; /* kernel dev_t, as in struct rs_sb */
	__u64 umount_count; /* s_umount.count: bit 0 (RWSEM_WRITER_LOCKED) while write-held; 0 on RT */
	char fstype[16]; /* s_type->name */
	char s_id[32]; /* s_id: the block device's name ("loop0"), or the type's */
};

/* The walk's state and counters, in .bss: refs.c reads the counters. */
/* A program's count of the references it looked at, alone on a cache line (refs.bpf.c). */
struct rs_refs_seen {
	__u64 n;
	__u64 pad[7];
};

struct rs_sb_walk {
	__u64 start, sb, pos, head;
	__u64 steps, sbs, rejected, dropped;
	__u64 unlisted; /* list nodes skipped: the head super_blocks, and superblocks being torn down */
	__u32 phase, n; /* n: records written, or that would have been */
	__u32 done; /* 1: back at the start; 2: a list step failed; 0: out of steps */
	__u32 nsbinds; /* nsfs bind records written, or that would have been */
	__u32 names; /* rs_sb_name records written, or that would have been */
	__u32 self_ns_ino; /* our own mount namespace's inode as the walk reads it (mnt_ns_inum) */
	struct rs_sb rec;
};
