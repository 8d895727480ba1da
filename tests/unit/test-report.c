// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The whole report and what the agent builds on it, on hand-built data:
 * the Prometheus exposition of the "host" fixture with zombies (golden
 * tests/golden/report.prom, which tests/unit/promtool-check.sh also gives
 * to promtool), its fixed label sets and label escaping; --check's line and
 * its 80 columns; the findings, their keys and the differences between two
 * scans; and the zombie-lifetime state machine fed with kernel records.
 * RESIDUE_UPDATE_GOLDEN=1 rewrites the golden file instead of comparing.
 */
#include "tap.h"

#include <sys/sysmacros.h>

#include "agent/findings.h"
#include "agent/zombie-life.h"
#include "analyze/report.h"
#include "analyze/zombies.h"
#include "render/render.h"
#include "snapshot-fixtures.h"

static const char *golden_dir;

static char *render_to_string(int (*fn)(const HostReport *, const PromOptions *, FILE *),
			      const HostReport *r, const PromOptions *o, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		abort();
	CHECK_EQ_INT(fn(r, o, f), 0);
	fclose(f);
	return buf;
}

/* / -> /a (live, 2 zombies) and / -> /b (live, 1 zombie), a 2-CPU host. */
static ZombieScan *zombies(void)
{
	ZombieScan *z = zombie_scan_new();
	if (!z || !(z->mount = strdup("/sys/fs/cgroup/memory")) || !(z->subtree = strdup("/")))
		abort();
	z->version = 1;
	z->nr_cpus = 2;
	z->nr_nodes = 1;
	z->shrinker_nr_max = 64;
	z->used_bpf = true;
	z->count_source = ZC_BPF;
	fx_cg_node(z, 1, 0, "/", false, 5000);
	fx_cg_node(z, 10, 1, "/a", false, 600);
	fx_cg_node(z, 20, 1, "/b \"quoted\"\\", false, 300);
	fx_cg_node(z, 11, 10, "/a/z1", true, 300);
	fx_cg_node(z, 12, 10, "/a/z2", true, 100);
	fx_cg_node(z, 21, 20, "/b \"quoted\"\\/z", true, 50);
	z->nr_live = 3;
	z->nr_zombies = 3;
	z->stuck_bytes = 450 * 4096;
	if (zombie_scan_link(z) < 0 || analyze_zombies(z) < 0)
		abort();
	return z;
}

/* The hardened 6.1 kernel's report of the seed's leak: "Busy inodes", then the BUG. */
static KernelLog *kernel_log_fixture(void)
{
	KernelLog *l = kernel_log_new();
	KernelLogFinding *f;

	if (!l)
		abort();
	l->readable = true;
	l->records = l->kernel_records = 2734;
	l->lost = 3;
	for (int i = 0; i < 2; i++) {
		if (!(f = kernel_log_add(l)))
			abort();
		f->kind = i ? KLOG_SUPER_BUG : KLOG_BUSY_INODES;
		f->seq = 2713 + 2 * (uint64_t)i;
		f->ts_usec = f->last_ts_usec = 912345678 + 23 * (uint64_t)i;
		f->wall = 1796399000.5;
		f->records = 1;
		f->pid = 2716;
		strcpy(f->dev, "loop0");
		strcpy(f->fstype, "iso9660");
		strcpy(f->comm, "umount\x1b");
		strcpy(f->message, i ? "kernel BUG at fs/super.c:502!" :
				       "VFS: Busy inodes after unmount of loop0 (iso9660)");
	}
	return l;
}

/* An audit with one leaked dentry reference (residue serve's last, 12.5 s old). */
static InodeAudit *inode_fixture(void)
{
	InodeAudit *a = calloc(1, sizeof(*a));
	InoFinding *f = calloc(1, sizeof(*f));
	if (!a || !f)
		abort();
	*f = (InoFinding){ .kind = INO_FIND_DENTRY_REFS,
			   .dev = 7ULL << 20 | 3,
			   .ino = 12,
			   .parent_ino = 2,
			   .magic = 0xef53,
			   .count = 3,
			   .unexplained = 1,
			   .files = 1,
			   .children = 1,
			   .pids = { 4242 },
			   .n_pids = 1 };
	strcpy(f->name, "leaked\x1b");
	*a = (InodeAudit){ .ran = true,
			   .complete = true,
			   .findings = f,
			   .n_findings = 1,
			   .interval_s = 600,
			   .inodes = 77000,
			   .ms = 312.5,
			   .unmodeled = 4 };
	a->n_kind[INO_FIND_DENTRY_REFS] = 1;
	return a;
}

