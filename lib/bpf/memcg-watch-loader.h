/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Following memory cgroups as they are removed and freed (memcg-watch.bpf.c
 * + memcg-watch.c): load and attach the two tracepoint programs, then hand
 * each record of their ring buffer to a callback.  Present only in builds
 * with libbpf and clang; otherwise memcg_watch_new() is -EOPNOTSUPP.
 */
#pragma once

#include "memcg-watch.h"

typedef struct MemcgWatch MemcgWatch;

/* One record, in the order the kernel wrote them; a negative return stops memcg_watch_consume(). */
typedef int (*memcg_watch_fn)(void *userdata, const struct zw_event *e);

/*
 * Load and attach; from the moment this returns every removal and release
 * of a memory cgroup is recorded.  Needs CAP_BPF + CAP_PERFMON (or root)
 * and BTF.  RESIDUE_BPF_LOG=1 prints the verifier's log when loading fails.
 */
int memcg_watch_new(memcg_watch_fn fn, void *userdata, MemcgWatch **ret);

/* Readable (POLLIN) when records wait; for poll() with other fds. */
int memcg_watch_fd(const MemcgWatch *w);

/* Hand every waiting record to the callback: how many, or the callback's -errno. */
int memcg_watch_consume(MemcgWatch *w);

/* The programs' counters (records sent and lost). */
void memcg_watch_stats(const MemcgWatch *w, struct zw_stats *ret);

/* Detach and free; NULL is fine.  Returns NULL. */
MemcgWatch *memcg_watch_free(MemcgWatch *w);
