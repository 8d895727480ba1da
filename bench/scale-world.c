// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench/scale-world.c owns the worlds of bench/scale: one shape at a time, at a size far past the
 * reference host's, built in mount namespaces it creates and torn down by pid.
 *
 *   scale-world mounts N  one namespace of N mounts: binds of one tmpfs directory onto N
 *                         directories (what a mount-propagation explosion makes), not N tmpfs
 *                         superblocks, each of which would grow the memcg shrinker map for good
 *   scale-world ns N      N namespaces with one sleeping process each, three mounts apiece (a
 *                         bind of one tmpfs as root, two binds in it), plus SCALE_NS_FDONLY more
 *                         that only an nsfs fd keeps (process-less namespaces, each a finding)
 *   scale-world fds N     N descriptors spread over processes of SCALE_FDS_PER descriptors at
 *                         most: distinct open()s of files on the world's tmpfs (one struct file
 *                         each), pipes and unix socket pairs; RLIMIT_NOFILE raised for those
 *                         processes only
 *
 * Every shape starts from an anchor process that unshares a mount namespace and mounts the
 * world's only tmpfs on a mkdtemp directory; every other namespace is a copy of the anchor's,
 * pivot_rooted into a bind of that tmpfs, so the world adds one superblock to the host (two with
 * the leaks).  A leaker process plants what residue must find, exactly: one orphaned tmpfs (a
 * file held open while its tmpfs is lazily unmounted) and one process-less namespace (a copy of
 * the anchor's with a tmpfs of its own, kept by an nsfs fd); in the mounts shape it also holds a
 * file through a lazily unmounted bind of the shared tmpfs, a look-alike: the mount is orphaned
 * but its superblock is mounted N times and must not be reported.
 *
 * It prints "base DIR", then one "ready" line, and writes "ROLE PID" lines to PIDFILE; then waits.
 * On SIGTERM/SIGINT/SIGHUP, the death of a child or of its parent, or a build timeout it SIGKILLs
 * the children it forked (each also has PR_SET_PDEATHSIG), reaps them and removes its directory,
 * on which nothing was mounted in the caller's namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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

enum role {
	ANCHOR,
	LEAKER,
	KEEPER,
	HOLDER
};
static const char *const role_name[] = { "anchor", "leaker", "keeper", "holder" };

struct report {
	char tag; /* 'R' ready, 'E' error */
	int err;
	long count;
	char what[100];
};

static pid_t *kids;
static enum role *kid_role;
static int nkids, cap_kids;
static char base[256];
static int report_fd = -1;

/* --- children ---------------------------------------------------------------------------- */

static void child_report(char tag, long count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void child_report(char tag, long count, const char *fmt, ...)
{
	struct report r = { .tag = tag, .err = errno, .count = count };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.what, sizeof(r.what), fmt, ap);
	va_end(ap);
	if (write(report_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		child_report('E', 0, __VA_ARGS__);                                                 \
		_exit(1);                                                                          \
	} while (0)

static void ready_and_sleep(long count, const char *what)
{
	child_report('R', count, "%s", what);
	close(report_fd);
	for (;;)
		pause();
}

static void join_anchor(pid_t anchor)
{
	char p[64];
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)anchor);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNS) < 0)
		FAIL("join the anchor's namespace %s", p);
	close(fd);
}

/* The soft limit up to @want; the hard one too if it is lower (needs CAP_SYS_RESOURCE). */
static void raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		FAIL("getrlimit");
	rl.rlim_cur = (rlim_t)want;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		FAIL("setrlimit(RLIMIT_NOFILE, %ld) (fs.nr_open? CAP_SYS_RESOURCE?)", want);
}

/*
 * Descriptors per holder: SCALE_FDS_PER, but no more than the hard limit allows when we may not
 * raise it (no CAP_SYS_RESOURCE, as in some containers): then more processes hold them.
 */
static long fds_per_holder(long per)
{
	struct rlimit rl;
	struct __user_cap_header_struct {
		unsigned int version;
		int pid;
	} hdr = { 0x20080522, 0 };
	struct {
		unsigned int effective, permitted, inheritable;
	} data[2] = { { 0 } };

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY)
		return per;
	/* CAP_SYS_RESOURCE is 24. */
	if (syscall(SYS_capget, &hdr, data) == 0 && (data[0].effective & (1u << 24)))
		return per;
	if ((rlim_t)per + 64 > rl.rlim_max)
		per = (long)rl.rlim_max - 64;
	return per < 1 ? 1 : per;
}

