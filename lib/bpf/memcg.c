// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Load memcg.bpf.c through its light skeleton, run its two iterators and
 * merge their maps into a ZombieScan: dying memcgs become nodes with paths
 * built from their names, (memcg, inode) pairs become CachePins; the pins
 * a report lists get paths from chains of dentries, recorded by a naming
 * pass of their own (memcg_bpf_name_pins).  The page cache of the zombies is found by
 * the css tree walk itself, on their LRU lists; where that cannot be
 * trusted (multi-gen LRU, a list that changed under the walk twice) or is
 * not wanted, by the walk of every inode, run first so that a zombie it
 * charges is still in the css tree the tree walk records.
 */
#include "memcg-loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

#include "base/array.h"
#include "base/cgfmt.h"
#include "base/clock.h"
#include "base/fileio.h"
#include "compat-load.h"
#include "memcg-decode.h"
#include "memcg.h"
#include "memcg.lskel.h"
#define SKEL memcg
#include "skel-open.h"

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
	return r < 0 ? -errno : (int)r;
}

/* An iterator link with parameters (the skeleton's attach passes none). */
static int iter_link(int prog_fd, union bpf_iter_link_info *info)
{
	union bpf_attr a = { 0 };
	a.link_create.prog_fd = (__u32)prog_fd;
	a.link_create.attach_type = BPF_TRACE_ITER;
	a.link_create.iter_info = (__u64)(uintptr_t)info;
	a.link_create.iter_info_len = sizeof(*info);
	return sys_bpf(BPF_LINK_CREATE, &a);
}

/* Run an iterator to its end; its programs write to maps, not to the output. */
static int iter_run(int link_fd)
{
	union bpf_attr a = { .iter_create = { .link_fd = (__u32)link_fd } };
	char buf[4096];
	ssize_t n;
	int fd = sys_bpf(BPF_ITER_CREATE, &a);

	if (fd < 0)
		return fd;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	int r = n < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int entries_grow(MapEntries *e, size_t want)
{
	if (e->n + want <= e->cap)
		return 0;
	size_t ncap = e->cap ? e->cap : 256;
	while (ncap < e->n + want)
		ncap *= 2;
	uint8_t *k = realloc(e->key, ncap * e->ksize);
	if (!k)
		return -ENOMEM;
	e->key = k;
	uint8_t *v = realloc(e->val, ncap * e->vsize);
	if (!v)
		return -ENOMEM;
	e->val = v;
	e->cap = ncap;
	return 0;
}

/* MapEntries the kernel hands out per BPF_MAP_LOOKUP_AND_DELETE_BATCH: more than a hash bucket holds. */
#define DRAIN_BATCH 4096

/*
 * Move every entry of a hash map into @e, leaving the map empty for the next
 * run of a skeleton that stays loaded: one BPF_MAP_LOOKUP_AND_DELETE_BATCH
 * per DRAIN_BATCH entries (5.6), else a key at a time.  @keep: there is no
 * next run (the skeleton is freed next), so copy and leave the entries: the
 * kernel frees them with the map, on a worker, after we exit.  Deleting 16 000
 * pins and their dentries one by one was a tenth of a `residue zombies`.
 */
static int map_drain(int fd, size_t ksize, size_t vsize, MapEntries *e, bool keep)
{
	uint8_t token[64], prev[64], cur[64];
	bool first = true;
	int r;

	e->ksize = ksize;
	e->vsize = vsize;
	for (;;) {
		if ((r = entries_grow(e, DRAIN_BATCH)) < 0)
			return r;
		union bpf_attr a = { 0 };
		a.batch.map_fd = (__u32)fd;
		a.batch.in_batch = first ? 0 : (__u64)(uintptr_t)token;
		a.batch.out_batch = (__u64)(uintptr_t)token;
		a.batch.keys = (__u64)(uintptr_t)(e->key + e->n * ksize);
		a.batch.values = (__u64)(uintptr_t)(e->val + e->n * vsize);
		a.batch.count = DRAIN_BATCH;
		r = sys_bpf(keep ? BPF_MAP_LOOKUP_BATCH : BPF_MAP_LOOKUP_AND_DELETE_BATCH, &a);
		if (r < 0 && r != -ENOENT)
			break;
		e->n += a.batch.count;
		if (r == -ENOENT)
			return 0; /* that was the last batch */
		first = false;
	}
	if (r != -EINVAL && r != -EOPNOTSUPP && r != -524 /* kernel ENOTSUPP */)
		return r;
	/* No batch operations: walk the keys, then delete what was read. */
	for (first = true;;) {
		union bpf_attr a = { 0 };
		a.map_fd = (__u32)fd;
		a.key = first ? 0 : (__u64)(uintptr_t)prev;
		a.next_key = (__u64)(uintptr_t)cur;
		r = sys_bpf(BPF_MAP_GET_NEXT_KEY, &a);
		if (r == -ENOENT)
			break;
		if (r < 0)
			return r;
		if ((r = entries_grow(e, 1)) < 0)
			return r;
		union bpf_attr l = { 0 };
		l.map_fd = (__u32)fd;
		l.key = (__u64)(uintptr_t)cur;
		l.value = (__u64)(uintptr_t)(e->val + e->n * vsize);
		if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &l) == 0) {
			memcpy(e->key + e->n * ksize, cur, ksize);
			e->n++;
		}
		memcpy(prev, cur, ksize);
		first = false;
	}
	for (size_t i = 0; !keep && i < e->n; i++) {
		union bpf_attr d = { 0 };
		d.map_fd = (__u32)fd;
		d.key = (__u64)(uintptr_t)(e->key + i * ksize);
		(void)sys_bpf(BPF_MAP_DELETE_ELEM, &d);
	}
	return 0;
}

