// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for the superblock walk's pure half: sbs_decode() (records of
 * refs.bpf.c → KernelSb: devices, pages → bytes, clamps, duplicates) and the
 * verdicts ksb_place() and ksb_is_unmounted() (where a superblock is mounted,
 * and whether nothing but a kernel object can keep it), on records shaped
 * like those this host's walk wrote.
 */
#include "tap.h"

#include <errno.h>
#include <sys/sysmacros.h>

#include "bpf/refs.h"
#include "bpf/sbs-decode.h"
#include "model/snapshot.h"

#define TMPFS 0x01021994
#define ACTIVE 0x70810000U /* SB_ACTIVE | SB_BORN | …, as a mounted tmpfs has */
#define KERNMOUNT 0xf0c10000U /* shm_mnt: SB_KERNMOUNT too */

static struct rs_sb rec(uint64_t kdev, uint32_t s_flags)
{
	return (struct rs_sb){ .dev = kdev, .magic = TMPFS, .s_flags = s_flags, .s_active = 1 };
}

static void test_decode(void)
{
	struct rs_sb r[3] = { rec(41, ACTIVE), rec((7ULL << 20) | 3, ACTIVE), rec(41, ACTIVE) };
	Snapshot *s = snapshot_new();

	r[0].mounts = r[0].orphaned = 1;
	r[0].dying = 1;
	r[0].flags = RS_SB_F_PAGES;
	r[0].nrpages = 2560;
	r[1].n_ns = 7; /* more than recorded: the rest are unknown */
	r[1].attached = 7;
	r[1].flags = RS_SB_F_PAGES;
	r[1].nrpages = UINT64_MAX / 2; /* a torn read */
	CHECK_EQ_INT(sbs_decode(s, r, sizeof(r), 4096), 0);
	CHECK_EQ_U64(s->n_ksbs, 2); /* 0:41 twice: kept once */
	CHECK_EQ_U64(s->ksbs[0].dev, makedev(0, 41));
	CHECK(s->ksbs[0].bytes_known);
	CHECK_EQ_U64(s->ksbs[0].cached_bytes, 2560 * 4096ULL);
	CHECK_EQ_U64(s->ksbs[0].s_active, 1);
	CHECK_EQ_U64(s->ksbs[0].dying, 1);
	CHECK_EQ_U64(s->ksbs[1].dev, makedev(7, 3));
	CHECK_EQ_U64(s->ksbs[1].n_ns, KSB_NS_MAX);
	CHECK(s->ksbs[1].ns_more);
	CHECK(!s->ksbs[1].bytes_known);
	CHECK(snapshot_find_ksb(s, makedev(7, 3)) == &s->ksbs[1]);
	CHECK_EQ_INT(sbs_decode(s, r, sizeof(r) - 1, 4096), -EBADMSG);
	CHECK_EQ_INT(sbs_decode(s, r, sizeof(r), 0), -EBADMSG);
	CHECK_EQ_U64(s->n_ksbs, 2);
	snapshot_free(s);
}

/* nsfs bind records: each mount once, mount id 0 (a torn record) skipped, counts kept. */
static void test_nsbinds(void)
{
	struct rs_nsbind r[4] = {
		{ .mnt_id = 0x100000001,
		  .ns_id = 5,
		  .target_ino = 4026532100,
		  .ns_ino = 4026531841 },
		{ .mnt_id = 0 },
		{ .mnt_id = 0x100000001, .ns_id = 9 }, /* the list moved: seen twice */
		{ .mnt_id = 0x100000002,
		  .ns_id = 5,
		  .target_ino = 4026532200,
		  .ns_ino = 4026531841 },
	};
	Snapshot *s = snapshot_new();

	CHECK_EQ_INT(nsbinds_decode(s, r, sizeof(r)), 0);
	CHECK_EQ_U64(s->n_knsbinds, 2);
	CHECK_EQ_U64(s->knsbinds[0].ns_id, 5);
	CHECK_EQ_U64(s->knsbinds[0].target_ino, 4026532100);
	CHECK_EQ_U64(s->knsbinds[0].ns_ino, 4026531841);
	CHECK_EQ_U64(s->knsbinds[1].mnt_id, 0x100000002);
	/* A second walk adds nothing it already has. */
	CHECK_EQ_INT(nsbinds_decode(s, r, sizeof(r)), 0);
	CHECK_EQ_U64(s->n_knsbinds, 2);
	CHECK_EQ_INT(nsbinds_decode(s, r, sizeof(r) - 1), -EBADMSG);
	snapshot_free(s);
}

