// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue bench masks`: reproduce the cost of masking container directories
 * (kubernetes #138512, #138388; runc #5262) on the running kernel.  A
 * "container" is a child that unshare(CLONE_NEWNS)es, makes its mounts
 * private, mounts a small tmpfs root on <base>/root (in its own namespace
 * only, so every container uses the same host directory), creates the N
 * masked directories in it and masks them in one style; it reports through
 * a pipe when (CLOCK_MONOTONIC) its last mask was in place, then verifies
 * the masks (read-only, superblocks counted two independent ways) and
 * sleeps until it is SIGKILLed.  P worker threads start the K containers,
 * all stay alive together (as on a loaded node, where the superblocks and
 * their shrinkers coexist), then the same workers stop them: teardown is
 * SIGKILL to reaped, by which time the kernel has dropped the namespace, its
 * mounts and their superblocks (exit_task_namespaces() and the deferred
 * mntput task work run before the parent is notified).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/procfmt.h"
#include "base/u64set.h"
#include "bench-masks.h"
#include "guard.h"

/* A container that is not ready after this long is reported as stuck. */
#define READY_TIMEOUT_MS 60000
/* The container's mountinfo is streamed through this; a longer line is an error. */
#define MI_BUF_SIZE 65536

static const char *const style_names[_BENCH_MASK_MAX] = {
	[BENCH_MASK_TMPFS_PER_MASK] = "tmpfs-per-mask",
	[BENCH_MASK_SHARED_TMPFS] = "shared-tmpfs",
	[BENCH_MASK_SHARED_DIR] = "shared-dir",
};

const char *bench_mask_style_to_string(BenchMaskStyle s)
{
	return (int)s >= 0 && s < _BENCH_MASK_MAX ? style_names[s] : "?";
}

int bench_mask_style_from_string(const char *s)
{
	for (int i = 0; i < _BENCH_MASK_MAX; i++)
		if (strcmp(s, style_names[i]) == 0)
			return i;
	return -EINVAL;
}

/* The directory entries of the OCI/containerd default maskedPaths. */
static const char *const default_dir_masks[] = {
	"proc/acpi", "proc/asound", "proc/scsi", "sys/firmware", "sys/devices/virtual/powercap",
};

const char *bench_mask_path(unsigned i, char *buf, size_t size)
{
	if (i < ARRAY_SIZE(default_dir_masks))
		snprintf(buf, size, "%s", default_dir_masks[i]);
	else
		snprintf(buf, size, "sys/devices/system/cpu/cpu%u/thermal_throttle",
			 i - (unsigned)ARRAY_SIZE(default_dir_masks));
	return buf;
}

/* Where a container's set-up or self-check failed. */
typedef enum Step {
	STEP_NONE,
	STEP_UNSHARE,
	STEP_PRIVATE,
	STEP_ROOT,
	STEP_MKDIR,
	STEP_MASK,
	STEP_REMOUNT,
	STEP_BIND,
	STEP_STAT,
	STEP_WRITABLE,
	STEP_MOUNTINFO,
	STEP_DISAGREE,
	_STEP_MAX,
} Step;

static const char *const step_names[_STEP_MAX] = {
	[STEP_NONE] = "set-up",
	[STEP_UNSHARE] = "unshare(CLONE_NEWNS)",
	[STEP_PRIVATE] = "making / rprivate",
	[STEP_ROOT] = "mounting the root tmpfs",
	[STEP_MKDIR] = "creating a masked directory",
	[STEP_MASK] = "mounting a read-only tmpfs mask",
	[STEP_REMOUNT] = "remounting the shared directory read-only",
	[STEP_BIND] = "bind-mounting a mask",
	[STEP_STAT] = "stat/statfs of a mask",
	[STEP_WRITABLE] = "checking a mask: it is writable",
	[STEP_MOUNTINFO] = "reading /proc/self/mountinfo",
	[STEP_DISAGREE] = "counting superblocks: stat and mountinfo disagree",
};

/* What a container writes to its pipe once: < PIPE_BUF, so the write is atomic. */
typedef struct Report {
	int32_t err; /* positive errno; 0 ready */
	int32_t step;
	uint32_t index; /* the mask a failed step was at */
	uint32_t superblocks; /* stat/statfs view */
	uint32_t mi_superblocks; /* mountinfo view */
	uint32_t mask_mounts; /* mountinfo view */
	uint64_t t_ready_ns; /* CLOCK_MONOTONIC after the last mask */
	uint64_t mask_ns;
} Report;

typedef struct Container {
	pid_t pid; /* > 0 from fork until reaped */
	bool ready, torn_down;
	double setup_ms, mask_ms, teardown_ms;
	uint32_t superblocks, mask_mounts;
} Container;

typedef struct World {
	const BenchMasksOptions *o;
	BenchMaskStyle style;
	pid_t parent;
	char base[PATH_MAX], root[PATH_MAX], shared[PATH_MAX];
	size_t root_len;
	char **dirs; /* every directory to create under root, parents first */
	size_t n_dirs;
	char **targets; /* the N masked directories */
	U64Set host_devs;
	Container *c;
	atomic_uint next_start, next_stop;
	atomic_bool failed;
	/* The phase gate: nobody stops containers before every start is done. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned arrived, expected;
	int err; /* the first failure, -errno; under lock */
	BenchError *e;
} World;

typedef struct Worker {
	World *w;
	pthread_t thread;
	uint64_t *devs, *mi_devs; /* N each: a container's distinct mask devices */
	char *mibuf;
} Worker;

static void world_fail(World *w, int err, const char *fmt, ...) _printf_(3, 4);
static void world_fail(World *w, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&w->lock);
	if (w->err == 0) {
		w->err = -(err > 0 ? err : EIO);
		if (w->e) {
			w->e->err = -w->err;
			va_start(ap, fmt);
			vsnprintf(w->e->msg, sizeof(w->e->msg), fmt, ap);
			va_end(ap);
		}
	}
	pthread_mutex_unlock(&w->lock);
	atomic_store(&w->failed, true);
}

