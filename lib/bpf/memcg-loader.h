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
 * The programs, loaded: open loads them for runs that empty the maps again
 * (residue serve keeps them), open_once for a single run that leaves the
 * maps to the kernel to free with them; free unloads.  Needs CAP_BPF +
 * CAP_PERFMON (or root) and BTF; -EOPNOTSUPP in builds without BPF.
 */
typedef struct MemcgBpf MemcgBpf;
int memcg_bpf_open(MemcgBpf **ret);
int memcg_bpf_open_once(MemcgBpf **ret);
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
/*
 * Walk the memory css tree below the cgroup at @cgroup_fd (an fd on its
 * directory, O_PATH is enough) and, with MEMCG_WALK_CACHE in @walks, the
 * page cache charged to the dying ones.  Adds the dying memcgs as nodes
 * (merged by id with the live ones already in @z, which must be linked),
 * their usage, and CachePins without paths.  On error @z is unchanged.
 */
int memcg_bpf_collect(MemcgBpf *b, ZombieScan *z, int cgroup_fd, unsigned walks);

/*
 * The naming pass, after a collect with MEMCG_WALK_CACHE: the rel_path of
 * each pin that @want (one per pin of @z) picks, from its superblock's root.
 * A file the kernel has forgotten the name of by then keeps none (a gap).
 */
int memcg_bpf_name_pins(MemcgBpf *b, ZombieScan *z, const bool *want);
MemcgBpf *memcg_bpf_free(MemcgBpf *b);
