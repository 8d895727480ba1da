// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Every reference every process holds to a file, in three BPF iterator
 * passes (iter/task, iter/task_file, iter/task_vma) instead of one statx
 * per reference through /proc.  CO-RE only: field offsets come from the
 * running kernel's BTF, fields that moved between kernels are probed with
 * bpf_core_field_exists().  Each record is a struct rs_ref (refs.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "iter-ctx.bpf.h"
#include "kread.bpf.h"
#include "refs.h"
#include "sb-list.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define MNT_NS_INTERNAL ((void *)-22L) /* ERR_PTR(-EINVAL), fs/mount.h */
#define SB_MOUNTS_MAX 256
#define PF_KTHREAD 0x00200000 /* include/linux/sched.h: a kernel thread */

/*
 * A mount namespace's struct ns_common (its inum; its ns_id since 6.18), read
 * without naming struct mnt_namespace in a CO-RE relocation.  That name
 * shares a slot of the kernel's CO-RE candidate cache with super_block
 * (iter-ctx.bpf.h), and this file's reads alternate between the two: eight
 * scans of vmlinux's whole BTF, a third of the skeleton's load time, on
 * every load.  struct mnt_namespace begins with its ns_common (so on 6.1 and
 * 6.18, as on every kernel checked), and user_namespace, whose name has a
 * slot of its own, embeds the same
 * struct: its offsets of ns.inum and ns.ns_id, less that of ns, are the
 * ns_common's.  residue checks this on every scan: its own task's record
 * carries its namespace's inum read this way, which must be the inode of
 * /proc/self/ns/mnt (refs-decode.c), or the BPF tier is not used.
 */
static __always_inline struct user_namespace *mnt_ns_common(const void *mnt_ns)
{
	return KCAST(struct user_namespace,
		     (__u64)mnt_ns - bpf_core_field_offset(struct user_namespace, ns));
}

static __always_inline bool have_ns_id(void)
{
	return bpf_core_field_exists(struct user_namespace, ns.ns_id);
}

static __always_inline __u32 mnt_ns_inum(const void *mnt_ns)
{
	return KREAD(mnt_ns_common(mnt_ns), ns.inum);
}

/*
 * Its id where the kernel gives namespaces one (6.18); before, its inum,
 * which userspace matches namespaces by (RS_SB_F_OLD_NS_ID).
 */
static __always_inline __u64 mnt_ns_id(const void *mnt_ns)
{
	if (have_ns_id())
		return KREAD(mnt_ns_common(mnt_ns), ns.ns_id);
	return mnt_ns_inum(mnt_ns);
}

/* is_anon_ns(), fs/mount.h: 6.18 gives an anonymous namespace no id, 6.17 and older no inum. */
static __always_inline bool ns_is_anon(const void *mnt_ns)
{
	return mnt_ns_id(mnt_ns) == 0;
}

static __always_inline __u8 mount_state(struct mount *m)
{
	const void *ns = KREAD(m, mnt_ns);

	if (!ns)
		return KREAD(m, mnt.mnt_flags) & MNT_UMOUNT ? RS_MNT_ORPHANED : RS_MNT_INTERNAL;
	if (ns == MNT_NS_INTERNAL)
		return RS_MNT_INTERNAL;
	return ns_is_anon(ns) ? RS_MNT_DETACHED : RS_MNT_ATTACHED;
}

struct sb_walk {
	__u64 m; /* the struct mount to look at next */
	int result;
};

static int sb_walk_step(__u32 i, void *data)
{
	struct sb_walk *w = data;
	struct mount *m = KCAST(struct mount, w->m);

	(void)i;
	if (!m) {
		w->result = RS_SB_GONE;
		return 1;
	}
	if (mount_state(m) == RS_MNT_ATTACHED) {
		w->result = RS_SB_LIVE;
		return 1;
	}
	w->m = (__u64)KREAD(m, mnt_next_for_sb);
	return 0;
}

/*
 * Is some mount of this superblock in a real namespace?  6.18 chains a
 * superblock's mounts through mount.mnt_next_for_sb; older kernels use a
 * list_head, which this does not walk (RS_SB_UNKNOWN: userspace checks with
 * statmount).  bpf_loop(), so the verifier checks one step, not 256.
 */
__noinline int sb_has_live_mount(__u64 sbp)
{
	struct super_block *sb = KCAST(struct super_block, sbp);
	struct sb_walk w = { .result = RS_SB_UNKNOWN };

	if (!bpf_core_field_exists(struct mount, mnt_next_for_sb))
		return RS_SB_UNKNOWN;
	w.m = (__u64)KREAD(sb, s_mounts);
	bpf_loop(SB_MOUNTS_MAX, sb_walk_step, &w, 0);
	return w.result;
}

/*
 * The last mount looked at on this CPU, by each program (MEMO_TASK,
 * MEMO_FILE, MEMO_VMA: residue runs them side by side, and one preempted on a
 * CPU must not find the other's half-written memo).  References come in runs
 * on one mount (a process's sockets, a container's files), and a unique mount
 * id is never reused, so a hit saves the walk from vfsmount to its namespace.
 */
enum {
	MEMO_TASK,
	MEMO_FILE,
	MEMO_VMA,
	MEMO_SLOTS
};

struct mnt_memo {
	__u64 vfsp; /* the vfsmount: a hit costs no read of the struct mount at all */
	__u64 mnt_id;
	__u64 run; /* the run it was made in: a mount's state changes between runs */
	__u8 state;
	__u8 sb_live;
	__u8 unique_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MEMO_SLOTS);
	__type(key, __u32);
	__type(value, struct mnt_memo);
} memo SEC(".maps");

