// SPDX-License-Identifier: LGPL-2.1-or-later
/* Construction and destruction of snapshots; see snapshot.h. */
#include "snapshot.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/macro.h"

/*
 * Namespaces by id and by inode: sorted (key, index) pairs, rebuilt when
 * more than NS_INDEX_TAIL namespaces were added since, the newer ones
 * searched in order.  The superblock walk alone asks once per superblock
 * and namespace (12 000 superblocks and 1 000 namespaces: 6 % of a scan
 * when every lookup was a linear search).  A key kept once, at its first
 * namespace, as the linear search found it.
 */
#define NS_INDEX_TAIL 64

typedef struct NsKey {
	uint64_t key;
	uint32_t i;
} NsKey;

struct NsIndex {
	NsKey *by_id, *by_ino;
	size_t n; /* namespaces indexed: nss[0..n) */
	size_t n_id, n_ino; /* pairs kept (duplicate keys dropped) */
};

Snapshot *snapshot_new(void)
{
	return calloc(1, sizeof(Snapshot));
}

Snapshot *snapshot_free(Snapshot *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_procs; i++)
		free(s->procs[i].cgroup);
	for (size_t i = 0; i < s->n_holders; i++)
		free(s->holders[i].path);
	for (size_t i = 0; i < s->n_nsbinds; i++)
		free(s->nsbinds[i].path);
	for (size_t i = 0; i < s->n_sbs; i++) {
		SbProbe *sb = &s->sbs[i];
		for (size_t j = 0; j < sb->n_files; j++)
			free(sb->files[j].path);
		free(sb->files);
		free(sb->source);
		free(sb->files_note);
	}
	for (size_t i = 0; i < s->n_gaps; i++) {
		free(s->gaps[i].what);
		free(s->gaps[i].call);
	}
	for (size_t i = 0; i < s->n_nss; i++) {
		MountNs *ns = &s->nss[i];
		free(ns->mnt_ids);
		free(ns->pid_cgroup);
		free(ns->devs);
		for (size_t j = 0; j < ns->n_kept; j++)
			free(ns->kept[j].point);
		free(ns->kept);
		for (size_t j = 0; j < ns->n_strings; j++)
			free(ns->strings[j]);
		free(ns->strings);
		if (!ns->table_shared) {
			free(ns->table_text);
			free(ns->mounts);
		}
	}
	free(s->procs);
	free(s->thread_nss);
	free(s->holders);
	free(s->nss);
	if (s->ns_index) {
		free(s->ns_index->by_id);
		free(s->ns_index->by_ino);
		free(s->ns_index);
	}
	free(s->nsbinds);
	free(s->sbs);
	free(s->gaps);
	free(s->ksbs);
	free(s->knsbinds);
	for (size_t i = 0; i < s->n_loops; i++)
		free(s->loops[i].backing);
	free(s->inflight);
	for (size_t i = 0; i < s->n_kholders; i++)
		free(s->kholders[i].path);
	free(s->kholders);
	free(s->loops);
	u64set_done(&s->live_mnt_ids);
	u64set_done(&s->internal_mnt_ids);
	u64set_done(&s->live_devs);
	u64set_done(&s->peopled_devs);
	u64set_done(&s->fput_devs);
	free(s);
	return NULL;
}

int gap_list_add(Gap **gaps, size_t *n, size_t *cap, const char *what, const char *call, int err,
		 pid_t pid)
{
	err = err < 0 ? -err : err;
	/* The same failure on many objects of one kind is one gap, not thousands. */
	for (size_t i = 0; i < *n; i++)
		if ((*gaps)[i].err == err && strcmp((*gaps)[i].what, what) == 0 &&
		    strcmp((*gaps)[i].call, call) == 0) {
			(*gaps)[i].count++;
			return 0;
		}
	Gap *g = ARRAY_PUSH(*gaps, *n, *cap);
	if (!g)
		return -ENOMEM;
	g->what = strdup(what);
	g->call = strdup(call);
	g->err = err;
	g->count = 1;
	g->example = pid;
	if (!g->what || !g->call)
		return -ENOMEM;
	return 0;
}

int snapshot_add_pid_gap(Snapshot *s, const char *what, const char *call, int err, pid_t pid)
{
	return gap_list_add(&s->gaps, &s->n_gaps, &s->cap_gaps, what, call, err, pid);
}