static void entries_free(MapEntries *e)
{
	free(e->key);
	free(e->val);
}

struct MemcgBpf {
	struct memcg *skel;
	int memfd; /* where walk_cache starts: a file of ours */
	unsigned nr_node_ids; /* the length of a memcg's nodeinfo[]; 0 unknown: no LRU walk */
	bool last_run; /* freed after this run: the maps need not be emptied */
};

/*
 * nr_node_ids: one past the highest possible node.  Every memcg has a
 * nodeinfo[] that long; the LRU walk must never read past it.
 */
static unsigned node_ids(void)
{
	char buf[256];
	unsigned n;
	ssize_t len =
		read_small_at(AT_FDCWD, "/sys/devices/system/node/possible", buf, sizeof(buf));

	if (len == -ENOENT)
		return 1; /* CONFIG_NUMA=n: node 0 only */
	if (len < 0 || parse_range_list_end(buf, (size_t)len, &n) < 0)
		return 0;
	return n;
}

int memcg_bpf_open(MemcgBpf **ret)
{
	MemcgBpf *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->memfd = -1;
	b->nr_node_ids = node_ids();
	r = memcg__open_load_any(&b->skel, memcg_compat_open_load);
	if (r < 0) {
		free(b);
		return r;
	}
	*ret = b;
	return 0;
}

MemcgBpf *memcg_bpf_free(MemcgBpf *b)
{
	if (!b)
		return NULL;
	if (b->memfd >= 0)
		close(b->memfd);
	memcg__destroy(b->skel);
	free(b);
	return NULL;
}

/* A fresh start for the walks: their state and counters live in .bss and .data. */
static void walks_reset(struct memcg *skel)
{
	memset(skel->bss, 0, sizeof(*skel->bss));
	memset(&skel->data->stats, 0, sizeof(skel->data->stats));
	skel->data->stats.shrinker_nr_max = -1;
}

