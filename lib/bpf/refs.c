// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The BPF tier of the process scan: load refs.bpf.c through its light
 * skeleton (the kernel applies the CO-RE relocations), run the three
 * iterators, read their records and have refs-decode.c turn them into the
 * same Process and Holder entries the /proc tier makes, in a fraction of
 * the time (one statx per fd is what /proc costs).  Every failure (no BTF, no
 * CAP_BPF/CAP_PERFMON, a verifier that says no, another pid namespace)
 * returns an error and leaves the snapshot untouched, so the caller falls
 * back to /proc.
 */
#include "refs-loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

#include "base/macro.h"
#include "loader-log.h"
#include "refs-decode.h"
#include "refs.h"
#include "refs.lskel.h"

typedef struct Buf {
	char *data;
	size_t len, cap;
} Buf;

/* Run one iterator, whose link the skeleton made, to the end, appending its records to @b. */
static int run_iter(int link_fd, Buf *b)
{
	union bpf_attr attr = { .iter_create = { .link_fd = (__u32)link_fd } };
	int r = 0;

	if (link_fd < 0)
		return -EBADF;
	int fd = (int)syscall(__NR_bpf, BPF_ITER_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return -errno;
	{
		for (;;) {
			if (b->cap - b->len < 65536) {
				size_t ncap = b->cap ? b->cap * 2 : 1 << 20;
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
	}
	close(fd);
	return r;
}

struct RefsBpf {
	struct refs *skel;
};

int refs_bpf_open(RefsBpf **ret)
{
	RefsBpf *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->skel = refs__open();
	if (!b->skel) {
		r = errno ? -errno : -EOPNOTSUPP;
		free(b);
		return r;
	}
	bool want_log = bpf_loader_log_arm(&b->skel->ctx);
	if (refs__load(b->skel)) {
		r = errno ? -errno : -EOPNOTSUPP;
		bpf_loader_log_print(want_log);
		refs_bpf_free(b);
		return r;
	}
	r = refs__attach(b->skel);
	if (r < 0) {
		r = errno ? -errno : r;
		refs_bpf_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

RefsBpf *refs_bpf_free(RefsBpf *b)
{
	if (!b)
		return NULL;
	refs__destroy(b->skel);
	free(b);
	return NULL;
}

int refs_bpf_collect(RefsBpf *b, Snapshot *s)
{
	Buf tasks = { 0 }, files = { 0 }, vmas = { 0 };
	int r;

	b->skel->bss->run++; /* forget the mount states of the last run */
	b->skel->bss->refs_seen = 0;
	r = run_iter(b->skel->links.dump_task_fd, &tasks);
	if (r == 0)
		r = run_iter(b->skel->links.dump_file_fd, &files);
	if (r == 0)
		r = run_iter(b->skel->links.dump_vma_fd, &vmas);
	if (r == 0)
		r = refs_decode(s, tasks.data, tasks.len, files.data, files.len, vmas.data,
				vmas.len, getpid());
	if (r == 0)
		s->n_refs += b->skel->bss->refs_seen;
	free(tasks.data);
	free(files.data);
	free(vmas.data);
	return r;
}

int bpf_collect_references(Snapshot *s)
{
	RefsBpf *b = NULL;
	int r = refs_bpf_open(&b);

	if (r == 0)
		r = refs_bpf_collect(b, s);
	refs_bpf_free(b);
	return r;
}
