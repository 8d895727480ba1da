/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The records that kholders.bpf.c writes and kholders.c reads: kernel objects
 * that hold a file of a superblock with no fd table, mapping or mount
 * pointing at it.  Loaded only when the superblock walk (refs.bpf.c) found a
 * superblock mounted nowhere that no process holds, so that a scan with no
 * such superblock never pays for these programs.  Fixed sizes, so a reader
 * can resume after a short read at any record boundary.
 */
#pragma once

#ifndef __bpf__
#include <linux/types.h>
#endif

/*
 * Files in flight in unix sockets (dump_inflight, iter/unix): sent with
 * SCM_RIGHTS and not received, they are held by the socket's receive queue,
 * not by any fd table.  One record per file in flight, and one per
 * connection not yet accepted (its socket, an embryo, waits in the
 * listener's queue and may hold files of its own).  Sockets are named by
 * their struct sock address, which only joins records of one run.
 */
enum rs_inflight_kind {
	RS_INFLIGHT_FILE = 1, /* a file in sk's queue: dev, ino; file_sk if it is a socket */
	RS_INFLIGHT_EMBRYO, /* sk listens; file_sk is a connection waiting in its queue */
};

#define RS_INFLIGHT_F_CUT 1 /* the message had more files than the program reads */
/*
 * Messages read per socket, files per message: the verifier checks each
 * step, and 32 x 8 cost every scan 25-35 ms of load time here, 8 x 4 a few.
 * A queue longer is counted in inflight_cut (a gap).
 */
#define RS_INFLIGHT_SKBS_MAX 8
#define RS_INFLIGHT_FDS_MAX 4

struct rs_inflight {
	__u64 sk; /* the socket whose queue holds it */
	__u64 sock_ino; /* that socket's inode (socket:[INO]), 0 when it has no file yet */
	__u64 dev; /* kernel dev_t of the file in flight */
	__u64 ino;
	__u64 file_sk; /* the file is a socket: its sk; RS_INFLIGHT_EMBRYO: the embryo */
	__u32 kind;
	__u32 flags;
};

/*
 * Holders behind a process's anon-inode fds (dump_kfiles, iter/task_file),
 * reported only for superblocks residue asked about (map want_devs):
 * an io_uring ring's registered (fixed) files, and an fsopen() context's
 * superblock (fs_context.root), which exists with no mount at all until
 * fsmount() and stays held by the context after it.  And overlays whose
 * layer is such a superblock (walk_overlays, along the superblock list):
 * an overlay keeps a private clone of each layer's mount, in no namespace.
 */
enum rs_kholder_kind {
	RS_KHOLDER_IO_URING = 1, /* fd is the ring; index is the fixed-file slot */
	RS_KHOLDER_FSCONTEXT, /* fd is the [fscontext] file; index 0 */
	RS_KHOLDER_OVERLAY, /* an overlay (ovl_dev) has it as layer index; no pid, fd -1 */
};

/* Superblocks residue asks about (dump_kfiles' filter): a few, unheld ones. */
#define RS_KHOLDER_DEVS_MAX 1024
/* Records the map kfiles takes; more are counted (kfiles_n) and make a gap. */
#define RS_KHOLDER_RECS_MAX 4096
/*
 * Fixed-file slots read per ring: IORING_MAX_FIXED_FILES is 1 << 20 on
 * 6.x; a larger table is read in part and counted in kfiles_cut (a gap).
 * And in all, per run (sparse tables of a million slots each, in many
 * rings, would otherwise keep the iterator busy for seconds).
 */
#define RS_KHOLDER_SLOTS_MAX (1U << 20)
#define RS_KHOLDER_SLOTS_TOTAL (1U << 24)

struct rs_kholder {
	__u64 dev; /* kernel dev_t of the held superblock */
	__u64 ino; /* the held file's inode (io_uring); 0 for a context */
	__u32 pid; /* tgid, in the initial pid namespace */
	__s32 fd; /* the ring's or the context's fd in pid */
	__u32 index; /* io_uring: the fixed-file slot; overlay: the layer (0: upper) */
	__u32 kind; /* enum rs_kholder_kind */
	__u64 ovl_dev; /* overlay: the overlay's own superblock (kernel dev_t) */
};

#define RS_OVL_LAYERS_MAX 512 /* OVL_MAX_STACK is 500 */

/* walk_overlays' state, in .bss: the superblock it is at, the layer it reads. */
struct rs_ovl_walk {
	__u64 start, sb, layers;
	__u64 sbs, rejected;
	__u32 n, i, stride, ovl_dev;
	__u32 done; /* 1: back at the start; 2: a list step failed; 0: out of steps */
	__u32 pad;
};

/* dump_kfiles' state while it reads one ring's table, in .bss (a bpf_loop's cursor). */
struct rs_ring_walk {
	__u64 table; /* nodes (6.13+) or files (before) */
	__u32 nr;
	__u32 pid;
	__s32 fd;
	__u32 pad;
};
