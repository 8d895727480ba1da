/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Reading kernel structures that a program reaches by address, not through a
 * typed pointer the verifier gave it: list nodes turned back into their
 * struct (a superblock's s_list, an inode's i_sb_list), positions kept in a
 * global between bpf_loop() steps, a global function's number arguments.
 *
 * With RS_KCAST (6.2+), bpf_rdonly_cast() gives the address its kernel type
 * back, as an untrusted pointer: its fields are then plain loads that the
 * JIT guards with an exception table entry, about 1 ns each, where a
 * bpf_probe_read_kernel() is a helper call and copy_from_kernel_nofault()
 * (20-50 ns).  The superblock walk reads some 250 000 fields at 1 000
 * containers; its probe reads were 17 % of `residue orphans -J`'s CPU there
 * (copy_from_kernel_nofault in perf record -g).
 * Kernels without the kfunc (Debian's 6.1) load the same source built
 * without RS_KCAST, where every read is a BPF_CORE_READ().  Both read the
 * same fields at the same CO-RE offsets: only the instruction differs.
 *
 *   struct mount *m = KCAST(struct mount, addr);
 *   ns = KREAD(m, mnt_ns);               one field, or a path inside the struct
 *   type = KREAD(sb, s_type);            through a pointer: one KREAD a hop, each
 *   name = KREAD(type, name);            in a statement of its own (BPF_CORE_READs
 *                                        do not nest)
 */
#pragma once

#include <bpf/bpf_core_read.h>

#ifdef RS_KCAST
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

#define KCAST(type, addr)                                                                          \
	((type *)bpf_rdonly_cast((const void *)(__u64)(addr), bpf_core_type_id_kernel(type)))
#define KREAD(ptr, field) ((ptr)->field)
#else
#define KCAST(type, addr) ((type *)(void *)(__u64)(addr))
#define KREAD(ptr, field) BPF_CORE_READ(ptr, field)
#endif
