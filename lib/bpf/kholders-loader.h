/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel holders of superblocks no process holds (kholders.bpf.c +
 * kholders.c): files in flight in unix sockets, io_uring fixed files, fsopen
 * contexts.  A light skeleton of its own, loaded only by a scan whose
 * superblock walk found such a superblock.  Present only in builds with
 * libbpf and clang (HAVE_BPF); otherwise the stub says -EOPNOTSUPP.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model/snapshot.h"

typedef struct KholdersBpf KholdersBpf;

/* Load and attach.  Needs CAP_BPF+CAP_PERFMON (or root) and BTF. */
int kholders_bpf_open(KholdersBpf **ret);
/* Detach and free; NULL is fine.  Returns NULL. */
KholdersBpf *kholders_bpf_free(KholdersBpf *b);

/*
 * Every file in flight in a unix socket, and every connection waiting to be
 * accepted, into @s->inflight (sets @s->inflight_known; a gap when a queue
 * was longer than read).
 */
int kholders_bpf_inflight(KholdersBpf *b, Snapshot *s);

/*
 * The io_uring fixed files and fsopen contexts that hold a superblock of
 * @devs (@n of them, as makedev() makes them), into @s->kholders; a gap when
 * a ring's table was read in part or more were found than the map takes.
 */
int kholders_bpf_files(KholdersBpf *b, Snapshot *s, const uint64_t *devs, size_t n);
