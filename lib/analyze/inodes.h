/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Judging two samples of the dentry and inode walk (model/inodes.h): in
 * each, what every candidate's count is explained by (children, the
 * superblock's root, a mountpoint, the filesystem's own pin, open files,
 * mappings, exe, readdir cursors, roots and cwds, mount roots, swap) and
 * what is left; a finding is what is left over, or stranded, in both samples
 * with the same address and the same count.  Pure: tested on hand-built
 * samples.
 */
#pragma once

#include "model/inodes.h"

/*
 * Fill @a's findings, counters and superblock summaries from samples @s1
 * and @s2 (taken in that order), given the @n_kfiles files the kernel holds
 * outside fd tables (@kfiles: loop devices' backing files).  -ENOMEM leaves
 * @a with what it had.
 */
int analyze_inodes(const InoSample *s1, const InoSample *s2, const InoKernelFile *kfiles,
		   size_t n_kfiles, InodeAudit *a);

/*
 * Shrink @s to what a later analyze_inodes() with it as @s1 reads: its
 * superblocks and mounts, the dentries and inodes with references left
 * unexplained (without kernel files: a superset), and those dentries'
 * holders.  A kept sample of a host's every candidate (620 000 cached inodes
 * here) held 30 MB in residue serve between audits an hour apart.
 */
int ino_sample_reduce(InoSample *s);

/* What explains a candidate dentry's count (one sample), for the analysis and its tests. */
typedef struct InoExplained {
	uint32_t children, files, fs_refs, mounts, other;
	uint32_t pids[INO_FINDING_PIDS];
	uint32_t n_pids;
	int64_t unexplained; /* d_count minus all of the above */
	uint64_t holders_fp; /* which objects explained it (files, fs_structs): identity only */
} InoExplained;
