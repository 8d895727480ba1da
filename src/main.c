// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * residue: find what dead containers leave in the kernel.  main() parses the
 * global options, dispatches to a verb, and owns the shared scan helper and
 * the one-line notice about missing privilege.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/privilege.h"
#include "residue.h"

static void usage(FILE *f)
{
	fputs("Usage:\n"
	      " residue [options]                    one-screen summary of everything found\n"
	      " residue orphans [options]            orphaned filesystems and process-less mount namespaces\n"
	      " residue mounts [options]             mount-namespace census: mounts, masks, duplicates\n"
	      " residue zombies [options]            removed memory cgroups kept alive by page cache\n"
	      " residue inodes [DEV]                 leaked dentry and inode references (BPF)\n"
	      " residue release DEV --delete-unheld  free an orphaned tmpfs (dry run unless --yes)\n"
	      " residue release DEV --detach-loops|--drain-inflight|--unregister\n"
	      "                                      let go of the kernel objects keeping it (dry run)\n"
	      " residue serve [options]              the agent: rescan in a loop, serve /metrics over HTTP\n"
	      " residue watch [options]              print findings as they appear and go away\n"
	      " residue bench masks|mountinfo        reproduce the mask and mount-table costs (root)\n"
	      "\n"
	      "Options:\n"
	      " -J, --json          the whole report as JSON\n"
	      "     --prometheus    the report as Prometheus metrics (docs/METRICS.md)\n"
	      "     --output FILE   with --prometheus: write FILE atomically (node_exporter textfiles)\n"
	      "     --max-orphan-series N, --top-parents N  with --prometheus: bound the series\n"
	      "     --check         one line saying what was found; exit 1 found, 2 unknown\n"
	      "     --zombie-threshold N  zombie memory cgroups that make a finding (default 1000)\n"
	      "     --inodes        audit dentries and inodes too (residue inodes; about a second)\n"
	      " -v, --verbose       say which kernel interfaces were used\n"
	      " -h, --help          this text; 'residue VERB --help' for a verb's options\n"
	      " -V, --version       print the version\n"
	      "\n"
	      "Exit status: 0 the scan worked, 1 findings with --check, 2 error (with --check\n"
	      "also: nothing found, but the scan was incomplete: unknown).\n"
	      "See residue(8).\n",
	      f);
}

