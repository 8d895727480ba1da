// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every process and every reference it holds to a file: each fd, each file
 * mapping (through /proc/PID/map_files, so a mapping whose fd was closed is
 * still seen), cwd, root, exe and the cwd of threads that unshared theirs.
 * This is the hot path of a scan: one statx per reference, relative to a
 * directory fd, never a path walk and never a sync with a network server.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "collect.h"

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Iterate the entries of a directory fd with getdents64, skipping dot entries. */
typedef int (*dent_fn)(void *ctx, const char *name);

static int for_each_dent(int dfd, dent_fn fn, void *ctx)
{
	char buf[32768] __attribute__((aligned(8)));

	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			int r = fn(ctx, d->d_name);
			if (r < 0)
				return r;
		}
	}
}

typedef struct ProcCtx {
	Snapshot *s;
	const ScanOptions *o;
	uint32_t proc; /* index of the current process */
	pid_t pid;
	int dirfd; /* the directory being listed (fd/, map_files/, task/) */
	RefStat last_map; /* consecutive mappings of one file are one holder */
	RefStat cwd;
} ProcCtx;

static bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int add_holder(ProcCtx *c, HolderHow how, const RefStat *rs, int fd, int tid,
		      uint64_t map_start)
{
	Holder *h = snapshot_add_holder(c->s);
	if (!h)
		return -ENOMEM;
	h->proc = c->proc;
	h->how = (uint8_t)how;
	h->mnt_id = rs->mnt_id;
	h->dev = rs->dev;
	h->ino = rs->ino;
	h->st_mode = rs->mode;
	h->mount_root = rs->mount_root;
	h->fd = fd;
	h->tid = tid;
	h->map_start = map_start;
	return 0;
}

/*
 * A failed statx of one reference: vanished is silent, anything else a gap.
 * Permission is per process, not per reference: stop listing that directory
 * (-ECANCELED) so one gap counts one process.
 */
static int ref_gap(ProcCtx *c, const char *what, int r)
{
	if (errno_is_vanished(-r))
		return 0;
	snapshot_add_pid_gap(c->s, what, "statx", -r, c->pid);
	return r == -EACCES || r == -EPERM ? -ECANCELED : 0;
}

static int on_fd(void *ctx, const char *name)
{
	ProcCtx *c = ctx;
	RefStat rs;
	int r = ref_stat(c->dirfd, name, 0, &rs);
	if (r < 0)
		return ref_gap(c, "open files (/proc/PID/fd/N)", r);
	return add_holder(c, HOLD_FD, &rs, atoi(name), 0, 0);
}

static int on_map(void *ctx, const char *name)
{
	ProcCtx *c = ctx;
	uint64_t start, end;
	RefStat rs;

	if (parse_map_range(name, strlen(name), &start, &end) < 0)
		return 0;
	int r = ref_stat(c->dirfd, name, 0, &rs);
	if (r < 0)
		return ref_gap(c, "file mappings (/proc/PID/map_files)", r);
	/* A library is mapped several times in a row: one holder is enough. */
	if (rs.mnt_id == c->last_map.mnt_id && rs.ino == c->last_map.ino &&
	    rs.dev == c->last_map.dev)
		return 0;
	c->last_map = rs;
	return add_holder(c, HOLD_MMAP, &rs, -1, 0, start);
}

static int on_task(void *ctx, const char *name)
{
	ProcCtx *c = ctx;
	char path[64];
	RefStat rs;
	int tid = atoi(name);

	if (tid == c->pid)
		return 0;
	snprintf(path, sizeof(path), "%s/cwd", name);
	if (ref_stat(c->dirfd, path, 0, &rs) < 0)
		return 0;
	if (rs.mnt_id == c->cwd.mnt_id && rs.ino == c->cwd.ino)
		return 0; /* shares the process's fs_struct, as threads normally do */
	return add_holder(c, HOLD_CWD, &rs, -1, tid, 0);
}

static int scan_dir(ProcCtx *c, int piddirfd, const char *sub, dent_fn fn, const char *what)
{
	_cleanup_close_ int dfd = openat(piddirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (!errno_is_vanished(errno))
			snapshot_add_pid_gap(c->s, what, "open", errno, c->pid);
		return 0;
	}
	c->dirfd = dfd;
	int r = for_each_dent(dfd, fn, c);
	c->dirfd = -EBADF;
	if (r == -ENOMEM)
		return r;
	if (r < 0 && r != -ECANCELED && !errno_is_vanished(-r))
		snapshot_add_pid_gap(c->s, what, "getdents", -r, c->pid);
	return 0;
}

