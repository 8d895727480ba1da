// SPDX-License-Identifier: LGPL-2.1-or-later
/* Builds without libbpf or clang: no kernel view of zombie memcgs. */
#include <errno.h>

#include "memcg-loader.h"

int bpf_collect_memcgs(ZombieScan *z, int cgroup_fd, bool want_cache)
{
	(void)z;
	(void)cgroup_fd;
	(void)want_cache;
	return -EOPNOTSUPP;
}
