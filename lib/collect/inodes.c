// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * residue inodes' collector (collect/inodes.h): two samples of the BPF walk
 * @interval apart, judged by analyze_inodes().  Reaches every superblock
 * from a memfd of its own through the kernel's superblock list, so it never
 * opens, stats or statfs's a file of the filesystems it audits: a FUSE, NFS,
 * CIFS or 9p server that does not answer cannot hang it.
 */
#include "collect/inodes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "analyze/inodes.h"
#include "base/array.h"
#include "base/fileio.h"
#include "base/clock.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "bpf/inodes-loader.h"
#include "bpf/kholders-loader.h"
#include "bpf/kholders.h"
#include "collect/collect.h"
#include "collect/zombies.h"

static uint64_t kernel_dev(uint64_t dev)
{
	return (uint64_t)major(dev) << 20 | minor(dev);
}

struct InodeAuditor {
	InodeAuditOptions o;
	InodesBpf *b;
	int error; /* the skeleton did not load: -errno, not tried again */
	KholdersBpf *kb; /* the kernel-holder walks (kholders.bpf.c) */
	int kb_error;
	/* The last audit's findings before keep_persistent() (have_raw: there was one) */
	InoFinding *raw;
	size_t n_raw;
	bool have_raw;
	InoSample prev; /* the last sample, for the next audit to compare with */
	bool have_prev;
	double prev_ms; /* when it was taken (CLOCK_MONOTONIC) */
};

int inode_auditor_new(const InodeAuditOptions *o, InodeAuditor **ret)
{
	InodeAuditor *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->o = *o;
	*ret = x;
	return 0;
}

InodeAuditor *inode_auditor_free(InodeAuditor *x)
{
	if (!x)
		return NULL;
	inodes_bpf_free(x->b);
	kholders_bpf_free(x->kb);
	free(x->raw);
	ino_sample_clear(&x->prev);
	free(x);
	return NULL;
}

static void sleep_s(double s)
{
	struct timespec d = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - (double)(time_t)s) * 1e9),
	};
	while (nanosleep(&d, &d) < 0 && errno == EINTR)
		;
}

/* The devices (as makedev() makes them) of the dentries the walk could not explain, sorted. */
static int candidate_devs(const InoSample *a, const InoSample *b, uint64_t **ret, size_t *ret_n)
{
	uint64_t *devs = NULL;
	size_t n = 0;
	const InoSample *ss[] = { a, b };

	for (size_t k = 0; k < ARRAY_SIZE(ss); k++)
		for (size_t i = 0; i < ss[k]->n_objs; i++) {
			const InoObj *o = &ss[k]->objs[i];
			uint64_t dev =
				makedev((unsigned)(o->dev >> 20), (unsigned)(o->dev & 0xfffff));
			bool seen = false;
			if (o->kind != INO_OBJ_DENTRY)
				continue;
			for (size_t j = 0; j < n && !seen; j++)
				seen = devs[j] == dev;
			if (seen)
				continue;
			uint64_t *m = reallocarray(devs, n + 1, sizeof(*devs));
			if (!m) {
				free(devs);
				return -ENOMEM;
			}
			devs = m;
			devs[n++] = dev;
		}
	*ret = devs;
	*ret_n = n;
	return 0;
}

static int add_kfile(InoKernelFile **kf, size_t *n, size_t *cap, uint64_t dev, uint64_t ino,
		     const char *holder)
{
	InoKernelFile *k = ARRAY_PUSH(*kf, *n, *cap);
	if (!k)
		return -ENOMEM;
	*k = (InoKernelFile){ .dev = kernel_dev(dev), .ino = ino, .holder = holder };
	return 0;
}

/*
 * The files the kernel holds outside fd tables that residue's own walks
 * name, each of which holds its dentry once: loop devices' backing files,
 * io_uring fixed files and files in flight in unix sockets (SCM_RIGHTS),
 * the last two through kholders.bpf.c (as for orphans, collect/kholders.c).
 * A holder walk that fails or reads in part makes the audit's unexplained
 * dentry counts unknown (kernel_holders_unknown) rather than findings.
 */
