// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One scan of the host, in the order that keeps it cheap and honest:
 * namespaces and their mounts first (so a reference is "unattached" only if
 * its mount was in no namespace before we looked at it), then calibration
 * of kernel-internal mounts, then every process's references, then (for
 * the census) every namespace's table, which also serves the orphan passes
 * as the list of mounted superblocks and nsfs binds.  Only when
 * some reference is unattached do we pay for the rest: a re-check of every
 * namespace (a namespace created mid-scan must not produce an orphan), the
 * superblocks of all mounts, and a close look at the unattached holders.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/macro.h"
#include "bpf/refs-loader.h"
#include "collect.h"
#include "privilege.h"

/* Record that the phase @name ended now; *t is when it began, and becomes now. */
static void phase(Snapshot *s, const char *name, double *t)
{
	double n = mono_ms();
	if (s->n_phases < ARRAY_SIZE(s->phases)) {
		s->phases[s->n_phases].name = name;
		s->phases[s->n_phases++].ms = n - *t;
	}
	*t = n;
}

static size_t count_unattached(const Snapshot *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_holders; i++)
		n += holder_is_unattached(s, &s->holders[i]);
	return n;
}

/* Does some unattached holder's superblock need the statmount pass to tell if it is mounted? */
static bool needs_live_devs(const Snapshot *s)
{
	for (size_t i = 0; i < s->n_holders; i++) {
		const Holder *h = &s->holders[i];
		if (holder_is_unattached(s, h) && h->sb_live == SB_LIVE_UNKNOWN)
			return true;
	}
	return false;
}

/*
 * A one-shot scan loads the reference iterators (15 ms of verifier time)
 * while it walks the namespaces and calibrates, on the other CPU.
 */
typedef struct RefsLoad {
	pthread_t thread;
	bool started;
	RefsBpf *bpf;
	int error;
} RefsLoad;

static void *refs_load(void *userdata)
{
	RefsLoad *l = userdata;
	l->error = refs_bpf_open(&l->bpf);
	return NULL;
}

/* Wait for the load; on success @o refers to the programs (the caller frees them). */
static void refs_load_join(RefsLoad *l, Snapshot *s, ScanOptions *o)
{
	if (!l->started)
		return;
	pthread_join(l->thread, NULL);
	l->started = false;
	if (l->bpf) {
		o->refs_bpf = l->bpf;
	} else {
		s->bpf_error = -l->error;
		o->no_bpf = true; /* the /proc tier, and bpf_error says why */
	}
}

