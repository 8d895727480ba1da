/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of the BPF tier of the process scan: the records that
 * refs.bpf.c's three iterators wrote (struct rs_ref, refs.h), as bytes,
 * turned into the Process and Holder entries of a Snapshot.  No kernel, no
 * skeleton: refs.c reads the iterators and calls this, and so does the
 * fuzzer tests/fuzz/fuzz-refs.c, with arbitrary bytes.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "model/snapshot.h"

/*
 * Append the processes of @tasks (task records and the cwd, root and exe
 * references that follow each) and the fds of @files and mappings of
 * @vmas to @s.  Each buffer must be aligned for struct rs_ref (malloc'd);
 * a trailing partial record of @files or @vmas is ignored.  @self_pid is
 * our pid as this pid namespace sees it (getpid()): the task record
 * flagged RS_REF_F_SELF must carry it, or the pids are another
 * namespace's; and, when @s->self_mntns_ino is known, the mount namespace
 * inode that record carries must be it, or the programs misread the kernel's
 * structures.  -EBADMSG (@tasks is not whole records, or has no self
 * record), -EXDEV (other pids, or a reference record of any of the three
 * with its mount id in another id space than @s->has_listmount) or -EPROTO
 * (the wrong namespace inode) leave @s untouched; -ENOMEM may leave part
 * added.
 */
int refs_decode(Snapshot *s, const void *tasks, size_t tasks_len, const void *files,
		size_t files_len, const void *vmas, size_t vmas_len, pid_t self_pid);
