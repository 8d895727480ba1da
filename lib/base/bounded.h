/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Questions only a filesystem can answer, asked so that a filesystem that
 * never answers (FUSE whose daemon stopped reading, NFS whose server is
 * gone) costs a deadline, not the scan: each question is asked by a child
 * process of its own, the caller waits for all of them at most @timeout_ms,
 * and a child that is late is SIGKILLed and left to the kernel.  A FUSE or
 * NFS request waits killably, so the kill ends it; a child stuck where even
 * SIGKILL cannot reach it is reaped later and never waited for.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/statfs.h>

typedef struct BoundedStatfs {
	int fd; /* in: any fd or O_PATH fd on the filesystem; with @path, the directory of @path */
	/*
	 * in, or NULL: open @path (O_PATH, relative to @fd) in the child and ask
	 * about that, so that the lookup too (a /proc magic link revalidates an
	 * NFS inode) happens where it can be killed; when @ino is not 0 and the
	 * file opened is another inode, the answer is ESTALE.
	 */
	const char *path;
	uint64_t ino;
	bool answered; /* out: fstatfs returned within the deadline */
	int err; /* out: its errno when it failed, ETIMEDOUT when it did not answer */
	struct statfs sf; /* out, when answered and err == 0 */
} BoundedStatfs;

/*
 * fstatfs() every @q[i].fd, all at once, each in a child of its own; wait
 * at most @timeout_ms for all.  Returns 0 (whatever each answer), or -errno
 * when no child could be started at all.
 */
int bounded_fstatfs(BoundedStatfs *q, size_t n, int timeout_ms);

/*
 * Run @fn(@arg, @out) in a child, where @out is @size bytes of memory shared
 * with us, and wait at most @timeout_ms for it to return; then copy @out
 * back.  A child that is late is SIGKILLed: what it wrote so far is still
 * copied (so @fn should record its progress there).  @fn runs with no fd
 * open (it opens what it needs), must only make system calls and write
 * @out, and never outlives us.  Returns @fn's value, -ETIMEDOUT when it did
 * not return in time, or -errno when no child could be started.
 */
int bounded_run(int (*fn)(void *arg, void *out), void *arg, void *out, size_t size, int timeout_ms);

/*
 * In a child forked to ask something that may never answer: die with the
 * process that forked it (@parent; exit now if it is already gone), and close
 * every fd but @keep (-1: all), for a copy of ours in a child stuck in a
 * filesystem would keep those files, and orphaned filesystems, alive.
 */
void bounded_child_init(pid_t parent, int keep);

/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
int64_t bounded_now_ms(void);

/* Reap children of earlier calls that had not exited yet; never waits. */
void bounded_reap(void);

/*
 * Give up on @pid, a child of ours that did not answer in time: SIGKILL it,
 * reap it if it exits within 100 ms, else leave it to bounded_reap().
 */
void bounded_give_up(pid_t pid);
