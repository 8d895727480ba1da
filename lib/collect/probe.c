// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A closer look at the few holders whose mount is in no namespace: their
 * path and open mode, the filesystem they keep alive (type, bytes in use,
 * backing device) and its largest files.  Everything is reached through the
 * holder's own reference (/proc/PID/fd/N, map_files, cwd…), never through a
 * host path, so a hung network filesystem cannot block us and the orphan is
 * visible even though no namespace can reach it.
 *
 * The root of an orphan is found from a directory holder by climbing "..";
 * from a file holder by asking fanotify for the parent directory's handle
 * (FAN_REPORT_DFID_NAME) and opening it with open_by_handle_at.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "base/array.h"
#include "base/bounded.h"
#include "base/compat.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "collect.h"

#define WALK_MAX_ENTRIES 1000000
#define WALK_MAX_DEPTH 64
/*
 * How long a filesystem gets to answer statfs (a local or healthy network one
 * answers in milliseconds; 1.5 s leaves a verb that meets a hung one its
 * 3 s), and when one that did not is asked again.
 */
#define PROBE_ASK_MS 1500
#define PROBE_ASK_AGAIN_S 600

/* The /proc link through which a holder reaches its file, relative to /proc. */
static void holder_link(const Snapshot *s, const Holder *h, char *buf, size_t size)
{
	pid_t pid = s->procs[h->proc].pid;
	switch ((HolderHow)h->how) {
	case HOLD_FD:
	case HOLD_MOUNT_FD:
		snprintf(buf, size, "%d/fd/%d", pid, h->fd);
		break;
	case HOLD_MMAP:
		/* map_files names are unpadded lowercase hex; the end comes from the kernel. */
		snprintf(buf, size, "%d/map_files", pid);
		break;
	case HOLD_CWD:
		if (h->tid)
			snprintf(buf, size, "%d/task/%d/cwd", pid, h->tid);
		else
			snprintf(buf, size, "%d/cwd", pid);
		break;
	case HOLD_ROOT:
		snprintf(buf, size, "%d/root", pid);
		break;
	case HOLD_EXE:
	default:
		snprintf(buf, size, "%d/exe", pid);
		break;
	}
}

