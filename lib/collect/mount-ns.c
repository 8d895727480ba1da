// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mount namespaces and their mounts.  The nsfs walk (NS_MNT_GET_PREV/NEXT,
 * 6.12) finds every namespace, including those no process is in; listmount
 * (6.8, foreign namespaces by id since 6.11) lists each one's mount ids.
 * Without them, namespaces are found through /proc/PID/ns/mnt during the
 * process scan and listed from /proc/PID/mountinfo; then every id in the
 * snapshot is the old 32-bit one, which is what mountinfo and STATX_MNT_ID
 * agree on.  Also the second, rarer pass: the superblock of every mounted
 * filesystem (is an unattached superblock mounted elsewhere?), nsfs bind
 * mounts (who keeps a process-less namespace) and the tmpfs bytes in a
 * process-less namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/array.h"
#include "base/compat.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "collect.h"

#define LISTMOUNT_BATCH 1024
#define STATMOUNT_BUF (64 * 1024)

static int ns_get_info(int nsfd, unsigned long req, struct rs_mnt_ns_info *info)
{
	*info = (struct rs_mnt_ns_info){ .size = sizeof(*info) };
	int r = ioctl(nsfd, req, info);
	return r < 0 ? -errno : r;
}

/* listmount(2) of a whole namespace into ns->mnt_ids and the live set. */
static int list_ns_listmount(Snapshot *s, MountNs *ns)
{
	uint64_t ids[LISTMOUNT_BATCH];
	struct rs_mnt_id_req req = {
		.size = RS_MNT_ID_REQ_SIZE_VER1,
		.mnt_id = RS_LSMT_ROOT,
		.mnt_ns_id = ns->id,
	};
	size_t cap = ns->n_mnt_ids;

	ns->n_mnt_ids = 0;
	for (;;) {
		long n = rs_listmount(&req, ids, ARRAY_SIZE(ids), 0);
		s->reads.listmount++;
		if (n < 0)
			return -errno;
		for (long i = 0; i < n; i++) {
			uint64_t *slot = ARRAY_PUSH(ns->mnt_ids, ns->n_mnt_ids, cap);
			if (!slot ||
			    (!s->live_mnt_ids_deferred && u64set_add(&s->live_mnt_ids, ids[i]) < 0))
				return -ENOMEM;
			*slot = ids[i];
		}
		if ((size_t)n < ARRAY_SIZE(ids))
			break;
		req.param = ids[n - 1];
	}
	ns->listed = true;
	return 0;
}

/*
 * A superblock mounted in @ns.  Which namespaces have processes is known
 * only after the process scan, which the details may run before (a
 * one-shot scan reads them while its BPF programs load): the devices of
 * namespaces with processes are gathered later, by fill_peopled_devs().
 */
static int add_dev(Snapshot *s, MountNs *ns, uint64_t mnt_id, uint64_t dev, const char *fstype,
		   uint64_t magic)
{
	if ((fstype && (!strcmp(fstype, "btrfs") || !strcmp(fstype, "bcachefs"))) ||
	    magic == RS_BTRFS_MAGIC || magic == RS_BCACHEFS_MAGIC)
		s->live_devs_inexact = true;
	struct MountDev *slot = ARRAY_PUSH(ns->devs, ns->n_devs, ns->cap_devs);
	if (!slot)
		return -ENOMEM;
	*slot = (struct MountDev){ dev, mnt_id };
	return u64set_add(&s->live_devs, dev) < 0 ? -ENOMEM : 0;
}

static int fill_peopled_devs(Snapshot *s)
{
	for (size_t i = 0; i < s->n_nss; i++)
		for (size_t j = 0; s->nss[i].nr_procs && j < s->nss[i].n_devs; j++)
			if (u64set_add(&s->peopled_devs, s->nss[i].devs[j].dev) < 0)
				return -ENOMEM;
	return 0;
}

/*
 * /proc/PID/mountinfo of a process in the namespace: the fallback listing,
 * and with @details also live devices and nsfs bind mounts.
 */
static int list_ns_mountinfo(Snapshot *s, MountNs *ns, int piddirfd, bool details)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t len = read_all_at(piddirfd, "mountinfo", &buf);
	size_t cap = ns->n_mnt_ids;

	s->reads.mountinfo++;
	if (len < 0)
		return (int)len;
	if (!details)
		ns->n_mnt_ids = 0;
	for (char *line = buf; line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
		MountinfoEntry e;
		char *next = line + ll + 1;

		if (parse_mountinfo_line(line, ll, &e) == 0) {
			if (!details) {
				uint64_t *slot = ARRAY_PUSH(ns->mnt_ids, ns->n_mnt_ids, cap);
				if (!slot || (!s->live_mnt_ids_deferred &&
					      u64set_add(&s->live_mnt_ids, e.mnt_id) < 0))
					return -ENOMEM;
				*slot = e.mnt_id;
			} else {
				if (add_dev(s, ns, e.mnt_id, makedev(e.major, e.minor), e.fstype,
					    0) < 0)
					return -ENOMEM;
				uint64_t ino;
				if (strcmp(e.fstype, "nsfs") == 0 &&
				    parse_ns_link(e.root, strlen(e.root), "mnt", &ino) == 0) {
					NsBind *b = ARRAY_PUSH(s->nsbinds, s->n_nsbinds,
							       s->cap_nsbinds);
					if (!b || !(b->path = strdup(e.mount_point)))
						return -ENOMEM;
					b->in_ns_id = ns->id;
					b->target_ino = ino;
					b->mnt_id = e.mnt_id;
				}
			}
		}
		line = next;
	}
	ns->listed = true;
	return 0;
}

