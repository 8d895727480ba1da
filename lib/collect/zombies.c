// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The zombie-memcg scan: cgroupfs for the live tree and the counters, the
 * kernel view (BPF) for the dying memcgs themselves and the files that pin
 * them, then the per-parent bytes from memory.stat and the files' paths in
 * our mount namespace.
 */
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
#include "bpf/memcg-loader.h"
#include "collect/collect.h"
#include "collect/privilege.h"
#include "collect/zombies.h"
#include "analyze/zombies.h"

typedef struct MountRef {
	dev_t dev;
	bool network; /* a filesystem type that could hang a lookup */
	char *root, *mount_point;
} MountRef;

/* Is @root a leading path of @path, component-wise?  Returns the rest ("" or "/..."). */
static const char *under_root(const char *path, const char *root)
{
	size_t n = strlen(root);
	if (strcmp(root, "/") == 0)
		return path;
	if (strncmp(path, root, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return NULL;
	return path + n;
}

static char *resolve_one(const MountRef *m, size_t n, const CachePin *p)
{
	const MountRef *best = NULL;
	const char *rest = NULL;

	for (size_t i = 0; i < n; i++) {
		if (m[i].dev != p->dev)
			continue;
		const char *r = under_root(p->rel_path, m[i].root);
		if (r && (!best || strlen(m[i].root) > strlen(best->root))) {
			best = &m[i];
			rest = r;
		}
	}
	if (!best)
		return NULL;
	/*
	 * A lookup walks every mount above the file: one below a FUSE or NFS
	 * mount could wait for that filesystem's daemon or server.  Not asked.
	 */
	for (size_t i = 0; i < n; i++)
		if (m[i].network && under_root(best->mount_point, m[i].mount_point))
			return NULL;
	char *path = NULL;
	bool top = strcmp(best->mount_point, "/") == 0;
	if (asprintf(&path, "%s%s", top && *rest ? "" : best->mount_point, rest) < 0)
		return NULL;
	/* The name may be stale (renamed, deleted, another mount on top): check it. */
	struct statx stx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC,
		  STATX_INO, &stx) < 0 ||
	    stx.stx_ino != p->ino || makedev(stx.stx_dev_major, stx.stx_dev_minor) != p->dev) {
		free(path);
		return NULL;
	}
	return path;
}

typedef struct Mounts {
	MountRef *m;
	size_t n, cap;
} Mounts;

static int add_mount(const MountinfoEntry *e, void *ctx)
{
	Mounts *ms = ctx;
	MountRef *m = ARRAY_PUSH(ms->m, ms->n, ms->cap);
	if (!m)
		return -ENOMEM;
	m->dev = makedev(e->major, e->minor);
	m->network = fs_type_is_network(e->fstype);
	m->root = strdup(e->root);
	m->mount_point = strdup(e->mount_point);
	return m->root && m->mount_point ? 0 : -ENOMEM;
}

/*
 * The pins to name: all, or those the bounded list takes.  A host's zombies
 * can pin tens of thousands of files, each name checked with a statx, for a
 * report that lists 20 a zombie.
 */
static bool *pins_to_name(const ZombieScan *z, unsigned per_zombie)
{
	if (per_zombie == 0) {
		bool *all = malloc(z->n_pins + 1);
		if (all)
			memset(all, true, z->n_pins + 1);
		return all;
	}
	_cleanup_free_ size_t *order = NULL;
	bool *listed = NULL;
	return zombie_pins_listed(z, per_zombie, &order, &listed) == 0 ? listed : NULL;
}

int memcg_name_files(struct MemcgBpf *b, ZombieScan *z, unsigned per_zombie)
{
	Mounts ms = { 0 };
	int r;

	if (z->n_pins == 0)
		return 0;
	_cleanup_free_ bool *want = pins_to_name(z, per_zombie);
	if (!want)
		return -ENOMEM;
	/* Their names in their own filesystems, from the kernel's dentries. */
	r = b ? memcg_bpf_name_pins(b, z, want) : 0;
	if (r == -ENOMEM)
		return r;
	if (r < 0 &&
	    (r = zombie_scan_add_gap(z, "zombie files: their names (BPF)", "bpf_iter", -r)) < 0)
		return r;
	/* Then where each is in ours. */
	r = mountinfo_each(add_mount, &ms);
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		r = zombie_scan_add_gap(z, "/proc/self/mountinfo", "read", -r);
		goto out;
	}
	for (size_t i = 0; i < z->n_pins; i++) {
		CachePin *p = &z->pins[i];
		/* Never look a name up on a network filesystem: its server may hang. */
		if (!want[i] || p->path || !p->rel_path || p->nlink == 0 ||
		    fs_magic_is_network(p->fs_magic))
			continue;
		p->path = resolve_one(ms.m, ms.n, p);
	}
