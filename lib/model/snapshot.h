/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host snapshot: plain data that the collectors fill and the analyzers
 * read.  Nothing here performs I/O, so analyzers and renderers can be tested
 * from snapshots built by hand.  Indices, not pointers, link records, so the
 * arrays may grow while a scan runs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/u64set.h"

/*
 * The gap of a scan without the BPF superblock walk (the /proc tier): orphans
 * that only a kernel object holds are not seen.  A limit of the tier, like a
 * refused BPF tier, not a read that failed: it does not make a report incomplete.
 */
/* Without the walk: a unix socket with files in flight (fdinfo scm_fds), one gap per socket. */
#define GAP_WHAT_SCM_FDS                                                                           \
	"unix sockets with files in flight (fdinfo scm_fds): the superblocks they keep need the BPF tier"
/* Without the walk: an io_uring ring with registered files (fdinfo UserFiles), per ring. */
#define GAP_WHAT_IO_URING                                                                          \
	"io_uring rings with registered files (fdinfo UserFiles): the superblocks they keep need " \
	"the BPF tier"
/* Without the walk: an fsopen() context (anon_inode:[fscontext]), per context. */
#define GAP_WHAT_FSCONTEXT                                                                         \
	"filesystem contexts (fsopen, anon_inode:[fscontext]): the superblock each may keep "      \
	"needs the BPF tier"
#define GAP_WHAT_NO_SB_WALK                                                                        \
	"superblocks with no process holder, other than a loop device's: needs the BPF tier"
/* Something that could not be read: shown to the user, never fatal. */
typedef struct Gap {
	char *what; /* "process mount namespace (/proc/PID/ns/mnt)" */
	char *call; /* "open", "NS_MNT_GET_NEXT" */
	int err; /* positive errno */
	unsigned count; /* how many objects failed this way */
	pid_t example; /* one pid it happened to, 0 when not about a process */
} Gap;

/*
 * The comm of residue's child that enters process-less namespaces to measure
 * their tmpfs (collect/mount-ns.c): while it is in one, another residue (an
 * agent beside a one-shot scan) would count it as that namespace's process
 * and report no process-less namespace at all, or name it as a holder of the
 * nsfs fds it inherited.  Never counted as a member nor named as a holder.
 */
#define NSPROBE_COMM "residue-nsprobe"

typedef struct Process {
	pid_t pid;
	char comm[17];
	char *cgroup; /* memory cgroup path, or NULL */
	uint64_t mntns_id; /* 0 when unknown */
	uint64_t mntns_ino;
	/*
	 * A kernel thread (PF_KTHREAD): in the host's namespace but no process to
	 * nsenter or to name a container by.  The BPF tier knows it of every task,
	 * the /proc tier only of those it asked (collect_user_representatives).
	 */
	bool kthread;
} Process;

/* A thread in another mount namespace than its process's (the BPF tier sees them). */
typedef struct ThreadNs {
	pid_t tid;
	uint64_t ino; /* nsfs inode of its mount namespace */
} ThreadNs;

typedef enum HolderHow {
	HOLD_FD,
	HOLD_MMAP,
	HOLD_CWD,
	HOLD_ROOT,
	HOLD_EXE,
	HOLD_MOUNT_FD, /* an O_PATH fd on a mount's root: open_tree/fsmount */
	_HOLD_MAX,
} HolderHow;

/* The state of a reference's mount, read from struct mount by the BPF tier. */
typedef enum MountState {
	MNT_STATE_UNKNOWN, /* the /proc tier: decided from the namespaces' mount lists */
	MNT_STATE_ATTACHED,
	MNT_STATE_ORPHANED, /* in no namespace: the namespace died, or umount -l */
	MNT_STATE_DETACHED, /* an anonymous namespace: open_tree/fsmount, never attached */
	MNT_STATE_INTERNAL, /* kern_mount or a kernel pin */
} MountState;

typedef enum SbLive {
	SB_LIVE_UNKNOWN, /* decide with Snapshot.live_devs */
	SB_LIVE_YES,
	SB_LIVE_NO,
} SbLive;

