/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small language helpers shared by every layer: scope-bound cleanup in the
 * style of systemd (_cleanup_free_, _cleanup_close_), ownership transfer
 * (TAKE_PTR, TAKE_FD) and a few arithmetic macros.  Nothing here knows
 * about residue.
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Move ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -EBADF;                                                                     \
		_fd;                                                                               \
	})

/* Close and invalidate; returns -EBADF so it can be assigned back. */
static inline int safe_close(int fd)
{
	if (fd >= 0)
		close(fd);
	return -EBADF;
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* True when an errno means "the object went away while we looked". */
static inline int errno_is_vanished(int e)
{
	return e == ENOENT || e == ESRCH;
}