/* map_files entries are "start-end": find the one that starts at h->map_start. */
static int map_files_name(int procfd, const Snapshot *s, const Holder *h, char *buf, size_t size)
{
	char dir[64];
	holder_link(s, h, dir, sizeof(dir));
	_cleanup_close_ int dfd = openat(procfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d)
		return -errno;
	dfd = -EBADF;
	int r = -ENOENT;
	for (struct dirent *de; (de = readdir(d));) {
		uint64_t a, b;
		if (parse_map_range(de->d_name, strlen(de->d_name), &a, &b) == 0 &&
		    a == h->map_start) {
			snprintf(buf, size, "%s/%s", dir, de->d_name);
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

static int holder_path(int procfd, const Snapshot *s, const Holder *h, char *buf, size_t size)
{
	if (h->how == HOLD_MMAP)
		return map_files_name(procfd, s, h, buf, size);
	holder_link(s, h, buf, size);
	return 0;
}

/*
 * A superblock on a device with a major number is on a block device (the
 * kernel's anonymous devices, of tmpfs, overlay, NFS…, have major 0); sysfs
 * only names it.  Without /sys (a container that does not mount it) the
 * risk is still right, and the missing name is a gap.
 */
static void describe_block_source(Snapshot *s, SbProbe *sb)
{
	char path[128], name[64], backing[4096];
	unsigned maj = major(sb->dev), min = minor(sb->dev);

	sb->block_backed = true;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", maj, min);
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snapshot_add_gap(s, "block device name (/sys/dev/block/MAJ:MIN)", "open", errno);
		return;
	}
	char uevent[1024];
	if (read_small_at(dfd, "uevent", uevent, sizeof(uevent)) <= 0)
		return;
	const char *dn = strstr(uevent, "DEVNAME=");
	if (!dn)
		return;
	dn += 8;
	size_t len = strcspn(dn, "\n");
	snprintf(name, sizeof(name), "/dev/%.*s", (int)MIN(len, 40), dn);
	ssize_t n = read_small_at(dfd, "loop/backing_file", backing, sizeof(backing));
	if (n > 0) {
		if (backing[n - 1] == '\n')
			backing[n - 1] = '\0';
		if (asprintf(&sb->source, "%s (%s)", name, backing) < 0)
			sb->source = NULL;
	} else {
		sb->source = strdup(name);
	}
}

/* ---- the largest files of an orphan, walked from its root directory fd ---- */

typedef struct Walk {
	SbProbe *sb;
	unsigned max_files;
	size_t entries;
	uint64_t sum_bytes;
	bool truncated;
	size_t cap_files;
} Walk;

static int keep_file(Walk *w, const char *path, const struct stat *st)
{
	uint64_t bytes = (uint64_t)st->st_blocks * 512;
	SbProbe *sb = w->sb;

	w->sum_bytes += bytes;
	sb->nr_files++;
	if (sb->n_files == w->max_files && sb->files[sb->n_files - 1].bytes >= bytes)
		return 0;
	if (sb->n_files == w->max_files) {
		free(sb->files[--sb->n_files].path);
	}
	FileEntry *f = ARRAY_PUSH(sb->files, sb->n_files, w->cap_files);
	if (!f || !(f->path = strdup(path)))
		return -ENOMEM;
	f->bytes = bytes;
	f->size = (uint64_t)st->st_size;
	/* Keep sorted, largest first: insertion into a short list. */
	for (size_t i = sb->n_files - 1; i > 0 && sb->files[i].bytes > sb->files[i - 1].bytes;
	     i--) {
		FileEntry t = sb->files[i];
		sb->files[i] = sb->files[i - 1];
		sb->files[i - 1] = t;
	}
	return 0;
}

static int walk_dir(Walk *w, int dfd, char *path, size_t plen, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++w->entries > WALK_MAX_ENTRIES) {
			w->truncated = true;
			break;
		}
		size_t nl = strlen(de->d_name);
		if (plen + 1 + nl >= PATH_MAX) {
			w->truncated = true;
			continue;
		}
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, nl + 1);
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth >= WALK_MAX_DEPTH) {
				w->truncated = true;
				continue;
			}
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				int r = walk_dir(w, sub, path, plen + 1 + nl, depth + 1);
				if (r < 0) {
					closedir(d);
					return r;
				}
			}
		} else if (S_ISREG(st.st_mode)) {
			int r = keep_file(w, path, &st);
			if (r < 0) {
				closedir(d);
				return r;
			}
		}
	}
	path[plen] = '\0';
	closedir(d);
	return 0;
}

/* Climb ".." from a directory on the orphan until the inode stops changing. */
static int orphan_root_from_dir(int dirfd_in)
{
	_cleanup_close_ int cur = fcntl(dirfd_in, F_DUPFD_CLOEXEC, 3);
	struct stat a, b;

	if (cur < 0 || fstat(cur, &a) < 0)
		return -errno;
	for (unsigned i = 0; i < 4096; i++) {
		int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up < 0)
			return -errno;
		if (fstat(up, &b) < 0) {
			close(up);
			return -errno;
		}
		if (b.st_ino == a.st_ino && b.st_dev == a.st_dev) {
			close(up);
			return TAKE_FD(cur);
		}
		closep(&cur);
		cur = up;
		a = b;
	}
	return -ELOOP;
}

/*
 * One fanotify group serves the whole process, and it is never closed here.
 * Destroying a group flushes the mark reaper, which waits for an SRCU grace
 * period (7-17 ms measured here) if a removed mark is still pending; closed
 * at exit instead, the reaper has long finished and the close costs nothing.
 * The fd is close-on-exec.
 */
static int fan_group = -EBADF;

