// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * residue inodes: the dentries and inodes of one superblock, or of all, read
 * from the kernel's own lists, and the holders that explain their counts.
 *
 *  - walk_inodes (iter/task_file, our own process): when it meets the memfd
 *    residue opened for it, walk the superblock list (s_list) from the
 *    memfd's; for each superblock audited, its mounts (s_mounts: each holds
 *    its root dentry), then its inodes (s_inodes), each inode's dentries
 *    (i_dentry), each dentry's children (d_children, d_subdirs before 6.8)
 *    and, for an unreferenced hashed dentry, its parent chain to the root.
 *    Writes into map recs what userspace must judge: dentries whose count
 *    their children do not explain (and adds them to map cand), stranded
 *    dentries, inodes with more references than aliases.  A chunk ends after
 *    @chunk_inodes inodes (one run is one RCU read section); the next run
 *    resumes at the inode it stopped at if that is still on the list, else
 *    by counting from the list's head.
 *  - dump_files, dump_vmas, dump_tasks (in that order): every struct file
 *    (fd tables, mappings, exe) and fs_struct (root, cwd) whose dentry is in
 *    map cand; the tasks whose files no pass can see (exiting, in exec); and
 *    at the end, each candidate's count again.
 *
 * One flat bpf_loop() state machine with its state in .bss, its steps global
 * functions (checked once by the verifier, not once per caller: the skeleton
 * loads in a few ms), as in memcg.bpf.c and refs.bpf.c.  Nothing is locked:
 * every list step is checked against a back-pointer and bounded, and what is
 * rejected is counted.  CO-RE only; 6.1's layouts through ___v61 flavours.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "inodes.h"
#include "iter-ctx.bpf.h"
#include "sb-list.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define LOOP_MAX (1 << 23) /* bpf_loop's own limit */
#define LOOP_CALLS 8
#define CHILDREN_MAX (1 << 20) /* children counted per dentry; more: RS_IR_F_CHILDREN_CUT */
#define ALIASES_MAX 4096
#define DEPTH_MAX 4096
#define MOUNTS_MAX (1 << 20)
/* A chunk also ends before the record map can overflow: at a superblock, or at an inode. */
#define RECS_SB_ROOM (RS_IR_MAX - 64)
#define RECS_INODE_ROOM (RS_IR_MAX - 2048)

#define SB_NOUSER_FLAG (1U << 31) /* include/linux/fs.h */
#define SB_ACTIVE_FLAG (1U << 30)
#define SB_KERNMOUNT_FLAG (1U << 22)
#define S_SWAPFILE_FLAG (1U << 8) /* i_flags */

/* Before 6.8: children on a list_head through d_child. */
struct dentry___v61 {
	struct list_head d_subdirs;
	struct list_head d_child;
} __attribute__((preserve_access_index));

struct super_block___v61 {
	struct list_head s_mounts;
} __attribute__((preserve_access_index));

struct mount___v61 {
	struct list_head mnt_instance;
} __attribute__((preserve_access_index));

/*
 * 6.18 has the flags in BTF (enum dentry_flags); 6.1 has #defines only, with
 * other values: DCACHE_MOUNTED 0x00010000 and DCACHE_DENTRY_CURSOR 0x20000000
 * (include/linux/dcache.h of 6.1.192, Debian's linux-headers-6.1.0-57-common,
 * lines 190 and 213; DCACHE_DISCONNECTED 0x20 on line 160).
 */
static __always_inline __u32 dflag_mounted(void)
{
	if (bpf_core_enum_value_exists(enum dentry_flags, DCACHE_MOUNTED))
		return bpf_core_enum_value(enum dentry_flags, DCACHE_MOUNTED);
	return 0x10000;
}

static __always_inline __u32 dflag_cursor(void)
{
	if (bpf_core_enum_value_exists(enum dentry_flags, DCACHE_DENTRY_CURSOR))
		return bpf_core_enum_value(enum dentry_flags, DCACHE_DENTRY_CURSOR);
	return 0x20000000;
}

