/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Adding up a zombie scan: each zombie's own charge and the files that pin
 * it, each live parent's zombies, the kernel memory they cost, and what
 * --release can do about each.  Pure: no I/O, tested on hand-built scans.
 */
#pragma once

#include "model/memcg.h"

/*
 * Kernel memory a zombie memory cgroup costs (docs/ZOMBIE-COST.md): the
 * fixed structures, the per-CPU statistics and, per NUMA node, per-CPU
 * LRU statistics and the shrinker map, which has one 1 KiB unit per 64
 * shrinker ids the host ever needed at once (@shrinker_nr_max < 0:
 * unknown, left out: then the figure is a lower bound).  Possible CPUs
 * and nodes, not online ones.
 */
uint64_t memcg_kmem_estimate(long nr_cpus, int nr_nodes, int32_t shrinker_nr_max);

/*
 * Sort pins by zombie then bytes, set each node's pin range, cache and
 * dirty pages, its own charge (usage minus dying children's), and each live
 * node's zombies_below / zombie_pages_below; fill kmem_per_zombie.
 */
int analyze_zombies(ZombieScan *z);

/* A zombie's own charge in pages: its usage minus that of its dying children. */
uint64_t zombie_own_pages(const ZombieScan *z, size_t i);

/* The nearest live ancestor of node @i, -1 when none is known. */
int32_t zombie_live_parent(const ZombieScan *z, size_t i);

/* What --release would do with a pin. */
typedef enum PinAction {
	PIN_DROP, /* posix_fadvise(DONTNEED) through its path here */
	PIN_SYNC_DROP, /* dirty: fdatasync, then DONTNEED */
	PIN_UNREACHABLE, /* not reachable from this mount namespace, or deleted */
	PIN_SHMEM, /* tmpfs/shmem: the pages are the file's data, dropping them is deleting it */
	PIN_MAPPED, /* some pages are mapped by a live process: fadvise(DONTNEED) skips them */
	PIN_PAGEOUT, /* mapped, opt-in: process_madvise(MADV_PAGEOUT) on the mappers, then drop */
	PIN_ACTION_MAX,
} PinAction;

/*
 * What --release does with a pin; with @pageout_mapped, a mapped file whose
 * pages are each mapped once (MADV_PAGEOUT skips pages mapped more than once)
 * is paged out of its mappers.  Whether the mappers can be found and allowed
 * is the caller's to check.
 */
PinAction pin_action_for(const CachePin *p, bool pageout_mapped);

/*
 * A bounded list of the files that pin zombies: the pins by zombie, then the
 * most pages first, then device and inode, as analyze_zombies() sorts them
 * (*@ret_order, indices into @z->pins), and
 * which of them it lists, each zombie's first @per_zombie (*@ret_listed[k]
 * for pin k).  The JSON renders them (render_zombies_json) and only those are
 * named in our namespace (memcg_name_files).  0, or -ENOMEM with nothing
 * allocated; the caller frees both.
 */
int zombie_pins_listed(const ZombieScan *z, unsigned per_zombie, size_t **ret_order,
		       bool **ret_listed);
static inline PinAction pin_action(const CachePin *p)
{
	return pin_action_for(p, false);
}
const char *pin_action_to_string(PinAction a);

/*
 * Which zombies --release would free, given which pins' page cache goes
 * (@pin_goes[k] for z->pins[k]): a zombie goes when it has something to
 * go — pins of its own or dying children — every pin of its own goes, its
 * own charge is no more than its files' cache and the kernel objects that
 * track it (1/16 of it and 64 pages), and every dying child goes too (a
 * child holds its parent).  Sets @ret_goes[i] for each node (false for live
 * ones) and returns how many zombies go.
 */
uint64_t zombies_predict_freed(const ZombieScan *z, const bool *pin_goes, bool *ret_goes);