typedef struct Probe {
	int procfd;
	int fan; /* fan_group, opened when first needed */
} Probe;

static void probe_done(Probe *p)
{
	fan_group = p->fan;
	p->procfd = safe_close(p->procfd);
}

/*
 * A regular file's parent directory, found by fanotify: mark the file, open
 * it once more, and the event carries the parent's handle (FAN_REPORT_DFID_NAME).
 */
static int parent_dir_by_fanotify(Probe *p, const char *link)
{
	if (p->fan < 0) {
		p->fan = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_CLOEXEC |
					       FAN_NONBLOCK,
				       O_RDONLY | O_CLOEXEC);
		if (p->fan < 0)
			return -errno;
	}
	_cleanup_close_ int file = openat(p->procfd, link, O_PATH | O_CLOEXEC);
	if (file < 0)
		return -errno;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", file);
	if (fanotify_mark(p->fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, self) < 0)
		return -errno;
	/* A plain read-only, non-blocking open: generates FAN_OPEN, reads nothing. */
	_cleanup_close_ int reopened =
		openat(p->procfd, link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOATIME | O_CLOEXEC);
	if (reopened < 0)
		reopened = openat(p->procfd, link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int saved = errno;
	(void)fanotify_mark(p->fan, FAN_MARK_REMOVE, FAN_OPEN, AT_FDCWD, self);
	if (reopened < 0)
		return -saved;

	/*
	 * Only our open can be queued: the mark lived from just before it to just
	 * after.  Someone else opening the file in that window yields the same
	 * parent, so any event will do; drain them all.
	 */
	char buf[4096] __attribute__((aligned(8)));
	int dir = -ENODATA;
	ssize_t n;
	while ((n = read(p->fan, buf, sizeof(buf))) > 0) {
		struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buf;
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			if (dir >= 0 || m->event_len <= sizeof(*m))
				continue;
			struct fanotify_event_info_fid *fid =
				(struct fanotify_event_info_fid *)(m + 1);
			if (fid->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME &&
			    fid->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID)
				continue;
			struct file_handle *fh = (struct file_handle *)fid->handle;
			dir = open_by_handle_at(reopened, fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dir < 0)
				dir = -errno;
		}
	}
	return dir;
}

/* The root directory of the filesystem a holder is on; -EMEDIUMTYPE for holders of other kinds. */
static int root_from_link(Probe *p, const Holder *h, const char *link)
{
	_cleanup_close_ int start = -EBADF;

	if (S_ISDIR(h->st_mode)) {
		start = openat(p->procfd, link, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (start < 0)
			return -errno;
	} else if (S_ISREG(h->st_mode)) {
		start = parent_dir_by_fanotify(p, link);
		if (start < 0)
			return start;
	} else {
		return -EMEDIUMTYPE;
	}
	return orphan_root_from_dir(start);
}

int probe_open_root(const Snapshot *s, const Holder *h)
{
	Probe p = { open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fan_group };
	char link[128];
	int r;

	if (p.procfd < 0)
		return -errno;
	r = holder_path(p.procfd, s, h, link, sizeof(link));
	if (r == 0)
		r = root_from_link(&p, h, link);
	probe_done(&p);
	return r;
}

static void list_files(Probe *p, SbProbe *sb, const Holder *h, const char *link, unsigned max_files)
{
	if (sb->files_listed || sb->files_note)
		return;
	if (sb->network) {
		sb->files_note = strdup("not walked: a network or unknown filesystem could hang");
		return;
	}
	_cleanup_close_ int root = root_from_link(p, h, link);
	if (root == -EMEDIUMTYPE)
		return; /* another holder may be a file or directory */
	if (root < 0) {
		if (asprintf(&sb->files_note, "root not found: %s", strerror(-root)) < 0)
			sb->files_note = NULL;
		return;
	}
	Walk w = { .sb = sb, .max_files = max_files ? max_files : 10 };
	_cleanup_free_ char *path = malloc(PATH_MAX);
	if (!path)
		return;
	path[0] = '\0';
	int dfd = fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0 || walk_dir(&w, dfd, path, 0, 0) < 0)
		return;
	sb->files_listed = true;
	if (w.truncated)
		sb->files_note = strdup("walk truncated: too many entries or too deep");
	/* An unlimited tmpfs reports no block counts: the walk's sum is what it holds. */
	if (!sb->have_used || (sb->total_bytes == 0 && sb->memory_backed)) {
		sb->used_bytes = w.sum_bytes;
		sb->have_used = true;
	}
}