static int kernel_files(InodeAuditor *x, const InoSample *prev, const InoSample *cur, InodeAudit *a,
			Snapshot *ls, InoKernelFile **ret, size_t *ret_n)
{
	_cleanup_free_ uint64_t *devs = NULL;
	InoKernelFile *kf = NULL;
	size_t n = 0, cap = 0, n_devs = 0;
	int r;

	(void)collect_loop_devices(ls); /* a gap there only leaves their references unexplained */
	for (size_t i = 0; i < ls->n_loops; i++)
		if ((r = add_kfile(&kf, &n, &cap, ls->loops[i].back_dev, ls->loops[i].back_ino,
				   "loop")) < 0)
			goto fail;
	if ((r = candidate_devs(prev, cur, &devs, &n_devs)) < 0)
		goto fail;
	KholdersBpf **kb = x->o.kholders_bpf ? x->o.kholders_bpf : &x->kb;
	if (n_devs && !*kb && !x->kb_error) {
		r = kholders_bpf_open(kb);
		x->kb_error = r < 0 ? r : 0;
		if (r == -ENOMEM)
			goto fail;
	}
	if (n_devs && !*kb) {
		a->kernel_holders_unknown = true;
		r = inode_audit_add_gap(a, "kernel holders: io_uring fixed files, files in flight",
					"bpf", -x->kb_error);
		if (r < 0)
			goto fail;
	} else if (n_devs) {
		size_t gaps = ls->n_gaps;
		r = kholders_bpf_inflight(*kb, ls);
		if (r == -ENOMEM)
			goto fail;
		/* The program takes RS_KHOLDER_DEVS_MAX devices a run (more are dropped unsaid). */
		int r2 = r;
		for (size_t i = 0; r2 >= 0 && i < n_devs; i += RS_KHOLDER_DEVS_MAX)
			r2 = kholders_bpf_files(*kb, ls, devs + i,
						MIN(n_devs - i, (size_t)RS_KHOLDER_DEVS_MAX));
		if (r2 == -ENOMEM) {
			r = r2;
			goto fail;
		}
		if (r < 0 || r2 < 0 || ls->n_gaps > gaps) {
			a->kernel_holders_unknown = true;
			r = inode_audit_add_gap(
				a,
				"kernel holders: io_uring fixed files, files in flight (in part)",
				"bpf_iter",
				r < 0  ? -r :
				r2 < 0 ? -r2 :
					 EAGAIN);
			if (r < 0)
				goto fail;
		}
		for (size_t i = 0; i < ls->n_inflight; i++)
			if (ls->inflight[i].kind == INFLIGHT_FILE &&
			    (r = add_kfile(&kf, &n, &cap, ls->inflight[i].dev, ls->inflight[i].ino,
					   "inflight")) < 0)
				goto fail;
		for (size_t i = 0; i < ls->n_kholders; i++)
			if (ls->kholders[i].kind == KHOLDER_IO_URING &&
			    (r = add_kfile(&kf, &n, &cap, ls->kholders[i].dev, ls->kholders[i].ino,
					   "io_uring")) < 0)
				goto fail;
	}
	*ret = kf;
	*ret_n = n;
	return 0;
fail:
	free(kf);
	return r;
}

/* Judge @prev against @cur, with the files the kernel holds that residue names. */
static int judge(InodeAuditor *x, const InoSample *prev, const InoSample *cur, InodeAudit *a)
{
	Snapshot *ls = snapshot_new();
	InoKernelFile *kf = NULL;
	size_t n = 0;

	if (!ls)
		return -ENOMEM;
	int r = kernel_files(x, prev, cur, a, ls, &kf, &n);
	if (r == 0)
		r = analyze_inodes(prev, cur, kf, n, a);
	free(kf);
	snapshot_free(ls);
	return r;
}

static bool same_finding(const InoFinding *a, const InoFinding *b)
{
	return a->kind == b->kind && a->dentry == b->dentry && a->inode == b->inode &&
	       a->count == b->count && a->holders_fp == b->holders_fp;
}

/*
 * A kept auditor's samples are minutes apart, and a busy directory's count
 * (a build tree: cwds and lookups of a hundred processes) can be the same,
 * with one lookup in flight, at two instants by chance.  So from its second
 * audit on, a finding must also have been one of the audit before: three
 * samples at the same address with the same count.  What only this audit
 * shows is transient.  The unfiltered findings are kept for the next audit.
 */
static int keep_persistent(InodeAuditor *x, InodeAudit *a)
{
	InoFinding *raw = NULL;
	size_t n_raw = a->n_findings;

	if (a->n_findings && !(raw = malloc(a->n_findings * sizeof(*raw))))
		return -ENOMEM;
	if (a->n_findings)
		memcpy(raw, a->findings, a->n_findings * sizeof(*raw));
	if (x->have_raw) {
		size_t keep = 0;
		for (size_t i = 0; i < a->n_findings; i++) {
			bool before = false;
			for (size_t j = 0; j < x->n_raw && !before; j++)
				before = same_finding(&a->findings[i], &x->raw[j]);
			if (before) {
				a->findings[keep++] = a->findings[i];
				continue;
			}
			a->n_kind[a->findings[i].kind]--;
			a->transient++;
			for (size_t k = 0; k < a->n_sbs; k++)
				if (a->sbs[k].dev == a->findings[i].dev && a->sbs[k].findings)
					a->sbs[k].findings--;
		}
		a->n_findings = keep;
	}
	free(x->raw);
	x->raw = raw;
	x->n_raw = n_raw;
	x->have_raw = true;
	return 0;
}

int inode_auditor_load(InodeAuditor *x)
{
	if (!x->b && !x->error) {
		int r = inodes_bpf_open(&x->b);
		if (r == -ENOMEM)
			return r; /* not remembered: the next audit tries again */
		x->error = r < 0 ? r : 0;
	}
	return x->b ? 0 : x->error;
}

