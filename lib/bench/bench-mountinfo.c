// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue bench mountinfo`: reproduce the mount-table cost that container
 * hosts pay (containerd #5113, moby #45760, buildkit #4812).  A forked child
 * unshare(CLONE_NEWNS)es, mounts a tmpfs over the benchmark's directory and
 * M small tmpfs mounts below it, then for each method runs R reader threads
 * and W churn threads for a fixed time: the readers read the whole table
 * (mountinfo: the global namespace_sem held for reading over the whole
 * read; listmount/statmount: per call), the workers mount and unmount a
 * tmpfs, each umount taking namespace_sem for writing.  The child sends its
 * results through a pipe and is then SIGKILLed, which tears the namespace
 * and its M mounts down; the parent times that too and removes the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/compat.h"
#include "bench-mountinfo.h"
#include "guard.h"

/* Extra time, beyond the methods' own, before the parent gives up on the child. */
#define SETUP_TIMEOUT_S 300
#define METHOD_SLACK_S 60
#define MOUNTINFO_BUF (256 * 1024)
#define STATMOUNT_BUF 4096

static const char *const method_names[_BENCH_READ_MAX] = {
	[BENCH_READ_MOUNTINFO] = "mountinfo",
	[BENCH_READ_STATMOUNT] = "listmount+statmount",
	[BENCH_READ_LISTMOUNT] = "listmount",
};

const char *bench_read_method_to_string(BenchReadMethod m)
{
	return (int)m >= 0 && m < _BENCH_READ_MAX ? method_names[m] : "?";
}

int bench_read_method_from_string(const char *s)
{
	if (strcmp(s, "statmount") == 0)
		return BENCH_READ_STATMOUNT;
	for (int i = 0; i < _BENCH_READ_MAX; i++)
		if (strcmp(s, method_names[i]) == 0)
			return i;
	return -EINVAL;
}

typedef enum Step {
	STEP_NONE,
	STEP_UNSHARE,
	STEP_PRIVATE,
	STEP_BASE,
	STEP_MKDIR,
	STEP_MOUNT,
	STEP_COUNT,
	STEP_THREAD,
	STEP_READ,
	STEP_SHORT_READ,
	STEP_CHURN,
	STEP_MEMORY,
	_STEP_MAX,
} Step;

static const char *const step_names[_STEP_MAX] = {
	[STEP_NONE] = "set-up",
	[STEP_UNSHARE] = "unshare(CLONE_NEWNS)",
	[STEP_PRIVATE] = "making / rprivate",
	[STEP_BASE] = "mounting the namespace's tmpfs",
	[STEP_MKDIR] = "creating mount points",
	[STEP_MOUNT] = "mounting the M tmpfs mounts",
	[STEP_COUNT] = "counting the mounts",
	[STEP_THREAD] = "starting threads",
	[STEP_READ] = "reading the mount table",
	[STEP_SHORT_READ] = "reading the mount table: a read saw fewer mounts than exist",
	[STEP_CHURN] = "mounting/unmounting in the churn loop",
	[STEP_MEMORY] = "allocating",
};

enum {
	MSG_READY = 1,
	MSG_RESULT,
	MSG_DONE,
	MSG_ERROR
};

/* One message child -> parent, < PIPE_BUF so each write is atomic. */
typedef struct Msg {
	int32_t type;
	int32_t err; /* MSG_ERROR: positive errno */
	int32_t step;
	int32_t method; /* MSG_ERROR during a method, else -1 */
	uint64_t mounts;
	double setup_ms;
	BenchReadResult res;
} Msg;

typedef struct Bench {
	const BenchMountinfoOptions *o;
	char base[PATH_MAX];
	pid_t parent;
	uint64_t mounts; /* at READY: what every read must at least see */
	pthread_barrier_t go;
	uint64_t start_ns, deadline_ns; /* written before the barrier, read after */
} Bench;

typedef struct Reader {
	Bench *b;
	BenchReadMethod method;
	pthread_t thread;
	LatencySet lat;
	uint64_t reads, emin, emax;
	int err; /* positive errno */
	Step step;
	char *buf; /* MOUNTINFO_BUF, or the statmount reply */
	uint64_t *ids;
	size_t ids_cap;
} Reader;

typedef struct Churner {
	Bench *b;
	pthread_t thread;
	char path[PATH_MAX];
	uint64_t pairs, end_ns;
	int err;
} Churner;

/* ---- the three ways of reading the table ---- */

static int read_mountinfo(Reader *rd, uint64_t *ret_entries)
{
	uint64_t lines = 0;
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, rd->buf, MOUNTINFO_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		for (const char *p = rd->buf, *end = p + n;
		     (p = memchr(p, '\n', (size_t)(end - p))); p++)
			lines++;
	}
	close(fd);
	*ret_entries = lines;
	return 0;
}

