// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every namespace's whole mount table, for the census.  A namespace with a
 * process is read the way every reader of mount tables on the host reads
 * it, one /proc/PID/mountinfo: that is the floor the census is measured
 * against, it gives the table's exact text size, and one read returns every
 * field (a statmount per mount with its strings costs about three times as
 * much; KERNEL-NOTES).  A namespace with no process has no mountinfo: its
 * mounts come from statmount(2) by namespace id.  Nothing here touches the
 * mounted filesystems themselves, so a hung network mount cannot block it.
 * The mountinfo files are read by two threads (the kernel's formatting of
 * them is the cost; each namespace's is independent).
 *
 * A long-running caller passes a MountNsCache: a namespace whose listmount(2)
 * ids are the ones of its cached table (mount ids are never reused) borrows
 * that table instead of reading it, until the table is max_age_s old, so
 * that a rescan of a host with thousands of unchanged containers does not
 * read thousands of mountinfo files.  What an id list cannot show (a
 * remount that changes options, a moved mount) is seen at the next read.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/array.h"
#include "base/compat.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "collect.h"

#define STATMOUNT_BUF (64 * 1024)

static bool opts_have(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = opts; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && memcmp(p, opt, n) == 0)
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

static int add_entry(MountNs *ns, size_t *cap, uint64_t id, uint64_t parent, uint64_t dev, bool ro,
		     const char *fstype, const char *source, const char *root, const char *point)
{
	MountEntry *e = ARRAY_PUSH(ns->mounts, ns->n_mounts, *cap);
	if (!e)
		return -ENOMEM;
	*e = (MountEntry){ .id = id,
			   .parent_id = parent,
			   .dev = dev,
			   .ro = ro,
			   .fstype = fstype,
			   .source = source,
			   .root = root,
			   .point = point };
	return 0;
}

/* statmount's strings live in its reused buffer: copy them into one block per entry. */
static int add_entry_copy(MountNs *ns, size_t *cap, size_t *scap, uint64_t id, uint64_t parent,
			  uint64_t dev, bool ro, const char *fstype, const char *source,
			  const char *root, const char *point)
{
	size_t a = strlen(fstype) + 1, b = strlen(source) + 1, c = strlen(root) + 1,
	       d = strlen(point) + 1;
	char *blk = malloc(a + b + c + d);
	char **slot = blk ? ARRAY_PUSH(ns->strings, ns->n_strings, *scap) : NULL;
	if (!slot) {
		free(blk);
		return -ENOMEM;
	}
	*slot = blk;
	memcpy(blk, fstype, a);
	memcpy(blk + a, source, b);
	memcpy(blk + a + b, root, c);
	memcpy(blk + a + b + c, point, d);
	return add_entry(ns, cap, id, parent, dev, ro, blk, blk + a, blk + a + b, blk + a + b + c);
}

/* Split @buf into lines and parse each; the buffer is modified in place. */
static int table_from_mountinfo(MountNs *ns, char *buf, size_t len)
{
	size_t cap = 0;

	for (char *line = buf; line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
		char *next = line + ll + 1;
		MountinfoEntry e;
		if (parse_mountinfo_line(line, ll, &e) == 0) {
			int r = add_entry(
				ns, &cap, e.mnt_id, e.parent_id, makedev(e.major, e.minor),
				opts_have(e.mount_opts, "ro") || opts_have(e.super_opts, "ro"),
				e.fstype, e.source, e.root, e.mount_point);
			if (r < 0)
				return r;
		}
		line = next;
	}
	return 0;
}

static int table_from_statmount(Snapshot *s, MountNs *ns, struct rs_statmount *sm)
{
	const uint64_t mask = RS_STATMOUNT_SB_BASIC | RS_STATMOUNT_MNT_BASIC |
			      RS_STATMOUNT_FS_TYPE | RS_STATMOUNT_MNT_ROOT |
			      RS_STATMOUNT_MNT_POINT | RS_STATMOUNT_SB_SOURCE;
	size_t cap = 0, scap = 0;
	int r;

	if (!ns->listed && (r = mount_ns_list(s, ns)) < 0) {
		if (r == -ENOMEM)
			return r;
		if (!errno_is_vanished(-r))
			snapshot_add_gap(s, "mount table of a process-less namespace", "listmount",
					 -r);
		return 0;
	}
	for (size_t i = 0; i < ns->n_mnt_ids; i++) {
		struct rs_mnt_id_req req = {
			.size = RS_MNT_ID_REQ_SIZE_VER1,
			.mnt_id = ns->mnt_ids[i],
			.param = mask,
			.mnt_ns_id = ns->id,
		};
		const char *fstype = "", *source = "", *root = "", *point = "";
		s->reads.statmount++;
		if (rs_statmount(&req, sm, STATMOUNT_BUF, 0) < 0) {
			if (!errno_is_vanished(errno))
				snapshot_add_gap(s, "mount table of a process-less namespace",
						 "statmount", errno);
			continue;
		}
		/* An empty string field clears its mask bit (KERNEL-NOTES): keep "". */
		(void)statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_FS_TYPE, sm->fs_type,
				       &fstype);
		(void)statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_SB_SOURCE, sm->sb_source,
				       &source);
		(void)statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_MNT_ROOT, sm->mnt_root,
				       &root);
		(void)statmount_string(sm, STATMOUNT_BUF, RS_STATMOUNT_MNT_POINT, sm->mnt_point,
				       &point);
		r = add_entry_copy(ns, &cap, &scap, sm->mnt_id, sm->mnt_parent_id,
				   makedev(sm->sb_dev_major, sm->sb_dev_minor),
				   (sm->mnt_attr & MOUNT_ATTR_RDONLY) || (sm->sb_flags & MS_RDONLY),
				   fstype, source, root, point);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the cache ---- */