static MountNs *add_ns(Snapshot *s, uint64_t id, uint64_t ino, uint32_t nr_mounts)
{
	MountNs *ns = snapshot_add_ns(s);
	if (!ns)
		return NULL;
	ns->id = id;
	ns->ino = ino;
	ns->nr_mounts = nr_mounts;
	return ns;
}

/* @list: list its mounts now (orphan detection needs every namespace's, the census none). */
static int add_walked_ns(Snapshot *s, int nsfd, const struct rs_mnt_ns_info *info, bool list)
{
	struct stat st;
	if (fstat(nsfd, &st) < 0)
		return -errno;
	if (snapshot_find_ns(s, info->mnt_ns_id))
		return 0;
	MountNs *ns = add_ns(s, info->mnt_ns_id, st.st_ino, info->nr_mounts);
	if (!ns)
		return -ENOMEM;
	if (!list)
		return 0;
	int r = list_ns_listmount(s, ns);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && !errno_is_vanished(-r))
		return snapshot_add_gap(s, "mount namespace mounts", "listmount", -r);
	return 0;
}

/*
 * Steps each way before the walk gives up: a bound against a list that
 * changes under it, far above what a host holds (user.max_mnt_namespaces is
 * 96 369 per user namespace on a 24 GiB host).  Reaching it is an error, so
 * that namespaces past it are a gap, not silently missing.
 */
#define NS_WALK_MAX (1u << 20)

/*
 * Walk every mount namespace from ours: PREV to the oldest, NEXT to the
 * newest.  Each step returns a new nsfs fd for the neighbour.
 */
static int walk_namespaces(Snapshot *s, int selffd,
			   int (*visit)(Snapshot *, int, const struct rs_mnt_ns_info *, void *),
			   void *userdata)
{
	static const unsigned long dirs[] = { RS_NS_MNT_GET_PREV, RS_NS_MNT_GET_NEXT };

	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		_cleanup_close_ int cur = fcntl(selffd, F_DUPFD_CLOEXEC, 3);
		if (cur < 0)
			return -errno;
		for (unsigned steps = 0;; steps++) {
			struct rs_mnt_ns_info info;
			if (steps == NS_WALK_MAX)
				return -EOVERFLOW;
			int next = ns_get_info(cur, dirs[d], &info);
			if (next == -ENOENT)
				break;
			if (next < 0)
				return next;
			closep(&cur);
			cur = next;
			int r = visit(s, cur, &info, userdata);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int visit_add(Snapshot *s, int nsfd, const struct rs_mnt_ns_info *info, void *userdata)
{
	(void)userdata;
	const ScanOptions *o = userdata;
	return add_walked_ns(s, nsfd, info, !o || o->want_orphans);
}

int collect_mount_namespaces(Snapshot *s, const ScanOptions *o)
{
	_cleanup_close_ int self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	struct rs_mnt_ns_info info;
	int r;

	if (self < 0)
		return snapshot_add_gap(s, "own mount namespace", "open", errno);
	/* What the BPF tier must read for our own task (refs-decode.h), in either tier. */
	struct stat st;
	if (fstat(self, &st) == 0)
		s->self_mntns_ino = st.st_ino;
	if (o->force_fallback || ns_get_info(self, RS_NS_MNT_GET_INFO, &info) < 0)
		return 0; /* namespaces are found by the process scan */

	s->self_mntns_id = info.mnt_ns_id;
	r = add_walked_ns(s, self, &info, true); /* ours: does listmount by namespace id work? */
	if (r < 0)
		return r;
	if (!s->nss[0].listed)
		return 0; /* no listmount by namespace id: ids would not match; use /proc */
	s->has_listmount = true;
	r = walk_namespaces(s, self, visit_add, (void *)o);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* EPERM without CAP_SYS_ADMIN: the process scan still finds the rest. */
		snapshot_add_gap(s, "mount namespace walk", "NS_MNT_GET_NEXT", -r);
		return 0;
	}
	s->ns_walk = true;
	return 0;
}

int mount_ns_list(Snapshot *s, MountNs *ns)
{
	return list_ns_listmount(s, ns);
}

int mount_ns_of_process(Snapshot *s, int piddirfd, pid_t pid, uint64_t ino, MountNs **ret)
{
	MountNs *ns = snapshot_find_ns_by_ino(s, ino);
	uint64_t id = 0;
	int r;

	if (ns) {
		*ret = ns;
		return 0;
	}
	/* New to us: created after the walk, or the walk is unavailable. */
	_cleanup_close_ int nsfd = openat(piddirfd, "ns/mnt", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -errno;
	bool by_ino = ioctl(nsfd, RS_NS_GET_MNTNS_ID, &id) < 0;
	if (by_ino)
		id = ino; /* before 6.11 the inode is all there is */
	ns = add_ns(s, id, ino, 0);
	if (!ns)
		return -ENOMEM;
	ns->id_is_ino = by_ino;
	if (s->has_listmount)
		r = list_ns_listmount(s, ns);
	else
		r = list_ns_mountinfo(s, ns, piddirfd, false);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && !errno_is_vanished(-r))
		snapshot_add_pid_gap(s, "mount table of a namespace", "listmount", -r, pid);
	ns->nr_mounts = (uint32_t)ns->n_mnt_ids;
	*ret = ns;
	return 0;
}

/* statmount(2) of one mount of a namespace into @buf. */
static int statmount_one(Snapshot *s, uint64_t ns_id, uint64_t mnt_id, uint64_t mask,
			 struct rs_statmount *buf)
{
	struct rs_mnt_id_req req = {
		.size = RS_MNT_ID_REQ_SIZE_VER1,
		.mnt_id = mnt_id,
		.param = mask,
		.mnt_ns_id = ns_id,
	};
	s->reads.statmount++;
	if (rs_statmount(&req, buf, STATMOUNT_BUF, 0) < 0)
		return -errno;
	return 0;
}

/* @binds: also nsfs bind mounts (not when the walk names them). */
static int details_statmount(Snapshot *s, MountNs *ns, struct rs_statmount *sm, bool binds)
{
	ns->dev_ids_unique = true;
	for (size_t i = 0; i < ns->n_mnt_ids; i++) {
		int r = statmount_one(s, ns->id, ns->mnt_ids[i], RS_STATMOUNT_SB_BASIC, sm);
		if (r < 0) {
			if (!errno_is_vanished(-r))
				snapshot_add_gap(s, "mount details", "statmount", -r);
			continue;
		}
		if (add_dev(s, ns, ns->mnt_ids[i], makedev(sm->sb_dev_major, sm->sb_dev_minor),
			    NULL, sm->sb_magic) < 0)
			return -ENOMEM;
		if (!binds || sm->sb_magic != RS_NSFS_MAGIC)
			continue;
		if (statmount_one(s, ns->id, ns->mnt_ids[i],
				  RS_STATMOUNT_MNT_ROOT | RS_STATMOUNT_MNT_POINT, sm) < 0)
			continue;
		const char *root, *point;
		uint64_t ino;
		if (statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_MNT_ROOT, sm->mnt_root,
				     &root) < 0 ||
		    statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_MNT_POINT, sm->mnt_point,
				     &point) < 0 ||
		    parse_ns_link(root, strlen(root), "mnt", &ino) < 0)
			continue;
		NsBind *b = ARRAY_PUSH(s->nsbinds, s->n_nsbinds, s->cap_nsbinds);
		if (!b || !(b->path = strdup(point)))
			return -ENOMEM;
		b->in_ns_id = ns->id;
		b->target_ino = ino;
		b->mnt_id = ns->mnt_ids[i];
	}
	return 0;
}

