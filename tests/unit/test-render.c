// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for lib/render: every fixture of snapshot-fixtures.c rendered
 * as JSON and as the default 120-column table, the "host" fixture also raw,
 * without headings, with -o lists (plain and '+'), in bytes, narrow and as
 * the summary, plus the gaps footer and --list-columns, each compared byte
 * for byte with tests/golden/.  The JSON is also parsed back and checked
 * against the contract's keys and types independently of the goldens.
 * Then columns_parse(), columns_default(), format_bytes() and format_dev(),
 * and that no golden file is left that nothing renders.  Tests marked TODO
 * pin down behaviour believed wrong in lib/render and turn into failures
 * (meson: "ok … # TODO" fails the test) once it is fixed.
 *
 * The golden directory is argv[1], else $RESIDUE_GOLDEN_DIR, else
 * tests/golden.  RESIDUE_UPDATE_GOLDEN=1 rewrites the goldens instead of
 * comparing; read the diff before committing it.
 */
#include "tap.h"

#include <dirent.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "base/array.h"
#include "base/macro.h"
#include "render/render.h"
#include "snapshot-fixtures.h"

/* Like RUN, but a TAP "TODO": a failure is expected and does not fail the program. */
#define RUN_TODO(fn, why)                                                                          \
	do {                                                                                       \
		unsigned _before = tap_failed_checks;                                              \
		fn();                                                                              \
		tap_tests++;                                                                       \
		bool _ok = tap_failed_checks == _before;                                           \
		tap_failed_checks = _before;                                                       \
		printf("%s %u - %s # TODO %s\n", _ok ? "ok" : "not ok", tap_tests, #fn, why);      \
		fflush(stdout);                                                                    \
	} while (0)

static const char *golden_dir;
static bool golden_update;
/* Every golden name checked, so that a golden nothing renders any more is noticed. */
static char *golden_seen[128];
static size_t n_golden_seen;

static void bail(const char *what, int err)
{
	printf("Bail out! %s: %s\n", what, strerror(err));
	exit(EXIT_FAILURE);
}

/* An in-memory stream and its bytes, for one rendering. */
typedef struct Out {
	FILE *f;
	char *buf;
	size_t len;
} Out;

static void out_open(Out *o)
{
	*o = (Out){ 0 };
	o->f = open_memstream(&o->buf, &o->len);
	if (!o->f)
		bail("open_memstream", errno);
}

static void out_close(Out *o)
{
	if (fclose(o->f) != 0)
		bail("fclose", errno);
	o->f = NULL;
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	do {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (!(buf = realloc(buf, cap)))
				bail("realloc", ENOMEM);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	*ret_len = len;
	return buf;
}

static void write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "we");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		bail(path, errno);
}

/* Show where two texts first differ, line by line, as TAP comments. */
static void show_difference(const char *want, size_t wlen, const char *got, size_t glen)
{
	size_t wp = 0, gp = 0, line = 1;
	const char *wl = NULL, *gl = NULL;
	size_t wn = 0, gn = 0;
	for (;; line++) {
		bool hw = tap_next_line(want, wlen, &wp, &wl, &wn);
		bool hg = tap_next_line(got, glen, &gp, &gl, &gn);
		if (!hw && !hg)
			break;
		if (hw && hg && wn == gn && memcmp(wl, gl, wn) == 0)
			continue;
		printf("#   first difference at line %zu:\n", line);
		printf("#   - %.*s\n", hw ? (int)wn : 0, hw ? wl : "(end)");
		printf("#   + %.*s\n", hg ? (int)gn : 0, hg ? gl : "(end)");
		return;
	}
	printf("#   the texts differ only in the final newline\n");
}

/* Compare @got with golden/@name, or write it there under RESIDUE_UPDATE_GOLDEN=1. */
static bool golden_check(const char *name, const char *got, size_t glen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	if (n_golden_seen < ARRAY_SIZE(golden_seen) &&
	    !(golden_seen[n_golden_seen++] = strdup(name)))
		bail("strdup", ENOMEM);
	if (golden_update) {
		write_file(path, got, glen);
		printf("# wrote %s\n", path);
		return true;
	}
	size_t wlen;
	char *want = read_file(path, &wlen);
	if (!want) {
		printf("#   %s: %s (create it with RESIDUE_UPDATE_GOLDEN=1)\n", path,
		       strerror(errno));
		tap_failed_checks++;
		return false;
	}
	bool same = wlen == glen && memcmp(want, got, glen) == 0;
	if (!same) {
		printf("#   %s differs from the rendering (regenerate with RESIDUE_UPDATE_GOLDEN=1):\n",
		       path);
		show_difference(want, wlen, got, glen);
		tap_failed_checks++;
	}
	free(want);
	return same;
}

