/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's view of zombie memory cgroups (memcg.bpf.c + memcg.c): every
 * dying memcg with its usage, and the files whose page cache pins it.
 * Present only in builds with libbpf and clang; otherwise -EOPNOTSUPP.
 */
#pragma once

#include <stdbool.h>

#include "model/memcg.h"

/*
 * Walk the memory css tree below the cgroup at @cgroup_fd (an fd on its
 * directory, O_PATH is enough) and, with @want_cache, every page-cache folio
 * on the host.  Adds the dying memcgs as nodes (merged by id with the live
 * ones already in @z, which must be linked), their usage, and CachePins with
 * paths relative to each file's superblock.  On error @z is unchanged.
 * Needs CAP_BPF + CAP_PERFMON (or root) and BTF.
 */
int bpf_collect_memcgs(ZombieScan *z, int cgroup_fd, bool want_cache);