/* Files tasks are still closing: their devices, dev_t as the kernel packs it. */
/*
 * Names of rootless superblocks: attached to their KernelSb by device, only to
 * one without a root, the first record only; unprintable bytes end a name.
 */
static void test_sbnames(void)
{
	struct rs_sb r[3] = { rec((7ULL << 20) | 0, 0), rec((7ULL << 20) | 1, 0), rec(42, ACTIVE) };
	struct rs_sb_name n[4] = {
		{ .dev = (7ULL << 20) | 0, .umount_count = 1, .fstype = "ext4", .s_id = "loop0" },
		{ .dev = (7ULL << 20) | 0, .umount_count = 0, .fstype = "xfs", .s_id = "loop9" },
		{ .dev = (7ULL << 20) | 1,
		  .umount_count = 0x100,
		  .fstype = "ext2\n!",
		  .s_id = "lo\x1bop1" },
		{ .dev = 42, .fstype = "tmpfs", .s_id = "tmpfs" },
	};
	Snapshot *s = snapshot_new();

	r[0].flags = r[1].flags = RS_SB_F_NO_ROOT;
	memset(n[3].s_id, 'x', sizeof(n[3].s_id)); /* no NUL: cut at the field's size */
	CHECK_EQ_INT(sbs_decode(s, r, sizeof(r), 4096), 0);
	CHECK_EQ_INT(sbnames_decode(s, n, sizeof(n) - 1), -EBADMSG);
	CHECK_EQ_INT(sbnames_decode(s, n, sizeof(n)), 0);
	const KernelSb *a = snapshot_find_ksb(s, makedev(7, 0)),
		       *b = snapshot_find_ksb(s, makedev(7, 1)),
		       *c = snapshot_find_ksb(s, makedev(0, 42));
	if (CHECK(a && b && c)) {
		CHECK(a->named && a->umount_locked);
		CHECK_STREQ(a->fstype, "ext4");
		CHECK_STREQ(a->s_id, "loop0");
		CHECK(b->named && !b->umount_locked);
		CHECK_STREQ(b->fstype, "ext2");
		CHECK_STREQ(b->s_id, "lo");
		CHECK(!c->named); /* it has a root: a name record for it is stale */
	}
	snapshot_free(s);
}

static void test_fputs(void)
{
	struct rs_fput r[2] = {
		{ .dev = 41, .ino = 2, .pid = 100, .tid = 100 },
		{ .dev = (7ULL << 20) | 3, .ino = 12, .pid = 100, .tid = 101 },
	};
	Snapshot *s = snapshot_new();

	CHECK_EQ_INT(fputs_decode(s, r, sizeof(r)), 0);
	CHECK(u64set_contains(&s->fput_devs, makedev(0, 41)));
	CHECK(u64set_contains(&s->fput_devs, makedev(7, 3)));
	CHECK_EQ_INT(fputs_decode(s, r, sizeof(r) - 1), -EBADMSG);
	snapshot_free(s);
}

