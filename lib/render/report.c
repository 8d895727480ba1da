// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The whole report in the forms `residue` prints: the one screen (orphans,
 * process-less namespaces, the census line, the zombie line), the JSON
 * document of `residue --json` and `GET /report`, and the one line of
 * `--check` that node-problem-detector shows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analyze/report.h"
#include "base/macro.h"
#include "base/strescape.h"
#include "render.h"

json_object *render_report_json(const HostReport *r)
{
	return render_report_json_with(r, NULL, NULL);
}

json_object *render_report_json_with(const HostReport *r, json_object *census, json_object *zombies)
{
	json_object *o = render_orphans_json(r->snap, r->orphans);
	/* The same dead superblocks, each with the kernel log's record of its teardown. */
	json_object *dead = json_object_new_array();
	for (size_t i = 0; i < r->orphans->n_dead; i++)
		json_object_array_add(
			dead, render_dead_sb_json(
				      r->snap, &r->orphans->dead[i],
				      dead_sb_log_finding(r->kernel_log, &r->orphans->dead[i])));
	json_object_object_add(o, "dead_superblocks", dead);
	json_object_object_add(o, "census", census ? census : render_census_json(r->census));
	if (!zombies && r->zombies)
		zombies = render_zombies_json(r->zombies, REPORT_ZOMBIE_FILES);
	json_object_object_add(o, "zombies", zombies);
	json_object_object_add(o, "kernel_log", render_kernel_log_json(r->kernel_log));
	json_object_object_add(o, "inodes", render_report_inodes_json(r));
	return o;
}

#define INODES_HOW "residue inodes, or residue --inodes"

/*
 * The "inodes" object: the audit of residue inodes -J when the report has
 * one, with why there is none and how to get one otherwise (docs/JSON.md).
 */
json_object *render_report_inodes_json(const HostReport *r)
{
	json_object *o;

	if (r->inodes) {
		o = render_inodes_json(r->inodes, false);
		json_object_object_add(
			o, "reason",
			r->inodes->ran ? NULL : json_object_new_string("could not run: see error"));
		json_object_object_add(o, "age_s", json_object_new_double(r->inodes_age_s));
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "audited", json_object_new_boolean(false));
		json_object_object_add(o, "error", NULL);
		json_object_object_add(
			o, "reason",
			json_object_new_string(r->inodes_note ? r->inodes_note : "not run"));
		json_object_object_add(o, "age_s", NULL);
		json_object_object_add(o, "counts", NULL);
		json_object_object_add(o, "findings", NULL);
	}
	json_object_object_add(o, "how", json_object_new_string(INODES_HOW));
	return o;
}

/* Two lines at most, and one per finding (at most a few): details are residue inodes'. */
#define REPORT_INODE_FINDINGS 5

static void inodes_text(const HostReport *r, FILE *f)
{
	const InodeAudit *a = r->inodes;

	if (!a) {
		fprintf(f, "Inode audit: %s; run " INODES_HOW "\n",
			r->inodes_note ? r->inodes_note : "not run");
		return;
	}
	if (!a->ran) {
		fprintf(f, "Inode audit: could not run: %s (needs BPF iterators and kernel BTF)\n",
			strerror(a->error ? -a->error : EAGAIN));
		return;
	}
	fprintf(f, "Inode audit: %zu finding%s in %zu superblocks, %llu inodes%s", a->n_findings,
		a->n_findings == 1 ? "" : "s", a->n_sbs, (unsigned long long)a->inodes,
		a->complete ? "" : " (incomplete: residue inodes says where)");
	if (r->inodes_age_s > 0)
		fprintf(f, ", %.0f s ago", r->inodes_age_s);
	fputc('\n', f);
	for (size_t i = 0; i < a->n_findings && i < REPORT_INODE_FINDINGS; i++) {
		const InoFinding *fi = &a->findings[i];
		char dev[32];
		format_kdev(fi->dev, dev, sizeof(dev));
		_cleanup_free_ char *name = str_escape_text(fi->name);
		fprintf(f, "  %s %s %s inode %llu \"%s\" count %d, %lld unexplained: %s\n",
			ino_finding_kind_name(fi->kind), dev, ino_fstype(fi->magic) ?: "?",
			(unsigned long long)fi->ino, name ? name : "?", fi->count,
			(long long)fi->unexplained, inode_finding_action(fi));
	}
	if (a->n_findings)
		fputs("  Details: residue inodes\n", f);
}

