/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole report of one scan of the host: orphaned filesystems,
 * process-less mount namespaces, the mount census and zombie memory
 * cgroups, and what the scan cost.  `residue`, `residue --json`,
 * `--check`, `--prometheus`, `residue serve` and `residue watch` all show
 * this one thing, each in its own form.  Plain data and pure functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/census.h"
#include "analyze/orphans.h"
#include "model/inodes.h"
#include "model/kernel-log.h"
#include "model/memcg.h"
#include "model/snapshot.h"

#define REPORT_PHASES_MAX 16
/* Zombie memory cgroups at or above this count are a finding (--zombie-threshold). */
#define REPORT_ZOMBIE_THRESHOLD 1000
/*
 * Files listed per zombie in the whole report.  A zombie can be pinned by
 * tens of thousands of files (a build's cgroup, removed with its objects
 * still cached: 11 374 on this host, 6 MB of /report); the report keeps each
 * zombie's largest and counts the rest, `residue zombies --files` lists all.
 * Only those are named in our namespace (ZombieOptions.named_files).
 */
#define REPORT_ZOMBIE_FILES 20

typedef struct ReportPhase {
	const char *name; /* static string */
	double ms;
} ReportPhase;

typedef struct HostReport {
	Snapshot *snap;
	OrphanReport *orphans;
	CensusReport *census;
	ZombieScan *zombies; /* analysed; NULL when the zombie scan could not start */
	int zombies_error; /* its -errno; -ENOENT: no memory controller mounted here */
	KernelLog *kernel_log; /* the kernel's own reports (/dev/kmsg); NULL when not read */
	/*
	 * The dentry and inode audit of residue inodes, or NULL when this report
	 * has none: the default one-shot scan runs none (two walks of every
	 * cached inode cost about a second), residue --inodes runs one, and
	 * residue serve and watch carry their last periodic audit (docs/INODES.md,
	 * "In the rest of residue").  @inodes_note (static) says why there is none.
	 */
	InodeAudit *inodes;
	const char *inodes_note;
	double inodes_age_s; /* since the audit's last sample */
	bool inodes_wanted; /* residue --inodes: without a whole audit the scan is incomplete */
	uint64_t zombie_threshold;
	double wall_ms, cpu_ms; /* the whole scan */
	double finished; /* when it ended, seconds since the epoch */
	ReportPhase phases[REPORT_PHASES_MAX];
	size_t n_phases;
} HostReport;

HostReport *host_report_free(HostReport *r);

/* Add a phase (the snapshot's own, the zombie scan, the analysis) to the report. */
void host_report_add_phase(HostReport *r, const char *name, double ms);

typedef struct ReportTotals {
	size_t orphans, orphans_memory, orphans_data_loss;
	uint64_t orphan_bytes; /* pinned, where known */
	size_t lonely_nss;
	uint64_t lonely_bytes; /* tmpfs bytes only process-less namespaces keep */
	uint64_t zombies; /* ZS_UNKNOWN when no source could count them */
	uint64_t zombie_bytes; /* charged to them, ZS_UNKNOWN when unknown */
	bool zombies_over; /* at or above the threshold: a finding */
	size_t census_findings;
	size_t kernel_log; /* kernel-log findings: leaked references, failed teardowns */
	size_t inodes; /* findings of the inode audit the report carries */
	size_t dead_sbs; /* dead superblocks: sync(2) hangs */
	size_t findings; /* everything a user should act on */
} ReportTotals;

void report_totals(const HostReport *r, ReportTotals *ret);

/*
 * Could the scan see everything: privilege for all of it, no gap (but a
 * refused BPF tier, whose /proc fallback sees the same), and some process at
 * all (a /proc that shows nothing is blindness, not a clean host)?
 * Nothing found in an incomplete scan is "unknown", not "ok".
 */
bool report_is_complete(const HostReport *r);

/* The gap that says the kernel refused BPF (call "bpf"; collect/privilege.h). */
bool gap_is_bpf_refusal(const Gap *g);

/* Gaps grouped for metrics (a bounded label): "privilege", "process", "mount", ... */
const char *gap_kind(const Gap *g);
