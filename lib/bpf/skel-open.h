/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening and loading a light skeleton: included after one, with SKEL defined
 * as its name (refs, memcg).  refs.bpf.c and memcg.bpf.c are built twice,
 * with bpf_rdonly_cast() (6.2+) and without (compat-load.c; kread.bpf.h),
 * into two skeletons of one name and one layout: a loader includes this once
 * per build, and everything after the load (attach, maps, destroy) is
 * shared.  No include guard: once per SKEL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader-log.h"

#ifndef SKEL_FN
#define SKEL_FN(name, fn) SKEL_FN_(name, fn)
#define SKEL_FN_(name, fn) name##__##fn
#define SKEL_STR(name) SKEL_STR_(name)
#define SKEL_STR_(name) #name
#endif

/* 0 and *@ret loaded, or a negative errno and nothing left open. */
static inline int SKEL_FN(SKEL, open_load)(struct SKEL **ret)
{
	struct SKEL *skel = SKEL_FN(SKEL, open)();
	int r;

	if (!skel)
		return errno ? -errno : -EOPNOTSUPP;
	bool want_log = bpf_loader_log_arm(&skel->ctx);
	if (SKEL_FN(SKEL, load)(skel)) {
		r = errno ? -errno : -EOPNOTSUPP;
		bpf_loader_log_print(want_log);
		SKEL_FN(SKEL, destroy)(skel);
		return r;
	}
	*ret = skel;
	return 0;
}

/*
 * The build with bpf_rdonly_cast(), else the one without (@compat, from
 * compat-load.c): a kernel that lacks the kfunc cannot resolve it, and
 * without the privilege to load BPF both fail at their first map.
 */
static inline int SKEL_FN(SKEL, open_load_any)(struct SKEL **ret, int (*compat)(struct SKEL **ret))
{
	int fast = SKEL_FN(SKEL, open_load)(ret);
	if (fast == 0)
		return 0;
	int r = compat(ret);
	if (getenv("RESIDUE_BPF_LOG"))
		fprintf(stderr, "%s: build with bpf_rdonly_cast: %s; without: %s\n", SKEL_STR(SKEL),
			strerror(-fast), r < 0 ? strerror(-r) : "loaded");
	return r;
}