static HostReport *host_report(void)
{
	HostReport *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->snap = fixture_host();
	r->snap->used_bpf = true;
	r->snap->privileged = true;
	r->snap->mount_max = 100000;
	if (analyze_orphans(r->snap, &r->orphans) < 0 ||
	    analyze_census(r->snap, r->snap->mount_max, &r->census) < 0)
		abort();
	r->zombies = zombies();
	r->zombie_threshold = 3;
	r->wall_ms = 42.5;
	r->cpu_ms = 30.25;
	r->finished = 1796400000.125;
	host_report_add_phase(r, "namespaces and mount ids", 1.5);
	host_report_add_phase(r, "processes and references", 20);
	host_report_add_phase(r, "zombie memory cgroups", 3);
	r->kernel_log = kernel_log_fixture();
	r->inodes = inode_fixture();
	r->inodes_age_s = 12.5;
	return r;
}

static const PromOptions prom = {
	.version = "0.1.0",
	.kernel = "6.18.0-test",
	.max_orphan_series = 5,
	.top_parents = 1,
	.scans_total = 7,
	.scan_failures_total = 2,
	.interval_s = 60,
};

static void test_prometheus_golden(void)
{
	HostReport *r = host_report();
	size_t len, wlen = 0;
	char *got = render_to_string(render_prometheus, r, &prom, &len);
	char path[4096];

	snprintf(path, sizeof(path), "%s/report.prom", golden_dir);
	if (getenv("RESIDUE_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "we");
		CHECK(f && fwrite(got, 1, len, f) == len && fclose(f) == 0);
		printf("# wrote %s\n", path);
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		char *want = calloc(1, 1 << 20);
		if (fd >= 0 && want)
			wlen = (size_t)read(fd, want, (1 << 20) - 1);
		if (fd >= 0)
			close(fd);
		CHECK(want && wlen == len && memcmp(want, got, len) == 0);
		free(want);
	}
	free(got);
	host_report_free(r);
}

/* Count lines of @text that start with @prefix. */
static size_t lines_with(const char *text, const char *prefix)
{
	size_t n = 0, l = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += strncmp(p, prefix, l) == 0;
	return n;
}

static void test_prometheus_shape(void)
{
	HostReport *r = host_report();
	size_t len;
	char *t = render_to_string(render_prometheus, r, &prom, &len);

	/* Every (fstype, risk) pair with all three risks; tmpfs always. */
	CHECK(strstr(t, "residue_orphaned_filesystems{fstype=\"tmpfs\",risk=\"none\"} 0\n") ||
	      strstr(t, "residue_orphaned_filesystems{fstype=\"tmpfs\",risk=\"none\"}"));
	CHECK_EQ_U64(lines_with(t, "residue_orphan_info{"), 5); /* --max-orphan-series */
	CHECK(strstr(t, "residue_orphan_info_omitted ") != NULL);
	/* top_parents = 1: the largest parent by name, the rest as "other". */
	CHECK(strstr(t, "residue_zombie_memcgs{parent=\"/a\"} 2\n") != NULL);
	CHECK(strstr(t, "residue_zombie_memcgs{parent=\"other\"} 1\n") != NULL);
	CHECK_EQ_U64(lines_with(t, "residue_zombie_memcgs{"), 2);
	/* The escaping of a label value with a quote and a backslash. */
	PromOptions all = prom;
	all.top_parents = 10;
	size_t len2;
	char *t2 = render_to_string(render_prometheus, r, &all, &len2);
	CHECK(strstr(t2, "residue_zombie_memcgs{parent=\"/b \\\"quoted\\\"\\\\\"} 1\n") != NULL);
	CHECK(strstr(t, "residue_findings{kind=\"zombie_memcgs\"} 1\n") != NULL);
	CHECK(strstr(t, "residue_scans_total 7\n") != NULL);
	CHECK(strstr(t, "residue_scan_failures_total 2\n") != NULL);
	CHECK(strstr(t, "residue_last_scan_timestamp_seconds 1796400000.125\n") != NULL);
	CHECK(strstr(t, "residue_scan_duration_seconds{phase=\"total\"} 0.0425\n") != NULL);
	CHECK(strstr(
		t, "residue_build_info{version=\"0.1.0\",kernel=\"6.18.0-test\",tier=\"bpf\"} 1"));
	/* Every sample's metric has a TYPE line before it. */
	for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (*p == '#' || *p == '\n')
			continue;
		char name[128];
		size_t n = strcspn(p, "{ ");
		snprintf(name, sizeof(name), "# TYPE %.*s ", (int)n, p);
		if (!CHECK(strstr(t, name) != NULL && strstr(t, name) < p))
			break;
	}
	free(t);
	free(t2);
	host_report_free(r);
}

