/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collectors: impure, tolerant readers of the live kernel that fill a
 * Snapshot.  A vanished process or namespace is skipped silently; any other
 * failure to read becomes a Gap; only ENOMEM aborts a scan.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "model/snapshot.h"

struct RefsBpf;
struct KholdersBpf;
struct MemcgBpf;

/*
 * What a long-running caller keeps between scans of the mount tables: each
 * namespace's table, reused while listmount(2) lists the same mount ids (ids
 * are never reused) and the copy is younger than max_age_s, and each one's
 * representative process (mount-table.c).  A table whose mounts changed is
 * read again.  A snapshot lends its tables from the cache (MountNs.table_shared):
 * free it before the next scan with the same cache, or before the cache.
 */
typedef struct MountNsCache MountNsCache;
MountNsCache *mount_ns_cache_new(double max_age_s);
MountNsCache *mount_ns_cache_free(MountNsCache *c);
/* The representative @c remembers for @ns, if it is still a process in it; else 0. */
pid_t mount_ns_cache_representative(const MountNsCache *c, const Snapshot *s, const MountNs *ns);
/* The cgroup path @c remembers for @pid as @ns_id's representative, or NULL. */
const char *mount_ns_cache_cgroup(const MountNsCache *c, uint64_t ns_id, pid_t pid);
/* Remember @cgroup as that of @pid, @ns_id's representative. */
int mount_ns_cache_set_cgroup(MountNsCache *c, uint64_t ns_id, pid_t pid, const char *cgroup);

typedef struct ScanOptions {
	bool want_orphans; /* holders, probes, re-check */
	bool want_census; /* every namespace's mount table, for residue mounts */
	bool force_fallback; /* ignore listmount/nsfs ioctls (tests of the old-kernel path) */
	bool no_bpf; /* scan references through /proc even where BPF works */
	unsigned max_files; /* largest files kept per orphan */
	struct RefsBpf *refs_bpf; /* programs kept loaded by the caller (residue serve), or NULL */
	int refs_bpf_error; /* why the caller's programs did not load (-errno; no_bpf is set) */
	MountNsCache *ns_cache; /* mount tables kept by the caller (residue serve), or NULL */
	/*
	 * Where the caller keeps the kernel-holder programs between scans
	 * (residue serve): loaded when a scan first needs them, then kept.  NULL:
	 * each scan that needs them loads and frees its own.
	 */
	struct KholdersBpf **kholders_bpf;
} ScanOptions;

/* What statx tells about one reference: the ids that tie it to a mount. */
typedef struct RefStat {
	uint64_t mnt_id;
	uint64_t dev;
	uint64_t ino;
	uint32_t mode;
	bool mount_root;
} RefStat;

/*
 * statx(@dirfd, @name) following the magic link, never syncing with a
 * network server (AT_STATX_DONT_SYNC), returning the unique mount id when the
 * kernel has it (6.8) and the old one otherwise.
 */
int ref_stat(int dirfd, const char *name, int flags, RefStat *ret);

/* Whether ref_stat() returns 64-bit unique mount ids on this kernel. */
bool ref_stat_has_unique_ids(void);
/* Use the old 32-bit ids: mount tables come from mountinfo, which shows only those. */
void ref_stat_use_old_ids(bool old);

int collect_calibrate(Snapshot *s);
int collect_mount_namespaces(Snapshot *s, const ScanOptions *o);
int collect_processes(Snapshot *s, const ScanOptions *o);
/*
 * comm and cgroup of the processes that hold something unattached or an nsfs
 * fd, and with @representatives of each namespace's representative process.
 */
int collect_process_names(Snapshot *s, bool representatives, MountNsCache *cache);
/* Make each namespace's representative a process with a command line, not a kernel thread. */
int collect_representatives(Snapshot *s, const ScanOptions *o);
/* Every namespace's whole mount table (MountNs.mounts), for the census. */
int collect_mount_tables(Snapshot *s, const ScanOptions *o);
/* Superblocks of every mounted filesystem, and nsfs bind mounts. */
int collect_mount_details(Snapshot *s, const ScanOptions *o);
/* listmount(2) of a namespace the walk found but did not list. */
int mount_ns_list(Snapshot *s, MountNs *ns);
/* The namespace of a process: known from the walk, or added (and listed) now. */
int mount_ns_of_process(Snapshot *s, int piddirfd, pid_t pid, uint64_t ino, MountNs **ret);
int collect_ns_tmpfs_bytes(Snapshot *s, const ScanOptions *o);
int collect_recheck_unattached(Snapshot *s, const ScanOptions *o);
int collect_probe_unattached(Snapshot *s, const ScanOptions *o);
/*
 * After a first superblock walk (refs_bpf_walk_sbs) found a superblock mounted
 * nowhere: walk again 250 ms later into @s->ksbs; one that is mounted nowhere in
 * one walk only is marked transient.  1 when it walked again, 0 when there was
 * nothing to confirm, or -errno (the first walk's candidates are then transient).
 */
int collect_sb_walk_confirm(Snapshot *s, struct RefsBpf *b);
/*
 * Describe the superblocks the BPF walk found mounted nowhere and no holder led
 * to: how many there are, or -ENOMEM.
 */
int collect_unheld_superblocks(Snapshot *s);
/* Every bound loop device and its backing file's device and inode, into @s->loops. */
int collect_loop_devices(Snapshot *s);
int collect_loop_orphans(Snapshot *s, const ScanOptions *o);
/*
 * Read every unix socket's files in flight (BPF iter/unix: a gap if it
 * cannot) and trace each on a superblock mounted nowhere to the process that
 * can receive it.
 */
int collect_inflight(Snapshot *s, struct KholdersBpf *b);
/*
 * Who, other than a loop device, holds the superblocks the walk found mounted
 * nowhere and no process holds: loads the kernel-holder programs (a second
 * skeleton, only now) and reads files in flight (collect_inflight), io_uring
 * fixed files and fsopen contexts into @s->kholders, each with its process.
 * A gap for what could not be read; -ENOMEM only.
 */
int collect_kernel_holders(Snapshot *s, const ScanOptions *o);
/* Is @dev mounted in the mount namespace of any task now (each one's mountinfo)? 1, 0 or -ENOMEM. */
int dev_mounted_now(Snapshot *s, uint64_t dev);

/*
 * An fd on the root directory of the (orphaned) filesystem @h is on, found
 * through the holder's own reference.  -EMEDIUMTYPE when @h is neither a
 * directory nor a regular file.
 */
int probe_open_root(const Snapshot *s, const Holder *h);

/* The whole pipeline for one scan. */
int scan_host(const ScanOptions *o, Snapshot **ret);

/* Name for a statfs magic, "" when unknown; and its class. */
const char *fs_magic_name(uint64_t magic);
bool fs_magic_is_internal(uint64_t magic);
bool fs_magic_is_memory(uint64_t magic);
bool fs_magic_is_network(uint64_t magic);

/*
 * Is a mount table's fstype ("fuse.sshfs", "nfs4", "virtiofs"…) one whose
 * lookups may wait for a daemon or a server?  Unknown types are not.
 */
bool fs_type_is_network(const char *fstype);
