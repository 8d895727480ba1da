/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The BPF tier of the process scan (refs.bpf.c + refs.c): every process and
 * every reference it holds, from BPF iterators.  Present only in builds with
 * libbpf and clang (HAVE_BPF); otherwise a stub says -EOPNOTSUPP.
 */
#pragma once

#include "model/snapshot.h"

/*
 * Append every process (pid, comm, mount-namespace inode) and reference
 * (fd, mapping, cwd, root, exe) to @s.  On error nothing is added: the
 * caller falls back to /proc.  Needs CAP_BPF+CAP_PERFMON (or root) and BTF.
 */
int bpf_collect_references(Snapshot *s);

/*
 * The same with the programs loaded once and kept (residue serve rescans
 * without paying for the load): open loads and attaches, collect runs the
 * iterators, free detaches.  -EOPNOTSUPP in builds without BPF.
 */
typedef struct RefsBpf RefsBpf;
int refs_bpf_open(RefsBpf **ret);
int refs_bpf_collect(RefsBpf *b, Snapshot *s);
RefsBpf *refs_bpf_free(RefsBpf *b);

/*
 * refs_bpf_collect() and refs_bpf_walk_sbs() at once, the mappings and the
 * walk on a second thread: the return is the references' (on error nothing
 * is added), *@ret_walk the walk's (an error leaves @s->sb_walk false).
 */
int refs_bpf_collect_and_walk(RefsBpf *b, Snapshot *s, int *ret_walk);

/*
 * Walk every superblock on the kernel's list and append where each is mounted
 * to @s->ksbs (sets @s->sb_walk).  Needs programs from refs_bpf_open; an
 * error leaves @s->sb_walk false.  -EOPNOTSUPP in builds without BPF.
 */
int refs_bpf_walk_sbs(RefsBpf *b, Snapshot *s);

/*
 * The superblocks of files that tasks are still closing (their last fput()
 * queued as task work, as an exiting process's are) into @s->fput_devs.
 * Needs programs from refs_bpf_open.  -EOPNOTSUPP in builds without BPF.
 */
int refs_bpf_fputs(RefsBpf *b, Snapshot *s);
