// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The whole report: freeing it, its phases, the totals every output shares
 * (so the one-screen summary, --check, the metrics and the agent's log can
 * never disagree on what counts as a finding) and the kinds of gaps.
 */
#include "analyze/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/zombies.h"

HostReport *host_report_free(HostReport *r)
{
	if (!r)
		return NULL;
	census_report_free(r->census);
	orphan_report_free(r->orphans);
	snapshot_free(r->snap);
	zombie_scan_free(r->zombies);
	kernel_log_free(r->kernel_log);
	inode_audit_free(r->inodes);
	free(r);
	return NULL;
}

void host_report_add_phase(HostReport *r, const char *name, double ms)
{
	if (r->n_phases < REPORT_PHASES_MAX)
		r->phases[r->n_phases++] = (ReportPhase){ name, ms };
}

/* Bytes charged to the zombies: each one's own charge (kernel view), else memory.stat's. */
static uint64_t zombie_bytes(const ZombieScan *z)
{
	uint64_t pages = 0;

	if (!z->used_bpf)
		return z->stuck_bytes;
	for (size_t i = 0; i < z->n_nodes; i++)
		if (z->nodes[i].dying)
			pages += zombie_own_pages(z, i);
	return pages * 4096;
}

void report_totals(const HostReport *r, ReportTotals *ret)
{
	ReportTotals t = { .zombies = ZS_UNKNOWN, .zombie_bytes = ZS_UNKNOWN };

	if (r->orphans) {
		for (size_t i = 0; i < r->orphans->n_orphans; i++) {
			const Orphan *o = &r->orphans->orphans[i];
			t.orphans++;
			t.orphans_memory += o->risk == RISK_MEMORY;
			t.orphans_data_loss += o->risk == RISK_DATA_LOSS;
			if (o->pinned_known)
				t.orphan_bytes += o->pinned_bytes;
		}
		t.lonely_nss = r->orphans->n_nss;
		t.dead_sbs = r->orphans->n_dead;
		for (size_t i = 0; i < r->orphans->n_nss; i++)
			if (r->orphans->nss[i].ns->tmpfs_known)
				t.lonely_bytes += r->orphans->nss[i].ns->tmpfs_bytes;
	}
	if (r->zombies) {
		t.zombies = r->zombies->nr_zombies;
		t.zombie_bytes = zombie_bytes(r->zombies);
		t.zombies_over = t.zombies != ZS_UNKNOWN && r->zombie_threshold &&
				 t.zombies >= r->zombie_threshold;
	}
	if (r->census)
		t.census_findings = r->census->n_findings;
	if (r->kernel_log)
		t.kernel_log = r->kernel_log->n;
	if (r->inodes)
		t.inodes = r->inodes->n_findings;
	t.findings = t.dead_sbs + t.orphans + t.lonely_nss + t.census_findings + t.zombies_over +
		     t.kernel_log + t.inodes;
	*ret = t;
}

bool gap_is_bpf_refusal(const Gap *g)
{
	return g->call && strcmp(g->call, "bpf") == 0;
}

bool report_is_complete(const HostReport *r)
{
	size_t gaps = 0;

	/*
	 * A refused BPF tier costs speed, and orphans only the kernel holds (its
	 * own gap): the /proc tier reads everything else.  Neither is a failed
	 * read, or every host without BPF would answer --check with "unknown".
	 */
	for (size_t i = 0; i < r->snap->n_gaps; i++) {
		const Gap *g = &r->snap->gaps[i];
		gaps += !gap_is_bpf_refusal(g) &&
			!(g->what && !strcmp(g->what, GAP_WHAT_NO_SB_WALK));
	}
	/* An audit asked for and not made whole: its findings are unknown, not none. */
	if (r->inodes_wanted && !(r->inodes && r->inodes->ran && r->inodes->complete))
		return false;
	return r->snap->privileged && gaps == 0 && r->snap->n_procs > 0;
}

const char *gap_kind(const Gap *g)
{
	const char *w = g->what ? g->what : "";

	/* Not "privilege" for its EPERM: no capability brings back what the kernel refuses. */
	if (gap_is_bpf_refusal(g))
		return "other";
	if (strncmp(w, "privilege", 9) == 0)
		return "privilege";
	if (strncmp(w, "kernel log", 10) == 0)
		return g->err == EPERM || g->err == EACCES ? "privilege" : "other";
	if (strstr(w, "cgroup") || strstr(w, "memory.stat"))
		return "cgroup";
	if (strstr(w, "mount") || strstr(w, "namespace"))
		return "mount";
	if (strstr(w, "/proc") || strstr(w, "process"))
		return g->err == EPERM || g->err == EACCES ? "privilege" : "process";
	return "other";
}
