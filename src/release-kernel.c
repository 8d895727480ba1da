// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue release DEV --detach-loops | --drain-inflight | --unregister`:
 * free an orphan that no process holds by letting go of the kernel object
 * that keeps it.  A loop device bound to a file of it is detached
 * (LOOP_CLR_FD) when nothing uses it; files of it in flight in a unix
 * socket are received and closed through a copy of the owner's socket
 * (pidfd_getfd), message by message, only messages that carry them; an
 * io_uring ring's fixed files are unregistered through a copy of the ring
 * (IORING_UNREGISTER_FILES: all of them, not one slot).  fsopen contexts and
 * overlays get their hint only: nothing outside their owner can close one.
 * Every action checks at the moment of acting that the holder is still the
 * one the scan saw (the pid's start time, the socket's inode, the loop's
 * backing file, the ring's slot); nothing is ever killed.  Dry run unless
 * --yes, predicting with the same checks (and a MSG_PEEK of the message
 * at the head of each socket); --yes acts, says what it did, then scans
 * again and says whether the superblock went and how many bytes came back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/io_uring.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/macro.h"
#include "base/procfmt.h"
#include "base/strescape.h"
#include "collect/zombies.h"
#include "render/render.h"
#include "residue.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* 5.3 */
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438 /* 5.6 */
#endif
#ifndef SYS_io_uring_register
#define SYS_io_uring_register 427
#endif
#ifndef SCM_MAX_FD
#define SCM_MAX_FD 253 /* include/net/scm.h */
#endif

/* A stream socket's message (one skb) and a datagram are smaller than this with default buffers. */
#define RECV_BUF (1U << 20)
/* Messages received from one socket at most: the scan saw fewer files in flight. */
#define RECV_MAX 4096

typedef struct KRelease {
	uint64_t dev;
	bool execute, json;
	bool detach_loops, drain_inflight, unregister;
	const Snapshot *s;
	json_object *list;
	unsigned acted, skipped, failed, hints;
	bool eperm; /* something was refused for want of privilege */
	char *buf; /* RECV_BUF bytes: the data of messages received */
} KRelease;

/* One line of the plan or of what was done. */
typedef struct Row {
	const char *kind; /* the holder's how: loop, inflight…, io_uring, fscontext, overlay */
	const char *action;
	const char *target; /* /dev/loopN, socket:[INO], anon_inode:[io_uring]… */
	pid_t pid; /* 0: none */
	const char *comm;
	bool has_fd, has_counts, has_fixed; /* which of these are known (else null) */
	int fd;
	int64_t messages, files, data_bytes; /* files in flight: what was (would be) received */
	int64_t fixed_files; /* io_uring: how many the ring has registered, -1 unknown */
	int err;
	const char *note;
} Row;

#define ROW(...) ((Row){ __VA_ARGS__ })

static json_object *num_or_null(int64_t v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static void say(KRelease *kr, const Row *r)
{
	if (kr->json) {
		json_object *o = json_object_new_object();
		_cleanup_free_ char *comm = r->comm ? str_escape_utf8(r->comm) : NULL;
		json_object_object_add(o, "kind", json_object_new_string(r->kind));
		json_object_object_add(o, "action", json_object_new_string(r->action));
		json_object_object_add(o, "target",
				       r->target ? json_object_new_string(r->target) : NULL);
		json_object_object_add(o, "pid", r->pid ? json_object_new_int(r->pid) : NULL);
		json_object_object_add(o, "comm", comm ? json_object_new_string(comm) : NULL);
		json_object_object_add(o, "fd", r->has_fd ? json_object_new_int(r->fd) : NULL);
		json_object_object_add(o, "messages",
				       r->has_counts ? num_or_null(r->messages) : NULL);
		json_object_object_add(o, "files", r->has_counts ? num_or_null(r->files) : NULL);
		json_object_object_add(o, "data_bytes",
				       r->has_counts ? num_or_null(r->data_bytes) : NULL);
		json_object_object_add(o, "fixed_files",
				       r->has_fixed ? num_or_null(r->fixed_files) : NULL);
		json_object_object_add(o, "error",
				       r->err ? json_object_new_string(strerror(r->err)) : NULL);
		json_object_object_add(o, "note", r->note ? json_object_new_string(r->note) : NULL);
		json_object_array_add(kr->list, o);
	} else {
		_cleanup_free_ char *comm = r->comm ? str_escape_text(r->comm) : NULL;
		printf("%-16s %-15s %s", r->action, r->kind, r->target ? r->target : "");
		if (r->pid)
			printf(" of pid %d (%s)", r->pid, comm ? comm : "?");
		if (r->has_fd)
			printf(" fd %d", r->fd);
		if (r->err)
			printf(": %s", strerror(r->err));
		if (r->note)
			printf(": %s", r->note);
		putchar('\n');
	}
	if (r->err == EPERM || r->err == EACCES)
		kr->eperm = true;
}

static const char *comm_of(const Snapshot *s, int32_t proc)
{
	return proc >= 0 && (size_t)proc < s->n_procs && s->procs[proc].comm[0] ?
		       s->procs[proc].comm :
		       NULL;
}

static uint64_t starttime_of(pid_t pid)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? 0 : proc_starttime_at(dfd);
}

/*
 * A copy of fd @fd of @pid, if @pid is still the process that started at
 * @start: the pidfd is taken first, so the start time read after it is the
 * pidfd's process, and the copy comes from that process, whatever happens to
 * the pid since.  Returns the fd, -ESRCH (gone or another process now), or
 * -errno of pidfd_getfd (EPERM: no CAP_SYS_PTRACE over it; EBADF: fd closed).
 */
static int steal_copy(pid_t pid, uint64_t start, int fd)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	if (!start || starttime_of(pid) != start)
		return -ESRCH;
	int r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	return r < 0 ? -errno : r;
}