typedef struct CachedTable {
	uint64_t ns_id;
	uint64_t *mnt_ids; /* as listmount(2) gave them */
	size_t n_mnt_ids;
	char *text; /* the mountinfo text, split in place */
	MountEntry *mounts; /* pointing into text */
	size_t n_mounts;
	uint64_t table_bytes;
	pid_t rep;
	char *rep_cgroup; /* rep's cgroup path, once read */
	double read_at;
	unsigned gen; /* the scan that last saw the namespace */
} CachedTable;

struct MountNsCache {
	CachedTable
		*t; /* the first n_sorted sorted by ns_id, those added by this scan after them */
	size_t n, cap, n_sorted;
	unsigned gen;
	double max_age_s;
};

static void cached_free(CachedTable *c)
{
	free(c->rep_cgroup);
	free(c->mnt_ids);
	free(c->text);
	free(c->mounts);
}

MountNsCache *mount_ns_cache_new(double max_age_s)
{
	MountNsCache *c = calloc(1, sizeof(*c));
	if (c)
		c->max_age_s = max_age_s;
	return c;
}

MountNsCache *mount_ns_cache_free(MountNsCache *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		cached_free(&c->t[i]);
	free(c->t);
	free(c);
	return NULL;
}

static CachedTable *cache_find(const MountNsCache *c, uint64_t ns_id)
{
	size_t lo = 0, hi = c ? c->n_sorted : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->t[mid].ns_id < ns_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return c && lo < c->n_sorted && c->t[lo].ns_id == ns_id ? &c->t[lo] : NULL;
}

pid_t mount_ns_cache_representative(const MountNsCache *c, const Snapshot *s, const MountNs *ns)
{
	const CachedTable *t = cache_find(c, ns->id);
	if (!t || t->rep <= 0)
		return 0;
	for (size_t i = 0; i < s->n_procs; i++)
		if (s->procs[i].pid == t->rep)
			return s->procs[i].mntns_id == ns->id ? t->rep : 0;
	return 0;
}

const char *mount_ns_cache_cgroup(const MountNsCache *c, uint64_t ns_id, pid_t pid)
{
	const CachedTable *t = cache_find(c, ns_id);
	return t && t->rep == pid ? t->rep_cgroup : NULL;
}

