// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue serve`: the agent (lib/agent/agent.c) with HTTP (lib/agent/http.c)
 * and a log.  After each scan the metrics and the report are rendered once
 * and published; requests only read what was published.  The log is one
 * line per state change on stderr, each with a syslog priority prefix
 * ("<4>") that journald turns into the entry's priority (sd-daemon(3)): a
 * finding that appears or goes away, scans starting to fail and working
 * again, a source of events or the BPF tier becoming unavailable.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "agent/agent.h"
#include "agent/http.h"
#include "base/macro.h"
#include "base/strescape.h"
#include "render/render.h"
#include "residue.h"

#define DEFAULT_LISTEN "127.0.0.1:10070"
#define FSTYPES_MAX 64 /* kinds of filesystem an orphan can be: far fewer than this */

typedef struct Serve {
	HttpServer *http;
	PromOptions po;
	struct utsname uts;
	char *report_part; /* the metrics of the last good report */
	size_t report_len;
	const char *tier;
	char *fstypes[FSTYPES_MAX]; /* orphans' filesystem types seen so far */
	size_t n_fstypes;
	double interval_s;
	bool failing;
	bool first;
} Serve;

_printf_(2, 3) static void logline(int priority, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* One line each, whatever a path or a command name holds. */
	_cleanup_free_ char *safe = str_escape_text(text);
	fprintf(stderr, "<%d>residue: %s\n", priority, safe ? safe : text);
}

static void remember_fstypes(Serve *sv, const HostReport *r)
{
	for (size_t i = 0; i < r->orphans->n_orphans && sv->n_fstypes < FSTYPES_MAX; i++) {
		const SbProbe *sb = r->orphans->orphans[i].sb;
		const char *t = sb && sb->fstype[0] ? sb->fstype : "unknown";
		bool known = false;
		for (size_t k = 0; k < sv->n_fstypes && !known; k++)
			known = strcmp(sv->fstypes[k], t) == 0;
		if (!known && (sv->fstypes[sv->n_fstypes] = strdup(t)))
			sv->n_fstypes++;
	}
	sv->po.seen_fstypes = (const char *const *)sv->fstypes;
	sv->po.n_seen_fstypes = sv->n_fstypes;
}

/* Metrics = the counters now + the last good report's part. */
static void publish_metrics(Serve *sv)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	render_prometheus_head(&sv->po, sv->tier, f);
	if (sv->report_part)
		fwrite(sv->report_part, 1, sv->report_len, f);
	if (fclose(f) == 0)
		http_server_set_metrics(sv->http, text, len);
	else
		free(text);
}

static void publish_report(Serve *sv, const HostReport *r)
{
	char *part = NULL, *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&part, &len);

	if (!f)
		return;
	remember_fstypes(sv, r);
	int e = render_prometheus_report(r, &sv->po, f);
	if (fclose(f) == 0 && e == 0) {
		free(sv->report_part);
		sv->report_part = part;
		sv->report_len = len;
	} else {
		free(part);
	}
	sv->tier = report_tier(r);
	json_object *o = render_report_json(r);
	size_t n = 0;
	const char *s = o ? json_object_to_json_string_length(
				    o,
				    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE,
				    &n) :
			    NULL;
	/* One exact copy: asprintf() of a 1 MiB report grew a buffer by doubling, at the peak. */
	if (s && (json = malloc(n + 2))) {
		memcpy(json, s, n);
		json[n] = '\n';
		json[n + 1] = '\0';
		http_server_set_report(sv->http, json, n + 1);
	}
	json_object_put(o);
}

static void on_scanned(void *userdata, const HostReport *r, int error, const AgentStats *st)
{
	Serve *sv = userdata;

	sv->po.scans_total = st->scans;
	sv->po.scan_failures_total = st->failures;
	sv->po.last_scan_failed = !r;
	if (!r) {
		if (!sv->failing)
			logline(3, "scan failed: %s; serving the last good report",
				strerror(-error));
		sv->failing = true;
		http_server_set_health(sv->http, false, strerror(-error), st->last_ok,
				       3 * sv->interval_s + 60);
		publish_metrics(sv);
		return;
	}
	if (sv->failing)
		logline(5, "scans work again");
	sv->failing = false;
	publish_report(sv, r);
	publish_metrics(sv);
	http_server_set_health(sv->http, true, NULL, st->last_ok, 3 * sv->interval_s + 60);
	if (sv->first) {
		ReportTotals t;
		if (!r->snap->privileged) {
			/* warn_unprivileged() writes the one line that follows */
			fputs("<4>", stderr);
			warn_unprivileged(r->snap);
		}
		report_totals(r, &t);
		logline(6,
			"first scan in %.0f ms (%s tier): %zu orphaned filesystems, %zu process-less "
			"mount namespaces, %llu zombie memory cgroups, %zu findings",
			r->wall_ms, report_tier(r), t.orphans, t.lonely_nss,
			(unsigned long long)(t.zombies == ZS_UNKNOWN ? 0 : t.zombies), t.findings);
		sv->first = false;
	}
}

static void on_finding(void *userdata, const Finding *f, bool appeared, double t)
{
	(void)userdata;
	(void)t;
	logline(appeared ? f->severity : 5, "%s %s: %s", f->kind, appeared ? "appeared" : "gone",
		f->text);
}

