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
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

#include "base/array.h"
#include "base/macro.h"
#include "loader-log.h"
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

typedef struct Entry {
	uint8_t *key, *val;
	size_t n, cap;
	size_t ksize, vsize;
} Entries;

static int entries_grow(Entries *e, size_t want)
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

/* Entries the kernel hands out per BPF_MAP_LOOKUP_AND_DELETE_BATCH: more than a hash bucket holds. */
#define DRAIN_BATCH 4096

/*
 * Move every entry of a hash map into @e, leaving the map empty for the next
 * run of a skeleton that stays loaded: one BPF_MAP_LOOKUP_AND_DELETE_BATCH
 * per DRAIN_BATCH entries (5.6), else a key at a time.
 */
static int map_drain(int fd, size_t ksize, size_t vsize, Entries *e)
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

static void entries_free(Entries *e)
{
	free(e->key);
	free(e->val);
}

static uint64_t key_u64(const Entries *e, size_t i)
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

static Sorted *sort_keys(const Entries *e)
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
	const Entries *memcgs;
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

static int merge_memcgs(ZombieScan *z, const Entries *e)
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
		bool dying = !(v->css_flags & 2);
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
static char *dentry_path(const Entries *d, const Sorted *by_addr, uint64_t dentry)
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

static int merge_pins(ZombieScan *z, const Entries *pins, const Entries *dents)
{
	_cleanup_free_ Sorted *by_addr = sort_keys(dents);
	if (!by_addr)
		return -ENOMEM;
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
		p->file_pages = v->nrpages;
		p->mode = v->mode;
		p->nlink = v->nlink;
		p->fs_magic = v->sb_magic;
		p->rel_path = v->dentry ? dentry_path(dents, by_addr, v->dentry) : NULL;
	}
	return 0;
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
	Entries memcgs = { 0 }, pins = { 0 }, dents = { 0 };
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
		r = merge_memcgs(z, &memcgs);
	if (r == 0 && want_cache)
		r = merge_pins(z, &pins, &dents);
	if (want_log) {
		const struct zm_stats *st = &skel->data->stats;
		fprintf(stderr,
			"memcg walk: sbs %llu inodes %llu cached %llu folios %llu dying %llu steps %llu "
			"rejected %llu map_full %llu memcgs %llu memcg_steps %llu done %u phase %u\n",
			st->sbs, st->inodes, st->inodes_cached, st->folios, st->dying_folios,
			st->steps, st->rejected, st->map_full, st->memcgs, st->memcg_steps,
			st->done, skel->bss->cw.phase);
	}
	if (r == 0)
		z->used_bpf = true;
	if (r == 0 && want_cache) {
		const struct zm_stats *st = &skel->data->stats;
		z->walk.sbs = st->sbs;
		z->walk.inodes = st->inodes;
		z->walk.folios = st->folios;
		z->walk.rejected = st->rejected;
		z->walk.map_full = st->map_full;
		z->walk.complete = st->done == 1;
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
