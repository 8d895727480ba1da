// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Load memcg.bpf.c through its light skeleton, run its two iterators (the
 * page-cache walk first, so a zombie it charges is still in the css tree
 * the second walk records) and merge their maps into a ZombieScan: dying
 * memcgs become nodes with paths built from their names, (memcg, inode)
 * pairs become CachePins with paths built from chains of dentries.
 */
#include "memcg-loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

#include "base/array.h"
#include "loader-log.h"
#include "memcg-decode.h"
#include "memcg.h"
#include "memcg.lskel.h"

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
 * per DRAIN_BATCH entries (5.6), else a key at a time.
 */
static int map_drain(int fd, size_t ksize, size_t vsize, MapEntries *e)
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
		r = sys_bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH, &a);
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
	for (size_t i = 0; i < e->n; i++) {
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

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct MemcgBpf {
	struct memcg *skel;
	int memfd; /* where walk_cache starts: a file of ours */
};

int memcg_bpf_open(MemcgBpf **ret)
{
	MemcgBpf *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->memfd = -1;
	b->skel = memcg__open();
	if (!b->skel) {
		r = errno ? -errno : -EOPNOTSUPP;
		free(b);
		return r;
	}
	bool want_log = bpf_loader_log_arm(&b->skel->ctx);
	if (memcg__load(b->skel)) {
		r = errno ? -errno : -EOPNOTSUPP;
		bpf_loader_log_print(want_log);
		memcg_bpf_free(b);
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

int memcg_bpf_collect(MemcgBpf *b, ZombieScan *z, int cgroup_fd, unsigned walks)
{
	bool want_cache = walks & MEMCG_WALK_CACHE, want_tree = walks & MEMCG_WALK_TREE;
	MapEntries memcgs = { 0 }, pins = { 0 }, dents = { 0 };
	struct memcg *skel = b->skel;
	bool want_log = getenv("RESIDUE_BPF_LOG") != NULL;
	int r = 0;
	double t0;

	/* A fresh start for the walks: their state and counters live in .bss and .data. */
	memset(skel->bss, 0, sizeof(*skel->bss));
	memset(&skel->data->stats, 0, sizeof(skel->data->stats));
	skel->data->stats.shrinker_nr_max = -1;
	if (want_cache) {
		union bpf_iter_link_info task = { .task = { .pid = (__u32)getpid() } };
		if (b->memfd < 0)
			b->memfd = memfd_create("residue-walk", MFD_CLOEXEC);
		if (b->memfd < 0) {
			r = -errno;
			goto out;
		}
		skel->data->target_fd = b->memfd;
		t0 = now_ms();
		int link = iter_link(skel->progs.walk_cache.prog_fd, &task);
		r = link < 0 ? link : iter_run(link);
		if (link >= 0)
			close(link);
		if (r == 0) {
			z->walk.ms = now_ms() - t0;
			if (skel->data->stats.done == 0)
				r = -ENOTRECOVERABLE; /* the program never met our memfd */
		}
	}
	if (want_tree && r == 0) {
		union bpf_iter_link_info cg = { 0 };
		cg.cgroup.cgroup_fd = (__u32)cgroup_fd;
		cg.cgroup.order = BPF_CGROUP_ITER_SELF_ONLY;
		int link = iter_link(skel->progs.walk_memcgs.prog_fd, &cg);
		r = link < 0 ? link : iter_run(link);
		if (link >= 0)
			close(link);
	}
	/*
	 * Empty the maps this run's walks write, whatever happened, so that the next run starts
	 * clean; only those: a drain visits every bucket of its map (about 2 ms for each of these
	 * 1 << 20-entry maps here), and the agent's rescans walk the tree only, never the page
	 * cache that fills pins and dentries.
	 */
	int d = want_tree ? map_drain(skel->maps.memcgs.map_fd, sizeof(__u64),
				      sizeof(struct zm_memcg), &memcgs) :
			    0;
	int p = want_cache ? map_drain(skel->maps.pins.map_fd, sizeof(struct zm_pin_key),
				       sizeof(struct zm_pin), &pins) :
			     0;
	int q = want_cache ? map_drain(skel->maps.dentries.map_fd, sizeof(__u64),
				       sizeof(struct zm_dentry), &dents) :
			     0;
	r = r < 0 ? r : d < 0 ? d : p < 0 ? p : q;
	if (r < 0)
		goto out;
	if (want_tree && memcgs.n == 0) {
		r = -ENOENT; /* no memory css at that cgroup */
		goto out;
	}
	if (want_tree)
		r = memcg_decode_memcgs(z, &memcgs);
	if (r == 0 && want_cache)
		r = memcg_decode_pins(z, &pins, &dents);
	if (want_log) {
		const struct zm_stats *st = &skel->data->stats;
		fprintf(stderr,
			"memcg walk: sbs %llu inodes %llu cached %llu folios %llu dying %llu steps %llu "
			"rejected %llu full memcgs %llu pins %llu dentries %llu memcgs %llu "
			"memcg_steps %llu done %u tree_done %u phase %u\n",
			st->sbs, st->inodes, st->inodes_cached, st->folios, st->dying_folios,
			st->steps, st->rejected, st->memcgs_full, st->pins_full, st->dentries_full,
			st->memcgs, st->memcg_steps, st->done, st->tree_done, skel->bss->cw.phase);
	}
	if (r == 0)
		z->used_bpf = true;
	if (r == 0 && want_cache) {
		const struct zm_stats *st = &skel->data->stats;
		z->walk.sbs = st->sbs;
		z->walk.inodes = st->inodes;
		z->walk.folios = st->folios;
		z->walk.rejected = st->rejected;
		z->walk.pins_dropped = st->pins_full;
		z->walk.dentries_dropped = st->dentries_full;
		z->walk.map_full = st->pins_full + st->dentries_full;
		z->walk.complete = st->done == 1;
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
	entries_free(&dents);
	return r;
}

int bpf_collect_memcgs(ZombieScan *z, int cgroup_fd, bool want_cache)
{
	MemcgBpf *b = NULL;
	int r = memcg_bpf_open(&b);

	if (r == 0)
		r = memcg_bpf_collect(b, z, cgroup_fd,
				      MEMCG_WALK_TREE | (want_cache ? MEMCG_WALK_CACHE : 0));
	memcg_bpf_free(b);
	return r;
}