int inode_auditor_run(InodeAuditor *x, InodeAudit **ret)
{
	InodeAudit *a = calloc(1, sizeof(*a));
	InoSample cur = { 0 };
	uint64_t kdev = x->o.dev ? kernel_dev(x->o.dev) : 0;
	double t0 = mono_ms();
	int r;

	if (!a)
		return -ENOMEM;
	a->target_dev = kdev;
	a->interval_s = x->o.interval_s > 0 ? x->o.interval_s : INODE_AUDIT_INTERVAL_S;
	if ((r = inode_auditor_load(x)) == -ENOMEM)
		goto out;
	if (!x->b) {
		a->error = x->error;
		r = inode_audit_add_gap(a, "dentry and inode audit (BPF iterators)", "bpf",
					-x->error);
		goto out;
	}
	r = 0;
	if (!x->have_prev) {
		r = inodes_bpf_sample(x->b, kdev, x->o.chunk, &x->prev);
		x->prev_ms = mono_ms();
		if (r == 0)
			sleep_s(a->interval_s);
	} else {
		a->interval_s = (mono_ms() - x->prev_ms) / 1e3;
	}
	if (r == 0)
		r = inodes_bpf_sample(x->b, kdev, x->o.chunk, &cur);
	double cur_ms = mono_ms();
	x->have_prev = false; /* until this audit has a sample to hand on */
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		a->error = r;
		r = inode_audit_add_gap(a, "dentry and inode walk", "bpf_iter", -r);
		goto out;
	}
	r = judge(x, &x->prev, &cur, a);
	if (r == 0)
		r = keep_persistent(x, a);
	if (r == 0)
		r = ino_sample_reduce(&cur); /* kept until the next audit: only what it compares */
	if (r < 0)
		goto out;
	if (!a->interval_s || x->prev_ms < t0) {
		/* The earlier sample was an earlier audit's cost, not this one's. */
		a->walk_ms[0] = a->holders_ms[0] = 0;
		a->chunks = cur.chunks;
	}
	ino_sample_clear(&x->prev);
	x->prev = cur;
	cur = (InoSample){ 0 };
	x->have_prev = true;
	x->prev_ms = cur_ms;
	a->ran = true;
	if (x->o.dev && !a->n_sbs)
		r = inode_audit_add_gap(
			a, "the superblock asked for (not on the kernel's list, or skipped)",
			"walk", ENOENT);
	if (r == 0 && !a->complete)
		r = inode_audit_add_gap(a, "dentry and inode walk (cut short, or records dropped)",
					"walk", EAGAIN);
out:
	ino_sample_clear(&cur);
	a->ms = mono_ms() - t0;
	if (r == -ENOMEM) {
		inode_audit_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

/*
 * One audit, for a one-shot command: two samples, and where they agree on a
 * finding, a third sample later, judged as the agent judges its audits
 * (keep_persistent()).  Two samples a quarter of a second apart let a busy
 * host's directory (a benchmark's or a build's lookups in flight) match by
 * chance: `residue --check --inodes` said "1 leaked" once beside a running
 * benchmark, and nothing when asked again.  A healthy host pays no third walk.
 */
int audit_inodes(const InodeAuditOptions *o, InodeAudit **ret)
{
	InodeAuditor *x = NULL;
	InodeAudit *first = NULL;
	double t0 = mono_ms();
	int r = inode_auditor_new(o, &x);

	if (r < 0)
		return r;
	r = inode_auditor_run(x, &first);
	if (r == 0 && first->ran && first->n_findings > 0) {
		sleep_s(first->interval_s);
		r = inode_auditor_run(x, ret);
		if (r == 0)
			(*ret)->ms = mono_ms() - t0;
		inode_audit_free(first);
	} else if (r == 0) {
		*ret = first;
	}
	inode_auditor_free(x);
	return r;
}

typedef struct DevOfPath {
	const char *path;
	uint64_t dev;
	bool found;
} DevOfPath;

static int dev_of_path(const MountinfoEntry *e, void *ctx)
{
	DevOfPath *d = ctx;
	/* The last match wins: a later mount over the same point hides the earlier. */
	if (strcmp(e->mount_point, d->path) == 0 || strcmp(e->source, d->path) == 0) {
		d->dev = makedev(e->major, e->minor);
		d->found = true;
	}
	return 0;
}

static int dev_from_mountinfo(const char *path, uint64_t *ret)
{
	DevOfPath d = { .path = path };
	int r = mountinfo_each(dev_of_path, &d);
	if (r < 0)
		return r;
	if (!d.found)
		return -ENOENT;
	*ret = d.dev;
	return 0;
}

int inode_audit_parse_dev(const char *arg, uint64_t *ret_dev)
{
	unsigned maj, min;
	char tail;
	struct stat st;

	if (sscanf(arg, "%u:%u%c", &maj, &min, &tail) == 2) {
		*ret_dev = makedev(maj, min);
		return 0;
	}
	int r = dev_from_mountinfo(arg, ret_dev);
	if (r != -ENOENT)
		return r;
	/* A block device node: /dev is devtmpfs, stat() there cannot hang. */
	if (strncmp(arg, "/dev/", 5) == 0 && stat(arg, &st) == 0 && S_ISBLK(st.st_mode)) {
		*ret_dev = st.st_rdev;
		return 0;
	}
	return -ENOENT;
}
