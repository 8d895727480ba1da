// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every process and every reference it holds to a file: each fd, each file
 * mapping (through /proc/PID/map_files, so a mapping whose fd was closed is
 * still seen), cwd, root, exe and the cwd of threads that unshared theirs.
 * This is the hot path of a scan: one statx per reference, relative to a
 * directory fd, never a path walk and never a sync with a network server.
 *
 * Even so a statx can wait on a filesystem: following the /proc link
 * revalidates an NFS inode (nfs_weak_revalidate), 9p without a cache asks
 * its server for every getattr, and map_files waits for the process's
 * mmap_lock.  So the references are read by a child (REFS_COMM) that the
 * scan watches: one that makes no progress for REFS_STALL_MS is killed,
 * the process it was in becomes a gap, and a new child goes on with the
 * next process.  What it finds comes back as records through a pipe; only
 * references that can be findings are sent, so the pipe carries little.
 */
#include <dirent.h>
#include <inttypes.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/bounded.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "bpf/refs-loader.h"
#include "collect.h"

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */
#define REFS_COMM "residue-refs"
/* As long as a filesystem gets to answer statfs (probe.c): no local one takes it. */
#define REFS_STALL_MS 1500

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

/* What the watching scan reads of the child's progress (a shared mapping). */
typedef struct RefsProgress {
	volatile uint64_t refs; /* references looked at (Snapshot.n_refs) */
	volatile uint32_t proc; /* index of the process being read */
} RefsProgress;

/* Both only grow: their sum changes exactly when the child made progress. */
static uint64_t progress(const RefsProgress *pr)
{
	return pr->refs + pr->proc;
}

enum {
	REC_HOLDER = 1,
	REC_GAP,
	REC_SCM, /* a unix socket with files in flight, in process pid */
	REC_DONE
};

/*
 * One finding of the child, written whole (a pipe write of less than
 * PIPE_BUF is atomic).  A gap's strings are literals of this program, at
 * the same addresses in the parent that forked the child.
 */
typedef struct RefRecord {
	uint32_t kind;
	int32_t err;
	pid_t pid;
	const char *what, *call;
	Holder h;
} RefRecord;

typedef struct ProcCtx {
	const Snapshot *s;
	uint32_t proc; /* index of the current process */
	pid_t pid;
	int dirfd; /* the directory being listed (fd/, map_files/, task/) */
	int out; /* the pipe to the parent */
	bool want_scm; /* count unix sockets' files in flight (no superblock walk will) */
	RefsProgress *pr;
	RefStat cwd;
	U64Set attached_devs; /* superblocks some reference reached through a listed mount */
} ProcCtx;

