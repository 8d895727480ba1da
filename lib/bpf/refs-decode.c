// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Records of refs.bpf.c's iterators → Processes and Holders (refs-decode.h).
 * Moved out of refs.c unchanged but for getpid(), now a parameter, so that
 * the decoding can be fuzzed without a kernel.  What the kernel wrote is
 * trusted only as far as memory safety needs: indices come from the
 * snapshot, never from a record.
 */
#include "refs-decode.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "refs.h"
#include "base/array.h"

/* One iterator's output: whole records, maybe a partial one at the end. */
typedef struct RefRecords {
	const void *data;
	size_t len;
} RefRecords;

static uint64_t user_dev(uint64_t kdev)
{
	return makedev((unsigned)(kdev >> 20), (unsigned)(kdev & 0xfffff));
}

static const struct rs_ref *records(const RefRecords *b, size_t *ret_n)
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
		/*
		 * VM_READ 1, VM_WRITE 2, VM_EXEC 4, VM_MAYSHARE 0x80 (include/linux/mm.h):
		 * as /proc/PID/maps shows them, 's' from VM_MAYSHARE (a shared mapping
		 * of a file opened read-only has no VM_SHARED).
		 */
		h->map_start = r->addr;
		h->perms[0] = r->flags & 1 ? 'r' : '-';
		h->perms[1] = r->flags & 2 ? 'w' : '-';
		h->perms[2] = r->flags & 4 ? 'x' : '-';
		h->perms[3] = r->flags & 0x80 ? 's' : 'p';
	} else if (how == HOLD_CWD && r->tid != r->pid) {
		h->tid = (int32_t)r->tid;
	}
	return 0;
}

/*
 * Do the reference records of @b give their mount ids in the id space of
 * @unique?  The task pass's records of a process or a thread's namespace
 * carry no mount id.
 */
static bool same_id_space(const RefRecords *b, bool unique, bool task_pass)
{
	size_t n;
	const struct rs_ref *r = records(b, &n);

	for (size_t i = 0; i < n; i++) {
		bool no_mount =
			r[i].kind == RS_REF_TASK || (task_pass && r[i].kind == RS_REF_THREAD_NS);
		if (!no_mount && r[i].unique_id != unique)
			return false;
	}
	return true;
}

/*
 * Check the records before touching the snapshot: same pid namespace, same id space.  The id
 * space is checked in all three outputs, not only in the cwd/root/exe records of the task pass:
 * those are often none at all (only references to unattached mounts are recorded), and then fds
 * and mappings with mount ids of the other space were taken in (found by tests/fuzz/fuzz-refs).
 * Not reachable from a scan today, which takes the BPF tier only with listmount(2) and so on a
 * kernel with unique ids, but the check is what keeps that true if either side changes.
 */
static int validate(const Snapshot *s, const RefRecords *tasks, const RefRecords *files,
		    const RefRecords *vmas, pid_t self_pid)
{
	size_t n;
	const struct rs_ref *t = records(tasks, &n);
	bool self = false;

	if (tasks->len % sizeof(struct rs_ref) || n == 0)
		return -EBADMSG;
	if (!same_id_space(tasks, s->has_listmount, true) ||
	    !same_id_space(files, s->has_listmount, false) ||
	    !same_id_space(vmas, s->has_listmount, false))
		return -EXDEV; /* mount ids would not match the mount tables */
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind == RS_REF_TASK && (t[i].flags & RS_REF_F_SELF)) {
			if (t[i].pid != (uint32_t)self_pid)
				return -EXDEV; /* we are in another pid namespace: pids would not match */
			/* The programs read namespaces through a layout they assume (refs.bpf.c). */
			if (s->self_mntns_ino && t[i].addr != s->self_mntns_ino)
				return -EPROTO;
			self = true;
		}
	}
	return self ? 0 : -EBADMSG;
}

static int add_tasks(Snapshot *s, const RefRecords *tasks, size_t first)
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
			p->kthread = r->flags & RS_REF_F_KTHREAD;
			continue;
		}
		if (r->kind == RS_REF_THREAD_NS) {
			ThreadNs *tn =
				ARRAY_PUSH(s->thread_nss, s->n_thread_nss, s->cap_thread_nss);
			if (!tn)
				return -ENOMEM;
			tn->tid = (pid_t)r->tid;
			tn->ino = r->addr;
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

static int add_files(Snapshot *s, const RefRecords *b, size_t first, HolderHow how)
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

int refs_decode(Snapshot *s, const void *tasks, size_t tasks_len, const void *files,
		size_t files_len, const void *vmas, size_t vmas_len, pid_t self_pid)
{
	const RefRecords t = { tasks, tasks_len }, f = { files, files_len }, v = { vmas, vmas_len };
	int r = validate(s, &t, &f, &v, self_pid);

	if (r == 0) {
		size_t first = s->n_procs;
		r = add_tasks(s, &t, first);
		if (r == 0)
			r = add_files(s, &f, first, HOLD_FD);
		if (r == 0)
			r = add_files(s, &v, first, HOLD_MMAP);
	}
	return r;
}
