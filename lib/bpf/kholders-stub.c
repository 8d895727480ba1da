// SPDX-License-Identifier: LGPL-2.1-or-later
/* Builds without libbpf or clang: no kernel holders are named. */
#include <errno.h>

#include "kholders-loader.h"

int kholders_bpf_open(KholdersBpf **ret)
{
	(void)ret;
	return -EOPNOTSUPP;
}

KholdersBpf *kholders_bpf_free(KholdersBpf *b)
{
	(void)b;
	return NULL;
}

int kholders_bpf_inflight(KholdersBpf *b, Snapshot *s)
{
	(void)b;
	(void)s;
	return -EOPNOTSUPP;
}

int kholders_bpf_files(KholdersBpf *b, Snapshot *s, const uint64_t *devs, size_t n)
{
	(void)b;
	(void)s;
	(void)devs;
	(void)n;
	return -EOPNOTSUPP;
}
