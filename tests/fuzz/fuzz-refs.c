// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for refs_decode() (lib/bpf/refs-decode.c): arbitrary
 * bytes cut into the three iterator outputs of refs.bpf.c.  The input is a
 * 9-byte header, then the bytes themselves:
 *
 *   u8 flags      bit 0: the snapshot's has_listmount; bit 1: a process is
 *                 already in the snapshot (pid 1), as when a scan appends
 *   u32 self_pid  little-endian: what getpid() would say
 *   u16 tasks_len, u16 files_len   little-endian, clamped to what is left
 *   tasks | files | vmas           (vmas: the rest)
 *
 * Each part is copied into its own malloc'd buffer of exactly its size.
 * Checked after the call: failure leaves the snapshot as it was; success
 * means every reference record has its mount id in the snapshot's id space
 * (has_listmount), adds one process per task record, in order, with that
 * record's pid and kernel-thread flag (RS_REF_F_KTHREAD), and every holder
 * points at an added process, never at ourselves for fds and mappings, and
 * carries only known states.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>

#include "bpf/refs-decode.h"
#include "bpf/refs.h"
#include "model/snapshot.h"

#define HEADER 9

static size_t le(const uint8_t *p, size_t n)
{
	size_t v = 0;
	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static size_t count_kind(const char *b, size_t len, uint8_t kind)
{
	size_t n = 0;
	for (size_t i = 0; i + sizeof(struct rs_ref) <= len; i += sizeof(struct rs_ref))
		n += ((const struct rs_ref *)(b + i))->kind == kind;
	return n;
}

/*
 * Does a reference record of @b give its mount id in the other id space?  Not asked of a task,
 * nor in the task pass of a thread's namespace: they carry no mount.
 */
static bool other_ids(const char *b, size_t len, bool unique, bool task_pass)
{
	for (size_t i = 0; i + sizeof(struct rs_ref) <= len; i += sizeof(struct rs_ref)) {
		const struct rs_ref *r = (const struct rs_ref *)(b + i);
		bool no_mount =
			r->kind == RS_REF_TASK || (task_pass && r->kind == RS_REF_THREAD_NS);
		if (!no_mount && r->unique_id != unique)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER)
		return 0;
	uint8_t flags = data[0];
	pid_t self = (pid_t)(uint32_t)le(data + 1, 4);
	size_t left = size - HEADER;
	size_t tl = le(data + 5, 2), fl = le(data + 7, 2);
	if (tl > left)
		tl = left;
	if (fl > left - tl)
		fl = left - tl;
	size_t vl = left - tl - fl;
	const uint8_t *p = data + HEADER;
	char *tasks = fuzz_dup(p, tl, 0), *files = fuzz_dup(p + tl, fl, 0),
	     *vmas = fuzz_dup(p + tl + fl, vl, 0);

	Snapshot *s = snapshot_new();
	if (!s)
		abort();
	s->has_listmount = flags & 1;
	s->self_pid = self;
	if (flags & 4)
		s->self_mntns_ino =
			(uint32_t)le(data + 5, 4); /* any value: what the layout check compares */
	if (flags & 2) {
		Process *pre = snapshot_add_process(s);
		if (!pre)
			abort();
		pre->pid = 1;
	}
	size_t procs0 = s->n_procs, holders0 = s->n_holders;

	int r = refs_decode(s, tasks, tl, files, fl, vmas, vl, self);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -EXDEV || r == -EPROTO);
	if (r < 0) {
		FUZZ_ASSERT(s->n_procs == procs0 && s->n_holders == holders0 &&
			    s->n_thread_nss == 0);
	} else {
		FUZZ_ASSERT(tl % sizeof(struct rs_ref) == 0);
		/* Mount ids of the other space would match nothing in the mount tables. */
		FUZZ_ASSERT(!other_ids(tasks, tl, s->has_listmount, true));
		FUZZ_ASSERT(!other_ids(files, fl, s->has_listmount, false));
		FUZZ_ASSERT(!other_ids(vmas, vl, s->has_listmount, false));
		FUZZ_ASSERT(s->n_procs == procs0 + count_kind(tasks, tl, RS_REF_TASK));
		/* Our own task's record read our own namespace, or nothing was taken in. */
		for (size_t i = 0; s->self_mntns_ino && i + sizeof(struct rs_ref) <= tl;
		     i += sizeof(struct rs_ref)) {
			const struct rs_ref *t = (const void *)(tasks + i);
			FUZZ_ASSERT(t->kind != RS_REF_TASK || !(t->flags & RS_REF_F_SELF) ||
				    t->addr == s->self_mntns_ino);
		}
		/* Each thread's namespace is kept, as it came: tid and inode. */
		FUZZ_ASSERT(s->n_thread_nss == count_kind(tasks, tl, RS_REF_THREAD_NS));
		for (size_t i = procs0; i < s->n_procs; i++)
			FUZZ_ASSERT(s->procs[i].comm[sizeof(s->procs[i].comm) - 1] == '\0');
		/* A kernel thread must never be taken for a process one could nsenter. */
		size_t k = procs0;
		for (size_t i = 0; i + sizeof(struct rs_ref) <= tl; i += sizeof(struct rs_ref)) {
			const struct rs_ref *t = (const struct rs_ref *)(tasks + i);
			if (t->kind != RS_REF_TASK)
				continue;
			FUZZ_ASSERT(s->procs[k].pid == (pid_t)t->pid);
			FUZZ_ASSERT(s->procs[k].kthread == !!(t->flags & RS_REF_F_KTHREAD));
			k++;
		}
		for (size_t i = holders0; i < s->n_holders; i++) {
			const Holder *h = &s->holders[i];
			FUZZ_ASSERT(h->proc >= procs0 && h->proc < s->n_procs);
			FUZZ_ASSERT(h->how < _HOLD_MAX);
			FUZZ_ASSERT(h->mnt_state <= MNT_STATE_INTERNAL);
			FUZZ_ASSERT(h->sb_live <= SB_LIVE_NO);
			/* Our own fds and mappings are the scan's, never findings. */
			if (h->how == HOLD_FD || h->how == HOLD_MMAP)
				FUZZ_ASSERT(s->procs[h->proc].pid != self);
		}
	}
	snapshot_free(s);
	free(tasks);
	free(files);
	free(vmas);
	return 0;
}