/* The same for the page-cache walk alone, after an LRU walk that is not kept. */
static void cache_walk_reset(struct memcg *skel)
{
	struct zm_stats *st = &skel->data->stats;

	memset(&skel->bss->cw, 0, sizeof(skel->bss->cw));
	memset(&skel->bss->lw, 0, sizeof(skel->bss->lw));
	skel->bss->lru_nodes = 0;
	st->sbs = st->inodes = st->inodes_cached = st->folios = st->dying_folios = st->steps = 0;
	st->rejected = st->pins_full = st->dentries_full = 0;
	st->done = 0;
	st->lru_memcgs = st->lru_cut = st->lru_mglru = st->lru_unevictable = st->lru_nofield = 0;
	st->lru_ns = st->lru_folios = 0;
}

/* Run walk_cache once: it starts from our memfd. */
static int run_walk_cache(MemcgBpf *b)
{
	union bpf_iter_link_info task = { .task = { .pid = (__u32)getpid() } };

	if (b->memfd < 0)
		b->memfd = memfd_create("residue-walk", MFD_CLOEXEC);
	if (b->memfd < 0)
		return -errno;
	b->skel->data->target_fd = b->memfd;
	int link = iter_link(b->skel->progs.walk_cache.prog_fd, &task);
	int r = link < 0 ? link : iter_run(link);
	if (link >= 0)
		close(link);
	return r;
}

/* walk_cache: every superblock, every inode, every XArray. */
static int run_inode_walk(MemcgBpf *b, ZombieScan *z)
{
	struct memcg *skel = b->skel;
	double t0 = mono_ms();
	int r = run_walk_cache(b);

	if (r < 0)
		return r;
	z->walk.ms = mono_ms() - t0;
	z->walk.method = ZW_INODES;
	if (skel->data->stats.done == 0)
		return -ENOTRECOVERABLE; /* the program never met our memfd */
	return 0;
}

/* walk_memcgs: the css tree below @cgroup_fd, and with lru_nodes set the dying memcgs' LRUs. */
static int run_tree_walk(struct memcg *skel, int cgroup_fd)
{
	union bpf_iter_link_info cg = { 0 };
	cg.cgroup.cgroup_fd = (__u32)cgroup_fd;
	cg.cgroup.order = BPF_CGROUP_ITER_SELF_ONLY;
	int link = iter_link(skel->progs.walk_memcgs.prog_fd, &cg);
	int r = link < 0 ? link : iter_run(link);
	if (link >= 0)
		close(link);
	return r;
}

/* Throw away what a map holds. */
static int map_discard(int fd, size_t ksize, size_t vsize)
{
	MapEntries e = { 0 };
	int r = map_drain(fd, ksize, vsize, &e, false);
	entries_free(&e);
	return r;
}

/* Why the LRU walk that just ran cannot be trusted, or NULL when it can. */
static const char *lru_walk_flaw(const struct zm_stats *st)
{
	if (st->lru_mglru)
		return "multi-gen LRU is on";
	if (st->lru_unevictable)
		return "unevictable pages (ramfs, SHM_LOCK, mlock) are on no LRU list";
	if (st->lru_nofield)
		return "no per-list page counts (lru_zone_size) to check the LRU walk against";
	if (st->tree_done != 1)
		return "the css tree walk stopped early";
	if (st->lru_cut)
		return "LRU lists changed under the walk";
	return NULL;
}

/* The attempts at the LRU walk: a list that changed under the first gets a second. */
#define LRU_ATTEMPTS 2