static OrphanReport *analyze(const Snapshot *s)
{
	OrphanReport *r = NULL;
	int ret = analyze_orphans(s, &r);
	if (ret < 0)
		bail("analyze_orphans", -ret);
	return r;
}

static TableOptions table_defaults(void)
{
	TableOptions o = { .termwidth = 120 };
	columns_default(o.cols, ARRAY_SIZE(o.cols), &o.n_cols);
	return o;
}

static void golden_json(const char *stem, const Snapshot *s, const OrphanReport *r)
{
	char name[256];
	Out out;
	out_open(&out);
	json_object *j = render_orphans_json(s, r);
	CHECK(j);
	CHECK_EQ_INT(render_json_print(j, out.f), 0);
	json_object_put(j);
	out_close(&out);
	snprintf(name, sizeof(name), "%s.json", stem);
	golden_check(name, out.buf, out.len);
	free(out.buf);
}

static void golden_table(const char *name, const Snapshot *s, const OrphanReport *r,
			 const TableOptions *o)
{
	Out out;
	out_open(&out);
	CHECK_EQ_INT(render_orphans_table(s, r, o, out.f), 0);
	out_close(&out);
	golden_check(name, out.buf, out.len);
	free(out.buf);
}

/* Every fixture: its JSON and its default table. */
static void test_fixtures(void)
{
	for (size_t i = 0; i < n_fixtures; i++) {
		char name[256];
		Snapshot *s = fixture_build(&fixtures[i]);
		OrphanReport *r = analyze(s);
		TableOptions o = table_defaults();

		printf("# %s\n", fixtures[i].name);
		golden_json(fixtures[i].name, s, r);
		snprintf(name, sizeof(name), "%s.table", fixtures[i].name);
		golden_table(name, s, r, &o);
		orphan_report_free(r);
		snapshot_free(s);
	}
}

static Snapshot *host;
static OrphanReport *host_report;

static void test_host_json(void)
{
	golden_json("host", host, host_report);
}

static void test_host_table(void)
{
	TableOptions o = table_defaults();
	golden_table("host.table", host, host_report, &o);
}

static void test_host_raw(void)
{
	TableOptions o = table_defaults();
	o.raw = true;
	golden_table("host-raw.table", host, host_report, &o);
}

static void test_host_noheadings(void)
{
	TableOptions o = table_defaults();
	o.noheadings = true;
	golden_table("host-noheadings.table", host, host_report, &o);
}

static void test_host_raw_noheadings_bytes(void)
{
	TableOptions o = table_defaults();
	o.raw = o.noheadings = o.bytes = true;
	golden_table("host-raw-noheadings-bytes.table", host, host_report, &o);
}

static void test_host_bytes(void)
{
	TableOptions o = table_defaults();
	o.bytes = true;
	golden_table("host-bytes.table", host, host_report, &o);
}

static void test_host_output(void)
{
	TableOptions o = table_defaults();
	if (CHECK_EQ_INT(columns_parse("DEV,SOURCE,PINNED,TOPFILE,CGROUP,PID,HINT", o.cols,
				       ARRAY_SIZE(o.cols), &o.n_cols),
			 0))
		golden_table("host-output.table", host, host_report, &o);
}

static void test_host_output_plus(void)
{
	TableOptions o = table_defaults();
	if (CHECK_EQ_INT(columns_parse("+source,cgroup", o.cols, ARRAY_SIZE(o.cols), &o.n_cols), 0))
		golden_table("host-output-plus.table", host, host_report, &o);
}

/* The HINT column wraps rather than widening the table past the terminal. */
static void test_host_narrow(void)
{
	TableOptions o = table_defaults();
	o.termwidth = 80;
	if (CHECK_EQ_INT(columns_parse("DEV,RISK,PID,HINT", o.cols, ARRAY_SIZE(o.cols), &o.n_cols),
			 0))
		golden_table("host-narrow.table", host, host_report, &o);
}

static void test_host_summary(void)
{
	Out out;
	out_open(&out);
	render_summary(host, host_report, 12.3, out.f);
	out_close(&out);
	golden_check("host-summary.txt", out.buf, out.len);
	free(out.buf);
}

static void test_empty_variants(void)
{
	Snapshot *s = fixture_base();
	OrphanReport *r = analyze(s);
	TableOptions o = table_defaults();
	Out out;

	o.raw = true;
	golden_table("empty-raw.table", s, r, &o);
	o.raw = false;
	o.noheadings = true;
	golden_table("empty-noheadings.table", s, r, &o);
	out_open(&out);
	render_summary(s, r, 0.4, out.f);
	out_close(&out);
	golden_check("empty-summary.txt", out.buf, out.len);
	free(out.buf);
	orphan_report_free(r);
	snapshot_free(s);
}