int snapshot_add_gap(Snapshot *s, const char *what, const char *call, int err)
{
	return snapshot_add_pid_gap(s, what, call, err, 0);
}

Process *snapshot_add_process(Snapshot *s)
{
	return ARRAY_PUSH(s->procs, s->n_procs, s->cap_procs);
}

const Process *inflight_owner(const Snapshot *s, const Inflight *f)
{
	return f->resolved && f->owner_proc >= 0 && (size_t)f->owner_proc < s->n_procs ?
		       &s->procs[f->owner_proc] :
		       NULL;
}

const Process *kholder_owner(const Snapshot *s, const KHolder *k)
{
	return k->proc >= 0 && (size_t)k->proc < s->n_procs ? &s->procs[k->proc] : NULL;
}

Holder *snapshot_add_holder(Snapshot *s)
{
	Holder *h = ARRAY_PUSH(s->holders, s->n_holders, s->cap_holders);
	if (h) {
		h->fd = -1;
		h->open_flags = -1;
	}
	return h;
}

MountNs *snapshot_add_ns(Snapshot *s)
{
	return ARRAY_PUSH(s->nss, s->n_nss, s->cap_nss);
}

SbProbe *snapshot_find_sb(const Snapshot *s, uint64_t dev)
{
	for (size_t i = 0; i < s->n_sbs; i++)
		if (s->sbs[i].dev == dev)
			return &s->sbs[i];
	return NULL;
}

static int nskey_cmp(const void *a, const void *b)
{
	const NsKey *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Keys are unique once built: bsearch by key alone. */
static int nskey_cmp_key(const void *a, const void *b)
{
	const NsKey *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static size_t nskeys_build(NsKey *k, const MountNs *nss, size_t n, bool ino)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		k[i] = (NsKey){ ino ? nss[i].ino : nss[i].id, (uint32_t)i };
	qsort(k, n, sizeof(*k), nskey_cmp);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || k[m - 1].key != k[i].key)
			k[m++] = k[i];
	return m;
}

/* The index, brought up to date when it lags; NULL without memory (then search linearly). */
static struct NsIndex *ns_index(const Snapshot *s)
{
	struct NsIndex *x = s->ns_index;
	if (x && s->n_nss - x->n <= NS_INDEX_TAIL)
		return x;
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return NULL;
		((Snapshot *)s)->ns_index = x; /* a cache: the snapshot's contents do not change */
	}
	NsKey *a = realloc(x->by_id, s->n_nss * sizeof(*a) + 1);
	if (!a)
		return NULL;
	x->by_id = a;
	NsKey *b = realloc(x->by_ino, s->n_nss * sizeof(*b) + 1);
	if (!b)
		return NULL;
	x->by_ino = b;
	x->n_id = nskeys_build(x->by_id, s->nss, s->n_nss, false);
	x->n_ino = nskeys_build(x->by_ino, s->nss, s->n_nss, true);
	x->n = s->n_nss;
	return x;
}

static MountNs *ns_lookup(const Snapshot *s, uint64_t key, bool ino)
{
	struct NsIndex *x = ns_index(s);
	size_t from = 0;

	if (x && x->n <= s->n_nss) {
		const NsKey want = { key, 0 };
		const NsKey *k = bsearch(&want, ino ? x->by_ino : x->by_id,
					 ino ? x->n_ino : x->n_id, sizeof(NsKey), nskey_cmp_key);
		if (k)
			return &s->nss[k->i];
		from = x->n;
	}
	for (size_t i = from; i < s->n_nss; i++)
		if ((ino ? s->nss[i].ino : s->nss[i].id) == key)
			return &s->nss[i];
	return NULL;
}

MountNs *snapshot_find_ns(const Snapshot *s, uint64_t id)
{
	return ns_lookup(s, id, false);
}

MountNs *snapshot_find_ns_by_ino(const Snapshot *s, uint64_t ino)
{
	return ns_lookup(s, ino, true);
}

int snapshot_index_nss(const Snapshot *s)
{
	return ns_index(s) ? 0 : -ENOMEM;
}

