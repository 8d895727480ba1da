// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench/scrape.c owns the measurements of a running `residue serve` from outside. It GETs
 * /metrics from the agent's loopback port, one TCP connection per request (the agent answers
 * with "Connection: close"), and times each request with CLOCK_MONOTONIC from connect() to the
 * end of the body. It reads the agent's CPU time from /proc: the sum of its threads'
 * /proc/PID/task/TID/schedstat (nanoseconds on a CPU) plus the children it waited for
 * (cutime + cstime of /proc/PID/stat, in clock ticks), and utime + stime + cutime + cstime
 * alone as a cross-check; its memory from VmRSS and VmHWM of /proc/PID/status.
 *
 *   -n N            N sequential GETs, then one summary line of their times.
 *   -s SCANS        follow the agent: a GET every -i seconds; for each new residue_scans_total
 *                   one line with that scan's wall and CPU time and phases and the number of
 *                   mount namespaces (from the metrics), the process's CPU time and memory,
 *                   the sizes of /metrics and of /report (a HEAD request), which grow with what
 *                   the host holds; stops once SCANS scans are done; then the summary line of
 *                   the GETs.
 *   -w SECONDS      wait for the first scan to be published, then for SECONDS send no request and
 *                   read the process's CPU time every 0.1 s: a "start" and an "end" line; the end
 *                   line also splits the time into 0.1 s steps in which the agent used more than
 *                   1 ms of CPU (it was scanning) and the others (it was waiting).
 *   -A              with -w: also wait (60 s at most) for the first dentry and inode audit to
 *                   be published (residue_inode_audited 1), which the agent runs right after its
 *                   first scan: like that scan, it is the agent's start, not its idle cost, and
 *                   the caller composes its hourly share (1.6 s of CPU at 1 000 containers in a
 *                   120 s window is 1.3 % of a core; an hour's share, 0.05 %).
 *
 * A dead agent, an HTTP error or -t SECONDS without the awaited scan ends it with status 1.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (16 << 20)
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static const char *addr = "127.0.0.1";
static int port;
static pid_t pid;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * One request (@what: "GET /metrics" or "HEAD /report"): the body (NUL-terminated, in *buf,
 * after the headers), or NULL; its duration in *took.
 */
static char *request(const char *what, char **buf, size_t *cap, double *took)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tmo = { .tv_sec = 5 };
	size_t have = 0;
	char *body, req[256];
	double t0;
	int fd, len;

	len = snprintf(req, sizeof(req),
		       "%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: residue-bench-scrape\r\n"
		       "Connection: close\r\n\r\n",
		       what);
	if (len < 0 || (size_t)len >= sizeof(req) || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return NULL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	t0 = now();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, (size_t)len) != (ssize_t)len)
		goto fail;
	for (;;) {
		ssize_t n;

		if (*cap - have < 4096) {
			size_t ncap = *cap ? *cap * 2 : 65536;
			char *p = ncap <= BODY_MAX ? realloc(*buf, ncap) : NULL;

			if (!p)
				goto fail;
			*buf = p;
			*cap = ncap;
		}
		n = read(fd, *buf + have, *cap - have - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	*took = now() - t0;
	close(fd);
	(*buf)[have] = '\0';
	if (strncmp(*buf, "HTTP/1.1 200 ", 13) != 0 && strncmp(*buf, "HTTP/1.0 200 ", 13) != 0)
		return NULL;
	body = strstr(*buf, "\r\n\r\n");
	if (!body)
		return NULL;
	body[2] = '\0'; /* the headers end with their last "\r\n" */
	return body + 4;
fail:
	close(fd);
	return NULL;
}

static char *get_metrics(char **buf, size_t *cap, double *took)
{
	return request("GET /metrics", buf, cap, took);
}

/* The Content-Length of /report (a HEAD request: the agent sends no body), or -1. */
static long report_bytes(char **buf, size_t *cap)
{
	double took;
	const char *h;

	if (!request("HEAD /report", buf, cap, &took))
		return -1;
	h = strcasestr(*buf, "\r\nContent-Length:");
	return h ? strtol(h + 17, NULL, 10) : -1;
}

/* The value of the sample whose line starts with @name followed by a space, or NAN. */
static double sample(const char *body, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return NAN;
}

/* The agent's CPU seconds: threads (schedstat, ns) + waited-for children (ticks); and stat's. */
static int cpu_of(double *ret_sched, double *ret_stat)
{
	char path[64], line[1024];
	double ticks = (double)sysconf(_SC_CLK_TCK), sched = 0;
	unsigned long long ut, st, cut, cst;
	struct dirent *de;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	/* After "(comm)": state is field 3; utime..cstime are fields 14..17. */
	char *p = strrchr(line, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			 &ut, &st, &cut, &cst) != 4)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		unsigned long long ns;
		char tp[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(tp, sizeof(tp), "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
		f = fopen(tp, "re");
		if (!f)
			continue; /* the thread just ended */
		if (fscanf(f, "%llu", &ns) == 1)
			sched += (double)ns / 1e9;
		fclose(f);
	}
	closedir(d);
	*ret_sched = sched + (double)(cut + cst) / ticks;
	*ret_stat = (double)(ut + st + cut + cst) / ticks;
	return 0;
}

static void mem_of(long *rss, long *hwm)
{
	char path[64], line[256];
	FILE *f;

	*rss = *hwm = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

/* Every residue_scan_duration_seconds{phase="X"} other than total, as " ph.X=V". */
static void print_phases(const char *body)
{
	static const char key[] = "residue_scan_duration_seconds{phase=\"";

	for (const char *p = strstr(body, key); p; p = strstr(p + 1, key)) {
		const char *name = p + sizeof(key) - 1, *end = strchr(name, '"');

		if (!end || (p != body && p[-1] != '\n') || strncmp(name, "total\"", 6) == 0)
			continue;
		printf(" ph.%.*s=%g", (int)(end - name), name, strtod(end + 3, NULL));
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void summary(double *t, size_t n, size_t failed, size_t bytes)
{
	if (n == 0) {
		printf("gets=0 failed=%zu\n", failed);
		return;
	}
	qsort(t, n, sizeof(*t), cmp_double);
	size_t i99 = (size_t)ceil(0.99 * (double)n) - 1;
	printf("gets=%zu failed=%zu median_s=%.6f p99_s=%.6f max_s=%.6f min_s=%.6f bytes=%zu\n", n,
	       failed, n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2, t[i99], t[n - 1], t[0],
	       bytes);
}

static bool agent_alive(void)
{
	char path[64], line[512];
	FILE *f;
	bool alive = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ')');
		alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	}
	fclose(f);
	return alive;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s -p PORT [-a ADDR] (-n GETS | -P PID -s SCANS [-i SECONDS] |\n"
		"       -P PID -w SECONDS) [-t TIMEOUT]\n",
		argv0);
}

int main(int argc, char **argv)
{
	double interval = 0.01, timeout = 600, wait_s = -1, deadline;
	bool wait_audit = false;
	long gets = 0, scans = 0;
	char *buf = NULL, *body;
	size_t cap = 0, n = 0, failed = 0, bytes = 0, tcap = 0;
	double *times = NULL, took;
	int opt;

	while ((opt = getopt(argc, argv, "a:p:P:n:s:i:w:t:Ah")) != -1) {
		switch (opt) {
		case 'A':
			wait_audit = true;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'P':
			pid = (pid_t)atoi(optarg);
			break;
		case 'n':
			gets = atol(optarg);
			break;
		case 's':
			scans = atol(optarg);
			break;
		case 'i':
			interval = strtod(optarg, NULL);
			break;
		case 'w':
			wait_s = strtod(optarg, NULL);
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (port <= 0 || port > 65535 || (gets <= 0 && (pid <= 0 || (scans <= 0 && wait_s < 0)))) {
		usage(argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	deadline = now() + timeout;

	if (gets > 0) {
		times = calloc((size_t)gets, sizeof(*times));
		if (!times)
			return 2;
		for (long i = 0; i < gets; i++) {
			body = get_metrics(&buf, &cap, &took);
			if (!body) {
				failed++;
				continue;
			}
			bytes = strlen(body);
			times[n++] = took;
		}
		summary(times, n, failed, bytes);
		return failed ? 1 : 0;
	}

	if (wait_s >= 0) {
		double c0, s0, c1, s1, t0, t1, sc = NAN, last_cpu = NAN;
		double busy_cpu = 0, idle_cpu = 0, idle_wall = 0;
		long busy_steps = 0;

		for (;;) {
			body = get_metrics(&buf, &cap, &took);
			if (body && sample(body, "residue_scans_total") >= 1)
				break;
			if (!agent_alive() || now() > deadline) {
				fprintf(stderr, "scrape: no first scan\n");
				return 1;
			}
			nap(0.05);
		}
		double audit_wait = 0,
		       first_wall = sample(body, "residue_scan_duration_seconds{phase=\"total\"}");
		double first_cpu = sample(body, "residue_scan_cpu_seconds");
		if (wait_audit) {
			double a0 = now();
			while (!(sample(body, "residue_inode_audited") >= 1) && now() < a0 + 60) {
				if (!agent_alive()) {
					fprintf(stderr,
						"scrape: the agent died before its first audit\n");
					return 1;
				}
				nap(0.05);
				body = get_metrics(&buf, &cap, &took);
				if (!body)
					return 1;
			}
			audit_wait = now() - a0;
		}
		sc = sample(body, "residue_scans_total");
		t0 = now();
		if (cpu_of(&c0, &s0) < 0)
			return 1;
		printf("start t=%.6f proc_cpu_s=%.6f stat_cpu_s=%.2f scans=%.0f first_wall_s=%g "
		       "first_cpu_s=%g audit_wait_s=%g\n",
		       t0, c0, s0, sc, first_wall, first_cpu, audit_wait);
		/* /proc only: reading it does not wake the agent. */
		c1 = c0;
		s1 = s0;
		t1 = t0;
		while (t1 < t0 + wait_s) {
			double c, st, t;

			nap(MIN(0.1, t0 + wait_s - t1));
			t = now();
			if (cpu_of(&c, &st) < 0)
				return 1;
			if (c - c1 > 0.001) {
				busy_cpu += c - c1;
				busy_steps++;
			} else {
				idle_cpu += c - c1;
				idle_wall += t - t1;
			}
			c1 = c;
			s1 = st;
			t1 = t;
		}
		body = get_metrics(&buf, &cap, &took);
		if (body) {
			sc = sample(body, "residue_scans_total");
			last_cpu = sample(body, "residue_scan_cpu_seconds");
		}
		printf("end t=%.6f proc_cpu_s=%.6f stat_cpu_s=%.2f scans=%.0f last_cpu_s=%g "
		       "busy_steps=%ld busy_cpu_s=%.6f idle_cpu_s=%.6f idle_wall_s=%.3f\n",
		       t1, c1, s1, sc, last_cpu, busy_steps, busy_cpu, idle_cpu, idle_wall);
		return body ? 0 : 1;
	}

	/* Follow: one line per scan seen. */
	double last = -1, t_start = now();
	for (;;) {
		double sched, stat;
		long rss, hwm;

		body = get_metrics(&buf, &cap, &took);
		if (!body) {
			failed++;
			if (!agent_alive()) {
				fprintf(stderr, "scrape: the agent is gone\n");
				break;
			}
		} else {
			double sc = sample(body, "residue_scans_total");

			bytes = strlen(body);
			if (n == tcap) {
				size_t ncap = tcap ? tcap * 2 : 4096;
				double *p = realloc(times, ncap * sizeof(*times));

				if (!p)
					return 2;
				times = p;
				tcap = ncap;
			}
			times[n++] = took;
			if (sc >= 1 && sc != last) {
				last = sc;
				double wall = sample(
					body, "residue_scan_duration_seconds{phase=\"total\"}");
				double cpu = sample(body, "residue_scan_cpu_seconds");

				mem_of(&rss, &hwm);
				if (cpu_of(&sched, &stat) < 0)
					break;
				printf("scan=%.0f t=%.3f wall_s=%g cpu_s=%g proc_cpu_s=%.6f "
				       "stat_cpu_s=%.2f rss_kib=%ld hwm_kib=%ld namespaces=%.0f",
				       sc, now() - t_start, wall, cpu, sched, stat, rss, hwm,
				       sample(body, "residue_mount_namespaces"));
				print_phases(body);
				/* The last dentry and inode audit, which runs between scans. */
				double audit = sample(body, "residue_inode_audit_duration_seconds");
				if (!isnan(audit))
					printf(" inode_audit_s=%g", audit);
				/* Last: the HEAD request reuses the buffer the body is in. */
				printf(" metrics_bytes=%zu report_bytes=%ld", bytes,
				       report_bytes(&buf, &cap));
				putchar('\n');
				if (sc >= (double)scans)
					break;
			}
		}
		if (now() > deadline) {
			fprintf(stderr, "scrape: timed out at scan %.0f of %ld\n", last, scans);
			break;
		}
		nap(interval);
	}
	summary(times, n, failed, bytes);
	return last >= (double)scans ? 0 : 1;
}
