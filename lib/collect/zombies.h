/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Collecting zombie memory cgroups (model/memcg.h): cgroupfs on any kernel
 * and privilege that can read it (memcg-fs.c), the kernel's view through
 * BPF where it loads (bpf/memcg.c), the pipeline of both (zombies.c).
 */
#pragma once

#include <stdbool.h>

#include "base/procfmt.h"
#include "model/memcg.h"

struct MemcgBpf;

typedef struct ZombieOptions {
	const char *subtree; /* scan below this cgroup only; NULL or "/" for all */
	bool no_bpf; /* cgroupfs figures only */
	bool no_files; /* the kernel view without the page-cache walk */
	bool inode_walk; /* find the zombies' page cache by every inode, not by their LRU lists */
	/*
	 * Name in our namespace only the largest this many files of each zombie
	 * (zombie_pins_listed()), those a bounded report lists; 0: all.
	 */
	unsigned named_files;
	struct MemcgBpf
		*memcg_bpf; /* programs kept loaded by the caller (residue serve), or NULL */
	int memcg_bpf_error; /* why the caller's programs did not load (-errno; no_bpf unset) */
} ZombieOptions;

/*
 * Find the hierarchy with the memory controller in our mount namespace
 * (v1 "memory", else v2 with memory in cgroup.controllers): sets
 * z->version and z->mount and returns an O_PATH fd on the scanned subtree
 * (z->subtree), or -ENOENT when no memory controller is mounted.
 */
int memcg_open_hierarchy(ZombieScan *z, const char *subtree);

/* Every live cgroup below @fd: id, path, v2 cgroup.stat.  Adds CgNodes. */
int memcg_fs_walk(ZombieScan *z, int fd);

/*
 * The bytes charged to dying children of each live node with any (v1:
 * total_cache - cache - Σ live children's total_cache; v2: file - Σ live
 * children's file), read from memory.stat of those nodes and their
 * children only, and the zombie count from the best source there is.
 */
int memcg_fs_account(ZombieScan *z, int fd);

/* Call @fn for each line of /proc/self/mountinfo; stops at its first negative return. */
int mountinfo_each(int (*fn)(const MountinfoEntry *e, void *ctx), void *ctx);

/*
 * Name the pinning files: with @b (the programs the walk ran) their paths
 * in their own filesystems (rel_path), then, checked by dev and inode, where
 * each is in our mount namespace (path).  With @per_zombie only the pins
 * zombie_pins_listed() lists; the others keep both NULL.
 */
int memcg_name_files(struct MemcgBpf *b, ZombieScan *z, unsigned per_zombie);

/*
 * The live processes that map a file with mapped pages charged to a zombie
 * (pin->mapped_pages), from /proc/PID/maps: adds z->mappers.  What cannot be
 * read (but vanished processes) becomes a gap.
 */
int memcg_find_mappers(ZombieScan *z);

/*
 * Field 22 of stat in the /proc/PID directory @dfd, the
 * start time that tells a process from one that reused its pid; 0 unknown.
 */
uint64_t proc_starttime_at(int dfd);

/* The whole scan. */
int scan_zombies(const ZombieOptions *o, ZombieScan **ret);

/*
 * The page-cache walk alone, on a scan made with no_files: adds the pins of
 * its dying nodes and their paths.  Needs o->memcg_bpf.
 */
int scan_zombie_files(const ZombieOptions *o, ZombieScan *z);
