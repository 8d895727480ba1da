// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Zombie memory cgroups, from the kernel's side.  Two iterator programs:
 *
 *  - walk_memcgs (iter/cgroup, one cgroup, order "self"): the iterator
 *    skips dying cgroups, so from the memory css of the cgroup it was given
 *    walk the css tree ourselves (children, sibling, parent: dying csses stay
 *    linked until they are released; the iterator holds cgroup_mutex, so the
 *    tree holds still) and record every memcg, live or dying, in map memcgs.
 *
 *    With lru_nodes set, each dying memcg the walk meets has its own LRU
 *    lists walked there and then (nodeinfo[nid]->lruvec.lists[], folios
 *    linked through folio->lru; still under cgroup_mutex, so the memcg cannot
 *    be freed under us): every file-backed folio on them is accounted as the
 *    page-cache walk below does, into the same maps.  That visits only the
 *    zombies' folios, not every inode of the host.  The lists are walked
 *    without lru_lock: a list ends at its own head, with as many pages as
 *    the kernel counts on it (lru_zone_size); a folio that is no longer this
 *    memcg's or no longer on that list (its flags say which), another list's
 *    head, a wrong count, or more folios than the memcg has pages, and the
 *    walk is no answer (lru_cut), nor is it with multi-gen LRU on or with
 *    unevictable pages, which are on no list: residue then walks again, or
 *    walks the inodes below.
 *
 *  - walk_cache (iter/task_file, our own process only): when it meets the
 *    memfd residue opened for the purpose, walk every superblock (s_list,
 *    reached through the memfd's: there are no data symbols to start from),
 *    every inode with page cache, and its XArray; each folio's memcg_data
 *    names the memcg it is charged to.  Folios charged to a dying memcg add
 *    up per (memcg, inode) in map pins, with one of the inode's dentries.
 *    Nothing is locked: every list step is checked against its back-pointer,
 *    every loop is bounded, rejections counted.
 *
 *    Run with names_n set, walk_cache is the naming pass instead: for each
 *    file residue lists (names_want[], a pin's dentry and inode) it records
 *    the path as a chain of dentries in map dentries.  Both walks used to
 *    record every pinning file's path as they went, for a report that names
 *    20 a zombie: with 15 000 such files, a third of the LRU walk's time
 *    (kernel_view.walk_ms of `residue zombies -J`, docs/PERFORMANCE.md).
 *    A dentry that is no longer its inode's alias by then (pruned, reused)
 *    is not followed, and counted (names_stale).
 *
 * Both are flat state machines run by bpf_loop(), their state in .bss, as
 * the verifier of clang 14 / libbpf 1.1 era kernels prefers.  CO-RE only.
 * Their steps are global functions, not static ones: the verifier checks a
 * global function once, alone, where it checks a static one at every call
 * with the caller's state.  With static steps the skeleton took 70 ms to
 * load here (45 000 and 39 000 instructions processed); 15 ms now.  That is
 * also why memcg_step turns a step's result into 0 or 1 itself: a global
 * function's result is any number to the verifier, and a bpf_loop callback
 * must return 0 or 1.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "iter-ctx.bpf.h"
#include "kread.bpf.h"
#include "memcg.h"
#include "sb-list.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define CSS_ONLINE_BIT 2 /* enum CSS_ONLINE, include/linux/cgroup-defs.h */
#define CSS_DYING_BIT 16 /* enum CSS_DYING: set by rmdir itself, before the offline work runs */

/*
 * Removed: rmdir sets CSS_DYING at once (kill_css()); CSS_ONLINE is cleared
 * only later, after an RCU grace period and a work item (offline_css()).  A
 * scan right after an rmdir saw the cgroup still live.
 */
static __always_inline bool css_dying(__u32 flags)
{
	return !(flags & CSS_ONLINE_BIT) || (flags & CSS_DYING_BIT);
}
#define MEMCG_DATA_KMEM 2UL
#define MEMCG_DATA_MASK 3UL
#define XA_CHUNK 64
#define LOOP_MAX (1 << 23) /* bpf_loop's own limit */
#define LOOP_CALLS 16 /* so at most 2^27 steps in all */
#define PATH_DEPTH_MAX 64
#define NR_LRU_LISTS 5 /* enum lru_list, the same since 2.6.28 */
#define LRU_INACTIVE_ANON 0
#define LRU_INACTIVE_FILE 2
#define LRU_UNEVICTABLE 4
#define NODES_MAX 1024 /* 1 << CONFIG_NODES_SHIFT at its largest (x86_64) */
#define ZONES_MAX 8 /* MAX_NR_ZONES: 5 here, at most 6 */
#define PAGE_MAPPING_FLAGS 3UL /* anon, movable, KSM: folio->mapping is no address_space */

/*
 * Sizes (memcg.h): a hash map allocates its buckets (16 bytes each) when it
 * is made, whatever BPF_F_NO_PREALLOC says of the entries, and residue serve
 * keeps these maps for its life: 2^16 memcgs and dentries and 2^18 pins cost
 * 6 MiB of kernel memory, charged to residue's cgroup (2^20 each cost 48).
 * Buckets are also what a drain walks, empty or not: every scan pays for
 * them (each bucket fewer is also load and drain time of `residue --json`).
 * A record that does not fit is counted per map (kernel_view.dropped and a
 * gap in the output), never silent.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ZM_MEMCGS_MAX);
	__type(key, __u64);
	__type(value, struct zm_memcg);
} memcgs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ZM_PINS_MAX);
	__type(key, struct zm_pin_key);
	__type(value, struct zm_pin);
} pins SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ZM_DENTRIES_MAX);
	__type(key, __u64);
	__type(value, struct zm_dentry);
} dentries SEC(".maps");

/* Scratch values, too big for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct zm_memcg); /* the larger of zm_memcg and zm_dentry */
} scratch SEC(".maps");

/* Set by residue before running walk_cache: the memfd to start from. */
__s32 target_fd = -1;
struct zm_stats stats = { .shrinker_nr_max = -1 };
/*
 * Set by residue before running walk_memcgs: nr_node_ids (the highest possible
 * node + 1), the length of every memcg's nodeinfo[]; 0: no LRU walk.
 */
__u32 lru_nodes;
/* Set by residue before the naming pass: the files to name, the first names_n of names_want[]. */
__u32 names_n;
struct zm_name_want names_want[ZM_NAME_WANTS];

/* ---- the css tree ---- */

struct zm_tree_walk tw;
struct zm_lru_walk lw;
struct zm_cache_walk cw; /* the page-cache walk's; the LRU walk accounts through it too */

/* Once one memcg's LRU walk is no answer, walking the others is no use. */
static __always_inline bool lru_abandoned(void)
{
	return stats.lru_cut || stats.lru_mglru || stats.lru_unevictable || stats.lru_nofield;
}

static __always_inline void lru_begin(__u64 memcg, __u64 id, __u64 usage_pages)
{
	/* Every folio the walk accounts is this memcg's: the page-cache walk's memo says so. */
	cw.memo_memcg = memcg;
	cw.memo_id = id;
	cw.memo_dying = 1;
	lw.memcg = memcg;
	lw.budget = usage_pages + 64;
	lw.seen = 0;
	lw.nid = 0;
	lw.list = NR_LRU_LISTS; /* load node lw.nid first */
	lw.active = 1;
	lw.t0 = bpf_ktime_get_ns();
}

/* ---- 6.1: folio_nr_pages() read _folio_nr_pages ---- */
struct folio___old {
	unsigned int _folio_nr_pages;
	atomic_t _entire_mapcount; /* before 6.10's _large_mapcount */
} __attribute__((preserve_access_index));

/*
 * CONFIG_LRU_GEN (6.1): lruvec.lrugen, a struct lru_gen_struct, later
 * lru_gen_folio; when its enabled is set the lruvec's folios are on the
 * generation lists, not on lists[].
 */
struct lru_gen___any {
	bool enabled;
} __attribute__((preserve_access_index));

struct lruvec___mglru {
	struct lru_gen___any lrugen;
} __attribute__((preserve_access_index));

static __always_inline struct cgroup_subsys_state *css_of(__u64 p)
{
	return (void *)p;
}

static __always_inline __u64 memcg_id(__u64 memcg)
{
	struct mem_cgroup *m = (void *)memcg;
	return BPF_CORE_READ(m, css.cgroup, kn, id);
}

/* The first time a memcg is met: how big is the shrinker map every memcg carries? */
static __always_inline void note_shrinker_map(struct mem_cgroup *m)
{
	if (stats.shrinker_nr_max >= 0 || !bpf_core_field_exists(struct shrinker_info, map_nr_max))
		return;
	struct mem_cgroup_per_node *pn = BPF_CORE_READ(m, nodeinfo[0]);
	if (pn)
		stats.shrinker_nr_max = BPF_CORE_READ(pn, shrinker_info, map_nr_max);
}

__noinline int record_memcg(__u64 cssp, __u64 parent_cssp, __u32 depth)
{
	struct cgroup_subsys_state *css = css_of(cssp);
	struct mem_cgroup *m = (void *)cssp; /* css is the first member of mem_cgroup */
	__u32 zero = 0;
	struct zm_memcg *v = bpf_map_lookup_elem(&scratch, &zero);
	__u64 id;

	if (!v || !css)
		return 0;
	id = BPF_CORE_READ(css, cgroup, kn, id);
	v->parent_id = parent_cssp ? memcg_id(parent_cssp) : 0;
	v->usage_pages = BPF_CORE_READ(m, memory.usage.counter);
	v->css_flags = BPF_CORE_READ(css, flags);
	v->depth = depth;
	const char *name = BPF_CORE_READ(css, cgroup, kn, name);
	bpf_probe_read_kernel_str(v->name, sizeof(v->name), name);
	if (bpf_map_update_elem(&memcgs, &id, v, BPF_ANY))
		stats.memcgs_full++;
	stats.memcgs++;
	note_shrinker_map(m);
	if (lru_nodes && !lru_abandoned() && css_dying(v->css_flags))
		lru_begin(cssp, id, v->usage_pages);
	return 0;
}

static __always_inline __u64 first_child(__u64 cssp)
{
	struct cgroup_subsys_state *css = css_of(cssp);
	__u64 head = cssp + bpf_core_field_offset(struct cgroup_subsys_state, children);
	__u64 next = (__u64)BPF_CORE_READ(css, children.next);

	if (!next || next == head)
		return 0;
	return next - bpf_core_field_offset(struct cgroup_subsys_state, sibling);
}

/* One move of a pre-order walk: down to the first child, else across, else up. */
__noinline int tree_step(void)
{
	stats.memcg_steps++;
	if (tw.descend) {
		__u64 child = first_child(tw.cur);
		tw.descend = false;
		if (child) {
			record_memcg(child, tw.cur, tw.depth + 1);
			tw.cur = child;
			tw.depth++;
			tw.descend = true;
		}
		return 0;
	}
	if (tw.cur == tw.root || !tw.cur) {
		stats.tree_done = 1;
		return 1;
	}
	struct cgroup_subsys_state *css = css_of(tw.cur);
	__u64 parent = (__u64)BPF_CORE_READ(css, parent);
	__u64 next = (__u64)BPF_CORE_READ(css, sibling.next);
	if (!parent) {
		stats.rejected++;
		stats.tree_done = 2;
		return 1;
	}
	if (next != parent + bpf_core_field_offset(struct cgroup_subsys_state, children)) {
		tw.cur = next - bpf_core_field_offset(struct cgroup_subsys_state, sibling);
		record_memcg(tw.cur, parent, tw.depth);
		tw.descend = true;
		return 0;
	}
	tw.cur = parent;
	tw.depth--;
	return 0;
}

/* ---- the page cache ---- */

enum {
	PH_SB,
	PH_INODE,
	PH_XA,
	PH_PATH,
	PH_DONE,
	PH_WANT, /* the naming pass: the next file to name; after each path, back here */
};

static __always_inline __u64 next_sb(__u64 sbp)
{
	struct super_block *sb = (void *)sbp;
	__u64 next = (__u64)BPF_CORE_READ(sb, s_list.next);
	return next ? next - bpf_core_field_offset(struct super_block, s_list) : 0;
}

static __always_inline __u64 inodes_head(__u64 sbp)
{
	return sbp + bpf_core_field_offset(struct super_block, s_inodes);
}

/* Add the run to map pins: a new record for an inode seen for the first time. */
__noinline int flush_run(void)
{
	struct zm_pin_key k = { .memcg_id = cw.acc_id, .inode = cw.inode };
	struct inode *inode = KCAST(struct inode, cw.inode);
	struct zm_pin *p;

	if (!cw.acc_pages)
		return 0;
	p = bpf_map_lookup_elem(&pins, &k);
	if (p) {
		__sync_fetch_and_add(&p->pages, cw.acc_pages);
		__sync_fetch_and_add(&p->dirty, cw.acc_dirty);
		__sync_fetch_and_add(&p->mapped, cw.acc_mapped);
		__sync_fetch_and_add(&p->mapped_shared, cw.acc_shared);
	} else {
		struct zm_pin v = {};
		struct super_block *sb = KREAD(inode, i_sb);
		v.dev = KREAD(sb, s_dev);
		v.ino = KREAD(inode, i_ino);
		v.pages = cw.acc_pages;
		v.dirty = cw.acc_dirty;
		v.mapped = cw.acc_mapped;
		v.mapped_shared = cw.acc_shared;
		v.nrpages = KREAD(inode, i_data.nrpages);
		v.mode = KREAD(inode, i_mode);
		v.nlink = KREAD(inode, __i_nlink);
		v.sb_magic = KREAD(sb, s_magic);
		struct hlist_node *alias = KREAD(inode, i_dentry.first);
		if (alias)
			v.dentry = (__u64)alias - bpf_core_field_offset(struct dentry, d_u.d_alias);
		if (bpf_map_update_elem(&pins, &k, &v, BPF_NOEXIST))
			stats.pins_full++;
	}
	cw.acc_pages = cw.acc_dirty = cw.acc_mapped = cw.acc_shared = 0;
	cw.acc_memcg = 0;
	return 0;
}

/*
 * How many page-table mappings a folio has (folio_mapcount()): small folios
 * keep it in _mapcount, large ones in _large_mapcount (6.10); before that the
 * whole-folio (PMD) maps are in _entire_mapcount and per-page maps are not
 * summed anywhere cheap, so a large folio mapped only by PTEs counts as
 * unmapped there.  Each counter starts at -1.
 */
static __always_inline __s64 folio_maps(struct folio *folio, bool large)
{
	struct folio___old *old = (struct folio___old *)folio;

	if (!large)
		return (__s64)KREAD(folio, _mapcount.counter) + 1;
	if (bpf_core_field_exists(folio->_large_mapcount))
		return (__s64)KREAD(folio, _large_mapcount.counter) + 1;
	if (bpf_core_field_exists(old->_entire_mapcount))
		return (__s64)KREAD(old, _entire_mapcount.counter) + 1;
	return 0;
}

/* folio_nr_pages(), from the flags word the caller read */
static __always_inline __u64 folio_pages(struct folio *folio, __u64 flags)
{
	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	struct folio___old *old = (struct folio___old *)folio;

	if (bpf_core_field_exists(folio->_nr_pages))
		return KREAD(folio, _nr_pages);
	if (bpf_core_field_exists(old->_folio_nr_pages))
		return KREAD(old, _folio_nr_pages);
	return 1;
}

/* Add a folio of cw.inode charged to the dying memcg cw.memo_memcg to the run. */
static __always_inline void add_folio(struct folio *folio, __u64 memcg, __u64 flags, __u64 pages)
{
	bool large = flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head));
	__s64 maps;

	stats.dying_folios++;
	if (memcg != cw.acc_memcg)
		flush_run();
	cw.acc_memcg = memcg;
	cw.acc_id = cw.memo_id;
	cw.acc_pages += pages;
	if (flags & ((1UL << bpf_core_enum_value(enum pageflags, PG_dirty)) |
		     (1UL << bpf_core_enum_value(enum pageflags, PG_writeback))))
		cw.acc_dirty += pages;
	/*
	 * Mapped folios are what POSIX_FADV_DONTNEED skips (mapping_evict_folio);
	 * MADV_PAGEOUT in turn skips a folio whose mapcount is not its page count
	 * (mapped by another process too, or twice): madvise_cold_or_pageout_pte_range.
	 */
	maps = folio_maps(folio, large);
	if (maps > 0) {
		cw.acc_mapped += pages;
		if (maps != (__s64)pages)
			cw.acc_shared += pages;
	}
}

