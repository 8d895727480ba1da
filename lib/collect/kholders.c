// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel holders of the superblocks the walk found mounted nowhere and no
 * process holds, read only when there is such a superblock: the programs
 * (kholders.bpf.c, a light skeleton of their own) are loaded here, not with
 * the reference iterators, so that a scan without one pays nothing for them.
 * Files in flight in unix sockets (inflight.c), and behind the fds of
 * processes: an io_uring ring's registered (fixed) files and an fsopen()
 * context's superblock, each named with the process, the fd and (io_uring)
 * the slot and the file's path as the ring's fdinfo lists it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/array.h"
#include "base/fileio.h"
#include "base/macro.h"
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

/*
 * The path of fixed file @index of the ring at fd @fd of @pid, from its
 * fdinfo ("UserFiles:\tN" then "%5u: PATH" a slot): the kernel takes the
 * ring's lock with a trylock there and lists nothing when it is busy.  NULL
 * when it is not listed, or not as a path.
 */
static char *ring_file_path(pid_t pid, int fd, uint32_t index)
{
	_cleanup_free_ char *buf = NULL;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	ssize_t n = read_all_at(AT_FDCWD, path, &buf);
	if (n <= 0)
		return NULL;
	const char *p = strstr(buf, "\nUserFiles:");
	if (!p)
		return NULL;
	p = strchr(p + 1, '\n');
	while (p && *p == '\n') {
		const char *line = p + 1, *end = strchr(line, '\n');
		char *after;
		errno = 0;
		unsigned long slot = strtoul(line, &after, 10);
		if (after == line || errno || after[0] != ':' || after[1] != ' ')
			return NULL; /* past the list */
		/* Before 6.6 (Debian's 6.1) a slot shows the file's name alone, not its path. */
		if (slot == index) {
			size_t len = end ? (size_t)(end - after - 2) : strlen(after + 2);
			return after[2] == '/' ? strndup(after + 2, len) : NULL;
		}
		p = end;
	}
	return NULL;
}

/* io_uring fixed files and fsopen contexts on @devs, each tied to its process. */
static int collect_kfiles(Snapshot *s, KholdersBpf *b, const uint64_t *devs, size_t n)
{
	size_t first = s->n_kholders;
	int r = kholders_bpf_files(b, s, devs, n);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return snapshot_add_gap(
			s, "io_uring fixed files and fsopen contexts (BPF iter/task_file)",
			"iter/task_file", -r);
	for (size_t i = first; i < s->n_kholders; i++) {
		KHolder *k = &s->kholders[i];
		for (size_t j = 0; j < s->n_procs && k->proc < 0; j++)
			if (s->procs[j].pid == k->pid)
				k->proc = (int32_t)j;
		if (k->kind == KHOLDER_IO_URING)
			k->path = ring_file_path(k->pid, k->fd, k->index); /* NULL: unknown */
	}
	return 0;
}

int collect_kernel_holders(Snapshot *s)
{
	_cleanup_free_ uint64_t *devs = NULL;
	KholdersBpf *b = NULL;
	size_t n = 0;

	int r = unheld_devs(s, &devs, &n);
	if (r < 0 || n == 0)
		return r;
	r = kholders_bpf_open(&b);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		int err = -r;
		r = snapshot_add_gap(s, "files in flight in unix sockets (BPF iter/unix)",
				     "iter/unix", err);
		if (r >= 0)
			r = snapshot_add_gap(
				s, "io_uring fixed files and fsopen contexts (BPF iter/task_file)",
				"iter/task_file", err);
		return r < 0 ? r : 0;
	}
	r = collect_inflight(s, b);
	if (r >= 0)
		r = collect_kfiles(s, b, devs, n);
	kholders_bpf_free(b);
	return r < 0 ? r : 0;
}
