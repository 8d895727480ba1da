// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The builds of refs.bpf.c and memcg.bpf.c without RS_KCAST (kread.bpf.h),
 * for kernels that lack the bpf_rdonly_cast() kfunc (before 6.2: Debian 12's
 * 6.1): the same programs, reading what they reach by address with probe
 * reads.  Loaded by refs.c and memcg.c when their first build does not load.
 */
#include "compat-load.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "memcg.h" /* the record types the skeletons' globals use */
#include "refs.h"

#include "memcg-compat.lskel.h"
#include "refs-compat.lskel.h"

#define SKEL refs
#include "skel-open.h"
#undef SKEL
#define SKEL memcg
#include "skel-open.h"
#undef SKEL

int refs_compat_open_load(struct refs **ret)
{
	return refs__open_load(ret);
}

int memcg_compat_open_load(struct memcg **ret)
{
	return memcg__open_load(ret);
}