/* No scan has worked yet: only build info and the counters. */
static void test_prometheus_no_report(void)
{
	size_t len;
	char *t = render_to_string(render_prometheus, NULL, &prom, &len);
	CHECK(strstr(t, "tier=\"unknown\"") != NULL);
	CHECK(strstr(t, "residue_scan_failures_total 2\n") != NULL);
	CHECK(strstr(t, "residue_orphaned_filesystems") == NULL);
	free(t);
}

/*
 * A label value with a newline, a terminal escape and invalid UTF-8 stays one
 * valid line with no control byte: each as the text \xNN, its backslash escaped.
 */
static void test_prometheus_hostile(void)
{
	HostReport *r = host_report();
	free(r->zombies->nodes[1].path);
	r->zombies->nodes[1].path = strdup("/a\nb\xff\x1b[2J\"");
	size_t len;
	char *t = render_to_string(render_prometheus, r, &prom, &len);
	CHECK(strstr(t, "residue_zombie_memcgs{parent=\"/a\\\\x0ab\\\\xff\\\\x1b[2J\\\"\"} 2\n") !=
	      NULL);
	for (size_t i = 0; i < len; i++)
		CHECK(t[i] == '\n' || ((unsigned char)t[i] >= 0x20 && t[i] != 0x7f));
	free(t);
	host_report_free(r);
}

static void test_check_line(void)
{
	HostReport *r = host_report();
	char line[81];
	ReportTotals t;

	/* Without the dead superblock and the kernel's BUG report, which come first (test_kernel_log). */
	r->kernel_log->n = 0;
	size_t n_dead = r->orphans->n_dead;
	r->orphans->n_dead = 0;
	report_totals(r, &t);
	report_check_line(r, line, sizeof(line));
	printf("# %s\n", line);
	CHECK(strlen(line) <= 80);
	CHECK(strncmp(line, "residue: ", 9) == 0);
	CHECK(strstr(line, "orphaned filesystems") != NULL);
	CHECK(t.findings > 3);
	/* What did not fit is counted, never cut in the middle. */
	CHECK(strstr(line, " more") != NULL || strstr(line, "zombie") != NULL);
	char tiny[30];
	report_check_line(r, tiny, sizeof(tiny));
	CHECK(strlen(tiny) < sizeof(tiny));
	/* Nothing found */
	HostReport *e = calloc(1, sizeof(*e));
	e->snap = fixture_base();
	e->snap->privileged = true;
	if (analyze_orphans(e->snap, &e->orphans) < 0 || analyze_census(e->snap, 0, &e->census) < 0)
		abort();
	report_check_line(e, line, sizeof(line));
	CHECK_STREQ(line, "residue: no leak found");
	host_report_free(e);
	r->orphans->n_dead = n_dead; /* freed with the report */
	host_report_free(r);
}

typedef struct Seen {
	char keys[64][128];
	bool appeared[64];
	size_t n;
} Seen;

static int seen(void *userdata, const Finding *f, bool appeared)
{
	Seen *s = userdata;
	if (s->n < 64) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", f->key);
		s->appeared[s->n++] = appeared;
	}
	return 0;
}

