// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Zombie memory cgroups as they come and go: two BTF tracepoint programs,
 * on cgroup_rmdir (the directory was removed; the cgroup is offline from
 * now on) and cgroup_release (the kernel frees it: every css of the cgroup,
 * the memory one included, has dropped its last reference), both with
 * (struct cgroup *cgrp, const char *path) (include/trace/events/cgroup.h,
 * the same on every kernel with BTF).  The time between the two is how long the cgroup was a zombie.
 * Only cgroups of a hierarchy with the memory controller are sent: v1, the
 * one "memory" is bound to; v2, the default hierarchy when memory is bound
 * there, and at rmdir only cgroups that have a memory css (the controller
 * may be off in their parent's subtree_control).  The release of a v2
 * cgroup without one is sent too: its memory css is gone by then, and
 * residue ignores releases of cgroups it did not see removed.
 *
 * tp_btf needs no ftrace (fentry/kprobes are refused here); CO-RE only, so
 * the same object loads on 6.1 (Debian 12) and on 6.18.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memcg-watch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ZW_RING_BYTES);
} events SEC(".maps");

struct zw_stats stats;

/* Is @cgrp in a hierarchy with the memory controller (and, with @need_css, has it a memcg)? */
static __always_inline bool is_memory_cgroup(struct cgroup *cgrp, bool need_css)
{
	int memory = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_root *root;
	unsigned int mask;

	if (memory < 0 || memory >= CGROUP_SUBSYS_COUNT)
		return false;
	root = BPF_CORE_READ(cgrp, root);
	mask = BPF_CORE_READ(root, subsys_mask);
	if (!(mask & (1u << memory)))
		return false;
	/*
	 * At rmdir the css is killed but still linked: cgrp->subsys[] is
	 * cleared only in offline_css(), after an RCU grace period.
	 */
	return !need_css || BPF_CORE_READ(cgrp, subsys[memory]) != NULL;
}

static __always_inline int send(struct cgroup *cgrp, const char *path, __u32 type)
{
	struct zw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	char last = 0;
	long n;

	if (!e) {
		__sync_fetch_and_add(&stats.dropped, 1);
		return 0;
	}
	e->time_ns = bpf_ktime_get_ns();
	e->cgroup_id = BPF_CORE_READ(cgrp, kn, id);
	e->hierarchy_id = BPF_CORE_READ(cgrp, root, hierarchy_id);
	e->type = type;
	e->level = BPF_CORE_READ(cgrp, level);
	e->flags = 0;
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	if (n <= 0) {
		e->path[0] = '\0';
		e->flags |= ZW_PATH_NONE;
	} else if (n == sizeof(e->path)) {
		/* Full: cut, unless the string ended exactly there. */
		bpf_probe_read_kernel(&last, 1, path + sizeof(e->path) - 1);
		if (last)
			e->flags |= ZW_PATH_CUT;
	}
	if (type == ZW_RMDIR)
		__sync_fetch_and_add(&stats.rmdirs, 1);
	else
		__sync_fetch_and_add(&stats.releases, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(watch_rmdir, struct cgroup *cgrp, const char *path)
{
	if (!cgrp || !is_memory_cgroup(cgrp, true))
		return 0;
	return send(cgrp, path, ZW_RMDIR);
}

SEC("tp_btf/cgroup_release")
int BPF_PROG(watch_release, struct cgroup *cgrp, const char *path)
{
	if (!cgrp || !is_memory_cgroup(cgrp, false))
		return 0;
	return send(cgrp, path, ZW_RELEASE);
}
