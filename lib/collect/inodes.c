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
#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "bpf/inodes-loader.h"
#include "collect/collect.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static uint64_t kernel_dev(uint64_t dev)
{
	return (uint64_t)major(dev) << 20 | minor(dev);
}

struct InodeAuditor {
	InodeAuditOptions o;
	InodesBpf *b;
	int error; /* the skeleton did not load: -errno, not tried again */
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

/* Judge @prev against @cur, with the files the kernel holds outside fd tables that residue names. */
static int judge(const InoSample *prev, const InoSample *cur, InodeAudit *a)
{
	Snapshot *ls = snapshot_new();
	if (!ls)
		return -ENOMEM;
	(void)collect_loop_devices(ls); /* a gap there only leaves their references unexplained */
	InoKernelFile *kf = ls->n_loops ? calloc(ls->n_loops, sizeof(*kf)) : NULL;
	for (size_t i = 0; kf && i < ls->n_loops; i++)
		kf[i] = (InoKernelFile){ .dev = kernel_dev(ls->loops[i].back_dev),
					 .ino = ls->loops[i].back_ino,
					 .holder = "loop" };
	int r = analyze_inodes(prev, cur, kf, kf ? ls->n_loops : 0, a);
	free(kf);
	snapshot_free(ls);
	return r;
}

int inode_auditor_run(InodeAuditor *x, InodeAudit **ret)
{
	InodeAudit *a = calloc(1, sizeof(*a));
	InoSample cur = { 0 };
	uint64_t kdev = x->o.dev ? kernel_dev(x->o.dev) : 0;
	double t0 = now_ms();
	int r;

	if (!a)
		return -ENOMEM;
	a->target_dev = kdev;
	a->interval_s = x->o.interval_s > 0 ? x->o.interval_s : INODE_AUDIT_INTERVAL_S;
	if (!x->b && !x->error) {
		r = inodes_bpf_open(&x->b);
		x->error = r < 0 ? r : 0;
		if (r == -ENOMEM)
			goto out;
	}
	if (!x->b) {
		a->error = x->error;
		r = inode_audit_add_gap(a, "dentry and inode audit (BPF iterators)", "bpf",
					-x->error);
		goto out;
	}
	r = 0;
	if (!x->have_prev) {
		r = inodes_bpf_sample(x->b, kdev, x->o.chunk, &x->prev);
		x->prev_ms = now_ms();
		if (r == 0)
			sleep_s(a->interval_s);
	} else {
		a->interval_s = (now_ms() - x->prev_ms) / 1e3;
	}
	if (r == 0)
		r = inodes_bpf_sample(x->b, kdev, x->o.chunk, &cur);
	double cur_ms = now_ms();
	x->have_prev = false; /* until this audit has a sample to hand on */
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		a->error = r;
		r = inode_audit_add_gap(a, "dentry and inode walk", "bpf_iter", -r);
		goto out;
	}
	r = judge(&x->prev, &cur, a);
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
	a->ms = now_ms() - t0;
	if (r == -ENOMEM) {
		inode_audit_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

int audit_inodes(const InodeAuditOptions *o, InodeAudit **ret)
{
	InodeAuditor *x = NULL;
	int r = inode_auditor_new(o, &x);

	if (r < 0)
		return r;
	r = inode_auditor_run(x, ret);
	inode_auditor_free(x);
	return r;
}

static int dev_from_mountinfo(const char *path, uint64_t *ret)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t got = read_all_at(AT_FDCWD, "/proc/self/mountinfo", &buf);
	if (got < 0)
		return (int)got;
	size_t len = (size_t)got;
	int found = -ENOENT;
	char *line = buf;
	while (line < buf + len) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
		MountinfoEntry e;
		/* The last match wins: a later mount over the same point hides the earlier. */
		if (parse_mountinfo_line(line, n, &e) == 0 &&
		    (strcmp(e.mount_point, path) == 0 || strcmp(e.source, path) == 0)) {
			*ret = makedev(e.major, e.minor);
			found = 0;
		}
		line += n + 1;
	}
	return found;
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
