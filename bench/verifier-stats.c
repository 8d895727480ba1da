// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the kernel's verifier spends on each program of a BPF object: loads
 * OBJ.bpf.o with libbpf (CO-RE resolved in user space, not by the light
 * skeleton's loader; the verification is the same) at log level 4, which
 * asks the verifier for its statistics only, and prints per program its
 * verification time and the instructions and states it processed, then
 * unloads.  Most of a skeleton's load is this (docs/PERFORMANCE.md).
 *   usage: build/bench/verifier-stats OBJ.bpf.o...   (root; e.g. build/refs.bpf.o)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#define LOG_SIZE (1 << 20)
#define PROGS_MAX 64

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* The first line of @log that starts with @key, without its newline, or "". */
static void line_of(const char *log, const char *key, char *buf, size_t size)
{
	const char *p = strstr(log, key);
	size_t n = p ? strcspn(p, "\n") : 0;

	snprintf(buf, size, "%.*s", (int)n, p ? p : "");
}

static int stats(const char *path)
{
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	char *logs[PROGS_MAX] = { 0 };
	size_t n = 0;
	int r;

	if (!o) {
		fprintf(stderr, "verifier-stats: %s: %s\n", path, strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, o)
	{
		if (n == PROGS_MAX || !(logs[n] = calloc(1, LOG_SIZE)))
			break;
		bpf_program__set_log_level(p, 4);
		bpf_program__set_log_buf(p, logs[n++], LOG_SIZE);
	}
	r = bpf_object__load(o);
	printf("%s%s\n", path, r ? ": did not load" : "");
	n = 0;
	bpf_object__for_each_program(p, o)
	{
		char t[128], s[256];
		if (n == PROGS_MAX || !logs[n])
			break;
		line_of(logs[n], "verification time", t, sizeof(t));
		line_of(logs[n], "processed ", s, sizeof(s));
		printf("  %-16s %-28s %s\n", bpf_program__name(p), t, s);
		free(logs[n++]);
	}
	bpf_object__close(o);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	int r = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJ.bpf.o...\n", argv[0]);
		return 2;
	}
	libbpf_set_print(quiet);
	for (int i = 1; i < argc; i++)
		r |= stats(argv[i]);
	return r;
}
