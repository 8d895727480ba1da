/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The records inodes.bpf.c writes and inodes.c / inodes-decode.c read: the
 * audit of the dentries and inodes of one superblock or all (residue inodes).
 * Fixed sizes, so that a reader can check a buffer's length and resume at any
 * record boundary.  Addresses are identities only: userspace never
 * dereferences them, it compares them between the walk, the holder passes
 * and the second sample.
 */
#pragma once

#ifndef __bpf__
#include <linux/types.h>
#endif

enum rs_ir_kind {
	RS_IR_SB = 1, /* a superblock audited: .dentry = s_root, .aux = sb, .ino = inodes walked */
	RS_IR_DENTRY, /* a dentry whose count children do not explain: the holders must */
	RS_IR_STRANDED, /* count 0, hashed, under a root umount never reaches: .aux = that root */
	RS_IR_INODE, /* an inode with more references than aliases: .i_count, .aliases */
	RS_IR_MOUNT, /* the first mount of an audited superblock: .dentry = its root, .aux = its id */
	RS_IR_SKIPPED, /* a superblock not audited (.flags says why): .aux = sb */
	_RS_IR_MAX,
};

/* rs_ino_rec.flags */
enum rs_ir_flags {
	RS_IR_F_HASHED = 1 << 0,
	RS_IR_F_DISCONNECTED = 1 << 1, /* DCACHE_DISCONNECTED */
	RS_IR_F_MOUNTED = 1 << 2, /* DCACHE_MOUNTED: a struct mountpoint holds one reference */
	RS_IR_F_S_ROOT = 1 << 3, /* the superblock's s_root: the superblock holds one */
	RS_IR_F_NEGATIVE = 1 << 4, /* no inode */
	RS_IR_F_CHILDREN_CUT = 1 << 5, /* the children list was longer than read, or changed */
	RS_IR_F_MARKS = 1 << 6, /* the inode has fsnotify marks (a connector: at most one ref) */
	RS_IR_F_SWAPFILE = 1 << 7, /* S_SWAPFILE: swapon's struct file holds one reference */
	RS_IR_F_PATH_CUT = 1 << 8, /* STRANDED: the parent chain was longer than followed */
	RS_IR_F_UNLINKED = 1 << 9, /* i_nlink == 0 */
	/* RS_IR_SKIPPED: why */
	RS_IR_F_NOUSER = 1 << 10, /* SB_NOUSER: a pseudo filesystem (sockets, pipes, nsfs...) */
	RS_IR_F_INACTIVE = 1 << 11, /* not SB_ACTIVE or no s_root: being set up or torn down */
	/* RS_IR_SB: its walk */
	RS_IR_F_INODES_CUT = 1 << 12, /* the inode list changed under the walk: not all seen */
	RS_IR_F_RESUMED_BY_INDEX = 1 << 13, /* a chunk resumed by counting, not by its inode */
	RS_IR_F_MOUNTS_CUT = 1 << 14,
	RS_IR_F_KERNMOUNT =
		1 << 15, /* SB_KERNMOUNT: the kernel mounted it (devtmpfs, rootfs, shm) */
};

struct rs_ino_rec {
	__u64 dentry; /* the dentry's address: its identity between samples */
	__u64 inode; /* the inode's address (0: negative) */
	__u64 aux; /* by kind: a root, a mount id, the superblock */
	__u64 dev; /* kernel dev_t: major << 20 | minor */
	__u64 ino;
	__u64 parent_ino; /* the parent dentry's inode number (0: none) */
	__s32 d_count; /* d_lockref.count */
	__u32 children; /* child dentries, cursors not counted */
	__u32 i_count;
	__u32 aliases; /* dentries of the inode */
	__u32 magic; /* s_magic: which per-filesystem model applies */
	__u32 mode; /* i_mode */
	__u32 flags; /* enum rs_ir_flags */
	__u32 mounts; /* RS_IR_DENTRY: mounts whose root it is (each holds one reference) */
	__u32 pad;
	__u16 kind; /* enum rs_ir_kind */
	__u16 name_len; /* bytes of name used, the rest zero */
	char name[32]; /* the dentry's last component (cut to 32 bytes) */
};

