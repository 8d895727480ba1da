// SPDX-License-Identifier: LGPL-2.1-or-later
/* Builds without libbpf or clang: no watching memory cgroups come and go. */
#include <errno.h>
#include <string.h>

#include "memcg-watch-loader.h"

int memcg_watch_new(memcg_watch_fn fn, void *userdata, MemcgWatch **ret)
{
	(void)fn;
	(void)userdata;
	(void)ret;
	return -EOPNOTSUPP;
}

int memcg_watch_fd(const MemcgWatch *w)
{
	(void)w;
	return -EBADF;
}

int memcg_watch_consume(MemcgWatch *w)
{
	(void)w;
	return -EOPNOTSUPP;
}

void memcg_watch_stats(const MemcgWatch *w, struct zw_stats *ret)
{
	(void)w;
	memset(ret, 0, sizeof(*ret));
}

MemcgWatch *memcg_watch_free(MemcgWatch *w)
{
	(void)w;
	return NULL;
}