/* ---- the container (child side: no allocation, no stdio) ---- */

static void child_report(int fd, const Report *r)
{
	while (write(fd, r, sizeof(*r)) < 0 && errno == EINTR)
		;
}

static _Noreturn void child_fail(int fd, Report *r, Step step, unsigned index, int err)
{
	r->err = err > 0 ? err : EIO;
	r->step = step;
	r->index = index;
	child_report(fd, r);
	_exit(1);
}

/* Keep only @fd (as fd 3) besides stdio: another worker's pipe must not stay open here. */
static int child_keep_only(int fd)
{
	if (fd != 3 && dup2(fd, 3) < 0)
		return fd;
	if (close_range(4, ~0U, 0) < 0)
		for (int i = 4; i < 4096; i++)
			close(i);
	return 3;
}

static bool add_distinct(uint64_t *v, uint32_t *n, uint32_t cap, uint64_t x)
{
	for (uint32_t i = 0; i < *n; i++)
		if (v[i] == x)
			return true;
	if (*n >= cap)
		return false;
	v[(*n)++] = x;
	return true;
}

static int apply_masks(const World *w, Step *ret_step, unsigned *ret_index)
{
	const char *first = w->targets[0];
	unsigned n = w->o->masks;

	*ret_index = 0;
	switch (w->style) {
	case BENCH_MASK_TMPFS_PER_MASK:
		/* runc < 1.3.6, maskPaths(): mount("tmpfs", dst, "tmpfs", MS_RDONLY, label) each. */
		for (unsigned i = 0; i < n; i++) {
			*ret_index = i;
			*ret_step = STEP_MASK;
			if (mount("tmpfs", w->targets[i], "tmpfs", MS_RDONLY, NULL) < 0)
				return -errno;
		}
		return 0;
	case BENCH_MASK_SHARED_TMPFS:
		/* runc >= 1.3.6: the first mask is a tmpfs, the rest bind it (MNT_READONLY is cloned). */
		*ret_step = STEP_MASK;
		if (mount("tmpfs", first, "tmpfs", MS_RDONLY, NULL) < 0)
			return -errno;
		break;
	case BENCH_MASK_SHARED_DIR:
		/* crun >= 1.24: one empty host directory, bound and made read-only, then bound again. */
		*ret_step = STEP_BIND;
		if (mount(w->shared, first, NULL, MS_BIND, NULL) < 0)
			return -errno;
		*ret_step = STEP_REMOUNT;
		if (mount(NULL, first, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
			return -errno;
		break;
	default:
		*ret_step = STEP_NONE;
		return -EINVAL;
	}
	*ret_step = STEP_BIND;
	for (unsigned i = 1; i < n; i++) {
		*ret_index = i;
		if (mount(first, w->targets[i], NULL, MS_BIND, NULL) < 0)
			return -errno;
	}
	return 0;
}

/*
 * The independent view: the mounts below root in this namespace's mountinfo,
 * and the distinct new tmpfs devices among them.
 */
static int child_mountinfo(const World *w, const Worker *wk, dev_t root_dev, uint32_t *ret_sbs,
			   uint32_t *ret_mounts)
{
	char *buf = wk->mibuf;
	uint32_t nd = 0, mounts = 0;
	size_t have = 0;
	int fd, r = 0;

	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, MI_BUF_SIZE - 1 - have);
		size_t start = 0;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno;
			break;
		}
		have += (size_t)n;
		if (n == 0 && have > 0 && buf[have - 1] != '\n')
			buf[have++] = '\n'; /* room kept by the -1 above */
		while ((nl = memchr(buf + start, '\n', have - start))) {
			size_t len = (size_t)(nl - (buf + start));
			MountinfoEntry me;
			const char *mp;

			if (parse_mountinfo_line(buf + start, len, &me) == 0) {
				mp = me.mount_point;
				if (strncmp(mp, w->root, w->root_len) == 0 &&
				    mp[w->root_len] == '/') {
					uint64_t dev = makedev(me.major, me.minor);
					mounts++;
					if (strcmp(me.fstype, "tmpfs") == 0 && dev != root_dev &&
					    !u64set_contains(&w->host_devs, dev) &&
					    !add_distinct(wk->mi_devs, &nd, w->o->masks, dev)) {
						r = E2BIG;
						break;
					}
				}
			}
			start += len + 1;
		}
		if (r || n == 0)
			break;
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have >= MI_BUF_SIZE - 2) {
			r = E2BIG;
			break;
		}
	}
	close(fd);
	*ret_sbs = nd;
	*ret_mounts = mounts;
	return r;
}