/*
 * Globals that programs running side by side on two CPUs touch each sit on
 * cache lines of their own (RS_CACHELINE): the superblock walk writes its
 * state (sw) at every step while dump_file reads run and counts, and sharing
 * a line made every such access a miss on the other CPU.
 */
#define RS_CACHELINE __attribute__((aligned(64)))

/* Bumped by residue before each run of a skeleton it keeps loaded (residue serve). */
__u64 run RS_CACHELINE;
/*
 * References looked at in this run, by each program (MEMO_*; residue zeroes
 * and sums them): most are never written out.
 */
struct rs_refs_seen refs_seen[MEMO_SLOTS] RS_CACHELINE;

#define NSFS_MAGIC 0x6e736673
#define SOCKFS_MAGIC 0x534F434B
#define PIPEFS_MAGIC 0x50495045
#define ANON_INODE_FS_MAGIC 0x09041934

/*
 * Mount id, state and superblock liveness of the struct mount around a
 * vfsmount (its offset comes from BTF).  A global function: the verifier
 * checks it once, not once per call site with every caller's state, which
 * made loading four times slower when it was inlined.  It takes the
 * vfsmount as a number and reads the mount through KCAST (kread.bpf.h);
 * the memo makes most of them one read of the unique id.
 */
__noinline int fill_mount(struct rs_ref *r, __u64 vfsp, __u32 slot)
{
	struct mount *m = KCAST(struct mount, vfsp - bpf_core_field_offset(struct mount, mnt));
	struct mnt_memo *c = bpf_map_lookup_elem(&memo, &slot);
	__u8 unique = bpf_core_field_exists(m->mnt_id_unique);
	__u64 id;

	if (!r)
		return 0;
	/* A mount cannot be freed while a file on it is held: within a run its address is it. */
	if (c && unique && c->vfsp == vfsp && c->run == run) {
		r->mnt_id = c->mnt_id;
		r->unique_id = unique;
		r->mnt_state = c->state;
		r->sb_live = c->sb_live;
		return 0;
	}
	id = unique ? KREAD(m, mnt_id_unique) : (__u64)KREAD(m, mnt_id);
	r->mnt_id = id;
	r->unique_id = unique;
	if (c && unique && c->mnt_id == id && c->run == run) {
		r->mnt_state = c->state;
		r->sb_live = c->sb_live;
		return 0;
	}
	r->mnt_state = mount_state(m);
	r->sb_live = RS_SB_UNKNOWN;
	if (r->mnt_state == RS_MNT_ORPHANED || r->mnt_state == RS_MNT_DETACHED) {
		__u64 sbp = 0; /* a number for the global function: read, not loaded as a pointer */
		bpf_core_read(&sbp, sizeof(sbp), &m->mnt.mnt_sb);
		r->sb_live = (__u8)sb_has_live_mount(sbp);
	}
	if (c) {
		c->vfsp = vfsp;
		c->mnt_id = id;
		c->run = run;
		c->state = r->mnt_state;
		c->sb_live = r->sb_live;
	}
	return 0;
}

