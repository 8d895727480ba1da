/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Clean interruption of a benchmark.  SIGINT, SIGTERM and SIGHUP only set a
 * flag and SIGKILL the benchmark's own registered children (kill(2) is
 * async-signal-safe); the benchmark then notices the flag, reaps, removes its
 * directories and returns -EINTR, and the CLI re-raises the signal.  A child
 * is registered from fork until just before it is reaped, so a registered pid
 * is never a recycled one.  Children also die with their parent thread
 * (PR_SET_PDEATHSIG) if the benchmark itself is SIGKILLed.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Install the handlers and room for @max_children pids: 0 or -errno.  Not nestable. */
int bench_guard_install(size_t max_children);
/* Restore the previous handlers and free the registry. */
void bench_guard_uninstall(void);

/* 0, or the signal that asked the benchmark to stop. */
int bench_guard_signal(void);

/*
 * Block the guarded signals in the calling thread around fork(), so that a
 * child never runs the parent's handler; @ret_old receives the old mask.
 */
void bench_guard_block(sigset_t *ret_old);
void bench_guard_unblock(const sigset_t *old);

/*
 * In the parent after fork(): register @pid, and kill it at once when a stop
 * was requested meanwhile.  -ENOSPC when the registry is full (the child is
 * killed then too); 0 without registering when no guard is installed.
 */
int bench_guard_add(pid_t pid);
/* Unregister @pid; call it before reaping, never after. */
void bench_guard_remove(pid_t pid);

/*
 * First thing in a child: default dispositions, signals unblocked, SIGKILL
 * when the forking thread dies.  false when that parent is already gone
 * (the child must _exit then).  Async-signal-safe.
 */
bool bench_guard_child(pid_t parent);

/* After cleanup: re-raise the stop signal with its default action, if there was one. */
void bench_guard_reraise(void);
