/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* refs-compat.c: the build of refs.bpf.c for kernels without bpf_rdonly_cast(). */
#pragma once

struct refs;
/* Open and load it; 0, or a negative errno (nothing left open). */
int refs_compat_open_load(struct refs **ret);
