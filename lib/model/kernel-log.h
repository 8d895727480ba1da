/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the kernel's own log says about leaked references and failed
 * teardowns: plain data that collect/kmsg.c fills from /dev/kmsg and the
 * renderers print.  Each finding is one kind of report about one device
 * (a superblock's s_id, or a network device), with the first record that
 * said so and how many records said it since.  Only records of the kernel
 * facility (0) ever become findings: what userspace writes into /dev/kmsg
 * is LOG_USER or another non-zero facility (kernel/printk/printk.c,
 * devkmsg_write).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum KernelLogKind {
	/* fs/super.c generic_shutdown_super: "VFS: Busy inodes after unmount of DEV (FSTYPE)" */
	KLOG_BUSY_INODES,
	/* fs/dcache.c umount_check: "BUG: Dentry …  still in use (N) [unmount of FSTYPE DEV]" */
	KLOG_DENTRY_IN_USE,
	/* lib/bug.c report_bug: "kernel BUG at fs/super.c:LINE!" (CONFIG_BUG_ON_DATA_CORRUPTION) */
	KLOG_SUPER_BUG,
	/* fs/ext4/super.c dump_orphan_list: "EXT4-fs (DEV): sb orphan head is N" at put_super */
	KLOG_EXT4_ORPHANS,
	/* net/core/dev.c netdev_wait_allrefs: "unregister_netdevice: waiting for DEV to become free" */
	KLOG_NETDEV_WAIT,
	_KLOG_KIND_MAX,
} KernelLogKind;

#define KLOG_DEV_MAX 64
#define KLOG_FSTYPE_MAX 32
#define KLOG_COMM_MAX 24
#define KLOG_MESSAGE_MAX 512

typedef struct KernelLogFinding {
	uint8_t kind; /* KernelLogKind */
	uint64_t seq; /* the first record's sequence number: with kind and dev, its identity */
	uint64_t ts_usec; /* its time, microseconds since boot (the record's timestamp) */
	double wall; /* the same as seconds since the epoch; 0: unknown */
	uint64_t last_ts_usec; /* the latest record of this kind about this device */
	uint32_t records; /* how many records said it (a device waited on is reported every 10 s) */
	char dev[KLOG_DEV_MAX]; /* "loop0", "eth0"; "" when the record names none */
	char fstype[KLOG_FSTYPE_MAX]; /* "ext4"; "" when unknown or not a filesystem */
	/*
	 * The kernel's count, when count_known: a dentry's reference count (a dead
	 * dentry's is negative, -128), a device's usage count, ext4's orphans listed.
	 */
	int64_t count;
	bool count_known;
	pid_t pid; /* the task that hit it (the umount, from the oops or warning), 0: unknown */
	char comm[KLOG_COMM_MAX];
	char message[KLOG_MESSAGE_MAX]; /* the record's text, unescaped (any bytes but NUL) */
} KernelLogFinding;

typedef struct KernelLog {
	KernelLogFinding *items;
	size_t n, cap;
	bool readable; /* /dev/kmsg could be opened */
	int error; /* why not, a positive errno */
	bool follow; /* new records only (serve, watch), not the ring from its start */
	uint64_t records; /* records read */
	uint64_t kernel_records; /* ... of the kernel facility: the only ones matched */
	uint64_t lost; /* records overwritten in the ring before they could be read */
	/*
	 * The first record read.  Reading the ring from its start, a first record
	 * after 0 means the ring had wrapped: the records before it are gone.
	 */
	uint64_t first_seq;
	uint64_t malformed; /* records that did not parse */
} KernelLog;

/* "busy_inodes", …: the stable names of JSON, metrics and logs. */
const char *kernel_log_kind_to_string(KernelLogKind k);
/* What a finding of kind @k means for the host, one or two sentences. */
const char *kernel_log_kind_meaning(KernelLogKind k);
/* syslog priority of a finding of kind @k: 2 crit (a dead superblock), else 3 err. */
int kernel_log_kind_severity(KernelLogKind k);

KernelLog *kernel_log_new(void);
KernelLog *kernel_log_free(KernelLog *l);
/* A copy of @l (a report's own, while the reader goes on), or NULL when memory runs out. */
KernelLog *kernel_log_copy(const KernelLog *l);
KernelLogFinding *kernel_log_add(KernelLog *l);
