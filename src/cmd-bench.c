// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue bench masks` and `residue bench mountinfo`: reproduce, on the
 * user's own kernel, the two costs residue's census reports (issue 3) -- one
 * tmpfs superblock per masked directory, and large mount tables read while
 * mounts churn.  Parses the options, installs the interruption guard, runs
 * lib/bench and renders the result; on SIGINT/SIGTERM/SIGHUP the benchmark
 * cleans up and the signal is re-raised.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench-masks.h"
#include "bench/bench-mountinfo.h"
#include "bench/bench-render.h"
#include "bench/guard.h"
#include "render/render.h"
#include "residue.h"

static void usage(FILE *f)
{
	fputs("Usage:\n"
	      " residue bench masks [options]       start/stop container namespaces with masks\n"
	      " residue bench mountinfo [options]   read a big mount table while mounts churn\n"
	      "\n"
	      "Both need root, mount only inside mount namespaces they create, and remove\n"
	      "everything they made, also when interrupted.  'residue bench SUB --help'.\n",
	      f);
}

static void usage_masks(FILE *f)
{
	fputs("Usage: residue bench masks [options]\n"
	      "\n"
	      "Start K container-like mount namespaces with N read-only directory masks each,\n"
	      "P at a time, keep them all, then stop them; once per masking style.\n"
	      "\n"
	      " -K, --containers K   containers per style (default 50)\n"
	      " -N, --masks N        directory masks per container (default: CPUs + 5, as\n"
	      "                      Kubernetes masks one thermal_throttle per CPU)\n"
	      " -P, --workers P      parallel workers starting and stopping (default 2)\n"
	      "     --style STYLE    tmpfs-per-mask, shared-tmpfs, shared-dir or all (default)\n"
	      " -J, --json           JSON output\n"
	      " -r, --raw            raw table\n"
	      " -n, --noheadings     no headings, no legend\n"
	      " -h, --help           this text\n",
	      f);
}

static void usage_mountinfo(FILE *f)
{
	fputs("Usage: residue bench mountinfo [options]\n"
	      "\n"
	      "In a private mount namespace with M extra tmpfs mounts, R readers read the whole\n"
	      "mount table with each method while W workers mount and unmount a tmpfs.\n"
	      "\n"
	      " -M, --mounts M       mounts to add (default 2000)\n"
	      " -R, --readers R      reader threads (default 2)\n"
	      " -W, --workers W      churn workers, 0 for none (default 1)\n"
	      " -t, --time SECONDS   per method (default 5)\n"
	      " -m, --method LIST    mountinfo, listmount+statmount (or statmount), listmount,\n"
	      "                      all; comma-separated (default mountinfo,listmount+statmount)\n"
	      " -J, --json           JSON output\n"
	      " -r, --raw            raw table\n"
	      " -n, --noheadings     no headings, no legend\n"
	      " -h, --help           this text\n",
	      f);
}

/* @s as an unsigned in [min, max], else an error message and -EINVAL. */
static int parse_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "residue: %s wants a whole number from %u to %u, not '%s'\n", opt,
			min, max, s);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int parse_methods(const char *spec, unsigned *ret)
{
	_cleanup_free_ char *copy = strdup(spec);
	unsigned bits = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int m;
		if (strcmp(tok, "all") == 0) {
			bits |= (1U << _BENCH_READ_MAX) - 1;
			continue;
		}
		m = bench_read_method_from_string(tok);
		if (m < 0) {
			fprintf(stderr, "residue: unknown method '%s'\n", tok);
			return -EINVAL;
		}
		bits |= 1U << m;
	}
	if (!bits) {
		fprintf(stderr, "residue: no method in '%s'\n", spec);
		return -EINVAL;
	}
	*ret = bits;
	return 0;
}

/* After a run: the error once, or re-raise the stop signal once everything is cleaned up. */
static int bench_failed(const char *what, int r, const BenchError *e)
{
	if (r == -EINTR && bench_guard_signal()) {
		fprintf(stderr, "residue: bench %s: interrupted, cleaned up\n", what);
		bench_guard_reraise();
		return 128 + SIGINT; /* not reached unless the signal is ignored */
	}
	bench_guard_uninstall();
	fprintf(stderr, "residue: bench %s: %s\n", what, e->msg[0] ? e->msg : strerror(-r));
	if (e->err == EPERM)
		fprintf(stderr,
			"residue: bench %s needs root (CAP_SYS_ADMIN) to create mount "
			"namespaces\n",
			what);
	return EXIT_ERROR;
}

static int print_json(json_object *o)
{
	int r;

	if (!o)
		return EXIT_ERROR;
	r = render_json_print(o, stdout) < 0 ? EXIT_ERROR : 0;
	json_object_put(o);
	return r;
}

