// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The BPF tier of the process scan: load refs.bpf.c through its light
 * skeleton (the kernel applies the CO-RE relocations), run the three
 * iterators, read their records and turn them into the same Process and
 * Holder entries the /proc tier makes, in a fraction of the time (one
 * statx per fd is what /proc costs).  Every failure (no BTF, no
 * CAP_BPF/CAP_PERFMON, a verifier that says no, another pid namespace)
 * returns an error and leaves the snapshot untouched, so the caller falls
 * back to /proc.
 */
#include "refs-loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

#include "base/macro.h"
#include "loader-log.h"
#include "refs.h"
#include "refs.lskel.h"

typedef struct Buf {
	char *data;
	size_t len, cap;
} Buf;

/* Run one iterator, whose link the skeleton made, to the end, appending its records to @b. */
static int run_iter(int link_fd, Buf *b)
{
	union bpf_attr attr = { .iter_create = { .link_fd = (__u32)link_fd } };
	int r = 0;

	if (link_fd < 0)
		return -EBADF;
	int fd = (int)syscall(__NR_bpf, BPF_ITER_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return -errno;
	{
		for (;;) {
			if (b->cap - b->len < 65536) {
				size_t ncap = b->cap ? b->cap * 2 : 1 << 20;
				char *n = realloc(b->data, ncap);
				if (!n) {
					r = -ENOMEM;
					break;
				}
				b->data = n;
				b->cap = ncap;
			}
			ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				r = -errno;
				break;
			}
			if (n == 0)
				break;
			b->len += (size_t)n;
		}
	}
	close(fd);
	return r;
}

static uint64_t user_dev(uint64_t kdev)
{
	return makedev((unsigned)(kdev >> 20), (unsigned)(kdev & 0xfffff));
}

static const struct rs_ref *records(const Buf *b, size_t *ret_n)
{
	*ret_n = b->len / sizeof(struct rs_ref);
	return (const struct rs_ref *)b->data;
}

/* Index of the process with @pid; processes arrive in ascending pid order. */
static ssize_t find_proc(const Snapshot *s, size_t first, uint32_t pid)
{
	size_t lo = first, hi = s->n_procs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uint32_t)s->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_procs && (uint32_t)s->procs[lo].pid == pid ? (ssize_t)lo : -1;
}

static int add_ref(Snapshot *s, size_t proc, const struct rs_ref *r, HolderHow how)
{
	Holder *h = snapshot_add_holder(s);
	if (!h)
		return -ENOMEM;
	h->proc = (uint32_t)proc;
	h->how = (uint8_t)how;
	h->mnt_id = r->mnt_id;
	h->dev = user_dev(r->dev);
	h->ino = r->ino;
	h->st_mode = r->mode;
	h->mount_root = r->mount_root;
	/* refs.h's enums start at 1 in the order of MountState and SbLive. */
	h->fs_magic = r->sb_magic;
	h->mnt_state = r->mnt_state <= RS_MNT_INTERNAL ? r->mnt_state : MNT_STATE_UNKNOWN;
	h->sb_live = r->sb_live <= RS_SB_GONE ? r->sb_live : SB_LIVE_UNKNOWN;
	if (how == HOLD_FD) {
		h->fd = r->fd;
		h->open_flags = (int32_t)r->flags;
	} else if (how == HOLD_MMAP) {
		/* VM_READ 1, VM_WRITE 2, VM_EXEC 4, VM_SHARED 8 (include/linux/mm.h) */
		h->map_start = r->addr;
		h->perms[0] = r->flags & 1 ? 'r' : '-';
		h->perms[1] = r->flags & 2 ? 'w' : '-';
		h->perms[2] = r->flags & 4 ? 'x' : '-';
		h->perms[3] = r->flags & 8 ? 's' : 'p';
	} else if (how == HOLD_CWD && r->tid != r->pid) {
		h->tid = (int32_t)r->tid;
	}
	return 0;
}

/* Check the records before touching the snapshot: same pid namespace, same id space. */
static int validate(const Snapshot *s, const Buf *tasks)
{
	size_t n;
	const struct rs_ref *t = records(tasks, &n);
	bool self = false;

	if (tasks->len % sizeof(struct rs_ref) || n == 0)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind != RS_REF_TASK) {
			if (t[i].unique_id != s->has_listmount)
				return -EXDEV; /* mount ids would not match the mount tables */
			continue;
		}
		if (t[i].flags & RS_REF_F_SELF) {
			if (t[i].pid != (uint32_t)getpid())
				return -EXDEV; /* we are in another pid namespace: pids would not match */
			self = true;
		}
	}
	return self ? 0 : -EBADMSG;
}

