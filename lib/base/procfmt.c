// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsers for /proc text and statmount(2) replies; see procfmt.h.  All of
 * them treat input as untrusted bytes: no NUL is assumed, numbers are range
 * checked, and nothing is read past @len.
 */
#include "procfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

/* Parse an unsigned number in @base from [*p, end); advances *p. */
static int take_u64(const char **p, const char *end, int base, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	for (; s < end; s++, n++) {
		unsigned d;
		char c = *s;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (d >= (unsigned)base)
			break;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -EINVAL;
		v = v * (uint64_t)base + d;
	}
	if (n == 0)
		return -EINVAL;
	*p = s;
	*ret = v;
	return 0;
}

/* A field's number must fill the rest of its line (the kernel writes nothing after it). */
static bool at_line_end(const char *p, const char *le)
{
	while (p < le && (*p == ' ' || *p == '\t'))
		p++;
	return p == le;
}

static const char *skip_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl : end;
}

static bool has_prefix(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

int parse_fdinfo(const char *buf, size_t len, FdInfo *ret)
{
	FdInfo fi = { 0 };
	const char *end = buf + len;

	for (const char *p = buf; p < end;) {
		const char *le = line_end(p, end);
		const char *v;
		uint64_t x;

		if (has_prefix(p, le, "flags:")) {
			v = skip_blank(p + 6, le);
			if (take_u64(&v, le, 8, &x) == 0 && at_line_end(v, le) && x <= UINT32_MAX) {
				fi.flags = (uint32_t)x;
				fi.has_flags = true;
			}
		} else if (has_prefix(p, le, "mnt_id:")) {
			v = skip_blank(p + 7, le);
			if (take_u64(&v, le, 10, &x) == 0 && at_line_end(v, le) &&
			    x <= UINT32_MAX) {
				fi.mnt_id = (uint32_t)x;
				fi.has_mnt_id = true;
			}
		} else if (has_prefix(p, le, "ino:")) {
			v = skip_blank(p + 4, le);
			if (take_u64(&v, le, 10, &x) == 0 && at_line_end(v, le)) {
				fi.ino = x;
				fi.has_ino = true;
			}
		} else if (has_prefix(p, le, "scm_fds:")) {
			v = skip_blank(p + 8, le);
			if (take_u64(&v, le, 10, &x) == 0 && at_line_end(v, le) &&
			    x <= UINT32_MAX) {
				fi.scm_fds = (uint32_t)x;
				fi.has_scm_fds = true;
			}
		} else if (has_prefix(p, le, "pos:")) {
			v = skip_blank(p + 4, le);
			if (take_u64(&v, le, 10, &x) == 0 && at_line_end(v, le))
				fi.pos = x;
		} else if (has_prefix(p, le, "UserFiles:")) {
			v = skip_blank(p + 10, le);
			if (take_u64(&v, le, 10, &x) == 0 && at_line_end(v, le) &&
			    x <= UINT32_MAX) {
				fi.user_files = (uint32_t)x;
				fi.has_user_files = true;
			}
		}
		p = le < end ? le + 1 : end;
	}
	if (!fi.has_flags)
		return -EINVAL;
	*ret = fi;
	return 0;
}

/* Does the comma-separated controller list [p, e) contain @want? */
static bool controllers_have(const char *p, const char *e, const char *want)
{
	size_t n = strlen(want);
	while (p < e) {
		const char *c = memchr(p, ',', (size_t)(e - p));
		const char *ce = c ? c : e;
		if ((size_t)(ce - p) == n && memcmp(p, want, n) == 0)
			return true;
		p = ce + 1;
	}
	return false;
}

int parse_proc_cgroup(const char *buf, size_t len, char **ret_path)
{
	/* Rank: 3 = v1 memory, 2 = v2 unified, 1 = name=systemd. */
	const char *best = NULL, *best_end = NULL;
	int best_rank = 0;
	const char *end = buf + len;

	for (const char *p = buf; p < end;) {
		const char *le = line_end(p, end);
		const char *c1 = memchr(p, ':', (size_t)(le - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		if (c2) {
			int rank = 0;
			if (c1 == p + 1 && p[0] == '0' && c2 == c1 + 1)
				rank = 2;
			else if (controllers_have(c1 + 1, c2, "memory"))
				rank = 3;
			else if (controllers_have(c1 + 1, c2, "name=systemd"))
				rank = 1;
			if (rank > best_rank) {
				best_rank = rank;
				best = c2 + 1;
				best_end = le;
			}
		}
		p = le < end ? le + 1 : end;
	}
	if (!best || best_end == best || memchr(best, '\0', (size_t)(best_end - best)))
		return -EINVAL;
	char *s = strndup(best, (size_t)(best_end - best));
	if (!s)
		return -ENOMEM;
	*ret_path = s;
	return 0;
}

int parse_ns_link(const char *s, size_t len, const char *type, uint64_t *ret_ino)
{
	size_t tl = strlen(type);
	const char *end = s + len;
	uint64_t v;

	if (len < tl + 4 || memcmp(s, type, tl) != 0 || s[tl] != ':' || s[tl + 1] != '[')
		return -EINVAL;
	const char *p = s + tl + 2;
	if (take_u64(&p, end, 10, &v) < 0 || end - p != 1 || *p != ']')
		return -EINVAL;
	*ret_ino = v;
	return 0;
}

int parse_proc_stat_flags(const char *buf, size_t len, uint64_t *ret_flags)
{
	const char *end = buf + len, *p = NULL;
	uint64_t v;

	for (const char *q = buf; q < end; q++)
		if (*q == ')')
			p = q + 1;
	if (!p)
		return -EINVAL;
	/* ") state ppid pgrp session tty_nr tpgid flags": six fields, then flags. */
	for (int field = 0; field < 7; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		if (field == 6)
			break;
		const char *start = p;
		while (p < end && *p != ' ')
			p++;
		if (p == start)
			return -EINVAL;
	}
	if (take_u64(&p, end, 10, &v) < 0 || (p < end && *p != ' ' && *p != '\n'))
		return -EINVAL;
	*ret_flags = v;
	return 0;
}

int parse_map_range(const char *s, size_t len, uint64_t *ret_start, uint64_t *ret_end)
{
	const char *p = s, *end = s + len;
	uint64_t a, b;

	if (take_u64(&p, end, 16, &a) < 0 || p >= end || *p != '-')
		return -EINVAL;
	p++;
	if (take_u64(&p, end, 16, &b) < 0 || p != end || b < a)
		return -EINVAL;
	*ret_start = a;
	*ret_end = b;
	return 0;
}

int parse_maps_perms(const char *buf, size_t len, uint64_t start, char ret_perms[5])
{
	const char *end = buf + len;

	for (const char *p = buf; p < end;) {
		const char *le = line_end(p, end);
		const char *q = p;
		uint64_t a, b;

		if (take_u64(&q, le, 16, &a) == 0 && a == start && q < le && *q == '-') {
			q++;
			if (take_u64(&q, le, 16, &b) == 0 && le - q >= 5 && *q == ' ') {
				memcpy(ret_perms, q + 1, 4);
				ret_perms[4] = '\0';
				return 0;
			}
			return -EINVAL;
		}
		p = le < end ? le + 1 : end;
	}
	return -ENOENT;
}

int parse_maps_next(const char *buf, size_t len, size_t *pos, MapsEntry *ret)
{
	const char *end = buf + len;
	if (*pos >= len)
		return 0;
	const char *p = buf + *pos, *le = line_end(p, end);
	*pos = (size_t)(le - buf) + (le < end);

	/* start-end perms offset maj:min inode [path] */
	MapsEntry e = { 0 };
	uint64_t off, maj, min;
	const char *q = p;
	if (take_u64(&q, le, 16, &e.start) < 0 || q >= le || *q++ != '-' ||
	    take_u64(&q, le, 16, &e.end) < 0 || le - q < 6 || *q++ != ' ')
		return -EINVAL;
	memcpy(e.perms, q, 4);
	q += 4;
	if (q >= le || *q++ != ' ' || take_u64(&q, le, 16, &off) < 0 || q >= le || *q++ != ' ' ||
	    take_u64(&q, le, 16, &maj) < 0 || q >= le || *q++ != ':' ||
	    take_u64(&q, le, 16, &min) < 0 || q >= le || *q++ != ' ' ||
	    take_u64(&q, le, 10, &e.ino) < 0 || maj > UINT32_MAX || min > UINT32_MAX ||
	    e.end < e.start)
		return -EINVAL;
	e.major = (uint32_t)maj;
	e.minor = (uint32_t)min;
	*ret = e;
	return 1;
}

/* Decode mountinfo's \ooo escapes in place (space, tab, newline, backslash). */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

int parse_fdinfo_user_file(const char *buf, size_t len, uint32_t index, char **ret_path)
{
	const char *end = buf + len, *p = buf;
	bool in_list = false;

	for (; p < end; p = p < end ? p + 1 : end) {
		const char *le = line_end(p, end), *v = p;
		uint64_t slot;

		if (!in_list) {
			in_list = has_prefix(p, le, "UserFiles:");
			p = le;
			continue;
		}
		/* "%5u: PATH": the list ends at the first line of another shape. */
		while (v < le && *v == ' ')
			v++;
		if (take_u64(&v, le, 10, &slot) < 0 || le - v < 2 || v[0] != ':' || v[1] != ' ')
			break;
		if (slot != index) {
			p = le;
			continue;
		}
		v += 2;
		if (v == le || *v != '/') {
			*ret_path = NULL; /* "<none>", or a name alone (6.1) */
			return 0;
		}
		char *path = strndup(v, (size_t)(le - v));
		if (!path)
			return -ENOMEM;
		unescape_octal(path);
		*ret_path = path;
		return 0;
	}
	return -ENOENT;
}

/* Cut the next space-separated field from [*p, end), NUL-terminating it. */
static char *cut_field(char **p, char *end)
{
	char *s = *p;
	if (s >= end)
		return NULL;
	char *sp = memchr(s, ' ', (size_t)(end - s));
	if (sp) {
		*sp = '\0';
		*p = sp + 1;
	} else {
		*p = end;
	}
	return s;
}

int parse_mountinfo_line(char *line, size_t len, MountinfoEntry *ret)
{
	MountinfoEntry e = { 0 };
	char *p = line, *end = line + len;
	const char *q;
	uint64_t v;

	if (memchr(line, '\0', len))
		return -EINVAL;
	line[len] = '\0';
	char *f[6];
	for (int i = 0; i < 5; i++)
		if (!(f[i] = cut_field(&p, end)))
			return -EINVAL;
	/* f[0] id, f[1] parent, f[2] maj:min, f[3] root, f[4] mount point */
	q = f[0];
	if (take_u64(&q, q + strlen(q), 10, &v) < 0 || *q || v > UINT32_MAX)
		return -EINVAL;
	e.mnt_id = (uint32_t)v;
	q = f[1];
	if (take_u64(&q, q + strlen(q), 10, &v) < 0 || *q || v > UINT32_MAX)
		return -EINVAL;
	e.parent_id = (uint32_t)v;
	q = f[2];
	if (take_u64(&q, q + strlen(q), 10, &v) < 0 || *q != ':' || v > UINT32_MAX)
		return -EINVAL;
	e.major = (uint32_t)v;
	q++;
	if (take_u64(&q, q + strlen(q), 10, &v) < 0 || *q || v > UINT32_MAX)
		return -EINVAL;
	e.minor = (uint32_t)v;
	e.root = f[3];
	e.mount_point = f[4];
	/* Field 6, the per-mount options ("rw,nosuid,relatime"); tolerated missing. */
	if (!(e.mount_opts = cut_field(&p, end)))
		return -EINVAL;
	bool sep = strcmp(e.mount_opts, "-") == 0;
	if (sep)
		e.mount_opts = "";
	/* Optional fields up to the lone "-" separator. */
	while (!sep) {
		char *opt = cut_field(&p, end);
		if (!opt)
			return -EINVAL;
		sep = strcmp(opt, "-") == 0;
	}
	if (!(f[5] = cut_field(&p, end)))
		return -EINVAL;
	e.fstype = f[5];
	char *src = cut_field(&p, end);
	if (!src)
		return -EINVAL;
	e.source = src;
	/* super options run to the end of the line; terminate them in place */
	e.super_opts = p < end ? p : "";
	unescape_octal((char *)e.root);
	unescape_octal((char *)e.mount_point);
	unescape_octal((char *)e.source);
	*ret = e;
	return 0;
}

int statmount_string(const struct rs_statmount *sm, size_t bufsize, uint64_t mask_bit, uint32_t off,
		     const char **ret)
{
	size_t hdr = offsetof(struct rs_statmount, str);

	if (bufsize < hdr || !(sm->mask & mask_bit))
		return -ENOENT;
	size_t size = MIN((size_t)sm->size, bufsize);
	if (size <= hdr || off >= size - hdr)
		return -EINVAL;
	const char *s = sm->str + off;
	if (!memchr(s, '\0', size - hdr - off))
		return -EINVAL;
	*ret = s;
	return 0;
}