/* Typed pointers all the way: direct loads, no helper calls. */
static __always_inline void emit_ref(struct seq_file *seq, struct rs_ref *r, struct vfsmount *vfs,
				     struct dentry *d, struct inode *inode, __u8 kind, __u32 slot)
{
	if (!vfs || !inode)
		return;
	/* Sockets, pipes and anon inodes (half the fds of a busy host) live on kernel mounts. */
	unsigned long magic = inode->i_sb->s_magic;
	if (slot < MEMO_SLOTS)
		refs_seen[slot].n++;
	if (magic == SOCKFS_MAGIC || magic == PIPEFS_MAGIC || magic == ANON_INODE_FS_MAGIC)
		return;
	r->kind = kind;
	r->sb_magic = (__u32)magic;
	r->mount_root = ((struct rs_vfsmount *)vfs)->mnt_root == d;
	r->dev = inode->i_sb->s_dev;
	r->ino = inode->i_ino;
	r->mode = inode->i_mode;
	__u64 vfsp = 0;
	bpf_core_read(&vfsp, sizeof(vfsp), &vfs); /* a number, for the global function */
	fill_mount(r, vfsp, slot);
	/*
	 * Only what can keep a filesystem alive outside every namespace goes to
	 * residue: references on mounts in no namespace or an anonymous one, and
	 * nsfs files (which keep a namespace).  A host's tens of thousands of files
	 * on attached mounts, pipes and sockets stay in the kernel.
	 */
	if (r->mnt_state == RS_MNT_ATTACHED ||
	    (r->mnt_state == RS_MNT_INTERNAL && magic != NSFS_MAGIC))
		return;
	bpf_seq_write(seq, r, sizeof(*r));
}

static __always_inline void emit_file(struct seq_file *seq, struct rs_ref *r, struct file *f,
				      __u8 kind, __u32 slot)
{
	emit_ref(seq, r, f->f_path.mnt, f->f_path.dentry, f->f_inode, kind, slot);
}

/*
 * One reference of a task (its cwd, root or exe: the struct path at @pathp),
 * through probe reads, in a global function that the verifier checks once.
 * dump_task loads nothing through typed task pointers: for each pointer
 * loaded from a trusted one the verifier asks whether the field is trusted,
 * four linear searches of the kernel's whole BTF by name, and dump_task had
 * enough of them to take 20 of the skeleton's 35 ms of load here (3 ms
 * now).  A task has four of these references at most.  Returns 1 when @r
 * is to be written.
 */
__noinline int task_ref(struct rs_ref *r, __u64 pathp, __u8 kind)
{
	struct path *p = KCAST(struct path, pathp);
	__u64 vfsp = 0;
	bpf_core_read(&vfsp, sizeof(vfsp), &p->mnt); /* a number, for the global function */
	struct dentry *d = KREAD(p, dentry);
	struct inode *inode = d ? KREAD(d, d_inode) : NULL;

	if (!r || !vfsp || !inode)
		return 0;
	struct super_block *sb = KREAD(inode, i_sb);
	unsigned long magic = KREAD(sb, s_magic);
	refs_seen[MEMO_TASK].n++;
	if (magic == SOCKFS_MAGIC || magic == PIPEFS_MAGIC || magic == ANON_INODE_FS_MAGIC)
		return 0;
	r->kind = kind;
	r->sb_magic = (__u32)magic;
	struct mount *m = KCAST(struct mount, vfsp - bpf_core_field_offset(struct mount, mnt));
	r->mount_root = KREAD(m, mnt.mnt_root) == d;
	r->dev = KREAD(sb, s_dev);
	r->ino = KREAD(inode, i_ino);
	r->mode = KREAD(inode, i_mode);
	fill_mount(r, vfsp, MEMO_TASK);
	/* As emit_ref: only what can keep a filesystem alive outside every namespace. */
	return r->mnt_state != RS_MNT_ATTACHED &&
	       (r->mnt_state != RS_MNT_INTERNAL || magic == NSFS_MAGIC);
}

static __always_inline void emit_task_ref(struct seq_file *seq, struct rs_ref *r, __u64 pathp,
					  __u8 kind)
{
	if (task_ref(r, pathp, kind))
		bpf_seq_write(seq, r, sizeof(*r));
}

#define FS_PATH(fs, field) ((__u64)(fs) + bpf_core_field_offset(struct fs_struct, field))

