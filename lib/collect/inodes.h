/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * residue inodes' collector: load the audit's BPF skeleton, take two
 * samples of the dentry and inode walk, and judge them (analyze/inodes.h).
 * Without BPF nothing can be known: the audit says why (its error and a
 * gap), it never guesses from /proc.
 */
#pragma once

#include <stdint.h>

#include "model/inodes.h"

typedef struct InodeAuditOptions {
	uint64_t dev; /* the superblock to audit, as makedev() makes it; 0: every one */
	double interval_s; /* between the two samples; 0: the default */
	uint64_t chunk; /* inodes per walk chunk; 0: the default */
	/*
	 * Where the caller keeps the kernel-holder programs (residue serve: the
	 * ones its scans load, ScanOptions.kholders_bpf), so that an agent loads
	 * them once for both; NULL: the auditor loads and keeps its own.
	 */
	struct KholdersBpf **kholders_bpf;
} InodeAuditOptions;

#define INODE_AUDIT_INTERVAL_S 0.25

/*
 * Audit: *@ret is set whenever the return is not -ENOMEM, also when BPF
 * could not run (then ->ran is false and ->error says why).  Two samples
 * @o->interval_s apart: two walks of every cached inode (about 0.4 s each
 * per 500 000 inodes), so the default scan never calls it (docs/INODES.md).
 */
int audit_inodes(const InodeAuditOptions *o, InodeAudit **ret);

/*
 * An auditor that keeps its BPF programs and its last sample between
 * audits (residue serve, watch): its first audit takes two samples, each
 * later one a single sample judged against the one before, so that an
 * audit every few minutes costs one walk and a finding has persisted for
 * that long.  A skeleton that would not load is not tried again.
 */
typedef struct InodeAuditor InodeAuditor;

int inode_auditor_new(const InodeAuditOptions *o, InodeAuditor **ret);
InodeAuditor *inode_auditor_free(InodeAuditor *x);
/* One audit, as audit_inodes() returns it. */
int inode_auditor_run(InodeAuditor *x, InodeAudit **ret);
/*
 * Load the audit's BPF programs now rather than at the first audit (the
 * agent says in its first scan's one line whether the kernel refused them):
 * 0, or why not (-errno), remembered as the audits will find it.
 */
int inode_auditor_load(InodeAuditor *x);

/*
 * The device of "MAJ:MIN", of a block device node, or of the mount at a
 * mount point as /proc/self/mountinfo shows it.  A mount point is looked up
 * in the table only, never stat()ed: a hung FUSE or NFS server must not
 * hang residue.  -ENOENT when nothing matches.
 */
int inode_audit_parse_dev(const char *arg, uint64_t *ret_dev);