static void read_open_mode(int procfd, const Snapshot *s, Holder *h)
{
	char path[64], buf[1024];
	FdInfo fi;

	snprintf(path, sizeof(path), "%d/fdinfo/%d", s->procs[h->proc].pid, h->fd);
	ssize_t n = read_small_at(procfd, path, buf, sizeof(buf));
	if (n <= 0 || parse_fdinfo(buf, (size_t)n, &fi) < 0)
		return;
	h->open_flags = (int32_t)fi.flags;
	if (fi.flags & O_PATH) {
		if (h->mount_root)
			h->how = HOLD_MOUNT_FD;
		return;
	}
	h->writes = (fi.flags & O_ACCMODE) != O_RDONLY;
}

static void read_map_perms(int procfd, const Snapshot *s, Holder *h)
{
	char path[64];
	_cleanup_free_ char *maps = NULL;

	/* Both tiers give them with the reference: maps (and its mmap_lock) only if not. */
	if (h->perms[0]) {
		h->writes = h->perms[1] == 'w' && h->perms[3] == 's';
		return;
	}
	snprintf(path, sizeof(path), "%d/maps", s->procs[h->proc].pid);
	ssize_t n = read_all_at(procfd, path, &maps);
	if (n <= 0 || parse_maps_perms(maps, (size_t)n, h->map_start, h->perms) < 0)
		return;
	h->writes = h->perms[1] == 'w' && h->perms[3] == 's';
}

/*
 * A holder whose file is still the one the scan saw: its O_PATH fd in
 * @ret_fd, or -EBADF when it is gone or reused (nothing to say about it).
 * Returns 0 or -ENOMEM.
 */
