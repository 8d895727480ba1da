// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Load kholders.bpf.c through its light skeleton and run its two iterators:
 * the unix sockets' queues (files in flight) and every process's anon-inode
 * fds (io_uring fixed files, fsopen contexts), the latter told which
 * superblocks to look for through a hash map so that it reports only what
 * can be a finding.  kholders-decode.c turns the records into the snapshot's.
 */
#include "kholders-loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "base/macro.h"
#include "iter-run.h"
#include "kholders-decode.h"
#include "kholders.h"
#include "kholders.lskel.h"
#include "loader-log.h"

struct KholdersBpf {
	struct kholders *skel;
	const struct rs_kholder *recs; /* map kfiles, mmap'ed */
	int memfd; /* where the overlay walk starts: a file of ours */
	__u32 *asked; /* the keys of want_devs, taken out again before the next run */
	size_t n_asked;
};

int kholders_bpf_open(KholdersBpf **ret)
{
	KholdersBpf *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->memfd = -1;
	b->skel = kholders__open();
	if (!b->skel) {
		r = errno ? -errno : -EOPNOTSUPP;
		free(b);
		return r;
	}
	bool want_log = bpf_loader_log_arm(&b->skel->ctx);
	if (kholders__load(b->skel)) {
		r = errno ? -errno : -EOPNOTSUPP;
		bpf_loader_log_print(want_log);
		kholders_bpf_free(b);
		return r;
	}
	r = kholders__attach(b->skel);
	if (r < 0) {
		r = errno ? -errno : r;
		kholders_bpf_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

KholdersBpf *kholders_bpf_free(KholdersBpf *b)
{
	if (!b)
		return NULL;
	if (b->recs)
		munmap((void *)b->recs, RS_KHOLDER_RECS_MAX * sizeof(*b->recs));
	if (b->memfd >= 0)
		close(b->memfd);
	free(b->asked);
	kholders__destroy(b->skel);
	free(b);
	return NULL;
}

int kholders_bpf_inflight(KholdersBpf *b, Snapshot *s)
{
	BpfBuf out = { 0 };

	b->skel->bss->inflight_cut = 0;
	int r = bpf_iter_run(b->skel->links.dump_inflight_fd, &out);
	if (r == 0)
		r = inflight_decode(s, out.data, out.len);
	free(out.data);
	if (r < 0)
		return r;
	s->inflight_known = b->skel->bss->inflight_cut == 0;
	if (b->skel->bss->inflight_cut > 0)
		r = snapshot_add_gap(s,
				     "files in flight in unix sockets: queues longer than read (8 "
				     "messages, 4 files each)",
				     "iter/unix", EAGAIN);
	return r < 0 ? r : 0;
}

/* Tell the program which superblocks to look for (kernel dev_t, as s_dev holds it). */
/*
 * Ask about @devs, and only them: a skeleton kept across scans (residue serve)
 * still has the previous scan's devices in the map, which would fill it.
 */
static int want_devs(KholdersBpf *b, const uint64_t *devs, size_t n)
{
	union bpf_attr a = { 0 };

	a.map_fd = (__u32)b->skel->maps.want_devs.map_fd;
	for (size_t i = 0; i < b->n_asked; i++) {
		a.key = (__u64)(uintptr_t)&b->asked[i];
		if (syscall(__NR_bpf, BPF_MAP_DELETE_ELEM, &a, sizeof(a)) < 0 && errno != ENOENT)
			return -errno;
	}
	b->n_asked = 0;
	__u32 *asked = realloc(b->asked, MAX(n, (size_t)1) * sizeof(*asked));
	if (!asked)
		return -ENOMEM;
	b->asked = asked;
	for (size_t i = 0; i < n; i++) {
		__u32 key = (__u32)(major(devs[i]) << 20 | minor(devs[i]));
		__u8 one = 1;
		a.key = (__u64)(uintptr_t)&key;
		a.value = (__u64)(uintptr_t)&one;
		a.flags = BPF_ANY;
		if (syscall(__NR_bpf, BPF_MAP_UPDATE_ELEM, &a, sizeof(a)) < 0)
			return errno == E2BIG ? 0 :
						-errno; /* full: the first ones are asked about */
		b->asked[b->n_asked++] = key;
	}
	return 0;
}

/* Every overlay's layers, along the superblock list from our memfd's superblock. */
static int walk_overlays(KholdersBpf *b, BpfBuf *out)
{
	struct kholders *skel = b->skel;

	if (b->memfd < 0)
		b->memfd = memfd_create("residue-ovl-walk", MFD_CLOEXEC);
	if (b->memfd < 0)
		return -errno;
	memset(&skel->bss->ow, 0, sizeof(skel->bss->ow));
	skel->data->ovl_anchor_fd = b->memfd;
	int link = bpf_iter_own_files_link(skel->progs.walk_overlays.prog_fd);
	if (link < 0)
		return link;
	int r = bpf_iter_run(link, out);
	close(link);
	if (r == 0 && skel->bss->ow.start == 0)
		r = -ENOTRECOVERABLE; /* the program never met our memfd */
	return r;
}

int kholders_bpf_files(KholdersBpf *b, Snapshot *s, const uint64_t *devs, size_t n)
{
	struct kholders *skel = b->skel;
	BpfBuf none = { 0 };
	int r;

	if (n == 0)
		return 0;
	if (!b->recs) {
		void *m = mmap(NULL, RS_KHOLDER_RECS_MAX * sizeof(*b->recs), PROT_READ, MAP_SHARED,
			       skel->maps.kfiles.map_fd, 0);
		if (m == MAP_FAILED)
			return -errno;
		b->recs = m;
	}
	r = want_devs(b, devs, n);
	if (r < 0)
		return r;
	skel->bss->kfiles_n = 0;
	skel->bss->kfiles_cut = 0;
	skel->bss->kfiles_slots = 0;
	r = bpf_iter_run(skel->links.dump_kfiles_fd, &none); /* records go to the map */
	if (r == 0)
		r = walk_overlays(b, &none);
	free(none.data);
	if (r < 0)
		return r;
	size_t got = MIN((size_t)skel->bss->kfiles_n, (size_t)RS_KHOLDER_RECS_MAX);
	r = kholders_decode(s, b->recs, got * sizeof(*b->recs));
	if (r < 0)
		return r;
	if (skel->bss->kfiles_n > RS_KHOLDER_RECS_MAX || skel->bss->kfiles_cut > 0)
		r = snapshot_add_gap(
			s,
			"io_uring fixed files, fsopen contexts and overlays: a ring's table or the "
			"records were longer than read",
			"iter/task_file", EAGAIN);
	if (r >= 0 && skel->bss->ow.done != 1)
		r = snapshot_add_gap(s,
				     "overlays with a layer on a superblock no process holds: the "
				     "superblock list changed under the walk",
				     "walk_overlays", EAGAIN);
	return r < 0 ? r : 0;
}