static int add_tasks(Snapshot *s, const Buf *tasks, size_t first)
{
	size_t n;
	const struct rs_ref *t = records(tasks, &n);
	ssize_t cur = -1;
	bool self = false;

	for (size_t i = 0; i < n; i++) {
		const struct rs_ref *r = &t[i];
		if (r->kind == RS_REF_TASK) {
			Process *p = snapshot_add_process(s);
			if (!p)
				return -ENOMEM;
			p->pid = (pid_t)r->pid;
			memcpy(p->comm, r->comm, sizeof(r->comm));
			p->comm[sizeof(p->comm) - 1] = '\0';
			p->mntns_ino = r->addr;
			cur = (ssize_t)(s->n_procs - 1);
			self = r->flags & RS_REF_F_SELF;
			continue;
		}
		/* Our own references are the scan's transient state, not findings. */
		ssize_t proc = r->tid == r->pid ? cur : find_proc(s, first, r->pid);
		if (proc < 0 || (uint32_t)s->procs[proc].pid != r->pid ||
		    (self && proc == cur && r->tid == r->pid))
			continue;
		HolderHow how = r->kind == RS_REF_CWD  ? HOLD_CWD :
				r->kind == RS_REF_ROOT ? HOLD_ROOT :
							 HOLD_EXE;
		int e = add_ref(s, (size_t)proc, r, how);
		if (e < 0)
			return e;
	}
	return 0;
}

static int add_files(Snapshot *s, const Buf *b, size_t first, HolderHow how)
{
	size_t n;
	const struct rs_ref *f = records(b, &n);
	ssize_t proc = -1;
	uint64_t last_dev = 0, last_ino = 0;

	for (size_t i = 0; i < n; i++) {
		const struct rs_ref *r = &f[i];
		if (proc < 0 || (uint32_t)s->procs[proc].pid != r->pid) {
			proc = find_proc(s, first, r->pid);
			last_dev = last_ino = 0;
		}
		if (proc < 0 || s->procs[proc].pid == s->self_pid)
			continue; /* born after the task pass, or ourselves */
		/* Consecutive mappings of one file (a library's segments) are one holder. */
		if (how == HOLD_MMAP) {
			if (r->dev == last_dev && r->ino == last_ino)
				continue;
			last_dev = r->dev;
			last_ino = r->ino;
		}
		int e = add_ref(s, (size_t)proc, r, how);
		if (e < 0)
			return e;
	}
	return 0;
}

struct RefsBpf {
	struct refs *skel;
};

int refs_bpf_open(RefsBpf **ret)
{
	RefsBpf *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->skel = refs__open();
	if (!b->skel) {
		r = errno ? -errno : -EOPNOTSUPP;
		free(b);
		return r;
	}
	bool want_log = bpf_loader_log_arm(&b->skel->ctx);
	if (refs__load(b->skel)) {
		r = errno ? -errno : -EOPNOTSUPP;
		bpf_loader_log_print(want_log);
		refs_bpf_free(b);
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
	refs__destroy(b->skel);
	free(b);
	return NULL;
}

int refs_bpf_collect(RefsBpf *b, Snapshot *s)
{
	Buf tasks = { 0 }, files = { 0 }, vmas = { 0 };
	int r;

	b->skel->bss->run++; /* forget the mount states of the last run */
	b->skel->bss->refs_seen = 0;
	r = run_iter(b->skel->links.dump_task_fd, &tasks);
	if (r == 0)
		r = run_iter(b->skel->links.dump_file_fd, &files);
	if (r == 0)
		r = run_iter(b->skel->links.dump_vma_fd, &vmas);
	if (r == 0)
		r = validate(s, &tasks);
	if (r == 0) {
		size_t first = s->n_procs;
		r = add_tasks(s, &tasks, first);
		if (r == 0)
			r = add_files(s, &files, first, HOLD_FD);
		if (r == 0)
			r = add_files(s, &vmas, first, HOLD_MMAP);
		s->n_refs += b->skel->bss->refs_seen;
	}
	free(tasks.data);
	free(files.data);
	free(vmas.data);
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
