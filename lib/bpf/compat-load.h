/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compat-load.c: refs.bpf.c and memcg.bpf.c built without bpf_rdonly_cast(),
 * for kernels before 6.2 (kread.bpf.h).  Each returns 0 with the skeleton
 * loaded, or a negative errno with nothing left open.
 */
#pragma once

struct refs;
struct memcg;

int refs_compat_open_load(struct refs **ret);
int memcg_compat_open_load(struct memcg **ret);
