// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench/zombie-pin.c makes zombie memory cgroups for bench/zombie-scale, fast enough for 10 000:
 * for each number i in [FROM, TO) it creates the file DIR/z-NNNNN.data (empty, from this process,
 * so the inode and its metadata blocks are charged here), the cgroup PARENT/z-NNNNN, forks a
 * child that joins it and writes one page into the file (that page is charged to the cgroup),
 * waits for the child, and removes the cgroup, which stays as a zombie while the page is cached.
 * For each one it prints "ID CGROUP FILE" (ID: the directory's inode number, which is the cgroup
 * id residue reports) on stdout.  Every 500 cgroups, and before the first, it reads MemAvailable
 * and stops (exit 3) when it is below --min-avail-kib: the caller then reports how far it got.
 * A bash loop of mkdir, sh, head and rmdir took ~10 ms a cgroup; this takes well under one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--min-avail-kib KIB] PARENT-CGROUP-DIR FILE-DIR FROM TO\n"
		"exit: 0 all made, 1 error, 2 usage, 3 stopped: MemAvailable below KIB\n",
		argv0);
}

static long mem_available_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The child: join @cg, write one page into @file, leave.  Nothing else may be charged to it. */
static void child(const char *cg, const char *file)
{
	static char page[PAGE];
	char procs[PATH_MAX + 16];
	int fd;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0\n", 2) != 2)
		_exit(10);
	close(fd);
	memset(page, 'z', sizeof(page));
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, page, sizeof(page), 0) != sizeof(page))
		_exit(11);
	_exit(0);
}

/* rmdir that waits out the moment a just-reaped child still counts as a member. */
static int rmdir_retry(const char *dir)
{
	for (int n = 0; n < 500; n++) {
		if (rmdir(dir) == 0)
			return 0;
		if (errno != EBUSY)
			return -errno;
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

int main(int argc, char **argv)
{
	long min_avail = 0;
	int a = 1;

	if (argc > 2 && strcmp(argv[1], "--min-avail-kib") == 0) {
		min_avail = strtol(argv[2], NULL, 10);
		a = 3;
	}
	if (argc - a != 4) {
		usage(argv[0]);
		return 2;
	}
	const char *parent = argv[a], *dir = argv[a + 1];
	long from = strtol(argv[a + 2], NULL, 10), to = strtol(argv[a + 3], NULL, 10);
	if (from < 0 || to < from || to > 99999) {
		usage(argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = from; i < to; i++) {
		char cg[PATH_MAX], file[PATH_MAX];
		struct stat st;
		int fd, status;

		if ((i - from) % 500 == 0 && min_avail > 0) {
			long avail = mem_available_kib();
			if (avail >= 0 && avail < min_avail) {
				fprintf(stderr,
					"zombie-pin: stopped before %ld: MemAvailable %ld KiB < %ld\n",
					i, avail, min_avail);
				return 3;
			}
		}
		snprintf(cg, sizeof(cg), "%s/z-%05ld", parent, i);
		snprintf(file, sizeof(file), "%s/z-%05ld.data", dir, i);
		fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "zombie-pin: %s: %s\n", file, strerror(errno));
			return 1;
		}
		close(fd);
		if (mkdir(cg, 0755) < 0 || stat(cg, &st) < 0) {
			fprintf(stderr, "zombie-pin: mkdir %s: %s\n", cg, strerror(errno));
			return 1;
		}
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "zombie-pin: fork: %s\n", strerror(errno));
			rmdir(cg);
			return 1;
		}
		if (pid == 0)
			child(cg, file);
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				fprintf(stderr, "zombie-pin: waitpid: %s\n", strerror(errno));
				return 1;
			}
		int r = rmdir_retry(cg);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "zombie-pin: the writer in %s failed (status %#x)\n", cg,
				status);
			return 1;
		}
		if (r < 0) {
			fprintf(stderr, "zombie-pin: rmdir %s: %s\n", cg, strerror(-r));
			return 1;
		}
		printf("%" PRIu64 " %s %s\n", (uint64_t)st.st_ino, cg, file);
	}
	return 0;
}
