/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading small kernel files relative to a directory fd, without stdio and
 * without following the caller's idea of a path: /proc and cgroupfs files
 * are read with one open and as few reads as they need.
 */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Read up to @size-1 bytes of @dirfd/@name into @buf and NUL-terminate it.
 * Returns the byte count or -errno.
 */
ssize_t read_small_at(int dirfd, const char *name, char *buf, size_t size);

/* Read a whole file of any size into a malloc'd NUL-terminated buffer. */
ssize_t read_all_at(int dirfd, const char *name, char **ret_buf);

/* readlinkat() into @buf, NUL-terminated; -ENAMETOOLONG when truncated. */
ssize_t readlink_small_at(int dirfd, const char *name, char *buf, size_t size);

/*
 * The fd directory of process @pid (a /proc entry's name) under @procfd, as a
 * DIR whose dirfd() the links can be read at; NULL (errno set) when it cannot
 * be opened: the process is gone, or is not ours to look into.
 */
DIR *proc_fd_opendir(int procfd, const char *pid);

/*
 * Replace @path with @len bytes of @data so that a reader sees the old file
 * or the new one, never half of either: write a temporary file next to it
 * (".NAME.XXXXXX", which node_exporter's *.prom glob skips), fsync it, give
 * it @mode and rename it over @path.  Returns 0 or -errno; nothing is left
 * behind on failure.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