static int bench_masks(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "containers", required_argument, NULL, 'K' },
		{ "masks", required_argument, NULL, 'N' },
		{ "workers", required_argument, NULL, 'P' },
		{ "style", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	BenchMasksOptions o = { .containers = 50, .workers = 2 };
	BenchMasksResult res[_BENCH_MASK_MAX] = { 0 };
	TableCli t = { .json = g->json };
	BenchError e = { 0 };
	BenchHost host;
	bool want[_BENCH_MASK_MAX] = { true, true, true };
	size_t n = 0;
	int c, r;

	bench_host_read(&host);
	o.masks = host.cpus + 5;
	while ((c = getopt_long(argc, argv, "K:N:P:Jrnh", opts, NULL)) != -1) {
		if (table_cli_option(&t, c, optarg))
			continue;
		switch (c) {
		case 'K':
			if (parse_uint("-K", optarg, 1, 100000, &o.containers) < 0)
				return EXIT_ERROR;
			break;
		case 'N':
			if (parse_uint("-N", optarg, 1, 10000, &o.masks) < 0)
				return EXIT_ERROR;
			break;
		case 'P':
			if (parse_uint("-P", optarg, 1, 1024, &o.workers) < 0)
				return EXIT_ERROR;
			break;
		case 'S':
			if (strcmp(optarg, "all") == 0) {
				for (int i = 0; i < _BENCH_MASK_MAX; i++)
					want[i] = true;
			} else {
				int s = bench_mask_style_from_string(optarg);
				if (s < 0) {
					fprintf(stderr, "residue: unknown style '%s'\n", optarg);
					return EXIT_ERROR;
				}
				for (int i = 0; i < _BENCH_MASK_MAX; i++)
					want[i] = i == s;
			}
			break;
		case 'h':
			usage_masks(stdout);
			return 0;
		default:
			usage_masks(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "residue: bench masks: unexpected argument '%s'\n", argv[optind]);
		return EXIT_ERROR;
	}
	if (o.workers > o.containers)
		o.workers = o.containers;

	r = bench_guard_install(o.containers);
	if (r < 0) {
		fprintf(stderr, "residue: bench masks: %s\n", strerror(-r));
		return EXIT_ERROR;
	}
	for (int i = 0; i < _BENCH_MASK_MAX; i++) {
		if (!want[i])
			continue;
		if (g->verbose)
			fprintf(stderr, "residue: bench masks: %s...\n",
				bench_mask_style_to_string((BenchMaskStyle)i));
		r = bench_masks_run(&o, (BenchMaskStyle)i, &res[n], &e);
		if (r < 0)
			return bench_failed("masks", r, &e);
		n++;
	}
	bench_guard_uninstall();
	if (t.json)
		return print_json(bench_masks_json(&host, &o, res, n));
	return bench_masks_table(&host, &o, res, n, &t.to, stdout) < 0 ? EXIT_ERROR : 0;
}

static int bench_mountinfo(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mounts", required_argument, NULL, 'M' },
		{ "readers", required_argument, NULL, 'R' },
		{ "workers", required_argument, NULL, 'W' },
		{ "time", required_argument, NULL, 't' },
		{ "method", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'J' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	BenchMountinfoOptions o = {
		.mounts = 2000,
		.readers = 2,
		.workers = 1,
		.seconds = 5,
		.methods = BENCH_READ_DEFAULT,
	};
	BenchMountinfoReport rep;
	TableCli t = { .json = g->json };
	BenchError e = { 0 };
	BenchHost host;
	int c, r;

	bench_host_read(&host);
	while ((c = getopt_long(argc, argv, "M:R:W:t:m:Jrnh", opts, NULL)) != -1) {
		if (table_cli_option(&t, c, optarg))
			continue;
		switch (c) {
		case 'M':
			if (parse_uint("-M", optarg, 0, 90000, &o.mounts) < 0)
				return EXIT_ERROR;
			break;
		case 'R':
			if (parse_uint("-R", optarg, 1, 1024, &o.readers) < 0)
				return EXIT_ERROR;
			break;
		case 'W':
			if (parse_uint("-W", optarg, 0, 1024, &o.workers) < 0)
				return EXIT_ERROR;
			break;
		case 't': {
			char *end;
			errno = 0;
			o.seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o.seconds > 0) ||
			    o.seconds > 3600) {
				fprintf(stderr,
					"residue: -t wants seconds above 0 and at most 3600, not "
					"'%s'\n",
					optarg);
				return EXIT_ERROR;
			}
			break;
		}
		case 'm':
			if (parse_methods(optarg, &o.methods) < 0)
				return EXIT_ERROR;
			break;
		case 'h':
			usage_mountinfo(stdout);
			return 0;
		default:
			usage_mountinfo(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "residue: bench mountinfo: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_ERROR;
	}

	r = bench_guard_install(1);
	if (r < 0) {
		fprintf(stderr, "residue: bench mountinfo: %s\n", strerror(-r));
		return EXIT_ERROR;
	}
	r = bench_mountinfo_run(&o, &rep, &e);
	if (r < 0)
		return bench_failed("mountinfo", r, &e);
	bench_guard_uninstall();
	if (t.json)
		return print_json(bench_mountinfo_json(&host, &o, &rep));
	return bench_mountinfo_table(&host, &o, &rep, &t.to, stdout) < 0 ? EXIT_ERROR : 0;
}

int cmd_bench(const GlobalOptions *g, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : EXIT_ERROR;
	}
	/* getopt sees "SUB [options]": argv[0] is the sub-command, as for a verb. */
	optind = 0;
	if (strcmp(sub, "masks") == 0)
		return bench_masks(g, argc - 1, argv + 1);
	if (strcmp(sub, "mountinfo") == 0)
		return bench_mountinfo(g, argc - 1, argv + 1);
	fprintf(stderr, "residue: bench: unknown sub-command '%s'\n", sub);
	usage(stderr);
	return EXIT_ERROR;
}
