// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Load memcg-watch.bpf.c through its light skeleton, attach its two
 * tracepoint programs and read their ring buffer with libbpf's consumer
 * (ring_buffer__new() works on any ring-buffer map fd, the light
 * skeleton's too): the one part of libbpf residue links, because a correct
 * consumer (memory ordering of the producer and consumer positions, the
 * busy and discard bits, records that wrap the end of the data pages) is
 * not worth writing again.
 */
#include "memcg-watch-loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "loader-log.h"
#include "memcg-watch.lskel.h"

struct MemcgWatch {
	struct memcg_watch *skel;
	struct ring_buffer *rb;
	memcg_watch_fn fn;
	void *userdata;
};

static int on_record(void *ctx, void *data, size_t size)
{
	MemcgWatch *w = ctx;
	struct zw_event e;

	if (size < sizeof(e))
		return 0; /* not ours: the programs write one size only */
	memcpy(&e, data, sizeof(e));
	e.path[sizeof(e.path) - 1] = '\0';
	return w->fn(w->userdata, &e);
}

/* libbpf's warnings (ring buffer setup) go to stderr only when asked for. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int memcg_watch_new(memcg_watch_fn fn, void *userdata, MemcgWatch **ret)
{
	bool want_log = getenv("RESIDUE_BPF_LOG") != NULL;
	MemcgWatch *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->userdata = userdata;
	if (!want_log)
		libbpf_set_print(quiet);
	w->skel = memcg_watch__open();
	if (!w->skel) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	bpf_loader_log_arm(&w->skel->ctx);
	if (memcg_watch__load(w->skel)) {
		r = errno ? -errno : -EOPNOTSUPP;
		bpf_loader_log_print(want_log);
		goto fail;
	}
	w->rb = ring_buffer__new(w->skel->maps.events.map_fd, on_record, w, NULL);
	if (!w->rb) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	/* Last, so that nothing is recorded before there is a consumer to read it. */
	r = memcg_watch__attach(w->skel);
	if (r < 0) {
		r = errno ? -errno : r;
		goto fail;
	}
	*ret = w;
	return 0;
fail:
	memcg_watch_free(w);
	return r;
}

int memcg_watch_fd(const MemcgWatch *w)
{
	return ring_buffer__epoll_fd(w->rb);
}

int memcg_watch_consume(MemcgWatch *w)
{
	return ring_buffer__consume(w->rb);
}

void memcg_watch_stats(const MemcgWatch *w, struct zw_stats *ret)
{
	/* .bss is mmapped: the programs' counters as they are now. */
	memcpy(ret, &w->skel->bss->stats, sizeof(*ret));
}

MemcgWatch *memcg_watch_free(MemcgWatch *w)
{
	if (!w)
		return NULL;
	/* The skeleton closes its links first: no more records, then the ring goes. */
	memcg_watch__destroy(w->skel);
	ring_buffer__free(w->rb);
	free(w);
	return NULL;
}
