// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue zombies`: removed memory cgroups the kernel still keeps because
 * something (mostly page cache) is charged to them.  Counts and bytes from
 * cgroupfs on any kernel; with BPF each zombie by name and the files whose
 * page cache pins it.  --release drops exactly that page cache (dry run
 * unless --yes) and counts again; --watch follows them as they come and go.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "analyze/zombies.h"
#include "collect/zombies.h"
#include "render/render.h"
#include "residue.h"

static void usage(FILE *f)
{
	fputs("Usage: residue zombies [options]\n"
	      "\n"
	      "Memory cgroups that were removed but live on in the kernel because memory,\n"
	      "mostly page cache, is still charged to them: how many, under which parent,\n"
	      "what they cost, and (with BPF) each one by name and the files that pin it.\n"
	      "\n"
	      "     --parents       one row per live cgroup that zombies died under\n"
	      "     --files         one row per file whose page cache pins a zombie\n"
	      "     --cgroup PATH   only below this cgroup (a path in the memory hierarchy)\n"
	      "     --release       drop the page cache that pins zombies (dry run unless --yes)\n"
	      "     --yes           with --release: do it, then count again\n"
	      "     --pageout-mapped  with --release: page files' mapped pages out of the live\n"
	      "                     processes that map them (MADV_PAGEOUT); they read them\n"
	      "                     back in, charged to their own cgroups\n"
	      "     --watch         report zombies as they appear and are freed (BPF)\n"
	      "     --duration SEC  with --watch: stop after SEC seconds\n"
	      "     --inode-walk    find the files by walking every inode, not the zombies'\n"
	      "                     LRU lists (the fallback; slower, for comparison)\n"
	      "     --no-bpf        cgroupfs figures only\n"
	      " -o, --output LIST   columns to print (+LIST appends to the default)\n"
	      "     --list-columns  list the columns\n"
	      " -J, --json          JSON output\n"
	      " -r, --raw           raw output\n"
	      " -n, --noheadings    no headings, no summary\n"
	      " -b, --bytes         sizes in bytes\n"
	      "     --check         exit 1 when there are zombies\n"
	      " -h, --help          this text\n",
	      f);
}

enum {
	OPT_PARENTS = 0x100,
	OPT_FILES,
	OPT_CGROUP,
	OPT_RELEASE,
	OPT_YES,
	OPT_WATCH,
	OPT_DURATION,
	OPT_NO_BPF,
	OPT_PAGEOUT_MAPPED,
	OPT_INODE_WALK,
};

int cmd_zombies(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		TABLE_CLI_LONG,
		{ "parents", no_argument, NULL, OPT_PARENTS },
		{ "files", no_argument, NULL, OPT_FILES },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "release", no_argument, NULL, OPT_RELEASE },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "watch", no_argument, NULL, OPT_WATCH },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
		{ "pageout-mapped", no_argument, NULL, OPT_PAGEOUT_MAPPED },
		{ "inode-walk", no_argument, NULL, OPT_INODE_WALK },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	TableCli t = { .json = g->json, .check = g->check };
	ZombieOptions zo = { 0 };
	ZombieView view = ZV_ZOMBIES;
	bool view_set = false, release = false, yes = false, watch = false, pageout = false;
	double duration = 0;
	int c;

	while ((c = getopt_long(argc, argv, TABLE_CLI_SHORT "h", opts, NULL)) != -1) {
		if (table_cli_option(&t, c, optarg))
			continue;
		switch (c) {
		case OPT_PARENTS:
			view = ZV_PARENTS;
			view_set = true;
			break;
		case OPT_FILES:
			view = ZV_FILES;
			view_set = true;
			break;
		case OPT_CGROUP:
			zo.subtree = optarg;
			break;
		case OPT_RELEASE:
			release = true;
			break;
		case OPT_YES:
			yes = true;
			break;
		case OPT_WATCH:
			watch = true;
			break;
		case OPT_DURATION:
			if (cli_seconds("--duration", optarg, 0.001, &duration) < 0)
				return EXIT_ERROR;
			break;
		case OPT_NO_BPF:
			zo.no_bpf = true;
			break;
		case OPT_PAGEOUT_MAPPED:
			pageout = true;
			break;
		case OPT_INODE_WALK:
			zo.inode_walk = true;
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
		fprintf(stderr, "residue zombies: unexpected argument '%s'\n", argv[optind]);
		return EXIT_ERROR;
	}
	if ((yes || pageout) && !release) {
		fputs("residue zombies: --yes and --pageout-mapped go with --release\n", stderr);
		return EXIT_ERROR;
	}
	if (watch)
		return zombies_watch(&t, &zo, duration);
	if (release)
		return zombies_release(&t, &zo, yes, pageout);

	const ColumnSet *set = view == ZV_FILES	  ? &zombie_file_column_set :
			       view == ZV_PARENTS ? &parent_column_set :
						    &zombie_column_set;
	int cols = table_cli_columns(&t, set);
	if (cols <= 0)
		return -cols;

	ZombieScan *z = NULL;
	int r = scan_zombies(&zo, &z);
	if (r == -ENOENT && z && !z->version) {
		fputs("residue: no memory cgroup controller is mounted here\n", stderr);
		zombie_scan_free(z);
		return EXIT_ERROR;
	}
	if (r < 0) {
		fprintf(stderr, "residue: zombie scan failed: %s\n", strerror(-r));
		zombie_scan_free(z);
		return EXIT_ERROR;
	}
	r = analyze_zombies(z);
	if (r < 0) {
		zombie_scan_free(z);
		return EXIT_ERROR;
	}
	if (!view_set && !z->used_bpf && !t.output) {
		/* Without the kernel view zombies have no names: show their parents. */
		view = ZV_PARENTS;
		columns_default_in(&parent_column_set, t.to.cols, ARRAY_SIZE(t.to.cols),
				   &t.to.n_cols);
	}
	if (geteuid() != 0 && !t.json && !t.to.raw)
		fputs("residue: not root: counts and bytes only; naming zombies and the files that "
		      "pin them needs root (BPF)\n",
		      stderr);
	warn_bpf_refused(NULL, z);
	if (t.json) {
		json_object *o = render_zombies_json(z, 0);
		r = render_json_print(o, stdout) < 0 ? EXIT_ERROR : 0;
		json_object_put(o);
	} else {
		r = render_zombies_table(z, view, &t.to, stdout) < 0 ? EXIT_ERROR : 0;
		if (!t.to.raw && !t.to.noheadings) {
			fputc('\n', stdout);
			render_zombies_text(z, t.to.bytes, stdout);
			render_gap_list_text(z->gaps, z->n_gaps, stdout);
		}
	}
	if (r == 0 && t.check && z->nr_zombies != ZS_UNKNOWN && z->nr_zombies)
		r = EXIT_FINDINGS;
	zombie_scan_free(z);
	return r;
}