static int emit(ProcCtx *c, const RefRecord *rec)
{
	ssize_t n;
	while ((n = write(c->out, rec, sizeof(*rec))) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof(*rec) ? 0 : -EPIPE;
}

static int ctx_gap(ProcCtx *c, const char *what, const char *call, int err)
{
	RefRecord rec = { .kind = REC_GAP, .err = err, .pid = c->pid, .what = what, .call = call };
	return emit(c, &rec);
}

/* ref_stat(), counted as progress first: a statx that never returns shows as none. */
static int ctx_stat(ProcCtx *c, int dirfd, const char *name, RefStat *rs)
{
	c->pr->refs++;
	return ref_stat(dirfd, name, 0, rs);
}

static bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * Keep a reference only if it can be a finding, as the BPF tier decides in
 * the kernel: not on a listed mount, nor on a kernel-internal one other
 * than nsfs (pipes, sockets).  Keeping every one cost 85 bytes a descriptor,
 * 85 MiB at 1 000 000 of them (bench/scale); nothing after the scan asks
 * for one that is attached (holder_is_unattached()).
 */
static int add_holder(ProcCtx *c, HolderHow how, const RefStat *rs, int fd, int tid,
		      const MapsEntry *map)
{
	const Snapshot *s = c->s;

	if (u64set_contains(&s->live_mnt_ids, rs->mnt_id))
		/* Proof that this superblock is mounted: its mappings need no statx (scan_maps). */
		return u64set_add(&c->attached_devs, rs->dev) < 0 ? -ENOMEM : 0;
	if (s->nsfs_dev && rs->dev != s->nsfs_dev &&
	    u64set_contains(&s->internal_mnt_ids, rs->mnt_id))
		return 0;
	RefRecord rec = { .kind = REC_HOLDER };
	Holder *h = &rec.h;
	h->proc = c->proc;
	h->how = (uint8_t)how;
	h->mnt_id = rs->mnt_id;
	h->dev = rs->dev;
	h->ino = rs->ino;
	h->st_mode = rs->mode;
	h->mount_root = rs->mount_root;
	h->fd = fd;
	h->open_flags = -1;
	h->tid = tid;
	if (map) {
		/* Its permissions now, so that no one reads maps again (mmap_lock) to show them. */
		h->map_start = map->start;
		memcpy(h->perms, map->perms, sizeof(h->perms));
	}
	return emit(c, &rec);
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
	int e = ctx_gap(c, what, "statx", -r);
	if (e < 0)
		return e;
	return r == -EACCES || r == -EPERM ? -ECANCELED : 0;
}

/*
 * An io_uring ring with registered files, or an fsopen() context: either may
 * keep a superblock no process holds, which only the BPF tier can name (the
 * ring's fdinfo lists its files' paths, not their devices).  A gap per ring
 * or context, so that the report says what it could not see.
 */
static int anon_fd_gap(ProcCtx *c, const char *name)
{
	_cleanup_free_ char *info = NULL;
	char link[64], path[64];

	ssize_t n = readlinkat(c->dirfd, name, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	if (strcmp(link, "anon_inode:[fscontext]") == 0)
		return ctx_gap(c, GAP_WHAT_FSCONTEXT, "readlink", EOPNOTSUPP) < 0 ? -EPIPE : 0;
	if (strcmp(link, "anon_inode:[io_uring]") != 0)
		return 0;
	snprintf(path, sizeof(path), "../fdinfo/%s", name);
	FdInfo fi;
	n = read_all_at(c->dirfd, path, &info);
	if (n <= 0 || parse_fdinfo(info, (size_t)n, &fi) < 0 || fi.user_files == 0)
		return 0;
	return ctx_gap(c, GAP_WHAT_IO_URING, "fdinfo", EOPNOTSUPP) < 0 ? -EPIPE : 0;
}

static int on_fd(void *ctx, const char *name)
{
	ProcCtx *c = ctx;
	RefStat rs;
	int r = ctx_stat(c, c->dirfd, name, &rs);
	if (r < 0)
		return ref_gap(c, "open files (/proc/PID/fd/N)", r);
	if (c->want_scm && S_ISSOCK(rs.mode)) {
		/* Files in flight in its queue: fdinfo counts them (6.x), names none. */
		char path[64], buf[512];
		FdInfo fi;
		snprintf(path, sizeof(path), "../fdinfo/%s", name);
		ssize_t n = read_small_at(c->dirfd, path, buf, sizeof(buf));
		if (n > 0 && parse_fdinfo(buf, (size_t)n, &fi) == 0 && fi.scm_fds > 0) {
			RefRecord rec = { .kind = REC_SCM, .pid = c->pid };
			if (emit(c, &rec) < 0)
				return -EPIPE;
		}
	}
	if (c->want_scm && c->s->anon_dev && rs.dev == c->s->anon_dev) {
		r = anon_fd_gap(c, name);
		if (r < 0)
			return r;
	}
	return add_holder(c, HOLD_FD, &rs, atoi(name), 0, NULL);
}

/*
 * File mappings, from /proc/PID/maps: one read names every mapping's
 * superblock and inode.  A mapping on a superblock that some reference
 * already reached through a listed mount cannot be on an orphan, so only
 * the rest cost a statx of /proc/PID/map_files/START-END for the mount id.
 * Consecutive mappings of one file (a library's segments) are one holder.
 */
static int scan_maps(ProcCtx *c, int piddirfd)
{
	_cleanup_free_ char *maps = NULL;
	_cleanup_close_ int mfd = -EBADF;
	uint64_t last_dev = 0, last_ino = 0;
	size_t pos = 0;
	MapsEntry e;
	int r;

	ssize_t n = read_all_at(piddirfd, "maps", &maps);
	if (n < 0) {
		if (n == -ENOMEM)
			return (int)n;
		if (!errno_is_vanished((int)-n))
			return ctx_gap(c, "file mappings (/proc/PID/maps)", "read", (int)-n);
		return 0;
	}
	while ((r = parse_maps_next(maps, (size_t)n, &pos, &e)) != 0) {
		if (r < 0 || e.ino == 0)
			continue;
		uint64_t dev = makedev(e.major, e.minor);
		if ((dev == last_dev && e.ino == last_ino) ||
		    u64set_contains(&c->attached_devs, dev))
			continue;
		last_dev = dev;
		last_ino = e.ino;
		if (mfd < 0) {
			mfd = openat(piddirfd, "map_files", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (mfd < 0) {
				if (!errno_is_vanished(errno))
					return ctx_gap(c, "file mappings (/proc/PID/map_files)",
						       "open", errno);
				return 0;
			}
		}
		char name[48];
		RefStat rs;
		snprintf(name, sizeof(name), "%" PRIx64 "-%" PRIx64, e.start, e.end);
		r = ctx_stat(c, mfd, name, &rs);
		if (r < 0) {
			r = ref_gap(c, "file mappings (/proc/PID/map_files)", r);
			if (r < 0)
				return r == -ECANCELED ? 0 : r;
			continue;
		}
		r = add_holder(c, HOLD_MMAP, &rs, -1, 0, &e);
		if (r < 0)
			return r;
	}
	return 0;
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
	if (ctx_stat(c, c->dirfd, path, &rs) < 0)
		return 0;
	if (rs.mnt_id == c->cwd.mnt_id && rs.ino == c->cwd.ino)
		return 0; /* shares the process's fs_struct, as threads normally do */
	return add_holder(c, HOLD_CWD, &rs, -1, tid, NULL);
}

static int scan_dir(ProcCtx *c, int piddirfd, const char *sub, dent_fn fn, const char *what)
{
	_cleanup_close_ int dfd = openat(piddirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno_is_vanished(errno) ? 0 : ctx_gap(c, what, "open", errno);
	c->dirfd = dfd;
	int r = for_each_dent(dfd, fn, c);
	c->dirfd = -EBADF;
	if (r == -ENOMEM || r == -EPIPE)
		return r;
	if (r < 0 && r != -ECANCELED && !errno_is_vanished(-r))
		return ctx_gap(c, what, "getdents", -r);
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
		int r = ctx_stat(c, piddirfd, links[i].name, &rs);
		if (r < 0) {
			/* Kernel threads have no exe; a zombie has none of these. */
			if (errno_is_vanished(-r))
				continue;
			int e = ctx_gap(c, "cwd, root and exe (/proc/PID/…)", "statx", -r);
			if (e < 0)
				return e;
			if (r == -EACCES || r == -EPERM)
				return 0; /* one gap per process, not per link */
			continue;
		}
		if (links[i].how == HOLD_CWD)
			c->cwd = rs;
		r = add_holder(c, links[i].how, &rs, -1, 0, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * From one read of /proc/PID/stat (@dfd), just after its ns/mnt: is the
 * process a kernel thread (PF_KTHREAD), and may it count as a member of
 * that namespace?  Not when it is another residue's namespace probe (its
 * comm), nor when it is gone (see task_is_member() in mount-ns.c).
 */
static bool proc_kind(int dfd, bool *ret_kthread)
{
	char buf[512];
	uint64_t flags;
	ssize_t n = read_small_at(dfd, "stat", buf, sizeof(buf) - 1);

	*ret_kthread = false;
	if (n <= 0)
		return false;
	buf[n] = '\0';
	*ret_kthread = parse_proc_stat_flags(buf, (size_t)n, &flags) == 0 && (flags & PF_KTHREAD);
	return strncmp(buf + strcspn(buf, "("), "(" NSPROBE_COMM ") ", sizeof(NSPROBE_COMM) + 2) !=
	       0;
}

/*
 * @p, of @ns, as the namespace's representative: the first member, unless
 * that is a kernel thread (they are all in the host's namespace, and one
 * never names a process to nsenter or a container) and @p is not.
 */
static void offer_representative(MountNs *ns, const Process *p)
{
	if (ns->nr_procs++ == 0 || (ns->pid_is_kthread && !p->kthread)) {
		ns->pid = p->pid;
		ns->pid_is_kthread = p->kthread;
	}
}

static int scan_process(Snapshot *s, int procfd, const char *name)
{
	_cleanup_close_ int dfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	int r;

	if (dfd < 0)
		return 0; /* vanished */
	Process *p = snapshot_add_process(s);
	if (!p)
		return -ENOMEM;
	p->pid = atoi(name);

	/* comm and cgroup are read later, only for processes that hold something found. */
	if (fstatat(dfd, "ns/mnt", &st, 0) == 0) {
		MountNs *ns;
		p->mntns_ino = st.st_ino;
		r = mount_ns_of_process(s, dfd, p->pid, st.st_ino, &ns);
		if (r == -ENOMEM)
			return r;
		if (r == 0) {
			p->mntns_id = ns->id;
			/*
			 * Only where it decides: a namespace's first member, or after a
			 * kernel thread.  A probe in a namespace is no member of it
			 * (NSPROBE_COMM), nor one that exited meanwhile; as a later
			 * member either changes nothing.
			 */
			if (ns->nr_procs > 0 && !ns->pid_is_kthread)
				ns->nr_procs++;
			else if (proc_kind(dfd, &p->kthread))
				offer_representative(ns, p);
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
	return 0;
}

/* Every reference of process @c->proc: in the child. */
static int scan_references(ProcCtx *c, int procfd)
{
	char name[16];
	struct stat st;

	snprintf(name, sizeof(name), "%d", c->pid);
	_cleanup_close_ int dfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* vanished */
	int r = scan_links(c, dfd);
	if (r < 0)
		return r;
	r = scan_dir(c, dfd, "fd", on_fd, "open files (/proc/PID/fd)");
	if (r < 0)
		return r;
	r = scan_maps(c, dfd);
	if (r < 0)
		return r;
	/* task/ has 2 + threads links: a single-threaded process needs no listing. */
	if (fstatat(dfd, "task", &st, 0) < 0 || st.st_nlink <= 3)
		return 0;
	return scan_dir(c, dfd, "task", on_task, "thread cwd (/proc/PID/task)");
}

/*
 * The child: the references of processes @first.. of @s, as records on
 * @out, then REC_DONE.  It holds no fd but @out and /proc (a copy of ours
 * in a child stuck in a filesystem would keep those files alive, and our
 * caller's stdout open), and never outlives the scan.
 */
static _Noreturn void refs_child(const Snapshot *s, size_t first, int out, RefsProgress *pr,
				 pid_t parent, bool want_scm)
{
	bounded_child_init(parent, out);
	(void)prctl(PR_SET_NAME, REFS_COMM);
	ProcCtx c = { .s = s, .dirfd = -EBADF, .out = out, .want_scm = want_scm, .pr = pr };
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 && ctx_gap(&c, "/proc", "open", errno) < 0)
		_exit(1);
	for (size_t i = first; procfd >= 0 && i < s->n_procs; i++) {
		/* Our own references are the scan's transient state, not findings. */
		if (s->procs[i].pid == parent)
			continue;
		pr->proc = (uint32_t)i;
		c.proc = (uint32_t)i;
		c.pid = s->procs[i].pid;
		c.cwd = (RefStat){ 0 };
		int r = scan_references(&c, procfd);
		if (r == -ENOMEM)
			r = ctx_gap(&c, "references of a process", "malloc", ENOMEM);
		if (r < 0)
			_exit(1); /* the parent is gone, or reads no more */
	}
	RefRecord done = { .kind = REC_DONE };
	_exit(emit(&c, &done) < 0);
}

/* Apply the records in @buf (@n bytes, whole records); sets *@done on REC_DONE. */
static int apply_records(Snapshot *s, const RefRecord *rec, size_t n, bool *done)
{
	for (size_t i = 0; i < n; i++) {
		if (rec[i].kind == REC_DONE) {
			*done = true;
		} else if (rec[i].kind == REC_GAP) {
			if (snapshot_add_pid_gap(s, rec[i].what, rec[i].call, rec[i].err,
						 rec[i].pid) < 0)
				return -ENOMEM;
		} else if (rec[i].kind == REC_SCM) {
			if (snapshot_add_pid_gap(s, GAP_WHAT_SCM_FDS, "fdinfo", EOPNOTSUPP,
						 rec[i].pid) < 0)
				return -ENOMEM;
		} else if (rec[i].kind == REC_HOLDER) {
			Holder *h = snapshot_add_holder(s);
			if (!h)
				return -ENOMEM;
			*h = rec[i].h;
		}
	}
	return 0;
}

/*
 * Run one child from process @first on, and read its records until it is
 * done, dies, or stalls.  Returns the index of the first process no child
 * has read yet (n_procs when all are), or -errno.
 */
static ssize_t watch_child(Snapshot *s, size_t first, RefsProgress *pr, bool want_scm)
{
	RefRecord buf[64];
	int p[2];
	bool done = false;
	size_t have = 0; /* bytes of a record not yet whole */

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t parent = getpid();
	pr->proc = (uint32_t)first;
	pid_t pid = fork();
	if (pid == 0)
		refs_child(s, first, p[1], pr, parent, want_scm);
	int fork_err = errno;
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -fork_err;
	}
	uint64_t seen = progress(pr);
	int64_t last = bounded_now_ms();
	ssize_t next = -1;
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int k = poll(&pfd, 1, 100);
		if (k < 0 && errno != EINTR) {
			next = -errno;
			break;
		}
		if (k > 0) {
			ssize_t n = read(p[0], (char *)buf + have, sizeof(buf) - have);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				next = -errno;
				break;
			}
			if (n == 0) {
				/* It died before it was done (a crash, or killed): skip where it was. */
				if (!done && snapshot_add_pid_gap(s, "references of a process",
								  "child exited", ECHILD,
								  s->procs[pr->proc].pid) < 0)
					next = -ENOMEM;
				else
					next = done ? (ssize_t)s->n_procs : (ssize_t)pr->proc + 1;
				break;
			}
			if (n > 0) {
				have += (size_t)n;
				size_t whole = have / sizeof(RefRecord);
				if (apply_records(s, buf, whole, &done) < 0) {
					next = -ENOMEM;
					break;
				}
				have -= whole * sizeof(RefRecord);
				memmove(buf, (char *)buf + whole * sizeof(RefRecord), have);
			}
		}
		if (progress(pr) != seen) {
			seen = progress(pr);
			last = bounded_now_ms();
		} else if (bounded_now_ms() - last >= REFS_STALL_MS) {
			/* Stuck in one reference of this process: it is a gap, the rest go on. */
			if (snapshot_add_pid_gap(
				    s,
				    "references of a process (its files or memory map did not answer within 1.5 s)",
				    "statx", ETIMEDOUT, s->procs[pr->proc].pid) < 0)
				next = -ENOMEM;
			else
				next = (ssize_t)pr->proc + 1;
			break;
		}
	}
	close(p[0]);
	if (done && next == (ssize_t)s->n_procs) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	} else {
		bounded_give_up(pid);
	}
	return next;
}

/* The references of every process, read by watched children (see the top of the file). */
static int collect_references(Snapshot *s, bool want_scm)
{
	RefsProgress *pr =
		mmap(NULL, sizeof(*pr), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ssize_t next = 0;

	if (pr == MAP_FAILED)
		return -ENOMEM;
	bounded_reap();
	while (next >= 0 && (size_t)next < s->n_procs)
		next = watch_child(s, (size_t)next, pr, want_scm);
	s->n_refs += pr->refs;
	munmap(pr, sizeof(*pr));
	if (next == -ENOMEM)
		return -ENOMEM;
	if (next < 0)
		return snapshot_add_gap(s, "references of every process", "fork", (int)-next);
	return 0;
}

typedef struct ProcWalk {
	Snapshot *s;
	int procfd;
} ProcWalk;

static int on_proc(void *ctx, const char *name)
{
	ProcWalk *w = ctx;
	if (!is_pid_name(name))
		return 0;
	return scan_process(w->s, w->procfd, name);
}

/* Tie each process found by the BPF tier to its mount namespace, by nsfs inode. */
static int assign_namespaces(Snapshot *s, size_t first)
{
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (size_t i = first; i < s->n_procs; i++) {
		Process *p = &s->procs[i];
		MountNs *ns = p->mntns_ino ? snapshot_find_ns_by_ino(s, p->mntns_ino) : NULL;
		if (!ns && p->mntns_ino && procfd >= 0) {
			/* A namespace born after the walk: look at it through /proc. */
			char name[16];
			snprintf(name, sizeof(name), "%d", p->pid);
			_cleanup_close_ int dfd =
				openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			int r = dfd < 0 ? -errno :
					  mount_ns_of_process(s, dfd, p->pid, p->mntns_ino, &ns);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				ns = NULL;
			p = &s->procs[i];
		}
		if (!ns)
			continue; /* a kernel thread without namespaces, or gone */
		p->mntns_id = ns->id;
		if (strcmp(p->comm, NSPROBE_COMM) != 0)
			offer_representative(ns, p);
	}
	/*
	 * A thread in a namespace of its own is its member: that namespace is not
	 * process-less.  One born after the walk is not in the snapshot; nothing
	 * is reported of it.
	 */
	for (size_t i = 0; i < s->n_thread_nss; i++) {
		MountNs *ns = snapshot_find_ns_by_ino(s, s->thread_nss[i].ino);
		if (ns && (ns->nr_procs++ == 0 || ns->pid_is_kthread)) {
			ns->pid = s->thread_nss[i].tid;
			ns->pid_is_kthread = false;
		}
	}
	return 0;
}

int collect_processes(Snapshot *s, const ScanOptions *o)
{
	/* The BPF tier reads every reference in three passes; /proc is the fallback. */
	if (o->want_orphans && !o->no_bpf && s->has_listmount) {
		size_t first = s->n_procs;
		int r;
		if (o->refs_bpf && o->want_orphans) {
			/* The superblock walk too, side by side with the references. */
			r = refs_bpf_collect_and_walk(o->refs_bpf, s, &s->sb_walk_error);
			s->sb_walk_ran = r == 0;
		} else {
			r = o->refs_bpf ? refs_bpf_collect(o->refs_bpf, s) :
					  bpf_collect_references(s);
		}
		s->bpf_error = r < 0 ? -r : 0;
		if (r == 0) {
			s->used_bpf = true;
			return assign_namespaces(s, first);
		}
		if (r == -ENOMEM)
			return r;
	}

	int e = snapshot_fill_live_mnt_ids(s); /* the /proc tier decides by the live set */
	if (e < 0)
		return e;
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return snapshot_add_gap(s, "/proc", "open", errno);
	ProcWalk w = { s, procfd };
	int r = for_each_dent(procfd, on_proc, &w);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && (r = snapshot_add_gap(s, "/proc", "getdents", -r)) < 0)
		return r;
	/* Where the programs loaded, the superblock walk names files in flight itself. */
	return o->want_orphans ? collect_references(s, !o->refs_bpf || o->no_bpf) : 0;
}

int collect_process_names(Snapshot *s, bool representatives, MountNsCache *cache)
{
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ bool *wanted = calloc(s->n_procs ? s->n_procs : 1, sizeof(bool));
	char buf[4096], name[32];

	if (!wanted)
		return -ENOMEM;
	if (procfd < 0)
		return snapshot_add_gap(s, "/proc", "open", errno);
	for (size_t i = 0; i < s->n_holders; i++) {
		const Holder *h = &s->holders[i];
		if (holder_is_unattached(s, h) || (s->nsfs_dev && h->dev == s->nsfs_dev))
			wanted[h->proc] = true;
	}
	/* The process that can receive a file in flight is named as its holder. */
	for (size_t i = 0; i < s->n_inflight; i++)
		if (inflight_owner(s, &s->inflight[i]))
			wanted[s->inflight[i].owner_proc] = true;
	for (size_t i = 0; i < s->n_kholders; i++)
		if (kholder_owner(s, &s->kholders[i]))
			wanted[s->kholders[i].proc] = true;
	if (representatives) {
		U64Set reps = { 0 };
		for (size_t i = 0; i < s->n_nss; i++)
			if (s->nss[i].pid > 0 && u64set_add(&reps, (uint64_t)s->nss[i].pid) < 0) {
				u64set_done(&reps);
				return -ENOMEM;
			}
		for (size_t i = 0; i < s->n_procs; i++)
			wanted[i] |= u64set_contains(&reps, (uint64_t)s->procs[i].pid);
		u64set_done(&reps);
	}
	for (size_t i = 0; i < s->n_procs; i++) {
		Process *p = &s->procs[i];
		/* The BPF tier named every process already, but gave no cgroup. */
		if (!wanted[i] || (p->comm[0] && p->cgroup))
			continue;
		/* A namespace's representative, unchanged since the last scan (residue serve). */
		const char *known = p->comm[0] && !p->cgroup ?
					    mount_ns_cache_cgroup(cache, p->mntns_id, p->pid) :
					    NULL;
		if (known) {
			if (!(p->cgroup = strdup(known)))
				return -ENOMEM;
			continue;
		}
		/* Read with its namespace's table (collect_mount_tables()). */
		MountNs *ns = p->comm[0] && !p->cgroup ? snapshot_find_ns(s, p->mntns_id) : NULL;
		if (ns && ns->pid == p->pid && ns->pid_cgroup) {
			p->cgroup = TAKE_PTR(ns->pid_cgroup);
			if (mount_ns_cache_set_cgroup(cache, p->mntns_id, p->pid, p->cgroup) < 0)
				return -ENOMEM;
			continue;
		}
		/* One open a file, not two: a representative of each of 1 000 namespaces. */
		ssize_t n;
		if (!p->comm[0]) {
			snprintf(name, sizeof(name), "%d/comm", p->pid);
			n = read_small_at(procfd, name, p->comm, sizeof(p->comm));
			if (n > 0 && p->comm[n - 1] == '\n')
				p->comm[n - 1] = '\0';
		}
		snprintf(name, sizeof(name), "%d/cgroup", p->pid);
		n = read_small_at(procfd, name, buf, sizeof(buf));
		if (n > 0 && !p->cgroup && parse_proc_cgroup(buf, (size_t)n, &p->cgroup) == -ENOMEM)
			return -ENOMEM;
		if (p->cgroup &&
		    mount_ns_cache_set_cgroup(cache, p->mntns_id, p->pid, p->cgroup) < 0)
			return -ENOMEM;
	}
	return 0;
}

int collect_representatives(Snapshot *s, const ScanOptions *o)
{
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char path[48], buf[512];

	if (procfd < 0)
		return 0;
	for (size_t i = 0; i < s->n_nss; i++) {
		MountNs *ns = &s->nss[i];
		unsigned tries = 0;
		if (ns->pid <= 0)
			continue;
		pid_t known = mount_ns_cache_representative(o->ns_cache, s, ns);
		if (known > 0) {
			for (size_t j = 0; known != ns->pid && j < s->n_procs; j++)
				if (s->procs[j].pid == known)
					ns->pid_is_kthread = s->procs[j].kthread;
			ns->pid = known;
			continue;
		}
		/*
		 * Kernel threads name no container: take the first that is not.  The
		 * process scan already chose one (offer_representative(), from the
		 * BPF task flags or /proc/PID/stat), so only a namespace it found
		 * kernel threads alone in is looked at again: at 1 000 containers
		 * re-reading every representative's stat cost 7 ms of the scan.  Told
		 * from its stat flags (PF_KTHREAD), not from an empty cmdline, whose
		 * read waits for the process's mmap_lock.
		 */
		if (!ns->pid_is_kthread)
			continue;
		for (size_t j = 0; j < s->n_procs && tries < 64; j++) {
			const Process *p = &s->procs[j];
			uint64_t flags;
			if (p->mntns_id != ns->id || p->pid < ns->pid)
				continue;
			tries++;
			snprintf(path, sizeof(path), "%d/stat", p->pid);
			ssize_t n = read_small_at(procfd, path, buf, sizeof(buf));
			if (n > 0 && parse_proc_stat_flags(buf, (size_t)n, &flags) == 0 &&
			    !(flags & PF_KTHREAD)) {
				ns->pid = p->pid;
				ns->pid_is_kthread = false;
				break;
			}
		}
	}
	return 0;
}
