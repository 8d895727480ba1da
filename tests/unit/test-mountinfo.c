// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for parse_mountinfo_line(): every line of the mountinfo files
 * captured in tests/data/ (the host's, and ones from private mount
 * namespaces with a space, tab, newline and backslash in paths, with
 * shared/master/unbindable tags and, seen from a chroot, propagate_from) is
 * checked against an independent split-and-unescape reader; then pinned
 * lines and hand-made malformed ones.
 */
#include "tap.h"

#include "base/procfmt.h"

static const char *const mountinfo_files[] = {
	"mountinfo-host.txt",	     "mountinfo-space.txt",  "mountinfo-escapes.txt",
	"mountinfo-propagation.txt", "mountinfo-chroot.txt", "mountinfo-empty-source.txt",
};

/* The oracle: \ooo decoding written independently of procfmt.c. */
static bool is_odigit(char c)
{
	return c >= '0' && c <= '7';
}

static void oracle_unescape(char *s)
{
	size_t w = 0, n = strlen(s);

	for (size_t r = 0; r < n;) {
		if (s[r] == '\\' && r + 3 < n && is_odigit(s[r + 1]) && is_odigit(s[r + 2]) &&
		    is_odigit(s[r + 3]) && s[r + 1] <= '3') {
			char oct[4] = { s[r + 1], s[r + 2], s[r + 3], '\0' };
			s[w++] = (char)strtoul(oct, NULL, 8);
			r += 4;
		} else {
			s[w++] = s[r++];
		}
	}
	s[w] = '\0';
}

struct oracle {
	unsigned id, parent, major, minor;
	char *tok[64];
	int ntok;
	char *root, *mount_point, *mount_opts, *fstype, *source, *super_opts;
	char *copy;
};

