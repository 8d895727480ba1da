// SPDX-License-Identifier: LGPL-2.1-or-later
/* `residue`: one screen of everything found; `residue --json`: the whole report. */
#include <stdio.h>
#include <string.h>

#include "render/render.h"
#include "residue.h"

int cmd_summary(const GlobalOptions *g, int argc, char **argv)
{
	ScanOptions so = { .want_orphans = true, .want_census = true, .max_files = 10 };
	Snapshot *s;
	OrphanReport *rep;
	CensusReport *cr = NULL;
	double ms;
	(void)argc;
	(void)argv;

	int r = run_scan(&so, &s, &rep, &ms);
	if (r)
		return r;
	warn_unprivileged(s);
	report_interfaces(g, s);
	r = analyze_census(s, s->mount_max, &cr);
	if (r < 0) {
		fprintf(stderr, "residue: census failed: %s\n", strerror(-r));
		r = EXIT_ERROR;
		goto out;
	}
	if (g->json) {
		json_object *o = render_orphans_json(s, rep);
		json_object_object_add(o, "census", render_census_json(cr));
		r = render_json_print(o, stdout) < 0 ? EXIT_ERROR : 0;
		json_object_put(o);
	} else {
		render_summary(s, rep, ms, stdout);
		fputc('\n', stdout);
		render_census_text(cr, false, stdout);
	}
	if (r == 0 && g->check && (rep->n_orphans || rep->n_nss || cr->n_findings))
		r = EXIT_FINDINGS;
out:
	census_report_free(cr);
	orphan_report_free(rep);
	snapshot_free(s);
	return r;
}
