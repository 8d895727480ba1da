// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * From a snapshot to findings: one Orphan per superblock that no namespace
 * mounts and some process still holds, one LonelyNs per mount namespace
 * with no process.  Pure: reads the snapshot, allocates the report, no I/O.
 */
#include "orphans.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/array.h"
#include "base/macro.h"
#include "collect/collect.h"

static const char *const state_names[_ORPHAN_STATE_MAX] = {
	[ORPHAN_ORPHANED] = "orphaned",
	[ORPHAN_DETACHED] = "detached",
};

static const char *const risk_names[_RISK_MAX] = {
	[RISK_NONE] = "none",
	[RISK_MEMORY] = "memory",
	[RISK_DATA_LOSS] = "data-loss",
};

const char *orphan_state_to_string(OrphanState s)
{
	return s < _ORPHAN_STATE_MAX ? state_names[s] : "?";
}

const char *risk_to_string(Risk r)
{
	return r < _RISK_MAX ? risk_names[r] : "?";
}

const char *holder_mode_string(const Holder *h, char buf[8])
{
	if (h->how == HOLD_MMAP)
		return h->perms[0] ? h->perms : NULL;
	if (h->open_flags < 0)
		return NULL;
	if (h->open_flags & O_PATH)
		return "path";
	switch (h->open_flags & O_ACCMODE) {
	case O_RDONLY:
		return "r";
	case O_WRONLY:
		return "w";
	default:
		snprintf(buf, 8, "rw");
		return buf;
	}
}