static int probe_open(Probe *p, Snapshot *s, const Holder *h, char *link, size_t size, int *ret_fd)
{
	RefStat rs;

	*ret_fd = -EBADF;
	if (holder_path(p->procfd, s, h, link, size) < 0)
		return 0;
	_cleanup_close_ int fd = openat(p->procfd, link, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		/*
		 * Gone since the scan, or refused: /proc/PID/fd of another user without
		 * CAP_DAC_READ_SEARCH.  A refusal hides a finding, so it is a gap.
		 */
		if (errno_is_vanished(errno))
			return 0;
		int r = snapshot_add_pid_gap(s, "holder of an unattached mount (/proc/PID/…)",
					     "open", errno, s->procs[h->proc].pid);
		return r < 0 ? r : 0;
	}
	/* The fd number may have been reused for another file since the scan. */
	if (ref_stat(fd, "", AT_EMPTY_PATH, &rs) < 0 || rs.mnt_id != h->mnt_id || rs.ino != h->ino)
		return 0;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/*
 * The superblock of @h, described from its statfs @sf, or (NULL) from what
 * the kernel view said of it when its filesystem did not answer (@err).
 */
static SbProbe *probe_sb(Snapshot *s, const Holder *h, const struct statfs *sf, int err)
{
	SbProbe *sb = snapshot_find_sb(s, h->dev);
	if (sb)
		return sb;
	sb = ARRAY_PUSH(s->sbs, s->n_sbs, s->cap_sbs);
	if (!sb)
		return NULL;
	sb->dev = h->dev;
	sb->magic = sf ? (uint64_t)sf->f_type : h->fs_magic;
	snprintf(sb->fstype, sizeof(sb->fstype), "%s", fs_magic_name(sb->magic));
	if (!sb->fstype[0])
		snprintf(sb->fstype, sizeof(sb->fstype), sb->magic ? "0x%llx" : "unknown",
			 (unsigned long long)sb->magic);
	sb->memory_backed = fs_magic_is_memory(sb->magic);
	sb->network = fs_magic_is_network(sb->magic);
	if (sf) {
		sb->fsid = (uint64_t)(uint32_t)sf->f_fsid.__val[0] << 32 |
			   (uint32_t)sf->f_fsid.__val[1];
		sb->total_bytes = (uint64_t)sf->f_blocks * (uint64_t)sf->f_bsize;
		if (sf->f_blocks > 0) {
			sb->used_bytes =
				(uint64_t)(sf->f_blocks - sf->f_bfree) * (uint64_t)sf->f_bsize;
			sb->have_used = true;
		}
	} else {
		char dev[32];
		snprintf(dev, sizeof(dev), "%u:%u", major(sb->dev), minor(sb->dev));
		if (err == ETIMEDOUT) {
			if (asprintf(&sb->files_note,
				     "not walked: %s did not answer statfs within %g s",
				     sb->magic ? sb->fstype : "its filesystem",
				     PROBE_ASK_MS / 1000.0) < 0)
				sb->files_note = NULL;
		} else if (asprintf(&sb->files_note, "not walked: statfs: %s", strerror(err)) < 0) {
			sb->files_note = NULL;
		}
		char what[96];
		snprintf(what, sizeof(what), "pinned bytes of %s (%s)", dev, sb->fstype);
		if (snapshot_add_gap(s, what, "fstatfs", err) < 0)
			return NULL;
	}
	if (major(sb->dev) != 0)
		describe_block_source(s, sb);
	return sb;
}

/* Everything else about @h, once its filesystem answered statfs (@sf) or did not (NULL). */
static int probe_finish(Probe *p, Snapshot *s, Holder *h, const char *link, const struct statfs *sf,
			int err, const ScanOptions *o)
{
	char target[PATH_MAX];
	const SbProbe *known = snapshot_find_sb(s, h->dev);
	uint64_t magic = sf ? (uint64_t)sf->f_type : known ? known->magic : h->fs_magic;

	if (fs_magic_is_internal(magic)) {
		/* An internal mount we could not create ourselves (another IPC namespace's mqueue…). */
		return u64set_add(&s->internal_mnt_ids, h->mnt_id) < 0 ? -ENOMEM : 0;
	}
	h->has_detail = true;
	if (readlink_small_at(p->procfd, link, target, sizeof(target)) >= 0 &&
	    !(h->path = strdup(target)))
		return -ENOMEM;
	if (h->how == HOLD_FD)
		read_open_mode(p->procfd, s, h);
	else if (h->how == HOLD_MMAP)
		read_map_perms(p->procfd, s, h);

	SbProbe *sb = probe_sb(s, h, sf, err);
	if (!sb)
		return -ENOMEM;
	if (!holder_sb_is_live(s, h))
		list_files(p, sb, h, link, o->max_files);
	return 0;
}

/*
 * Filesystems that did not answer statfs within PROBE_ASK_MS, by device:
 * an agent asks them again only PROBE_ASK_AGAIN_S later, so that one hung
 * FUSE daemon does not cost every scan its deadline.
 */
typedef struct Unanswered {
	uint64_t dev;
	time_t until;
} Unanswered;
static Unanswered *unanswered;
static size_t n_unanswered, cap_unanswered;

static bool asked_lately(uint64_t dev)
{
	time_t now = time(NULL);
	for (size_t i = 0; i < n_unanswered; i++)
		if (unanswered[i].dev == dev && unanswered[i].until > now)
			return true;
	return false;
}

static void remember_unanswered(uint64_t dev)
{
	time_t now = time(NULL);
	size_t k = 0;
	for (size_t i = 0; i < n_unanswered; i++)
		if (unanswered[i].until > now && unanswered[i].dev != dev)
			unanswered[k++] = unanswered[i];
	n_unanswered = k;
	Unanswered *u = ARRAY_PUSH(unanswered, n_unanswered, cap_unanswered);
	if (u)
		*u = (Unanswered){ dev, now + PROBE_ASK_AGAIN_S };
}

/*
 * A holder whose filesystem must be asked statfs in a child: its fd and
 * /proc link, or only the link (fd -EBADF), which the child then opens.
 */
typedef struct Pending {
	size_t holder;
	int fd;
	char link[128];
} Pending;

/*
 * Is fd @h->fd of its process still on inode @h->ino?  Read from fdinfo,
 * which procfs answers without asking the file's filesystem (the old,
 * 32-bit mount id there is not the BPF tier's, so only the inode is
 * compared).  Other holders: true, the child checks them.
 */
static bool fd_still_same(int procfd, const Snapshot *s, const Holder *h)
{
	char path[64], buf[1024];
	FdInfo fi;

	if (h->how != HOLD_FD)
		return true;
	snprintf(path, sizeof(path), "%d/fdinfo/%d", s->procs[h->proc].pid, h->fd);
	ssize_t n = read_small_at(procfd, path, buf, sizeof(buf));
	if (n <= 0 || parse_fdinfo(buf, (size_t)n, &fi) < 0)
		return false; /* gone */
	return !fi.has_ino || fi.ino == h->ino;
}

/*
 * statfs is the one question probing asks a filesystem: asked directly
 * where the kernel view named a local filesystem, in bounded children where
 * it named a network or userspace one or nothing (the /proc tier), once per
 * superblock.
 */
static int probe_pending(Probe *p, Snapshot *s, Pending *pend, size_t n, const ScanOptions *o)
{
	_cleanup_free_ BoundedStatfs *q = calloc(n ? n : 1, sizeof(*q));
	_cleanup_free_ size_t *which = calloc(n ? n : 1, sizeof(*which));
	size_t nq = 0;
	int r = 0;

	if (!q || !which)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const Holder *h = &s->holders[pend[i].holder];
		size_t k = 0;
		while (k < nq && s->holders[pend[q[k].fd].holder].dev != h->dev)
			k++;
		if (k == nq) {
			if (asked_lately(h->dev)) {
				which[i] = SIZE_MAX;
				continue;
			}
			q[nq++].fd = (int)i; /* an index until the call below */
		}
		which[i] = k;
	}
	for (size_t k = 0; k < nq; k++) {
		const Pending *pd = &pend[q[k].fd];
		if (pd->fd >= 0) {
			q[k].fd = pd->fd;
		} else {
			q[k].fd = p->procfd;
			q[k].path = pd->link;
			q[k].ino = s->holders[pd->holder].ino;
		}
	}
	if (nq > 0 && (r = bounded_fstatfs(q, nq, PROBE_ASK_MS)) < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		Holder *h = &s->holders[pend[i].holder];
		const BoundedStatfs *a = which[i] != SIZE_MAX ? &q[which[i]] : NULL;
		bool ok = a && a->answered && a->err == 0;
		if (a && !a->answered)
			remember_unanswered(h->dev);
		if (a && a->answered && a->path && a->err) {
			/* The child's open of the holder's link: as probe_open() would have. */
			if (a->err == ESTALE || errno_is_vanished(a->err))
				continue;
			if (a->err == EACCES || a->err == EPERM) {
				r = snapshot_add_pid_gap(
					s, "holder of an unattached mount (/proc/PID/…)", "open",
					a->err, s->procs[h->proc].pid);
				continue;
			}
		}
		r = probe_finish(p, s, h, pend[i].link, ok ? &a->sf : NULL, a ? a->err : ETIMEDOUT,
				 o);
	}
	return r;
}