/*
 * A namespace of our own, a copy of the anchor's, whose root is a bind of the world's tmpfs
 * directory base/root: it holds only the mounts made here, and the host's mount table is not
 * copied into every one of thousands of namespaces.
 */
static void enter_own_root(void)
{
	char root[PATH_MAX];

	if (unshare(CLONE_NEWNS) < 0)
		FAIL("unshare(CLONE_NEWNS)");
	snprintf(root, sizeof(root), "%s/root", base);
	if (mount(root, root, NULL, MS_BIND, NULL) < 0)
		FAIL("bind %s", root);
	if (chdir(root) < 0 || syscall(SYS_pivot_root, ".", "old") < 0)
		FAIL("pivot_root %s", root);
	if (chdir("/") < 0 || umount2("/old", MNT_DETACH) < 0)
		FAIL("drop the old root");
}

static void anchor(void)
{
	static const char *const dirs[] = { "root",   "root/old",   "root/vol", "root/ro",
					    "root/m", "root/files", "root/leak" };
	char p[PATH_MAX];

	if (unshare(CLONE_NEWNS) < 0)
		FAIL("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		FAIL("make / private");
	if (mount("residue-scale", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0)
		FAIL("mount tmpfs on %s", base);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", base, dirs[i]);
		if (mkdir(p, 0755) < 0)
			FAIL("mkdir %s", p);
	}
	ready_and_sleep(1, "anchor");
}

/* The leaks residue must find, and in the mounts shape the look-alike it must not. */
static void leaker(pid_t anchor_pid, pid_t big_pid)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	int fd, orig, nsfd;
	static char mib[1 << 20];

	join_anchor(anchor_pid);
	memset(mib, 'r', sizeof(mib));
	/* An orphaned tmpfs: a 1 MiB file held open, its tmpfs lazily unmounted. */
	snprintf(dir, sizeof(dir), "%s/root/leak", base);
	if (mount("residue-scale-leak", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m") < 0)
		FAIL("mount leak tmpfs");
	snprintf(file, sizeof(file), "%s/pinned", dir);
	fd = open(file, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || write(fd, mib, sizeof(mib)) != (ssize_t)sizeof(mib))
		FAIL("fill %s", file);
	if (umount2(dir, MNT_DETACH) < 0)
		FAIL("umount -l %s", dir);
	/* A process-less namespace with a tmpfs of its own, kept by an nsfs fd. */
	orig = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (orig < 0 || unshare(CLONE_NEWNS) < 0)
		FAIL("unshare the leaked namespace");
	if (mount("residue-scale-leakns", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m") < 0)
		FAIL("mount leak-ns tmpfs");
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, mib, sizeof(mib)) != (ssize_t)sizeof(mib))
		FAIL("fill %s", file);
	close(fd);
	nsfd = open("/proc/self/ns/mnt", O_RDONLY);
	if (nsfd < 0 || setns(orig, CLONE_NEWNS) < 0)
		FAIL("keep the leaked namespace");
	close(orig);
	/* The look-alike: a file held through an orphaned bind whose superblock is mounted N times. */
	if (big_pid > 0) {
		join_anchor(big_pid);
		if (mkdir("/lookalike", 0755) < 0 ||
		    mount("/vol", "/lookalike", NULL, MS_BIND, NULL) < 0)
			FAIL("bind /lookalike");
		fd = open("/lookalike/held", O_RDWR | O_CREAT, 0644);
		if (fd < 0 || umount2("/lookalike", MNT_DETACH) < 0)
			FAIL("orphan the look-alike bind");
	}
	ready_and_sleep(2, "leaker");
}

/* One namespace of @mounts mounts: the root bind, then binds of /vol on directories below /m. */
static void keeper(pid_t anchor_pid, long mounts)
{
	char p[64];
	long count = 1;

	join_anchor(anchor_pid);
	enter_own_root();
	if (mounts >= 2 && mount("/vol", "/ro", NULL, MS_BIND, NULL) < 0)
		FAIL("bind /ro");
	if (mounts >= 2 && mount(NULL, "/ro", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		FAIL("remount /ro read-only");
	count += mounts >= 2;
	/* 1 000 directories of up to 1 000 each: no directory of 100 000 entries. */
	for (long i = 0; count < mounts; i++, count++) {
		if (i % 1000 == 0) {
			snprintf(p, sizeof(p), "/m/%ld", i / 1000);
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				FAIL("mkdir %s", p);
		}
		snprintf(p, sizeof(p), "/m/%ld/%ld", i / 1000, i % 1000);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			FAIL("mkdir %s", p);
		if (mount("/vol", p, NULL, MS_BIND, NULL) < 0)
			FAIL("bind #%ld on %s", count, p);
	}
	ready_and_sleep(count, "keeper");
}

/* @fds descriptors: 80 % open()s of files (distinct struct files), 10 % pipes, 10 % socket pairs. */
static void holder(pid_t anchor_pid, int idx, long fds)
{
	long count = 0;
	char p[PATH_MAX];
	int pair[2];

	raise_nofile(fds + 64);
	join_anchor(anchor_pid);
	snprintf(p, sizeof(p), "%s/root/files/h-%d", base, idx);
	if (mkdir(p, 0755) < 0 || chdir(p) < 0)
		FAIL("mkdir/chdir %s", p);
	for (long i = 0; i < fds / 10 / 2; i++, count += 2)
		if (pipe(pair) < 0)
			FAIL("pipe #%ld", i);
	for (long i = 0; i < fds / 10 / 2; i++, count += 2)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
			FAIL("socketpair #%ld", i);
	/* 256 files, each opened many times: every open() is a struct file of its own. */
	for (long i = 0; count < fds; i++, count++) {
		snprintf(p, sizeof(p), "f-%ld", i % 256);
		if (open(p, O_RDWR | O_CREAT, 0644) < 0)
			FAIL("open #%ld %s", i, p);
	}
	ready_and_sleep(count, "holder");
}

/* Process-less namespaces, @n of them, each kept by one nsfs fd of ours. */
static void fdonly(pid_t anchor_pid, long n)
{
	int orig;

	raise_nofile(n + 64);
	join_anchor(anchor_pid);
	orig = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		FAIL("open own namespace");
	for (long i = 0; i < n; i++) {
		if (unshare(CLONE_NEWNS) < 0 || open("/proc/self/ns/mnt", O_RDONLY) < 0 ||
		    setns(orig, CLONE_NEWNS) < 0)
			FAIL("process-less namespace #%ld", i);
	}
	ready_and_sleep(n, "holder");
}

/* --- the parent -------------------------------------------------------------------------- */

static void teardown(void)
{
	double t0 = family_now();
	int killed;

	killed = family_kill_all(kids, nkids);
	if (base[0] && rmdir(base) < 0)
		fprintf(stderr, "scale-world: rmdir %s: %m\n", base);
	fprintf(stderr, "scale-world: teardown killed %d processes in %.2f s\n", killed,
		family_now() - t0);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("scale-world: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	teardown();
	exit(1);
}

struct spawn_args {
	enum role role;
	pid_t anchor, big;
	int idx;
	long n;
	bool fdonly;
};

static sigset_t oldmask;
static int sigfd = -1, readfd = -1;
static double deadline;

/* Fork one child and wait for its report: any error, death, signal or the deadline ends all. */
static long spawn(const struct spawn_args *a)
{
	pid_t parent = getpid(), pid;

	if (nkids == cap_kids) {
		cap_kids = cap_kids ? 2 * cap_kids : 64;
		kids = realloc(kids, (size_t)cap_kids * sizeof(*kids));
		kid_role = realloc(kid_role, (size_t)cap_kids * sizeof(*kid_role));
		if (!kids || !kid_role)
			die("out of memory");
	}
	pid = fork();
	if (pid < 0)
		die("fork: %m");
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		close(sigfd);
		close(readfd);
		if (report_fd > 3)
			close_range(3, (unsigned int)report_fd - 1, 0);
		close_range((unsigned int)report_fd + 1, ~0U, 0);
		switch (a->role) {
		case ANCHOR:
			anchor();
			break;
		case LEAKER:
			leaker(a->anchor, a->big);
			break;
		case KEEPER:
			keeper(a->anchor, a->n);
			break;
		case HOLDER:
			if (a->fdonly)
				fdonly(a->anchor, a->n);
			holder(a->anchor, a->idx, a->n);
			break;
		}
		_exit(0);
	}
	kids[nkids] = pid;
	kid_role[nkids++] = a->role;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = readfd, .events = POLLIN },
					 { .fd = sigfd, .events = POLLIN } };
		double left = deadline - family_now();
		struct signalfd_siginfo si;
		struct report rep;
		int st = 0;

		if (left <= 0)
			die("build timed out (SCALE_BUILD_TIMEOUT)");
		if (poll(pfd, 2, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			die("poll: %m");
		if (pfd[0].revents & POLLIN) {
			if (read(readfd, &rep, sizeof(rep)) != sizeof(rep))
				die("short report");
			if (rep.tag == 'E') {
				errno = rep.err;
				die("%s %d: %s: %m", role_name[a->role], (int)pid, rep.what);
			}
			return rep.count;
		}
		if (!(pfd[1].revents & POLLIN))
			continue;
		if (read(sigfd, &si, sizeof(si)) != sizeof(si))
			die("signalfd: %m");
		if (si.ssi_signo != SIGCHLD)
			die("signal %d while building", (int)si.ssi_signo);
		pid_t dead = family_reap(kids, nkids, &st);
		if (dead && poll(pfd, 1, 0) <= 0)
			die("child %d died while building (status 0x%x)", (int)dead, st);
	}
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 10);
	if (*end || n < 0) {
		fprintf(stderr, "scale-world: bad %s=%s\n", name, v);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long n, per = fds_per_holder(env_long("SCALE_FDS_PER", 100000));
	long fdonly_n = env_long("SCALE_NS_FDONLY", 0);
	long made = 0, fds = 0;
	const char *shape;
	struct spawn_args a = { 0 };
	int pipefd[2];
	double t0 = family_now();
	FILE *pf;

	if (argc != 4 ||
	    (strcmp(argv[1], "mounts") && strcmp(argv[1], "ns") && strcmp(argv[1], "fds")) ||
	    (n = strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr,
			"usage: %s mounts|ns|fds N PIDFILE\n"
			"  env: SCALE_FDS_PER (100000) SCALE_NS_FDONLY (0) SCALE_BUILD_TIMEOUT (600)"
			" TMPDIR\n",
			argv[0]);
		return 2;
	}
	shape = argv[1];
	deadline = t0 + (double)env_long("SCALE_BUILD_TIMEOUT", 600);
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 1;
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
		return 1;
	sigfd = family_signals(&oldmask);
	if (sigfd < 0)
		die("signals: %m");
	snprintf(base, sizeof(base), "%s/residue-scale.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base)) {
		base[0] = 0;
		die("mkdtemp: %m");
	}
	printf("base %s\n", base);
	fflush(stdout);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		die("pipe: %m");
	readfd = pipefd[0];
	report_fd = pipefd[1];

	a.role = ANCHOR;
	spawn(&a);
	a.anchor = kids[0];
	if (strcmp(shape, "mounts") == 0) {
		a.role = KEEPER;
		a.n = n;
		made = spawn(&a);
		a.big = kids[1];
	} else if (strcmp(shape, "ns") == 0) {
		a.role = KEEPER;
		a.n = 3;
		for (long i = 0; i < n; i++)
			made += spawn(&a);
		if (fdonly_n > 0) {
			a.role = HOLDER;
			a.fdonly = true;
			a.n = fdonly_n;
			spawn(&a);
		}
	} else {
		a.role = HOLDER;
		for (long left = n; left > 0; left -= a.n, a.idx++) {
			a.n = left < per ? left : per;
			fds += spawn(&a);
		}
	}
	a.role = LEAKER;
	spawn(&a);
	close(pipefd[1]);
	close(pipefd[0]);

	pf = fopen(argv[3], "we");
	if (!pf)
		die("open %s: %m", argv[3]);
	for (int i = 0; i < nkids; i++)
		fprintf(pf, "%s %d\n", role_name[kid_role[i]], (int)kids[i]);
	if (fclose(pf) != 0)
		die("write %s: %m", argv[3]);
	printf("ready pid=%d base=%s shape=%s n=%ld mounts=%ld fds=%ld fds_per=%ld fdonly=%ld procs=%d "
	       "build_s=%.2f\n",
	       (int)getpid(), base, shape, n, made, fds, per, fdonly_n, nkids, family_now() - t0);
	fflush(stdout);

	for (;;) {
		struct signalfd_siginfo si;
		ssize_t r = read(sigfd, &si, sizeof(si));
		int st = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r != sizeof(si))
			die("signalfd: %m");
		if (si.ssi_signo != SIGCHLD)
			break;
		pid_t dead = family_reap(kids, nkids, &st);
		if (dead)
			die("child %d died (status 0x%x)", (int)dead, st);
	}
	teardown();
	return 0;
}