static int scan_links(ProcCtx *c, int piddirfd)
{
	static const struct {
		const char *name;
		HolderHow how;
	} links[] = { { "cwd", HOLD_CWD }, { "root", HOLD_ROOT }, { "exe", HOLD_EXE } };

	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		RefStat rs;
		int r = ref_stat(piddirfd, links[i].name, 0, &rs);
		if (r < 0) {
			/* Kernel threads have no exe; a zombie has none of these. */
			if (errno_is_vanished(-r))
				continue;
			snapshot_add_pid_gap(c->s, "cwd, root and exe (/proc/PID/…)", "statx", -r,
					     c->pid);
			if (r == -EACCES || r == -EPERM)
				return 0; /* one gap per process, not per link */
			continue;
		}
		if (links[i].how == HOLD_CWD)
			c->cwd = rs;
		r = add_holder(c, links[i].how, &rs, -1, 0, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int scan_process(Snapshot *s, const ScanOptions *o, int procfd, const char *name, bool self)
{
	_cleanup_close_ int dfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[4096];
	struct stat st;
	ssize_t n;
	int r;

	if (dfd < 0)
		return 0; /* vanished */
	Process *p = snapshot_add_process(s);
	if (!p)
		return -ENOMEM;
	p->pid = atoi(name);
	ProcCtx c = {
		.s = s, .o = o, .proc = (uint32_t)(s->n_procs - 1), .pid = p->pid, .dirfd = -EBADF
	};

	n = read_small_at(dfd, "comm", p->comm, sizeof(p->comm));
	if (n < 0) {
		s->n_procs--; /* gone before we could name it */
		return 0;
	}
	if (n > 0 && p->comm[n - 1] == '\n')
		p->comm[n - 1] = '\0';
	n = read_small_at(dfd, "cgroup", buf, sizeof(buf));
	if (n > 0) {
		r = parse_proc_cgroup(buf, (size_t)n, &p->cgroup);
		if (r == -ENOMEM)
			return r;
	}

	if (fstatat(dfd, "ns/mnt", &st, 0) == 0) {
		MountNs *ns;
		p->mntns_ino = st.st_ino;
		r = mount_ns_of_process(s, dfd, p->pid, st.st_ino, &ns);
		if (r == -ENOMEM)
			return r;
		if (r == 0) {
			p->mntns_id = ns->id;
			if (ns->nr_procs++ == 0)
				ns->pid = p->pid;
		} else if (!errno_is_vanished(-r)) {
			s->procs_ns_unknown++;
			snapshot_add_pid_gap(s, "process mount namespace (/proc/PID/ns/mnt)",
					     "open", -r, p->pid);
		}
	} else if (!errno_is_vanished(errno)) {
		s->procs_ns_unknown++;
		snapshot_add_pid_gap(s, "process mount namespace (/proc/PID/ns/mnt)", "stat", errno,
				     p->pid);
	}
	/* Our own references are the scan's transient state, not findings. */
	if (!o->want_orphans || self)
		return 0;

	r = scan_links(&c, dfd);
	if (r < 0)
		return r;
	r = scan_dir(&c, dfd, "fd", on_fd, "open files (/proc/PID/fd)");
	if (r < 0)
		return r;
	r = scan_dir(&c, dfd, "map_files", on_map, "file mappings (/proc/PID/map_files)");
	if (r < 0)
		return r;
	return scan_dir(&c, dfd, "task", on_task, "thread cwd (/proc/PID/task)");
}

typedef struct ProcWalk {
	Snapshot *s;
	const ScanOptions *o;
	int procfd;
	pid_t self;
} ProcWalk;

static int on_proc(void *ctx, const char *name)
{
	ProcWalk *w = ctx;
	if (!is_pid_name(name))
		return 0;
	return scan_process(w->s, w->o, w->procfd, name, atoi(name) == w->self);
}

int collect_processes(Snapshot *s, const ScanOptions *o)
{
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return snapshot_add_gap(s, "/proc", "open", errno);
	ProcWalk w = { s, o, procfd, getpid() };
	int r = for_each_dent(procfd, on_proc, &w);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return snapshot_add_gap(s, "/proc", "getdents", -r);
	return 0;
}
