/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel log, /dev/kmsg (Documentation/ABI/testing/dev-kmsg): a pure
 * parser of one record, a matcher that turns the kernel's own reports of
 * leaked references and failed teardowns into KernelLogFindings, and a
 * reader that reads the ring once from its start (`residue`) or follows
 * it from where it was at the start (`residue serve`, `residue watch`).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/kernel-log.h"

/* LOG_LINE_MAX (1024 - 32) bytes of text at most, plus room for a newer kernel. */
#define KMSG_TEXT_MAX 2048

/*
 * One record: "PRI,SEQ,TS_USEC,FLAGS[,more];MESSAGE\n" then " KEY=VALUE\n"
 * continuation lines.  The message and values are unescaped (the kernel
 * writes every byte < 0x20, >= 0x7f and the backslash as \xNN).
 */
typedef struct KmsgRecord {
	uint32_t facility; /* PRI >> 3: 0 is the kernel, never userspace */
	uint8_t level; /* PRI & 7 */
	uint64_t seq;
	uint64_t ts_usec; /* microseconds since boot */
	bool cont; /* FLAGS 'c': a fragment continued by the next record */
	bool truncated; /* the text did not fit in text[] */
	size_t text_len;
	char text[KMSG_TEXT_MAX]; /* NUL-terminated; holds no NUL */
	char subsystem[32], device[48]; /* SUBSYSTEM= and DEVICE= lines, "" when absent */
} KmsgRecord;

/*
 * Parse the @len bytes of one record at @buf (what one read(2) of /dev/kmsg
 * returns).  0, or -EINVAL when it is not a record (then *@ret is untouched).
 */
int kmsg_parse_record(const char *buf, size_t len, KmsgRecord *ret);

/*
 * The matcher: feed it the records in sequence order.  It keeps a little
 * context, because a report spans records: "kernel BUG at fs/super.c"
 * follows the "Busy inodes" record it belongs to, and the oops or warning
 * after either names the task (the umount) in "CPU: N PID: N Comm: …".
 */
typedef struct KmsgMatcher {
	KernelLog *log; /* findings go here; its counters count the records */
	double boot_wall; /* seconds since the epoch at boot, for wall times; 0: unknown */
	bool have_next;
	uint64_t next_seq; /* the record expected next: a larger one means records were lost */
	int64_t awaiting_task; /* index of the finding the next "CPU: … Comm:" line names, -1 */
	uint64_t awaiting_since; /* ... the seq of the record that made it */
	int64_t last_busy; /* index of the last "Busy inodes" finding, -1 */
	uint64_t last_busy_seq;
	int64_t ext4_orphans; /* index of the finding whose "  inode DEV:INO" lines are counted */
	uint64_t ext4_orphans_seq;
} KmsgMatcher;

void kmsg_matcher_init(KmsgMatcher *m, KernelLog *log, double boot_wall);
/*
 * One record, already parsed.  1 when it made or changed a finding, 0 when not
 * (records of another facility never do, nor feed the context), -ENOMEM.
 */
int kmsg_matcher_feed(KmsgMatcher *m, const KmsgRecord *r);
/* Parse and feed: counts a record that does not parse as malformed. */
int kmsg_matcher_feed_raw(KmsgMatcher *m, const char *buf, size_t len);

typedef struct KmsgReader KmsgReader;
/*
 * Open @path (NULL: /dev/kmsg) without blocking.  @follow: from the end of
 * the ring (only records that arrive later), else from its first record.
 * An unreadable log is not an error: kernel_log->readable is false and
 * ->error says why (EPERM under kernel.dmesg_restrict without CAP_SYSLOG).
 * Only -ENOMEM fails.
 */
int kmsg_reader_new(const char *path, bool follow, KmsgReader **ret);
KmsgReader *kmsg_reader_free(KmsgReader *r);
/* The fd to poll for POLLIN (a record arrived), or -1 when the log is unreadable. */
int kmsg_reader_fd(const KmsgReader *r);
/*
 * Read every record available now (never blocks) and match it.  The number
 * of findings made or changed, or -ENOMEM.  Read errors other than lost
 * records (EPIPE: counted) end the reading and are recorded in the log.
 */
int kmsg_reader_drain(KmsgReader *r);
const KernelLog *kmsg_reader_log(const KmsgReader *r);
