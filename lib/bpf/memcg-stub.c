// SPDX-License-Identifier: LGPL-2.1-or-later
/* Builds without libbpf or clang: no kernel view of zombie memcgs. */
#include <errno.h>

#include "memcg-loader.h"

int memcg_bpf_open(MemcgBpf **ret)
{
	(void)ret;
	return -EOPNOTSUPP;
}

int memcg_bpf_open_once(MemcgBpf **ret)
{
	(void)ret;
	return -EOPNOTSUPP;
}

int memcg_bpf_collect(MemcgBpf *b, ZombieScan *z, int cgroup_fd, unsigned walks)
{
	(void)b;
	(void)z;
	(void)cgroup_fd;
	(void)walks;
	return -EOPNOTSUPP;
}

int memcg_bpf_name_pins(MemcgBpf *b, ZombieScan *z, const bool *want)
{
	(void)b;
	(void)z;
	(void)want;
	return -EOPNOTSUPP;
}

MemcgBpf *memcg_bpf_free(MemcgBpf *b)
{
	(void)b;
	return NULL;
}
