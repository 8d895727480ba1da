/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * residue inodes as plain data: one sample of the kernel's dentries and
 * inodes (what the BPF walk and its holder passes wrote, decoded), and the
 * audit made of two samples (findings that persisted, what could not be
 * explained, what was not looked at).  Nothing here reads the kernel.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/snapshot.h"

typedef enum InoObjKind {
	INO_OBJ_SB = 1, /* an audited superblock */
	INO_OBJ_DENTRY, /* a dentry counted above what the walk explains */
	INO_OBJ_STRANDED,
	INO_OBJ_INODE, /* an inode with more references than aliases */
	INO_OBJ_MOUNT, /* the first mount of an audited superblock: its id in aux */
	INO_OBJ_SKIPPED, /* a superblock not audited */
	_INO_OBJ_MAX,
} InoObjKind;

/* InoObj.flags: the same bits as RS_IR_F_* (lib/bpf/inodes.h), checked there. */
enum {
	INO_F_HASHED = 1 << 0,
	INO_F_DISCONNECTED = 1 << 1,
	INO_F_MOUNTED = 1 << 2,
	INO_F_S_ROOT = 1 << 3,
	INO_F_NEGATIVE = 1 << 4,
	INO_F_CHILDREN_CUT = 1 << 5,
	INO_F_MARKS = 1 << 6,
	INO_F_SWAPFILE = 1 << 7,
	INO_F_PATH_CUT = 1 << 8,
	INO_F_UNLINKED = 1 << 9,
	INO_F_NOUSER = 1 << 10,
	INO_F_INACTIVE = 1 << 11,
	INO_F_INODES_CUT = 1 << 12,
	INO_F_RESUMED_BY_INDEX = 1 << 13,
	INO_F_MOUNTS_CUT = 1 << 14,
	INO_F_KERNMOUNT = 1 << 15,
	/* Userspace only: the count read again after the holder passes was another (it moved). */
	INO_F_MOVED = 1 << 24,
};

typedef struct InoObj {
	uint64_t dentry, inode, aux, dev, ino, parent_ino;
	int32_t d_count;
	uint32_t children, i_count, aliases, magic, mode, flags;
	uint32_t mounts; /* DENTRY: mounts whose root it is */
	uint8_t kind; /* InoObjKind */
	char name[33]; /* NUL-terminated, raw bytes (escape before printing) */
} InoObj;

typedef enum InoHolderKind {
	INO_HOLD_FD = 1,
	INO_HOLD_MMAP,
	INO_HOLD_EXE,
	INO_HOLD_CWD,
	INO_HOLD_ROOT,
	INO_HOLD_CURSOR,
	INO_HOLD_UNSEEN, /* decoded into InoSample.unseen, never a holder */
	_INO_HOLD_MAX,
} InoHolderKind;

typedef struct InoHolder {
	uint64_t dentry, obj;
	uint32_t pid;
	int32_t fd;
	uint8_t kind; /* InoHolderKind */
} InoHolder;

/*
 * A struct file the kernel holds outside every fd table, found by residue's
 * other collectors: it explains one reference on its dentry.
 */
typedef struct InoKernelFile {
	uint64_t dev; /* kernel dev_t of the file's superblock */
	uint64_t ino;
	const char *holder; /* "loop0": static or owned by the caller */
} InoKernelFile;

typedef struct InoSample {
	InoObj *objs;
	size_t n_objs, cap_objs;
	InoHolder *holders;
	size_t n_holders, cap_holders;
	/* The walk's counters, summed over its chunks. */
	uint64_t inodes, dentries, sbs, skipped, rejected, dropped, cand_dropped, steps;
	uint64_t mroots_dropped;
	unsigned chunks;
	bool complete; /* the superblock list walked to its end, nothing dropped */
	double walk_ms, holders_ms;
	/*
	 * Tasks whose files no holder pass could see when it ran: exiting
	 * (after exit_mm(), before exit_notify()) and in execve().  What they
	 * hold is counted in d_lockref.count and explained by nothing.
	 */
	uint32_t unseen_exiting, unseen_exec;
} InoSample;

void ino_sample_clear(InoSample *s);
int ino_sample_add_obj(InoSample *s, const InoObj *o);
int ino_sample_add_holder(InoSample *s, const InoHolder *h);

typedef enum InoFindingKind {
	INO_FIND_STRANDED, /* an unreferenced dentry under a root umount never reaches */
	INO_FIND_DENTRY_REFS, /* dentry references nothing known explains */
	INO_FIND_INODE_REFS, /* inode references no alias or mark explains */
	_INO_FIND_MAX,
} InoFindingKind;

