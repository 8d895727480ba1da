// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Helpers shared by the benchmarks: errors with a message, the host facts
 * printed with every result, the scratch directory, and the set of devices
 * already mounted before a benchmark starts (a superblock is "new" when its
 * device is in no mount of the caller's namespace).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/procfmt.h"
#include "base/u64set.h"
#include "bench.h"

int bench_error(BenchError *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (err <= 0)
		err = EIO;
	if (e) {
		e->err = err;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -err;
}

void bench_host_read(BenchHost *ret)
{
	struct utsname u;
	long n;

	*ret = (BenchHost){ 0 };
	if (uname(&u) == 0)
		snprintf(ret->kernel, sizeof(ret->kernel), "%s", u.release);
	n = sysconf(_SC_NPROCESSORS_CONF);
	ret->cpus = n > 0 ? (unsigned)n : 1;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	ret->cpus_online = n > 0 ? (unsigned)n : ret->cpus;
}

int bench_mkdtemp(const char *tmpdir, char *ret_path, BenchError *e)
{
	char tmpl[PATH_MAX];
	const char *dir = tmpdir;

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/residue-bench.XXXXXX", dir) >= sizeof(tmpl))
		return bench_error(e, ENAMETOOLONG, "temporary directory name too long: %s", dir);
	if (!mkdtemp(tmpl))
		return bench_error(e, errno, "mkdtemp %s: %s", tmpl, strerror(errno));
	if (!realpath(tmpl, ret_path)) {
		int r = errno;
		rmdir(tmpl);
		return bench_error(e, r, "realpath %s: %s", tmpl, strerror(r));
	}
	return 0;
}

int bench_host_devs(U64Set *ret, BenchError *e)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t len = read_all_at(AT_FDCWD, "/proc/self/mountinfo", &buf);
	size_t pos = 0;

	if (len < 0)
		return bench_error(e, (int)-len, "reading /proc/self/mountinfo: %s",
				   strerror((int)-len));
	while (pos < (size_t)len) {
		char *line = buf + pos;
		char *nl = memchr(line, '\n', (size_t)len - pos);
		size_t n = nl ? (size_t)(nl - line) : (size_t)len - pos;
		MountinfoEntry me;

		pos += n + 1;
		/* parse_mountinfo_line writes line[n]: the '\n' or the buffer's final NUL. */
		if (parse_mountinfo_line(line, n, &me) < 0)
			continue;
		if (u64set_add(ret, makedev(me.major, me.minor)) < 0)
			return bench_error(e, ENOMEM, "out of memory");
	}
	return 0;
}