static void test_findings(void)
{
	HostReport *r = host_report();
	FindingList all = { 0 }, none = { 0 }, fewer = { 0 };
	ReportTotals t;
	Seen s = { 0 };

	report_totals(r, &t);
	CHECK_EQ_INT(findings_from_report(r, &all), 0);
	CHECK_EQ_U64(all.n, t.findings);
	for (size_t i = 1; i < all.n; i++)
		CHECK(strcmp(all.items[i - 1].key, all.items[i].key) < 0);
	bool zombie = false, orphan = false;
	for (size_t i = 0; i < all.n; i++) {
		zombie |= strcmp(all.items[i].key, "zombie_memcgs") == 0;
		orphan |= strcmp(all.items[i].key, "orphaned_filesystem 0:55") == 0;
	}
	CHECK(zombie);
	CHECK(orphan);
	/* From nothing, everything appears; back to nothing, everything goes. */
	CHECK_EQ_INT(findings_diff(&none, &all, seen, &s), 0);
	CHECK_EQ_U64(s.n, all.n);
	CHECK(s.appeared[0]);
	s.n = 0;
	CHECK_EQ_INT(findings_diff(&all, &all, seen, &s), 0);
	CHECK_EQ_U64(s.n, 0);
	/* The zombies fall below the threshold: that one finding goes, gone before appeared. */
	r->zombie_threshold = 4;
	CHECK_EQ_INT(findings_from_report(r, &fewer), 0);
	CHECK_EQ_U64(fewer.n, all.n - 1);
	CHECK_EQ_INT(findings_diff(&all, &fewer, seen, &s), 0);
	CHECK_EQ_U64(s.n, 1);
	CHECK_STREQ(s.keys[0], "zombie_memcgs");
	CHECK(!s.appeared[0]);
	finding_list_done(&all);
	finding_list_done(&fewer);
	host_report_free(r);
}

/*
 * The inode audit in the whole report: a finding with a key that names no
 * kernel address, metrics, the "inodes" JSON object; without an audit, the
 * object says why and how, and the metrics say none ran.
 */
static void test_inodes(void)
{
	HostReport *r = host_report();
	FindingList all = { 0 };
	ReportTotals t;
	size_t len;
	char line[81];

	report_totals(r, &t);
	CHECK_EQ_U64(t.inodes, 1);
	CHECK_EQ_INT(findings_from_report(r, &all), 0);
	bool found = false;
	for (size_t i = 0; i < all.n; i++) {
		if (strcmp(all.items[i].kind, "inodes") != 0)
			continue;
		found = true;
		CHECK_STREQ(all.items[i].key, "inodes dentry_refs 7:3 12 2 leaked\\x1b");
		CHECK_EQ_INT(all.items[i].severity, 3);
		CHECK(strstr(all.items[i].text, "0x") == NULL);
	}
	CHECK(found);
	finding_list_done(&all);
	r->zombie_threshold = 0;
	size_t n_orphans = r->orphans->n_orphans, n_dead = r->orphans->n_dead;
	r->orphans->n_orphans = r->orphans->n_dead =
		0; /* hidden from the line, given back to be freed */
	report_check_line(r, line, sizeof(line));
	r->orphans->n_orphans = n_orphans;
	r->orphans->n_dead = n_dead;
	printf("# %s\n", line);
	CHECK(strstr(line, "1 leaked inode/dentry ref") != NULL);
	char *t1 = render_to_string(render_prometheus, r, &prom, &len);
	CHECK(strstr(t1, "residue_inode_audited 1\n") != NULL);
	CHECK(strstr(t1, "residue_inode_findings{kind=\"dentry_refs\"} 1\n") != NULL);
	CHECK(strstr(t1, "residue_findings{kind=\"inodes\"} 1\n") != NULL);
	CHECK(strstr(t1, "residue_inode_audit_age_seconds 12.5\n") != NULL);
	json_object *j = render_report_json(r), *o, *v;
	CHECK(json_object_object_get_ex(j, "inodes", &o) &&
	      json_object_get_boolean(json_object_object_get(o, "audited")) &&
	      json_object_array_length(json_object_object_get(o, "findings")) == 1 &&
	      json_object_object_get_ex(o, "reason", &v) && v == NULL);
	json_object_put(j);
	free(t1);

	r->inodes = inode_audit_free(r->inodes);
	r->inodes_note = "not run by the default scan";
	char *t2 = render_to_string(render_prometheus, r, &prom, &len);
	CHECK(strstr(t2, "residue_inode_audited 0\n") != NULL);
	CHECK(strstr(t2, "residue_inode_findings{kind=\"stranded\"} 0\n") != NULL);
	CHECK(strstr(t2, "residue_inode_audit_complete") == NULL);
	j = render_report_json(r);
	CHECK(json_object_object_get_ex(j, "inodes", &o) &&
	      !json_object_get_boolean(json_object_object_get(o, "audited")) &&
	      json_object_object_get_ex(o, "findings", &v) && v == NULL &&
	      !strcmp(json_object_get_string(json_object_object_get(o, "reason")),
		      "not run by the default scan") &&
	      json_object_object_get(o, "how") != NULL);
	json_object_put(j);
	free(t2);
	/* Asked for (residue --inodes) and not made: unknown, not clean. */
	r->inodes_wanted = true;
	CHECK(!report_is_complete(r));
	host_report_free(r);
}

