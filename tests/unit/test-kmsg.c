// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for lib/collect/kmsg.c: kmsg_parse_record() on records read
 * back from this host's /dev/kmsg (tests/data/kmsg-real-6.18.txt: a record
 * with SUBSYSTEM/DEVICE lines, ext4 mount records, and lines written into
 * /dev/kmsg by userspace, "<0>" prefix and all), and the matcher on
 * sequences written after the kernel's format strings (kmsg-*.txt: the
 * hardened 6.1 BUG, 6.12 dentry warnings, ext4's orphan list, a netdev
 * waited on, the pre-4.13 formats, and userspace lines mixed into a real
 * report).  Each record is given in a buffer of exactly its size.
 */
#include "tap.h"

#include "collect/kmsg.h"

/* Feed every record of @name (a record starts at a line that does not begin with a space). */
static void feed_file(KmsgMatcher *m, const char *name)
{
	size_t len, start = 0;
	char *buf = tap_data(name, &len);

	while (start < len) {
		size_t end = start;
		do {
			const char *nl = memchr(buf + end, '\n', len - end);
			end = nl ? (size_t)(nl - buf) + 1 : len;
		} while (end < len && buf[end] == ' ');
		char *rec = tap_dup(buf + start, end - start);
		CHECK_EQ_INT(kmsg_matcher_feed_raw(m, rec, end - start) >= 0, 1);
		free(rec);
		start = end;
	}
	free(buf);
}

static int parse_str(const char *s, KmsgRecord *r)
{
	size_t len = strlen(s);
	char *p = tap_dup(s, len);
	int e = kmsg_parse_record(p, len, r);
	free(p);
	return e;
}

static void test_parse_real(void)
{
	static KmsgRecord r;

	CHECK_EQ_INT(parse_str("6,190,282971,-;acpi PNP0A08:00: _OSC: OS supports [ExtendedConfig "
			       "ASPM ClockPM Segments MSI HPX-Type3]\n SUBSYSTEM=acpi\n "
			       "DEVICE=+acpi:PNP0A08:00\n",
			       &r),
		     0);
	CHECK_EQ_INT(r.facility, 0);
	CHECK_EQ_INT(r.level, 6);
	CHECK_EQ_U64(r.seq, 190);
	CHECK_EQ_U64(r.ts_usec, 282971);
	CHECK(!r.cont);
	CHECK_STREQ(r.subsystem, "acpi");
	CHECK_STREQ(r.device, "+acpi:PNP0A08:00");
	CHECK_STREQ(r.text,
		    "acpi PNP0A08:00: _OSC: OS supports [ExtendedConfig ASPM ClockPM Segments MSI "
		    "HPX-Type3]");

	/* echo '<0>…' > /dev/kmsg: level 0, but facility LOG_USER (PRI 8). */
	CHECK_EQ_INT(parse_str("8,1231,47425684826,-;VFS: Busy inodes after unmount of loop9 "
			       "(ext4) residue-test\n",
			       &r),
		     0);
	CHECK_EQ_INT(r.facility, 1);
	CHECK_EQ_INT(r.level, 0);
	/* printf '<16>… \\ back\x01slash': the kernel escapes both bytes. */
	CHECK_EQ_INT(parse_str("16,1233,47425687273,-;residue-test mail facility \\x5c "
			       "back\\x01slash\n",
			       &r),
		     0);
	CHECK_EQ_INT(r.facility, 2);
	CHECK_STREQ(r.text, "residue-test mail facility \\ back\x01slash");
	CHECK_EQ_U64(r.text_len, strlen("residue-test mail facility \\ back\x01slash"));
	/* Fields after FLAGS (CONFIG_PRINTK_CALLER), a continuation fragment. */
	CHECK_EQ_INT(parse_str("4,5,6,c,caller=T42;x\n", &r), 0);
	CHECK(r.cont);
	CHECK_STREQ(r.text, "x");
}