#define DCACHE_DISCONNECTED_FLAG 0x20 /* the same on 6.1 and 6.18 */
#define S_IFMT_BITS 00170000
#define S_IFDIR_BITS 0040000

/* x86_64: a kernel address (the top half), not NULL nor a poison value. */
static __always_inline bool is_kernel_ptr(__u64 p)
{
	return (p >> 48) == 0xffff;
}

static __always_inline bool children_hlist(void)
{
	return bpf_core_field_exists(struct dentry, d_children);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RS_IR_MAX);
	__type(key, __u32);
	__type(value, struct rs_ino_rec);
} recs SEC(".maps");

/* Candidate dentries → the sample they were found in (residue bumps gen per sample). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, RS_CAND_MAX);
	__type(key, __u64);
	__type(value, struct rs_cand);
} cand SEC(".maps");

/* Mounts per root dentry, in this sample: each mount holds its root (clone_mnt()). */
struct mroot {
	__u32 gen;
	__u32 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, RS_MROOTS_MAX);
	__type(key, __u64);
	__type(value, struct mroot);
} mroots SEC(".maps");

/* Set by residue: the memfd to start from, the superblock to audit (0: all), the chunk. */
__s32 walk_fd = -1;
__u64 target_dev;
__u64 chunk_inodes = 65536;
__u32 gen;
/* Magic numbers of the filesystems that pin their positive dentries (inodes.h); 0 ends. */
__u32 pin_magics[RS_PIN_MAGICS_MAX];
struct rs_ino_walk iw;

static __always_inline bool sb_pins(void)
{
	for (int i = 0; i < RS_PIN_MAGICS_MAX; i++) {
		if (!pin_magics[i])
			return false;
		if (pin_magics[i] == (__u32)iw.magic)
			return true;
	}
	return false;
}

enum {
	P_SB, /* start the superblock at iw.sb */
	P_MOUNT,
	P_INODE,
	P_ALIAS,
	P_CHILD,
	P_PARENT,
	P_NEXT_SB,
	P_RESUME,
	P_RESUME_SB, /* a chunk ended before the superblock at iw.sb */
	P_DONE,
};

static __always_inline __u32 slot(void)
{
	return iw.n++;
}

