// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * residue-churn: a host where containers are born and die faster than a scan
 * takes, for the stress test (tests/integration/stress.sh, `make stress`).
 * For SECONDS it starts RATE "containers" a second, each a process in a
 * mount namespace of its own that mounts a tmpfs on DIR, writes a file there
 * and keeps it open from inside, lives 20-200 ms and exits.  By turns a
 * container also:
 *   - execs (sleep, the file still open across the exec);
 *   - has a thread in a mount namespace of its own, with its own tmpfs and
 *     file (unshare(CLONE_FS | CLONE_NEWNS) in that thread);
 *   - holds a file on another container's tmpfs while both are alive (its
 *     child, in a third namespace, through /proc/CHILD/root), closed before
 *     that child is killed, so no orphan is ever made on purpose;
 *   - lives in a memory cgroup of its own below CGROUP (when given), which
 *     is removed once it has exited.
 * Every process it starts is its own descendant and dies with it
 * (PR_SET_PDEATHSIG); nothing it makes outlives it.  It prints one line of
 * figures at the end.  Never a finding: a correct scan reports nothing of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ALIVE 64

static const char *dir;
static const char *cgroup;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A private mount namespace with a tmpfs on @dir holding one open file; the fd, or -1. */
static int container_fs(const char *name)
{
	char path[4096];
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(name, dir, "tmpfs", 0, "size=1m") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/residue-churn-file", dir);
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd >= 0 && write(fd, "churn", 5) != 5) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *thread_ns(void *arg)
{
	(void)arg;
	/* This thread's own fs_struct first: then it may have a mount namespace of its own. */
	if (unshare(CLONE_FS) == 0) {
		int fd = container_fs("residue-churn-thread");
		usleep(20000);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void sleep_ms(unsigned lo, unsigned hi)
{
	usleep(1000 * (lo + (unsigned)rand() % (hi - lo + 1)));
}

/* The body of container number @i; it runs in a child and never returns. */
static _Noreturn void container(unsigned i)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	srand(i * 2654435761U);
	int fd = container_fs("residue-churn");
	if (fd < 0)
		_exit(2);
	switch (i % 4) {
	case 1: {
		/* exec with the file still open: the holder changes its comm and image. */
		char ms[16];
		snprintf(ms, sizeof(ms), "0.0%u", 2 + (unsigned)rand() % 8);
		execlp("sleep", "sleep", ms, (char *)NULL);
		_exit(3);
	}
	case 2: {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_ns, NULL) == 0)
			pthread_join(t, NULL);
		break;
	}
	case 3: {
		/* A neighbour in a third namespace; hold its file while both are alive. */
		int p[2];
		if (pipe(p) < 0)
			break;
		pid_t n = fork();
		if (n == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			int nfd = container_fs("residue-churn-neighbour");
			char c = nfd >= 0 ? 'y' : 'n';
			(void)!write(p[1], &c, 1);
			pause();
			_exit(0);
		}
		char c = 'n', path[4200];
		if (n > 0 && read(p[0], &c, 1) == 1 && c == 'y') {
			snprintf(path, sizeof(path), "/proc/%d/root%s/residue-churn-file", (int)n,
				 dir);
			int other = open(path, O_RDONLY);
			sleep_ms(10, 50);
			/* Let go of it first: the neighbour's tmpfs must never outlive its namespace. */
			if (other >= 0)
				close(other);
		}
		if (n > 0) {
			kill(n, SIGKILL);
			waitpid(n, NULL, 0);
		}
		close(p[0]);
		close(p[1]);
		break;
	}
	default:
		break;
	}
	sleep_ms(20, 200);
	_exit(0);
}

typedef struct Alive {
	pid_t pid;
	unsigned i;
} Alive;

static void remove_cgroup(unsigned i)
{
	char path[4096];
	if (!cgroup)
		return;
	snprintf(path, sizeof(path), "%s/churn-%u", cgroup, i);
	for (int k = 0; k < 100 && rmdir(path) < 0 && errno == EBUSY; k++)
		usleep(1000);
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fputs("usage: residue-churn DIR SECONDS RATE [CGROUP]\n", stderr);
		return 2;
	}
	dir = argv[1];
	double seconds = atof(argv[2]), rate = atof(argv[3]);
	cgroup = argc == 5 ? argv[4] : NULL;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);

	Alive alive[MAX_ALIVE];
	size_t n_alive = 0, peak = 0;
	unsigned started = 0, failed = 0, cgroups = 0;
	double t0 = now(), next = t0;
	while (now() - t0 < seconds || n_alive > 0) {
		/* Reap what has exited, and remove its cgroup. */
		for (size_t k = 0; k < n_alive;) {
			int st;
			if (waitpid(alive[k].pid, &st, WNOHANG) == alive[k].pid) {
				if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
					failed++;
				remove_cgroup(alive[k].i);
				alive[k] = alive[--n_alive];
			} else {
				k++;
			}
		}
		if (now() - t0 >= seconds) {
			usleep(2000);
			continue;
		}
		if (now() < next || n_alive == MAX_ALIVE) {
			usleep(1000);
			continue;
		}
		next += 1.0 / rate;
		unsigned i = started++;
		char path[4096];
		bool in_cgroup = false;
		if (cgroup) {
			snprintf(path, sizeof(path), "%s/churn-%u", cgroup, i);
			in_cgroup = mkdir(path, 0755) == 0;
			cgroups += in_cgroup;
		}
		pid_t pid = fork();
		if (pid == 0) {
			if (in_cgroup) {
				char procs[4200];
				snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
				FILE *f = fopen(procs, "w");
				if (f) {
					fprintf(f, "0\n");
					fclose(f);
				}
			}
			container(i);
		}
		if (pid < 0) {
			failed++;
			remove_cgroup(i);
			continue;
		}
		alive[n_alive++] = (Alive){ pid, i };
		if (n_alive > peak)
			peak = n_alive;
	}
	double took = now() - t0;
	printf("churn: %u containers in %.1f s (%.1f/s), %u cgroups, at most %zu alive, %u failed\n",
	       started, took, started / took, cgroups, peak, failed);
	return failed ? 1 : 0;
}