static void zombie_line(const HostReport *r, FILE *f)
{
	const ZombieScan *z = r->zombies;
	ReportTotals t;
	char a[32], b[32];

	if (!z) {
		fprintf(f, "Zombie memory cgroups: unknown (%s)\n", strerror(-r->zombies_error));
		return;
	}
	if (!z->version) {
		fputs("Zombie memory cgroups: no memory cgroup controller is mounted here\n", f);
		return;
	}
	report_totals(r, &t);
	if (t.zombies == ZS_UNKNOWN) {
		fputs("Zombie memory cgroups: unknown (no source could count them)\n", f);
		return;
	}
	fprintf(f, "Zombie memory cgroups: %llu", (unsigned long long)t.zombies);
	if (t.zombies) {
		if (t.zombie_bytes != ZS_UNKNOWN) {
			format_bytes(t.zombie_bytes, false, a, sizeof(a));
			fprintf(f, ", %s charged", a);
		}
		format_bytes(t.zombies * z->kmem_per_zombie, false, b, sizeof(b));
		fprintf(f, ", %s %s of kernel memory",
			z->shrinker_nr_max >= 0 ? "about" : "at least", b);
	}
	if (t.zombies_over)
		fprintf(f, " (at or above %llu: a finding)",
			(unsigned long long)r->zombie_threshold);
	fputc('\n', f);
	if (t.zombies)
		fputs("  Details: residue zombies; what pins them: residue zombies --parents\n", f);
}

void render_report_text(const HostReport *r, FILE *f)
{
	render_summary(r->snap, r->orphans, r->wall_ms, f);
	fputc('\n', f);
	render_census_text(r->census, false, f);
	if (r->zombies || r->zombies_error) {
		fputc('\n', f);
		zombie_line(r, f);
	}
	if (r->kernel_log) {
		fputc('\n', f);
		render_kernel_log_text(r->kernel_log, f);
	}
	fputc('\n', f);
	inodes_text(r, f);
}

/* Append to @buf (of @size) unless it would pass @size - 1; returns whether it fitted. */
static bool append(char *buf, size_t size, const char *text)
{
	size_t n = strlen(buf), m = strlen(text);
	if (n + m + 1 > size)
		return false;
	memcpy(buf + n, text, m + 1);
	return true;
}

