/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of the kernel's view of zombie memory cgroups: the entries
 * memcg.c drained from memcg.bpf.c's hash maps (memcg.h records, as bytes)
 * merged into a ZombieScan.  No kernel, no skeleton: memcg.c calls these
 * after a walk, and tests/fuzz/fuzz-memcg-maps.c calls them with
 * arbitrary bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model/memcg.h"

/* The entries of one hash map: @n keys of @ksize bytes and @n values of @vsize, malloc'd. */
typedef struct MapEntries {
	uint8_t *key, *val;
	size_t n, cap;
	size_t ksize, vsize;
} MapEntries;

/*
 * Map memcgs (key u64 cgroup id, value struct zm_memcg): set the usage of
 * the nodes @z already has (it must be linked) and add each dying memcg it
 * does not have, its path made from its ancestors' names; link @z again.
 */
int memcg_decode_memcgs(ZombieScan *z, const MapEntries *memcgs);

/*
 * Map pins (struct zm_pin_key → struct zm_pin): a CachePin for each pin of
 * a dying node of @z, with the kernel addresses the naming pass takes.
 */
int memcg_decode_pins(ZombieScan *z, const MapEntries *pins);

/*
 * Map dentries (u64 address → struct zm_dentry), the naming pass's: the
 * rel_path of each pin of @z that @want (one per pin) picks, made from the
 * chain of dentries (NULL when a link is missing).
 */
int memcg_decode_paths(ZombieScan *z, const MapEntries *dentries, const bool *want);

/*
 * What the kernel view could not hold, as gaps of @z the user sees: from
 * the css tree walk (tree_dropped, tree_complete), from the page-cache
 * walk (walk.pins_dropped, walk.complete) and from the naming pass
 * (walk.dentries_dropped, walk.names_stale).  Called
 * after each walk, and by the agent when it reuses an older page-cache walk.
 */
int memcg_tree_gaps(ZombieScan *z);
int memcg_walk_gaps(ZombieScan *z);