/* A device number given to a new superblock is another orphan: gone, then appeared. */
static void test_kernel_log(void)
{
	HostReport *r = host_report();
	FindingList all = { 0 };
	ReportTotals t;
	char line[81];
	size_t n = 0;

	report_totals(r, &t);
	CHECK_EQ_U64(t.kernel_log, 2);
	report_check_line(r, line, sizeof(line));
	/* First: sync(2) hangs on the host (the dead superblock), or may at its next (the BUG). */
	printf("# %s\n", line);
	CHECK(strncmp(line,
		      "residue: 1 dead superblock (sync hangs), 2 kernel leak reports (BUG), ",
		      70) == 0);
	CHECK_EQ_INT(findings_from_report(r, &all), 0);
	for (size_t i = 0; i < all.n; i++) {
		if (strcmp(all.items[i].kind, "kernel_log") != 0)
			continue;
		n++;
		CHECK(strstr(all.items[i].text, "loop0 (iso9660)") != NULL);
		CHECK(strncmp(all.items[i].key, "kernel_log ", 11) == 0);
		CHECK_EQ_INT(all.items[i].severity,
			     strstr(all.items[i].key, "superblock_bug") ? 2 : 3);
	}
	CHECK_EQ_U64(n, 2);
	finding_list_done(&all);

	json_object *o = render_report_json(r);
	json_object *k = json_object_object_get(o, "kernel_log"), *f0 = NULL;
	CHECK(k && json_object_get_boolean(json_object_object_get(k, "readable")));
	CHECK_EQ_U64(json_object_get_uint64(json_object_object_get(k, "lost_records")), 3);
	json_object *items = json_object_object_get(k, "findings");
	CHECK_EQ_U64(json_object_array_length(items), 2);
	if (json_object_array_length(items))
		f0 = json_object_array_get_idx(items, 0);
	CHECK_STREQ(json_object_get_string(json_object_object_get(f0, "kind")), "busy_inodes");
	CHECK_STREQ(json_object_get_string(json_object_object_get(f0, "time")),
		    "2026-12-04T15:43:20Z");
	CHECK_EQ_U64(json_object_get_uint64(json_object_object_get(f0, "boot_usec")), 912345678);
	CHECK(json_object_object_get(f0, "count") == NULL);
	json_object_put(o);

	size_t len;
	char *text = NULL;
	FILE *mf = open_memstream(&text, &len);
	render_report_text(r, mf);
	fclose(mf);
	CHECK(strstr(text, "Kernel log: 2 leak or teardown reports of the kernel\n") != NULL);
	CHECK(strstr(text, "superblock_bug loop0 (iso9660), pid 2716 (umount\\x1b): kernel BUG "
			   "at fs/super.c:502!\n") != NULL);
	CHECK(strstr(text, "sync(2)") != NULL);
	CHECK(strstr(text, "3 records were overwritten") != NULL);
	free(text);

	/* Unreadable: said, and nothing found. */
	r->kernel_log->readable = false;
	r->kernel_log->error = EPERM;
	r->kernel_log->n = 0;
	mf = open_memstream(&text, &len);
	render_report_text(r, mf);
	fclose(mf);
	CHECK(strstr(text, "Kernel log: not read (/dev/kmsg: Operation not permitted; needs "
			   "CAP_SYSLOG") != NULL);
	free(text);
	host_report_free(r);
}

