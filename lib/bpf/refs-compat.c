// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * refs.bpf.c built without RS_KCAST (kread.bpf.h), for kernels that lack the
 * bpf_rdonly_cast() kfunc (before 6.2: Debian 12's 6.1): the same programs,
 * reading what they reach by address with probe reads.
 */
#include "refs-compat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "refs.h" /* the record types the skeleton's globals use */
#include "refs-compat.lskel.h"
#include "refs-open.h"

int refs_compat_open_load(struct refs **ret)
{
	return refs_open_load(ret);
}
