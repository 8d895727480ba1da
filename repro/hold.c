// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * residue-hold: take exactly one kind of reference to a file, directory, mount or namespace,
 * print "ready <pid>" (plus key=value details such as the fd number) on stdout, and wait until
 * killed.  The reproducers in repro/ and the integration tests use it to play the process outside
 * a container that keeps the container's filesystem or mount namespace alive, and to build the
 * look-alike references that must not be reported (memfd, deleted /dev/shm file, live nsfs fd).
 * It never forks, so the pid it prints is the pid that holds the reference.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fuse.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Not in the 6.1 UAPI headers of this build host: open_tree(2), include/uapi/linux/mount.h. */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#define HOLD_OPEN_TREE_CLONE 1
#define HOLD_OPEN_TREE_CLOEXEC O_CLOEXEC
/* include/uapi/linux/nsfs.h (6.12): NS_GET_MNTNS_ID = _IOR(NSIO, 0x5, __u64). */
#define HOLD_NS_GET_MNTNS_ID _IOR(0xb7, 0x5, uint64_t)

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define MAP_BYTES 4096

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "residue-hold: %s %s: %s\n", what, arg, strerror(errno));
	exit(errno == ENOSYS || errno == EPERM ? 77 : 1);
}

static void usage(void)
{
	fputs("usage: residue-hold fd PATH r|w|rw|path | mmap PATH | cwd DIR | thread-cwd DIR | root DIR |\n"
	      "                    tree DIR [NSPID] | nsfd PATH | memfd BYTES | shm-deleted PATH |\n"
	      "                    pivot DIR | fuse DIR | fuse-file DIR | getfd PID FD |\n"
	      "                    opener DIR r|w|mmap USEC | thread-ns DIR | mmap-touch PATH |\n"
	      "                    join NSPATH |\n"
	      "                    inflight PATH | inflight-nested PATH | inflight-embryo PATH |\n"
	      "                    inflight-behind PATH | io_uring-single PATH |\n"
	      "                    io_uring PATH | io_uring-read FIFO | fscontext NAME [FILE:BYTES...] |\n"
	      "                    nsid PATH   (print the mount namespace id and exit) |\n"
	      "                    stop-child PID COMM   (SIGSTOP PID's first child named COMM, print its pid)\n",
	      stderr);
	exit(2);
}

/* Send @fd over unix socket @sock with SCM_RIGHTS, one byte of data with it. */
static void send_fd(int sock, int fd, const char *what)
{
	char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &mh, 0) != 1)
		die("sendmsg", what);
}

/*
 * Wait (at most 10 s, and no longer than @parent lives) for a child of
 * @parent named @comm, stop it with SIGSTOP and print its pid: a process left
 * as a system call that never returns would leave it.  Spins on
 * /proc/PID/task/PID/children so that it stops the child within
 * microseconds of its naming itself.
 */
static int stop_child(const char *parent, const char *comm)
{
	char path[64], buf[4096], name[32];
	struct timespec t0, t;

	snprintf(path, sizeof(path), "/proc/%s/task/%s/children", parent, parent);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1; /* the parent is gone */
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		for (char *p = strtok(buf, " \n"); p; p = strtok(NULL, " \n")) {
			char cpath[64];
			snprintf(cpath, sizeof(cpath), "/proc/%s/comm", p);
			int cfd = open(cpath, O_RDONLY | O_CLOEXEC);
			ssize_t m = cfd < 0 ? -1 : read(cfd, name, sizeof(name) - 1);
			if (cfd >= 0)
				close(cfd);
			if (m <= 0)
				continue;
			name[m] = '\0';
			name[strcspn(name, "\n")] = '\0';
			if (strcmp(name, comm) == 0 && kill(atoi(p), SIGSTOP) == 0) {
				printf("%s\n", p);
				return 0;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 10);
	return 1;
}

/*
 * Map all of PATH and keep every page of it mapped and warm: fault each one
 * in, say ready, then read each again every second (a page the host's
 * idle-page reclaim unmapped would come back charged to our cgroup, so it
 * must never look idle).  Never returns.
 */
static void mmap_touch(const char *path)
{
	struct stat st;
	int f = open(path, O_RDONLY);
	if (f < 0 || fstat(f, &st) < 0)
		die("open", path);
	size_t len = (size_t)st.st_size;
	volatile const char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, f, 0);
	if (p == MAP_FAILED)
		die("mmap", path);
	close(f);
	unsigned sum = 0;
	for (size_t off = 0; off < len; off += 4096)
		sum += (unsigned char)p[off];
	printf("ready %d addr=%lx len=%zu sum=%u\n", (int)getpid(), (unsigned long)(uintptr_t)p,
	       len, sum);
	fflush(stdout);
	for (;;) {
		sleep(1);
		for (size_t off = 0; off < len; off += 4096)
			sum += (unsigned char)p[off];
	}
}

