// SPDX-License-Identifier: LGPL-2.1-or-later
/* Builds without libbpf or clang: no BPF tier; the process scan uses /proc. */
#include <errno.h>

#include "refs-loader.h"

int bpf_collect_references(Snapshot *s)
{
	(void)s;
	return -EOPNOTSUPP;
}

int refs_bpf_open(RefsBpf **ret)
{
	(void)ret;
	return -EOPNOTSUPP;
}

int refs_bpf_collect(RefsBpf *b, Snapshot *s)
{
	(void)b;
	(void)s;
	return -EOPNOTSUPP;
}

int refs_bpf_collect_and_walk(RefsBpf *b, Snapshot *s, int *ret_walk)
{
	(void)b;
	(void)s;
	(void)ret_walk;
	return -EOPNOTSUPP;
}

RefsBpf *refs_bpf_free(RefsBpf *b)
{
	(void)b;
	return NULL;
}

int refs_bpf_walk_sbs(RefsBpf *b, Snapshot *s)
{
	(void)b;
	(void)s;
	return -EOPNOTSUPP;
}

int refs_bpf_fputs(RefsBpf *b, Snapshot *s)
{
	(void)b;
	(void)s;
	return -EOPNOTSUPP;
}