/* The same from the census's table of @ns, without a system call. */
static int details_from_table(Snapshot *s, MountNs *ns)
{
	ns->dev_ids_unique = s->has_listmount && ns->table_bytes == 0; /* read with statmount */
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const MountEntry *e = &ns->mounts[i];
		uint64_t ino;
		if (add_dev(s, ns, e->id, e->dev, e->fstype, 0) < 0)
			return -ENOMEM;
		if (strcmp(e->fstype, "nsfs") != 0 ||
		    parse_ns_link(e->root, strlen(e->root), "mnt", &ino) < 0)
			continue;
		NsBind *b = ARRAY_PUSH(s->nsbinds, s->n_nsbinds, s->cap_nsbinds);
		if (!b || !(b->path = strdup(e->point)))
			return -ENOMEM;
		b->in_ns_id = ns->id;
		b->target_ino = ino;
		b->mnt_id = e->id;
	}
	return 0;
}

/*
 * The same from the BPF superblock walk, which met every superblock and
 * every mount of it: which are mounted, and in namespaces with a process
 * (ns_inos; a namespace the scan does not know, or more than the walk
 * recorded, count as peopled, so that nothing is called pinned by a
 * process-less namespace alone on a guess); where nsfs files are bound.
 * Only process-less namespaces, whose filesystems are listed, and the few
 * bind mounts of mount namespaces are asked of statmount: at 1 000
 * namespaces that is a dozen calls instead of 30 000.  Needs the process
 * scan's member counts.
 */