/* One reference from a process to a file: the way it keeps a mount alive. */
typedef struct Holder {
	uint64_t mnt_id; /* unique 64-bit mount id (statx STATX_MNT_ID_UNIQUE) */
	uint64_t dev; /* st_dev as makedev() */
	uint64_t ino;
	uint64_t map_start; /* HOLD_MMAP: first address of the mapping */
	uint32_t proc; /* index into Snapshot.procs */
	int32_t fd; /* HOLD_FD/HOLD_MOUNT_FD: fd number, else -1 */
	int32_t tid; /* HOLD_CWD of one thread: its tid, else 0 */
	uint32_t st_mode;
	uint32_t fs_magic; /* its superblock's s_magic (BPF tier), 0 when unknown */
	uint8_t how; /* HolderHow */
	bool mount_root; /* the file is the root of its mount */
	uint8_t mnt_state; /* MountState as the kernel saw it (BPF tier), else MNT_STATE_UNKNOWN */
	uint8_t sb_live; /* SbLive: is its superblock mounted in a namespace (BPF tier) */
	/* Detail, collected only for holders on mounts in no namespace: */
	bool has_detail;
	bool writes; /* open for writing, or a shared writable mapping */
	int32_t open_flags; /* -1 when unknown */
	char perms[5]; /* HOLD_MMAP: "rw-s" */
	char *path; /* path as the holder sees it: inside the orphan */
} Holder;

/*
 * A superblock a process-less namespace mounts that no namespace with a
 * process mounts: what the namespace alone keeps alive.
 */
typedef struct KeptFs {
	uint64_t dev;
	char fstype[32]; /* "tmpfs", "overlay", … */
	char *point; /* its first mount point, as seen inside the namespace */
	bool bytes_known; /* tmpfs only: measured from inside the namespace */
	uint64_t bytes; /* (f_blocks - f_bfree) * f_bsize */
} KeptFs;

/* One mount of a namespace's table, for the census (mountinfo or statmount). */
typedef struct MountEntry {
	uint64_t id, parent_id; /* as the source numbers them (old ids from mountinfo) */
	uint64_t dev;
	bool ro; /* mounted read-only */
	/* Point into MountNs.table_text (mountinfo) or MountNs.strings (statmount). */
	const char *fstype, *source, *root, *point; /* point as seen from inside the namespace */
} MountEntry;

typedef struct MountNs {
	uint64_t id; /* 64-bit namespace id; never reused */
	uint64_t ino; /* nsfs inode; reused at once, so only for matching now */
	/*
	 * No NS_GET_MNTNS_ID (before 6.11): id holds the inode, a key for this
	 * scan only; output says null (docs/JSON.md) and names it mnt:[INODE].
	 */
	bool id_is_ino;
	uint32_t nr_mounts;
	uint32_t nr_procs; /* processes whose ns/mnt is this one */
	pid_t pid; /* a representative process, 0 when none */
	bool pid_is_kthread; /* ... and it is a kernel thread: no user process was found */
	char *pid_cgroup; /* ... its cgroup (parse_proc_cgroup), read beside the table; or NULL */
	bool listed; /* its mounts are in Snapshot.live_mnt_ids */
	bool gone; /* process-less, and absent from the walk after the process scan */
	uint64_t *mnt_ids; /* its mounts' ids, when listed */
	size_t n_mnt_ids;
	/* its mounts' superblocks (and the mount of each), once the details are read */
	struct MountDev {
		uint64_t dev, mnt_id;
	} * devs;
	size_t n_devs, cap_devs;
	bool dev_ids_unique; /* devs[].mnt_id are the 64-bit ids (statmount), not mountinfo's */
	/*
	 * Process-less namespaces: bytes in the tmpfs superblocks that only
	 * namespaces without processes mount, i.e. what its death would free.
	 */
	bool tmpfs_known;
	uint64_t tmpfs_bytes;
	uint32_t tmpfs_mounts;
	bool kept_known; /* its mounts were examined: kept is the whole list */
	KeptFs *kept; /* process-less namespaces: the superblocks only it keeps */
	size_t n_kept, cap_kept;
	/* The census (collect_mount_tables): its whole table. */
	MountEntry *mounts;
	size_t n_mounts;
	uint64_t table_bytes; /* size of its mountinfo text; 0 when read with statmount */
	char *table_text; /* its mountinfo, split in place into MountEntry strings */
	char **strings; /* statmount: one malloc'd block per entry */
	size_t n_strings;
	bool table_read;
	bool table_shared; /* mounts and table_text belong to a MountNsCache, not to us */
} MountNs;

