// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The BPF tier of the process scan: load refs.bpf.c through its light
 * skeleton (the kernel applies the CO-RE relocations), run the three
 * iterators, read their records and have refs-decode.c turn them into the
 * same Process and Holder entries the /proc tier makes, in a fraction of
 * the time (one statx per fd is what /proc costs).  Every failure (no BTF, no
 * CAP_BPF/CAP_PERFMON, a verifier that says no, another pid namespace)
 * returns an error and leaves the snapshot untouched, so the caller falls
 * back to /proc.
 */
#include "refs-loader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

#include "base/compat.h"
#include "base/macro.h"
#include "iter-run.h"
#include "refs-decode.h"
#include "sbs-decode.h"
#include "refs.h"
#include "refs.lskel.h"
#define SKEL refs
#include "skel-open.h"
#include "compat-load.h"

struct RefsBpf {
	struct refs *skel;
	int memfd; /* where the superblock walk starts: a file of ours */
	const struct rs_sb *recs; /* map sbs, mmap'ed */
	const struct rs_nsbind *binds; /* map nsbinds, mmap'ed */
	const struct rs_sb_name *names; /* map sbnames, mmap'ed */
};

int refs_bpf_open(RefsBpf **ret)
{
	RefsBpf *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->memfd = -1;
	r = refs__open_load_any(&b->skel, refs_compat_open_load);
	if (r < 0) {
		free(b);
		return r;
	}
	r = refs__attach(b->skel);
	if (r < 0) {
		r = errno ? -errno : r;
		refs_bpf_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

RefsBpf *refs_bpf_free(RefsBpf *b)
{
	if (!b)
		return NULL;
	if (b->recs)
		munmap((void *)b->recs, RS_SBS_MAX * sizeof(*b->recs));
	if (b->binds)
		munmap((void *)b->binds, RS_NSBINDS_MAX * sizeof(*b->binds));
	if (b->names)
		munmap((void *)b->names, RS_SB_NAMES_MAX * sizeof(*b->names));
	if (b->memfd >= 0)
		close(b->memfd);
	refs__destroy(b->skel);
	free(b);
	return NULL;
}

/* An mmapable array map of @size bytes, read-only; NULL with errno set when it cannot be. */
static const void *map_view(int fd, size_t size)
{
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

/* Run the walk: its records are left in the maps sbs, nsbinds and sbnames. */
static int walk_run(RefsBpf *b)
{
	struct refs *skel = b->skel;
	BpfBuf none = { 0 };
	int r;

	if (b->memfd < 0)
		b->memfd = memfd_create("residue-sb-walk", MFD_CLOEXEC);
	if (b->memfd < 0)
		return -errno;
	if ((!b->recs &&
	     !(b->recs = map_view(skel->maps.sbs.map_fd, RS_SBS_MAX * sizeof(*b->recs)))) ||
	    (!b->binds && !(b->binds = map_view(skel->maps.nsbinds.map_fd,
						RS_NSBINDS_MAX * sizeof(*b->binds)))) ||
	    (!b->names && !(b->names = map_view(skel->maps.sbnames.map_fd,
						RS_SB_NAMES_MAX * sizeof(*b->names)))))
		return -errno;
	memset(&skel->bss->sw, 0, sizeof(skel->bss->sw));
	skel->data->sb_walk_fd = b->memfd;
	int link = bpf_iter_own_files_link(skel->progs.walk_sbs.prog_fd);
	if (link < 0)
		return link;
	r = bpf_iter_run(link, &none); /* the program writes to its map, not to the output */
	close(link);
	free(none.data);
	if (r < 0)
		return r;
	return skel->bss->sw.start ? 0 : -ENOTRECOVERABLE; /* it never met our memfd */
}

/* What the walk left in the maps, into @s. */
static int walk_decode(RefsBpf *b, Snapshot *s)
{
	const struct rs_sb_walk *w = &b->skel->bss->sw;
	size_t n = MIN((size_t)w->n, (size_t)RS_SBS_MAX);
	/* It read our own namespace's inode wrong: so would it every namespace's (refs.bpf.c). */
	if (s->self_mntns_ino && w->self_ns_ino != s->self_mntns_ino)
		return -EPROTO;
	int r = sbs_decode(s, b->recs, n * sizeof(*b->recs), (uint64_t)sysconf(_SC_PAGESIZE));
	if (r < 0)
		return r;
	s->sb_walk = true;
	s->sb_walk_complete = w->done == 1 && w->dropped == 0;
	r = nsbinds_decode(s, b->binds,
			   MIN((size_t)w->nsbinds, RS_NSBINDS_MAX) * sizeof(*b->binds));
	if (r < 0)
		return r;
	r = sbnames_decode(s, b->names, MIN((size_t)w->names, RS_SB_NAMES_MAX) * sizeof(*b->names));
	if (r < 0)
		return r;
	/* Every bind mount, if the walk took nsfs's whole mount list and the map held them. */
	const KernelSb *nsfs = NULL;
	for (size_t i = 0; i < s->n_ksbs && !nsfs; i++)
		if (s->ksbs[i].magic == RS_NSFS_MAGIC)
			nsfs = &s->ksbs[i];
	s->knsbinds_complete =
		s->sb_walk_complete && nsfs && !nsfs->mounts_cut && w->nsbinds <= RS_NSBINDS_MAX;
	s->sb_walk_dropped = w->dropped;
	s->sb_walk_rejected = w->rejected;
	if (getenv("RESIDUE_BPF_LOG"))
		fprintf(stderr,
			"sb walk: sbs %llu steps %llu rejected %llu dropped %llu unlisted %llu done %u\n",
			(unsigned long long)w->sbs, (unsigned long long)w->steps,
			(unsigned long long)w->rejected, (unsigned long long)w->dropped,
			(unsigned long long)w->unlisted, w->done);
	const char *log = getenv("RESIDUE_BPF_LOG");
	if (log && strcmp(log, "2") == 0) /* every record too */
		for (size_t i = 0; i < n; i++)
			fprintf(stderr,
				"sb %llu:%llu magic %llx flags %x active %u mounts %u att %u anon %u orph %u int %u ns %u inodes %u pages %llu fl %x\n",
				(unsigned long long)(b->recs[i].dev >> 20),
				(unsigned long long)(b->recs[i].dev & 0xfffff),
				(unsigned long long)b->recs[i].magic, b->recs[i].s_flags,
				b->recs[i].s_active, b->recs[i].mounts, b->recs[i].attached,
				b->recs[i].anon, b->recs[i].orphaned, b->recs[i].internal,
				b->recs[i].n_ns, b->recs[i].inodes,
				(unsigned long long)b->recs[i].nrpages, b->recs[i].flags);
	return 0;
}

int refs_bpf_walk_sbs(RefsBpf *b, Snapshot *s)
{
	int r = walk_run(b);
	return r < 0 ? r : walk_decode(b, s);
}

/*
 * The mappings and the superblock walk, on a thread of their own while the
 * caller's runs the task and file iterators: on two CPUs the scan's kernel
 * work takes the time of the longest, not of all four.
 */
typedef struct Side {
	RefsBpf *b;
	bool walk;
	BpfBuf vmas;
	int r, walk_r;
} Side;

static void *side_run(void *userdata)
{
	Side *d = userdata;
	d->r = bpf_iter_run(d->b->skel->links.dump_vma_fd, &d->vmas);
	if (d->walk)
		d->walk_r = walk_run(d->b);
	return NULL;
}

int refs_bpf_collect_and_walk(RefsBpf *b, Snapshot *s, int *ret_walk)
{
	BpfBuf tasks = { 0 }, files = { 0 };
	Side side = { .b = b, .walk = ret_walk != NULL };
	pthread_t thread;
	int r;

	b->skel->bss->run++; /* forget the mount states of the last run */
	memset(b->skel->bss->refs_seen, 0, sizeof(b->skel->bss->refs_seen));
	bool threaded = pthread_create(&thread, NULL, side_run, &side) == 0;
	r = bpf_iter_run(b->skel->links.dump_task_fd, &tasks);
	if (r == 0)
		r = bpf_iter_run(b->skel->links.dump_file_fd, &files);
	if (threaded)
		pthread_join(thread, NULL);
	else
		side_run(&side);
	if (r == 0)
		r = side.r;
	if (r == 0)
		r = refs_decode(s, tasks.data, tasks.len, files.data, files.len, side.vmas.data,
				side.vmas.len, getpid());
	if (r == 0)
		for (size_t i = 0; i < ARRAY_SIZE(b->skel->bss->refs_seen); i++)
			s->n_refs += b->skel->bss->refs_seen[i].n;
	if (ret_walk) {
		/* Records that misread our own namespace would misread the walk's too. */
		int w = r == -EPROTO ? r : side.walk_r;
		if (w == 0)
			w = walk_decode(b, s);
		if (w == -ENOMEM && r == 0)
			r = w;
		*ret_walk = w;
	}
	free(tasks.data);
	free(files.data);
	free(side.vmas.data);
	return r;
}

int refs_bpf_collect(RefsBpf *b, Snapshot *s)
{
	return refs_bpf_collect_and_walk(b, s, NULL);
}

int refs_bpf_fputs(RefsBpf *b, Snapshot *s)
{
	BpfBuf out = { 0 };
	int r = bpf_iter_run(b->skel->links.dump_fputs_fd, &out);
	if (r == 0)
		r = fputs_decode(s, out.data, out.len);
	free(out.data);
	return r;
}

int bpf_collect_references(Snapshot *s)
{
	RefsBpf *b = NULL;
	int r = refs_bpf_open(&b);

	if (r == 0)
		r = refs_bpf_collect(b, s);
	refs_bpf_free(b);
	return r;
}
