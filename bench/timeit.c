// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench/timeit.c owns one measurement: it fork/execs a command with stdout and stderr sent where
 * it is told (stdout to /dev/null by default), waits for it with wait4 and prints on one line its
 * wall time (CLOCK_MONOTONIC around fork..wait4), user and system CPU time and peak resident set
 * size (ru_maxrss, KiB, the largest of the command and any children it waited for), with how it
 * ended. A command that outlives the timeout, or a timeit that is told to stop, takes the command
 * down with SIGKILL; the command also gets PR_SET_PDEATHSIG so it never outlives timeit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t child = 0;

static void on_signal(int sig)
{
	if (child > 0)
		kill(child, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static int redirect(const char *path, int target)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || dup2(fd, target) < 0)
		return -1;
	close(fd);
	return 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-t SECONDS] [-o STDOUT] [-e STDERR] -- COMMAND [ARG...]\n"
		"prints: wall_s=S user_s=S sys_s=S maxrss_kib=N status=exit:N|signal:N|timeout\n",
		argv0);
}

int main(int argc, char **argv)
{
	const char *out = "/dev/null", *err = NULL;
	double timeout = 0, t0, t1;
	struct rusage ru;
	int opt, st = 0, pidfd;
	pid_t parent = getpid(), pid;
	int timed_out = 0;

	while ((opt = getopt(argc, argv, "+t:o:e:h")) != -1) {
		switch (opt) {
		case 't':
			timeout = strtod(optarg, NULL);
			break;
		case 'o':
			out = optarg;
			break;
		case 'e':
			err = optarg;
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		usage(argv[0]);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(126);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (redirect(out, STDOUT_FILENO) < 0 || (err && redirect(err, STDERR_FILENO) < 0)) {
			perror("timeit: redirect");
			_exit(126);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "timeit: exec %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	child = pid;

	/* Wait on a pidfd so a timeout needs no signal juggling; fall back to a plain wait4. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && timeout > 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		int r;

		do
			r = poll(&pfd, 1, (int)(timeout * 1000));
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			timed_out = 1;
		}
	}
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 2;
		}
	}
	t1 = now();
	child = 0;

	printf("wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kib=%ld status=", t1 - t0,
	       tv(ru.ru_utime), tv(ru.ru_stime), ru.ru_maxrss);
	if (timed_out)
		printf("timeout\n");
	else if (WIFEXITED(st))
		printf("exit:%d\n", WEXITSTATUS(st));
	else
		printf("signal:%d\n", WTERMSIG(st));
	return 0;
}
