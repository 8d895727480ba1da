// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Records of refs.bpf.c's superblock walk → KernelSbs (sbs-decode.h).  What
 * the kernel wrote is trusted only as far as memory safety needs: counts of
 * array entries are clamped, flags outside the known set are ignored.
 */
#include "sbs-decode.h"

#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "base/array.h"
#include "base/macro.h"
#include "base/u64set.h"
#include "refs.h"

_Static_assert(KSB_NS_MAX == RS_SB_NS_MAX, "one namespace list for both sides");

int sbs_decode(Snapshot *s, const void *recs, size_t len, uint64_t page_size)
{
	const struct rs_sb *r = recs;
	size_t n = len / sizeof(*r);
	U64Set seen = { 0 };
	int e = 0;

	if (len % sizeof(*r) || page_size == 0)
		return -EBADMSG;
	/*
	 * Room for all at once, in the array and in the set: 11 000 superblocks
	 * at 1 000 containers, grown a doubling at a time, were page faults of
	 * every doubling's memset and rehash (perf record -e page-faults).
	 */
	if (n) {
		KernelSb *room = array_grow(s->ksbs, sizeof(*s->ksbs), s->n_ksbs + n, &s->cap_ksbs);
		if (!room || u64set_reserve(&seen, s->n_ksbs + n) < 0) {
			u64set_done(&seen);
			return -ENOMEM;
		}
		s->ksbs = room;
	}
	for (size_t i = 0; i < s->n_ksbs && e == 0; i++)
		e = MIN(u64set_add(&seen, s->ksbs[i].dev), 0);
	for (size_t i = 0; i < n && e == 0; i++) {
		uint64_t dev = makedev((unsigned)(r[i].dev >> 20), (unsigned)(r[i].dev & 0xfffff));
		if (u64set_contains(&seen, dev))
			continue;
		KernelSb *k = ARRAY_PUSH(s->ksbs, s->n_ksbs, s->cap_ksbs);
		if (!k || u64set_add(&seen, dev) < 0) {
			e = -ENOMEM;
			break;
		}
		*k = (KernelSb){
			.dev = dev,
			.magic = r[i].magic,
			.mnt_id = r[i].mnt_id,
			.sb_flags = r[i].s_flags,
			.s_active = r[i].s_active,
			.mounts = r[i].mounts,
			.attached = r[i].attached,
			.anon = r[i].anon,
			.orphaned = r[i].orphaned,
			.internal = r[i].internal,
			.n_ns = (uint8_t)(r[i].n_ns < RS_SB_NS_MAX ? r[i].n_ns : RS_SB_NS_MAX),
			.ns_more = r[i].flags & RS_SB_F_NS_MORE,
			.ns_old_ids = r[i].flags & RS_SB_F_OLD_NS_ID,
			.mounts_cut = r[i].flags & RS_SB_F_MOUNTS_CUT,
			.no_root = r[i].flags & RS_SB_F_NO_ROOT,
			.dying = r[i].dying,
			.bytes_known = r[i].flags & RS_SB_F_PAGES,
		};
		/* More namespaces claimed than recorded: some are unknown, as with ns_more. */
		k->ns_more |= r[i].n_ns > RS_SB_NS_MAX;
		memcpy(k->ns_ids, r[i].ns_ids, sizeof(k->ns_ids));
		memcpy(k->ns_inos, r[i].ns_inos, sizeof(k->ns_inos));
		if (k->bytes_known) {
			/* A count no memory could hold is a torn read: unknown, not a huge number. */
			if (r[i].nrpages > UINT64_MAX / page_size)
				k->bytes_known = false;
			else
				k->cached_bytes = r[i].nrpages * page_size;
		}
		if (k->bytes_known)
			k->inodes = r[i].inodes;
	}
	u64set_done(&seen);
	return e;
}

int nsbinds_decode(Snapshot *s, const void *recs, size_t len)
{
	const struct rs_nsbind *r = recs;
	size_t n = len / sizeof(*r);
	U64Set seen = { 0 };
	int e = 0;

	if (len % sizeof(*r))
		return -EBADMSG;
	for (size_t i = 0; i < s->n_knsbinds && e == 0; i++)
		e = MIN(u64set_add(&seen, s->knsbinds[i].mnt_id), 0);
	for (size_t i = 0; i < n && e == 0; i++) {
		if (!r[i].mnt_id || u64set_contains(&seen, r[i].mnt_id))
			continue;
		KernelNsBind *b = ARRAY_PUSH(s->knsbinds, s->n_knsbinds, s->cap_knsbinds);
		if (!b || u64set_add(&seen, r[i].mnt_id) < 0) {
			e = -ENOMEM;
			break;
		}
		*b = (KernelNsBind){
			.mnt_id = r[i].mnt_id,
			.ns_id = r[i].ns_id,
			.target_ino = r[i].target_ino,
			.ns_ino = r[i].ns_ino,
		};
	}
	u64set_done(&seen);
	return e;
}

int fputs_decode(Snapshot *s, const void *recs, size_t len)
{
	const struct rs_fput *r = recs;
	size_t n = len / sizeof(*r);

	if (len % sizeof(*r))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		uint64_t dev = makedev((unsigned)(r[i].dev >> 20), (unsigned)(r[i].dev & 0xfffff));
		if (u64set_add(&s->fput_devs, dev) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A name the kernel handed over, cut at its size and at the first byte that is not printable ASCII. */
static void copy_name(char *dst, size_t size, const char *src, size_t src_size)
{
	size_t n = 0;

	while (n + 1 < size && n < src_size && src[n] > ' ' && src[n] < 0x7f) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = '\0';
}

int sbnames_decode(Snapshot *s, const void *recs, size_t len)
{
	const struct rs_sb_name *r = recs;
	size_t n = len / sizeof(*r);

	if (len % sizeof(*r))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		uint64_t dev = makedev((unsigned)(r[i].dev >> 20), (unsigned)(r[i].dev & 0xfffff));
		KernelSb *k = snapshot_find_ksb(s, dev);
		if (!k || !k->no_root || k->named)
			continue; /* not recorded, or it got its root since (the first record counts) */
		k->named = true;
		k->umount_locked =
			r[i].umount_count & 1; /* RWSEM_WRITER_LOCKED, kernel/locking/rwsem.c */
		copy_name(k->fstype, sizeof(k->fstype), r[i].fstype, sizeof(r[i].fstype));
		copy_name(k->s_id, sizeof(k->s_id), r[i].s_id, sizeof(r[i].s_id));
	}
	return 0;
}
