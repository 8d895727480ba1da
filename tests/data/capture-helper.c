// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The program that produced the fdinfo and statmount samples in tests/data/
 * (see README.md there).  It is not part of the build: it opens one fd of
 * each kind the collectors meet and copies its /proc/self/fdinfo text, or
 * asks statmount(2) about one path and writes the raw reply.  Build it by
 * hand with `cc -I lib/base -o /tmp/capture-helper tests/data/capture-helper.c`.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "compat.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

static int copy_fdinfo(const char *dir, const char *kind, int fd)
{
	char src[64], dst[4096], buf[8192];
	ssize_t n;
	int in, out;

	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", kind, strerror(errno));
		return 1;
	}
	snprintf(src, sizeof(src), "/proc/self/fdinfo/%d", fd);
	snprintf(dst, sizeof(dst), "%s/fdinfo-%s.txt", dir, kind);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return 1;
	n = read(in, buf, sizeof(buf));
	close(in);
	if (n < 0)
		return 1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || write(out, buf, (size_t)n) != n)
		return 1;
	close(out);
	return 0;
}

static int do_fdinfo(const char *dir)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct itimerspec its = { .it_value = { .tv_sec = 3600 } };
	char path[4096];
	sigset_t mask;
	int r = 0, sv[2], pfd[2], efd, ep, ino, tfd, memfd, wfd;

	r |= copy_fdinfo(dir, "rdonly", open("/etc/hostname", O_RDONLY | O_CLOEXEC));
	snprintf(path, sizeof(path), "%s/.append-target", dir);
	wfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (wfd >= 0 && write(wfd, "0123456789", 10) != 10)
		r = 1;
	r |= copy_fdinfo(dir, "wronly-append", wfd);
	unlink(path);
	r |= copy_fdinfo(dir, "opath-dir", open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
	efd = eventfd(7, EFD_CLOEXEC | EFD_NONBLOCK);
	r |= copy_fdinfo(dir, "eventfd", efd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = efd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0)
		r = 1;
	r |= copy_fdinfo(dir, "epoll", ep);
	ino = inotify_init1(IN_CLOEXEC);
	if (inotify_add_watch(ino, "/etc", IN_MODIFY | IN_CREATE) < 0)
		r = 1;
	r |= copy_fdinfo(dir, "inotify", ino);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (timerfd_settime(tfd, 0, &its, NULL) < 0)
		r = 1;
	r |= copy_fdinfo(dir, "timerfd", tfd);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	r |= copy_fdinfo(dir, "signalfd", signalfd(-1, &mask, SFD_CLOEXEC));
	r |= copy_fdinfo(dir, "pidfd", (int)syscall(__NR_pidfd_open, getpid(), 0));
	memfd = memfd_create("residue-sample", MFD_CLOEXEC);
	if (ftruncate(memfd, 4096) < 0)
		r = 1;
	r |= copy_fdinfo(dir, "memfd", memfd);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 1;
	r |= copy_fdinfo(dir, "pipe-write", pfd[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	r |= copy_fdinfo(dir, "socket", sv[0]);
	/* Three files in flight in two messages: scm_fds counts them on the receiving end. */
	int dv[2], nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0 || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dv) < 0)
		return 1;
	for (int m = 0; m < 2; m++) {
		int fds[2] = { nul, nul };
		char byte = 'x', cbuf[CMSG_SPACE(sizeof(fds))] = { 0 };
		struct iovec iov = { &byte, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf };
		mh.msg_controllen = m == 0 ? CMSG_SPACE(2 * sizeof(int)) : CMSG_SPACE(sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = m == 0 ? CMSG_LEN(2 * sizeof(int)) : CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), fds, m == 0 ? 2 * sizeof(int) : sizeof(int));
		if (sendmsg(dv[0], &mh, 0) != 1)
			return 1;
	}
	r |= copy_fdinfo(dir, "socket-inflight", dv[1]);
	return r;
}

static int do_statmount(const char *path, const char *out)
{
	struct statx stx;
	struct rs_mnt_id_req req = { .size = RS_MNT_ID_REQ_SIZE_VER0 };
	size_t size = 1 << 16;
	struct rs_statmount *sm = calloc(1, size);
	FILE *f;

	if (!sm || statx(AT_FDCWD, path, 0, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return 1;
	if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE)) {
		fprintf(stderr, "no unique mount id\n");
		return 1;
	}
	req.mnt_id = stx.stx_mnt_id;
	req.param = RS_STATMOUNT_SB_BASIC | RS_STATMOUNT_MNT_BASIC | RS_STATMOUNT_MNT_ROOT |
		    RS_STATMOUNT_MNT_POINT | RS_STATMOUNT_FS_TYPE | RS_STATMOUNT_MNT_NS_ID |
		    RS_STATMOUNT_MNT_OPTS | RS_STATMOUNT_SB_SOURCE;
	memset(sm, 0, size);
	if (rs_statmount(&req, sm, size, 0) < 0) {
		perror("statmount");
		return 1;
	}
	f = fopen(out, "we");
	if (!f || fwrite(sm, 1, sm->size, f) != sm->size || fclose(f) != 0)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "fdinfo") == 0)
		return do_fdinfo(argv[2]);
	if (argc == 4 && strcmp(argv[1], "statmount") == 0)
		return do_statmount(argv[2], argv[3]);
	fprintf(stderr, "usage: %s fdinfo DIR | statmount PATH OUT\n", argv[0]);
	return 2;
}
