// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel holders of the superblocks the walk found mounted nowhere and no
 * process holds, read only when there is such a superblock: the programs
 * (kholders.bpf.c, a light skeleton of their own) are loaded here, not with
 * the reference iterators, so that a scan without one pays nothing for them
 * (residue serve keeps them once loaded: ScanOptions.kholders_bpf).
 * Files in flight in unix sockets (inflight.c); behind the fds of
 * processes, an io_uring ring's registered (fixed) files and an fsopen()
 * context's superblock, each named with the process, the fd and (io_uring)
 * the slot and the file's path as the ring's fdinfo lists it; and overlays
 * mounted in a namespace that have such a superblock as a layer, named with
 * a process of that namespace and the overlay's mount point there.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/array.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "base/u64set.h"
#include "bpf/kholders-loader.h"
#include "collect.h"

/* Superblocks mounted nowhere that no process holds: what the programs look for. */
static int unheld_devs(const Snapshot *s, uint64_t **ret, size_t *ret_n)
{
	U64Set held = { 0 };
	uint64_t *devs = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	for (size_t i = 0; i < s->n_holders && r >= 0; i++)
		if (holder_is_unattached(s, &s->holders[i]))
			r = u64set_add(&held, s->holders[i].dev);
	for (size_t i = 0; i < s->n_ksbs && r >= 0; i++) {
		const KernelSb *k = &s->ksbs[i];
		if (!ksb_is_unmounted(s, k) || fs_magic_is_internal(k->magic) ||
		    u64set_contains(&held, k->dev))
			continue;
		uint64_t *d = ARRAY_PUSH(devs, n, cap);
		if (!d)
			r = -ENOMEM;
		else
			*d = k->dev;
	}
	u64set_done(&held);
	if (r < 0) {
		free(devs);
		return -ENOMEM;
	}
	*ret = devs;
	*ret_n = n;
	return 0;
}

/* The path of fixed file @index of the ring at fd @fd of @pid, from its fdinfo; NULL unknown. */
static char *ring_file_path(pid_t pid, int fd, uint32_t index)
{
	_cleanup_free_ char *buf = NULL;
	char path[64], *ret = NULL;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	ssize_t n = read_all_at(AT_FDCWD, path, &buf);
	if (n <= 0 || parse_fdinfo_user_file(buf, (size_t)n, index, &ret) < 0)
		return NULL;
	return ret;
}

/*
 * Where the overlay @ovl_dev is mounted: a user process of a namespace that
 * mounts it (the walk recorded the first few) and its mount point there, from
 * that process's mountinfo.  Unmounting it everywhere releases its layers.
 */
static void overlay_place(const Snapshot *s, KHolder *k)
{
	const KernelSb *o = snapshot_find_ksb(s, k->ovl_dev);
	_cleanup_free_ char *info = NULL;
	char path[64];

	for (size_t i = 0; o && i < o->n_ns && i < KSB_NS_MAX && !k->pid; i++) {
		const MountNs *ns = o->ns_old_ids ? snapshot_find_ns_by_ino(s, o->ns_inos[i]) :
						    snapshot_find_ns(s, o->ns_ids[i]);
		if (ns && ns->pid > 0 && !ns->pid_is_kthread)
			k->pid = ns->pid;
	}
	if (!k->pid)
		return;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", k->pid);
	ssize_t n = read_all_at(AT_FDCWD, path, &info);
	for (char *line = n > 0 ? info : NULL, *end; line && *line; line = end ? end + 1 : NULL) {
		MountinfoEntry e;
		end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (parse_mountinfo_line(line, len, &e) == 0 &&
		    makedev(e.major, e.minor) == k->ovl_dev) {
			k->path = strdup(e.mount_point); /* NULL: unknown */
			return;
		}
	}
}

/* io_uring fixed files, fsopen contexts and overlays on @devs, each tied to its process. */
static int collect_kfiles(Snapshot *s, KholdersBpf *b, const uint64_t *devs, size_t n)
{
	size_t first = s->n_kholders;
	int r = kholders_bpf_files(b, s, devs, n);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return snapshot_add_gap(
			s,
			"io_uring fixed files, fsopen contexts and overlays (BPF iter/task_file)",
			"iter/task_file", -r);
	for (size_t i = first; i < s->n_kholders; i++) {
		KHolder *k = &s->kholders[i];
		if (k->kind == KHOLDER_OVERLAY)
			overlay_place(s, k);
		for (size_t j = 0; j < s->n_procs && k->proc < 0 && k->pid; j++)
			if (s->procs[j].pid == k->pid)
				k->proc = (int32_t)j;
		if (k->kind == KHOLDER_IO_URING)
			k->path = ring_file_path(k->pid, k->fd, k->index); /* NULL: unknown */
	}
	return 0;
}

int collect_kernel_holders(Snapshot *s, const ScanOptions *o)
{
	_cleanup_free_ uint64_t *devs = NULL;
	KholdersBpf *b = o->kholders_bpf ? *o->kholders_bpf : NULL;
	size_t n = 0;

	int r = unheld_devs(s, &devs, &n);
	if (r < 0 || n == 0)
		return r;
	/* An agent that reports a kernel-held orphan every rescan loads the programs once. */
	r = b ? 0 : kholders_bpf_open(&b);
	if (r == 0 && o->kholders_bpf)
		*o->kholders_bpf = b;
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		int err = -r;
		r = snapshot_add_gap(s, "files in flight in unix sockets (BPF iter/unix)",
				     "iter/unix", err);
		if (r >= 0)
			r = snapshot_add_gap(
				s,
				"io_uring fixed files, fsopen contexts and overlays (BPF iter/task_file)",
				"iter/task_file", err);
		return r < 0 ? r : 0;
	}
	r = collect_inflight(s, b);
	if (r >= 0)
		r = collect_kfiles(s, b, devs, n);
	if (!o->kholders_bpf)
		kholders_bpf_free(b);
	return r < 0 ? r : 0;
}