SEC("iter/task")
int dump_task(struct rs_iter_task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct rs_ref r = {};

	if (!task)
		return 0;
	r.pid = task->tgid;
	r.tid = task->pid;
	r.fd = -1;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);

	if (r.pid != r.tid) {
		/*
		 * A thread matters only when it has a cwd of its own (unshare(CLONE_FS)),
		 * or a mount namespace of its own (then also CLONE_NEWNS): it is a member
		 * of that namespace, which no process's ns/mnt names.
		 */
		struct task_struct *leader = BPF_CORE_READ(task, group_leader);
		if (fs && leader && fs != BPF_CORE_READ(leader, fs))
			emit_task_ref(seq, &r, FS_PATH(fs, pwd), RS_REF_CWD);
		struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
		struct nsproxy *lnsp = leader ? BPF_CORE_READ(leader, nsproxy) : NULL;
		struct mnt_namespace *mnt_ns = nsp ? BPF_CORE_READ(nsp, mnt_ns) : NULL;
		if (mnt_ns && (!lnsp || BPF_CORE_READ(lnsp, mnt_ns) != mnt_ns)) {
			struct rs_ref t = { .pid = r.pid, .tid = r.tid, .fd = -1 };
			t.kind = RS_REF_THREAD_NS;
			t.addr = mnt_ns_inum(mnt_ns);
			bpf_seq_write(seq, &t, sizeof(t));
		}
		return 0;
	}

	r.kind = RS_REF_TASK;
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
	if (nsp) {
		struct mnt_namespace *mnt_ns = BPF_CORE_READ(nsp, mnt_ns);
		if (mnt_ns)
			r.addr = mnt_ns_inum(mnt_ns);
	}
	if (r.pid == bpf_get_current_pid_tgid() >> 32)
		r.flags = RS_REF_F_SELF;
	if (task->flags & PF_KTHREAD)
		r.flags |= RS_REF_F_KTHREAD;
	bpf_seq_write(seq, &r, sizeof(r));
	__builtin_memset(r.comm, 0, sizeof(r.comm));
	r.addr = 0;
	r.flags = 0;

	if (fs) {
		emit_task_ref(seq, &r, FS_PATH(fs, pwd), RS_REF_CWD);
		emit_task_ref(seq, &r, FS_PATH(fs, root), RS_REF_ROOT);
	}
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (mm) {
		struct file *exe = BPF_CORE_READ(mm, exe_file);
		if (exe)
			emit_task_ref(seq, &r,
				      (__u64)exe + bpf_core_field_offset(struct file, f_path),
				      RS_REF_EXE);
	}
	r.tid = r.pid;
	return 0;
}

SEC("iter/task_file")
int dump_file(struct rs_iter_task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct rs_ref r = {};

	if (!task || !file)
		return 0;
	r.pid = task->tgid;
	r.tid = r.pid;
	r.fd = (__s32)ctx->fd;
	r.flags = file->f_flags;
	emit_file(seq, &r, file, RS_REF_FD, MEMO_FILE);
	return 0;
}

SEC("iter/task_vma")
int dump_vma(struct rs_iter_task_vma *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct rs_ref r = {};

	if (!task || !vma)
		return 0;
	struct file *file = vma->vm_file;
	if (!file)
		return 0;
	r.pid = task->tgid;
	r.tid = r.pid;
	r.fd = -1;
	r.addr = vma->vm_start;
	r.flags = (__u32)vma->vm_flags;
	emit_file(seq, &r, file, RS_REF_MMAP, MEMO_VMA);
	return 0;
}

/* ---- every superblock: where is it mounted? ---- */

/*
 * Kernels before 6.18 link a superblock's mounts through a list_head
 * (s_mounts, mount.mnt_instance); 6.18 chains struct mount pointers
 * (s_mounts, mnt_next_for_sb).  Only the fields' offsets are read.
 */
struct super_block___old {
	struct list_head s_mounts;
} __attribute__((preserve_access_index));

struct mount___old {
	struct list_head mnt_instance;
} __attribute__((preserve_access_index));

#define SB_KERNMOUNT_FLAG (1U << 22) /* SB_KERNMOUNT, include/linux/fs.h */
#define SB_ACTIVE_FLAG (1U << 30) /* SB_ACTIVE */
#define SB_BORN_FLAG (1U << 29) /* SB_BORN: set up completely */
/* 6.6+ (unused bits before): generic_shutdown_super() is over, kill_sb() is over. */
#define SB_DYING_FLAG (1U << 24)
#define SB_DEAD_FLAG (1U << 21)
#define SB_WALK_MOUNTS_MAX 4096 /* per superblock: a longer list is cut (RS_SB_F_MOUNTS_CUT) */
#define SB_WALK_INODES_MAX (1 << 20)
#define SB_WALK_LOOP_MAX (1 << 23) /* bpf_loop's own limit */
#define SB_WALK_LOOP_CALLS 4