static const char *steal_note(int err)
{
	switch (err) {
	case ESRCH:
		return "the process the scan saw is gone (or its pid is another's now): nothing done";
	case EPERM:
		return "pidfd_getfd needs CAP_SYS_PTRACE over the owner";
	case EBADF:
		return "the owner closed that fd since the scan: nothing done";
	default:
		return "pidfd_getfd failed";
	}
}

/* ---- loop devices ---------------------------------------------------------------------------- */

/* Processes with an fd on block device @rdev: "pid N (COMM)" of the first, and how many. */
static size_t loop_fd_users(dev_t rdev, char *first, size_t size)
{
	_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = procfd >= 0 ? fdopendir(dup(procfd)) : NULL;
	size_t n = 0;

	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));) {
		char path[64], link[64];
		if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
			continue;
		DIR *f = proc_fd_opendir(procfd, de->d_name);
		if (!f)
			continue;
		for (struct dirent *fe; (fe = readdir(f));) {
			struct stat st;
			ssize_t m = readlinkat(dirfd(f), fe->d_name, link, sizeof(link) - 1);
			if (m <= 0 || link[0] != '/')
				continue;
			if (fstatat(dirfd(f), fe->d_name, &st, 0) < 0 || !S_ISBLK(st.st_mode) ||
			    st.st_rdev != rdev)
				continue;
			if (n++ == 0) {
				char comm[32] = "?";
				snprintf(path, sizeof(path), "/proc/%.16s/comm", de->d_name);
				ssize_t c = read_small_at(AT_FDCWD, path, comm, sizeof(comm));
				if (c > 0 && comm[c - 1] == '\n')
					comm[c - 1] = '\0';
				snprintf(first, size, "pid %.16s (%.20s) fd %.16s", de->d_name,
					 comm, fe->d_name);
			}
			break;
		}
		closedir(f);
	}
	closedir(d);
	return n;
}

/* A holder in /sys/block/loopN/holders (device mapper, md): its name in @buf. */
static bool loop_sysfs_holder(const char *name, char *buf, size_t size)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/block/%s/holders", name + strlen("/dev/"));
	DIR *d = opendir(path);
	bool any = false;
	if (!d)
		return false;
	for (struct dirent *de; !any && (de = readdir(d));)
		if (de->d_name[0] != '.') {
			snprintf(buf, size, "%.64s", de->d_name);
			any = true;
		}
	closedir(d);
	return any;
}

/* Bound to the scan's backing file still?  0 yes, -ESTALE another file, -ENXIO unbound, -errno. */
static int loop_same_file(int fd, const LoopDev *l)
{
	struct loop_info64 info;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode) || st.st_rdev != l->rdev)
		return -ESTALE;
	if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
		return -errno;
	if (makedev(major(info.lo_device), minor(info.lo_device)) != l->back_dev ||
	    info.lo_inode != l->back_ino)
		return -ESTALE;
	return 0;
}