static void test_parse_rejects(void)
{
	static KmsgRecord r;
	static const char *const bad[] = {
		"",
		";msg\n",
		"6,1,2;msg\n",
		"6,1,2,;msg\n",
		"6,,2,-;msg\n",
		"a,1,2,-;msg\n",
		"6,1,2,-msg\n",
		"6,1,2,-\n;msg\n",
		"4294967296,1,2,-;msg\n",
		"6,18446744073709551616,2,-;msg\n",
		"6,1,2,-;nul \\x00 inside\n",
		"6,1,2,-;msg\nnot a continuation\n",
		"6,1,2,-;msg\n SUBSYSTEM\n",
	};

	memset(&r, 0x5a, sizeof(r));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EQ_INT(parse_str(bad[i], &r), -EINVAL))
			printf("#   input: \"%s\"\n", bad[i]);
	/* Untouched on failure. */
	CHECK_EQ_U64(r.seq, 0x5a5a5a5a5a5a5a5aULL);
	/* Tolerated: no newline at the end, a lone backslash, an unknown key, a long text. */
	CHECK_EQ_INT(parse_str("6,1,2,-;cut", &r), 0);
	CHECK_STREQ(r.text, "cut");
	CHECK_EQ_INT(parse_str("6,1,2,-;a\\b\\x4\n X=1\n", &r), 0);
	CHECK_STREQ(r.text, "a\\b\\x4");
	char *big = malloc(8192);
	memcpy(big, "6,1,2,-;", 8);
	memset(big + 8, 'y', 8192 - 8 - 1);
	big[8191] = '\0';
	CHECK_EQ_INT(parse_str(big, &r), 0);
	CHECK(r.truncated);
	CHECK_EQ_U64(r.text_len, KMSG_TEXT_MAX - 1);
	free(big);
}

static const KernelLogFinding *find(const KernelLog *l, KernelLogKind k, const char *dev)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == k && strcmp(l->items[i].dev, dev) == 0)
			return &l->items[i];
	return NULL;
}

static void test_real_no_findings(void)
{
	KernelLog log = { 0 };
	KmsgMatcher m;

	kmsg_matcher_init(&m, &log, 0);
	feed_file(&m, "kmsg-real-6.18.txt");
	/* The spoofed "Busy inodes" and "kernel BUG" lines are userspace's: no finding. */
	CHECK_EQ_U64(log.n, 0);
	CHECK_EQ_U64(log.records, 8);
	CHECK_EQ_U64(log.kernel_records, 4);
	CHECK_EQ_U64(log.malformed, 0);
	/* 190, then 1227: the records between were not in the file. */
	CHECK_EQ_U64(log.lost, 1227 - 191);
	CHECK_EQ_U64(log.first_seq, 190);
	free(log.items);
}

static void test_hardened_bug(void)
{
	KernelLog log = { 0 };
	KmsgMatcher m;
	const KernelLogFinding *f;

	kmsg_matcher_init(&m, &log, 1.7e9);
	feed_file(&m, "kmsg-bug-6.1.txt");
	CHECK_EQ_U64(log.n, 2);
	f = find(&log, KLOG_BUSY_INODES, "loop0");
	if (CHECK(f)) {
		CHECK_STREQ(f->fstype, "iso9660");
		CHECK_EQ_U64(f->seq, 2713);
		CHECK_EQ_U64(f->ts_usec, 912345678);
		CHECK(f->wall > 1.7e9 + 912.3 && f->wall < 1.7e9 + 912.4);
		CHECK_EQ_INT(f->pid, 2716);
		CHECK_STREQ(f->comm, "umount");
		CHECK_STREQ(f->message, "VFS: Busy inodes after unmount of loop0 (iso9660)");
		CHECK(!f->count_known);
	}
	f = find(&log, KLOG_SUPER_BUG, "loop0");
	if (CHECK(f)) {
		CHECK_STREQ(f->fstype, "iso9660");
		CHECK_STREQ(f->message, "kernel BUG at fs/super.c:502!");
		CHECK_EQ_INT(f->pid, 2716);
		CHECK_STREQ(f->comm, "umount");
	}
	free(log.items);
}