enum {
	SW_MOUNT,
	SW_INODE,
	SW_EMIT,
	SW_NEXT,
	SW_DONE,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RS_SBS_MAX);
	__type(key, __u32);
	__type(value, struct rs_sb);
} sbs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RS_NSBINDS_MAX);
	__type(key, __u32);
	__type(value, struct rs_nsbind);
} nsbinds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RS_SB_NAMES_MAX);
	__type(key, __u32);
	__type(value, struct rs_sb_name);
} sbnames SEC(".maps");

/* Set by residue before walk_sbs runs: the fd (a memfd of ours) whose superblock it starts from. */
__s32 sb_walk_fd = -1;
struct rs_sb_walk sw RS_CACHELINE;

static __always_inline bool mounts_chained(void)
{
	return bpf_core_field_exists(struct mount, mnt_next_for_sb);
}

/* The names of a superblock with no root (struct rs_sb_name), for the mount that named it is gone. */
__noinline int note_sb_name(void)
{
	struct super_block *sb = KCAST(struct super_block, sw.sb);
	__u32 i = sw.names++;
	struct rs_sb_name *n = bpf_map_lookup_elem(&sbnames, &i);

	if (!n)
		return 0; /* counted: more than the map takes */
	n->dev = KREAD(sb, s_dev);
	/* PREEMPT_RT's rw_semaphore has no count: an offset it lacks would refuse the program. */
	if (bpf_core_field_exists(struct rw_semaphore, count))
		n->umount_count = KREAD(sb, s_umount.count.counter);
	else
		n->umount_count = 0;
	/*
	 * struct file_system_type has begun with its name since Linux 2.4: read
	 * without a relocation, whose type name shares a CO-RE cache slot with
	 * memcg.bpf.c's kernfs_node (iter-ctx.bpf.h).
	 */
	const void *type = KREAD(sb, s_type);
	const char *name = NULL;
	bpf_probe_read_kernel(&name, sizeof(name), type);
	bpf_probe_read_kernel_str(n->fstype, sizeof(n->fstype), name);
	bpf_probe_read_kernel_str(n->s_id, sizeof(n->s_id), &sb->s_id);
	return 0;
}

/* Start a record for the superblock at sw.sb and the walk of its mounts. */
__noinline int sb_begin(void)
{
	struct super_block *sb = KCAST(struct super_block, sw.sb);

	__builtin_memset(&sw.rec, 0, sizeof(sw.rec));
	sw.rec.dev = KREAD(sb, s_dev);
	sw.rec.magic = KREAD(sb, s_magic);
	sw.rec.s_flags = (__u32)KREAD(sb, s_flags);
	sw.rec.s_active = (__u32)KREAD(sb, s_active.counter);
	if (!KREAD(sb, s_root)) {
		sw.rec.flags |= RS_SB_F_NO_ROOT;
		note_sb_name();
	}
	if (!have_ns_id())
		sw.rec.flags |= RS_SB_F_OLD_NS_ID;
	if (mounts_chained()) {
		sw.pos = (__u64)KREAD(sb, s_mounts);
		sw.head = 0;
	} else {
		struct super_block___old *old = KCAST(struct super_block___old, sw.sb);
		sw.head = sw.sb + bpf_core_field_offset(struct super_block___old, s_mounts);
		sw.pos = (__u64)KREAD(old, s_mounts.next);
	}
	sw.phase = SW_MOUNT;
	return 0;
}

/* Remember the namespace of an attached mount, once. */
_Static_assert(RS_SB_NS_MAX == 3, "note_ns() has one case per slot");

static __noinline int note_ns(__u64 nsp)
{
	const void *ns = (const void *)nsp;
	__u64 id = mnt_ns_id(ns);
	__u16 n = sw.rec.n_ns;

	for (int i = 0; i < RS_SB_NS_MAX; i++)
		if (i < n && sw.rec.ns_ids[i] == id)
			return 0;
	/*
	 * Constant indices: 6.1's verifier lost the bounds of a variable one
	 * after the loop above (umin 3 > umax 2 on a path it did not prune)
	 * and refused the whole program, and with it the BPF tier there.
	 */
	__u32 ino = mnt_ns_inum(ns);
	switch (n) {
	case 0:
		sw.rec.ns_ids[0] = id;
		sw.rec.ns_inos[0] = ino;
		break;
	case 1:
		sw.rec.ns_ids[1] = id;
		sw.rec.ns_inos[1] = ino;
		break;
	case 2:
		sw.rec.ns_ids[2] = id;
		sw.rec.ns_inos[2] = ino;
		break;
	default:
		sw.rec.flags |= RS_SB_F_NS_MORE;
		return 0;
	}
	sw.rec.n_ns = n + 1;
	return 0;
}