__noinline int account_folio(__u64 foliop)
{
	struct folio *folio = KCAST(struct folio, foliop);
	__u64 mapping = cw.inode + bpf_core_field_offset(struct inode, i_data);
	__u64 memcg_data, memcg, flags = 0;

	stats.folios++;
	if ((__u64)KREAD(folio, mapping) != mapping) {
		stats.rejected++; /* truncated or reused under us */
		return 0;
	}
	memcg_data = KREAD(folio, memcg_data);
	if (!memcg_data || (memcg_data & MEMCG_DATA_KMEM))
		return 0;
	memcg = memcg_data & ~MEMCG_DATA_MASK;
	if (memcg != cw.memo_memcg) {
		struct mem_cgroup *m = (void *)memcg;
		cw.memo_memcg = memcg;
		cw.memo_dying = css_dying(BPF_CORE_READ(m, css.flags));
		cw.memo_id = cw.memo_dying ? memcg_id(memcg) : 0;
		if (cw.memo_dying)
			note_shrinker_map(m);
	}
	if (!cw.memo_dying)
		return 0;
	/*
	 * The flags word is the first of struct page and folio on every kernel; its type is not
	 * (unsigned long before 6.18, memdesc_flags_t since), which a CO-RE field relocation would
	 * refuse as incompatible, so read it at offset 0.
	 */
	bpf_probe_read_kernel(&flags, sizeof(flags), (void *)foliop);
	add_folio(folio, memcg, flags, folio_pages(folio, flags));
	return 0;
}

