// SPDX-License-Identifier: LGPL-2.1-or-later
/* Builds without libbpf or clang: no BPF tier; the process scan uses /proc. */
#include <errno.h>

#include "refs-loader.h"

int bpf_collect_references(Snapshot *s)
{
	(void)s;
	return -EOPNOTSUPP;
}
