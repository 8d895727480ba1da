/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Orphaned filesystems and process-less mount namespaces, derived from a
 * snapshot by pure functions: which superblocks are reachable only through
 * holders, in what state, at what risk, and what a user can do about it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model/kernel-log.h"
#include "model/snapshot.h"

typedef enum OrphanState {
	ORPHAN_ORPHANED, /* its mounts are in no namespace: namespace death or umount -l */
	ORPHAN_DETACHED, /* an open_tree/fsmount tree that was never attached */
	_ORPHAN_STATE_MAX,
} OrphanState;

typedef enum Risk {
	RISK_NONE,
	RISK_MEMORY, /* memory-backed: the bytes stay in RAM */
	RISK_DATA_LOSS, /* block-backed and written to: the device can be pulled mid-write */
	_RISK_MAX,
} Risk;

/* How an Inflight holder reaches its owner: "inflight", "inflight-nested", "inflight-embryo". */
const char *inflight_how(const Inflight *f);
/* A KHolder's how: "io_uring" or "fscontext". */
const char *kholder_how(const KHolder *k);

typedef struct Orphan {
	uint64_t dev;
	const SbProbe *sb; /* may be NULL when the probe learned nothing */
	OrphanState state;
	Risk risk;
	bool pinned_known; /* false: the probe could not measure it */
	uint64_t pinned_bytes;
	size_t *holders; /* indices into Snapshot.holders */
	size_t n_holders;
	/*
	 * No process holds it and the superblock walk found it mounted nowhere:
	 * a kernel object keeps it (a loop device, a file in flight…).  Shown as
	 * one holder, how "kernel", "unnamed (kernel)" in the table.
	 */
	bool kernel_held;
	/*
	 * kernel_held, but some processes could not be read (no CAP_SYS_PTRACE…):
	 * one of them may hold it.  how "unknown", never "kernel".
	 */
	bool holder_unknown;
	size_t *loops; /* kernel_held: indices into Snapshot.loops of the loop devices that keep it */
	size_t n_loops;
	size_t *inflight; /* kernel_held: indices into Snapshot.inflight of its files in flight */
	size_t n_inflight;
	size_t *kholders; /* kernel_held: indices into Snapshot.kholders (io_uring, fsopen contexts) */
	size_t n_kholders;
	char *hint;
} Orphan;

/* Every holder of @o, as its JSON lists them: processes', then the kernel's (named or not). */
size_t orphan_holder_count(const Orphan *o);
/*
 * The holder a one-line finding or a metric names: a process's reference;
 * else the process behind a file in flight, an io_uring ring or an fsopen
 * context (or an overlay's namespace); else a loop device, or the kernel
 * unnamed.  Returns its how ("fd", "io_uring", "loop", "kernel"...) and sets
 * *ret_proc to its process (NULL: none).
 */
const char *orphan_lead(const Snapshot *s, const Orphan *o, const Process **ret_proc);

typedef enum NsHolderKind {
	NS_HOLDER_FD,
	NS_HOLDER_BIND
} NsHolderKind;

typedef struct NsHolder {
	NsHolderKind kind;
	size_t index; /* into Snapshot.holders or Snapshot.nsbinds */
} NsHolder;

typedef struct LonelyNs {
	const MountNs *ns;
	NsHolder *holders;
	size_t n_holders;
	char *hint;
	/*
	 * One per ns->kept: another process-less namespace mounts that
	 * superblock too, so it is freed only when both are gone.
	 */
	bool *kept_shared;
} LonelyNs;

/* A superblock whose teardown died in the kernel (analyze/dead-sbs.c). */
typedef struct DeadSb {
	const KernelSb *ksb;
	size_t loop; /* index into Snapshot.loops of the loop device under it, SIZE_MAX: none known */
	char *hint;
} DeadSb;

typedef struct OrphanReport {
	Orphan *orphans;
	size_t n_orphans;
	LonelyNs *nss;
	size_t n_nss;
	/*
	 * Measured tmpfs bytes the process-less namespaces keep, each superblock
	 * once even when several of them mount it.
	 */
	uint64_t nss_bytes;
	DeadSb *dead; /* dead superblocks: sync(2) hangs on this host */
	size_t n_dead;
} OrphanReport;

int analyze_orphans(const Snapshot *s, OrphanReport **ret);
OrphanReport *orphan_report_free(OrphanReport *r);

/* The dead superblocks of @s into @rep->dead (analyze_orphans calls it).  -ENOMEM only. */
int analyze_dead_superblocks(const Snapshot *s, OrphanReport *rep);
/* The kernel log's "Busy inodes after unmount" report of @d's device, the latest; NULL: none. */
const KernelLogFinding *dead_sb_log_finding(const KernelLog *l, const DeadSb *d);

const char *orphan_state_to_string(OrphanState s);
const char *risk_to_string(Risk r);
/* "r", "w", "rw", "path", mmap perms, or NULL when the holder has no mode */
const char *holder_mode_string(const Holder *h, char buf[8]);