static int details_from_walk(Snapshot *s, struct rs_statmount *sm)
{
	for (size_t i = 0; i < s->n_ksbs; i++) {
		const KernelSb *k = &s->ksbs[i];
		if (!k->attached && !k->anon)
			continue;
		if (k->magic == RS_BTRFS_MAGIC || k->magic == RS_BCACHEFS_MAGIC)
			s->live_devs_inexact = true;
		if (u64set_add(&s->live_devs, k->dev) < 0)
			return -ENOMEM;
		bool peopled = k->ns_more;
		for (size_t j = 0; j < k->n_ns && !peopled; j++) {
			const MountNs *ns = snapshot_find_ns_by_ino(s, k->ns_inos[j]);
			peopled = !ns || ns->nr_procs > 0;
		}
		if (peopled && u64set_add(&s->peopled_devs, k->dev) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < s->n_nss; i++) {
		MountNs *ns = &s->nss[i];
		if (ns->nr_procs == 0 && ns->listed) {
			int r = details_statmount(s, ns, sm, false);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < s->n_knsbinds; i++) {
		const KernelNsBind *k = &s->knsbinds[i];
		const MountNs *in = snapshot_find_ns_by_ino(s, k->ns_ino);
		const char *point;
		if (!in || !snapshot_find_ns_by_ino(s, k->target_ino))
			continue; /* not a mount namespace's file, or bound in one born after the walk */
		if (statmount_one(s, in->id, k->mnt_id, RS_STATMOUNT_MNT_POINT, sm) < 0 ||
		    statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_MNT_POINT, sm->mnt_point,
				     &point) < 0)
			continue; /* unmounted since */
		NsBind *b = ARRAY_PUSH(s->nsbinds, s->n_nsbinds, s->cap_nsbinds);
		if (!b || !(b->path = strdup(point)))
			return -ENOMEM;
		b->in_ns_id = in->id;
		b->target_ino = k->target_ino;
		b->mnt_id = k->mnt_id;
	}
	return 0;
}

int collect_mount_details(Snapshot *s, const ScanOptions *o)
{
	_cleanup_free_ struct rs_statmount *sm = NULL;
	(void)o;

	if (s->live_devs_known)
		return 0;
	if (s->knsbinds_complete && s->has_listmount) {
		if (!(sm = malloc(STATMOUNT_BUF)))
			return -ENOMEM;
		int r = details_from_walk(s, sm);
		if (r < 0)
			return r;
		s->live_devs_known = true;
		return 0;
	}
	for (size_t i = 0; i < s->n_nss; i++) {
		MountNs *ns = &s->nss[i];
		int r = 0;
		/* A chrooted representative's mountinfo shows part of the table: then statmount. */
		if (ns->table_read && (!ns->listed || ns->n_mounts == ns->n_mnt_ids)) {
			r = details_from_table(s, ns);
		} else if (s->has_listmount) {
			if (!sm && !(sm = malloc(STATMOUNT_BUF)))
				return -ENOMEM;
			r = details_statmount(s, ns, sm, true);
		} else if (ns->pid > 0) {
			char path[32];
			snprintf(path, sizeof(path), "/proc/%d", ns->pid);
			_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			r = dfd < 0 ? -errno : list_ns_mountinfo(s, ns, dfd, true);
			if (r < 0 && r != -ENOMEM) {
				if (!errno_is_vanished(-r))
					snapshot_add_pid_gap(s, "mount details", "read mountinfo",
							     -r, ns->pid);
				r = 0;
			}
		}
		if (r < 0)
			return r;
	}
	s->live_devs_known = true;
	return 0;
}

/*
 * May task @name of directory @dirfd (/proc, or a process's task/), just
 * seen in a namespace, count as its member?  Not when it is a residue
 * namespace probe, nor when it is gone: a probe names itself before it
 * enters a namespace, so one seen inside has that name until it exits,
 * and an exit between the two reads must not make it a member.
 */
static bool task_is_member(int dirfd, const char *name)
{
	char path[64], comm[32];
	snprintf(path, sizeof(path), "%s/comm", name);
	ssize_t n = read_small_at(dirfd, path, comm, sizeof(comm));
	if (n <= 0)
		return false;
	if (comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	return strcmp(comm, NSPROBE_COMM) != 0;
}

/*
 * Call @fn with the mount namespace of every task of the host, threads
 * included: @tasks is the task directory of its process, @tid its entry
 * there.  Stops at the first error @fn returns.
 */
typedef int (*task_ns_fn)(Snapshot *s, int tasks, const char *tid, uint64_t ino, void *userdata);

static int for_each_task_mntns(Snapshot *s, task_ns_fn fn, void *userdata)
{
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = procfd >= 0 ? fdopendir(fcntl(procfd, F_DUPFD_CLOEXEC, 3)) : NULL;
	int r = 0;

	if (!d)
		return 0;
	for (struct dirent *de; r >= 0 && (de = readdir(d));) {
		char path[300], link[64];
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/task", de->d_name);
		int tfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *t = tfd >= 0 ? fdopendir(tfd) : NULL;
		if (!t) {
			if (tfd >= 0)
				close(tfd);
			continue; /* gone */
		}
		for (struct dirent *te; r >= 0 && (te = readdir(t));) {
			uint64_t ino;
			if (te->d_name[0] < '1' || te->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/ns/mnt", te->d_name);
			ssize_t n = readlinkat(dirfd(t), path, link, sizeof(link) - 1);
			if (n > 0 && parse_ns_link(link, (size_t)n, "mnt", &ino) == 0)
				r = fn(s, dirfd(t), te->d_name, ino, userdata);
		}
		closedir(t);
	}
	closedir(d);
	return r;
}

typedef struct DevLookup {
	uint64_t dev;
	U64Set seen; /* namespaces already read, by nsfs inode */
	bool found;
} DevLookup;

static int mounted_in_task(Snapshot *s, int tasks, const char *tid, uint64_t ino, void *userdata)
{
	DevLookup *d = userdata;
	_cleanup_free_ char *buf = NULL;
	char path[64];
	(void)s;

	if (d->found || u64set_contains(&d->seen, ino))
		return 0;
	if (u64set_add(&d->seen, ino) < 0)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/mountinfo", tid);
	ssize_t len = read_all_at(tasks, path, &buf);
	if (len == -ENOMEM)
		return -ENOMEM;
	for (char *line = buf; len > 0 && line < buf + len && !d->found;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
		MountinfoEntry e;
		d->found = parse_mountinfo_line(line, ll, &e) == 0 &&
			   makedev(e.major, e.minor) == d->dev;
		line += ll + 1;
	}
	return 0;
}

int dev_mounted_now(Snapshot *s, uint64_t dev)
{
	DevLookup d = { .dev = dev };

	int r = for_each_task_mntns(s, mounted_in_task, &d);
	u64set_done(&d.seen);
	return r < 0 ? r : d.found;
}

/*
 * Without the namespace walk, namespaces are what processes' ns/mnt name:
 * one that only a thread is in (unshare(CLONE_FS | CLONE_NEWNS) in it) is
 * missed, and a file held on one of its mounts would look like an orphan's.
 * Add it, with that thread as its member, and its mounts.
 */
static int add_thread_ns(Snapshot *s, int tasks, const char *tid, uint64_t ino, void *userdata)
{
	(void)userdata;
	MountNs *ns;

	if (snapshot_find_ns_by_ino(s, ino))
		return 0;
	_cleanup_close_ int fd = openat(tasks, tid, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* gone */
	int r = mount_ns_of_process(s, fd, (pid_t)atoi(tid), ino, &ns);
	if (r == -ENOMEM)
		return r;
	if (r == 0 && ns->nr_procs == 0 && task_is_member(tasks, tid)) {
		ns->nr_procs = 1;
		ns->pid = (pid_t)atoi(tid);
	}
	return 0;
}

/* Re-list every namespace; any unattached holder whose mount appears now was attached after all. */
int collect_recheck_unattached(Snapshot *s, const ScanOptions *o)
{
	size_t n = s->n_nss;

	for (size_t i = 0; i < n; i++) {
		MountNs *ns = &s->nss[i];
		if (!ns->listed)
			continue;
		int r = 0;
		if (s->has_listmount) {
			r = list_ns_listmount(s, ns);
		} else if (ns->pid > 0) {
			char path[32];
			snprintf(path, sizeof(path), "/proc/%d", ns->pid);
			_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0)
				r = list_ns_mountinfo(s, ns, dfd, false);
		}
		if (r == -ENOMEM)
			return r;
	}
	/* Namespaces created while we scanned: walk again, adding what is new. */
	if (s->ns_walk && !o->force_fallback) {
		_cleanup_close_ int self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
		if (self >= 0) {
			int r = walk_namespaces(s, self, visit_add, NULL);
			if (r == -ENOMEM)
				return r;
		}
		return 0;
	}
	return for_each_task_mntns(s, add_thread_ns, NULL);
}

/* ---- bytes held in the tmpfs mounts of a process-less namespace ---- */

/*
 * A process-less namespace's tmpfs bytes are read from inside it: a child
 * enters each namespace in turn (setns needs a single-threaded caller, and
 * a path through a hung filesystem must not hang us: the child has
 * alarm(2) and is SIGKILLed if late) and statfs()es each tmpfs mount point,
 * checked to be the mount listmount named.  One child per scan, whatever the
 * number of such namespaces: a fork of a large agent costs milliseconds.
 */
typedef struct TmpfsMount {
	uint64_t mnt_id;
	char *point;
	size_t kept; /* index into MountNs.kept: its superblock */
} TmpfsMount;

typedef struct TmpfsJob {
	MountNs *ns;
	int nsfd;
	TmpfsMount *m;
	size_t n, cap;
} TmpfsJob;

/* From the child: the bytes of one mount of job @job, or (mnt_id 0) "job done". */
typedef struct TmpfsResult {
	uint32_t job;
	uint64_t mnt_id;
	uint64_t bytes;
} TmpfsResult;

/*
 * The child shares our memory (vfork): it writes its results into @out,
 * which has room for every mount of every job and one "done" per job, and
 * we read them once it has exited.  We are suspended meanwhile: alarm(2)
 * bounds that, a path through a hung filesystem kills it, not us.  It only
 * makes system calls and writes @out; errno is ours while it runs, and we
 * read nothing from errno across the call.
 */
static _Noreturn void tmpfs_child(const TmpfsJob *jobs, size_t n_jobs, TmpfsResult *out,
				  volatile size_t *n_out)
{
	alarm(2);
	(void)prctl(PR_SET_NAME, NSPROBE_COMM);
	for (size_t j = 0; j < n_jobs; j++) {
		const TmpfsJob *job = &jobs[j];
		if (setns(job->nsfd, CLONE_NEWNS) < 0)
			_exit(1);
		for (size_t i = 0; i < job->n; i++) {
			int fd = open(job->m[i].point, O_PATH | O_DIRECTORY | O_CLOEXEC);
			RefStat rs;
			struct statfs sf;
			if (fd >= 0 && ref_stat(fd, "", AT_EMPTY_PATH, &rs) == 0 &&
			    rs.mnt_id == job->m[i].mnt_id && fstatfs(fd, &sf) == 0)
				out[(*n_out)++] =
					(TmpfsResult){ (uint32_t)j, job->m[i].mnt_id,
						       (uint64_t)(sf.f_blocks - sf.f_bfree) *
							       (uint64_t)sf.f_bsize };
			if (fd >= 0)
				close(fd);
		}
		out[(*n_out)++] = (TmpfsResult){ (uint32_t)j, 0, 0 };
	}
	_exit(0);
}

static void kept_clear(MountNs *ns)
{
	for (size_t i = 0; i < ns->n_kept; i++)
		free(ns->kept[i].point);
	ns->n_kept = 0;
	ns->kept_known = false;
	ns->tmpfs_mounts = 0;
}

/*
 * One mount of @job's namespace.  A superblock no namespace with a process
 * mounts is one the namespace keeps (the first mount point names it); of
 * those, each tmpfs mount is measured from inside.  Kernel-internal
 * filesystems (an nsfs bind) live without any namespace: never kept.
 */
static int job_add_mount(Snapshot *s, TmpfsJob *job, uint64_t mnt_id, uint64_t dev,
			 const char *fstype, bool internal, const char *point)
{
	MountNs *ns = job->ns;
	size_t k = 0;

	if (internal || u64set_contains(&s->peopled_devs, dev))
		return 0;
	while (k < ns->n_kept && ns->kept[k].dev != dev)
		k++;
	if (k == ns->n_kept) {
		KeptFs *f = ARRAY_PUSH(ns->kept, ns->n_kept, ns->cap_kept);
		if (!f)
			return -ENOMEM;
		*f = (KeptFs){ .dev = dev, .point = strdup(point) }; /* the slot may be reused */
		if (!f->point)
			return -ENOMEM;
		snprintf(f->fstype, sizeof(f->fstype), "%s", fstype);
	}
	if (strcmp(fstype, "tmpfs") != 0)
		return 0;
	TmpfsMount *t = ARRAY_PUSH(job->m, job->n, job->cap);
	if (!t || !(t->point = strdup(point)))
		return -ENOMEM;
	t->mnt_id = mnt_id;
	t->kept = k;
	ns->tmpfs_mounts++;
	return 0;
}

/* statmount of one mount of @job's namespace for its type and mount point, then job_add_mount. */
static int job_statmount(Snapshot *s, TmpfsJob *job, uint64_t mnt_id, struct rs_statmount *sm)
{
	const char *point, *fstype;
	if (statmount_one(s, job->ns->id, mnt_id,
			  RS_STATMOUNT_SB_BASIC | RS_STATMOUNT_MNT_POINT | RS_STATMOUNT_FS_TYPE,
			  sm) < 0 ||
	    statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_MNT_POINT, sm->mnt_point, &point) < 0)
		return 0;
	if (statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_FS_TYPE, sm->fs_type, &fstype) < 0)
		fstype = fs_magic_name(sm->sb_magic);
	return job_add_mount(s, job, mnt_id, makedev(sm->sb_dev_major, sm->sb_dev_minor), fstype,
			     fs_magic_is_internal(sm->sb_magic), point);
}

/*
 * What @ns alone keeps, and its tmpfs mounts to measure.  From the census's
 * table when this scan read one (a process-less namespace's is read with
 * statmount, so its ids are the unique ones the child compares); else the
 * details already say each mount's superblock, and only the mounts of
 * superblocks no namespace with a process mounts are asked for their type
 * and mount point; else one statmount per mount.
 */
static int tmpfs_job(Snapshot *s, TmpfsJob *job, struct rs_statmount *sm)
{
	MountNs *ns = job->ns;
	int r = 0;

	kept_clear(ns);
	if (ns->table_read && ns->table_bytes == 0 && ns->n_mounts == ns->n_mnt_ids) {
		for (size_t i = 0; r >= 0 && i < ns->n_mounts; i++) {
			const MountEntry *e = &ns->mounts[i];
			r = job_add_mount(s, job, e->id, e->dev, e->fstype,
					  strcmp(e->fstype, "nsfs") == 0, e->point);
		}
		ns->kept_known = r >= 0;
		return r;
	}
	if (s->live_devs_known && ns->dev_ids_unique) {
		for (size_t i = 0; r >= 0 && i < ns->n_devs; i++)
			if (!u64set_contains(&s->peopled_devs, ns->devs[i].dev))
				r = job_statmount(s, job, ns->devs[i].mnt_id, sm);
		ns->kept_known = r >= 0;
		return r;
	}
	for (size_t i = 0; r >= 0 && i < ns->n_mnt_ids; i++)
		r = job_statmount(s, job, ns->mnt_ids[i], sm);
	ns->kept_known = r >= 0;
	return r;
}

/* Run the child over every job and add up what it reports. */
/*
 * A fork of a large agent copies its page tables: vfork copies nothing.  In
 * a function of its own, so that no variable of the caller lives across it;
 * the child never returns from here.
 */
static __attribute__((noinline)) pid_t spawn_tmpfs_child(const TmpfsJob *jobs, size_t n_jobs,
							 TmpfsResult *out, volatile size_t *n_out)
{
	pid_t child = vfork();
	if (child == 0)
		tmpfs_child(jobs, n_jobs, out, n_out);
	return child;
}

static int run_tmpfs_jobs(Snapshot *s, TmpfsJob *jobs, size_t n_jobs)
{
	size_t room = n_jobs;
	/* volatile: the compiler must not assume the child leaves it 0 (its branch never returns). */
	volatile size_t n_out = 0;
	int status = 0;

	for (size_t j = 0; j < n_jobs; j++)
		room += jobs[j].n;
	_cleanup_free_ TmpfsResult *out = calloc(room, sizeof(*out));
	if (!out)
		return -ENOMEM;
	pid_t child = spawn_tmpfs_child(jobs, n_jobs, out, &n_out);
	if (child < 0)
		return -errno;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	for (size_t k = 0; k < n_out && k < room; k++) {
		const TmpfsResult *res = &out[k];
		if (res->job >= n_jobs)
			break;
		const TmpfsJob *job = &jobs[res->job];
		MountNs *ns = job->ns;
		if (!res->mnt_id) {
			ns->tmpfs_known = true;
			continue;
		}
		/* Superblocks seen twice (bind mounts of one tmpfs) count once per namespace. */
		for (size_t i = 0; i < job->n; i++) {
			KeptFs *f = &ns->kept[job->m[i].kept];
			if (job->m[i].mnt_id != res->mnt_id || f->bytes_known)
				continue;
			f->bytes_known = true;
			f->bytes = res->bytes;
			ns->tmpfs_bytes += res->bytes;
			break;
		}
	}
	for (size_t j = 0; j < n_jobs; j++) {
		if (!jobs[j].ns->tmpfs_known) {
			jobs[j].ns->tmpfs_bytes = 0;
			for (size_t k = 0; k < jobs[j].ns->n_kept; k++)
				jobs[j].ns->kept[k].bytes_known = false;
			snapshot_add_gap(s, "tmpfs bytes of a process-less namespace", "setns",
					 EIO);
		}
	}
	return 0;
}

typedef struct TmpfsWalk {
	struct rs_statmount *sm;
	TmpfsJob *jobs;
	size_t n, cap;
} TmpfsWalk;

/*
 * Jobs are measured TMPFS_JOBS_MAX at a time: each holds an nsfs fd, and a
 * host with thousands of process-less namespaces would otherwise run out of
 * descriptors at the soft RLIMIT_NOFILE of 1 024 a service gets by default
 * (every namespace's bytes were then unknown, with no gap saying why).
 */
#define TMPFS_JOBS_MAX 256

static void tmpfs_jobs_clear(TmpfsWalk *w)
{
	for (size_t j = 0; j < w->n; j++) {
		safe_close(w->jobs[j].nsfd);
		for (size_t i = 0; i < w->jobs[j].n; i++)
			free(w->jobs[j].m[i].point);
		free(w->jobs[j].m);
	}
	w->n = 0;
}

/* Measure the jobs gathered so far and let go of their nsfs fds. */
static int tmpfs_jobs_flush(Snapshot *s, TmpfsWalk *w)
{
	size_t keep = 0;
	int r = 0;

	/* Namespaces with nothing to measure are known at once: zero bytes. */
	for (size_t j = 0; j < w->n; j++) {
		if (w->jobs[j].n == 0) {
			w->jobs[j].ns->tmpfs_known = true;
			safe_close(w->jobs[j].nsfd);
			free(w->jobs[j].m);
			continue;
		}
		w->jobs[keep++] = w->jobs[j];
	}
	w->n = keep;
	if (w->n)
		r = run_tmpfs_jobs(s, w->jobs, w->n);
	tmpfs_jobs_clear(w);
	return r;
}

static int visit_tmpfs(Snapshot *s, int nsfd, const struct rs_mnt_ns_info *info, void *userdata)
{
	TmpfsWalk *w = userdata;
	MountNs *ns = snapshot_find_ns(s, info->mnt_ns_id);
	if (!ns || ns->nr_procs > 0)
		return 0;
	ns->gone = false;
	if (!ns->listed)
		return 0;
	TmpfsJob *job = ARRAY_PUSH(w->jobs, w->n, w->cap);
	if (!job)
		return -ENOMEM;
	/* A slot reused after a flush is not zeroed by ARRAY_PUSH. */
	*job = (TmpfsJob){ .ns = ns, .nsfd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3) };
	if (job->nsfd < 0) {
		w->n--;
		return -errno;
	}
	int r = tmpfs_job(s, job, w->sm);
	if (r < 0)
		return r;
	return w->n >= TMPFS_JOBS_MAX ? tmpfs_jobs_flush(s, w) : 0;
}

