// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel log (kmsg.h).  The record format is the kernel's
 * info_print_ext_header() and msg_print_ext_body() (kernel/printk/printk.c):
 * "%u,%llu,%llu,%c[,caller=T1];" with PRI = facility << 3 | level, then the
 * text with every byte < 0x20, >= 0x7f and '\\' written as \xNN, a newline,
 * and " SUBSYSTEM=…" / " DEVICE=…" lines.  One read(2) returns one record;
 * EAGAIN (O_NONBLOCK) means no more; EPIPE means records were overwritten
 * before we read them, and the next read returns the oldest one left.
 *
 * Only records of facility 0 are matched.  devkmsg_write() gives what
 * userspace writes facility 1 (LOG_USER) unless it asks for a non-zero one
 * with a "<N>" prefix: `if (LOG_FACILITY(u) != 0) facility = LOG_FACILITY(u);`
 * so no write to /dev/kmsg, "<0>" prefix or not, makes a facility-0 record.
 *
 * What is matched, and why (format strings as in the kernel source):
 * - fs/super.c generic_shutdown_super(), after evict_inodes() and put_super:
 *   CHECK_DATA_CORRUPTION(!list_empty(&sb->s_inodes), "VFS: Busy inodes after
 *   unmount of %s (%s)", sb->s_id, sb->s_type->name) (since 4.13; before it,
 *   "VFS: Busy inodes after unmount of %s. Self-destruct in 5 seconds.  Have a
 *   nice day...").  An inode reference outlived the unmount: the seed's bug.
 * - CHECK_DATA_CORRUPTION (include/linux/bug.h) is pr_err() + BUG() with
 *   CONFIG_BUG_ON_DATA_CORRUPTION (Debian's 6.1 and 6.12 configs), else WARN():
 *   the BUG prints "kernel BUG at fs/super.c:%u!" (lib/bug.c report_bug) and the
 *   oops "CPU: %d PID: %d Comm: %.20s …" (lib/dump_stack.c) names the umount.
 *   After it the superblock stays listed with s_umount held (KERNEL-NOTES.md,
 *   "Leaked references"): sync(2) hangs.
 * - fs/dcache.c umount_check(), from shrink_dcache_for_umount(): "BUG: Dentry
 *   %p{i=%lx,n=%pd}  still in use (%d) [unmount of %s %s]" (type name, s_id;
 *   the format's two string pieces leave two spaces before "still"), a WARN
 *   since 6.2, printk(KERN_ERR) + WARN_ON before.  A dentry reference leaked.
 * - fs/ext4/super.c ext4_put_super() → dump_orphan_list(): ext4_msg(sb,
 *   KERN_ERR, "sb orphan head is %d") as "EXT4-fs (%s): …" with s_id, then one
 *   "  inode %s:%lu at %p: mode %o, nlink %d, next %d" per inode, then
 *   ASSERT(list_empty(&sbi->s_orphan)): an unlinked file's inode was never
 *   released by the time its filesystem went away.
 * - net/core/dev.c netdev_wait_allrefs(_any)(): pr_emerg("unregister_netdevice:
 *   waiting for %s to become free. Usage count = %d\n", dev->name, …), every
 *   10 s (netdev_unregister_timeout_secs) while a device of a dying network
 *   namespace (a container's veth or lo) keeps a reference: the namespace is
 *   never freed and the cleanup_net work behind it stalls.
 * Not matched: we found no message of xfs's or overlayfs's own that says a
 * superblock outlived its unmount (the VFS messages above cover every
 * filesystem: they are printed by generic_shutdown_super and umount_check for
 * all of them), ext4's "Assertion failure in ext4_put_super()" follows the
 * orphan list it asserts on, and "VFS: Close: file count is 0" is a double
 * fput, not something a dead container leaves.
 */
#include "collect/kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/macro.h"

/* Records between a report and the oops line that names its task, at most. */
#define TASK_WINDOW 64
/* Records between "Busy inodes" and the BUG that follows it (pr_err then BUG()). */
#define BUG_WINDOW 16
/* Records of "  inode …" lines after "sb orphan head", at most. */
#define ORPHAN_WINDOW 4096
/* Records one drain reads at most, so that a flood cannot keep the agent here. */
#define DRAIN_MAX (1U << 20)

static bool parse_u64(const char **p, const char *end, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Unescape [@s, @end) into @out (@size > 0, NUL-terminated).  A \xNN that
 * gives 0 fails (the kernel's text has no NUL); a backslash not followed by
 * xNN is kept as it is.  Sets *@truncated when @out was too small.
 */
static bool unescape(const char *s, const char *end, char *out, size_t size, size_t *ret_len,
		     bool *truncated)
{
	size_t n = 0;

	while (s < end) {
		char c = *s++;
		if (c == '\\' && end - s >= 3 && s[0] == 'x' && hexval(s[1]) >= 0 &&
		    hexval(s[2]) >= 0) {
			c = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 3;
		}
		if (c == '\0')
			return false;
		if (n + 1 < size)
			out[n++] = c;
		else if (truncated)
			*truncated = true;
	}
	out[n] = '\0';
	if (ret_len)
		*ret_len = n;
	return true;
}

int kmsg_parse_record(const char *buf, size_t len, KmsgRecord *ret)
{
	const char *p = buf, *end = buf + len;
	uint64_t pri, seq, ts;
	KmsgRecord *r;

	if (!parse_u64(&p, end, &pri) || pri > UINT32_MAX || p >= end || *p++ != ',')
		return -EINVAL;
	if (!parse_u64(&p, end, &seq) || p >= end || *p++ != ',')
		return -EINVAL;
	if (!parse_u64(&p, end, &ts) || p >= end || *p++ != ',')
		return -EINVAL;
	const char *flags = p;
	/* FLAGS, then any further fields ("caller=T123"), up to ';'; never a newline. */
	while (p < end && *p != ';' && *p != '\n')
		p++;
	if (p >= end || *p != ';' || p == flags)
		return -EINVAL;
	const char *text = ++p;
	const char *eol = memchr(text, '\n', (size_t)(end - text));
	if (!eol)
		eol = end; /* tolerate a record cut at its end */

	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (KmsgRecord){
		.facility = (uint32_t)(pri >> 3),
		.level = (uint8_t)(pri & 7),
		.seq = seq,
		.ts_usec = ts,
		.cont = flags[0] == 'c',
	};
	if (!unescape(text, eol, r->text, sizeof(r->text), &r->text_len, &r->truncated))
		goto bad;
	/* Continuation lines: " KEY=VALUE\n". */
	for (p = eol < end ? eol + 1 : end; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		if (*p != ' ')
			goto bad;
		const char *key = p + 1, *eq = memchr(key, '=', (size_t)(line_end - key));
		if (!eq)
			goto bad;
		char *dst = NULL;
		size_t dsize = 0;
		if (eq - key == 9 && memcmp(key, "SUBSYSTEM", 9) == 0)
			dst = r->subsystem, dsize = sizeof(r->subsystem);
		else if (eq - key == 6 && memcmp(key, "DEVICE", 6) == 0)
			dst = r->device, dsize = sizeof(r->device);
		if (dst && !unescape(eq + 1, line_end, dst, dsize, NULL, NULL))
			goto bad;
		p = nl ? nl + 1 : end;
	}
	*ret = *r;
	free(r);
	return 0;
bad:
	free(r);
	return -EINVAL;
}

void kmsg_matcher_init(KmsgMatcher *m, KernelLog *log, double boot_wall)
{
	*m = (KmsgMatcher){
		.log = log,
		.boot_wall = boot_wall,
		.awaiting_task = -1,
		.last_busy = -1,
		.ext4_orphans = -1,
	};
}

/* After @prefix at the start of @s, or NULL. */
static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* The last occurrence of @needle in [@s, @end), or NULL. */
static const char *find_last(const char *s, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	if (end < s || (size_t)(end - s) < n)
		return NULL;
	for (size_t i = (size_t)(end - s) - n + 1; i-- > 0;)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

static void copy_span(char *dst, size_t size, const char *s, const char *end)
{
	size_t n = (size_t)(end - s) < size - 1 ? (size_t)(end - s) : size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* A signed decimal at @s (the kernel's %d), or false. */
static bool parse_int(const char *s, const char **ret_end, int64_t *ret)
{
	bool neg = *s == '-';
	uint64_t v;
	const char *p = s + neg;

	if (!parse_u64(&p, p + strlen(p), &v) || v > INT32_MAX + (uint64_t)neg)
		return false;
	*ret = neg ? -(int64_t)v : (int64_t)v;
	*ret_end = p;
	return true;
}

/* What one record reports, before it is merged into the log. */
typedef struct Report {
	KernelLogKind kind;
	const char *dev, *dev_end, *fstype, *fstype_end;
	int64_t count;
	bool has_count;
} Report;

static bool match_busy_inodes(const char *line, const char *eol, Report *rep)
{
	const char *s = after(line, "VFS: Busy inodes after unmount of ");
	const char *old;

	if (!s)
		return false;
	rep->kind = KLOG_BUSY_INODES;
	rep->dev = s;
	rep->dev_end = eol;
	/* 4.13+: "DEV (FSTYPE)"; a type name has no space or parenthesis, s_id might. */
	const char *open = find_last(s, eol, " (");
	if (eol > s && eol[-1] == ')' && open && !memchr(open + 2, ' ', (size_t)(eol - open - 3))) {
		rep->dev_end = open;
		rep->fstype = open + 2;
		rep->fstype_end = eol - 1;
	} else if ((old = find_last(s, eol, ". Self-destruct in 5 seconds."))) {
		rep->dev_end = old;
	}
	return true;
}

static bool match_dentry(const char *line, const char *eol, Report *rep)
{
	const char *s = after(line, "BUG: Dentry ");
	const char *still, *n, *um;

	if (!s)
		return false;
	/* Anchored at the end: the name (%pd) may hold anything, even " still in use (". */
	still = find_last(s, eol, " still in use (");
	if (!still)
		return false;
	if (!parse_int(still + strlen(" still in use ("), &n, &rep->count))
		return false;
	rep->has_count = true;
	um = after(n, ") [unmount of ");
	if (!um || eol <= um || eol[-1] != ']')
		return false;
	const char *sp = memchr(um, ' ', (size_t)(eol - 1 - um));
	if (!sp)
		return false;
	rep->kind = KLOG_DENTRY_IN_USE;
	rep->fstype = um;
	rep->fstype_end = sp;
	rep->dev = sp + 1;
	rep->dev_end = eol - 1;
	return true;
}

static bool match_ext4(const char *line, const char *eol, Report *rep)
{
	const char *s = after(line, "EXT4-fs (");
	const char *head;

	if (!s || !(head = find_last(s, eol, "): sb orphan head is ")))
		return false;
	rep->kind = KLOG_EXT4_ORPHANS;
	rep->dev = s;
	rep->dev_end = head;
	rep->fstype = "ext4";
	rep->fstype_end = rep->fstype + 4;
	rep->count = 0; /* the inodes listed after it */
	rep->has_count = true;
	return true;
}

static bool match_netdev(const char *line, const char *eol, Report *rep)
{
	const char *s = after(line, "unregister_netdevice: waiting for ");
	const char *free_, *n;

	if (!s || !(free_ = find_last(s, eol, " to become free. Usage count = ")))
		return false;
	rep->has_count =
		parse_int(free_ + strlen(" to become free. Usage count = "), &n, &rep->count);
	rep->kind = KLOG_NETDEV_WAIT;
	rep->dev = s;
	rep->dev_end = free_;
	/* A debugging variant prints "%s (%p)": the name is what comes before. */
	const char *open = find_last(s, free_, " (");
	if (open && free_[-1] == ')')
		rep->dev_end = open;
	return true;
}

/* "CPU: 1 PID: 4242 Comm: umount Tainted: …" or "CPU: 1 UID: 0 PID: 4242 Comm: …" */
static bool match_task(const char *line, pid_t *ret_pid, char *comm, size_t size)
{
	const char *s = after(line, "CPU: "), *p, *c, *e;
	uint64_t pid;

	if (!s || !(p = strstr(s, " PID: ")) || !(c = strstr(p, " Comm: ")))
		return false;
	p += strlen(" PID: ");
	if (!parse_u64(&p, c, &pid) || p != c || pid == 0 || pid > INT32_MAX)
		return false;
	c += strlen(" Comm: ");
	/* %.20s, then the taint: a comm may hold spaces, the taint words come after it. */
	e = strstr(c, " Not tainted");
	if (!e)
		e = strstr(c, " Tainted: ");
	if (!e)
		e = c + strcspn(c, " ");
	*ret_pid = (pid_t)pid;
	copy_span(comm, size, c, e);
	return true;
}

static bool span_eq(const char *s, const char *end, const char *str)
{
	size_t n = s ? (size_t)(end - s) : 0;
	return strlen(str) == n && (n == 0 || memcmp(s, str, n) == 0);
}

static int add_report(KmsgMatcher *m, const KmsgRecord *r, const Report *rep, const char *eol,
		      int64_t *ret_index)
{
	KernelLog *l = m->log;
	KernelLogFinding *f = NULL;

	for (size_t i = 0; i < l->n; i++) {
		KernelLogFinding *x = &l->items[i];
		if (x->kind == rep->kind && span_eq(rep->dev, rep->dev_end, x->dev) &&
		    span_eq(rep->fstype, rep->fstype_end, x->fstype)) {
			f = x;
			break;
		}
	}
	if (f) {
		f->records++;
		f->last_ts_usec = r->ts_usec;
		if (rep->has_count) {
			f->count = rep->count;
			f->count_known = true;
		}
		*ret_index = f - l->items;
		return 1;
	}
	f = kernel_log_add(l);
	if (!f)
		return -ENOMEM;
	f->kind = (uint8_t)rep->kind;
	f->seq = r->seq;
	f->ts_usec = f->last_ts_usec = r->ts_usec;
	f->wall = m->boot_wall > 0 ? m->boot_wall + (double)r->ts_usec / 1e6 : 0;
	f->records = 1;
	f->count = rep->count;
	f->count_known = rep->has_count;
	if (rep->dev)
		copy_span(f->dev, sizeof(f->dev), rep->dev, rep->dev_end);
	if (rep->fstype)
		copy_span(f->fstype, sizeof(f->fstype), rep->fstype, rep->fstype_end);
	copy_span(f->message, sizeof(f->message), r->text, eol);
	*ret_index = (int64_t)l->n - 1;
	return 1;
}

static bool within(uint64_t since, uint64_t seq, uint64_t window)
{
	return seq >= since && seq - since <= window;
}

int kmsg_matcher_feed(KmsgMatcher *m, const KmsgRecord *r)
{
	KernelLog *l = m->log;
	Report rep = { 0 };
	const char *line = r->text;
	const char *eol = line + strcspn(line, "\n");
	int64_t idx;
	int e;

	if (!l->records)
		l->first_seq = r->seq;
	l->records++;
	if (m->have_next && r->seq > m->next_seq)
		l->lost += r->seq - m->next_seq;
	m->have_next = true;
	m->next_seq = r->seq + 1;
	/* Userspace's records are never findings, nor context of one. */
	if (r->facility != 0)
		return 0;
	l->kernel_records++;

	if (match_busy_inodes(line, eol, &rep) || match_dentry(line, eol, &rep) ||
	    match_ext4(line, eol, &rep) || match_netdev(line, eol, &rep)) {
		e = add_report(m, r, &rep, eol, &idx);
		if (e < 0)
			return e;
		if (rep.kind == KLOG_BUSY_INODES) {
			m->last_busy = idx;
			m->last_busy_seq = r->seq;
		}
		if (rep.kind == KLOG_EXT4_ORPHANS) {
			m->ext4_orphans = idx;
			m->ext4_orphans_seq = r->seq;
			l->items[idx].count = 0; /* counted again from the list that follows */
		}
		if (rep.kind != KLOG_NETDEV_WAIT) {
			m->awaiting_task = idx;
			m->awaiting_since = r->seq;
		}
		return e;
	}
	if (after(line, "kernel BUG at fs/super.c:")) {
		/* It follows the "Busy inodes" record it is about, which named the device. */
		const KernelLogFinding *b =
			m->last_busy >= 0 && within(m->last_busy_seq, r->seq, BUG_WINDOW) ?
				&l->items[m->last_busy] :
				NULL;
		/* Copies: adding the finding may move the array @b points into. */
		char dev[KLOG_DEV_MAX], fstype[KLOG_FSTYPE_MAX];
		rep.kind = KLOG_SUPER_BUG;
		if (b) {
			memcpy(dev, b->dev, sizeof(dev));
			memcpy(fstype, b->fstype, sizeof(fstype));
			rep.dev = dev;
			rep.dev_end = dev + strlen(dev);
			rep.fstype = fstype;
			rep.fstype_end = fstype + strlen(fstype);
		}
		e = add_report(m, r, &rep, eol, &idx);
		if (e >= 0) {
			m->awaiting_task = idx;
			m->awaiting_since = r->seq;
		}
		return e;
	}
	if (after(line, "  inode ") && m->ext4_orphans >= 0 &&
	    within(m->ext4_orphans_seq, r->seq, ORPHAN_WINDOW)) {
		l->items[m->ext4_orphans].count++;
		return 1;
	}
	pid_t pid;
	char comm[KLOG_COMM_MAX];
	if (m->awaiting_task >= 0 && within(m->awaiting_since, r->seq, TASK_WINDOW) &&
	    match_task(line, &pid, comm, sizeof(comm))) {
		int64_t both[2] = { m->awaiting_task, -1 };
		/* The oops after the BUG also names the task of the "Busy inodes" before it. */
		if (m->last_busy >= 0 && within(m->last_busy_seq, r->seq, TASK_WINDOW))
			both[1] = m->last_busy;
		for (size_t i = 0; i < ARRAY_SIZE(both); i++) {
			if (both[i] < 0 || l->items[both[i]].pid)
				continue;
			l->items[both[i]].pid = pid;
			memcpy(l->items[both[i]].comm, comm, sizeof(comm));
		}
		m->awaiting_task = -1;
		return 1;
	}
	return 0;
}

int kmsg_matcher_feed_raw(KmsgMatcher *m, const char *buf, size_t len)
{
	KmsgRecord *r = malloc(sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	e = kmsg_parse_record(buf, len, r);
	if (e == -EINVAL) {
		m->log->malformed++;
		e = 0;
	} else if (e == 0) {
		e = kmsg_matcher_feed(m, r);
	}
	free(r);
	return e;
}

struct KmsgReader {
	int fd;
	KernelLog *log;
	KmsgMatcher m;
	char buf[16384]; /* a record is at most CONSOLE_EXT_LOG_MAX (8192) */
};

/* Seconds since the epoch at boot: the printk clock counts from boot, as dmesg -T assumes. */
static double boot_wall(void)
{
	struct timespec real, boot;

	if (clock_gettime(CLOCK_REALTIME, &real) < 0 || clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return 0;
	return (double)(real.tv_sec - boot.tv_sec) + (double)(real.tv_nsec - boot.tv_nsec) / 1e9;
}

int kmsg_reader_new(const char *path, bool follow, KmsgReader **ret)
{
	KmsgReader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->log = kernel_log_new();
	if (!r->log) {
		free(r);
		return -ENOMEM;
	}
	r->log->follow = follow;
	kmsg_matcher_init(&r->m, r->log, boot_wall());
	r->fd = open(path ? path : "/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (r->fd < 0) {
		r->log->error = errno;
	} else if (follow && lseek(r->fd, 0, SEEK_END) < 0) {
		r->log->error = errno;
		close(r->fd);
		r->fd = -1;
	}
	r->log->readable = r->fd >= 0;
	*ret = r;
	return 0;
}

KmsgReader *kmsg_reader_free(KmsgReader *r)
{
	if (!r)
		return NULL;
	if (r->fd >= 0)
		close(r->fd);
	kernel_log_free(r->log);
	free(r);
	return NULL;
}

int kmsg_reader_fd(const KmsgReader *r)
{
	return r->fd;
}

const KernelLog *kmsg_reader_log(const KmsgReader *r)
{
	return r->log;
}

int kmsg_reader_drain(KmsgReader *r)
{
	int changed = 0;

	for (unsigned i = 0; r->fd >= 0 && i < DRAIN_MAX; i++) {
		ssize_t n = read(r->fd, r->buf, sizeof(r->buf));
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			/* Overwritten before we read them: the next record's seq says how many. */
			if (errno == EINTR || errno == EPIPE || errno == EINVAL)
				continue;
			r->log->error = errno;
			r->log->readable = false;
			close(r->fd);
			r->fd = -1;
			break;
		}
		if (n == 0)
			break;
		int e = kmsg_matcher_feed_raw(&r->m, r->buf, (size_t)n);
		if (e < 0)
			return e;
		changed += e;
	}
	return changed;
}
