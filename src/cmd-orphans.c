// SPDX-License-Identifier: LGPL-2.1-or-later
/* `residue orphans`: the orphaned-filesystem table, lsfd/findmnt style. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "render/render.h"
#include "residue.h"

static void usage(FILE *f)
{
	fputs("Usage: residue orphans [options]\n"
	      "\n"
	      "Filesystems that no mount namespace mounts but a process still holds, and mount\n"
	      "namespaces that no process is in.\n"
	      "\n"
	      " -o, --output LIST   columns to print (+LIST appends to the default)\n"
	      "     --list-columns  list the columns\n"
	      " -J, --json          JSON output\n"
	      " -r, --raw           raw output\n"
	      " -n, --noheadings    no headings, no footers\n"
	      " -b, --bytes         sizes in bytes\n"
	      "     --check         exit 1 when something is found\n"
	      "     --fallback      use /proc/PID/mountinfo, not listmount/nsfs ioctls\n"
	      "     --no-bpf        read references through /proc, not BPF iterators\n"
	      " -h, --help          this text\n",
	      f);
}

int cmd_orphans(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		TABLE_CLI_LONG,
		{ "fallback", no_argument, NULL, 'F' },
		{ "no-bpf", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	TableCli t = { .json = g->json, .check = g->check };
	ScanOptions so = { .want_orphans = true, .max_files = 10 };
	int c;

	while ((c = getopt_long(argc, argv, TABLE_CLI_SHORT "h", opts, NULL)) != -1) {
		if (table_cli_option(&t, c, optarg))
			continue;
		switch (c) {
		case 'F':
			so.force_fallback = true;
			break;
		case 'P':
			so.no_bpf = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	int cols = table_cli_columns(&t, &orphan_column_set);
	if (cols <= 0)
		return -cols;

	Snapshot *s;
	OrphanReport *rep;
	int r = run_scan(&so, &s, &rep, NULL);
	if (r)
		return r;
	warn_unprivileged(s);
	warn_bpf_refused(s, NULL);
	report_interfaces(g, s);
	if (t.json) {
		json_object *o = render_orphans_json(s, rep);
		r = render_json_print(o, stdout) < 0 ? EXIT_ERROR : 0;
		json_object_put(o);
	} else {
		r = render_orphans_table(s, rep, &t.to, stdout) < 0 ? EXIT_ERROR : 0;
		/* Not a row of the table, and never silent: a raw table keeps it on stderr. */
		render_dead_sbs_text(s, rep, NULL, t.to.raw || t.to.noheadings ? stderr : stdout);
		if (!t.to.raw && !t.to.noheadings && s->n_gaps) {
			fputc('\n', stdout);
			render_gaps_text(s, stdout);
		}
	}
	if (r == 0 && t.check && (rep->n_orphans || rep->n_nss || rep->n_dead))
		r = EXIT_FINDINGS;
	orphan_report_free(rep);
	snapshot_free(s);
	return r;
}