int mount_ns_cache_set_cgroup(MountNsCache *c, uint64_t ns_id, pid_t pid, const char *cgroup)
{
	CachedTable *t = cache_find(c, ns_id);
	if (!t || t->rep != pid || (t->rep_cgroup && strcmp(t->rep_cgroup, cgroup) == 0))
		return 0;
	char *d = strdup(cgroup);
	if (!d)
		return -ENOMEM;
	free(t->rep_cgroup);
	t->rep_cgroup = d;
	return 0;
}

/* Is the cached table of @ns still its table? */
static const CachedTable *cache_hit(const MountNsCache *c, const MountNs *ns, double now)
{
	const CachedTable *t = cache_find(c, ns->id);
	if (!t || !ns->listed || t->n_mnt_ids != ns->n_mnt_ids || now - t->read_at >= c->max_age_s)
		return NULL;
	if (ns->n_mnt_ids && memcmp(t->mnt_ids, ns->mnt_ids, ns->n_mnt_ids * sizeof(uint64_t)))
		return NULL;
	return t;
}

/*
 * The snapshot borrows the cached table rather than copying it: a copy of 500
 * tables (2.4 MiB) was the largest single block of an agent's rescan, at its
 * peak of memory.  Nothing after the collectors writes to a table.
 */
static void cache_use(const CachedTable *t, MountNs *ns)
{
	ns->table_text = t->text;
	ns->mounts = t->mounts;
	ns->table_shared = true;
	ns->n_mounts = t->n_mounts;
	ns->table_bytes = t->table_bytes;
}

/* Remember @ns's freshly read table (a mountinfo one): the cache takes it, @ns borrows it. */
static int cache_store(MountNsCache *c, MountNs *ns, double now)
{
	CachedTable n = { .ns_id = ns->id,
			  .n_mnt_ids = ns->n_mnt_ids,
			  .n_mounts = ns->n_mounts,
			  .table_bytes = ns->table_bytes,
			  .rep = ns->pid,
			  .read_at = now,
			  .gen = c->gen };
	CachedTable *old = cache_find(c, ns->id);

	if (!ns->listed || !ns->table_text)
		return 0;
	n.mnt_ids = malloc((ns->n_mnt_ids + 1) * sizeof(uint64_t));
	if (!n.mnt_ids)
		return -ENOMEM;
	memcpy(n.mnt_ids, ns->mnt_ids, ns->n_mnt_ids * sizeof(uint64_t));
	/* New namespaces are appended; the array is sorted again after the scan. */
	CachedTable *slot = old ? old : ARRAY_PUSH(c->t, c->n, c->cap);
	if (!slot) {
		free(n.mnt_ids);
		return -ENOMEM;
	}
	if (old)
		cached_free(old); /* no snapshot still borrows it: this one read the table again */
	n.text = ns->table_text;
	n.mounts = ns->mounts;
	ns->table_shared = true;
	*slot = n;
	return 0;
}

static int cmp_cached(const void *a, const void *b)
{
	const CachedTable *x = a, *y = b;
	return x->ns_id < y->ns_id ? -1 : x->ns_id > y->ns_id;
}

/* Forget the namespaces this scan did not see, and sort for the next one. */
static void cache_prune(MountNsCache *c)
{
	size_t keep = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->t[i].gen != c->gen) {
			cached_free(&c->t[i]);
			continue;
		}
		c->t[keep++] = c->t[i];
	}
	c->n = c->n_sorted = keep;
	if (c->n)
		qsort(c->t, c->n, sizeof(*c->t), cmp_cached);
}

/*
 * One namespace's mountinfo, read and parsed, and its representative's
 * cgroup, which the census names the namespace by: read here, on two
 * threads, rather than after the tables on one.  Touches nothing but @ns.
 */
static int read_mountinfo(int procfd, MountNs *ns)
{
	char path[32], cg[4096];
	_cleanup_free_ char *buf = NULL;

	snprintf(path, sizeof(path), "%d/mountinfo", ns->pid);
	ssize_t n = read_all_at(procfd, path, &buf);
	if (n < 0)
		return (int)n;
	ns->table_bytes = (uint64_t)n;
	ns->table_text = TAKE_PTR(buf); /* the entries point into it */
	int r = table_from_mountinfo(ns, ns->table_text, (size_t)n);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%d/cgroup", ns->pid);
	n = read_small_at(procfd, path, cg, sizeof(cg));
	if (n > 0 && parse_proc_cgroup(cg, (size_t)n, &ns->pid_cgroup) == -ENOMEM)
		return -ENOMEM;
	return 0; /* unread: collect_process_names() tries again */
}

