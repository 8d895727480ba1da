// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Kernel objects that hold a file of a superblock no process holds, read only
 * when the superblock walk (refs.bpf.c walk_sbs) found such a superblock: a
 * second light skeleton, so that a scan with no unexplained orphan loads none
 * of this.  dump_inflight reads every unix socket's receive queue (files sent
 * with SCM_RIGHTS and never received); dump_kfiles looks behind each
 * process's anon-inode fds for an io_uring ring's registered (fixed) files
 * and an fsopen() context's superblock.  CO-RE only; records are in
 * kholders.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "iter-ctx.bpf.h"
#include "kholders.h"
#include "sb-list.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- files in flight in unix sockets ---- */

/* Sockets whose queue, or a message's files, were longer than read (residue zeroes it). */
__u64 inflight_cut;

#define TCP_LISTEN_STATE 10 /* include/net/tcp_states.h: unix listeners use it too */
#define S_IFMT_BITS 00170000
#define S_IFSOCK_BITS 0140000

/* The socket a file is, or 0 (i_mode: socket files' private_data is their struct socket). */
static __always_inline __u64 file_sock(struct file *f)
{
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT_BITS) != S_IFSOCK_BITS)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	return sock ? (__u64)BPF_CORE_READ(sock, sk) : 0;
}

/*
 * Every unix socket's receive queue, unlocked: a message is read whole or
 * skipped, steps are bounded, and a queue that changes under us is cut
 * (RS_INFLIGHT_F_CUT).  UNIXCB(skb) is struct unix_skb_parms in skb->cb.
 */
SEC("iter/unix")
int dump_inflight(struct rs_iter_unix *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct unix_sock *u = ctx->unix_sk;
	struct rs_inflight r = {};

	if (!u || !bpf_core_type_exists(struct unix_skb_parms))
		return 0;
	struct sock *sk = &u->sk;
	__u64 head = (__u64)sk + bpf_core_field_offset(struct sock, sk_receive_queue);
	__u64 skbp = (__u64)BPF_CORE_READ(sk, sk_receive_queue.next);
	bool listener = BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN_STATE;
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);
	struct file *sf = sock ? BPF_CORE_READ(sock, file) : NULL;

	r.sk = (__u64)sk;
	r.sock_ino = sf ? BPF_CORE_READ(sf, f_inode, i_ino) : 0;
	for (int n = 0; n <= RS_INFLIGHT_SKBS_MAX; n++) {
		if (n == RS_INFLIGHT_SKBS_MAX) {
			if (skbp && skbp != head)
				inflight_cut++; /* more messages than read */
			return 0;
		}
		if (!skbp || skbp == head)
			return 0;
		struct sk_buff *skb = (void *)skbp;
		if (listener) {
			r.kind = RS_INFLIGHT_EMBRYO;
			r.dev = r.ino = 0;
			r.file_sk = (__u64)BPF_CORE_READ(skb, sk);
			bpf_seq_write(seq, &r, sizeof(r));
		} else {
			struct unix_skb_parms *cb =
				(void *)(skbp + bpf_core_field_offset(struct sk_buff, cb));
			struct scm_fp_list *fpl = BPF_CORE_READ(cb, fp);
			int count = fpl ? BPF_CORE_READ(fpl, count) : 0;
			r.kind = RS_INFLIGHT_FILE;
			if (count > RS_INFLIGHT_FDS_MAX) {
				r.flags |= RS_INFLIGHT_F_CUT;
				inflight_cut++;
			}
			for (int i = 0; i < RS_INFLIGHT_FDS_MAX && i < count; i++) {
				struct file *f = NULL;
				bpf_probe_read_kernel(&f, sizeof(f), &fpl->fp[i]);
				if (!f)
					continue;
				r.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
				r.ino = BPF_CORE_READ(f, f_inode, i_ino);
				r.file_sk = file_sock(f);
				bpf_seq_write(seq, &r, sizeof(r));
			}
		}
		__u64 next = (__u64)BPF_CORE_READ(skb, next);
		if (next == skbp)
			return 0; /* unlinked under us */
		skbp = next;
	}
	return 0;
}

/* ---- io_uring fixed files and fsopen contexts, behind anon-inode fds ---- */

#define ANON_INODE_FS_MAGIC 0x09041934

/* The superblocks residue asks about (kernel dev_t), filled before the run. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RS_KHOLDER_DEVS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} want_devs SEC(".maps");

/* What dump_kfiles found, read by residue through mmap (kfiles_n records). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RS_KHOLDER_RECS_MAX);
	__type(key, __u32);
	__type(value, struct rs_kholder);
} kfiles SEC(".maps");

/* Records written (or that would have been: more than kfiles takes is dropped). */
__u32 kfiles_n;
/* Rings whose fixed-file table was longer than read, or changed under the walk (a gap). */
__u64 kfiles_cut;
/* Fixed-file slots read in this run (residue zeroes it), against RS_KHOLDER_SLOTS_TOTAL. */
__u32 kfiles_slots;