static _Noreturn void container_main(const World *w, const Worker *wk, int wfd)
{
	Report r = { 0 };
	struct stat st;
	struct statfs sfs;
	unsigned n = w->o->masks, index = 0;
	uint32_t nd = 0;
	Step step = STEP_NONE;
	uint64_t t0;
	dev_t root_dev;
	int fd, err;

	if (!bench_guard_child(w->parent))
		_exit(1);
	fd = child_keep_only(wfd);
	prctl(PR_SET_NAME, "residue-bench");
	if (unshare(CLONE_NEWNS) < 0)
		child_fail(fd, &r, STEP_UNSHARE, 0, errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(fd, &r, STEP_PRIVATE, 0, errno);
	if (mount("residue-bench", w->root, "tmpfs", 0, "size=1m,mode=0755") < 0)
		child_fail(fd, &r, STEP_ROOT, 0, errno);
	for (size_t i = 0; i < w->n_dirs; i++)
		if (mkdir(w->dirs[i], 0755) < 0 && errno != EEXIST)
			child_fail(fd, &r, STEP_MKDIR, (unsigned)i, errno);

	t0 = bench_now_ns();
	err = apply_masks(w, &step, &index);
	r.t_ready_ns = bench_now_ns();
	if (err < 0)
		child_fail(fd, &r, step, index, -err);
	r.mask_ns = r.t_ready_ns - t0;

	/* Checks, after the clock stopped: read-only, and superblocks counted twice. */
	if (stat(w->root, &st) < 0)
		child_fail(fd, &r, STEP_STAT, 0, errno);
	root_dev = st.st_dev;
	for (unsigned i = 0; i < n; i++) {
		if (stat(w->targets[i], &st) < 0 || statfs(w->targets[i], &sfs) < 0)
			child_fail(fd, &r, STEP_STAT, i, errno);
		if (!(sfs.f_flags & ST_RDONLY))
			child_fail(fd, &r, STEP_WRITABLE, i, EROFS);
		if ((uint64_t)sfs.f_type == RS_TMPFS_MAGIC && st.st_dev != root_dev &&
		    !u64set_contains(&w->host_devs, st.st_dev))
			add_distinct(wk->devs, &nd, n, st.st_dev);
	}
	r.superblocks = nd;
	err = child_mountinfo(w, wk, root_dev, &r.mi_superblocks, &r.mask_mounts);
	if (err)
		child_fail(fd, &r, STEP_MOUNTINFO, 0, err);
	if (r.mi_superblocks != r.superblocks || r.mask_mounts != n)
		child_fail(fd, &r, STEP_DISAGREE, 0, EPROTO);
	child_report(fd, &r);
	for (;;)
		pause();
}

/* ---- the workers (parent side) ---- */

/* 0 with @ret filled, -EPIPE when the child closed the pipe first, -ETIMEDOUT, -EINTR. */
static int read_report(int fd, Report *ret)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)READY_TIMEOUT_MS * 1000000ULL;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		uint64_t now = bench_now_ns();
		int r;

		if (bench_guard_signal())
			return -EINTR;
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000ULL) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue;
		ssize_t n = read(fd, ret, sizeof(*ret));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		return n == (ssize_t)sizeof(*ret) ? 0 : -EPIPE;
	}
}

