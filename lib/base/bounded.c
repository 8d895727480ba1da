// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One child per question, so that one filesystem that does not answer
 * delays none of the others; the answers come back through a shared
 * anonymous mapping, the exits through pidfds polled together.  fork() and
 * not a thread: a thread stuck in a filesystem cannot be killed alone, and
 * a child's copy of our memory outlives anything we free after giving up
 * on it.  The child only makes system calls and writes the mapping, so
 * forking from a process with other threads is safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/bounded.h"
#include "base/macro.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* What a child writes; done is written last. */
typedef struct Answer {
	volatile int done;
	int err;
	struct statfs sf;
} Answer;

/* Children given up on: killed, but not yet seen to exit. */
static pid_t *stray;
static size_t n_stray, cap_stray;

void bounded_reap(void)
{
	size_t k = 0;
	for (size_t i = 0; i < n_stray; i++)
		if (waitpid(stray[i], NULL, WNOHANG) == 0)
			stray[k++] = stray[i];
	n_stray = k;
}

static void keep_stray(pid_t pid)
{
	if (n_stray == cap_stray) {
		size_t cap = cap_stray ? 2 * cap_stray : 8;
		pid_t *p = realloc(stray, cap * sizeof(*p));
		if (!p)
			return; /* it stays a zombie until we exit: harmless */
		stray = p;
		cap_stray = cap;
	}
	stray[n_stray++] = pid;
}

int64_t bounded_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until every child in @pids has exited or @deadline passed; reaps those that exited. */
static void wait_children(pid_t *pids, int *pidfds, size_t n, int64_t deadline)
{
	struct pollfd *pfd = calloc(n, sizeof(*pfd));

	for (;;) {
		size_t live = 0;
		for (size_t i = 0; i < n; i++) {
			if (pids[i] <= 0)
				continue;
			pid_t w = waitpid(pids[i], NULL, WNOHANG);
			if (w == pids[i] || (w < 0 && errno == ECHILD)) {
				pids[i] = 0;
				continue;
			}
			if (pfd && pidfds[i] >= 0)
				pfd[live++] = (struct pollfd){ .fd = pidfds[i], .events = POLLIN };
			else if (pfd)
				live++; /* no pidfd (pre-5.3): poll below only sleeps */
		}
		int64_t left = deadline - bounded_now_ms();
		if (live == 0 || left <= 0)
			break;
		if (!pfd || poll(pfd, live, (int)MIN(left, 10)) < 0)
			(void)poll(NULL, 0, (int)MIN(left, 10));
	}
	free(pfd);
}

void bounded_child_init(pid_t parent, int keep)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	if (keep < 0) {
		(void)syscall(SYS_close_range, 0U, ~0U, 0U);
		return;
	}
	if (keep > 0)
		(void)syscall(SYS_close_range, 0U, (unsigned)keep - 1, 0U);
	(void)syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U);
}

void bounded_give_up(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	kill(pid, SIGKILL);
	wait_children(&pid, &pidfd, 1, bounded_now_ms() + 100);
	if (pid > 0)
		keep_stray(pid);
	if (pidfd >= 0)
		close(pidfd);
}

/* What bounded_run's child writes after @fn's @out: its return value, then done. */
typedef struct RunTail {
	volatile int done;
	int ret;
} RunTail;

int bounded_run(int (*fn)(void *arg, void *out), void *arg, void *out, size_t size, int timeout_ms)
{
	size_t off = (size + 15) & ~(size_t)15;
	size_t len = off + sizeof(RunTail);
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	RunTail *tail = (RunTail *)(mem + off);
	pid_t self = getpid();

	if (mem == MAP_FAILED)
		return -ENOMEM;
	bounded_reap();
	memcpy(mem, out, size);
	pid_t pid = fork();
	if (pid == 0) {
		bounded_child_init(self, -1);
		tail->ret = fn(arg, mem);
		__atomic_store_n(&tail->done, 1, __ATOMIC_RELEASE);
		_exit(0);
	}
	int r = pid < 0 ? -errno : 0;
	if (pid > 0) {
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		pid_t p = pid;
		wait_children(&p, &pidfd, 1, bounded_now_ms() + timeout_ms);
		if (pidfd >= 0)
			close(pidfd);
		bool done = __atomic_load_n(&tail->done, __ATOMIC_ACQUIRE);
		if (p > 0)
			bounded_give_up(p);
		r = done ? tail->ret : -ETIMEDOUT;
		memcpy(out, mem, size);
	}
	munmap(mem, len);
	return r;
}

/* The file @q names: its fd, or one opened on its path (then -errno when that failed). */
static int target(const BoundedStatfs *q)
{
	struct statx sx;

	if (!q->path)
		return q->fd;
	int fd = openat(q->fd, q->path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (q->ino && statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &sx) == 0 &&
	    sx.stx_ino != q->ino)
		return -ESTALE; /* the fd number was reused for another file */
	return fd;
}

static _Noreturn void ask(const BoundedStatfs *q, Answer *a, pid_t parent)
{
	bounded_child_init(parent, q->fd);
	/* A filesystem that never answers keeps the child here until it is killed. */
	int t = target(q);
	a->err = t < 0 ? -t : fstatfs(t, &a->sf) < 0 ? errno : 0;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	_exit(0);
}

int bounded_fstatfs(BoundedStatfs *q, size_t n, int timeout_ms)
{
	if (n == 0)
		return 0;
	bounded_reap();
	size_t len = n * sizeof(Answer);
	Answer *ans = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t *pids = calloc(n, sizeof(*pids));
	int *pidfds = malloc(n * sizeof(*pidfds));
	size_t started = 0;
	int r = 0;

	if (ans == MAP_FAILED || !pids || !pidfds) {
		r = -ENOMEM;
		goto out;
	}
	int64_t deadline = bounded_now_ms() + timeout_ms;
	pid_t self = getpid();
	for (size_t i = 0; i < n; i++) {
		q[i].answered = false;
		q[i].err = ETIMEDOUT;
		pidfds[i] = -EBADF;
		pid_t pid = fork();
		if (pid == 0)
			ask(&q[i], &ans[i], self);
		if (pid < 0) {
			q[i].err = errno;
			continue;
		}
		pids[i] = pid;
		pidfds[i] = (int)syscall(SYS_pidfd_open, pid, 0);
		started++;
	}
	if (started == 0) {
		r = -q[0].err;
		goto out;
	}
	wait_children(pids, pidfds, n, deadline);
	for (size_t i = 0; i < n; i++) {
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
		if (__atomic_load_n(&ans[i].done, __ATOMIC_ACQUIRE)) {
			q[i].answered = true;
			q[i].err = ans[i].err;
			q[i].sf = ans[i].sf;
		}
	}
	/* A killed FUSE or NFS request ends at once; give the kills a moment, then let go. */
	wait_children(pids, pidfds, n, bounded_now_ms() + 100);
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0)
			keep_stray(pids[i]);
out:
	if (pidfds)
		for (size_t i = 0; i < n; i++)
			if (pidfds[i] >= 0)
				close(pidfds[i]);
	free(pidfds);
	free(pids);
	if (ans != MAP_FAILED)
		munmap(ans, len);
	return r;
}