/*
 * Detach @l if nothing uses it.  "Uses": a mount or an exclusive claim (the
 * kernel's: an O_EXCL open of the device fails with EBUSY), a holder in
 * sysfs, an fd of a process.  On a device some process still has open,
 * LOOP_CLR_FD does not detach: it sets autoclear and the device goes at its
 * last close (drivers/block/loop.c, loop_clr_fd); such a device is skipped,
 * and if one was opened between the check and the ioctl, that is what is
 * reported.  We hold the device open ourselves: with nobody else, the
 * detach happens at our close, which is why the result is read after it.
 */
static void release_loop(KRelease *kr, const LoopDev *l)
{
	char who[160] = "", note[320];
	Row row = ROW(.kind = "loop", .target = l->name);

	int fd = open(l->name, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == EBUSY) {
		snprintf(note, sizeof(note),
			 "a filesystem on it is mounted, or something claims it: release that "
			 "first, then losetup -d %s",
			 l->name);
		row.action = "skip-busy", row.note = note;
		kr->skipped++;
		say(kr, &row);
		return;
	}
	if (fd < 0) {
		row.action = "failed", row.err = errno;
		row.note = errno == EACCES ? "opening it needs root (or group disk)" : NULL;
		kr->failed++;
		say(kr, &row);
		return;
	}
	int r = loop_same_file(fd, l);
	if (r < 0) {
		row.action = r == -ESTALE || r == -ENXIO ? "skip-changed" : "failed";
		row.err = r == -ESTALE || r == -ENXIO ? 0 : -r;
		row.note = r == -ENXIO	? "no longer bound to anything" :
			   r == -ESTALE ? "now bound to another file" :
					  "LOOP_GET_STATUS64";
		*(row.err ? &kr->failed : &kr->skipped) += 1;
		say(kr, &row);
		close(fd);
		return;
	}
	size_t users = loop_fd_users(l->rdev, who, sizeof(who));
	bool sysfs = !users && loop_sysfs_holder(l->name, who, sizeof(who));
	if (users || sysfs) {
		if (sysfs)
			snprintf(note, sizeof(note),
				 "held by %s (sysfs holders): release that first", who);
		else
			snprintf(
				note, sizeof(note),
				"open in %zu process%s (%s): LOOP_CLR_FD would only set autoclear; "
				"it detaches when they close it",
				users, users > 1 ? "es" : "", who);
		row.action = "skip-busy", row.note = note;
		kr->skipped++;
		say(kr, &row);
		close(fd);
		return;
	}
	if (!kr->execute) {
		snprintf(note, sizeof(note),
			 "nothing uses it: LOOP_CLR_FD detaches it and drops its backing file %s",
			 l->backing ? l->backing : "");
		row.action = "would-detach", row.note = note;
		kr->acted++;
		say(kr, &row);
		close(fd);
		return;
	}
	if (ioctl(fd, LOOP_CLR_FD, 0) < 0) {
		row.action = "failed", row.err = errno, row.note = "LOOP_CLR_FD";
		kr->failed++;
		say(kr, &row);
		close(fd);
		return;
	}
	close(fd); /* the detach happens at the last close: ours */
	struct loop_info64 info;
	fd = open(l->name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool bound = fd >= 0 && ioctl(fd, LOOP_GET_STATUS64, &info) == 0;
	if (fd >= 0)
		close(fd);
	if (bound) {
		row.action = "autoclear";
		row.note = "someone opened it meanwhile: it is marked to detach at its last close "
			   "(autoclear), not detached";
	} else {
		row.action = "detached";
	}
	kr->acted++;
	say(kr, &row);
}

/* ---- files in flight ------------------------------------------------------------------------- */

/* One socket a process holds, with the files of the orphan in flight behind it. */
typedef struct Owner {
	const Inflight *f; /* the first record: owner, via */
	uint64_t start; /* the owner's start time, read right after the scan */
	size_t n_files; /* records of the orphan's files behind this socket */
	uint64_t nested[16]; /* via socket-in-flight: the inodes of sockets in the owner's queue */
	size_t n_nested;
} Owner;

/*
 * Does the message whose SCM_RIGHTS fds are @fds carry what we came for?
 * Directly: a file of the orphan; nested: the socket in flight that carries it.
 * Counts the fds, and whether a file or socket of ours is among them.
 */
static bool fds_carry(const KRelease *kr, const Owner *ow, const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (fstat(fds[i], &st) < 0)
			continue;
		if (ow->n_nested == 0 && st.st_dev == kr->dev)
			return true;
		for (size_t j = 0; j < ow->n_nested; j++)
			if (S_ISSOCK(st.st_mode) && st.st_ino == ow->nested[j])
				return true;
	}
	return false;
}