static bool is_processless(const Snapshot *s, const MountNs *ns)
{
	return ns->nr_procs == 0 && ns->id != s->self_mntns_id && ns->listed;
}

/* An nsfs fd that some process holds on @ns, or NULL. */
static const Holder *fd_holder_of(const Snapshot *s, const MountNs *ns)
{
	for (size_t i = 0; s->nsfs_dev && i < s->n_holders; i++) {
		const Holder *h = &s->holders[i];
		if (h->how == HOLD_FD && h->dev == s->nsfs_dev && h->ino == ns->ino)
			return h;
	}
	return NULL;
}

/*
 * Enter each process-less namespace through an nsfs fd a process holds on
 * it (what keeps most of them), instead of walking every namespace of the
 * host again: 1 when each could be opened so and is the same namespace, 0
 * when one has no such holder or it went (then walk), -ENOMEM.
 */
static int tmpfs_jobs_from_holders(Snapshot *s, TmpfsWalk *w)
{
	for (size_t i = 0; i < s->n_nss; i++)
		if (is_processless(s, &s->nss[i]) && !fd_holder_of(s, &s->nss[i]))
			return 0;
	for (size_t i = 0; i < s->n_nss; i++) {
		MountNs *ns = &s->nss[i];
		const Holder *h = is_processless(s, ns) ? fd_holder_of(s, ns) : NULL;
		char path[64];
		uint64_t id = 0;
		if (!h)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", s->procs[h->proc].pid, h->fd);
		int nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || ioctl(nsfd, RS_NS_GET_MNTNS_ID, &id) < 0 || id != ns->id) {
			safe_close(nsfd);
			tmpfs_jobs_clear(w);
			return 0;
		}
		TmpfsJob *job = ARRAY_PUSH(w->jobs, w->n, w->cap);
		if (!job) {
			close(nsfd);
			return -ENOMEM;
		}
		*job = (TmpfsJob){ .ns = ns, .nsfd = nsfd }; /* a reused slot is not zeroed */
		if (tmpfs_job(s, job, w->sm) < 0)
			return -ENOMEM;
		if (w->n >= TMPFS_JOBS_MAX && tmpfs_jobs_flush(s, w) < 0)
			return -ENOMEM;
	}
	return 1;
}

