// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The superblock walk of the BPF tier, taken twice when it finds a superblock
 * mounted nowhere: a namespace being torn down detaches its mounts (mnt_ns
 * NULL, MNT_UMOUNT) a moment before its superblocks lose SB_ACTIVE, so on a
 * host where containers die all the time one walk sees short-lived "orphans"
 * (4 KiB tmpfs of dying containers, two or three a scan, here), and on a
 * loaded 2-CPU host an exiting task can sit between exit_task_namespaces()
 * and the deferred fput() of its files for longer than 50 ms (beside 80
 * container deaths a second, 38 of 137 scans still had such a false orphan
 * with a 50 ms gap; 0 of 85 with 250 ms).  What is mounted nowhere in both
 * walks, 250 ms apart, is kept -- the same superblock:
 * same device and same first mount (unique mount ids are never reused), for
 * churning containers get the device numbers of those that just died.  Only superblocks that
 * no process holds need this: the second walk costs 250 ms only when there is one.
 *
 * A dead superblock (ksb_looks_dead: no root, no active reference, born and
 * never marked dying) is confirmed the same way: every unmount passes through
 * that state between shrink_dcache_for_umount() and the end of
 * generic_shutdown_super(), mostly for microseconds, for as long as
 * sync_filesystem() takes at most; one that a kernel BUG stopped there stays
 * forever.  Same device in both walks (its block device, or its anonymous
 * device number, is not given back while it is on the list).
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "bpf/refs-loader.h"
#include "collect.h"

#define SB_WALK_CONFIRM_MS 250

/*
 * Superblocks mounted nowhere that no process holds a file of (those that one
 * does are found, and re-checked, through their holders).
 */
static size_t count_unheld(const Snapshot *s)
{
	U64Set held = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < s->n_holders; i++)
		if (holder_is_unattached(s, &s->holders[i]))
			(void)u64set_add(&held, s->holders[i].dev); /* ENOMEM: one walk more */
	for (size_t i = 0; i < s->n_ksbs; i++) {
		const KernelSb *k = &s->ksbs[i];
		n += (ksb_is_unmounted(s, k) && !fs_magic_is_internal(k->magic) &&
		      !u64set_contains(&held, k->dev)) ||
		     ksb_is_dead(k);
	}
	u64set_done(&held);
	return n;
}

/*
 * A superblock whose first mount was in a namespace's mount table when this
 * scan listed them was mounted moments ago: that namespace died during the
 * scan and the kernel is still tearing it down (umount_tree(), an RCU grace
 * period, the deferred mntput), which under load takes longer than any
 * confirmation pause.  Never a finding now; if it is an orphan, the next
 * scan, which no longer finds it in a mount table, says so.  Under 60
 * container deaths a second the 250 ms pause alone let one scan in 40 name a
 * dying container's tmpfs as an orphan only the kernel holds.
 */
static int mark_torn_down(Snapshot *s)
{
	int r = snapshot_fill_live_mnt_ids(s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_ksbs; i++) {
		KernelSb *k = &s->ksbs[i];
		if (k->mnt_id && u64set_contains(&s->live_mnt_ids, k->mnt_id))
			k->transient = true;
	}
	return 0;
}

int collect_sb_walk_confirm(Snapshot *s, struct RefsBpf *b)
{
	int r;

	if (!s->sb_walk || count_unheld(s) == 0)
		return 0;
	r = mark_torn_down(s);
	if (r < 0)
		return r;
	if (count_unheld(s) == 0)
		return 0;
	KernelSb *first = s->ksbs;
	size_t n_first = s->n_ksbs;
	s->ksbs = NULL;
	s->n_ksbs = s->cap_ksbs = 0;
	struct timespec ts = { 0, SB_WALK_CONFIRM_MS * 1000000L };
	nanosleep(&ts, NULL);
	/*
	 * Files tasks are still closing, read after the first walk and before the
	 * second: a file a dying container's last task let go of before the first
	 * walk is either still queued now, or closed, and then its superblock's
	 * last mount is MNT_DOOMED or the superblock is gone by the second.
	 */
	r = refs_bpf_fputs(b, s);
	if (r >= 0)
		r = refs_bpf_walk_sbs(b, s);
	if (r < 0) {
		/* The first walk alone: its candidates unconfirmed, none is reported. */
		free(s->ksbs);
		s->ksbs = first;
		s->n_ksbs = s->cap_ksbs = n_first;
		for (size_t i = 0; i < s->n_ksbs; i++)
			s->ksbs[i].transient =
				ksb_is_unmounted(s, &s->ksbs[i]) || ksb_looks_dead(&s->ksbs[i]);
		return r;
	}
	for (size_t i = 0; i < s->n_ksbs; i++) {
		KernelSb *k = &s->ksbs[i];
		if (ksb_looks_dead(k)) {
			bool before = false;
			for (size_t j = 0; j < n_first && !before; j++)
				before = first[j].dev == k->dev && ksb_is_dead(&first[j]);
			k->transient = !before;
			continue;
		}
		if (!ksb_is_unmounted(s, k))
			continue;
		bool before = false;
		for (size_t j = 0; j < n_first && !before; j++)
			before = first[j].dev == k->dev && first[j].mnt_id == k->mnt_id &&
				 ksb_is_unmounted(s, &first[j]);
		k->transient = !before;
	}
	free(first);
	return 1;
}
