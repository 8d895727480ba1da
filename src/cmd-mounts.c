// SPDX-License-Identifier: LGPL-2.1-or-later
/* `residue mounts`: the mount-namespace census, findmnt style. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "render/render.h"
#include "residue.h"

static void usage(FILE *f)
{
	fputs("Usage: residue mounts [options]\n"
	      "\n"
	      "One row per mount namespace, also those with no process: its container, its\n"
	      "mounts, tmpfs superblocks and masked paths, and how its runtime masks them;\n"
	      "then the host's totals and what to act on.\n"
	      "\n"
	      " -o, --output LIST   columns to print (+LIST appends to the default)\n"
	      "     --list-columns  list the columns\n"
	      " -J, --json          JSON output\n"
	      " -r, --raw           raw output\n"
	      " -n, --noheadings    no headings, no footers\n"
	      " -b, --bytes         sizes in bytes\n"
	      "     --check         exit 1 when there are findings\n"
	      "     --fallback      use /proc/PID/mountinfo, not listmount/nsfs ioctls\n"
	      " -h, --help          this text\n",
	      f);
}

int cmd_mounts(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		TABLE_CLI_LONG,
		{ "fallback", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	TableCli t = { .json = g->json, .check = g->check };
	ScanOptions so = { .want_census = true };
	int c;

	while ((c = getopt_long(argc, argv, TABLE_CLI_SHORT "h", opts, NULL)) != -1) {
		if (table_cli_option(&t, c, optarg))
			continue;
		switch (c) {
		case 'F':
			so.force_fallback = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	int cols = table_cli_columns(&t, &census_column_set);
	if (cols <= 0)
		return -cols;

	Snapshot *s = NULL;
	CensusReport *cr = NULL;
	int r = scan_host(&so, &s);
	if (r < 0) {
		fprintf(stderr, "residue: scan failed: %s\n", strerror(-r));
		return EXIT_ERROR;
	}
	warn_unprivileged(s);
	warn_bpf_refused(s, NULL);
	report_interfaces(g, s);
	r = analyze_census(s, s->mount_max, &cr);
	if (r < 0) {
		fprintf(stderr, "residue: census failed: %s\n", strerror(-r));
		snapshot_free(s);
		return EXIT_ERROR;
	}
	if (t.json) {
		json_object *o = render_census_json(cr);
		json_object_object_add(o, "gaps", render_gaps_json(s));
		r = render_json_print(o, stdout) < 0 ? EXIT_ERROR : 0;
		json_object_put(o);
	} else {
		r = render_census_table(cr, &t.to, stdout) < 0 ? EXIT_ERROR : 0;
		if (!t.to.raw && !t.to.noheadings && s->n_gaps) {
			fputc('\n', stdout);
			render_gaps_text(s, stdout);
		}
	}
	if (r == 0 && t.check && cr->n_findings)
		r = EXIT_FINDINGS;
	census_report_free(cr);
	snapshot_free(s);
	return r;
}
