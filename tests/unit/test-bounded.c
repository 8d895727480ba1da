// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for bounded_fstatfs(): answers come back per fd (a directory,
 * a closed fd, the same filesystem twice), every child is reaped before it
 * returns, and no child keeps a copy of our other fds.  A filesystem that
 * never answers needs root and /dev/fuse: tests/integration/fuse-hung.sh.
 * With a path, the child opens it and checks the inode.
 * Also the network-type names of mount tables (fs_type_is_network).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#include "base/bounded.h"
#include "collect/collect.h"

static void test_answers(void)
{
	struct statfs want;
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int closed = 1000; /* not open: a low closed number would be taken by a pidfd */
	CHECK(root >= 0 && fcntl(closed, F_GETFD) < 0);
	CHECK(fstatfs(root, &want) == 0);

	BoundedStatfs q[3] = { { .fd = root }, { .fd = closed }, { .fd = root } };
	CHECK_EQ_INT(bounded_fstatfs(q, 3, 5000), 0);
	CHECK(q[0].answered && q[0].err == 0);
	CHECK_EQ_U64(q[0].sf.f_type, want.f_type);
	CHECK(memcmp(&q[0].sf.f_fsid, &want.f_fsid, sizeof(want.f_fsid)) == 0);
	CHECK(q[1].answered);
	CHECK_EQ_INT(q[1].err, EBADF);
	CHECK(q[2].answered && q[2].err == 0);
	/* Every child was waited for: none is left to reap. */
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	CHECK_EQ_INT(bounded_fstatfs(q, 0, 5000), 0);
	close(root);
}

/*
 * With a path, the child opens it (a /proc magic link, as the probe asks)
 * and answers for that file: ESTALE when it is another inode than the one
 * expected, the open's errno when it fails.
 */
static void test_paths(void)
{
	struct stat st;
	struct statfs want;
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char link[64];
	CHECK(proc >= 0 && tmp >= 0 && fstat(tmp, &st) == 0 && fstatfs(tmp, &want) == 0);
	snprintf(link, sizeof(link), "%d/fd/%d", (int)getpid(), tmp);

	BoundedStatfs q[4] = {
		{ .fd = proc, .path = link, .ino = st.st_ino },
		{ .fd = proc, .path = link, .ino = st.st_ino + 1 },
		{ .fd = proc, .path = link },
		{ .fd = proc, .path = "999999999/fd/0", .ino = 1 },
	};
	CHECK_EQ_INT(bounded_fstatfs(q, 4, 5000), 0);
	CHECK(q[0].answered && q[0].err == 0);
	CHECK_EQ_U64(q[0].sf.f_type, want.f_type);
	CHECK(q[1].answered);
	CHECK_EQ_INT(q[1].err, ESTALE);
	CHECK(q[2].answered && q[2].err == 0);
	CHECK(q[3].answered);
	CHECK_EQ_INT(q[3].err, ENOENT);
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	close(tmp);
	close(proc);
}

static void test_network_types(void)
{
	static const char *const net[] = { "fuse", "fuse.sshfs", "fuseblk",   "nfs",
					   "nfs4", "cifs",	 "smb3",      "9p",
					   "ceph", "virtiofs",	 "glusterfs", "afs" };
	static const char *const local[] = { "tmpfs", "ext4",  "xfs",	  "overlay",  "proc",
					     "sysfs", "btrfs", "cgroup2", "squashfs", "" };
	for (size_t i = 0; i < sizeof(net) / sizeof(net[0]); i++)
		CHECK(fs_type_is_network(net[i]));
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		CHECK(!fs_type_is_network(local[i]));
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_answers);
	RUN(test_paths);
	RUN(test_network_types);
	return tap_done();
}