/* A bind mount of a mount-namespace nsfs file: it keeps that namespace alive. */
typedef struct NsBind {
	uint64_t in_ns_id; /* namespace the bind mount lives in */
	uint64_t target_ino; /* inode of the namespace it keeps */
	uint64_t mnt_id;
	char *path; /* mount point, as seen in in_ns_id */
} NsBind;

/*
 * A bind mount of an nsfs file as the BPF superblock walk met it (any
 * namespace type): its mount point is asked of statmount only for those
 * that keep a mount namespace.
 */
typedef struct KernelNsBind {
	uint64_t mnt_id;
	uint64_t ns_id; /* the namespace it is attached in, as its MountNs.id */
	uint64_t target_ino; /* nsfs inode of the namespace it keeps */
	uint32_t ns_ino; /* nsfs inode of the namespace it is attached in */
} KernelNsBind;

typedef struct FileEntry {
	char *path; /* relative to the filesystem root, starting with '/' */
	uint64_t bytes; /* allocated bytes (st_blocks * 512) */
	uint64_t size; /* st_size */
} FileEntry;

/* What the collector could learn about a superblock reachable only through holders. */
typedef struct SbProbe {
	uint64_t dev;
	uint64_t magic; /* statfs f_type */
	/*
	 * statfs f_fsid: random per tmpfs superblock, the filesystem's UUID for
	 * ext4 and most block filesystems, so it tells two superblocks apart when
	 * the kernel has given a freed device number to a new one.  0: unknown.
	 */
	uint64_t fsid;
	char fstype[32]; /* name from the magic, "ext4", "tmpfs", … */
	char *source; /* "/dev/loop3 (/var/lib/x.img)", or NULL */
	bool memory_backed;
	bool block_backed;
	bool network; /* never walked: it could hang */
	bool have_used;
	uint64_t used_bytes; /* (f_blocks - f_bfree) * f_bsize, or the walked sum */
	uint64_t total_bytes;
	bool files_listed;
	uint64_t nr_files; /* regular files seen in the walk */
	FileEntry *files; /* the largest ones, largest first */
	size_t n_files;
	char *files_note; /* why the files could not be listed */
} SbProbe;

/*
 * One superblock on the kernel's list, from the BPF superblock walk: where its
 * mounts are.  It is how an orphan that no process holds is found (a loop
 * device's backing file, an fd in flight in a unix socket…).
 */
#define KSB_NS_MAX 3
#define KSB_SB_KERNMOUNT (1U << 22) /* s_flags, include/linux/fs.h */
#define KSB_SB_ACTIVE (1U << 30)
#define KSB_SB_BORN (1U << 29) /* set up completely (fill_super done) */
/* 6.6+, unused bits before: generic_shutdown_super() passed, kill_sb() passed. */
#define KSB_SB_DYING (1U << 24)
#define KSB_SB_DEAD (1U << 21)

typedef struct KernelSb {
	uint64_t dev; /* as makedev() */
	uint64_t magic;
	uint64_t
		mnt_id; /* its first mount's id, 0 without mounts: dev and this tell it from a successor */
	uint32_t sb_flags; /* s_flags: SB_ACTIVE, SB_KERNMOUNT… */
	uint32_t s_active; /* 0: being shut down */
	uint32_t mounts, attached, anon, orphaned, internal; /* its mounts, by MountState */
	uint64_t ns_ids[KSB_NS_MAX]; /* namespaces of its attached mounts (the first few) */
	uint32_t ns_inos[KSB_NS_MAX];
	uint8_t n_ns;
	bool ns_more; /* attached in more namespaces than ns_ids holds */
	bool ns_old_ids; /* ns_ids are pre-6.18 sequence numbers: match by inode */
	bool mounts_cut; /* its mount list was not walked to the end */
	bool no_root; /* s_root NULL: being set up or torn down */
	uint32_t dying; /* mounts MNT_DOOMED or on umount_tree()'s list: being torn down */
	bool transient; /* mounted nowhere in one walk only: a namespace being torn down */
	bool bytes_known; /* cached_bytes sums every inode's page cache */
	uint64_t cached_bytes;
	uint32_t inodes; /* bytes_known: its inodes (of a dead superblock: the busy ones) */
	/* no_root: its names (struct rs_sb_name), when the walk's map held them */
	bool named;
	bool umount_locked; /* s_umount write-held */
	char fstype[16]; /* s_type->name */
	char s_id[32]; /* the block device's name ("loop0"), or the type's */
} KernelSb;