static int open_mode(const char *m)
{
	if (!strcmp(m, "r"))
		return O_RDONLY;
	if (!strcmp(m, "w"))
		return O_WRONLY;
	if (!strcmp(m, "rw"))
		return O_RDWR;
	if (!strcmp(m, "path"))
		return O_PATH;
	usage();
	return -1;
}

static void write_bytes(int fd, long long n, const char *what)
{
	char buf[4096];

	memset(buf, 'r', sizeof(buf));
	while (n > 0) {
		ssize_t w = write(fd, buf, n < (long long)sizeof(buf) ? (size_t)n : sizeof(buf));
		if (w < 0)
			die("write", what);
		n -= w;
	}
}

/*
 * A FUSE filesystem on @dir.  With @answer, served from a thread by fuse_serve() below.
 * Without, one whose daemon never answers: /dev/fuse is opened and mounted, and nobody ever
 * reads it, so the kernel's FUSE_INIT stays unanswered and every request that needs
 * the daemon (statfs, lookup, getattr that is not cached) waits until the connection is aborted,
 * i.e. until the last /dev/fuse fd is closed.  Returns the /dev/fuse fd; @dev gets MAJ:MIN, read
 * with AT_STATX_DONT_SYNC because a plain stat of the root would itself wait for the daemon.
 */
/*
 * PATH as fixed file IO_URING_SLOT of a new io_uring ring (IORING_REGISTER_FILES,
 * raw syscalls: no liburing), the slots before it empty (-1, 5.5+); PATH itself
 * is closed, so only the ring's table holds it.  Returns the ring's fd.
 */
#define IO_URING_SLOT 2

static int ring_with_file(const char *path, unsigned flags)
{
	struct io_uring_params p = { .flags = flags };
	int files[IO_URING_SLOT + 1];
	int f = open(path, O_RDONLY);

	if (f < 0)
		die("open", path);
	int ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0)
		die("io_uring_setup", path); /* ENOSYS, or EPERM: kernel.io_uring_disabled */
	for (int i = 0; i < IO_URING_SLOT; i++)
		files[i] = -1;
	files[IO_URING_SLOT] = f;
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_FILES, files, IO_URING_SLOT + 1) <
	    0)
		die("io_uring_register IORING_REGISTER_FILES", path);
	close(f);
	return ring;
}

/*
 * A read of the FIFO at PATH queued in a new io_uring ring, then the FIFO's fd
 * closed: the read waits for data nobody writes (the FIFO is opened O_RDWR, so
 * it never sees EOF either), and the request alone holds the file -- no fd
 * table, no fixed-file table.  Raw syscalls: the SQ ring and the SQE array
 * are mapped, one IORING_OP_READ written, io_uring_enter() submits it.
 * Returns the ring's fd.
 */
