// SPDX-License-Identifier: LGPL-2.1-or-later
/* Builds without libbpf or clang: residue inodes has no kernel view. */
#include <errno.h>

#include "inodes-loader.h"

int inodes_bpf_open(InodesBpf **ret)
{
	(void)ret;
	return -EOPNOTSUPP;
}

InodesBpf *inodes_bpf_free(InodesBpf *b)
{
	(void)b;
	return NULL;
}

int inodes_bpf_sample(InodesBpf *b, uint64_t kdev, uint64_t chunk, InoSample *s)
{
	(void)b;
	(void)kdev;
	(void)chunk;
	(void)s;
	return -EOPNOTSUPP;
}