int scan_host(const ScanOptions *o, Snapshot **ret)
{
	Snapshot *s = snapshot_new();
	double t = mono_ms();
	RefsLoad load = { 0 };
	ScanOptions loaded = *o;
	int r;

	if (!s)
		return -ENOMEM;
	s->uid = getuid();
	s->self_pid = getpid();
	s->bpf_error = -o->refs_bpf_error;
	r = collect_privilege(s);
	if (r < 0)
		goto fail;
	ScanOptions fallback = *o;
	if (privilege_needs_fallback(s, o)) {
		fallback.force_fallback = true;
		o = &fallback;
	}
	if (o->want_orphans && !o->no_bpf && !o->refs_bpf && !o->force_fallback)
		load.started = pthread_create(&load.thread, NULL, refs_load, &load) == 0;
	/* With the BPF tier all but sure there is no live set to build, unless it fails. */
	s->live_mnt_ids_deferred =
		(o->refs_bpf != NULL || load.started) && !o->no_bpf && !o->force_fallback;

	r = collect_mount_namespaces(s, o);
	if (r < 0)
		goto fail;
	phase(s, "namespaces and mount ids", &t);
	ref_stat_use_old_ids(!s->has_listmount);
	/* Only orphan detection must tell kernel-internal mounts from orphans. */
	if (o->want_orphans) {
		r = collect_calibrate(s);
		if (r < 0)
			goto fail;
	}
	if (load.started) {
		loaded = *o;
		refs_load_join(&load, s, &loaded);
		o = &loaded;
	}
	r = collect_processes(s, o);
	if (r < 0)
		goto fail;
	phase(s, "processes and references", &t);
	/*
	 * Every superblock and where it is mounted: the orphans no process holds
	 * (a loop device's backing file, an fd in flight) are seen only this way.
	 * Also where references came from /proc because the kernel has no
	 * listmount (6.1): the programs loaded, and the walk needs none of it.
	 */
	if (o->want_orphans && o->refs_bpf && !o->no_bpf) {
		if (s->sb_walk_ran) {
			r = s->sb_walk_error; /* it ran beside the references */
		} else {
			r = refs_bpf_walk_sbs(o->refs_bpf, s);
			phase(s, "superblock walk", &t);
		}
		if (r == 0) {
			r = collect_sb_walk_confirm(s, o->refs_bpf);
			if (r > 0) {
				phase(s, "superblock walk again, 250 ms later", &t);
				r = 0;
			}
		}
		if (r == -ENOMEM)
			goto fail;
		if (r < 0 && snapshot_add_gap(s, "superblocks: the BPF superblock walk failed",
					      "walk_sbs", -r) < 0)
			goto fail;
	}
	/* Without the walk, superblocks that only the kernel holds cannot be seen: say so. */
	if (o->want_orphans && !s->sb_walk) {
		r = snapshot_add_gap(s, GAP_WHAT_NO_SB_WALK, "walk_sbs",
				     s->bpf_error > 0 ? s->bpf_error : EOPNOTSUPP);
		if (r < 0)
			goto fail;
	}
	/* The kernel said no to BPF: the /proc tier found the same, but the report says why. */
	if (!s->used_bpf && privilege_bpf_refusal(s->bpf_error)) {
		r = snapshot_add_gap(
			s,
			s->bpf_error == EPROTO ?
				"references: the BPF programs misread this kernel's "
				"structures, read through /proc instead" :
				"references: BPF tier refused, read through /proc instead",
			"bpf", s->bpf_error);
		if (r < 0)
			goto fail;
	}
	/*
	 * The census's tables, read now, also say which superblocks are mounted
	 * and where nsfs files are bound: the orphan passes below need not
	 * statmount every mount again.
	 */
	if (o->want_census) {
		r = collect_representatives(s, o);
		if (r < 0)
			goto fail;
		r = collect_mount_tables(s, o);
		if (r < 0)
			goto fail;
		phase(s, "mount tables", &t);
	}

	/*
	 * The BPF tier read each mount's state from the kernel: nothing to
	 * re-check, and the superblocks to look up only where its walk was cut short.
	 */
	if (o->want_orphans && count_unattached(s) > 0) {
		if (!s->used_bpf) {
			r = collect_recheck_unattached(s, o);
			if (r < 0)
				goto fail;
			phase(s, "re-check of unattached references", &t);
		}
		if (count_unattached(s) > 0 && needs_live_devs(s)) {
			r = collect_mount_details(s, o);
			if (r < 0)
				goto fail;
			phase(s, "superblocks of all mounts", &t);
		}
		if (count_unattached(s) > 0) {
			r = collect_probe_unattached(s, o);
			if (r < 0)
				goto fail;
			phase(s, "probe of unattached references", &t);
		}
	}
	if (o->want_orphans && s->sb_walk) {
		r = collect_unheld_superblocks(s);
		/* Who holds them: loop devices; files in flight, io_uring, fsopen, overlays. */
		bool loops_read = r > 0;
		if (r > 0) {
			r = collect_loop_devices(s);
			if (r >= 0)
				r = collect_kernel_holders(s, o);
			phase(s, "kernel holders", &t);
		}
		/*
		 * A dead superblock: which loop device stays bound under it.  The
		 * ioctl asks the loop driver and the backing file's filesystem,
		 * never the dead superblock's.
		 */
		bool dead = false;
		for (size_t i = 0; i < s->n_ksbs && !dead; i++)
			dead = ksb_is_dead(&s->ksbs[i]);
		if (r >= 0 && dead && !loops_read)
			r = collect_loop_devices(s);
		/*
		 * The rest are orphans too, their holder unnamed: the kernel keeps them
		 * (an io_uring request, binfmt_misc, swap, acct...).  A namespace being
		 * torn down is not among them: the confirmation saw none of its signs.
		 */
		if (r < 0)
			goto fail;
	}
	/* Without the walk, a loop device still names an orphan no process holds. */
	if (o->want_orphans && !s->sb_walk) {
		r = collect_loop_orphans(s, o);
		if (r < 0)
			goto fail;
	}
	/* Process-less namespaces: who keeps them (nsfs bind mounts) and what they hold. */
	bool procless = false;
	for (size_t i = 0; i < s->n_nss; i++)
		procless |= s->nss[i].nr_procs == 0;
	if (o->want_orphans && procless) {
		r = collect_mount_details(s, o);
		if (r < 0)
			goto fail;
		r = collect_ns_tmpfs_bytes(s, o);
		if (r < 0)
			goto fail;
		phase(s, "process-less namespaces", &t);
	}
	if (o->want_orphans || o->want_census) {
		r = collect_process_names(s, o->want_census, o->ns_cache);
		if (r < 0)
			goto fail;
	}
	*ret = s;
	refs_bpf_free(load.bpf); /* ours only: a caller's programs are not in @load */
	return 0;
fail:
	refs_load_join(&load, s, &loaded);
	refs_bpf_free(load.bpf);
	snapshot_free(s);
	return r;
}