static void test_gaps_text(void)
{
	Snapshot *s = fixture_build(fixture_by_name("gaps"));
	Out out;
	out_open(&out);
	render_gaps_text(s, out.f);
	out_close(&out);
	golden_check("gaps.txt", out.buf, out.len);
	free(out.buf);
	snapshot_free(s);
}

static void test_columns_list(void)
{
	Out out;
	out_open(&out);
	columns_list(out.f, false);
	out_close(&out);
	golden_check("columns.txt", out.buf, out.len);
	free(out.buf);
	out_open(&out);
	columns_list(out.f, true);
	out_close(&out);
	golden_check("columns-raw.txt", out.buf, out.len);
	free(out.buf);
}

/* --- the JSON contract, checked on the parsed output rather than on bytes --------------------- */

static bool is_type(json_object *o, json_type t)
{
	return json_object_get_type(o) == t;
}

/* @key is present and of type @t (or null, when @nullable). */
static bool check_key(json_object *obj, const char *key, json_type t, bool nullable,
		      json_object **ret)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v)) {
		printf("#   missing key \"%s\" in %s\n", key, json_object_to_json_string(obj));
		tap_failed_checks++;
		return false;
	}
	if (!(is_type(v, t) || (nullable && v == NULL))) {
		printf("#   key \"%s\" is %s, not %s%s\n", key,
		       json_type_to_name(json_object_get_type(v)), json_type_to_name(t),
		       nullable ? " or null" : "");
		tap_failed_checks++;
		return false;
	}
	if (ret)
		*ret = v;
	return true;
}

static bool check_one_of(json_object *obj, const char *key, ...)
{
	json_object *v;
	if (!check_key(obj, key, json_type_string, false, &v))
		return false;
	const char *s = json_object_get_string(v);
	va_list ap;
	va_start(ap, key);
	for (const char *c; (c = va_arg(ap, const char *));)
		if (strcmp(c, s) == 0) {
			va_end(ap);
			return true;
		}
	va_end(ap);
	printf("#   key \"%s\" has an unexpected value \"%s\"\n", key, s);
	tap_failed_checks++;
	return false;
}

static void check_dev_string(json_object *o)
{
	json_object *v;
	unsigned ma, mi;
	char end;
	if (check_key(o, "dev", json_type_string, false, &v))
		CHECK(sscanf(json_object_get_string(v), "%u:%u%c", &ma, &mi, &end) == 2);
}

static json_object *parse_json(const Snapshot *s, const OrphanReport *r)
{
	Out out;
	out_open(&out);
	json_object *j = render_orphans_json(s, r);
	render_json_print(j, out.f);
	json_object_put(j);
	out_close(&out);
	json_object *parsed = json_tokener_parse(out.buf);
	free(out.buf);
	if (!parsed)
		bail("the rendered JSON does not parse", EINVAL);
	return parsed;
}

