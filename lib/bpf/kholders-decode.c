// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Records of kholders.bpf.c → Inflight and KHolder entries (kholders-decode.h).
 * What the kernel wrote is trusted only as far as memory safety needs:
 * unknown kinds are skipped, devices are re-encoded, duplicates dropped.
 */
#include "kholders-decode.h"

#include <errno.h>
#include <sys/sysmacros.h>

#include "base/array.h"
#include "kholders.h"

/* A kernel dev_t (major << 20 | minor) as makedev() makes it. */
static uint64_t dev_of_kernel(uint64_t kdev)
{
	return makedev((unsigned)(kdev >> 20), (unsigned)(kdev & 0xfffff));
}

int inflight_decode(Snapshot *s, const void *recs, size_t len)
{
	const struct rs_inflight *r = recs;
	size_t n = len / sizeof(*r);

	if (len % sizeof(*r))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind != RS_INFLIGHT_FILE && r[i].kind != RS_INFLIGHT_EMBRYO)
			continue;
		Inflight f = {
			.sk = r[i].sk,
			.sock_ino = r[i].sock_ino,
			.dev = r[i].kind == RS_INFLIGHT_FILE ? dev_of_kernel(r[i].dev) : 0,
			.ino = r[i].kind == RS_INFLIGHT_FILE ? r[i].ino : 0,
			.file_sk = r[i].file_sk,
			.kind = (uint8_t)r[i].kind,
			.owner_proc = -1,
		};
		bool dup = false;
		for (size_t j = 0; j < s->n_inflight && !dup; j++) {
			const Inflight *g = &s->inflight[j];
			dup = g->sk == f.sk && g->dev == f.dev && g->ino == f.ino &&
			      g->file_sk == f.file_sk && g->kind == f.kind;
		}
		if (dup)
			continue;
		Inflight *slot = ARRAY_PUSH(s->inflight, s->n_inflight, s->cap_inflight);
		if (!slot)
			return -ENOMEM;
		*slot = f;
	}
	return 0;
}

int kholders_decode(Snapshot *s, const void *recs, size_t len)
{
	const struct rs_kholder *r = recs;
	size_t n = len / sizeof(*r);

	if (len % sizeof(*r))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind != RS_KHOLDER_IO_URING && r[i].kind != RS_KHOLDER_FSCONTEXT &&
		    r[i].kind != RS_KHOLDER_OVERLAY)
			continue;
		bool ring = r[i].kind == RS_KHOLDER_IO_URING;
		bool ovl = r[i].kind == RS_KHOLDER_OVERLAY;
		KHolder k = {
			.dev = dev_of_kernel(r[i].dev),
			.ino = ring ? r[i].ino : 0,
			.ovl_dev = ovl ? dev_of_kernel(r[i].ovl_dev) : 0,
			/* An overlay's process is found later, from where it is mounted. */
			.pid = ovl ? 0 : (pid_t)r[i].pid,
			.fd = ovl ? -1 : r[i].fd,
			.index = ring || ovl ? r[i].index : 0,
			.kind = (uint8_t)r[i].kind,
			.proc = -1,
		};
		bool dup = false;
		for (size_t j = 0; j < s->n_kholders && !dup; j++) {
			const KHolder *g = &s->kholders[j];
			dup = g->dev == k.dev && g->ino == k.ino && g->pid == k.pid &&
			      g->fd == k.fd && g->index == k.index && g->kind == k.kind &&
			      g->ovl_dev == k.ovl_dev;
		}
		if (dup)
			continue;
		KHolder *slot = ARRAY_PUSH(s->kholders, s->n_kholders, s->cap_kholders);
		if (!slot)
			return -ENOMEM;
		*slot = k;
	}
	return 0;
}