int collect_probe_unattached(Snapshot *s, const ScanOptions *o)
{
	Probe p = { open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fan_group };
	Pending *pend = NULL;
	size_t n_pend = 0, cap_pend = 0;
	int r = 0;

	if (p.procfd < 0)
		return snapshot_add_gap(s, "/proc", "open", errno);
	for (size_t i = 0; i < s->n_holders && r >= 0; i++) {
		Holder *h = &s->holders[i];
		char link[128];
		if (!holder_is_unattached(s, h) || h->has_detail)
			continue;
		/*
		 * A network, userspace or unknown filesystem (the kernel view's
		 * s_magic, none on the /proc tier): not even the lookup of the holder's /proc link here,
		 * which revalidates an NFS inode (nfs_weak_revalidate); the child
		 * that asks statfs opens it.
		 */
		bool in_child = !h->fs_magic || fs_magic_is_network(h->fs_magic);
		_cleanup_close_ int fd = -EBADF;
		if (in_child) {
			if (holder_path(p.procfd, s, h, link, sizeof(link)) < 0 ||
			    !fd_still_same(p.procfd, s, h))
				continue;
		} else {
			r = probe_open(&p, s, h, link, sizeof(link), &fd);
			if (r < 0 || fd < 0)
				continue;
		}
		if (snapshot_find_sb(s, h->dev)) {
			r = probe_finish(&p, s, h, link, NULL, 0, o);
			continue;
		}
		if (h->fs_magic && !in_child) {
			struct statfs sf;
			int err = fstatfs(fd, &sf) < 0 ? errno : 0;
			r = probe_finish(&p, s, h, link, err ? NULL : &sf, err, o);
			continue;
		}
		Pending *pd = ARRAY_PUSH(pend, n_pend, cap_pend);
		if (!pd) {
			r = -ENOMEM;
			break;
		}
		*pd = (Pending){ .holder = i, .fd = TAKE_FD(fd) };
		snprintf(pd->link, sizeof(pd->link), "%s", link);
	}
	if (r >= 0)
		r = probe_pending(&p, s, pend, n_pend, o);
	for (size_t i = 0; i < n_pend; i++)
		safe_close(pend[i].fd);
	free(pend);
	probe_done(&p);
	return r;
}