/*
 * A process-less namespace that nothing residue can see holds.  Most often
 * one being torn down: its last process has exited, and umount_tree() and
 * an RCU grace period (namespace_unlock) run before it leaves the namespace
 * tree, milliseconds in which the walk still meets it; or one whose last
 * process died while this scan held an nsfs fd of it (the walk's, a tmpfs
 * job's), which kept it alive: residue is no holder it reports.  At 60
 * container deaths a second a scan met one every 20 scans
 * (tests/integration/stress.sh).
 */
static bool ns_is_unexplained(const Snapshot *s, const MountNs *ns)
{
	if (ns->nr_procs > 0 || ns->gone || ns->id == s->self_mntns_id || fd_holder_of(s, ns))
		return false;
	for (size_t j = 0; j < s->n_nsbinds; j++)
		if (s->nsbinds[j].target_ino == ns->ino)
			return false;
	return true;
}

static int visit_seen(Snapshot *s, int nsfd, const struct rs_mnt_ns_info *info, void *userdata)
{
	(void)nsfd;
	(void)userdata;
	MountNs *ns = snapshot_find_ns(s, info->mnt_ns_id);
	if (ns)
		ns->gone = false;
	return 0;
}

/*
 * Members the process scan could not count.  A thread may have a mount
 * namespace of its own (unshare(CLONE_FS | CLONE_NEWNS) in that thread):
 * /proc/PID/ns/mnt shows the leader's.  And a process started while the
 * scan ran is missed when its pid is below where the scan had got to, which
 * happens whenever pids wrap (pid_max is 32768 on hosts below 32 CPUs: at 60
 * container starts a second, every few minutes), or when it joined the
 * namespace (unshare, setns) after the scan read its link.  Looked for only
 * when unexplained namespaces are left; one found gets that task (by tid,
 * whose /proc/TID/ns/mnt names it) as its member.
 */
