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

int audit_inodes(const InodeAuditOptions *o, InodeAudit **ret)
{
	InodeAudit *a = calloc(1, sizeof(*a));
	InodesBpf *b = NULL;
	InoSample s1 = { 0 }, s2 = { 0 };
	double t0 = now_ms();
	int r;

	if (!a)
		return -ENOMEM;
	a->target_dev = o->dev ? kernel_dev(o->dev) : 0;
	a->interval_s = o->interval_s > 0 ? o->interval_s : INODE_AUDIT_INTERVAL_S;
	r = inodes_bpf_open(&b);
	if (r < 0) {
		a->error = r;
		r = inode_audit_add_gap(a, "dentry and inode audit (BPF iterators)", "bpf", -r);
		goto out;
	}
	uint64_t kdev = o->dev ? kernel_dev(o->dev) : 0;
	r = inodes_bpf_sample(b, kdev, o->chunk, &s1);
	if (r == 0) {
		struct timespec d = {
			.tv_sec = (time_t)a->interval_s,
			.tv_nsec = (long)((a->interval_s - (double)(time_t)a->interval_s) * 1e9),
		};
		while (nanosleep(&d, &d) < 0 && errno == EINTR)
			;
		r = inodes_bpf_sample(b, kdev, o->chunk, &s2);
	}
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		a->error = r;
		r = inode_audit_add_gap(a, "dentry and inode walk", "bpf_iter", -r);
		goto out;
	}
	/* Files the kernel holds outside fd tables that residue can name: loop backing files. */
	Snapshot *ls = snapshot_new();
	if (!ls) {
		r = -ENOMEM;
		goto out;
	}
	(void)collect_loop_devices(ls); /* a gap there only leaves their references unexplained */
	InoKernelFile *kf = ls->n_loops ? calloc(ls->n_loops, sizeof(*kf)) : NULL;
	for (size_t i = 0; kf && i < ls->n_loops; i++)
		kf[i] = (InoKernelFile){ .dev = kernel_dev(ls->loops[i].back_dev),
					 .ino = ls->loops[i].back_ino,
					 .holder = "loop" };
	r = analyze_inodes(&s1, &s2, kf, kf ? ls->n_loops : 0, a);
	free(kf);
	snapshot_free(ls);
	if (r < 0)
		goto out;
	a->ran = true;
	if (o->dev && !a->n_sbs)
		r = inode_audit_add_gap(
			a, "the superblock asked for (not on the kernel's list, or skipped)",
			"walk", ENOENT);
	if (r == 0 && !a->complete)
		r = inode_audit_add_gap(a, "dentry and inode walk (cut short, or records dropped)",
					"walk", EAGAIN);
out:
	inodes_bpf_free(b);
	ino_sample_clear(&s1);
	ino_sample_clear(&s2);
	a->ms = now_ms() - t0;
	if (r == -ENOMEM) {
		inode_audit_free(a);
		return r;
	}
	*ret = a;
	return 0;
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