/*
 * On older kernels (Debian's 6.1) the fixed files are an array of struct
 * io_fixed_file { unsigned long file_ptr; } with the flags in the low 3 bits
 * (FFS_NOWAIT, FFS_ISREG, FFS_SCM), and the ring counts them in
 * nr_user_files.  On newer ones (6.18 here) file_table.data is an
 * io_rsrc_data of nodes, each a file_ptr with 2 flag bits.
 */
struct io_file_table___old {
	void *files;
} __attribute__((preserve_access_index));

struct io_ring_ctx___old {
	unsigned int nr_user_files;
	struct io_file_table___old file_table;
} __attribute__((preserve_access_index));

/* The ring being read: state of the bpf_loop over its slots (one program runs at a time). */
struct rs_ring_walk rw;

static __noinline int note(__u64 dev, __u64 ino, __u32 index, __u32 kind, __u64 ovl_dev)
{
	__u32 i = kfiles_n;
	struct rs_kholder *v = bpf_map_lookup_elem(&kfiles, &i);

	kfiles_n = i + 1;
	if (!v)
		return 0;
	v->dev = dev;
	v->ino = ino;
	v->pid = rw.pid;
	v->fd = rw.fd;
	v->index = index;
	v->kind = kind;
	v->ovl_dev = ovl_dev;
	return 0;
}

static int slot_step(__u32 i, void *data)
{
	__u64 slot = rw.table + (__u64)i * sizeof(__u64);
	__u64 ptr = 0;

	(void)data;
	if (bpf_probe_read_kernel(&ptr, sizeof(ptr), (void *)slot) < 0) {
		kfiles_cut++;
		return 1;
	}
	if (!ptr)
		return 0;
	/* A constant after relocation, not a value in .bss: 6.1's verifier drops the dead branch. */
	if (bpf_core_field_exists(struct io_rsrc_node, file_ptr)) {
		struct io_rsrc_node *node = (void *)ptr;
		ptr = BPF_CORE_READ(node, file_ptr) & ~3ULL;
	} else {
		ptr &= ~7ULL;
	}
	if (!ptr)
		return 0;
	struct file *f = (void *)ptr;
	__u32 dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	if (!bpf_map_lookup_elem(&want_devs, &dev))
		return 0;
	note(dev, BPF_CORE_READ(f, f_inode, i_ino), i, RS_KHOLDER_IO_URING, 0);
	return 0;
}

/* The fixed files of the ring @ctxp, unlocked: a slot that cannot be read stops the walk. */
static __noinline int walk_ring(__u64 ctxp)
{
	struct io_ring_ctx *ctx = (void *)ctxp;

	if (!ctx)
		return 0;
	if (bpf_core_field_exists(struct io_file_table, data) &&
	    bpf_core_field_exists(struct io_rsrc_node, file_ptr)) {
		rw.nr = BPF_CORE_READ(ctx, file_table.data.nr);
		rw.table = (__u64)BPF_CORE_READ(ctx, file_table.data.nodes);
	} else if (bpf_core_field_exists(struct io_ring_ctx___old, nr_user_files)) {
		struct io_ring_ctx___old *old = (void *)ctx;
		rw.nr = BPF_CORE_READ(old, nr_user_files);
		rw.table = (__u64)BPF_CORE_READ(old, file_table.files);
	} else {
		kfiles_cut++; /* a layout this program does not know */
		return 0;
	}
	if (!rw.table || !rw.nr)
		return 0;
	if (rw.nr > RS_KHOLDER_SLOTS_MAX) {
		kfiles_cut++;
		rw.nr = RS_KHOLDER_SLOTS_MAX;
	}
	if (rw.nr > RS_KHOLDER_SLOTS_TOTAL - kfiles_slots) {
		kfiles_cut++;
		rw.nr = RS_KHOLDER_SLOTS_TOTAL - kfiles_slots;
	}
	kfiles_slots += rw.nr;
	bpf_loop(rw.nr, slot_step, NULL, 0);
	return 0;
}

/* The superblock an fsopen() context holds (fs_context.root, set by FSCONFIG_CMD_CREATE). */
static __noinline int check_context(__u64 fcp)
{
	struct fs_context *fc = (void *)fcp;
	struct dentry *root = fc ? BPF_CORE_READ(fc, root) : NULL;

	if (!root)
		return 0;
	__u32 dev = BPF_CORE_READ(root, d_sb, s_dev);
	if (bpf_map_lookup_elem(&want_devs, &dev))
		note(dev, 0, 0, RS_KHOLDER_FSCONTEXT, 0);
	return 0;
}

/* Eight bytes of a name, as a little-endian load of them gives them. */
#define LE8(a, b, c, d, e, f, g, h)                                                                \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 |   \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)

/*
 * The files anon_inode_getfile() names "[io_uring]" and "[fscontext]" (as
 * /proc shows them: anon_inode:[io_uring]): there are no data symbols to
 * compare f_op with.
 */