/* Done with an inode: flush, and on to the next. */
static __always_inline void end_inode(void)
{
	flush_run();
	cw.phase = PH_INODE;
}

/* One dentry of a path: its name and parent, until one already recorded or the root. */
__noinline int path_step(void)
{
	struct dentry *d = KCAST(struct dentry, cw.path_dentry);
	__u64 key = cw.path_dentry;
	__u32 one = 1;
	struct zm_dentry *v;

	if (!key || cw.path_depth++ >= PATH_DEPTH_MAX || bpf_map_lookup_elem(&dentries, &key)) {
		cw.path_dentry = 0;
		cw.phase = PH_WANT; /* the naming pass is the only one that records paths */
		return 0;
	}
	v = bpf_map_lookup_elem(&scratch, &one);
	if (!v)
		return 0;
	__u64 parent = (__u64)KREAD(d, d_parent);
	v->parent = parent == key ? 0 : parent;
	const unsigned char *name = KREAD(d, d_name.name);
	bpf_probe_read_kernel_str(v->name, sizeof(v->name), name);
	if (bpf_map_update_elem(&dentries, &key, v, BPF_NOEXIST)) {
		stats.dentries_full++;
		v->parent = 0;
	}
	cw.path_dentry = v->parent;
	return 0;
}

/* The naming pass: the next file's path, if its dentry still is its inode's; 1 when done. */
__noinline int want_step(void)
{
	__u32 i = cw.want;

	if (i >= names_n || i >= ZM_NAME_WANTS) {
		cw.phase = PH_DONE;
		return 1;
	}
	cw.want = i + 1;
	__u64 dentry = names_want[i].dentry, inode = names_want[i].inode;
	if (!dentry)
		return 0;
	struct dentry *d = KCAST(struct dentry, dentry);
	if ((__u64)KREAD(d, d_inode) != inode) {
		stats.names_stale++; /* pruned or reused since the walk: no name rather than a wrong one */
		return 0;
	}
	cw.path_dentry = dentry;
	cw.path_depth = 0;
	cw.phase = PH_PATH;
	return 0;
}

