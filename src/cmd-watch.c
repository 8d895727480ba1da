// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue watch`: the agent's loop in the foreground, printing one line
 * each time a finding appears or goes away, and each time a memory cgroup
 * becomes a zombie or a zombie is freed; with -J one JSON object a line
 * (JSON Lines).  What exists at the start is printed as appearing then.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/agent.h"
#include "base/macro.h"
#include "base/strescape.h"
#include "render/render.h"
#include "residue.h"

typedef struct WatchCli {
	bool json;
	bool check;
	uint64_t alive; /* findings present now, for --check */
} WatchCli;

static void print_json(json_object *o)
{
	render_json_line(o, stdout);
	json_object_put(o);
}

static json_object *json_time(double t)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%.3f", t);
	return json_object_new_double_s(t, buf);
}

static json_object *str_json(const char *s)
{
	_cleanup_free_ char *e = s ? str_escape_utf8(s) : NULL;
	return e ? json_object_new_string(e) : NULL;
}

static void on_finding(void *userdata, const Finding *f, bool appeared, double t)
{
	WatchCli *w = userdata;

	w->alive += appeared ? 1 : -1;
	if (!w->json) {
		_cleanup_free_ char *text = str_escape_text(f->text);
		printf("%c %.3fs %s %s: %s\n", appeared ? '+' : '-', t, f->kind,
		       appeared ? "appeared" : "gone", text ? text : "");
		fflush(stdout);
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_time(t));
	json_object_object_add(o, "event", json_object_new_string(appeared ? "appeared" : "gone"));
	json_object_object_add(o, "kind", json_object_new_string(f->kind));
	json_object_object_add(o, "key", str_json(f->key));
	json_object_object_add(o, "text", str_json(f->text));
	for (size_t i = 0; i < f->n_fields; i++) {
		const FindingField *x = &f->fields[i];
		json_object *v = NULL;
		if (x->value && x->number && x->value[0] == '-')
			v = json_object_new_int64(strtoll(x->value, NULL, 10));
		else if (x->value && x->number)
			v = json_object_new_uint64(strtoull(x->value, NULL, 10));
		else if (x->value)
			v = str_json(x->value);
		json_object_object_add(o, x->name, v);
	}
	print_json(o);
}

static void on_zombie(void *userdata, const ZombieLifeEvent *e, double t)
{
	WatchCli *w = userdata;
	bool freed = e->type == ZOMBIE_FREED;

	if (!w->json) {
		_cleanup_free_ char *p = str_escape_text(e->path);
		if (!freed)
			printf("+ %.3fs zombie_memcg appeared: %s%s (id %llu)\n", t, p ? p : "",
			       e->path_cut ? "..." : "", (unsigned long long)e->cgroup_id);
		else if (e->age_s >= 0)
			printf("- %.3fs zombie_memcg gone: %s%s freed after %.2f s\n", t,
			       p ? p : "", e->path_cut ? "..." : "", e->age_s);
		else
			printf("- %.3fs zombie_memcg gone: %s%s freed (a zombie from before the "
			       "watch)\n",
			       t, p ? p : "", e->path_cut ? "..." : "");
		fflush(stdout);
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_time(t));
	json_object_object_add(o, "event", json_object_new_string(freed ? "gone" : "appeared"));
	json_object_object_add(o, "kind", json_object_new_string("zombie_memcg"));
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(e->cgroup_id));
	json_object_object_add(o, "path", str_json(e->path));
	json_object_object_add(o, "age_s", freed && e->age_s >= 0 ? json_time(e->age_s) : NULL);
	json_object_object_add(o, "before_watch", json_object_new_boolean(e->before_watch));
	print_json(o);
}

static void on_note(void *userdata, int priority, const char *text)
{
	(void)userdata;
	(void)priority;
	fprintf(stderr, "residue: %s\n", text);
}

static void on_scanned(void *userdata, const HostReport *r, int error, const AgentStats *st)
{
	(void)userdata;
	if (!r)
		fprintf(stderr, "residue: scan %llu failed: %s\n", (unsigned long long)st->scans,
			strerror(-error));
	else if (st->scans == 1)
		warn_unprivileged(r->snap);
}

static void usage(FILE *f)
{
	fputs("Usage: residue watch [options]\n"
	      "\n"
	      "Scan in a loop and print one line each time a finding appears or goes away, and\n"
	      "each time a memory cgroup becomes a zombie or a zombie is freed (BPF).\n"
	      "\n"
	      " -J, --json              JSON Lines\n"
	      "     --interval SEC      rescan at least this often (default 60)\n"
	      "     --debounce SEC      after a change, wait this long for quiet (default 1)\n"
	      "     --duration SEC      stop after SEC seconds (default: at SIGINT or SIGTERM)\n"
	      "     --zombie-threshold N  zombie memcgs that make a finding (default 1000)\n"
	      "     --inodes-interval SEC  audit dentries and inodes this often (default 3600;\n"
	      "                         0: never)\n"
	      "     --no-bpf            /proc and cgroupfs only (no zombie lines)\n"
	      "     --check             exit 1 when findings are present at the end\n"
	      " -h, --help              this text\n",
	      f);
}

enum {
	OPT_CHECK = 0x100,
};

int cmd_watch(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "check", no_argument, NULL, OPT_CHECK },
		AGENT_CLI_LONG,
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	WatchCli w = { .json = g->json, .check = g->check };
	AgentOptions ao = {
		.scan = { .long_running = true,
			  .zombies = true,
			  .zombie_files = ZOMBIE_FILES_NEVER,
			  .max_files = 10,
			  .zombie_threshold = g->zombie_threshold,
			  .kernel_log = true,
			  .inodes_interval_s = AGENT_INODES_INTERVAL_S },
		.interval_s = AGENT_INTERVAL_S,
		.debounce_s = AGENT_DEBOUNCE_S,
		.zombie_events = true,
		.mount_events = true,
	};
	int c;

	while ((c = getopt_long(argc, argv, "Jh", opts, NULL)) != -1) {
		int taken = agent_cli_option(&ao, c, optarg);
		if (taken < 0)
			return EXIT_ERROR;
		if (taken)
			continue;
		switch (c) {
		case 'J':
			w.json = true;
			break;
		case OPT_CHECK:
			w.check = true;
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
		fprintf(stderr, "residue watch: unexpected argument '%s'\n", argv[optind]);
		return EXIT_ERROR;
	}
	AgentEvents ev = {
		.userdata = &w,
		.scanned = on_scanned,
		.finding = on_finding,
		.zombie = on_zombie,
		.note = on_note,
	};
	int r = agent_run(&ao, &ev);
	if (r < 0) {
		fprintf(stderr, "residue: watch: %s\n", strerror(-r));
		return EXIT_ERROR;
	}
	return w.check && w.alive ? EXIT_FINDINGS : 0;
}