/*
 * Born, then shut down (no root, no active reference, no mount) and not past
 * generic_shutdown_super(): a teardown under way, or one that died in a
 * kernel BUG (analyze/dead-sbs.c).  Its inodes are the busy ones.
 */
static __always_inline bool maybe_dead(void)
{
	__u32 f = sw.rec.s_flags;

	return (sw.rec.flags & RS_SB_F_NO_ROOT) && sw.rec.s_active == 0 && sw.rec.mounts == 0 &&
	       (f & SB_BORN_FLAG) && !(f & (SB_DYING_FLAG | SB_DEAD_FLAG));
}

/* After the mounts: is it a candidate orphan (or dead), whose inodes are worth summing? */
static __always_inline void mounts_done(void)
{
	struct super_block *sb = KCAST(struct super_block, sw.sb);
	__u32 f = sw.rec.s_flags;

	sw.phase = SW_EMIT;
	if (!maybe_dead() &&
	    (sw.rec.attached || sw.rec.anon || (sw.rec.flags & RS_SB_F_MOUNTS_CUT) ||
	     (f & SB_KERNMOUNT_FLAG) || !(f & SB_ACTIVE_FLAG)))
		return;
	sw.head = sw.sb + bpf_core_field_offset(struct super_block, s_inodes);
	sw.pos = (__u64)KREAD(sb, s_inodes.next);
	sw.rec.flags |= RS_SB_F_PAGES;
	sw.phase = SW_INODE;
}

/* A bind mount of an nsfs file, attached in a namespace: what it keeps, and where. */
__noinline int note_nsbind(__u64 mp)
{
	struct mount *m = KCAST(struct mount, mp);
	const void *ns = KREAD(m, mnt_ns);
	__u32 i = sw.nsbinds++;
	struct rs_nsbind *b = bpf_map_lookup_elem(&nsbinds, &i);

	if (!b)
		return 0; /* counted: more binds than the map takes */
	b->mnt_id = bpf_core_field_exists(m->mnt_id_unique) ? KREAD(m, mnt_id_unique) :
							      (__u64)KREAD(m, mnt_id);
	b->ns_id = mnt_ns_id(ns);
	b->ns_ino = mnt_ns_inum(ns);
	struct dentry *root = KREAD(m, mnt.mnt_root);
	struct inode *target = KREAD(root, d_inode);
	b->target_ino = KREAD(target, i_ino);
	return 0;
}

/*
 * A kernel address (x86_64: the top half), not NULL nor a list poison value
 * (LIST_POISON2 is 0x122 plus 0xdead000000000000 on Debian's kernels): a
 * mount's mnt_umount.pprev is one while umount_tree() has it on its list.
 */
static __always_inline bool is_kernel_ptr(__u64 p)
{
	return (p >> 48) == 0xffff;
}

