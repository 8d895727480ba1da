// SPDX-License-Identifier: LGPL-2.1-or-later
#include "model/memcg.h"

#include <errno.h>
#include <stdlib.h>

#include "base/array.h"

ZombieScan *zombie_scan_new(void)
{
	ZombieScan *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->nr_zombies = ZS_UNKNOWN;
	z->num_cgroups = ZS_UNKNOWN;
	z->stuck_bytes = ZS_UNKNOWN;
	z->shrinker_nr_max = -1;
	return z;
}

void zombie_scan_free(ZombieScan *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n_nodes; i++)
		free(z->nodes[i].path);
	for (size_t i = 0; i < z->n_pins; i++) {
		free(z->pins[i].rel_path);
		free(z->pins[i].path);
	}
	for (size_t i = 0; i < z->n_gaps; i++) {
		free(z->gaps[i].what);
		free(z->gaps[i].call);
	}
	for (size_t i = 0; i < z->n_mappers; i++) {
		free(z->mappers[i].cgroup);
		free(z->mappers[i].ranges);
	}
	free(z->mappers);
	free(z->nodes);
	free(z->index);
	free(z->pins);
	free(z->gaps);
	free(z->mount);
	free(z->subtree);
	free(z->bpf_error);
	free(z);
}

CgNode *zombie_scan_add_node(ZombieScan *z)
{
	CgNode *n = ARRAY_PUSH(z->nodes, z->n_nodes, z->cap_nodes);
	if (n) {
		n->parent = n->first_child = n->next_sibling = -1;
		n->nr_dying_below = ZS_UNKNOWN;
		n->stuck_bytes = ZS_UNKNOWN;
	}
	return n;
}

CachePin *zombie_scan_add_pin(ZombieScan *z)
{
	return ARRAY_PUSH(z->pins, z->n_pins, z->cap_pins);
}

int zombie_scan_add_gap(ZombieScan *z, const char *what, const char *call, int err)
{
	return gap_list_add(&z->gaps, &z->n_gaps, &z->cap_gaps, what, call, err, 0);
}

struct ZsIndex {
	uint64_t id;
	int32_t node;
};

static int cmp_index(const void *a, const void *b)
{
	const struct ZsIndex *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int32_t zombie_scan_index(const ZombieScan *z, uint64_t id)
{
	size_t lo = 0, hi = z->n_index;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->index[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < z->n_index && z->index[lo].id == id ? z->index[lo].node : -1;
}

int zombie_scan_link(ZombieScan *z)
{
	struct ZsIndex *ix = realloc(z->index, (z->n_nodes + 1) * sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	z->index = ix;
	for (size_t i = 0; i < z->n_nodes; i++)
		ix[i] = (struct ZsIndex){ z->nodes[i].id, (int32_t)i };
	z->n_index = z->n_nodes;
	qsort(ix, z->n_index, sizeof(*ix), cmp_index);
	for (size_t i = 0; i < z->n_nodes; i++)
		z->nodes[i].first_child = z->nodes[i].next_sibling = -1;
	/* Backwards, so each list comes out in node order. */
	for (size_t k = z->n_nodes; k-- > 0;) {
		CgNode *n = &z->nodes[k];
		n->parent = n->parent_id ? zombie_scan_index(z, n->parent_id) : -1;
		if (n->parent >= 0 && (size_t)n->parent != k) {
			n->next_sibling = z->nodes[n->parent].first_child;
			z->nodes[n->parent].first_child = (int32_t)k;
		} else {
			n->parent = -1;
		}
	}
	return 0;
}