/*
 * The namespaces whose mountinfo is to be read, shared by two readers: a
 * cold scan of 1 000 containers reads 30 000 mounts' lines, 50 ms of
 * show_mountinfo() in the kernel, while the zombie walk has already let go
 * of the other CPU.  Each reader takes the next namespace as it goes.
 */
typedef struct Readers {
	int procfd;
	MountNs **nss;
	int *errs;
	size_t n;
	size_t next; /* atomic */
} Readers;

#define READERS_MIN 4 /* a thread starts in about the time of one read */

static void *readers_run(void *userdata)
{
	Readers *rd = userdata;
	for (size_t i; (i = __atomic_fetch_add(&rd->next, 1, __ATOMIC_RELAXED)) < rd->n;)
		rd->errs[i] = read_mountinfo(rd->procfd, rd->nss[i]);
	return NULL;
}

static void read_mountinfos(Readers *rd)
{
	pthread_t thread;
	bool threaded = rd->n >= READERS_MIN && pthread_create(&thread, NULL, readers_run, rd) == 0;

	readers_run(rd);
	if (threaded)
		pthread_join(thread, NULL);
}

int collect_mount_tables(Snapshot *s, const ScanOptions *o)
{
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ struct rs_statmount *sm = NULL;
	_cleanup_free_ MountNs **todo = NULL;
	_cleanup_free_ int *errs = NULL;
	MountNsCache *cache = o->ns_cache;
	double now = mono_s();
	size_t n_todo = 0;
	char num[32];

	if (cache)
		cache->gen++;
	if (procfd < 0)
		return snapshot_add_gap(s, "/proc", "open", errno);
	/* The limit is per namespace (fs/namespace.c count_mounts()). */
	ssize_t nmax = read_small_at(procfd, "sys/fs/mount-max", num, sizeof(num));
	if (nmax > 0)
		s->mount_max = strtoull(num, NULL, 10);
	else
		snapshot_add_gap(s, "fs.mount-max (/proc/sys/fs/mount-max)", "read", (int)-nmax);
	if (s->n_nss && (!(todo = calloc(s->n_nss, sizeof(*todo))) ||
			 !(errs = calloc(s->n_nss, sizeof(*errs)))))
		return -ENOMEM;
	for (size_t i = 0; i < s->n_nss; i++) {
		MountNs *ns = &s->nss[i];
		int r = 0;
		if (ns->table_read)
			continue;
		const CachedTable *hit = ns->pid > 0 ? cache_hit(cache, ns, now) : NULL;
		if (hit) {
			cache_use(hit, ns);
			cache_find(cache, ns->id)->gen = cache->gen;
			ns->table_read = true;
			continue;
		}
		if (ns->pid > 0) {
			todo[n_todo++] = ns; /* below, on two threads */
			continue;
		} else if (s->has_listmount) {
			if (!sm && !(sm = malloc(STATMOUNT_BUF)))
				return -ENOMEM;
			r = table_from_statmount(s, ns, sm);
		} else {
			continue;
		}
		if (r < 0)
			return r;
		ns->table_read = true;
	}
	Readers rd = { .procfd = procfd, .nss = todo, .errs = errs, .n = n_todo };
	read_mountinfos(&rd);
	for (size_t i = 0; i < n_todo; i++) {
		MountNs *ns = todo[i];
		int r = errs[i];
		s->reads.mountinfo++;
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			if (!errno_is_vanished(-r))
				snapshot_add_pid_gap(s, "mount table (/proc/PID/mountinfo)", "read",
						     -r, ns->pid);
			continue;
		}
		if (cache && (r = cache_store(cache, ns, now)) < 0)
			return r;
		ns->table_read = true;
	}
	if (cache)
		cache_prune(cache);
	return 0;
}
