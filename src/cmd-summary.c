// SPDX-License-Identifier: LGPL-2.1-or-later
/* `residue`: one screen of everything found; `residue --json`: the whole report. */
#include <stdio.h>

#include "render/render.h"
#include "residue.h"

int cmd_summary(const GlobalOptions *g, int argc, char **argv)
{
	ScanOptions so = { .want_orphans = true, .max_files = 10 };
	Snapshot *s;
	OrphanReport *rep;
	double ms;
	(void)argc;
	(void)argv;

	int r = run_scan(&so, &s, &rep, &ms);
	if (r)
		return r;
	warn_unprivileged(s);
	report_interfaces(g, s);
	if (g->json) {
		json_object *o = render_orphans_json(s, rep);
		r = render_json_print(o, stdout) < 0 ? EXIT_ERROR : 0;
		json_object_put(o);
	} else {
		render_summary(s, rep, ms, stdout);
	}
	if (r == 0 && g->check && (rep->n_orphans || rep->n_nss))
		r = EXIT_FINDINGS;
	orphan_report_free(rep);
	snapshot_free(s);
	return r;
}
