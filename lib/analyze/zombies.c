// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analyze/zombies.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Measured and derived on 6.18 for a zombie (docs/ZOMBIE-COST.md, bench/memcg-cost):
 * bytes = A + B*cpus + nodes * (D + E*cpus + hdr(U) + C*U), U = ceil(shrinker_nr_max / 64).
 * A: mem_cgroup, memcg_vmstats, struct cgroup, psi_group, kernfs node; B: memcg_vmstats_percpu
 * and friends; D: mem_cgroup_per_node + lruvec_stats; E: lruvec_stats_percpu; C: one
 * shrinker_info_unit (520 B, in kmalloc-1k); hdr: the shrinker_info header with U pointers.
 */
#define KMEM_A 9800
#define KMEM_B 1564
#define KMEM_D 1536
#define KMEM_E 528
#define KMEM_C 1024

/* What kmalloc really takes for @size bytes: a power of two, pages above 8 KiB. */
static uint64_t kmalloc_size(uint64_t size)
{
	uint64_t b = 8;
	while (b < size)
		b <<= 1;
	return b;
}

uint64_t memcg_kmem_estimate(long nr_cpus, int nr_nodes, int32_t shrinker_nr_max)
{
	uint64_t cpus = nr_cpus > 0 ? (uint64_t)nr_cpus : 1;
	uint64_t nodes = nr_nodes > 0 ? (uint64_t)nr_nodes : 1;
	uint64_t per_node = KMEM_D + KMEM_E * cpus;

	if (shrinker_nr_max > 0) {
		uint64_t units = ((uint64_t)shrinker_nr_max + 63) / 64;
		per_node += kmalloc_size(24 + 8 * units) + KMEM_C * units;
	}
	return KMEM_A + KMEM_B * cpus + nodes * per_node;
}

uint64_t zombie_own_pages(const ZombieScan *z, size_t i)
{
	const CgNode *n = &z->nodes[i];
	uint64_t children = 0;
	for (int32_t j = n->first_child; j >= 0; j = z->nodes[j].next_sibling)
		if (z->nodes[j].dying)
			children += z->nodes[j].usage_pages;
	return n->usage_pages > children ? n->usage_pages - children : 0;
}

int32_t zombie_live_parent(const ZombieScan *z, size_t i)
{
	int32_t p = z->nodes[i].parent;
	for (size_t hops = 0; p >= 0 && z->nodes[p].dying && hops < z->n_nodes; hops++)
		p = z->nodes[p].parent;
	return p >= 0 && !z->nodes[p].dying ? p : -1;
}

static int cmp_pin(const void *a, const void *b)
{
	const CachePin *x = a, *y = b;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->pages != y->pages)
		return x->pages > y->pages ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int analyze_zombies(ZombieScan *z)
{
	if (z->n_pins)
		qsort(z->pins, z->n_pins, sizeof(*z->pins), cmp_pin);
	for (size_t i = 0; i < z->n_nodes; i++) {
		CgNode *n = &z->nodes[i];
		n->first_pin = n->n_pins = 0;
		n->cache_pages = n->dirty_pages = 0;
		n->zombies_below = n->zombie_pages_below = 0;
	}
	for (size_t k = 0; k < z->n_pins; k++) {
		const CachePin *p = &z->pins[k];
		if (p->node >= z->n_nodes)
			return -EINVAL;
		CgNode *n = &z->nodes[p->node];
		if (n->n_pins == 0)
			n->first_pin = (uint32_t)k;
		n->n_pins++;
		n->cache_pages += p->pages;
		n->dirty_pages += p->dirty_pages;
	}
	for (size_t i = 0; i < z->n_nodes; i++) {
		if (!z->nodes[i].dying)
			continue;
		int32_t p = zombie_live_parent(z, i);
		if (p < 0)
			continue;
		z->nodes[p].zombies_below++;
		z->nodes[p].zombie_pages_below += zombie_own_pages(z, i);
	}
	z->kmem_per_zombie = memcg_kmem_estimate(z->nr_cpus, z->nr_nodes, z->shrinker_nr_max);
	return 0;
}

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define HUGETLBFS_MAGIC 0x958458f6

