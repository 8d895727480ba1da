// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Files in flight in unix sockets, as a holder of a superblock no process
 * holds: the BPF tier reads every unix socket's receive queue (kholders.bpf.c
 * dump_inflight), and here each file of such a superblock is traced to the
 * process that can receive it: the one holding the socket whose queue holds
 * it, or, when that socket is itself in flight or a connection not yet
 * accepted, the one holding the socket that holds that one.  The socket a
 * process holds is found by its fd's link, socket:[INO], in /proc: read only
 * when such a file exists.
 */
#include <dirent.h>
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

#define VIA_DEPTH_MAX INFLIGHT_CHAIN_MAX

/* The inode of socket @sk, from any record of its queue; 0 when it has no file (an embryo). */
static uint64_t sock_ino_of(const Snapshot *s, uint64_t sk)
{
	for (size_t i = 0; i < s->n_inflight; i++)
		if (s->inflight[i].sk == sk && s->inflight[i].sock_ino)
			return s->inflight[i].sock_ino;
	return 0;
}

/* The record that holds socket @sk: in flight in another queue, or waiting in a listener's. */
static const Inflight *holder_of_sock(const Snapshot *s, uint64_t sk)
{
	for (size_t i = 0; i < s->n_inflight; i++)
		if (s->inflight[i].file_sk == sk)
			return &s->inflight[i];
	return NULL;
}

typedef struct SockOwner {
	uint64_t ino;
	pid_t pid;
	int fd;
} SockOwner;

/* Who holds each socket of @want (by inode) in an fd table: one pass over /proc/PID/fd. */
static void find_owners(SockOwner *want, size_t n)
{
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = procfd >= 0 ? fdopendir(dup(procfd)) : NULL;
	size_t left = n;

	if (!d)
		return;
	for (struct dirent *de; left && (de = readdir(d));) {
		char link[64];
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		DIR *f = proc_fd_opendir(procfd, de->d_name);
		if (!f)
			continue;
		for (struct dirent *fe; left && (fe = readdir(f));) {
			uint64_t ino;
			ssize_t m = readlinkat(dirfd(f), fe->d_name, link, sizeof(link) - 1);
			if (m <= 0)
				continue;
			link[m] = '\0';
			if (sscanf(link, "socket:[%" SCNu64 "]", &ino) != 1)
				continue;
			for (size_t i = 0; i < n; i++)
				if (want[i].ino == ino && want[i].pid == 0) {
					want[i].pid = (pid_t)atoi(de->d_name);
					want[i].fd = atoi(fe->d_name);
					left--;
				}
		}
		closedir(f);
	}
	closedir(d);
}

int collect_inflight(Snapshot *s, KholdersBpf *b)
{
	_cleanup_free_ SockOwner *want = NULL;
	size_t n_want = 0, cap = 0;

	int r = kholders_bpf_inflight(b, s);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return snapshot_add_gap(s, "files in flight in unix sockets (BPF iter/unix)",
					"iter/unix", -r);

	/* Each file on a superblock mounted nowhere: the chain of sockets up to one with a file. */
	for (size_t i = 0; i < s->n_inflight; i++) {
		Inflight *f = &s->inflight[i];
		const KernelSb *k = f->kind == INFLIGHT_FILE ? snapshot_find_ksb(s, f->dev) : NULL;
		if (!k || !ksb_is_unmounted(s, k))
			continue;
		uint64_t sk = f->sk;
		f->via = INFLIGHT_DIRECT;
		f->n_chain = 0;
		for (int depth = 0; depth < VIA_DEPTH_MAX && sk; depth++) {
			uint64_t ino = sock_ino_of(s, sk);
			const Inflight *up = holder_of_sock(s, sk);
			if (ino && !up) {
				f->owner_sock_ino =
					ino; /* held by a process, we hope: looked up below */
				break;
			}
			if (!up)
				break; /* an embryo no listener queue shows: unknown */
			f->via = up->kind == INFLIGHT_EMBRYO ? INFLIGHT_VIA_EMBRYO :
							       INFLIGHT_VIA_NESTED;
			if (f->n_chain < INFLIGHT_CHAIN_MAX)
				f->chain[f->n_chain++] = (InflightStep){ ino, f->via };
			sk = up->sk;
		}
		if (!f->owner_sock_ino)
			continue;
		SockOwner *w = ARRAY_PUSH(want, n_want, cap);
		if (!w)
			return -ENOMEM;
		*w = (SockOwner){ .ino = f->owner_sock_ino };
	}
	if (n_want == 0)
		return 0;
	find_owners(want, n_want);
	for (size_t i = 0; i < s->n_inflight; i++) {
		Inflight *f = &s->inflight[i];
		for (size_t j = 0; f->owner_sock_ino && j < n_want; j++)
			if (want[j].ino == f->owner_sock_ino && want[j].pid > 0) {
				f->resolved = true;
				f->owner_pid = want[j].pid;
				f->owner_fd = want[j].fd;
			}
		/* Its comm and cgroup, as a holder's, from the process list (-1: born since). */
		for (size_t j = 0; f->resolved && f->owner_proc < 0 && j < s->n_procs; j++)
			if (s->procs[j].pid == f->owner_pid)
				f->owner_proc = (int32_t)j;
	}
	return 0;
}
