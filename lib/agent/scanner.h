/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One scan of the whole host into a HostReport: the collectors, the
 * analyzers and the zombie scan, in one place, so that `residue`,
 * `--json`, `--prometheus`, `serve` and `watch` cannot scan differently.
 * A Scanner may keep the BPF programs loaded between scans (serve, watch):
 * a rescan then costs only the walks, not the verifier.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "analyze/report.h"

typedef enum ZombieFiles {
	ZOMBIE_FILES_NEVER, /* count and name zombies, no page-cache walk */
	ZOMBIE_FILES_ALWAYS, /* walk the page cache every scan */
	ZOMBIE_FILES_WHEN_NEW, /* walk when zombies the last walk did not see appear, or it is old */
} ZombieFiles;

typedef struct ScannerOptions {
	bool no_bpf; /* /proc and cgroupfs only */
	/*
	 * serve and watch: load the BPF programs once and keep them, cache the mount
	 * tables of unchanged namespaces, walk the page cache only when zombies appear.
	 */
	bool long_running;
	bool zombies; /* scan zombie memory cgroups */
	bool zombies_no_bpf; /* ... from cgroupfs only (a quick count for the one-screen summary) */
	ZombieFiles zombie_files;
	double files_max_age_s; /* ZOMBIE_FILES_WHEN_NEW: walk at least this often */
	unsigned max_files; /* largest files listed per orphan */
	uint64_t zombie_threshold; /* 0: REPORT_ZOMBIE_THRESHOLD */
	/*
	 * Read the kernel log (/dev/kmsg) into each report: the whole ring once, or
	 * with long_running the records that arrive after scanner_new(), kept across
	 * scans.  @kmsg_path: another file (tests), NULL for /dev/kmsg.
	 */
	bool kernel_log;
	const char *kmsg_path;
	/*
	 * The dentry and inode audit (residue inodes).  One-shot: @inodes runs a
	 * whole audit (two samples) in the scan; without it the report says none
	 * ran.  long_running: the caller runs scanner_audit_inodes() when
	 * scanner_inodes_due() says, off the scan's path, at most every
	 * @inodes_interval_s (0: never), and each report carries the last audit.
	 */
	bool inodes;
	double inodes_interval_s;
	/*
	 * Called with the zombies (NULL when their scan failed) as soon as they
	 * are scanned and analysed, on the thread that scanned them: a one-shot
	 * scan runs them beside the host's, and `residue --json` renders them
	 * there while the host scan goes on.  They are the report's zombies,
	 * unchanged after the call.
	 */
	void (*zombies_done)(const ZombieScan *z, void *userdata);
	/* The same for the census, on the thread that analysed it (one-shot: beside the orphans'). */
	void (*census_done)(const CensusReport *c, void *userdata);
	void *userdata;
} ScannerOptions;

typedef struct Scanner Scanner;

int scanner_new(const ScannerOptions *o, Scanner **ret);
Scanner *scanner_free(Scanner *sc);

/* Scan and analyse the host.  A failure of one part is a gap or an error field, not a failure. */
int scanner_scan(Scanner *sc, HostReport **ret);

/* The kernel log's fd to poll for new records, or -1 (not read, or unreadable). */
int scanner_kmsg_fd(const Scanner *sc);
/* Read the kernel log's new records: how many findings appeared or changed, or -ENOMEM. */
int scanner_kmsg_drain(Scanner *sc);

/* When the next inode audit is due (CLOCK_MONOTONIC seconds), or 0: never. */
double scanner_inodes_due(const Scanner *sc);
/*
 * Audit dentries and inodes now and keep the result for the reports that
 * follow: its first audit takes two samples, each later one a single walk
 * compared with the last.  0, or -ENOMEM; an audit that could not run is
 * kept too (it says why).
 */
int scanner_audit_inodes(Scanner *sc);
/* The last audit kept, or NULL. */
const InodeAudit *scanner_last_inodes(const Scanner *sc);
/*
 * long_running, with audits due (not --no-bpf, --inodes-interval above 0):
 * load the audit's BPF programs if not yet tried, 0 or why they did not load
 * (-errno, e.g. -EPERM when the kernel refused BPF); 0 when no audit will
 * run, or -ENOMEM.
 */
int scanner_inodes_load(Scanner *sc);

/* The reference tier's BPF programs: loaded (or not tried) → 0, else why not (-errno). */
int scanner_bpf_error(const Scanner *sc);