static int adopt_one(Snapshot *s, int tasks, const char *tid, uint64_t ino, void *userdata)
{
	(void)userdata;
	for (size_t i = 0; i < s->n_nss; i++) {
		MountNs *ns = &s->nss[i];
		if (ns->ino == ino && ns->nr_procs == 0 && !ns->gone &&
		    task_is_member(tasks, tid)) {
			ns->nr_procs = 1;
			ns->pid = (pid_t)atoi(tid);
		}
	}
	return 0;
}

#define NS_SETTLE_TRIES 6
#define NS_SETTLE_US 20000

/*
 * Give the teardowns time to end: ask the walk again, every 20 ms for at
 * most 100 ms, whether the unexplained namespaces are still there, and
 * before and after that whether a member has turned up (adopt_one; one
 * that came and went took its namespace along, unless something residue
 * cannot see keeps it).  Those left are reported; a host without such
 * namespaces pays nothing.
 */
static void settle_unexplained(Snapshot *s, int self)
{
	_cleanup_free_ bool *was = calloc(s->n_nss + 1, sizeof(*was));
	if (!was)
		return;
	for (int k = 0; k < NS_SETTLE_TRIES; k++) {
		bool any = false;
		for (size_t i = 0; i < s->n_nss; i++) {
			was[i] = ns_is_unexplained(s, &s->nss[i]);
			any |= was[i];
		}
		if (!any)
			return;
		if (k == 0) {
			(void)for_each_task_mntns(s, adopt_one, NULL);
			continue; /* count again: those a task is in are explained */
		}
		usleep(NS_SETTLE_US);
		for (size_t i = 0; i < s->n_nss; i++)
			if (was[i])
				s->nss[i].gone = true; /* until the walk meets it again */
		if (walk_namespaces(s, self, visit_seen, NULL) < 0) {
			for (size_t i = 0; i < s->n_nss; i++)
				if (was[i])
					s->nss[i].gone =
						false; /* the walk broke off: we know nothing */
			return;
		}
	}
	(void)for_each_task_mntns(s, adopt_one, NULL);
}