__noinline int mount_step(void)
{
	__u64 pos = sw.pos, mp, next;
	struct mount *m;

	if (!pos || (!mounts_chained() && pos == sw.head)) {
		mounts_done();
		return 0;
	}
	if (mounts_chained()) {
		mp = pos;
		m = KCAST(struct mount, mp);
		next = (__u64)KREAD(m, mnt_next_for_sb);
	} else {
		mp = pos - bpf_core_field_offset(struct mount___old, mnt_instance);
		struct mount___old *old = KCAST(struct mount___old, mp);
		m = KCAST(struct mount, mp);
		next = (__u64)KREAD(old, mnt_instance.next);
	}
	if ((__u64)KREAD(m, mnt.mnt_sb) != sw.sb || next == pos ||
	    sw.rec.mounts >= SB_WALK_MOUNTS_MAX) {
		sw.rejected += sw.rec.mounts < SB_WALK_MOUNTS_MAX;
		sw.rec.flags |= RS_SB_F_MOUNTS_CUT;
		mounts_done();
		return 0;
	}
	if (sw.rec.mounts++ == 0)
		sw.rec.mnt_id = bpf_core_field_exists(m->mnt_id_unique) ? KREAD(m, mnt_id_unique) :
									  (__u64)KREAD(m, mnt_id);
	__u8 state = mount_state(m);
	/* A mount in a namespace holds a reference: only the others can be DOOMED. */
	if (state != RS_MNT_ATTACHED && ((KREAD(m, mnt.mnt_flags) & MNT_DOOMED) ||
					 (state == RS_MNT_ORPHANED && !KREAD(m, mnt_mp) &&
					  is_kernel_ptr((__u64)KREAD(m, mnt_umount.pprev)))))
		sw.rec.dying++;
	switch (state) {
	case RS_MNT_ATTACHED:
		sw.rec.attached++;
		note_ns((__u64)KREAD(m, mnt_ns));
		if (sw.rec.magic == NSFS_MAGIC) {
			note_nsbind(mp); /* a number: a global function takes no pointer */
		} else if (sw.rec.flags & RS_SB_F_NS_MORE) {
			/*
			 * Mounted in more namespaces than a record holds: it is live,
			 * and its other mounts would change nothing the record says.
			 * The host's root, bound into every container, has thousands:
			 * at 1 000 namespaces this halves the walk.  nsfs is walked to
			 * the end, for every bind of a namespace file.
			 */
			mounts_done();
			return 0;
		}
		break;
	case RS_MNT_DETACHED:
		sw.rec.anon++;
		break;
	case RS_MNT_ORPHANED:
		sw.rec.orphaned++;
		break;
	default:
		sw.rec.internal++;
		break;
	}
	sw.pos = next;
	return 0;
}

__noinline int inode_step(void)
{
	__u64 pos = sw.pos;

	if (!pos || pos == sw.head) {
		sw.phase = SW_EMIT;
		return 0;
	}
	struct inode *inode =
		KCAST(struct inode, pos - bpf_core_field_offset(struct inode, i_sb_list));
	__u64 next = (__u64)KREAD(inode, i_sb_list.next);
	if ((__u64)KREAD(inode, i_sb) != sw.sb || next == pos ||
	    sw.rec.inodes >= SB_WALK_INODES_MAX) {
		sw.rejected++;
		sw.rec.flags &= ~RS_SB_F_PAGES; /* a partial sum would understate it */
		sw.phase = SW_EMIT;
		return 0;
	}
	sw.rec.inodes++;
	sw.rec.nrpages += KREAD(inode, i_data.nrpages);
	sw.pos = next;
	return 0;
}

__noinline int emit_sb(void)
{
	__u32 i = sw.n;
	struct rs_sb *v = bpf_map_lookup_elem(&sbs, &i);

	if (v)
		*v = sw.rec;
	else
		sw.dropped++;
	sw.n++;
	sw.sbs++;
	sw.phase = SW_NEXT;
	return 0;
}

static int sbs_step(__u32 i, void *ctx)
{
	(void)i;
	(void)ctx;
	sw.steps++;
	switch (sw.phase) {
	case SW_MOUNT:
		mount_step();
		return 0;
	case SW_INODE:
		inode_step();
		return 0;
	case SW_EMIT:
		emit_sb();
		return 0;
	case SW_NEXT: {
		struct super_block *sb = KCAST(struct super_block, sw.sb);
		__u64 next = (__u64)KREAD(sb, s_list.next);
		if (next)
			next -= bpf_core_field_offset(struct super_block, s_list);
		if (next == sw.start) {
			sw.done = 1;
			sw.phase = SW_DONE;
			return 1;
		}
		if (!next || next == sw.sb) {
			sw.rejected++;
			sw.done = 2;
			sw.phase = SW_DONE;
			return 1;
		}
		sw.sb = next;
		if (!sb_is_listed(next)) {
			sw.unlisted++; /* the list head super_blocks, or one being torn down */
			return 0;
		}
		sb_begin();
		return 0;
	}
	default:
		return 1;
	}
}

/*
 * Every superblock, from the one of our fd sb_walk_fd along s_list (there are
 * no data symbols to find super_blocks by).  Nothing is locked: list steps are
 * checked against back-pointers and bounded; a record is whole or not written.
 */
