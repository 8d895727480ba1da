// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The inode audit's plain data (model/inodes.h), and the per-filesystem
 * models the analysis needs: which filesystems pin their own dentries, which
 * hold inodes without a dentry.  Each entry says where in the kernel it
 * comes from; a filesystem not listed has no model, and what its counts do
 * not explain stays unexplained.
 */
#include "model/inodes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"

void ino_sample_clear(InoSample *s)
{
	free(s->objs);
	free(s->holders);
	*s = (InoSample){ 0 };
}

int ino_sample_add_obj(InoSample *s, const InoObj *o)
{
	if (s->n_objs == s->cap_objs) {
		size_t cap = s->cap_objs ? s->cap_objs * 2 : 256;
		InoObj *n = reallocarray(s->objs, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->objs = n;
		s->cap_objs = cap;
	}
	s->objs[s->n_objs++] = *o;
	return 0;
}

int ino_sample_add_holder(InoSample *s, const InoHolder *h)
{
	if (s->n_holders == s->cap_holders) {
		size_t cap = s->cap_holders ? s->cap_holders * 2 : 256;
		InoHolder *n = reallocarray(s->holders, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->holders = n;
		s->cap_holders = cap;
	}
	s->holders[s->n_holders++] = *h;
	return 0;
}

InodeAudit *inode_audit_free(InodeAudit *a)
{
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->n_gaps; i++) {
		free(a->gaps[i].what);
		free(a->gaps[i].call);
	}
	free(a->gaps);
	free(a->findings);
	free(a->sbs);
	free(a);
	return NULL;
}

int inode_audit_copy(const InodeAudit *a, InodeAudit **ret)
{
	InodeAudit *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = *a;
	c->findings = NULL;
	c->sbs = NULL;
	c->gaps = NULL;
	c->n_gaps = c->cap_gaps = 0;
	if (a->n_findings && !(c->findings = malloc(a->n_findings * sizeof(*c->findings))))
		goto oom;
	if (a->n_findings)
		memcpy(c->findings, a->findings, a->n_findings * sizeof(*c->findings));
	if (a->n_sbs && !(c->sbs = malloc(a->n_sbs * sizeof(*c->sbs))))
		goto oom;
	if (a->n_sbs)
		memcpy(c->sbs, a->sbs, a->n_sbs * sizeof(*c->sbs));
	for (size_t i = 0; i < a->n_gaps; i++) {
		const Gap *g = &a->gaps[i];
		if (gap_list_add(&c->gaps, &c->n_gaps, &c->cap_gaps, g->what, g->call, g->err,
				 g->example) < 0)
			goto oom;
		c->gaps[c->n_gaps - 1].count = g->count;
	}
	*ret = c;
	return 0;
oom:
	inode_audit_free(c);
	return -ENOMEM;
}

int inode_audit_add_gap(InodeAudit *a, const char *what, const char *call, int err)
{
	return gap_list_add(&a->gaps, &a->n_gaps, &a->cap_gaps, what, call, err, 0);
}

/*
 * Magic numbers (include/uapi/linux/magic.h).  pins: the filesystem takes
 * an extra reference on every dentry it creates and keeps it until unlink
 * (the "dget(dentry); Extra count - pin the dentry in core" of
 * shmem_mknod() and simple_* based filesystems; debugfs, tracefs,
 * securityfs and bpffs make their files the same way).
 */
static const struct {
	uint32_t magic;
	const char *name;
	bool pins;
	bool unmodeled;
} fs_models[] = {
	{ 0x01021994, "tmpfs", true }, /* also devtmpfs on tmpfs, and memfd/shm */
	{ 0x858458f6, "ramfs", true },
	{ 0x64626720, "debugfs", true },
	{ 0x74726163, "tracefs", true },
	{ 0x73636673, "securityfs", true },
	{ 0xcafe4a11, "bpf", true },
	{ 0x62656570, "configfs", true },
	{ 0x958458f6, "hugetlbfs", true },
	{ 0x42494e4d, "binfmt_misc", true },
	{ 0x6e736673, "nsfs", false },
	{ 0xef53, "ext4", false },
	{ 0x58465342, "xfs", false },
	{ 0x9123683e, "btrfs", false },
	{ 0x9660, "iso9660", false },
	{ 0x4d44, "vfat", false },
	{ 0x794c7630, "overlay", false },
	{ 0x9fa0, "proc", false, true },
	{ 0x62656572, "sysfs", false, true },
	{ 0x27e0eb, "cgroup", false, true },
	{ 0x63677270, "cgroup2", false, true },
	{ 0x1cd1, "devpts", false },
	{ 0x19800202, "mqueue", false },
	{ 0x65735546, "fuse", false },
	{ 0x6969, "nfs", false },
	{ 0xff534d42, "cifs", false },
	{ 0x01021997, "9p", false },
	{ 0x73717368, "squashfs", false },
	{ 0x5346544e, "ntfs", false },
	{ 0xf2f52010, "f2fs", false },
	{ 0x2fc12fc1, "zfs", false },
};

const char *ino_fstype(uint32_t magic)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_models); i++)
		if (fs_models[i].magic == magic)
			return fs_models[i].name;
	return NULL;
}

/*
 * proc: the pid directories and their files are looked up and held by
 * proc itself (pid_revalidate, the task's proc inodes); sysfs and cgroup
 * (kernfs): kernfs_node lookups and the kernel's own opens.  This host's
 * boot-time instances carry references no process table shows (docs/INODES.md).
 */
bool ino_fs_unmodeled(uint32_t magic)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_models); i++)
		if (fs_models[i].magic == magic)
			return fs_models[i].unmodeled;
	return false;
}

/*
 * Dentries a filesystem keeps for its life: devpts' ptmx (devpts_fill_super()
 * keeps fsi->ptmx_dentry), proc's self and thread-self (proc_setup_self(),
 * proc_setup_thread_self() keep them in proc_fs_info).  Children of the root.
 */
bool ino_fs_holds_dentry(uint32_t magic, uint64_t parent_ino, const char *name)
{
	if (parent_ino != 1)
		return false;
	if (magic == 0x1cd1)
		return strcmp(name, "ptmx") == 0;
	if (magic == 0x9fa0)
		return strcmp(name, "self") == 0 || strcmp(name, "thread-self") == 0;
	return false;
}

bool ino_fs_pins_dentries(uint32_t magic)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_models); i++)
		if (fs_models[i].magic == magic)
			return fs_models[i].pins;
	return false;
}

size_t ino_pin_magics(uint32_t *ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fs_models) && n < max; i++)
		if (fs_models[i].pins)
			ret[n++] = fs_models[i].magic;
	return n;
}

/*
 * ext4 keeps its reserved inodes below EXT4_GOOD_OLD_FIRST_INO (11) in
 * memory without a dentry while mounted: the journal (8, s_journal_inum),
 * the quota files (3, 4) when quota is on.
 */
bool ino_fs_holds_inode(uint32_t magic, uint64_t ino)
{
	if (magic == 0xef53)
		return ino < 11;
	return false;
}

const char *ino_finding_kind_name(InoFindingKind k)
{
	switch (k) {
	case INO_FIND_STRANDED:
		return "stranded";
	case INO_FIND_DENTRY_REFS:
		return "dentry_refs";
	case INO_FIND_INODE_REFS:
		return "inode_refs";
	default:
		return "?";
	}
}