static void test_dentry_warnings(void)
{
	KernelLog log = { 0 };
	KmsgMatcher m;
	const KernelLogFinding *f;

	kmsg_matcher_init(&m, &log, 0);
	feed_file(&m, "kmsg-dentry-6.12.txt");
	CHECK_EQ_U64(log.n, 2);
	f = find(&log, KLOG_DENTRY_IN_USE, "loop1");
	if (CHECK(f)) {
		/* The name holds " still in use (2)}": the count is the last one. */
		CHECK_STREQ(f->fstype, "ext4");
		CHECK_EQ_U64(f->records, 2);
		CHECK_EQ_INT(f->count, 1); /* the latest record's */
		CHECK_EQ_U64(f->seq, 3305);
		CHECK_EQ_U64(f->last_ts_usec, 1503221610);
		CHECK_EQ_INT(f->pid, 3120);
		CHECK_STREQ(f->comm, "umount");
		CHECK(strstr(f->message, "n=caf\xc3\xa9 }") != NULL);
		CHECK_EQ_INT(f->wall == 0, 1);
	}
	f = find(&log, KLOG_BUSY_INODES, "loop1");
	if (CHECK(f)) {
		CHECK_STREQ(f->fstype, "ext4");
		CHECK_EQ_INT(f->pid, 3120);
	}
	free(log.items);
}

static void test_ext4_netdev_old(void)
{
	KernelLog log = { 0 };
	KmsgMatcher m;
	const KernelLogFinding *f;

	kmsg_matcher_init(&m, &log, 0);
	feed_file(&m, "kmsg-ext4-orphans.txt");
	feed_file(&m, "kmsg-netdev.txt");
	feed_file(&m, "kmsg-old-4.9.txt");
	f = find(&log, KLOG_EXT4_ORPHANS, "dm-3");
	if (CHECK(f)) {
		CHECK_STREQ(f->fstype, "ext4");
		CHECK_EQ_INT(f->count, 2);
		CHECK_EQ_INT(f->pid, 998);
		CHECK_STREQ(f->comm, "kworker/1:2");
	}
	CHECK(!find(&log, KLOG_SUPER_BUG, "")); /* fs/ext4/super.c is not fs/super.c */
	f = find(&log, KLOG_NETDEV_WAIT, "lo");
	if (CHECK(f)) {
		CHECK_EQ_U64(f->records, 3);
		CHECK_EQ_INT(f->count, 3);
		CHECK_STREQ(f->fstype, "");
		CHECK_EQ_INT(f->pid, 0);
	}
	f = find(&log, KLOG_NETDEV_WAIT, "veth9a8b7c6");
	if (CHECK(f))
		CHECK_EQ_INT(f->count, 1);
	f = find(&log, KLOG_DENTRY_IN_USE, "tmpfs");
	if (CHECK(f)) {
		CHECK_STREQ(f->fstype, "tmpfs");
		CHECK_EQ_INT(f->pid, 4411);
		CHECK_STREQ(f->comm, "dockerd");
	}
	f = find(&log, KLOG_BUSY_INODES, "sdb1");
	if (CHECK(f))
		CHECK_STREQ(f->fstype, "");
	CHECK_EQ_U64(log.n, 5);
	free(log.items);
}

static void test_spoof_context(void)
{
	KernelLog log = { 0 };
	KmsgMatcher m;
	const KernelLogFinding *f;

	kmsg_matcher_init(&m, &log, 0);
	feed_file(&m, "kmsg-spoof-context.txt");
	/* Only the kernel's "Busy inodes"; userspace's BUG, dentry, netdev and ext4 lines are not. */
	CHECK_EQ_U64(log.n, 1);
	f = find(&log, KLOG_BUSY_INODES, "loop4");
	if (CHECK(f)) {
		CHECK_STREQ(f->fstype, "squashfs");
		/* Userspace's "CPU: … Comm:" line does not name the task; the kernel's does. */
		CHECK_EQ_INT(f->pid, 5150);
		CHECK_STREQ(f->comm, "umount");
	}
	CHECK_EQ_U64(log.kernel_records, 2);
	free(log.items);
}