static void test_place(void)
{
	Snapshot *s = snapshot_new();
	MountNs *peopled = snapshot_add_ns(s), *empty = snapshot_add_ns(s);

	peopled->id = 100;
	peopled->ino = 4026531841;
	peopled->nr_procs = 3;
	empty->id = 200;
	empty->ino = 4026532000;

	KernelSb k = { .s_active = 1, .sb_flags = ACTIVE, .mounts = 1, .orphaned = 1 };
	CHECK_EQ_INT(ksb_place(s, &k), KSB_NOWHERE);
	CHECK(ksb_is_unmounted(s, &k));
	/* No active reference left: being shut down, not kept. */
	KernelSb shutting = k;
	shutting.s_active = 0;
	CHECK(!ksb_is_unmounted(s, &shutting));
	/* Mounted nowhere in one of two walks only: a namespace being torn down. */
	KernelSb once = k;
	once.transient = true;
	CHECK(!ksb_is_unmounted(s, &once));
	/* A mount MNT_DOOMED or still on umount_tree()'s list: torn down now, not kept. */
	KernelSb doomed = k;
	doomed.dying = 1;
	CHECK(!ksb_is_unmounted(s, &doomed));
	/* A file of it that a task is still closing (____fput queued): being let go of. */
	KernelSb closing = k;
	closing.dev = makedev(0, 77);
	CHECK(ksb_is_unmounted(s, &closing));
	CHECK_EQ_INT(u64set_add(&s->fput_devs, makedev(0, 77)), 1);
	CHECK(!ksb_is_unmounted(s, &closing));
	/* The kernel's own mounts (shm_mnt, sockfs…) are no orphans. */
	KernelSb kern = { .s_active = 1, .sb_flags = KERNMOUNT, .mounts = 1, .internal = 1 };
	CHECK(!ksb_is_unmounted(s, &kern));
	/* Not alive (SB_ACTIVE clear), or no root: being torn down or set up. */
	KernelSb dying = { .s_active = 1, .sb_flags = ACTIVE & ~(1U << 30) };
	CHECK(!ksb_is_unmounted(s, &dying));
	KernelSb rootless = { .s_active = 1, .sb_flags = ACTIVE, .no_root = true };
	CHECK(!ksb_is_unmounted(s, &rootless));
	/* A mount list that was not walked to its end proves nothing. */
	KernelSb cut = { .s_active = 1, .sb_flags = ACTIVE, .mounts = 4096, .mounts_cut = true };
	CHECK_EQ_INT(ksb_place(s, &cut), KSB_DETACHED);
	CHECK(!ksb_is_unmounted(s, &cut));
	KernelSb anon = { .s_active = 1, .sb_flags = ACTIVE, .mounts = 1, .anon = 1 };
	CHECK_EQ_INT(ksb_place(s, &anon), KSB_DETACHED);

	KernelSb only_empty = {
		.s_active = 1, .sb_flags = ACTIVE, .attached = 1, .n_ns = 1, .ns_ids = { 200 }
	};
	CHECK_EQ_INT(ksb_place(s, &only_empty), KSB_PROCLESS);
	KernelSb both = {
		.s_active = 1, .sb_flags = ACTIVE, .attached = 2, .n_ns = 2, .ns_ids = { 200, 100 }
	};
	CHECK_EQ_INT(ksb_place(s, &both), KSB_LIVE);
	/* A namespace the scan did not list may have processes: live. */
	KernelSb unknown = {
		.s_active = 1, .sb_flags = ACTIVE, .attached = 1, .n_ns = 1, .ns_ids = { 300 }
	};
	CHECK_EQ_INT(ksb_place(s, &unknown), KSB_LIVE);
	KernelSb more = {
		.s_active = 1, .sb_flags = ACTIVE, .attached = 9, .n_ns = 1, .ns_ids = { 200 }
	};
	more.ns_more = true;
	CHECK_EQ_INT(ksb_place(s, &more), KSB_LIVE);
	/* Before 6.18 the ids are sequence numbers of another space: match by inode. */
	KernelSb old = {
		.s_active = 1, .sb_flags = ACTIVE, .attached = 1, .n_ns = 1, .ns_old_ids = true
	};
	old.ns_ids[0] = 100;
	old.ns_inos[0] = 4026532000;
	CHECK_EQ_INT(ksb_place(s, &old), KSB_PROCLESS);
	snapshot_free(s);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_decode);
	RUN(test_nsbinds);
	RUN(test_sbnames);
	RUN(test_fputs);
	RUN(test_place);
	return tap_done();
}
