/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Zombie memory cgroups: plain data that collect/memcg-fs.c (cgroupfs, any
 * kernel) and bpf/memcg.c (the kernel's own view) fill, analyze/zombies.c
 * adds up and render/zombies.c prints.  A zombie is a memory cgroup that
 * was removed (rmdir) but is still in the kernel because something is
 * charged to it, mostly page cache.  Indices link records.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/snapshot.h" /* Gap */

#define ZS_UNKNOWN UINT64_MAX

/* One memory cgroup: live (a directory) or dying (only the kernel sees it). */
typedef struct CgNode {
	uint64_t id; /* cgroup id = kernfs node id = the directory's inode number */
	uint64_t parent_id; /* 0 for the root of the scan */
	int32_t parent; /* index of the parent node, -1 when not known */
	int32_t first_child, next_sibling; /* -1 terminated; set by zombie_scan_link() */
	char *path; /* from the hierarchy's root: "/", "/system.slice/x.service" */
	bool dying;
	uint32_t depth;
	/* cgroupfs, live cgroups */
	uint64_t nr_dying_below; /* v2 cgroup.stat: dying memory cgroups in the subtree */
	uint64_t stuck_bytes; /* charged to dying descendants (method in docs/ZOMBIES.md) */
	/* The kernel view (BPF) */
	uint64_t usage_pages; /* memory.usage page counter */
	uint64_t cache_pages; /* of that, page cache found in files (Σ pins) */
	uint64_t dirty_pages;
	uint32_t first_pin, n_pins; /* pins sorted by node, then bytes */
	/* Aggregates over the subtree, for live nodes (analyze). */
	uint64_t zombies_below; /* dying memcgs whose nearest live ancestor is this one */
	uint64_t zombie_pages_below;
} CgNode;

/* Page cache of one file charged to one dying memcg. */
typedef struct CachePin {
	uint32_t node; /* the dying memcg */
	uint64_t dev; /* userspace dev_t */
	uint64_t ino;
	uint64_t pages, dirty_pages,
		file_pages; /* charged here; dirty of those; the whole file's */
	uint64_t mapped_pages; /* of pages, mapped by some process: fadvise cannot drop them */
	uint64_t mapped_shared_pages; /* of those, mapped more than once: MADV_PAGEOUT skips them */
	uint32_t mode, nlink;
	uint64_t fs_magic;
	char *rel_path; /* from its superblock's root; NULL when the inode has no name */
	uint64_t kdentry,
		kinode; /* the walk's kernel addresses, for the naming pass; never shown */
	char *path; /* the same file in our mount namespace; NULL when not reachable */
} CachePin;

/*
 * A live process that maps a pinning file: who, and the address ranges of
 * its mappings of that file (what MADV_PAGEOUT would be given).  Keyed by
 * the file, not the pin, as several zombies can share one file.
 */
typedef struct PinMapper {
	uint64_t dev, ino; /* the file */
	int pid;
	uint64_t starttime; /* /proc/PID/stat field 22: a reused pid is another process */
	char comm[16];
	char *cgroup; /* its memory cgroup (v1), else v2, else name=systemd; NULL unknown */
	uint64_t *ranges; /* start, end pairs */
	size_t n_ranges;
} PinMapper;

typedef enum ZombieWalkMethod {
	ZW_NONE, /* no page-cache walk */
	ZW_LRU, /* the LRU lists of each dying memcg */
	ZW_INODES, /* every superblock's inodes and their XArrays */
	_ZW_MAX,
} ZombieWalkMethod;

/* What the page-cache walk of the kernel view visited. */
typedef struct ZombieWalk {
	ZombieWalkMethod method;
	const char *fallback; /* why the inode walk ran rather than the LRU walk; static, or NULL */
	uint64_t memcgs; /* LRU walk: dying memcgs whose lists it walked */
	uint64_t sbs, inodes, folios;
	uint64_t rejected; /* list steps that changed under the walk */
	uint64_t map_full; /* records a full map could not take: the two below */
	uint64_t pins_dropped; /* (zombie, file) pairs: those files are missing */
	uint64_t dentries_dropped; /* path components: those files have no path */
	uint64_t names_stale; /* files whose dentry was pruned before the naming pass: no path */
	bool complete;
	double ms;
} ZombieWalk;

typedef enum ZombieCountSource {
	ZC_NONE,
	ZC_PROC_CGROUPS, /* v1: /proc/cgroups num_cgroups minus live directories */
	ZC_SUBSYS_MEMORY, /* v2: cgroup.stat nr_dying_subsys_memory (6.11+) */
	ZC_DYING_DESCENDANTS, /* v2: cgroup.stat nr_dying_descendants (any controller) */
	ZC_BPF, /* the css tree, walked in the kernel */
} ZombieCountSource;

typedef struct ZombieScan {
	int version; /* 1 or 2; 0: no memory controller mounted */
	char *mount; /* where the hierarchy is mounted here: "/sys/fs/cgroup/memory" */
	char *subtree; /* the scanned subtree, "/" by default */
	/* Counts */
	uint64_t nr_live; /* live memory cgroups in the subtree, its root included */
	uint64_t nr_zombies; /* ZS_UNKNOWN when no source could tell */
	ZombieCountSource count_source;
	uint64_t num_cgroups; /* v1 /proc/cgroups, ZS_UNKNOWN otherwise */
	uint64_t stuck_bytes; /* charged to zombies, from memory.stat; ZS_UNKNOWN when unknown */
	/* Kernel memory one memcg costs (docs/ZOMBIE-COST.md) */
	long nr_cpus; /* possible CPUs */
	int nr_nodes;
	int32_t shrinker_nr_max; /* -1 unknown (BPF reads it) */
	uint64_t kmem_per_zombie; /* estimate, bytes */
	CgNode *nodes;
	size_t n_nodes, cap_nodes;
	struct ZsIndex *index; /* nodes by id, from zombie_scan_link() */
	size_t n_index;
	CachePin *pins;
	size_t n_pins, cap_pins;
	Gap *gaps;
	size_t n_gaps, cap_gaps;
	PinMapper *mappers; /* filled by memcg_find_mappers() for files with mapped pages */
	size_t n_mappers, cap_mappers;
	/* The kernel view */
	bool used_bpf;
	char *bpf_error; /* why there is no kernel view */
	int bpf_errno; /* ... when BPF was tried and failed: the positive errno, else 0 */
	/* The css tree walk: memcgs its full map could not take; whether it reached its end. */
	uint64_t tree_seen, tree_dropped;
	bool tree_complete;
	ZombieWalk walk; /* the page-cache walk */
	/*
	 * residue serve walks the page cache again only when new zombies appear or
	 * the last walk is old: then the pins and walk figures are that walk's.
	 */
	bool files_reused;
	double files_age_s;
} ZombieScan;

ZombieScan *zombie_scan_new(void);
void zombie_scan_free(ZombieScan *z);
CgNode *zombie_scan_add_node(ZombieScan *z);
CachePin *zombie_scan_add_pin(ZombieScan *z);
int zombie_scan_add_gap(ZombieScan *z, const char *what, const char *call, int err);
/*
 * Index the nodes by id, set each one's parent from parent_id and link
 * children (in node order).  Call again after adding nodes.
 */
int zombie_scan_link(ZombieScan *z);
/* The index of the node with cgroup id @id, -1 when none (after zombie_scan_link()). */
int32_t zombie_scan_index(const ZombieScan *z, uint64_t id);