static int ring_with_read(const char *path)
{
	static char buf[64];
	struct io_uring_params p = { 0 };
	int f = open(path, O_RDWR);

	if (f < 0)
		die("open", path);
	int ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0)
		die("io_uring_setup", path);
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
			IORING_OFF_SQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqes == MAP_FAILED)
		die("mmap io_uring", path);
	uint32_t *tail = (uint32_t *)(sq + p.sq_off.tail);
	uint32_t mask = *(uint32_t *)(sq + p.sq_off.ring_mask);
	uint32_t *array = (uint32_t *)(sq + p.sq_off.array);
	uint32_t i = *tail & mask;
	memset(&sqes[i], 0, sizeof(sqes[i]));
	sqes[i].opcode = IORING_OP_READ;
	sqes[i].fd = f;
	sqes[i].addr = (uint64_t)(uintptr_t)buf;
	sqes[i].len = sizeof(buf);
	sqes[i].off = (uint64_t)-1; /* the file position: a FIFO has none */
	array[i] = i;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 0, 0, NULL, 0) != 1)
		die("io_uring_enter", path);
	close(f);
	return ring;
}

/*
 * A tmpfs made by fsopen() + FSCONFIG_CMD_CREATE and held only by that context:
 * mounted once (fsmount, detached) to write the FILE:BYTES specs into it, then
 * that mount is closed.  The superblock was never in a namespace.  Returns the
 * context's fd; its device in @dev.
 */
static int context_with_files(const char *name, char **specs, int n, char *dev, size_t size)
{
	struct stat st;
	int fc = fsopen("tmpfs", FSOPEN_CLOEXEC);

	if (fc < 0)
		die("fsopen", "tmpfs");
	if (fsconfig(fc, FSCONFIG_SET_STRING, "source", name, 0) < 0 ||
	    fsconfig(fc, FSCONFIG_SET_STRING, "size", "64m", 0) < 0 ||
	    fsconfig(fc, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die("fsconfig", name);
	int mnt = fsmount(fc, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0 || fstat(mnt, &st) < 0)
		die("fsmount", name);
	for (int i = 0; i < n; i++) {
		char *colon = strrchr(specs[i], ':');
		if (!colon)
			usage();
		*colon = '\0';
		char *slash = strrchr(specs[i], '/');
		if (slash) {
			*slash = '\0';
			if (mkdirat(mnt, specs[i], 0755) < 0 && errno != EEXIST)
				die("mkdirat", specs[i]);
			*slash = '/';
		}
		int f = openat(mnt, specs[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (f < 0)
			die("openat", specs[i]);
		write_bytes(f, atoll(colon + 1), specs[i]);
		close(f);
	}
	close(mnt);
	snprintf(dev, size, "%u:%u", major(st.st_dev), minor(st.st_dev));
	return fc;
}

static void *fuse_serve(void *arg);

static int mount_fuse(const char *dir, bool answer, char *dev, size_t size)
{
	char opts[128];
	struct statx sx;
	pthread_t t;
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open", "/dev/fuse");
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount(answer ? "residue-file" : "residue-stalled", dir,
		  answer ? "fuse.residue-file" : "fuse.residue-stalled", MS_NOSUID | MS_NODEV,
		  opts) < 0)
		die("mount fuse on", dir);
	if (answer && pthread_create(&t, NULL, fuse_serve, (void *)(intptr_t)fd) != 0)
		die("pthread_create", dir);
	if (statx(AT_FDCWD, dir, AT_STATX_DONT_SYNC, STATX_INO, &sx) < 0)
		die("statx", dir);
	snprintf(dev, size, "%u:%u", sx.stx_dev_major, sx.stx_dev_minor);
	return fd;
}

/*
 * A FUSE filesystem that answers until SIGUSR1, then never again: one
 * regular file, "img" (FUSE_FILE_BYTES of zeros), whose attributes are never
 * cached (attr_valid 0), so that every getattr that may sync goes to this
 * daemon.  Enough for losetup to bind a loop device to the file; after
 * SIGUSR1, anything that asks for the file's attributes (LOOP_GET_STATUS64
 * does, with AT_STATX_SYNC_AS_STAT) waits, killably, until this process
 * exits (closing the last /dev/fuse fd aborts the connection).
 */
#define FUSE_FILE_BYTES (1 << 20)
static volatile sig_atomic_t fuse_stop;

static void on_usr1(int sig)
{
	(void)sig;
	fuse_stop = 1;
}

static void fuse_attr_of(uint64_t node, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = node;
	a->nlink = node == 1 ? 2 : 1;
	a->mode = node == 1 ? S_IFDIR | 0755 : S_IFREG | 0644;
	a->size = node == 1 ? 0 : FUSE_FILE_BYTES;
	a->blocks = a->size / 512;
	a->blksize = 4096;
}

static void fuse_reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + len),
				     .error = error,
				     .unique = unique };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	if (writev(fd, iov, len ? 2 : 1) < 0 && errno != ENOENT)
		perror("residue-hold: fuse reply"); /* ENOENT: the request was interrupted */
}