static void test_findings_dev_reused(void)
{
	HostReport *r = host_report();
	FindingList before = { 0 }, after = { 0 };
	Seen s = { 0 };
	SbProbe *sb = snapshot_find_sb(r->snap, FX_DEV_TMPFS_FD);

	CHECK(sb != NULL);
	if (!sb)
		return;
	sb->fsid = 0x1111;
	CHECK_EQ_INT(findings_from_report(r, &before), 0);
	sb->fsid = 0x2222;
	CHECK_EQ_INT(findings_from_report(r, &after), 0);
	CHECK_EQ_INT(findings_diff(&before, &after, seen, &s), 0);
	CHECK_EQ_U64(s.n, 2);
	CHECK_STREQ(s.keys[0], "orphaned_filesystem 0:55 0000000000001111");
	CHECK(!s.appeared[0]);
	CHECK_STREQ(s.keys[1], "orphaned_filesystem 0:55 0000000000002222");
	CHECK(s.appeared[1]);
	finding_list_done(&before);
	finding_list_done(&after);
	host_report_free(r);
}

typedef struct Lives {
	unsigned appeared, freed;
	double last_age;
	char last_path[64];
} Lives;

static int life_event(void *userdata, const ZombieLifeEvent *e)
{
	Lives *l = userdata;
	if (e->type == ZOMBIE_APPEARED)
		l->appeared++;
	else
		l->freed++;
	l->last_age = e->age_s;
	snprintf(l->last_path, sizeof(l->last_path), "%s", e->path);
	return 0;
}

static struct zw_event rec(uint32_t type, uint64_t id, uint64_t t_ms, const char *path)
{
	struct zw_event e = { .time_ns = t_ms * 1000000ULL, .cgroup_id = id, .type = type };
	snprintf(e.path, sizeof(e.path), "%s", path);
	return e;
}

static void test_zombie_life(void)
{
	ZombieLife *l = NULL;
	Lives v = { 0 };
	struct zw_event e;

	CHECK_EQ_INT(zombie_life_new("/k8s/", life_event, &v, &l), 0);
	CHECK_STREQ(zombie_life_subtree(l), "/k8s");
	/* A quick death: freed 100 ms after rmdir, never a zombie. */
	e = rec(ZW_RMDIR, 1, 1000, "/k8s/pod1/c1");
	zombie_life_record(l, &e);
	CHECK_EQ_U64(zombie_life_next_deadline(l),
		     1000000000ULL + ZOMBIE_GRACE_NS + ZOMBIE_MARGIN_NS);
	e = rec(ZW_RELEASE, 1, 1100, "/k8s/pod1/c1");
	zombie_life_record(l, &e);
	CHECK_EQ_U64(zombie_life_stats(l)->quick, 1);
	CHECK_EQ_U64(zombie_life_next_deadline(l), UINT64_MAX);
	/* Outside the subtree: not followed. */
	e = rec(ZW_RMDIR, 2, 2000, "/system.slice/x");
	zombie_life_record(l, &e);
	CHECK_EQ_U64(zombie_life_next_deadline(l), UINT64_MAX);
	/* A zombie: still there after its grace, then freed 10 s after rmdir. */
	e = rec(ZW_RMDIR, 3, 3000, "/k8s/pod2/c1");
	zombie_life_record(l, &e);
	CHECK_EQ_INT(zombie_life_decide(l, 3400 * 1000000ULL), 0);
	CHECK_EQ_U64(v.appeared, 0); /* not yet */
	CHECK_EQ_INT(zombie_life_decide(l, 3600 * 1000000ULL), 0);
	CHECK_EQ_U64(v.appeared, 1);
	CHECK_STREQ(v.last_path, "/k8s/pod2/c1");
	e = rec(ZW_RELEASE, 3, 13000, "/k8s/pod2/c1");
	zombie_life_record(l, &e);
	CHECK_EQ_U64(v.freed, 1);
	CHECK(v.last_age > 9.99 && v.last_age < 10.01);
	const ZombieCreator *top[4];
	CHECK_EQ_U64(zombie_life_top(l, top, 4), 1);
	CHECK_STREQ(top[0]->parent, "/k8s/pod2");
	CHECK_EQ_U64(top[0]->created, 1);
	CHECK_EQ_U64(top[0]->alive, 0);
	/* A zombie from before: freed with an unknown age. */
	ZombieScan *z = zombie_scan_new();
	fx_cg_node(z, 1, 0, "/", false, 10);
	fx_cg_node(z, 50, 1, "/k8s/old", true, 5);
	CHECK_EQ_INT(zombie_life_add_before(l, z), 0);
	CHECK_EQ_U64(zombie_life_stats(l)->before, 1);
	e = rec(ZW_RELEASE, 50, 20000, "/k8s/old");
	zombie_life_record(l, &e);
	CHECK_EQ_U64(v.freed, 2);
	CHECK(v.last_age < 0);
	CHECK_EQ_U64(zombie_life_stats(l)->before_freed, 1);
	/* After the end, removals are not followed. */
	zombie_life_set_end(l, 30000 * 1000000ULL);
	e = rec(ZW_RMDIR, 4, 31000, "/k8s/late");
	zombie_life_record(l, &e);
	CHECK_EQ_U64(zombie_life_last_deadline(l), 0);
	zombie_scan_free(z);
	zombie_life_free(l);
}