static void test_json_contract(void)
{
	json_object *root = parse_json(host, host_report), *a, *b;

	CHECK_EQ_U64(json_object_object_length(root), 4);
	if (check_key(root, "orphans", json_type_array, false, &a)) {
		CHECK_EQ_U64(json_object_array_length(a), host_report->n_orphans);
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *o = json_object_array_get_idx(a, i);
			check_dev_string(o);
			check_key(o, "fstype", json_type_string, true, NULL);
			check_key(o, "source", json_type_string, true, NULL);
			check_one_of(o, "state", "orphaned", "detached", NULL);
			check_key(o, "pinned_bytes", json_type_int, true, NULL); /* null: unknown */
			check_one_of(o, "risk", "memory", "data-loss", "none", NULL);
			check_key(o, "hint", json_type_string, false, NULL);
			if (check_key(o, "files", json_type_array, false, &b))
				for (size_t k = 0; k < json_object_array_length(b); k++) {
					json_object *f = json_object_array_get_idx(b, k);
					check_key(f, "path", json_type_string, false, NULL);
					check_key(f, "bytes", json_type_int, false, NULL);
					check_key(f, "size", json_type_int, false, NULL);
				}
			if (!check_key(o, "holders", json_type_array, false, &b))
				continue;
			CHECK(json_object_array_length(b) > 0);
			for (size_t k = 0; k < json_object_array_length(b); k++) {
				json_object *h = json_object_array_get_idx(b, k), *how, *fd;
				check_one_of(h, "how", "fd", "mmap", "cwd", "root", "exe",
					     "mount-fd", "loop", "inflight", "inflight-nested",
					     "inflight-embryo", "io_uring", "fscontext", "overlay",
					     "kernel", "unknown", NULL);
				const char *hs = json_object_object_get_ex(h, "how", &how) ?
							 json_object_get_string(how) :
							 "";
				bool inflight = !strncmp(hs, "inflight", 8);
				/* No process holds it: the kernel does; for a file in flight, maybe one can receive it. */
				bool ring = !strcmp(hs, "io_uring");
				bool kfile = ring || !strcmp(hs, "fscontext");
				bool kernel = inflight || !strcmp(hs, "loop") ||
					      !strcmp(hs, "kernel") || !strcmp(hs, "unknown");
				check_key(h, "pid", json_type_int, kernel, NULL);
				check_key(h, "comm", json_type_string, kernel, NULL);
				check_key(h, "cgroup", json_type_string, true, NULL);
				check_key(h, "fd", json_type_int, true, &fd);
				check_key(h, "path", json_type_string, true, NULL);
				check_key(h, "mode", json_type_string, true, NULL);
				check_key(h, "loop", json_type_string, strcmp(hs, "loop") != 0,
					  NULL);
				/* The fixed-file slot or the overlay's layer: a number exactly for those. */
				bool layer = !strcmp(hs, "overlay");
				json_object *ix = NULL;
				check_key(h, "index", json_type_int, !ring && !layer, &ix);
				CHECK((ring || layer) == (ix != NULL));
				/*
				 * fd is a number exactly for fd holders, for the socket of a file in
				 * flight, and for a ring or a context.
				 */
				bool is_fd = !strcmp(hs, "fd") || !strcmp(hs, "mount-fd") || kfile;
				if (!inflight)
					CHECK(is_fd == (fd != NULL));
			}
		}
	}
	if (check_key(root, "namespaces", json_type_array, false, &a)) {
		CHECK_EQ_U64(json_object_array_length(a), host_report->n_nss);
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *n = json_object_array_get_idx(a, i);
			check_key(n, "ns_id", json_type_int, false, NULL);
			check_key(n, "inode", json_type_int, false, NULL);
			check_key(n, "mounts", json_type_int, false, NULL);
			check_key(n, "pinned_bytes", json_type_int, true, NULL); /* null: unknown */
			check_key(n, "hint", json_type_string, false, NULL);
			/* null: its mounts were not examined */
			if (check_key(n, "filesystems", json_type_array, true, &b) && b) {
				for (size_t k = 0; k < json_object_array_length(b); k++) {
					json_object *f = json_object_array_get_idx(b, k);
					check_key(f, "dev", json_type_string, false, NULL);
					check_key(f, "fstype", json_type_string, true, NULL);
					check_key(f, "mountpoint", json_type_string, true, NULL);
					check_key(f, "pinned_bytes", json_type_int, true, NULL);
					check_key(f, "shared", json_type_boolean, false, NULL);
				}
			}
			if (!check_key(n, "holders", json_type_array, false, &b))
				continue;
			for (size_t k = 0; k < json_object_array_length(b); k++) {
				json_object *h = json_object_array_get_idx(b, k), *how;
				if (!check_key(h, "how", json_type_string, false, &how))
					continue;
				if (!strcmp(json_object_get_string(how), "ns-fd")) {
					check_key(h, "pid", json_type_int, false, NULL);
					check_key(h, "comm", json_type_string, false, NULL);
					check_key(h, "cgroup", json_type_string, true, NULL);
					check_key(h, "fd", json_type_int, false, NULL);
				} else {
					check_one_of(h, "how", "ns-bind", NULL);
					check_key(h, "ns_id", json_type_int, false, NULL);
					check_key(h, "path", json_type_string, false, NULL);
				}
			}
		}
	}
	if (check_key(root, "dead_superblocks", json_type_array, false, &a) &&
	    CHECK_EQ_U64(json_object_array_length(a), host_report->n_dead)) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *d = json_object_array_get_idx(a, i), *v;
			check_dev_string(d);
			check_key(d, "fstype", json_type_string, true, NULL);
			check_key(d, "device", json_type_string, true, NULL);
			check_key(d, "loop", json_type_string, true, NULL);
			check_key(d, "backing_file", json_type_string, true, NULL);
			check_key(d, "backing_dev", json_type_string, true, NULL);
			check_key(d, "backing_ino", json_type_int, true, NULL);
			check_key(d, "busy_inodes", json_type_int, true, NULL);
			check_key(d, "cached_bytes", json_type_int, true, NULL);
			check_key(d, "umount_locked", json_type_boolean, true, NULL);
			check_key(d, "kernel_log_seq", json_type_int, true, NULL);
			if (check_key(d, "hint", json_type_string, false, &v))
				CHECK(strstr(json_object_get_string(v), "reboot") != NULL);
			CHECK_EQ_U64(json_object_object_length(d), 12);
		}
	}
	if (check_key(root, "gaps", json_type_array, false, &a)) {
		CHECK_EQ_U64(json_object_array_length(a), host->n_gaps);
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *g = json_object_array_get_idx(a, i), *e;
			check_key(g, "what", json_type_string, false, NULL);
			check_key(g, "call", json_type_string, false, NULL);
			if (check_key(g, "errno", json_type_string, false, &e))
				CHECK(json_object_get_string(e)[0] == 'E');
			check_key(g, "count", json_type_int, false, NULL);
		}
	}
	/* Numbers above 2^32 survive as numbers. */
	if (json_object_object_get_ex(root, "namespaces", &a) && json_object_array_length(a) > 0) {
		json_object *id;
		if (json_object_object_get_ex(json_object_array_get_idx(a, 0), "ns_id", &id))
			CHECK_EQ_U64(json_object_get_uint64(id), FX_NS_FD_ID);
	}
	json_object_put(root);
}

