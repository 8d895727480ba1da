// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Load inodes.bpf.c through its light skeleton and take samples: the walk
 * in chunks (each run of walk_inodes is one RCU read section of at most
 * @chunk inodes; its records are drained from the mmap'ed map recs after
 * each), then the three holder iterators over every task.
 * inodes-decode.c turns the bytes into the sample.
 */
#include "inodes-loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/macro.h"
#include "inodes-decode.h"
#include "inodes.h"
#include "inodes.lskel.h"
#include "iter-run.h"
#include "loader-log.h"

#define CHUNK_DEFAULT 65536
#define CHUNKS_MAX 100000 /* 6.5 G inodes: a walk that does not end is a bug, not a host */

struct InodesBpf {
	struct inodes *skel;
	const struct rs_ino_rec *recs; /* map recs, mmap'ed */
	int memfd; /* where the walk starts: a file of ours */
	int walk_link;
	unsigned samples; /* taken with this skeleton */
};

int inodes_bpf_open(InodesBpf **ret)
{
	InodesBpf *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->memfd = b->walk_link = -1;
	b->skel = inodes__open();
	if (!b->skel) {
		r = errno ? -errno : -EOPNOTSUPP;
		free(b);
		return r;
	}
	bool want_log = bpf_loader_log_arm(&b->skel->ctx);
	if (inodes__load(b->skel)) {
		r = errno ? -errno : -EOPNOTSUPP;
		bpf_loader_log_print(want_log);
		inodes_bpf_free(b);
		return r;
	}
	r = inodes__attach(b->skel);
	if (r < 0) {
		r = errno ? -errno : r;
		inodes_bpf_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

InodesBpf *inodes_bpf_free(InodesBpf *b)
{
	if (!b)
		return NULL;
	if (b->recs)
		munmap((void *)b->recs, RS_IR_MAX * sizeof(*b->recs));
	if (b->walk_link >= 0)
		close(b->walk_link);
	if (b->memfd >= 0)
		close(b->memfd);
	inodes__destroy(b->skel);
	free(b);
	return NULL;
}

/*
 * Empty a hash map.  The walk marks its candidates and mount roots with the
 * sample's generation and ignores older ones, but never deletes them: a
 * skeleton kept for many samples (residue serve) would fill both maps with
 * dead entries, and a candidate that no longer fits loses its holders.
 */
static int map_clear(int fd)
{
	uint64_t key;

	for (unsigned n = 0; n <= RS_CAND_MAX + RS_MROOTS_MAX; n++) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)fd;
		attr.next_key = (uint64_t)(uintptr_t)&key; /* key NULL: the first key */
		if (skel_sys_bpf(BPF_MAP_GET_NEXT_KEY, &attr, sizeof(attr)) < 0)
			return errno == ENOENT ? 0 : -errno;
		if (skel_map_delete_elem(fd, &key) < 0 && errno != ENOENT)
			return -errno;
	}
	return -E2BIG;
}