typedef struct Msg {
	ssize_t len; /* data bytes (a datagram's whole length, also when truncated) */
	size_t n_fds;
	bool carries;
} Msg;

/*
 * Receive (or, with MSG_PEEK, look at) the message at the head of @sock,
 * never waiting.  A peek installs copies of the fds it carries (unix_peek_fds)
 * as a receive does: both are closed here.  A stream socket glues the data of
 * successive messages: the head is first looked at one byte at a time, where
 * fds come only with the head's own (unix_stream_read_generic stops at an skb
 * with fds), so that a stream message is received only when it is the one
 * with the files.  Returns 1 with @m filled, 0 when the queue is empty, -errno.
 */
static int recv_head(KRelease *kr, const Owner *ow, int sock, int type, int flags, bool one_byte,
		     Msg *m)
{
	union {
		char buf[CMSG_SPACE(SCM_MAX_FD * sizeof(int)) + CMSG_SPACE(64) + CMSG_SPACE(16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { kr->buf, RECV_BUF };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	*m = (Msg){ 0 };
	if (one_byte)
		iov.iov_len = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	ssize_t n = recvmsg(sock, &mh,
			    flags | MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
				    (type == SOCK_STREAM ? 0 : MSG_TRUNC));
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	if (n == 0 && type == SOCK_STREAM)
		return 0; /* the peer is gone and the queue empty */
	m->len = n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		/* SCM_RIGHTS; SCM_PIDFD (6.5, SO_PASSPIDFD) is an fd as well: close it too. */
		if (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != 0x04)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[SCM_MAX_FD + 1];
		if (k > ARRAY_SIZE(fds))
			k = ARRAY_SIZE(fds);
		memcpy(fds, CMSG_DATA(c), k * sizeof(int));
		if (c->cmsg_type == SCM_RIGHTS) {
			m->n_fds += k;
			m->carries |= fds_carry(kr, ow, fds, k);
		}
		for (size_t i = 0; i < k; i++)
			close(fds[i]);
	}
	return 1;
}

static void inflight_row(KRelease *kr, const Owner *ow, const char *action, const char *target,
			 const Msg *m, size_t msgs, int64_t bytes, size_t fds, int err,
			 const char *note)
{
	Row row = ROW(.kind = inflight_how(ow->f), .action = action, .target = target,
		      .pid = ow->f->owner_pid, .comm = comm_of(kr->s, ow->f->owner_proc),
		      .has_fd = ow->f->resolved, .fd = ow->f->owner_fd, .err = err, .note = note);
	if (m) {
		row.has_counts = true;
		row.messages = (int64_t)msgs;
		row.files = (int64_t)fds;
		row.data_bytes = bytes;
	}
	say(kr, &row);
}

/*
 * Receive, through a copy of the owner's socket, each message at its head
 * that carries a file of the orphan (or, nested, the socket in flight that
 * carries one), and close what it carried.  The owner loses those messages,
 * data and fds.  Stops at the first message that carries none: receiving it
 * would take the owner's own data.  The dry run looks at the head only
 * (MSG_PEEK sees the first message; looking further would move the socket's
 * peek offset, which is the owner's).
 */
static void release_owner(KRelease *kr, const Owner *ow)
{
	const Inflight *f = ow->f;
	char target[48], note[400];

	snprintf(target, sizeof(target), "socket:[%llu]", (unsigned long long)f->owner_sock_ino);
	if (f->via == INFLIGHT_VIA_EMBRYO) {
		inflight_row(kr, ow, "skip-unaccepted", target, NULL, 0, 0, 0, 0,
			     "the file waits in a connection the listener has not accepted: "
			     "accept() from outside would steal that connection from the owner; "
			     "the owner accepting it and receiving the file, or closing the "
			     "listener, frees it");
		kr->skipped++;
		return;
	}
	int sock = steal_copy(f->owner_pid, ow->start, f->owner_fd);
	if (sock < 0) {
		inflight_row(kr, ow, sock == -ESRCH || sock == -EBADF ? "skip-changed" : "failed",
			     target, NULL, 0, 0, 0, -sock == ESRCH || -sock == EBADF ? 0 : -sock,
			     steal_note(-sock));
		*(sock == -ESRCH || sock == -EBADF ? &kr->skipped : &kr->failed) += 1;
		return;
	}
	struct stat st;
	int type = 0;
	socklen_t tl = sizeof(type);
	if (fstat(sock, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_ino != f->owner_sock_ino ||
	    getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) {
		inflight_row(kr, ow, "skip-changed", target, NULL, 0, 0, 0, 0,
			     "that fd is another socket now: nothing done");
		kr->skipped++;
		close(sock);
		return;
	}
	size_t msgs = 0, fds = 0;
	int64_t bytes = 0;
	Msg m;
	int r = 0;
	bool took_other = false;
	for (size_t i = 0; i < RECV_MAX; i++) {
		r = recv_head(kr, ow, sock, type, MSG_PEEK, type == SOCK_STREAM, &m);
		if (r <= 0 || !m.carries)
			break;
		if (type == SOCK_STREAM) {
			/* Its whole length: a peek stops after the skb with the fds. */
			r = recv_head(kr, ow, sock, type, MSG_PEEK, false, &m);
			if (r <= 0)
				break;
		}
		if (!kr->execute) {
			msgs = 1, fds = m.n_fds, bytes = m.len;
			break;
		}
		r = recv_head(kr, ow, sock, type, 0, false, &m);
		if (r <= 0)
			break;
		msgs++, fds += m.n_fds, bytes += m.len;
		if (!m.carries) {
			took_other = true; /* the owner received ours in between */
			break;
		}
	}
	close(sock);
	if (r < 0) {
		inflight_row(kr, ow, "failed", target, &m, msgs, bytes, fds, -r, "recvmsg");
		kr->failed++;
		return;
	}
	if (took_other) {
		inflight_row(kr, ow, "failed", target, &m, msgs, bytes, fds, 0,
			     "the owner received from the socket at the same moment: the last "
			     "message taken carried no file of it, and is lost to the owner");
		kr->failed++;
		return;
	}
	if (msgs == 0) {
		snprintf(note, sizeof(note),
			 "the message at the head of the socket carries no %s of it: receiving "
			 "would take the owner's own data first; nothing done",
			 ow->n_nested ? "socket that holds a file" : "file");
		inflight_row(kr, ow, "skip-not-at-head", target, NULL, 0, 0, 0, 0, note);
		kr->skipped++;
		return;
	}
	if (kr->execute)
		snprintf(note, sizeof(note),
			 "received and closed %zu message%s carrying %zu fd%s (%lld data "
			 "byte%s): the owner lost them",
			 msgs, msgs > 1 ? "s" : "", fds, fds > 1 ? "s" : "", (long long)bytes,
			 bytes == 1 ? "" : "s");
	else
		snprintf(note, sizeof(note),
			 "receives and closes the message at the head (%zu fd%s, %lld data "
			 "byte%s), and each next one that carries %s of it; the owner loses "
			 "them%s",
			 fds, fds > 1 ? "s" : "", (long long)bytes, bytes == 1 ? "" : "s",
			 ow->n_nested ? "a socket holding a file" : "a file",
			 ow->n_nested ? ", and every message queued in the socket in flight" : "");
	inflight_row(kr, ow, kr->execute ? "received" : "would-receive", target, &m, msgs, bytes,
		     fds, 0, note);
	kr->acted++;
}

static void release_inflight(KRelease *kr, const Orphan *o)
{
	const Snapshot *s = kr->s;
	_cleanup_free_ Owner *ow = calloc(o->n_inflight ? o->n_inflight : 1, sizeof(*ow));
	size_t n = 0;

	if (!ow)
		return;
	for (size_t i = 0; i < o->n_inflight; i++) {
		const Inflight *f = &s->inflight[o->inflight[i]];
		if (!f->resolved) {
			inflight_row(kr, &(Owner){ .f = f }, "skip-unresolved", NULL, NULL, 0, 0, 0,
				     0, "no process residue could read holds the socket");
			kr->skipped++;
			continue;
		}
		Owner *w = NULL;
		for (size_t j = 0; j < n && !w; j++)
			if (ow[j].f->owner_pid == f->owner_pid &&
			    ow[j].f->owner_sock_ino == f->owner_sock_ino)
				w = &ow[j];
		if (!w) {
			w = &ow[n++];
			w->f = f;
			w->start = starttime_of(f->owner_pid);
		}
		w->n_files++;
		if (f->via == INFLIGHT_VIA_NESTED && f->n_chain > 0 &&
		    w->n_nested < ARRAY_SIZE(w->nested))
			w->nested[w->n_nested++] = f->chain[f->n_chain - 1].sock_ino;
	}
	for (size_t i = 0; i < n; i++)
		release_owner(kr, &ow[i]);
}

/* ---- io_uring rings -------------------------------------------------------------------------- */

static volatile sig_atomic_t alarmed;
static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* UserFiles: N of the ring at our fd @fd, and the path of slot @index; -1 when not listed. */
static long ring_user_files(int fd, uint32_t index, char **ret_path)
{
	_cleanup_free_ char *buf = NULL;
	char path[64];
	long n = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	ssize_t len = read_all_at(AT_FDCWD, path, &buf);
	if (len <= 0)
		return -1;
	const char *p = strstr(buf, "\nUserFiles:");
	if (p)
		n = strtol(p + strlen("\nUserFiles:"), NULL, 10);
	if (parse_fdinfo_user_file(buf, (size_t)len, index, ret_path) < 0)
		*ret_path = NULL;
	return n;
}

/*
 * Unregister every fixed file of the ring that holds the orphan, through a
 * copy of the ring's fd: IORING_UNREGISTER_FILES has no "one slot" form that
 * leaves a table behind (IORING_REGISTER_FILES_UPDATE could empty one slot,
 * but on a ring the owner also updates, our -1 would race its writes).  The
 * owner's later IOSQE_FIXED_FILE requests then fail with EBADF.  A ring
 * created with IORING_SETUP_SINGLE_ISSUER accepts registrations from its
 * submitter only (EEXIST); the dry run asks the kernel the same question
 * with IORING_REGISTER_PROBE, which changes nothing.  On kernels before 6.7
 * the unregister waits for requests still using a fixed file: bounded by a
 * 2 s alarm.
 */
static void release_ring(KRelease *kr, const KHolder *k, uint64_t start)
{
	char note[400];
	Row row = ROW(.kind = "io_uring", .target = "anon_inode:[io_uring]", .pid = k->pid,
		      .comm = comm_of(kr->s, k->proc), .has_fd = true, .fd = k->fd);

	int ring = steal_copy(k->pid, start, k->fd);
	if (ring < 0) {
		bool changed = ring == -ESRCH || ring == -EBADF;
		row.action = changed ? "skip-changed" : "failed";
		row.err = changed ? 0 : -ring;
		row.note = steal_note(-ring);
		*(changed ? &kr->skipped : &kr->failed) += 1;
		say(kr, &row);
		return;
	}
	char link[64], path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ring);
	ssize_t l = readlink(path, link, sizeof(link) - 1);
	link[l > 0 ? l : 0] = '\0';
	_cleanup_free_ char *slot = NULL;
	long n = ring_user_files(ring, k->index, &slot);
	/* Still a ring, and its slot still the file the scan saw (when fdinfo lists paths). */
	if (strcmp(link, "anon_inode:[io_uring]") != 0 ||
	    (k->path && slot && strcmp(k->path, slot) != 0)) {
		row.action = "skip-changed";
		row.note = "that fd is no longer the ring the scan saw: nothing done";
		kr->skipped++;
		say(kr, &row);
		close(ring);
		return;
	}
	row.has_fixed = true, row.fixed_files = n;
	if (!kr->execute) {
		struct {
			struct io_uring_probe p;
			struct io_uring_probe_op ops[8];
		} probe = { 0 };
		if (syscall(SYS_io_uring_register, ring, IORING_REGISTER_PROBE, &probe, 8) < 0) {
			row.action = "failed", row.err = errno;
			row.note = errno == EEXIST ?
					   "the ring takes registrations from its "
					   "submitter task only (IORING_SETUP_SINGLE_ISSUER)" :
					   "io_uring_register";
			kr->failed++;
			say(kr, &row);
			close(ring);
			return;
		}
		char count[32] = "";
		if (n >= 0)
			snprintf(count, sizeof(count), " %ld", n);
		snprintf(note, sizeof(note),
			 "IORING_UNREGISTER_FILES unregisters ALL%s fixed files of the ring, not "
			 "only slot %u: the owner's later fixed-file requests fail (EBADF)",
			 count, k->index);
		row.action = "would-unregister", row.note = note;
		kr->acted++;
		say(kr, &row);
		close(ring);
		return;
	}
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { 2, 0 } }, off = { 0 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old); /* no SA_RESTART: the wait returns EINTR */
	alarmed = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	long r = syscall(SYS_io_uring_register, ring, IORING_UNREGISTER_FILES, NULL, 0);
	int err = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	close(ring);
	if (r < 0) {
		row.action = "failed", row.err = err;
		row.note = err == EEXIST ? "the ring takes registrations from its submitter task "
					   "only (IORING_SETUP_SINGLE_ISSUER)" :
			   err == EINTR	 ? "requests of the ring still use a fixed file: "
					   "unregistering waits for them (gave up after 2 s)" :
			   err == ENXIO	 ? "the ring has no fixed files any more" :
					   "IORING_UNREGISTER_FILES";
		kr->failed++;
		say(kr, &row);
		return;
	}
	snprintf(note, sizeof(note), "unregistered all %ld fixed files of the ring", n);
	row.action = "unregistered", row.note = n >= 0 ? note : "unregistered all its fixed files";
	kr->acted++;
	say(kr, &row);
}

static void release_kholders(KRelease *kr, const Orphan *o)
{
	char target[320];
	const Snapshot *s = kr->s;
	for (size_t i = 0; i < o->n_kholders; i++) {
		const KHolder *k = &s->kholders[o->kholders[i]];
		bool seen = false;
		/* One action per ring, whatever the slots of the orphan it has. */
		for (size_t j = 0; j < i && !seen; j++) {
			const KHolder *p = &s->kholders[o->kholders[j]];
			seen = p->kind == k->kind && p->pid == k->pid && p->fd == k->fd;
		}
		if (seen)
			continue;
		if (k->kind == KHOLDER_IO_URING && kr->unregister) {
			release_ring(kr, k, starttime_of(k->pid));
			continue;
		}
		Row row = ROW(.kind = kholder_how(k), .pid = k->pid, .comm = comm_of(s, k->proc),
			      .has_fd = k->kind != KHOLDER_OVERLAY, .fd = k->fd);
		if (k->kind == KHOLDER_IO_URING) {
			row.action = "not-requested";
			row.note = "--unregister unregisters the ring's fixed files";
		} else {
			/* Nothing outside the owner closes a context; an overlay is unmounted
			 * where it is mounted, by whoever runs that namespace. */
			if (k->kind == KHOLDER_FSCONTEXT)
				snprintf(target, sizeof(target), "anon_inode:[fscontext]");
			else
				snprintf(target, sizeof(target), "overlay %u:%u%s%.256s",
					 major(k->ovl_dev), minor(k->ovl_dev),
					 k->path ? " at " : "", k->path ? k->path : "");
			row.target = target;
			row.action = "hint-only";
			row.note = o->hint;
			kr->hints++;
		}
		say(kr, &row);
	}
}

/* ---- the verb -------------------------------------------------------------------------------- */

static void release_loops(KRelease *kr, const Orphan *o)
{
	for (size_t i = 0; i < o->n_loops; i++) {
		const LoopDev *l = &kr->s->loops[o->loops[i]];
		if (kr->detach_loops) {
			release_loop(kr, l);
			continue;
		}
		Row row = ROW(.kind = "loop", .target = l->name, .action = "not-requested",
			      .note = "--detach-loops detaches it");
		say(kr, &row);
	}
}

/* Is @dev an orphan in a new scan, and with how many bytes (-1 unknown)?  -errno if no scan. */
static int rescan(uint64_t dev, bool *ret_orphan, int64_t *ret_bytes)
{
	Snapshot *s;
	OrphanReport *rep;
	ScanOptions so = { .want_orphans = true, .max_files = 1 };
	int r = run_scan(&so, &s, &rep, NULL);
	if (r)
		return -EIO;
	*ret_orphan = false;
	*ret_bytes = 0;
	for (size_t i = 0; i < rep->n_orphans; i++)
		if (rep->orphans[i].dev == dev) {
			*ret_orphan = true;
			*ret_bytes = rep->orphans[i].pinned_known ?
					     (int64_t)rep->orphans[i].pinned_bytes :
					     -1;
		}
	orphan_report_free(rep);
	snapshot_free(s);
	return 0;
}

int release_kernel_holders(const GlobalOptions *g, uint64_t dev, const char *arg, bool execute,
			   bool json, unsigned what, const Snapshot *s, const Orphan *o)
{
	KRelease kr = {
		.dev = dev,
		.execute = execute,
		.json = json,
		.detach_loops = what & RELEASE_LOOPS,
		.drain_inflight = what & RELEASE_INFLIGHT,
		.unregister = what & RELEASE_UNREGISTER,
		.s = s,
	};
	(void)g;
	if (geteuid() != 0)
		fprintf(stderr,
			"residue: releasing kernel holders needs root: CAP_SYS_PTRACE for "
			"pidfd_getfd (--drain-inflight, --unregister), access to /dev/loopN "
			"(--detach-loops)\n");
	kr.buf = malloc(RECV_BUF);
	if (!kr.buf) {
		fprintf(stderr, "residue: out of memory\n");
		return EXIT_ERROR;
	}
	if (json)
		kr.list = json_object_new_array();
	/* A process holding it too: what frees it is that process, not these. */
	if (!json && o->n_holders > 0)
		printf("note: processes hold %s as well (%s)\n", arg, o->hint ? o->hint : "");
	release_loops(&kr, o);
	if (kr.drain_inflight)
		release_inflight(&kr, o);
	else
		for (size_t i = 0; i < o->n_inflight; i++) {
			const Inflight *f = &s->inflight[o->inflight[i]];
			inflight_row(
				&kr, &(Owner){ .f = f }, "not-requested", NULL, NULL, 0, 0, 0, 0,
				f->via == INFLIGHT_VIA_EMBRYO ?
					"on a connection not accepted: no release from outside" :
					"--drain-inflight receives it");
		}
	release_kholders(&kr, o);
	if (o->n_loops + o->n_inflight + o->n_kholders == 0 && !json)
		printf("residue: no kernel holder of %s that residue can name: %s\n", arg,
		       o->hint ? o->hint : "");

	int64_t before = o->pinned_known ? (int64_t)o->pinned_bytes : -1;
	bool orphan_after = true;
	int64_t after = before;
	/*
	 * Predicted to free it: every holder acted on, no process, nothing skipped.
	 * After --yes: scan again (a few times: an io_uring file is put from a
	 * work item, the last mount of a detached tree from a task_work).
	 */
	bool frees = kr.acted > 0 && kr.skipped == 0 && kr.failed == 0 && kr.hints == 0 &&
		     o->n_holders == 0;
	if (execute && kr.acted > 0) {
		for (int i = 0; i < 3; i++) {
			if (rescan(dev, &orphan_after, &after) < 0)
				break;
			if (!orphan_after)
				break;
			usleep(300 * 1000);
		}
	}
	int64_t freed = !execute		  ? -1 :
			!orphan_after		  ? before :
			before >= 0 && after >= 0 ? before - after :
						    -1;
	if (json) {
		json_object *j = json_object_new_object();
		char d[32];
		format_dev(dev, d, sizeof(d));
		json_object_object_add(j, "dev", json_object_new_string(d));
		json_object_object_add(j, "dry_run", json_object_new_boolean(!execute));
		json_object_object_add(j, "actions", kr.list);
		json_object_object_add(j, "acted", json_object_new_uint64(kr.acted));
		json_object_object_add(j, "skipped", json_object_new_uint64(kr.skipped));
		json_object_object_add(j, "failed", json_object_new_uint64(kr.failed));
		json_object_object_add(j, "frees_orphan",
				       execute ? NULL : json_object_new_boolean(frees));
		json_object_object_add(j, "orphan_after",
				       execute ? json_object_new_boolean(orphan_after) : NULL);
		json_object_object_add(j, "pinned_bytes_before", num_or_null(before));
		json_object_object_add(j, "pinned_bytes_after",
				       execute && !orphan_after ? json_object_new_int64(0) :
				       execute			? num_or_null(after) :
								  NULL);
		json_object_object_add(j, "freed_bytes", num_or_null(freed));
		render_json_print(j, stdout);
		json_object_put(j);
	} else {
		char b1[32] = "unknown", b2[32] = "unknown";
		if (before >= 0)
			format_bytes((uint64_t)before, false, b1, sizeof(b1));
		if (freed >= 0)
			format_bytes((uint64_t)freed, false, b2, sizeof(b2));
		if (!execute && kr.acted == 0)
			printf("dry run: nothing residue can release of %s (pinning %s)\n", arg,
			       b1);
		else if (!execute)
			printf("dry run: %u action%s on %s (pinning %s)%s; run again with --yes\n",
			       kr.acted, kr.acted == 1 ? "" : "s", arg, b1,
			       frees	? ", which frees it" :
			       kr.acted ? ", which alone do not free it" :
					  "");
		else if (kr.acted == 0)
			printf("nothing done to %s\n", arg);
		else if (!orphan_after)
			printf("%s is gone: %s came back\n", arg, b2);
		else
			printf("%s is still an orphan (%s of %s came back)\n", arg, b2, b1);
	}
	if (kr.eperm)
		fprintf(stderr, "residue: some holders need CAP_SYS_PTRACE over their process "
				"(pidfd_getfd): run as root\n");
	free(kr.buf);
	return kr.failed ? EXIT_ERROR : 0;
}