static void *fuse_serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static char buf[FUSE_MIN_READ_BUFFER + FUSE_FILE_BYTES];
	static char zeros[FUSE_FILE_BYTES];

	for (;;) {
		/*
		 * Wait for a request without taking it: once stopped, requests stay
		 * queued, and their askers wait killably, as for a server that is gone
		 * (one read and never answered would keep its asker in D state).
		 */
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 100) == 0 || fuse_stop) {
			if (fuse_stop)
				pause();
			continue;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			return NULL; /* unmounted or aborted */
		const struct fuse_in_header *in = (const void *)buf;
		const void *body = buf + sizeof(*in);
		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *ii = body;
			struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION,
						   .minor = ii->minor < FUSE_KERNEL_MINOR_VERSION ?
								    ii->minor :
								    FUSE_KERNEL_MINOR_VERSION,
						   .max_readahead = ii->max_readahead,
						   .max_background = 16,
						   .congestion_threshold = 12,
						   .max_write = 65536,
						   .time_gran = 1 };
			fuse_reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out e = { .nodeid = 2 };
			if (in->nodeid != 1 || strcmp(body, "img") != 0) {
				fuse_reply(fd, in->unique, -ENOENT, NULL, 0);
				break;
			}
			fuse_attr_of(2, &e.attr);
			fuse_reply(fd, in->unique, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out a = { 0 };
			fuse_attr_of(in->nodeid, &a.attr);
			fuse_reply(fd, in->unique, 0, &a, sizeof(a));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o = { .fh = 1 };
			fuse_reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			const struct fuse_read_in *r = body;
			size_t len = r->offset >= FUSE_FILE_BYTES ? 0 : FUSE_FILE_BYTES - r->offset;
			fuse_reply(fd, in->unique, 0, zeros, len < r->size ? len : r->size);
			break;
		}
		case FUSE_WRITE: {
			const struct fuse_write_in *w = body;
			struct fuse_write_out o = { .size = w->size };
			fuse_reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_STATFS: {
			struct fuse_statfs_out o = {
				.st = { .bsize = 4096, .frsize = 4096, .namelen = 255 }
			};
			fuse_reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
		case FUSE_FSYNC:
			fuse_reply(fd, in->unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break; /* no reply */
		default:
			fuse_reply(fd, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

/* Keep a copy of another process's fd (its /dev/fuse): the daemon that stopped answering. */
static int steal_fd(const char *pid, const char *fdnum)
{
	int pfd = (int)syscall(SYS_pidfd_open, atoi(pid), 0);
	if (pfd < 0)
		die("pidfd_open", pid);
	int fd = (int)syscall(SYS_pidfd_getfd, pfd, atoi(fdnum), 0);
	if (fd < 0)
		die("pidfd_getfd", fdnum);
	close(pfd);
	return fd;
}

/*
 * Play a process that keeps reaching into a filesystem while it is being released: list
 * DIR/SUB/FILE (one level of subdirectories), print ready, then open every file once in a
 * shuffled order, one each USEC microseconds, and keep it: an fd (r, w: and write to it) or only
 * a mapping (mmap: the fd is closed).  Files already gone are skipped.  Never returns.
 */
static _Noreturn void opener(const char *dir, const char *mode, long usec)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *top = opendir(dir);
	if (!top)
		die("opendir", dir);
	for (struct dirent *de; (de = readdir(top));) {
		char sub[4096];
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		DIR *d = opendir(sub);
		if (!d)
			continue;
		for (struct dirent *f; (f = readdir(d));) {
			if (f->d_name[0] == '.')
				continue;
			if (n == cap &&
			    !(names = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof(*names))))
				die("realloc", dir);
			if (asprintf(&names[n++], "%s/%s", sub, f->d_name) < 0)
				die("asprintf", dir);
		}
		closedir(d);
	}
	closedir(top);
	srand((unsigned)getpid());
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rand() % i;
		char *t = names[i - 1];
		names[i - 1] = names[j];
		names[j] = t;
	}
	printf("ready %d files=%zu\n", (int)getpid(), n);
	fflush(stdout);
	bool map = !strcmp(mode, "mmap");
	int flags = map ? O_RDONLY : open_mode(mode);
	for (size_t i = 0; i < n; i++) {
		usleep((useconds_t)usec);
		int fd = open(names[i], flags | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (map) {
			if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
				die("mmap", names[i]);
			close(fd);
		} else if ((flags & O_ACCMODE) != O_RDONLY) {
			write_bytes(fd, 100, names[i]);
		}
	}
	for (;;)
		pause();
}

/* The mount namespace id (NS_GET_MNTNS_ID, 6.12), or 0 when the kernel has no such ioctl. */
static uint64_t mntns_id(int fd)
{
	uint64_t id = 0;

	if (ioctl(fd, HOLD_NS_GET_MNTNS_ID, &id) < 0)
		return 0;
	return id;
}

/*
 * open_tree(OPEN_TREE_CLONE) only copies mounts of the caller's own mount namespace, so with
 * NSPID we step into that process's namespace, clone, and step back: the holder must not be a
 * member of the namespace whose death the reproducer wants to cause.
 */
static int clone_tree(const char *dir, const char *nspid)
{
	char path[64];
	int home = -1, fd;

	if (nspid) {
		snprintf(path, sizeof(path), "/proc/%s/ns/mnt", nspid);
		int ns = open(path, O_RDONLY | O_CLOEXEC);
		home = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
		if (ns < 0 || home < 0)
			die("open", path);
		if (setns(ns, CLONE_NEWNS) < 0)
			die("setns", path);
		close(ns);
	}
	fd = syscall(SYS_open_tree, AT_FDCWD, dir, HOLD_OPEN_TREE_CLONE | HOLD_OPEN_TREE_CLOEXEC);
	if (fd < 0)
		die("open_tree", dir);
	if (home >= 0) {
		if (setns(home, CLONE_NEWNS) < 0)
			die("setns", "/proc/self/ns/mnt");
		close(home);
	}
	return fd;
}

/*
 * Make @dir the root of the caller's (private, freshly unshared) mount namespace and detach the
 * old root, as a container runtime does for a pod: tests/deploy uses it as the "pause" process
 * that keeps the pod's mount namespace alive.  pivot_root(".", ".") stacks the old root on the
 * new one, so detaching "." needs no directory for it and no binary from the old root.
 */
static void pivot(const char *dir)
{
	if (chdir(dir) < 0)
		die("chdir", dir);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("pivot_root", dir);
	if (umount2(".", MNT_DETACH) < 0)
		die("umount2", "old root");
	if (chdir("/") < 0)
		die("chdir", "/");
}

/* A thread with its own fs_struct (unshare(CLONE_FS)) whose cwd is @dir; the rest stay put. */
static int tid_pipe[2];

static void *thread_cwd(void *dir)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (unshare(CLONE_FS) < 0)
		die("unshare(CLONE_FS)", "");
	if (chdir(dir) < 0)
		die("chdir", dir);
	if (write(tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid))
		die("write", "tid");
	for (;;)
		pause();
	return NULL;
}

/*
 * A thread with a mount namespace of its own (unshare(CLONE_FS) then CLONE_NEWNS in that
 * thread) that mounts a tmpfs on @dir and keeps a file of it open: /proc/PID/ns/mnt shows the
 * leader's namespace, only /proc/TID/ns/mnt this one, which has a member and must never be
 * reported as process-less.  Sends its tid, then the namespace id, through tid_pipe.
 */
static void *thread_ns(void *dir)
{
	char path[4096];
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (unshare(CLONE_FS) < 0 || unshare(CLONE_NEWNS) < 0)
		die("unshare(CLONE_FS, CLONE_NEWNS)", "");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("mount --make-rprivate", "/");
	if (mount("residue-thread-ns", dir, "tmpfs", 0, "size=1m") < 0)
		die("mount tmpfs on", dir);
	snprintf(path, sizeof(path), "%s/held", (const char *)dir);
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	int ns = open("/proc/thread-self/ns/mnt", O_RDONLY);
	if (fd < 0 || ns < 0)
		die("open", path);
	uint64_t id = mntns_id(ns);
	close(ns); /* an nsfs fd would be a holder of its own */
	if (write(tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid) ||
	    write(tid_pipe[1], &id, sizeof(id)) != sizeof(id))
		die("write", "tid");
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : NULL;
	char extra[128] = "";
	int fd = -1;

	if (!arg)
		usage();
	/* Whatever the caller leaked to us (its shell, meson) must not look like a second holder. */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	/* A hostile command name, for tests of what residue prints: any bytes, 15 at most. */
	const char *comm = getenv("RESIDUE_HOLD_COMM");
	if (comm)
		(void)prctl(PR_SET_NAME, comm);

	if (!strcmp(mode, "fd") && argc == 4) {
		fd = open(arg, open_mode(argv[3]));
		if (fd < 0)
			die("open", arg);
	} else if (!strcmp(mode, "mmap") && argc == 3) {
		/* The seed's case: only the mapping keeps the file (and its filesystem). */
		int f = open(arg, O_RDONLY);
		if (f < 0)
			die("open", arg);
		void *p = mmap(NULL, MAP_BYTES, PROT_READ, MAP_SHARED, f, 0);
		if (p == MAP_FAILED)
			die("mmap", arg);
		close(f);
		snprintf(extra, sizeof(extra), " addr=%lx", (unsigned long)(uintptr_t)p);
	} else if (!strcmp(mode, "mmap-touch") && argc == 3) {
		mmap_touch(arg);
	} else if (!strcmp(mode, "cwd") && argc == 3) {
		if (chdir(arg) < 0)
			die("chdir", arg);
	} else if (!strcmp(mode, "thread-cwd") && argc == 3) {
		pthread_t t;
		pid_t tid;
		if (pipe(tid_pipe) < 0 || pthread_create(&t, NULL, thread_cwd, (void *)arg) != 0)
			die("pthread_create", arg);
		if (read(tid_pipe[0], &tid, sizeof(tid)) != sizeof(tid))
			die("read", "tid");
		close(tid_pipe[0]);
		close(tid_pipe[1]);
		snprintf(extra, sizeof(extra), " tid=%d", (int)tid);
	} else if (!strcmp(mode, "thread-ns") && argc == 3) {
		pthread_t t;
		pid_t tid;
		uint64_t id;
		if (pipe(tid_pipe) < 0 || pthread_create(&t, NULL, thread_ns, (void *)arg) != 0)
			die("pthread_create", arg);
		if (read(tid_pipe[0], &tid, sizeof(tid)) != sizeof(tid) ||
		    read(tid_pipe[0], &id, sizeof(id)) != sizeof(id))
			die("read", "tid");
		close(tid_pipe[0]);
		close(tid_pipe[1]);
		snprintf(extra, sizeof(extra), " tid=%d ns_id=%llu", (int)tid,
			 (unsigned long long)id);
	} else if (!strcmp(mode, "root") && argc == 3) {
		if (chroot(arg) < 0)
			die("chroot", arg);
		if (chdir("/") < 0)
			die("chdir", "/");
	} else if (!strcmp(mode, "pivot") && argc == 3) {
		pivot(arg);
	} else if (!strcmp(mode, "tree") && (argc == 3 || argc == 4)) {
		fd = clone_tree(arg, argc == 4 ? argv[3] : NULL);
	} else if (!strcmp(mode, "nsfd") && argc == 3) {
		fd = open(arg, O_RDONLY);
		if (fd < 0)
			die("open", arg);
		snprintf(extra, sizeof(extra), " ns_id=%llu", (unsigned long long)mntns_id(fd));
	} else if (!strcmp(mode, "join") && argc == 3) {
		/* Be in that mount namespace, holding nothing: a member of it (or, named
		 * residue-nsprobe, the look-alike of residue's own probe in it). */
		int nsfd = open(arg, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0)
			die("setns", arg);
		close(nsfd);
	} else if (!strcmp(mode, "nsid") && argc == 3) {
		fd = open(arg, O_RDONLY);
		if (fd < 0)
			die("open", arg);
		printf("%llu\n", (unsigned long long)mntns_id(fd));
		return 0;
	} else if (!strcmp(mode, "stop-child") && argc == 4) {
		return stop_child(arg, argv[3]);
	} else if (!strcmp(mode, "fuse-file") && argc == 3) {
		char dev[32];
		signal(SIGUSR1, on_usr1);
		fd = mount_fuse(arg, true, dev, sizeof(dev));
		snprintf(extra, sizeof(extra), " dev=%s", dev);
	} else if (!strcmp(mode, "fuse") && argc == 3) {
		char dev[32];
		fd = mount_fuse(arg, false, dev, sizeof(dev));
		snprintf(extra, sizeof(extra), " dev=%s", dev);
	} else if (!strcmp(mode, "getfd") && argc == 4) {
		fd = steal_fd(arg, argv[3]);
	} else if (!strcmp(mode, "opener") && argc == 5) {
		opener(arg, argv[3], atol(argv[4]));
	} else if (!strcmp(mode, "memfd") && argc == 3) {
		fd = memfd_create("residue-hold", 0);
		if (fd < 0)
			die("memfd_create", arg);
		write_bytes(fd, atoll(arg), "memfd");
	} else if (!strcmp(mode, "inflight") && argc == 3) {
		/*
		 * An fd in flight: PATH sent with SCM_RIGHTS over a socketpair and never
		 * received.  We keep both ends and close the file: no fd table, only the
		 * message in the socket's queue, holds it.  sock= is the end it waits in.
		 */
		int sv[2], f = open(arg, O_RDONLY);
		if (f < 0)
			die("open", arg);
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
			die("socketpair", arg);
		send_fd(sv[0], f, arg);
		close(f);
		snprintf(extra, sizeof(extra), " sock=%d", sv[1]);
	} else if (!strcmp(mode, "inflight-behind") && argc == 3) {
		/*
		 * As inflight, but behind a message of plain data queued first: the
		 * owner's own data, which a release must not take to reach the file.
		 */
		int sv[2], f = open(arg, O_RDONLY);
		if (f < 0)
			die("open", arg);
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
			die("socketpair", arg);
		if (send(sv[0], "data", 4, 0) != 4)
			die("send", arg);
		send_fd(sv[0], f, arg);
		close(f);
		snprintf(extra, sizeof(extra), " sock=%d", sv[1]);
	} else if (!strcmp(mode, "inflight-nested") && argc == 3) {
		/*
		 * PATH in flight inside a socket that is itself in flight: sent over
		 * socketpair B, whose receiving end is then sent over socketpair A.
		 * We keep only A's ends; sock= is the one B waits in.
		 */
		int a[2], b[2], f = open(arg, O_RDONLY);
		if (f < 0)
			die("open", arg);
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, a) < 0 ||
		    socketpair(AF_UNIX, SOCK_DGRAM, 0, b) < 0)
			die("socketpair", arg);
		send_fd(b[0], f, arg);
		send_fd(a[0], b[1], arg);
		close(f);
		close(b[0]);
		close(b[1]);
		snprintf(extra, sizeof(extra), " sock=%d", a[1]);
	} else if (!strcmp(mode, "inflight-embryo") && argc == 3) {
		/*
		 * PATH in flight to a connection not yet accepted: a client connects to
		 * our listening socket, sends PATH and closes; the server side of the
		 * connection (an embryo, no fd anywhere) waits in the listener's queue
		 * with PATH in its own.  sock= is the listener.
		 */
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
		int f = open(arg, O_RDONLY);
		if (f < 0 || l < 0 || c < 0)
			die("open or socket", arg);
		/* An abstract name of our own: nothing on disk, gone with us. */
		int len = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "residue-hold-%d",
				   (int)getpid());
		socklen_t sl =
			(socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
		if (bind(l, (struct sockaddr *)&sa, sl) < 0 || listen(l, 4) < 0 ||
		    connect(c, (struct sockaddr *)&sa, sl) < 0)
			die("bind, listen or connect", arg);
		send_fd(c, f, arg);
		close(f);
		close(c);
		snprintf(extra, sizeof(extra), " sock=%d", l);
	} else if (!strcmp(mode, "io_uring") && argc == 3) {
		/* ring= is the ring's fd, index= the slot PATH is registered in. */
		int ring = ring_with_file(arg, 0);
		snprintf(extra, sizeof(extra), " ring=%d index=%d", ring, IO_URING_SLOT);
	} else if (!strcmp(mode, "io_uring-single") && argc == 3) {
		/*
		 * The same in a ring only this task may submit to or register with
		 * (IORING_SETUP_SINGLE_ISSUER, 6.0): io_uring_register from another
		 * process fails with EEXIST.
		 */
		int ring = ring_with_file(arg, IORING_SETUP_SINGLE_ISSUER);
		snprintf(extra, sizeof(extra), " ring=%d index=%d", ring, IO_URING_SLOT);
	} else if (!strcmp(mode, "io_uring-read") && argc == 3) {
		/* ring= is the ring whose pending read holds the FIFO at PATH. */
		int ring = ring_with_read(arg);
		snprintf(extra, sizeof(extra), " ring=%d", ring);
	} else if (!strcmp(mode, "fscontext") && argc >= 3) {
		/* fd= is the context, dev= its superblock. */
		char dev[32];
		fd = context_with_files(arg, argv + 3, argc - 3, dev, sizeof(dev));
		snprintf(extra, sizeof(extra), " dev=%s", dev);
	} else if (!strcmp(mode, "shm-deleted") && argc == 3) {
		fd = open(arg, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			die("open", arg);
		write_bytes(fd, 65536, arg);
		if (unlink(arg) < 0)
			die("unlink", arg);
	} else {
		usage();
	}

	if (fd >= 0)
		printf("ready %d fd=%d%s\n", (int)getpid(), fd, extra);
	else
		printf("ready %d%s\n", (int)getpid(), extra);
	fflush(stdout);
	for (;;)
		pause();
}
