/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What memcg-watch.bpf.c sends to memcg-watch.c through its ring buffer:
 * one fixed-size record per removal (cgroup_rmdir) and per release
 * (cgroup_release, when the kernel frees the cgroup) of a cgroup in a
 * hierarchy with the memory controller.  A removed cgroup whose release
 * comes late was a zombie for that long.
 */
#pragma once

#ifndef __bpf__
#include <linux/types.h>
#endif

#define ZW_PATH_MAX 256 /* of the tracepoint's path (up to 1024 there): longer ones are cut */
#define ZW_RING_BYTES (1 << 20) /* 3 600 records: the consumer drains it continuously */

enum zw_type {
	ZW_RMDIR = 1,
	ZW_RELEASE = 2,
};

enum zw_flags {
	ZW_PATH_CUT = 1, /* path longer than ZW_PATH_MAX - 1: cut */
	ZW_PATH_NONE = 2, /* the path could not be read */
};

struct zw_event {
	__u64 time_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgroup_id; /* kernfs node id = the directory's inode number */
	__u32 hierarchy_id; /* 0: the v2 hierarchy; v1: the number in /proc/cgroups */
	__u32 type; /* enum zw_type */
	__u32 level; /* depth below the hierarchy's root */
	__u32 flags; /* enum zw_flags */
	char path[ZW_PATH_MAX]; /* from the hierarchy's root, as the tracepoint gives it */
};

/* Counters in .bss. */
struct zw_stats {
	__u64 rmdirs, releases; /* of memory cgroups, sent */
	__u64 dropped; /* records lost: the ring buffer was full */
};
