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

/*
 * The same with the programs loaded once and kept (residue serve): open
 * loads, collect runs the walks and empties the maps again, free unloads.
 * -EOPNOTSUPP in builds without BPF.
 */
typedef struct MemcgBpf MemcgBpf;
int memcg_bpf_open(MemcgBpf **ret);
enum {
	MEMCG_WALK_TREE = 1, /* the css tree below @cgroup_fd: adds the dying memcgs as nodes */
	MEMCG_WALK_CACHE = 2, /* every page-cache folio: adds pins of the dying nodes in @z */
};
int memcg_bpf_collect(MemcgBpf *b, ZombieScan *z, int cgroup_fd, unsigned walks);
MemcgBpf *memcg_bpf_free(MemcgBpf *b);
