/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Layouts that never change, declared without CO-RE (after vmlinux.h, whose
 * pragma marks its own structs preserve_access_index).
 *
 * Why: the kernel resolves a program's CO-RE relocations itself (light
 * skeletons), and looks each type name up in a cache of 31 slots hashed by
 * name (kernel/bpf/btf.c, vmlinux_cand_cache).  A miss scans every type of
 * vmlinux's BTF, 126 000 here: 0.4 ms.  Names that share a slot evict each
 * other on every switch between them: bpf_iter__task_vma, vfsmount,
 * super_block and mnt_namespace share one, path and bpf_iter__task_file
 * another, and refs.bpf.c missed 18 times per load, 7 of its 16-20 ms
 * (mnt_namespace is now read without its name: refs.bpf.c, mnt_ns_common()).
 *
 * What is here needs no relocation: an iterator's context is the program's
 * ABI (one pointer-sized slot per argument of DEFINE_BPF_ITER_FUNC, in
 * order), and struct vfsmount has begun with mnt_root and mnt_sb since
 * Linux 2.4.  The verifier still checks every access by offset against the
 * kernel's own BTF.
 */
#pragma once

struct rs_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct rs_iter_task {
	struct rs_iter_meta *meta;
	struct task_struct *task;
};

struct rs_iter_task_file {
	struct rs_iter_meta *meta;
	struct task_struct *task;
	__u32 fd; /* u32 fd __aligned(8) */
	struct file *file;
};

struct rs_iter_task_vma {
	struct rs_iter_meta *meta;
	struct task_struct *task;
	struct vm_area_struct *vma;
};

struct rs_iter_cgroup {
	struct rs_iter_meta *meta;
	struct cgroup *cgroup;
};

struct rs_iter_unix {
	struct rs_iter_meta *meta;
	struct unix_sock *unix_sk;
	__u32 uid;
};

/* The head of struct vfsmount (include/linux/mount.h). */
struct rs_vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
};

_Static_assert(__builtin_offsetof(struct rs_iter_task_file, file) == 24, "bpf_iter__task_file");
_Static_assert(__builtin_offsetof(struct rs_iter_task_vma, vma) == 16, "bpf_iter__task_vma");
_Static_assert(__builtin_offsetof(struct rs_vfsmount, mnt_sb) == 8, "vfsmount");