/*
 * Known bug: an orphan whose superblock the probe learned nothing about
 * lacks the "nr_files" and "files_note" keys the others have; a stable
 * contract gives every object of a kind the same keys, null when unknown.
 */
static void test_json_same_keys(void)
{
	json_object *root = parse_json(host, host_report), *a;
	if (json_object_object_get_ex(root, "orphans", &a) && json_object_array_length(a) > 1) {
		json_object *first = json_object_array_get_idx(a, 0);
		for (size_t i = 1; i < json_object_array_length(a); i++) {
			json_object *o = json_object_array_get_idx(a, i);
			json_object_object_foreach(first, key, val)
			{
				(void)val;
				if (!json_object_object_get_ex(o, key, NULL)) {
					printf("#   orphan %zu has no key \"%s\"\n", i, key);
					tap_failed_checks++;
				}
			}
			CHECK_EQ_U64(json_object_object_length(o),
				     json_object_object_length(first));
		}
	}
	json_object_put(root);
}

/* --- columns and formatting --------------------------------------------------------------------- */

static void test_columns_default(void)
{
	static const int want[] = { COL_DEV,  COL_FSTYPE, COL_STATE, COL_RISK, COL_PINNED, COL_PID,
				    COL_COMM, COL_HOW,	  COL_FD,    COL_MODE, COL_PATH };
	int cols[_COL_MAX];
	size_t n = 0;

	columns_default(cols, ARRAY_SIZE(cols), &n);
	if (CHECK_EQ_U64(n, ARRAY_SIZE(want)))
		for (size_t i = 0; i < n; i++)
			CHECK_EQ_INT(cols[i], want[i]);
	/* A short array gets the first columns only. */
	columns_default(cols, 3, &n);
	CHECK_EQ_U64(n, 3);
	/* Every column has a name and help, and names are unique. */
	for (int i = 0; i < _COL_MAX; i++) {
		CHECK(orphan_columns[i].name && orphan_columns[i].name[0]);
		CHECK(orphan_columns[i].help && orphan_columns[i].help[0]);
		for (int j = 0; j < i; j++)
			CHECK(strcasecmp(orphan_columns[i].name, orphan_columns[j].name) != 0);
	}
}

static void test_columns_parse(void)
{
	int cols[_COL_MAX];
	size_t n = 0;

	if (CHECK_EQ_INT(columns_parse("DEV,PID", cols, _COL_MAX, &n), 0) && CHECK_EQ_U64(n, 2)) {
		CHECK_EQ_INT(cols[0], COL_DEV);
		CHECK_EQ_INT(cols[1], COL_PID);
	}
	/* Names are case-insensitive, as in util-linux. */
	if (CHECK_EQ_INT(columns_parse("hint,Command", cols, _COL_MAX, &n), 0) &&
	    CHECK_EQ_U64(n, 2)) {
		CHECK_EQ_INT(cols[0], COL_HINT);
		CHECK_EQ_INT(cols[1], COL_COMM);
	}
	/* '+' appends to the defaults. */
	if (CHECK_EQ_INT(columns_parse("+SOURCE,HINT", cols, _COL_MAX, &n), 0) &&
	    CHECK_EQ_U64(n, 13)) {
		CHECK_EQ_INT(cols[0], COL_DEV);
		CHECK_EQ_INT(cols[10], COL_PATH);
		CHECK_EQ_INT(cols[11], COL_SOURCE);
		CHECK_EQ_INT(cols[12], COL_HINT);
	}
	if (CHECK_EQ_INT(columns_parse("+", cols, _COL_MAX, &n), 0))
		CHECK_EQ_U64(n, 11);
	/* Every column at once. */
	CHECK_EQ_INT(columns_parse("DEV,FSTYPE,SOURCE,STATE,RISK,PINNED,PID,COMMAND,CGROUP,HOW,FD,"
				   "MODE,PATH,TOPFILE,HINT",
				   cols, _COL_MAX, &n),
		     0);
	CHECK_EQ_U64(n, _COL_MAX);

	/* Rejected, and *ret_n untouched. */
	static const char *const bad[] = {
		"",   "NOPE",	 "DEV,NOPE", "DEV,,PID", ",DEV",    "DEVX",
		"DE", "DEV PID", "+NOPE",    "+,",	 "DEV;PID",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		n = 12345;
		printf("# \"%s\"\n", bad[i]);
		CHECK_EQ_INT(columns_parse(bad[i], cols, _COL_MAX, &n), -EINVAL);
		CHECK_EQ_U64(n, 12345);
	}
	/* One more than the array holds: -E2BIG, so the CLI can say "too many". */
	n = 12345;
	CHECK_EQ_INT(
		columns_parse("DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV,DEV",
			      cols, _COL_MAX, &n),
		-E2BIG);
	CHECK_EQ_U64(n, 12345);
	/* The max is honoured for '+' too. */
	n = 12345;
	CHECK_EQ_INT(columns_parse("+DEV", cols, 11, &n), -E2BIG);
	CHECK_EQ_U64(n, 12345);
}