__noinline int rec_new(__u32 kind)
{
	__u32 i = slot();
	struct rs_ino_rec *r = bpf_map_lookup_elem(&recs, &i);

	if (!r) {
		iw.dropped++;
		return -1;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->dev = iw.dev;
	r->magic = (__u32)iw.magic;
	return (int)i;
}

static __always_inline struct rs_ino_rec *rec_at(int i)
{
	__u32 k = (__u32)i;
	return i < 0 ? NULL : bpf_map_lookup_elem(&recs, &k);
}

/* The dentry @dp into record @r: its name, count, flags, inode, parent. */
__noinline int rec_dentry(struct rs_ino_rec *r, __u64 dp)
{
	struct dentry *d = (void *)dp;

	if (!r)
		return 0;
	r->dentry = dp;
	r->inode = iw.inode;
	r->ino = 0;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	if (inode) {
		r->inode = (__u64)inode;
		r->ino = BPF_CORE_READ(inode, i_ino);
		r->mode = BPF_CORE_READ(inode, i_mode);
	} else {
		r->flags |= RS_IR_F_NEGATIVE;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (parent && parent != d)
		r->parent_ino = BPF_CORE_READ(parent, d_inode, i_ino);
	__u32 len = BPF_CORE_READ(d, d_name.len);
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	if (len > sizeof(r->name))
		len = sizeof(r->name);
	r->name_len = (__u16)len;
	if (name)
		bpf_probe_read_kernel_str(r->name, sizeof(r->name), name);
	return 0;
}

/* ---- superblocks ---- */

__noinline int sb_begin(void)
{
	struct super_block *sb = (void *)iw.sb;
	__u32 f = (__u32)BPF_CORE_READ(sb, s_flags);

	iw.dev = BPF_CORE_READ(sb, s_dev);
	iw.magic = BPF_CORE_READ(sb, s_magic);
	iw.s_root = (__u64)BPF_CORE_READ(sb, s_root);
	iw.index = 0;
	iw.sb_flags = 0;
	iw.phase = P_NEXT_SB;
	if (target_dev && iw.dev != target_dev)
		return 0;
	if ((f & SB_NOUSER_FLAG) || !(f & SB_ACTIVE_FLAG) || !iw.s_root) {
		int i = rec_new(RS_IR_SKIPPED);
		struct rs_ino_rec *r = rec_at(i);
		if (r) {
			r->aux = iw.sb;
			r->flags = f & SB_NOUSER_FLAG ? RS_IR_F_NOUSER : RS_IR_F_INACTIVE;
		}
		iw.skipped++;
		return 0;
	}
	iw.sbs++;
	if (f & SB_KERNMOUNT_FLAG)
		iw.sb_flags |= RS_IR_F_KERNMOUNT;
	if (bpf_core_field_exists(struct mount, mnt_next_for_sb)) {
		iw.pos = (__u64)BPF_CORE_READ(sb, s_mounts);
		iw.head = 0;
	} else {
		struct super_block___v61 *old = (void *)sb;
		iw.head = iw.sb + bpf_core_field_offset(struct super_block___v61, s_mounts);
		iw.pos = (__u64)BPF_CORE_READ(old, s_mounts.next);
	}
	iw.depth = 0; /* mounts seen */
	iw.phase = P_MOUNT;
	return 0;
}

__noinline int inodes_begin(void)
{
	struct super_block *sb = (void *)iw.sb;

	iw.head = iw.sb + bpf_core_field_offset(struct super_block, s_inodes);
	iw.pos = (__u64)BPF_CORE_READ(sb, s_inodes.next);
	iw.phase = P_INODE;
	return 0;
}

__noinline int mount_step(void)
{
	__u64 pos = iw.pos;
	bool chained = bpf_core_field_exists(struct mount, mnt_next_for_sb);
	struct mount *m;
	__u64 next;

	if (!pos || (!chained && pos == iw.head))
		return inodes_begin();
	if (chained) {
		m = (void *)pos;
		next = (__u64)BPF_CORE_READ(m, mnt_next_for_sb);
	} else {
		struct mount___v61 *old =
			(void *)(pos - bpf_core_field_offset(struct mount___v61, mnt_instance));
		m = (void *)old;
		next = (__u64)BPF_CORE_READ(old, mnt_instance.next);
	}
	if ((__u64)BPF_CORE_READ(m, mnt.mnt_sb) != iw.sb || next == pos ||
	    iw.depth++ >= MOUNTS_MAX) {
		iw.sb_flags |= RS_IR_F_MOUNTS_CUT;
		iw.rejected++;
		return inodes_begin();
	}
	__u64 root = (__u64)BPF_CORE_READ(m, mnt.mnt_root);
	struct mroot *mr = bpf_map_lookup_elem(&mroots, &root);
	if (mr && mr->gen == gen) {
		mr->count++;
	} else {
		struct mroot one = { .gen = gen, .count = 1 };
		if (bpf_map_update_elem(&mroots, &root, &one, BPF_ANY))
			iw.mroots_dropped++;
	}
	if (iw.depth == 1) {
		int i = rec_new(RS_IR_MOUNT);
		struct rs_ino_rec *r = rec_at(i);
		if (r) {
			r->dentry = root;
			r->aux = bpf_core_field_exists(m->mnt_id_unique) ?
					 BPF_CORE_READ(m, mnt_id_unique) :
					 (__u64)BPF_CORE_READ(m, mnt_id);
		}
	}
	iw.pos = next;
	return 0;
}

/* The superblock's own record, after its last inode. */
__noinline int sb_end(void)
{
	int i = rec_new(RS_IR_SB);
	struct rs_ino_rec *r = rec_at(i);

	if (r) {
		struct super_block *sb = (void *)iw.sb;
		const char *type = BPF_CORE_READ(sb, s_type, name);
		r->dentry = iw.s_root;
		r->aux = iw.sb;
		r->ino = iw.index;
		r->flags = iw.sb_flags;
		if (type)
			bpf_probe_read_kernel_str(r->name, sizeof(r->name), type);
		r->name_len = (__u16)sizeof(r->name);
	}
	iw.phase = P_NEXT_SB;
	return 0;
}

__noinline int next_sb(void)
{
	struct super_block *sb = (void *)iw.sb;
	__u64 next = (__u64)BPF_CORE_READ(sb, s_list.next);

	if (next)
		next -= bpf_core_field_offset(struct super_block, s_list);
	if (next == iw.start) {
		iw.done = 1;
		iw.phase = P_DONE;
		return 0;
	}
	if (!next || next == iw.sb) {
		iw.rejected++;
		iw.done = 2;
		iw.phase = P_DONE;
		return 0;
	}
	iw.sb = next;
	if (!sb_is_listed(next))
		return 0; /* the list head super_blocks, or one being torn down: P_NEXT_SB again */
	iw.phase = P_SB;
	return 0;
}

/* ---- inodes and their dentries ---- */

__noinline int inode_step(void)
{
	__u64 pos = iw.pos;

	if (!pos || pos == iw.head)
		return sb_end();
	if (iw.budget == 0 || iw.n >= RECS_INODE_ROOM) {
		/* The chunk's end: keep the place (this inode, not yet read) for the next run. */
		iw.phase = P_RESUME;
		return 1;
	}
	struct inode *inode = (void *)(pos - bpf_core_field_offset(struct inode, i_sb_list));
	__u64 next = (__u64)BPF_CORE_READ(inode, i_sb_list.next);
	if ((__u64)BPF_CORE_READ(inode, i_sb) != iw.sb || next == pos) {
		iw.rejected++;
		iw.sb_flags |= RS_IR_F_INODES_CUT;
		return sb_end();
	}
	iw.pos = next;
	iw.index++;
	if (iw.skip) {
		iw.skip--;
		return 0;
	}
	iw.budget--;
	iw.inodes++;
	iw.inode = (__u64)inode;
	iw.i_count = (__u32)BPF_CORE_READ(inode, i_count.counter);
	iw.aliases = 0;
	iw.i_flags = 0;
	if (BPF_CORE_READ(inode, i_fsnotify_marks))
		iw.i_flags |= RS_IR_F_MARKS;
	if (BPF_CORE_READ(inode, i_flags) & S_SWAPFILE_FLAG)
		iw.i_flags |= RS_IR_F_SWAPFILE;
	if (BPF_CORE_READ(inode, __i_nlink) == 0)
		iw.i_flags |= RS_IR_F_UNLINKED;
	iw.dentry = (__u64)BPF_CORE_READ(inode, i_dentry.first);
	iw.phase = P_ALIAS;
	return 0;
}

/* After the inode's last alias: more references than aliases? */
__noinline int inode_end(void)
{
	struct inode *inode = (void *)iw.inode;

	iw.phase = P_INODE;
	if (iw.i_count <= iw.aliases)
		return 0;
	int i = rec_new(RS_IR_INODE);
	struct rs_ino_rec *r = rec_at(i);
	if (!r)
		return 0;
	r->inode = iw.inode;
	r->ino = BPF_CORE_READ(inode, i_ino);
	r->mode = BPF_CORE_READ(inode, i_mode);
	r->i_count = iw.i_count;
	r->aliases = iw.aliases;
	r->flags = iw.i_flags;
	return 0;
}

__noinline int alias_step(void)
{
	__u64 node = iw.dentry;

	if (!node || iw.aliases >= ALIASES_MAX)
		return inode_end();
	struct dentry *d = (void *)(node - bpf_core_field_offset(struct dentry, d_u.d_alias));
	if ((__u64)BPF_CORE_READ(d, d_inode) != iw.inode) {
		iw.rejected++;
		return inode_end();
	}
	iw.aliases++;
	iw.dentries++;
	iw.cur = (__u64)d;
	iw.dentry = (__u64)BPF_CORE_READ(d, d_u.d_alias.next);
	iw.d_count = BPF_CORE_READ(d, d_lockref.count);
	iw.d_flags = 0;
	if (BPF_CORE_READ(d, d_hash.pprev))
		iw.d_flags |= RS_IR_F_HASHED;
	__u32 f = BPF_CORE_READ(d, d_flags);
	if (f & DCACHE_DISCONNECTED_FLAG)
		iw.d_flags |= RS_IR_F_DISCONNECTED;
	if (f & dflag_mounted())
		iw.d_flags |= RS_IR_F_MOUNTED;
	if ((__u64)d == iw.s_root)
		iw.d_flags |= RS_IR_F_S_ROOT;
	iw.children = 0;
	if (children_hlist()) {
		iw.child = (__u64)BPF_CORE_READ(d, d_children.first);
		iw.chead = 0;
	} else {
		struct dentry___v61 *old = (void *)d;
		iw.chead = (__u64)d + bpf_core_field_offset(struct dentry___v61, d_subdirs);
		iw.child = (__u64)BPF_CORE_READ(old, d_subdirs.next);
	}
	iw.phase = P_CHILD;
	return 0;
}

static __always_inline long add_cand(__u64 dp)
{
	struct rs_cand c = { .gen = gen, .count_after = RS_COUNT_UNREAD };

	return bpf_map_update_elem(&cand, &dp, &c, BPF_ANY);
}

/* A child whose own count nothing in the walk explains: a negative dentry in use. */
__noinline int negative_child(__u64 cp, __s32 count)
{
	int i = rec_new(RS_IR_DENTRY);
	struct rs_ino_rec *r = rec_at(i);

	if (!r)
		return 0;
	rec_dentry(r, cp);
	r->d_count = count;
	r->flags |= RS_IR_F_NEGATIVE;
	if (add_cand(cp))
		iw.cand_dropped++;
	return 0;
}

/* The dentry at iw.cur after its children: a candidate, a stranded one, or nothing to say. */
__noinline int dentry_end(void)
{
	__u64 dp = iw.cur;

	iw.phase = P_ALIAS;
	if (iw.d_count < 0)
		return 0; /* dead (lockref_mark_dead()): being freed */
	if (iw.d_count == 0) {
		if ((iw.d_flags & RS_IR_F_HASHED) && !(iw.d_flags & RS_IR_F_DISCONNECTED)) {
			iw.depth = 0;
			iw.leaf = dp;
			iw.phase = P_PARENT; /* iw.cur climbs */
		}
		return 0;
	}
	/* What the walk itself can explain; the rest is for the holders to. */
	struct mroot *mr = bpf_map_lookup_elem(&mroots, &dp);
	__u32 mounts = mr && mr->gen == gen ? mr->count : 0;
	__s32 known = (__s32)iw.children + (__s32)mounts + !!(iw.d_flags & RS_IR_F_S_ROOT) +
		      !!(iw.d_flags & RS_IR_F_MOUNTED) +
		      ((iw.d_flags & RS_IR_F_HASHED) && sb_pins());
	if (iw.d_count <= known && !(iw.d_flags & RS_IR_F_CHILDREN_CUT))
		return 0;
	int i = rec_new(RS_IR_DENTRY);
	struct rs_ino_rec *r = rec_at(i);
	if (!r)
		return 0;
	rec_dentry(r, dp);
	r->d_count = iw.d_count;
	r->children = iw.children;
	r->mounts = mounts;
	r->i_count = iw.i_count;
	r->flags |= iw.d_flags | iw.i_flags;
	if (add_cand(dp))
		iw.cand_dropped++;
	return 0;
}

__noinline int child_step(void)
{
	__u64 node = iw.child;
	__u64 cp;
	__u64 next;

	if (!node || (!children_hlist() && node == iw.chead))
		return dentry_end();
	if (children_hlist()) {
		cp = node - bpf_core_field_offset(struct dentry, d_sib);
		next = (__u64)BPF_CORE_READ((struct dentry *)cp, d_sib.next);
	} else {
		cp = node - bpf_core_field_offset(struct dentry___v61, d_child);
		next = (__u64)BPF_CORE_READ((struct dentry___v61 *)cp, d_child.next);
	}
	struct dentry *c = (void *)cp;
	if ((__u64)BPF_CORE_READ(c, d_parent) != iw.cur || next == node ||
	    iw.children >= CHILDREN_MAX) {
		iw.rejected++;
		iw.d_flags |= RS_IR_F_CHILDREN_CUT;
		return dentry_end();
	}
	iw.child = next;
	__u32 f = BPF_CORE_READ(c, d_flags);
	if (f & dflag_cursor())
		return 0; /* a readdir cursor: its open directory file explains it */
	iw.children++;
	if (!BPF_CORE_READ(c, d_inode)) {
		__s32 count = BPF_CORE_READ(c, d_lockref.count);
		if (count > 0)
			negative_child(cp, count);
	}
	return 0;
}

/*
 * Climb from an unreferenced hashed dentry to its root.  s_root: umount's
 * shrink reaches it.  A root that is hashed is on s_roots (d_obtain_alias()
 * and d_obtain_root() hash disconnected roots there, and only there): reached
 * too.  Any other root is stranded: shrink_dcache_for_umount() walks s_root
 * and s_roots only, so the dentry and its inode outlive the superblock.
 */
__noinline int parent_step(void)
{
	struct dentry *d = (void *)iw.cur;
	__u64 parent = (__u64)BPF_CORE_READ(d, d_parent);

	if (parent && parent != iw.cur && iw.depth++ < DEPTH_MAX) {
		iw.cur = parent;
		return 0;
	}
	iw.phase = P_ALIAS;
	bool cut = parent && parent != iw.cur;
	if (!cut && (iw.cur == iw.s_root || BPF_CORE_READ(d, d_hash.pprev)))
		return 0;
	int i = rec_new(RS_IR_STRANDED);
	struct rs_ino_rec *r = rec_at(i);
	if (!r)
		return 0;
	rec_dentry(r, iw.leaf);
	r->aux = iw.cur;
	r->d_count = 0;
	r->i_count = iw.i_count;
	r->flags |= iw.d_flags | iw.i_flags | (cut ? RS_IR_F_PATH_CUT : 0);
	return 0;
}

/* Resume a chunk: at the inode it stopped at when it is still on the list, else by counting. */
__noinline int resume(void)
{
	__u64 pos = iw.pos;

	if (!sb_is_listed(iw.sb)) {
		iw.rejected++;
		iw.done = 2;
		iw.phase = P_DONE;
		return 0;
	}
	iw.phase = P_INODE;
	if (!pos || pos == iw.head)
		return 0;
	struct inode *inode = (void *)(pos - bpf_core_field_offset(struct inode, i_sb_list));
	__u64 next = (__u64)BPF_CORE_READ(inode, i_sb_list.next);
	__u64 back = 0;
	if (next)
		bpf_probe_read_kernel(&back, sizeof(back), (void *)(next + sizeof(void *)));
	if ((__u64)BPF_CORE_READ(inode, i_sb) == iw.sb && next != pos && back == pos)
		return 0;
	/* It left the list since: count again from the head. */
	struct super_block *sb = (void *)iw.sb;
	iw.skip = iw.index;
	iw.index = 0;
	iw.pos = (__u64)BPF_CORE_READ(sb, s_inodes.next);
	iw.sb_flags |= RS_IR_F_RESUMED_BY_INDEX;
	return 0;
}

static int walk_step(__u32 i, void *ctx)
{
	(void)i;
	(void)ctx;
	iw.steps++;
	switch (iw.phase) {
	case P_SB:
		if (iw.n >= RECS_SB_ROOM) {
			iw.phase = P_RESUME_SB;
			return 1;
		}
		sb_begin();
		return 0;
	case P_RESUME_SB:
		if (!sb_is_listed(iw.sb)) {
			iw.rejected++;
			iw.done = 2;
			iw.phase = P_DONE;
			return 1;
		}
		iw.phase = P_SB;
		return 0;
	case P_MOUNT:
		mount_step();
		return 0;
	case P_INODE:
		return inode_step() ? 1 : 0;
	case P_ALIAS:
		alias_step();
		return 0;
	case P_CHILD:
		child_step();
		return 0;
	case P_PARENT:
		parent_step();
		return 0;
	case P_NEXT_SB:
		next_sb();
		return 0;
	case P_RESUME:
		resume();
		return 0;
	default:
		return 1;
	}
}

SEC("iter/task_file")
int walk_inodes(struct rs_iter_task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;

	if (!file || !task || (__s32)ctx->fd != walk_fd || iw.ran)
		return 0; /* show() can run twice for one element */
	if (task->tgid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	iw.ran = 1;
	if (!iw.start) {
		iw.start = iw.sb = (__u64)file->f_inode->i_sb;
		iw.phase = P_SB;
	} else if (iw.phase == P_DONE) {
		return 0;
	}
	iw.budget = chunk_inodes;
	for (int n = 0; n < LOOP_CALLS && iw.phase != P_DONE &&
			(n == 0 || (iw.phase != P_RESUME && iw.phase != P_RESUME_SB));
	     n++)
		bpf_loop(LOOP_MAX, walk_step, NULL, 0);
	return 0;
}

/* ---- holders ---- */

static __always_inline bool is_cand(__u64 dp)
{
	struct rs_cand *c = bpf_map_lookup_elem(&cand, &dp);
	return c && c->gen == gen;
}

/* @who: the tgid in the high half, the fd (or -1) in the low. */
static __always_inline void emit_holder(struct seq_file *seq, __u64 dp, __u64 obj, __u64 who,
					__u32 kind)
{
	struct rs_holder h = {
		.dentry = dp, .obj = obj, .pid = (__u32)(who >> 32), .fd = (__s32)who, .kind = kind
	};

	if (is_cand(dp))
		bpf_seq_write(seq, &h, sizeof(h));
}

/*
 * A struct file: its dentry, and when it is an open directory of a
 * filesystem that reads directories from the dcache (dcache_readdir()), the
 * directory the cursor in its private_data holds.
 */
static __noinline int file_holds(struct seq_file *seq, __u64 fp, __u64 who, __u32 kind)
{
	struct file *f = (void *)fp;
	__u64 dp = (__u64)BPF_CORE_READ(f, f_path.dentry);

	if (!seq || !dp)
		return 0;
	emit_holder(seq, dp, fp, who, kind);
	if (kind != RS_HOLD_FD || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT_BITS) != S_IFDIR_BITS)
		return 0;
	void *cursor = BPF_CORE_READ(f, private_data);
	if (!is_kernel_ptr((__u64)cursor))
		return 0;
	__u32 flags = 0;
	__u64 parent = 0;
	if (bpf_probe_read_kernel(&flags, sizeof(flags),
				  (void *)cursor + bpf_core_field_offset(struct dentry, d_flags)) ||
	    bpf_probe_read_kernel(&parent, sizeof(parent),
				  (void *)cursor + bpf_core_field_offset(struct dentry, d_parent)))
		return 0;
	if ((flags & dflag_cursor()) && parent == dp)
		emit_holder(seq, dp, fp, who, RS_HOLD_CURSOR);
	return 0;
}

SEC("iter/task_file")
int dump_files(struct rs_iter_task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;

	if (!task || !file)
		return 0;
	__u64 fp = 0;
	bpf_core_read(&fp, sizeof(fp), &file);
	file_holds(seq, fp, (__u64)task->tgid << 32 | (__u32)ctx->fd, RS_HOLD_FD);
	return 0;
}

/* Root, cwd and exe: through probe reads in a global function, as refs.bpf.c's task_ref(). */
static __noinline int task_holds(struct seq_file *seq, __u64 tp)
{
	struct task_struct *task = (void *)tp;
	__u32 pid = BPF_CORE_READ(task, tgid);
	__u64 who = (__u64)pid << 32 | 0xffffffffULL;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);

	if (!seq)
		return 0;
	if (fs) {
		emit_holder(seq, (__u64)BPF_CORE_READ(fs, root.dentry), (__u64)fs, who,
			    RS_HOLD_ROOT);
		emit_holder(seq, (__u64)BPF_CORE_READ(fs, pwd.dentry), (__u64)fs, who, RS_HOLD_CWD);
	}
	if (BPF_CORE_READ(task, pid) != pid)
		return 0; /* threads share the leader's mm */
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	if (exe)
		emit_holder(seq, (__u64)BPF_CORE_READ(exe, f_path.dentry), (__u64)exe, who,
			    RS_HOLD_EXE);
	return 0;
}

#define PF_EXITING_FLAG 0x00000004 /* include/linux/sched.h, the same on 6.1 and 6.18 */
#define PF_KTHREAD_FLAG 0x00200000

/*
 * A task whose references no pass reaches right now, written as
 * RS_HOLD_UNSEEN.  Exiting: do_exit() runs exit_mm() (current->mm = NULL,
 * then mmput(): exit_mmap() drops each vma's file in remove_vma(), its fput()
 * queued as a task_work) before exit_files() and exit_task_work(), and
 * sets exit_state only in exit_notify() after them: between the two, the old
 * mappings' files (and after exit_files() the closed fds') hold their
 * dentries with no task_vma or task_file element to show them (task_vma skips
 * a task without mm; ASan processes, with their huge mappings, spend long
 * there).  The files of a group leader's threads are skipped by task_vma as
 * well while the leader's files are theirs (skip_if_dup_files).  Exec:
 * bprm->file and the interpreter are held by no fd, and exec_mmap() tears the
 * old mm down after the new one is installed.
 */
static __noinline int task_unseen(struct seq_file *seq, __u64 tp)
{
	struct task_struct *task = (void *)tp;
	__u32 flags = BPF_CORE_READ(task, flags);
	__s32 why = 0;

	if (!seq || (flags & PF_KTHREAD_FLAG))
		return 0;
	if ((flags & PF_EXITING_FLAG) && !BPF_CORE_READ(task, mm) &&
	    !BPF_CORE_READ(task, exit_state))
		why = RS_UNSEEN_EXITING;
	else if (bpf_core_field_exists(task->in_execve) &&
		 BPF_CORE_READ_BITFIELD_PROBED(task, in_execve))
		why = RS_UNSEEN_EXEC;
	if (!why)
		return 0;
	struct rs_holder h = {
		.obj = tp, .pid = BPF_CORE_READ(task, tgid), .fd = why, .kind = RS_HOLD_UNSEEN
	};
	bpf_seq_write(seq, &h, sizeof(h));
	return 0;
}

/* After the last pass: each candidate's count again (map cand), to see whether it moved. */
static long recount(struct bpf_map *map, __u64 *key, struct rs_cand *c, void *ctx)
{
	(void)map;
	(void)ctx;
	if (c->gen == gen)
		c->count_after = BPF_CORE_READ((struct dentry *)*key, d_lockref.count);
	return 0;
}

/* The last of the holder passes (residue runs it after dump_files and dump_vmas). */
SEC("iter/task")
int dump_tasks(struct rs_iter_task *ctx)
{
	struct task_struct *task = ctx->task;
	__u64 tp = 0;

	if (!task) {
		/* The end of the iteration (it may come again: the same counts read again). */
		bpf_for_each_map_elem(&cand, recount, NULL, 0);
		return 0;
	}
	bpf_core_read(&tp, sizeof(tp), &task);
	task_holds(ctx->meta->seq, tp);
	task_unseen(ctx->meta->seq, tp);
	return 0;
}

/* The last file a mapping of this CPU's task was written for: a file's mappings come in runs. */
struct vma_memo {
	__u64 file;
	__u32 pid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vma_memo);
} vmemo SEC(".maps");

SEC("iter/task_vma")
int dump_vmas(struct rs_iter_task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	__u32 zero = 0;

	if (!task || !vma || !vma->vm_file)
		return 0;
	__u64 fp = (__u64)vma->vm_file;
	__u32 pid = task->tgid;
	struct vma_memo *m = bpf_map_lookup_elem(&vmemo, &zero);
	if (m && m->file == fp && m->pid == pid)
		return 0;
	if (m) {
		m->file = fp;
		m->pid = pid;
	}
	file_holds(ctx->meta->seq, fp, (__u64)pid << 32 | 0xffffffffULL, RS_HOLD_MMAP);
	return 0;
}
