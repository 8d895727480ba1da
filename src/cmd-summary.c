// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue`: one screen of everything found; `residue --json`: the whole
 * report; `residue --prometheus [--output FILE]`: the same as metrics, for
 * node_exporter's textfile collector; `--check`: one line of at most 80
 * characters and an exit status (0 nothing found, 1 found, 2 unknown: the
 * scan was incomplete and found nothing), as node-problem-detector's custom
 * plugins and Nagios-style checks want them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "agent/scanner.h"
#include "base/fileio.h"
#include "render/render.h"
#include "residue.h"

static int print_prometheus(const GlobalOptions *g, const HostReport *rep)
{
	struct utsname u;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	PromOptions po = {
		.version = RESIDUE_VERSION,
		.kernel = uname(&u) == 0 ? u.release : "",
		.max_orphan_series = g->max_orphan_series != UINT64_MAX ?
					     (unsigned)g->max_orphan_series :
					     PROM_MAX_ORPHAN_SERIES,
		.top_parents =
			g->top_parents != UINT64_MAX ? (unsigned)g->top_parents : PROM_TOP_PARENTS,
		.scans_total = 1,
		.scan_failures_total = rep ? 0 : 1,
		.last_scan_failed = !rep,
	};
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return EXIT_ERROR;
	int r = render_prometheus(rep, &po, f);
	if (fclose(f) != 0 || r < 0) {
		fprintf(stderr, "residue: could not render metrics: %s\n",
			strerror(r < 0 ? -r : errno));
		return EXIT_ERROR;
	}
	if (!g->output) {
		fwrite(text, 1, len, stdout);
		return ferror(stdout) ? EXIT_ERROR : 0;
	}
	r = write_file_atomic(g->output, text, len, 0644);
	if (r < 0) {
		fprintf(stderr, "residue: could not write %s: %s\n", g->output, strerror(-r));
		return EXIT_ERROR;
	}
	return 0;
}

/*
 * --json: the census's and the zombies' parts of the document (nine tenths of
 * its text at 1 000 containers and 100 zombies), each rendered on the thread
 * that made it while the rest of the scan goes on.
 */
typedef struct EarlyJson {
	char *census, *zombies;
} EarlyJson;

/* @o's text, for render_json_preformatted(); @o is freed. */
static char *text_of(json_object *o)
{
	char *text = o ? render_json_text(o) : NULL;

	json_object_put(o);
	return text;
}

static void render_census_early(const CensusReport *c, void *userdata)
{
	((EarlyJson *)userdata)->census = text_of(render_census_json(c));
}

static void render_zombies_early(const ZombieScan *z, void *userdata)
{
	((EarlyJson *)userdata)->zombies =
		z ? text_of(render_zombies_json(z, REPORT_ZOMBIE_FILES)) : NULL;
}

int cmd_summary(const GlobalOptions *g, int argc, char **argv)
{
	bool early = g->json && !g->prometheus;
	EarlyJson e = { 0 };
	ScannerOptions so = {
		.zombies = true,
		/* The screen needs only their count: cgroupfs gives it without loading BPF. */
		.zombies_no_bpf = !g->json && !g->prometheus,
		.zombie_files = g->json ? ZOMBIE_FILES_ALWAYS : ZOMBIE_FILES_NEVER,
		.max_files = 10,
		.zombie_threshold = g->zombie_threshold,
		.kernel_log = true, /* the whole ring, once */
		/* Not by default: two walks of every cached inode (docs/INODES.md). */
		.inodes = g->inodes,
		.census_done = early ? render_census_early : NULL,
		.zombies_done = early ? render_zombies_early : NULL,
		.userdata = &e,
	};
	Scanner *sc = NULL;
	HostReport *rep = NULL;
	ReportTotals t;
	int r;
	(void)argc;
	(void)argv;

	if (scanner_new(&so, &sc) < 0)
		return EXIT_ERROR;
	r = scanner_scan(sc, &rep);
	scanner_free(sc);
	if (r < 0) {
		fprintf(stderr, "residue: scan failed: %s\n", strerror(-r));
		if (g->check)
			puts("residue: scan failed");
		/* A textfile that says so, so that the failure is seen, not just a stale file. */
		if (g->prometheus)
			print_prometheus(g, NULL);
		free(e.census);
		free(e.zombies);
		return EXIT_ERROR;
	}
	warn_unprivileged(rep->snap);
	warn_bpf_refused(rep->snap, rep->zombies);
	report_interfaces(g, rep->snap);
	if (g->verbose && rep->kernel_log) {
		const KernelLog *l = rep->kernel_log;
		double ms = 0;
		for (size_t i = 0; i < rep->n_phases; i++)
			if (strcmp(rep->phases[i].name, "kernel log") == 0)
				ms = rep->phases[i].ms;
		if (l->readable)
			fprintf(stderr,
				"residue: kernel log: /dev/kmsg from record %llu, %llu records (%llu "
				"the kernel's) in %.1f ms\n",
				(unsigned long long)l->first_seq, (unsigned long long)l->records,
				(unsigned long long)l->kernel_records, ms);
		else
			fprintf(stderr, "residue: kernel log: /dev/kmsg not read: %s\n",
				strerror(l->error));
	}
	if (g->prometheus) {
		r = print_prometheus(g, rep);
	} else if (g->json) {
		/* Rendered already, unless there was no memory for it: then now. */
		json_object *c = e.census ? render_json_preformatted(TAKE_PTR(e.census)) : NULL;
		json_object *z = e.zombies ? render_json_preformatted(TAKE_PTR(e.zombies)) : NULL;
		json_object *o = render_report_json_with(rep, c, z);
		r = render_json_print(o, stdout) < 0 ? EXIT_ERROR : 0;
		json_object_put(o);
	} else if (g->check) {
		/* One line and nothing else: node-problem-detector shows stdout's first 80 bytes. */
		char line[81];
		report_check_line(rep, line, sizeof(line));
		puts(line);
		r = 0;
	} else {
		render_report_text(rep, stdout);
		r = 0;
	}
	report_totals(rep, &t);
	if (r == 0 && g->check)
		r = t.findings ? EXIT_FINDINGS : report_is_complete(rep) ? 0 : EXIT_ERROR;
	host_report_free(rep);
	free(e.census); /* left when the scan failed */
	free(e.zombies);
	return r;
}