static void test_format_bytes(void)
{
	static const struct {
		uint64_t b;
		bool exact;
		const char *want;
	} cases[] = {
		{ 0, false, "0B" },
		{ 1, false, "1B" },
		{ 1023, false, "1023B" },
		{ 1024, false, "1K" },
		{ 1536, false, "1.5K" },
		{ 4096, false, "4K" },
		{ 8192, false, "8K" },
		{ 10240, false, "10K" },
		{ 1048576, false, "1M" },
		{ 2097152, false, "2M" },
		{ 67108864, false, "64M" },
		{ 68169728, false, "65M" },
		{ 1610612736, false, "1.5G" },
		{ 5368709120, false, "5G" },
		{ 1099511627776, false, "1T" },
		{ 1125899906842624, false, "1P" },
		{ UINT64_MAX, false, "16E" },
		{ 0, true, "0" },
		{ 1023, true, "1023" },
		{ 68169728, true, "68169728" },
		{ UINT64_MAX, true, "18446744073709551615" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(buf, 'x', sizeof(buf));
		format_bytes(cases[i].b, cases[i].exact, buf, sizeof(buf));
		CHECK_STREQ(buf, cases[i].want);
	}
	/* Truncated, never overrun. */
	char small[4] = "zzz";
	format_bytes(68169728, true, small, sizeof(small));
	CHECK_STREQ(small, "681");
}

static void test_format_dev(void)
{
	char buf[32];

	format_dev(makedev(0, 55), buf, sizeof(buf));
	CHECK_STREQ(buf, "0:55");
	format_dev(makedev(259, 2), buf, sizeof(buf));
	CHECK_STREQ(buf, "259:2");
	format_dev(makedev(7, 0), buf, sizeof(buf));
	CHECK_STREQ(buf, "7:0");
	format_dev(0, buf, sizeof(buf));
	CHECK_STREQ(buf, "0:0");
	/* The kernel's largest (12-bit major, 20-bit minor), then glibc's (32 bits each). */
	format_dev(makedev(4095, 1048575), buf, sizeof(buf));
	CHECK_STREQ(buf, "4095:1048575");
	format_dev(makedev(0xffffffffu, 0xffffffffu), buf, sizeof(buf));
	CHECK_STREQ(buf, "4294967295:4294967295");
}

/*
 * Known bug: the comment promises findmnt style, and findmnt (util-linux
 * size_to_human_string) drops a fraction that rounds to zero and carries a
 * rounded-up one: 3149824 is "3M" and 10239 "10K", not "3.0M" and "10.0K".
 */
static void test_format_bytes_rounding(void)
{
	char buf[32];
	format_bytes(3149824, false, buf, sizeof(buf));
	CHECK_STREQ(buf, "3M");
	format_bytes(10239, false, buf, sizeof(buf));
	CHECK_STREQ(buf, "10K");
}

/* Known bug: -n is "no headings, no footers", but the namespace footer stays. */
static void test_noheadings_no_footers(void)
{
	TableOptions o = table_defaults();
	Out out;
	o.noheadings = true;
	out_open(&out);
	render_orphans_table(host, host_report, &o, out.f);
	out_close(&out);
	CHECK(strstr(out.buf, "Mount namespaces") == NULL);
	CHECK(out.len == 0 || out.buf[0] != '\n');
	free(out.buf);
}

/*
 * A snapshot whose names come from a hostile container: a command name with
 * a terminal escape and invalid UTF-8, a mapped path with a newline, a file
 * name with an escape.  Holder 2 maps it; the tmpfs lists one file.
 */
static Snapshot *hostile_snapshot(void)
{
	Snapshot *s = fixture_base();
	Process *p = snapshot_add_process(s);
	Holder *h = snapshot_add_holder(s);
	SbProbe *sb = calloc(1, sizeof(*sb));
	if (!p || !h || !sb)
		bail("hostile snapshot", ENOMEM);
	p->pid = 666;
	snprintf(p->comm, sizeof(p->comm), "ev\033]0;x\007\xff");
	h->proc = (uint32_t)(s->n_procs - 1);
	h->how = HOLD_MMAP;
	h->mnt_id = 6000;
	h->dev = FX_DEV(0, 80);
	h->has_detail = true;
	snprintf(h->perms, sizeof(h->perms), "r--s");
	h->path = strdup("/x\ny\r");
	sb->dev = FX_DEV(0, 80);
	snprintf(sb->fstype, sizeof(sb->fstype), "tmpfs");
	sb->memory_backed = sb->have_used = sb->files_listed = true;
	sb->used_bytes = 4096;
	sb->nr_files = sb->n_files = 1;
	sb->files = calloc(1, sizeof(FileEntry));
	if (!h->path || !sb->files || !(sb->files[0].path = strdup("/f\033[2J\xfe")))
		bail("hostile snapshot", ENOMEM);
	sb->files[0].bytes = 4096;
	s->sbs = sb;
	s->n_sbs = s->cap_sbs = 1;
	return s;
}

/* Bytes a terminal acts on, other than the newlines that end our own lines. */
static size_t count_controls(const char *buf, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)buf[i] < 0x20 && buf[i] != '\n') || buf[i] == 0x7f;
	return n;
}