#define INO_FINDING_PIDS 4

typedef struct InoFinding {
	InoFindingKind kind;
	uint64_t dev, ino, parent_ino;
	uint64_t dentry, inode; /* addresses: identity only */
	uint32_t magic, mode;
	int32_t count; /* d_lockref.count, or i_count */
	int64_t unexplained; /* references nothing explains (STRANDED: 0) */
	/* What did explain the rest (DENTRY_REFS), for the reader to check. */
	uint32_t children, files, fs_refs, mounts, other;
	uint32_t pids[INO_FINDING_PIDS]; /* processes with a known reference (0: none) */
	uint32_t n_pids;
	uint64_t mnt_id; /* a mount of its superblock (0: none known) */
	uint64_t
		holders_fp; /* DENTRY_REFS: the explaining objects, to tell the same account again */
	bool path_cut, negative, unlinked;
	char name[33];
} InoFinding;

typedef struct InoSbSummary {
	uint64_t dev, mnt_id;
	uint32_t magic;
	uint64_t inodes; /* walked in the first sample */
	uint32_t flags; /* INO_F_INODES_CUT ... */
	size_t findings;
} InoSbSummary;

typedef struct InodeAudit {
	bool ran; /* the BPF walk ran: false means nothing is known */
	int error; /* why it did not (-errno), e.g. -EPERM, -EOPNOTSUPP */
	uint64_t target_dev; /* kernel dev_t (major << 20 | minor); 0: every superblock */
	InoFinding *findings;
	size_t n_findings;
	size_t n_kind[_INO_FIND_MAX];
	/*
	 * Counts nothing explains in one sample only (changed or went by the
	 * second), and counts explained beyond what they are (a model that does
	 * not fit this filesystem: "unknown", never a finding).
	 */
	size_t transient, over_explained;
	/*
	 * Dentries with references left over, in both samples, on filesystems
	 * the kernel mounted itself (SB_KERNMOUNT: devtmpfs, rootfs, shm) or
	 * that residue has no model for (ino_fs_unmodeled()): unknown.
	 */
	size_t unmodeled;
	/*
	 * Set by the caller before the analysis: residue's walks of the kernel's
	 * holders (io_uring fixed files, files in flight) could not be read, or
	 * only in part.  Then what no other holder explains is unknown, counted
	 * in holders_unknown, never a finding those walks could have explained.
	 */
	bool kernel_holders_unknown;
	size_t holders_unknown;
	/*
	 * Tasks out of every holder pass's reach in the two samples (exiting,
	 * in exec: InoSample.unseen_*).  A sample with one leaves its remainders
	 * unknown (holders_unknown), never a finding.
	 */
	uint32_t unseen_exiting, unseen_exec;
	InoSbSummary *sbs;
	size_t n_sbs;
	uint64_t inodes, dentries, sbs_skipped;
	double interval_s, ms; /* between the samples; the whole audit */
	double walk_ms[2], holders_ms[2];
	unsigned chunks;
	bool complete; /* both walks whole, nothing dropped */
	Gap *gaps;
	size_t n_gaps, cap_gaps;
} InodeAudit;

InodeAudit *inode_audit_free(InodeAudit *a);
/* A deep copy, for a report that outlives the audit's owner (residue serve keeps the last audit). */
int inode_audit_copy(const InodeAudit *a, InodeAudit **ret);
int inode_audit_add_gap(InodeAudit *a, const char *what, const char *call, int err);

/* The filesystem type of a magic number ("tmpfs"), or NULL. */
const char *ino_fstype(uint32_t magic);
/*
 * Does the kernel keep references to this filesystem's dentries that residue
 * does not enumerate (proc, sysfs, cgroup: its own lookups and internal
 * files)?  Their unexplained dentry counts are unknown, never findings.
 */
bool ino_fs_unmodeled(uint32_t magic);
/* Does the filesystem keep this dentry itself (devpts' ptmx, proc's self)? */
bool ino_fs_holds_dentry(uint32_t magic, uint64_t parent_ino, const char *name);
/* Does this filesystem pin each positive, hashed dentry with one reference of its own? */
bool ino_fs_pins_dentries(uint32_t magic);
/* Does this filesystem hold inode @ino with no dentry, on purpose (ext4's journal)? */
bool ino_fs_holds_inode(uint32_t magic, uint64_t ino);
/* The magic numbers of ino_fs_pins_dentries(), for the BPF walk: how many written. */
size_t ino_pin_magics(uint32_t *ret, size_t max);

const char *ino_finding_kind_name(InoFindingKind k); /* "stranded", ... */