static void start_container(World *w, Worker *wk, unsigned i)
{
	Container *c = &w->c[i];
	sigset_t old;
	Report rep;
	uint64_t t0;
	int p[2], r, fork_err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		world_fail(w, errno, "pipe: %s", strerror(errno));
		return;
	}
	bench_guard_block(&old);
	t0 = bench_now_ns();
	pid = fork();
	if (pid == 0)
		container_main(w, wk, p[1]);
	fork_err = errno;
	bench_guard_unblock(&old);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		world_fail(w, fork_err, "fork: %s", strerror(fork_err));
		return;
	}
	c->pid = pid;
	bench_guard_add(pid);
	r = read_report(p[0], &rep);
	close(p[0]);
	if (r == -EINTR)
		return;
	if (r < 0) {
		world_fail(w, -r, "container %u (pid %d): %s", i, (int)pid,
			   r == -EPIPE	   ? "exited before it was ready" :
			   r == -ETIMEDOUT ? "not ready after 60 s" :
					     strerror(-r));
		return;
	}
	if (rep.err) {
		char rel[64];
		const char *what =
			rep.step >= 0 && rep.step < _STEP_MAX ? step_names[rep.step] : "set-up";
		bool at_mask = rep.step == STEP_MASK || rep.step == STEP_BIND ||
			       rep.step == STEP_STAT || rep.step == STEP_WRITABLE;

		if (rep.step == STEP_DISAGREE)
			world_fail(
				w, rep.err,
				"container %u: %s (stat: %u new superblocks, mountinfo: %u in %u "
				"mask mounts, %u masks)",
				i, what, rep.superblocks, rep.mi_superblocks, rep.mask_mounts,
				w->o->masks);
		else
			world_fail(w, rep.err, "container %u: %s%s%s: %s", i, what,
				   at_mask ? " at " : "",
				   at_mask ? bench_mask_path(rep.index, rel, sizeof(rel)) : "",
				   strerror(rep.err));
		return;
	}
	c->ready = true;
	c->setup_ms = bench_ns_to_ms(rep.t_ready_ns > t0 ? rep.t_ready_ns - t0 : 0);
	c->mask_ms = bench_ns_to_ms(rep.mask_ns);
	c->superblocks = rep.superblocks;
	c->mask_mounts = rep.mask_mounts;
}