/* The page-cache walk's next superblock and its first inode; 1 at the end of the list. */
__noinline int cache_sb_step(void)
{
	__u64 sb = next_sb(cw.sb);

	if (sb == cw.start_sb) {
		cw.phase = PH_DONE;
		return 1;
	}
	if (!sb || sb == cw.sb) {
		stats.rejected++;
		cw.phase = PH_DONE;
		return 1;
	}
	cw.sb = sb;
	if (!sb_is_listed(sb))
		return 0; /* the list head, super_blocks */
	stats.sbs++;
	struct super_block *s = (void *)sb;
	cw.inode_pos = (__u64)BPF_CORE_READ(s, s_inodes.next);
	cw.phase = PH_INODE;
	return 0;
}

/* One inode of the superblock: its folio, or the start of its XArray. */
__noinline int cache_inode_step(void)
{
	__u64 pos = cw.inode_pos;

	if (!pos || pos == inodes_head(cw.sb)) {
		cw.phase = PH_SB;
		return 0;
	}
	struct inode *inode = (void *)(pos - bpf_core_field_offset(struct inode, i_sb_list));
	__u64 next = (__u64)BPF_CORE_READ(inode, i_sb_list.next);
	if ((__u64)BPF_CORE_READ(inode, i_sb) != cw.sb || next == pos) {
		stats.rejected++;
		cw.phase = PH_SB; /* the list changed under us: next superblock */
		return 0;
	}
	cw.inode_pos = next;
	stats.inodes++;
	if (!BPF_CORE_READ(inode, i_data.nrpages))
		return 0;
	stats.inodes_cached++;
	cw.inode = (__u64)inode;
	cw.acc_memcg = cw.acc_pages = cw.acc_dirty = cw.acc_mapped = cw.acc_shared = 0;
	__u64 head = (__u64)BPF_CORE_READ(inode, i_data.i_pages.xa_head);
	if ((head & 3) == 2 && head > 4096) {
		cw.node = head - 2;
		cw.slot = 0;
		cw.phase = PH_XA;
	} else if (head && (head & 3) == 0) {
		account_folio(head);
		end_inode();
	}
	return 0;
}

