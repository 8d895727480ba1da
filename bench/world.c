// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench/world.c owns the benchmark's busy host: it forks N "container" keepers, each of which
 * unshares a private mount namespace, builds about 30 container-like mounts (proc, sysfs, devpts,
 * mqueue, tmpfs, device and /etc binds, runc's masked and read-only paths, volumes) on a tmpfs
 * under a mkdtemp base, pivot_roots into it and sleeps; then P holders that each join one of those
 * namespaces and open F descriptors (files, pipes, unix socket pairs, TCP and UDP sockets, plus a
 * few shared mappings), and in the first L holders one orphaned tmpfs and one process-less mount
 * namespace, so a scanner has real leaks to find. It prints one "ready" line, then waits; on
 * SIGTERM/SIGINT/SIGHUP, on an error in any child, on a child's unexpected death, when its own
 * parent dies, or on a build timeout it SIGKILLs exactly the children it forked, reaps them and
 * removes its (by then empty) directories. Every mount lives in a namespace created here, so the
 * kernel drops them all with the processes; nothing is ever mounted in the caller's namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "family.h"

/* One record per child on a shared pipe; well under PIPE_BUF, so writes never interleave. */
struct report {
	char tag; /* 'R' ready, 'E' error */
	int idx;
	int err;
	int count; /* mounts made (keeper) or descriptors opened (holder) */
	char what[80];
};

struct opts {
	int ns; /* container namespaces (keepers) */
	int procs; /* fd holders */
	int fds; /* descriptors per holder */
	int mounts; /* mounts per namespace, including its root */
	int leaks; /* holders that also leak one orphan tmpfs and one process-less namespace */
	int timeout; /* seconds allowed to build */
	const char *parent;
	const char *pidfile;
};

static pid_t *kids;
static int nkids;
static char base[512]; /* short, so every path built from it fits PATH_MAX */

/* --- children ---------------------------------------------------------------------------- */

static int report_fd = -1;
static int child_idx;

static void child_report(char tag, int err, int count, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void child_report(char tag, int err, int count, const char *fmt, ...)
{
	struct report r = { .tag = tag, .idx = child_idx, .err = err, .count = count };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.what, sizeof(r.what), fmt, ap);
	va_end(ap);
	if (write(report_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		child_report('E', errno, 0, __VA_ARGS__);                                          \
		_exit(1);                                                                          \
	} while (0)

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static void path_at(char *buf, size_t size, const char *root, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", root, rel);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		FAIL("path %s/%s", root, rel);
	}
}

static void make_dir(const char *root, const char *rel)
{
	char p[PATH_MAX];

	path_at(p, sizeof(p), root, rel);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		FAIL("mkdir %s", p);
}

static void make_file(const char *root, const char *rel)
{
	char p[PATH_MAX];
	int fd;

	path_at(p, sizeof(p), root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		FAIL("create %s", p);
	close(fd);
}

static bool exists_at(const char *root, const char *rel)
{
	char p[PATH_MAX];

	path_at(p, sizeof(p), root, rel);
	return access(p, F_OK) == 0;
}

/* A new filesystem instance on root/rel. */
static void mount_fs(int *count, const char *root, const char *rel, const char *fstype,
		     unsigned long flags, const char *data)
{
	char p[PATH_MAX];

	path_at(p, sizeof(p), root, rel);
	if (mount(fstype, p, fstype, flags, data) < 0)
		FAIL("mount %s on %s", fstype, p);
	(*count)++;
}

/* Bind src (an absolute path in the caller's view) onto root/rel, read-only if asked. */
static void mount_bind(int *count, const char *src, const char *root, const char *rel, bool ro)
{
	char p[PATH_MAX];

	path_at(p, sizeof(p), root, rel);
	if (mount(src, p, NULL, MS_BIND, NULL) < 0)
		FAIL("bind %s on %s", src, p);
	(*count)++;
	if (ro && mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		FAIL("remount ro %s", p);
}

/*
 * What runc gives a container: a root, /proc, /dev with its submounts and device binds, /sys,
 * the /etc files the engine writes, the default masked and read-only paths (only those this
 * kernel has), a data volume, then more volumes until the namespace holds `want` mounts.
 */
static void keeper(int idx, int want)
{
	static const char *const devs[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const etc[] = { "hosts", "hostname", "resolv.conf" };
	/* runc's default masked paths: read-only tmpfs on a directory, /dev/null on a file. */
	static const char *const masked[] = {
		"proc/acpi",
		"proc/asound",
		"proc/kcore",
		"proc/keys",
		"proc/latency_stats",
		"proc/timer_list",
		"proc/timer_stats",
		"proc/sched_debug",
		"proc/scsi",
		"sys/firmware",
		"sys/devices/virtual/powercap",
	};
	static const char *const ro_paths[] = { "proc/bus", "proc/fs", "proc/irq", "proc/sys",
						"proc/sysrq-trigger" };
	char root[PATH_MAX], p[PATH_MAX], src[PATH_MAX];
	int count = 0;

	snprintf(root, sizeof(root), "%s/ns-%d", base, idx);
	if (unshare(CLONE_NEWNS) < 0)
		FAIL("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		FAIL("make / private");

	if (mount("rootfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755") < 0)
		FAIL("mount root tmpfs on %s", root);
	count++;
	static const char *const dirs[] = {
		"proc", "dev", "sys", "etc", "data", "run", "tmp", "vol", ".oldroot",
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		make_dir(root, dirs[i]);
	for (size_t i = 0; i < sizeof(etc) / sizeof(etc[0]); i++) {
		snprintf(p, sizeof(p), "etc/%s", etc[i]);
		make_file(root, p);
	}

	mount_fs(&count, root, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_fs(&count, root, "dev", "tmpfs", MS_NOSUID, "mode=755,size=65536k");
	make_dir(root, "dev/pts");
	make_dir(root, "dev/shm");
	make_dir(root, "dev/mqueue");
	mount_fs(&count, root, "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "newinstance,ptmxmode=0666,mode=0620");
	mount_fs(&count, root, "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		 "mode=1777,size=65536k");
	mount_fs(&count, root, "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		snprintf(p, sizeof(p), "dev/%s", devs[i]);
		snprintf(src, sizeof(src), "/dev/%s", devs[i]);
		make_file(root, p);
		mount_bind(&count, src, root, p, false);
	}
	mount_fs(&count, root, "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	for (size_t i = 0; i < sizeof(etc) / sizeof(etc[0]); i++) {
		snprintf(p, sizeof(p), "etc/%s", etc[i]);
		snprintf(src, sizeof(src), "%s/shared/%s", base, etc[i]);
		mount_bind(&count, src, root, p, false);
	}
	mount_fs(&count, root, "data", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m");

	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		struct stat st;

		path_at(p, sizeof(p), root, masked[i]);
		if (stat(p, &st) < 0)
			continue; /* this kernel has no such file */
		if (S_ISDIR(st.st_mode))
			mount_fs(&count, root, masked[i], "tmpfs", MS_RDONLY, NULL);
		else
			mount_bind(&count, "/dev/null", root, masked[i], false);
	}
	for (size_t i = 0; i < sizeof(ro_paths) / sizeof(ro_paths[0]); i++)
		if (exists_at(root, ro_paths[i])) {
			path_at(src, sizeof(src), root, ro_paths[i]);
			mount_bind(&count, src, root, ro_paths[i], true);
		}

	/* Volumes: alternate a small tmpfs and a read-only bind of a host directory. */
	snprintf(src, sizeof(src), "%s/shared/vol", base);
	for (int v = 0; count < want; v++) {
		snprintf(p, sizeof(p), "vol/%d", v);
		make_dir(root, p);
		if (v % 2 == 0)
			mount_fs(&count, root, p, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m");
		else
			mount_bind(&count, src, root, p, true);
	}

	/* Enter the container root and drop the copy of the host's tree, as a runtime does. */
	path_at(p, sizeof(p), root, ".oldroot");
	if (syscall(SYS_pivot_root, root, p) < 0)
		FAIL("pivot_root %s", root);
	if (chdir("/") < 0)
		FAIL("chdir /");
	if (umount2("/.oldroot", MNT_DETACH) < 0)
		FAIL("umount old root");
	if (rmdir("/.oldroot") < 0)
		FAIL("rmdir /.oldroot");

	child_report('R', 0, count, "keeper %d", idx);
	close(report_fd);
	sleep_forever();
}

static int write_bytes(int fd, size_t bytes)
{
	static char chunk[65536];

	memset(chunk, 'r', sizeof(chunk));
	while (bytes > 0) {
		size_t n = bytes < sizeof(chunk) ? bytes : sizeof(chunk);
		ssize_t w = write(fd, chunk, n);

		if (w < 0)
			return -1;
		bytes -= (size_t)w;
	}
	return 0;
}

static int inet_socket(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	if (type == SOCK_STREAM && listen(fd, 4) < 0)
		return -1;
	return fd;
}

/* A tmpfs with a 1 MiB file, lazily unmounted while we keep the file open: an orphan. */
static int leak_orphan(int idx, int *count)
{
	char dir[64], file[80];
	int fd;

	snprintf(dir, sizeof(dir), "/data/leak-orphan-%d", idx);
	snprintf(file, sizeof(file), "%s/pinned", dir);
	if (mkdir(dir, 0755) < 0)
		FAIL("mkdir %s", dir);
	if (mount("residue-bench-leak", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m") < 0)
		FAIL("mount leak tmpfs");
	fd = open(file, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || write_bytes(fd, 1 << 20) < 0)
		FAIL("fill %s", file);
	if (umount2(dir, MNT_DETACH) < 0)
		FAIL("umount -l %s", dir);
	(*count)++;
	return fd;
}

/* A copy of this container's namespace, plus one tmpfs, that only an nsfs fd keeps alive. */
static int leak_namespace(int idx, int *count)
{
	char dir[64], file[80];
	int orig, nsfd, fd;

	orig = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		FAIL("open own mnt ns");
	if (unshare(CLONE_NEWNS) < 0)
		FAIL("unshare leak ns");
	snprintf(dir, sizeof(dir), "/data/leak-ns-%d", idx);
	snprintf(file, sizeof(file), "%s/pinned", dir);
	if (mkdir(dir, 0755) < 0)
		FAIL("mkdir %s", dir);
	if (mount("residue-bench-leakns", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m") < 0)
		FAIL("mount leak-ns tmpfs");
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write_bytes(fd, 1 << 20) < 0)
		FAIL("fill %s", file);
	close(fd);
	nsfd = open("/proc/self/ns/mnt", O_RDONLY);
	if (nsfd < 0)
		FAIL("open leak ns");
	if (setns(orig, CLONE_NEWNS) < 0)
		FAIL("setns back");
	close(orig);
	(*count)++;
	return nsfd;
}

static void holder(int idx, pid_t keeper_pid, int fds, bool leak)
{
	int nfiles, npipes = fds / 10, nunix = fds / 10, ntcp = fds / 20, nudp = fds / 20;
	int count = 0, nsfd, pair[2];
	struct rlimit rl;
	char p[PATH_MAX];

	/* Room for our F plus stdio, the report pipe and the two leaks. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		FAIL("getrlimit");
	if (rl.rlim_max != RLIM_INFINITY && (rlim_t)fds + 16 > rl.rlim_max) {
		errno = EMFILE;
		FAIL("BENCH_FDS=%d exceeds the RLIMIT_NOFILE hard limit %llu", fds,
		     (unsigned long long)rl.rlim_max);
	}
	if (rl.rlim_cur < (rlim_t)fds + 64) {
		rl.rlim_cur = (rlim_t)fds + 64;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			FAIL("setrlimit(RLIMIT_NOFILE, %llu)", (unsigned long long)rl.rlim_cur);
	}

	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)keeper_pid);
	nsfd = open(p, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		FAIL("open %s", p);
	if (setns(nsfd, CLONE_NEWNS) < 0)
		FAIL("setns into keeper %d", (int)keeper_pid);
	close(nsfd);
	snprintf(p, sizeof(p), "/data/h-%d", idx);
	if (mkdir(p, 0755) < 0 || chdir(p) < 0)
		FAIL("mkdir/chdir %s", p);

	for (int i = 0; i < npipes; i++, count += 2)
		if (pipe(pair) < 0)
			FAIL("pipe");
	for (int i = 0; i < nunix; i++, count += 2)
		if (socketpair(AF_UNIX, i % 2 ? SOCK_DGRAM : SOCK_STREAM, 0, pair) < 0)
			FAIL("socketpair");
	for (int i = 0; i < ntcp; i++, count++)
		if (inet_socket(SOCK_STREAM) < 0)
			FAIL("tcp socket");
	for (int i = 0; i < nudp; i++, count++)
		if (inet_socket(SOCK_DGRAM) < 0)
			FAIL("udp socket");
	nfiles = fds - count;
	for (int i = 0; i < nfiles; i++, count++) {
		int fd;

		snprintf(p, sizeof(p), "f-%d", i);
		fd = open(p, (i < 4 || i % 3 ? O_RDWR : O_RDONLY) | O_CREAT, 0644);
		if (fd < 0)
			FAIL("open %s", p);
		/* A few shared mappings too, as real processes have. */
		if (i < 4) {
			if (ftruncate(fd, 4096) < 0)
				FAIL("ftruncate");
			if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
				FAIL("mmap");
		}
	}
	if (leak) {
		leak_orphan(idx, &count);
		leak_namespace(idx, &count);
	}

	child_report('R', 0, count, "holder %d", idx);
	close(report_fd);
	sleep_forever();
}

/* --- the parent -------------------------------------------------------------------------- */

static void teardown(void)
{
	double t0 = family_now();
	int killed;
	char p[PATH_MAX + 32];

	killed = family_kill_all(kids, nkids);
	if (base[0]) {
		for (int i = 0;; i++) {
			snprintf(p, sizeof(p), "%s/ns-%d", base, i);
			if (rmdir(p) < 0) {
				if (errno == ENOENT)
					break;
				fprintf(stderr, "world: rmdir %s: %m\n", p);
			}
		}
		static const char *const left[] = { "shared/hosts", "shared/hostname",
						    "shared/resolv.conf" };
		for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", base, left[i]);
			unlink(p);
		}
		snprintf(p, sizeof(p), "%s/shared/vol", base);
		rmdir(p);
		snprintf(p, sizeof(p), "%s/shared", base);
		rmdir(p);
		if (rmdir(base) < 0)
			fprintf(stderr, "world: rmdir %s: %m\n", base);
	}
	fprintf(stderr, "world: teardown killed %d processes in %.2f s\n", killed,
		family_now() - t0);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("world: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	teardown();
	exit(1);
}

static pid_t spawn(int idx, const sigset_t *oldmask, int sigfd, int readfd, pid_t keeper_pid,
		   const struct opts *o)
{
	pid_t parent = getpid(), pid;

	pid = fork();
	if (pid < 0)
		die("fork: %m");
	if (pid > 0)
		return pid;

	/* Die with the world, whatever kills it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	close(sigfd);
	close(readfd);
	/* Hold only what we open ourselves (plus stdio), whatever the caller leaked to us. */
	if (report_fd > 3)
		close_range(3, (unsigned int)report_fd - 1, 0);
	close_range((unsigned int)report_fd + 1, ~0U, 0);
	child_idx = idx;
	if (idx < o->ns)
		keeper(idx, o->mounts);
	else
		holder(idx - o->ns, keeper_pid, o->fds, idx - o->ns < o->leaks);
	_exit(0);
}

static void fail_report(const struct report *rep)
{
	errno = rep->err;
	die("child %d: %s: %m", rep->idx, rep->what);
}

/* Collect `want` ready reports; any error, death, signal or the deadline ends the world. */
static void await(int readfd, int sigfd, int want, double deadline, long *sum)
{
	while (want > 0) {
		struct pollfd pfd[2] = { { .fd = readfd, .events = POLLIN },
					 { .fd = sigfd, .events = POLLIN } };
		double left = deadline - family_now();
		struct signalfd_siginfo si;
		struct report rep;
		pid_t dead;
		int st = 0;

		if (left <= 0)
			die("build timed out with %d children not ready", want);
		if (poll(pfd, 2, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			die("poll: %m");
		/* Reports first: a child that failed wrote why before it exited. */
		if (pfd[0].revents & POLLIN) {
			if (read(readfd, &rep, sizeof(rep)) != sizeof(rep))
				die("short report");
			if (rep.tag == 'E')
				fail_report(&rep);
			*sum += rep.count;
			want--;
		}
		if (!(pfd[1].revents & POLLIN))
			continue;
		if (read(sigfd, &si, sizeof(si)) != sizeof(si))
			die("signalfd: %m");
		if (si.ssi_signo != SIGCHLD)
			die("signal %d while building", (int)si.ssi_signo);
		dead = family_reap(kids, nkids, &st);
		if (!dead)
			continue;
		if (poll(pfd, 1, 0) > 0 && read(readfd, &rep, sizeof(rep)) == sizeof(rep) &&
		    rep.tag == 'E')
			fail_report(&rep);
		die("child pid %d died while building (status 0x%x)", (int)dead, st);
	}
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 10);
	if (*end || n < 0 || n > INT_MAX) {
		fprintf(stderr, "world: bad %s=%s\n", name, v);
		exit(2);
	}
	return (int)n;
}

static void write_shared(void)
{
	static const char *const names[] = { "hosts", "hostname", "resolv.conf" };
	static const char *const text[] = { "127.0.0.1 localhost\n", "bench\n",
					    "nameserver 127.0.0.53\n" };
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/shared", base);
	if (mkdir(p, 0755) < 0)
		die("mkdir %s: %m", p);
	snprintf(p, sizeof(p), "%s/shared/vol", base);
	if (mkdir(p, 0755) < 0)
		die("mkdir %s: %m", p);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/shared/%s", base, names[i]);
		f = fopen(p, "we");
		if (!f || fputs(text[i], f) < 0 || fclose(f) != 0)
			die("write %s: %m", p);
	}
}

int main(int argc, char **argv)
{
	struct opts o = {
		.ns = env_int("BENCH_NS", 500),
		.procs = env_int("BENCH_PROCS", 100),
		.fds = env_int("BENCH_FDS", 200),
		.mounts = env_int("BENCH_MOUNTS", 30),
		.leaks = env_int("BENCH_LEAKS", 4),
		.timeout = env_int("BENCH_BUILD_TIMEOUT", 120),
		.parent = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		.pidfile = NULL,
	};
	sigset_t oldmask;
	int sigfd, pipefd[2];
	long mounts = 0, fds = 0;
	double t0 = family_now();
	FILE *pf = NULL;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr,
			"usage: %s [PIDFILE]\n"
			"  env: BENCH_NS BENCH_PROCS BENCH_FDS (per process) BENCH_MOUNTS "
			"BENCH_LEAKS\n"
			"       BENCH_BUILD_TIMEOUT TMPDIR\n",
			argv[0]);
		return 2;
	}
	if (argc == 2)
		o.pidfile = argv[1];
	if (o.procs > 0 && o.ns == 0) {
		fprintf(stderr, "world: holders live in the namespaces: BENCH_NS must be >= 1\n");
		return 2;
	}
	if (o.leaks > o.procs)
		o.leaks = o.procs;
	if (o.mounts < 1)
		o.mounts = 1;

	/* Children report on a pipe and keep stdio: make sure 0-2 are taken so fds line up. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 1;

	/* The world follows its parent: if the bench script dies, so does everything here. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		perror("world: PR_SET_PDEATHSIG");
	if (getppid() == 1) {
		fprintf(stderr, "world: parent already gone\n");
		return 1;
	}
	sigfd = family_signals(&oldmask);
	if (sigfd < 0)
		die("signals: %m");

	kids = calloc((size_t)o.ns + (size_t)o.procs + 1, sizeof(*kids));
	if (!kids)
		die("out of memory");
	if ((size_t)snprintf(base, sizeof(base), "%s/residue-bench.XXXXXX", o.parent) >=
	    sizeof(base))
		die("TMPDIR too long");
	if (!mkdtemp(base)) {
		base[0] = 0;
		die("mkdtemp: %m");
	}
	printf("base %s\n", base);
	fflush(stdout);
	write_shared();
	for (int i = 0; i < o.ns; i++) {
		char p[PATH_MAX + 32];

		snprintf(p, sizeof(p), "%s/ns-%d", base, i);
		if (mkdir(p, 0755) < 0)
			die("mkdir %s: %m", p);
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		die("pipe: %m");
	report_fd = pipefd[1];

	/* Keepers first: holders join their namespaces. */
	for (int i = 0; i < o.ns; i++) {
		kids[nkids] = spawn(i, &oldmask, sigfd, pipefd[0], 0, &o);
		nkids++;
	}
	await(pipefd[0], sigfd, o.ns, t0 + o.timeout, &mounts);
	for (int j = 0; j < o.procs; j++) {
		kids[nkids] = spawn(o.ns + j, &oldmask, sigfd, pipefd[0], kids[j % o.ns], &o);
		nkids++;
	}
	await(pipefd[0], sigfd, o.procs, t0 + o.timeout, &fds);
	close(pipefd[1]);
	close(pipefd[0]);

	if (o.pidfile) {
		pf = fopen(o.pidfile, "we");
		if (!pf)
			die("open %s: %m", o.pidfile);
		for (int i = 0; i < nkids; i++)
			fprintf(pf, "%d\n", (int)kids[i]);
		if (fclose(pf) != 0)
			die("write %s: %m", o.pidfile);
	}
	printf("ready pid=%d base=%s ns=%d mounts=%ld procs=%d fds=%ld leaks=%d build_s=%.2f\n",
	       (int)getpid(), base, o.ns, mounts, o.procs, fds, o.leaks, family_now() - t0);
	fflush(stdout);

	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(sigfd, &si, sizeof(si));
		pid_t dead;
		int st = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si))
			die("signalfd: %m");
		if (si.ssi_signo != SIGCHLD)
			break;
		dead = family_reap(kids, nkids, &st);
		if (dead)
			die("child pid %d died (status 0x%x)", (int)dead, st);
	}
	teardown();
	return 0;
}