static void stop_container(World *w, unsigned i)
{
	Container *c = &w->c[i];
	uint64_t t0;
	int status;

	(void)w;
	if (c->pid <= 0)
		return;
	t0 = bench_now_ns();
	kill(c->pid, SIGKILL);
	/* Unregister before reaping: a registered pid is never a recycled one. */
	bench_guard_remove(c->pid);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->teardown_ms = bench_ns_to_ms(bench_now_ns() - t0);
	c->torn_down = c->ready;
	c->pid = 0;
}

static void gate(World *w)
{
	pthread_mutex_lock(&w->lock);
	w->arrived++;
	pthread_cond_broadcast(&w->cond);
	while (w->arrived < w->expected)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
	Worker *wk = arg;
	World *w = wk->w;
	unsigned k = w->o->containers, i;

	/* The forking thread lives until its containers are reaped: PR_SET_PDEATHSIG is per thread. */
	while (!atomic_load(&w->failed) && !bench_guard_signal() &&
	       (i = atomic_fetch_add(&w->next_start, 1)) < k)
		start_container(w, wk, i);
	gate(w);
	while ((i = atomic_fetch_add(&w->next_stop, 1)) < k)
		stop_container(w, i);
	return NULL;
}

/* ---- set-up and the run ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* targets = root/<mask path>; dirs = every prefix of them, sorted, so parents come first. */
static int build_paths(World *w)
{
	unsigned n = w->o->masks;
	size_t cap = 0;

	w->targets = calloc(n, sizeof(char *));
	if (!w->targets)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		char rel[64];
		if (asprintf(&w->targets[i], "%s/%s", w->root,
			     bench_mask_path(i, rel, sizeof(rel))) < 0) {
			w->targets[i] = NULL;
			return -ENOMEM;
		}
		for (const char *p = rel; p; p = strchr(p + 1, '/'))
			cap++;
	}
	w->dirs = calloc(cap ? cap : 1, sizeof(char *));
	if (!w->dirs)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		const char *t = w->targets[i];
		for (const char *p = strchr(t + w->root_len + 1, '/');; p = strchr(p + 1, '/')) {
			size_t len = p ? (size_t)(p - t) : strlen(t);
			if (!(w->dirs[w->n_dirs] = strndup(t, len)))
				return -ENOMEM;
			w->n_dirs++;
			if (!p)
				break;
		}
	}
	qsort(w->dirs, w->n_dirs, sizeof(char *), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < w->n_dirs; i++) {
		if (u > 0 && strcmp(w->dirs[u - 1], w->dirs[i]) == 0) {
			free(w->dirs[i]);
			continue;
		}
		w->dirs[u++] = w->dirs[i];
	}
	w->n_dirs = u;
	return 0;
}

