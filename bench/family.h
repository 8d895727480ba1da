/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/family.h: what bench/world.c and bench/scale-world.c both do with the children they
 * fork: a clock, killing and reaping exactly them by pid, reaping whichever exited, and the
 * signals that end a world, blocked and read from a signalfd.  Header-only: each helper is one
 * program built from one file.
 */
#pragma once

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

static inline double family_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SIGKILL each child still listed, then reap them all; returns how many were signalled. */
static inline int family_kill_all(pid_t *kids, int n)
{
	int killed = 0;

	for (int i = 0; i < n; i++)
		if (kids[i] > 0 && kill(kids[i], SIGKILL) == 0)
			killed++;
	for (int i = 0; i < n; i++) {
		if (kids[i] <= 0)
			continue;
		while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
			;
		kids[i] = 0;
	}
	return killed;
}

/* Reap whatever exited; returns the pid of one of our children that did (its status in
 * *ret_status), or 0. */
static inline pid_t family_reap(pid_t *kids, int n, int *ret_status)
{
	pid_t dead, ours = 0;
	int st;

	while ((dead = waitpid(-1, &st, WNOHANG)) > 0)
		for (int i = 0; i < n; i++)
			if (kids[i] == dead) {
				kids[i] = 0;
				ours = dead;
				*ret_status = st;
			}
	return ours;
}

/* Block INT, TERM, HUP, CHLD and PIPE (the old mask into *ret_old); a signalfd for them, or -1. */
static inline int family_signals(sigset_t *ret_old)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &mask, ret_old) < 0)
		return -1;
	return signalfd(-1, &mask, SFD_CLOEXEC);
}
