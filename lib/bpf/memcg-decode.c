// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Drained map entries of memcg.bpf.c → nodes and pins of a ZombieScan
 * (memcg-decode.h).  Moved out of memcg.c unchanged, so that the merge can
 * be fuzzed without a kernel.  Records are found by key through sorted
 * copies of the keys; chains (parents, dentries) are bounded, so a record
 * that names itself or a missing one ends a path rather than a scan.
 */
#include "memcg-decode.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include "base/macro.h"
#include "memcg.h"

static uint64_t key_u64(const MapEntries *e, size_t i)
{
	uint64_t k;
	memcpy(&k, e->key + i * e->ksize, sizeof(k));
	return k;
}

/* Records sorted by their u64 key, for lookups by id or address. */
typedef struct Sorted {
	uint64_t key;
	size_t i;
} Sorted;

static int cmp_sorted(const void *a, const void *b)
{
	const Sorted *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static Sorted *sort_keys(const MapEntries *e)
{
	Sorted *s = malloc((e->n + 1) * sizeof(*s));
	if (!s)
		return NULL;
	for (size_t i = 0; i < e->n; i++)
		s[i] = (Sorted){ key_u64(e, i), i };
	qsort(s, e->n, sizeof(*s), cmp_sorted);
	return s;
}

static ssize_t find_sorted(const Sorted *s, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && s[lo].key == key ? (ssize_t)s[lo].i : -1;
}

typedef struct Merge {
	ZombieScan *z;
	const MapEntries *memcgs;
	Sorted *by_id;
	char **paths; /* per memcg record, built on demand */
	uint8_t *busy;
} Merge;

/* The path of memcg record @i: the live node's, or its parent's plus its name. */
static const char *memcg_path(Merge *m, size_t i, unsigned depth)
{
	const struct zm_memcg *v = (const void *)(m->memcgs->val + i * sizeof(*v));
	uint64_t id = key_u64(m->memcgs, i);
	int32_t node;

	if (m->paths[i] || m->busy[i] || depth > 256)
		return m->paths[i];
	node = zombie_scan_index(m->z, id);
	if (node >= 0) {
		m->paths[i] = strdup(m->z->nodes[node].path);
		return m->paths[i];
	}
	m->busy[i] = 1;
	ssize_t p = find_sorted(m->by_id, m->memcgs->n, v->parent_id);
	const char *pp = p >= 0 ? memcg_path(m, (size_t)p, depth + 1) : NULL;
	char name[ZM_NAME_MAX];
	memcpy(name, v->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	if (pp && asprintf(&m->paths[i], "%s/%s", strcmp(pp, "/") == 0 ? "" : pp, name) < 0)
		m->paths[i] = NULL;
	m->busy[i] = 0;
	return m->paths[i];
}

int memcg_decode_memcgs(ZombieScan *z, const MapEntries *e)
{
	Merge m = { .z = z, .memcgs = e };
	int r = 0;

	m.by_id = sort_keys(e);
	m.paths = calloc(e->n + 1, sizeof(char *));
	m.busy = calloc(e->n + 1, 1);
	if (!m.by_id || !m.paths || !m.busy) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < e->n; i++) {
		const struct zm_memcg *v = (const void *)(e->val + i * sizeof(*v));
		uint64_t id = key_u64(e, i);
		int32_t node = zombie_scan_index(z, id);
		/* CSS_ONLINE (2) cleared, or CSS_DYING (16) set by the rmdir already. */
		bool dying = !(v->css_flags & 2) || (v->css_flags & 16);
		if (node >= 0) {
			z->nodes[node].usage_pages = v->usage_pages;
			continue;
		}
		if (!dying)
			continue; /* born after the cgroupfs walk: not ours to report */
		const char *path = memcg_path(&m, i, 0);
		CgNode *n = zombie_scan_add_node(z);
		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		n->id = id;
		n->parent_id = v->parent_id;
		n->dying = true;
		n->depth = v->depth;
		n->usage_pages = v->usage_pages;
		n->path = strdup(path ? path : "?");
		if (!n->path) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = zombie_scan_link(z);
out:
	for (size_t i = 0; m.paths && i < e->n; i++)
		free(m.paths[i]);
	free(m.paths);
	free(m.busy);
	free(m.by_id);
	return r;
}

/* A file's path from its superblock's root, from the chain of recorded dentries. */
static char *dentry_path(const MapEntries *d, const Sorted *by_addr, uint64_t dentry)
{
	const char *parts[64];
	size_t n = 0, len = 0;

	while (dentry) {
		ssize_t i = find_sorted(by_addr, d->n, dentry);
		if (i < 0 || n == 64)
			return NULL; /* a link of the chain is missing */
		const struct zm_dentry *v = (const void *)(d->val + (size_t)i * sizeof(*v));
		if (!v->parent)
			break; /* the root: its name is "/" */
		parts[n] = v->name;
		len += strnlen(v->name, ZM_NAME_MAX - 1) + 1;
		n++;
		dentry = v->parent;
	}
	char *p = malloc(len + 2);
	if (!p)
		return NULL;
	char *w = p;
	if (n == 0)
		*w++ = '/';
	while (n-- > 0) {
		size_t l = strnlen(parts[n], ZM_NAME_MAX - 1);
		*w++ = '/';
		memcpy(w, parts[n], l);
		w += l;
	}
	*w = '\0';
	return p;
}

int memcg_decode_pins(ZombieScan *z, const MapEntries *pins)
{
	for (size_t i = 0; i < pins->n; i++) {
		const struct zm_pin_key *k = (const void *)(pins->key + i * sizeof(*k));
		const struct zm_pin *v = (const void *)(pins->val + i * sizeof(*v));
		int32_t node = zombie_scan_index(z, k->memcg_id);
		if (node < 0 || !z->nodes[node].dying)
			continue; /* freed, or outside the subtree */
		CachePin *p = zombie_scan_add_pin(z);
		if (!p)
			return -ENOMEM;
		p->node = (uint32_t)node;
		p->dev = makedev((unsigned)(v->dev >> 20), (unsigned)(v->dev & 0xfffff));
		p->ino = v->ino;
		p->pages = v->pages;
		p->dirty_pages = v->dirty;
		p->mapped_pages = v->mapped;
		p->mapped_shared_pages = v->mapped_shared;
		p->file_pages = v->nrpages;
		p->mode = v->mode;
		p->nlink = v->nlink;
		p->fs_magic = v->sb_magic;
		p->kdentry = v->dentry;
		p->kinode = k->inode;
	}
	return 0;
}

int memcg_decode_paths(ZombieScan *z, const MapEntries *dents, const bool *want)
{
	_cleanup_free_ Sorted *by_addr = sort_keys(dents);
	if (!by_addr)
		return -ENOMEM;
	for (size_t i = 0; i < z->n_pins; i++) {
		CachePin *p = &z->pins[i];
		if (want[i] && p->kdentry && !p->rel_path)
			p->rel_path = dentry_path(dents, by_addr, p->kdentry);
	}
	return 0;
}

/* A gap for @n records of one kind; the same gap added twice keeps the larger count. */
static int add_counted_gap(ZombieScan *z, const char *what, const char *call, int err, uint64_t n)
{
	int r = zombie_scan_add_gap(z, what, call, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < z->n_gaps; i++)
		if (strcmp(z->gaps[i].what, what) == 0 && strcmp(z->gaps[i].call, call) == 0)
			z->gaps[i].count = n > UINT_MAX ? UINT_MAX : (unsigned)n;
	return 0;
}

int memcg_tree_gaps(ZombieScan *z)
{
	char what[256];
	int r = 0;

	if (z->tree_dropped) {
		snprintf(what, sizeof(what),
			 "kernel view: %" PRIu64 " of %" PRIu64 " memory cgroups not recorded, "
			 "BPF map memcgs full (%d): zombies missing",
			 z->tree_dropped, z->tree_seen, ZM_MEMCGS_MAX);
		r = add_counted_gap(z, what, "bpf_map_update_elem", E2BIG, z->tree_dropped);
	}
	if (r == 0 && !z->tree_complete)
		r = add_counted_gap(
			z,
			"kernel view: the walk of the memory cgroup tree stopped before "
			"its end: zombies missing",
			"bpf_loop", EAGAIN, 1);
	return r;
}

int memcg_walk_gaps(ZombieScan *z)
{
	char what[256];
	int r = 0;

	if (z->walk.pins_dropped) {
		snprintf(what, sizeof(what),
			 "kernel view: %" PRIu64
			 " files pinning zombie memory cgroups not recorded, "
			 "BPF map pins full (%d): zombies show fewer files and bytes",
			 z->walk.pins_dropped, ZM_PINS_MAX);
		r = add_counted_gap(z, what, "bpf_map_update_elem", E2BIG, z->walk.pins_dropped);
	}
	if (r == 0 && z->walk.dentries_dropped) {
		snprintf(
			what, sizeof(what),
			"kernel view: %" PRIu64 " path components of files pinning zombie memory "
			"cgroups not recorded, BPF map dentries full (%d): those files have no path",
			z->walk.dentries_dropped, ZM_DENTRIES_MAX);
		r = add_counted_gap(z, what, "bpf_map_update_elem", E2BIG,
				    z->walk.dentries_dropped);
	}
	if (r == 0 && z->walk.names_stale) {
		snprintf(what, sizeof(what),
			 "kernel view: %" PRIu64 " files pinning zombie memory cgroups lost their "
			 "dentry between the walk and their naming: those files have no path",
			 z->walk.names_stale);
		r = add_counted_gap(z, what, "bpf_iter", ESTALE, z->walk.names_stale);
	}
	if (r == 0 && !z->walk.complete)
		r = add_counted_gap(z,
				    "kernel view: the page-cache walk for zombie memory cgroups "
				    "stopped at its step budget: files missing",
				    "bpf_loop", E2BIG, 1);
	return r;
}
