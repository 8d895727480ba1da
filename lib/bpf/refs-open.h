/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening and loading one build of refs.bpf.c: included by refs.c (built
 * with bpf_rdonly_cast(), 6.2+) and refs-compat.c (without), each after its
 * own light skeleton.  Both skeletons are named "refs" and built from the same
 * source, so their struct refs is one layout: everything after the load
 * (attach, maps, links, destroy) is refs.c's.
 */
#pragma once

#include <errno.h>

#include "loader-log.h"

static int refs_open_load(struct refs **ret)
{
	struct refs *skel = refs__open();
	int r;

	if (!skel)
		return errno ? -errno : -EOPNOTSUPP;
	bool want_log = bpf_loader_log_arm(&skel->ctx);
	if (refs__load(skel)) {
		r = errno ? -errno : -EOPNOTSUPP;
		bpf_loader_log_print(want_log);
		refs__destroy(skel);
		return r;
	}
	*ret = skel;
	return 0;
}
