// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The benchmarks' interruption guard: a registry of their own child pids that
 * a signal handler can walk without locks (one atomic int per slot), the stop
 * flag, and the child-side set-up that ties a child's life to its parent.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "guard.h"

static const int guarded[] = { SIGINT, SIGTERM, SIGHUP };
#define N_GUARDED (sizeof(guarded) / sizeof(guarded[0]))

static _Atomic int stop_signal;
static _Atomic(_Atomic int *) slots;
static atomic_size_t n_slots;
static struct sigaction saved[N_GUARDED];
static bool installed;

static void kill_all(void)
{
	_Atomic int *s = atomic_load(&slots);
	size_t n = atomic_load(&n_slots);

	for (size_t i = 0; s && i < n; i++) {
		int pid = atomic_load(&s[i]);
		if (pid > 0)
			kill(pid, SIGKILL);
	}
}

static void on_signal(int sig)
{
	int saved_errno = errno;
	int expected = 0;

	atomic_compare_exchange_strong(&stop_signal, &expected, sig);
	kill_all();
	errno = saved_errno;
}

int bench_guard_install(size_t max_children)
{
	struct sigaction sa = { .sa_handler = on_signal };
	_Atomic int *s;

	if (installed)
		return -EBUSY;
	s = calloc(max_children ? max_children : 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	atomic_store(&stop_signal, 0);
	atomic_store(&n_slots, 0);
	atomic_store(&slots, s);
	atomic_store(&n_slots, max_children ? max_children : 1);
	/* No SA_RESTART: a parent blocked in poll() or waitpid() returns EINTR and looks. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_GUARDED; i++)
		sigaddset(&sa.sa_mask, guarded[i]);
	for (size_t i = 0; i < N_GUARDED; i++)
		sigaction(guarded[i], &sa, &saved[i]);
	installed = true;
	return 0;
}

void bench_guard_uninstall(void)
{
	sigset_t old;

	if (!installed)
		return;
	bench_guard_block(&old);
	for (size_t i = 0; i < N_GUARDED; i++)
		sigaction(guarded[i], &saved[i], NULL);
	_Atomic int *s = atomic_exchange(&slots, NULL);
	atomic_store(&n_slots, 0);
	free((void *)s);
	installed = false;
	bench_guard_unblock(&old);
}

int bench_guard_signal(void)
{
	return atomic_load(&stop_signal);
}

void bench_guard_block(sigset_t *ret_old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < N_GUARDED; i++)
		sigaddset(&set, guarded[i]);
	pthread_sigmask(SIG_BLOCK, &set, ret_old);
}

void bench_guard_unblock(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int bench_guard_add(pid_t pid)
{
	_Atomic int *s = atomic_load(&slots);
	size_t n = atomic_load(&n_slots);

	if (!s) /* no guard installed: nothing to register with */
		return 0;
	for (size_t i = 0; i < n; i++) {
		int expected = 0;
		if (atomic_compare_exchange_strong(&s[i], &expected, pid)) {
			/* The handler sets the flag before it walks the slots: see one or the other. */
			if (atomic_load(&stop_signal))
				kill(pid, SIGKILL);
			return 0;
		}
	}
	kill(pid, SIGKILL);
	return -ENOSPC;
}

void bench_guard_remove(pid_t pid)
{
	_Atomic int *s = atomic_load(&slots);
	size_t n = atomic_load(&n_slots);

	for (size_t i = 0; s && i < n; i++) {
		int expected = pid;
		if (atomic_compare_exchange_strong(&s[i], &expected, 0))
			return;
	}
}

bool bench_guard_child(pid_t parent)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&dfl.sa_mask);
	for (size_t i = 0; i < N_GUARDED; i++)
		sigaction(guarded[i], &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return false;
	/* The parent may have died before PR_SET_PDEATHSIG took effect. */
	return getppid() == parent;
}

void bench_guard_reraise(void)
{
	int sig = bench_guard_signal();
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	if (sig == 0)
		return;
	bench_guard_uninstall();
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}