/*
 * A file in flight in a unix socket (BPF iter/unix): sent with SCM_RIGHTS and
 * never received, it keeps its superblock with no fd table pointing at it.
 * Sockets are kernel addresses (@sk), meaningful within one scan only.
 */
typedef enum InflightKind {
	INFLIGHT_FILE = 1, /* in @sk's queue: @dev, @ino; @file_sk when that file is a socket */
	INFLIGHT_EMBRYO, /* @sk listens, @file_sk is a connection not yet accepted */
} InflightKind;

typedef enum InflightVia {
	INFLIGHT_DIRECT, /* in the queue of a socket a process holds */
	INFLIGHT_VIA_NESTED, /* that socket is itself in flight in another one */
	INFLIGHT_VIA_EMBRYO, /* that socket is a connection a listener has not accepted */
} InflightVia;

/* Sockets between a file in flight and the one a process holds, at most. */
#define INFLIGHT_CHAIN_MAX 8

/* One of them: a socket itself in flight, or a connection not yet accepted. */
typedef struct InflightStep {
	uint64_t sock_ino; /* 0: it has no file (an embryo) */
	uint8_t via; /* InflightVia: INFLIGHT_VIA_NESTED or INFLIGHT_VIA_EMBRYO */
} InflightStep;

typedef struct Inflight {
	uint64_t sk, sock_ino, dev, ino, file_sk;
	uint8_t kind;
	/* INFLIGHT_FILE on a superblock no process holds: who can receive it (collect_inflight). */
	uint8_t via; /* InflightVia of the last step to the owner */
	uint8_t n_chain;
	InflightStep chain[INFLIGHT_CHAIN_MAX]; /* from the file's socket outwards */
	bool resolved; /* owner_sock_ino is the socket a process holds: owner_pid, owner_fd */
	uint64_t owner_sock_ino;
	pid_t owner_pid;
	int32_t owner_fd;
	int32_t owner_proc; /* index of owner_pid in Snapshot.procs, -1 when not listed */
} Inflight;

/*
 * A kernel object that holds a superblock (BPF, read only for superblocks no
 * process holds): an io_uring ring's registered (fixed) file, the superblock
 * an fsopen() context created, both behind a process's fd; or an overlay
 * that has it as a layer (its private clone of the layer's mount).
 */
typedef enum KHolderKind {
	KHOLDER_IO_URING = 1, /* fd is the ring, index the fixed-file slot */
	KHOLDER_FSCONTEXT, /* fd is the [fscontext] file */
	KHOLDER_OVERLAY, /* the overlay ovl_dev, layer index (0: upper); pid: a process of a
			    namespace that mounts it, path: its mount point there */
} KHolderKind;

typedef struct KHolder {
	uint64_t dev, ino; /* the held superblock (makedev()), the held file (io_uring) */
	uint64_t ovl_dev; /* overlay: the overlay's superblock (makedev()) */
	pid_t pid; /* 0 when unknown (an overlay mounted in no namespace residue knows) */
	int32_t fd; /* -1 for an overlay */
	uint32_t index;
	uint8_t kind; /* KHolderKind */
	int32_t proc; /* index of pid in Snapshot.procs, -1 when not listed */
	/* io_uring: the fixed file's path, from the ring's fdinfo; overlay: its mount point */
	char *path; /* NULL when unknown */
} KHolder;

/* A bound loop device: the file behind it (LOOP_GET_STATUS64) keeps that file's superblock. */
typedef struct LoopDev {
	char name[64]; /* "/dev/loop3" */
	uint64_t rdev; /* its own device, 7:N */
	uint64_t back_dev, back_ino; /* the backing file, as makedev() */
	char *backing; /* backing_file from sysfs: a path in its (maybe unmounted) filesystem */
	bool in_use; /* a filesystem on it, or a holder in sysfs: detaching it alone frees nothing */
} LoopDev;

