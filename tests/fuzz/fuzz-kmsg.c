// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for lib/collect/kmsg.c: the whole input is one record for
 * kmsg_parse_record(), then a sequence of records (a record starts at a line
 * that does not begin with a space, as /dev/kmsg's continuation lines do)
 * for the matcher.  Contracts checked after every call:
 * - parse: 0 or -EINVAL; on failure the output is untouched; on success the
 *   text is NUL-terminated at text_len, holds no NUL, and level/facility
 *   are the PRI's;
 * - match: a record of a facility other than 0 (what userspace can write)
 *   never changes the findings, the counters add up, every string is
 *   terminated within its field, kinds are in range.
 */
#include "fuzz.h"

#include <errno.h>

#include "collect/kmsg.h"

static void check_terminated(const char *s, size_t size)
{
	FUZZ_ASSERT(memchr(s, '\0', size) != NULL);
}

static void check_log(const KernelLog *l)
{
	FUZZ_ASSERT(l->kernel_records <= l->records);
	FUZZ_ASSERT(l->n <= l->kernel_records);
	for (size_t i = 0; i < l->n; i++) {
		const KernelLogFinding *f = &l->items[i];
		FUZZ_ASSERT(f->kind < _KLOG_KIND_MAX);
		FUZZ_ASSERT(f->records >= 1 && f->pid >= 0);
		FUZZ_ASSERT(f->count_known || f->count == 0);
		FUZZ_ASSERT(f->last_ts_usec >= f->ts_usec || f->records > 1);
		check_terminated(f->dev, sizeof(f->dev));
		check_terminated(f->fstype, sizeof(f->fstype));
		check_terminated(f->comm, sizeof(f->comm));
		check_terminated(f->message, sizeof(f->message));
		FUZZ_ASSERT(!strchr(f->message, '\n'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static KmsgRecord r, before;
	char *in = fuzz_dup(data, size, 0);
	int e;

	/* One record. */
	memset(&r, 0x5a, sizeof(r));
	before = r;
	e = kmsg_parse_record(in, size, &r);
	FUZZ_ASSERT(e == 0 || e == -EINVAL);
	if (e < 0) {
		FUZZ_ASSERT(memcmp(&r, &before, sizeof(r)) == 0);
	} else {
		FUZZ_ASSERT(r.text_len < sizeof(r.text) && r.text[r.text_len] == '\0');
		FUZZ_ASSERT(strlen(r.text) == r.text_len);
		FUZZ_ASSERT(r.level <= 7);
		check_terminated(r.subsystem, sizeof(r.subsystem));
		check_terminated(r.device, sizeof(r.device));
	}

	/* A sequence of them. */
	KernelLog log = { 0 };
	KmsgMatcher m;
	kmsg_matcher_init(&m, &log, 1.7e9);
	for (size_t start = 0; start < size;) {
		size_t end = start;
		do {
			const char *nl = memchr(in + end, '\n', size - end);
			end = nl ? (size_t)(nl - in) + 1 : size;
		} while (end < size && in[end] == ' ');
		char *rec = fuzz_dup(in + start, end - start, 0);
		size_t n_before = log.n;
		KernelLogFinding *copy = NULL;
		bool user = kmsg_parse_record(rec, end - start, &r) == 0 && r.facility != 0;
		if (user && n_before) {
			copy = malloc(n_before * sizeof(*copy));
			FUZZ_ASSERT(copy);
			memcpy(copy, log.items, n_before * sizeof(*copy));
		}
		e = kmsg_matcher_feed_raw(&m, rec, end - start);
		FUZZ_ASSERT(e == 0 || e == 1);
		if (user) {
			FUZZ_ASSERT(e == 0 && log.n == n_before);
			FUZZ_ASSERT(!n_before ||
				    memcmp(copy, log.items, n_before * sizeof(*copy)) == 0);
		}
		free(copy);
		free(rec);
		check_log(&log);
		start = end;
	}
	FUZZ_ASSERT(log.records + log.malformed >= 1 || size == 0);
	free(log.items);
	free(in);
	return 0;
}
