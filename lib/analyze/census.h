/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mount census, derived from a snapshot by pure functions: one row per
 * mount namespace (its container, its mounts, its tmpfs superblocks, its
 * masked paths and how its runtime masks them), the host's totals against
 * fs.mount-max, duplicated and stacked mounts, and the findings a user
 * should act on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/container-id.h"
#include "model/snapshot.h"

typedef enum MaskStyle {
	MASK_NONE, /* no directory masks */
	MASK_TMPFS_PER_MASK, /* a read-only tmpfs superblock per masked directory (runc < 1.3.6) */
	MASK_SHARED_TMPFS, /* one tmpfs bind-mounted over every masked directory (runc >= 1.3.6) */
	MASK_SHARED_DIR, /* one empty directory bind-mounted over them (crun >= 1.24) */
	_MASK_STYLE_MAX,
} MaskStyle;

typedef struct NsCensus {
	const MountNs *ns;
	const Process *rep; /* a process in it, or NULL */
	ContainerId container;
	bool has_container; /* its cgroup path names a container or unit */
	uint32_t mounts;
	uint32_t tmpfs_superblocks; /* distinct tmpfs devices mounted in it */
	uint32_t dir_masks, file_masks;
	uint32_t mask_superblocks; /* distinct tmpfs superblocks among its directory masks */
	MaskStyle style;
	uint64_t table_bytes;
} NsCensus;

typedef struct DupMount {
	const MountNs *ns;
	const MountEntry *m; /* one of the copies: source, root, point, fstype */
	uint32_t count;
	bool stacked; /* on one mount point, each on top of the last; else at several points */
} DupMount;

typedef enum CensusFindingKind {
	CENSUS_OUTLIER, /* a namespace with far more mounts than its peers */
	CENSUS_NEAR_MAX, /* a namespace near fs.mount-max */
	CENSUS_DUPLICATE, /* the same source stacked, or mounted many times */
	CENSUS_MASK_TMPFS, /* a runtime making one tmpfs superblock per mask */
	_CENSUS_FINDING_MAX,
} CensusFindingKind;

typedef struct CensusFinding {
	CensusFindingKind kind;
	const MountNs *ns; /* NULL for host-wide findings */
	const DupMount *dup; /* CENSUS_DUPLICATE: which one (in CensusReport.dups) */
	char *text; /* one line a user can act on */
} CensusFinding;

typedef struct CensusReport {
	NsCensus *rows; /* sorted by mounts, most first */
	size_t n_rows;
	DupMount *dups;
	size_t n_dups;
	CensusFinding *findings;
	size_t n_findings;

	uint64_t mounts; /* all namespaces */
	uint64_t mount_max; /* fs.mount-max (per namespace), 0 unknown */
	uint32_t max_ns_mounts; /* the largest namespace */
	uint32_t median_ns_mounts;
	uint64_t tmpfs_superblocks; /* distinct on the host */
	uint64_t mask_superblocks; /* tmpfs superblocks made only to mask a path */
	uint64_t mask_superblocks_saved; /* ... that sharing one per namespace would save */
} CensusReport;

/* Thresholds, exposed so tests and docs say the same thing. */
#define CENSUS_OUTLIER_FACTOR 4 /* mounts > 4 x the median namespace's ... */
#define CENSUS_OUTLIER_MIN 200 /* ... and > 200 */
#define CENSUS_NEAR_MAX_PERCENT 80 /* a namespace at >= 80 % of fs.mount-max */
#define CENSUS_DUP_REPEATED_MIN 64 /* one source at >= 64 points of one namespace */

int analyze_census(const Snapshot *s, uint64_t mount_max, CensusReport **ret);
CensusReport *census_report_free(CensusReport *r);

const char *mask_style_to_string(MaskStyle m);
const char *census_finding_kind_to_string(CensusFindingKind k);

/* Is this mount a mask: something other than proc/sysfs over a path of a proc/sysfs mount? */
bool mount_is_mask(const MountNs *ns, const MountEntry *m, bool *ret_file);