/* Indices into z->pins in analyze_zombies()'s order, which may not have run yet (naming). */
static int cmp_pins(const void *a, const void *b, void *ctx)
{
	const ZombieScan *z = ctx;
	return cmp_pin(&z->pins[*(const size_t *)a], &z->pins[*(const size_t *)b]);
}

int zombie_pins_listed(const ZombieScan *z, unsigned per_zombie, size_t **ret_order,
		       bool **ret_listed)
{
	size_t *order = malloc((z->n_pins + 1) * sizeof(*order));
	bool *listed = calloc(z->n_pins + 1, sizeof(*listed));
	uint32_t *kept = calloc(z->n_nodes + 1, sizeof(*kept));

	if (!order || !listed || !kept) {
		free(order);
		free(listed);
		free(kept);
		return -ENOMEM;
	}
	for (size_t k = 0; k < z->n_pins; k++)
		order[k] = k;
	qsort_r(order, z->n_pins, sizeof(*order), cmp_pins, (void *)z);
	for (size_t k = 0; k < z->n_pins; k++) {
		uint32_t node = z->pins[order[k]].node;
		node = node < z->n_nodes ? node : (uint32_t)z->n_nodes;
		if (kept[node] < per_zombie) {
			kept[node]++;
			listed[order[k]] = true;
		}
	}
	free(kept);
	*ret_order = order;
	*ret_listed = listed;
	return 0;
}

PinAction pin_action_for(const CachePin *p, bool pageout_mapped)
{
	if (p->fs_magic == TMPFS_MAGIC || p->fs_magic == RAMFS_MAGIC ||
	    p->fs_magic == HUGETLBFS_MAGIC)
		return PIN_SHMEM;
	if (!p->path)
		return PIN_UNREACHABLE;
	if (p->mapped_pages)
		return pageout_mapped && !p->mapped_shared_pages ? PIN_PAGEOUT : PIN_MAPPED;
	return p->dirty_pages ? PIN_SYNC_DROP : PIN_DROP;
}

/* Dying nodes by depth, deepest first, so children are decided before their parents. */
static int cmp_depth(const void *a, const void *b, void *ctx)
{
	const ZombieScan *z = ctx;
	uint32_t x = z->nodes[*(const size_t *)a].depth, y = z->nodes[*(const size_t *)b].depth;
	return x > y ? -1 : x < y;
}

uint64_t zombies_predict_freed(const ZombieScan *z, const bool *pin_goes, bool *ret_goes)
{
	size_t *order = calloc(z->n_nodes ? z->n_nodes : 1, sizeof(*order)), n = 0;
	uint64_t freed = 0;

	for (size_t i = 0; i < z->n_nodes; i++) {
		ret_goes[i] = false;
		if (z->nodes[i].dying && order)
			order[n++] = i;
	}
	if (!order)
		return 0;
	qsort_r(order, n, sizeof(*order), cmp_depth, (void *)z);
	for (size_t o = 0; o < n; o++) {
		size_t i = order[o];
		const CgNode *nd = &z->nodes[i];
		bool goes = true, children = false;
		for (uint32_t k = nd->first_pin; k < nd->first_pin + nd->n_pins; k++)
			goes = goes && pin_goes[k];
		for (int32_t c = nd->first_child; c >= 0; c = z->nodes[c].next_sibling)
			if (z->nodes[c].dying) {
				children = true;
				goes = goes && ret_goes[c];
			}
		/* Memory the files do not explain (anon left by a process that moved out). */
		uint64_t own = zombie_own_pages(z, i);
		if (own > nd->cache_pages + nd->cache_pages / 16 + 64)
			goes = false;
		ret_goes[i] = goes && (nd->n_pins || children);
		freed += ret_goes[i];
	}
	free(order);
	return freed;
}

const char *pin_action_to_string(PinAction a)
{
	switch (a) {
	case PIN_DROP:
		return "drop";
	case PIN_SYNC_DROP:
		return "sync+drop";
	case PIN_UNREACHABLE:
		return "unreachable";
	case PIN_SHMEM:
		return "shmem";
	case PIN_MAPPED:
		return "keep-mapped";
	case PIN_PAGEOUT:
		return "pageout";
	case PIN_ACTION_MAX:
		break;
	}
	return "?";
}
