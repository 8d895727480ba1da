// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dead superblocks: a filesystem whose unmount died in the kernel.  On
 * kernels built with CONFIG_BUG_ON_DATA_CORRUPTION (Debian's 6.1 and 6.12
 * cloud kernels, this project's 6.18) a leaked inode or dentry reference
 * turns generic_shutdown_super()'s "VFS: Busy inodes after unmount" check
 * into a kernel BUG: the unmounting task dies holding s_umount for writing,
 * and the superblock stays on the kernel's list with no root, no active
 * reference and (6.6+) neither SB_DYING nor SB_DEAD.  Every later walk of
 * all superblocks that locks each one -- sync(2), drop_caches, a quota sync
 * of every filesystem -- blocks on that lock forever, and the block device
 * under it (a loop device) is never released.  Nothing but a reboot undoes
 * it.  Found by the BPF superblock walk (collect/sb-walk.c confirms it in two
 * walks); residue itself never calls sync or anything that walks
 * superblocks through the VFS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "base/array.h"
#include "orphans.h"

static char *dead_hint(const Snapshot *s, const DeadSb *d)
{
	const KernelSb *k = d->ksb;
	const LoopDev *l = d->loop != SIZE_MAX ? &s->loops[d->loop] : NULL;
	char under[512] = "";
	char *hint = NULL;

	if (l)
		snprintf(under, sizeof(under), "; %s stays bound%s%s and cannot be detached",
			 l->name, l->backing ? " to " : "", l->backing ? l->backing : "");
	if (asprintf(&hint,
		     "%s on %s died in its unmount (a kernel BUG in the superblock's teardown, "
		     "typically \"Busy inodes after unmount\": a leaked reference) and stays half "
		     "torn down with its s_umount lock held%s.  sync(1)/sync(2), "
		     "echo N > /proc/sys/vm/drop_caches and anything else that walks every "
		     "superblock will hang forever in D state: do not run them.  Only a reboot "
		     "frees it: drain the node and reboot it.",
		     k->named && k->fstype[0] ? k->fstype : "a filesystem",
		     k->named && k->s_id[0] ? k->s_id : "its device", under) < 0)
		return NULL;
	return hint;
}

int analyze_dead_superblocks(const Snapshot *s, OrphanReport *rep)
{
	size_t cap = 0;

	for (size_t i = 0; i < s->n_ksbs; i++) {
		const KernelSb *k = &s->ksbs[i];
		if (!ksb_is_dead(k))
			continue;
		DeadSb *d = ARRAY_PUSH(rep->dead, rep->n_dead, cap);
		if (!d)
			return -ENOMEM;
		*d = (DeadSb){ .ksb = k, .loop = SIZE_MAX };
		for (size_t j = 0; j < s->n_loops && d->loop == SIZE_MAX; j++)
			if (s->loops[j].rdev == k->dev)
				d->loop = j;
		d->hint = dead_hint(s, d);
		if (!d->hint)
			return -ENOMEM;
	}
	return 0;
}

const KernelLogFinding *dead_sb_log_finding(const KernelLog *l, const DeadSb *d)
{
	const KernelLogFinding *best = NULL;

	if (!l || !d->ksb->named || !d->ksb->s_id[0])
		return NULL;
	for (size_t i = 0; i < l->n; i++) {
		const KernelLogFinding *f = &l->items[i];
		if (f->kind != KLOG_BUSY_INODES || strcmp(f->dev, d->ksb->s_id) != 0 ||
		    (f->fstype[0] && d->ksb->fstype[0] && strcmp(f->fstype, d->ksb->fstype) != 0))
			continue;
		if (!best || f->seq > best->seq)
			best = f; /* the device's latest teardown is the one that died */
	}
	return best;
}