int run_scan(const ScanOptions *so, Snapshot **ret_snap, OrphanReport **ret_rep, double *ret_ms)
{
	struct timespec a, b;
	Snapshot *s = NULL;
	OrphanReport *rep = NULL;

	clock_gettime(CLOCK_MONOTONIC, &a);
	int r = scan_host(so, &s);
	if (r < 0) {
		fprintf(stderr, "residue: scan failed: %s\n", strerror(-r));
		return EXIT_ERROR;
	}
	r = analyze_orphans(s, &rep);
	if (r < 0) {
		fprintf(stderr, "residue: analysis failed: %s\n", strerror(-r));
		snapshot_free(s);
		return EXIT_ERROR;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (ret_ms)
		*ret_ms =
			(double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	*ret_snap = s;
	*ret_rep = rep;
	return 0;
}

void report_interfaces(const GlobalOptions *g, const Snapshot *s)
{
	if (!g->verbose)
		return;
	fprintf(stderr, "residue: mount namespaces: %s; mount tables: %s; mount ids: %s\n",
		s->ns_walk ? "nsfs NS_MNT_GET_PREV/NEXT walk" : "/proc/PID/ns/mnt scan",
		s->has_listmount ? "listmount(2)" : "/proc/PID/mountinfo",
		s->has_listmount ? "64-bit unique (STATX_MNT_ID_UNIQUE)" : "32-bit (STATX_MNT_ID)");
	fprintf(stderr, "residue: %zu kernel-internal mounts calibrated; %s\n",
		s->internal_mnt_ids.len,
		!s->live_devs_known ?
			"no unattached reference: mount details not needed" :
		s->knsbinds_complete && s->has_listmount ?
			"mounted superblocks and nsfs binds from the superblock walk" :
			"superblocks of all mounts read (statmount/mountinfo)");
	size_t mounts = 0;
	for (size_t i = 0; i < s->n_nss; i++)
		mounts += s->nss[i].n_mnt_ids;
	fprintf(stderr,
		"residue: mount tables of %zu namespaces, %zu mounts: %u listmount, %u statmount, "
		"%u mountinfo reads\n",
		s->n_nss, mounts, s->reads.listmount, s->reads.statmount, s->reads.mountinfo);
	if (s->used_bpf)
		fprintf(stderr, "residue: references: BPF iterators (task, task_file, task_vma)\n");
	else
		fprintf(stderr,
			"residue: references: /proc/PID/{fd,maps,map_files,cwd,root,exe}%s%s\n",
			s->bpf_error ? "; BPF tier unavailable: " : "",
			s->bpf_error ? strerror(s->bpf_error) : "");
	for (size_t i = 0; i < s->n_phases; i++)
		fprintf(stderr, "residue: %7.1f ms  %s\n", s->phases[i].ms, s->phases[i].name);
}

/* One line: each missing capability and what it costs (the gaps say the same, per capability). */
void warn_unprivileged(const Snapshot *s)
{
	size_t n;
	const PrivilegeNeed *need = privilege_needs(&n);
	const char *sep = "";

	if (s->privileged)
		return;
	if (s->uid != 0)
		fprintf(stderr, "residue: running as uid %u without ", (unsigned)s->uid);
	else
		fputs("residue: without ", stderr);
	for (size_t i = 0; i < n; i++) {
		if (!(s->caps_missing & (1ULL << need[i].cap)))
			continue;
		fprintf(stderr, "%s%s (%s)", sep, need[i].name, need[i].cost);
		sep = ", ";
	}
	fputs("; showing what can be seen\n", stderr);
}

/* One line when the kernel refused BPF: what was read instead and what is missing (the gaps name the errno). */
void warn_bpf_refused(const Snapshot *s, const ZombieScan *z)
{
	char line[512];

	if (render_bpf_refusal(s, z, 0, 0, line, sizeof(line)))
		fprintf(stderr, "residue: %s\n", line);
}

int main(int argc, char **argv)
{
	enum {
		OPT_PROMETHEUS = 0x100,
		OPT_OUTPUT,
		OPT_ZOMBIE_THRESHOLD,
		OPT_MAX_ORPHAN_SERIES,
		OPT_TOP_PARENTS,
		OPT_INODES,
	};
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "check", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "zombie-threshold", required_argument, NULL, OPT_ZOMBIE_THRESHOLD },
		{ "max-orphan-series", required_argument, NULL, OPT_MAX_ORPHAN_SERIES },
		{ "top-parents", required_argument, NULL, OPT_TOP_PARENTS },
		{ "inodes", no_argument, NULL, OPT_INODES },
		{},
	};
	GlobalOptions g = { .max_orphan_series = UINT64_MAX, .top_parents = UINT64_MAX };
	int c;

	/*
	 * Keep residue serve's RSS flat from one rescan to the next.  A scan runs
	 * short-lived threads (the program load, the mappings and superblock
	 * walk, a one-shot scan's zombies), and each new thread would get a
	 * malloc arena of its own, whose heap keeps what it once held: one arena.
	 * And a fixed mmap threshold: glibc raises it each time a large block
	 * (an iterator's buffer, a map drain's arrays) is freed, and from then
	 * on such blocks stay in the heap at whatever height it reached.  With
	 * both, 20 s of rescans at --interval 0.05 stay within 80 KiB of 14.8
	 * MiB, where RSS swung by 2-4 MiB (stress.sh's check failed 1 run in 3).
	 */
	(void)mallopt(M_ARENA_MAX, 1);
	(void)mallopt(M_MMAP_THRESHOLD, 128 << 10);

	/* Global options stop at the verb; the verb parses the rest. */
	while ((c = getopt_long(argc, argv, "+JvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
			g.json = true;
			break;
		case 'C':
			g.check = true;
			break;
		case 'v':
			g.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("residue %s\n", RESIDUE_VERSION);
			return 0;
		case OPT_PROMETHEUS:
			g.prometheus = true;
			break;
		case OPT_OUTPUT:
			g.output = optarg;
			break;
		case OPT_ZOMBIE_THRESHOLD:
			if (cli_count("--zombie-threshold", optarg, 1, &g.zombie_threshold) < 0)
				return EXIT_ERROR;
			break;
		case OPT_MAX_ORPHAN_SERIES:
			if (cli_count("--max-orphan-series", optarg, 0, &g.max_orphan_series) < 0)
				return EXIT_ERROR;
			break;
		case OPT_INODES:
			g.inodes = true;
			break;
		case OPT_TOP_PARENTS:
			if (cli_count("--top-parents", optarg, 0, &g.top_parents) < 0)
				return EXIT_ERROR;
			break;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	argc -= optind;
	argv += optind;
	if (g.output && !g.prometheus) {
		fputs("residue: --output goes with --prometheus\n", stderr);
		return EXIT_ERROR;
	}
	optind = 0; /* reset getopt for the verb (glibc: 0 re-initialises) */
	if (argc == 0)
		return cmd_summary(&g, argc, argv);
	if (strcmp(argv[0], "orphans") == 0)
		return cmd_orphans(&g, argc, argv);
	if (strcmp(argv[0], "bench") == 0)
		return cmd_bench(&g, argc, argv);
	if (strcmp(argv[0], "mounts") == 0)
		return cmd_mounts(&g, argc, argv);
	if (strcmp(argv[0], "zombies") == 0)
		return cmd_zombies(&g, argc, argv);
	if (strcmp(argv[0], "inodes") == 0)
		return cmd_inodes(&g, argc, argv);
	if (strcmp(argv[0], "release") == 0)
		return cmd_release(&g, argc, argv);
	if (strcmp(argv[0], "serve") == 0)
		return cmd_serve(&g, argc, argv);
	if (strcmp(argv[0], "watch") == 0)
		return cmd_watch(&g, argc, argv);
	fprintf(stderr, "residue: unknown verb '%s'\n", argv[0]);
	usage(stderr);
	return EXIT_ERROR;
}