/* Every cut of a real report parses or is refused, and never reads past its length. */
static void test_cuts(void)
{
	static const char rec[] = "3,2713,912345678,-;VFS: Busy inodes after unmount of loop0 "
				  "(iso9660)\n SUBSYSTEM=block\n DEVICE=b7:0\n";
	static KmsgRecord r;

	for (size_t n = 0; n <= sizeof(rec) - 1; n++) {
		char *p = tap_dup(rec, n);
		int e = kmsg_parse_record(p, n, &r);
		CHECK(e == 0 || e == -EINVAL);
		free(p);
	}
	KernelLog log = { 0 };
	KmsgMatcher m;
	kmsg_matcher_init(&m, &log, 0);
	CHECK_EQ_INT(kmsg_matcher_feed_raw(&m, rec, sizeof(rec) - 1), 1);
	CHECK_EQ_U64(log.n, 1);
	/* Malformed variants of the report: no finding, no crash. */
	static const char *const odd[] = {
		"3,1,1,-;VFS: Busy inodes after unmount of \n",
		"3,2,1,-;VFS: Busy inodes after unmount of (x)\n",
		"3,3,1,-;BUG: Dentry x still in use (\n",
		"3,4,1,-;BUG: Dentry x  still in use (99999999999) [unmount of a b]\n",
		"3,5,1,-;BUG: Dentry x  still in use (1) [unmount of ab]\n",
		"3,6,1,-;EXT4-fs (): sb orphan head is \n",
		"3,7,1,-;unregister_netdevice: waiting for  to become free. Usage count = x\n",
		"3,8,1,-;CPU: 1 PID: x Comm: y\n",
	};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		CHECK(kmsg_matcher_feed_raw(&m, odd[i], strlen(odd[i])) >= 0);
	CHECK(log.n <= 5);
	free(log.items);

	/* A dead dentry's count is negative (lockref_mark_dead: -128): known, not "none". */
	static const char dead[] = "4,9,1,-;BUG: Dentry 0000000012345678{i=0,n=gone}  still in use "
				   "(-128) [unmount of tmpfs tmpfs]\n";
	KernelLog log2 = { 0 };
	kmsg_matcher_init(&m, &log2, 0);
	CHECK_EQ_INT(kmsg_matcher_feed_raw(&m, dead, sizeof(dead) - 1), 1);
	const KernelLogFinding *f = find(&log2, KLOG_DENTRY_IN_USE, "tmpfs");
	if (CHECK(f)) {
		CHECK(f->count_known);
		CHECK_EQ_INT(f->count, -128);
	}
	free(log2.items);
}

/* The reader: a log that is not there is said, not an error; an empty one reads as empty. */
static void test_reader(void)
{
	KmsgReader *r = NULL;

	CHECK_EQ_INT(kmsg_reader_new("/nonexistent/kmsg", false, &r), 0);
	if (CHECK(r)) {
		CHECK(!kmsg_reader_log(r)->readable);
		CHECK_EQ_INT(kmsg_reader_log(r)->error, ENOENT);
		CHECK_EQ_INT(kmsg_reader_fd(r), -1);
		CHECK_EQ_INT(kmsg_reader_drain(r), 0);
		r = kmsg_reader_free(r);
	}
	CHECK_EQ_INT(kmsg_reader_new("/dev/null", true, &r), 0);
	if (CHECK(r)) {
		CHECK(kmsg_reader_log(r)->readable && kmsg_reader_log(r)->follow);
		CHECK_EQ_INT(kmsg_reader_drain(r), 0);
		CHECK_EQ_U64(kmsg_reader_log(r)->records, 0);
		kmsg_reader_free(r);
	}
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_parse_real);
	RUN(test_parse_rejects);
	RUN(test_real_no_findings);
	RUN(test_hardened_bug);
	RUN(test_dentry_warnings);
	RUN(test_ext4_netdev_old);
	RUN(test_spoof_context);
	RUN(test_cuts);
	RUN(test_reader);
	return tap_done();
}