static void world_free(World *w)
{
	if (w->targets)
		for (unsigned i = 0; i < w->o->masks; i++)
			free(w->targets[i]);
	free(w->targets);
	for (size_t i = 0; i < w->n_dirs; i++)
		free(w->dirs[i]);
	free(w->dirs);
	u64set_done(&w->host_devs);
	free(w->c);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

static int summarise(World *w, BenchMasksResult *ret)
{
	LatencySet setup = { 0 }, mask = { 0 }, teardown = { 0 };
	int r = 0;

	for (unsigned i = 0; i < w->o->containers && r == 0; i++) {
		const Container *c = &w->c[i];
		if (!c->ready)
			continue;
		ret->superblocks += c->superblocks;
		ret->mask_mounts += c->mask_mounts;
		r = latency_add(&setup, c->setup_ms);
		if (r == 0)
			r = latency_add(&mask, c->mask_ms);
		if (r == 0 && c->torn_down)
			r = latency_add(&teardown, c->teardown_ms);
	}
	latency_stats(&setup, &ret->setup);
	latency_stats(&mask, &ret->mask);
	latency_stats(&teardown, &ret->teardown);
	latency_done(&setup);
	latency_done(&mask);
	latency_done(&teardown);
	return r;
}

int bench_masks_run(const BenchMasksOptions *o, BenchMaskStyle style, BenchMasksResult *ret,
		    BenchError *e)
{
	unsigned p = o->workers, created = 0;
	Worker *wk = NULL;
	World *w;
	uint64_t t0;
	int r = 0;

	if (o->containers == 0 || o->masks == 0 || p == 0 || (int)style < 0 ||
	    style >= _BENCH_MASK_MAX)
		return bench_error(e, EINVAL, "containers, masks and workers must be at least 1");
	*ret = (BenchMasksResult){ .style = style };
	w = calloc(1, sizeof(*w));
	if (!w)
		return bench_error(e, ENOMEM, "out of memory");
	w->o = o;
	w->style = style;
	w->e = e;
	w->parent = getpid();
	w->expected = p;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);

	r = bench_mkdtemp(o->tmpdir, w->base, e);
	if (r < 0) {
		world_free(w);
		return r;
	}
	/* Both fit: bench_mkdtemp's result came from realpath() and is shorter than PATH_MAX - 8. */
	if ((size_t)snprintf(w->root, sizeof(w->root), "%s/root", w->base) >= sizeof(w->root) ||
	    (size_t)snprintf(w->shared, sizeof(w->shared), "%s/shared", w->base) >=
		    sizeof(w->shared)) {
		r = bench_error(e, ENAMETOOLONG, "temporary directory name too long");
		goto out_rmdir;
	}
	w->root_len = strlen(w->root);
	if (mkdir(w->root, 0755) < 0 || mkdir(w->shared, 0555) < 0) {
		r = bench_error(e, errno, "mkdir in %s: %s", w->base, strerror(errno));
		goto out_rmdir;
	}
	if (build_paths(w) < 0) {
		r = bench_error(e, ENOMEM, "out of memory");
		goto out_rmdir;
	}
	r = bench_host_devs(&w->host_devs, e);
	if (r < 0)
		goto out_rmdir;
	w->c = calloc(o->containers, sizeof(*w->c));
	wk = calloc(p, sizeof(*wk));
	if (!w->c || !wk) {
		r = bench_error(e, ENOMEM, "out of memory");
		goto out_rmdir;
	}
	for (unsigned i = 0; i < p; i++) {
		wk[i].w = w;
		wk[i].devs = calloc(o->masks, sizeof(uint64_t));
		wk[i].mi_devs = calloc(o->masks, sizeof(uint64_t));
		wk[i].mibuf = malloc(MI_BUF_SIZE);
		if (!wk[i].devs || !wk[i].mi_devs || !wk[i].mibuf) {
			r = bench_error(e, ENOMEM, "out of memory");
			goto out_free_workers;
		}
	}

	t0 = bench_now_ns();
	for (; created < p; created++) {
		int err = pthread_create(&wk[created].thread, NULL, worker_main, &wk[created]);
		if (err) {
			world_fail(w, err, "pthread_create: %s", strerror(err));
			break;
		}
	}
	pthread_mutex_lock(&w->lock);
	w->expected = created;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < created; i++)
		pthread_join(wk[i].thread, NULL);
	ret->total_ms = bench_ns_to_ms(bench_now_ns() - t0);
	/* Nothing is left running, whatever happened to the workers. */
	for (unsigned i = 0; i < o->containers; i++)
		stop_container(w, i);

	if (bench_guard_signal())
		r = bench_error(e, EINTR, "interrupted by signal %d", bench_guard_signal());
	else if (w->err)
		r = w->err;
	else if (summarise(w, ret) < 0)
		r = bench_error(e, ENOMEM, "out of memory");

out_free_workers:
	for (unsigned i = 0; wk && i < p; i++) {
		free(wk[i].devs);
		free(wk[i].mi_devs);
		free(wk[i].mibuf);
	}
out_rmdir:
	free(wk);
	/* Plain directories by now: the mounts on root lived only in the containers' namespaces. */
	if (w->root[0])
		rmdir(w->root);
	if (w->shared[0])
		rmdir(w->shared);
	if (rmdir(w->base) < 0 && r == 0)
		r = bench_error(e, errno, "removing %s: %s", w->base, strerror(errno));
	world_free(w);
	return r;
}