SEC("iter/task_file")
int walk_sbs(struct rs_iter_task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;

	if (!file || !task || (__s32)ctx->fd != sb_walk_fd || sw.start)
		return 0; /* show() can run twice for one element */
	if (task->tgid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	/* What the walk reads namespaces through, on ours: residue checks it (refs.c). */
	struct mnt_namespace *self_ns = BPF_CORE_READ(task, nsproxy, mnt_ns);
	sw.self_ns_ino = self_ns ? mnt_ns_inum(self_ns) : 0;
	sw.start = sw.sb = (__u64)file->f_inode->i_sb;
	sb_begin();
	for (int n = 0; n < SB_WALK_LOOP_CALLS && sw.phase != SW_DONE; n++)
		bpf_loop(SB_WALK_LOOP_MAX, sbs_step, NULL, 0);
	return 0;
}

/* ---- files that exiting or returning tasks are still closing ---- */

#define TASK_WORKS_MAX 16

/* Before 6.13 a file counted its references in an atomic_long_t, 0 once the last is put. */
struct file___old {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/*
 * Where fput() queues the file's task work: f_task_work (6.8+), f_rcuhead
 * before.  An offset the kernel lacks fails the whole program's load (and,
 * with it, the BPF tier: 6.1 refused it), so each is asked for only where
 * it exists.
 */
struct file___rcuhead {
	struct callback_head f_rcuhead;
} __attribute__((preserve_access_index));

static __always_inline __u64 file_task_work_offset(void)
{
	if (bpf_core_field_exists(struct file, f_task_work))
		return bpf_core_field_offset(struct file, f_task_work);
	return bpf_core_field_offset(struct file___rcuhead, f_rcuhead);
}

/*
 * Has the last reference to @f been put?  6.13+: file_ref_t in its dead zone
 * (FILE_REF_RELEASED 0xC000000000000000 and above, include/linux/file_ref.h).
 */
static __always_inline bool file_released(struct file *f)
{
	if (bpf_core_field_exists(struct file, f_ref))
		return ((__u64)BPF_CORE_READ(f, f_ref.refcnt.counter) >> 62) == 3; /* s64 */
	return BPF_CORE_READ((struct file___old *)f, f_count.counter) == 0;
}

/*
 * Every task's pending task_works that are a file's last fput(): fput()
 * queues ____fput as the f_task_work of the file itself.  The function's
 * address is not asked for (a __ksym needs CAP_SYSLOG, or is hidden from
 * everyone with kptr_restrict 2): a work is taken for a file when the struct
 * file around it holds together -- its inode and superblock kernel
 * addresses, its mount's superblock the same, its last reference put.  A work
 * of another kind taken for a file by mistake can only keep a superblock from
 * being reported this time, never report one.  Run by residue only to
 * confirm an orphan no process holds: a superblock such a file is on is
 * being let go of, not kept.
 */
/* fput_file()'s answer: the device and inode of the file it found. */
__u64 fput_dev, fput_ino;

/*
 * Is the task work at @cbp a file's last fput()?  1, with its device and
 * inode in fput_dev and fput_ino.  A global function: the verifier checks it
 * once, not once for each of the TASK_WORKS_MAX turns of the loop that calls
 * it (3 400 instructions processed when it was inline).
 */
__noinline int fput_file(__u64 cbp)
{
	struct file *f = (void *)(cbp - file_task_work_offset());
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	__u64 sb = (__u64)BPF_CORE_READ(inode, i_sb), mnt_sb = 0;
	struct rs_vfsmount *mnt = (void *)BPF_CORE_READ(f, f_path.mnt);

	bpf_probe_read_kernel(&mnt_sb, sizeof(mnt_sb), &mnt->mnt_sb);
	if (!is_kernel_ptr((__u64)inode) || !is_kernel_ptr(sb) || mnt_sb != sb || !file_released(f))
		return 0;
	fput_dev = BPF_CORE_READ((struct super_block *)sb, s_dev);
	fput_ino = BPF_CORE_READ(inode, i_ino);
	return 1;
}

SEC("iter/task")
int dump_fputs(struct rs_iter_task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	struct rs_fput r = { .pid = BPF_CORE_READ(task, tgid), .tid = BPF_CORE_READ(task, pid) };
	struct callback_head *cb = BPF_CORE_READ(task, task_works);
	for (int i = 0; i < TASK_WORKS_MAX && is_kernel_ptr((__u64)cb); i++) {
		if (fput_file((__u64)cb)) {
			r.dev = fput_dev;
			r.ino = fput_ino;
			bpf_seq_write(seq, &r, sizeof(r));
		}
		cb = BPF_CORE_READ(cb, next);
	}
	return 0;
}
