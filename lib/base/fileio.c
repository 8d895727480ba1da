// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small-file helpers; see fileio.h. */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

ssize_t read_small_at(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t have = 0;

	if (fd < 0)
		return -errno;
	if (size == 0)
		return -EINVAL;
	while (have < size - 1) {
		ssize_t n = read(fd, buf + have, size - 1 - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	return (ssize_t)have;
}

ssize_t read_all_at(int dirfd, const char *name, char **ret_buf)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t have = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - have < 4096) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *n = realloc(buf, ncap);
			if (!n)
				return -ENOMEM;
			buf = n;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + have, cap - have - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	/*
	 * Hand back no more than the file holds: some callers keep what they read (a census
	 * keeps 500 mount tables of 3 KiB, each read into 16 KiB), and a fresh block leaves this
	 * one free for the next read.
	 */
	if (cap - have > 4096) {
		char *fit = malloc(have + 1);
		if (fit) {
			memcpy(fit, buf, have + 1);
			free(buf);
			buf = fit;
		}
	}
	*ret_buf = TAKE_PTR(buf);
	return (ssize_t)have;
}

ssize_t readlink_small_at(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(dirfd, name, buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return n;
}

DIR *proc_fd_opendir(int procfd, const char *pid)
{
	char path[64];
	snprintf(path, sizeof(path), "%.32s/fd", pid);
	int fd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0) {
		int err = errno;
		close(fd);
		errno = err;
	}
	return d;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *tmp = NULL;
	const char *p = data;
	int r = 0;

	if (asprintf(&tmp, "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path,
		     slash ? slash + 1 : path) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len > 0 && r == 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else {
			p += n;
			len -= (size_t)n;
		}
	}
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}