/* Split @line on single spaces, find the lone "-" after field 6. */
static bool oracle_parse(const char *line, size_t len, struct oracle *o)
{
	memset(o, 0, sizeof(*o));
	o->copy = strndup(line, len);
	if (!o->copy)
		return false;
	for (char *p = o->copy; o->ntok < 64;) {
		o->tok[o->ntok++] = p;
		char *sp = strchr(p, ' ');
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	if (o->ntok < 10 || sscanf(o->tok[0], "%u", &o->id) != 1 ||
	    sscanf(o->tok[1], "%u", &o->parent) != 1 ||
	    sscanf(o->tok[2], "%u:%u", &o->major, &o->minor) != 2)
		return false;
	int sep = -1;
	for (int i = 6; i < o->ntok; i++)
		if (strcmp(o->tok[i], "-") == 0) {
			sep = i;
			break;
		}
	if (sep < 0 || sep + 2 >= o->ntok)
		return false;
	o->root = o->tok[3];
	o->mount_point = o->tok[4];
	o->mount_opts = o->tok[5];
	o->fstype = o->tok[sep + 1];
	o->source = o->tok[sep + 2];
	/* Rejoin whatever follows the source: the super options. */
	o->super_opts = sep + 3 < o->ntok ? o->tok[sep + 3] : (char *)"";
	for (int i = sep + 4; i < o->ntok; i++)
		o->tok[i][-1] = ' ';
	oracle_unescape(o->root);
	oracle_unescape(o->mount_point);
	oracle_unescape(o->source);
	return true;
}

static void test_captured_vs_oracle(void)
{
	for (size_t f = 0; f < sizeof(mountinfo_files) / sizeof(mountinfo_files[0]); f++) {
		size_t len, pos = 0, ll, n = 0;
		char *buf = tap_data(mountinfo_files[f], &len);
		const char *line;

		printf("# %s\n", mountinfo_files[f]);
		while (tap_next_line(buf, len, &pos, &line, &ll)) {
			char *copy = tap_dup_extra(line, ll, 1);
			struct oracle o;
			MountinfoEntry e;

			if (!CHECK(oracle_parse(line, ll, &o)))
				goto next;
			if (!CHECK_EQ_INT(parse_mountinfo_line(copy, ll, &e), 0))
				goto next;
			CHECK_EQ_U64(e.mnt_id, o.id);
			CHECK_EQ_U64(e.parent_id, o.parent);
			CHECK_EQ_U64(e.major, o.major);
			CHECK_EQ_U64(e.minor, o.minor);
			CHECK_STREQ(e.root, o.root);
			CHECK_STREQ(e.mount_point, o.mount_point);
			CHECK_STREQ(e.mount_opts, o.mount_opts);
			CHECK_STREQ(e.fstype, o.fstype);
			CHECK_STREQ(e.source, o.source);
			CHECK_STREQ(e.super_opts, o.super_opts);
			CHECK(copy[ll] == '\0');
			n++;
next:
			free(o.copy);
			free(copy);
		}
		CHECK(n >= 1);
		free(buf);
	}
}

/* The first line of @file containing @needle, parsed; NULL if absent. */
static char *parse_line_of(const char *file, const char *needle, MountinfoEntry *e)
{
	size_t len, pos = 0, ll;
	char *buf = tap_data(file, &len);
	const char *line;
	char *copy = NULL;

	while (tap_next_line(buf, len, &pos, &line, &ll)) {
		if (!memmem(line, ll, needle, strlen(needle)))
			continue;
		copy = tap_dup_extra(line, ll, 1);
		if (!CHECK_EQ_INT(parse_mountinfo_line(copy, ll, e), 0)) {
			free(copy);
			copy = NULL;
		}
		break;
	}
	free(buf);
	if (!copy)
		printf("#   no parsed line with \"%s\" in %s\n", needle, file);
	return copy;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	if (a >= b && strcmp(s + a - b, suffix) == 0)
		return true;
	printf("#   \"%s\" does not end with \"%s\"\n", s, suffix);
	return false;
}

static void test_no_optional_fields(void)
{
	MountinfoEntry e;
	char *l = parse_line_of("mountinfo-host.txt", " / / ", &e);

	if (!CHECK(l))
		return;
	CHECK_EQ_U64(e.mnt_id, 27);
	CHECK_EQ_U64(e.parent_id, 1);
	CHECK_EQ_U64(e.major, 254);
	CHECK_EQ_U64(e.minor, 0);
	CHECK_STREQ(e.root, "/");
	CHECK_STREQ(e.mount_point, "/");
	CHECK_STREQ(e.fstype, "ext4");
	CHECK_STREQ(e.source, "/dev/vda");
	CHECK_STREQ(e.super_opts, "rw,discard,resv_strict,resuid=65534,resgid=65534");
	CHECK_STREQ(e.mount_opts, "rw,relatime");
	free(l);
}

static void test_space_escape(void)
{
	MountinfoEntry e;
	char *l = parse_line_of("mountinfo-space.txt", "my\\040src", &e);

	if (!CHECK(l))
		return;
	CHECK_EQ_U64(e.major, 0);
	CHECK(ends_with(e.mount_point, "/mnt point"));
	CHECK(!strchr(e.mount_point, '\\'));
	CHECK_STREQ(e.root, "/");
	CHECK_STREQ(e.fstype, "tmpfs");
	CHECK_STREQ(e.source, "my src");
	CHECK_STREQ(e.super_opts, "rw,size=1024k");
	free(l);
}

static void test_tab_newline_backslash(void)
{
	MountinfoEntry e;
	char *l = parse_line_of("mountinfo-escapes.txt", "backslash", &e);

	if (!CHECK(l))
		return;
	CHECK(ends_with(e.mount_point, "/tab\tback\\slash\nnl"));
	CHECK_STREQ(e.source, "src\\with\\backslash");
	CHECK_STREQ(e.super_opts, "rw,size=1024k,mode=700");
	free(l);
}

static void test_optional_fields(void)
{
	MountinfoEntry e;
	char *l;

	l = parse_line_of("mountinfo-propagation.txt", " shared:1 - ", &e);
	if (CHECK(l)) {
		CHECK(ends_with(e.mount_point, "/shared"));
		CHECK_STREQ(e.fstype, "tmpfs");
		CHECK_STREQ(e.source, "peer-src");
	}
	free(l);
	l = parse_line_of("mountinfo-propagation.txt", " master:1 - ", &e);
	if (CHECK(l)) {
		CHECK(ends_with(e.mount_point, "/slave"));
		CHECK_STREQ(e.source, "peer-src");
		CHECK_STREQ(e.super_opts, "rw,size=1024k");
	}
	free(l);
	/* Two optional fields: a slave that is shared again. */
	l = parse_line_of("mountinfo-propagation.txt", " shared:2 master:1 - ", &e);
	if (CHECK(l)) {
		CHECK(ends_with(e.mount_point, "/slave-shared"));
		CHECK_STREQ(e.fstype, "tmpfs");
		CHECK_STREQ(e.source, "peer-src");
	}
	free(l);
	l = parse_line_of("mountinfo-propagation.txt", " unbindable - ", &e);
	if (CHECK(l)) {
		CHECK(ends_with(e.mount_point, "/unbindable"));
		CHECK_STREQ(e.source, "unbindable-src");
	}
	free(l);
	/* A bind of a subdirectory: root is not "/" and is unescaped too. */
	l = parse_line_of("mountinfo-propagation.txt", "/bindsub ", &e);
	if (CHECK(l)) {
		CHECK_STREQ(e.root, "/sub dir");
		CHECK_EQ_U64(e.major, 0);
	}
	free(l);
}

/* `mount -t tmpfs "" dir` shows an empty source: two spaces after the fstype. */
static void test_empty_source(void)
{
	MountinfoEntry e;
	char *l = parse_line_of("mountinfo-empty-source.txt", " - tmpfs  ", &e);

	if (!CHECK(l))
		return;
	CHECK(ends_with(e.mount_point, "/empty source"));
	CHECK_STREQ(e.fstype, "tmpfs");
	CHECK_STREQ(e.source, "");
	CHECK_STREQ(e.super_opts, "rw,size=1024k");
	free(l);
}

static void test_three_optional_fields(void)
{
	MountinfoEntry e;
	char *l = parse_line_of("mountinfo-chroot.txt", "propagate_from:", &e);

	if (!CHECK(l))
		return;
	CHECK_EQ_U64(e.mnt_id, 73);
	CHECK_EQ_U64(e.parent_id, 70);
	CHECK_EQ_U64(e.major, 0);
	CHECK_EQ_U64(e.minor, 44);
	CHECK_STREQ(e.root, "/");
	CHECK_STREQ(e.mount_point, "/c");
	CHECK_STREQ(e.fstype, "tmpfs");
	CHECK_STREQ(e.source, "a-src");
	CHECK_STREQ(e.super_opts, "rw,size=1024k");
	free(l);
}

static int parse_str(const char *s, MountinfoEntry *e, char **ret_copy)
{
	char *copy = tap_dup_extra(s, strlen(s), 1);
	int r = parse_mountinfo_line(copy, strlen(s), e);
	*ret_copy = copy;
	return r;
}

static void expect_einval(const char *s)
{
	MountinfoEntry e = { .mnt_id = 4242 };
	char *copy;

	if (!CHECK_EQ_INT(parse_str(s, &e, &copy), -EINVAL))
		printf("#   input: \"%s\"\n", s);
	CHECK_EQ_U64(e.mnt_id, 4242);
	free(copy);
}

static void test_malformed(void)
{
	expect_einval("");
	expect_einval(" ");
	expect_einval("22");
	expect_einval("22 27 0:21 / /proc");
	/* no " - " separator */
	expect_einval("22 27 0:21 / /proc rw,relatime proc proc rw");
	/* separator with nothing, or only the fstype, after it */
	expect_einval("22 27 0:21 / /proc rw,relatime -");
	expect_einval("22 27 0:21 / /proc rw,relatime - proc");
	/* numbers */
	expect_einval("x 27 0:21 / /proc rw - proc proc rw");
	expect_einval("22x 27 0:21 / /proc rw - proc proc rw");
	expect_einval("-1 27 0:21 / /proc rw - proc proc rw");
	expect_einval("4294967296 27 0:21 / /proc rw - proc proc rw");
	expect_einval("22 4294967296 0:21 / /proc rw - proc proc rw");
	expect_einval("22 27 4294967296:21 / /proc rw - proc proc rw");
	expect_einval("22 27 0:4294967296 / /proc rw - proc proc rw");
	expect_einval("22 27 021 / /proc rw - proc proc rw");
	expect_einval("22 27 0: / /proc rw - proc proc rw");
	expect_einval("22 27 :21 / /proc rw - proc proc rw");
	expect_einval("22 27 0:21:1 / /proc rw - proc proc rw");
	expect_einval("22 27 0x16:21 / /proc rw - proc proc rw");
	/* two spaces make an empty field */
	expect_einval("22  27 0:21 / /proc rw - proc proc rw");
	/* an embedded NUL */
	{
		static const char s[] = "22 27 0:21 / /pr\0c rw - proc proc rw";
		char *copy = tap_dup_extra(s, sizeof(s) - 1, 1);
		MountinfoEntry e;
		CHECK_EQ_INT(parse_mountinfo_line(copy, sizeof(s) - 1, &e), -EINVAL);
		free(copy);
	}
}

static void test_shapes(void)
{
	MountinfoEntry e;
	char *c;

	/* The largest ids, and the source as the very last field. */
	const char *max = "4294967295 0 4294967295:4294967295 / /x rw - proc proc";
	if (CHECK_EQ_INT(parse_str(max, &e, &c), 0)) {
		CHECK_EQ_U64(e.mnt_id, UINT32_MAX);
		CHECK_EQ_U64(e.parent_id, 0);
		CHECK_EQ_U64(e.major, UINT32_MAX);
		CHECK_EQ_U64(e.minor, UINT32_MAX);
		CHECK_STREQ(e.source, "proc");
		CHECK_STREQ(e.super_opts, "");
	}
	free(c);
	/* Four optional fields; "-" inside a field is not the separator. */
	if (CHECK_EQ_INT(parse_str("73 70 0:44 /a-b /c-d rw shared:5 master:4 propagate_from:3 "
				   "unbindable - fuse.x-y a-src rw,x=a - b",
				   &e, &c),
			 0)) {
		CHECK_STREQ(e.root, "/a-b");
		CHECK_STREQ(e.mount_point, "/c-d");
		CHECK_STREQ(e.fstype, "fuse.x-y");
		CHECK_STREQ(e.source, "a-src");
		CHECK_STREQ(e.super_opts, "rw,x=a - b");
	}
	free(c);
	/* Escapes that are not \ooo with ooo <= 0377 stay as they are. */
	if (CHECK_EQ_INT(parse_str("1 0 0:1 /\\400\\08\\x /a\\ - t s\\1 o", &e, &c), 0)) {
		CHECK_STREQ(e.root, "/\\400\\08\\x");
		CHECK_STREQ(e.mount_point, "/a\\");
		CHECK_STREQ(e.source, "s\\1");
	}
	free(c);
	/* Back to back escapes, and one at the very end. */
	if (CHECK_EQ_INT(parse_str("1 0 0:1 \\040\\011\\012\\134 /\\101 - t \\134 o", &e, &c), 0)) {
		CHECK_STREQ(e.root, " \t\n\\");
		CHECK_STREQ(e.mount_point, "/A");
		CHECK_STREQ(e.source, "\\");
	}
	free(c);
}

/* @len, not the first NUL, ends the line; line[len] becomes the NUL. */
static void test_length_bounds(void)
{
	const char *s = "22 27 0:21 / /proc rw,relatime - proc proc rw,extra";
	size_t full = strlen(s), cut = full - strlen(",extra");
	char *copy = tap_dup_extra(s, full, 1);
	MountinfoEntry e;

	if (CHECK_EQ_INT(parse_mountinfo_line(copy, cut, &e), 0)) {
		CHECK_STREQ(e.super_opts, "rw");
		CHECK(copy[cut] == '\0');
	}
	free(copy);
	/* Every prefix: nothing shorter than "... - proc p" parses. */
	size_t shortest = strlen("22 27 0:21 / /proc rw,relatime - proc p");
	for (size_t l = 0; l <= full; l++) {
		copy = tap_dup_extra(s, l, 1);
		int r = parse_mountinfo_line(copy, l, &e);
		CHECK_EQ_INT(r, l >= shortest ? 0 : -EINVAL);
		free(copy);
	}
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_captured_vs_oracle);
	RUN(test_no_optional_fields);
	RUN(test_space_escape);
	RUN(test_tab_newline_backslash);
	RUN(test_optional_fields);
	RUN(test_three_optional_fields);
	RUN(test_empty_source);
	RUN(test_malformed);
	RUN(test_shapes);
	RUN(test_length_bounds);
	return tap_done();
}
