// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which live processes map the files whose page cache pins zombies.  A
 * mapped page is one posix_fadvise(DONTNEED) leaves alone, so --release
 * must name the processes (pid, comm, cgroup) and, for --pageout-mapped,
 * know the address ranges of their mappings.  Only files the kernel view
 * found mapped pages in are looked for, in /proc/PID/maps by dev:inode (the
 * superblock's s_dev, which is what the walk recorded); map_files is not
 * needed.  A process that exits meanwhile is skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/array.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "collect/zombies.h"

typedef struct FileKey {
	uint64_t dev, ino;
} FileKey;

static int cmp_key(const void *a, const void *b)
{
	const FileKey *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

uint64_t proc_starttime_at(int dfd)
{
	char buf[1024];
	ssize_t n = read_small_at(dfd, "stat", buf, sizeof(buf));
	if (n <= 0)
		return 0;
	char *p = memrchr(buf, ')', (size_t)n);
	if (!p)
		return 0;
	/* ") S ppid ..." : state is field 3, starttime field 22. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static PinMapper *mapper_for(ZombieScan *z, size_t first, const FileKey *k, int pid)
{
	for (size_t i = first; i < z->n_mappers; i++)
		if (z->mappers[i].dev == k->dev && z->mappers[i].ino == k->ino)
			return &z->mappers[i];
	PinMapper *m = ARRAY_PUSH(z->mappers, z->n_mappers, z->cap_mappers);
	if (m) {
		m->dev = k->dev;
		m->ino = k->ino;
		m->pid = pid;
	}
	return m;
}

/* The mappings of one process; adds a PinMapper per wanted file it maps. */
static int scan_process(ZombieScan *z, int procfd, int pid, const FileKey *keys, size_t n_keys,
			int *ret_err)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", pid);
	_cleanup_close_ int dfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* gone */
	_cleanup_free_ char *maps = NULL;
	ssize_t len = read_all_at(dfd, "maps", &maps);
	if (len < 0) {
		if (len == -ENOMEM)
			return -ENOMEM;
		if (len != -ENOENT && len != -ESRCH && !*ret_err)
			*ret_err = (int)-len;
		return 0;
	}
	size_t pos = 0, first = z->n_mappers;
	MapsEntry e;
	int r;
	while ((r = parse_maps_next(maps, (size_t)len, &pos, &e)) != 0) {
		if (r < 0 || !e.ino)
			continue;
		FileKey k = { makedev(e.major, e.minor), e.ino };
		if (!bsearch(&k, keys, n_keys, sizeof(*keys), cmp_key))
			continue;
		PinMapper *m = mapper_for(z, first, &k, pid);
		if (!m)
			return -ENOMEM;
		uint64_t *rg = realloc(m->ranges, (m->n_ranges + 1) * 2 * sizeof(*rg));
		if (!rg)
			return -ENOMEM;
		m->ranges = rg;
		rg[m->n_ranges * 2] = e.start;
		rg[m->n_ranges * 2 + 1] = e.end;
		m->n_ranges++;
	}
	if (first == z->n_mappers)
		return 0;
	/* Who it is, once, for each of its records. */
	char comm[16] = "", buf[4096];
	ssize_t n = read_small_at(dfd, "comm", comm, sizeof(comm));
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	uint64_t start = proc_starttime_at(dfd);
	_cleanup_free_ char *cgroup = NULL;
	n = read_small_at(dfd, "cgroup", buf, sizeof(buf));
	if (n > 0 && parse_proc_cgroup(buf, (size_t)n, &cgroup) == -ENOMEM)
		return -ENOMEM;
	for (size_t i = first; i < z->n_mappers; i++) {
		PinMapper *m = &z->mappers[i];
		memcpy(m->comm, comm, sizeof(m->comm));
		m->starttime = start;
		if (cgroup && !(m->cgroup = strdup(cgroup)))
			return -ENOMEM;
	}
	return 0;
}

int memcg_find_mappers(ZombieScan *z)
{
	_cleanup_free_ FileKey *keys = NULL;
	size_t n = 0;

	for (size_t i = 0; i < z->n_pins; i++)
		if (z->pins[i].mapped_pages)
			n++;
	if (!n)
		return 0;
	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < z->n_pins; i++)
		if (z->pins[i].mapped_pages)
			keys[n++] = (FileKey){ z->pins[i].dev, z->pins[i].ino };
	qsort(keys, n, sizeof(*keys), cmp_key);

	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return zombie_scan_add_gap(z, "/proc (processes that map pinning files)", "open",
					   errno);
	DIR *d = fdopendir(dup(procfd));
	if (!d)
		return errno == ENOMEM ? -ENOMEM :
					 zombie_scan_add_gap(z, "/proc", "opendir", errno);
	int self = getpid(), err = 0, r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		r = scan_process(z, procfd, (int)pid, keys, n, &err);
	}
	closedir(d);
	if (r == 0 && err)
		r = zombie_scan_add_gap(z, "/proc/PID/maps (processes that map pinning files)",
					"read", err);
	return r;
}
