/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hand-built snapshots for the analyzer and renderer tests: a small host
 * (fixture_base: pid 1 on the live root, the host mount namespace, the
 * calibrated internal mounts, the mounted superblocks) and one "adder" per
 * case of the orphan contract, which appends that case's processes,
 * holders, namespaces, probes and gaps.  A fixture is the base plus one
 * adder; "host" is the base plus all of them.  The numbers below are the
 * ones the tests assert, so a test reads as "this dev, these holders".
 * Nothing here does I/O; on ENOMEM the builders abort the test program.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model/memcg.h"
#include "model/snapshot.h"

/* makedev() as a constant expression, so tables of devices can be static. */
#define FX_DEV(ma, mi)                                                                             \
	((((uint64_t)(ma)&0xfffff000ULL) << 32) | (((uint64_t)(ma)&0xfffULL) << 8) |               \
	 (((uint64_t)(mi)&0xffffff00ULL) << 12) | ((uint64_t)(mi)&0xffULL))

/* The base host. */
#define FX_HOST_NS_ID 4294967297ULL /* 0x100000001: the first mount namespace */
#define FX_HOST_NS_INO 4026531841ULL
#define FX_NSFS_DEV FX_DEV(0, 4)
/* nsfs's and pipefs's internal mounts: calibrated. */
#define FX_MNT_NSFS 3
#define FX_MNT_PIPEFS 4
#define FX_MNT_ROOT 20
#define FX_MNT_PROC 21
#define FX_MNT_TMP 22
#define FX_DEV_ROOT FX_DEV(259, 2)
#define FX_DEV_PROC FX_DEV(0, 22)
#define FX_DEV_TMP FX_DEV(0, 30)
#define FX_BASE_PROCS 1
/* pid 1's root and cwd on the live root mount: the first fixture holder is this index. */
#define FX_BASE_HOLDERS 2

/*
 * The orphans' devices, one per case, so "host" can hold them all at once:
 * (a) tmpfs-fd, (b) mmap, (c) cwd and chroot, (d) detached, (e) loop ext4
 * written and read, (f) an unattached mount of a superblock still mounted,
 * (h) vanished, (j) shared by three and by two processes, (l) no probe.
 */
#define FX_DEV_TMPFS_FD FX_DEV(0, 55)
#define FX_DEV_MMAP FX_DEV(0, 56)
#define FX_DEV_CWD FX_DEV(0, 57)
#define FX_DEV_ROOTDIR FX_DEV(0, 58)
#define FX_DEV_DETACHED FX_DEV(0, 59)
#define FX_DEV_LOOP_WRITE FX_DEV(7, 0)
#define FX_DEV_LOOP_READ FX_DEV(7, 1)
#define FX_DEV_ELSEWHERE FX_DEV(0, 60)
#define FX_DEV_VANISHED FX_DEV(0, 63)
#define FX_DEV_SHARED FX_DEV(0, 61)
#define FX_DEV_SHARED2 FX_DEV(0, 62)
#define FX_DEV_NOPROBE FX_DEV(0, 64)
#define FX_DEV_KEPT FX_DEV(0, 65) /* tmpfs only FX_NS_FD mounts */
#define FX_DEV_KEPT_OVL FX_DEV(0, 66) /* overlay only FX_NS_FD mounts: bytes unknown */
#define FX_DEV_KEPT_BOTH FX_DEV(0, 67) /* tmpfs FX_NS_FD and FX_NS_BIND both mount */

/* (i) the mount namespaces. */
#define FX_NS_FD_ID 4294967311ULL /* no process; an nsfs fd and a bind keep it */
#define FX_NS_FD_INO 4026532345ULL
#define FX_NS_BIND_ID 4294967312ULL /* no process; a bind in the host keeps it */
#define FX_NS_BIND_INO 4026532346ULL
#define FX_NS_INNER_ID 4294967313ULL /* no process; a bind inside FX_NS_BIND keeps it */
#define FX_NS_INNER_INO 4026532347ULL
#define FX_NS_NONE_ID 4294967314ULL /* no process, no holder in sight */
#define FX_NS_NONE_INO 4026532348ULL
#define FX_NS_LIVE_ID 4294967315ULL /* has processes: never reported */
#define FX_NS_LIVE_INO 4026532349ULL
#define FX_NS_GONE_ID 4294967399ULL /* a bind lives in a namespace not in the snapshot */
#define FX_NS_ORPHANBIND_ID 4294967316ULL
#define FX_NS_ORPHANBIND_INO 4026532350ULL

typedef struct Fixture {
	const char *name; /* also the golden files' stem */
	void (*add)(Snapshot *s);
} Fixture;

extern const Fixture fixtures[];
extern const size_t n_fixtures;

/* The base host alone: nothing to report. */
Snapshot *fixture_base(void);
/* fixture_base() plus f->add. */
Snapshot *fixture_build(const Fixture *f);
/* fixture_base() plus every adder, in the order of fixtures[]. */
Snapshot *fixture_host(void);
const Fixture *fixture_by_name(const char *name);

/*
 * The adders, (a)…(l) of the test plan: tmpfs-fd, mmap, cwd-root, detached,
 * loop-ext4, mounted-elsewhere, live-internal, vanished, namespaces, shared,
 * gaps, no-probe.
 */
void fx_add_tmpfs_fd(Snapshot *s);
void fx_add_mmap(Snapshot *s);
void fx_add_cwd_root(Snapshot *s);
void fx_add_detached(Snapshot *s);
void fx_add_loop_ext4(Snapshot *s);
void fx_add_mounted_elsewhere(Snapshot *s);
void fx_add_live_internal(Snapshot *s);
void fx_add_vanished(Snapshot *s);
void fx_add_namespaces(Snapshot *s);
void fx_add_shared(Snapshot *s);
void fx_add_gaps(Snapshot *s);
void fx_add_no_probe(Snapshot *s);

/* A memory cgroup node for hand-built zombie scans (aborts on ENOMEM). */
CgNode *fx_cg_node(ZombieScan *z, uint64_t id, uint64_t parent_id, const char *path, bool dying,
		   uint64_t usage_pages);
