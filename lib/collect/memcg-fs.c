// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Zombie memory cgroups as cgroupfs shows them, on any kernel.  cgroupfs
 * lists live cgroups only; the dying ones show in counters: /proc/cgroups
 * num_cgroups (v1: live + dying of the whole hierarchy), cgroup.stat (v2:
 * dying descendants per subtree) and in memory.stat, whose hierarchical
 * figures still include what is charged to dying children.  Everything is
 * read relative to an fd on the hierarchy, never through a path of the user.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/array.h"
#include "base/cgfmt.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "collect/zombies.h"

/* Is @opt one of the comma-separated options in @opts? */
static bool has_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = opts; p && *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == n && memcmp(p, opt, n) == 0)
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

static int open_subtree(ZombieScan *z, int hfd, const char *subtree)
{
	const char *rel = subtree;
	while (*rel == '/')
		rel++;
	int fd = *rel ? openat(hfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) :
			fcntl(hfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	z->subtree = strdup(*rel ? subtree : "/");
	if (!z->subtree) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

int mountinfo_each(int (*fn)(const MountinfoEntry *e, void *ctx), void *ctx)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t n = read_all_at(AT_FDCWD, "/proc/self/mountinfo", &buf);
	int r = 0;

	if (n < 0)
		return (int)n;
	for (char *line = buf; r >= 0 && line && *line;) {
		char *nl = strchr(line, '\n');
		char *next = nl ? nl + 1 : NULL;
		MountinfoEntry e;

		if (nl)
			*nl = '\0';
		if (parse_mountinfo_line(line, strlen(line), &e) == 0)
			r = fn(&e, ctx);
		line = next;
	}
	return r < 0 ? r : 0;
}

typedef struct FindMemcg {
	ZombieScan *z;
	char *v2_mount;
} FindMemcg;

static int find_memcg_mount(const MountinfoEntry *e, void *ctx)
{
	FindMemcg *f = ctx;
	if (strcmp(e->fstype, "cgroup") == 0 && has_option(e->super_opts, "memory") &&
	    f->z->version != 1) {
		free(f->z->mount);
		f->z->mount = strdup(e->mount_point);
		f->z->version = 1;
	} else if (strcmp(e->fstype, "cgroup2") == 0 && !f->v2_mount) {
		f->v2_mount = strdup(e->mount_point);
	}
	return 0;
}

int memcg_open_hierarchy(ZombieScan *z, const char *subtree)
{
	FindMemcg f = { .z = z };
	char *v2_mount;
	int r = mountinfo_each(find_memcg_mount, &f);

	if (r < 0) {
		free(f.v2_mount);
		return r;
	}
	v2_mount = f.v2_mount;
	if (z->version != 1 && v2_mount) {
		char ctl[512];
		_cleanup_close_ int fd = open(v2_mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
		ssize_t m =
			fd >= 0 ? read_small_at(fd, "cgroup.controllers", ctl, sizeof(ctl)) : -1;
		if (m >= 0 && cgroup_controllers_has(ctl, (size_t)m, "memory")) {
			z->mount = v2_mount;
			v2_mount = NULL;
			z->version = 2;
		}
	}
	free(v2_mount);
	if (!z->mount)
		return z->version ? -ENOMEM : -ENOENT;

	_cleanup_close_ int hfd = open(z->mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (hfd < 0)
		return -errno;
	return open_subtree(z, hfd, subtree ? subtree : "/");
}

static char *join_path(const char *parent, const char *name)
{
	char *p = NULL;
	bool root = strcmp(parent, "/") == 0;
	if (asprintf(&p, "%s/%s", root ? "" : parent, name) < 0)
		return NULL;
	return p;
}

/* Add the cgroup at @fd (taking @path) and everything below it. */
static int walk_dir(ZombieScan *z, int fd, int32_t parent, uint32_t depth, char *path)
{
	struct stat st;
	CgNode *n;
	int32_t self;

	if (!path)
		return -ENOMEM;
	if (fstat(fd, &st) < 0) {
		free(path);
		return zombie_scan_add_gap(z, "cgroup directory", "fstat", errno);
	}
	n = zombie_scan_add_node(z);
	if (!n) {
		free(path);
		return -ENOMEM;
	}
	self = (int32_t)(z->n_nodes - 1);
	n->id = st.st_ino;
	n->parent = parent;
	n->depth = depth;
	n->parent_id = parent >= 0 ? z->nodes[parent].id : 0;
	n->path = path;
	if (z->version == 2) {
		char buf[1024];
		CgroupStat cs;
		ssize_t m = read_small_at(fd, "cgroup.stat", buf, sizeof(buf));
		if (m >= 0 && parse_cgroup_stat(buf, (size_t)m, &cs) == 0)
			n->nr_dying_below = cs.has_nr_dying_subsys_memory ?
						    cs.nr_dying_subsys_memory :
					    cs.has_nr_dying_descendants ? cs.nr_dying_descendants :
									  ZS_UNKNOWN;
		else if (m < 0 && m != -ENOENT)
			zombie_scan_add_gap(z, "cgroup.stat", "read", (int)-m);
	}
	z->nr_live++;

	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		/* removed while we walked: it is no longer live */
		if (errno == ENOENT)
			return 0;
		return zombie_scan_add_gap(z, "cgroup directory", "open", errno);
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	int r = 0;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int cfd = openat(dfd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			if (errno != ENOENT)
				r = zombie_scan_add_gap(z, "cgroup directory", "open", errno);
			continue;
		}
		r = walk_dir(z, cfd, self, depth + 1, join_path(z->nodes[self].path, de->d_name));
		close(cfd);
	}
	closedir(d);
	return r < 0 ? r : 0;
}

int memcg_fs_walk(ZombieScan *z, int fd)
{
	return walk_dir(z, fd, -1, 0, strdup(z->subtree));
}

/* memory.stat of one live node: its page cache, hierarchical and local (v1). */
static int read_cache(ZombieScan *z, int fd, const CgNode *n, uint64_t *ret_total,
		      uint64_t *ret_local)
{
	const char *rel = n->path + strlen(z->subtree);
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int cfd = -1;
	MemoryStat ms;
	ssize_t len;

	while (*rel == '/')
		rel++;
	cfd = *rel ? openat(fd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) :
		     fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (cfd < 0)
		return -errno;
	len = read_all_at(cfd, "memory.stat", &buf);
	if (len < 0)
		return (int)len;
	if (parse_memory_stat(buf, (size_t)len, &ms) < 0)
		return -EBADMSG;
	if (z->version == 1) {
		if (!(ms.present & (1u << MEMSTAT_TOTAL_CACHE)) ||
		    !(ms.present & (1u << MEMSTAT_CACHE)))
			return -EBADMSG;
		*ret_total = ms.total_cache;
		*ret_local = ms.cache;
	} else {
		if (!(ms.present & (1u << MEMSTAT_FILE)))
			return -EBADMSG;
		*ret_total = ms.file;
		*ret_local = 0;
	}
	return 0;
}

#define FOR_CHILDREN(z, i, j)                                                                      \
	for (int32_t j = (z)->nodes[i].first_child; j >= 0; j = (z)->nodes[j].next_sibling)

/* May live node @i have a dying child, as far as what we know tells? */
static bool wants_account(const ZombieScan *z, size_t i)
{
	const CgNode *n = &z->nodes[i];
	if (n->dying)
		return false;
	FOR_CHILDREN(z, i, j)
	if (z->nodes[j].dying)
		return true;
	if (z->used_bpf)
		return false; /* the kernel view is exact: no dying child */
	if (z->version == 2) {
		if (n->nr_dying_below == ZS_UNKNOWN)
			return true;
		/* Dying below n but not below any live child: a direct dying child. */
		uint64_t below_children = 0;
		FOR_CHILDREN(z, i, j)
		if (z->nodes[j].nr_dying_below != ZS_UNKNOWN)
			below_children += z->nodes[j].nr_dying_below;
		return n->nr_dying_below > below_children;
	}
	return true; /* v1 without the kernel view: every parent may have some */
}

typedef struct CacheRead {
	uint64_t total, local;
	uint8_t state; /* 0 unread, 1 read, 2 failed */
} CacheRead;

static bool cache_of(ZombieScan *z, int fd, CacheRead *c, size_t i)
{
	if (c[i].state == 0) {
		int e = read_cache(z, fd, &z->nodes[i], &c[i].total, &c[i].local);
		c[i].state = e < 0 ? 2 : 1;
		if (e < 0 && e != -ENOENT)
			zombie_scan_add_gap(z, "memory.stat", "read", -e);
	}
	return c[i].state == 1;
}

int memcg_fs_account(ZombieScan *z, int fd)
{
	_cleanup_free_ CacheRead *c = calloc(z->n_nodes + 1, sizeof(*c));
	uint64_t live = 0, dying = 0, stuck_sum = 0;
	bool any_stuck = false;

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < z->n_nodes; i++)
		z->nodes[i].dying ? dying++ : live++;

	for (size_t i = 0; i < z->n_nodes; i++) {
		if (!wants_account(z, i) || !cache_of(z, fd, c, i))
			continue;
		bool ok = true;
		uint64_t children = 0;
		FOR_CHILDREN(z, i, j)
		if (!z->nodes[j].dying) {
			if (!cache_of(z, fd, c, (size_t)j))
				ok = false;
			children += c[j].total;
		}
		if (!ok)
			continue;
		uint64_t own = c[i].total - c[i].local;
		z->nodes[i].stuck_bytes = own > children ? own - children : 0;
		stuck_sum += z->nodes[i].stuck_bytes;
		any_stuck = true;
	}
	if (any_stuck || (z->used_bpf && dying == 0))
		z->stuck_bytes = stuck_sum;

	/* The count, from the best source. */
	if (z->used_bpf) {
		z->nr_zombies = dying;
		z->count_source = ZC_BPF;
	} else if (z->version == 2 && z->n_nodes && z->nodes[0].nr_dying_below != ZS_UNKNOWN) {
		char buf[1024];
		CgroupStat cs = { 0 };
		ssize_t m = read_small_at(fd, "cgroup.stat", buf, sizeof(buf));
		if (m >= 0)
			parse_cgroup_stat(buf, (size_t)m, &cs);
		z->nr_zombies = z->nodes[0].nr_dying_below;
		z->count_source =
			cs.has_nr_dying_subsys_memory ? ZC_SUBSYS_MEMORY : ZC_DYING_DESCENDANTS;
	} else if (z->version == 1 && strcmp(z->subtree, "/") == 0) {
		char buf[4096];
		ProcCgroupsRow row;
		ssize_t m = read_small_at(AT_FDCWD, "/proc/cgroups", buf, sizeof(buf));
		if (m < 0) {
			zombie_scan_add_gap(z, "/proc/cgroups", "read", (int)-m);
		} else if (parse_proc_cgroups(buf, (size_t)m, "memory", &row) == 0) {
			z->num_cgroups = row.num_cgroups;
			/* Cgroups made or removed between the two reads skew this by as many. */
			z->nr_zombies = row.num_cgroups > live ? row.num_cgroups - live : 0;
			z->count_source = ZC_PROC_CGROUPS;
		}
	}
	return 0;
}