/* Creators with no zombie alive are forgotten when there are thousands of them. */
static void test_zombie_life_bounded(void)
{
	ZombieLife *l = NULL;
	struct zw_event e;
	char path[64];

	CHECK_EQ_INT(zombie_life_new(NULL, NULL, NULL, &l), 0);
	for (uint64_t i = 0; i < 10000; i++) {
		snprintf(path, sizeof(path), "/pod%llu/c", (unsigned long long)i);
		e = rec(ZW_RMDIR, 100 + i, 1000 + i, path);
		zombie_life_record(l, &e);
		zombie_life_decide(l, (3000 + i) * 1000000ULL);
		e = rec(ZW_RELEASE, 100 + i, 4000 + i, path);
		zombie_life_record(l, &e);
	}
	const ZombieCreator *top[8192];
	size_t n = zombie_life_top(l, top, 8192);
	CHECK(n <= 4096);
	CHECK_EQ_U64(zombie_life_stats(l)->appeared, 10000);
	CHECK_EQ_U64(zombie_life_stats(l)->freed, 10000);
	zombie_life_free(l);
}

/*
 * residue --json renders the census and the zombies apart, on the threads
 * that made them: the document must be the same bytes, hostile names
 * (escaped newlines) too.
 */
static void test_json_parts_apart(void)
{
	HostReport *r = host_report();

	for (int hostile = 0; hostile < 2; hostile++) {
		if (hostile) {
			free(r->zombies->nodes[1].path);
			r->zombies->nodes[1].path = strdup("/a\nb\xff\x1b[2J\"");
		}
		json_object *whole = render_report_json(r);
		json_object *z = render_zombies_json(r->zombies, REPORT_ZOMBIE_FILES);
		json_object *c = render_census_json(r->census);
		json_object *apart =
			render_report_json_with(r, render_json_preformatted(render_json_text(c)),
						render_json_preformatted(render_json_text(z)));
		char *want = render_json_text(whole), *got = render_json_text(apart);
		CHECK(want && got && strchr(want, '\n') && strcmp(want, got) == 0);
		free(want);
		free(got);
		json_object_put(z);
		json_object_put(c);
		json_object_put(whole);
		json_object_put(apart);
	}
	host_report_free(r);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	golden_dir = argc > 1 ? argv[1] : getenv("RESIDUE_GOLDEN_DIR");
	if (!golden_dir)
		golden_dir = "tests/golden";
	RUN(test_prometheus_golden);
	RUN(test_kernel_log);
	RUN(test_prometheus_shape);
	RUN(test_prometheus_no_report);
	RUN(test_prometheus_hostile);
	RUN(test_check_line);
	RUN(test_findings);
	RUN(test_inodes);
	RUN(test_findings_dev_reused);
	RUN(test_zombie_life);
	RUN(test_zombie_life_bounded);
	RUN(test_json_parts_apart);
	return tap_done();
}