/* Every mount id of the caller's namespace (VER0 request: "my namespace"), paged. */
static int list_ids(Reader *rd, size_t *ret_n)
{
	struct rs_mnt_id_req req = {
		.size = RS_MNT_ID_REQ_SIZE_VER0,
		.mnt_id = RS_LSMT_ROOT,
	};
	size_t n = 0;

	for (;;) {
		if (rd->ids_cap - n < 256) {
			size_t cap = rd->ids_cap * 2;
			uint64_t *ids = realloc(rd->ids, cap * sizeof(*ids));
			if (!ids)
				return -ENOMEM;
			rd->ids = ids;
			rd->ids_cap = cap;
		}
		size_t want = rd->ids_cap - n;
		long got = rs_listmount(&req, rd->ids + n, want, 0);
		if (got < 0)
			return -errno;
		n += (size_t)got;
		if ((size_t)got < want)
			break;
		req.param = rd->ids[n - 1]; /* the next page starts after the last id */
	}
	*ret_n = n;
	return 0;
}

static int read_statmount(Reader *rd, uint64_t *ret_entries)
{
	struct rs_statmount *sm = (struct rs_statmount *)rd->buf;
	uint64_t ok = 0;
	size_t n;
	int r = list_ids(rd, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct rs_mnt_id_req req = {
			.size = RS_MNT_ID_REQ_SIZE_VER0,
			.mnt_id = rd->ids[i],
			.param = RS_STATMOUNT_SB_BASIC | RS_STATMOUNT_MNT_BASIC,
		};
		if (rs_statmount(&req, sm, STATMOUNT_BUF, 0) < 0) {
			if (errno == ENOENT) /* a churn mount gone between the two calls */
				continue;
			return -errno;
		}
		ok++;
	}
	*ret_entries = ok;
	return 0;
}

static int read_table(Reader *rd, uint64_t *ret_entries)
{
	size_t n;
	int r;

	switch (rd->method) {
	case BENCH_READ_MOUNTINFO:
		return read_mountinfo(rd, ret_entries);
	case BENCH_READ_STATMOUNT:
		return read_statmount(rd, ret_entries);
	case BENCH_READ_LISTMOUNT:
		r = list_ids(rd, &n);
		if (r == 0)
			*ret_entries = n;
		return r;
	default:
		return -EINVAL;
	}
}

/* ---- threads of the child ---- */

static void *reader_main(void *arg)
{
	Reader *rd = arg;
	Bench *b = rd->b;

	pthread_barrier_wait(&b->go);
	while (bench_now_ns() < b->deadline_ns) {
		uint64_t entries = 0, t0 = bench_now_ns();
		int r = read_table(rd, &entries);
		uint64_t t1 = bench_now_ns();

		if (r < 0) {
			rd->err = -r;
			rd->step = STEP_READ;
			break;
		}
		if (entries < b->mounts) {
			rd->err = EPROTO;
			rd->step = STEP_SHORT_READ;
			break;
		}
		if (latency_add(&rd->lat, bench_ns_to_ms(t1 - t0)) < 0) {
			rd->err = ENOMEM;
			rd->step = STEP_MEMORY;
			break;
		}
		rd->reads++;
		if (rd->reads == 1 || entries < rd->emin)
			rd->emin = entries;
		if (entries > rd->emax)
			rd->emax = entries;
	}
	return NULL;
}