static int walk(InodesBpf *b, uint64_t kdev, uint64_t chunk, InoSample *s)
{
	struct inodes *skel = b->skel;
	struct rs_ino_walk *w = &skel->bss->iw;
	int r;

	if (b->memfd < 0)
		b->memfd = memfd_create("residue-inodes", MFD_CLOEXEC);
	if (b->memfd < 0)
		return -errno;
	if (!b->recs) {
		void *m = mmap(NULL, RS_IR_MAX * sizeof(*b->recs), PROT_READ, MAP_SHARED,
			       skel->maps.recs.map_fd, 0);
		if (m == MAP_FAILED)
			return -errno;
		b->recs = m;
	}
	if (b->walk_link < 0) {
		b->walk_link = bpf_iter_own_files_link(skel->progs.walk_inodes.prog_fd);
		if (b->walk_link < 0)
			return b->walk_link;
	}
	/* The first two samples fit together; from the third on, drop the dead entries first. */
	if (b->samples++ >= 2 && ((r = map_clear(skel->maps.cand.map_fd)) < 0 ||
				  (r = map_clear(skel->maps.mroots.map_fd)) < 0))
		return r;
	memset(w, 0, sizeof(*w));
	skel->bss->gen++;
	skel->bss->target_dev = kdev;
	skel->data->walk_fd = b->memfd;
	skel->data->chunk_inodes = chunk ? chunk : CHUNK_DEFAULT;
	memset(skel->bss->pin_magics, 0, sizeof(skel->bss->pin_magics));
	ino_pin_magics(skel->bss->pin_magics, RS_PIN_MAGICS_MAX);

	for (unsigned c = 0; c < CHUNKS_MAX; c++) {
		BpfBuf none = { 0 };
		uint64_t steps = w->steps;
		w->n = 0;
		w->ran = 0;
		r = bpf_iter_run(b->walk_link, &none); /* it writes to its map, not to the output */
		free(none.data);
		if (r < 0)
			return r;
		if (!w->ran)
			return -ENOTRECOVERABLE; /* it never met our memfd */
		s->chunks++;
		size_t n = MIN((size_t)w->n, (size_t)RS_IR_MAX);
		r = inodes_decode_walk(s, b->recs, n * sizeof(*b->recs));
		if (r < 0)
			return r;
		if (w->done)
			break;
		if (w->steps == steps)
			return -ENOTRECOVERABLE; /* no progress */
	}
	s->inodes = w->inodes;
	s->dentries = w->dentries;
	s->sbs = w->sbs;
	s->skipped = w->skipped;
	s->rejected = w->rejected;
	s->dropped = w->dropped;
	s->cand_dropped = w->cand_dropped;
	s->mroots_dropped = w->mroots_dropped;
	s->steps = w->steps;
	s->complete = w->done == 1 && !w->dropped && !w->cand_dropped && !w->mroots_dropped;
	if (getenv("RESIDUE_BPF_LOG"))
		fprintf(stderr,
			"inodes walk: sbs %llu skipped %llu inodes %llu dentries %llu steps %llu "
			"chunks %u rejected %llu dropped %llu cand_dropped %llu done %u records %zu\n",
			(unsigned long long)w->sbs, (unsigned long long)w->skipped,
			(unsigned long long)w->inodes, (unsigned long long)w->dentries,
			(unsigned long long)w->steps, s->chunks, (unsigned long long)w->rejected,
			(unsigned long long)w->dropped, (unsigned long long)w->cand_dropped,
			w->done, s->n_objs);
	return 0;
}

/*
 * Each candidate's count as dump_tasks read it again at its end: a count
 * that moved since the walk (a process that mapped or opened the file
 * exited, or one started) is marked INO_F_MOVED, its account not judged.
 */
static int recounts(InodesBpf *b, InoSample *s)
{
	for (size_t i = 0; i < s->n_objs; i++) {
		InoObj *o = &s->objs[i];
		struct rs_cand c = { 0 };
		union bpf_attr attr;

		if (o->kind != INO_OBJ_DENTRY)
			continue;
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)b->skel->maps.cand.map_fd;
		attr.key = (uint64_t)(uintptr_t)&o->dentry;
		attr.value = (uint64_t)(uintptr_t)&c;
		if (skel_sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)) < 0) {
			if (errno != ENOENT)
				return -errno;
			o->flags |= INO_F_MOVED; /* not a candidate any more (cand was full) */
			continue;
		}
		if (c.gen != b->skel->bss->gen || c.count_after != o->d_count)
			o->flags |= INO_F_MOVED;
	}
	return 0;
}

/*
 * The holder passes: fd tables, then mappings, then tasks (root, cwd, exe,
 * the tasks no pass can see), whose end reads the candidates' counts again:
 * a task that began to exit after the mapping pass passed it is seen by the
 * task pass, and one that ended its exit before that has let its files go,
 * which the second count shows.
 */
static int holders(InodesBpf *b, InoSample *s)
{
	const int links[] = {
		b->skel->links.dump_files_fd,
		b->skel->links.dump_vmas_fd,
		b->skel->links.dump_tasks_fd,
	};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(links) && r == 0; i++) {
		BpfBuf out = { 0 };
		r = bpf_iter_run(links[i], &out);
		if (r == 0)
			r = inodes_decode_holders(s, out.data, out.len);
		free(out.data);
	}
	return r == 0 ? recounts(b, s) : r;
}

int inodes_bpf_sample(InodesBpf *b, uint64_t kdev, uint64_t chunk, InoSample *s)
{
	ino_sample_clear(s);
	double t0 = mono_ms();
	int r = walk(b, kdev, chunk, s);
	double t1 = mono_ms();
	if (r == 0)
		r = holders(b, s);
	s->walk_ms = t1 - t0;
	s->holders_ms = mono_ms() - t1;
	return r;
}
