/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * residue inodes' BPF tier (inodes.bpf.c + inodes.c): one sample of the
 * dentries and inodes of one superblock or all, and of the holders of the
 * dentries whose counts the walk alone does not explain.  A light skeleton
 * of its own, loaded only by `residue inodes` and by scans that ask for the
 * audit.  Present only in builds with libbpf and clang; otherwise the stub
 * says -EOPNOTSUPP.
 */
#pragma once

#include <stdint.h>

#include "model/inodes.h"

typedef struct InodesBpf InodesBpf;

/* Load and attach.  Needs CAP_BPF+CAP_PERFMON (or root) and BTF. */
int inodes_bpf_open(InodesBpf **ret);
/* Detach and free; NULL is fine.  Returns NULL. */
InodesBpf *inodes_bpf_free(InodesBpf *b);

/*
 * One sample into @s (cleared first): the superblock of kernel device
 * number @kdev (major << 20 | minor; 0: every superblock), walked @chunk
 * inodes at a time (0: the default), then the holder passes.
 */
int inodes_bpf_sample(InodesBpf *b, uint64_t kdev, uint64_t chunk, InoSample *s);
