// SPDX-License-Identifier: LGPL-2.1-or-later
/* Checking and decoding inodes.bpf.c's records (inodes-decode.h). */
#include "inodes-decode.h"

#include <errno.h>
#include <string.h>

#include "inodes.h"

_Static_assert(sizeof(struct rs_ino_rec) == 120,
	       "struct rs_ino_rec is kernel ABI with inodes.bpf.c");
_Static_assert(sizeof(struct rs_holder) == 32, "struct rs_holder is kernel ABI with inodes.bpf.c");
_Static_assert((int)INO_OBJ_SKIPPED == (int)RS_IR_SKIPPED && (int)_INO_OBJ_MAX == (int)_RS_IR_MAX,
	       "InoObjKind mirrors enum rs_ir_kind");
_Static_assert((int)INO_HOLD_CURSOR == (int)RS_HOLD_CURSOR &&
		       (int)_INO_HOLD_MAX == (int)_RS_HOLD_MAX,
	       "InoHolderKind mirrors enum rs_holder_kind");
_Static_assert((int)INO_F_MOUNTS_CUT == (int)RS_IR_F_MOUNTS_CUT &&
		       (int)INO_F_MARKS == (int)RS_IR_F_MARKS &&
		       (int)INO_F_S_ROOT == (int)RS_IR_F_S_ROOT &&
		       (int)INO_F_PATH_CUT == (int)RS_IR_F_PATH_CUT,
	       "INO_F_* mirror RS_IR_F_*");

#define INO_F_ALL ((1U << 16) - 1)

int inodes_decode_walk(InoSample *s, const void *buf, size_t len)
{
	const char *p = buf;

	for (size_t off = 0; off < len; off += sizeof(struct rs_ino_rec)) {
		struct rs_ino_rec r;
		if (len - off < sizeof(r))
			return -EBADMSG;
		memcpy(&r, p + off, sizeof(r));
		if (r.kind < RS_IR_SB || r.kind >= _RS_IR_MAX || r.name_len > sizeof(r.name) ||
		    (r.flags & ~INO_F_ALL))
			return -EBADMSG;
		InoObj o = {
			.dentry = r.dentry,
			.inode = r.inode,
			.aux = r.aux,
			.dev = r.dev,
			.ino = r.ino,
			.parent_ino = r.parent_ino,
			.d_count = r.d_count,
			.children = r.children,
			.i_count = r.i_count,
			.aliases = r.aliases,
			.magic = r.magic,
			.mode = r.mode,
			.flags = r.flags,
			.mounts = r.mounts,
			.kind = (uint8_t)r.kind,
		};
		/* The kernel's string ends at its NUL; name_len says how much of the name fits. */
		size_t n = strnlen(r.name, sizeof(r.name));
		if (n > r.name_len)
			n = r.name_len;
		memcpy(o.name, r.name, n);
		o.name[n] = '\0';
		int e = ino_sample_add_obj(s, &o);
		if (e < 0)
			return e;
	}
	return 0;
}

int inodes_decode_holders(InoSample *s, const void *buf, size_t len)
{
	const char *p = buf;

	for (size_t off = 0; off < len; off += sizeof(struct rs_holder)) {
		struct rs_holder h;
		if (len - off < sizeof(h))
			return -EBADMSG;
		memcpy(&h, p + off, sizeof(h));
		if (h.kind == RS_HOLD_UNSEEN) {
			if (h.fd == RS_UNSEEN_EXITING)
				s->unseen_exiting++;
			else if (h.fd == RS_UNSEEN_EXEC)
				s->unseen_exec++;
			else
				return -EBADMSG;
			continue;
		}
		if (h.kind < RS_HOLD_FD || h.kind >= _RS_HOLD_MAX || !h.dentry)
			return -EBADMSG;
		InoHolder o = {
			.dentry = h.dentry,
			.obj = h.obj,
			.pid = h.pid,
			.fd = h.fd,
			.kind = (uint8_t)h.kind,
		};
		int e = ino_sample_add_holder(s, &o);
		if (e < 0)
			return e;
	}
	return 0;
}
