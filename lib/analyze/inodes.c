// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * residue inodes' analysis (analyze/inodes.h).  A dentry's count is the sum
 * of what holds it; every holder residue knows is subtracted:
 *
 *   d_lockref.count - children (each child dentry holds its parent)
 *                   - 1 if it is s_root (the superblock's)
 *                   - 1 if DCACHE_MOUNTED (its struct mountpoint's)
 *                   - 1 if the filesystem pins its positive hashed dentries
 *                   - distinct struct files: fds, mappings, exe (each holds one)
 *                   - readdir cursors of open directories (each holds one)
 *                   - distinct fs_structs whose root, and whose cwd, it is
 *                   - mounts whose root it is
 *                   - 1 if it is a swap file (swapon's struct file)
 *                   - 1 per loop device it backs (the loop's struct file)
 *                   - 1 per io_uring fixed-file slot and per file in flight in a
 *                     unix socket (SCM_RIGHTS) that is it (kholders.bpf.c's walks)
 *                   - the filesystem's own: devpts' ptmx, proc's self and thread-self
 *
 * An inode's: i_count - its dentries - 1 if it has fsnotify marks (the
 * connector's) - the filesystem's own (ext4's reserved inodes).
 *
 * What is left in both samples, at the same address with the same count, is
 * a finding; what is left in one only is transient (a file opened between
 * the walk and the holder passes, a lookup in flight), and so is a count
 * that moved between the walk and the end of the holder passes (read again
 * there: INO_F_MOVED).  A sample in which a task was out of every holder
 * pass's reach (exiting after exit_mm(), or in execve(): the old mappings'
 * files are held where no iterator shows them) leaves what is left unknown
 * (holders_unknown, with a gap), never a finding.  A count explained
 * beyond itself means a model that does not fit (over_explained: unknown,
 * never a finding), and so does what is left on a superblock's root, which
 * this host's boot-time mounts carry and fresh mounts do not, and on
 * filesystems the kernel mounted itself or residue has no model for
 * (unmodeled: docs/INODES.md).
 */
#include "analyze/inodes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"

typedef struct Suspect {
	InoFindingKind kind;
	uint64_t key; /* dentry or inode address */
	int32_t count;
	const InoObj *o;
	InoExplained e;
	bool unknown; /* persistent, but on a filesystem without a model: not a finding */
} Suspect;

typedef struct SampleIndex {
	InoHolder *holders; /* sorted by dentry, kind, obj */
	size_t n_holders;
	Suspect *sus;
	size_t n_sus, cap_sus;
	uint64_t *kernmount; /* devs of SB_KERNMOUNT superblocks, sorted */
	size_t n_kernmount;
	const InoKernelFile *kfiles;
	size_t n_kfiles;
} SampleIndex;

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_holder(const void *x, const void *y)
{
	const InoHolder *a = x, *b = y;
	int c = cmp_u64(a->dentry, b->dentry);
	if (!c)
		c = (int)a->kind - (int)b->kind;
	return c ? c : cmp_u64(a->obj, b->obj);
}

static int cmp_suspect(const void *x, const void *y)
{
	const Suspect *a = x, *b = y;
	int c = (int)a->kind - (int)b->kind;
	if (!c)
		c = cmp_u64(a->key, b->key);
	return c ? c : (a->count > b->count) - (a->count < b->count);
}

static bool is_file_kind(uint8_t k)
{
	return k == INO_HOLD_FD || k == INO_HOLD_MMAP || k == INO_HOLD_EXE;
}

static void add_pid(InoExplained *e, uint32_t pid)
{
	for (uint32_t i = 0; i < e->n_pids; i++)
		if (e->pids[i] == pid)
			return;
	if (e->n_pids < INO_FINDING_PIDS)
		e->pids[e->n_pids++] = pid;
}

/* A holder object's part of InoExplained.holders_fp: order-free, so a sum of mixed pointers. */
static uint64_t fp_mix(uint64_t obj)
{
	obj ^= obj >> 33;
	obj *= 0xff51afd7ed558ccdULL;
	obj ^= obj >> 33;
	return obj;
}

static void explain_dentry(const SampleIndex *ix, const InoObj *o, InoExplained *e)
{
	*e = (InoExplained){ .children = o->children };
	if (o->flags & INO_F_S_ROOT)
		e->other++;
	if (o->flags & INO_F_MOUNTED)
		e->other++;
	if (!(o->flags & INO_F_NEGATIVE) && (o->flags & INO_F_HASHED) &&
	    ino_fs_pins_dentries(o->magic))
		e->other++;
	if (o->flags & INO_F_SWAPFILE)
		e->other++;
	for (size_t i = 0; i < ix->n_kfiles && !(o->flags & INO_F_NEGATIVE); i++)
		if (ix->kfiles[i].dev == o->dev && ix->kfiles[i].ino == o->ino)
			e->other++;
	if ((o->flags & INO_F_HASHED) && ino_fs_holds_dentry(o->magic, o->parent_ino, o->name))
		e->other++;

	/* Holders of this dentry: a run in the sorted array; one per distinct object. */
	InoHolder key = { .dentry = o->dentry };
	size_t lo = 0, hi = ix->n_holders;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->holders[mid].dentry < key.dentry)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint64_t last_file = 0;
	for (size_t i = lo; i < ix->n_holders && ix->holders[i].dentry == o->dentry; i++) {
		const InoHolder *h = &ix->holders[i];
		const InoHolder *prev = i > lo ? &ix->holders[i - 1] : NULL;
		add_pid(e, h->pid);
		if (is_file_kind(h->kind)) {
			/* fd, mmap and exe sort apart: a file seen as several is one holder. */
			bool seen = false;
			for (size_t j = lo; j < i && !seen; j++)
				seen = is_file_kind(ix->holders[j].kind) &&
				       ix->holders[j].obj == h->obj;
			if (!seen && h->obj != last_file) {
				e->files++;
				e->holders_fp += fp_mix(h->obj);
			}
			last_file = h->obj;
			continue;
		}
		if (prev && prev->kind == h->kind && prev->obj == h->obj)
			continue;
		if (h->kind == INO_HOLD_CURSOR)
			e->files++;
		else
			e->fs_refs++;
		e->holders_fp += fp_mix(h->obj);
	}
	e->mounts = o->mounts;
	e->unexplained =
		(int64_t)o->d_count - e->children - e->files - e->fs_refs - e->mounts - e->other;
}

static int add_suspect(SampleIndex *ix, const Suspect *s)
{
	if (ix->n_sus == ix->cap_sus) {
		size_t cap = ix->cap_sus ? ix->cap_sus * 2 : 64;
		Suspect *n = reallocarray(ix->sus, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		ix->sus = n;
		ix->cap_sus = cap;
	}
	ix->sus[ix->n_sus++] = *s;
	return 0;
}

static bool is_kernmount(const SampleIndex *ix, uint64_t dev)
{
	size_t lo = 0, hi = ix->n_kernmount;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->kernmount[mid] == dev)
			return true;
		if (ix->kernmount[mid] < dev)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * A superblock the kernel mounted and uses itself: SB_KERNMOUNT (shm, memfd),
 * rootfs (console_on_rootfs() opens /dev/console for init) and devtmpfs
 * (its kdevtmpfs thread, and the device nodes the kernel opens).  By the
 * type name the walk read from s_type.
 */
static bool kernel_owned(const InoObj *o)
{
	return o->kind == INO_OBJ_SB &&
	       ((o->flags & INO_F_KERNMOUNT) || strcmp(o->name, "rootfs") == 0 ||
		strcmp(o->name, "devtmpfs") == 0);
}

static int cmp_dev(const void *x, const void *y)
{
	return cmp_u64(*(const uint64_t *)x, *(const uint64_t *)y);
}

static void index_free(SampleIndex *ix)
{
	free(ix->kernmount);
	free(ix->holders);
	free(ix->sus);
}

/* One sample's suspects, sorted; counts what could not be judged into @a. */
static int index_sample(const InoSample *s, const InoKernelFile *kfiles, size_t n_kfiles,
			SampleIndex *ix, InodeAudit *a, bool count)
{
	*ix = (SampleIndex){ .kfiles = kfiles, .n_kfiles = n_kfiles };
	if (s->n_holders) {
		ix->holders = malloc(s->n_holders * sizeof(*ix->holders));
		if (!ix->holders)
			return -ENOMEM;
		memcpy(ix->holders, s->holders, s->n_holders * sizeof(*ix->holders));
		ix->n_holders = s->n_holders;
		qsort(ix->holders, ix->n_holders, sizeof(*ix->holders), cmp_holder);
	}
	size_t n_km = 0;
	for (size_t i = 0; i < s->n_objs; i++) {
		n_km += kernel_owned(&s->objs[i]);
	}
	if (n_km) {
		ix->kernmount = malloc(n_km * sizeof(*ix->kernmount));
		if (!ix->kernmount)
			return -ENOMEM;
		for (size_t i = 0; i < s->n_objs; i++)
			if (kernel_owned(&s->objs[i]))
				ix->kernmount[ix->n_kernmount++] = s->objs[i].dev;
		qsort(ix->kernmount, ix->n_kernmount, sizeof(*ix->kernmount), cmp_dev);
	}
	for (size_t i = 0; i < s->n_objs; i++) {
		const InoObj *o = &s->objs[i];
		Suspect su = { .o = o };
		switch (o->kind) {
		case INO_OBJ_STRANDED:
			su.kind = INO_FIND_STRANDED;
			su.key = o->dentry;
			su.count = o->d_count;
			break;
		case INO_OBJ_DENTRY:
			if (o->flags & INO_F_MOVED) {
				/* Its count moved while the holders were read: not one account. */
				a->transient += count;
				continue;
			}
			explain_dentry(ix, o, &su.e);
			if (su.e.unexplained < 0 || (o->flags & INO_F_CHILDREN_CUT)) {
				a->over_explained += count;
				continue;
			}
			if (su.e.unexplained == 0)
				continue;
			if (o->flags & INO_F_S_ROOT) {
				/* See the top of this file: a root's remainder is unknown. */
				a->over_explained += count;
				continue;
			}
			su.kind = INO_FIND_DENTRY_REFS;
			su.key = o->dentry;
			su.count = o->d_count;
			su.unknown = ino_fs_unmodeled(o->magic) || is_kernmount(ix, o->dev);
			break;
		case INO_OBJ_INODE: {
			int64_t left = (int64_t)o->i_count - o->aliases;
			if (o->flags & INO_F_MARKS)
				left--;
			if (!o->aliases && ino_fs_holds_inode(o->magic, o->ino))
				left = 0;
			if (left <= 0)
				continue;
			su.kind = INO_FIND_INODE_REFS;
			su.key = o->inode;
			su.count = (int32_t)o->i_count;
			su.e.unexplained = left;
			break;
		}
		default:
			continue;
		}
		int r = add_suspect(ix, &su);
		if (r < 0)
			return r;
	}
	if (ix->n_sus)
		qsort(ix->sus, ix->n_sus, sizeof(*ix->sus), cmp_suspect);
	return 0;
}

static uint64_t first_mount_of(const InoSample *s, uint64_t dev)
{
	for (size_t i = 0; i < s->n_objs; i++)
		if (s->objs[i].kind == INO_OBJ_MOUNT && s->objs[i].dev == dev)
			return s->objs[i].aux;
	return 0;
}

static int add_finding(InodeAudit *a, const Suspect *su, uint64_t mnt_id)
{
	InoFinding *n = reallocarray(a->findings, a->n_findings + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	a->findings = n;
	const InoObj *o = su->o;
	InoFinding *f = &a->findings[a->n_findings++];
	*f = (InoFinding){
		.kind = su->kind,
		.dev = o->dev,
		.ino = o->ino,
		.parent_ino = o->parent_ino,
		.dentry = o->dentry,
		.inode = o->inode,
		.magic = o->magic,
		.mode = o->mode,
		.count = su->count,
		.unexplained = su->e.unexplained,
		.children = su->e.children,
		.files = su->e.files,
		.fs_refs = su->e.fs_refs,
		.mounts = su->e.mounts,
		.other = su->e.other,
		.n_pids = su->e.n_pids,
		.mnt_id = mnt_id,
		.holders_fp = su->e.holders_fp,
		.path_cut = o->flags & INO_F_PATH_CUT,
		.negative = o->flags & INO_F_NEGATIVE,
		.unlinked = o->flags & INO_F_UNLINKED,
	};
	memcpy(f->pids, su->e.pids, sizeof(f->pids));
	memcpy(f->name, o->name, sizeof(f->name));
	a->n_kind[su->kind]++;
	return 0;
}

static int summarize_sbs(const InoSample *s, InodeAudit *a)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_objs; i++)
		n += s->objs[i].kind == INO_OBJ_SB;
	a->sbs = n ? calloc(n, sizeof(*a->sbs)) : NULL;
	if (n && !a->sbs)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_objs; i++) {
		const InoObj *o = &s->objs[i];
		if (o->kind == INO_OBJ_SKIPPED) {
			a->sbs_skipped++;
			continue;
		}
		if (o->kind != INO_OBJ_SB)
			continue;
		InoSbSummary *sb = &a->sbs[a->n_sbs++];
		sb->dev = o->dev;
		sb->magic = o->magic;
		sb->inodes = o->ino;
		sb->flags = o->flags;
		sb->mnt_id = first_mount_of(s, o->dev);
	}
	for (size_t i = 0; i < a->n_findings; i++)
		for (size_t j = 0; j < a->n_sbs; j++)
			if (a->sbs[j].dev == a->findings[i].dev)
				a->sbs[j].findings++;
	return 0;
}

static int cmp_dentry_key(const void *x, const void *y)
{
	return cmp_u64(*(const uint64_t *)x, *(const uint64_t *)y);
}

int ino_sample_reduce(InoSample *s)
{
	InodeAudit scratch = { 0 }; /* index_sample()'s counters, not wanted here */
	SampleIndex ix = { 0 };
	bool *keep = calloc(s->n_objs ? s->n_objs : 1, sizeof(*keep));
	uint64_t *dentries = NULL;
	size_t n_dentries = 0;
	int r = keep ? index_sample(s, NULL, 0, &ix, &scratch, false) : -ENOMEM;

	if (r == 0 && ix.n_sus && !(dentries = malloc(ix.n_sus * sizeof(*dentries))))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < ix.n_sus; i++) {
		const InoObj *o = ix.sus[i].o;
		keep[o - s->objs] = true;
		if (o->kind == INO_OBJ_DENTRY)
			dentries[n_dentries++] = o->dentry;
	}
	if (r == 0) {
		size_t n = 0;
		for (size_t i = 0; i < s->n_objs; i++)
			if (keep[i] || s->objs[i].kind == INO_OBJ_SB ||
			    s->objs[i].kind == INO_OBJ_MOUNT || s->objs[i].kind == INO_OBJ_SKIPPED)
				s->objs[n++] = s->objs[i];
		s->n_objs = n;
		if (n_dentries)
			qsort(dentries, n_dentries, sizeof(*dentries), cmp_dentry_key);
		n = 0;
		for (size_t i = 0; i < s->n_holders; i++)
			if (n_dentries && bsearch(&s->holders[i].dentry, dentries, n_dentries,
						  sizeof(*dentries), cmp_dentry_key))
				s->holders[n++] = s->holders[i];
		s->n_holders = n;
		/* Give the rest back: the sample may be kept for an hour. */
		if (!s->n_objs) {
			free(s->objs);
			s->objs = NULL;
			s->cap_objs = 0;
		} else {
			InoObj *objs = reallocarray(s->objs, s->n_objs, sizeof(*objs));
			if (objs) {
				s->objs = objs;
				s->cap_objs = s->n_objs;
			}
		}
		if (!s->n_holders) {
			free(s->holders);
			s->holders = NULL;
			s->cap_holders = 0;
		} else {
			InoHolder *holders =
				reallocarray(s->holders, s->n_holders, sizeof(*holders));
			if (holders) {
				s->holders = holders;
				s->cap_holders = s->n_holders;
			}
		}
	}
	index_free(&ix);
	free(keep);
	free(dentries);
	return r;
}

int analyze_inodes(const InoSample *s1, const InoSample *s2, const InoKernelFile *kfiles,
		   size_t n_kfiles, InodeAudit *a)
{
	SampleIndex x1, x2;
	bool unseen =
		s1->unseen_exiting || s1->unseen_exec || s2->unseen_exiting || s2->unseen_exec;
	size_t unseen_unknown = 0;
	int r = index_sample(s1, kfiles, n_kfiles, &x1, a, true);
	if (r == 0)
		r = index_sample(s2, kfiles, n_kfiles, &x2, a, false);
	else
		x2 = (SampleIndex){ 0 };
	for (size_t i = 0; r == 0 && i < x1.n_sus; i++) {
		const Suspect *su = &x1.sus[i];
		Suspect *hit = x2.n_sus ?
				       bsearch(su, x2.sus, x2.n_sus, sizeof(*x2.sus), cmp_suspect) :
				       NULL; /* bsearch's base must not be NULL, even for none */
		/*
		 * The same account twice: the same count and also the same objects
		 * explaining the rest.  A shared library's dentry under exec and exit
		 * churn (ld.so, libc: one struct file per process mapping it) can show
		 * the same count and one reference short at two instants, held by
		 * different processes each time; a leaked reference stays while the
		 * holders that explain the others stay too.
		 */
		if (!hit ||
		    (hit->kind == INO_FIND_DENTRY_REFS && hit->e.holders_fp != su->e.holders_fp)) {
			a->transient++;
			continue;
		}
		if (hit->unknown) {
			a->unmodeled++;
			continue;
		}
		if (hit->kind == INO_FIND_DENTRY_REFS && a->kernel_holders_unknown) {
			a->holders_unknown++;
			continue;
		}
		if (hit->kind == INO_FIND_DENTRY_REFS && unseen) {
			/* A task out of every pass's reach may hold it: unknown, not a finding. */
			a->holders_unknown++;
			unseen_unknown++;
			continue;
		}
		/* The second sample's account: its holders are the later view. */
		r = add_finding(a, hit, first_mount_of(s2, hit->o->dev));
	}
	a->unseen_exiting = s1->unseen_exiting + s2->unseen_exiting;
	a->unseen_exec = s1->unseen_exec + s2->unseen_exec;
	if (r == 0 && unseen_unknown)
		r = inode_audit_add_gap(
			a,
			"dentry references of tasks exiting or in execve (their mappings "
			"and closed files: out of the holder passes' reach)",
			"task_vma", EAGAIN);
	if (r == 0)
		r = summarize_sbs(s1, a);
	a->inodes = s1->inodes;
	a->dentries = s1->dentries;
	a->walk_ms[0] = s1->walk_ms;
	a->walk_ms[1] = s2->walk_ms;
	a->holders_ms[0] = s1->holders_ms;
	a->holders_ms[1] = s2->holders_ms;
	a->chunks = s1->chunks + s2->chunks;
	a->complete = s1->complete && s2->complete;
	index_free(&x1);
	index_free(&x2);
	return r;
}