typedef enum KsbPlace {
	KSB_LIVE, /* mounted in a namespace with a process (or one residue cannot tell) */
	KSB_PROCLESS, /* mounted only in namespaces no process is in */
	KSB_DETACHED, /* only in anonymous namespaces: open_tree/fsmount trees */
	KSB_NOWHERE, /* in no namespace at all */
} KsbPlace;

typedef struct Snapshot {
	Process *procs;
	size_t n_procs, cap_procs;
	ThreadNs *thread_nss;
	size_t n_thread_nss, cap_thread_nss;
	Holder *holders; /* the BPF tier keeps only those on unattached mounts and nsfs files */
	size_t n_holders, cap_holders;
	uint64_t n_refs; /* references looked at; at least n_holders */
	MountNs *nss;
	size_t n_nss, cap_nss;
	struct NsIndex
		*ns_index; /* snapshot_find_ns()'s cache; namespaces are only ever appended */
	NsBind *nsbinds;
	size_t n_nsbinds, cap_nsbinds;
	SbProbe *sbs;
	size_t n_sbs, cap_sbs;
	Gap *gaps;
	size_t n_gaps, cap_gaps;
	KernelSb *ksbs; /* the superblock walk (BPF tier), when sb_walk */
	size_t n_ksbs, cap_ksbs;
	bool sb_walk; /* ksbs holds the walk's records */
	bool sb_walk_ran; /* the walk ran with the process scan; sb_walk_error is its result */
	int sb_walk_error;
	KernelNsBind *knsbinds; /* nsfs bind mounts the walk met */
	size_t n_knsbinds, cap_knsbinds;
	bool knsbinds_complete; /* every one of them: the walk serves as every mount's details */
	U64Set fput_devs; /* superblocks of files some task is still closing (____fput queued) */
	LoopDev *loops; /* read only when some superblock has no process holder */
	size_t n_loops, cap_loops;
	Inflight *inflight; /* read only when some superblock has no process holder */
	size_t n_inflight, cap_inflight;
	bool inflight_known; /* the BPF tier read every unix socket's queue */
	KHolder *kholders; /* read only when some superblock has no process holder */
	size_t n_kholders, cap_kholders;
	bool sb_walk_complete; /* back at its start, every record kept */
	uint64_t sb_walk_dropped; /* records the map could not take */
	uint64_t sb_walk_rejected; /* list steps that changed under the walk */

	U64Set live_mnt_ids; /* every mount of every listed namespace (for the /proc tier) */
	/*
	 * The BPF tier reads each reference's mount state from the kernel and needs
	 * no live set: built only if the /proc tier runs (snapshot_fill_live_mnt_ids).
	 */
	bool live_mnt_ids_deferred;
	U64Set internal_mnt_ids; /* kernel-internal mounts (calibrated) */
	U64Set live_devs; /* st_dev of every mounted superblock */
	U64Set peopled_devs; /* ... mounted in a namespace that has a process */
	bool live_devs_known;
	/*
	 * A btrfs or bcachefs is mounted: a file's st_dev there is its subvolume's,
	 * in no mount table, so a device missing from live_devs proves nothing.
	 */
	bool live_devs_inexact;
	uint64_t nsfs_dev; /* st_dev of nsfs: recognises namespace fds */
	uint64_t
		anon_dev; /* st_dev of anon_inodefs: io_uring rings, fsopen contexts (/proc tier) */

	unsigned procs_ns_unknown; /* processes whose ns/mnt could not be read */
	uint64_t mount_max; /* fs.mount-max, the per-namespace limit; 0 unknown */
	/* How long each phase of the scan took: --verbose shows them. */
	struct {
		const char *name;
		double ms;
	} phases[12];
	size_t n_phases;
	/* Mount-table reads of the scan, for --verbose: what a table costs is paid per read. */
	struct {
		unsigned listmount; /* listmount(2) calls */
		unsigned statmount; /* statmount(2) calls */
		unsigned mountinfo; /* /proc/PID/mountinfo reads */
	} reads;

	uid_t uid;
	bool privileged; /* a complete scan is possible: caps_missing == 0 */
	uint64_t caps_missing; /* 1ULL << CAP_*: needed (collect/privilege.h) but not effective */
	bool ns_walk; /* NS_MNT_GET_NEXT/PREV worked */
	bool has_listmount; /* listmount(2) worked */
	bool used_bpf; /* references came from the BPF iterators */
	int bpf_error; /* why not, as a positive errno (0: not tried, or it worked) */
	uint64_t self_mntns_id;
	/* Inode of our mount namespace (0: unknown): what the BPF tier must read for our own task. */
	uint64_t self_mntns_ino;
	pid_t self_pid;
} Snapshot;