static void *churner_main(void *arg)
{
	Churner *ch = arg;
	Bench *b = ch->b;

	pthread_barrier_wait(&b->go);
	while (bench_now_ns() < b->deadline_ns) {
		if (mount("residue-churn", ch->path, "tmpfs", 0, "size=4k") < 0) {
			ch->err = errno;
			break;
		}
		if (umount2(ch->path, 0) < 0) {
			ch->err = errno;
			break;
		}
		ch->pairs++;
	}
	ch->end_ns = bench_now_ns();
	return NULL;
}

/* ---- the child ---- */

static void child_send(int fd, const Msg *m)
{
	while (write(fd, m, sizeof(*m)) < 0 && errno == EINTR)
		;
}

static _Noreturn void child_fail(int fd, Step step, int method, int err)
{
	Msg m = { .type = MSG_ERROR, .err = err > 0 ? err : EIO, .step = step, .method = method };

	child_send(fd, &m);
	_exit(1);
}

/* Is @m usable here?  0, or the errno that says why not (ENOSYS before 6.8). */
static int probe_method(BenchReadMethod m)
{
	struct rs_mnt_id_req req = { .size = RS_MNT_ID_REQ_SIZE_VER0, .mnt_id = RS_LSMT_ROOT };
	char buf[STATMOUNT_BUF];
	uint64_t id;

	if (m == BENCH_READ_MOUNTINFO)
		return 0;
	if (rs_listmount(&req, &id, 1, 0) < 0)
		return errno;
	if (m == BENCH_READ_STATMOUNT) {
		req = (struct rs_mnt_id_req){ .size = RS_MNT_ID_REQ_SIZE_VER0,
					      .mnt_id = id,
					      .param = RS_STATMOUNT_SB_BASIC };
		if (rs_statmount(&req, (struct rs_statmount *)buf, sizeof(buf), 0) < 0)
			return errno;
	}
	return 0;
}

static void run_method(Bench *b, BenchReadMethod m, int fd, BenchReadResult *res)
{
	const BenchMountinfoOptions *o = b->o;
	Reader *rd = calloc(o->readers, sizeof(*rd));
	Churner *ch = calloc(o->workers ? o->workers : 1, sizeof(*ch));
	LatencySet all = { 0 };
	uint64_t end = 0;
	int err;

	*res = (BenchReadResult){ .method = m };
	if (!rd || !ch)
		child_fail(fd, STEP_MEMORY, m, ENOMEM);
	err = probe_method(m);
	if (err) {
		res->unavailable_err = err;
		free(rd);
		free(ch);
		return;
	}
	res->available = true;
	if (pthread_barrier_init(&b->go, NULL, o->readers + o->workers + 1) != 0)
		child_fail(fd, STEP_THREAD, m, EAGAIN);
	for (unsigned i = 0; i < o->readers; i++) {
		rd[i].b = b;
		rd[i].method = m;
		rd[i].ids_cap = (size_t)b->mounts + 1024;
		rd[i].ids = malloc(rd[i].ids_cap * sizeof(uint64_t));
		rd[i].buf = malloc(MOUNTINFO_BUF);
		if (!rd[i].ids || !rd[i].buf)
			child_fail(fd, STEP_MEMORY, m, ENOMEM);
	}
	for (unsigned i = 0; i < o->workers; i++) {
		ch[i].b = b;
		if ((size_t)snprintf(ch[i].path, sizeof(ch[i].path), "%s/churn%u", b->base, i) >=
		    sizeof(ch[i].path))
			child_fail(fd, STEP_MKDIR, m, ENAMETOOLONG);
	}
	/* A thread that cannot start leaves the others at the barrier: the whole child goes. */
	for (unsigned i = 0; i < o->readers; i++)
		if ((err = pthread_create(&rd[i].thread, NULL, reader_main, &rd[i])))
			child_fail(fd, STEP_THREAD, m, err);
	for (unsigned i = 0; i < o->workers; i++)
		if ((err = pthread_create(&ch[i].thread, NULL, churner_main, &ch[i])))
			child_fail(fd, STEP_THREAD, m, err);
	b->start_ns = bench_now_ns();
	b->deadline_ns = b->start_ns + (uint64_t)(o->seconds * 1e9);
	pthread_barrier_wait(&b->go);
	for (unsigned i = 0; i < o->readers; i++)
		pthread_join(rd[i].thread, NULL);
	for (unsigned i = 0; i < o->workers; i++)
		pthread_join(ch[i].thread, NULL);
	end = bench_now_ns();
	pthread_barrier_destroy(&b->go);

	for (unsigned i = 0; i < o->readers; i++) {
		if (rd[i].err)
			child_fail(fd, rd[i].step, m, rd[i].err);
		if (latency_merge(&all, &rd[i].lat) < 0)
			child_fail(fd, STEP_MEMORY, m, ENOMEM);
		res->reads += rd[i].reads;
		if (rd[i].reads && (res->entries_min == 0 || rd[i].emin < res->entries_min))
			res->entries_min = rd[i].emin;
		if (rd[i].emax > res->entries_max)
			res->entries_max = rd[i].emax;
		latency_done(&rd[i].lat);
		free(rd[i].ids);
		free(rd[i].buf);
	}
	uint64_t churn_end = b->start_ns;
	for (unsigned i = 0; i < o->workers; i++) {
		if (ch[i].err)
			child_fail(fd, STEP_CHURN, m, ch[i].err);
		res->churn_pairs += ch[i].pairs;
		if (ch[i].end_ns > churn_end)
			churn_end = ch[i].end_ns;
	}
	latency_stats(&all, &res->read);
	latency_done(&all);
	res->elapsed_ms = bench_ns_to_ms(end - b->start_ns);
	if (o->workers && churn_end > b->start_ns)
		res->churn_per_s =
			(double)res->churn_pairs / ((double)(churn_end - b->start_ns) / 1e9);
	free(rd);
	free(ch);
}