/* One slot of an XArray node: a folio, a child node, or up to the parent. */
__noinline int cache_xa_step(void)
{
	struct xa_node *node = (void *)cw.node;

	if (cw.slot >= XA_CHUNK) {
		__u64 parent = (__u64)BPF_CORE_READ(node, parent);
		if (!parent) {
			end_inode();
			return 0;
		}
		cw.slot = BPF_CORE_READ(node, offset) + 1;
		cw.node = parent;
		return 0;
	}
	__u64 entry = 0;
	bpf_probe_read_kernel(&entry, sizeof(entry), &node->slots[cw.slot & (XA_CHUNK - 1)]);
	cw.slot++;
	if ((entry & 3) == 2 && entry > 4096) {
		struct xa_node *child = (void *)(entry - 2);
		if ((__u64)BPF_CORE_READ(child, parent) != cw.node) {
			stats.rejected++;
			return 0;
		}
		cw.node = entry - 2;
		cw.slot = 0;
	} else if (entry && (entry & 3) == 0) {
		account_folio(entry);
	}
	return 0;
}

/*
 * walk_cache's bpf_loop callback.  Each phase is a global function, checked
 * once by the verifier, not with this callback's every state: inline, they
 * made walk_cache the memcg skeleton's slowest program to load (6 500
 * instructions processed in 4.9 ms of verification; 2 000 in 1.5 now).
 */
