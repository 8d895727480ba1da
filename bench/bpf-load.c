// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How long the kernel takes to load residue's BPF skeletons: N rounds, each
 * loading and freeing the reference iterators (refs), the memcg walks
 * (memcg) and the kernel-holder programs (kholders) in turn, as a one-shot
 * `residue --json` loads the first two side by side.  Prints the median and
 * the minimum of each.  Most of a load is the verifier and the kernel's own
 * CO-RE relocation (docs/PERFORMANCE.md, "Loading the programs").
 * usage: build/bench/bpf-load [ROUNDS]   (root; default 21)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "bpf/kholders-loader.h"
#include "bpf/memcg-loader.h"
#include "bpf/refs-loader.h"

#define ROUNDS_MAX 1000

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int load_refs(void)
{
	RefsBpf *b;
	int r = refs_bpf_open(&b);
	if (r == 0)
		refs_bpf_free(b);
	return r;
}

static int load_memcg(void)
{
	MemcgBpf *b;
	int r = memcg_bpf_open(&b);
	if (r == 0)
		memcg_bpf_free(b);
	return r;
}

static int load_kholders(void)
{
	KholdersBpf *b;
	int r = kholders_bpf_open(&b);
	if (r == 0)
		kholders_bpf_free(b);
	return r;
}

static const struct {
	const char *name;
	int (*load)(void);
} skeletons[] = { { "refs", load_refs }, { "memcg", load_memcg }, { "kholders", load_kholders } };

#define N_SKELETONS (sizeof(skeletons) / sizeof(skeletons[0]))

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	static double ms[N_SKELETONS][ROUNDS_MAX];

	if (rounds < 1 || rounds > ROUNDS_MAX) {
		fprintf(stderr, "usage: %s [ROUNDS (1-%d)]\n", argv[0], ROUNDS_MAX);
		return 2;
	}
	for (int i = 0; i < rounds; i++)
		for (size_t k = 0; k < N_SKELETONS; k++) {
			double t = mono_ms();
			int r = skeletons[k].load();
			if (r < 0) {
				fprintf(stderr, "bpf-load: %s: %s\n", skeletons[k].name,
					strerror(-r));
				return 1;
			}
			ms[k][i] = mono_ms() - t;
		}
	for (size_t k = 0; k < N_SKELETONS; k++) {
		qsort(ms[k], (size_t)rounds, sizeof(double), cmp_double);
		printf("%-9s median %5.1f ms  min %5.1f ms  (%d loads)\n", skeletons[k].name,
		       ms[k][rounds / 2], ms[k][0], rounds);
	}
	return 0;
}
