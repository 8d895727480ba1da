/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Walking the kernel's list of superblocks (s_list) from one we own, for the
 * BPF programs that do (refs.bpf.c's superblock walk, memcg.bpf.c's page-cache
 * walk): which list nodes are superblocks worth reading.
 */
#pragma once

#include "kread.bpf.h"

/*
 * x86_64: the kernel image, where the list head super_blocks lives; superblocks
 * are allocated from the direct map, below it.
 */
#define KERNEL_IMAGE_START 0xffffffff80000000ULL

/*
 * A superblock still on its type's list: the list head super_blocks is not,
 * nor one being torn down.  The back-pointer test alone passed for the head
 * here (an empty static list_head at the right distance looks like a listed
 * hlist_node), so the head is also told by its address, and a superblock
 * with a root must be its root's.
 */
static __always_inline bool sb_is_listed(__u64 sbp)
{
	struct super_block *sb = KCAST(struct super_block, sbp);
	__u64 node = sbp + bpf_core_field_offset(struct super_block, s_instances);
	struct hlist_node **pprev = KREAD(sb, s_instances.pprev);
	__u64 back = 0;

	if (sbp >= KERNEL_IMAGE_START || !pprev)
		return false;
	bpf_probe_read_kernel(&back, sizeof(back), pprev);
	if (back != node)
		return false;
	struct dentry *root = KREAD(sb, s_root);
	return !root || (__u64)KREAD(root, d_sb) == sbp;
}
