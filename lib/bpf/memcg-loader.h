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
 * directory, O_PATH is enough) and, with MEMCG_WALK_CACHE in @walks (below),
 * the page cache charged to the dying ones.  Adds the dying memcgs as nodes
 * (merged by id with the live ones already in @z, which must be linked),
 * their usage, and CachePins with paths relative to each file's superblock.
 * On error @z is unchanged.  Needs CAP_BPF + CAP_PERFMON (or root) and BTF.
 */
int bpf_collect_memcgs(ZombieScan *z, int cgroup_fd, unsigned walks);

/*
 * The same with the programs loaded once and kept (residue serve): open
 * loads, collect runs the walks and empties the maps again, free unloads.
 * -EOPNOTSUPP in builds without BPF.
 */
typedef struct MemcgBpf MemcgBpf;
int memcg_bpf_open(MemcgBpf **ret);
enum {
	MEMCG_WALK_TREE = 1, /* the css tree below @cgroup_fd: adds the dying memcgs as nodes */
	/*
	 * The page cache charged to the dying nodes in @z: adds their pins.  From the dying
	 * memcgs' own LRU lists where that works (needs @cgroup_fd: they are reached through
	 * the css tree), else, and with MEMCG_WALK_INODES always, from every inode's XArray;
	 * z->walk says which and why.
	 */
	MEMCG_WALK_CACHE = 2,
	MEMCG_WALK_INODES = 4,
};
int memcg_bpf_collect(MemcgBpf *b, ZombieScan *z, int cgroup_fd, unsigned walks);
MemcgBpf *memcg_bpf_free(MemcgBpf *b);