int memcg_bpf_collect(MemcgBpf *b, ZombieScan *z, int cgroup_fd, unsigned walks)
{
	bool want_cache = walks & MEMCG_WALK_CACHE, want_tree = walks & MEMCG_WALK_TREE;
	MapEntries memcgs = { 0 }, pins = { 0 };
	struct memcg *skel = b->skel;
	bool want_log = getenv("RESIDUE_BPF_LOG") != NULL, tree_ran = false;
	const char *fallback = NULL;
	int r = 0;

	z->walk.method = ZW_NONE;
	z->walk.fallback = NULL;
	if (want_cache) {
		if (walks & MEMCG_WALK_INODES)
			fallback = "asked for (--inode-walk)";
		else if (cgroup_fd < 0)
			fallback = "no css tree to reach the zombies through";
		else if (b->nr_node_ids == 0)
			fallback = "NUMA node count unknown";
		/*
		 * Multi-gen LRU (/sys/kernel/mm/lru_gen/enabled) is told per lruvec by the walk
		 * itself (lrugen.enabled), which also covers a switch half done.
		 */
	}
	walks_reset(skel);
	if (want_cache && !fallback) {
		for (int attempt = 0; attempt < LRU_ATTEMPTS; attempt++) {
			if (attempt > 0) {
				/* Start again from nothing: what the last attempt recorded goes. */
				walks_reset(skel);
				r = map_discard(skel->maps.memcgs.map_fd, sizeof(__u64),
						sizeof(struct zm_memcg));
				if (r == 0)
					r = map_discard(skel->maps.pins.map_fd,
							sizeof(struct zm_pin_key),
							sizeof(struct zm_pin));
				if (r < 0)
					goto drain;
			}
			skel->bss->lru_nodes = b->nr_node_ids;
			r = run_tree_walk(skel, cgroup_fd);
			tree_ran = true;
			if (r < 0)
				goto drain;
			fallback = lru_walk_flaw(&skel->data->stats);
			if (!fallback || skel->data->stats.lru_cut == 0)
				break; /* only a list that changed is worth another try */
		}
		if (!fallback) {
			const struct zm_stats *st = &skel->data->stats;
			z->walk.method = ZW_LRU;
			z->walk.ms = (double)st->lru_ns / 1e6;
		} else {
			/* Keep the tree walk's records; the page cache is walked again, by inode. */
			if (want_log)
				fprintf(stderr, "memcg walk: LRU walk not used (%s)\n", fallback);
			r = map_discard(skel->maps.pins.map_fd, sizeof(struct zm_pin_key),
					sizeof(struct zm_pin));
			cache_walk_reset(skel);
			if (r == 0)
				r = run_inode_walk(b, z);
		}
	} else if (want_cache) {
		r = run_inode_walk(b, z);
	}
	if (want_tree && !tree_ran && r == 0) {
		r = run_tree_walk(skel, cgroup_fd);
		tree_ran = true;
	}
	z->walk.fallback = z->walk.method == ZW_INODES ? fallback : NULL;
	int d, p; /* a label cannot take a declaration before C23 (clang says so) */
drain:
	/*
	 * Empty the maps this run's walks write, whatever happened, so that the next run starts
	 * clean; only those: a drain visits every bucket of its map (about 2 ms for each of these
	 * 1 << 20-entry maps here), and the agent's rescans walk the tree only, never the page
	 * cache that fills pins.
	 */
	d = tree_ran ? map_drain(skel->maps.memcgs.map_fd, sizeof(__u64), sizeof(struct zm_memcg),
				 &memcgs, b->last_run) :
		       0;
	p = want_cache ? map_drain(skel->maps.pins.map_fd, sizeof(struct zm_pin_key),
				   sizeof(struct zm_pin), &pins, b->last_run) :
			 0;
	r = r < 0 ? r : d < 0 ? d : p;
	if (r < 0)
		goto out;
	if (want_tree && memcgs.n == 0) {
		r = -ENOENT; /* no memory css at that cgroup */
		goto out;
	}
	if (want_tree)
		r = memcg_decode_memcgs(z, &memcgs);
	if (r == 0 && want_cache)
		r = memcg_decode_pins(z, &pins);
	if (want_log) {
		const struct zm_stats *st = &skel->data->stats;
		fprintf(stderr,
			"memcg walk: sbs %llu inodes %llu cached %llu folios %llu dying %llu steps %llu "
			"rejected %llu full memcgs %llu pins %llu dentries %llu memcgs %llu "
			"memcg_steps %llu done %u tree_done %u phase %u lru_memcgs %u lru_folios %llu "
			"lru_cut %u lru_mglru %u lru_unevictable %u lru_nofield %u lru_ns %llu\n",
			st->sbs, st->inodes, st->inodes_cached, st->folios, st->dying_folios,
			st->steps, st->rejected, st->memcgs_full, st->pins_full, st->dentries_full,
			st->memcgs, st->memcg_steps, st->done, st->tree_done, skel->bss->cw.phase,
			st->lru_memcgs, st->lru_folios, st->lru_cut, st->lru_mglru,
			st->lru_unevictable, st->lru_nofield, st->lru_ns);
	}
	if (r == 0)
		z->used_bpf = true;
	if (r == 0 && want_cache) {
		const struct zm_stats *st = &skel->data->stats;
		bool lru = z->walk.method == ZW_LRU;
		z->walk.memcgs = lru ? st->lru_memcgs : 0;
		z->walk.sbs = st->sbs;
		z->walk.inodes = st->inodes;
		z->walk.folios = lru ? st->lru_folios : st->folios;
		z->walk.rejected = st->rejected;
		z->walk.pins_dropped = st->pins_full;
		z->walk.dentries_dropped = 0; /* the naming pass's */
		z->walk.names_stale = 0;
		z->walk.map_full = st->pins_full;
		z->walk.complete = lru || st->done == 1;
		r = memcg_walk_gaps(z);
	}
	if (r == 0 && want_tree) {
		const struct zm_stats *st = &skel->data->stats;
		z->tree_seen = st->memcgs;
		z->tree_dropped = st->memcgs_full;
		z->tree_complete = st->tree_done == 1;
		r = memcg_tree_gaps(z);
	}
	if (r == 0 && want_tree && skel->data->stats.shrinker_nr_max >= 0)
		z->shrinker_nr_max = skel->data->stats.shrinker_nr_max;
out:
	entries_free(&memcgs);
	entries_free(&pins);
	return r;
}