void report_check_line(const HostReport *r, char *buf, size_t size)
{
	ReportTotals t;
	char part[32], bytes[32];
	size_t shown = 0, parts = 0;

	if (size == 0)
		return;
	report_totals(r, &t);
	snprintf(buf, size, "residue: ");
	if (t.findings == 0) {
		append(buf, size,
		       r->snap->privileged ? "no leak found" :
					     "no leak found in what could be read");
		return;
	}
	/* Most costly first; what does not fit is counted in "+N more". */
	char texts[6][96];
	/* A dead superblock first of all: the next sync(2) on this host hangs. */
	if (t.dead_sbs) {
		snprintf(texts[parts], sizeof(texts[0]), "%zu dead superblock%s (sync hangs)",
			 t.dead_sbs, t.dead_sbs == 1 ? "" : "s");
		parts++;
	}
	/* The kernel's leak reports first: a kernel bug, and after a BUG the next sync(2) hangs. */
	if (t.kernel_log) {
		size_t bugs = 0;
		for (size_t i = 0; i < r->kernel_log->n; i++)
			bugs += r->kernel_log->items[i].kind == KLOG_SUPER_BUG;
		if (bugs)
			snprintf(texts[parts], sizeof(texts[0]), "%zu kernel leak report%s (BUG)",
				 t.kernel_log, t.kernel_log == 1 ? "" : "s");
		else
			snprintf(texts[parts], sizeof(texts[0]), "%zu kernel leak report%s",
				 t.kernel_log, t.kernel_log == 1 ? "" : "s");
		parts++;
	}
	if (t.orphans) {
		format_bytes(t.orphan_bytes, false, bytes, sizeof(bytes));
		snprintf(texts[parts], sizeof(texts[0]), "%zu orphaned filesystem%s (%s%s)",
			 t.orphans, t.orphans == 1 ? "" : "s", bytes,
			 t.orphans_data_loss ? ", data-loss risk" : "");
		parts++;
	}
	if (t.zombies_over) {
		snprintf(texts[parts], sizeof(texts[0]), "%llu zombie memcgs",
			 (unsigned long long)t.zombies);
		parts++;
	}
	/* Leaked references: the unmount will report them (a BUG on hardened kernels). */
	if (t.inodes) {
		snprintf(texts[parts], sizeof(texts[0]), "%zu leaked inode/dentry ref%s", t.inodes,
			 t.inodes == 1 ? "" : "s");
		parts++;
	}
	if (t.lonely_nss) {
		snprintf(texts[parts], sizeof(texts[0]), "%zu process-less mount ns", t.lonely_nss);
		parts++;
	}
	if (t.census_findings) {
		snprintf(texts[parts], sizeof(texts[0]), "%zu mount-table finding%s",
			 t.census_findings, t.census_findings == 1 ? "" : "s");
		parts++;
	}
	for (size_t i = 0; i < parts; i++) {
		/* Keep room for ", +N more" while something could still be left out. */
		size_t room = i + 1 < parts && size > 12 ? size - 12 : size;
		if (strlen(buf) + (shown ? 2 : 0) + strlen(texts[i]) + 1 > room)
			break;
		append(buf, size, shown ? ", " : "");
		append(buf, size, texts[i]);
		shown++;
	}
	if (shown < parts) {
		snprintf(part, sizeof(part), "%s+%zu more", shown ? ", " : "", parts - shown);
		append(buf, size, part);
	}
}

static int refusal_errno(const Gap *gaps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (gap_is_bpf_refusal(&gaps[i]))
			return gaps[i].err;
	return 0;
}

bool render_bpf_refusal(const Snapshot *s, const ZombieScan *z, int watch_err, int inodes_err,
			char *buf, size_t size)
{
	const struct {
		int err;
		const char *cost;
	} parts[] = {
		{ s ? refusal_errno(s->gaps, s->n_gaps) : 0,
		  "references are read through /proc, slower but the same findings" },
		{ z ? refusal_errno(z->gaps, z->n_gaps) : 0,
		  "zombie memory cgroups are counted from cgroupfs, not named, no files that pin them" },
		{ watch_err, "zombies appear and go unseen until the next rescan" },
		{ inodes_err, "inode audits off" },
	};
	int one = 0;
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		if (!parts[i].err)
			continue;
		one = !one || one == parts[i].err ? parts[i].err : -1;
	}
	if (!one)
		return false;
	/* One errno for all (the usual case) goes up front, else each part says its own. */
	/* EPROTO is residue's own check: its programs read our namespace wrong (refs-decode.h). */
	if (one == EPROTO)
		len = (size_t)snprintf(
			buf, size,
			"residue's BPF programs misread this kernel's structures (EPROTO):");
	else if (one > 0)
		len = (size_t)snprintf(buf, size, "the kernel refused BPF (%s: %s):",
				       strerrorname_np(one) ?: "?", strerror(one));
	else
		len = (size_t)snprintf(buf, size, "the kernel refused BPF:");
	const char *sep = " ";
	for (size_t i = 0; i < ARRAY_SIZE(parts) && len < size; i++) {
		if (!parts[i].err)
			continue;
		if (one > 0)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", sep, parts[i].cost);
		else
			len += (size_t)snprintf(buf + len, size - len, "%s%s (%s)", sep,
						parts[i].cost,
						strerrorname_np(parts[i].err) ?: "?");
		sep = "; ";
	}
	return true;
}