static void on_note(void *userdata, int priority, const char *text)
{
	(void)userdata;
	logline(priority, "%s", text);
}

static void usage(FILE *f)
{
	fputs("Usage: residue serve [options]\n"
	      "\n"
	      "Scan the host in a loop and serve the results over HTTP: /metrics (Prometheus),\n"
	      "/report (the JSON of residue --json), /healthz.  Rescans every --interval, and\n"
	      "sooner when a cgroup is removed or freed or mounts change.  Read-only.\n"
	      "\n"
	      "     --listen ADDR:PORT     where to listen (default " DEFAULT_LISTEN ")\n"
	      "     --interval SEC         rescan at least this often (default 60)\n"
	      "     --debounce SEC         after a change, wait this long for quiet (default 1)\n"
	      "     --files-interval SEC   walk the page cache for zombies' files at least this\n"
	      "                            often (default 600; sooner when new zombies appear)\n"
	      "     --max-orphan-series N  residue_orphan_info series at most (default 20)\n"
	      "     --top-parents N        zombie parents named in metrics (default 10)\n"
	      "     --zombie-threshold N   zombie memcgs that make a finding (default 1000)\n"
	      "     --inodes-interval SEC  audit dentries and inodes (residue inodes) this often,\n"
	      "                            one walk each, between scans (default 3600; 0: never)\n"
	      "     --no-bpf               /proc and cgroupfs only\n"
	      " -h, --help                 this text\n"
	      "\n"
	      "Logs one line per change on stderr, with a syslog priority prefix for journald.\n"
	      "SIGTERM and SIGINT stop it, SIGHUP rescans now.  See residue(8), docs/METRICS.md.\n",
	      f);
}

enum {
	OPT_LISTEN = 0x100,
	OPT_FILES_INTERVAL,
	OPT_MAX_ORPHAN_SERIES,
	OPT_TOP_PARENTS,
};

int cmd_serve(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "files-interval", required_argument, NULL, OPT_FILES_INTERVAL },
		{ "max-orphan-series", required_argument, NULL, OPT_MAX_ORPHAN_SERIES },
		{ "top-parents", required_argument, NULL, OPT_TOP_PARENTS },
		AGENT_CLI_LONG,
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *listen = DEFAULT_LISTEN;
	AgentOptions ao = {
		.scan = { .long_running = true,
			  .zombies = true,
			  .zombie_files = ZOMBIE_FILES_WHEN_NEW,
			  .files_max_age_s = 600,
			  .max_files = 10,
			  .zombie_threshold = g->zombie_threshold,
			  .kernel_log = true,
			  .inodes_interval_s = AGENT_INODES_INTERVAL_S },
		.interval_s = AGENT_INTERVAL_S,
		.debounce_s = AGENT_DEBOUNCE_S,
		.zombie_events = true,
		.mount_events = true,
	};
	Serve sv = { .first = true };
	uint64_t n;
	int c, r;

	sv.po.max_orphan_series = PROM_MAX_ORPHAN_SERIES;
	sv.po.top_parents = PROM_TOP_PARENTS;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int taken = agent_cli_option(&ao, c, optarg);
		if (taken < 0)
			return EXIT_ERROR;
		if (taken)
			continue;
		switch (c) {
		case OPT_LISTEN:
			listen = optarg;
			break;
		case OPT_FILES_INTERVAL:
			if (cli_seconds("--files-interval", optarg, 0, &ao.scan.files_max_age_s) <
			    0)
				return EXIT_ERROR;
			break;
		case OPT_MAX_ORPHAN_SERIES:
			if (cli_count("--max-orphan-series", optarg, 0, &n) < 0)
				return EXIT_ERROR;
			sv.po.max_orphan_series = (unsigned)n;
			break;
		case OPT_TOP_PARENTS:
			if (cli_count("--top-parents", optarg, 0, &n) < 0)
				return EXIT_ERROR;
			sv.po.top_parents = (unsigned)n;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "residue serve: unexpected argument '%s'\n", argv[optind]);
		return EXIT_ERROR;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	sv.interval_s = ao.interval_s;
	sv.po.interval_s = ao.interval_s;
	if (uname(&sv.uts) < 0)
		sv.uts.release[0] = '\0';
	sv.po.version = RESIDUE_VERSION;
	sv.po.kernel = sv.uts.release;
	/* Before the HTTP thread exists, so that it inherits the blocked signals. */
	agent_block_signals();
	r = http_server_start(listen, &sv.http);
	if (r < 0) {
		fprintf(stderr, "residue: cannot listen on %s: %s\n", listen, strerror(-r));
		return EXIT_ERROR;
	}
	logline(6, "listening on %s (port %u): /metrics /report /healthz; rescanning every %g s",
		listen, http_server_port(sv.http), ao.interval_s);
	publish_metrics(&sv);
	AgentEvents ev = {
		.userdata = &sv,
		.scanned = on_scanned,
		.finding = on_finding,
		.note = on_note,
	};
	r = agent_run(&ao, &ev);
	if (r < 0)
		logline(3, "stopped: %s", strerror(-r));
	else
		logline(6, "stopped");
	http_server_stop(sv.http);
	free(sv.report_part);
	for (size_t i = 0; i < sv.n_fstypes; i++)
		free(sv.fstypes[i]);
	return r < 0 ? EXIT_ERROR : 0;
}