/* Human-sized bytes for hints: "64.0 MiB". */
static void fmt_bytes(uint64_t b, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

/*
 * The holder the hint should name: the one hardest to let go of.  A chrooted
 * process must stop; a cwd must move; an fd or a mapping can be closed.
 */
static const Holder *hint_holder(const Snapshot *s, const Orphan *o)
{
	static const int rank[_HOLD_MAX] = {
		[HOLD_ROOT] = 5, [HOLD_CWD] = 4,  [HOLD_MOUNT_FD] = 3,
		[HOLD_FD] = 2,	 [HOLD_MMAP] = 1, [HOLD_EXE] = 0,
	};
	const Holder *best = &s->holders[o->holders[0]];
	for (size_t i = 1; i < o->n_holders; i++) {
		const Holder *h = &s->holders[o->holders[i]];
		if (rank[h->how] > rank[best->how])
			best = h;
	}
	return best;
}

static char *orphan_hint(const Snapshot *s, const Orphan *o)
{
	const Holder *h = hint_holder(s, o);
	const Process *p = &s->procs[h->proc];
	_cleanup_free_ char *what = NULL, *others = NULL, *gain = NULL;
	char bytes[32];
	size_t pids = 0;
	int r;

	/* Distinct processes among the holders. */
	for (size_t i = 0; i < o->n_holders; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = s->holders[o->holders[j]].proc == s->holders[o->holders[i]].proc;
		pids += !seen;
	}
	switch ((HolderHow)h->how) {
	case HOLD_FD:
	case HOLD_MOUNT_FD:
		r = asprintf(&what, "close fd %d of pid %d (%s)", h->fd, p->pid, p->comm);
		break;
	case HOLD_MMAP:
		r = asprintf(&what, "unmap %s in pid %d (%s)", h->path ? h->path : "the file",
			     p->pid, p->comm);
		break;
	case HOLD_CWD:
		r = asprintf(&what, "move pid %d (%s) out of its cwd%s%s", h->tid ? h->tid : p->pid,
			     p->comm, h->path ? " " : "", h->path ? h->path : "");
		break;
	case HOLD_ROOT:
		r = asprintf(&what, "stop pid %d (%s), chrooted into it", p->pid, p->comm);
		break;
	default:
		r = asprintf(&what, "stop pid %d (%s)", p->pid, p->comm);
		break;
	}
	if (r < 0)
		return NULL;
	if (pids > 1 && asprintf(&others, " and %zu other process%s holding it", pids - 1,
				 pids > 2 ? "es" : "") < 0)
		return NULL;
	if (o->pinned_known) {
		fmt_bytes(o->pinned_bytes, bytes, sizeof(bytes));
		if (asprintf(&gain, " to free %s", bytes) < 0)
			return NULL;
	}

	char *hint = NULL;
	if (o->risk == RISK_DATA_LOSS)
		r = asprintf(&hint,
			     "%s%s%s; it is open for writing: sync before the device goes away",
			     what, others ?: "", gain ?: "");
	else if (o->sb && o->sb->memory_backed && o->sb->files_listed)
		r = asprintf(
			&hint,
			"%s%s%s; or free the unheld files now: residue release %u:%u --delete-unheld",
			what, others ?: "", gain ?: "", major(o->dev), minor(o->dev));
	else
		r = asprintf(&hint, "%s%s%s", what, others ?: "", gain ?: "");
	return r < 0 ? NULL : hint;
}

const char *inflight_how(const Inflight *f)
{
	return f->via == INFLIGHT_VIA_NESTED ? "inflight-nested" :
	       f->via == INFLIGHT_VIA_EMBRYO ? "inflight-embryo" :
					       "inflight";
}

size_t orphan_holder_count(const Orphan *o)
{
	size_t named = o->n_loops + o->n_inflight + o->n_kholders;
	return o->n_holders + (o->kernel_held ? MAX(named, (size_t)1) : 0);
}

const char *orphan_lead(const Snapshot *s, const Orphan *o, const Process **ret_proc)
{
	*ret_proc = NULL;
	if (o->n_holders) {
		const Holder *h = &s->holders[o->holders[0]];
		*ret_proc = &s->procs[h->proc];
		return holder_how_to_string((HolderHow)h->how);
	}
	if (!o->kernel_held)
		return NULL;
	if (o->n_inflight) {
		const Inflight *f = &s->inflight[o->inflight[0]];
		*ret_proc = inflight_owner(s, f);
		return inflight_how(f);
	}
	if (o->n_kholders) {
		const KHolder *k = &s->kholders[o->kholders[0]];
		*ret_proc = kholder_owner(s, k);
		return kholder_how(k);
	}
	return o->n_loops ? "loop" : o->holder_unknown ? "unknown" : "kernel";
}

const char *kholder_how(const KHolder *k)
{
	return k->kind == KHOLDER_FSCONTEXT ? "fscontext" :
	       k->kind == KHOLDER_OVERLAY   ? "overlay" :
					      "io_uring";
}

/* An overlay with a layer on it: unmount the overlay, where it is mounted. */
static int overlay_hint(const Snapshot *s, Orphan *o, const KHolder *k, const char *others,
			const char *frees)
{
	const Process *p = kholder_owner(s, k);
	char layer[32];

	if (k->index == 0)
		snprintf(layer, sizeof(layer), "the upper layer");
	else
		snprintf(layer, sizeof(layer), "lower layer %u", k->index);
	if (!k->pid || !k->path)
		return asprintf(&o->hint,
				"it is %s of the overlay %u:%u%s, mounted in no namespace residue "
				"could enter: unmounting that overlay everywhere %s",
				layer, major(k->ovl_dev), minor(k->ovl_dev), others, frees);
	return asprintf(&o->hint,
			"it is %s of the overlay %u:%u%s, mounted at %s in the mount namespace of "
			"pid %d (%s): unmounting it there (nsenter -t %d -m umount %s), and "
			"wherever else it is mounted, %s",
			layer, major(k->ovl_dev), minor(k->ovl_dev), others, k->path, k->pid,
			p && p->comm[0] ? p->comm : "?", k->pid, k->path, frees);
}

/*
 * What frees a superblock an io_uring ring or an fsopen context keeps: the fd
 * of the process behind it.  A ring's files can also be unregistered from
 * outside, through pidfd_getfd: `residue release DEV --unregister` (all of
 * them).  An overlay's layer: unmounting the overlay.
 */
static int kholder_hint(const Snapshot *s, Orphan *o, const char *bytes)
{
	const KHolder *k = &s->kholders[o->kholders[0]];
	const Process *p = kholder_owner(s, k);
	char frees[48] = "frees it", others[64] = "";
	const char *comm = p && p->comm[0] ? p->comm : "?";

	if (bytes[0])
		snprintf(frees, sizeof(frees), "frees it (%s)", bytes);
	if (o->n_kholders > 1)
		snprintf(others, sizeof(others), " (and %zu other kernel holder%s)",
			 o->n_kholders - 1, o->n_kholders > 2 ? "s" : "");
	if (k->kind == KHOLDER_OVERLAY)
		return overlay_hint(s, o, k, others, frees);
	if (k->kind == KHOLDER_FSCONTEXT)
		return asprintf(&o->hint,
				"an fsopen() context of pid %d (%s), fd %d, created it and holds "
				"it%s: closing fd %d, or stopping the process, %s",
				k->pid, comm, k->fd, others, k->fd, frees);
	return asprintf(&o->hint,
			"a file of it is registered in the io_uring ring of pid %d (%s), fd %d, as "
			"fixed file %u%s: closing the ring (fd %d and any copy of it), "
			"unregistering its files (IORING_UNREGISTER_FILES) or stopping the process "
			"%s; residue release %u:%u --unregister unregisters all the ring's files",
			k->pid, comm, k->fd, k->index, others, k->fd, frees, major(o->dev),
			minor(o->dev));
}

/* What frees a superblock kept by files in flight: the process that holds their socket. */
static int inflight_hint(const Snapshot *s, Orphan *o, const char *bytes)
{
	const Inflight *f = &s->inflight[o->inflight[0]];
	char frees[48] = "frees it";
	unsigned long long ino = (unsigned long long)f->owner_sock_ino;

	if (bytes[0])
		snprintf(frees, sizeof(frees), "frees it (%s)", bytes);
	if (!f->resolved)
		return asprintf(
			&o->hint,
			"a file of it was sent over a unix socket and never received, and no "
			"process residue could read holds that socket%s%s",
			bytes[0] ? "; it pins " : "", bytes);
	if (f->via == INFLIGHT_VIA_EMBRYO)
		return asprintf(
			&o->hint,
			"a file of it was sent over a connection that pid %d, listening on fd "
			"%d (socket:[%llu]), has not accepted: accepting it and receiving the "
			"file, or closing the listener, %s",
			f->owner_pid, f->owner_fd, ino, frees);
	if (f->via == INFLIGHT_VIA_NESTED)
		return asprintf(
			&o->hint,
			"a file of it is in flight inside a socket that is itself in flight to "
			"pid %d, fd %d (socket:[%llu]): receiving that socket and the file, or "
			"closing fd %d, %s; or residue release %u:%u --drain-inflight (the owner "
			"loses that message)",
			f->owner_pid, f->owner_fd, ino, f->owner_fd, frees, major(o->dev),
			minor(o->dev));
	return asprintf(&o->hint,
			"a file of it was sent over a unix socket and never received: pid %d holds "
			"that socket as fd %d (socket:[%llu]); receiving the file, or closing the "
			"socket, %s; or residue release %u:%u --drain-inflight (the owner loses "
			"that message)",
			f->owner_pid, f->owner_fd, ino, frees, major(o->dev), minor(o->dev));
}

/*
 * Which kernel objects keep @o: loop devices bound to files of it, files of it
 * in flight, io_uring rings and fsopen contexts, else "unnamed"; and the hint
 * that goes with them.
 */
static int name_kernel_holders(const Snapshot *s, Orphan *o)
{
	const LoopDev *idle = NULL;
	char bytes[32] = "", gain[48] = "";
	size_t cap = 0;
	int r;

	for (size_t i = 0; i < s->n_loops; i++) {
		if (s->loops[i].back_dev != o->dev)
			continue;
		size_t *slot = ARRAY_PUSH(o->loops, o->n_loops, cap);
		if (!slot)
			return -ENOMEM;
		*slot = i;
		if (!s->loops[i].in_use && !idle)
			idle = &s->loops[i];
	}
	cap = 0;
	for (size_t i = 0; i < s->n_inflight; i++) {
		if (s->inflight[i].kind != INFLIGHT_FILE || s->inflight[i].dev != o->dev)
			continue;
		size_t *slot = ARRAY_PUSH(o->inflight, o->n_inflight, cap);
		if (!slot)
			return -ENOMEM;
		*slot = i;
	}
	cap = 0;
	for (size_t i = 0; i < s->n_kholders; i++) {
		if (s->kholders[i].dev != o->dev)
			continue;
		size_t *slot = ARRAY_PUSH(o->kholders, o->n_kholders, cap);
		if (!slot)
			return -ENOMEM;
		*slot = i;
	}
	if (o->pinned_known) {
		fmt_bytes(o->pinned_bytes, bytes, sizeof(bytes));
		snprintf(gain, sizeof(gain), " to free %s", bytes);
	}
	if (o->holder_unknown && o->n_loops == 0 && o->n_inflight == 0 && o->n_kholders == 0)
		r = asprintf(
			&o->hint,
			"no process residue could read holds it: one it could not read may, or "
			"a kernel object does; run as root with all its capabilities to tell%s%s",
			o->pinned_known ? "; it pins " : "", bytes);
	else if (o->n_loops == 1 && idle)
		r = asprintf(&o->hint,
			     "detach the loop device bound to a file of it%s: losetup -d %s, or "
			     "residue release %u:%u --detach-loops",
			     gain, idle->name, major(o->dev), minor(o->dev));
	else if (o->n_loops == 1)
		r = asprintf(
			&o->hint,
			"something uses %s (a filesystem on it, a device-mapper holder), the loop "
			"device bound to a file of it: release that, then losetup -d %s%s",
			s->loops[o->loops[0]].name, s->loops[o->loops[0]].name, gain);
	else if (o->n_loops == 0 && o->n_inflight > 0)
		r = inflight_hint(s, o, bytes);
	else if (o->n_loops == 0 && o->n_kholders > 0)
		r = kholder_hint(s, o, bytes);
	else if (o->n_loops > 1)
		r = asprintf(&o->hint,
			     "%zu loop devices are bound to files of it (%s, …): losetup -d each, "
			     "once nothing uses it%s",
			     o->n_loops, s->loops[o->loops[0]].name, gain);
	else
		r = asprintf(&o->hint,
			     "no process holds it, nor any kernel holder residue can name (loop "
			     "devices, files in flight, io_uring fixed files, fsopen contexts, "
			     "overlays): another kernel object does, such as an io_uring request "
			     "still waiting on a file of it, a binfmt_misc interpreter, a swap or "
			     "accounting file; look for processes that used it last%s%s",
			     o->pinned_known ? "; it pins " : "", bytes);
	if (r < 0) {
		o->hint = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Superblocks alive and mounted nowhere that no process holds (the BPF
 * superblock walk): kept by the kernel itself.  Never dropped for want of a
 * holder's name; the kernel's own filesystems (sockfs, nsfs… by magic, and
 * whatever has SB_KERNMOUNT) are none.
 */
static int collect_kernel_held(const Snapshot *s, OrphanReport *rep, size_t *cap)
{
	for (size_t i = 0; i < s->n_ksbs; i++) {
		const KernelSb *k = &s->ksbs[i];
		bool known = false;
		if (!ksb_is_unmounted(s, k) || fs_magic_is_internal(k->magic))
			continue;
		for (size_t j = 0; j < rep->n_orphans && !known; j++)
			known = rep->orphans[j].dev == k->dev;
		if (known)
			continue;
		Orphan *o = ARRAY_PUSH(rep->orphans, rep->n_orphans, *cap);
		if (!o)
			return -ENOMEM;
		o->dev = k->dev;
		o->sb = snapshot_find_sb(s, k->dev);
		o->state = ORPHAN_ORPHANED;
		o->kernel_held = true;
		o->holder_unknown = !snapshot_processes_complete(s);
		o->risk = o->sb && o->sb->memory_backed ? RISK_MEMORY : RISK_NONE;
		o->pinned_known = o->sb && o->sb->have_used;
		o->pinned_bytes = o->pinned_known ? o->sb->used_bytes : 0;
		int r = name_kernel_holders(s, o);
		if (r < 0)
			return r;
	}
	return 0;
}

static int collect_orphans(const Snapshot *s, OrphanReport *rep)
{
	size_t cap = 0;

	for (size_t i = 0; i < s->n_holders; i++) {
		const Holder *h = &s->holders[i];
		if (!h->has_detail || !holder_is_unattached(s, h))
			continue;
		/* Mounted elsewhere: the superblock is alive; this mount pins nothing more. */
		if (holder_sb_is_live(s, h))
			continue;
		Orphan *o = NULL;
		for (size_t j = 0; j < rep->n_orphans && !o; j++)
			if (rep->orphans[j].dev == h->dev)
				o = &rep->orphans[j];
		if (!o) {
			o = ARRAY_PUSH(rep->orphans, rep->n_orphans, cap);
			if (!o)
				return -ENOMEM;
			o->dev = h->dev;
			o->sb = snapshot_find_sb(s, h->dev);
		}
		size_t *slot = realloc(o->holders, (o->n_holders + 1) * sizeof(*o->holders));
		if (!slot)
			return -ENOMEM;
		o->holders = slot;
		o->holders[o->n_holders++] = i;
	}
	int r = collect_kernel_held(s, rep, &cap);
	if (r < 0)
		return r;
	for (size_t j = 0; j < rep->n_orphans; j++) {
		Orphan *o = &rep->orphans[j];
		bool writes = false;
		o->state = ORPHAN_ORPHANED;
		for (size_t k = 0; k < o->n_holders; k++) {
			const Holder *h = &s->holders[o->holders[k]];
			/* The kernel's word (BPF tier), else the O_PATH mount-root heuristic. */
			if (h->mnt_state == MNT_STATE_DETACHED ||
			    (h->mnt_state == MNT_STATE_UNKNOWN && h->how == HOLD_MOUNT_FD))
				o->state = ORPHAN_DETACHED;
			writes |= h->writes;
		}
		if (o->kernel_held)
			continue; /* the walk's, below */
		o->risk = RISK_NONE;
		if (o->sb && o->sb->memory_backed)
			o->risk = RISK_MEMORY;
		else if (o->sb && o->sb->block_backed && writes)
			o->risk = RISK_DATA_LOSS;
		o->pinned_known = o->sb && o->sb->have_used;
		o->pinned_bytes = o->pinned_known ? o->sb->used_bytes : 0;
		if (!(o->hint = orphan_hint(s, o)))
			return -ENOMEM;
	}
	return 0;
}

/*
 * How nsenter gets into @ns: "-t PID -m" with a user process of it (never a
 * kernel thread: all of them are in the host's namespace, pid 2 is named
 * only when pid 1 cannot be read, and the command would work by luck);
 * with none, "--mount=FILE" through what keeps it: an nsfs fd a process
 * holds, or an nsfs bind mount, reached through the root of a user process
 * of the namespace the bind lives in.  NULL when there is no way in (or no
 * memory).
 */
static char *ns_entry(const Snapshot *s, const MountNs *ns)
{
	char *e = NULL;

	if (ns->pid > 0 && !ns->pid_is_kthread)
		return asprintf(&e, "-t %d -m", ns->pid) < 0 ? NULL : e;
	for (size_t j = 0; s->nsfs_dev && j < s->n_holders; j++) {
		const Holder *h = &s->holders[j];
		if (h->how == HOLD_FD && h->dev == s->nsfs_dev && h->ino == ns->ino)
			return asprintf(&e, "--mount=/proc/%d/fd/%d", s->procs[h->proc].pid,
					h->fd) < 0 ?
				       NULL :
				       e;
	}
	for (size_t j = 0; j < s->n_nsbinds; j++) {
		const NsBind *b = &s->nsbinds[j];
		const MountNs *in =
			b->target_ino == ns->ino ? snapshot_find_ns(s, b->in_ns_id) : NULL;
		if (in && in->pid > 0 && !in->pid_is_kthread)
			return asprintf(&e, "--mount=/proc/%d/root%s", in->pid, b->path) < 0 ?
				       NULL :
				       e;
	}
	return NULL;
}

static char *ns_hint(const Snapshot *s, const LonelyNs *l)
{
	char *hint = NULL;
	int r;

	if (l->n_holders == 0)
		return strdup(
			"no holder visible: it is being torn down, or held from where residue cannot look");
	const NsHolder *nh = &l->holders[0];
	if (nh->kind == NS_HOLDER_FD) {
		const Holder *h = &s->holders[nh->index];
		const Process *p = &s->procs[h->proc];
		r = asprintf(&hint, "close fd %d of pid %d (%s)%s", h->fd, p->pid, p->comm,
			     l->n_holders > 1 ? " and the other holders" : "");
	} else {
		const NsBind *b = &s->nsbinds[nh->index];
		const MountNs *in = snapshot_find_ns(s, b->in_ns_id);
		_cleanup_free_ char *enter = in ? ns_entry(s, in) : NULL;
		if (enter)
			r = asprintf(&hint, "nsenter %s umount %s%s", enter, b->path,
				     l->n_holders > 1 ? ", and the other holders" : "");
		else
			r = asprintf(&hint,
				     "umount %s in mount namespace %llu (no process to nsenter)%s",
				     b->path, (unsigned long long)b->in_ns_id,
				     l->n_holders > 1 ? ", and the other holders" : "");
	}
	return r < 0 ? NULL : hint;
}

/* Does a process-less namespace of @rep other than the @i-th, and before it if @before, keep @dev? */
static bool other_keeps(const OrphanReport *rep, size_t i, uint64_t dev, bool before)
{
	for (size_t j = 0; j < (before ? i : rep->n_nss); j++)
		for (size_t m = 0; j != i && m < rep->nss[j].ns->n_kept; m++)
			if (rep->nss[j].ns->kept[m].dev == dev)
				return true;
	return false;
}

/*
 * A superblock two process-less namespaces keep goes only when both do: mark
 * it shared, and count its bytes once in the total.
 */
static int mark_shared_kept(OrphanReport *rep)
{
	rep->nss_bytes = 0;
	for (size_t i = 0; i < rep->n_nss; i++) {
		LonelyNs *l = &rep->nss[i];
		if (!l->ns->kept_known) {
			rep->nss_bytes += l->ns->tmpfs_known ? l->ns->tmpfs_bytes : 0;
			continue;
		}
		if (l->ns->n_kept && !(l->kept_shared = calloc(l->ns->n_kept, sizeof(bool))))
			return -ENOMEM;
		for (size_t k = 0; k < l->ns->n_kept; k++) {
			const KeptFs *f = &l->ns->kept[k];
			l->kept_shared[k] = other_keeps(rep, i, f->dev, false);
			if (f->bytes_known && !other_keeps(rep, i, f->dev, true))
				rep->nss_bytes += f->bytes;
		}
	}
	return 0;
}

static int collect_lonely_namespaces(const Snapshot *s, OrphanReport *rep)
{
	size_t cap = 0;

	for (size_t i = 0; i < s->n_nss; i++) {
		const MountNs *ns = &s->nss[i];
		if (ns->nr_procs > 0 || ns->gone)
			continue;
		LonelyNs *l = ARRAY_PUSH(rep->nss, rep->n_nss, cap);
		if (!l)
			return -ENOMEM;
		l->ns = ns;
		size_t hcap = 0;
		for (size_t j = 0; j < s->n_holders; j++) {
			const Holder *h = &s->holders[j];
			if (h->how != HOLD_FD || !s->nsfs_dev || h->dev != s->nsfs_dev ||
			    h->ino != ns->ino || strcmp(s->procs[h->proc].comm, NSPROBE_COMM) == 0)
				continue;
			NsHolder *nh = ARRAY_PUSH(l->holders, l->n_holders, hcap);
			if (!nh)
				return -ENOMEM;
			*nh = (NsHolder){ NS_HOLDER_FD, j };
		}
		for (size_t j = 0; j < s->n_nsbinds; j++) {
			if (s->nsbinds[j].target_ino != ns->ino)
				continue;
			NsHolder *nh = ARRAY_PUSH(l->holders, l->n_holders, hcap);
			if (!nh)
				return -ENOMEM;
			*nh = (NsHolder){ NS_HOLDER_BIND, j };
		}
		/*
		 * Nothing visible keeps it: if some process's namespace could not be
		 * read (pid 1 here), that process may well live in this one.
		 */
		if (l->n_holders == 0 && s->procs_ns_unknown > 0) {
			free(l->holders);
			rep->n_nss--;
			continue;
		}
		if (!(l->hint = ns_hint(s, l)))
			return -ENOMEM;
	}
	return mark_shared_kept(rep);
}

int analyze_orphans(const Snapshot *s, OrphanReport **ret)
{
	OrphanReport *rep = calloc(1, sizeof(*rep));
	int r;

	if (!rep)
		return -ENOMEM;
	r = collect_orphans(s, rep);
	if (r == 0)
		r = collect_lonely_namespaces(s, rep);
	if (r == 0)
		r = analyze_dead_superblocks(s, rep);
	if (r < 0) {
		orphan_report_free(rep);
		return r;
	}
	*ret = rep;
	return 0;
}

OrphanReport *orphan_report_free(OrphanReport *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_orphans; i++) {
		free(r->orphans[i].holders);
		free(r->orphans[i].loops);
		free(r->orphans[i].inflight);
		free(r->orphans[i].kholders);
		free(r->orphans[i].hint);
	}
	for (size_t i = 0; i < r->n_nss; i++) {
		free(r->nss[i].holders);
		free(r->nss[i].hint);
		free(r->nss[i].kept_shared);
	}
	for (size_t i = 0; i < r->n_dead; i++)
		free(r->dead[i].hint);
	free(r->orphans);
	free(r->nss);
	free(r->dead);
	free(r);
	return NULL;
}