const char *mount_ns_name(const MountNs *ns, char *buf, size_t size)
{
	snprintf(buf, size, ns->id_is_ino ? "mnt:[%llu]" : "%llu",
		 (unsigned long long)(ns->id_is_ino ? ns->ino : ns->id));
	return buf;
}

bool holder_is_unattached(const Snapshot *s, const Holder *h)
{
	if (h->mnt_state != MNT_STATE_UNKNOWN)
		return h->mnt_state == MNT_STATE_ORPHANED || h->mnt_state == MNT_STATE_DETACHED;
	return h->mnt_id != 0 && !u64set_contains(&s->live_mnt_ids, h->mnt_id) &&
	       !u64set_contains(&s->internal_mnt_ids, h->mnt_id);
}

int snapshot_fill_live_mnt_ids(Snapshot *s)
{
	if (!s->live_mnt_ids_deferred)
		return 0;
	s->live_mnt_ids_deferred = false;
	for (size_t i = 0; i < s->n_nss; i++)
		for (size_t j = 0; s->nss[i].listed && j < s->nss[i].n_mnt_ids; j++)
			if (u64set_add(&s->live_mnt_ids, s->nss[i].mnt_ids[j]) < 0)
				return -ENOMEM;
	return 0;
}

bool snapshot_processes_complete(const Snapshot *s)
{
	const uint64_t need = (1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_DAC_READ_SEARCH);
	if (s->caps_missing & need)
		return false;
	for (size_t i = 0; i < s->n_gaps; i++)
		if (s->gaps[i].example > 0 && (s->gaps[i].err == EACCES || s->gaps[i].err == EPERM))
			return false;
	return true;
}

bool holder_sb_is_live(const Snapshot *s, const Holder *h)
{
	if (h->sb_live != SB_LIVE_UNKNOWN)
		return h->sb_live == SB_LIVE_YES;
	return s->live_devs_known && u64set_contains(&s->live_devs, h->dev);
}

static const char *const how_names[_HOLD_MAX] = {
	[HOLD_FD] = "fd",     [HOLD_MMAP] = "mmap", [HOLD_CWD] = "cwd",
	[HOLD_ROOT] = "root", [HOLD_EXE] = "exe",   [HOLD_MOUNT_FD] = "mount-fd",
};

const char *holder_how_to_string(HolderHow how)
{
	return how < _HOLD_MAX ? how_names[how] : "?";
}

KsbPlace ksb_place(const Snapshot *s, const KernelSb *k)
{
	if (k->attached == 0)
		return k->anon > 0 || k->mounts_cut ? KSB_DETACHED : KSB_NOWHERE;
	/* More namespaces than recorded, or one not in our walk: take it as peopled. */
	if (k->ns_more || k->n_ns == 0)
		return KSB_LIVE;
	for (size_t i = 0; i < k->n_ns && i < KSB_NS_MAX; i++) {
		const MountNs *ns = k->ns_old_ids ? snapshot_find_ns_by_ino(s, k->ns_inos[i]) :
						    snapshot_find_ns(s, k->ns_ids[i]);
		if (!ns || ns->nr_procs > 0)
			return KSB_LIVE;
	}
	return KSB_PROCLESS;
}

bool ksb_is_unmounted(const Snapshot *s, const KernelSb *k)
{
	return ksb_place(s, k) == KSB_NOWHERE && !k->mounts_cut && !k->no_root && !k->transient &&
	       k->dying == 0 && k->s_active > 0 && (k->sb_flags & KSB_SB_ACTIVE) &&
	       !(k->sb_flags & KSB_SB_KERNMOUNT) && !u64set_contains(&s->fput_devs, k->dev);
}

bool ksb_looks_dead(const KernelSb *k)
{
	return k->no_root && k->s_active == 0 && k->mounts == 0 && (k->sb_flags & KSB_SB_BORN) &&
	       !(k->sb_flags & (KSB_SB_DYING | KSB_SB_DEAD | KSB_SB_ACTIVE));
}

bool ksb_is_dead(const KernelSb *k)
{
	return ksb_looks_dead(k) && !k->transient;
}

KernelSb *snapshot_find_ksb(const Snapshot *s, uint64_t dev)
{
	for (size_t i = 0; i < s->n_ksbs; i++)
		if (s->ksbs[i].dev == dev)
			return &s->ksbs[i];
	return NULL;
}
