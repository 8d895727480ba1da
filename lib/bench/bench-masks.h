/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `residue bench masks`: what masking a container's directories costs on
 * this kernel, by style.  K container-like mount namespaces are started by P
 * workers, each applying N read-only directory masks the way one runtime
 * does, kept alive together, then stopped by the same P workers.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "latency.h"

typedef enum BenchMaskStyle {
	BENCH_MASK_TMPFS_PER_MASK, /* one read-only tmpfs per directory (runc < 1.3.6) */
	BENCH_MASK_SHARED_TMPFS, /* one read-only tmpfs, bind-mounted over the rest (runc >= 1.3.6) */
	BENCH_MASK_SHARED_DIR, /* one shared empty directory, bound read-only (crun >= 1.24) */
	_BENCH_MASK_MAX,
} BenchMaskStyle;

const char *bench_mask_style_to_string(BenchMaskStyle s);
/* The style, or -EINVAL. */
int bench_mask_style_from_string(const char *s);

typedef struct BenchMasksOptions {
	unsigned containers; /* K */
	unsigned masks; /* N directory masks per container */
	unsigned workers; /* P */
	const char *tmpdir; /* NULL: $TMPDIR, else /tmp */
} BenchMasksOptions;

typedef struct BenchMasksResult {
	BenchMaskStyle style;
	/*
	 * New tmpfs superblocks behind the masks, summed over the containers;
	 * counted from stat(2)/statfs(2) of every mask and checked against the
	 * maj:min of the mask mounts in the container's own mountinfo.  The
	 * container's root tmpfs (one per container in every style) is not counted.
	 */
	uint64_t superblocks;
	uint64_t mask_mounts; /* mounts over the masked directories (mountinfo) */
	LatencyStats setup; /* fork to the last mask applied, per container */
	LatencyStats mask; /* the masks alone, per container */
	LatencyStats teardown; /* SIGKILL to reaped (namespace gone), per container */
	double total_ms; /* first start to last reap */
} BenchMasksResult;

/*
 * Run one style.  Needs CAP_SYS_ADMIN; mounts only inside the namespaces it
 * creates and removes its directory on every path.  -EINTR when a guarded
 * signal stopped it (see guard.h), other -errno with @e filled on failure.
 */
int bench_masks_run(const BenchMasksOptions *o, BenchMaskStyle style, BenchMasksResult *ret,
		    BenchError *e);

/*
 * The relative path of directory mask @i: the five directories of the OCI
 * default maskedPaths, then one sys/devices/system/cpu/cpuN/thermal_throttle
 * per CPU, as Kubernetes masks them.  Writes into @buf (at least 64 bytes).
 */
const char *bench_mask_path(unsigned i, char *buf, size_t size);
