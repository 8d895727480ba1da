/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rendering benchmark results: a libsmartcols table with the host and the
 * parameters above it, and JSON with stable keys (docs/BENCH-MASKS.md).
 * Pure: the same results render to the same bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "bench-masks.h"
#include "bench-mountinfo.h"
#include "bench.h"
#include "render/render.h"

/*
 * {"kernel", "cpus", "containers", "masks", "workers", "styles": [{"style",
 * "superblocks", "mask_mounts", "setup_ms": {"p50", "p95", "max"}, "mask_ms",
 * "teardown_ms", "total_ms"}]}
 */
json_object *bench_masks_json(const BenchHost *h, const BenchMasksOptions *o,
			      const BenchMasksResult *r, size_t n);
int bench_masks_table(const BenchHost *h, const BenchMasksOptions *o, const BenchMasksResult *r,
		      size_t n, const TableOptions *t, FILE *f);

/*
 * {"kernel", "cpus", "mounts", "mounts_added", "readers", "workers", "seconds",
 * "setup_ms", "teardown_ms", "methods": [{"method", "available", "error",
 * "reads", "read_ms": {"p50", "p95", "max"} or null, "entries": {"min", "max"},
 * "churn_pairs", "churn_per_s", "elapsed_ms"}]}
 */
json_object *bench_mountinfo_json(const BenchHost *h, const BenchMountinfoOptions *o,
				  const BenchMountinfoReport *r);
int bench_mountinfo_table(const BenchHost *h, const BenchMountinfoOptions *o,
			  const BenchMountinfoReport *r, const TableOptions *t, FILE *f);