Snapshot *snapshot_new(void);
Snapshot *snapshot_free(Snapshot *s);

/* Add a gap to a list of them, or count one more of an identical one. */
int gap_list_add(Gap **gaps, size_t *n, size_t *cap, const char *what, const char *call, int err,
		 pid_t pid);
int snapshot_add_gap(Snapshot *s, const char *what, const char *call, int err);
int snapshot_add_pid_gap(Snapshot *s, const char *what, const char *call, int err, pid_t pid);
Process *snapshot_add_process(Snapshot *s);
/* The process behind kernel holder @k (listed), or NULL. */
const Process *kholder_owner(const Snapshot *s, const KHolder *k);
/* The process that can receive file in flight @f (resolved, and listed), or NULL. */
const Process *inflight_owner(const Snapshot *s, const Inflight *f);
Holder *snapshot_add_holder(Snapshot *s);
MountNs *snapshot_add_ns(Snapshot *s);
SbProbe *snapshot_find_sb(const Snapshot *s, uint64_t dev);
MountNs *snapshot_find_ns(const Snapshot *s, uint64_t id);
MountNs *snapshot_find_ns_by_ino(const Snapshot *s, uint64_t ino);
/*
 * Build the namespace index those two lookups keep, now: until namespaces
 * are added, they only read it then, and threads that share @s may call
 * them.  0, or -ENOMEM (then a lookup tries to build it again: no sharing).
 */
int snapshot_index_nss(const Snapshot *s);
/* How people name @ns: its 64-bit id, or mnt:[INODE] (as in /proc) when the kernel gives none. */
const char *mount_ns_name(const MountNs *ns, char *buf, size_t size);
#define MOUNT_NS_NAME_MAX 32

/*
 * Is this holder on a mount that no namespace lists and that is not one of
 * the kernel's internal mounts?  The one predicate that decides what the
 * collectors look at closer and what the analyzer considers.
 */
bool holder_is_unattached(const Snapshot *s, const Holder *h);

/* Put every listed namespace's mount ids into live_mnt_ids, if that was deferred. */
int snapshot_fill_live_mnt_ids(Snapshot *s);

/* Is the superblock this holder is on mounted in some namespace (so no orphan)? */
bool holder_sb_is_live(const Snapshot *s, const Holder *h);

/*
 * Could this scan see every process's references?  Not without
 * CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH, nor when some process's were
 * refused (a pid gap with EACCES or EPERM): then "no process holds it" is
 * not known.
 */
bool snapshot_processes_complete(const Snapshot *s);

const char *holder_how_to_string(HolderHow how);

/* Where the superblock of @k is mounted, with the namespaces' process counts of @s. */
KsbPlace ksb_place(const Snapshot *s, const KernelSb *k);
/*
 * Alive and mounted nowhere (the kernel's SB_ACTIVE, no SB_KERNMOUNT, a root, its
 * mount list walked to the end): something keeps it that is no namespace.
 * Kernel-internal filesystems (by magic) are the caller's to rule out.
 */
bool ksb_is_unmounted(const Snapshot *s, const KernelSb *k);
/*
 * Left half torn down: born, then shut down as far as the kernel got (no
 * root, no active reference, no mount) and never marked dying or dead --
 * where generic_shutdown_super() dies in a kernel BUG ("Busy inodes after
 * unmount" on CONFIG_BUG_ON_DATA_CORRUPTION kernels).  A teardown under way
 * looks the same for a moment: @k->transient (one walk only) rules those out.
 */
bool ksb_looks_dead(const KernelSb *k);
bool ksb_is_dead(const KernelSb *k);
KernelSb *snapshot_find_ksb(const Snapshot *s, uint64_t dev);
