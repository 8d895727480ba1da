// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for parse_proc_cgroup(): the /proc/PID/cgroup files captured on
 * this hybrid (v1 + v2) host and the docker, kubernetes and podman formats in
 * tests/data/ (README.md says where each comes from), then the ranking rules
 * (v1 memory > v2 "0::" > name=systemd) and malformed input.
 */
#include "tap.h"

#include "base/macro.h"
#include "base/procfmt.h"

#define DOCKER_ID "eeb44e2a84296554f5b8373f2b28345cef4c9e6781a435c786268971b33ca880"
#define KUBE_ID "77d254b37b10c4776c1ca7c19c255acfcc58e855e5d4cc67bfe4262432f56e45"
#define PODMAN_ID "81258dfef50024abf31346370d72c9b55bdefda800ff14659a0e927eecaacdaf"
#define KUBE_POD "7b3e1c52-2f1d-4c5e-9a0b-3d6f8e2a1c40"
#define KUBE_SLICE                                                                                 \
	"/kubepods.slice/kubepods-besteffort.slice/"                                               \
	"kubepods-besteffort-pod7b3e1c52_2f1d_4c5e_9a0b_3d6f8e2a1c40.slice/"                       \
	"cri-containerd-" KUBE_ID ".scope"

static const struct {
	const char *file, *want;
} cgroup_cases[] = {
	{ "cgroup-self.txt", "/process_api/a1ed079c18f8c79cd2c8463c7590ecd9" },
	{ "cgroup-init.txt", "/" },
	{ "cgroup-docker-v2-systemd.txt", "/system.slice/docker-" DOCKER_ID ".scope" },
	{ "cgroup-docker-v2-cgroupns.txt", "/" },
	{ "cgroup-docker-v1-cgroupfs.txt", "/docker/" DOCKER_ID },
	{ "cgroup-kubepods-v1-cgroupfs.txt", "/kubepods/burstable/pod" KUBE_POD "/" KUBE_ID },
	/* memory beats the 0:: line that names containerd.service */
	{ "cgroup-kubepods-v1-systemd.txt", KUBE_SLICE },
	{ "cgroup-kubepods-v2-systemd.txt", KUBE_SLICE },
	{ "cgroup-podman-rootless-v2.txt",
	  "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" PODMAN_ID
	  ".scope/container" },
	{ "cgroup-legacy-no-memory.txt", "/user.slice/user-1000.slice/session-2.scope" },
};

static void test_captured(void)
{
	for (size_t i = 0; i < sizeof(cgroup_cases) / sizeof(cgroup_cases[0]); i++) {
		size_t len;
		char *buf = tap_data(cgroup_cases[i].file, &len);
		char *path = NULL;

		printf("# %s\n", cgroup_cases[i].file);
		if (CHECK_EQ_INT(parse_proc_cgroup(buf, len, &path), 0))
			CHECK_STREQ(path, cgroup_cases[i].want);
		free(path);
		free(buf);
	}
}

static int parse_str(const char *s, char **ret)
{
	char *b = tap_dup(s, strlen(s));
	int r = parse_proc_cgroup(b, strlen(s), ret);
	free(b);
	return r;
}

static void expect(const char *input, const char *want)
{
	char *path = NULL;

	if (CHECK_EQ_INT(parse_str(input, &path), 0))
		CHECK_STREQ(path, want);
	else
		printf("#   input: \"%s\"\n", input);
	free(path);
}

static void expect_einval(const char *input)
{
	char *path = (char *)"untouched";

	if (!CHECK_EQ_INT(parse_str(input, &path), -EINVAL))
		printf("#   input: \"%s\"\n", input);
	CHECK_STREQ(path, "untouched");
}

static void test_ranking(void)
{
	/* Order of lines does not matter, only the rank. */
	expect("0::/v2\n4:memory:/v1mem\n1:name=systemd:/sd\n", "/v1mem");
	expect("1:name=systemd:/sd\n0::/v2\n", "/v2");
	expect("1:name=systemd:/sd\n2:cpu:/cpu\n", "/sd");
	/* memory among other controllers of one hierarchy */
	expect("3:cpu,memory,pids:/joint\n0::/v2\n", "/joint");
	/* name=systemd co-mounted with a controller */
	expect("1:cpu,name=systemd:/sd\n", "/sd");
	/* The first line of the best rank wins. */
	expect("4:memory:/first\n5:memory:/second\n", "/first");
	expect("0::/first\n0::/second\n", "/first");
}

static void test_lookalikes(void)
{
	/* Controller names must match whole list elements. */
	expect_einval("4:memoryx:/a\n");
	expect_einval("4:xmemory:/a\n");
	expect_einval("1:name=systemdx:/a\n");
	expect("4:memoryx:/a\n1:name=systemd:/sd\n", "/sd");
	/* "0::" only as a whole hierarchy-id and empty controller list. */
	expect_einval("10::/a\n");
	expect_einval("0:cpu:/a\n");
	/* A colon in the path belongs to the path. */
	expect("0::/a:b:c\n", "/a:b:c");
	expect("4:memory:/x:y\n", "/x:y");
}

static void test_malformed(void)
{
	expect_einval("");
	expect_einval("\n");
	expect_einval("garbage");
	expect_einval("0:/no-second-colon\n");
	/* An empty path of the best line is an error, not a fallback. */
	expect_einval("0::\n");
	expect_einval("4:memory:\n0::/v2\n");
	/* A NUL inside the chosen path. */
	{
		static const char s[] = "0::/a\0b\n";
		char *b = tap_dup(s, sizeof(s) - 1);
		char *path = NULL;
		CHECK_EQ_INT(parse_proc_cgroup(b, sizeof(s) - 1, &path), -EINVAL);
		CHECK(path == NULL);
		free(b);
	}
	/* No trailing newline, and CRLF is kept verbatim (the kernel never writes it). */
	expect("0::/last", "/last");
	expect("0::/crlf\r\n", "/crlf\r");
}

static void test_length_bounds(void)
{
	const char *s = "4:memory:/abc\n0::/v2\n";
	char *path;

	for (size_t len = 0; len <= strlen(s); len++) {
		char *b = tap_dup(s, len);
		int r;

		path = NULL;
		r = parse_proc_cgroup(b, len, &path);
		if (len < 10) {
			/* "4:memory:" is not yet a line with a path. */
			CHECK_EQ_INT(r, -EINVAL);
		} else if (CHECK_EQ_INT(r, 0)) {
			char want[8] = { 0 };
			memcpy(want, "/abc", MIN(len - 9, 4));
			CHECK_STREQ(path, want);
		}
		free(path);
		free(b);
	}
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_captured);
	RUN(test_ranking);
	RUN(test_lookalikes);
	RUN(test_malformed);
	RUN(test_length_bounds);
	return tap_done();
}
