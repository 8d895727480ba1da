// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for statmount_string(): the input is a raw statmount(2)
 * reply, copied into a buffer of exactly its size.  Every string field is
 * asked for at the offset its own header gives, plus the last and first
 * byte; a returned string must start in the string area and end, with its
 * NUL, inside both the buffer and the reply's own size.
 */
#include "fuzz.h"

#include <stddef.h>

#include "base/procfmt.h"

#define HDR offsetof(struct rs_statmount, str)

static const struct {
	uint64_t mask;
	size_t field;
} fields[] = {
	{ RS_STATMOUNT_FS_TYPE, offsetof(struct rs_statmount, fs_type) },
	{ RS_STATMOUNT_MNT_ROOT, offsetof(struct rs_statmount, mnt_root) },
	{ RS_STATMOUNT_MNT_POINT, offsetof(struct rs_statmount, mnt_point) },
	{ RS_STATMOUNT_MNT_OPTS, offsetof(struct rs_statmount, mnt_opts) },
	{ RS_STATMOUNT_SB_SOURCE, offsetof(struct rs_statmount, sb_source) },
};

static void probe(const struct rs_statmount *sm, size_t size, uint64_t mask, uint32_t off)
{
	const char *s = NULL;

	if (statmount_string(sm, size, mask, off, &s) == 0) {
		const char *base = (const char *)sm;
		size_t limit = sm->size < size ? sm->size : size;
		FUZZ_ASSERT(size >= HDR && (sm->mask & mask));
		FUZZ_ASSERT(s == sm->str + off);
		FUZZ_ASSERT(s + strlen(s) < base + limit);
	} else {
		FUZZ_ASSERT(s == NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* malloc'd, so aligned for the struct's u64 fields. */
	struct rs_statmount *sm = (struct rs_statmount *)fuzz_dup(data, size, 0);

	if (size >= HDR) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			uint32_t off;
			memcpy(&off, (const char *)sm + fields[i].field, sizeof(off));
			probe(sm, size, fields[i].mask, off);
		}
		probe(sm, size, RS_STATMOUNT_FS_TYPE, (uint32_t)(size - HDR - 1));
		probe(sm, size, RS_STATMOUNT_FS_TYPE, (uint32_t)(size - HDR));
		probe(sm, size, RS_STATMOUNT_FS_TYPE, 0);
	} else {
		/* Too short to hold a header: must be refused without reading it. */
		probe(sm, size, RS_STATMOUNT_FS_TYPE, 0);
	}
	free(sm);
	return 0;
}
