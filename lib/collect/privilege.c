// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which capabilities a complete scan needs and which this process lacks.
 * Root is not enough to know: a service, a container or capsh may hand
 * residue any subset, and each missing capability hides a different part of
 * the host.  The kernel's bpf_capable() and perfmon_capable() accept
 * CAP_SYS_ADMIN, so CAP_BPF and CAP_PERFMON add nothing to a set that must
 * hold CAP_SYS_ADMIN anyway and are not in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/macro.h"
#include "privilege.h"

static const PrivilegeNeed needs[] = {
	/*
	 * NS_MNT_GET_NEXT, listmount/statmount and setns of other namespaces (without it they are
	 * read from mountinfo: privilege_needs_fallback()), map_files, BPF.
	 */
	{ CAP_SYS_ADMIN, "cap_sys_admin",
	  "no namespaces without processes or mmap holders; no BPF tier unless cap_bpf+cap_perfmon" },
	/* ptrace_may_access(): /proc/PID/{fd,cwd,root,ns} of processes with more capabilities. */
	{ CAP_SYS_PTRACE, "cap_sys_ptrace", "no references of other processes" },
	/* /proc/PID/fd of other users (mode 0500), open_by_handle_at(2), paths under 0700 dirs. */
	{ CAP_DAC_READ_SEARCH, "cap_dac_read_search",
	  "no processes of other users, files of orphans or paths of zombies' files" },
	/* setns(CLONE_NEWNS) needs it besides CAP_SYS_ADMIN (mntns_install). */
	{ CAP_SYS_CHROOT, "cap_sys_chroot", "no tmpfs bytes of namespaces without processes" },
	/*
	 * Opening /dev/kmsg to read, where kernel.dmesg_restrict is 1 (check_syslog_permissions();
	 * 6.18 no longer takes CAP_SYS_ADMIN instead).  Needed only there: see kmsg_restricted().
	 */
	{ CAP_SYSLOG, "cap_syslog", "no kernel-log leak reports" },
};

/*
 * Does reading the kernel log need CAP_SYSLOG here: is there a /dev/kmsg (a container's /dev
 * usually has none, and then no capability helps) and is kernel.dmesg_restrict not 0?
 */
static bool kmsg_restricted(void)
{
	char c = '1';
	int fd;

	if (access("/dev/kmsg", F_OK) < 0)
		return false;
	fd = open("/proc/sys/kernel/dmesg_restrict", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '1';
		close(fd);
	}
	return c != '0';
}

const PrivilegeNeed *privilege_needs(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(needs);
	return needs;
}

static int effective_caps(uint64_t *ret)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	*ret = data[0].effective | ((uint64_t)data[1].effective << 32);
	return 0;
}

int privilege_missing(uint64_t *ret_missing)
{
	uint64_t eff, missing = 0;
	int r = effective_caps(&eff);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(needs); i++)
		if (!(eff & (1ULL << needs[i].cap)))
			missing |= 1ULL << needs[i].cap;
	if ((missing & (1ULL << CAP_SYSLOG)) && !kmsg_restricted())
		missing &= ~(1ULL << CAP_SYSLOG);
	*ret_missing = missing;
	return 0;
}

int collect_privilege(Snapshot *s)
{
	uint64_t missing = 0;
	int r = privilege_missing(&missing);

	if (r < 0) {
		/* Nothing known: assume the worst rather than promise a complete scan. */
		for (size_t i = 0; i < ARRAY_SIZE(needs); i++)
			missing |= 1ULL << needs[i].cap;
		if (snapshot_add_gap(s, "privilege: effective capabilities", "capget", r) < 0)
			return -ENOMEM;
	}
	s->caps_missing = missing;
	s->privileged = missing == 0;
	for (size_t i = 0; i < ARRAY_SIZE(needs); i++) {
		char what[192];
		if (!(missing & (1ULL << needs[i].cap)))
			continue;
		snprintf(what, sizeof(what), "privilege: %s (%s)", needs[i].name, needs[i].cost);
		if (snapshot_add_gap(s, what, "capget", EPERM) < 0)
			return -ENOMEM;
	}
	return 0;
}

bool privilege_needs_fallback(const Snapshot *s, const ScanOptions *o)
{
	const uint64_t bpf = (1ULL << CAP_BPF) | (1ULL << CAP_PERFMON);
	uint64_t eff;

	if (!(s->caps_missing & (1ULL << CAP_SYS_ADMIN)))
		return false;
	/* Only the orphan scan runs the BPF tier; the census lists mounts either way. */
	if (o->want_orphans && !o->no_bpf && effective_caps(&eff) == 0 && (eff & bpf) == bpf)
		return false;
	return true;
}

int privilege_bpf_refusal(int err)
{
	const uint64_t bpf = (1ULL << CAP_BPF) | (1ULL << CAP_PERFMON);
	uint64_t eff;

	if (err <= 0 || err == EOPNOTSUPP || effective_caps(&eff) < 0)
		return 0;
	if (!(eff & (1ULL << CAP_SYS_ADMIN)) && (eff & bpf) != bpf)
		return 0;
	return err;
}