int memcg_bpf_name_pins(MemcgBpf *b, ZombieScan *z, const bool *want)
{
	struct memcg *skel = b->skel;
	struct zm_stats *st = &skel->data->stats;
	MapEntries dents = { 0 };
	size_t i = 0;
	int r = 0, d;

	st->dentries_full = 0;
	z->walk.names_stale = 0;
	while (r == 0 && i < z->n_pins) {
		uint32_t n = 0;
		for (; i < z->n_pins && n < ZM_NAME_WANTS; i++) {
			const CachePin *p = &z->pins[i];
			if (want[i] && p->kdentry && !p->rel_path)
				skel->bss->names_want[n++] =
					(struct zm_name_want){ p->kdentry, p->kinode };
		}
		if (n == 0)
			break;
		memset(&skel->bss->cw, 0, sizeof(skel->bss->cw));
		skel->bss->names_n = n;
		st->names_done = st->names_stale = 0;
		r = run_walk_cache(b);
		if (r == 0 && st->names_done != 1)
			r = -ENOTRECOVERABLE; /* it never met our memfd, or ran out of steps */
		z->walk.names_stale += st->names_stale;
	}
	skel->bss->names_n = 0;
	/* The chains, whatever happened: the map must be empty for the next pass. */
	d = map_drain(skel->maps.dentries.map_fd, sizeof(__u64), sizeof(struct zm_dentry), &dents,
		      b->last_run);
	r = r < 0 ? r : d;
	if (r == 0)
		r = memcg_decode_paths(z, &dents, want);
	z->walk.dentries_dropped = st->dentries_full;
	z->walk.map_full = z->walk.pins_dropped + z->walk.dentries_dropped;
	if (r == 0)
		r = memcg_walk_gaps(z);
	entries_free(&dents);
	return r;
}

int memcg_bpf_open_once(MemcgBpf **ret)
{
	int r = memcg_bpf_open(ret);

	if (r == 0)
		(*ret)->last_run = true;
	return r;
}