SEC("iter/task_file")
int dump_kfiles(struct rs_iter_task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	char name[12] = {};

	if (!task || !file)
		return 0;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	if (!inode || BPF_CORE_READ(inode, i_sb, s_magic) != ANON_INODE_FS_MAGIC)
		return 0;
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	__u32 len = BPF_CORE_READ(d, d_name.len);
	if (len != 10 && len != 11)
		return 0;
	bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	rw.pid = BPF_CORE_READ(task, tgid);
	rw.fd = (__s32)ctx->fd;
	__u64 priv = (__u64)BPF_CORE_READ(file, private_data);
	__u64 head = 0;
	__u32 tail = 0;
	__builtin_memcpy(&head, name, sizeof(head));
	__builtin_memcpy(&tail, name + 8, sizeof(tail));
	/* Only the name's own bytes: after its NUL, an inline name's buffer holds old bytes. */
	if (len == 10 && head == LE8('[', 'i', 'o', '_', 'u', 'r', 'i', 'n') &&
	    (tail & 0xffff) == (']' << 8 | 'g'))
		return walk_ring(priv);
	if (len == 11 && head == LE8('[', 'f', 's', 'c', 'o', 'n', 't', 'e') &&
	    (tail & 0xffffff) == (']' << 16 | 't' << 8 | 'x'))
		return check_context(priv);
	return 0;
}

/* ---- overlays whose layer is a wanted superblock ---- */

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define OVL_WALK_STEPS (1 << 23) /* bpf_loop's own limit */

/* Set by residue before walk_overlays runs: the fd (a memfd of ours) the walk starts from. */
__s32 ovl_anchor_fd = -1;
struct rs_ovl_walk ow;

/* The next step: one layer of the overlay at ow.sb, or the next superblock on s_list. */
static int ovl_step(__u32 step, void *ctx)
{
	(void)step;
	(void)ctx;
	if (ow.i < ow.n) {
		struct ovl_layer *layer = (void *)(ow.layers + (__u64)ow.i * ow.stride);
		struct rs_vfsmount *mnt = (void *)BPF_CORE_READ(layer, mnt);
		struct super_block *sb = NULL;
		if (mnt)
			bpf_probe_read_kernel(&sb, sizeof(sb), &mnt->mnt_sb);
		__u32 dev = sb ? BPF_CORE_READ(sb, s_dev) : 0;
		if (dev && bpf_map_lookup_elem(&want_devs, &dev))
			note(dev, 0, ow.i, RS_KHOLDER_OVERLAY, ow.ovl_dev);
		ow.i++;
		return 0;
	}
	struct super_block *sb = (void *)ow.sb;
	__u64 next = (__u64)BPF_CORE_READ(sb, s_list.next);
	if (next)
		next -= bpf_core_field_offset(struct super_block, s_list);
	if (next == ow.start) {
		ow.done = 1;
		return 1;
	}
	if (!next || next == ow.sb) {
		ow.rejected++;
		ow.done = 2;
		return 1;
	}
	ow.sb = next;
	ow.sbs++;
	ow.n = ow.i = 0;
	if (!sb_is_listed(next))
		return 0; /* the list head super_blocks, or one being torn down */
	struct super_block *nsb = (void *)next;
	if (BPF_CORE_READ(nsb, s_magic) != OVERLAYFS_SUPER_MAGIC ||
	    !bpf_core_type_exists(struct ovl_fs))
		return 0;
	struct ovl_fs *ofs = BPF_CORE_READ(nsb, s_fs_info);
	if (!ofs)
		return 0;
	__u32 n = BPF_CORE_READ(ofs, numlayer);
	ow.n = n < RS_OVL_LAYERS_MAX ? n : RS_OVL_LAYERS_MAX;
	ow.layers = (__u64)BPF_CORE_READ(ofs, layers);
	ow.stride = bpf_core_type_size(struct ovl_layer); /* 40 bytes on 6.18, 32 on 6.1 */
	ow.ovl_dev = BPF_CORE_READ(nsb, s_dev);
	if (!ow.layers)
		ow.n = 0;
	return 0;
}

/*
 * Every overlay on the superblock list, from the superblock of our fd
 * ovl_anchor_fd (no data symbols to find super_blocks by), and each of its
 * layers' mounts: unlocked, every list step checked and bounded, as in
 * refs.bpf.c's walk.  Overlay is a module on some kernels: without its BTF
 * (not loaded) no superblock can be one.
 */
SEC("iter/task_file")
int walk_overlays(struct rs_iter_task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;

	if (!file || !task || (__s32)ctx->fd != ovl_anchor_fd || ow.start)
		return 0; /* show() can run twice for one element */
	if (task->tgid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	rw.pid = 0;
	rw.fd = -1;
	ow.start = ow.sb = (__u64)file->f_inode->i_sb;
	bpf_loop(OVL_WALK_STEPS, ovl_step, NULL, 0);
	return 0;
}