/* The lines of /proc/self/mountinfo: the mounts of this namespace. */
static int count_mounts(uint64_t *ret)
{
	Reader rd = { .buf = malloc(MOUNTINFO_BUF) };
	int r;

	if (!rd.buf)
		return -ENOMEM;
	r = read_mountinfo(&rd, ret);
	free(rd.buf);
	return r;
}

static _Noreturn void ns_main(Bench *b, int wfd)
{
	const BenchMountinfoOptions *o = b->o;
	char path[PATH_MAX];
	Msg m = { .type = MSG_READY, .method = -1 };
	uint64_t t0;
	int fd = wfd, r;

	if (!bench_guard_child(b->parent))
		_exit(1);
	if (fd != 3 && dup2(fd, 3) == 3)
		fd = 3;
	if (fd == 3 && close_range(4, ~0U, 0) < 0)
		for (int i = 4; i < 4096; i++)
			close(i);
	prctl(PR_SET_NAME, "residue-bench");
	if (unshare(CLONE_NEWNS) < 0)
		child_fail(fd, STEP_UNSHARE, -1, errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(fd, STEP_PRIVATE, -1, errno);
	t0 = bench_now_ns();
	if (mount("residue-bench", b->base, "tmpfs", 0, "size=4m,mode=0755") < 0)
		child_fail(fd, STEP_BASE, -1, errno);
	for (unsigned i = 0; i < o->workers; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/churn%u", b->base, i) >= sizeof(path))
			child_fail(fd, STEP_MKDIR, -1, ENAMETOOLONG);
		if (mkdir(path, 0755) < 0)
			child_fail(fd, STEP_MKDIR, -1, errno);
	}
	for (unsigned i = 0; i < o->mounts; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/m%u", b->base, i) >= sizeof(path))
			child_fail(fd, STEP_MKDIR, -1, ENAMETOOLONG);
		if (mkdir(path, 0755) < 0)
			child_fail(fd, STEP_MKDIR, -1, errno);
		/* Small tmpfs mounts, like the shm mounts of containerd #5113. */
		if (mount("residue-bench", path, "tmpfs", 0, "size=4k") < 0)
			child_fail(fd, STEP_MOUNT, -1, errno);
	}
	m.setup_ms = bench_ns_to_ms(bench_now_ns() - t0);
	r = count_mounts(&m.mounts);
	if (r < 0)
		child_fail(fd, STEP_COUNT, -1, -r);
	b->mounts = m.mounts;
	child_send(fd, &m);

	for (int i = 0; i < _BENCH_READ_MAX; i++) {
		if (!(o->methods & (1U << i)))
			continue;
		m = (Msg){ .type = MSG_RESULT, .method = i };
		run_method(b, (BenchReadMethod)i, fd, &m.res);
		child_send(fd, &m);
	}
	m = (Msg){ .type = MSG_DONE, .method = -1 };
	child_send(fd, &m);
	/* The parent times the teardown of this namespace: SIGKILL to reaped. */
	for (;;)
		pause();
}

/* ---- the parent ---- */

/* One message within @timeout_ms: 0, -EPIPE (child gone), -ETIMEDOUT, -EINTR (stop). */
static int recv_msg(int fd, Msg *ret, uint64_t timeout_ms)
{
	uint64_t deadline = bench_now_ns() + timeout_ms * 1000000ULL;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		uint64_t now = bench_now_ns();
		int r;

		if (bench_guard_signal())
			return -EINTR;
		if (now >= deadline)
			return -ETIMEDOUT;
		uint64_t left = (deadline - now) / 1000000ULL + 1;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
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

static int child_error(const Msg *m, BenchError *e)
{
	const char *what = m->step >= 0 && m->step < _STEP_MAX ? step_names[m->step] : "set-up";

	if (m->method >= 0)
		return bench_error(e, m->err, "%s: %s: %s", bench_read_method_to_string(m->method),
				   what, strerror(m->err));
	return bench_error(e, m->err, "%s: %s", what, strerror(m->err));
}

int bench_mountinfo_run(const BenchMountinfoOptions *o, BenchMountinfoReport *ret, BenchError *e)
{
	BenchMountinfoOptions opt = *o;
	Bench b = { .o = &opt, .parent = getpid() };
	uint64_t t0, method_ms;
	sigset_t old;
	int p[2], r = 0, status, fork_err;
	pid_t pid;
	Msg m;

	if (!opt.methods)
		opt.methods = BENCH_READ_DEFAULT;
	if (opt.readers == 0 || !(opt.seconds > 0))
		return bench_error(e, EINVAL, "readers and seconds must be positive");
	*ret = (BenchMountinfoReport){ 0 };
	method_ms = (uint64_t)(opt.seconds * 1000) + METHOD_SLACK_S * 1000ULL;
	r = bench_mkdtemp(opt.tmpdir, b.base, e);
	if (r < 0)
		return r;
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = bench_error(e, errno, "pipe: %s", strerror(errno));
		goto out_rmdir;
	}
	bench_guard_block(&old);
	pid = fork();
	if (pid == 0)
		ns_main(&b, p[1]);
	fork_err = errno;
	bench_guard_unblock(&old);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		r = bench_error(e, fork_err, "fork: %s", strerror(fork_err));
		goto out_rmdir;
	}
	bench_guard_add(pid);

	r = recv_msg(p[0], &m, SETUP_TIMEOUT_S * 1000ULL);
	while (r == 0) {
		if (m.type == MSG_ERROR) {
			r = child_error(&m, e);
			break;
		}
		if (m.type == MSG_READY) {
			ret->mounts = m.mounts;
			ret->setup_ms = m.setup_ms;
		} else if (m.type == MSG_RESULT && ret->n_results < _BENCH_READ_MAX) {
			ret->results[ret->n_results++] = m.res;
		} else if (m.type == MSG_DONE) {
			break;
		}
		r = recv_msg(p[0], &m, method_ms);
	}
	close(p[0]);
	if (r == -EPIPE)
		r = bench_error(e, EPIPE, "the benchmark's namespace process exited early");
	else if (r == -ETIMEDOUT)
		r = bench_error(e, ETIMEDOUT,
				"the benchmark's namespace process stopped answering");
	else if (r == -EINTR)
		r = bench_error(e, EINTR, "interrupted by signal %d", bench_guard_signal());

	t0 = bench_now_ns();
	kill(pid, SIGKILL);
	bench_guard_remove(pid);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ret->teardown_ms = bench_ns_to_ms(bench_now_ns() - t0);
	if (r == 0 && bench_guard_signal())
		r = bench_error(e, EINTR, "interrupted by signal %d", bench_guard_signal());

out_rmdir:
	/* A plain directory by now: the tmpfs on it lived only in the child's namespace. */
	if (rmdir(b.base) < 0 && r == 0)
		r = bench_error(e, errno, "removing %s: %s", b.base, strerror(errno));
	return r;
}