/*
 * A superblock the walk found mounted nowhere and no holder led to: described
 * from the walk alone, for there is no file of it to statfs or to walk.  Its
 * bytes are its inodes' page cache, which for a memory-backed filesystem is
 * what it pins (less what is swapped out); for others, unknown.
 */
int collect_unheld_superblocks(Snapshot *s)
{
	int n = 0;

	for (size_t i = 0; i < s->n_ksbs; i++) {
		const KernelSb *k = &s->ksbs[i];
		if (!ksb_is_unmounted(s, k) || fs_magic_is_internal(k->magic) ||
		    snapshot_find_sb(s, k->dev))
			continue;
		SbProbe *sb = ARRAY_PUSH(s->sbs, s->n_sbs, s->cap_sbs);
		if (!sb)
			return -ENOMEM;
		sb->dev = k->dev;
		sb->magic = k->magic;
		snprintf(sb->fstype, sizeof(sb->fstype), "%s", fs_magic_name(sb->magic));
		if (!sb->fstype[0])
			snprintf(sb->fstype, sizeof(sb->fstype), sb->magic ? "0x%llx" : "unknown",
				 (unsigned long long)sb->magic);
		sb->memory_backed = fs_magic_is_memory(sb->magic);
		sb->network = fs_magic_is_network(sb->magic);
		sb->have_used = sb->memory_backed && k->bytes_known;
		sb->used_bytes = sb->have_used ? k->cached_bytes : 0;
		sb->files_note =
			strdup(sb->magic ? "not walked: no process holds a file of it" :
					   "not walked: no process holds a file of it, and "
					   "without the BPF tier nothing tells its type or bytes");
		if (!sb->files_note)
			return -ENOMEM;
		if (major(sb->dev) != 0)
			describe_block_source(s, sb);
		n++;
	}
	return n;
}