static int cache_step(__u32 i, void *ctx)
{
	(void)i;
	(void)ctx;
	stats.steps++;
	switch (cw.phase) {
	case PH_SB:
		return cache_sb_step() ? 1 : 0;
	case PH_INODE:
		cache_inode_step();
		return 0;
	case PH_XA:
		cache_xa_step();
		return 0;
	case PH_PATH:
		path_step();
		return 0;
	case PH_WANT:
		return want_step() ? 1 : 0;
	default:
		return 1;
	}
}

SEC("iter/task_file")
int walk_cache(struct rs_iter_task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;

	if (!file || !task || (__s32)ctx->fd != target_fd || cw.start_sb)
		return 0;
	if (task->tgid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	if (names_n) {
		cw.start_sb = 1; /* ran: show() can run twice for one element */
		cw.phase = PH_WANT;
	} else {
		/* The memfd's own superblock first (memfds and shm live there too), then the others. */
		struct super_block *sb = file->f_inode->i_sb;
		cw.start_sb = cw.sb = (__u64)sb;
		cw.inode_pos = (__u64)sb->s_inodes.next;
		cw.phase = PH_INODE;
		stats.sbs = 1;
	}
	/* One call site: the verifier checks a bpf_loop callback again at each. */
	for (int n = 0; n < LOOP_CALLS && cw.phase != PH_DONE; n++)
		bpf_loop(LOOP_MAX, cache_step, NULL, 0);
	if (names_n)
		stats.names_done = cw.phase == PH_DONE ? 1 : 2;
	else
		stats.done = cw.phase == PH_DONE ? 1 : 2;
	return 0;
}

/* ---- the LRU lists of dying memcgs ---- */

/*
 * Which of lists[] a folio on an LRU belongs on (folio_lru_list()): the
 * flags say it, and a folio that moved while we looked at it says so too.
 */
static __always_inline __u32 folio_lru(__u64 flags)
{
	__u32 list;

	if (flags & (1UL << bpf_core_enum_value(enum pageflags, PG_unevictable)))
		return LRU_UNEVICTABLE;
	list = flags & (1UL << bpf_core_enum_value(enum pageflags, PG_swapbacked)) ?
		       LRU_INACTIVE_ANON :
		       LRU_INACTIVE_FILE;
	if (flags & (1UL << bpf_core_enum_value(enum pageflags, PG_active)))
		list++;
	return list;
}

static __always_inline __u64 lru_head(__u32 list)
{
	return lw.lruvec + bpf_core_field_offset(struct lruvec, lists) +
	       (__u64)list * sizeof(struct list_head);
}

/*
 * The pages the kernel counts on one list of this memcg's lruvec: the sum of
 * mem_cgroup_per_node.lru_zone_size[zone][list], kept by update_lru_size()
 * under lru_lock for every list, the unevictable one included.
 */
static __always_inline __u64 lru_pages(__u32 list)
{
	__u64 base = lw.pn + bpf_core_field_offset(struct mem_cgroup_per_node, lru_zone_size);
	__u32 zones = bpf_core_field_size(struct mem_cgroup_per_node, lru_zone_size) /
		      (NR_LRU_LISTS * sizeof(long));
	__u64 sum = 0;

#pragma unroll
	for (__u32 z = 0; z < ZONES_MAX; z++) {
		long v = 0;
		if (z >= zones)
			break;
		bpf_probe_read_kernel(
			&v, sizeof(v),
			(void *)(base + ((__u64)z * NR_LRU_LISTS + list) * sizeof(long)));
		sum += v;
	}
	return sum;
}

static __always_inline void lru_list_start(__u32 list)
{
	lw.list = list;
	lw.pages = 0;
	if (list >= LRU_UNEVICTABLE)
		return; /* no list: its head is poisoned (lruvec_init) */
	lw.pos = 0; /* list_head.next, its first member: no relocation (iter-ctx.bpf.h) */
	bpf_probe_read_kernel(&lw.pos, sizeof(lw.pos), (void *)lru_head(list));
	lw.want = lru_pages(list);
}

/* A list left before its head, or one we did not see whole: this LRU walk is no answer. */
static __always_inline void lru_cut(void)
{
	stats.rejected++;
	stats.lru_cut++;
	lw.list = NR_LRU_LISTS;
	lw.nid = NODES_MAX; /* and the LRU walk of this memcg ends */
}

/* The memcg's next node with memory, else the end of this memcg. */
__noinline int lru_next_node(void)
{
	__u64 pn = 0;
	__u32 nid = lw.nid;

	if (nid >= lru_nodes || nid >= NODES_MAX) {
		flush_run();
		stats.lru_memcgs++;
		stats.lru_ns += bpf_ktime_get_ns() - lw.t0;
		lw.active = 0;
		return 0;
	}
	lw.nid = nid + 1;
	/* nodeinfo[] has nr_node_ids entries, NULL for nodes that are not possible */
	bpf_probe_read_kernel(&pn, sizeof(pn),
			      (void *)(lw.memcg +
				       bpf_core_field_offset(struct mem_cgroup, nodeinfo) +
				       (__u64)nid * sizeof(pn)));
	if (!pn)
		return 0;
	lw.pn = pn;
	lw.lruvec = pn + bpf_core_field_offset(struct mem_cgroup_per_node, lruvec);
	struct lruvec___mglru *mg = (void *)lw.lruvec;
	if (bpf_core_field_exists(mg->lrugen) && BPF_CORE_READ(mg, lrugen.enabled)) {
		/* Multi-gen LRU: the folios are on lrugen's lists, which we do not walk. */
		stats.lru_mglru++;
		lw.nid = NODES_MAX;
		return 0;
	}
	if (!bpf_core_field_exists(struct mem_cgroup_per_node, lru_zone_size)) {
		stats.lru_nofield++; /* nothing to check the walk against */
		lw.nid = NODES_MAX;
		return 0;
	}
	if (lru_pages(LRU_UNEVICTABLE)) {
		/* ramfs, SHM_LOCK, mlock: on no list at all since 5.18; only the inode walk finds them. */
		stats.lru_unevictable++;
		lw.nid = NODES_MAX;
		return 0;
	}
	lru_list_start(0);
	return 0;
}

/* One folio of one list of one dying memcg. */
__noinline int lru_step(void)
{
	__u64 pos = lw.pos, first = lru_head(0), flags = 0;

	if (lw.list >= LRU_UNEVICTABLE)
		return lru_next_node();
	if (pos >= first && pos < first + NR_LRU_LISTS * sizeof(struct list_head)) {
		/*
		 * A head: this list's, with as many pages as the kernel counts on it, else we
		 * followed a folio that moved, or missed some.
		 */
		if (pos != lru_head(lw.list) || lw.pages != lw.want)
			lru_cut();
		else
			lru_list_start(lw.list + 1);
		return 0;
	}
	if (!pos || ++lw.seen > lw.budget) {
		lru_cut(); /* more folios than the memcg has pages: we are going round */
		return 0;
	}
	__u64 foliop = pos - bpf_core_field_offset(struct folio, lru);
	struct folio *folio = KCAST(struct folio, foliop);
	/* The flags word is read at offset 0: see account_folio(). */
	bpf_probe_read_kernel(&flags, sizeof(flags), (void *)foliop);
	__u64 memcg_data = KREAD(folio, memcg_data);
	__u64 next = (__u64)KREAD(folio, lru.next);
	if (memcg_data != lw.memcg || next == pos ||
	    !(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_lru))) ||
	    folio_lru(flags) != lw.list) {
		lru_cut(); /* uncharged, isolated, moved or freed under us */
		return 0;
	}
	__u64 pages = folio_pages(folio, flags);
	lw.pos = next;
	lw.pages += pages;
	stats.lru_folios++;
	/* A number, for its low bits tell anon from file (no bit operation on a pointer). */
	__u64 mapping = 0;
	bpf_core_read(&mapping, sizeof(mapping), &folio->mapping);
	if (!mapping || (mapping & PAGE_MAPPING_FLAGS))
		return 0; /* anonymous memory: no file to name */
	/*
	 * Only a mapping that is its inode's own i_data, as the inode walk sees
	 * them.  Read as one (struct inode, not address_space: iter-ctx.bpf.h).
	 */
	__u64 off = bpf_core_field_offset(struct inode, i_data);
	struct inode *owner = KCAST(struct inode, mapping - off);
	__u64 host = (__u64)KREAD(owner, i_data.host);
	if (!host || host + off != mapping)
		return 0;
	if (host != cw.inode) {
		flush_run();
		cw.inode = host;
	}
	/* The checks above are account_folio()'s: memcg_data is this dying memcg's, mapping ours. */
	add_folio(folio, lw.memcg, flags, pages);
	return 0;
}

/* walk_memcgs' bpf_loop callback: an LRU walk, else the tree. */
static int memcg_step(__u32 i, void *ctx)
{
	(void)i;
	(void)ctx;
	if (lw.active)
		return lru_step() ? 1 : 0;
	return tree_step() ? 1 : 0;
}

SEC("iter/cgroup")
int walk_memcgs(struct rs_iter_cgroup *ctx)
{
	struct cgroup *cgrp = ctx->cgroup;
	int memory = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

	if (!cgrp || tw.root) /* show() can run twice for one element */
		return 0;
	if (memory < 0 || memory >= CGROUP_SUBSYS_COUNT)
		return 0;
	struct cgroup_subsys_state *css = BPF_CORE_READ(cgrp, subsys[memory]);
	if (!css)
		return 0;
	tw.root = tw.cur = (__u64)css;
	tw.depth = 0;
	tw.descend = true;
	record_memcg(tw.root, 0, 0);
	for (int n = 0; n < LOOP_CALLS; n++)
		if (bpf_loop(LOOP_MAX, memcg_step, NULL, 0) < LOOP_MAX)
			break;
	return 0;
}
