// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for the kernel-holder programs' pure half (kholders-decode.c):
 * kholders_decode() (io_uring fixed files, fsopen contexts and overlays →
 * KHolder: devices re-encoded, a context has no file or slot, an overlay no
 * process yet, duplicates and unknown kinds dropped, torn input refused) and inflight_decode() (files in flight
 * → Inflight), on records shaped like those dump_kfiles and dump_inflight
 * wrote on this host (repro/orphan-kholder.sh, orphan-inflight.sh).
 */
#include "tap.h"

#include <errno.h>
#include <sys/sysmacros.h>

#include "bpf/kholders-decode.h"
#include "bpf/kholders.h"
#include "model/snapshot.h"

#define KDEV(ma, mi) (((uint64_t)(ma) << 20) | (mi))

static void test_kholders(void)
{
	const struct rs_kholder r[] = {
		/* /held, fixed file 2 of the ring at fd 4 */
		{ .dev = KDEV(0, 11048),
		  .ino = 2,
		  .pid = 13046,
		  .fd = 4,
		  .index = 2,
		  .kind = RS_KHOLDER_IO_URING },
		/* a context: ino and index are not its to have, whatever the map held */
		{ .dev = KDEV(0, 11049),
		  .ino = 99,
		  .pid = 14376,
		  .fd = 3,
		  .index = 5,
		  .kind = RS_KHOLDER_FSCONTEXT },
		/* the element shown twice */
		{ .dev = KDEV(0, 11048),
		  .ino = 2,
		  .pid = 13046,
		  .fd = 4,
		  .index = 2,
		  .kind = RS_KHOLDER_IO_URING },
		{ .dev = KDEV(7, 3), .pid = 1, .fd = 1, .kind = 77 }, /* unknown kind */
		/* the same file in another slot of the same ring: a holder of its own */
		{ .dev = KDEV(0, 11048),
		  .ino = 2,
		  .pid = 13046,
		  .fd = 4,
		  .index = 9,
		  .kind = RS_KHOLDER_IO_URING },
		/* lower layer 1 of the overlay 0:11050: no process or fd of its own */
		{ .dev = KDEV(0, 11049),
		  .ino = 5,
		  .pid = 77,
		  .fd = 3,
		  .index = 1,
		  .kind = RS_KHOLDER_OVERLAY,
		  .ovl_dev = KDEV(0, 11050) },
	};
	Snapshot *s = snapshot_new();

	CHECK_EQ_INT(kholders_decode(s, r, sizeof(r)), 0);
	if (CHECK_EQ_U64(s->n_kholders, 4)) {
		const KHolder *a = &s->kholders[0], *b = &s->kholders[1], *c = &s->kholders[2];
		CHECK_EQ_U64(a->dev, makedev(0, 11048));
		CHECK_EQ_INT(a->kind, KHOLDER_IO_URING);
		CHECK_EQ_INT(a->pid, 13046);
		CHECK_EQ_INT(a->fd, 4);
		CHECK_EQ_U64(a->index, 2);
		CHECK_EQ_U64(a->ino, 2);
		CHECK_EQ_INT(a->proc, -1);
		CHECK(a->path == NULL);
		CHECK_EQ_U64(b->dev, makedev(0, 11049));
		CHECK_EQ_INT(b->kind, KHOLDER_FSCONTEXT);
		CHECK_EQ_U64(b->ino, 0);
		CHECK_EQ_U64(b->index, 0);
		CHECK_EQ_U64(c->index, 9);
		CHECK_EQ_U64(c->ovl_dev, 0);
		const KHolder *d = &s->kholders[3];
		CHECK_EQ_INT(d->kind, KHOLDER_OVERLAY);
		CHECK_EQ_U64(d->dev, makedev(0, 11049));
		CHECK_EQ_U64(d->ovl_dev, makedev(0, 11050));
		CHECK_EQ_U64(d->index, 1);
		CHECK_EQ_INT(d->pid, 0);
		CHECK_EQ_INT(d->fd, -1);
		CHECK_EQ_U64(d->ino, 0);
	}
	/* Decoded again (a second run into the same snapshot): nothing new. */
	CHECK_EQ_INT(kholders_decode(s, r, sizeof(r)), 0);
	CHECK_EQ_U64(s->n_kholders, 4);
	/* Not whole records: refused, the snapshot untouched. */
	CHECK_EQ_INT(kholders_decode(s, r, sizeof(r) - 1), -EBADMSG);
	CHECK_EQ_U64(s->n_kholders, 4);
	CHECK_EQ_INT(kholders_decode(s, NULL, 0), 0);
	snapshot_free(s);
}

static void test_inflight(void)
{
	const struct rs_inflight r[] = {
		{ .sk = 0x1000,
		  .sock_ino = 5001,
		  .dev = KDEV(0, 71),
		  .ino = 2,
		  .kind = RS_INFLIGHT_FILE },
		{ .sk = 0x2000,
		  .sock_ino = 5002,
		  .dev = KDEV(0, 99),
		  .ino = 7,
		  .file_sk = 0x3000,
		  .kind = RS_INFLIGHT_EMBRYO }, /* an embryo has no file: dev and ino dropped */
		{ .sk = 0x1000,
		  .sock_ino = 5001,
		  .dev = KDEV(0, 71),
		  .ino = 2,
		  .kind = RS_INFLIGHT_FILE }, /* shown twice */
		{ .sk = 0x4000, .kind = 0 },
	};
	Snapshot *s = snapshot_new();

	CHECK_EQ_INT(inflight_decode(s, r, sizeof(r)), 0);
	if (CHECK_EQ_U64(s->n_inflight, 2)) {
		CHECK_EQ_U64(s->inflight[0].dev, makedev(0, 71));
		CHECK_EQ_INT(s->inflight[0].owner_proc, -1);
		CHECK_EQ_U64(s->inflight[1].dev, 0);
		CHECK_EQ_U64(s->inflight[1].ino, 0);
		CHECK_EQ_U64(s->inflight[1].file_sk, 0x3000);
	}
	CHECK_EQ_INT(inflight_decode(s, r, sizeof(r[0]) + 3), -EBADMSG);
	CHECK_EQ_U64(s->n_inflight, 2);
	snapshot_free(s);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_kholders);
	RUN(test_inflight);
	return tap_done();
}