/*
 * Known bug: cells go through libsmartcols, which escapes them, but the
 * hint lines under the table and the summary print command names and paths
 * with fprintf(): a process can write escapes to the admin's terminal and
 * forge lines of output.
 */
static void test_text_escapes_names(void)
{
	Snapshot *s = hostile_snapshot();
	OrphanReport *r = analyze(s);
	TableOptions o = table_defaults();
	Out out;

	out_open(&out);
	render_orphans_table(s, r, &o, out.f);
	out_close(&out);
	CHECK_EQ_U64(count_controls(out.buf, out.len), 0);
	CHECK(strstr(out.buf, "/x\ny") == NULL);
	free(out.buf);

	out_open(&out);
	render_summary(s, r, 1, out.f);
	out_close(&out);
	CHECK_EQ_U64(count_controls(out.buf, out.len), 0);
	CHECK(strstr(out.buf, "/x\ny") == NULL);
	free(out.buf);
	orphan_report_free(r);
	snapshot_free(s);
}

/* Well-formed UTF-8: no stray continuation, truncation, overlong form or surrogate. */
static bool is_valid_utf8(const unsigned char *p, size_t len)
{
	static const uint32_t min[4] = { 0, 0x80, 0x800, 0x10000 };
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/*
 * Known bug: json-c copies bytes >= 0x80 as they are, so one process named
 * with invalid UTF-8 (or one such file name in an orphan) makes the whole
 * report unparseable for strict consumers (Python's json, Go's encoding/json
 * with validation, jq): names need escaping or replacing before json-c.
 */
static void test_json_valid_utf8(void)
{
	Snapshot *s = hostile_snapshot();
	OrphanReport *r = analyze(s);
	Out out;

	out_open(&out);
	json_object *j = render_orphans_json(s, r);
	render_json_print(j, out.f);
	json_object_put(j);
	out_close(&out);
	CHECK(is_valid_utf8((const unsigned char *)out.buf, out.len));
	CHECK_EQ_U64(count_controls(out.buf, out.len), 0);
	free(out.buf);
	orphan_report_free(r);
	snapshot_free(s);
}

static void test_utf8_checker(void)
{
	CHECK(is_valid_utf8((const unsigned char *)"", 0));
	CHECK(is_valid_utf8((const unsigned char *)"abc", 3));
	CHECK(is_valid_utf8((const unsigned char *)"h\xc3\xa9", 3));
	CHECK(is_valid_utf8((const unsigned char *)"\xe2\x82\xac", 3));
	CHECK(is_valid_utf8((const unsigned char *)"\xf0\x9f\x98\x80", 4));
	CHECK(!is_valid_utf8((const unsigned char *)"\xff", 1));
	CHECK(!is_valid_utf8((const unsigned char *)"\xc3", 1));
	CHECK(!is_valid_utf8((const unsigned char *)"\xc0\x80", 2));
	CHECK(!is_valid_utf8((const unsigned char *)"\xe2\x82", 2));
	CHECK(!is_valid_utf8((const unsigned char *)"a\x80", 2));
	CHECK(!is_valid_utf8((const unsigned char *)"\xed\xa0\x80", 3)); /* a surrogate */
	CHECK(!is_valid_utf8((const unsigned char *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}

/* The same snapshot renders to the same bytes, twice. */
static void test_deterministic(void)
{
	Out a, b;
	TableOptions o = table_defaults();
	out_open(&a);
	out_open(&b);
	render_orphans_table(host, host_report, &o, a.f);
	render_orphans_table(host, host_report, &o, b.f);
	json_object *j = render_orphans_json(host, host_report);
	render_json_print(j, a.f);
	render_json_print(j, b.f);
	json_object_put(j);
	out_close(&a);
	out_close(&b);
	CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
	free(a.buf);
	free(b.buf);
}

/* Every file in the golden directory is one that some test renders. */
static void test_no_stale_goldens(void)
{
	DIR *d = opendir(golden_dir);
	if (!d) {
		printf("#   %s: %s\n", golden_dir, strerror(errno));
		tap_failed_checks++;
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		/* test-report.c owns this one. */
		if (strcmp(de->d_name, "report.prom") == 0)
			continue;
		bool seen = false;
		for (size_t i = 0; i < n_golden_seen && !seen; i++)
			seen = strcmp(golden_seen[i], de->d_name) == 0;
		if (!seen) {
			printf("#   %s/%s: no test renders it (stale? remove it)\n", golden_dir,
			       de->d_name);
			tap_failed_checks++;
		}
	}
	closedir(d);
	CHECK(n_golden_seen < ARRAY_SIZE(golden_seen));
}

/*
 * An orphan only the kernel holds (issue 10): one holder with every key, how
 * "kernel" and the rest null, in JSON; one row "unnamed (kernel)" in the table.
 */
static void test_kernel_held(void)
{
	Snapshot *s = snapshot_new();
	SbProbe *sb = ARRAY_PUSH(s->sbs, s->n_sbs, s->cap_sbs);
	Orphan o = { .dev = makedev(0, 77),
		     .risk = RISK_MEMORY,
		     .kernel_held = true,
		     .pinned_known = true,
		     .pinned_bytes = 33673216,
		     .hint = (char *)"no process" };
	OrphanReport r = { .orphans = &o, .n_orphans = 1 };
	Out out;

	if (!s || !sb)
		bail("snapshot", ENOMEM);
	*sb = (SbProbe){ .dev = o.dev, .memory_backed = true };
	snprintf(sb->fstype, sizeof(sb->fstype), "tmpfs");
	o.sb = sb;
	json_object *j = parse_json(s, &r), *orphans, *holders;
	if (json_object_object_get_ex(j, "orphans", &orphans) &&
	    CHECK_EQ_U64(json_object_array_length(orphans), 1) &&
	    json_object_object_get_ex(json_object_array_get_idx(orphans, 0), "holders", &holders) &&
	    CHECK_EQ_U64(json_object_array_length(holders), 1)) {
		json_object *h = json_object_array_get_idx(holders, 0), *v;
		CHECK(json_object_object_get_ex(h, "how", &v) &&
		      !strcmp(json_object_get_string(v), "kernel"));
		static const char *const nulls[] = { "pid", "comm", "cgroup", "tid",
						     "fd",  "path", "mode" };
		for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
			CHECK(json_object_object_get_ex(h, nulls[i], &v) && v == NULL);
	}
	json_object_put(j);
	TableOptions t = table_defaults();
	out_open(&out);
	CHECK_EQ_INT(render_orphans_table(s, &r, &t, out.f), 0);
	out_close(&out);
	CHECK(strstr(out.buf, "unnamed (kernel)") && strstr(out.buf, " kernel"));
	free(out.buf);
	snapshot_free(s);
}

int main(int argc, char **argv)
{
	golden_dir = argc > 1 ? argv[1] : getenv("RESIDUE_GOLDEN_DIR");
	if (!golden_dir)
		golden_dir = "tests/golden";
	const char *u = getenv("RESIDUE_UPDATE_GOLDEN");
	golden_update = u && *u && strcmp(u, "0") != 0;

	host = fixture_host();
	host_report = analyze(host);

	RUN(test_fixtures);
	RUN(test_host_json);
	RUN(test_host_table);
	RUN(test_host_raw);
	RUN(test_host_noheadings);
	RUN(test_host_raw_noheadings_bytes);
	RUN(test_host_bytes);
	RUN(test_host_output);
	RUN(test_host_output_plus);
	RUN(test_host_narrow);
	RUN(test_host_summary);
	RUN(test_empty_variants);
	RUN(test_gaps_text);
	RUN(test_columns_list);
	RUN(test_json_contract);
	RUN(test_kernel_held);
	RUN(test_json_same_keys);
	RUN(test_columns_default);
	RUN(test_columns_parse);
	RUN(test_format_bytes);
	RUN(test_format_dev);
	RUN(test_deterministic);
	RUN(test_utf8_checker);
	RUN(test_no_stale_goldens);
	RUN(test_format_bytes_rounding);
	RUN(test_noheadings_no_footers);
	RUN(test_text_escapes_names);
	RUN(test_json_valid_utf8);

	orphan_report_free(host_report);
	snapshot_free(host);
	for (size_t i = 0; i < n_golden_seen; i++)
		free(golden_seen[i]);
	return tap_done();
}
