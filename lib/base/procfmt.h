/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for the text formats of /proc and the statmount(2) buffer.  They
 * take bytes and a length, never trust either (every one is fuzzed), never
 * allocate unless they return a string, and return 0 or -EINVAL/-ENOENT.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"

typedef struct FdInfo {
	uint64_t pos;
	uint32_t flags; /* open(2) flags, octal in the file */
	uint32_t mnt_id; /* the old 32-bit id mountinfo shows */
	uint64_t ino;
	uint32_t scm_fds; /* a unix socket: files in flight in its queue (6.x) */
	uint32_t user_files; /* an io_uring ring: its registered (fixed) file slots */
	bool has_flags, has_mnt_id, has_ino, has_scm_fds, has_user_files;
} FdInfo;

/* /proc/PID/fdinfo/N */
int parse_fdinfo(const char *buf, size_t len, FdInfo *ret);

/*
 * The fdinfo of an io_uring ring lists its fixed files after "UserFiles:", a
 * line "%5u: PATH" each (\ooo-escaped, decoded here); older kernels (Debian's
 * 6.1) the file's name alone, and "<none>" for an empty slot.  Fixed file @index: 0 with a
 * malloc'd path in *@ret_path, or NULL there when the slot shows no path;
 * -ENOENT when it is not listed (the kernel lists nothing while the ring is
 * busy: it only trylocks it), -ENOMEM.
 */
int parse_fdinfo_user_file(const char *buf, size_t len, uint32_t index, char **ret_path);

/*
 * /proc/PID/cgroup: the path a user would call "the container".  Prefers the
 * v1 memory hierarchy (what memory is charged to), then the v2 "0::" line,
 * then name=systemd.  Returns a malloc'd string.
 */
int parse_proc_cgroup(const char *buf, size_t len, char **ret_path);

/* "mnt:[4026531832]" -> 4026531832 when the prefix matches @type ("mnt"). */
int parse_ns_link(const char *s, size_t len, const char *type, uint64_t *ret_ino);

/*
 * /proc/PID/stat: field 9, the task's flags (PF_*, include/linux/sched.h),
 * after the last ')' so that any command name parses.
 */
int parse_proc_stat_flags(const char *buf, size_t len, uint64_t *ret_flags);

/* "7f1c2a000000-7f1c2a001000" (a /proc/PID/map_files entry name) */
int parse_map_range(const char *s, size_t len, uint64_t *ret_start, uint64_t *ret_end);

/*
 * /proc/PID/maps: the permission string ("rw-s") of the mapping that starts
 * at @start.  -ENOENT when no line starts there.
 */
int parse_maps_perms(const char *buf, size_t len, uint64_t start, char ret_perms[5]);

typedef struct MapsEntry {
	uint64_t start, end;
	char perms[5];
	uint32_t major, minor; /* of the file's superblock; 0:0 for anonymous memory */
	uint64_t ino;
} MapsEntry;

/*
 * Iterate /proc/PID/maps: parse the line at *pos, advance *pos past it.
 * Returns 1 with an entry, 0 at the end, -EINVAL for a malformed line (which
 * is skipped: call again to continue).
 */
int parse_maps_next(const char *buf, size_t len, size_t *pos, MapsEntry *ret);

typedef struct MountinfoEntry {
	uint32_t mnt_id, parent_id;
	uint32_t major, minor;
	/* Point into the caller's (modified) line buffer; unescaped in place. */
	const char *root, *mount_point, *mount_opts, *fstype, *source, *super_opts;
} MountinfoEntry;

/*
 * One line of /proc/PID/mountinfo (without its newline).  The line is
 * modified in place: fields are NUL-terminated and \ooo escapes decoded;
 * line[len] must be writable and becomes the final NUL.
 */
int parse_mountinfo_line(char *line, size_t len, MountinfoEntry *ret);

/*
 * A string field of a statmount(2) reply: bounds-checked against the
 * reply's own size and the buffer's, NUL-terminated within both.
 */
int statmount_string(const struct rs_statmount *sm, size_t bufsize, uint64_t mask_bit, uint32_t off,
		     const char **ret);
