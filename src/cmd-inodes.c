// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue inodes [DEV]`: audit the dentries and inodes of one superblock,
 * or of all, for the two shapes of a leaked kernel reference: dentries
 * stranded under a root umount never reaches, and counts that no child,
 * open file, mapping, cwd, root, exe or mount explains.  Two samples; a
 * finding is what both show.  BPF only: without it, one line says so.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "collect/inodes.h"
#include "render/render.h"
#include "residue.h"

static void usage(FILE *f)
{
	fputs("Usage: residue inodes [options] [DEV]\n"
	      "\n"
	      "Leaked dentry and inode references on one filesystem (DEV: MAJ:MIN, a mount\n"
	      "point, or /dev/NAME) or on every one: dentries stranded under a root that\n"
	      "umount never reaches, and counts that nothing residue knows of explains.\n"
	      "Two samples; a finding is what both show with the same count.\n"
	      "\n"
	      "     --interval SEC  time between the two samples (default 0.25)\n"
	      "     --chunk N       inodes walked per RCU read section (default 65536)\n"
	      " -o, --output LIST   columns to print (+LIST appends to the default)\n"
	      "     --list-columns  list the columns\n"
	      " -J, --json          JSON output\n"
	      " -r, --raw           raw output\n"
	      " -n, --noheadings    no headings, no summary\n"
	      "     --check         exit 1 when something is found, 2 when it could not look\n"
	      " -h, --help          this text\n",
	      f);
}

enum {
	OPT_INTERVAL = 0x100,
	OPT_CHUNK,
};

int cmd_inodes(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		TABLE_CLI_LONG,
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	TableCli t = { .json = g->json, .check = g->check };
	InodeAuditOptions io = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, TABLE_CLI_SHORT "h", opts, NULL)) != -1) {
		if (table_cli_option(&t, c, optarg))
			continue;
		switch (c) {
		case OPT_INTERVAL:
			if (cli_seconds("--interval", optarg, 0.001, &io.interval_s) < 0)
				return EXIT_ERROR;
			break;
		case OPT_CHUNK:
			if (cli_count("--chunk", optarg, 1, &io.chunk) < 0)
				return EXIT_ERROR;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "residue inodes: unexpected argument '%s'\n", argv[optind + 1]);
		return EXIT_ERROR;
	}
	if (optind < argc) {
		int r = inode_audit_parse_dev(argv[optind], &io.dev);
		if (r < 0) {
			fprintf(stderr, "residue inodes: %s: no such device or mount point (%s)\n",
				argv[optind], strerror(-r));
			return EXIT_ERROR;
		}
	}
	int cols = table_cli_columns(&t, &inode_column_set);
	if (cols <= 0)
		return -cols;

	InodeAudit *a = NULL;
	int r = audit_inodes(&io, &a);
	if (r < 0) {
		fprintf(stderr, "residue: inode audit failed: %s\n", strerror(-r));
		return EXIT_ERROR;
	}
	if (!a->ran)
		fprintf(stderr,
			"residue: the inode audit needs BPF (root, or CAP_BPF and CAP_PERFMON, and "
			"kernel BTF): %s; /proc shows no dentry or inode counts\n",
			strerror(-a->error));
	if (g->verbose)
		fprintf(stderr,
			"residue: inodes: %zu superblocks (%llu skipped), %llu inodes, %llu "
			"dentries, %u chunks; walk %.1f + %.1f ms, holders %.1f + %.1f ms, %.1f ms "
			"in all\n",
			a->n_sbs, (unsigned long long)a->sbs_skipped, (unsigned long long)a->inodes,
			(unsigned long long)a->dentries, a->chunks, a->walk_ms[0], a->walk_ms[1],
			a->holders_ms[0], a->holders_ms[1], a->ms);
	if (t.json) {
		json_object *o = render_inodes_json(a, true);
		r = render_json_print(o, stdout) < 0 ? EXIT_ERROR : 0;
		json_object_put(o);
	} else {
		r = render_inodes_table(a, &t.to, stdout) < 0 ? EXIT_ERROR : 0;
		if (!t.to.raw && !t.to.noheadings) {
			if (a->n_findings)
				fputc('\n', stdout);
			render_inodes_text(a, stdout);
			render_gap_list_text(a->gaps, a->n_gaps, stdout);
		}
	}
	if (r == 0 && t.check)
		r = a->n_findings ? EXIT_FINDINGS : a->ran && a->complete ? 0 : EXIT_ERROR;
	inode_audit_free(a);
	return r;
}
