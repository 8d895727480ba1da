/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What memcg.bpf.c leaves in its maps for memcg.c: every memory cgroup of
 * one hierarchy (live and dying) from a walk of the css tree, and for each
 * dying one the files whose page cache is still charged to it, from a walk
 * of that memcg's own LRU lists (the default) or of every superblock's
 * inodes and their page-cache XArrays (the fallback, and the check).
 */
#pragma once

#ifndef __bpf__
#include <linux/types.h>
#endif

#define ZM_NAME_MAX 256 /* NAME_MAX + 1: kernfs and dentry names */

/*
 * The maps' sizes (memcg.bpf.c says why these).  memcgs holds every memory
 * cgroup that can exist at once (MEM_CGROUP_ID_MAX, 65 535); pins can fill
 * (tens of files per zombie on a host with 10 000); dentries holds the paths
 * of the files a report names (20 a zombie; all with `zombies --files`):
 * what does not fit is counted per map and becomes a gap the user sees.
 */
#define ZM_MEMCGS_MAX (1 << 16)
#define ZM_PINS_MAX (1 << 18)
#define ZM_DENTRIES_MAX (1 << 16)
/* Files named per run of the naming pass (struct zm_name_want, in .bss: 32 KiB). */
#define ZM_NAME_WANTS 2048

/* Map memcgs: key = cgroup id (kernfs node id, the directory's inode number). */
struct zm_memcg {
	__u64 parent_id; /* 0 for the walk's root */
	__u64 usage_pages; /* memory.usage page counter */
	__u32 css_flags; /* CSS_ONLINE (2) clear, or CSS_DYING (16) set: dying */
	__u32 depth;
	char name[ZM_NAME_MAX];
};

/* Map pins: one (dying memcg, inode) pair and the page cache it has charged. */
struct zm_pin_key {
	__u64 memcg_id;
	__u64 inode; /* kernel address: a key only, never shown */
};

struct zm_pin {
	__u64 dev; /* kernel dev_t of the superblock: major << 20 | minor */
	__u64 ino;
	__u64 pages; /* charged to this memcg */
	__u64 dirty; /* of those, dirty or under writeback */
	__u64 mapped; /* of those, in folios some process maps: fadvise cannot drop them */
	__u64 mapped_shared; /* of those, mapped more than once: MADV_PAGEOUT skips them too */
	__u64 nrpages; /* the whole file's page cache */
	__u64 dentry; /* an alias, key into map dentries; 0 when the inode has none */
	__u32 mode; /* i_mode */
	__u32 nlink;
	__u64 sb_magic;
};

/* Map dentries: key = dentry address.  A path is a chain of these up to the superblock's root. */
struct zm_dentry {
	__u64 parent; /* 0 at the root of its superblock */
	char name[ZM_NAME_MAX];
};

/* The naming pass: one file to name, its dentry and the inode it must still be the alias of. */
struct zm_name_want {
	__u64 dentry, inode;
};

/* Counters of the page-cache walk, in .bss. */
struct zm_stats {
	__u64 sbs, inodes, inodes_cached, folios, dying_folios, steps;
	__u64 rejected; /* list or back-pointer checks that failed: the walk skipped ahead */
	/* Records not taken because their map was full */
	__u64 memcgs_full, pins_full, dentries_full;
	__u64 memcgs, memcg_steps;
	__s32 shrinker_nr_max; /* map_nr_max of one memcg's shrinker_info; -1 unknown */
	__u32 done; /* 1: walk finished; 2: stopped at the step budget */
	__u32 tree_done; /* 1: css tree walk finished; 2: stopped by a failed check; 0: budget */
	/* The LRU walk (inside the css tree walk): dying memcgs done, the time they took */
	__u32 lru_memcgs;
	__u64 lru_ns, lru_folios;
	__u32 lru_cut; /* lists cut short or miscounted: folios moved, were isolated or freed */
	__u32 lru_mglru; /* lruvecs with multi-gen LRU on: their folios are not on lists[] */
	__u32 lru_unevictable; /* lruvecs with unevictable pages, which are on no list */
	__u32 lru_nofield; /* lruvecs without lru_zone_size to check a walk against */
	/* The naming pass: 1 when it ran to its end; files whose dentry was no longer theirs */
	__u32 names_done, names_stale;
};

/*
 * The state of the two walks, in .bss (globals, so the skeleton shows them
 * to residue too, which helps when a walk stops early).
 */
struct zm_tree_walk {
	__u64 root, cur;
	__u32 depth;
	__u8 descend;
};

struct zm_cache_walk {
	__u64 start_sb, sb, inode_pos, inode, node;
	__u32 slot, phase;
	/* The run of folios being added up: one memcg, one inode. */
	__u64 acc_memcg, acc_id, acc_pages, acc_dirty, acc_mapped, acc_shared;
	/* Memo: the last memcg looked at, and whether it is dying. */
	__u64 memo_memcg, memo_id;
	__u8 memo_dying;
	/* Path recording (the naming pass): the dentry to record next, and how deep it is. */
	__u64 path_dentry;
	__u32 path_depth;
	__u32 want; /* the naming pass: the next of names_want[] */
};

/* The LRU walk of one dying memcg: node by node, list by list. */
struct zm_lru_walk {
	__u64 memcg, pn, lruvec, pos, t0;
	__u64 seen, budget; /* folios met on this memcg's lists; at most its usage */
	__u64 pages, want; /* pages on this list: met, and the kernel's count */
	__u32 nid, list;
	__u8 active;
};