/*
 * A holder of a candidate dentry (one the walk wrote as RS_IR_DENTRY), from
 * the iterator passes over every task: each struct file holds one reference
 * (several fds and mappings may share one file: userspace counts distinct
 * .obj), each fs_struct one per root and one per cwd.
 */
enum rs_holder_kind {
	RS_HOLD_FD = 1, /* .obj = struct file, .fd */
	RS_HOLD_MMAP, /* .obj = struct file of a mapping */
	RS_HOLD_EXE, /* .obj = mm->exe_file */
	RS_HOLD_CWD, /* .obj = fs_struct */
	RS_HOLD_ROOT, /* .obj = fs_struct */
	RS_HOLD_CURSOR, /* .obj = the struct file whose readdir cursor (a child dentry) holds it */
	/*
	 * Not a holder: a task whose files and mappings no pass can see at this
	 * moment (.dentry 0, .obj the task, .fd enum rs_unseen_why).  What it
	 * holds is in d_lockref.count but nowhere residue looks.
	 */
	RS_HOLD_UNSEEN,
	_RS_HOLD_MAX,
};

enum rs_unseen_why {
	RS_UNSEEN_EXITING =
		1, /* in do_exit() after exit_mm(): mm NULL, the old vmas' files still held */
	RS_UNSEEN_EXEC, /* in execve(): bprm->file, the interpreter, the old mm being torn down */
};

/*
 * The value of map cand: the sample a candidate dentry was found in, and its
 * d_lockref.count read again after the last holder pass (RS_COUNT_UNREAD: not
 * read).  A count that moved between the walk and the end of the holder passes
 * was not the count the holders were compared with.
 */
struct rs_cand {
	__u32 gen;
	__s32 count_after;
};
#define RS_COUNT_UNREAD ((__s32)0x80000000)

struct rs_holder {
	__u64 dentry;
	__u64 obj;
	__u32 pid; /* tgid */
	__s32 fd; /* RS_HOLD_FD, RS_HOLD_CURSOR: the fd; else -1 */
	__u32 kind; /* enum rs_holder_kind */
	__u32 pad;
};

/*
 * Filesystems that pin every positive dentry they create with one extra
 * reference (shmem, ramfs, debugfs, ... : dget() after d_instantiate() in
 * their mknod): residue passes their magic numbers to the walk, which then
 * writes only dentries counted above that.
 */
#define RS_PIN_MAGICS_MAX 16

/* Records the walk's map takes per chunk; more are counted in rs_ino_walk.dropped. */
#define RS_IR_MAX 16384
/* Candidate dentries the holder passes look for; more are counted in cand_dropped. */
#define RS_CAND_MAX 65536
/* Distinct mount roots counted per sample (map mroots). */
#define RS_MROOTS_MAX 65536

/* The walk's state and counters, in .bss: inodes.c reads the counters. */
struct rs_ino_walk {
	__u64 start, sb, pos, head, inode, dentry, child, chead, cur, leaf;
	__u64 s_root, magic, dev;
	__u64 index; /* inodes of this superblock visited: where a lost position resumes */
	__u64 skip; /* inodes still to skip to resume by index */
	__u64 steps, inodes, dentries, sbs, skipped, rejected, dropped, cand_dropped;
	__u64 mroots_dropped; /* mount roots the map mroots could not take: counts incomplete */
	__u64 budget; /* inodes left in this chunk */
	__u32 phase;
	__u32 n; /* records written in this chunk, or that would have been */
	__u32 done; /* 1: all walked; 2: a list step failed; 0: paused (a chunk's end) */
	__u32 depth;
	__u32 i_count, aliases, d_flags, children;
	__s32 d_count;
	__u32 i_flags; /* RS_IR_F_* of the inode at hand */
	__u32 sb_flags; /* RS_IR_F_* of the superblock at hand */
	__u32 ran; /* the program ran in this chunk (show() can run twice for one element) */
};