/*
 * Walk again, after the process scan: confirm each process-less namespace
 * still exists (one whose last process exited mid-scan is gone) and measure
 * the tmpfs bytes only it keeps.
 */
int collect_ns_tmpfs_bytes(Snapshot *s, const ScanOptions *o)
{
	bool any = false;

	if (!s->ns_walk || !s->has_listmount || o->force_fallback)
		return 0; /* a process-less namespace is only found by the walk */
	for (size_t i = 0; i < s->n_nss; i++)
		any |= s->nss[i].nr_procs == 0;
	if (!any)
		return 0;
	/*
	 * The BPF tier counted threads in namespaces of their own; the /proc tier
	 * read only processes' ns/mnt, so ask every task now (about what its
	 * process pass cost), also for namespaces an nsfs fd explains.
	 */
	if (!s->used_bpf) {
		(void)for_each_task_mntns(s, adopt_one, NULL);
		any = false;
		for (size_t i = 0; i < s->n_nss; i++)
			any |= s->nss[i].nr_procs == 0;
		if (!any)
			return 0;
	}
	if (fill_peopled_devs(s) < 0)
		return -ENOMEM;
	_cleanup_free_ struct rs_statmount *sm = malloc(STATMOUNT_BUF);
	_cleanup_close_ int self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (!sm)
		return -ENOMEM;
	if (self < 0)
		return 0;
	TmpfsWalk w = { sm };
	int r = tmpfs_jobs_from_holders(s, &w);
	if (r == 0) {
		/* Whatever this walk does not meet again died while we scanned. */
		for (size_t i = 0; i < s->n_nss; i++) {
			MountNs *ns = &s->nss[i];
			ns->gone = ns->nr_procs == 0 && ns->id != s->self_mntns_id;
			/* Batches the holders' way already measured are measured again. */
			if (ns->nr_procs == 0) {
				ns->tmpfs_known = false;
				ns->tmpfs_bytes = 0;
			}
		}
		r = walk_namespaces(s, self, visit_tmpfs, &w);
	}
	if (r >= 0)
		r = tmpfs_jobs_flush(s, &w);
	if (r < 0) {
		for (size_t i = 0; i < s->n_nss; i++)
			s->nss[i].gone = false; /* the walk broke off: we know nothing more */
		if (r != -ENOMEM)
			snapshot_add_gap(s, "tmpfs bytes of process-less namespaces",
					 "NS_MNT_GET_NEXT", -r);
	}
	tmpfs_jobs_clear(&w);
	free(w.jobs);
	/* Only now: the jobs' nsfs fds kept those namespaces alive themselves. */
	if (r >= 0)
		settle_unexplained(s, self);
	return r == -ENOMEM ? r : 0;
}