out:
	for (size_t i = 0; i < ms.n; i++) {
		free(ms.m[i].root);
		free(ms.m[i].mount_point);
	}
	free(ms.m);
	return r;
}

/* Possible CPUs or nodes: per-CPU and per-node memory is allocated for all of them. */
static long count_possible(const char *file, long fallback)
{
	char buf[256];
	unsigned n;
	ssize_t len = read_small_at(AT_FDCWD, file, buf, sizeof(buf));
	if (len < 0 || parse_range_list_count(buf, (size_t)len, &n) < 0 || n == 0)
		return fallback > 0 ? fallback : 1;
	return n;
}

int scan_zombies(const ZombieOptions *o, ZombieScan **ret)
{
	ZombieScan *z = zombie_scan_new();
	MemcgBpf *own = NULL, *b = NULL;
	int r, fd;

	if (!z)
		return -ENOMEM;
	z->nr_cpus =
		count_possible("/sys/devices/system/cpu/possible", sysconf(_SC_NPROCESSORS_CONF));
	z->nr_nodes = (int)count_possible("/sys/devices/system/node/possible", 1);
	fd = memcg_open_hierarchy(z, o->subtree);
	if (fd < 0) {
		*ret = z;
		return fd;
	}
	r = memcg_fs_walk(z, fd);
	if (r == 0)
		r = zombie_scan_link(z);
	if (r == 0 && o->no_bpf) {
		z->bpf_error = strdup("not asked for (--no-bpf)");
		if (!z->bpf_error)
			r = -ENOMEM;
	} else if (r == 0) {
		unsigned walks = MEMCG_WALK_TREE | (o->no_files ? 0 : MEMCG_WALK_CACHE) |
				 (o->inode_walk ? MEMCG_WALK_INODES : 0);
		int e = o->memcg_bpf_error;
		b = o->memcg_bpf;
		if (!e && !b && (e = memcg_bpf_open_once(&own)) == 0)
			b = own; /* for this scan alone */
		if (!e)
			e = memcg_bpf_collect(b, z, fd, walks);
		if (e < 0)
			b = NULL; /* no pins to name */
		if (e == -ENOMEM)
			r = e;
		else if (e < 0 && asprintf(&z->bpf_error, "%s", strerror(-e)) < 0)
			r = -ENOMEM;
		else if (e < 0)
			z->bpf_errno = -e;
		/* The kernel said no (not our privilege): counts from cgroupfs, and a gap says why. */
		if (r == 0 && privilege_bpf_refusal(z->bpf_errno))
			r = zombie_scan_add_gap(
				z, "zombie memory cgroups: BPF refused, no names or files", "bpf",
				z->bpf_errno);
	}
	if (r == 0)
		r = memcg_fs_account(z, fd);
	if (r == 0)
		r = memcg_name_files(b, z, o->named_files);
	memcg_bpf_free(own);
	close(fd);
	*ret = z;
	return r;
}

int scan_zombie_files(const ZombieOptions *o, ZombieScan *z)
{
	if (!o->memcg_bpf)
		return -EOPNOTSUPP;
	if (!z->used_bpf)
		return 0; /* no kernel view of the zombies: no pins to attribute */
	/* The LRU walk reaches the zombies through the css tree: open it again. */
	_cleanup_free_ char *path = NULL;
	int fd = -EBADF;
	if (z->mount && asprintf(&path, "%s%s", z->mount,
				 z->subtree && strcmp(z->subtree, "/") ? z->subtree : "") >= 0)
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = memcg_bpf_collect(o->memcg_bpf, z, fd,
				  MEMCG_WALK_CACHE | (o->inode_walk ? MEMCG_WALK_INODES : 0));
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return r;
	return memcg_name_files(o->memcg_bpf, z, o->named_files);
}
