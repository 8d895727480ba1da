// SPDX-License-Identifier: LGPL-2.1-or-later
/* Reading BPF iterators (iter-run.h): the part every skeleton with iterators shares. */
#include "iter-run.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

int bpf_iter_run(int link_fd, BpfBuf *b)
{
	union bpf_attr attr = { .iter_create = { .link_fd = (__u32)link_fd } };
	int r = 0;

	if (link_fd < 0)
		return -EBADF;
	int fd = (int)syscall(__NR_bpf, BPF_ITER_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return -errno;
	for (;;) {
		/*
		 * Start small, below malloc's mmap threshold (128 KiB): the programs
		 * write only what can be a finding, a few KiB a scan, and five runs a
		 * scan each took a 1 MiB buffer.
		 */
		if (b->cap - b->len < 65536) {
			size_t ncap = b->cap ? b->cap * 2 : 96 << 10;
			char *n = realloc(b->data, ncap);
			if (!n) {
				r = -ENOMEM;
				break;
			}
			b->data = n;
			b->cap = ncap;
		}
		ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
		if (n < 0) {
			/*
			 * EAGAIN: one read() met MAX_ITER_OBJECTS (1 000 000) objects and
			 * wrote nothing (bpf_seq_read(), kernel/bpf/bpf_iter.c); the
			 * iterator kept its place, so read on.  The programs write out
			 * only what can be a finding, so a host with a million
			 * descriptors on attached mounts meets it.
			 */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	close(fd);
	return r;
}

int bpf_iter_own_files_link(int prog_fd)
{
	union bpf_iter_link_info info = { .task = { .pid = (__u32)getpid() } };
	union bpf_attr a = { 0 };

	a.link_create.prog_fd = (__u32)prog_fd;
	a.link_create.attach_type = BPF_TRACE_ITER;
	a.link_create.iter_info = (__u64)(uintptr_t)&info;
	a.link_create.iter_info_len = sizeof(info);
	int fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}
